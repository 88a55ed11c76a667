/*
 * cc-topology: the COLO pair topology as data (command lines and QMP
 * sequences), then the same sequences run on the fake QMP server, whose strict
 * argument checking uses QEMU 7.2's schema, to show QEMU would take them.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <glib/gstdio.h>

#include "cc-test-util.h"
#include "cc-topology.h"

#define SEC_DISK    "/srv/a,b/sec.img"
#define ACTIVE_DISK "/srv/act,ive.qcow2"
#define HIDDEN_DISK "/srv/hidden.qcow2"

static const CcPairSpec spec_net = {
	.guest = "vm1",
	.net = TRUE,
	.primary_address = "10.0.0.1",
	.secondary_address = "10.0.0.2",
	.port_base = 7000,
	.sock_dir = "/run/coloctl",
	.sock_prefix = "vm1-a",
	.secondary_disk = SEC_DISK,
	.active_disk = ACTIVE_DISK,
	.hidden_disk = HIDDEN_DISK,
	.checkpoint_ms = 2500,
};

/* capabilities as a probe would find them: QEMU 7.2 or one with the seeds' patch */
static CcCaps *
caps_new(gboolean enable_when_stopped, gboolean announce_self)
{
	CcCaps *caps = cc_caps_new();

	caps->colo = TRUE;
	caps->enable_when_stopped = enable_when_stopped;
	g_hash_table_add(caps->commands, g_strdup("x-colo-lost-heartbeat"));
	if (announce_self)
		g_hash_table_add(caps->commands, g_strdup("announce-self"));
	return caps;
}

static CcPairSpec
spec_without_net(void)
{
	CcPairSpec spec = spec_net;

	spec.net = FALSE;
	return spec;
}

/* ------------------------------------------------------------------ JSON */

static JsonNode *
jpath(JsonObject *obj, const gchar *path)
{
	g_auto(GStrv) parts = g_strsplit(path, ".", -1);
	JsonNode *node = NULL;

	for (guint i = 0; parts[i] != NULL; i++) {
		if (obj == NULL || !json_object_has_member(obj, parts[i]))
			return NULL;
		node = json_object_get_member(obj, parts[i]);
		obj = JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
	}
	return node;
}

static const gchar *
jstr(JsonObject *obj, const gchar *path)
{
	JsonNode *node = jpath(obj, path);

	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
	    json_node_get_value_type(node) != G_TYPE_STRING)
		return NULL;
	return json_node_get_string(node);
}

static gint64
jint(JsonObject *obj, const gchar *path)
{
	JsonNode *node = jpath(obj, path);

	g_assert_nonnull(node);
	g_assert_true(JSON_NODE_HOLDS_VALUE(node));
	g_assert_true(json_node_get_value_type(node) == G_TYPE_INT64);
	return json_node_get_int(node);
}

static gboolean
jbool(JsonObject *obj, const gchar *path)
{
	JsonNode *node = jpath(obj, path);

	g_assert_nonnull(node);
	g_assert_true(JSON_NODE_HOLDS_VALUE(node));
	g_assert_true(json_node_get_value_type(node) == G_TYPE_BOOLEAN);
	return json_node_get_boolean(node);
}

static gint
cmp_str(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(*(const gchar *const *)a, *(const gchar *const *)b);
}

/* @strv's strings, sorted and joined with commas */
static gchar *
sorted_join(GPtrArray *strv)
{
	g_ptr_array_sort(strv, cmp_str);
	g_ptr_array_add(strv, NULL);
	return g_strjoinv(",", (gchar **)strv->pdata);
}

/* @obj (its member at @path, or itself for NULL) has exactly the members in
 * @want, comma-separated */
static void
assert_members(JsonObject *obj, const gchar *path, const gchar *want)
{
	JsonNode *node = path != NULL ? jpath(obj, path) : NULL;
	JsonObject *o = path != NULL ? NULL : obj;
	g_autoptr(GList) names = NULL;
	g_auto(GStrv) wanted = g_strsplit(want, ",", -1);
	g_autoptr(GPtrArray) got_v = g_ptr_array_new();
	g_autoptr(GPtrArray) want_v = g_ptr_array_new();
	g_autofree gchar *got_s = NULL;
	g_autofree gchar *want_s = NULL;

	if (node != NULL && JSON_NODE_HOLDS_OBJECT(node))
		o = json_node_get_object(node);
	g_assert_nonnull(o);
	names = json_object_get_members(o);
	for (GList *l = names; l != NULL; l = l->next)
		g_ptr_array_add(got_v, l->data);
	for (guint i = 0; wanted[i] != NULL; i++)
		g_ptr_array_add(want_v, wanted[i]);
	got_s = sorted_join(got_v);
	want_s = sorted_join(want_v);
	g_assert_cmpstr(got_s, ==, want_s);
}

static gchar *
to_json(JsonObject *obj)
{
	g_autoptr(JsonNode) node = json_node_new(JSON_NODE_OBJECT);

	if (obj == NULL)
		return g_strdup("null");
	json_node_set_object(node, obj);
	return json_to_string(node, FALSE);
}

/* step @i of @seq is @command; its arguments */
static JsonObject *
expect_step(GPtrArray *seq, guint i, const gchar *command, gboolean may_fail)
{
	CcQmpStep *step;

	g_assert_cmpuint(i, <, seq->len);
	step = g_ptr_array_index(seq, i);
	g_assert_cmpstr(step->command, ==, command);
	g_assert_cmpint(step->may_fail, ==, may_fail);
	return step->arguments;
}

/* ------------------------------------------------------------- keyval */

/* QEMU's option syntax: "a=b,c=d", ",," for a comma; a bare first element is "" */
static GHashTable *
opts_parse(const gchar *str)
{
	GHashTable *opts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	const gchar *p = str;
	gboolean first = TRUE;

	while (TRUE) {
		g_autoptr(GString) elem = g_string_new(NULL);
		const gchar *eq;

		for (; *p != '\0'; p++) {
			if (*p == ',' && p[1] == ',') {
				g_string_append_c(elem, ',');
				p++;
				continue;
			}
			if (*p == ',')
				break;
			g_string_append_c(elem, *p);
		}
		eq = strchr(elem->str, '=');
		if (eq != NULL) {
			g_assert_false(g_hash_table_contains(opts, elem->str));
			g_hash_table_insert(opts, g_strndup(elem->str, eq - elem->str),
					    g_strdup(eq + 1));
		} else {
			g_assert_true(first);
			g_hash_table_insert(opts, g_strdup(""), g_strdup(elem->str));
		}
		first = FALSE;
		if (*p == '\0')
			break;
		p++;
	}
	return opts;
}

/* @value parses to exactly the pairs in @want ("key", "value", ..., NULL) */
static void
assert_opts(const gchar *value, ...)
{
	g_autoptr(GHashTable) opts = opts_parse(value);
	guint n = 0;
	va_list ap;

	va_start(ap, value);
	for (const gchar *key = va_arg(ap, const gchar *); key != NULL;
	     key = va_arg(ap, const gchar *)) {
		const gchar *want = va_arg(ap, const gchar *);

		if (g_strcmp0(g_hash_table_lookup(opts, key), want) != 0)
			g_test_message("%s: key '%s'", value, key);
		g_assert_cmpstr(g_hash_table_lookup(opts, key), ==, want);
		n++;
	}
	va_end(ap);
	if (g_hash_table_size(opts) != n)
		g_test_message("%s: %u keys, expected %u", value, g_hash_table_size(opts), n);
	g_assert_cmpuint(g_hash_table_size(opts), ==, n);
}

/* ------------------------------------------------------- pure: argv */

static void
test_primary_drive(void)
{
	g_autofree gchar *drive = cc_topology_primary_drive("/var/lib/x,y/disk.img", "raw");
	g_autofree gchar *qcow = cc_topology_primary_drive("/d/plain.qcow2", "qcow2");

	/* the comma in the path is doubled, so QEMU reads one path */
	g_assert_nonnull(strstr(drive, "children.0.file.filename=/var/lib/x,,y/disk.img"));
	assert_opts(drive, "if", "none", "id", "colo-disk0", "driver", "quorum", "read-pattern",
		    "fifo", "vote-threshold", "1", "children.0.driver", "raw",
		    "children.0.file.driver", "file", "children.0.file.filename",
		    "/var/lib/x,y/disk.img", "children.0.file.locking", "off", "cache", "none",
		    NULL);
	assert_opts(qcow, "if", "none", "id", "colo-disk0", "driver", "quorum", "read-pattern",
		    "fifo", "vote-threshold", "1", "children.0.driver", "qcow2",
		    "children.0.file.driver", "file", "children.0.file.filename", "/d/plain.qcow2",
		    "children.0.file.locking", "off", "cache", "none", NULL);
}

/* the options of @args, in order, as one string: "-drive -drive ..." */
static gchar *
args_options(GPtrArray *args)
{
	g_autoptr(GString) s = g_string_new(NULL);

	g_assert_cmpuint(args->len % 2, ==, 0);
	for (guint i = 0; i < args->len; i += 2)
		g_string_append_printf(s, "%s%s", i > 0 ? " " : "",
				       (gchar *)g_ptr_array_index(args, i));
	return g_string_free(g_steal_pointer(&s), FALSE);
}

static const gchar *
arg_value(GPtrArray *args, guint option_index)
{
	g_assert_cmpuint(option_index * 2 + 1, <, args->len);
	return g_ptr_array_index(args, option_index * 2 + 1);
}

static void
check_secondary_disks(GPtrArray *args)
{
	g_assert_nonnull(strstr(arg_value(args, 0), "file.filename=/srv/a,,b/sec.img"));
	assert_opts(arg_value(args, 0), "if", "none", "id", "parent0", "driver", "raw",
		    "file.driver", "file", "file.filename", SEC_DISK, NULL);
	g_assert_nonnull(strstr(arg_value(args, 1), "file.file.filename=/srv/act,,ive.qcow2"));
	assert_opts(arg_value(args, 1), "if", "none", "id", "childs0", "driver", "replication",
		    "mode", "secondary", "top-id", "colo-disk0", "file.driver", "qcow2",
		    "file.file.filename", ACTIVE_DISK, "file.backing.driver", "qcow2",
		    "file.backing.file.filename", HIDDEN_DISK, "file.backing.backing", "parent0",
		    NULL);
	assert_opts(arg_value(args, 2), "if", "none", "id", "colo-disk0", "driver", "quorum",
		    "read-pattern", "fifo", "vote-threshold", "1", "children.0", "childs0", NULL);
}

static void
check_secondary_args(gboolean ews)
{
	g_autoptr(CcCaps) caps = caps_new(ews, TRUE);
	g_autoptr(GPtrArray) args = cc_topology_secondary_args(&spec_net, caps);
	g_autofree gchar *options = args_options(args);
	const gchar *on = ews ? "on" : NULL;

	g_assert_cmpstr(options, ==,
			"-drive -drive -drive -chardev -chardev -object -object -object -incoming");
	check_secondary_disks(args);
	/* they connect to the primary's servers, which appear at protect time */
	assert_opts(arg_value(args, 3), "", "socket", "id", "red0", "host", "10.0.0.1", "port",
		    "7000", "reconnect", "1", NULL);
	assert_opts(arg_value(args, 4), "", "socket", "id", "red1", "host", "10.0.0.1", "port",
		    "7001", "reconnect", "1", NULL);
	if (ews) {
		assert_opts(arg_value(args, 5), "", "filter-redirector", "id", "f1", "netdev",
			    "hn0", "queue", "tx", "indev", "red0", "enable_when_stopped", on, NULL);
		assert_opts(arg_value(args, 6), "", "filter-redirector", "id", "f2", "netdev",
			    "hn0", "queue", "rx", "outdev", "red1", "enable_when_stopped", on,
			    NULL);
	} else {
		g_assert_null(strstr(arg_value(args, 5), "enable_when_stopped"));
		g_assert_null(strstr(arg_value(args, 6), "enable_when_stopped"));
		assert_opts(arg_value(args, 5), "", "filter-redirector", "id", "f1", "netdev",
			    "hn0", "queue", "tx", "indev", "red0", NULL);
		assert_opts(arg_value(args, 6), "", "filter-redirector", "id", "f2", "netdev",
			    "hn0", "queue", "rx", "outdev", "red1", NULL);
	}
	/* never on the rewriter */
	assert_opts(arg_value(args, 7), "", "filter-rewriter", "id", "rew0", "netdev", "hn0",
		    "queue", "all", NULL);
	g_assert_cmpstr(arg_value(args, 8), ==, "defer");
}

static void
test_secondary_args(void)
{
	check_secondary_args(FALSE);
}

static void
test_secondary_args_enable_when_stopped(void)
{
	check_secondary_args(TRUE);
}

static void
test_secondary_args_no_net(void)
{
	CcPairSpec spec = spec_without_net();

	for (gint ews = 0; ews <= 1; ews++) {
		g_autoptr(CcCaps) caps = caps_new(ews, TRUE);
		g_autoptr(GPtrArray) args = cc_topology_secondary_args(&spec, caps);
		g_autofree gchar *options = args_options(args);

		/* a guest with --net none gets no chardev and no network filter */
		g_assert_cmpstr(options, ==, "-drive -drive -drive -incoming");
		check_secondary_disks(args);
		g_assert_cmpstr(arg_value(args, 3), ==, "defer");
	}
}

/* -------------------------------------------------- pure: sequences */

static void
test_secondary_prepare(void)
{
	g_autoptr(CcCaps) caps = caps_new(FALSE, TRUE);
	g_autoptr(GPtrArray) seq = cc_topology_secondary_prepare(&spec_net, caps);
	JsonObject *a;
	JsonArray *list;

	g_assert_cmpuint(seq->len, ==, 4);
	a = expect_step(seq, 0, "migrate-set-capabilities", FALSE);
	assert_members(a, NULL, "capabilities");
	list = json_object_get_array_member(a, "capabilities");
	g_assert_cmpuint(json_array_get_length(list), ==, 1);
	g_assert_cmpstr(jstr(json_array_get_object_element(list, 0), "capability"), ==, "x-colo");
	g_assert_true(jbool(json_array_get_object_element(list, 0), "state"));

	/* QEMU 7.2's nbd-server-start takes a SocketAddressLegacy: {type, data:{...}} */
	a = expect_step(seq, 1, "nbd-server-start", FALSE);
	assert_members(a, NULL, "addr");
	assert_members(a, "addr", "type,data");
	g_assert_cmpstr(jstr(a, "addr.type"), ==, "inet");
	assert_members(a, "addr.data", "host,port");
	g_assert_cmpstr(jstr(a, "addr.data.host"), ==, "10.0.0.2");
	g_assert_cmpstr(jstr(a, "addr.data.port"), ==, "7002");

	a = expect_step(seq, 2, "nbd-server-add", FALSE);
	assert_members(a, NULL, "device,writable");
	g_assert_cmpstr(jstr(a, "device"), ==, "parent0");
	g_assert_true(jbool(a, "writable"));

	a = expect_step(seq, 3, "migrate-incoming", FALSE);
	assert_members(a, NULL, "uri");
	g_assert_cmpstr(jstr(a, "uri"), ==, "tcp:10.0.0.2:7003");
}

static void
test_resync(void)
{
	g_autoptr(CcQmpStep) step = cc_topology_resync(&spec_net);

	g_assert_cmpstr(step->command, ==, "drive-mirror");
	g_assert_false(step->may_fail);
	assert_members(step->arguments, NULL, "device,job-id,target,mode,format,sync");
	g_assert_cmpstr(jstr(step->arguments, "device"), ==, "colo-disk0");
	g_assert_cmpstr(jstr(step->arguments, "job-id"), ==, CC_TOPOLOGY_MIRROR_JOB);
	g_assert_cmpstr(jstr(step->arguments, "target"), ==, "nbd://10.0.0.2:7002/parent0");
	g_assert_cmpstr(jstr(step->arguments, "mode"), ==, "existing");
	g_assert_cmpstr(jstr(step->arguments, "format"), ==, "raw");
	g_assert_cmpstr(jstr(step->arguments, "sync"), ==, "full");
}

static void
check_tcp_server(JsonObject *a, const gchar *id, const gchar *port)
{
	assert_members(a, NULL, "id,backend");
	g_assert_cmpstr(jstr(a, "id"), ==, id);
	g_assert_cmpstr(jstr(a, "backend.type"), ==, "socket");
	assert_members(a, "backend.data", "addr,server,wait");
	/* chardev-add takes the legacy SocketAddress */
	g_assert_cmpstr(jstr(a, "backend.data.addr.type"), ==, "inet");
	assert_members(a, "backend.data.addr.data", "host,port");
	g_assert_cmpstr(jstr(a, "backend.data.addr.data.host"), ==, "10.0.0.1");
	g_assert_cmpstr(jstr(a, "backend.data.addr.data.port"), ==, port);
	g_assert_true(jbool(a, "backend.data.server"));
	g_assert_false(jbool(a, "backend.data.wait"));
}

static void
check_unix(JsonObject *a, const gchar *id, const gchar *path, gboolean server)
{
	assert_members(a, NULL, "id,backend");
	g_assert_cmpstr(jstr(a, "id"), ==, id);
	g_assert_cmpstr(jstr(a, "backend.type"), ==, "socket");
	assert_members(a, "backend.data", server ? "addr,server,wait" : "addr,server");
	g_assert_cmpstr(jstr(a, "backend.data.addr.type"), ==, "unix");
	assert_members(a, "backend.data.addr.data", "path");
	g_assert_cmpstr(jstr(a, "backend.data.addr.data.path"), ==, path);
	g_assert_cmpint(jbool(a, "backend.data.server"), ==, server);
	if (server)
		g_assert_false(jbool(a, "backend.data.wait"));
}

static void
check_replication_child(GPtrArray *seq, guint i)
{
	JsonObject *a = expect_step(seq, i, "blockdev-add", FALSE);

	assert_members(a, NULL, "driver,node-name,mode,file");
	g_assert_cmpstr(jstr(a, "driver"), ==, "replication");
	g_assert_cmpstr(jstr(a, "node-name"), ==, "colo-repl0");
	g_assert_cmpstr(jstr(a, "mode"), ==, "primary");
	assert_members(a, "file", "driver,server,export");
	g_assert_cmpstr(jstr(a, "file.driver"), ==, "nbd");
	g_assert_cmpstr(jstr(a, "file.export"), ==, "parent0");
	/* BlockdevOptionsNbd.server is the flat SocketAddress */
	assert_members(a, "file.server", "type,host,port");
	g_assert_cmpstr(jstr(a, "file.server.type"), ==, "inet");
	g_assert_cmpstr(jstr(a, "file.server.host"), ==, "10.0.0.2");
	g_assert_cmpstr(jstr(a, "file.server.port"), ==, "7002");

	a = expect_step(seq, i + 1, "x-blockdev-change", FALSE);
	assert_members(a, NULL, "parent,node");
	g_assert_cmpstr(jstr(a, "parent"), ==, "colo-disk0");
	g_assert_cmpstr(jstr(a, "node"), ==, "colo-repl0");
}

static void
check_primary_protect(gboolean ews)
{
	g_autoptr(CcCaps) caps = caps_new(ews, TRUE);
	g_autoptr(GPtrArray) seq = cc_topology_primary_protect(&spec_net, caps);
	const gchar *redire0 = ews ? "qom-type,id,netdev,queue,indev,enable_when_stopped"
				   : "qom-type,id,netdev,queue,indev";
	const gchar *redire1 = ews ? "qom-type,id,netdev,queue,outdev,enable_when_stopped"
				   : "qom-type,id,netdev,queue,outdev";
	JsonObject *a;

	g_assert_cmpuint(seq->len, ==, 15);
	/* stopped first, so the copy is exact */
	g_assert_null(expect_step(seq, 0, "stop", FALSE));
	a = expect_step(seq, 1, "block-job-cancel", FALSE);
	assert_members(a, NULL, "device");
	g_assert_cmpstr(jstr(a, "device"), ==, CC_TOPOLOGY_MIRROR_JOB);

	check_tcp_server(expect_step(seq, 2, "chardev-add", FALSE), "mirror0", "7000");
	check_tcp_server(expect_step(seq, 3, "chardev-add", FALSE), "compare1", "7001");
	check_unix(expect_step(seq, 4, "chardev-add", FALSE), "compare0",
		   "/run/coloctl/vm1-a.compare0", TRUE);
	check_unix(expect_step(seq, 5, "chardev-add", FALSE), "compare0-0",
		   "/run/coloctl/vm1-a.compare0", FALSE);
	check_unix(expect_step(seq, 6, "chardev-add", FALSE), "compare_out",
		   "/run/coloctl/vm1-a.compare_out", TRUE);
	check_unix(expect_step(seq, 7, "chardev-add", FALSE), "compare_out0",
		   "/run/coloctl/vm1-a.compare_out", FALSE);

	a = expect_step(seq, 8, "object-add", FALSE);
	assert_members(a, NULL, "qom-type,id");
	g_assert_cmpstr(jstr(a, "qom-type"), ==, "iothread");
	g_assert_cmpstr(jstr(a, "id"), ==, "colo-iothread0");

	a = expect_step(seq, 9, "object-add", FALSE);
	assert_members(a, NULL, "qom-type,id,netdev,queue,outdev");
	g_assert_cmpstr(jstr(a, "qom-type"), ==, "filter-mirror");
	g_assert_cmpstr(jstr(a, "id"), ==, "m0");
	g_assert_cmpstr(jstr(a, "netdev"), ==, "hn0");
	g_assert_cmpstr(jstr(a, "queue"), ==, "tx");
	g_assert_cmpstr(jstr(a, "outdev"), ==, "mirror0");

	a = expect_step(seq, 10, "object-add", FALSE);
	assert_members(a, NULL, redire0);
	g_assert_cmpstr(jstr(a, "qom-type"), ==, "filter-redirector");
	g_assert_cmpstr(jstr(a, "id"), ==, "redire0");
	g_assert_cmpstr(jstr(a, "netdev"), ==, "hn0");
	g_assert_cmpstr(jstr(a, "queue"), ==, "rx");
	g_assert_cmpstr(jstr(a, "indev"), ==, "compare_out");
	if (ews)
		g_assert_true(jbool(a, "enable_when_stopped"));

	a = expect_step(seq, 11, "object-add", FALSE);
	assert_members(a, NULL, redire1);
	g_assert_cmpstr(jstr(a, "qom-type"), ==, "filter-redirector");
	g_assert_cmpstr(jstr(a, "id"), ==, "redire1");
	g_assert_cmpstr(jstr(a, "netdev"), ==, "hn0");
	g_assert_cmpstr(jstr(a, "queue"), ==, "rx");
	g_assert_cmpstr(jstr(a, "outdev"), ==, "compare0");
	if (ews)
		g_assert_true(jbool(a, "enable_when_stopped"));

	a = expect_step(seq, 12, "object-add", FALSE);
	assert_members(a, NULL, "qom-type,id,primary_in,secondary_in,outdev,iothread");
	g_assert_cmpstr(jstr(a, "qom-type"), ==, "colo-compare");
	g_assert_cmpstr(jstr(a, "id"), ==, "comp0");
	g_assert_cmpstr(jstr(a, "primary_in"), ==, "compare0-0");
	g_assert_cmpstr(jstr(a, "secondary_in"), ==, "compare1");
	g_assert_cmpstr(jstr(a, "outdev"), ==, "compare_out0");
	g_assert_cmpstr(jstr(a, "iothread"), ==, "colo-iothread0");

	check_replication_child(seq, 13);
}

static void
test_primary_protect(void)
{
	check_primary_protect(FALSE);
}

static void
test_primary_protect_enable_when_stopped(void)
{
	check_primary_protect(TRUE);
}

static void
test_primary_protect_no_net(void)
{
	CcPairSpec spec = spec_without_net();

	for (gint ews = 0; ews <= 1; ews++) {
		g_autoptr(CcCaps) caps = caps_new(ews, TRUE);
		g_autoptr(GPtrArray) seq = cc_topology_primary_protect(&spec, caps);

		/* no chardev, filter, iothread or colo-compare */
		g_assert_cmpuint(seq->len, ==, 4);
		g_assert_null(expect_step(seq, 0, "stop", FALSE));
		expect_step(seq, 1, "block-job-cancel", FALSE);
		check_replication_child(seq, 2);
	}
}

static void
test_primary_start(void)
{
	g_autoptr(CcCaps) caps = caps_new(FALSE, TRUE);
	g_autoptr(GPtrArray) seq = cc_topology_primary_start(&spec_net, caps);
	JsonObject *a;
	JsonArray *list;

	g_assert_cmpuint(seq->len, ==, 3);
	a = expect_step(seq, 0, "migrate-set-capabilities", FALSE);
	list = json_object_get_array_member(a, "capabilities");
	g_assert_cmpuint(json_array_get_length(list), ==, 1);
	g_assert_cmpstr(jstr(json_array_get_object_element(list, 0), "capability"), ==, "x-colo");
	g_assert_true(jbool(json_array_get_object_element(list, 0), "state"));
	a = expect_step(seq, 1, "migrate-set-parameters", FALSE);
	assert_members(a, NULL, "x-checkpoint-delay");
	g_assert_cmpint(jint(a, "x-checkpoint-delay"), ==, 2500);
	a = expect_step(seq, 2, "migrate", FALSE);
	assert_members(a, NULL, "uri");
	g_assert_cmpstr(jstr(a, "uri"), ==, "tcp:10.0.0.2:7003");
}

static void
expect_id_step(GPtrArray *seq, guint i, const gchar *command, const gchar *id)
{
	JsonObject *a = expect_step(seq, i, command, TRUE);

	assert_members(a, NULL, "id");
	g_assert_cmpstr(jstr(a, "id"), ==, id);
}

static void
test_failover_secondary(void)
{
	g_autoptr(CcCaps) caps = caps_new(FALSE, TRUE);
	g_autoptr(GPtrArray) seq = cc_topology_failover_secondary(&spec_net, caps);
	JsonObject *a;

	g_assert_cmpuint(seq->len, ==, 7);
	g_assert_null(expect_step(seq, 0, "nbd-server-stop", TRUE));
	/* the failover itself must not fail silently */
	g_assert_null(expect_step(seq, 1, "x-colo-lost-heartbeat", FALSE));
	expect_id_step(seq, 2, "object-del", "f2");
	expect_id_step(seq, 3, "object-del", "f1");
	expect_id_step(seq, 4, "chardev-remove", "red1");
	expect_id_step(seq, 5, "chardev-remove", "red0");
	/* QEMU 7.2's announce-self requires all four */
	a = expect_step(seq, 6, "announce-self", TRUE);
	assert_members(a, NULL, "initial,max,rounds,step");
	g_assert_cmpint(jint(a, "initial"), ==, 50);
	g_assert_cmpint(jint(a, "max"), ==, 550);
	g_assert_cmpint(jint(a, "rounds"), ==, 5);
	g_assert_cmpint(jint(a, "step"), ==, 100);
}

static void
test_failover_secondary_no_announce(void)
{
	g_autoptr(CcCaps) caps = caps_new(FALSE, FALSE);
	g_autoptr(GPtrArray) seq = cc_topology_failover_secondary(&spec_net, caps);

	g_assert_cmpuint(seq->len, ==, 6);
	g_assert_null(expect_step(seq, 0, "nbd-server-stop", TRUE));
	g_assert_null(expect_step(seq, 1, "x-colo-lost-heartbeat", FALSE));
	expect_id_step(seq, 5, "chardev-remove", "red0");
}

static void
test_failover_secondary_no_net(void)
{
	CcPairSpec spec = spec_without_net();
	g_autoptr(CcCaps) caps = caps_new(TRUE, TRUE);
	g_autoptr(GPtrArray) seq = cc_topology_failover_secondary(&spec, caps);

	g_assert_cmpuint(seq->len, ==, 2);
	g_assert_null(expect_step(seq, 0, "nbd-server-stop", TRUE));
	g_assert_null(expect_step(seq, 1, "x-colo-lost-heartbeat", FALSE));
}

static void
check_failover_primary_head(GPtrArray *seq)
{
	JsonObject *a = expect_step(seq, 0, "x-blockdev-change", TRUE);

	assert_members(a, NULL, "parent,child");
	g_assert_cmpstr(jstr(a, "parent"), ==, "colo-disk0");
	g_assert_cmpstr(jstr(a, "child"), ==, "children.1");
	a = expect_step(seq, 1, "blockdev-del", TRUE);
	assert_members(a, NULL, "node-name");
	g_assert_cmpstr(jstr(a, "node-name"), ==, "colo-repl0");
}

static void
test_failover_primary(void)
{
	static const gchar *const objects[] = {"comp0",   "colo-iothread0", "m0",
					       "redire0", "redire1",        NULL};
	static const gchar *const chardevs[] = {"compare0-0",  "compare0", "compare_out0",
						"compare_out", "mirror0",  "compare1",
						NULL};
	g_autoptr(CcCaps) caps = caps_new(TRUE, TRUE);
	g_autoptr(GPtrArray) seq = cc_topology_failover_primary(&spec_net, caps);
	guint i = 2;

	g_assert_cmpuint(seq->len, ==, 2 + 5 + 1 + 6);
	check_failover_primary_head(seq);
	for (guint k = 0; objects[k] != NULL; k++)
		expect_id_step(seq, i++, "object-del", objects[k]);
	g_assert_null(expect_step(seq, i++, "x-colo-lost-heartbeat", FALSE));
	for (guint k = 0; chardevs[k] != NULL; k++)
		expect_id_step(seq, i++, "chardev-remove", chardevs[k]);
}

static void
test_failover_primary_no_net(void)
{
	CcPairSpec spec = spec_without_net();
	g_autoptr(CcCaps) caps = caps_new(TRUE, TRUE);
	g_autoptr(GPtrArray) seq = cc_topology_failover_primary(&spec, caps);

	g_assert_cmpuint(seq->len, ==, 3);
	check_failover_primary_head(seq);
	g_assert_null(expect_step(seq, 2, "x-colo-lost-heartbeat", FALSE));
}

/* the exported lists name what the sequences use */
static void
test_names(void)
{
	g_autoptr(CcCaps) caps = caps_new(TRUE, TRUE);
	g_autoptr(GPtrArray) protect = cc_topology_primary_protect(&spec_net, caps);
	g_autoptr(GPtrArray) args = cc_topology_secondary_args(&spec_net, caps);
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
	guint n = 0;

	g_assert_cmpstr(cc_topology_linked_chardevs[0], ==, "mirror0");
	g_assert_cmpstr(cc_topology_linked_chardevs[1], ==, "compare1");
	g_assert_null(cc_topology_linked_chardevs[2]);

	/* every object carrying enable_when_stopped is listed, and every listed one has it */
	for (guint i = 0; i < protect->len; i++) {
		CcQmpStep *step = g_ptr_array_index(protect, i);

		if (g_strcmp0(step->command, "object-add") == 0 &&
		    json_object_has_member(step->arguments, "enable_when_stopped"))
			g_hash_table_add(seen, (gpointer)jstr(step->arguments, "id"));
	}
	for (guint i = 1; i < args->len; i += 2) {
		const gchar *v = g_ptr_array_index(args, i);
		g_autoptr(GHashTable) opts = NULL;

		if (strstr(v, "enable_when_stopped") == NULL)
			continue;
		opts = opts_parse(v);
		g_hash_table_add(seen, (gpointer)g_intern_string(g_hash_table_lookup(opts, "id")));
	}
	for (guint i = 0; cc_topology_stopped_redirectors[i] != NULL; i++, n++)
		g_assert_true(g_hash_table_contains(seen, cc_topology_stopped_redirectors[i]));
	g_assert_cmpuint(n, ==, 4);
	g_assert_cmpuint(g_hash_table_size(seen), ==, n);
	g_assert_true(g_hash_table_contains(seen, "redire0"));
	g_assert_true(g_hash_table_contains(seen, "redire1"));
	g_assert_true(g_hash_table_contains(seen, "f1"));
	g_assert_true(g_hash_table_contains(seen, "f2"));
}

/* ------------------------------------------------- on the fake server */

typedef struct {
	gchar *dir;
	gchar *log;
	CcBackend *backend;
	CcQemu *member[2]; /* primary, secondary */
	GPtrArray *events[2];
} Fake;

static void
on_qmp_event(CcQemu *member G_GNUC_UNUSED, const gchar *name, JsonObject *data,
	     guint generation G_GNUC_UNUSED, gpointer user_data)
{
	GPtrArray *events = user_data;
	const gchar *status = data != NULL ? jstr(data, "status") : NULL;
	const gchar *reason = data != NULL ? jstr(data, "reason") : NULL;

	if (g_strcmp0(name, "JOB_STATUS_CHANGE") == 0)
		g_ptr_array_add(events, g_strdup_printf("%s:%s", name, status));
	else if (g_strcmp0(name, "COLO_EXIT") == 0)
		g_ptr_array_add(events,
				g_strdup_printf("%s:%s:%s", name, jstr(data, "mode"), reason));
	else
		g_ptr_array_add(events, g_strdup(name));
}

static void
fake_setup(Fake *f, const gchar *config)
{
	g_autofree gchar *contents = NULL;
	g_autofree gchar *cfg = NULL;

	f->dir = cc_test_tmpdir();
	f->log = g_build_filename(f->dir, "qmp.log", NULL);
	contents = g_strdup_printf("[default]\nlog=%s\n%s", f->log, config);
	cfg = cc_test_fake_config(f->dir, contents);
	f->backend = cc_test_backend();
}

static CcQemu *
fake_launch(Fake *f, guint which, const gchar *name, GPtrArray *extra)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GError) error = NULL;
	CcQemu *member;

	g_ptr_array_add(argv, (gpointer)cc_test_env("FAKE_QMP"));
	for (guint i = 0; extra != NULL && i < extra->len; i++)
		g_ptr_array_add(argv, g_ptr_array_index(extra, i));
	g_ptr_array_add(argv, NULL);
	member = cc_test_member_launch(f->backend, f->dir, name, (const gchar *const *)argv->pdata,
				       NULL, &error);
	g_assert_no_error(error);
	g_assert_nonnull(member);
	f->member[which] = member;
	f->events[which] = g_ptr_array_new_with_free_func(g_free);
	g_signal_connect(member, "qmp-event", G_CALLBACK(on_qmp_event), f->events[which]);
	return member;
}

static void
fake_stop(Fake *f, guint which)
{
	g_autoptr(GError) error = NULL;

	if (f->member[which] == NULL)
		return;
	g_signal_handlers_disconnect_by_data(f->member[which], f->events[which]);
	g_assert_true(cc_test_member_stop(f->member[which], 20000, &error));
	g_assert_no_error(error);
	g_clear_object(&f->member[which]);
}

static void
fake_teardown(Fake *f)
{
	for (guint i = 0; i < 2; i++) {
		fake_stop(f, i);
		g_clear_pointer(&f->events[i], g_ptr_array_unref);
	}
	g_clear_object(&f->backend);
	cc_test_rm_tmpdir(f->dir);
	g_free(f->dir);
	g_free(f->log);
}

static JsonNode *
fake_exec(CcQemu *member, const gchar *command, JsonObject *arguments, GError **error)
{
	CcTestAsync async = {0};
	JsonNode *ret;

	cc_qemu_execute_async(member, command, arguments, CC_QMP_FLAG_NONE, 5000, cc_test_async_cb,
			      &async);
	g_assert_nonnull(cc_test_async_wait(&async, 10000));
	ret = cc_qemu_execute_finish(member, async.res, error);
	cc_test_async_clear(&async);
	return ret;
}

/* every step must succeed, the may_fail ones too: on the fake nothing is missing */
static void
fake_run(CcQemu *member, GPtrArray *seq)
{
	for (guint i = 0; i < seq->len; i++) {
		CcQmpStep *step = g_ptr_array_index(seq, i);
		g_autoptr(GError) error = NULL;
		g_autoptr(JsonNode) ret = fake_exec(member, step->command, step->arguments, &error);

		if (ret == NULL) {
			g_autofree gchar *args = to_json(step->arguments);

			g_test_message("%s: step %u: %s %s: %s", cc_qemu_get_name(member), i,
				       step->command, args, error->message);
		}
		g_assert_no_error(error);
		g_assert_nonnull(ret);
	}
}

static JsonObject *
fake_query(CcQemu *member, const gchar *command)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) ret = fake_exec(member, command, NULL, &error);

	g_assert_no_error(error);
	g_assert_true(JSON_NODE_HOLDS_OBJECT(ret));
	return json_object_ref(json_node_get_object(ret));
}

/* polls @command until its @member is @value, for up to 5 s */
static void
fake_wait(CcQemu *member, const gchar *command, const gchar *path, const gchar *value)
{
	gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;

	while (TRUE) {
		g_autoptr(JsonObject) ret = fake_query(member, command);

		if (g_strcmp0(jstr(ret, path), value) == 0)
			return;
		if (g_get_monotonic_time() > deadline) {
			g_autofree gchar *text = to_json(ret);

			g_test_message("%s: %s: %s", cc_qemu_get_name(member), command, text);
			g_assert_cmpstr(jstr(ret, path), ==, value);
		}
		cc_test_spin(20);
	}
}

/* the drive-mirror is ready: by query-block-jobs and by BLOCK_JOB_READY */
static void
fake_resync(Fake *f, const CcPairSpec *spec)
{
	g_autoptr(CcQmpStep) resync = cc_topology_resync(spec);
	g_autoptr(GPtrArray) seq = g_ptr_array_new();
	gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
	gboolean ready = FALSE;

	g_ptr_array_add(seq, resync);
	fake_run(f->member[0], seq);
	while (!ready) {
		g_autoptr(GError) error = NULL;
		g_autoptr(JsonNode) ret = fake_exec(f->member[0], "query-block-jobs", NULL, &error);
		JsonArray *jobs;
		JsonObject *job;

		g_assert_no_error(error);
		jobs = json_node_get_array(ret);
		g_assert_cmpuint(json_array_get_length(jobs), ==, 1);
		job = json_array_get_object_element(jobs, 0);
		g_assert_cmpstr(jstr(job, "device"), ==, CC_TOPOLOGY_MIRROR_JOB);
		g_assert_cmpstr(jstr(job, "type"), ==, "mirror");
		g_assert_cmpint(jint(job, "len"), >, 0);
		ready = jbool(job, "ready");
		if (ready)
			g_assert_cmpint(jint(job, "offset"), ==, jint(job, "len"));
		else
			g_assert_cmpint(jint(job, "offset"), <, jint(job, "len"));
		g_assert_cmpint(g_get_monotonic_time(), <, deadline);
		if (!ready)
			cc_test_spin(20);
	}
	cc_test_spin(50);
	g_assert_true(cc_test_events_contain(f->events[0], "BLOCK_JOB_READY"));
}

/* after primary_protect: the job ended complete, the secondary's links are up */
static void
fake_check_protected(Fake *f, gboolean net)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) jobs = fake_exec(f->member[0], "query-block-jobs", NULL, &error);
	g_autoptr(JsonNode) chardevs = NULL;
	guint linked = 0;

	g_assert_no_error(error);
	g_assert_cmpuint(json_array_get_length(json_node_get_array(jobs)), ==, 0);
	cc_test_spin(50);
	/* a ready mirror cancelled completes: no BLOCK_JOB_CANCELLED */
	g_assert_true(cc_test_events_contain(f->events[0], "BLOCK_JOB_COMPLETED"));
	g_assert_false(cc_test_events_contain(f->events[0], "BLOCK_JOB_CANCELLED"));
	g_assert_true(cc_test_events_contain(f->events[0], "JOB_STATUS_CHANGE:null"));

	chardevs = fake_exec(f->member[0], "query-chardev", NULL, &error);
	g_assert_no_error(error);
	for (guint i = 0; i < json_array_get_length(json_node_get_array(chardevs)); i++) {
		JsonObject *c = json_array_get_object_element(json_node_get_array(chardevs), i);

		if (g_strv_contains(cc_topology_linked_chardevs, jstr(c, "label")) &&
		    !g_str_has_prefix(jstr(c, "filename"), "disconnected:"))
			linked++;
	}
	/* without a guest network, none of the primary's chardevs exist */
	g_assert_cmpuint(linked, ==,
			 net ? g_strv_length((gchar **)cc_topology_linked_chardevs) : 0);
}

/* the fake's command log: arguments of @name's object-add of @id */
static JsonObject *
log_object_add(const gchar *log, const gchar *name, const gchar *id)
{
	g_autofree gchar *text = NULL;
	g_auto(GStrv) lines = NULL;
	JsonObject *found = NULL;

	g_assert_true(g_file_get_contents(log, &text, NULL, NULL));
	lines = g_strsplit(text, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		g_autoptr(JsonNode) node = NULL;
		JsonObject *entry;

		if (lines[i][0] == '\0')
			continue;
		node = json_from_string(lines[i], NULL);
		g_assert_nonnull(node);
		entry = json_node_get_object(node);
		if (g_strcmp0(jstr(entry, "name"), name) != 0 ||
		    g_strcmp0(jstr(entry, "execute"), "object-add") != 0 ||
		    g_strcmp0(jstr(entry, "arguments.id"), id) != 0)
			continue;
		g_assert_null(found); /* added once */
		found = json_object_ref(json_object_get_object_member(entry, "arguments"));
	}
	g_assert_nonnull(found);
	return found;
}

/* the commands @name received, in order, space-separated */
static gchar *
log_commands(const gchar *log, const gchar *name)
{
	g_autofree gchar *text = NULL;
	g_auto(GStrv) lines = NULL;
	g_autoptr(GString) out = g_string_new(NULL);

	g_assert_true(g_file_get_contents(log, &text, NULL, NULL));
	lines = g_strsplit(text, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		g_autoptr(JsonNode) node = NULL;
		JsonObject *entry;

		if (lines[i][0] == '\0')
			continue;
		node = json_from_string(lines[i], NULL);
		entry = json_node_get_object(node);
		if (g_strcmp0(jstr(entry, "name"), name) == 0)
			g_string_append_printf(out, "%s%s", out->len > 0 ? " " : "",
					       jstr(entry, "execute"));
	}
	return g_string_free(g_steal_pointer(&out), FALSE);
}

static gchar *
seq_commands(GPtrArray *seq)
{
	g_autoptr(GString) out = g_string_new(NULL);

	for (guint i = 0; i < seq->len; i++)
		g_string_append_printf(out, "%s%s", i > 0 ? " " : "",
				       ((CcQmpStep *)g_ptr_array_index(seq, i))->command);
	return g_string_free(g_steal_pointer(&out), FALSE);
}

/* a listening port on 127.0.0.1 standing in for a secondary's migration port */
static GSocketListener *
migration_port(guint *port)
{
	GSocketListener *listener = g_socket_listener_new();
	g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) any = g_inet_socket_address_new(lo, 0);
	g_autoptr(GSocketAddress) bound = NULL;
	g_autoptr(GError) error = NULL;

	g_socket_listener_add_address(listener, any, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
				      NULL, &bound, &error);
	g_assert_no_error(error);
	*port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
	g_assert_cmpuint(*port, >=, CC_TOPOLOGY_PORT_MIGRATE);
	return listener;
}

/* a port free right now, for a secondary on the fake to listen on */
static guint
free_port(void)
{
	guint port = 0;
	g_autoptr(GSocketListener) listener = migration_port(&port);

	g_socket_listener_close(listener);
	return port;
}

/*
 * The test: probe the fake's capabilities as the daemon does, build the
 * primary's sequences from them, run them with strict argument checking against
 * QEMU 7.2's schema (enable_when_stopped in it only when configured), and read
 * in the fake's command log what the redirectors were created with.
 */
static void
check_fake_primary(gboolean ews)
{
	Fake f = {0};
	guint port = 0;
	g_autoptr(GSocketListener) secondary = migration_port(&port);
	CcPairSpec spec = spec_net;
	const CcCaps *caps;
	g_autoptr(GPtrArray) protect = NULL;
	g_autoptr(GPtrArray) start = NULL;
	g_autoptr(JsonObject) colo = NULL;
	g_autoptr(JsonObject) status = NULL;
	g_autofree gchar *sock_dir = NULL;
	g_autofree gchar *want_log = NULL;
	g_autofree gchar *got_log = NULL;

	fake_setup(&f, ews ? "enable-when-stopped=true\n" : "");
	sock_dir = g_strdup(f.dir);
	spec.primary_address = "127.0.0.1";
	spec.secondary_address = "127.0.0.1";
	spec.port_base = port - CC_TOPOLOGY_PORT_MIGRATE;
	spec.sock_dir = sock_dir;
	fake_launch(&f, 0, "pri", NULL);

	caps = cc_qemu_get_caps(f.member[0]);
	g_assert_nonnull(caps);
	g_assert_true(caps->colo);
	g_assert_cmpint(caps->enable_when_stopped, ==, ews);

	fake_resync(&f, &spec);
	protect = cc_topology_primary_protect(&spec, caps);
	fake_run(f.member[0], protect);
	fake_check_protected(&f, TRUE);
	start = cc_topology_primary_start(&spec, caps);
	fake_run(f.member[0], start);

	/* COLO runs: the migration is "colo", the member primary and running */
	fake_wait(f.member[0], "query-migrate", "status", "colo");
	colo = fake_query(f.member[0], "query-colo-status");
	g_assert_cmpstr(jstr(colo, "mode"), ==, "primary");
	status = fake_query(f.member[0], "query-status");
	g_assert_cmpstr(jstr(status, "status"), ==, "running");

	for (guint i = 0; i < 2; i++) {
		const gchar *id = i == 0 ? "redire0" : "redire1";
		g_autoptr(JsonObject) args = log_object_add(f.log, "pri", id);

		g_assert_cmpstr(jstr(args, "qom-type"), ==, "filter-redirector");
		if (ews)
			g_assert_true(jbool(args, "enable_when_stopped"));
		else
			g_assert_false(json_object_has_member(args, "enable_when_stopped"));
	}
	for (guint i = 0; i < 3; i++) {
		const gchar *id = (const gchar *[]){"m0", "comp0", "colo-iothread0"}[i];
		g_autoptr(JsonObject) args = log_object_add(f.log, "pri", id);

		g_assert_false(json_object_has_member(args, "enable_when_stopped"));
	}

	/* and nothing else was sent but the probe, the resync and the two sequences */
	{
		g_autofree gchar *p = seq_commands(protect);
		g_autofree gchar *s = seq_commands(start);
		g_autofree gchar *sent = log_commands(f.log, "pri");
		const gchar *after = strstr(sent, "drive-mirror ");

		g_assert_nonnull(after);
		want_log = g_strconcat("drive-mirror ", p, " ", s, NULL);
		got_log = g_strdup(after);
		/* the polls in between are queries */
		{
			g_auto(GStrv) words = g_strsplit(got_log, " ", -1);
			g_autoptr(GString) kept = g_string_new(NULL);
			for (guint i = 0; words[i] != NULL; i++) {
				if (g_str_has_prefix(words[i], "query-"))
					continue;
				g_string_append_printf(kept, "%s%s", kept->len > 0 ? " " : "",
						       words[i]);
			}
			g_assert_cmpstr(kept->str, ==, want_log);
		}
	}

	/* 7.2's schema has no enable_when_stopped: the strict fake refuses it */
	if (!ews) {
		g_autoptr(JsonObject) args = json_object_new();
		g_autoptr(GError) error = NULL;
		g_autoptr(JsonNode) ret = NULL;

		json_object_set_string_member(args, "qom-type", "filter-redirector");
		json_object_set_string_member(args, "id", "redire9");
		json_object_set_string_member(args, "netdev", "hn0");
		json_object_set_string_member(args, "queue", "rx");
		json_object_set_string_member(args, "indev", "compare_out");
		json_object_set_boolean_member(args, "enable_when_stopped", TRUE);
		ret = fake_exec(f.member[0], "object-add", args, &error);
		g_assert_null(ret);
		g_assert_nonnull(error);
		g_assert_nonnull(strstr(error->message, "'enable_when_stopped' is unexpected"));
	}
	g_socket_listener_close(secondary);
	fake_teardown(&f);
}

static void
test_fake_enable_when_stopped(void)
{
	check_fake_primary(TRUE);
}

static void
test_fake_without_enable_when_stopped(void)
{
	check_fake_primary(FALSE);
}

/* both members on the fake, protected the way cc-colo does it */
static void
fake_pair_protect(Fake *f, CcPairSpec *spec, gboolean ews, gboolean net)
{
	g_autoptr(CcCaps) want = caps_new(ews, TRUE);
	g_autoptr(GPtrArray) extra = NULL;
	g_autoptr(GPtrArray) prepare = NULL;
	g_autoptr(GPtrArray) protect = NULL;
	g_autoptr(GPtrArray) start = NULL;
	g_autoptr(JsonObject) colo = NULL;
	const CcCaps *pcaps;
	const CcCaps *scaps;

	spec->net = net;
	spec->primary_address = "127.0.0.1";
	spec->secondary_address = "127.0.0.1";
	spec->port_base = free_port() - CC_TOPOLOGY_PORT_MIGRATE;
	spec->sock_dir = f->dir;

	/* the secondary's command line is built from the capabilities wanted; the
	 * fake takes it (its -object and -chardev ids are what failover removes) */
	extra = cc_topology_secondary_args(spec, want);
	fake_launch(f, 0, "pri", NULL);
	fake_launch(f, 1, "sec", extra);
	pcaps = cc_qemu_get_caps(f->member[0]);
	scaps = cc_qemu_get_caps(f->member[1]);
	g_assert_cmpint(pcaps->enable_when_stopped, ==, ews);
	g_assert_cmpint(scaps->enable_when_stopped, ==, ews);

	prepare = cc_topology_secondary_prepare(spec, scaps);
	fake_run(f->member[1], prepare);
	fake_resync(f, spec);
	protect = cc_topology_primary_protect(spec, pcaps);
	fake_run(f->member[0], protect);
	fake_check_protected(f, net);
	start = cc_topology_primary_start(spec, pcaps);
	fake_run(f->member[0], start);

	for (guint i = 0; i < 2; i++) {
		g_autoptr(JsonObject) c = NULL;

		fake_wait(f->member[i], "query-migrate", "status", "colo");
		fake_wait(f->member[i], "query-status", "status", "running");
		c = fake_query(f->member[i], "query-colo-status");
		g_assert_cmpstr(jstr(c, "mode"), ==, i == 0 ? "primary" : "secondary");
	}
	g_assert_true(cc_test_events_contain(f->events[0], "RESUME"));
	g_assert_true(cc_test_events_contain(f->events[1], "RESUME"));
}

static void
check_fake_failover_secondary(gboolean net)
{
	Fake f = {0};
	CcPairSpec spec = spec_net;
	g_autoptr(GPtrArray) failover = NULL;
	g_autoptr(JsonObject) colo = NULL;

	fake_setup(&f, "enable-when-stopped=true\n");
	fake_pair_protect(&f, &spec, TRUE, net);

	/* the primary goes away: as on QEMU 7.2, COLO_EXIT (error) and STOP */
	fake_stop(&f, 0);
	fake_wait(f.member[1], "query-status", "status", "paused");
	g_assert_true(cc_test_events_contain(f.events[1], "COLO_EXIT:secondary:error"));

	failover = cc_topology_failover_secondary(&spec, cc_qemu_get_caps(f.member[1]));
	fake_run(f.member[1], failover);
	fake_wait(f.member[1], "query-status", "status", "running");
	colo = fake_query(f.member[1], "query-colo-status");
	g_assert_cmpstr(jstr(colo, "mode"), ==, "none");
	g_assert_cmpstr(jstr(colo, "last-mode"), ==, "secondary");
	g_assert_cmpstr(jstr(colo, "reason"), ==, "request");
	fake_teardown(&f);
}

static void
test_fake_failover_secondary(void)
{
	check_fake_failover_secondary(TRUE);
}

static void
test_fake_failover_secondary_no_net(void)
{
	check_fake_failover_secondary(FALSE);
}

static void
check_fake_failover_primary(gboolean net)
{
	Fake f = {0};
	CcPairSpec spec = spec_net;
	g_autoptr(GPtrArray) failover = NULL;
	g_autoptr(JsonObject) colo = NULL;
	g_autoptr(JsonObject) status = NULL;

	fake_setup(&f, "");
	fake_pair_protect(&f, &spec, FALSE, net);

	fake_stop(&f, 1);
	failover = cc_topology_failover_primary(&spec, cc_qemu_get_caps(f.member[0]));
	fake_run(f.member[0], failover);
	status = fake_query(f.member[0], "query-status");
	g_assert_cmpstr(jstr(status, "status"), ==, "running");
	colo = fake_query(f.member[0], "query-colo-status");
	g_assert_cmpstr(jstr(colo, "mode"), ==, "none");
	g_assert_cmpstr(jstr(colo, "last-mode"), ==, "primary");
	cc_test_spin(50);
	g_assert_true(cc_test_events_contain(f.events[0], "COLO_EXIT:primary:request"));
	fake_teardown(&f);
}

static void
test_fake_failover_primary(void)
{
	check_fake_failover_primary(TRUE);
}

static void
test_fake_failover_primary_no_net(void)
{
	check_fake_failover_primary(FALSE);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/topology/primary-drive", test_primary_drive);
	g_test_add_func("/topology/secondary-args", test_secondary_args);
	g_test_add_func("/topology/secondary-args/enable-when-stopped",
			test_secondary_args_enable_when_stopped);
	g_test_add_func("/topology/secondary-args/no-net", test_secondary_args_no_net);
	g_test_add_func("/topology/secondary-prepare", test_secondary_prepare);
	g_test_add_func("/topology/resync", test_resync);
	g_test_add_func("/topology/primary-protect", test_primary_protect);
	g_test_add_func("/topology/primary-protect/enable-when-stopped",
			test_primary_protect_enable_when_stopped);
	g_test_add_func("/topology/primary-protect/no-net", test_primary_protect_no_net);
	g_test_add_func("/topology/primary-start", test_primary_start);
	g_test_add_func("/topology/failover-secondary", test_failover_secondary);
	g_test_add_func("/topology/failover-secondary/no-announce-self",
			test_failover_secondary_no_announce);
	g_test_add_func("/topology/failover-secondary/no-net", test_failover_secondary_no_net);
	g_test_add_func("/topology/failover-primary", test_failover_primary);
	g_test_add_func("/topology/failover-primary/no-net", test_failover_primary_no_net);
	g_test_add_func("/topology/names", test_names);
	g_test_add_func("/topology/fake/enable-when-stopped", test_fake_enable_when_stopped);
	g_test_add_func("/topology/fake/without-enable-when-stopped",
			test_fake_without_enable_when_stopped);
	g_test_add_func("/topology/fake/failover-secondary", test_fake_failover_secondary);
	g_test_add_func("/topology/fake/failover-secondary/no-net",
			test_fake_failover_secondary_no_net);
	g_test_add_func("/topology/fake/failover-primary", test_fake_failover_primary);
	g_test_add_func("/topology/fake/failover-primary/no-net",
			test_fake_failover_primary_no_net);
	return g_test_run();
}
