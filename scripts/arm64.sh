#!/usr/bin/env bash
# Builds cartable for arm64 Linux (a Raspberry Pi 3/4/5 or any aarch64
# board on a 64-bit OS) and proves the build runs: under Debian's
# qemu-user-static, the arm64 binary serves a satchel packed by this
# machine's own build, plays a video range the same as the hub, takes a
# learner's record and exports it; the hub imports it back.
#
#   bash scripts/arm64.sh            # release build (what a Pi should run)
#   PROFILE=dev bash scripts/arm64.sh  # quicker debug build
#
# Needs: the aarch64-unknown-linux-gnu Rust target (rustup target add
# aarch64-unknown-linux-gnu) and, from Debian, gcc-aarch64-linux-gnu,
# libc6-dev-arm64-cross and qemu-user-static (installed here when missing).
# Only loopback is used.
set -euo pipefail
cd "$(dirname "$0")/.."

PROFILE=${PROFILE:-release}
TARGET=aarch64-unknown-linux-gnu
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/cartable-target}"

need=()
command -v aarch64-linux-gnu-gcc >/dev/null || need+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
command -v qemu-aarch64-static >/dev/null || need+=(qemu-user-static)
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
rustup target list --installed | grep -qx "$TARGET" || rustup target add "$TARGET"

# The C parts (SQLite, zstd, blake3's assembly) compile with the cross gcc.
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc
export AR_aarch64_unknown_linux_gnu=aarch64-linux-gnu-ar

echo "== building for $TARGET ($PROFILE)"
start=$(date +%s)
if [ "$PROFILE" = release ]; then
  cargo build --locked --release --target "$TARGET" -p cartable
  ARM="$CARGO_TARGET_DIR/$TARGET/release/cartable"
else
  cargo build --locked --target "$TARGET" -p cartable
  ARM="$CARGO_TARGET_DIR/$TARGET/debug/cartable"
fi
echo "built in $(( $(date +%s) - start )) s: $(file -b "$ARM" | cut -d, -f1-2), $(du -h "$ARM" | cut -f1)"
cargo build --locked -p cartable
HOST="$CARGO_TARGET_DIR/debug/cartable"
QEMU="qemu-aarch64-static -L /usr/aarch64-linux-gnu"

WORK=$(mktemp -d /tmp/cartable-arm64.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
export CARTABLE_LOG_LEVEL=warn

echo "== the arm64 binary runs"
$QEMU "$ARM" --version

echo "== a hub (this machine's build) packs a satchel for school douar-1"
HUB="$HOST --data-dir $WORK/hub"
$HUB serve --demo --listen 127.0.0.1:0 > "$WORK/hub.out" &
pids+=($!)
for _ in $(seq 100); do grep -q 'serving' "$WORK/hub.out" 2>/dev/null && break; sleep 0.1; done
HUB_URL=$(grep -o 'http://127.0.0.1:[0-9]*' "$WORK/hub.out")
$HUB keys init >/dev/null
$HUB school add douar-1 --name "École du douar" >/dev/null
$HUB class add cm1 --school douar-1 --name CM1 >/dev/null
printf 'name,login,class,password\nAya,aya,cm1,argan-oil-2026\n' > "$WORK/aya.csv"
$HUB enrol "$WORK/aya.csv" >/dev/null
$HUB satchel pack --all --school douar-1 -o "$WORK/douar-1.satchel" >/dev/null

echo "== the arm64 box serves it under qemu"
BOX="$QEMU $ARM --data-dir $WORK/box"
$BOX serve --satchel "$WORK/douar-1.satchel" --listen 127.0.0.1:0 > "$WORK/box.out" &
pids+=($!)
for _ in $(seq 600); do grep -q 'serving' "$WORK/box.out" 2>/dev/null && break; sleep 0.1; done
BOX_URL=$(grep -o 'http://127.0.0.1:[0-9]*' "$WORK/box.out") || { echo "the arm64 box did not start"; exit 1; }
cat "$WORK/box.out"
curl -sf "$BOX_URL/fr/" | grep -q '<title>' && echo "home page: ok"
video=$(curl -sf "$BOX_URL/api/v1/capsules?lang=fr&limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["capsules"][0]["renditions"][1]["url"])')
cmp <(curl -sf -r 100-4099 "$BOX_URL$video") <(curl -sf -r 100-4099 "$HUB_URL$video") && echo "video range: the hub's bytes"

echo "== a record made at the arm64 box comes back to the hub"
keys=$($BOX lrs key add bench --scope statements/write --json)
key=$(echo "$keys" | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
secret=$(echo "$keys" | python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])')
curl -sf -u "$key:$secret" -H 'X-Experience-API-Version: 1.0.3' -H 'Content-Type: application/json' \
  -d '{"actor":{"account":{"homePage":"http://localhost","name":"aya"}},"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},"object":{"id":"http://localhost/capsules/water-cycle"}}' \
  "$BOX_URL/xapi/statements" >/dev/null
$BOX sync export "$WORK/douar-1.sync" --json
$HUB sync import "$WORK/douar-1.sync" --json | tee "$WORK/import.json"
grep -q '"accepted":1' "$WORK/import.json"
echo "== arm64: ok"
