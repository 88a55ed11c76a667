/*
 * No head-of-line blocking: 200 fake members answer queries while one hangs.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <glib/gstdio.h>

#include "cc-test-util.h"
#include "colo-error.h"

#define N_MEMBERS   200
#define HUNG_MEMBER 137
#define DEADLINE_MS 2000

typedef struct {
	CcQemu *member;
	gint64 sent_us;
	gdouble ms;
	gboolean done;
	gboolean ok;
	GError *error;
} Slot;

static void
launch_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	Slot *slot = user_data;
	slot->ok = cc_qemu_launch_finish(CC_QEMU(source), res, &slot->error);
	slot->done = TRUE;
}

static void
query_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	Slot *slot = user_data;
	g_autoptr(JsonNode) ret = cc_qemu_execute_finish(CC_QEMU(source), res, &slot->error);
	slot->ms = (g_get_monotonic_time() - slot->sent_us) / 1000.0;
	slot->ok = ret != NULL;
	slot->done = TRUE;
}

static void
stop_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	Slot *slot = user_data;
	slot->ok = cc_qemu_stop_finish(CC_QEMU(source), res, &slot->error);
	slot->done = TRUE;
}

static gboolean
all_done(Slot *slots, guint timeout_ms)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	while (g_get_monotonic_time() < deadline) {
		guint n = 0;
		for (guint i = 0; i < N_MEMBERS; i++)
			n += slots[i].done ? 1 : 0;
		if (n == N_MEMBERS)
			return TRUE;
		g_main_context_iteration(NULL, TRUE);
	}
	return FALSE;
}

static void
reset(Slot *slots)
{
	for (guint i = 0; i < N_MEMBERS; i++) {
		slots[i].done = FALSE;
		slots[i].ok = FALSE;
		g_clear_error(&slots[i].error);
	}
}

static void
test_scale_head_of_line(void)
{
	g_autofree gchar *dir = cc_test_tmpdir();
	g_autofree gchar *conf = g_strdup_printf("[name m%03d]\nhang=query-status\n", HUNG_MEMBER);
	g_autofree gchar *cfg = cc_test_fake_config(dir, conf);
	g_autoptr(CcBackend) backend = cc_test_backend();
	g_autoptr(GArray) lat = g_array_new(FALSE, FALSE, sizeof(gdouble));
	const gchar *argv[] = {cc_test_env("FAKE_QMP"), NULL};
	Slot *slots = g_new0(Slot, N_MEMBERS);
	CcQemuTimeouts t;
	gsize rss_kib;
	gint64 start;

	cc_qemu_timeouts_init(&t);
	t.connect_ms = 30000;
	t.query_ms = 30000;
	t.quit_ms = 1000;
	t.exit_ms = 1000;
	t.term_ms = 2000;
	t.kill_ms = 2000;
	start = g_get_monotonic_time();
	for (guint i = 0; i < N_MEMBERS; i++) {
		g_autofree gchar *name = g_strdup_printf("m%03u", i);
		slots[i].member = cc_qemu_new(backend, name, dir);
		cc_qemu_set_timeouts(slots[i].member, &t);
		cc_qemu_launch_async(slots[i].member, argv, NULL, launch_cb, &slots[i]);
	}
	g_assert_true(all_done(slots, 120000));
	for (guint i = 0; i < N_MEMBERS; i++)
		g_assert_no_error(slots[i].error);
	g_test_message("launched and probed %d fake members in %.0f ms", N_MEMBERS,
		       (g_get_monotonic_time() - start) / 1000.0);
	rss_kib = cc_test_rss_kib();

	/* one round: everyone is asked, one never answers */
	reset(slots);
	for (guint i = 0; i < N_MEMBERS; i++) {
		slots[i].sent_us = g_get_monotonic_time();
		cc_qemu_execute_async(slots[i].member, "query-status", NULL, 0, DEADLINE_MS,
				      query_cb, &slots[i]);
	}
	g_assert_true(all_done(slots, DEADLINE_MS + 10000));
	for (guint i = 0; i < N_MEMBERS; i++) {
		if (i == HUNG_MEMBER) {
			g_assert_error(slots[i].error, COLO_ERROR, COLO_ERROR_TIMEOUT);
			g_assert_true(cc_qemu_get_unresponsive(slots[i].member));
			continue;
		}
		g_assert_no_error(slots[i].error);
		g_assert_true(slots[i].ok);
		g_array_append_val(lat, slots[i].ms);
	}
	g_array_sort(lat, cc_test_cmp_double);
	g_test_message("199 answering members: p50 %.2f ms, p99 %.2f ms, max %.2f ms; "
		       "hung member timed out at %.0f ms; daemon-side RSS %" G_GSIZE_FORMAT " KiB",
		       g_array_index(lat, gdouble, lat->len / 2),
		       g_array_index(lat, gdouble, (lat->len * 99) / 100),
		       g_array_index(lat, gdouble, lat->len - 1), slots[HUNG_MEMBER].ms, rss_kib);
	g_assert_cmpuint(lat->len, ==, N_MEMBERS - 1);
	/* nobody waited for the hung one */
	g_assert_cmpfloat(g_array_index(lat, gdouble, lat->len - 1), <, DEADLINE_MS);

	reset(slots);
	for (guint i = 0; i < N_MEMBERS; i++)
		cc_qemu_stop_async(slots[i].member, stop_cb, &slots[i]);
	g_assert_true(all_done(slots, 60000));
	for (guint i = 0; i < N_MEMBERS; i++) {
		g_assert_no_error(slots[i].error);
		g_assert_cmpint(cc_qemu_get_state(slots[i].member), ==, CC_QEMU_STATE_STOPPED);
		g_clear_object(&slots[i].member);
	}
	g_free(slots);
	cc_test_rm_tmpdir(dir);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/scale/head-of-line", test_scale_head_of_line);
	return g_test_run();
}
