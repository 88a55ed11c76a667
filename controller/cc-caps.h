/*
 * cc-caps: what one QEMU can do, parsed from its probe replies. Pure: JSON in,
 * capabilities out, no I/O.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct {
	gchar *version; /* "major.minor.micro" */
	gchar *package;
	guint major;
	guint minor;
	guint micro;
	GHashTable *commands;      /* set of QMP command names */
	GPtrArray *migration_caps; /* names from query-migrate-capabilities */
	gboolean colo;             /* x-colo migration capability */
	gboolean enable_when_stopped;
	gboolean migrate_remaining; /* top-level "remaining" in query-migrate */
	gboolean kvm_present;
	gboolean kvm_enabled;
	gboolean kvm_usable; /* present in QEMU and /dev/kvm opens here */
	gboolean oob;
} CcCaps;

CcCaps *cc_caps_new(void);
void cc_caps_free(CcCaps *caps);
gboolean cc_caps_parse_version(CcCaps *caps, JsonNode *ret, GError **error);
gboolean cc_caps_parse_schema(CcCaps *caps, JsonNode *ret, GError **error);
gboolean cc_caps_parse_redirector(CcCaps *caps, JsonNode *ret, GError **error);
gboolean cc_caps_parse_migration(CcCaps *caps, JsonNode *ret, GError **error);
gboolean cc_caps_parse_kvm(CcCaps *caps, JsonNode *ret, GError **error);
gboolean cc_caps_has_command(const CcCaps *caps, const gchar *command);
JsonNode *cc_caps_to_json(const CcCaps *caps);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CcCaps, cc_caps_free)

G_END_DECLS
