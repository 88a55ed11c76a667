/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "CcBackendQemu"

#include "config.h"

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "cc-backend-qemu.h"
#include "colo-error.h"

#define CC_QMP_CHILD_FD 3

struct _CcBackendQemu {
	CcBackend parent_instance;
};

G_DEFINE_TYPE(CcBackendQemu, cc_backend_qemu, CC_TYPE_BACKEND)

static const CcPluginInfo plugin_info = {
	.abi_version = CC_BACKEND_ABI_VERSION,
	.name = "qemu",
	.description = "launches qemu-system directly, optionally in a network namespace",
	.get_type = cc_backend_qemu_get_type,
};

const CcPluginInfo *
cc_plugin_qemu_info(void)
{
	return &plugin_info;
}

typedef struct {
	gint netns_fd;
} CcChildSetup;

/* runs in the child between fork and exec: async-signal-safe calls only */
static void
cc_backend_qemu_child_setup(gpointer user_data)
{
	CcChildSetup *setup = user_data;
	/* own session: a signal to the daemon's process group never reaches guests */
	setsid();
	if (setup->netns_fd >= 0 && setns(setup->netns_fd, CLONE_NEWNET) != 0)
		_exit(127);
}

static GSocket *
cc_backend_qemu_listen(const gchar *path, GError **error)
{
	g_autoptr(GSocket) sock = NULL;
	g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(path);
	g_autoptr(GError) error_local = NULL;

	if (g_unlink(path) != 0 && errno != ENOENT) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_SPAWN,
			    "cannot remove stale monitor socket %s: %s", path, g_strerror(errno));
		return NULL;
	}
	sock = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT,
			    &error_local);
	if (sock == NULL || !g_socket_bind(sock, addr, FALSE, &error_local) ||
	    !g_socket_listen(sock, &error_local)) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_SPAWN,
			    "cannot listen on monitor socket %s: %s", path, error_local->message);
		return NULL;
	}
	if (chmod(path, 0600) != 0)
		g_debug("chmod %s: %s", path, g_strerror(errno));
	return g_steal_pointer(&sock);
}

static gint
cc_backend_qemu_open_log(const gchar *path, const gchar *const *argv, GError **error)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_local();
	g_autofree gchar *stamp = g_date_time_format_iso8601(now);
	g_autofree gchar *cmdline = g_strjoinv(" ", (gchar **)argv);
	g_autofree gchar *header = NULL;
	gint fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

	if (fd < 0) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_SPAWN, "cannot open log %s: %s", path,
			    g_strerror(errno));
		return -1;
	}
	header = g_strdup_printf("# coloctld %s: starting: %s\n", stamp, cmdline);
	if (write(fd, header, strlen(header)) < 0)
		g_debug("cannot write log header: %s", g_strerror(errno));
	return fd;
}

static GPtrArray *
cc_backend_qemu_build_argv(const CcLaunchSpec *spec)
{
	GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; spec->argv[i] != NULL; i++)
		g_ptr_array_add(argv, g_strdup(spec->argv[i]));
	g_ptr_array_add(argv, g_strdup("-name"));
	g_ptr_array_add(argv, g_strdup_printf("guest=%s", spec->name));
	g_ptr_array_add(argv, g_strdup("-chardev"));
	g_ptr_array_add(argv, g_strdup_printf("socket,id=cc-qmp,fd=%d,server=on,wait=off",
					      CC_QMP_CHILD_FD));
	g_ptr_array_add(argv, g_strdup("-mon"));
	g_ptr_array_add(argv, g_strdup("chardev=cc-qmp,mode=control"));
	g_ptr_array_add(argv, NULL);
	return argv;
}

static gint
cc_backend_qemu_open_netns(const gchar *netns, GError **error)
{
	g_autofree gchar *path = NULL;
	gint fd;

	if (netns == NULL || netns[0] == '\0')
		return -1;
	path = g_build_filename("/run/netns", netns, NULL);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		g_set_error(error, COLO_ERROR, COLO_ERROR_SPAWN, "network namespace %s: %s", netns,
			    g_strerror(errno));
	return fd;
}

static CcProcess *
cc_backend_qemu_launch(CcBackend *backend, const CcLaunchSpec *spec, GError **error)
{
	g_autoptr(GSocket) sock = NULL;
	g_autoptr(GPtrArray) argv = NULL;
	g_autoptr(GError) error_local = NULL;
	CcChildSetup setup = {.netns_fd = -1};
	gint log_fd;
	gint source_fds[1];
	gint target_fds[1] = {CC_QMP_CHILD_FD};
	GPid pid = 0;
	gboolean ok;

	if (spec->argv == NULL || spec->argv[0] == NULL) {
		g_set_error_literal(error, COLO_ERROR, COLO_ERROR_SPAWN, "empty command line");
		return NULL;
	}
	setup.netns_fd = cc_backend_qemu_open_netns(spec->netns, error);
	if (spec->netns != NULL && setup.netns_fd < 0)
		return NULL;
	sock = cc_backend_qemu_listen(spec->qmp_path, error);
	if (sock == NULL) {
		if (setup.netns_fd >= 0)
			close(setup.netns_fd);
		return NULL;
	}
	argv = cc_backend_qemu_build_argv(spec);
	log_fd = cc_backend_qemu_open_log(spec->log_path, (const gchar *const *)argv->pdata, error);
	if (log_fd < 0) {
		if (setup.netns_fd >= 0)
			close(setup.netns_fd);
		return NULL;
	}
	source_fds[0] = g_socket_get_fd(sock);
	ok = g_spawn_async_with_pipes_and_fds(
		NULL, (const gchar *const *)argv->pdata, NULL,
		G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDIN_FROM_DEV_NULL,
		cc_backend_qemu_child_setup, &setup, -1, log_fd, log_fd, source_fds, target_fds, 1,
		&pid, NULL, NULL, NULL, &error_local);
	close(log_fd);
	if (setup.netns_fd >= 0)
		close(setup.netns_fd);
	/* QEMU holds the listening socket now; ours goes, the path stays */
	g_socket_close(sock, NULL);
	if (!ok) {
		g_unlink(spec->qmp_path);
		g_set_error(error, COLO_ERROR, COLO_ERROR_SPAWN, "cannot run %s: %s", spec->argv[0],
			    error_local->message);
		return NULL;
	}
	return cc_process_new_child(pid);
}

static void
cc_backend_qemu_init(CcBackendQemu *self)
{
}

static void
cc_backend_qemu_class_init(CcBackendQemuClass *klass)
{
	CcBackendClass *backend_class = CC_BACKEND_CLASS(klass);
	backend_class->launch = cc_backend_qemu_launch;
}
