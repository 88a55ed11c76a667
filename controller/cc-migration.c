/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "CcMigration"

#include "config.h"

#include "cc-migration.h"
#include "colo-error.h"

#define CC_NETPASS_CHARDEV "cc-np0"
#define CC_NETPASS_FILTER  "cc-np"
#define CC_GUEST_NETDEV    "hn0"
#define CC_RESUME_WAIT_MS  10000
/* calc-dirty-rate measures this long; query-dirty-rate follows a little later */
#define CC_DIRTY_RATE_CALC_S   1
#define CC_DIRTY_RATE_QUERY_MS 1200
#define CC_DIRTY_RATE_RETRY_MS 500
#define CC_DIRTY_RATE_QUERIES  4

struct _CcMigration {
	GObject parent_instance;
	gint64 id;
	CcQemu *source;
	CcQemu *dest;
	CcMigrationParams params;
	CcMigrationPolicy policy;
	gboolean has_policy;
	gchar *address;
	CcMigrationState state;
	CcProgress *progress;
	GTask *task;
	GSource *sampler;
	gboolean sampling;        /* a query-migrate is in flight */
	guint dirty_rate_queries; /* query-dirty-rate calls made */
	gint64 start_us;
	gint64 not_converging_since_us;
	guint downtime_ms; /* the limit in force */
	gboolean raised_downtime;
	gboolean auto_converge;
	gboolean postcopy;
	gboolean paused;
	gchar *netpass; /* "configured", "unavailable", "not-needed" */
	gchar *netpass_path;
	gboolean guest_net;
	gchar *cancel_reason;
	JsonObject *final_reply;
	gulong source_event_id;
	gulong dest_event_id;
};

enum { SIGNAL_EVENT, SIGNAL_SAMPLE, SIGNAL_LAST };
static guint signals[SIGNAL_LAST] = {0};

G_DEFINE_TYPE(CcMigration, cc_migration, G_TYPE_OBJECT)

const gchar *
cc_migration_state_to_string(CcMigrationState state)
{
	switch (state) {
	case CC_MIGRATION_SETUP:
		return "setup";
	case CC_MIGRATION_ACTIVE:
		return "active";
	case CC_MIGRATION_COMPLETED:
		return "completed";
	case CC_MIGRATION_FAILED:
		return "failed";
	case CC_MIGRATION_CANCELLED:
		return "cancelled";
	}
	return "unknown";
}

/* @detail is consumed */
static void
cc_migration_emit(CcMigration *self, const gchar *kind, JsonObject *detail)
{
	g_autoptr(JsonObject) obj = detail != NULL ? detail : json_object_new();
	json_object_set_int_member(obj, "migration", self->id);
	g_signal_emit(self, signals[SIGNAL_EVENT], 0, kind, obj);
}

static gboolean
cc_migration_done(CcMigration *self)
{
	return self->state == CC_MIGRATION_COMPLETED || self->state == CC_MIGRATION_FAILED ||
	       self->state == CC_MIGRATION_CANCELLED;
}

static void
cc_migration_stop_sampler(CcMigration *self)
{
	if (self->sampler == NULL)
		return;
	g_source_destroy(self->sampler);
	g_clear_pointer(&self->sampler, g_source_unref);
}

static void
cc_migration_dest_stopped_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK(user_data);
	CcMigration *self = g_task_get_source_object(task);
	g_autoptr(GError) error_local = NULL;
	GError *reason = g_task_get_task_data(task);

	if (!cc_qemu_stop_finish(CC_QEMU(source), res, &error_local))
		g_warning("migration %" G_GINT64_FORMAT ": destination: %s", self->id,
			  error_local->message);
	g_task_return_error(task, g_error_copy(reason));
}

/* ends the migration unsuccessfully: the destination goes, the source stays */
static void
cc_migration_fail(CcMigration *self, CcMigrationState state, GError *error)
{
	g_autoptr(GTask) task = g_steal_pointer(&self->task);
	JsonObject *detail;

	if (cc_migration_done(self) || task == NULL) {
		g_error_free(error);
		return;
	}
	cc_migration_stop_sampler(self);
	self->state = state;
	detail = json_object_new();
	json_object_set_string_member(detail, "state", cc_migration_state_to_string(state));
	json_object_set_string_member(detail, "reason", error->message);
	cc_migration_emit(self, "migration-ended", detail);
	/* a paused source resumes: it keeps running the guest */
	if (self->paused && cc_qemu_get_state(self->source) == CC_QEMU_STATE_RUNNING)
		cc_qemu_execute_async(self->source, "cont", NULL, CC_QMP_FLAG_NONE, 0, NULL, NULL);
	g_task_set_task_data(task, error, (GDestroyNotify)g_error_free);
	cc_qemu_stop_full_async(self->dest, TRUE, cc_migration_dest_stopped_cb,
				g_steal_pointer(&task));
}

static void cc_migration_fail_literal(CcMigration *self, CcMigrationState state, ColoError code,
				      const gchar *fmt, ...) G_GNUC_PRINTF(4, 5);

static void
cc_migration_fail_literal(CcMigration *self, CcMigrationState state, ColoError code,
			  const gchar *fmt, ...)
{
	va_list args;
	g_autofree gchar *msg = NULL;

	va_start(args, fmt);
	msg = g_strdup_vprintf(fmt, args);
	va_end(args);
	cc_migration_fail(self, state, g_error_new_literal(COLO_ERROR, code, msg));
}

/* ------------------------------------------------------------ completion */

static void
cc_migration_source_quit_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK(user_data);
	g_autoptr(GError) error_local = NULL;
	if (!cc_qemu_stop_finish(CC_QEMU(source), res, &error_local))
		g_warning("migrated source: %s", error_local->message);
	g_task_return_boolean(task, TRUE);
}

static void
cc_migration_complete(CcMigration *self)
{
	g_autoptr(GTask) task = g_steal_pointer(&self->task);
	JsonObject *detail;

	if (task == NULL)
		return;
	cc_migration_stop_sampler(self);
	self->state = CC_MIGRATION_COMPLETED;
	detail = json_object_new();
	json_object_set_string_member(detail, "state", "completed");
	json_object_set_object_member(
		detail, "progress",
		cc_progress_report_to_json(cc_progress_get_report(self->progress)));
	cc_migration_emit(self, "migration-ended", detail);
	/* the guest runs on the destination now: the source goes through the ladder */
	cc_qemu_stop_async(self->source, cc_migration_source_quit_cb, g_steal_pointer(&task));
}

static void
cc_migration_dest_status_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(CcMigration) self = CC_MIGRATION(user_data);
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) ret = cc_qemu_execute_finish(CC_QEMU(source), res, &error);
	const gchar *status = NULL;

	if (cc_migration_done(self))
		return;
	if (ret != NULL && JSON_NODE_HOLDS_OBJECT(ret))
		status = json_object_get_string_member_with_default(json_node_get_object(ret),
								    "status", NULL);
	if (g_strcmp0(status, "running") != 0) {
		cc_migration_fail_literal(self, CC_MIGRATION_FAILED, COLO_ERROR_PROTOCOL,
					  "migration completed but the destination is %s",
					  status != NULL ? status
							 : (error != NULL ? error->message : "?"));
		return;
	}
	cc_migration_complete(self);
}

/* ---------------------------------------------------------------- policy */

static void
cc_migration_step(CcMigration *self, const gchar *step, const CcProgressReport *r,
		  JsonObject *extra)
{
	JsonObject *detail = extra != NULL ? extra : json_object_new();
	json_object_set_string_member(detail, "step", step);
	json_object_set_object_member(detail, "figures", cc_progress_report_to_json(r));
	cc_migration_emit(self, "migration-policy", detail);
}

static JsonObject *
cc_migration_args_caps(const gchar *cap, gboolean state)
{
	JsonObject *args = json_object_new();
	JsonArray *caps = json_array_new();
	JsonObject *c = json_object_new();
	json_object_set_string_member(c, "capability", cap);
	json_object_set_boolean_member(c, "state", state);
	json_array_add_object_element(caps, c);
	json_object_set_array_member(args, "capabilities", caps);
	return args;
}

/* events always; postcopy-ram on both sides when the policy may switch to postcopy */
static JsonObject *
cc_migration_start_caps(CcMigration *self)
{
	JsonObject *args = cc_migration_args_caps("events", TRUE);
	if (self->has_policy && self->policy.postcopy_after_s > 0) {
		JsonObject *c = json_object_new();
		json_object_set_string_member(c, "capability", "postcopy-ram");
		json_object_set_boolean_member(c, "state", TRUE);
		json_array_add_object_element(json_object_get_array_member(args, "capabilities"),
					      c);
	}
	return args;
}

static void
cc_migration_apply_policy(CcMigration *self, const CcProgressReport *r, gint64 now_us)
{
	const CcMigrationPolicy *p = &self->policy;
	gdouble bad_s;

	/* a dead transfer is cancelled whatever the policy says: never postcopy into it */
	if (r->dead) {
		cc_migration_step(self, "cancel-dead-transfer", r, NULL);
		cc_migration_cancel(self, "dead transfer: no bytes moved");
		return;
	}
	if (!self->has_policy)
		return;
	if (r->convergence != CC_PROGRESS_CONVERGENCE_NOT_CONVERGING ||
	    r->phase != CC_PROGRESS_PHASE_PRECOPY) {
		self->not_converging_since_us = 0;
		return;
	}
	if (self->not_converging_since_us == 0)
		self->not_converging_since_us = now_us;
	bad_s = (now_us - self->not_converging_since_us) / 1e6;
	if (p->raise_downtime_after_s > 0 && !self->raised_downtime &&
	    bad_s >= p->raise_downtime_after_s && p->downtime_cap_ms > self->downtime_ms) {
		g_autoptr(JsonObject) args = json_object_new();
		JsonObject *extra = json_object_new();
		self->raised_downtime = TRUE;
		json_object_set_int_member(extra, "from_ms", self->downtime_ms);
		json_object_set_int_member(extra, "to_ms", p->downtime_cap_ms);
		self->downtime_ms = p->downtime_cap_ms;
		cc_progress_set_downtime_limit(self->progress, self->downtime_ms);
		json_object_set_int_member(args, "downtime-limit", self->downtime_ms);
		cc_qemu_execute_async(self->source, "migrate-set-parameters", args,
				      CC_QMP_FLAG_NONE, 0, NULL, NULL);
		cc_migration_step(self, "raise-downtime", r, extra);
		return;
	}
	if (p->auto_converge_after_s > 0 && !self->auto_converge &&
	    bad_s >= p->auto_converge_after_s) {
		g_autoptr(JsonObject) args = cc_migration_args_caps("auto-converge", TRUE);
		self->auto_converge = TRUE;
		cc_qemu_execute_async(self->source, "migrate-set-capabilities", args,
				      CC_QMP_FLAG_NONE, 0, NULL, NULL);
		cc_migration_step(self, "auto-converge", r, NULL);
		return;
	}
	/* postcopy only while bytes flow: a stalled transfer would strand the guest */
	if (p->postcopy_after_s > 0 && !self->postcopy && bad_s >= p->postcopy_after_s &&
	    !r->stall) {
		self->postcopy = TRUE;
		cc_qemu_execute_async(self->source, "migrate-start-postcopy", NULL,
				      CC_QMP_FLAG_NONE, 0, NULL, NULL);
		cc_migration_step(self, "postcopy", r, NULL);
		return;
	}
	if (p->pause_after_s > 0 && !self->paused && bad_s >= p->pause_after_s) {
		self->paused = TRUE;
		cc_qemu_execute_async(self->source, "stop", NULL, CC_QMP_FLAG_NONE, 0, NULL, NULL);
		cc_migration_step(self, "pause-to-complete", r, NULL);
		return;
	}
	if (p->abort_after_s > 0 && bad_s >= p->abort_after_s) {
		cc_migration_step(self, "abort", r, NULL);
		cc_migration_cancel(self, "policy: does not converge");
	}
}

/* -------------------------------------------------------------- sampling */

static void
cc_migration_sample_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(CcMigration) self = CC_MIGRATION(user_data);
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) ret = cc_qemu_execute_finish(CC_QEMU(source), res, &error);
	gint64 now = g_get_monotonic_time();
	const CcProgressReport *r;
	const gchar *status;
	JsonObject *reply;

	self->sampling = FALSE;
	if (cc_migration_done(self))
		return;
	if (ret == NULL || !JSON_NODE_HOLDS_OBJECT(ret)) {
		/* a missed deadline is a sample of nothing: the dead-transfer clock runs on */
		g_debug("query-migrate: %s", error != NULL ? error->message : "not an object");
		return;
	}
	reply = json_node_get_object(ret);
	if (!cc_progress_add_sample(self->progress, now - self->start_us, reply, &error))
		g_debug("sample ignored: %s", error->message);
	r = cc_progress_get_report(self->progress);
	g_signal_emit(self, signals[SIGNAL_SAMPLE], 0, now - self->start_us, reply,
		      cc_progress_report_to_json(r));
	status = json_object_get_string_member_with_default(reply, "status", "");
	if (g_strcmp0(status, "completed") == 0) {
		g_clear_pointer(&self->final_reply, json_object_unref);
		self->final_reply = json_object_ref(reply);
		cc_qemu_execute_async(self->dest, "query-status", NULL, CC_QMP_FLAG_NONE, 0,
				      cc_migration_dest_status_cb, g_object_ref(self));
		cc_migration_stop_sampler(self);
		return;
	}
	if (g_strcmp0(status, "failed") == 0) {
		cc_migration_fail_literal(self, CC_MIGRATION_FAILED, COLO_ERROR_QMP_ERROR,
					  "QEMU: %s",
					  json_object_get_string_member_with_default(
						  reply, "error-desc", "migration failed"));
		return;
	}
	if (g_strcmp0(status, "cancelled") == 0) {
		cc_migration_fail_literal(self, CC_MIGRATION_CANCELLED, COLO_ERROR_CANCELLED, "%s",
					  self->cancel_reason != NULL ? self->cancel_reason
								      : "cancelled");
		return;
	}
	cc_migration_apply_policy(self, r, now - self->start_us);
}

static gboolean
cc_migration_sampler_cb(gpointer user_data)
{
	CcMigration *self = CC_MIGRATION(user_data);
	if (self->sampling)
		return G_SOURCE_CONTINUE;
	self->sampling = TRUE;
	cc_qemu_execute_async(self->source, "query-migrate", NULL, CC_QMP_FLAG_NONE, 0,
			      cc_migration_sample_cb, g_object_ref(self));
	return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------ dirty-rate hint */

/*
 * QEMU 7.2 reports dirty-pages-rate only from its second bitmap sync on; calc-dirty-rate
 * (QEMU >= 5.2, page sampling) measures the guest independently of the migration, so the
 * first-pass ETA can count what the guest dirties meanwhile. Best effort: an error means no
 * hint.
 */
static void cc_migration_dirty_rate_later(CcMigration *self, guint ms);

static void
cc_migration_dirty_rate_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(CcMigration) self = CC_MIGRATION(user_data);
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) ret = cc_qemu_execute_finish(CC_QEMU(source), res, &error);
	JsonObject *obj, *detail;
	const gchar *status;
	JsonNode *rate;
	gint64 mib_s;
	gdouble bps;

	if (cc_migration_done(self))
		return;
	if (ret == NULL || !JSON_NODE_HOLDS_OBJECT(ret)) {
		g_debug("query-dirty-rate: %s", error != NULL ? error->message : "not an object");
		return;
	}
	obj = json_node_get_object(ret);
	status = json_object_get_string_member_with_default(obj, "status", "");
	if (g_strcmp0(status, "measuring") == 0 &&
	    self->dirty_rate_queries < CC_DIRTY_RATE_QUERIES) {
		cc_migration_dirty_rate_later(self, CC_DIRTY_RATE_RETRY_MS);
		return;
	}
	rate = json_object_get_member(obj, "dirty-rate");
	if (g_strcmp0(status, "measured") != 0 || rate == NULL || !JSON_NODE_HOLDS_VALUE(rate) ||
	    json_node_get_value_type(rate) != G_TYPE_INT64 || json_node_get_int(rate) < 0) {
		g_debug("query-dirty-rate: status %s, no rate", status);
		return;
	}
	/* QEMU's MB here is MiB: the sampled RAMBlock sizes are shifted by 20 */
	mib_s = json_node_get_int(rate);
	bps = (gdouble)mib_s * 1024 * 1024;
	cc_progress_set_dirty_rate_hint(self->progress, bps);
	detail = json_object_new();
	json_object_set_int_member(detail, "dirty_rate_mibps", mib_s);
	json_object_set_double_member(detail, "dirty_rate_bps", bps);
	json_object_set_int_member(
		detail, "calc_time_s",
		json_object_get_int_member_with_default(obj, "calc-time", CC_DIRTY_RATE_CALC_S));
	cc_migration_emit(self, "migration-dirty-rate", detail);
}

static gboolean
cc_migration_dirty_rate_query(gpointer user_data)
{
	CcMigration *self = CC_MIGRATION(user_data);

	if (cc_migration_done(self) || self->task == NULL || self->source == NULL)
		return G_SOURCE_REMOVE;
	self->dirty_rate_queries++;
	cc_qemu_execute_async(self->source, "query-dirty-rate", NULL, CC_QMP_FLAG_NONE, 0,
			      cc_migration_dirty_rate_cb, g_object_ref(self));
	return G_SOURCE_REMOVE;
}

/* the source holds a ref on @self */
static void
cc_migration_dirty_rate_later(CcMigration *self, guint ms)
{
	g_autoptr(GSource) source = g_timeout_source_new(ms);

	g_source_set_callback(source, cc_migration_dirty_rate_query, g_object_ref(self),
			      g_object_unref);
	g_source_attach(source, g_main_context_get_thread_default());
}

static void
cc_migration_calc_dirty_rate_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(CcMigration) self = CC_MIGRATION(user_data);
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) ret = cc_qemu_execute_finish(CC_QEMU(source), res, &error);

	if (ret == NULL) {
		/* older QEMU, or a measurement already running: no hint */
		g_debug("calc-dirty-rate: %s", error->message);
		return;
	}
	if (!cc_migration_done(self))
		cc_migration_dirty_rate_later(self, CC_DIRTY_RATE_QUERY_MS);
}

static void
cc_migration_measure_dirty_rate(CcMigration *self)
{
	g_autoptr(JsonObject) args = json_object_new();

	json_object_set_int_member(args, "calc-time", CC_DIRTY_RATE_CALC_S);
	cc_qemu_execute_async(self->source, "calc-dirty-rate", args, CC_QMP_FLAG_NONE, 0,
			      cc_migration_calc_dirty_rate_cb, g_object_ref(self));
}

/* --------------------------------------------------------------- members */

static void
cc_migration_source_event_cb(CcQemu *member, const gchar *kind, JsonObject *detail,
			     gpointer user_data)
{
	CcMigration *self = CC_MIGRATION(user_data);
	if (g_strcmp0(kind, "exited") != 0 || cc_migration_done(self))
		return;
	if (self->state == CC_MIGRATION_ACTIVE && self->final_reply != NULL)
		return; /* completed: the destination is being checked */
	cc_migration_fail_literal(
		self, CC_MIGRATION_FAILED, COLO_ERROR_DISCONNECTED, "the source QEMU died: %s",
		json_object_get_string_member_with_default(detail, "status", "?"));
}

static void
cc_migration_dest_event_cb(CcQemu *member, const gchar *kind, JsonObject *detail,
			   gpointer user_data)
{
	CcMigration *self = CC_MIGRATION(user_data);
	if (g_strcmp0(kind, "exited") != 0 || cc_migration_done(self) || self->task == NULL)
		return;
	/* an incoming QEMU exits when the source cancels: that is the cancel, not a failure */
	if (self->cancel_reason != NULL) {
		cc_migration_fail_literal(self, CC_MIGRATION_CANCELLED, COLO_ERROR_CANCELLED, "%s",
					  self->cancel_reason);
		return;
	}
	/* the source keeps the guest; its own migration fails on the broken socket */
	cc_qemu_execute_async(self->source, "migrate_cancel", NULL, CC_QMP_FLAG_NONE, 0, NULL,
			      NULL);
	cc_migration_fail_literal(
		self, CC_MIGRATION_FAILED, COLO_ERROR_DISCONNECTED, "the destination QEMU died: %s",
		json_object_get_string_member_with_default(detail, "status", "?"));
}

static void
cc_migration_source_qmp_event_cb(CcQemu *member, const gchar *name, JsonObject *data,
				 guint generation, gpointer user_data)
{
	CcMigration *self = CC_MIGRATION(user_data);
	if (g_strcmp0(name, "STOP") == 0 && self->state == CC_MIGRATION_ACTIVE) {
		/* the stop phase begins: netpass redirects what arrives meanwhile */
		cc_progress_set_stopped(self->progress, g_get_monotonic_time() - self->start_us);
		if (g_strcmp0(self->netpass, "configured") == 0) {
			g_autoptr(JsonObject) args = json_object_new();
			json_object_set_string_member(args, "path",
						      "/objects/" CC_NETPASS_FILTER "-out");
			json_object_set_string_member(args, "property", "status");
			json_object_set_string_member(args, "value", "on");
			cc_qemu_execute_async(self->source, "qom-set", args, CC_QMP_FLAG_NONE, 0,
					      NULL, NULL);
		}
	}
}

/* ------------------------------------------------------------ the chain */

typedef void (*CcMigrationNext)(CcMigration *self, JsonNode *ret);

typedef struct {
	CcMigration *self;
	CcMigrationNext next;
	const gchar *what;
} CcMigrationCall;

static void
cc_migration_call_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	CcMigrationCall *call = user_data;
	g_autoptr(CcMigration) self = call->self;
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) ret = cc_qemu_execute_finish(CC_QEMU(source), res, &error);
	CcMigrationNext next = call->next;
	const gchar *what = call->what;

	g_free(call);
	if (cc_migration_done(self) || self->task == NULL)
		return;
	if (ret == NULL) {
		cc_migration_fail_literal(self, CC_MIGRATION_FAILED, error->code, "%s: %s", what,
					  error->message);
		return;
	}
	next(self, ret);
}

/* runs @command on @member, then @next; any error fails the migration */
static void
cc_migration_call(CcMigration *self, CcQemu *member, const gchar *command, JsonObject *args,
		  const gchar *what, CcMigrationNext next)
{
	CcMigrationCall *call = g_new0(CcMigrationCall, 1);
	call->self = g_object_ref(self);
	call->next = next;
	call->what = what;
	cc_qemu_execute_async(member, command, args, CC_QMP_FLAG_NONE, 0, cc_migration_call_cb,
			      call);
}

static void
cc_migration_started(CcMigration *self, JsonNode *ret)
{
	self->state = CC_MIGRATION_ACTIVE;
	self->start_us = g_get_monotonic_time();
	cc_migration_emit(self, "migration-started", NULL);
	self->sampler = g_timeout_source_new(self->params.sample_ms);
	g_source_set_callback(self->sampler, cc_migration_sampler_cb, self, NULL);
	g_source_attach(self->sampler, g_main_context_get_thread_default());
}

static void
cc_migration_params_set(CcMigration *self, JsonNode *ret)
{
	g_autoptr(JsonObject) args = json_object_new();
	g_autofree gchar *uri = g_task_get_task_data(self->task) != NULL
					? g_strdup(g_task_get_task_data(self->task))
					: NULL;
	json_object_set_string_member(args, "uri", uri);
	cc_migration_call(self, self->source, "migrate", args, "source: migrate",
			  cc_migration_started);
}

static void
cc_migration_source_caps_set(CcMigration *self, JsonNode *ret)
{
	g_autoptr(JsonObject) args = json_object_new();

	/* runs beside the rest of the setup and the start of the first pass */
	cc_migration_measure_dirty_rate(self);
	json_object_set_int_member(args, "downtime-limit", self->downtime_ms);
	if (self->params.bandwidth_mibps > 0)
		json_object_set_int_member(args, "max-bandwidth",
					   (gint64)self->params.bandwidth_mibps * 1024 * 1024);
	cc_migration_call(self, self->source, "migrate-set-parameters", args,
			  "source: migrate-set-parameters", cc_migration_params_set);
}

/* the destination listens on port 0: the kernel's choice comes back in query-migrate */
static void
cc_migration_dest_listening(CcMigration *self, JsonNode *ret)
{
	g_autoptr(JsonObject) caps = cc_migration_start_caps(self);
	JsonObject *obj = JSON_NODE_HOLDS_OBJECT(ret) ? json_node_get_object(ret) : NULL;
	JsonArray *addrs = NULL;
	gint64 port = 0;

	if (obj != NULL && json_object_has_member(obj, "socket-address"))
		addrs = json_object_get_array_member(obj, "socket-address");
	for (guint i = 0; addrs != NULL && i < json_array_get_length(addrs); i++) {
		JsonObject *a = json_array_get_object_element(addrs, i);
		if (a != NULL && json_object_has_member(a, "port"))
			port = g_ascii_strtoll(json_object_get_string_member(a, "port"), NULL, 10);
	}
	if (port <= 0) {
		cc_migration_fail_literal(self, CC_MIGRATION_FAILED, COLO_ERROR_PROTOCOL,
					  "destination: no listening port in query-migrate");
		return;
	}
	g_task_set_task_data(self->task,
			     g_strdup_printf("tcp:%s:%" G_GINT64_FORMAT, self->address, port),
			     g_free);
	cc_migration_call(self, self->source, "migrate-set-capabilities", caps,
			  "source: migrate-set-capabilities", cc_migration_source_caps_set);
}

static void
cc_migration_dest_incoming(CcMigration *self, JsonNode *ret)
{
	cc_migration_call(self, self->dest, "query-migrate", NULL, "destination: query-migrate",
			  cc_migration_dest_listening);
}

static void
cc_migration_dest_caps_set(CcMigration *self, JsonNode *ret)
{
	g_autoptr(JsonObject) args = json_object_new();
	g_autofree gchar *uri = g_strdup_printf("tcp:%s:0", self->address);
	json_object_set_string_member(args, "uri", uri);
	cc_migration_call(self, self->dest, "migrate-incoming", args,
			  "destination: migrate-incoming", cc_migration_dest_incoming);
}

static void
cc_migration_prepare_dest(CcMigration *self)
{
	g_autoptr(JsonObject) caps = cc_migration_start_caps(self);
	cc_migration_call(self, self->dest, "migrate-set-capabilities", caps,
			  "destination: migrate-set-capabilities", cc_migration_dest_caps_set);
}

/* --------------------------------------------------------------- netpass */

static JsonObject *
cc_migration_chardev_args(const gchar *path, gboolean server)
{
	JsonObject *args = json_object_new();
	JsonObject *backend = json_object_new();
	JsonObject *data = json_object_new();
	JsonObject *addr = json_object_new();
	JsonObject *unix_addr = json_object_new();

	json_object_set_string_member(unix_addr, "path", path);
	json_object_set_string_member(addr, "type", "unix");
	json_object_set_object_member(addr, "data", unix_addr);
	json_object_set_object_member(data, "addr", addr);
	json_object_set_boolean_member(data, "server", server);
	if (server)
		json_object_set_boolean_member(data, "wait", FALSE);
	else
		json_object_set_int_member(data, "reconnect", 1);
	json_object_set_string_member(backend, "type", "socket");
	json_object_set_object_member(backend, "data", data);
	json_object_set_string_member(args, "id", CC_NETPASS_CHARDEV);
	json_object_set_object_member(args, "backend", backend);
	return args;
}

static void
cc_migration_netpass_done(CcMigration *self, JsonNode *ret)
{
	JsonObject *detail = json_object_new();
	g_free(self->netpass);
	self->netpass = g_strdup("configured");
	json_object_set_string_member(detail, "netpass", self->netpass);
	cc_migration_emit(self, "migration-netpass", detail);
	cc_migration_prepare_dest(self);
}

/* the source's redirector starts off and is switched on at STOP: while the guest runs
 * there, its packets must reach it */
static void
cc_migration_netpass_source_filter(CcMigration *self, JsonNode *ret)
{
	g_autoptr(JsonObject) args = json_object_new();
	json_object_set_string_member(args, "qom-type", "filter-redirector");
	json_object_set_string_member(args, "id", CC_NETPASS_FILTER "-out");
	json_object_set_string_member(args, "netdev", CC_GUEST_NETDEV);
	json_object_set_string_member(args, "queue", "rx");
	json_object_set_string_member(args, "outdev", CC_NETPASS_CHARDEV);
	json_object_set_boolean_member(args, "enable_when_stopped", TRUE);
	json_object_set_string_member(args, "status", "off");
	cc_migration_call(self, self->source, "object-add", args, "netpass: source redirector",
			  cc_migration_netpass_done);
}

static void
cc_migration_netpass_source_chardev(CcMigration *self, JsonNode *ret)
{
	g_autoptr(JsonObject) args = cc_migration_chardev_args(self->netpass_path, FALSE);
	cc_migration_call(self, self->source, "chardev-add", args, "netpass: source chardev",
			  cc_migration_netpass_source_filter);
}

static void
cc_migration_netpass_dest_filter(CcMigration *self, JsonNode *ret)
{
	g_autoptr(JsonObject) args = json_object_new();
	json_object_set_string_member(args, "qom-type", "filter-redirector");
	json_object_set_string_member(args, "id", CC_NETPASS_FILTER "-in");
	json_object_set_string_member(args, "netdev", CC_GUEST_NETDEV);
	json_object_set_string_member(args, "queue", "rx");
	json_object_set_string_member(args, "indev", CC_NETPASS_CHARDEV);
	cc_migration_call(self, self->dest, "object-add", args, "netpass: destination redirector",
			  cc_migration_netpass_source_chardev);
}

static void
cc_migration_netpass_setup(CcMigration *self)
{
	const CcCaps *src = cc_qemu_get_caps(self->source);
	const CcCaps *dst = cc_qemu_get_caps(self->dest);
	g_autoptr(JsonObject) args = NULL;
	JsonObject *detail;

	if (src->enable_when_stopped && dst->enable_when_stopped) {
		if (self->guest_net) {
			args = cc_migration_chardev_args(self->netpass_path, TRUE);
			cc_migration_call(self, self->dest, "chardev-add", args,
					  "netpass: destination chardev",
					  cc_migration_netpass_dest_filter);
			return;
		}
		g_free(self->netpass);
		self->netpass = g_strdup("not-needed");
		cc_migration_prepare_dest(self);
		return;
	}
	if (self->policy.require_netpass) {
		cc_migration_fail_literal(self, CC_MIGRATION_FAILED, COLO_ERROR_UNSUPPORTED,
					  "the policy requires netpass, but filter-redirector "
					  "lacks enable_when_stopped "
					  "on the %s (QEMU %s)",
					  src->enable_when_stopped ? "destination" : "source",
					  src->enable_when_stopped ? dst->version : src->version);
		return;
	}
	detail = json_object_new();
	json_object_set_string_member(detail, "netpass", "unavailable");
	json_object_set_string_member(detail, "reason",
				      "filter-redirector has no enable_when_stopped: packets that "
				      "arrive during the stop phase are dropped");
	cc_migration_emit(self, "migration-netpass", detail);
	cc_migration_prepare_dest(self);
}

static void
cc_migration_machine_cb(CcMigration *self, JsonNode *ret)
{
	const gchar *src_machine = g_object_get_data(G_OBJECT(self), "cc-src-machine");
	const gchar *dst_machine = JSON_NODE_HOLDS_VALUE(ret) ? json_node_get_string(ret) : NULL;

	if (g_strcmp0(src_machine, dst_machine) != 0) {
		cc_migration_fail_literal(self, CC_MIGRATION_FAILED, COLO_ERROR_UNSUPPORTED,
					  "machine type mismatch: source %s, destination %s",
					  src_machine, dst_machine != NULL ? dst_machine : "?");
		return;
	}
	cc_migration_netpass_setup(self);
}

static void
cc_migration_src_machine_cb(CcMigration *self, JsonNode *ret)
{
	g_autoptr(JsonObject) args = json_object_new();
	g_object_set_data_full(
		G_OBJECT(self), "cc-src-machine",
		JSON_NODE_HOLDS_VALUE(ret) ? g_strdup(json_node_get_string(ret)) : NULL, g_free);
	json_object_set_string_member(args, "path", "/machine");
	json_object_set_string_member(args, "property", "type");
	cc_migration_call(self, self->dest, "qom-get", args, "destination: machine type",
			  cc_migration_machine_cb);
}

/* same QEMU and same machine type on both sides, or nothing starts */
static void
cc_migration_check_match(CcMigration *self)
{
	const CcCaps *src = cc_qemu_get_caps(self->source);
	const CcCaps *dst = cc_qemu_get_caps(self->dest);
	g_autoptr(JsonObject) args = json_object_new();

	if (src == NULL || dst == NULL || g_strcmp0(src->version, dst->version) != 0) {
		cc_migration_fail_literal(self, CC_MIGRATION_FAILED, COLO_ERROR_UNSUPPORTED,
					  "QEMU version mismatch: source %s, destination %s",
					  src != NULL ? src->version : "?",
					  dst != NULL ? dst->version : "?");
		return;
	}
	json_object_set_string_member(args, "path", "/machine");
	json_object_set_string_member(args, "property", "type");
	cc_migration_call(self, self->source, "qom-get", args, "source: machine type",
			  cc_migration_src_machine_cb);
}

static void
cc_migration_dest_launched_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(CcMigration) self = CC_MIGRATION(user_data);
	g_autoptr(GError) error = NULL;

	if (!cc_qemu_launch_finish(CC_QEMU(source), res, &error)) {
		g_prefix_error(&error, "destination: ");
		cc_migration_fail(self, CC_MIGRATION_FAILED, g_steal_pointer(&error));
		return;
	}
	if (cc_migration_done(self))
		return;
	cc_migration_check_match(self);
}

void
cc_migration_run_async(CcMigration *self, const gchar *const *dest_argv,
		       GAsyncReadyCallback callback, gpointer user_data)
{
	g_return_if_fail(CC_IS_MIGRATION(self));
	g_return_if_fail(self->task == NULL);

	self->task = g_task_new(self, NULL, callback, user_data);
	self->state = CC_MIGRATION_SETUP;
	self->guest_net = g_strv_contains(dest_argv, "-netdev");
	self->source_event_id = g_signal_connect(self->source, "event",
						 G_CALLBACK(cc_migration_source_event_cb), self);
	g_signal_connect(self->source, "qmp-event", G_CALLBACK(cc_migration_source_qmp_event_cb),
			 self);
	self->dest_event_id =
		g_signal_connect(self->dest, "event", G_CALLBACK(cc_migration_dest_event_cb), self);
	cc_migration_emit(self, "migration-setup", NULL);
	cc_qemu_launch_async(self->dest, dest_argv, NULL, cc_migration_dest_launched_cb,
			     g_object_ref(self));
}

gboolean
cc_migration_run_finish(CcMigration *self, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(res, self), FALSE);
	return g_task_propagate_boolean(G_TASK(res), error);
}

void
cc_migration_cancel(CcMigration *self, const gchar *reason)
{
	JsonObject *detail;

	if (cc_migration_done(self) || self->task == NULL)
		return;
	if (self->cancel_reason == NULL)
		self->cancel_reason = g_strdup(reason);
	detail = json_object_new();
	json_object_set_string_member(detail, "reason", reason);
	cc_migration_emit(self, "migration-cancel", detail);
	if (self->state == CC_MIGRATION_SETUP) {
		cc_migration_fail_literal(self, CC_MIGRATION_CANCELLED, COLO_ERROR_CANCELLED, "%s",
					  reason);
		return;
	}
	/* the sampler sees "cancelled" and cleans up; a source that never answers is
	 * caught by the dead-transfer verdict or the member's own deadline */
	cc_qemu_execute_async(self->source, "migrate_cancel", NULL, CC_QMP_FLAG_NONE, 0, NULL,
			      NULL);
}

JsonObject *
cc_migration_dup_result(CcMigration *self)
{
	JsonObject *obj = json_object_new();
	json_object_set_string_member(obj, "state", cc_migration_state_to_string(self->state));
	json_object_set_string_member(obj, "netpass", self->netpass);
	json_object_set_object_member(
		obj, "progress",
		cc_progress_report_to_json(cc_progress_get_report(self->progress)));
	if (self->final_reply != NULL)
		json_object_set_object_member(obj, "final", json_object_ref(self->final_reply));
	json_object_set_int_member(obj, "downtime_limit_ms", self->downtime_ms);
	return obj;
}

gint64
cc_migration_get_id(CcMigration *self)
{
	return self->id;
}

CcMigrationState
cc_migration_get_state(CcMigration *self)
{
	return self->state;
}

CcQemu *
cc_migration_get_dest(CcMigration *self)
{
	return self->dest;
}

const gchar *
cc_migration_get_netpass(CcMigration *self)
{
	return self->netpass;
}

CcProgress *
cc_migration_get_progress(CcMigration *self)
{
	return self->progress;
}

void
cc_migration_policy_free(CcMigrationPolicy *policy)
{
	if (policy == NULL)
		return;
	g_free(policy->name);
	g_free(policy);
}

CcMigration *
cc_migration_new(gint64 id, CcQemu *source, CcQemu *dest, const CcMigrationParams *params)
{
	CcMigration *self = g_object_new(CC_TYPE_MIGRATION, NULL);
	CcProgressConfig pc = {0};

	self->id = id;
	self->source = g_object_ref(source);
	self->dest = g_object_ref(dest);
	self->params = *params;
	if (self->params.sample_ms == 0)
		self->params.sample_ms = 250;
	if (self->params.dead_after_s == 0)
		self->params.dead_after_s = 10;
	if (params->policy != NULL) {
		self->policy = *params->policy;
		self->policy.name = NULL;
		self->has_policy = TRUE;
	}
	self->params.policy = NULL;
	self->address = g_strdup(params->address);
	self->params.address = NULL;
	self->downtime_ms = params->max_downtime_ms > 0 ? params->max_downtime_ms : 300;
	self->netpass = g_strdup("unavailable");
	self->netpass_path = g_strdup_printf("%s/migration-%" G_GINT64_FORMAT ".netpass",
					     params->runtime_dir, id);
	self->params.runtime_dir = NULL;
	cc_progress_config_init(&pc);
	pc.dead_transfer_s = self->params.dead_after_s;
	pc.sample_interval_ms = self->params.sample_ms;
	pc.downtime_limit_ms = self->downtime_ms;
	self->progress = cc_progress_new(&pc);
	return self;
}

static void
cc_migration_init(CcMigration *self)
{
}

static void
cc_migration_dispose(GObject *object)
{
	CcMigration *self = CC_MIGRATION(object);
	cc_migration_stop_sampler(self);
	if (self->source != NULL)
		g_signal_handlers_disconnect_by_data(self->source, self);
	if (self->dest != NULL)
		g_signal_handlers_disconnect_by_data(self->dest, self);
	g_clear_object(&self->source);
	g_clear_object(&self->dest);
	G_OBJECT_CLASS(cc_migration_parent_class)->dispose(object);
}

static void
cc_migration_finalize(GObject *object)
{
	CcMigration *self = CC_MIGRATION(object);
	g_clear_pointer(&self->progress, cc_progress_free);
	g_clear_pointer(&self->final_reply, json_object_unref);
	g_free(self->address);
	g_free(self->netpass);
	g_free(self->netpass_path);
	g_free(self->cancel_reason);
	G_OBJECT_CLASS(cc_migration_parent_class)->finalize(object);
}

static void
cc_migration_class_init(CcMigrationClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->dispose = cc_migration_dispose;
	object_class->finalize = cc_migration_finalize;
	signals[SIGNAL_EVENT] =
		g_signal_new("event", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
			     NULL, G_TYPE_NONE, 2, G_TYPE_STRING, JSON_TYPE_OBJECT);
	/* t_us since the start, the query-migrate reply, the progress report */
	signals[SIGNAL_SAMPLE] = g_signal_new("sample", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST,
					      0, NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_INT64,
					      JSON_TYPE_OBJECT, JSON_TYPE_OBJECT);
}
