#!/usr/bin/env bash
# bench/media.sh — media delivery: cartable against nginx, same files, same run.
#
# What it measures: requests/s, bytes/s and latency (p50, p99) of HLS
# delivery — master and media playlists, init segments, and byte-range
# segments of the 720p (~1 MB) and 360p renditions — served by cartable and
# by nginx (sendfile on) from the very same blob directory, with wrk on
# loopback at 256 and 2,000 connections. The servers are loaded one after the
# other, never together, and the runs alternate (nginx first, then cartable
# first, …) so slow drift of the machine does not favour one of them. It also
# samples cartable's resident memory idle and under load.
#
# How it works: makes a 20 s 720p test video (testsrc2 + noise, tone),
# imports it with the release binary into a fresh data dir, starts cartable
# and nginx on 127.0.0.1, checks that both return the same bytes for the
# same Range request, runs the load and prints a Markdown section (also
# written to bench/results/media.md).
#
# Run:      bench/media.sh
# Needs:    ffmpeg, nginx (nginx-light), wrk, curl, jq, cmp
#           (apt-get install -y --no-install-recommends ffmpeg nginx-light wrk curl jq)
# Settings (environment):
#   CARTABLE     binary (default /root/.cache/cartable-release/release/cartable,
#                then target/release/cartable)
#   DURATION     seconds per wrk run (default 15)
#   CONNECTIONS  connection counts (default "256 2000")
#   REPEAT       runs per server and connection count; medians are reported (default 3)
#   PAUSE        seconds of rest between runs (default 5)
# Every load is bounded by wrk's -d (and a timeout around wrk); everything
# lives in a mktemp -d removed on exit, and both servers are stopped then.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
find_cartable
DURATION=${DURATION:-15}
CONNECTIONS=${CONNECTIONS:-"256 2000"}
REPEAT=${REPEAT:-3}
PAUSE=${PAUSE:-5}
THREADS=2
need_tools ffmpeg nginx wrk curl jq cmp awk
# wrk keeps one socket per connection, cartable and nginx one per client.
ulimit -n 20000

make_work
CARTABLE_PID=""
NGINX_PID=""
SAMPLER_PID=""

# A free TCP port on 127.0.0.1 (for nginx, which cannot report one it picked).
free_port() {
  local port
  for _ in $(seq 100); do
    port=$((20000 + RANDOM % 30000))
    if ! ss -Htln "sport = :$port" | grep -q .; then echo "$port"; return; fi
  done
  die "no free port found"
}

log "binary: $CARTABLE"
log "work dir: $WORK"

# ---------------------------------------------------------------- media ---
mkdir -p "$WORK/src" "$WORK/data" "$WORK/nginx"
log "making a 20 s 720p test video"
ffmpeg -hide_banner -nostdin -loglevel error -y \
  -f lavfi -i "testsrc2=size=1280x720:rate=25:duration=20" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=20" \
  -vf "noise=alls=20:allf=t" -c:v libx264 -preset veryfast -b:v 3000k -pix_fmt yuv420p \
  -c:a aac -b:a 96k -shortest "$WORK/src/lesson.mp4"
cat >"$WORK/src/manifest.json" <<'EOF'
{
  "capsules": [
    {
      "id": "bench-video",
      "lang": "fr",
      "titles": {"fr": "Vidéo de mesure", "en": "Benchmark video"},
      "level": "primary-5",
      "subject": "mathematics",
      "media": "lesson.mp4"
    }
  ]
}
EOF
log "importing it (transcoding to audio + 240p/360p/720p)"
import_start=$(now)
"$CARTABLE" --data-dir "$WORK/data" import capsules "$WORK/src/manifest.json" --jobs 1 \
  >"$WORK/import.out" 2>"$WORK/import.err" || { cat "$WORK/import.err" >&2; die "import failed"; }
import_s=$(since "$import_start")
log "import took ${import_s} s"

# ---------------------------------------------------------------- servers ---
start_cartable "$WORK/data" 100
CARTABLE_URL=$URL

BLOBS="$WORK/data/blobs"
[[ -d "$BLOBS" ]] || die "no blob directory at $BLOBS"
NGINX_PORT=$(free_port)
NGINX_URL="http://127.0.0.1:$NGINX_PORT"
NGINX_USER=""
[[ $(id -u) == 0 ]] && NGINX_USER="user root;"
cat >"$WORK/nginx/nginx.conf" <<EOF
# The reference static server: the same blob files cartable serves.
$NGINX_USER
worker_processes 2;
worker_rlimit_nofile 20000;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 10000; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_timeout 65;
  # cartable (hyper) serves any number of requests on one connection.
  keepalive_requests 1000000;
  client_body_temp_path $WORK/nginx/body;
  proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fastcgi;
  uwsgi_temp_path $WORK/nginx/uwsgi;
  scgi_temp_path $WORK/nginx/scgi;
  types {
    application/vnd.apple.mpegurl m3u8;
    video/mp4 mp4;
    image/jpeg jpg;
    text/vtt vtt;
  }
  default_type application/octet-stream;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location ~ "^/media/b/(([0-9a-f]{2})[0-9a-f]{62})\.(m3u8|mp4|jpg|vtt)\$" {
      alias $BLOBS/\$2/\$1;
      add_header Cache-Control "public, max-age=31536000, immutable";
    }
    location / { return 404; }
  }
}
EOF
nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" 2>"$WORK/nginx/stderr" &
NGINX_PID=$!
for _ in $(seq 100); do
  curl -s -o /dev/null "$NGINX_URL/" && break
  kill -0 "$NGINX_PID" 2>/dev/null || { cat "$WORK/nginx/stderr" >&2; die "nginx exited at start"; }
  sleep 0.1
done
nginx_pids() { echo "$NGINX_PID" $(ps -o pid= --ppid "$NGINX_PID"); }
log "cartable at $CARTABLE_URL (pid $CARTABLE_PID), nginx at $NGINX_URL (pid $NGINX_PID)"

# ---------------------------------------------------------------- the mix ---
curl -sf "$CARTABLE_URL/api/v1/capsules/bench-video" >"$WORK/capsule.json" || die "GET /api/v1/capsules/bench-video failed"
MASTER=$(jq -r .hls_url "$WORK/capsule.json")
: >"$WORK/requests.tsv"   # path <TAB> range ("" for the whole file)
printf '%s\t\n' "$MASTER" >>"$WORK/requests.tsv"
RENDITIONS_MD=""
for name in 720p 360p; do
  url=$(jq -r --arg n "$name" '.renditions[] | select(.name == $n) | .url' "$WORK/capsule.json")
  playlist=$(jq -r --arg n "$name" '.renditions[] | select(.name == $n) | .playlist_url' "$WORK/capsule.json")
  size=$(jq -r --arg n "$name" '.renditions[] | select(.name == $n) | .size' "$WORK/capsule.json")
  [[ -n "$url" && "$url" != null ]] || die "the capsule has no $name rendition: $(jq -c '[.renditions[].name]' "$WORK/capsule.json")"
  printf '%s\t\n' "$playlist" >>"$WORK/requests.tsv"
  curl -sf "$CARTABLE_URL$playlist" >"$WORK/$name.m3u8" || die "GET $playlist failed"
  # The init segment (EXT-X-MAP) and every media segment, as byte ranges.
  ranges=$(sed -n -e 's/.*BYTERANGE="\([0-9]*\)@\([0-9]*\)".*/\1 \2/p' \
                  -e 's/^#EXT-X-BYTERANGE:\([0-9]*\)@\([0-9]*\).*/\1 \2/p' "$WORK/$name.m3u8")
  [[ -n "$ranges" ]] || die "no BYTERANGE in the $name playlist"
  lens=()
  while read -r len off; do
    printf '%s\tbytes=%d-%d\n' "$url" "$off" $((off + len - 1)) >>"$WORK/requests.tsv"
    lens+=("$len")
  done <<<"$ranges"
  RENDITIONS_MD+="| $name | $(awk -v s="$size" 'BEGIN {printf "%.2f", s / 1048576}') MiB | ${lens[*]} |"$'\n'
done
N_REQ=$(wc -l <"$WORK/requests.tsv")
MEAN_KB=$(awk -F'\t' '$2 != "" {split(substr($2, 7), a, "-"); s += a[2] - a[1] + 1} END {printf "%.0f", s / NR / 1024}' "$WORK/requests.tsv")
log "mix: $N_REQ requests (mean body over the mix ~${MEAN_KB} KiB)"

# ---------------------------------------------------------------- same bytes ---
check_same() {
  local path=$1 range=$2 tag=$3 a b
  local -a hdr=()
  [[ -n "$range" ]] && hdr=(-H "Range: $range")
  a=$(curl -s "${hdr[@]}" -o "$WORK/$tag.cartable" -w '%{http_code} %{content_type}' "$CARTABLE_URL$path")
  b=$(curl -s "${hdr[@]}" -o "$WORK/$tag.nginx" -w '%{http_code} %{content_type}' "$NGINX_URL$path")
  [[ "$a" == "$b" ]] || die "$path ${range:-whole}: cartable answers '$a', nginx '$b'"
  cmp -s "$WORK/$tag.cartable" "$WORK/$tag.nginx" || die "$path ${range:-whole}: cartable and nginx return different bytes"
  log "same bytes from both ($a, $(stat -c %s "$WORK/$tag.cartable") bytes): $path ${range:-whole}"
}
check_same "$MASTER" "" master
seg=$(awk -F'\t' '$2 != "" {n++} n == 2 {print; exit}' "$WORK/requests.tsv")  # a 720p media segment
check_same "${seg%%$'\t'*}" "${seg#*$'\t'}" segment

# ---------------------------------------------------------------- wrk script ---
{
  echo "-- The request mix, made by bench/media.sh from the capsule's playlists."
  echo "local reqs = {"
  while IFS=$'\t' read -r path range; do
    printf '  {"%s", "%s"},\n' "$path" "$range"
  done <"$WORK/requests.tsv"
  cat <<'EOF'
}
local formatted = {}
local next_offset = 0
function setup(thread)
  thread:set("offset", next_offset)
  next_offset = next_offset + 5
end
local i = 0
function init(args)
  for k, r in ipairs(reqs) do
    local headers = {}
    if r[2] ~= "" then headers["Range"] = r[2] end
    formatted[k] = wrk.format("GET", r[1], headers)
  end
  i = (offset or 0) % #formatted
end
function request()
  i = i % #formatted + 1
  return formatted[i]
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d bytes=%d p50_us=%d p99_us=%d connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout))
end
EOF
} >"$WORK/mix.lua"

# ---------------------------------------------------------------- load ---
sleep 2
IDLE_RSS=$(rss_kb "$CARTABLE_PID")
log "cartable idle: VmRSS $(mib "$IDLE_RSS") MiB"

# run SERVER CONNS REP: one wrk run; appends a line to results.tsv.
: >"$WORK/results.tsv"
END_RSS=()
run() {
  local server=$1 conns=$2 rep=$3 url pids before after out line
  if [[ $server == cartable ]]; then url=$CARTABLE_URL; pids=$CARTABLE_PID; else url=$NGINX_URL; pids=$(nginx_pids); fi
  out="$WORK/wrk-$server-$conns-$rep.txt"
  before=$(cpu_ticks $pids)
  # Resident memory a second before the end of the load.
  if [[ $server == cartable ]]; then
    ( sleep $((DURATION - 1)); rss_kb "$CARTABLE_PID" >"$WORK/rss-$conns-$rep" ) &
    SAMPLER_PID=$!
  fi
  timeout $((DURATION + 60)) wrk -t"$THREADS" -c"$conns" -d"${DURATION}s" --timeout 10s --latency \
    -s "$WORK/mix.lua" "$url" >"$out" 2>&1 || { cat "$out" >&2; die "wrk failed against $server"; }
  [[ -n "$SAMPLER_PID" ]] && { wait "$SAMPLER_PID" || true; SAMPLER_PID=""; }
  after=$(cpu_ticks $pids)
  line=$(grep '^BENCH ' "$out") || { cat "$out" >&2; die "no result from wrk against $server"; }
  if [[ $server == cartable ]]; then
    kill -0 "$CARTABLE_PID" 2>/dev/null || { tail -20 "$WORK/cartable.err" >&2; die "cartable died under load"; }
  fi
  # Non-2xx responses and socket errors are reported, never hidden.
  echo "$server $conns $rep $(( (after - before) )) ${line#BENCH }" >>"$WORK/results.tsv"
  log "$(printf '%-8s c=%-5s run %s: %s' "$server" "$conns" "$rep" "$(grep -E 'Requests/sec|Transfer/sec' "$out" | tr -s ' ' | tr '\n' ' ')")"
  if grep -q 'Non-2xx' "$out"; then log "WARNING: $(grep 'Non-2xx' "$out") from $server at $conns connections"; fi
  if grep -q 'Socket errors' "$out"; then log "WARNING: $(grep 'Socket errors' "$out") from $server at $conns connections"; fi
}

for conns in $CONNECTIONS; do
  for rep in $(seq "$REPEAT"); do
    if ((rep % 2)); then order="nginx cartable"; else order="cartable nginx"; fi
    for server in $order; do
      sleep "$PAUSE"
      run "$server" "$conns" "$rep"
    done
  done
done
HWM=$(hwm_kb "$CARTABLE_PID")
NGINX_RSS=0
for p in $(nginx_pids); do NGINX_RSS=$((NGINX_RSS + $(rss_kb "$p"))); done

# ---------------------------------------------------------------- report ---
# Fields of results.tsv: server conns rep cpu_ticks key=value…
kv() { awk -v k="$1" '{for (i = 5; i <= NF; i++) {split($i, a, "="); if (a[1] == k) print a[2]}}'; }
rows() { awk -v s="$1" -v c="$2" '$1 == s && $2 == c' "$WORK/results.tsv"; }
rps_of() { rows "$1" "$2" | awk '{for (i = 5; i <= NF; i++) {split($i, a, "="); f[a[1]] = a[2]} print f["requests"] / (f["duration_us"] / 1e6)}' | median; }
bps_of() { rows "$1" "$2" | awk '{for (i = 5; i <= NF; i++) {split($i, a, "="); f[a[1]] = a[2]} print f["bytes"] / (f["duration_us"] / 1e6)}' | median; }
lat_of() { rows "$1" "$2" | kv "$3" | median; }
errs_of() { rows "$1" "$2" | awk '{for (i = 5; i <= NF; i++) {split($i, a, "="); f[a[1]] = a[2]} s += f["status"]; e += f["connect"] + f["read"] + f["write"] + f["timeout"]} END {printf "%d / %d", s, e}'; }
cpu_of() { rows "$1" "$2" | awk -v t="$CLK_TCK" '{print $4 / t}' | median; }
fmt() { awk -v v="$1" -v d="$2" 'BEGIN {printf "%." d "f", v}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "n/a"}'; }

VERSION=$(cartable_version)
NGINX_VERSION=$(nginx -v 2>&1 | sed 's/^nginx version: //')
WRK_VERSION=$(wrk_version)
machine_facts
MD="$WORK/media.md"
{
  echo "## Media delivery: cartable against nginx"
  echo
  echo "Measured $DATE on $(nproc) cores ($CPU), Linux $(uname -r), $VERSION, $NGINX_VERSION (sendfile on, 2 workers), wrk $WRK_VERSION; load average at the end $LOAD."
  echo "Medians of $REPEAT runs of ${DURATION} s per server and connection count, wrk with $THREADS threads on the same machine, servers loaded one after the other."
  echo
  echo "Test video: 20 s, 1280×720 testsrc2 + noise, imported by cartable in ${import_s} s (audio + 240p/360p/720p). Renditions in the mix:"
  echo
  echo "| rendition | file size | segment sizes in bytes (init, then media) |"
  echo "|---|---|---|"
  printf '%s' "$RENDITIONS_MD"
  echo
  echo "The mix, in turn on every connection: the master playlist, the 720p and 360p media playlists, and every init and media segment of both renditions as a Range request taken from the playlists' BYTERANGE lines ($N_REQ requests, mean ${MEAN_KB} KiB). Both servers returned the same bytes for the master playlist and for a 720p segment (cmp)."
  echo
  echo "| connections | server | requests/s | transfer MiB/s | p50 ms | p99 ms | non-2xx / socket errors | server CPU s per run |"
  echo "|---|---|---|---|---|---|---|---|"
  for conns in $CONNECTIONS; do
    for server in nginx cartable; do
      echo "| $conns | $server | $(fmt "$(rps_of "$server" "$conns")" 0) | $(fmt "$(awk -v b="$(bps_of "$server" "$conns")" 'BEGIN {print b / 1048576}')" 0) | $(ms "$(lat_of "$server" "$conns" p50_us)") | $(ms "$(lat_of "$server" "$conns" p99_us)") | $(errs_of "$server" "$conns") | $(fmt "$(cpu_of "$server" "$conns")" 1) |"
    done
  done
  echo
  echo "| connections | cartable / nginx requests/s | cartable / nginx bytes/s | p99 cartable / nginx |"
  echo "|---|---|---|---|"
  for conns in $CONNECTIONS; do
    echo "| $conns | $(ratio "$(rps_of cartable "$conns")" "$(rps_of nginx "$conns")") | $(ratio "$(bps_of cartable "$conns")" "$(bps_of nginx "$conns")") | $(ratio "$(lat_of cartable "$conns" p99_us)" "$(lat_of nginx "$conns" p99_us)") |"
  done
  echo
  echo "Resident memory of cartable (VmRSS): idle $(mib "$IDLE_RSS") MiB;"
  for conns in $CONNECTIONS; do
    vals=$(for rep in $(seq "$REPEAT"); do cat "$WORK/rss-$conns-$rep" 2>/dev/null || true; done | median)
    echo "at the end of the load with $conns connections $(mib "$vals") MiB (median);"
  done
  echo "peak (VmHWM) $(mib "$HWM") MiB. nginx, master and workers together, after the load: $(mib "$NGINX_RSS") MiB."
  echo
  echo "<details><summary>Every run</summary>"
  echo
  echo "| connections | run | server | requests/s | MiB/s | p50 ms | p99 ms | non-2xx | socket errors (connect/read/write/timeout) |"
  echo "|---|---|---|---|---|---|---|---|---|"
  while read -r server conns rep cpu rest; do
    declare -A f=()
    for kvp in $rest; do f[${kvp%%=*}]=${kvp#*=}; done
    echo "| $conns | $rep | $server | $(fmt "$(awk -v r="${f[requests]}" -v d="${f[duration_us]}" 'BEGIN {print r / (d / 1e6)}')" 0) | $(fmt "$(awk -v b="${f[bytes]}" -v d="${f[duration_us]}" 'BEGIN {print b / (d / 1e6) / 1048576}')" 0) | $(ms "${f[p50_us]}") | $(ms "${f[p99_us]}") | ${f[status]} | ${f[connect]}/${f[read]}/${f[write]}/${f[timeout]} |"
    unset f
  done <"$WORK/results.tsv"
  echo
  echo "</details>"
  echo
  echo "Command:"
  echo
  echo '```sh'
  echo "bench/media.sh   # DURATION=$DURATION CONNECTIONS=\"$CONNECTIONS\" REPEAT=$REPEAT"
  echo "# each run: wrk -t$THREADS -c<connections> -d${DURATION}s --timeout 10s --latency -s mix.lua http://127.0.0.1:<port>"
  echo '```'
} >"$MD"
save_report "$MD"
