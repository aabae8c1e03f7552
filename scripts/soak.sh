#!/usr/bin/env bash
# Soak the sync engine: randomized three-device scenarios with injected faults, for a fixed time
# (docs/reliability.md). Every failure prints its seed; replay one with
#   TINYSYNC_SEED=<seed> dotnet test tests/TinySync.Reliability.Tests -c Release --filter Seeded_scenarios_keep
#
# Usage: scripts/soak.sh [MINUTES=30] [FIRST_SEED=random]
#   The summary (scenarios, faults by kind, failing seeds with their steps) goes to artifacts/soak-<time>.txt,
#   or to $TINYSYNC_REPORT. Exit status 0 only when every scenario kept every invariant.
set -euo pipefail
cd "$(dirname "$0")/.."

minutes="${1:-30}"
first="${2:-$(( (RANDOM * 32768 + RANDOM) % 1000000000 + 1000 ))}"
report="${TINYSYNC_REPORT:-$PWD/artifacts/soak-$(date -u +%Y%m%dT%H%M%SZ).txt}"
mkdir -p "$(dirname "$report")"

echo "soak: ${minutes} min from seed ${first}; report in ${report}"
dotnet build tests/TinySync.Reliability.Tests -c Release -nologo -clp:ErrorsOnly
status=0
TINYSYNC_SOAK_MINUTES="$minutes" TINYSYNC_SEED_START="$first" TINYSYNC_REPORT="$report" \
  dotnet test tests/TinySync.Reliability.Tests -c Release --no-build -nologo \
  --filter "FullyQualifiedName~Seeded_scenarios_keep_every_invariant" --logger "console;verbosity=minimal" || status=$?
cat "$report"
exit "$status"
