#!/usr/bin/env bash
# The one test command: builds everything and runs every test project.
# It installs and starts what the tests need (see scripts/test-env.sh) and stops it afterwards.
set -euo pipefail
cd "$(dirname "$0")"

# shellcheck source=scripts/test-env.sh
source scripts/test-env.sh
test_env_up
trap test_env_down EXIT

dotnet build TinySync.slnx -c Release -nologo -clp:ErrorsOnly
dotnet test TinySync.slnx -c Release --no-build -nologo --logger "console;verbosity=minimal" "$@"
