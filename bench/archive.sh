#!/usr/bin/env bash
# bench/archive.sh — the city archive: import, faceted search, OAI-PMH harvest.
#
# What it measures, each beside a reference in the same run:
#   1. Import of ../shared/data/tate-artworks.csv (69,202 rows, metadata
#      only) with examples/archive/tate.toml into a fresh SQLite database:
#      wall time and peak memory (/usr/bin/time), RUNS runs, median; then a
#      re-import of the same file (nothing changes). Reference: the naive
#      loader of archive-helper.py (Python csv into one SQLite table).
#      Goal: under 30 s and under 300 MB.
#   2. Faceted search, 64 clients (CLIENTS): the example
#      crates/cartable-search/examples/archive_bench (cartable-search's
#      search_archive against SQLite FTS5 with facet tables, in one process);
#      then the real server over HTTP with wrk, every request a different
#      query (so none comes from the response cache). Goal: p99 under 20 ms.
#   3. A full OAI-PMH harvest of every record with Sickle (PyPI): wall time
#      and the server's CPU time. Reference: the same pages, saved, served by
#      nginx to the same client. Goal: under 60 s.
#
# Run:      bench/archive.sh
# Needs:    cargo, wrk, nginx, /usr/bin/time, and a Python with sickle (PYTHON,
#           default ~/.cache/cartable-py/bin/python, which .ci/run makes)
# Settings: RUNS (3), CLIENTS (64), WRK_SECONDS (15, each wrk run),
#           MIX_SECONDS (20, each in-process mix), TATE_CSV,
#           CARGO_TARGET_DIR (honoured by the build)
# Every load is bounded in time; only 127.0.0.1 is a target.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
RUNS=${RUNS:-3}
CLIENTS=${CLIENTS:-64}
SECONDS_EACH=${WRK_SECONDS:-15}
export MIX_SECONDS=${MIX_SECONDS:-20}
TATE_CSV=${TATE_CSV:-$ROOT/../shared/data/tate-artworks.csv}
PYTHON=${PYTHON:-$HOME/.cache/cartable-py/bin/python}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
need_tools wrk nginx /usr/bin/time
[[ -f "$TATE_CSV" ]] || die "no $TATE_CSV: set TATE_CSV"
"$PYTHON" -c "import sickle" 2>/dev/null || die "no Python with sickle at $PYTHON (pip install sickle)"

log "building cartable and the search example (release)"
(cd "$ROOT" && cargo build --release -p cartable --bin cartable && cargo build --release -p cartable-search --example archive_bench) >&2 || die "build failed"
CARTABLE=${CARTABLE:-$TARGET/release/cartable}
make_work
machine_facts
REPORT=$WORK/archive.md
MAPPING=$ROOT/examples/archive/tate.toml

# 1. Import.
imports=() ; rss=() ; refs=()
for run in $(seq "$RUNS"); do
  log "import run $run"
  rm -rf "$WORK/data"
  /usr/bin/time -f "%e %M" -o "$WORK/time" "$CARTABLE" --data-dir "$WORK/data" import archive "$TATE_CSV" --mapping "$MAPPING" >/dev/null 2>"$WORK/import.err" || { cat "$WORK/import.err" >&2; die "import failed"; }
  read -r wall kb <"$WORK/time"
  imports+=("$wall"); rss+=("$kb")
  rm -f "$WORK/ref.db"
  refs+=("$("$PYTHON" "$ROOT/bench/archive-helper.py" load "$TATE_CSV" "$WORK/ref.db")")
done
/usr/bin/time -f "%e %M" -o "$WORK/time" "$CARTABLE" --data-dir "$WORK/data" import archive "$TATE_CSV" --mapping "$MAPPING" >/dev/null 2>&1
read -r again again_kb <"$WORK/time"
import_med=$(printf '%s\n' "${imports[@]}" | median)
rss_med=$(printf '%s\n' "${rss[@]}" | median)
ref_med=$(printf '%s\n' "${refs[@]}" | median)

# 2. Faceted search in process.
log "faceted search: cartable-search against FTS5 (in process)"
CLIENTS=$CLIENTS TATE_CSV=$TATE_CSV "$TARGET/release/examples/archive_bench" >"$WORK/inproc.md" 2>"$WORK/inproc.err" || { cat "$WORK/inproc.err" >&2; die "archive_bench failed"; }

# 2b. Over HTTP.
log "faceted search over HTTP"
start_cartable "$WORK/data" 600
for _ in $(seq 600); do
  total=$(curl -s "$URL/api/v1/archive/search?limit=1" | grep -o '"total":[0-9]*' | cut -d: -f2 || true)
  [[ "$total" == 69202 ]] && break
  sleep 0.5
done
[[ "$total" == 69202 ]] || die "the search index did not reach 69,202 items"
"$PYTHON" "$ROOT/bench/archive-helper.py" paths "$TATE_CSV" 60000 "$WORK/paths" >/dev/null
PATHS=$WORK/paths THREADS=2 wrk -t2 -c"$CLIENTS" -d"${SECONDS_EACH}s" --timeout 10s --latency -s "$ROOT/bench/archive-paths.lua" "$URL" >"$WORK/wrk.txt"
http_rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.txt")
http_p50=$(awk '$1 == "50%" {print $2}' "$WORK/wrk.txt")
http_p99=$(awk '$1 == "99%" {print $2}' "$WORK/wrk.txt")
http_errors=$(grep -E 'Non-2xx|Socket errors' "$WORK/wrk.txt" || echo "none")

# 3. Harvest.
log "OAI-PMH harvest with Sickle"
cpu0=$(cpu_ticks "$CARTABLE_PID")
read -r records harvest_s < <("$PYTHON" "$ROOT/bench/archive-helper.py" harvest "$URL/oai")
cpu1=$(cpu_ticks "$CARTABLE_PID")
harvest_cpu=$(awk -v a="$cpu0" -v b="$cpu1" -v t="$CLK_TCK" 'BEGIN {printf "%.1f", (b - a) / t}')
pages=$("$PYTHON" "$ROOT/bench/archive-helper.py" save "$URL/oai" "$WORK/pages")
port=$((20000 + RANDOM % 20000))
mkdir -p "$WORK/nginx"
NGINX_USER=""
[[ $(id -u) == 0 ]] && NGINX_USER="user root;"
cat >"$WORK/nginx/nginx.conf" <<CONF
$NGINX_USER
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 256; }
http {
  access_log off;
  sendfile on;
  client_body_temp_path $WORK/nginx;
  proxy_temp_path $WORK/nginx;
  fastcgi_temp_path $WORK/nginx;
  uwsgi_temp_path $WORK/nginx;
  scgi_temp_path $WORK/nginx;
  server {
    listen 127.0.0.1:$port;
    root $WORK/pages;
    location = /oai { default_type text/xml; try_files /\$arg_resumptionToken.xml /first.xml; }
  }
}
CONF
nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" -g 'daemon off;' &
NGINX_PID=$!
sleep 0.5
read -r ref_records ref_s < <("$PYTHON" "$ROOT/bench/archive-helper.py" harvest "http://127.0.0.1:$port/oai")
stop_pids "$CARTABLE_PID" "$NGINX_PID"

{
  echo "# The archive: import, faceted search, OAI-PMH harvest"
  echo
  echo "$DATE · $CPU · load $LOAD · $(cartable_version) · wrk $(wrk_version)"
  echo
  echo "Command: \`bench/archive.sh\` (RUNS=$RUNS, CLIENTS=$CLIENTS, WRK_SECONDS=$SECONDS_EACH, MIX_SECONDS=$MIX_SECONDS)."
  echo
  echo "## Import of 69,202 Tate rows (metadata only), median of $RUNS"
  echo
  echo "| | wall | peak memory |"
  echo "|---|---|---|"
  echo "| \`cartable import archive\` (mapping, Dublin Core, collections, history, fresh SQLite) | ${import_med} s | $(mib "$rss_med") MiB |"
  echo "| reference: Python csv → one SQLite table, as is | ${ref_med} s | |"
  echo "| re-import of the same file (nothing changes) | ${again} s | $(mib "$again_kb") MiB |"
  echo
  echo "Runs: ${imports[*]} s; peaks ${rss[*]} KiB; reference ${refs[*]} s."
  echo
  echo "## Faceted search, in process (top 20, total, six facets)"
  echo
  cat "$WORK/inproc.md"
  echo
  echo "## Faceted search over HTTP, every request a different query"
  echo
  echo "wrk -t2 -c$CLIENTS -d${SECONDS_EACH}s over $(wc -l <"$WORK/paths") distinct paths of \`/api/v1/archive/search\` (a title word, alone or with a type, a decade or a range of years)."
  echo
  echo "| requests/s | p50 | p99 | errors |"
  echo "|---|---|---|---|"
  echo "| $http_rps | $http_p50 | $http_p99 | $http_errors |"
  echo
  echo "## Full OAI-PMH harvest with Sickle"
  echo
  echo "| | records | wall | server CPU |"
  echo "|---|---|---|---|"
  echo "| cartable \`/oai\` ($pages pages of 100) | $records | ${harvest_s} s | ${harvest_cpu} s |"
  echo "| reference: the same pages saved, served by nginx | $ref_records | ${ref_s} s | |"
} >"$REPORT"
save_report "$REPORT"
