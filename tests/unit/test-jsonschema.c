/*
 * cc-jsonschema: a table of schema + instance cases, one per keyword and per
 * error kind, and the schema-load errors.
 *
 * Schemas and instances below are written with ' for " to stay readable.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "cc-jsonschema.h"
#include "colo-error.h"

/* a valid instance: no error kind, path or message */
#define VALID_KIND -1
#define VALID      VALID_KIND, NULL, NULL

typedef struct {
	const gchar *name;
	const gchar *schema;
	const gchar *instance;
	gint kind; /* a CcJsonSchemaErrorKind, or VALID_KIND */
	const gchar *path;
	const gchar *message;
} CcSchemaCase;

static const gchar *create_schema =
	"{'$schema': 'https://json-schema.org/draft/2020-12/schema',"
	" '$id': 'https://coloctl.example/v1/guest-create.schema.json',"
	" 'title': 'guest creation', 'description': 'POST /v1/guests',"
	" 'type': 'object', 'required': ['name', 'memory_mib', 'disk'],"
	" 'additionalProperties': false,"
	" 'properties': {"
	"  'name': {'type': 'string', 'pattern': '^[a-z][a-z0-9-]{0,62}$'},"
	"  'memory_mib': {'type': 'integer', 'minimum': 16, 'maximum': 1048576},"
	"  'vcpus': {'type': 'integer', 'minimum': 1, 'maximum': 64},"
	"  'disk': {'type': 'string', 'minLength': 1, 'examples': ['/srv/vm.img']},"
	"  'kernel': {'type': ['string', 'null']},"
	"  'net': {'type': 'string', 'pattern': '^(none|bridge:[A-Za-z0-9_.-]{1,15})$'},"
	"  'tags': {'type': 'array', 'maxItems': 4, 'items': {'type': 'string'}}}}";

static const CcSchemaCase cases[] = {
	/* type */
	{"type/string", "{'type': 'string'}", "'x'", VALID},
	{"type/string-bad", "{'type': 'string'}", "3", CC_JSON_SCHEMA_ERROR_WRONG_TYPE, "$",
	 "$: expected string, got integer"},
	{"type/integer", "{'type': 'integer'}", "-3", VALID},
	{"type/integer-fraction", "{'type': 'integer'}", "1.5", CC_JSON_SCHEMA_ERROR_WRONG_TYPE,
	 "$", "$: expected integer, got number"},
	{"type/integer-point-zero", "{'type': 'integer'}", "1.0", CC_JSON_SCHEMA_ERROR_WRONG_TYPE,
	 "$", "$: expected integer, got number"},
	{"type/integer-string", "{'type': 'integer'}", "'1'", CC_JSON_SCHEMA_ERROR_WRONG_TYPE, "$",
	 "$: expected integer, got string"},
	{"type/number-double", "{'type': 'number'}", "2.5", VALID},
	{"type/number-integer", "{'type': 'number'}", "2", VALID},
	{"type/number-bad", "{'type': 'number'}", "true", CC_JSON_SCHEMA_ERROR_WRONG_TYPE, "$",
	 "$: expected number, got boolean"},
	{"type/boolean", "{'type': 'boolean'}", "false", VALID},
	{"type/boolean-bad", "{'type': 'boolean'}", "0", CC_JSON_SCHEMA_ERROR_WRONG_TYPE, "$",
	 "$: expected boolean, got integer"},
	{"type/null", "{'type': 'null'}", "null", VALID},
	{"type/null-bad", "{'type': 'null'}", "{}", CC_JSON_SCHEMA_ERROR_WRONG_TYPE, "$",
	 "$: expected null, got object"},
	{"type/object", "{'type': 'object'}", "{}", VALID},
	{"type/object-bad", "{'type': 'object'}", "[]", CC_JSON_SCHEMA_ERROR_WRONG_TYPE, "$",
	 "$: expected object, got array"},
	{"type/array", "{'type': 'array'}", "[1, 'a']", VALID},
	{"type/array-bad", "{'type': 'array'}", "'a'", CC_JSON_SCHEMA_ERROR_WRONG_TYPE, "$",
	 "$: expected array, got string"},
	{"type/list-null", "{'type': ['string', 'null']}", "null", VALID},
	{"type/list-string", "{'type': ['null', 'string']}", "'a'", VALID},
	{"type/list-bad", "{'type': ['null', 'string']}", "7", CC_JSON_SCHEMA_ERROR_WRONG_TYPE, "$",
	 "$: expected string or null, got integer"},
	{"type/list-three", "{'type': ['null', 'integer', 'string']}", "[]",
	 CC_JSON_SCHEMA_ERROR_WRONG_TYPE, "$", "$: expected string, integer or null, got array"},
	{"type/any", "{}", "[{'a': null}]", VALID},

	/* properties, nested objects */
	{"properties/ok", "{'properties': {'a': {'type': 'integer'}}}", "{'a': 1, 'b': 'x'}",
	 VALID},
	{"properties/bad", "{'properties': {'a': {'type': 'integer'}}}", "{'a': 'x'}",
	 CC_JSON_SCHEMA_ERROR_WRONG_TYPE, "$.a", "$.a: expected integer, got string"},
	{"properties/nested",
	 "{'properties': {'a': {'type': 'object', 'properties': {'b': {'type': 'integer'}}}}}",
	 "{'a': {'b': 'x'}}", CC_JSON_SCHEMA_ERROR_WRONG_TYPE, "$.a.b",
	 "$.a.b: expected integer, got string"},
	{"properties/not-object", "{'properties': {'a': {'type': 'integer'}}}", "['a']", VALID},
	{"properties/odd-name", "{'properties': {'a b': {'type': 'integer'}}}", "{'a b': true}",
	 CC_JSON_SCHEMA_ERROR_WRONG_TYPE, "$[\"a b\"]",
	 "$[\"a b\"]: expected integer, got boolean"},
	{"properties/false", "{'properties': {'old': false}}", "{'old': 1}",
	 CC_JSON_SCHEMA_ERROR_INVALID_VALUE, "$.old", "$.old: not allowed"},

	/* required */
	{"required/ok", "{'required': ['name']}", "{'name': null}", VALID},
	{"required/missing", "{'required': ['name']}", "{}", CC_JSON_SCHEMA_ERROR_MISSING_FIELD,
	 "$.name", "$.name: missing required field"},
	{"required/schema-order", "{'required': ['b', 'a']}", "{}",
	 CC_JSON_SCHEMA_ERROR_MISSING_FIELD, "$.b", "$.b: missing required field"},
	{"required/before-properties",
	 "{'required': ['name'], 'properties': {'x': {'type': 'string'}}}", "{'x': 1}",
	 CC_JSON_SCHEMA_ERROR_MISSING_FIELD, "$.name", "$.name: missing required field"},
	{"required/nested", "{'properties': {'a': {'required': ['b']}}}", "{'a': {'c': 1}}",
	 CC_JSON_SCHEMA_ERROR_MISSING_FIELD, "$.a.b", "$.a.b: missing required field"},
	{"required/odd-name", "{'required': ['x-y']}", "{}", CC_JSON_SCHEMA_ERROR_MISSING_FIELD,
	 "$[\"x-y\"]", "$[\"x-y\"]: missing required field"},

	/* additionalProperties */
	{"additional/absent", "{'properties': {'a': true}}", "{'a': 1, 'b': 2}", VALID},
	{"additional/false", "{'properties': {'name': true}, 'additionalProperties': false}",
	 "{'name': 'x', 'colour': 'red'}", CC_JSON_SCHEMA_ERROR_UNKNOWN_FIELD, "$.colour",
	 "$.colour: unknown field"},
	{"additional/instance-order-unknown-first",
	 "{'properties': {'aa': {'type': 'integer'}}, 'additionalProperties': false}",
	 "{'zz': 1, 'aa': 'x'}", CC_JSON_SCHEMA_ERROR_UNKNOWN_FIELD, "$.zz", "$.zz: unknown field"},
	{"additional/instance-order-type-first",
	 "{'properties': {'aa': {'type': 'integer'}}, 'additionalProperties': false}",
	 "{'aa': 'x', 'zz': 1}", CC_JSON_SCHEMA_ERROR_WRONG_TYPE, "$.aa",
	 "$.aa: expected integer, got string"},
	{"additional/schema", "{'additionalProperties': {'type': 'integer'}}", "{'a': 1, 'b': 's'}",
	 CC_JSON_SCHEMA_ERROR_WRONG_TYPE, "$.b", "$.b: expected integer, got string"},
	{"additional/true", "{'additionalProperties': true}", "{'a': 1}", VALID},
	{"additional/nested",
	 "{'properties': {'a': {'type': 'object', 'additionalProperties': false}}}",
	 "{'a': {'b': 1}}", CC_JSON_SCHEMA_ERROR_UNKNOWN_FIELD, "$.a.b", "$.a.b: unknown field"},
	{"additional/quoted-key", "{'additionalProperties': false}", "{'a\\\"b\\n': 1}",
	 CC_JSON_SCHEMA_ERROR_UNKNOWN_FIELD, "$[\"a\\\"b\\n\"]", "$[\"a\\\"b\\n\"]: unknown field"},

	/* enum, const */
	{"enum/ok", "{'enum': ['a', 'b', null]}", "null", VALID},
	{"enum/bad", "{'enum': ['a', 'b']}", "'c'", CC_JSON_SCHEMA_ERROR_INVALID_VALUE, "$",
	 "$: must be one of \"a\", \"b\""},
	{"enum/numbers", "{'enum': [1, 2]}", "2.0", VALID},
	{"enum/object", "{'enum': [{'a': [1]}]}", "{'a': [1]}", VALID},
	{"enum/object-bad", "{'enum': [{'a': [1]}]}", "{'a': [2]}",
	 CC_JSON_SCHEMA_ERROR_INVALID_VALUE, "$", "$: must be one of {\"a\":[1]}"},
	{"const/ok", "{'const': 'x'}", "'x'", VALID},
	{"const/bad", "{'const': true}", "false", CC_JSON_SCHEMA_ERROR_INVALID_VALUE, "$",
	 "$: must be true"},
	{"const/type", "{'const': 1}", "'1'", CC_JSON_SCHEMA_ERROR_INVALID_VALUE, "$",
	 "$: must be 1"},

	/* minimum, maximum */
	{"minimum/ok", "{'minimum': 1}", "1", VALID},
	{"minimum/bad", "{'minimum': 1}", "0", CC_JSON_SCHEMA_ERROR_INVALID_VALUE, "$",
	 "$: must be >= 1"},
	{"minimum/double", "{'minimum': 0.5}", "0", CC_JSON_SCHEMA_ERROR_INVALID_VALUE, "$",
	 "$: must be >= 0.5"},
	{"minimum/double-instance", "{'minimum': 1}", "0.99", CC_JSON_SCHEMA_ERROR_INVALID_VALUE,
	 "$", "$: must be >= 1"},
	{"minimum/big", "{'minimum': 9007199254740993}", "9007199254740992",
	 CC_JSON_SCHEMA_ERROR_INVALID_VALUE, "$", "$: must be >= 9007199254740993"},
	{"minimum/not-number", "{'minimum': 1}", "'0'", VALID},
	{"maximum/ok", "{'maximum': 1024}", "1024", VALID},
	{"maximum/bad", "{'type': 'integer', 'maximum': 1024}", "1025",
	 CC_JSON_SCHEMA_ERROR_INVALID_VALUE, "$", "$: must be <= 1024"},
	{"maximum/double", "{'maximum': 2.5}", "2.75", CC_JSON_SCHEMA_ERROR_INVALID_VALUE, "$",
	 "$: must be <= 2.5"},

	/* minLength, maxLength, pattern */
	{"minLength/ok", "{'minLength': 2}", "'ab'", VALID},
	{"minLength/bad", "{'minLength': 2}", "'a'", CC_JSON_SCHEMA_ERROR_INVALID_VALUE, "$",
	 "$: must be at least 2 characters long"},
	{"maxLength/ok", "{'maxLength': 2}", "'\xc3\xa9\xc3\xa9'", VALID},
	{"maxLength/bad", "{'maxLength': 2}", "'abc'", CC_JSON_SCHEMA_ERROR_INVALID_VALUE, "$",
	 "$: must be at most 2 characters long"},
	{"maxLength/not-string", "{'maxLength': 2}", "12345", VALID},
	{"pattern/ok", "{'pattern': '^(none|bridge:[A-Za-z0-9_.-]{1,15})$'}", "'bridge:br0'",
	 VALID},
	{"pattern/bad",
	 "{'properties': {'net': {'pattern': '^(none|bridge:[A-Za-z0-9_.-]{1,15})$'}}}",
	 "{'net': 'bridge:'}", CC_JSON_SCHEMA_ERROR_INVALID_VALUE, "$.net",
	 "$.net: must match ^(none|bridge:[A-Za-z0-9_.-]{1,15})$"},
	{"pattern/final-newline", "{'pattern': '^none$'}", "'none\\n'",
	 CC_JSON_SCHEMA_ERROR_INVALID_VALUE, "$", "$: must match ^none$"},
	{"pattern/unanchored", "{'pattern': 'b'}", "'abc'", VALID},

	/* items, minItems, maxItems, arrays of objects */
	{"items/ok", "{'items': {'type': 'string'}}", "['a', 'b']", VALID},
	{"items/bad", "{'items': {'type': 'string'}}", "['a', 2]", CC_JSON_SCHEMA_ERROR_WRONG_TYPE,
	 "$[1]", "$[1]: expected string, got integer"},
	{"items/nested", "{'properties': {'tags': {'items': {'type': 'string'}}}}",
	 "{'tags': ['a', 'b', 3]}", CC_JSON_SCHEMA_ERROR_WRONG_TYPE, "$.tags[2]",
	 "$.tags[2]: expected string, got integer"},
	{"items/objects",
	 "{'properties': {'members': {'items': {'required': ['role'], 'additionalProperties': "
	 "false, 'properties': {'role': true}}}}}",
	 "{'members': [{'role': 1}, {'host': 'a'}]}", CC_JSON_SCHEMA_ERROR_MISSING_FIELD,
	 "$.members[1].role", "$.members[1].role: missing required field"},
	{"items/arrays", "{'items': {'items': {'type': 'integer'}}}", "[[1], [2, 'x']]",
	 CC_JSON_SCHEMA_ERROR_WRONG_TYPE, "$[1][1]", "$[1][1]: expected integer, got string"},
	{"items/false", "{'items': false}", "[]", VALID},
	{"items/false-bad", "{'items': false}", "[1]", CC_JSON_SCHEMA_ERROR_INVALID_VALUE, "$[0]",
	 "$[0]: not allowed"},
	{"minItems/ok", "{'minItems': 1}", "[1]", VALID},
	{"minItems/bad", "{'minItems': 1}", "[]", CC_JSON_SCHEMA_ERROR_INVALID_VALUE, "$",
	 "$: must have at least 1 items"},
	{"maxItems/bad", "{'maxItems': 1, 'items': {'type': 'string'}}", "[1, 2]",
	 CC_JSON_SCHEMA_ERROR_INVALID_VALUE, "$", "$: must have at most 1 items"},

	/* boolean schemas, annotations */
	{"boolean/true", "true", "{'a': 1}", VALID},
	{"boolean/false", "false", "null", CC_JSON_SCHEMA_ERROR_INVALID_VALUE, "$",
	 "$: not allowed"},
	{"annotations",
	 "{'$schema': 'x', '$id': 'y', 'title': 't', 'description': 'd', 'examples': [1, {}]}", "3",
	 VALID},

	/* a request schema as the API will have them */
	{"create/ok", NULL,
	 "{'name': 'vm1', 'memory_mib': 512, 'disk': '/srv/vm1.img', 'kernel': null, 'net': "
	 "'bridge:br0', 'tags': ['a']}",
	 VALID},
	{"create/memory-type", NULL, "{'name': 'vm1', 'memory_mib': '512', 'disk': '/d'}",
	 CC_JSON_SCHEMA_ERROR_WRONG_TYPE, "$.memory_mib",
	 "$.memory_mib: expected integer, got string"},
	{"create/missing-name", NULL, "{'memory_mib': 512, 'disk': '/d', 'colour': 1}",
	 CC_JSON_SCHEMA_ERROR_MISSING_FIELD, "$.name", "$.name: missing required field"},
	{"create/colour", NULL, "{'name': 'vm1', 'colour': 1, 'memory_mib': 0, 'disk': '/d'}",
	 CC_JSON_SCHEMA_ERROR_UNKNOWN_FIELD, "$.colour", "$.colour: unknown field"},
	{"create/memory-min", NULL, "{'name': 'vm1', 'memory_mib': 8, 'disk': '/d'}",
	 CC_JSON_SCHEMA_ERROR_INVALID_VALUE, "$.memory_mib", "$.memory_mib: must be >= 16"},
	{"create/tags", NULL, "{'name': 'vm1', 'memory_mib': 16, 'disk': '/d', 'tags': ['a', 2]}",
	 CC_JSON_SCHEMA_ERROR_WRONG_TYPE, "$.tags[1]", "$.tags[1]: expected string, got integer"},
	{"create/not-object", NULL, "[]", CC_JSON_SCHEMA_ERROR_WRONG_TYPE, "$",
	 "$: expected object, got array"},
};

typedef struct {
	const gchar *name;
	const gchar *schema;
	const gchar *message;
} CcSchemaLoadCase;

static const CcSchemaLoadCase load_cases[] = {
	{"unknown-keyword", "{'type': 'integer', 'minimun': 1}", "#: unknown keyword \"minimun\""},
	{"unknown-keyword-nested", "{'properties': {'a': {'maxlength': 3}}}",
	 "#/properties/a: unknown keyword \"maxlength\""},
	{"unknown-keyword-escaped", "{'properties': {'a/b~': {'format': 'uri'}}}",
	 "#/properties/a~1b~0: unknown keyword \"format\""},
	{"unknown-keyword-items", "{'items': {'additionalProperties': {'$ref': '#'}}}",
	 "#/items/additionalProperties: unknown keyword \"$ref\""},
	{"unknown-keyword-default", "{'default': 1}", "#: unknown keyword \"default\""},
	{"not-a-schema", "3", "#: a schema must be an object or a boolean"},
	{"property-not-a-schema", "{'properties': {'a': 'string'}}",
	 "#/properties/a: a schema must be an object or a boolean"},
	{"type-unknown", "{'type': 'objet'}",
	 "#: type must be a type name or a non-empty array of distinct type names"},
	{"type-empty", "{'type': []}",
	 "#: type must be a type name or a non-empty array of distinct type names"},
	{"type-repeated", "{'type': ['null', 'null']}",
	 "#: type must be a type name or a non-empty array of distinct type names"},
	{"properties-array", "{'properties': []}", "#: properties must be an object"},
	{"required-string", "{'required': 'a'}",
	 "#: required must be an array of distinct strings"},
	{"required-number", "{'required': [1]}",
	 "#: required must be an array of distinct strings"},
	{"required-repeated", "{'required': ['a', 'a']}",
	 "#: required must be an array of distinct strings"},
	{"additional-number", "{'additionalProperties': 0}",
	 "#/additionalProperties: a schema must be an object or a boolean"},
	{"enum-empty", "{'enum': []}", "#: enum must be a non-empty array"},
	{"enum-object", "{'enum': {}}", "#: enum must be a non-empty array"},
	{"minimum-string", "{'minimum': '1'}", "#: minimum must be a number"},
	{"maximum-null", "{'maximum': null}", "#: maximum must be a number"},
	{"minLength-negative", "{'minLength': -1}", "#: minLength must be a non-negative integer"},
	{"maxLength-double", "{'maxLength': 1.5}", "#: maxLength must be a non-negative integer"},
	{"minItems-string", "{'minItems': '1'}", "#: minItems must be a non-negative integer"},
	{"maxItems-negative", "{'maxItems': -2}", "#: maxItems must be a non-negative integer"},
	{"pattern-number", "{'pattern': 1}", "#: pattern must be a string"},
	{"pattern-invalid", "{'properties': {'a': {'pattern': '(a'}}}",
	 "#/properties/a: pattern is invalid: "},
	{"items-array", "{'items': [{}]}", "#/items: a schema must be an object or a boolean"},
};

static JsonNode *
parse_quoted(const gchar *text)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;
	g_autofree gchar *json = g_strdup(text);

	g_strdelimit(json, "'", '"');
	json_parser_load_from_data(parser, json, -1, &error);
	g_assert_no_error(error);
	return json_node_copy(json_parser_get_root(parser));
}

static void
test_validate(gconstpointer data)
{
	const CcSchemaCase *c = data;
	g_autoptr(JsonNode) schema_node =
		parse_quoted(c->schema != NULL ? c->schema : create_schema);
	g_autoptr(JsonNode) instance = parse_quoted(c->instance);
	g_autoptr(CcJsonSchema) schema = NULL;
	g_autoptr(GError) error = NULL;
	g_auto(CcJsonSchemaError) err = {0};
	gboolean ok;

	schema = cc_json_schema_new(schema_node, &error);
	g_assert_no_error(error);
	g_assert_nonnull(schema);
	ok = cc_json_schema_validate(schema, instance, &err, &error);
	if (c->kind == VALID_KIND) {
		g_assert_no_error(error);
		g_assert_true(ok);
		g_assert_null(err.path);
		return;
	}
	g_assert_false(ok);
	g_assert_error(error, COLO_ERROR, COLO_ERROR_INVALID_INPUT);
	g_assert_cmpstr(error->message, ==, c->message);
	g_assert_cmpint(err.kind, ==, c->kind);
	g_assert_cmpstr(err.path, ==, c->path);

	/* the same verdict without @out, and @out is cleared when reused */
	g_clear_error(&error);
	g_assert_false(cc_json_schema_validate(schema, instance, NULL, &error));
	g_assert_cmpstr(error->message, ==, c->message);
	g_clear_error(&error);
	g_assert_false(cc_json_schema_validate(schema, instance, &err, NULL));
	g_assert_cmpstr(err.path, ==, c->path);
}

static void
test_load(gconstpointer data)
{
	const CcSchemaLoadCase *c = data;
	g_autoptr(JsonNode) schema_node = parse_quoted(c->schema);
	g_autoptr(CcJsonSchema) schema = NULL;
	g_autoptr(GError) error = NULL;

	schema = cc_json_schema_new(schema_node, &error);
	g_assert_null(schema);
	g_assert_error(error, COLO_ERROR, COLO_ERROR_INVALID_INPUT);
	g_assert_true(g_str_has_prefix(error->message, c->message));
}

static void
test_kind_to_string(void)
{
	g_assert_cmpstr(cc_json_schema_error_kind_to_string(CC_JSON_SCHEMA_ERROR_WRONG_TYPE), ==,
			"wrong-type");
	g_assert_cmpstr(cc_json_schema_error_kind_to_string(CC_JSON_SCHEMA_ERROR_UNKNOWN_FIELD), ==,
			"unknown-field");
	g_assert_cmpstr(cc_json_schema_error_kind_to_string(CC_JSON_SCHEMA_ERROR_MISSING_FIELD), ==,
			"missing-field");
	g_assert_cmpstr(cc_json_schema_error_kind_to_string(CC_JSON_SCHEMA_ERROR_INVALID_VALUE), ==,
			"invalid-value");
}

/* the schema is compiled: the node it came from may go away */
static void
test_schema_outlives_node(void)
{
	g_autoptr(JsonNode) schema_node = parse_quoted(
		"{'enum': ['a'], 'const': 'a', 'properties': {'x': {'pattern': 'y'}}}");
	g_autoptr(JsonNode) instance = parse_quoted("'a'");
	g_autoptr(CcJsonSchema) schema = NULL;
	g_autoptr(GError) error = NULL;

	schema = cc_json_schema_new(schema_node, &error);
	g_assert_no_error(error);
	g_clear_pointer(&schema_node, json_node_unref);
	g_assert_true(cc_json_schema_validate(schema, instance, NULL, &error));
	g_assert_no_error(error);
}

/* every request schema the API ships loads: a typo in a keyword fails here */
static void
test_api_schemas(void)
{
	const gchar *data = g_getenv("COLOCTL_TEST_DATA");
	g_autofree gchar *dir = NULL;
	g_autoptr(GDir) gdir = NULL;
	const gchar *name;
	guint n = 0;

	if (data == NULL || data[0] == '\0') {
		g_test_skip("COLOCTL_TEST_DATA is not set: run through meson test");
		return;
	}
	/* tests/data -> schema/api */
	dir = g_build_filename(data, "..", "..", "schema", "api", NULL);
	gdir = g_dir_open(dir, 0, NULL);
	if (gdir == NULL) {
		g_test_skip("no schema/api directory");
		return;
	}
	while ((name = g_dir_read_name(gdir)) != NULL) {
		g_autofree gchar *path = g_build_filename(dir, name, NULL);
		g_autoptr(JsonParser) parser = json_parser_new();
		g_autoptr(CcJsonSchema) schema = NULL;
		g_autoptr(GError) error = NULL;
		if (!g_str_has_suffix(name, ".schema.json"))
			continue;
		g_test_message("loading %s", path);
		json_parser_load_from_file(parser, path, &error);
		g_assert_no_error(error);
		schema = cc_json_schema_new(json_parser_get_root(parser), &error);
		g_assert_no_error(error);
		g_assert_nonnull(schema);
		n++;
	}
	g_assert_cmpuint(n, >, 0);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree gchar *path = g_strdup_printf("/jsonschema/validate/%s", cases[i].name);
		g_test_add_data_func(path, &cases[i], test_validate);
	}
	for (guint i = 0; i < G_N_ELEMENTS(load_cases); i++) {
		g_autofree gchar *path = g_strdup_printf("/jsonschema/load/%s", load_cases[i].name);
		g_test_add_data_func(path, &load_cases[i], test_load);
	}
	g_test_add_func("/jsonschema/kind-to-string", test_kind_to_string);
	g_test_add_func("/jsonschema/schema-outlives-node", test_schema_outlives_node);
	g_test_add_func("/jsonschema/api-schemas", test_api_schemas);
	return g_test_run();
}
