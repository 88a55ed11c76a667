/*
 * cc-qmp against the fake QMP server (faults QEMU will not produce on demand)
 * and against a socketpair (exact framing).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cc-test-util.h"
#include "colo-error.h"

#define DEADLINE_MS      300
#define SLACK_MS         100
#define HUGE_DEADLINE_MS 3000

typedef struct {
	guint connect_ms; /* 0: 5000 */
	gchar *dir;
	CcBackend *backend;
	CcProcess *process;
	CcQmp *qmp;
	GPtrArray *events;
} Fixture;

static void
fixture_event_cb(CcQmp *qmp, const gchar *name, JsonObject *data, gint64 ts, gpointer user_data)
{
	Fixture *fx = user_data;
	g_ptr_array_add(fx->events, g_strdup(name));
}

/* launches the fake server with @config through the qemu backend and connects to it */
static void
fixture_start(Fixture *fx, const gchar *config)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *qmp_path = NULL;
	g_autofree gchar *log_path = NULL;
	g_autofree gchar *cfg = NULL;
	const gchar *argv[] = {cc_test_env("FAKE_QMP"), "-S", NULL};
	CcLaunchSpec spec = {0};
	CcTestAsync async = {0};

	fx->dir = cc_test_tmpdir();
	fx->events = g_ptr_array_new_with_free_func(g_free);
	cfg = cc_test_fake_config(fx->dir, config);
	fx->backend = cc_test_backend();
	qmp_path = g_build_filename(fx->dir, "m.qmp", NULL);
	log_path = g_build_filename(fx->dir, "m.log", NULL);
	spec.name = "m";
	spec.argv = argv;
	spec.qmp_path = qmp_path;
	spec.log_path = log_path;
	fx->process = cc_backend_launch(fx->backend, &spec, &error);
	g_assert_no_error(error);
	cc_qmp_connect_unix_async(qmp_path, fx->connect_ms != 0 ? fx->connect_ms : 5000, NULL,
				  cc_test_async_cb, &async);
	g_assert_nonnull(cc_test_async_wait(&async, 10000));
	fx->qmp = cc_qmp_connect_unix_finish(async.res, &error);
	g_assert_no_error(error);
	cc_test_async_clear(&async);
	g_signal_connect(fx->qmp, "event", G_CALLBACK(fixture_event_cb), fx);
}

static void
fixture_stop(Fixture *fx)
{
	if (fx->qmp != NULL)
		g_signal_handlers_disconnect_by_data(fx->qmp, fx);
	g_clear_object(&fx->qmp);
	if (fx->process != NULL) {
		cc_process_kill(fx->process, SIGKILL, NULL);
		for (guint i = 0; i < 5000 && !cc_process_get_exited(fx->process); i++)
			cc_test_spin(1);
		g_assert_true(cc_process_get_exited(fx->process));
	}
	g_clear_object(&fx->process);
	g_clear_object(&fx->backend);
	g_ptr_array_unref(fx->events);
	if (fx->dir != NULL)
		cc_test_rm_tmpdir(fx->dir);
	g_free(fx->dir);
}

/* runs @command with @flags and @deadline_ms; returns the reply or sets @error */
static JsonNode *
fixture_exec(Fixture *fx, const gchar *command, CcQmpFlags flags, guint deadline_ms,
	     gint64 *elapsed_ms, GError **error)
{
	CcTestAsync async = {0};
	gint64 start = g_get_monotonic_time();
	JsonNode *ret;

	cc_qmp_execute_async(fx->qmp, command, NULL, flags, deadline_ms, cc_test_async_cb, &async);
	g_assert_nonnull(cc_test_async_wait(&async, deadline_ms + 10000));
	if (elapsed_ms != NULL)
		*elapsed_ms = (async.done_us - start) / 1000;
	ret = cc_qmp_execute_finish(fx->qmp, async.res, error);
	cc_test_async_clear(&async);
	return ret;
}

static void
test_qmp_ok(void)
{
	Fixture fx = {0};
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) ret = NULL;
	g_autoptr(JsonNode) stopped = NULL;

	fixture_start(&fx, "[default]\n");
	g_assert_true(cc_qmp_get_oob(fx.qmp));
	g_assert_cmpint(cc_qmp_get_state(fx.qmp), ==, CC_QMP_STATE_READY);
	ret = fixture_exec(&fx, "query-status", 0, DEADLINE_MS, NULL, &error);
	g_assert_no_error(error);
	g_assert_true(JSON_NODE_HOLDS_OBJECT(ret));
	g_assert_cmpstr(json_object_get_string_member(json_node_get_object(ret), "status"), ==,
			"prelaunch");
	/* events arrive on the signal, interleaved with replies */
	ret = fixture_exec(&fx, "cont", 0, DEADLINE_MS, NULL, &error);
	g_assert_no_error(error);
	stopped = fixture_exec(&fx, "stop", 0, DEADLINE_MS, NULL, &error);
	g_assert_no_error(error);
	cc_test_spin(50);
	g_assert_true(fx.events->len >= 2);
	g_assert_cmpstr(g_ptr_array_index(fx.events, 0), ==, "RESUME");
	g_assert_cmpstr(g_ptr_array_index(fx.events, 1), ==, "STOP");
	fixture_stop(&fx);
}

/* the connect deadline bounds the connect, not how long the monitor may stay quiet */
static void
test_qmp_idle(void)
{
	Fixture fx = {.connect_ms = 200};
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) ret = NULL;

	fixture_start(&fx, "[default]\n");
	cc_test_spin(700);
	g_assert_cmpint(cc_qmp_get_state(fx.qmp), ==, CC_QMP_STATE_READY);
	ret = fixture_exec(&fx, "query-status", 0, DEADLINE_MS, NULL, &error);
	g_assert_no_error(error);
	g_assert_nonnull(ret);
	fixture_stop(&fx);
}

static void
test_qmp_qmp_error(void)
{
	Fixture fx = {0};
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) ret = NULL;
	g_autofree gchar *klass = NULL;

	fixture_start(&fx, "[default]\n");
	ret = fixture_exec(&fx, "no-such-command", 0, DEADLINE_MS, NULL, &error);
	g_assert_null(ret);
	g_assert_error(error, COLO_ERROR, COLO_ERROR_QMP_ERROR);
	klass = cc_qmp_error_dup_class(error);
	g_assert_cmpstr(klass, ==, "CommandNotFound");
	g_assert_nonnull(strstr(error->message, "no-such-command"));
	/* the connection stays usable after an error reply */
	g_clear_error(&error);
	g_clear_pointer(&ret, json_node_unref);
	ret = fixture_exec(&fx, "query-version", 0, DEADLINE_MS, NULL, &error);
	g_assert_no_error(error);
	fixture_stop(&fx);
}

static void
test_qmp_timeout(void)
{
	Fixture fx = {0};
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) ret = NULL;
	gint64 elapsed = 0;

	fixture_start(&fx, "[default]\nhang=query-status\n");
	ret = fixture_exec(&fx, "query-status", 0, DEADLINE_MS, &elapsed, &error);
	g_assert_error(error, COLO_ERROR, COLO_ERROR_TIMEOUT);
	g_test_message("hung command: TIMEOUT after %" G_GINT64_FORMAT " ms", elapsed);
	g_assert_cmpint(elapsed, >=, DEADLINE_MS - 5);
	g_assert_cmpint(elapsed, <, DEADLINE_MS + SLACK_MS);
	g_clear_error(&error);
	/* out-of-band (query-yank is OOB-capable in 7.2) answers while in-band is stuck */
	ret = fixture_exec(&fx, "query-yank", CC_QMP_FLAG_OOB, DEADLINE_MS, &elapsed, &error);
	g_assert_no_error(error);
	g_assert_nonnull(ret);
	g_assert_cmpint(cc_qmp_get_pending(fx.qmp), ==, 0);
	fixture_stop(&fx);
}

static void
test_qmp_late_reply(void)
{
	Fixture fx = {0};
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) ret = NULL;
	gint64 elapsed = 0;

	fixture_start(&fx, "[default]\ndelay-ms=query-status:600\n");
	ret = fixture_exec(&fx, "query-status", 0, 200, &elapsed, &error);
	g_assert_error(error, COLO_ERROR, COLO_ERROR_TIMEOUT);
	g_assert_cmpint(elapsed, <, 200 + SLACK_MS);
	g_clear_error(&error);
	/* the late reply lands while we wait; it must be dropped, not matched */
	cc_test_spin(700);
	g_assert_cmpint(cc_qmp_get_state(fx.qmp), ==, CC_QMP_STATE_READY);
	ret = fixture_exec(&fx, "query-version", 0, DEADLINE_MS, NULL, &error);
	g_assert_no_error(error);
	g_assert_true(JSON_NODE_HOLDS_OBJECT(ret));
	g_assert_true(json_object_has_member(json_node_get_object(ret), "qemu"));
	fixture_stop(&fx);
}

static void
test_qmp_malformed(void)
{
	Fixture fx = {0};
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) ret = NULL;
	gint64 elapsed = 0;

	fixture_start(&fx, "[default]\nmalformed=query-status\n");
	ret = fixture_exec(&fx, "query-status", 0, DEADLINE_MS, &elapsed, &error);
	g_assert_error(error, COLO_ERROR, COLO_ERROR_PROTOCOL);
	g_assert_cmpint(elapsed, <, DEADLINE_MS + SLACK_MS);
	g_assert_cmpint(cc_qmp_get_state(fx.qmp), ==, CC_QMP_STATE_CLOSED);
	fixture_stop(&fx);
}

static void
test_qmp_huge(void)
{
	Fixture fx = {0};
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) ret = NULL;
	gint64 elapsed = 0;
	gsize rss_before;
	gsize rss_after;
	gsize bound_kib = 3 * CC_QMP_DEFAULT_MAX_LINE / 1024 + 8192;

	fixture_start(&fx, "[default]\nhuge=query-status\n");
	rss_before = cc_test_rss_kib();
	/* a longer deadline: the limit must trip on size, whatever the sanitizers cost */
	ret = fixture_exec(&fx, "query-status", 0, HUGE_DEADLINE_MS, &elapsed, &error);
	rss_after = cc_test_rss_kib();
	g_assert_error(error, COLO_ERROR, COLO_ERROR_PROTOCOL);
	g_test_message("64 MiB line: PROTOCOL after %" G_GINT64_FORMAT " ms, RSS %" G_GSIZE_FORMAT
		       " -> %" G_GSIZE_FORMAT " KiB",
		       elapsed, rss_before, rss_after);
	g_assert_cmpint(elapsed, <, HUGE_DEADLINE_MS + SLACK_MS);
	g_assert_cmpuint(rss_after, <, rss_before + bound_kib);
	fixture_stop(&fx);
}

static void
test_qmp_close_mid_reply(void)
{
	Fixture fx = {0};
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) ret = NULL;
	gint64 elapsed = 0;

	fixture_start(&fx, "[default]\nclose-mid-reply=query-status\n");
	ret = fixture_exec(&fx, "query-status", 0, DEADLINE_MS, &elapsed, &error);
	g_assert_error(error, COLO_ERROR, COLO_ERROR_DISCONNECTED);
	g_assert_nonnull(strstr(error->message, "mid-reply"));
	g_assert_cmpint(elapsed, <, DEADLINE_MS + SLACK_MS);
	fixture_stop(&fx);
}

/* a monitor that accepts the connection and never says anything */
static void
test_qmp_no_greeting(void)
{
	g_autofree gchar *dir = cc_test_tmpdir();
	g_autofree gchar *path = g_build_filename(dir, "silent.sock", NULL);
	g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(path);
	g_autoptr(GSocket) sock = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(CcQmp) qmp = NULL;
	CcTestAsync async = {0};
	gint64 start;

	sock = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT,
			    &error);
	g_assert_no_error(error);
	g_assert_true(g_socket_bind(sock, addr, FALSE, NULL));
	g_assert_true(g_socket_listen(sock, NULL));
	start = g_get_monotonic_time();
	cc_qmp_connect_unix_async(path, DEADLINE_MS, NULL, cc_test_async_cb, &async);
	g_assert_nonnull(cc_test_async_wait(&async, 5000));
	qmp = cc_qmp_connect_unix_finish(async.res, &error);
	g_assert_null(qmp);
	g_assert_error(error, COLO_ERROR, COLO_ERROR_TIMEOUT);
	g_assert_cmpint((async.done_us - start) / 1000, <, DEADLINE_MS + SLACK_MS);
	cc_test_async_clear(&async);
	g_unlink(path);
	g_rmdir(dir);
}

/* exact framing over a socketpair: split lines, several per chunk, non-objects */
typedef struct {
	gint peer;
	CcQmp *qmp;
	GPtrArray *events;
} Pair;

static void
pair_event_cb(CcQmp *qmp, const gchar *name, JsonObject *data, gint64 ts, gpointer user_data)
{
	Pair *p = user_data;
	g_ptr_array_add(p->events, g_strdup(name));
}

static void
pair_write(Pair *p, const gchar *text)
{
	g_assert_cmpint(write(p->peer, text, strlen(text)), ==, (gssize)strlen(text));
}

/* reads one command line the client sent and returns its id */
static gchar *
pair_read_id(Pair *p)
{
	gchar buf[4096];
	gssize n;
	g_autoptr(JsonParser) parser = json_parser_new();
	cc_test_spin(20);
	n = read(p->peer, buf, sizeof(buf) - 1);
	g_assert_cmpint(n, >, 0);
	buf[n] = '\0';
	*strchr(buf, '\n') = '\0';
	g_assert_true(json_parser_load_from_data(parser, buf, -1, NULL));
	return g_strdup(json_object_get_string_member(
		json_node_get_object(json_parser_get_root(parser)), "id"));
}

static void
pair_start(Pair *p)
{
	gint sv[2];
	g_autoptr(GSocket) sock = NULL;
	g_autoptr(GSocketConnection) conn = NULL;
	CcTestAsync async = {0};
	g_autoptr(GError) error = NULL;
	g_autofree gchar *id = NULL;
	g_autofree gchar *reply = NULL;

	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), ==, 0);
	p->peer = sv[1];
	sock = g_socket_new_from_fd(sv[0], &error);
	g_assert_no_error(error);
	conn = g_socket_connection_factory_create_connection(sock);
	p->qmp = cc_qmp_new(G_IO_STREAM(conn));
	p->events = g_ptr_array_new_with_free_func(g_free);
	g_signal_connect(p->qmp, "event", G_CALLBACK(pair_event_cb), p);
	cc_qmp_handshake_async(p->qmp, 2000, NULL, cc_test_async_cb, &async);
	/* greeting split across two writes */
	pair_write(p, "{\"QMP\": {\"version\": {\"qemu\": {\"major\": 7, \"minor\": 2, ");
	cc_test_spin(10);
	pair_write(p, "\"micro\": 0}}, \"capabilities\": []}}\n");
	id = pair_read_id(p);
	reply = g_strdup_printf("{\"return\": {}, \"id\": \"%s\"}\n", id);
	pair_write(p, reply);
	g_assert_nonnull(cc_test_async_wait(&async, 3000));
	g_assert_true(cc_qmp_handshake_finish(p->qmp, async.res, &error));
	g_assert_no_error(error);
	g_assert_false(cc_qmp_get_oob(p->qmp));
	cc_test_async_clear(&async);
}

static void
pair_stop(Pair *p)
{
	g_signal_handlers_disconnect_by_data(p->qmp, p);
	g_clear_object(&p->qmp);
	g_ptr_array_unref(p->events);
	close(p->peer);
}

static void
test_qmp_framing(void)
{
	Pair p = {0};
	CcTestAsync a1 = {0};
	CcTestAsync a2 = {0};
	g_autoptr(GError) error = NULL;
	g_autofree gchar *id1 = NULL;
	g_autofree gchar *id2 = NULL;
	g_autofree gchar *chunk = NULL;
	g_autoptr(JsonNode) r1 = NULL;
	g_autoptr(JsonNode) r2 = NULL;

	pair_start(&p);
	cc_qmp_execute_async(p.qmp, "a", NULL, 0, 2000, cc_test_async_cb, &a1);
	id1 = pair_read_id(&p);
	cc_qmp_execute_async(p.qmp, "b", NULL, 0, 2000, cc_test_async_cb, &a2);
	id2 = pair_read_id(&p);
	/* replies out of order, with an event between them, in one chunk */
	chunk = g_strdup_printf("{\"return\": 2, \"id\": \"%s\"}\n"
				"{\"event\": \"STOP\", \"timestamp\": {\"seconds\": 1, "
				"\"microseconds\": 2}}\n"
				"{\"return\": 1, \"id\": \"%s\"}\n",
				id2, id1);
	pair_write(&p, chunk);
	g_assert_nonnull(cc_test_async_wait(&a1, 2000));
	g_assert_nonnull(cc_test_async_wait(&a2, 2000));
	r1 = cc_qmp_execute_finish(p.qmp, a1.res, &error);
	g_assert_no_error(error);
	r2 = cc_qmp_execute_finish(p.qmp, a2.res, &error);
	g_assert_no_error(error);
	g_assert_cmpint(json_node_get_int(r1), ==, 1);
	g_assert_cmpint(json_node_get_int(r2), ==, 2);
	g_assert_cmpuint(p.events->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(p.events, 0), ==, "STOP");
	cc_test_async_clear(&a1);
	/* a reply with an unknown id is ignored; a JSON array is a protocol error */
	cc_qmp_execute_async(p.qmp, "c", NULL, 0, 2000, cc_test_async_cb, &a1);
	g_free(pair_read_id(&p));
	pair_write(&p, "{\"return\": 0, \"id\": \"nobody\"}\n[1, 2]\n");
	g_assert_nonnull(cc_test_async_wait(&a1, 2000));
	g_assert_null(cc_qmp_execute_finish(p.qmp, a1.res, &error));
	g_assert_error(error, COLO_ERROR, COLO_ERROR_PROTOCOL);
	g_assert_cmpint(cc_qmp_get_state(p.qmp), ==, CC_QMP_STATE_CLOSED);
	cc_test_async_clear(&a1);
	cc_test_async_clear(&a2);
	/* commands on a closed connection fail at once */
	g_clear_error(&error);
	cc_qmp_execute_async(p.qmp, "d", NULL, 0, 2000, cc_test_async_cb, &a1);
	g_assert_nonnull(cc_test_async_wait(&a1, 100));
	g_assert_null(cc_qmp_execute_finish(p.qmp, a1.res, &error));
	g_assert_error(error, COLO_ERROR, COLO_ERROR_DISCONNECTED);
	cc_test_async_clear(&a1);
	pair_stop(&p);
}

static void
test_qmp_oob_not_negotiated(void)
{
	Pair p = {0};
	CcTestAsync a = {0};
	g_autoptr(GError) error = NULL;

	pair_start(&p);
	cc_qmp_execute_async(p.qmp, "x", NULL, CC_QMP_FLAG_OOB, 2000, cc_test_async_cb, &a);
	g_assert_nonnull(cc_test_async_wait(&a, 100));
	g_assert_null(cc_qmp_execute_finish(p.qmp, a.res, &error));
	g_assert_error(error, COLO_ERROR, COLO_ERROR_UNSUPPORTED);
	cc_test_async_clear(&a);
	pair_stop(&p);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/qmp/ok", test_qmp_ok);
	g_test_add_func("/qmp/idle", test_qmp_idle);
	g_test_add_func("/qmp/qmp-error", test_qmp_qmp_error);
	g_test_add_func("/qmp/timeout", test_qmp_timeout);
	g_test_add_func("/qmp/late-reply", test_qmp_late_reply);
	g_test_add_func("/qmp/malformed", test_qmp_malformed);
	g_test_add_func("/qmp/huge-line", test_qmp_huge);
	g_test_add_func("/qmp/close-mid-reply", test_qmp_close_mid_reply);
	g_test_add_func("/qmp/no-greeting", test_qmp_no_greeting);
	g_test_add_func("/qmp/framing", test_qmp_framing);
	g_test_add_func("/qmp/oob-not-negotiated", test_qmp_oob_not_negotiated);
	return g_test_run();
}
