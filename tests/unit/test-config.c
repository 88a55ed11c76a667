/*
 * cc-config and cc-plugin: defaults, overrides, and clear errors.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <glib/gstdio.h>

#include "cc-config.h"
#include "cc-plugin.h"
#include "cc-test-util.h"
#include "colo-error.h"

static gchar *
write_conf(const gchar *dir, const gchar *text)
{
	gchar *path = g_build_filename(dir, "coloctld.conf", NULL);
	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	return path;
}

static void
test_config_defaults(void)
{
	g_autoptr(CcConfig) config = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = cc_test_tmpdir();

	g_setenv("COLOCTL_RUNTIME_DIR", dir, TRUE);
	g_setenv("COLOCTL_CONFIG", "", TRUE);
	config = cc_config_new_defaults();
	g_assert_cmpstr(config->runtime_dir, ==, dir);
	g_assert_cmpstr(config->accel, ==, "tcg");
	g_assert_cmpuint(config->timeouts.quit_ms, ==, 10000);
	g_assert_cmpuint(config->timeouts.query_ms, ==, 5000);
	g_rmdir(dir);
}

static void
test_config_file(void)
{
	g_autofree gchar *dir = cc_test_tmpdir();
	g_autofree gchar *path = write_conf(dir, "[qemu]\nbinary=/opt/qemu/bin/qemu\naccel=auto\n"
						 "[timeouts]\nquit-ms=1500\nkill-ms=700\n");
	g_autoptr(CcConfig) config = NULL;
	g_autoptr(GError) error = NULL;

	g_setenv("COLOCTL_CONFIG", path, TRUE);
	config = cc_config_load_default(&error);
	g_assert_no_error(error);
	g_assert_cmpstr(config->path, ==, path);
	g_assert_cmpstr(config->qemu_binary, ==, "/opt/qemu/bin/qemu");
	g_assert_cmpstr(config->accel, ==, "auto");
	g_assert_cmpuint(config->timeouts.quit_ms, ==, 1500);
	g_assert_cmpuint(config->timeouts.kill_ms, ==, 700);
	g_assert_cmpuint(config->timeouts.term_ms, ==, 5000);
	g_unlink(path);
	g_rmdir(dir);
}

/* every [colo] key is read, and each reaches the field it names */
static void
test_config_colo(void)
{
	g_autofree gchar *dir = cc_test_tmpdir();
	g_autofree gchar *path =
		write_conf(dir, "[colo]\nwatchdog-ms=50\nhang-ms=700\ncheckpoint-hang-ms=9000\n"
				"checkpoint-ms=1500\nsync-timeout-s=30\nport-base=50000\n"
				"auto-reprotect=false\nqemu-img=/opt/qemu-img\nlink-probe-ms=0\n"
				"reprotect-delay-ms=2500\nreprotect-retry-max-ms=60000\n");
	g_autoptr(CcConfig) config = NULL;
	g_autoptr(CcConfig) defaults = cc_config_new_defaults();
	g_autoptr(GError) error = NULL;

	g_assert_cmpuint(defaults->colo_hang_ms, ==, 2000);
	g_assert_cmpuint(defaults->colo_reprotect_delay_ms, ==, 1000);
	g_assert_cmpuint(defaults->colo_reprotect_retry_max_ms, ==, 300000);
	g_assert_true(defaults->colo_auto_reprotect);
	config = cc_config_load(path, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(config->colo_watchdog_ms, ==, 50);
	g_assert_cmpuint(config->colo_hang_ms, ==, 700);
	g_assert_cmpuint(config->colo_checkpoint_hang_ms, ==, 9000);
	g_assert_cmpuint(config->colo_checkpoint_ms, ==, 1500);
	g_assert_cmpuint(config->colo_sync_timeout_s, ==, 30);
	g_assert_cmpuint(config->colo_port_base, ==, 50000);
	g_assert_false(config->colo_auto_reprotect);
	g_assert_cmpstr(config->colo_qemu_img, ==, "/opt/qemu-img");
	g_assert_cmpuint(config->colo_link_probe_ms, ==, 0);
	g_assert_cmpuint(config->colo_reprotect_delay_ms, ==, 2500);
	g_assert_cmpuint(config->colo_reprotect_retry_max_ms, ==, 60000);
	g_unlink(path);
	g_rmdir(dir);
}

static void
test_config_errors(void)
{
	const struct {
		const gchar *text;
		const gchar *expect; /* must appear in the message */
	} cases[] = {
		{"[qemu]\naccel=fast\n", "[qemu] accel: must be tcg, kvm or auto"},
		{"[qemu]\nbinray=x\n", "[qemu] binray: unknown key"},
		{"[qemu]\nbinary=\n", "[qemu] binary: must not be empty"},
		{"[timeouts]\nquit-ms=-3\n", "[timeouts] quit-ms: must be a whole number"},
		{"[timeouts]\nquit-ms=0\n", "[timeouts] quit-ms: must be a whole number"},
		{"[timeouts]\nsoon=1\n", "[timeouts] soon: unknown key"},
		{"[qemmu]\n", "[qemmu] unknown group"},
		{"[colo]\nhang-ms=50\n", "[colo] hang-ms: must be longer than watchdog-ms"},
		{"[colo]\ncheckpoint-hang-ms=100\n", "[colo] checkpoint-hang-ms: must be at least"},
		{"[colo]\nport-base=80\n", "[colo] port-base: at least 1024"},
		{"[colo]\nauto-reprotect=maybe\n", "[colo] auto-reprotect: must be true or false"},
		{"[colo]\nreprotect-delay-ms=soon\n", "[colo] reprotect-delay-ms: must be a whole"},
		{"[colo]\nreprotect-retry-max-ms=-1\n",
		 "[colo] reprotect-retry-max-ms: must be a whole"},
		{"[colo]\nspare=b\n", "[colo] spare: unknown key"},
		{"not a key file", "coloctld.conf"},
	};
	g_autofree gchar *dir = cc_test_tmpdir();

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree gchar *path = write_conf(dir, cases[i].text);
		g_autoptr(GError) error = NULL;
		g_autoptr(CcConfig) config = cc_config_load(path, &error);
		g_assert_null(config);
		g_assert_error(error, COLO_ERROR, COLO_ERROR_INVALID_INPUT);
		g_test_message("%s", error->message);
		g_assert_nonnull(strstr(error->message, path));
		g_assert_nonnull(strstr(error->message, cases[i].expect));
		g_unlink(path);
	}
	/* an explicit config that does not exist is an error, not silent defaults */
	{
		g_autofree gchar *missing = g_build_filename(dir, "missing.conf", NULL);
		g_autoptr(GError) error = NULL;
		g_autoptr(CcConfig) config = NULL;
		g_setenv("COLOCTL_CONFIG", missing, TRUE);
		config = cc_config_load_default(&error);
		g_assert_null(config);
		g_assert_error(error, COLO_ERROR, COLO_ERROR_INVALID_INPUT);
	}
	g_rmdir(dir);
}

static GType
bogus_get_type(void)
{
	return G_TYPE_OBJECT;
}

static void
test_plugin_abi(void)
{
	CcPluginInfo info = {
		.abi_version = CC_BACKEND_ABI_VERSION + 1, .name = "x", .get_type = bogus_get_type};
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) plugins = g_ptr_array_new();

	g_assert_false(cc_plugin_check_info(&info, "test", &error));
	g_assert_error(error, COLO_ERROR, COLO_ERROR_PLUGIN);
	g_assert_nonnull(strstr(error->message, "ABI"));
	g_clear_error(&error);
	info.abi_version = CC_BACKEND_ABI_VERSION;
	g_assert_true(cc_plugin_check_info(&info, "test", &error));
	/* a plugin whose type is not a backend is refused */
	g_ptr_array_add(plugins, &info);
	g_assert_null(cc_plugin_new_backend(plugins, "x", &error));
	g_assert_error(error, COLO_ERROR, COLO_ERROR_PLUGIN);
	g_clear_error(&error);
	g_assert_null(cc_plugin_new_backend(plugins, "nope", &error));
	g_assert_error(error, COLO_ERROR, COLO_ERROR_PLUGIN);
}

static void
test_plugin_dir(void)
{
	g_autofree gchar *dir = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) plugins = NULL;

	/* the environment wins */
	g_setenv("COLOCTL_PLUGIN_DIR", "/nonexistent/plugins", TRUE);
	dir = cc_plugin_get_dir();
	g_assert_cmpstr(dir, ==, "/nonexistent/plugins");
	plugins = cc_plugin_load_dir(dir, &error);
	g_assert_null(plugins);
	g_assert_error(error, COLO_ERROR, COLO_ERROR_PLUGIN);
	g_clear_pointer(&dir, g_free);
	/* a binary in the build tree finds the plugins built beside it */
	g_unsetenv("COLOCTL_PLUGIN_DIR");
	dir = cc_plugin_get_dir();
	g_assert_cmpstr(dir, ==, COLO_BUILD_ROOT "/plugins");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/config/defaults", test_config_defaults);
	g_test_add_func("/config/file", test_config_file);
	g_test_add_func("/config/errors", test_config_errors);
	g_test_add_func("/config/colo", test_config_colo);
	g_test_add_func("/plugin/abi", test_plugin_abi);
	g_test_add_func("/plugin/dir", test_plugin_dir);
	return g_test_run();
}
