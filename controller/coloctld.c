/*
 * coloctld: the coloctl controller daemon.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "coloctld"

#include "config.h"

#include <glib-unix.h>
#include <errno.h>
#include <locale.h>
#include <glib/gstdio.h>
#include <stdio.h>

#include "cc-api.h"
#include "cc-config.h"
#include "cc-plugin.h"
#include "cc-qemu.h"
#include "colo-error.h"

#define CC_READY_MARKER "COLOCTL-GUEST-READY"

typedef struct {
	GMainLoop *loop;
	CcConfig *config;
	GPtrArray *plugins;
	CcBackend *backend;
	CcStore *store;
	CcEngine *engine;
	CcApi *api;
	CcQemu *member;
	gchar *tmpdir;
	gboolean verbose;
	gint exit_code;
	/* --probe-qemu */
	gchar *probe_binary;
	gboolean probe;
	/* --run-once */
	gchar *kernel;
	gchar *initrd;
	gchar *append;
	gchar *disk;
	gint memory_mib;
	guint ready_timeout_s;
	gchar *serial_path;
	gint64 launch_us;
	GSource *ready_poll;
	JsonNode *caps_json;
} CcDaemon;

static void
cc_daemon_free(CcDaemon *self)
{
	if (self->ready_poll != NULL) {
		g_source_destroy(self->ready_poll);
		g_source_unref(self->ready_poll);
	}
	g_clear_object(&self->member);
	g_clear_object(&self->api);
	g_clear_object(&self->engine);
	g_clear_object(&self->store);
	g_clear_object(&self->backend);
	if (self->plugins != NULL)
		g_ptr_array_unref(self->plugins);
	cc_config_free(self->config);
	if (self->tmpdir != NULL) {
		g_autoptr(GDir) dir = g_dir_open(self->tmpdir, 0, NULL);
		const gchar *fn;
		while (dir != NULL && (fn = g_dir_read_name(dir)) != NULL) {
			g_autofree gchar *path = g_build_filename(self->tmpdir, fn, NULL);
			g_unlink(path);
		}
		g_rmdir(self->tmpdir);
	}
	g_clear_pointer(&self->caps_json, json_node_unref);
	g_free(self->tmpdir);
	g_free(self->probe_binary);
	g_free(self->kernel);
	g_free(self->initrd);
	g_free(self->append);
	g_free(self->disk);
	g_free(self->serial_path);
	g_clear_pointer(&self->loop, g_main_loop_unref);
	g_free(self);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CcDaemon, cc_daemon_free)

static CcDaemon *daemon_for_options = NULL;

static gboolean
cc_daemon_probe_opt_cb(const gchar *name, const gchar *value, gpointer data, GError **error)
{
	daemon_for_options->probe = TRUE;
	g_free(daemon_for_options->probe_binary);
	daemon_for_options->probe_binary = g_strdup(value);
	return TRUE;
}

/* the step of a failed launch, as --probe-qemu reports it */
static const gchar *
cc_daemon_failed_step(const GError *error)
{
	if (error->domain != COLO_ERROR)
		return "internal";
	switch (error->code) {
	case COLO_ERROR_SPAWN:
		return "spawn";
	case COLO_ERROR_CONNECT:
		return "connect";
	case COLO_ERROR_TIMEOUT:
		return "timeout";
	case COLO_ERROR_PROTOCOL:
	case COLO_ERROR_DISCONNECTED:
	case COLO_ERROR_QMP_ERROR:
		return "protocol";
	case COLO_ERROR_STUCK:
		return "stop";
	default:
		return "internal";
	}
}

static void
cc_daemon_member_event_cb(CcQemu *member, const gchar *kind, JsonObject *detail, gpointer data)
{
	CcDaemon *self = data;
	g_autoptr(JsonNode) node = NULL;
	g_autofree gchar *text = NULL;

	if (!self->verbose && g_strcmp0(kind, "stop-step") != 0 && g_strcmp0(kind, "stuck") != 0 &&
	    g_strcmp0(kind, "stopped") != 0)
		return;
	node = json_node_new(JSON_NODE_OBJECT);
	json_node_set_object(node, detail);
	text = json_to_string(node, FALSE);
	g_printerr("event %s %s\n", kind, text);
}

static void
cc_daemon_stop_cb(GObject *source, GAsyncResult *res, gpointer data)
{
	CcDaemon *self = data;
	g_autoptr(GError) error = NULL;

	if (!cc_qemu_stop_finish(CC_QEMU(source), res, &error)) {
		g_printerr("coloctld: stop failed at %s: %s\n", cc_daemon_failed_step(error),
			   error->message);
		self->exit_code = 1;
	} else if (self->caps_json != NULL) {
		g_autofree gchar *text = json_to_string(self->caps_json, TRUE);
		g_print("%s\n", text);
	}
	g_main_loop_quit(self->loop);
}

static void
cc_daemon_stop_member(CcDaemon *self)
{
	cc_qemu_stop_async(self->member, cc_daemon_stop_cb, self);
}

static JsonNode *
cc_daemon_caps_json(CcDaemon *self, const gchar *binary)
{
	JsonNode *node = cc_caps_to_json(cc_qemu_get_caps(self->member));
	JsonObject *obj = json_node_get_object(node);
	json_object_set_string_member(obj, "binary", binary);
	return node;
}

static void
cc_daemon_probe_launch_cb(GObject *source, GAsyncResult *res, gpointer data)
{
	CcDaemon *self = data;
	g_autoptr(GError) error = NULL;

	if (!cc_qemu_launch_finish(CC_QEMU(source), res, &error)) {
		g_printerr("coloctld: probe failed at %s: %s\n", cc_daemon_failed_step(error),
			   error->message);
		self->exit_code = 1;
		/* whatever failed, never leave the process behind */
		cc_daemon_stop_member(self);
		return;
	}
	self->caps_json = cc_daemon_caps_json(self, self->probe_binary);
	cc_daemon_stop_member(self);
}

static gboolean
cc_daemon_setup_backend(CcDaemon *self, GError **error)
{
	g_autofree gchar *plugindir = cc_plugin_get_dir();
	self->plugins = cc_plugin_load_dir(plugindir, error);
	if (self->plugins == NULL)
		return FALSE;
	self->backend = cc_plugin_new_backend(self->plugins, "qemu", error);
	return self->backend != NULL;
}

static gboolean
cc_daemon_setup_member(CcDaemon *self, const gchar *name, GError **error)
{
	if (!cc_daemon_setup_backend(self, error))
		return FALSE;
	self->tmpdir = g_dir_make_tmp("coloctld-XXXXXX", error);
	if (self->tmpdir == NULL)
		return FALSE;
	self->member = cc_qemu_new(self->backend, name, self->tmpdir);
	cc_qemu_set_timeouts(self->member, &self->config->timeouts);
	g_signal_connect(self->member, "event", G_CALLBACK(cc_daemon_member_event_cb), self);
	return TRUE;
}

static gboolean
cc_daemon_probe(CcDaemon *self, GError **error)
{
	const gchar *argv[] = {
		NULL,       "-machine", "none", "-accel", "tcg", "-nodefaults", "-no-user-config",
		"-display", "none",     "-S",   NULL,
	};
	if (self->probe_binary == NULL)
		self->probe_binary = g_strdup(self->config->qemu_binary);
	argv[0] = self->probe_binary;
	if (!cc_daemon_setup_member(self, "probe", error))
		return FALSE;
	cc_qemu_launch_async(self->member, argv, NULL, cc_daemon_probe_launch_cb, self);
	return TRUE;
}

/* ----------------------------------------------------------- --run-once */

static gboolean
cc_daemon_ready_poll_cb(gpointer data)
{
	CcDaemon *self = data;
	g_autofree gchar *buf = NULL;
	gint64 elapsed_ms = (g_get_monotonic_time() - self->launch_us) / 1000;

	if (cc_qemu_get_state(self->member) != CC_QEMU_STATE_RUNNING) {
		g_printerr("coloctld: the guest stopped before it was ready (member %s)\n",
			   cc_qemu_state_to_string(cc_qemu_get_state(self->member)));
		self->exit_code = 1;
		g_clear_pointer(&self->ready_poll, g_source_unref);
		cc_daemon_stop_member(self);
		return G_SOURCE_REMOVE;
	}
	if (g_file_get_contents(self->serial_path, &buf, NULL, NULL) &&
	    strstr(buf, CC_READY_MARKER) != NULL) {
		g_printerr("coloctld: guest ready after %" G_GINT64_FORMAT
			   " ms (pid %d); stopping it\n",
			   elapsed_ms, (gint)cc_qemu_get_pid(self->member));
		g_clear_pointer(&self->ready_poll, g_source_unref);
		cc_daemon_stop_member(self);
		return G_SOURCE_REMOVE;
	}
	if (elapsed_ms > (gint64)self->ready_timeout_s * 1000) {
		g_printerr("coloctld: no ready marker after %u s; see %s\n", self->ready_timeout_s,
			   self->serial_path);
		self->exit_code = 1;
		g_clear_pointer(&self->ready_poll, g_source_unref);
		cc_daemon_stop_member(self);
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

static void
cc_daemon_run_once_launch_cb(GObject *source, GAsyncResult *res, gpointer data)
{
	CcDaemon *self = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) caps = NULL;
	g_autofree gchar *text = NULL;
	guint n_commands;

	if (!cc_qemu_launch_finish(CC_QEMU(source), res, &error)) {
		g_printerr("coloctld: launch failed at %s: %s\n", cc_daemon_failed_step(error),
			   error->message);
		self->exit_code = 1;
		cc_daemon_stop_member(self);
		return;
	}
	caps = cc_daemon_caps_json(self, self->config->qemu_binary);
	/* the full command list is --probe-qemu's business; here, how many */
	n_commands = json_array_get_length(
		json_object_get_array_member(json_node_get_object(caps), "commands"));
	json_object_remove_member(json_node_get_object(caps), "commands");
	json_object_set_int_member(json_node_get_object(caps), "n_commands", n_commands);
	text = json_to_string(caps, TRUE);
	g_print("%s\n", text);
	fflush(stdout);
	g_printerr("coloctld: member %s running as pid %d, waiting for the guest\n",
		   cc_qemu_get_name(self->member), (gint)cc_qemu_get_pid(self->member));
	self->ready_poll = g_timeout_source_new(100);
	g_source_set_callback(self->ready_poll, cc_daemon_ready_poll_cb, self, NULL);
	g_source_attach(self->ready_poll, NULL);
}

static gboolean
cc_daemon_run_once(CcDaemon *self, GError **error)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	g_autofree gchar *append = NULL;

	if (self->kernel == NULL || self->initrd == NULL) {
		g_set_error_literal(error, COLO_ERROR, COLO_ERROR_INVALID_INPUT,
				    "--run-once needs --kernel and --initrd");
		return FALSE;
	}
	if (!cc_daemon_setup_member(self, "demo", error))
		return FALSE;
	self->serial_path = g_build_filename(self->tmpdir, "demo.serial", NULL);
	append = g_strdup_printf("console=ttyS0 quiet %s", self->append ? self->append : "");
	g_ptr_array_add(argv, g_strdup(self->config->qemu_binary));
	g_ptr_array_add(argv, g_strdup("-machine"));
	g_ptr_array_add(argv, g_strdup("pc"));
	g_ptr_array_add(argv, g_strdup("-accel"));
	g_ptr_array_add(argv, g_strdup(self->config->accel));
	g_ptr_array_add(argv, g_strdup("-m"));
	g_ptr_array_add(argv, g_strdup_printf("%d", self->memory_mib));
	g_ptr_array_add(argv, g_strdup("-nodefaults"));
	g_ptr_array_add(argv, g_strdup("-no-user-config"));
	g_ptr_array_add(argv, g_strdup("-display"));
	g_ptr_array_add(argv, g_strdup("none"));
	g_ptr_array_add(argv, g_strdup("-kernel"));
	g_ptr_array_add(argv, g_strdup(self->kernel));
	g_ptr_array_add(argv, g_strdup("-initrd"));
	g_ptr_array_add(argv, g_strdup(self->initrd));
	g_ptr_array_add(argv, g_strdup("-append"));
	g_ptr_array_add(argv, g_steal_pointer(&append));
	g_ptr_array_add(argv, g_strdup("-chardev"));
	g_ptr_array_add(argv, g_strdup_printf("file,id=serial0,path=%s", self->serial_path));
	g_ptr_array_add(argv, g_strdup("-serial"));
	g_ptr_array_add(argv, g_strdup("chardev:serial0"));
	if (self->disk != NULL) {
		g_ptr_array_add(argv, g_strdup("-drive"));
		g_ptr_array_add(argv,
				g_strdup_printf("if=none,id=disk0,format=raw,cache=none,file=%s",
						self->disk));
		g_ptr_array_add(argv, g_strdup("-device"));
		g_ptr_array_add(argv, g_strdup("virtio-blk-pci,drive=disk0"));
	}
	g_ptr_array_add(argv, NULL);
	self->launch_us = g_get_monotonic_time();
	cc_qemu_launch_async(self->member, (const gchar *const *)argv->pdata, NULL,
			     cc_daemon_run_once_launch_cb, self);
	return TRUE;
}

/* ---------------------------------------------------------------- daemon */

static gboolean
cc_daemon_signal_cb(gpointer data)
{
	CcDaemon *self = data;
	g_info("signal received, exiting; members keep running");
	g_main_loop_quit(self->loop);
	return G_SOURCE_CONTINUE;
}

static gboolean
cc_daemon_mkdir(const gchar *what, const gchar *path, GError **error)
{
	if (g_mkdir_with_parents(path, 0750) == 0)
		return TRUE;
	g_set_error(error, COLO_ERROR, COLO_ERROR_INVALID_INPUT, "cannot create %s dir %s: %s",
		    what, path, g_strerror(errno));
	return FALSE;
}

static gboolean
cc_daemon_serve(CcDaemon *self, GError **error)
{
	g_autofree gchar *db = NULL;
	g_autofree gchar *sock = NULL;

	if (!cc_daemon_mkdir("state", self->config->state_dir, error) ||
	    !cc_daemon_mkdir("runtime", self->config->runtime_dir, error))
		return FALSE;
	if (!cc_daemon_setup_backend(self, error))
		return FALSE;
	db = g_build_filename(self->config->state_dir, "coloctld.db", NULL);
	self->store = cc_store_open_default(db, error);
	if (self->store == NULL)
		return FALSE;
	self->engine = cc_engine_new(self->config, self->store, self->plugins, error);
	if (self->engine == NULL)
		return FALSE;
	self->api = cc_api_new(self->engine, error);
	if (self->api == NULL)
		return FALSE;
	sock = g_build_filename(self->config->runtime_dir, "coloctld.sock", NULL);
	if (!cc_api_listen_unix(self->api, sock, error))
		return FALSE;
	if (self->config->api_tcp != NULL &&
	    !cc_api_listen_tcp(self->api, self->config->api_tcp, self->config->api_token_file,
			       self->config->api_tls_certificate, self->config->api_tls_key,
			       error)) {
		g_prefix_error(error, "api tcp %s: ", self->config->api_tcp);
		return FALSE;
	}
	if (!cc_engine_start(self->engine, error))
		return FALSE;
	g_unix_signal_add(SIGTERM, cc_daemon_signal_cb, self);
	g_unix_signal_add(SIGINT, cc_daemon_signal_cb, self);
	g_message("coloctld %s ready: config %s, state %s, API %s%s%s", PACKAGE_VERSION,
		  self->config->path != NULL ? self->config->path : "(embedded defaults)", db, sock,
		  self->config->api_tcp != NULL ? " and tcp " : "",
		  self->config->api_tcp != NULL ? self->config->api_tcp : "");
	return TRUE;
}

static gboolean
cc_daemon_start(CcDaemon *self, gboolean run_once, GError **error)
{
	self->config = cc_config_load_default(error);
	if (self->config == NULL)
		return FALSE;
	if (self->probe)
		return cc_daemon_probe(self, error);
	if (run_once)
		return cc_daemon_run_once(self, error);
	return cc_daemon_serve(self, error);
}

int
main(int argc, char *argv[])
{
	g_autoptr(CcDaemon) self = g_new0(CcDaemon, 1);
	g_autoptr(GOptionContext) context = NULL;
	g_autoptr(GError) error = NULL;
	gboolean version = FALSE;
	gboolean run_once = FALSE;
	gboolean list_routes = FALSE;
	gint ready_timeout = 120;
	const GOptionEntry entries[] = {
		{"version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL},
		{"verbose", 'v', 0, G_OPTION_ARG_NONE, &self->verbose, "Print every event", NULL},
		{"list-routes", 0, 0, G_OPTION_ARG_NONE, &list_routes,
		 "Print the REST routes this daemon serves and exit", NULL},
		{"probe-qemu", 0, G_OPTION_FLAG_OPTIONAL_ARG, G_OPTION_ARG_CALLBACK,
		 cc_daemon_probe_opt_cb,
		 "Probe a QEMU binary (default: the configured one), print JSON, exit", "BINARY"},
		{"run-once", 0, 0, G_OPTION_ARG_NONE, &run_once,
		 "Launch one guest, print its capabilities, wait until it is ready, stop it", NULL},
		{"kernel", 0, 0, G_OPTION_ARG_FILENAME, &self->kernel, "Guest kernel (--run-once)",
		 "PATH"},
		{"initrd", 0, 0, G_OPTION_ARG_FILENAME, &self->initrd, "Guest initrd (--run-once)",
		 "PATH"},
		{"append", 0, 0, G_OPTION_ARG_STRING, &self->append,
		 "Extra kernel command line (--run-once)", "ARGS"},
		{"disk", 0, 0, G_OPTION_ARG_FILENAME, &self->disk, "Raw disk image (--run-once)",
		 "PATH"},
		{"memory", 0, 0, G_OPTION_ARG_INT, &self->memory_mib, "Guest memory in MiB", "MIB"},
		{"ready-timeout", 0, 0, G_OPTION_ARG_INT, &ready_timeout,
		 "Seconds to wait for the guest's ready marker (--run-once)", "S"},
		{NULL}};

	setlocale(LC_ALL, "");
	self->memory_mib = 256;
	daemon_for_options = self;
	context = g_option_context_new("- the coloctl controller daemon");
	g_option_context_add_main_entries(context, entries, NULL);
	if (!g_option_context_parse(context, &argc, &argv, &error)) {
		g_printerr("coloctld: %s\n", error->message);
		return 2;
	}
	if (version) {
		g_print("coloctld %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (list_routes) {
		g_autoptr(GPtrArray) routes = cc_api_dup_routes();
		for (guint i = 0; i < routes->len; i++)
			g_print("%s\n", (const gchar *)g_ptr_array_index(routes, i));
		return 0;
	}
	if (self->memory_mib < 16 || ready_timeout < 1) {
		g_printerr("coloctld: --memory must be at least 16 and --ready-timeout positive\n");
		return 2;
	}
	self->ready_timeout_s = (guint)ready_timeout;
	self->loop = g_main_loop_new(NULL, FALSE);
	if (!cc_daemon_start(self, run_once, &error)) {
		g_printerr("coloctld: %s\n", error->message);
		return 1;
	}
	g_main_loop_run(self->loop);
	if (self->engine != NULL)
		cc_engine_shutdown(self->engine);
	return self->exit_code;
}
