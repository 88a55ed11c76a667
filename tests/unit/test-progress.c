/*
 * cc-progress: query-migrate traces recorded from Debian's QEMU 7.2 and synthetic ones for
 * what 7.2 lacks (tests/data/migration/README.md), replayed through the pure progress unit.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "cc-progress.h"
#include "cc-test-util.h"
#include "colo-error.h"

typedef struct {
	gchar *name;
	JsonObject *meta;
	GPtrArray *lines; /* JsonNode, one object per line after the meta line */
} Trace;

static void
trace_free(Trace *trace)
{
	g_free(trace->name);
	json_object_unref(trace->meta);
	g_ptr_array_unref(trace->lines);
	g_free(trace);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Trace, trace_free)

static gchar *
trace_dir(void)
{
	return g_build_filename(cc_test_env("COLOCTL_TEST_DATA"), "migration", NULL);
}

static Trace *
trace_load(const gchar *name)
{
	g_autofree gchar *dir = trace_dir();
	g_autofree gchar *file = g_strconcat(name, ".jsonl", NULL);
	g_autofree gchar *path = g_build_filename(dir, file, NULL);
	g_autofree gchar *text = NULL;
	g_auto(GStrv) rows = NULL;
	g_autoptr(GError) error = NULL;
	Trace *trace = g_new0(Trace, 1);

	g_assert_true(g_file_get_contents(path, &text, NULL, &error));
	g_assert_no_error(error);
	trace->name = g_strdup(name);
	trace->lines = g_ptr_array_new_with_free_func((GDestroyNotify)json_node_unref);
	rows = g_strsplit(text, "\n", -1);
	for (guint i = 0; rows[i] != NULL; i++) {
		g_autoptr(JsonParser) parser = json_parser_new();
		JsonObject *obj;
		if (rows[i][0] == '\0')
			continue;
		json_parser_load_from_data(parser, rows[i], -1, &error);
		g_assert_no_error(error);
		g_assert_true(JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)));
		obj = json_node_get_object(json_parser_get_root(parser));
		if (i == 0) {
			g_assert_true(json_object_has_member(obj, "meta"));
			trace->meta = json_object_ref(json_object_get_object_member(obj, "meta"));
			continue;
		}
		g_ptr_array_add(trace->lines, json_node_copy(json_parser_get_root(parser)));
	}
	g_assert_nonnull(trace->meta);
	g_assert_cmpuint(trace->lines->len, >, 3);
	return trace;
}

static JsonObject *
trace_line(const Trace *trace, guint i)
{
	return json_node_get_object(g_ptr_array_index(trace->lines, i));
}

/* the time of the first STOP event or action line that starts with @action, or -1 */
static gint64
trace_find(const Trace *trace, const gchar *event, const gchar *action)
{
	for (guint i = 0; i < trace->lines->len; i++) {
		JsonObject *line = trace_line(trace, i);
		if (event != NULL && json_object_has_member(line, "event") &&
		    g_strcmp0(json_object_get_string_member(
				      json_object_get_object_member(line, "event"), "event"),
			      event) == 0)
			return json_object_get_int_member(line, "t_us");
		if (action != NULL && json_object_has_member(line, "action") &&
		    g_str_has_prefix(json_object_get_string_member(line, "action"), action))
			return json_object_get_int_member(line, "t_us");
	}
	return -1;
}

typedef struct {
	gint64 t_us;
	guint64 transferred_raw; /* ram.transferred of the reply, 0 when absent */
	CcProgressReport report; /* status is not kept */
} Step;

/* the configuration a controller would use for the run the trace records */
static void
trace_config(const Trace *trace, CcProgressConfig *cfg)
{
	cc_progress_config_init(cfg);
	cfg->downtime_limit_ms =
		json_object_get_int_member_with_default(trace->meta, "downtime_limit_ms", 300);
	cfg->sample_interval_ms =
		json_object_get_int_member_with_default(trace->meta, "poll_ms", 250);
}

static void
replay_line(CcProgress *progress, JsonObject *line, GArray *steps)
{
	gint64 t_us = json_object_get_int_member(line, "t_us");
	g_autoptr(GError) error = NULL;

	if (json_object_has_member(line, "reply")) {
		JsonObject *reply = json_object_get_object_member(line, "reply");
		Step step = {.t_us = t_us};
		g_assert_true(cc_progress_add_sample(progress, t_us, reply, &error));
		g_assert_no_error(error);
		if (json_object_has_member(reply, "ram"))
			step.transferred_raw = json_object_get_int_member(
				json_object_get_object_member(reply, "ram"), "transferred");
		step.report = *cc_progress_get_report(progress);
		step.report.status = NULL;
		g_array_append_val(steps, step);
	} else if (json_object_has_member(line, "event")) {
		JsonObject *event = json_object_get_object_member(line, "event");
		if (g_strcmp0(json_object_get_string_member(event, "event"), "STOP") == 0)
			cc_progress_set_stopped(progress, t_us);
	} else if (json_object_has_member(line, "action")) {
		const gchar *action = json_object_get_string_member(line, "action");
		if (g_str_has_prefix(action, "downtime-limit "))
			cc_progress_set_downtime_limit(progress,
						       g_ascii_strtoull(action + 15, NULL, 10));
	}
}

/* replays @trace; returns the report after every reply */
static GArray *
replay(const Trace *trace, const CcProgressConfig *cfg, CcProgress **out)
{
	CcProgressConfig def;
	g_autoptr(CcProgress) progress = NULL;
	GArray *steps = g_array_new(FALSE, TRUE, sizeof(Step));

	if (cfg == NULL) {
		trace_config(trace, &def);
		cfg = &def;
	}
	progress = cc_progress_new(cfg);
	for (guint i = 0; i < trace->lines->len; i++)
		replay_line(progress, trace_line(trace, i), steps);
	if (out != NULL)
		*out = g_steal_pointer(&progress);
	return steps;
}

static const Step *
step_at(GArray *steps, guint i)
{
	return &g_array_index(steps, Step, i);
}

/* the first report after the first iteration boundary */
static const Step *
first_boundary(GArray *steps)
{
	for (guint i = 0; i < steps->len; i++) {
		if (step_at(steps, i)->report.boundaries > 0)
			return step_at(steps, i);
	}
	g_assert_not_reached();
	return NULL;
}

/* the last report in precopy */
static const Step *
last_precopy(GArray *steps)
{
	for (guint i = steps->len; i > 0; i--) {
		if (step_at(steps, i - 1)->report.phase == CC_PROGRESS_PHASE_PRECOPY)
			return step_at(steps, i - 1);
	}
	g_assert_not_reached();
	return NULL;
}

/* precopy_percent never decreases and stays < 100 until completed */
static void
assert_percent_monotone(GArray *steps)
{
	gdouble last = 0;

	for (guint i = 0; i < steps->len; i++) {
		const CcProgressReport *r = &step_at(steps, i)->report;
		g_assert_cmpfloat(r->precopy_percent, >=, last);
		if (r->phase == CC_PROGRESS_PHASE_COMPLETED)
			g_assert_cmpfloat(r->precopy_percent, ==, 100);
		else
			g_assert_cmpfloat(r->precopy_percent, <, 100);
		last = r->precopy_percent;
	}
}

static void
test_progress_converging(void)
{
	g_autoptr(Trace) trace = trace_load("qemu72-dirty2-converge");
	g_autoptr(CcProgress) progress = NULL;
	g_autoptr(GArray) steps = replay(trace, NULL, &progress);
	const CcProgressReport *end = cc_progress_get_report(progress);
	const Step *first = first_boundary(steps);
	gint64 t_stop = trace_find(trace, "STOP", NULL);
	gint64 actual_ms = (t_stop - first->t_us) / 1000;
	gboolean naive_dropped = FALSE;

	/* the first prediction that knows the dirty rate: converging, ETA within reason */
	g_assert_cmpint(first->report.convergence, ==, CC_PROGRESS_CONVERGENCE_CONVERGING);
	g_assert_cmpfloat(first->report.rho, >, 0.1);
	g_assert_cmpfloat(first->report.rho, <, 0.5);
	g_assert_cmpint(first->report.eta_ms, >=, 0);
	g_test_message("ETA at the first boundary %" G_GINT64_FORMAT " ms, actual %" G_GINT64_FORMAT
		       " ms to STOP",
		       first->report.eta_ms, actual_ms);
	g_assert_cmpint(ABS(first->report.eta_ms - actual_ms), <=, actual_ms / 2 + 1000);
	for (guint i = 0; i < steps->len; i++) {
		const CcProgressReport *r = &step_at(steps, i)->report;
		g_assert_cmpint(r->advice, ==, CC_PROGRESS_ADVICE_NONE);
		g_assert_false(r->dead);
		g_assert_false(r->stall);
		if (r->phase == CC_PROGRESS_PHASE_PRECOPY && r->boundaries > 0)
			g_assert_cmpint(r->convergence, ==, CC_PROGRESS_CONVERGENCE_CONVERGING);
		if (i > 0 && r->naive_percent < step_at(steps, i - 1)->report.naive_percent)
			naive_dropped = TRUE;
	}
	assert_percent_monotone(steps);
	g_assert_true(naive_dropped); /* the saw-tooth of the figure shown today */

	/* completion: prediction against what QEMU measured */
	g_assert_cmpint(end->phase, ==, CC_PROGRESS_PHASE_COMPLETED);
	g_assert_cmpint(end->convergence, ==, CC_PROGRESS_CONVERGENCE_CONVERGING);
	g_assert_cmpint(end->eta_ms, ==, 0);
	g_assert_cmpint(ABS(end->stopped_t_us - t_stop), <=, 250 * 1000);
	g_assert_cmpint(end->downtime_predicted_ms, >, 0);
	g_assert_cmpint(end->downtime_actual_ms, >, 0);
	g_assert_cmpint(end->pause_ms, >=, 750); /* held in pre-switchover for 1 s */
	g_test_message("downtime predicted %" G_GINT64_FORMAT " ms, actual %" G_GINT64_FORMAT
		       " ms of which %" G_GINT64_FORMAT " ms pre-switchover; stop-copy predicted "
		       "%" G_GUINT64_FORMAT " B, actual %" G_GINT64_FORMAT " B",
		       end->downtime_predicted_ms, end->downtime_actual_ms, end->pause_ms,
		       end->stopcopy_predicted_bytes, end->stopcopy_actual_bytes);
	/* QEMU lifts max-bandwidth for the stop phase: the prediction is an upper bound */
	g_assert_cmpint(end->downtime_actual_ms - end->pause_ms, <=,
			end->downtime_predicted_ms + 100);
	/* QEMU switched over because the rest fit its limit; B is our own estimate of the link */
	g_assert_cmpint(end->downtime_predicted_ms, <=, end->downtime_limit_ms * 11 / 10);
	g_assert_cmpfloat(
		ABS((gdouble)end->stopcopy_actual_bytes - (gdouble)end->stopcopy_predicted_bytes),
		<=, end->stopcopy_actual_bytes * 0.1);
	g_test_message("total time predicted %" G_GINT64_FORMAT " ms, actual %" G_GINT64_FORMAT
		       " ms",
		       end->total_time_predicted_ms, end->total_time_actual_ms);
	g_assert_cmpint(end->total_time_predicted_ms, >, 0);
	g_assert_cmpint(ABS(end->total_time_predicted_ms - end->total_time_actual_ms), <=,
			end->total_time_actual_ms / 4);
}

static void
test_progress_stop_phase(void)
{
	g_autoptr(Trace) trace = trace_load("qemu72-dirty2-converge");
	g_autoptr(GArray) steps = replay(trace, NULL, NULL);
	guint stop_samples = 0;

	for (guint i = 0; i < steps->len; i++) {
		const CcProgressReport *r = &step_at(steps, i)->report;
		if (r->phase != CC_PROGRESS_PHASE_STOP_COPY) {
			g_assert_true(r->stop_percent == -1 ||
				      r->phase == CC_PROGRESS_PHASE_COMPLETED);
			continue;
		}
		stop_samples++;
		g_assert_cmpfloat(r->stop_percent, >=, 0);
		g_assert_cmpfloat(r->stop_percent, <, 100);
		g_assert_cmpuint(r->stopcopy_predicted_bytes, >, 0);
	}
	g_assert_cmpuint(stop_samples, >=, 3); /* pre-switchover for 1 s, then device */
}

static void
test_progress_idle(void)
{
	g_autoptr(Trace) trace = trace_load("qemu72-idle");
	g_autoptr(CcProgress) progress = NULL;
	g_autoptr(GArray) steps = replay(trace, NULL, &progress);
	const CcProgressReport *end = cc_progress_get_report(progress);

	assert_percent_monotone(steps);
	/* in the first pass the dirty rate is unknown, so is convergence */
	g_assert_cmpint(step_at(steps, 5)->report.convergence, ==, CC_PROGRESS_CONVERGENCE_UNKNOWN);
	g_assert_cmpint(step_at(steps, 5)->report.eta_ms, >, 0);
	g_assert_cmpint(end->phase, ==, CC_PROGRESS_PHASE_COMPLETED);
	g_assert_cmpint(end->convergence, ==, CC_PROGRESS_CONVERGENCE_CONVERGING);
	g_assert_cmpint(end->downtime_actual_ms, >=, 0);
	g_assert_cmpint(end->total_time_actual_ms, >, 10000);
	g_assert_cmpint(end->downtime_actual_ms, <=, end->downtime_predicted_ms);
	g_assert_cmpint(end->pause_ms, ==, -1);
	/* no pause-before-switchover: 7.2 stays "active" while stopped, downtime-bytes tells */
	g_assert_cmpfloat(
		ABS((gdouble)end->stopcopy_actual_bytes - (gdouble)end->stopcopy_predicted_bytes),
		<=, end->stopcopy_actual_bytes * 0.1);
	/* the bandwidth limit is 8 MiB/s */
	g_assert_cmpfloat(ABS(end->bandwidth - 8.0 * 1024 * 1024), <, 1024 * 1024);
	g_assert_cmpfloat(ABS(end->bandwidth_mbps - 8.0 * 1024 * 1024), <, 1024 * 1024);
}

static void
test_progress_not_converging(void)
{
	g_autoptr(Trace) trace = trace_load("qemu72-dirty32-noconverge");
	g_autoptr(CcProgress) progress = NULL;
	g_autoptr(GArray) steps = replay(trace, NULL, &progress);
	const CcProgressReport *last = &last_precopy(steps)->report;

	g_assert_cmpint(last->convergence, ==, CC_PROGRESS_CONVERGENCE_NOT_CONVERGING);
	g_assert_cmpint(last->eta_ms, ==, -1);
	g_assert_cmpfloat(last->rho, >, 0.9);
	/* (min R_b) / B is seconds, far over the cap: throttling comes first */
	g_assert_cmpint(last->advice, ==, CC_PROGRESS_ADVICE_THROTTLE);
	g_assert_false(last->stall); /* R_b still creeps down */
	g_assert_false(last->dead);
	g_assert_cmpint(cc_progress_get_report(progress)->phase, ==, CC_PROGRESS_PHASE_CANCELLED);
	assert_percent_monotone(steps);
}

static void
test_progress_stall(void)
{
	g_autoptr(Trace) trace = trace_load("qemu72-dirty16-stall");
	g_autoptr(GArray) steps = replay(trace, NULL, NULL);
	const Step *first;
	guint i = 0;

	while (i < steps->len && !step_at(steps, i)->report.stall)
		i++;
	g_assert_cmpuint(i, <, steps->len);
	first = step_at(steps, i);
	g_test_message("stall at %.1f s, boundary %u", first->t_us / 1e6, first->report.boundaries);
	g_assert_cmpuint(first->report.boundaries, >=, 4); /* a best one, then 3 without */
	g_assert_cmpint(first->report.convergence, ==, CC_PROGRESS_CONVERGENCE_NOT_CONVERGING);
	g_assert_cmpint(first->report.advice, !=, CC_PROGRESS_ADVICE_NONE);
	g_assert_cmpint(first->report.advice, !=, CC_PROGRESS_ADVICE_ABORT);
	g_assert_true(last_precopy(steps)->report.stall);
	assert_percent_monotone(steps);

	/* the same run judged on a 5 s window: a stall too, no sooner than 5 s after the best */
	{
		CcProgressConfig cfg;
		g_autoptr(GArray) by_time = NULL;
		trace_config(trace, &cfg);
		cfg.stall_iterations = 0;
		cfg.stall_seconds = 5;
		by_time = replay(trace, &cfg, NULL);
		g_assert_true(last_precopy(by_time)->report.stall);
	}
}

static void
test_progress_dead(void)
{
	g_autoptr(Trace) trace = trace_load("qemu72-dead-dest");
	g_autoptr(CcProgress) progress = NULL;
	g_autoptr(GArray) steps = replay(trace, NULL, &progress);
	gint64 t_sigstop = trace_find(trace, NULL, "SIGSTOP");
	gint64 t_sigcont = trace_find(trace, NULL, "SIGCONT");
	gint64 t_moved = -1, dead_us = 10 * G_USEC_PER_SEC, poll_us = 250 * 1000;
	const Step *first;
	guint i = 1;

	g_assert_cmpint(t_sigstop, >, 0);
	for (; i < steps->len && !step_at(steps, i)->report.dead; i++) {
		if (step_at(steps, i)->transferred_raw != step_at(steps, i - 1)->transferred_raw)
			t_moved = step_at(steps, i)->t_us;
	}
	g_assert_cmpuint(i, <, steps->len);
	first = step_at(steps, i);
	g_test_message("SIGSTOP at %.2f s, last transfer at %.2f s, dead at %.2f s",
		       t_sigstop / 1e6, t_moved / 1e6, first->t_us / 1e6);
	/* the socket buffers drain for a moment after SIGSTOP; then dead_transfer_s + one sample */
	g_assert_cmpint(t_moved, >=, t_sigstop);
	g_assert_cmpint(first->t_us, >=, t_moved + dead_us);
	g_assert_cmpint(first->t_us, <=, t_moved + dead_us + poll_us + 50000);
	g_assert_cmpint(first->report.advice, ==, CC_PROGRESS_ADVICE_ABORT);
	g_assert_cmpint(first->report.convergence, ==, CC_PROGRESS_CONVERGENCE_NOT_CONVERGING);
	g_assert_cmpint(first->report.no_progress_ms, >=, 10000);
	g_assert_cmpint(first->report.eta_ms, ==, -1); /* not R / (a decayed B) */
	/* SIGCONT: the transfer moves again and the verdict clears */
	for (i = 0; i < steps->len; i++) {
		const Step *s = step_at(steps, i);
		if (s->t_us > t_sigcont + 2 * poll_us)
			g_assert_false(s->report.dead);
	}
	g_assert_cmpint(cc_progress_get_report(progress)->phase, ==, CC_PROGRESS_PHASE_COMPLETED);
	assert_percent_monotone(steps);
}

static void
test_progress_top_level_remaining(void)
{
	g_autoptr(Trace) trace = trace_load("synthetic-top-level-remaining");
	g_autoptr(CcProgress) progress = NULL;
	g_autoptr(GArray) steps = replay(trace, NULL, &progress);
	guint checked = 0;

	for (guint i = 0; i < trace->lines->len; i++) {
		JsonObject *line = trace_line(trace, i);
		g_autoptr(CcProgress) one = cc_progress_new(NULL);
		JsonObject *reply;
		const CcProgressReport *r;
		if (!json_object_has_member(line, "reply"))
			continue;
		reply = json_object_get_object_member(line, "reply");
		if (!json_object_has_member(reply, "remaining"))
			continue;
		g_assert_true(cc_progress_add_sample(one, 0, reply, NULL));
		r = cc_progress_get_report(one);
		g_assert_true(r->remaining_top_level);
		g_assert_cmpuint(r->remaining, ==, json_object_get_int_member(reply, "remaining"));
		if (r->phase == CC_PROGRESS_PHASE_PRECOPY) {
			g_assert_cmpuint(
				r->remaining, >,
				json_object_get_int_member(
					json_object_get_object_member(reply, "ram"), "remaining"));
			g_assert_cmpuint(r->stopcopy_only_bytes, ==, 8 * 1024 * 1024);
		}
		checked++;
	}
	g_assert_cmpuint(checked, >, 50);
	/* 8 MiB of stop-copy-only data fits 300 ms at 64 MiB/s: it converges */
	g_assert_cmpint(first_boundary(steps)->report.convergence, ==,
			CC_PROGRESS_CONVERGENCE_CONVERGING);
	g_assert_cmpint(cc_progress_get_report(progress)->phase, ==, CC_PROGRESS_PHASE_COMPLETED);
	assert_percent_monotone(steps);
}

static void
test_progress_stopcopy_only(void)
{
	g_autoptr(Trace) trace = trace_load("synthetic-stopcopy-only");
	g_autoptr(CcProgress) progress = NULL;
	g_autoptr(GArray) steps = replay(trace, NULL, &progress);
	const guint64 stopcopy = 32 * 1024 * 1024;
	const gdouble bw = 64.0 * 1024 * 1024;
	gint64 t_raise = trace_find(trace, NULL, "downtime-limit");
	const CcProgressReport *end = cc_progress_get_report(progress);

	g_assert_cmpint(t_raise, >, 0);
	for (guint i = 0; i < steps->len; i++) {
		const Step *s = step_at(steps, i);
		const CcProgressReport *r = &s->report;
		if (r->phase != CC_PROGRESS_PHASE_PRECOPY)
			continue;
		g_assert_cmpuint(r->stopcopy_only_bytes, ==, stopcopy);
		g_assert_cmpuint(r->stopcopy_predicted_bytes, >=, stopcopy);
		g_assert_cmpuint(r->stopcopy_predicted_bytes, ==, r->remaining);
		/* B is the link, also once only dirtied pages are left to send */
		g_assert_cmpfloat(ABS(r->bandwidth - bw), <, bw * 0.05);
		/* 32 MiB alone needs 500 ms at 64 MiB/s: never within 300 ms, whatever rho */
		g_assert_cmpint(r->convergence, ==, CC_PROGRESS_CONVERGENCE_NOT_CONVERGING);
		g_assert_cmpint(r->eta_ms, ==, -1);
		g_assert_cmpint(r->advice, ==, CC_PROGRESS_ADVICE_RAISE_DOWNTIME);
		g_assert_cmpint(r->advised_downtime_ms, >, 500);
		g_assert_cmpint(r->advised_downtime_ms, <=, 1000);
		g_assert_cmpfloat(r->precopy_percent, <=,
				  100.0 - stopcopy * 100.0 / r->total_bytes);
	}
	g_assert_cmpint(end->phase, ==, CC_PROGRESS_PHASE_COMPLETED);
	g_assert_cmpint(end->downtime_limit_ms, ==, 1000);
	g_assert_cmpuint(end->stopcopy_predicted_bytes, >=, stopcopy);
	assert_percent_monotone(steps);
}

/* once the limit is raised, the same state converges */
static void
test_progress_raise_downtime(void)
{
	g_autoptr(Trace) trace = trace_load("synthetic-stopcopy-only");
	g_autoptr(CcProgress) progress = cc_progress_new(NULL);
	const CcProgressReport *r = cc_progress_get_report(progress);

	for (guint i = 0; i < trace->lines->len; i++) {
		JsonObject *line = trace_line(trace, i);
		if (json_object_has_member(line, "action"))
			break;
		if (json_object_has_member(line, "reply"))
			g_assert_true(cc_progress_add_sample(
				progress, json_object_get_int_member(line, "t_us"),
				json_object_get_object_member(line, "reply"), NULL));
	}
	g_assert_cmpint(r->advice, ==, CC_PROGRESS_ADVICE_RAISE_DOWNTIME);
	cc_progress_set_downtime_limit(progress, (guint64)r->advised_downtime_ms);
	g_assert_cmpint(r->convergence, ==, CC_PROGRESS_CONVERGENCE_CONVERGING);
	g_assert_cmpint(r->advice, ==, CC_PROGRESS_ADVICE_NONE);
	g_assert_cmpint(r->eta_ms, >=, 0);
}

/* properties over every trace in the directory */
static void
test_progress_all_traces(void)
{
	g_autofree gchar *dir_path = trace_dir();
	g_autoptr(GDir) dir = g_dir_open(dir_path, 0, NULL);
	const gchar *file;
	guint n = 0;

	g_assert_nonnull(dir);
	while ((file = g_dir_read_name(dir)) != NULL) {
		g_autofree gchar *name = NULL;
		g_autoptr(Trace) trace = NULL;
		g_autoptr(GArray) steps = NULL;
		g_autoptr(JsonObject) json = NULL;
		if (!g_str_has_suffix(file, ".jsonl"))
			continue;
		name = g_strndup(file, strlen(file) - 6);
		trace = trace_load(name);
		steps = replay(trace, NULL, NULL);
		assert_percent_monotone(steps);
		for (guint i = 0; i < steps->len; i++) {
			const CcProgressReport *r = &step_at(steps, i)->report;
			g_assert_cmpfloat(r->stop_percent, <=, 100);
			g_assert_true(r->advice == CC_PROGRESS_ADVICE_NONE ||
				      r->convergence == CC_PROGRESS_CONVERGENCE_NOT_CONVERGING);
			/* only the hung destination is dead */
			if (r->dead)
				g_assert_cmpstr(name, ==, "qemu72-dead-dest");
		}
		json = cc_progress_report_to_json(&step_at(steps, steps->len - 1)->report);
		g_assert_true(json_object_has_member(json, "phase"));
		n++;
	}
	g_assert_cmpuint(n, >=, 7);
}

/* every reply of a real run without one member: accepted, and the percent still monotone */
static void
test_progress_missing_fields(void)
{
	const gchar *members[] = {"status",
				  "total-time",
				  "expected-downtime",
				  "downtime",
				  "ram",
				  "ram.transferred",
				  "ram.remaining",
				  "ram.total",
				  "ram.dirty-pages-rate",
				  "ram.page-size",
				  "ram.dirty-sync-count",
				  "ram.mbps",
				  "ram.downtime-bytes"};
	for (guint m = 0; m < G_N_ELEMENTS(members); m++) {
		/* loaded each time: json_node_copy() shares the objects */
		g_autoptr(Trace) trace = trace_load("qemu72-dirty2-converge");
		g_autoptr(CcProgress) progress = cc_progress_new(NULL);
		const CcProgressReport *r = cc_progress_get_report(progress);
		gdouble last = 0;
		for (guint i = 0; i < trace->lines->len; i++) {
			JsonObject *line = trace_line(trace, i);
			JsonObject *reply;
			if (!json_object_has_member(line, "reply"))
				continue;
			reply = json_object_get_object_member(line, "reply");
			if (g_str_has_prefix(members[m], "ram.") &&
			    json_object_has_member(reply, "ram"))
				json_object_remove_member(
					json_object_get_object_member(reply, "ram"),
					members[m] + 4);
			else
				json_object_remove_member(reply, members[m]);
			g_assert_true(cc_progress_add_sample(
				progress, json_object_get_int_member(line, "t_us"), reply, NULL));
			g_assert_cmpfloat(r->precopy_percent, >=, last);
			last = r->precopy_percent;
		}
		g_test_message("without %s: %s", members[m], cc_progress_phase_to_string(r->phase));
		if (g_strcmp0(members[m], "status") != 0)
			g_assert_cmpint(r->phase, ==, CC_PROGRESS_PHASE_COMPLETED);
	}
}

static JsonObject *
parse_object(const gchar *text)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;

	json_parser_load_from_data(parser, text, -1, &error);
	g_assert_no_error(error);
	return json_object_ref(json_node_get_object(json_parser_get_root(parser)));
}

static void
test_progress_bad_input(void)
{
	const gchar *bad[] = {
		"{\"status\": 5}",
		"{\"status\": \"active\", \"ram\": \"x\"}",
		"{\"status\": \"active\", \"ram\": {\"transferred\": \"abc\"}}",
		"{\"status\": \"active\", \"ram\": {\"remaining\": -4096}}",
		"{\"status\": \"active\", \"ram\": {\"mbps\": true}}",
		"{\"status\": \"active\", \"ram\": {\"total\": [1]}}",
		"{\"status\": \"active\", \"remaining\": {}}",
		"{\"status\": \"completed\", \"downtime\": 1e300}",
	};
	const gchar *tolerated[] = {
		"{}",
		"{\"status\": \"setup\"}",
		"{\"status\": \"active\"}",
		"{\"status\": \"active\", \"ram\": {}}",
		"{\"status\": \"active\", \"ram\": {\"transferred\": null, \"total\": 0}}",
		"{\"status\": \"active\", \"ram\": {\"transferred\": 4096, \"remaining\": 8192, "
		"\"total\": 4096, \"mbps\": 0, \"dirty-sync-count\": 3, \"page-size\": 0}}",
		"{\"status\": \"some-future-status\", \"unknown\": {\"x\": 1}}",
		"{\"status\": \"cancelled\"}",
	};
	g_autoptr(CcProgress) progress = cc_progress_new(NULL);
	const CcProgressReport *r = cc_progress_get_report(progress);
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonObject) ok = parse_object("{\"status\": \"active\", \"ram\": "
						"{\"transferred\": 10, \"total\": 100}}");

	g_assert_true(cc_progress_add_sample(progress, 1000, ok, &error));
	g_assert_no_error(error);
	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(JsonObject) reply = parse_object(bad[i]);
		g_assert_false(cc_progress_add_sample(progress, 2000 + i, reply, &error));
		g_assert_error(error, COLO_ERROR, COLO_ERROR_PROTOCOL);
		g_test_message("%s: %s", bad[i], error->message);
		g_clear_error(&error);
		/* the state is as it was */
		g_assert_cmpint(r->t_us, ==, 1000);
		g_assert_cmpuint(r->transferred, ==, 10);
		g_assert_cmpint(r->phase, ==, CC_PROGRESS_PHASE_PRECOPY);
	}
	/* time going backwards */
	g_assert_false(cc_progress_add_sample(progress, 999, ok, &error));
	g_assert_error(error, COLO_ERROR, COLO_ERROR_INVALID_INPUT);
	g_clear_error(&error);
	g_assert_false(cc_progress_add_sample(progress, 5000, NULL, &error));
	g_assert_error(error, COLO_ERROR, COLO_ERROR_INVALID_INPUT);
	g_clear_error(&error);
	g_assert_cmpint(r->t_us, ==, 1000);
	/* the same time twice is fine */
	g_assert_true(cc_progress_add_sample(progress, 1000, ok, NULL));
	for (guint i = 0; i < G_N_ELEMENTS(tolerated); i++) {
		g_autoptr(JsonObject) reply = parse_object(tolerated[i]);
		g_autoptr(JsonObject) json = NULL;
		g_assert_true(cc_progress_add_sample(progress, 10000 * (i + 1), reply, &error));
		g_assert_no_error(error);
		g_assert_cmpfloat(r->precopy_percent, <, 100);
		json = cc_progress_report_to_json(r);
		g_assert_nonnull(json);
	}
	g_assert_cmpint(r->phase, ==, CC_PROGRESS_PHASE_CANCELLED);
	g_assert_cmpstr(r->status, ==, "cancelled");
}

/* QEMU 7.2 can answer "completed" before it fills in total-time and downtime */
static void
test_progress_completed_early(void)
{
	g_autoptr(CcProgress) progress = cc_progress_new(NULL);
	const CcProgressReport *r = cc_progress_get_report(progress);
	g_autoptr(JsonObject) active = parse_object(
		"{\"status\": \"active\", \"total-time\": 11000, \"ram\": {\"transferred\": "
		"90000000, "
		"\"remaining\": 2000000, \"total\": 268967936, \"dirty-sync-count\": 1}}");
	g_autoptr(JsonObject) early = parse_object(
		"{\"status\": \"completed\", \"total-time\": 0, \"downtime\": 0, \"ram\": "
		"{\"transferred\": 92000000, \"remaining\": 0, \"downtime-bytes\": 1285626}}");
	g_autoptr(JsonObject) filled = parse_object(
		"{\"status\": \"completed\", \"total-time\": 11424, \"downtime\": 5, \"ram\": "
		"{\"transferred\": 92000000, \"remaining\": 0, \"downtime-bytes\": 1285626}}");

	g_assert_true(cc_progress_add_sample(progress, 11000000, active, NULL));
	g_assert_true(cc_progress_add_sample(progress, 11427000, early, NULL));
	g_assert_cmpint(r->phase, ==, CC_PROGRESS_PHASE_COMPLETED);
	g_assert_cmpint(r->downtime_actual_ms, ==, -1);
	g_assert_cmpint(r->total_time_actual_ms, ==, -1);
	g_assert_cmpint(r->total_time_ms, ==, 11000);
	g_assert_cmpint(r->stopcopy_actual_bytes, ==, 1285626);
	g_assert_cmpuint(r->stopcopy_predicted_bytes, ==, 2000000);
	g_assert_true(cc_progress_add_sample(progress, 11677000, filled, NULL));
	g_assert_cmpint(r->downtime_actual_ms, ==, 5);
	g_assert_cmpint(r->total_time_actual_ms, ==, 11424);
	g_assert_cmpuint(r->stopcopy_predicted_bytes, ==, 2000000);
}

/* replays @trace with a dirty-rate hint given before the first sample */
static GArray *
replay_hinted(const Trace *trace, gdouble hint)
{
	CcProgressConfig cfg;
	g_autoptr(CcProgress) progress = NULL;
	GArray *steps = g_array_new(FALSE, TRUE, sizeof(Step));

	trace_config(trace, &cfg);
	progress = cc_progress_new(&cfg);
	cc_progress_set_dirty_rate_hint(progress, hint);
	for (guint i = 0; i < trace->lines->len; i++)
		replay_line(progress, trace_line(trace, i), steps);
	return steps;
}

static void
test_progress_dirty_rate_hint(void)
{
	g_autoptr(Trace) trace = trace_load("qemu72-dirty2-converge");
	g_autoptr(GArray) plain = replay(trace, NULL, NULL);
	gdouble qemu_rate = first_boundary(plain)->report.dirty_rate;
	g_autoptr(GArray) hinted = replay_hinted(trace, qemu_rate);
	g_autoptr(GArray) high = replay_hinted(trace, first_boundary(plain)->report.bandwidth * 2);
	gint64 t_stop = trace_find(trace, "STOP", NULL);
	guint first_pass = 0, mid = 0;
	gint64 err_plain, err_hinted;

	g_assert_cmpfloat(qemu_rate, >, 0);
	g_assert_cmpuint(plain->len, ==, hinted->len);
	for (guint i = 0; i < plain->len; i++) {
		const CcProgressReport *p = &step_at(plain, i)->report;
		const CcProgressReport *h = &step_at(hinted, i)->report;
		const CcProgressReport *x = &step_at(high, i)->report;

		g_assert_cmpfloat(h->dirty_rate_hint, ==, qemu_rate);
		if (p->phase != CC_PROGRESS_PHASE_PRECOPY)
			continue;
		if (p->boundaries == 0) {
			/* the first pass: QEMU knows no rate, the hint is D */
			g_assert_cmpfloat(p->dirty_rate, <, 0);
			g_assert_true(h->dirty_rate_hinted);
			g_assert_cmpfloat(h->dirty_rate, ==, qemu_rate);
			if (p->eta_ms < 0 || h->bandwidth <= 0)
				continue;
			g_assert_cmpfloat(h->rho, >, 0);
			g_assert_cmpint(h->convergence, ==, CC_PROGRESS_CONVERGENCE_CONVERGING);
			/* the later passes add time to the naive rest of the first pass */
			g_assert_cmpint(h->eta_ms, >, p->eta_ms);
			/* a hint over the bandwidth cannot converge */
			g_assert_cmpint(x->eta_ms, ==, -1);
			g_assert_cmpint(x->convergence, ==, CC_PROGRESS_CONVERGENCE_NOT_CONVERGING);
			first_pass++;
			continue;
		}
		/* after the first boundary QEMU's figure wins, whatever the hint said */
		g_assert_false(h->dirty_rate_hinted);
		g_assert_false(x->dirty_rate_hinted);
		g_assert_cmpfloat(h->dirty_rate, ==, p->dirty_rate);
		g_assert_cmpfloat(x->dirty_rate, ==, p->dirty_rate);
		g_assert_cmpint(h->eta_ms, ==, p->eta_ms);
		g_assert_cmpint(x->eta_ms, ==, p->eta_ms);
		g_assert_cmpint(h->convergence, ==, p->convergence);
	}
	g_assert_cmpuint(first_pass, >=, 4);
	/* in the middle of the first pass the hinted prediction of the STOP is the closer one */
	for (guint i = 0, seen = 0; i < plain->len && mid == 0; i++) {
		const CcProgressReport *p = &step_at(plain, i)->report;
		if (p->phase == CC_PROGRESS_PHASE_PRECOPY && p->boundaries == 0 && p->eta_ms >= 0 &&
		    step_at(hinted, i)->report.bandwidth > 0 && ++seen == first_pass / 2)
			mid = i;
	}
	err_plain = ABS(step_at(plain, mid)->t_us / 1000 + step_at(plain, mid)->report.eta_ms -
			t_stop / 1000);
	err_hinted = ABS(step_at(hinted, mid)->t_us / 1000 + step_at(hinted, mid)->report.eta_ms -
			 t_stop / 1000);
	g_test_message("mid first pass: STOP predicted off by %" G_GINT64_FORMAT
		       " ms without the hint, %" G_GINT64_FORMAT " ms with it",
		       err_plain, err_hinted);
	g_assert_cmpint(err_hinted, <, err_plain);
}

static void
test_progress_json(void)
{
	g_autoptr(Trace) trace = trace_load("qemu72-dirty2-converge");
	g_autoptr(CcProgress) progress = NULL;
	g_autoptr(GArray) steps = replay(trace, NULL, &progress);
	g_autoptr(JsonObject) end = cc_progress_report_to_json(cc_progress_get_report(progress));
	g_autoptr(JsonObject) start = cc_progress_report_to_json(&step_at(steps, 1)->report);
	JsonObject *completion;

	g_assert_cmpstr(json_object_get_string_member(end, "phase"), ==, "completed");
	g_assert_cmpstr(json_object_get_string_member(end, "status"), ==, "completed");
	g_assert_cmpstr(json_object_get_string_member(end, "convergence"), ==, "converging");
	g_assert_cmpstr(json_object_get_string_member(end, "advice"), ==, "none");
	g_assert_cmpfloat(json_object_get_double_member(end, "precopy_percent"), ==, 100);
	g_assert_cmpint(json_object_get_int_member(end, "eta_ms"), ==, 0);
	completion = json_object_get_object_member(end, "completion");
	g_assert_nonnull(completion);
	g_assert_cmpint(json_object_get_int_member(completion, "downtime_actual_ms"), >, 0);
	g_assert_cmpint(json_object_get_int_member(completion, "downtime_predicted_ms"), >, 0);
	/* unknown figures are null: the dirty rate in the first pass */
	g_assert_cmpstr(json_object_get_string_member(start, "phase"), ==, "precopy");
	g_assert_true(JSON_NODE_HOLDS_NULL(json_object_get_member(start, "dirty_rate_bps")));
	g_assert_true(JSON_NODE_HOLDS_NULL(json_object_get_member(start, "rho")));
	g_assert_cmpstr(json_object_get_string_member(start, "convergence"), ==, "unknown");
	g_assert_false(json_object_has_member(start, "completion"));

	g_assert_cmpstr(cc_progress_phase_to_string(CC_PROGRESS_PHASE_STOP_COPY), ==, "stop-copy");
	g_assert_cmpstr(cc_progress_advice_to_string(CC_PROGRESS_ADVICE_RAISE_DOWNTIME), ==,
			"raise-downtime");
	g_assert_cmpstr(cc_progress_convergence_to_string(CC_PROGRESS_CONVERGENCE_NOT_CONVERGING),
			==, "not-converging");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/progress/converging", test_progress_converging);
	g_test_add_func("/progress/stop-phase", test_progress_stop_phase);
	g_test_add_func("/progress/idle", test_progress_idle);
	g_test_add_func("/progress/not-converging", test_progress_not_converging);
	g_test_add_func("/progress/stall", test_progress_stall);
	g_test_add_func("/progress/dead", test_progress_dead);
	g_test_add_func("/progress/top-level-remaining", test_progress_top_level_remaining);
	g_test_add_func("/progress/stopcopy-only", test_progress_stopcopy_only);
	g_test_add_func("/progress/raise-downtime", test_progress_raise_downtime);
	g_test_add_func("/progress/all-traces", test_progress_all_traces);
	g_test_add_func("/progress/missing-fields", test_progress_missing_fields);
	g_test_add_func("/progress/bad-input", test_progress_bad_input);
	g_test_add_func("/progress/completed-early", test_progress_completed_early);
	g_test_add_func("/progress/dirty-rate-hint", test_progress_dirty_rate_hint);
	g_test_add_func("/progress/json", test_progress_json);
	return g_test_run();
}
