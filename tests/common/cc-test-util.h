/*
 * Helpers shared by the unit and system tests: run the main loop with a
 * deadline, turn async calls into results, start fake or real QEMU members.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "cc-backend-qemu.h"
#include "cc-qemu.h"

G_BEGIN_DECLS

typedef struct {
	GAsyncResult *res;
	gint64 done_us;
} CcTestAsync;

void cc_test_async_cb(GObject *source, GAsyncResult *res, gpointer user_data);
/* iterates the default context until @async completes; fails the test after @timeout_ms */
GAsyncResult *cc_test_async_wait(CcTestAsync *async, guint timeout_ms);
void cc_test_async_clear(CcTestAsync *async);
/* iterates the default context for @ms */
void cc_test_spin(guint ms);

const gchar *cc_test_env(const gchar *name);
/* a fresh temp dir for this test, removed at exit */
gchar *cc_test_tmpdir(void);
/* removes the files in @dir (one level) and @dir itself */
void cc_test_rm_tmpdir(const gchar *dir);
/* writes @contents to a keyfile in @dir and points FAKE_QMP_CONFIG at it */
gchar *cc_test_fake_config(const gchar *dir, const gchar *contents);
CcBackend *cc_test_backend(void);
/* a member on the fake QMP server or real QEMU, launched and probed */
CcQemu *cc_test_member_launch(CcBackend *backend, const gchar *dir, const gchar *name,
			      const gchar *const *argv, const CcQemuTimeouts *timeouts,
			      GError **error);
gboolean cc_test_member_stop(CcQemu *member, guint timeout_ms, GError **error);
JsonNode *cc_test_member_execute(CcQemu *member, const gchar *command, guint timeout_ms,
				 GError **error);

/* records every CcQemu::event as "kind" or "kind:step" into a GPtrArray of strings */
void cc_test_record_events(CcQemu *member, GPtrArray *events);
gboolean cc_test_events_contain(GPtrArray *events, const gchar *what);

/* resident set size of this process in KiB */
gsize cc_test_rss_kib(void);
gint cc_test_cmp_double(gconstpointer a, gconstpointer b);

G_END_DECLS
