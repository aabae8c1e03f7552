#!/usr/bin/env bash
# Client CPU and wall time of downloads by fresh `tinysync sync` processes from one warm server, variants alternating.
# Usage: bench/scripts/client-download.sh WORKDIR TREE REPS VARIANT...   (build Release first; WORKDIR is wiped)
#   VARIANT = "label|ENV=value ...|path/to/tinysync.dll" (an empty dll: this checkout's Release build), e.g.
#   bench/scripts/client-download.sh /tmp/dl /tmp/tree 2 "default|X=1|" "nopgo|DOTNET_TieredPGO=0|"
# PERFDIR=DIR records each run with perf (and DOTNET_PerfMapEnabled=1) for a profile.
set -euo pipefail
W=$1; TREE=$2; REPS=$3; shift 3; PORT=${PORT:-18602}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SERVER=${SERVER_DLL:-$ROOT/src/TinySync.Server/bin/Release/net10.0/tinysync-server.dll}
TS0="dotnet $ROOT/src/TinySync.Cli/bin/Release/net10.0/tinysync.dll"
export TINYSYNC_ADMIN_TOKEN=bench-admin-token-0123456789abcdef TINYSYNC_SERVER=http://127.0.0.1:$PORT
rm -rf $W; mkdir -p $W
TINYSYNC_DATA_DIR=$W/server dotnet "$SERVER" --urls "$TINYSYNC_SERVER" > "$W/server.log" 2>&1 &
SPID=$!; trap 'kill $SPID 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -fs "$TINYSYNC_SERVER/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
dev() { $TS0 --home "$2" register --server "$TINYSYNC_SERVER" --name "$1" >/dev/null; python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['device_id'])" "$2/identity.json"; }
A=$(dev a $W/homeA); $TS0 admin groups add-device g "$A" >/dev/null
V=$($TS0 admin vaults create v | python3 -c "import json,sys;print(json.load(sys.stdin)['vault_id'])"); $TS0 admin groups add-vault g "$V" >/dev/null
cp -a $TREE $W/A; $TS0 --home $W/homeA link "$V" $W/A >/dev/null; $TS0 --home $W/homeA sync >/dev/null
n=0
for r in $(seq $REPS); do for spec in "$@"; do
  IFS='|' read -r label envs dll <<<"$spec"; n=$((n+1))
  TS="dotnet ${dll:-$ROOT/src/TinySync.Cli/bin/Release/net10.0/tinysync.dll}"
  B=$(dev b$n $W/homeB$n); $TS0 admin groups add-device g "$B" >/dev/null; $TS0 --home $W/homeB$n link "$V" $W/B$n >/dev/null
  sync; echo 1 > /proc/sys/vm/drop_caches
  env $envs ${PERFDIR:+DOTNET_PerfMapEnabled=1 perf record -F 999 -g -o $PERFDIR/$label-$n.data --} /usr/bin/time -f "$label: wall %e user %U sys %S rss %M" $TS --home $W/homeB$n sync 2>&1 >/dev/null | tail -1
  rm -rf $W/B$n
done; done
