#!/usr/bin/env bash
# Post detail throughput with the cache on and off, on MariaDB (or ENGINE_URL).
#   bash bench/cache.sh           → bench/results/cache-mariadb.json
source "$(dirname "$0")/lib.sh"
SERVER=${ENGINE_URL:-mysql://root@127.0.0.1:3306}
DB=madang_bench_cache
mariadb -uroot -h127.0.0.1 -e "DROP DATABASE IF EXISTS $DB; CREATE DATABASE $DB CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
URL_DB="$SERVER/$DB"
declare -A RPS=()
PORT=18300
for mode in on off; do
  PORT=$((PORT + 1))
  start_server $PORT MADANG_DATABASE_URL="$URL_DB" MADANG_CACHE=$mode
  seed $PORT >/dev/null
  drive "cache-$mode" 32 10s "http://127.0.0.1:$PORT/api/v1/posts/1"
  RPS[$mode]=$(summary "cache-$mode")
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
  mariadb -uroot -h127.0.0.1 -e "DROP DATABASE $DB; CREATE DATABASE $DB CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
done
mariadb -uroot -h127.0.0.1 -e "DROP DATABASE $DB"
python3 - "$RESULTS" "${RPS[on]}" "${RPS[off]}" <<'PY'
import json, sys
on, off = json.loads(sys.argv[2]), json.loads(sys.argv[3])
report = {"endpoint": "GET /api/v1/posts/{id}, anonymous, MariaDB, 32 connections, 10 s",
          "cache_on": on, "cache_off": off, "throughput_ratio": round(on["rps"] / off["rps"], 2)}
json.dump(report, open(f"{sys.argv[1]}/cache-mariadb.json", "w"), indent=2)
print(json.dumps(report, indent=2))
PY
