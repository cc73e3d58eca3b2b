#!/usr/bin/env bash
# bench/catalog.sh — the catalog at national size: 3,000 capsules.
#
# What it measures: the time to import a generated manifest of 3,000
# capsules (30 programmes of 100, every level and subject of the default
# Moroccan taxonomy, in ar/fr/en; the media are a few of the demo's already
# transcoded rendition sets, shared between capsules), cartable's resident
# memory idle with that catalog, then, with wrk at 256 connections on
# loopback, requests/s and latency (p50, p99; the goal is p99 < 20 ms) of
#   - GET /api/v1/capsules with rotating filters (level, subject, level +
#     subject, lang, programme listings, second pages by cursor, a filter
#     that matches nothing), and
#   - the browse pages GET /{fr,ar,en}/browse?level=…&subject=…,
# each without and with `Accept-Encoding: gzip` (what browsers send), and
# the resident memory under that load.
#
# Run:      bench/catalog.sh
# Needs:    wrk, curl, jq (apt-get install -y --no-install-recommends wrk curl jq)
# Settings (environment):
#   CARTABLE     binary (default /root/.cache/cartable-release/release/cartable,
#                then target/release/cartable)
#   CAPSULES     number of capsules (default 3000), in programmes of PER_PROGRAMME (default 100)
#   DURATION     seconds per wrk run (default 15)
#   CONNECTIONS  wrk connections (default 256)
#   REPEAT       runs per mix; medians are reported (default 3)
#   PAUSE        seconds of rest between runs (default 5)
#   LOW_DURATION seconds of one extra run per mix at a single connection,
#                which shows the time of one request without queueing
#                (default 5; 0 skips it)
#   IMPORT_JOBS  --jobs of the import (default 2)
#   COLD         distinct start cursors in the cold mixes (default 2000)
# Every load is bounded by wrk's -d (and a timeout around wrk); everything
# lives in a mktemp -d removed on exit, and the server is stopped then.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
find_cartable
CAPSULES=${CAPSULES:-3000}
PER_PROGRAMME=${PER_PROGRAMME:-100}
DURATION=${DURATION:-15}
CONNECTIONS=${CONNECTIONS:-256}
REPEAT=${REPEAT:-3}
PAUSE=${PAUSE:-5}
LOW_DURATION=${LOW_DURATION:-5}
COLD=${COLD:-2000}
IMPORT_JOBS=${IMPORT_JOBS:-2}
THREADS=2
TAXONOMY="$ROOT/crates/cartable-core/taxonomy/morocco.toml"
need_tools wrk curl jq awk
ulimit -n 20000

make_work
CARTABLE_PID=""
SAMPLER_PID=""

log "binary: $CARTABLE"
log "work dir: $WORK"

# ---------------------------------------------------------------- manifest ---
mkdir -p "$WORK/set/media" "$WORK/data"
MEDIA_DIRS=()
for dir in "$ROOT"/demo/media/*/; do
  name=$(basename "$dir")
  [[ -f "$dir/renditions.json" ]] || continue
  cp -r "$dir" "$WORK/set/media/$name"
  MEDIA_DIRS+=("media/$name")
  ((${#MEDIA_DIRS[@]} < 4)) || break
done
((${#MEDIA_DIRS[@]} > 0)) || die "no rendition set in demo/media"
LEVELS=$(awk '/^\[\[/ {t = $0} t == "[[level]]" && /^id *=/ {gsub(/"/, "", $3); print $3}' "$TAXONOMY" | jq -R . | jq -sc .)
SUBJECTS=$(awk '/^\[\[/ {t = $0} t == "[[subject]]" && /^id *=/ {gsub(/"/, "", $3); print $3}' "$TAXONOMY" | jq -R . | jq -sc .)
N_LEVELS=$(jq length <<<"$LEVELS")
N_SUBJECTS=$(jq length <<<"$SUBJECTS")
((N_LEVELS > 0 && N_SUBJECTS > 0)) || die "cannot read levels and subjects from $TAXONOMY"
PROGRAMMES=$(((CAPSULES + PER_PROGRAMME - 1) / PER_PROGRAMME))
# Programme p has level p mod #levels and subject p mod #subjects (distinct
# pairs for the first lcm of the two); its capsules share them. Capsule
# languages rotate ar, fr, en; every capsule has titles and a summary in all
# three.
jq -n --argjson n "$CAPSULES" --argjson per "$PER_PROGRAMME" --argjson np "$PROGRAMMES" \
  --argjson levels "$LEVELS" --argjson subjects "$SUBJECTS" \
  --argjson media "$(printf '%s\n' "${MEDIA_DIRS[@]}" | jq -R . | jq -sc .)" '
  def level($p): $levels[$p % ($levels | length)];
  def subject($p): $subjects[$p % ($subjects | length)];
  def langs: ["ar", "fr", "en"];
  {
    programmes: [range(0; $np) as $p | {
      id: "prog-\($p + 1)",
      titles: {ar: "البرنامج رقم \($p + 1)", fr: "Programme numéro \($p + 1)", en: "Programme number \($p + 1)"},
      summaries: {fr: "Une suite de cent leçons courtes, dans l’ordre.", en: "A sequence of a hundred short lessons, in order."},
      level: level($p),
      subject: subject($p)
    }],
    capsules: [range(0; $n) as $i | (($i / $per) | floor) as $p | {
      id: "capsule-\($i + 1)",
      lang: langs[$i % 3],
      titles: {
        ar: "الدرس \($i % $per + 1) من البرنامج \($p + 1): مفهوم أساسي",
        fr: "Leçon \($i % $per + 1) du programme \($p + 1) : une notion de base",
        en: "Lesson \($i % $per + 1) of programme \($p + 1): a basic idea"
      },
      summaries: {
        ar: "نشرح في هذا الدرس القصير فكرة واحدة بمثال بسيط، ثم نلخص ما يجب تذكره. المدة بضع دقائق.",
        fr: "Cette courte leçon explique une seule idée avec un exemple simple, puis résume ce qu’il faut retenir. Elle dure quelques minutes.",
        en: "This short lesson explains one idea with a simple example, then sums up what to remember. It lasts a few minutes."
      },
      level: level($p),
      subject: subject($p),
      programme: "prog-\($p + 1)",
      position: ($i % $per + 1),
      media: $media[$i % ($media | length)],
      tags: ["bench", "week-\($i % 30 + 1)"]
    }]
  }' >"$WORK/set/manifest.json"
log "manifest: $CAPSULES capsules, $PROGRAMMES programmes, $N_LEVELS levels, $N_SUBJECTS subjects, ${#MEDIA_DIRS[@]} shared rendition sets"

# ---------------------------------------------------------------- import ---
log "importing (--jobs $IMPORT_JOBS)"
t0=$(now)
"$CARTABLE" --data-dir "$WORK/data" import capsules "$WORK/set/manifest.json" --jobs "$IMPORT_JOBS" \
  >"$WORK/import.out" 2>"$WORK/import.err" || { tail -20 "$WORK/import.err" >&2; die "import failed"; }
IMPORT_S=$(since "$t0")
IMPORT_SUMMARY=$(grep -E 'imported' "$WORK/import.err" | tail -1)
log "import: ${IMPORT_S} s ($IMPORT_SUMMARY)"
t0=$(now)
"$CARTABLE" --data-dir "$WORK/data" import capsules "$WORK/set/manifest.json" --jobs "$IMPORT_JOBS" \
  >"$WORK/reimport.out" 2>"$WORK/reimport.err" || { tail -20 "$WORK/reimport.err" >&2; die "re-import failed"; }
REIMPORT_S=$(since "$t0")
REIMPORT_SUMMARY=$(grep -E 'imported' "$WORK/reimport.err" | tail -1)
log "re-import of the same manifest: ${REIMPORT_S} s ($REIMPORT_SUMMARY)"
DATA_SIZE=$(du -sh "$WORK/data" | cut -f1)

# ---------------------------------------------------------------- server ---
start_cartable "$WORK/data"
[[ "$SERVED" == "$CAPSULES" ]] || die "cartable serves $SERVED capsules, expected $CAPSULES"
log "cartable at $URL (pid $CARTABLE_PID): $BANNER"
sleep 3
IDLE_RSS=$(rss_kb "$CARTABLE_PID")
log "idle with $CAPSULES capsules: VmRSS $(mib "$IDLE_RSS") MiB"

# ---------------------------------------------------------------- the mixes ---
lvl() { jq -r ".[$1 % $N_LEVELS]" <<<"$LEVELS"; }
sub() { jq -r ".[$1 % $N_SUBJECTS]" <<<"$SUBJECTS"; }
API=()
for p in 0 3 7 11 16 22 27; do API+=("/api/v1/capsules?level=$(lvl $p)&subject=$(sub $p)"); done
for p in 1 5 9 13; do API+=("/api/v1/capsules?level=$(lvl $p)"); done
for p in 2 8 15; do API+=("/api/v1/capsules?subject=$(sub $p)"); done
API+=("/api/v1/capsules?lang=ar" "/api/v1/capsules?level=$(lvl 4)&lang=fr" "/api/v1/capsules?subject=$(sub 6)&lang=en")
for p in 1 10 20 30; do ((p <= PROGRAMMES)) && API+=("/api/v1/capsules?programme=prog-$p"); done
API+=("/api/v1/capsules?programme=prog-$(((PROGRAMMES + 1) / 2))&limit=100")
API+=("/api/v1/capsules")
# A level and subject no programme pairs: an empty answer.
API+=("/api/v1/capsules?level=$(lvl 0)&subject=$(sub 1)")
# Second pages, by the cursor the first pages give.
for first in "/api/v1/capsules?level=$(lvl 3)" "/api/v1/capsules?programme=prog-2" "/api/v1/capsules?lang=en"; do
  cursor=$(curl -sf "$URL$first" | jq -r '.next_cursor // empty') || die "GET $first failed"
  [[ -n "$cursor" ]] && API+=("$first&cursor=$(jq -rn --arg c "$cursor" '$c | @uri')")
done
BROWSE=()
for p in 0 2 4 6 8 10 12; do BROWSE+=("/fr/browse?level=$(lvl $p)"); done
for p in 1 5 9 14 19; do BROWSE+=("/fr/browse?level=$(lvl $p)&subject=$(sub $p)"); done
BROWSE+=("/ar/browse?level=$(lvl 3)" "/en/browse?level=$(lvl 7)&subject=$(sub 7)" "/fr/browse?subject=$(sub 4)" "/fr/browse")

# Every URL must answer 200 before it goes into a mix; remember sizes.
check_urls() {
  local name=$1; shift
  local path code size total=0 n=0 counts=""
  for path in "$@"; do
    read -r code size < <(curl -s -o "$WORK/body" -w '%{http_code} %{size_download}\n' "$URL$path")
    [[ "$code" == 200 ]] || { head -c 500 "$WORK/body" >&2; echo >&2; die "GET $path answered $code"; }
    if [[ $name == api ]]; then counts+="$(jq '.capsules | length' "$WORK/body") "; fi
    total=$((total + size)); n=$((n + 1))
  done
  echo "$((total / n))"
  [[ $name == api ]] && log "capsules per API answer: $counts"
  return 0
}
API_MEAN=$(check_urls api "${API[@]}")
BROWSE_MEAN=$(check_urls browse "${BROWSE[@]}")
gz_mean() {
  local path total=0 n=0 size
  for path in "$@"; do
    size=$(curl -s -H 'Accept-Encoding: gzip' -o /dev/null -w '%{size_download}' "$URL$path")
    total=$((total + size)); n=$((n + 1))
  done
  echo "$((total / n))"
}
API_GZ_MEAN=$(gz_mean "${API[@]}")
BROWSE_GZ_MEAN=$(gz_mean "${BROWSE[@]}")
log "API mix: ${#API[@]} URLs, mean answer $API_MEAN bytes ($API_GZ_MEAN gzip); browse mix: ${#BROWSE[@]} URLs, mean $BROWSE_MEAN bytes ($BROWSE_GZ_MEAN gzip)"

# lua NAME GZIP PATH…: a wrk script that sends PATHs in turn.
lua() {
  local name=$1 gzip=$2; shift 2
  {
    echo "-- Made by bench/catalog.sh."
    echo "local paths = {"
    printf '  "%s",\n' "$@"
    echo "}"
    echo "local gzip = $gzip"
    cat <<'EOF'
local formatted = {}
local next_offset = 0
function setup(thread)
  thread:set("offset", next_offset)
  next_offset = next_offset + 3
end
local i = 0
function init(args)
  local headers = {}
  if gzip then headers["Accept-Encoding"] = "gzip" end
  for k, p in ipairs(paths) do formatted[k] = wrk.format("GET", p, headers) end
  i = (offset or 0) % #formatted
end
function request()
  i = i % #formatted + 1
  return formatted[i]
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d bytes=%d p50_us=%d p99_us=%d max_us=%d connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
EOF
  } >"$WORK/$name.lua"
}
lua api false "${API[@]}"
lua api-gzip true "${API[@]}"
lua browse false "${BROWSE[@]}"
lua browse-gzip true "${BROWSE[@]}"
# Cold mixes: a page of the catalog starting after each of COLD capsules, so
# that nearly every request misses cartable's 2-second response cache and
# pays for SQL, JSON or the template.
mapfile -t COLD_IDS < <(jq -r '.capsules[].id' "$WORK/set/manifest.json" | shuf -n "$COLD" --random-source=<(yes))
API_COLD=() BROWSE_COLD=()
for id in "${COLD_IDS[@]}"; do
  API_COLD+=("/api/v1/capsules?cursor=i.$id")
  BROWSE_COLD+=("/fr/browse?cursor=i.$id")
done
check_urls api "${API_COLD[@]:0:5}" >/dev/null
check_urls browse "${BROWSE_COLD[@]:0:5}" >/dev/null
lua api-cold false "${API_COLD[@]}"
lua browse-cold false "${BROWSE_COLD[@]}"
MIXES="api browse api-gzip browse-gzip api-cold browse-cold"

# ---------------------------------------------------------------- load ---
: >"$WORK/results.tsv"
# run MIX REP [CONNECTIONS DURATION]: one wrk run; appends a line to results.tsv.
run() {
  local mix=$1 rep=$2 conns=${3:-$CONNECTIONS} secs=${4:-$DURATION} out before after line threads=$THREADS
  ((conns >= THREADS)) || threads=$conns
  out="$WORK/wrk-$mix-$rep.txt"
  before=$(cpu_ticks "$CARTABLE_PID")
  if [[ $rep != low ]]; then
    ( sleep $((secs - 1)); rss_kb "$CARTABLE_PID" >"$WORK/rss-$mix-$rep" ) &
    SAMPLER_PID=$!
  fi
  timeout $((secs + 60)) wrk -t"$threads" -c"$conns" -d"${secs}s" --timeout 10s --latency \
    -s "$WORK/$mix.lua" "$URL" >"$out" 2>&1 || { cat "$out" >&2; die "wrk failed ($mix)"; }
  if [[ -n "$SAMPLER_PID" ]]; then wait "$SAMPLER_PID" || true; SAMPLER_PID=""; fi
  after=$(cpu_ticks "$CARTABLE_PID")
  kill -0 "$CARTABLE_PID" 2>/dev/null || { tail -20 "$WORK/cartable.err" >&2; die "cartable died under load"; }
  line=$(grep '^BENCH ' "$out") || { cat "$out" >&2; die "no result from wrk ($mix)"; }
  echo "$mix $rep $((after - before)) ${line#BENCH }" >>"$WORK/results.tsv"
  log "$(printf '%-12s run %s: %s' "$mix" "$rep" "$(grep -E 'Requests/sec|  99%' "$out" | tr -s ' ' | tr '\n' ' ')")"
  if grep -q 'Non-2xx' "$out"; then log "WARNING: $(grep 'Non-2xx' "$out") ($mix)"; fi
  if grep -q 'Socket errors' "$out"; then log "WARNING: $(grep 'Socket errors' "$out") ($mix)"; fi
}
for rep in $(seq "$REPEAT"); do
  for mix in $MIXES; do
    sleep "$PAUSE"
    run "$mix" "$rep"
  done
done
if ((LOW_DURATION > 0)); then
  for mix in $MIXES; do
    sleep 1
    run "$mix" low 1 "$LOW_DURATION"
  done
fi
HWM=$(hwm_kb "$CARTABLE_PID")

# ---------------------------------------------------------------- report ---
# field MIX EXPR: EXPR over the key=value fields of every run of MIX, one per line.
field() {
  awk -v m="$1" -v t="$CLK_TCK" -v low="${3:-}" '$1 == m && (($2 == "low") == (low != "")) {for (i = 4; i <= NF; i++) {split($i, a, "="); f[a[1]] = a[2]} f["cpu"] = $3 / t; f["rps"] = f["requests"] / (f["duration_us"] / 1e6); f["cpu_ms"] = 1000 * f["cpu"] / f["requests"]; print f["'"$2"'"]}' "$WORK/results.tsv"
}
med() { field "$1" "$2" | median; }
errs() { awk -v m="$1" '$1 == m && $2 != "low" {for (i = 4; i <= NF; i++) {split($i, a, "="); f[a[1]] = a[2]} s += f["status"]; e += f["connect"] + f["read"] + f["write"] + f["timeout"]} END {printf "%d / %d", s, e}' "$WORK/results.tsv"; }
kb() { awk -v b="$1" 'BEGIN {printf "%.1f", b / 1024}'; }
rps0() { awk -v v="$1" 'BEGIN {printf "%.0f", v}'; }
goal() { awk -v u="$1" 'BEGIN {print (u < 20000 ? "yes" : "no")}'; }

VERSION=$(cartable_version)
WRK_VERSION=$(wrk_version)
machine_facts
MD="$WORK/catalog.md"
{
  echo "## Catalog at national size: $CAPSULES capsules"
  echo
  echo "Measured $DATE on $(nproc) cores ($CPU), Linux $(uname -r), $VERSION, SQLite (the default), wrk $WRK_VERSION; load average at the end $LOAD."
  echo "Medians of $REPEAT runs of ${DURATION} s per mix, wrk with $THREADS threads and $CONNECTIONS connections on the same machine."
  echo
  echo "Catalog: $CAPSULES capsules in $PROGRAMMES programmes of $PER_PROGRAMME, over the $N_LEVELS levels and $N_SUBJECTS subjects of the default taxonomy, languages ar/fr/en in turn, titles and summaries in all three; media shared from ${#MEDIA_DIRS[@]} demo rendition sets. Data dir after import: $DATA_SIZE."
  echo
  echo "| step | time |"
  echo "|---|---|"
  echo "| import of the manifest into an empty data dir (\`--jobs $IMPORT_JOBS\`) | ${IMPORT_S} s ($IMPORT_SUMMARY) |"
  echo "| the same import again (nothing changed) | ${REIMPORT_S} s ($REIMPORT_SUMMARY) |"
  echo
  echo "Mixes, one URL after the other on every connection:"
  echo "- **API**: ${#API[@]} listings of \`GET /api/v1/capsules\` (level + subject, level, subject, lang, level/subject + lang, programme listings incl. \`limit=100\`, unfiltered, a filter that matches nothing, second pages by cursor); mean answer $(kb "$API_MEAN") KiB ($(kb "$API_GZ_MEAN") KiB gzip)."
  echo "- **browse**: ${#BROWSE[@]} pages \`GET /{fr,ar,en}/browse?level=…[&subject=…]\`; mean page $(kb "$BROWSE_MEAN") KiB ($(kb "$BROWSE_GZ_MEAN") KiB gzip)."
  echo "- **api-cold**, **browse-cold**: ${#API_COLD[@]} distinct pages each (\`GET /api/v1/capsules?cursor=…\`, \`GET /fr/browse?cursor=…\`), so that almost every request misses the 2-second response cache: the cost of SQL, JSON and templates."
  echo "- The others repeat few URLs, as a national audience repeats the popular pages: almost every request is a response-cache hit."
  echo
  echo "| mix | Accept-Encoding | requests/s | p50 ms | p99 ms | max ms | p99 < 20 ms | non-2xx / socket errors | cartable CPU s per run | cartable CPU ms per request |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  for mix in $MIXES; do
    enc=none; [[ $mix == *-gzip ]] && enc=gzip
    p99=$(med "$mix" p99_us)
    echo "| ${mix%-gzip} | $enc | $(rps0 "$(med "$mix" rps)") | $(ms "$(med "$mix" p50_us)") | $(ms "$p99") | $(ms "$(med "$mix" max_us)") | $(goal "$p99") | $(errs "$mix") | $(awk -v c="$(med "$mix" cpu)" 'BEGIN {printf "%.1f", c}') | $(awk -v c="$(med "$mix" cpu_ms)" 'BEGIN {printf "%.2f", c}') |"
  done
  if ((LOW_DURATION > 0)); then
    echo
    echo "The same mixes at a single connection (${LOW_DURATION} s, one run each): the time of one request when nothing waits in a queue."
    echo
    echo "| mix | Accept-Encoding | requests/s | p50 ms | p99 ms | cartable CPU ms per request |"
    echo "|---|---|---|---|---|---|"
    for mix in $MIXES; do
      enc=none; [[ $mix == *-gzip ]] && enc=gzip
      echo "| ${mix%-gzip} | $enc | $(rps0 "$(field "$mix" rps low | median)") | $(ms "$(field "$mix" p50_us low | median)") | $(ms "$(field "$mix" p99_us low | median)") | $(awk -v c="$(field "$mix" cpu_ms low | median)" 'BEGIN {printf "%.2f", c}') |"
    done
  fi
  echo
  echo "Resident memory of cartable (VmRSS): idle with $CAPSULES capsules $(mib "$IDLE_RSS") MiB;"
  for mix in $MIXES; do
    vals=$(for rep in $(seq "$REPEAT"); do cat "$WORK/rss-$mix-$rep" 2>/dev/null || true; done | median)
    echo "at the end of the ${mix} load $(mib "$vals") MiB (median);"
  done
  echo "peak (VmHWM) over the whole run $(mib "$HWM") MiB."
  echo
  echo "<details><summary>Every run</summary>"
  echo
  echo "| mix | run | requests/s | p50 ms | p99 ms | max ms | non-2xx | socket errors (connect/read/write/timeout) |"
  echo "|---|---|---|---|---|---|---|---|"
  while read -r mix rep cpu rest; do
    declare -A f=()
    for kvp in $rest; do f[${kvp%%=*}]=${kvp#*=}; done
    echo "| $mix | $rep | $(rps0 "$(awk -v r="${f[requests]}" -v d="${f[duration_us]}" 'BEGIN {print r / (d / 1e6)}')") | $(ms "${f[p50_us]}") | $(ms "${f[p99_us]}") | $(ms "${f[max_us]}") | ${f[status]} | ${f[connect]}/${f[read]}/${f[write]}/${f[timeout]} |"
    unset f
  done <"$WORK/results.tsv"
  echo
  echo "</details>"
  echo
  echo "Command:"
  echo
  echo '```sh'
  echo "bench/catalog.sh   # CAPSULES=$CAPSULES DURATION=$DURATION CONNECTIONS=$CONNECTIONS REPEAT=$REPEAT LOW_DURATION=$LOW_DURATION"
  echo "# each run: wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --timeout 10s --latency -s <mix>.lua http://127.0.0.1:<port>"
  echo '```'
} >"$MD"
save_report "$MD"
