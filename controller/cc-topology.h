/*
 * cc-topology: the COLO topology of a pair, as data. Pure: a pair spec and the
 * members' probed capabilities in; command-line arguments and QMP sequences
 * out. Nothing here talks to QEMU; cc-colo runs what this unit writes.
 *
 * Names are fixed so that every sequence can refer to what another one made:
 *   disk:     quorum "colo-disk0" (every guest launches with it, one child);
 *             on a secondary its child is "childs0" (replication, mode
 *             secondary) over the active/hidden overlays and "parent0";
 *             the primary's replication child is the node "colo-repl0",
 *             which becomes quorum child "children.1".
 *   network:  netdev "hn0"; primary chardevs mirror0, compare1 (TCP servers
 *             on the replication address), compare0/compare0-0 and
 *             compare_out/compare_out0 (local UNIX loops); objects m0,
 *             redire0, redire1, colo-iothread0, comp0; secondary chardevs
 *             red0, red1 and objects f1, f2, rew0.
 *   ports:    port_base + 0 mirror0, + 1 compare1, + 2 NBD, + 3 migration.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "cc-caps.h"

G_BEGIN_DECLS

#define CC_TOPOLOGY_DISK         "colo-disk0"
#define CC_TOPOLOGY_REPL_NODE    "colo-repl0"
#define CC_TOPOLOGY_REPL_CHILD   "children.1"
#define CC_TOPOLOGY_MIRROR_JOB   "colo-resync"
#define CC_TOPOLOGY_EXPORT       "parent0"
#define CC_TOPOLOGY_PORT_MIRROR  0
#define CC_TOPOLOGY_PORT_COMPARE 1
#define CC_TOPOLOGY_PORT_NBD     2
#define CC_TOPOLOGY_PORT_MIGRATE 3
#define CC_TOPOLOGY_PORTS        4

typedef struct {
	const gchar *guest;
	gboolean net;                   /* the guest has netdev hn0 */
	const gchar *primary_address;   /* the primary host's replication address */
	const gchar *secondary_address; /* the secondary host's replication address */
	guint port_base;                /* CC_TOPOLOGY_PORTS ports from here */
	const gchar *sock_dir;          /* the primary's local UNIX sockets */
	const gchar *sock_prefix;       /* unique per pair, e.g. the primary member's name */
	const gchar *secondary_disk;    /* the secondary's copy of the image (raw) */
	const gchar *active_disk;       /* qcow2, the disk's virtual size */
	const gchar *hidden_disk;       /* qcow2, the disk's virtual size */
	guint checkpoint_ms;            /* x-checkpoint-delay */
} CcPairSpec;

typedef struct {
	gchar *command;
	JsonObject *arguments; /* nullable */
	gboolean may_fail;     /* tear-down steps: an error is recorded, the sequence goes on */
} CcQmpStep;

void cc_qmp_step_free(CcQmpStep *step);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CcQmpStep, cc_qmp_step_free)

/* "-drive" value of the quorum every member launched as primary uses */
gchar *cc_topology_primary_drive(const gchar *image, const gchar *format);

/* the arguments a secondary adds to a primary's command line, minus the
 * primary's own -drive: disks, chardevs, filters and "-incoming defer" */
GPtrArray *cc_topology_secondary_args(const CcPairSpec *spec, const CcCaps *caps);

/* on the secondary, before the primary starts: x-colo, NBD server and export,
 * then migrate-incoming */
GPtrArray *cc_topology_secondary_prepare(const CcPairSpec *spec, const CcCaps *caps);

/* on the primary: the disk resync to the secondary's NBD export */
CcQmpStep *cc_topology_resync(const CcPairSpec *spec);

/* on the primary once the resync is ready: stop, end the job (the copy is
 * complete), add the primary-side chardevs, filters, colo-compare and the
 * replication child */
GPtrArray *cc_topology_primary_protect(const CcPairSpec *spec, const CcCaps *caps);

/* the primary's chardevs the secondary connects to; with a guest network, COLO
 * may start only once they are connected, or colo-compare sees the primary's
 * packets alone and asks for a checkpoint */
extern const gchar *const cc_topology_linked_chardevs[];

/* on the primary, the chardevs connected: x-colo, checkpoint delay, migrate */
GPtrArray *cc_topology_primary_start(const CcPairSpec *spec, const CcCaps *caps);

/* on the secondary when the primary is lost: it becomes the guest */
GPtrArray *cc_topology_failover_secondary(const CcPairSpec *spec, const CcCaps *caps);

/* on the primary when the secondary is lost: it drops replication */
GPtrArray *cc_topology_failover_primary(const CcPairSpec *spec, const CcCaps *caps);

/* the redirector ids a sequence or argument list sets enable_when_stopped on */
extern const gchar *const cc_topology_stopped_redirectors[];

G_END_DECLS
