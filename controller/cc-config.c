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
static const gchar *const host_keys[] = {"backend", "address", "netns", "qemu-binary", NULL};
static const gchar *const migration_keys[] = {"sample-ms", "dead-after-s", "downtime-ms", NULL};
static const gchar *const colo_keys[] = {"watchdog-ms",
					 "hang-ms",
					 "checkpoint-hang-ms",
					 "checkpoint-ms",
					 "sync-timeout-s",
					 "port-base",
					 "auto-reprotect",
					 "qemu-img",
					 "link-probe-ms",
					 "reprotect-delay-ms",
					 "reprotect-retry-max-ms",
					 NULL};

typedef struct {
	const gchar *key;
	gsize offset;
} CcConfigPolicyKey;

static const CcConfigPolicyKey policy_keys[] = {
	{"downtime-cap-ms", G_STRUCT_OFFSET(CcMigrationPolicy, downtime_cap_ms)},
	{"raise-downtime-after-s", G_STRUCT_OFFSET(CcMigrationPolicy, raise_downtime_after_s)},
	{"auto-converge-after-s", G_STRUCT_OFFSET(CcMigrationPolicy, auto_converge_after_s)},
	{"postcopy-after-s", G_STRUCT_OFFSET(CcMigrationPolicy, postcopy_after_s)},
	{"pause-after-s", G_STRUCT_OFFSET(CcMigrationPolicy, pause_after_s)},
	{"abort-after-s", G_STRUCT_OFFSET(CcMigrationPolicy, abort_after_s)},
};
static const gchar *const api_keys[] = {"tcp", "token-file", "tls-certificate", "tls-key", NULL};

static void
cc_config_host_free(CcConfigHost *host)
{
	g_free(host->name);
	g_free(host->backend);
	g_free(host->address);
	g_free(host->netns);
	g_free(host->binary);
	g_free(host);
}

static CcConfigHost *
cc_config_host_new(const gchar *name, const gchar *address)
{
	CcConfigHost *host = g_new0(CcConfigHost, 1);
	host->name = g_strdup(name);
	host->backend = g_strdup("qemu");
	host->address = g_strdup(address);
	return host;
}

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
	config->hosts = g_ptr_array_new_with_free_func((GDestroyNotify)cc_config_host_free);
	g_ptr_array_add(config->hosts, cc_config_host_new("local", "127.0.0.1"));
	config->policies = g_ptr_array_new_with_free_func((GDestroyNotify)cc_migration_policy_free);
	config->migration_sample_ms = 250;
	config->migration_dead_after_s = 10;
	config->migration_downtime_ms = 300;
	config->colo_watchdog_ms = 100;
	config->colo_hang_ms = 2000;
	config->colo_checkpoint_hang_ms = 10000;
	config->colo_checkpoint_ms = 20000;
	config->colo_sync_timeout_s = 600;
	config->colo_port_base = 47000;
	config->colo_link_probe_ms = 1000;
	config->colo_reprotect_delay_ms = 1000;
	config->colo_reprotect_retry_max_ms = 300000;
	config->colo_auto_reprotect = TRUE;
	config->colo_qemu_img = g_strdup("qemu-img");
	return config;
}

void
cc_config_free(CcConfig *config)
{
	if (config == NULL)
		return;
	g_free(config->path);
	g_free(config->qemu_binary);
	g_free(config->colo_qemu_img);
	g_free(config->accel);
	g_free(config->state_dir);
	g_free(config->runtime_dir);
	g_ptr_array_unref(config->hosts);
	g_ptr_array_unref(config->policies);
	g_free(config->api_tcp);
	g_free(config->api_token_file);
	g_free(config->api_tls_certificate);
	g_free(config->api_tls_key);
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

static gboolean
cc_config_check_keys(GKeyFile *kf, const gchar *path, const gchar *group, const gchar *const *known,
		     GError **error)
{
	g_auto(GStrv) keys = g_key_file_get_keys(kf, group, NULL, NULL);
	for (guint i = 0; keys != NULL && keys[i] != NULL; i++) {
		if (!g_strv_contains(known, keys[i]))
			return cc_config_fail(error, path, group, keys[i], "unknown key");
	}
	return TRUE;
}

static gboolean
cc_config_name_valid(const gchar *name)
{
	return g_regex_match_simple("^[A-Za-z0-9_.-]{1,32}$", name, 0, 0);
}

static gboolean
cc_config_load_host(CcConfig *config, GKeyFile *kf, const gchar *path, const gchar *group,
		    GError **error)
{
	const gchar *name = group + strlen("host ");
	g_autoptr(GInetAddress) inet = NULL;
	CcConfigHost *host;

	if (!cc_config_name_valid(name))
		return cc_config_fail(error, path, group, NULL,
				      "host names are 1 to 32 of A-Z a-z 0-9 _ . -");
	if (cc_config_get_host(config, name) != NULL)
		return cc_config_fail(error, path, group, NULL, "host defined twice");
	if (!cc_config_check_keys(kf, path, group, host_keys, error))
		return FALSE;
	host = cc_config_host_new(name, NULL);
	g_ptr_array_add(config->hosts, host);
	host->address = g_key_file_get_string(kf, group, "address", NULL);
	if (host->address == NULL)
		return cc_config_fail(error, path, group, "address", "missing");
	inet = g_inet_address_new_from_string(host->address);
	if (inet == NULL)
		return cc_config_fail(error, path, group, "address", "not an IP address");
	if (g_key_file_has_key(kf, group, "backend", NULL)) {
		g_free(host->backend);
		host->backend = g_key_file_get_string(kf, group, "backend", NULL);
		if (g_strcmp0(host->backend, "qemu") != 0)
			return cc_config_fail(error, path, group, "backend",
					      "unknown backend (known: qemu)");
	}
	if (g_key_file_has_key(kf, group, "qemu-binary", NULL)) {
		host->binary = g_key_file_get_string(kf, group, "qemu-binary", NULL);
		if (host->binary == NULL || host->binary[0] == '\0')
			return cc_config_fail(error, path, group, "qemu-binary",
					      "must not be empty");
	}
	if (g_key_file_has_key(kf, group, "netns", NULL)) {
		host->netns = g_key_file_get_string(kf, group, "netns", NULL);
		if (host->netns == NULL || !cc_config_name_valid(host->netns))
			return cc_config_fail(error, path, group, "netns",
					      "must be a network namespace name");
	}
	return TRUE;
}

static gboolean
cc_config_load_api(CcConfig *config, GKeyFile *kf, const gchar *path, GError **error)
{
	if (!g_key_file_has_group(kf, "api"))
		return TRUE;
	if (!cc_config_check_keys(kf, path, "api", api_keys, error))
		return FALSE;
	config->api_tcp = g_key_file_get_string(kf, "api", "tcp", NULL);
	config->api_token_file = g_key_file_get_string(kf, "api", "token-file", NULL);
	config->api_tls_certificate = g_key_file_get_string(kf, "api", "tls-certificate", NULL);
	config->api_tls_key = g_key_file_get_string(kf, "api", "tls-key", NULL);
	if (config->api_tcp != NULL) {
		g_autoptr(GSocketConnectable) addr =
			g_network_address_parse(config->api_tcp, 0, NULL);
		if (addr == NULL || g_network_address_get_port(G_NETWORK_ADDRESS(addr)) == 0)
			return cc_config_fail(error, path, "api", "tcp", "must be ADDRESS:PORT");
		if (config->api_token_file == NULL)
			return cc_config_fail(error, path, "api", "token-file",
					      "required when tcp is set");
	}
	if ((config->api_tls_certificate == NULL) != (config->api_tls_key == NULL))
		return cc_config_fail(error, path, "api", "tls-certificate",
				      "tls-certificate and tls-key go together");
	return TRUE;
}

static gboolean
cc_config_load_hosts(CcConfig *config, GKeyFile *kf, const gchar *path, GStrv groups,
		     GError **error)
{
	gboolean any = FALSE;
	for (guint i = 0; groups[i] != NULL; i++) {
		if (!g_str_has_prefix(groups[i], "host "))
			continue;
		if (!any) {
			/* a config that names hosts names all of them */
			g_ptr_array_set_size(config->hosts, 0);
			any = TRUE;
		}
		if (!cc_config_load_host(config, kf, path, groups[i], error))
			return FALSE;
	}
	return TRUE;
}

static gboolean
cc_config_uint(GKeyFile *kf, const gchar *path, const gchar *group, const gchar *key, guint64 max,
	       guint *out, GError **error)
{
	g_autofree gchar *v = g_key_file_get_string(kf, group, key, NULL);
	guint64 n = 0;
	g_autofree gchar *reason = NULL;

	if (v == NULL)
		return TRUE;
	if (!g_ascii_string_to_unsigned(v, 10, 0, max, &n, NULL)) {
		reason =
			g_strdup_printf("must be a whole number from 0 to %" G_GUINT64_FORMAT, max);
		return cc_config_fail(error, path, group, key, reason);
	}
	*out = (guint)n;
	return TRUE;
}

static gboolean
cc_config_load_policy(CcConfig *config, GKeyFile *kf, const gchar *path, const gchar *group,
		      GError **error)
{
	const gchar *name = group + strlen("policy ");
	g_auto(GStrv) keys = g_key_file_get_keys(kf, group, NULL, NULL);
	CcMigrationPolicy *policy;

	if (!cc_config_name_valid(name))
		return cc_config_fail(error, path, group, NULL,
				      "policy names are 1 to 32 of A-Z a-z 0-9 _ . -");
	policy = g_new0(CcMigrationPolicy, 1);
	policy->name = g_strdup(name);
	g_ptr_array_add(config->policies, policy);
	for (guint i = 0; keys != NULL && keys[i] != NULL; i++) {
		gboolean known = FALSE;
		for (guint j = 0; j < G_N_ELEMENTS(policy_keys); j++) {
			if (g_strcmp0(policy_keys[j].key, keys[i]) != 0)
				continue;
			known = TRUE;
			if (!cc_config_uint(kf, path, group, keys[i], 86400000,
					    &G_STRUCT_MEMBER(guint, policy, policy_keys[j].offset),
					    error))
				return FALSE;
		}
		if (g_strcmp0(keys[i], "require-netpass") == 0) {
			g_autoptr(GError) error_local = NULL;
			known = TRUE;
			policy->require_netpass =
				g_key_file_get_boolean(kf, group, keys[i], &error_local);
			if (error_local != NULL)
				return cc_config_fail(error, path, group, keys[i],
						      "must be true or false");
		}
		if (!known)
			return cc_config_fail(error, path, group, keys[i], "unknown key");
	}
	if (policy->raise_downtime_after_s > 0 && policy->downtime_cap_ms == 0)
		return cc_config_fail(error, path, group, "downtime-cap-ms",
				      "required with raise-downtime-after-s");
	return TRUE;
}

static gboolean
cc_config_load_migration(CcConfig *config, GKeyFile *kf, const gchar *path, GStrv groups,
			 GError **error)
{
	for (guint i = 0; groups[i] != NULL; i++) {
		if (g_str_has_prefix(groups[i], "policy ") &&
		    !cc_config_load_policy(config, kf, path, groups[i], error))
			return FALSE;
	}
	if (!g_key_file_has_group(kf, "migration"))
		return TRUE;
	if (!cc_config_check_keys(kf, path, "migration", migration_keys, error))
		return FALSE;
	if (!cc_config_uint(kf, path, "migration", "sample-ms", 60000, &config->migration_sample_ms,
			    error) ||
	    !cc_config_uint(kf, path, "migration", "dead-after-s", 3600,
			    &config->migration_dead_after_s, error) ||
	    !cc_config_uint(kf, path, "migration", "downtime-ms", 3600000,
			    &config->migration_downtime_ms, error))
		return FALSE;
	if (config->migration_sample_ms < 10)
		return cc_config_fail(error, path, "migration", "sample-ms", "at least 10");
	if (config->migration_dead_after_s < 1)
		return cc_config_fail(error, path, "migration", "dead-after-s", "at least 1");
	return TRUE;
}

static gboolean
cc_config_load_colo(CcConfig *config, GKeyFile *kf, const gchar *path, GError **error)
{
	g_autofree gchar *img = NULL;

	if (!g_key_file_has_group(kf, "colo"))
		return TRUE;
	if (!cc_config_check_keys(kf, path, "colo", colo_keys, error))
		return FALSE;
	if (!cc_config_uint(kf, path, "colo", "watchdog-ms", 60000, &config->colo_watchdog_ms,
			    error) ||
	    !cc_config_uint(kf, path, "colo", "hang-ms", 3600000, &config->colo_hang_ms, error) ||
	    !cc_config_uint(kf, path, "colo", "checkpoint-hang-ms", 3600000,
			    &config->colo_checkpoint_hang_ms, error) ||
	    !cc_config_uint(kf, path, "colo", "checkpoint-ms", 3600000, &config->colo_checkpoint_ms,
			    error) ||
	    !cc_config_uint(kf, path, "colo", "sync-timeout-s", 86400, &config->colo_sync_timeout_s,
			    error) ||
	    !cc_config_uint(kf, path, "colo", "port-base", 65535 - 4, &config->colo_port_base,
			    error) ||
	    !cc_config_uint(kf, path, "colo", "link-probe-ms", 600000, &config->colo_link_probe_ms,
			    error) ||
	    !cc_config_uint(kf, path, "colo", "reprotect-delay-ms", 3600000,
			    &config->colo_reprotect_delay_ms, error) ||
	    !cc_config_uint(kf, path, "colo", "reprotect-retry-max-ms", 86400000,
			    &config->colo_reprotect_retry_max_ms, error))
		return FALSE;
	if (config->colo_watchdog_ms < 10)
		return cc_config_fail(error, path, "colo", "watchdog-ms", "at least 10");
	if (config->colo_hang_ms <= config->colo_watchdog_ms)
		return cc_config_fail(error, path, "colo", "hang-ms",
				      "must be longer than watchdog-ms");
	if (config->colo_checkpoint_hang_ms < config->colo_hang_ms)
		return cc_config_fail(error, path, "colo", "checkpoint-hang-ms",
				      "must be at least hang-ms");
	if (config->colo_checkpoint_ms < 100)
		return cc_config_fail(error, path, "colo", "checkpoint-ms", "at least 100");
	if (config->colo_sync_timeout_s < 1)
		return cc_config_fail(error, path, "colo", "sync-timeout-s", "at least 1");
	if (config->colo_port_base < 1024)
		return cc_config_fail(error, path, "colo", "port-base", "at least 1024");
	if (g_key_file_has_key(kf, "colo", "auto-reprotect", NULL)) {
		g_autoptr(GError) error_local = NULL;
		config->colo_auto_reprotect =
			g_key_file_get_boolean(kf, "colo", "auto-reprotect", &error_local);
		if (error_local != NULL)
			return cc_config_fail(error, path, "colo", "auto-reprotect",
					      "must be true or false");
	}
	img = g_key_file_get_string(kf, "colo", "qemu-img", NULL);
	if (img != NULL) {
		if (img[0] == '\0')
			return cc_config_fail(error, path, "colo", "qemu-img", "must not be empty");
		g_free(config->colo_qemu_img);
		config->colo_qemu_img = g_steal_pointer(&img);
	}
	return TRUE;
}

const CcMigrationPolicy *
cc_config_get_policy(CcConfig *config, const gchar *name)
{
	for (guint i = 0; i < config->policies->len; i++) {
		const CcMigrationPolicy *p = g_ptr_array_index(config->policies, i);
		if (g_strcmp0(p->name, name) == 0)
			return p;
	}
	return NULL;
}

const CcConfigHost *
cc_config_get_host(CcConfig *config, const gchar *name)
{
	for (guint i = 0; i < config->hosts->len; i++) {
		const CcConfigHost *host = g_ptr_array_index(config->hosts, i);
		if (g_strcmp0(host->name, name) == 0)
			return host;
	}
	return NULL;
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
		if (g_str_has_prefix(groups[i], "host ") ||
		    g_str_has_prefix(groups[i], "policy ") || g_strcmp0(groups[i], "api") == 0 ||
		    g_strcmp0(groups[i], "migration") == 0 || g_strcmp0(groups[i], "colo") == 0)
			continue;
		cc_config_fail(error, path, groups[i], NULL, "unknown group");
		return NULL;
	}
	if (!cc_config_load_qemu(config, kf, path, error))
		return NULL;
	if (!cc_config_load_timeouts(config, kf, path, error))
		return NULL;
	if (!cc_config_load_hosts(config, kf, path, groups, error))
		return NULL;
	if (!cc_config_load_api(config, kf, path, error))
		return NULL;
	if (!cc_config_load_migration(config, kf, path, groups, error))
		return NULL;
	if (!cc_config_load_colo(config, kf, path, error))
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
