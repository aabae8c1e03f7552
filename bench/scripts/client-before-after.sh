#!/usr/bin/env bash
# Client initial sync before/after in one run (issue 17): client-bench.sh's steps (default "1 1b") from this checkout
# and from other checkouts (e.g. main, the engine before its split), round after round with the order rotated, on one
# generated tree, each side with its own server and CLI build; each step 1 also times `rsync -a` and
# `rsync -a --fsync`, and every round ends with durable-copy.py (the tree landed durably twice, nothing hashed or sent).
# Usage: bench/scripts/client-before-after.sh WORKDIR ROUNDS NAME=CHECKOUT[,VAR=VALUE]...
#   (VAR=VALUE: an environment variable for that side's processes, e.g. after-fsync=.,TINYSYNC_PLACEMENT_BARRIER=fsync;
#   each side's client logs are kept in WORKDIR/logs-NAME-ROUND)
#   e.g.  git worktree add --detach /tmp/base main &&
#         bench/scripts/client-before-after.sh /tmp/cba 2 main=/tmp/base && git worktree remove --force /tmp/base
set -euo pipefail
cd "$(dirname "$0")/../.."
W=$(mkdir -p "${1:?usage: client-before-after.sh WORKDIR ROUNDS NAME=CHECKOUT...}" && cd "$1" && pwd); ROUNDS=${2:?rounds}; shift 2
SIDES=("after=$PWD" "$@")
STEPS=${STEPS:-"1 1b"}; SMALL=${SMALL:-10000}; LARGE=${LARGE:-3}; LARGE_MB=${LARGE_MB:-300}
dotnet build bench/TinySync.Benchmarks.Client -c Release -nologo -clp:ErrorsOnly -v q >/dev/null
[ -d "$W/tree" ] || dotnet bench/TinySync.Benchmarks.Client/bin/Release/net10.0/TinySync.Benchmarks.Client.dll gen "$W/tree" "$SMALL" "$LARGE" "$LARGE_MB"
echo "== machine: $(nproc) cores; sides: ${SIDES[*]}"
for s in "${SIDES[@]}"; do spec=${s#*=}; echo "   ${s%%=*} = $(git -C "${spec%%,*}" rev-parse --short HEAD) ${spec#"${spec%%,*}"}"; done
port=$((18700 + RANDOM % 200))
for r in $(seq 1 "$ROUNDS"); do
  n=${#SIDES[@]}
  for i in $(seq 0 $((n - 1))); do
    s=${SIDES[$(((i + r - 1) % n))]}; name=${s%%=*}; spec=${s#*=}; dir=${spec%%,*}; envs=(); [[ $spec == *,* ]] && envs=("${spec#*,}")
    d="$W/run-$name-$r"; rm -rf "$d"; mkdir -p "$d"; ln -s "$W/tree" "$d/tree"
    echo "== $name, round $r, load $(cut -d' ' -f1-3 /proc/loadavg)"
    env "${envs[@]}" PORT=$((port++)) STEPS="$STEPS" "$dir/bench/scripts/client-bench.sh" "$d" 2>&1 | grep --line-buffered -E "^tinysync|^B identical|^[0-9]+ files| error " || true
    mkdir -p "$W/logs-$name-$r"; cp "$d"/*.log "$W/logs-$name-$r/" 2>/dev/null || true
    rm -rf "$d"
  done
  sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
  echo "== durable-copy, round $r, load $(cut -d' ' -f1-3 /proc/loadavg): $(python3 bench/scripts/durable-copy.py "$W/tree" "$W/dc")"
  rm -rf "$W/dc"
done
