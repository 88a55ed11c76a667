/*
 * Members end to end: real QEMU where QEMU can do it, the fake QMP server for
 * what QEMU will not do on demand. Both are launched through the qemu backend,
 * so the daemon's own launch path is the one under test.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <sys/wait.h>

#include "cc-test-util.h"
#include "colo-error.h"

static const gchar *
qemu_binary(void)
{
	return cc_test_env("COLOCTL_TEST_QEMU");
}

static void
short_timeouts(CcQemuTimeouts *t)
{
	cc_qemu_timeouts_init(t);
	t->quit_ms = 1000;
	t->exit_ms = 1000;
	t->term_ms = 1000;
	t->kill_ms = 1000;
}

static void
dump_events(GPtrArray *events)
{
	g_autoptr(GString) s = g_string_new(NULL);
	for (guint i = 0; i < events->len; i++)
		g_string_append_printf(s, "%s ", (const gchar *)g_ptr_array_index(events, i));
	g_test_message("events: %s", s->str);
}

/* 1: launch, probe, stop by quit */
static void
test_member_real_probe_stop(void)
{
	g_autofree gchar *dir = cc_test_tmpdir();
	g_autoptr(CcBackend) backend = cc_test_backend();
	g_autoptr(CcQemu) member = NULL;
	g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) error = NULL;
	const gchar *argv[] = {qemu_binary(), "-machine",    "pc",       "-accel", "tcg", "-m",
			       "64",          "-nodefaults", "-display", "none",   "-S",  NULL};
	const CcCaps *caps;
	GPid pid;

	member = cc_test_member_launch(backend, dir, "real", argv, NULL, &error);
	g_assert_no_error(error);
	cc_test_record_events(member, events);
	g_assert_cmpint(cc_qemu_get_state(member), ==, CC_QEMU_STATE_RUNNING);
	g_assert_cmpuint(cc_qemu_get_generation(member), ==, 1);
	pid = cc_qemu_get_pid(member);
	g_assert_cmpint(pid, >, 0);
	caps = cc_qemu_get_caps(member);
	g_test_message("QEMU %s: colo=%d enable_when_stopped=%d migrate_remaining=%d",
		       caps->version, caps->colo, caps->enable_when_stopped,
		       caps->migrate_remaining);
	/* Debian 12's QEMU: COLO yes, the seeds' enable_when_stopped no */
	g_assert_cmpuint(caps->major, ==, 7);
	g_assert_true(caps->colo);
	g_assert_false(caps->enable_when_stopped);
	g_assert_false(caps->migrate_remaining);
	g_assert_true(cc_caps_has_command(caps, "x-colo-lost-heartbeat"));

	g_assert_true(cc_test_member_stop(member, 30000, &error));
	g_assert_no_error(error);
	dump_events(events);
	g_assert_true(cc_test_events_contain(events, "stop-step:quit"));
	g_assert_true(cc_test_events_contain(events, "quit-reply"));
	g_assert_true(cc_test_events_contain(events, "stopped:wait-exit"));
	g_assert_false(cc_test_events_contain(events, "stop-step:sigterm"));
	g_assert_cmpint(cc_qemu_get_state(member), ==, CC_QEMU_STATE_STOPPED);
	g_assert_true(WIFEXITED(cc_process_get_wait_status(cc_qemu_get_process(member))));
	g_assert_cmpint(kill(pid, 0), ==, -1);
	cc_test_rm_tmpdir(dir);
}

/* 2: a frozen QEMU climbs the whole ladder, within the sum of its deadlines + 1 s */
static void
test_member_real_frozen(void)
{
	g_autofree gchar *dir = cc_test_tmpdir();
	g_autoptr(CcBackend) backend = cc_test_backend();
	g_autoptr(CcQemu) member = NULL;
	g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) error = NULL;
	const gchar *argv[] = {qemu_binary(), "-machine",    "pc",       "-accel", "tcg", "-m",
			       "64",          "-nodefaults", "-display", "none",   NULL};
	CcQemuTimeouts t;
	gint64 start;
	gint64 elapsed_ms;
	guint sum_ms;
	gint status;

	short_timeouts(&t);
	sum_ms = t.quit_ms + t.exit_ms + t.term_ms + t.kill_ms;
	member = cc_test_member_launch(backend, dir, "frozen", argv, &t, &error);
	g_assert_no_error(error);
	cc_test_record_events(member, events);
	g_assert_cmpint(kill(cc_qemu_get_pid(member), SIGSTOP), ==, 0);

	start = g_get_monotonic_time();
	g_assert_true(cc_test_member_stop(member, sum_ms + 10000, &error));
	g_assert_no_error(error);
	elapsed_ms = (g_get_monotonic_time() - start) / 1000;
	dump_events(events);
	g_test_message("frozen QEMU: ladder took %" G_GINT64_FORMAT " ms (deadlines sum %u ms)",
		       elapsed_ms, sum_ms);
	g_assert_cmpint(elapsed_ms, <=, sum_ms + 1000);
	g_assert_true(cc_test_events_contain(events, "stop-step:quit"));
	g_assert_true(cc_test_events_contain(events, "stop-deadline:quit"));
	g_assert_true(cc_test_events_contain(events, "stop-step:wait-exit"));
	g_assert_true(cc_test_events_contain(events, "stop-step:sigterm"));
	g_assert_true(cc_test_events_contain(events, "stop-step:sigkill"));
	g_assert_true(cc_test_events_contain(events, "stopped:sigkill"));
	g_assert_true(cc_test_events_contain(events, "unresponsive"));
	status = cc_process_get_wait_status(cc_qemu_get_process(member));
	g_assert_true(WIFSIGNALED(status));
	g_assert_cmpint(WTERMSIG(status), ==, SIGKILL);
	cc_test_rm_tmpdir(dir);
}

typedef struct {
	CcQemu *member;
	guint ok;
	guint failed;
	gdouble max_ms;
	gint64 sent_us;
	gboolean busy;
} Prober;

static void
prober_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	Prober *p = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) ret = cc_qemu_execute_finish(CC_QEMU(source), res, &error);
	gdouble ms = (g_get_monotonic_time() - p->sent_us) / 1000.0;
	p->busy = FALSE;
	if (ret == NULL) {
		g_test_message("second member failed: %s", error->message);
		p->failed++;
		return;
	}
	p->ok++;
	p->max_ms = MAX(p->max_ms, ms);
}

static gboolean
prober_tick_cb(gpointer user_data)
{
	Prober *p = user_data;
	if (p->busy)
		return G_SOURCE_CONTINUE;
	p->busy = TRUE;
	p->sent_us = g_get_monotonic_time();
	cc_qemu_execute_async(p->member, "query-status", NULL, 0, 1000, prober_cb, p);
	return G_SOURCE_CONTINUE;
}

/* 3: SHUTDOWN and then no EOF (the monitor_cleanup deadlock); others unaffected */
static void
test_member_shutdown_no_eof(void)
{
	g_autofree gchar *dir = cc_test_tmpdir();
	g_autofree gchar *cfg = cc_test_fake_config(dir, "[name hold]\nquit=shutdown-hold\n");
	g_autoptr(CcBackend) backend = cc_test_backend();
	g_autoptr(CcQemu) hold = NULL;
	g_autoptr(CcQemu) other = NULL;
	g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) error = NULL;
	const gchar *argv[] = {cc_test_env("FAKE_QMP"), "-S", NULL};
	Prober prober = {0};
	CcQemuTimeouts t;
	guint tick;
	gint status;

	short_timeouts(&t);
	hold = cc_test_member_launch(backend, dir, "hold", argv, &t, &error);
	g_assert_no_error(error);
	other = cc_test_member_launch(backend, dir, "other", argv, &t, &error);
	g_assert_no_error(error);
	cc_test_record_events(hold, events);

	prober.member = other;
	tick = g_timeout_add(50, prober_tick_cb, &prober);
	g_assert_true(cc_test_member_stop(hold, 20000, &error));
	g_assert_no_error(error);
	g_source_remove(tick);
	cc_test_spin(100);
	dump_events(events);
	g_test_message("second member during the ladder: %u answered, %u failed, max %.1f ms",
		       prober.ok, prober.failed, prober.max_ms);
	g_assert_true(cc_test_events_contain(events, "qmp-shutdown"));
	g_assert_true(cc_test_events_contain(events, "quit-reply"));
	g_assert_true(cc_test_events_contain(events, "stop-deadline:wait-exit"));
	g_assert_true(cc_test_events_contain(events, "stop-step:sigterm"));
	g_assert_true(cc_test_events_contain(events, "stop-step:sigkill"));
	g_assert_true(cc_test_events_contain(events, "stopped:sigkill"));
	status = cc_process_get_wait_status(cc_qemu_get_process(hold));
	g_assert_true(WIFSIGNALED(status));
	g_assert_cmpint(WTERMSIG(status), ==, SIGKILL);
	/* the ladder ran >= 3 s; the other member answered all along */
	g_assert_cmpuint(prober.ok, >=, 20);
	g_assert_cmpuint(prober.failed, ==, 0);
	g_assert_cmpint(cc_qemu_get_state(other), ==, CC_QEMU_STATE_RUNNING);
	g_assert_true(cc_test_member_stop(other, 20000, &error));
	g_unlink(cfg);
	cc_test_rm_tmpdir(dir);
}

/* relaunch bumps the generation; a reply or EOF of the old process cannot act on the new */
static void
test_member_generation(void)
{
	g_autofree gchar *dir = cc_test_tmpdir();
	g_autofree gchar *cfg = cc_test_fake_config(dir, "[default]\ndelay-ms=query-status:400\n");
	g_autoptr(CcBackend) backend = cc_test_backend();
	g_autoptr(CcQemu) member = NULL;
	g_autoptr(GError) error = NULL;
	const gchar *argv[] = {cc_test_env("FAKE_QMP"), NULL};
	CcTestAsync late = {0};
	CcTestAsync async = {0};
	GPid old_pid;

	member = cc_test_member_launch(backend, dir, "gen", argv, NULL, &error);
	g_assert_no_error(error);
	old_pid = cc_qemu_get_pid(member);
	cc_qemu_execute_async(member, "query-status", NULL, 0, 5000, cc_test_async_cb, &late);
	/* the process dies; the member is relaunched before the old reply could come */
	g_assert_cmpint(kill(old_pid, SIGKILL), ==, 0);
	for (guint i = 0; i < 5000 && cc_qemu_get_state(member) == CC_QEMU_STATE_RUNNING; i++)
		cc_test_spin(1);
	g_assert_cmpint(cc_qemu_get_state(member), ==, CC_QEMU_STATE_FAILED);
	cc_qemu_launch_async(member, argv, NULL, cc_test_async_cb, &async);
	g_assert_nonnull(cc_test_async_wait(&async, 10000));
	g_assert_true(cc_qemu_launch_finish(member, async.res, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(cc_qemu_get_generation(member), ==, 2);
	g_assert_cmpint(cc_qemu_get_pid(member), !=, old_pid);
	g_assert_nonnull(cc_test_async_wait(&late, 10000));
	g_assert_null(cc_qemu_execute_finish(member, late.res, &error));
	g_assert_true(g_error_matches(error, COLO_ERROR, COLO_ERROR_CANCELLED) ||
		      g_error_matches(error, COLO_ERROR, COLO_ERROR_DISCONNECTED));
	cc_test_spin(600);
	g_assert_cmpint(cc_qemu_get_state(member), ==, CC_QEMU_STATE_RUNNING);
	g_assert_false(cc_qemu_get_unresponsive(member));
	g_assert_true(cc_test_member_stop(member, 20000, &error));
	cc_test_async_clear(&late);
	cc_test_async_clear(&async);
	g_unlink(cfg);
	cc_test_rm_tmpdir(dir);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/member/real-probe-stop", test_member_real_probe_stop);
	g_test_add_func("/member/real-frozen", test_member_real_frozen);
	g_test_add_func("/member/shutdown-no-eof", test_member_shutdown_no_eof);
	g_test_add_func("/member/generation", test_member_generation);
	return g_test_run();
}
