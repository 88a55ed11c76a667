"""Test harness: a real coloctld in a private state and runtime dir, its REST
API over the UNIX socket (or TCP), and the tiny guest.

Paths come from meson's test environment: COLOCTLD, COLOCTL, COLOCTL_TEST_QEMU,
COLOCTL_TEST_GUEST_KERNEL, COLOCTL_TEST_GUEST_INITRD.
"""

import http.client
import json
import os
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=30):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.unix_path)


class Reply:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body) if self.body else None

    def __repr__(self):
        return f"<Reply {self.status} {self.body[:300]!r}>"


def wait_for(what, predicate, timeout=60.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def pid_alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


class Daemon:
    """One coloctld, killed (never left behind) by stop() or the context exit."""

    def __init__(self, config_extra="", keep_dirs=None):
        if keep_dirs is None:
            self.tmp = tempfile.mkdtemp(prefix="coloctl-test-")
        else:
            self.tmp = keep_dirs
        self.state_dir = os.path.join(self.tmp, "state")
        self.runtime_dir = os.path.join(self.tmp, "run")
        self.config = os.path.join(self.tmp, "coloctld.conf")
        self.log = os.path.join(self.tmp, "coloctld.log")
        with open(self.config, "w") as f:
            f.write("[qemu]\nbinary=%s\naccel=tcg\n" % os.environ["COLOCTL_TEST_QEMU"])
            f.write("[timeouts]\nquit-ms=3000\nexit-ms=3000\nterm-ms=2000\nkill-ms=2000\n")
            f.write(config_extra)
        self.proc = None
        self.members = set()

    def env(self):
        env = dict(os.environ)
        env["COLOCTL_CONFIG"] = self.config
        env["COLOCTL_STATE_DIR"] = self.state_dir
        env["COLOCTL_RUNTIME_DIR"] = self.runtime_dir
        env.pop("COLOCTL_PLUGIN_DIR", None)
        return env

    @property
    def socket(self):
        return os.path.join(self.runtime_dir, "coloctld.sock")

    @property
    def db(self):
        return os.path.join(self.state_dir, "coloctld.db")

    def start(self):
        logf = open(self.log, "ab")
        self.proc = subprocess.Popen([os.environ["COLOCTLD"]], env=self.env(),
                                     stdout=logf, stderr=logf)
        wait_for("coloctld socket", lambda: self._answers() or self._died(), 30)
        if self.proc.poll() is not None:
            raise AssertionError("coloctld exited %d:\n%s" % (self.proc.returncode,
                                                              open(self.log).read()))
        return self

    def _died(self):
        return self.proc.poll() is not None

    def _answers(self):
        try:
            return self.get("/v1/health").status == 200
        except OSError:
            return False

    def leftovers(self):
        """Processes this daemon started that still run, apart from guest members."""
        mark = ("COLOCTL_RUNTIME_DIR=" + self.runtime_dir).encode()
        found = []
        for pid in os.listdir("/proc"):
            if not pid.isdigit() or int(pid) in self.members:
                continue
            if self.proc is not None and int(pid) == self.proc.pid:
                continue
            try:
                with open(f"/proc/{pid}/environ", "rb") as f:
                    if mark in f.read().split(b"\0") and pid_alive(int(pid)):
                        found.append(int(pid))
            except OSError:
                pass
        return found

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def cleanup(self):
        """Stops the daemon and kills every process it started: the QEMUs it reported,
        and any other (a migration's destination, a probe) that carries its runtime dir
        in its environment."""
        self.stop()
        for pid in set(self.members) | set(self.leftovers()):
            if pid_alive(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()

    # ---------------------------------------------------------------- HTTP
    def request(self, method, path, body=None, headers=None, raw=None, conn=None):
        conn = conn or UnixHTTPConnection(self.socket)
        hdrs = dict(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
        if data is not None:
            hdrs.setdefault("Content-Type", "application/json")
        conn.request(method, path, body=data, headers=hdrs)
        r = conn.getresponse()
        reply = Reply(r.status, dict(r.getheaders()), r.read().decode())
        conn.close()
        return reply

    def get(self, path):
        return self.request("GET", path)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body, **kw)

    def guest(self, name):
        r = self.get(f"/v1/guests/{name}")
        assert r.status == 200, r
        g = r.json()
        for m in g["members"]:
            if m["pid"] > 0:
                self.members.add(m["pid"])
        return g

    def wait_state(self, name, state, timeout=60):
        return wait_for(f"guest {name} {state}",
                        lambda: (lambda g: g if g["state"] == state else None)(self.guest(name)),
                        timeout)

    def last_event_id(self):
        return self.get("/v1/events?after=0&limit=10000").json()["last_id"]

    def events(self, after=0):
        return self.get(f"/v1/events?after={after}&limit=10000").json()["events"]

    def dump_store(self):
        """Guests and members exactly as stored, and the event count."""
        db = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)
        try:
            guests = db.execute("SELECT * FROM guests ORDER BY name").fetchall()
            members = db.execute("SELECT * FROM members ORDER BY guest, role").fetchall()
            events = db.execute("SELECT COUNT(*), MAX(id) FROM events").fetchall()
        finally:
            db.close()
        return guests, members, events


def make_disk(dirname, name="disk.raw", mib=16):
    path = os.path.join(dirname, name)
    with open(path, "wb") as f:
        f.truncate(mib * 1024 * 1024)
    return path


def guest_body(name, disk, **extra):
    body = {
        "name": name,
        "memory_mib": 128,
        "disk": disk,
        "kernel": os.environ["COLOCTL_TEST_GUEST_KERNEL"],
        "initrd": os.environ["COLOCTL_TEST_GUEST_INITRD"],
        "append": "quiet",
    }
    body.update(extra)
    return body


class Serial:
    """The guest's serial console through its chardev socket."""

    def __init__(self, path, timeout=30):
        self.sock = wait_for("serial socket", lambda: self._connect(path), timeout)
        self.sock.settimeout(1)

    @staticmethod
    def _connect(path):
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)
            return s
        except OSError:
            return None

    def command(self, line, expect_re, timeout=30):
        import re
        self.sock.sendall(line.encode() + b"\n")
        buf = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = self.sock.recv(4096)
            except socket.timeout:
                self.sock.sendall(b"\n")
                continue
            if not chunk:
                break
            buf += chunk
            m = re.search(expect_re, buf.decode(errors="replace"))
            if m:
                return m
        raise AssertionError(f"no {expect_re!r} after {line!r}: {buf[-500:]!r}")

    def uptime(self):
        m = self.command("cat /proc/uptime", r"(\d+\.\d+) \d+\.\d+")
        return float(m.group(1))

    def close(self):
        self.sock.close()
