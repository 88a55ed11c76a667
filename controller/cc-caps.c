/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "CcCaps"

#include "config.h"

#include "cc-caps.h"
#include "colo-error.h"

CcCaps *
cc_caps_new(void)
{
	CcCaps *caps = g_new0(CcCaps, 1);
	caps->commands = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	caps->migration_caps = g_ptr_array_new_with_free_func(g_free);
	return caps;
}

void
cc_caps_free(CcCaps *caps)
{
	if (caps == NULL)
		return;
	g_free(caps->version);
	g_free(caps->package);
	g_hash_table_unref(caps->commands);
	g_ptr_array_unref(caps->migration_caps);
	g_free(caps);
}

static JsonObject *
cc_caps_expect_object(JsonNode *ret, const gchar *what, GError **error)
{
	if (ret == NULL || !JSON_NODE_HOLDS_OBJECT(ret)) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_PROTOCOL, "%s: expected an object", what);
		return NULL;
	}
	return json_node_get_object(ret);
}

static JsonArray *
cc_caps_expect_array(JsonNode *ret, const gchar *what, GError **error)
{
	if (ret == NULL || !JSON_NODE_HOLDS_ARRAY(ret)) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_PROTOCOL, "%s: expected an array", what);
		return NULL;
	}
	return json_node_get_array(ret);
}

/* returns a string member of an array element that is an object, or NULL */
static const gchar *
cc_caps_element_string(JsonArray *arr, guint i, const gchar *member)
{
	JsonNode *n = json_array_get_element(arr, i);
	if (!JSON_NODE_HOLDS_OBJECT(n))
		return NULL;
	return json_object_get_string_member_with_default(json_node_get_object(n), member, NULL);
}

gboolean
cc_caps_parse_version(CcCaps *caps, JsonNode *ret, GError **error)
{
	JsonObject *obj = cc_caps_expect_object(ret, "query-version", error);
	JsonObject *qemu;

	if (obj == NULL)
		return FALSE;
	if (!json_object_has_member(obj, "qemu") ||
	    !JSON_NODE_HOLDS_OBJECT(json_object_get_member(obj, "qemu"))) {
		g_set_error_literal(error, COLO_ERROR, COLO_ERROR_PROTOCOL,
				    "query-version: no qemu object");
		return FALSE;
	}
	qemu = json_object_get_object_member(obj, "qemu");
	caps->major = (guint)json_object_get_int_member_with_default(qemu, "major", 0);
	caps->minor = (guint)json_object_get_int_member_with_default(qemu, "minor", 0);
	caps->micro = (guint)json_object_get_int_member_with_default(qemu, "micro", 0);
	g_free(caps->version);
	caps->version = g_strdup_printf("%u.%u.%u", caps->major, caps->minor, caps->micro);
	g_free(caps->package);
	caps->package = g_strdup(json_object_get_string_member_with_default(obj, "package", ""));
	return TRUE;
}

gboolean
cc_caps_parse_schema(CcCaps *caps, JsonNode *ret, GError **error)
{
	JsonArray *arr = cc_caps_expect_array(ret, "query-qmp-schema", error);
	const gchar *migrate_ret = NULL;

	if (arr == NULL)
		return FALSE;
	for (guint i = 0; i < json_array_get_length(arr); i++) {
		const gchar *meta = cc_caps_element_string(arr, i, "meta-type");
		const gchar *name = cc_caps_element_string(arr, i, "name");
		if (g_strcmp0(meta, "command") != 0 || name == NULL)
			continue;
		g_hash_table_add(caps->commands, g_strdup(name));
		if (g_strcmp0(name, "query-migrate") == 0)
			migrate_ret = cc_caps_element_string(arr, i, "ret-type");
	}
	caps->migrate_remaining = FALSE;
	for (guint i = 0; migrate_ret != NULL && i < json_array_get_length(arr); i++) {
		JsonObject *entry;
		JsonArray *members;
		if (g_strcmp0(cc_caps_element_string(arr, i, "name"), migrate_ret) != 0)
			continue;
		entry = json_node_get_object(json_array_get_element(arr, i));
		if (!json_object_has_member(entry, "members") ||
		    !JSON_NODE_HOLDS_ARRAY(json_object_get_member(entry, "members")))
			break;
		members = json_object_get_array_member(entry, "members");
		for (guint j = 0; j < json_array_get_length(members); j++) {
			if (g_strcmp0(cc_caps_element_string(members, j, "name"), "remaining") == 0)
				caps->migrate_remaining = TRUE;
		}
		break;
	}
	return TRUE;
}

gboolean
cc_caps_parse_redirector(CcCaps *caps, JsonNode *ret, GError **error)
{
	JsonArray *arr = cc_caps_expect_array(ret, "qom-list-properties", error);
	if (arr == NULL)
		return FALSE;
	caps->enable_when_stopped = FALSE;
	for (guint i = 0; i < json_array_get_length(arr); i++) {
		if (g_strcmp0(cc_caps_element_string(arr, i, "name"), "enable_when_stopped") == 0)
			caps->enable_when_stopped = TRUE;
	}
	return TRUE;
}

gboolean
cc_caps_parse_migration(CcCaps *caps, JsonNode *ret, GError **error)
{
	JsonArray *arr = cc_caps_expect_array(ret, "query-migrate-capabilities", error);
	if (arr == NULL)
		return FALSE;
	g_ptr_array_set_size(caps->migration_caps, 0);
	caps->colo = FALSE;
	for (guint i = 0; i < json_array_get_length(arr); i++) {
		const gchar *name = cc_caps_element_string(arr, i, "capability");
		if (name == NULL)
			continue;
		g_ptr_array_add(caps->migration_caps, g_strdup(name));
		if (g_strcmp0(name, "x-colo") == 0)
			caps->colo = TRUE;
	}
	return TRUE;
}

gboolean
cc_caps_parse_kvm(CcCaps *caps, JsonNode *ret, GError **error)
{
	JsonObject *obj = cc_caps_expect_object(ret, "query-kvm", error);
	if (obj == NULL)
		return FALSE;
	caps->kvm_present = json_object_get_boolean_member_with_default(obj, "present", FALSE);
	caps->kvm_enabled = json_object_get_boolean_member_with_default(obj, "enabled", FALSE);
	return TRUE;
}

gboolean
cc_caps_has_command(const CcCaps *caps, const gchar *command)
{
	return g_hash_table_contains(caps->commands, command);
}

static gint
cc_caps_strcmp(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(*(const gchar *const *)a, *(const gchar *const *)b);
}

JsonNode *
cc_caps_to_json(const CcCaps *caps)
{
	g_autoptr(JsonBuilder) b = json_builder_new_immutable();
	g_autoptr(GPtrArray) cmds = g_ptr_array_new();
	GHashTableIter iter;
	gpointer key;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "version");
	json_builder_add_string_value(b, caps->version != NULL ? caps->version : "");
	json_builder_set_member_name(b, "package");
	json_builder_add_string_value(b, caps->package != NULL ? caps->package : "");
	json_builder_set_member_name(b, "colo");
	json_builder_add_boolean_value(b, caps->colo);
	json_builder_set_member_name(b, "enable_when_stopped");
	json_builder_add_boolean_value(b, caps->enable_when_stopped);
	json_builder_set_member_name(b, "migrate_remaining");
	json_builder_add_boolean_value(b, caps->migrate_remaining);
	json_builder_set_member_name(b, "kvm");
	json_builder_add_boolean_value(b, caps->kvm_usable);
	json_builder_set_member_name(b, "oob");
	json_builder_add_boolean_value(b, caps->oob);
	json_builder_set_member_name(b, "migration_capabilities");
	json_builder_begin_array(b);
	for (guint i = 0; i < caps->migration_caps->len; i++)
		json_builder_add_string_value(b, g_ptr_array_index(caps->migration_caps, i));
	json_builder_end_array(b);
	g_hash_table_iter_init(&iter, caps->commands);
	while (g_hash_table_iter_next(&iter, &key, NULL))
		g_ptr_array_add(cmds, key);
	g_ptr_array_sort(cmds, cc_caps_strcmp);
	json_builder_set_member_name(b, "commands");
	json_builder_begin_array(b);
	for (guint i = 0; i < cmds->len; i++)
		json_builder_add_string_value(b, g_ptr_array_index(cmds, i));
	json_builder_end_array(b);
	json_builder_end_object(b);
	return json_builder_get_root(b);
}
