/*
 * The module entry point: the one symbol this plugin exports.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "cc-backend-qemu.h"

G_MODULE_EXPORT const CcPluginInfo *cc_plugin_query(void);

G_MODULE_EXPORT const CcPluginInfo *
cc_plugin_query(void)
{
	return cc_plugin_qemu_info();
}
