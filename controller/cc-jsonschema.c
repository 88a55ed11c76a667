/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "CcJsonSchema"

#include "config.h"

#include "cc-jsonschema.h"
#include "colo-error.h"

/* the order of the bits is the order of the names in "expected string or null" */
typedef enum {
	CC_SCHEMA_TYPE_STRING = 1 << 0,
	CC_SCHEMA_TYPE_INTEGER = 1 << 1,
	CC_SCHEMA_TYPE_NUMBER = 1 << 2,
	CC_SCHEMA_TYPE_BOOLEAN = 1 << 3,
	CC_SCHEMA_TYPE_OBJECT = 1 << 4,
	CC_SCHEMA_TYPE_ARRAY = 1 << 5,
	CC_SCHEMA_TYPE_NULL = 1 << 6,
} CcSchemaType;

static const gchar *const cc_schema_type_names[] = {
	"string", "integer", "number", "boolean", "object", "array", "null",
};

typedef struct {
	gboolean set;
	gboolean is_int;
	gint64 i;
	gdouble d;
} CcSchemaBound;

typedef struct _CcSchemaNode CcSchemaNode;
struct _CcSchemaNode {
	gboolean reject_all;      /* the schema false */
	guint types;              /* CcSchemaType mask, 0 for any */
	GPtrArray *required;      /* of gchar *, in schema order */
	GHashTable *properties;   /* name -> CcSchemaNode */
	CcSchemaNode *additional; /* NULL: any other member is allowed */
	GPtrArray *enum_values;   /* of JsonNode */
	JsonNode *const_value;
	CcSchemaBound minimum;
	CcSchemaBound maximum;
	gint64 min_length; /* -1 when unset, as the other limits */
	gint64 max_length;
	GRegex *pattern;
	CcSchemaNode *items;
	gint64 min_items;
	gint64 max_items;
};

struct _CcJsonSchema {
	CcSchemaNode *root;
};

static void
cc_schema_node_free(CcSchemaNode *node)
{
	if (node == NULL)
		return;
	g_clear_pointer(&node->required, g_ptr_array_unref);
	g_clear_pointer(&node->properties, g_hash_table_unref);
	g_clear_pointer(&node->additional, cc_schema_node_free);
	g_clear_pointer(&node->enum_values, g_ptr_array_unref);
	g_clear_pointer(&node->const_value, json_node_unref);
	g_clear_pointer(&node->pattern, g_regex_unref);
	g_clear_pointer(&node->items, cc_schema_node_free);
	g_free(node);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CcSchemaNode, cc_schema_node_free)

static CcSchemaNode *
cc_schema_node_new(void)
{
	CcSchemaNode *node = g_new0(CcSchemaNode, 1);
	node->min_length = -1;
	node->max_length = -1;
	node->min_items = -1;
	node->max_items = -1;
	return node;
}

static gboolean
cc_schema_node_holds(JsonNode *node, GType type)
{
	return JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == type;
}

static CcSchemaType
cc_schema_instance_type(JsonNode *node)
{
	if (JSON_NODE_HOLDS_OBJECT(node))
		return CC_SCHEMA_TYPE_OBJECT;
	if (JSON_NODE_HOLDS_ARRAY(node))
		return CC_SCHEMA_TYPE_ARRAY;
	if (JSON_NODE_HOLDS_NULL(node))
		return CC_SCHEMA_TYPE_NULL;
	if (cc_schema_node_holds(node, G_TYPE_INT64))
		return CC_SCHEMA_TYPE_INTEGER;
	if (cc_schema_node_holds(node, G_TYPE_DOUBLE))
		return CC_SCHEMA_TYPE_NUMBER;
	if (cc_schema_node_holds(node, G_TYPE_BOOLEAN))
		return CC_SCHEMA_TYPE_BOOLEAN;
	return CC_SCHEMA_TYPE_STRING;
}

static const gchar *
cc_schema_type_name(CcSchemaType type)
{
	for (guint i = 0; i < G_N_ELEMENTS(cc_schema_type_names); i++) {
		if (type == (1u << i))
			return cc_schema_type_names[i];
	}
	return "unknown";
}

/* "string", "string or null", "string, integer or null" */
static gchar *
cc_schema_types_to_string(guint types)
{
	g_autoptr(GPtrArray) names = g_ptr_array_new();
	GString *str = g_string_new(NULL);

	for (guint i = 0; i < G_N_ELEMENTS(cc_schema_type_names); i++) {
		if (types & (1u << i))
			g_ptr_array_add(names, (gpointer)cc_schema_type_names[i]);
	}
	for (guint i = 0; i < names->len; i++) {
		if (i > 0)
			g_string_append(str, i + 1 == names->len ? " or " : ", ");
		g_string_append(str, g_ptr_array_index(names, i));
	}
	return g_string_free(str, FALSE);
}

/* schema locations are JSON pointers: "#/properties/a~1b" */
static gchar *
cc_schema_where(const gchar *where, const gchar *keyword, const gchar *member)
{
	GString *str = g_string_new(where);

	g_string_append_printf(str, "/%s", keyword);
	if (member == NULL)
		return g_string_free(str, FALSE);
	g_string_append_c(str, '/');
	for (const gchar *p = member; *p != '\0'; p++) {
		if (*p == '~')
			g_string_append(str, "~0");
		else if (*p == '/')
			g_string_append(str, "~1");
		else
			g_string_append_c(str, *p);
	}
	return g_string_free(str, FALSE);
}

static gboolean
cc_schema_bad(GError **error, const gchar *where, const gchar *keyword, const gchar *what)
{
	g_set_error(error, COLO_ERROR, COLO_ERROR_INVALID_INPUT, "%s: %s %s", where, keyword, what);
	return FALSE;
}

static CcSchemaNode *cc_schema_node_compile(JsonNode *schema, const gchar *where, GError **error);

static gboolean
cc_schema_type_from_name(JsonNode *value, guint *type)
{
	const gchar *name;

	if (!cc_schema_node_holds(value, G_TYPE_STRING))
		return FALSE;
	name = json_node_get_string(value);
	for (guint i = 0; i < G_N_ELEMENTS(cc_schema_type_names); i++) {
		if (g_strcmp0(name, cc_schema_type_names[i]) == 0) {
			*type = 1u << i;
			return TRUE;
		}
	}
	return FALSE;
}

static gboolean
cc_schema_compile_type(CcSchemaNode *node, JsonNode *value, const gchar *where, GError **error)
{
	const gchar *what = "must be a type name or a non-empty array of distinct type names";
	JsonArray *array;
	guint type = 0;

	if (cc_schema_type_from_name(value, &type)) {
		node->types = type;
		return TRUE;
	}
	if (!JSON_NODE_HOLDS_ARRAY(value))
		return cc_schema_bad(error, where, "type", what);
	array = json_node_get_array(value);
	if (json_array_get_length(array) == 0)
		return cc_schema_bad(error, where, "type", what);
	for (guint i = 0; i < json_array_get_length(array); i++) {
		if (!cc_schema_type_from_name(json_array_get_element(array, i), &type))
			return cc_schema_bad(error, where, "type", what);
		if (node->types & type)
			return cc_schema_bad(error, where, "type", what);
		node->types |= type;
	}
	return TRUE;
}

static gboolean
cc_schema_compile_properties(CcSchemaNode *node, JsonNode *value, const gchar *where,
			     GError **error)
{
	JsonObject *obj;
	g_autoptr(GList) names = NULL;

	if (!JSON_NODE_HOLDS_OBJECT(value))
		return cc_schema_bad(error, where, "properties", "must be an object");
	node->properties = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
						 (GDestroyNotify)cc_schema_node_free);
	obj = json_node_get_object(value);
	names = json_object_get_members(obj);
	for (GList *l = names; l != NULL; l = l->next) {
		const gchar *name = l->data;
		g_autofree gchar *sub = cc_schema_where(where, "properties", name);
		CcSchemaNode *child =
			cc_schema_node_compile(json_object_get_member(obj, name), sub, error);
		if (child == NULL)
			return FALSE;
		g_hash_table_insert(node->properties, g_strdup(name), child);
	}
	return TRUE;
}

static gboolean
cc_schema_compile_required(CcSchemaNode *node, JsonNode *value, const gchar *where, GError **error)
{
	const gchar *what = "must be an array of distinct strings";
	JsonArray *array;

	if (!JSON_NODE_HOLDS_ARRAY(value))
		return cc_schema_bad(error, where, "required", what);
	node->required = g_ptr_array_new_with_free_func(g_free);
	array = json_node_get_array(value);
	for (guint i = 0; i < json_array_get_length(array); i++) {
		JsonNode *elem = json_array_get_element(array, i);
		const gchar *name;
		if (!cc_schema_node_holds(elem, G_TYPE_STRING))
			return cc_schema_bad(error, where, "required", what);
		name = json_node_get_string(elem);
		if (g_ptr_array_find_with_equal_func(node->required, name, g_str_equal, NULL))
			return cc_schema_bad(error, where, "required", what);
		g_ptr_array_add(node->required, g_strdup(name));
	}
	return TRUE;
}

static gboolean
cc_schema_compile_additional(CcSchemaNode *node, JsonNode *value, const gchar *where,
			     GError **error)
{
	g_autofree gchar *sub = cc_schema_where(where, "additionalProperties", NULL);
	node->additional = cc_schema_node_compile(value, sub, error);
	return node->additional != NULL;
}

static gboolean
cc_schema_compile_items(CcSchemaNode *node, JsonNode *value, const gchar *where, GError **error)
{
	g_autofree gchar *sub = cc_schema_where(where, "items", NULL);
	node->items = cc_schema_node_compile(value, sub, error);
	return node->items != NULL;
}

static gboolean
cc_schema_compile_enum(CcSchemaNode *node, JsonNode *value, const gchar *where, GError **error)
{
	JsonArray *array;

	if (!JSON_NODE_HOLDS_ARRAY(value))
		return cc_schema_bad(error, where, "enum", "must be a non-empty array");
	array = json_node_get_array(value);
	if (json_array_get_length(array) == 0)
		return cc_schema_bad(error, where, "enum", "must be a non-empty array");
	node->enum_values = g_ptr_array_new_with_free_func((GDestroyNotify)json_node_unref);
	for (guint i = 0; i < json_array_get_length(array); i++)
		g_ptr_array_add(node->enum_values,
				json_node_copy(json_array_get_element(array, i)));
	return TRUE;
}

static gboolean
cc_schema_compile_const(CcSchemaNode *node, JsonNode *value, const gchar *where, GError **error)
{
	node->const_value = json_node_copy(value);
	return TRUE;
}

static gboolean
cc_schema_compile_bound(CcSchemaBound *bound, JsonNode *value)
{
	if (cc_schema_node_holds(value, G_TYPE_INT64)) {
		bound->is_int = TRUE;
		bound->i = json_node_get_int(value);
		bound->d = (gdouble)bound->i;
	} else if (cc_schema_node_holds(value, G_TYPE_DOUBLE)) {
		bound->d = json_node_get_double(value);
	} else {
		return FALSE;
	}
	bound->set = TRUE;
	return TRUE;
}

static gboolean
cc_schema_compile_minimum(CcSchemaNode *node, JsonNode *value, const gchar *where, GError **error)
{
	if (!cc_schema_compile_bound(&node->minimum, value))
		return cc_schema_bad(error, where, "minimum", "must be a number");
	return TRUE;
}

static gboolean
cc_schema_compile_maximum(CcSchemaNode *node, JsonNode *value, const gchar *where, GError **error)
{
	if (!cc_schema_compile_bound(&node->maximum, value))
		return cc_schema_bad(error, where, "maximum", "must be a number");
	return TRUE;
}

static gboolean
cc_schema_compile_count(gint64 *count, JsonNode *value, const gchar *where, const gchar *keyword,
			GError **error)
{
	if (!cc_schema_node_holds(value, G_TYPE_INT64) || json_node_get_int(value) < 0)
		return cc_schema_bad(error, where, keyword, "must be a non-negative integer");
	*count = json_node_get_int(value);
	return TRUE;
}

static gboolean
cc_schema_compile_min_length(CcSchemaNode *node, JsonNode *value, const gchar *where,
			     GError **error)
{
	return cc_schema_compile_count(&node->min_length, value, where, "minLength", error);
}

static gboolean
cc_schema_compile_max_length(CcSchemaNode *node, JsonNode *value, const gchar *where,
			     GError **error)
{
	return cc_schema_compile_count(&node->max_length, value, where, "maxLength", error);
}

static gboolean
cc_schema_compile_min_items(CcSchemaNode *node, JsonNode *value, const gchar *where, GError **error)
{
	return cc_schema_compile_count(&node->min_items, value, where, "minItems", error);
}

static gboolean
cc_schema_compile_max_items(CcSchemaNode *node, JsonNode *value, const gchar *where, GError **error)
{
	return cc_schema_compile_count(&node->max_items, value, where, "maxItems", error);
}

static gboolean
cc_schema_compile_pattern(CcSchemaNode *node, JsonNode *value, const gchar *where, GError **error)
{
	g_autoptr(GError) error_local = NULL;

	if (!cc_schema_node_holds(value, G_TYPE_STRING))
		return cc_schema_bad(error, where, "pattern", "must be a string");
	/* like ECMA-262, "$" only matches at the very end, not before a final newline */
	node->pattern =
		g_regex_new(json_node_get_string(value), G_REGEX_DOLLAR_ENDONLY, 0, &error_local);
	if (node->pattern == NULL) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_INVALID_INPUT,
			    "%s: pattern is invalid: %s", where, error_local->message);
		return FALSE;
	}
	return TRUE;
}

typedef gboolean (*CcSchemaKeywordFunc)(CcSchemaNode *node, JsonNode *value, const gchar *where,
					GError **error);

typedef struct {
	const gchar *name;
	CcSchemaKeywordFunc func; /* NULL: an annotation, ignored */
} CcSchemaKeyword;

static const CcSchemaKeyword cc_schema_keywords[] = {
	{"type", cc_schema_compile_type},
	{"properties", cc_schema_compile_properties},
	{"required", cc_schema_compile_required},
	{"additionalProperties", cc_schema_compile_additional},
	{"enum", cc_schema_compile_enum},
	{"const", cc_schema_compile_const},
	{"minimum", cc_schema_compile_minimum},
	{"maximum", cc_schema_compile_maximum},
	{"minLength", cc_schema_compile_min_length},
	{"maxLength", cc_schema_compile_max_length},
	{"pattern", cc_schema_compile_pattern},
	{"items", cc_schema_compile_items},
	{"minItems", cc_schema_compile_min_items},
	{"maxItems", cc_schema_compile_max_items},
	{"description", NULL},
	{"title", NULL},
	{"$schema", NULL},
	{"$id", NULL},
	{"examples", NULL},
};

static const CcSchemaKeyword *
cc_schema_keyword_find(const gchar *name)
{
	for (guint i = 0; i < G_N_ELEMENTS(cc_schema_keywords); i++) {
		if (g_strcmp0(cc_schema_keywords[i].name, name) == 0)
			return &cc_schema_keywords[i];
	}
	return NULL;
}

static CcSchemaNode *
cc_schema_node_compile(JsonNode *schema, const gchar *where, GError **error)
{
	g_autoptr(CcSchemaNode) node = cc_schema_node_new();
	g_autoptr(GList) names = NULL;
	JsonObject *obj;

	if (cc_schema_node_holds(schema, G_TYPE_BOOLEAN)) {
		node->reject_all = !json_node_get_boolean(schema);
		return g_steal_pointer(&node);
	}
	if (!JSON_NODE_HOLDS_OBJECT(schema)) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_INVALID_INPUT,
			    "%s: a schema must be an object or a boolean", where);
		return NULL;
	}
	obj = json_node_get_object(schema);
	names = json_object_get_members(obj);
	for (GList *l = names; l != NULL; l = l->next) {
		const gchar *name = l->data;
		const CcSchemaKeyword *keyword = cc_schema_keyword_find(name);
		if (keyword == NULL) {
			g_set_error(error, COLO_ERROR, COLO_ERROR_INVALID_INPUT,
				    "%s: unknown keyword \"%s\"", where, name);
			return NULL;
		}
		if (keyword->func == NULL)
			continue;
		if (!keyword->func(node, json_object_get_member(obj, name), where, error))
			return NULL;
	}
	return g_steal_pointer(&node);
}

CcJsonSchema *
cc_json_schema_new(JsonNode *schema, GError **error)
{
	g_autofree CcJsonSchema *self = g_new0(CcJsonSchema, 1);

	g_return_val_if_fail(schema != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	self->root = cc_schema_node_compile(schema, "#", error);
	if (self->root == NULL)
		return NULL;
	return g_steal_pointer(&self);
}

void
cc_json_schema_free(CcJsonSchema *self)
{
	if (self == NULL)
		return;
	cc_schema_node_free(self->root);
	g_free(self);
}

void
cc_json_schema_error_clear(CcJsonSchemaError *err)
{
	if (err == NULL)
		return;
	g_clear_pointer(&err->path, g_free);
	err->kind = CC_JSON_SCHEMA_ERROR_WRONG_TYPE;
}

const gchar *
cc_json_schema_error_kind_to_string(CcJsonSchemaErrorKind kind)
{
	switch (kind) {
	case CC_JSON_SCHEMA_ERROR_WRONG_TYPE:
		return "wrong-type";
	case CC_JSON_SCHEMA_ERROR_UNKNOWN_FIELD:
		return "unknown-field";
	case CC_JSON_SCHEMA_ERROR_MISSING_FIELD:
		return "missing-field";
	case CC_JSON_SCHEMA_ERROR_INVALID_VALUE:
		return "invalid-value";
	default:
		return "unknown";
	}
}

static gboolean cc_schema_fail(CcJsonSchemaError *out, GError **error, CcJsonSchemaErrorKind kind,
			       const gchar *path, const gchar *fmt, ...) G_GNUC_PRINTF(5, 6);

static gboolean
cc_schema_fail(CcJsonSchemaError *out, GError **error, CcJsonSchemaErrorKind kind,
	       const gchar *path, const gchar *fmt, ...)
{
	va_list args;
	g_autofree gchar *msg = NULL;

	va_start(args, fmt);
	msg = g_strdup_vprintf(fmt, args);
	va_end(args);
	if (out != NULL) {
		out->kind = kind;
		g_free(out->path);
		out->path = g_strdup(path);
	}
	g_set_error(error, COLO_ERROR, COLO_ERROR_INVALID_INPUT, "%s: %s", path, msg);
	return FALSE;
}

static gboolean
cc_schema_is_identifier(const gchar *name)
{
	if (!g_ascii_isalpha(name[0]) && name[0] != '_')
		return FALSE;
	for (const gchar *p = name; *p != '\0'; p++) {
		if (!g_ascii_isalnum(*p) && *p != '_')
			return FALSE;
	}
	return TRUE;
}

/* "$.name", or "$[\"odd key\"]" for a name that is not an identifier */
static gchar *
cc_schema_path_member(const gchar *path, const gchar *name)
{
	g_autoptr(JsonNode) node = NULL;
	g_autofree gchar *quoted = NULL;

	if (cc_schema_is_identifier(name))
		return g_strdup_printf("%s.%s", path, name);
	node = json_node_new(JSON_NODE_VALUE);
	json_node_set_string(node, name);
	quoted = json_to_string(node, FALSE);
	return g_strdup_printf("%s[%s]", path, quoted);
}

static gchar *
cc_schema_bound_to_string(const CcSchemaBound *bound)
{
	gchar buf[G_ASCII_DTOSTR_BUF_SIZE];

	if (bound->is_int)
		return g_strdup_printf("%" G_GINT64_FORMAT, bound->i);
	return g_strdup(g_ascii_formatd(buf, sizeof(buf), "%g", bound->d));
}

/* <0, 0, >0 as @inst (a JSON number) is below, at or above @bound */
static gint
cc_schema_bound_cmp(JsonNode *inst, const CcSchemaBound *bound)
{
	gdouble d;

	if (cc_schema_node_holds(inst, G_TYPE_INT64) && bound->is_int) {
		gint64 i = json_node_get_int(inst);
		return i < bound->i ? -1 : (i > bound->i ? 1 : 0);
	}
	d = json_node_get_double(inst);
	return d < bound->d ? -1 : (d > bound->d ? 1 : 0);
}

static gboolean cc_schema_node_validate(CcSchemaNode *node, JsonNode *inst, const gchar *path,
					CcJsonSchemaError *out, GError **error);

static gboolean
cc_schema_check_type(CcSchemaNode *node, JsonNode *inst, const gchar *path, CcJsonSchemaError *out,
		     GError **error)
{
	CcSchemaType got = cc_schema_instance_type(inst);
	g_autofree gchar *expected = NULL;

	if (node->types == 0 || (node->types & got) != 0)
		return TRUE;
	if (got == CC_SCHEMA_TYPE_INTEGER && (node->types & CC_SCHEMA_TYPE_NUMBER) != 0)
		return TRUE;
	expected = cc_schema_types_to_string(node->types);
	return cc_schema_fail(out, error, CC_JSON_SCHEMA_ERROR_WRONG_TYPE, path,
			      "expected %s, got %s", expected, cc_schema_type_name(got));
}

static gboolean
cc_schema_check_values(CcSchemaNode *node, JsonNode *inst, const gchar *path,
		       CcJsonSchemaError *out, GError **error)
{
	g_autoptr(GString) allowed = NULL;

	if (node->const_value != NULL && !json_node_equal(node->const_value, inst)) {
		g_autofree gchar *want = json_to_string(node->const_value, FALSE);
		return cc_schema_fail(out, error, CC_JSON_SCHEMA_ERROR_INVALID_VALUE, path,
				      "must be %s", want);
	}
	if (node->enum_values == NULL)
		return TRUE;
	allowed = g_string_new(NULL);
	for (guint i = 0; i < node->enum_values->len; i++) {
		JsonNode *value = g_ptr_array_index(node->enum_values, i);
		g_autofree gchar *text = NULL;
		if (json_node_equal(value, inst))
			return TRUE;
		text = json_to_string(value, FALSE);
		g_string_append_printf(allowed, "%s%s", i > 0 ? ", " : "", text);
	}
	return cc_schema_fail(out, error, CC_JSON_SCHEMA_ERROR_INVALID_VALUE, path,
			      "must be one of %s", allowed->str);
}

static gboolean
cc_schema_check_number(CcSchemaNode *node, JsonNode *inst, const gchar *path,
		       CcJsonSchemaError *out, GError **error)
{
	if (node->minimum.set && cc_schema_bound_cmp(inst, &node->minimum) < 0) {
		g_autofree gchar *bound = cc_schema_bound_to_string(&node->minimum);
		return cc_schema_fail(out, error, CC_JSON_SCHEMA_ERROR_INVALID_VALUE, path,
				      "must be >= %s", bound);
	}
	if (node->maximum.set && cc_schema_bound_cmp(inst, &node->maximum) > 0) {
		g_autofree gchar *bound = cc_schema_bound_to_string(&node->maximum);
		return cc_schema_fail(out, error, CC_JSON_SCHEMA_ERROR_INVALID_VALUE, path,
				      "must be <= %s", bound);
	}
	return TRUE;
}

static gboolean
cc_schema_check_string(CcSchemaNode *node, JsonNode *inst, const gchar *path,
		       CcJsonSchemaError *out, GError **error)
{
	const gchar *str = json_node_get_string(inst);
	gint64 len = g_utf8_strlen(str, -1);

	if (node->min_length >= 0 && len < node->min_length) {
		return cc_schema_fail(out, error, CC_JSON_SCHEMA_ERROR_INVALID_VALUE, path,
				      "must be at least %" G_GINT64_FORMAT " characters long",
				      node->min_length);
	}
	if (node->max_length >= 0 && len > node->max_length) {
		return cc_schema_fail(out, error, CC_JSON_SCHEMA_ERROR_INVALID_VALUE, path,
				      "must be at most %" G_GINT64_FORMAT " characters long",
				      node->max_length);
	}
	if (node->pattern != NULL && !g_regex_match(node->pattern, str, 0, NULL)) {
		return cc_schema_fail(out, error, CC_JSON_SCHEMA_ERROR_INVALID_VALUE, path,
				      "must match %s", g_regex_get_pattern(node->pattern));
	}
	return TRUE;
}

static gboolean
cc_schema_check_array(CcSchemaNode *node, JsonNode *inst, const gchar *path, CcJsonSchemaError *out,
		      GError **error)
{
	JsonArray *array = json_node_get_array(inst);
	gint64 len = json_array_get_length(array);

	if (node->min_items >= 0 && len < node->min_items) {
		return cc_schema_fail(out, error, CC_JSON_SCHEMA_ERROR_INVALID_VALUE, path,
				      "must have at least %" G_GINT64_FORMAT " items",
				      node->min_items);
	}
	if (node->max_items >= 0 && len > node->max_items) {
		return cc_schema_fail(out, error, CC_JSON_SCHEMA_ERROR_INVALID_VALUE, path,
				      "must have at most %" G_GINT64_FORMAT " items",
				      node->max_items);
	}
	if (node->items == NULL)
		return TRUE;
	for (guint i = 0; i < len; i++) {
		g_autofree gchar *sub = g_strdup_printf("%s[%u]", path, i);
		if (!cc_schema_node_validate(node->items, json_array_get_element(array, i), sub,
					     out, error))
			return FALSE;
	}
	return TRUE;
}

static gboolean
cc_schema_check_object(CcSchemaNode *node, JsonNode *inst, const gchar *path,
		       CcJsonSchemaError *out, GError **error)
{
	JsonObject *obj = json_node_get_object(inst);
	g_autoptr(GList) names = NULL;

	for (guint i = 0; node->required != NULL && i < node->required->len; i++) {
		const gchar *name = g_ptr_array_index(node->required, i);
		g_autofree gchar *sub = NULL;
		if (json_object_has_member(obj, name))
			continue;
		sub = cc_schema_path_member(path, name);
		return cc_schema_fail(out, error, CC_JSON_SCHEMA_ERROR_MISSING_FIELD, sub,
				      "missing required field");
	}
	names = json_object_get_members(obj);
	for (GList *l = names; l != NULL; l = l->next) {
		const gchar *name = l->data;
		g_autofree gchar *sub = cc_schema_path_member(path, name);
		CcSchemaNode *child = NULL;
		if (node->properties != NULL)
			child = g_hash_table_lookup(node->properties, name);
		if (child == NULL)
			child = node->additional;
		if (child == NULL)
			continue;
		if (child == node->additional && child->reject_all) {
			return cc_schema_fail(out, error, CC_JSON_SCHEMA_ERROR_UNKNOWN_FIELD, sub,
					      "unknown field");
		}
		if (!cc_schema_node_validate(child, json_object_get_member(obj, name), sub, out,
					     error))
			return FALSE;
	}
	return TRUE;
}

/* recursion follows the schema, so its depth is bounded by the schema's, not the instance's */
static gboolean
cc_schema_node_validate(CcSchemaNode *node, JsonNode *inst, const gchar *path,
			CcJsonSchemaError *out, GError **error)
{
	if (node->reject_all)
		return cc_schema_fail(out, error, CC_JSON_SCHEMA_ERROR_INVALID_VALUE, path,
				      "not allowed");
	if (!cc_schema_check_type(node, inst, path, out, error))
		return FALSE;
	if (!cc_schema_check_values(node, inst, path, out, error))
		return FALSE;
	switch (cc_schema_instance_type(inst)) {
	case CC_SCHEMA_TYPE_INTEGER:
	case CC_SCHEMA_TYPE_NUMBER:
		return cc_schema_check_number(node, inst, path, out, error);
	case CC_SCHEMA_TYPE_STRING:
		return cc_schema_check_string(node, inst, path, out, error);
	case CC_SCHEMA_TYPE_ARRAY:
		return cc_schema_check_array(node, inst, path, out, error);
	case CC_SCHEMA_TYPE_OBJECT:
		return cc_schema_check_object(node, inst, path, out, error);
	default:
		return TRUE;
	}
}

gboolean
cc_json_schema_validate(CcJsonSchema *self, JsonNode *instance, CcJsonSchemaError *out,
			GError **error)
{
	g_return_val_if_fail(self != NULL, FALSE);
	g_return_val_if_fail(instance != NULL, FALSE);
	g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

	cc_json_schema_error_clear(out);
	return cc_schema_node_validate(self->root, instance, "$", out, error);
}
