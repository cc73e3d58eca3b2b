#!/usr/bin/env bash
# bench/xapi.sh — the LRS at /xapi/: statement ingest against Ralph, and
# statement queries over 5 million stored statements.
#
# What it measures:
#   - ingest: POST /xapi/statements in batches of 1 (a bare statement) and
#     of 100 (an array), CONNECTIONS (64) concurrent clients, DURATION
#     seconds per run, REPEAT runs each, on cartable (SQLite, the default
#     config, a fresh data dir per run) and, in the same run and with the
#     same statements, on Ralph 5.1 (PyPI ralph-malph, its fs backend — the
#     only one that needs no database server — a fresh directory per run,
#     uvicorn on 127.0.0.1, access log off). Statements/s (2xx answers ×
#     batch size), requests/s, p50/p99/max latency, non-2xx answers and
#     socket errors, the server's CPU time and per-thread CPU, the client's
#     (wrk) CPU time, how busy the 2 cores were, cartable's peak resident
#     memory, and the ratio cartable/Ralph. After each run the statements
#     stored (rows of xapi_statements; lines of Ralph's fs_lrs.jsonl) must
#     equal those acknowledged, plus at most the requests still in flight
#     when wrk stopped (CONNECTIONS × batch).
#   - load: QUERY_TOTAL (5,000,000) statements into a fresh cartable data
#     dir through the HTTP API, LOAD_CLIENTS (4) clients posting batches of
#     LOAD_BATCH (1000), bounded by LOAD_SECONDS; time, rate (and the rate
#     per 30 s sample, to see it fall as the store grows), size on disk.
#   - queries over that store, CONNECTIONS clients, DURATION s, REPEAT runs:
#     GET /xapi/statements?agent=<random learner>&limit=10, the same with
#     the default limit (the server's page size), ?activity=<random
#     capsule>&limit=10: requests/s, p50/p99/max (goal p99 < 50 ms), CPU
#     per query, memory. Ralph's fs backend reads its whole file for every
#     query, so Ralph is queried only on what its last ingest run (batch
#     100) stored, once per mix; the report says how many statements that
#     is.
#
# Statements: bench/xapi-gen.py makes a pool of POOL (30,000) realistic
# statements without ids (10,000 learners as account agents on
# https://cartable.example, ADL's experienced/progressed/completed,
# capsules https://cartable.example/capsules/cNNNN with a definition,
# result.extensions with the video profile's time, context registration
# and the programme as parent activity); the wrk script sends pool
# statements drawn at random, each with a fresh random version-4 UUID (74
# random bits, then the wrk thread and a per-thread counter, so no id
# repeats within a run: a re-sent id would be a no-op in cartable). The
# random draws are seeded per mix and run, so cartable and Ralph get the
# same sequence of statements.
#
# Run:      bench/xapi.sh
# Needs:    wrk, curl, jq, python3 (with venv and pip), sqlite3
#           (apt-get install -y --no-install-recommends wrk curl jq sqlite3)
#           and PyPI for Ralph the first time (a venv in RALPH_VENV).
# Settings (environment):
#   CARTABLE       binary (default /root/.cache/cartable-release/release/cartable,
#                  then target/release/cartable)
#   DURATION       seconds per wrk run (default 15)
#   REPEAT         runs per case; medians are reported (default 3)
#   PAUSE          seconds of rest between runs (default 5)
#   CONNECTIONS    wrk connections (default 64)
#   BATCHES        statements per POST in the ingest runs (default "1 100")
#   POOL           pool of distinct statement bodies (default 30000)
#   LEARNERS       learners (default 10000)
#   CAPSULES       capsules (default 3000), in programmes of PER_PROGRAMME (100)
#   QUERIES        distinct query strings per query mix (default 2000)
#   QUERY_TOTAL    statements loaded for the queries (default 5000000; 0
#                  skips the load and the cartable queries)
#   LOAD_BATCH     statements per POST while loading (default 1000)
#   LOAD_CLIENTS   connections while loading (default 4)
#   LOAD_SECONDS   the most the load may take (default 2400)
#   RALPH          1 to compare with Ralph (default 1; 0 skips it)
#   RALPH_VENV     Ralph's virtualenv (default /root/.cache/ralph-venv; made
#                  with pip install "ralph-malph[lrs,cli]==5.1.0" requests
#                  when it lacks Ralph)
# Every load is bounded by wrk's -d (and a timeout around wrk, or a bounded
# wait and SIGINT for the load); everything lives in a mktemp -d removed on
# exit (the 5M store takes several GB there), and the servers are stopped
# then. Servers listen on 127.0.0.1 only.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
find_cartable
DURATION=${DURATION:-15}
REPEAT=${REPEAT:-3}
PAUSE=${PAUSE:-5}
CONNECTIONS=${CONNECTIONS:-64}
BATCHES=${BATCHES:-1 100}
POOL=${POOL:-30000}
LEARNERS=${LEARNERS:-10000}
CAPSULES=${CAPSULES:-3000}
PER_PROGRAMME=${PER_PROGRAMME:-100}
QUERIES=${QUERIES:-2000}
QUERY_TOTAL=${QUERY_TOTAL:-5000000}
LOAD_BATCH=${LOAD_BATCH:-1000}
LOAD_CLIENTS=${LOAD_CLIENTS:-4}
LOAD_SECONDS=${LOAD_SECONDS:-2400}
RALPH=${RALPH:-1}
RALPH_VENV=${RALPH_VENV:-/root/.cache/ralph-venv}
RALPH_SPEC='ralph-malph[lrs,cli]==5.1.0'
THREADS=2
MIXES="agent10 agent activity10"
need_tools wrk curl jq awk python3 sqlite3 base64 timeout
((CONNECTIONS >= THREADS && LOAD_CLIENTS >= THREADS)) || die "CONNECTIONS and LOAD_CLIENTS must be at least $THREADS"
ulimit -n 20000

make_work
CARTABLE_PID=""
SAMPLER_PID=""
RALPH_PID=""
WRK_PID=""
# Also stops Ralph and a loading wrk (lib.sh's cleanup knows neither).
cleanup() {
  stop_pids "${SAMPLER_PID:-}" "${WRK_PID:-}" "${CARTABLE_PID:-}" "${RALPH_PID:-}"
  rm -rf "$WORK"
}

# A copy of the binary, so that a build during the run cannot change it.
CARTABLE_SOURCE=$CARTABLE
cp "$CARTABLE" "$WORK/cartable"
CARTABLE="$WORK/cartable"
CARTABLE_SHA=$(sha256sum "$CARTABLE" | cut -c1-12)
log "binary: $CARTABLE_SOURCE (sha256 $CARTABLE_SHA…)"
log "work dir: $WORK"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- statements ---
log "generating $POOL statements ($LEARNERS learners, $CAPSULES capsules) and $QUERIES queries per mix"
python3 "$ROOT/bench/xapi-gen.py" "$WORK" "$POOL" "$LEARNERS" "$CAPSULES" "$PER_PROGRAMME" "$QUERIES" \
  || die "bench/xapi-gen.py failed"
POOL_BYTES=$(($(wc -c <"$WORK/pool.jsonl") / $(wc -l <"$WORK/pool.jsonl")))
log "pool: $(wc -l <"$WORK/pool.jsonl") statements, about $POOL_BYTES bytes each (+ the id)"

# The ingest script. Arguments after --: statements path, batch size, seed,
# pool file, Authorization value, and for a load bounded in count: the
# POSTs per thread and a path prefix for the marker files written by
# threads that are done.
cat >"$WORK/ingest.lua" <<'EOF'
-- Made by bench/xapi.sh: POST statements, each with a fresh random id.
local threads = {}
local thread_count = 0
function setup(thread)
  thread:set("index", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end
local random = math.random
local pool = {}
local headers = {}
local path, batch, quota, quota_sent, done_prefix, about
local count, sent = 0, 0
-- A version-4 UUID: 74 random bits, then this thread's number and its
-- counter, so that no id repeats within a run.
local function uuid()
  count = count + 1
  return string.format("%04x%04x-%04x-4%03x-%04x-%02x%010x",
    random(0, 65535), random(0, 65535), random(0, 65535), random(0, 4095),
    random(32768, 49151), index, count)
end
-- Pool lines are JSON objects without their opening brace.
local function statement()
  return '{"id":"' .. uuid() .. '",' .. pool[random(#pool)]
end
function init(args)
  path = args[1]
  batch = tonumber(args[2])
  math.randomseed(tonumber(args[3]) * 256 + index)
  for line in io.lines(args[4]) do pool[#pool + 1] = string.sub(line, 2) end
  headers["Authorization"] = args[5]
  headers["X-Experience-API-Version"] = "1.0.3"
  headers["Content-Type"] = "application/json"
  quota = tonumber(args[6] or "0")
  -- wrk calls request() once on the first thread to check the script,
  -- and sends nothing then.
  if quota > 0 and index == 0 then quota_sent = quota + 1 else quota_sent = quota end
  done_prefix = args[7]
  if quota > 0 then
    posted_ok = 0
    posted_bad = 0
    -- Once its POSTs are all sent, a thread asks for About (harmless)
    -- until their answers are in, then stops.
    about = wrk.format("GET", string.gsub(path, "statements$", "about"),
      {["X-Experience-API-Version"] = "1.0.3"})
    response = function(status, hdrs, body)
      if status == 200 and string.byte(body, 1) == 123 then return end
      if status == 200 then posted_ok = posted_ok + 1 else posted_bad = posted_bad + 1 end
      if posted_ok + posted_bad >= quota then
        local f = io.open(done_prefix .. index, "w")
        if f then f:close() end
        wrk.thread:stop()
      end
    end
  end
end
function request()
  if quota > 0 and sent >= quota_sent then return about end
  sent = sent + 1
  local body
  if batch == 1 then
    body = statement()
  else
    local parts = {}
    for k = 1, batch do parts[k] = statement() end
    body = "[" .. table.concat(parts, ",") .. "]"
  end
  return wrk.format("POST", path, headers, body)
end
function done(summary, latency, requests)
  local ok, bad = 0, 0
  for _, t in ipairs(threads) do
    ok = ok + (t:get("posted_ok") or 0)
    bad = bad + (t:get("posted_bad") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d status=%d connect=%d read=%d write=%d timeout=%d posted_ok=%d posted_bad=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    e.status, e.connect, e.read, e.write, e.timeout, ok, bad))
end
EOF

# The query script: GET <statements path><query string> for the query
# strings of a file in turn. Arguments: statements path, file, Authorization.
cat >"$WORK/query.lua" <<'EOF'
-- Made by bench/xapi.sh: GET statements with the queries of a file in turn.
local next_offset = 0
function setup(thread)
  thread:set("offset", next_offset)
  next_offset = next_offset + 7
end
local formatted = {}
local i = 0
function init(args)
  local headers = {}
  headers["Authorization"] = args[3]
  headers["X-Experience-API-Version"] = "1.0.3"
  for line in io.lines(args[2]) do
    formatted[#formatted + 1] = wrk.format("GET", args[1] .. line, headers)
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
    "BENCH requests=%d duration_us=%d bytes=%d p50_us=%d p99_us=%d max_us=%d status=%d connect=%d read=%d write=%d timeout=%d posted_ok=0 posted_bad=0\n",
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(99), latency.max,
    e.status, e.connect, e.read, e.write, e.timeout))
end
EOF

# ---------------------------------------------------------------- helpers ---
# Per-thread CPU ticks of a process: "tid name ticks" lines.
thread_ticks() {
  local t
  for t in /proc/"$1"/task/*/stat; do
    sed -E 's/^([0-9]+) \((.*)\) (.*)$/\1 \2|\3/' "$t" 2>/dev/null || true
  done | awk -F'|' '{tid = $1; sub(/ .*/, "", tid); name = substr($1, length(tid) + 2); gsub(/ /, "_", name); split($2, f, " "); print tid, name, f[12] + f[13]}'
}
# thread_cpu BEFORE AFTER: "name threads seconds" per thread name, the most first.
thread_cpu() {
  awk -v t="$CLK_TCK" 'NR == FNR {b[$1] = $3; next} {d = $3 - b[$1]; s[$2] += d; n[$2]++} END {for (k in s) if (s[k] > 0) printf "%s %d %.2f\n", k, n[k], s[k] / t}' "$1" "$2" | sort -k3,3gr
}
# The two cores' busy and total ticks, from /proc/stat.
cpu_busy() { awk '/^cpu / {t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t}' /proc/stat; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
count_rows() { sqlite3 -cmd '.timeout 10000' "$1/cartable.db" 'SELECT count(*) FROM xapi_statements;'; }

# new_cartable DIR: a fresh data dir with an LRS key; starts cartable on it
# and sets AUTH (the Authorization value).
new_cartable() {
  mkdir -p "$1"
  "$CARTABLE" --data-dir "$1" lrs key add bench --scope all --json >"$1.key.json" 2>"$WORK/key.err" \
    || { cat "$WORK/key.err" >&2; die "cartable lrs key add failed"; }
  local key secret
  key=$(jq -r .key "$1.key.json")
  secret=$(jq -r .secret "$1.key.json")
  [[ -n "$key" && -n "$secret" && "$key" != null ]] || die "no key in the output of cartable lrs key add"
  AUTH="Basic $(printf '%s:%s' "$key" "$secret" | base64 -w0)"
  start_cartable "$1"
  CARTABLE_AUTH=$AUTH
}

# ---------------------------------------------------------------- Ralph ---
RALPH_VERSION=""
if ((RALPH)); then
  if ! "$RALPH_VENV/bin/python" -c 'import ralph.backends.lrs.fs, ralph.cli, fastapi, requests, uvicorn' 2>/dev/null; then
    log "installing Ralph into $RALPH_VENV ($RALPH_SPEC)"
    python3 -m venv "$RALPH_VENV" || die "python3 -m venv failed"
    timeout 900 "$RALPH_VENV/bin/pip" install -q "$RALPH_SPEC" requests || die "pip install $RALPH_SPEC failed"
  fi
  RALPH_VERSION=$("$RALPH_VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("ralph-malph"))')
  # The launcher: Ralph's fs data backend creates its file on the first
  # write and refuses every later one unless writes append.
  cat >"$WORK/ralph_launch.py" <<'EOF'
"""Ralph's LRS on its fs backend, appending (made by bench/xapi.sh)."""
import sys

import uvicorn
from ralph.backends.data.base import BaseOperationType
from ralph.backends.lrs.fs import FSLRSBackend

FSLRSBackend.default_operation_type = BaseOperationType.APPEND
uvicorn.run("ralph.api:app", host="127.0.0.1", port=int(sys.argv[1]),
            log_level="warning", access_log=False)
EOF
  RALPH_SECRET=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
  mkdir -p "$WORK/ralph-app"
  # Ralph's Basic credentials: an auth.json with a bcrypt hash, made by its CLI.
  RALPH_AUTH_FILE="$WORK/ralph-app/auth.json" RALPH_APP_DIR="$WORK/ralph-app" RALPH_RUNSERVER_BACKEND=fs \
    "$RALPH_VENV/bin/ralph" auth -u bench -p "$RALPH_SECRET" -s all -A bench "https://cartable.example/xapi/keys" -w \
    >"$WORK/ralph-auth.out" 2>&1 || { cat "$WORK/ralph-auth.out" >&2; die "ralph auth failed"; }
  RALPH_AUTH="Basic $(printf 'bench:%s' "$RALPH_SECRET" | base64 -w0)"
  log "Ralph $RALPH_VERSION in $RALPH_VENV"
fi

# start_ralph DIR: Ralph on a fresh fs directory DIR/fs, its history file
# in DIR; sets RALPH_PID and RALPH_URL.
start_ralph() {
  local dir=$1 port
  mkdir -p "$dir/fs"
  port=$(free_port)
  (cd "$dir" && RALPH_APP_DIR="$dir" RALPH_AUTH_FILE="$WORK/ralph-app/auth.json" RALPH_HISTORY_FILE="$dir/history.json" \
    RALPH_RUNSERVER_BACKEND=fs RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH="$dir/fs" \
    exec "$RALPH_VENV/bin/python" "$WORK/ralph_launch.py" "$port" >"$dir/ralph.out" 2>"$dir/ralph.err") &
  RALPH_PID=$!
  RALPH_URL="http://127.0.0.1:$port"
  for _ in $(seq 300); do
    # One authenticated request first: Ralph checks Basic credentials with
    # bcrypt (cost 12) and keeps the result for an hour, so 64 clients
    # arriving at once on a cold start would all pay for it.
    curl -sf -o /dev/null -H "Authorization: $RALPH_AUTH" "$RALPH_URL/whoami" 2>/dev/null && return 0
    kill -0 "$RALPH_PID" 2>/dev/null || { cat "$dir/ralph.err" >&2; die "Ralph exited at start"; }
    sleep 0.1
  done
  die "Ralph did not answer on $RALPH_URL"
}

# settle LRS DIR: the statements stored, once the count stops changing
# (checked every second, at most 60 s).
settle() {
  local prev=-1 n=0
  for _ in $(seq 60); do
    if [[ $1 == cartable ]]; then n=$(count_rows "$2"); else n=$(ralph_count "$2"); fi
    ((n == prev)) && break
    prev=$n
    sleep 1
  done
  echo "$n"
}
# ralph_count DIR: the statements in Ralph's file (0 before its first write).
ralph_count() { if [[ -f "$1/fs/fs_lrs.jsonl" ]]; then wc -l <"$1/fs/fs_lrs.jsonl"; else echo 0; fi; }

# check_post URL PATH AUTH: one statement by hand must be a 200 with its id.
check_post() {
  local id body code
  id=$(python3 -c 'import uuid; print(uuid.uuid4())')
  body="{\"id\":\"$id\",$(head -1 "$WORK/pool.jsonl" | cut -c2-)"
  code=$(curl -s -o "$WORK/check.body" -w '%{http_code}' --max-time 30 -H "Authorization: $3" \
    -H 'X-Experience-API-Version: 1.0.3' -H 'Content-Type: application/json' --data-binary "$body" "$1$2") || die "POST $1$2 failed"
  [[ "$code" == 200 ]] && grep -q "$id" "$WORK/check.body" || { head -c 600 "$WORK/check.body" >&2; echo >&2; die "POST $1$2 answered $code"; }
}

# ---------------------------------------------------------------- ingest ---
: >"$WORK/ingest.tsv"
: >"$WORK/threads.tsv"
# ingest LRS BATCH REP: one run on a fresh store; appends to ingest.tsv.
ingest() {
  local lrs=$1 batch=$2 rep=$3 dir="$WORK/$1-b$2-r$3" url path auth pid out seed
  local before after busy0 busy1 ticks0 ticks1 stored hwm=0 line acked wrk_cpu load1
  seed=$((rep * 1000 + batch))
  if [[ $lrs == cartable ]]; then
    new_cartable "$dir"
    url=$URL; path=/xapi/statements; auth=$CARTABLE_AUTH; pid=$CARTABLE_PID
  else
    start_ralph "$dir"
    url=$RALPH_URL; path=/xAPI/statements; auth=$RALPH_AUTH; pid=$RALPH_PID
  fi
  out="$dir.wrk.txt"
  load1=$(cut -d' ' -f1 /proc/loadavg)
  thread_ticks "$pid" >"$dir.t0"
  before=$(cpu_ticks "$pid")
  read -r busy0 ticks0 < <(cpu_busy)
  TIMEFORMAT='%U %S'
  { time timeout $((DURATION + 60)) wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s --latency \
      -s "$WORK/ingest.lua" "$url" -- "$path" "$batch" "$seed" "$WORK/pool.jsonl" "$auth" >"$out" 2>&1; } 2>"$dir.time" \
    || { cat "$out" >&2; die "wrk failed ($lrs, batch $batch)"; }
  read -r busy1 ticks1 < <(cpu_busy)
  kill -0 "$pid" 2>/dev/null || die "$lrs died under load"
  # The requests in flight when wrk stopped are still being written: the
  # CPU time and the count are taken once the store stops growing.
  stored=$(settle "$lrs" "$dir")
  after=$(cpu_ticks "$pid")
  thread_ticks "$pid" >"$dir.t1"
  hwm=$(hwm_kb "$pid")
  wrk_cpu=$(awk '{print $1 + $2}' "$dir.time")
  line=$(grep '^BENCH ' "$out") || { cat "$out" >&2; die "no result from wrk ($lrs, batch $batch)"; }
  thread_cpu "$dir.t0" "$dir.t1" | sed "s/^/$lrs $batch $rep /" >>"$WORK/threads.tsv"
  if [[ $lrs == cartable ]]; then
    stop_pids "$CARTABLE_PID"; CARTABLE_PID=""
    stored=$(count_rows "$dir")
    rm -rf "$dir"
  elif [[ $batch != "${BATCHES##* }" || $rep != "$REPEAT" ]]; then
    stop_pids "$RALPH_PID"; RALPH_PID=""
    stored=$(ralph_count "$dir")
    rm -rf "$dir/fs"
  fi
  # (The last Ralph run of the largest batch stays up for the queries.)
  acked=$(awk -v b="$batch" '{for (i = 2; i <= NF; i++) {split($i, a, "="); f[a[1]] = a[2]} print (f["requests"] - f["status"]) * b}' <<<"$line")
  echo "$lrs $batch $rep $((after - before)) $((busy1 - busy0)) $((ticks1 - ticks0)) $wrk_cpu $hwm $stored $acked $load1 ${line#BENCH }" >>"$WORK/ingest.tsv"
  local st
  st=$(awk -v a="$acked" -v d="$(sed -E 's/.*duration_us=([0-9]+).*/\1/' <<<"$line")" 'BEGIN {printf "%.0f", a / (d / 1e6)}')
  log "$(printf '%-8s batch %-3s run %s: %s statements/s, %s' "$lrs" "$batch" "$rep" "$st" "$(grep -E '  99%' "$out" | tr -s ' ')") — stored $stored, acknowledged $acked"
  if grep -q 'Non-2xx' "$out"; then log "WARNING: $(grep 'Non-2xx' "$out") ($lrs, batch $batch)"; fi
  if grep -q 'Socket errors' "$out"; then log "WARNING: $(grep 'Socket errors' "$out") ($lrs, batch $batch)"; fi
  if ((stored < acked || stored > acked + CONNECTIONS * batch)); then
    log "WARNING: $lrs stored $stored statements, acknowledged $acked (in flight at most $((CONNECTIONS * batch)))"
  fi
}

# One statement by hand on each, before the runs.
new_cartable "$WORK/check-cartable"
check_post "$URL" /xapi/statements "$CARTABLE_AUTH"
VERSION=$(cartable_version)
stop_pids "$CARTABLE_PID"; CARTABLE_PID=""
if ((RALPH)); then
  start_ralph "$WORK/check-ralph"
  check_post "$RALPH_URL" /xAPI/statements "$RALPH_AUTH"
  stop_pids "$RALPH_PID"; RALPH_PID=""
fi
rm -rf "$WORK/check-cartable" "$WORK/check-ralph"
log "one POST by hand: 200 with its id on each"

LRSES=cartable
((RALPH)) && LRSES="cartable ralph"
for rep in $(seq "$REPEAT"); do
  for batch in $BATCHES; do
    for lrs in $LRSES; do
      sleep "$PAUSE"
      ingest "$lrs" "$batch" "$rep"
    done
  done
done

# ---------------------------------------------------------------- queries ---
: >"$WORK/queries.tsv"
# query LRS MIX REP URL PATH AUTH PID: one run; appends to queries.tsv.
query() {
  local lrs=$1 mix=$2 rep=$3 url=$4 path=$5 auth=$6 pid=$7 out before after busy0 busy1 ticks0 ticks1 line wrk_cpu load1
  out="$WORK/q-$lrs-$mix-$rep.txt"
  load1=$(cut -d' ' -f1 /proc/loadavg)
  before=$(cpu_ticks "$pid")
  read -r busy0 ticks0 < <(cpu_busy)
  TIMEFORMAT='%U %S'
  { time timeout $((DURATION + 60)) wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s --latency \
      -s "$WORK/query.lua" "$url" -- "$path" "$WORK/$mix.txt" "$auth" >"$out" 2>&1; } 2>"$out.time" \
    || { cat "$out" >&2; die "wrk failed ($lrs $mix)"; }
  read -r busy1 ticks1 < <(cpu_busy)
  after=$(cpu_ticks "$pid")
  kill -0 "$pid" 2>/dev/null || die "$lrs died under load"
  wrk_cpu=$(awk '{print $1 + $2}' "$out.time")
  line=$(grep '^BENCH ' "$out") || { cat "$out" >&2; die "no result from wrk ($lrs $mix)"; }
  echo "$lrs $mix $rep $((after - before)) $((busy1 - busy0)) $((ticks1 - ticks0)) $wrk_cpu $(hwm_kb "$pid") 0 0 $load1 ${line#BENCH }" >>"$WORK/queries.tsv"
  log "$(printf '%-8s %-10s run %s: %s' "$lrs" "$mix" "$rep" "$(grep -E 'Requests/sec|  99%' "$out" | tr -s ' ' | tr '\n' ' ')")"
  if grep -q 'Non-2xx' "$out"; then log "WARNING: $(grep 'Non-2xx' "$out") ($lrs $mix)"; fi
  if grep -q 'Socket errors' "$out"; then log "WARNING: $(grep 'Socket errors' "$out") ($lrs $mix)"; fi
}
# check_queries LRS URL PATH AUTH: the first query of each mix by hand must
# be a 200; records the statements it returned and the answer's size.
: >"$WORK/answers.tsv"
check_queries() {
  local lrs=$1 mix code n
  for mix in $MIXES; do
    code=$(curl -s -o "$WORK/check.body" -w '%{http_code}' --max-time 60 -H "Authorization: $4" \
      -H 'X-Experience-API-Version: 1.0.3' "$2$3$(head -1 "$WORK/$mix.txt")") || die "GET ($lrs $mix) failed"
    [[ "$code" == 200 ]] || { head -c 600 "$WORK/check.body" >&2; echo >&2; die "GET ($lrs $mix) answered $code"; }
    n=$(jq '.statements | length' "$WORK/check.body")
    echo "$lrs $mix $n $(stat -c %s "$WORK/check.body")" >>"$WORK/answers.tsv"
  done
}

RALPH_HELD=0
if ((RALPH)) && [[ -n "$RALPH_PID" ]]; then
  RALPH_HELD=$(ralph_count "$WORK/ralph-b${BATCHES##* }-r$REPEAT")
  log "Ralph's queries over the $RALPH_HELD statements its last run stored, once per mix"
  check_queries ralph "$RALPH_URL" /xAPI/statements "$RALPH_AUTH"
  for mix in $MIXES; do
    sleep "$PAUSE"
    query ralph "$mix" 1 "$RALPH_URL" /xAPI/statements "$RALPH_AUTH" "$RALPH_PID"
  done
  stop_pids "$RALPH_PID"; RALPH_PID=""
fi

# ---------------------------------------------------------------- the load ---
LOADED=0
PER_THREAD=0
if ((QUERY_TOTAL > 0)); then
  BIG="$WORK/big"
  new_cartable "$BIG"
  PER_THREAD=$(((QUERY_TOTAL + LOAD_BATCH * THREADS - 1) / (LOAD_BATCH * THREADS)))
  log "loading $QUERY_TOTAL statements: $LOAD_CLIENTS clients, batches of $LOAD_BATCH, $PER_THREAD POSTs per wrk thread, at most $LOAD_SECONDS s"
  : >"$WORK/load-progress.tsv"
  LOAD_T0=$(now)
  thread_ticks "$CARTABLE_PID" >"$WORK/load.t0"
  LOAD_CPU0=$(cpu_ticks "$CARTABLE_PID")
  read -r LOAD_BUSY0 LOAD_TICKS0 < <(cpu_busy)
  wrk -t"$THREADS" -c"$LOAD_CLIENTS" -d"${LOAD_SECONDS}s" --timeout 60s --latency -s "$WORK/ingest.lua" "$URL" -- \
    /xapi/statements "$LOAD_BATCH" 9999 "$WORK/pool.jsonl" "$CARTABLE_AUTH" "$PER_THREAD" "$WORK/load-done-" \
    >"$WORK/load.wrk.txt" 2>&1 &
  WRK_PID=$!
  LOAD_DONE=0
  # Bounded: LOAD_SECONDS plus a minute, 5 s at a time; the stored count
  # every 30 s.
  for i in $(seq $(((LOAD_SECONDS + 60) / 5))); do
    sleep 5
    if (($(find "$WORK" -maxdepth 1 -name 'load-done-*' | wc -l) >= THREADS)); then LOAD_DONE=1; break; fi
    kill -0 "$WRK_PID" 2>/dev/null || break
    kill -0 "$CARTABLE_PID" 2>/dev/null || die "cartable died while loading"
    if ((i % 6 == 0)); then
      echo "$(since "$LOAD_T0") $(sqlite3 -cmd '.timeout 10000' "$BIG/cartable.db" 'SELECT coalesce(MAX(seq), 0) FROM xapi_statements;' 2>/dev/null || echo -1)" >>"$WORK/load-progress.tsv"
      log "loading: $(tail -1 "$WORK/load-progress.tsv" | awk '{printf "%s s, %d statements", $1, $2}')"
    fi
  done
  LOAD_S=$(since "$LOAD_T0")
  read -r LOAD_BUSY1 LOAD_TICKS1 < <(cpu_busy)
  LOAD_CPU=$(($(cpu_ticks "$CARTABLE_PID") - LOAD_CPU0))
  thread_ticks "$CARTABLE_PID" >"$WORK/load.t1"
  # wrk waits for its -d unless interrupted: SIGINT makes it report now.
  kill -INT "$WRK_PID" 2>/dev/null || true
  for _ in $(seq 600); do kill -0 "$WRK_PID" 2>/dev/null || break; sleep 0.1; done
  stop_pids "$WRK_PID"; WRK_PID=""
  LOAD_LINE=$(grep '^BENCH ' "$WORK/load.wrk.txt" || true)
  ((LOAD_DONE)) || log "WARNING: the load did not finish within $LOAD_SECONDS s"
  LOAD_HWM=$(hwm_kb "$CARTABLE_PID")
  stop_pids "$CARTABLE_PID"; CARTABLE_PID=""
  LOADED=$(count_rows "$BIG")
  LOAD_RATE=$(awk -v n="$LOADED" -v s="$LOAD_S" 'BEGIN {printf "%.0f", n / s}')
  DB_SIZE=$(du -sh "$BIG" | cut -f1)
  thread_cpu "$WORK/load.t0" "$WORK/load.t1" >"$WORK/load-threads.txt"
  log "loaded $LOADED statements in $LOAD_S s ($LOAD_RATE statements/s); data dir $DB_SIZE"

  # A fresh process on the loaded store.
  start_cartable "$BIG"
  sleep 3
  BIG_IDLE=$(rss_kb "$CARTABLE_PID")
  check_queries cartable "$URL" /xapi/statements "$CARTABLE_AUTH"
  thread_ticks "$CARTABLE_PID" >"$WORK/query.t0"
  for rep in $(seq "$REPEAT"); do
    for mix in $MIXES; do
      sleep "$PAUSE"
      query cartable "$mix" "$rep" "$URL" /xapi/statements "$CARTABLE_AUTH" "$CARTABLE_PID"
    done
  done
  thread_ticks "$CARTABLE_PID" >"$WORK/query.t1"
  thread_cpu "$WORK/query.t0" "$WORK/query.t1" >"$WORK/query-threads.txt"
  BIG_HWM=$(hwm_kb "$CARTABLE_PID")
  stop_pids "$CARTABLE_PID"; CARTABLE_PID=""
fi

# ---------------------------------------------------------------- report ---
# field FILE LRS KEY EXPR: EXPR over the runs of LRS and KEY (batch or mix) in FILE.
field() {
  awk -v l="$2" -v k="$3" -v t="$CLK_TCK" '$1 == l && $2 == k {
    for (i = 12; i <= NF; i++) {split($i, a, "="); f[a[1]] = a[2]}
    f["cpu"] = $4 / t; f["busy"] = ($6 > 0 ? 100 * $5 / $6 : 0); f["wrk_cpu"] = $7; f["hwm"] = $8
    f["stored"] = $9; f["acked"] = $10; f["load1"] = $11
    f["secs"] = f["duration_us"] / 1e6; f["ok"] = f["requests"] - f["status"]
    f["rps"] = f["requests"] / f["secs"]; f["sps"] = $10 / f["secs"]
    f["cpu_ms"] = (f["requests"] > 0 ? 1000 * f["cpu"] / f["requests"] : 0)
    f["cpu_us_st"] = ($9 > 0 ? 1e6 * f["cpu"] / $9 : 0)
    f["errors"] = f["connect"] + f["read"] + f["write"] + f["timeout"]
    print f["'"$4"'"]}' "$WORK/$1"
}
med() { field "$@" | median; }
# A latency in ms, or — when wrk recorded none (every request timed out).
lat() { if [[ ${1:-0} == 0 ]]; then echo "—"; else ms "$1"; fi; }
total() { field "$@" | awk '{s += $1} END {printf "%d", s}'; }
biggest() { field "$@" | sort -g | tail -1; }
n0() { awk -v v="$1" 'BEGIN {printf "%.0f", v}'; }
n1() { awk -v v="$1" 'BEGIN {printf "%.1f", v}'; }
n2() { awk -v v="$1" 'BEGIN {printf "%.2f", v}'; }
yesno() { awk -v c="$1" 'BEGIN {print (c ? "yes" : "no")}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.1f×", a / b; else print "—"}'; }
# Whether every run's stored count is its acknowledged count, plus at most what was in flight.
stored_ok() {
  awk -v l="$1" -v b="$2" -v c="$CONNECTIONS" '$1 == l && $2 == b {n++; if ($9 < $10 || $9 > $10 + c * b) bad++} END {if (bad) printf "**no** (%d of %d runs)", bad, n; else printf "yes (%d runs)", n}' "$WORK/ingest.tsv"
}

LAST_BATCH=${BATCHES##* }
WRK_VERSION=$(wrk_version)
SQLITE_VERSION=$(sqlite3 --version | awk '{print $1}')
machine_facts
MD="$WORK/xapi.md"
{
  echo "## LRS (xAPI 1.0.3): statement ingest against Ralph, queries over $(n0 "$LOADED") statements"
  echo
  echo '```sh'
  echo "bench/xapi.sh   # DURATION=$DURATION REPEAT=$REPEAT PAUSE=$PAUSE CONNECTIONS=$CONNECTIONS BATCHES=\"$BATCHES\" POOL=$POOL LEARNERS=$LEARNERS CAPSULES=$CAPSULES QUERIES=$QUERIES QUERY_TOTAL=$QUERY_TOTAL LOAD_BATCH=$LOAD_BATCH LOAD_CLIENTS=$LOAD_CLIENTS RALPH=$RALPH"
  echo '```'
  echo
  echo "Measured $DATE on $(nproc) cores ($CPU), Linux $(uname -r), $VERSION (binary sha256 $CARTABLE_SHA…), SQLite (the default config), wrk $WRK_VERSION${RALPH_VERSION:+, Ralph $RALPH_VERSION (fs backend, Python $("$RALPH_VENV/bin/python" -c 'import platform; print(platform.python_version())'), uvicorn $("$RALPH_VENV/bin/python" -c 'import uvicorn; print(uvicorn.__version__)'))}. Load average at the start $LOAD_START, at the end $LOAD: the machine is shared with another engineer's builds and tests, which ran at times during these measurements (the 1-minute load at the start of each run is in the details). wrk runs on the same 2 cores as the servers, so the figures are those of the pair."
  echo
  echo "### Statement ingest"
  echo
  echo "POST statements, $CONNECTIONS connections (wrk -t$THREADS), ${DURATION} s per run, medians of $REPEAT runs; cartable and Ralph one after the other in each round, each on an empty store of its own (a fresh data dir, a fresh fs directory), restarted for every run. Statements are drawn from a pool of $POOL realistic ones (about $POOL_BYTES bytes of JSON each: account agent among $LEARNERS learners, ADL verb, capsule activity with its definition, result with a time extension, registration and parent programme in the context), each sent with its own fresh random UUID; a batch of 1 is a bare statement, a batch of 100 a JSON array. Statements/s count only the statements of 2xx answers (wrk's completed requests minus those with a status ≥ 400; neither server answers 1xx or 3xx here)."
  echo
  echo "| batch | LRS | statements/s | requests/s | p50 ms | p99 ms | max ms | non-2xx / socket errors | stored = acknowledged | server CPU s per run | server CPU µs per statement stored | wrk CPU s per run | cores busy | peak RSS MiB |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  for batch in $BATCHES; do
    for lrs in $LRSES; do
      echo "| $batch | $lrs | $(n0 "$(med ingest.tsv "$lrs" "$batch" sps)") | $(n0 "$(med ingest.tsv "$lrs" "$batch" rps)") | $(ms "$(med ingest.tsv "$lrs" "$batch" p50_us)") | $(ms "$(med ingest.tsv "$lrs" "$batch" p99_us)") | $(ms "$(med ingest.tsv "$lrs" "$batch" max_us)") | $(total ingest.tsv "$lrs" "$batch" status) / $(total ingest.tsv "$lrs" "$batch" errors) | $(stored_ok "$lrs" "$batch") | $(n1 "$(med ingest.tsv "$lrs" "$batch" cpu)") | $(n0 "$(med ingest.tsv "$lrs" "$batch" cpu_us_st)") | $(n1 "$(med ingest.tsv "$lrs" "$batch" wrk_cpu)") | $(n0 "$(med ingest.tsv "$lrs" "$batch" busy)") % | $(mib "$(biggest ingest.tsv "$lrs" "$batch" hwm)") |"
    done
  done
  echo
  echo "\"Stored = acknowledged\": after each run, the statements in the store (rows of \`xapi_statements\`, counted with sqlite3 once cartable stopped; lines of Ralph's \`fs_lrs.jsonl\`) equal those of the 2xx answers wrk received, plus at most the $CONNECTIONS requests still in flight when wrk stopped. Peak RSS is VmHWM of the server process, the largest of the runs."
  echo
  echo "| goal | measured | met |"
  echo "|---|---|---|"
  C100=$(med ingest.tsv cartable "$LAST_BATCH" sps)
  echo "| ≥ 20,000 statements/s in batches of $LAST_BATCH on SQLite | $(n0 "$C100") | $(yesno "$(awk -v v="$C100" 'BEGIN {print (v >= 20000)}')") |"
  if ((RALPH)); then
    for batch in $BATCHES; do
      c=$(med ingest.tsv cartable "$batch" sps); r=$(med ingest.tsv ralph "$batch" sps)
      echo "| cartable ≥ 10 × Ralph, batches of $batch | $(ratio "$c" "$r") ($(n0 "$c") against $(n0 "$r") statements/s) | $(yesno "$(awk -v a="$c" -v b="$r" 'BEGIN {print (b > 0 && a >= 10 * b)}')") |"
    done
  fi
  if ((LOADED > 0)); then
    for mix in $MIXES; do
      p=$(med queries.tsv cartable "$mix" p99_us)
      echo "| query p99 < 50 ms over $(n0 "$LOADED") statements: $mix | $(ms "$p") ms | $(yesno "$(awk -v v="$p" 'BEGIN {print (v < 50000)}')") |"
    done
  fi
  echo
  echo "Server CPU by thread during the ingest runs (seconds, summed over the $REPEAT runs of each batch size; threads named as the kernel shows them):"
  echo
  for lrs in $LRSES; do
    for batch in $BATCHES; do
      echo "- $lrs, batch $batch: $(awk -v l="$lrs" -v b="$batch" '$1 == l && $2 == b {s[$4] += $6; n[$4] = ($5 > n[$4] ? $5 : n[$4])} END {for (k in s) printf "%.1f %s×%d\n", s[k], k, n[k]}' "$WORK/threads.tsv" | sort -gr | head -6 | awk '{printf "%s%s %s s", (NR > 1 ? ", " : ""), $2, $1}')"
    done
  done
  if ((RALPH)); then
    echo
    echo "Ralph's fs backend is what runs without a database server: for every POST it reads and parses its whole statements file (to find ids already stored), appends the new ones, and rewrites its history file (one entry per write), so its cost grows with what it holds — its figures are from empty stores and fall over a run. Its production backends (Elasticsearch, MongoDB, ClickHouse) need a server of their own; they were not measured. Its launcher (\`ralph_launch.py\`) sets the fs backend's default operation to append, then runs \`uvicorn.run(\"ralph.api:app\", host=\"127.0.0.1\", access_log=False)\`: one worker, no access log; credentials made with \`ralph auth … -w\` (bcrypt; Ralph caches the check)."
  fi
  if ((LOADED > 0)); then
    echo
    echo "### Loading $(n0 "$LOADED") statements"
    echo
    echo "Into a fresh data dir, through the API: wrk -t$THREADS -c$LOAD_CLIENTS, POST batches of $LOAD_BATCH statements from the same pool, fresh ids, each thread stopping after its $PER_THREAD POSTs were answered."
    echo
    echo "| measure | value |"
    echo "|---|---|"
    echo "| statements stored (rows of xapi_statements) | $LOADED |"
    echo "| POSTs answered 200 / other ($LOAD_BATCH statements each) | $(sed -E 's/.*posted_ok=([0-9]+) posted_bad=([0-9]+).*/\1 \/ \2/' <<<"$LOAD_LINE") |"
    echo "| wall time | $LOAD_S s$( ((LOAD_DONE)) || echo " (stopped at the LOAD_SECONDS bound)") |"
    echo "| rate | $LOAD_RATE statements/s |"
    echo "| POST latency p50 / p99 / max | $(ms "$(sed -E 's/.*p50_us=([0-9]+).*/\1/' <<<"$LOAD_LINE")") / $(ms "$(sed -E 's/.*p99_us=([0-9]+).*/\1/' <<<"$LOAD_LINE")") / $(ms "$(sed -E 's/.*max_us=([0-9]+).*/\1/' <<<"$LOAD_LINE")") ms |"
    echo "| cartable CPU | $(n1 "$(awk -v t="$LOAD_CPU" -v c="$CLK_TCK" 'BEGIN {print t / c}')") s ($(n0 "$(awk -v t="$LOAD_CPU" -v c="$CLK_TCK" -v n="$LOADED" 'BEGIN {print (n > 0 ? 1e6 * t / c / n : 0)}')") µs per statement); cores busy $(n0 "$(awk -v a="$((LOAD_BUSY1 - LOAD_BUSY0))" -v b="$((LOAD_TICKS1 - LOAD_TICKS0))" 'BEGIN {print (b > 0 ? 100 * a / b : 0)}')") % |"
    echo "| cartable CPU by thread, s | $(head -6 "$WORK/load-threads.txt" | awk '{printf "%s%s×%s %s", (NR > 1 ? ", " : ""), $1, $2, $3}') |"
    echo "| peak RSS while loading | $(mib "$LOAD_HWM") MiB |"
    echo "| data dir afterwards | $DB_SIZE |"
    echo
    echo "Rate along the load (statements stored, from MAX(seq) every 30 s):"
    echo
    echo "| elapsed s | stored | statements/s over the last interval |"
    echo "|---|---|---|"
    awk 'BEGIN {pt = 0; pn = 0} {printf "| %s | %d | %.0f |\n", $1, $2, ($1 > pt ? ($2 - pn) / ($1 - pt) : 0); pt = $1; pn = $2}' "$WORK/load-progress.tsv"
    echo
    echo "### Queries over $(n0 "$LOADED") statements"
    echo
    echo "cartable restarted on the loaded store (idle RSS $(mib "$BIG_IDLE") MiB). $CONNECTIONS connections, ${DURATION} s per run, medians of $REPEAT runs; $QUERIES distinct query strings per mix in turn: **agent10** \`GET /xapi/statements?agent=<random learner>&limit=10\`, **agent** the same with the default limit (cartable's page, up to 500), **activity10** \`?activity=<random capsule>&limit=10\`. Each learner has about $(n0 "$((LOADED / LEARNERS))") statements, each capsule about $(n0 "$((LOADED / CAPSULES))")."
    echo
    echo "| mix | statements in the first answer (bytes) | requests/s | p50 ms | p99 ms | max ms | p99 < 50 ms | non-2xx / socket errors | cartable CPU ms per query | cores busy |"
    echo "|---|---|---|---|---|---|---|---|---|---|"
    for mix in $MIXES; do
      p=$(med queries.tsv cartable "$mix" p99_us)
      echo "| $mix | $(awk -v m="$mix" '$1 == "cartable" && $2 == m {print $3 " (" $4 ")"}' "$WORK/answers.tsv") | $(n0 "$(med queries.tsv cartable "$mix" rps)") | $(ms "$(med queries.tsv cartable "$mix" p50_us)") | $(ms "$p") | $(ms "$(med queries.tsv cartable "$mix" max_us)") | $(yesno "$(awk -v v="$p" 'BEGIN {print (v < 50000)}')") | $(total queries.tsv cartable "$mix" status) / $(total queries.tsv cartable "$mix" errors) | $(n2 "$(med queries.tsv cartable "$mix" cpu_ms)") | $(n0 "$(med queries.tsv cartable "$mix" busy)") % |"
    done
    echo
    echo "Peak RSS over the query runs $(mib "$BIG_HWM") MiB. cartable CPU by thread over all query runs, s: $(head -6 "$WORK/query-threads.txt" | awk '{printf "%s%s×%s %s", (NR > 1 ? ", " : ""), $1, $2, $3}')."
  fi
  if ((RALPH)); then
    echo
    echo "### Ralph's queries, on $RALPH_HELD statements only"
    echo
    echo "Ralph's fs backend answers a query by reading and filtering its whole file, so it cannot be queried over millions; these runs (one per mix, ${DURATION} s, $CONNECTIONS connections) use what its last batch-$LAST_BATCH ingest run stored: $RALPH_HELD statements. Its default page is 100 statements. Not comparable with cartable's figures over $(n0 "$LOADED"). Requests still unanswered after wrk's 10 s timeout count as socket errors (timeouts) and have no latency; — means no request was answered in time."
    echo
    echo "| mix | statements in the first answer (bytes) | requests/s | p50 ms | p99 ms | max ms | non-2xx / socket errors | Ralph CPU ms per query |"
    echo "|---|---|---|---|---|---|---|---|"
    for mix in $MIXES; do
      echo "| $mix | $(awk -v m="$mix" '$1 == "ralph" && $2 == m {print $3 " (" $4 ")"}' "$WORK/answers.tsv") | $(n1 "$(med queries.tsv ralph "$mix" rps)") | $(lat "$(med queries.tsv ralph "$mix" p50_us)") | $(lat "$(med queries.tsv ralph "$mix" p99_us)") | $(lat "$(med queries.tsv ralph "$mix" max_us)") | $(total queries.tsv ralph "$mix" status) / $(total queries.tsv ralph "$mix" errors) | $(n1 "$(med queries.tsv ralph "$mix" cpu_ms)") |"
    done
  fi
  echo
  echo "<details><summary>Every run</summary>"
  echo
  echo "| LRS | batch or mix | run | load (1 min) at start | statements/s | requests/s | p50 ms | p99 ms | max ms | non-2xx | socket errors (c/r/w/t) | stored | acknowledged | server CPU s | wrk CPU s | cores busy |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  cat "$WORK/ingest.tsv" "$WORK/queries.tsv" | while read -r lrs key rep cpu busy ticks wrk_cpu hwm stored acked load1 rest; do
    declare -A f=()
    for kvp in $rest; do f[${kvp%%=*}]=${kvp#*=}; done
    secs=$(awk -v d="${f[duration_us]}" 'BEGIN {print d / 1e6}')
    sps="—"; [[ $acked != 0 ]] && sps=$(n0 "$(awk -v a="$acked" -v s="$secs" 'BEGIN {print a / s}')")
    echo "| $lrs | $key | $rep | $load1 | $sps | $(n0 "$(awk -v r="${f[requests]}" -v s="$secs" 'BEGIN {print r / s}')") | $(lat "${f[p50_us]}") | $(lat "${f[p99_us]}") | $(lat "${f[max_us]}") | ${f[status]} | ${f[connect]}/${f[read]}/${f[write]}/${f[timeout]} | $([[ $acked != 0 ]] && echo "$stored" || echo —) | $([[ $acked != 0 ]] && echo "$acked" || echo —) | $(n1 "$(awk -v t="$cpu" -v c="$CLK_TCK" 'BEGIN {print t / c}')") | $wrk_cpu | $(n0 "$(awk -v a="$busy" -v b="$ticks" 'BEGIN {print (b > 0 ? 100 * a / b : 0)}')") % |"
    unset f
  done
  echo
  echo "Server CPU by thread, every ingest run (LRS, batch, run: thread name × threads seen, seconds):"
  echo
  echo '```'
  awk '{k = $1 " b" $2 " r" $3; if (k != last) {if (last != "") printf "\n"; printf "%s:", k; last = k} printf " %s×%s %s", $4, $5, $6} END {printf "\n"}' "$WORK/threads.tsv"
  echo '```'
  echo
  echo "</details>"
  echo
  echo "Commands (ports are picked at random; wrk's scripts are made by the script):"
  echo
  echo '```sh'
  echo "cartable --data-dir <fresh dir> lrs key add bench --scope all --json"
  echo "cartable --data-dir <fresh dir> serve --listen 127.0.0.1:0"
  if ((RALPH)); then
    echo "$RALPH_VENV/bin/pip install \"$RALPH_SPEC\" requests"
    echo "RALPH_AUTH_FILE=… ralph auth -u bench -p <secret> -s all -A bench https://cartable.example/xapi/keys -w"
    echo "RALPH_RUNSERVER_BACKEND=fs RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH=<fresh dir> RALPH_HISTORY_FILE=… python ralph_launch.py <port>"
  fi
  echo "wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --timeout 10s --latency -s ingest.lua http://127.0.0.1:<port> -- /xapi/statements <batch> <seed> pool.jsonl 'Basic …'   # /xAPI/statements for Ralph"
  echo "wrk -t$THREADS -c$LOAD_CLIENTS -d${LOAD_SECONDS}s --timeout 60s --latency -s ingest.lua http://127.0.0.1:<port> -- /xapi/statements $LOAD_BATCH 9999 pool.jsonl 'Basic …' $PER_THREAD <done-marker>"
  echo "wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --timeout 10s --latency -s query.lua http://127.0.0.1:<port> -- /xapi/statements <mix>.txt 'Basic …'"
  echo '```'
} >"$MD"
save_report "$MD"
