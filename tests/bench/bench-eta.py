#!/usr/bin/env python3
"""ETA accuracy benchmark (figures, never pass/fail).

Runs real migrations of the tiny guest through coloctld, with the guest's
memory dirtier at several rates under a bandwidth limit. From each run's
stored samples it takes, at 25 % and at 50 % of the actual total time:
  - cc-progress's predicted completion time (t + eta_ms), and
  - the naive prediction management layers use today: extrapolate
    100 - remaining*100/total linearly to 100 %.
It prints the median absolute error of each as a percentage of the actual
total time, their ratio, and predicted against actual downtime.

    tests/bench/bench-eta.py          (run by meson with the test environment)
    BENCH_ETA_RATES=0,1,2,4,6 BENCH_ETA_BW=16 tests/bench/bench-eta.py
"""

import os
import shutil
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "system"))
from daemon_harness import Daemon, guest_body, make_disk, wait_for  # noqa: E402


def predictions(samples, total_s, frac):
    """(ours, naive) predicted total seconds at @frac of the actual total time."""
    at = frac * total_s
    chosen = None
    for s in samples:
        if s["t_us"] / 1e6 <= at:
            chosen = s
    if chosen is None:
        return None, None
    t = chosen["t_us"] / 1e6
    p = chosen["progress"]
    ours = t + p["eta_ms"] / 1000.0 if p.get("eta_ms") is not None else None
    naive_pct = p.get("naive_percent")
    naive = t * 100.0 / naive_pct if naive_pct and naive_pct > 0 else None
    return ours, naive


def main():
    rates = [int(x) for x in os.environ.get("BENCH_ETA_RATES", "0,1,2,3,4").split(",")]
    bw = int(os.environ.get("BENCH_ETA_BW", "16"))
    tmp = tempfile.mkdtemp(prefix="coloctl-bench-eta-")
    d = Daemon(keep_dirs=tmp).start()
    errs = {"ours": [], "naive": []}
    try:
        for i, rate in enumerate(rates):
            name = f"eta{i}"
            disk = make_disk(tmp, f"{name}.raw")
            body = guest_body(name, disk, append=f"quiet coloctl.dirty={rate}")
            assert d.post("/v1/guests", body).status == 201
            assert d.post(f"/v1/guests/{name}/start", {}).status == 202
            d.wait_state(name, "running")
            console = os.path.join(d.runtime_dir, f"{name}-primary.console")
            wait_for("ready", lambda: os.path.exists(console) and
                     "COLOCTL-GUEST-READY" in open(console, errors="replace").read(), 120)
            r = d.post(f"/v1/guests/{name}/migrate",
                       {"to": "local", "bandwidth_mibps": bw, "max_downtime_ms": 300})
            assert r.status == 202, r
            m = wait_for("migration end", lambda: (lambda j: j if j["state"] in (
                "completed", "failed", "cancelled") else None)(
                d.get(f"/v1/guests/{name}/migration").json()), 600, 0.5)
            full = d.get(f"/v1/guests/{name}/migration?samples=1").json()
            final = full["result"].get("final", {})
            total_s = final.get("total-time", 0) / 1000.0
            if m["state"] != "completed" or total_s <= 0:
                print(f"rate {rate} MiB/s: {m['state']} ({m.get('reason')}), skipped")
                continue
            line = [f"rate {rate:2d} MiB/s, limit {bw} MiB/s: total {total_s:6.2f} s"]
            for frac in (0.25, 0.5):
                ours, naive = predictions(full["samples"], total_s, frac)
                if ours is not None:
                    errs["ours"].append(abs(ours - total_s) * 100 / total_s)
                if naive is not None:
                    errs["naive"].append(abs(naive - total_s) * 100 / total_s)
                line.append(f"at {int(frac * 100)}%: ours {ours if ours is None else round(ours, 2)} s,"
                            f" naive {naive if naive is None else round(naive, 2)} s")
            prog = full.get("progress", {})
            line.append(f"downtime predicted {prog.get('completion', {}).get('downtime_predicted_ms')} ms,"
                        f" actual {final.get('downtime')} ms")
            print("; ".join(line))
            d.post(f"/v1/guests/{name}/stop", {"force": True})
        if errs["ours"] and errs["naive"]:
            mo = statistics.median(errs["ours"])
            mn = statistics.median(errs["naive"])
            print(f"median |error| as % of actual total time: cc-progress {mo:.1f} %, "
                  f"naive {mn:.1f} %, ratio {mo / mn if mn else float('nan'):.2f}")
    finally:
        d.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
