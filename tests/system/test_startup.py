#!/usr/bin/env python3
"""coloctld refuses to start, saying why, on a bad config, a corrupt database,
a failed schema migration or a database from a newer daemon, and never touches
the database when it refuses."""

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from daemon_harness import Daemon  # noqa: E402


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class StartupTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="coloctl-startup-")
        self.d = Daemon(keep_dirs=self.tmp)
        os.makedirs(self.d.state_dir)

    def tearDown(self):
        self.d.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def run_daemon(self):
        p = subprocess.run([os.environ["COLOCTLD"]], env=self.d.env(), capture_output=True,
                           text=True, timeout=60)
        return p.returncode, p.stderr

    def test_bad_config(self):
        cases = [
            ("[qemu]\naccel=warp\n", "[qemu] accel: must be tcg, kvm or auto"),
            ("[qemu]\nbinray=/usr/bin/qemu\n", "[qemu] binray: unknown key"),
            ("[host b]\nnetns=b\n", "[host b] address: missing"),
            ("[host b]\naddress=not-an-ip\n", "[host b] address: not an IP address"),
            ("[api]\ntcp=127.0.0.1:8406\n", "[api] token-file: required when tcp is set"),
            ("[api]\ntcp=nowhere\ntoken-file=/x\n", "[api] tcp: must be ADDRESS:PORT"),
            ("[qemu\n", "coloctld.conf"),
        ]
        for text, want in cases:
            with self.subTest(want=want):
                with open(self.d.config, "w") as f:
                    f.write(text)
                rc, err = self.run_daemon()
                self.assertNotEqual(rc, 0)
                self.assertIn(self.d.config, err)
                self.assertIn(want, err)
                self.assertFalse(os.path.exists(self.d.db))

    def test_corrupt_database(self):
        with open(self.d.db, "wb") as f:
            f.write(b"this is not a database, it is a note" * 200)
        before = sha(self.d.db)
        rc, err = self.run_daemon()
        self.assertNotEqual(rc, 0)
        self.assertIn("corrupt", err)
        self.assertIn(self.d.db, err)
        self.assertEqual(sha(self.d.db), before)

    def test_failed_migration_leaves_database(self):
        # a table in the way of migration 0001: the migration fails part-way
        db = sqlite3.connect(self.d.db)
        db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        db.execute("INSERT INTO schema_version VALUES (0)")
        db.execute("CREATE TABLE events (note TEXT)")
        db.execute("INSERT INTO events VALUES ('keep me')")
        db.commit()
        db.close()
        before = sha(self.d.db)
        rc, err = self.run_daemon()
        self.assertNotEqual(rc, 0)
        self.assertIn("migration", err)
        self.assertEqual(sha(self.d.db), before)
        db = sqlite3.connect(self.d.db)
        self.assertEqual(db.execute("SELECT note FROM events").fetchall(), [("keep me",)])
        self.assertEqual(db.execute("SELECT name FROM sqlite_master WHERE name='guests'").fetchall(), [])
        db.close()

    def test_newer_database(self):
        self.d.start()
        self.d.stop()
        # a daemon stopped at once leaves nothing behind, its QEMU probe included
        self.assertEqual(self.d.leftovers(), [])
        db = sqlite3.connect(self.d.db)
        db.execute("UPDATE schema_version SET version = 99")
        db.commit()
        db.close()
        before = sha(self.d.db)
        rc, err = self.run_daemon()
        self.assertNotEqual(rc, 0)
        self.assertIn("newer", err)
        self.assertEqual(sha(self.d.db), before)


if __name__ == "__main__":
    unittest.main(verbosity=2)
