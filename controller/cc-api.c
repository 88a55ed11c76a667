/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "CcApi"

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <sys/stat.h>

#include "cc-api.h"
#include "cc-jsonschema.h"
#include "colo-error.h"

#define CC_API_RESOURCE     "/org/coloctl/"
#define CC_SSE_KEEPALIVE_S  15
#define CC_GUEST_NAME_REGEX "^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$"

typedef struct {
	SoupServerMessage *msg;
	GHashTable *query;
	gchar **params; /* path parameters in route order */
	JsonNode *body; /* validated request body, or NULL */
} CcApiRequest;

typedef void (*CcApiHandler)(CcApi *self, CcApiRequest *req);

typedef struct {
	const gchar *method;
	const gchar *path;   /* segments; "{x}" matches one segment */
	const gchar *schema; /* request body schema in schema/api, or NULL for no body */
	CcApiHandler handler;
} CcApiRoute;

typedef struct {
	CcApi *api; /* unowned */
	SoupServerMessage *msg;
} CcSseClient;

struct _CcApi {
	GObject parent_instance;
	CcEngine *engine;
	SoupServer *server;
	GHashTable *schemas; /* schema name -> CcJsonSchema */
	gchar *token;        /* for TCP listeners, or NULL */
	GPtrArray *sse;      /* of CcSseClient */
	guint sse_keepalive;
	gulong event_handler;
	guint tcp_port;
	gchar *unix_path;
	GHashTable *requests_by_code; /* "status" -> count */
};

G_DEFINE_TYPE(CcApi, cc_api, G_TYPE_OBJECT)

/* --------------------------------------------------------------- replies */

static void
cc_api_count(CcApi *self, guint status)
{
	gpointer key = GUINT_TO_POINTER(status);
	guint n = GPOINTER_TO_UINT(g_hash_table_lookup(self->requests_by_code, key));
	g_hash_table_insert(self->requests_by_code, key, GUINT_TO_POINTER(n + 1));
}

static void
cc_api_reply_json(CcApi *self, SoupServerMessage *msg, guint status, JsonNode *node,
		  const gchar *content_type)
{
	g_autofree gchar *text = node != NULL ? json_to_string(node, FALSE) : g_strdup("");
	gsize len = strlen(text);

	cc_api_count(self, status);
	soup_server_message_set_status(msg, status, NULL);
	if (node == NULL) {
		soup_server_message_set_response(msg, NULL, SOUP_MEMORY_STATIC, NULL, 0);
		return;
	}
	soup_server_message_set_response(msg, content_type, SOUP_MEMORY_TAKE,
					 g_steal_pointer(&text), len);
}

/* application/problem+json (RFC 9457) with a stable code and the offending field */
static void
cc_api_problem(CcApi *self, SoupServerMessage *msg, guint status, const gchar *code,
	       const gchar *detail, const gchar *path)
{
	g_autoptr(JsonNode) node = json_node_new(JSON_NODE_OBJECT);
	JsonObject *obj = json_object_new();
	g_autofree gchar *type = g_strdup_printf("urn:coloctl:problem:%s", code);

	json_object_set_string_member(obj, "type", type);
	json_object_set_string_member(obj, "title", soup_status_get_phrase(status));
	json_object_set_int_member(obj, "status", status);
	json_object_set_string_member(obj, "code", code);
	json_object_set_string_member(obj, "detail", detail);
	if (path != NULL)
		json_object_set_string_member(obj, "path", path);
	json_node_take_object(node, obj);
	cc_api_reply_json(self, msg, status, node, "application/problem+json");
}

static void
cc_api_problem_from_error(CcApi *self, SoupServerMessage *msg, const GError *error)
{
	guint status = SOUP_STATUS_INTERNAL_SERVER_ERROR;
	const gchar *code = "internal";

	if (error->domain == COLO_ERROR) {
		switch (error->code) {
		case COLO_ERROR_NOT_FOUND:
			status = SOUP_STATUS_NOT_FOUND;
			code = "not-found";
			break;
		case COLO_ERROR_CONFLICT:
			status = SOUP_STATUS_CONFLICT;
			code = "conflict";
			break;
		case COLO_ERROR_INVALID_INPUT:
			status = SOUP_STATUS_BAD_REQUEST;
			code = "invalid-value";
			break;
		default:
			code = colo_error_code_to_string(error->code);
			break;
		}
	}
	if (status >= 500)
		g_warning("request failed: %s", error->message);
	cc_api_problem(self, msg, status, code, error->message, NULL);
}

/* ---------------------------------------------------------------- guests */

static void
cc_api_reply_or_problem(CcApi *self, CcApiRequest *req, guint status, JsonNode *node,
			const GError *error)
{
	if (node == NULL) {
		cc_api_problem_from_error(self, req->msg, error);
		return;
	}
	cc_api_reply_json(self, req->msg, status, node, "application/json");
}

static void
cc_api_guests_list(CcApi *self, CcApiRequest *req)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) bytes = cc_engine_guest_list_bytes(self->engine, &error);

	if (bytes == NULL) {
		cc_api_problem_from_error(self, req->msg, error);
		return;
	}
	cc_api_count(self, SOUP_STATUS_OK);
	soup_server_message_set_status(req->msg, SOUP_STATUS_OK, NULL);
	soup_message_headers_set_content_type(soup_server_message_get_response_headers(req->msg),
					      "application/json", NULL);
	soup_message_body_append_bytes(soup_server_message_get_response_body(req->msg), bytes);
}

static void
cc_api_guests_create(CcApi *self, CcApiRequest *req)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) node =
		cc_engine_guest_create(self->engine, json_node_get_object(req->body), &error);
	if (node != NULL) {
		g_autofree gchar *location = g_strdup_printf(
			"/v1/guests/%s",
			json_object_get_string_member(json_node_get_object(node), "name"));
		soup_message_headers_replace(soup_server_message_get_response_headers(req->msg),
					     "Location", location);
	}
	cc_api_reply_or_problem(self, req, SOUP_STATUS_CREATED, node, error);
}

static void
cc_api_guest_get(CcApi *self, CcApiRequest *req)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) node = cc_engine_guest_get(self->engine, req->params[0], &error);
	cc_api_reply_or_problem(self, req, SOUP_STATUS_OK, node, error);
}

static void
cc_api_guest_delete(CcApi *self, CcApiRequest *req)
{
	g_autoptr(GError) error = NULL;
	if (!cc_engine_guest_delete(self->engine, req->params[0], &error)) {
		cc_api_problem_from_error(self, req->msg, error);
		return;
	}
	cc_api_reply_json(self, req->msg, SOUP_STATUS_NO_CONTENT, NULL, NULL);
}

static void
cc_api_guest_start(CcApi *self, CcApiRequest *req)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) node = cc_engine_guest_start(self->engine, req->params[0], &error);
	cc_api_reply_or_problem(self, req, SOUP_STATUS_ACCEPTED, node, error);
}

static void
cc_api_guest_stop(CcApi *self, CcApiRequest *req)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) node = NULL;
	gboolean force = FALSE;

	if (req->body != NULL)
		force = json_object_get_boolean_member_with_default(json_node_get_object(req->body),
								    "force", FALSE);
	node = cc_engine_guest_stop(self->engine, req->params[0], force, &error);
	cc_api_reply_or_problem(self, req, SOUP_STATUS_ACCEPTED, node, error);
}

static gboolean cc_api_query_int(CcApi *self, CcApiRequest *req, const gchar *key, gint64 min,
				 gint64 max, gint64 *value);

static void
cc_api_guest_migrate(CcApi *self, CcApiRequest *req)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) node = cc_engine_guest_migrate(self->engine, req->params[0],
							   json_node_get_object(req->body), &error);
	cc_api_reply_or_problem(self, req, SOUP_STATUS_ACCEPTED, node, error);
}

static void
cc_api_guest_migration(CcApi *self, CcApiRequest *req)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) node = NULL;
	gint64 samples = 0;

	if (!cc_api_query_int(self, req, "samples", 0, 1, &samples))
		return;
	node = cc_engine_guest_migration(self->engine, req->params[0], samples == 1, &error);
	cc_api_reply_or_problem(self, req, SOUP_STATUS_OK, node, error);
}

static void
cc_api_guest_migration_cancel(CcApi *self, CcApiRequest *req)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) node =
		cc_engine_guest_migration_cancel(self->engine, req->params[0], &error);
	cc_api_reply_or_problem(self, req, SOUP_STATUS_ACCEPTED, node, error);
}

static JsonObject *
cc_api_body_object(CcApiRequest *req)
{
	return req->body != NULL && JSON_NODE_HOLDS_OBJECT(req->body)
		       ? json_node_get_object(req->body)
		       : NULL;
}

static void
cc_api_guest_protect(CcApi *self, CcApiRequest *req)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) node = cc_engine_guest_protect(self->engine, req->params[0],
							   cc_api_body_object(req), &error);
	cc_api_reply_or_problem(self, req, SOUP_STATUS_ACCEPTED, node, error);
}

static void
cc_api_guest_failover(CcApi *self, CcApiRequest *req)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) node = cc_engine_guest_failover(self->engine, req->params[0],
							    cc_api_body_object(req), &error);
	cc_api_reply_or_problem(self, req, SOUP_STATUS_ACCEPTED, node, error);
}

static void
cc_api_guest_unprotect(CcApi *self, CcApiRequest *req)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) node = cc_engine_guest_unprotect(self->engine, req->params[0], &error);
	cc_api_reply_or_problem(self, req, SOUP_STATUS_ACCEPTED, node, error);
}

static void
cc_api_guest_failovers(CcApi *self, CcApiRequest *req)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) node = cc_engine_guest_failovers(self->engine, req->params[0], &error);
	cc_api_reply_or_problem(self, req, SOUP_STATUS_OK, node, error);
}

/* ------------------------------------------------------------ read-outs */

static void
cc_api_health(CcApi *self, CcApiRequest *req)
{
	g_autoptr(JsonNode) node = cc_engine_health(self->engine);
	cc_api_reply_json(self, req->msg, SOUP_STATUS_OK, node, "application/json");
}

static void
cc_api_hosts(CcApi *self, CcApiRequest *req)
{
	g_autoptr(JsonNode) node = cc_engine_hosts(self->engine);
	cc_api_reply_json(self, req->msg, SOUP_STATUS_OK, node, "application/json");
}

static gboolean
cc_api_query_int(CcApi *self, CcApiRequest *req, const gchar *key, gint64 min, gint64 max,
		 gint64 *value)
{
	const gchar *text = req->query != NULL ? g_hash_table_lookup(req->query, key) : NULL;
	g_autofree gchar *detail = NULL;
	g_autofree gchar *path = NULL;

	if (text == NULL)
		return TRUE;
	if (g_ascii_string_to_signed(text, 10, min, max, value, NULL))
		return TRUE;
	detail = g_strdup_printf("query parameter %s must be a whole number from %" G_GINT64_FORMAT
				 " to %" G_GINT64_FORMAT,
				 key, min, max);
	path = g_strdup_printf("?%s", key);
	cc_api_problem(self, req->msg, SOUP_STATUS_BAD_REQUEST, "invalid-value", detail, path);
	return FALSE;
}

static void
cc_api_events(CcApi *self, CcApiRequest *req)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) node = NULL;
	gint64 after = 0;
	gint64 limit = 1000;

	if (!cc_api_query_int(self, req, "after", 0, G_MAXINT64, &after) ||
	    !cc_api_query_int(self, req, "limit", 1, 10000, &limit))
		return;
	node = cc_engine_events(self->engine, after, (guint)limit, &error);
	cc_api_reply_or_problem(self, req, SOUP_STATUS_OK, node, error);
}

static void
cc_api_openapi(CcApi *self, CcApiRequest *req)
{
	g_autoptr(GBytes) bytes = g_resources_lookup_data(CC_API_RESOURCE "openapi.json", 0, NULL);
	gsize len = 0;
	const gchar *data = g_bytes_get_data(bytes, &len);

	cc_api_count(self, SOUP_STATUS_OK);
	soup_server_message_set_status(req->msg, SOUP_STATUS_OK, NULL);
	soup_server_message_set_response(req->msg, "application/json", SOUP_MEMORY_COPY, data, len);
}

static void
cc_api_metrics(CcApi *self, CcApiRequest *req)
{
	g_autoptr(GString) out = g_string_new(NULL);
	GHashTableIter iter;
	gpointer key;
	gpointer value;
	gsize len;

	cc_engine_metrics(self->engine, out);
	g_string_append_printf(out,
			       "# HELP coloctl_sse_clients Clients on the event stream.\n"
			       "# TYPE coloctl_sse_clients gauge\n"
			       "coloctl_sse_clients %u\n"
			       "# HELP coloctl_api_requests_total API replies by status.\n"
			       "# TYPE coloctl_api_requests_total counter\n",
			       self->sse->len);
	g_hash_table_iter_init(&iter, self->requests_by_code);
	while (g_hash_table_iter_next(&iter, &key, &value))
		g_string_append_printf(out, "coloctl_api_requests_total{status=\"%u\"} %u\n",
				       GPOINTER_TO_UINT(key), GPOINTER_TO_UINT(value));
	cc_api_count(self, SOUP_STATUS_OK);
	len = out->len;
	soup_server_message_set_status(req->msg, SOUP_STATUS_OK, NULL);
	soup_server_message_set_response(req->msg, "text/plain; version=0.0.4", SOUP_MEMORY_TAKE,
					 g_string_free(g_steal_pointer(&out), FALSE), len);
}

/* ------------------------------------------------------------------- SSE */

static void
cc_api_sse_send(CcSseClient *client, const gchar *text)
{
	SoupMessageBody *body = soup_server_message_get_response_body(client->msg);
	soup_message_body_append(body, SOUP_MEMORY_COPY, text, strlen(text));
	soup_server_message_unpause(client->msg);
}

static gchar *
cc_api_sse_format(const CcStoreEvent *event)
{
	g_autoptr(JsonNode) node = cc_engine_event_to_json(event);
	g_autofree gchar *data = json_to_string(node, FALSE);
	return g_strdup_printf("id: %" G_GINT64_FORMAT "\nevent: %s\ndata: %s\n\n", event->id,
			       event->kind, data);
}

static void
cc_api_engine_event_cb(CcEngine *engine, gpointer event, gpointer user_data)
{
	CcApi *self = CC_API(user_data);
	g_autofree gchar *text = NULL;

	if (self->sse->len == 0)
		return;
	text = cc_api_sse_format(event);
	for (guint i = 0; i < self->sse->len; i++)
		cc_api_sse_send(g_ptr_array_index(self->sse, i), text);
}

static gboolean
cc_api_sse_keepalive_cb(gpointer user_data)
{
	CcApi *self = CC_API(user_data);
	for (guint i = 0; i < self->sse->len; i++)
		cc_api_sse_send(g_ptr_array_index(self->sse, i), ": keep-alive\n\n");
	return G_SOURCE_CONTINUE;
}

static void
cc_api_sse_finished_cb(SoupServerMessage *msg, gpointer user_data)
{
	CcSseClient *client = user_data;
	g_ptr_array_remove(client->api->sse, client);
}

static void
cc_api_events_stream(CcApi *self, CcApiRequest *req)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) backlog = NULL;
	SoupMessageHeaders *headers = soup_server_message_get_response_headers(req->msg);
	CcSseClient *client;
	gint64 after = cc_store_event_last_id(cc_engine_get_store(self->engine));

	if (!cc_api_query_int(self, req, "after", 0, G_MAXINT64, &after))
		return;
	backlog = cc_store_event_list(cc_engine_get_store(self->engine), after, 10000, &error);
	if (backlog == NULL) {
		cc_api_problem_from_error(self, req->msg, error);
		return;
	}
	cc_api_count(self, SOUP_STATUS_OK);
	soup_server_message_set_status(req->msg, SOUP_STATUS_OK, NULL);
	soup_message_headers_set_content_type(headers, "text/event-stream", NULL);
	soup_message_headers_replace(headers, "Cache-Control", "no-cache");
	soup_message_headers_set_encoding(headers, SOUP_ENCODING_CHUNKED);
	soup_message_body_set_accumulate(soup_server_message_get_response_body(req->msg), FALSE);
	client = g_new0(CcSseClient, 1);
	client->api = self;
	client->msg = req->msg;
	g_ptr_array_add(self->sse, client);
	g_signal_connect(req->msg, "finished", G_CALLBACK(cc_api_sse_finished_cb), client);
	/* the retry hint, then everything after the client's last id, then live events */
	cc_api_sse_send(client, "retry: 1000\n\n");
	for (guint i = 0; i < backlog->len; i++) {
		g_autofree gchar *text = cc_api_sse_format(g_ptr_array_index(backlog, i));
		cc_api_sse_send(client, text);
	}
}

/* --------------------------------------------------------------- routing */

static const CcApiRoute cc_api_routes[] = {
	{"GET", "/v1/health", NULL, cc_api_health},
	{"GET", "/v1/hosts", NULL, cc_api_hosts},
	{"GET", "/v1/guests", NULL, cc_api_guests_list},
	{"POST", "/v1/guests", "guest-create", cc_api_guests_create},
	{"GET", "/v1/guests/{name}", NULL, cc_api_guest_get},
	{"DELETE", "/v1/guests/{name}", NULL, cc_api_guest_delete},
	{"POST", "/v1/guests/{name}/start", "guest-start", cc_api_guest_start},
	{"POST", "/v1/guests/{name}/stop", "guest-stop", cc_api_guest_stop},
	{"POST", "/v1/guests/{name}/migrate", "guest-migrate", cc_api_guest_migrate},
	{"GET", "/v1/guests/{name}/migration", NULL, cc_api_guest_migration},
	{"POST", "/v1/guests/{name}/migration/cancel", "migration-cancel",
	 cc_api_guest_migration_cancel},
	{"POST", "/v1/guests/{name}/protect", "guest-protect", cc_api_guest_protect},
	{"POST", "/v1/guests/{name}/failover", "guest-failover", cc_api_guest_failover},
	{"GET", "/v1/guests/{name}/failovers", NULL, cc_api_guest_failovers},
	{"POST", "/v1/guests/{name}/unprotect", "guest-unprotect", cc_api_guest_unprotect},
	{"GET", "/v1/events", NULL, cc_api_events},
	{"GET", "/v1/events/stream", NULL, cc_api_events_stream},
	{"GET", "/v1/openapi.json", NULL, cc_api_openapi},
	{"GET", "/metrics", NULL, cc_api_metrics},
};

GPtrArray *
cc_api_dup_routes(void)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < G_N_ELEMENTS(cc_api_routes); i++)
		g_ptr_array_add(out, g_strdup_printf("%s %s", cc_api_routes[i].method,
						     cc_api_routes[i].path));
	return out;
}

/* matches @path against @pattern; fills @params with the {x} segments */
static gboolean
cc_api_route_match(const gchar *pattern, const gchar *path, GPtrArray *params)
{
	g_auto(GStrv) want = g_strsplit(pattern, "/", -1);
	g_auto(GStrv) have = g_strsplit(path, "/", -1);

	if (g_strv_length(want) != g_strv_length(have))
		return FALSE;
	g_ptr_array_set_size(params, 0);
	for (guint i = 0; want[i] != NULL; i++) {
		if (want[i][0] == '{') {
			if (!g_regex_match_simple(CC_GUEST_NAME_REGEX, have[i], 0, 0))
				return FALSE;
			g_ptr_array_add(params, g_strdup(have[i]));
			continue;
		}
		if (g_strcmp0(want[i], have[i]) != 0)
			return FALSE;
	}
	return TRUE;
}

static const gchar *
cc_api_schema_code(CcJsonSchemaErrorKind kind)
{
	switch (kind) {
	case CC_JSON_SCHEMA_ERROR_WRONG_TYPE:
		return "wrong-type";
	case CC_JSON_SCHEMA_ERROR_UNKNOWN_FIELD:
		return "unknown-field";
	case CC_JSON_SCHEMA_ERROR_MISSING_FIELD:
		return "missing-field";
	default:
		return "invalid-value";
	}
}

/* parses and validates the body; replies with a problem and returns FALSE when bad */
static gboolean
cc_api_read_body(CcApi *self, const CcApiRoute *route, CcApiRequest *req)
{
	SoupMessageBody *body = soup_server_message_get_request_body(req->msg);
	g_autoptr(GBytes) bytes = soup_message_body_flatten(body);
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;
	CcJsonSchemaError verr = {0};
	CcJsonSchema *schema;
	gsize len = 0;
	const gchar *data = g_bytes_get_data(bytes, &len);

	if (len > CC_API_MAX_BODY) {
		cc_api_problem(self, req->msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
			       "body-too-large", "request bodies are limited to 1 MiB", NULL);
		return FALSE;
	}
	if (route->schema == NULL) {
		if (len == 0)
			return TRUE;
		cc_api_problem(self, req->msg, SOUP_STATUS_BAD_REQUEST, "unexpected-body",
			       "this request takes no body", NULL);
		return FALSE;
	}
	if (len == 0) {
		data = "{}";
		len = 2;
	}
	if (!json_parser_load_from_data(parser, data, (gssize)len, &error)) {
		g_autofree gchar *detail = g_strdup_printf("malformed JSON: %s", error->message);
		cc_api_problem(self, req->msg, SOUP_STATUS_BAD_REQUEST, "malformed-json", detail,
			       NULL);
		return FALSE;
	}
	schema = g_hash_table_lookup(self->schemas, route->schema);
	if (!cc_json_schema_validate(schema, json_parser_get_root(parser), &verr, &error)) {
		cc_api_problem(self, req->msg, SOUP_STATUS_BAD_REQUEST,
			       cc_api_schema_code(verr.kind), error->message, verr.path);
		cc_json_schema_error_clear(&verr);
		return FALSE;
	}
	req->body = json_node_copy(json_parser_get_root(parser));
	return TRUE;
}

static gboolean
cc_api_authorized(CcApi *self, SoupServerMessage *msg)
{
	GSocketAddress *local = soup_server_message_get_local_address(msg);
	const gchar *auth;
	g_autofree gchar *want = NULL;
	gboolean ok;

	/* the UNIX socket is protected by its file mode */
	if (local == NULL || G_IS_UNIX_SOCKET_ADDRESS(local) || self->token == NULL)
		return TRUE;
	auth = soup_message_headers_get_one(soup_server_message_get_request_headers(msg),
					    "Authorization");
	if (auth == NULL)
		return FALSE;
	want = g_strdup_printf("Bearer %s", self->token);
	/* same length first, then compare every byte */
	ok = strlen(auth) == strlen(want);
	for (gsize i = 0; ok && auth[i] != '\0'; i++)
		ok = ok && auth[i] == want[i];
	return ok;
}

static void
cc_api_handler(SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
	       gpointer user_data)
{
	CcApi *self = CC_API(user_data);
	const gchar *method = soup_server_message_get_method(msg);
	g_autoptr(GPtrArray) params = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GString) allow = g_string_new(NULL);
	CcApiRequest req = {.msg = msg, .query = query};

	if (!cc_api_authorized(self, msg)) {
		soup_message_headers_replace(soup_server_message_get_response_headers(msg),
					     "WWW-Authenticate", "Bearer realm=\"coloctl\"");
		cc_api_problem(self, msg, SOUP_STATUS_UNAUTHORIZED, "unauthorized",
			       "a valid bearer token is required", NULL);
		return;
	}
	for (guint i = 0; i < G_N_ELEMENTS(cc_api_routes); i++) {
		const CcApiRoute *route = &cc_api_routes[i];
		if (!cc_api_route_match(route->path, path, params))
			continue;
		if (g_strcmp0(route->method, method) != 0) {
			g_string_append_printf(allow, "%s%s", allow->len > 0 ? ", " : "",
					       route->method);
			continue;
		}
		g_ptr_array_add(params, NULL);
		req.params = (gchar **)params->pdata;
		if (cc_api_read_body(self, route, &req))
			route->handler(self, &req);
		g_clear_pointer(&req.body, json_node_unref);
		return;
	}
	if (allow->len > 0) {
		soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Allow",
					     allow->str);
		cc_api_problem(self, msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "method-not-allowed",
			       "this resource does not take that method", NULL);
		return;
	}
	cc_api_problem(self, msg, SOUP_STATUS_NOT_FOUND, "no-route", "no such resource", NULL);
}

/* refuse an oversized body from its headers, before reading it */
static void
cc_api_got_headers_cb(SoupServerMessage *msg, gpointer user_data)
{
	CcApi *self = CC_API(user_data);
	goffset len = soup_message_headers_get_content_length(
		soup_server_message_get_request_headers(msg));
	if (len > CC_API_MAX_BODY)
		cc_api_problem(self, msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "body-too-large",
			       "request bodies are limited to 1 MiB", NULL);
}

static void
cc_api_request_started_cb(SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
	g_signal_connect(msg, "got-headers", G_CALLBACK(cc_api_got_headers_cb), user_data);
}

/* ------------------------------------------------------------- listeners */

static gboolean
cc_api_unix_in_use(const gchar *path)
{
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(path);
	g_autoptr(GSocketConnection) conn =
		g_socket_client_connect(client, G_SOCKET_CONNECTABLE(addr), NULL, NULL);
	return conn != NULL;
}

gboolean
cc_api_listen_unix(CcApi *self, const gchar *path, GError **error)
{
	g_autoptr(GSocket) sock = NULL;
	g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(path);
	g_autoptr(GError) error_local = NULL;

	if (g_file_test(path, G_FILE_TEST_EXISTS)) {
		/* a local connect on a UNIX socket answers at once: this never waits */
		if (cc_api_unix_in_use(path)) {
			g_set_error(error, COLO_ERROR, COLO_ERROR_CONFLICT,
				    "%s is in use: another coloctld is running", path);
			return FALSE;
		}
		g_unlink(path);
	}
	sock = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT,
			    &error_local);
	if (sock == NULL || !g_socket_bind(sock, addr, FALSE, &error_local) ||
	    !g_socket_listen(sock, &error_local)) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_INTERNAL, "cannot listen on %s: %s", path,
			    error_local->message);
		return FALSE;
	}
	if (chmod(path, 0660) != 0) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_INTERNAL, "chmod %s: %s", path,
			    g_strerror(errno));
		return FALSE;
	}
	if (!soup_server_listen_socket(self->server, sock, 0, error))
		return FALSE;
	g_free(self->unix_path);
	self->unix_path = g_strdup(path);
	return TRUE;
}

static gchar *
cc_api_read_token(const gchar *path, GError **error)
{
	g_autofree gchar *text = NULL;
	g_autoptr(GError) error_local = NULL;

	if (!g_file_get_contents(path, &text, NULL, &error_local)) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_INVALID_INPUT, "token file: %s",
			    error_local->message);
		return NULL;
	}
	g_strstrip(text);
	if (strlen(text) < 16) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_INVALID_INPUT,
			    "token file %s: the token must be at least 16 characters", path);
		return NULL;
	}
	return g_steal_pointer(&text);
}

gboolean
cc_api_listen_tcp(CcApi *self, const gchar *address, const gchar *token_file,
		  const gchar *tls_certificate, const gchar *tls_key, GError **error)
{
	g_autoptr(GSocketConnectable) conn = g_network_address_parse(address, 0, error);
	g_autoptr(GInetAddress) inet = NULL;
	g_autoptr(GSocketAddress) addr = NULL;
	SoupServerListenOptions opts = 0;
	GSList *listeners;

	if (conn == NULL)
		return FALSE;
	self->token = cc_api_read_token(token_file, error);
	if (self->token == NULL)
		return FALSE;
	if (tls_certificate != NULL) {
		g_autoptr(GTlsCertificate) cert =
			g_tls_certificate_new_from_files(tls_certificate, tls_key, error);
		if (cert == NULL)
			return FALSE;
		g_object_set(self->server, "tls-certificate", cert, NULL);
		opts |= SOUP_SERVER_LISTEN_HTTPS;
	}
	inet = g_inet_address_new_from_string(
		g_network_address_get_hostname(G_NETWORK_ADDRESS(conn)));
	if (inet == NULL) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_INVALID_INPUT,
			    "api tcp: %s is not an IP address", address);
		return FALSE;
	}
	addr = g_inet_socket_address_new(inet, g_network_address_get_port(G_NETWORK_ADDRESS(conn)));
	if (!soup_server_listen(self->server, addr, opts, error))
		return FALSE;
	/* soup_server_get_uris() trips over the UNIX listener: ask the sockets */
	listeners = soup_server_get_listeners(self->server);
	for (GSList *l = listeners; l != NULL; l = l->next) {
		g_autoptr(GSocketAddress) local = g_socket_get_local_address(l->data, NULL);
		if (local != NULL && G_IS_INET_SOCKET_ADDRESS(local))
			self->tcp_port =
				g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(local));
	}
	g_slist_free(listeners);
	return TRUE;
}

guint
cc_api_get_tcp_port(CcApi *self)
{
	return self->tcp_port;
}

/* ------------------------------------------------------------------ setup */

static gboolean
cc_api_load_schemas(CcApi *self, GError **error)
{
	g_auto(GStrv) names = g_resources_enumerate_children(CC_API_RESOURCE "api",
							     G_RESOURCE_LOOKUP_FLAGS_NONE, error);
	if (names == NULL)
		return FALSE;
	for (guint i = 0; names[i] != NULL; i++) {
		g_autofree gchar *rpath = g_strdup_printf(CC_API_RESOURCE "api/%s", names[i]);
		g_autoptr(GBytes) bytes = g_resources_lookup_data(rpath, 0, error);
		g_autoptr(JsonParser) parser = json_parser_new();
		CcJsonSchema *schema;
		gsize len = 0;
		const gchar *data;

		if (bytes == NULL || !g_str_has_suffix(names[i], ".schema.json"))
			continue;
		data = g_bytes_get_data(bytes, &len);
		if (!json_parser_load_from_data(parser, data, (gssize)len, error)) {
			g_prefix_error(error, "%s: ", rpath);
			return FALSE;
		}
		schema = cc_json_schema_new(json_parser_get_root(parser), error);
		if (schema == NULL) {
			g_prefix_error(error, "%s: ", rpath);
			return FALSE;
		}
		g_hash_table_insert(self->schemas,
				    g_strndup(names[i], strlen(names[i]) - strlen(".schema.json")),
				    schema);
	}
	for (guint i = 0; i < G_N_ELEMENTS(cc_api_routes); i++) {
		const gchar *want = cc_api_routes[i].schema;
		if (want != NULL && !g_hash_table_contains(self->schemas, want)) {
			g_set_error(error, COLO_ERROR, COLO_ERROR_INTERNAL,
				    "no request schema %s.schema.json", want);
			return FALSE;
		}
	}
	return TRUE;
}

CcApi *
cc_api_new(CcEngine *engine, GError **error)
{
	g_autoptr(CcApi) self = g_object_new(CC_TYPE_API, NULL);

	self->engine = g_object_ref(engine);
	if (!cc_api_load_schemas(self, error))
		return NULL;
	self->server = soup_server_new("server-header", "coloctld/" PACKAGE_VERSION, NULL);
	soup_server_add_handler(self->server, NULL, cc_api_handler, self, NULL);
	g_signal_connect(self->server, "request-started", G_CALLBACK(cc_api_request_started_cb),
			 self);
	self->event_handler =
		g_signal_connect(engine, "event", G_CALLBACK(cc_api_engine_event_cb), self);
	self->sse_keepalive =
		g_timeout_add_seconds(CC_SSE_KEEPALIVE_S, cc_api_sse_keepalive_cb, self);
	return g_steal_pointer(&self);
}

static void
cc_api_init(CcApi *self)
{
	self->schemas = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					      (GDestroyNotify)cc_json_schema_free);
	self->sse = g_ptr_array_new_with_free_func(g_free);
	self->requests_by_code = g_hash_table_new(g_direct_hash, g_direct_equal);
}

static void
cc_api_dispose(GObject *object)
{
	CcApi *self = CC_API(object);
	if (self->sse_keepalive != 0) {
		g_source_remove(self->sse_keepalive);
		self->sse_keepalive = 0;
	}
	if (self->event_handler != 0) {
		g_signal_handler_disconnect(self->engine, self->event_handler);
		self->event_handler = 0;
	}
	if (self->server != NULL)
		soup_server_disconnect(self->server);
	g_clear_object(&self->server);
	if (self->unix_path != NULL)
		g_unlink(self->unix_path);
	G_OBJECT_CLASS(cc_api_parent_class)->dispose(object);
}

static void
cc_api_finalize(GObject *object)
{
	CcApi *self = CC_API(object);
	g_hash_table_unref(self->schemas);
	g_ptr_array_unref(self->sse);
	g_hash_table_unref(self->requests_by_code);
	g_free(self->token);
	g_free(self->unix_path);
	g_clear_object(&self->engine);
	G_OBJECT_CLASS(cc_api_parent_class)->finalize(object);
}

static void
cc_api_class_init(CcApiClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->dispose = cc_api_dispose;
	object_class->finalize = cc_api_finalize;
}
