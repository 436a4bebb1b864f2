# Shared by run.sh and test.sh. Sourced, not executed.
set -euo pipefail

repo_root() { cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# npm packages (Azurite) from the lock file; skipped when already installed from the same lock.
ensure_npm() {
  local root=$1
  if [ ! -x "$root/node_modules/.bin/azurite" ] || [ "$root/package-lock.json" -nt "$root/node_modules/.package-lock.json" ]; then
    (cd "$root" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

# Starts Azurite (Blobs, Queues and Tables) unless it is listening; sets STARTED_AZURITE_PID to what it started.
# Each service is checked on its own port, so an Azurite started earlier without blobs gets them added.
STARTED_AZURITE_PID=""
ensure_azurite() {
  local root=$1 location=$2 persist=$3
  if port_open 10000 && port_open 10001 && port_open 10002; then
    echo "Azurite already listening on 10000/10001/10002; using it."
    return
  fi
  mkdir -p "$location"
  local extra=(--location "$location")
  # In-memory for tests (fast, nothing left behind); on disk under .local/ for the local run.
  [ "$persist" = "memory" ] && extra=(--inMemoryPersistence)
  # --skipApiVersionCheck: the SDK may be newer than the emulator. Blobs hold table backups.
  if ! port_open 10000; then
    "$root/node_modules/.bin/azurite-blob" --silent --skipApiVersionCheck --blobHost 127.0.0.1 "${extra[@]}" >"$location/blob.log" 2>&1 &
    STARTED_AZURITE_PID="$STARTED_AZURITE_PID $!"
  fi
  if ! port_open 10001; then
    "$root/node_modules/.bin/azurite-queue" --silent --skipApiVersionCheck --queueHost 127.0.0.1 "${extra[@]}" >"$location/queue.log" 2>&1 &
    STARTED_AZURITE_PID="$STARTED_AZURITE_PID $!"
  fi
  if ! port_open 10002; then
    "$root/node_modules/.bin/azurite-table" --silent --skipApiVersionCheck --tableHost 127.0.0.1 "${extra[@]}" >"$location/table.log" 2>&1 &
    STARTED_AZURITE_PID="$STARTED_AZURITE_PID $!"
  fi
  STARTED_AZURITE_PID="${STARTED_AZURITE_PID# }"
  for _ in $(seq 1 100); do
    if port_open 10000 && port_open 10001 && port_open 10002; then return; fi
    sleep 0.1
  done
  echo "Azurite did not start; see $location/*.log" >&2
  exit 1
}

# Stops the Azurite processes ensure_azurite started. Azurite's graceful close can wait half a minute
# for idle keep-alive connections; give it a few seconds, then end it (a development emulator).
stop_azurite() {
  [ -n "$STARTED_AZURITE_PID" ] || return 0
  kill $STARTED_AZURITE_PID 2>/dev/null
  for _ in $(seq 1 50); do
    local alive=""
    for pid in $STARTED_AZURITE_PID; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ -z "$alive" ] && return 0
    sleep 0.1
  done
  kill -9 $STARTED_AZURITE_PID 2>/dev/null
  return 0
}

