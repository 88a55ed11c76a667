/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "CcQmp"

#include "config.h"

#include "cc-qmp.h"
#include "colo-error.h"

#define CC_QMP_READ_CHUNK (64 * 1024)
#define CC_QMP_MAX_WBUF   (16 * 1024 * 1024)

typedef struct {
	CcQmp *self; /* unowned; the pending table owns this struct */
	gchar *id;
	gchar *command;
	GTask *task;
	GSource *deadline;
	gint64 sent_us;
} CcQmpPending;

struct _CcQmp {
	GObject parent_instance;
	GIOStream *stream;
	GPollableInputStream *istream;
	GPollableOutputStream *ostream;
	GSource *read_source;
	GSource *write_source;
	GByteArray *rbuf;
	gsize rbuf_scanned; /* bytes of rbuf already searched for a newline */
	GByteArray *wbuf;
	gsize max_line;
	CcQmpState state;
	gboolean oob;
	JsonObject *greeting;
	GHashTable *pending; /* id -> CcQmpPending */
	guint64 next_id;
	GTask *handshake;
	GSource *handshake_deadline;
};

enum { SIGNAL_EVENT, SIGNAL_CLOSED, SIGNAL_LAST };
static guint signals[SIGNAL_LAST] = {0};

G_DEFINE_TYPE(CcQmp, cc_qmp, G_TYPE_OBJECT)

static void
cc_qmp_pending_free(CcQmpPending *p)
{
	if (p->deadline != NULL) {
		g_source_destroy(p->deadline);
		g_source_unref(p->deadline);
	}
	g_clear_object(&p->task);
	g_free(p->id);
	g_free(p->command);
	g_free(p);
}

static void cc_qmp_read_arm(CcQmp *self);
static void cc_qmp_negotiate(CcQmp *self, guint timeout_ms);
static void cc_qmp_write_flush(CcQmp *self);

gchar *
cc_qmp_error_dup_class(const GError *error)
{
	const gchar *sep;
	if (!g_error_matches(error, COLO_ERROR, COLO_ERROR_QMP_ERROR))
		return NULL;
	sep = strstr(error->message, ": ");
	if (sep == NULL)
		return g_strdup(error->message);
	return g_strndup(error->message, sep - error->message);
}

static void
cc_qmp_fail_handshake(CcQmp *self, const GError *error)
{
	g_autoptr(GTask) task = g_steal_pointer(&self->handshake);
	if (self->handshake_deadline != NULL) {
		g_source_destroy(self->handshake_deadline);
		g_clear_pointer(&self->handshake_deadline, g_source_unref);
	}
	if (task != NULL)
		g_task_return_error(task, g_error_copy(error));
}

/* fails every pending command with @reason and stops all I/O; idempotent */
void
cc_qmp_close(CcQmp *self, const GError *reason)
{
	g_autoptr(GError) error_local = NULL;
	g_autoptr(GPtrArray) all = g_ptr_array_new();
	GHashTableIter iter;
	gpointer value;

	g_return_if_fail(CC_IS_QMP(self));
	if (self->state == CC_QMP_STATE_CLOSED)
		return;
	if (reason == NULL) {
		error_local = g_error_new_literal(COLO_ERROR, COLO_ERROR_DISCONNECTED,
						  "connection closed");
		reason = error_local;
	}
	self->state = CC_QMP_STATE_CLOSED;
	if (self->read_source != NULL) {
		g_source_destroy(self->read_source);
		g_clear_pointer(&self->read_source, g_source_unref);
	}
	if (self->write_source != NULL) {
		g_source_destroy(self->write_source);
		g_clear_pointer(&self->write_source, g_source_unref);
	}
	/* closing a socket stream does not block */
	if (self->stream != NULL)
		g_io_stream_close(self->stream, NULL, NULL);
	g_byte_array_set_size(self->rbuf, 0);
	self->rbuf_scanned = 0;
	g_byte_array_set_size(self->wbuf, 0);

	g_object_ref(self);
	cc_qmp_fail_handshake(self, reason);
	g_hash_table_iter_init(&iter, self->pending);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		g_ptr_array_add(all, value);
		g_hash_table_iter_steal(&iter);
	}
	for (guint i = 0; i < all->len; i++) {
		CcQmpPending *p = g_ptr_array_index(all, i);
		g_task_return_error(p->task, g_error_copy(reason));
		cc_qmp_pending_free(p);
	}
	g_signal_emit(self, signals[SIGNAL_CLOSED], 0, reason);
	g_object_unref(self);
}

static void cc_qmp_close_with(CcQmp *self, ColoError code, const gchar *fmt, ...)
	G_GNUC_PRINTF(3, 4);

static void
cc_qmp_close_with(CcQmp *self, ColoError code, const gchar *fmt, ...)
{
	va_list args;
	g_autofree gchar *msg = NULL;
	g_autoptr(GError) error = NULL;

	va_start(args, fmt);
	msg = g_strdup_vprintf(fmt, args);
	va_end(args);
	error = g_error_new_literal(COLO_ERROR, code, msg);
	g_debug("closing: %s", msg);
	cc_qmp_close(self, error);
}

static void
cc_qmp_handle_reply(CcQmp *self, JsonObject *obj)
{
	const gchar *id = NULL;
	CcQmpPending *p;
	JsonNode *id_node = json_object_get_member(obj, "id");

	if (id_node != NULL && JSON_NODE_HOLDS_VALUE(id_node) &&
	    json_node_get_value_type(id_node) == G_TYPE_STRING)
		id = json_node_get_string(id_node);
	if (id == NULL) {
		g_debug("dropping reply without our id");
		return;
	}
	p = g_hash_table_lookup(self->pending, id);
	if (p == NULL) {
		/* deadline already passed: the caller has its TIMEOUT */
		g_debug("dropping late reply %s", id);
		return;
	}
	g_hash_table_steal(self->pending, id);
	if (json_object_has_member(obj, "error")) {
		JsonObject *err = json_object_get_object_member(obj, "error");
		const gchar *klass = "GenericError";
		const gchar *desc = "unknown error";
		if (err != NULL) {
			klass = json_object_get_string_member_with_default(err, "class", klass);
			desc = json_object_get_string_member_with_default(err, "desc", desc);
		}
		g_task_return_new_error(p->task, COLO_ERROR, COLO_ERROR_QMP_ERROR, "%s: %s", klass,
					desc);
	} else {
		JsonNode *ret = json_object_get_member(obj, "return");
		g_task_return_pointer(
			p->task, ret != NULL ? json_node_copy(ret) : json_node_new(JSON_NODE_NULL),
			(GDestroyNotify)json_node_unref);
	}
	cc_qmp_pending_free(p);
}

static void
cc_qmp_handle_event(CcQmp *self, JsonObject *obj)
{
	const gchar *name = json_object_get_string_member_with_default(obj, "event", NULL);
	JsonObject *data = NULL;
	JsonObject *ts;
	gint64 ts_us = 0;

	if (name == NULL)
		return;
	if (json_object_has_member(obj, "data") &&
	    JSON_NODE_HOLDS_OBJECT(json_object_get_member(obj, "data")))
		data = json_object_get_object_member(obj, "data");
	if (json_object_has_member(obj, "timestamp") &&
	    JSON_NODE_HOLDS_OBJECT(json_object_get_member(obj, "timestamp"))) {
		ts = json_object_get_object_member(obj, "timestamp");
		ts_us = json_object_get_int_member_with_default(ts, "seconds", 0) * G_USEC_PER_SEC +
			json_object_get_int_member_with_default(ts, "microseconds", 0);
	}
	g_signal_emit(self, signals[SIGNAL_EVENT], 0, name, data, ts_us);
}

static void
cc_qmp_handle_greeting(CcQmp *self, JsonObject *obj)
{
	JsonObject *qmp = json_object_get_object_member(obj, "QMP");
	JsonNode *caps;

	if (qmp == NULL) {
		cc_qmp_close_with(self, COLO_ERROR_PROTOCOL, "greeting has no QMP object");
		return;
	}
	self->greeting = json_object_ref(qmp);
	caps = json_object_get_member(qmp, "capabilities");
	if (caps != NULL && JSON_NODE_HOLDS_ARRAY(caps)) {
		JsonArray *arr = json_node_get_array(caps);
		for (guint i = 0; i < json_array_get_length(arr); i++) {
			JsonNode *n = json_array_get_element(arr, i);
			if (JSON_NODE_HOLDS_VALUE(n) &&
			    json_node_get_value_type(n) == G_TYPE_STRING &&
			    g_strcmp0(json_node_get_string(n), "oob") == 0)
				self->oob = TRUE;
		}
	}
	self->state = CC_QMP_STATE_NEGOTIATING;
	if (self->handshake != NULL)
		cc_qmp_negotiate(self, GPOINTER_TO_UINT(g_task_get_task_data(self->handshake)));
}

static void
cc_qmp_handle_line(CcQmp *self, const gchar *line, gsize len)
{
	g_autoptr(JsonParser) parser = json_parser_new_immutable();
	g_autoptr(GError) error_local = NULL;
	JsonNode *root;
	JsonObject *obj;

	if (len == 0)
		return;
	if (!json_parser_load_from_data(parser, line, (gssize)len, &error_local)) {
		cc_qmp_close_with(self, COLO_ERROR_PROTOCOL,
				  "malformed QMP line (%" G_GSIZE_FORMAT " bytes): %s", len,
				  error_local->message);
		return;
	}
	root = json_parser_get_root(parser);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
		cc_qmp_close_with(self, COLO_ERROR_PROTOCOL, "QMP line is not a JSON object");
		return;
	}
	obj = json_node_get_object(root);
	if (self->state == CC_QMP_STATE_GREETING) {
		if (!json_object_has_member(obj, "QMP")) {
			cc_qmp_close_with(self, COLO_ERROR_PROTOCOL, "expected a QMP greeting");
			return;
		}
		cc_qmp_handle_greeting(self, obj);
		return;
	}
	if (json_object_has_member(obj, "event")) {
		cc_qmp_handle_event(self, obj);
		return;
	}
	if (json_object_has_member(obj, "return") || json_object_has_member(obj, "error")) {
		cc_qmp_handle_reply(self, obj);
		return;
	}
	g_debug("ignoring unknown QMP message");
}

/* split complete lines out of rbuf; returns FALSE if the connection closed */
static gboolean
cc_qmp_process_rbuf(CcQmp *self)
{
	gsize start = 0;

	/* only bytes that arrived since the last call can hold a new newline */
	for (gsize i = self->rbuf_scanned; i < self->rbuf->len; i++) {
		if (self->rbuf->data[i] != '\n')
			continue;
		if (i - start > self->max_line) {
			cc_qmp_close_with(self, COLO_ERROR_PROTOCOL,
					  "QMP line of %" G_GSIZE_FORMAT
					  " bytes exceeds the limit of %" G_GSIZE_FORMAT,
					  i - start, self->max_line);
			return FALSE;
		}
		cc_qmp_handle_line(self, (const gchar *)self->rbuf->data + start, i - start);
		if (self->state == CC_QMP_STATE_CLOSED)
			return FALSE;
		start = i + 1;
	}
	if (start > 0)
		g_byte_array_remove_range(self->rbuf, 0, start);
	self->rbuf_scanned = self->rbuf->len;
	if (self->rbuf->len > self->max_line) {
		cc_qmp_close_with(self, COLO_ERROR_PROTOCOL,
				  "QMP line exceeds the limit of %" G_GSIZE_FORMAT " bytes",
				  self->max_line);
		return FALSE;
	}
	return TRUE;
}

static void
cc_qmp_handle_eof(CcQmp *self)
{
	if (self->rbuf->len > 0) {
		cc_qmp_close_with(self, COLO_ERROR_DISCONNECTED,
				  "monitor closed mid-reply (%u bytes of an unfinished line)",
				  self->rbuf->len);
		return;
	}
	cc_qmp_close_with(self, COLO_ERROR_DISCONNECTED, "monitor closed the connection");
}

static gboolean
cc_qmp_readable_cb(GObject *stream, gpointer user_data)
{
	CcQmp *self = CC_QMP(user_data);
	guint8 chunk[CC_QMP_READ_CHUNK];
	gboolean keep = TRUE;

	g_object_ref(self);
	/* bounded: at most 16 chunks per wakeup so one chatty monitor cannot starve others */
	for (guint n = 0; n < 16 && keep; n++) {
		g_autoptr(GError) error_local = NULL;
		gssize r = g_pollable_input_stream_read_nonblocking(
			self->istream, chunk, sizeof(chunk), NULL, &error_local);
		if (r < 0) {
			if (g_error_matches(error_local, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
				break;
			cc_qmp_close_with(self, COLO_ERROR_DISCONNECTED, "monitor read failed: %s",
					  error_local->message);
			keep = FALSE;
			break;
		}
		if (r == 0) {
			cc_qmp_handle_eof(self);
			keep = FALSE;
			break;
		}
		g_byte_array_append(self->rbuf, chunk, (guint)r);
		if (!cc_qmp_process_rbuf(self))
			keep = FALSE;
	}
	if (!keep || self->state == CC_QMP_STATE_CLOSED) {
		/* cc_qmp_close() destroyed read_source already */
		g_object_unref(self);
		return G_SOURCE_REMOVE;
	}
	g_object_unref(self);
	return G_SOURCE_CONTINUE;
}

static void
cc_qmp_read_arm(CcQmp *self)
{
	if (self->read_source != NULL)
		return;
	self->read_source = g_pollable_input_stream_create_source(self->istream, NULL);
	g_source_set_callback(self->read_source, G_SOURCE_FUNC(cc_qmp_readable_cb), self, NULL);
	g_source_attach(self->read_source, g_main_context_get_thread_default());
}

static gboolean
cc_qmp_writable_cb(GObject *stream, gpointer user_data)
{
	CcQmp *self = CC_QMP(user_data);
	g_clear_pointer(&self->write_source, g_source_unref);
	cc_qmp_write_flush(self);
	return G_SOURCE_REMOVE;
}

static void
cc_qmp_write_flush(CcQmp *self)
{
	while (self->wbuf->len > 0 && self->state != CC_QMP_STATE_CLOSED) {
		g_autoptr(GError) error_local = NULL;
		gssize w = g_pollable_output_stream_write_nonblocking(
			self->ostream, self->wbuf->data, self->wbuf->len, NULL, &error_local);
		if (w < 0) {
			if (g_error_matches(error_local, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
				if (self->write_source != NULL)
					return;
				self->write_source =
					g_pollable_output_stream_create_source(self->ostream, NULL);
				g_source_set_callback(self->write_source,
						      G_SOURCE_FUNC(cc_qmp_writable_cb), self,
						      NULL);
				g_source_attach(self->write_source,
						g_main_context_get_thread_default());
				return;
			}
			cc_qmp_close_with(self, COLO_ERROR_DISCONNECTED, "monitor write failed: %s",
					  error_local->message);
			return;
		}
		g_byte_array_remove_range(self->wbuf, 0, (guint)w);
	}
}

static gboolean
cc_qmp_send(CcQmp *self, JsonObject *msg, GError **error)
{
	g_autoptr(JsonNode) node = json_node_new(JSON_NODE_OBJECT);
	g_autofree gchar *line = NULL;
	gsize len = 0;

	json_node_set_object(node, msg);
	line = json_to_string(node, FALSE);
	len = strlen(line);
	if (self->wbuf->len + len + 1 > CC_QMP_MAX_WBUF) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_TIMEOUT,
			    "monitor is not reading: %u bytes queued", self->wbuf->len);
		return FALSE;
	}
	g_byte_array_append(self->wbuf, (const guint8 *)line, (guint)len);
	g_byte_array_append(self->wbuf, (const guint8 *)"\n", 1);
	cc_qmp_write_flush(self);
	return TRUE;
}

static gboolean
cc_qmp_deadline_cb(gpointer user_data)
{
	CcQmpPending *p = user_data;
	CcQmp *self = p->self;
	gint64 waited = (g_get_monotonic_time() - p->sent_us) / 1000;

	g_clear_pointer(&p->deadline, g_source_unref);
	g_hash_table_steal(self->pending, p->id);
	g_task_return_new_error(p->task, COLO_ERROR, COLO_ERROR_TIMEOUT,
				"%s: no reply within %" G_GINT64_FORMAT " ms", p->command, waited);
	cc_qmp_pending_free(p);
	return G_SOURCE_REMOVE;
}

void
cc_qmp_execute_async(CcQmp *self, const gchar *command, JsonObject *arguments, CcQmpFlags flags,
		     guint timeout_ms, GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = NULL;
	g_autoptr(JsonObject) msg = json_object_new();
	g_autoptr(GError) error_local = NULL;
	CcQmpPending *p;

	g_return_if_fail(CC_IS_QMP(self));
	g_return_if_fail(command != NULL);

	task = g_task_new(self, NULL, callback, user_data);
	g_task_set_source_tag(task, cc_qmp_execute_async);
	g_task_set_task_data(task, g_strdup(command), g_free);
	if (self->state == CC_QMP_STATE_CLOSED || self->state == CC_QMP_STATE_GREETING) {
		g_task_return_new_error(task, COLO_ERROR, COLO_ERROR_DISCONNECTED,
					"%s: monitor is not connected", command);
		return;
	}
	if ((flags & CC_QMP_FLAG_OOB) && !self->oob) {
		g_task_return_new_error(task, COLO_ERROR, COLO_ERROR_UNSUPPORTED,
					"%s: out-of-band execution was not negotiated", command);
		return;
	}
	if (timeout_ms == 0)
		timeout_ms = CC_QMP_DEFAULT_TIMEOUT_MS;

	p = g_new0(CcQmpPending, 1);
	p->self = self;
	p->id = g_strdup_printf("cc-%" G_GUINT64_FORMAT, ++self->next_id);
	p->command = g_strdup(command);
	p->task = g_steal_pointer(&task);
	p->sent_us = g_get_monotonic_time();

	json_object_set_string_member(msg, (flags & CC_QMP_FLAG_OOB) ? "exec-oob" : "execute",
				      command);
	if (arguments != NULL)
		json_object_set_object_member(msg, "arguments", json_object_ref(arguments));
	json_object_set_string_member(msg, "id", p->id);

	g_hash_table_insert(self->pending, p->id, p);
	p->deadline = g_timeout_source_new(timeout_ms);
	g_source_set_callback(p->deadline, cc_qmp_deadline_cb, p, NULL);
	g_source_attach(p->deadline, g_main_context_get_thread_default());
	if (!cc_qmp_send(self, msg, &error_local)) {
		g_hash_table_steal(self->pending, p->id);
		g_task_return_error(p->task, g_steal_pointer(&error_local));
		cc_qmp_pending_free(p);
	}
}

JsonNode *
cc_qmp_execute_finish(CcQmp *self, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(res, self), NULL);
	return g_task_propagate_pointer(G_TASK(res), error);
}

static void
cc_qmp_capabilities_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	CcQmp *self = CC_QMP(source);
	g_autoptr(JsonNode) ret = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GTask) task = NULL;

	ret = cc_qmp_execute_finish(self, res, &error);
	if (self->handshake == NULL)
		return; /* handshake already failed (deadline or close) */
	if (ret == NULL) {
		g_prefix_error(&error, "qmp_capabilities: ");
		cc_qmp_fail_handshake(self, error);
		return;
	}
	task = g_steal_pointer(&self->handshake);
	if (self->handshake_deadline != NULL) {
		g_source_destroy(self->handshake_deadline);
		g_clear_pointer(&self->handshake_deadline, g_source_unref);
	}
	self->state = CC_QMP_STATE_READY;
	g_task_return_boolean(task, TRUE);
}

static void
cc_qmp_negotiate(CcQmp *self, guint timeout_ms)
{
	g_autoptr(JsonObject) args = json_object_new();
	if (self->oob) {
		JsonArray *enable = json_array_new();
		json_array_add_string_element(enable, "oob");
		json_object_set_array_member(args, "enable", enable);
	}
	cc_qmp_execute_async(self, "qmp_capabilities", args, CC_QMP_FLAG_NONE, timeout_ms,
			     cc_qmp_capabilities_cb, NULL);
}

static gboolean
cc_qmp_handshake_deadline_cb(gpointer user_data)
{
	CcQmp *self = CC_QMP(user_data);
	g_autoptr(GError) error = NULL;

	g_clear_pointer(&self->handshake_deadline, g_source_unref);
	error = g_error_new_literal(COLO_ERROR, COLO_ERROR_TIMEOUT, "no QMP greeting in time");
	cc_qmp_fail_handshake(self, error);
	return G_SOURCE_REMOVE;
}

void
cc_qmp_handshake_async(CcQmp *self, guint timeout_ms, GCancellable *cancellable,
		       GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);

	g_return_if_fail(CC_IS_QMP(self));
	g_task_set_source_tag(task, cc_qmp_handshake_async);
	if (self->state != CC_QMP_STATE_GREETING || self->handshake != NULL) {
		g_task_return_new_error(task, COLO_ERROR, COLO_ERROR_INTERNAL,
					"handshake already done or running");
		return;
	}
	if (timeout_ms == 0)
		timeout_ms = CC_QMP_DEFAULT_TIMEOUT_MS;
	self->handshake = g_steal_pointer(&task);
	g_task_set_task_data(self->handshake, GUINT_TO_POINTER(timeout_ms), NULL);
	self->handshake_deadline = g_timeout_source_new(timeout_ms);
	g_source_set_callback(self->handshake_deadline, cc_qmp_handshake_deadline_cb, self, NULL);
	g_source_attach(self->handshake_deadline, g_main_context_get_thread_default());
	cc_qmp_read_arm(self);
}

gboolean
cc_qmp_handshake_finish(CcQmp *self, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(res, self), FALSE);
	return g_task_propagate_boolean(G_TASK(res), error);
}

typedef struct {
	guint timeout_ms;
	gchar *path;
} CcQmpConnectData;

static void
cc_qmp_connect_data_free(CcQmpConnectData *d)
{
	g_free(d->path);
	g_free(d);
}

static void
cc_qmp_connect_handshake_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK(user_data);
	g_autoptr(GError) error = NULL;
	CcQmp *qmp = CC_QMP(source);

	if (!cc_qmp_handshake_finish(qmp, res, &error)) {
		cc_qmp_close(qmp, error);
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	g_task_return_pointer(task, g_object_ref(qmp), g_object_unref);
}

static void
cc_qmp_connect_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK(user_data);
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocketConnection) conn = NULL;
	g_autoptr(CcQmp) qmp = NULL;
	GCancellable *cancellable;
	CcQmpConnectData *d = g_task_get_task_data(task);

	conn = g_socket_client_connect_finish(G_SOCKET_CLIENT(source), res, &error);
	if (conn == NULL) {
		ColoError code = g_error_matches(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)
					 ? COLO_ERROR_TIMEOUT
					 : COLO_ERROR_CONNECT;
		g_task_return_new_error(task, COLO_ERROR, code, "cannot connect to %s: %s", d->path,
					error->message);
		return;
	}
	/* the client's connect timeout would otherwise stay on the socket as an idle limit */
	g_socket_set_timeout(g_socket_connection_get_socket(conn), 0);
	qmp = cc_qmp_new(G_IO_STREAM(conn));
	cancellable = g_task_get_cancellable(task);
	cc_qmp_handshake_async(qmp, d->timeout_ms, cancellable, cc_qmp_connect_handshake_cb,
			       g_steal_pointer(&task));
}

void
cc_qmp_connect_unix_async(const gchar *path, guint timeout_ms, GCancellable *cancellable,
			  GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(NULL, cancellable, callback, user_data);
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(path);
	CcQmpConnectData *d = g_new0(CcQmpConnectData, 1);

	if (timeout_ms == 0)
		timeout_ms = CC_QMP_DEFAULT_TIMEOUT_MS;
	d->timeout_ms = timeout_ms;
	d->path = g_strdup(path);
	g_task_set_task_data(task, d, (GDestroyNotify)cc_qmp_connect_data_free);
	g_task_set_source_tag(task, cc_qmp_connect_unix_async);
	g_socket_client_set_timeout(client, (timeout_ms + 999) / 1000);
	g_socket_client_connect_async(client, G_SOCKET_CONNECTABLE(addr), cancellable,
				      cc_qmp_connect_cb, g_steal_pointer(&task));
}

CcQmp *
cc_qmp_connect_unix_finish(GAsyncResult *res, GError **error)
{
	return g_task_propagate_pointer(G_TASK(res), error);
}

CcQmp *
cc_qmp_new(GIOStream *stream)
{
	CcQmp *self;
	GInputStream *in;
	GOutputStream *out;

	g_return_val_if_fail(G_IS_IO_STREAM(stream), NULL);
	in = g_io_stream_get_input_stream(stream);
	out = g_io_stream_get_output_stream(stream);
	g_return_val_if_fail(G_IS_POLLABLE_INPUT_STREAM(in), NULL);
	g_return_val_if_fail(G_IS_POLLABLE_OUTPUT_STREAM(out), NULL);

	self = g_object_new(CC_TYPE_QMP, NULL);
	self->stream = g_object_ref(stream);
	self->istream = G_POLLABLE_INPUT_STREAM(in);
	self->ostream = G_POLLABLE_OUTPUT_STREAM(out);
	return self;
}

void
cc_qmp_set_max_line(CcQmp *self, gsize max_line)
{
	g_return_if_fail(CC_IS_QMP(self));
	self->max_line = max_line;
}

gsize
cc_qmp_get_max_line(CcQmp *self)
{
	return self->max_line;
}

CcQmpState
cc_qmp_get_state(CcQmp *self)
{
	g_return_val_if_fail(CC_IS_QMP(self), CC_QMP_STATE_CLOSED);
	return self->state;
}

gboolean
cc_qmp_get_oob(CcQmp *self)
{
	return self->oob;
}

JsonObject *
cc_qmp_get_greeting(CcQmp *self)
{
	return self->greeting;
}

guint
cc_qmp_get_pending(CcQmp *self)
{
	return g_hash_table_size(self->pending);
}

static void
cc_qmp_init(CcQmp *self)
{
	self->rbuf = g_byte_array_new();
	self->wbuf = g_byte_array_new();
	self->max_line = CC_QMP_DEFAULT_MAX_LINE;
	self->state = CC_QMP_STATE_GREETING;
	self->pending = g_hash_table_new(g_str_hash, g_str_equal);
}

static void
cc_qmp_dispose(GObject *object)
{
	CcQmp *self = CC_QMP(object);
	g_autoptr(GError) error = g_error_new_literal(COLO_ERROR, COLO_ERROR_CANCELLED,
						      "monitor connection disposed");
	cc_qmp_close(self, error);
	G_OBJECT_CLASS(cc_qmp_parent_class)->dispose(object);
}

static void
cc_qmp_finalize(GObject *object)
{
	CcQmp *self = CC_QMP(object);
	g_clear_pointer(&self->greeting, json_object_unref);
	g_hash_table_unref(self->pending);
	g_byte_array_unref(self->rbuf);
	g_byte_array_unref(self->wbuf);
	g_clear_object(&self->stream);
	G_OBJECT_CLASS(cc_qmp_parent_class)->finalize(object);
}

static void
cc_qmp_class_init(CcQmpClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->dispose = cc_qmp_dispose;
	object_class->finalize = cc_qmp_finalize;

	/**
	 * CcQmp::event:
	 * @name: the event name, e.g. "STOP"
	 * @data: (nullable): the event's data object
	 * @timestamp_us: QEMU's timestamp in microseconds since the epoch
	 */
	signals[SIGNAL_EVENT] =
		g_signal_new("event", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
			     NULL, G_TYPE_NONE, 3, G_TYPE_STRING, JSON_TYPE_OBJECT, G_TYPE_INT64);
	/**
	 * CcQmp::closed:
	 * @reason: a #GError in the COLO_ERROR domain
	 */
	signals[SIGNAL_CLOSED] = g_signal_new("closed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST,
					      0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}
