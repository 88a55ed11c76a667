/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "CcProgress"

#include "config.h"

#include "cc-progress.h"
#include "colo-error.h"

/* a boundary value must be this much below the best one to count as progress */
#define CC_PROGRESS_NEW_MINIMUM_RATIO 0.99
#define CC_PROGRESS_PERCENT_MAX       99.9
#define CC_PROGRESS_DEFAULT_PAGE_SIZE 4096
/* pages the first pass must have sent before its zero-page share is trusted */
#define CC_PROGRESS_ZERO_SHARE_MIN_PAGES 256

/* one query-migrate reply; -1 marks a missing member */
typedef struct {
	const gchar *status; /* NULL when missing */
	gint64 total_time;
	gint64 expected_downtime;
	gint64 downtime;
	gint64 remaining_top;
	gint64 transferred;
	gint64 remaining;
	gint64 total;
	gint64 dirty_pages_rate;
	gint64 dirty_sync_count;
	gint64 page_size;
	gint64 downtime_bytes;
	gint64 normal;    /* pages sent whole */
	gint64 duplicate; /* zero pages: a few header bytes each on the wire */
	gdouble mbps;
} CcProgressSample;

struct _CcProgress {
	CcProgressConfig cfg;
	CcProgressReport report;
	gchar *status;
	gboolean have_sample;
	gboolean stopped;     /* cc_progress_set_stopped() was called */
	gboolean stop_frozen; /* the stop-copy prediction is final */
	gboolean first_pass_done;
	gdouble zero_share; /* of the pages sent in the first pass, -1 unknown */
	gint64 t_start_us;
	/* bandwidth: the reference point of the next figure */
	gboolean bw_ref_valid;
	gint64 bw_ref_t_us;
	gint64 bw_ref_transferred;
	gint64 bw_ref_remaining; /* ram.remaining there, -1 unknown */
	/* iteration boundaries */
	gint64 sync_count; /* -1 before the first */
	gint64 t_boundary_us;
	guint64 best_boundary; /* the reference of the stall test */
	gint64 t_best_us;
	guint since_best; /* boundaries since best_boundary was set */
	/* dead transfer */
	gint64 last_transferred;
	gint64 t_progress_us;
	/* pre-switchover */
	gint64 t_pause_first_us;
};

void
cc_progress_config_init(CcProgressConfig *cfg)
{
	cfg->sample_interval_ms = 250;
	cfg->bandwidth_alpha = 0.25;
	cfg->stall_iterations = 3;
	cfg->stall_seconds = 0;
	cfg->dead_transfer_s = 10;
	cfg->downtime_limit_ms = 300;
	cfg->device_state_bytes = 0;
	cfg->max_iterations = 30;
	cfg->downtime_cap_ms = 2000;
	cfg->throttle_max_rho = 3.0;
	cfg->postcopy_allowed = TRUE;
}

static void
cc_progress_config_sanitize(CcProgressConfig *cfg)
{
	CcProgressConfig def;

	cc_progress_config_init(&def);
	if (cfg->sample_interval_ms == 0)
		cfg->sample_interval_ms = def.sample_interval_ms;
	if (!(cfg->bandwidth_alpha > 0 && cfg->bandwidth_alpha <= 1))
		cfg->bandwidth_alpha = def.bandwidth_alpha;
	if (cfg->dead_transfer_s == 0)
		cfg->dead_transfer_s = def.dead_transfer_s;
	if (cfg->max_iterations == 0)
		cfg->max_iterations = def.max_iterations;
	if (!(cfg->throttle_max_rho > 0))
		cfg->throttle_max_rho = def.throttle_max_rho;
}

CcProgress *
cc_progress_new(const CcProgressConfig *cfg)
{
	CcProgress *self = g_new0(CcProgress, 1);

	if (cfg != NULL)
		self->cfg = *cfg;
	else
		cc_progress_config_init(&self->cfg);
	cc_progress_config_sanitize(&self->cfg);
	self->status = g_strdup("");
	self->sync_count = -1;
	self->zero_share = -1;
	self->last_transferred = -1;
	self->t_pause_first_us = -1;
	self->report.phase = CC_PROGRESS_PHASE_NONE;
	self->report.status = self->status;
	self->report.total_time_ms = -1;
	self->report.dirty_rate = -1;
	self->report.dirty_rate_hint = -1;
	self->report.rho = -1;
	self->report.naive_percent = -1;
	self->report.downtime_predicted_ms = -1;
	self->report.stop_percent = -1;
	self->report.eta_ms = -1;
	self->report.advised_downtime_ms = -1;
	self->report.downtime_limit_ms = self->cfg.downtime_limit_ms;
	self->report.stopped_t_us = -1;
	self->report.qemu_expected_downtime_ms = -1;
	self->report.downtime_actual_ms = -1;
	self->report.total_time_actual_ms = -1;
	self->report.total_time_predicted_ms = -1;
	self->report.stopcopy_actual_bytes = -1;
	self->report.pause_ms = -1;
	return self;
}

void
cc_progress_free(CcProgress *self)
{
	if (self == NULL)
		return;
	g_free(self->status);
	g_free(self);
}

/* ------------------------------------------------------------------------------------------ */
/* parsing: nothing of the state changes until the whole reply is known to be sound */

static gboolean
cc_progress_get_number(JsonObject *obj, const gchar *prefix, const gchar *name, gint64 *ival,
		       gdouble *dval, GError **error)
{
	JsonNode *node;
	GType type;
	gdouble d;

	if (obj == NULL || !json_object_has_member(obj, name))
		return TRUE;
	node = json_object_get_member(obj, name);
	if (JSON_NODE_HOLDS_NULL(node))
		return TRUE;
	type = JSON_NODE_HOLDS_VALUE(node) ? json_node_get_value_type(node) : G_TYPE_INVALID;
	if (type == G_TYPE_INT64) {
		gint64 v = json_node_get_int(node);
		if (v < 0) {
			g_set_error(error, COLO_ERROR, COLO_ERROR_PROTOCOL,
				    "query-migrate: %s%s is negative", prefix, name);
			return FALSE;
		}
		if (ival != NULL)
			*ival = v;
		if (dval != NULL)
			*dval = (gdouble)v;
		return TRUE;
	}
	if (type != G_TYPE_DOUBLE) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_PROTOCOL,
			    "query-migrate: %s%s is not a number", prefix, name);
		return FALSE;
	}
	d = json_node_get_double(node);
	if (!(d >= 0 && d < 9.2e18)) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_PROTOCOL,
			    "query-migrate: %s%s is out of range", prefix, name);
		return FALSE;
	}
	if (ival != NULL)
		*ival = (gint64)d;
	if (dval != NULL)
		*dval = d;
	return TRUE;
}

static gboolean
cc_progress_parse_ram(JsonObject *ram, CcProgressSample *s, GError **error)
{
	const struct {
		const gchar *name;
		gint64 *value;
	} counts[] = {
		{"transferred", &s->transferred},
		{"remaining", &s->remaining},
		{"total", &s->total},
		{"dirty-pages-rate", &s->dirty_pages_rate},
		{"dirty-sync-count", &s->dirty_sync_count},
		{"page-size", &s->page_size},
		{"downtime-bytes", &s->downtime_bytes},
		{"normal", &s->normal},
		{"duplicate", &s->duplicate},
	};

	for (guint i = 0; i < G_N_ELEMENTS(counts); i++) {
		if (!cc_progress_get_number(ram, "ram.", counts[i].name, counts[i].value, NULL,
					    error))
			return FALSE;
	}
	return cc_progress_get_number(ram, "ram.", "mbps", NULL, &s->mbps, error);
}

static gboolean
cc_progress_parse(JsonObject *reply, CcProgressSample *s, GError **error)
{
	const struct {
		const gchar *name;
		gint64 *value;
	} counts[] = {
		{"total-time", &s->total_time},
		{"expected-downtime", &s->expected_downtime},
		{"downtime", &s->downtime},
		{"remaining", &s->remaining_top},
	};
	const CcProgressSample missing = {
		.status = NULL,
		.total_time = -1,
		.expected_downtime = -1,
		.downtime = -1,
		.remaining_top = -1,
		.transferred = -1,
		.remaining = -1,
		.total = -1,
		.dirty_pages_rate = -1,
		.dirty_sync_count = -1,
		.page_size = -1,
		.downtime_bytes = -1,
		.normal = -1,
		.duplicate = -1,
		.mbps = -1,
	};
	JsonObject *ram = NULL;

	*s = missing;
	if (json_object_has_member(reply, "status")) {
		JsonNode *node = json_object_get_member(reply, "status");
		if (!JSON_NODE_HOLDS_VALUE(node) ||
		    json_node_get_value_type(node) != G_TYPE_STRING) {
			g_set_error_literal(error, COLO_ERROR, COLO_ERROR_PROTOCOL,
					    "query-migrate: status is not a string");
			return FALSE;
		}
		s->status = json_node_get_string(node);
	}
	if (json_object_has_member(reply, "ram")) {
		JsonNode *node = json_object_get_member(reply, "ram");
		if (!JSON_NODE_HOLDS_OBJECT(node)) {
			g_set_error_literal(error, COLO_ERROR, COLO_ERROR_PROTOCOL,
					    "query-migrate: ram is not an object");
			return FALSE;
		}
		ram = json_node_get_object(node);
	}
	for (guint i = 0; i < G_N_ELEMENTS(counts); i++) {
		if (!cc_progress_get_number(reply, "", counts[i].name, counts[i].value, NULL,
					    error))
			return FALSE;
	}
	return ram == NULL || cc_progress_parse_ram(ram, s, error);
}

/* ------------------------------------------------------------------------------------------ */
/* applying a sample */

static gboolean
cc_progress_status_to_phase(const gchar *status, CcProgressPhase *phase)
{
	const struct {
		const gchar *status;
		CcProgressPhase phase;
	} map[] = {
		{"none", CC_PROGRESS_PHASE_NONE},
		{"setup", CC_PROGRESS_PHASE_SETUP},
		{"wait-unplug", CC_PROGRESS_PHASE_SETUP},
		{"active", CC_PROGRESS_PHASE_PRECOPY},
		{"pre-switchover", CC_PROGRESS_PHASE_STOP_COPY},
		{"device", CC_PROGRESS_PHASE_STOP_COPY},
		{"postcopy-active", CC_PROGRESS_PHASE_POSTCOPY},
		{"postcopy-paused", CC_PROGRESS_PHASE_POSTCOPY},
		{"postcopy-recover-setup", CC_PROGRESS_PHASE_POSTCOPY},
		{"postcopy-recover", CC_PROGRESS_PHASE_POSTCOPY},
		{"completed", CC_PROGRESS_PHASE_COMPLETED},
		{"colo", CC_PROGRESS_PHASE_COMPLETED},
		{"failed", CC_PROGRESS_PHASE_FAILED},
		{"cancelling", CC_PROGRESS_PHASE_CANCELLED},
		{"cancelled", CC_PROGRESS_PHASE_CANCELLED},
	};

	for (guint i = 0; i < G_N_ELEMENTS(map); i++) {
		if (g_strcmp0(status, map[i].status) == 0) {
			*phase = map[i].phase;
			return TRUE;
		}
	}
	return FALSE;
}

/* the stop phase starts: the stop-copy prediction is made from what is known now */
static void
cc_progress_enter_stop(CcProgress *self)
{
	CcProgressReport *r = &self->report;

	if (self->stop_frozen)
		return;
	self->stop_frozen = TRUE;
	r->stopcopy_predicted_bytes = r->remaining + self->cfg.device_state_bytes;
	r->downtime_predicted_ms =
		r->bandwidth > 0 ? (gint64)(r->stopcopy_predicted_bytes * 1000.0 / r->bandwidth)
				 : -1;
}

static void
cc_progress_bandwidth_ref(CcProgress *self, gint64 t_us, const CcProgressSample *s)
{
	self->bw_ref_valid = TRUE;
	self->bw_ref_t_us = t_us;
	self->bw_ref_transferred = s->transferred;
	self->bw_ref_remaining = s->remaining;
}

static void
cc_progress_update_bandwidth(CcProgress *self, gint64 t_us, const CcProgressSample *s,
			     gboolean flowing)
{
	CcProgressReport *r = &self->report;
	gint64 interval_us = (gint64)self->cfg.sample_interval_ms * 1000;
	gdouble figure, weight;
	gint64 dt;

	if (s->mbps >= 0)
		r->bandwidth_mbps = s->mbps * 1e6 / 8;
	if (!flowing || s->transferred < 0) {
		self->bw_ref_valid = FALSE;
		return;
	}
	if (!self->bw_ref_valid || s->transferred < self->bw_ref_transferred) {
		if (r->bandwidth <= 0)
			r->bandwidth = r->bandwidth_mbps; /* the seed */
		cc_progress_bandwidth_ref(self, t_us, s);
		return;
	}
	dt = t_us - self->bw_ref_t_us;
	if (dt * 2 < interval_us)
		return;
	/*
	 * A starved pipe (less was pending than the link carries in dt, e.g. only stop-copy data
	 * is left) measures the dirty rate, not the link: keep B. QEMU 8.2 added
	 * avail-switchover-bandwidth for the same reason.
	 */
	if (r->bandwidth > 0 && self->bw_ref_remaining >= 0 &&
	    (gdouble)self->bw_ref_remaining < r->bandwidth * (gdouble)dt / 1e6) {
		cc_progress_bandwidth_ref(self, t_us, s);
		return;
	}
	figure = (gdouble)(s->transferred - self->bw_ref_transferred) * 1e6 / (gdouble)dt;
	weight = MIN(1.0, self->cfg.bandwidth_alpha * (gdouble)dt / (gdouble)interval_us);
	if (r->bandwidth <= 0)
		r->bandwidth = figure;
	else
		r->bandwidth += weight * (figure - r->bandwidth);
	cc_progress_bandwidth_ref(self, t_us, s);
}

static void
cc_progress_update_boundary(CcProgress *self, gint64 t_us, const CcProgressSample *s)
{
	CcProgressReport *r = &self->report;
	const CcProgressConfig *cfg = &self->cfg;

	if (s->dirty_sync_count < 0)
		return;
	if (self->sync_count < 0 || s->dirty_sync_count < self->sync_count) {
		/* the first count seen, or a new migration: a baseline, not a boundary */
		self->sync_count = s->dirty_sync_count;
		self->t_boundary_us = t_us;
		if (s->dirty_sync_count >= 2) {
			self->first_pass_done = TRUE;
			r->boundary_remaining = r->remaining;
		}
		return;
	}
	if (s->dirty_sync_count == self->sync_count || r->phase != CC_PROGRESS_PHASE_PRECOPY) {
		self->sync_count = s->dirty_sync_count;
		return;
	}
	self->sync_count = s->dirty_sync_count;
	self->first_pass_done = TRUE;
	self->t_boundary_us = t_us;
	r->boundaries++;
	r->boundary_remaining = r->remaining;
	if (r->boundaries == 1 || r->remaining < r->min_boundary_remaining)
		r->min_boundary_remaining = r->remaining;
	if (r->boundaries == 1 ||
	    (gdouble)r->remaining < (gdouble)self->best_boundary * CC_PROGRESS_NEW_MINIMUM_RATIO) {
		self->best_boundary = r->remaining;
		self->t_best_us = t_us;
		self->since_best = 0;
	} else {
		self->since_best++;
	}
	r->stall = (cfg->stall_iterations > 0 && self->since_best >= cfg->stall_iterations) ||
		   (cfg->stall_seconds > 0 && self->since_best >= 1 &&
		    t_us - self->t_best_us >= (gint64)cfg->stall_seconds * G_USEC_PER_SEC);
}

/* the seconds variant of the stall test also runs between boundaries */
static void
cc_progress_update_stall_time(CcProgress *self, gint64 t_us)
{
	const CcProgressConfig *cfg = &self->cfg;

	if (cfg->stall_seconds > 0 && self->since_best >= 1 &&
	    t_us - self->t_best_us >= (gint64)cfg->stall_seconds * G_USEC_PER_SEC)
		self->report.stall = TRUE;
}

static void
cc_progress_update_dead(CcProgress *self, gint64 t_us, const CcProgressSample *s)
{
	CcProgressReport *r = &self->report;
	gboolean flowing = g_strcmp0(s->status, "active") == 0 ||
			   g_strcmp0(s->status, "device") == 0 ||
			   g_strcmp0(s->status, "postcopy-active") == 0;

	if (!flowing || s->transferred < 0) {
		self->t_progress_us = t_us;
		self->last_transferred = s->transferred;
	} else if (self->last_transferred < 0 || s->transferred != self->last_transferred) {
		self->t_progress_us = t_us;
		self->last_transferred = s->transferred;
	}
	r->no_progress_ms = (t_us - self->t_progress_us) / 1000;
	r->dead = r->no_progress_ms >= (gint64)self->cfg.dead_transfer_s * 1000;
}

static void
cc_progress_update_percent(CcProgress *self, const CcProgressSample *s)
{
	CcProgressReport *r = &self->report;
	guint64 work;
	gdouble p;

	if (s->total > 0 && s->remaining >= 0)
		r->naive_percent = 100.0 - (gdouble)MIN(s->remaining, s->total) * 100 / s->total;
	if (r->phase != CC_PROGRESS_PHASE_SETUP && r->phase != CC_PROGRESS_PHASE_PRECOPY)
		return;
	/* the work: RAM and the stop-copy-only data, which R_b counts but transferred does not */
	work = r->total_bytes + r->stopcopy_only_bytes;
	if (work == 0)
		return;
	if (!self->first_pass_done)
		p = (gdouble)MIN(r->transferred, work) * 100 / work;
	else
		p = (gdouble)(work - MIN(r->boundary_remaining, work)) * 100 / work;
	p = MIN(p, CC_PROGRESS_PERCENT_MAX);
	r->precopy_percent = MAX(r->precopy_percent, p);
}

static void
cc_progress_update_counters(CcProgress *self, const CcProgressSample *s)
{
	CcProgressReport *r = &self->report;

	if (s->total_time > 0 || (s->total_time == 0 && r->total_time_ms < 0))
		r->total_time_ms = s->total_time;
	if (s->total >= 0)
		r->total_bytes = s->total;
	if (s->transferred >= 0)
		r->transferred = s->transferred;
	if (s->dirty_sync_count >= 0)
		r->iteration = s->dirty_sync_count;
	/* what the first pass found so far: later passes resend dirtied pages, rarely zero */
	if (!self->first_pass_done && s->dirty_sync_count < 2 && s->normal >= 0 &&
	    s->duplicate >= 0 && s->normal + s->duplicate >= CC_PROGRESS_ZERO_SHARE_MIN_PAGES)
		self->zero_share = (gdouble)s->duplicate / (gdouble)(s->normal + s->duplicate);
	r->qemu_expected_downtime_ms = s->expected_downtime;
	r->remaining_top_level = s->remaining_top >= 0;
	if (s->remaining_top >= 0)
		r->remaining = s->remaining_top;
	else if (s->remaining >= 0)
		r->remaining = s->remaining;
	if (s->remaining_top >= 0 && s->remaining >= 0 && s->remaining_top > s->remaining)
		r->stopcopy_only_bytes = s->remaining_top - s->remaining;
	else if (s->remaining_top >= 0 || s->remaining >= 0)
		r->stopcopy_only_bytes = 0;
}

/* after the boundary: QEMU measures the rate at its syncs, none is known in the first pass */
static void
cc_progress_update_dirty_rate(CcProgress *self, const CcProgressSample *s)
{
	CcProgressReport *r = &self->report;
	gint64 page = s->page_size > 0 ? s->page_size : CC_PROGRESS_DEFAULT_PAGE_SIZE;

	if (r->phase == CC_PROGRESS_PHASE_PRECOPY && self->first_pass_done &&
	    s->dirty_pages_rate >= 0) {
		r->dirty_rate = (gdouble)s->dirty_pages_rate * (gdouble)page;
		r->dirty_rate_hinted = FALSE;
	}
}

/* the hint is D for as long as QEMU's own figure is unknown */
static void
cc_progress_apply_hint(CcProgress *self)
{
	CcProgressReport *r = &self->report;

	if (r->dirty_rate >= 0 && !r->dirty_rate_hinted)
		return; /* QEMU's figure wins */
	r->dirty_rate_hinted = r->dirty_rate_hint >= 0;
	r->dirty_rate = r->dirty_rate_hinted ? r->dirty_rate_hint : -1;
}

static void
cc_progress_update_stop(CcProgress *self, gint64 t_us, const CcProgressSample *s)
{
	CcProgressReport *r = &self->report;

	if (g_strcmp0(s->status, "pre-switchover") == 0) {
		if (self->t_pause_first_us < 0)
			self->t_pause_first_us = t_us;
		r->pause_ms = (t_us - self->t_pause_first_us) / 1000;
	}
	if (r->phase != CC_PROGRESS_PHASE_STOP_COPY)
		return;
	if (r->stopped_t_us < 0)
		r->stopped_t_us = t_us;
	/* nothing sent in the stop phase yet: the sample knows the stop-copy size best */
	if (s->downtime_bytes <= 0 && (s->remaining_top >= 0 || s->remaining >= 0)) {
		self->stop_frozen = FALSE;
		cc_progress_enter_stop(self);
	}
	if (s->downtime_bytes >= 0 && r->stopcopy_predicted_bytes > 0)
		r->stop_percent = MIN(CC_PROGRESS_PERCENT_MAX, (gdouble)s->downtime_bytes * 100 /
								       r->stopcopy_predicted_bytes);
	else
		r->stop_percent = 0;
}

static void
cc_progress_complete(CcProgress *self, const CcProgressSample *s)
{
	CcProgressReport *r = &self->report;

	/* QEMU 7.2 can answer "completed" before it fills in the times (total-time 0) */
	if (s->total_time > 0 && r->total_time_actual_ms < 0) {
		r->downtime_actual_ms = s->downtime;
		r->total_time_actual_ms = s->total_time;
	}
	if (s->downtime_bytes >= 0)
		r->stopcopy_actual_bytes = s->downtime_bytes;
	r->precopy_percent = 100;
	r->stop_percent = 100;
	r->stall = FALSE;
}

/* ------------------------------------------------------------------------------------------ */
/* evaluation: ETA, verdicts, advice */

static guint64
cc_progress_fixed_stopcopy(const CcProgress *self)
{
	return self->report.stopcopy_only_bytes + self->cfg.device_state_bytes;
}

/* the precopy ETA in ms, or -1 when it does not converge */
static gint64
cc_progress_eta_precopy(const CcProgress *self, gint64 t_us)
{
	const CcProgressReport *r = &self->report;
	gdouble b = r->bandwidth, d = r->dirty_rate;
	gdouble fixed = (gdouble)cc_progress_fixed_stopcopy(self);
	gdouble threshold = b * (gdouble)r->downtime_limit_ms / 1000;
	gdouble cur = (gdouble)(r->remaining - MIN(r->remaining, r->stopcopy_only_bytes));
	gdouble elapsed = (gdouble)(t_us - self->t_boundary_us) / 1e6;
	gdouble ram = (gdouble)r->total_bytes;
	gdouble t = 0;

	if (b <= 0 || fixed > threshold)
		return -1;
	/*
	 * First pass: B counts bytes on the wire, where a zero page costs a few header bytes, but
	 * R counts every page left. Scale R by the share of whole pages the pass has found so far
	 * (this alone is the naive extrapolation when B is steady). D is unknown until the first
	 * sync, so without a hint the pages the guest dirties meanwhile are not counted. With one,
	 * the later passes start from what the guest dirtied during the whole first pass.
	 */
	if (!self->first_pass_done && self->zero_share > 0)
		cur *= 1 - self->zero_share;
	if (d < 0)
		return (gint64)((cur + fixed) * 1000 / b);
	if (d >= b)
		return -1;
	for (guint k = 0; k < self->cfg.max_iterations; k++) {
		gdouble pass_s = cur / b;
		t += pass_s;
		/* the pass began at the last boundary; no more than all of RAM can be dirty */
		cur = d * (MAX(elapsed, 0) + pass_s);
		if (ram > 0)
			cur = MIN(cur, ram);
		elapsed = 0;
		if (cur + fixed <= threshold)
			return (gint64)((t + (cur + fixed) / b) * 1000);
	}
	return -1;
}

static gint64
cc_progress_eta(const CcProgress *self, gint64 t_us)
{
	const CcProgressReport *r = &self->report;
	gdouble left;

	/* B decays towards 0 while nothing moves: no figure rather than a huge one */
	if (r->no_progress_ms > 2 * (gint64)self->cfg.sample_interval_ms &&
	    r->phase != CC_PROGRESS_PHASE_COMPLETED)
		return -1;
	switch (r->phase) {
	case CC_PROGRESS_PHASE_PRECOPY:
		return cc_progress_eta_precopy(self, t_us);
	case CC_PROGRESS_PHASE_STOP_COPY:
		left = (gdouble)r->stopcopy_predicted_bytes * (100 - MAX(r->stop_percent, 0)) / 100;
		return r->bandwidth > 0 ? (gint64)(left * 1000 / r->bandwidth) : -1;
	case CC_PROGRESS_PHASE_POSTCOPY:
		return r->bandwidth > 0 ? (gint64)(r->remaining * 1000.0 / r->bandwidth) : -1;
	case CC_PROGRESS_PHASE_COMPLETED:
		return 0;
	default:
		return -1;
	}
}

/* raise-downtime fits when sending @bytes takes more than the limit but no more than the cap */
static gboolean
cc_progress_advise_downtime(CcProgress *self, guint64 bytes)
{
	CcProgressReport *r = &self->report;
	gdouble need_ms;

	if (r->bandwidth <= 0 || self->cfg.downtime_cap_ms == 0)
		return FALSE;
	need_ms = (gdouble)bytes * 1000 / r->bandwidth;
	if (need_ms <= r->downtime_limit_ms || need_ms > self->cfg.downtime_cap_ms)
		return FALSE;
	r->advised_downtime_ms =
		MIN((gint64)(need_ms * 1.25) + 1, (gint64)self->cfg.downtime_cap_ms);
	return TRUE;
}

static CcProgressAdvice
cc_progress_advise(CcProgress *self)
{
	CcProgressReport *r = &self->report;
	guint64 fixed = cc_progress_fixed_stopcopy(self);
	guint64 floor;

	if (r->dead)
		return CC_PROGRESS_ADVICE_ABORT;
	/* stop-copy-only data alone over the limit: throttling or postcopy cannot shrink it */
	if (r->bandwidth > 0 && (gdouble)fixed > r->bandwidth * r->downtime_limit_ms / 1000) {
		if (cc_progress_advise_downtime(self, fixed))
			return CC_PROGRESS_ADVICE_RAISE_DOWNTIME;
		return CC_PROGRESS_ADVICE_PAUSE;
	}
	floor = r->boundaries > 0 ? r->min_boundary_remaining + self->cfg.device_state_bytes
				  : fixed;
	if (cc_progress_advise_downtime(self, floor))
		return CC_PROGRESS_ADVICE_RAISE_DOWNTIME;
	if (r->rho < self->cfg.throttle_max_rho) /* also when rho is unknown (-1) */
		return CC_PROGRESS_ADVICE_THROTTLE;
	if (self->cfg.postcopy_allowed && r->bandwidth > 0)
		return CC_PROGRESS_ADVICE_POSTCOPY;
	return CC_PROGRESS_ADVICE_PAUSE;
}

static void
cc_progress_evaluate(CcProgress *self, gint64 t_us)
{
	CcProgressReport *r = &self->report;
	gboolean first_pass = r->dirty_rate < 0;
	gdouble threshold = r->bandwidth * (gdouble)r->downtime_limit_ms / 1000;
	gboolean stalled;

	r->rho = r->dirty_rate >= 0 && r->bandwidth > 0 ? r->dirty_rate / r->bandwidth : -1;
	if (!self->stop_frozen) {
		r->stopcopy_predicted_bytes = r->remaining + self->cfg.device_state_bytes;
		r->downtime_predicted_ms =
			r->bandwidth > 0
				? (gint64)(r->stopcopy_predicted_bytes * 1000.0 / r->bandwidth)
				: -1;
	}
	r->eta_ms = cc_progress_eta(self, t_us);
	r->advice = CC_PROGRESS_ADVICE_NONE;
	r->advised_downtime_ms = -1;
	if (r->phase == CC_PROGRESS_PHASE_COMPLETED) {
		r->convergence = CC_PROGRESS_CONVERGENCE_CONVERGING;
		return;
	}
	if (r->phase != CC_PROGRESS_PHASE_PRECOPY)
		return;
	/* a plateau that fits the limit is not a problem: QEMU switches over at its next check */
	stalled = r->stall &&
		  (gdouble)(r->min_boundary_remaining + self->cfg.device_state_bytes) > threshold;
	if (r->dead || stalled ||
	    (r->bandwidth > 0 && (gdouble)cc_progress_fixed_stopcopy(self) > threshold) ||
	    (!first_pass && r->eta_ms < 0))
		r->convergence = CC_PROGRESS_CONVERGENCE_NOT_CONVERGING;
	else if (first_pass || r->bandwidth <= 0)
		r->convergence = CC_PROGRESS_CONVERGENCE_UNKNOWN;
	else
		r->convergence = CC_PROGRESS_CONVERGENCE_CONVERGING;
	if (r->convergence == CC_PROGRESS_CONVERGENCE_NOT_CONVERGING)
		r->advice = cc_progress_advise(self);
	/* the prediction to compare with the outcome: the first one that knows D */
	if (r->total_time_predicted_ms < 0 && r->boundaries > 0 && !first_pass &&
	    !r->dirty_rate_hinted && r->eta_ms >= 0) {
		gint64 elapsed_ms =
			r->total_time_ms >= 0 ? r->total_time_ms : (t_us - self->t_start_us) / 1000;
		r->total_time_predicted_ms = elapsed_ms + r->eta_ms;
	}
}

/* ------------------------------------------------------------------------------------------ */

gboolean
cc_progress_add_sample(CcProgress *self, gint64 t_us, JsonObject *reply, GError **error)
{
	CcProgressReport *r = &self->report;
	CcProgressSample s;
	CcProgressPhase phase = r->phase;

	g_return_val_if_fail(self != NULL, FALSE);
	if (reply == NULL) {
		g_set_error_literal(error, COLO_ERROR, COLO_ERROR_INVALID_INPUT,
				    "query-migrate: no reply object");
		return FALSE;
	}
	if (self->have_sample && t_us < r->t_us) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_INVALID_INPUT,
			    "sample time %" G_GINT64_FORMAT
			    " us is before the last one (%" G_GINT64_FORMAT " us)",
			    t_us, r->t_us);
		return FALSE;
	}
	if (!cc_progress_parse(reply, &s, error))
		return FALSE;

	if (!self->have_sample)
		self->t_start_us = t_us;
	self->have_sample = TRUE;
	r->t_us = t_us;
	if (s.status == NULL)
		phase = CC_PROGRESS_PHASE_NONE;
	else if (!cc_progress_status_to_phase(s.status, &phase))
		phase = r->phase; /* a status newer than this code: keep the phase */
	/* without pause-before-switchover 7.2 stays "active" in the stop phase */
	if (phase == CC_PROGRESS_PHASE_PRECOPY && (self->stopped || s.downtime_bytes > 0))
		phase = CC_PROGRESS_PHASE_STOP_COPY;
	/* the prediction is made from the state before the stop phase */
	if (phase == CC_PROGRESS_PHASE_STOP_COPY || phase == CC_PROGRESS_PHASE_COMPLETED)
		cc_progress_enter_stop(self);
	r->phase = phase;
	g_free(self->status);
	self->status = g_strdup(s.status != NULL ? s.status : "");
	r->status = self->status;

	cc_progress_update_counters(self, &s);
	cc_progress_update_bandwidth(self, t_us, &s,
				     !self->stopped &&
					     (g_strcmp0(s.status, "active") == 0 ||
					      g_strcmp0(s.status, "postcopy-active") == 0));
	cc_progress_update_boundary(self, t_us, &s);
	cc_progress_update_dirty_rate(self, &s);
	cc_progress_apply_hint(self);
	cc_progress_update_stall_time(self, t_us);
	cc_progress_update_dead(self, t_us, &s);
	cc_progress_update_percent(self, &s);
	cc_progress_update_stop(self, t_us, &s);
	if (phase == CC_PROGRESS_PHASE_COMPLETED)
		cc_progress_complete(self, &s);
	else if (phase != CC_PROGRESS_PHASE_STOP_COPY)
		r->stop_percent = -1;
	cc_progress_evaluate(self, t_us);
	return TRUE;
}

void
cc_progress_set_stopped(CcProgress *self, gint64 t_us)
{
	CcProgressReport *r = &self->report;

	g_return_if_fail(self != NULL);
	if (self->stopped)
		return;
	self->stopped = TRUE;
	self->bw_ref_valid = FALSE;
	if (r->phase != CC_PROGRESS_PHASE_PRECOPY && r->phase != CC_PROGRESS_PHASE_STOP_COPY)
		return;
	r->phase = CC_PROGRESS_PHASE_STOP_COPY;
	r->stopped_t_us = t_us;
	cc_progress_enter_stop(self);
	r->stop_percent = 0;
	cc_progress_evaluate(self, MAX(t_us, r->t_us));
}

void
cc_progress_set_downtime_limit(CcProgress *self, guint64 ms)
{
	g_return_if_fail(self != NULL);
	self->cfg.downtime_limit_ms = ms;
	self->report.downtime_limit_ms = ms;
	if (self->have_sample)
		cc_progress_evaluate(self, self->report.t_us);
}

void
cc_progress_set_dirty_rate_hint(CcProgress *self, gdouble bytes_per_s)
{
	g_return_if_fail(self != NULL);
	self->report.dirty_rate_hint = bytes_per_s >= 0 ? bytes_per_s : -1;
	cc_progress_apply_hint(self);
	if (self->have_sample)
		cc_progress_evaluate(self, self->report.t_us);
}

const CcProgressReport *
cc_progress_get_report(CcProgress *self)
{
	g_return_val_if_fail(self != NULL, NULL);
	return &self->report;
}

/* ------------------------------------------------------------------------------------------ */

const gchar *
cc_progress_phase_to_string(CcProgressPhase phase)
{
	const gchar *names[] = {"none",     "setup",     "precopy", "stop-copy",
				"postcopy", "completed", "failed",  "cancelled"};
	return (guint)phase < G_N_ELEMENTS(names) ? names[phase] : "unknown";
}

const gchar *
cc_progress_convergence_to_string(CcProgressConvergence convergence)
{
	const gchar *names[] = {"unknown", "converging", "not-converging"};
	return (guint)convergence < G_N_ELEMENTS(names) ? names[convergence] : "unknown";
}

const gchar *
cc_progress_advice_to_string(CcProgressAdvice advice)
{
	const gchar *names[] = {"none", "raise-downtime", "throttle", "postcopy", "pause", "abort"};
	return (guint)advice < G_N_ELEMENTS(names) ? names[advice] : "unknown";
}

/* a count, or null when negative (unknown) */
static void
cc_progress_json_int(JsonObject *obj, const gchar *name, gint64 value)
{
	if (value < 0)
		json_object_set_null_member(obj, name);
	else
		json_object_set_int_member(obj, name, value);
}

/* a rate or ratio, or null when at most @unknown */
static void
cc_progress_json_double(JsonObject *obj, const gchar *name, gdouble value, gdouble unknown)
{
	if (value <= unknown)
		json_object_set_null_member(obj, name);
	else
		json_object_set_double_member(obj, name, value);
}

static JsonObject *
cc_progress_json_completion(const CcProgressReport *r)
{
	JsonObject *obj = json_object_new();

	cc_progress_json_int(obj, "downtime_predicted_ms", r->downtime_predicted_ms);
	cc_progress_json_int(obj, "downtime_actual_ms", r->downtime_actual_ms);
	cc_progress_json_int(obj, "pause_ms", r->pause_ms);
	cc_progress_json_int(obj, "total_time_predicted_ms", r->total_time_predicted_ms);
	cc_progress_json_int(obj, "total_time_actual_ms", r->total_time_actual_ms);
	cc_progress_json_int(obj, "stopcopy_predicted_bytes", (gint64)r->stopcopy_predicted_bytes);
	cc_progress_json_int(obj, "stopcopy_actual_bytes", r->stopcopy_actual_bytes);
	return obj;
}

JsonObject *
cc_progress_report_to_json(const CcProgressReport *r)
{
	JsonObject *obj = json_object_new();

	json_object_set_string_member(obj, "phase", cc_progress_phase_to_string(r->phase));
	json_object_set_string_member(obj, "status", r->status != NULL ? r->status : "");
	cc_progress_json_int(obj, "total_time_ms", r->total_time_ms);
	json_object_set_int_member(obj, "total_bytes", (gint64)r->total_bytes);
	json_object_set_int_member(obj, "transferred_bytes", (gint64)r->transferred);
	json_object_set_int_member(obj, "remaining_bytes", (gint64)r->remaining);
	json_object_set_boolean_member(obj, "remaining_top_level", r->remaining_top_level);
	json_object_set_int_member(obj, "stopcopy_only_bytes", (gint64)r->stopcopy_only_bytes);
	json_object_set_int_member(obj, "iteration", (gint64)r->iteration);
	json_object_set_int_member(obj, "boundaries", r->boundaries);
	json_object_set_int_member(obj, "boundary_remaining_bytes", (gint64)r->boundary_remaining);
	json_object_set_int_member(obj, "min_boundary_remaining_bytes",
				   (gint64)r->min_boundary_remaining);
	cc_progress_json_double(obj, "bandwidth_bps", r->bandwidth, 0);
	cc_progress_json_double(obj, "bandwidth_mbps_bps", r->bandwidth_mbps, 0);
	cc_progress_json_double(obj, "dirty_rate_bps", r->dirty_rate, -1);
	cc_progress_json_double(obj, "dirty_rate_hint_bps", r->dirty_rate_hint, -1);
	if (r->dirty_rate < 0)
		json_object_set_null_member(obj, "dirty_rate_source");
	else
		json_object_set_string_member(obj, "dirty_rate_source",
					      r->dirty_rate_hinted ? "hint" : "qemu");
	cc_progress_json_double(obj, "rho", r->rho, -1);
	json_object_set_double_member(obj, "precopy_percent", r->precopy_percent);
	cc_progress_json_double(obj, "naive_percent", r->naive_percent, -1);
	cc_progress_json_double(obj, "stop_percent", r->stop_percent, -1);
	json_object_set_int_member(obj, "stopcopy_predicted_bytes",
				   (gint64)r->stopcopy_predicted_bytes);
	cc_progress_json_int(obj, "downtime_predicted_ms", r->downtime_predicted_ms);
	json_object_set_int_member(obj, "downtime_limit_ms", (gint64)r->downtime_limit_ms);
	cc_progress_json_int(obj, "qemu_expected_downtime_ms", r->qemu_expected_downtime_ms);
	cc_progress_json_int(obj, "eta_ms", r->eta_ms);
	json_object_set_string_member(obj, "convergence",
				      cc_progress_convergence_to_string(r->convergence));
	json_object_set_string_member(obj, "advice", cc_progress_advice_to_string(r->advice));
	cc_progress_json_int(obj, "advised_downtime_ms", r->advised_downtime_ms);
	json_object_set_boolean_member(obj, "stall", r->stall);
	json_object_set_boolean_member(obj, "dead", r->dead);
	json_object_set_int_member(obj, "no_progress_ms", r->no_progress_ms);
	if (r->phase == CC_PROGRESS_PHASE_COMPLETED)
		json_object_set_object_member(obj, "completion", cc_progress_json_completion(r));
	return obj;
}
