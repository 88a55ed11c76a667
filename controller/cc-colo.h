/*
 * cc-colo: one protected guest. It brings a secondary into COLO with the
 * running primary (disk resync, then the initial migration), watches both
 * members, and fails over when one is lost: fence the lost member first, then
 * run the survivor's failover sequence from cc-topology.
 *
 * A CcColo ends exactly once, with the "finished" signal: the survivor (or
 * none) and why. The engine turns that into guest state and members.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "cc-progress.h"
#include "cc-qemu.h"
#include "cc-topology.h"

G_BEGIN_DECLS

typedef enum {
	CC_COLO_PREPARING, /* secondary launching, disks being made */
	CC_COLO_SYNC_DISK, /* mirror to the secondary's NBD export */
	CC_COLO_SYNC_RAM,  /* the initial migration */
	CC_COLO_PROTECTED, /* both members in COLO */
	CC_COLO_FAILOVER,  /* fencing and promoting */
	CC_COLO_FINISHED,  /* one member or none is left; see "finished" */
} CcColoState;

typedef struct {
	guint watchdog_ms;        /* how often each member is asked */
	guint hang_ms;            /* no answer for this long: the member hangs */
	guint checkpoint_hang_ms; /* the same while a checkpoint runs (STOP..RESUME) */
	guint sync_timeout_s;     /* the whole protect, resync and migration included */
	guint sample_ms;          /* progress sampling while syncing */
	guint link_probe_ms;      /* TCP probe of the replication link from the primary; 0: none */
	const gchar *qemu_img;    /* makes the secondary's overlays */
} CcColoParams;

#define CC_TYPE_COLO (cc_colo_get_type())
G_DECLARE_FINAL_TYPE(CcColo, cc_colo, CC, COLO, GObject)

/* @spec is copied; @disk_size is the guest disk's virtual size in bytes */
CcColo *cc_colo_new(const gchar *guest, CcQemu *primary, CcQemu *secondary, const CcPairSpec *spec,
		    guint64 disk_size, const CcColoParams *params);
/* makes the secondary's disks, launches it with @secondary_argv, resyncs and
 * enters COLO. Progress goes out as "event" signals; the end as "finished". */
void cc_colo_protect(CcColo *self, const gchar *const *secondary_argv);
/* resumes supervision of a pair found running after a daemon restart (both
 * members attached, or failed to); @syncing: it was still being protected,
 * which is undone. A member that died meanwhile is failed over at once. */
void cc_colo_adopt(CcColo *self, gboolean syncing);
/* fails over on request: @lost is "primary" or "secondary", the member to give up */
gboolean cc_colo_failover(CcColo *self, const gchar *lost, const gchar *cause, GError **error);
/* stops supervising without touching the members (the guest is being stopped) */
void cc_colo_detach(CcColo *self);

CcColoState cc_colo_get_state(CcColo *self);
const gchar *cc_colo_state_to_string(CcColoState state);
CcQemu *cc_colo_get_primary(CcColo *self);
CcQemu *cc_colo_get_secondary(CcColo *self);
const CcPairSpec *cc_colo_get_spec(CcColo *self);
/* state, sync progress, health, the redirectors' enable_when_stopped, last failover */
JsonObject *cc_colo_to_json(CcColo *self);

G_END_DECLS
