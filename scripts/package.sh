#!/usr/bin/env bash
# Builds the deployable function app: artifacts/payments-functions-linux-x64.zip, holding host.json,
# one folder per function with its function.json (generated at publish from the function catalog),
# and the custom-handler executable Payments.Functions with what it needs.
#
# Usage: scripts/package.sh [--aot|--r2r|--fdd] [extra dotnet publish arguments, e.g. -p:FunctionsTransport=ServiceBus]
#   --aot  Native AOT (default): one native executable, the fastest cold start (bench/README.md).
#   --r2r  self-contained ReadyToRun: the runtime ships in the zip, our code precompiled.
#   --fdd  self-contained, JIT only. Flex Consumption's custom runtime has no .NET runtime, so a
#          framework-dependent app could not start there: this build ships the runtime too, but
#          compiles nothing ahead of time (the slowest start; for comparison and debugging).
source "$(dirname "$0")/lib.sh"
root=$(repo_root)
cd "$root"

mode=aot
case "${1:-}" in
  --aot | --r2r | --fdd) mode=${1#--}; shift ;;
  -h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac
case $mode in
  aot) flags=(-p:PublishAot=true) ;;
  r2r) flags=(--self-contained -p:PublishReadyToRun=true) ;;
  fdd) flags=(--self-contained -p:PublishReadyToRun=false) ;;
esac

rid=linux-x64
work="$root/artifacts/package"
app="$work/app"
zip_file="$root/artifacts/payments-functions-$rid.zip"
rm -rf "$app" "$zip_file"
mkdir -p "$work"

echo "Publishing Payments.Functions ($mode, $rid)"
# Its own obj/bin under artifacts/, so the package never picks up (or disturbs) a Debug build.
dotnet publish src/Payments.Functions/Payments.Functions.csproj -c Release -r "$rid" "${flags[@]}" \
  --artifacts-path "$work/build-$mode" -o "$app" -nologo "$@"

# Symbols stay out of the zip: they are large, and nothing in Azure reads them.
find "$app" \( -name '*.pdb' -o -name '*.dbg' \) -delete

# The zip must be what the Functions host expects, or it fails at start, far from here.
executable=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).customHandler.description.defaultExecutablePath)' "$app/host.json")
[ -f "$app/$executable" ] || { echo "host.json names $executable, which the publish did not produce" >&2; exit 1; }
chmod 755 "$app/$executable"
functions=$(find "$app" -mindepth 2 -maxdepth 2 -name function.json | wc -l)
[ "$functions" -gt 0 ] || { echo "no function.json was generated" >&2; exit 1; }

# Unix permissions must survive in the zip: the host starts the executable as it finds it.
if command -v zip >/dev/null; then
  (cd "$app" && zip -q -r -X "$zip_file" .)
elif command -v python3 >/dev/null; then
  python3 - "$app" "$zip_file" <<'EOF'
import os, sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
    for folder, _, files in os.walk(src):
        for name in sorted(files):
            path = os.path.join(folder, name)
            info = zipfile.ZipInfo.from_file(path, os.path.relpath(path, src))
            info.create_system = 3  # Unix, so external_attr carries the mode
            info.external_attr = (os.stat(path).st_mode & 0xFFFF) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(path, "rb") as f:
                z.writestr(info, f.read())
EOF
else
  # Neither zip nor Python: Node is always here (the project's scripts need it).
  node - "$app" "$zip_file" <<'EOF'
const fs = require('fs'), path = require('path'), zlib = require('zlib');
const [src, dst] = process.argv.slice(2);
const table = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
const crc32 = b => { let c = 0xffffffff; for (const x of b) c = table[(c ^ x) & 0xff] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
const walk = d => fs.readdirSync(d, { withFileTypes: true }).flatMap(e => e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]);
const locals = [], centrals = []; let offset = 0;
for (const file of walk(src).sort()) {
  const name = Buffer.from(path.relative(src, file).split(path.sep).join('/'));
  const data = fs.readFileSync(file), packed = zlib.deflateRawSync(data), mode = fs.statSync(file).mode & 0xffff;
  const head = Buffer.alloc(30); head.writeUInt32LE(0x04034b50, 0); head.writeUInt16LE(20, 4); head.writeUInt16LE(8, 8);
  head.writeUInt16LE(0x21, 12); head.writeUInt32LE(crc32(data), 14); head.writeUInt32LE(packed.length, 18);
  head.writeUInt32LE(data.length, 22); head.writeUInt16LE(name.length, 26);
  const central = Buffer.alloc(46); central.writeUInt32LE(0x02014b50, 0); central.writeUInt16LE(0x031e, 4);
  head.copy(central, 6, 4, 30); central.writeUInt32LE(mode * 65536, 38); central.writeUInt32LE(offset, 42);
  locals.push(head, name, packed); centrals.push(central, name); offset += 30 + name.length + packed.length;
}
const dir = Buffer.concat(centrals), end = Buffer.alloc(22);
end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(centrals.length / 2, 8); end.writeUInt16LE(centrals.length / 2, 10);
end.writeUInt32LE(dir.length, 12); end.writeUInt32LE(offset, 16);
fs.writeFileSync(dst, Buffer.concat([...locals, dir, end]));
EOF
fi

echo "Wrote ${zip_file#"$root"/} ($(du -h "$zip_file" | cut -f1), $functions functions, $mode build)"
