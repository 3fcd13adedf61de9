#!/usr/bin/env bash
# Load shedding: the post list at the concurrency bound (unloaded: what the server
# can do), then offered at twice that rate over 32× the connections. Past the bound
# Madang should answer 503 at once while the requests it admits keep their latency.
#   bash bench/overload.sh        → bench/results/overload.json
source "$(dirname "$0")/lib.sh"
PORT=18201
BOUND=${BOUND:-8}
start_server $PORT MADANG_MAX_CONCURRENT_REQUESTS=$BOUND
seed $PORT >/dev/null
URL="http://127.0.0.1:$PORT/api/v1/posts?size=20"
drive overload-unloaded "$BOUND" 10s "$URL"
CAPACITY=$(summary overload-unloaded | python3 -c 'import sys,json; print(int(json.load(sys.stdin)["rps"]))')
drive overload-overloaded $((BOUND * 32)) 10s "$URL" -q $((CAPACITY * 2))
# The same overload on a server without a bound, for contrast.
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
start_server $((PORT + 1)) MADANG_MAX_CONCURRENT_REQUESTS=1000000
seed $((PORT + 1)) >/dev/null
drive overload-unbounded $((BOUND * 32)) 10s "http://127.0.0.1:$((PORT + 1))/api/v1/posts?size=20" -q $((CAPACITY * 2))
python3 - "$RESULTS" "$BOUND" "$(summary overload-unloaded)" "$(summary overload-overloaded)" "$(summary overload-unbounded)" <<'PY'
import json, sys
results, bound = sys.argv[1], int(sys.argv[2])
unloaded, overloaded, unbounded = (json.loads(a) for a in sys.argv[3:6])
report = {"endpoint": "GET /api/v1/posts?size=20 (SQLite, 30 posts)", "bound": bound,
          "unloaded": {"concurrency": bound, **unloaded},
          "overloaded": {"concurrency": bound * 32, "offered_rps": int(unloaded["rps"]) * 2, **overloaded}}
ok_p99 = unloaded["by_status"]["200"]["p99_ms"]
adm_p99 = overloaded["by_status"].get("200", {}).get("p99_ms")
report["admitted_p99_ratio"] = round(adm_p99 / ok_p99, 2) if adm_p99 else None
report["without_bound"] = {"concurrency": bound * 32, "offered_rps": int(unloaded["rps"]) * 2, **unbounded}
report["without_bound_p99_ratio"] = round(unbounded["by_status"]["200"]["p99_ms"] / ok_p99, 2)
json.dump(report, open(f"{results}/overload.json", "w"), indent=2)
print(json.dumps(report, indent=2))
PY
