/*
 * cc-config: the daemon configuration (GKeyFile), with embedded defaults.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "cc-migration.h"
#include "cc-qemu.h"

G_BEGIN_DECLS

typedef struct {
	gchar *name;
	gchar *backend; /* plugin name, "qemu" */
	gchar *address; /* for migration and replication connections */
	gchar *netns;   /* nullable: network namespace the members run in */
	gchar *binary;  /* nullable: this host's QEMU, else [qemu] binary */
} CcConfigHost;

typedef struct {
	gchar *path; /* the file read, or NULL when running on embedded defaults */
	gchar *qemu_binary;
	gchar *accel; /* tcg, kvm or auto */
	gchar *state_dir;
	gchar *runtime_dir;
	CcQemuTimeouts timeouts;
	GPtrArray *hosts;    /* of CcConfigHost, never empty */
	GPtrArray *policies; /* of CcMigrationPolicy */
	/* [migration] */
	guint migration_sample_ms;
	guint migration_dead_after_s;
	guint migration_downtime_ms;
	/* [colo] */
	guint colo_watchdog_ms;
	guint colo_hang_ms;
	guint colo_checkpoint_hang_ms;
	guint colo_checkpoint_ms; /* x-checkpoint-delay unless a protect request says */
	guint colo_sync_timeout_s;
	guint colo_port_base;
	guint colo_link_probe_ms; /* 0: no replication link probe */
	gboolean colo_auto_reprotect;
	guint colo_reprotect_delay_ms;     /* from a failover to the automatic re-protection */
	guint colo_reprotect_retry_max_ms; /* longest wait between failed attempts; 0: no retry */
	gchar *colo_qemu_img;
	/* [api] */
	gchar *api_tcp; /* nullable: "ADDRESS:PORT" */
	gchar *api_token_file;
	gchar *api_tls_certificate;
	gchar *api_tls_key;
} CcConfig;

CcConfig *cc_config_new_defaults(void);
CcConfig *cc_config_load(const gchar *path, GError **error);
CcConfig *cc_config_load_default(GError **error);
void cc_config_free(CcConfig *config);
gchar *cc_config_dup_default_path(gboolean *explicit_path);
const CcConfigHost *cc_config_get_host(CcConfig *config, const gchar *name);
const CcMigrationPolicy *cc_config_get_policy(CcConfig *config, const gchar *name);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CcConfig, cc_config_free)

G_END_DECLS
