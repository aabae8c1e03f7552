#!/usr/bin/env bash
# The cost of the OpenTelemetry set-up (decision 0009) on GET /v1/me, in one run: the server of a BEFORE commit
# (default 91015e8, the hand-written Prometheus exporter) and of the working tree, each as a Release OS process on
# a fresh SQLite data dir with one registered device, measured with wrk in alternation (before, after, before,
# after) so drift on the shared machine hits both. Usage: bench/scripts/me-telemetry.sh [BEFORE_REF] [duration]
set -euo pipefail
cd "$(dirname "$0")/../.."
BEFORE_REF="${1:-91015e8}"
DURATION="${2:-10s}"
command -v wrk >/dev/null || { apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }; }

RUN=$(mktemp -d /tmp/tinysync-me-otel-XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$RUN"; }
trap cleanup EXIT

echo "== build: before ($BEFORE_REF) and after (working tree), Release"
git archive "$BEFORE_REF" | tar -x -C "$RUN" --one-top-level=before
cp -r ../shared "$RUN/shared" 2>/dev/null || true
dotnet build "$RUN/before/src/TinySync.Server" -c Release -nologo -clp:ErrorsOnly -v q
dotnet build src/TinySync.Server -c Release -nologo -clp:ErrorsOnly -v q

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start() { # name dll -> URL
  local port; port=$(free_port)
  TINYSYNC_DATA_DIR="$RUN/$1-data" TINYSYNC_ADMIN_TOKEN=bench-admin-token-0123456789abcdef Logging__LogLevel__Default=Warning \
    dotnet "$2" --urls "http://127.0.0.1:$port" >"$RUN/$1.log" 2>&1 &
  PIDS+=("$!")
  for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
  echo "http://127.0.0.1:$port"
}
BEFORE=$(start before "$RUN/before/src/TinySync.Server/bin/Release/net10.0/tinysync-server.dll")
AFTER=$(start after src/TinySync.Server/bin/Release/net10.0/tinysync-server.dll)
token() { curl -fs -X POST -H 'Content-Type: application/json' -d '{"display_name":"bench"}' "$1/v1/devices" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'; }
BT=$(token "$BEFORE"); AT=$(token "$AFTER")

echo "== machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
run() { # label url token
  wrk -t2 -c32 -d"$DURATION" --latency -H "Authorization: Bearer $3" "$2/v1/me" >"$RUN/wrk.txt"
  printf '%-7s %10s req/s   p50 %8s   p99 %8s\n' "$1" "$(awk '/Requests\/sec/ {print $2}' "$RUN/wrk.txt")" \
    "$(awk '$1=="50%" {print $2}' "$RUN/wrk.txt")" "$(awk '$1=="99%" {print $2}' "$RUN/wrk.txt")"
}
wrk -t1 -c8 -d3s -H "Authorization: Bearer $BT" "$BEFORE/v1/me" >/dev/null # warm-up
wrk -t1 -c8 -d3s -H "Authorization: Bearer $AT" "$AFTER/v1/me" >/dev/null
for round in 1 2; do
  run before "$BEFORE" "$BT"
  run after "$AFTER" "$AT"
done
echo "== /metrics after the runs: before $(curl -fs "$BEFORE/metrics" | wc -c) bytes, after $(curl -fs "$AFTER/metrics" | wc -c) bytes"
