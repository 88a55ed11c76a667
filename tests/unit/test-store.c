/*
 * cc-store: round trips, migrations that fail or come from the future, and
 * damaged files, which must be refused and left exactly as they were.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <sqlite3.h>

#include "cc-store-schema.h"
#include "cc-store.h"
#include "cc-test-util.h"
#include "colo-error.h"

typedef struct {
	gchar *dir;
	gchar *path;
	GStrv migrations; /* the files of $COLOCTL_SCHEMA_DIR, by name */
} Fixture;

static gint
cmp_names(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(*(const gchar *const *)a, *(const gchar *const *)b);
}

static GStrv
read_migrations(void)
{
	const gchar *dir = cc_test_env("COLOCTL_SCHEMA_DIR");
	g_autoptr(GError) error = NULL;
	g_autoptr(GDir) d = g_dir_open(dir, 0, &error);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	GPtrArray *texts = g_ptr_array_new();
	const gchar *fn;

	g_assert_no_error(error);
	while ((fn = g_dir_read_name(d)) != NULL) {
		if (g_str_has_suffix(fn, ".sql"))
			g_ptr_array_add(names, g_strdup(fn));
	}
	g_assert_cmpuint(names->len, >, 0);
	g_ptr_array_sort(names, cmp_names);
	for (guint i = 0; i < names->len; i++) {
		g_autofree gchar *path = g_build_filename(dir, g_ptr_array_index(names, i), NULL);
		gchar *sql = NULL;
		g_file_get_contents(path, &sql, NULL, &error);
		g_assert_no_error(error);
		g_ptr_array_add(texts, sql);
	}
	g_ptr_array_add(texts, NULL);
	return (GStrv)g_ptr_array_free(texts, FALSE);
}

static void
fixture_setup(Fixture *fx, gconstpointer user_data)
{
	fx->dir = cc_test_tmpdir();
	fx->path = g_build_filename(fx->dir, "state.db", NULL);
	fx->migrations = read_migrations();
}

static void
fixture_teardown(Fixture *fx, gconstpointer user_data)
{
	cc_test_rm_tmpdir(fx->dir);
	g_free(fx->dir);
	g_free(fx->path);
	g_strfreev(fx->migrations);
}

static CcStore *
open_store(Fixture *fx)
{
	g_autoptr(GError) error = NULL;
	CcStore *store = cc_store_open(fx->path, (const gchar *const *)fx->migrations, &error);
	g_assert_no_error(error);
	g_assert_nonnull(store);
	return store;
}

static gchar *
file_checksum(const gchar *path)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *buf = NULL;
	gsize len = 0;
	g_file_get_contents(path, &buf, &len, &error);
	g_assert_no_error(error);
	return g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)buf, len);
}

static gboolean
file_exists_with_suffix(const gchar *path, const gchar *suffix)
{
	g_autofree gchar *p = g_strconcat(path, suffix, NULL);
	return g_file_test(p, G_FILE_TEST_EXISTS);
}

/* for what the store API does not offer: raw SQL on a closed store's file */
static void
raw_exec(const gchar *path, const gchar *sql)
{
	sqlite3 *db = NULL;
	gchar *errmsg = NULL;
	g_assert_cmpint(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &errmsg) != SQLITE_OK)
		g_error("%s: %s", sql, errmsg);
	g_assert_cmpint(sqlite3_close(db), ==, SQLITE_OK);
}

static gint64
raw_query_int(const gchar *path, const gchar *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *stmt = NULL;
	gint64 value;
	g_assert_cmpint(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
	g_assert_cmpint(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
	g_assert_cmpint(sqlite3_step(stmt), ==, SQLITE_ROW);
	value = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	g_assert_cmpint(sqlite3_close(db), ==, SQLITE_OK);
	return value;
}

static gchar *
raw_query_text(const gchar *path, const gchar *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *stmt = NULL;
	gchar *value;
	g_assert_cmpint(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
	g_assert_cmpint(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
	g_assert_cmpint(sqlite3_step(stmt), ==, SQLITE_ROW);
	value = g_strdup((const gchar *)sqlite3_column_text(stmt, 0));
	sqlite3_finalize(stmt);
	g_assert_cmpint(sqlite3_close(db), ==, SQLITE_OK);
	return value;
}

static void
insert_guest(CcStore *store, const gchar *name, const gchar *kernel)
{
	g_autoptr(GError) error = NULL;
	CcStoreGuest guest = {
		.name = (gchar *)name,
		.memory_mib = 512,
		.vcpus = 2,
		.disk = "/var/lib/coloctl/disk.qcow2",
		.kernel = (gchar *)kernel,
		.net = "br0",
		.host = "node-a",
		.state = "defined",
	};
	g_assert_true(cc_store_guest_insert(store, &guest, &error));
	g_assert_no_error(error);
}

static void
put_member(CcStore *store, const gchar *guest, const gchar *role, guint64 generation)
{
	g_autoptr(GError) error = NULL;
	CcStoreMember member = {
		.guest = (gchar *)guest,
		.role = (gchar *)role,
		.host = "node-a",
		.pid = 4242,
		.start_time = G_MAXUINT64 - 1,
		.qmp_path = "/run/coloctl/vm/qmp.sock",
		.generation = generation,
		.state = "running",
	};
	g_assert_true(cc_store_member_put(store, &member, &error));
	g_assert_no_error(error);
}

static void
test_store_open_fresh(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(CcStore) store = open_store(fx);
	g_autofree gchar *mode = NULL;

	g_assert_cmpuint(cc_store_get_version(store), ==, g_strv_length(fx->migrations));
	g_assert_cmpstr(cc_store_get_path(store), ==, fx->path);
	/* the -wal file appears with the first write in WAL mode */
	g_assert_cmpint(cc_store_event_append(store, NULL, NULL, "test", NULL, NULL), >, 0);
	g_assert_true(file_exists_with_suffix(fx->path, "-wal"));
	mode = raw_query_text(fx->path, "PRAGMA journal_mode");
	g_assert_cmpstr(mode, ==, "wal");
	g_assert_cmpint(raw_query_int(fx->path, "SELECT count(*) FROM schema_version"), ==, 1);
	g_assert_cmpint(cc_store_event_last_id(store), ==, 1);

	/* opening again changes nothing */
	g_clear_object(&store);
	store = open_store(fx);
	g_assert_cmpuint(cc_store_get_version(store), ==, g_strv_length(fx->migrations));
}

static void
test_store_compiled_migrations(void)
{
	g_auto(GStrv) files = read_migrations();

	/* a .sql file the build forgot to embed would never be applied */
	g_assert_cmpuint(g_strv_length((gchar **)cc_store_migrations), ==, g_strv_length(files));
	for (guint i = 0; files[i] != NULL; i++)
		g_assert_cmpstr(cc_store_migrations[i], ==, files[i]);
}

static void
test_store_guest_crud(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(CcStore) store = open_store(fx);
	g_autoptr(GError) error = NULL;
	g_autoptr(CcStoreGuest) full = NULL;
	g_autoptr(CcStoreGuest) bare = NULL;
	g_autoptr(GPtrArray) guests = NULL;
	CcStoreGuest guest = {
		.name = "vm1",
		.memory_mib = 1024,
		.vcpus = 4,
		.disk = "/d/vm1.raw",
		.kernel = "/k/vmlinuz",
		.initrd = "/k/initrd",
		.append = "console=ttyS0 quiet",
		.net = "tap-vm1",
		.host = "node-b",
		.state = "defined",
		.reason = "created by test",
		.created_us = 1000,
		.updated_us = 2000,
	};
	gint64 before = g_get_real_time();

	g_assert_true(cc_store_guest_insert(store, &guest, &error));
	g_assert_no_error(error);
	insert_guest(store, "vm0", NULL);

	full = cc_store_guest_get(store, "vm1", &error);
	g_assert_no_error(error);
	g_assert_cmpstr(full->name, ==, "vm1");
	g_assert_cmpint(full->memory_mib, ==, 1024);
	g_assert_cmpint(full->vcpus, ==, 4);
	g_assert_cmpstr(full->disk, ==, "/d/vm1.raw");
	g_assert_cmpstr(full->kernel, ==, "/k/vmlinuz");
	g_assert_cmpstr(full->initrd, ==, "/k/initrd");
	g_assert_cmpstr(full->append, ==, "console=ttyS0 quiet");
	g_assert_cmpstr(full->net, ==, "tap-vm1");
	g_assert_cmpstr(full->host, ==, "node-b");
	g_assert_cmpstr(full->state, ==, "defined");
	g_assert_cmpstr(full->reason, ==, "created by test");
	g_assert_cmpint(full->created_us, ==, 1000);
	g_assert_cmpint(full->updated_us, ==, 2000);

	/* NULL stays NULL, not ""; zero timestamps mean now */
	bare = cc_store_guest_get(store, "vm0", &error);
	g_assert_no_error(error);
	g_assert_null(bare->kernel);
	g_assert_null(bare->initrd);
	g_assert_null(bare->append);
	g_assert_null(bare->reason);
	g_assert_cmpint(bare->created_us, >=, before);
	g_assert_cmpint(bare->updated_us, ==, bare->created_us);

	guests = cc_store_guest_list(store, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(guests->len, ==, 2);
	g_assert_cmpstr(((CcStoreGuest *)g_ptr_array_index(guests, 0))->name, ==, "vm0");
	g_assert_cmpstr(((CcStoreGuest *)g_ptr_array_index(guests, 1))->name, ==, "vm1");

	g_assert_true(cc_store_guest_set_state(store, "vm1", "failed", "qemu crashed", &error));
	g_assert_no_error(error);
	g_clear_pointer(&full, cc_store_guest_free);
	full = cc_store_guest_get(store, "vm1", &error);
	g_assert_no_error(error);
	g_assert_cmpstr(full->state, ==, "failed");
	g_assert_cmpstr(full->reason, ==, "qemu crashed");
	g_assert_cmpint(full->updated_us, >=, before);
	g_assert_cmpint(full->created_us, ==, 1000);

	g_assert_true(cc_store_guest_set_state(store, "vm1", "running", NULL, &error));
	g_assert_no_error(error);
	g_clear_pointer(&full, cc_store_guest_free);
	full = cc_store_guest_get(store, "vm1", &error);
	g_assert_no_error(error);
	g_assert_cmpstr(full->state, ==, "running");
	g_assert_null(full->reason);

	g_assert_true(cc_store_guest_delete(store, "vm1", &error));
	g_assert_no_error(error);
	g_assert_null(cc_store_guest_get(store, "vm1", &error));
	g_assert_error(error, COLO_ERROR, COLO_ERROR_NOT_FOUND);
}

static void
test_store_guest_errors(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(CcStore) store = open_store(fx);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) guests = NULL;
	CcStoreGuest dup = {
		.name = "vm1", .disk = "other", .net = "n", .host = "h", .state = "defined"};
	CcStoreGuest no_disk = {.name = "vm2", .net = "n", .host = "h", .state = "defined"};

	insert_guest(store, "vm1", NULL);

	g_assert_null(cc_store_guest_get(store, "nope", &error));
	g_assert_error(error, COLO_ERROR, COLO_ERROR_NOT_FOUND);
	g_assert_cmpstr(error->message, ==, "no guest named nope");
	g_clear_error(&error);

	g_assert_false(cc_store_guest_set_state(store, "nope", "running", NULL, &error));
	g_assert_error(error, COLO_ERROR, COLO_ERROR_NOT_FOUND);
	g_clear_error(&error);

	g_assert_false(cc_store_guest_delete(store, "nope", &error));
	g_assert_error(error, COLO_ERROR, COLO_ERROR_NOT_FOUND);
	g_clear_error(&error);

	g_assert_false(cc_store_guest_insert(store, &dup, &error));
	g_assert_error(error, COLO_ERROR, COLO_ERROR_CONFLICT);
	g_assert_cmpstr(error->message, ==, "guest vm1 already exists");
	g_clear_error(&error);

	g_assert_false(cc_store_guest_insert(store, &no_disk, &error));
	g_assert_error(error, COLO_ERROR, COLO_ERROR_INVALID_INPUT);
	g_assert_nonnull(strstr(error->message, "guests.disk"));
	g_clear_error(&error);

	/* the failed writes left nothing behind */
	guests = cc_store_guest_list(store, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(guests->len, ==, 1);
	g_assert_cmpstr(((CcStoreGuest *)g_ptr_array_index(guests, 0))->disk, ==,
			"/var/lib/coloctl/disk.qcow2");
}

static void
test_store_members(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(CcStore) store = open_store(fx);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) members = NULL;
	CcStoreMember *m;
	CcStoreMember orphan = {
		.guest = "ghost", .role = "primary", .host = "h", .state = "running"};
	CcStoreMember minimal = {
		.guest = "vm1", .role = "secondary", .host = "node-b", .state = "launching"};

	insert_guest(store, "vm1", "/k/vmlinuz");
	insert_guest(store, "vm2", NULL);
	put_member(store, "vm1", "primary", 1);
	g_assert_true(cc_store_member_put(store, &minimal, &error));
	g_assert_no_error(error);
	put_member(store, "vm2", "primary", 1);

	members = cc_store_member_list(store, "vm1", &error);
	g_assert_no_error(error);
	g_assert_cmpuint(members->len, ==, 2);
	m = g_ptr_array_index(members, 0);
	g_assert_cmpstr(m->guest, ==, "vm1");
	g_assert_cmpstr(m->role, ==, "primary");
	g_assert_cmpstr(m->host, ==, "node-a");
	g_assert_cmpint(m->pid, ==, 4242);
	g_assert_cmpuint(m->start_time, ==, G_MAXUINT64 - 1);
	g_assert_cmpstr(m->qmp_path, ==, "/run/coloctl/vm/qmp.sock");
	g_assert_cmpuint(m->generation, ==, 1);
	g_assert_cmpstr(m->state, ==, "running");
	m = g_ptr_array_index(members, 1);
	g_assert_cmpstr(m->role, ==, "secondary");
	g_assert_null(m->qmp_path);
	g_assert_cmpint(m->pid, ==, 0);
	g_clear_pointer(&members, g_ptr_array_unref);

	/* put again: replaced in place, not duplicated */
	put_member(store, "vm1", "primary", 7);
	members = cc_store_member_list(store, "vm1", &error);
	g_assert_no_error(error);
	g_assert_cmpuint(members->len, ==, 2);
	m = g_ptr_array_index(members, 0);
	g_assert_cmpuint(m->generation, ==, 7);
	g_clear_pointer(&members, g_ptr_array_unref);

	g_assert_false(cc_store_member_put(store, &orphan, &error));
	g_assert_error(error, COLO_ERROR, COLO_ERROR_NOT_FOUND);
	g_clear_error(&error);

	g_assert_true(cc_store_member_delete(store, "vm1", "secondary", &error));
	g_assert_no_error(error);
	g_assert_false(cc_store_member_delete(store, "vm1", "secondary", &error));
	g_assert_error(error, COLO_ERROR, COLO_ERROR_NOT_FOUND);
	g_clear_error(&error);

	/* deleting the guest takes its members along, and only its */
	g_assert_true(cc_store_guest_delete(store, "vm1", &error));
	g_assert_no_error(error);
	members = cc_store_member_list(store, "vm1", &error);
	g_assert_no_error(error);
	g_assert_cmpuint(members->len, ==, 0);
	g_clear_pointer(&members, g_ptr_array_unref);
	members = cc_store_member_list(store, "vm2", &error);
	g_assert_no_error(error);
	g_assert_cmpuint(members->len, ==, 1);
}

static void
test_store_events(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(CcStore) store = open_store(fx);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) events = NULL;
	CcStoreEvent *ev;
	gint64 ids[5] = {0};
	gint64 before = g_get_real_time();

	ids[0] =
		cc_store_event_append(store, "vm1", "primary", "launched", "{\"pid\": 42}", &error);
	g_assert_no_error(error);
	ids[1] = cc_store_event_append(store, NULL, NULL, "daemon-started", NULL, &error);
	g_assert_no_error(error);
	ids[2] = cc_store_event_append(store, "vm1", NULL, "state", "{\"to\":\"running\"}", &error);
	g_assert_no_error(error);
	g_assert_cmpint(ids[0], >, 0);
	g_assert_cmpint(ids[1], >, ids[0]);
	g_assert_cmpint(ids[2], >, ids[1]);
	g_assert_cmpint(cc_store_event_last_id(store), ==, ids[2]);

	events = cc_store_event_list(store, 0, 0, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(events->len, ==, 3);
	ev = g_ptr_array_index(events, 0);
	g_assert_cmpint(ev->id, ==, ids[0]);
	g_assert_cmpint(ev->ts_us, >=, before);
	g_assert_cmpstr(ev->guest, ==, "vm1");
	g_assert_cmpstr(ev->member, ==, "primary");
	g_assert_cmpstr(ev->kind, ==, "launched");
	g_assert_cmpstr(ev->detail, ==, "{\"pid\": 42}");
	ev = g_ptr_array_index(events, 1);
	g_assert_null(ev->guest);
	g_assert_null(ev->member);
	g_assert_cmpstr(ev->detail, ==, "{}");
	g_clear_pointer(&events, g_ptr_array_unref);

	events = cc_store_event_list(store, ids[0], 1, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(events->len, ==, 1);
	g_assert_cmpint(((CcStoreEvent *)g_ptr_array_index(events, 0))->id, ==, ids[1]);
	g_clear_pointer(&events, g_ptr_array_unref);

	events = cc_store_event_list(store, ids[2], 10, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(events->len, ==, 0);
	g_clear_pointer(&events, g_ptr_array_unref);

	/* the log never holds anything but a JSON object */
	g_assert_cmpint(cc_store_event_append(store, "vm1", NULL, "bad", "{oops", &error), ==, 0);
	g_assert_error(error, COLO_ERROR, COLO_ERROR_INVALID_INPUT);
	g_clear_error(&error);
	g_assert_cmpint(cc_store_event_append(store, "vm1", NULL, "bad", "[1, 2]", &error), ==, 0);
	g_assert_error(error, COLO_ERROR, COLO_ERROR_INVALID_INPUT);
	g_clear_error(&error);

	/* ids keep growing across a reopen */
	g_clear_object(&store);
	store = open_store(fx);
	g_assert_cmpint(cc_store_event_last_id(store), ==, ids[2]);
	ids[3] = cc_store_event_append(store, "vm1", NULL, "state", NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpint(ids[3], >, ids[2]);

	/* and are never handed out twice, even were the newest row removed */
	g_clear_object(&store);
	raw_exec(fx->path, "DELETE FROM events WHERE id = (SELECT max(id) FROM events)");
	store = open_store(fx);
	ids[4] = cc_store_event_append(store, "vm1", NULL, "state", NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpint(ids[4], >, ids[3]);
}

static void
test_store_event_limit(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(CcStore) store = open_store(fx);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) events = NULL;
	gint64 prev = 0;

	g_assert_true(cc_store_transaction_begin(store, &error));
	for (guint i = 0; i < 1005; i++) {
		gint64 id = cc_store_event_append(store, NULL, NULL, "tick", NULL, &error);
		g_assert_no_error(error);
		g_assert_cmpint(id, >, prev);
		prev = id;
	}
	g_assert_true(cc_store_transaction_commit(store, &error));
	g_assert_no_error(error);

	events = cc_store_event_list(store, 0, 0, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(events->len, ==, 1000);
	g_clear_pointer(&events, g_ptr_array_unref);
	events = cc_store_event_list(store, 1000, 0, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(events->len, ==, 5);
	g_assert_cmpint(((CcStoreEvent *)g_ptr_array_index(events, 4))->id, ==, prev);
}

static void
test_store_transaction(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(CcStore) store = open_store(fx);
	g_autoptr(GError) error = NULL;
	g_autoptr(CcStoreGuest) guest = NULL;

	/* nothing to roll back is not an error */
	g_assert_true(cc_store_transaction_rollback(store, &error));
	g_assert_no_error(error);

	g_assert_true(cc_store_transaction_begin(store, &error));
	insert_guest(store, "vm1", NULL);
	put_member(store, "vm1", "primary", 1);
	g_assert_false(cc_store_transaction_begin(store, &error));
	g_assert_error(error, COLO_ERROR, COLO_ERROR_STORE);
	g_clear_error(&error);
	g_assert_true(cc_store_transaction_rollback(store, &error));
	g_assert_no_error(error);
	g_assert_null(cc_store_guest_get(store, "vm1", &error));
	g_assert_error(error, COLO_ERROR, COLO_ERROR_NOT_FOUND);
	g_clear_error(&error);

	g_assert_true(cc_store_transaction_begin(store, &error));
	insert_guest(store, "vm1", NULL);
	put_member(store, "vm1", "primary", 1);
	g_assert_true(cc_store_transaction_commit(store, &error));
	g_assert_no_error(error);
	guest = cc_store_guest_get(store, "vm1", &error);
	g_assert_no_error(error);
}

static void
test_store_reopen(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(CcStore) store = open_store(fx);
	g_autoptr(GError) error = NULL;
	g_autoptr(CcStoreGuest) guest = NULL;
	g_autoptr(GPtrArray) members = NULL;

	insert_guest(store, "vm1", "/k/vmlinuz");
	put_member(store, "vm1", "primary", 3);
	g_assert_true(cc_store_guest_set_state(store, "vm1", "running", NULL, &error));
	g_clear_object(&store);
	g_assert_false(file_exists_with_suffix(fx->path, "-wal"));

	store = open_store(fx);
	guest = cc_store_guest_get(store, "vm1", &error);
	g_assert_no_error(error);
	g_assert_cmpstr(guest->state, ==, "running");
	g_assert_cmpstr(guest->kernel, ==, "/k/vmlinuz");
	members = cc_store_member_list(store, "vm1", &error);
	g_assert_no_error(error);
	g_assert_cmpuint(members->len, ==, 1);
	g_assert_cmpuint(((CcStoreMember *)g_ptr_array_index(members, 0))->generation, ==, 3);
}

/* a version-1 store holding one guest, closed (so checkpointed) */
static void
make_store_v1(Fixture *fx)
{
	const gchar *first[] = {fx->migrations[0], NULL};
	g_autoptr(GError) error = NULL;
	g_autoptr(CcStore) store = cc_store_open(fx->path, first, &error);

	g_assert_no_error(error);
	g_assert_cmpuint(cc_store_get_version(store), ==, 1);
	insert_guest(store, "vm1", NULL);
}

static void
assert_migration_fails(Fixture *fx, const gchar *bad, const gchar *reason)
{
	const gchar *migrations[] = {fx->migrations[0], bad, "CREATE TABLE later (x)", NULL};
	g_autoptr(GError) error = NULL;
	g_autoptr(CcStore) store = NULL;
	g_autoptr(CcStoreGuest) guest = NULL;
	g_autofree gchar *sum_before = NULL;
	g_autofree gchar *sum_after = NULL;
	const gchar *first[] = {fx->migrations[0], NULL};

	make_store_v1(fx);
	sum_before = file_checksum(fx->path);

	store = cc_store_open(fx->path, migrations, &error);
	g_assert_null(store);
	g_assert_error(error, COLO_ERROR, COLO_ERROR_STORE_MIGRATION);
	g_assert_true(g_str_has_prefix(error->message, fx->path));
	g_assert_nonnull(strstr(error->message, "migration 2 failed"));
	g_assert_nonnull(strstr(error->message, reason));
	g_assert_nonnull(strstr(error->message, "the database was left at version 1"));
	g_test_message("%s", error->message);
	g_clear_error(&error);

	sum_after = file_checksum(fx->path);
	g_assert_cmpstr(sum_before, ==, sum_after);
	g_assert_false(file_exists_with_suffix(fx->path, "-wal"));

	store = cc_store_open(fx->path, first, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(cc_store_get_version(store), ==, 1);
	guest = cc_store_guest_get(store, "vm1", &error);
	g_assert_no_error(error);
	g_clear_object(&store);
	g_assert_cmpint(raw_query_int(fx->path, "SELECT count(*) FROM sqlite_master "
						"WHERE name IN ('partial', 'later')"),
			==, 0);
}

static void
test_store_migration_bad_table(Fixture *fx, gconstpointer user_data)
{
	assert_migration_fails(fx, "CREATE TABLE partial (x); CREATE TABLE guests (x);",
			       "table guests already exists");
}

static void
test_store_migration_syntax(Fixture *fx, gconstpointer user_data)
{
	assert_migration_fails(fx,
			       "CREATE TABLE partial (x);\nINSERT INTO partial VALUES (1);\n"
			       "ALTER TABLE guests ADD COLUMN;",
			       "syntax error");
}

static void
test_store_migration_commit(Fixture *fx, gconstpointer user_data)
{
	assert_migration_fails(fx, "CREATE TABLE partial (x); COMMIT; CREATE TABLE t2 (x);",
			       "not allowed in a migration");
}

static void
test_store_migration_foreign_key(Fixture *fx, gconstpointer user_data)
{
	assert_migration_fails(fx,
			       "CREATE TABLE partial (x); INSERT INTO members (guest, role, host, "
			       "state) VALUES ('ghost', 'primary', 'h', 'running');",
			       "FOREIGN KEY");
}

static void
test_store_migration_newer(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CcStore) store = NULL;
	g_autofree gchar *sum_before = NULL;
	g_autofree gchar *sum_after = NULL;

	make_store_v1(fx);
	raw_exec(fx->path, "UPDATE schema_version SET version = 99");
	sum_before = file_checksum(fx->path);

	store = cc_store_open(fx->path, (const gchar *const *)fx->migrations, &error);
	g_assert_null(store);
	g_assert_error(error, COLO_ERROR, COLO_ERROR_STORE_MIGRATION);
	g_assert_nonnull(strstr(error->message, "version 99"));
	g_assert_nonnull(strstr(error->message, "newer"));
	g_test_message("%s", error->message);
	sum_after = file_checksum(fx->path);
	g_assert_cmpstr(sum_before, ==, sum_after);
}

static void
test_store_foreign_database(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CcStore) store = NULL;
	g_autofree gchar *sum_before = NULL;
	g_autofree gchar *sum_after = NULL;
	sqlite3 *db = NULL;

	g_assert_cmpint(sqlite3_open(fx->path, &db), ==, SQLITE_OK);
	g_assert_cmpint(sqlite3_exec(db, "CREATE TABLE cats (name TEXT)", NULL, NULL, NULL), ==,
			SQLITE_OK);
	sqlite3_close(db);
	sum_before = file_checksum(fx->path);

	store = cc_store_open(fx->path, (const gchar *const *)fx->migrations, &error);
	g_assert_null(store);
	g_assert_error(error, COLO_ERROR, COLO_ERROR_STORE_MIGRATION);
	g_assert_nonnull(strstr(error->message, "not a coloctld store"));
	sum_after = file_checksum(fx->path);
	g_assert_cmpstr(sum_before, ==, sum_after);
}

static void
assert_refused_as_corrupt(Fixture *fx)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CcStore) store = NULL;
	g_autofree gchar *sum_before = file_checksum(fx->path);
	g_autofree gchar *sum_after = NULL;

	store = cc_store_open(fx->path, (const gchar *const *)fx->migrations, &error);
	g_assert_null(store);
	g_assert_error(error, COLO_ERROR, COLO_ERROR_STORE_CORRUPT);
	g_assert_true(g_str_has_prefix(error->message, fx->path));
	g_assert_nonnull(strstr(error->message, "refuses to start"));
	g_assert_nonnull(strstr(error->message, "move the file aside"));
	g_test_message("%s", error->message);

	/* still there, byte for byte */
	sum_after = file_checksum(fx->path);
	g_assert_cmpstr(sum_before, ==, sum_after);
}

static void
test_store_corrupt_garbage(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GRand) rand = g_rand_new_with_seed(42);
	guint8 buf[8192];

	for (guint i = 0; i < sizeof(buf); i++)
		buf[i] = (guint8)g_rand_int_range(rand, 0, 256);
	g_file_set_contents(fx->path, (const gchar *)buf, sizeof(buf), &error);
	g_assert_no_error(error);
	assert_refused_as_corrupt(fx);
}

static void
test_store_corrupt_header(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *buf = NULL;
	gsize len = 0;

	make_store_v1(fx);
	g_file_get_contents(fx->path, &buf, &len, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(len, >, 4096);
	memcpy(buf, "not SQLite at all", 16);
	g_file_set_contents(fx->path, buf, (gssize)len / 2, &error);
	g_assert_no_error(error);
	assert_refused_as_corrupt(fx);
}

/* the header is sound, the tables are not: only quick_check can tell */
static void
test_store_corrupt_page(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *buf = NULL;
	gsize len = 0;
	gsize page_size;
	gint64 root;

	make_store_v1(fx);
	page_size = (gsize)raw_query_int(fx->path, "PRAGMA page_size");
	root = raw_query_int(fx->path, "SELECT rootpage FROM sqlite_master WHERE name = 'guests'");
	g_file_get_contents(fx->path, &buf, &len, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(len, >=, (gsize)root * page_size);
	/* clobber the b-tree page header of the guests table */
	memset(buf + (root - 1) * page_size, 0x7f, 12);
	g_file_set_contents(fx->path, buf, (gssize)len, &error);
	g_assert_no_error(error);
	assert_refused_as_corrupt(fx);
}

static void
test_store_missing_dir(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CcStore) store = NULL;
	g_autofree gchar *sub = g_build_filename(fx->dir, "absent", NULL);
	g_autofree gchar *path = g_build_filename(sub, "state.db", NULL);

	store = cc_store_open(path, (const gchar *const *)fx->migrations, &error);
	g_assert_null(store);
	g_assert_error(error, COLO_ERROR, COLO_ERROR_STORE);
	g_assert_true(g_str_has_prefix(error->message, path));
	g_assert_false(g_file_test(sub, G_FILE_TEST_EXISTS));
}

static void
add(const gchar *name, void (*func)(Fixture *, gconstpointer))
{
	g_test_add(name, Fixture, NULL, fixture_setup, func, fixture_teardown);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	add("/store/open-fresh", test_store_open_fresh);
	g_test_add_func("/store/compiled-migrations", test_store_compiled_migrations);
	add("/store/guest-crud", test_store_guest_crud);
	add("/store/guest-errors", test_store_guest_errors);
	add("/store/members", test_store_members);
	add("/store/events", test_store_events);
	add("/store/event-limit", test_store_event_limit);
	add("/store/transaction", test_store_transaction);
	add("/store/reopen", test_store_reopen);
	add("/store/migration/bad-table", test_store_migration_bad_table);
	add("/store/migration/syntax", test_store_migration_syntax);
	add("/store/migration/commit", test_store_migration_commit);
	add("/store/migration/foreign-key", test_store_migration_foreign_key);
	add("/store/migration/newer", test_store_migration_newer);
	add("/store/migration/foreign-database", test_store_foreign_database);
	add("/store/corrupt/garbage", test_store_corrupt_garbage);
	add("/store/corrupt/header", test_store_corrupt_header);
	add("/store/corrupt/page", test_store_corrupt_page);
	add("/store/missing-dir", test_store_missing_dir);
	return g_test_run();
}
