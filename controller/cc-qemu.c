/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "CcQemu"

#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include "cc-qemu.h"
#include "colo-error.h"

typedef enum {
	CC_LADDER_IDLE,
	CC_LADDER_QUIT,
	CC_LADDER_WAIT,
	CC_LADDER_TERM,
	CC_LADDER_KILL,
	CC_LADDER_STUCK,
} CcLadderStep;

struct _CcQemu {
	GObject parent_instance;
	CcBackend *backend;
	gchar *name;
	gchar *runtime_dir;
	gchar *qmp_path;
	gchar *log_path;
	gchar *netns;
	gchar *tap_bridge;
	CcQemuTimeouts timeouts;
	CcQemuState state;
	guint generation;
	CcProcess *process;
	CcQmp *qmp;
	CcCaps *caps;
	gboolean unresponsive;
	/* stop ladder */
	CcLadderStep step;
	GSource *step_timer;
	gint64 ladder_start_us;
	gint64 step_start_us;
	GPtrArray *stop_tasks; /* of GTask */
};

enum { SIGNAL_EVENT, SIGNAL_QMP_EVENT, SIGNAL_LAST };
static guint signals[SIGNAL_LAST] = {0};

G_DEFINE_TYPE(CcQemu, cc_qemu, G_TYPE_OBJECT)

/* one in-flight operation, bound to the generation it was started for */
typedef struct {
	CcQemu *self;
	guint generation;
	GTask *task;
	guint probes_left;
	guint attempts;
	GError *probe_error;
	gint64 start_us;
} CcQemuOp;

static CcQemuOp *
cc_qemu_op_new(CcQemu *self, GTask *task)
{
	CcQemuOp *op = g_new0(CcQemuOp, 1);
	op->self = g_object_ref(self);
	op->generation = self->generation;
	op->task = task != NULL ? g_object_ref(task) : NULL;
	op->start_us = g_get_monotonic_time();
	return op;
}

static void
cc_qemu_op_free(CcQemuOp *op)
{
	g_object_unref(op->self);
	g_clear_object(&op->task);
	g_clear_error(&op->probe_error);
	g_free(op);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CcQemuOp, cc_qemu_op_free)

static gboolean
cc_qemu_op_is_stale(CcQemuOp *op)
{
	return op->generation != op->self->generation;
}

static void cc_qemu_ladder_process_exited(CcQemu *self);

const gchar *
cc_qemu_state_to_string(CcQemuState state)
{
	switch (state) {
	case CC_QEMU_STATE_NEW:
		return "new";
	case CC_QEMU_STATE_STARTING:
		return "starting";
	case CC_QEMU_STATE_RUNNING:
		return "running";
	case CC_QEMU_STATE_STOPPING:
		return "stopping";
	case CC_QEMU_STATE_STOPPED:
		return "stopped";
	case CC_QEMU_STATE_FAILED:
		return "failed";
	case CC_QEMU_STATE_STUCK:
		return "stuck";
	}
	return "unknown";
}

static const gchar *
cc_qemu_step_to_string(CcLadderStep step)
{
	switch (step) {
	case CC_LADDER_IDLE:
		return "idle";
	case CC_LADDER_QUIT:
		return "quit";
	case CC_LADDER_WAIT:
		return "wait-exit";
	case CC_LADDER_TERM:
		return "sigterm";
	case CC_LADDER_KILL:
		return "sigkill";
	case CC_LADDER_STUCK:
		return "stuck";
	}
	return "unknown";
}

/* emits CcQemu::event; @detail may be NULL and is consumed */
static void
cc_qemu_emit(CcQemu *self, const gchar *kind, JsonObject *detail)
{
	g_autoptr(JsonObject) obj = detail != NULL ? detail : json_object_new();
	json_object_set_string_member(obj, "member", self->name);
	json_object_set_int_member(obj, "generation", self->generation);
	if (self->process != NULL)
		json_object_set_int_member(obj, "pid", cc_process_get_pid(self->process));
	g_debug("%s: %s", self->name, kind);
	g_signal_emit(self, signals[SIGNAL_EVENT], 0, kind, obj);
}

static void
cc_qemu_set_state(CcQemu *self, CcQemuState state)
{
	JsonObject *detail;
	if (self->state == state)
		return;
	detail = json_object_new();
	json_object_set_string_member(detail, "from", cc_qemu_state_to_string(self->state));
	json_object_set_string_member(detail, "to", cc_qemu_state_to_string(state));
	self->state = state;
	cc_qemu_emit(self, "state", detail);
}

/* the last non-empty line QEMU wrote to its log, to explain an early exit */
static gchar *
cc_qemu_log_tail(CcQemu *self)
{
	g_autofree gchar *buf = NULL;
	gsize len = 0;
	g_auto(GStrv) lines = NULL;

	if (self->log_path == NULL || !g_file_get_contents(self->log_path, &buf, &len, NULL))
		return NULL;
	lines = g_strsplit(buf, "\n", -1);
	for (gint i = (gint)g_strv_length(lines) - 1; i >= 0; i--) {
		g_strstrip(lines[i]);
		if (lines[i][0] != '\0' && !g_str_has_prefix(lines[i], "# coloctld "))
			return g_strdup(lines[i]);
	}
	return NULL;
}

static void
cc_qemu_drop_qmp(CcQemu *self)
{
	if (self->qmp == NULL)
		return;
	g_signal_handlers_disconnect_by_data(self->qmp, self);
	cc_qmp_close(self->qmp, NULL);
	g_clear_object(&self->qmp);
}

static void
cc_qemu_drop_process(CcQemu *self)
{
	if (self->process == NULL)
		return;
	g_signal_handlers_disconnect_by_data(self->process, self);
	g_clear_object(&self->process);
}

static void
cc_qemu_qmp_event_cb(CcQmp *qmp, const gchar *name, JsonObject *data, gint64 ts, gpointer user_data)
{
	CcQemu *self = CC_QEMU(user_data);
	if (g_strcmp0(name, "SHUTDOWN") == 0) {
		JsonObject *detail = json_object_new();
		if (data != NULL)
			json_object_set_object_member(detail, "data", json_object_ref(data));
		cc_qemu_emit(self, "qmp-shutdown", detail);
	}
	g_signal_emit(self, signals[SIGNAL_QMP_EVENT], 0, name, data, self->generation);
}

static void
cc_qemu_qmp_closed_cb(CcQmp *qmp, const GError *reason, gpointer user_data)
{
	CcQemu *self = CC_QEMU(user_data);
	JsonObject *detail = json_object_new();
	json_object_set_string_member(detail, "reason",
				      reason != NULL ? reason->message : "closed");
	if (reason != NULL && reason->domain == COLO_ERROR)
		json_object_set_string_member(detail, "code",
					      colo_error_code_to_string(reason->code));
	cc_qemu_emit(self, "qmp-closed", detail);
}

static void
cc_qemu_process_exited_cb(CcProcess *process, gint wait_status, gpointer user_data)
{
	CcQemu *self = CC_QEMU(user_data);
	g_autofree gchar *how = cc_process_describe_exit(process);
	JsonObject *detail = json_object_new();

	json_object_set_string_member(detail, "status", how);
	cc_qemu_emit(self, "exited", detail);
	cc_qemu_drop_qmp(self);
	if (self->step != CC_LADDER_IDLE) {
		cc_qemu_ladder_process_exited(self);
		return;
	}
	if (self->state == CC_QEMU_STATE_STARTING)
		return; /* the launch operation reports it */
	if (WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0)
		cc_qemu_set_state(self, CC_QEMU_STATE_STOPPED);
	else
		cc_qemu_set_state(self, CC_QEMU_STATE_FAILED);
}

/* ---------------------------------------------------------------- execute */

static void
cc_qemu_execute_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(CcQemuOp) op = user_data;
	CcQemu *self = op->self;
	g_autoptr(GError) error = NULL;
	JsonNode *ret = cc_qmp_execute_finish(CC_QMP(source), res, &error);

	if (cc_qemu_op_is_stale(op)) {
		if (ret != NULL)
			json_node_unref(ret);
		g_task_return_new_error(op->task, COLO_ERROR, COLO_ERROR_CANCELLED,
					"member %s was relaunched", self->name);
		return;
	}
	if (g_error_matches(error, COLO_ERROR, COLO_ERROR_TIMEOUT)) {
		JsonObject *detail = json_object_new();
		json_object_set_string_member(detail, "command", g_task_get_task_data(op->task));
		json_object_set_string_member(detail, "reason", error->message);
		if (!self->unresponsive) {
			self->unresponsive = TRUE;
			cc_qemu_emit(self, "unresponsive", detail);
		} else {
			json_object_unref(detail);
		}
	} else if (self->unresponsive &&
		   (ret != NULL || g_error_matches(error, COLO_ERROR, COLO_ERROR_QMP_ERROR))) {
		self->unresponsive = FALSE;
		cc_qemu_emit(self, "responsive", NULL);
	}
	if (ret == NULL) {
		g_task_return_error(op->task, g_steal_pointer(&error));
		return;
	}
	g_task_return_pointer(op->task, ret, (GDestroyNotify)json_node_unref);
}

void
cc_qemu_execute_async(CcQemu *self, const gchar *command, JsonObject *arguments, CcQmpFlags flags,
		      guint timeout_ms, GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(self, NULL, callback, user_data);

	g_return_if_fail(CC_IS_QEMU(self));
	g_task_set_source_tag(task, cc_qemu_execute_async);
	g_task_set_task_data(task, g_strdup(command), g_free);
	if (self->qmp == NULL) {
		g_task_return_new_error(task, COLO_ERROR, COLO_ERROR_DISCONNECTED,
					"%s: member %s has no monitor connection", command,
					self->name);
		return;
	}
	if (timeout_ms == 0)
		timeout_ms = g_str_has_prefix(command, "query-") ? self->timeouts.query_ms
								 : self->timeouts.change_ms;
	cc_qmp_execute_async(self->qmp, command, arguments, flags, timeout_ms, cc_qemu_execute_cb,
			     cc_qemu_op_new(self, task));
}

JsonNode *
cc_qemu_execute_finish(CcQemu *self, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(res, self), NULL);
	return g_task_propagate_pointer(G_TASK(res), error);
}

/* ----------------------------------------------------------------- launch */

static gboolean
cc_qemu_kvm_openable(void)
{
	gint fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return FALSE;
	close(fd);
	return TRUE;
}

static void
cc_qemu_launch_fail(CcQemuOp *op, GError *error)
{
	CcQemu *self = op->self;
	JsonObject *detail = json_object_new();

	json_object_set_string_member(detail, "reason", error->message);
	json_object_set_string_member(detail, "code", colo_error_code_to_string(error->code));
	cc_qemu_emit(self, "launch-failed", detail);
	cc_qemu_set_state(self, CC_QEMU_STATE_FAILED);
	g_task_return_error(op->task, error);
}

typedef gboolean (*CcCapsParseFunc)(CcCaps *caps, JsonNode *ret, GError **error);

typedef struct {
	CcQemuOp *op; /* shared, freed by the last probe */
	CcCapsParseFunc parse;
} CcQemuProbe;

static void
cc_qemu_probe_done(CcQemuOp *op)
{
	CcQemu *self = op->self;
	JsonObject *detail;

	if (op->probe_error != NULL) {
		GError *error = g_steal_pointer(&op->probe_error);
		g_prefix_error(&error, "probe: ");
		cc_qemu_launch_fail(op, error);
		cc_qemu_op_free(op);
		return;
	}
	self->caps->oob = cc_qmp_get_oob(self->qmp);
	self->caps->kvm_usable = self->caps->kvm_present && cc_qemu_kvm_openable();
	detail = json_object_new();
	json_object_set_member(detail, "capabilities", cc_caps_to_json(self->caps));
	json_object_remove_member(json_object_get_object_member(detail, "capabilities"),
				  "commands");
	json_object_set_int_member(detail, "elapsed_ms",
				   (g_get_monotonic_time() - op->start_us) / 1000);
	cc_qemu_emit(self, "probed", detail);
	cc_qemu_set_state(self, CC_QEMU_STATE_RUNNING);
	g_task_return_boolean(op->task, TRUE);
	cc_qemu_op_free(op);
}

static void
cc_qemu_probe_reply_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	CcQemuProbe *probe = user_data;
	CcQemuOp *op = probe->op;
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) ret = cc_qemu_execute_finish(CC_QEMU(source), res, &error);

	if (ret == NULL || !probe->parse(op->self->caps, ret, &error)) {
		if (op->probe_error == NULL)
			op->probe_error = g_steal_pointer(&error);
	}
	g_free(probe);
	if (--op->probes_left > 0)
		return;
	if (cc_qemu_op_is_stale(op)) {
		g_task_return_new_error(op->task, COLO_ERROR, COLO_ERROR_CANCELLED,
					"member was relaunched during its probe");
		cc_qemu_op_free(op);
		return;
	}
	cc_qemu_probe_done(op);
}

static void
cc_qemu_probe_one(CcQemuOp *op, const gchar *command, JsonObject *args, CcCapsParseFunc parse)
{
	CcQemuProbe *probe = g_new0(CcQemuProbe, 1);
	probe->op = op;
	probe->parse = parse;
	op->probes_left++;
	cc_qemu_execute_async(op->self, command, args, CC_QMP_FLAG_NONE,
			      op->self->timeouts.query_ms, cc_qemu_probe_reply_cb, probe);
}

static void
cc_qemu_probe_start(CcQemuOp *op)
{
	g_autoptr(JsonObject) args = json_object_new();
	json_object_set_string_member(args, "typename", "filter-redirector");

	cc_caps_free(op->self->caps);
	op->self->caps = cc_caps_new();
	/* all five go out at once; QEMU answers in order, each with its own deadline */
	op->probes_left = 1; /* guard until every probe is queued */
	cc_qemu_probe_one(op, "query-version", NULL, cc_caps_parse_version);
	cc_qemu_probe_one(op, "query-qmp-schema", NULL, cc_caps_parse_schema);
	cc_qemu_probe_one(op, "qom-list-properties", args, cc_caps_parse_redirector);
	cc_qemu_probe_one(op, "query-migrate-capabilities", NULL, cc_caps_parse_migration);
	cc_qemu_probe_one(op, "query-kvm", NULL, cc_caps_parse_kvm);
	if (--op->probes_left == 0)
		cc_qemu_probe_done(op);
}

static void cc_qemu_connect_failed(CcQemuOp *op, GError *error);

static void
cc_qemu_connect_retry_cb(gpointer user_data)
{
	CcQemuOp *op = user_data;
	cc_qemu_connect_failed(op, g_steal_pointer(&op->probe_error));
}

/* takes @op and @error; explains an early QEMU exit better than the monitor can */
static void
cc_qemu_connect_failed(CcQemuOp *op, GError *error)
{
	CcQemu *self = op->self;

	if (cc_qemu_op_is_stale(op)) {
		g_error_free(error);
		g_task_return_new_error(op->task, COLO_ERROR, COLO_ERROR_CANCELLED,
					"member was relaunched while connecting");
		cc_qemu_op_free(op);
		return;
	}
	/* a zombie not reaped yet: its exit status is one main loop turn away; a refused
	 * connection or a monitor closed before its greeting is most likely a QEMU on its way
	 * out (its files close before it turns zombie), so give it the same short grace and
	 * report the exit rather than the monitor's symptom */
	if (self->process != NULL && !cc_process_get_exited(self->process) &&
	    (cc_process_get_proc_state(self->process) == 'Z' ||
	     g_error_matches(error, COLO_ERROR, COLO_ERROR_CONNECT) ||
	     g_error_matches(error, COLO_ERROR, COLO_ERROR_DISCONNECTED)) &&
	    op->attempts++ < 50) {
		op->probe_error = error;
		g_timeout_add_once(10, cc_qemu_connect_retry_cb, op);
		return;
	}
	if (self->process != NULL && cc_process_get_exited(self->process)) {
		g_autofree gchar *how = cc_process_describe_exit(self->process);
		g_autofree gchar *tail = cc_qemu_log_tail(self);
		g_error_free(error);
		error = g_error_new(COLO_ERROR, COLO_ERROR_SPAWN,
				    "member %s: QEMU %s during startup%s%s", self->name, how,
				    tail != NULL ? ": " : "", tail != NULL ? tail : "");
	} else {
		g_prefix_error(&error, "monitor: ");
	}
	cc_qemu_launch_fail(op, error);
	cc_qemu_op_free(op);
}

static void
cc_qemu_connect_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(CcQemuOp) op = user_data;
	CcQemu *self = op->self;
	g_autoptr(GError) error = NULL;
	g_autoptr(CcQmp) qmp = cc_qmp_connect_unix_finish(res, &error);
	JsonObject *detail;

	if (qmp == NULL || cc_qemu_op_is_stale(op)) {
		if (error == NULL)
			error = g_error_new_literal(COLO_ERROR, COLO_ERROR_CANCELLED, "stale");
		cc_qemu_connect_failed(g_steal_pointer(&op), g_steal_pointer(&error));
		return;
	}
	self->qmp = g_steal_pointer(&qmp);
	g_signal_connect(self->qmp, "event", G_CALLBACK(cc_qemu_qmp_event_cb), self);
	g_signal_connect(self->qmp, "closed", G_CALLBACK(cc_qemu_qmp_closed_cb), self);
	detail = json_object_new();
	json_object_set_boolean_member(detail, "oob", cc_qmp_get_oob(self->qmp));
	json_object_set_int_member(detail, "elapsed_ms",
				   (g_get_monotonic_time() - op->start_us) / 1000);
	cc_qemu_emit(self, "qmp-connected", detail);
	cc_qemu_probe_start(g_steal_pointer(&op));
}

void
cc_qemu_launch_async(CcQemu *self, const gchar *const *argv, GCancellable *cancellable,
		     GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *argv_str = NULL;
	CcLaunchSpec spec = {0};
	JsonObject *detail;

	g_return_if_fail(CC_IS_QEMU(self));
	g_task_set_source_tag(task, cc_qemu_launch_async);
	if (self->state == CC_QEMU_STATE_STARTING || self->state == CC_QEMU_STATE_RUNNING ||
	    self->state == CC_QEMU_STATE_STOPPING || self->state == CC_QEMU_STATE_STUCK) {
		g_task_return_new_error(task, COLO_ERROR, COLO_ERROR_CONFLICT, "member %s is %s",
					self->name, cc_qemu_state_to_string(self->state));
		return;
	}
	cc_qemu_drop_qmp(self);
	cc_qemu_drop_process(self);
	self->generation++;
	self->unresponsive = FALSE;
	cc_qemu_set_state(self, CC_QEMU_STATE_STARTING);

	spec.name = self->name;
	spec.argv = argv;
	spec.qmp_path = self->qmp_path;
	spec.log_path = self->log_path;
	spec.netns = self->netns;
	spec.tap_bridge = self->tap_bridge;
	self->process = cc_backend_launch(self->backend, &spec, &error);
	if (self->process == NULL) {
		g_autoptr(CcQemuOp) op = cc_qemu_op_new(self, task);
		if (error->domain != COLO_ERROR || error->code != COLO_ERROR_SPAWN) {
			GError *wrapped = g_error_new(COLO_ERROR, COLO_ERROR_SPAWN, "spawn: %s",
						      error->message);
			cc_qemu_launch_fail(op, wrapped);
			return;
		}
		cc_qemu_launch_fail(op, g_steal_pointer(&error));
		return;
	}
	g_signal_connect(self->process, "exited", G_CALLBACK(cc_qemu_process_exited_cb), self);
	argv_str = g_strjoinv(" ", (gchar **)argv);
	detail = json_object_new();
	json_object_set_string_member(detail, "argv", argv_str);
	json_object_set_string_member(detail, "qmp", self->qmp_path);
	cc_qemu_emit(self, "launched", detail);
	cc_qmp_connect_unix_async(self->qmp_path, self->timeouts.connect_ms, cancellable,
				  cc_qemu_connect_cb, cc_qemu_op_new(self, task));
}

/* after a daemon restart: adopt a running process, reconnect and reprobe it */
void
cc_qemu_attach_async(CcQemu *self, GPid pid, guint64 start_time, guint generation,
		     GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);
	g_autoptr(GError) error = NULL;
	JsonObject *detail;

	g_return_if_fail(CC_IS_QEMU(self));
	g_task_set_source_tag(task, cc_qemu_launch_async);
	if (self->process != NULL) {
		g_task_return_new_error(task, COLO_ERROR, COLO_ERROR_CONFLICT,
					"member %s already has a process", self->name);
		return;
	}
	self->generation = generation;
	cc_qemu_set_state(self, CC_QEMU_STATE_STARTING);
	self->process = cc_backend_attach(self->backend, pid, start_time, &error);
	if (self->process == NULL) {
		g_autoptr(CcQemuOp) op = cc_qemu_op_new(self, task);
		g_prefix_error(&error, "attach: ");
		cc_qemu_launch_fail(op, g_steal_pointer(&error));
		return;
	}
	g_signal_connect(self->process, "exited", G_CALLBACK(cc_qemu_process_exited_cb), self);
	detail = json_object_new();
	json_object_set_string_member(detail, "qmp", self->qmp_path);
	cc_qemu_emit(self, "attached", detail);
	cc_qmp_connect_unix_async(self->qmp_path, self->timeouts.connect_ms, cancellable,
				  cc_qemu_connect_cb, cc_qemu_op_new(self, task));
}

gboolean
cc_qemu_launch_finish(CcQemu *self, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(res, self), FALSE);
	return g_task_propagate_boolean(G_TASK(res), error);
}

/* ------------------------------------------------------------ stop ladder */

static void cc_qemu_ladder_goto(CcQemu *self, CcLadderStep step);

static void
cc_qemu_ladder_clear_timer(CcQemu *self)
{
	if (self->step_timer == NULL)
		return;
	g_source_destroy(self->step_timer);
	g_clear_pointer(&self->step_timer, g_source_unref);
}

static void
cc_qemu_ladder_complete(CcQemu *self, const GError *error)
{
	g_autoptr(GPtrArray) tasks = g_steal_pointer(&self->stop_tasks);
	self->stop_tasks = g_ptr_array_new_with_free_func(g_object_unref);
	for (guint i = 0; i < tasks->len; i++) {
		GTask *task = g_ptr_array_index(tasks, i);
		if (error != NULL)
			g_task_return_error(task, g_error_copy(error));
		else
			g_task_return_boolean(task, TRUE);
	}
}

static void
cc_qemu_ladder_process_exited(CcQemu *self)
{
	JsonObject *detail = json_object_new();
	CcLadderStep step = self->step;

	cc_qemu_ladder_clear_timer(self);
	json_object_set_string_member(detail, "step", cc_qemu_step_to_string(step));
	json_object_set_int_member(detail, "elapsed_ms",
				   (g_get_monotonic_time() - self->ladder_start_us) / 1000);
	self->step = CC_LADDER_IDLE;
	cc_qemu_emit(self, "stopped", detail);
	cc_qemu_set_state(self, CC_QEMU_STATE_STOPPED);
	cc_qemu_ladder_complete(self, NULL);
}

static gboolean
cc_qemu_ladder_timer_cb(gpointer user_data)
{
	CcQemu *self = CC_QEMU(user_data);
	JsonObject *detail = json_object_new();

	g_clear_pointer(&self->step_timer, g_source_unref);
	json_object_set_string_member(detail, "step", cc_qemu_step_to_string(self->step));
	json_object_set_int_member(detail, "waited_ms",
				   (g_get_monotonic_time() - self->step_start_us) / 1000);
	cc_qemu_emit(self, "stop-deadline", detail);
	switch (self->step) {
	case CC_LADDER_QUIT:
		cc_qemu_ladder_goto(self, CC_LADDER_WAIT);
		break;
	case CC_LADDER_WAIT:
		cc_qemu_ladder_goto(self, CC_LADDER_TERM);
		break;
	case CC_LADDER_TERM:
		cc_qemu_ladder_goto(self, CC_LADDER_KILL);
		break;
	case CC_LADDER_KILL:
		cc_qemu_ladder_goto(self, CC_LADDER_STUCK);
		break;
	default:
		break;
	}
	return G_SOURCE_REMOVE;
}

static void
cc_qemu_ladder_arm(CcQemu *self, guint timeout_ms)
{
	cc_qemu_ladder_clear_timer(self);
	self->step_timer = g_timeout_source_new(timeout_ms);
	g_source_set_callback(self->step_timer, cc_qemu_ladder_timer_cb, self, NULL);
	g_source_attach(self->step_timer, g_main_context_get_thread_default());
}

static void
cc_qemu_ladder_quit_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(CcQemuOp) op = user_data;
	CcQemu *self = op->self;
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) ret = cc_qemu_execute_finish(self, res, &error);
	JsonObject *detail;

	if (cc_qemu_op_is_stale(op) || self->step != CC_LADDER_QUIT)
		return;
	detail = json_object_new();
	json_object_set_string_member(detail, "result",
				      ret != NULL ? "acknowledged" : error->message);
	cc_qemu_emit(self, "quit-reply", detail);
	/* acknowledged, refused or timed out: the next step is waiting for the exit */
	cc_qemu_ladder_goto(self, CC_LADDER_WAIT);
}

static void
cc_qemu_ladder_stuck(CcQemu *self)
{
	g_autoptr(GError) error = NULL;
	JsonObject *detail = json_object_new();
	gchar state = cc_process_get_proc_state(self->process);
	gchar state_str[2] = {state, '\0'};

	json_object_set_string_member(detail, "proc_state", state_str);
	json_object_set_int_member(detail, "elapsed_ms",
				   (g_get_monotonic_time() - self->ladder_start_us) / 1000);
	cc_qemu_emit(self, "stuck", detail);
	/* keep watching: if the process ever exits, process_exited_cb moves us to stopped */
	self->step = CC_LADDER_IDLE;
	cc_qemu_set_state(self, CC_QEMU_STATE_STUCK);
	error = g_error_new(COLO_ERROR, COLO_ERROR_STUCK,
			    "%s (pid %d) survived SIGKILL for %u ms, process state %c; "
			    "its resources stay quarantined",
			    self->name, (gint)cc_process_get_pid(self->process),
			    self->timeouts.kill_ms, state);
	cc_qemu_ladder_complete(self, error);
}

static void
cc_qemu_ladder_signal(CcQemu *self, gint signo)
{
	g_autoptr(GError) error_local = NULL;
	if (!cc_process_kill(self->process, signo, &error_local))
		g_warning("%s: %s", self->name, error_local->message);
}

static void
cc_qemu_ladder_goto(CcQemu *self, CcLadderStep step)
{
	JsonObject *detail;
	guint deadline = 0;

	self->step = step;
	self->step_start_us = g_get_monotonic_time();
	switch (step) {
	case CC_LADDER_QUIT:
		deadline = self->timeouts.quit_ms;
		break;
	case CC_LADDER_WAIT:
		deadline = self->timeouts.exit_ms;
		break;
	case CC_LADDER_TERM:
		deadline = self->timeouts.term_ms;
		break;
	case CC_LADDER_KILL:
		deadline = self->timeouts.kill_ms;
		break;
	case CC_LADDER_STUCK:
		cc_qemu_ladder_stuck(self);
		return;
	default:
		return;
	}
	detail = json_object_new();
	json_object_set_string_member(detail, "step", cc_qemu_step_to_string(step));
	json_object_set_int_member(detail, "deadline_ms", deadline);
	cc_qemu_emit(self, "stop-step", detail);
	cc_qemu_ladder_arm(self, deadline);
	switch (step) {
	case CC_LADDER_QUIT:
		if (self->qmp == NULL || cc_qmp_get_state(self->qmp) != CC_QMP_STATE_READY) {
			cc_qemu_ladder_goto(self, CC_LADDER_WAIT);
			return;
		}
		cc_qemu_execute_async(self, "quit", NULL, CC_QMP_FLAG_NONE, self->timeouts.quit_ms,
				      cc_qemu_ladder_quit_cb, cc_qemu_op_new(self, NULL));
		break;
	case CC_LADDER_TERM:
		cc_qemu_ladder_signal(self, SIGTERM);
		break;
	case CC_LADDER_KILL:
		cc_qemu_ladder_signal(self, SIGKILL);
		break;
	default:
		break;
	}
}

void
cc_qemu_stop_async(CcQemu *self, GAsyncReadyCallback callback, gpointer user_data)
{
	cc_qemu_stop_full_async(self, FALSE, callback, user_data);
}

/* @force: skip quit and SIGTERM, start the ladder at SIGKILL (like virsh destroy) */
void
cc_qemu_stop_full_async(CcQemu *self, gboolean force, GAsyncReadyCallback callback,
			gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(self, NULL, callback, user_data);

	g_return_if_fail(CC_IS_QEMU(self));
	g_task_set_source_tag(task, cc_qemu_stop_full_async);
	if (self->process == NULL || cc_process_get_exited(self->process)) {
		cc_qemu_drop_qmp(self);
		if (self->state != CC_QEMU_STATE_NEW)
			cc_qemu_set_state(self, CC_QEMU_STATE_STOPPED);
		g_task_return_boolean(task, TRUE);
		return;
	}
	g_ptr_array_add(self->stop_tasks, g_steal_pointer(&task));
	if (self->step != CC_LADDER_IDLE)
		return; /* already climbing: this caller waits for the same end */
	if (self->state == CC_QEMU_STATE_STUCK) {
		/* a stuck process gets SIGKILL again, then the same deadline */
		self->ladder_start_us = g_get_monotonic_time();
		cc_qemu_ladder_goto(self, CC_LADDER_KILL);
		return;
	}
	self->ladder_start_us = g_get_monotonic_time();
	cc_qemu_set_state(self, CC_QEMU_STATE_STOPPING);
	cc_qemu_ladder_goto(self, force ? CC_LADDER_KILL : CC_LADDER_QUIT);
}

gboolean
cc_qemu_stop_finish(CcQemu *self, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(res, self), FALSE);
	return g_task_propagate_boolean(G_TASK(res), error);
}

/* --------------------------------------------------------------- getters */

void
cc_qemu_timeouts_init(CcQemuTimeouts *t)
{
	t->connect_ms = 5000;
	t->query_ms = 5000;
	t->change_ms = 10000;
	t->quit_ms = 10000;
	t->exit_ms = 5000;
	t->term_ms = 5000;
	t->kill_ms = 5000;
}

void
cc_qemu_set_timeouts(CcQemu *self, const CcQemuTimeouts *timeouts)
{
	self->timeouts = *timeouts;
}

const CcQemuTimeouts *
cc_qemu_get_timeouts(CcQemu *self)
{
	return &self->timeouts;
}

/* the member's network: a tap on @bridge, handed over as CC_BACKEND_TAP_FD */
void
cc_qemu_set_tap_bridge(CcQemu *self, const gchar *bridge)
{
	g_free(self->tap_bridge);
	self->tap_bridge = g_strdup(bridge);
}

void
cc_qemu_set_netns(CcQemu *self, const gchar *netns)
{
	g_free(self->netns);
	self->netns = g_strdup(netns);
}

const gchar *
cc_qemu_get_name(CcQemu *self)
{
	return self->name;
}

CcQemuState
cc_qemu_get_state(CcQemu *self)
{
	return self->state;
}

guint
cc_qemu_get_generation(CcQemu *self)
{
	return self->generation;
}

GPid
cc_qemu_get_pid(CcQemu *self)
{
	return self->process != NULL ? cc_process_get_pid(self->process) : 0;
}

CcProcess *
cc_qemu_get_process(CcQemu *self)
{
	return self->process;
}

const CcCaps *
cc_qemu_get_caps(CcQemu *self)
{
	return self->caps;
}

const gchar *
cc_qemu_get_qmp_path(CcQemu *self)
{
	return self->qmp_path;
}

const gchar *
cc_qemu_get_netns(CcQemu *self)
{
	return self->netns;
}

const gchar *
cc_qemu_get_log_path(CcQemu *self)
{
	return self->log_path;
}

gboolean
cc_qemu_get_unresponsive(CcQemu *self)
{
	return self->unresponsive;
}

CcQemu *
cc_qemu_new(CcBackend *backend, const gchar *name, const gchar *runtime_dir)
{
	CcQemu *self = g_object_new(CC_TYPE_QEMU, NULL);
	g_autofree gchar *qmp_name = g_strdup_printf("%s.qmp", name);
	g_autofree gchar *log_name = g_strdup_printf("%s.log", name);

	self->backend = g_object_ref(backend);
	self->name = g_strdup(name);
	self->runtime_dir = g_strdup(runtime_dir);
	self->qmp_path = g_build_filename(runtime_dir, qmp_name, NULL);
	self->log_path = g_build_filename(runtime_dir, log_name, NULL);
	return self;
}

static void
cc_qemu_init(CcQemu *self)
{
	cc_qemu_timeouts_init(&self->timeouts);
	self->stop_tasks = g_ptr_array_new_with_free_func(g_object_unref);
}

static void
cc_qemu_dispose(GObject *object)
{
	CcQemu *self = CC_QEMU(object);
	cc_qemu_ladder_clear_timer(self);
	cc_qemu_drop_qmp(self);
	cc_qemu_drop_process(self);
	G_OBJECT_CLASS(cc_qemu_parent_class)->dispose(object);
}

static void
cc_qemu_finalize(GObject *object)
{
	CcQemu *self = CC_QEMU(object);
	g_ptr_array_unref(self->stop_tasks);
	cc_caps_free(self->caps);
	g_clear_object(&self->backend);
	g_free(self->name);
	g_free(self->runtime_dir);
	g_free(self->qmp_path);
	g_free(self->log_path);
	g_free(self->netns);
	g_free(self->tap_bridge);
	G_OBJECT_CLASS(cc_qemu_parent_class)->finalize(object);
}

static void
cc_qemu_class_init(CcQemuClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->dispose = cc_qemu_dispose;
	object_class->finalize = cc_qemu_finalize;

	/**
	 * CcQemu::event:
	 * @kind: launched, qmp-connected, probed, launch-failed, state, unresponsive,
	 *   responsive, qmp-shutdown, qmp-closed, exited, stop-step, quit-reply,
	 *   stop-deadline, stopped, stuck
	 * @detail: a JSON object; always has member, generation and (once spawned) pid
	 */
	signals[SIGNAL_EVENT] =
		g_signal_new("event", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
			     NULL, G_TYPE_NONE, 2, G_TYPE_STRING, JSON_TYPE_OBJECT);
	/**
	 * CcQemu::qmp-event:
	 * @name: the QMP event name
	 * @data: (nullable): its data
	 * @generation: the member generation that produced it
	 */
	signals[SIGNAL_QMP_EVENT] = g_signal_new(
		"qmp-event", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
		G_TYPE_NONE, 3, G_TYPE_STRING, JSON_TYPE_OBJECT, G_TYPE_UINT);
}
