/*
 * Benchmarks for issue 2, printing figures and ratios (never pass/fail):
 *
 *   bench-member rtt [N]        N query-status round trips to a real QEMU through
 *                               cc-qmp, against a blocking client on a second QEMU
 *   bench-member idle-real [S]  CPU and RSS of this process idling S seconds with
 *                               one real member
 *   bench-member idle-fake [S] [N]  the same with N fake members
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cc-test-util.h"

static const gchar *real_argv[] = {NULL, "-machine",    "pc",       "-accel", "tcg", "-m",
				   "64", "-nodefaults", "-display", "none",   "-S",  NULL};

static void
print_stats(const gchar *label, GArray *ms)
{
	g_array_sort(ms, cc_test_cmp_double);
	g_print("%-28s n=%u median %.3f ms  p99 %.3f ms  max %.3f ms\n", label, ms->len,
		g_array_index(ms, gdouble, ms->len / 2),
		g_array_index(ms, gdouble, (ms->len * 99) / 100),
		g_array_index(ms, gdouble, ms->len - 1));
}

/* a plain blocking QMP client: the floor any client can reach */
static GArray *
raw_rtt(const gchar *path, guint n)
{
	GArray *ms = g_array_new(FALSE, FALSE, sizeof(gdouble));
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	gint fd = socket(AF_UNIX, SOCK_STREAM, 0);
	FILE *f;
	gchar line[65536];
	const gchar *cmd = "{\"execute\":\"query-status\"}\n";

	g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
	g_assert_cmpint(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
	f = fdopen(fd, "r+");
	g_assert_nonnull(fgets(line, sizeof(line), f));
	fputs("{\"execute\":\"qmp_capabilities\"}\n", f);
	fflush(f);
	g_assert_nonnull(fgets(line, sizeof(line), f));
	for (guint i = 0; i < n; i++) {
		gint64 t0 = g_get_monotonic_time();
		gdouble v;
		fputs(cmd, f);
		fflush(f);
		g_assert_nonnull(fgets(line, sizeof(line), f));
		v = (g_get_monotonic_time() - t0) / 1000.0;
		g_array_append_val(ms, v);
	}
	fclose(f);
	return ms;
}

static GArray *
ours_rtt(CcQemu *member, guint n)
{
	GArray *ms = g_array_new(FALSE, FALSE, sizeof(gdouble));
	for (guint i = 0; i < n; i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(JsonNode) ret = NULL;
		gint64 t0 = g_get_monotonic_time();
		gdouble v;
		ret = cc_test_member_execute(member, "query-status", 5000, &error);
		g_assert_no_error(error);
		v = (g_get_monotonic_time() - t0) / 1000.0;
		g_array_append_val(ms, v);
	}
	return ms;
}

static void
bench_rtt(guint n)
{
	g_autofree gchar *dir = cc_test_tmpdir();
	g_autoptr(CcBackend) backend = cc_test_backend();
	g_autoptr(GError) error = NULL;
	g_autoptr(CcQemu) member = NULL;
	g_autoptr(CcProcess) raw = NULL;
	g_autoptr(GArray) ours = NULL;
	g_autoptr(GArray) base = NULL;
	g_autofree gchar *raw_qmp = g_build_filename(dir, "raw.qmp", NULL);
	g_autofree gchar *raw_log = g_build_filename(dir, "raw.log", NULL);
	CcLaunchSpec spec = {.name = "raw", .qmp_path = raw_qmp, .log_path = raw_log};
	gdouble m_ours;
	gdouble m_base;

	real_argv[0] = cc_test_env("COLOCTL_TEST_QEMU");
	spec.argv = real_argv;
	member = cc_test_member_launch(backend, dir, "rtt", real_argv, NULL, &error);
	g_assert_no_error(error);
	raw = cc_backend_launch(backend, &spec, &error);
	g_assert_no_error(error);
	/* warm both, then measure alternately so machine noise hits both alike */
	g_array_unref(ours_rtt(member, 50));
	ours = ours_rtt(member, n);
	base = raw_rtt(raw_qmp, n);
	print_stats("cc-qmp (async, main loop)", ours);
	print_stats("blocking baseline client", base);
	m_ours = g_array_index(ours, gdouble, ours->len / 2);
	m_base = g_array_index(base, gdouble, base->len / 2);
	g_print("median ratio cc-qmp / baseline: %.2f\n", m_ours / m_base);
	cc_test_member_stop(member, 30000, NULL);
	cc_process_kill(raw, SIGKILL, NULL);
	cc_test_spin(200);
}

static void
bench_idle(guint seconds, guint n_fake)
{
	g_autofree gchar *dir = cc_test_tmpdir();
	g_autoptr(CcBackend) backend = cc_test_backend();
	g_autoptr(GPtrArray) members = g_ptr_array_new_with_free_func(g_object_unref);
	const gchar *fake_argv[] = {NULL, NULL};
	struct rusage r0;
	struct rusage r1;
	gint64 t0;
	gdouble cpu_s;
	gsize rss0 = cc_test_rss_kib();

	real_argv[0] = cc_test_env("COLOCTL_TEST_QEMU");
	fake_argv[0] = cc_test_env("FAKE_QMP");
	for (guint i = 0; i < MAX(n_fake, 1); i++) {
		g_autoptr(GError) error = NULL;
		g_autofree gchar *name = g_strdup_printf("m%03u", i);
		CcQemu *m = cc_test_member_launch(backend, dir, name,
						  n_fake > 0 ? fake_argv : real_argv, NULL, &error);
		g_assert_no_error(error);
		g_ptr_array_add(members, m);
	}
	getrusage(RUSAGE_SELF, &r0);
	t0 = g_get_monotonic_time();
	cc_test_spin(seconds * 1000);
	getrusage(RUSAGE_SELF, &r1);
	cpu_s = (r1.ru_utime.tv_sec - r0.ru_utime.tv_sec) +
		(r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) +
		((r1.ru_utime.tv_usec - r0.ru_utime.tv_usec) +
		 (r1.ru_stime.tv_usec - r0.ru_stime.tv_usec)) /
			1e6;
	g_print("idle with %u %s member(s) for %.1f s: CPU %.3f%% of one core, RSS %" G_GSIZE_FORMAT
		" KiB (%" G_GSIZE_FORMAT " KiB before launching)\n",
		members->len, n_fake > 0 ? "fake" : "real", (g_get_monotonic_time() - t0) / 1e6,
		100.0 * cpu_s / ((g_get_monotonic_time() - t0) / 1e6), cc_test_rss_kib(), rss0);
	for (guint i = 0; i < members->len; i++)
		cc_test_member_stop(g_ptr_array_index(members, i), 30000, NULL);
}

int
main(int argc, char **argv)
{
	const gchar *mode = argc > 1 ? argv[1] : "rtt";
	if (g_strcmp0(mode, "rtt") == 0) {
		bench_rtt(argc > 2 ? (guint)atoi(argv[2]) : 1000);
		return 0;
	}
	if (g_strcmp0(mode, "idle-real") == 0) {
		bench_idle(argc > 2 ? (guint)atoi(argv[2]) : 10, 0);
		return 0;
	}
	if (g_strcmp0(mode, "idle-fake") == 0) {
		bench_idle(argc > 2 ? (guint)atoi(argv[2]) : 10,
			   argc > 3 ? (guint)atoi(argv[3]) : 200);
		return 0;
	}
	g_printerr("usage: bench-member rtt [N] | idle-real [S] | idle-fake [S] [N]\n");
	return 2;
}
