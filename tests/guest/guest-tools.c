// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * guest-tools: static multi-call helper for the coloctl test guest.
 *
 * Build: gcc -static -O2 -Wall -Wextra -o guest-tools guest-tools.c
 *
 * Usage: guest-tools SUBCOMMAND [ARGS...]   (or invoked through a symlink named SUBCOMMAND)
 *
 *   echo-server PORT [--daemon]
 *   diskwrite DEV [--start N] [--count N] [--interval-ms N] [--acked-file PATH]
 *   diskverify DEV [--acked-file PATH]
 *   dirty RATE_MIB [BUF_MIB]
 *   ctl-server PORT [--daemon] [--dev DEV] [--dirty RATE_MIB] [--diskwriter]
 *
 * On-disk block format (4096 bytes, all integers little-endian), block number == seq:
 *   [0, 8)     magic "COLOBLK1"
 *   [8, 16)    seq
 *   [16, 24)   run id (random per diskwrite invocation)
 *   [24, 32)   checksum: FNV-1a 64 over bytes [0, 24) followed by [32, 4096)
 *   [32, 4096) filler: 508 words, word i = splitmix64(seq * 512 + i)
 *
 * See README.md in this directory for the ctl-server protocol.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/fs.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BLK_SIZE          4096
#define BLK_MAGIC         "COLOBLK1"
#define BLK_MAGIC_LEN     8
#define BLK_OFF_SEQ       8
#define BLK_OFF_RUNID     16
#define BLK_OFF_CSUM      24
#define BLK_OFF_FILL      32
#define DEFAULT_ACKED     "/run/diskwriter.acked"
#define DEFAULT_DEV       "/dev/vda"
#define DEFAULT_INTERVAL  10
#define DEFAULT_DIRTY_BUF 64
#define CTL_MAX_CLIENTS   32
#define CTL_LINE_MAX      512

static const char *prog = "guest-tools";

static void
logmsg(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---------------------------------------------------------------------------------------- */
/* helpers */

static int
parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

static int
parse_rate(const char *s, double *out)
{
	char *end;
	double v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v < 0 || v > 1e6)
		return -1;
	*out = v;
	return 0;
}

static int
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t r = write(fd, p, len);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

static double
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
sleep_ms(unsigned int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

	/* interrupted sleeps return early on purpose: callers re-check their stop flag */
	nanosleep(&ts, NULL);
}

static void
put_le64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t
get_le64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME  0x100000001b3ULL

static uint64_t
fnv1a64(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= FNV_PRIME;
	}
	return h;
}

static uint64_t
splitmix64(uint64_t x)
{
	uint64_t z = x + 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void
close_from(int lowfd)
{
	if (close_range((unsigned int)lowfd, ~0U, 0) == 0)
		return;
	for (int fd = lowfd; fd < 1024; fd++)
		close(fd);
}

/* Open a block device (or plain file, for host-side testing); O_DIRECT when supported. */
static int
open_dev(const char *dev, int flags, uint64_t *size)
{
	struct stat st;
	int fd = open(dev, flags | O_DIRECT | O_CLOEXEC);

	if (fd < 0 && errno == EINVAL) {
		/* e.g. tmpfs on the host: fall back to buffered I/O */
		fd = open(dev, flags | O_CLOEXEC);
	}
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		goto fail;
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, size) < 0)
			goto fail;
	} else {
		*size = (uint64_t)st.st_size;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

/* ---------------------------------------------------------------------------------------- */
/* block format */

static uint64_t
blk_csum(const unsigned char *b)
{
	uint64_t h = fnv1a64(FNV_OFFSET, b, BLK_OFF_CSUM);

	return fnv1a64(h, b + BLK_OFF_FILL, BLK_SIZE - BLK_OFF_FILL);
}

static void
blk_fill(unsigned char *b, uint64_t seq, uint64_t run_id)
{
	memcpy(b, BLK_MAGIC, BLK_MAGIC_LEN);
	put_le64(b + BLK_OFF_SEQ, seq);
	put_le64(b + BLK_OFF_RUNID, run_id);
	for (unsigned int i = 0; i < (BLK_SIZE - BLK_OFF_FILL) / 8; i++)
		put_le64(b + BLK_OFF_FILL + 8 * i, splitmix64(seq * 512 + i));
	put_le64(b + BLK_OFF_CSUM, blk_csum(b));
}

static int
blk_filler_ok(const unsigned char *b, uint64_t seq)
{
	for (unsigned int i = 0; i < (BLK_SIZE - BLK_OFF_FILL) / 8; i++)
		if (get_le64(b + BLK_OFF_FILL + 8 * i) != splitmix64(seq * 512 + i))
			return 0;
	return 1;
}

static uint64_t
make_run_id(void)
{
	char buf[64] = "";
	struct timespec ts;
	uint64_t h = FNV_OFFSET;
	int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		ssize_t r = read(fd, buf, sizeof(buf));

		if (r > 0)
			h = fnv1a64(h, buf, (size_t)r);
		close(fd);
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	h ^= splitmix64((uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec);
	h ^= splitmix64((uint64_t)getpid() << 32);
	return h;
}

/* Returns 1 and sets *acked if the acked file exists and parses, 0 if absent, -1 on error. */
static int
read_acked(const char *path, int64_t *acked)
{
	char buf[64];
	char *end;
	ssize_t r;
	long long v;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return -1;
	buf[r] = '\0';
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (errno || end == buf || (*end && *end != '\n') || v < -1)
		return -1;
	*acked = v;
	return 1;
}

static int
write_acked(const char *path, uint64_t seq)
{
	char tmp[PATH_MAX];
	char buf[32];
	int fd, n, ret = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	n = snprintf(buf, sizeof(buf), "%" PRIu64 "\n", seq);
	if (write_all(fd, buf, (size_t)n) < 0)
		ret = -1;
	if (close(fd) < 0)
		ret = -1;
	if (ret == 0 && rename(tmp, path) < 0)
		ret = -1;
	return ret;
}

/* ---------------------------------------------------------------------------------------- */
/* diskwrite */

static volatile sig_atomic_t stop_requested;

static void
on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static int
diskwrite_run(const char *dev, uint64_t start, uint64_t count, unsigned int interval_ms,
	      const char *acked_path)
{
	struct sigaction sa;
	unsigned char *buf;
	void *mem;
	uint64_t size, seq, written = 0, run_id;
	int fd, ret = 0;

	prctl(PR_SET_NAME, "diskwriter", 0, 0, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal; /* no SA_RESTART: let sleeps return early */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	fd = open_dev(dev, O_WRONLY | O_DSYNC, &size);
	if (fd < 0) {
		logmsg("diskwrite: cannot open %s: %s", dev, strerror(errno));
		return 1;
	}
	if (posix_memalign(&mem, BLK_SIZE, BLK_SIZE) != 0) {
		logmsg("diskwrite: out of memory");
		close(fd);
		return 1;
	}
	buf = mem;
	run_id = make_run_id();
	logmsg("diskwrite: %s size=%" PRIu64 " start=%" PRIu64 " count=%" PRIu64
	       " interval=%ums run_id=%016" PRIx64,
	       dev, size, start, count, interval_ms, run_id);

	for (seq = start; !stop_requested && (count == 0 || written < count);) {
		ssize_t r;

		if ((seq + 1) * BLK_SIZE > size) {
			logmsg("diskwrite: end of device reached at seq %" PRIu64, seq);
			break;
		}
		blk_fill(buf, seq, run_id);
		r = pwrite(fd, buf, BLK_SIZE, (off_t)(seq * BLK_SIZE));
		if (r < 0 && errno == EINTR)
			continue;
		if (r != BLK_SIZE) {
			logmsg("diskwrite: write of seq %" PRIu64 " failed: %s", seq,
			       r < 0 ? strerror(errno) : "short write");
			ret = 1;
			break;
		}
		/* the write is acknowledged (O_DSYNC): only now record it */
		if (write_acked(acked_path, seq) < 0) {
			logmsg("diskwrite: cannot record acked seq in %s: %s", acked_path,
			       strerror(errno));
			ret = 1;
			break;
		}
		seq++;
		written++;
		if (interval_ms && !stop_requested)
			sleep_ms(interval_ms);
	}
	logmsg("diskwrite: stopped after %" PRIu64 " blocks (next seq %" PRIu64 ")", written, seq);
	free(buf);
	close(fd);
	return ret;
}

static int
cmd_diskwrite(int argc, char **argv)
{
	const char *dev = NULL, *acked = DEFAULT_ACKED;
	uint64_t start = 0, count = 0, interval = DEFAULT_INTERVAL;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--start") && i + 1 < argc) {
			if (parse_u64(argv[++i], &start) < 0)
				goto usage;
		} else if (!strcmp(a, "--count") && i + 1 < argc) {
			if (parse_u64(argv[++i], &count) < 0)
				goto usage;
		} else if (!strcmp(a, "--interval-ms") && i + 1 < argc) {
			if (parse_u64(argv[++i], &interval) < 0 || interval > 3600000)
				goto usage;
		} else if (!strcmp(a, "--acked-file") && i + 1 < argc) {
			acked = argv[++i];
		} else if (a[0] != '-' && !dev) {
			dev = a;
		} else {
			goto usage;
		}
	}
	if (!dev)
		goto usage;
	return diskwrite_run(dev, start, count, (unsigned int)interval, acked);
usage:
	fprintf(stderr,
		"usage: %s diskwrite DEV [--start N] [--count N] [--interval-ms N] "
		"[--acked-file PATH]\n",
		prog);
	return 2;
}

/* ---------------------------------------------------------------------------------------- */
/* diskverify */

/* Writes the result line (without newline) to out; returns 0 if OK, 1 on failure. */
static int
diskverify_run(const char *dev, const char *acked_path, char *out, size_t outlen)
{
	unsigned char *buf;
	void *mem;
	uint64_t size, n;
	int64_t acked = -1;
	int fd, rc, ret = 1;

	fd = open_dev(dev, O_RDONLY, &size);
	if (fd < 0) {
		snprintf(out, outlen, "VERIFY FAIL cannot open %s: %s", dev, strerror(errno));
		return 1;
	}
	if (posix_memalign(&mem, BLK_SIZE, BLK_SIZE) != 0) {
		snprintf(out, outlen, "VERIFY FAIL out of memory");
		close(fd);
		return 1;
	}
	buf = mem;
	for (n = 0; (n + 1) * BLK_SIZE <= size; n++) {
		ssize_t r = pread(fd, buf, BLK_SIZE, (off_t)(n * BLK_SIZE));
		uint64_t seq;

		if (r < 0 && errno == EINTR) {
			n--;
			continue;
		}
		if (r < 0) {
			snprintf(out, outlen, "VERIFY FAIL read error at block %" PRIu64 ": %s", n,
				 strerror(errno));
			goto out;
		}
		if (r < BLK_SIZE || memcmp(buf, BLK_MAGIC, BLK_MAGIC_LEN) != 0)
			break;
		if (get_le64(buf + BLK_OFF_CSUM) != blk_csum(buf)) {
			snprintf(out, outlen, "VERIFY FAIL bad checksum at block %" PRIu64, n);
			goto out;
		}
		seq = get_le64(buf + BLK_OFF_SEQ);
		if (seq != n) {
			snprintf(out, outlen,
				 "VERIFY FAIL seq not contiguous at block %" PRIu64 " (seq %" PRIu64
				 ")",
				 n, seq);
			goto out;
		}
		if (!blk_filler_ok(buf, seq)) {
			snprintf(out, outlen, "VERIFY FAIL bad filler at block %" PRIu64, n);
			goto out;
		}
	}
	rc = read_acked(acked_path, &acked);
	if (rc < 0) {
		snprintf(out, outlen, "VERIFY FAIL unreadable %s", acked_path);
		goto out;
	}
	if (rc > 0 && acked >= 0 && (n == 0 || (int64_t)(n - 1) < acked)) {
		snprintf(out, outlen,
			 "VERIFY FAIL lost acked writes: acked=%" PRId64 " blocks=%" PRIu64, acked,
			 n);
		goto out;
	}
	snprintf(out, outlen, "VERIFY OK blocks=%" PRIu64, n);
	ret = 0;
out:
	free(buf);
	close(fd);
	return ret;
}

static int
cmd_diskverify(int argc, char **argv)
{
	const char *dev = NULL, *acked = DEFAULT_ACKED;
	char line[256];
	int ret;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--acked-file") && i + 1 < argc) {
			acked = argv[++i];
		} else if (argv[i][0] != '-' && !dev) {
			dev = argv[i];
		} else {
			fprintf(stderr, "usage: %s diskverify DEV [--acked-file PATH]\n", prog);
			return 2;
		}
	}
	if (!dev) {
		fprintf(stderr, "usage: %s diskverify DEV [--acked-file PATH]\n", prog);
		return 2;
	}
	ret = diskverify_run(dev, acked, line, sizeof(line));
	printf("%s\n", line);
	return ret;
}

/* ---------------------------------------------------------------------------------------- */
/* dirty */

static int
dirty_run(double rate_mib, uint64_t buf_mib)
{
	const long slice_ns = 10 * 1000000L;
	size_t size = (size_t)buf_mib << 20, pages = size / 4096, idx = 0;
	double pages_per_slice = rate_mib * 256.0 / 100.0, budget = 0;
	volatile unsigned char *mem;
	struct timespec next, now;

	prctl(PR_SET_NAME, "dirtier", 0, 0, 0);
	if (rate_mib <= 0) {
		for (;;)
			pause();
	}
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		logmsg("dirty: cannot allocate %" PRIu64 " MiB: %s", buf_mib, strerror(errno));
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (;;) {
		long n;

		budget += pages_per_slice;
		n = (long)budget;
		budget -= (double)n;
		while (n-- > 0) {
			mem[idx * 4096]++;
			if (++idx == pages)
				idx = 0;
		}
		next.tv_nsec += slice_ns;
		if (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > next.tv_sec + 1) {
			/* fell far behind (e.g. VM paused): do not burst to catch up */
			next = now;
		}
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
			;
	}
	return 0;
}

static int
cmd_dirty(int argc, char **argv)
{
	double rate;
	uint64_t buf_mib = DEFAULT_DIRTY_BUF;

	if (argc < 1 || argc > 2 || parse_rate(argv[0], &rate) < 0 ||
	    (argc == 2 && (parse_u64(argv[1], &buf_mib) < 0 || buf_mib == 0 || buf_mib > 65536))) {
		fprintf(stderr, "usage: %s dirty RATE_MIB [BUF_MIB]\n", prog);
		return 2;
	}
	return dirty_run(rate, buf_mib);
}

/* ---------------------------------------------------------------------------------------- */
/* TCP servers */

static int
tcp_listen(const char *port_str)
{
	struct sockaddr_in sin;
	uint64_t port;
	int fd, one = 1;

	if (parse_u64(port_str, &port) < 0 || port == 0 || port > 65535) {
		logmsg("invalid port '%s'", port_str);
		return -1;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		logmsg("socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_ANY);
	sin.sin_port = htons((uint16_t)port);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(fd, 64) < 0) {
		logmsg("bind/listen on port %" PRIu64 ": %s", port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Fork into the background once the socket is listening: the parent exits 0. */
static void
daemonize(void)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0) {
		logmsg("fork: %s", strerror(errno));
		exit(1);
	}
	if (pid > 0)
		_exit(0);
	setsid();
	if (chdir("/") < 0) {
		/* not fatal */
	}
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		if (fd != STDIN_FILENO)
			close(fd);
	}
}

static void
echo_conn(int fd)
{
	char buf[65536];

	for (;;) {
		ssize_t r = read(fd, buf, sizeof(buf));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (write_all(fd, buf, (size_t)r) < 0)
			break;
	}
}

static int
cmd_echo_server(int argc, char **argv)
{
	int lfd, background;

	if (argc < 1 || argc > 2 || (argc == 2 && strcmp(argv[1], "--daemon") != 0)) {
		fprintf(stderr, "usage: %s echo-server PORT [--daemon]\n", prog);
		return 2;
	}
	background = argc == 2;
	lfd = tcp_listen(argv[0]);
	if (lfd < 0)
		return 1;
	signal(SIGCHLD, SIG_IGN); /* auto-reap connection handlers */
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_NAME, "echo-server", 0, 0, 0);
	if (background)
		daemonize();
	for (;;) {
		int one = 1, cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		pid_t pid;

		if (cfd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOMEM ||
			    errno == ENOBUFS)
				sleep_ms(100);
			continue; /* never exit on client errors */
		}
		setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		pid = fork();
		if (pid == 0) {
			close(lfd);
			echo_conn(cfd);
			_exit(0);
		}
		if (pid < 0)
			logmsg("echo-server: fork: %s", strerror(errno));
		close(cfd);
	}
}

/* ---------------------------------------------------------------------------------------- */
/* ctl-server */

struct ctl_client {
	int fd;
	size_t len;
	char buf[CTL_LINE_MAX];
};

struct ctl_state {
	const char *dev;
	pid_t writer_pid;
	pid_t dirty_pid;
	double dirty_rate;
};

static void
ctl_reap(struct ctl_state *st)
{
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == st->writer_pid) {
			st->writer_pid = 0;
			logmsg("ctl-server: disk writer exited (status %d)", status);
		} else if (pid == st->dirty_pid) {
			st->dirty_pid = 0;
			logmsg("ctl-server: dirtier exited (status %d)", status);
		}
	}
}

/* Terminate a child: sig first, SIGKILL after timeout_ms; always reaps it. */
static void
ctl_kill_child(pid_t *pidp, int sig, unsigned int timeout_ms)
{
	pid_t pid = *pidp;
	double deadline = now_mono() + timeout_ms / 1000.0;

	if (pid <= 0)
		return;
	kill(pid, sig);
	for (;;) {
		pid_t r = waitpid(pid, NULL, WNOHANG);

		if (r == pid || (r < 0 && errno == ECHILD))
			break;
		if (now_mono() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			break;
		}
		sleep_ms(5);
	}
	*pidp = 0;
}

/* Fork a worker child; the child never returns. */
static pid_t
ctl_spawn(int (*fn)(void *), void *arg)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	/* child: drop the listening socket and client connections */
	close_from(3);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	_exit(fn(arg));
}

struct writer_args {
	const char *dev;
	uint64_t start;
	unsigned int interval_ms;
};

static int
writer_child(void *p)
{
	struct writer_args *a = p;

	return diskwrite_run(a->dev, a->start, 0, a->interval_ms, DEFAULT_ACKED);
}

struct dirty_args {
	double rate;
	uint64_t buf_mib;
};

static int
dirty_child(void *p)
{
	struct dirty_args *a = p;

	return dirty_run(a->rate, a->buf_mib);
}

static int
ctl_start_writer(struct ctl_state *st, unsigned int interval_ms)
{
	struct writer_args a = {.dev = st->dev, .interval_ms = interval_ms};
	int64_t acked = -1;

	if (st->writer_pid > 0)
		return 0;
	/* resume after the last acknowledged block so the disk stays contiguous */
	if (read_acked(DEFAULT_ACKED, &acked) > 0 && acked >= 0)
		a.start = (uint64_t)acked + 1;
	st->writer_pid = ctl_spawn(writer_child, &a);
	if (st->writer_pid < 0) {
		st->writer_pid = 0;
		return -1;
	}
	return 0;
}

static int
ctl_set_dirty(struct ctl_state *st, double rate, uint64_t buf_mib)
{
	struct dirty_args a = {.rate = rate, .buf_mib = buf_mib};

	ctl_kill_child(&st->dirty_pid, SIGKILL, 2000);
	st->dirty_rate = 0;
	if (rate <= 0)
		return 0;
	st->dirty_pid = ctl_spawn(dirty_child, &a);
	if (st->dirty_pid < 0) {
		st->dirty_pid = 0;
		return -1;
	}
	st->dirty_rate = rate;
	return 0;
}

/* Handle one command line; returns 0 to keep the connection, -1 to close it. */
static int
ctl_command(struct ctl_state *st, char *line, char *reply, size_t rlen)
{
	char *argv[4] = {NULL};
	char *save = NULL, *tok;
	int argc = 0;

	for (tok = strtok_r(line, " \t\r", &save); tok && argc < 4;
	     tok = strtok_r(NULL, " \t\r", &save))
		argv[argc++] = tok;
	if (tok) {
		snprintf(reply, rlen, "ERR too many arguments");
		return 0;
	}
	if (argc == 0) {
		reply[0] = '\0'; /* empty line: no reply */
		return 0;
	}
	if (!strcmp(argv[0], "ping") && argc == 1) {
		snprintf(reply, rlen, "PONG");
	} else if (!strcmp(argv[0], "uptime") && argc == 1) {
		char buf[128] = "";
		int fd = open("/proc/uptime", O_RDONLY | O_CLOEXEC);
		ssize_t r = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

		if (fd >= 0)
			close(fd);
		if (r <= 0) {
			snprintf(reply, rlen, "ERR cannot read /proc/uptime");
		} else {
			buf[r] = '\0';
			buf[strcspn(buf, " \n")] = '\0';
			snprintf(reply, rlen, "%s", buf);
		}
	} else if (!strcmp(argv[0], "sync") && argc == 1) {
		sync();
		snprintf(reply, rlen, "OK");
	} else if (!strcmp(argv[0], "verify") && argc == 1) {
		diskverify_run(st->dev, DEFAULT_ACKED, reply, rlen);
	} else if (!strcmp(argv[0], "dirty") && (argc == 2 || argc == 3)) {
		double rate;
		uint64_t buf_mib = DEFAULT_DIRTY_BUF;

		if (parse_rate(argv[1], &rate) < 0 ||
		    (argc == 3 &&
		     (parse_u64(argv[2], &buf_mib) < 0 || buf_mib == 0 || buf_mib > 65536)))
			snprintf(reply, rlen, "ERR usage: dirty RATE_MIB [BUF_MIB]");
		else if (ctl_set_dirty(st, rate, buf_mib) < 0)
			snprintf(reply, rlen, "ERR fork: %s", strerror(errno));
		else
			snprintf(reply, rlen, "OK");
	} else if (!strcmp(argv[0], "diskwrite") && argc >= 2) {
		uint64_t interval = DEFAULT_INTERVAL;

		ctl_reap(st);
		if (!strcmp(argv[1], "start") && argc <= 3) {
			if (argc == 3 && (parse_u64(argv[2], &interval) < 0 || interval > 3600000))
				snprintf(reply, rlen, "ERR usage: diskwrite start [INTERVAL_MS]");
			else if (ctl_start_writer(st, (unsigned int)interval) < 0)
				snprintf(reply, rlen, "ERR fork: %s", strerror(errno));
			else
				snprintf(reply, rlen, "OK");
		} else if (!strcmp(argv[1], "stop") && argc == 2) {
			ctl_kill_child(&st->writer_pid, SIGTERM, 10000);
			snprintf(reply, rlen, "OK");
		} else if (!strcmp(argv[1], "status") && argc == 2) {
			int64_t acked = -1;

			if (read_acked(DEFAULT_ACKED, &acked) <= 0)
				acked = -1;
			snprintf(reply, rlen, "acked=%" PRId64 " running=%d", acked,
				 st->writer_pid > 0);
		} else {
			snprintf(reply, rlen, "ERR usage: diskwrite start|stop|status");
		}
	} else if (!strcmp(argv[0], "quit") && argc == 1) {
		snprintf(reply, rlen, "BYE");
		return -1;
	} else {
		snprintf(reply, rlen, "ERR unknown command");
	}
	return 0;
}

static int
ctl_send_reply(int fd, const char *reply)
{
	char out[CTL_LINE_MAX + 2];
	int n = snprintf(out, sizeof(out), "%.*s\n", CTL_LINE_MAX, reply);

	/* replies are tiny: a client that does not read them gets disconnected */
	return send(fd, out, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) == n ? 0 : -1;
}

/* Process every complete line in the client buffer; returns -1 to close the connection. */
static int
ctl_process(struct ctl_state *st, struct ctl_client *c, int eof)
{
	char line[CTL_LINE_MAX + 1], reply[CTL_LINE_MAX];

	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);
		size_t linelen, consumed;
		int keep;

		if (nl) {
			linelen = (size_t)(nl - c->buf);
			consumed = linelen + 1;
		} else if (c->len == sizeof(c->buf)) {
			ctl_send_reply(c->fd, "ERR line too long");
			return -1;
		} else if (eof && c->len > 0) {
			/* last line without a newline before EOF */
			linelen = consumed = c->len;
		} else {
			return eof ? -1 : 0;
		}
		memcpy(line, c->buf, linelen);
		line[linelen] = '\0';
		c->len -= consumed;
		memmove(c->buf, c->buf + consumed, c->len);
		keep = ctl_command(st, line, reply, sizeof(reply));
		if (reply[0] && ctl_send_reply(c->fd, reply) < 0)
			return -1;
		if (keep < 0)
			return -1;
	}
}

static int
cmd_ctl_server(int argc, char **argv)
{
	struct ctl_state st = {.dev = DEFAULT_DEV};
	struct ctl_client clients[CTL_MAX_CLIENTS];
	struct pollfd pfds[CTL_MAX_CLIENTS + 1];
	int lfd, background = 0, start_writer = 0;
	double boot_dirty = 0;

	if (argc < 1)
		goto usage;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--daemon")) {
			background = 1;
		} else if (!strcmp(argv[i], "--diskwriter")) {
			start_writer = 1;
		} else if (!strcmp(argv[i], "--dev") && i + 1 < argc) {
			st.dev = argv[++i];
		} else if (!strcmp(argv[i], "--dirty") && i + 1 < argc) {
			if (parse_rate(argv[++i], &boot_dirty) < 0)
				goto usage;
		} else {
			goto usage;
		}
	}
	lfd = tcp_listen(argv[0]);
	if (lfd < 0)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_NAME, "ctl-server", 0, 0, 0);
	if (background)
		daemonize();
	if (boot_dirty > 0 && ctl_set_dirty(&st, boot_dirty, DEFAULT_DIRTY_BUF) < 0)
		logmsg("ctl-server: cannot start dirtier: %s", strerror(errno));
	if (start_writer && ctl_start_writer(&st, DEFAULT_INTERVAL) < 0)
		logmsg("ctl-server: cannot start disk writer: %s", strerror(errno));

	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		clients[i].fd = -1;
	for (;;) {
		int nfds = 1;

		pfds[0].fd = lfd;
		pfds[0].events = POLLIN;
		for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
			pfds[i + 1].fd = clients[i].fd;
			pfds[i + 1].events = POLLIN;
			pfds[i + 1].revents = 0;
			nfds++;
		}
		if (poll(pfds, (nfds_t)nfds, 1000) < 0 && errno != EINTR) {
			logmsg("ctl-server: poll: %s", strerror(errno));
			sleep_ms(100);
		}
		ctl_reap(&st);
		if (pfds[0].revents & POLLIN) {
			int cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

			if (cfd >= 0) {
				int slot = -1;

				for (int i = 0; i < CTL_MAX_CLIENTS && slot < 0; i++)
					if (clients[i].fd < 0)
						slot = i;
				if (slot < 0) {
					ctl_send_reply(cfd, "ERR too many connections");
					close(cfd);
				} else {
					clients[slot].fd = cfd;
					clients[slot].len = 0;
				}
			}
		}
		for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
			struct ctl_client *c = &clients[i];
			ssize_t r;

			if (c->fd < 0 || pfds[i + 1].fd != c->fd ||
			    !(pfds[i + 1].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			r = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, MSG_DONTWAIT);
			if (r < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (r > 0)
				c->len += (size_t)r;
			if (ctl_process(&st, c, r <= 0) < 0 || r <= 0) {
				close(c->fd);
				c->fd = -1;
			}
		}
	}
usage:
	fprintf(stderr,
		"usage: %s ctl-server PORT [--daemon] [--dev DEV] [--dirty RATE_MIB] "
		"[--diskwriter]\n",
		prog);
	return 2;
}

/* ---------------------------------------------------------------------------------------- */

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{"echo-server", cmd_echo_server}, {"diskwrite", cmd_diskwrite},
	{"diskverify", cmd_diskverify},   {"dirty", cmd_dirty},
	{"ctl-server", cmd_ctl_server},
};

static void
usage(void)
{
	fprintf(stderr,
		"usage: %s SUBCOMMAND [ARGS...]\n"
		"  echo-server PORT [--daemon]\n"
		"  diskwrite DEV [--start N] [--count N] [--interval-ms N] [--acked-file PATH]\n"
		"  diskverify DEV [--acked-file PATH]\n"
		"  dirty RATE_MIB [BUF_MIB]\n"
		"  ctl-server PORT [--daemon] [--dev DEV] [--dirty RATE_MIB] [--diskwriter]\n",
		prog);
}

int
main(int argc, char **argv)
{
	const char *base = argc > 0 ? strrchr(argv[0], '/') : NULL;

	base = base ? base + 1 : (argc > 0 ? argv[0] : prog);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(base, commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	if (argc < 2) {
		usage();
		return 2;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 2, argv + 2);
	fprintf(stderr, "%s: unknown subcommand '%s'\n", prog, argv[1]);
	usage();
	return 2;
}
