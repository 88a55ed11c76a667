/*
 * coloctl: the one error domain shared by the daemon, its plugins and the CLI.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define COLO_ERROR colo_error_quark()

/*
 * Stable codes: never renumber, only append. colo_error_code_to_string() gives
 * the stable string used in the REST API and in events.
 */
typedef enum {
	COLO_ERROR_INTERNAL,        /* a bug or an unexpected system failure */
	COLO_ERROR_TIMEOUT,         /* a deadline passed */
	COLO_ERROR_DISCONNECTED,    /* EOF on a monitor, including mid-reply */
	COLO_ERROR_PROTOCOL,        /* malformed or oversized line, unexpected message */
	COLO_ERROR_QMP_ERROR,       /* QEMU answered with an error: "Class: description" */
	COLO_ERROR_SPAWN,           /* a process could not be started */
	COLO_ERROR_CONNECT,         /* a socket could not be connected */
	COLO_ERROR_INVALID_INPUT,   /* bad argument, config or request */
	COLO_ERROR_NOT_FOUND,       /* no such object */
	COLO_ERROR_CONFLICT,        /* not allowed in the current state */
	COLO_ERROR_STUCK,           /* a process survived SIGKILL past its deadline */
	COLO_ERROR_CANCELLED,       /* the operation was cancelled */
	COLO_ERROR_UNSUPPORTED,     /* the member lacks a needed capability */
	COLO_ERROR_PLUGIN,          /* a plugin failed to load or has the wrong ABI */
	COLO_ERROR_STORE,           /* the state store (SQLite) failed */
	COLO_ERROR_STORE_CORRUPT,   /* the state store file is not a sound database */
	COLO_ERROR_STORE_MIGRATION, /* the state store schema could not be brought up to date */
	COLO_ERROR_LAST
} ColoError;

GQuark colo_error_quark(void);
const gchar *colo_error_code_to_string(ColoError code);
gboolean colo_error_is_code_valid(gint code);

G_END_DECLS
