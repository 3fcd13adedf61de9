#!/usr/bin/env bash
# What holding the connections on a thread of their own (MADANG_HTTP_THREADS=1, the
# default) costs when nothing is overloaded: two servers, one with the split and one
# without (=0), driven in alternation so that the VM's drift falls on both alike.
# The list page (a database read) and a cached post (no database) at the bound's
# concurrency, with madang on one core (oha on the other) and with both sharing two.
#   bash bench/handover.sh        → bench/results/handover.json
source "$(dirname "$0")/lib.sh"
ROUNDS=${ROUNDS:-6}
PORT=18420
out=()
for placement in one-core two-cores; do
  if [ $placement = one-core ]; then export SERVER_CPUS=0 LOAD_CPUS=1; else export SERVER_CPUS=0,1 LOAD_CPUS=0,1; fi
  start_server $PORT MADANG_HTTP_THREADS=0
  off=$SERVER_PID
  seed $PORT >/dev/null
  start_server $((PORT + 1)) MADANG_HTTP_THREADS=1
  on=$SERVER_PID
  seed $((PORT + 1)) >/dev/null
  for endpoint in "list:/api/v1/posts?size=20:8" "post:/api/v1/posts/1:32"; do
    IFS=: read -r what path conns <<<"$endpoint"
    for r in $(seq 1 "$ROUNDS"); do
      for t in 0 1; do
        name="handover-$placement-$what-$t-$r"
        drive "$name" "$conns" 5s "http://127.0.0.1:$((PORT + t))$path"
        out+=("$placement $what $t $(summary "$name")")
      done
    done
  done
  kill "$off" "$on"; wait "$off" "$on" 2>/dev/null || true
  PORT=$((PORT + 2))
done
printf '%s\n' "${out[@]}" >"$RESULTS/handover.runs"
python3 - "$RESULTS/handover.runs" "$RESULTS/handover.json" <<'PY'
import json, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    placement, what, threads, summary = line.split(" ", 3)
    s = json.loads(summary)
    runs.setdefault((placement, what), {}).setdefault(threads, []).append(
        (s["rps"], s["by_status"]["200"]["p99_ms"]))
report = []
for (placement, what), by in runs.items():
    med = {t: {"rps": statistics.median(r for r, _ in v), "p99_ms": round(statistics.median(p for _, p in v), 2),
               "rounds": [{"rps": r, "p99_ms": p} for r, p in v]} for t, v in by.items()}
    off, on = med["0"], med["1"]
    change = round(100 * (on["rps"] / off["rps"] - 1), 1)
    report.append({"placement": placement, "endpoint": what, "one_runtime": off,
                   "connections_apart": on, "throughput_change_percent": change})
    print(f"{placement:>9} {what:>4}: one runtime {off['rps']:.0f}/s p99 {off['p99_ms']} ms | "
          f"connections apart {on['rps']:.0f}/s p99 {on['p99_ms']} ms | {change:+}%")
json.dump(report, open(sys.argv[2], "w"), indent=2)
PY
rm -f "$RESULTS/handover.runs" "$RESULTS"/handover-*.db "$RESULTS"/handover-*.oha.json
