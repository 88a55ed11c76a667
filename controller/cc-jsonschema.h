/*
 * cc-jsonschema: a validator for the subset of JSON Schema (draft 2020-12
 * keywords) used by the REST API request schemas, on json-glib nodes.
 *
 * Supported keywords: type (one name or an array of names), properties,
 * required, additionalProperties (a boolean or a schema), enum, const,
 * minimum, maximum, minLength, maxLength, pattern (GRegex, unanchored like
 * ECMA-262 unless the pattern anchors itself), items (one schema for every
 * element), minItems, maxItems. description, title, $schema, $id and examples
 * are accepted and ignored. Any other keyword fails cc_json_schema_new(), so a
 * typo in a schema is caught when it is loaded. The boolean schemas true and
 * false are accepted wherever a schema is.
 *
 * "integer" means a JSON number that json-glib parsed as an integer (gint64):
 * written without a fraction or an exponent. 1.0 and 1e3 are numbers but not
 * integers. enum and const compare with json_node_equal(), where 1 == 1.0.
 * minimum and maximum compare two integers exactly, anything else as doubles.
 * Lengths count Unicode characters.
 *
 * Validation stops at the first error. The order is deterministic: type, then
 * const and enum, then the keywords of the instance's type; for an object the
 * required members in schema order, then the members in the instance's order
 * (each checked against its property schema, else additionalProperties); for
 * an array minItems and maxItems, then the elements in order.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum {
	CC_JSON_SCHEMA_ERROR_WRONG_TYPE,    /* type */
	CC_JSON_SCHEMA_ERROR_UNKNOWN_FIELD, /* additionalProperties: false */
	CC_JSON_SCHEMA_ERROR_MISSING_FIELD, /* required */
	CC_JSON_SCHEMA_ERROR_INVALID_VALUE, /* every other keyword, and the schema false */
} CcJsonSchemaErrorKind;

typedef struct {
	CcJsonSchemaErrorKind kind;
	/* JSON path of the offending value, "$" for the root, e.g. "$.memory_mib",
	 * "$.tags[2]", "$[\"odd key\"]"; for a missing field, the path the field
	 * would have, e.g. "$.name" */
	gchar *path;
} CcJsonSchemaError;

typedef struct _CcJsonSchema CcJsonSchema;

/* compiles @schema (not kept; may be freed after the call); errors are
 * COLO_ERROR_INVALID_INPUT naming the schema location, e.g.
 * "#/properties/memory_mib: unknown keyword \"minimun\"" */
CcJsonSchema *cc_json_schema_new(JsonNode *schema, GError **error);
void cc_json_schema_free(CcJsonSchema *self);

/*
 * Returns TRUE if @instance is valid. Otherwise returns FALSE, fills @out (if
 * not NULL; it must be zero-initialised or cleared, it is cleared first) and
 * sets @error to COLO_ERROR_INVALID_INPUT with a message such as
 * "$.memory_mib: expected integer, got string", "$.colour: unknown field",
 * "$.name: missing required field" or "$.net: must match ^(none|bridge:.+)$".
 */
gboolean cc_json_schema_validate(CcJsonSchema *self, JsonNode *instance, CcJsonSchemaError *out,
				 GError **error);

/* frees @err->path; @err may be reused afterwards */
void cc_json_schema_error_clear(CcJsonSchemaError *err);
/* stable names: "wrong-type", "unknown-field", "missing-field", "invalid-value" */
const gchar *cc_json_schema_error_kind_to_string(CcJsonSchemaErrorKind kind);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CcJsonSchema, cc_json_schema_free)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CcJsonSchemaError, cc_json_schema_error_clear)

G_END_DECLS
