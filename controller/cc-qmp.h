/*
 * cc-qmp: one QMP connection on the GLib main loop.
 *
 * Newline-delimited JSON. Every command carries its own deadline; a reply that
 * arrives after its deadline is dropped. Lines longer than the maximum line
 * size, or that are not JSON objects, are protocol errors that close the
 * connection. Nothing here ever blocks.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define CC_QMP_DEFAULT_MAX_LINE   (4 * 1024 * 1024)
#define CC_QMP_DEFAULT_TIMEOUT_MS 5000

typedef enum {
	CC_QMP_FLAG_NONE = 0,
	CC_QMP_FLAG_OOB = 1 << 0, /* send as exec-oob; needs negotiated oob */
} CcQmpFlags;

typedef enum {
	CC_QMP_STATE_GREETING, /* waiting for the greeting */
	CC_QMP_STATE_NEGOTIATING,
	CC_QMP_STATE_READY,
	CC_QMP_STATE_CLOSED,
} CcQmpState;

#define CC_TYPE_QMP (cc_qmp_get_type())
G_DECLARE_FINAL_TYPE(CcQmp, cc_qmp, CC, QMP, GObject)

CcQmp *cc_qmp_new(GIOStream *stream);
void cc_qmp_set_max_line(CcQmp *self, gsize max_line);
gsize cc_qmp_get_max_line(CcQmp *self);
CcQmpState cc_qmp_get_state(CcQmp *self);
gboolean cc_qmp_get_oob(CcQmp *self);
JsonObject *cc_qmp_get_greeting(CcQmp *self);
guint cc_qmp_get_pending(CcQmp *self);

void cc_qmp_handshake_async(CcQmp *self, guint timeout_ms, GCancellable *cancellable,
			    GAsyncReadyCallback callback, gpointer user_data);
gboolean cc_qmp_handshake_finish(CcQmp *self, GAsyncResult *res, GError **error);

void cc_qmp_connect_unix_async(const gchar *path, guint timeout_ms, GCancellable *cancellable,
			       GAsyncReadyCallback callback, gpointer user_data);
CcQmp *cc_qmp_connect_unix_finish(GAsyncResult *res, GError **error);

void cc_qmp_execute_async(CcQmp *self, const gchar *command, JsonObject *arguments,
			  CcQmpFlags flags, guint timeout_ms, GAsyncReadyCallback callback,
			  gpointer user_data);
JsonNode *cc_qmp_execute_finish(CcQmp *self, GAsyncResult *res, GError **error);

void cc_qmp_close(CcQmp *self, const GError *reason);

gchar *cc_qmp_error_dup_class(const GError *error);

G_END_DECLS
