# Shared helpers of Madang's load scripts: start a release server, seed it, drive it
# with oha (a separate process on loopback), summarise oha's per-request records.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN="$ROOT/target/release/madang"
RESULTS="$ROOT/bench/results"
mkdir -p "$RESULTS"
command -v oha >/dev/null || { echo "needs oha: cargo install oha --locked" >&2; exit 1; }
[ -x "$BIN" ] || (cd "$ROOT" && cargo build --release)

PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# start_server PORT [VAR=value ...]: madang serve in a fresh temp dir, waits for ready.
start_server() {
  local port=$1; shift
  local dir; dir=$(mktemp -d)
  ( cd "$dir" && env MADANG_LISTEN="127.0.0.1:$port" MADANG_LOG=warn \
      MADANG_PASSWORD_HASH_MEMORY_KIB=4096 MADANG_PASSWORD_HASH_ITERATIONS=1 "$@" \
      MADANG_ADMIN_PASSWORD=bench-password-1 "$BIN" admin create --name bench --email bench@example.com >/dev/null )
  # The server gets core 0, the load generator core 1 (see drive): neither steals the
  # other's CPU, so the figures are the server's.
  ( cd "$dir" && exec env MADANG_LISTEN="127.0.0.1:$port" MADANG_LOG=warn \
      MADANG_PASSWORD_HASH_MEMORY_KIB=4096 MADANG_PASSWORD_HASH_ITERATIONS=1 "$@" taskset -c "${SERVER_CPUS:-0}" "$BIN" serve ) &
  PIDS+=($!)
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null && return 0
    sleep 0.1
  done
  echo "server on $port did not become ready" >&2; return 1
}

# seed PORT: a category and a post; prints the post id.
seed() {
  local api="http://127.0.0.1:$1/api/v1"
  local tok
  tok=$(curl -fs "$api/auth/token" -d 'username=bench&password=bench-password-1' | python3 -c 'import sys,json;print(json.load(sys.stdin)["access_token"])')
  curl -fs "$api/categories" -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' -d '{"name":"bench"}' >/dev/null || true
  for i in $(seq 1 30); do
    curl -fs "$api/posts" -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
      -d "{\"category_id\":1,\"title\":\"벤치마크 글 $i\",\"content\":\"마당의 부하 측정용 본문입니다. $i\"}" >/dev/null
  done
  echo 1
}

# drive NAME CONCURRENCY DURATION URL [oha options]: an oha run on core 1, recorded per
# request in $RESULTS/NAME.db
drive() {
  local name=$1 c=$2 z=$3 url=$4; shift 4
  rm -f "$RESULTS/$name.db"
  taskset -c "${LOAD_CPUS:-1}" oha --no-tui -c "$c" -z "$z" "$@" --output-format json --db-url "$RESULTS/$name.db" "$url" \
    >"$RESULTS/$name.oha.json"
}

# summary NAME: per status, count, req/s, p50/p99/p99.9 latency in ms (from oha's records).
summary() {
  python3 - "$RESULTS/$1.db" <<'PY'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = db.execute("SELECT status, duration, start, end FROM oha").fetchall()
span = max(r[3] for r in rows) - min(r[2] for r in rows)
out = {"requests": len(rows), "rps": round(len(rows) / span, 1), "by_status": {}}
def pct(xs, p):
    xs = sorted(xs); return round(xs[min(len(xs) - 1, int(p * len(xs)))] * 1000, 2)
for status in sorted({r[0] for r in rows}):
    d = [r[1] for r in rows if r[0] == status]
    out["by_status"][str(status)] = {"count": len(d), "p50_ms": pct(d, .5), "p99_ms": pct(d, .99), "p999_ms": pct(d, .999)}
print(json.dumps(out))
PY
}
