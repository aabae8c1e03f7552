#!/usr/bin/env bash
# Before/after in one run (issue 18 "Performance"): this checkout against another build of the server (main, in a
# separate checkout), alternating on the same machine so both see the same load.
#   1. GET /v1/me with wrk: bare endpoint, before, after (the order of before/after swaps every round); req/s and
#      server CPU per request (the figure that depends least on what else runs on the machine)
#   2. commits in batches of 1,000 (bench/TinySync.Benchmarks.Sync, phase "commit"), before/after/after/before...
#   3. the same batches through IStore.CommitAsync alone (phase "store": no HTTP, no JSON)
# Usage: bench/scripts/before-after.sh BASE_CHECKOUT [rounds, default 3] [wrk duration, default 10s]
#   PARTS=me, PARTS=commit or PARTS=store runs one part only (default: me,commit; "store" alone is the server's
#   share of a commit without HTTP and JSON, the quickest to repeat).
#   e.g.  git worktree add --detach /tmp/base main && bench/scripts/before-after.sh /tmp/base && git worktree remove /tmp/base
set -euo pipefail
cd "$(dirname "$0")/../.."
BASE="$(cd "${1:?usage: before-after.sh BASE_CHECKOUT [rounds] [duration]}" && pwd)"
ROUNDS="${2:-3}"
DURATION="${3:-10s}"
command -v wrk >/dev/null || { apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }; }

echo "== build (Release): after = $(git rev-parse --short HEAD) here, before = $(git -C "$BASE" rev-parse --short HEAD) in $BASE"
for dir in "$BASE" .; do
  for p in src/TinySync.Server bench/TinySync.Benchmarks.Sync; do (cd "$dir" && dotnet build "$p" -c Release -nologo -clp:ErrorsOnly -v q >/dev/null); done
done
dotnet build bench/TinySync.Benchmarks.Server -c Release -nologo -clp:ErrorsOnly -v q >/dev/null
dotnet build bench/BareEndpoint -c Release -nologo -clp:ErrorsOnly -v q >/dev/null
BENCH="dotnet bench/TinySync.Benchmarks.Server/bin/Release/net10.0/TinySync.Benchmarks.Server.dll"
declare -A DLL=([before]="$BASE/src/TinySync.Server/bin/Release/net10.0/tinysync-server.dll" [after]=src/TinySync.Server/bin/Release/net10.0/tinysync-server.dll)
declare -A SYNC=([before]="$BASE/bench/TinySync.Benchmarks.Sync/bin/Release/net10.0/TinySync.Benchmarks.Sync.dll" [after]=bench/TinySync.Benchmarks.Sync/bin/Release/net10.0/TinySync.Benchmarks.Sync.dll)
SEED=bench/TinySync.Benchmarks.Server/bin/seed-data
echo "== machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
PARTS="${PARTS:-me,commit}"
load() { cut -d' ' -f1 /proc/loadavg; }

if [[ "$PARTS" == *me* ]]; then
$BENCH seed --data "$SEED" >/dev/null
RUN=$(mktemp -d /tmp/tinysync-before-after-XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$RUN"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_healthy() { for _ in $(seq 1 300); do curl -fs "$1/healthz" >/dev/null && return 0; sleep 0.1; done; echo "not healthy: $1" >&2; return 1; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

declare -A URL PID
for side in before after; do
  cp -r "$SEED" "$RUN/$side"
  port=$(free_port); URL[$side]="http://127.0.0.1:$port"
  TINYSYNC_DATA_DIR="$RUN/$side" TINYSYNC_ADMIN_TOKEN=bench-admin-token-0123456789abcdef dotnet "${DLL[$side]}" --urls "${URL[$side]}" >"$RUN/$side.log" 2>&1 &
  PID[$side]=$!; PIDS+=("${PID[$side]}")
done
port=$(free_port); URL[bare]="http://127.0.0.1:$port"
dotnet bench/BareEndpoint/bin/Release/net10.0/BareEndpoint.dll --urls "${URL[bare]}" >"$RUN/bare.log" 2>&1 &
PID[bare]=$!; PIDS+=("${PID[bare]}")
for side in before after bare; do wait_healthy "${URL[$side]}"; done
TOKEN=$($BENCH token)

# One wrk run against a side: prints "req/s us-CPU-per-request".
me() {
  local side=$1 auth=() t0 out
  [ "$side" != bare ] && auth=(-H "Authorization: Bearer $TOKEN")
  t0=$(ticks "${PID[$side]}")
  out=$(wrk -t2 -c32 -d"$DURATION" "${auth[@]}" "${URL[$side]}/v1/me")
  python3 -c "import sys; rps, n, t0, t1 = sys.argv[1:]; print(f'{float(rps):.0f} {(float(t1) - float(t0)) * 1e6 / $(getconf CLK_TCK) / float(n):.1f}')" \
    "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" "$(awk '/requests in/ {print $1}' <<<"$out")" "$t0" "$(ticks "${PID[$side]}")"
  grep -q "Non-2xx" <<<"$out" && echo "non-2xx responses from $side" >&2 || true
}

echo "== warm-up (discarded): wrk 10 s on each"
for side in bare before after; do DURATION=10s me "$side" >/dev/null; done
echo "== GET /v1/me, wrk -t2 -c32 -d$DURATION per side and round"
for round in $(seq 1 "$ROUNDS"); do
  if (( round % 2 )); then order=(before after); else order=(after before); fi
  line="round $round:"
  read -r rps cpu < <(me bare); line+=" bare $rps req/s ${cpu} us |"
  declare -A R C
  for side in "${order[@]}"; do read -r R[$side] C[$side] < <(me "$side"); done
  echo "$line before ${R[before]} req/s ${C[before]} us | after ${R[after]} req/s ${C[after]} us | after/before req/s $(python3 -c "print(f'{${R[after]}/${R[before]}:.3f}')"), CPU $(python3 -c "print(f'{${C[after]}/${C[before]}:.3f}')") | load $(load)"
done
for side in before after bare; do kill "${PID[$side]}"; done
fi

[[ "$PARTS" == *commit* || "$PARTS" == *store* ]] || exit 0
phases=commit,store; [[ "$PARTS" == *commit* ]] || phases=store
echo "== commits in batches of 1,000 (TinySync.Benchmarks.Sync phases $phases; each run starts its own server on fresh SQLite)"
for round in $(seq 1 "$ROUNDS"); do
  if (( round % 2 )); then order=(before after); else order=(after before); fi
  for side in "${order[@]}"; do
    out=$(dotnet "${SYNC[$side]}" "$phases" | grep -E "batches of 1000" | head -3)
    echo "round $round $side (load $(load)):"
    sed 's/^/   /' <<<"$out"
  done
done
echo "== load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
