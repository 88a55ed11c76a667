/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "CcProcess"

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib-unix.h>

#include "cc-process.h"
#include "colo-error.h"

struct _CcProcess {
	GObject parent_instance;
	GPid pid;
	gint pidfd;
	guint64 start_time;
	gboolean is_child;
	gboolean exited;
	gint wait_status; /* -1 when unknown (not our child) */
	guint watch_id;
};

enum { SIGNAL_EXITED, SIGNAL_LAST };
static guint signals[SIGNAL_LAST] = {0};

G_DEFINE_TYPE(CcProcess, cc_process, G_TYPE_OBJECT)

/* reads state and start time (clock ticks since boot) from /proc/PID/stat */
gboolean
cc_proc_read_stat(GPid pid, gchar *state, guint64 *start_time, GError **error)
{
	g_autofree gchar *path = g_strdup_printf("/proc/%d/stat", (gint)pid);
	g_autofree gchar *buf = NULL;
	g_auto(GStrv) fields = NULL;
	const gchar *rparen;

	if (!g_file_get_contents(path, &buf, NULL, NULL)) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_NOT_FOUND, "no process %d", (gint)pid);
		return FALSE;
	}
	/* the command name may hold spaces and parentheses: split after the last ')' */
	rparen = strrchr(buf, ')');
	if (rparen == NULL || rparen[1] == '\0') {
		g_set_error(error, COLO_ERROR, COLO_ERROR_INTERNAL, "cannot parse %s", path);
		return FALSE;
	}
	fields = g_strsplit(rparen + 2, " ", -1);
	/* fields[0] is field 3 (state); start time is field 22 -> index 19 */
	if (g_strv_length(fields) < 20) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_INTERNAL, "short %s", path);
		return FALSE;
	}
	if (state != NULL)
		*state = fields[0][0];
	if (start_time != NULL)
		*start_time = g_ascii_strtoull(fields[19], NULL, 10);
	return TRUE;
}

static void
cc_process_mark_exited(CcProcess *self, gint wait_status)
{
	if (self->exited)
		return;
	self->exited = TRUE;
	self->wait_status = wait_status;
	self->watch_id = 0;
	if (self->pidfd >= 0) {
		close(self->pidfd);
		self->pidfd = -1;
	}
	g_signal_emit(self, signals[SIGNAL_EXITED], 0, wait_status);
}

static void
cc_process_child_watch_cb(GPid pid, gint wait_status, gpointer user_data)
{
	CcProcess *self = CC_PROCESS(user_data);
	g_spawn_close_pid(pid);
	cc_process_mark_exited(self, wait_status);
}

static gboolean
cc_process_pidfd_cb(gint fd, GIOCondition condition, gpointer user_data)
{
	CcProcess *self = CC_PROCESS(user_data);
	self->watch_id = 0;
	cc_process_mark_exited(self, -1);
	return G_SOURCE_REMOVE;
}

static gint
cc_process_pidfd_open(GPid pid)
{
#ifdef SYS_pidfd_open
	return (gint)syscall(SYS_pidfd_open, pid, 0);
#else
	errno = ENOSYS;
	return -1;
#endif
}

CcProcess *
cc_process_new_child(GPid pid)
{
	CcProcess *self = g_object_new(CC_TYPE_PROCESS, NULL);
	self->pid = pid;
	self->is_child = TRUE;
	self->pidfd = cc_process_pidfd_open(pid);
	cc_proc_read_stat(pid, NULL, &self->start_time, NULL);
	/* the child watch holds a ref so the zombie is always reaped */
	self->watch_id = g_child_watch_add_full(G_PRIORITY_DEFAULT, pid, cc_process_child_watch_cb,
						g_object_ref(self), g_object_unref);
	return self;
}

CcProcess *
cc_process_new_attach(GPid pid, guint64 start_time, GError **error)
{
	g_autoptr(CcProcess) self = g_object_new(CC_TYPE_PROCESS, NULL);
	guint64 actual = 0;
	gchar state = '?';

	self->pid = pid;
	self->pidfd = cc_process_pidfd_open(pid);
	if (self->pidfd < 0) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_NOT_FOUND, "process %d is gone: %s",
			    (gint)pid, g_strerror(errno));
		return NULL;
	}
	/* read after opening the pidfd so a recycled pid is caught by the start time */
	if (!cc_proc_read_stat(pid, &state, &actual, error))
		return NULL;
	if (start_time != 0 && actual != start_time) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_NOT_FOUND,
			    "process %d was recycled: start time %" G_GUINT64_FORMAT
			    ", expected %" G_GUINT64_FORMAT,
			    (gint)pid, actual, start_time);
		return NULL;
	}
	if (state == 'Z' || state == 'X') {
		g_set_error(error, COLO_ERROR, COLO_ERROR_NOT_FOUND, "process %d is a zombie", pid);
		return NULL;
	}
	self->start_time = actual;
	self->watch_id =
		g_unix_fd_add_full(G_PRIORITY_DEFAULT, self->pidfd, G_IO_IN | G_IO_HUP | G_IO_ERR,
				   cc_process_pidfd_cb, g_object_ref(self), g_object_unref);
	return g_steal_pointer(&self);
}

gboolean
cc_process_kill(CcProcess *self, gint signo, GError **error)
{
	gint rc;

	if (self->exited)
		return TRUE;
#ifdef SYS_pidfd_send_signal
	if (self->pidfd >= 0)
		rc = (gint)syscall(SYS_pidfd_send_signal, self->pidfd, signo, NULL, 0);
	else
#endif
		rc = kill(self->pid, signo);
	if (rc != 0 && errno != ESRCH) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_INTERNAL,
			    "cannot send signal %d to %d: %s", signo, (gint)self->pid,
			    g_strerror(errno));
		return FALSE;
	}
	return TRUE;
}

gchar
cc_process_get_proc_state(CcProcess *self)
{
	gchar state = '?';
	if (self->exited)
		return 'X';
	if (!cc_proc_read_stat(self->pid, &state, NULL, NULL))
		return 'X';
	return state;
}

gchar *
cc_process_describe_exit(CcProcess *self)
{
	if (!self->exited)
		return g_strdup("running");
	if (self->wait_status < 0)
		return g_strdup("exited (status unknown: not our child)");
	if (WIFEXITED(self->wait_status))
		return g_strdup_printf("exited with status %d", WEXITSTATUS(self->wait_status));
	if (WIFSIGNALED(self->wait_status))
		return g_strdup_printf("killed by signal %d (%s)", WTERMSIG(self->wait_status),
				       g_strsignal(WTERMSIG(self->wait_status)));
	return g_strdup_printf("ended with wait status 0x%x", (guint)self->wait_status);
}

GPid
cc_process_get_pid(CcProcess *self)
{
	return self->pid;
}

guint64
cc_process_get_start_time(CcProcess *self)
{
	return self->start_time;
}

gboolean
cc_process_get_exited(CcProcess *self)
{
	return self->exited;
}

gint
cc_process_get_wait_status(CcProcess *self)
{
	return self->wait_status;
}

static void
cc_process_init(CcProcess *self)
{
	self->pidfd = -1;
	self->wait_status = -1;
}

static void
cc_process_finalize(GObject *object)
{
	CcProcess *self = CC_PROCESS(object);
	if (self->pidfd >= 0)
		close(self->pidfd);
	G_OBJECT_CLASS(cc_process_parent_class)->finalize(object);
}

static void
cc_process_class_init(CcProcessClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->finalize = cc_process_finalize;
	signals[SIGNAL_EXITED] = g_signal_new("exited", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST,
					      0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT);
}
