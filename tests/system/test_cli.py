#!/usr/bin/env python3
"""coloctl against a real coloctld: every command, tables and --json, and the
exit code of every error class."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from daemon_harness import Daemon, make_disk, wait_for  # noqa: E402

TOKEN = "cli-token-0123456789abcdef"
OK, INTERNAL, USAGE, NOT_FOUND, CONFLICT, UNREACHABLE, INVALID, UNAUTHORIZED = range(8)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class CliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="coloctl-cli-")
        cls.port = free_port()
        cls.token_file = os.path.join(cls.tmp, "token")
        with open(cls.token_file, "w") as f:
            f.write(TOKEN + "\n")
        cls.bad_token_file = os.path.join(cls.tmp, "bad-token")
        with open(cls.bad_token_file, "w") as f:
            f.write("not-the-token-at-all-000\n")
        cls.d = Daemon(config_extra="[api]\ntcp=127.0.0.1:%d\ntoken-file=%s\n"
                       % (cls.port, cls.token_file)).start()
        cls.disk = make_disk(cls.tmp)
        cls.kernel = os.environ["COLOCTL_TEST_GUEST_KERNEL"]
        cls.initrd = os.environ["COLOCTL_TEST_GUEST_INITRD"]

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def cli(self, *args, env=None):
        e = dict(os.environ)
        e["COLOCTL_RUNTIME_DIR"] = self.d.runtime_dir
        e.update(env or {})
        p = subprocess.run([os.environ["COLOCTL"], *args], env=e, capture_output=True,
                           text=True, timeout=120)
        return p.returncode, p.stdout, p.stderr

    def expect(self, code, *args, **kw):
        rc, out, err = self.cli(*args, **kw)
        self.assertEqual(rc, code, f"coloctl {' '.join(args)}: rc {rc}\nout: {out}\nerr: {err}")
        return out, err

    def create(self, name, *extra):
        return self.expect(OK, "create", name, "--memory", "128", "--disk", self.disk,
                           "--kernel", self.kernel, "--initrd", self.initrd, *extra)

    def test_1_lifecycle(self):
        out, _ = self.expect(OK, "list")
        self.create("web")
        out, _ = self.expect(OK, "list")
        header = out.splitlines()[0].split()
        self.assertEqual(header[:2], ["NAME", "STATE"])
        self.assertIn("web", out)
        self.assertIn("defined", out)
        out, _ = self.expect(OK, "--json", "list")
        listed = json.loads(out)
        self.assertEqual([g["name"] for g in listed["guests"]], ["web"])
        self.expect(OK, "start", "web")
        self.d.wait_state("web", "running")
        out, _ = self.expect(OK, "show", "web")
        self.assertIn("running", out)
        out, _ = self.expect(OK, "--json", "show", "web")
        g = json.loads(out)
        self.assertEqual(g["state"], "running")
        m = g["members"][0]
        self.d.members.add(m["pid"])
        for key in ("role", "host", "pid", "state", "generation"):
            self.assertIn(key, m)
        self.assertEqual(m["role"], "primary")
        self.assertEqual(m["host"], "local")
        self.assertEqual(m["generation"], 1)
        self.assertTrue(os.path.exists(f"/proc/{m['pid']}"))
        # wrong state: conflict
        self.expect(CONFLICT, "start", "web")
        self.expect(CONFLICT, "delete", "web")
        self.expect(OK, "stop", "web")
        self.d.wait_state("web", "stopped")
        self.expect(CONFLICT, "stop", "web")
        self.expect(OK, "start", "web")
        self.d.wait_state("web", "running")
        self.expect(OK, "stop", "web", "--force")
        g = self.d.wait_state("web", "stopped")
        self.expect(OK, "delete", "web")
        self.expect(NOT_FOUND, "show", "web")
        # the events of all this, as a table and as JSON
        out, _ = self.expect(OK, "events")
        self.assertIn("guest-state", out)
        out, _ = self.expect(OK, "--json", "events", "--after", "0")
        events = json.loads(out)["events"]
        kinds = [e["kind"] for e in events if e["guest"] == "web"]
        self.assertIn("guest-created", kinds)
        self.assertIn("guest-deleted", kinds)
        last = events[-1]["id"]
        out, _ = self.expect(OK, "--json", "events", "--after", str(last))
        self.assertEqual(json.loads(out)["events"], [])

    def test_2_errors(self):
        self.expect(NOT_FOUND, "show", "nosuch")
        self.expect(NOT_FOUND, "start", "nosuch")
        self.expect(NOT_FOUND, "stop", "nosuch")
        self.expect(NOT_FOUND, "delete", "nosuch")
        self.create("dup")
        _, err = self.expect(CONFLICT, "create", "dup", "--memory", "128", "--disk", self.disk)
        self.assertIn("already exists", err)
        _, err = self.expect(INVALID, "create", "nodisk", "--memory", "128", "--disk",
                             "/nonexistent/disk.raw")
        self.assertIn("/nonexistent/disk.raw", err)
        _, err = self.expect(INVALID, "create", "tiny", "--memory", "1", "--disk", self.disk)
        self.assertIn("memory_mib", err)
        # usage errors never reach the daemon
        self.expect(USAGE)
        self.expect(USAGE, "frobnicate")
        self.expect(USAGE, "show")
        self.expect(USAGE, "create", "x", "--memory", "lots", "--disk", self.disk)
        self.expect(USAGE, "create", "x", "--memory", "128")
        self.expect(USAGE, "create", "x", "--memory", "128", "--disk", "relative.raw")
        self.expect(USAGE, "create", "x", "--memory", "128", "--disk", self.disk, "--net", "wifi")
        self.expect(USAGE, "events", "--after", "yesterday")
        self.expect(OK, "delete", "dup")

    def test_3_hosts_version(self):
        out, _ = self.expect(OK, "hosts")
        self.assertIn("local", out)
        self.assertIn("127.0.0.1", out)
        out, _ = self.expect(OK, "--json", "hosts")
        self.assertEqual(json.loads(out)["hosts"][0]["name"], "local")
        out, _ = self.expect(OK, "version")
        self.assertIn("0.1.0", out)

    def test_4_unreachable(self):
        empty = os.path.join(self.tmp, "nodaemon")
        os.makedirs(empty, exist_ok=True)
        _, err = self.expect(UNREACHABLE, "list", env={"COLOCTL_RUNTIME_DIR": empty})
        self.assertIn("coloctld", err)
        self.expect(UNREACHABLE, "version", env={"COLOCTL_RUNTIME_DIR": empty})

    def test_5_tcp(self):
        url = f"http://127.0.0.1:{self.port}"
        out, _ = self.expect(OK, "--url", url, "--token-file", self.token_file, "hosts")
        self.assertIn("local", out)
        self.expect(UNAUTHORIZED, "--url", url, "--token-file", self.bad_token_file, "list")
        self.expect(UNAUTHORIZED, "--url", url, "list")

    def test_6_follow(self):
        e = dict(os.environ, COLOCTL_RUNTIME_DIR=self.d.runtime_dir)
        p = subprocess.Popen([os.environ["COLOCTL"], "--json", "events", "-f"], env=e,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            time.sleep(0.5)
            self.create("followed")
            got = []
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                line = p.stdout.readline()
                if not line:
                    break
                ev = json.loads(line)
                got.append(ev)
                if ev["kind"] == "guest-created" and ev["guest"] == "followed":
                    break
            self.assertTrue(any(ev["kind"] == "guest-created" and ev["guest"] == "followed"
                                for ev in got), got)
            p.send_signal(signal.SIGINT)
            self.assertEqual(p.wait(30), OK)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        self.expect(OK, "delete", "followed")

    def test_7_protection(self):
        """protect, failover, failovers, create --protect and show's Protection section,
        against the real daemon but without bringing up a COLO pair."""
        out, _ = self.create("prot", "--protect", "--checkpoint-ms", "500")
        self.assertIn("Created guest 'prot'", out)
        out, _ = self.expect(OK, "show", "prot")
        self.assertIn("Protection:", out)
        section = out[out.index("Protection:"):]
        self.assertRegex(section, r"Pair state:\s+wanted")
        self.assertRegex(section, r"every 500 ms")
        self.assertRegex(section, r"Failovers:\s+0")
        out, _ = self.expect(OK, "--json", "show", "prot")
        g = json.loads(out)
        self.assertEqual(g["protection"]["pair_state"], "wanted")
        self.assertEqual(g["protection"]["checkpoint_ms"], 500)
        self.assertEqual(g["protection"]["failovers"], 0)
        out, _ = self.expect(OK, "--json", "create", "prot2", "--memory", "128", "--disk",
                             self.disk, "--protect")
        self.assertEqual(json.loads(out)["protection"]["pair_state"], "wanted")
        self.expect(OK, "delete", "prot2")
        # unprotect drops the wish for protection: the next start is unprotected
        out, _ = self.expect(OK, "create", "prot3", "--memory", "128", "--disk", self.disk,
                             "--protect")
        out, _ = self.expect(OK, "unprotect", "prot3")
        self.assertIn("Unprotecting guest 'prot3'", out)
        out, _ = self.expect(OK, "show", "prot3")
        self.assertNotIn("Protection:", out)
        _, err = self.expect(CONFLICT, "unprotect", "prot3")
        self.assertIn("cannot unprotect guest prot3: it is not protected", err)
        self.expect(NOT_FOUND, "unprotect", "nosuch")
        self.expect(OK, "delete", "prot3")
        # a guest without protection has no Protection section
        self.create("plain")
        out, _ = self.expect(OK, "show", "plain")
        self.assertNotIn("Protection:", out)
        self.assertIsNone(json.loads(self.expect(OK, "--json", "show", "plain")[0])["protection"])

        # protect and failover need a running, resp. protected, guest: the daemon's message
        _, err = self.expect(CONFLICT, "protect", "prot")
        self.assertIn("cannot protect guest prot", err)
        _, err = self.expect(CONFLICT, "protect", "prot", "--wait", "--timeout", "5")
        self.assertIn("cannot protect guest prot", err)
        out, err = self.expect(CONFLICT, "--json", "protect", "prot", "--secondary-host",
                               "local", "--checkpoint-ms", "1000", "--no-auto-reprotect")
        self.assertEqual(out, "")
        self.assertIn("cannot protect guest prot", err)
        _, err = self.expect(CONFLICT, "failover", "prot")
        self.assertIn("not protected", err)
        _, err = self.expect(CONFLICT, "failover", "prot", "--to", "primary", "--wait")
        self.assertIn("not protected", err)
        self.expect(NOT_FOUND, "protect", "nosuch")
        self.expect(NOT_FOUND, "failover", "nosuch")
        self.expect(NOT_FOUND, "failover", "nosuch", "--wait")
        self.expect(NOT_FOUND, "failovers", "nosuch")

        # no failover yet: an empty table, an empty array
        out, _ = self.expect(OK, "failovers", "prot")
        lines = out.splitlines()
        self.assertEqual(len(lines), 1, out)
        self.assertEqual(lines[0].split(), ["ID", "TIME", "LOST_ROLE", "LOST", "SURVIVOR",
                                            "CAUSE", "LATENCY_MS", "OK"])
        out, _ = self.expect(OK, "--json", "failovers", "prot")
        self.assertEqual(json.loads(out), {"failovers": []})

        # a running guest that is not protected cannot fail over
        self.expect(OK, "start", "plain")
        self.d.wait_state("plain", "running")
        _, err = self.expect(CONFLICT, "failover", "plain")
        self.assertIn("running, not protected", err)
        out, _ = self.expect(OK, "show", "plain")
        self.assertNotIn("Protection:", out)
        self.expect(OK, "stop", "plain", "--force")
        self.d.wait_state("plain", "stopped")

        # the daemon checks hosts and ranges; coloctl checks the command line
        _, err = self.expect(INVALID, "create", "bad", "--memory", "128", "--disk", self.disk,
                             "--protect", "--secondary-host", "nosuch")
        self.assertIn("nosuch", err)
        _, err = self.expect(INVALID, "create", "bad", "--memory", "128", "--disk", self.disk,
                             "--protect", "--checkpoint-ms", "5")
        self.assertIn("checkpoint_ms", err)
        _, err = self.expect(USAGE, "create", "bad", "--memory", "128", "--disk", self.disk,
                             "--secondary-host", "local")
        self.assertIn("--protect", err)
        self.expect(USAGE, "create", "bad", "--memory", "128", "--disk", self.disk,
                    "--checkpoint-ms", "500")
        self.expect(USAGE, "create", "bad", "--memory", "128", "--disk", self.disk,
                    "--protect", "--checkpoint-ms", "soon")
        self.expect(NOT_FOUND, "show", "bad")
        self.expect(USAGE, "protect")
        self.expect(USAGE, "protect", "prot", "--checkpoint-ms", "0")
        self.expect(USAGE, "protect", "prot", "--secondary-host", "")
        self.expect(USAGE, "protect", "prot", "--timeout", "5")
        self.expect(USAGE, "protect", "prot", "--wait", "--timeout", "never")
        self.expect(USAGE, "protect", "prot", "--auto-reprotect", "--no-auto-reprotect")
        _, err = self.expect(USAGE, "failover", "prot", "--to", "both")
        self.assertIn("primary or secondary", err)
        self.expect(USAGE, "failover", "prot", "--timeout", "5")
        self.expect(USAGE, "failovers")
        self.expect(USAGE, "failovers", "prot", "extra")

        self.expect(OK, "delete", "prot")
        self.expect(OK, "delete", "plain")


if __name__ == "__main__":
    unittest.main(verbosity=2)
