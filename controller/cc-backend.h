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

#define CC_BACKEND_ABI_VERSION 2u
#define CC_PLUGIN_QUERY_SYMBOL "cc_plugin_query"

typedef struct {
	const gchar *name;        /* member name, passed as -name */
	const gchar *const *argv; /* binary and arguments; the backend adds the monitor */
	const gchar *qmp_path;    /* UNIX socket path of the monitor */
	const gchar *log_path;    /* stdout and stderr of the process */
	const gchar *netns;       /* nullable: network namespace to run in */
	/* ABI 2 */
	const gchar *tap_bridge; /* nullable: give the process a tap on this bridge */
	const gchar *tap_name;   /* nullable: the tap's name; NULL: cc_backend_tap_name(name) */
} CcLaunchSpec;

/*
 * Networking without QEMU's bridge helper. When CcLaunchSpec.tap_bridge is set,
 * the backend creates a tap device in the process's network namespace (netns,
 * or the daemon's own), attaches it to the bridge of that name in the same
 * namespace, brings it up and hands it to the process as file descriptor
 * CC_BACKEND_TAP_FD. The tap is not persistent: the process holds the only
 * descriptor, so the tap vanishes when the process dies. It has no vnet
 * header (IFF_TAP | IFF_NO_PI), so the caller's command line must contain
 *
 *   -netdev tap,id=hn0,fd=4,vhost=off
 *
 * (CC_BACKEND_TAP_NETDEV below; any id works, fd must be CC_BACKEND_TAP_FD).
 * No vnet_hdr=: QEMU refuses it together with fd= ("ifname=, script=, ...,
 * vnet_hdr= ... are invalid with fd="); it reads the tap's flags instead and
 * finds no vnet header.
 * A missing bridge or any other failure makes launch fail with COLO_ERROR_SPAWN,
 * e.g. "cannot attach tap cc-0123456789ab to bridge br0 in netns hostA: No such
 * device"; an invalid tap or bridge name gives COLO_ERROR_INVALID_INPUT.
 * File descriptor 3 is the monitor's listening socket.
 */
#define CC_BACKEND_QMP_FD     3
#define CC_BACKEND_TAP_FD     4
#define CC_BACKEND_TAP_NETDEV "tap,id=hn0,fd=4,vhost=off"

/*
 * The tap name used when CcLaunchSpec.tap_name is NULL: "cc-" and the first 12
 * hex digits of the SHA-256 of @member_name, 15 characters (IFNAMSIZ - 1).
 * Stable across launches and daemon restarts; distinct member names give
 * distinct names (a collision needs a 48-bit hash collision). Free with g_free().
 */
gchar *cc_backend_tap_name(const gchar *member_name);
/* TRUE if @name is a valid Linux interface name: 1..15 bytes, no '/', ':' or space, not . or .. */
gboolean cc_backend_ifname_valid(const gchar *name);

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
