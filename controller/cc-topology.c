/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "CcTopology"

#include "config.h"

#include "cc-topology.h"

const gchar *const cc_topology_stopped_redirectors[] = {"redire0", "redire1", "f1", "f2", NULL};

void
cc_qmp_step_free(CcQmpStep *step)
{
	if (step == NULL)
		return;
	g_free(step->command);
	if (step->arguments != NULL)
		json_object_unref(step->arguments);
	g_free(step);
}

static CcQmpStep *
cc_step_new(const gchar *command, JsonObject *arguments, gboolean may_fail)
{
	CcQmpStep *step = g_new0(CcQmpStep, 1);
	step->command = g_strdup(command);
	step->arguments = arguments;
	step->may_fail = may_fail;
	return step;
}

static void
cc_seq_add(GPtrArray *seq, const gchar *command, JsonObject *arguments)
{
	g_ptr_array_add(seq, cc_step_new(command, arguments, FALSE));
}

static void
cc_seq_add_may_fail(GPtrArray *seq, const gchar *command, JsonObject *arguments)
{
	g_ptr_array_add(seq, cc_step_new(command, arguments, TRUE));
}

static GPtrArray *
cc_seq_new(void)
{
	return g_ptr_array_new_with_free_func((GDestroyNotify)cc_qmp_step_free);
}

static gchar *
cc_port(const CcPairSpec *spec, guint which)
{
	return g_strdup_printf("%u", spec->port_base + which);
}

static gchar *
cc_sock(const CcPairSpec *spec, const gchar *what)
{
	return g_strdup_printf("%s/%s.%s", spec->sock_dir, spec->sock_prefix, what);
}

/* QEMU's keyval and QemuOpts split on commas; a comma in a value is written twice */
static gchar *
cc_opt_escape(const gchar *value)
{
	GString *s = g_string_new(NULL);
	for (const gchar *p = value; *p != '\0'; p++) {
		g_string_append_c(s, *p);
		if (*p == ',')
			g_string_append_c(s, ',');
	}
	return g_string_free(s, FALSE);
}

/* Image locking is off on the quorum's child: quorum never shares WRITE, so a
 * migration destination on shared storage could not take the image from its
 * source (measured on 7.2: "Failed to get write lock" after completion). */
gchar *
cc_topology_primary_drive(const gchar *image, const gchar *format)
{
	g_autofree gchar *img = cc_opt_escape(image);
	return g_strdup_printf("if=none,id=" CC_TOPOLOGY_DISK ",driver=quorum,read-pattern=fifo,"
			       "vote-threshold=1,children.0.driver=%s,children.0.file.driver=file,"
			       "children.0.file.filename=%s,children.0.file.locking=off,cache=none",
			       format, img);
}

static void
cc_args_add(GPtrArray *args, const gchar *opt, gchar *value)
{
	g_ptr_array_add(args, g_strdup(opt));
	g_ptr_array_add(args, value);
}

static gboolean
cc_topology_stopped_ok(const CcCaps *caps)
{
	return caps != NULL && caps->enable_when_stopped;
}

GPtrArray *
cc_topology_secondary_args(const CcPairSpec *spec, const CcCaps *caps)
{
	GPtrArray *args = g_ptr_array_new_with_free_func(g_free);
	g_autofree gchar *sec = cc_opt_escape(spec->secondary_disk);
	g_autofree gchar *active = cc_opt_escape(spec->active_disk);
	g_autofree gchar *hidden = cc_opt_escape(spec->hidden_disk);
	const gchar *ews = cc_topology_stopped_ok(caps) ? ",enable_when_stopped=on" : "";

	/* its own copy of the disk, written by the resync, then by checkpoints */
	cc_args_add(args, "-drive",
		    g_strdup_printf("if=none,id=" CC_TOPOLOGY_EXPORT
				    ",driver=raw,file.driver=file,file.filename=%s",
				    sec));
	/* between checkpoints the guest writes to the active overlay; the hidden one
	 * keeps what the primary's writes replace until the next checkpoint */
	cc_args_add(args, "-drive",
		    g_strdup_printf("if=none,id=childs0,driver=replication,mode=secondary,"
				    "top-id=" CC_TOPOLOGY_DISK ",file.driver=qcow2,"
				    "file.file.filename=%s,file.backing.driver=qcow2,"
				    "file.backing.file.filename=%s,"
				    "file.backing.backing=" CC_TOPOLOGY_EXPORT,
				    active, hidden));
	cc_args_add(args, "-drive",
		    g_strdup("if=none,id=" CC_TOPOLOGY_DISK ",driver=quorum,read-pattern=fifo,"
			     "vote-threshold=1,children.0=childs0"));
	if (spec->net) {
		g_autofree gchar *pm = cc_port(spec, CC_TOPOLOGY_PORT_MIRROR);
		g_autofree gchar *pc = cc_port(spec, CC_TOPOLOGY_PORT_COMPARE);
		/* the primary's servers appear at protect time: reconnect until they do */
		cc_args_add(args, "-chardev",
			    g_strdup_printf("socket,id=red0,host=%s,port=%s,reconnect=1",
					    spec->primary_address, pm));
		cc_args_add(args, "-chardev",
			    g_strdup_printf("socket,id=red1,host=%s,port=%s,reconnect=1",
					    spec->primary_address, pc));
		cc_args_add(args, "-object",
			    g_strdup_printf("filter-redirector,id=f1,netdev=hn0,queue=tx,"
					    "indev=red0%s",
					    ews));
		cc_args_add(args, "-object",
			    g_strdup_printf("filter-redirector,id=f2,netdev=hn0,queue=rx,"
					    "outdev=red1%s",
					    ews));
		cc_args_add(args, "-object",
			    g_strdup("filter-rewriter,id=rew0,netdev=hn0,queue=all"));
	}
	cc_args_add(args, "-incoming", g_strdup("defer"));
	return args;
}

static JsonObject *
cc_obj(void)
{
	return json_object_new();
}

static JsonObject *
cc_id(const gchar *key, const gchar *id)
{
	JsonObject *o = json_object_new();
	json_object_set_string_member(o, key, id);
	return o;
}

static JsonObject *
cc_inet(const gchar *host, const gchar *port)
{
	JsonObject *o = json_object_new();
	json_object_set_string_member(o, "type", "inet");
	json_object_set_string_member(o, "host", host);
	json_object_set_string_member(o, "port", port);
	return o;
}

static JsonObject *
cc_caps_args(const gchar *const *names)
{
	JsonObject *args = json_object_new();
	JsonArray *arr = json_array_new();
	for (guint i = 0; names[i] != NULL; i++) {
		JsonObject *c = json_object_new();
		json_object_set_string_member(c, "capability", names[i]);
		json_object_set_boolean_member(c, "state", TRUE);
		json_array_add_object_element(arr, c);
	}
	json_object_set_array_member(args, "capabilities", arr);
	return args;
}

GPtrArray *
cc_topology_secondary_prepare(const CcPairSpec *spec, const CcCaps *caps)
{
	static const gchar *const colo[] = {"x-colo", NULL};
	GPtrArray *seq = cc_seq_new();
	g_autofree gchar *pn = cc_port(spec, CC_TOPOLOGY_PORT_NBD);
	g_autofree gchar *pmig = cc_port(spec, CC_TOPOLOGY_PORT_MIGRATE);
	g_autofree gchar *uri = g_strdup_printf("tcp:%s:%s", spec->secondary_address, pmig);
	JsonObject *args;

	cc_seq_add(seq, "migrate-set-capabilities", cc_caps_args(colo));
	/* nbd-server-start takes the legacy, nested SocketAddress */
	args = cc_obj();
	{
		JsonObject *legacy = cc_id("type", "inet");
		JsonObject *inet = cc_inet(spec->secondary_address, pn);
		json_object_remove_member(inet, "type");
		json_object_set_object_member(legacy, "data", inet);
		json_object_set_object_member(args, "addr", legacy);
	}
	cc_seq_add(seq, "nbd-server-start", args);
	args = cc_id("device", CC_TOPOLOGY_EXPORT);
	json_object_set_boolean_member(args, "writable", TRUE);
	cc_seq_add(seq, "nbd-server-add", args);
	cc_seq_add(seq, "migrate-incoming", cc_id("uri", uri));
	return seq;
}

CcQmpStep *
cc_topology_resync(const CcPairSpec *spec)
{
	g_autofree gchar *pn = cc_port(spec, CC_TOPOLOGY_PORT_NBD);
	g_autofree gchar *target =
		g_strdup_printf("nbd://%s:%s/" CC_TOPOLOGY_EXPORT, spec->secondary_address, pn);
	JsonObject *args = cc_id("device", CC_TOPOLOGY_DISK);
	json_object_set_string_member(args, "job-id", CC_TOPOLOGY_MIRROR_JOB);
	json_object_set_string_member(args, "target", target);
	json_object_set_string_member(args, "mode", "existing");
	json_object_set_string_member(args, "format", "raw");
	json_object_set_string_member(args, "sync", "full");
	return cc_step_new("drive-mirror", args, FALSE);
}

static JsonObject *
cc_chardev_tcp_server(const gchar *id, const gchar *host, const gchar *port)
{
	JsonObject *args = cc_id("id", id);
	JsonObject *backend = cc_id("type", "socket");
	JsonObject *data = cc_obj();
	JsonObject *addr = cc_id("type", "inet");
	JsonObject *inet = cc_obj();

	json_object_set_string_member(inet, "host", host);
	json_object_set_string_member(inet, "port", port);
	json_object_set_object_member(addr, "data", inet);
	json_object_set_object_member(data, "addr", addr);
	json_object_set_boolean_member(data, "server", TRUE);
	json_object_set_boolean_member(data, "wait", FALSE);
	json_object_set_object_member(backend, "data", data);
	json_object_set_object_member(args, "backend", backend);
	return args;
}

static JsonObject *
cc_chardev_unix(const gchar *id, const gchar *path, gboolean server)
{
	JsonObject *args = cc_id("id", id);
	JsonObject *backend = cc_id("type", "socket");
	JsonObject *data = cc_obj();
	JsonObject *addr = cc_id("type", "unix");
	JsonObject *ux = cc_id("path", path);

	json_object_set_object_member(addr, "data", ux);
	json_object_set_object_member(data, "addr", addr);
	json_object_set_boolean_member(data, "server", server);
	if (server)
		json_object_set_boolean_member(data, "wait", FALSE);
	json_object_set_object_member(backend, "data", data);
	json_object_set_object_member(args, "backend", backend);
	return args;
}

static JsonObject *
cc_object(const gchar *type, const gchar *id)
{
	JsonObject *args = cc_id("qom-type", type);
	json_object_set_string_member(args, "id", id);
	return args;
}

static JsonObject *
cc_filter(const gchar *type, const gchar *id, const gchar *queue)
{
	JsonObject *args = cc_object(type, id);
	json_object_set_string_member(args, "netdev", "hn0");
	json_object_set_string_member(args, "queue", queue);
	return args;
}

GPtrArray *
cc_topology_primary_protect(const CcPairSpec *spec, const CcCaps *caps)
{
	GPtrArray *seq = cc_seq_new();
	g_autofree gchar *pm = cc_port(spec, CC_TOPOLOGY_PORT_MIRROR);
	g_autofree gchar *pc = cc_port(spec, CC_TOPOLOGY_PORT_COMPARE);
	g_autofree gchar *pn = cc_port(spec, CC_TOPOLOGY_PORT_NBD);
	gboolean ews = cc_topology_stopped_ok(caps);
	JsonObject *args;
	JsonObject *file;

	/* the guest stops so the copy is exact; COLO's first checkpoint resumes it */
	cc_seq_add(seq, "stop", NULL);
	/* cancelling a ready mirror ends it with the target complete, without a pivot */
	cc_seq_add(seq, "block-job-cancel", cc_id("device", CC_TOPOLOGY_MIRROR_JOB));
	if (spec->net) {
		g_autofree gchar *c0 = cc_sock(spec, "compare0");
		g_autofree gchar *cout = cc_sock(spec, "compare_out");

		cc_seq_add(seq, "chardev-add",
			   cc_chardev_tcp_server("mirror0", spec->primary_address, pm));
		cc_seq_add(seq, "chardev-add",
			   cc_chardev_tcp_server("compare1", spec->primary_address, pc));
		cc_seq_add(seq, "chardev-add", cc_chardev_unix("compare0", c0, TRUE));
		cc_seq_add(seq, "chardev-add", cc_chardev_unix("compare0-0", c0, FALSE));
		cc_seq_add(seq, "chardev-add", cc_chardev_unix("compare_out", cout, TRUE));
		cc_seq_add(seq, "chardev-add", cc_chardev_unix("compare_out0", cout, FALSE));
		cc_seq_add(seq, "object-add", cc_object("iothread", "colo-iothread0"));
		args = cc_filter("filter-mirror", "m0", "tx");
		json_object_set_string_member(args, "outdev", "mirror0");
		cc_seq_add(seq, "object-add", args);
		args = cc_filter("filter-redirector", "redire0", "rx");
		json_object_set_string_member(args, "indev", "compare_out");
		if (ews)
			json_object_set_boolean_member(args, "enable_when_stopped", TRUE);
		cc_seq_add(seq, "object-add", args);
		args = cc_filter("filter-redirector", "redire1", "rx");
		json_object_set_string_member(args, "outdev", "compare0");
		if (ews)
			json_object_set_boolean_member(args, "enable_when_stopped", TRUE);
		cc_seq_add(seq, "object-add", args);
		args = cc_object("colo-compare", "comp0");
		json_object_set_string_member(args, "primary_in", "compare0-0");
		json_object_set_string_member(args, "secondary_in", "compare1");
		json_object_set_string_member(args, "outdev", "compare_out0");
		json_object_set_string_member(args, "iothread", "colo-iothread0");
		cc_seq_add(seq, "object-add", args);
	}
	/* writes go to the secondary's copy as well, through NBD */
	args = cc_id("driver", "replication");
	json_object_set_string_member(args, "node-name", CC_TOPOLOGY_REPL_NODE);
	json_object_set_string_member(args, "mode", "primary");
	file = cc_id("driver", "nbd");
	json_object_set_object_member(file, "server", cc_inet(spec->secondary_address, pn));
	json_object_set_string_member(file, "export", CC_TOPOLOGY_EXPORT);
	json_object_set_object_member(args, "file", file);
	cc_seq_add(seq, "blockdev-add", args);
	args = cc_id("parent", CC_TOPOLOGY_DISK);
	json_object_set_string_member(args, "node", CC_TOPOLOGY_REPL_NODE);
	cc_seq_add(seq, "x-blockdev-change", args);
	return seq;
}

GPtrArray *
cc_topology_primary_start(const CcPairSpec *spec, const CcCaps *caps)
{
	static const gchar *const colo[] = {"x-colo", NULL};
	GPtrArray *seq = cc_seq_new();
	g_autofree gchar *pmig = cc_port(spec, CC_TOPOLOGY_PORT_MIGRATE);
	g_autofree gchar *uri = g_strdup_printf("tcp:%s:%s", spec->secondary_address, pmig);
	JsonObject *args;

	cc_seq_add(seq, "migrate-set-capabilities", cc_caps_args(colo));
	args = cc_obj();
	json_object_set_int_member(args, "x-checkpoint-delay", spec->checkpoint_ms);
	cc_seq_add(seq, "migrate-set-parameters", args);
	cc_seq_add(seq, "migrate", cc_id("uri", uri));
	return seq;
}

const gchar *const cc_topology_linked_chardevs[] = {"mirror0", "compare1", NULL};

static const gchar *const cc_secondary_chardevs[] = {"red1", "red0", NULL};
static const gchar *const cc_primary_objects[] = {"comp0",   "colo-iothread0", "m0",
						  "redire0", "redire1",        NULL};
static const gchar *const cc_primary_chardevs[] = {
	"compare0-0", "compare0", "compare_out0", "compare_out", "mirror0", "compare1", NULL};

GPtrArray *
cc_topology_failover_secondary(const CcPairSpec *spec, const CcCaps *caps)
{
	GPtrArray *seq = cc_seq_new();

	/* the old primary's NBD client is gone; the export must not take new writers */
	cc_seq_add_may_fail(seq, "nbd-server-stop", NULL);
	/* the failover itself: replication commits the active overlay, the guest runs */
	cc_seq_add(seq, "x-colo-lost-heartbeat", NULL);
	if (spec->net) {
		/* rew0 stays: it keeps fixing sequence numbers of connections the guest
		 * made while it was the secondary */
		cc_seq_add_may_fail(seq, "object-del", cc_id("id", "f2"));
		cc_seq_add_may_fail(seq, "object-del", cc_id("id", "f1"));
		for (guint i = 0; cc_secondary_chardevs[i] != NULL; i++)
			cc_seq_add_may_fail(seq, "chardev-remove",
					    cc_id("id", cc_secondary_chardevs[i]));
		/* the switches learn where the guest lives now */
		if (cc_caps_has_command(caps, "announce-self")) {
			JsonObject *args = cc_obj();
			json_object_set_int_member(args, "initial", 50);
			json_object_set_int_member(args, "max", 550);
			json_object_set_int_member(args, "rounds", 5);
			json_object_set_int_member(args, "step", 100);
			cc_seq_add_may_fail(seq, "announce-self", args);
		}
	}
	return seq;
}

GPtrArray *
cc_topology_failover_primary(const CcPairSpec *spec, const CcCaps *caps)
{
	GPtrArray *seq = cc_seq_new();
	JsonObject *args = cc_id("parent", CC_TOPOLOGY_DISK);

	json_object_set_string_member(args, "child", CC_TOPOLOGY_REPL_CHILD);
	cc_seq_add_may_fail(seq, "x-blockdev-change", args);
	cc_seq_add_may_fail(seq, "blockdev-del", cc_id("node-name", CC_TOPOLOGY_REPL_NODE));
	if (spec->net) {
		for (guint i = 0; cc_primary_objects[i] != NULL; i++)
			cc_seq_add_may_fail(seq, "object-del", cc_id("id", cc_primary_objects[i]));
	}
	cc_seq_add(seq, "x-colo-lost-heartbeat", NULL);
	if (spec->net) {
		for (guint i = 0; cc_primary_chardevs[i] != NULL; i++)
			cc_seq_add_may_fail(seq, "chardev-remove",
					    cc_id("id", cc_primary_chardevs[i]));
	}
	return seq;
}
