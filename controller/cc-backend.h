/*
 * cc-backend: the plugin interface. A backend knows how to put a member's
 * process somewhere (directly, in a network namespace, as a libvirt domain)
 * and how to open its QMP transport. Everything else about a member lives in
 * the core (cc-qemu).
 *
 * A plugin is a shared module with exactly one exported symbol,
 * cc_plugin_query(), returning a CcPluginInfo whose abi_version must equal
 * CC_BACKEND_ABI_VERSION. Plugins are made resident and never unloaded.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

#include "cc-process.h"

G_BEGIN_DECLS

#define CC_BACKEND_ABI_VERSION 1u
#define CC_PLUGIN_QUERY_SYMBOL "cc_plugin_query"

typedef struct {
	const gchar *name;        /* member name, passed as -name */
	const gchar *const *argv; /* binary and arguments; the backend adds the monitor */
	const gchar *qmp_path;    /* UNIX socket path of the monitor */
	const gchar *log_path;    /* stdout and stderr of the process */
	const gchar *netns;       /* nullable: network namespace to run in */
} CcLaunchSpec;

#define CC_TYPE_BACKEND (cc_backend_get_type())
G_DECLARE_DERIVABLE_TYPE(CcBackend, cc_backend, CC, BACKEND, GObject)

struct _CcBackendClass {
	GObjectClass parent_class;
	/* starts the process with its monitor listening at spec->qmp_path */
	CcProcess *(*launch)(CcBackend *self, const CcLaunchSpec *spec, GError **error);
	/* reattaches to a running process after a daemon restart */
	CcProcess *(*attach)(CcBackend *self, GPid pid, guint64 start_time, GError **error);
	gpointer padding[12];
};

typedef struct {
	guint32 abi_version;
	const gchar *name; /* backend name used in config, e.g. "qemu" */
	const gchar *description;
	GType (*get_type)(void); /* a subclass of CcBackend */
} CcPluginInfo;

typedef const CcPluginInfo *(*CcPluginQueryFunc)(void);

CcProcess *cc_backend_launch(CcBackend *self, const CcLaunchSpec *spec, GError **error);
CcProcess *cc_backend_attach(CcBackend *self, GPid pid, guint64 start_time, GError **error);
const gchar *cc_backend_get_name(CcBackend *self);

G_END_DECLS
