/*
 * cc-caps: probe replies recorded from Debian's QEMU 7.2, and synthetic
 * replies for what 7.2 lacks.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "cc-caps.h"
#include "cc-test-util.h"
#include "colo-error.h"

static JsonNode *
load(const gchar *name)
{
	g_autofree gchar *path =
		g_build_filename(cc_test_env("COLOCTL_TEST_DATA"), "qemu-7.2", name, NULL);
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;
	json_parser_load_from_file(parser, path, &error);
	g_assert_no_error(error);
	return json_node_copy(json_parser_get_root(parser));
}

static JsonNode *
parse(const gchar *text)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;
	json_parser_load_from_data(parser, text, -1, &error);
	g_assert_no_error(error);
	return json_node_copy(json_parser_get_root(parser));
}

static void
test_caps_qemu72(void)
{
	g_autoptr(CcCaps) caps = cc_caps_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) version = load("query-version.json");
	g_autoptr(JsonNode) schema = load("query-qmp-schema.json");
	g_autoptr(JsonNode) redir = load("qom-list-properties-filter-redirector.json");
	g_autoptr(JsonNode) migr = load("query-migrate-capabilities.json");
	g_autoptr(JsonNode) kvm = load("query-kvm.json");
	g_autoptr(JsonNode) out = NULL;
	JsonObject *obj;

	g_assert_true(cc_caps_parse_version(caps, version, &error));
	g_assert_true(cc_caps_parse_schema(caps, schema, &error));
	g_assert_true(cc_caps_parse_redirector(caps, redir, &error));
	g_assert_true(cc_caps_parse_migration(caps, migr, &error));
	g_assert_true(cc_caps_parse_kvm(caps, kvm, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(caps->major, ==, 7);
	g_assert_cmpuint(caps->minor, ==, 2);
	g_assert_true(caps->colo);
	g_assert_false(caps->enable_when_stopped);
	g_assert_false(caps->migrate_remaining);
	g_assert_true(caps->kvm_present);
	g_assert_true(cc_caps_has_command(caps, "x-colo-lost-heartbeat"));
	g_assert_true(cc_caps_has_command(caps, "query-colo-status"));
	g_assert_true(cc_caps_has_command(caps, "announce-self"));
	g_assert_false(cc_caps_has_command(caps, "no-such-command"));
	g_assert_cmpuint(caps->migration_caps->len, ==, 21);
	out = cc_caps_to_json(caps);
	obj = json_node_get_object(out);
	g_assert_cmpstr(json_object_get_string_member(obj, "version"), ==, "7.2.22");
	g_assert_true(json_object_get_boolean_member(obj, "colo"));
	g_assert_false(json_object_get_boolean_member(obj, "enable_when_stopped"));
	g_assert_cmpuint(
		json_array_get_length(json_object_get_array_member(obj, "migration_capabilities")),
		==, 21);
}

static void
test_caps_newer(void)
{
	g_autoptr(CcCaps) caps = cc_caps_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) redir =
		parse("[{\"name\": \"type\", \"type\": \"string\"},"
		      " {\"name\": \"enable_when_stopped\", \"type\": \"bool\"}]");
	g_autoptr(JsonNode) schema =
		parse("[{\"name\": \"query-migrate\", \"meta-type\": \"command\","
		      "  \"arg-type\": \"0\", \"ret-type\": \"140\"},"
		      " {\"name\": \"140\", \"meta-type\": \"object\", \"members\": ["
		      "  {\"name\": \"status\", \"type\": \"str\"},"
		      "  {\"name\": \"remaining\", \"type\": \"int\"}]}]");
	g_assert_true(cc_caps_parse_redirector(caps, redir, &error));
	g_assert_true(cc_caps_parse_schema(caps, schema, &error));
	g_assert_no_error(error);
	g_assert_true(caps->enable_when_stopped);
	g_assert_true(caps->migrate_remaining);
	g_assert_true(cc_caps_has_command(caps, "query-migrate"));
}

static void
test_caps_bad(void)
{
	g_autoptr(CcCaps) caps = cc_caps_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) obj = parse("{\"a\": 1}");
	g_autoptr(JsonNode) arr = parse("[1, \"x\", {\"name\": 3}]");

	g_assert_false(cc_caps_parse_schema(caps, obj, &error));
	g_assert_error(error, COLO_ERROR, COLO_ERROR_PROTOCOL);
	g_clear_error(&error);
	g_assert_false(cc_caps_parse_version(caps, arr, &error));
	g_assert_error(error, COLO_ERROR, COLO_ERROR_PROTOCOL);
	g_clear_error(&error);
	g_assert_false(cc_caps_parse_version(caps, obj, &error));
	g_assert_error(error, COLO_ERROR, COLO_ERROR_PROTOCOL);
	g_clear_error(&error);
	/* odd elements are skipped, never trusted */
	g_assert_true(cc_caps_parse_migration(caps, arr, &error));
	g_assert_true(cc_caps_parse_redirector(caps, arr, &error));
	g_assert_true(cc_caps_parse_schema(caps, arr, &error));
	g_assert_cmpuint(caps->migration_caps->len, ==, 0);
	g_assert_false(caps->colo);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/caps/qemu-7.2", test_caps_qemu72);
	g_test_add_func("/caps/newer", test_caps_newer);
	g_test_add_func("/caps/bad", test_caps_bad);
	return g_test_run();
}
