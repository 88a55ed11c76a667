/*
 * cc-engine: where configuration, store, backends and members meet.
 *
 * Guests are definitions plus members. Every guest transition is written to
 * the store (and its append-only event log) before it is acted on. On start
 * the engine reattaches to members that survived a daemon restart.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "cc-config.h"
#include "cc-store.h"

G_BEGIN_DECLS

#define CC_TYPE_ENGINE (cc_engine_get_type())
G_DECLARE_FINAL_TYPE(CcEngine, cc_engine, CC, ENGINE, GObject)

CcEngine *cc_engine_new(CcConfig *config, CcStore *store, GPtrArray *plugins, GError **error);
gboolean cc_engine_start(CcEngine *self, GError **error);
void cc_engine_shutdown(CcEngine *self);
CcConfig *cc_engine_get_config(CcEngine *self);
CcStore *cc_engine_get_store(CcEngine *self);

JsonNode *cc_engine_guest_list(CcEngine *self, GError **error);
GBytes *cc_engine_guest_list_bytes(CcEngine *self, GError **error);
JsonNode *cc_engine_guest_get(CcEngine *self, const gchar *name, GError **error);
JsonNode *cc_engine_guest_create(CcEngine *self, JsonObject *request, GError **error);
JsonNode *cc_engine_guest_start(CcEngine *self, const gchar *name, GError **error);
JsonNode *cc_engine_guest_stop(CcEngine *self, const gchar *name, gboolean force, GError **error);
gboolean cc_engine_guest_delete(CcEngine *self, const gchar *name, GError **error);
JsonNode *cc_engine_guest_migrate(CcEngine *self, const gchar *name, JsonObject *request,
				  GError **error);
JsonNode *cc_engine_guest_migration(CcEngine *self, const gchar *name, gboolean samples,
				    GError **error);
JsonNode *cc_engine_guest_migration_cancel(CcEngine *self, const gchar *name, GError **error);
JsonNode *cc_engine_guest_protect(CcEngine *self, const gchar *name, JsonObject *request,
				  GError **error);
JsonNode *cc_engine_guest_failover(CcEngine *self, const gchar *name, JsonObject *request,
				   GError **error);
JsonNode *cc_engine_guest_unprotect(CcEngine *self, const gchar *name, GError **error);
JsonNode *cc_engine_guest_failovers(CcEngine *self, const gchar *name, GError **error);
JsonNode *cc_engine_hosts(CcEngine *self);
JsonNode *cc_engine_health(CcEngine *self);
JsonNode *cc_engine_events(CcEngine *self, gint64 after, guint limit, GError **error);
JsonNode *cc_engine_event_to_json(const CcStoreEvent *event);
void cc_engine_metrics(CcEngine *self, GString *out);
guint cc_engine_get_busy(CcEngine *self);

G_END_DECLS
