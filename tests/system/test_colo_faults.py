#!/usr/bin/env python3
"""COLO faults a real QEMU will not produce on demand, on a pair of fake QEMUs.

A member that silently leaves COLO (its query-colo-status says mode "none", no
COLO_EXIT, the guest runs on) is what the mode watchdog is for. QEMU 7.2 gets there
only through internal errors; the fake does it on SIGUSR1 (tests/fake-qmp/README.md).
A checkpoint that never resumes the primary while both monitors answer, and a primary
whose monitor stops answering just after the initial COLO migration began, are not
produced on demand either (QEMU's TCG deadlock gives them at random). Every other COLO
fault is tested with real QEMU in test_colo.py.

Each case: protect a guest on two fakes (same host, --net none), break one member's
mode, and assert the detection event and its cause, that the primary keeps the guest,
that the other member is fenced (its process is gone before the survivor is
declared running), that the store and the API agree, and that protect brings the
guest back to "protected".
"""

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from daemon_harness import Daemon, make_disk, guest_body, pid_alive, wait_for  # noqa: E402


@unittest.skipUnless(os.environ.get("FAKE_QMP") and os.environ.get("COLOCTLD"),
                     "run through meson test (FAKE_QMP and COLOCTLD are not set)")
class ColoFakePair(unittest.TestCase):
    """A guest protected on two fake QEMUs (same host, --net none); subclasses set
    the fakes' faults, the [colo] keys and whether setUp waits for "protected"."""

    fake_extra = ""
    wait_protected = True
    hang_ms = 1500
    auto_reprotect = False
    daemon_extra = ""
    colo_extra = ""
    guest_extra = {}

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="coloctl-colofault-")
        conf = os.path.join(self.tmp, "fake.conf")
        with open(conf, "w") as f:
            f.write("[default]\nmirror-ready-ms=50\n" + self.fake_extra)
        os.environ["FAKE_QMP_CONFIG"] = conf
        self.d = Daemon(keep_dirs=self.tmp)
        with open(self.d.config, "w") as f:
            f.write("[qemu]\nbinary=%s\n" % os.environ["FAKE_QMP"])
            f.write("[timeouts]\nquit-ms=2000\nexit-ms=2000\nterm-ms=1000\nkill-ms=2000\n"
                    "query-ms=2000\n")
            # the fake's NBD server listens nowhere: no link probe (test_colo.py cuts a
            # real link); port-base apart from the real COLO test's
            f.write("[colo]\nwatchdog-ms=100\nhang-ms=%d\ncheckpoint-hang-ms=%d\n"
                    "link-probe-ms=0\nauto-reprotect=%s\nport-base=%d\n"
                    % (self.hang_ms, max(self.hang_ms, 2000),
                       "true" if self.auto_reprotect else "false",
                       48000 + (os.getpid() % 200) * 4) + self.colo_extra)
            f.write(self.daemon_extra % {"dir": getattr(self, "wrapper_dir", "")})
        self.d.start()
        disk = make_disk(self.tmp, mib=16)
        r = self.d.post("/v1/guests", guest_body("g", disk, protect=True, net="none",
                                                 **self.guest_extra))
        self.assertEqual(r.status, 201, r)
        self.assertEqual(self.d.post("/v1/guests/g/start").status, 202)
        if self.wait_protected:
            self.d.wait_state("g", "protected", 60)

    def tearDown(self):
        self.d.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def members(self):
        return {m["role"]: m for m in self.d.get("/v1/guests/g").json()["members"]}

    def store_members(self):
        db = sqlite3.connect("file:%s?mode=ro" % self.d.db, uri=True)
        try:
            return sorted(db.execute("SELECT role, pid FROM members WHERE guest = 'g'")
                          .fetchall())
        finally:
            db.close()

    def colo_files(self):
        return sorted(os.listdir(os.path.join(self.d.state_dir, "colo")))

    def wait_failover(self):
        """The first failover's record; on a timeout the last events go to stderr."""
        try:
            return wait_for("failover", lambda: (self.d.get("/v1/guests/g/failovers")
                                                 .json()["failovers"] or [None])[-1], 30)
        except AssertionError:
            for e in self.d.events()[-40:]:
                print(e["kind"], e.get("member"), json.dumps(e.get("detail"))[:300],
                      file=sys.stderr)
            raise

    def coloctl(self, *args):
        env = dict(os.environ, COLOCTL_RUNTIME_DIR=self.d.runtime_dir)
        return subprocess.run([os.environ["COLOCTL"], *args], env=env, text=True,
                              capture_output=True, timeout=30)


class ColoModeWatchdog(ColoFakePair):
    """A member leaves COLO without a word, or a checkpoint never ends."""

    def break_mode(self, role):
        before = self.members()
        # the secondary's disk and its two overlays, made by qemu-img
        files = self.colo_files()
        self.assertEqual(len(files), 3, files)
        self.assertEqual(sorted(before), ["primary", "secondary"])
        last = self.d.last_event_id()
        os.kill(before[role]["pid"], signal.SIGUSR1)
        f = self.wait_failover()
        self.d.wait_state("g", "running", 30)
        events = self.d.events(after=last)
        kinds = [e["kind"] for e in events]
        # the watchdog saw the mode, then the pair was declared lost for that cause
        mode = [e for e in events if e["kind"] == "colo-mode"
                and e["detail"].get("expected") == role]
        self.assertTrue(mode, kinds)
        self.assertEqual(mode[0]["detail"]["mode"], "none")
        self.assertEqual(mode[0]["detail"]["expected"], role)
        lost = [e for e in events if e["kind"] == "colo-lost"]
        self.assertEqual(len(lost), 1, kinds)
        self.assertEqual(lost[0]["detail"]["cause"], "colo-mode-mismatch")
        self.assertTrue(f["ok"], f)
        self.assertEqual(f["cause"], "colo-mode-mismatch")
        # the primary keeps the guest whichever member broke: it never stopped running
        # it, while the secondary's copy is only as good as the last checkpoint
        self.assertEqual(f["lost_role"], "secondary")
        wait_for("secondary fenced", lambda: not pid_alive(before["secondary"]["pid"]), 10)
        self.assertTrue(pid_alive(before["primary"]["pid"]))
        after = self.members()
        self.assertEqual([(r, m["pid"]) for r, m in after.items()],
                         [("primary", before["primary"]["pid"])])
        self.assertEqual(self.store_members(), [("primary", before["primary"]["pid"])])
        g = self.d.get("/v1/guests/g").json()
        self.assertEqual(g["protection"]["failovers"], 1)
        self.assertIsNone(g["run_disk"])
        # the fenced secondary's files go with it
        self.assertEqual(self.colo_files(), [])
        # and protection comes back on request
        self.assertEqual(self.d.post("/v1/guests/g/protect", {}).status, 202)
        self.d.wait_state("g", "protected", 60)
        again = self.members()
        self.assertEqual(again["primary"]["pid"], before["primary"]["pid"])
        self.assertNotEqual(again["secondary"]["pid"], before["secondary"]["pid"])
        self.assertEqual(self.d.post("/v1/guests/g/stop").status, 202)
        self.d.wait_state("g", "stopped", 30)
        for m in again.values():
            self.assertFalse(pid_alive(m["pid"]), m)
        # a stopped pair's secondary files go too: the next start resyncs a new one
        self.assertEqual(self.colo_files(), [])

    def test_secondary_leaves_colo(self):
        self.break_mode("secondary")

    def test_primary_leaves_colo(self):
        self.break_mode("primary")


    def test_checkpoint_never_ends(self):
        """The primary stops for a checkpoint and never resumes, its monitor answering
        all along (QEMU 7.2's TCG deadlock looks like this until the monitor goes
        quiet too): after [colo] checkpoint-hang-ms the secondary takes over."""
        before = self.members()
        last = self.d.last_event_id()
        os.kill(before["primary"]["pid"], signal.SIGUSR2)
        # while it lasts, show says for how long (the deadline is 2 s away)
        wait_for("checkpoint", lambda: self.d.get("/v1/guests/g").json()["protection"]
                 .get("in_checkpoint"), 10)
        out = self.coloctl("show", "g").stdout
        self.assertRegex(out, r"Checkpoints: +every \d+ ms at most, 0 so far, one under "
                              r"way for \d+ ms")
        f = self.wait_failover()
        self.d.wait_state("g", "running", 30)
        events = self.d.events(after=last)
        kinds = [e["kind"] for e in events]
        self.assertIn("colo-checkpoint", kinds)
        lost = [e for e in events if e["kind"] == "colo-lost"]
        self.assertEqual(len(lost), 1, kinds)
        self.assertEqual(lost[0]["detail"]["cause"], "checkpoint-stuck")
        self.assertTrue(lost[0]["detail"]["in_checkpoint"])
        self.assertTrue(f["ok"], f)
        self.assertEqual(f["cause"], "checkpoint-stuck")
        self.assertEqual(f["lost_role"], "primary")
        # the primary answered all along: only the checkpoint's length gave it away
        self.assertGreaterEqual(lost[0]["detail"]["checkpoint_ms"], 2000, lost)
        self.assertEqual(lost[0]["detail"]["deadline_ms"], 2000, lost)
        wait_for("primary fenced", lambda: not pid_alive(before["primary"]["pid"]), 10)
        after = self.members()
        self.assertEqual([(r, m["pid"]) for r, m in after.items()],
                         [("primary", before["secondary"]["pid"])])
        self.assertEqual(self.store_members(), [("primary", before["secondary"]["pid"])])
        g = self.d.get("/v1/guests/g").json()
        self.assertTrue(g["run_disk"].startswith(os.path.join(self.d.state_dir, "colo")))
        # the fake has no block graph: the replication commit's outcome is unknown, so
        # the overlays stay beside the disk the guest now runs from
        self.assertEqual(len(self.colo_files()), 3)
        self.assertIn(os.path.basename(g["run_disk"]), self.colo_files())
        self.assertEqual(self.d.post("/v1/guests/g/protect", {}).status, 202)
        self.d.wait_state("g", "protected", 60)
        self.assertEqual(len(self.colo_files()), 6)
        self.assertEqual(self.d.post("/v1/guests/g/stop").status, 202)
        self.d.wait_state("g", "stopped", 30)
        # the new secondary's files go with the stop; the run disk and the uncommitted
        # overlays stay
        self.assertEqual(len(self.colo_files()), 3)
        self.assertIn(os.path.basename(g["run_disk"]), self.colo_files())
        # deleting the guest keeps the disk it runs from, and says where it is
        last = self.d.last_event_id()
        p = self.coloctl("delete", "g")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "Deleted guest 'g'; its disk since the last failover is "
                         "kept at %s\n" % g["run_disk"])
        self.assertTrue(os.path.exists(g["run_disk"]))
        deleted = [e for e in self.d.events(after=last) if e["kind"] == "guest-deleted"]
        self.assertEqual(deleted[0]["detail"], {"disk_kept": g["run_disk"]})


class ColoInitialMigration(ColoFakePair):
    """The primary's monitor stops answering after the initial COLO migration has
    begun (QEMU 7.2 under TCG does this at the migration's first checkpoint): the
    secondary, asked first, says it is in COLO and so holds the whole guest, and it
    takes over. The fake primary answers everything but query-migrate, which the
    controller samples only then; the in-band queue behind it stalls too."""

    fake_extra = "[name g-primary]\nhang=query-migrate\n"
    wait_protected = False

    def test_primary_hangs_in_initial_migration(self):
        f = self.wait_failover()
        self.d.wait_state("g", "running", 30)
        events = self.d.events()
        kinds = [e["kind"] for e in events]
        self.assertIn("colo-migration-started", kinds)
        self.assertNotIn("protected", kinds)
        lost = [e for e in events if e["kind"] == "colo-lost"]
        self.assertEqual(len(lost), 1, kinds)
        self.assertEqual(lost[0]["detail"]["phase"], "initial migration")
        self.assertTrue(f["ok"], f)
        self.assertEqual(f["lost_role"], "primary")
        self.assertEqual(f["cause"], "qmp-deadline")
        pids = {e["detail"]["member"]: e["detail"]["pid"] for e in events
                if e["kind"] == "member-launched"}
        launched = {"primary": pids[f["lost"]], "secondary": pids[f["survivor"]]}
        wait_for("primary fenced", lambda: not pid_alive(launched["primary"]), 10)
        self.assertEqual(self.store_members(), [("primary", launched["secondary"])])
        self.assertEqual(self.members()["primary"]["pid"], launched["secondary"])
        self.assertEqual(self.d.post("/v1/guests/g/stop").status, 202)
        self.d.wait_state("g", "stopped", 30)


class ColoRestartWhileSyncing(ColoFakePair):
    """coloctld is killed (-9) while a protect mirrors the disk, and started again:
    half a protect is not worth finishing, so the new daemon undoes it. The primary
    runs on, unprotected and unchanged; the secondary and its files are gone, no
    mirror job is left on the primary, and a new protect goes through."""

    # the disk mirror stays short of ready for a minute: the restart lands in it
    fake_extra = "[name g-primary]\nmirror-ready-ms=60000\n"
    wait_protected = False

    def test_restart_while_syncing(self):
        wait_for("disk sync", lambda: (self.d.get("/v1/guests/g").json()["protection"] or {})
                 .get("state") == "syncing-disk", 30)
        before = self.members()
        self.assertEqual(sorted(before), ["primary", "secondary"])
        self.d.kill9()
        self.d.start()
        self.d.wait_state("g", "running", 30)
        g = self.d.get("/v1/guests/g").json()
        self.assertEqual(g["protection"]["pair_state"], "unprotected")
        self.assertIn("restarted while the guest was being protected",
                      g["protection"]["reason"])
        wait_for("secondary gone", lambda: not pid_alive(before["secondary"]["pid"]), 10)
        self.assertTrue(pid_alive(before["primary"]["pid"]))
        self.assertEqual([(r, m["pid"]) for r, m in self.members().items()],
                         [("primary", before["primary"]["pid"])])
        self.assertEqual(self.store_members(), [("primary", before["primary"]["pid"])])
        self.assertEqual(self.colo_files(), [])
        self.assertEqual(g["protection"]["failovers"], 0)
        # protect again: a mirror job left behind on the primary would hold the job id
        last = self.d.last_event_id()
        self.assertEqual(self.d.post("/v1/guests/g/protect", {}).status, 202)
        wait_for("disk mirror", lambda: "colo-disk-sync-started" in
                 [e["kind"] for e in self.d.events(after=last)], 30)
        # the new mirror job runs: its progress moves
        wait_for("mirror progress", lambda: ((self.d.get("/v1/guests/g").json()["protection"]
                                              .get("sync") or {}).get("done_bytes", 0) > 0), 30)
        self.assertEqual(self.d.get("/v1/guests/g").json()["state"], "syncing")
        self.assertNotIn("protect-failed", [e["kind"] for e in self.d.events(after=last)])
        self.assertEqual(self.d.post("/v1/guests/g/stop").status, 202)
        self.d.wait_state("g", "stopped", 30)
        self.assertEqual(self.colo_files(), [])


class ColoReplicationIoError(ColoFakePair):
    """The primary's quorum reports its replication child bad (QUORUM_REPORT_BAD on
    colo-repl0: its writes no longer reach the secondary's disk). The secondary's copy
    is falling behind, so it goes; the primary keeps the guest. The fake sends the event
    on SIGWINCH, as QEMU does when the NBD connection to the secondary fails a write."""

    fake_extra = ('[name g-primary]\nevents-on-sigwinch=QUORUM_REPORT_BAD:'
                  '{"type":"write","error":"Input/output error","node-name":"colo-repl0",'
                  '"sector-num":2048,"sectors-count":8}\n')

    def test_replication_write_error(self):
        before = self.members()
        last = self.d.last_event_id()
        os.kill(before["primary"]["pid"], signal.SIGWINCH)
        f = self.wait_failover()
        self.d.wait_state("g", "running", 30)
        lost = [e for e in self.d.events(after=last) if e["kind"] == "colo-lost"]
        self.assertEqual(len(lost), 1)
        self.assertEqual(lost[0]["detail"]["cause"], "replication-io-error")
        self.assertEqual(lost[0]["detail"]["data"]["sector-num"], 2048)
        self.assertTrue(f["ok"], f)
        self.assertEqual((f["cause"], f["lost_role"]), ("replication-io-error", "secondary"))
        wait_for("secondary fenced", lambda: not pid_alive(before["secondary"]["pid"]), 10)
        self.assertEqual(self.store_members(), [("primary", before["primary"]["pid"])])
        self.assertEqual(self.colo_files(), [])
        self.assertEqual(self.d.post("/v1/guests/g/protect", {}).status, 202)
        self.d.wait_state("g", "protected", 60)


class ColoFailoverRefused(ColoFakePair):
    """A failover asked for on demand that would keep a member whose monitor is late by
    more than half of hang-ms is refused (409): the other member would be fenced first
    and nothing might run the guest. The watchdog then finds that member hung on its
    own and fails over the other way. The fake primary never answers
    query-colo-status, which only the watchdog sends."""

    fake_extra = "[name g-primary]\nhang=query-colo-status\n"
    hang_ms = 4000

    def test_refused_then_detected(self):
        before = self.members()
        wait_for("primary late", lambda: self.d.get("/v1/guests/g").json()["protection"]
                 ["health"]["primary"]["last_reply_ms_ago"] > self.hang_ms / 2 + 100, 30)
        r = self.d.post("/v1/guests/g/failover", {"to": "primary"})
        self.assertEqual(r.status, 409, r)
        self.assertEqual(r.json()["code"], "conflict")
        self.assertIn("its monitor has not answered for", r.json()["detail"])
        # nothing was touched: both members run, the pair is still protected
        self.assertTrue(pid_alive(before["secondary"]["pid"]))
        self.assertEqual(self.d.get("/v1/guests/g/failovers").json()["failovers"], [])
        # at hang-ms the watchdog calls the primary hung: the secondary takes over
        f = self.wait_failover()
        self.assertTrue(f["ok"], f)
        self.assertEqual((f["cause"], f["lost_role"]), ("qmp-deadline", "primary"))
        wait_for("primary fenced", lambda: not pid_alive(before["primary"]["pid"]), 10)
        self.d.wait_state("g", "running", 30)
        self.assertEqual(self.store_members(), [("primary", before["secondary"]["pid"])])


class ColoReprotectRetry(ColoFakePair):
    """An automatic re-protection that fails is tried again, each wait twice the one
    before (reprotect-delay-ms, then up to reprotect-retry-max-ms), until the spare
    host works again. Host b's QEMU binary is a wrapper that fails while a flag file
    exists, as a host whose QEMU cannot start would."""

    auto_reprotect = True
    colo_extra = "reprotect-delay-ms=200\nreprotect-retry-max-ms=1600\n"
    daemon_extra = ("[host a]\naddress=127.0.0.1\n"
                    "[host b]\naddress=127.0.0.1\nqemu-binary=%(dir)s/qemu-b\n")
    guest_extra = {"host": "a"}

    def setUp(self):
        tmp = tempfile.mkdtemp(prefix="coloctl-wrapper-")
        self.addCleanup(shutil.rmtree, tmp, True)
        self.flag = os.path.join(tmp, "host-b-down")
        self.wrapper_dir = tmp
        wrapper = os.path.join(tmp, "qemu-b")
        with open(wrapper, "w") as f:
            f.write("#!/bin/sh\nif [ -e %s ]; then\n"
                    "\techo 'coloctl test: host b is down' >&2\n\texit 1\nfi\n"
                    "exec %s \"$@\"\n" % (self.flag, os.environ["FAKE_QMP"]))
        os.chmod(wrapper, 0o755)
        super().setUp()

    def test_retries_until_the_spare_host_works(self):
        before = self.members()
        self.assertEqual(before["secondary"]["host"], "b")
        with open(self.flag, "w"):
            pass
        last = self.d.last_event_id()
        os.kill(before["secondary"]["pid"], signal.SIGKILL)

        def scheduled():
            return [e["detail"] for e in self.d.events(after=last)
                    if e["kind"] == "reprotect-scheduled"]
        wait_for("two retries", lambda: len(scheduled()) >= 2, 30)
        tries = scheduled()
        self.assertEqual([t["attempt"] for t in tries[:2]], [2, 3])
        self.assertEqual([t["delay_ms"] for t in tries[:2]], [400, 800])
        self.assertIn("host b is down", tries[0]["error"])
        self.assertEqual(tries[0]["host"], "b")
        g = self.d.get("/v1/guests/g").json()
        self.assertIn(g["state"], ("running", "syncing"))
        self.assertGreaterEqual(g["protection"]["reprotect_failures"], 2)
        out = self.coloctl("show", "g").stdout
        self.assertRegex(out, r"Auto-reprotect: +yes, \d+ attempts failed, "
                              r"next one scheduled", out)
        # the spare host works again: the next attempt protects the guest
        os.unlink(self.flag)
        self.d.wait_state("g", "protected", 30)
        g = self.d.get("/v1/guests/g").json()
        self.assertEqual(g["protection"]["failovers"], 1)
        # a success starts the count again
        self.assertNotIn("reprotect_failures", g["protection"])
        after = self.members()
        self.assertEqual(after["primary"]["pid"], before["primary"]["pid"])
        self.assertEqual(after["secondary"]["host"], "b")
        # the failed attempts left no disk or overlay behind
        self.assertEqual(len(self.colo_files()), 3)
        kinds = [e["kind"] for e in self.d.events(after=last)]
        self.assertGreaterEqual(kinds.count("protect-started"), 3)


if __name__ == "__main__":
    unittest.main(verbosity=2)
