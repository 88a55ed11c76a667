#!/usr/bin/env bash
# REST benchmark: GET /v1/guests with 100 guests defined, over loopback TCP,
# against a minimal libsoup-3 server answering the same bytes, in the same run.
#
#   tests/bench/bench-rest.sh BUILDDIR [RUNS] [SECONDS]
#
# Prints requests/s and latency p50/p99 per run (wrk), the medians, and the
# ratios coloctld / baseline. Needs wrk (Debian package wrk).
set -euo pipefail
build=$(readlink -f "${1:?usage: bench-rest.sh BUILDDIR [RUNS] [SECONDS]}")
runs=${2:-3}
secs=${3:-10}
command -v wrk >/dev/null || { echo "bench-rest: needs wrk (apt-get install wrk)"; exit 77; }
tmp=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

token=bench-token-0123456789abcdef
echo "$token" >"$tmp/token"
port_d=$((20000 + RANDOM % 10000))
port_b=$((port_d + 1))
cat >"$tmp/coloctld.conf" <<CONF
[api]
tcp=127.0.0.1:$port_d
token-file=$tmp/token
CONF
export COLOCTL_CONFIG=$tmp/coloctld.conf COLOCTL_STATE_DIR=$tmp/state COLOCTL_RUNTIME_DIR=$tmp/run
"$build/controller/coloctld" >"$tmp/daemon.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [[ -S $tmp/run/coloctld.sock ]] && break; sleep 0.1; done
truncate -s 1M "$tmp/disk.raw"
for i in $(seq -w 1 100); do
	curl -sf --unix-socket "$tmp/run/coloctld.sock" http://x/v1/guests \
		-d "{\"name\":\"bench$i\",\"memory_mib\":256,\"disk\":\"$tmp/disk.raw\"}" >/dev/null
done
curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:$port_d/v1/guests" >"$tmp/body.json"
echo "GET /v1/guests: $(wc -c <"$tmp/body.json") bytes, 100 guests"
"$build/tests/bench/soup-baseline" "$port_b" "$tmp/body.json" &
pids+=($!)
sleep 0.5

run_wrk() { # url label -> "rps p50_ms p99_ms"
	wrk -t2 -c16 -d"${secs}s" --latency -H "Authorization: Bearer $token" "$1" >"$tmp/wrk.out"
	python3 - "$tmp/wrk.out" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
def ms(v, unit):
    return float(v) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
p = dict((k, ms(v, u)) for k, v, u in re.findall(r"\s(50|99)%\s+([\d.]+)(us|ms|s)", t))
print(f"{rps:.0f} {p['50']:.3f} {p['99']:.3f}")
PY
}

declare -a d_rps b_rps d_p50 b_p50 d_p99 b_p99
for r in $(seq "$runs"); do
	read -r a b c < <(run_wrk "http://127.0.0.1:$port_d/v1/guests")
	d_rps+=("$a"); d_p50+=("$b"); d_p99+=("$c")
	echo "run $r coloctld : $a req/s  p50 $b ms  p99 $c ms"
	read -r a b c < <(run_wrk "http://127.0.0.1:$port_b/v1/guests")
	b_rps+=("$a"); b_p50+=("$b"); b_p99+=("$c")
	echo "run $r baseline : $a req/s  p50 $b ms  p99 $c ms"
done
python3 - "${d_rps[*]}" "${b_rps[*]}" "${d_p50[*]}" "${b_p50[*]}" "${d_p99[*]}" "${b_p99[*]}" <<'PY'
import statistics, sys
v = [list(map(float, a.split())) for a in sys.argv[1:]]
m = [statistics.median(x) for x in v]
print(f"median coloctld: {m[0]:.0f} req/s, p50 {m[2]:.3f} ms, p99 {m[4]:.3f} ms")
print(f"median baseline: {m[1]:.0f} req/s, p50 {m[3]:.3f} ms, p99 {m[5]:.3f} ms")
print(f"ratio coloctld/baseline: throughput {m[0]/m[1]:.2f}, p50 {m[2]/m[3]:.2f}, p99 {m[4]/m[5]:.2f}")
PY
