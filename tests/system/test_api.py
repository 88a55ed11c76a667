#!/usr/bin/env python3
"""REST API against a real coloctld (real QEMU, real sqlite): bad inputs, the
OpenAPI document against the routes, and the SSE stream."""

import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from daemon_harness import Daemon, Reply, UnixHTTPConnection, guest_body, make_disk, wait_for  # noqa: E402

TOKEN = "s3cret-token-for-tests-0123456789"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class ApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="coloctl-api-")
        cls.port = free_port()
        cls.token_file = os.path.join(cls.tmp, "token")
        with open(cls.token_file, "w") as f:
            f.write(TOKEN + "\n")
        cls.d = Daemon(config_extra="[api]\ntcp=127.0.0.1:%d\ntoken-file=%s\n"
                       % (cls.port, cls.token_file)).start()
        cls.disk = make_disk(cls.tmp)
        # one defined guest and one running guest to aim at
        r = cls.d.post("/v1/guests", guest_body("idle", cls.disk))
        assert r.status == 201, r
        r = cls.d.post("/v1/guests", guest_body("busy", make_disk(cls.tmp, "busy.raw")))
        assert r.status == 201, r
        r = cls.d.post("/v1/guests/busy/start", {})
        assert r.status == 202, r
        cls.d.wait_state("busy", "running")

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def tcp(self, method, path, token=None, body=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {}
        if token is not None:
            headers["Authorization"] = "Bearer " + token
        return self.d.request(method, path, body=body, headers=headers, conn=conn)

    def check_problem(self, r, status, code, path=None):
        self.assertEqual(r.status, status, r)
        self.assertTrue(r.headers.get("Content-Type", "").startswith("application/problem+json"), r.headers)
        p = r.json()
        self.assertEqual(p["code"], code, p)
        self.assertEqual(p["status"], status)
        self.assertTrue(p["detail"], p)
        if path is not None:
            self.assertEqual(p.get("path"), path, p)

    def test_bad_inputs(self):
        """Every bad input: its status, its code, its path, and an unchanged store."""
        valid = guest_body("new1", self.disk)
        huge = b'{"name": "' + b"x" * (1024 * 1024 + 10) + b'"}'
        cases = [
            # (method, path, body (dict) or raw bytes, status, code, json path)
            ("POST", "/v1/guests", b'{"name": "a", ', 400, "malformed-json", None),
            ("POST", "/v1/guests", b"not json at all", 400, "malformed-json", None),
            ("POST", "/v1/guests", dict(valid, colour="blue"), 400, "unknown-field", "$.colour"),
            ("POST", "/v1/guests", dict(valid, memory_mib="256"), 400, "wrong-type", "$.memory_mib"),
            ("POST", "/v1/guests", dict(valid, vcpus=1.5), 400, "wrong-type", "$.vcpus"),
            ("POST", "/v1/guests", b"[1, 2]", 400, "wrong-type", "$"),
            ("POST", "/v1/guests", {k: v for k, v in valid.items() if k != "disk"}, 400,
             "missing-field", "$.disk"),
            ("POST", "/v1/guests", dict(valid, name="bad name!"), 400, "invalid-value", "$.name"),
            ("POST", "/v1/guests", dict(valid, memory_mib=1), 400, "invalid-value", "$.memory_mib"),
            ("POST", "/v1/guests", dict(valid, net="wifi"), 400, "invalid-value", "$.net"),
            ("POST", "/v1/guests", dict(valid, disk="/nonexistent/disk.raw"), 400, "invalid-value", None),
            ("POST", "/v1/guests", dict(valid, host="mars"), 400, "invalid-value", None),
            ("POST", "/v1/guests", dict(valid, name="idle"), 409, "conflict", None),
            ("POST", "/v1/guests/idle/stop", {"force": "yes"}, 400, "wrong-type", "$.force"),
            ("POST", "/v1/guests/idle/start", {"now": True}, 400, "unknown-field", "$.now"),
            ("POST", "/v1/guests", huge, 413, "body-too-large", None),
            ("GET", "/v1/guests/nosuch", None, 404, "not-found", None),
            ("POST", "/v1/guests/nosuch/start", {}, 404, "not-found", None),
            ("POST", "/v1/guests/nosuch/stop", {}, 404, "not-found", None),
            ("DELETE", "/v1/guests/nosuch", None, 404, "not-found", None),
            ("GET", "/v1/nothing-here", None, 404, "no-route", None),
            ("PUT", "/v1/guests", b"{}", 405, "method-not-allowed", None),
            ("POST", "/v1/guests/busy/start", {}, 409, "conflict", None),
            ("DELETE", "/v1/guests/busy", None, 409, "conflict", None),
            ("POST", "/v1/guests/idle/stop", {}, 409, "conflict", None),
            ("GET", "/v1/events?after=minus-one", None, 400, "invalid-value", "?after"),
        ]
        before = self.d.dump_store()
        for method, path, body, status, code, jpath in cases:
            with self.subTest(method=method, path=path, code=code):
                raw = body if isinstance(body, bytes) else None
                data = body if isinstance(body, dict) else None
                r = self.d.request(method, path, body=data, raw=raw)
                self.check_problem(r, status, code, jpath)
                self.assertEqual(self.d.dump_store(), before, "a bad request changed the store")
        self.assertEqual(self.d.guest("busy")["state"], "running")

    def test_tcp_token(self):
        before = self.d.dump_store()
        self.check_problem(self.tcp("GET", "/v1/guests"), 401, "unauthorized")
        self.check_problem(self.tcp("GET", "/v1/guests", token="wrong"), 401, "unauthorized")
        self.check_problem(self.tcp("POST", "/v1/guests", token="wrong",
                                    body=guest_body("sneaky", self.disk)), 401, "unauthorized")
        self.assertEqual(self.d.dump_store(), before)
        r = self.tcp("GET", "/v1/guests", token=TOKEN)
        self.assertEqual(r.status, 200, r)
        self.assertEqual({g["name"] for g in r.json()["guests"]} >= {"idle", "busy"}, True)

    def test_unix_socket_mode(self):
        self.assertEqual(os.stat(self.d.socket).st_mode & 0o777, 0o660)

    def test_openapi_matches_routes(self):
        """Every route the server has is in the document, and every documented route answers."""
        doc = self.d.get("/v1/openapi.json").json()
        documented = set()
        for path, item in doc["paths"].items():
            for method in item:
                if method in ("get", "post", "put", "delete", "patch"):
                    documented.add(f"{method.upper()} {path}")
        routes = set(subprocess.run([os.environ["COLOCTLD"], "--list-routes"], check=True,
                                    capture_output=True, text=True).stdout.split("\n")) - {""}
        self.assertEqual(routes, documented)
        for route in sorted(documented):
            method, path = route.split(" ", 1)
            if path == "/v1/events/stream":
                continue  # streams; covered by test_sse
            path = path.replace("{name}", "idle")
            body = {} if method == "POST" else None
            if method == "DELETE" or method == "POST" and "{name}" in route:
                # must exist: anything but 404 no-route and 405
                r = self.d.request(method, path.replace("idle", "nosuch"), body=body)
                # routed: refused for the guest or the body, never "no such route"
                self.assertIn(r.status, (400, 404), r)
                self.assertNotIn(r.json()["code"], ("no-route", "method-not-allowed"))
                continue
            if method == "POST":
                continue  # create: covered by the table
            r = self.d.request(method, path)
            if r.status == 404:
                # exists, but "idle" has no such thing yet (a migration)
                self.assertEqual(r.json()["code"], "not-found", (route, r))
                continue
            self.assertEqual(r.status, 200, (route, r))

    def test_list_follows_changes(self):
        """The listing is cached between writes: every write must show in it at once."""
        def listed():
            return {g["name"]: g for g in self.d.get("/v1/guests").json()["guests"]}
        disk = make_disk(self.tmp, "lst.raw")
        self.assertNotIn("lst", listed())
        self.assertEqual(self.d.post("/v1/guests", guest_body("lst", disk)).status, 201)
        self.assertEqual(listed()["lst"]["state"], "defined")
        self.assertEqual(self.d.post("/v1/guests/lst/start", {}).status, 202)
        wait_for("listed running", lambda: listed()["lst"]["state"] == "running", 60)
        g = listed()["lst"]
        self.assertEqual(g["members"][0]["state"], "running")
        self.assertEqual(g["members"][0]["pid"], self.d.guest("lst")["members"][0]["pid"])
        self.assertEqual(self.d.post("/v1/guests/lst/stop", {"force": True}).status, 202)
        wait_for("listed stopped", lambda: listed()["lst"]["state"] == "stopped", 60)
        self.assertEqual(self.d.request("DELETE", "/v1/guests/lst").status, 204)
        self.assertNotIn("lst", listed())

    def test_metrics(self):
        r = self.d.get("/metrics")
        self.assertEqual(r.status, 200)
        self.assertIn('coloctl_guests{state="running"} 1', r.body)
        self.assertIn("coloctl_members_running 1", r.body)

    def test_health(self):
        h = wait_for("probe result", lambda: (lambda j: j if j["qemu"] else None)(
            self.d.get("/v1/health").json()), 30)
        self.assertEqual(h["status"], "ok")
        self.assertTrue(h["qemu"]["colo"])
        self.assertFalse(h["qemu"]["enable_when_stopped"])

    def test_sse(self):
        """A client receives the events of a start and stop, in order."""
        disk = make_disk(self.tmp, "sse.raw")
        self.assertEqual(self.d.post("/v1/guests", guest_body("sse", disk)).status, 201)
        sock = socket.socket(socket.AF_UNIX)
        sock.connect(self.d.socket)
        sock.sendall(b"GET /v1/events/stream HTTP/1.1\r\nHost: localhost\r\n\r\n")
        sock.settimeout(60)
        buf = b""
        while b"\r\n\r\n" not in buf:
            buf += sock.recv(4096)
        head = buf.split(b"\r\n\r\n")[0].decode()
        self.assertIn("200", head.split("\r\n")[0])
        self.assertIn("text/event-stream", head)
        self.assertEqual(self.d.post("/v1/guests/sse/start", {}).status, 202)
        self.d.wait_state("sse", "running")
        self.assertEqual(self.d.post("/v1/guests/sse/stop", {}).status, 202)
        self.d.wait_state("sse", "stopped")
        want = [("defined", "starting"), ("starting", "running"),
                ("running", "stopping"), ("stopping", "stopped")]
        seen = []
        ids = []
        deadline = time.monotonic() + 30
        while len(seen) < len(want) and time.monotonic() < deadline:
            try:
                buf += sock.recv(65536)
            except socket.timeout:
                break
            for line in buf.decode(errors="replace").split("\n")[:-1]:
                if line.startswith("data: "):
                    ev = json.loads(line[6:])
                    if ev["id"] in ids:
                        continue
                    ids.append(ev["id"])
                    if ev["guest"] == "sse" and ev["kind"] == "guest-state":
                        seen.append((ev["detail"]["from"], ev["detail"]["to"]))
        sock.close()
        self.assertEqual(seen, want)
        self.assertEqual(ids, sorted(ids), "events out of order")


if __name__ == "__main__":
    unittest.main(verbosity=2)
