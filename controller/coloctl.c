/*
 * coloctl: the command line of coloctld. It talks only to the REST API, over
 * the daemon's UNIX socket or over TCP with a bearer token.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <gio/gunixsocketaddress.h>
#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <unistd.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#define COLOCTL_DEFAULT_TIMEOUT_S 30
#define COLOCTL_SOCKET_NAME       "coloctld.sock"
#define COLOCTL_UNIX_BASE         "http://localhost"
#define COLOCTL_MAX_EVENT_SIZE    (16 * 1024 * 1024)
#define COLOCTL_NET_PATTERN       "^(none|bridge:[A-Za-z0-9_.-]{1,15})$"

/* the exit status of coloctl; also the codes of COLOCTL_ERROR */
typedef enum {
	COLOCTL_EXIT_OK = 0,
	COLOCTL_EXIT_INTERNAL = 1,
	COLOCTL_EXIT_USAGE = 2,
	COLOCTL_EXIT_NOT_FOUND = 3,
	COLOCTL_EXIT_CONFLICT = 4,
	COLOCTL_EXIT_UNREACHABLE = 5,
	COLOCTL_EXIT_INVALID = 6,
	COLOCTL_EXIT_UNAUTHORIZED = 7,
} ColoctlExit;

#define COLOCTL_ERROR coloctl_error_quark()
static GQuark coloctl_error_quark(void);
G_DEFINE_QUARK(coloctl - error - quark, coloctl_error)

static const gchar *coloctl_exit_help =
	"Exit status:\n"
	"  0  success\n"
	"  1  internal or unexpected error (HTTP 5xx, a malformed reply)\n"
	"  2  usage error (bad command line)\n"
	"  3  not found (HTTP 404)\n"
	"  4  conflict with the current state (HTTP 409)\n"
	"  5  daemon unreachable (cannot connect, timeout, connection closed)\n"
	"  6  invalid request (HTTP 400, 413, 422)\n"
	"  7  unauthorized (HTTP 401, 403)\n"
	"\n"
	"Environment:\n"
	"  COLOCTL_RUNTIME_DIR  where the daemon's socket " COLOCTL_SOCKET_NAME
	" is (default " COLO_RUNTIMEDIR ")\n";

typedef struct {
	gboolean json;
	gchar *url;
	gchar *token_file;
	gint timeout;
	gchar *token;
	gchar *socket_path;
	gchar *base; /* what paths are appended to, without a trailing slash */
	gboolean print_version;
	SoupSession *session;
} Coloctl;

static void
coloctl_free(Coloctl *self)
{
	g_free(self->url);
	g_free(self->token_file);
	g_free(self->token);
	g_free(self->socket_path);
	g_free(self->base);
	g_clear_object(&self->session);
	g_free(self);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Coloctl, coloctl_free)

/* a successful reply */
typedef struct {
	GBytes *body;
	JsonNode *json; /* NULL for an empty body */
} ColoctlReply;

static void
coloctl_reply_free(ColoctlReply *reply)
{
	g_clear_pointer(&reply->body, g_bytes_unref);
	g_clear_pointer(&reply->json, json_node_unref);
	g_free(reply);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ColoctlReply, coloctl_reply_free)

/* exit codes */

static ColoctlExit
coloctl_exit_from_status(guint status)
{
	if (SOUP_STATUS_IS_SUCCESSFUL(status))
		return COLOCTL_EXIT_OK;
	switch (status) {
	case SOUP_STATUS_BAD_REQUEST:
	case SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE:
	case SOUP_STATUS_UNPROCESSABLE_ENTITY:
		return COLOCTL_EXIT_INVALID;
	case SOUP_STATUS_UNAUTHORIZED:
	case SOUP_STATUS_FORBIDDEN:
		return COLOCTL_EXIT_UNAUTHORIZED;
	case SOUP_STATUS_NOT_FOUND:
		return COLOCTL_EXIT_NOT_FOUND;
	case SOUP_STATUS_CONFLICT:
		return COLOCTL_EXIT_CONFLICT;
	default:
		return COLOCTL_EXIT_INTERNAL;
	}
}

static ColoctlExit
coloctl_exit_from_error(const GError *error)
{
	if (error->domain == COLOCTL_ERROR)
		return (ColoctlExit)error->code;
	if (error->domain == G_OPTION_ERROR)
		return COLOCTL_EXIT_USAGE;
	return COLOCTL_EXIT_INTERNAL;
}

/* text from the daemon, made safe for a terminal: valid UTF-8, no control characters */
static gchar *
coloctl_sanitize(const gchar *text)
{
	g_autofree gchar *valid = g_utf8_make_valid(text, -1);
	GString *str = g_string_sized_new(strlen(valid));

	for (const gchar *p = valid; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		if (g_unichar_iscntrl(c))
			g_string_append_c(str, '?');
		else
			g_string_append_unichar(str, c);
	}
	return g_string_free(str, FALSE);
}

/* tables: columns two spaces apart, widths from the data, the last column not padded */

typedef struct {
	guint ncols;
	GPtrArray *cells; /* of gchar *, row after row */
} ColoctlTable;

static ColoctlTable *
coloctl_table_new(guint ncols)
{
	ColoctlTable *table = g_new0(ColoctlTable, 1);
	table->ncols = ncols;
	table->cells = g_ptr_array_new_with_free_func(g_free);
	return table;
}

static void
coloctl_table_free(ColoctlTable *table)
{
	g_ptr_array_unref(table->cells);
	g_free(table);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ColoctlTable, coloctl_table_free)

static void
coloctl_table_add(ColoctlTable *table, const gchar *cell)
{
	g_ptr_array_add(table->cells, coloctl_sanitize(cell != NULL ? cell : "-"));
}

static void
coloctl_table_take(ColoctlTable *table, gchar *cell)
{
	g_autofree gchar *owned = cell;
	coloctl_table_add(table, owned);
}

static void
coloctl_table_add_header(ColoctlTable *table, const gchar *const *names)
{
	for (guint i = 0; names[i] != NULL; i++)
		coloctl_table_add(table, names[i]);
}

/* renders with columns at least @widths (@table->ncols of them) wide; widens @widths to fit */
static gchar *
coloctl_table_render_with(ColoctlTable *table, guint indent, glong *widths)
{
	GString *str = g_string_new(NULL);

	for (guint i = 0; i < table->cells->len; i++) {
		glong len = g_utf8_strlen(g_ptr_array_index(table->cells, i), -1);
		widths[i % table->ncols] = MAX(widths[i % table->ncols], len);
	}
	for (guint i = 0; i < table->cells->len; i++) {
		const gchar *cell = g_ptr_array_index(table->cells, i);
		guint col = i % table->ncols;
		if (col == 0)
			g_string_append_printf(str, "%*s", (gint)indent, "");
		g_string_append(str, cell);
		if (col + 1 == table->ncols || i + 1 == table->cells->len) {
			g_string_append_c(str, '\n');
			continue;
		}
		for (glong pad = g_utf8_strlen(cell, -1); pad < widths[col] + 2; pad++)
			g_string_append_c(str, ' ');
	}
	return g_string_free(str, FALSE);
}

static gchar *
coloctl_table_render(ColoctlTable *table, guint indent)
{
	g_autofree glong *widths = g_new0(glong, table->ncols);
	return coloctl_table_render_with(table, indent, widths);
}

/* prints a line built from the daemon's data */
static void
coloctl_print_line(const gchar *line)
{
	g_autofree gchar *safe = coloctl_sanitize(line);
	g_print("%s\n", safe);
}

static void
coloctl_table_print(ColoctlTable *table, guint indent)
{
	g_autofree gchar *text = coloctl_table_render(table, indent);
	g_print("%s", text);
}

/* JSON helpers */

/* a member for display: "-" when missing or null, compact JSON for objects and arrays */
static gchar *
coloctl_json_display(JsonObject *obj, const gchar *key)
{
	JsonNode *node = obj != NULL ? json_object_get_member(obj, key) : NULL;
	gchar buf[G_ASCII_DTOSTR_BUF_SIZE];

	if (node == NULL || JSON_NODE_HOLDS_NULL(node))
		return g_strdup("-");
	if (!JSON_NODE_HOLDS_VALUE(node))
		return json_to_string(node, FALSE);
	switch (json_node_get_value_type(node)) {
	case G_TYPE_STRING:
		return g_strdup(json_node_get_string(node));
	case G_TYPE_INT64:
		return g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(node));
	case G_TYPE_BOOLEAN:
		return g_strdup(json_node_get_boolean(node) ? "yes" : "no");
	default:
		return g_strdup(
			g_ascii_formatd(buf, sizeof(buf), "%g", json_node_get_double(node)));
	}
}

/* a string member, or NULL when missing, null or not a string */
static const gchar *
coloctl_json_string(JsonObject *obj, const gchar *key)
{
	JsonNode *node = obj != NULL ? json_object_get_member(obj, key) : NULL;
	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
	    json_node_get_value_type(node) != G_TYPE_STRING)
		return NULL;
	return json_node_get_string(node);
}

/* an object member, or NULL when missing, null or not an object */
static JsonObject *
coloctl_json_object(JsonObject *obj, const gchar *key)
{
	JsonNode *node = obj != NULL ? json_object_get_member(obj, key) : NULL;
	if (node == NULL || !JSON_NODE_HOLDS_OBJECT(node))
		return NULL;
	return json_node_get_object(node);
}

/* a number member (integer or not) in *@out; FALSE when missing, null or not a number */
static gboolean
coloctl_json_number(JsonObject *obj, const gchar *key, gdouble *out)
{
	JsonNode *node = obj != NULL ? json_object_get_member(obj, key) : NULL;
	GType type;

	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node))
		return FALSE;
	type = json_node_get_value_type(node);
	if (type != G_TYPE_INT64 && type != G_TYPE_DOUBLE)
		return FALSE;
	*out = json_node_get_double(node);
	return TRUE;
}

/* a number of milliseconds for display: "-" when missing */
static gchar *
coloctl_json_ms(JsonObject *obj, const gchar *key)
{
	gdouble ms = 0;
	if (!coloctl_json_number(obj, key, &ms))
		return g_strdup("-");
	return g_strdup_printf("%.1f", ms);
}

static gboolean
coloctl_bad_reply(GError **error, const gchar *what)
{
	g_set_error(error, COLOCTL_ERROR, COLOCTL_EXIT_INTERNAL,
		    "unexpected reply from the daemon: %s", what);
	return FALSE;
}

static JsonObject *
coloctl_reply_object(ColoctlReply *reply, GError **error)
{
	if (reply->json == NULL || !JSON_NODE_HOLDS_OBJECT(reply->json)) {
		coloctl_bad_reply(error, "not a JSON object");
		return NULL;
	}
	return json_node_get_object(reply->json);
}

/* the array member @key of the reply's object */
static JsonArray *
coloctl_reply_array(ColoctlReply *reply, const gchar *key, GError **error)
{
	JsonObject *obj = coloctl_reply_object(reply, error);
	JsonNode *node;

	if (obj == NULL)
		return NULL;
	node = json_object_get_member(obj, key);
	if (node == NULL || !JSON_NODE_HOLDS_ARRAY(node)) {
		g_autofree gchar *what = g_strdup_printf("no \"%s\" array", key);
		coloctl_bad_reply(error, what);
		return NULL;
	}
	return json_node_get_array(node);
}

/* element @i of @array if it is an object, else NULL (its cells then show "-") */
static JsonObject *
coloctl_array_object(JsonArray *array, guint i)
{
	JsonNode *node = json_array_get_element(array, i);
	return JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
}

/* transport */

static const gchar *
coloctl_where(Coloctl *self)
{
	return self->url != NULL ? self->url : self->socket_path;
}

static gboolean
coloctl_transport_error(Coloctl *self, const GError *cause, GError **error)
{
	/* SoupSession errors are about a reply it could not parse, not about reaching the daemon */
	if (cause->domain == SOUP_SESSION_ERROR) {
		g_set_error(error, COLOCTL_ERROR, COLOCTL_EXIT_INTERNAL,
			    "bad reply from the daemon at %s: %s", coloctl_where(self),
			    cause->message);
		return FALSE;
	}
	if (g_error_matches(cause, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)) {
		g_set_error(error, COLOCTL_ERROR, COLOCTL_EXIT_UNREACHABLE,
			    "no reply from the daemon at %s within %d s", coloctl_where(self),
			    self->timeout);
		return FALSE;
	}
	g_set_error(error, COLOCTL_ERROR, COLOCTL_EXIT_UNREACHABLE,
		    "cannot reach the daemon at %s: %s", coloctl_where(self), cause->message);
	return FALSE;
}

/* whether @detail already starts with "<path>: ", as the daemon's validation messages do */
static gboolean
coloctl_detail_names_path(const gchar *detail, const gchar *path)
{
	gsize len = strlen(path);
	return strncmp(detail, path, len) == 0 && detail[len] == ':';
}

/* application/problem+json: "<detail> (at <path>)", the code from the status */
static gboolean
coloctl_problem_error(SoupMessage *msg, GBytes *body, GError **error)
{
	guint status = soup_message_get_status(msg);
	ColoctlExit code = coloctl_exit_from_status(status);
	g_autoptr(JsonParser) parser = json_parser_new();
	JsonObject *obj = NULL;
	const gchar *detail = NULL;
	const gchar *path = NULL;
	gsize size = 0;
	const gchar *data = body != NULL ? g_bytes_get_data(body, &size) : NULL;

	if (code == COLOCTL_EXIT_OK)
		code = COLOCTL_EXIT_INTERNAL;
	if (size > 0 && json_parser_load_from_data(parser, data, (gssize)size, NULL) &&
	    JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)))
		obj = json_node_get_object(json_parser_get_root(parser));
	detail = coloctl_json_string(obj, "detail");
	if (detail == NULL)
		detail = coloctl_json_string(obj, "title");
	path = coloctl_json_string(obj, "path");
	if (detail == NULL) {
		g_set_error(error, COLOCTL_ERROR, code, "the daemon answered HTTP %u %s", status,
			    soup_message_get_reason_phrase(msg));
	} else if (path != NULL && !coloctl_detail_names_path(detail, path)) {
		g_set_error(error, COLOCTL_ERROR, code, "%s (at %s)", detail, path);
	} else {
		g_set_error_literal(error, COLOCTL_ERROR, code, detail);
	}
	return FALSE;
}

static SoupMessage *
coloctl_message_new(Coloctl *self, const gchar *method, const gchar *path, JsonNode *body,
		    GError **error)
{
	g_autofree gchar *text = g_strconcat(self->base, path, NULL);
	g_autoptr(GUri) uri = g_uri_parse(text, SOUP_HTTP_URI_FLAGS, error);
	g_autoptr(SoupMessage) msg = NULL;
	SoupMessageHeaders *headers;

	if (uri == NULL)
		return NULL;
	msg = soup_message_new_from_uri(method, uri);
	headers = soup_message_get_request_headers(msg);
	soup_message_headers_replace(headers, "Accept",
				     "application/json, application/problem+json");
	if (self->token != NULL) {
		g_autofree gchar *auth = g_strdup_printf("Bearer %s", self->token);
		soup_message_headers_replace(headers, "Authorization", auth);
	}
	if (body != NULL) {
		gchar *json = json_to_string(body, FALSE);
		gsize len = strlen(json);
		g_autoptr(GBytes) bytes = g_bytes_new_take(json, len);
		soup_message_set_request_body_from_bytes(msg, "application/json", bytes);
	}
	return g_steal_pointer(&msg);
}

/* sends a request; a reply other than 2xx is an error */
static ColoctlReply *
coloctl_request(Coloctl *self, const gchar *method, const gchar *path, JsonNode *body,
		GError **error)
{
	g_autoptr(SoupMessage) msg = coloctl_message_new(self, method, path, body, error);
	g_autoptr(ColoctlReply) reply = g_new0(ColoctlReply, 1);
	g_autoptr(GError) error_local = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	gsize size = 0;
	const gchar *data;

	if (msg == NULL)
		return NULL;
	reply->body = soup_session_send_and_read(self->session, msg, NULL, &error_local);
	if (reply->body == NULL) {
		coloctl_transport_error(self, error_local, error);
		return NULL;
	}
	if (!SOUP_STATUS_IS_SUCCESSFUL(soup_message_get_status(msg))) {
		coloctl_problem_error(msg, reply->body, error);
		return NULL;
	}
	data = g_bytes_get_data(reply->body, &size);
	if (size == 0)
		return g_steal_pointer(&reply);
	if (!json_parser_load_from_data(parser, data, (gssize)size, &error_local)) {
		coloctl_bad_reply(error, error_local->message);
		return NULL;
	}
	reply->json = json_node_copy(json_parser_get_root(parser));
	return g_steal_pointer(&reply);
}

/* --json: the body exactly as the daemon sent it */
static void
coloctl_print_raw(ColoctlReply *reply)
{
	gsize size = 0;
	const gchar *data = g_bytes_get_data(reply->body, &size);

	if (size == 0)
		return;
	fwrite(data, 1, size, stdout);
	if (data[size - 1] != '\n')
		fputc('\n', stdout);
}

/* "/v1/guests/NAME" + @suffix, NAME escaped */
static gchar *
coloctl_guest_path(const gchar *name, const gchar *suffix)
{
	g_autofree gchar *escaped = g_uri_escape_string(name, NULL, FALSE);
	return g_strdup_printf("/v1/guests/%s%s", escaped, suffix != NULL ? suffix : "");
}

/* command-line checks: all fail with COLOCTL_EXIT_USAGE */

static gboolean coloctl_usage_error(GError **error, const gchar *fmt, ...) G_GNUC_PRINTF(2, 3);

static gboolean
coloctl_usage_error(GError **error, const gchar *fmt, ...)
{
	va_list args;
	g_autofree gchar *msg = NULL;

	va_start(args, fmt);
	msg = g_strdup_vprintf(fmt, args);
	va_end(args);
	g_set_error_literal(error, COLOCTL_ERROR, COLOCTL_EXIT_USAGE, msg);
	return FALSE;
}

static gboolean
coloctl_check_name(const gchar *name, GError **error)
{
	if (!g_utf8_validate(name, -1, NULL))
		return coloctl_usage_error(error, "invalid guest name: not UTF-8");
	if (name[0] == '\0' || g_strcmp0(name, ".") == 0 || g_strcmp0(name, "..") == 0 ||
	    strchr(name, '/') != NULL)
		return coloctl_usage_error(error, "invalid guest name '%s'", name);
	return TRUE;
}

static gboolean
coloctl_parse_number(const gchar *option, const gchar *value, gint64 min, gint64 *out,
		     GError **error)
{
	if (value == NULL)
		return TRUE;
	if (!g_ascii_string_to_signed(value, 10, min, G_MAXINT64, out, NULL)) {
		return coloctl_usage_error(error, "invalid %s '%s': must be %s integer", option,
					   value, min > 0 ? "a positive" : "a non-negative");
	}
	return TRUE;
}

static gboolean
coloctl_check_path(const gchar *option, const gchar *value, GError **error)
{
	if (value != NULL && !g_utf8_validate(value, -1, NULL))
		return coloctl_usage_error(error, "invalid %s: not UTF-8", option);
	if (value != NULL && !g_path_is_absolute(value)) {
		return coloctl_usage_error(error,
					   "invalid %s '%s': must be an absolute path (the daemon "
					   "opens it on its host)",
					   option, value);
	}
	return TRUE;
}

/* parses the options of a command; checks it got @min to @max positional arguments */
typedef struct _ColoctlCommand ColoctlCommand;

typedef gboolean (*ColoctlCommandFunc)(Coloctl *self, const ColoctlCommand *cmd, gint argc,
				       gchar **argv, GError **error);

struct _ColoctlCommand {
	const gchar *name;
	const gchar *args;
	const gchar *summary;
	ColoctlCommandFunc func;
};

static gboolean
coloctl_parse_command(const ColoctlCommand *cmd, const GOptionEntry *entries, gint *argc,
		      gchar ***argv, gint min, gint max, GError **error)
{
	g_autofree gchar *param = g_strdup_printf("%s %s", cmd->name, cmd->args);
	g_autoptr(GOptionContext) ctx = g_option_context_new(param);
	g_autoptr(GError) error_local = NULL;
	gint nargs;

	g_option_context_set_summary(ctx, cmd->summary);
	if (entries != NULL)
		g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, argc, argv, &error_local)) {
		return coloctl_usage_error(error, "%s: %s (see coloctl %s --help)", cmd->name,
					   error_local->message, cmd->name);
	}
	nargs = *argc - 1;
	if (nargs < min)
		return coloctl_usage_error(error, "usage: coloctl %s", param);
	if (nargs > max)
		return coloctl_usage_error(error, "%s: unexpected argument '%s'", cmd->name,
					   (*argv)[max + 1]);
	return TRUE;
}

/* list, show */

static gchar *
coloctl_members_summary(JsonObject *guest)
{
	JsonNode *node = json_object_get_member(guest, "members");
	g_autoptr(GString) str = g_string_new(NULL);
	JsonArray *members;

	if (node == NULL || !JSON_NODE_HOLDS_ARRAY(node))
		return g_strdup("-");
	members = json_node_get_array(node);
	for (guint i = 0; i < json_array_get_length(members); i++) {
		JsonObject *member = coloctl_array_object(members, i);
		g_autofree gchar *role = coloctl_json_display(member, "role");
		g_autofree gchar *state = coloctl_json_display(member, "state");
		g_string_append_printf(str, "%s%s:%s", i > 0 ? "," : "", role, state);
	}
	return g_strdup(str->len > 0 ? str->str : "-");
}

static gchar *
coloctl_memory_display(JsonObject *guest)
{
	g_autofree gchar *mib = coloctl_json_display(guest, "memory_mib");
	if (g_strcmp0(mib, "-") == 0)
		return g_steal_pointer(&mib);
	return g_strdup_printf("%s MiB", mib);
}

/* GETs @path and the array @key of its reply; with --json the reply is printed as it came
 * and *@array stays NULL. The array lives as long as *@reply. */
static gboolean
coloctl_get_array(Coloctl *self, const gchar *path, const gchar *key, ColoctlReply **reply,
		  JsonArray **array, GError **error)
{
	*array = NULL;
	*reply = coloctl_request(self, "GET", path, NULL, error);
	if (*reply == NULL)
		return FALSE;
	if (coloctl_reply_array(*reply, key, error) == NULL)
		return FALSE;
	if (self->json) {
		coloctl_print_raw(*reply);
		return TRUE;
	}
	*array = coloctl_reply_array(*reply, key, error);
	return TRUE;
}

static gboolean
coloctl_cmd_list(Coloctl *self, const ColoctlCommand *cmd, gint argc, gchar **argv, GError **error)
{
	const gchar *const header[] = {"NAME", "STATE", "HOST", "MEMORY", "VCPUS", "MEMBERS", NULL};
	g_autoptr(ColoctlReply) reply = NULL;
	g_autoptr(ColoctlTable) table = coloctl_table_new(G_N_ELEMENTS(header) - 1);
	JsonArray *guests;

	if (!coloctl_parse_command(cmd, NULL, &argc, &argv, 0, 0, error))
		return FALSE;
	if (!coloctl_get_array(self, "/v1/guests", "guests", &reply, &guests, error))
		return FALSE;
	if (guests == NULL)
		return TRUE;
	coloctl_table_add_header(table, header);
	for (guint i = 0; i < json_array_get_length(guests); i++) {
		JsonObject *guest = coloctl_array_object(guests, i);
		coloctl_table_take(table, coloctl_json_display(guest, "name"));
		coloctl_table_take(table, coloctl_json_display(guest, "state"));
		coloctl_table_take(table, coloctl_json_display(guest, "host"));
		coloctl_table_take(table, coloctl_memory_display(guest));
		coloctl_table_take(table, coloctl_json_display(guest, "vcpus"));
		coloctl_table_take(table, guest != NULL ? coloctl_members_summary(guest) : NULL);
	}
	coloctl_table_print(table, 0);
	return TRUE;
}

static void
coloctl_print_members(JsonObject *guest)
{
	const gchar *const header[] = {"ROLE", "HOST", "PID", "STATE", "GENERATION", "QMP", NULL};
	const gchar *const keys[] = {"role", "host", "pid", "state", "generation", "qmp", NULL};
	g_autoptr(ColoctlTable) table = coloctl_table_new(G_N_ELEMENTS(header) - 1);
	JsonNode *node = json_object_get_member(guest, "members");
	JsonArray *members = NULL;

	if (node != NULL && JSON_NODE_HOLDS_ARRAY(node))
		members = json_node_get_array(node);
	if (members == NULL || json_array_get_length(members) == 0) {
		g_print("Members:  -\n");
		return;
	}
	g_print("Members:\n");
	coloctl_table_add_header(table, header);
	for (guint i = 0; i < json_array_get_length(members); i++) {
		JsonObject *member = coloctl_array_object(members, i);
		for (guint j = 0; keys[j] != NULL; j++)
			coloctl_table_take(table, coloctl_json_display(member, keys[j]));
	}
	coloctl_table_print(table, 2);
}

static void coloctl_print_protection(JsonObject *guest);

static void
coloctl_print_guest(JsonObject *guest)
{
	const gchar *const labels[] = {"Name",  "State",   "Reason",  "Host",   "Memory",
				       "VCPUs", "Disk",    "Kernel",  "Initrd", "Append",
				       "Net",   "Created", "Updated", NULL};
	const gchar *const keys[] = {"name",  "state",   "reason",  "host",   "memory_mib",
				     "vcpus", "disk",    "kernel",  "initrd", "append",
				     "net",   "created", "updated", NULL};
	g_autoptr(ColoctlTable) table = coloctl_table_new(2);

	for (guint i = 0; labels[i] != NULL; i++) {
		coloctl_table_take(table, g_strdup_printf("%s:", labels[i]));
		if (g_strcmp0(keys[i], "memory_mib") == 0)
			coloctl_table_take(table, coloctl_memory_display(guest));
		else
			coloctl_table_take(table, coloctl_json_display(guest, keys[i]));
		/* where a failover left the guest running, when not on its own disk */
		if (g_strcmp0(keys[i], "disk") == 0 &&
		    coloctl_json_string(guest, "run_disk") != NULL) {
			coloctl_table_add(table, "Run disk:");
			coloctl_table_add(table, coloctl_json_string(guest, "run_disk"));
		}
	}
	coloctl_table_print(table, 0);
	coloctl_print_members(guest);
	coloctl_print_protection(guest);
}

static gboolean
coloctl_cmd_show(Coloctl *self, const ColoctlCommand *cmd, gint argc, gchar **argv, GError **error)
{
	g_autoptr(ColoctlReply) reply = NULL;
	g_autofree gchar *path = NULL;
	JsonObject *guest;

	if (!coloctl_parse_command(cmd, NULL, &argc, &argv, 1, 1, error))
		return FALSE;
	if (!coloctl_check_name(argv[1], error))
		return FALSE;
	path = coloctl_guest_path(argv[1], NULL);
	reply = coloctl_request(self, "GET", path, NULL, error);
	if (reply == NULL)
		return FALSE;
	guest = coloctl_reply_object(reply, error);
	if (guest == NULL)
		return FALSE;
	if (self->json)
		coloctl_print_raw(reply);
	else
		coloctl_print_guest(guest);
	return TRUE;
}

/* create, start, stop, delete */

typedef struct {
	gchar *memory;
	gchar *vcpus;
	gchar *disk;
	gchar *kernel;
	gchar *initrd;
	gchar *append;
	gchar *net;
	gchar *host;
	gboolean protect;
	gchar *secondary_host;
	gchar *checkpoint_ms;
} ColoctlCreateArgs;

static void
coloctl_create_args_clear(ColoctlCreateArgs *args)
{
	g_free(args->memory);
	g_free(args->vcpus);
	g_free(args->disk);
	g_free(args->kernel);
	g_free(args->initrd);
	g_free(args->append);
	g_free(args->net);
	g_free(args->host);
	g_free(args->secondary_host);
	g_free(args->checkpoint_ms);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(ColoctlCreateArgs, coloctl_create_args_clear)

static gboolean
coloctl_check_host(const gchar *option, const gchar *value, GError **error)
{
	if (value != NULL && value[0] == '\0')
		return coloctl_usage_error(error, "invalid %s: must not be empty", option);
	return TRUE;
}

static gboolean
coloctl_create_check(ColoctlCreateArgs *args, gint64 *memory, gint64 *vcpus, gint64 *checkpoint,
		     GError **error)
{
	if (args->memory == NULL || args->disk == NULL)
		return coloctl_usage_error(error, "create: --memory and --disk are required");
	if (!coloctl_parse_number("--memory", args->memory, 1, memory, error) ||
	    !coloctl_parse_number("--vcpus", args->vcpus, 1, vcpus, error))
		return FALSE;
	if (!coloctl_check_path("--disk", args->disk, error) ||
	    !coloctl_check_path("--kernel", args->kernel, error) ||
	    !coloctl_check_path("--initrd", args->initrd, error))
		return FALSE;
	if (args->kernel == NULL && (args->initrd != NULL || args->append != NULL))
		return coloctl_usage_error(error, "create: --initrd and --append need --kernel");
	if (args->net != NULL &&
	    !g_regex_match_simple(COLOCTL_NET_PATTERN, args->net, G_REGEX_DOLLAR_ENDONLY, 0)) {
		return coloctl_usage_error(error,
					   "invalid --net '%s': must be none or bridge:BRIDGE "
					   "(1 to 15 of A-Z a-z 0-9 _ . -)",
					   args->net);
	}
	if (!coloctl_check_host("--host", args->host, error) ||
	    !coloctl_check_host("--secondary-host", args->secondary_host, error))
		return FALSE;
	if (!args->protect && (args->secondary_host != NULL || args->checkpoint_ms != NULL))
		return coloctl_usage_error(
			error, "create: --secondary-host and --checkpoint-ms need --protect");
	return coloctl_parse_number("--checkpoint-ms", args->checkpoint_ms, 1, checkpoint, error);
}

static JsonNode *
coloctl_create_body(const gchar *name, ColoctlCreateArgs *args, gint64 memory, gint64 vcpus,
		    gint64 checkpoint)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();
	const gchar *const keys[] = {"kernel", "initrd",         "append", "net",
				     "host",   "secondary_host", NULL};
	const gchar *const values[] = {args->kernel, args->initrd, args->append,
				       args->net,    args->host,   args->secondary_host};

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "name");
	json_builder_add_string_value(builder, name);
	json_builder_set_member_name(builder, "memory_mib");
	json_builder_add_int_value(builder, memory);
	json_builder_set_member_name(builder, "disk");
	json_builder_add_string_value(builder, args->disk);
	if (args->vcpus != NULL) {
		json_builder_set_member_name(builder, "vcpus");
		json_builder_add_int_value(builder, vcpus);
	}
	for (guint i = 0; keys[i] != NULL; i++) {
		if (values[i] == NULL)
			continue;
		json_builder_set_member_name(builder, keys[i]);
		json_builder_add_string_value(builder, values[i]);
	}
	if (args->protect) {
		json_builder_set_member_name(builder, "protect");
		json_builder_add_boolean_value(builder, TRUE);
	}
	if (args->checkpoint_ms != NULL) {
		json_builder_set_member_name(builder, "checkpoint_ms");
		json_builder_add_int_value(builder, checkpoint);
	}
	json_builder_end_object(builder);
	return json_builder_get_root(builder);
}

/* prints "<verb> guest 'NAME' (state: STATE)" from a GUEST reply, or the reply with --json */
static gboolean
coloctl_print_guest_action(Coloctl *self, ColoctlReply *reply, const gchar *verb, GError **error)
{
	JsonObject *guest = coloctl_reply_object(reply, error);
	g_autofree gchar *name = NULL;
	g_autofree gchar *state = NULL;
	g_autofree gchar *line = NULL;

	if (guest == NULL)
		return FALSE;
	if (self->json) {
		coloctl_print_raw(reply);
		return TRUE;
	}
	name = coloctl_json_display(guest, "name");
	state = coloctl_json_display(guest, "state");
	line = g_strdup_printf("%s guest '%s' (state: %s)", verb, name, state);
	coloctl_print_line(line);
	return TRUE;
}

static gboolean
coloctl_cmd_create(Coloctl *self, const ColoctlCommand *cmd, gint argc, gchar **argv,
		   GError **error)
{
	g_auto(ColoctlCreateArgs) args = {0};
	const GOptionEntry entries[] = {
		{"memory", 0, 0, G_OPTION_ARG_STRING, &args.memory, "Memory size (required)",
		 "MIB"},
		{"disk", 0, 0, G_OPTION_ARG_FILENAME, &args.disk, "Disk image (required)", "PATH"},
		{"vcpus", 0, 0, G_OPTION_ARG_STRING, &args.vcpus, "Number of virtual CPUs", "N"},
		{"kernel", 0, 0, G_OPTION_ARG_FILENAME, &args.kernel, "Kernel to boot", "PATH"},
		{"initrd", 0, 0, G_OPTION_ARG_FILENAME, &args.initrd, "Initial ramdisk", "PATH"},
		{"append", 0, 0, G_OPTION_ARG_STRING, &args.append, "Kernel command line", "ARGS"},
		{"net", 0, 0, G_OPTION_ARG_STRING, &args.net, "none or bridge:BRIDGE", "NET"},
		{"host", 0, 0, G_OPTION_ARG_STRING, &args.host, "Host to run on", "HOST"},
		{"protect", 0, 0, G_OPTION_ARG_NONE, &args.protect,
		 "Protect it with COLO whenever it runs", NULL},
		{"secondary-host", 0, 0, G_OPTION_ARG_STRING, &args.secondary_host,
		 "Host of the COLO secondary (with --protect)", "HOST"},
		{"checkpoint-ms", 0, 0, G_OPTION_ARG_STRING, &args.checkpoint_ms,
		 "Longest time between two checkpoints (with --protect)", "MS"},
		G_OPTION_ENTRY_NULL};
	g_autoptr(JsonNode) body = NULL;
	g_autoptr(ColoctlReply) reply = NULL;
	gint64 memory = 0;
	gint64 vcpus = 0;
	gint64 checkpoint = 0;

	if (!coloctl_parse_command(cmd, entries, &argc, &argv, 1, 1, error))
		return FALSE;
	if (!coloctl_check_name(argv[1], error) ||
	    !coloctl_create_check(&args, &memory, &vcpus, &checkpoint, error))
		return FALSE;
	body = coloctl_create_body(argv[1], &args, memory, vcpus, checkpoint);
	reply = coloctl_request(self, "POST", "/v1/guests", body, error);
	if (reply == NULL)
		return FALSE;
	return coloctl_print_guest_action(self, reply, "Created", error);
}

static gboolean
coloctl_guest_action(Coloctl *self, const gchar *name, const gchar *action, JsonNode *body,
		     const gchar *verb, GError **error)
{
	g_autofree gchar *path = NULL;
	g_autoptr(ColoctlReply) reply = NULL;

	if (!coloctl_check_name(name, error))
		return FALSE;
	path = coloctl_guest_path(name, action);
	reply = coloctl_request(self, "POST", path, body, error);
	if (reply == NULL)
		return FALSE;
	return coloctl_print_guest_action(self, reply, verb, error);
}

static gboolean
coloctl_cmd_start(Coloctl *self, const ColoctlCommand *cmd, gint argc, gchar **argv, GError **error)
{
	g_autoptr(JsonObject) obj = json_object_new();
	g_autoptr(JsonNode) body = json_node_init_object(json_node_alloc(), obj);

	if (!coloctl_parse_command(cmd, NULL, &argc, &argv, 1, 1, error))
		return FALSE;
	return coloctl_guest_action(self, argv[1], "/start", body, "Starting", error);
}

static gboolean
coloctl_cmd_stop(Coloctl *self, const ColoctlCommand *cmd, gint argc, gchar **argv, GError **error)
{
	gboolean force = FALSE;
	const GOptionEntry entries[] = {{"force", 0, 0, G_OPTION_ARG_NONE, &force,
					 "Skip quit and SIGTERM: SIGKILL the members at once",
					 NULL},
					G_OPTION_ENTRY_NULL};
	g_autoptr(JsonObject) obj = json_object_new();
	g_autoptr(JsonNode) body = NULL;

	if (!coloctl_parse_command(cmd, entries, &argc, &argv, 1, 1, error))
		return FALSE;
	json_object_set_boolean_member(obj, "force", force);
	body = json_node_init_object(json_node_alloc(), obj);
	return coloctl_guest_action(self, argv[1], "/stop", body, "Stopping", error);
}

static gboolean
coloctl_cmd_delete(Coloctl *self, const ColoctlCommand *cmd, gint argc, gchar **argv,
		   GError **error)
{
	g_autofree gchar *path = NULL;
	g_autofree gchar *run_disk = NULL;
	g_autoptr(ColoctlReply) reply = NULL;
	g_autoptr(ColoctlReply) before = NULL;

	if (!coloctl_parse_command(cmd, NULL, &argc, &argv, 1, 1, error))
		return FALSE;
	if (!coloctl_check_name(argv[1], error))
		return FALSE;
	path = coloctl_guest_path(argv[1], NULL);
	/* the disk a failover left the guest on outlives it: say where it is */
	before = coloctl_request(self, "GET", path, NULL, NULL);
	if (before != NULL && before->json != NULL && JSON_NODE_HOLDS_OBJECT(before->json)) {
		JsonObject *g = json_node_get_object(before->json);
		const gchar *run = coloctl_json_string(g, "run_disk");
		if (run != NULL && g_strcmp0(run, coloctl_json_string(g, "disk")) != 0)
			run_disk = g_strdup(run);
	}
	reply = coloctl_request(self, "DELETE", path, NULL, error);
	if (reply == NULL)
		return FALSE;
	if (self->json)
		coloctl_print_raw(reply);
	else if (run_disk != NULL)
		g_print("Deleted guest '%s'; its disk since the last failover is kept at %s\n",
			argv[1], run_disk);
	else
		g_print("Deleted guest '%s'\n", argv[1]);
	return TRUE;
}

/* migration */

static gboolean
coloctl_migration_get(Coloctl *self, const gchar *name, gboolean samples, JsonObject **out,
		      ColoctlReply **raw, GError **error)
{
	g_autofree gchar *path =
		coloctl_guest_path(name, samples ? "/migration?samples=1" : "/migration");
	g_autoptr(ColoctlReply) reply = coloctl_request(self, "GET", path, NULL, error);
	JsonObject *obj;

	if (reply == NULL)
		return FALSE;
	obj = coloctl_reply_object(reply, error);
	if (obj == NULL)
		return FALSE;
	*out = json_object_ref(obj);
	if (raw != NULL)
		*raw = g_steal_pointer(&reply);
	return TRUE;
}

static gdouble
coloctl_progress_double(JsonObject *migration, const gchar *key)
{
	JsonObject *p;
	if (!json_object_has_member(migration, "progress"))
		return -1;
	p = json_object_get_object_member(migration, "progress");
	if (p == NULL || !json_object_has_member(p, key) ||
	    !JSON_NODE_HOLDS_VALUE(json_object_get_member(p, key)))
		return -1;
	return json_node_get_double(json_object_get_member(p, key));
}

static const gchar *
coloctl_progress_string(JsonObject *migration, const gchar *key)
{
	JsonObject *p;
	if (!json_object_has_member(migration, "progress"))
		return NULL;
	p = json_object_get_object_member(migration, "progress");
	return p != NULL ? json_object_get_string_member_with_default(p, key, NULL) : NULL;
}

/* " [####......]": 30 columns, @pct percent of them filled */
static void
coloctl_append_bar(GString *line, gdouble pct)
{
	guint filled = pct > 0 ? (guint)(MIN(pct, 100.0) * 30 / 100) : 0;

	g_string_append(line, " [");
	for (guint i = 0; i < 30; i++)
		g_string_append_c(line, i < filled ? '#' : '.');
	g_string_append(line, "]");
}

/* one line: phase, a bar on a terminal, percent, rate and ETA */
static gchar *
coloctl_migration_line(JsonObject *m, gboolean bar)
{
	const gchar *phase = coloctl_progress_string(m, "phase");
	gboolean stop = g_strcmp0(phase, "stop-copy") == 0;
	gdouble pct = coloctl_progress_double(m, stop ? "stop_percent" : "precopy_percent");
	gdouble bw = coloctl_progress_double(m, "bandwidth_bps");
	gdouble eta = coloctl_progress_double(m, "eta_ms");
	g_autoptr(GString) line = g_string_new(NULL);

	g_string_append_printf(line, "%-9s", phase != NULL ? phase : "setup");
	if (bar)
		coloctl_append_bar(line, pct);
	g_string_append_printf(line, " %5.1f%%", pct > 0 ? pct : 0.0);
	if (bw >= 0)
		g_string_append_printf(line, "  %7.1f MiB/s", bw / (1024 * 1024));
	if (eta >= 0)
		g_string_append_printf(line, "  ETA %.1f s", eta / 1000.0);
	else if (g_strcmp0(coloctl_progress_string(m, "convergence"), "not-converging") == 0)
		g_string_append(line, "  does not converge");
	return g_string_free(g_steal_pointer(&line), FALSE);
}

static gboolean
coloctl_migration_wait(Coloctl *self, const gchar *name, GError **error)
{
	gboolean tty = isatty(STDOUT_FILENO);
	g_autofree gchar *last_phase = NULL;

	for (;;) {
		g_autoptr(JsonObject) m = NULL;
		const gchar *state;
		const gchar *phase;
		g_autofree gchar *line = NULL;

		if (!coloctl_migration_get(self, name, FALSE, &m, NULL, error))
			return FALSE;
		state = json_object_get_string_member_with_default(m, "state", "?");
		phase = coloctl_progress_string(m, "phase");
		line = coloctl_migration_line(m, tty);
		if (tty) {
			g_print("\r%s\033[K", line);
		} else if (g_strcmp0(phase, last_phase) != 0) {
			g_print("%s\n", line);
			g_free(last_phase);
			last_phase = g_strdup(phase);
		}
		if (g_strcmp0(state, "completed") == 0 || g_strcmp0(state, "failed") == 0 ||
		    g_strcmp0(state, "cancelled") == 0) {
			const gchar *reason =
				json_object_get_string_member_with_default(m, "reason", NULL);
			if (tty)
				g_print("\n");
			g_print("Migration %s%s%s\n", state, reason != NULL ? ": " : "",
				reason != NULL ? reason : "");
			if (g_strcmp0(state, "completed") != 0) {
				g_set_error(error, COLOCTL_ERROR, COLOCTL_EXIT_INTERNAL,
					    "migration %s", state);
				return FALSE;
			}
			return TRUE;
		}
		g_usleep(250 * G_TIME_SPAN_MILLISECOND);
	}
}

static gboolean
coloctl_cmd_migrate(Coloctl *self, const ColoctlCommand *cmd, gint argc, gchar **argv,
		    GError **error)
{
	g_autofree gchar *to = NULL;
	g_autofree gchar *downtime = NULL;
	g_autofree gchar *bandwidth = NULL;
	g_autofree gchar *policy = NULL;
	gboolean wait = FALSE;
	const GOptionEntry entries[] = {
		{"to", 0, 0, G_OPTION_ARG_STRING, &to, "Target host (required)", "HOST"},
		{"max-downtime", 0, 0, G_OPTION_ARG_STRING, &downtime, "Downtime limit", "MS"},
		{"bandwidth", 0, 0, G_OPTION_ARG_STRING, &bandwidth, "Bandwidth limit", "MIBPS"},
		{"policy", 0, 0, G_OPTION_ARG_STRING, &policy, "Policy from the config", "NAME"},
		{"wait", 0, 0, G_OPTION_ARG_NONE, &wait, "Show progress until it ends", NULL},
		G_OPTION_ENTRY_NULL};
	g_autoptr(JsonObject) obj = json_object_new();
	g_autoptr(JsonNode) body = NULL;
	g_autofree gchar *path = NULL;
	g_autoptr(ColoctlReply) reply = NULL;
	gint64 n = 0;

	if (!coloctl_parse_command(cmd, entries, &argc, &argv, 1, 1, error))
		return FALSE;
	if (!coloctl_check_name(argv[1], error))
		return FALSE;
	if (to == NULL)
		return coloctl_usage_error(error, "migrate: --to HOST is required");
	json_object_set_string_member(obj, "to", to);
	if (downtime != NULL) {
		if (!coloctl_parse_number("--max-downtime", downtime, 1, &n, error))
			return FALSE;
		json_object_set_int_member(obj, "max_downtime_ms", n);
	}
	if (bandwidth != NULL) {
		if (!coloctl_parse_number("--bandwidth", bandwidth, 1, &n, error))
			return FALSE;
		json_object_set_int_member(obj, "bandwidth_mibps", n);
	}
	if (policy != NULL)
		json_object_set_string_member(obj, "policy", policy);
	body = json_node_init_object(json_node_alloc(), obj);
	path = coloctl_guest_path(argv[1], "/migrate");
	reply = coloctl_request(self, "POST", path, body, error);
	if (reply == NULL)
		return FALSE;
	if (self->json && !wait) {
		coloctl_print_raw(reply);
		return TRUE;
	}
	if (!wait) {
		g_print("Migrating guest '%s' to %s\n", argv[1], to);
		return TRUE;
	}
	return coloctl_migration_wait(self, argv[1], error);
}

static gboolean
coloctl_cmd_migrate_cancel(Coloctl *self, const ColoctlCommand *cmd, gint argc, gchar **argv,
			   GError **error)
{
	g_autoptr(JsonObject) obj = json_object_new();
	g_autoptr(JsonNode) body = json_node_init_object(json_node_alloc(), obj);
	g_autofree gchar *path = NULL;
	g_autoptr(ColoctlReply) reply = NULL;

	if (!coloctl_parse_command(cmd, NULL, &argc, &argv, 1, 1, error))
		return FALSE;
	if (!coloctl_check_name(argv[1], error))
		return FALSE;
	path = coloctl_guest_path(argv[1], "/migration/cancel");
	reply = coloctl_request(self, "POST", path, body, error);
	if (reply == NULL)
		return FALSE;
	if (self->json)
		coloctl_print_raw(reply);
	else
		g_print("Cancelling the migration of guest '%s'\n", argv[1]);
	return TRUE;
}

/* the reply is the guest: said like start and stop */
static gboolean
coloctl_cmd_unprotect(Coloctl *self, const ColoctlCommand *cmd, gint argc, gchar **argv,
		      GError **error)
{
	g_autoptr(JsonObject) obj = json_object_new();
	g_autoptr(JsonNode) body = json_node_init_object(json_node_alloc(), obj);

	if (!coloctl_parse_command(cmd, NULL, &argc, &argv, 1, 1, error))
		return FALSE;
	return coloctl_guest_action(self, argv[1], "/unprotect", body, "Unprotecting", error);
}

static gboolean
coloctl_cmd_migration(Coloctl *self, const ColoctlCommand *cmd, gint argc, gchar **argv,
		      GError **error)
{
	gboolean samples = FALSE;
	const GOptionEntry entries[] = {{"samples", 0, 0, G_OPTION_ARG_NONE, &samples,
					 "Include every query-migrate sample (with --json)", NULL},
					G_OPTION_ENTRY_NULL};
	g_autoptr(JsonObject) m = NULL;
	g_autoptr(ColoctlReply) raw = NULL;
	g_autofree gchar *line = NULL;

	if (!coloctl_parse_command(cmd, entries, &argc, &argv, 1, 1, error))
		return FALSE;
	if (!coloctl_check_name(argv[1], error))
		return FALSE;
	if (!coloctl_migration_get(self, argv[1], samples, &m, &raw, error))
		return FALSE;
	if (self->json) {
		coloctl_print_raw(raw);
		return TRUE;
	}
	line = coloctl_migration_line(m, FALSE);
	g_print("Migration %" G_GINT64_FORMAT ": %s -> %s, %s%s%s\n",
		json_object_get_int_member_with_default(m, "id", 0),
		json_object_get_string_member_with_default(m, "from", "?"),
		json_object_get_string_member_with_default(m, "to", "?"),
		json_object_get_string_member_with_default(m, "state", "?"),
		json_object_get_string_member_with_default(m, "reason", NULL) != NULL ? ": " : "",
		json_object_get_string_member_with_default(m, "reason", ""));
	g_print("Netpass:   %s\n", json_object_get_string_member_with_default(m, "netpass", "?"));
	g_print("Progress:  %s\n", line);
	return TRUE;
}

/* protection: protect, failover, failovers, and the Protection section of show */

#define COLOCTL_MIB (1024.0 * 1024.0)

static gboolean
coloctl_guest_get(Coloctl *self, const gchar *name, ColoctlReply **reply, JsonObject **guest,
		  GError **error)
{
	g_autofree gchar *path = coloctl_guest_path(name, NULL);

	*guest = NULL;
	*reply = coloctl_request(self, "GET", path, NULL, error);
	if (*reply == NULL)
		return FALSE;
	*guest = coloctl_reply_object(*reply, error);
	return *guest != NULL;
}

/* what a protection is doing: the phase of its sync ("disk", "ram"), else its state */
static const gchar *
coloctl_protection_phase(JsonObject *protection)
{
	const gchar *phase = coloctl_json_string(coloctl_json_object(protection, "sync"), "phase");

	if (phase == NULL)
		phase = coloctl_json_string(protection, "state");
	return phase != NULL ? phase : "preparing";
}

/* one line: phase, a bar on a terminal, percent, then bytes, rate and ETA, and time so far */
static gchar *
coloctl_sync_line(JsonObject *protection, gboolean bar)
{
	JsonObject *sync = coloctl_json_object(protection, "sync");
	JsonObject *migration = coloctl_json_object(sync, "migration");
	g_autoptr(GString) line = g_string_new(NULL);
	gdouble pct = 0;
	gdouble done = 0;
	gdouble total = 0;
	gdouble value = 0;

	g_string_append_printf(line, "%-9s", coloctl_protection_phase(protection));
	if (sync == NULL)
		return g_string_free(g_steal_pointer(&line), FALSE);
	/* RAM in precopy: cc-progress's estimate, not the saw-tooth of transferred over total;
	 * once cc-progress sees no more precopy (COLO's first pass ends in "colo", not in a
	 * stop-copy), the bytes transferred so far */
	if (g_strcmp0(coloctl_json_string(migration, "phase"), "precopy") != 0 ||
	    !coloctl_json_number(migration, "precopy_percent", &pct))
		coloctl_json_number(sync, "percent", &pct);
	pct = CLAMP(pct, 0.0, 100.0);
	if (bar)
		coloctl_append_bar(line, pct);
	g_string_append_printf(line, " %5.1f%%", pct);
	if (coloctl_json_number(sync, "done_bytes", &done) &&
	    coloctl_json_number(sync, "total_bytes", &total) && total > 0)
		g_string_append_printf(line, "  %.1f/%.1f MiB", done / COLOCTL_MIB,
				       total / COLOCTL_MIB);
	if (coloctl_json_number(migration, "bandwidth_bps", &value) && value >= 0)
		g_string_append_printf(line, "  %7.1f MiB/s", value / COLOCTL_MIB);
	if (coloctl_json_number(migration, "eta_ms", &value) && value > 0)
		g_string_append_printf(line, "  ETA %.1f s", value / 1000.0);
	if (coloctl_json_number(sync, "elapsed_s", &value))
		g_string_append_printf(line, "  (%.1f s)", value);
	return g_string_free(g_steal_pointer(&line), FALSE);
}

/* "secondary web-s lost (requested); web-p kept the guest after 12.3 ms (...)" */
static gchar *
coloctl_failover_summary(JsonObject *f)
{
	g_autofree gchar *lost_role = coloctl_json_display(f, "lost_role");
	g_autofree gchar *lost = coloctl_json_display(f, "lost");
	g_autofree gchar *cause = coloctl_json_display(f, "cause");
	g_autofree gchar *survivor = coloctl_json_display(f, "survivor");
	const gchar *failure = coloctl_json_string(f, "error");
	g_autoptr(GString) str = g_string_new(NULL);
	gdouble ms = 0;
	gdouble fence = 0;
	gdouble sequence = 0;

	g_string_append_printf(str, "%s %s lost (%s); ", lost_role, lost, cause);
	if (failure != NULL)
		g_string_append_printf(str, "%s could not take over: %s", survivor, failure);
	else
		g_string_append_printf(str, "%s kept the guest", survivor);
	if (coloctl_json_number(f, "latency_ms", &ms))
		g_string_append_printf(str, ", latency %.1f ms", ms);
	if (coloctl_json_number(f, "fence_ms", &fence) &&
	    coloctl_json_number(f, "sequence_ms", &sequence))
		g_string_append_printf(str, " (fence %.1f ms, sequence %.1f ms)", fence, sequence);
	return g_string_free(g_steal_pointer(&str), FALSE);
}

static gchar *
coloctl_filters_display(JsonObject *filters)
{
	JsonNode *network = json_object_get_member(filters, "network");
	const gchar *ews = coloctl_json_string(filters, "enable_when_stopped");
	const gchar *note = coloctl_json_string(filters, "note");
	gboolean net = network != NULL && JSON_NODE_HOLDS_VALUE(network) &&
		       json_node_get_value_type(network) == G_TYPE_BOOLEAN &&
		       json_node_get_boolean(network);

	return g_strdup_printf("network filters %s, enable_when_stopped %s%s%s", net ? "yes" : "no",
			       ews != NULL ? ews : "-", note != NULL ? ": " : "",
			       note != NULL ? note : "");
}

static void
coloctl_print_health_table(JsonObject *health)
{
	const gchar *const header[] = {"ROLE", "MEMBER", "STATUS", "COLO_MODE", "LAST_REPLY", NULL};
	const gchar *const roles[] = {"primary", "secondary", NULL};
	g_autoptr(ColoctlTable) table = coloctl_table_new(G_N_ELEMENTS(header) - 1);

	coloctl_table_add_header(table, header);
	for (guint i = 0; roles[i] != NULL; i++) {
		JsonObject *h = coloctl_json_object(health, roles[i]);
		gdouble ago = 0;
		if (h == NULL)
			continue;
		coloctl_table_add(table, roles[i]);
		coloctl_table_take(table, coloctl_json_display(h, "member"));
		coloctl_table_take(table, coloctl_json_display(h, "status"));
		coloctl_table_take(table, coloctl_json_display(h, "colo_mode"));
		if (coloctl_json_number(h, "last_reply_ms_ago", &ago))
			coloctl_table_take(table, g_strdup_printf("%.0f ms ago", ago));
		else
			coloctl_table_add(table, NULL);
	}
	g_print("  Health:\n");
	coloctl_table_print(table, 4);
}

/* the COLO pair of a protected guest; nothing when it has none */
static void
coloctl_print_protection(JsonObject *guest)
{
	JsonObject *p = coloctl_json_object(guest, "protection");
	JsonObject *filters = coloctl_json_object(p, "filters");
	JsonObject *health = coloctl_json_object(p, "health");
	JsonObject *last = coloctl_json_object(p, "last_failover");
	g_autoptr(ColoctlTable) table = coloctl_table_new(2);
	g_autoptr(GString) checkpoint = g_string_new(NULL);
	g_autofree gchar *ms = NULL;
	gdouble n = 0;

	if (p == NULL)
		return;
	g_print("Protection:\n");
	coloctl_table_add(table, "Pair state:");
	coloctl_table_take(table, coloctl_json_display(p, "pair_state"));
	if (coloctl_json_string(p, "state") != NULL) {
		coloctl_table_add(table, "COLO state:");
		coloctl_table_add(table, coloctl_json_string(p, "state"));
	}
	if (coloctl_json_string(p, "reason") != NULL) {
		coloctl_table_add(table, "Reason:");
		coloctl_table_add(table, coloctl_json_string(p, "reason"));
	}
	coloctl_table_add(table, "Secondary host:");
	coloctl_table_take(table, coloctl_json_display(p, "secondary_host"));
	if (coloctl_json_string(p, "primary") != NULL ||
	    coloctl_json_string(p, "secondary") != NULL) {
		g_autofree gchar *primary = coloctl_json_display(p, "primary");
		g_autofree gchar *secondary = coloctl_json_display(p, "secondary");
		coloctl_table_add(table, "Members:");
		coloctl_table_take(table,
				   g_strdup_printf("primary %s, secondary %s", primary, secondary));
	}
	ms = coloctl_json_display(p, "checkpoint_ms");
	g_string_append_printf(checkpoint, "every %s ms at most", ms);
	if (coloctl_json_number(p, "checkpoints", &n))
		g_string_append_printf(checkpoint, ", %.0f so far", n);
	if (coloctl_json_number(p, "checkpoint_for_ms", &n))
		g_string_append_printf(checkpoint, ", one under way for %.0f ms", n);
	else if (json_object_get_boolean_member_with_default(p, "in_checkpoint", FALSE))
		g_string_append(checkpoint, ", one under way");
	coloctl_table_add(table, "Checkpoints:");
	coloctl_table_add(table, checkpoint->str);
	coloctl_table_add(table, "Auto-reprotect:");
	if (coloctl_json_number(p, "reprotect_failures", &n)) {
		g_autofree gchar *on = coloctl_json_display(p, "auto_reprotect");
		coloctl_table_take(table,
				   g_strdup_printf("%s, %.0f attempt%s failed%s", on, n,
						   n == 1 ? "" : "s",
						   json_object_get_boolean_member_with_default(
							   p, "reprotect_scheduled", FALSE)
							   ? ", next one scheduled"
							   : ""));
	} else {
		coloctl_table_take(table, coloctl_json_display(p, "auto_reprotect"));
	}
	if (coloctl_json_object(p, "sync") != NULL) {
		coloctl_table_add(table, "Sync:");
		coloctl_table_take(table, coloctl_sync_line(p, FALSE));
	}
	if (coloctl_json_number(p, "hang_ms", &n)) {
		g_autofree gchar *hang = coloctl_json_display(p, "hang_ms");
		g_autofree gchar *ckpt_hang = coloctl_json_display(p, "checkpoint_hang_ms");
		coloctl_table_add(table, "Watchdog:");
		coloctl_table_take(table, g_strdup_printf("hang after %s ms, %s ms in a checkpoint",
							  hang, ckpt_hang));
	}
	if (filters != NULL) {
		coloctl_table_add(table, "Filters:");
		coloctl_table_take(table, coloctl_filters_display(filters));
	}
	coloctl_table_add(table, "Failovers:");
	coloctl_table_take(table, coloctl_json_display(p, "failovers"));
	if (last != NULL) {
		coloctl_table_add(table, "Last failover:");
		coloctl_table_take(table, coloctl_failover_summary(last));
	}
	coloctl_table_print(table, 2);
	if (health != NULL)
		coloctl_print_health_table(health);
}

/* a --wait ends at @deadline (monotonic time), or never when it is 0 */
static gint64
coloctl_wait_deadline(gint64 timeout_s)
{
	return timeout_s > 0 ? g_get_monotonic_time() + timeout_s * G_USEC_PER_SEC : 0;
}

static gboolean
coloctl_wait_expired(gint64 deadline)
{
	return deadline > 0 && g_get_monotonic_time() >= deadline;
}

/* the command's own --timeout, only with --wait */
static gboolean
coloctl_parse_wait_timeout(const ColoctlCommand *cmd, const gchar *value, gboolean wait,
			   gint64 *deadline_s, GError **error)
{
	*deadline_s = 0;
	if (value == NULL)
		return TRUE;
	if (!wait)
		return coloctl_usage_error(error, "%s: --timeout needs --wait", cmd->name);
	return coloctl_parse_number("--timeout", value, 1, deadline_s, error);
}

/* the reason a guest gives for its state: its own, else its pair's */
static const gchar *
coloctl_guest_reason(JsonObject *guest)
{
	const gchar *reason = coloctl_json_string(guest, "reason");

	if (reason == NULL)
		reason = coloctl_json_string(coloctl_json_object(guest, "protection"), "reason");
	return reason != NULL ? reason : "no reason given";
}

/* follows a protection until the guest leaves "syncing"; only "protected" is a success */
static gboolean
coloctl_protect_wait(Coloctl *self, const gchar *name, gint64 deadline, GError **error)
{
	gboolean tty = !self->json && isatty(STDOUT_FILENO);
	gboolean open_line = FALSE; /* a progress line on the terminal has no newline yet */
	g_autofree gchar *last_phase = NULL;
	g_autoptr(ColoctlReply) reply = NULL;
	JsonObject *guest = NULL;
	JsonObject *protection = NULL;
	const gchar *state = NULL;
	g_autofree gchar *secondary = NULL;
	g_autofree gchar *host = NULL;
	g_autofree gchar *checkpoint = NULL;
	g_autofree gchar *line = NULL;

	for (;;) {
		const gchar *phase;

		g_clear_pointer(&reply, coloctl_reply_free);
		if (!coloctl_guest_get(self, name, &reply, &guest, error))
			break;
		state = coloctl_json_string(guest, "state");
		protection = coloctl_json_object(guest, "protection");
		if (g_strcmp0(state, "syncing") != 0)
			break;
		phase = coloctl_protection_phase(protection);
		g_free(line);
		line = coloctl_sync_line(protection, tty);
		if (tty) {
			g_autofree gchar *safe = coloctl_sanitize(line);
			g_print("\r%s\033[K", safe);
			open_line = TRUE;
		} else if (!self->json && g_strcmp0(phase, last_phase) != 0) {
			coloctl_print_line(line);
			g_free(last_phase);
			last_phase = g_strdup(phase);
		}
		fflush(stdout);
		if (coloctl_wait_expired(deadline)) {
			g_set_error(error, COLOCTL_ERROR, COLOCTL_EXIT_INTERNAL,
				    "gave up waiting: guest '%s' is still syncing, and its "
				    "protection goes on (see coloctl show %s)",
				    name, name);
			guest = NULL;
			break;
		}
		g_usleep(250 * G_TIME_SPAN_MILLISECOND);
	}
	if (open_line)
		g_print("\n");
	if (guest == NULL)
		return FALSE;
	if (self->json)
		coloctl_print_raw(reply);
	if (g_strcmp0(state, "protected") != 0) {
		g_set_error(error, COLOCTL_ERROR, COLOCTL_EXIT_INTERNAL,
			    "guest '%s' is not protected (state: %s): %s", name,
			    state != NULL ? state : "?", coloctl_guest_reason(guest));
		return FALSE;
	}
	if (self->json)
		return TRUE;
	secondary = coloctl_json_display(protection, "secondary");
	host = coloctl_json_display(protection, "secondary_host");
	checkpoint = coloctl_json_display(protection, "checkpoint_ms");
	g_free(line);
	line = g_strdup_printf("Guest '%s' is protected: secondary %s on host %s, a checkpoint "
			       "every %s ms at most",
			       name, secondary, host, checkpoint);
	coloctl_print_line(line);
	return TRUE;
}

static gboolean
coloctl_cmd_protect(Coloctl *self, const ColoctlCommand *cmd, gint argc, gchar **argv,
		    GError **error)
{
	g_autofree gchar *secondary_host = NULL;
	g_autofree gchar *checkpoint_str = NULL;
	g_autofree gchar *timeout_str = NULL;
	gboolean auto_reprotect = FALSE;
	gboolean no_auto_reprotect = FALSE;
	gboolean wait = FALSE;
	const GOptionEntry entries[] = {
		{"secondary-host", 0, 0, G_OPTION_ARG_STRING, &secondary_host,
		 "Host of the secondary (default: the daemon picks one)", "HOST"},
		{"checkpoint-ms", 0, 0, G_OPTION_ARG_STRING, &checkpoint_str,
		 "Longest time between two checkpoints", "MS"},
		{"no-auto-reprotect", 0, 0, G_OPTION_ARG_NONE, &no_auto_reprotect,
		 "After a failover, leave the guest unprotected", NULL},
		{"auto-reprotect", 0, 0, G_OPTION_ARG_NONE, &auto_reprotect,
		 "After a failover, protect the guest again (the default)", NULL},
		{"wait", 0, 0, G_OPTION_ARG_NONE, &wait,
		 "Show the sync until the guest is protected or the protection failed", NULL},
		{"timeout", 0, 0, G_OPTION_ARG_STRING, &timeout_str,
		 "With --wait, give up waiting after S seconds", "S"},
		G_OPTION_ENTRY_NULL};
	g_autoptr(JsonObject) obj = json_object_new();
	g_autoptr(JsonNode) body = NULL;
	g_autofree gchar *path = NULL;
	g_autoptr(ColoctlReply) reply = NULL;
	gint64 checkpoint = 0;
	gint64 timeout = 0;

	if (!coloctl_parse_command(cmd, entries, &argc, &argv, 1, 1, error))
		return FALSE;
	if (!coloctl_check_name(argv[1], error) ||
	    !coloctl_check_host("--secondary-host", secondary_host, error) ||
	    !coloctl_parse_number("--checkpoint-ms", checkpoint_str, 1, &checkpoint, error) ||
	    !coloctl_parse_wait_timeout(cmd, timeout_str, wait, &timeout, error))
		return FALSE;
	if (auto_reprotect && no_auto_reprotect)
		return coloctl_usage_error(
			error,
			"protect: --auto-reprotect and --no-auto-reprotect exclude each other");
	if (secondary_host != NULL)
		json_object_set_string_member(obj, "secondary_host", secondary_host);
	if (checkpoint_str != NULL)
		json_object_set_int_member(obj, "checkpoint_ms", checkpoint);
	if (auto_reprotect || no_auto_reprotect)
		json_object_set_boolean_member(obj, "auto_reprotect", auto_reprotect);
	body = json_node_init_object(json_node_alloc(), obj);
	path = coloctl_guest_path(argv[1], "/protect");
	reply = coloctl_request(self, "POST", path, body, error);
	if (reply == NULL)
		return FALSE;
	if (!wait)
		return coloctl_print_guest_action(self, reply, "Protecting", error);
	return coloctl_protect_wait(self, argv[1], coloctl_wait_deadline(timeout), error);
}

/* the number of failovers the guest has had; 0 when it has no pair */
static gint64
coloctl_failover_count(JsonObject *guest)
{
	gdouble n = 0;
	coloctl_json_number(coloctl_json_object(guest, "protection"), "failovers", &n);
	return (gint64)n;
}

/* follows a failover until one more is recorded, then prints it (from GET .../failovers) */
static gboolean
coloctl_failover_wait(Coloctl *self, const gchar *name, gint64 before, gint64 deadline,
		      GError **error)
{
	g_autoptr(ColoctlReply) reply = NULL;
	g_autoptr(ColoctlReply) list_reply = NULL;
	g_autofree gchar *path = coloctl_guest_path(name, "/failovers");
	g_autofree gchar *summary = NULL;
	g_autofree gchar *line = NULL;
	JsonObject *guest = NULL;
	JsonObject *last;
	JsonArray *list;
	const gchar *state;

	for (;;) {
		g_clear_pointer(&reply, coloctl_reply_free);
		if (!coloctl_guest_get(self, name, &reply, &guest, error))
			return FALSE;
		state = coloctl_json_string(guest, "state");
		if (coloctl_failover_count(guest) > before)
			break;
		if (g_strcmp0(state, "protected") != 0 && g_strcmp0(state, "failing-over") != 0) {
			g_set_error(error, COLOCTL_ERROR, COLOCTL_EXIT_INTERNAL,
				    "guest '%s' is %s, and no failover was recorded: %s", name,
				    state != NULL ? state : "?", coloctl_guest_reason(guest));
			return FALSE;
		}
		if (coloctl_wait_expired(deadline)) {
			g_set_error(error, COLOCTL_ERROR, COLOCTL_EXIT_INTERNAL,
				    "gave up waiting: guest '%s' is still %s", name,
				    state != NULL ? state : "?");
			return FALSE;
		}
		g_usleep(100 * G_TIME_SPAN_MILLISECOND);
	}
	list_reply = coloctl_request(self, "GET", path, NULL, error);
	if (list_reply == NULL)
		return FALSE;
	list = coloctl_reply_array(list_reply, "failovers", error);
	if (list == NULL)
		return FALSE;
	if (json_array_get_length(list) == 0)
		return coloctl_bad_reply(error, "a failover is counted but not listed");
	last = coloctl_array_object(list, json_array_get_length(list) - 1);
	if (last == NULL)
		return coloctl_bad_reply(error, "a failover is not a JSON object");
	if (self->json) {
		g_autofree gchar *text = json_to_string(
			json_array_get_element(list, json_array_get_length(list) - 1), FALSE);
		g_print("%s\n", text);
	} else {
		JsonObject *detail = coloctl_json_object(last, "detail");
		/* the summary of the record, with the fence and sequence times of its detail */
		if (detail != NULL && !json_object_has_member(detail, "survivor"))
			detail = NULL;
		summary = coloctl_failover_summary(detail != NULL ? detail : last);
		line = g_strdup_printf("Failover of guest '%s': %s (state: %s)", name, summary,
				       state != NULL ? state : "?");
		coloctl_print_line(line);
	}
	if (!json_object_get_boolean_member_with_default(last, "ok", FALSE) ||
	    g_strcmp0(state, "failed") == 0) {
		g_set_error(error, COLOCTL_ERROR, COLOCTL_EXIT_INTERNAL,
			    "the failover of guest '%s' failed: %s", name,
			    coloctl_guest_reason(guest));
		return FALSE;
	}
	return TRUE;
}

static gboolean
coloctl_cmd_failover(Coloctl *self, const ColoctlCommand *cmd, gint argc, gchar **argv,
		     GError **error)
{
	g_autofree gchar *to = NULL;
	g_autofree gchar *timeout_str = NULL;
	gboolean wait = FALSE;
	const GOptionEntry entries[] = {
		{"to", 0, 0, G_OPTION_ARG_STRING, &to,
		 "The member that keeps the guest: primary or secondary (default)", "ROLE"},
		{"wait", 0, 0, G_OPTION_ARG_NONE, &wait,
		 "Wait until it is done, then show its cause and latency", NULL},
		{"timeout", 0, 0, G_OPTION_ARG_STRING, &timeout_str,
		 "With --wait, give up waiting after S seconds", "S"},
		G_OPTION_ENTRY_NULL};
	g_autoptr(JsonObject) obj = json_object_new();
	g_autoptr(JsonNode) body = NULL;
	g_autofree gchar *path = NULL;
	g_autoptr(ColoctlReply) reply = NULL;
	g_autofree gchar *state = NULL;
	g_autofree gchar *line = NULL;
	gint64 timeout = 0;
	gint64 before = 0;

	if (!coloctl_parse_command(cmd, entries, &argc, &argv, 1, 1, error))
		return FALSE;
	if (!coloctl_check_name(argv[1], error) ||
	    !coloctl_parse_wait_timeout(cmd, timeout_str, wait, &timeout, error))
		return FALSE;
	if (to != NULL && g_strcmp0(to, "primary") != 0 && g_strcmp0(to, "secondary") != 0)
		return coloctl_usage_error(error,
					   "invalid --to '%s': must be primary or secondary (the "
					   "member that keeps the guest)",
					   to);
	if (wait) {
		g_autoptr(ColoctlReply) current = NULL;
		JsonObject *guest;
		if (!coloctl_guest_get(self, argv[1], &current, &guest, error))
			return FALSE;
		before = coloctl_failover_count(guest);
	}
	if (to != NULL)
		json_object_set_string_member(obj, "to", to);
	body = json_node_init_object(json_node_alloc(), obj);
	path = coloctl_guest_path(argv[1], "/failover");
	reply = coloctl_request(self, "POST", path, body, error);
	if (reply == NULL)
		return FALSE;
	if (wait)
		return coloctl_failover_wait(self, argv[1], before, coloctl_wait_deadline(timeout),
					     error);
	if (coloctl_reply_object(reply, error) == NULL)
		return FALSE;
	if (self->json) {
		coloctl_print_raw(reply);
		return TRUE;
	}
	state = coloctl_json_display(coloctl_reply_object(reply, NULL), "state");
	line = g_strdup_printf("Failing over guest '%s': its %s keeps it (state: %s)", argv[1],
			       to != NULL ? to : "secondary", state);
	coloctl_print_line(line);
	return TRUE;
}

static gboolean
coloctl_cmd_failovers(Coloctl *self, const ColoctlCommand *cmd, gint argc, gchar **argv,
		      GError **error)
{
	const gchar *const header[] = {"ID",    "TIME",       "LOST_ROLE", "LOST", "SURVIVOR",
				       "CAUSE", "LATENCY_MS", "OK",        NULL};
	const gchar *const keys[] = {"id", "time", "lost_role", "lost", "survivor", "cause", NULL};
	g_autoptr(ColoctlReply) reply = NULL;
	g_autoptr(ColoctlTable) table = coloctl_table_new(G_N_ELEMENTS(header) - 1);
	g_autofree gchar *path = NULL;
	JsonArray *failovers;

	if (!coloctl_parse_command(cmd, NULL, &argc, &argv, 1, 1, error))
		return FALSE;
	if (!coloctl_check_name(argv[1], error))
		return FALSE;
	path = coloctl_guest_path(argv[1], "/failovers");
	if (!coloctl_get_array(self, path, "failovers", &reply, &failovers, error))
		return FALSE;
	if (failovers == NULL)
		return TRUE;
	coloctl_table_add_header(table, header);
	for (guint i = 0; i < json_array_get_length(failovers); i++) {
		JsonObject *f = coloctl_array_object(failovers, i);
		for (guint j = 0; keys[j] != NULL; j++)
			coloctl_table_take(table, coloctl_json_display(f, keys[j]));
		coloctl_table_take(table, coloctl_json_ms(f, "latency_ms"));
		coloctl_table_take(table, coloctl_json_display(f, "ok"));
	}
	coloctl_table_print(table, 0);
	return TRUE;
}

/* events */

static void
coloctl_event_cells(ColoctlTable *table, JsonObject *event)
{
	const gchar *const keys[] = {"id", "time", "guest", "kind", "detail", NULL};
	for (guint i = 0; keys[i] != NULL; i++)
		coloctl_table_take(table, coloctl_json_display(event, keys[i]));
}

static const gchar *const coloctl_event_header[] = {"ID", "TIME", "GUEST", "KIND", "DETAIL", NULL};
#define COLOCTL_EVENT_NCOLS (G_N_ELEMENTS(coloctl_event_header) - 1)

static gboolean
coloctl_events_list(Coloctl *self, const gchar *query, GError **error)
{
	g_autofree gchar *path = g_strconcat("/v1/events", query, NULL);
	g_autoptr(ColoctlReply) reply = coloctl_request(self, "GET", path, NULL, error);
	g_autoptr(ColoctlTable) table = coloctl_table_new(COLOCTL_EVENT_NCOLS);
	JsonArray *events;

	if (reply == NULL)
		return FALSE;
	events = coloctl_reply_array(reply, "events", error);
	if (events == NULL)
		return FALSE;
	if (self->json) {
		coloctl_print_raw(reply);
		return TRUE;
	}
	coloctl_table_add_header(table, coloctl_event_header);
	for (guint i = 0; i < json_array_get_length(events); i++)
		coloctl_event_cells(table, coloctl_array_object(events, i));
	coloctl_table_print(table, 0);
	return TRUE;
}

/*
 * events --follow: a Server-Sent Events stream read on a main loop, so that
 * SIGINT ends it cleanly. Exactly one asynchronous call is pending at any
 * time, always with @cancellable; to stop, cancel it and let its callback
 * quit the loop. @error says why it stopped, NULL for an interruption.
 */
typedef struct {
	Coloctl *self;
	GMainLoop *loop;
	GCancellable *cancellable;
	SoupMessage *msg;
	GDataInputStream *stream;
	GOutputStream *problem;            /* the body of an error reply */
	GString *data;                     /* the data lines of the event being read */
	glong widths[COLOCTL_EVENT_NCOLS]; /* of the columns printed so far */
	guint header_timeout;
	GError *error;
} ColoctlFollow;

static void
coloctl_follow_free(ColoctlFollow *follow)
{
	if (follow->header_timeout != 0)
		g_source_remove(follow->header_timeout);
	g_main_loop_unref(follow->loop);
	g_object_unref(follow->cancellable);
	g_clear_object(&follow->msg);
	g_clear_object(&follow->stream);
	g_clear_object(&follow->problem);
	g_string_free(follow->data, TRUE);
	g_clear_error(&follow->error);
	g_free(follow);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ColoctlFollow, coloctl_follow_free)

/* ends the loop with @error (NULL: interrupted), unless it already has a reason */
static void
coloctl_follow_stop(ColoctlFollow *follow, GError *error)
{
	if (follow->error == NULL)
		follow->error = error;
	else
		g_clear_error(&error);
	g_main_loop_quit(follow->loop);
}

/* a failed asynchronous call: a cancellation already has its reason */
static void
coloctl_follow_failed(ColoctlFollow *follow, const GError *cause)
{
	g_autoptr(GError) error = NULL;

	if (g_error_matches(cause, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		g_main_loop_quit(follow->loop);
		return;
	}
	coloctl_transport_error(follow->self, cause, &error);
	coloctl_follow_stop(follow, g_steal_pointer(&error));
}

static gboolean
coloctl_follow_signal_cb(gpointer user_data)
{
	ColoctlFollow *follow = user_data;
	g_cancellable_cancel(follow->cancellable);
	return G_SOURCE_CONTINUE;
}

static gboolean
coloctl_follow_timeout_cb(gpointer user_data)
{
	ColoctlFollow *follow = user_data;

	follow->header_timeout = 0;
	follow->error = g_error_new(COLOCTL_ERROR, COLOCTL_EXIT_UNREACHABLE,
				    "no reply from the daemon at %s within %d s",
				    coloctl_where(follow->self), follow->self->timeout);
	g_cancellable_cancel(follow->cancellable);
	return G_SOURCE_REMOVE;
}

/* columns as wide as the widest cell so far, so that most lines align */
static void
coloctl_follow_print_table(ColoctlFollow *follow, ColoctlTable *table)
{
	g_autofree gchar *text = coloctl_table_render_with(table, 0, follow->widths);
	g_print("%s", text);
	fflush(stdout);
}

static gboolean
coloctl_follow_dispatch(ColoctlFollow *follow, GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(ColoctlTable) table = coloctl_table_new(COLOCTL_EVENT_NCOLS);
	g_autoptr(GError) error_local = NULL;
	JsonNode *root;

	if (follow->data->len == 0)
		return TRUE;
	if (!json_parser_load_from_data(parser, follow->data->str, -1, &error_local))
		return coloctl_bad_reply(error, error_local->message);
	root = json_parser_get_root(parser);
	if (!JSON_NODE_HOLDS_OBJECT(root))
		return coloctl_bad_reply(error, "an event is not a JSON object");
	if (follow->self->json && strchr(follow->data->str, '\n') == NULL) {
		g_print("%s\n", follow->data->str);
	} else if (follow->self->json) {
		/* one event per line, even if the daemon split it over several data lines */
		g_autofree gchar *compact = json_to_string(root, FALSE);
		g_print("%s\n", compact);
	} else {
		coloctl_event_cells(table, json_node_get_object(root));
		coloctl_follow_print_table(follow, table);
	}
	fflush(stdout);
	g_string_truncate(follow->data, 0);
	return TRUE;
}

/* one line of the stream: "field: value", ":comment", or a blank line ending an event */
static gboolean
coloctl_follow_line(ColoctlFollow *follow, const gchar *line, GError **error)
{
	const gchar *colon = strchr(line, ':');
	g_autofree gchar *field = NULL;
	const gchar *value = "";

	if (line[0] == '\0')
		return coloctl_follow_dispatch(follow, error);
	if (line[0] == ':')
		return TRUE;
	field = colon != NULL ? g_strndup(line, colon - line) : g_strdup(line);
	if (colon != NULL)
		value = colon[1] == ' ' ? colon + 2 : colon + 1;
	/* "id" and "event" repeat what the event's JSON says; "retry" is for browsers */
	if (g_strcmp0(field, "data") != 0)
		return TRUE;
	if (follow->data->len > 0)
		g_string_append_c(follow->data, '\n');
	g_string_append(follow->data, value);
	if (follow->data->len > COLOCTL_MAX_EVENT_SIZE)
		return coloctl_bad_reply(error, "an event is too large");
	return TRUE;
}

static void coloctl_follow_read_cb(GObject *source, GAsyncResult *res, gpointer user_data);

static void
coloctl_follow_read(ColoctlFollow *follow)
{
	g_data_input_stream_read_line_async(follow->stream, G_PRIORITY_DEFAULT, follow->cancellable,
					    coloctl_follow_read_cb, follow);
}

static void
coloctl_follow_read_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	ColoctlFollow *follow = user_data;
	g_autoptr(GError) error_local = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *line = NULL;

	line = g_data_input_stream_read_line_finish_utf8(G_DATA_INPUT_STREAM(source), res, NULL,
							 &error_local);
	if (error_local != NULL && error_local->domain == G_CONVERT_ERROR) {
		coloctl_bad_reply(&error, "the event stream is not UTF-8");
		coloctl_follow_stop(follow, g_steal_pointer(&error));
		return;
	}
	if (error_local != NULL) {
		coloctl_follow_failed(follow, error_local);
		return;
	}
	if (line == NULL) {
		error = g_error_new(COLOCTL_ERROR, COLOCTL_EXIT_UNREACHABLE,
				    "the daemon at %s closed the event stream",
				    coloctl_where(follow->self));
		coloctl_follow_stop(follow, g_steal_pointer(&error));
		return;
	}
	if (!coloctl_follow_line(follow, line, &error)) {
		coloctl_follow_stop(follow, g_steal_pointer(&error));
		return;
	}
	coloctl_follow_read(follow);
}

static void
coloctl_follow_problem_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	ColoctlFollow *follow = user_data;
	g_autoptr(GError) error_local = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) body = NULL;

	if (g_output_stream_splice_finish(G_OUTPUT_STREAM(source), res, &error_local) < 0) {
		coloctl_follow_failed(follow, error_local);
		return;
	}
	body = g_memory_output_stream_steal_as_bytes(G_MEMORY_OUTPUT_STREAM(follow->problem));
	coloctl_problem_error(follow->msg, body, &error);
	coloctl_follow_stop(follow, g_steal_pointer(&error));
}

static void
coloctl_follow_send_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	ColoctlFollow *follow = user_data;
	g_autoptr(GError) error_local = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GInputStream) stream = NULL;
	const gchar *type;

	stream = soup_session_send_finish(SOUP_SESSION(source), res, &error_local);
	if (follow->header_timeout != 0) {
		g_source_remove(follow->header_timeout);
		follow->header_timeout = 0;
	}
	if (stream == NULL) {
		coloctl_follow_failed(follow, error_local);
		return;
	}
	if (!SOUP_STATUS_IS_SUCCESSFUL(soup_message_get_status(follow->msg))) {
		follow->problem = g_memory_output_stream_new_resizable();
		g_output_stream_splice_async(
			follow->problem, stream,
			G_OUTPUT_STREAM_SPLICE_CLOSE_SOURCE | G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET,
			G_PRIORITY_DEFAULT, follow->cancellable, coloctl_follow_problem_cb, follow);
		return;
	}
	type = soup_message_headers_get_content_type(soup_message_get_response_headers(follow->msg),
						     NULL);
	if (g_strcmp0(type, "text/event-stream") != 0) {
		coloctl_bad_reply(&error, "not an event stream");
		coloctl_follow_stop(follow, g_steal_pointer(&error));
		return;
	}
	if (!follow->self->json) {
		/* room for ids up to 9999, ISO 8601 times with microseconds and typical names */
		const glong widths[COLOCTL_EVENT_NCOLS] = {4, 27, 12, 16, 0};
		g_autoptr(ColoctlTable) header = coloctl_table_new(COLOCTL_EVENT_NCOLS);
		memcpy(follow->widths, widths, sizeof(widths));
		coloctl_table_add_header(header, coloctl_event_header);
		coloctl_follow_print_table(follow, header);
	}
	follow->stream = g_data_input_stream_new(stream);
	g_data_input_stream_set_newline_type(follow->stream, G_DATA_STREAM_NEWLINE_TYPE_ANY);
	coloctl_follow_read(follow);
}

static gboolean
coloctl_events_follow(Coloctl *self, const gchar *query, GError **error)
{
	g_autoptr(ColoctlFollow) follow = g_new0(ColoctlFollow, 1);
	g_autofree gchar *path = g_strconcat("/v1/events/stream", query, NULL);
	guint sigint;
	guint sigterm;

	follow->self = self;
	follow->loop = g_main_loop_new(NULL, FALSE);
	follow->cancellable = g_cancellable_new();
	follow->data = g_string_new(NULL);
	follow->msg = coloctl_message_new(self, "GET", path, NULL, error);
	if (follow->msg == NULL)
		return FALSE;
	soup_message_headers_replace(soup_message_get_request_headers(follow->msg), "Accept",
				     "text/event-stream, application/problem+json");
	/* --timeout bounds the wait for the reply's headers, not the stream */
	soup_session_set_timeout(self->session, 0);
	follow->header_timeout =
		g_timeout_add_seconds(self->timeout, coloctl_follow_timeout_cb, follow);
	sigint = g_unix_signal_add(SIGINT, coloctl_follow_signal_cb, follow);
	sigterm = g_unix_signal_add(SIGTERM, coloctl_follow_signal_cb, follow);
	soup_session_send_async(self->session, follow->msg, G_PRIORITY_DEFAULT, follow->cancellable,
				coloctl_follow_send_cb, follow);
	g_main_loop_run(follow->loop);
	g_source_remove(sigint);
	g_source_remove(sigterm);
	if (follow->error != NULL) {
		g_propagate_error(error, g_steal_pointer(&follow->error));
		return FALSE;
	}
	return TRUE;
}

static gboolean
coloctl_cmd_events(Coloctl *self, const ColoctlCommand *cmd, gint argc, gchar **argv,
		   GError **error)
{
	gboolean follow = FALSE;
	g_autofree gchar *after_str = NULL;
	const GOptionEntry entries[] = {
		{"follow", 'f', 0, G_OPTION_ARG_NONE, &follow,
		 "Print events as they happen, until interrupted", NULL},
		{"after", 0, 0, G_OPTION_ARG_STRING, &after_str, "Only events after this ID", "ID"},
		G_OPTION_ENTRY_NULL};
	g_autofree gchar *query = NULL;
	gint64 after = 0;

	if (!coloctl_parse_command(cmd, entries, &argc, &argv, 0, 0, error))
		return FALSE;
	if (!coloctl_parse_number("--after", after_str, 0, &after, error))
		return FALSE;
	query = after_str != NULL ? g_strdup_printf("?after=%" G_GINT64_FORMAT, after)
				  : g_strdup("");
	if (follow)
		return coloctl_events_follow(self, query, error);
	return coloctl_events_list(self, query, error);
}

/* hosts, version */

static gboolean
coloctl_cmd_hosts(Coloctl *self, const ColoctlCommand *cmd, gint argc, gchar **argv, GError **error)
{
	const gchar *const header[] = {"NAME", "BACKEND", "ADDRESS", "NETNS", NULL};
	const gchar *const keys[] = {"name", "backend", "address", "netns", NULL};
	g_autoptr(ColoctlReply) reply = NULL;
	g_autoptr(ColoctlTable) table = coloctl_table_new(G_N_ELEMENTS(header) - 1);
	JsonArray *hosts;

	if (!coloctl_parse_command(cmd, NULL, &argc, &argv, 0, 0, error))
		return FALSE;
	if (!coloctl_get_array(self, "/v1/hosts", "hosts", &reply, &hosts, error))
		return FALSE;
	if (hosts == NULL)
		return TRUE;
	coloctl_table_add_header(table, header);
	for (guint i = 0; i < json_array_get_length(hosts); i++) {
		JsonObject *host = coloctl_array_object(hosts, i);
		for (guint j = 0; keys[j] != NULL; j++)
			coloctl_table_take(table, coloctl_json_display(host, keys[j]));
	}
	coloctl_table_print(table, 0);
	return TRUE;
}

static void
coloctl_print_health(JsonObject *health)
{
	g_autofree gchar *version = coloctl_json_display(health, "version");
	g_autofree gchar *status = coloctl_json_display(health, "status");
	JsonNode *qemu_node = json_object_get_member(health, "qemu");
	JsonObject *qemu = NULL;
	const gchar *qemu_version;
	g_autofree gchar *line = NULL;

	if (qemu_node != NULL && JSON_NODE_HOLDS_OBJECT(qemu_node))
		qemu = json_node_get_object(qemu_node);
	qemu_version = coloctl_json_string(qemu, "version");
	line = g_strdup_printf("coloctld %s (%s)", version, status);
	coloctl_print_line(line);
	g_clear_pointer(&line, g_free);
	if (qemu_version != NULL)
		line = g_strdup_printf("qemu %s", qemu_version);
	else if (coloctl_json_string(health, "qemu_error") != NULL)
		line = g_strdup_printf("qemu unavailable: %s",
				       coloctl_json_string(health, "qemu_error"));
	if (line != NULL)
		coloctl_print_line(line);
}

static gboolean
coloctl_cmd_version(Coloctl *self, const ColoctlCommand *cmd, gint argc, gchar **argv,
		    GError **error)
{
	g_autoptr(ColoctlReply) reply = NULL;
	JsonObject *health;

	if (!coloctl_parse_command(cmd, NULL, &argc, &argv, 0, 0, error))
		return FALSE;
	/* with --json, stdout holds the daemon's JSON only */
	if (!self->json)
		g_print("coloctl %s\n", PACKAGE_VERSION);
	fflush(stdout);
	reply = coloctl_request(self, "GET", "/v1/health", NULL, error);
	if (reply == NULL)
		return FALSE;
	health = coloctl_reply_object(reply, error);
	if (health == NULL)
		return FALSE;
	if (self->json)
		coloctl_print_raw(reply);
	else
		coloctl_print_health(health);
	return TRUE;
}

/* the command line */

static const ColoctlCommand coloctl_commands[] = {
	{"list", "", "List the guests", coloctl_cmd_list},
	{"show", "NAME", "Show a guest and its members", coloctl_cmd_show},
	{"create", "NAME --memory MIB --disk PATH [OPTION...]", "Define a guest",
	 coloctl_cmd_create},
	{"start", "NAME", "Start a guest", coloctl_cmd_start},
	{"stop", "NAME [--force]", "Stop a guest", coloctl_cmd_stop},
	{"delete", "NAME", "Delete a guest", coloctl_cmd_delete},
	{"migrate", "NAME --to HOST [--max-downtime MS] [--bandwidth MIBPS] [--policy P] [--wait]",
	 "Live-migrate a running guest", coloctl_cmd_migrate},
	{"migrate-cancel", "NAME", "Cancel a running migration", coloctl_cmd_migrate_cancel},
	{"migration", "NAME [--samples]", "Show the current or last migration",
	 coloctl_cmd_migration},
	{"protect", "NAME [--secondary-host HOST] [--checkpoint-ms MS] [--wait] [OPTION...]",
	 "Make a running guest fault tolerant with a COLO secondary", coloctl_cmd_protect},
	{"failover", "NAME [--to primary|secondary] [--wait [--timeout S]]",
	 "Fail a protected guest over to one of its members", coloctl_cmd_failover},
	{"failovers", "NAME", "List the failovers of a guest", coloctl_cmd_failovers},
	{"unprotect", "NAME", "End a guest's protection (its secondary is fenced)",
	 coloctl_cmd_unprotect},
	{"events", "[-f|--follow] [--after ID]", "Print the events, or follow them",
	 coloctl_cmd_events},
	{"hosts", "", "List the hosts guests can run on", coloctl_cmd_hosts},
	{"version", "", "Print the versions of coloctl and of the daemon", coloctl_cmd_version},
};

static gchar *
coloctl_commands_help(void)
{
	g_autoptr(ColoctlTable) table = coloctl_table_new(2);
	g_autofree gchar *rendered = NULL;

	for (guint i = 0; i < G_N_ELEMENTS(coloctl_commands); i++) {
		const ColoctlCommand *cmd = &coloctl_commands[i];
		coloctl_table_take(table, g_strdup_printf("%s %s", cmd->name, cmd->args));
		coloctl_table_add(table, cmd->summary);
	}
	rendered = coloctl_table_render(table, 2);
	return g_strdup_printf("Commands:\n%s\nRun 'coloctl COMMAND --help' for the options of a "
			       "command. Global options go before the command.",
			       rendered);
}

static const ColoctlCommand *
coloctl_command_find(const gchar *name)
{
	for (guint i = 0; i < G_N_ELEMENTS(coloctl_commands); i++) {
		if (g_strcmp0(coloctl_commands[i].name, name) == 0)
			return &coloctl_commands[i];
	}
	return NULL;
}

static gboolean
coloctl_parse_global(Coloctl *self, gint *argc, gchar ***argv, GError **error)
{
	const GOptionEntry entries[] = {
		{"json", 0, 0, G_OPTION_ARG_NONE, &self->json,
		 "Print the daemon's JSON replies exactly, and nothing else", NULL},
		{"url", 0, 0, G_OPTION_ARG_STRING, &self->url,
		 "Talk to the daemon over TCP at URL, not over its UNIX socket", "URL"},
		{"token-file", 0, 0, G_OPTION_ARG_FILENAME, &self->token_file,
		 "Send the bearer token stored in FILE", "FILE"},
		{"timeout", 0, 0, G_OPTION_ARG_INT, &self->timeout,
		 "Wait at most S seconds for the daemon (default 30)", "S"},
		{"version", 0, 0, G_OPTION_ARG_NONE, &self->print_version,
		 "Print the version of coloctl", NULL},
		G_OPTION_ENTRY_NULL};
	g_autoptr(GOptionContext) ctx = g_option_context_new("COMMAND [ARGS...]");
	g_autofree gchar *summary = coloctl_commands_help();

	g_option_context_set_strict_posix(ctx, TRUE);
	g_option_context_set_summary(ctx, summary);
	g_option_context_set_description(ctx, coloctl_exit_help);
	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, argc, argv, error))
		return FALSE;
	if (self->print_version)
		return TRUE;
	if (self->timeout <= 0)
		return coloctl_usage_error(error, "invalid --timeout: must be a positive integer");
	if (*argc < 2)
		return coloctl_usage_error(error, "no command given (see coloctl --help)");
	return TRUE;
}

static gboolean
coloctl_load_token(Coloctl *self, GError **error)
{
	g_autoptr(GError) error_local = NULL;
	g_autofree gchar *contents = NULL;

	if (self->token_file == NULL)
		return TRUE;
	if (!g_file_get_contents(self->token_file, &contents, NULL, &error_local))
		return coloctl_usage_error(error, "cannot read the token: %s",
					   error_local->message);
	g_strstrip(contents);
	if (contents[0] == '\0')
		return coloctl_usage_error(error, "the token file %s is empty", self->token_file);
	for (const gchar *p = contents; *p != '\0'; p++) {
		if (!g_ascii_isgraph(*p))
			return coloctl_usage_error(error, "the token file %s has a bad character",
						   self->token_file);
	}
	self->token = g_steal_pointer(&contents);
	return TRUE;
}

/* the base URL and the session: --url over TCP, else the UNIX socket */
static gboolean
coloctl_setup_transport(Coloctl *self, GError **error)
{
	g_autoptr(GError) error_local = NULL;
	g_autoptr(GUri) uri = NULL;
	g_autoptr(GSocketAddress) address = NULL;
	const gchar *runtime_dir = g_getenv("COLOCTL_RUNTIME_DIR");
	const gchar *agent = "coloctl/" PACKAGE_VERSION;

	if (self->url == NULL) {
		if (runtime_dir == NULL || runtime_dir[0] == '\0')
			runtime_dir = COLO_RUNTIMEDIR;
		self->socket_path = g_build_filename(runtime_dir, COLOCTL_SOCKET_NAME, NULL);
		self->base = g_strdup(COLOCTL_UNIX_BASE);
		address = g_unix_socket_address_new(self->socket_path);
		self->session = soup_session_new_with_options("remote-connectable", address,
							      "timeout", (guint)self->timeout,
							      "user-agent", agent, NULL);
		return TRUE;
	}
	uri = g_uri_parse(self->url, SOUP_HTTP_URI_FLAGS, &error_local);
	if (uri == NULL)
		return coloctl_usage_error(error, "invalid --url: %s", error_local->message);
	if ((g_strcmp0(g_uri_get_scheme(uri), "http") != 0 &&
	     g_strcmp0(g_uri_get_scheme(uri), "https") != 0) ||
	    g_uri_get_query(uri) != NULL || g_uri_get_fragment(uri) != NULL)
		return coloctl_usage_error(error,
					   "invalid --url '%s': must be http:// or "
					   "https://HOST[:PORT][/PREFIX]",
					   self->url);
	self->base = g_strdup(self->url);
	while (g_str_has_suffix(self->base, "/"))
		self->base[strlen(self->base) - 1] = '\0';
	self->session = soup_session_new_with_options("timeout", (guint)self->timeout, "user-agent",
						      agent, NULL);
	return TRUE;
}

static gboolean
coloctl_run(Coloctl *self, gint argc, gchar **argv, GError **error)
{
	const ColoctlCommand *cmd;

	if (!coloctl_parse_global(self, &argc, &argv, error))
		return FALSE;
	if (self->print_version) {
		g_print("coloctl %s\n", PACKAGE_VERSION);
		return TRUE;
	}
	cmd = coloctl_command_find(argv[1]);
	if (cmd == NULL)
		return coloctl_usage_error(error, "unknown command '%s' (see coloctl --help)",
					   argv[1]);
	if (!coloctl_load_token(self, error) || !coloctl_setup_transport(self, error))
		return FALSE;
	return cmd->func(self, cmd, argc - 1, argv + 1, error);
}

int
main(int argc, char **argv)
{
	g_autoptr(Coloctl) self = g_new0(Coloctl, 1);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *message = NULL;

	setlocale(LC_ALL, "");
	self->timeout = COLOCTL_DEFAULT_TIMEOUT_S;
	if (coloctl_run(self, argc, argv, &error))
		return COLOCTL_EXIT_OK;
	message = coloctl_sanitize(error->message);
	g_printerr("coloctl: %s\n", message);
	return coloctl_exit_from_error(error);
}
