#!/usr/bin/env python3
"""Record query-migrate traces from a real QEMU for tests/unit/test-progress.c.

usage: record.py GUEST_DIR OUT_DIR [SCENARIO...]
       record.py --synthetic OUT_DIR

GUEST_DIR holds vmlinuz and initrd.img from tests/guest/build-guest.sh. Every
scenario (all of them by default; see SCENARIOS) boots a source and a
destination QEMU on loopback TCP, migrates the guest under a bandwidth limit
and writes OUT_DIR/NAME.jsonl. The format is described in README.md.

python3 stdlib only; QEMU is $QEMU or qemu-system-x86_64. Every QEMU started
here is killed on every path.
"""

import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time

MIB = 1024 * 1024
POLL_S = 0.25

# name: dirty MiB/s at boot (coloctl.dirty), max-bandwidth, downtime-limit, and
# actions at seconds after `migrate`:
#   cancel_at      migrate_cancel (the run does not converge)
#   stop_dest      (at, seconds): SIGSTOP the destination, SIGCONT it after
#   pause          pause-before-switchover: hold pre-switchover for 1 s
SCENARIOS = {
    "qemu72-idle": dict(dirty=0, bw=8 * MIB, downtime=300),
    "qemu72-dirty2-converge": dict(dirty=2, bw=8 * MIB, downtime=300, pause=True),
    "qemu72-dirty32-noconverge": dict(dirty=32, bw=8 * MIB, downtime=300, cancel_at=40),
    "qemu72-dirty16-stall": dict(dirty=16, bw=16 * MIB, downtime=300, cancel_at=45),
    "qemu72-dead-dest": dict(dirty=0, bw=8 * MIB, downtime=300, stop_dest=(3, 15)),
}


class Qmp:
    """A minimal QMP client: commands with a deadline, events time-stamped on arrival."""

    def __init__(self, path, t0, deadline=30):
        self.t0 = t0
        self.events = []
        self.buf = b""
        end = time.monotonic() + deadline
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > end:
                    raise
                time.sleep(0.05)
        self._line(10)  # greeting
        self.cmd("qmp_capabilities")

    def _line(self, timeout):
        end = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = end - time.monotonic()
            if left <= 0 or not select.select([self.sock], [], [], left)[0]:
                raise TimeoutError("QMP: no reply")
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("QMP: EOF")
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def _stamp(self, msg):
        t_us = int((time.monotonic() - self.t0) * 1e6)
        self.events.append({"t_us": t_us, "event": msg})

    def cmd(self, name, timeout=10, **args):
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        while True:
            reply = self._line(timeout)
            if "event" in reply:
                self._stamp(reply)
            elif "error" in reply:
                raise RuntimeError("%s: %s" % (name, reply["error"]))
            elif "return" in reply:
                return reply["return"]

    def wait_events(self, until):
        """Reads events until the monotonic time @until or a MIGRATION_PASS event."""
        while True:
            left = until - time.monotonic()
            if b"\n" in self.buf:
                msg = self._line(1)
                self._stamp(msg)
                if msg.get("event") == "MIGRATION_PASS":
                    return
                continue
            if left <= 0:
                return
            if select.select([self.sock], [], [], left)[0]:
                data = self.sock.recv(65536)
                if not data:
                    raise EOFError("QMP: EOF")
                self.buf += data


def qemu_argv(guest, tmp, role, dirty):
    argv = [os.environ.get("QEMU", "qemu-system-x86_64"),
            "-accel", "tcg", "-machine", "pc", "-m", "256", "-nodefaults",
            "-display", "none", "-no-reboot",
            "-kernel", os.path.join(guest, "vmlinuz"),
            "-initrd", os.path.join(guest, "initrd.img"),
            "-append", "console=ttyS0 panic=-1 coloctl.dirty=%d" % dirty,
            "-qmp", "unix:%s/%s.qmp,server=on,wait=off" % (tmp, role),
            "-serial", "file:%s/%s.log" % (tmp, role)]
    if role == "dst":
        argv += ["-incoming", "defer"]
    return argv


def wait_ready(log, deadline=120):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            with open(log, "rb") as f:
                if b"COLOCTL-GUEST-READY" in f.read():
                    return
        except FileNotFoundError:
            pass
        time.sleep(0.2)
    raise TimeoutError("guest not ready: " + log)


def check_destination(dst, proc, log, settle_s=5):
    """The destination's state @settle_s after completion: running, or what went wrong."""
    time.sleep(settle_s)
    with open(log, "rb") as f:
        panic = b"Kernel panic" in f.read()
    if proc.poll() is not None:
        return "exited (%s)" % ("guest kernel panic" if panic else "status %d" % proc.returncode)
    status = dst.cmd("query-status", timeout=30)["status"]
    return status + (" (guest kernel panic)" if panic else "")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_migration(sc, src, dst_pid, t0, meta):
    """Polls query-migrate until a final status; returns the trace lines."""
    lines = []
    done = set()
    while True:
        t = time.monotonic() - t0
        reply = src.cmd("query-migrate")
        lines += src.events
        src.events = []
        lines.append({"t_us": int(t * 1e6), "reply": reply})
        status = reply.get("status")
        if status in ("completed", "failed", "cancelled"):
            meta["outcome"] = status
            meta["duration_s"] = round(t, 2)
            # one more: 7.2 can say "completed" before it fills in total-time and downtime
            src.wait_events(time.monotonic() + POLL_S)
            lines.append({"t_us": int((time.monotonic() - t0) * 1e6),
                          "reply": src.cmd("query-migrate")})
            lines += src.events
            src.events = []
            return lines
        if status == "pre-switchover" and "continue" not in done:
            if "pre" not in done:
                done.add("pre")
                pre_t = t
            elif t - pre_t >= 1.0:
                done.add("continue")
                src.cmd("migrate-continue", state="pre-switchover")
                lines.append({"t_us": int((time.monotonic() - t0) * 1e6),
                              "action": "migrate-continue"})
        for action in actions(sc, t, done):
            lines.append({"t_us": int((time.monotonic() - t0) * 1e6), "action": action[0]})
            action[1](src, dst_pid)
        # every 250 ms, and at once after a MIGRATION_PASS (an iteration boundary)
        src.wait_events(t0 + t + POLL_S)


def actions(sc, t, done):
    """The scenario's actions due at @t, each (description, callable), each once."""
    due = []
    if "cancel_at" in sc and t >= sc["cancel_at"] and "cancel" not in done:
        done.add("cancel")
        due.append(("migrate_cancel", lambda s, d: s.cmd("migrate_cancel")))
    if "stop_dest" in sc:
        at, length = sc["stop_dest"]
        if t >= at and "stop" not in done:
            done.add("stop")
            due.append(("SIGSTOP destination",
                        lambda s, d: os.kill(d, signal.SIGSTOP)))
        if t >= at + length and "cont" not in done:
            done.add("cont")
            due.append(("SIGCONT destination",
                        lambda s, d: os.kill(d, signal.SIGCONT)))
    return due


def record(name, sc, guest, out_dir):
    procs = []
    with tempfile.TemporaryDirectory(prefix="coloctl-rec-") as tmp:
        try:
            for role in ("src", "dst"):
                argv = qemu_argv(guest, tmp, role, sc["dirty"])
                procs.append(subprocess.Popen(argv, stdin=subprocess.DEVNULL))
            dst_p = procs[1]
            t_boot = time.monotonic()
            src = Qmp(tmp + "/src.qmp", t_boot)
            dst = Qmp(tmp + "/dst.qmp", t_boot)
            wait_ready(tmp + "/src.log")
            version = src.cmd("query-version")
            port = free_port()
            dst.cmd("migrate-incoming", uri="tcp:127.0.0.1:%d" % port)
            caps = [{"capability": "events", "state": True}]
            if sc.get("pause"):
                caps.append({"capability": "pause-before-switchover", "state": True})
            src.cmd("migrate-set-capabilities", capabilities=caps)
            src.cmd("migrate-set-parameters", **{"max-bandwidth": sc["bw"],
                                                 "downtime-limit": sc["downtime"]})
            meta = {"scenario": name,
                    "qemu": "%(major)d.%(minor)d.%(micro)d" % version["qemu"],
                    "package": version["package"].strip(),
                    "accel": "tcg", "memory_mib": 256,
                    "dirty_mib_s": sc["dirty"], "max_bandwidth": sc["bw"],
                    "downtime_limit_ms": sc["downtime"],
                    "pause_before_switchover": bool(sc.get("pause")),
                    "poll_ms": int(POLL_S * 1000)}
            for key in ("cancel_at", "stop_dest"):
                if key in sc:
                    meta[key] = sc[key]
            src.events = []
            t0 = time.monotonic()
            src.t0 = t0
            src.cmd("migrate", uri="tcp:127.0.0.1:%d" % port)
            lines = run_migration(sc, src, dst_p.pid, t0, meta)
            src.wait_events(time.monotonic() + 0.5)
            lines += src.events
            if meta["outcome"] == "completed":
                meta["destination"] = check_destination(dst, dst_p, tmp + "/dst.log")
        except BaseException:
            for role in ("src", "dst"):
                try:
                    with open("%s/%s.log" % (tmp, role), errors="replace") as f:
                        print("--- %s serial (tail)\n%s" % (role, f.read()[-1500:]),
                              file=sys.stderr)
                except OSError:
                    pass
            raise
        finally:
            for p in procs:
                try:
                    os.kill(p.pid, signal.SIGCONT)
                except ProcessLookupError:
                    pass
                p.kill()
                p.wait()
    write_trace(out_dir, name, meta, lines)


# Synthetic traces for what QEMU 7.2 cannot show: a top-level "remaining" that also counts
# stop-copy-only device data (QEMU's save_query_pending stopcopy_bytes), from a model of the
# precopy loop: 1 GiB of RAM, 64 MiB/s, 8 MiB/s dirtied, sampled every 250 ms.
SYNTHETIC = {
    # 8 MiB of stop-copy-only data: fits a 300 ms downtime (19.2 MiB at 64 MiB/s)
    "synthetic-top-level-remaining": dict(stopcopy=8 * MIB, downtime=300),
    # 32 MiB does not fit 300 ms whatever precopy does; the limit is raised to 1 s at 24 s
    "synthetic-stopcopy-only": dict(stopcopy=32 * MIB, downtime=300, raise_at=24, raise_to=1000),
}


def synthetic(name, sc, out_dir):
    total, page, bw, dirty, dt = 1024 * MIB, 4096, 64 * MIB, 8 * MIB, POLL_S
    stopcopy, limit = sc["stopcopy"], sc["downtime"]
    ram_rem, dirtied, transferred, sync, rate, t = total, 0, 0, 1, 0, 0.0
    meta = {"scenario": name, "synthetic": True, "qemu": "model of seed 003 (top-level remaining)",
            "memory_mib": total // MIB, "dirty_mib_s": dirty // MIB, "max_bandwidth": bw,
            "downtime_limit_ms": limit, "stopcopy_only_bytes": stopcopy,
            "poll_ms": int(POLL_S * 1000)}
    lines = [{"t_us": 0, "reply": {"status": "setup"}}]

    def reply(status, t, **extra):
        ram = {"transferred": transferred, "remaining": ram_rem, "total": total,
               "duplicate": 0, "normal": transferred // page, "normal-bytes": transferred,
               "dirty-pages-rate": rate, "mbps": bw * 8 / 1e6, "dirty-sync-count": sync,
               "postcopy-requests": 0, "page-size": page, "multifd-bytes": 0,
               "pages-per-second": bw // page, "precopy-bytes": transferred,
               "downtime-bytes": 0, "postcopy-bytes": 0, "dirty-sync-missed-zero-copy": 0}
        ram.update(extra.pop("ram", {}))
        body = {"status": status, "setup-time": 1, "total-time": int(t * 1000),
                "remaining": ram_rem + stopcopy, "ram": ram}
        body.update(extra)
        return {"t_us": int(t * 1e6), "reply": body}

    while True:
        t += dt
        if "raise_at" in sc and t >= sc["raise_at"] and limit != sc["raise_to"]:
            limit = sc["raise_to"]
            lines.append({"t_us": int(t * 1e6) - 1000, "action": "downtime-limit %d" % limit})
        sent = min(int(bw * dt), ram_rem)
        ram_rem -= sent
        transferred += sent
        dirtied = min(dirtied + int(dirty * dt), total - ram_rem)
        threshold = bw * limit // 1000
        # QEMU syncs when all it has fits the threshold, or (seed 003) when no precopy data is left
        if ram_rem + stopcopy <= threshold or ram_rem == 0:
            ram_rem, dirtied, sync, rate = ram_rem + dirtied, 0, sync + 1, dirty // page
            if ram_rem + stopcopy <= threshold:
                break
        lines.append(reply("active", t, **{"expected-downtime": limit}))
    # the stop phase: RAM and device data at link speed (QEMU lifts max-bandwidth), 10x bw
    lines.append({"t_us": int(t * 1e6) + 1000, "event": {"event": "STOP"}})
    downtime_ms = int((ram_rem + stopcopy) * 1000 / (10 * bw))
    stop_bytes, ram_rem = ram_rem, 0
    transferred += stop_bytes
    t += dt
    lines.append(reply("completed", t, downtime=downtime_ms, remaining=0,
                       ram={"downtime-bytes": stop_bytes, "dirty-pages-rate": 0}))
    meta.update(outcome="completed", duration_s=round(t, 2))
    write_trace(out_dir, name, meta, lines)


def write_trace(out_dir, name, meta, lines):
    lines.sort(key=lambda line: line["t_us"])
    with open(os.path.join(out_dir, name + ".jsonl"), "w") as f:
        f.write(json.dumps({"meta": meta}, separators=(",", ":")) + "\n")
        for line in lines:
            f.write(json.dumps(line, separators=(",", ":")) + "\n")
    print("%s: %s after %.1f s, %d lines" % (name, meta["outcome"], meta["duration_s"],
                                            len(lines) + 1))


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--synthetic":
        for name, sc in SYNTHETIC.items():
            synthetic(name, sc, sys.argv[2])
        return 0
    if len(sys.argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    guest, out_dir = sys.argv[1], sys.argv[2]
    names = sys.argv[3:] or list(SCENARIOS)
    for name in names:
        record(name, SCENARIOS[name], guest, out_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
