/*
 * A member's tap on a bridge in its host's network namespace, made by the qemu
 * backend itself (no qemu-bridge-helper, no /etc/qemu/bridge.conf): the tap is
 * on the bridge and up, QEMU holds it as fd 4, the tiny guest answers a TCP
 * echo through it, and the tap is gone once QEMU dies. A missing bridge is a
 * GError that names it.
 *
 * Needs root and /dev/net/tun; every test cleans up its namespace, also on a
 * failed assertion or a timeout (SIGABRT/SIGTERM handler).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cc-test-util.h"
#include "colo-error.h"

#define BRIDGE      "br0"
#define BRIDGE_ADDR "10.78.0.1/24"
#define GUEST_ADDR  "10.78.0.2"

/* what the signal handler must undo; plain buffers, set before anything can fail */
static gchar cleanup_ip[256];
static gchar cleanup_ns[32];
static volatile sig_atomic_t cleanup_pid;

static void
cleanup_netns_now(void)
{
	pid_t child;
	if (cleanup_pid > 0)
		kill(cleanup_pid, SIGKILL);
	if (cleanup_ns[0] == '\0' || cleanup_ip[0] == '\0')
		return;
	child = fork();
	if (child == 0) {
		char *const argv[] = {cleanup_ip, (char *)"netns", (char *)"del", cleanup_ns, NULL};
		gint devnull = open("/dev/null", O_WRONLY);
		if (devnull >= 0) {
			dup2(devnull, STDOUT_FILENO);
			dup2(devnull, STDERR_FILENO);
		}
		execv(cleanup_ip, argv);
		_exit(127);
	}
	if (child > 0)
		waitpid(child, NULL, 0);
}

static void
cleanup_signal_handler(int signo)
{
	cleanup_netns_now();
	cleanup_ns[0] = '\0';
	signal(signo, SIG_DFL);
	raise(signo);
}

/* runs `ip ARGS...`; returns its stdout, or NULL with @error set */
static gchar *
run_ip(GError **error, ...)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autofree gchar *out = NULL;
	g_autofree gchar *err = NULL;
	const gchar *arg;
	gint status = 0;
	va_list ap;

	g_ptr_array_add(argv, cleanup_ip);
	va_start(ap, error);
	while ((arg = va_arg(ap, const gchar *)) != NULL)
		g_ptr_array_add(argv, (gpointer)arg);
	va_end(ap);
	g_ptr_array_add(argv, NULL);
	if (!g_spawn_sync(NULL, (gchar **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out,
			  &err, &status, error))
		return NULL;
	if (!g_spawn_check_wait_status(status, NULL)) {
		g_autofree gchar *cmd = g_strjoinv(" ", (gchar **)argv->pdata);
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", cmd, g_strstrip(err));
		return NULL;
	}
	return g_steal_pointer(&out);
}

typedef struct {
	gchar *ns;
	gchar *dir;
	CcBackend *backend;
} Fixture;

static gboolean
fixture_skip(void)
{
	g_autofree gchar *ip = NULL;
	if (geteuid() != 0) {
		g_test_skip("taps and network namespaces need root");
		return TRUE;
	}
	if (access("/dev/net/tun", R_OK | W_OK) != 0) {
		g_test_skip("no /dev/net/tun");
		return TRUE;
	}
	ip = g_find_program_in_path("ip");
	if (ip == NULL) {
		g_test_skip("no ip(8) (iproute2)");
		return TRUE;
	}
	g_strlcpy(cleanup_ip, ip, sizeof(cleanup_ip));
	return FALSE;
}

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *out = NULL;
	static guint serial;

	if (fixture_skip())
		return;
	fx->ns = g_strdup_printf("cctap%d-%u", (gint)getpid(), serial++);
	g_strlcpy(cleanup_ns, fx->ns, sizeof(cleanup_ns));
	out = run_ip(&error, "netns", "add", fx->ns, NULL);
	g_assert_no_error(error);
	g_clear_pointer(&out, g_free);
	out = run_ip(&error, "-n", fx->ns, "link", "set", "lo", "up", NULL);
	g_assert_no_error(error);
	g_clear_pointer(&out, g_free);
	out = run_ip(&error, "-n", fx->ns, "link", "add", BRIDGE, "type", "bridge", NULL);
	g_assert_no_error(error);
	g_clear_pointer(&out, g_free);
	out = run_ip(&error, "-n", fx->ns, "addr", "add", BRIDGE_ADDR, "dev", BRIDGE, NULL);
	g_assert_no_error(error);
	g_clear_pointer(&out, g_free);
	out = run_ip(&error, "-n", fx->ns, "link", "set", BRIDGE, "up", NULL);
	g_assert_no_error(error);
	fx->dir = cc_test_tmpdir();
	fx->backend = cc_test_backend();
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
	if (fx->ns == NULL)
		return;
	cleanup_netns_now();
	cleanup_ns[0] = '\0';
	cleanup_pid = 0;
	g_clear_object(&fx->backend);
	if (fx->dir != NULL)
		cc_test_rm_tmpdir(fx->dir);
	g_free(fx->dir);
	g_free(fx->ns);
}

/* `ip -j link show dev NAME` in the namespace: the link's JSON object, or NULL if none */
static JsonNode *
link_show(const gchar *ns, const gchar *ifname)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *out = run_ip(&error, "-n", ns, "-j", "link", "show", "dev", ifname, NULL);
	g_autoptr(JsonParser) parser = json_parser_new();
	JsonArray *links;

	if (out == NULL)
		return NULL;
	json_parser_load_from_data(parser, out, -1, &error);
	g_assert_no_error(error);
	links = json_node_get_array(json_parser_get_root(parser));
	g_assert_cmpuint(json_array_get_length(links), ==, 1);
	return json_node_copy(json_array_get_element(links, 0));
}

static gboolean
link_has_flag(JsonObject *link, const gchar *flag)
{
	JsonArray *flags = json_object_get_array_member(link, "flags");
	for (guint i = 0; flags != NULL && i < json_array_get_length(flags); i++) {
		if (g_strcmp0(json_array_get_string_element(flags, i), flag) == 0)
			return TRUE;
	}
	return FALSE;
}

/* the descriptors of @pid that are a /dev/net/tun, as "fd:iff" strings */
static GPtrArray *
tun_fds(GPid pid)
{
	GPtrArray *found = g_ptr_array_new_with_free_func(g_free);
	g_autofree gchar *fd_dir = g_strdup_printf("/proc/%d/fd", (gint)pid);
	g_autoptr(GDir) dir = g_dir_open(fd_dir, 0, NULL);
	const gchar *fn;

	g_assert_nonnull(dir);
	while ((fn = g_dir_read_name(dir)) != NULL) {
		g_autofree gchar *link = g_build_filename(fd_dir, fn, NULL);
		g_autofree gchar *target = g_file_read_link(link, NULL);
		g_autofree gchar *info_path = NULL;
		g_autofree gchar *info = NULL;
		const gchar *iff;
		if (g_strcmp0(target, "/dev/net/tun") != 0)
			continue;
		info_path = g_strdup_printf("/proc/%d/fdinfo/%s", (gint)pid, fn);
		g_file_get_contents(info_path, &info, NULL, NULL);
		iff = info != NULL ? strstr(info, "iff:") : NULL;
		if (iff != NULL) {
			g_autofree gchar *name = g_strndup(iff + 4, strcspn(iff + 4, "\n"));
			g_ptr_array_add(found, g_strdup_printf("%s:%s", fn, g_strstrip(name)));
		} else {
			g_ptr_array_add(found, g_strdup_printf("%s:", fn));
		}
	}
	return found;
}

static gboolean
file_contains(const gchar *path, const gchar *needle)
{
	g_autofree gchar *text = NULL;
	return g_file_get_contents(path, &text, NULL, NULL) && strstr(text, needle) != NULL;
}

static void
dump_file(const gchar *what, const gchar *path)
{
	g_autofree gchar *text = NULL;
	if (g_file_get_contents(path, &text, NULL, NULL)) {
		gsize len = strlen(text);
		g_test_message("%s (last 2000 bytes):\n%s", what,
			       text + (len > 2000 ? len - 2000 : 0));
	}
}

/* a TCP echo round trip from inside the namespace, in a thread that alone enters it */
typedef struct {
	const gchar *ns;
	gsize sent;
	gsize echoed;
	gint connect_tries;
	gchar *error;
} EchoJob;

static gpointer
echo_thread(gpointer user_data)
{
	EchoJob *job = user_data;
	g_autofree gchar *ns_path = g_build_filename("/run/netns", job->ns, NULL);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(7)};
	struct timeval tv = {.tv_sec = 5};
	guint8 out[4096];
	guint8 in[4096];
	gint nsfd = open(ns_path, O_RDONLY | O_CLOEXEC);
	gint sock = -1;

	if (nsfd < 0 || setns(nsfd, CLONE_NEWNET) != 0) {
		job->error = g_strdup_printf("enter %s: %s", job->ns, g_strerror(errno));
		goto out;
	}
	inet_pton(AF_INET, GUEST_ADDR, &sa.sin_addr);
	/* the guest is up; ARP and the echo server may need a moment */
	for (gint64 end = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;;) {
		sock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		job->connect_tries++;
		if (connect(sock, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			break;
		if (g_get_monotonic_time() > end) {
			job->error =
				g_strdup_printf("connect %s:7: %s", GUEST_ADDR, g_strerror(errno));
			goto out;
		}
		close(sock);
		sock = -1;
		g_usleep(200 * 1000);
	}
	for (guint round = 0; round < 16; round++) {
		gsize got = 0;
		for (gsize i = 0; i < sizeof(out); i++)
			out[i] = (guint8)g_random_int();
		if (send(sock, out, sizeof(out), MSG_NOSIGNAL) != (gssize)sizeof(out)) {
			job->error = g_strdup_printf("send: %s", g_strerror(errno));
			goto out;
		}
		job->sent += sizeof(out);
		while (got < sizeof(in)) {
			gssize n = recv(sock, in + got, sizeof(in) - got, 0);
			if (n <= 0) {
				job->error = g_strdup_printf(
					"recv after %" G_GSIZE_FORMAT " bytes: %s",
					job->echoed + got, n == 0 ? "EOF" : g_strerror(errno));
				goto out;
			}
			got += n;
		}
		if (memcmp(in, out, sizeof(in)) != 0) {
			job->error = g_strdup_printf("echo differs in round %u", round);
			goto out;
		}
		job->echoed += got;
	}
out:
	if (sock >= 0)
		close(sock);
	if (nsfd >= 0)
		close(nsfd);
	return NULL;
}

static void
wait_exited(CcProcess *process)
{
	for (guint i = 0; i < 10000 && !cc_process_get_exited(process); i++)
		cc_test_spin(1);
	g_assert_true(cc_process_get_exited(process));
}

static void
test_tap_name(void)
{
	g_autofree gchar *a = cc_backend_tap_name("guest-primary");
	g_autofree gchar *a2 = cc_backend_tap_name("guest-primary");
	g_autofree gchar *b = cc_backend_tap_name("guest-m2");
	g_autofree gchar *long_name =
		cc_backend_tap_name("a-member-name-much-longer-than-an-interface-name-may-ever-be");

	g_assert_cmpstr(a, ==, a2);
	g_assert_cmpstr(a, !=, b);
	g_assert_true(g_str_has_prefix(a, "cc-"));
	g_assert_cmpuint(strlen(a), ==, 15);
	g_assert_cmpuint(strlen(long_name), ==, 15);
	g_assert_true(cc_backend_ifname_valid(a));
	g_assert_true(cc_backend_ifname_valid("br0"));
	g_assert_true(cc_backend_ifname_valid("abcdefghijklmno"));
	g_assert_false(cc_backend_ifname_valid("abcdefghijklmnop"));
	g_assert_false(cc_backend_ifname_valid(""));
	g_assert_false(cc_backend_ifname_valid(NULL));
	g_assert_false(cc_backend_ifname_valid(".."));
	g_assert_false(cc_backend_ifname_valid("a/b"));
	g_assert_false(cc_backend_ifname_valid("a:1"));
	g_assert_false(cc_backend_ifname_valid("a b"));
}

/* a real guest on the bridge: tap up and enslaved, echo through it, gone after QEMU */
static void
test_tap_guest(Fixture *fx, gconstpointer data)
{
	const gchar *name = "tap-guest";
	g_autofree gchar *tap = cc_backend_tap_name(name);
	g_autofree gchar *qmp = g_build_filename(fx->dir, "m.qmp", NULL);
	g_autofree gchar *log = g_build_filename(fx->dir, "m.log", NULL);
	g_autofree gchar *serial = g_build_filename(fx->dir, "serial.log", NULL);
	g_autofree gchar *serial_arg = g_strdup_printf("file:%s", serial);
	g_autofree gchar *kernel = NULL;
	g_autofree gchar *initrd = NULL;
	g_autoptr(CcProcess) process = NULL;
	g_autoptr(CcProcess) second = NULL;
	g_autoptr(JsonNode) link = NULL;
	g_autoptr(GPtrArray) ours = NULL;
	g_autoptr(GPtrArray) theirs = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *expect_fd = NULL;
	g_autofree gchar *self_ns = NULL;
	g_autofree gchar *ns_path = NULL;
	EchoJob echo = {0};
	CcLaunchSpec spec = {0};
	JsonObject *obj;
	gboolean ready = FALSE;
	gint64 start;
	GPid pid;

	if (fx->ns == NULL)
		return;
	kernel = g_strdup(cc_test_env("COLOCTL_TEST_GUEST_KERNEL"));
	initrd = g_strdup(cc_test_env("COLOCTL_TEST_GUEST_INITRD"));
	if (!g_file_test(kernel, G_FILE_TEST_EXISTS) || !g_file_test(initrd, G_FILE_TEST_EXISTS) ||
	    !g_file_test(cc_test_env("COLOCTL_TEST_QEMU"), G_FILE_TEST_IS_EXECUTABLE)) {
		g_test_skip("no QEMU or no guest image");
		return;
	}
	{
		const gchar *argv[] = {cc_test_env("COLOCTL_TEST_QEMU"),
				       "-machine",
				       "pc",
				       "-accel",
				       "tcg",
				       "-m",
				       "256",
				       "-nodefaults",
				       "-display",
				       "none",
				       "-no-reboot",
				       "-kernel",
				       kernel,
				       "-initrd",
				       initrd,
				       "-append",
				       "console=ttyS0 panic=-1 coloctl.ip=" GUEST_ADDR "/24",
				       "-serial",
				       serial_arg,
				       "-netdev",
				       CC_BACKEND_TAP_NETDEV,
				       "-device",
				       "virtio-net-pci,netdev=hn0,mac=52:54:00:78:00:02",
				       NULL};
		g_assert_cmpstr(CC_BACKEND_TAP_NETDEV, ==, "tap,id=hn0,fd=4,vhost=off");
		spec.name = name;
		spec.argv = argv;
		spec.qmp_path = qmp;
		spec.log_path = log;
		spec.netns = fx->ns;
		spec.tap_bridge = BRIDGE;
		process = cc_backend_launch(fx->backend, &spec, &error);
		g_assert_no_error(error);
		g_assert_nonnull(process);
		pid = cc_process_get_pid(process);
		cleanup_pid = pid;
		g_test_message("QEMU %d, tap %s on %s in %s", (gint)pid, tap, BRIDGE, fx->ns);

		/* the same tap name while QEMU holds it: a clear error, nothing spawned */
		second = cc_backend_launch(fx->backend, &spec, &error);
		g_assert_null(second);
		g_assert_error(error, COLO_ERROR, COLO_ERROR_SPAWN);
		g_test_message("second launch: %s", error->message);
		g_assert_nonnull(strstr(error->message, tap));
		g_assert_nonnull(strstr(error->message, fx->ns));
		g_clear_error(&error);
	}

	/* QEMU runs in the namespace and holds the tap as fd 4, and only there */
	ns_path = g_build_filename("/run/netns", fx->ns, NULL);
	self_ns = g_strdup_printf("/proc/%d/ns/net", (gint)pid);
	{
		GStatBuf a, b;
		g_assert_cmpint(g_stat(ns_path, &a), ==, 0);
		g_assert_cmpint(g_stat(self_ns, &b), ==, 0);
		g_assert_cmpuint(a.st_ino, ==, b.st_ino);
	}
	theirs = tun_fds(pid);
	expect_fd = g_strdup_printf("%d:%s", CC_BACKEND_TAP_FD, tap);
	g_assert_cmpuint(theirs->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(theirs, 0), ==, expect_fd);
	ours = tun_fds(getpid());
	g_assert_cmpuint(ours->len, ==, 0);

	/* on the bridge, up */
	link = link_show(fx->ns, tap);
	g_assert_nonnull(link);
	obj = json_node_get_object(link);
	g_assert_cmpstr(json_object_get_string_member_with_default(obj, "master", ""), ==, BRIDGE);
	g_assert_true(link_has_flag(obj, "UP"));
	g_test_message("tap %s: master %s, operstate %s", tap,
		       json_object_get_string_member_with_default(obj, "master", "-"),
		       json_object_get_string_member_with_default(obj, "operstate", "-"));

	/* the guest boots and answers through the tap */
	start = g_get_monotonic_time();
	while (!ready && g_get_monotonic_time() - start < 120 * G_USEC_PER_SEC &&
	       !cc_process_get_exited(process)) {
		cc_test_spin(200);
		ready = file_contains(serial, "COLOCTL-GUEST-READY");
	}
	if (!ready) {
		dump_file("serial", serial);
		dump_file("QEMU log", log);
	}
	g_assert_true(ready);
	g_test_message("guest ready after %.1f s",
		       (g_get_monotonic_time() - start) / (gdouble)G_USEC_PER_SEC);
	{
		GThread *thread;
		echo.ns = fx->ns;
		thread = g_thread_new("echo", echo_thread, &echo);
		g_thread_join(thread);
	}
	if (echo.error != NULL) {
		g_test_message("echo: %s", echo.error);
		dump_file("serial", serial);
	}
	g_assert_null(echo.error);
	g_test_message("echo: %" G_GSIZE_FORMAT " bytes through the tap (%d connect tries)",
		       echo.echoed, echo.connect_tries);
	g_assert_cmpuint(echo.echoed, ==, 16 * 4096);

	/* QEMU dies: the tap goes with it */
	g_assert_true(cc_process_kill(process, SIGKILL, &error));
	g_assert_no_error(error);
	wait_exited(process);
	cleanup_pid = 0;
	g_clear_pointer(&link, json_node_unref);
	for (guint i = 0; i < 40; i++) {
		link = link_show(fx->ns, tap);
		if (link == NULL)
			break;
		g_clear_pointer(&link, json_node_unref);
		cc_test_spin(50);
	}
	g_assert_null(link);
	/* the bridge is still there */
	link = link_show(fx->ns, BRIDGE);
	g_assert_nonnull(link);
	g_free(echo.error);
}

/* a bridge that does not exist: a GError naming bridge, tap and namespace; nothing left */
static void
test_tap_no_bridge(Fixture *fx, gconstpointer data)
{
	const gchar *argv[] = {cc_test_env("FAKE_QMP"), NULL};
	g_autofree gchar *qmp = NULL;
	g_autofree gchar *log = NULL;
	g_autofree gchar *tap = cc_backend_tap_name("tap-nobridge");
	g_autofree gchar *expect = NULL;
	g_autoptr(CcProcess) process = NULL;
	g_autoptr(JsonNode) link = NULL;
	g_autoptr(GError) error = NULL;
	CcLaunchSpec spec = {.name = "tap-nobridge", .argv = argv};

	if (fx->ns == NULL)
		return;
	qmp = g_build_filename(fx->dir, "m.qmp", NULL);
	log = g_build_filename(fx->dir, "m.log", NULL);
	spec.qmp_path = qmp;
	spec.log_path = log;
	spec.netns = fx->ns;
	spec.tap_bridge = "nosuchbr0";
	process = cc_backend_launch(fx->backend, &spec, &error);
	g_assert_null(process);
	g_assert_error(error, COLO_ERROR, COLO_ERROR_SPAWN);
	g_test_message("%s", error->message);
	expect = g_strdup_printf("cannot attach tap %s to bridge nosuchbr0 in netns %s: %s", tap,
				 fx->ns, g_strerror(ENODEV));
	g_assert_cmpstr(error->message, ==, expect);
	g_clear_error(&error);
	/* nothing left behind: no tap, no socket, no process, no log */
	link = link_show(fx->ns, tap);
	g_assert_null(link);
	g_assert_false(g_file_test(qmp, G_FILE_TEST_EXISTS));
	g_assert_false(g_file_test(log, G_FILE_TEST_EXISTS));

	/* a device that is not a bridge */
	spec.tap_bridge = "lo";
	spec.tap_name = "cc-test-notbr";
	process = cc_backend_launch(fx->backend, &spec, &error);
	g_assert_null(process);
	g_assert_error(error, COLO_ERROR, COLO_ERROR_SPAWN);
	g_test_message("%s", error->message);
	g_assert_nonnull(strstr(error->message, "cc-test-notbr"));
	g_assert_nonnull(strstr(error->message, "bridge lo"));
	g_clear_error(&error);
	link = link_show(fx->ns, "cc-test-notbr");
	g_assert_null(link);

	/* names the kernel would refuse are refused before anything is made */
	spec.tap_bridge = BRIDGE;
	spec.tap_name = "a-tap-name-too-long";
	process = cc_backend_launch(fx->backend, &spec, &error);
	g_assert_null(process);
	g_assert_error(error, COLO_ERROR, COLO_ERROR_INVALID_INPUT);
	g_assert_nonnull(strstr(error->message, "a-tap-name-too-long"));
	g_clear_error(&error);
	spec.tap_name = NULL;
	spec.tap_bridge = "br/0";
	process = cc_backend_launch(fx->backend, &spec, &error);
	g_assert_null(process);
	g_assert_error(error, COLO_ERROR, COLO_ERROR_INVALID_INPUT);
	g_assert_nonnull(strstr(error->message, "br/0"));
}

/* an explicit tap name is used as given */
static void
test_tap_explicit_name(Fixture *fx, gconstpointer data)
{
	const gchar *argv[] = {cc_test_env("FAKE_QMP"), "-S", NULL};
	g_autofree gchar *qmp = NULL;
	g_autofree gchar *log = NULL;
	g_autoptr(CcProcess) process = NULL;
	g_autoptr(JsonNode) link = NULL;
	g_autoptr(GPtrArray) fds = NULL;
	g_autoptr(GError) error = NULL;
	CcLaunchSpec spec = {.name = "tap-explicit", .argv = argv};
	JsonObject *obj;

	if (fx->ns == NULL)
		return;
	qmp = g_build_filename(fx->dir, "m.qmp", NULL);
	log = g_build_filename(fx->dir, "m.log", NULL);
	spec.qmp_path = qmp;
	spec.log_path = log;
	spec.netns = fx->ns;
	spec.tap_bridge = BRIDGE;
	spec.tap_name = "cc-explicit0";
	/* the tap takes the bridge's MTU, so it does not lower a bridge's own */
	g_free(run_ip(&error, "-n", fx->ns, "link", "set", BRIDGE, "mtu", "1400", NULL));
	g_assert_no_error(error);
	process = cc_backend_launch(fx->backend, &spec, &error);
	g_assert_no_error(error);
	cleanup_pid = cc_process_get_pid(process);
	/* the fake QMP server does not use fd 4, but it holds it */
	fds = tun_fds(cc_process_get_pid(process));
	g_assert_cmpuint(fds->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(fds, 0), ==, "4:cc-explicit0");
	link = link_show(fx->ns, "cc-explicit0");
	g_assert_nonnull(link);
	g_assert_cmpstr(json_object_get_string_member_with_default(json_node_get_object(link),
								   "master", ""),
			==, BRIDGE);
	obj = json_node_get_object(link);
	g_assert_cmpint(json_object_get_int_member_with_default(obj, "mtu", 0), ==, 1400);
	g_clear_pointer(&link, json_node_unref);
	link = link_show(fx->ns, BRIDGE);
	obj = json_node_get_object(link);
	g_assert_cmpint(json_object_get_int_member_with_default(obj, "mtu", 0), ==, 1400);
	g_clear_pointer(&link, json_node_unref);
	g_assert_true(cc_process_kill(process, SIGKILL, &error));
	wait_exited(process);
	cleanup_pid = 0;
	for (guint i = 0; i < 40; i++) {
		link = link_show(fx->ns, "cc-explicit0");
		if (link == NULL)
			break;
		g_clear_pointer(&link, json_node_unref);
		cc_test_spin(50);
	}
	g_assert_null(link);
}

int
main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = cleanup_signal_handler};

	g_test_init(&argc, &argv, NULL);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGABRT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	g_test_add_func("/tap/name", test_tap_name);
	g_test_add("/tap/guest", Fixture, NULL, fixture_setup, test_tap_guest, fixture_teardown);
	g_test_add("/tap/no-bridge", Fixture, NULL, fixture_setup, test_tap_no_bridge,
		   fixture_teardown);
	g_test_add("/tap/explicit-name", Fixture, NULL, fixture_setup, test_tap_explicit_name,
		   fixture_teardown);
	return g_test_run();
}
