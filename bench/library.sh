#!/usr/bin/env bash
# The library's audio (issue #8):
#  1. bytes per hour of audio at each rendition: MINUTES (20) of French
#     speech (espeak-ng) in four chapters, imported with `cartable import
#     library`; the listening (AAC 96k), low-data (Opus 32k) files and the
#     whole-book M4B, against the same speech as a 128 kbit/s MP3 (what
#     audiobook and podcast files commonly are), in the same run;
#  2. time to first sound on a connection throttled to 256 kbit/s down
#     (Chromium's network emulation, 100 ms of latency): from opening the
#     page (nothing cached) to the audio playing, Play being pressed as
#     soon as the page is there, RUNS (7) times each, for the
#     low-data and the listening rendition served by cartable, and for the
#     same low-data file and the MP3 served by nginx on a bare page (the
#     floor: no platform, only the file). Goal: under 2 s for the low-data
#     rendition.
#
#   bench/library.sh
#
# Needs a cartable build (CARTABLE, or the release build), ffmpeg,
# espeak-ng, nginx-light, node with tests/browser's packages (npm ci).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
source "$ROOT/bench/lib.sh"
find_cartable
need_tools ffmpeg ffprobe espeak-ng nginx node
MINUTES=${MINUTES:-20}
RUNS=${RUNS:-7}
PORT=${PORT:-18480}
NGINX_PORT=${NGINX_PORT:-18481}
cleanup() {
  stop_pids "${CARTABLE_PID:-}"
  [[ -f ${WORK:-/nonexistent}/nginx.pid ]] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  rm -rf "${WORK:-/nonexistent}"
}
make_work
export CARTABLE_LOG_LEVEL=warn

log "speaking $MINUTES minutes of French"
BOOK=$WORK/src/bench-book
mkdir -p "$BOOK"
PARAGRAPH="Au milieu du village, il y avait un vieux puits. Les enfants disaient qu'une voix en sortait la nuit. Un soir, Amina se pencha sur le puits et demanda qui parlait. La voix répondit qu'elle était l'écho de tous les mots du village, gardés depuis des siècles. "
chapter_seconds=$((MINUTES * 60 / 4))
for n in 1 2 3 4; do
  : > "$WORK/ch$n.txt"
  # About 13 s a paragraph at espeak-ng's default pace: enough of them.
  for _ in $(seq $((chapter_seconds / 12 + 1))); do printf '%s' "$PARAGRAPH" >> "$WORK/ch$n.txt"; done
  espeak-ng -v fr -f "$WORK/ch$n.txt" -w "$WORK/ch$n-long.wav"
  ffmpeg -loglevel error -y -i "$WORK/ch$n-long.wav" -t "$chapter_seconds" "$BOOK/ch$n.wav"
done
cat > "$BOOK/book.json" <<EOF
{"id": "bench-book", "title": "Le puits (banc d'essai)", "author": "cartable", "lang": "fr", "synthetic": true,
 "chapters": [{"file": "ch1.wav", "title": "Un"}, {"file": "ch2.wav", "title": "Deux"},
              {"file": "ch3.wav", "title": "Trois"}, {"file": "ch4.wav", "title": "Quatre"}]}
EOF
ffmpeg -loglevel error -y -i "$BOOK/ch1.wav" -i "$BOOK/ch2.wav" -i "$BOOK/ch3.wav" -i "$BOOK/ch4.wav" \
  -filter_complex concat=n=4:v=0:a=1 "$WORK/all.wav"
ffmpeg -loglevel error -y -i "$WORK/all.wav" -ar 44100 -c:a libmp3lame -b:a 128k "$WORK/reference.mp3"

log "importing"
DATA=$WORK/data
t0=$(now)
"$CARTABLE" --data-dir "$DATA" import library "$WORK/src" --json > "$WORK/import.json"
import_s=$(since "$t0")
"$CARTABLE" --data-dir "$DATA" serve --listen "127.0.0.1:$PORT" > "$WORK/serve.log" 2>&1 &
CARTABLE_PID=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
curl -fs "http://127.0.0.1:$PORT/opds/books/bench-book.json" > "$WORK/manifest.json"

# Sizes and durations from the manifest, and the files themselves.
read -r seconds listen_bytes low_bytes < <(python3 - "$WORK/manifest.json" "http://127.0.0.1:$PORT" <<'PY'
import json, sys, urllib.request
m = json.load(open(sys.argv[1]))
base = sys.argv[2]
seconds = sum(i["duration"] for i in m["readingOrder"])
def size(href):
    req = urllib.request.Request(href.replace("http://localhost", base), method="HEAD")
    return int(urllib.request.urlopen(req).headers["Content-Length"])
listen = sum(size(i["href"]) for i in m["readingOrder"])
low = sum(size(i["alternate"][0]["href"]) for i in m["readingOrder"])
print(seconds, listen, low)
PY
)
m4b_href=$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print([l["href"] for l in m["links"] if l.get("title")=="M4B"][0])' "$WORK/manifest.json")
m4b_bytes=$(curl -fsI "${m4b_href/http:\/\/localhost/http://127.0.0.1:$PORT}" | awk 'tolower($1)=="content-length:" {print $2+0}')
mp3_bytes=$(stat -c %s "$WORK/reference.mp3")
per_hour() { awk -v b="$1" -v s="$seconds" 'BEGIN {printf "%.1f", b / s * 3600 / 1e6}'; }
kbps() { awk -v b="$1" -v s="$seconds" 'BEGIN {printf "%.1f", b * 8 / s / 1000}'; }

log "time to first sound at 256 kbit/s, $RUNS runs each"
# nginx serves the low-data file and the MP3 on bare pages: the floor.
low_href=$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["readingOrder"][0]["alternate"][0]["href"])' "$WORK/manifest.json")
mkdir -p "$WORK/www"
curl -fs "${low_href/http:\/\/localhost/http://127.0.0.1:$PORT}" -o "$WORK/www/low.weba"
ffmpeg -loglevel error -y -i "$WORK/reference.mp3" -t "$chapter_seconds" -c copy "$WORK/www/chapter.mp3"
for f in low.weba chapter.mp3; do
  printf '<!doctype html><html lang="fr"><title>%s</title><button id="play">Lire</button><audio id="a" src="/%s" preload="metadata"></audio><script>document.getElementById("play").onclick=function(){document.getElementById("a").play()}</script></html>' "$f" "$f" > "$WORK/www/$f.html"
done
NGINX_USER=""
[[ $(id -u) == 0 ]] && NGINX_USER="user root;"
cat > "$WORK/nginx.conf" <<EOF
$NGINX_USER
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 256; }
http {
  types { audio/webm weba; audio/mpeg mp3; text/html html; }
  access_log off;
  sendfile on;
  server { listen 127.0.0.1:$NGINX_PORT; root $WORK/www; }
}
EOF
nginx -c "$WORK/nginx.conf" -p "$WORK"
node "$ROOT/bench/library-ttfs.mjs" "$RUNS" \
  "cartable low-data (Opus 32k)=http://127.0.0.1:$PORT/fr/library/bench-book?quality=low" \
  "cartable listening (AAC 96k)=http://127.0.0.1:$PORT/fr/library/bench-book" \
  "nginx, same Opus file=http://127.0.0.1:$NGINX_PORT/low.weba.html" \
  "nginx, MP3 128k=http://127.0.0.1:$NGINX_PORT/chapter.mp3.html" > "$WORK/ttfs.txt"

echo
echo "## Library audio ($(date -u +%Y-%m-%d), $(nproc) cores; $(awk -v s="$seconds" 'BEGIN {printf "%.0f", s / 60}') min of espeak-ng speech, imported in $import_s s)"
echo
echo "| file | kbit/s | MB per hour | vs MP3 128k |"
echo "| --- | ---: | ---: | ---: |"
for row in "low-data, Opus 32k mono (WebM):$low_bytes" "listening, AAC-LC 96k (MP4):$listen_bytes" "whole book, M4B with chapters:$m4b_bytes" "reference, MP3 128k (ffmpeg, libmp3lame):$mp3_bytes"; do
  name=${row%%:*}; bytes=${row##*:}
  echo "| $name | $(kbps "$bytes") | $(per_hour "$bytes") | $(awk -v a="$bytes" -v b="$mp3_bytes" 'BEGIN {printf "%.2f×", a / b}') |"
done
echo
echo "Time to first sound, throttled to 256 kbit/s down, 100 ms latency, from opening the page ($RUNS runs each):"
echo
cat "$WORK/ttfs.txt"
