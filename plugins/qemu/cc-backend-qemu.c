/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "CcBackendQemu"

#include "config.h"

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include <linux/sockios.h>

#include "cc-backend-qemu.h"
#include "colo-error.h"

#define CC_QMP_CHILD_FD CC_BACKEND_QMP_FD
#define CC_TAP_CHILD_FD CC_BACKEND_TAP_FD

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
	static const gchar msg[] = "coloctld: cannot enter the network namespace (setns)\n";
	CcChildSetup *setup = user_data;

	/* own session: a signal to the daemon's process group never reaches guests */
	setsid();
	if (setup->netns_fd >= 0 && setns(setup->netns_fd, CLONE_NEWNET) != 0) {
		/* stderr is the member's log; if that write fails there is nobody to tell */
		ssize_t n = write(STDERR_FILENO, msg, sizeof(msg) - 1);
		(void)n;
		_exit(127);
	}
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
	if (fd < 0) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_SPAWN, "network namespace %s: %s", netns,
			    g_strerror(errno));
		return -1;
	}
	/*
	 * The child uses this descriptor after its fds were remapped: it must not be
	 * one of the target numbers, or dup2() to 3 or 4 would replace it first.
	 */
	if (fd <= CC_BACKEND_TAP_FD) {
		gint high = fcntl(fd, F_DUPFD_CLOEXEC, CC_BACKEND_TAP_FD + 1);
		gint saved = errno;
		close(fd);
		if (high < 0) {
			g_set_error(error, COLO_ERROR, COLO_ERROR_SPAWN, "network namespace %s: %s",
				    netns, g_strerror(saved));
			return -1;
		}
		fd = high;
	}
	return fd;
}

/* a tap made in another network namespace, by a thread that alone enters it */
typedef struct {
	gint netns_fd; /* -1: the daemon's own namespace */
	const gchar *ifname;
	const gchar *bridge;
	gint tap_fd;            /* out: the tap, O_CLOEXEC, or -1 */
	gint err;               /* out: errno of the step that failed */
	const gchar *what;      /* out: the step that failed */
	gboolean attach_failed; /* out: the bridge refused the tap (or there is none) */
} CcTapJob;

static gint
cc_backend_qemu_ifreq(gint sock, unsigned long request, struct ifreq *ifr)
{
	return ioctl(sock, request, ifr) == 0 ? 0 : errno;
}

static void
cc_backend_qemu_tap_fail(CcTapJob *job, const gchar *what, gint err)
{
	job->what = what;
	job->err = err;
}

static gpointer
cc_backend_qemu_tap_thread(gpointer user_data)
{
	CcTapJob *job = user_data;
	struct ifreq ifr;
	gint sock = -1;
	gint fd;
	gint ifindex;
	gint mtu_err;
	gint err;

	/* CLONE_NEWNET changes this thread only; it dies right after */
	if (job->netns_fd >= 0 && setns(job->netns_fd, CLONE_NEWNET) != 0) {
		cc_backend_qemu_tap_fail(job, "cannot enter the namespace", errno);
		return NULL;
	}
	/* the tap belongs to the namespace of the thread that opens /dev/net/tun */
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		cc_backend_qemu_tap_fail(job, "cannot open /dev/net/tun", errno);
		return NULL;
	}
	memset(&ifr, 0, sizeof(ifr));
	g_strlcpy(ifr.ifr_name, job->ifname, sizeof(ifr.ifr_name));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if ((err = cc_backend_qemu_ifreq(fd, TUNSETIFF, &ifr)) != 0) {
		cc_backend_qemu_tap_fail(job, "cannot create tap", err);
		goto fail;
	}
	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0) {
		cc_backend_qemu_tap_fail(job, "socket", errno);
		goto fail;
	}
	memset(&ifr, 0, sizeof(ifr));
	g_strlcpy(ifr.ifr_name, job->ifname, sizeof(ifr.ifr_name));
	if ((err = cc_backend_qemu_ifreq(sock, SIOCGIFINDEX, &ifr)) != 0) {
		cc_backend_qemu_tap_fail(job, "cannot find tap", err);
		goto fail;
	}
	ifindex = ifr.ifr_ifindex;
	/* the bridge's MTU, as qemu-bridge-helper does: a port must not lower it */
	memset(&ifr, 0, sizeof(ifr));
	g_strlcpy(ifr.ifr_name, job->bridge, sizeof(ifr.ifr_name));
	if ((err = cc_backend_qemu_ifreq(sock, SIOCGIFMTU, &ifr)) != 0) {
		cc_backend_qemu_tap_fail(job, "cannot attach", err);
		job->attach_failed = TRUE;
		goto fail;
	}
	g_strlcpy(ifr.ifr_name, job->ifname, sizeof(ifr.ifr_name));
	/* a failure waits for the attach: "not a bridge" says more than a bad MTU */
	mtu_err = cc_backend_qemu_ifreq(sock, SIOCSIFMTU, &ifr);
	memset(&ifr, 0, sizeof(ifr));
	g_strlcpy(ifr.ifr_name, job->bridge, sizeof(ifr.ifr_name));
	ifr.ifr_ifindex = ifindex;
	if ((err = cc_backend_qemu_ifreq(sock, SIOCBRADDIF, &ifr)) != 0) {
		cc_backend_qemu_tap_fail(job, "cannot attach", err);
		job->attach_failed = TRUE;
		goto fail;
	}
	if (mtu_err != 0) {
		cc_backend_qemu_tap_fail(job, "cannot give the tap the bridge's MTU", mtu_err);
		goto fail;
	}
	memset(&ifr, 0, sizeof(ifr));
	g_strlcpy(ifr.ifr_name, job->ifname, sizeof(ifr.ifr_name));
	if ((err = cc_backend_qemu_ifreq(sock, SIOCGIFFLAGS, &ifr)) == 0) {
		ifr.ifr_flags |= IFF_UP;
		err = cc_backend_qemu_ifreq(sock, SIOCSIFFLAGS, &ifr);
	}
	if (err != 0) {
		cc_backend_qemu_tap_fail(job, "cannot bring up", err);
		goto fail;
	}
	close(sock);
	job->tap_fd = fd;
	return NULL;

fail:
	if (sock >= 0)
		close(sock);
	/* the tap is not persistent: closing its only descriptor removes it */
	close(fd);
	return NULL;
}

/* returns the tap's descriptor (O_CLOEXEC) or -1 with @error set */
static gint
cc_backend_qemu_open_tap(const CcLaunchSpec *spec, gint netns_fd, GError **error)
{
	g_autofree gchar *derived = NULL;
	g_autofree gchar *where = NULL;
	g_autoptr(GError) error_local = NULL;
	CcTapJob job = {.netns_fd = netns_fd, .bridge = spec->tap_bridge, .tap_fd = -1};
	GThread *thread;

	job.ifname = spec->tap_name;
	if (job.ifname == NULL && spec->name != NULL)
		job.ifname = derived = cc_backend_tap_name(spec->name);
	if (!cc_backend_ifname_valid(job.ifname)) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_INVALID_INPUT,
			    "invalid tap name \"%s\": 1 to 15 characters, no '/', ':' or space",
			    job.ifname != NULL ? job.ifname : "(null)");
		return -1;
	}
	if (!cc_backend_ifname_valid(job.bridge)) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_INVALID_INPUT,
			    "invalid bridge name \"%s\": 1 to 15 characters, no '/', ':' or space",
			    job.bridge != NULL ? job.bridge : "(null)");
		return -1;
	}
	thread = g_thread_try_new("cc-tap", cc_backend_qemu_tap_thread, &job, &error_local);
	if (thread == NULL) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_SPAWN, "tap %s: %s", job.ifname,
			    error_local->message);
		return -1;
	}
	g_thread_join(thread);
	if (job.tap_fd >= 0)
		return job.tap_fd;
	where = spec->netns != NULL && spec->netns[0] != '\0'
			? g_strdup_printf("in netns %s", spec->netns)
			: g_strdup("in the daemon's network namespace");
	if (job.attach_failed)
		g_set_error(error, COLO_ERROR, COLO_ERROR_SPAWN,
			    "cannot attach tap %s to bridge %s %s: %s", job.ifname, job.bridge,
			    where, g_strerror(job.err));
	else
		g_set_error(error, COLO_ERROR, COLO_ERROR_SPAWN, "tap %s for bridge %s %s: %s: %s",
			    job.ifname, job.bridge, where, job.what, g_strerror(job.err));
	return -1;
}

static CcProcess *
cc_backend_qemu_launch(CcBackend *backend, const CcLaunchSpec *spec, GError **error)
{
	g_autoptr(GSocket) sock = NULL;
	g_autoptr(GPtrArray) argv = NULL;
	g_autoptr(GError) error_local = NULL;
	CcChildSetup setup = {.netns_fd = -1};
	gint log_fd = -1;
	gint tap_fd = -1;
	gint source_fds[2];
	gint target_fds[2] = {CC_QMP_CHILD_FD, CC_TAP_CHILD_FD};
	guint n_fds = 1;
	GPid pid = 0;
	gboolean ok;

	if (spec->argv == NULL || spec->argv[0] == NULL) {
		g_set_error_literal(error, COLO_ERROR, COLO_ERROR_SPAWN, "empty command line");
		return NULL;
	}
	setup.netns_fd = cc_backend_qemu_open_netns(spec->netns, error);
	if (spec->netns != NULL && spec->netns[0] != '\0' && setup.netns_fd < 0)
		return NULL;
	if (spec->tap_bridge != NULL) {
		tap_fd = cc_backend_qemu_open_tap(spec, setup.netns_fd, error);
		if (tap_fd < 0)
			goto fail;
	}
	sock = cc_backend_qemu_listen(spec->qmp_path, error);
	if (sock == NULL)
		goto fail;
	argv = cc_backend_qemu_build_argv(spec);
	log_fd = cc_backend_qemu_open_log(spec->log_path, (const gchar *const *)argv->pdata, error);
	if (log_fd < 0)
		goto fail;
	source_fds[0] = g_socket_get_fd(sock);
	if (tap_fd >= 0) {
		source_fds[1] = tap_fd;
		n_fds = 2;
	}
	ok = g_spawn_async_with_pipes_and_fds(
		NULL, (const gchar *const *)argv->pdata, NULL,
		G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDIN_FROM_DEV_NULL,
		cc_backend_qemu_child_setup, &setup, -1, log_fd, log_fd, source_fds, target_fds,
		n_fds, &pid, NULL, NULL, NULL, &error_local);
	close(log_fd);
	if (setup.netns_fd >= 0)
		close(setup.netns_fd);
	/* the child holds the only tap descriptor now: the tap dies with it */
	if (tap_fd >= 0)
		close(tap_fd);
	/* QEMU holds the listening socket now; ours goes, the path stays */
	g_socket_close(sock, NULL);
	if (!ok) {
		g_unlink(spec->qmp_path);
		g_set_error(error, COLO_ERROR, COLO_ERROR_SPAWN, "cannot run %s: %s", spec->argv[0],
			    error_local->message);
		return NULL;
	}
	return cc_process_new_child(pid);

fail:
	if (sock != NULL) {
		g_socket_close(sock, NULL);
		g_unlink(spec->qmp_path);
	}
	if (tap_fd >= 0)
		close(tap_fd);
	if (setup.netns_fd >= 0)
		close(setup.netns_fd);
	return NULL;
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
