#!/usr/bin/env python3
"""Live migration with real QEMU (TCG) and the tiny guest: a completed
migration with its progress history, cancel, a dead transfer, the destination
or the source killed mid-way, the daemon killed mid-way, the netpass path on
QEMU 7.2, and a version mismatch refused before anything starts."""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from daemon_harness import Daemon, Serial, guest_body, make_disk, pid_alive, wait_for  # noqa: E402

FAKE_CONF = "[default]\nversion=8.0.0\n"


class MigrationTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="coloctl-mig-")
        fake_conf = os.path.join(self.tmp, "fake.conf")
        with open(fake_conf, "w") as f:
            f.write(FAKE_CONF)
        os.environ["FAKE_QMP_CONFIG"] = fake_conf
        extra = ("[host local]\naddress=127.0.0.1\n"
                 "[host other]\naddress=127.0.0.1\nqemu-binary=%s\n"
                 "[policy strict]\nrequire-netpass=true\n"
                 "[policy ladder]\nraise-downtime-after-s=1\ndowntime-cap-ms=2000\n"
                 "auto-converge-after-s=2\nabort-after-s=5\n"
                 "[migration]\ndead-after-s=3\n" % os.environ["FAKE_QMP"])
        self.d = Daemon(config_extra=extra, keep_dirs=self.tmp).start()

    def tearDown(self):
        self.d.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def boot(self, name, dirty=0):
        disk = make_disk(self.tmp, f"{name}.raw")
        body = guest_body(name, disk, append=f"quiet coloctl.dirty={dirty}")
        self.assertEqual(self.d.post("/v1/guests", body).status, 201)
        self.assertEqual(self.d.post(f"/v1/guests/{name}/start", {}).status, 202)
        g = self.d.wait_state(name, "running")
        console = os.path.join(self.d.runtime_dir, f"{name}-primary.console")
        wait_for("ready marker", lambda: os.path.exists(console) and
                 "COLOCTL-GUEST-READY" in open(console, errors="replace").read(), 120)
        return g["members"][0]["pid"]

    def migrate(self, name, **body):
        body.setdefault("to", "local")
        r = self.d.post(f"/v1/guests/{name}/migrate", body)
        self.assertEqual(r.status, 202, r)
        return r.json()

    def migration(self, name, samples=False):
        r = self.d.get(f"/v1/guests/{name}/migration" + ("?samples=1" if samples else ""))
        self.assertEqual(r.status, 200, r)
        return r.json()

    def wait_migration(self, name, states=("completed", "failed", "cancelled"), timeout=180):
        return wait_for(f"migration of {name} to end",
                        lambda: (lambda m: m if m["state"] in states else None)(
                            self.migration(name)), timeout)

    def dest_pid(self, name):
        def find():
            for m in self.d.guest(name)["members"]:
                if m["role"] == "destination" and m["pid"] > 0:
                    self.d.members.add(m["pid"])
                    return m["pid"]
            return None
        return wait_for("destination member", find, 60)

    def test_completed_with_history(self):
        src = self.boot("mover", dirty=1)
        serial = Serial(os.path.join(self.d.runtime_dir, "mover-primary.serial"))
        up1 = serial.uptime()
        serial.close()
        # through the CLI, piped: one line per phase, exit 0 once completed
        env = dict(os.environ, COLOCTL_RUNTIME_DIR=self.d.runtime_dir)
        p = subprocess.run([os.environ["COLOCTL"], "migrate", "mover", "--to", "local",
                            "--bandwidth", "64", "--max-downtime", "500", "--wait"],
                           env=env, capture_output=True, text=True, timeout=300)
        self.assertEqual(p.returncode, 0, p.stderr + p.stdout)
        lines = p.stdout.strip().splitlines()
        self.assertEqual(lines[-1], "Migration completed", lines)
        phases = [ln.split()[0] for ln in lines[:-1]]
        self.assertIn("precopy", phases)
        self.assertEqual(len(phases), len(set(phases)), "one line per phase when piped")
        self.assertNotIn("\r", p.stdout)
        m = self.wait_migration("mover")
        self.assertEqual(m["state"], "completed", m)
        # QEMU 7.2 has no enable_when_stopped: said, and the migration went ahead
        self.assertEqual(m["netpass"], "unavailable")
        g = self.d.wait_state("mover", "running")
        self.assertEqual(len(g["members"]), 1)
        new = g["members"][0]
        self.assertEqual(new["role"], "primary")
        self.assertNotEqual(new["pid"], src)
        wait_for("source gone", lambda: not pid_alive(src), 30)
        # the guest carried on: its uptime went on from where it was
        serial = Serial(new["qmp"].replace(".qmp", ".serial"))
        self.assertGreater(serial.uptime(), up1)
        serial.close()
        full = self.migration("mover", samples=True)
        samples = full["samples"]
        self.assertGreater(len(samples), 2)
        pct = [s["progress"]["precopy_percent"] for s in samples]
        self.assertEqual(pct, sorted(pct), "precopy progress went backwards")
        self.assertIn("downtime", full["result"]["final"])
        kinds = [e["kind"] for e in self.d.events() if e["guest"] == "mover"]
        for k in ("migration-setup", "migration-started", "migration-ended"):
            self.assertIn(k, kinds)

    def test_cancel(self):
        src = self.boot("stay", dirty=16)
        self.migrate("stay", bandwidth_mibps=4)
        self.dest_pid("stay")
        wait_for("active", lambda: self.migration("stay")["state"] == "active", 60)
        r = self.d.post("/v1/guests/stay/migration/cancel", {})
        self.assertEqual(r.status, 202, r)
        m = self.wait_migration("stay")
        self.assertEqual(m["state"], "cancelled")
        g = self.d.wait_state("stay", "running")
        self.assertEqual(g["members"][0]["pid"], src)
        self.assertTrue(pid_alive(src))
        self.assertEqual([x["role"] for x in g["members"]], ["primary"])

    def test_destination_killed(self):
        src = self.boot("keep", dirty=16)
        self.migrate("keep", bandwidth_mibps=4)
        dest = self.dest_pid("keep")
        wait_for("active", lambda: self.migration("keep")["state"] == "active", 60)
        os.kill(dest, signal.SIGKILL)
        m = self.wait_migration("keep")
        self.assertEqual(m["state"], "failed")
        self.assertIn("destination", m["reason"])
        g = self.d.wait_state("keep", "running")
        self.assertEqual(g["members"][0]["pid"], src)
        self.assertTrue(pid_alive(src))

    def test_source_killed(self):
        src = self.boot("lost", dirty=16)
        self.migrate("lost", bandwidth_mibps=4)
        dest = self.dest_pid("lost")
        wait_for("active", lambda: self.migration("lost")["state"] == "active", 60)
        os.kill(src, signal.SIGKILL)
        m = self.wait_migration("lost")
        self.assertEqual(m["state"], "failed")
        self.assertIn("source", m["reason"])
        g = self.d.wait_state("lost", "failed")
        self.assertTrue(g["reason"])
        wait_for("destination cleaned up", lambda: not pid_alive(dest), 30)

    def test_dead_transfer(self):
        src = self.boot("frozen", dirty=16)
        self.migrate("frozen", bandwidth_mibps=4)
        dest = self.dest_pid("frozen")
        wait_for("active", lambda: self.migration("frozen")["state"] == "active", 60)
        os.kill(dest, signal.SIGSTOP)
        try:
            m = self.wait_migration("frozen", timeout=120)
        finally:
            if pid_alive(dest):
                os.kill(dest, signal.SIGCONT)
        self.assertEqual(m["state"], "cancelled", m)
        self.assertIn("dead", m["reason"])
        g = self.d.wait_state("frozen", "running")
        self.assertEqual(g["members"][0]["pid"], src)
        kinds = [(e["kind"], e["detail"].get("step")) for e in self.d.events()
                 if e["guest"] == "frozen"]
        self.assertIn(("migration-policy", "cancel-dead-transfer"), kinds)

    def test_daemon_killed_mid_migration(self):
        src = self.boot("bumpy", dirty=16)
        self.migrate("bumpy", bandwidth_mibps=4)
        dest = self.dest_pid("bumpy")
        wait_for("active", lambda: self.migration("bumpy")["state"] == "active", 60)
        self.d.kill9()
        self.d.start()
        m = self.wait_migration("bumpy", states=("completed", "cancelled"))
        g = self.d.wait_state("bumpy", "running")
        running = [x for x in g["members"]]
        self.assertEqual(len(running), 1)
        pid = running[0]["pid"]
        self.assertTrue(pid_alive(pid))
        # the store matches what really runs
        if m["state"] == "cancelled":
            self.assertEqual(pid, src)
            wait_for("destination gone", lambda: not pid_alive(dest), 30)
        else:
            self.assertEqual(pid, dest)
            wait_for("source gone", lambda: not pid_alive(src), 30)

    def test_policy_ladder(self):
        """A migration that cannot converge climbs the ladder, step by step, then aborts;
        each step is an event with the figures that triggered it."""
        src = self.boot("climb", dirty=16)
        self.migrate("climb", bandwidth_mibps=4, max_downtime_ms=100, policy="ladder")
        m = self.wait_migration("climb", timeout=120)
        self.assertEqual(m["state"], "cancelled", m)
        self.assertIn("policy", m["reason"])
        steps = [e["detail"] for e in self.d.events()
                 if e["guest"] == "climb" and e["kind"] == "migration-policy"]
        self.assertEqual([x["step"] for x in steps], ["raise-downtime", "auto-converge", "abort"])
        self.assertEqual(steps[0]["from_ms"], 100)
        self.assertEqual(steps[0]["to_ms"], 2000)
        for x in steps:
            self.assertEqual(x["figures"]["convergence"], "not-converging")
            self.assertIsNotNone(x["figures"]["rho"])
        self.assertEqual(m["result"]["downtime_limit_ms"], 2000)
        g = self.d.wait_state("climb", "running")
        self.assertEqual(g["members"][0]["pid"], src)

    def test_refusals(self):
        src = self.boot("picky")
        # a different QEMU on the target host: refused before the migration starts
        self.migrate("picky", to="other")
        m = self.wait_migration("picky")
        self.assertEqual(m["state"], "failed")
        self.assertIn("version mismatch", m["reason"])
        self.assertIn("8.0.0", m["reason"])
        g = self.d.wait_state("picky", "running")
        self.assertEqual(g["members"][0]["pid"], src)
        # a policy that needs netpass, on QEMU 7.2
        r = self.d.post("/v1/guests/picky/migrate", {"to": "local", "policy": "strict"})
        self.assertEqual(r.status, 409, r)
        self.assertIn("enable_when_stopped", r.json()["detail"])
        r = self.d.post("/v1/guests/picky/migrate", {"to": "nowhere"})
        self.assertEqual(r.status, 400, r)
        r = self.d.post("/v1/guests/picky/migrate", {"to": "local", "policy": "nosuch"})
        self.assertEqual(r.status, 400, r)
        self.assertEqual(self.d.guest("picky")["state"], "running")


def ip(*args):
    subprocess.run(["ip", *args], check=True, capture_output=True)


@unittest.skipUnless(os.geteuid() == 0, "network namespaces need root")
class LinkCutTest(unittest.TestCase):
    """Two hosts in their own network namespaces, joined by a veth pair. The link
    goes down mid-migration: a dead transfer, a cancel, the source runs on."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="coloctl-linkcut-")
        tag = str(os.getpid() % 100000)
        self.ns = [f"cca{tag}", f"ccb{tag}"]
        self.veth = [f"cca{tag}v", f"ccb{tag}v"]
        for n in self.ns:
            ip("netns", "add", n)
            ip("-n", n, "link", "set", "lo", "up")
        ip("link", "add", self.veth[0], "netns", self.ns[0], "type", "veth",
           "peer", "name", self.veth[1], "netns", self.ns[1])
        for i, (n, v) in enumerate(zip(self.ns, self.veth)):
            ip("-n", n, "addr", "add", f"10.77.0.{i + 1}/24", "dev", v)
            ip("-n", n, "link", "set", v, "up")
        extra = ("[host a]\naddress=10.77.0.1\nnetns=%s\n"
                 "[host b]\naddress=10.77.0.2\nnetns=%s\n"
                 "[migration]\ndead-after-s=3\n" % (self.ns[0], self.ns[1]))
        self.d = Daemon(config_extra=extra, keep_dirs=self.tmp).start()

    def tearDown(self):
        self.d.cleanup()
        for n in self.ns:
            subprocess.run(["ip", "netns", "del", n], capture_output=True)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_link_cut(self):
        disk = make_disk(self.tmp)
        body = guest_body("wire", disk, append="quiet coloctl.dirty=16", host="a")
        self.assertEqual(self.d.post("/v1/guests", body).status, 201)
        self.assertEqual(self.d.post("/v1/guests/wire/start", {}).status, 202)
        src = self.d.wait_state("wire", "running")["members"][0]["pid"]
        # the member really runs in host a's namespace
        self.assertEqual(os.stat(f"/proc/{src}/ns/net").st_ino,
                         os.stat(f"/run/netns/{self.ns[0]}").st_ino)
        r = self.d.post("/v1/guests/wire/migrate", {"to": "b", "bandwidth_mibps": 4})
        self.assertEqual(r.status, 202, r)
        wait_for("bytes moving", lambda: (lambda j: j if j["state"] == "active" and (
            j.get("progress") or {}).get("transferred_bytes", 0) > 0 else None)(
            self.d.get("/v1/guests/wire/migration").json()), 60)
        ip("-n", self.ns[0], "link", "set", self.veth[0], "down")
        m = wait_for("migration end", lambda: (lambda j: j if j["state"] in (
            "completed", "failed", "cancelled") else None)(
            self.d.get("/v1/guests/wire/migration").json()), 120)
        self.assertEqual(m["state"], "cancelled", m)
        self.assertIn("dead", m["reason"])
        g = self.d.wait_state("wire", "running")
        self.assertEqual(g["host"], "a")
        self.assertEqual(g["members"][0]["pid"], src)
        self.assertTrue(pid_alive(src))


@unittest.skipUnless(os.geteuid() == 0, "network namespaces need root")
class NetpassFakeTest(unittest.TestCase):
    """The netpass path QEMU 7.2 cannot take: both QEMUs are the fake server with
    filter-redirector enable_when_stopped, and its command log shows exactly what
    the controller asked for, in order."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="coloctl-netpass-")
        self.log = os.path.join(self.tmp, "qmp.log")
        conf = os.path.join(self.tmp, "fake.conf")
        with open(conf, "w") as f:
            f.write("[default]\nenable-when-stopped=true\nlog=%s\n" % self.log)
        os.environ["FAKE_QMP_CONFIG"] = conf
        # the guest's net is a tap on br0: the backend makes it in the host's namespace
        self.ns = "cc-np-%d" % os.getpid()
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True)
        ip("netns", "add", self.ns)
        ip("-n", self.ns, "link", "set", "lo", "up")
        ip("-n", self.ns, "link", "add", "br0", "type", "bridge")
        ip("-n", self.ns, "link", "set", "br0", "up")
        self.d = Daemon(keep_dirs=self.tmp)
        with open(self.d.config, "w") as f:
            f.write("[qemu]\nbinary=%s\n" % os.environ["FAKE_QMP"])
            f.write("[host local]\naddress=127.0.0.1\nnetns=%s\n" % self.ns)
        self.d.start()

    def tearDown(self):
        self.d.cleanup()
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_netpass_commands(self):
        disk = make_disk(self.tmp)
        body = {"name": "np", "memory_mib": 128, "disk": disk, "net": "bridge:br0"}
        self.assertEqual(self.d.post("/v1/guests", body).status, 201)
        self.assertEqual(self.d.post("/v1/guests/np/start", {}).status, 202)
        self.d.wait_state("np", "running")
        r = self.d.post("/v1/guests/np/migrate", {"to": "local"})
        self.assertEqual(r.status, 202, r)
        mid = r.json()["id"]
        sock = os.path.join(self.d.runtime_dir, f"migration-{mid}.netpass")

        def netpass_lines():
            out = []
            for line in open(self.log):
                e = json.loads(line)
                if e["execute"] in ("chardev-add", "object-add"):
                    out.append((e["name"], e["execute"], e["arguments"]))
            return out if len(out) >= 4 else None
        got = wait_for("netpass commands", netpass_lines, 60)
        dest, src = f"np-m{mid}", "np-primary"
        addr = {"type": "unix", "data": {"path": sock}}
        want = [
            (dest, "chardev-add", {"id": "cc-np0", "backend": {"type": "socket", "data": {
                "addr": addr, "server": True, "wait": False}}}),
            (dest, "object-add", {"qom-type": "filter-redirector", "id": "cc-np-in",
                                  "netdev": "hn0", "queue": "rx", "indev": "cc-np0"}),
            (src, "chardev-add", {"id": "cc-np0", "backend": {"type": "socket", "data": {
                "addr": addr, "server": False, "reconnect": 1}}}),
            (src, "object-add", {"qom-type": "filter-redirector", "id": "cc-np-out",
                                 "netdev": "hn0", "queue": "rx", "outdev": "cc-np0",
                                 "enable_when_stopped": True, "status": "off"}),
        ]
        self.assertEqual(got, want)
        m = wait_for("netpass reported", lambda: (lambda j: j if j["netpass"] != "unavailable"
                                                   else None)(self.d.get(
                                                       "/v1/guests/np/migration").json()), 30)
        self.assertEqual(m["netpass"], "configured", m)


if __name__ == "__main__":
    unittest.main(verbosity=2)
