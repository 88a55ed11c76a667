/*
 * cc-migration: drives one live migration between two members, samples
 * query-migrate into cc-progress, and climbs the policy ladder.
 *
 * The destination is launched with -incoming defer, probed, and matched
 * against the source (QEMU version, machine type) before anything starts. A
 * dead transfer is cancelled whatever the policy says; the source keeps
 * running. The owner (cc-engine) persists every event and sample.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "cc-progress.h"
#include "cc-qemu.h"

G_BEGIN_DECLS

typedef struct {
	gchar *name;
	guint downtime_cap_ms;        /* raise-downtime: up to this */
	guint raise_downtime_after_s; /* 0: never */
	guint auto_converge_after_s;  /* 0: never */
	guint postcopy_after_s;       /* 0: never; only while the transfer is healthy */
	guint pause_after_s;          /* 0: never: stop the guest so it completes */
	guint abort_after_s;          /* 0: never */
	gboolean require_netpass;
} CcMigrationPolicy;

typedef struct {
	guint max_downtime_ms;
	guint bandwidth_mibps; /* 0: unlimited */
	guint dead_after_s;
	guint sample_ms;
	const CcMigrationPolicy *policy; /* nullable */
	const gchar *address;            /* the destination host's address */
	const gchar *runtime_dir;        /* for the netpass socket */
} CcMigrationParams;

typedef enum {
	CC_MIGRATION_SETUP,
	CC_MIGRATION_ACTIVE,
	CC_MIGRATION_COMPLETED,
	CC_MIGRATION_FAILED,
	CC_MIGRATION_CANCELLED,
} CcMigrationState;

#define CC_TYPE_MIGRATION (cc_migration_get_type())
G_DECLARE_FINAL_TYPE(CcMigration, cc_migration, CC, MIGRATION, GObject)

CcMigration *cc_migration_new(gint64 id, CcQemu *source, CcQemu *dest,
			      const CcMigrationParams *params);
void cc_migration_run_async(CcMigration *self, const gchar *const *dest_argv,
			    GAsyncReadyCallback callback, gpointer user_data);
/* TRUE when completed; FALSE with the reason when failed or cancelled */
gboolean cc_migration_run_finish(CcMigration *self, GAsyncResult *res, GError **error);
void cc_migration_cancel(CcMigration *self, const gchar *reason);
gint64 cc_migration_get_id(CcMigration *self);
CcMigrationState cc_migration_get_state(CcMigration *self);
const gchar *cc_migration_state_to_string(CcMigrationState state);
CcQemu *cc_migration_get_dest(CcMigration *self);
const gchar *cc_migration_get_netpass(CcMigration *self);
JsonObject *cc_migration_dup_result(CcMigration *self);
CcProgress *cc_migration_get_progress(CcMigration *self);

void cc_migration_policy_free(CcMigrationPolicy *policy);

G_END_DECLS
