/*
 * Copyright 2024 The coloctl Authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * fake-qmp: a scriptable stand-in for qemu-system-x86_64 that speaks enough
 * QMP to drive coloctl through faults a real QEMU will not produce on demand
 * (hung, slow, truncated, malformed or huge replies, wedged shutdowns).
 *
 * The daemon launches it exactly as it would launch QEMU; everything on the
 * command line that is not about the monitor is ignored.  Behaviour is
 * scripted with the GKeyFile named by $FAKE_QMP_CONFIG, see README.md.
 */

#include <errno.h>
#include <fcntl.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#define FAKE_QMP_PRGNAME            "fake-qmp"
#define FAKE_QMP_DEFAULT_NAME       "fake"
#define FAKE_QMP_DEFAULT_VERSION    "7.2.22"
#define FAKE_QMP_DEFAULT_HUGE_BYTES (64 * 1024 * 1024)
#define FAKE_QMP_WRITE_BUDGET       (1024 * 1024)
#define FAKE_QMP_READ_CHUNK         16384
#define FAKE_QMP_FILLER_SIZE        65536
#define FAKE_QMP_EXIT_GRACE_MS      2000
#define FAKE_QMP_LISTEN_BACKLOG     16
#define FAKE_QMP_TRIM_THRESHOLD     16384
#define FAKE_QMP_DEFAULT_MIRROR_MS  100
#define FAKE_QMP_DEFAULT_MIRROR_LEN (64 * 1024 * 1024)

/* error classes, as QMP names them on the wire */
typedef enum {
	FAKE_QMP_ERROR_GENERIC,
	FAKE_QMP_ERROR_COMMAND_NOT_FOUND,
	FAKE_QMP_ERROR_DEVICE_NOT_FOUND,
	FAKE_QMP_ERROR_DEVICE_NOT_ACTIVE,
} FakeQmpError;

static const gchar *const fake_qmp_error_classes[] = {
	[FAKE_QMP_ERROR_GENERIC] = "GenericError",
	[FAKE_QMP_ERROR_COMMAND_NOT_FOUND] = "CommandNotFound",
	[FAKE_QMP_ERROR_DEVICE_NOT_FOUND] = "DeviceNotFound",
	[FAKE_QMP_ERROR_DEVICE_NOT_ACTIVE] = "DeviceNotActive",
};

static GQuark
fake_qmp_error_quark(void)
{
	return g_quark_from_static_string("fake-qmp-error-quark");
}

#define FAKE_QMP_ERROR fake_qmp_error_quark()

/* QEMU 7.2 MigrationCapability, in QEMU's order */
static const gchar *const fake_migration_caps[] = {
	"xbzrle",           "rdma-pin-all",  "auto-converge",       "zero-blocks",
	"compress",         "events",        "postcopy-ram",        "x-colo",
	"release-ram",      "block",         "return-path",         "pause-before-switchover",
	"multifd",          "dirty-bitmaps", "postcopy-blocktime",  "late-block-activate",
	"x-ignore-shared",  "validate-uuid", "background-snapshot", "zero-copy-send",
	"postcopy-preempt",
};

/* QEMU 7.2 qom-list-properties answers, "name:type" separated by spaces */
#define FAKE_NETFILTER_PROPS                                                                       \
	"type:string queue:NetFilterDirection netdev:string insert:string status:string "          \
	"position:string "

static const struct {
	const gchar *type_name;
	const gchar *props;
} fake_qom_types[] = {
	{"filter-redirector",
	 FAKE_NETFILTER_PROPS "outdev:string indev:string vnet_hdr_support:bool"},
	{"filter-mirror", FAKE_NETFILTER_PROPS "outdev:string vnet_hdr_support:bool"},
	{"filter-rewriter", FAKE_NETFILTER_PROPS "vnet_hdr_support:bool"},
	{"filter-buffer", FAKE_NETFILTER_PROPS "interval:uint32"},
	{"iothread",
	 "type:string thread-pool-min:int aio-max-batch:int thread-pool-max:int poll-max-ns:int "
	 "poll-grow:int poll-shrink:int"},
};

/* commands QEMU 7.2 allows with exec-oob */
static const gchar *const fake_default_oob_commands[] = {
	"migrate-recover",
	"migrate-pause",
	"yank",
	"query-yank",
};

static const gchar *const fake_config_keys[] = {
	"version",
	"package",
	"oob",
	"oob-commands",
	"enable-when-stopped",
	"migrate-remaining",
	"x-colo",
	"strict-args",
	"status",
	"delay-ms",
	"hang",
	"malformed",
	"huge",
	"huge-bytes",
	"close-mid-reply",
	"quit",
	"quit-event-first",
	"sigterm",
	"log",
	"events-on-connect",
	"events-on-sigwinch",
	"mirror-ready-ms",
	"mirror-len",
};

static gboolean
strv_contains_static(const gchar *const *strv, gsize n, const gchar *str)
{
	for (gsize i = 0; i < n; i++) {
		if (g_strcmp0(strv[i], str) == 0)
			return TRUE;
	}
	return FALSE;
}

/* the embedded QMP schema lives at the end of this file */
static guint schema_n_entries(void);
static const gchar *schema_entry_name(guint idx);
static const gchar *schema_entry_json(guint idx);

/* ------------------------------------------------------------------------ */
/* configuration                                                            */
/* ------------------------------------------------------------------------ */

typedef enum {
	FAKE_QUIT_NORMAL,
	FAKE_QUIT_SHUTDOWN_HOLD,
	FAKE_QUIT_IGNORE,
} FakeQuitMode;

typedef struct {
	gchar *name;
	JsonNode *data; /* object or NULL */
} FakeEventSpec;

typedef struct {
	gint64 major;
	gint64 minor;
	gint64 micro;
	gchar *package;
	gboolean oob;
	gboolean enable_when_stopped;
	gboolean migrate_remaining;
	gboolean x_colo;
	gboolean strict_args;
	gboolean quit_event_first;
	gboolean sigterm_exit;
	FakeQuitMode quit;
	guint64 huge_bytes;
	guint64 mirror_ready_ms;
	guint64 mirror_len;
	gchar *status;
	gchar *log_path;
	GHashTable *delay_ms; /* command -> GUINT_TO_POINTER(ms) */
	GHashTable *hang;     /* the rest are sets of command names */
	GHashTable *malformed;
	GHashTable *huge;
	GHashTable *close_mid_reply;
	GHashTable *oob_commands;
	GPtrArray *events_on_connect;  /* of FakeEventSpec */
	GPtrArray *events_on_sigwinch; /* of FakeEventSpec */
} FakeConfig;

static void
event_spec_free(FakeEventSpec *spec)
{
	g_free(spec->name);
	if (spec->data != NULL)
		json_node_unref(spec->data);
	g_free(spec);
}

static void
config_free(FakeConfig *cfg)
{
	g_free(cfg->package);
	g_free(cfg->status);
	g_free(cfg->log_path);
	g_clear_pointer(&cfg->delay_ms, g_hash_table_unref);
	g_clear_pointer(&cfg->hang, g_hash_table_unref);
	g_clear_pointer(&cfg->malformed, g_hash_table_unref);
	g_clear_pointer(&cfg->huge, g_hash_table_unref);
	g_clear_pointer(&cfg->close_mid_reply, g_hash_table_unref);
	g_clear_pointer(&cfg->oob_commands, g_hash_table_unref);
	g_clear_pointer(&cfg->events_on_connect, g_ptr_array_unref);
	g_clear_pointer(&cfg->events_on_sigwinch, g_ptr_array_unref);
	g_free(cfg);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(FakeConfig, config_free)

/* the group holding @key: the instance's own group first, then [default] */
static const gchar *
config_group_for(GKeyFile *kf, const gchar *group, const gchar *key)
{
	if (kf == NULL)
		return NULL;
	if (g_key_file_has_key(kf, group, key, NULL))
		return group;
	if (g_key_file_has_key(kf, "default", key, NULL))
		return "default";
	return NULL;
}

static gboolean
config_get_bool(GKeyFile *kf, const gchar *group, const gchar *key, gboolean dflt, gboolean *value,
		GError **error)
{
	const gchar *found = config_group_for(kf, group, key);
	g_autoptr(GError) error_local = NULL;
	gboolean tmp;

	if (found == NULL) {
		*value = dflt;
		return TRUE;
	}
	tmp = g_key_file_get_boolean(kf, found, key, &error_local);
	if (error_local != NULL) {
		g_set_error(error, FAKE_QMP_ERROR, FAKE_QMP_ERROR_GENERIC, "[%s] %s: %s", found,
			    key, error_local->message);
		return FALSE;
	}
	*value = tmp;
	return TRUE;
}

static gchar *
config_get_string(GKeyFile *kf, const gchar *group, const gchar *key, const gchar *dflt)
{
	const gchar *found = config_group_for(kf, group, key);
	gchar *value;

	if (found == NULL)
		return g_strdup(dflt);
	value = g_key_file_get_string(kf, found, key, NULL);
	if (value == NULL)
		return g_strdup(dflt);
	return g_strstrip(value);
}

/* a ';'-separated list, with empty items dropped; NULL if the key is not set */
static GPtrArray *
config_get_list(GKeyFile *kf, const gchar *group, const gchar *key)
{
	const gchar *found = config_group_for(kf, group, key);
	g_auto(GStrv) items = NULL;
	GPtrArray *list;

	if (found == NULL)
		return NULL;
	list = g_ptr_array_new_with_free_func(g_free);
	items = g_key_file_get_string_list(kf, found, key, NULL, NULL);
	for (guint i = 0; items != NULL && items[i] != NULL; i++) {
		const gchar *item = g_strstrip(items[i]);

		if (*item != '\0')
			g_ptr_array_add(list, g_strdup(item));
	}
	return list;
}

static GHashTable *
config_get_set(GKeyFile *kf, const gchar *group, const gchar *key)
{
	g_autoptr(GPtrArray) list = config_get_list(kf, group, key);
	GHashTable *set = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	for (guint i = 0; list != NULL && i < list->len; i++)
		g_hash_table_add(set, g_strdup(g_ptr_array_index(list, i)));
	return set;
}

static gboolean
config_parse_version(FakeConfig *cfg, const gchar *version, GError **error)
{
	g_auto(GStrv) parts = g_strsplit(version, ".", -1);
	gint64 *fields[] = {&cfg->major, &cfg->minor, &cfg->micro};

	if (g_strv_length(parts) != G_N_ELEMENTS(fields)) {
		g_set_error(error, FAKE_QMP_ERROR, FAKE_QMP_ERROR_GENERIC,
			    "version: expected MAJOR.MINOR.MICRO, got '%s'", version);
		return FALSE;
	}
	for (guint i = 0; i < G_N_ELEMENTS(fields); i++) {
		if (!g_ascii_string_to_signed(parts[i], 10, 0, G_MAXINT, fields[i], error)) {
			g_prefix_error(error, "version '%s': ", version);
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean
config_parse_delays(FakeConfig *cfg, GKeyFile *kf, const gchar *group, GError **error)
{
	g_autoptr(GPtrArray) list = config_get_list(kf, group, "delay-ms");

	for (guint i = 0; list != NULL && i < list->len; i++) {
		const gchar *item = g_ptr_array_index(list, i);
		const gchar *colon = strrchr(item, ':');
		guint64 ms = 0;

		if (colon == NULL || colon == item ||
		    !g_ascii_string_to_unsigned(colon + 1, 10, 0, G_MAXUINT, &ms, NULL)) {
			g_set_error(error, FAKE_QMP_ERROR, FAKE_QMP_ERROR_GENERIC,
				    "delay-ms: expected CMD:MS, got '%s'", item);
			return FALSE;
		}
		g_hash_table_insert(cfg->delay_ms, g_strndup(item, colon - item),
				    GUINT_TO_POINTER((guint)ms));
	}
	return TRUE;
}

/* events-on-connect, events-on-sigwinch: NAME[:{json data}][;...] */
static gboolean
config_parse_events(GPtrArray *events, GKeyFile *kf, const gchar *group, const gchar *key,
		    GError **error)
{
	g_autoptr(GPtrArray) list = config_get_list(kf, group, key);

	for (guint i = 0; list != NULL && i < list->len; i++) {
		const gchar *item = g_ptr_array_index(list, i);
		const gchar *colon = strchr(item, ':');
		FakeEventSpec *spec = g_new0(FakeEventSpec, 1);

		g_ptr_array_add(events, spec);
		if (colon == NULL) {
			spec->name = g_strdup(item);
			continue;
		}
		spec->name = g_strstrip(g_strndup(item, colon - item));
		spec->data = json_from_string(colon + 1, error);
		if (spec->data == NULL || !JSON_NODE_HOLDS_OBJECT(spec->data)) {
			if (error != NULL && *error == NULL)
				g_set_error_literal(error, FAKE_QMP_ERROR, FAKE_QMP_ERROR_GENERIC,
						    "event data must be a JSON object");
			g_prefix_error(error, "%s '%s': ", key, item);
			return FALSE;
		}
	}
	return TRUE;
}

/* a typo in a test's config must not silently test nothing */
static gboolean
config_check_keys(GKeyFile *kf, const gchar *group, GError **error)
{
	g_auto(GStrv) keys = g_key_file_get_keys(kf, group, NULL, NULL);

	for (guint i = 0; keys != NULL && keys[i] != NULL; i++) {
		if (!strv_contains_static(fake_config_keys, G_N_ELEMENTS(fake_config_keys),
					  keys[i])) {
			g_set_error(error, FAKE_QMP_ERROR, FAKE_QMP_ERROR_GENERIC,
				    "[%s] %s: unknown key", group, keys[i]);
			return FALSE;
		}
	}
	return TRUE;
}

static FakeConfig *
config_load(const gchar *instance, GError **error)
{
	const gchar *path = g_getenv("FAKE_QMP_CONFIG");
	g_autoptr(GKeyFile) kf = NULL;
	g_autoptr(FakeConfig) cfg = g_new0(FakeConfig, 1);
	g_autofree gchar *group = g_strdup_printf("name %s", instance);
	g_autofree gchar *version = NULL;
	g_autofree gchar *quit = NULL;
	g_autofree gchar *sigterm = NULL;
	g_autofree gchar *huge_bytes = NULL;
	g_autofree gchar *mirror_ready_ms = NULL;
	g_autofree gchar *mirror_len = NULL;
	g_autoptr(GPtrArray) oob_commands = NULL;

	if (path != NULL && *path != '\0') {
		kf = g_key_file_new();
		if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, error)) {
			g_prefix_error(error, "FAKE_QMP_CONFIG %s: ", path);
			return NULL;
		}
		if (!config_check_keys(kf, "default", error) ||
		    !config_check_keys(kf, group, error)) {
			g_prefix_error(error, "FAKE_QMP_CONFIG %s: ", path);
			return NULL;
		}
	}

	version = config_get_string(kf, group, "version", FAKE_QMP_DEFAULT_VERSION);
	if (!config_parse_version(cfg, version, error))
		return NULL;
	cfg->package = config_get_string(kf, group, "package", "");
	cfg->status = config_get_string(kf, group, "status", NULL);
	cfg->log_path = config_get_string(kf, group, "log", NULL);
	if (!config_get_bool(kf, group, "oob", TRUE, &cfg->oob, error) ||
	    !config_get_bool(kf, group, "enable-when-stopped", FALSE, &cfg->enable_when_stopped,
			     error) ||
	    !config_get_bool(kf, group, "migrate-remaining", FALSE, &cfg->migrate_remaining,
			     error) ||
	    !config_get_bool(kf, group, "x-colo", TRUE, &cfg->x_colo, error) ||
	    !config_get_bool(kf, group, "strict-args", TRUE, &cfg->strict_args, error) ||
	    !config_get_bool(kf, group, "quit-event-first", FALSE, &cfg->quit_event_first, error))
		return NULL;

	quit = config_get_string(kf, group, "quit", "normal");
	if (g_strcmp0(quit, "normal") == 0) {
		cfg->quit = FAKE_QUIT_NORMAL;
	} else if (g_strcmp0(quit, "shutdown-hold") == 0) {
		cfg->quit = FAKE_QUIT_SHUTDOWN_HOLD;
	} else if (g_strcmp0(quit, "ignore") == 0) {
		cfg->quit = FAKE_QUIT_IGNORE;
	} else {
		g_set_error(error, FAKE_QMP_ERROR, FAKE_QMP_ERROR_GENERIC,
			    "quit: expected normal, shutdown-hold or ignore, got '%s'", quit);
		return NULL;
	}
	sigterm = config_get_string(kf, group, "sigterm", "exit");
	if (g_strcmp0(sigterm, "exit") != 0 && g_strcmp0(sigterm, "ignore") != 0) {
		g_set_error(error, FAKE_QMP_ERROR, FAKE_QMP_ERROR_GENERIC,
			    "sigterm: expected exit or ignore, got '%s'", sigterm);
		return NULL;
	}
	cfg->sigterm_exit = g_strcmp0(sigterm, "exit") == 0;

	cfg->huge_bytes = FAKE_QMP_DEFAULT_HUGE_BYTES;
	huge_bytes = config_get_string(kf, group, "huge-bytes", NULL);
	if (huge_bytes != NULL &&
	    !g_ascii_string_to_unsigned(huge_bytes, 10, 64, G_MAXUINT64, &cfg->huge_bytes, error)) {
		g_prefix_error(error, "huge-bytes: ");
		return NULL;
	}
	cfg->mirror_ready_ms = FAKE_QMP_DEFAULT_MIRROR_MS;
	mirror_ready_ms = config_get_string(kf, group, "mirror-ready-ms", NULL);
	if (mirror_ready_ms != NULL &&
	    !g_ascii_string_to_unsigned(mirror_ready_ms, 10, 0, G_MAXUINT, &cfg->mirror_ready_ms,
					error)) {
		g_prefix_error(error, "mirror-ready-ms: ");
		return NULL;
	}
	cfg->mirror_len = FAKE_QMP_DEFAULT_MIRROR_LEN;
	mirror_len = config_get_string(kf, group, "mirror-len", NULL);
	if (mirror_len != NULL &&
	    !g_ascii_string_to_unsigned(mirror_len, 10, 0, G_MAXINT64, &cfg->mirror_len, error)) {
		g_prefix_error(error, "mirror-len: ");
		return NULL;
	}

	cfg->delay_ms = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	if (!config_parse_delays(cfg, kf, group, error))
		return NULL;
	cfg->hang = config_get_set(kf, group, "hang");
	cfg->malformed = config_get_set(kf, group, "malformed");
	cfg->huge = config_get_set(kf, group, "huge");
	cfg->close_mid_reply = config_get_set(kf, group, "close-mid-reply");

	oob_commands = config_get_list(kf, group, "oob-commands");
	cfg->oob_commands = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	if (oob_commands == NULL) {
		for (guint i = 0; i < G_N_ELEMENTS(fake_default_oob_commands); i++)
			g_hash_table_add(cfg->oob_commands, g_strdup(fake_default_oob_commands[i]));
	} else {
		for (guint i = 0; i < oob_commands->len; i++)
			g_hash_table_add(cfg->oob_commands,
					 g_strdup(g_ptr_array_index(oob_commands, i)));
	}

	cfg->events_on_connect = g_ptr_array_new_with_free_func((GDestroyNotify)event_spec_free);
	cfg->events_on_sigwinch = g_ptr_array_new_with_free_func((GDestroyNotify)event_spec_free);
	if (!config_parse_events(cfg->events_on_connect, kf, group, "events-on-connect", error) ||
	    !config_parse_events(cfg->events_on_sigwinch, kf, group, "events-on-sigwinch", error))
		return NULL;
	return g_steal_pointer(&cfg);
}

/* ------------------------------------------------------------------------ */
/* command line                                                             */
/* ------------------------------------------------------------------------ */

typedef struct {
	gchar *id;
	gchar *backend;
	gint fd;
	gchar *path;
	gboolean server;
	gboolean has_host;
	gchar *host;
	gchar *port;
} FakeChardev;

typedef struct {
	gchar *name;
	gboolean start_paused;
	gboolean show_version;
	gboolean daemonize;
	gchar *incoming;
	gchar *pidfile;
	GPtrArray *chardevs; /* of FakeChardev */
	GPtrArray *monitors; /* of chardev ids */
	GPtrArray *objects;  /* ids of -object */
} FakeArgs;

static void
chardev_free(FakeChardev *chr)
{
	g_free(chr->id);
	g_free(chr->backend);
	g_free(chr->path);
	g_free(chr->host);
	g_free(chr->port);
	g_free(chr);
}

static FakeArgs *
args_new(void)
{
	FakeArgs *args = g_new0(FakeArgs, 1);

	args->chardevs = g_ptr_array_new_with_free_func((GDestroyNotify)chardev_free);
	args->monitors = g_ptr_array_new_with_free_func(g_free);
	args->objects = g_ptr_array_new_with_free_func(g_free);
	return args;
}

static void
args_free(FakeArgs *args)
{
	g_free(args->name);
	g_free(args->incoming);
	g_free(args->pidfile);
	g_ptr_array_unref(args->chardevs);
	g_ptr_array_unref(args->monitors);
	g_ptr_array_unref(args->objects);
	g_free(args);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(FakeArgs, args_free)

/* options taking a value even when it starts with '-' */
static const gchar *const fake_opts_with_value[] = {
	"-name",       "-chardev", "-mon",    "-qmp",     "-qmp-pretty", "-monitor",  "-machine",
	"-M",          "-accel",   "-m",      "-smp",     "-drive",      "-blockdev", "-device",
	"-netdev",     "-nic",     "-object", "-kernel",  "-initrd",     "-append",   "-serial",
	"-incoming",   "-cpu",     "-global", "-pidfile", "-D",          "-d",        "-display",
	"-vga",        "-vnc",     "-uuid",   "-boot",    "-rtc",        "-sandbox",  "-msg",
	"-overcommit", "-trace",   "-L",      "-bios",    "-k",          "-icount",
};

/* options never taking a value */
static const gchar *const fake_opts_without_value[] = {
	"-S",           "-nodefaults", "-no-user-config", "-nographic", "-daemonize",
	"-no-shutdown", "-no-reboot",  "-enable-kvm",     "-snapshot",  "-version",
	"-help",        "-h",          "-no-hpet",        "-preconfig",
};

/*
 * QEMU option syntax: "a=b,c=d" with ",," escaping a comma; a bare first
 * element is @implied_key's value, other bare elements are "key=on" (or
 * "key=off" for "nokey", e.g. "nowait").
 */
static GHashTable *
parse_qemu_opts(const gchar *str, const gchar *implied_key)
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
			g_hash_table_insert(opts, g_strndup(elem->str, eq - elem->str),
					    g_strdup(eq + 1));
		} else if (first && implied_key != NULL) {
			g_hash_table_insert(opts, g_strdup(implied_key), g_strdup(elem->str));
		} else if (g_str_has_prefix(elem->str, "no") && elem->len > 2) {
			g_hash_table_insert(opts, g_strdup(elem->str + 2), g_strdup("off"));
		} else if (elem->len > 0) {
			g_hash_table_insert(opts, g_strdup(elem->str), g_strdup("on"));
		}
		first = FALSE;
		if (*p == '\0')
			break;
		p++;
	}
	return opts;
}

static gboolean
qemu_opt_bool(GHashTable *opts, const gchar *key, gboolean dflt)
{
	const gchar *value = g_hash_table_lookup(opts, key);

	if (value == NULL)
		return dflt;
	return g_strcmp0(value, "on") == 0 || g_strcmp0(value, "yes") == 0 ||
	       g_strcmp0(value, "true") == 0 || g_strcmp0(value, "y") == 0;
}

static gboolean
args_add_chardev(FakeArgs *args, const gchar *value, GError **error)
{
	g_autoptr(GHashTable) opts = parse_qemu_opts(value, "backend");
	FakeChardev *chr;
	const gchar *fd;

	if (g_hash_table_lookup(opts, "id") == NULL) {
		g_set_error(error, FAKE_QMP_ERROR, FAKE_QMP_ERROR_GENERIC,
			    "-chardev %s: Parameter 'id' is missing", value);
		return FALSE;
	}
	chr = g_new0(FakeChardev, 1);
	chr->fd = -1;
	chr->id = g_strdup(g_hash_table_lookup(opts, "id"));
	chr->backend = g_strdup(g_hash_table_lookup(opts, "backend"));
	chr->path = g_strdup(g_hash_table_lookup(opts, "path"));
	chr->server = qemu_opt_bool(opts, "server", FALSE);
	chr->has_host = g_hash_table_contains(opts, "host") || g_hash_table_contains(opts, "port");
	chr->host = g_strdup(g_hash_table_lookup(opts, "host"));
	chr->port = g_strdup(g_hash_table_lookup(opts, "port"));
	g_ptr_array_add(args->chardevs, chr);

	fd = g_hash_table_lookup(opts, "fd");
	if (fd != NULL) {
		guint64 tmp = 0;

		if (!g_ascii_string_to_unsigned(fd, 10, 0, G_MAXINT, &tmp, error)) {
			g_prefix_error(error, "-chardev %s: fd: ", value);
			return FALSE;
		}
		chr->fd = (gint)tmp;
	}
	return TRUE;
}

static gboolean
args_add_qmp(FakeArgs *args, const gchar *value, GError **error)
{
	g_autoptr(GHashTable) opts = NULL;
	FakeChardev *chr;

	if (!g_str_has_prefix(value, "unix:")) {
		g_set_error(error, FAKE_QMP_ERROR, FAKE_QMP_ERROR_GENERIC,
			    "-qmp %s: only unix:PATH,server=on,wait=off is supported", value);
		return FALSE;
	}
	opts = parse_qemu_opts(value + strlen("unix:"), "path");
	chr = g_new0(FakeChardev, 1);
	chr->fd = -1;
	chr->id = g_strdup_printf("compat_monitor%u", args->monitors->len);
	chr->backend = g_strdup("socket");
	chr->path = g_strdup(g_hash_table_lookup(opts, "path"));
	chr->server = qemu_opt_bool(opts, "server", FALSE);
	g_ptr_array_add(args->chardevs, chr);
	g_ptr_array_add(args->monitors, g_strdup(chr->id));
	return TRUE;
}

/* -object TYPE,id=ID,... or its JSON form: remember the id for object-del */
static void
args_add_object(FakeArgs *args, const gchar *value)
{
	const gchar *id = NULL;
	g_autoptr(GHashTable) opts = NULL;
	g_autoptr(JsonNode) node = NULL;

	if (value[0] == '{') {
		node = json_from_string(value, NULL);
		if (node != NULL && JSON_NODE_HOLDS_OBJECT(node))
			id = json_object_get_string_member_with_default(json_node_get_object(node),
									"id", NULL);
	} else {
		opts = parse_qemu_opts(value, "qom-type");
		id = g_hash_table_lookup(opts, "id");
	}
	if (id != NULL)
		g_ptr_array_add(args->objects, g_strdup(id));
}

static gboolean
args_handle(FakeArgs *args, const gchar *opt, const gchar *value, GError **error)
{
	if (g_strcmp0(opt, "-name") == 0) {
		g_autoptr(GHashTable) opts = parse_qemu_opts(value, "guest");
		const gchar *guest = g_hash_table_lookup(opts, "guest");

		if (guest != NULL && *guest != '\0') {
			g_free(args->name);
			args->name = g_strdup(guest);
		}
	} else if (g_strcmp0(opt, "-chardev") == 0) {
		return args_add_chardev(args, value, error);
	} else if (g_strcmp0(opt, "-mon") == 0) {
		g_autoptr(GHashTable) opts = parse_qemu_opts(value, "chardev");
		const gchar *chardev = g_hash_table_lookup(opts, "chardev");

		if (chardev == NULL) {
			g_set_error(error, FAKE_QMP_ERROR, FAKE_QMP_ERROR_GENERIC,
				    "-mon %s: Parameter 'chardev' is missing", value);
			return FALSE;
		}
		/* QEMU's default mode is readline (HMP), which we do not speak */
		if (g_strcmp0(g_hash_table_lookup(opts, "mode"), "control") == 0)
			g_ptr_array_add(args->monitors, g_strdup(chardev));
	} else if (g_strcmp0(opt, "-qmp") == 0) {
		return args_add_qmp(args, value, error);
	} else if (g_strcmp0(opt, "-incoming") == 0) {
		g_free(args->incoming);
		args->incoming = g_strdup(value);
	} else if (g_strcmp0(opt, "-pidfile") == 0) {
		g_free(args->pidfile);
		args->pidfile = g_strdup(value);
	} else if (g_strcmp0(opt, "-object") == 0) {
		args_add_object(args, value);
	}
	return TRUE;
}

static gboolean
args_parse(FakeArgs *args, gint argc, gchar **argv, GError **error)
{
	for (gint i = 1; i < argc; i++) {
		const gchar *opt = argv[i];

		/* positional arguments (QEMU's implicit -hda) are ignored */
		if (opt[0] != '-' || opt[1] == '\0')
			continue;
		/* QEMU accepts "--opt" as "-opt" */
		if (opt[1] == '-')
			opt++;

		if (strv_contains_static(fake_opts_without_value,
					 G_N_ELEMENTS(fake_opts_without_value), opt)) {
			if (g_strcmp0(opt, "-S") == 0)
				args->start_paused = TRUE;
			else if (g_strcmp0(opt, "-version") == 0)
				args->show_version = TRUE;
			else if (g_strcmp0(opt, "-daemonize") == 0)
				args->daemonize = TRUE;
			continue;
		}
		if (strv_contains_static(fake_opts_with_value, G_N_ELEMENTS(fake_opts_with_value),
					 opt)) {
			if (i + 1 >= argc) {
				g_set_error(error, FAKE_QMP_ERROR, FAKE_QMP_ERROR_GENERIC,
					    "%s: requires an argument", argv[i]);
				return FALSE;
			}
			if (!args_handle(args, opt, argv[++i], error))
				return FALSE;
			continue;
		}
		/* unknown option: swallow a following value that is not an option */
		if (i + 1 < argc && argv[i + 1][0] != '-')
			i++;
	}
	return TRUE;
}

static FakeChardev *
args_find_chardev(FakeArgs *args, const gchar *id)
{
	/* the last definition wins */
	for (guint i = args->chardevs->len; i > 0; i--) {
		FakeChardev *chr = g_ptr_array_index(args->chardevs, i - 1);

		if (g_strcmp0(chr->id, id) == 0)
			return chr;
	}
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* JSON helpers                                                             */
/* ------------------------------------------------------------------------ */

static JsonNode *
node_new_object(JsonObject *obj)
{
	JsonNode *node = json_node_new(JSON_NODE_OBJECT);

	json_node_take_object(node, obj);
	return node;
}

static JsonNode *
node_new_array(JsonArray *arr)
{
	JsonNode *node = json_node_new(JSON_NODE_ARRAY);

	json_node_take_array(node, arr);
	return node;
}

static JsonNode *
node_new_empty_object(void)
{
	return node_new_object(json_object_new());
}

static const gchar *
node_get_string(JsonNode *node)
{
	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
	    json_node_get_value_type(node) != G_TYPE_STRING)
		return NULL;
	return json_node_get_string(node);
}

static const gchar *
object_get_string(JsonObject *obj, const gchar *member)
{
	return node_get_string(json_object_get_member(obj, member));
}

static JsonArray *
object_get_array(JsonObject *obj, const gchar *member)
{
	JsonNode *node = json_object_get_member(obj, member);

	if (node == NULL || !JSON_NODE_HOLDS_ARRAY(node))
		return NULL;
	return json_node_get_array(node);
}

static JsonObject *
object_get_object(JsonObject *obj, const gchar *member)
{
	JsonNode *node = json_object_get_member(obj, member);

	if (node == NULL || !JSON_NODE_HOLDS_OBJECT(node))
		return NULL;
	return json_node_get_object(node);
}

/* ------------------------------------------------------------------------ */
/* server state                                                             */
/* ------------------------------------------------------------------------ */

typedef struct _FakeServer FakeServer;
typedef struct _FakeListener FakeListener;
typedef struct _FakeClient FakeClient;

/* an output queue element: bytes, @fill filler bytes, or a close marker */
typedef struct {
	GBytes *bytes;
	gsize offset;
	guint64 fill;
	gboolean close;
} FakeChunk;

struct _FakeClient {
	gint refcount;
	FakeServer *server;
	FakeListener *listener;
	GSocket *socket;
	GSource *in_source;
	GSource *out_source;
	GString *inbuf;
	GQueue outq; /* of FakeChunk */
	gboolean negotiated;
	gboolean oob_enabled;
	gboolean closed;
	gboolean trim; /* a large reply went out: give the heap back when idle */
};

struct _FakeListener {
	FakeServer *server;
	gchar *desc;
	GSocket *socket;
	GSource *accept_source;
	gchar *unlink_path;
	FakeClient *client; /* QEMU serves one connection per chardev at a time */
};

typedef enum {
	FAKE_POST_NONE,
	FAKE_POST_NEGOTIATED,
	FAKE_POST_MIGRATE,
	FAKE_POST_QUIT,
	FAKE_POST_JOB_END,
} FakePost;

typedef struct _FakeJob FakeJob;

typedef struct {
	FakeServer *server;
	FakeClient *client;    /* strong reference, may be NULL */
	JsonNode *node;        /* the request object, NULL for bad input */
	JsonNode *input_error; /* the reply to bad input */
	gchar *command;        /* execute / exec-oob name, when a string */
	gboolean oob;
	FakePost post;
	FakeJob *job; /* FAKE_POST_JOB_END: the job that ends after the reply */
} FakeRequest;

/* a chardev from the command line or chardev-add, as query-chardev shows it */
typedef struct {
	gchar *id;
	gchar *filename;
	gboolean monitor;
} FakeCharState;

/* a block job started by drive-mirror */
struct _FakeJob {
	FakeServer *server;
	gchar *id;
	gint64 len;
	gint64 speed;
	gint64 start_us;
	gboolean ready;
	gboolean cancelled;
	guint ready_source;
};

struct _FakeServer {
	FakeConfig *cfg;
	const gchar *name;
	GMainLoop *loop;
	gchar *status;
	gchar *incoming;
	gboolean incoming_started;
	gboolean caps[G_N_ELEMENTS(fake_migration_caps)];
	gchar *migration_status; /* NULL until a migration was started */
	const gchar *colo_mode;
	const gchar *colo_last_mode;
	const gchar *colo_reason;
	gchar *query_migrate_ret;
	gchar *migrate_uri;
	gchar *migration_error;       /* error-desc of a failed migration */
	GSocketService *colo_service; /* secondary with x-colo: the incoming migration port */
	GSocketConnection *colo_link; /* COLO's migration stream, on either side */
	GSource *colo_link_source;
	gboolean colo_lost;     /* secondary: its primary went away, a failover is awaited */
	GPtrArray *chardevs;    /* of FakeCharState */
	GHashTable *objects;    /* ids of user-creatable objects */
	GPtrArray *jobs;        /* of FakeJob */
	GPtrArray *nbd_exports; /* export names */
	gboolean nbd_running;
	GPtrArray *listeners;
	GQueue inband; /* of FakeRequest, dispatched one at a time */
	gboolean inband_busy;
	gboolean pumping;
	gboolean hold;
	gboolean exiting;
	gint log_fd;
};

static void client_close(FakeClient *client);
static void listener_accept(FakeListener *listener);
static void server_pump(FakeServer *server);

static FakeClient *
client_ref(FakeClient *client)
{
	client->refcount++;
	return client;
}

static void
chunk_free(FakeChunk *chunk)
{
	if (chunk->bytes != NULL)
		g_bytes_unref(chunk->bytes);
	g_free(chunk);
}

static void
client_unref(FakeClient *client)
{
	if (--client->refcount > 0)
		return;
	g_queue_clear_full(&client->outq, (GDestroyNotify)chunk_free);
	g_string_free(client->inbuf, TRUE);
	g_object_unref(client->socket);
	g_free(client);
}

static void
source_drop(GSource **source)
{
	if (*source == NULL)
		return;
	g_source_destroy(*source);
	g_clear_pointer(source, g_source_unref);
}

static const gchar *
filler_get(void)
{
	static gchar filler[FAKE_QMP_FILLER_SIZE];

	if (filler[0] == '\0')
		memset(filler, 'x', sizeof(filler));
	return filler;
}

static gboolean
on_client_writable(GSocket *socket, GIOCondition condition G_GNUC_UNUSED, gpointer user_data)
{
	FakeClient *client = user_data;
	gsize budget = FAKE_QMP_WRITE_BUDGET;

	while (!g_queue_is_empty(&client->outq)) {
		FakeChunk *chunk = g_queue_peek_head(&client->outq);
		g_autoptr(GError) error_local = NULL;
		const gchar *data;
		gsize len = 0;
		gssize n;

		/* yield to the main loop between megabytes of a huge reply */
		if (budget == 0)
			return G_SOURCE_CONTINUE;
		if (chunk->bytes != NULL) {
			data = g_bytes_get_data(chunk->bytes, &len);
			data += chunk->offset;
			len -= chunk->offset;
		} else if (chunk->fill > 0) {
			data = filler_get();
			len = MIN(chunk->fill, FAKE_QMP_FILLER_SIZE);
		} else {
			client_ref(client);
			client_close(client);
			client_unref(client);
			return G_SOURCE_REMOVE;
		}
		n = g_socket_send(socket, data, MIN(len, budget), NULL, &error_local);
		if (n < 0) {
			if (g_error_matches(error_local, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
				return G_SOURCE_CONTINUE;
			client_ref(client);
			client_close(client);
			client_unref(client);
			return G_SOURCE_REMOVE;
		}
		budget -= n;
		if (chunk->bytes != NULL) {
			chunk->offset += n;
			if (chunk->offset < g_bytes_get_size(chunk->bytes))
				continue;
		} else {
			chunk->fill -= n;
			if (chunk->fill > 0)
				continue;
		}
		chunk_free(g_queue_pop_head(&client->outq));
	}
	g_clear_pointer(&client->out_source, g_source_unref);
#ifdef __GLIBC__
	/* keep 200 idle instances small after e.g. query-qmp-schema */
	if (client->trim)
		malloc_trim(0);
#endif
	client->trim = FALSE;
	return G_SOURCE_REMOVE;
}

static void
client_queue(FakeClient *client, FakeChunk *chunk)
{
	if (client->closed) {
		chunk_free(chunk);
		return;
	}
	g_queue_push_tail(&client->outq, chunk);
	if (client->out_source != NULL)
		return;
	client->out_source = g_socket_create_source(client->socket, G_IO_OUT, NULL);
	g_source_set_callback(client->out_source, G_SOURCE_FUNC(on_client_writable), client, NULL);
	g_source_attach(client->out_source, NULL);
}

static void
client_queue_data(FakeClient *client, const gchar *data, gsize len)
{
	FakeChunk *chunk;

	if (len == 0)
		return;
	chunk = g_new0(FakeChunk, 1);
	chunk->bytes = g_bytes_new(data, len);
	if (len > FAKE_QMP_TRIM_THRESHOLD)
		client->trim = TRUE;
	client_queue(client, chunk);
}

/* one QMP message: QEMU terminates them with CRLF */
static void
client_queue_line(FakeClient *client, const gchar *text)
{
	g_autofree gchar *line = g_strconcat(text, "\r\n", NULL);

	client_queue_data(client, line, strlen(line));
}

static void
client_queue_fill(FakeClient *client, guint64 fill)
{
	FakeChunk *chunk;

	if (fill == 0)
		return;
	chunk = g_new0(FakeChunk, 1);
	chunk->fill = fill;
	client_queue(client, chunk);
}

/* close the connection once everything queued before has been written */
static void
client_queue_close(FakeClient *client)
{
	FakeChunk *chunk = g_new0(FakeChunk, 1);

	chunk->close = TRUE;
	client_queue(client, chunk);
}

/* ------------------------------------------------------------------------ */
/* events                                                                   */
/* ------------------------------------------------------------------------ */

static gchar *
event_to_string(const gchar *name, JsonObject *data)
{
	gint64 now = g_get_real_time();
	JsonObject *ts = json_object_new();
	g_autoptr(JsonNode) node = node_new_empty_object();
	JsonObject *obj = json_node_get_object(node);

	json_object_set_int_member(ts, "seconds", now / G_USEC_PER_SEC);
	json_object_set_int_member(ts, "microseconds", now % G_USEC_PER_SEC);
	json_object_set_object_member(obj, "timestamp", ts);
	json_object_set_string_member(obj, "event", name);
	if (data != NULL)
		json_object_set_object_member(obj, "data", json_object_ref(data));
	return json_to_string(node, FALSE);
}

static void
client_emit_event(FakeClient *client, const gchar *name, JsonObject *data)
{
	g_autofree gchar *text = NULL;

	if (client->closed || !client->negotiated || client->server->hold)
		return;
	text = event_to_string(name, data);
	client_queue_line(client, text);
}

/* events go to every monitor that finished capabilities negotiation */
static void
server_emit_event(FakeServer *server, const gchar *name, JsonObject *data)
{
	g_autoptr(JsonObject) owned = data;

	for (guint i = 0; i < server->listeners->len; i++) {
		FakeListener *listener = g_ptr_array_index(server->listeners, i);

		if (listener->client != NULL)
			client_emit_event(listener->client, name, owned);
	}
}

static void
server_emit_shutdown(FakeServer *server, const gchar *reason)
{
	JsonObject *data = json_object_new();

	json_object_set_boolean_member(data, "guest", FALSE);
	json_object_set_string_member(data, "reason", reason);
	server_emit_event(server, "SHUTDOWN", data);
}

static gint
server_find_cap(FakeServer *server, const gchar *name)
{
	if (!server->cfg->x_colo && g_strcmp0(name, "x-colo") == 0)
		return -1;
	for (guint i = 0; i < G_N_ELEMENTS(fake_migration_caps); i++) {
		if (g_strcmp0(fake_migration_caps[i], name) == 0)
			return (gint)i;
	}
	return -1;
}

static gboolean
server_cap_enabled(FakeServer *server, const gchar *name)
{
	gint idx = server_find_cap(server, name);

	return idx >= 0 && server->caps[idx];
}

static void
server_set_migration_status(FakeServer *server, const gchar *status)
{
	g_free(server->migration_status);
	server->migration_status = g_strdup(status);
	if (server_cap_enabled(server, "events")) {
		JsonObject *data = json_object_new();

		json_object_set_string_member(data, "status", status);
		server_emit_event(server, "MIGRATION", data);
	}
}

static void
server_set_status(FakeServer *server, const gchar *status)
{
	g_free(server->status);
	server->status = g_strdup(status);
}

/* out of COLO: query-colo-status says mode none and why; the COLO migration is over */
static void
server_leave_colo(FakeServer *server, const gchar *reason)
{
	server->colo_last_mode = server->colo_mode;
	server->colo_mode = "none";
	server->colo_reason = reason;
	if (g_strcmp0(server->migration_status, "colo") == 0)
		server_set_migration_status(server, "completed");
}

/* ------------------------------------------------------------------------ */
/* lifecycle: exit and the shutdown-hold wedge                              */
/* ------------------------------------------------------------------------ */

static void
server_check_exit(FakeServer *server)
{
	if (!server->exiting)
		return;
	for (guint i = 0; i < server->listeners->len; i++) {
		FakeListener *listener = g_ptr_array_index(server->listeners, i);

		if (listener->client != NULL)
			return;
	}
	g_main_loop_quit(server->loop);
}

static gboolean
on_exit_grace_expired(gpointer user_data)
{
	FakeServer *server = user_data;

	g_main_loop_quit(server->loop);
	return G_SOURCE_REMOVE;
}

/* flush what is queued to every client, close them, then leave the loop */
static void
server_begin_exit(FakeServer *server)
{
	if (server->exiting)
		return;
	server->exiting = TRUE;
	for (guint i = 0; i < server->listeners->len; i++) {
		FakeListener *listener = g_ptr_array_index(server->listeners, i);

		source_drop(&listener->accept_source);
		if (listener->client != NULL)
			client_queue_close(listener->client);
	}
	g_timeout_add(FAKE_QMP_EXIT_GRACE_MS, on_exit_grace_expired, server);
	server_check_exit(server);
}

/*
 * Like QEMU stuck in monitor_cleanup(): the sockets stay open, nothing is
 * read or answered any more and signals are ignored; only SIGKILL helps.
 */
static void
server_enter_hold(FakeServer *server)
{
	server->hold = TRUE;
	for (guint i = 0; i < server->listeners->len; i++) {
		FakeListener *listener = g_ptr_array_index(server->listeners, i);

		source_drop(&listener->accept_source);
		if (listener->client != NULL)
			source_drop(&listener->client->in_source);
	}
	g_printerr("%s[%s]: quit=shutdown-hold: wedged, only SIGKILL ends this process\n",
		   FAKE_QMP_PRGNAME, server->name);
}

static gboolean
on_signal(gpointer user_data)
{
	FakeServer *server = user_data;

	if (server->hold) {
		g_printerr("%s[%s]: termination signal ignored (quit=shutdown-hold)\n",
			   FAKE_QMP_PRGNAME, server->name);
		return G_SOURCE_CONTINUE;
	}
	if (server->exiting) {
		g_main_loop_quit(server->loop);
		return G_SOURCE_CONTINUE;
	}
	if (!server->cfg->sigterm_exit) {
		g_printerr("%s[%s]: termination signal ignored (sigterm=ignore)\n",
			   FAKE_QMP_PRGNAME, server->name);
		return G_SOURCE_CONTINUE;
	}
	server_emit_shutdown(server, "host-signal");
	server_begin_exit(server);
	return G_SOURCE_CONTINUE;
}

/*
 * SIGUSR1: leave COLO without a word, as a member whose COLO state broke would
 * look from outside: query-colo-status says mode "none" from now on, no COLO_EXIT
 * is sent and the guest keeps running. Only a watchdog that compares each
 * member's mode with its role notices.
 */
static gboolean
on_sigusr1(gpointer user_data)
{
	FakeServer *server = user_data;

	if (g_strcmp0(server->colo_mode, "none") == 0)
		return G_SOURCE_CONTINUE;
	g_printerr("%s[%s]: SIGUSR1: leaving COLO mode %s silently\n", FAKE_QMP_PRGNAME,
		   server->name, server->colo_mode);
	server_leave_colo(server, "error");
	return G_SOURCE_CONTINUE;
}

/* SIGWINCH: the events-on-sigwinch list, to every connected client */
static gboolean
on_sigwinch(gpointer user_data)
{
	FakeServer *server = user_data;
	GPtrArray *events = server->cfg->events_on_sigwinch;

	for (guint i = 0; i < events->len; i++) {
		FakeEventSpec *spec = g_ptr_array_index(events, i);

		server_emit_event(server, spec->name,
				  spec->data != NULL
					  ? json_object_ref(json_node_get_object(spec->data))
					  : NULL);
	}
	return G_SOURCE_CONTINUE;
}

/*
 * SIGUSR2: a primary's COLO checkpoint that never ends: STOP and "paused", and
 * no RESUME, while the monitor goes on answering.
 */
static gboolean
on_sigusr2(gpointer user_data)
{
	FakeServer *server = user_data;

	if (g_strcmp0(server->status, "running") != 0)
		return G_SOURCE_CONTINUE;
	g_printerr("%s[%s]: SIGUSR2: a checkpoint that never ends\n", FAKE_QMP_PRGNAME,
		   server->name);
	server_set_status(server, "paused");
	server_emit_event(server, "STOP", NULL);
	return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------------------ */
/* the embedded QMP schema                                                  */
/* ------------------------------------------------------------------------ */

static void
array_remove_string(JsonArray *arr, const gchar *value)
{
	if (arr == NULL)
		return;
	for (guint i = json_array_get_length(arr); i > 0; i--) {
		JsonNode *elem = json_array_get_element(arr, i - 1);

		if (g_strcmp0(node_get_string(elem), value) == 0)
			json_array_remove_element(arr, i - 1);
	}
}

static void
array_remove_named(JsonArray *arr, const gchar *name)
{
	if (arr == NULL)
		return;
	for (guint i = json_array_get_length(arr); i > 0; i--) {
		JsonNode *elem = json_array_get_element(arr, i - 1);

		if (JSON_NODE_HOLDS_OBJECT(elem) &&
		    g_strcmp0(object_get_string(json_node_get_object(elem), "name"), name) == 0)
			json_array_remove_element(arr, i - 1);
	}
}

/* apply the configuration's view of the schema to one entry */
static gboolean
schema_has_member(JsonArray *members, const gchar *name)
{
	for (guint i = 0; i < json_array_get_length(members); i++) {
		JsonObject *m = json_array_get_object_element(members, i);
		if (m != NULL && g_strcmp0(object_get_string(m, "name"), name) == 0)
			return TRUE;
	}
	return FALSE;
}

static void
schema_patch(FakeServer *server, JsonObject *entry)
{
	const gchar *name = object_get_string(entry, "name");
	const gchar *meta = object_get_string(entry, "meta-type");
	JsonArray *members = object_get_array(entry, "members");

	if (!server->cfg->x_colo && g_strcmp0(meta, "enum") == 0) {
		array_remove_string(object_get_array(entry, "values"), "x-colo");
		array_remove_named(members, "x-colo");
	}
	/* FilterRedirectorProperties, the only object type with both indev and outdev */
	if (server->cfg->enable_when_stopped && members != NULL && g_strcmp0(meta, "object") == 0 &&
	    schema_has_member(members, "indev") && schema_has_member(members, "outdev")) {
		JsonObject *member = json_object_new();

		json_object_set_string_member(member, "name", "enable_when_stopped");
		json_object_set_null_member(member, "default");
		json_object_set_string_member(member, "type", "bool");
		json_array_add_object_element(members, member);
	}
	if (server->cfg->migrate_remaining && members != NULL &&
	    g_strcmp0(name, server->query_migrate_ret) == 0) {
		JsonObject *member = json_object_new();

		json_object_set_string_member(member, "name", "remaining");
		json_object_set_null_member(member, "default");
		json_object_set_string_member(member, "type", "int");
		json_array_add_object_element(members, member);
	}
}

static JsonNode *
schema_parse_entry(FakeServer *server, guint idx)
{
	JsonNode *node = json_from_string(schema_entry_json(idx), NULL);

	g_assert(node != NULL && JSON_NODE_HOLDS_OBJECT(node));
	schema_patch(server, json_node_get_object(node));
	return node;
}

static JsonNode *
schema_lookup(FakeServer *server, const gchar *name)
{
	if (name == NULL)
		return NULL;
	for (guint i = 0; i < schema_n_entries(); i++) {
		if (g_strcmp0(schema_entry_name(i), name) == 0)
			return schema_parse_entry(server, i);
	}
	return NULL;
}

static gboolean schema_check_value(FakeServer *server, const gchar *type, JsonNode *value,
				   const gchar *path, const gchar *name, GError **error);

static gboolean
schema_type_error(const gchar *path, const gchar *expected, GError **error)
{
	g_set_error(error, FAKE_QMP_ERROR, FAKE_QMP_ERROR_GENERIC,
		    "Invalid parameter type for '%s', expected: %s", path, expected);
	return FALSE;
}

static gboolean
schema_check_members(FakeServer *server, JsonObject *type, JsonObject *args, const gchar *path,
		     GHashTable *seen, gboolean *lenient, GError **error)
{
	JsonArray *members = object_get_array(type, "members");
	JsonArray *variants = object_get_array(type, "variants");
	const gchar *tag = object_get_string(type, "tag");
	const gchar *tag_value;

	for (guint i = 0; members != NULL && i < json_array_get_length(members); i++) {
		JsonObject *member = json_array_get_object_element(members, i);
		const gchar *mname = object_get_string(member, "name");
		g_autofree gchar *mpath = NULL;

		if (mname == NULL)
			continue;
		mpath = path != NULL ? g_strdup_printf("%s.%s", path, mname) : g_strdup(mname);
		g_hash_table_add(seen, g_strdup(mname));
		if (!json_object_has_member(args, mname)) {
			if (json_object_has_member(member, "default"))
				continue;
			g_set_error(error, FAKE_QMP_ERROR, FAKE_QMP_ERROR_GENERIC,
				    "Parameter '%s' is missing", mpath);
			return FALSE;
		}
		if (!schema_check_value(server, object_get_string(member, "type"),
					json_object_get_member(args, mname), mpath, mname, error))
			return FALSE;
	}
	if (tag == NULL || variants == NULL)
		return TRUE;

	/* a union: the members of the branch selected by the tag apply too */
	tag_value = object_get_string(args, tag);
	for (guint i = 0; i < json_array_get_length(variants); i++) {
		JsonObject *variant = json_array_get_object_element(variants, i);
		g_autoptr(JsonNode) branch = NULL;

		if (g_strcmp0(object_get_string(variant, "case"), tag_value) != 0)
			continue;
		branch = schema_lookup(server, object_get_string(variant, "type"));
		if (branch == NULL)
			break;
		return schema_check_members(server, json_node_get_object(branch), args, path, seen,
					    lenient, error);
	}
	/* branch trimmed from the embedded schema: accept whatever is there */
	*lenient = TRUE;
	return TRUE;
}

static gboolean
schema_check_struct(FakeServer *server, JsonObject *type, JsonObject *args, const gchar *path,
		    GError **error)
{
	g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autoptr(GList) names = NULL;
	gboolean lenient = FALSE;

	if (!schema_check_members(server, type, args, path, seen, &lenient, error))
		return FALSE;
	if (lenient)
		return TRUE;
	names = json_object_get_members(args);
	for (GList *l = names; l != NULL; l = l->next) {
		g_autofree gchar *mpath = NULL;

		if (g_hash_table_contains(seen, l->data))
			continue;
		mpath = path != NULL ? g_strdup_printf("%s.%s", path, (const gchar *)l->data)
				     : g_strdup(l->data);
		g_set_error(error, FAKE_QMP_ERROR, FAKE_QMP_ERROR_GENERIC,
			    "Parameter '%s' is unexpected", mpath);
		return FALSE;
	}
	return TRUE;
}

static gboolean
schema_check_builtin(JsonObject *entry, JsonNode *value, const gchar *path, GError **error)
{
	const gchar *json_type = object_get_string(entry, "json-type");
	GType vtype = JSON_NODE_HOLDS_VALUE(value) ? json_node_get_value_type(value) : G_TYPE_NONE;

	if (g_strcmp0(json_type, "string") == 0 && vtype != G_TYPE_STRING)
		return schema_type_error(path, "string", error);
	if (g_strcmp0(json_type, "int") == 0 && vtype != G_TYPE_INT64)
		return schema_type_error(path, "integer", error);
	if (g_strcmp0(json_type, "number") == 0 && vtype != G_TYPE_INT64 && vtype != G_TYPE_DOUBLE)
		return schema_type_error(path, "number", error);
	if (g_strcmp0(json_type, "boolean") == 0 && vtype != G_TYPE_BOOLEAN)
		return schema_type_error(path, "boolean", error);
	if (g_strcmp0(json_type, "null") == 0 && !JSON_NODE_HOLDS_NULL(value))
		return schema_type_error(path, "null", error);
	return TRUE;
}

static gboolean
schema_check_enum(JsonObject *entry, JsonNode *value, const gchar *path, const gchar *name,
		  GError **error)
{
	const gchar *str = node_get_string(value);
	JsonArray *values = object_get_array(entry, "values");

	if (str == NULL)
		return schema_type_error(path, "string", error);
	for (guint i = 0; values != NULL && i < json_array_get_length(values); i++) {
		if (g_strcmp0(json_array_get_string_element(values, i), str) == 0)
			return TRUE;
	}
	/* QEMU 7.2 names list elements 'null' in this message */
	g_set_error(error, FAKE_QMP_ERROR, FAKE_QMP_ERROR_GENERIC,
		    "Parameter '%s' does not accept value '%s'", name != NULL ? name : "null", str);
	return FALSE;
}

/* does a value of @type's JSON kind fit @value? (an alternate's branch choice) */
static gboolean
schema_kind_matches(FakeServer *server, const gchar *type, JsonNode *value)
{
	g_autoptr(JsonNode) entry_node = NULL;
	JsonObject *entry;
	const gchar *meta;
	const gchar *json_type;
	GType vtype = JSON_NODE_HOLDS_VALUE(value) ? json_node_get_value_type(value) : G_TYPE_NONE;

	if (type == NULL)
		return FALSE;
	if (type[0] == '[')
		return JSON_NODE_HOLDS_ARRAY(value);
	entry_node = schema_lookup(server, type);
	if (entry_node == NULL)
		return FALSE;
	entry = json_node_get_object(entry_node);
	meta = object_get_string(entry, "meta-type");
	if (g_strcmp0(meta, "object") == 0)
		return JSON_NODE_HOLDS_OBJECT(value);
	if (g_strcmp0(meta, "array") == 0)
		return JSON_NODE_HOLDS_ARRAY(value);
	if (g_strcmp0(meta, "enum") == 0)
		return vtype == G_TYPE_STRING;
	json_type = object_get_string(entry, "json-type");
	if (g_strcmp0(json_type, "string") == 0)
		return vtype == G_TYPE_STRING;
	if (g_strcmp0(json_type, "int") == 0)
		return vtype == G_TYPE_INT64;
	if (g_strcmp0(json_type, "number") == 0)
		return vtype == G_TYPE_INT64 || vtype == G_TYPE_DOUBLE;
	if (g_strcmp0(json_type, "boolean") == 0)
		return vtype == G_TYPE_BOOLEAN;
	if (g_strcmp0(json_type, "null") == 0)
		return JSON_NODE_HOLDS_NULL(value);
	return TRUE; /* "value": anything */
}

/* an alternate: the branch whose JSON kind the value has, checked in full */
static gboolean
schema_check_alternate(FakeServer *server, JsonObject *entry, JsonNode *value, const gchar *path,
		       const gchar *name, GError **error)
{
	JsonArray *members = object_get_array(entry, "members");

	for (guint i = 0; members != NULL && i < json_array_get_length(members); i++) {
		JsonObject *member = json_array_get_object_element(members, i);
		const gchar *type = member != NULL ? object_get_string(member, "type") : NULL;

		if (schema_kind_matches(server, type, value))
			return schema_check_value(server, type, value, path, name, error);
	}
	/* QEMU names the alternate's QAPI type here, which the schema keeps opaque */
	g_set_error(error, FAKE_QMP_ERROR, FAKE_QMP_ERROR_GENERIC,
		    "Invalid parameter type for '%s', expected: %s", name != NULL ? name : "null",
		    object_get_string(entry, "name"));
	return FALSE;
}

static gboolean
schema_check_value(FakeServer *server, const gchar *type, JsonNode *value, const gchar *path,
		   const gchar *name, GError **error)
{
	g_autoptr(JsonNode) entry_node = NULL;
	JsonObject *entry;
	const gchar *meta;

	if (type == NULL)
		return TRUE;
	if (type[0] == '[') {
		g_autofree gchar *element_type = g_strndup(type + 1, strlen(type) - 2);
		JsonArray *arr;

		if (!JSON_NODE_HOLDS_ARRAY(value))
			return schema_type_error(path, "array", error);
		arr = json_node_get_array(value);
		for (guint i = 0; i < json_array_get_length(arr); i++) {
			g_autofree gchar *epath = g_strdup_printf("%s[%u]", path, i);

			if (!schema_check_value(server, element_type,
						json_array_get_element(arr, i), epath, NULL, error))
				return FALSE;
		}
		return TRUE;
	}
	entry_node = schema_lookup(server, type);
	if (entry_node == NULL)
		return TRUE;
	entry = json_node_get_object(entry_node);
	meta = object_get_string(entry, "meta-type");
	if (g_strcmp0(meta, "builtin") == 0)
		return schema_check_builtin(entry, value, path, error);
	if (g_strcmp0(meta, "enum") == 0)
		return schema_check_enum(entry, value, path, name, error);
	if (g_strcmp0(meta, "object") == 0) {
		if (!JSON_NODE_HOLDS_OBJECT(value))
			return schema_type_error(path, "object", error);
		return schema_check_struct(server, entry, json_node_get_object(value), path, error);
	}
	if (g_strcmp0(meta, "alternate") == 0)
		return schema_check_alternate(server, entry, value, path, name, error);
	return TRUE;
}

/* reject arguments QEMU 7.2 would reject (names, presence, JSON types, enums) */
static gboolean
schema_check_arguments(FakeServer *server, const gchar *command, JsonObject *args, GError **error)
{
	g_autoptr(JsonNode) cmd = schema_lookup(server, command);
	g_autoptr(JsonNode) arg_type = NULL;

	if (cmd == NULL)
		return TRUE;
	arg_type = schema_lookup(server, object_get_string(json_node_get_object(cmd), "arg-type"));
	if (arg_type == NULL)
		return TRUE;
	return schema_check_struct(server, json_node_get_object(arg_type), args, NULL, error);
}

/* ------------------------------------------------------------------------ */
/* commands                                                                 */
/* ------------------------------------------------------------------------ */

typedef JsonNode *(*FakeCommandFunc)(FakeRequest *req, JsonObject *args, GError **error);

static gboolean
server_migration_active(FakeServer *server)
{
	return g_strcmp0(server->migration_status, "setup") == 0 ||
	       g_strcmp0(server->migration_status, "active") == 0 ||
	       g_strcmp0(server->migration_status, "colo") == 0;
}

static JsonNode *
cmd_qmp_capabilities(FakeRequest *req, JsonObject *args, GError **error)
{
	FakeClient *client = req->client;
	JsonArray *enable = object_get_array(args, "enable");
	gboolean oob = FALSE;

	if (client != NULL && client->negotiated) {
		g_set_error_literal(
			error, FAKE_QMP_ERROR, FAKE_QMP_ERROR_COMMAND_NOT_FOUND,
			"Capabilities negotiation is already complete, command ignored");
		return NULL;
	}
	for (guint i = 0; enable != NULL && i < json_array_get_length(enable); i++) {
		const gchar *cap = node_get_string(json_array_get_element(enable, i));

		if (g_strcmp0(cap, "oob") != 0) {
			g_set_error(error, FAKE_QMP_ERROR, FAKE_QMP_ERROR_GENERIC,
				    "Parameter 'null' does not accept value '%s'",
				    cap != NULL ? cap : "");
			return NULL;
		}
		if (!req->server->cfg->oob) {
			g_set_error_literal(error, FAKE_QMP_ERROR, FAKE_QMP_ERROR_GENERIC,
					    "Capability oob not available");
			return NULL;
		}
		oob = TRUE;
	}
	if (client != NULL) {
		client->negotiated = TRUE;
		client->oob_enabled = oob;
	}
	req->post = FAKE_POST_NEGOTIATED;
	return node_new_empty_object();
}

static JsonNode *
cmd_query_version(FakeRequest *req, JsonObject *args G_GNUC_UNUSED, GError **error G_GNUC_UNUSED)
{
	FakeConfig *cfg = req->server->cfg;
	JsonObject *ret = json_object_new();
	JsonObject *qemu = json_object_new();

	json_object_set_int_member(qemu, "micro", cfg->micro);
	json_object_set_int_member(qemu, "minor", cfg->minor);
	json_object_set_int_member(qemu, "major", cfg->major);
	json_object_set_object_member(ret, "qemu", qemu);
	json_object_set_string_member(ret, "package", cfg->package);
	return node_new_object(ret);
}

static JsonNode *
cmd_query_status(FakeRequest *req, JsonObject *args G_GNUC_UNUSED, GError **error G_GNUC_UNUSED)
{
	FakeServer *server = req->server;
	JsonObject *ret = json_object_new();

	json_object_set_string_member(ret, "status", server->status);
	json_object_set_boolean_member(ret, "singlestep", FALSE);
	json_object_set_boolean_member(ret, "running", g_strcmp0(server->status, "running") == 0);
	return node_new_object(ret);
}

static JsonNode *
cmd_query_kvm(FakeRequest *req G_GNUC_UNUSED, JsonObject *args G_GNUC_UNUSED,
	      GError **error G_GNUC_UNUSED)
{
	JsonObject *ret = json_object_new();

	json_object_set_boolean_member(ret, "enabled", FALSE);
	json_object_set_boolean_member(ret, "present", TRUE);
	return node_new_object(ret);
}

static JsonNode *
cmd_query_qmp_schema(FakeRequest *req, JsonObject *args G_GNUC_UNUSED, GError **error G_GNUC_UNUSED)
{
	JsonArray *ret = json_array_sized_new(schema_n_entries());

	for (guint i = 0; i < schema_n_entries(); i++)
		json_array_add_element(ret, schema_parse_entry(req->server, i));
	return node_new_array(ret);
}

static JsonNode *
cmd_qom_list_properties(FakeRequest *req, JsonObject *args, GError **error)
{
	const gchar *type_name = object_get_string(args, "typename");
	g_auto(GStrv) props = NULL;
	JsonArray *ret;

	for (guint i = 0; i < G_N_ELEMENTS(fake_qom_types) && props == NULL; i++) {
		if (g_strcmp0(fake_qom_types[i].type_name, type_name) == 0)
			props = g_strsplit(fake_qom_types[i].props, " ", -1);
	}
	if (props == NULL) {
		g_set_error(error, FAKE_QMP_ERROR, FAKE_QMP_ERROR_DEVICE_NOT_FOUND,
			    "Class '%s' not found", type_name != NULL ? type_name : "");
		return NULL;
	}
	ret = json_array_new();
	for (guint i = 0; props[i] != NULL; i++) {
		g_auto(GStrv) pair = g_strsplit(props[i], ":", 2);
		JsonObject *prop = json_object_new();

		json_object_set_string_member(prop, "name", pair[0]);
		json_object_set_string_member(prop, "type", pair[1]);
		json_array_add_object_element(ret, prop);
	}
	if (req->server->cfg->enable_when_stopped &&
	    g_strcmp0(type_name, "filter-redirector") == 0) {
		JsonObject *prop = json_object_new();

		json_object_set_string_member(prop, "name", "enable_when_stopped");
		json_object_set_string_member(prop, "type", "bool");
		json_array_add_object_element(ret, prop);
	}
	return node_new_array(ret);
}

static JsonNode *
cmd_query_migrate_capabilities(FakeRequest *req, JsonObject *args G_GNUC_UNUSED,
			       GError **error G_GNUC_UNUSED)
{
	FakeServer *server = req->server;
	JsonArray *ret = json_array_new();

	for (guint i = 0; i < G_N_ELEMENTS(fake_migration_caps); i++) {
		JsonObject *cap;

		if (server_find_cap(server, fake_migration_caps[i]) < 0)
			continue;
		cap = json_object_new();
		json_object_set_boolean_member(cap, "state", server->caps[i]);
		json_object_set_string_member(cap, "capability", fake_migration_caps[i]);
		json_array_add_object_element(ret, cap);
	}
	return node_new_array(ret);
}

static JsonNode *
cmd_migrate_set_capabilities(FakeRequest *req, JsonObject *args, GError **error)
{
	FakeServer *server = req->server;
	JsonArray *list = object_get_array(args, "capabilities");
	guint n = list != NULL ? json_array_get_length(list) : 0;
	g_autofree gint *idx = g_new0(gint, n + 1);
	g_autofree gboolean *state = g_new0(gboolean, n + 1);

	if (server_migration_active(server)) {
		g_set_error_literal(error, FAKE_QMP_ERROR, FAKE_QMP_ERROR_GENERIC,
				    "There's a migration process in progress");
		return NULL;
	}
	/* validate everything first: QEMU applies all or nothing */
	for (guint i = 0; i < n; i++) {
		JsonNode *elem = json_array_get_element(list, i);
		JsonObject *obj = JSON_NODE_HOLDS_OBJECT(elem) ? json_node_get_object(elem) : NULL;
		const gchar *name = obj != NULL ? object_get_string(obj, "capability") : NULL;
		JsonNode *value = obj != NULL ? json_object_get_member(obj, "state") : NULL;

		idx[i] = server_find_cap(server, name);
		if (idx[i] < 0) {
			g_set_error(error, FAKE_QMP_ERROR, FAKE_QMP_ERROR_GENERIC,
				    "Parameter 'capability' does not accept value '%s'",
				    name != NULL ? name : "");
			return NULL;
		}
		if (value == NULL || !JSON_NODE_HOLDS_VALUE(value) ||
		    json_node_get_value_type(value) != G_TYPE_BOOLEAN) {
			g_set_error(error, FAKE_QMP_ERROR, FAKE_QMP_ERROR_GENERIC,
				    "Invalid parameter type for 'capabilities[%u].state', "
				    "expected: boolean",
				    i);
			return NULL;
		}
		state[i] = json_node_get_boolean(value);
	}
	for (guint i = 0; i < n; i++)
		server->caps[idx[i]] = state[i];
	return node_new_empty_object();
}

static JsonNode *
cmd_query_migrate(FakeRequest *req, JsonObject *args G_GNUC_UNUSED, GError **error G_GNUC_UNUSED)
{
	FakeServer *server = req->server;
	JsonObject *ret = json_object_new();

	if (server->migration_status != NULL) {
		static const gchar *const ram_fields[] = {
			"transferred",      "remaining",         "total",
			"duplicate",        "skipped",           "normal",
			"normal-bytes",     "dirty-pages-rate",  "mbps",
			"dirty-sync-count", "postcopy-requests", "page-size",
			"multifd-bytes",    "pages-per-second",  "precopy-bytes",
			"downtime-bytes",   "postcopy-bytes",    "dirty-sync-missed-zero-copy",
		};
		JsonObject *ram = json_object_new();

		for (guint i = 0; i < G_N_ELEMENTS(ram_fields); i++)
			json_object_set_int_member(ram, ram_fields[i], 0);
		json_object_set_string_member(ret, "status", server->migration_status);
		json_object_set_object_member(ret, "ram", ram);
		if (server->migration_error != NULL)
			json_object_set_string_member(ret, "error-desc", server->migration_error);
	}
	if (server->cfg->migrate_remaining)
		json_object_set_int_member(ret, "remaining", 0);
	if (server->incoming_started) {
		/* like QEMU listening on port 0: where it really listens */
		JsonArray *addrs = json_array_new();
		JsonObject *a = json_object_new();
		json_object_set_string_member(a, "type", "inet");
		json_object_set_string_member(a, "host", "127.0.0.1");
		json_object_set_string_member(a, "port", "49999");
		json_array_add_object_element(addrs, a);
		json_object_set_array_member(ret, "socket-address", addrs);
	}
	return node_new_object(ret);
}

/* the machine type, as QEMU answers for /machine; other paths are not found */
static JsonNode *
cmd_qom_get(FakeRequest *req, JsonObject *args, GError **error)
{
	const gchar *path = object_get_string(args, "path");
	const gchar *property = object_get_string(args, "property");

	if (g_strcmp0(path, "/machine") == 0 && g_strcmp0(property, "type") == 0)
		return json_node_init_string(json_node_alloc(), "pc-i440fx-7.2-machine");
	g_set_error(error, FAKE_QMP_ERROR, FAKE_QMP_ERROR_DEVICE_NOT_FOUND, "Device '%s' not found",
		    path != NULL ? path : "");
	return NULL;
}

static JsonNode *
cmd_migrate(FakeRequest *req, JsonObject *args, GError **error)
{
	FakeServer *server = req->server;

	if (server_migration_active(server)) {
		g_set_error_literal(error, FAKE_QMP_ERROR, FAKE_QMP_ERROR_GENERIC,
				    "There's a migration process in progress");
		return NULL;
	}
	g_free(server->migrate_uri);
	server->migrate_uri = g_strdup(object_get_string(args, "uri"));
	g_clear_pointer(&server->migration_error, g_free);
	/* like QEMU, the migration runs (instantly here) after the reply */
	req->post = FAKE_POST_MIGRATE;
	return node_new_empty_object();
}

/* COLO runs the guest on both sides once the first checkpoint is taken */
static void
server_enter_colo(FakeServer *server, const gchar *mode)
{
	server->colo_mode = mode;
	server_set_migration_status(server, "active");
	server_set_migration_status(server, "colo");
	if (g_strcmp0(server->status, "running") != 0) {
		server_set_status(server, "running");
		server_emit_event(server, "RESUME", NULL);
	}
}

static void
server_drop_colo_link(FakeServer *server)
{
	source_drop(&server->colo_link_source);
	if (server->colo_link != NULL)
		g_io_stream_close(G_IO_STREAM(server->colo_link), NULL, NULL);
	g_clear_object(&server->colo_link);
}

/*
 * The migration stream of a pair in COLO. Nothing is sent over it; its end
 * is what a secondary sees when its primary dies. Measured on QEMU 7.2: the
 * secondary sends COLO_EXIT {"mode":"secondary","reason":"error"} and STOP
 * and waits for x-colo-lost-heartbeat.
 */
static gboolean
on_colo_link_readable(GSocket *socket, GIOCondition condition G_GNUC_UNUSED, gpointer user_data)
{
	FakeServer *server = user_data;
	g_autoptr(GError) error_local = NULL;
	gchar buf[256];
	gssize n = g_socket_receive(socket, buf, sizeof(buf), NULL, &error_local);

	if (n > 0 || g_error_matches(error_local, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
		return G_SOURCE_CONTINUE;
	g_clear_pointer(&server->colo_link_source, g_source_unref);
	server_drop_colo_link(server);
	if (g_strcmp0(server->colo_mode, "secondary") == 0 && !server->colo_lost) {
		JsonObject *data = json_object_new();

		json_object_set_string_member(data, "mode", "secondary");
		json_object_set_string_member(data, "reason", "error");
		server->colo_lost = TRUE;
		server_emit_event(server, "COLO_EXIT", data);
		if (g_strcmp0(server->status, "running") == 0) {
			server_set_status(server, "paused");
			server_emit_event(server, "STOP", NULL);
		}
	}
	return G_SOURCE_REMOVE;
}

static void
server_set_colo_link(FakeServer *server, GSocketConnection *conn)
{
	GSocket *socket = g_socket_connection_get_socket(conn);

	server_drop_colo_link(server);
	server->colo_link = g_object_ref(conn);
	g_socket_set_blocking(socket, FALSE);
	server->colo_link_source = g_socket_create_source(socket, G_IO_IN | G_IO_HUP, NULL);
	g_source_set_callback(server->colo_link_source, G_SOURCE_FUNC(on_colo_link_readable),
			      server, NULL);
	g_source_attach(server->colo_link_source, NULL);
}

static void
on_colo_connected(GObject *source, GAsyncResult *res, gpointer user_data)
{
	FakeServer *server = user_data;
	g_autoptr(GError) error_local = NULL;
	g_autoptr(GSocketConnection) conn =
		g_socket_client_connect_to_host_finish(G_SOCKET_CLIENT(source), res, &error_local);

	if (g_strcmp0(server->migration_status, "setup") != 0)
		return; /* cancelled meanwhile */
	if (conn == NULL) {
		/* QEMU 7.2: "Failed to connect to '127.0.0.1:4444': Connection refused" */
		const gchar *hostport = server->migrate_uri + strlen("tcp:");
		const gchar *why = error_local->message;

		if (g_error_matches(error_local, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
			why = "Connection refused";
		g_free(server->migration_error);
		server->migration_error =
			g_strdup_printf("Failed to connect to '%s': %s", hostport, why);
		server_set_migration_status(server, "failed");
		return;
	}
	server_set_colo_link(server, conn);
	server_enter_colo(server, "primary");
}

static void
server_run_migration(FakeServer *server)
{
	server_set_migration_status(server, "setup");
	if (server_cap_enabled(server, "x-colo")) {
		g_autoptr(GSocketClient) client = NULL;

		if (server->migrate_uri == NULL || !g_str_has_prefix(server->migrate_uri, "tcp:")) {
			server_enter_colo(server, "primary");
			return;
		}
		/* a tcp: COLO migration connects to its secondary, so that a secondary on
		 * this fake learns when its primary is gone */
		client = g_socket_client_new();
		g_socket_client_connect_to_host_async(client, server->migrate_uri + strlen("tcp:"),
						      0, NULL, on_colo_connected, server);
		return;
	}
	server_set_migration_status(server, "active");
	if (g_strcmp0(server->status, "running") == 0)
		server_emit_event(server, "STOP", NULL);
	server_set_status(server, "postmigrate");
	server_set_migration_status(server, "completed");
}

static gboolean
on_colo_incoming(GSocketService *service, GSocketConnection *conn, GObject *source G_GNUC_UNUSED,
		 gpointer user_data)
{
	FakeServer *server = user_data;

	/* one migration per incoming port, as in QEMU */
	g_socket_service_stop(service);
	g_socket_listener_close(G_SOCKET_LISTENER(service));
	server_set_colo_link(server, conn);
	server_enter_colo(server, "secondary");
	return TRUE;
}

/* tcp:HOST:PORT, HOST an address literal (optionally in brackets) or a name */
static gboolean
server_colo_listen(FakeServer *server, const gchar *uri, GError **error)
{
	const gchar *hostport = uri + strlen("tcp:");
	const gchar *colon = strrchr(hostport, ':');
	g_autofree gchar *host = NULL;
	g_autoptr(GSocketAddress) address = NULL;
	g_autoptr(GError) error_local = NULL;
	guint64 port = 0;

	if (colon == NULL || !g_ascii_string_to_unsigned(colon + 1, 10, 0, 65535, &port, NULL)) {
		g_set_error(error, FAKE_QMP_ERROR, FAKE_QMP_ERROR_GENERIC,
			    "address resolution failed for %s: Servname not supported for "
			    "ai_socktype",
			    hostport);
		return FALSE;
	}
	host = g_strndup(hostport, colon - hostport);
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		gchar *inner = g_strndup(host + 1, strlen(host) - 2);

		g_free(host);
		host = inner;
	}
	address = g_inet_socket_address_new_from_string(host, (guint)port);
	if (address == NULL) {
		g_autoptr(GList) addrs =
			g_resolver_lookup_by_name(g_resolver_get_default(), host, NULL, NULL);

		if (addrs == NULL) {
			g_set_error(error, FAKE_QMP_ERROR, FAKE_QMP_ERROR_GENERIC,
				    "address resolution failed for %s", hostport);
			return FALSE;
		}
		address = g_inet_socket_address_new(addrs->data, (guint)port);
		g_resolver_free_addresses(g_steal_pointer(&addrs));
	}
	server->colo_service = g_socket_service_new();
	if (!g_socket_listener_add_address(G_SOCKET_LISTENER(server->colo_service), address,
					   G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL, NULL,
					   &error_local)) {
		g_clear_object(&server->colo_service);
		g_set_error(error, FAKE_QMP_ERROR, FAKE_QMP_ERROR_GENERIC,
			    "Failed to bind socket: %s", error_local->message);
		return FALSE;
	}
	g_signal_connect(server->colo_service, "incoming", G_CALLBACK(on_colo_incoming), server);
	g_socket_service_start(server->colo_service);
	return TRUE;
}

static JsonNode *
cmd_migrate_incoming(FakeRequest *req, JsonObject *args, GError **error)
{
	FakeServer *server = req->server;
	const gchar *uri = object_get_string(args, "uri");

	if (g_strcmp0(server->incoming, "defer") != 0) {
		g_set_error_literal(error, FAKE_QMP_ERROR, FAKE_QMP_ERROR_GENERIC,
				    "For use with '-incoming defer'");
		return NULL;
	}
	if (server->incoming_started) {
		g_set_error_literal(error, FAKE_QMP_ERROR, FAKE_QMP_ERROR_GENERIC,
				    "The incoming migration has already been started");
		return NULL;
	}
	/* with x-colo, a tcp: port really listens: the primary's migrate connects,
	 * and the secondary enters COLO then */
	if (server_cap_enabled(server, "x-colo") && uri != NULL && g_str_has_prefix(uri, "tcp:")) {
		if (!server_colo_listen(server, uri, error))
			return NULL;
	} else if (server_cap_enabled(server, "x-colo")) {
		server->colo_mode = "secondary";
	}
	server->incoming_started = TRUE;
	return node_new_empty_object();
}

static JsonNode *
cmd_migrate_cancel(FakeRequest *req, JsonObject *args G_GNUC_UNUSED, GError **error G_GNUC_UNUSED)
{
	FakeServer *server = req->server;

	if (server_migration_active(server)) {
		server_set_migration_status(server, "cancelling");
		server_set_migration_status(server, "cancelled");
	}
	return node_new_empty_object();
}

static JsonNode *
cmd_migrate_pause(FakeRequest *req G_GNUC_UNUSED, JsonObject *args G_GNUC_UNUSED, GError **error)
{
	g_set_error_literal(error, FAKE_QMP_ERROR, FAKE_QMP_ERROR_GENERIC,
			    "migrate-pause is currently only supported during postcopy-active "
			    "state");
	return NULL;
}

static JsonNode *
cmd_migrate_recover(FakeRequest *req G_GNUC_UNUSED, JsonObject *args G_GNUC_UNUSED, GError **error)
{
	g_set_error_literal(error, FAKE_QMP_ERROR, FAKE_QMP_ERROR_GENERIC,
			    "Migrate recover can only be run when postcopy is paused.");
	return NULL;
}

static JsonNode *
cmd_x_colo_lost_heartbeat(FakeRequest *req, JsonObject *args G_GNUC_UNUSED,
			  GError **error G_GNUC_UNUSED)
{
	FakeServer *server = req->server;

	if (server->colo_lost) {
		/* QEMU 7.2 sent COLO_EXIT when the primary went away; the failover
		 * resumes the guest, and query-colo-status says it was requested */
		server->colo_lost = FALSE;
		server_leave_colo(server, "request");
		if (g_strcmp0(server->status, "running") != 0) {
			server_set_status(server, "running");
			server_emit_event(server, "RESUME", NULL);
		}
	} else if (g_strcmp0(server->colo_mode, "none") != 0) {
		JsonObject *data = json_object_new();

		json_object_set_string_member(data, "mode", server->colo_mode);
		json_object_set_string_member(data, "reason", "request");
		server_emit_event(server, "COLO_EXIT", data);
		server_leave_colo(server, "request");
	}
	/* the peer, if it is on this fake, sees its COLO stream end */
	server_drop_colo_link(server);
	return node_new_empty_object();
}

static JsonNode *
cmd_query_colo_status(FakeRequest *req, JsonObject *args G_GNUC_UNUSED,
		      GError **error G_GNUC_UNUSED)
{
	FakeServer *server = req->server;
	JsonObject *ret = json_object_new();

	json_object_set_string_member(ret, "mode", server->colo_mode);
	json_object_set_string_member(ret, "last-mode", server->colo_last_mode);
	json_object_set_string_member(ret, "reason", server->colo_reason);
	return node_new_object(ret);
}

static JsonNode *
cmd_stop(FakeRequest *req, JsonObject *args G_GNUC_UNUSED, GError **error G_GNUC_UNUSED)
{
	FakeServer *server = req->server;

	/* QEMU: no-op unless running (and just clears autostart when incoming) */
	if (g_strcmp0(server->status, "running") == 0) {
		server_set_status(server, "paused");
		server_emit_event(server, "STOP", NULL);
	}
	return node_new_empty_object();
}

static JsonNode *
cmd_cont(FakeRequest *req, JsonObject *args G_GNUC_UNUSED, GError **error)
{
	FakeServer *server = req->server;

	if (g_strcmp0(server->status, "inmigrate") == 0 ||
	    g_strcmp0(server->status, "running") == 0)
		return node_new_empty_object();
	if (g_strcmp0(server->status, "shutdown") == 0 ||
	    g_strcmp0(server->status, "internal-error") == 0 ||
	    g_strcmp0(server->status, "guest-panicked") == 0) {
		g_set_error_literal(error, FAKE_QMP_ERROR, FAKE_QMP_ERROR_GENERIC,
				    "Resetting the Virtual Machine is required");
		return NULL;
	}
	server_set_status(server, "running");
	server_emit_event(server, "RESUME", NULL);
	return node_new_empty_object();
}

static JsonNode *
cmd_quit(FakeRequest *req, JsonObject *args G_GNUC_UNUSED, GError **error G_GNUC_UNUSED)
{
	if (req->server->cfg->quit != FAKE_QUIT_IGNORE)
		req->post = FAKE_POST_QUIT;
	return node_new_empty_object();
}

static JsonNode *
cmd_query_yank(FakeRequest *req G_GNUC_UNUSED, JsonObject *args G_GNUC_UNUSED,
	       GError **error G_GNUC_UNUSED)
{
	return node_new_array(json_array_new());
}

/* block jobs: drive-mirror, made ready after mirror-ready-ms */

static void
job_free(FakeJob *job)
{
	if (job->ready_source != 0)
		g_source_remove(job->ready_source);
	g_free(job->id);
	g_free(job);
}

static FakeJob *
server_find_job(FakeServer *server, const gchar *id)
{
	for (guint i = 0; id != NULL && i < server->jobs->len; i++) {
		FakeJob *job = g_ptr_array_index(server->jobs, i);

		if (g_strcmp0(job->id, id) == 0)
			return job;
	}
	return NULL;
}

/* a mirror copies at an even pace until it is ready */
static gint64
job_offset(FakeJob *job)
{
	guint64 ms = job->server->cfg->mirror_ready_ms;
	gint64 elapsed_ms = (g_get_monotonic_time() - job->start_us) / 1000;

	if (job->ready || ms == 0)
		return job->len;
	return MIN(job->len - 1, (gint64)((gdouble)job->len * (gdouble)elapsed_ms / (gdouble)ms));
}

static void
server_job_status(FakeServer *server, FakeJob *job, const gchar *status)
{
	JsonObject *data = json_object_new();

	json_object_set_string_member(data, "status", status);
	json_object_set_string_member(data, "id", job->id);
	server_emit_event(server, "JOB_STATUS_CHANGE", data);
}

/* BLOCK_JOB_READY, BLOCK_JOB_COMPLETED and BLOCK_JOB_CANCELLED data */
static JsonObject *
job_event_data(FakeJob *job)
{
	JsonObject *data = json_object_new();

	json_object_set_string_member(data, "device", job->id);
	json_object_set_int_member(data, "len", job->len);
	json_object_set_int_member(data, "offset", job_offset(job));
	json_object_set_int_member(data, "speed", job->speed);
	json_object_set_string_member(data, "type", "mirror");
	return data;
}

static gboolean
on_job_ready(gpointer user_data)
{
	FakeJob *job = user_data;

	job->ready_source = 0;
	job->ready = TRUE;
	server_job_status(job->server, job, "ready");
	server_emit_event(job->server, "BLOCK_JOB_READY", job_event_data(job));
	return G_SOURCE_REMOVE;
}

static JsonNode *
cmd_drive_mirror(FakeRequest *req, JsonObject *args, GError **error)
{
	FakeServer *server = req->server;
	const gchar *id = object_get_string(args, "job-id");
	JsonNode *speed = json_object_get_member(args, "speed");
	FakeJob *job;

	if (id == NULL)
		id = object_get_string(args, "device");
	if (id == NULL)
		id = "";
	if (server_find_job(server, id) != NULL) {
		g_set_error(error, FAKE_QMP_ERROR, FAKE_QMP_ERROR_GENERIC,
			    "Job ID '%s' already in use", id);
		return NULL;
	}
	job = g_new0(FakeJob, 1);
	job->server = server;
	job->id = g_strdup(id);
	job->len = (gint64)server->cfg->mirror_len;
	if (speed != NULL && JSON_NODE_HOLDS_VALUE(speed) &&
	    json_node_get_value_type(speed) == G_TYPE_INT64)
		job->speed = json_node_get_int(speed);
	job->start_us = g_get_monotonic_time();
	g_ptr_array_add(server->jobs, job);
	/* as in QEMU 7.2, before the reply */
	server_job_status(server, job, "created");
	server_job_status(server, job, "running");
	job->ready_source = g_timeout_add((guint)server->cfg->mirror_ready_ms, on_job_ready, job);
	return node_new_empty_object();
}

static JsonNode *
cmd_block_job_cancel(FakeRequest *req, JsonObject *args, GError **error)
{
	FakeServer *server = req->server;
	const gchar *id = object_get_string(args, "device");
	JsonNode *force = json_object_get_member(args, "force");
	FakeJob *job = server_find_job(server, id);
	guint index = 0;

	if (job == NULL) {
		g_set_error(error, FAKE_QMP_ERROR, FAKE_QMP_ERROR_DEVICE_NOT_ACTIVE,
			    "Block job '%s' not found", id != NULL ? id : "");
		return NULL;
	}
	/* a ready mirror cancelled without force completes without a pivot */
	job->cancelled = !job->ready || (force != NULL && JSON_NODE_HOLDS_VALUE(force) &&
					 json_node_get_value_type(force) == G_TYPE_BOOLEAN &&
					 json_node_get_boolean(force));
	/* gone from query-block-jobs; its events follow the reply */
	g_ptr_array_find(server->jobs, job, &index);
	g_ptr_array_steal_index(server->jobs, index);
	req->job = job;
	req->post = FAKE_POST_JOB_END;
	return node_new_empty_object();
}

/* after the reply to block-job-cancel, as QEMU 7.2 does */
static void
server_job_end(FakeServer *server, FakeJob *job)
{
	if (job->ready_source != 0) {
		g_source_remove(job->ready_source);
		job->ready_source = 0;
	}
	if (job->cancelled) {
		server_job_status(server, job, "aborting");
		server_emit_event(server, "BLOCK_JOB_CANCELLED", job_event_data(job));
	} else {
		server_job_status(server, job, "waiting");
		server_job_status(server, job, "pending");
		server_emit_event(server, "BLOCK_JOB_COMPLETED", job_event_data(job));
	}
	server_job_status(server, job, "concluded");
	server_job_status(server, job, "null");
	job_free(job);
}

static JsonNode *
cmd_query_block_jobs(FakeRequest *req, JsonObject *args G_GNUC_UNUSED, GError **error G_GNUC_UNUSED)
{
	FakeServer *server = req->server;
	JsonArray *ret = json_array_new();

	for (guint i = 0; i < server->jobs->len; i++) {
		FakeJob *job = g_ptr_array_index(server->jobs, i);
		JsonObject *info = json_object_new();

		json_object_set_boolean_member(info, "auto-finalize", TRUE);
		json_object_set_int_member(info, "len", job->len);
		json_object_set_int_member(info, "offset", job_offset(job));
		json_object_set_string_member(info, "status", job->ready ? "ready" : "running");
		json_object_set_boolean_member(info, "paused", FALSE);
		json_object_set_int_member(info, "speed", job->speed);
		json_object_set_string_member(info, "device", job->id);
		json_object_set_boolean_member(info, "busy", !job->ready);
		json_object_set_boolean_member(info, "ready", job->ready);
		json_object_set_string_member(info, "type", "mirror");
		json_object_set_boolean_member(info, "auto-dismiss", TRUE);
		json_object_set_string_member(info, "io-status", "ok");
		json_array_add_object_element(ret, info);
	}
	return node_new_array(ret);
}

/* chardevs: the command line's and chardev-add's, for query-chardev */

static void
char_state_free(FakeCharState *chr)
{
	g_free(chr->id);
	g_free(chr->filename);
	g_free(chr);
}

static FakeCharState *
server_find_chardev(FakeServer *server, const gchar *id, guint *index)
{
	for (guint i = 0; id != NULL && i < server->chardevs->len; i++) {
		FakeCharState *chr = g_ptr_array_index(server->chardevs, i);

		if (g_strcmp0(chr->id, id) == 0) {
			if (index != NULL)
				*index = i;
			return chr;
		}
	}
	return NULL;
}

static void
server_add_chardev(FakeServer *server, const gchar *id, gchar *filename, gboolean monitor)
{
	FakeCharState *chr = g_new0(FakeCharState, 1);

	chr->id = g_strdup(id);
	chr->filename = filename;
	chr->monitor = monitor;
	g_ptr_array_add(server->chardevs, chr);
}

static gboolean
object_get_bool(JsonObject *obj, const gchar *member, gboolean dflt)
{
	JsonNode *node = obj != NULL ? json_object_get_member(obj, member) : NULL;

	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
	    json_node_get_value_type(node) != G_TYPE_BOOLEAN)
		return dflt;
	return json_node_get_boolean(node);
}

/*
 * What QEMU 7.2 shows as a chardev's filename. Sockets look connected: a TCP
 * server "tcp:HOST:PORT,server=on <-> PEER", a UNIX server "unix:PATH,server=on",
 * a UNIX client "unix:". A disconnected socket would start with "disconnected:".
 */
static gchar *
chardev_filename(JsonObject *backend)
{
	const gchar *type = object_get_string(backend, "type");
	JsonObject *data = object_get_object(backend, "data");
	JsonObject *addr = data != NULL ? object_get_object(data, "addr") : NULL;
	const gchar *addr_type = addr != NULL ? object_get_string(addr, "type") : NULL;
	JsonObject *addr_data = addr != NULL ? object_get_object(addr, "data") : NULL;
	gboolean server = object_get_bool(data, "server", FALSE);

	if (g_strcmp0(type, "socket") != 0 || addr_data == NULL)
		return g_strdup(type != NULL ? type : "");
	if (g_strcmp0(addr_type, "inet") == 0) {
		const gchar *host = object_get_string(addr_data, "host");
		const gchar *port = object_get_string(addr_data, "port");

		if (server)
			return g_strdup_printf("tcp:%s:%s,server=on <-> 127.0.0.1:40000", host,
					       port);
		return g_strdup_printf("tcp:127.0.0.1:40000 <-> %s:%s", host, port);
	}
	if (g_strcmp0(addr_type, "unix") == 0) {
		if (server)
			return g_strdup_printf("unix:%s,server=on",
					       object_get_string(addr_data, "path"));
		return g_strdup("unix:");
	}
	return g_strdup(addr_type != NULL ? addr_type : "");
}

static JsonNode *
cmd_chardev_add(FakeRequest *req, JsonObject *args, GError **error)
{
	FakeServer *server = req->server;
	const gchar *id = object_get_string(args, "id");
	JsonObject *backend = object_get_object(args, "backend");

	if (id == NULL)
		id = "";
	if (server_find_chardev(server, id, NULL) != NULL) {
		g_set_error(error, FAKE_QMP_ERROR, FAKE_QMP_ERROR_GENERIC,
			    "attempt to add duplicate property '%s' to object (type 'container')",
			    id);
		return NULL;
	}
	server_add_chardev(server, id, chardev_filename(backend), FALSE);
	return node_new_empty_object();
}

static JsonNode *
cmd_chardev_remove(FakeRequest *req, JsonObject *args, GError **error)
{
	FakeServer *server = req->server;
	const gchar *id = object_get_string(args, "id");
	guint index = 0;
	FakeCharState *chr = server_find_chardev(server, id, &index);

	if (chr == NULL) {
		g_set_error(error, FAKE_QMP_ERROR, FAKE_QMP_ERROR_GENERIC, "Chardev '%s' not found",
			    id != NULL ? id : "");
		return NULL;
	}
	if (chr->monitor) {
		g_set_error(error, FAKE_QMP_ERROR, FAKE_QMP_ERROR_GENERIC, "Chardev '%s' is busy",
			    id);
		return NULL;
	}
	g_ptr_array_remove_index(server->chardevs, index);
	return node_new_empty_object();
}

static JsonNode *
cmd_query_chardev(FakeRequest *req, JsonObject *args G_GNUC_UNUSED, GError **error G_GNUC_UNUSED)
{
	FakeServer *server = req->server;
	JsonArray *ret = json_array_new();

	for (guint i = 0; i < server->chardevs->len; i++) {
		FakeCharState *chr = g_ptr_array_index(server->chardevs, i);
		JsonObject *info = json_object_new();

		json_object_set_boolean_member(info, "frontend-open", chr->monitor);
		json_object_set_string_member(info, "filename", chr->filename);
		json_object_set_string_member(info, "label", chr->id);
		json_array_add_object_element(ret, info);
	}
	return node_new_array(ret);
}

/* user-creatable objects: ids must be unique, object-del needs one that exists */

static JsonNode *
cmd_object_add(FakeRequest *req, JsonObject *args, GError **error)
{
	FakeServer *server = req->server;
	const gchar *id = object_get_string(args, "id");

	if (id == NULL)
		id = "";
	if (g_hash_table_contains(server->objects, id)) {
		g_set_error(error, FAKE_QMP_ERROR, FAKE_QMP_ERROR_GENERIC,
			    "attempt to add duplicate property '%s' to object (type 'container')",
			    id);
		return NULL;
	}
	g_hash_table_add(server->objects, g_strdup(id));
	return node_new_empty_object();
}

static JsonNode *
cmd_object_del(FakeRequest *req, JsonObject *args, GError **error)
{
	FakeServer *server = req->server;
	const gchar *id = object_get_string(args, "id");

	if (id == NULL || !g_hash_table_remove(server->objects, id)) {
		g_set_error(error, FAKE_QMP_ERROR, FAKE_QMP_ERROR_GENERIC, "object '%s' not found",
			    id != NULL ? id : "");
		return NULL;
	}
	return node_new_empty_object();
}

/* the NBD server: one, started once, with exports */

static JsonNode *
cmd_nbd_server_start(FakeRequest *req, JsonObject *args G_GNUC_UNUSED, GError **error)
{
	FakeServer *server = req->server;

	if (server->nbd_running) {
		g_set_error_literal(error, FAKE_QMP_ERROR, FAKE_QMP_ERROR_GENERIC,
				    "NBD server already running");
		return NULL;
	}
	server->nbd_running = TRUE;
	return node_new_empty_object();
}

static JsonNode *
cmd_nbd_server_add(FakeRequest *req, JsonObject *args, GError **error)
{
	FakeServer *server = req->server;
	const gchar *name = object_get_string(args, "name");

	if (!server->nbd_running) {
		g_set_error_literal(error, FAKE_QMP_ERROR, FAKE_QMP_ERROR_GENERIC,
				    "NBD server not running");
		return NULL;
	}
	if (name == NULL)
		name = object_get_string(args, "device");
	g_ptr_array_add(server->nbd_exports, g_strdup(name != NULL ? name : ""));
	return node_new_empty_object();
}

static JsonNode *
cmd_nbd_server_stop(FakeRequest *req, JsonObject *args G_GNUC_UNUSED, GError **error)
{
	FakeServer *server = req->server;

	if (!server->nbd_running) {
		g_set_error_literal(error, FAKE_QMP_ERROR, FAKE_QMP_ERROR_GENERIC,
				    "NBD server not running");
		return NULL;
	}
	for (guint i = 0; i < server->nbd_exports->len; i++) {
		JsonObject *data = json_object_new();

		json_object_set_string_member(data, "id",
					      g_ptr_array_index(server->nbd_exports, i));
		server_emit_event(server, "BLOCK_EXPORT_DELETED", data);
	}
	g_ptr_array_set_size(server->nbd_exports, 0);
	server->nbd_running = FALSE;
	return node_new_empty_object();
}

/* HMP: accepted, with nothing to say */
static JsonNode *
cmd_human_monitor_command(FakeRequest *req G_GNUC_UNUSED, JsonObject *args G_GNUC_UNUSED,
			  GError **error G_GNUC_UNUSED)
{
	return json_node_init_string(json_node_alloc(), "");
}

/* accepted, logged and otherwise ignored */
static JsonNode *
cmd_accept(FakeRequest *req G_GNUC_UNUSED, JsonObject *args G_GNUC_UNUSED,
	   GError **error G_GNUC_UNUSED)
{
	return node_new_empty_object();
}

static const struct {
	const gchar *name;
	FakeCommandFunc func;
} fake_commands[] = {
	{"qmp_capabilities", cmd_qmp_capabilities},
	{"query-version", cmd_query_version},
	{"query-status", cmd_query_status},
	{"query-kvm", cmd_query_kvm},
	{"query-qmp-schema", cmd_query_qmp_schema},
	{"qom-list-properties", cmd_qom_list_properties},
	{"query-migrate", cmd_query_migrate},
	{"query-migrate-capabilities", cmd_query_migrate_capabilities},
	{"migrate-set-capabilities", cmd_migrate_set_capabilities},
	{"migrate-set-parameters", cmd_accept},
	{"migrate", cmd_migrate},
	{"migrate-incoming", cmd_migrate_incoming},
	{"migrate_cancel", cmd_migrate_cancel},
	{"migrate-pause", cmd_migrate_pause},
	{"migrate-recover", cmd_migrate_recover},
	{"x-colo-lost-heartbeat", cmd_x_colo_lost_heartbeat},
	{"query-colo-status", cmd_query_colo_status},
	{"object-add", cmd_object_add},
	{"qom-get", cmd_qom_get},
	{"qom-set", cmd_accept},
	{"object-del", cmd_object_del},
	{"chardev-add", cmd_chardev_add},
	{"chardev-remove", cmd_chardev_remove},
	{"query-chardev", cmd_query_chardev},
	{"nbd-server-start", cmd_nbd_server_start},
	{"nbd-server-add", cmd_nbd_server_add},
	{"nbd-server-stop", cmd_nbd_server_stop},
	{"drive-mirror", cmd_drive_mirror},
	{"block-job-cancel", cmd_block_job_cancel},
	{"query-block-jobs", cmd_query_block_jobs},
	{"human-monitor-command", cmd_human_monitor_command},
	{"x-blockdev-change", cmd_accept},
	{"blockdev-add", cmd_accept},
	{"blockdev-del", cmd_accept},
	{"announce-self", cmd_accept},
	{"stop", cmd_stop},
	{"cont", cmd_cont},
	{"quit", cmd_quit},
	{"yank", cmd_accept},
	{"query-yank", cmd_query_yank},
};

static FakeCommandFunc
command_find(const gchar *name)
{
	for (guint i = 0; i < G_N_ELEMENTS(fake_commands); i++) {
		if (g_strcmp0(fake_commands[i].name, name) == 0)
			return fake_commands[i].func;
	}
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* request dispatch                                                         */
/* ------------------------------------------------------------------------ */

static JsonNode *
response_error(FakeQmpError klass, const gchar *desc, JsonNode *id)
{
	JsonObject *obj = json_object_new();
	JsonObject *err = json_object_new();

	if (id != NULL)
		json_object_set_member(obj, "id", json_node_copy(id));
	json_object_set_string_member(err, "class", fake_qmp_error_classes[klass]);
	json_object_set_string_member(err, "desc", desc);
	json_object_set_object_member(obj, "error", err);
	return node_new_object(obj);
}

static JsonNode *
response_from_error(const GError *error, JsonNode *id)
{
	FakeQmpError klass = FAKE_QMP_ERROR_GENERIC;

	if (error->domain == FAKE_QMP_ERROR && error->code >= 0 &&
	    (guint)error->code < G_N_ELEMENTS(fake_qmp_error_classes))
		klass = error->code;
	return response_error(klass, error->message, id);
}

static JsonNode *
response_return(JsonNode *ret, JsonNode *id)
{
	JsonObject *obj = json_object_new();

	json_object_set_member(obj, "return", ret);
	if (id != NULL)
		json_object_set_member(obj, "id", json_node_copy(id));
	return node_new_object(obj);
}

static FakeRequest *
request_new(FakeClient *client, JsonNode *node)
{
	FakeRequest *req = g_new0(FakeRequest, 1);

	req->server = client->server;
	req->client = client_ref(client);
	req->node = node;
	return req;
}

static void
request_free(FakeRequest *req)
{
	if (req->client != NULL)
		client_unref(req->client);
	if (req->node != NULL)
		json_node_unref(req->node);
	if (req->input_error != NULL)
		json_node_unref(req->input_error);
	if (req->job != NULL)
		job_free(req->job);
	g_free(req->command);
	g_free(req);
}

/* QEMU's qmp_dispatch_check_obj() */
static gboolean
request_check_obj(JsonObject *obj, gboolean oob_enabled, GError **error)
{
	g_autoptr(GList) names = json_object_get_members(obj);
	gboolean has_exec = FALSE;

	for (GList *l = names; l != NULL; l = l->next) {
		const gchar *name = l->data;
		JsonNode *value = json_object_get_member(obj, name);

		if (g_strcmp0(name, "execute") == 0 ||
		    (g_strcmp0(name, "exec-oob") == 0 && oob_enabled)) {
			if (node_get_string(value) == NULL) {
				g_set_error(error, FAKE_QMP_ERROR, FAKE_QMP_ERROR_GENERIC,
					    "QMP input member '%s' must be a string", name);
				return FALSE;
			}
			if (has_exec) {
				g_set_error_literal(
					error, FAKE_QMP_ERROR, FAKE_QMP_ERROR_GENERIC,
					"QMP input member 'execute' clashes with 'exec-oob'");
				return FALSE;
			}
			has_exec = TRUE;
		} else if (g_strcmp0(name, "arguments") == 0) {
			if (!JSON_NODE_HOLDS_OBJECT(value)) {
				g_set_error_literal(
					error, FAKE_QMP_ERROR, FAKE_QMP_ERROR_GENERIC,
					"QMP input member 'arguments' must be an object");
				return FALSE;
			}
		} else if (g_strcmp0(name, "id") != 0) {
			g_set_error(error, FAKE_QMP_ERROR, FAKE_QMP_ERROR_GENERIC,
				    "QMP input member '%s' is unexpected", name);
			return FALSE;
		}
	}
	if (!has_exec) {
		g_set_error_literal(error, FAKE_QMP_ERROR, FAKE_QMP_ERROR_GENERIC,
				    "QMP input lacks member 'execute'");
		return FALSE;
	}
	return TRUE;
}

/* run the command and build the reply */
static JsonNode *
request_execute(FakeRequest *req)
{
	FakeServer *server = req->server;
	FakeClient *client = req->client;
	JsonObject *obj = json_node_get_object(req->node);
	JsonNode *id = json_object_get_member(obj, "id");
	gboolean negotiated = client != NULL && client->negotiated;
	gboolean oob_enabled = client != NULL && client->oob_enabled;
	g_autoptr(GError) error_local = NULL;
	g_autoptr(JsonObject) empty = json_object_new();
	JsonObject *args = object_get_object(obj, "arguments");
	FakeCommandFunc func;
	JsonNode *ret;

	if (!request_check_obj(obj, oob_enabled, &error_local))
		return response_from_error(error_local, id);
	func = command_find(req->command);
	if (!negotiated && (func == NULL || g_strcmp0(req->command, "qmp_capabilities") != 0))
		return response_error(FAKE_QMP_ERROR_COMMAND_NOT_FOUND,
				      "Expecting capabilities negotiation with 'qmp_capabilities'",
				      id);
	if (func == NULL) {
		g_autofree gchar *desc =
			g_strdup_printf("The command %s has not been found", req->command);

		return response_error(FAKE_QMP_ERROR_COMMAND_NOT_FOUND, desc, id);
	}
	if (req->oob && !g_hash_table_contains(server->cfg->oob_commands, req->command)) {
		g_autofree gchar *desc =
			g_strdup_printf("The command %s does not support OOB", req->command);

		return response_error(FAKE_QMP_ERROR_GENERIC, desc, id);
	}
	if (args == NULL)
		args = empty;
	if (server->cfg->strict_args &&
	    !schema_check_arguments(server, req->command, args, &error_local))
		return response_from_error(error_local, id);
	ret = func(req, args, &error_local);
	if (ret == NULL)
		return response_from_error(error_local, id);
	return response_return(ret, id);
}

static gboolean
request_has_fault(FakeRequest *req, GHashTable *set)
{
	return req->command != NULL && g_hash_table_contains(set, req->command);
}

/* write the reply, or the configured corruption of it */
static void
request_reply(FakeRequest *req, JsonNode *rsp)
{
	FakeClient *client = req->client;
	FakeConfig *cfg = req->server->cfg;
	g_autofree gchar *text = NULL;

	if (client == NULL || client->closed)
		return;
	text = json_to_string(rsp, FALSE);
	if (request_has_fault(req, cfg->close_mid_reply)) {
		client_queue_data(client, text, strlen(text) / 2);
		client_queue_close(client);
	} else if (request_has_fault(req, cfg->huge)) {
		/* one valid JSON line of huge-bytes bytes, streamed from a filler */
		JsonNode *id = json_object_get_member(json_node_get_object(req->node), "id");
		g_autofree gchar *id_text = id != NULL ? json_to_string(id, FALSE) : NULL;
		const gchar *prefix = "{\"return\":{\"data\":\"";
		g_autofree gchar *suffix = id_text != NULL
						   ? g_strdup_printf("\"},\"id\":%s}\r\n", id_text)
						   : g_strdup("\"}}\r\n");
		guint64 overhead = strlen(prefix) + strlen(suffix);

		client_queue_data(client, prefix, strlen(prefix));
		client_queue_fill(client,
				  cfg->huge_bytes > overhead ? cfg->huge_bytes - overhead : 0);
		client_queue_data(client, suffix, strlen(suffix));
	} else if (request_has_fault(req, cfg->malformed)) {
		client_queue_line(client, "{\"return\": {\"status\": <<malformed>> ]]] not json");
	} else {
		client_queue_line(client, text);
	}
}

static void
request_dispatch(FakeRequest *req)
{
	FakeServer *server = req->server;
	FakeConfig *cfg = server->cfg;
	g_autoptr(JsonNode) rsp = NULL;

	if (req->input_error != NULL) {
		request_reply(req, req->input_error);
		return;
	}
	rsp = request_execute(req);
	if (req->post == FAKE_POST_QUIT && cfg->quit_event_first)
		server_emit_shutdown(server, "host-qmp-quit");
	request_reply(req, rsp);

	switch (req->post) {
	case FAKE_POST_NEGOTIATED:
		for (guint i = 0; req->client != NULL && i < cfg->events_on_connect->len; i++) {
			FakeEventSpec *spec = g_ptr_array_index(cfg->events_on_connect, i);

			client_emit_event(req->client, spec->name,
					  spec->data != NULL ? json_node_get_object(spec->data)
							     : NULL);
		}
		break;
	case FAKE_POST_MIGRATE:
		server_run_migration(server);
		break;
	case FAKE_POST_JOB_END:
		server_job_end(server, g_steal_pointer(&req->job));
		break;
	case FAKE_POST_QUIT:
		if (!cfg->quit_event_first)
			server_emit_shutdown(server, "host-qmp-quit");
		if (cfg->quit == FAKE_QUIT_SHUTDOWN_HOLD)
			server_enter_hold(server);
		else
			server_begin_exit(server);
		break;
	case FAKE_POST_NONE:
	default:
		break;
	}
}

static void
request_finish(FakeRequest *req)
{
	FakeServer *server = req->server;
	gboolean oob = req->oob;

	if (!server->hold)
		request_dispatch(req);
	request_free(req);
	if (!oob) {
		server->inband_busy = FALSE;
		server_pump(server);
	}
}

static gboolean
on_request_delayed(gpointer user_data)
{
	request_finish(user_data);
	return G_SOURCE_REMOVE;
}

static void
request_start(FakeRequest *req)
{
	FakeConfig *cfg = req->server->cfg;
	gpointer ms = NULL;

	if (request_has_fault(req, cfg->hang)) {
		/* never answered; an in-band one keeps the dispatcher busy for good */
		request_free(req);
		return;
	}
	if (req->command != NULL &&
	    g_hash_table_lookup_extended(cfg->delay_ms, req->command, NULL, &ms)) {
		g_timeout_add(GPOINTER_TO_UINT(ms), on_request_delayed, req);
		return;
	}
	request_finish(req);
}

/* QEMU dispatches in-band commands of all monitors one at a time */
static void
server_pump(FakeServer *server)
{
	if (server->pumping)
		return;
	server->pumping = TRUE;
	while (!server->inband_busy && !server->hold && !server->exiting &&
	       !g_queue_is_empty(&server->inband)) {
		server->inband_busy = TRUE;
		request_start(g_queue_pop_head(&server->inband));
	}
	server->pumping = FALSE;
}

static void
server_queue_inband(FakeServer *server, FakeRequest *req)
{
	g_queue_push_tail(&server->inband, req);
	server_pump(server);
}

/* a disconnected monitor's queued requests are dropped, as in QEMU */
static void
server_drop_queued(FakeServer *server, FakeClient *client)
{
	GList *l = server->inband.head;

	while (l != NULL) {
		GList *next = l->next;
		FakeRequest *req = l->data;

		if (req->client == client) {
			g_queue_delete_link(&server->inband, l);
			request_free(req);
		}
		l = next;
	}
}

static void
server_log_command(FakeServer *server, FakeRequest *req)
{
	JsonObject *obj = json_node_get_object(req->node);
	JsonObject *args = object_get_object(obj, "arguments");
	g_autoptr(JsonNode) node = node_new_empty_object();
	JsonObject *entry = json_node_get_object(node);
	g_autofree gchar *text = NULL;
	g_autofree gchar *line = NULL;
	gsize len;
	gsize done = 0;

	if (server->log_fd < 0 || req->command == NULL)
		return;
	json_object_set_string_member(entry, "name", server->name);
	json_object_set_string_member(entry, "execute", req->command);
	json_object_set_object_member(entry, "arguments",
				      args != NULL ? json_object_ref(args) : json_object_new());
	if (req->oob)
		json_object_set_boolean_member(entry, "oob", TRUE);
	text = json_to_string(node, FALSE);
	line = g_strconcat(text, "\n", NULL);
	len = strlen(line);
	/* one write(2) per line on an O_APPEND fd, so instances may share a log */
	while (done < len) {
		gssize n = write(server->log_fd, line + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			g_printerr("%s[%s]: log: %s\n", FAKE_QMP_PRGNAME, server->name,
				   g_strerror(errno));
			return;
		}
		done += n;
	}
}

/* ------------------------------------------------------------------------ */
/* connections                                                              */
/* ------------------------------------------------------------------------ */

static void
client_queue_input_error(FakeClient *client, const gchar *desc)
{
	FakeRequest *req = request_new(client, NULL);

	/* QEMU queues these in-band too */
	req->input_error = response_error(FAKE_QMP_ERROR_GENERIC, desc, NULL);
	server_queue_inband(client->server, req);
}

static void
client_handle_line(FakeClient *client, gchar *line)
{
	FakeServer *server = client->server;
	g_autoptr(JsonParser) parser = NULL;
	g_autoptr(GError) error_local = NULL;
	JsonNode *root;
	JsonObject *obj;
	FakeRequest *req;

	g_strstrip(line);
	if (*line == '\0' || server->exiting || server->hold)
		return;
	parser = json_parser_new();
	if (!json_parser_load_from_data(parser, line, -1, &error_local)) {
		/* drop json-glib's "<data>:1:5: Parse error: " position prefix */
		const gchar *why = strstr(error_local->message, "error: ");
		g_autofree gchar *desc = g_strdup_printf("JSON parse error, %s",
							 why != NULL ? why + strlen("error: ")
								     : error_local->message);

		client_queue_input_error(client, desc);
		return;
	}
	root = json_parser_get_root(parser);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
		client_queue_input_error(client, "QMP input must be a JSON object");
		return;
	}
	obj = json_node_get_object(root);
	req = request_new(client, json_node_copy(root));
	req->oob =
		json_object_has_member(obj, "exec-oob") && !json_object_has_member(obj, "execute");
	req->command = g_strdup(object_get_string(obj, req->oob ? "exec-oob" : "execute"));
	server_log_command(server, req);
	/* out-of-band requests bypass the in-band queue (QEMU's qmp_is_oob()) */
	if (req->oob)
		request_start(req);
	else
		server_queue_inband(server, req);
}

static gboolean
on_client_readable(GSocket *socket, GIOCondition condition G_GNUC_UNUSED, gpointer user_data)
{
	FakeClient *client = user_data;
	gchar buf[FAKE_QMP_READ_CHUNK];
	g_autoptr(GError) error_local = NULL;
	gsize start = 0;
	gboolean keep;
	gssize n;

	n = g_socket_receive(socket, buf, sizeof(buf), NULL, &error_local);
	if (n < 0 && g_error_matches(error_local, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
		return G_SOURCE_CONTINUE;
	if (n <= 0) {
		client_close(client);
		return G_SOURCE_REMOVE;
	}
	g_string_append_len(client->inbuf, buf, n);

	client_ref(client);
	while (client->in_source != NULL) {
		const gchar *line_start = client->inbuf->str + start;
		const gchar *nl = memchr(line_start, '\n', client->inbuf->len - start);
		g_autofree gchar *line = NULL;

		if (nl == NULL)
			break;
		line = g_strndup(line_start, nl - line_start);
		start += nl - line_start + 1;
		client_handle_line(client, line);
	}
	g_string_erase(client->inbuf, 0, start);
	keep = client->in_source != NULL;
	client_unref(client);
	return keep ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static gchar *
server_greeting(FakeServer *server)
{
	FakeConfig *cfg = server->cfg;
	JsonObject *qmp = json_object_new();
	JsonObject *version = json_object_new();
	JsonObject *qemu = json_object_new();
	JsonArray *caps = json_array_new();
	g_autoptr(JsonNode) node = node_new_empty_object();

	json_object_set_int_member(qemu, "micro", cfg->micro);
	json_object_set_int_member(qemu, "minor", cfg->minor);
	json_object_set_int_member(qemu, "major", cfg->major);
	json_object_set_object_member(version, "qemu", qemu);
	json_object_set_string_member(version, "package", cfg->package);
	json_object_set_object_member(qmp, "version", version);
	if (cfg->oob)
		json_array_add_string_element(caps, "oob");
	json_object_set_array_member(qmp, "capabilities", caps);
	json_object_set_object_member(json_node_get_object(node), "QMP", qmp);
	return json_to_string(node, FALSE);
}

static void
client_new(FakeListener *listener, GSocket *socket)
{
	FakeServer *server = listener->server;
	FakeClient *client = g_new0(FakeClient, 1);
	g_autofree gchar *greeting = server_greeting(server);

	client->refcount = 1; /* owned by the listener until closed */
	client->server = server;
	client->listener = listener;
	client->socket = g_object_ref(socket);
	client->inbuf = g_string_new(NULL);
	g_queue_init(&client->outq);
	g_socket_set_blocking(socket, FALSE);
	listener->client = client;

	client_queue_line(client, greeting);
	client->in_source = g_socket_create_source(socket, G_IO_IN, NULL);
	g_source_set_callback(client->in_source, G_SOURCE_FUNC(on_client_readable), client, NULL);
	g_source_attach(client->in_source, NULL);
}

static void
client_close(FakeClient *client)
{
	FakeServer *server = client->server;
	FakeListener *listener = client->listener;

	if (client->closed)
		return;
	client->closed = TRUE;
	source_drop(&client->in_source);
	source_drop(&client->out_source);
	g_socket_shutdown(client->socket, TRUE, TRUE, NULL);
	g_socket_close(client->socket, NULL);
	g_queue_clear_full(&client->outq, (GDestroyNotify)chunk_free);
	server_drop_queued(server, client);
	listener->client = NULL;
	client_unref(client);
	listener_accept(listener);
	server_check_exit(server);
}

static gboolean
on_listener_ready(GSocket *socket, GIOCondition condition G_GNUC_UNUSED, gpointer user_data)
{
	FakeListener *listener = user_data;
	g_autoptr(GError) error_local = NULL;
	g_autoptr(GSocket) conn = g_socket_accept(socket, NULL, &error_local);

	if (conn == NULL) {
		if (!g_error_matches(error_local, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
			g_printerr("%s[%s]: %s: accept: %s\n", FAKE_QMP_PRGNAME,
				   listener->server->name, listener->desc, error_local->message);
		return G_SOURCE_CONTINUE;
	}
	g_clear_pointer(&listener->accept_source, g_source_unref);
	client_new(listener, conn);
	return G_SOURCE_REMOVE;
}

/* wait for the next connection, unless one is being served */
static void
listener_accept(FakeListener *listener)
{
	FakeServer *server = listener->server;

	if (listener->accept_source != NULL || listener->client != NULL || server->hold ||
	    server->exiting)
		return;
	listener->accept_source = g_socket_create_source(listener->socket, G_IO_IN, NULL);
	g_source_set_callback(listener->accept_source, G_SOURCE_FUNC(on_listener_ready), listener,
			      NULL);
	g_source_attach(listener->accept_source, NULL);
}

static void
listener_free(FakeListener *listener)
{
	source_drop(&listener->accept_source);
	if (listener->socket != NULL)
		g_socket_close(listener->socket, NULL);
	g_clear_object(&listener->socket);
	if (listener->unlink_path != NULL)
		g_unlink(listener->unlink_path);
	g_free(listener->unlink_path);
	g_free(listener->desc);
	g_free(listener);
}

static GSocket *
listener_socket_from_fd(gint fd, GError **error)
{
	g_autoptr(GSocket) socket = g_socket_new_from_fd(fd, error);
	gint listening = 0;

	if (socket == NULL)
		return NULL;
	if (!g_socket_get_option(socket, SOL_SOCKET, SO_ACCEPTCONN, &listening, error))
		return NULL;
	if (!listening) {
		g_set_error(error, FAKE_QMP_ERROR, FAKE_QMP_ERROR_GENERIC,
			    "fd %d is not a listening socket", fd);
		return NULL;
	}
	return g_steal_pointer(&socket);
}

static GSocket *
listener_socket_from_path(const gchar *path, GError **error)
{
	g_autoptr(GSocket) socket = NULL;
	g_autoptr(GSocketAddress) address = NULL;

	if (g_unlink(path) < 0 && errno != ENOENT) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "unlink %s: %s", path,
			    g_strerror(errno));
		return NULL;
	}
	socket = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT,
			      error);
	if (socket == NULL)
		return NULL;
	address = g_unix_socket_address_new(path);
	g_socket_set_listen_backlog(socket, FAKE_QMP_LISTEN_BACKLOG);
	if (!g_socket_bind(socket, address, FALSE, error) || !g_socket_listen(socket, error)) {
		g_prefix_error(error, "%s: ", path);
		return NULL;
	}
	return g_steal_pointer(&socket);
}

static FakeListener *
listener_new(FakeServer *server, FakeChardev *chr, GError **error)
{
	g_autoptr(GSocket) socket = NULL;
	FakeListener *listener;

	if (g_strcmp0(chr->backend, "socket") != 0) {
		g_set_error(error, FAKE_QMP_ERROR, FAKE_QMP_ERROR_GENERIC,
			    "chardev '%s': backend '%s' is not supported, use socket", chr->id,
			    chr->backend != NULL ? chr->backend : "");
		return NULL;
	}
	if (!chr->server || chr->has_host) {
		g_set_error(error, FAKE_QMP_ERROR, FAKE_QMP_ERROR_GENERIC,
			    "chardev '%s': only UNIX server sockets (server=on) are supported",
			    chr->id);
		return NULL;
	}
	if (chr->fd >= 0)
		socket = listener_socket_from_fd(chr->fd, error);
	else if (chr->path != NULL)
		socket = listener_socket_from_path(chr->path, error);
	else
		g_set_error(error, FAKE_QMP_ERROR, FAKE_QMP_ERROR_GENERIC,
			    "chardev '%s': needs fd=N or path=PATH", chr->id);
	if (socket == NULL) {
		g_prefix_error(error, "chardev '%s': ", chr->id);
		return NULL;
	}
	g_socket_set_blocking(socket, FALSE);

	listener = g_new0(FakeListener, 1);
	listener->server = server;
	listener->socket = g_steal_pointer(&socket);
	if (chr->fd >= 0) {
		listener->desc = g_strdup_printf("fd=%d", chr->fd);
	} else {
		listener->desc = g_strdup(chr->path);
		listener->unlink_path = g_strdup(chr->path);
	}
	return listener;
}

/* ------------------------------------------------------------------------ */
/* main                                                                     */
/* ------------------------------------------------------------------------ */

static gint
fail(const GError *error)
{
	g_printerr("%s: %s\n", FAKE_QMP_PRGNAME, error->message);
	return 1;
}

static gboolean
server_setup(FakeServer *server, FakeArgs *args, GError **error)
{
	g_autoptr(JsonNode) query_migrate = NULL;

	if (server->cfg->status != NULL)
		server->status = g_strdup(server->cfg->status);
	else if (args->incoming != NULL)
		server->status = g_strdup("inmigrate");
	else if (args->start_paused)
		server->status = g_strdup("prelaunch");
	else
		server->status = g_strdup("running");
	server->incoming = g_strdup(args->incoming);
	server->colo_mode = "none";
	server->colo_last_mode = "none";
	server->colo_reason = "none";
	server->log_fd = -1;
	server->listeners = g_ptr_array_new_with_free_func((GDestroyNotify)listener_free);
	g_queue_init(&server->inband);
	server->chardevs = g_ptr_array_new_with_free_func((GDestroyNotify)char_state_free);
	server->objects = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	server->jobs = g_ptr_array_new_with_free_func((GDestroyNotify)job_free);
	server->nbd_exports = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < args->objects->len; i++)
		g_hash_table_add(server->objects, g_strdup(g_ptr_array_index(args->objects, i)));
	for (guint i = 0; i < args->chardevs->len; i++) {
		FakeChardev *chr = g_ptr_array_index(args->chardevs, i);
		gboolean monitor = g_ptr_array_find_with_equal_func(args->monitors, chr->id,
								    g_str_equal, NULL);
		gchar *filename;

		if (server_find_chardev(server, chr->id, NULL) != NULL)
			continue; /* redefined: the last one wins in args_find_chardev */
		if (g_strcmp0(chr->backend, "socket") != 0)
			filename = g_strdup(chr->backend != NULL ? chr->backend : "");
		else if (chr->has_host && chr->server)
			filename = g_strdup_printf("tcp:%s:%s,server=on <-> 127.0.0.1:40000",
						   chr->host != NULL ? chr->host : "", chr->port);
		else if (chr->has_host)
			filename = g_strdup_printf("tcp:127.0.0.1:40000 <-> %s:%s",
						   chr->host != NULL ? chr->host : "", chr->port);
		else if (chr->server)
			filename = g_strdup_printf("unix:%s,server=on",
						   chr->path != NULL ? chr->path : "");
		else
			filename = g_strdup("unix:");
		server_add_chardev(server, chr->id, filename, monitor);
	}

	query_migrate = schema_lookup(server, "query-migrate");
	server->query_migrate_ret =
		g_strdup(object_get_string(json_node_get_object(query_migrate), "ret-type"));

	for (guint i = 0; i < args->monitors->len; i++) {
		const gchar *id = g_ptr_array_index(args->monitors, i);
		FakeChardev *chr = args_find_chardev(args, id);
		FakeListener *listener;

		if (chr == NULL) {
			g_set_error(error, FAKE_QMP_ERROR, FAKE_QMP_ERROR_GENERIC,
				    "-mon chardev=%s: chardev \"%s\" not found", id, id);
			return FALSE;
		}
		listener = listener_new(server, chr, error);
		if (listener == NULL)
			return FALSE;
		g_ptr_array_add(server->listeners, listener);
	}

	if (server->cfg->log_path != NULL) {
		server->log_fd = g_open(server->cfg->log_path,
					O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (server->log_fd < 0) {
			g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "log %s: %s",
				    server->cfg->log_path, g_strerror(errno));
			return FALSE;
		}
	}
	if (args->pidfile != NULL) {
		g_autofree gchar *pid = g_strdup_printf("%d\n", (gint)getpid());

		if (!g_file_set_contents(args->pidfile, pid, -1, error))
			return FALSE;
	}
	return TRUE;
}

static void
server_cleanup(FakeServer *server, FakeArgs *args)
{
	while (!g_queue_is_empty(&server->inband))
		request_free(g_queue_pop_head(&server->inband));
	for (guint i = 0; server->listeners != NULL && i < server->listeners->len; i++) {
		FakeListener *listener = g_ptr_array_index(server->listeners, i);

		if (listener->client != NULL)
			client_close(listener->client);
	}
	g_clear_pointer(&server->listeners, g_ptr_array_unref);
	server_drop_colo_link(server);
	if (server->colo_service != NULL)
		g_socket_service_stop(server->colo_service);
	g_clear_object(&server->colo_service);
	g_clear_pointer(&server->chardevs, g_ptr_array_unref);
	g_clear_pointer(&server->objects, g_hash_table_unref);
	g_clear_pointer(&server->jobs, g_ptr_array_unref);
	g_clear_pointer(&server->nbd_exports, g_ptr_array_unref);
	g_free(server->migrate_uri);
	g_free(server->migration_error);
	if (server->log_fd >= 0)
		close(server->log_fd);
	if (args->pidfile != NULL)
		g_unlink(args->pidfile);
	g_free(server->status);
	g_free(server->incoming);
	g_free(server->migration_status);
	g_free(server->query_migrate_ret);
	g_clear_pointer(&server->loop, g_main_loop_unref);
}

/*
 * GLib < 2.76 caches every JsonNode it ever allocated in its slice allocator,
 * so one query-qmp-schema would pin ~800 KiB in each of the 200 instances a
 * test runs.  G_SLICE is read by a library constructor, before main(): set it
 * and exec ourselves once (same pid, same inherited fds).
 */
static void
reexec_without_gslice(gchar **argv)
{
	g_autofree gchar *self = NULL;

	if (g_getenv("G_SLICE") != NULL || glib_check_version(2, 76, 0) == NULL)
		return;
	self = g_file_read_link("/proc/self/exe", NULL);
	if (self == NULL)
		return;
	g_setenv("G_SLICE", "always-malloc", TRUE);
	execv(self, argv);
	/* carry on with the slice allocator */
}

int
main(int argc, char **argv)
{
	g_autoptr(FakeArgs) args = args_new();
	g_autoptr(FakeConfig) cfg = NULL;
	g_autoptr(GError) error = NULL;
	FakeServer server = {0};
	gboolean ok;

	reexec_without_gslice(argv);
	g_set_prgname(FAKE_QMP_PRGNAME);
	signal(SIGPIPE, SIG_IGN);

	if (!args_parse(args, argc, argv, &error))
		return fail(error);
	if (args->name == NULL)
		args->name = g_strdup(FAKE_QMP_DEFAULT_NAME);
	cfg = config_load(args->name, &error);
	if (cfg == NULL)
		return fail(error);
	if (args->show_version) {
		g_print("QEMU emulator version %" G_GINT64_FORMAT ".%" G_GINT64_FORMAT
			".%" G_GINT64_FORMAT " (fake-qmp)\n"
			"Copyright (c) 2003-2022 Fabrice Bellard and the QEMU Project "
			"developers\n",
			cfg->major, cfg->minor, cfg->micro);
		return 0;
	}
	if (args->daemonize) {
		g_printerr("%s: -daemonize is not supported\n", FAKE_QMP_PRGNAME);
		return 1;
	}
	if (args->monitors->len == 0) {
		g_printerr("%s: no QMP monitor configured (use -chardev socket,id=ID,fd=N|path=P,"
			   "server=on,wait=off -mon chardev=ID,mode=control, or -qmp "
			   "unix:PATH,server=on,wait=off)\n",
			   FAKE_QMP_PRGNAME);
		return 1;
	}

	server.cfg = cfg;
	server.name = args->name;
	server.loop = g_main_loop_new(NULL, FALSE);
	ok = server_setup(&server, args, &error);
	if (ok) {
		g_unix_signal_add(SIGTERM, on_signal, &server);
		g_unix_signal_add(SIGINT, on_signal, &server);
		g_unix_signal_add(SIGHUP, on_signal, &server);
		g_unix_signal_add(SIGUSR1, on_sigusr1, &server);
		g_unix_signal_add(SIGUSR2, on_sigusr2, &server);
		g_unix_signal_add(SIGWINCH, on_sigwinch, &server);
		for (guint i = 0; i < server.listeners->len; i++)
			listener_accept(g_ptr_array_index(server.listeners, i));
		g_main_loop_run(server.loop);
	}
	server_cleanup(&server, args);
	if (!ok)
		return fail(error);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* embedded schema                                                          */
/* ------------------------------------------------------------------------ */

/*
 * A trimmed copy of QEMU 7.2's query-qmp-schema output, in QEMU's order and
 * with QEMU's opaque type names: the commands above, a few events, and every
 * type they reference.  The unions behind object-add, blockdev-add and
 * chardev-add keep only the branches COLO setups use.
 */
typedef struct {
	const gchar *name;
	const gchar *json;
} FakeSchemaEntry;

static const FakeSchemaEntry fake_schema[] = {
	{"query-status", "{\"name\":\"query-status\",\"ret-type\":\"1\",\"meta-type\":\"command\","
			 "\"arg-type\":\"0\"}"},
	{"SHUTDOWN", "{\"name\":\"SHUTDOWN\",\"meta-type\":\"event\",\"arg-type\":\"2\"}"},
	{"STOP", "{\"name\":\"STOP\",\"meta-type\":\"event\",\"arg-type\":\"0\"}"},
	{"RESUME", "{\"name\":\"RESUME\",\"meta-type\":\"event\",\"arg-type\":\"0\"}"},
	{"query-block-jobs", "{\"name\":\"query-block-jobs\",\"ret-type\":\"[24]\","
			     "\"meta-type\":\"command\",\"arg-type\":\"0\"}"},
	{"drive-mirror", "{\"name\":\"drive-mirror\",\"ret-type\":\"0\",\"meta-type\":\"command\","
			 "\"arg-type\":\"35\"}"},
	{"block-job-cancel",
	 "{\"name\":\"block-job-cancel\",\"ret-type\":\"0\",\"meta-type\":\"command\","
	 "\"arg-type\":\"43\"}"},
	{"blockdev-add", "{\"name\":\"blockdev-add\",\"ret-type\":\"0\",\"meta-type\":\"command\","
			 "\"arg-type\":\"49\"}"},
	{"blockdev-del", "{\"name\":\"blockdev-del\",\"ret-type\":\"0\",\"meta-type\":\"command\","
			 "\"arg-type\":\"51\"}"},
	{"BLOCK_JOB_COMPLETED",
	 "{\"name\":\"BLOCK_JOB_COMPLETED\",\"meta-type\":\"event\",\"arg-type\":\"56\"}"},
	{"BLOCK_JOB_CANCELLED",
	 "{\"name\":\"BLOCK_JOB_CANCELLED\",\"meta-type\":\"event\",\"arg-type\":\"57\"}"},
	{"BLOCK_JOB_ERROR",
	 "{\"name\":\"BLOCK_JOB_ERROR\",\"meta-type\":\"event\",\"arg-type\":\"58\"}"},
	{"BLOCK_JOB_READY",
	 "{\"name\":\"BLOCK_JOB_READY\",\"meta-type\":\"event\",\"arg-type\":\"59\"}"},
	{"x-blockdev-change",
	 "{\"name\":\"x-blockdev-change\",\"ret-type\":\"0\",\"meta-type\":\"command\","
	 "\"arg-type\":\"63\",\"features\":[\"unstable\"]}"},
	{"JOB_STATUS_CHANGE",
	 "{\"name\":\"JOB_STATUS_CHANGE\",\"meta-type\":\"event\",\"arg-type\":\"70\"}"},
	{"nbd-server-start",
	 "{\"name\":\"nbd-server-start\",\"ret-type\":\"0\",\"meta-type\":\"command\","
	 "\"arg-type\":\"78\"}"},
	{"nbd-server-add",
	 "{\"name\":\"nbd-server-add\",\"ret-type\":\"0\",\"meta-type\":\"command\","
	 "\"arg-type\":\"79\",\"features\":[\"deprecated\"]}"},
	{"nbd-server-stop",
	 "{\"name\":\"nbd-server-stop\",\"ret-type\":\"0\",\"meta-type\":\"command\","
	 "\"arg-type\":\"0\"}"},
	{"BLOCK_EXPORT_DELETED", "{\"name\":\"BLOCK_EXPORT_DELETED\",\"meta-type\":\"event\","
				 "\"arg-type\":\"83\"}"},
	{"query-chardev",
	 "{\"name\":\"query-chardev\",\"ret-type\":\"[85]\",\"meta-type\":\"command\","
	 "\"arg-type\":\"0\"}"},
	{"chardev-add", "{\"name\":\"chardev-add\",\"ret-type\":\"90\",\"meta-type\":\"command\","
			"\"arg-type\":\"89\"}"},
	{"chardev-remove",
	 "{\"name\":\"chardev-remove\",\"ret-type\":\"0\",\"meta-type\":\"command\","
	 "\"arg-type\":\"92\"}"},
	{"announce-self",
	 "{\"name\":\"announce-self\",\"ret-type\":\"0\",\"meta-type\":\"command\","
	 "\"arg-type\":\"105\"}"},
	{"query-migrate",
	 "{\"name\":\"query-migrate\",\"ret-type\":\"140\",\"meta-type\":\"command\","
	 "\"arg-type\":\"0\"}"},
	{"migrate-set-capabilities", "{\"name\":\"migrate-set-capabilities\",\"ret-type\":\"0\","
				     "\"meta-type\":\"command\",\"arg-type\":\"141\"}"},
	{"query-migrate-capabilities",
	 "{\"name\":\"query-migrate-capabilities\",\"ret-type\":\"[142]\","
	 "\"meta-type\":\"command\",\"arg-type\":\"0\"}"},
	{"migrate-set-parameters",
	 "{\"name\":\"migrate-set-parameters\",\"ret-type\":\"0\",\"meta-type\":\"command\","
	 "\"arg-type\":\"143\"}"},
	{"MIGRATION", "{\"name\":\"MIGRATION\",\"meta-type\":\"event\",\"arg-type\":\"146\"}"},
	{"COLO_EXIT", "{\"name\":\"COLO_EXIT\",\"meta-type\":\"event\",\"arg-type\":\"148\"}"},
	{"x-colo-lost-heartbeat",
	 "{\"name\":\"x-colo-lost-heartbeat\",\"ret-type\":\"0\",\"meta-type\":\"command\","
	 "\"arg-type\":\"0\",\"features\":[\"unstable\"]}"},
	{"migrate_cancel",
	 "{\"name\":\"migrate_cancel\",\"ret-type\":\"0\",\"meta-type\":\"command\","
	 "\"arg-type\":\"0\"}"},
	{"migrate", "{\"name\":\"migrate\",\"ret-type\":\"0\",\"meta-type\":\"command\","
		    "\"arg-type\":\"150\"}"},
	{"migrate-incoming",
	 "{\"name\":\"migrate-incoming\",\"ret-type\":\"0\",\"meta-type\":\"command\","
	 "\"arg-type\":\"151\"}"},
	{"query-colo-status",
	 "{\"name\":\"query-colo-status\",\"ret-type\":\"157\",\"meta-type\":\"command\","
	 "\"arg-type\":\"0\"}"},
	{"migrate-recover", "{\"name\":\"migrate-recover\",\"ret-type\":\"0\",\"allow-oob\":true,"
			    "\"meta-type\":\"command\",\"arg-type\":\"158\"}"},
	{"migrate-pause", "{\"name\":\"migrate-pause\",\"ret-type\":\"0\",\"allow-oob\":true,"
			  "\"meta-type\":\"command\",\"arg-type\":\"0\"}"},
	{"qmp_capabilities",
	 "{\"name\":\"qmp_capabilities\",\"ret-type\":\"0\",\"meta-type\":\"command\","
	 "\"arg-type\":\"172\"}"},
	{"query-version",
	 "{\"name\":\"query-version\",\"ret-type\":\"173\",\"meta-type\":\"command\","
	 "\"arg-type\":\"0\"}"},
	{"quit", "{\"name\":\"quit\",\"ret-type\":\"0\",\"meta-type\":\"command\","
		 "\"arg-type\":\"0\"}"},
	{"query-qmp-schema",
	 "{\"name\":\"query-qmp-schema\",\"ret-type\":\"[175]\",\"meta-type\":\"command\","
	 "\"arg-type\":\"0\"}"},
	{"qom-list-properties", "{\"name\":\"qom-list-properties\",\"ret-type\":\"[177]\","
				"\"meta-type\":\"command\",\"arg-type\":\"182\"}"},
	{"object-add", "{\"name\":\"object-add\",\"ret-type\":\"0\",\"meta-type\":\"command\","
		       "\"arg-type\":\"183\"}"},
	{"object-del", "{\"name\":\"object-del\",\"ret-type\":\"0\",\"meta-type\":\"command\","
		       "\"arg-type\":\"184\"}"},
	{"query-kvm", "{\"name\":\"query-kvm\",\"ret-type\":\"196\",\"meta-type\":\"command\","
		      "\"arg-type\":\"0\"}"},
	{"yank", "{\"name\":\"yank\",\"ret-type\":\"0\",\"allow-oob\":true,"
		 "\"meta-type\":\"command\",\"arg-type\":\"221\"}"},
	{"query-yank", "{\"name\":\"query-yank\",\"ret-type\":\"[222]\",\"allow-oob\":true,"
		       "\"meta-type\":\"command\",\"arg-type\":\"0\"}"},
	{"stop", "{\"name\":\"stop\",\"ret-type\":\"0\",\"meta-type\":\"command\","
		 "\"arg-type\":\"0\"}"},
	{"cont", "{\"name\":\"cont\",\"ret-type\":\"0\",\"meta-type\":\"command\","
		 "\"arg-type\":\"0\"}"},
	{"human-monitor-command", "{\"name\":\"human-monitor-command\",\"ret-type\":\"str\","
				  "\"meta-type\":\"command\",\"arg-type\":\"226\","
				  "\"features\":[\"savevm-monitor-nodes\"]}"},
	{"0", "{\"name\":\"0\",\"members\":[],\"meta-type\":\"object\"}"},
	{"1", "{\"name\":\"1\",\"members\":[{\"name\":\"running\",\"type\":\"bool\"},"
	      "{\"name\":\"singlestep\",\"type\":\"bool\"},{\"name\":\"status\","
	      "\"type\":\"262\"}],\"meta-type\":\"object\"}"},
	{"2", "{\"name\":\"2\",\"members\":[{\"name\":\"guest\",\"type\":\"bool\"},"
	      "{\"name\":\"reason\",\"type\":\"263\"}],\"meta-type\":\"object\"}"},
	{"[24]", "{\"name\":\"[24]\",\"element-type\":\"24\",\"meta-type\":\"array\"}"},
	{"24", "{\"name\":\"24\",\"members\":[{\"name\":\"type\",\"type\":\"str\"},"
	       "{\"name\":\"device\",\"type\":\"str\"},{\"name\":\"len\",\"type\":\"int\"},"
	       "{\"name\":\"offset\",\"type\":\"int\"},{\"name\":\"busy\",\"type\":\"bool\"},"
	       "{\"name\":\"paused\",\"type\":\"bool\"},{\"name\":\"speed\",\"type\":\"int\"},"
	       "{\"name\":\"io-status\",\"type\":\"274\"},{\"name\":\"ready\","
	       "\"type\":\"bool\"},{\"name\":\"status\",\"type\":\"277\"},"
	       "{\"name\":\"auto-finalize\",\"type\":\"bool\"},{\"name\":\"auto-dismiss\","
	       "\"type\":\"bool\"},{\"name\":\"error\",\"default\":null,\"type\":\"str\"}],"
	       "\"meta-type\":\"object\"}"},
	{"35", "{\"name\":\"35\",\"members\":[{\"name\":\"job-id\",\"default\":null,"
	       "\"type\":\"str\"},{\"name\":\"device\",\"type\":\"str\"},{\"name\":\"target\","
	       "\"type\":\"str\"},{\"name\":\"format\",\"default\":null,\"type\":\"str\"},"
	       "{\"name\":\"node-name\",\"default\":null,\"type\":\"str\"},"
	       "{\"name\":\"replaces\",\"default\":null,\"type\":\"str\"},{\"name\":\"sync\","
	       "\"type\":\"280\"},{\"name\":\"mode\",\"default\":null,\"type\":\"278\"},"
	       "{\"name\":\"speed\",\"default\":null,\"type\":\"int\"},"
	       "{\"name\":\"granularity\",\"default\":null,\"type\":\"int\"},"
	       "{\"name\":\"buf-size\",\"default\":null,\"type\":\"int\"},"
	       "{\"name\":\"on-source-error\",\"default\":null,\"type\":\"279\"},"
	       "{\"name\":\"on-target-error\",\"default\":null,\"type\":\"279\"},"
	       "{\"name\":\"unmap\",\"default\":null,\"type\":\"bool\"},"
	       "{\"name\":\"copy-mode\",\"default\":null,\"type\":\"289\"},"
	       "{\"name\":\"auto-finalize\",\"default\":null,\"type\":\"bool\"},"
	       "{\"name\":\"auto-dismiss\",\"default\":null,\"type\":\"bool\"}],"
	       "\"meta-type\":\"object\"}"},
	{"43", "{\"name\":\"43\",\"members\":[{\"name\":\"device\",\"type\":\"str\"},"
	       "{\"name\":\"force\",\"default\":null,\"type\":\"bool\"}],"
	       "\"meta-type\":\"object\"}"},
	{"49", "{\"name\":\"49\",\"tag\":\"driver\",\"variants\":[{\"case\":\"file\","
	       "\"type\":\"301\"},{\"case\":\"nbd\",\"type\":\"310\"},{\"case\":\"null-co\","
	       "\"type\":\"312\"},{\"case\":\"qcow2\",\"type\":\"316\"},{\"case\":\"quorum\","
	       "\"type\":\"319\"},{\"case\":\"raw\",\"type\":\"320\"},{\"case\":\"replication\","
	       "\"type\":\"322\"}],\"members\":[{\"name\":\"driver\",\"type\":\"291\"},"
	       "{\"name\":\"node-name\",\"default\":null,\"type\":\"str\"},{\"name\":\"discard\","
	       "\"default\":null,\"type\":\"292\"},{\"name\":\"cache\",\"default\":null,"
	       "\"type\":\"293\"},{\"name\":\"read-only\",\"default\":null,\"type\":\"bool\"},"
	       "{\"name\":\"auto-read-only\",\"default\":null,\"type\":\"bool\"},"
	       "{\"name\":\"force-share\",\"default\":null,\"type\":\"bool\"},"
	       "{\"name\":\"detect-zeroes\",\"default\":null,\"type\":\"283\"}],"
	       "\"meta-type\":\"object\"}"},
	{"51", "{\"name\":\"51\",\"members\":[{\"name\":\"node-name\",\"type\":\"str\"}],"
	       "\"meta-type\":\"object\"}"},
	{"56", "{\"name\":\"56\",\"members\":[{\"name\":\"type\",\"type\":\"333\"},"
	       "{\"name\":\"device\",\"type\":\"str\"},{\"name\":\"len\",\"type\":\"int\"},"
	       "{\"name\":\"offset\",\"type\":\"int\"},{\"name\":\"speed\",\"type\":\"int\"},"
	       "{\"name\":\"error\",\"default\":null,\"type\":\"str\"}],"
	       "\"meta-type\":\"object\"}"},
	{"57", "{\"name\":\"57\",\"members\":[{\"name\":\"type\",\"type\":\"333\"},"
	       "{\"name\":\"device\",\"type\":\"str\"},{\"name\":\"len\",\"type\":\"int\"},"
	       "{\"name\":\"offset\",\"type\":\"int\"},{\"name\":\"speed\",\"type\":\"int\"}],"
	       "\"meta-type\":\"object\"}"},
	{"58", "{\"name\":\"58\",\"members\":[{\"name\":\"device\",\"type\":\"str\"},"
	       "{\"name\":\"operation\",\"type\":\"331\"},{\"name\":\"action\","
	       "\"type\":\"332\"}],\"meta-type\":\"object\"}"},
	{"59", "{\"name\":\"59\",\"members\":[{\"name\":\"type\",\"type\":\"333\"},"
	       "{\"name\":\"device\",\"type\":\"str\"},{\"name\":\"len\",\"type\":\"int\"},"
	       "{\"name\":\"offset\",\"type\":\"int\"},{\"name\":\"speed\",\"type\":\"int\"}],"
	       "\"meta-type\":\"object\"}"},
	{"63", "{\"name\":\"63\",\"members\":[{\"name\":\"parent\",\"type\":\"str\"},"
	       "{\"name\":\"child\",\"default\":null,\"type\":\"str\"},{\"name\":\"node\","
	       "\"default\":null,\"type\":\"str\"}],\"meta-type\":\"object\"}"},
	{"70", "{\"name\":\"70\",\"members\":[{\"name\":\"id\",\"type\":\"str\"},"
	       "{\"name\":\"status\",\"type\":\"277\"}],\"meta-type\":\"object\"}"},
	{"78", "{\"name\":\"78\",\"members\":[{\"name\":\"addr\",\"type\":\"336\"},"
	       "{\"name\":\"tls-creds\",\"default\":null,\"type\":\"str\"},"
	       "{\"name\":\"tls-authz\",\"default\":null,\"type\":\"str\"},"
	       "{\"name\":\"max-connections\",\"default\":null,\"type\":\"int\"}],"
	       "\"meta-type\":\"object\"}"},
	{"79", "{\"name\":\"79\",\"members\":[{\"name\":\"name\",\"default\":null,"
	       "\"type\":\"str\"},{\"name\":\"description\",\"default\":null,\"type\":\"str\"},"
	       "{\"name\":\"device\",\"type\":\"str\"},{\"name\":\"writable\",\"default\":null,"
	       "\"type\":\"bool\"},{\"name\":\"bitmap\",\"default\":null,\"type\":\"str\"}],"
	       "\"meta-type\":\"object\"}"},
	{"83", "{\"name\":\"83\",\"members\":[{\"name\":\"id\",\"type\":\"str\"}],"
	       "\"meta-type\":\"object\"}"},
	{"[85]", "{\"name\":\"[85]\",\"element-type\":\"85\",\"meta-type\":\"array\"}"},
	{"85", "{\"name\":\"85\",\"members\":[{\"name\":\"label\",\"type\":\"str\"},"
	       "{\"name\":\"filename\",\"type\":\"str\"},{\"name\":\"frontend-open\","
	       "\"type\":\"bool\"}],\"meta-type\":\"object\"}"},
	{"str", "{\"name\":\"str\",\"json-type\":\"string\",\"meta-type\":\"builtin\"}"},
	{"89", "{\"name\":\"89\",\"members\":[{\"name\":\"id\",\"type\":\"str\"},"
	       "{\"name\":\"backend\",\"type\":\"344\"}],\"meta-type\":\"object\"}"},
	{"90", "{\"name\":\"90\",\"members\":[{\"name\":\"pty\",\"default\":null,"
	       "\"type\":\"str\"}],\"meta-type\":\"object\"}"},
	{"92", "{\"name\":\"92\",\"members\":[{\"name\":\"id\",\"type\":\"str\"}],"
	       "\"meta-type\":\"object\"}"},
	{"105", "{\"name\":\"105\",\"members\":[{\"name\":\"initial\",\"type\":\"int\"},"
		"{\"name\":\"max\",\"type\":\"int\"},{\"name\":\"rounds\",\"type\":\"int\"},"
		"{\"name\":\"step\",\"type\":\"int\"},{\"name\":\"interfaces\",\"default\":null,"
		"\"type\":\"[str]\"},{\"name\":\"id\",\"default\":null,\"type\":\"str\"}],"
		"\"meta-type\":\"object\"}"},
	{"140", "{\"name\":\"140\",\"members\":[{\"name\":\"status\",\"default\":null,"
		"\"type\":\"402\"},{\"name\":\"ram\",\"default\":null,\"type\":\"403\"},"
		"{\"name\":\"disk\",\"default\":null,\"type\":\"403\"},{\"name\":\"vfio\","
		"\"default\":null,\"type\":\"404\"},{\"name\":\"xbzrle-cache\",\"default\":null,"
		"\"type\":\"405\"},{\"name\":\"total-time\",\"default\":null,\"type\":\"int\"},"
		"{\"name\":\"expected-downtime\",\"default\":null,\"type\":\"int\"},"
		"{\"name\":\"downtime\",\"default\":null,\"type\":\"int\"},"
		"{\"name\":\"setup-time\",\"default\":null,\"type\":\"int\"},"
		"{\"name\":\"cpu-throttle-percentage\",\"default\":null,\"type\":\"int\"},"
		"{\"name\":\"error-desc\",\"default\":null,\"type\":\"str\"},"
		"{\"name\":\"blocked-reasons\",\"default\":null,\"type\":\"[str]\"},"
		"{\"name\":\"postcopy-blocktime\",\"default\":null,\"type\":\"int\"},"
		"{\"name\":\"postcopy-vcpu-blocktime\",\"default\":null,\"type\":\"[int]\"},"
		"{\"name\":\"compression\",\"default\":null,\"type\":\"406\"},"
		"{\"name\":\"socket-address\",\"default\":null,\"type\":\"[365]\"}],"
		"\"meta-type\":\"object\"}"},
	{"141", "{\"name\":\"141\",\"members\":[{\"name\":\"capabilities\",\"type\":\"[142]\"}],"
		"\"meta-type\":\"object\"}"},
	{"[142]", "{\"name\":\"[142]\",\"element-type\":\"142\",\"meta-type\":\"array\"}"},
	{"142", "{\"name\":\"142\",\"members\":[{\"name\":\"capability\",\"type\":\"407\"},"
		"{\"name\":\"state\",\"type\":\"bool\"}],\"meta-type\":\"object\"}"},
	{"143", "{\"name\":\"143\",\"members\":[{\"name\":\"announce-initial\",\"default\":null,"
		"\"type\":\"int\"},{\"name\":\"announce-max\",\"default\":null,\"type\":\"int\"},"
		"{\"name\":\"announce-rounds\",\"default\":null,\"type\":\"int\"},"
		"{\"name\":\"announce-step\",\"default\":null,\"type\":\"int\"},"
		"{\"name\":\"compress-level\",\"default\":null,\"type\":\"int\"},"
		"{\"name\":\"compress-threads\",\"default\":null,\"type\":\"int\"},"
		"{\"name\":\"compress-wait-thread\",\"default\":null,\"type\":\"bool\"},"
		"{\"name\":\"decompress-threads\",\"default\":null,\"type\":\"int\"},"
		"{\"name\":\"throttle-trigger-threshold\",\"default\":null,\"type\":\"int\"},"
		"{\"name\":\"cpu-throttle-initial\",\"default\":null,\"type\":\"int\"},"
		"{\"name\":\"cpu-throttle-increment\",\"default\":null,\"type\":\"int\"},"
		"{\"name\":\"cpu-throttle-tailslow\",\"default\":null,\"type\":\"bool\"},"
		"{\"name\":\"tls-creds\",\"default\":null,\"type\":\"334\"},"
		"{\"name\":\"tls-hostname\",\"default\":null,\"type\":\"334\"},"
		"{\"name\":\"tls-authz\",\"default\":null,\"type\":\"334\"},"
		"{\"name\":\"max-bandwidth\",\"default\":null,\"type\":\"int\"},"
		"{\"name\":\"downtime-limit\",\"default\":null,\"type\":\"int\"},"
		"{\"name\":\"x-checkpoint-delay\",\"default\":null,\"type\":\"int\","
		"\"features\":[\"unstable\"]},{\"name\":\"block-incremental\",\"default\":null,"
		"\"type\":\"bool\"},{\"name\":\"multifd-channels\",\"default\":null,"
		"\"type\":\"int\"},{\"name\":\"xbzrle-cache-size\",\"default\":null,"
		"\"type\":\"int\"},{\"name\":\"max-postcopy-bandwidth\",\"default\":null,"
		"\"type\":\"int\"},{\"name\":\"max-cpu-throttle\",\"default\":null,"
		"\"type\":\"int\"},{\"name\":\"multifd-compression\",\"default\":null,"
		"\"type\":\"408\"},{\"name\":\"multifd-zlib-level\",\"default\":null,"
		"\"type\":\"int\"},{\"name\":\"multifd-zstd-level\",\"default\":null,"
		"\"type\":\"int\"},{\"name\":\"block-bitmap-mapping\",\"default\":null,"
		"\"type\":\"[409]\"}],\"meta-type\":\"object\"}"},
	{"146", "{\"name\":\"146\",\"members\":[{\"name\":\"status\",\"type\":\"402\"}],"
		"\"meta-type\":\"object\"}"},
	{"148", "{\"name\":\"148\",\"members\":[{\"name\":\"mode\",\"type\":\"410\"},"
		"{\"name\":\"reason\",\"type\":\"411\"}],\"meta-type\":\"object\"}"},
	{"150", "{\"name\":\"150\",\"members\":[{\"name\":\"uri\",\"type\":\"str\"},"
		"{\"name\":\"blk\",\"default\":null,\"type\":\"bool\"},{\"name\":\"inc\","
		"\"default\":null,\"type\":\"bool\"},{\"name\":\"detach\",\"default\":null,"
		"\"type\":\"bool\"},{\"name\":\"resume\",\"default\":null,\"type\":\"bool\"}],"
		"\"meta-type\":\"object\"}"},
	{"151", "{\"name\":\"151\",\"members\":[{\"name\":\"uri\",\"type\":\"str\"}],"
		"\"meta-type\":\"object\"}"},
	{"157", "{\"name\":\"157\",\"members\":[{\"name\":\"mode\",\"type\":\"410\"},"
		"{\"name\":\"last-mode\",\"type\":\"410\"},{\"name\":\"reason\",\"type\":\"411\"}],"
		"\"meta-type\":\"object\"}"},
	{"158", "{\"name\":\"158\",\"members\":[{\"name\":\"uri\",\"type\":\"str\"}],"
		"\"meta-type\":\"object\"}"},
	{"172", "{\"name\":\"172\",\"members\":[{\"name\":\"enable\",\"default\":null,"
		"\"type\":\"[418]\"}],\"meta-type\":\"object\"}"},
	{"173", "{\"name\":\"173\",\"members\":[{\"name\":\"qemu\",\"type\":\"419\"},"
		"{\"name\":\"package\",\"type\":\"str\"}],\"meta-type\":\"object\"}"},
	{"[175]", "{\"name\":\"[175]\",\"element-type\":\"175\",\"meta-type\":\"array\"}"},
	{"175", "{\"name\":\"175\",\"tag\":\"meta-type\",\"variants\":[{\"case\":\"builtin\","
		"\"type\":\"421\"},{\"case\":\"enum\",\"type\":\"422\"},{\"case\":\"array\","
		"\"type\":\"423\"},{\"case\":\"object\",\"type\":\"424\"},{\"case\":\"alternate\","
		"\"type\":\"425\"},{\"case\":\"command\",\"type\":\"426\"},{\"case\":\"event\","
		"\"type\":\"427\"}],\"members\":[{\"name\":\"name\",\"type\":\"str\"},"
		"{\"name\":\"meta-type\",\"type\":\"420\"},{\"name\":\"features\",\"default\":null,"
		"\"type\":\"[str]\"}],\"meta-type\":\"object\"}"},
	{"[177]", "{\"name\":\"[177]\",\"element-type\":\"177\",\"meta-type\":\"array\"}"},
	{"177", "{\"name\":\"177\",\"members\":[{\"name\":\"name\",\"type\":\"str\"},"
		"{\"name\":\"type\",\"type\":\"str\"},{\"name\":\"description\",\"default\":null,"
		"\"type\":\"str\"},{\"name\":\"default-value\",\"default\":null,\"type\":\"any\"}],"
		"\"meta-type\":\"object\"}"},
	{"any", "{\"name\":\"any\",\"json-type\":\"value\",\"meta-type\":\"builtin\"}"},
	{"182", "{\"name\":\"182\",\"members\":[{\"name\":\"typename\",\"type\":\"str\"}],"
		"\"meta-type\":\"object\"}"},
	{"183", "{\"name\":\"183\",\"tag\":\"qom-type\",\"variants\":[{\"case\":\"colo-compare\","
		"\"type\":\"434\"},{\"case\":\"filter-buffer\",\"type\":\"438\"},"
		"{\"case\":\"filter-mirror\",\"type\":\"440\"},{\"case\":\"filter-redirector\","
		"\"type\":\"441\"},{\"case\":\"filter-rewriter\",\"type\":\"443\"},"
		"{\"case\":\"iothread\",\"type\":\"446\"},{\"case\":\"memory-backend-file\","
		"\"type\":\"449\"},{\"case\":\"memory-backend-memfd\",\"type\":\"450\"},"
		"{\"case\":\"memory-backend-ram\",\"type\":\"451\"}],"
		"\"members\":[{\"name\":\"qom-type\",\"type\":\"428\"},{\"name\":\"id\","
		"\"type\":\"str\"}],\"meta-type\":\"object\"}"},
	{"184", "{\"name\":\"184\",\"members\":[{\"name\":\"id\",\"type\":\"str\"}],"
		"\"meta-type\":\"object\"}"},
	{"196", "{\"name\":\"196\",\"members\":[{\"name\":\"enabled\",\"type\":\"bool\"},"
		"{\"name\":\"present\",\"type\":\"bool\"}],\"meta-type\":\"object\"}"},
	{"221", "{\"name\":\"221\",\"members\":[{\"name\":\"instances\",\"type\":\"[222]\"}],"
		"\"meta-type\":\"object\"}"},
	{"[222]", "{\"name\":\"[222]\",\"element-type\":\"222\",\"meta-type\":\"array\"}"},
	{"222", "{\"name\":\"222\",\"tag\":\"type\",\"variants\":[{\"case\":\"block-node\","
		"\"type\":\"488\"},{\"case\":\"chardev\",\"type\":\"489\"},{\"case\":\"migration\","
		"\"type\":\"0\"}],\"members\":[{\"name\":\"type\",\"type\":\"487\"}],"
		"\"meta-type\":\"object\"}"},
	{"226", "{\"name\":\"226\",\"members\":[{\"name\":\"command-line\",\"type\":\"str\"},"
		"{\"name\":\"cpu-index\",\"default\":null,\"type\":\"int\"}],"
		"\"meta-type\":\"object\"}"},
	{"bool", "{\"name\":\"bool\",\"json-type\":\"boolean\",\"meta-type\":\"builtin\"}"},
	{"262",
	 "{\"name\":\"262\",\"members\":[{\"name\":\"debug\"},{\"name\":\"inmigrate\"},"
	 "{\"name\":\"internal-error\"},{\"name\":\"io-error\"},{\"name\":\"paused\"},"
	 "{\"name\":\"postmigrate\"},{\"name\":\"prelaunch\"},{\"name\":\"finish-migrate\"},"
	 "{\"name\":\"restore-vm\"},{\"name\":\"running\"},{\"name\":\"save-vm\"},"
	 "{\"name\":\"shutdown\"},{\"name\":\"suspended\"},{\"name\":\"watchdog\"},"
	 "{\"name\":\"guest-panicked\"},{\"name\":\"colo\"}],\"meta-type\":\"enum\","
	 "\"values\":[\"debug\",\"inmigrate\",\"internal-error\",\"io-error\",\"paused\","
	 "\"postmigrate\",\"prelaunch\",\"finish-migrate\",\"restore-vm\",\"running\","
	 "\"save-vm\",\"shutdown\",\"suspended\",\"watchdog\",\"guest-panicked\",\"colo\"]}"},
	{"263", "{\"name\":\"263\",\"members\":[{\"name\":\"none\"},{\"name\":\"host-error\"},"
		"{\"name\":\"host-qmp-quit\"},{\"name\":\"host-qmp-system-reset\"},"
		"{\"name\":\"host-signal\"},{\"name\":\"host-ui\"},{\"name\":\"guest-shutdown\"},"
		"{\"name\":\"guest-reset\"},{\"name\":\"guest-panic\"},"
		"{\"name\":\"subsystem-reset\"},{\"name\":\"snapshot-load\"}],"
		"\"meta-type\":\"enum\",\"values\":[\"none\",\"host-error\",\"host-qmp-quit\","
		"\"host-qmp-system-reset\",\"host-signal\",\"host-ui\",\"guest-shutdown\","
		"\"guest-reset\",\"guest-panic\",\"subsystem-reset\",\"snapshot-load\"]}"},
	{"int", "{\"name\":\"int\",\"json-type\":\"int\",\"meta-type\":\"builtin\"}"},
	{"[int]", "{\"name\":\"[int]\",\"element-type\":\"int\",\"meta-type\":\"array\"}"},
	{"274", "{\"name\":\"274\",\"members\":[{\"name\":\"ok\"},{\"name\":\"failed\"},"
		"{\"name\":\"nospace\"}],\"meta-type\":\"enum\",\"values\":[\"ok\",\"failed\","
		"\"nospace\"]}"},
	{"277", "{\"name\":\"277\",\"members\":[{\"name\":\"undefined\"},"
		"{\"name\":\"created\"},{\"name\":\"running\"},{\"name\":\"paused\"},"
		"{\"name\":\"ready\"},{\"name\":\"standby\"},{\"name\":\"waiting\"},"
		"{\"name\":\"pending\"},{\"name\":\"aborting\"},{\"name\":\"concluded\"},"
		"{\"name\":\"null\"}],\"meta-type\":\"enum\",\"values\":[\"undefined\","
		"\"created\",\"running\",\"paused\",\"ready\",\"standby\",\"waiting\","
		"\"pending\",\"aborting\",\"concluded\",\"null\"]}"},
	{"278", "{\"name\":\"278\",\"members\":[{\"name\":\"existing\"},"
		"{\"name\":\"absolute-paths\"}],\"meta-type\":\"enum\","
		"\"values\":[\"existing\",\"absolute-paths\"]}"},
	{"279", "{\"name\":\"279\",\"members\":[{\"name\":\"report\"},{\"name\":\"ignore\"},"
		"{\"name\":\"enospc\"},{\"name\":\"stop\"},{\"name\":\"auto\"}],"
		"\"meta-type\":\"enum\",\"values\":[\"report\",\"ignore\",\"enospc\",\"stop\","
		"\"auto\"]}"},
	{"280", "{\"name\":\"280\",\"members\":[{\"name\":\"top\"},{\"name\":\"full\"},"
		"{\"name\":\"none\"},{\"name\":\"incremental\"},{\"name\":\"bitmap\"}],"
		"\"meta-type\":\"enum\",\"values\":[\"top\",\"full\",\"none\",\"incremental\","
		"\"bitmap\"]}"},
	{"283", "{\"name\":\"283\",\"members\":[{\"name\":\"off\"},{\"name\":\"on\"},"
		"{\"name\":\"unmap\"}],\"meta-type\":\"enum\",\"values\":[\"off\",\"on\","
		"\"unmap\"]}"},
	{"289", "{\"name\":\"289\",\"members\":[{\"name\":\"background\"},"
		"{\"name\":\"write-blocking\"}],\"meta-type\":\"enum\","
		"\"values\":[\"background\",\"write-blocking\"]}"},
	{"291", "{\"name\":\"291\",\"members\":[{\"name\":\"blkdebug\"},"
		"{\"name\":\"blklogwrites\"},{\"name\":\"blkreplay\"},{\"name\":\"blkverify\"},"
		"{\"name\":\"bochs\"},{\"name\":\"cloop\"},{\"name\":\"compress\"},"
		"{\"name\":\"copy-before-write\"},{\"name\":\"copy-on-read\"},{\"name\":\"dmg\"},"
		"{\"name\":\"file\"},{\"name\":\"snapshot-access\"},{\"name\":\"ftp\"},"
		"{\"name\":\"ftps\"},{\"name\":\"gluster\"},{\"name\":\"host_cdrom\"},"
		"{\"name\":\"host_device\"},{\"name\":\"http\"},{\"name\":\"https\"},"
		"{\"name\":\"iscsi\"},{\"name\":\"luks\"},{\"name\":\"nbd\"},{\"name\":\"nfs\"},"
		"{\"name\":\"null-aio\"},{\"name\":\"null-co\"},{\"name\":\"nvme\"},"
		"{\"name\":\"parallels\"},{\"name\":\"preallocate\"},{\"name\":\"qcow\"},"
		"{\"name\":\"qcow2\"},{\"name\":\"qed\"},{\"name\":\"quorum\"},{\"name\":\"raw\"},"
		"{\"name\":\"rbd\"},{\"name\":\"replication\"},{\"name\":\"ssh\"},"
		"{\"name\":\"throttle\"},{\"name\":\"vdi\"},{\"name\":\"vhdx\"},"
		"{\"name\":\"vmdk\"},{\"name\":\"vpc\"},{\"name\":\"vvfat\"}],"
		"\"meta-type\":\"enum\",\"values\":[\"blkdebug\",\"blklogwrites\",\"blkreplay\","
		"\"blkverify\",\"bochs\",\"cloop\",\"compress\",\"copy-before-write\","
		"\"copy-on-read\",\"dmg\",\"file\",\"snapshot-access\",\"ftp\",\"ftps\","
		"\"gluster\",\"host_cdrom\",\"host_device\",\"http\",\"https\",\"iscsi\",\"luks\","
		"\"nbd\",\"nfs\",\"null-aio\",\"null-co\",\"nvme\",\"parallels\",\"preallocate\","
		"\"qcow\",\"qcow2\",\"qed\",\"quorum\",\"raw\",\"rbd\",\"replication\",\"ssh\","
		"\"throttle\",\"vdi\",\"vhdx\",\"vmdk\",\"vpc\",\"vvfat\"]}"},
	{"292", "{\"name\":\"292\",\"members\":[{\"name\":\"ignore\"},{\"name\":\"unmap\"}],"
		"\"meta-type\":\"enum\",\"values\":[\"ignore\",\"unmap\"]}"},
	{"293", "{\"name\":\"293\",\"members\":[{\"name\":\"direct\",\"default\":null,"
		"\"type\":\"bool\"},{\"name\":\"no-flush\",\"default\":null,\"type\":\"bool\"}],"
		"\"meta-type\":\"object\"}"},
	{"301", "{\"name\":\"301\",\"members\":[{\"name\":\"filename\",\"type\":\"str\"},"
		"{\"name\":\"pr-manager\",\"default\":null,\"type\":\"str\"},{\"name\":\"locking\","
		"\"default\":null,\"type\":\"522\"},{\"name\":\"aio\",\"default\":null,"
		"\"type\":\"523\"},{\"name\":\"aio-max-batch\",\"default\":null,\"type\":\"int\"},"
		"{\"name\":\"drop-cache\",\"default\":null,\"type\":\"bool\"},"
		"{\"name\":\"x-check-cache-dropped\",\"default\":null,\"type\":\"bool\","
		"\"features\":[\"unstable\"]}],\"meta-type\":\"object\","
		"\"features\":[\"dynamic-auto-read-only\"]}"},
	{"310", "{\"name\":\"310\",\"members\":[{\"name\":\"server\",\"type\":\"365\"},"
		"{\"name\":\"export\",\"default\":null,\"type\":\"str\"},{\"name\":\"tls-creds\","
		"\"default\":null,\"type\":\"str\"},{\"name\":\"tls-hostname\",\"default\":null,"
		"\"type\":\"str\"},{\"name\":\"x-dirty-bitmap\",\"default\":null,\"type\":\"str\","
		"\"features\":[\"unstable\"]},{\"name\":\"reconnect-delay\",\"default\":null,"
		"\"type\":\"int\"},{\"name\":\"open-timeout\",\"default\":null,\"type\":\"int\"}],"
		"\"meta-type\":\"object\"}"},
	{"312", "{\"name\":\"312\",\"members\":[{\"name\":\"size\",\"default\":null,"
		"\"type\":\"int\"},{\"name\":\"latency-ns\",\"default\":null,\"type\":\"int\"},"
		"{\"name\":\"read-zeroes\",\"default\":null,\"type\":\"bool\"}],"
		"\"meta-type\":\"object\"}"},
	{"316", "{\"name\":\"316\",\"members\":[{\"name\":\"file\",\"type\":\"518\"},"
		"{\"name\":\"backing\",\"default\":null,\"type\":\"527\"},"
		"{\"name\":\"lazy-refcounts\",\"default\":null,\"type\":\"bool\"},"
		"{\"name\":\"pass-discard-request\",\"default\":null,\"type\":\"bool\"},"
		"{\"name\":\"pass-discard-snapshot\",\"default\":null,\"type\":\"bool\"},"
		"{\"name\":\"pass-discard-other\",\"default\":null,\"type\":\"bool\"},"
		"{\"name\":\"overlap-check\",\"default\":null,\"type\":\"528\"},"
		"{\"name\":\"cache-size\",\"default\":null,\"type\":\"int\"},"
		"{\"name\":\"l2-cache-size\",\"default\":null,\"type\":\"int\"},"
		"{\"name\":\"l2-cache-entry-size\",\"default\":null,\"type\":\"int\"},"
		"{\"name\":\"refcount-cache-size\",\"default\":null,\"type\":\"int\"},"
		"{\"name\":\"cache-clean-interval\",\"default\":null,\"type\":\"int\"},"
		"{\"name\":\"encrypt\",\"default\":null,\"type\":\"529\"},{\"name\":\"data-file\","
		"\"default\":null,\"type\":\"518\"}],\"meta-type\":\"object\"}"},
	{"319", "{\"name\":\"319\",\"members\":[{\"name\":\"blkverify\",\"default\":null,"
		"\"type\":\"bool\"},{\"name\":\"children\",\"type\":\"[518]\"},"
		"{\"name\":\"vote-threshold\",\"type\":\"int\"},{\"name\":\"rewrite-corrupted\","
		"\"default\":null,\"type\":\"bool\"},{\"name\":\"read-pattern\",\"default\":null,"
		"\"type\":\"531\"}],\"meta-type\":\"object\"}"},
	{"320", "{\"name\":\"320\",\"members\":[{\"name\":\"file\",\"type\":\"518\"},"
		"{\"name\":\"offset\",\"default\":null,\"type\":\"int\"},{\"name\":\"size\","
		"\"default\":null,\"type\":\"int\"}],\"meta-type\":\"object\"}"},
	{"322", "{\"name\":\"322\",\"members\":[{\"name\":\"file\",\"type\":\"518\"},"
		"{\"name\":\"mode\",\"type\":\"535\"},{\"name\":\"top-id\",\"default\":null,"
		"\"type\":\"str\"}],\"meta-type\":\"object\"}"},
	{"331", "{\"name\":\"331\",\"members\":[{\"name\":\"read\"},{\"name\":\"write\"}],"
		"\"meta-type\":\"enum\",\"values\":[\"read\",\"write\"]}"},
	{"332", "{\"name\":\"332\",\"members\":[{\"name\":\"ignore\"},{\"name\":\"report\"},"
		"{\"name\":\"stop\"}],\"meta-type\":\"enum\",\"values\":[\"ignore\",\"report\","
		"\"stop\"]}"},
	{"333", "{\"name\":\"333\",\"members\":[{\"name\":\"commit\"},{\"name\":\"stream\"},"
		"{\"name\":\"mirror\"},{\"name\":\"backup\"},{\"name\":\"create\"},"
		"{\"name\":\"amend\"},{\"name\":\"snapshot-load\"},"
		"{\"name\":\"snapshot-save\"},{\"name\":\"snapshot-delete\"}],"
		"\"meta-type\":\"enum\",\"values\":[\"commit\",\"stream\",\"mirror\","
		"\"backup\",\"create\",\"amend\",\"snapshot-load\",\"snapshot-save\","
		"\"snapshot-delete\"]}"},
	{"334", "{\"name\":\"334\",\"members\":[{\"type\":\"str\"},{\"type\":\"null\"}],"
		"\"meta-type\":\"alternate\"}"},
	{"336", "{\"name\":\"336\",\"tag\":\"type\",\"variants\":[{\"case\":\"inet\","
		"\"type\":\"555\"},{\"case\":\"unix\",\"type\":\"556\"},{\"case\":\"vsock\","
		"\"type\":\"557\"},{\"case\":\"fd\",\"type\":\"558\"}],"
		"\"members\":[{\"name\":\"type\",\"type\":\"554\"}],\"meta-type\":\"object\"}"},
	{"344", "{\"name\":\"344\",\"tag\":\"type\",\"variants\":[{\"case\":\"file\","
		"\"type\":\"561\"},{\"case\":\"pipe\",\"type\":\"562\"},{\"case\":\"socket\","
		"\"type\":\"563\"},{\"case\":\"pty\",\"type\":\"565\"},{\"case\":\"null\","
		"\"type\":\"565\"}],\"members\":[{\"name\":\"type\",\"type\":\"560\"}],"
		"\"meta-type\":\"object\"}"},
	{"[str]", "{\"name\":\"[str]\",\"element-type\":\"str\",\"meta-type\":\"array\"}"},
	{"365", "{\"name\":\"365\",\"tag\":\"type\",\"variants\":[{\"case\":\"inet\","
		"\"type\":\"536\"},{\"case\":\"unix\",\"type\":\"575\"},{\"case\":\"vsock\","
		"\"type\":\"576\"},{\"case\":\"fd\",\"type\":\"574\"}],"
		"\"members\":[{\"name\":\"type\",\"type\":\"554\"}],\"meta-type\":\"object\"}"},
	{"402", "{\"name\":\"402\",\"members\":[{\"name\":\"none\"},{\"name\":\"setup\"},"
		"{\"name\":\"cancelling\"},{\"name\":\"cancelled\"},{\"name\":\"active\"},"
		"{\"name\":\"postcopy-active\"},{\"name\":\"postcopy-paused\"},"
		"{\"name\":\"postcopy-recover\"},{\"name\":\"completed\"},{\"name\":\"failed\"},"
		"{\"name\":\"colo\"},{\"name\":\"pre-switchover\"},{\"name\":\"device\"},"
		"{\"name\":\"wait-unplug\"}],\"meta-type\":\"enum\",\"values\":[\"none\",\"setup\","
		"\"cancelling\",\"cancelled\",\"active\",\"postcopy-active\",\"postcopy-paused\","
		"\"postcopy-recover\",\"completed\",\"failed\",\"colo\",\"pre-switchover\","
		"\"device\",\"wait-unplug\"]}"},
	{"403", "{\"name\":\"403\",\"members\":[{\"name\":\"transferred\",\"type\":\"int\"},"
		"{\"name\":\"remaining\",\"type\":\"int\"},{\"name\":\"total\",\"type\":\"int\"},"
		"{\"name\":\"duplicate\",\"type\":\"int\"},{\"name\":\"skipped\",\"type\":\"int\"},"
		"{\"name\":\"normal\",\"type\":\"int\"},{\"name\":\"normal-bytes\","
		"\"type\":\"int\"},{\"name\":\"dirty-pages-rate\",\"type\":\"int\"},"
		"{\"name\":\"mbps\",\"type\":\"number\"},{\"name\":\"dirty-sync-count\","
		"\"type\":\"int\"},{\"name\":\"postcopy-requests\",\"type\":\"int\"},"
		"{\"name\":\"page-size\",\"type\":\"int\"},{\"name\":\"multifd-bytes\","
		"\"type\":\"int\"},{\"name\":\"pages-per-second\",\"type\":\"int\"},"
		"{\"name\":\"precopy-bytes\",\"type\":\"int\"},{\"name\":\"downtime-bytes\","
		"\"type\":\"int\"},{\"name\":\"postcopy-bytes\",\"type\":\"int\"},"
		"{\"name\":\"dirty-sync-missed-zero-copy\",\"type\":\"int\"}],"
		"\"meta-type\":\"object\"}"},
	{"404", "{\"name\":\"404\",\"members\":[{\"name\":\"transferred\",\"type\":\"int\"}],"
		"\"meta-type\":\"object\"}"},
	{"405", "{\"name\":\"405\",\"members\":[{\"name\":\"cache-size\",\"type\":\"int\"},"
		"{\"name\":\"bytes\",\"type\":\"int\"},{\"name\":\"pages\",\"type\":\"int\"},"
		"{\"name\":\"cache-miss\",\"type\":\"int\"},{\"name\":\"cache-miss-rate\","
		"\"type\":\"number\"},{\"name\":\"encoding-rate\",\"type\":\"number\"},"
		"{\"name\":\"overflow\",\"type\":\"int\"}],\"meta-type\":\"object\"}"},
	{"406", "{\"name\":\"406\",\"members\":[{\"name\":\"pages\",\"type\":\"int\"},"
		"{\"name\":\"busy\",\"type\":\"int\"},{\"name\":\"busy-rate\",\"type\":\"number\"},"
		"{\"name\":\"compressed-size\",\"type\":\"int\"},{\"name\":\"compression-rate\","
		"\"type\":\"number\"}],\"meta-type\":\"object\"}"},
	{"[365]", "{\"name\":\"[365]\",\"element-type\":\"365\",\"meta-type\":\"array\"}"},
	{"407", "{\"name\":\"407\",\"members\":[{\"name\":\"xbzrle\"},{\"name\":\"rdma-pin-all\"},"
		"{\"name\":\"auto-converge\"},{\"name\":\"zero-blocks\"},{\"name\":\"compress\"},"
		"{\"name\":\"events\"},{\"name\":\"postcopy-ram\"},{\"name\":\"x-colo\","
		"\"features\":[\"unstable\"]},{\"name\":\"release-ram\"},{\"name\":\"block\"},"
		"{\"name\":\"return-path\"},{\"name\":\"pause-before-switchover\"},"
		"{\"name\":\"multifd\"},{\"name\":\"dirty-bitmaps\"},"
		"{\"name\":\"postcopy-blocktime\"},{\"name\":\"late-block-activate\"},"
		"{\"name\":\"x-ignore-shared\",\"features\":[\"unstable\"]},"
		"{\"name\":\"validate-uuid\"},{\"name\":\"background-snapshot\"},"
		"{\"name\":\"zero-copy-send\"},{\"name\":\"postcopy-preempt\"}],"
		"\"meta-type\":\"enum\",\"values\":[\"xbzrle\",\"rdma-pin-all\",\"auto-converge\","
		"\"zero-blocks\",\"compress\",\"events\",\"postcopy-ram\",\"x-colo\","
		"\"release-ram\",\"block\",\"return-path\",\"pause-before-switchover\",\"multifd\","
		"\"dirty-bitmaps\",\"postcopy-blocktime\",\"late-block-activate\","
		"\"x-ignore-shared\",\"validate-uuid\",\"background-snapshot\",\"zero-copy-send\","
		"\"postcopy-preempt\"]}"},
	{"408", "{\"name\":\"408\",\"members\":[{\"name\":\"none\"},{\"name\":\"zlib\"},"
		"{\"name\":\"zstd\"}],\"meta-type\":\"enum\",\"values\":[\"none\",\"zlib\","
		"\"zstd\"]}"},
	{"[409]", "{\"name\":\"[409]\",\"element-type\":\"409\",\"meta-type\":\"array\"}"},
	{"409", "{\"name\":\"409\",\"members\":[{\"name\":\"node-name\",\"type\":\"str\"},"
		"{\"name\":\"alias\",\"type\":\"str\"},{\"name\":\"bitmaps\",\"type\":\"[587]\"}],"
		"\"meta-type\":\"object\"}"},
	{"410", "{\"name\":\"410\",\"members\":[{\"name\":\"none\"},{\"name\":\"primary\"},"
		"{\"name\":\"secondary\"}],\"meta-type\":\"enum\",\"values\":[\"none\",\"primary\","
		"\"secondary\"]}"},
	{"411", "{\"name\":\"411\",\"members\":[{\"name\":\"none\"},{\"name\":\"request\"},"
		"{\"name\":\"error\"},{\"name\":\"processing\"}],\"meta-type\":\"enum\","
		"\"values\":[\"none\",\"request\",\"error\",\"processing\"]}"},
	{"[418]", "{\"name\":\"[418]\",\"element-type\":\"418\",\"meta-type\":\"array\"}"},
	{"418", "{\"name\":\"418\",\"members\":[{\"name\":\"oob\"}],\"meta-type\":\"enum\","
		"\"values\":[\"oob\"]}"},
	{"419", "{\"name\":\"419\",\"members\":[{\"name\":\"major\",\"type\":\"int\"},"
		"{\"name\":\"minor\",\"type\":\"int\"},{\"name\":\"micro\",\"type\":\"int\"}],"
		"\"meta-type\":\"object\"}"},
	{"420", "{\"name\":\"420\",\"members\":[{\"name\":\"builtin\"},{\"name\":\"enum\"},"
		"{\"name\":\"array\"},{\"name\":\"object\"},{\"name\":\"alternate\"},"
		"{\"name\":\"command\"},{\"name\":\"event\"}],\"meta-type\":\"enum\","
		"\"values\":[\"builtin\",\"enum\",\"array\",\"object\",\"alternate\",\"command\","
		"\"event\"]}"},
	{"421", "{\"name\":\"421\",\"members\":[{\"name\":\"json-type\",\"type\":\"599\"}],"
		"\"meta-type\":\"object\"}"},
	{"422", "{\"name\":\"422\",\"members\":[{\"name\":\"members\",\"type\":\"[600]\"},"
		"{\"name\":\"values\",\"type\":\"[str]\",\"features\":[\"deprecated\"]}],"
		"\"meta-type\":\"object\"}"},
	{"423", "{\"name\":\"423\",\"members\":[{\"name\":\"element-type\",\"type\":\"str\"}],"
		"\"meta-type\":\"object\"}"},
	{"424", "{\"name\":\"424\",\"members\":[{\"name\":\"members\",\"type\":\"[601]\"},"
		"{\"name\":\"tag\",\"default\":null,\"type\":\"str\"},{\"name\":\"variants\","
		"\"default\":null,\"type\":\"[602]\"}],\"meta-type\":\"object\"}"},
	{"425", "{\"name\":\"425\",\"members\":[{\"name\":\"members\",\"type\":\"[603]\"}],"
		"\"meta-type\":\"object\"}"},
	{"426", "{\"name\":\"426\",\"members\":[{\"name\":\"arg-type\",\"type\":\"str\"},"
		"{\"name\":\"ret-type\",\"type\":\"str\"},{\"name\":\"allow-oob\",\"default\":null,"
		"\"type\":\"bool\"}],\"meta-type\":\"object\"}"},
	{"427", "{\"name\":\"427\",\"members\":[{\"name\":\"arg-type\",\"type\":\"str\"}],"
		"\"meta-type\":\"object\"}"},
	{"428", "{\"name\":\"428\",\"members\":[{\"name\":\"authz-list\"},"
		"{\"name\":\"authz-listfile\"},{\"name\":\"authz-pam\"},"
		"{\"name\":\"authz-simple\"},{\"name\":\"can-bus\"},"
		"{\"name\":\"can-host-socketcan\"},{\"name\":\"colo-compare\"},"
		"{\"name\":\"cryptodev-backend\"},{\"name\":\"cryptodev-backend-builtin\"},"
		"{\"name\":\"cryptodev-backend-lkcf\"},{\"name\":\"cryptodev-vhost-user\"},"
		"{\"name\":\"dbus-vmstate\"},{\"name\":\"filter-buffer\"},"
		"{\"name\":\"filter-dump\"},{\"name\":\"filter-mirror\"},"
		"{\"name\":\"filter-redirector\"},{\"name\":\"filter-replay\"},"
		"{\"name\":\"filter-rewriter\"},{\"name\":\"input-barrier\"},"
		"{\"name\":\"input-linux\"},{\"name\":\"iothread\"},{\"name\":\"main-loop\"},"
		"{\"name\":\"memory-backend-epc\"},{\"name\":\"memory-backend-file\"},"
		"{\"name\":\"memory-backend-memfd\"},{\"name\":\"memory-backend-ram\"},"
		"{\"name\":\"pef-guest\"},{\"name\":\"pr-manager-helper\"},{\"name\":\"qtest\"},"
		"{\"name\":\"rng-builtin\"},{\"name\":\"rng-egd\"},{\"name\":\"rng-random\"},"
		"{\"name\":\"secret\"},{\"name\":\"secret_keyring\"},{\"name\":\"sev-guest\"},"
		"{\"name\":\"thread-context\"},{\"name\":\"s390-pv-guest\"},"
		"{\"name\":\"throttle-group\"},{\"name\":\"tls-creds-anon\"},"
		"{\"name\":\"tls-creds-psk\"},{\"name\":\"tls-creds-x509\"},"
		"{\"name\":\"tls-cipher-suites\"},{\"name\":\"x-remote-object\","
		"\"features\":[\"unstable\"]},{\"name\":\"x-vfio-user-server\","
		"\"features\":[\"unstable\"]}],\"meta-type\":\"enum\",\"values\":[\"authz-list\","
		"\"authz-listfile\",\"authz-pam\",\"authz-simple\",\"can-bus\","
		"\"can-host-socketcan\",\"colo-compare\",\"cryptodev-backend\","
		"\"cryptodev-backend-builtin\",\"cryptodev-backend-lkcf\",\"cryptodev-vhost-user\","
		"\"dbus-vmstate\",\"filter-buffer\",\"filter-dump\",\"filter-mirror\","
		"\"filter-redirector\",\"filter-replay\",\"filter-rewriter\",\"input-barrier\","
		"\"input-linux\",\"iothread\",\"main-loop\",\"memory-backend-epc\","
		"\"memory-backend-file\",\"memory-backend-memfd\",\"memory-backend-ram\","
		"\"pef-guest\",\"pr-manager-helper\",\"qtest\",\"rng-builtin\",\"rng-egd\","
		"\"rng-random\",\"secret\",\"secret_keyring\",\"sev-guest\",\"thread-context\","
		"\"s390-pv-guest\",\"throttle-group\",\"tls-creds-anon\",\"tls-creds-psk\","
		"\"tls-creds-x509\",\"tls-cipher-suites\",\"x-remote-object\","
		"\"x-vfio-user-server\"]}"},
	{"434", "{\"name\":\"434\",\"members\":[{\"name\":\"primary_in\",\"type\":\"str\"},"
		"{\"name\":\"secondary_in\",\"type\":\"str\"},{\"name\":\"outdev\","
		"\"type\":\"str\"},{\"name\":\"iothread\",\"type\":\"str\"},"
		"{\"name\":\"notify_dev\",\"default\":null,\"type\":\"str\"},"
		"{\"name\":\"compare_timeout\",\"default\":null,\"type\":\"int\"},"
		"{\"name\":\"expired_scan_cycle\",\"default\":null,\"type\":\"int\"},"
		"{\"name\":\"max_queue_size\",\"default\":null,\"type\":\"int\"},"
		"{\"name\":\"vnet_hdr_support\",\"default\":null,\"type\":\"bool\"}],"
		"\"meta-type\":\"object\"}"},
	{"438", "{\"name\":\"438\",\"members\":[{\"name\":\"netdev\",\"type\":\"str\"},"
		"{\"name\":\"queue\",\"default\":null,\"type\":\"606\"},{\"name\":\"status\","
		"\"default\":null,\"type\":\"str\"},{\"name\":\"position\",\"default\":null,"
		"\"type\":\"str\"},{\"name\":\"insert\",\"default\":null,\"type\":\"607\"},"
		"{\"name\":\"interval\",\"type\":\"int\"}],\"meta-type\":\"object\"}"},
	{"440", "{\"name\":\"440\",\"members\":[{\"name\":\"netdev\",\"type\":\"str\"},"
		"{\"name\":\"queue\",\"default\":null,\"type\":\"606\"},{\"name\":\"status\","
		"\"default\":null,\"type\":\"str\"},{\"name\":\"position\",\"default\":null,"
		"\"type\":\"str\"},{\"name\":\"insert\",\"default\":null,\"type\":\"607\"},"
		"{\"name\":\"outdev\",\"type\":\"str\"},{\"name\":\"vnet_hdr_support\","
		"\"default\":null,\"type\":\"bool\"}],\"meta-type\":\"object\"}"},
	{"441", "{\"name\":\"441\",\"members\":[{\"name\":\"netdev\",\"type\":\"str\"},"
		"{\"name\":\"queue\",\"default\":null,\"type\":\"606\"},{\"name\":\"status\","
		"\"default\":null,\"type\":\"str\"},{\"name\":\"position\",\"default\":null,"
		"\"type\":\"str\"},{\"name\":\"insert\",\"default\":null,\"type\":\"607\"},"
		"{\"name\":\"indev\",\"default\":null,\"type\":\"str\"},{\"name\":\"outdev\","
		"\"default\":null,\"type\":\"str\"},{\"name\":\"vnet_hdr_support\","
		"\"default\":null,\"type\":\"bool\"}],\"meta-type\":\"object\"}"},
	{"443", "{\"name\":\"443\",\"members\":[{\"name\":\"netdev\",\"type\":\"str\"},"
		"{\"name\":\"queue\",\"default\":null,\"type\":\"606\"},{\"name\":\"status\","
		"\"default\":null,\"type\":\"str\"},{\"name\":\"position\",\"default\":null,"
		"\"type\":\"str\"},{\"name\":\"insert\",\"default\":null,\"type\":\"607\"},"
		"{\"name\":\"vnet_hdr_support\",\"default\":null,\"type\":\"bool\"}],"
		"\"meta-type\":\"object\"}"},
	{"446", "{\"name\":\"446\",\"members\":[{\"name\":\"aio-max-batch\",\"default\":null,"
		"\"type\":\"int\"},{\"name\":\"thread-pool-min\",\"default\":null,"
		"\"type\":\"int\"},{\"name\":\"thread-pool-max\",\"default\":null,"
		"\"type\":\"int\"},{\"name\":\"poll-max-ns\",\"default\":null,\"type\":\"int\"},"
		"{\"name\":\"poll-grow\",\"default\":null,\"type\":\"int\"},"
		"{\"name\":\"poll-shrink\",\"default\":null,\"type\":\"int\"}],"
		"\"meta-type\":\"object\"}"},
	{"449", "{\"name\":\"449\",\"members\":[{\"name\":\"dump\",\"default\":null,"
		"\"type\":\"bool\"},{\"name\":\"host-nodes\",\"default\":null,\"type\":\"[int]\"},"
		"{\"name\":\"merge\",\"default\":null,\"type\":\"bool\"},{\"name\":\"policy\","
		"\"default\":null,\"type\":\"471\"},{\"name\":\"prealloc\",\"default\":null,"
		"\"type\":\"bool\"},{\"name\":\"prealloc-threads\",\"default\":null,"
		"\"type\":\"int\"},{\"name\":\"prealloc-context\",\"default\":null,"
		"\"type\":\"str\"},{\"name\":\"share\",\"default\":null,\"type\":\"bool\"},"
		"{\"name\":\"reserve\",\"default\":null,\"type\":\"bool\"},{\"name\":\"size\","
		"\"type\":\"int\"},{\"name\":\"x-use-canonical-path-for-ramblock-id\","
		"\"default\":null,\"type\":\"bool\"},{\"name\":\"align\",\"default\":null,"
		"\"type\":\"int\"},{\"name\":\"discard-data\",\"default\":null,\"type\":\"bool\"},"
		"{\"name\":\"mem-path\",\"type\":\"str\"},{\"name\":\"pmem\",\"default\":null,"
		"\"type\":\"bool\"},{\"name\":\"readonly\",\"default\":null,\"type\":\"bool\"}],"
		"\"meta-type\":\"object\"}"},
	{"450",
	 "{\"name\":\"450\",\"members\":[{\"name\":\"dump\",\"default\":null,"
	 "\"type\":\"bool\"},{\"name\":\"host-nodes\",\"default\":null,\"type\":\"[int]\"},"
	 "{\"name\":\"merge\",\"default\":null,\"type\":\"bool\"},{\"name\":\"policy\","
	 "\"default\":null,\"type\":\"471\"},{\"name\":\"prealloc\",\"default\":null,"
	 "\"type\":\"bool\"},{\"name\":\"prealloc-threads\",\"default\":null,"
	 "\"type\":\"int\"},{\"name\":\"prealloc-context\",\"default\":null,"
	 "\"type\":\"str\"},{\"name\":\"share\",\"default\":null,\"type\":\"bool\"},"
	 "{\"name\":\"reserve\",\"default\":null,\"type\":\"bool\"},{\"name\":\"size\","
	 "\"type\":\"int\"},{\"name\":\"x-use-canonical-path-for-ramblock-id\","
	 "\"default\":null,\"type\":\"bool\"},{\"name\":\"hugetlb\",\"default\":null,"
	 "\"type\":\"bool\"},{\"name\":\"hugetlbsize\",\"default\":null,\"type\":\"int\"},"
	 "{\"name\":\"seal\",\"default\":null,\"type\":\"bool\"}],\"meta-type\":\"object\"}"},
	{"451", "{\"name\":\"451\",\"members\":[{\"name\":\"dump\",\"default\":null,"
		"\"type\":\"bool\"},{\"name\":\"host-nodes\",\"default\":null,\"type\":\"[int]\"},"
		"{\"name\":\"merge\",\"default\":null,\"type\":\"bool\"},{\"name\":\"policy\","
		"\"default\":null,\"type\":\"471\"},{\"name\":\"prealloc\",\"default\":null,"
		"\"type\":\"bool\"},{\"name\":\"prealloc-threads\",\"default\":null,"
		"\"type\":\"int\"},{\"name\":\"prealloc-context\",\"default\":null,"
		"\"type\":\"str\"},{\"name\":\"share\",\"default\":null,\"type\":\"bool\"},"
		"{\"name\":\"reserve\",\"default\":null,\"type\":\"bool\"},{\"name\":\"size\","
		"\"type\":\"int\"},{\"name\":\"x-use-canonical-path-for-ramblock-id\","
		"\"default\":null,\"type\":\"bool\"}],\"meta-type\":\"object\"}"},
	{"471", "{\"name\":\"471\",\"members\":[{\"name\":\"default\"},{\"name\":\"preferred\"},"
		"{\"name\":\"bind\"},{\"name\":\"interleave\"}],\"meta-type\":\"enum\","
		"\"values\":[\"default\",\"preferred\",\"bind\",\"interleave\"]}"},
	{"487", "{\"name\":\"487\",\"members\":[{\"name\":\"block-node\"},{\"name\":\"chardev\"},"
		"{\"name\":\"migration\"}],\"meta-type\":\"enum\",\"values\":[\"block-node\","
		"\"chardev\",\"migration\"]}"},
	{"488", "{\"name\":\"488\",\"members\":[{\"name\":\"node-name\",\"type\":\"str\"}],"
		"\"meta-type\":\"object\"}"},
	{"489", "{\"name\":\"489\",\"members\":[{\"name\":\"id\",\"type\":\"str\"}],"
		"\"meta-type\":\"object\"}"},
	{"518", "{\"name\":\"518\",\"members\":[{\"type\":\"49\"},{\"type\":\"str\"}],"
		"\"meta-type\":\"alternate\"}"},
	{"522", "{\"name\":\"522\",\"members\":[{\"name\":\"auto\"},{\"name\":\"on\"},"
		"{\"name\":\"off\"}],\"meta-type\":\"enum\",\"values\":[\"auto\",\"on\",\"off\"]}"},
	{"523", "{\"name\":\"523\",\"members\":[{\"name\":\"threads\"},{\"name\":\"native\"},"
		"{\"name\":\"io_uring\"}],\"meta-type\":\"enum\",\"values\":[\"threads\","
		"\"native\",\"io_uring\"]}"},
	{"527", "{\"name\":\"527\",\"members\":[{\"type\":\"49\"},{\"type\":\"str\"},"
		"{\"type\":\"null\"}],\"meta-type\":\"alternate\"}"},
	{"528", "{\"name\":\"528\",\"members\":[{\"type\":\"639\"},{\"type\":\"640\"}],"
		"\"meta-type\":\"alternate\"}"},
	{"529", "{\"name\":\"529\",\"tag\":\"format\",\"variants\":[{\"case\":\"aes\","
		"\"type\":\"642\"},{\"case\":\"luks\",\"type\":\"643\"}],"
		"\"members\":[{\"name\":\"format\",\"type\":\"641\"}],\"meta-type\":\"object\"}"},
	{"[518]", "{\"name\":\"[518]\",\"element-type\":\"518\",\"meta-type\":\"array\"}"},
	{"531", "{\"name\":\"531\",\"members\":[{\"name\":\"quorum\"},{\"name\":\"fifo\"}],"
		"\"meta-type\":\"enum\",\"values\":[\"quorum\",\"fifo\"]}"},
	{"535", "{\"name\":\"535\",\"members\":[{\"name\":\"primary\"},{\"name\":\"secondary\"}],"
		"\"meta-type\":\"enum\",\"values\":[\"primary\",\"secondary\"]}"},
	{"536", "{\"name\":\"536\",\"members\":[{\"name\":\"host\",\"type\":\"str\"},"
		"{\"name\":\"port\",\"type\":\"str\"},{\"name\":\"numeric\",\"default\":null,"
		"\"type\":\"bool\"},{\"name\":\"to\",\"default\":null,\"type\":\"int\"},"
		"{\"name\":\"ipv4\",\"default\":null,\"type\":\"bool\"},{\"name\":\"ipv6\","
		"\"default\":null,\"type\":\"bool\"},{\"name\":\"keep-alive\",\"default\":null,"
		"\"type\":\"bool\"},{\"name\":\"mptcp\",\"default\":null,\"type\":\"bool\"}],"
		"\"meta-type\":\"object\"}"},
	{"null", "{\"name\":\"null\",\"json-type\":\"null\",\"meta-type\":\"builtin\"}"},
	{"554", "{\"name\":\"554\",\"members\":[{\"name\":\"inet\"},{\"name\":\"unix\"},"
		"{\"name\":\"vsock\"},{\"name\":\"fd\"}],\"meta-type\":\"enum\","
		"\"values\":[\"inet\",\"unix\",\"vsock\",\"fd\"]}"},
	{"555", "{\"name\":\"555\",\"members\":[{\"name\":\"data\",\"type\":\"536\"}],"
		"\"meta-type\":\"object\"}"},
	{"556", "{\"name\":\"556\",\"members\":[{\"name\":\"data\",\"type\":\"575\"}],"
		"\"meta-type\":\"object\"}"},
	{"557", "{\"name\":\"557\",\"members\":[{\"name\":\"data\",\"type\":\"576\"}],"
		"\"meta-type\":\"object\"}"},
	{"558", "{\"name\":\"558\",\"members\":[{\"name\":\"data\",\"type\":\"574\"}],"
		"\"meta-type\":\"object\"}"},
	{"560", "{\"name\":\"560\",\"members\":[{\"name\":\"file\"},{\"name\":\"serial\"},"
		"{\"name\":\"parallel\"},{\"name\":\"pipe\"},{\"name\":\"socket\"},"
		"{\"name\":\"udp\"},{\"name\":\"pty\"},{\"name\":\"null\"},{\"name\":\"mux\"},"
		"{\"name\":\"msmouse\"},{\"name\":\"wctablet\"},{\"name\":\"braille\"},"
		"{\"name\":\"testdev\"},{\"name\":\"stdio\"},{\"name\":\"console\"},"
		"{\"name\":\"spicevmc\"},{\"name\":\"spiceport\"},{\"name\":\"qemu-vdagent\"},"
		"{\"name\":\"dbus\"},{\"name\":\"vc\"},{\"name\":\"ringbuf\"},"
		"{\"name\":\"memory\"}],\"meta-type\":\"enum\",\"values\":[\"file\",\"serial\","
		"\"parallel\",\"pipe\",\"socket\",\"udp\",\"pty\",\"null\",\"mux\",\"msmouse\","
		"\"wctablet\",\"braille\",\"testdev\",\"stdio\",\"console\",\"spicevmc\","
		"\"spiceport\",\"qemu-vdagent\",\"dbus\",\"vc\",\"ringbuf\",\"memory\"]}"},
	{"561", "{\"name\":\"561\",\"members\":[{\"name\":\"data\",\"type\":\"665\"}],"
		"\"meta-type\":\"object\"}"},
	{"562", "{\"name\":\"562\",\"members\":[{\"name\":\"data\",\"type\":\"666\"}],"
		"\"meta-type\":\"object\"}"},
	{"563", "{\"name\":\"563\",\"members\":[{\"name\":\"data\",\"type\":\"667\"}],"
		"\"meta-type\":\"object\"}"},
	{"565", "{\"name\":\"565\",\"members\":[{\"name\":\"data\",\"type\":\"669\"}],"
		"\"meta-type\":\"object\"}"},
	{"574", "{\"name\":\"574\",\"members\":[{\"name\":\"str\",\"type\":\"str\"}],"
		"\"meta-type\":\"object\"}"},
	{"575", "{\"name\":\"575\",\"members\":[{\"name\":\"path\",\"type\":\"str\"},"
		"{\"name\":\"abstract\",\"default\":null,\"type\":\"bool\"},{\"name\":\"tight\","
		"\"default\":null,\"type\":\"bool\"}],\"meta-type\":\"object\"}"},
	{"576", "{\"name\":\"576\",\"members\":[{\"name\":\"cid\",\"type\":\"str\"},"
		"{\"name\":\"port\",\"type\":\"str\"}],\"meta-type\":\"object\"}"},
	{"number", "{\"name\":\"number\",\"json-type\":\"number\",\"meta-type\":\"builtin\"}"},
	{"[587]", "{\"name\":\"[587]\",\"element-type\":\"587\",\"meta-type\":\"array\"}"},
	{"587", "{\"name\":\"587\",\"members\":[{\"name\":\"name\",\"type\":\"str\"},"
		"{\"name\":\"alias\",\"type\":\"str\"},{\"name\":\"transform\",\"default\":null,"
		"\"type\":\"684\"}],\"meta-type\":\"object\"}"},
	{"599", "{\"name\":\"599\",\"members\":[{\"name\":\"string\"},{\"name\":\"number\"},"
		"{\"name\":\"int\"},{\"name\":\"boolean\"},{\"name\":\"null\"},"
		"{\"name\":\"object\"},{\"name\":\"array\"},{\"name\":\"value\"}],"
		"\"meta-type\":\"enum\",\"values\":[\"string\",\"number\",\"int\",\"boolean\","
		"\"null\",\"object\",\"array\",\"value\"]}"},
	{"[600]", "{\"name\":\"[600]\",\"element-type\":\"600\",\"meta-type\":\"array\"}"},
	{"600", "{\"name\":\"600\",\"members\":[{\"name\":\"name\",\"type\":\"str\"},"
		"{\"name\":\"features\",\"default\":null,\"type\":\"[str]\"}],"
		"\"meta-type\":\"object\"}"},
	{"[601]", "{\"name\":\"[601]\",\"element-type\":\"601\",\"meta-type\":\"array\"}"},
	{"601", "{\"name\":\"601\",\"members\":[{\"name\":\"name\",\"type\":\"str\"},"
		"{\"name\":\"type\",\"type\":\"str\"},{\"name\":\"default\",\"default\":null,"
		"\"type\":\"any\"},{\"name\":\"features\",\"default\":null,\"type\":\"[str]\"}],"
		"\"meta-type\":\"object\"}"},
	{"[602]", "{\"name\":\"[602]\",\"element-type\":\"602\",\"meta-type\":\"array\"}"},
	{"602", "{\"name\":\"602\",\"members\":[{\"name\":\"case\",\"type\":\"str\"},"
		"{\"name\":\"type\",\"type\":\"str\"}],\"meta-type\":\"object\"}"},
	{"[603]", "{\"name\":\"[603]\",\"element-type\":\"603\",\"meta-type\":\"array\"}"},
	{"603", "{\"name\":\"603\",\"members\":[{\"name\":\"type\",\"type\":\"str\"}],"
		"\"meta-type\":\"object\"}"},
	{"606", "{\"name\":\"606\",\"members\":[{\"name\":\"all\"},{\"name\":\"rx\"},"
		"{\"name\":\"tx\"}],\"meta-type\":\"enum\",\"values\":[\"all\",\"rx\",\"tx\"]}"},
	{"607", "{\"name\":\"607\",\"members\":[{\"name\":\"before\"},{\"name\":\"behind\"}],"
		"\"meta-type\":\"enum\",\"values\":[\"before\",\"behind\"]}"},
	{"639", "{\"name\":\"639\",\"members\":[{\"name\":\"template\",\"default\":null,"
		"\"type\":\"640\"},{\"name\":\"main-header\",\"default\":null,\"type\":\"bool\"},"
		"{\"name\":\"active-l1\",\"default\":null,\"type\":\"bool\"},"
		"{\"name\":\"active-l2\",\"default\":null,\"type\":\"bool\"},"
		"{\"name\":\"refcount-table\",\"default\":null,\"type\":\"bool\"},"
		"{\"name\":\"refcount-block\",\"default\":null,\"type\":\"bool\"},"
		"{\"name\":\"snapshot-table\",\"default\":null,\"type\":\"bool\"},"
		"{\"name\":\"inactive-l1\",\"default\":null,\"type\":\"bool\"},"
		"{\"name\":\"inactive-l2\",\"default\":null,\"type\":\"bool\"},"
		"{\"name\":\"bitmap-directory\",\"default\":null,\"type\":\"bool\"}],"
		"\"meta-type\":\"object\"}"},
	{"640", "{\"name\":\"640\",\"members\":[{\"name\":\"none\"},{\"name\":\"constant\"},"
		"{\"name\":\"cached\"},{\"name\":\"all\"}],\"meta-type\":\"enum\","
		"\"values\":[\"none\",\"constant\",\"cached\",\"all\"]}"},
	{"641", "{\"name\":\"641\",\"members\":[{\"name\":\"aes\"},{\"name\":\"luks\"}],"
		"\"meta-type\":\"enum\",\"values\":[\"aes\",\"luks\"]}"},
	{"642", "{\"name\":\"642\",\"members\":[{\"name\":\"key-secret\",\"default\":null,"
		"\"type\":\"str\"}],\"meta-type\":\"object\"}"},
	{"643", "{\"name\":\"643\",\"members\":[{\"name\":\"key-secret\",\"default\":null,"
		"\"type\":\"str\"}],\"meta-type\":\"object\"}"},
	{"665", "{\"name\":\"665\",\"members\":[{\"name\":\"logfile\",\"default\":null,"
		"\"type\":\"str\"},{\"name\":\"logappend\",\"default\":null,\"type\":\"bool\"},"
		"{\"name\":\"in\",\"default\":null,\"type\":\"str\"},{\"name\":\"out\","
		"\"type\":\"str\"},{\"name\":\"append\",\"default\":null,\"type\":\"bool\"}],"
		"\"meta-type\":\"object\"}"},
	{"666", "{\"name\":\"666\",\"members\":[{\"name\":\"logfile\",\"default\":null,"
		"\"type\":\"str\"},{\"name\":\"logappend\",\"default\":null,\"type\":\"bool\"},"
		"{\"name\":\"device\",\"type\":\"str\"}],\"meta-type\":\"object\"}"},
	{"667", "{\"name\":\"667\",\"members\":[{\"name\":\"logfile\",\"default\":null,"
		"\"type\":\"str\"},{\"name\":\"logappend\",\"default\":null,\"type\":\"bool\"},"
		"{\"name\":\"addr\",\"type\":\"336\"},{\"name\":\"tls-creds\",\"default\":null,"
		"\"type\":\"str\"},{\"name\":\"tls-authz\",\"default\":null,\"type\":\"str\"},"
		"{\"name\":\"server\",\"default\":null,\"type\":\"bool\"},{\"name\":\"wait\","
		"\"default\":null,\"type\":\"bool\"},{\"name\":\"nodelay\",\"default\":null,"
		"\"type\":\"bool\"},{\"name\":\"telnet\",\"default\":null,\"type\":\"bool\"},"
		"{\"name\":\"tn3270\",\"default\":null,\"type\":\"bool\"},{\"name\":\"websocket\","
		"\"default\":null,\"type\":\"bool\"},{\"name\":\"reconnect\",\"default\":null,"
		"\"type\":\"int\"}],\"meta-type\":\"object\"}"},
	{"669", "{\"name\":\"669\",\"members\":[{\"name\":\"logfile\",\"default\":null,"
		"\"type\":\"str\"},{\"name\":\"logappend\",\"default\":null,\"type\":\"bool\"}],"
		"\"meta-type\":\"object\"}"},
	{"684", "{\"name\":\"684\",\"members\":[{\"name\":\"persistent\",\"default\":null,"
		"\"type\":\"bool\"}],\"meta-type\":\"object\"}"},
};

static guint
schema_n_entries(void)
{
	return G_N_ELEMENTS(fake_schema);
}

static const gchar *
schema_entry_name(guint idx)
{
	return fake_schema[idx].name;
}

static const gchar *
schema_entry_json(guint idx)
{
	return fake_schema[idx].json;
}
