/*
 * cc-progress: migration progress computed from query-migrate samples. Pure: samples in (each
 * with its own monotonic time), a report out; no I/O, no clock reads, no main loop. One
 * CcProgress per migration attempt.
 *
 * The algorithm (DESIGN.md section 7), from the fields QEMU 7.2 and newer report:
 *
 * - B, bandwidth: EWMA of delta(ram.transferred) / delta(t), updated while data must flow
 *   (status active or postcopy-active) from samples at least half a sample interval apart;
 *   a new figure weighs alpha x dt / interval (at most 1), so irregular sampling weighs by time.
 *   A figure from a starved pipe (less RAM was pending than B carries in that time) is
 *   skipped: it measures the dirty rate, not the link. Until the first figure B is seeded from
 *   QEMU's mbps, which is always reported beside B as a cross-check (mbps goes stale when the
 *   transfer hangs; delta(transferred) does not).
 * - D, dirty rate = dirty-pages-rate x page-size; rho = D / B. QEMU measures the rate at its
 *   bitmap syncs, so D is unknown during the first pass (dirty-sync-count < 2).
 * - R, remaining: the top-level "remaining" where QEMU reports it (it counts stop-copy-only
 *   device data, see the stopcopy_bytes of QEMU's save_query_pending), else ram.remaining.
 *   An iteration boundary is a change of dirty-sync-count; R of the first sample after it is
 *   the boundary value R_b, and progress is judged on R_b only.
 * - precopy_percent: first pass transferred / total, then (total - R_b) / total at the last
 *   boundary, where total also counts the stop-copy-only data; never decreases, at most 99.9
 *   until completed, then 100. naive_percent is the figure management layers show today,
 *   100 - ram.remaining * 100 / total; it saw-tooths.
 * - Stop-copy: the predicted size is R + the configured device-state bytes, the predicted
 *   downtime size / B. Both are frozen when the stop phase starts: status pre-switchover or
 *   device, cc_progress_set_stopped(), or downtime-bytes > 0 (without pause-before-switchover
 *   7.2 stays "active" while the VM is stopped). stop_percent is then downtime-bytes against
 *   that size. After completion the report carries QEMU's downtime and total-time beside the
 *   predictions (QEMU lifts max-bandwidth for the stop phase, so the prediction is an upper
 *   bound there), and the time held in pre-switchover, which is the controller's share.
 *   QEMU 7.2 may answer "completed" with total-time and downtime still 0: those stay unknown
 *   (-1) until a later sample carries them, so sample once more after completion.
 * - ETA: with S the stop-copy-only part (top-level remaining - ram.remaining, plus device
 *   state) and T = B x downtime limit, each pass sends what is left and the next one carries
 *   what was dirtied meanwhile, D x (pass time): a geometric series of ratio rho. It ends at
 *   the first boundary where pass + S <= T, plus the final stop-copy (pass + S) / B. In the
 *   first pass D is unknown and the ETA is R x (1 - z) / B plus the stop-copy, z being the
 *   share of zero pages (ram.duplicate against ram.normal) among those sent so far: a zero
 *   page costs a few header bytes on the wire, while B is measured in bytes. With steady B this
 *   is the naive extrapolation; it leaves out what the guest dirties meanwhile, which no 7.2
 *   counter shows before the first sync. eta_ms is -1 when it does not converge: rho >= 1,
 *   more than max_iterations passes, or S alone over T; and while nothing has moved for two
 *   sample intervals.
 * - Dirty-rate hint: a D measured outside the migration (e.g. QEMU's calc-dirty-rate), given
 *   with cc_progress_set_dirty_rate_hint(). While QEMU's own figure is unknown (before the
 *   first boundary) the hint is D for rho, the convergence verdict and the ETA: the first-pass
 *   ETA is then the rest of the first pass as above, followed by the geometric series of later
 *   passes starting from what the guest dirtied during the first pass, D x T1 (T1 the whole
 *   first pass, at most total RAM), until a pass fits the limit, plus the stop-copy. QEMU's
 *   figure replaces the hint once it reports one.
 * - Verdicts: converging / not-converging (unknown before the first boundary; converging once
 *   completed). stall: no new minimum of R_b (1 % lower than the best) for stall_iterations
 *   boundaries, or for stall_seconds after at least one boundary; a stall makes the run
 *   not-converging whatever rho says, unless min R_b + device state already fits T.
 *   dead: transferred unchanged for dead_transfer_s while data must flow (active, device,
 *   postcopy-active): a network or QEMU hang.
 * - Advice, when not converging, the first step of the policy ladder that fits the numbers:
 *   abort when dead (never postcopy). When S alone exceeds T only a longer downtime helps:
 *   raise-downtime if S / B is within downtime_cap_ms, else pause (stop the VM to finish).
 *   Otherwise raise-downtime when (min R_b + device state) / B is within the cap;
 *   advised_downtime_ms carries 1.25 x the need. Then throttle when rho is below
 *   throttle_max_rho (or unknown), postcopy when allowed, else pause.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum {
	CC_PROGRESS_PHASE_NONE, /* no migration yet: query-migrate returned {} */
	CC_PROGRESS_PHASE_SETUP,
	CC_PROGRESS_PHASE_PRECOPY,
	CC_PROGRESS_PHASE_STOP_COPY, /* pre-switchover, device, or active after STOP */
	CC_PROGRESS_PHASE_POSTCOPY,
	CC_PROGRESS_PHASE_COMPLETED, /* also "colo": the migration part is done */
	CC_PROGRESS_PHASE_FAILED,
	CC_PROGRESS_PHASE_CANCELLED, /* cancelling or cancelled */
} CcProgressPhase;

typedef enum {
	CC_PROGRESS_CONVERGENCE_UNKNOWN,
	CC_PROGRESS_CONVERGENCE_CONVERGING,
	CC_PROGRESS_CONVERGENCE_NOT_CONVERGING,
} CcProgressConvergence;

typedef enum {
	CC_PROGRESS_ADVICE_NONE,
	CC_PROGRESS_ADVICE_RAISE_DOWNTIME,
	CC_PROGRESS_ADVICE_THROTTLE,
	CC_PROGRESS_ADVICE_POSTCOPY,
	CC_PROGRESS_ADVICE_PAUSE,
	CC_PROGRESS_ADVICE_ABORT,
} CcProgressAdvice;

/* cc_progress_config_init() fills the defaults; a value out of range is replaced by its default */
typedef struct {
	guint sample_interval_ms;   /* 250: how often the caller samples (weights the EWMA) */
	gdouble bandwidth_alpha;    /* 0.25: EWMA weight of a new figure one interval apart */
	guint stall_iterations;     /* 3: boundaries without a new minimum of R (0: off) */
	guint stall_seconds;        /* 0: seconds without a new minimum of R (0: off) */
	guint dead_transfer_s;      /* 10: transferred unchanged this long while active */
	guint64 downtime_limit_ms;  /* 300: as set on the migration (QEMU's default) */
	guint64 device_state_bytes; /* 0: non-iterative device state QEMU does not report */
	guint max_iterations;       /* 30: more passes than this to converge is not converging */
	guint64 downtime_cap_ms;    /* 2000: the most raise-downtime may advise (0: never) */
	gdouble throttle_max_rho;   /* 3.0: above this throttling would have to cut too much */
	gboolean postcopy_allowed;  /* TRUE */
} CcProgressConfig;

typedef struct {
	CcProgressPhase phase;
	const gchar *status; /* QEMU's last status, "" before any */
	gint64 t_us;         /* time of the last sample */
	gint64 total_time_ms;
	guint64 total_bytes;            /* ram.total */
	guint64 transferred;            /* ram.transferred */
	guint64 remaining;              /* R */
	gboolean remaining_top_level;   /* R is the top-level remaining */
	guint64 stopcopy_only_bytes;    /* top-level remaining - ram.remaining */
	guint64 iteration;              /* dirty-sync-count */
	guint boundaries;               /* iteration boundaries seen */
	guint64 boundary_remaining;     /* R_b at the last boundary */
	guint64 min_boundary_remaining; /* the lowest R_b */
	gdouble bandwidth;              /* B, bytes/s, 0 unknown */
	gdouble bandwidth_mbps;         /* QEMU's mbps in bytes/s, 0 unknown */
	gdouble dirty_rate;             /* D, bytes/s, -1 unknown */
	gdouble dirty_rate_hint;        /* the hint, bytes/s, -1 none */
	gboolean dirty_rate_hinted;     /* D is the hint: QEMU's figure is not known yet */
	gdouble rho;                    /* D / B, -1 unknown */
	gdouble precopy_percent;
	gdouble naive_percent; /* 100 - remaining * 100 / total, -1 unknown */
	guint64 stopcopy_predicted_bytes;
	gint64 downtime_predicted_ms; /* -1 unknown */
	gdouble stop_percent;         /* -1 outside the stop phase */
	gint64 eta_ms;                /* -1: does not converge, or unknown */
	CcProgressConvergence convergence;
	CcProgressAdvice advice;
	gint64 advised_downtime_ms; /* with raise-downtime, else -1 */
	gboolean stall;
	gboolean dead;
	gint64 no_progress_ms; /* since transferred last moved while data must flow */
	guint64 downtime_limit_ms;
	gint64 stopped_t_us;              /* when the stop phase started, -1 before */
	gint64 qemu_expected_downtime_ms; /* QEMU's own expected-downtime, -1 unknown */
	/* after completion; -1 unknown */
	gint64 downtime_actual_ms;
	gint64 total_time_actual_ms;
	gint64 total_time_predicted_ms; /* elapsed + ETA at the first boundary */
	gint64 stopcopy_actual_bytes;   /* downtime-bytes */
	gint64 pause_ms;                /* time seen in pre-switchover */
} CcProgressReport;

typedef struct _CcProgress CcProgress;

void cc_progress_config_init(CcProgressConfig *cfg);
/* @cfg may be NULL for the defaults */
CcProgress *cc_progress_new(const CcProgressConfig *cfg);
void cc_progress_free(CcProgress *self);
/*
 * @reply: the return object of query-migrate, sampled at @t_us (monotonic). Missing members
 * are tolerated; a member of the wrong type, a negative counter or a time earlier than the
 * last sample is an error and leaves the state as it was.
 */
gboolean cc_progress_add_sample(CcProgress *self, gint64 t_us, JsonObject *reply, GError **error);
/* the STOP event: the stop phase starts */
void cc_progress_set_stopped(CcProgress *self, gint64 t_us);
/* a policy changed the downtime limit of the migration */
void cc_progress_set_downtime_limit(CcProgress *self, guint64 ms);
/*
 * a dirty rate measured outside the migration (e.g. calc-dirty-rate), in bytes/s: D until
 * QEMU's own figure is known; a negative value withdraws it
 */
void cc_progress_set_dirty_rate_hint(CcProgress *self, gdouble bytes_per_s);
const CcProgressReport *cc_progress_get_report(CcProgress *self);
JsonObject *cc_progress_report_to_json(const CcProgressReport *report);

const gchar *cc_progress_phase_to_string(CcProgressPhase phase);
const gchar *cc_progress_convergence_to_string(CcProgressConvergence convergence);
const gchar *cc_progress_advice_to_string(CcProgressAdvice advice);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CcProgress, cc_progress_free)

G_END_DECLS
