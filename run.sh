#!/usr/bin/env bash
# Runs the whole system locally: Azurite, the sandbox channels (127.0.0.1:7072) and the function app
# in local mode (127.0.0.1:7071), seeds a demo merchant and app, and prints how to try it. Ctrl+C stops all.
source "$(dirname "$0")/scripts/lib.sh"
root=$(repo_root)
cd "$root"
mkdir -p .local

for port in 7071 7072; do
  if port_open $port; then echo "Port $port is in use; stop whatever listens there first." >&2; exit 1; fi
done

pids=()
cleanup() {
  trap - INT TERM EXIT
  echo
  echo "Stopping..."
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  stop_azurite
  wait 2>/dev/null
  echo "Stopped."
}
trap cleanup INT TERM EXIT

echo "Installing npm packages and building..."
ensure_npm "$root"
# No build servers: they would outlive Ctrl+C in this process group.
dotnet build Functions.sln -c Release -nologo -v quiet -clp:ErrorsOnly -nodeReuse:false -p:UseSharedCompilation=false
ensure_azurite "$root" "$root/.local/azurite" disk

bin=bin/Release/net10.0
Sandbox__NotifyRetrySeconds="5,15,30,60,180" \
  dotnet "src/Payments.Sandbox/$bin/Payments.Sandbox.dll" --urls http://127.0.0.1:7072 >.local/sandbox.log 2>&1 &
pids+=($!)

wait_for() {
  for _ in $(seq 1 300); do
    if curl -sf "$1" >/dev/null 2>&1; then return; fi
    sleep 0.2
  done
  echo "$2 did not come up; see .local/*.log" >&2
  exit 1
}
wait_for http://127.0.0.1:7072/health "The sandbox"

dotnet "src/Payments.Functions/$bin/Payments.Functions.dll" seed-demo \
  --sandbox http://127.0.0.1:7072 --api http://127.0.0.1:7071 --out .local/demo.json

operator_key=$(node -e 'process.stdout.write(require("./.local/demo.json").operatorKey)')
LocalRuntime__Enabled=true Payments__PublicBaseUrl=http://127.0.0.1:7071/ \
  Operators__Keys__0__Name=local-admin Operators__Keys__0__Role=Admin Operators__Keys__0__Key="$operator_key" \
  dotnet "src/Payments.Functions/$bin/Payments.Functions.dll" --urls http://127.0.0.1:7071 > >(tee .local/functions.log) 2>&1 &
pids+=($!)
wait_for http://127.0.0.1:7071/api/health "The function app"

cat <<MSG

==========================================================================================
 Payments backend is running.
   API:      http://127.0.0.1:7071/api   (health: /api/health)
   Sandbox:  http://127.0.0.1:7072       (every channel's simulator, payer pages, statements, faults)
   Demo app: .local/demo.json            (appId, appSecret, webhookSecret)

 Create a payment (signed request, PAY1-HMAC-SHA256):
   node scripts/signed-request.mjs POST /api/v1/payments \\
     '{"merchantOrderNo":"demo-$(date +%s)","amount":1999,"currency":"CNY","channel":"wechatpay","method":"qr","subject":"Demo order"}'

 Other channels: "channel" alipay|unionpay|ecny (qr), transfer (page, CNY), card (page, EUR); see README.
 Open nextAction.url in a browser (or POST {"decision":"approve"} to it), then:
   node scripts/signed-request.mjs GET '/api/v1/payments/<id>?waitForSeconds=10'
 Refund part of it:
   node scripts/signed-request.mjs POST /api/v1/payments/<id>/refunds '{"merchantRefundNo":"r-1","amount":500}'
 Webhooks the demo app received (signature-checked): curl http://127.0.0.1:7071/demo/webhooks
 Operators (admin key = operatorKey in .local/demo.json):
   curl -H "Authorization: Bearer \$(node -p 'require("./.local/demo.json").operatorKey')" http://127.0.0.1:7071/api/v1/admin/exceptions

 Ctrl+C stops everything.
==========================================================================================
MSG
wait
