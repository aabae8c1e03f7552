#!/usr/bin/env bash
# Small-chunk batch uploads before/after in one run (issue 17, decision 0015): this checkout against another build of
# the server (e.g. main, in a separate checkout), alternating on the same machine so both see the same load. Each run
# is bench/TinySync.Benchmarks.Sync's "batch" phase (POST /chunks/batch beside a file-each + fsync peer and a pack-file
# peer); this checkout's benchmark program is copied into the base checkout so both sides run the same client code.
# Usage: bench/scripts/batch-before-after.sh BASE_CHECKOUT [rounds, default 3]
#   e.g.  git worktree add --detach /tmp/base main && bench/scripts/batch-before-after.sh /tmp/base && git worktree remove --force /tmp/base
set -euo pipefail
cd "$(dirname "$0")/../.."
BASE="$(cd "${1:?usage: batch-before-after.sh BASE_CHECKOUT [rounds]}" && pwd)"
ROUNDS="${2:-3}"
cp bench/TinySync.Benchmarks.Sync/Program.cs "$BASE/bench/TinySync.Benchmarks.Sync/Program.cs"
echo "== build (Release): after = $(git rev-parse --short HEAD) here, before = $(git -C "$BASE" rev-parse --short HEAD) in $BASE"
for dir in "$BASE" .; do (cd "$dir" && dotnet build bench/TinySync.Benchmarks.Sync -c Release -nologo -clp:ErrorsOnly -v q >/dev/null); done
declare -A DLL=([before]="$BASE/bench/TinySync.Benchmarks.Sync/bin/Release/net10.0/TinySync.Benchmarks.Sync.dll" [after]=bench/TinySync.Benchmarks.Sync/bin/Release/net10.0/TinySync.Benchmarks.Sync.dll)
echo "== machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$ROUNDS"); do
  order=(before after); (( r % 2 == 0 )) && order=(after before)
  for side in "${order[@]}"; do
    line=$(dotnet "${DLL[$side]}" batch | grep '^small-chunk' | tail -1)
    echo "$side (round $r, load $(cut -d' ' -f1 /proc/loadavg)): $line"
  done
done
