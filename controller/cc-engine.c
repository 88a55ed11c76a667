/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "CcEngine"

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cc-colo.h"
#include "cc-engine.h"
#include "cc-migration.h"
#include "cc-plugin.h"
#include "cc-topology.h"
#include "colo-error.h"

#define CC_ROLE_PRIMARY     "primary"
#define CC_ROLE_SECONDARY   "secondary"
#define CC_ROLE_DESTINATION "destination"

typedef struct {
	CcEngine *engine; /* unowned */
	gchar *name;
	CcQemu *member;           /* the primary; nullable */
	CcMigration *migration;   /* while one runs */
	CcQemu *secondary;        /* while protected or syncing */
	CcColo *colo;             /* while protected or syncing */
	guint reprotect_id;       /* an automatic re-protection is due */
	gchar *reprotect_host;    /* where the lost member ran */
	guint reprotect_attempts; /* automatic re-protections failed in a row */
	gboolean reprotect_auto;  /* the protect under way is an automatic one */
	guint stopping;           /* members still climbing the ladder */
	gboolean committing;      /* a promoted secondary still commits its overlay */
	gboolean stop_pending;    /* a stop waits for that commit */
	gboolean unprotecting;    /* the pair ends on request: its record goes with it */
	GStrv stop_files;         /* a stopping pair's secondary disk and overlays */
} CcGuest;

struct _CcEngine {
	GObject parent_instance;
	CcConfig *config;
	CcStore *store;
	GPtrArray *plugins;
	GHashTable *backends; /* host name -> CcBackend */
	GHashTable *guests;   /* name -> CcGuest */
	CcQemu *probe;
	JsonNode *qemu_caps;
	gchar *qemu_error;
	guint busy;         /* operations in flight */
	GBytes *list_cache; /* GET /v1/guests as sent, until the next write */
	guint64 events_total;
	guint64 failovers_total;
};

enum { SIGNAL_EVENT, SIGNAL_LAST };
static guint signals[SIGNAL_LAST] = {0};

G_DEFINE_TYPE(CcEngine, cc_engine, G_TYPE_OBJECT)

static void
cc_guest_drop_colo(CcGuest *guest)
{
	if (guest->colo != NULL) {
		g_signal_handlers_disconnect_by_data(guest->colo, guest);
		cc_colo_detach(guest->colo);
		g_clear_object(&guest->colo);
	}
}

/* no automatic re-protection is due any more, and failed attempts count from 0 again */
static void
cc_guest_reprotect_cancel(CcGuest *guest)
{
	if (guest->reprotect_id != 0) {
		g_source_remove(guest->reprotect_id);
		guest->reprotect_id = 0;
	}
	guest->reprotect_attempts = 0;
	guest->reprotect_auto = FALSE;
}

/* TRUE when @path was there and is gone; a failure other than "not there" is logged */
static gboolean
cc_engine_remove_file(const gchar *guest_name, const gchar *path)
{
	if (path == NULL)
		return FALSE;
	if (unlink(path) == 0)
		return TRUE;
	if (errno != ENOENT)
		g_warning("guest %s: cannot remove %s: %s", guest_name, path, g_strerror(errno));
	return FALSE;
}

/* the files coloctld made for a pair's secondary: its disk and both overlays */
static GStrv
cc_engine_secondary_files(const CcPairSpec *spec)
{
	const gchar *files[] = {spec->secondary_disk, spec->active_disk, spec->hidden_disk, NULL};
	return g_strdupv((gchar **)files);
}

static void
cc_guest_free(CcGuest *guest)
{
	if (guest->reprotect_id != 0)
		g_source_remove(guest->reprotect_id);
	g_free(guest->reprotect_host);
	g_strfreev(guest->stop_files);
	cc_guest_drop_colo(guest);
	if (guest->secondary != NULL) {
		g_signal_handlers_disconnect_by_data(guest->secondary, guest);
		g_object_unref(guest->secondary);
	}
	if (guest->member != NULL) {
		g_signal_handlers_disconnect_by_data(guest->member, guest);
		g_object_unref(guest->member);
	}
	if (guest->migration != NULL) {
		g_signal_handlers_disconnect_by_data(guest->migration, guest);
		g_signal_handlers_disconnect_by_data(cc_migration_get_dest(guest->migration),
						     guest);
		g_object_unref(guest->migration);
	}
	g_free(guest->name);
	g_free(guest);
}

/* ------------------------------------------------------------------ events */

/* every write to the store goes through here, so cached read-outs stay exact */
static void
cc_engine_changed(CcEngine *self)
{
	g_clear_pointer(&self->list_cache, g_bytes_unref);
}

static void
cc_engine_record(CcEngine *self, const gchar *guest, const gchar *member, const gchar *kind,
		 JsonObject *detail)
{
	g_autoptr(JsonNode) node = json_node_new(JSON_NODE_OBJECT);
	g_autoptr(GError) error_local = NULL;
	g_autofree gchar *text = NULL;
	g_autoptr(GPtrArray) events = NULL;
	gint64 id;

	cc_engine_changed(self);
	json_node_take_object(node, detail != NULL ? detail : json_object_new());
	text = json_to_string(node, FALSE);
	id = cc_store_event_append(self->store, guest, member, kind, text, &error_local);
	if (id <= 0) {
		g_warning("cannot record event %s: %s", kind, error_local->message);
		return;
	}
	self->events_total++;
	events = cc_store_event_list(self->store, id - 1, 1, &error_local);
	if (events != NULL && events->len == 1)
		g_signal_emit(self, signals[SIGNAL_EVENT], 0, g_ptr_array_index(events, 0));
}

/* every guest transition goes to the store before anything acts on it */
static gboolean
cc_engine_set_state(CcEngine *self, const gchar *name, const gchar *state, const gchar *reason,
		    GError **error)
{
	g_autoptr(CcStoreGuest) row = cc_store_guest_get(self->store, name, error);
	JsonObject *detail;

	if (row == NULL)
		return FALSE;
	if (!cc_store_guest_set_state(self->store, name, state, reason, error))
		return FALSE;
	detail = json_object_new();
	json_object_set_string_member(detail, "from", row->state);
	json_object_set_string_member(detail, "to", state);
	if (reason != NULL)
		json_object_set_string_member(detail, "reason", reason);
	cc_engine_record(self, name, NULL, "guest-state", detail);
	return TRUE;
}

static void
cc_engine_set_state_logged(CcEngine *self, const gchar *name, const gchar *state,
			   const gchar *reason)
{
	g_autoptr(GError) error_local = NULL;
	if (!cc_engine_set_state(self, name, state, reason, &error_local))
		g_warning("guest %s: cannot record state %s: %s", name, state,
			  error_local->message);
}

/* ---------------------------------------------------------------- members */

static gchar *
cc_engine_member_name(const gchar *guest, const gchar *role)
{
	return g_strdup_printf("%s-%s", guest, role);
}

/* writes @member's row; the role follows from whether it is the guest's primary */
/* a member's name is its monitor socket's name: it survives a migration and a restart */
static gchar *
cc_engine_member_name_from_qmp(const gchar *qmp_path, const gchar *guest)
{
	g_autofree gchar *base = qmp_path != NULL ? g_path_get_basename(qmp_path) : NULL;
	if (base == NULL || !g_str_has_suffix(base, ".qmp"))
		return cc_engine_member_name(guest, CC_ROLE_PRIMARY);
	return g_strndup(base, strlen(base) - strlen(".qmp"));
}

static CcStoreMember *
cc_engine_member_row(CcEngine *self, const gchar *guest, const gchar *role)
{
	g_autoptr(GPtrArray) rows = cc_store_member_list(self->store, guest, NULL);
	for (guint i = 0; rows != NULL && i < rows->len; i++) {
		CcStoreMember *m = g_ptr_array_index(rows, i);
		if (g_strcmp0(m->role, role) == 0)
			return g_ptr_array_steal_index(rows, i);
	}
	return NULL;
}

static void
cc_engine_member_save(CcEngine *self, CcGuest *guest, CcQemu *member)
{
	g_autoptr(GError) error_local = NULL;
	g_autoptr(CcStoreMember) old = NULL;
	CcStoreMember row = {0};
	CcProcess *process = cc_qemu_get_process(member);

	row.guest = guest->name;
	row.role = (gchar *)(member == guest->member      ? CC_ROLE_PRIMARY
			     : member == guest->secondary ? CC_ROLE_SECONDARY
							  : CC_ROLE_DESTINATION);
	row.host = g_object_get_data(G_OBJECT(member), "cc-host");
	row.pid = process != NULL ? cc_process_get_pid(process) : 0;
	row.start_time = process != NULL ? cc_process_get_start_time(process) : 0;
	/* while a member is reattached it has no process yet: the recorded one stays, so a
	 * daemon that dies again meanwhile still finds it */
	if (process == NULL && cc_qemu_get_state(member) == CC_QEMU_STATE_STARTING) {
		old = cc_engine_member_row(self, guest->name, row.role);
		if (old != NULL && g_strcmp0(old->qmp_path, cc_qemu_get_qmp_path(member)) == 0) {
			row.pid = old->pid;
			row.start_time = old->start_time;
		}
	}
	row.qmp_path = (gchar *)cc_qemu_get_qmp_path(member);
	row.generation = cc_qemu_get_generation(member);
	row.state = (gchar *)cc_qemu_state_to_string(cc_qemu_get_state(member));
	cc_engine_changed(self);
	if (!cc_store_member_put(self->store, &row, &error_local))
		g_warning("guest %s: cannot save member: %s", guest->name, error_local->message);
}

static const gchar *const cc_engine_quiet_kinds[] = {"responsive", NULL};

static void
cc_engine_member_event_cb(CcQemu *member, const gchar *kind, JsonObject *detail, gpointer user_data)
{
	CcGuest *guest = user_data;
	CcEngine *self = guest->engine;
	g_autofree gchar *event_kind = g_strdup_printf("member-%s", kind);

	if (g_strv_contains(cc_engine_quiet_kinds, kind))
		return;
	cc_engine_record(self, guest->name, cc_qemu_get_name(member), event_kind,
			 json_object_ref(detail));
	if (g_strcmp0(kind, "state") == 0)
		cc_engine_member_save(self, guest, member);
	/* an exit nobody asked for fails the guest; a clean one (guest poweroff) stops it */
	if (g_strcmp0(kind, "exited") == 0 && member == guest->member) {
		g_autoptr(CcStoreGuest) row = cc_store_guest_get(self->store, guest->name, NULL);
		const gchar *status =
			json_object_get_string_member_with_default(detail, "status", "exited");
		g_autofree gchar *reason = NULL;
		if (row == NULL || g_strcmp0(row->state, "running") != 0)
			return;
		reason = g_strdup_printf("member %s: QEMU %s", cc_qemu_get_name(member), status);
		cc_engine_set_state_logged(
			self, guest->name,
			g_strcmp0(status, "exited with status 0") == 0 ? "stopped" : "failed",
			reason);
	}
}

static CcQemu *
cc_engine_member_new(CcEngine *self, CcGuest *guest, const gchar *host_name, const gchar *name,
		     GError **error)
{
	CcBackend *backend = g_hash_table_lookup(self->backends, host_name);
	const CcConfigHost *host = cc_config_get_host(self->config, host_name);
	CcQemu *member;

	if (backend == NULL || host == NULL) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_INVALID_INPUT,
			    "host %s is not configured", host_name);
		return NULL;
	}
	member = cc_qemu_new(backend, name, self->config->runtime_dir);
	cc_qemu_set_timeouts(member, &self->config->timeouts);
	cc_qemu_set_netns(member, host->netns);
	if (guest != NULL) {
		g_autoptr(CcStoreGuest) g = cc_store_guest_get(self->store, guest->name, NULL);
		if (g != NULL && g_str_has_prefix(g->net, "bridge:"))
			cc_qemu_set_tap_bridge(member, g->net + strlen("bridge:"));
	}
	g_object_set_data_full(G_OBJECT(member), "cc-guest", g_strdup(guest->name), g_free);
	g_object_set_data_full(G_OBJECT(member), "cc-host", g_strdup(host_name), g_free);
	g_signal_connect(member, "event", G_CALLBACK(cc_engine_member_event_cb), guest);
	return member;
}

/* ---------------------------------------------------------------- argv */

static const gchar *
cc_engine_disk_format(const gchar *path)
{
	gchar magic[4] = {0};
	gint fd = open(path, O_RDONLY | O_CLOEXEC);
	gssize n = fd >= 0 ? read(fd, magic, sizeof(magic)) : -1;
	if (fd >= 0)
		close(fd);
	if (n == 4 && memcmp(magic, "QFI\xfb", 4) == 0)
		return "qcow2";
	return "raw";
}

/* a stable locally administered MAC per guest, so every member of it has the same one */
static gchar *
cc_engine_guest_mac(const gchar *name)
{
	guint h = g_str_hash(name);
	return g_strdup_printf("52:54:00:%02x:%02x:%02x", (h >> 16) & 0xff, (h >> 8) & 0xff,
			       h & 0xff);
}

static const gchar *
cc_engine_accel(CcEngine *self)
{
	if (g_strcmp0(self->config->accel, "auto") == 0)
		return "kvm:tcg";
	return self->config->accel;
}

static void
cc_engine_argv_add(GPtrArray *argv, const gchar *opt, gchar *value)
{
	g_ptr_array_add(argv, g_strdup(opt));
	g_ptr_array_add(argv, value);
}

static const gchar *
cc_engine_host_binary(CcEngine *self, const gchar *host_name)
{
	const CcConfigHost *host = cc_config_get_host(self->config, host_name);
	return host != NULL && host->binary != NULL ? host->binary : self->config->qemu_binary;
}

/* the disk the guest runs from: its own, or the one a failover left it on */
static gchar *
cc_engine_run_disk(CcEngine *self, const CcStoreGuest *g)
{
	gchar *run = cc_store_guest_get_run_disk(self->store, g->name);
	return run != NULL ? run : g_strdup(g->disk);
}

/* @pair: NULL for a primary or a migration destination; else the secondary's topology */
static GPtrArray *
cc_engine_build_argv(CcEngine *self, CcStoreGuest *g, CcQemu *member, const gchar *host_name,
		     const CcPairSpec *pair, const CcCaps *caps)
{
	GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
	const gchar *run = self->config->runtime_dir;
	const gchar *mname = cc_qemu_get_name(member);

	g_ptr_array_add(argv, g_strdup(cc_engine_host_binary(self, host_name)));
	cc_engine_argv_add(argv, "-machine", g_strdup("pc"));
	cc_engine_argv_add(argv, "-accel", g_strdup(cc_engine_accel(self)));
	cc_engine_argv_add(argv, "-m", g_strdup_printf("%" G_GINT64_FORMAT, g->memory_mib));
	cc_engine_argv_add(argv, "-smp", g_strdup_printf("%" G_GINT64_FORMAT, g->vcpus));
	g_ptr_array_add(argv, g_strdup("-nodefaults"));
	g_ptr_array_add(argv, g_strdup("-no-user-config"));
	cc_engine_argv_add(argv, "-display", g_strdup("none"));
	if (g->kernel != NULL)
		cc_engine_argv_add(argv, "-kernel", g_strdup(g->kernel));
	if (g->initrd != NULL)
		cc_engine_argv_add(argv, "-initrd", g_strdup(g->initrd));
	/* QEMU takes -append only with -kernel; a firmware boot has no command line */
	if (g->kernel != NULL)
		cc_engine_argv_add(
			argv, "-append",
			g_strdup_printf("console=ttyS0 %s", g->append != NULL ? g->append : ""));
	cc_engine_argv_add(argv, "-chardev",
			   g_strdup_printf("socket,id=serial0,path=%s/%s.serial,server=on,wait=off,"
					   "logfile=%s/%s.console",
					   run, mname, run, mname));
	cc_engine_argv_add(argv, "-serial", g_strdup("chardev:serial0"));
	/* every guest's disk is a quorum, so it can be protected whenever it runs */
	if (pair == NULL) {
		g_autofree gchar *disk = cc_engine_run_disk(self, g);
		cc_engine_argv_add(argv, "-drive",
				   cc_topology_primary_drive(disk, cc_engine_disk_format(disk)));
	}
	cc_engine_argv_add(argv, "-device", g_strdup("virtio-blk-pci,drive=" CC_TOPOLOGY_DISK));
	if (g_str_has_prefix(g->net, "bridge:")) {
		g_autofree gchar *mac = cc_engine_guest_mac(g->name);
		/* the backend makes the tap on the bridge and hands it over */
		cc_engine_argv_add(argv, "-netdev", g_strdup(CC_BACKEND_TAP_NETDEV));
		cc_engine_argv_add(argv, "-device",
				   g_strdup_printf("virtio-net-pci,netdev=hn0,mac=%s", mac));
	}
	if (pair != NULL) {
		g_autoptr(GPtrArray) extra = cc_topology_secondary_args(pair, caps);
		for (guint i = 0; i < extra->len; i++)
			g_ptr_array_add(argv, g_strdup(g_ptr_array_index(extra, i)));
	}
	g_ptr_array_add(argv, NULL);
	return argv;
}

/* ------------------------------------------------------------------ JSON */

static void
cc_engine_set_nullable(JsonObject *obj, const gchar *key, const gchar *value)
{
	if (value == NULL)
		json_object_set_null_member(obj, key);
	else
		json_object_set_string_member(obj, key, value);
}

static gchar *
cc_engine_time_string(gint64 us)
{
	g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(us / G_USEC_PER_SEC);
	return dt != NULL ? g_date_time_format_iso8601(dt) : g_strdup("");
}

/* @members: this guest's members */
static JsonNode *
cc_engine_guest_json_with(CcEngine *self, const CcStoreGuest *g, GPtrArray *members)
{
	JsonObject *obj;
	JsonArray *arr;
	JsonNode *node;
	g_autofree gchar *created = cc_engine_time_string(g->created_us);
	g_autofree gchar *updated = cc_engine_time_string(g->updated_us);

	obj = json_object_new();
	json_object_set_string_member(obj, "name", g->name);
	json_object_set_int_member(obj, "memory_mib", g->memory_mib);
	json_object_set_int_member(obj, "vcpus", g->vcpus);
	json_object_set_string_member(obj, "disk", g->disk);
	{
		g_autofree gchar *run = cc_store_guest_get_run_disk(self->store, g->name);
		cc_engine_set_nullable(obj, "run_disk", run);
	}
	cc_engine_set_nullable(obj, "kernel", g->kernel);
	cc_engine_set_nullable(obj, "initrd", g->initrd);
	cc_engine_set_nullable(obj, "append", g->append);
	json_object_set_string_member(obj, "net", g->net);
	json_object_set_string_member(obj, "host", g->host);
	json_object_set_string_member(obj, "state", g->state);
	cc_engine_set_nullable(obj, "reason", g->reason);
	json_object_set_string_member(obj, "created", created);
	json_object_set_string_member(obj, "updated", updated);
	arr = json_array_new();
	for (guint i = 0; i < members->len; i++) {
		CcStoreMember *m = g_ptr_array_index(members, i);
		JsonObject *mo = json_object_new();
		json_object_set_string_member(mo, "role", m->role);
		json_object_set_string_member(mo, "host", m->host);
		json_object_set_int_member(mo, "pid", m->pid);
		json_object_set_string_member(mo, "state", m->state);
		json_object_set_int_member(mo, "generation", (gint64)m->generation);
		cc_engine_set_nullable(mo, "qmp", m->qmp_path);
		json_array_add_object_element(arr, mo);
	}
	json_object_set_array_member(obj, "members", arr);
	node = json_node_new(JSON_NODE_OBJECT);
	json_node_take_object(node, obj);
	return node;
}

static JsonNode *
cc_engine_guest_json(CcEngine *self, const CcStoreGuest *g, GError **error)
{
	g_autoptr(GPtrArray) members = cc_store_member_list(self->store, g->name, error);
	if (members == NULL)
		return NULL;
	return cc_engine_guest_json_with(self, g, members);
}

static JsonNode *
cc_engine_guest_json_by_name(CcEngine *self, const gchar *name, GError **error)
{
	g_autoptr(CcStoreGuest) g = cc_store_guest_get(self->store, name, error);
	if (g == NULL)
		return NULL;
	return cc_engine_guest_json(self, g, error);
}

JsonNode *
cc_engine_guest_list(CcEngine *self, GError **error)
{
	g_autoptr(GPtrArray) rows = cc_store_guest_list(self->store, error);
	g_autoptr(GPtrArray) members = NULL;
	g_autoptr(GHashTable) by_guest = NULL;
	JsonArray *arr;
	JsonObject *obj;
	JsonNode *node;

	if (rows == NULL)
		return NULL;
	/* two queries for the whole listing, whatever the number of guests */
	members = cc_store_member_list_all(self->store, error);
	if (members == NULL)
		return NULL;
	by_guest = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
					 (GDestroyNotify)g_ptr_array_unref);
	for (guint i = 0; i < members->len; i++) {
		CcStoreMember *m = g_ptr_array_index(members, i);
		GPtrArray *list = g_hash_table_lookup(by_guest, m->guest);
		if (list == NULL) {
			list = g_ptr_array_new();
			g_hash_table_insert(by_guest, m->guest, list);
		}
		g_ptr_array_add(list, m);
	}
	arr = json_array_new();
	for (guint i = 0; i < rows->len; i++) {
		CcStoreGuest *g = g_ptr_array_index(rows, i);
		g_autoptr(GPtrArray) none = g_ptr_array_new();
		GPtrArray *list = g_hash_table_lookup(by_guest, g->name);
		json_array_add_element(
			arr, cc_engine_guest_json_with(self, g, list != NULL ? list : none));
	}
	obj = json_object_new();
	json_object_set_array_member(obj, "guests", arr);
	node = json_node_new(JSON_NODE_OBJECT);
	json_node_take_object(node, obj);
	return node;
}

/* the serialized listing, built once per store change: listings are read far more than
 * guests change */
GBytes *
cc_engine_guest_list_bytes(CcEngine *self, GError **error)
{
	g_autoptr(JsonNode) node = NULL;
	gsize len = 0;
	gchar *text;

	if (self->list_cache != NULL)
		return g_bytes_ref(self->list_cache);
	node = cc_engine_guest_list(self, error);
	if (node == NULL)
		return NULL;
	text = json_to_string(node, FALSE);
	len = strlen(text);
	self->list_cache = g_bytes_new_take(text, len);
	return g_bytes_ref(self->list_cache);
}

static JsonObject *cc_engine_protection_json(CcEngine *self, const gchar *name);

JsonNode *
cc_engine_guest_get(CcEngine *self, const gchar *name, GError **error)
{
	JsonNode *node = cc_engine_guest_json_by_name(self, name, error);
	JsonObject *protection;

	if (node == NULL)
		return NULL;
	protection = cc_engine_protection_json(self, name);
	if (protection != NULL)
		json_object_set_object_member(json_node_get_object(node), "protection", protection);
	else
		json_object_set_null_member(json_node_get_object(node), "protection");
	return node;
}

/* ---------------------------------------------------------------- create */

static gboolean
cc_engine_check_file(const gchar *what, const gchar *path, gboolean block_ok, GError **error)
{
	struct stat st;
	if (!g_path_is_absolute(path)) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_INVALID_INPUT,
			    "%s %s: must be an absolute path", what, path);
		return FALSE;
	}
	if (stat(path, &st) != 0) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_INVALID_INPUT, "%s %s: %s", what, path,
			    g_strerror(errno));
		return FALSE;
	}
	if (!S_ISREG(st.st_mode) && !(block_ok && S_ISBLK(st.st_mode))) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_INVALID_INPUT,
			    "%s %s: not a regular file%s", what, path,
			    block_ok ? " or block device" : "");
		return FALSE;
	}
	return TRUE;
}

static const gchar *
cc_engine_opt_string(JsonObject *req, const gchar *key)
{
	JsonNode *n = json_object_get_member(req, key);
	if (n == NULL || JSON_NODE_HOLDS_NULL(n))
		return NULL;
	return json_node_get_string(n);
}

static gint64 cc_engine_port_base(CcEngine *self, const gchar *guest, GError **error);

/* the JSON schema checked shapes already; this checks what a schema cannot */
static gboolean
cc_engine_check_guest(CcEngine *self, CcStoreGuest *g, GError **error)
{
	if (cc_config_get_host(self->config, g->host) == NULL) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_INVALID_INPUT,
			    "host %s is not configured (see coloctl hosts)", g->host);
		return FALSE;
	}
	if (!cc_engine_check_file("disk", g->disk, TRUE, error))
		return FALSE;
	if (g->kernel != NULL && !cc_engine_check_file("kernel", g->kernel, FALSE, error))
		return FALSE;
	if (g->initrd != NULL && !cc_engine_check_file("initrd", g->initrd, FALSE, error))
		return FALSE;
	if (g->initrd != NULL && g->kernel == NULL) {
		g_set_error_literal(error, COLO_ERROR, COLO_ERROR_INVALID_INPUT,
				    "an initrd needs a kernel");
		return FALSE;
	}
	return TRUE;
}

JsonNode *
cc_engine_guest_create(CcEngine *self, JsonObject *req, GError **error)
{
	g_autoptr(CcStoreGuest) g = g_new0(CcStoreGuest, 1);
	JsonObject *detail;

	g->name = g_strdup(json_object_get_string_member(req, "name"));
	g->memory_mib = json_object_get_int_member(req, "memory_mib");
	g->vcpus = json_object_get_int_member_with_default(req, "vcpus", 1);
	g->disk = g_strdup(json_object_get_string_member(req, "disk"));
	g->kernel = g_strdup(cc_engine_opt_string(req, "kernel"));
	g->initrd = g_strdup(cc_engine_opt_string(req, "initrd"));
	g->append = g_strdup(cc_engine_opt_string(req, "append"));
	g->net = g_strdup(cc_engine_opt_string(req, "net") ?: "none");
	g->host = g_strdup(cc_engine_opt_string(req, "host") ?: "local");
	g->state = g_strdup("defined");
	g->created_us = g->updated_us = g_get_real_time();
	if (!cc_engine_check_guest(self, g, error))
		return NULL;
	if (json_object_get_boolean_member_with_default(req, "protect", FALSE)) {
		const gchar *sh = cc_engine_opt_string(req, "secondary_host");
		if (sh != NULL && cc_config_get_host(self->config, sh) == NULL) {
			g_set_error(error, COLO_ERROR, COLO_ERROR_INVALID_INPUT,
				    "host %s is not configured (see coloctl hosts)", sh);
			return NULL;
		}
	} else if (json_object_has_member(req, "secondary_host") ||
		   json_object_has_member(req, "checkpoint_ms")) {
		g_set_error_literal(error, COLO_ERROR, COLO_ERROR_INVALID_INPUT,
				    "secondary_host and checkpoint_ms need protect=true");
		return NULL;
	}
	if (!cc_store_transaction_begin(self->store, error))
		return NULL;
	if (!cc_store_guest_insert(self->store, g, error)) {
		cc_store_transaction_rollback(self->store, NULL);
		return NULL;
	}
	if (json_object_get_boolean_member_with_default(req, "protect", FALSE)) {
		CcStorePair pair = {0};
		pair.guest = g->name;
		pair.secondary_host = (gchar *)cc_engine_opt_string(req, "secondary_host");
		pair.checkpoint_ms = json_object_get_int_member_with_default(
			req, "checkpoint_ms", self->config->colo_checkpoint_ms);
		pair.port_base = cc_engine_port_base(self, g->name, error);
		pair.state = (gchar *)"wanted";
		pair.auto_reprotect = TRUE;
		if (pair.port_base < 0 || !cc_store_pair_put(self->store, &pair, error)) {
			cc_store_transaction_rollback(self->store, NULL);
			return NULL;
		}
	}
	if (!cc_store_transaction_commit(self->store, error))
		return NULL;
	detail = json_object_new();
	json_object_set_string_member(detail, "host", g->host);
	cc_engine_record(self, g->name, NULL, "guest-created", detail);
	return cc_engine_guest_get(self, g->name, error);
}

/* ----------------------------------------------------------- start, stop */

static CcGuest *
cc_engine_guest_runtime(CcEngine *self, const gchar *name)
{
	CcGuest *guest = g_hash_table_lookup(self->guests, name);
	if (guest != NULL)
		return guest;
	guest = g_new0(CcGuest, 1);
	guest->engine = self;
	guest->name = g_strdup(name);
	g_hash_table_insert(self->guests, guest->name, guest);
	return guest;
}

static gboolean cc_engine_protect(CcEngine *self, const gchar *name, const gchar *wanted_host,
				  gint64 checkpoint_ms, const gchar *previous_host,
				  gint auto_reprotect, GError **error);
static void cc_engine_drop_member(CcEngine *self, CcGuest *guest, CcQemu **slot, const gchar *role);

static void
cc_engine_launch_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	CcEngine *self = CC_ENGINE(user_data);
	CcQemu *member = CC_QEMU(source);
	g_autoptr(GError) error = NULL;
	const gchar *guest_name = g_object_get_data(source, "cc-guest");

	self->busy--;
	cc_engine_member_save(self, g_hash_table_lookup(self->guests, guest_name), member);
	if (!cc_qemu_launch_finish(member, res, &error)) {
		cc_engine_set_state_logged(self, guest_name, "failed", error->message);
		/* whatever half-started, stop it: nothing is left running behind a failure */
		cc_qemu_stop_async(member, NULL, NULL);
		g_object_unref(self);
		return;
	}
	cc_engine_set_state_logged(self, guest_name, "running", NULL);
	/* a guest created protected (or protected when it stopped) is protected again */
	{
		g_autoptr(CcStorePair) pair = cc_store_pair_get(self->store, guest_name, NULL);
		g_autoptr(GError) error_local = NULL;
		if (pair != NULL &&
		    !cc_engine_protect(self, guest_name, NULL, 0, NULL, -1, &error_local)) {
			JsonObject *d = json_object_new();
			json_object_set_string_member(d, "error", error_local->message);
			cc_engine_record(self, guest_name, NULL, "protect-failed", d);
		}
	}
	g_object_unref(self);
}

static gboolean
cc_engine_guest_is(const CcStoreGuest *g, const gchar *const *states)
{
	return g_strv_contains(states, g->state);
}

static gboolean
cc_engine_conflict(const CcStoreGuest *g, const gchar *action, GError **error)
{
	g_set_error(error, COLO_ERROR, COLO_ERROR_CONFLICT, "cannot %s guest %s: it is %s", action,
		    g->name, g->state);
	return FALSE;
}

JsonNode *
cc_engine_guest_start(CcEngine *self, const gchar *name, GError **error)
{
	static const gchar *const startable[] = {"defined", "stopped", "failed", NULL};
	g_autoptr(CcStoreGuest) g = cc_store_guest_get(self->store, name, error);
	g_autoptr(GPtrArray) argv = NULL;
	CcGuest *guest;

	if (g == NULL)
		return NULL;
	if (!cc_engine_guest_is(g, startable)) {
		cc_engine_conflict(g, "start", error);
		return NULL;
	}
	if (!cc_engine_check_guest(self, g, error))
		return NULL;
	guest = cc_engine_guest_runtime(self, name);
	if (guest->member != NULL && (cc_qemu_get_state(guest->member) == CC_QEMU_STATE_STUCK ||
				      cc_qemu_get_state(guest->member) == CC_QEMU_STATE_STOPPING)) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_CONFLICT,
			    "guest %s still has a %s member", name,
			    cc_qemu_state_to_string(cc_qemu_get_state(guest->member)));
		return NULL;
	}
	if (guest->member == NULL) {
		g_autofree gchar *mname = cc_engine_member_name(name, CC_ROLE_PRIMARY);
		guest->member = cc_engine_member_new(self, guest, g->host, mname, error);
		if (guest->member == NULL)
			return NULL;
	}
	if (!cc_engine_set_state(self, name, "starting", NULL, error))
		return NULL;
	argv = cc_engine_build_argv(self, g, guest->member, g->host, NULL, NULL);
	self->busy++;
	cc_qemu_launch_async(guest->member, (const gchar *const *)argv->pdata, NULL,
			     cc_engine_launch_cb, g_object_ref(self));
	return cc_engine_guest_json_by_name(self, name, error);
}

static void
cc_engine_stop_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	CcEngine *self = CC_ENGINE(user_data);
	g_autoptr(GError) error = NULL;
	const gchar *guest_name = g_object_get_data(source, "cc-guest");

	self->busy--;
	if (!cc_qemu_stop_finish(CC_QEMU(source), res, &error))
		cc_engine_set_state_logged(self, guest_name, "failed", error->message);
	else
		cc_engine_set_state_logged(self, guest_name, "stopped", NULL);
	g_object_unref(self);
}

/* a protected guest: both members go down the ladder, the guest is stopped when both are */
static void
cc_engine_stop_pair_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	CcEngine *self = CC_ENGINE(user_data);
	g_autoptr(GError) error = NULL;
	const gchar *guest_name = g_object_get_data(source, "cc-guest");
	CcGuest *guest = g_hash_table_lookup(self->guests, guest_name);
	gboolean ok = cc_qemu_stop_finish(CC_QEMU(source), res, &error);

	if (!ok)
		g_object_set_data_full(G_OBJECT(self), "cc-stop-error", g_strdup(error->message),
				       g_free);
	if (guest == NULL || --guest->stopping > 0) {
		g_object_unref(self);
		return;
	}
	self->busy--;
	cc_engine_drop_member(self, guest, &guest->secondary, CC_ROLE_SECONDARY);
	/* both members are down: the next start resyncs a new secondary from the primary's
	 * disk, so the old secondary's files are of no use. After a failed stop they stay. */
	for (guint i = 0; guest->stop_files != NULL && guest->stop_files[i] != NULL &&
			  g_object_get_data(G_OBJECT(self), "cc-stop-error") == NULL;
	     i++)
		cc_engine_remove_file(guest_name, guest->stop_files[i]);
	g_clear_pointer(&guest->stop_files, g_strfreev);
	if (g_object_get_data(G_OBJECT(self), "cc-stop-error") != NULL)
		cc_engine_set_state_logged(self, guest_name, "failed",
					   g_object_get_data(G_OBJECT(self), "cc-stop-error"));
	else
		cc_engine_set_state_logged(self, guest_name, "stopped", NULL);
	g_object_set_data(G_OBJECT(self), "cc-stop-error", NULL);
	g_object_unref(self);
}

static void
cc_engine_stop_pair(CcEngine *self, CcGuest *guest, gboolean force)
{
	CcQemu *members[] = {guest->member, guest->secondary};
	cc_guest_reprotect_cancel(guest);
	if (guest->colo != NULL) {
		g_strfreev(guest->stop_files);
		guest->stop_files = cc_engine_secondary_files(cc_colo_get_spec(guest->colo));
	}
	cc_guest_drop_colo(guest);
	self->busy++;
	guest->stopping = 0;
	for (guint i = 0; i < G_N_ELEMENTS(members); i++) {
		if (members[i] != NULL)
			guest->stopping++;
	}
	for (guint i = 0; i < G_N_ELEMENTS(members); i++) {
		if (members[i] != NULL)
			cc_qemu_stop_full_async(members[i], force, cc_engine_stop_pair_cb,
						g_object_ref(self));
	}
}

JsonNode *
cc_engine_guest_stop(CcEngine *self, const gchar *name, gboolean force, GError **error)
{
	static const gchar *const stoppable[] = {"starting", "running",   "stopping",
						 "syncing",  "protected", NULL};
	g_autoptr(CcStoreGuest) g = cc_store_guest_get(self->store, name, error);
	CcGuest *guest;

	if (g == NULL)
		return NULL;
	if (!cc_engine_guest_is(g, stoppable)) {
		cc_engine_conflict(g, "stop", error);
		return NULL;
	}
	guest = cc_engine_guest_runtime(self, name);
	if (guest->member == NULL) {
		/* nothing runs: the record was stale */
		if (!cc_engine_set_state(self, name, "stopped", "no member process", error))
			return NULL;
		return cc_engine_guest_json_by_name(self, name, error);
	}
	if (g_strcmp0(g->state, "stopping") != 0 &&
	    !cc_engine_set_state(self, name, "stopping", force ? "forced" : NULL, error))
		return NULL;
	if (guest->stopping > 0)
		return cc_engine_guest_json_by_name(self, name, error);
	if (guest->committing && !force) {
		/* quitting now would cancel the commit and leave the guest's last writes in
		 * an overlay the next start does not read */
		guest->stop_pending = TRUE;
		return cc_engine_guest_json_by_name(self, name, error);
	}
	if (guest->secondary != NULL || guest->colo != NULL) {
		cc_engine_stop_pair(self, guest, force);
		return cc_engine_guest_json_by_name(self, name, error);
	}
	cc_guest_reprotect_cancel(guest);
	self->busy++;
	if (force)
		cc_qemu_stop_full_async(guest->member, TRUE, cc_engine_stop_cb, g_object_ref(self));
	else
		cc_qemu_stop_async(guest->member, cc_engine_stop_cb, g_object_ref(self));
	return cc_engine_guest_json_by_name(self, name, error);
}

gboolean
cc_engine_guest_delete(CcEngine *self, const gchar *name, GError **error)
{
	static const gchar *const deletable[] = {"defined", "stopped", "failed", NULL};
	g_autoptr(CcStoreGuest) g = cc_store_guest_get(self->store, name, error);
	g_autofree gchar *run = NULL;
	JsonObject *detail = NULL;
	CcGuest *guest;

	if (g == NULL)
		return FALSE;
	if (!cc_engine_guest_is(g, deletable))
		return cc_engine_conflict(g, "delete", error);
	guest = g_hash_table_lookup(self->guests, name);
	if (guest != NULL && guest->member != NULL &&
	    cc_qemu_get_state(guest->member) == CC_QEMU_STATE_STUCK) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_CONFLICT,
			    "guest %s has a stuck member process; it stays quarantined", name);
		return FALSE;
	}
	run = cc_store_guest_get_run_disk(self->store, name);
	if (!cc_store_guest_delete(self->store, name, error))
		return FALSE;
	g_hash_table_remove(self->guests, name);
	/* a disk a failover left the guest on holds its latest writes: it stays, and the
	 * event says where (the guest's own disk is the user's, and stays too) */
	if (run != NULL && g_strcmp0(run, g->disk) != 0) {
		detail = json_object_new();
		json_object_set_string_member(detail, "disk_kept", run);
	}
	cc_engine_record(self, name, NULL, "guest-deleted", detail);
	return TRUE;
}

/* ------------------------------------------------------------- migration */

static void
cc_engine_migration_event_cb(CcMigration *migration, const gchar *kind, JsonObject *detail,
			     gpointer user_data)
{
	CcGuest *guest = user_data;
	CcEngine *self = guest->engine;
	g_autoptr(GError) error_local = NULL;

	cc_engine_record(self, guest->name, NULL, kind, json_object_ref(detail));
	if (g_strcmp0(kind, "migration-started") == 0 &&
	    !cc_store_migration_update(self->store, cc_migration_get_id(migration), "active", NULL,
				       NULL, FALSE, &error_local))
		g_warning("migration: %s", error_local->message);
}

static void
cc_engine_migration_sample_cb(CcMigration *migration, gint64 t_us, JsonObject *reply,
			      JsonObject *report, gpointer user_data)
{
	CcGuest *guest = user_data;
	CcEngine *self = guest->engine;
	g_autoptr(JsonNode) a = json_node_new(JSON_NODE_OBJECT);
	g_autoptr(JsonNode) b = json_node_new(JSON_NODE_OBJECT);
	g_autofree gchar *sample = NULL;
	g_autofree gchar *rep = NULL;
	g_autoptr(GError) error_local = NULL;

	json_node_set_object(a, reply);
	json_node_take_object(b, report);
	sample = json_to_string(a, FALSE);
	rep = json_to_string(b, FALSE);
	if (!cc_store_migration_sample_add(self->store, cc_migration_get_id(migration), t_us,
					   sample, rep, &error_local))
		g_warning("migration sample: %s", error_local->message);
}

static gchar *
cc_engine_json_text(JsonObject *obj)
{
	g_autoptr(JsonNode) node = json_node_new(JSON_NODE_OBJECT);
	json_node_take_object(node, obj);
	return json_to_string(node, FALSE);
}

static void
cc_engine_migration_done_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	CcEngine *self = CC_ENGINE(user_data);
	CcMigration *migration = CC_MIGRATION(source);
	const gchar *guest_name = g_object_get_data(source, "cc-guest");
	CcGuest *guest = g_hash_table_lookup(self->guests, guest_name);
	g_autoptr(GError) error = NULL;
	g_autoptr(GError) error_local = NULL;
	g_autofree gchar *result = cc_engine_json_text(cc_migration_dup_result(migration));
	CcQemu *dest = cc_migration_get_dest(migration);
	gboolean ok = cc_migration_run_finish(migration, res, &error);

	self->busy--;
	if (!cc_store_migration_update(
		    self->store, cc_migration_get_id(migration),
		    cc_migration_state_to_string(cc_migration_get_state(migration)),
		    ok ? NULL : error->message, result, TRUE, &error_local))
		g_warning("migration: %s", error_local->message);
	if (ok) {
		/* the destination is the guest now: it takes the primary's place */
		const gchar *host = g_object_get_data(G_OBJECT(dest), "cc-host");
		g_signal_handlers_disconnect_by_data(guest->member, guest);
		g_object_unref(guest->member);
		guest->member = g_object_ref(dest);
		cc_store_member_delete(self->store, guest_name, CC_ROLE_DESTINATION, NULL);
		cc_engine_member_save(self, guest, guest->member);
		if (!cc_store_guest_set_host(self->store, guest_name, host, &error_local))
			g_warning("migration: %s", error_local->message);
		cc_engine_set_state_logged(self, guest_name, "running", NULL);
	} else {
		g_autofree gchar *reason = g_strdup_printf("migration %s", error->message);
		g_signal_handlers_disconnect_by_data(dest, guest);
		cc_store_member_delete(self->store, guest_name, CC_ROLE_DESTINATION, NULL);
		cc_engine_set_state_logged(self, guest_name,
					   cc_qemu_get_state(guest->member) == CC_QEMU_STATE_RUNNING
						   ? "running"
						   : "failed",
					   reason);
	}
	g_signal_handlers_disconnect_by_data(migration, guest);
	g_clear_object(&guest->migration);
	g_object_unref(self);
}

static gboolean
cc_engine_migrate_check(CcEngine *self, CcStoreGuest *g, CcGuest *guest, const gchar *to,
			const gchar *policy, GError **error)
{
	if (g_strcmp0(g->state, "running") != 0 || guest == NULL || guest->member == NULL ||
	    cc_qemu_get_state(guest->member) != CC_QEMU_STATE_RUNNING) {
		cc_engine_conflict(g, "migrate", error);
		return FALSE;
	}
	if (cc_config_get_host(self->config, to) == NULL) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_INVALID_INPUT,
			    "host %s is not configured (see coloctl hosts)", to);
		return FALSE;
	}
	if (policy != NULL && cc_config_get_policy(self->config, policy) == NULL) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_INVALID_INPUT,
			    "no migration policy named %s in the configuration", policy);
		return FALSE;
	}
	/* the source is known now; the destination is checked once it is probed */
	if (policy != NULL && cc_config_get_policy(self->config, policy)->require_netpass &&
	    !cc_qemu_get_caps(guest->member)->enable_when_stopped) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_CONFLICT,
			    "policy %s requires netpass, but the source QEMU %s has no "
			    "enable_when_stopped on filter-redirector",
			    policy, cc_qemu_get_caps(guest->member)->version);
		return FALSE;
	}
	return TRUE;
}

JsonNode *
cc_engine_guest_migrate(CcEngine *self, const gchar *name, JsonObject *req, GError **error)
{
	g_autoptr(CcStoreGuest) g = cc_store_guest_get(self->store, name, error);
	const gchar *to = json_object_get_string_member(req, "to");
	const gchar *policy = cc_engine_opt_string(req, "policy");
	CcGuest *guest = g_hash_table_lookup(self->guests, name);
	CcMigrationParams params = {0};
	g_autofree gchar *params_text = NULL;
	g_autofree gchar *mname = NULL;
	g_autoptr(GPtrArray) argv = NULL;
	CcQemu *dest;
	gint64 id;

	if (g == NULL || !cc_engine_migrate_check(self, g, guest, to, policy, error))
		return NULL;
	params.max_downtime_ms = (guint)json_object_get_int_member_with_default(
		req, "max_downtime_ms", self->config->migration_downtime_ms);
	params.bandwidth_mibps =
		(guint)json_object_get_int_member_with_default(req, "bandwidth_mibps", 0);
	params.dead_after_s = self->config->migration_dead_after_s;
	params.sample_ms = self->config->migration_sample_ms;
	params.policy = policy != NULL ? cc_config_get_policy(self->config, policy) : NULL;
	params.address = cc_config_get_host(self->config, to)->address;
	params.runtime_dir = self->config->runtime_dir;
	params_text = cc_engine_json_text(json_object_ref(req));
	id = cc_store_migration_insert(self->store, name, g->host, to, params_text, error);
	if (id <= 0)
		return NULL;
	if (!cc_engine_set_state(self, name, "migrating", NULL, error))
		return NULL;
	mname = g_strdup_printf("%s-m%" G_GINT64_FORMAT, name, id);
	dest = cc_engine_member_new(self, guest, to, mname, error);
	if (dest == NULL)
		return NULL;
	argv = cc_engine_build_argv(self, g, dest, to, NULL, NULL);
	g_ptr_array_remove_index(argv, argv->len - 1);
	g_ptr_array_add(argv, g_strdup("-incoming"));
	g_ptr_array_add(argv, g_strdup("defer"));
	g_ptr_array_add(argv, NULL);
	guest->migration = cc_migration_new(id, guest->member, dest, &params);
	g_object_unref(dest);
	g_object_set_data_full(G_OBJECT(guest->migration), "cc-guest", g_strdup(name), g_free);
	g_signal_connect(guest->migration, "event", G_CALLBACK(cc_engine_migration_event_cb),
			 guest);
	g_signal_connect(guest->migration, "sample", G_CALLBACK(cc_engine_migration_sample_cb),
			 guest);
	self->busy++;
	cc_migration_run_async(guest->migration, (const gchar *const *)argv->pdata,
			       cc_engine_migration_done_cb, g_object_ref(self));
	return cc_engine_guest_migration(self, name, FALSE, error);
}

static JsonNode *
cc_engine_parse_text(const gchar *text)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	if (text == NULL || !json_parser_load_from_data(parser, text, -1, NULL)) {
		JsonNode *empty = json_node_new(JSON_NODE_OBJECT);
		json_node_take_object(empty, json_object_new());
		return empty;
	}
	return json_node_copy(json_parser_get_root(parser));
}

JsonNode *
cc_engine_guest_migration(CcEngine *self, const gchar *name, gboolean samples, GError **error)
{
	g_autoptr(CcStoreGuest) g = cc_store_guest_get(self->store, name, error);
	g_autoptr(CcStoreMigration) m = NULL;
	CcGuest *guest = g_hash_table_lookup(self->guests, name);
	JsonObject *obj;
	JsonNode *node;

	if (g == NULL)
		return NULL;
	m = cc_store_migration_last(self->store, name, error);
	if (m == NULL)
		return NULL;
	obj = json_object_new();
	json_object_set_int_member(obj, "id", m->id);
	json_object_set_string_member(obj, "guest", m->guest);
	json_object_set_string_member(obj, "from", m->source_host);
	json_object_set_string_member(obj, "to", m->dest_host);
	json_object_set_string_member(obj, "state", m->state);
	cc_engine_set_nullable(obj, "reason", m->reason);
	json_object_set_member(obj, "params", cc_engine_parse_text(m->params));
	json_object_set_member(obj, "result", cc_engine_parse_text(m->result));
	if (guest != NULL && guest->migration != NULL &&
	    cc_migration_get_id(guest->migration) == m->id) {
		JsonObject *live = cc_migration_dup_result(guest->migration);
		json_object_set_string_member(obj, "netpass",
					      cc_migration_get_netpass(guest->migration));
		json_object_set_object_member(
			obj, "progress",
			json_object_ref(json_object_get_object_member(live, "progress")));
		json_object_unref(live);
	} else {
		JsonNode *res = json_object_get_member(obj, "result");
		JsonObject *r = JSON_NODE_HOLDS_OBJECT(res) ? json_node_get_object(res) : NULL;
		json_object_set_string_member(obj, "netpass",
					      r != NULL
						      ? json_object_get_string_member_with_default(
								r, "netpass", "unknown")
						      : "unknown");
		if (r != NULL && json_object_has_member(r, "progress"))
			json_object_set_member(
				obj, "progress",
				json_node_copy(json_object_get_member(r, "progress")));
	}
	if (samples) {
		g_autoptr(GPtrArray) rows = cc_store_migration_samples(self->store, m->id, error);
		JsonArray *arr;
		if (rows == NULL) {
			json_object_unref(obj);
			return NULL;
		}
		arr = json_array_new();
		for (guint i = 0; i < rows->len; i++) {
			CcStoreSample *smp = g_ptr_array_index(rows, i);
			JsonObject *so = json_object_new();
			json_object_set_int_member(so, "t_us", smp->t_us);
			json_object_set_member(so, "query_migrate",
					       cc_engine_parse_text(smp->sample));
			json_object_set_member(so, "progress", cc_engine_parse_text(smp->report));
			json_array_add_object_element(arr, so);
		}
		json_object_set_array_member(obj, "samples", arr);
	}
	node = json_node_new(JSON_NODE_OBJECT);
	json_node_take_object(node, obj);
	return node;
}

JsonNode *
cc_engine_guest_migration_cancel(CcEngine *self, const gchar *name, GError **error)
{
	g_autoptr(CcStoreGuest) g = cc_store_guest_get(self->store, name, error);
	CcGuest *guest = g_hash_table_lookup(self->guests, name);

	if (g == NULL)
		return NULL;
	if (guest == NULL || guest->migration == NULL) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_CONFLICT,
			    "guest %s is not migrating (it is %s)", name, g->state);
		return NULL;
	}
	cc_migration_cancel(guest->migration, "cancelled by request");
	return cc_engine_guest_migration(self, name, FALSE, error);
}

/* ------------------------------------------------------------------- COLO */

/* the virtual size of a raw file, a block device or a qcow2 image */
static gboolean
cc_engine_disk_size(const gchar *path, guint64 *size, GError **error)
{
	struct stat st;
	guint8 hdr[32];
	gint fd = open(path, O_RDONLY | O_CLOEXEC);
	gssize n;

	if (fd < 0 || fstat(fd, &st) != 0) {
		gint saved = errno;
		if (fd >= 0)
			close(fd);
		g_set_error(error, COLO_ERROR, COLO_ERROR_INVALID_INPUT, "disk %s: %s", path,
			    g_strerror(saved));
		return FALSE;
	}
	n = read(fd, hdr, sizeof(hdr));
	if (n == (gssize)sizeof(hdr) && memcmp(hdr, "QFI\xfb", 4) == 0) {
		guint64 be;
		memcpy(&be, hdr + 24, sizeof(be));
		*size = GUINT64_FROM_BE(be);
	} else if (S_ISBLK(st.st_mode)) {
		off_t end = lseek(fd, 0, SEEK_END);
		*size = end > 0 ? (guint64)end : 0;
	} else {
		*size = (guint64)st.st_size;
	}
	close(fd);
	if (*size == 0) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_INVALID_INPUT, "disk %s is empty", path);
		return FALSE;
	}
	return TRUE;
}

/* each pair gets CC_TOPOLOGY_PORTS ports of its own on the replication network */
static gint64
cc_engine_port_base(CcEngine *self, const gchar *guest, GError **error)
{
	g_autoptr(GPtrArray) pairs = cc_store_pair_list(self->store, error);
	if (pairs == NULL)
		return -1;
	for (guint slot = 0; slot < 1000; slot++) {
		gint64 base = self->config->colo_port_base + (gint64)slot * CC_TOPOLOGY_PORTS;
		gboolean taken = FALSE;
		if (base + CC_TOPOLOGY_PORTS > 65535)
			break;
		for (guint i = 0; i < pairs->len; i++) {
			CcStorePair *p = g_ptr_array_index(pairs, i);
			if (p->port_base == base && g_strcmp0(p->guest, guest) != 0)
				taken = TRUE;
		}
		if (!taken)
			return base;
	}
	g_set_error(error, COLO_ERROR, COLO_ERROR_CONFLICT,
		    "no free replication ports from [colo] port-base %u",
		    self->config->colo_port_base);
	return -1;
}

/* explicit choice, else the host the lost member ran on, else the pair's, else another host */
static const gchar *
cc_engine_pick_secondary_host(CcEngine *self, const gchar *primary_host, const gchar *wanted,
			      const gchar *previous)
{
	if (wanted != NULL)
		return wanted;
	if (previous != NULL && g_strcmp0(previous, primary_host) != 0 &&
	    cc_config_get_host(self->config, previous) != NULL)
		return previous;
	for (guint i = 0; i < self->config->hosts->len; i++) {
		const CcConfigHost *h = g_ptr_array_index(self->config->hosts, i);
		if (g_strcmp0(h->name, primary_host) != 0)
			return h->name;
	}
	return primary_host;
}

static void
cc_engine_pair_set(CcEngine *self, const gchar *guest, const gchar *state, const gchar *reason,
		   const gchar *secondary_host)
{
	g_autoptr(GError) error_local = NULL;
	g_autoptr(CcStorePair) pair = cc_store_pair_get(self->store, guest, NULL);
	if (pair == NULL)
		return;
	g_free(pair->state);
	pair->state = g_strdup(state);
	g_free(pair->reason);
	pair->reason = g_strdup(reason);
	if (secondary_host != NULL) {
		g_free(pair->secondary_host);
		pair->secondary_host = g_strdup(secondary_host);
	}
	cc_engine_changed(self);
	if (!cc_store_pair_put(self->store, pair, &error_local))
		g_warning("guest %s: cannot save pair: %s", guest, error_local->message);
}

static void
cc_engine_colo_event_cb(CcColo *colo, const gchar *kind, JsonObject *detail, gpointer user_data)
{
	CcGuest *guest = user_data;
	CcEngine *self = guest->engine;

	cc_engine_record(self, guest->name, NULL, kind, json_object_ref(detail));
	if (g_strcmp0(kind, "protected") == 0) {
		cc_guest_reprotect_cancel(guest);
		cc_engine_pair_set(self, guest->name, "protected", NULL, NULL);
		cc_engine_set_state_logged(self, guest->name, "protected", NULL);
	} else if (g_strcmp0(kind, "colo-lost") == 0) {
		g_autofree gchar *reason = g_strdup_printf(
			"%s %s lost: %s",
			json_object_get_string_member_with_default(detail, "role", "?"),
			json_object_get_string_member_with_default(detail, "member", "?"),
			json_object_get_string_member_with_default(detail, "cause", "?"));
		cc_engine_set_state_logged(self, guest->name, "failing-over", reason);
	}
}

static gboolean cc_engine_reprotect_cb(gpointer user_data);

/* the next automatic re-protection: reprotect-delay-ms after a failover; after a failed
 * attempt twice the wait before it, at most reprotect-retry-max-ms (0: no retry) */
static void
cc_engine_reprotect_later(CcEngine *self, CcGuest *guest, const gchar *host, const gchar *error)
{
	guint64 delay = self->config->colo_reprotect_delay_ms;
	guint64 max = self->config->colo_reprotect_retry_max_ms;
	JsonObject *d;

	if (guest->reprotect_attempts > 0) {
		if (max == 0) {
			d = json_object_new();
			json_object_set_int_member(d, "attempts", guest->reprotect_attempts);
			json_object_set_string_member(d, "error", error);
			cc_engine_record(self, guest->name, NULL, "reprotect-gave-up", d);
			return;
		}
		delay = MAX(delay, 100);
		for (guint i = 0; i < guest->reprotect_attempts && delay < max; i++)
			delay *= 2;
		delay = MIN(delay, max);
		d = json_object_new();
		json_object_set_int_member(d, "attempt", guest->reprotect_attempts + 1);
		json_object_set_int_member(d, "delay_ms", (gint64)delay);
		json_object_set_string_member(d, "error", error);
		if (host != NULL)
			json_object_set_string_member(d, "host", host);
		cc_engine_record(self, guest->name, NULL, "reprotect-scheduled", d);
	}
	g_free(guest->reprotect_host);
	guest->reprotect_host = g_strdup(host);
	guest->reprotect_id = g_timeout_add((guint)delay, cc_engine_reprotect_cb, guest);
	cc_engine_changed(self);
}

static void
cc_engine_record_failover(CcEngine *self, CcGuest *guest, JsonObject *detail, gboolean ok)
{
	g_autoptr(GError) error_local = NULL;
	g_autofree gchar *text = cc_engine_json_text(json_object_ref(detail));
	CcStoreFailover f = {0};

	f.guest = guest->name;
	f.cause = (gchar *)json_object_get_string_member_with_default(detail, "cause", "unknown");
	f.lost = (gchar *)json_object_get_string_member_with_default(detail, "lost", "?");
	f.lost_role = (gchar *)json_object_get_string_member_with_default(detail, "lost_role", "?");
	f.survivor =
		ok ? (gchar *)json_object_get_string_member_with_default(detail, "survivor", NULL)
		   : NULL;
	f.ok = ok;
	f.latency_ms = json_object_get_double_member_with_default(detail, "latency_ms", 0);
	f.detail = text;
	cc_engine_changed(self);
	if (cc_store_failover_insert(self->store, &f, &error_local) <= 0)
		g_warning("guest %s: cannot record failover: %s", guest->name,
			  error_local->message);
}

static void
cc_engine_drop_member(CcEngine *self, CcGuest *guest, CcQemu **slot, const gchar *role)
{
	if (*slot == NULL)
		return;
	g_signal_handlers_disconnect_by_data(*slot, guest);
	g_clear_object(slot);
	cc_engine_changed(self);
	cc_store_member_delete(self->store, guest->name, role, NULL);
}

/* A promoted secondary's replication commits its active overlay into its own
 * disk in the background after the failover. Until that job is gone the disk
 * file alone is not the guest's disk, so a stop waits for it. */
typedef struct {
	CcEngine *self;
	gchar *name;
	gchar *overlay; /* the active overlay: in the graph until the commit is through */
	gchar *hidden;  /* the hidden overlay below it, committed with it */
	gint64 start_us;
	guint polls;
} CcCommitWatch;

static void cc_engine_commit_poll(CcCommitWatch *w);

static void
cc_engine_commit_done(CcCommitWatch *w, const gchar *kind, const gchar *error)
{
	CcGuest *guest = g_hash_table_lookup(w->self->guests, w->name);
	JsonObject *d = json_object_new();

	json_object_set_double_member(d, "ms",
				      (gdouble)(g_get_monotonic_time() - w->start_us) / 1000.0);
	json_object_set_int_member(d, "polls", w->polls);
	if (error != NULL)
		json_object_set_string_member(d, "error", error);
	/* committed: both overlays are in the disk file now and out of QEMU's graph; an
	 * unknown outcome keeps them, they may hold the only copy of the last writes */
	if (error == NULL) {
		const gchar *files[] = {w->overlay, w->hidden};
		JsonArray *removed = json_array_new();
		for (guint i = 0; i < G_N_ELEMENTS(files); i++) {
			if (cc_engine_remove_file(w->name, files[i]))
				json_array_add_string_element(removed, files[i]);
		}
		json_object_set_array_member(d, "removed", removed);
	}
	cc_engine_record(w->self, w->name, NULL, kind, d);
	if (guest != NULL) {
		guest->committing = FALSE;
		if (guest->stop_pending) {
			guest->stop_pending = FALSE;
			g_autoptr(GError) e = NULL;
			g_autoptr(JsonNode) n = cc_engine_guest_stop(w->self, w->name, FALSE, &e);
			if (n == NULL)
				g_warning("guest %s: deferred stop: %s", w->name, e->message);
		}
	}
	g_object_unref(w->self);
	g_free(w->name);
	g_free(w->overlay);
	g_free(w->hidden);
	g_free(w);
}

static gboolean
cc_engine_commit_later_cb(gpointer user_data)
{
	cc_engine_commit_poll(user_data);
	return G_SOURCE_REMOVE;
}

static void
cc_engine_commit_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	CcCommitWatch *w = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) ret = cc_qemu_execute_finish(CC_QEMU(source), res, &error);
	gboolean in_graph = FALSE;
	JsonArray *nodes;

	if (ret == NULL) {
		cc_engine_commit_done(w, "colo-disk-commit-unknown", error->message);
		return;
	}
	/* the job is internal to replication (query-block-jobs does not show it): the
	 * active overlay leaves the graph when it is done */
	nodes = JSON_NODE_HOLDS_ARRAY(ret) ? json_node_get_array(ret) : NULL;
	for (guint i = 0; nodes != NULL && i < json_array_get_length(nodes); i++) {
		JsonObject *n = json_array_get_object_element(nodes, i);
		if (g_strcmp0(json_object_get_string_member_with_default(n, "file", ""),
			      w->overlay) == 0)
			in_graph = TRUE;
	}
	if (!in_graph) {
		cc_engine_commit_done(w, "colo-disk-committed", NULL);
		return;
	}
	if (++w->polls > 1200) {
		cc_engine_commit_done(w, "colo-disk-commit-unknown",
				      "the replication commit still runs after 120 s");
		return;
	}
	g_timeout_add(100, cc_engine_commit_later_cb, w);
}

static void
cc_engine_commit_poll(CcCommitWatch *w)
{
	CcGuest *guest = g_hash_table_lookup(w->self->guests, w->name);
	if (guest == NULL || guest->member == NULL ||
	    cc_qemu_get_state(guest->member) != CC_QEMU_STATE_RUNNING) {
		cc_engine_commit_done(w, "colo-disk-commit-unknown", "the member is gone");
		return;
	}
	g_autoptr(JsonObject) args = json_object_new();
	json_object_set_boolean_member(args, "flat", TRUE);
	cc_qemu_execute_async(guest->member, "query-named-block-nodes", args, CC_QMP_FLAG_NONE, 0,
			      cc_engine_commit_cb, w);
}

static void
cc_engine_commit_watch(CcEngine *self, CcGuest *guest, const gchar *overlay, const gchar *hidden)
{
	CcCommitWatch *w = g_new0(CcCommitWatch, 1);
	w->overlay = g_strdup(overlay);
	w->hidden = g_strdup(hidden);
	w->self = g_object_ref(self);
	w->name = g_strdup(guest->name);
	w->start_us = g_get_monotonic_time();
	guest->committing = TRUE;
	cc_engine_commit_poll(w);
}

static void
cc_engine_colo_finished_cb(CcColo *colo, CcQemu *survivor, JsonObject *detail, gpointer user_data)
{
	CcGuest *guest = user_data;
	CcEngine *self = guest->engine;
	g_autoptr(CcColo) keep = g_object_ref(colo);
	g_autoptr(CcStorePair) pair = cc_store_pair_get(self->store, guest->name, NULL);
	const gchar *lost_role =
		json_object_get_string_member_with_default(detail, "lost_role", NULL);
	CcQemu *secondary = cc_colo_get_secondary(colo);
	g_autofree gchar *lost_host = NULL;
	g_autofree gchar *reason = NULL;
	gboolean failover = lost_role != NULL;

	g_signal_handlers_disconnect_by_data(colo, guest);
	g_clear_object(&guest->colo);
	if (failover && !guest->unprotecting) {
		cc_engine_record_failover(self, guest, detail, survivor != NULL);
		self->failovers_total++;
	}
	if (survivor != NULL && survivor == secondary) {
		/* the secondary is the guest now: it takes the primary's place */
		const gchar *host = g_object_get_data(G_OBJECT(survivor), "cc-host");
		g_autoptr(GError) error_local = NULL;
		/* set only when an earlier failover left the guest on a disk coloctl made */
		g_autofree gchar *old_run = cc_store_guest_get_run_disk(self->store, guest->name);
		lost_host = g_strdup(g_object_get_data(G_OBJECT(guest->member), "cc-host"));
		cc_engine_drop_member(self, guest, &guest->member, CC_ROLE_PRIMARY);
		cc_store_member_delete(self->store, guest->name, CC_ROLE_SECONDARY, NULL);
		guest->member = g_steal_pointer(&guest->secondary);
		cc_engine_member_save(self, guest, guest->member);
		cc_engine_commit_watch(self, guest, cc_colo_get_spec(colo)->active_disk,
				       cc_colo_get_spec(colo)->hidden_disk);
		if (!cc_store_guest_set_host(self->store, guest->name, host, &error_local) ||
		    !cc_store_guest_set_run_disk(self->store, guest->name,
						 cc_colo_get_spec(colo)->secondary_disk,
						 &error_local)) {
			g_warning("guest %s: %s", guest->name, error_local->message);
		} else if (old_run != NULL &&
			   g_strcmp0(old_run, cc_colo_get_spec(colo)->secondary_disk) != 0) {
			/* the fenced primary ran from a disk an earlier failover made: the
			 * survivor has the guest's disk now. A disk the user gave stays. */
			cc_engine_remove_file(guest->name, old_run);
		}
	} else {
		g_auto(GStrv) files = cc_engine_secondary_files(cc_colo_get_spec(colo));
		if (guest->secondary != NULL)
			lost_host =
				g_strdup(g_object_get_data(G_OBJECT(guest->secondary), "cc-host"));
		cc_engine_drop_member(self, guest, &guest->secondary, CC_ROLE_SECONDARY);
		/* the primary keeps the guest: the fenced secondary's copy of the disk holds
		 * nothing it needs. With nothing left running, the files stay for a person. */
		for (guint i = 0; survivor != NULL && files[i] != NULL; i++)
			cc_engine_remove_file(guest->name, files[i]);
	}
	if (failover)
		reason = g_strdup_printf(
			"failover: %s %s lost (%s); %s runs the guest after %.0f ms", lost_role,
			json_object_get_string_member_with_default(detail, "lost", "?"),
			json_object_get_string_member_with_default(detail, "cause", "?"),
			survivor != NULL ? cc_qemu_get_name(survivor) : "nothing",
			json_object_get_double_member_with_default(detail, "latency_ms", 0));
	else
		reason = g_strdup_printf(
			"protect failed: %s",
			json_object_get_string_member_with_default(detail, "reason", "?"));
	if (guest->unprotecting && survivor != NULL) {
		guest->unprotecting = FALSE;
		cc_engine_changed(self);
		cc_store_pair_delete(self->store, guest->name, NULL);
		cc_engine_record(self, guest->name, NULL, "unprotected", NULL);
		cc_engine_set_state_logged(self, guest->name, "running", "unprotected on request");
		return;
	}
	guest->unprotecting = FALSE;
	cc_engine_pair_set(self, guest->name, "unprotected", reason, NULL);
	if (survivor == NULL) {
		/* nothing runs the guest: whatever is left goes through the ladder */
		if (guest->member != NULL)
			cc_qemu_stop_full_async(guest->member, TRUE, NULL, NULL);
		cc_engine_set_state_logged(self, guest->name, "failed", reason);
		return;
	}
	cc_engine_set_state_logged(self, guest->name, "running", reason);
	if (pair != NULL && pair->auto_reprotect && self->config->colo_auto_reprotect &&
	    guest->reprotect_id == 0) {
		if (failover) {
			guest->reprotect_attempts = 0;
			cc_engine_reprotect_later(self, guest, lost_host, NULL);
		} else if (guest->reprotect_auto) {
			/* an automatic re-protection failed on its way: try again later */
			guest->reprotect_attempts++;
			cc_engine_reprotect_later(self, guest, lost_host, reason);
		}
	}
	guest->reprotect_auto = FALSE;
}

/* the pair's topology spec; its strings live in @keep */
static gboolean
cc_engine_pair_spec(CcEngine *self, CcStoreGuest *g, const gchar *primary_host,
		    const gchar *sec_host, const gchar *mname, guint checkpoint_ms,
		    gint64 port_base, CcPairSpec *spec, GPtrArray *keep, GError **error)
{
	const CcConfigHost *ph = cc_config_get_host(self->config, primary_host);
	const CcConfigHost *sh = cc_config_get_host(self->config, sec_host);
	g_autofree gchar *dir = g_build_filename(self->config->state_dir, "colo", NULL);
	gchar *sdisk, *adisk, *hdisk;

	if (ph == NULL || sh == NULL) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_INVALID_INPUT,
			    "host %s is not configured (see coloctl hosts)",
			    ph == NULL ? primary_host : sec_host);
		return FALSE;
	}
	if (g_mkdir_with_parents(dir, 0700) != 0) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_INTERNAL, "cannot make %s: %s", dir,
			    g_strerror(errno));
		return FALSE;
	}
	sdisk = g_strdup_printf("%s/%s.raw", dir, mname);
	adisk = g_strdup_printf("%s/%s-active.qcow2", dir, mname);
	hdisk = g_strdup_printf("%s/%s-hidden.qcow2", dir, mname);
	g_ptr_array_add(keep, sdisk);
	g_ptr_array_add(keep, adisk);
	g_ptr_array_add(keep, hdisk);
	spec->guest = g->name;
	spec->net = g_str_has_prefix(g->net, "bridge:");
	spec->primary_address = ph->address;
	spec->secondary_address = sh->address;
	spec->port_base = (guint)port_base;
	spec->sock_dir = self->config->runtime_dir;
	spec->sock_prefix = mname;
	spec->secondary_disk = sdisk;
	spec->active_disk = adisk;
	spec->hidden_disk = hdisk;
	spec->checkpoint_ms = checkpoint_ms;
	return TRUE;
}

/* guest->member and guest->secondary are set: the pair object that drives them */
static void
cc_engine_colo_create(CcEngine *self, CcGuest *guest, const CcPairSpec *spec, guint64 size)
{
	CcColoParams params = {0};

	params.watchdog_ms = self->config->colo_watchdog_ms;
	params.hang_ms = self->config->colo_hang_ms;
	params.checkpoint_hang_ms = self->config->colo_checkpoint_hang_ms;
	params.sync_timeout_s = self->config->colo_sync_timeout_s;
	params.sample_ms = self->config->migration_sample_ms;
	params.qemu_img = self->config->colo_qemu_img;
	params.link_probe_ms = self->config->colo_link_probe_ms;
	guest->colo =
		cc_colo_new(guest->name, guest->member, guest->secondary, spec, size, &params);
	g_signal_connect(guest->colo, "event", G_CALLBACK(cc_engine_colo_event_cb), guest);
	g_signal_connect(guest->colo, "finished", G_CALLBACK(cc_engine_colo_finished_cb), guest);
}

static gboolean
cc_engine_protect_start(CcEngine *self, CcGuest *guest, CcStoreGuest *g, const gchar *sec_host,
			guint checkpoint_ms, gint64 port_base, GError **error)
{
	g_autofree gchar *mname = g_strdup_printf("%s-s%" G_GINT64_FORMAT, g->name,
						  cc_store_event_last_id(self->store) + 1);
	g_autofree gchar *run_disk = cc_engine_run_disk(self, g);
	g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) argv = NULL;
	CcPairSpec spec = {0};
	guint64 size = 0;

	if (!cc_engine_pair_spec(self, g, g->host, sec_host, mname, checkpoint_ms, port_base, &spec,
				 keep, error))
		return FALSE;
	if (!cc_engine_disk_size(run_disk, &size, error))
		return FALSE;
	guest->secondary = cc_engine_member_new(self, guest, sec_host, mname, error);
	if (guest->secondary == NULL)
		return FALSE;
	argv = cc_engine_build_argv(self, g, guest->secondary, sec_host, &spec,
				    cc_qemu_get_caps(guest->member));
	cc_engine_colo_create(self, guest, &spec, size);
	cc_engine_member_save(self, guest, guest->secondary);
	{
		JsonObject *d = json_object_new();
		json_object_set_string_member(d, "secondary", mname);
		json_object_set_string_member(d, "secondary_host", sec_host);
		json_object_set_int_member(d, "checkpoint_ms", checkpoint_ms);
		json_object_set_int_member(d, "port_base", port_base);
		json_object_set_int_member(d, "disk_bytes", (gint64)size);
		cc_engine_record(self, g->name, NULL, "protect-started", d);
	}
	cc_colo_protect(guest->colo, (const gchar *const *)argv->pdata);
	return TRUE;
}

/* shared by the request and automatic re-protection */
static gboolean
cc_engine_protect(CcEngine *self, const gchar *name, const gchar *wanted_host, gint64 checkpoint_ms,
		  const gchar *previous_host, gint auto_reprotect, GError **error)
{
	g_autoptr(CcStoreGuest) g = cc_store_guest_get(self->store, name, error);
	g_autoptr(CcStorePair) old = NULL;
	CcGuest *guest = g_hash_table_lookup(self->guests, name);
	CcStorePair pair = {0};
	const gchar *sec_host;
	gint64 port_base;

	if (g == NULL)
		return FALSE;
	if (g_strcmp0(g->state, "running") != 0 || guest == NULL || guest->member == NULL ||
	    cc_qemu_get_state(guest->member) != CC_QEMU_STATE_RUNNING || guest->colo != NULL ||
	    guest->migration != NULL)
		return cc_engine_conflict(g, "protect", error);
	if (cc_qemu_get_caps(guest->member) == NULL || !cc_qemu_get_caps(guest->member)->colo) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_UNSUPPORTED,
			    "cannot protect guest %s: its QEMU has no x-colo migration capability",
			    name);
		return FALSE;
	}
	if (wanted_host != NULL && cc_config_get_host(self->config, wanted_host) == NULL) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_INVALID_INPUT,
			    "host %s is not configured (see coloctl hosts)", wanted_host);
		return FALSE;
	}
	old = cc_store_pair_get(self->store, name, NULL);
	sec_host = cc_engine_pick_secondary_host(
		self, g->host, wanted_host,
		previous_host != NULL ? previous_host : (old != NULL ? old->secondary_host : NULL));
	port_base = cc_engine_port_base(self, name, error);
	if (port_base < 0)
		return FALSE;
	pair.guest = (gchar *)name;
	pair.secondary_host = (gchar *)sec_host;
	pair.checkpoint_ms = checkpoint_ms > 0 ? checkpoint_ms
			     : old != NULL     ? old->checkpoint_ms
					       : self->config->colo_checkpoint_ms;
	pair.port_base = port_base;
	pair.state = (gchar *)"syncing";
	pair.auto_reprotect = auto_reprotect >= 0 ? auto_reprotect != 0
			      : old != NULL       ? old->auto_reprotect
						  : TRUE;
	cc_engine_changed(self);
	if (!cc_store_pair_put(self->store, &pair, error))
		return FALSE;
	if (!cc_engine_set_state(self, name, "syncing", NULL, error))
		return FALSE;
	if (!cc_engine_protect_start(self, guest, g, sec_host, (guint)pair.checkpoint_ms, port_base,
				     error)) {
		cc_engine_drop_member(self, guest, &guest->secondary, CC_ROLE_SECONDARY);
		cc_engine_pair_set(self, name, "unprotected", (*error)->message, NULL);
		cc_engine_set_state_logged(self, name, "running", (*error)->message);
		return FALSE;
	}
	return TRUE;
}

static gboolean
cc_engine_reprotect_cb(gpointer user_data)
{
	CcGuest *guest = user_data;
	CcEngine *self = guest->engine;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *host = g_steal_pointer(&guest->reprotect_host);

	guest->reprotect_id = 0;
	guest->reprotect_auto = TRUE;
	if (!cc_engine_protect(self, guest->name, NULL, 0, host, -1, &error)) {
		g_autoptr(CcStoreGuest) g = cc_store_guest_get(self->store, guest->name, NULL);
		JsonObject *d = json_object_new();
		json_object_set_string_member(d, "error", error->message);
		cc_engine_record(self, guest->name, NULL, "reprotect-failed", d);
		guest->reprotect_auto = FALSE;
		/* refused at once (say the spare host is not configured now): retry only while
		 * the guest runs unprotected, as it did when the re-protection was due */
		if (g != NULL && g_strcmp0(g->state, "running") == 0) {
			guest->reprotect_attempts++;
			cc_engine_reprotect_later(self, guest, host, error->message);
		}
	}
	return G_SOURCE_REMOVE;
}

JsonNode *
cc_engine_guest_protect(CcEngine *self, const gchar *name, JsonObject *req, GError **error)
{
	const gchar *host = req != NULL ? cc_engine_opt_string(req, "secondary_host") : NULL;
	gint64 ckpt =
		req != NULL ? json_object_get_int_member_with_default(req, "checkpoint_ms", 0) : 0;
	gint auto_rp = -1;
	CcGuest *guest = g_hash_table_lookup(self->guests, name);

	if (req != NULL && json_object_has_member(req, "auto_reprotect"))
		auto_rp = json_object_get_boolean_member(req, "auto_reprotect") ? 1 : 0;
	/* a protect asked for replaces any automatic one, and its retries */
	if (guest != NULL)
		cc_guest_reprotect_cancel(guest);
	if (!cc_engine_protect(self, name, host, ckpt, NULL, auto_rp, error))
		return NULL;
	return cc_engine_guest_get(self, name, error);
}

JsonNode *
cc_engine_guest_failover(CcEngine *self, const gchar *name, JsonObject *req, GError **error)
{
	g_autoptr(CcStoreGuest) g = cc_store_guest_get(self->store, name, error);
	CcGuest *guest = g_hash_table_lookup(self->guests, name);
	const gchar *to = req != NULL ? cc_engine_opt_string(req, "to") : NULL;

	if (g == NULL)
		return NULL;
	if (guest == NULL || guest->colo == NULL ||
	    cc_colo_get_state(guest->colo) != CC_COLO_PROTECTED) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_CONFLICT,
			    "cannot fail over guest %s: it is %s, not protected", name, g->state);
		return NULL;
	}
	/* --to names the member that keeps the guest */
	if (!cc_colo_failover(guest->colo, g_strcmp0(to, "primary") == 0 ? "secondary" : "primary",
			      "requested", error))
		return NULL;
	return cc_engine_guest_get(self, name, error);
}

/* ends protection on request: the secondary is dropped (fenced, the primary
 * leaves COLO) and the guest is no longer protected when it starts */
JsonNode *
cc_engine_guest_unprotect(CcEngine *self, const gchar *name, GError **error)
{
	g_autoptr(CcStoreGuest) g = cc_store_guest_get(self->store, name, error);
	g_autoptr(CcStorePair) pair = NULL;
	CcGuest *guest = g_hash_table_lookup(self->guests, name);

	if (g == NULL)
		return NULL;
	pair = cc_store_pair_get(self->store, name, NULL);
	if (pair == NULL) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_CONFLICT,
			    "cannot unprotect guest %s: it is not protected", name);
		return NULL;
	}
	if (guest != NULL)
		cc_guest_reprotect_cancel(guest);
	if (guest != NULL && guest->colo != NULL) {
		if (cc_colo_get_state(guest->colo) != CC_COLO_PROTECTED) {
			g_set_error(error, COLO_ERROR, COLO_ERROR_CONFLICT,
				    "cannot unprotect guest %s while it is %s; try again when it "
				    "is protected or running",
				    name, g->state);
			return NULL;
		}
		guest->unprotecting = TRUE;
		if (!cc_colo_failover(guest->colo, "secondary", "unprotect", error)) {
			guest->unprotecting = FALSE;
			return NULL;
		}
		return cc_engine_guest_get(self, name, error);
	}
	cc_engine_changed(self);
	if (!cc_store_pair_delete(self->store, name, error))
		return NULL;
	cc_engine_record(self, name, NULL, "unprotected", NULL);
	return cc_engine_guest_get(self, name, error);
}

JsonNode *
cc_engine_guest_failovers(CcEngine *self, const gchar *name, GError **error)
{
	g_autoptr(CcStoreGuest) g = cc_store_guest_get(self->store, name, error);
	g_autoptr(GPtrArray) rows = NULL;
	JsonArray *arr;
	JsonObject *obj;
	JsonNode *node;

	if (g == NULL)
		return NULL;
	rows = cc_store_failover_list(self->store, name, error);
	if (rows == NULL)
		return NULL;
	arr = json_array_new();
	for (guint i = 0; i < rows->len; i++) {
		CcStoreFailover *f = g_ptr_array_index(rows, i);
		JsonObject *o = json_object_new();
		g_autofree gchar *ts = cc_engine_time_string(f->ts_us);
		JsonNode *detail = cc_engine_parse_text(f->detail);
		json_object_set_int_member(o, "id", f->id);
		json_object_set_string_member(o, "time", ts);
		json_object_set_string_member(o, "cause", f->cause);
		json_object_set_string_member(o, "lost", f->lost);
		json_object_set_string_member(o, "lost_role", f->lost_role);
		cc_engine_set_nullable(o, "survivor", f->survivor);
		json_object_set_boolean_member(o, "ok", f->ok);
		json_object_set_double_member(o, "latency_ms", f->latency_ms);
		json_object_set_member(o, "detail", detail);
		json_array_add_object_element(arr, o);
	}
	obj = json_object_new();
	json_object_set_array_member(obj, "failovers", arr);
	node = json_node_new(JSON_NODE_OBJECT);
	json_node_take_object(node, obj);
	return node;
}

/* what `show` says about protection: live from the pair when one runs */
static JsonObject *
cc_engine_protection_json(CcEngine *self, const gchar *name)
{
	CcGuest *guest = g_hash_table_lookup(self->guests, name);
	g_autoptr(CcStorePair) pair = cc_store_pair_get(self->store, name, NULL);
	g_autoptr(GPtrArray) failovers = cc_store_failover_list(self->store, name, NULL);
	JsonObject *o;

	if (pair == NULL)
		return NULL;
	o = guest != NULL && guest->colo != NULL ? cc_colo_to_json(guest->colo) : json_object_new();
	json_object_set_string_member(o, "pair_state", pair->state);
	cc_engine_set_nullable(o, "reason", pair->reason);
	cc_engine_set_nullable(o, "secondary_host", pair->secondary_host);
	if (!json_object_has_member(o, "checkpoint_ms"))
		json_object_set_int_member(o, "checkpoint_ms", pair->checkpoint_ms);
	json_object_set_boolean_member(o, "auto_reprotect",
				       pair->auto_reprotect && self->config->colo_auto_reprotect);
	if (guest != NULL && guest->reprotect_attempts > 0) {
		json_object_set_int_member(o, "reprotect_failures", guest->reprotect_attempts);
		json_object_set_boolean_member(o, "reprotect_scheduled", guest->reprotect_id != 0);
	}
	json_object_set_int_member(o, "failovers", failovers != NULL ? failovers->len : 0);
	if (!json_object_has_member(o, "last_failover") && failovers != NULL &&
	    failovers->len > 0) {
		CcStoreFailover *f = g_ptr_array_index(failovers, failovers->len - 1);
		json_object_set_member(o, "last_failover", cc_engine_parse_text(f->detail));
	}
	return o;
}

/* ---------------------------------------------------------------- reattach */

static void
cc_engine_attach_status_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	CcEngine *self = CC_ENGINE(user_data);
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) ret = cc_qemu_execute_finish(CC_QEMU(source), res, &error);
	const gchar *guest_name = g_object_get_data(source, "cc-guest");
	JsonObject *detail = json_object_new();

	self->busy--;
	if (ret != NULL && JSON_NODE_HOLDS_OBJECT(ret))
		json_object_set_string_member(
			detail, "status",
			json_object_get_string_member_with_default(json_node_get_object(ret),
								   "status", "unknown"));
	else
		json_object_set_string_member(detail, "error", error->message);
	json_object_set_int_member(detail, "pid", cc_qemu_get_pid(CC_QEMU(source)));
	cc_engine_record(self, guest_name, cc_qemu_get_name(CC_QEMU(source)), "guest-reattached",
			 detail);
	g_object_unref(self);
}

/* the daemon died during a migration: finish it if QEMU did, else cancel it. Either
 * way the store ends matching what really runs. */

static void
cc_engine_migration_close(CcEngine *self, const gchar *guest, const gchar *state,
			  const gchar *reason)
{
	g_autoptr(CcStoreMigration) m = cc_store_migration_last(self->store, guest, NULL);
	g_autoptr(GError) error_local = NULL;
	if (m != NULL &&
	    !cc_store_migration_update(self->store, m->id, state, reason, NULL, TRUE, &error_local))
		g_warning("migration: %s", error_local->message);
}

static void
cc_engine_resolve_adopt_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	CcEngine *self = CC_ENGINE(user_data);
	CcQemu *dest = CC_QEMU(source);
	const gchar *guest_name = g_object_get_data(source, "cc-guest");
	CcGuest *guest = g_hash_table_lookup(self->guests, guest_name);
	g_autoptr(GError) error = NULL;
	CcQemu *old;

	self->busy--;
	if (!cc_qemu_launch_finish(dest, res, &error)) {
		g_autofree gchar *reason = g_strdup_printf(
			"the migration completed while coloctld was down, but the destination is "
			"gone: %s",
			error->message);
		cc_engine_migration_close(self, guest_name, "failed", reason);
		cc_store_member_delete(self->store, guest_name, CC_ROLE_DESTINATION, NULL);
		cc_engine_set_state_logged(self, guest_name, "failed", reason);
		g_object_unref(dest);
		g_object_unref(self);
		return;
	}
	old = guest->member;
	g_signal_handlers_disconnect_by_data(old, guest);
	guest->member = dest;
	cc_store_member_delete(self->store, guest_name, CC_ROLE_DESTINATION, NULL);
	cc_engine_member_save(self, guest, dest);
	cc_store_guest_set_host(self->store, guest_name, g_object_get_data(source, "cc-host"),
				NULL);
	cc_engine_migration_close(self, guest_name, "completed",
				  "completed while coloctld was down");
	cc_engine_set_state_logged(self, guest_name, "running", NULL);
	cc_qemu_stop_async(old, NULL, NULL);
	g_object_unref(old);
	g_object_unref(self);
}

static void
cc_engine_resolve_cancel(CcEngine *self, CcGuest *guest, CcStoreMember *dest_row)
{
	g_autoptr(CcProcess) dest = NULL;

	cc_qemu_execute_async(guest->member, "migrate_cancel", NULL, CC_QMP_FLAG_NONE, 0, NULL,
			      NULL);
	if (dest_row != NULL && dest_row->pid > 0) {
		/* an incoming QEMU holds no guest state worth keeping */
		dest = cc_process_new_attach((GPid)dest_row->pid, dest_row->start_time, NULL);
		if (dest != NULL)
			cc_process_kill(dest, SIGKILL, NULL);
	}
	cc_store_member_delete(self->store, guest->name, CC_ROLE_DESTINATION, NULL);
	cc_engine_migration_close(self, guest->name, "cancelled",
				  "coloctld restarted during the migration");
	cc_engine_set_state_logged(self, guest->name, "running",
				   "migration cancelled: coloctld restarted during it");
}

static void
cc_engine_resolve_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	CcEngine *self = CC_ENGINE(user_data);
	const gchar *guest_name = g_object_get_data(source, "cc-guest");
	CcGuest *guest = g_hash_table_lookup(self->guests, guest_name);
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) ret = cc_qemu_execute_finish(CC_QEMU(source), res, &error);
	g_autoptr(CcStoreMember) dest_row =
		cc_engine_member_row(self, guest_name, CC_ROLE_DESTINATION);
	const gchar *status = NULL;
	g_autofree gchar *mname = NULL;
	CcQemu *dest;

	self->busy--;
	if (ret != NULL && JSON_NODE_HOLDS_OBJECT(ret))
		status = json_object_get_string_member_with_default(json_node_get_object(ret),
								    "status", NULL);
	if (g_strcmp0(status, "completed") != 0 || dest_row == NULL) {
		cc_engine_resolve_cancel(self, guest, dest_row);
		g_object_unref(self);
		return;
	}
	mname = cc_engine_member_name_from_qmp(dest_row->qmp_path, guest_name);
	dest = cc_engine_member_new(self, guest, dest_row->host, mname, &error);
	if (dest == NULL) {
		cc_engine_resolve_cancel(self, guest, dest_row);
		g_object_unref(self);
		return;
	}
	self->busy++;
	cc_qemu_attach_async(dest, (GPid)dest_row->pid, dest_row->start_time,
			     (guint)dest_row->generation, NULL, cc_engine_resolve_adopt_cb, self);
}

static void
cc_engine_resolve_migration(CcEngine *self, CcQemu *source)
{
	self->busy++;
	cc_qemu_execute_async(source, "query-migrate", NULL, CC_QMP_FLAG_NONE, 0,
			      cc_engine_resolve_cb, g_object_ref(self));
}

static void
cc_engine_attach_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	CcEngine *self = CC_ENGINE(user_data);
	CcQemu *member = CC_QEMU(source);
	g_autoptr(GError) error = NULL;
	const gchar *guest_name = g_object_get_data(source, "cc-guest");
	g_autoptr(CcStoreGuest) g = NULL;
	g_autofree gchar *reason = NULL;

	if (!cc_qemu_launch_finish(member, res, &error)) {
		self->busy--;
		reason = g_strdup_printf("member %s died while coloctld was down (%s)",
					 cc_qemu_get_name(member), error->message);
		cc_engine_set_state_logged(self, guest_name, "failed", reason);
		cc_engine_member_save(self, g_hash_table_lookup(self->guests, guest_name), member);
		cc_qemu_stop_async(member, NULL, NULL);
		g_object_unref(self);
		return;
	}
	cc_engine_member_save(self, g_hash_table_lookup(self->guests, guest_name), member);
	g = cc_store_guest_get(self->store, guest_name, NULL);
	if (g != NULL && g_strcmp0(g->state, "starting") == 0)
		cc_engine_set_state_logged(self, guest_name, "running", NULL);
	/* the status read goes into the event log */
	cc_qemu_execute_async(member, "query-status", NULL, CC_QMP_FLAG_NONE, 0,
			      cc_engine_attach_status_cb, self);
	if (g != NULL && g_strcmp0(g->state, "migrating") == 0)
		cc_engine_resolve_migration(self, member);
	if (g != NULL && g_strcmp0(g->state, "stopping") == 0) {
		/* the daemon died mid-stop: finish the job */
		self->busy++;
		cc_qemu_stop_async(member, cc_engine_stop_cb, g_object_ref(self));
	}
}

static void
cc_engine_reattach_guest(CcEngine *self, CcStoreGuest *g)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) members = cc_store_member_list(self->store, g->name, &error);
	CcStoreMember *m = NULL;
	g_autofree gchar *mname = NULL;
	CcGuest *guest;

	for (guint i = 0; members != NULL && i < members->len; i++) {
		CcStoreMember *candidate = g_ptr_array_index(members, i);
		if (g_strcmp0(candidate->role, CC_ROLE_PRIMARY) == 0)
			m = candidate;
	}
	if (m == NULL || m->pid <= 0) {
		cc_engine_set_state_logged(self, g->name, "failed",
					   "no member process was recorded before the restart");
		return;
	}
	guest = cc_engine_guest_runtime(self, g->name);
	mname = cc_engine_member_name_from_qmp(m->qmp_path, g->name);
	guest->member = cc_engine_member_new(self, guest, m->host, mname, &error);
	if (guest->member == NULL) {
		cc_engine_set_state_logged(self, g->name, "failed", error->message);
		return;
	}
	self->busy++;
	cc_qemu_attach_async(guest->member, (GPid)m->pid, m->start_time, (guint)m->generation, NULL,
			     cc_engine_attach_cb, g_object_ref(self));
}

/* both members of a pair answered (or failed to): supervision resumes */
static void
cc_engine_pair_attached(CcEngine *self, CcGuest *guest)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CcStoreGuest) g = cc_store_guest_get(self->store, guest->name, NULL);
	g_autoptr(CcStorePair) pair = cc_store_pair_get(self->store, guest->name, NULL);
	g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func(g_free);
	g_autofree gchar *run_disk = NULL;
	CcPairSpec spec = {0};
	guint64 size = 0;
	gboolean up[2];

	up[0] = cc_qemu_get_state(guest->member) == CC_QEMU_STATE_RUNNING;
	up[1] = cc_qemu_get_state(guest->secondary) == CC_QEMU_STATE_RUNNING;
	if (g == NULL || pair == NULL ||
	    !cc_engine_pair_spec(self, g, g_object_get_data(G_OBJECT(guest->member), "cc-host"),
				 g_object_get_data(G_OBJECT(guest->secondary), "cc-host"),
				 cc_qemu_get_name(guest->secondary), (guint)pair->checkpoint_ms,
				 pair->port_base, &spec, keep, &error)) {
		cc_engine_set_state_logged(self, guest->name, "failed",
					   error != NULL ? error->message : "pair record missing");
		return;
	}
	if (!up[0] && !up[1]) {
		cc_engine_drop_member(self, guest, &guest->secondary, CC_ROLE_SECONDARY);
		cc_engine_set_state_logged(self, guest->name, "failed",
					   "both members died while coloctld was down");
		return;
	}
	run_disk = cc_engine_run_disk(self, g);
	if (!cc_engine_disk_size(run_disk, &size, NULL))
		size = 0;
	cc_engine_colo_create(self, guest, &spec, size);
	if (up[0] && up[1] && g_strcmp0(g->state, "failing-over") == 0)
		cc_engine_set_state_logged(
			self, guest->name, "protected",
			"coloctld restarted during a failover; both members run");
	cc_colo_adopt(guest->colo, g_strcmp0(g->state, "syncing") == 0);
}

static void
cc_engine_pair_attach_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	CcEngine *self = CC_ENGINE(user_data);
	CcQemu *member = CC_QEMU(source);
	const gchar *guest_name = g_object_get_data(source, "cc-guest");
	CcGuest *guest = g_hash_table_lookup(self->guests, guest_name);
	g_autoptr(GError) error = NULL;

	self->busy--;
	if (!cc_qemu_launch_finish(member, res, &error)) {
		JsonObject *d = json_object_new();
		json_object_set_string_member(d, "error", error->message);
		cc_engine_record(self, guest_name, cc_qemu_get_name(member),
				 "member-lost-while-down", d);
	}
	if (guest != NULL)
		cc_engine_member_save(self, guest, member);
	if (guest != NULL && --guest->stopping == 0)
		cc_engine_pair_attached(self, guest);
	g_object_unref(self);
}

/* a protected guest: both members are reattached, then the pair resumes */
static void
cc_engine_reattach_pair(CcEngine *self, CcStoreGuest *g)
{
	g_autoptr(CcStoreMember) prow = cc_engine_member_row(self, g->name, CC_ROLE_PRIMARY);
	g_autoptr(CcStoreMember) srow = cc_engine_member_row(self, g->name, CC_ROLE_SECONDARY);
	g_autofree gchar *pname = NULL;
	g_autofree gchar *sname = NULL;
	g_autoptr(GError) error = NULL;
	CcGuest *guest;

	if (prow == NULL || srow == NULL || prow->pid <= 0 || srow->pid <= 0) {
		cc_engine_reattach_guest(self, g);
		return;
	}
	guest = cc_engine_guest_runtime(self, g->name);
	pname = cc_engine_member_name_from_qmp(prow->qmp_path, g->name);
	sname = cc_engine_member_name_from_qmp(srow->qmp_path, g->name);
	guest->member = cc_engine_member_new(self, guest, prow->host, pname, &error);
	if (guest->member != NULL)
		guest->secondary = cc_engine_member_new(self, guest, srow->host, sname, &error);
	if (guest->member == NULL || guest->secondary == NULL) {
		cc_engine_set_state_logged(self, g->name, "failed", error->message);
		return;
	}
	/* counts the two attaches (the field is idle until a stop) */
	guest->stopping = 2;
	self->busy += 2;
	cc_qemu_attach_async(guest->member, (GPid)prow->pid, prow->start_time,
			     (guint)prow->generation, NULL, cc_engine_pair_attach_cb,
			     g_object_ref(self));
	cc_qemu_attach_async(guest->secondary, (GPid)srow->pid, srow->start_time,
			     (guint)srow->generation, NULL, cc_engine_pair_attach_cb,
			     g_object_ref(self));
}

static gboolean
cc_engine_reattach(CcEngine *self, GError **error)
{
	static const gchar *const live[] = {"starting", "running", "stopping", "migrating", NULL};
	static const gchar *const paired[] = {"syncing", "protected", "failing-over", NULL};
	g_autoptr(GPtrArray) rows = cc_store_guest_list(self->store, error);

	if (rows == NULL)
		return FALSE;
	for (guint i = 0; i < rows->len; i++) {
		CcStoreGuest *g = g_ptr_array_index(rows, i);
		if (cc_engine_guest_is(g, live))
			cc_engine_reattach_guest(self, g);
		else if (cc_engine_guest_is(g, paired))
			cc_engine_reattach_pair(self, g);
	}
	return TRUE;
}

/* ------------------------------------------------------------ health probe */

static void
cc_engine_probe_stop_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	CcEngine *self = CC_ENGINE(user_data);
	g_autoptr(GError) error = NULL;
	if (!cc_qemu_stop_finish(CC_QEMU(source), res, &error))
		g_warning("QEMU probe: %s", error->message);
	g_object_unref(self);
}

static void
cc_engine_probe_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	CcEngine *self = CC_ENGINE(user_data);
	g_autoptr(GError) error = NULL;

	if (!cc_qemu_launch_finish(CC_QEMU(source), res, &error)) {
		g_warning("QEMU probe of %s failed: %s", self->config->qemu_binary, error->message);
		self->qemu_error = g_strdup(error->message);
	} else {
		self->qemu_caps = cc_caps_to_json(cc_qemu_get_caps(CC_QEMU(source)));
		json_object_remove_member(json_node_get_object(self->qemu_caps), "commands");
	}
	cc_qemu_stop_async(CC_QEMU(source), cc_engine_probe_stop_cb, self);
}

static void
cc_engine_probe_qemu(CcEngine *self)
{
	const gchar *argv[] = {
		self->config->qemu_binary, "-machine", "none", "-accel", "tcg", "-nodefaults",
		"-no-user-config",         "-display", "none", "-S",     NULL};
	const CcConfigHost *first = g_ptr_array_index(self->config->hosts, 0);
	CcBackend *backend = g_hash_table_lookup(self->backends, first->name);

	if (backend == NULL)
		return;
	self->probe = cc_qemu_new(backend, "coloctld-probe", self->config->runtime_dir);
	cc_qemu_set_timeouts(self->probe, &self->config->timeouts);
	cc_qemu_launch_async(self->probe, argv, NULL, cc_engine_probe_cb, g_object_ref(self));
}

/* before the daemon exits: guests keep running, but the capability probe is ours alone
 * and never outlives the daemon */
void
cc_engine_shutdown(CcEngine *self)
{
	if (self->probe != NULL && cc_qemu_get_process(self->probe) != NULL)
		cc_process_kill(cc_qemu_get_process(self->probe), SIGKILL, NULL);
	cc_engine_record(self, NULL, NULL, "daemon-stopped", NULL);
}

gboolean
cc_engine_start(CcEngine *self, GError **error)
{
	cc_engine_record(self, NULL, NULL, "daemon-started", NULL);
	cc_engine_probe_qemu(self);
	return cc_engine_reattach(self, error);
}

/* -------------------------------------------------------------- read-outs */

JsonNode *
cc_engine_hosts(CcEngine *self)
{
	JsonArray *arr = json_array_new();
	JsonObject *obj = json_object_new();
	JsonNode *node = json_node_new(JSON_NODE_OBJECT);

	for (guint i = 0; i < self->config->hosts->len; i++) {
		const CcConfigHost *h = g_ptr_array_index(self->config->hosts, i);
		JsonObject *ho = json_object_new();
		json_object_set_string_member(ho, "name", h->name);
		json_object_set_string_member(ho, "backend", h->backend);
		json_object_set_string_member(ho, "address", h->address);
		cc_engine_set_nullable(ho, "netns", h->netns);
		json_array_add_object_element(arr, ho);
	}
	json_object_set_array_member(obj, "hosts", arr);
	json_node_take_object(node, obj);
	return node;
}

JsonNode *
cc_engine_health(CcEngine *self)
{
	JsonObject *obj = json_object_new();
	JsonNode *node = json_node_new(JSON_NODE_OBJECT);

	json_object_set_string_member(obj, "version", PACKAGE_VERSION);
	json_object_set_string_member(obj, "status", "ok");
	json_object_set_int_member(obj, "schema_version", cc_store_get_version(self->store));
	if (self->qemu_caps != NULL)
		json_object_set_member(obj, "qemu", json_node_copy(self->qemu_caps));
	else
		json_object_set_null_member(obj, "qemu");
	cc_engine_set_nullable(obj, "qemu_error", self->qemu_error);
	json_node_take_object(node, obj);
	return node;
}

JsonNode *
cc_engine_event_to_json(const CcStoreEvent *e)
{
	JsonObject *obj = json_object_new();
	JsonNode *node = json_node_new(JSON_NODE_OBJECT);
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GDateTime) sec = g_date_time_new_from_unix_utc(e->ts_us / G_USEC_PER_SEC);
	g_autoptr(GDateTime) dt =
		sec != NULL ? g_date_time_add(sec, e->ts_us % G_USEC_PER_SEC) : NULL;
	g_autofree gchar *time = dt != NULL ? g_date_time_format_iso8601(dt) : g_strdup("");

	json_object_set_int_member(obj, "id", e->id);
	json_object_set_string_member(obj, "time", time);
	cc_engine_set_nullable(obj, "guest", e->guest);
	cc_engine_set_nullable(obj, "member", e->member);
	json_object_set_string_member(obj, "kind", e->kind);
	if (json_parser_load_from_data(parser, e->detail, -1, NULL))
		json_object_set_member(obj, "detail", json_node_copy(json_parser_get_root(parser)));
	else
		json_object_set_object_member(obj, "detail", json_object_new());
	json_node_take_object(node, obj);
	return node;
}

JsonNode *
cc_engine_events(CcEngine *self, gint64 after, guint limit, GError **error)
{
	g_autoptr(GPtrArray) events = cc_store_event_list(self->store, after, limit, error);
	JsonArray *arr;
	JsonObject *obj;
	JsonNode *node;
	gint64 last = after;

	if (events == NULL)
		return NULL;
	arr = json_array_new();
	for (guint i = 0; i < events->len; i++) {
		CcStoreEvent *e = g_ptr_array_index(events, i);
		json_array_add_element(arr, cc_engine_event_to_json(e));
		last = e->id;
	}
	obj = json_object_new();
	json_object_set_array_member(obj, "events", arr);
	json_object_set_int_member(obj, "last_id", last);
	node = json_node_new(JSON_NODE_OBJECT);
	json_node_take_object(node, obj);
	return node;
}

void
cc_engine_metrics(CcEngine *self, GString *out)
{
	static const gchar *const states[] = {"defined",   "starting",     "running",   "stopping",
					      "stopped",   "failed",       "migrating", "syncing",
					      "protected", "failing-over", NULL};
	g_autoptr(GPtrArray) rows = cc_store_guest_list(self->store, NULL);
	guint members = 0;
	GHashTableIter iter;
	gpointer value;

	g_string_append(out, "# HELP coloctl_guests Guests by state.\n"
			     "# TYPE coloctl_guests gauge\n");
	for (guint s = 0; states[s] != NULL; s++) {
		guint n = 0;
		for (guint i = 0; rows != NULL && i < rows->len; i++)
			n += g_strcmp0(((CcStoreGuest *)g_ptr_array_index(rows, i))->state,
				       states[s]) == 0;
		g_string_append_printf(out, "coloctl_guests{state=\"%s\"} %u\n", states[s], n);
	}
	g_hash_table_iter_init(&iter, self->guests);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		CcGuest *guest = value;
		if (guest->member != NULL &&
		    cc_qemu_get_state(guest->member) == CC_QEMU_STATE_RUNNING)
			members++;
		if (guest->secondary != NULL &&
		    cc_qemu_get_state(guest->secondary) == CC_QEMU_STATE_RUNNING)
			members++;
	}
	g_string_append_printf(out,
			       "# HELP coloctl_failovers_total COLO failovers since start.\n"
			       "# TYPE coloctl_failovers_total counter\n"
			       "coloctl_failovers_total %" G_GUINT64_FORMAT "\n",
			       self->failovers_total);
	g_string_append_printf(out,
			       "# HELP coloctl_members_running QEMU members running.\n"
			       "# TYPE coloctl_members_running gauge\n"
			       "coloctl_members_running %u\n"
			       "# HELP coloctl_events_total Events recorded since start.\n"
			       "# TYPE coloctl_events_total counter\n"
			       "coloctl_events_total %" G_GUINT64_FORMAT "\n"
			       "# HELP coloctl_last_event_id Newest event id in the log.\n"
			       "# TYPE coloctl_last_event_id gauge\n"
			       "coloctl_last_event_id %" G_GINT64_FORMAT "\n",
			       members, self->events_total, cc_store_event_last_id(self->store));
}

guint
cc_engine_get_busy(CcEngine *self)
{
	return self->busy;
}

CcConfig *
cc_engine_get_config(CcEngine *self)
{
	return self->config;
}

CcStore *
cc_engine_get_store(CcEngine *self)
{
	return self->store;
}

CcEngine *
cc_engine_new(CcConfig *config, CcStore *store, GPtrArray *plugins, GError **error)
{
	g_autoptr(CcEngine) self = g_object_new(CC_TYPE_ENGINE, NULL);

	self->config = config;
	self->store = g_object_ref(store);
	self->plugins = g_ptr_array_ref(plugins);
	for (guint i = 0; i < config->hosts->len; i++) {
		const CcConfigHost *host = g_ptr_array_index(config->hosts, i);
		CcBackend *backend = cc_plugin_new_backend(plugins, host->backend, error);
		if (backend == NULL) {
			g_prefix_error(error, "host %s: ", host->name);
			return NULL;
		}
		g_hash_table_insert(self->backends, g_strdup(host->name), backend);
	}
	return g_steal_pointer(&self);
}

static void
cc_engine_init(CcEngine *self)
{
	self->backends = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_object_unref);
	self->guests =
		g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)cc_guest_free);
}

static void
cc_engine_finalize(GObject *object)
{
	CcEngine *self = CC_ENGINE(object);
	g_hash_table_unref(self->guests);
	g_hash_table_unref(self->backends);
	g_clear_pointer(&self->list_cache, g_bytes_unref);
	g_clear_object(&self->probe);
	g_clear_pointer(&self->qemu_caps, json_node_unref);
	g_free(self->qemu_error);
	g_clear_object(&self->store);
	if (self->plugins != NULL)
		g_ptr_array_unref(self->plugins);
	G_OBJECT_CLASS(cc_engine_parent_class)->finalize(object);
}

static void
cc_engine_class_init(CcEngineClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->finalize = cc_engine_finalize;
	/**
	 * CcEngine::event:
	 * @event: (type gpointer): the CcStoreEvent just recorded
	 */
	signals[SIGNAL_EVENT] = g_signal_new("event", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST,
					     0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
}
