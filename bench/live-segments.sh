#!/usr/bin/env bash
# Live segments (issue #6): while ffmpeg pushes a live stream (640×360,
# ~1 Mbit/s, 2-second fMP4 segments, program date-times on), measures
#  1. the glass-to-glass delay a browser shows (headless Chromium on the
#     room page, bench/live-glass.mjs);
#  2. VIEWERS (2,000) viewers polling the playlist and the newest segments
#     through one node (wrk + bench/live-viewer.lua), against nginx serving
#     a snapshot of the same playlist and the very same blob files;
#  3. a school relay with RELAY_VIEWERS (200) viewers behind it: how many
#     segments it fetched from the hub against how many the hub
#     published meanwhile, and what it served.
#
#   bench/live-segments.sh
#
# Settings: VIEWERS, RELAY_VIEWERS, DURATION (seconds per wrk run, 15),
# GLASS (seconds sampled, 30). Needs the release build, ffmpeg, wrk,
# nginx-light, node with tests/browser's packages (npm ci) and Chromium.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
source "$ROOT/bench/lib.sh"
find_cartable
VIEWERS=${VIEWERS:-2000}
RELAY_VIEWERS=${RELAY_VIEWERS:-200}
DURATION=${DURATION:-15}
GLASS=${GLASS:-30}
WORK=${WORK:-/tmp/cartable-bench-live-segments}
PIDS=()
cleanup() {
  stop_pids "${PIDS[@]}"
  [[ -f $WORK/nginx.pid ]] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
}
trap cleanup EXIT
rm -rf "$WORK" && mkdir -p "$WORK"
export CARTABLE_LOG_LEVEL=warn
HUB=http://127.0.0.1:8601
RELAY=http://127.0.0.1:8602
echo "pass-bench-1" | "$CARTABLE" --data-dir "$WORK/hub" user add ecole --role teacher >/dev/null
TOKEN=$("$CARTABLE" --data-dir "$WORK/hub" user token ecole --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
CREATED=$("$CARTABLE" --data-dir "$WORK/hub" live create --title Bench --start "$(date -u +%Y-%m-%dT%H:%M)" --json)
ID=$(echo "$CREATED" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
INGEST=$(echo "$CREATED" | python3 -c 'import json,sys; print(json.load(sys.stdin)["ingest_url"])' | sed "s#^http://localhost#$HUB#")
"$CARTABLE" --data-dir "$WORK/hub" serve --listen 127.0.0.1:8601 > "$WORK/hub.log" 2>&1 & PIDS+=($!); HUB_PID=$!
until grep -q serving "$WORK/hub.log"; do sleep 0.2; done
CARTABLE_RELAY_TOKEN=$TOKEN "$CARTABLE" --data-dir "$WORK/relay" serve --listen 127.0.0.1:8602 --relay "$HUB" > "$WORK/relay.log" 2>&1 & PIDS+=($!)
PUSH_SECONDS=$((GLASS + 4 * DURATION + 110))
log "pushing $PUSH_SECONDS s to $ID"
ffmpeg -hide_banner -loglevel error -re -f lavfi -i testsrc2=size=640x360:rate=25 -f lavfi -i sine=frequency=440:sample_rate=48000 \
  -t "$PUSH_SECONDS" -c:v libx264 -preset veryfast -tune zerolatency -g 50 -keyint_min 50 -sc_threshold 0 -b:v 900k \
  -c:a aac -b:a 64k -f hls -hls_time 2 -hls_list_size 6 -hls_segment_type fmp4 -hls_flags program_date_time \
  -method PUT "$INGEST/index.m3u8" > "$WORK/ffmpeg.log" 2>&1 & PIDS+=($!)
until curl -sf -o /dev/null "$HUB/live/$ID/index.m3u8"; do sleep 0.2; done

echo "## Glass-to-glass"
# A viewer who joins a broadcast under way (not at its first segment).
sleep 20
node "$ROOT/bench/live-glass.mjs" "$HUB" "$ID" "$GLASS" > "$WORK/glass.json"
python3 - "$WORK/glass.json" <<'PY'
import json, statistics, sys
s = sorted(json.load(open(sys.argv[1]))["samples"])
print(f"{len(s)} samples over {len(s)} s of playing: median {statistics.median(s) / 1000:.1f} s, min {s[0] / 1000:.1f} s, max {s[-1] / 1000:.1f} s")
PY

wrk_json() { grep '^JSON' | sed 's/^JSON //'; }
echo "## $VIEWERS viewers through one node, against nginx"
sleep 4
t0=$(cpu_ticks "$HUB_PID")
LIVE_PLAYLIST="/live/$ID/index.m3u8" wrk -t2 -c"$VIEWERS" -d"${DURATION}s" --timeout 10s -s "$ROOT/bench/live-viewer.lua" "$HUB" | wrk_json > "$WORK/wrk-cartable.json"
cpu=$(( $(cpu_ticks "$HUB_PID") - t0 ))
echo "cartable: $(cat "$WORK/wrk-cartable.json"); server CPU $(awk -v t="$cpu" -v h="$CLK_TCK" -v d="$DURATION" 'BEGIN {printf "%.0f%%", 100 * t / h / d}') of one core; RSS $(mib "$(rss_kb "$HUB_PID")") MiB"
mkdir -p "$WORK/nginx/live/$ID"
curl -sf "$HUB/live/$ID/index.m3u8" > "$WORK/nginx/live/$ID/index.m3u8"
NGINX_USER=""; [[ $(id -u) == 0 ]] && NGINX_USER="user root;"
cat > "$WORK/nginx.conf" <<NGINX
$NGINX_USER
worker_processes 2;
worker_rlimit_nofile 20000;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 10000; }
http {
  access_log off; sendfile on; tcp_nopush on; keepalive_requests 1000000;
  types { application/vnd.apple.mpegurl m3u8; video/iso.segment m4s; video/mp4 mp4; }
  server {
    listen 127.0.0.1:8603;
    location ~ "^/media/b/(([0-9a-f]{2})[0-9a-f]{62})\.(m4s|mp4)\$" {
      alias $WORK/hub/blobs/\$2/\$1;
      add_header Cache-Control "public, max-age=31536000, immutable";
    }
    location /live/ { root $WORK/nginx; add_header Cache-Control "public, max-age=1"; }
  }
}
NGINX
nginx -c "$WORK/nginx.conf"; sleep 1
LIVE_PLAYLIST="/live/$ID/index.m3u8" wrk -t2 -c"$VIEWERS" -d"${DURATION}s" --timeout 10s -s "$ROOT/bench/live-viewer.lua" http://127.0.0.1:8603 | wrk_json > "$WORK/wrk-nginx.json"
echo "nginx (a snapshot of the playlist, the same segment files): $(cat "$WORK/wrk-nginx.json")"
kill "$(cat "$WORK/nginx.pid")"; rm -f "$WORK/nginx.pid"

echo "## A relay with $RELAY_VIEWERS viewers behind it"
until curl -sf -o /dev/null "$RELAY/live/$ID/index.m3u8"; do sleep 0.5; done
metric() { curl -sf "$1/metrics" | awk -v m="$2" '$0 ~ m {s += $NF} END {printf "%d", s}'; }
seg0=$(curl -sf "$HUB/live/$ID/index.m3u8" | awk -F: '/MEDIA-SEQUENCE/ {print $2}')
up0=$(metric "$HUB" 'http_requests_total\\{.*route="/media/b/\\{file\\}"')
LIVE_PLAYLIST="/live/$ID/index.m3u8" wrk -t2 -c"$RELAY_VIEWERS" -d"$((2 * DURATION))s" --timeout 10s -s "$ROOT/bench/live-viewer.lua" "$RELAY" | wrk_json > "$WORK/wrk-relay.json"
sleep 3
seg1=$(curl -sf "$HUB/live/$ID/index.m3u8" | awk -F: '/MEDIA-SEQUENCE/ {print $2}')
up1=$(metric "$HUB" 'http_requests_total\\{.*route="/media/b/\\{file\\}"')
served=$(metric "$RELAY" 'http_requests_total\\{.*route="/media/b/\\{file\\}"')
echo "relay: $(cat "$WORK/wrk-relay.json")"
echo "hub: $((seg1 - seg0)) segments published meanwhile; the relay fetched $((up1 - up0)) media files from the hub and answered $served media requests of its viewers"
