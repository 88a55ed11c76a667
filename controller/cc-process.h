/*
 * cc-process: one OS process we supervise, either our own child or one we
 * reattached to. Exit is seen through a child watch (children) or a pidfd
 * (anything else), never by polling.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define CC_TYPE_PROCESS (cc_process_get_type())
G_DECLARE_FINAL_TYPE(CcProcess, cc_process, CC, PROCESS, GObject)

CcProcess *cc_process_new_child(GPid pid);
CcProcess *cc_process_new_attach(GPid pid, guint64 start_time, GError **error);
GPid cc_process_get_pid(CcProcess *self);
guint64 cc_process_get_start_time(CcProcess *self);
gboolean cc_process_get_exited(CcProcess *self);
gint cc_process_get_wait_status(CcProcess *self);
gboolean cc_process_kill(CcProcess *self, gint signo, GError **error);
gchar cc_process_get_proc_state(CcProcess *self);
gchar *cc_process_describe_exit(CcProcess *self);

gboolean cc_proc_read_stat(GPid pid, gchar *state, guint64 *start_time, GError **error);

G_END_DECLS
