#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Boot the coloctl test guest under QEMU/TCG and check its services.

usage: test-guest-boot.py VMLINUZ INITRD.IMG

Environment: QEMU (default qemu-system-x86_64), GUEST_BOOT_KEEP=1 keeps the temp dir.
Exit status: 0 pass, 1 fail, 77 skip (QEMU missing).
"""

import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

READY = b"COLOCTL-GUEST-READY"
READY_DEADLINE = 120.0
DISK_SIZE = 64 << 20
BLK = 4096
FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3
MASK = (1 << 64) - 1


class TestFailure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise TestFailure(msg)


def log(msg):
    print(f"[guest-boot] {msg}", flush=True)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fnv1a64(h, data):
    for b in data:
        h = ((h ^ b) * FNV_PRIME) & MASK
    return h


def host_verify(path, min_blocks):
    """Independent host-side check of the on-disk block format (see guest-tools.c)."""
    n = 0
    with open(path, "rb") as f:
        while True:
            b = f.read(BLK)
            if len(b) < BLK or b[:8] != b"COLOBLK1":
                break
            seq, _run_id, csum = struct.unpack("<QQQ", b[8:32])
            check(seq == n, f"host verify: block {n} holds seq {seq}")
            want = fnv1a64(fnv1a64(FNV_OFFSET, b[:24]), b[32:])
            check(csum == want, f"host verify: bad checksum in block {n}")
            n += 1
    check(n >= min_blocks, f"host verify: only {n} blocks on disk, guest acked {min_blocks}")
    return n


class Serial:
    """Unix-socket serial console: background reader, pattern waits, typing."""

    def __init__(self, path, logpath, alive, timeout=30.0):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if not alive():
                    raise TestFailure("QEMU exited before the serial socket accepted a connection")
                if time.monotonic() > deadline:
                    raise TestFailure(f"cannot connect to serial socket {path}")
                time.sleep(0.05)
        self.buf = bytearray()
        self.cond = threading.Condition()
        self.closed = False
        self.logf = open(logpath, "wb")
        self.thread = threading.Thread(target=self._reader, daemon=True)
        self.thread.start()

    def _reader(self):
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                data = b""
            with self.cond:
                if not data:
                    self.closed = True
                    self.cond.notify_all()
                    return
                self.buf += data
                self.logf.write(data)
                self.logf.flush()
                self.cond.notify_all()

    def mark(self):
        with self.cond:
            return len(self.buf)

    def wait_for(self, regex, start, timeout, alive=None):
        """Wait until regex (bytes) matches buf[start:]; returns the match."""
        pat = re.compile(regex, re.MULTILINE)
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                m = pat.search(bytes(self.buf[start:]))
                if m:
                    return m
                if self.closed:
                    raise TestFailure(f"serial console closed while waiting for {regex!r}")
                if alive is not None and not alive():
                    raise TestFailure(f"QEMU exited while waiting for {regex!r}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TestFailure(f"timeout ({timeout:.0f}s) waiting for {regex!r} on serial")
                self.cond.wait(min(left, 0.5))

    def type(self, text):
        self.sock.sendall(text.encode())

    def tail(self, n=3000):
        with self.cond:
            return bytes(self.buf[-n:]).decode(errors="replace").replace("\r", "")

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
        self.thread.join(timeout=2)
        self.logf.close()


class Ctl:
    """Line-based client for the guest ctl-server (several commands per connection)."""

    def __init__(self, port, timeout=30.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.f = self.sock.makefile("rwb")

    def cmd(self, line):
        self.f.write(line.encode() + b"\n")
        self.f.flush()
        reply = self.f.readline()
        check(reply.endswith(b"\n"), f"ctl: connection closed after {line!r}")
        reply = reply.decode().rstrip("\r\n")
        log(f"ctl {line!r} -> {reply!r}")
        return reply

    def close(self):
        self.f.close()
        self.sock.close()


def test_echo(port):
    payload = os.urandom(6 * 1024)
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(payload)
        got = bytearray()
        while len(got) < len(payload):
            chunk = s.recv(65536)
            check(chunk, f"echo: connection closed after {len(got)}/{len(payload)} bytes")
            got += chunk
    check(bytes(got) == payload, "echo: data came back different")
    log(f"echo: {len(payload)} random bytes came back identical")


def test_ctl(port, disk):
    ctl = Ctl(port)
    try:
        check(ctl.cmd("ping") == "PONG", "ctl ping did not answer PONG")
        up = ctl.cmd("uptime")
        check(re.fullmatch(r"\d+\.\d+", up) and float(up) > 0, f"ctl uptime: bad reply {up!r}")
        check(ctl.cmd("no-such-command") == "ERR unknown command", "ctl: unknown command accepted")

        # disk writer: start, let it ack some blocks, stop, sync, verify
        st = ctl.cmd("diskwrite status")
        check(st == "acked=-1 running=0", f"ctl diskwrite status before start: {st!r}")
        check(ctl.cmd("diskwrite start") == "OK", "ctl diskwrite start failed")
        deadline = time.monotonic() + 60
        acked = -1
        while acked < 20:
            st = ctl.cmd("diskwrite status")
            m = re.fullmatch(r"acked=(-?\d+) running=([01])", st)
            check(m, f"ctl diskwrite status: bad reply {st!r}")
            acked = int(m.group(1))
            check(m.group(2) == "1" or acked >= 20, "disk writer died early")
            check(time.monotonic() < deadline, f"disk writer acked only {acked} blocks in 60s")
            time.sleep(0.3)
        check(ctl.cmd("diskwrite stop") == "OK", "ctl diskwrite stop failed")
        st = ctl.cmd("diskwrite status")
        m = re.fullmatch(r"acked=(\d+) running=0", st)
        check(m, f"ctl diskwrite status after stop: {st!r}")
        acked = int(m.group(1))
        check(ctl.cmd("sync") == "OK", "ctl sync failed")
        v = ctl.cmd("verify")
        m = re.fullmatch(r"VERIFY OK blocks=(\d+)", v)
        check(m, f"ctl verify: {v!r}")
        blocks = int(m.group(1))
        check(blocks > 0 and blocks - 1 >= acked, f"verify blocks={blocks} but acked={acked}")
        n = host_verify(disk, acked + 1)
        check(n == blocks, f"host sees {n} blocks, guest {blocks}")
        log(f"disk: acked={acked} blocks={blocks}, host-side check agrees")

        # the checker must be able to fail: corrupt block 1 behind the guest's back
        with open(disk, "r+b") as f:
            f.seek(BLK + 100)
            orig = f.read(1)
            f.seek(BLK + 100)
            f.write(bytes([orig[0] ^ 0xFF]))
        v = ctl.cmd("verify")
        check(v.startswith("VERIFY FAIL"), f"verify missed a corrupted block: {v!r}")
        with open(disk, "r+b") as f:
            f.seek(BLK + 100)
            f.write(orig)
        v = ctl.cmd("verify")
        check(v == f"VERIFY OK blocks={blocks}", f"verify after repair: {v!r}")

        check(ctl.cmd("dirty 20") == "OK", "ctl dirty 20 not accepted")
        check(ctl.cmd("dirty x").startswith("ERR"), "ctl dirty accepted a bad rate")
    finally:
        ctl.close()


def test_serial_shell(serial, alive):
    # wait for the shell prompt once, then type
    serial.wait_for(rb"coloctl-guest# ", 0, 30, alive)
    start = serial.mark()
    serial.type("cat /proc/uptime\n")
    m = serial.wait_for(rb"^(\d+\.\d+) (\d+\.\d+)\r?$", start, 30, alive)
    log(f"serial shell: cat /proc/uptime -> {m.group(0).decode().strip()}")
    start = serial.mark()
    serial.type("grep -lx dirtier /proc/[0-9]*/comm | wc -l\n")
    m = serial.wait_for(rb"^(\d+)\r?$", start, 30, alive)
    check(int(m.group(1)) == 1, f"expected one dirtier process, found {m.group(1).decode()}")
    # 'dirty 20' over a 64 MiB buffer: resident memory must grow ~20 MiB/s until 64 MiB
    time.sleep(1.5)
    start = serial.mark()
    serial.type("grep VmRSS /proc/$(pidof dirtier)/status\n")
    m = serial.wait_for(rb"^VmRSS:\s+(\d+) kB\r?$", start, 30, alive)
    rss_kb = int(m.group(1))
    check(rss_kb >= 8 * 1024, f"dirtier RSS only {rss_kb} kB: memory is not being dirtied")
    log(f"serial shell: dirtier running, RSS {rss_kb // 1024} MiB")


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    kernel, initrd = sys.argv[1], sys.argv[2]
    qemu = os.environ.get("QEMU", "qemu-system-x86_64")
    if not shutil.which(qemu):
        print(f"SKIP: {qemu} not found (Debian package qemu-system-x86)")
        return 77
    for p in (kernel, initrd):
        if not os.path.isfile(p):
            print(f"FAIL: guest image file {p} missing (build the guest-image target)")
            return 1

    tmp = tempfile.mkdtemp(prefix="coloctl-guest-boot-")
    disk = os.path.join(tmp, "disk.raw")
    with open(disk, "wb") as f:
        f.truncate(DISK_SIZE)
    # cache=none needs O_DIRECT on the host file system (not available on tmpfs)
    cache = "none"
    try:
        os.close(os.open(disk, os.O_RDWR | os.O_DIRECT))
    except OSError:
        cache = "writeback"
        log(f"{tmp} does not support O_DIRECT, using cache=writeback")
    serial_sock = os.path.join(tmp, "serial.sock")
    serial_log = os.path.join(tmp, "serial.log")
    echo_port, ctl_port = free_port(), free_port()
    cmdline = (
        "console=ttyS0 panic=-1 coloctl.ip=10.0.2.15/24 coloctl.gw=10.0.2.2 coloctl.dirty=5"
    )
    argv = [
        qemu, "-accel", "tcg", "-machine", "pc", "-m", "256", "-nodefaults",
        "-display", "none", "-no-reboot",
        "-kernel", kernel, "-initrd", initrd, "-append", cmdline,
        "-chardev", f"socket,id=ser0,path={serial_sock},server=on,wait=on",
        "-serial", "chardev:ser0",
        "-drive", f"if=none,id=d0,file={disk},format=raw,cache={cache}",
        "-device", "virtio-blk-pci,drive=d0",
        "-netdev", f"user,id=n0,hostfwd=tcp:127.0.0.1:{echo_port}-:7,"
                   f"hostfwd=tcp:127.0.0.1:{ctl_port}-:8023",
        "-device", "virtio-net-pci,netdev=n0",
    ]  # fmt: skip
    log("starting: " + " ".join(argv))
    qemu_err = open(os.path.join(tmp, "qemu.stderr"), "w+b")
    proc = None
    serial = None
    ok = False
    stage = "starting QEMU"
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=qemu_err,
                                stderr=qemu_err)
        alive = lambda: proc.poll() is None  # noqa: E731
        t0 = time.monotonic()
        stage = "boot (waiting for the ready marker)"
        serial = Serial(serial_sock, serial_log, alive)
        serial.wait_for(rb"^" + READY + rb"\r?$", 0, READY_DEADLINE, alive)
        log(f"ready marker after {time.monotonic() - t0:.1f} s")

        stage = f"echo test (guest port 7 via 127.0.0.1:{echo_port})"
        test_echo(echo_port)
        stage = f"ctl test (guest port 8023 via 127.0.0.1:{ctl_port})"
        test_ctl(ctl_port, disk)
        stage = "serial shell test"
        test_serial_shell(serial, alive)
        check(alive(), "QEMU exited during the test")
        ok = True
    except TestFailure as e:
        print(f"FAIL in {stage}: {e}", flush=True)
    except Exception as e:  # unexpected errors (socket resets, timeouts) are failures too
        print(f"FAIL in {stage}: {type(e).__name__}: {e}", flush=True)
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
        if proc is not None:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        if serial is not None:
            if not ok:
                print("---- serial console (tail) ----\n" + serial.tail(), flush=True)
            serial.close()
        qemu_err.seek(0)
        err = "\n".join(
            line
            for line in qemu_err.read().decode(errors="replace").splitlines()
            if "QEMU waiting for connection" not in line
        ).strip()
        qemu_err.close()
        if err and not ok:
            print("---- qemu stderr ----\n" + err, flush=True)
        if os.environ.get("GUEST_BOOT_KEEP") == "1" or not ok:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    if ok:
        log("PASS")
        return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
