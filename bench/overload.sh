#!/usr/bin/env bash
# Load shedding: the post list at the concurrency bound (unloaded: what the server
# can do with nothing refused), at half that rate (light load), then offered at twice
# that rate over 32× the connections. Past the bound Madang should answer 503 at once
# while the requests it admits keep their latency.
#
# The machine is a shared VM whose speed drifts from minute to minute, so the three
# runs are repeated ROUNDS times back to back and every round's ratio is reported; the
# headline is their median. For contrast, the same overload once on a server with
# both sides on one runtime (MADANG_HTTP_THREADS=0) and once with no bound at all.
#   bash bench/overload.sh        → bench/results/overload.json
source "$(dirname "$0")/lib.sh"
PORT=18201
BOUND=${BOUND:-8}
ROUNDS=${ROUNDS:-3}
URL_OF() { echo "http://127.0.0.1:$1/api/v1/posts?size=20"; }
rps_of() { python3 -c 'import sys,json; print(int(json.load(sys.stdin)["rps"]))'; }

# round NAME PORT: unloaded, light and overloaded runs against the server on PORT.
round() {
  local name=$1 port=$2 capacity
  drive "$name-unloaded" "$BOUND" 10s "$(URL_OF "$port")"
  capacity=$(summary "$name-unloaded" | rps_of)
  drive "$name-light" "$BOUND" 10s "$(URL_OF "$port")" -q $((capacity / 2))
  drive "$name-overloaded" $((BOUND * 32)) 10s "$(URL_OF "$port")" -q $((capacity * 2))
  python3 - "$BOUND" "$capacity" "$(summary "$name-unloaded")" "$(summary "$name-light")" \
    "$(summary "$name-overloaded")" >"$RESULTS/$name.round.json" <<'PY'
import json, sys
bound, capacity = int(sys.argv[1]), int(sys.argv[2])
unloaded, light, overloaded = (json.loads(a) for a in sys.argv[3:6])
p99 = lambda run: run["by_status"].get("200", {}).get("p99_ms")
adm = p99(overloaded)
print(json.dumps({
    "unloaded": {"concurrency": bound, **unloaded},
    "light": {"concurrency": bound, "offered_rps": capacity // 2, **light},
    "overloaded": {"concurrency": bound * 32, "offered_rps": capacity * 2, **overloaded},
    "admitted_p99_ratio": round(adm / p99(unloaded), 2) if adm else None,
    "admitted_p99_vs_light": round(adm / p99(light), 2) if adm else None,
}))
PY
}

start_server $PORT MADANG_MAX_CONCURRENT_REQUESTS=$BOUND
seed $PORT >/dev/null
for r in $(seq 1 "$ROUNDS"); do round "overload-r$r" $PORT; done
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true

# The same bound with the connections and the work on one runtime.
start_server $((PORT + 1)) MADANG_MAX_CONCURRENT_REQUESTS=$BOUND MADANG_HTTP_THREADS=0
seed $((PORT + 1)) >/dev/null
round overload-one-runtime $((PORT + 1))
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true

# No bound: every request queues.
start_server $((PORT + 2)) MADANG_MAX_CONCURRENT_REQUESTS=1000000
seed $((PORT + 2)) >/dev/null
CAPACITY=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["unloaded"]["rps"])' "$RESULTS/overload-r1.round.json" | cut -d. -f1)
drive overload-unbounded $((BOUND * 32)) 10s "$(URL_OF $((PORT + 2)))" -q $((CAPACITY * 2))

python3 - "$RESULTS" "$BOUND" "$ROUNDS" "$CAPACITY" "$(summary overload-unbounded)" <<'PY'
import json, statistics, sys
results, bound, rounds, capacity = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
unbounded = json.loads(sys.argv[5])
load = lambda name: json.load(open(f"{results}/{name}.round.json"))
each = [load(f"overload-r{r}") for r in range(1, rounds + 1)]
one = load("overload-one-runtime")
ratios = [r["admitted_p99_ratio"] for r in each if r["admitted_p99_ratio"]]
light = [r["admitted_p99_vs_light"] for r in each if r["admitted_p99_vs_light"]]
report = {
    "endpoint": "GET /api/v1/posts?size=20 (SQLite, 30 posts)",
    "bound": bound,
    "setup": "madang pinned to core 0, oha to core 1; MADANG_HTTP_THREADS=1 unless said",
    "admitted_p99_ratio_median": statistics.median(ratios) if ratios else None,
    "admitted_p99_vs_light_median": statistics.median(light) if light else None,
    "rounds": each,
    "one_runtime": one,
    "without_bound": {"concurrency": bound * 32, "offered_rps": capacity * 2, **unbounded,
                      "p99_ratio": round(unbounded["by_status"]["200"]["p99_ms"]
                                         / each[0]["unloaded"]["by_status"]["200"]["p99_ms"], 2)},
}
json.dump(report, open(f"{results}/overload.json", "w"), indent=2)
def line(name, r):
    u, o = r["unloaded"], r["overloaded"]
    ok, no = o["by_status"].get("200", {}), o["by_status"].get("503", {})
    print(f"{name:>14}: unloaded {u['rps']:.0f}/s p99 {u['by_status']['200']['p99_ms']} ms | "
          f"light p99 {r['light']['by_status']['200']['p99_ms']} ms | "
          f"overloaded 200 {ok.get('count')} p50 {ok.get('p50_ms')} p99 {ok.get('p99_ms')} ms, "
          f"503 {no.get('count')} p50 {no.get('p50_ms')} p99 {no.get('p99_ms')} ms | "
          f"ratio {r['admitted_p99_ratio']} (vs light {r['admitted_p99_vs_light']})")
for i, r in enumerate(each, 1):
    line(f"round {i}", r)
line("one runtime", one)
print(f"median admitted p99 ratio: {report['admitted_p99_ratio_median']} "
      f"(vs light load: {report['admitted_p99_vs_light_median']}); "
      f"no bound: p99 {unbounded['by_status']['200']['p99_ms']} ms = {report['without_bound']['p99_ratio']}x")
PY
rm -f "$RESULTS"/overload-*.round.json "$RESULTS"/overload-*.oha.json "$RESULTS"/overload-*.db
