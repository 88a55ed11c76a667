/*
 * cc-plugin: finds and loads backend plugins.
 *
 * Plugin directory, first match wins:
 *   1. $COLOCTL_PLUGIN_DIR
 *   2. <build root>/plugins, when the running binary lives in the build tree
 *   3. the installed plugin dir
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "cc-backend.h"

G_BEGIN_DECLS

gchar *cc_plugin_get_dir(void);
GPtrArray *cc_plugin_load_dir(const gchar *dir, GError **error);
CcBackend *cc_plugin_new_backend(GPtrArray *plugins, const gchar *name, GError **error);
gboolean cc_plugin_check_info(const CcPluginInfo *info, const gchar *origin, GError **error);

G_END_DECLS
