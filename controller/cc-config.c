/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "CcConfig"

#include "config.h"

#include "cc-config.h"
#include "colo-error.h"

typedef struct {
	const gchar *key;
	gsize offset;
} CcConfigTimeoutKey;

static const CcConfigTimeoutKey timeout_keys[] = {
	{"connect-ms", G_STRUCT_OFFSET(CcQemuTimeouts, connect_ms)},
	{"query-ms", G_STRUCT_OFFSET(CcQemuTimeouts, query_ms)},
	{"change-ms", G_STRUCT_OFFSET(CcQemuTimeouts, change_ms)},
	{"quit-ms", G_STRUCT_OFFSET(CcQemuTimeouts, quit_ms)},
	{"exit-ms", G_STRUCT_OFFSET(CcQemuTimeouts, exit_ms)},
	{"term-ms", G_STRUCT_OFFSET(CcQemuTimeouts, term_ms)},
	{"kill-ms", G_STRUCT_OFFSET(CcQemuTimeouts, kill_ms)},
};

static const gchar *const qemu_keys[] = {"binary", "accel", NULL};

static gchar *
cc_config_dir_from_env(const gchar *var, const gchar *fallback)
{
	const gchar *env = g_getenv(var);
	return g_strdup(env != NULL && env[0] != '\0' ? env : fallback);
}

CcConfig *
cc_config_new_defaults(void)
{
	CcConfig *config = g_new0(CcConfig, 1);
	config->qemu_binary = g_strdup(COLO_QEMU_BINARY);
	config->accel = g_strdup("tcg");
	config->state_dir = cc_config_dir_from_env("COLOCTL_STATE_DIR", COLO_STATEDIR);
	config->runtime_dir = cc_config_dir_from_env("COLOCTL_RUNTIME_DIR", COLO_RUNTIMEDIR);
	cc_qemu_timeouts_init(&config->timeouts);
	return config;
}

void
cc_config_free(CcConfig *config)
{
	if (config == NULL)
		return;
	g_free(config->path);
	g_free(config->qemu_binary);
	g_free(config->accel);
	g_free(config->state_dir);
	g_free(config->runtime_dir);
	g_free(config);
}

static gboolean
cc_config_fail(GError **error, const gchar *path, const gchar *group, const gchar *key,
	       const gchar *reason)
{
	g_set_error(error, COLO_ERROR, COLO_ERROR_INVALID_INPUT, "%s: [%s] %s%s%s", path, group,
		    key != NULL ? key : "", key != NULL ? ": " : "", reason);
	return FALSE;
}

static gboolean
cc_config_load_qemu(CcConfig *config, GKeyFile *kf, const gchar *path, GError **error)
{
	g_auto(GStrv) keys = g_key_file_get_keys(kf, "qemu", NULL, NULL);
	for (guint i = 0; keys != NULL && keys[i] != NULL; i++) {
		if (!g_strv_contains(qemu_keys, keys[i]))
			return cc_config_fail(error, path, "qemu", keys[i], "unknown key");
	}
	if (g_key_file_has_key(kf, "qemu", "binary", NULL)) {
		g_autofree gchar *v = g_key_file_get_string(kf, "qemu", "binary", NULL);
		if (v == NULL || v[0] == '\0')
			return cc_config_fail(error, path, "qemu", "binary", "must not be empty");
		g_free(config->qemu_binary);
		config->qemu_binary = g_steal_pointer(&v);
	}
	if (g_key_file_has_key(kf, "qemu", "accel", NULL)) {
		g_autofree gchar *v = g_key_file_get_string(kf, "qemu", "accel", NULL);
		if (g_strcmp0(v, "tcg") != 0 && g_strcmp0(v, "kvm") != 0 &&
		    g_strcmp0(v, "auto") != 0)
			return cc_config_fail(error, path, "qemu", "accel",
					      "must be tcg, kvm or auto");
		g_free(config->accel);
		config->accel = g_steal_pointer(&v);
	}
	return TRUE;
}

static gboolean
cc_config_load_timeouts(CcConfig *config, GKeyFile *kf, const gchar *path, GError **error)
{
	g_auto(GStrv) keys = g_key_file_get_keys(kf, "timeouts", NULL, NULL);
	for (guint i = 0; keys != NULL && keys[i] != NULL; i++) {
		const CcConfigTimeoutKey *tk = NULL;
		g_autofree gchar *v = g_key_file_get_string(kf, "timeouts", keys[i], NULL);
		guint64 ms = 0;
		for (guint j = 0; j < G_N_ELEMENTS(timeout_keys); j++) {
			if (g_strcmp0(timeout_keys[j].key, keys[i]) == 0)
				tk = &timeout_keys[j];
		}
		if (tk == NULL)
			return cc_config_fail(error, path, "timeouts", keys[i], "unknown key");
		if (v == NULL || !g_ascii_string_to_unsigned(v, 10, 1, 3600000, &ms, NULL))
			return cc_config_fail(error, path, "timeouts", keys[i],
					      "must be a whole number of milliseconds "
					      "from 1 to 3600000");
		G_STRUCT_MEMBER(guint, &config->timeouts, tk->offset) = (guint)ms;
	}
	return TRUE;
}

CcConfig *
cc_config_load(const gchar *path, GError **error)
{
	g_autoptr(CcConfig) config = cc_config_new_defaults();
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GError) error_local = NULL;
	g_auto(GStrv) groups = NULL;

	if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &error_local)) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_INVALID_INPUT, "%s: %s", path,
			    error_local->message);
		return NULL;
	}
	groups = g_key_file_get_groups(kf, NULL);
	for (guint i = 0; groups[i] != NULL; i++) {
		if (g_strcmp0(groups[i], "qemu") == 0 || g_strcmp0(groups[i], "timeouts") == 0)
			continue;
		if (g_str_has_prefix(groups[i], "host ") || g_strcmp0(groups[i], "api") == 0)
			continue; /* read by the engine */
		cc_config_fail(error, path, groups[i], NULL, "unknown group");
		return NULL;
	}
	if (!cc_config_load_qemu(config, kf, path, error))
		return NULL;
	if (!cc_config_load_timeouts(config, kf, path, error))
		return NULL;
	config->path = g_strdup(path);
	return g_steal_pointer(&config);
}

gchar *
cc_config_dup_default_path(gboolean *explicit_path)
{
	const gchar *env = g_getenv("COLOCTL_CONFIG");
	if (explicit_path != NULL)
		*explicit_path = env != NULL && env[0] != '\0';
	if (env != NULL && env[0] != '\0')
		return g_strdup(env);
	return g_build_filename(COLO_SYSCONFDIR, "coloctld.conf", NULL);
}

/* the default file may be absent (embedded defaults); an explicit one must exist */
CcConfig *
cc_config_load_default(GError **error)
{
	gboolean explicit_path = FALSE;
	g_autofree gchar *path = cc_config_dup_default_path(&explicit_path);

	if (!explicit_path && !g_file_test(path, G_FILE_TEST_EXISTS))
		return cc_config_new_defaults();
	return cc_config_load(path, error);
}
