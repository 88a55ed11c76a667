# SPDX-License-Identifier: LGPL-2.1-or-later
"""Network fixtures for COLO system tests: namespaces and bridges, a verified TCP echo stream
and the test guest's control service. Python 3 standard library only; needs root.

Topology (all names carry a per-test prefix, so parallel runs do not clash):

    client ns  PREFIX"c":  brc (10.77.0.1/24) -- upa, upb        (the "LAN" and its client)
    host ns A  PREFIX"a":  br0 -- up0 (veth to upa)  +  rep0 10.88.0.1/24 (veth to B's rep0)
    host ns B  PREFIX"b":  br0 -- up0 (veth to upb)  +  rep0 10.88.0.2/24 (veth to A's rep0)

A guest NIC attached to br0 in A or in B is on the client's LAN: coloctl can say
"bridge:br0" with [host] netns= set to topo.ns_a / topo.ns_b. The central bridge keeps the
kernel's default ageing, so frames the guest (or QEMU's announce-self) sends from the other
host move its MAC at once.

EchoStream streams numbered data to the guest's echo service (TCP 7) from the client
namespace and checks every echoed byte; see its docstring for the counters.

ctl() and the wrappers below talk to the guest's ctl-server (TCP 8023, tests/guest/README.md).
"""

import ctypes
import fcntl
import hashlib
import json
import os
import select
import signal
import socket
import struct
import subprocess
import termios
import threading
import time

CLONE_NEWNET = 0x40000000
NETNS_DIR = "/run/netns"
ECHO_PORT = 7
CTL_PORT = 8023

# ----------------------------------------------------------------------------------------------
# network namespaces from Python

_libc = None


def netns_path(ns):
    """The file of a named namespace ("/run/netns/NAME"); an absolute path is kept."""
    return ns if ns.startswith("/") else os.path.join(NETNS_DIR, ns)


def _setns_net(fd):
    if hasattr(os, "setns"):  # Python >= 3.12
        os.setns(fd, CLONE_NEWNET)
        return
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
        _libc.setns.argtypes = [ctypes.c_int, ctypes.c_int]
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"setns: {os.strerror(err)}")


def in_netns(ns, fn, *args, timeout=10.0):
    """Runs fn(*args) in a short-lived thread that has joined network namespace ns (setns
    changes only the calling thread's namespace on Linux) and returns its result. ns None or
    "" runs fn in the caller's thread. Sockets created this way stay in ns for their whole
    life and can be used from any thread."""
    if not ns:
        return fn(*args)
    result = {}

    def worker():
        try:
            fd = os.open(netns_path(ns), os.O_RDONLY | os.O_CLOEXEC)
            try:
                _setns_net(fd)
            finally:
                os.close(fd)
            result["value"] = fn(*args)
        except BaseException as e:  # handed to the caller
            result["error"] = e

    t = threading.Thread(target=worker, name=f"netns-{ns}", daemon=True)
    t.start()
    t.join(timeout)
    if "error" in result:
        raise result["error"]
    if "value" not in result:
        raise TimeoutError(f"netns {ns}: call did not return within {timeout} s")
    return result["value"]


def netns_socket(ns, family=socket.AF_INET, kind=socket.SOCK_STREAM):
    """A new socket in network namespace ns (None: the caller's)."""
    try:
        return in_netns(ns, socket.socket, family, kind)
    except OSError as e:
        raise OSError(e.errno, f"cannot create a socket in netns {ns}: {e}") from None


# ----------------------------------------------------------------------------------------------
# Topology


class TopologyError(RuntimeError):
    pass


def _run(argv, timeout=30, check=True, **kw):
    try:
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=timeout, **kw)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise TopologyError(f"{' '.join(argv)}: {e}") from None
    if check and r.returncode != 0:
        raise TopologyError(f"{' '.join(argv)}: exit {r.returncode}: {r.stderr.strip()}")
    return r


def _pid_alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return False


class Topology:
    """Two host namespaces (ns_a, ns_b), each with bridge `bridge` uplinked to a central
    bridge in the client namespace (ns_client), and a replication veth between the hosts.

    Attributes: prefix, ns_a, ns_b, ns_client, namespaces (the three, A, B, client), bridge
    ("br0", in A and B), central_bridge ("brc"), uplink_dev ("up0" in A and B; "upa"/"upb" in
    the client), rep_dev ("rep0"), client_cidr / client_addr ("10.77.0.1"), rep_cidr_a /
    rep_addr_a ("10.88.0.1"), rep_cidr_b / rep_addr_b ("10.88.0.2"), host_lan_cidrs (optional
    addresses on br0 in A and B, default none).

    Use as a context manager or call setup() and, always, teardown().
    """

    def __init__(self, prefix=None, bridge="br0", client_cidr="10.77.0.1/24",
                 rep_cidr_a="10.88.0.1/24", rep_cidr_b="10.88.0.2/24", host_lan_cidrs=None):
        if prefix is None:
            prefix = "colonet-%d-%s-" % (os.getpid(), os.urandom(2).hex())
        self.prefix = prefix
        self.ns_a = prefix + "a"
        self.ns_b = prefix + "b"
        self.ns_client = prefix + "c"
        self.namespaces = (self.ns_a, self.ns_b, self.ns_client)
        self.bridge = bridge
        self.central_bridge = "brc"
        self.uplink_dev = "up0"
        self.rep_dev = "rep0"
        self.client_cidr = client_cidr
        self.client_addr = client_cidr.split("/")[0]
        self.rep_cidr_a = rep_cidr_a
        self.rep_addr_a = rep_cidr_a.split("/")[0]
        self.rep_cidr_b = rep_cidr_b
        self.rep_addr_b = rep_cidr_b.split("/")[0]
        self.host_lan_cidrs = tuple(host_lan_cidrs) if host_lan_cidrs else None
        self._procs = []
        self._created = []  # namespaces this object made: the only ones teardown() deletes
        self._lock = threading.Lock()

    # -------------------------------------------------------------------- helpers
    def host_ns(self, host):
        """The namespace of host "a" or "b" (or 0, 1)."""
        return {"a": self.ns_a, "b": self.ns_b, 0: self.ns_a, 1: self.ns_b}[host]

    def client_port(self, host):
        """The central bridge's port that leads to host "a" or "b"."""
        return {"a": "upa", "b": "upb", 0: "upa", 1: "upb"}[host]

    def ip(self, ns, *args, check=True):
        """Runs `ip -n NS ARGS...` (ns None: the caller's namespace)."""
        argv = ["ip"] + (["-n", ns] if ns else []) + [str(a) for a in args]
        return _run(argv, check=check)

    def run_in(self, ns, argv, check=True, timeout=60, **kw):
        """Runs argv inside ns (`ip netns exec`), returns CompletedProcess (text, captured)."""
        try:
            r = subprocess.run(["ip", "netns", "exec", ns] + list(argv), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, timeout=timeout, **kw)
        except subprocess.TimeoutExpired:
            raise TopologyError(f"in {ns}: {' '.join(argv)}: timed out after {timeout} s") \
                from None
        if check and r.returncode != 0:
            raise TopologyError(f"in {ns}: {' '.join(argv)}: exit {r.returncode}: "
                                f"{r.stderr.strip()}")
        return r

    def popen_in(self, ns, argv, **kw):
        """subprocess.Popen of argv inside ns. `ip netns exec` execs argv, so the Popen's pid
        is argv's own. teardown() kills every process started this way that still runs."""
        p = subprocess.Popen(["ip", "netns", "exec", ns] + list(argv), **kw)
        with self._lock:
            self._procs.append(p)
        return p

    def _sysctl(self, ns, key, value):
        path = "/proc/sys/" + key.replace(".", "/")

        def write():
            with open(path, "w") as f:
                f.write(str(value))

        in_netns(ns, write)

    # -------------------------------------------------------------------- setup
    def setup(self):
        """Creates everything; on any failure removes what was made and raises
        TopologyError."""
        try:
            self._setup()
        except BaseException:
            self.teardown()
            raise
        return self

    def _setup(self):
        for ns in self.namespaces:
            if os.path.exists(netns_path(ns)):
                raise TopologyError(f"netns {ns} exists already")
        for ns in self.namespaces:
            self._created.append(ns)
            _run(["ip", "netns", "add", ns])
            # no IPv6: no DAD, router solicitations or MLD reports from the host side
            for key in ("net.ipv6.conf.all.disable_ipv6", "net.ipv6.conf.default.disable_ipv6"):
                try:
                    self._sysctl(ns, key, 1)
                except OSError:
                    pass  # kernel without IPv6
            self.ip(ns, "link", "set", "lo", "up")
        c = self.ns_client
        # STP off, so ports forward as soon as they are up; default ageing (300 s): the MAC
        # moves as soon as a frame from it arrives on another port
        self.ip(c, "link", "add", self.central_bridge, "type", "bridge", "stp_state", 0,
                "forward_delay", 0)
        self.ip(c, "addr", "add", self.client_cidr, "dev", self.central_bridge)
        self.ip(c, "link", "set", self.central_bridge, "up")
        for host in ("a", "b"):
            ns, port = self.host_ns(host), self.client_port(host)
            self.ip(ns, "link", "add", self.bridge, "type", "bridge", "stp_state", 0,
                    "forward_delay", 0)
            self.ip(ns, "link", "add", self.uplink_dev, "type", "veth", "peer", "name", port,
                    "netns", c)
            self.ip(ns, "link", "set", self.uplink_dev, "master", self.bridge)
            self.ip(ns, "link", "set", self.uplink_dev, "up")
            self.ip(ns, "link", "set", self.bridge, "up")
            self.ip(c, "link", "set", port, "master", self.central_bridge)
            self.ip(c, "link", "set", port, "up")
        if self.host_lan_cidrs:
            self.ip(self.ns_a, "addr", "add", self.host_lan_cidrs[0], "dev", self.bridge)
            self.ip(self.ns_b, "addr", "add", self.host_lan_cidrs[1], "dev", self.bridge)
        self.ip(self.ns_a, "link", "add", self.rep_dev, "type", "veth", "peer", "name",
                self.rep_dev, "netns", self.ns_b)
        self.ip(self.ns_a, "addr", "add", self.rep_cidr_a, "dev", self.rep_dev)
        self.ip(self.ns_b, "addr", "add", self.rep_cidr_b, "dev", self.rep_dev)
        self.ip(self.ns_a, "link", "set", self.rep_dev, "up")
        self.ip(self.ns_b, "link", "set", self.rep_dev, "up")
        self.wait_forwarding()
        self._wait_up([(self.ns_a, self.rep_dev), (self.ns_b, self.rep_dev)])

    def _links(self, ns, *sel):
        return json.loads(self.ip(ns, "-j", "-d", "link", "show", *sel).stdout or "[]")

    def _wait(self, what, pending, timeout):
        deadline = time.monotonic() + timeout
        while True:
            left = pending()
            if not left:
                return
            if time.monotonic() > deadline:
                raise TopologyError(f"{what} after {timeout} s: {', '.join(left)}")
            time.sleep(0.02)

    def wait_forwarding(self, timeout=5.0):
        """Waits until every port of the three bridges that is up and has a carrier (a tap
        without its QEMU has none) is operationally up and forwarding. The kernel applies
        carrier changes to the operational state and to the bridge asynchronously (linkwatch),
        up to about a second late, and until then the port drops frames."""
        def pending():
            left = []
            for ns, br in ((self.ns_client, self.central_bridge), (self.ns_a, self.bridge),
                           (self.ns_b, self.bridge)):
                for link in self._links(ns, "master", br):
                    flags = link.get("flags", [])
                    if "UP" not in flags or "LOWER_UP" not in flags:
                        continue
                    state = link.get("linkinfo", {}).get("info_slave_data", {}).get("state")
                    if link.get("operstate") != "UP" or state != "forwarding":
                        left.append(f"{ns} {link['ifname']} {link.get('operstate')}/{state}")
            return left

        self._wait("bridge ports not forwarding", pending, timeout)

    def _wait_up(self, ends, timeout=5.0):
        def pending():
            return [f"{ns} {dev}" for ns, dev in ends
                    if self._links(ns, "dev", dev)[0].get("operstate") != "UP"]

        self._wait("links not up", pending, timeout)

    def add_tap(self, host, name, bridge=None):
        """A persistent tap NAME in host "a"/"b", enslaved to the bridge and up (for a QEMU
        started by hand: -netdev tap,ifname=NAME,script=no,downscript=no). It goes away with
        the namespace."""
        ns = self.host_ns(host)
        self.ip(ns, "tuntap", "add", "mode", "tap", "name", name)
        self.ip(ns, "link", "set", name, "master", bridge or self.bridge)
        self.ip(ns, "link", "set", name, "up")

    # -------------------------------------------------------------------- faults
    def _set_pair(self, ends, state):
        errors = []
        for ns, dev in ends:
            r = self.ip(ns, "link", "set", dev, state, check=False)
            if r.returncode != 0:
                errors.append(f"{ns} {dev}: {r.stderr.strip()}")
        if errors:
            raise TopologyError(f"link {state}: " + "; ".join(errors))

    def cut_replication(self):
        """Replication link down on both ends (A's and B's rep0)."""
        self._set_pair([(self.ns_a, self.rep_dev), (self.ns_b, self.rep_dev)], "down")

    def restore_replication(self):
        """Both ends up again; returns once both are operationally up."""
        ends = [(self.ns_a, self.rep_dev), (self.ns_b, self.rep_dev)]
        self._set_pair(ends, "up")
        self._wait_up(ends)

    def cut_uplink(self, host):
        """Host "a"/"b" off the LAN: its uplink veth down on both ends."""
        self._set_pair([(self.host_ns(host), self.uplink_dev),
                        (self.ns_client, self.client_port(host))], "down")

    def restore_uplink(self, host):
        """Uplink up again; returns once both bridges forward on it."""
        ends = [(self.host_ns(host), self.uplink_dev), (self.ns_client, self.client_port(host))]
        self._set_pair(ends, "up")
        self._wait_up(ends)
        self.wait_forwarding()

    # -------------------------------------------------------------------- teardown
    def teardown(self):
        """Kills the processes started with popen_in() and any other process still in one
        of the namespaces (except this one), then deletes the namespaces setup() created,
        which removes their bridges, veths and taps. Idempotent; never raises."""
        with self._lock:
            procs, self._procs = self._procs, []
            created, self._created = self._created, []
        for p in procs:
            try:
                if p.poll() is None:
                    p.kill()
                p.wait(10)
            except Exception:
                pass
        for ns in created:
            try:
                if not os.path.exists(netns_path(ns)):
                    continue
                r = _run(["ip", "netns", "pids", ns], check=False, timeout=10)
                pids = [int(x) for x in r.stdout.split() if x.isdigit()]
                pids = [p for p in pids if p != os.getpid()]
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
                deadline = time.monotonic() + 10
                while any(_pid_alive(p) for p in pids) and time.monotonic() < deadline:
                    time.sleep(0.05)
                _run(["ip", "netns", "del", ns], check=False, timeout=10)
            except Exception:
                pass

    def __enter__(self):
        return self.setup()

    def __exit__(self, *exc):
        self.teardown()


def reap_stale_topologies():
    """Deletes namespaces of earlier runs (default prefix colonet-PID-) whose PID is gone.
    Returns their names. For a test that crashed without teardown."""
    gone = []
    try:
        names = os.listdir(NETNS_DIR)
    except OSError:
        return gone
    for name in names:
        parts = name.split("-")
        if len(parts) < 3 or parts[0] != "colonet" or not parts[1].isdigit():
            continue
        if _pid_alive(int(parts[1])):
            continue
        _run(["ip", "netns", "del", name], check=False, timeout=10)
        gone.append(name)
    return gone


# ----------------------------------------------------------------------------------------------
# EchoStream

_PATTERN_BLOCK = 4096


class _Pattern:
    """Bytes [offset, offset+n) of a connection's stream: block k (4 KiB) is
    SHAKE-128(seed || k), so every position's content depends on its absolute offset."""

    def __init__(self, seed):
        self.seed = seed
        self._k = -1
        self._block = b""

    def _get_block(self, k):
        if k != self._k:
            self._block = hashlib.shake_128(self.seed + k.to_bytes(8, "little")).digest(
                _PATTERN_BLOCK)
            self._k = k
        return self._block

    def get(self, offset, n):
        out = []
        while n > 0:
            k, off = divmod(offset, _PATTERN_BLOCK)
            take = min(n, _PATTERN_BLOCK - off)
            out.append(self._get_block(k)[off:off + take])
            offset += take
            n -= take
        return b"".join(out)


def _outq(sock):
    """Bytes written to the socket and not yet acknowledged by the peer (SIOCOUTQ)."""
    buf = fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, struct.pack("i", 0))
    return struct.unpack("i", buf)[0]


def _tcp_info_bytes_acked(sock):
    """tcpi_bytes_acked (Linux >= 4.1) minus the SYN, or None."""
    try:
        info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
    except OSError:
        return None
    if len(info) < 128:
        return None
    return max(0, struct.unpack_from("<Q", info, 120)[0] - 1)


def _tcp_rtt_ms(sock):
    try:
        info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
        return struct.unpack_from("<I", info, 68)[0] / 1000.0
    except (OSError, struct.error):
        return None


class EchoStream:
    """A client of the guest's echo service that streams checked data from namespace ns.

    A thread sends `rate` bytes/s in writes of `chunk` bytes, never more than `window` bytes
    ahead of what has come back, and checks every echoed byte against the pattern (the echo
    server writes back each read verbatim, in order). Its sockets are made in ns by a helper
    thread that setns()es first (netns_socket), so the test process stays where it is.

    Numbering: each connection has its own stream. Its bytes are numbered from 0 and
    byte i of connection n is a fixed function of (stream id, n, i) (SHAKE-128 per 4 KiB
    block), so any lost, duplicated, reordered or altered byte is detected. After a break
    the next connection starts again at offset 0 with a new seed; bytes in flight on the old
    connection are not resent. The counters are totals over all connections:

      bytes_sent      bytes written into sockets
      bytes_acked     bytes TCP-acknowledged by the peer: per connection, written minus the
                      socket's SIOCOUTQ, sampled on every loop turn and at the break
      bytes_verified  bytes echoed back and equal to the pattern
      corrupted       bytes echoed back but wrong (or beyond what was sent)
      reconnects      connections made after the first one
      lost_acked      at each break, acked minus echoed bytes of that connection: data
                      the peer acknowledged and never sent back. Must be 0 under COLO
      lost_unacked    at each break, bytes sent but neither acked nor echoed (tolerated:
                      TCP never promised them)
      max_stall_s     longest time without an echoed byte while data was outstanding; a stall
                      runs on across a break and reconnect, until the next echoed byte (or
                      stop); a stall still running counts too
      stalls          stalls longer than stall_threshold: t_start/t_end (s since start()),
                      wall_start/wall_end (time.time()), duration_s, ended_by ("echo" or
                      "stop"), conn (the connection it ended on)
      breaks          one entry per broken connection: t, wall, conn, reason, sent, acked,
                      echoed, lost_acked, unacked, acked_tcp_info (tcpi_bytes_acked, a
                      cross-check)

    lost_acked is only settled at a break: while a connection is up, conn_acked minus
    conn_echoed in snapshot() is simply in flight.

    A connection is declared broken on a socket error or EOF, or when no byte has come back
    for break_after seconds while data was outstanding (TCP_USER_TIMEOUT is set to the same
    value, and the socket is then reset). Then, if reconnect is true, it connects again,
    trying for up to reconnect_window seconds (attempts of connect_timeout each) before it
    gives up (state "failed"). Every wait is bounded; stop() always returns.
    """

    def __init__(self, ns, ip, port=ECHO_PORT, rate=64 * 1024, chunk=1024, window=256 * 1024,
                 connect_timeout=3.0, connect_window=30.0, reconnect=True,
                 reconnect_window=60.0, break_after=20.0, stall_threshold=0.5):
        self.ns = ns
        self.ip = ip
        self.port = port
        self.rate = float(rate)
        self.chunk = int(chunk)
        self.window = int(window)
        self.connect_timeout = connect_timeout
        self.connect_window = connect_window
        self.reconnect = reconnect
        self.reconnect_window = reconnect_window
        self.break_after = break_after
        self.stall_threshold = stall_threshold
        self.stream_id = os.urandom(8)
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._stop = threading.Event()
        self._drain_s = 5.0
        self._thread = None
        self._t0 = None
        self._wall0 = None
        # totals
        self._sent = 0
        self._acked_done = 0  # acked bytes of finished connections
        self._verified = 0
        self._corrupted = 0
        self._connections = 0
        self._lost_acked = 0
        self._lost_unacked = 0
        self._stalls = []
        self._max_stall = 0.0
        self._breaks = []
        self._first_corruption = None
        self._state = "idle"
        self._error = None
        self._stall_since = None  # the service-level stall: runs on across reconnects
        self._c_wait_since = None  # this connection: waiting for an echo since
        self._rtt_ms = None
        self._final = None
        # current connection
        self._c_sent = 0
        self._c_acked = 0
        self._c_echoed = 0

    # -------------------------------------------------------------------- public
    def start(self, wait_connected=True):
        """Starts the thread; by default waits for the first connection and raises
        ConnectionError if it cannot be made within connect_window."""
        if self._thread is not None:
            raise RuntimeError("EchoStream already started")
        if self.ns and not os.path.exists(netns_path(self.ns)):
            raise ValueError(f"no network namespace {self.ns}")
        self._t0 = time.monotonic()
        self._wall0 = time.time()
        self._state = "connecting"
        self._thread = threading.Thread(target=self._run, name="echo-stream", daemon=True)
        self._thread.start()
        if wait_connected:
            with self._cond:
                self._cond.wait_for(lambda: self._state != "connecting",
                                    self.connect_window + self.connect_timeout + 5)
                state, error = self._state, self._error
            if state != "connected":
                self.stop()
                raise ConnectionError(f"echo stream to {self.ip}:{self.port} in "
                                      f"{self.ns}: {error or state}")
        return self

    def stop(self, drain=5.0):
        """Stops sending, waits up to `drain` s for the outstanding bytes to come back,
        closes the connection and returns the summary (a snapshot plus "outstanding": bytes
        of the last connection that were sent and never came back, and "ok": no corruption
        and no lost acked byte)."""
        if self._final is not None:
            return dict(self._final)
        self._drain_s = drain
        self._stop.set()
        if self._thread is not None:
            self._thread.join(drain + self.connect_timeout + 10)
        summary = self.snapshot()
        summary["outstanding"] = self._c_sent - self._c_echoed
        summary["thread_alive"] = self._thread is not None and self._thread.is_alive()
        summary["ok"] = summary["corrupted"] == 0 and summary["lost_acked"] == 0
        self._final = summary
        return dict(summary)

    def snapshot(self):
        """The counters now (see the class docstring); safe while running. Also: state
        (connecting, connected, reconnecting, broken, failed, stopped), error, connections,
        conn_sent / conn_acked / conn_echoed (current connection), current_stall_s, rtt_ms,
        first_corruption, elapsed_s."""
        with self._lock:
            now = time.monotonic()
            current = now - self._stall_since if self._stall_since is not None else 0.0
            return {
                "state": self._state,
                "error": self._error,
                "bytes_sent": self._sent,
                "bytes_acked": self._acked_done + self._c_acked,
                "bytes_verified": self._verified,
                "corrupted": self._corrupted,
                "reconnects": max(0, self._connections - 1),
                "connections": self._connections,
                "lost_acked": self._lost_acked,
                "lost_unacked": self._lost_unacked,
                "max_stall_s": round(max(self._max_stall, current), 3),
                "current_stall_s": round(current, 3),
                "stalls": [dict(s) for s in self._stalls],
                "breaks": [dict(b) for b in self._breaks],
                "conn_sent": self._c_sent,
                "conn_acked": self._c_acked,
                "conn_echoed": self._c_echoed,
                "rtt_ms": self._rtt_ms,
                "first_corruption": self._first_corruption,
                "elapsed_s": round(now - self._t0, 3) if self._t0 is not None else 0.0,
            }

    def wait_verified(self, n_bytes, timeout):
        """Waits until bytes_verified >= n_bytes (a total over all connections); returns it.
        Raises TimeoutError, or RuntimeError at once if the stream failed or ended."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._verified < n_bytes:
                if self._state in ("failed", "broken", "stopped"):
                    raise RuntimeError(f"echo stream {self._state} ({self._error}) at "
                                       f"{self._verified}/{n_bytes} verified bytes")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"echo stream: {self._verified}/{n_bytes} bytes "
                                       f"verified after {timeout} s (state {self._state})")
                self._cond.wait(min(left, 0.5))
            return self._verified

    def wait_more(self, n_bytes, timeout):
        """Waits for n_bytes more verified bytes than now."""
        with self._lock:
            target = self._verified + n_bytes
        return self.wait_verified(target, timeout)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -------------------------------------------------------------------- thread
    def _rel(self, t):
        return round(t - self._t0, 3)

    def _set_state(self, state, error=None):
        with self._cond:
            self._state = state
            if error is not None:
                self._error = error
            self._cond.notify_all()

    def _run(self):
        try:
            first = True
            while not self._stop.is_set():
                sock = self._connect(self.connect_window if first else self.reconnect_window)
                first = False
                if sock is None:
                    break
                reason = self._pump(sock)
                if reason == "stop":
                    break
                if not self.reconnect:
                    self._set_state("broken", f"connection broken: {reason}")
                    break
                self._set_state("reconnecting")
        except Exception as e:  # never die silently
            self._set_state("failed", f"internal error: {e!r}")
        finally:
            with self._cond:
                if self._state not in ("failed", "broken"):
                    self._state = "stopped"
                if self._stall_since is not None:
                    self._end_stall(time.monotonic(), "stop")
                self._cond.notify_all()

    def _connect(self, window):
        deadline = time.monotonic() + window
        last = "no attempt"
        while not self._stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                self._set_state("failed", f"cannot connect within {window} s: {last}")
                return None
            sock = None
            try:
                sock = netns_socket(self.ns)
                sock.settimeout(min(self.connect_timeout, max(left, 0.1)))
                sock.connect((self.ip, self.port))
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT,
                                int(self.break_after * 1000))
                sock.setblocking(False)
            except OSError as e:
                last = str(e) or type(e).__name__
                if sock is not None:
                    sock.close()
                self._stop.wait(min(0.5, max(0.0, deadline - time.monotonic())))
                continue
            with self._cond:
                self._connections += 1
                self._c_sent = self._c_acked = self._c_echoed = 0
                self._c_wait_since = None
                self._state = "connected"
                self._cond.notify_all()
            return sock
        return None

    def _end_stall(self, now, ended_by):
        # caller holds the lock
        gap = now - self._stall_since
        self._max_stall = max(self._max_stall, gap)
        if gap > self.stall_threshold:
            self._stalls.append({
                "t_start": self._rel(self._stall_since),
                "t_end": self._rel(now),
                "wall_start": round(self._wall0 + (self._stall_since - self._t0), 3),
                "wall_end": round(self._wall0 + (now - self._t0), 3),
                "duration_s": round(gap, 3),
                "conn": self._connections,
                "ended_by": ended_by,
            })
        self._stall_since = None

    def _sample_acked(self, sock):
        try:
            acked = self._c_sent - _outq(sock)
        except OSError:
            return
        rtt = _tcp_rtt_ms(sock)
        with self._lock:
            if acked > self._c_acked:
                self._c_acked = min(acked, self._c_sent)
            if rtt is not None:
                self._rtt_ms = rtt

    def _break(self, sock, reason):
        now = time.monotonic()
        self._sample_acked(sock)
        info_acked = _tcp_info_bytes_acked(sock)
        try:  # reset, do not linger: nothing more is sent to a peer we gave up on
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        sock.close()
        with self._cond:
            lost = max(0, self._c_acked - self._c_echoed)
            unacked = max(0, self._c_sent - max(self._c_acked, self._c_echoed))
            self._lost_acked += lost
            self._lost_unacked += unacked
            self._acked_done += self._c_acked
            self._breaks.append({
                "t": self._rel(now),
                "wall": round(self._wall0 + (now - self._t0), 3),
                "conn": self._connections,
                "reason": reason,
                "sent": self._c_sent,
                "acked": self._c_acked,
                "echoed": self._c_echoed,
                "lost_acked": lost,
                "unacked": unacked,
                "acked_tcp_info": info_acked,
            })
            self._c_sent = self._c_acked = self._c_echoed = 0
            self._cond.notify_all()
        return reason

    def _check(self, data, pat_rx):
        now = time.monotonic()
        with self._cond:
            n = len(data)
            valid = max(0, min(n, self._c_sent - self._c_echoed))
            expected = pat_rx.get(self._c_echoed, valid)
            got = data[:valid]
            if got == expected:
                bad = 0
            else:
                bad = sum(1 for a, b in zip(got, expected) if a != b)
            bad += n - valid  # bytes that were never sent
            if bad and self._first_corruption is None:
                i = next((i for i in range(valid) if got[i] != expected[i]), valid)
                self._first_corruption = {
                    "t": self._rel(now), "conn": self._connections,
                    "offset": self._c_echoed + i,
                    "expected": expected[i:i + 16].hex(), "got": data[i:i + 16].hex(),
                    "beyond_sent": n - valid,
                }
            self._corrupted += bad
            self._verified += n - bad
            self._c_echoed += n
            if self._stall_since is not None:
                self._end_stall(now, "echo")
            if self._c_echoed < self._c_sent:
                self._stall_since = self._c_wait_since = now
            else:
                self._c_wait_since = None
            self._cond.notify_all()

    def _pump(self, sock):
        seed = self.stream_id + self._connections.to_bytes(4, "little")
        pat_tx, pat_rx = _Pattern(seed), _Pattern(seed)
        poller = select.poll()
        poller.register(sock.fileno(), select.POLLIN)
        next_send = time.monotonic()
        drain_deadline = None
        while True:
            now = time.monotonic()
            if self._stop.is_set():
                if drain_deadline is None:
                    drain_deadline = now + self._drain_s
                if self._c_echoed >= self._c_sent or now >= drain_deadline:
                    self._sample_acked(sock)
                    sock.close()
                    return "stop"
            waiting = self._c_wait_since
            if waiting is not None and now - waiting >= self.break_after:
                return self._break(sock, f"no echo for {self.break_after} s")
            can_send = (drain_deadline is None and
                        self._c_sent - self._c_echoed + self.chunk <= self.window)
            if can_send and now >= next_send:
                data = pat_tx.get(self._c_sent, self.chunk)
                try:
                    n = sock.send(data, socket.MSG_NOSIGNAL)
                except (BlockingIOError, InterruptedError):
                    n = 0
                    next_send = now + 0.02
                except OSError as e:
                    return self._break(sock, f"send: {e.strerror or e}")
                if n:
                    with self._lock:
                        self._sent += n
                        self._c_sent += n
                        if self._stall_since is None:
                            self._stall_since = now
                        if self._c_wait_since is None:
                            self._c_wait_since = now
                    next_send += n / self.rate
                    if now - next_send > 1.0:  # fell behind (window full): do not burst
                        next_send = now
                continue
            timeout = max(0.0, min(next_send - now, 0.1)) if can_send else 0.1
            try:
                events = poller.poll(int(timeout * 1000) + (1 if timeout > 0 else 0))
            except InterruptedError:
                events = []
            if events:
                try:
                    data = sock.recv(65536)
                except (BlockingIOError, InterruptedError):
                    data = None
                except OSError as e:
                    return self._break(sock, f"recv: {e.strerror or e}")
                if data is not None:
                    if not data:
                        return self._break(sock, "eof")
                    self._check(data, pat_rx)
            self._sample_acked(sock)


# ----------------------------------------------------------------------------------------------
# guest control service (ctl-server, TCP 8023)


class GuestCtlError(RuntimeError):
    pass


def ctl(ns, ip, command, timeout=10.0, port=CTL_PORT):
    """Sends one command line to the guest's ctl-server from namespace ns and returns the
    reply line without its newline (an "ERR ..." reply is returned as is). Raises
    GuestCtlError if it cannot connect or gets no complete line within timeout."""
    deadline = time.monotonic() + timeout
    where = f"guest ctl {ip}:{port}" + (f" in {ns}" if ns else "")
    try:
        sock = netns_socket(ns)
    except OSError as e:
        raise GuestCtlError(f"{where}: {e}") from None
    try:
        sock.settimeout(timeout)
        sock.connect((ip, port))
        sock.sendall(command.encode() + b"\n")
        buf = b""
        while b"\n" not in buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout("timed out")
            sock.settimeout(left)
            chunk = sock.recv(4096)
            if not chunk:
                raise GuestCtlError(f"{where}: {command!r}: connection closed without a reply"
                                    + (f" (got {buf!r})" if buf else ""))
            buf += chunk
        return buf.split(b"\n", 1)[0].decode(errors="replace").rstrip("\r")
    except GuestCtlError:
        raise
    except OSError as e:
        raise GuestCtlError(f"{where}: {command!r}: {e or type(e).__name__}") from None
    finally:
        sock.close()


def _expect(ns, ip, command, want, timeout):
    reply = ctl(ns, ip, command, timeout)
    if reply != want:
        raise GuestCtlError(f"guest {ip}: {command!r}: expected {want!r}, got {reply!r}")
    return reply


def ping(ns, ip, timeout=10.0):
    """Checks that the guest answers "ping" with "PONG"."""
    _expect(ns, ip, "ping", "PONG", timeout)
    return True


def wait_ping(ns, ip, timeout=60.0, interval=0.5):
    """Retries ping until the guest answers; returns the seconds it took."""
    t0 = time.monotonic()
    last = None
    while True:
        left = timeout - (time.monotonic() - t0)
        if left <= 0:
            raise GuestCtlError(f"guest {ip} did not answer ping within {timeout} s: {last}")
        try:
            ping(ns, ip, min(5.0, max(left, 0.5)))
            return time.monotonic() - t0
        except GuestCtlError as e:
            last = e
            time.sleep(min(interval, max(0.0, timeout - (time.monotonic() - t0))))


def uptime(ns, ip, timeout=10.0):
    """Seconds since the guest booted (float)."""
    reply = ctl(ns, ip, "uptime", timeout)
    try:
        return float(reply)
    except ValueError:
        raise GuestCtlError(f"guest {ip}: 'uptime': bad reply {reply!r}") from None


def sync(ns, ip, timeout=30.0):
    """sync() in the guest."""
    _expect(ns, ip, "sync", "OK", timeout)


def verify(ns, ip, timeout=60.0):
    """diskverify /dev/vda in the guest; returns the number of good blocks. Raises
    GuestCtlError with the guest's reason on "VERIFY FAIL". Stop the writer first: a block
    acked while the verifier scans makes it report lost acked writes."""
    reply = ctl(ns, ip, "verify", timeout)
    if reply.startswith("VERIFY OK blocks="):
        try:
            return int(reply.split("=", 1)[1])
        except ValueError:
            pass
    if reply.startswith("VERIFY FAIL"):
        raise GuestCtlError(f"guest {ip}: disk verification failed: {reply}")
    raise GuestCtlError(f"guest {ip}: 'verify': bad reply {reply!r}")


def diskwrite_start(ns, ip, interval_ms=None, timeout=10.0):
    """Starts the disk writer (resumes after the last acked block); a no-op if running."""
    cmd = "diskwrite start" + (f" {int(interval_ms)}" if interval_ms is not None else "")
    _expect(ns, ip, cmd, "OK", timeout)


def diskwrite_stop(ns, ip, timeout=20.0):
    """Stops the writer (the guest waits up to 10 s for it, then SIGKILLs it)."""
    _expect(ns, ip, "diskwrite stop", "OK", timeout)


def diskwrite_status(ns, ip, timeout=10.0):
    """{"acked": last acked block seq (-1: none), "running": bool}."""
    reply = ctl(ns, ip, "diskwrite status", timeout)
    try:
        fields = dict(kv.split("=", 1) for kv in reply.split())
        return {"acked": int(fields["acked"]), "running": fields["running"] == "1"}
    except (ValueError, KeyError):
        raise GuestCtlError(f"guest {ip}: 'diskwrite status': bad reply {reply!r}") from None


def dirty(ns, ip, rate_mib, buf_mib=None, timeout=10.0):
    """Replaces the memory dirtier with one at rate_mib MiB/s (0 stops it)."""
    cmd = f"dirty {rate_mib}" + (f" {int(buf_mib)}" if buf_mib is not None else "")
    _expect(ns, ip, cmd, "OK", timeout)


class GuestCtl:
    """The wrappers above bound to one guest: GuestCtl(ns, ip).ping() and so on."""

    def __init__(self, ns, ip, timeout=10.0):
        self.ns = ns
        self.ip = ip
        self.timeout = timeout

    def ctl(self, command, timeout=None):
        return ctl(self.ns, self.ip, command, timeout or self.timeout)

    def ping(self):
        return ping(self.ns, self.ip, self.timeout)

    def wait_ping(self, timeout=60.0):
        return wait_ping(self.ns, self.ip, timeout)

    def uptime(self):
        return uptime(self.ns, self.ip, self.timeout)

    def sync(self):
        return sync(self.ns, self.ip, max(self.timeout, 30.0))

    def verify(self):
        return verify(self.ns, self.ip, max(self.timeout, 60.0))

    def diskwrite_start(self, interval_ms=None):
        return diskwrite_start(self.ns, self.ip, interval_ms, self.timeout)

    def diskwrite_stop(self):
        return diskwrite_stop(self.ns, self.ip, max(self.timeout, 20.0))

    def diskwrite_status(self):
        return diskwrite_status(self.ns, self.ip, self.timeout)

    def dirty(self, rate_mib, buf_mib=None):
        return dirty(self.ns, self.ip, rate_mib, buf_mib, self.timeout)
