/*
 * coloctld --probe-qemu: its JSON, its one-line errors naming the step that
 * failed, and no process left behind.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <unistd.h>

#include "cc-test-util.h"

typedef struct {
	gchar *out;
	gchar *err;
	gint status;
	gint64 ms;
} Run;

static void
run_clear(Run *r)
{
	g_free(r->out);
	g_free(r->err);
}

/* runs coloctld with extra environment; FAKE_QMP_CONFIG marks its processes */
static void
run_probe(Run *r, const gchar *binary, const gchar *fake_cfg, const gchar *daemon_cfg)
{
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) env = g_get_environ();
	const gchar *argv[] = {cc_test_env("COLOCTLD"), NULL, NULL};
	g_autofree gchar *opt = g_strdup_printf("--probe-qemu=%s", binary);
	gint64 start = g_get_monotonic_time();

	argv[1] = opt;
	env = g_environ_setenv(env, "FAKE_QMP_CONFIG", fake_cfg != NULL ? fake_cfg : "", TRUE);
	env = g_environ_setenv(env, "COLOCTL_CONFIG", daemon_cfg != NULL ? daemon_cfg : "", TRUE);
	g_spawn_sync(NULL, (gchar **)argv, env, G_SPAWN_DEFAULT, NULL, NULL, &r->out, &r->err,
		     &r->status, &error);
	g_assert_no_error(error);
	r->ms = (g_get_monotonic_time() - start) / 1000;
	g_test_message("exit %d after %" G_GINT64_FORMAT " ms; stderr: %s", r->status, r->ms,
		       r->err);
}

/* is any process running with FAKE_QMP_CONFIG=@cfg in its environment? */
static gboolean
process_left_behind(const gchar *cfg)
{
	g_autoptr(GDir) proc = g_dir_open("/proc", 0, NULL);
	g_autofree gchar *needle = g_strdup_printf("FAKE_QMP_CONFIG=%s", cfg);
	const gchar *fn;

	while ((fn = g_dir_read_name(proc)) != NULL) {
		g_autofree gchar *path = NULL;
		g_autofree gchar *buf = NULL;
		gsize len = 0;
		if (!g_ascii_isdigit(fn[0]))
			continue;
		path = g_strdup_printf("/proc/%s/environ", fn);
		if (!g_file_get_contents(path, &buf, &len, NULL))
			continue;
		for (gsize off = 0; off < len; off += strlen(buf + off) + 1) {
			if (g_strcmp0(buf + off, needle) == 0) {
				g_autofree gchar *stat = g_strdup_printf("/proc/%s/stat", fn);
				g_autofree gchar *s = NULL;
				/* a zombie is not a leftover process */
				if (g_file_get_contents(stat, &s, NULL, NULL) &&
				    strstr(s, ") Z ") != NULL)
					continue;
				return TRUE;
			}
		}
	}
	return FALSE;
}

static void
test_probe_fake_enable_when_stopped(void)
{
	g_autofree gchar *dir = cc_test_tmpdir();
	g_autofree gchar *cfg =
		cc_test_fake_config(dir, "[default]\nenable-when-stopped=true\n"
					 "migrate-remaining=true\nversion=10.1.50\n");
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;
	JsonObject *obj;
	Run r = {0};

	run_probe(&r, cc_test_env("FAKE_QMP"), cfg, NULL);
	g_assert_cmpint(r.status, ==, 0);
	g_assert_true(json_parser_load_from_data(parser, r.out, -1, &error));
	g_assert_no_error(error);
	obj = json_node_get_object(json_parser_get_root(parser));
	g_assert_cmpstr(json_object_get_string_member(obj, "version"), ==, "10.1.50");
	g_assert_true(json_object_get_boolean_member(obj, "enable_when_stopped"));
	g_assert_true(json_object_get_boolean_member(obj, "migrate_remaining"));
	g_assert_true(json_object_get_boolean_member(obj, "colo"));
	g_assert_true(json_object_has_member(obj, "kvm"));
	g_assert_cmpuint(
		json_array_get_length(json_object_get_array_member(obj, "migration_capabilities")),
		>, 10);
	g_assert_false(process_left_behind(cfg));
	run_clear(&r);
	g_unlink(cfg);
	g_rmdir(dir);
}

static void
test_probe_real(void)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	JsonObject *obj;
	Run r = {0};

	run_probe(&r, cc_test_env("COLOCTL_TEST_QEMU"), NULL, NULL);
	g_assert_cmpint(r.status, ==, 0);
	g_assert_true(json_parser_load_from_data(parser, r.out, -1, NULL));
	obj = json_node_get_object(json_parser_get_root(parser));
	g_assert_true(json_object_get_boolean_member(obj, "colo"));
	g_assert_false(json_object_get_boolean_member(obj, "enable_when_stopped"));
	g_assert_false(json_object_get_boolean_member(obj, "migrate_remaining"));
	run_clear(&r);
}

static void
expect_failure(Run *r, const gchar *step)
{
	g_autofree gchar *want = g_strdup_printf("probe failed at %s:", step);
	g_auto(GStrv) lines = NULL;
	guint n = 0;

	g_assert_cmpint(r->status, !=, 0);
	g_assert_nonnull(strstr(r->err, want));
	/* one line of error; ladder events may follow on their own lines */
	lines = g_strsplit(r->err, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++)
		n += g_str_has_prefix(lines[i], "coloctld:") ? 1 : 0;
	g_assert_cmpuint(n, ==, 1);
	g_assert_cmpstr(r->out, ==, "");
}

static void
test_probe_failures(void)
{
	g_autofree gchar *dir = cc_test_tmpdir();
	g_autofree gchar *daemon_cfg = g_build_filename(dir, "coloctld.conf", NULL);
	g_autofree gchar *fake_cfg = g_build_filename(dir, "fake.conf", NULL);
	Run r = {0};

	g_assert_true(g_file_set_contents(daemon_cfg,
					  "[timeouts]\nconnect-ms=5000\nquery-ms=500\n"
					  "quit-ms=300\nexit-ms=300\nterm-ms=300\nkill-ms=1000\n",
					  -1, NULL));
	/* spawn */
	run_probe(&r, "/nonexistent/qemu-system-x86_64", NULL, daemon_cfg);
	expect_failure(&r, "spawn");
	run_clear(&r);

	/* protocol: a reply that is not JSON */
	g_assert_true(
		g_file_set_contents(fake_cfg, "[default]\nmalformed=query-version\n", -1, NULL));
	memset(&r, 0, sizeof(r));
	run_probe(&r, cc_test_env("FAKE_QMP"), fake_cfg, daemon_cfg);
	expect_failure(&r, "protocol");
	g_assert_false(process_left_behind(fake_cfg));
	run_clear(&r);

	/* timeout: a probe query never answered, and quit never answered either */
	g_assert_true(g_file_set_contents(
		fake_cfg, "[default]\nhang=query-qmp-schema\nsigterm=ignore\n", -1, NULL));
	memset(&r, 0, sizeof(r));
	run_probe(&r, cc_test_env("FAKE_QMP"), fake_cfg, daemon_cfg);
	expect_failure(&r, "timeout");
	g_assert_false(process_left_behind(fake_cfg));
	run_clear(&r);

	/* a spawn that exits at once: the error carries QEMU's own last words */
	memset(&r, 0, sizeof(r));
	run_probe(&r, "/bin/false", NULL, daemon_cfg);
	expect_failure(&r, "spawn");
	g_assert_nonnull(strstr(r.err, "exited with status 1"));
	run_clear(&r);

	g_unlink(fake_cfg);
	g_unlink(daemon_cfg);
	g_rmdir(dir);
}

/* in the build tree: plugins beside it; elsewhere: the installed dir; the env wins */
static void
test_plugin_dir_rules(void)
{
	g_autofree gchar *dir = cc_test_tmpdir();
	g_autofree gchar *copy = g_build_filename(dir, "coloctld", NULL);
	g_autofree gchar *contents = NULL;
	g_autofree gchar *err = NULL;
	g_autofree gchar *out = NULL;
	g_autofree gchar *opt = g_strdup_printf("--probe-qemu=%s", cc_test_env("FAKE_QMP"));
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) env = g_get_environ();
	const gchar *argv[] = {copy, opt, NULL};
	gsize len = 0;
	gint status = -1;

	/* a copy outside the build tree behaves like an installed daemon */
	g_assert_true(g_file_get_contents(cc_test_env("COLOCTLD"), &contents, &len, NULL));
	g_assert_true(g_file_set_contents(copy, contents, (gssize)len, NULL));
	g_assert_cmpint(g_chmod(copy, 0755), ==, 0);
	env = g_environ_unsetenv(env, "COLOCTL_PLUGIN_DIR");
	env = g_environ_unsetenv(env, "FAKE_QMP_CONFIG");
	g_spawn_sync(NULL, (gchar **)argv, env, 0, NULL, NULL, &out, &err, &status, &error);
	g_assert_no_error(error);
	g_assert_cmpint(status, !=, 0);
	g_assert_nonnull(strstr(err, COLO_PLUGINDIR));
	g_clear_pointer(&out, g_free);
	g_clear_pointer(&err, g_free);
	/* the environment overrides both */
	env = g_environ_setenv(env, "COLOCTL_PLUGIN_DIR", COLO_BUILD_ROOT "/plugins", TRUE);
	g_spawn_sync(NULL, (gchar **)argv, env, 0, NULL, NULL, &out, &err, &status, &error);
	g_assert_no_error(error);
	g_test_message("%s", err);
	g_assert_cmpint(status, ==, 0);
	g_assert_nonnull(strstr(out, "\"version\""));
	g_unlink(copy);
	g_rmdir(dir);
}

/* the README's demo path: a real guest as one member, ready, then stopped by quit */
static void
test_run_once_guest(void)
{
	g_autofree gchar *dir = cc_test_tmpdir();
	g_autofree gchar *disk = g_build_filename(dir, "disk.raw", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autofree gchar *out = NULL;
	g_autofree gchar *err = NULL;
	gint status = -1;
	const gchar *argv[] = {cc_test_env("COLOCTLD"),
			       "--run-once",
			       "--kernel",
			       cc_test_env("COLOCTL_TEST_GUEST_KERNEL"),
			       "--initrd",
			       cc_test_env("COLOCTL_TEST_GUEST_INITRD"),
			       "--disk",
			       disk,
			       NULL};

	g_assert_true(g_file_set_contents(disk, "", 0, NULL));
	g_assert_cmpint(truncate(disk, 16 * 1024 * 1024), ==, 0);
	g_spawn_sync(NULL, (gchar **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status,
		     &error);
	g_assert_no_error(error);
	g_test_message("stderr: %s", err);
	g_assert_cmpint(status, ==, 0);
	g_assert_true(json_parser_load_from_data(parser, out, -1, &error));
	g_assert_true(json_object_get_boolean_member(
		json_node_get_object(json_parser_get_root(parser)), "colo"));
	g_assert_nonnull(strstr(err, "guest ready after"));
	/* a healthy guest stops on quit: no signal was needed */
	g_assert_nonnull(strstr(err, "\"step\":\"quit\""));
	g_assert_nonnull(strstr(err, "event stopped {\"step\":\"wait-exit\""));
	g_assert_null(strstr(err, "sigterm"));
	g_unlink(disk);
	g_rmdir(dir);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/probe/fake-enable-when-stopped", test_probe_fake_enable_when_stopped);
	g_test_add_func("/probe/real", test_probe_real);
	g_test_add_func("/probe/failures", test_probe_failures);
	g_test_add_func("/probe/run-once-guest", test_run_once_guest);
	g_test_add_func("/probe/plugin-dir", test_plugin_dir_rules);
	return g_test_run();
}
