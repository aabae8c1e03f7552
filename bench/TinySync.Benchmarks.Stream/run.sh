#!/usr/bin/env bash
# Stream macro benchmark: builds in Release and runs both phases. 10,000 client sockets live in a child process
# and 10,000 server sockets in this one, so each needs more than 10,000 file descriptors.
set -euo pipefail
cd "$(dirname "$0")"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 12000 ]; then
  echo "need ulimit -n >= 12000 (have $(ulimit -n)); raise the hard limit first" >&2
  exit 1
fi
dotnet build -c Release -nologo -clp:ErrorsOnly
exec dotnet bin/Release/net10.0/TinySync.Benchmarks.Stream.dll "$@"
