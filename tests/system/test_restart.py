#!/usr/bin/env python3
"""Restart without disturbing guests, with a real QEMU running the tiny guest:
kill -9 coloctld, the guest keeps running, the restarted daemon reattaches;
and a member that died while the daemon was down is reported as such."""

import os
import shutil
import signal
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from daemon_harness import Daemon, Serial, guest_body, make_disk, pid_alive, wait_for  # noqa: E402


class RestartTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="coloctl-restart-")
        self.d = Daemon(keep_dirs=self.tmp).start()

    def tearDown(self):
        self.d.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def boot(self, name):
        disk = make_disk(self.tmp, f"{name}.raw")
        self.assertEqual(self.d.post("/v1/guests", guest_body(name, disk)).status, 201)
        self.assertEqual(self.d.post(f"/v1/guests/{name}/start", {}).status, 202)
        g = self.d.wait_state(name, "running")
        console = os.path.join(self.d.runtime_dir, f"{name}-primary.console")
        wait_for("guest ready marker", lambda: os.path.exists(console) and
                 "COLOCTL-GUEST-READY" in open(console, errors="replace").read(), 120)
        return g

    def test_kill9_and_reattach(self):
        g = self.boot("keeper")
        pid = g["members"][0]["pid"]
        gen = g["members"][0]["generation"]
        serial_path = os.path.join(self.d.runtime_dir, "keeper-primary.serial")
        serial = Serial(serial_path)
        up1 = serial.uptime()
        last = self.d.last_event_id()

        self.d.kill9()
        self.assertTrue(pid_alive(pid), "the guest died with the daemon")
        up2 = serial.uptime()
        self.assertGreater(up2, up1)
        serial.close()

        self.d.start()
        g2 = wait_for("reattach event", lambda: [e for e in self.d.events(last)
                                                 if e["kind"] == "guest-reattached"], 60)
        self.assertEqual(g2[0]["detail"]["status"], "running")
        g2 = self.d.guest("keeper")
        self.assertEqual(g2["state"], "running")
        self.assertEqual(g2["members"][0]["pid"], pid)
        self.assertEqual(g2["members"][0]["generation"], gen)
        # the event log continues where it stopped
        new = self.d.events(last)
        self.assertTrue(new)
        self.assertEqual(new[0]["id"], last + 1)
        self.assertIn("daemon-started", [e["kind"] for e in new])
        serial = Serial(serial_path)
        up3 = serial.uptime()
        serial.close()
        self.assertGreater(up3, up2)
        # and it is supervised again: a stop goes through the ladder by quit
        self.assertEqual(self.d.post("/v1/guests/keeper/stop", {}).status, 202)
        self.d.wait_state("keeper", "stopped")
        wait_for("QEMU exit", lambda: not pid_alive(pid), 30)
        kinds = [e["kind"] + ":" + str(e["detail"].get("step", "")) for e in self.d.events(last)]
        self.assertIn("member-stop-step:quit", kinds)
        self.assertIn("member-stopped:wait-exit", kinds)

    def test_death_while_down(self):
        g = self.boot("victim")
        pid = g["members"][0]["pid"]
        last = self.d.last_event_id()
        self.d.kill9()
        os.kill(pid, signal.SIGKILL)
        wait_for("QEMU gone", lambda: not pid_alive(pid), 30)
        self.d.start()
        g2 = self.d.wait_state("victim", "failed")
        self.assertIn("died while coloctld was down", g2["reason"])
        reasons = [e["detail"].get("reason", "") for e in self.d.events(last)
                   if e["kind"] == "guest-state" and e["guest"] == "victim"]
        self.assertTrue(any("died while coloctld was down" in r for r in reasons), reasons)
        # a failed guest can be started again
        self.assertEqual(self.d.post("/v1/guests/victim/start", {}).status, 202)
        self.d.wait_state("victim", "running")


if __name__ == "__main__":
    unittest.main(verbosity=2)
