/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <glib/gstdio.h>

#include "cc-test-util.h"

void
cc_test_async_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	CcTestAsync *async = user_data;
	async->res = g_object_ref(res);
	async->done_us = g_get_monotonic_time();
}

static gboolean
cc_test_flag_cb(gpointer user_data)
{
	*(gboolean *)user_data = TRUE;
	return G_SOURCE_REMOVE;
}

GAsyncResult *
cc_test_async_wait(CcTestAsync *async, guint timeout_ms)
{
	gboolean expired = FALSE;
	guint id = g_timeout_add(timeout_ms, cc_test_flag_cb, &expired);

	/* blocking iterations: the deadline source wakes us, no polling */
	while (async->res == NULL && !expired)
		g_main_context_iteration(NULL, TRUE);
	if (!expired)
		g_source_remove(id);
	if (async->res == NULL) {
		g_test_fail_printf("async operation did not finish within %u ms", timeout_ms);
		return NULL;
	}
	return async->res;
}

void
cc_test_async_clear(CcTestAsync *async)
{
	g_clear_object(&async->res);
	async->done_us = 0;
}

void
cc_test_spin(guint ms)
{
	gboolean expired = FALSE;
	g_timeout_add(ms, cc_test_flag_cb, &expired);
	while (!expired)
		g_main_context_iteration(NULL, TRUE);
}

const gchar *
cc_test_env(const gchar *name)
{
	const gchar *v = g_getenv(name);
	if (v == NULL || v[0] == '\0') {
		g_printerr("environment variable %s is not set: run through meson test\n", name);
		g_assert_not_reached();
	}
	return v;
}

gchar *
cc_test_tmpdir(void)
{
	g_autoptr(GError) error = NULL;
	gchar *dir = g_dir_make_tmp("coloctl-test-XXXXXX", &error);
	g_assert_no_error(error);
	return dir;
}

void
cc_test_rm_tmpdir(const gchar *dir)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const gchar *fn;
	while (d != NULL && (fn = g_dir_read_name(d)) != NULL) {
		g_autofree gchar *p = g_build_filename(dir, fn, NULL);
		g_unlink(p);
	}
	g_rmdir(dir);
}

gchar *
cc_test_fake_config(const gchar *dir, const gchar *contents)
{
	g_autoptr(GError) error = NULL;
	gchar *path = g_build_filename(dir, "fake-qmp.conf", NULL);
	g_file_set_contents(path, contents, -1, &error);
	g_assert_no_error(error);
	g_setenv("FAKE_QMP_CONFIG", path, TRUE);
	return path;
}

CcBackend *
cc_test_backend(void)
{
	return g_object_new(CC_TYPE_BACKEND_QEMU, "name", "qemu", NULL);
}

CcQemu *
cc_test_member_launch(CcBackend *backend, const gchar *dir, const gchar *name,
		      const gchar *const *argv, const CcQemuTimeouts *timeouts, GError **error)
{
	g_autoptr(CcQemu) member = cc_qemu_new(backend, name, dir);
	CcTestAsync async = {0};
	gboolean ok;

	if (timeouts != NULL)
		cc_qemu_set_timeouts(member, timeouts);
	cc_qemu_launch_async(member, argv, NULL, cc_test_async_cb, &async);
	if (cc_test_async_wait(&async, 60000) == NULL) {
		g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "launch hung");
		return NULL;
	}
	ok = cc_qemu_launch_finish(member, async.res, error);
	cc_test_async_clear(&async);
	if (!ok) {
		g_autoptr(GError) error_local = NULL;
		if (!cc_test_member_stop(member, 60000, &error_local))
			g_printerr("cleanup after failed launch: %s\n", error_local->message);
		return NULL;
	}
	return g_steal_pointer(&member);
}

gboolean
cc_test_member_stop(CcQemu *member, guint timeout_ms, GError **error)
{
	CcTestAsync async = {0};
	gboolean ok;

	cc_qemu_stop_async(member, cc_test_async_cb, &async);
	if (cc_test_async_wait(&async, timeout_ms) == NULL) {
		g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "stop hung");
		return FALSE;
	}
	ok = cc_qemu_stop_finish(member, async.res, error);
	cc_test_async_clear(&async);
	return ok;
}

JsonNode *
cc_test_member_execute(CcQemu *member, const gchar *command, guint timeout_ms, GError **error)
{
	CcTestAsync async = {0};
	JsonNode *ret;

	cc_qemu_execute_async(member, command, NULL, CC_QMP_FLAG_NONE, timeout_ms, cc_test_async_cb,
			      &async);
	if (cc_test_async_wait(&async, timeout_ms + 5000) == NULL) {
		g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "execute hung");
		return NULL;
	}
	ret = cc_qemu_execute_finish(member, async.res, error);
	cc_test_async_clear(&async);
	return ret;
}

static void
cc_test_event_cb(CcQemu *member, const gchar *kind, JsonObject *detail, gpointer user_data)
{
	GPtrArray *events = user_data;
	const gchar *step = json_object_get_string_member_with_default(detail, "step", NULL);
	if (step != NULL)
		g_ptr_array_add(events, g_strdup_printf("%s:%s", kind, step));
	else
		g_ptr_array_add(events, g_strdup(kind));
}

void
cc_test_record_events(CcQemu *member, GPtrArray *events)
{
	g_signal_connect(member, "event", G_CALLBACK(cc_test_event_cb), events);
}

gboolean
cc_test_events_contain(GPtrArray *events, const gchar *what)
{
	for (guint i = 0; i < events->len; i++) {
		if (g_strcmp0(g_ptr_array_index(events, i), what) == 0)
			return TRUE;
	}
	return FALSE;
}

gsize
cc_test_rss_kib(void)
{
	g_autofree gchar *buf = NULL;
	const gchar *p;
	if (!g_file_get_contents("/proc/self/status", &buf, NULL, NULL))
		return 0;
	p = strstr(buf, "VmRSS:");
	if (p == NULL)
		return 0;
	return (gsize)g_ascii_strtoull(p + 6, NULL, 10);
}

gint
cc_test_cmp_double(gconstpointer a, gconstpointer b)
{
	gdouble x = *(const gdouble *)a;
	gdouble y = *(const gdouble *)b;
	return (x > y) - (x < y);
}
