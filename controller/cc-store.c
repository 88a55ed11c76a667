/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "CcStore"

#include "config.h"

#include <json-glib/json-glib.h>
#include <sqlite3.h>

#include "cc-store-schema.h"
#include "cc-store.h"
#include "colo-error.h"

#define CC_STORE_BUSY_TIMEOUT_MS     1000
#define CC_STORE_EVENT_LIMIT_DEFAULT 1000
#define CC_STORE_QUICK_CHECK_SHOWN   3 /* problems quoted in the error */

#define CC_STORE_GUEST_COLUMNS                                                                     \
	"name, memory_mib, vcpus, disk, kernel, initrd, append, net, host, state, reason, "        \
	"created_us, updated_us"
#define CC_STORE_MEMBER_COLUMNS "guest, role, host, pid, start_time, qmp_path, generation, state"
#define CC_STORE_EVENT_COLUMNS  "id, ts_us, guest, member, kind, detail"

struct _CcStore {
	GObject parent_instance;
	sqlite3 *db;
	gchar *path;
	guint version;
	gboolean denied_transaction; /* a migration tried BEGIN, COMMIT or ROLLBACK */
	GHashTable *stmts;           /* SQL text -> prepared statement, kept for reuse */
};

G_DEFINE_TYPE(CcStore, cc_store, G_TYPE_OBJECT)

G_DEFINE_AUTOPTR_CLEANUP_FUNC(sqlite3_stmt, sqlite3_finalize)

/* a cached statement: leaving scope resets it for its next use instead of finalizing it */
typedef sqlite3_stmt CcStoreStmt;

static void
cc_store_stmt_release(CcStoreStmt *stmt)
{
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CcStoreStmt, cc_store_stmt_release)

static void
cc_store_stmt_finalize(gpointer stmt)
{
	sqlite3_finalize(stmt);
}

void
cc_store_guest_free(CcStoreGuest *guest)
{
	if (guest == NULL)
		return;
	g_free(guest->name);
	g_free(guest->disk);
	g_free(guest->kernel);
	g_free(guest->initrd);
	g_free(guest->append);
	g_free(guest->net);
	g_free(guest->host);
	g_free(guest->state);
	g_free(guest->reason);
	g_free(guest);
}

void
cc_store_member_free(CcStoreMember *member)
{
	if (member == NULL)
		return;
	g_free(member->guest);
	g_free(member->role);
	g_free(member->host);
	g_free(member->qmp_path);
	g_free(member->state);
	g_free(member);
}

void
cc_store_event_free(CcStoreEvent *event)
{
	if (event == NULL)
		return;
	g_free(event->guest);
	g_free(event->member);
	g_free(event->kind);
	g_free(event->detail);
	g_free(event);
}

static gboolean
cc_store_is_corruption(gint rc)
{
	return (rc & 0xff) == SQLITE_NOTADB || (rc & 0xff) == SQLITE_CORRUPT;
}

static ColoError
cc_store_code_for_sqlite(CcStore *self)
{
	gint rc = sqlite3_extended_errcode(self->db);
	if (cc_store_is_corruption(rc))
		return COLO_ERROR_STORE_CORRUPT;
	if (rc == SQLITE_CONSTRAINT_NOTNULL)
		return COLO_ERROR_INVALID_INPUT;
	return COLO_ERROR_STORE;
}

/* for operations on an open store: "PATH: WHAT: sqlite's message" */
static gboolean
cc_store_fail(CcStore *self, GError **error, const gchar *what)
{
	g_set_error(error, COLO_ERROR, cc_store_code_for_sqlite(self), "%s: %s: %s", self->path,
		    what, sqlite3_errmsg(self->db));
	return FALSE;
}

/* cc_store_open() adds the path */
static gboolean
cc_store_fail_corrupt(GError **error, const gchar *problem)
{
	g_set_error(error, COLO_ERROR, COLO_ERROR_STORE_CORRUPT,
		    "corrupt or not a database (%s); coloctld refuses to start on it and never "
		    "deletes or recreates it: move the file aside (with its -wal and -shm files, "
		    "if any), then restore a backup or start again with an empty store",
		    problem);
	return FALSE;
}

/* while opening: sqlite's message alone, cc_store_open() adds the path */
static gboolean
cc_store_fail_open(CcStore *self, GError **error)
{
	if (cc_store_is_corruption(sqlite3_extended_errcode(self->db)))
		return cc_store_fail_corrupt(error, sqlite3_errmsg(self->db));
	g_set_error_literal(error, COLO_ERROR, COLO_ERROR_STORE, sqlite3_errmsg(self->db));
	return FALSE;
}

static gboolean
cc_store_exec(CcStore *self, const gchar *sql, GError **error)
{
	if (sqlite3_exec(self->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return cc_store_fail(self, error, sql);
	return TRUE;
}

static gboolean
cc_store_exec_open(CcStore *self, const gchar *sql, GError **error)
{
	if (sqlite3_exec(self->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return cc_store_fail_open(self, error);
	return TRUE;
}

/* the statements of the public calls are prepared once and reused */
static CcStoreStmt *
cc_store_prepare(CcStore *self, const gchar *sql, GError **error)
{
	sqlite3_stmt *stmt = g_hash_table_lookup(self->stmts, sql);
	if (stmt != NULL)
		return stmt;
	if (sqlite3_prepare_v3(self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL) !=
	    SQLITE_OK) {
		cc_store_fail(self, error, "prepare");
		return NULL;
	}
	g_hash_table_insert(self->stmts, (gpointer)sql, stmt);
	return stmt;
}

static sqlite3_stmt *
cc_store_prepare_open(CcStore *self, const gchar *sql, GError **error)
{
	sqlite3_stmt *stmt = NULL;
	if (sqlite3_prepare_v2(self->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
		cc_store_fail_open(self, error);
		return NULL;
	}
	return stmt;
}

/* a misspelt parameter name gives index 0, which sqlite refuses with SQLITE_RANGE */
static gint
cc_store_bind_text(sqlite3_stmt *stmt, const gchar *param, const gchar *value)
{
	return sqlite3_bind_text(stmt, sqlite3_bind_parameter_index(stmt, param), value, -1,
				 SQLITE_TRANSIENT);
}

static gint
cc_store_bind_int64(sqlite3_stmt *stmt, const gchar *param, gint64 value)
{
	return sqlite3_bind_int64(stmt, sqlite3_bind_parameter_index(stmt, param), value);
}

static gchar *
cc_store_column_dup(sqlite3_stmt *stmt, gint col)
{
	return g_strdup((const gchar *)sqlite3_column_text(stmt, col));
}

/* runs a statement that returns no rows */
static gboolean
cc_store_step_done(CcStore *self, sqlite3_stmt *stmt, const gchar *what, GError **error)
{
	if (sqlite3_step(stmt) != SQLITE_DONE)
		return cc_store_fail(self, error, what);
	return TRUE;
}

/* the first statement on the file: a damaged one is refused, never touched */
static gboolean
cc_store_check_integrity(CcStore *self, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = NULL;
	g_autoptr(GString) problems = g_string_new(NULL);
	guint n_problems = 0;
	gint rc = sqlite3_prepare_v2(self->db, "PRAGMA quick_check", -1, &stmt, NULL);

	while (rc == SQLITE_OK || rc == SQLITE_ROW) {
		const gchar *line;
		rc = sqlite3_step(stmt);
		if (rc != SQLITE_ROW)
			break;
		line = (const gchar *)sqlite3_column_text(stmt, 0);
		if (g_strcmp0(line, "ok") == 0)
			continue;
		if (n_problems++ < CC_STORE_QUICK_CHECK_SHOWN)
			g_string_append_printf(problems, "%s%s", problems->len > 0 ? "; " : "",
					       line != NULL ? line : "(null)");
	}
	if (cc_store_is_corruption(rc))
		return cc_store_fail_corrupt(error, sqlite3_errmsg(self->db));
	if (rc != SQLITE_DONE)
		return cc_store_fail_open(self, error);
	if (n_problems > 0) {
		g_autofree gchar *problem =
			g_strdup_printf("quick_check found %u problem%s: %s%s", n_problems,
					n_problems > 1 ? "s" : "", problems->str,
					n_problems > CC_STORE_QUICK_CHECK_SHOWN ? "; ..." : "");
		return cc_store_fail_corrupt(error, problem);
	}
	return TRUE;
}

static gboolean
cc_store_set_wal(CcStore *self, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = NULL;
	const gchar *mode;

	stmt = cc_store_prepare_open(self, "PRAGMA journal_mode = WAL", error);
	if (stmt == NULL)
		return FALSE;
	if (sqlite3_step(stmt) != SQLITE_ROW)
		return cc_store_fail_open(self, error);
	mode = (const gchar *)sqlite3_column_text(stmt, 0);
	if (g_ascii_strcasecmp(mode != NULL ? mode : "", "wal") != 0) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_STORE,
			    "cannot use write-ahead logging (journal mode stays %s): "
			    "is the file on a filesystem without shared memory support?",
			    mode != NULL ? mode : "unknown");
		return FALSE;
	}
	return TRUE;
}

static gboolean
cc_store_enable_foreign_keys(CcStore *self, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = NULL;

	if (!cc_store_exec_open(self, "PRAGMA foreign_keys = ON", error))
		return FALSE;
	stmt = cc_store_prepare_open(self, "PRAGMA foreign_keys", error);
	if (stmt == NULL)
		return FALSE;
	if (sqlite3_step(stmt) != SQLITE_ROW || sqlite3_column_int(stmt, 0) != 1) {
		g_set_error_literal(
			error, COLO_ERROR, COLO_ERROR_STORE,
			"foreign keys cannot be enabled: SQLite was built without them");
		return FALSE;
	}
	return TRUE;
}

/* 0 for a new, empty file */
static gboolean
cc_store_read_version(CcStore *self, guint *version, GError **error)
{
	g_autoptr(sqlite3_stmt) objects = NULL;
	g_autoptr(sqlite3_stmt) stmt = NULL;
	gint64 n_rows;
	gint64 value;

	objects = cc_store_prepare_open(self,
					"SELECT count(*), count(*) FILTER (WHERE type = 'table' "
					"AND name = 'schema_version') FROM sqlite_master",
					error);
	if (objects == NULL)
		return FALSE;
	if (sqlite3_step(objects) != SQLITE_ROW)
		return cc_store_fail_open(self, error);
	if (sqlite3_column_int64(objects, 1) == 0) {
		if (sqlite3_column_int64(objects, 0) > 0) {
			g_set_error_literal(
				error, COLO_ERROR, COLO_ERROR_STORE_MIGRATION,
				"the database has tables but no schema_version: it is "
				"not a coloctld store, coloctld refuses to start on it");
			return FALSE;
		}
		*version = 0;
		return TRUE;
	}
	stmt = cc_store_prepare_open(self, "SELECT count(*), max(version) FROM schema_version",
				     error);
	if (stmt == NULL)
		return FALSE;
	if (sqlite3_step(stmt) != SQLITE_ROW)
		return cc_store_fail_open(self, error);
	n_rows = sqlite3_column_int64(stmt, 0);
	value = sqlite3_column_int64(stmt, 1);
	if (n_rows != 1 || value < 0 || value > G_MAXINT) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_STORE_CORRUPT,
			    "schema_version holds %" G_GINT64_FORMAT " rows (max %" G_GINT64_FORMAT
			    ") instead of one version; coloctld refuses to start on it",
			    n_rows, value);
		return FALSE;
	}
	*version = (guint)value;
	return TRUE;
}

/* a migration runs inside our transaction: it must not end it */
static gint
cc_store_migration_authorizer(gpointer user_data, gint action, const gchar *arg1, const gchar *arg2,
			      const gchar *db_name, const gchar *trigger)
{
	CcStore *self = user_data;
	if (action != SQLITE_TRANSACTION)
		return SQLITE_OK;
	self->denied_transaction = TRUE;
	return SQLITE_DENY;
}

/* runs @sql under the authorizer; sqlite's message, if any, is kept */
static gboolean
cc_store_migration_exec(CcStore *self, const gchar *sql, GError **error)
{
	gint rc;

	self->denied_transaction = FALSE;
	sqlite3_set_authorizer(self->db, cc_store_migration_authorizer, self);
	rc = sqlite3_exec(self->db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK && self->denied_transaction)
		g_set_error_literal(error, COLO_ERROR, COLO_ERROR_STORE,
				    "BEGIN, COMMIT, END and ROLLBACK are not allowed in a "
				    "migration, it runs in a transaction of its own");
	else if (rc != SQLITE_OK)
		cc_store_fail_open(self, error);
	sqlite3_set_authorizer(self->db, NULL, NULL);
	return rc == SQLITE_OK;
}

/* migrations run with foreign keys off (SQLite's procedure to rebuild a table needs it) */
static gboolean
cc_store_check_foreign_keys(CcStore *self, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt =
		cc_store_prepare_open(self, "PRAGMA foreign_key_check", error);
	gint rc;

	if (stmt == NULL)
		return FALSE;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		g_set_error(
			error, COLO_ERROR, COLO_ERROR_STORE,
			"FOREIGN KEY constraint failed: a row of %s refers to a missing row of %s",
			(const gchar *)sqlite3_column_text(stmt, 0),
			(const gchar *)sqlite3_column_text(stmt, 2));
		return FALSE;
	}
	if (rc != SQLITE_DONE)
		return cc_store_fail_open(self, error);
	return TRUE;
}

/* migration @from + 1 and the version bump, in the transaction the caller opened */
static gboolean
cc_store_migration_apply(CcStore *self, guint from, const gchar *sql, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = NULL;

	if (from == 0 &&
	    !cc_store_exec_open(
		    self,
		    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);"
		    "INSERT INTO schema_version (version) SELECT 0 "
		    "WHERE NOT EXISTS (SELECT 1 FROM schema_version)",
		    error))
		return FALSE;
	if (!cc_store_migration_exec(self, sql, error))
		return FALSE;
	if (!cc_store_check_foreign_keys(self, error))
		return FALSE;
	stmt = cc_store_prepare_open(self, "UPDATE schema_version SET version = :version", error);
	if (stmt == NULL)
		return FALSE;
	if (cc_store_bind_int64(stmt, ":version", (gint64)from + 1) != SQLITE_OK ||
	    sqlite3_step(stmt) != SQLITE_DONE)
		return cc_store_fail_open(self, error);
	return cc_store_exec_open(self, "COMMIT", error);
}

static gboolean
cc_store_migration_step(CcStore *self, guint from, const gchar *sql, GError **error)
{
	g_autoptr(GError) error_local = NULL;
	guint current = 0;

	if (!cc_store_exec_open(self, "BEGIN IMMEDIATE", &error_local) ||
	    !cc_store_read_version(self, &current, &error_local) ||
	    (current == from && !cc_store_migration_apply(self, from, sql, &error_local))) {
		if (!sqlite3_get_autocommit(self->db))
			sqlite3_exec(self->db, "ROLLBACK", NULL, NULL, NULL);
		g_set_error(error, COLO_ERROR, COLO_ERROR_STORE_MIGRATION,
			    "migration %u failed: %s; the database was left at version %u",
			    from + 1, error_local->message, from);
		return FALSE;
	}
	/* another process migrated it since we looked: the caller looks again */
	if (current != from)
		sqlite3_exec(self->db, "ROLLBACK", NULL, NULL, NULL);
	return TRUE;
}

/* fails, before anything is written, on a file from a newer coloctld */
static gboolean
cc_store_check_version(CcStore *self, guint n_migrations, guint *version, GError **error)
{
	if (!cc_store_read_version(self, version, error))
		return FALSE;
	if (*version > n_migrations) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_STORE_MIGRATION,
			    "the database is at schema version %u, written by a newer coloctld "
			    "(this one knows up to %u); coloctld refuses to start on it",
			    *version, n_migrations);
		return FALSE;
	}
	return TRUE;
}

static gboolean
cc_store_migrate(CcStore *self, const gchar *const *migrations, GError **error)
{
	guint n_migrations = g_strv_length((gchar **)migrations);
	guint version = 0;

	for (;;) {
		if (!cc_store_check_version(self, n_migrations, &version, error))
			return FALSE;
		if (version == n_migrations)
			break;
		if (!cc_store_migration_step(self, version, migrations[version], error))
			return FALSE;
	}
	self->version = version;
	return TRUE;
}

static gboolean
cc_store_open_db(CcStore *self, const gchar *const *migrations, GError **error)
{
	guint version = 0;

	if (sqlite3_open_v2(self->path, &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
			    NULL) != SQLITE_OK)
		return cc_store_fail_open(self, error);
	sqlite3_busy_timeout(self->db, CC_STORE_BUSY_TIMEOUT_MS);
	/* read-only so far: a file we refuse is left exactly as it was */
	if (!cc_store_check_integrity(self, error))
		return FALSE;
	if (!cc_store_check_version(self, g_strv_length((gchar **)migrations), &version, error))
		return FALSE;
	if (!cc_store_exec_open(self, "PRAGMA foreign_keys = OFF", error))
		return FALSE;
	/* migrations run in the file's own journal mode: a failed one leaves every byte as it
	 * was; only a database at the current version is switched to WAL */
	if (!cc_store_migrate(self, migrations, error))
		return FALSE;
	if (!cc_store_set_wal(self, error))
		return FALSE;
	if (!cc_store_exec_open(self, "PRAGMA synchronous = NORMAL", error))
		return FALSE;
	return cc_store_enable_foreign_keys(self, error);
}

CcStore *
cc_store_open(const gchar *path, const gchar *const *migrations, GError **error)
{
	g_autoptr(CcStore) self = NULL;

	g_return_val_if_fail(path != NULL, NULL);
	g_return_val_if_fail(migrations != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	self = g_object_new(CC_TYPE_STORE, NULL);
	self->path = g_strdup(path);
	if (!cc_store_open_db(self, migrations, error)) {
		g_prefix_error(error, "%s: ", path);
		return NULL;
	}
	return g_steal_pointer(&self);
}

CcStore *
cc_store_open_default(const gchar *path, GError **error)
{
	return cc_store_open(path, cc_store_migrations, error);
}

guint
cc_store_get_version(CcStore *self)
{
	g_return_val_if_fail(CC_IS_STORE(self), 0);
	return self->version;
}

const gchar *
cc_store_get_path(CcStore *self)
{
	g_return_val_if_fail(CC_IS_STORE(self), NULL);
	return self->path;
}

gboolean
cc_store_guest_insert(CcStore *self, const CcStoreGuest *guest, GError **error)
{
	g_autoptr(CcStoreStmt) stmt = NULL;
	gint64 created_us;

	g_return_val_if_fail(CC_IS_STORE(self), FALSE);
	g_return_val_if_fail(guest != NULL && guest->name != NULL, FALSE);

	created_us = guest->created_us != 0 ? guest->created_us : g_get_real_time();
	stmt = cc_store_prepare(
		self,
		"INSERT INTO guests (" CC_STORE_GUEST_COLUMNS ") VALUES (:name, :memory_mib, "
		":vcpus, :disk, :kernel, :initrd, :append, :net, :host, :state, :reason, "
		":created_us, :updated_us)",
		error);
	if (stmt == NULL)
		return FALSE;
	if (cc_store_bind_text(stmt, ":name", guest->name) != SQLITE_OK ||
	    cc_store_bind_int64(stmt, ":memory_mib", guest->memory_mib) != SQLITE_OK ||
	    cc_store_bind_int64(stmt, ":vcpus", guest->vcpus) != SQLITE_OK ||
	    cc_store_bind_text(stmt, ":disk", guest->disk) != SQLITE_OK ||
	    cc_store_bind_text(stmt, ":kernel", guest->kernel) != SQLITE_OK ||
	    cc_store_bind_text(stmt, ":initrd", guest->initrd) != SQLITE_OK ||
	    cc_store_bind_text(stmt, ":append", guest->append) != SQLITE_OK ||
	    cc_store_bind_text(stmt, ":net", guest->net) != SQLITE_OK ||
	    cc_store_bind_text(stmt, ":host", guest->host) != SQLITE_OK ||
	    cc_store_bind_text(stmt, ":state", guest->state) != SQLITE_OK ||
	    cc_store_bind_text(stmt, ":reason", guest->reason) != SQLITE_OK ||
	    cc_store_bind_int64(stmt, ":created_us", created_us) != SQLITE_OK ||
	    cc_store_bind_int64(stmt, ":updated_us",
				guest->updated_us != 0 ? guest->updated_us : created_us) !=
		    SQLITE_OK)
		return cc_store_fail(self, error, "insert guest");
	if (sqlite3_step(stmt) == SQLITE_DONE)
		return TRUE;
	if (sqlite3_extended_errcode(self->db) == SQLITE_CONSTRAINT_PRIMARYKEY) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_CONFLICT, "guest %s already exists",
			    guest->name);
		return FALSE;
	}
	return cc_store_fail(self, error, "insert guest");
}

static CcStoreGuest *
cc_store_guest_from_row(sqlite3_stmt *stmt)
{
	CcStoreGuest *guest = g_new0(CcStoreGuest, 1);
	guest->name = cc_store_column_dup(stmt, 0);
	guest->memory_mib = sqlite3_column_int64(stmt, 1);
	guest->vcpus = sqlite3_column_int64(stmt, 2);
	guest->disk = cc_store_column_dup(stmt, 3);
	guest->kernel = cc_store_column_dup(stmt, 4);
	guest->initrd = cc_store_column_dup(stmt, 5);
	guest->append = cc_store_column_dup(stmt, 6);
	guest->net = cc_store_column_dup(stmt, 7);
	guest->host = cc_store_column_dup(stmt, 8);
	guest->state = cc_store_column_dup(stmt, 9);
	guest->reason = cc_store_column_dup(stmt, 10);
	guest->created_us = sqlite3_column_int64(stmt, 11);
	guest->updated_us = sqlite3_column_int64(stmt, 12);
	return guest;
}

CcStoreGuest *
cc_store_guest_get(CcStore *self, const gchar *name, GError **error)
{
	g_autoptr(CcStoreStmt) stmt = NULL;
	gint rc;

	g_return_val_if_fail(CC_IS_STORE(self), NULL);
	g_return_val_if_fail(name != NULL, NULL);

	stmt = cc_store_prepare(
		self, "SELECT " CC_STORE_GUEST_COLUMNS " FROM guests WHERE name = :name", error);
	if (stmt == NULL)
		return NULL;
	if (cc_store_bind_text(stmt, ":name", name) != SQLITE_OK) {
		cc_store_fail(self, error, "get guest");
		return NULL;
	}
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		return cc_store_guest_from_row(stmt);
	if (rc == SQLITE_DONE)
		g_set_error(error, COLO_ERROR, COLO_ERROR_NOT_FOUND, "no guest named %s", name);
	else
		cc_store_fail(self, error, "get guest");
	return NULL;
}

GPtrArray *
cc_store_guest_list(CcStore *self, GError **error)
{
	g_autoptr(CcStoreStmt) stmt = NULL;
	g_autoptr(GPtrArray) guests =
		g_ptr_array_new_with_free_func((GDestroyNotify)cc_store_guest_free);
	gint rc;

	g_return_val_if_fail(CC_IS_STORE(self), NULL);

	stmt = cc_store_prepare(self, "SELECT " CC_STORE_GUEST_COLUMNS " FROM guests ORDER BY name",
				error);
	if (stmt == NULL)
		return NULL;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		g_ptr_array_add(guests, cc_store_guest_from_row(stmt));
	if (rc != SQLITE_DONE) {
		cc_store_fail(self, error, "list guests");
		return NULL;
	}
	return g_steal_pointer(&guests);
}

gboolean
cc_store_guest_set_state(CcStore *self, const gchar *name, const gchar *state, const gchar *reason,
			 GError **error)
{
	g_autoptr(CcStoreStmt) stmt = NULL;

	g_return_val_if_fail(CC_IS_STORE(self), FALSE);
	g_return_val_if_fail(name != NULL, FALSE);
	g_return_val_if_fail(state != NULL, FALSE);

	stmt = cc_store_prepare(self,
				"UPDATE guests SET state = :state, reason = :reason, "
				"updated_us = :updated_us WHERE name = :name",
				error);
	if (stmt == NULL)
		return FALSE;
	if (cc_store_bind_text(stmt, ":state", state) != SQLITE_OK ||
	    cc_store_bind_text(stmt, ":reason", reason) != SQLITE_OK ||
	    cc_store_bind_int64(stmt, ":updated_us", g_get_real_time()) != SQLITE_OK ||
	    cc_store_bind_text(stmt, ":name", name) != SQLITE_OK)
		return cc_store_fail(self, error, "set guest state");
	if (!cc_store_step_done(self, stmt, "set guest state", error))
		return FALSE;
	if (sqlite3_changes(self->db) == 0) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_NOT_FOUND, "no guest named %s", name);
		return FALSE;
	}
	return TRUE;
}

gboolean
cc_store_guest_delete(CcStore *self, const gchar *name, GError **error)
{
	g_autoptr(CcStoreStmt) stmt = NULL;

	g_return_val_if_fail(CC_IS_STORE(self), FALSE);
	g_return_val_if_fail(name != NULL, FALSE);

	stmt = cc_store_prepare(self, "DELETE FROM guests WHERE name = :name", error);
	if (stmt == NULL)
		return FALSE;
	if (cc_store_bind_text(stmt, ":name", name) != SQLITE_OK)
		return cc_store_fail(self, error, "delete guest");
	if (!cc_store_step_done(self, stmt, "delete guest", error))
		return FALSE;
	if (sqlite3_changes(self->db) == 0) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_NOT_FOUND, "no guest named %s", name);
		return FALSE;
	}
	return TRUE;
}

gboolean
cc_store_member_put(CcStore *self, const CcStoreMember *member, GError **error)
{
	g_autoptr(CcStoreStmt) stmt = NULL;

	g_return_val_if_fail(CC_IS_STORE(self), FALSE);
	g_return_val_if_fail(member != NULL && member->guest != NULL && member->role != NULL,
			     FALSE);

	stmt = cc_store_prepare(
		self,
		"INSERT INTO members (" CC_STORE_MEMBER_COLUMNS ") VALUES (:guest, :role, :host, "
		":pid, :start_time, :qmp_path, :generation, :state) "
		"ON CONFLICT (guest, role) DO UPDATE SET host = excluded.host, pid = excluded.pid, "
		"start_time = excluded.start_time, qmp_path = excluded.qmp_path, "
		"generation = excluded.generation, state = excluded.state",
		error);
	if (stmt == NULL)
		return FALSE;
	/* the unsigned values are stored as their 64-bit pattern and read back the same */
	if (cc_store_bind_text(stmt, ":guest", member->guest) != SQLITE_OK ||
	    cc_store_bind_text(stmt, ":role", member->role) != SQLITE_OK ||
	    cc_store_bind_text(stmt, ":host", member->host) != SQLITE_OK ||
	    cc_store_bind_int64(stmt, ":pid", member->pid) != SQLITE_OK ||
	    cc_store_bind_int64(stmt, ":start_time", (gint64)member->start_time) != SQLITE_OK ||
	    cc_store_bind_text(stmt, ":qmp_path", member->qmp_path) != SQLITE_OK ||
	    cc_store_bind_int64(stmt, ":generation", (gint64)member->generation) != SQLITE_OK ||
	    cc_store_bind_text(stmt, ":state", member->state) != SQLITE_OK)
		return cc_store_fail(self, error, "put member");
	if (sqlite3_step(stmt) == SQLITE_DONE)
		return TRUE;
	if (sqlite3_extended_errcode(self->db) == SQLITE_CONSTRAINT_FOREIGNKEY) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_NOT_FOUND, "no guest named %s",
			    member->guest);
		return FALSE;
	}
	return cc_store_fail(self, error, "put member");
}

static CcStoreMember *
cc_store_member_from_row(sqlite3_stmt *stmt)
{
	CcStoreMember *member = g_new0(CcStoreMember, 1);
	member->guest = cc_store_column_dup(stmt, 0);
	member->role = cc_store_column_dup(stmt, 1);
	member->host = cc_store_column_dup(stmt, 2);
	member->pid = sqlite3_column_int64(stmt, 3);
	member->start_time = (guint64)sqlite3_column_int64(stmt, 4);
	member->qmp_path = cc_store_column_dup(stmt, 5);
	member->generation = (guint64)sqlite3_column_int64(stmt, 6);
	member->state = cc_store_column_dup(stmt, 7);
	return member;
}

/* of CcStoreMember, every guest's, ordered by guest and role: one query for a listing */
GPtrArray *
cc_store_member_list_all(CcStore *self, GError **error)
{
	g_autoptr(CcStoreStmt) stmt = NULL;
	g_autoptr(GPtrArray) members =
		g_ptr_array_new_with_free_func((GDestroyNotify)cc_store_member_free);
	gint rc;

	g_return_val_if_fail(CC_IS_STORE(self), NULL);
	stmt = cc_store_prepare(
		self, "SELECT " CC_STORE_MEMBER_COLUMNS " FROM members ORDER BY guest, role",
		error);
	if (stmt == NULL)
		return NULL;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		g_ptr_array_add(members, cc_store_member_from_row(stmt));
	if (rc != SQLITE_DONE) {
		cc_store_fail(self, error, "list members");
		return NULL;
	}
	return g_steal_pointer(&members);
}

GPtrArray *
cc_store_member_list(CcStore *self, const gchar *guest, GError **error)
{
	g_autoptr(CcStoreStmt) stmt = NULL;
	g_autoptr(GPtrArray) members =
		g_ptr_array_new_with_free_func((GDestroyNotify)cc_store_member_free);
	gint rc;

	g_return_val_if_fail(CC_IS_STORE(self), NULL);
	g_return_val_if_fail(guest != NULL, NULL);

	stmt = cc_store_prepare(self,
				"SELECT " CC_STORE_MEMBER_COLUMNS
				" FROM members WHERE guest = :guest ORDER BY role",
				error);
	if (stmt == NULL)
		return NULL;
	if (cc_store_bind_text(stmt, ":guest", guest) != SQLITE_OK) {
		cc_store_fail(self, error, "list members");
		return NULL;
	}
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		g_ptr_array_add(members, cc_store_member_from_row(stmt));
	if (rc != SQLITE_DONE) {
		cc_store_fail(self, error, "list members");
		return NULL;
	}
	return g_steal_pointer(&members);
}

gboolean
cc_store_member_delete(CcStore *self, const gchar *guest, const gchar *role, GError **error)
{
	g_autoptr(CcStoreStmt) stmt = NULL;

	g_return_val_if_fail(CC_IS_STORE(self), FALSE);
	g_return_val_if_fail(guest != NULL && role != NULL, FALSE);

	stmt = cc_store_prepare(self, "DELETE FROM members WHERE guest = :guest AND role = :role",
				error);
	if (stmt == NULL)
		return FALSE;
	if (cc_store_bind_text(stmt, ":guest", guest) != SQLITE_OK ||
	    cc_store_bind_text(stmt, ":role", role) != SQLITE_OK)
		return cc_store_fail(self, error, "delete member");
	if (!cc_store_step_done(self, stmt, "delete member", error))
		return FALSE;
	if (sqlite3_changes(self->db) == 0) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_NOT_FOUND, "guest %s has no member %s",
			    guest, role);
		return FALSE;
	}
	return TRUE;
}

/* the log is append-only: a malformed detail would stay in it for ever */
static gboolean
cc_store_check_detail(const gchar *detail, GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error_local = NULL;
	JsonNode *root;

	if (!json_parser_load_from_data(parser, detail, -1, &error_local)) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_INVALID_INPUT,
			    "event detail is not JSON: %s", error_local->message);
		return FALSE;
	}
	root = json_parser_get_root(parser);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
		g_set_error_literal(error, COLO_ERROR, COLO_ERROR_INVALID_INPUT,
				    "event detail must be a JSON object");
		return FALSE;
	}
	return TRUE;
}

gint64
cc_store_event_append(CcStore *self, const gchar *guest, const gchar *member, const gchar *kind,
		      const gchar *detail_json, GError **error)
{
	g_autoptr(CcStoreStmt) stmt = NULL;
	const gchar *detail = detail_json != NULL ? detail_json : "{}";

	g_return_val_if_fail(CC_IS_STORE(self), 0);
	g_return_val_if_fail(kind != NULL, 0);

	if (!cc_store_check_detail(detail, error))
		return 0;
	stmt = cc_store_prepare(self,
				"INSERT INTO events (ts_us, guest, member, kind, detail) "
				"VALUES (:ts_us, :guest, :member, :kind, :detail)",
				error);
	if (stmt == NULL)
		return 0;
	if (cc_store_bind_int64(stmt, ":ts_us", g_get_real_time()) != SQLITE_OK ||
	    cc_store_bind_text(stmt, ":guest", guest) != SQLITE_OK ||
	    cc_store_bind_text(stmt, ":member", member) != SQLITE_OK ||
	    cc_store_bind_text(stmt, ":kind", kind) != SQLITE_OK ||
	    cc_store_bind_text(stmt, ":detail", detail) != SQLITE_OK) {
		cc_store_fail(self, error, "append event");
		return 0;
	}
	if (!cc_store_step_done(self, stmt, "append event", error))
		return 0;
	return sqlite3_last_insert_rowid(self->db);
}

static CcStoreEvent *
cc_store_event_from_row(sqlite3_stmt *stmt)
{
	CcStoreEvent *event = g_new0(CcStoreEvent, 1);
	event->id = sqlite3_column_int64(stmt, 0);
	event->ts_us = sqlite3_column_int64(stmt, 1);
	event->guest = cc_store_column_dup(stmt, 2);
	event->member = cc_store_column_dup(stmt, 3);
	event->kind = cc_store_column_dup(stmt, 4);
	event->detail = cc_store_column_dup(stmt, 5);
	return event;
}

GPtrArray *
cc_store_event_list(CcStore *self, gint64 after_id, guint limit, GError **error)
{
	g_autoptr(CcStoreStmt) stmt = NULL;
	g_autoptr(GPtrArray) events =
		g_ptr_array_new_with_free_func((GDestroyNotify)cc_store_event_free);
	gint rc;

	g_return_val_if_fail(CC_IS_STORE(self), NULL);

	stmt = cc_store_prepare(self,
				"SELECT " CC_STORE_EVENT_COLUMNS
				" FROM events WHERE id > :after ORDER BY id LIMIT :limit",
				error);
	if (stmt == NULL)
		return NULL;
	if (cc_store_bind_int64(stmt, ":after", after_id) != SQLITE_OK ||
	    cc_store_bind_int64(stmt, ":limit",
				limit != 0 ? limit : CC_STORE_EVENT_LIMIT_DEFAULT) != SQLITE_OK) {
		cc_store_fail(self, error, "list events");
		return NULL;
	}
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		g_ptr_array_add(events, cc_store_event_from_row(stmt));
	if (rc != SQLITE_DONE) {
		cc_store_fail(self, error, "list events");
		return NULL;
	}
	return g_steal_pointer(&events);
}

gint64
cc_store_event_last_id(CcStore *self)
{
	g_autoptr(CcStoreStmt) stmt = NULL;
	g_autoptr(GError) error = NULL;

	g_return_val_if_fail(CC_IS_STORE(self), 0);

	stmt = cc_store_prepare(self, "SELECT coalesce(max(id), 0) FROM events", &error);
	if (stmt != NULL && sqlite3_step(stmt) != SQLITE_ROW)
		cc_store_fail(self, &error, "last event id");
	if (error != NULL) {
		g_warning("%s", error->message);
		return 0;
	}
	return sqlite3_column_int64(stmt, 0);
}

gboolean
cc_store_transaction_begin(CcStore *self, GError **error)
{
	g_return_val_if_fail(CC_IS_STORE(self), FALSE);
	return cc_store_exec(self, "BEGIN IMMEDIATE", error);
}

gboolean
cc_store_transaction_commit(CcStore *self, GError **error)
{
	g_return_val_if_fail(CC_IS_STORE(self), FALSE);
	return cc_store_exec(self, "COMMIT", error);
}

gboolean
cc_store_transaction_rollback(CcStore *self, GError **error)
{
	g_return_val_if_fail(CC_IS_STORE(self), FALSE);
	/* sqlite itself may have rolled back already, on SQLITE_FULL or SQLITE_IOERR */
	if (sqlite3_get_autocommit(self->db))
		return TRUE;
	return cc_store_exec(self, "ROLLBACK", error);
}

static void
cc_store_finalize(GObject *object)
{
	CcStore *self = CC_STORE(object);

	/* every statement is finalized where it was prepared, so close cannot be busy */
	g_hash_table_unref(self->stmts);
	if (self->db != NULL && sqlite3_close(self->db) != SQLITE_OK)
		g_warning("%s: cannot close: %s", self->path, sqlite3_errmsg(self->db));
	g_free(self->path);
	G_OBJECT_CLASS(cc_store_parent_class)->finalize(object);
}

static void
cc_store_class_init(CcStoreClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->finalize = cc_store_finalize;
}

static void
cc_store_init(CcStore *self)
{
	/* keys are the string literals of the call sites */
	self->stmts = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, cc_store_stmt_finalize);
}

/* ------------------------------------------------------------ migrations */

gboolean
cc_store_guest_set_host(CcStore *self, const gchar *name, const gchar *host, GError **error)
{
	g_autoptr(CcStoreStmt) stmt = NULL;

	g_return_val_if_fail(CC_IS_STORE(self), FALSE);
	stmt = cc_store_prepare(
		self, "UPDATE guests SET host = :host, updated_us = :updated_us WHERE name = :name",
		error);
	if (stmt == NULL)
		return FALSE;
	if (cc_store_bind_text(stmt, ":host", host) != SQLITE_OK ||
	    cc_store_bind_int64(stmt, ":updated_us", g_get_real_time()) != SQLITE_OK ||
	    cc_store_bind_text(stmt, ":name", name) != SQLITE_OK)
		return cc_store_fail(self, error, "set guest host");
	if (!cc_store_step_done(self, stmt, "set guest host", error))
		return FALSE;
	if (sqlite3_changes(self->db) == 0) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_NOT_FOUND, "no guest named %s", name);
		return FALSE;
	}
	return TRUE;
}

void
cc_store_migration_free(CcStoreMigration *m)
{
	if (m == NULL)
		return;
	g_free(m->guest);
	g_free(m->source_host);
	g_free(m->dest_host);
	g_free(m->state);
	g_free(m->reason);
	g_free(m->params);
	g_free(m->result);
	g_free(m);
}

gint64
cc_store_migration_insert(CcStore *self, const gchar *guest, const gchar *source_host,
			  const gchar *dest_host, const gchar *params_json, GError **error)
{
	g_autoptr(CcStoreStmt) stmt = NULL;

	g_return_val_if_fail(CC_IS_STORE(self), 0);
	stmt = cc_store_prepare(self,
				"INSERT INTO migrations (guest, source_host, dest_host, state, "
				"params, started_us) VALUES (:guest, :src, :dst, 'setup', :params, "
				":started)",
				error);
	if (stmt == NULL)
		return 0;
	if (cc_store_bind_text(stmt, ":guest", guest) != SQLITE_OK ||
	    cc_store_bind_text(stmt, ":src", source_host) != SQLITE_OK ||
	    cc_store_bind_text(stmt, ":dst", dest_host) != SQLITE_OK ||
	    cc_store_bind_text(stmt, ":params", params_json != NULL ? params_json : "{}") !=
		    SQLITE_OK ||
	    cc_store_bind_int64(stmt, ":started", g_get_real_time()) != SQLITE_OK) {
		cc_store_fail(self, error, "insert migration");
		return 0;
	}
	if (!cc_store_step_done(self, stmt, "insert migration", error))
		return 0;
	return sqlite3_last_insert_rowid(self->db);
}

gboolean
cc_store_migration_update(CcStore *self, gint64 id, const gchar *state, const gchar *reason,
			  const gchar *result_json, gboolean ended, GError **error)
{
	g_autoptr(CcStoreStmt) stmt = NULL;

	g_return_val_if_fail(CC_IS_STORE(self), FALSE);
	stmt = cc_store_prepare(
		self,
		"UPDATE migrations SET state = :state, reason = :reason, "
		"result = coalesce(:result, result), ended_us = :ended WHERE id = :id",
		error);
	if (stmt == NULL)
		return FALSE;
	if (cc_store_bind_text(stmt, ":state", state) != SQLITE_OK ||
	    cc_store_bind_text(stmt, ":reason", reason) != SQLITE_OK ||
	    cc_store_bind_text(stmt, ":result", result_json) != SQLITE_OK ||
	    (ended ? cc_store_bind_int64(stmt, ":ended", g_get_real_time())
		   : sqlite3_bind_null(stmt, sqlite3_bind_parameter_index(stmt, ":ended"))) !=
		    SQLITE_OK ||
	    cc_store_bind_int64(stmt, ":id", id) != SQLITE_OK)
		return cc_store_fail(self, error, "update migration");
	if (!cc_store_step_done(self, stmt, "update migration", error))
		return FALSE;
	if (sqlite3_changes(self->db) == 0) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_NOT_FOUND,
			    "no migration %" G_GINT64_FORMAT, id);
		return FALSE;
	}
	return TRUE;
}

CcStoreMigration *
cc_store_migration_last(CcStore *self, const gchar *guest, GError **error)
{
	g_autoptr(CcStoreStmt) stmt = NULL;
	CcStoreMigration *m;
	gint rc;

	g_return_val_if_fail(CC_IS_STORE(self), NULL);
	stmt = cc_store_prepare(self,
				"SELECT id, guest, source_host, dest_host, state, reason, params, "
				"result, started_us, coalesce(ended_us, 0) FROM migrations "
				"WHERE guest = :guest ORDER BY id DESC LIMIT 1",
				error);
	if (stmt == NULL)
		return NULL;
	if (cc_store_bind_text(stmt, ":guest", guest) != SQLITE_OK) {
		cc_store_fail(self, error, "get migration");
		return NULL;
	}
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_DONE) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_NOT_FOUND,
			    "guest %s has never been migrated", guest);
		return NULL;
	}
	if (rc != SQLITE_ROW) {
		cc_store_fail(self, error, "get migration");
		return NULL;
	}
	m = g_new0(CcStoreMigration, 1);
	m->id = sqlite3_column_int64(stmt, 0);
	m->guest = cc_store_column_dup(stmt, 1);
	m->source_host = cc_store_column_dup(stmt, 2);
	m->dest_host = cc_store_column_dup(stmt, 3);
	m->state = cc_store_column_dup(stmt, 4);
	m->reason = cc_store_column_dup(stmt, 5);
	m->params = cc_store_column_dup(stmt, 6);
	m->result = cc_store_column_dup(stmt, 7);
	m->started_us = sqlite3_column_int64(stmt, 8);
	m->ended_us = sqlite3_column_int64(stmt, 9);
	return m;
}

gboolean
cc_store_migration_sample_add(CcStore *self, gint64 id, gint64 t_us, const gchar *sample_json,
			      const gchar *report_json, GError **error)
{
	g_autoptr(CcStoreStmt) stmt = NULL;

	g_return_val_if_fail(CC_IS_STORE(self), FALSE);
	stmt = cc_store_prepare(self,
				"INSERT INTO migration_samples (migration, t_us, sample, report) "
				"VALUES (:id, :t, :sample, :report)",
				error);
	if (stmt == NULL)
		return FALSE;
	if (cc_store_bind_int64(stmt, ":id", id) != SQLITE_OK ||
	    cc_store_bind_int64(stmt, ":t", t_us) != SQLITE_OK ||
	    cc_store_bind_text(stmt, ":sample", sample_json) != SQLITE_OK ||
	    cc_store_bind_text(stmt, ":report", report_json) != SQLITE_OK)
		return cc_store_fail(self, error, "add migration sample");
	return cc_store_step_done(self, stmt, "add migration sample", error);
}

/* of CcStoreSample, in the order they were taken */
GPtrArray *
cc_store_migration_samples(CcStore *self, gint64 id, GError **error)
{
	g_autoptr(CcStoreStmt) stmt = NULL;
	g_autoptr(GPtrArray) out =
		g_ptr_array_new_with_free_func((GDestroyNotify)cc_store_sample_free);
	gint rc;

	g_return_val_if_fail(CC_IS_STORE(self), NULL);
	stmt = cc_store_prepare(self,
				"SELECT t_us, sample, report FROM migration_samples "
				"WHERE migration = :id ORDER BY rowid",
				error);
	if (stmt == NULL)
		return NULL;
	if (cc_store_bind_int64(stmt, ":id", id) != SQLITE_OK) {
		cc_store_fail(self, error, "list samples");
		return NULL;
	}
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		CcStoreSample *s = g_new0(CcStoreSample, 1);
		s->t_us = sqlite3_column_int64(stmt, 0);
		s->sample = cc_store_column_dup(stmt, 1);
		s->report = cc_store_column_dup(stmt, 2);
		g_ptr_array_add(out, s);
	}
	if (rc != SQLITE_DONE) {
		cc_store_fail(self, error, "list samples");
		return NULL;
	}
	return g_steal_pointer(&out);
}

void
cc_store_sample_free(CcStoreSample *s)
{
	if (s == NULL)
		return;
	g_free(s->sample);
	g_free(s->report);
	g_free(s);
}

/* ------------------------------------------------------------------ pairs */

void
cc_store_pair_free(CcStorePair *pair)
{
	if (pair == NULL)
		return;
	g_free(pair->guest);
	g_free(pair->secondary_host);
	g_free(pair->state);
	g_free(pair->reason);
	g_free(pair);
}

void
cc_store_failover_free(CcStoreFailover *f)
{
	if (f == NULL)
		return;
	g_free(f->guest);
	g_free(f->cause);
	g_free(f->lost);
	g_free(f->lost_role);
	g_free(f->survivor);
	g_free(f->detail);
	g_free(f);
}

/* @run_disk NULL: the guest runs from its defined disk again */
gboolean
cc_store_guest_set_run_disk(CcStore *self, const gchar *name, const gchar *run_disk, GError **error)
{
	g_autoptr(CcStoreStmt) stmt = NULL;

	g_return_val_if_fail(CC_IS_STORE(self), FALSE);
	stmt = cc_store_prepare(self,
				run_disk != NULL
					? "INSERT OR REPLACE INTO guest_disks (guest, run_disk) "
					  "VALUES (:name, :disk)"
					: "DELETE FROM guest_disks WHERE guest = :name",
				error);
	if (stmt == NULL)
		return FALSE;
	if ((run_disk != NULL && cc_store_bind_text(stmt, ":disk", run_disk) != SQLITE_OK) ||
	    cc_store_bind_text(stmt, ":name", name) != SQLITE_OK)
		return cc_store_fail(self, error, "set guest disk");
	return cc_store_step_done(self, stmt, "set guest disk", error);
}

/* NULL when the guest runs from its defined disk */
gchar *
cc_store_guest_get_run_disk(CcStore *self, const gchar *name)
{
	g_autoptr(CcStoreStmt) stmt = NULL;

	g_return_val_if_fail(CC_IS_STORE(self), NULL);
	stmt = cc_store_prepare(self, "SELECT run_disk FROM guest_disks WHERE guest = :name", NULL);
	if (stmt == NULL || cc_store_bind_text(stmt, ":name", name) != SQLITE_OK)
		return NULL;
	if (sqlite3_step(stmt) != SQLITE_ROW)
		return NULL;
	return cc_store_column_dup(stmt, 0);
}

gboolean
cc_store_pair_put(CcStore *self, const CcStorePair *pair, GError **error)
{
	g_autoptr(CcStoreStmt) stmt = NULL;

	g_return_val_if_fail(CC_IS_STORE(self), FALSE);
	stmt = cc_store_prepare(
		self,
		"INSERT OR REPLACE INTO pairs (guest, secondary_host, checkpoint_ms, port_base, "
		"state, reason, auto_reprotect, updated_us) VALUES (:guest, :host, :ckpt, :port, "
		":state, :reason, :auto, :updated)",
		error);
	if (stmt == NULL)
		return FALSE;
	if (cc_store_bind_text(stmt, ":guest", pair->guest) != SQLITE_OK ||
	    cc_store_bind_text(stmt, ":host", pair->secondary_host) != SQLITE_OK ||
	    cc_store_bind_int64(stmt, ":ckpt", pair->checkpoint_ms) != SQLITE_OK ||
	    cc_store_bind_int64(stmt, ":port", pair->port_base) != SQLITE_OK ||
	    cc_store_bind_text(stmt, ":state", pair->state) != SQLITE_OK ||
	    cc_store_bind_text(stmt, ":reason", pair->reason) != SQLITE_OK ||
	    cc_store_bind_int64(stmt, ":auto", pair->auto_reprotect ? 1 : 0) != SQLITE_OK ||
	    cc_store_bind_int64(stmt, ":updated", g_get_real_time()) != SQLITE_OK)
		return cc_store_fail(self, error, "put pair");
	return cc_store_step_done(self, stmt, "put pair", error);
}

static CcStorePair *
cc_store_pair_from_row(sqlite3_stmt *stmt)
{
	CcStorePair *p = g_new0(CcStorePair, 1);
	p->guest = cc_store_column_dup(stmt, 0);
	p->secondary_host = cc_store_column_dup(stmt, 1);
	p->checkpoint_ms = sqlite3_column_int64(stmt, 2);
	p->port_base = sqlite3_column_int64(stmt, 3);
	p->state = cc_store_column_dup(stmt, 4);
	p->reason = cc_store_column_dup(stmt, 5);
	p->auto_reprotect = sqlite3_column_int64(stmt, 6) != 0;
	p->updated_us = sqlite3_column_int64(stmt, 7);
	return p;
}

#define CC_STORE_PAIR_COLUMNS                                                                      \
	"guest, secondary_host, checkpoint_ms, port_base, state, reason, auto_reprotect, "         \
	"updated_us"

/* NULL with COLO_ERROR_NOT_FOUND when the guest has no pair */
CcStorePair *
cc_store_pair_get(CcStore *self, const gchar *guest, GError **error)
{
	g_autoptr(CcStoreStmt) stmt = NULL;
	gint rc;

	g_return_val_if_fail(CC_IS_STORE(self), NULL);
	stmt = cc_store_prepare(
		self, "SELECT " CC_STORE_PAIR_COLUMNS " FROM pairs WHERE guest = :guest", error);
	if (stmt == NULL)
		return NULL;
	if (cc_store_bind_text(stmt, ":guest", guest) != SQLITE_OK) {
		cc_store_fail(self, error, "get pair");
		return NULL;
	}
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		return cc_store_pair_from_row(stmt);
	if (rc == SQLITE_DONE)
		g_set_error(error, COLO_ERROR, COLO_ERROR_NOT_FOUND, "guest %s is not protected",
			    guest);
	else
		cc_store_fail(self, error, "get pair");
	return NULL;
}

GPtrArray *
cc_store_pair_list(CcStore *self, GError **error)
{
	g_autoptr(CcStoreStmt) stmt = NULL;
	g_autoptr(GPtrArray) rows =
		g_ptr_array_new_with_free_func((GDestroyNotify)cc_store_pair_free);
	gint rc;

	g_return_val_if_fail(CC_IS_STORE(self), NULL);
	stmt = cc_store_prepare(self, "SELECT " CC_STORE_PAIR_COLUMNS " FROM pairs ORDER BY guest",
				error);
	if (stmt == NULL)
		return NULL;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		g_ptr_array_add(rows, cc_store_pair_from_row(stmt));
	if (rc != SQLITE_DONE) {
		cc_store_fail(self, error, "list pairs");
		return NULL;
	}
	return g_steal_pointer(&rows);
}

gboolean
cc_store_pair_delete(CcStore *self, const gchar *guest, GError **error)
{
	g_autoptr(CcStoreStmt) stmt = NULL;

	g_return_val_if_fail(CC_IS_STORE(self), FALSE);
	stmt = cc_store_prepare(self, "DELETE FROM pairs WHERE guest = :guest", error);
	if (stmt == NULL)
		return FALSE;
	if (cc_store_bind_text(stmt, ":guest", guest) != SQLITE_OK)
		return cc_store_fail(self, error, "delete pair");
	return cc_store_step_done(self, stmt, "delete pair", error);
}

gint64
cc_store_failover_insert(CcStore *self, const CcStoreFailover *f, GError **error)
{
	g_autoptr(CcStoreStmt) stmt = NULL;

	g_return_val_if_fail(CC_IS_STORE(self), 0);
	stmt = cc_store_prepare(self,
				"INSERT INTO failovers (guest, ts_us, cause, lost, lost_role, "
				"survivor, ok, latency_ms, detail) VALUES (:guest, :ts, :cause, "
				":lost, :role, :survivor, :ok, :latency, :detail)",
				error);
	if (stmt == NULL)
		return 0;
	if (cc_store_bind_text(stmt, ":guest", f->guest) != SQLITE_OK ||
	    cc_store_bind_int64(stmt, ":ts", f->ts_us != 0 ? f->ts_us : g_get_real_time()) !=
		    SQLITE_OK ||
	    cc_store_bind_text(stmt, ":cause", f->cause) != SQLITE_OK ||
	    cc_store_bind_text(stmt, ":lost", f->lost) != SQLITE_OK ||
	    cc_store_bind_text(stmt, ":role", f->lost_role) != SQLITE_OK ||
	    cc_store_bind_text(stmt, ":survivor", f->survivor) != SQLITE_OK ||
	    cc_store_bind_int64(stmt, ":ok", f->ok ? 1 : 0) != SQLITE_OK ||
	    sqlite3_bind_double(stmt, sqlite3_bind_parameter_index(stmt, ":latency"),
				f->latency_ms) != SQLITE_OK ||
	    cc_store_bind_text(stmt, ":detail", f->detail != NULL ? f->detail : "{}") !=
		    SQLITE_OK) {
		cc_store_fail(self, error, "insert failover");
		return 0;
	}
	if (!cc_store_step_done(self, stmt, "insert failover", error))
		return 0;
	return sqlite3_last_insert_rowid(self->db);
}

GPtrArray *
cc_store_failover_list(CcStore *self, const gchar *guest, GError **error)
{
	g_autoptr(CcStoreStmt) stmt = NULL;
	g_autoptr(GPtrArray) rows =
		g_ptr_array_new_with_free_func((GDestroyNotify)cc_store_failover_free);
	gint rc;

	g_return_val_if_fail(CC_IS_STORE(self), NULL);
	stmt = cc_store_prepare(
		self,
		"SELECT id, guest, ts_us, cause, lost, lost_role, survivor, ok, "
		"latency_ms, detail FROM failovers WHERE guest = :guest ORDER BY id",
		error);
	if (stmt == NULL)
		return NULL;
	if (cc_store_bind_text(stmt, ":guest", guest) != SQLITE_OK) {
		cc_store_fail(self, error, "list failovers");
		return NULL;
	}
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		CcStoreFailover *f = g_new0(CcStoreFailover, 1);
		f->id = sqlite3_column_int64(stmt, 0);
		f->guest = cc_store_column_dup(stmt, 1);
		f->ts_us = sqlite3_column_int64(stmt, 2);
		f->cause = cc_store_column_dup(stmt, 3);
		f->lost = cc_store_column_dup(stmt, 4);
		f->lost_role = cc_store_column_dup(stmt, 5);
		f->survivor = cc_store_column_dup(stmt, 6);
		f->ok = sqlite3_column_int64(stmt, 7) != 0;
		f->latency_ms = sqlite3_column_double(stmt, 8);
		f->detail = cc_store_column_dup(stmt, 9);
		g_ptr_array_add(rows, f);
	}
	if (rc != SQLITE_DONE) {
		cc_store_fail(self, error, "list failovers");
		return NULL;
	}
	return g_steal_pointer(&rows);
}
