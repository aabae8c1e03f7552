#!/usr/bin/env bash
# The same initial sync with two Syncthing 1.19 instances on loopback (the headless recipe of STACK.md).
# Usage: bench/scripts/client-syncthing.sh TREE WORKDIR    (TREE: the directory client-bench.sh generated)
set -euo pipefail
TREE=$1; W=$2
mkdir -p "$W"
KEY=benchkey
export STNODEFAULTFOLDER=1 STNOUPGRADE=1 STNORESTART=1

setup() { # home gui-port listen-port
  syncthing generate --home="$1" --no-default-folder --skip-port-probing >/dev/null 2>&1
  python3 - "$1/config.xml" "$2" "$3" "$KEY" <<'PY'
import sys, xml.etree.ElementTree as ET
path, gui, listen, key = sys.argv[1:]
t = ET.parse(path); r = t.getroot()
g = r.find('gui'); g.set('enabled', 'true'); g.set('tls', 'false')
g.find('address').text = f'127.0.0.1:{gui}'
k = g.find('apikey')
if k is None: k = ET.SubElement(g, 'apikey')
k.text = key
o = r.find('options')
def setopt(name, value):
    e = o.find(name)
    if e is None: e = ET.SubElement(o, name)
    e.text = value
for e in o.findall('listenAddress'): o.remove(e)
ET.SubElement(o, 'listenAddress').text = f'tcp://127.0.0.1:{listen}'
for n, v in [('globalAnnounceEnabled','false'),('localAnnounceEnabled','false'),('relaysEnabled','false'),('natEnabled','false'),
             ('crashReportingEnabled','false'),('autoUpgradeIntervalH','0'),('urAccepted','-1'),('setLowPriority','false'),('startBrowser','false')]:
    setopt(n, v)
t.write(path)
PY
}
api() { curl -fsS -H "X-API-Key: $KEY" "$@"; }

setup "$W/stA" 18384 22001
setup "$W/stB" 18385 22002
syncthing serve --home="$W/stA" --no-browser --no-restart --no-upgrade > "$W/stA.log" 2>&1 &
PA=$!
syncthing serve --home="$W/stB" --no-browser --no-restart --no-upgrade > "$W/stB.log" 2>&1 &
PB=$!
trap 'kill $PA $PB 2>/dev/null || true' EXIT
for _ in $(seq 200); do api http://127.0.0.1:18384/rest/system/status >/dev/null 2>&1 && api http://127.0.0.1:18385/rest/system/status >/dev/null 2>&1 && break; sleep 0.1; done
IDA=$(api http://127.0.0.1:18384/rest/system/status | python3 -c "import json,sys;print(json.load(sys.stdin)['myID'])")
IDB=$(api http://127.0.0.1:18385/rest/system/status | python3 -c "import json,sys;print(json.load(sys.stdin)['myID'])")
api -X POST http://127.0.0.1:18384/rest/config/devices -d "{\"deviceID\":\"$IDB\",\"addresses\":[\"tcp://127.0.0.1:22002\"]}" >/dev/null
api -X POST http://127.0.0.1:18385/rest/config/devices -d "{\"deviceID\":\"$IDA\",\"addresses\":[\"dynamic\"]}" >/dev/null
cp -a "$TREE" "$W/stFolderA"; mkdir -p "$W/stFolderB"
sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
now() { date +%s.%N; }
t0=$(now)
api -X PUT http://127.0.0.1:18384/rest/config/folders/bench -d "{\"id\":\"bench\",\"path\":\"$W/stFolderA\",\"devices\":[{\"deviceID\":\"$IDA\"},{\"deviceID\":\"$IDB\"}],\"fsWatcherDelayS\":1}" >/dev/null
api -X PUT http://127.0.0.1:18385/rest/config/folders/bench -d "{\"id\":\"bench\",\"path\":\"$W/stFolderB\",\"devices\":[{\"deviceID\":\"$IDA\"},{\"deviceID\":\"$IDB\"}],\"fsWatcherDelayS\":1}" >/dev/null
WANT=$(find "$TREE" -type f | wc -l)
while true; do
  S=$(api "http://127.0.0.1:18385/rest/db/status?folder=bench" 2>/dev/null || echo '{}')
  read -r FILES STATE NEED <<<"$(echo "$S" | python3 -c "import json,sys;d=json.load(sys.stdin);print(d.get('localFiles',0), d.get('state','?'), d.get('needFiles',1))")"
  if [ "$FILES" = "$WANT" ] && [ "$STATE" = idle ] && [ "$NEED" = 0 ]; then break; fi
  sleep 0.2
done
t1=$(now)
diff -r "$TREE" "$W/stFolderB" --exclude=.stfolder && echo "Syncthing B identical to the tree"
echo "syncthing initial sync (scan + transfer, folder added on both at t0): $(echo "$t1 - $t0" | bc) s"
