#!/usr/bin/env bash
# Runs every test: unit, Azurite integration, HTTP and end-to-end (real processes on loopback).
source "$(dirname "$0")/scripts/lib.sh"
root=$(repo_root)
cd "$root"

ensure_npm "$root"
azurite_dir=$(mktemp -d)
ensure_azurite "$root" "$azurite_dir" memory
cleanup() { stop_azurite; wait 2>/dev/null; rm -rf "$azurite_dir"; }
trap cleanup EXIT

log=$(mktemp)
set +e
dotnet test Functions.sln -c Release --logger "console;verbosity=normal" "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# One closing line for any reader: totals over every test assembly.
read -r passed failed < <(awk '
  /^[[:space:]]+Passed: [0-9]+[[:space:]]*$/ { p += $2 }
  /^[[:space:]]+Failed: [0-9]+[[:space:]]*$/ { f += $2 }
  END { print p + 0, f + 0 }' "$log")
rm -f "$log"
echo "$passed passed, $failed failed"
exit $status
