/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "colo-error.h"

G_DEFINE_QUARK(colo - error - quark, colo_error)

static const gchar *const colo_error_names[] = {
	[COLO_ERROR_INTERNAL] = "internal",
	[COLO_ERROR_TIMEOUT] = "timeout",
	[COLO_ERROR_DISCONNECTED] = "disconnected",
	[COLO_ERROR_PROTOCOL] = "protocol",
	[COLO_ERROR_QMP_ERROR] = "qmp-error",
	[COLO_ERROR_SPAWN] = "spawn",
	[COLO_ERROR_CONNECT] = "connect",
	[COLO_ERROR_INVALID_INPUT] = "invalid-input",
	[COLO_ERROR_NOT_FOUND] = "not-found",
	[COLO_ERROR_CONFLICT] = "conflict",
	[COLO_ERROR_STUCK] = "stuck",
	[COLO_ERROR_CANCELLED] = "cancelled",
	[COLO_ERROR_UNSUPPORTED] = "unsupported",
	[COLO_ERROR_PLUGIN] = "plugin",
	[COLO_ERROR_STORE] = "store",
	[COLO_ERROR_STORE_CORRUPT] = "store-corrupt",
	[COLO_ERROR_STORE_MIGRATION] = "store-migration",
};
G_STATIC_ASSERT(G_N_ELEMENTS(colo_error_names) == COLO_ERROR_LAST);

gboolean
colo_error_is_code_valid(gint code)
{
	return code >= 0 && code < COLO_ERROR_LAST;
}

const gchar *
colo_error_code_to_string(ColoError code)
{
	if (!colo_error_is_code_valid(code))
		return "unknown";
	return colo_error_names[code];
}
