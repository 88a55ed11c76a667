/*
 * cc-store: the daemon's state (guests, their members, an append-only event
 * log) in one SQLite file, opened in WAL mode.
 *
 * Opening never destroys data: a file that is not a database or fails
 * "PRAGMA quick_check" is refused with COLO_ERROR_STORE_CORRUPT and left as it
 * is. Migrations (the files of schema/store/, in order) run one per
 * transaction together with the bump of schema_version; a failed one is rolled
 * back and reported with COLO_ERROR_STORE_MIGRATION.
 *
 * Not thread-safe: use a CcStore from one thread.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef struct {
	gchar *name;
	gint64 memory_mib;
	gint64 vcpus;
	gchar *disk;
	gchar *kernel; /* nullable */
	gchar *initrd; /* nullable */
	gchar *append; /* nullable */
	gchar *net;
	gchar *host;
	gchar *state;
	gchar *reason;     /* nullable */
	gint64 created_us; /* wall clock; 0 on insert means now */
	gint64 updated_us; /* wall clock; 0 on insert means created_us */
} CcStoreGuest;

typedef struct {
	gchar *guest;
	gchar *role;
	gchar *host;
	gint64 pid;
	guint64 start_time; /* clock ticks since boot, from /proc/PID/stat */
	gchar *qmp_path;    /* nullable */
	guint64 generation;
	gchar *state;
} CcStoreMember;

typedef struct {
	gint64 id;
	gint64 ts_us;
	gchar *guest;  /* nullable */
	gchar *member; /* nullable */
	gchar *kind;
	gchar *detail; /* JSON object text */
} CcStoreEvent;

void cc_store_guest_free(CcStoreGuest *guest);
void cc_store_member_free(CcStoreMember *member);
void cc_store_event_free(CcStoreEvent *event);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CcStoreGuest, cc_store_guest_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CcStoreMember, cc_store_member_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CcStoreEvent, cc_store_event_free)

#define CC_TYPE_STORE (cc_store_get_type())
G_DECLARE_FINAL_TYPE(CcStore, cc_store, CC, STORE, GObject)

/* @migrations: NULL-terminated SQL texts, migration N is migrations[N - 1] */
CcStore *cc_store_open(const gchar *path, const gchar *const *migrations, GError **error);
/* with the migrations compiled in from schema/store/ */
CcStore *cc_store_open_default(const gchar *path, GError **error);
guint cc_store_get_version(CcStore *self);
const gchar *cc_store_get_path(CcStore *self);

/* duplicate name: COLO_ERROR_CONFLICT */
gboolean cc_store_guest_insert(CcStore *self, const CcStoreGuest *guest, GError **error);
/* missing: COLO_ERROR_NOT_FOUND */
CcStoreGuest *cc_store_guest_get(CcStore *self, const gchar *name, GError **error);
/* of CcStoreGuest, ordered by name */
GPtrArray *cc_store_guest_list(CcStore *self, GError **error);
/* also sets updated_us; a NULL @reason clears it; missing: COLO_ERROR_NOT_FOUND */
gboolean cc_store_guest_set_state(CcStore *self, const gchar *name, const gchar *state,
				  const gchar *reason, GError **error);
/* deletes its members too; missing: COLO_ERROR_NOT_FOUND */
gboolean cc_store_guest_delete(CcStore *self, const gchar *name, GError **error);

/* inserts or replaces the member (guest, role); no such guest: COLO_ERROR_NOT_FOUND */
gboolean cc_store_member_put(CcStore *self, const CcStoreMember *member, GError **error);
/* of CcStoreMember, ordered by role; empty for an unknown guest */
GPtrArray *cc_store_member_list(CcStore *self, const gchar *guest, GError **error);
/* of CcStoreMember, every guest's, ordered by guest and role */
GPtrArray *cc_store_member_list_all(CcStore *self, GError **error);
/* missing: COLO_ERROR_NOT_FOUND */
gboolean cc_store_member_delete(CcStore *self, const gchar *guest, const gchar *role,
				GError **error);

/*
 * @detail_json: a JSON object, NULL for "{}"; anything else is
 * COLO_ERROR_INVALID_INPUT. Returns the new id (> 0), or 0 on error.
 */
gint64 cc_store_event_append(CcStore *self, const gchar *guest, const gchar *member,
			     const gchar *kind, const gchar *detail_json, GError **error);
/* of CcStoreEvent with id > @after_id, ascending, at most @limit (0: 1000) */
GPtrArray *cc_store_event_list(CcStore *self, gint64 after_id, guint limit, GError **error);
/* the highest event id, 0 when there are none (or on error, which is logged) */
gint64 cc_store_event_last_id(CcStore *self);

/* BEGIN IMMEDIATE; no nesting. rollback is a no-op outside a transaction */
gboolean cc_store_transaction_begin(CcStore *self, GError **error);
gboolean cc_store_transaction_commit(CcStore *self, GError **error);
gboolean cc_store_transaction_rollback(CcStore *self, GError **error);

/* migrations (0002) */
typedef struct {
	gint64 id;
	gchar *guest;
	gchar *source_host;
	gchar *dest_host;
	gchar *state;  /* setup, active, completed, failed, cancelled */
	gchar *reason; /* nullable */
	gchar *params; /* JSON object text */
	gchar *result; /* JSON object text */
	gint64 started_us;
	gint64 ended_us; /* 0 while it runs */
} CcStoreMigration;

typedef struct {
	gint64 t_us;
	gchar *sample; /* the query-migrate reply, JSON */
	gchar *report; /* what cc-progress made of it, JSON */
} CcStoreSample;

void cc_store_migration_free(CcStoreMigration *m);
void cc_store_sample_free(CcStoreSample *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CcStoreMigration, cc_store_migration_free)

gboolean cc_store_guest_set_host(CcStore *self, const gchar *name, const gchar *host,
				 GError **error);
/* returns the new id (> 0), or 0 on error */
gint64 cc_store_migration_insert(CcStore *self, const gchar *guest, const gchar *source_host,
				 const gchar *dest_host, const gchar *params_json, GError **error);
/* @result_json: NULL keeps the stored result; @ended stamps ended_us */
gboolean cc_store_migration_update(CcStore *self, gint64 id, const gchar *state,
				   const gchar *reason, const gchar *result_json, gboolean ended,
				   GError **error);
/* the guest's most recent migration; none: COLO_ERROR_NOT_FOUND */
CcStoreMigration *cc_store_migration_last(CcStore *self, const gchar *guest, GError **error);
gboolean cc_store_migration_sample_add(CcStore *self, gint64 id, gint64 t_us,
				       const gchar *sample_json, const gchar *report_json,
				       GError **error);
/* of CcStoreSample, in the order they were taken */
GPtrArray *cc_store_migration_samples(CcStore *self, gint64 id, GError **error);

/* what protection a guest should have */
typedef struct {
	gchar *guest;
	gchar *secondary_host; /* nullable: the engine picks */
	gint64 checkpoint_ms;
	gint64 port_base;
	gchar *state; /* wanted, syncing, protected, unprotected */
	gchar *reason;
	gboolean auto_reprotect;
	gint64 updated_us;
} CcStorePair;

typedef struct {
	gint64 id;
	gchar *guest;
	gint64 ts_us;
	gchar *cause;
	gchar *lost;
	gchar *lost_role;
	gchar *survivor; /* nullable */
	gboolean ok;
	gdouble latency_ms;
	gchar *detail; /* JSON */
} CcStoreFailover;

void cc_store_pair_free(CcStorePair *pair);
void cc_store_failover_free(CcStoreFailover *f);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CcStorePair, cc_store_pair_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CcStoreFailover, cc_store_failover_free)

gboolean cc_store_guest_set_run_disk(CcStore *self, const gchar *name, const gchar *run_disk,
				     GError **error);
gchar *cc_store_guest_get_run_disk(CcStore *self, const gchar *name);
gboolean cc_store_pair_put(CcStore *self, const CcStorePair *pair, GError **error);
CcStorePair *cc_store_pair_get(CcStore *self, const gchar *guest, GError **error);
GPtrArray *cc_store_pair_list(CcStore *self, GError **error);
gboolean cc_store_pair_delete(CcStore *self, const gchar *guest, GError **error);
gint64 cc_store_failover_insert(CcStore *self, const CcStoreFailover *f, GError **error);
GPtrArray *cc_store_failover_list(CcStore *self, const gchar *guest, GError **error);

G_END_DECLS
