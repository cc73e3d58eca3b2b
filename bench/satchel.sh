#!/usr/bin/env bash
# bench/satchel.sh — the satchel (issue #5): packing speed against tar, the
# size of an update, a classroom streaming from a box against kiwix-serve on
# the ZIM export, and syncing 100,000 records back to the hub.
#
# What it measures:
#   1. pack: `satchel pack --all --school S` (the default renditions, 360p
#      and audio, and the whole ladder) against `tar cf` of the very blob
#      files the satchel holds (listed from the satchel's own signed
#      manifest), and against `tar cf` followed by `sync FILE` (the pack
#      fsyncs its file before renaming it into place; tar does not), in the
#      same run, the order alternating; warm page cache and cold (the cache
#      dropped before each run: sync; echo 3 > /proc/sys/vm/drop_caches).
#      MB/s are the output file's bytes over the wall time. PACK_REPEAT runs
#      each; medians.
#   2. update: CHANGED of the CAPSULES capsules re-imported with another
#      video; the new version packed whole and as an update of the first
#      (--parent): the update's bytes as a % of the whole; the update is
#      checked (satchel verify --parent) and applied to the box (satchel
#      apply), which must then serve version 2.
#   3. serving: the box (`serve --satchel`) and kiwix-serve on the ZIM
#      export of the same selection (`satchel pack --all --format zim`),
#      each alone, restarted for every run, the order alternating: CLIENTS
#      (40) wrk connections GET the 360p init and media segments of every
#      capsule as Range requests taken from the box's 360p media playlists
#      (the same ranges at the ZIM's /<stem>/media/<hash>.mp4 for
#      kiwix-serve, checked to return the same bytes). Requests/s, MiB/s,
#      p50/p99/max, errors, server CPU, and the server's VmRSS and VmHWM
#      sampled every 0.5 s (peak reported; RssAnon/RssFile too).
#      SERVE_REPEAT runs each, DURATION s; medians. Also one load on the
#      box's first process (the one that installed the satchel), and a soak:
#      SOAK_RUNS loads back to back on one process, VmRSS after each, without
#      and with /metrics read every second.
#   4. sync: STATEMENTS (100,000) statements by the box's learners loaded
#      into the box's LRS through POST /xapi/statements (not timed); then,
#      on fresh copies of the box and the hub for every run, the order
#      alternating: by file (`sync export` on the box, `sync import` on the
#      hub, and the same import again, which must change nothing) and over
#      loopback HTTP (`sync push` to the hub serving). Seconds each, CPU,
#      and the hub's count of statements afterwards. SYNC_REPEAT runs;
#      medians.
#
# Content: CAPSULES (20) test videos, 1280×720 testsrc2 + noise (so the
# encoder meets the ladder's bitrates, as camera footage would) with a tone,
# MIN_SECONDS..MAX_SECONDS long (36..54 s, 15 min in all), each tinted and
# pitched differently, with a French caption file; imported into a fresh hub
# (transcoded to audio + 240p/360p/720p); a school of CLASSES classes of
# PER_CLASS learners enrolled from a CSV (argon2 hashes: ~40 ms each).
# 20 capsules rather than ~10 so that changing one is 5 % of the catalog.
#
# Run:      bench/satchel.sh            (as root, for the cold-cache runs)
# Needs:    ffmpeg, wrk, kiwix-serve (kiwix-tools), curl, jq, sqlite3,
#           python3, GNU time (/usr/bin/time), tar, coreutils sync
#           (apt-get install -y --no-install-recommends ffmpeg wrk kiwix-tools curl jq sqlite3 time)
# Settings (environment):
#   CARTABLE       binary (default /root/.cache/cartable-release-new/release/cartable,
#                  then lib.sh's choice)
#   CAPSULES       capsules (default 20)
#   MIN_SECONDS    shortest video, s (default 36)
#   MAX_SECONDS    longest video, s (default 54)
#   CHANGED        capsules changed for the update (default 1, 5 % of 20)
#   CLASSES        classes of the school (default 6)
#   PER_CLASS      learners per class (default 30)
#   IMPORT_JOBS    parallel transcodes at import (default 2)
#   PACK_REPEAT    runs per tool, selection and cache state (default 5)
#   COLD           1 to run the cold-cache pack runs (needs root; default 1)
#   CLIENTS        wrk connections while serving (default 40)
#   DURATION       seconds per wrk run (default 20)
#   SERVE_REPEAT   runs per server (default 3)
#   KIWIX_THREADS  kiwix-serve --threads (default 4, its own default)
#   SOAK_RUNS      loads of DURATION s back to back on one box process, without
#                  and with /metrics read every second (default 6; 0 skips)
#   STATEMENTS     statements synced (default 100000)
#   LOAD_BATCH     statements per POST while loading the box (default 500)
#   SYNC_REPEAT    runs per way (default 3)
#   PAUSE          seconds of rest between runs (default 3)
#   CONTENT_CACHE  a directory keeping the imported hub between invocations
#                  (default: none, everything is made afresh); only saves
#                  the ffmpeg and import time, never used for a timing
# Every server binds 127.0.0.1 only; every load is bounded by wrk's -d (and
# a timeout around it); every command by a timeout; everything lives in a
# mktemp -d removed on exit, with the servers and samplers stopped.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
if [[ -z "${CARTABLE:-}" && -x /root/.cache/cartable-release-new/release/cartable ]]; then
  CARTABLE=/root/.cache/cartable-release-new/release/cartable
fi
find_cartable
CAPSULES=${CAPSULES:-20}
MIN_SECONDS=${MIN_SECONDS:-36}
MAX_SECONDS=${MAX_SECONDS:-54}
CHANGED=${CHANGED:-1}
CLASSES=${CLASSES:-6}
PER_CLASS=${PER_CLASS:-30}
IMPORT_JOBS=${IMPORT_JOBS:-2}
PACK_REPEAT=${PACK_REPEAT:-5}
COLD=${COLD:-1}
CLIENTS=${CLIENTS:-40}
DURATION=${DURATION:-20}
SERVE_REPEAT=${SERVE_REPEAT:-3}
SOAK_RUNS=${SOAK_RUNS:-6}
KIWIX_THREADS=${KIWIX_THREADS:-4}
STATEMENTS=${STATEMENTS:-100000}
LOAD_BATCH=${LOAD_BATCH:-500}
SYNC_REPEAT=${SYNC_REPEAT:-3}
PAUSE=${PAUSE:-3}
CONTENT_CACHE=${CONTENT_CACHE:-}
THREADS=2
HELPER="$ROOT/bench/satchel-helper.py"
LUA="$ROOT/bench/satchel-ranges.lua"
SCHOOL=bench-school
need_tools ffmpeg wrk kiwix-serve curl jq sqlite3 python3 tar sync awk cmp
[[ -x /usr/bin/time ]] || die "GNU time (/usr/bin/time) is missing: apt-get install time"
if ((COLD)) && ! { [[ $(id -u) == 0 ]] && [[ -w /proc/sys/vm/drop_caches ]]; }; then
  log "cannot drop the page cache (not root): cold runs skipped"
  COLD=0
fi
ulimit -n 20000

make_work
SAMPLER_PID=""
CARTABLE_PID=""
NGINX_PID=""   # unused here; lib.sh's cleanup names it
KIWIX_PID=""
HUBSRV_PID=""
SCRAPER_PID=""
# lib.sh's cleanup stops SAMPLER_PID, CARTABLE_PID and NGINX_PID; kiwix-serve
# and the hub served for sync push are ours to stop too.
cleanup_satchel() { stop_pids "${SCRAPER_PID:-}" "${KIWIX_PID:-}" "${HUBSRV_PID:-}"; cleanup; }
trap cleanup_satchel EXIT

log "binary: $CARTABLE"
log "work dir: $WORK"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
load1() { cut -d' ' -f1 /proc/loadavg; }

# timed NAME CMD…: runs CMD (bounded by 30 min), stdout in $WORK/log/NAME.out
# and stderr in .err; sets T_WALL (s, wall clock), T_CPU (user + system s,
# children included) and T_RSS (peak RSS KiB). Dies if CMD fails.
mkdir -p "$WORK/log"
timed() {
  local name=$1 t0 u s m
  shift
  t0=$(now)
  /usr/bin/time -o "$WORK/log/$name.time" -f '%U %S %M' timeout 1800 "$@" \
    >"$WORK/log/$name.out" 2>"$WORK/log/$name.err" \
    || { tail -20 "$WORK/log/$name.err" >&2; die "$name failed: $*"; }
  T_WALL=$(awk -v a="$t0" -v b="$(now)" 'BEGIN {printf "%.4f", b - a}')
  read -r u s m <"$WORK/log/$name.time"
  T_CPU=$(awk -v u="$u" -v s="$s" 'BEGIN {printf "%.2f", u + s}')
  T_RSS=$m
}
cart() { "$CARTABLE" --data-dir "$@"; }
drop_caches() { sync; echo 3 >/proc/sys/vm/drop_caches; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }

# start_serve DATA_DIR ARGS…: `cartable serve` on 127.0.0.1:0 in the
# background; sets CARTABLE_PID, URL and START_S (seconds to its banner).
start_serve() {
  local dir=$1 t0
  shift
  t0=$(now)
  "$CARTABLE" --data-dir "$dir" serve --listen 127.0.0.1:0 "$@" >"$WORK/serve.out" 2>"$WORK/serve.err" &
  CARTABLE_PID=$!
  for _ in $(seq 1200); do
    grep -q 'cartable is serving' "$WORK/serve.out" 2>/dev/null && break
    kill -0 "$CARTABLE_PID" 2>/dev/null || { tail -20 "$WORK/serve.err" >&2; die "cartable exited at start"; }
    sleep 0.05
  done
  START_S=$(since "$t0")
  URL=$(grep -o 'http://[0-9.:]*' "$WORK/serve.out" | sed -n 1p) || die "cartable did not start"
}
stop_serve() { stop_pids "$CARTABLE_PID"; CARTABLE_PID=""; }

# ------------------------------------------------------------ content ---
HUB="$WORK/hub"
SRC="$WORK/src"
CAPSULE_IDS=()
for i in $(seq "$CAPSULES"); do CAPSULE_IDS+=("$(printf 'bench-%02d' "$i")"); done
# The capsules changed for the update, spread over the catalog.
CHANGED_IDS=""
for k in $(seq 0 $((CHANGED - 1))); do
  CHANGED_IDS+="$(printf 'bench-%02d' $(( (2 * k + 1) * CAPSULES / (2 * CHANGED) + 1 ))) "
done
CHANGED_IDS=${CHANGED_IDS% }
duration_of() { awk -v i="$1" -v n="$CAPSULES" -v a="$MIN_SECONDS" -v b="$MAX_SECONDS" 'BEGIN {printf "%.1f", (n > 1 ? a + (b - a) * (i - 1) / (n - 1) : a)}'; }

# make_video N OUT VARIANT: capsule N's test video; VARIANT 1 is another
# picture and tone of the same length (the update's new video).
make_video() {
  local n=$1 out=$2 variant=$3 d hue freq seed
  d=$(duration_of "$n")
  hue=$(( (n * 17 + variant * 150) % 360 )); freq=$((300 + n * 23 + variant * 211)); seed=$((n * 7 + variant * 1000))
  ffmpeg -hide_banner -nostdin -loglevel error -y \
    -f lavfi -i "testsrc2=size=1280x720:rate=25:duration=$d" \
    -f lavfi -i "sine=frequency=$freq:sample_rate=48000:duration=$d" \
    -vf "noise=alls=20:allf=t:all_seed=$seed,hue=h=$hue" -c:v libx264 -preset ultrafast -b:v 3000k -pix_fmt yuv420p \
    -c:a aac -b:a 96k -shortest "$out"
}
make_captions() {
  local n=$1 out=$2 d t=0
  d=$(duration_of "$n")
  { echo "WEBVTT"; echo
    while awk -v t="$t" -v d="$d" 'BEGIN {exit !(t + 4 <= d)}'; do
      printf '%02d:%02d.000 --> %02d:%02d.000\nPhrase %d de la leçon %d, pour suivre sans le son.\n\n' \
        $((t / 60)) $((t % 60)) $(((t + 4) / 60)) $(((t + 4) % 60)) $((t / 4 + 1)) "$n"
      t=$((t + 4))
    done; } >"$out"
}

CACHE_KEY="c$CAPSULES-s$MIN_SECONDS-$MAX_SECONDS-k$CLASSES-$PER_CLASS-x$CHANGED_IDS"
CACHE_KEY=${CACHE_KEY// /_}
IMPORT_S="" ; SRC_S="" ; ENROL_S="" ; FROM_CACHE=0
if [[ -n "$CONTENT_CACHE" && -f "$CONTENT_CACHE/$CACHE_KEY/done" ]]; then
  log "content from the cache $CONTENT_CACHE/$CACHE_KEY (not timed again)"
  cp -a "$CONTENT_CACHE/$CACHE_KEY/hub" "$HUB"
  cp -a "$CONTENT_CACHE/$CACHE_KEY/src" "$SRC"
  read -r SRC_S IMPORT_S ENROL_S <"$CONTENT_CACHE/$CACHE_KEY/times"
  FROM_CACHE=1
else
  mkdir -p "$SRC"
  log "making $CAPSULES test videos of $MIN_SECONDS-$MAX_SECONDS s (and $CHANGED new ones for the update)"
  t0=$(now)
  for i in $(seq "$CAPSULES"); do
    id=$(printf 'bench-%02d' "$i")
    make_video "$i" "$SRC/$id.mp4" 0
    make_captions "$i" "$SRC/$id.fr.vtt"
    if [[ " $CHANGED_IDS " == *" $id "* ]]; then make_video "$i" "$SRC/$id-v2.mp4" 1; fi
  done
  SRC_S=$(since "$t0")
  python3 "$HELPER" manifest "$SRC/manifest.json" "$CAPSULES"
  log "importing them into the hub (transcoding, --jobs $IMPORT_JOBS)"
  timed import "$CARTABLE" --data-dir "$HUB" import capsules "$SRC/manifest.json" --jobs "$IMPORT_JOBS" --json
  IMPORT_S=$T_WALL
  [[ $(jq '.imported | length' "$WORK/log/import.out") == "$CAPSULES" ]] || die "import: $(cat "$WORK/log/import.out")"
  cart "$HUB" keys init --json >/dev/null
  cart "$HUB" school add "$SCHOOL" --name "École de mesure" >/dev/null
  { echo "name,login,class,password"
    for c in $(seq "$CLASSES"); do
      cart "$HUB" class add "bench-class-$c" --school "$SCHOOL" --name "Classe $c" >/dev/null
      for l in $(seq "$PER_CLASS"); do
        printf 'Élève %d-%d,learner-%d-%02d,bench-class-%d,cahier-%d-%02d-2026\n' "$c" "$l" "$c" "$l" "$c" "$c" "$l"
      done
    done; } >"$WORK/learners.csv"
  timed enrol "$CARTABLE" --data-dir "$HUB" enrol "$WORK/learners.csv" --json
  ENROL_S=$T_WALL
  [[ $(jq '.enrolled | length' "$WORK/log/enrol.out") == $((CLASSES * PER_CLASS)) ]] || die "enrol: $(head -c 500 "$WORK/log/enrol.out")"
  if [[ -n "$CONTENT_CACHE" ]]; then
    rm -rf "${CONTENT_CACHE:?}/$CACHE_KEY"; mkdir -p "$CONTENT_CACHE/$CACHE_KEY"
    cp -a "$HUB" "$SRC" "$CONTENT_CACHE/$CACHE_KEY/"
    echo "$SRC_S $IMPORT_S $ENROL_S" >"$CONTENT_CACHE/$CACHE_KEY/times"
    touch "$CONTENT_CACHE/$CACHE_KEY/done"
  fi
fi
VIDEO_S=0
for i in $(seq "$CAPSULES"); do VIDEO_S=$(awk -v a="$VIDEO_S" -v b="$(duration_of "$i")" 'BEGIN {print a + b}'); done
# The school's learners, as the hub's roster has them.
sqlite3 "$HUB/cartable.db" "SELECT login FROM class_members ORDER BY login" >"$WORK/logins.txt"
printf '%s\n' "${CAPSULE_IDS[@]}" >"$WORK/capsules.txt"
log "content: $CAPSULES capsules, $VIDEO_S s of video; $(wc -l <"$WORK/logins.txt") learners; changed for the update: $CHANGED_IDS"

# ------------------------------------------------------------ 1. pack ---
mkdir -p "$WORK/pack"
SELECTIONS="default ladder"
sel_args() { if [[ $1 == ladder ]]; then echo "--rendition 240p --rendition 360p --rendition 720p --rendition audio"; fi; }
: >"$WORK/pack.tsv"   # sel cache rep tool wall cpu rss bytes load1
declare -A SEL_BYTES SEL_FILES SEL_MADE SEL_MADE_BYTES SEL_SECTIONS SEL_BLOBS
for sel in $SELECTIONS; do
  # shellcheck disable=SC2046
  timed "pack-$sel-v1" "$CARTABLE" --data-dir "$HUB" satchel pack --all --school "$SCHOOL" $(sel_args "$sel") -o "$WORK/$sel-v1.satchel" --json
  python3 "$HELPER" blobs "$WORK/$sel-v1.satchel" "$HUB/blobs" "$WORK/$sel.list" >"$WORK/$sel.blobs.json"
  SEL_BLOBS[$sel]=$(jq .blobs "$WORK/$sel.blobs.json")
  SEL_FILES[$sel]=$(jq .files "$WORK/$sel.blobs.json")
  SEL_BYTES[$sel]=$(jq .file_bytes "$WORK/$sel.blobs.json")
  SEL_MADE[$sel]=$(jq .made "$WORK/$sel.blobs.json")
  SEL_MADE_BYTES[$sel]=$(jq .made_bytes "$WORK/$sel.blobs.json")
  SEL_SECTIONS[$sel]=$(jq .section_bytes "$WORK/$sel.blobs.json")
  log "$sel: $(jq -c . "$WORK/$sel.blobs.json")"
done

# pack_run SEL CACHE REP TOOL: one timed run; a line in pack.tsv.
pack_run() {
  local sel=$1 cache=$2 rep=$3 tool=$4 out l
  rm -f "$WORK/pack/out.satchel" "$WORK/pack/out.tar"
  if [[ $cache == cold ]]; then drop_caches; else sync; fi
  l=$(load1)
  case $tool in
    satchel)
      out="$WORK/pack/out.satchel"
      # shellcheck disable=SC2046
      timed "pack-$sel-$cache-$rep-$tool" "$CARTABLE" --data-dir "$HUB" satchel pack --all --school "$SCHOOL" $(sel_args "$sel") -o "$out" --json ;;
    tar)
      out="$WORK/pack/out.tar"
      timed "pack-$sel-$cache-$rep-$tool" tar -C "$HUB/blobs" -cf "$out" -T "$WORK/$sel.list" ;;
    tar+fsync)
      out="$WORK/pack/out.tar"
      timed "pack-$sel-$cache-$rep-$tool" bash -c 'tar -C "$1" -cf "$2" -T "$3" && sync "$2"' _ "$HUB/blobs" "$out" "$WORK/$sel.list" ;;
  esac
  echo "$sel $cache $rep $tool $T_WALL $T_CPU $T_RSS $(stat -c %s "$out") $l" >>"$WORK/pack.tsv"
  log "$(printf 'pack %-7s %-4s run %s %-9s %7.3f s  %6.1f MB/s' "$sel" "$cache" "$rep" "$tool" "$T_WALL" "$(awk -v b="$(stat -c %s "$out")" -v t="$T_WALL" 'BEGIN {print b / 1e6 / t}')")"
  if [[ $tool == satchel ]] && ! cmp -s "$out" "$WORK/$sel-v1.satchel"; then
    die "pack $sel run $rep: not the same bytes as the first pack of the same database"
  fi
}
CACHES="warm"; ((COLD)) && CACHES="warm cold"
for sel in $SELECTIONS; do
  # Warm-up: every input in the page cache for the warm runs.
  tar -C "$HUB/blobs" -cf /dev/null -T "$WORK/$sel.list"
  for cache in $CACHES; do
    for rep in $(seq "$PACK_REPEAT"); do
      if ((rep % 2)); then order="tar satchel tar+fsync"; else order="tar+fsync satchel tar"; fi
      for tool in $order; do pack_run "$sel" "$cache" "$rep" "$tool"; done
    done
  done
done
rm -f "$WORK/pack/out.satchel" "$WORK/pack/out.tar"

# ------------------------------------------------------------ 3. serving ---
# Serving comes before the update: the box serves version 1, then the update
# (which re-imports capsules on the hub) is applied to that same box.
# sample_mem PID OUT: VmRSS VmHWM RssAnon RssFile (KiB) and threads every 0.5 s while PID lives.
sample_mem() {
  while kill -0 "$1" 2>/dev/null; do
    awk '/^VmRSS:/ {r = $2} /^VmHWM:/ {h = $2} /^RssAnon:/ {a = $2} /^RssFile:/ {f = $2} /^Threads:/ {t = $2} END {print r, h, a, f, t}' "/proc/$1/status" >>"$2" 2>/dev/null || break
    sleep 0.5
  done
}
: >"$WORK/serve.tsv"   # server rep idle_rss cpu_ticks peak_rss hwm peak_anon peak_file threads load1 key=value…
# load_run LABEL REP PID MIX: one wrk run against the server PID at $URL,
# memory sampled; a line in serve.tsv.
load_run() {
  local server=$1 rep=$2 pid=$3 mix=$4 out before after idle l
  idle=$(rss_kb "$pid")
  l=$(load1)
  out="$WORK/log/wrk-$server-$rep.txt"
  : >"$WORK/mem-$server-$rep.txt"
  sample_mem "$pid" "$WORK/mem-$server-$rep.txt" &
  SAMPLER_PID=$!
  before=$(cpu_ticks "$pid")
  timeout $((DURATION + 60)) wrk -t"$THREADS" -c"$CLIENTS" -d"${DURATION}s" --timeout 10s --latency \
    -s "$LUA" "$URL" -- "$mix" "$THREADS" >"$out" 2>&1 || { cat "$out" >&2; die "wrk failed against $server"; }
  after=$(cpu_ticks "$pid")
  kill -0 "$pid" 2>/dev/null || die "$server died under load"
  stop_pids "$SAMPLER_PID"; SAMPLER_PID=""
  grep -q '^BENCH ' "$out" || { cat "$out" >&2; die "no result from wrk against $server"; }
  echo "$server $rep $idle $((after - before)) $(awk 'BEGIN {r = h = a = f = t = 0} {if ($1 > r) r = $1; if ($2 > h) h = $2; if ($3 > a) a = $3; if ($4 > f) f = $4; if ($5 > t) t = $5} END {print r, h, a, f, t}' "$WORK/mem-$server-$rep.txt") $l $(grep '^BENCH ' "$out" | cut -d' ' -f2-)" >>"$WORK/serve.tsv"
  log "$(printf 'serve %-8s run %s: ' "$server" "$rep")$(grep -E 'Requests/sec|Transfer/sec' "$out" | tr -s ' ' | tr '\n' ' ') peak VmRSS $(mib "$(tail -1 "$WORK/serve.tsv" | awk '{print $5}')") MiB, $(tail -1 "$WORK/serve.tsv" | awk '{print $9}') threads"
}
# serve_run SERVER REP: starts the server, one load_run, stops it.
serve_run() {
  local server=$1 rep=$2
  if [[ $server == cartable ]]; then
    start_serve "$BOX" --satchel "$WORK/box.satchel"
    sleep 1; load_run cartable "$rep" "$CARTABLE_PID" "$WORK/mix-cartable.tsv"
    stop_serve
  else
    start_kiwix
    sleep 1; load_run kiwix "$rep" "$KIWIX_PID" "$WORK/mix-kiwix.tsv"
    stop_kiwix
  fi
}

BOX="$WORK/box"
cp "$WORK/default-v1.satchel" "$WORK/box.satchel"
log "first start of the box on the satchel (checks every byte once, installs catalog and roster)"
sync
start_serve "$BOX" --satchel "$WORK/box.satchel"
BOX_FIRST_START=$START_S
BOX_BANNER=$(grep 'cartable is serving' "$WORK/serve.out")
python3 "$HELPER" mix "$URL" "/bench" "$WORK/mix-cartable.tsv" "$WORK/mix-kiwix.tsv" >"$WORK/mix.json"
# The 360p files of the capsules the update changes, as version 1 has them.
for id in $CHANGED_IDS; do
  curl -sf "$URL/api/v1/capsules/$id" | jq -r '.renditions[] | select(.name == "360p") | .url' >"$WORK/v1-360p-$id"
done
log "mix: $(cat "$WORK/mix.json")"
# The process of the first start serves a load too: it has done the
# install (checking every byte, catalog, roster, search index), which the
# restarted boxes of the runs below have not.
sleep "$PAUSE"
load_run cartable-first 1 "$CARTABLE_PID" "$WORK/mix-cartable.tsv"
stop_serve
start_serve "$BOX" --satchel "$WORK/box.satchel"
BOX_START=$START_S
stop_serve

mkdir -p "$WORK/zim"
timed zim "$CARTABLE" --data-dir "$HUB" satchel pack --all --format zim -o "$WORK/zim/bench.zim" --json
ZIM_S=$T_WALL
ZIM_BYTES=$(stat -c %s "$WORK/zim/bench.zim")
KIWIX_VERSION=$({ kiwix-serve --version 2>&1 || true; } | sed -n 1p)

start_kiwix() {
  local port
  port=$(free_port)
  kiwix-serve -i 127.0.0.1 -p "$port" -t "$KIWIX_THREADS" "$WORK/zim/bench.zim" >"$WORK/kiwix.out" 2>&1 &
  KIWIX_PID=$!
  URL="http://127.0.0.1:$port"
  for _ in $(seq 200); do
    curl -s -o /dev/null "$URL/" && return
    kill -0 "$KIWIX_PID" 2>/dev/null || { cat "$WORK/kiwix.out" >&2; die "kiwix-serve exited at start"; }
    sleep 0.05
  done
  die "kiwix-serve did not answer"
}
stop_kiwix() { stop_pids "$KIWIX_PID"; KIWIX_PID=""; }

# Same bytes from both for a segment of the first and of the last capsule.
start_serve "$BOX" --satchel "$WORK/box.satchel"; CART_URL=$URL
start_kiwix; KIWIX_URL=$URL
for n in 2 "$(wc -l <"$WORK/mix-cartable.tsv")"; do
  a=$(sed -n "${n}p" "$WORK/mix-cartable.tsv"); b=$(sed -n "${n}p" "$WORK/mix-kiwix.tsv")
  sa=$(curl -s -o "$WORK/seg.cartable" -w '%{http_code} %{content_type}' -H "Range: ${a#*$'\t'}" "$CART_URL${a%%$'\t'*}")
  sb=$(curl -s -o "$WORK/seg.kiwix" -w '%{http_code} %{content_type}' -H "Range: ${b#*$'\t'}" "$KIWIX_URL${b%%$'\t'*}")
  [[ $sa == "206 video/mp4" && $sb == "206 video/mp4" ]] || die "segment $n: cartable answers '$sa', kiwix-serve '$sb' (${b%%$'\t'*})"
  cmp -s "$WORK/seg.cartable" "$WORK/seg.kiwix" || die "segment $n: different bytes from cartable and kiwix-serve"
done
log "cartable and kiwix-serve return the same bytes for the same ranges"
stop_serve; stop_kiwix

for rep in $(seq "$SERVE_REPEAT"); do
  if ((rep % 2)); then order="kiwix cartable"; else order="cartable kiwix"; fi
  for server in $order; do sleep "$PAUSE"; serve_run "$server" "$rep"; done
done

# Soak: one box process, SOAK_RUNS loads of DURATION s back to back, VmRSS
# after each; then the same on a fresh process while /metrics is read every
# second (what a Prometheus scrape does), to tell growth that follows the
# request count from growth that a scrape resets.
: >"$WORK/soak.tsv"   # mode run requests_total vmrss rssanon
SCRAPER_PID=""
if ((SOAK_RUNS > 0)); then
  for mode in unscraped scraped; do
    sleep "$PAUSE"
    start_serve "$BOX" --satchel "$WORK/box.satchel"
    sleep 1
    total=0
    echo "$mode 0 0 $(rss_kb "$CARTABLE_PID") $(awk '/^RssAnon:/ {print $2}' "/proc/$CARTABLE_PID/status")" >>"$WORK/soak.tsv"
    for k in $(seq "$SOAK_RUNS"); do
      if [[ $mode == scraped ]]; then
        ( for _ in $(seq $((DURATION + 2))); do curl -s -o /dev/null --max-time 5 "$URL/metrics"; sleep 1; done ) &
        SCRAPER_PID=$!
      fi
      out="$WORK/log/wrk-soak-$mode-$k.txt"
      timeout $((DURATION + 60)) wrk -t"$THREADS" -c"$CLIENTS" -d"${DURATION}s" --timeout 10s \
        -s "$LUA" "$URL" -- "$WORK/mix-cartable.tsv" "$THREADS" >"$out" 2>&1 || { cat "$out" >&2; die "wrk failed in the soak"; }
      stop_pids "$SCRAPER_PID"; SCRAPER_PID=""
      kill -0 "$CARTABLE_PID" 2>/dev/null || die "cartable died in the soak"
      total=$((total + $(grep '^BENCH ' "$out" | sed -E 's/.*requests=([0-9]+).*/\1/')))
      echo "$mode $k $total $(rss_kb "$CARTABLE_PID") $(awk '/^RssAnon:/ {print $2}' "/proc/$CARTABLE_PID/status")" >>"$WORK/soak.tsv"
      log "soak $mode run $k: $total requests, VmRSS $(mib "$(rss_kb "$CARTABLE_PID")") MiB"
    done
    stop_serve
  done
fi

# ------------------------------------------------------------ 2. update ---
mkdir -p "$WORK/src2"
python3 - "$SRC/manifest.json" "$WORK/src2/manifest.json" "$CHANGED_IDS" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
changed = set(sys.argv[3].split())
m["capsules"] = [dict(c, media=c["id"] + "-v2.mp4") for c in m["capsules"] if c["id"] in changed]
json.dump(m, open(sys.argv[2], "w"), ensure_ascii=False)
EOF
for id in $CHANGED_IDS; do cp "$SRC/$id-v2.mp4" "$SRC/$id.fr.vtt" "$WORK/src2/"; done
log "re-importing $CHANGED_IDS with a new video"
timed reimport "$CARTABLE" --data-dir "$HUB" import capsules "$WORK/src2/manifest.json" --jobs "$IMPORT_JOBS" --json
REIMPORT_S=$T_WALL
[[ $(jq '.imported | length' "$WORK/log/reimport.out") == "$CHANGED" ]] || die "re-import: $(cat "$WORK/log/reimport.out")"
: >"$WORK/update.tsv"   # sel full_bytes update_bytes update_s full_s blobs_in_update blobs diff_blobs_added diff_bytes_added
for sel in $SELECTIONS; do
  # shellcheck disable=SC2046
  timed "pack-$sel-v2" "$CARTABLE" --data-dir "$HUB" satchel pack --all --school "$SCHOOL" $(sel_args "$sel") -o "$WORK/$sel-v2.satchel" --json
  full_s=$T_WALL
  # shellcheck disable=SC2046
  timed "pack-$sel-update" "$CARTABLE" --data-dir "$HUB" satchel pack --all --school "$SCHOOL" $(sel_args "$sel") --parent "$WORK/$sel-v1.satchel" -o "$WORK/$sel-v2.update" --json
  update_s=$T_WALL
  timed "verify-$sel-update" "$CARTABLE" --data-dir "$HUB" satchel verify "$WORK/$sel-v2.update" --parent "$WORK/$sel-v1.satchel" --json
  [[ $(jq .ok "$WORK/log/verify-$sel-update.out") == true ]] || die "the $sel update does not verify"
  timed "diff-$sel" "$CARTABLE" --data-dir "$HUB" satchel diff "$WORK/$sel-v1.satchel" "$WORK/$sel-v2.satchel" --json
  echo "$sel $(stat -c %s "$WORK/$sel-v2.satchel") $(stat -c %s "$WORK/$sel-v2.update") $update_s $full_s $(jq .blobs_in_file "$WORK/log/pack-$sel-update.out") $(jq .blobs "$WORK/log/pack-$sel-update.out") $(jq .blobs_added "$WORK/log/diff-$sel.out") $(jq .bytes_added "$WORK/log/diff-$sel.out") $(jq -c .changed "$WORK/log/diff-$sel.out")" >>"$WORK/update.tsv"
  log "update $sel: $(tail -1 "$WORK/update.tsv")"
done
timed apply "$CARTABLE" --data-dir "$BOX" satchel apply "$WORK/default-v2.update" --json
APPLY_S=$T_WALL
[[ $(jq .version "$WORK/log/apply.out") == 2 ]] || die "apply: $(cat "$WORK/log/apply.out")"
start_serve "$BOX" --satchel "$WORK/box.satchel"
for id in $CHANGED_IDS; do
  got=$(curl -sf "$URL/api/v1/capsules/$id" | jq -r '.renditions[] | select(.name == "360p") | .url')
  [[ -n "$got" && "$got" != "$(cat "$WORK/v1-360p-$id")" ]] || die "after the update the box still lists $id's old 360p file"
  [[ $(curl -s -o /dev/null -w '%{http_code}' -r 0-1000 "$URL$got") == 206 ]] || die "the box does not serve $id's new 360p file after the update"
done
log "the box serves version 2 after satchel apply ($APPLY_S s)"

# ------------------------------------------------------------ 4. sync ---
cart "$BOX" lrs key add bench --scope statements/write --json >"$WORK/key.json"
python3 "$HELPER" statements "$WORK/statements.jsonl" "$STATEMENTS" "http://localhost" "$WORK/logins.txt" "$WORK/capsules.txt"
STATEMENT_BYTES=$(awk '{s += length($0)} END {printf "%.0f", s / NR}' "$WORK/statements.jsonl")
log "loading $STATEMENTS statements into the box (batches of $LOAD_BATCH)"
python3 "$HELPER" load "$URL" "$(jq -r .key "$WORK/key.json")" "$(jq -r .secret "$WORK/key.json")" "$WORK/statements.jsonl" "$LOAD_BATCH" >"$WORK/load.json"
stop_serve
BOX_ROWS=$(sqlite3 "$BOX/cartable.db" "SELECT COUNT(*) FROM xapi_statements")
[[ $BOX_ROWS == "$STATEMENTS" ]] || die "the box holds $BOX_ROWS statements, not $STATEMENTS"
log "box loaded: $(cat "$WORK/load.json")"
rm -f "$WORK/statements.jsonl"
# Templates: the box as loaded; the hub's database and keys (its blobs are
# not needed to take records).
mkdir -p "$WORK/sync" "$WORK/hub-sync"
cp -a "$HUB"/cartable.db* "$HUB/keys" "$WORK/hub-sync/"
[[ -d "$HUB/search" ]] && cp -a "$HUB/search" "$WORK/hub-sync/"
BOX_DB_BYTES=$(du -sb "$BOX" | cut -f1)

: >"$WORK/sync.tsv"   # way rep step wall cpu rss accepted duplicates hub_rows load1 extra
fresh() { rm -rf "$WORK/sync/box" "$WORK/sync/hub"; cp -a "$BOX" "$WORK/sync/box"; cp -a "$WORK/hub-sync" "$WORK/sync/hub"; sync; }
hub_rows() { sqlite3 "$WORK/sync/hub/cartable.db" "SELECT COUNT(*) FROM xapi_statements"; }
sync_file() {
  local rep=$1 l
  fresh; l=$(load1)
  timed "export-$rep" "$CARTABLE" --data-dir "$WORK/sync/box" sync export "$WORK/sync/up.sync" --json
  echo "file $rep export $T_WALL $T_CPU $T_RSS $(jq .records "$WORK/log/export-$rep.out") 0 - $l $(stat -c %s "$WORK/sync/up.sync")" >>"$WORK/sync.tsv"
  timed "import-$rep" "$CARTABLE" --data-dir "$WORK/sync/hub" sync import "$WORK/sync/up.sync" --json
  echo "file $rep import $T_WALL $T_CPU $T_RSS $(jq .accepted "$WORK/log/import-$rep.out") $(jq .duplicates "$WORK/log/import-$rep.out") $(hub_rows) $l -" >>"$WORK/sync.tsv"
  [[ $(jq .accepted "$WORK/log/import-$rep.out") == "$STATEMENTS" ]] || die "import: $(cat "$WORK/log/import-$rep.out")"
  timed "reimport-$rep" "$CARTABLE" --data-dir "$WORK/sync/hub" sync import "$WORK/sync/up.sync" --json
  echo "file $rep again $T_WALL $T_CPU $T_RSS $(jq .accepted "$WORK/log/reimport-$rep.out") $(jq .duplicates "$WORK/log/reimport-$rep.out") $(hub_rows) $l -" >>"$WORK/sync.tsv"
  [[ $(jq .duplicates "$WORK/log/reimport-$rep.out") == "$STATEMENTS" ]] || die "re-import: $(cat "$WORK/log/reimport-$rep.out")"
  log "sync by file, run $rep: export $(awk -v r="$rep" '$1 == "file" && $2 == r && $3 == "export" {print $4}' "$WORK/sync.tsv") s, import $(awk -v r="$rep" '$1 == "file" && $2 == r && $3 == "import" {print $4}' "$WORK/sync.tsv") s, again $T_WALL s"
}
sync_http() {
  local rep=$1 l before after hubpid
  fresh; l=$(load1)
  start_serve "$WORK/sync/hub"; HUBSRV_PID=$CARTABLE_PID; CARTABLE_PID=""; hubpid=$HUBSRV_PID
  before=$(cpu_ticks "$hubpid")
  timed "push-$rep" "$CARTABLE" --data-dir "$WORK/sync/box" sync push --hub "$URL" --json
  after=$(cpu_ticks "$hubpid")
  stop_pids "$HUBSRV_PID"; HUBSRV_PID=""
  echo "http $rep push $T_WALL $T_CPU $T_RSS $(jq .accepted "$WORK/log/push-$rep.out") $(jq .duplicates "$WORK/log/push-$rep.out") $(hub_rows) $l $(awk -v t=$((after - before)) -v c="$CLK_TCK" 'BEGIN {printf "%.2f", t / c}')" >>"$WORK/sync.tsv"
  [[ $(jq .accepted "$WORK/log/push-$rep.out") == "$STATEMENTS" ]] || die "push: $(cat "$WORK/log/push-$rep.out")"
  log "sync push, run $rep: $T_WALL s (box CPU $T_CPU s, hub CPU $(tail -1 "$WORK/sync.tsv" | awk '{print $NF}') s)"
}
for rep in $(seq "$SYNC_REPEAT"); do
  if ((rep % 2)); then order="file http"; else order="http file"; fi
  for way in $order; do sleep "$PAUSE"; "sync_$way" "$rep"; done
done
SYNC_FILE_BYTES=$(awk '$1 == "file" && $3 == "export" {print $NF; exit}' "$WORK/sync.tsv")

# ------------------------------------------------------------ report ---
f1() { awk -v v="$1" 'BEGIN {printf "%.1f", v}'; }
f2() { awk -v v="$1" 'BEGIN {printf "%.2f", v}'; }
f3() { awk -v v="$1" 'BEGIN {printf "%.3f", v}'; }
n0() { awk -v v="$1" 'BEGIN {printf "%.0f", v}'; }
mb() { awk -v b="$1" 'BEGIN {printf "%.1f", b / 1e6}'; }
yesno() { awk -v c="$1" 'BEGIN {print (c ? "yes" : "**no**")}'; }
# pack medians: pmed SEL CACHE TOOL FIELD (wall cpu rss bytes mbps)
pmed() {
  awk -v s="$1" -v c="$2" -v t="$3" -v f="$4" '$1 == s && $2 == c && $4 == t {
    v["wall"] = $5; v["cpu"] = $6; v["rss"] = $7; v["bytes"] = $8; v["mbps"] = $8 / 1e6 / $5; print v[f]}' "$WORK/pack.tsv" | median
}
# serve fields: server rep idle ticks peak_rss hwm peak_anon peak_file threads load1 key=value…
sfield() {
  awk -v s="$1" -v f="$2" -v t="$CLK_TCK" '$1 == s {
    for (i = 11; i <= NF; i++) {split($i, a, "="); v[a[1]] = a[2]}
    v["idle"] = $3; v["cpu"] = $4 / t; v["rss"] = $5; v["hwm"] = $6; v["anon"] = $7; v["file"] = $8; v["threads"] = $9; v["load1"] = $10
    v["secs"] = v["duration_us"] / 1e6; v["rps"] = v["requests"] / v["secs"]; v["mibps"] = v["bytes"] / v["secs"] / 1048576
    v["errors"] = v["connect"] + v["read"] + v["write"] + v["timeout"]
    print v[f]}' "$WORK/serve.tsv"
}
smed() { sfield "$1" "$2" | median; }
smax() { sfield "$1" "$2" | sort -g | tail -1; }
ssum() { sfield "$1" "$2" | awk '{s += $1} END {printf "%d", s}'; }
ymed() { awk -v w="$1" -v st="$2" -v f="$3" '$1 == w && $3 == st {v["wall"] = $4; v["cpu"] = $5; v["rss"] = $6; print v[f]}' "$WORK/sync.tsv" | median; }
file_total_of() { awk '$1 == "file" && ($3 == "export" || $3 == "import") {t[$2] += $4} END {for (r in t) print t[r]}' "$WORK/sync.tsv" | median; }

VERSION=$(cartable_version || true)
CARTABLE_SHA=$(sha256sum "$CARTABLE" | cut -c1-12)
WRK_VERSION=$(wrk_version || true)
TAR_VERSION=$(tar --version | sed -n 1p)
machine_facts
MD="$WORK/satchel.md"
SAT_MB_DEF_W=$(pmed default warm satchel mbps); TAR_MB_DEF_W=$(pmed default warm tar mbps)
{
  echo "## The satchel: pack, update, serve, sync"
  echo
  echo '```sh'
  echo "bench/satchel.sh   # CAPSULES=$CAPSULES MIN_SECONDS=$MIN_SECONDS MAX_SECONDS=$MAX_SECONDS CHANGED=$CHANGED CLASSES=$CLASSES PER_CLASS=$PER_CLASS PACK_REPEAT=$PACK_REPEAT COLD=$COLD CLIENTS=$CLIENTS DURATION=$DURATION SERVE_REPEAT=$SERVE_REPEAT KIWIX_THREADS=$KIWIX_THREADS STATEMENTS=$STATEMENTS LOAD_BATCH=$LOAD_BATCH SYNC_REPEAT=$SYNC_REPEAT PAUSE=$PAUSE"
  echo '```'
  echo
  echo "Measured $DATE on $(nproc) cores ($CPU), $(awk '/MemTotal/ {printf "%.0f GiB RAM", $2 / 1048576}' /proc/meminfo), Linux $(uname -r), file system $(df -T "$WORK" | awk 'NR == 2 {print $2}') on $(df "$WORK" | awk 'NR == 2 {print $1}'); $VERSION (binary $CARTABLE, sha256 $CARTABLE_SHA…), $TAR_VERSION, $KIWIX_VERSION (libkiwix/libzim as packaged by Debian), wrk $WRK_VERSION. Load average at the start $LOAD_START, at the end $LOAD: the machine is shared, and another engineer's builds ran at times during these measurements (the 1-minute load at the start of each run is in the details)."
  echo
  echo "Content: $CAPSULES capsules, $VIDEO_S s of video in all ($MIN_SECONDS-$MAX_SECONDS s each; 1280×720 testsrc2 + noise, so the encoder spends the ladder's bitrates), each with a French caption file, a transcript and tags, in two programmes; made in $(f1 "${SRC_S:-0}") s and imported (transcoded to audio + 240p/360p/720p, --jobs $IMPORT_JOBS) in $(f1 "${IMPORT_S:-0}") s. School $SCHOOL: $CLASSES classes of $PER_CLASS learners, enrolled from a CSV in $(f1 "${ENROL_S:-0}") s.$( ((FROM_CACHE)) && echo " (Videos, import and enrolment were made by an earlier invocation and reused from CONTENT_CACHE; the times are that invocation's.)")"
  echo
  echo "### 1. Pack speed against tar"
  echo
  echo "\`satchel pack --all --school $SCHOOL -o X\` against \`tar -C HUB/blobs -cf Y -T LIST\` where LIST is the blob files the satchel holds, read from the satchel's own signed manifest, and against the same tar followed by \`sync Y\` (the pack fsyncs its file, then renames it into place and fsyncs the folder; tar does neither). Output on the same file system as the blobs. **default** is the box's selection (360p + audio); **ladder** carries every rendition. The satchel also holds what tar's input lacks: the catalog, taxonomy, roster and box key sections, the manifest and index, and one master playlist per capsule made for the chosen renditions (not a file of the store). MB/s = the output file's bytes / wall time (10^6 bytes). Medians of $PACK_REPEAT runs per tool and cache state, the tools' order alternating; warm = inputs in the page cache (a dirty-page sync before each run, not timed); cold = \`sync; echo 3 > /proc/sys/vm/drop_caches\` before each run (binary and database dropped too)."
  echo
  echo "| selection | blob files (bytes) | made blobs (bytes) | sections (bytes) | satchel file | tar file |"
  echo "|---|---|---|---|---|---|"
  for sel in $SELECTIONS; do
    echo "| $sel | ${SEL_FILES[$sel]} ($(mb "${SEL_BYTES[$sel]}") MB) | ${SEL_MADE[$sel]} (${SEL_MADE_BYTES[$sel]}) | ${SEL_SECTIONS[$sel]} | $(mb "$(pmed "$sel" warm satchel bytes)") MB | $(mb "$(pmed "$sel" warm tar bytes)") MB |"
  done
  echo
  echo "| selection | cache | tool | wall s | MB/s | CPU s | peak RSS MiB | satchel / tool MB/s |"
  echo "|---|---|---|---|---|---|---|---|"
  for sel in $SELECTIONS; do
    for cache in $CACHES; do
      for tool in satchel tar tar+fsync; do
        r="—"
        [[ $tool != satchel ]] && r=$(awk -v a="$(pmed "$sel" "$cache" satchel mbps)" -v b="$(pmed "$sel" "$cache" "$tool" mbps)" 'BEGIN {printf "%.2f", a / b}')
        echo "| $sel | $cache | $tool | $(f3 "$(pmed "$sel" "$cache" "$tool" wall)") | $(n0 "$(pmed "$sel" "$cache" "$tool" mbps)") | $(f2 "$(pmed "$sel" "$cache" "$tool" cpu)") | $(mib "$(pmed "$sel" "$cache" "$tool" rss)") | $r |"
      done
    done
  done
  echo
  echo "Every satchel written by these runs is byte for byte the first pack of the same database (cmp)."
  echo
  echo "### 2. Update size"
  echo
  echo "$CHANGED of $CAPSULES capsules ($(awk -v a="$CHANGED" -v b="$CAPSULES" 'BEGIN {printf "%.0f", 100 * a / b}') %: $CHANGED_IDS) re-imported with a new video of the same length (re-import $(f1 "$REIMPORT_S") s). Then \`satchel pack --all --school $SCHOOL -o FULL\` and \`satchel pack --all --school $SCHOOL --parent V1 -o UPDATE\`. The update carries the blobs V1 lacks plus every section (catalog, taxonomy, roster, box key), the new manifest and index."
  echo
  echo "| selection | full v2 | update | update / full | goal ≤ 6 % | blobs in update / all | changed blobs (satchel diff) | pack update s | pack full s |"
  echo "|---|---|---|---|---|---|---|---|---|"
  while read -r sel full upd us fs inupd all added addedb changed; do
    pct=$(awk -v a="$upd" -v b="$full" 'BEGIN {printf "%.2f", 100 * a / b}')
    echo "| $sel | $(mb "$full") MB | $(mb "$upd") MB | $pct % | $(yesno "$(awk -v p="$pct" 'BEGIN {print (p <= 6)}')") | $inupd / $all | $added, $(mb "$addedb") MB ($changed) | $(f2 "$us") | $(f2 "$fs") |"
  done <"$WORK/update.tsv"
  echo
  echo "\`satchel verify UPDATE --parent V1\` passed for both; \`satchel apply\` of the default update on the box took $(f2 "$APPLY_S") s, and the box then served the new video of $CHANGED_IDS."
  echo
  echo "### 3. Serving a classroom: the box against kiwix-serve"
  echo
  echo "The box: \`cartable serve --satchel FILE\` (the default satchel: 360p + audio; $BOX_BANNER). Its first start, which checks every byte of the satchel once and installs the catalog and roster, took ${BOX_FIRST_START} s; a later start ${BOX_START} s (to the banner, from the command). kiwix-serve: \`kiwix-serve -i 127.0.0.1 -p PORT -t $KIWIX_THREADS bench.zim\` on the ZIM export of the same selection (\`satchel pack --all --format zim\`: $(mb "$ZIM_BYTES") MB, written in $(f2 "$ZIM_S") s), which holds each capsule's 360p file under its hash. Each server alone, restarted for every run, the order alternating, ${PAUSE} s apart."
  echo
  echo "The load: wrk -t$THREADS -c$CLIENTS -d${DURATION}s, each request a Range GET of a 360p init or media segment taken from the box's 360p media playlists (EXT-X-MAP and EXT-X-BYTERANGE), capsule after capsule, each wrk thread starting at its own place: $(jq .requests "$WORK/mix.json") ranges over $(jq .capsules "$WORK/mix.json") capsules ($(jq .segments "$WORK/mix.json") media segments, mean $(awk -v b="$(jq .mean "$WORK/mix.json")" 'BEGIN {printf "%.0f", b / 1024}') KiB, largest $(awk -v b="$(jq .largest "$WORK/mix.json")" 'BEGIN {printf "%.0f", b / 1024}') KiB). The same ranges at /bench/media/<hash>.mp4 for kiwix-serve; both returned 206 and the same bytes for a segment of the first and the last capsule (cmp). Clients read as fast as loopback allows, so this is a saturation test of $CLIENTS clients, not $CLIENTS paced players. Memory: /proc/PID/status every 0.5 s during the load; peak VmRSS, and VmHWM (the process's peak since it started)."
  echo
  echo "| server | requests/s | MiB/s | p50 ms | p99 ms | max ms | non-2xx / socket errors | server CPU s per run | idle VmRSS MiB | peak VmRSS MiB (RssAnon / RssFile) | VmHWM MiB | threads |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
  for server in cartable kiwix cartable-first; do
    case $server in kiwix) label="kiwix-serve ($SERVE_REPEAT runs)" ;; cartable) label="cartable box ($SERVE_REPEAT runs)" ;; *) label="cartable box, the first start's process (1 run)" ;; esac
    echo "| $label | $(n0 "$(smed "$server" rps)") | $(n0 "$(smed "$server" mibps)") | $(ms "$(smed "$server" p50_us)") | $(ms "$(smed "$server" p99_us)") | $(ms "$(smed "$server" max_us)") | $(ssum "$server" status) / $(ssum "$server" errors) | $(f1 "$(smed "$server" cpu)") | $(mib "$(smed "$server" idle)") | $(mib "$(smed "$server" rss)") ($(mib "$(smed "$server" anon)") / $(mib "$(smed "$server" file)")) | $(mib "$(smed "$server" hwm)") | $(smed "$server" threads) |"
  done
  echo
  CR=$(smed cartable rps); KR=$(smed kiwix rps)
  CMAX=$(smax cartable rss)
  FMAX=$(smax cartable-first rss)
  echo "cartable / kiwix-serve: requests/s $(f2 "$(awk -v a="$CR" -v b="$KR" 'BEGIN {print a / b}')"), p99 $(f2 "$(awk -v a="$(smed cartable p99_us)" -v b="$(smed kiwix p99_us)" 'BEGIN {print a / b}')"), peak VmRSS $(f2 "$(awk -v a="$(smed cartable rss)" -v b="$(smed kiwix rss)" 'BEGIN {print a / b}')"). Medians of $SERVE_REPEAT runs; the largest peak VmRSS of the box over the runs: $(mib "$CMAX") MiB, its largest VmHWM $(mib "$(smax cartable hwm)") MiB."
  echo
  echo "| goal | measured | met |"
  echo "|---|---|---|"
  echo "| box under 64 MB RSS while serving $CLIENTS clients, restarted box | peak VmRSS $(mib "$CMAX") MiB = $(mb $((CMAX * 1024))) MB (largest of $SERVE_REPEAT runs; median $(mib "$(smed cartable rss)") MiB) | $(yesno "$(awk -v k="$CMAX" 'BEGIN {print (k * 1024 < 64e6)}')") |"
  echo "| box under 64 MB RSS while serving $CLIENTS clients, the first start's process | peak VmRSS $(mib "$FMAX") MiB = $(mb $((FMAX * 1024))) MB | $(yesno "$(awk -v k="$FMAX" 'BEGIN {print (k * 1024 < 64e6)}')") |"
  echo
  echo "The first start's process had installed the satchel (checked every byte, wrote catalog and roster, built the search index) before serving; a box keeps serving with that process until it is restarted."
  if [[ -s "$WORK/soak.tsv" ]]; then
    echo
    echo "Soak: one box process (a later start), $SOAK_RUNS loads of ${DURATION} s back to back (the same mix and clients), VmRSS and RssAnon after each; then the same on a fresh process while \`curl /metrics\` runs every second (as a Prometheus scrape would)."
    echo
    echo "| after load | requests so far, unscraped | VmRSS MiB (RssAnon) unscraped | requests so far, /metrics read every s | VmRSS MiB (RssAnon) scraped |"
    echo "|---|---|---|---|---|"
    for k in $(seq 0 "$SOAK_RUNS"); do
      echo "| $k | $(awk -v k="$k" '$1 == "unscraped" && $2 == k {print $3}' "$WORK/soak.tsv") | $(awk -v k="$k" '$1 == "unscraped" && $2 == k {printf "%.1f (%.1f)", $4 / 1024, $5 / 1024}' "$WORK/soak.tsv") | $(awk -v k="$k" '$1 == "scraped" && $2 == k {print $3}' "$WORK/soak.tsv") | $(awk -v k="$k" '$1 == "scraped" && $2 == k {printf "%.1f (%.1f)", $4 / 1024, $5 / 1024}' "$WORK/soak.tsv") |"
    done
    echo
    for mode in unscraped scraped; do
      echo "- $mode: from the end of load 1 to the end of load $SOAK_RUNS, VmRSS grew $(awk -v m="$mode" -v n="$SOAK_RUNS" '$1 == m && $2 == 1 {r1 = $3; m1 = $4} $1 == m && $2 == n {r2 = $3; m2 = $4} END {printf "%.1f MiB over %d requests: %.1f bytes per request, %.2f MiB per 100,000 requests", (m2 - m1) / 1024, r2 - r1, (r2 > r1 ? (m2 - m1) * 1024 / (r2 - r1) : 0), (r2 > r1 ? (m2 - m1) / 1024 * 100000 / (r2 - r1) : 0)}' "$WORK/soak.tsv")."
    done
  fi
  echo
  echo "### 4. Sync of $STATEMENTS statements"
  echo
  echo "The box (the data dir served above, now at version 2) got $STATEMENTS statements through \`POST /xapi/statements\` (an xAPI key with statements/write, arrays of $LOAD_BATCH, one connection: $(jq .seconds "$WORK/load.json") s, not part of the sync): made by its $(wc -l <"$WORK/logins.txt") learners (account actors on http://localhost, the hub's public_url), ADL verbs, capsule activities http://localhost/capsules/<id> with a definition, result with duration, video time and progress, context with registration, platform, language and the satchel extension, a timestamp and an id; $STATEMENT_BYTES bytes of JSON each. Box data dir $(mb "$BOX_DB_BYTES") MB. Every run starts from fresh copies of the loaded box and of the hub's database (after its last pack, which certified the box), copied and synced to disk before the clock starts."
  echo
  echo "By file: \`sync export up.sync --json\` on the box ($(mb "$SYNC_FILE_BYTES") MB file), then \`sync import up.sync --json\` on the hub (all $STATEMENTS accepted), then the same import again (all duplicates, nothing stored). Over HTTP: the hub serves on 127.0.0.1 (\`serve\`), and the box runs \`sync push --hub http://127.0.0.1:PORT --json\` (all accepted). After each, the hub's xapi_statements count is $STATEMENTS."
  echo
  echo "| way | step | wall s | CPU s (the command) | peak RSS MiB |"
  echo "|---|---|---|---|---|"
  for st in export import again; do
    echo "| file | $st | $(f2 "$(ymed file "$st" wall)") | $(f2 "$(ymed file "$st" cpu)") | $(mib "$(ymed file "$st" rss)") |"
  done
  echo "| file | export + import | $(f2 "$(file_total_of)") | | |"
  echo "| HTTP | push | $(f2 "$(ymed http push wall)") | $(f2 "$(ymed http push cpu)") (box) + $(f2 "$(awk '$1 == "http" {print $NF}' "$WORK/sync.tsv" | median)") (hub) | $(mib "$(ymed http push rss)") (box) |"
  echo
  echo "| goal | measured | met |"
  echo "|---|---|---|"
  echo "| sync $STATEMENTS statements by file under 10 s | $(f2 "$(file_total_of)") s (export + import) | $(yesno "$(awk -v t="$(file_total_of)" 'BEGIN {print (t < 10)}')") |"
  echo "| sync $STATEMENTS statements over HTTP under 10 s | $(f2 "$(ymed http push wall)") s | $(yesno "$(awk -v t="$(ymed http push wall)" 'BEGIN {print (t < 10)}')") |"
  echo
  echo "### Summary"
  echo
  echo "| goal | measured | met |"
  echo "|---|---|---|"
  for cache in $CACHES; do
    for sel in $SELECTIONS; do
      a=$(pmed "$sel" "$cache" satchel mbps); b=$(pmed "$sel" "$cache" tar mbps)
      echo "| pack at least tar's speed ($sel, $cache) | $(n0 "$a") against $(n0 "$b") MB/s ($(f2 "$(awk -v a="$a" -v b="$b" 'BEGIN {print a / b}')")×) | $(yesno "$(awk -v a="$a" -v b="$b" 'BEGIN {print (a >= b)}')") |"
    done
  done
  while read -r sel full upd _; do
    pct=$(awk -v a="$upd" -v b="$full" 'BEGIN {printf "%.2f", 100 * a / b}')
    echo "| update ≤ 6 % of the full satchel after changing $(awk -v a="$CHANGED" -v b="$CAPSULES" 'BEGIN {printf "%.0f", 100 * a / b}') % ($sel) | $pct % | $(yesno "$(awk -v p="$pct" 'BEGIN {print (p <= 6)}')") |"
  done <"$WORK/update.tsv"
  echo "| box under 64 MB RSS serving $CLIENTS clients (restarted box; the first start's process) | $(mib "$CMAX") MiB; $(mib "$FMAX") MiB peak | $(yesno "$(awk -v k="$CMAX" 'BEGIN {print (k * 1024 < 64e6)}')"); $(yesno "$(awk -v k="$FMAX" 'BEGIN {print (k * 1024 < 64e6)}')") |"
  echo "| sync of $STATEMENTS statements by file under 10 s | $(f2 "$(file_total_of)") s | $(yesno "$(awk -v t="$(file_total_of)" 'BEGIN {print (t < 10)}')") |"
  echo "| sync of $STATEMENTS statements over HTTP under 10 s | $(f2 "$(ymed http push wall)") s | $(yesno "$(awk -v t="$(ymed http push wall)" 'BEGIN {print (t < 10)}')") |"
  echo
  echo "<details><summary>Every run</summary>"
  echo
  echo "Pack (load = 1-minute load average at the start of the run):"
  echo
  echo "| selection | cache | run | tool | load | wall s | MB/s | CPU s | peak RSS MiB | bytes |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  while read -r sel cache rep tool wall cpu rss bytes l; do
    echo "| $sel | $cache | $rep | $tool | $l | $(f3 "$wall") | $(n0 "$(awk -v b="$bytes" -v t="$wall" 'BEGIN {print b / 1e6 / t}')") | $cpu | $(mib "$rss") | $bytes |"
  done <"$WORK/pack.tsv"
  echo
  echo "Serving:"
  echo
  echo "| server | run | load | requests/s | MiB/s | p50 ms | p99 ms | max ms | non-2xx | socket errors (c/r/w/t) | CPU s | idle VmRSS MiB | peak VmRSS MiB | peak RssAnon MiB | peak RssFile MiB | VmHWM MiB | threads (most) |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  while read -r server rep idle ticks rss hwm anon file threads l rest; do
    declare -A f=()
    for kvp in $rest; do f[${kvp%%=*}]=${kvp#*=}; done
    secs=$(awk -v d="${f[duration_us]}" 'BEGIN {print d / 1e6}')
    echo "| $server | $rep | $l | $(n0 "$(awk -v r="${f[requests]}" -v s="$secs" 'BEGIN {print r / s}')") | $(n0 "$(awk -v b="${f[bytes]}" -v s="$secs" 'BEGIN {print b / s / 1048576}')") | $(ms "${f[p50_us]}") | $(ms "${f[p99_us]}") | $(ms "${f[max_us]}") | ${f[status]} | ${f[connect]}/${f[read]}/${f[write]}/${f[timeout]} | $(f1 "$(awk -v t="$ticks" -v c="$CLK_TCK" 'BEGIN {print t / c}')") | $(mib "$idle") | $(mib "$rss") | $(mib "$anon") | $(mib "$file") | $(mib "$hwm") | $threads |"
    unset f
  done <"$WORK/serve.tsv"
  echo
  echo "Sync (CPU and RSS of the command; for the push, the hub's CPU in the last column):"
  echo
  echo "| way | run | step | load | wall s | CPU s | peak RSS MiB | accepted | duplicates | hub rows after | file bytes / hub CPU s |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|"
  while read -r way rep st wall cpu rss acc dup rows l extra; do
    echo "| $way | $rep | $st | $l | $(f2 "$wall") | $cpu | $(mib "$rss") | $acc | $dup | $rows | $extra |"
  done <"$WORK/sync.tsv"
  echo
  echo "</details>"
  echo
  echo "Commands (paths shortened; the script makes the data dirs, ports are picked at random):"
  echo
  echo '```sh'
  echo "cartable --data-dir HUB import capsules manifest.json --jobs $IMPORT_JOBS --json"
  echo "cartable --data-dir HUB keys init; cartable --data-dir HUB school add $SCHOOL --name …; cartable --data-dir HUB class add bench-class-N --school $SCHOOL --name …; cartable --data-dir HUB enrol learners.csv"
  echo "cartable --data-dir HUB satchel pack --all --school $SCHOOL [--rendition 240p --rendition 360p --rendition 720p --rendition audio] -o X --json"
  echo "tar -C HUB/blobs -cf Y -T LIST          # LIST: bench/satchel-helper.py blobs X HUB/blobs LIST"
  echo "tar -C HUB/blobs -cf Y -T LIST && sync Y"
  echo "cartable --data-dir HUB satchel pack --all --school $SCHOOL --parent V1 -o UPDATE --json"
  echo "cartable --data-dir HUB satchel pack --all --format zim -o bench.zim --json"
  echo "cartable --data-dir BOX serve --satchel box.satchel --listen 127.0.0.1:0"
  echo "kiwix-serve -i 127.0.0.1 -p PORT -t $KIWIX_THREADS bench.zim"
  echo "wrk -t$THREADS -c$CLIENTS -d${DURATION}s --timeout 10s --latency -s bench/satchel-ranges.lua http://127.0.0.1:PORT -- mix.tsv $THREADS"
  echo "cartable --data-dir BOX sync export up.sync --json; cartable --data-dir HUB sync import up.sync --json"
  echo "cartable --data-dir HUB serve --listen 127.0.0.1:0 & cartable --data-dir BOX sync push --hub http://127.0.0.1:PORT --json"
  echo '```'
} >"$MD"
save_report "$MD"
