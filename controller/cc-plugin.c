/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "CcPlugin"

#include "config.h"

#include <gmodule.h>

#include "cc-plugin.h"
#include "colo-error.h"

gchar *
cc_plugin_get_dir(void)
{
	const gchar *env = g_getenv("COLOCTL_PLUGIN_DIR");
	g_autofree gchar *exe = NULL;

	if (env != NULL && env[0] != '\0')
		return g_strdup(env);
	exe = g_file_read_link("/proc/self/exe", NULL);
	if (exe != NULL && g_str_has_prefix(exe, COLO_BUILD_ROOT "/"))
		return g_build_filename(COLO_BUILD_ROOT, "plugins", NULL);
	return g_strdup(COLO_PLUGINDIR);
}

gboolean
cc_plugin_check_info(const CcPluginInfo *info, const gchar *origin, GError **error)
{
	if (info == NULL) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_PLUGIN, "%s: no plugin info", origin);
		return FALSE;
	}
	if (info->abi_version != CC_BACKEND_ABI_VERSION) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_PLUGIN,
			    "%s: plugin ABI %u, this daemon needs %u", origin, info->abi_version,
			    CC_BACKEND_ABI_VERSION);
		return FALSE;
	}
	if (info->name == NULL || info->get_type == NULL) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_PLUGIN,
			    "%s: plugin info lacks a name or type", origin);
		return FALSE;
	}
	return TRUE;
}

static const CcPluginInfo *
cc_plugin_load_file(const gchar *path, GError **error)
{
	GModule *module;
	gpointer sym = NULL;
	const CcPluginInfo *info;

	module = g_module_open(path, G_MODULE_BIND_LOCAL);
	if (module == NULL) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_PLUGIN, "cannot load %s: %s", path,
			    g_module_error());
		return NULL;
	}
	if (!g_module_symbol(module, CC_PLUGIN_QUERY_SYMBOL, &sym) || sym == NULL) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_PLUGIN, "%s has no %s symbol", path,
			    CC_PLUGIN_QUERY_SYMBOL);
		g_module_close(module);
		return NULL;
	}
	info = ((CcPluginQueryFunc)sym)();
	if (!cc_plugin_check_info(info, path, error)) {
		g_module_close(module);
		return NULL;
	}
	/* types registered by the module must outlive everything: never unload */
	g_module_make_resident(module);
	return info;
}

static void
cc_plugin_scan(const gchar *dir, GPtrArray *plugins, guint depth)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const gchar *fn;

	if (d == NULL)
		return;
	while ((fn = g_dir_read_name(d)) != NULL) {
		g_autofree gchar *path = g_build_filename(dir, fn, NULL);
		g_autoptr(GError) error_local = NULL;
		const CcPluginInfo *info;

		if (depth == 0 && g_file_test(path, G_FILE_TEST_IS_DIR)) {
			cc_plugin_scan(path, plugins, depth + 1);
			continue;
		}
		if (!g_str_has_prefix(fn, "libcolo_plugin_") || !g_str_has_suffix(fn, ".so"))
			continue;
		info = cc_plugin_load_file(path, &error_local);
		if (info == NULL) {
			g_warning("%s", error_local->message);
			continue;
		}
		g_debug("loaded plugin %s from %s", info->name, path);
		g_ptr_array_add(plugins, (gpointer)info);
	}
}

GPtrArray *
cc_plugin_load_dir(const gchar *dir, GError **error)
{
	g_autoptr(GPtrArray) plugins = g_ptr_array_new();

	if (!g_file_test(dir, G_FILE_TEST_IS_DIR)) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_PLUGIN,
			    "plugin directory %s does not exist", dir);
		return NULL;
	}
	cc_plugin_scan(dir, plugins, 0);
	if (plugins->len == 0) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_PLUGIN, "no usable plugin in %s", dir);
		return NULL;
	}
	return g_steal_pointer(&plugins);
}

CcBackend *
cc_plugin_new_backend(GPtrArray *plugins, const gchar *name, GError **error)
{
	for (guint i = 0; plugins != NULL && i < plugins->len; i++) {
		const CcPluginInfo *info = g_ptr_array_index(plugins, i);
		GType type;
		if (g_strcmp0(info->name, name) != 0)
			continue;
		type = info->get_type();
		if (!g_type_is_a(type, CC_TYPE_BACKEND)) {
			g_set_error(error, COLO_ERROR, COLO_ERROR_PLUGIN,
				    "plugin %s does not provide a backend", name);
			return NULL;
		}
		return g_object_new(type, "name", name, NULL);
	}
	g_set_error(error, COLO_ERROR, COLO_ERROR_PLUGIN, "no backend plugin named %s", name);
	return NULL;
}
