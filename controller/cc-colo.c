/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define _GNU_SOURCE
#define G_LOG_DOMAIN "CcColo"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cc-colo.h"
#include "colo-error.h"

enum { P, S }; /* primary, secondary: indexes of per-member state */

typedef struct {
	gboolean inflight;
	gint64 sent_us;
	gint64 last_reply_us;
	gchar *status; /* query-status */
	gchar *mode;   /* query-colo-status */
} CcColoHealth;

struct _CcColo {
	GObject parent_instance;
	gchar *guest;
	CcQemu *member[2];
	CcPairSpec spec;
	GPtrArray *strings; /* owns the spec's strings */
	guint64 disk_size;
	CcColoParams params;
	CcColoState state;
	GStrv secondary_argv;
	CcProgress *progress;
	gint64 sync_start_us;
	gint64 sync_done;  /* bytes: mirror offset, or RAM transferred */
	gint64 sync_total; /* bytes */
	JsonObject *migration_report;
	GSource *sampler;
	gboolean sampling;
	GSource *watchdog;
	GSource *deadline;
	CcColoHealth health[2];
	gboolean in_checkpoint;
	gint64 checkpoint_since_us;
	guint checkpoints;
	gint64 protected_us;
	JsonObject *last_failover;
	/* the failover in progress */
	gint lost;
	gchar *cause;
	gint64 cause_us;
	gint64 fenced_us;
	gint64 seq_done_us;
	JsonArray *steps;
	gboolean cont_sent;
	guint status_polls;
	guint ticks;
	guint running_checks;
	gboolean migration_started;
	gchar *pending_cause;
	JsonObject *exit_detail; /* a secondary's COLO_EXIT, while the primary is asked */
	gboolean mirror_ready;   /* the resync reached BLOCK_JOB_READY */
	gchar *lost_cause;       /* a member lost while syncing, ended at the next sample */
	GError *abort_error;     /* why a protect is being undone */
	/* the replication link probe */
	GSocket *probe;
	GSource *probe_source;
	gint64 probe_started_us;
	gint64 probe_last_us;
	guint probe_failures;
	gchar *probe_error;
};

enum { SIGNAL_EVENT, SIGNAL_FINISHED, SIGNAL_LAST };
static guint signals[SIGNAL_LAST] = {0};

G_DEFINE_TYPE(CcColo, cc_colo, G_TYPE_OBJECT)

static const gchar *const cc_colo_roles[] = {"primary", "secondary"};

const gchar *
cc_colo_state_to_string(CcColoState state)
{
	switch (state) {
	case CC_COLO_PREPARING:
		return "preparing";
	case CC_COLO_SYNC_DISK:
		return "syncing-disk";
	case CC_COLO_SYNC_RAM:
		return "syncing-ram";
	case CC_COLO_PROTECTED:
		return "protected";
	case CC_COLO_FAILOVER:
		return "failing-over";
	case CC_COLO_FINISHED:
		return "finished";
	}
	return "unknown";
}

static void
cc_colo_emit(CcColo *self, const gchar *kind, JsonObject *detail)
{
	g_autoptr(JsonObject) obj = detail != NULL ? detail : json_object_new();
	g_signal_emit(self, signals[SIGNAL_EVENT], 0, kind, obj);
}

static gint
cc_colo_index(CcColo *self, CcQemu *member)
{
	return member == self->member[P] ? P : S;
}

static void
cc_colo_probe_reset(CcColo *self)
{
	if (self->probe_source != NULL) {
		g_source_destroy(self->probe_source);
		g_clear_pointer(&self->probe_source, g_source_unref);
	}
	if (self->probe != NULL) {
		g_socket_close(self->probe, NULL);
		g_clear_object(&self->probe);
	}
}

static void
cc_colo_stop_timers(CcColo *self)
{
	cc_colo_probe_reset(self);
	if (self->sampler != NULL) {
		g_source_destroy(self->sampler);
		g_clear_pointer(&self->sampler, g_source_unref);
	}
	if (self->watchdog != NULL) {
		g_source_destroy(self->watchdog);
		g_clear_pointer(&self->watchdog, g_source_unref);
	}
	if (self->deadline != NULL) {
		g_source_destroy(self->deadline);
		g_clear_pointer(&self->deadline, g_source_unref);
	}
}

static GSource *
cc_colo_timeout(CcColo *self, guint ms, GSourceFunc func)
{
	GSource *src = g_timeout_source_new(ms);
	g_source_set_callback(src, func, self, NULL);
	g_source_attach(src, g_main_context_get_thread_default());
	return src;
}

static void
cc_colo_disconnect(CcColo *self)
{
	for (guint i = 0; i < 2; i++) {
		if (self->member[i] != NULL)
			g_signal_handlers_disconnect_by_data(self->member[i], self);
	}
}

/* the one way out: @survivor may be NULL when nothing is left */
static void
cc_colo_finish(CcColo *self, CcQemu *survivor, JsonObject *detail)
{
	g_autoptr(JsonObject) d = detail != NULL ? detail : json_object_new();
	if (self->state == CC_COLO_FINISHED)
		return;
	self->state = CC_COLO_FINISHED;
	cc_colo_stop_timers(self);
	cc_colo_disconnect(self);
	g_signal_emit(self, signals[SIGNAL_FINISHED], 0, survivor, d);
}

/* ------------------------------------------------------------- sequences */

typedef void (*CcColoNext)(CcColo *self, GError *error);

typedef struct {
	CcColo *self;
	CcQemu *member;
	GPtrArray *seq;
	guint i;
	gint64 step_us;
	CcColoNext next;
	JsonArray *log; /* nullable: every step's time and outcome */
} CcColoSeq;

static void cc_colo_seq_step(CcColoSeq *s);

static void
cc_colo_seq_free(CcColoSeq *s)
{
	g_object_unref(s->self);
	g_object_unref(s->member);
	g_ptr_array_unref(s->seq);
	if (s->log != NULL)
		json_array_unref(s->log);
	g_free(s);
}

static void
cc_colo_seq_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	CcColoSeq *s = user_data;
	CcQmpStep *step = g_ptr_array_index(s->seq, s->i);
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) ret = cc_qemu_execute_finish(CC_QEMU(source), res, &error);

	if (s->log != NULL) {
		JsonObject *o = json_object_new();
		json_object_set_string_member(o, "command", step->command);
		json_object_set_double_member(
			o, "ms", (gdouble)(g_get_monotonic_time() - s->step_us) / 1000.0);
		if (error != NULL)
			json_object_set_string_member(o, "error", error->message);
		json_array_add_object_element(s->log, o);
	}
	if (ret == NULL && !step->may_fail) {
		CcColoNext next = s->next;
		CcColo *self = g_object_ref(s->self);
		g_prefix_error(&error, "%s on %s: ", step->command,
			       cc_qemu_get_name(CC_QEMU(source)));
		cc_colo_seq_free(s);
		next(self, error);
		g_object_unref(self);
		return;
	}
	if (ret == NULL)
		g_debug("%s: %s failed, going on: %s", cc_qemu_get_name(CC_QEMU(source)),
			step->command, error->message);
	s->i++;
	cc_colo_seq_step(s);
}

static void
cc_colo_seq_step(CcColoSeq *s)
{
	CcQmpStep *step;
	if (s->i >= s->seq->len) {
		CcColoNext next = s->next;
		CcColo *self = g_object_ref(s->self);
		cc_colo_seq_free(s);
		next(self, NULL);
		g_object_unref(self);
		return;
	}
	step = g_ptr_array_index(s->seq, s->i);
	s->step_us = g_get_monotonic_time();
	cc_qemu_execute_async(s->member, step->command, step->arguments, CC_QMP_FLAG_NONE, 0,
			      cc_colo_seq_cb, s);
}

/* runs @seq (taken) on @member, then @next with the first error that counts */
static void
cc_colo_run(CcColo *self, CcQemu *member, GPtrArray *seq, JsonArray *log, CcColoNext next)
{
	CcColoSeq *s = g_new0(CcColoSeq, 1);
	s->self = g_object_ref(self);
	s->member = g_object_ref(member);
	s->seq = seq;
	s->next = next;
	s->log = log != NULL ? json_array_ref(log) : NULL;
	cc_colo_seq_step(s);
}

/* ------------------------------------------------------------ link probe */

typedef struct {
	const gchar *netns;
	gint fd;
	gint err;
} CcColoNsSocket;

static gpointer
cc_colo_ns_socket_thread(gpointer data)
{
	CcColoNsSocket *ns = data;
	g_autofree gchar *path = g_build_filename("/run/netns", ns->netns, NULL);
	gint nsfd = open(path, O_RDONLY | O_CLOEXEC);

	/* setns moves this thread only; the socket keeps the namespace it was made in */
	if (nsfd < 0 || setns(nsfd, CLONE_NEWNET) != 0) {
		ns->err = errno;
		if (nsfd >= 0)
			close(nsfd);
		return NULL;
	}
	close(nsfd);
	ns->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ns->fd < 0)
		ns->err = errno;
	return NULL;
}

/* a TCP socket in the primary host's network namespace (or ours without one) */
static GSocket *
cc_colo_probe_socket(const gchar *netns, GError **error)
{
	CcColoNsSocket ns = {netns, -1, 0};
	GSocket *sock;

	if (netns == NULL || netns[0] == '\0') {
		ns.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		ns.err = ns.fd < 0 ? errno : 0;
	} else {
		g_thread_join(g_thread_new("cc-netns", cc_colo_ns_socket_thread, &ns));
	}
	if (ns.fd < 0) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_CONNECT, "socket in netns %s: %s",
			    netns != NULL ? netns : "(none)", g_strerror(ns.err));
		return NULL;
	}
	sock = g_socket_new_from_fd(ns.fd, error);
	if (sock == NULL)
		close(ns.fd);
	else
		g_socket_set_blocking(sock, FALSE);
	return sock;
}

static void cc_colo_failover_start(CcColo *self, gint lost, const gchar *cause, JsonObject *detail);

static void
cc_colo_probe_result(CcColo *self, GError *error)
{
	cc_colo_probe_reset(self);
	if (error == NULL) {
		self->probe_failures = 0;
		g_clear_pointer(&self->probe_error, g_free);
		return;
	}
	self->probe_failures++;
	g_free(self->probe_error);
	self->probe_error = g_strdup(error->message);
	/* two misses in a row: one lost SYN is not a cut link */
	if (self->probe_failures >= 2 && self->state == CC_COLO_PROTECTED) {
		JsonObject *d = json_object_new();
		json_object_set_string_member(d, "error", error->message);
		json_object_set_int_member(d, "failures", self->probe_failures);
		cc_colo_failover_start(self, 1, "replication-link", d);
	}
}

static gboolean
cc_colo_probe_ready_cb(GSocket *sock, GIOCondition cond, gpointer user_data)
{
	CcColo *self = CC_COLO(user_data);
	g_autoptr(GError) error = NULL;

	if (!g_socket_check_connect_result(sock, &error)) {
		cc_colo_probe_result(self, error);
		return G_SOURCE_REMOVE;
	}
	cc_colo_probe_result(self, NULL);
	return G_SOURCE_REMOVE;
}

static void
cc_colo_probe_start(CcColo *self)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GInetAddress) ia = NULL;
	g_autoptr(GSocketAddress) sa = NULL;
	gint64 now = g_get_monotonic_time();

	if (self->probe != NULL) {
		/* still connecting: a probe past its deadline is a failure */
		if (now - self->probe_started_us > (gint64)self->params.hang_ms * 1000) {
			g_autoptr(GError) e = g_error_new(
				COLO_ERROR, COLO_ERROR_TIMEOUT,
				"no TCP answer from %s:%u within %u ms",
				self->spec.secondary_address,
				self->spec.port_base + CC_TOPOLOGY_PORT_NBD, self->params.hang_ms);
			cc_colo_probe_result(self, e);
		}
		return;
	}
	ia = g_inet_address_new_from_string(self->spec.secondary_address);
	if (ia == NULL)
		return; /* a host name: the probe needs an address */
	self->probe = cc_colo_probe_socket(cc_qemu_get_netns(self->member[0]), &error);
	if (self->probe == NULL) {
		cc_colo_probe_result(self, error);
		return;
	}
	self->probe_started_us = now;
	sa = g_inet_socket_address_new(ia, self->spec.port_base + CC_TOPOLOGY_PORT_NBD);
	if (g_socket_connect(self->probe, sa, NULL, &error)) {
		cc_colo_probe_result(self, NULL);
		return;
	}
	if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_PENDING)) {
		cc_colo_probe_result(self, error);
		return;
	}
	self->probe_source = g_socket_create_source(self->probe, G_IO_OUT, NULL);
	g_source_set_callback(self->probe_source, G_SOURCE_FUNC(cc_colo_probe_ready_cb), self,
			      NULL);
	g_source_attach(self->probe_source, g_main_context_get_thread_default());
}

/* ------------------------------------------------------------- failover */

static void cc_colo_failover_start(CcColo *self, gint lost, const gchar *cause, JsonObject *detail);

static void cc_colo_survivor_status(CcColo *self);

static void
cc_colo_failover_done(CcColo *self, GError *error)
{
	gint survivor = 1 - self->lost;
	gint64 now = g_get_monotonic_time();
	JsonObject *detail = json_object_new();

	json_object_set_string_member(detail, "lost", cc_qemu_get_name(self->member[self->lost]));
	json_object_set_string_member(detail, "lost_role", cc_colo_roles[self->lost]);
	json_object_set_string_member(detail, "survivor", cc_qemu_get_name(self->member[survivor]));
	json_object_set_string_member(detail, "survivor_role", cc_colo_roles[survivor]);
	json_object_set_string_member(detail, "cause", self->cause);
	json_object_set_double_member(detail, "fence_ms",
				      (gdouble)(self->fenced_us - self->cause_us) / 1000.0);
	json_object_set_double_member(detail, "sequence_ms",
				      (gdouble)(self->seq_done_us - self->fenced_us) / 1000.0);
	json_object_set_double_member(detail, "latency_ms",
				      (gdouble)(now - self->cause_us) / 1000.0);
	/* CLOCK_MONOTONIC, for tools that timed the fault themselves */
	json_object_set_int_member(detail, "detected_monotonic_us", self->cause_us);
	json_object_set_int_member(detail, "running_monotonic_us", now);
	json_object_set_array_member(detail, "steps", json_array_ref(self->steps));
	if (error != NULL) {
		json_object_set_string_member(detail, "error", error->message);
		json_object_set_string_member(detail, "code",
					      colo_error_code_to_string(error->code));
	}
	g_clear_pointer(&self->last_failover, json_object_unref);
	self->last_failover = json_object_ref(detail);
	cc_colo_emit(self, error == NULL ? "failover" : "failover-failed", json_object_ref(detail));
	cc_colo_finish(self, error == NULL ? self->member[survivor] : NULL, detail);
}

static gboolean
cc_colo_status_later_cb(gpointer user_data)
{
	CcColo *self = CC_COLO(user_data);
	g_clear_pointer(&self->deadline, g_source_unref);
	cc_colo_survivor_status(self);
	return G_SOURCE_REMOVE;
}

static void
cc_colo_cont_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(CcColo) self = CC_COLO(user_data);
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) ret = cc_qemu_execute_finish(CC_QEMU(source), res, &error);
	if (self->state != CC_COLO_FAILOVER)
		return;
	if (ret == NULL) {
		cc_colo_failover_done(self, error);
		return;
	}
	cc_colo_survivor_status(self);
}

static void
cc_colo_survivor_status_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(CcColo) self = CC_COLO(user_data);
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) ret = cc_qemu_execute_finish(CC_QEMU(source), res, &error);
	const gchar *status;

	if (self->state != CC_COLO_FAILOVER)
		return;
	if (ret == NULL) {
		cc_colo_failover_done(self, error);
		return;
	}
	status = json_object_get_string_member_with_default(json_node_get_object(ret), "status",
							    "unknown");
	if (g_strcmp0(status, "running") == 0) {
		cc_colo_failover_done(self, NULL);
		return;
	}
	/* QEMU resumes the survivor itself once the failover is through; a guest still
	 * paused after that gets one cont */
	self->status_polls++;
	if (self->status_polls == 20 && !self->cont_sent &&
	    (g_strcmp0(status, "paused") == 0 || g_strcmp0(status, "colo") == 0)) {
		JsonObject *o = json_object_new();
		self->cont_sent = TRUE;
		json_object_set_string_member(o, "command", "cont");
		json_object_set_string_member(o, "status_before", status);
		json_array_add_object_element(self->steps, o);
		cc_qemu_execute_async(self->member[1 - self->lost], "cont", NULL, CC_QMP_FLAG_NONE,
				      0, cc_colo_cont_cb, g_object_ref(self));
		return;
	}
	if (self->status_polls > 400) {
		g_autoptr(GError) e =
			g_error_new(COLO_ERROR, COLO_ERROR_TIMEOUT,
				    "the survivor %s did not run after failover: it is %s",
				    cc_qemu_get_name(self->member[1 - self->lost]), status);
		cc_colo_failover_done(self, e);
		return;
	}
	self->deadline = cc_colo_timeout(self, 5, cc_colo_status_later_cb);
}

static void
cc_colo_survivor_status(CcColo *self)
{
	cc_qemu_execute_async(self->member[1 - self->lost], "query-status", NULL, CC_QMP_FLAG_NONE,
			      0, cc_colo_survivor_status_cb, g_object_ref(self));
}

static void
cc_colo_failover_seq_done(CcColo *self, GError *error)
{
	self->seq_done_us = g_get_monotonic_time();
	if (self->state != CC_COLO_FAILOVER)
		return;
	if (error != NULL) {
		cc_colo_failover_done(self, error);
		return;
	}
	cc_colo_survivor_status(self);
}

static void
cc_colo_primary_sequence(CcColo *self)
{
	GPtrArray *seq =
		cc_topology_failover_primary(&self->spec, cc_qemu_get_caps(self->member[P]));
	cc_colo_run(self, self->member[P], seq, self->steps, cc_colo_failover_seq_done);
}

typedef struct {
	CcColo *self;
	GSubprocess *proc;
	GSource *timeout;
	gint64 start_us;
	gboolean done;
} CcColoCut;

static void
cc_colo_cut_done(CcColoCut *cut, const gchar *error)
{
	g_autoptr(CcColo) self = NULL;
	JsonObject *o;

	if (cut->done)
		return;
	cut->done = TRUE;
	self = g_steal_pointer(&cut->self);
	o = json_object_new();
	json_object_set_string_member(o, "command", "ss -K");
	json_object_set_double_member(o, "ms",
				      (gdouble)(g_get_monotonic_time() - cut->start_us) / 1000.0);
	if (error != NULL)
		json_object_set_string_member(o, "error", error);
	json_array_add_object_element(self->steps, o);
	if (cut->timeout != NULL) {
		g_source_destroy(cut->timeout);
		g_clear_pointer(&cut->timeout, g_source_unref);
	}
	if (self->state == CC_COLO_FAILOVER)
		cc_colo_primary_sequence(self);
}

static void
cc_colo_cut_wait_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	CcColoCut *cut = user_data;
	g_autoptr(GError) error = NULL;
	if (!g_subprocess_wait_check_finish(G_SUBPROCESS(source), res, &error))
		cc_colo_cut_done(cut, error->message);
	else
		cc_colo_cut_done(cut, NULL);
	g_object_unref(cut->proc);
	g_free(cut);
}

static gboolean
cc_colo_cut_timeout_cb(gpointer user_data)
{
	CcColoCut *cut = user_data;
	g_subprocess_force_exit(cut->proc);
	g_clear_pointer(&cut->timeout, g_source_unref);
	cc_colo_cut_done(cut, "ss did not finish within 2 s");
	return G_SOURCE_REMOVE;
}

/* Before the primary drops its replication child: a secondary that hangs or
 * sits behind a cut link never closes the NBD connection, and removing the
 * child waits for its requests forever (measured on 7.2: the monitor blocks).
 * Destroying this pair's TCP sockets fails those requests at once. Only this
 * pair's ports are touched. */
static void
cc_colo_cut_peer(CcColo *self)
{
	g_autoptr(GError) error = NULL;
	const gchar *netns = cc_qemu_get_netns(self->member[P]);
	guint b = self->spec.port_base;
	g_autofree gchar *filter = g_strdup_printf(
		"dst %s and ( dport = :%u or dport = :%u or sport = :%u or sport = :%u )",
		self->spec.secondary_address, b + CC_TOPOLOGY_PORT_NBD,
		b + CC_TOPOLOGY_PORT_MIGRATE, b + CC_TOPOLOGY_PORT_MIRROR,
		b + CC_TOPOLOGY_PORT_COMPARE);
	GSubprocess *proc;
	CcColoCut *cut;

	if (netns != NULL && netns[0] != '\0')
		proc = g_subprocess_new(
			G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
			&error, "ip", "netns", "exec", netns, "ss", "-K", "-t", filter, NULL);
	else
		proc = g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
						G_SUBPROCESS_FLAGS_STDERR_SILENCE,
					&error, "ss", "-K", "-t", filter, NULL);
	cut = g_new0(CcColoCut, 1);
	cut->self = g_object_ref(self);
	cut->start_us = g_get_monotonic_time();
	if (proc == NULL) {
		cc_colo_cut_done(cut, error->message);
		g_free(cut);
		return;
	}
	cut->proc = proc;
	cut->timeout = g_timeout_source_new(2000);
	g_source_set_callback(cut->timeout, cc_colo_cut_timeout_cb, cut, NULL);
	g_source_attach(cut->timeout, g_main_context_get_thread_default());
	g_subprocess_wait_check_async(proc, NULL, cc_colo_cut_wait_cb, cut);
}

static void
cc_colo_fenced_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(CcColo) self = CC_COLO(user_data);
	g_autoptr(GError) error = NULL;
	gint survivor = 1 - self->lost;
	JsonObject *o = json_object_new();
	GPtrArray *seq;

	self->fenced_us = g_get_monotonic_time();
	json_object_set_string_member(o, "command", "fence");
	json_object_set_double_member(o, "ms",
				      (gdouble)(self->fenced_us - self->cause_us) / 1000.0);
	/* SIGKILL was sent either way: a process in D state never runs guest code again */
	if (!cc_qemu_stop_finish(CC_QEMU(source), res, &error))
		json_object_set_string_member(o, "error", error->message);
	json_array_add_object_element(self->steps, o);
	if (self->state != CC_COLO_FAILOVER)
		return;
	if (survivor == P) {
		cc_colo_cut_peer(self);
		return;
	}
	seq = cc_topology_failover_secondary(&self->spec, cc_qemu_get_caps(self->member[S]));
	cc_colo_run(self, self->member[S], seq, self->steps, cc_colo_failover_seq_done);
}

static void
cc_colo_failover_start(CcColo *self, gint lost, const gchar *cause, JsonObject *detail)
{
	g_autoptr(JsonObject) d = detail != NULL ? detail : json_object_new();

	if (self->state != CC_COLO_PROTECTED)
		return;
	self->state = CC_COLO_FAILOVER;
	self->lost = lost;
	g_free(self->cause);
	self->cause = g_strdup(cause);
	self->cause_us = g_get_monotonic_time();
	self->cont_sent = FALSE;
	self->status_polls = 0;
	g_clear_pointer(&self->steps, json_array_unref);
	self->steps = json_array_new();
	cc_colo_stop_timers(self);
	/* the survivor alone decides from here: nothing the lost one says counts */
	g_signal_handlers_disconnect_by_data(self->member[lost], self);
	json_object_set_string_member(d, "member", cc_qemu_get_name(self->member[lost]));
	json_object_set_string_member(d, "role", cc_colo_roles[lost]);
	json_object_set_string_member(d, "cause", cause);
	json_object_set_boolean_member(d, "in_checkpoint", self->in_checkpoint);
	cc_colo_emit(self, "colo-lost", json_object_ref(d));
	/* fencing first: two members must never both run the guest */
	cc_qemu_stop_full_async(self->member[lost], TRUE, cc_colo_fenced_cb, g_object_ref(self));
}

gboolean
cc_colo_failover(CcColo *self, const gchar *lost, const gchar *cause, GError **error)
{
	gint which = g_strcmp0(lost, "primary") == 0 ? P : S;
	gint keep = 1 - which;
	if (self->state == CC_COLO_PROTECTED) {
		/* a member that does not answer cannot take over; the other one is fenced
		 * first, so refusing here is what keeps the guest alive. The watchdog calls
		 * a member hung after hang-ms; one already late by half of that is refused
		 * here, as it is more likely hanging than slow. */
		gint64 silent_ms =
			(g_get_monotonic_time() - self->health[keep].last_reply_us) / 1000;
		if (silent_ms > (gint64)self->params.hang_ms / 2) {
			g_set_error(error, COLO_ERROR, COLO_ERROR_CONFLICT,
				    "cannot fail over guest %s to its %s %s: its monitor has not "
				    "answered for %" G_GINT64_FORMAT " ms (hang-ms %u)",
				    self->guest, cc_colo_roles[keep],
				    cc_qemu_get_name(self->member[keep]), silent_ms,
				    self->params.hang_ms);
			return FALSE;
		}
		cc_colo_failover_start(self, which, cause, NULL);
		return TRUE;
	}
	g_set_error(error, COLO_ERROR, COLO_ERROR_CONFLICT, "cannot fail over guest %s: it is %s",
		    self->guest, cc_colo_state_to_string(self->state));
	return FALSE;
}

/* ------------------------------------------------------------- watchdog */

static gboolean
cc_colo_hung(CcColo *self, gint i, gint64 now)
{
	guint limit = self->in_checkpoint ? self->params.checkpoint_hang_ms : self->params.hang_ms;
	return self->health[i].inflight && now - self->health[i].last_reply_us > limit * 1000;
}

static void
cc_colo_lost_detail(CcColo *self, gint i, gint64 now, const gchar *cause)
{
	JsonObject *d = json_object_new();
	json_object_set_double_member(d, "silent_ms",
				      (gdouble)(now - self->health[i].last_reply_us) / 1000.0);
	json_object_set_int_member(d, "deadline_ms",
				   self->in_checkpoint ? self->params.checkpoint_hang_ms
						       : self->params.hang_ms);
	cc_colo_failover_start(self, i, cause, d);
}

static void
cc_colo_mode_check(CcColo *self, gint i, const gchar *mode)
{
	CcColoHealth *h = &self->health[i];
	JsonObject *d;

	if (g_strcmp0(h->mode, mode) == 0)
		return;
	g_free(h->mode);
	h->mode = g_strdup(mode);
	d = json_object_new();
	json_object_set_string_member(d, "member", cc_qemu_get_name(self->member[i]));
	json_object_set_string_member(d, "expected", cc_colo_roles[i]);
	json_object_set_string_member(d, "mode", mode);
	cc_colo_emit(self, "colo-mode", d);
	if (self->state != CC_COLO_PROTECTED || g_strcmp0(mode, cc_colo_roles[i]) == 0)
		return;
	/* a member out of COLO breaks the pair: the primary keeps the guest if it can */
	d = json_object_new();
	json_object_set_string_member(d, "mode", mode);
	json_object_set_string_member(d, "member", cc_qemu_get_name(self->member[i]));
	cc_colo_failover_start(self, S, "colo-mode-mismatch", d);
}

typedef struct {
	CcColo *self;
	const gchar *command; /* static */
	guint generation;
} CcColoWatch;

static void
cc_colo_watch_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	CcColoWatch *w = user_data;
	g_autoptr(CcColo) self = w->self;
	const gchar *command = w->command;
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) ret = cc_qemu_execute_finish(CC_QEMU(source), res, &error);
	gint i;

	g_free(w);
	if (self->state != CC_COLO_PROTECTED)
		return;
	i = cc_colo_index(self, CC_QEMU(source));
	if (ret == NULL) {
		/* the exit, EOF and hang detectors report those; a QMP error is an answer */
		if (!g_error_matches(error, COLO_ERROR, COLO_ERROR_QMP_ERROR)) {
			self->health[i].inflight = FALSE;
			return;
		}
	}
	self->health[i].last_reply_us = g_get_monotonic_time();
	self->health[i].inflight = FALSE;
	if (ret == NULL || !JSON_NODE_HOLDS_OBJECT(ret))
		return;
	if (command != NULL && g_strcmp0(command, "query-colo-status") == 0) {
		cc_colo_mode_check(self, i,
				   json_object_get_string_member_with_default(
					   json_node_get_object(ret), "mode", "unknown"));
		return;
	}
	g_free(self->health[i].status);
	self->health[i].status = g_strdup(json_object_get_string_member_with_default(
		json_node_get_object(ret), "status", "unknown"));
}

static void
cc_colo_watch_send(CcColo *self, gint i, const gchar *command)
{
	/* a backstop far beyond the hang deadline: the watchdog decides, not this */
	guint backstop = MAX(self->params.checkpoint_hang_ms, self->params.hang_ms) * 4;
	CcColoWatch *w = g_new0(CcColoWatch, 1);
	w->self = g_object_ref(self);
	w->command = command;
	self->health[i].inflight = TRUE;
	self->health[i].sent_us = g_get_monotonic_time();
	cc_qemu_execute_async(self->member[i], command, NULL, CC_QMP_FLAG_NONE, backstop,
			      cc_colo_watch_cb, w);
}

static gboolean
cc_colo_watchdog_cb(gpointer user_data)
{
	CcColo *self = CC_COLO(user_data);
	gint64 now = g_get_monotonic_time();

	for (gint i = P; i <= S; i++) {
		if (cc_colo_hung(self, i, now)) {
			cc_colo_lost_detail(self, i, now, "qmp-deadline");
			return G_SOURCE_CONTINUE; /* the failover destroys this source */
		}
	}
	/* a checkpoint that never resumes the primary: both monitors may answer, but the
	 * primary's guest is frozen. The secondary runs the guest on; it takes over. */
	if (self->in_checkpoint &&
	    now - self->checkpoint_since_us > (gint64)self->params.checkpoint_hang_ms * 1000) {
		JsonObject *d = json_object_new();
		json_object_set_double_member(d, "checkpoint_ms",
					      (gdouble)(now - self->checkpoint_since_us) / 1000.0);
		json_object_set_int_member(d, "deadline_ms", self->params.checkpoint_hang_ms);
		json_object_set_int_member(d, "checkpoint", self->checkpoints + 1);
		cc_colo_failover_start(self, P, "checkpoint-stuck", d);
		return G_SOURCE_CONTINUE;
	}
	self->ticks++;
	if (self->params.link_probe_ms > 0 && self->spec.port_base > 0 &&
	    now - self->probe_last_us >= (gint64)self->params.link_probe_ms * 1000) {
		self->probe_last_us = now;
		cc_colo_probe_start(self);
		if (self->state != CC_COLO_PROTECTED)
			return G_SOURCE_CONTINUE;
	}
	for (gint i = P; i <= S; i++) {
		if (self->health[i].inflight)
			continue;
		/* status every tick; the COLO mode every fifth */
		cc_colo_watch_send(self, i,
				   self->ticks % 5 == 0 ? "query-colo-status" : "query-status");
	}
	return G_SOURCE_CONTINUE;
}

/* --------------------------------------------------------------- events */

static void cc_colo_abort_literal(CcColo *self, ColoError code, const gchar *message);

static void
cc_colo_sync_lost_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(CcColo) self = CC_COLO(user_data);
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) ret = cc_qemu_execute_finish(CC_QEMU(source), res, &error);
	const gchar *mode = NULL;
	g_autofree gchar *msg = NULL;

	if (self->state != CC_COLO_SYNC_RAM)
		return;
	if (ret != NULL && JSON_NODE_HOLDS_OBJECT(ret))
		mode = json_object_get_string_member_with_default(json_node_get_object(ret), "mode",
								  NULL);
	if (g_strcmp0(mode, "secondary") == 0) {
		JsonObject *d = json_object_new();
		json_object_set_string_member(d, "phase", "initial migration");
		self->state = CC_COLO_PROTECTED;
		cc_colo_failover_start(self, P, self->pending_cause, d);
		return;
	}
	msg = g_strdup_printf("primary %s lost (%s) before the secondary held the guest",
			      cc_qemu_get_name(self->member[P]), self->pending_cause);
	cc_colo_abort_literal(self, COLO_ERROR_DISCONNECTED, msg);
}

static void
cc_colo_member_event_cb(CcQemu *member, const gchar *kind, JsonObject *detail, gpointer user_data)
{
	CcColo *self = CC_COLO(user_data);
	gint i = cc_colo_index(self, member);
	const gchar *cause = NULL;

	if (g_strcmp0(kind, "exited") == 0)
		cause = "process-exit";
	else if (g_strcmp0(kind, "qmp-closed") == 0)
		cause = "qmp-eof";
	else if (g_strcmp0(kind, "unresponsive") == 0)
		cause = "qmp-deadline";
	if (cause == NULL)
		return;
	if (self->state == CC_COLO_PROTECTED) {
		cc_colo_failover_start(self, i, cause, json_object_ref(detail));
		return;
	}
	/* while syncing: losing the secondary ends the attempt; losing the primary
	 * loses the guest (the secondary has no complete copy yet) */
	if (self->state == CC_COLO_PREPARING && cc_qemu_get_state(member) == CC_QEMU_STATE_STARTING)
		return; /* the launch callback reports it */
	/* the primary hangs once the initial migration runs (under TCG: the checkpoint
	 * deadlock): if the secondary is in COLO it holds the whole guest, so it takes
	 * over as from any hang */
	if (i == P && self->state == CC_COLO_SYNC_RAM && self->migration_started &&
	    (g_strcmp0(cause, "qmp-deadline") == 0 || g_strcmp0(cause, "process-exit") == 0 ||
	     g_strcmp0(cause, "qmp-eof") == 0)) {
		g_free(self->pending_cause);
		self->pending_cause = g_strdup(cause);
		cc_qemu_execute_async(self->member[S], "query-colo-status", NULL, CC_QMP_FLAG_NONE,
				      self->params.hang_ms, cc_colo_sync_lost_cb,
				      g_object_ref(self));
		return;
	}
	if (self->state < CC_COLO_PROTECTED) {
		g_free(self->lost_cause);
		self->lost_cause = g_strdup_printf("%s %s: %s", cc_colo_roles[i],
						   cc_qemu_get_name(member), cause);
	}
}

static void cc_colo_abort(CcColo *self, GError *error);

static void
cc_colo_exit_check_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(CcColo) self = CC_COLO(user_data);
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) ret = cc_qemu_execute_finish(CC_QEMU(source), res, &error);
	JsonObject *d = g_steal_pointer(&self->exit_detail);

	if (self->state != CC_COLO_PROTECTED) {
		if (d != NULL)
			json_object_unref(d);
		return;
	}
	if (d == NULL)
		d = json_object_new();
	json_object_set_string_member(d, "primary", ret != NULL ? "answers" : error->message);
	cc_colo_failover_start(self, ret != NULL ? S : P, "colo-exit", d);
}

static void
cc_colo_qmp_event_cb(CcQemu *member, const gchar *name, JsonObject *data, guint generation,
		     gpointer user_data)
{
	CcColo *self = CC_COLO(user_data);
	gint i = cc_colo_index(self, member);

	if (i == P && g_strcmp0(name, "STOP") == 0 && self->state == CC_COLO_PROTECTED) {
		JsonObject *d = json_object_new();
		self->in_checkpoint = TRUE;
		self->checkpoint_since_us = g_get_monotonic_time();
		json_object_set_int_member(d, "checkpoint", self->checkpoints + 1);
		cc_colo_emit(self, "colo-checkpoint", d);
		return;
	}
	if (i == P && g_strcmp0(name, "RESUME") == 0 && self->in_checkpoint) {
		self->in_checkpoint = FALSE;
		self->checkpoints++;
		return;
	}
	if (i == P && g_strcmp0(name, "QUORUM_REPORT_BAD") == 0 && data != NULL &&
	    self->state == CC_COLO_PROTECTED &&
	    g_strcmp0(json_object_get_string_member_with_default(data, "node-name", ""),
		      CC_TOPOLOGY_REPL_NODE) == 0) {
		/* the primary's writes no longer reach the secondary's disk */
		JsonObject *d = json_object_new();
		json_object_set_object_member(d, "data", json_object_ref(data));
		cc_colo_failover_start(self, S, "replication-io-error", d);
		return;
	}
	if (g_strcmp0(name, "COLO_EXIT") == 0) {
		const gchar *reason =
			data != NULL
				? json_object_get_string_member_with_default(data, "reason", "")
				: "";
		JsonObject *d = json_object_new();
		if (data != NULL)
			json_object_set_object_member(d, "data", json_object_ref(data));
		json_object_set_string_member(d, "member", cc_qemu_get_name(member));
		cc_colo_emit(self, "colo-exit", json_object_ref(d));
		if (self->state != CC_COLO_PROTECTED || g_strcmp0(reason, "request") == 0) {
			json_object_unref(d);
			return;
		}
		/* COLO broke on one side. The primary reports a lost secondary. The
		 * secondary reports a lost primary, or a cut link: the primary is asked
		 * at once; if it answers it keeps the guest, else the secondary takes over.
		 * A primary that died shows its exit or EOF before that answer. */
		if (i == P) {
			cc_colo_failover_start(self, S, "colo-exit", d);
			return;
		}
		g_clear_pointer(&self->exit_detail, json_object_unref);
		self->exit_detail = d;
		cc_qemu_execute_async(self->member[P], "query-status", NULL, CC_QMP_FLAG_NONE,
				      self->params.hang_ms, cc_colo_exit_check_cb,
				      g_object_ref(self));
		return;
	}
	if (self->state == CC_COLO_SYNC_DISK && i == P && data != NULL &&
	    g_strcmp0(json_object_get_string_member_with_default(data, "device", ""),
		      CC_TOPOLOGY_MIRROR_JOB) == 0) {
		if (g_strcmp0(name, "BLOCK_JOB_READY") == 0) {
			self->mirror_ready = TRUE;
		} else if (g_strcmp0(name, "BLOCK_JOB_ERROR") == 0 ||
			   g_strcmp0(name, "BLOCK_JOB_COMPLETED") == 0 ||
			   g_strcmp0(name, "BLOCK_JOB_CANCELLED") == 0) {
			g_autoptr(GError) e = g_error_new(
				COLO_ERROR, COLO_ERROR_QMP_ERROR, "disk resync ended: %s%s%s", name,
				json_object_has_member(data, "error") ? ": " : "",
				json_object_get_string_member_with_default(data, "error", ""));
			cc_colo_abort(self, e);
		}
	}
}

/* ---------------------------------------------------------------- protect */

static void
cc_colo_abort_cleaned(CcColo *self, GError *error)
{
	GError *why = self->abort_error;
	JsonObject *d = json_object_new();
	json_object_set_string_member(d, "reason", why != NULL ? why->message : "aborted");
	json_object_set_string_member(
		d, "code",
		colo_error_code_to_string(why != NULL ? why->code : COLO_ERROR_INTERNAL));
	cc_colo_emit(self, "protect-failed", json_object_ref(d));
	cc_colo_finish(self,
		       cc_qemu_get_state(self->member[P]) == CC_QEMU_STATE_RUNNING ? self->member[P]
										   : NULL,
		       d);
}

static void
cc_colo_finish_nothing_left(CcColo *self)
{
	GError *why = self->abort_error;
	JsonObject *d = json_object_new();
	g_autofree gchar *reason = g_strdup_printf("%s; the primary %s does not answer either",
						   why != NULL ? why->message : "aborted",
						   cc_qemu_get_name(self->member[P]));
	json_object_set_string_member(d, "reason", reason);
	json_object_set_string_member(d, "code", colo_error_code_to_string(COLO_ERROR_TIMEOUT));
	cc_colo_emit(self, "protect-failed", json_object_ref(d));
	cc_colo_finish(self, NULL, d);
}

static void
cc_colo_abort_fenced_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(CcColo) self = CC_COLO(user_data);
	GPtrArray *seq;
	cc_qemu_stop_finish(CC_QEMU(source), res, NULL);
	if (cc_qemu_get_state(self->member[P]) != CC_QEMU_STATE_RUNNING) {
		cc_colo_abort_cleaned(self, NULL);
		return;
	}
	if (cc_qemu_get_unresponsive(self->member[P])) {
		/* a hung primary cannot be cleaned up; nothing holds the guest */
		cc_colo_finish_nothing_left(self);
		return;
	}
	/* undo everything protect may have added; whatever was not there fails harmlessly */
	seq = cc_topology_failover_primary(&self->spec, cc_qemu_get_caps(self->member[P]));
	for (guint i = 0; i < seq->len; i++)
		((CcQmpStep *)g_ptr_array_index(seq, i))->may_fail = TRUE;
	{
		CcQmpStep *step = g_new0(CcQmpStep, 1);
		step->command = g_strdup("block-job-cancel");
		step->arguments = json_object_new();
		json_object_set_string_member(step->arguments, "device", CC_TOPOLOGY_MIRROR_JOB);
		json_object_set_boolean_member(step->arguments, "force", TRUE);
		step->may_fail = TRUE;
		g_ptr_array_insert(seq, 0, step);
		step = g_new0(CcQmpStep, 1);
		step->command = g_strdup("migrate_cancel");
		step->may_fail = TRUE;
		g_ptr_array_insert(seq, 1, step);
		step = g_new0(CcQmpStep, 1);
		step->command = g_strdup("cont");
		step->may_fail = TRUE;
		g_ptr_array_add(seq, step);
	}
	cc_colo_run(self, self->member[P], seq, NULL, cc_colo_abort_cleaned);
}

static void
cc_colo_abort(CcColo *self, GError *error)
{
	if (self->state >= CC_COLO_PROTECTED)
		return;
	g_clear_error(&self->abort_error);
	self->abort_error = g_error_copy(error);
	self->state = CC_COLO_FAILOVER; /* nothing else acts on the pair from here */
	cc_colo_stop_timers(self);
	g_signal_handlers_disconnect_by_data(self->member[S], self);
	cc_qemu_stop_full_async(self->member[S], TRUE, cc_colo_abort_fenced_cb, g_object_ref(self));
}

static void
cc_colo_abort_literal(CcColo *self, ColoError code, const gchar *message)
{
	g_autoptr(GError) e = g_error_new_literal(COLO_ERROR, code, message);
	cc_colo_abort(self, e);
}

static gboolean
cc_colo_deadline_cb(gpointer user_data)
{
	CcColo *self = CC_COLO(user_data);
	g_autofree gchar *msg =
		g_strdup_printf("protect did not finish within %u s (it was %s)",
				self->params.sync_timeout_s, cc_colo_state_to_string(self->state));
	g_clear_pointer(&self->deadline, g_source_unref);
	cc_colo_abort_literal(self, COLO_ERROR_TIMEOUT, msg);
	return G_SOURCE_REMOVE;
}

/* a member lost while syncing ends the attempt at the next sample */
static gboolean
cc_colo_check_lost(CcColo *self)
{
	g_autofree gchar *cause = g_steal_pointer(&self->lost_cause);
	if (cause == NULL)
		return FALSE;
	cc_colo_abort_literal(self, COLO_ERROR_DISCONNECTED, cause);
	return TRUE;
}

static void
cc_colo_protected(CcColo *self)
{
	JsonObject *d = json_object_new();
	gint64 now = g_get_monotonic_time();

	self->state = CC_COLO_PROTECTED;
	self->protected_us = now;
	cc_colo_stop_timers(self);
	for (gint i = P; i <= S; i++) {
		self->health[i].last_reply_us = now;
		self->health[i].inflight = FALSE;
	}
	json_object_set_double_member(d, "sync_s", (gdouble)(now - self->sync_start_us) / 1e6);
	if (self->migration_report != NULL)
		json_object_set_object_member(d, "migration",
					      json_object_ref(self->migration_report));
	cc_colo_emit(self, "protected", d);
	self->watchdog = cc_colo_timeout(self, self->params.watchdog_ms, cc_colo_watchdog_cb);
}

static void cc_colo_sample(CcColo *self);

static void
cc_colo_running_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(CcColo) self = CC_COLO(user_data);
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) ret = cc_qemu_execute_finish(CC_QEMU(source), res, &error);
	const gchar *status = NULL;

	if (self->state != CC_COLO_SYNC_RAM)
		return;
	if (ret != NULL && JSON_NODE_HOLDS_OBJECT(ret))
		status = json_object_get_string_member_with_default(json_node_get_object(ret),
								    "status", NULL);
	if (g_strcmp0(status, "running") == 0)
		self->running_checks |= 1u << cc_colo_index(self, CC_QEMU(source));
	else
		self->running_checks |= 4u; /* not yet: the next sample asks again */
	if ((self->running_checks & 3u) == 3u && (self->running_checks & 4u) == 0) {
		cc_colo_protected(self);
		return;
	}
	if (__builtin_popcount(self->running_checks) >= 2 || (self->running_checks & 4u))
		self->sampling = FALSE;
}

static void
cc_colo_sample_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(CcColo) self = CC_COLO(user_data);
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) ret = cc_qemu_execute_finish(CC_QEMU(source), res, &error);
	JsonObject *o;

	self->sampling = FALSE;
	if (self->state != CC_COLO_SYNC_DISK && self->state != CC_COLO_SYNC_RAM)
		return;
	if (cc_colo_check_lost(self))
		return;
	if (ret == NULL && self->migration_started &&
	    (g_error_matches(error, COLO_ERROR, COLO_ERROR_TIMEOUT) ||
	     g_error_matches(error, COLO_ERROR, COLO_ERROR_DISCONNECTED))) {
		/* the member's own event decides: the secondary may hold the guest */
		self->sampling = TRUE;
		return;
	}
	if (ret == NULL) {
		cc_colo_abort(self, error);
		return;
	}
	if (self->state == CC_COLO_SYNC_DISK) {
		JsonArray *jobs = JSON_NODE_HOLDS_ARRAY(ret) ? json_node_get_array(ret) : NULL;
		for (guint i = 0; jobs != NULL && i < json_array_get_length(jobs); i++) {
			JsonObject *job = json_array_get_object_element(jobs, i);
			if (g_strcmp0(json_object_get_string_member_with_default(job, "device", ""),
				      CC_TOPOLOGY_MIRROR_JOB) != 0)
				continue;
			self->sync_done = json_object_get_int_member_with_default(job, "offset", 0);
			self->sync_total = json_object_get_int_member_with_default(job, "len", 0);
			if (json_object_get_boolean_member_with_default(job, "ready", FALSE))
				self->mirror_ready = TRUE;
		}
		return;
	}
	o = JSON_NODE_HOLDS_OBJECT(ret) ? json_node_get_object(ret) : NULL;
	if (o == NULL)
		return;
	if (g_strcmp0(json_object_get_string_member_with_default(o, "status", ""), "colo") == 0) {
		/* "colo" shows a moment before the members resume: wait for both to run */
		self->sampling = TRUE;
		self->running_checks = 0;
		for (gint i = P; i <= S; i++)
			cc_qemu_execute_async(self->member[i], "query-status", NULL,
					      CC_QMP_FLAG_NONE, 0, cc_colo_running_cb,
					      g_object_ref(self));
		return;
	}
	if (g_strcmp0(json_object_get_string_member_with_default(o, "status", ""), "failed") == 0 ||
	    g_strcmp0(json_object_get_string_member_with_default(o, "status", ""), "cancelled") ==
		    0) {
		g_autofree gchar *msg = g_strdup_printf(
			"the initial COLO migration %s%s%s",
			json_object_get_string_member(o, "status"),
			json_object_has_member(o, "error-desc") ? ": " : "",
			json_object_get_string_member_with_default(o, "error-desc", ""));
		cc_colo_abort_literal(self, COLO_ERROR_QMP_ERROR, msg);
		return;
	}
	if (json_object_has_member(o, "ram")) {
		JsonObject *ram = json_object_get_object_member(o, "ram");
		g_autoptr(GError) e = NULL;
		self->sync_done = json_object_get_int_member_with_default(ram, "transferred", 0);
		self->sync_total = json_object_get_int_member_with_default(ram, "total", 0);
		if (cc_progress_add_sample(self->progress,
					   g_get_monotonic_time() - self->sync_start_us, o, &e)) {
			g_clear_pointer(&self->migration_report, json_object_unref);
			self->migration_report =
				cc_progress_report_to_json(cc_progress_get_report(self->progress));
		}
	}
}

static void cc_colo_protect_seq_done(CcColo *self, GError *error);

static void
cc_colo_sample(CcColo *self)
{
	if (self->sampling)
		return;
	if (self->state == CC_COLO_SYNC_DISK && self->mirror_ready) {
		/* the copy is complete and mirrored writes keep it so: enter COLO */
		self->mirror_ready = FALSE;
		self->state = CC_COLO_SYNC_RAM;
		self->sync_done = self->sync_total;
		{
			JsonObject *d = json_object_new();
			json_object_set_int_member(d, "bytes", self->sync_total);
			json_object_set_double_member(
				d, "s",
				(gdouble)(g_get_monotonic_time() - self->sync_start_us) / 1e6);
			cc_colo_emit(self, "colo-disk-synced", d);
		}
		self->sampling = TRUE; /* no sample while the sequence runs */
		cc_colo_run(
			self, self->member[P],
			cc_topology_primary_protect(&self->spec, cc_qemu_get_caps(self->member[P])),
			NULL, cc_colo_protect_seq_done);
		return;
	}
	self->sampling = TRUE;
	cc_qemu_execute_async(self->member[P],
			      self->state == CC_COLO_SYNC_DISK ? "query-block-jobs"
							       : "query-migrate",
			      NULL, CC_QMP_FLAG_NONE, 0, cc_colo_sample_cb, g_object_ref(self));
}

static gboolean
cc_colo_sampler_cb(gpointer user_data)
{
	CcColo *self = CC_COLO(user_data);
	if (!cc_colo_check_lost(self))
		cc_colo_sample(self);
	return G_SOURCE_CONTINUE;
}

static void
cc_colo_start_seq_done(CcColo *self, GError *error)
{
	if (self->state != CC_COLO_SYNC_RAM)
		return;
	if (error != NULL) {
		cc_colo_abort(self, error);
		return;
	}
	self->sampling = FALSE;
	self->migration_started = TRUE;
	self->sync_done = 0;
	self->sync_total = 0;
	cc_colo_emit(self, "colo-migration-started", NULL);
}

static void
cc_colo_start_migration(CcColo *self)
{
	cc_colo_run(self, self->member[P],
		    cc_topology_primary_start(&self->spec, cc_qemu_get_caps(self->member[P])), NULL,
		    cc_colo_start_seq_done);
}

static void cc_colo_link_poll(CcColo *self);

static gboolean
cc_colo_link_later_cb(gpointer user_data)
{
	CcColo *self = CC_COLO(user_data);
	cc_colo_link_poll(self);
	return G_SOURCE_REMOVE;
}

static void
cc_colo_link_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(CcColo) self = CC_COLO(user_data);
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) ret = cc_qemu_execute_finish(CC_QEMU(source), res, &error);
	JsonArray *arr;
	guint linked = 0;

	if (self->state != CC_COLO_SYNC_RAM)
		return;
	if (ret == NULL) {
		cc_colo_abort(self, error);
		return;
	}
	arr = JSON_NODE_HOLDS_ARRAY(ret) ? json_node_get_array(ret) : NULL;
	for (guint i = 0; arr != NULL && i < json_array_get_length(arr); i++) {
		JsonObject *c = json_array_get_object_element(arr, i);
		const gchar *label = json_object_get_string_member_with_default(c, "label", "");
		const gchar *fn = json_object_get_string_member_with_default(c, "filename", "");
		if (g_strv_contains(cc_topology_linked_chardevs, label) &&
		    !g_str_has_prefix(fn, "disconnected:"))
			linked++;
	}
	if (linked == g_strv_length((gchar **)cc_topology_linked_chardevs)) {
		cc_colo_emit(self, "colo-linked", NULL);
		cc_colo_start_migration(self);
		return;
	}
	/* the secondary reconnects once a second; the protect deadline bounds this */
	g_timeout_add_full(G_PRIORITY_DEFAULT, 50, cc_colo_link_later_cb, g_object_ref(self),
			   g_object_unref);
}

static void
cc_colo_link_poll(CcColo *self)
{
	if (self->state != CC_COLO_SYNC_RAM)
		return;
	cc_qemu_execute_async(self->member[P], "query-chardev", NULL, CC_QMP_FLAG_NONE, 0,
			      cc_colo_link_cb, g_object_ref(self));
}

static void
cc_colo_protect_seq_done(CcColo *self, GError *error)
{
	if (self->state != CC_COLO_SYNC_RAM)
		return;
	if (error != NULL) {
		cc_colo_abort(self, error);
		return;
	}
	if (self->spec.net)
		cc_colo_link_poll(self);
	else
		cc_colo_start_migration(self);
}

static void
cc_colo_resync_cb(CcColo *self, GError *error)
{
	if (self->state != CC_COLO_SYNC_DISK)
		return;
	if (error != NULL) {
		cc_colo_abort(self, error);
		return;
	}
	self->sampler = cc_colo_timeout(self, self->params.sample_ms, cc_colo_sampler_cb);
}

static void
cc_colo_secondary_ready(CcColo *self, GError *error)
{
	GPtrArray *seq;
	if (self->state != CC_COLO_PREPARING)
		return;
	if (error != NULL) {
		cc_colo_abort(self, error);
		return;
	}
	self->state = CC_COLO_SYNC_DISK;
	self->sync_total = (gint64)self->disk_size;
	cc_colo_emit(self, "colo-disk-sync-started", NULL);
	seq = g_ptr_array_new_with_free_func((GDestroyNotify)cc_qmp_step_free);
	g_ptr_array_add(seq, cc_topology_resync(&self->spec));
	cc_colo_run(self, self->member[P], seq, NULL, cc_colo_resync_cb);
}

static void
cc_colo_launched_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(CcColo) self = CC_COLO(user_data);
	g_autoptr(GError) error = NULL;
	const CcCaps *pc, *sc;

	if (!cc_qemu_launch_finish(CC_QEMU(source), res, &error)) {
		g_prefix_error(&error, "secondary %s: ", cc_qemu_get_name(CC_QEMU(source)));
		cc_colo_abort(self, error);
		return;
	}
	if (self->state != CC_COLO_PREPARING)
		return;
	pc = cc_qemu_get_caps(self->member[P]);
	sc = cc_qemu_get_caps(self->member[S]);
	if (pc == NULL || sc == NULL || g_strcmp0(pc->version, sc->version) != 0) {
		g_autofree gchar *msg = g_strdup_printf(
			"both members need the same QEMU: the primary has %s, the secondary %s",
			pc != NULL ? pc->version : "?", sc != NULL ? sc->version : "?");
		cc_colo_abort_literal(self, COLO_ERROR_CONFLICT, msg);
		return;
	}
	if (!sc->colo) {
		cc_colo_abort_literal(self, COLO_ERROR_CONFLICT,
				      "the secondary's QEMU has no x-colo migration capability");
		return;
	}
	cc_colo_run(self, self->member[S], cc_topology_secondary_prepare(&self->spec, sc), NULL,
		    cc_colo_secondary_ready);
}

static gboolean
cc_colo_make_raw(const gchar *path, guint64 size, GError **error)
{
	gint fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)size) != 0) {
		gint saved = errno;
		if (fd >= 0)
			close(fd);
		g_set_error(error, COLO_ERROR, COLO_ERROR_SPAWN, "cannot make %s: %s", path,
			    g_strerror(saved));
		return FALSE;
	}
	close(fd);
	return TRUE;
}

static void cc_colo_make_overlay(CcColo *self, guint which);

static void
cc_colo_overlay_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(CcColo) self = CC_COLO(user_data);
	g_autoptr(GError) error = NULL;
	guint which = GPOINTER_TO_UINT(g_object_get_data(source, "cc-which"));

	if (!g_subprocess_wait_check_finish(G_SUBPROCESS(source), res, &error)) {
		g_autofree gchar *msg = g_strdup_printf("%s create failed: %s",
							self->params.qemu_img, error->message);
		cc_colo_abort_literal(self, COLO_ERROR_SPAWN, msg);
		return;
	}
	if (self->state != CC_COLO_PREPARING)
		return;
	if (which == 0) {
		cc_colo_make_overlay(self, 1);
		return;
	}
	cc_qemu_launch_async(self->member[S], (const gchar *const *)self->secondary_argv, NULL,
			     cc_colo_launched_cb, g_object_ref(self));
}

/* qemu-img takes some ms; it runs as a child, never on the loop */
static void
cc_colo_make_overlay(CcColo *self, guint which)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *size = g_strdup_printf("%" G_GUINT64_FORMAT, self->disk_size);
	const gchar *path = which == 0 ? self->spec.active_disk : self->spec.hidden_disk;
	g_autoptr(GSubprocess) proc = g_subprocess_new(
		G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error,
		self->params.qemu_img, "create", "-q", "-f", "qcow2", path, size, NULL);
	if (proc == NULL) {
		cc_colo_abort(self, error);
		return;
	}
	g_object_set_data(G_OBJECT(proc), "cc-which", GUINT_TO_POINTER(which));
	g_subprocess_wait_check_async(proc, NULL, cc_colo_overlay_cb, g_object_ref(self));
}

void
cc_colo_protect(CcColo *self, const gchar *const *secondary_argv)
{
	g_autoptr(GError) error = NULL;

	g_return_if_fail(self->state == CC_COLO_PREPARING);
	self->secondary_argv = g_strdupv((gchar **)secondary_argv);
	self->sync_start_us = g_get_monotonic_time();
	g_signal_connect(self->member[P], "event", G_CALLBACK(cc_colo_member_event_cb), self);
	g_signal_connect(self->member[S], "event", G_CALLBACK(cc_colo_member_event_cb), self);
	g_signal_connect(self->member[P], "qmp-event", G_CALLBACK(cc_colo_qmp_event_cb), self);
	g_signal_connect(self->member[S], "qmp-event", G_CALLBACK(cc_colo_qmp_event_cb), self);
	self->deadline =
		cc_colo_timeout(self, self->params.sync_timeout_s * 1000, cc_colo_deadline_cb);
	if (!cc_colo_make_raw(self->spec.secondary_disk, self->disk_size, &error)) {
		cc_colo_abort(self, error);
		return;
	}
	cc_colo_make_overlay(self, 0);
}

static const gchar *
cc_colo_member_state(CcColo *self, gint i)
{
	return cc_qemu_state_to_string(cc_qemu_get_state(self->member[i]));
}

void
cc_colo_adopt(CcColo *self, gboolean syncing)
{
	gint64 now = g_get_monotonic_time();
	JsonObject *d;

	g_return_if_fail(self->state == CC_COLO_PREPARING);
	g_signal_connect(self->member[P], "event", G_CALLBACK(cc_colo_member_event_cb), self);
	g_signal_connect(self->member[S], "event", G_CALLBACK(cc_colo_member_event_cb), self);
	g_signal_connect(self->member[P], "qmp-event", G_CALLBACK(cc_colo_qmp_event_cb), self);
	g_signal_connect(self->member[S], "qmp-event", G_CALLBACK(cc_colo_qmp_event_cb), self);
	if (syncing) {
		/* half a protect is not worth finishing: undo it, the primary keeps the guest */
		self->state = CC_COLO_SYNC_RAM;
		cc_colo_abort_literal(self, COLO_ERROR_CANCELLED,
				      "coloctld restarted while the guest was being protected");
		return;
	}
	self->state = CC_COLO_PROTECTED;
	self->protected_us = now;
	for (gint i = P; i <= S; i++) {
		self->health[i].last_reply_us = now;
		self->health[i].inflight = FALSE;
	}
	d = json_object_new();
	json_object_set_string_member(d, "primary", cc_colo_member_state(self, P));
	json_object_set_string_member(d, "secondary", cc_colo_member_state(self, S));
	cc_colo_emit(self, "colo-adopted", d);
	self->watchdog = cc_colo_timeout(self, self->params.watchdog_ms, cc_colo_watchdog_cb);
	/* a member that died while nobody watched is lost now */
	if (cc_qemu_get_state(self->member[P]) != CC_QEMU_STATE_RUNNING)
		cc_colo_failover_start(self, P, "lost-while-coloctld-down", NULL);
	else if (cc_qemu_get_state(self->member[S]) != CC_QEMU_STATE_RUNNING)
		cc_colo_failover_start(self, S, "lost-while-coloctld-down", NULL);
}

void
cc_colo_detach(CcColo *self)
{
	cc_colo_stop_timers(self);
	cc_colo_disconnect(self);
	self->state = CC_COLO_FINISHED;
}

/* ----------------------------------------------------------------- getters */

CcColoState
cc_colo_get_state(CcColo *self)
{
	return self->state;
}

CcQemu *
cc_colo_get_primary(CcColo *self)
{
	return self->member[P];
}

CcQemu *
cc_colo_get_secondary(CcColo *self)
{
	return self->member[S];
}

const CcPairSpec *
cc_colo_get_spec(CcColo *self)
{
	return &self->spec;
}

JsonObject *
cc_colo_to_json(CcColo *self)
{
	JsonObject *o = json_object_new();
	JsonObject *sync = json_object_new();
	JsonObject *health = json_object_new();
	JsonObject *filters = json_object_new();
	gint64 now = g_get_monotonic_time();
	const CcCaps *pc = cc_qemu_get_caps(self->member[P]);

	json_object_set_string_member(o, "state", cc_colo_state_to_string(self->state));
	json_object_set_string_member(o, "primary", cc_qemu_get_name(self->member[P]));
	json_object_set_string_member(o, "secondary", cc_qemu_get_name(self->member[S]));
	json_object_set_int_member(o, "checkpoint_ms", self->spec.checkpoint_ms);
	json_object_set_int_member(o, "port_base", self->spec.port_base);
	json_object_set_boolean_member(o, "in_checkpoint", self->in_checkpoint);
	if (self->in_checkpoint)
		json_object_set_double_member(o, "checkpoint_for_ms",
					      (gdouble)(now - self->checkpoint_since_us) / 1000.0);
	json_object_set_int_member(o, "checkpoints", self->checkpoints);
	if (self->state == CC_COLO_SYNC_DISK || self->state == CC_COLO_SYNC_RAM) {
		json_object_set_string_member(sync, "phase",
					      self->state == CC_COLO_SYNC_DISK ? "disk" : "ram");
		json_object_set_int_member(sync, "done_bytes", self->sync_done);
		json_object_set_int_member(sync, "total_bytes", self->sync_total);
		json_object_set_double_member(sync, "percent",
					      self->sync_total > 0
						      ? 100.0 * (gdouble)self->sync_done /
								(gdouble)self->sync_total
						      : 0.0);
		json_object_set_double_member(sync, "elapsed_s",
					      (gdouble)(now - self->sync_start_us) / 1e6);
		if (self->state == CC_COLO_SYNC_RAM && self->migration_report != NULL)
			json_object_set_object_member(sync, "migration",
						      json_object_ref(self->migration_report));
		json_object_set_object_member(o, "sync", sync);
	} else {
		json_object_unref(sync);
	}
	for (gint i = P; i <= S; i++) {
		JsonObject *h = json_object_new();
		json_object_set_string_member(h, "member", cc_qemu_get_name(self->member[i]));
		if (self->health[i].status != NULL)
			json_object_set_string_member(h, "status", self->health[i].status);
		if (self->health[i].mode != NULL)
			json_object_set_string_member(h, "colo_mode", self->health[i].mode);
		if (self->state == CC_COLO_PROTECTED)
			json_object_set_double_member(
				h, "last_reply_ms_ago",
				(gdouble)(now - self->health[i].last_reply_us) / 1000.0);
		json_object_set_object_member(health, cc_colo_roles[i], h);
	}
	json_object_set_object_member(o, "health", health);
	json_object_set_int_member(o, "hang_ms", self->params.hang_ms);
	json_object_set_int_member(o, "checkpoint_hang_ms", self->params.checkpoint_hang_ms);
	json_object_set_boolean_member(filters, "network", self->spec.net);
	if (!self->spec.net) {
		json_object_set_string_member(filters, "enable_when_stopped", "not-needed");
		json_object_set_string_member(
			filters, "note", "no guest network: checkpoints run on the timer alone");
	} else if (pc != NULL && pc->enable_when_stopped) {
		json_object_set_string_member(filters, "enable_when_stopped", "set");
	} else {
		g_autofree gchar *note = g_strdup_printf(
			"QEMU %s has no enable_when_stopped on filter-redirector; left out",
			pc != NULL ? pc->version : "?");
		json_object_set_string_member(filters, "enable_when_stopped", "unavailable");
		json_object_set_string_member(filters, "note", note);
	}
	json_object_set_object_member(o, "filters", filters);
	if (self->last_failover != NULL)
		json_object_set_object_member(o, "last_failover",
					      json_object_ref(self->last_failover));
	return o;
}

/* ------------------------------------------------------------------ object */

static void
cc_colo_dispose(GObject *object)
{
	CcColo *self = CC_COLO(object);
	cc_colo_stop_timers(self);
	cc_colo_disconnect(self);
	g_clear_object(&self->member[P]);
	g_clear_object(&self->member[S]);
	G_OBJECT_CLASS(cc_colo_parent_class)->dispose(object);
}

static void
cc_colo_finalize(GObject *object)
{
	CcColo *self = CC_COLO(object);
	g_free(self->guest);
	g_free(self->probe_error);
	g_free(self->pending_cause);
	g_free(self->lost_cause);
	g_clear_error(&self->abort_error);
	g_clear_pointer(&self->exit_detail, json_object_unref);
	g_ptr_array_unref(self->strings);
	g_strfreev(self->secondary_argv);
	g_clear_pointer(&self->progress, cc_progress_free);
	g_clear_pointer(&self->migration_report, json_object_unref);
	g_clear_pointer(&self->last_failover, json_object_unref);
	g_clear_pointer(&self->steps, json_array_unref);
	g_free(self->cause);
	for (guint i = 0; i < 2; i++) {
		g_free(self->health[i].status);
		g_free(self->health[i].mode);
	}
	G_OBJECT_CLASS(cc_colo_parent_class)->finalize(object);
}

static void
cc_colo_class_init(CcColoClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->dispose = cc_colo_dispose;
	object_class->finalize = cc_colo_finalize;
	/**
	 * CcColo::event:
	 * @kind: colo-disk-sync-started, colo-disk-synced, colo-migration-started,
	 *        protected, protect-failed, colo-mode, colo-exit, colo-lost, failover,
	 *        failover-failed
	 * @detail: what happened, as JSON
	 */
	signals[SIGNAL_EVENT] =
		g_signal_new("event", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
			     NULL, G_TYPE_NONE, 2, G_TYPE_STRING, JSON_TYPE_OBJECT);
	/**
	 * CcColo::finished:
	 * @survivor: (nullable): the member that runs the guest now
	 * @detail: why it ended
	 */
	signals[SIGNAL_FINISHED] =
		g_signal_new("finished", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
			     NULL, G_TYPE_NONE, 2, CC_TYPE_QEMU, JSON_TYPE_OBJECT);
}

static void
cc_colo_init(CcColo *self)
{
	self->strings = g_ptr_array_new_with_free_func(g_free);
}

static const gchar *
cc_colo_keep(CcColo *self, const gchar *s)
{
	gchar *copy = g_strdup(s);
	if (copy != NULL)
		g_ptr_array_add(self->strings, copy);
	return copy;
}

CcColo *
cc_colo_new(const gchar *guest, CcQemu *primary, CcQemu *secondary, const CcPairSpec *spec,
	    guint64 disk_size, const CcColoParams *params)
{
	CcColo *self = g_object_new(CC_TYPE_COLO, NULL);
	CcProgressConfig pc;

	self->guest = g_strdup(guest);
	self->member[P] = g_object_ref(primary);
	self->member[S] = g_object_ref(secondary);
	self->spec = *spec;
	self->spec.guest = cc_colo_keep(self, spec->guest);
	self->spec.primary_address = cc_colo_keep(self, spec->primary_address);
	self->spec.secondary_address = cc_colo_keep(self, spec->secondary_address);
	self->spec.sock_dir = cc_colo_keep(self, spec->sock_dir);
	self->spec.sock_prefix = cc_colo_keep(self, spec->sock_prefix);
	self->spec.secondary_disk = cc_colo_keep(self, spec->secondary_disk);
	self->spec.active_disk = cc_colo_keep(self, spec->active_disk);
	self->spec.hidden_disk = cc_colo_keep(self, spec->hidden_disk);
	self->disk_size = disk_size;
	self->params = *params;
	self->params.qemu_img = cc_colo_keep(self, params->qemu_img);
	cc_progress_config_init(&pc);
	self->progress = cc_progress_new(&pc);
	self->state = CC_COLO_PREPARING;
	return self;
}
