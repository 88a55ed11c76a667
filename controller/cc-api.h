/*
 * cc-api: the REST API (libsoup-3): routes, request validation against
 * schema/api, bearer-token auth on TCP, problem+json errors, an SSE stream of
 * events and Prometheus metrics.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "cc-engine.h"

G_BEGIN_DECLS

#define CC_API_MAX_BODY (1024 * 1024)

#define CC_TYPE_API (cc_api_get_type())
G_DECLARE_FINAL_TYPE(CcApi, cc_api, CC, API, GObject)

CcApi *cc_api_new(CcEngine *engine, GError **error);
gboolean cc_api_listen_unix(CcApi *self, const gchar *path, GError **error);
gboolean cc_api_listen_tcp(CcApi *self, const gchar *address, const gchar *token_file,
			   const gchar *tls_certificate, const gchar *tls_key, GError **error);
guint cc_api_get_tcp_port(CcApi *self);
/* "METHOD /v1/path/{param}" for every route the server has */
GPtrArray *cc_api_dup_routes(void);

G_END_DECLS
