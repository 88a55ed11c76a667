#!/usr/bin/env python3
"""COLO with real QEMU (TCG), a real network and real traffic.

Topology (colo_net.Topology): host namespaces A and B, each with a bridge br0 that
holds the members' taps and an uplink to a central bridge in the client namespace;
a separate replication veth between A and B. The tiny guest (10.77.0.10) runs its
TCP echo service and its disk writer; a client in the client namespace streams
numbered data through the echo service for the whole test and checks every byte.

Under TCG QEMU's primary deadlocks at its first COLO checkpoint (DESIGN.md §6), so
the pair runs with a checkpoint delay longer than any scenario, and only
deterministic traffic (the echo) flows while the guest is protected: a guest reply
that differs between the members (the control service's) makes colo-compare ask for
a checkpoint. The guest-side checks (sync, verify) run while the guest is
unprotected, between a failover and the re-protection.

Each scenario: protect a running guest under traffic, inject the fault, and assert
that the guest still answers, the stream lost nothing, the disk verifies on the
survivor, the store and `show` agree with the processes that run, and re-protection
brings the guest back to `protected`.
"""

import json
import os
import signal
import sqlite3
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import colo_net  # noqa: E402
from daemon_harness import Daemon, Serial, pid_alive, wait_for  # noqa: E402

GUEST_IP = "10.77.0.10"
LONG = os.environ.get("COLOCTL_LONG_TESTS") == "1"
# every figure a scenario measured, printed at the end for the closing note
FIGURES = []


def root_and_tools():
    if os.geteuid() != 0:
        return "needs root (network namespaces, taps)"
    if not os.path.exists("/dev/net/tun"):
        return "no /dev/net/tun"
    for var in ("COLOCTLD", "COLOCTL_TEST_QEMU", "COLOCTL_TEST_GUEST_KERNEL",
                "COLOCTL_TEST_GUEST_INITRD"):
        if not os.environ.get(var):
            return "run through meson test (%s is not set)" % var
    return None


SKIP = root_and_tools()


@unittest.skipIf(SKIP is not None, SKIP or "")
class ColoCase(unittest.TestCase):
    auto_reprotect = False
    hang_ms = 1000
    reprotect_delay_ms = 1000

    # ------------------------------------------------------------------ set-up
    def setUp(self):
        colo_net.reap_stale_topologies()
        self.topo = colo_net.Topology()
        self.addCleanup(self.topo.teardown)
        self.topo.setup()
        extra = ("[host a]\naddress=%s\nnetns=%s\n[host b]\naddress=%s\nnetns=%s\n"
                 "[colo]\nhang-ms=%d\ncheckpoint-hang-ms=10000\ncheckpoint-ms=3600000\n"
                 "reprotect-delay-ms=%d\n"
                 % (self.topo.rep_addr_a, self.topo.ns_a, self.topo.rep_addr_b,
                    self.topo.ns_b, self.hang_ms, self.reprotect_delay_ms))
        self.d = Daemon(config_extra=extra)
        self.addCleanup(self.d.cleanup)
        self.d.start()
        self.disk = os.path.join(self.d.tmp, "disk.raw")
        with open(self.disk, "wb") as f:
            f.truncate(64 << 20)
        r = self.d.post("/v1/guests", {
            "name": "g", "memory_mib": 256, "disk": self.disk,
            "kernel": os.environ["COLOCTL_TEST_GUEST_KERNEL"],
            "initrd": os.environ["COLOCTL_TEST_GUEST_INITRD"],
            "append": "panic=-1 coloctl.ip=%s/24" % GUEST_IP,
            "net": "bridge:br0", "host": "a"})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(self.d.post("/v1/guests/g/start").status, 202)
        self.d.wait_state("g", "running", 90)
        self.ctl = colo_net.GuestCtl(self.topo.ns_client, GUEST_IP)
        self.ctl.wait_ping(90)
        self.ctl.diskwrite_start()
        # a steady, deterministic stream: the same bytes come out of both members
        self.stream = colo_net.EchoStream(self.topo.ns_client, GUEST_IP, rate=2048, chunk=128,
                                          break_after=60)
        self.stream.start()
        self.addCleanup(self.stream.stop, 1.0)
        self.stream.wait_more(4096, 30)
        self.failovers = 0
        self.spontaneous = 0
        self.blocks = []
        self.protect()

    # ----------------------------------------------------------------- helpers
    def show(self):
        r = self.d.get("/v1/guests/g")
        self.assertEqual(r.status, 200, r)
        return r.json()

    def member_pid(self, role):
        for m in self.show()["members"]:
            if m["role"] == role:
                return m["pid"]
        self.fail("no %s member in %s" % (role, self.show()["members"]))

    def protect(self, explicit=True):
        if explicit:
            r = self.d.post("/v1/guests/g/protect",
                            {"auto_reprotect": self.auto_reprotect})
            self.assertEqual(r.status, 202, r)
        try:
            self.d.wait_state("g", "protected", 180)
        except AssertionError:
            self.dump()
            raise
        # failovers from here on are this protection's: a checkpoint that comes on its
        # own may fail it over while the stream below is still waited for
        self.failovers_at_protect = len(
            self.d.get("/v1/guests/g/failovers").json()["failovers"])
        g = self.show()
        p = g["protection"]
        self.assertEqual(p["state"], "protected")
        self.assertEqual(p["pair_state"], "protected")
        # QEMU 7.2 has no enable_when_stopped: show says it was left out
        self.assertIn(p["filters"]["enable_when_stopped"], ("unavailable", "set"))
        self.assertTrue(p["filters"]["note"] if p["filters"]["enable_when_stopped"] ==
                        "unavailable" else True)
        roles = sorted(m["role"] for m in g["members"])
        self.assertEqual(roles, ["primary", "secondary"])
        # the sync went through the disk resync, then the initial migration, whose
        # progress came from cc-progress
        ev = self.d.events()
        synced = [e for e in ev if e["kind"] == "colo-disk-synced"][-1]["detail"]
        self.assertEqual(synced["bytes"], 64 << 20)
        mig = [e for e in ev if e["kind"] == "protected"][-1]["detail"]["migration"]
        self.assertGreater(mig["transferred_bytes"], 0)
        self.assertIn("phase", mig)
        hosts = {m["role"]: m["host"] for m in g["members"]}
        self.assertNotEqual(hosts["primary"], hosts["secondary"])
        for m in g["members"]:
            self.assertTrue(pid_alive(m["pid"]), m)
        self.protected_at = [e for e in ev if e["kind"] == "protected"][-1]["id"]
        # the members as they were protected: a checkpoint may fail the pair over
        # before the stream below has moved
        self.protected_pids = {m["role"]: m["pid"] for m in g["members"]}
        # traffic flows through colo-compare
        self.stream.wait_more(1024, 60)
        if not getattr(self, "in_settle", False):
            self.settle()

    def settle(self):
        """Under TCG QEMU's primary deadlocks at a checkpoint (DESIGN.md §6), and
        colo-compare asks for one on its own when the members' TCP output differs
        (the two guests' echo may split a reply differently). The daemon then fails
        over by itself, which is checked like any failover; the guest is protected
        again and the scenario goes on from there."""
        self.in_settle = True
        try:
            for _ in range(6):
                time.sleep(0.5)
                ev = self.d.events(self.protected_at)
                cps = [e for e in ev if e["kind"] == "colo-checkpoint"]
                if not cps:
                    return
                # most such checkpoints deadlock the primary; some complete
                n = self.failovers_at_protect

                def outcome():
                    if len(self.d.get("/v1/guests/g/failovers").json()["failovers"]) > n:
                        return "failover"
                    p = self.show()["protection"] or {}
                    if (p.get("state") == "protected" and not p.get("in_checkpoint") and
                            p.get("checkpoints", 0) >= len(cps)):
                        return "completed"
                    return None
                try:
                    result = wait_for("the checkpoint's outcome", outcome, 60)
                except AssertionError:
                    self.dump()
                    raise
                if result == "completed":
                    self.protected_at = self.d.last_event_id()
                    continue
                primary = self.protected_pids["primary"]
                self.spontaneous += 1
                f = self.wait_failover()
                self.after_failover(f, "primary", [primary],
                                    ("qmp-deadline", "colo-exit", "checkpoint-stuck"))
                self.protect(explicit=not self.auto_reprotect)
            self.fail("checkpoints kept coming after 6 protects")
        finally:
            self.in_settle = False

    def dump(self):
        for e in self.d.events()[-40:]:
            print(e["kind"], json.dumps(e.get("detail"))[:400], file=sys.stderr)
        print(json.dumps(self.show(), indent=1)[:4000], file=sys.stderr)

    def wait_failover(self):
        self.failovers += 1
        try:
            wait_for("failover %d" % self.failovers,
                     lambda: len(self.d.get("/v1/guests/g/failovers").json()["failovers"])
                     >= self.failovers, 60)
            wait_for("guest g running", lambda: self.show()["state"] in
                     (("running", "syncing", "protected") if self.auto_reprotect
                      else ("running",)), 60)
        except AssertionError:
            self.dump()
            raise
        f = self.d.get("/v1/guests/g/failovers").json()["failovers"][-1]
        self.assertTrue(f["ok"], f)
        return f

    def assert_stream_clean(self, what):
        self.stream.wait_more(2048, 90)  # the guest answers through the survivor
        snap = self.stream.snapshot()
        self.assertEqual(snap["corrupted"], 0, snap)
        self.assertEqual(snap["lost_acked"], 0, snap)
        return snap

    def assert_store_matches(self, dead_pids):
        g = self.show()
        live = [m for m in g["members"]]
        for m in live:
            self.assertTrue(pid_alive(m["pid"]), "member %s pid %d is not running" %
                            (m["role"], m["pid"]))
        for pid in dead_pids:
            self.assertFalse(pid_alive(pid), "fenced pid %d still runs" % pid)
        self.assertEqual([m["role"] for m in live if m["role"] == "primary"], ["primary"])
        # the store, read straight from sqlite, says the same
        db = sqlite3.connect("file:%s?mode=ro" % self.d.db, uri=True)
        try:
            rows = db.execute("SELECT role, pid FROM members WHERE guest = 'g'").fetchall()
            state = db.execute("SELECT state FROM guests WHERE name = 'g'").fetchone()[0]
            pair = db.execute("SELECT state FROM pairs WHERE guest = 'g'").fetchone()[0]
        finally:
            db.close()
        self.assertEqual(sorted(rows), sorted((m["role"], m["pid"]) for m in live))
        self.assertEqual(state, g["state"])
        self.assertEqual(pair, g["protection"]["pair_state"])
        return g

    def verify_disk(self):
        """Guest-side: stop the writer, sync, verify every acked block; start it again."""
        self.ctl.diskwrite_stop()
        self.ctl.sync()
        blocks = self.ctl.verify()
        self.assertGreater(blocks, 0)
        self.blocks.append(blocks)
        self.ctl.diskwrite_start()
        return blocks

    def after_failover(self, f, lost_role, dead_pids, causes):
        self.assertEqual(f["lost_role"], lost_role, f)
        self.assertIn(f["cause"], causes, f)
        snap = self.assert_stream_clean("after failover")
        g = self.assert_store_matches(dead_pids)
        self.assertIn(g["state"], ("running",))
        self.assertIsNotNone(g["protection"])
        self.assertEqual(g["protection"]["pair_state"], "unprotected")
        blocks = self.verify_disk()
        FIGURES.append({"test": self.id().split(".")[-1], "cause": f["cause"],
                        "lost": lost_role, "latency_ms": round(f["latency_ms"], 1),
                        "stream_bytes_verified": snap["bytes_verified"],
                        "max_stall_s": snap["max_stall_s"], "reconnects": snap["reconnects"],
                        "disk_blocks_verified": blocks})
        return g

    def finish(self):
        """Re-protect, then stop: both members go down the ladder."""
        self.protect()
        pids = [m["pid"] for m in self.show()["members"]]
        snap = self.stream.stop(2.0)
        self.assertEqual(snap["corrupted"], 0, snap)
        self.assertEqual(snap["lost_acked"], 0, snap)
        self.assertEqual(self.d.post("/v1/guests/g/stop").status, 202)
        self.d.wait_state("g", "stopped", 60)
        for pid in pids:
            wait_for("pid %d gone" % pid, lambda: not pid_alive(pid), 30)
        # the primary's row stays (stopped), the secondary's goes with the pair
        members = self.show()["members"]
        self.assertEqual([m["role"] for m in members], ["primary"])
        self.assertEqual(members[0]["state"], "stopped")
        # of the disks and overlays coloctl made, only the one the guest runs from is
        # left: fenced members', committed overlays and a stopped secondary's go
        run_disk = self.show()["run_disk"]
        self.assertEqual(sorted(os.listdir(os.path.join(self.d.state_dir, "colo"))),
                         [os.path.basename(run_disk)] if run_disk else [])

    # ---------------------------------------------------------------- scenarios
    def test_1_kill_primary(self):
        primary = self.member_pid("primary")
        secondary_host = [m for m in self.show()["members"] if m["role"] == "secondary"][0]
        os.kill(primary, signal.SIGKILL)
        f = self.wait_failover()
        g = self.after_failover(f, "primary", [primary],
                                ("process-exit", "qmp-eof", "colo-exit"))
        # the secondary runs the guest now, from its own copy of the disk
        self.assertEqual(g["host"], secondary_host["host"])
        self.assertIsNotNone(g["run_disk"])
        self.assertEqual(self.member_pid("primary"), secondary_host["pid"])
        self.finish()

    def test_2_kill_secondary(self):
        primary = self.member_pid("primary")
        secondary = self.member_pid("secondary")
        os.kill(secondary, signal.SIGKILL)
        f = self.wait_failover()
        g = self.after_failover(f, "secondary", [secondary],
                                ("process-exit", "qmp-eof", "colo-exit",
                                 "replication-io-error"))
        self.assertEqual(self.member_pid("primary"), primary)
        self.assertIsNone(g["run_disk"])
        # the fenced secondary's disk and overlays are gone
        colo_dir = os.path.join(self.d.state_dir, "colo")
        self.assertEqual(sorted(os.listdir(colo_dir)), [])
        self.finish()

    def test_8_restart_from_promoted_disk(self):
        """After a failover to the secondary, the guest's disk is the secondary's copy
        (run_disk). Stopping and starting the guest keeps every block written before
        the stop, including those written after the failover."""
        primary = self.member_pid("primary")
        os.kill(primary, signal.SIGKILL)
        f = self.wait_failover()
        g = self.after_failover(f, "primary", [primary], ("process-exit", "qmp-eof",
                                                          "colo-exit"))
        run_disk = g["run_disk"]
        self.assertIsNotNone(run_disk)
        self.stream.wait_more(2048, 60)
        # protected again, then unprotected on request: the secondary is fenced, the
        # guest runs on, no failover is counted, and the next start is unprotected
        self.protect()
        sec = self.member_pid("secondary")
        n = len(self.d.get("/v1/guests/g/failovers").json()["failovers"])
        r = self.d.post("/v1/guests/g/unprotect", {})
        self.assertEqual(r.status, 202, r)
        wait_for("unprotected", lambda: self.show()["protection"] is None, 60)
        self.assertEqual(self.show()["state"], "running")
        self.assertEqual([m["role"] for m in self.show()["members"]], ["primary"])
        wait_for("secondary gone", lambda: not pid_alive(sec), 30)
        self.assertEqual(len(self.d.get("/v1/guests/g/failovers").json()["failovers"]), n)
        r = self.d.post("/v1/guests/g/unprotect", {})
        self.assertEqual(r.status, 409, r)
        snap = self.stream.stop(2.0)
        self.assertEqual(snap["corrupted"], 0, snap)
        self.assertEqual(snap["lost_acked"], 0, snap)
        self.ctl.diskwrite_stop()
        self.ctl.sync()
        before = self.ctl.verify()
        # the stop waits for the replication's commit if it still runs, then the ladder
        self.assertEqual(self.d.post("/v1/guests/g/stop").status, 202)
        self.d.wait_state("g", "stopped", 90)
        self.assertTrue([e for e in self.d.events() if e["kind"] == "colo-disk-committed"])
        after_id = self.d.last_event_id()
        self.assertEqual(self.d.post("/v1/guests/g/start").status, 202)
        self.d.wait_state("g", "running", 90)
        self.assertIsNone(self.show()["protection"])
        launched = [e["detail"]["argv"] for e in self.d.events(after_id)
                    if e["kind"] == "member-launched"]
        self.assertEqual(len(launched), 1)
        self.assertIn(run_disk, launched[0])
        self.ctl.wait_ping(90)
        after = self.ctl.verify()
        self.assertGreaterEqual(after, before)
        FIGURES.append({"test": "test_8_restart_from_promoted_disk",
                        "blocks_before_stop": before, "blocks_after_start": after})

    def test_7_secondary_dies_while_syncing(self):
        """The secondary is lost before the pair reached COLO: the protect is undone,
        the primary keeps running the guest, and the reason says why."""
        # the set-up protected the guest: fail over to the primary on request first
        r = self.d.post("/v1/guests/g/failover", {"to": "primary"})
        self.assertEqual(r.status, 202, r)
        self.wait_failover()
        after = self.d.last_event_id()
        primary = self.member_pid("primary")
        r = self.d.post("/v1/guests/g/protect", {"auto_reprotect": False})
        self.assertEqual(r.status, 202, r)
        # a protect in progress refuses a second one
        r = self.d.post("/v1/guests/g/protect", {})
        self.assertEqual(r.status, 409, r)
        self.assertEqual(r.json()["code"], "conflict")
        sec = wait_for("the new secondary", lambda: [m["pid"] for m in self.show()["members"]
                                                     if m["role"] == "secondary" and
                                                     m["pid"] > 0], 60)[0]
        os.kill(sec, signal.SIGKILL)
        wait_for("protect undone",
                 lambda: [e for e in self.d.events(after) if e["kind"] == "protect-failed"], 90)
        self.d.wait_state("g", "running", 60)
        g = self.show()
        self.assertIn("protect failed", g["reason"])
        self.assertEqual(g["protection"]["pair_state"], "unprotected")
        self.assertEqual([(m["role"], m["pid"]) for m in g["members"]], [("primary", primary)])
        self.assertFalse(pid_alive(sec))
        self.assert_stream_clean("after an undone protect")
        self.verify_disk()
        self.finish()

    def test_3_hang_primary(self):
        primary = self.member_pid("primary")
        t0 = time.monotonic()
        os.kill(primary, signal.SIGSTOP)
        try:
            f = self.wait_failover()
        finally:
            if pid_alive(primary):
                os.kill(primary, signal.SIGCONT)
        elapsed = time.monotonic() - t0
        self.after_failover(f, "primary", [primary], ("qmp-deadline",))
        # detected by the hang deadline: silent for at least hang-ms, then fenced
        lost = [e for e in self.d.events() if e["kind"] == "colo-lost"][-1]["detail"]
        self.assertEqual(lost["deadline_ms"], self.hang_ms, lost)
        self.assertGreaterEqual(lost["silent_ms"], self.hang_ms, lost)
        self.assertFalse(lost["in_checkpoint"], lost)
        self.assertLess(elapsed, 30)
        self.finish()

    def test_4_cut_replication_link(self):
        primary = self.member_pid("primary")
        secondary = self.member_pid("secondary")
        self.topo.cut_replication()
        try:
            f = self.wait_failover()
        finally:
            self.topo.restore_replication()
        # the primary answers, so it keeps the guest; the secondary is fenced
        self.after_failover(f, "secondary", [secondary],
                            ("replication-link", "colo-exit", "replication-io-error"))
        self.assertEqual(self.member_pid("primary"), primary)
        cmds = [s["command"] for s in f["detail"]["steps"]]
        self.assertIn("ss -K", cmds)
        self.finish()

    def test_5_failover_during_checkpoint(self):
        """A reply that differs between the members (the guest's uptime) makes
        colo-compare ask for a checkpoint; the primary is killed the moment the
        checkpoint's STOP arrives (under TCG that checkpoint would also deadlock it)."""
        primary = self.member_pid("primary")
        after = self.d.last_event_id()

        def poke():
            try:
                colo_net.ctl(self.topo.ns_client, GUEST_IP, "uptime", timeout=5)
            except colo_net.GuestCtlError:
                pass
        threading.Thread(target=poke, daemon=True).start()

        def checkpoint():
            return [e for e in self.d.events(after) if e["kind"] == "colo-checkpoint"]
        wait_for("a checkpoint", checkpoint, 30, interval=0.01)
        os.kill(primary, signal.SIGKILL)
        f = self.wait_failover()
        self.after_failover(f, "primary", [primary],
                            ("process-exit", "qmp-eof", "colo-exit", "qmp-deadline"))
        lost = [e for e in self.d.events(after) if e["kind"] == "colo-lost"][0]
        self.assertTrue(lost["detail"]["in_checkpoint"], lost)
        self.finish()

    def test_6_daemon_restart(self):
        """coloctld killed with -9 while the guest is protected: on restart it reattaches
        to both members and supervises the pair again, without disturbing the guest."""
        before = {m["role"]: m["pid"] for m in self.show()["members"]}
        self.d.kill9()
        self.stream.wait_more(1024, 30)  # the guest does not notice
        self.d.start()
        self.assertEqual(self.show()["state"], "protected")
        wait_for("supervision", lambda: self.show()["protection"].get("state") == "protected",
                 30)
        g = self.show()
        self.assertEqual(g["state"], "protected")
        self.assertEqual({m["role"]: m["pid"] for m in g["members"]}, before)
        # the recorded pids never went missing while the daemon reattached
        db = sqlite3.connect("file:%s?mode=ro" % self.d.db, uri=True)
        try:
            rows = dict(db.execute("SELECT role, pid FROM members WHERE guest = 'g'"))
        finally:
            db.close()
        self.assertEqual(rows, before)
        self.assertTrue([e for e in self.d.events() if e["kind"] == "colo-adopted"])
        # and it still fails over
        os.kill(before["primary"], signal.SIGKILL)
        f = self.wait_failover()
        self.after_failover(f, "primary", [before["primary"]],
                            ("process-exit", "qmp-eof", "colo-exit"))
        self.assertEqual(self.member_pid("primary"), before["secondary"])
        self.finish()


@unittest.skipIf(SKIP is not None, SKIP or "")
class ColoAutoReprotect(ColoCase):
    """Failover, then re-protection on its own (the spare is the lost member's host)."""
    auto_reprotect = True
    reprotect_delay_ms = 20000  # room for the guest-side disk check while unprotected

    def test_1_kill_primary(self):
        super().test_1_kill_primary()

    test_2_kill_secondary = test_3_hang_primary = test_4_cut_replication_link = None
    test_5_failover_during_checkpoint = test_6_daemon_restart = None
    test_7_secondary_dies_while_syncing = test_8_restart_from_promoted_disk = None

    def finish(self):
        # no request: the daemon re-protects by itself
        self.protect(explicit=False)
        ev = [e for e in self.d.events() if e["kind"] == "protect-started"]
        self.assertEqual(len(ev), 2 + self.spontaneous, ev)


@unittest.skipIf(SKIP is not None, SKIP or "")
class ColoRepeated(ColoCase):
    """At least 6 alternating failovers on the same guest, re-protected in between."""
    rounds = 8 if LONG else 6

    test_1_kill_primary = test_2_kill_secondary = test_3_hang_primary = None
    test_4_cut_replication_link = test_5_failover_during_checkpoint = None
    test_6_daemon_restart = test_7_secondary_dies_while_syncing = None
    test_8_restart_from_promoted_disk = None

    def test_alternating(self):
        for n in range(self.rounds):
            role = "primary" if n % 2 == 0 else "secondary"
            pid = self.member_pid(role)
            keep = self.member_pid("secondary" if role == "primary" else "primary")
            os.kill(pid, signal.SIGKILL)
            f = self.wait_failover()
            self.after_failover(f, role, [pid], ("process-exit", "qmp-eof", "colo-exit",
                                                 "replication-io-error"))
            self.assertEqual(self.member_pid("primary"), keep)
            self.protect()
        self.assertEqual(len(self.d.get("/v1/guests/g/failovers").json()["failovers"]),
                         self.rounds + self.spontaneous)
        self.finish_repeated()

    def finish_repeated(self):
        snap = self.stream.stop(2.0)
        self.assertEqual(snap["corrupted"], 0, snap)
        self.assertEqual(snap["lost_acked"], 0, snap)
        print("repeated run: %d failovers (+%d after a TCG checkpoint), stream %d bytes "
              "verified, %d reconnects, disk blocks verified per round %s"
              % (self.rounds, self.spontaneous, snap["bytes_verified"], snap["reconnects"],
                 self.blocks))


@unittest.skipIf(SKIP is not None, SKIP or "")
class ColoNoNet(unittest.TestCase):
    """A guest with --net none: no network filters, checkpoints on the timer alone.
    Secondary on the same host (two member processes, one machine); a failover on
    request keeps the guest running on the secondary, as its serial console shows."""

    def test_protect_and_failover(self):
        d = Daemon(config_extra="[colo]\nhang-ms=1000\ncheckpoint-ms=3600000\n"
                                "auto-reprotect=false\n")
        self.addCleanup(d.cleanup)
        d.start()
        disk = os.path.join(d.tmp, "disk.raw")
        with open(disk, "wb") as f:
            f.truncate(32 << 20)
        r = d.post("/v1/guests", {
            "name": "n", "memory_mib": 192, "disk": disk,
            "kernel": os.environ["COLOCTL_TEST_GUEST_KERNEL"],
            "initrd": os.environ["COLOCTL_TEST_GUEST_INITRD"],
            "append": "panic=-1", "protect": True, "checkpoint_ms": 3600000})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json()["protection"]["pair_state"], "wanted")
        self.assertEqual(d.post("/v1/guests/n/start").status, 202)
        # start brings up both members: created protected
        d.wait_state("n", "protected", 180)
        g = d.get("/v1/guests/n").json()
        p = g["protection"]
        self.assertEqual(p["filters"]["network"], False)
        self.assertEqual(p["filters"]["enable_when_stopped"], "not-needed")
        self.assertEqual(sorted(m["role"] for m in g["members"]), ["primary", "secondary"])
        sec = [m for m in g["members"] if m["role"] == "secondary"][0]
        pri = [m for m in g["members"] if m["role"] == "primary"][0]
        # no network: no filter objects on either member's command line
        launched = [e["detail"]["argv"] for e in d.events() if e["kind"] == "member-launched"]
        self.assertEqual(len(launched), 2)
        for argv in launched:
            self.assertNotIn("filter-", argv)
            self.assertNotIn("-netdev", argv)
        # on demand, to the secondary: the primary is fenced first
        r = d.post("/v1/guests/n/failover", {"to": "secondary"})
        self.assertEqual(r.status, 202, r)
        wait_for("failover", lambda: d.get("/v1/guests/n/failovers").json()["failovers"], 60)
        d.wait_state("n", "running", 60)
        f = d.get("/v1/guests/n/failovers").json()["failovers"][-1]
        self.assertTrue(f["ok"], f)
        self.assertEqual(f["cause"], "requested")
        self.assertEqual(f["lost_role"], "primary")
        wait_for("fenced primary", lambda: not pid_alive(pri["pid"]), 30)
        g = d.get("/v1/guests/n").json()
        self.assertEqual([(m["role"], m["pid"]) for m in g["members"]],
                         [("primary", sec["pid"])])
        # the guest runs on: its clock moves on the former secondary's console
        con = Serial(os.path.join(d.runtime_dir, os.path.basename(sec["qmp"])[:-4] +
                                  ".serial"))
        self.addCleanup(con.close)

        def uptime():
            # a fresh console: the shell's first line may go to its cursor query
            for _ in range(3):
                try:
                    return con.uptime()
                except AssertionError:
                    pass
            return con.uptime()
        t1 = uptime()
        time.sleep(1.0)
        self.assertGreater(uptime(), t1)
        metrics = d.get("/metrics").body
        self.assertIn("coloctl_failovers_total 1\n", metrics)
        # a second failover request has nothing to fail over to
        r = d.post("/v1/guests/n/failover", {})
        self.assertEqual(r.status, 409, r)
        self.assertEqual(r.json()["code"], "conflict")
        # and protect again on request
        self.assertEqual(d.post("/v1/guests/n/protect", {}).status, 202)
        d.wait_state("n", "protected", 180)
        self.assertEqual(d.post("/v1/guests/n/stop").status, 202)
        d.wait_state("n", "stopped", 60)


def kvm_usable():
    """/dev/kvm opens and QEMU starts a KVM machine with it."""
    import subprocess
    try:
        fd = os.open("/dev/kvm", os.O_RDWR)
        os.close(fd)
    except OSError:
        return False
    qemu = os.environ.get("COLOCTL_TEST_QEMU")
    if not qemu:
        return False
    try:
        r = subprocess.run([qemu, "-machine", "pc", "-accel", "kvm", "-nodefaults",
                            "-display", "none", "-S", "-qmp", "stdio"],
                           input=b'{"execute":"qmp_capabilities"}\n'
                                 b'{"execute":"query-kvm"}\n{"execute":"quit"}\n',
                           capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return r.returncode == 0 and b'"enabled": true' in r.stdout


@unittest.skipIf(SKIP is not None, SKIP or "")
@unittest.skipUnless(kvm_usable(), "no usable /dev/kvm: checkpoint scenarios need KVM "
                     "(under TCG QEMU's primary deadlocks at its first checkpoint)")
class ColoKvmCheckpoints(unittest.TestCase):
    """Real checkpoints: KVM with a firmware-only guest (nested KVM here cannot boot
    Linux, DESIGN.md §6), a checkpoint every 300 ms. The pair stays protected
    through many checkpoints with both monitors answering; then the primary is
    killed on the STOP of a checkpoint and the secondary takes over."""

    def test_checkpoints_then_failover(self):
        d = Daemon(config_extra="[colo]\nhang-ms=2000\ncheckpoint-hang-ms=10000\n"
                                "auto-reprotect=false\n")
        with open(d.config) as f:
            conf = f.read().replace("accel=tcg", "accel=kvm")
        with open(d.config, "w") as f:
            f.write(conf)
        self.addCleanup(d.cleanup)
        d.start()
        disk = os.path.join(d.tmp, "disk.raw")
        with open(disk, "wb") as f:
            f.truncate(16 << 20)
        r = d.post("/v1/guests", {"name": "k", "memory_mib": 128, "disk": disk,
                                  "protect": True, "checkpoint_ms": 300})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(d.post("/v1/guests/k/start").status, 202)
        d.wait_state("k", "protected", 180)
        wait_for("20 checkpoints",
                 lambda: d.get("/v1/guests/k").json()["protection"]["checkpoints"] >= 20, 90)
        p = d.get("/v1/guests/k").json()["protection"]
        self.assertEqual(p["state"], "protected")
        for role in ("primary", "secondary"):
            self.assertLess(p["health"][role]["last_reply_ms_ago"], 2000, p)
        pri = [m for m in d.get("/v1/guests/k").json()["members"] if m["role"] == "primary"][0]
        # the next checkpoint's STOP, then the kill
        after = d.last_event_id()
        wait_for("a checkpoint", lambda: [e for e in d.events(after)
                                          if e["kind"] == "colo-checkpoint"], 30,
                 interval=0.005)
        os.kill(pri["pid"], signal.SIGKILL)
        wait_for("failover", lambda: d.get("/v1/guests/k/failovers").json()["failovers"], 60)
        d.wait_state("k", "running", 60)
        f = d.get("/v1/guests/k/failovers").json()["failovers"][-1]
        self.assertTrue(f["ok"], f)
        self.assertEqual(f["lost_role"], "primary")
        lost = [e for e in d.events(after) if e["kind"] == "colo-lost"][0]["detail"]
        print("KVM: %d checkpoints before the kill; killed %s a checkpoint; failover %.1f ms"
              % (p["checkpoints"], "inside" if lost["in_checkpoint"] else "just after",
                 f["latency_ms"]))
        g = d.get("/v1/guests/k").json()
        self.assertEqual([m["role"] for m in g["members"]], ["primary"])
        self.assertTrue(pid_alive(g["members"][0]["pid"]))
        self.assertFalse(pid_alive(pri["pid"]))


def tearDownModule():
    for f in FIGURES:
        print("FIGURE " + json.dumps(f))


if __name__ == "__main__":
    unittest.main(verbosity=2)
