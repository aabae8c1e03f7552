#!/usr/bin/env bash
# Client macro benchmarks, one run, side by side with rsync (and Syncthing via client-syncthing.sh).
# Usage: bench/scripts/client-bench.sh [WORKDIR]   (needs: rsync; ~4 GB free disk)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
W=${1:-$(mktemp -d /tmp/tinysync-clientbench-XXXX)}
STEPS=${STEPS:-"1 1b 2 3 4"}   # which measurements to run
SMALL=${SMALL:-10000}; LARGE=${LARGE:-3}; LARGE_MB=${LARGE_MB:-300}; MANY=${MANY:-100000}; EDITS=${EDITS:-100}
mkdir -p "$W"
echo "workdir $W"

dotnet build src/TinySync.Server -c Release -nologo -clp:ErrorsOnly -v q
dotnet build src/TinySync.Cli -c Release -nologo -clp:ErrorsOnly -v q
dotnet build bench/TinySync.Benchmarks.Client -c Release -nologo -clp:ErrorsOnly -v q
SERVER=$ROOT/src/TinySync.Server/bin/Release/net10.0/tinysync-server.dll
TS="dotnet $ROOT/src/TinySync.Cli/bin/Release/net10.0/tinysync.dll"
TSDLL=$ROOT/src/TinySync.Cli/bin/Release/net10.0/tinysync.dll
BENCH="dotnet $ROOT/bench/TinySync.Benchmarks.Client/bin/Release/net10.0/TinySync.Benchmarks.Client.dll"
ADMIN=bench-admin-token-0123456789abcdef
PORT=${PORT:-18480}
URL=http://127.0.0.1:$PORT
export TINYSYNC_ADMIN_TOKEN=$ADMIN TINYSYNC_SERVER=$URL

TINYSYNC_DATA_DIR=$W/server dotnet "$SERVER" --urls "$URL" > "$W/server.log" 2>&1 &
SPID=$!
trap 'kill $SPID 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -fs "$URL/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc; }
device() { # name home -> device id
  $TS --home "$2" register --server "$URL" --name "$1" >/dev/null
  python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['device_id'])" "$2/identity.json"
}
vault() { $TS admin vaults create "$1" | python3 -c "import json,sys;print(json.load(sys.stdin)['vault_id'])"; }

A=$(device benchA "$W/homeA"); B=$(device benchB "$W/homeB")
$TS admin groups add-device bench "$A" >/dev/null; $TS admin groups add-device bench "$B" >/dev/null

if [[ " $STEPS " == *" 1 "* || " $STEPS " == *" 1b "* ]]; then
echo "== initial sync tree: $SMALL small + $LARGE x $LARGE_MB MiB"
[ -d "$W/tree" ] || $BENCH gen "$W/tree" "$SMALL" "$LARGE" "$LARGE_MB"
du -sh "$W/tree"
# The server is a long-running service: before the timed runs it serves one smaller sync (its own vault, 2,000 small
# files and two 16 MiB files: enough requests for the runtime to finish optimizing the server's request paths), as a
# deployed server long has, so that this compilation is not counted against the client. The clients are fresh
# processes: their start-up counts.
$BENCH gen "$W/warm" 2000 2 16 >/dev/null
VW=$(vault warmup); $TS admin groups add-vault bench "$VW" >/dev/null
$TS --home "$W/homeA" link "$VW" "$W/warm" >/dev/null; $TS --home "$W/homeB" link "$VW" "$W/warmB" >/dev/null
$TS --home "$W/homeA" sync >/dev/null; $TS --home "$W/homeB" sync >/dev/null
$TS --home "$W/homeA" unlink "$W/warm" >/dev/null; $TS --home "$W/homeB" unlink "$W/warmB" >/dev/null
fi
if [[ " $STEPS " == *" 1 "* ]]; then
echo "== 1. initial sync, A -> server, then server -> B"
V1=$(vault initial); $TS admin groups add-vault bench "$V1" >/dev/null
mkdir -p "$W/A1" && cp -a "$W/tree/." "$W/A1/"
$TS --home "$W/homeA" link "$V1" "$W/A1" >/dev/null
$TS --home "$W/homeB" link "$V1" "$W/B1" >/dev/null
sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
t0=$(now); $TS --home "$W/homeA" -v sync > "$W/up.log" 2>&1; t1=$(now)
$TS --home "$W/homeB" -v sync > "$W/down.log" 2>&1; t2=$(now)
diff -r "$W/tree" "$W/B1" && echo "B identical to the tree"
UP=$(secs "$t0" "$t1"); DOWN=$(secs "$t1" "$t2"); TOT=$(secs "$t0" "$t2")
tail -1 "$W/up.log"; tail -1 "$W/down.log"
sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
r0=$(now); rsync -a "$W/tree/" "$W/rsync-copy/"; r1=$(now); RS=$(secs "$r0" "$r1")
# the same copy made durable, file by file (tinysync makes both of its copies durable: the server's and B's)
sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
r0=$(now); rsync -a --fsync "$W/tree/" "$W/rsync-durable/"; sync; r1=$(now); RSF=$(secs "$r0" "$r1")
echo "tinysync A->server $UP s, server->B $DOWN s, total $TOT s; rsync -a $RS s; ratio $(echo "scale=2; $TOT / $RS" | bc); rsync -a --fsync $RSF s"
$TS --home "$W/homeA" unlink "$W/A1" >/dev/null; $TS --home "$W/homeB" unlink "$W/B1" >/dev/null
rm -rf "$W/rsync-copy" "$W/rsync-durable" "$W/A1" "$W/B1"
fi
if [[ " $STEPS " == *" 1b "* ]]; then
echo "== 1b. the same tree with B's daemon already running, as Syncthing's two instances run: from A's sync start until B holds every file"
V1B=$(vault initial-live); $TS admin groups add-vault bench "$V1B" >/dev/null
mkdir -p "$W/A1b" && cp -a "$W/tree/." "$W/A1b/"
$TS --home "$W/homeA" link "$V1B" "$W/A1b" >/dev/null
$TS --home "$W/homeB" link "$V1B" "$W/B1b" >/dev/null
WANT=$(find -L "$W/tree" -type f | wc -l)
$TS --home "$W/homeB" -v daemon > "$W/daemonB.log" 2>&1 &
DPID=$!
sleep 3 # connected and idle
sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
t0=$(now)
( $TS --home "$W/homeA" -v sync > "$W/up-live.log" 2>&1; now > "$W/a-exit" ) &
APID=$!
# B's index records a file only once it is complete and durable in B's folder (decision 0411): poll it, read-only.
# (B's only link now; its index appears with the daemon's first cycle)
python3 - "$W/homeB/links" "$WANT" <<'PY'
import glob, sqlite3, sys, time
links, want = sys.argv[1], int(sys.argv[2])
while True:
    try:
        idx = glob.glob(f"{links}/*/index.db")
        if not idx: raise sqlite3.Error("no index yet")
        c = sqlite3.connect(f"file:{idx[0]}?mode=ro", uri=True, timeout=1)
        n = c.execute("select count(*) from local where kind = 0").fetchone()[0]
        c.close()
        if n >= want: break
    except sqlite3.Error:
        pass
    time.sleep(0.05)
PY
t1=$(now)
wait $APID; tA=$(cat "$W/a-exit")
kill $DPID 2>/dev/null || true; wait $DPID 2>/dev/null || true
diff -r "$W/tree" "$W/B1b" && echo "B identical to the tree"
echo "tinysync A -> B with B's daemon running: $(secs "$t0" "$t1") s until B held every file (A's sync exited after $(secs "$t0" "$tA") s)"
$TS --home "$W/homeA" unlink "$W/A1b" >/dev/null; $TS --home "$W/homeB" unlink "$W/B1b" >/dev/null

fi
if [[ " $STEPS " == *" 2 "* ]]; then
echo "== 2. bytes uploaded after a 1 MiB insert into a 1 GiB file"
mkdir -p "$W/A2"; $BENCH gen "$W/A2tmp" 0 1 1024 >/dev/null; mv "$W/A2tmp/large0.bin" "$W/A2/big.bin"
cp "$W/A2/big.bin" "$W/rsync-old.bin"
V2=$(vault delta); $TS admin groups add-vault bench "$V2" >/dev/null
$TS --home "$W/homeA" link "$V2" "$W/A2" >/dev/null
$TS --home "$W/homeA" -v sync | tail -2
$BENCH insert "$W/A2/big.bin" 512 1
$TS --home "$W/homeA" -v sync | tail -2
cp "$W/A2/big.bin" "$W/rsync-new.bin"
rsync -a --no-whole-file --stats "$W/rsync-new.bin" "$W/rsync-old.bin" | grep -E "Literal data|Matched data|Total bytes sent"

$TS --home "$W/homeA" unlink "$W/A2" >/dev/null
fi
if [[ " $STEPS " == *" 3 "* ]]; then
echo "== 3. client peak memory syncing $MANY files"
mkdir -p "$W/A3"; for d in $(seq 0 $((MANY / 1000 - 1))); do mkdir -p "$W/A3/d$d"; for f in $(seq 0 999); do echo "$d/$f" > "$W/A3/d$d/f$f"; done; done
V3=$(vault many); $TS admin groups add-vault bench "$V3" >/dev/null
$TS --home "$W/homeA" link "$V3" "$W/A3" >/dev/null
t0=$(now); $TS --home "$W/homeA" -v sync | tail -2; t1=$(now) # the totals line (peak memory), then the runtime line
echo "upload of $MANY files: $(secs "$t0" "$t1") s"

$TS --home "$W/homeA" unlink "$W/A3" >/dev/null
fi
if [[ " $STEPS " == *" 4 "* ]]; then
echo "== 4. daemon propagation latency over $EDITS edits"
LA=$(device latA "$W/homeLA"); LB=$(device latB "$W/homeLB")
V4=$(vault latency); $TS admin groups add-vault lat "$V4" >/dev/null
$TS admin groups add-device lat "$LA" >/dev/null; $TS admin groups add-device lat "$LB" >/dev/null
$TS --home "$W/homeLA" link "$V4" "$W/LA" >/dev/null; $TS --home "$W/homeLB" link "$V4" "$W/LB" >/dev/null
$BENCH latency "$TSDLL" "$W/homeLA" "$W/LA" "$W/homeLB" "$W/LB" "$EDITS"
fi
