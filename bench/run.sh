#!/usr/bin/env bash
# Runs the benchmarks on demand (not part of ./test.sh): starts Azurite if none is listening.
source "$(dirname "$0")/../scripts/lib.sh"
root=$(repo_root)
cd "$root"
# The reconciliation and signature benchmarks touch no storage: no Azurite for them.
if [ "${1:-}" = "recon" ] || [ "${1:-}" = "sign" ]; then
  exec dotnet run -c Release --project bench/Payments.Bench -- "$@"
fi
ensure_npm "$root"
azurite_dir=$(mktemp -d)
ensure_azurite "$root" "$azurite_dir" memory
trap 'stop_azurite; rm -rf "$azurite_dir"' EXIT
dotnet run -c Release --project bench/Payments.Bench -- "$@"
