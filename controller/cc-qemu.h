/*
 * cc-qemu: one QEMU member. It owns the process (through a backend), its QMP
 * connection, the capabilities probed once per launch, a generation counter
 * bumped on every launch, and the stop ladder:
 *
 *   quit -> wait for EOF and exit -> SIGTERM -> SIGKILL -> stuck
 *
 * Every step has its own deadline and is reported through CcQemu::event.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "cc-backend.h"
#include "cc-caps.h"
#include "cc-qmp.h"

G_BEGIN_DECLS

typedef enum {
	CC_QEMU_STATE_NEW,
	CC_QEMU_STATE_STARTING,
	CC_QEMU_STATE_RUNNING,
	CC_QEMU_STATE_STOPPING,
	CC_QEMU_STATE_STOPPED,
	CC_QEMU_STATE_FAILED,
	CC_QEMU_STATE_STUCK,
} CcQemuState;

typedef struct {
	guint connect_ms; /* monitor connect, greeting and qmp_capabilities */
	guint query_ms;   /* query-* commands */
	guint change_ms;  /* commands that change state */
	guint quit_ms;    /* ladder step 1: reply to quit */
	guint exit_ms;    /* ladder step 2: EOF and process exit after quit */
	guint term_ms;    /* ladder step 3: exit after SIGTERM */
	guint kill_ms;    /* ladder step 4: exit after SIGKILL */
} CcQemuTimeouts;

#define CC_TYPE_QEMU (cc_qemu_get_type())
G_DECLARE_FINAL_TYPE(CcQemu, cc_qemu, CC, QEMU, GObject)

CcQemu *cc_qemu_new(CcBackend *backend, const gchar *name, const gchar *runtime_dir);
void cc_qemu_timeouts_init(CcQemuTimeouts *t);
void cc_qemu_set_timeouts(CcQemu *self, const CcQemuTimeouts *timeouts);
const CcQemuTimeouts *cc_qemu_get_timeouts(CcQemu *self);
void cc_qemu_set_netns(CcQemu *self, const gchar *netns);
void cc_qemu_set_tap_bridge(CcQemu *self, const gchar *bridge);

void cc_qemu_launch_async(CcQemu *self, const gchar *const *argv, GCancellable *cancellable,
			  GAsyncReadyCallback callback, gpointer user_data);
void cc_qemu_attach_async(CcQemu *self, GPid pid, guint64 start_time, guint generation,
			  GCancellable *cancellable, GAsyncReadyCallback callback,
			  gpointer user_data);
gboolean cc_qemu_launch_finish(CcQemu *self, GAsyncResult *res, GError **error);

void cc_qemu_stop_async(CcQemu *self, GAsyncReadyCallback callback, gpointer user_data);
void cc_qemu_stop_full_async(CcQemu *self, gboolean force, GAsyncReadyCallback callback,
			     gpointer user_data);
gboolean cc_qemu_stop_finish(CcQemu *self, GAsyncResult *res, GError **error);

void cc_qemu_execute_async(CcQemu *self, const gchar *command, JsonObject *arguments,
			   CcQmpFlags flags, guint timeout_ms, GAsyncReadyCallback callback,
			   gpointer user_data);
JsonNode *cc_qemu_execute_finish(CcQemu *self, GAsyncResult *res, GError **error);

const gchar *cc_qemu_get_name(CcQemu *self);
CcQemuState cc_qemu_get_state(CcQemu *self);
const gchar *cc_qemu_state_to_string(CcQemuState state);
guint cc_qemu_get_generation(CcQemu *self);
GPid cc_qemu_get_pid(CcQemu *self);
CcProcess *cc_qemu_get_process(CcQemu *self);
const CcCaps *cc_qemu_get_caps(CcQemu *self);
const gchar *cc_qemu_get_qmp_path(CcQemu *self);
const gchar *cc_qemu_get_log_path(CcQemu *self);
const gchar *cc_qemu_get_netns(CcQemu *self);
gboolean cc_qemu_get_unresponsive(CcQemu *self);

G_END_DECLS
