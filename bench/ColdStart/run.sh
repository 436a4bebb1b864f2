#!/usr/bin/env bash
# Cold start of the function app built three ways, and of a minimal ASP.NET Core app as the machine's
# reference point. Usage: bench/ColdStart/run.sh [RUNS] (default 15). See bench/README.md.
source "$(dirname "$0")/../../scripts/lib.sh"
root=$(repo_root)
cd "$root"
runs=${1:-15}
out="$root/artifacts/coldstart"
port=17391
sandbox_port=17392
mkdir -p "$out"

ensure_npm "$root"
azurite_dir=$(mktemp -d)
ensure_azurite "$root" "$azurite_dir" memory
sandbox_pid=""
cleanup() {
  [ -n "$sandbox_pid" ] && kill "$sandbox_pid" 2>/dev/null
  stop_azurite
  rm -rf "$azurite_dir"
}
trap cleanup EXIT

# Each build gets its own obj/bin (--artifacts-path), so it neither reuses nor disturbs the working
# tree's Debug builds.
publish() {
  local project=$1 name=$2 flags
  case ${name##*-} in
    jit) flags=(--no-self-contained) ;;
    r2r) flags=(--self-contained -p:PublishReadyToRun=true) ;;
    aot) flags=(-p:PublishAot=true) ;;
  esac
  echo "publishing $name"
  rm -rf "${out:?}/$name"
  dotnet publish "$project" -c Release -r linux-x64 "${flags[@]}" \
    --artifacts-path "$out/build/$name" -o "$out/$name" -nologo -v quiet >"$out/$name.publish.log" 2>&1 \
    || { tail -30 "$out/$name.publish.log" >&2; echo "publishing $name failed; full log: $out/$name.publish.log" >&2; exit 1; }
}

variants=()
for app in payments hello; do
  project=src/Payments.Functions/Payments.Functions.csproj
  exe=Payments.Functions
  if [ "$app" = hello ]; then project=bench/ColdStart/Hello/Hello.csproj; exe=Hello; fi
  for kind in jit r2r aot; do
    publish "$project" "$app-$kind"
    variants+=("$app-$kind=$out/$app-$kind/$exe")
  done
done

# The framework-dependent builds find the installed runtime through DOTNET_ROOT.
DOTNET_ROOT=$(dirname "$(readlink -f "$(command -v dotnet)")")
export DOTNET_ROOT
# The configuration the app has in Azure: real storage (Azurite here), no local queue pumps or timers.
export Storage__ConnectionString="UseDevelopmentStorage=true" LocalRuntime__Enabled=false

# Every build must really work, not only answer health: seed an app and a channel account with the
# build itself (the channel account is onboarded at the sandbox), then create a payment with a
# signed request. Each build gets its own table and queue prefix.
echo "checking each build of the function app: seed, then a signed POST /api/v1/payments"
dotnet publish src/Payments.Sandbox/Payments.Sandbox.csproj -c Release --artifacts-path "$out/build/sandbox" \
  -o "$out/sandbox" -nologo -v quiet >"$out/sandbox.publish.log" 2>&1 || { tail -30 "$out/sandbox.publish.log" >&2; exit 1; }
dotnet "$out/sandbox/Payments.Sandbox.dll" --urls "http://127.0.0.1:$sandbox_port" >"$out/sandbox.log" 2>&1 &
sandbox_pid=$!
for _ in $(seq 1 300); do port_open "$sandbox_port" && break; sleep 0.1; done
for kind in jit r2r aot; do
  exe="$out/payments-$kind/Payments.Functions"
  export Storage__TablePrefix="coldstart$kind" Storage__QueuePrefix="coldstart-$kind-"
  "$exe" seed-demo --sandbox "http://127.0.0.1:$sandbox_port" --api "http://127.0.0.1:$port" --out "$out/demo-$kind.json" >/dev/null
  "$exe" --urls "http://127.0.0.1:$port" >"$out/payments-$kind.log" 2>&1 &
  app_pid=$!
  for _ in $(seq 1 300); do port_open "$port" && break; sleep 0.1; done
  printf 'payments-%s: ' "$kind"
  node bench/ColdStart/verify.mjs "http://127.0.0.1:$port" "$out/demo-$kind.json" || { kill $app_pid; cat "$out/payments-$kind.log" >&2; exit 1; }
  kill $app_pid
  wait $app_pid 2>/dev/null || true
done
unset Storage__TablePrefix Storage__QueuePrefix

for v in "${variants[@]}"; do
  printf '%-14s %s\n' "${v%%=*}" "$(du -sh "$(dirname "${v#*=}")" | cut -f1) on disk"
done
node bench/ColdStart/measure.mjs "$runs" "$port" "${variants[@]}"
