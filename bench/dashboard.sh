#!/usr/bin/env bash
# bench/dashboard.sh — teachers' dashboards over a school of 8,000 learners
# and millions of statements.
#
# What it measures: a school of CLASSES classes of PER_CLASS learners
# (default 200 × 40 = 8,000), the demo catalog, and STATEMENTS learning
# records about those learners (default 5,000,000) sent through the LRS
# (POST /xapi/statements, batches of LOAD_BATCH, LOAD_CLIENTS clients; wrk
# makes each batch in Lua: random learner, capsule, ADL verb, position,
# reached point, time spent, a timestamp in the last 60 days, a fresh UUID).
# Then, signed in as an admin, wrk asks at 1 and CONNECTIONS connections:
#   - the class dashboard of one class of PER_CLASS learners
#     (/fr/teach/classes/c1/progress), and
#   - the school dashboard of all of them (/fr/teach/schools/s1/progress);
# requests/s, p50/p99 against the goal p99 < 200 ms.
# Reference, in the same run: the same class matrix computed the way an LRS
# without a projection must, by one SQL query over the raw statements
# (json_extract, GROUP BY learner and capsule) in SQLite, timed REPEAT times.
#
# Run:      bench/dashboard.sh
# Needs:    wrk, curl, python3 (its sqlite3 module)
# Settings (environment):
#   CARTABLE      binary (default /root/.cache/cartable-release/release/cartable,
#                 then target/release/cartable)
#   CLASSES       classes in the school (default 200)
#   PER_CLASS     learners per class (default 40)
#   STATEMENTS    records to load (default 5000000)
#   LOAD_BATCH    statements per POST while loading (default 1000)
#   LOAD_CLIENTS  wrk connections while loading (default 4)
#   LOAD_SECONDS  the most the load may take (default 3600)
#   DURATION      seconds per wrk run on the dashboards (default 15)
#   CONNECTIONS   connections of the throughput runs (default 16; the
#                 latency runs use 1)
#   REPEAT        runs per case; medians are reported (default 3)
#   PAUSE         seconds of rest between runs (default 5)
# Binds only to 127.0.0.1; every load is bounded by wrk's -d and a timeout;
# everything lives in a mktemp -d removed on exit, with the server stopped.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
find_cartable
need_tools wrk curl python3
CLASSES=${CLASSES:-200}
PER_CLASS=${PER_CLASS:-40}
STATEMENTS=${STATEMENTS:-5000000}
LOAD_BATCH=${LOAD_BATCH:-1000}
LOAD_CLIENTS=${LOAD_CLIENTS:-4}
LOAD_SECONDS=${LOAD_SECONDS:-3600}
DURATION=${DURATION:-15}
CONNECTIONS=${CONNECTIONS:-16}
REPEAT=${REPEAT:-3}
PAUSE=${PAUSE:-5}
ADMIN_PASSWORD=bench-dashboard-1234
LEARNERS=$((CLASSES * PER_CLASS))
ulimit -n 20000 2>/dev/null || true
make_work
DATA="$WORK/data"

log "importing the demo catalog, adding an admin"
"$CARTABLE" --data-dir "$DATA" import capsules "$ROOT/demo/manifest.json" >"$WORK/import.out" 2>&1 ||
  { cat "$WORK/import.out" >&2; die "import failed"; }
echo "$ADMIN_PASSWORD" | "$CARTABLE" --data-dir "$DATA" user add head --role admin >/dev/null
KEY_JSON=$("$CARTABLE" --data-dir "$DATA" lrs key add loader --scope statements/write --json)
KEY=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])' <<<"$KEY_JSON")
SECRET=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])' <<<"$KEY_JSON")
BASIC=$(printf '%s:%s' "$KEY" "$SECRET" | base64 -w0)

log "making school s1: $CLASSES classes of $PER_CLASS learners (rows written straight into SQLite: hashing 8,000 passwords is not what is measured)"
python3 - "$DATA/cartable.db" "$CLASSES" "$PER_CLASS" <<'PY'
import sqlite3, sys, time
db, classes, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
c = sqlite3.connect(db)
now = int(time.time())
c.execute("INSERT INTO schools (id, name, created_at, district) VALUES ('s1', 'École 1', ?, 'Bench')", (now,))
n = 0
for k in range(1, classes + 1):
    c.execute("INSERT INTO classes (id, school_id, name, picture_login, created_at) VALUES (?, 's1', ?, 0, ?)",
              (f"c{k}", f"Classe {k:03d}", now))
    for _ in range(per):
        n += 1
        c.execute("INSERT INTO users (login, name, role, created_at) VALUES (?, ?, 'learner', ?)",
                  (f"l{n}", f"Élève {n}", now))
        c.execute("INSERT INTO class_members (class_id, login, position) VALUES (?, ?, 'learner')", (f"c{k}", f"l{n}"))
c.commit()
PY
CAPSULE_IDS=$(python3 -c 'import json,sys; print(" ".join(c["id"] for c in json.load(open(sys.argv[1]))["capsules"]))' "$ROOT/demo/manifest.json")

start_cartable "$DATA"
log "cartable at $URL; loading $STATEMENTS statements"

cat >"$WORK/load.lua" <<EOF
-- Made by bench/dashboard.sh: POST batches of generated statements until
-- each thread has sent its share, then stop.
local batch = $LOAD_BATCH
local learners = $LEARNERS
local capsules = {}
for id in string.gmatch("$CAPSULE_IDS", "%S+") do capsules[#capsules + 1] = id end
local verbs = { "http://adlnet.gov/expapi/verbs/progressed", "http://adlnet.gov/expapi/verbs/progressed",
  "http://adlnet.gov/expapi/verbs/progressed", "http://adlnet.gov/expapi/verbs/launched",
  "http://adlnet.gov/expapi/verbs/completed" }
local per_thread = math.ceil($STATEMENTS / batch / 2)
local sent = 0
local threads = {}
function setup(thread)
  thread:set("id", #threads)
  threads[#threads + 1] = thread
end
function init(args)
  math.randomseed(os.time() + id * 7919)
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Basic $BASIC"
  wrk.headers["X-Experience-API-Version"] = "1.0.3"
end
local function uuid()
  local r = math.random
  return string.format("%04x%04x-%04x-4%03x-%04x-%06x%06x", r(0, 0xffff), r(0, 0xffff), r(0, 0xffff),
    r(0, 0xfff), r(0x8000, 0xbfff), r(0, 0xffffff), r(0, 0xffffff))
end
local now = os.time()
function request()
  local parts = {}
  for i = 1, batch do
    local t = math.random(1, 600)
    local reached = math.random(0, 1000) / 1000
    local day = now - math.random(0, 60 * 86400)
    parts[i] = string.format(
      '{"id":"%s","actor":{"objectType":"Agent","account":{"homePage":"http://localhost","name":"l%d"}},'
      .. '"verb":{"id":"%s"},"object":{"objectType":"Activity","id":"http://localhost/capsules/%s"},'
      .. '"result":{"duration":"PT%dS","extensions":{"https://w3id.org/xapi/video/extensions/time":%d,'
      .. '"https://w3id.org/xapi/video/extensions/progress":%.3f}},'
      .. '"context":{"extensions":{"https://w3id.org/xapi/video/extensions/quality":"360p","urn:cartable:xapi:device":"phone"}},'
      .. '"timestamp":"%s"}',
      uuid(), math.random(1, learners), verbs[math.random(1, #verbs)], capsules[math.random(1, #capsules)],
      math.random(5, 60), t, reached, os.date("!%Y-%m-%dT%H:%M:%SZ", day))
  end
  return wrk.format("POST", "/xapi/statements", nil, "[" .. table.concat(parts, ",") .. "]")
end
-- wrk runs to its -d even when every thread stopped: each thread leaves a
-- mark when done, and the script then ends wrk.
function response(status)
  if status ~= 200 then io.stderr:write("status " .. status .. "\n") end
  sent = sent + 1
  if sent == per_thread then
    local f = io.open("$WORK/load-done-" .. id, "w")
    if f then f:close() end
    wrk.thread:stop()
  end
end
EOF
T0=$(now)
timeout $((LOAD_SECONDS + 60)) wrk -t2 -c"$LOAD_CLIENTS" -d"${LOAD_SECONDS}s" --timeout 120s -s "$WORK/load.lua" "$URL" >"$WORK/load.out" 2>&1 &
WRK_PID=$!
while kill -0 "$WRK_PID" 2>/dev/null; do
  if [[ -e "$WORK/load-done-0" && -e "$WORK/load-done-1" ]]; then
    kill -INT "$WRK_PID" 2>/dev/null || true
    break
  fi
  sleep 1
done
wait "$WRK_PID" || true
LOAD_S=$(since "$T0")
STORED=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT COUNT(*) FROM xapi_statements").fetchone()[0])' "$DATA/cartable.db")
PROJECTED=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT COUNT(*) FROM progress").fetchone()[0])' "$DATA/cartable.db")
RATE=$(awk -v n="$STORED" -v s="$LOAD_S" 'BEGIN {printf "%.0f", n / s}')
log "stored $STORED statements in $LOAD_S s ($RATE/s); $PROJECTED progress rows"
if grep -q '^status' "$WORK/load.out"; then log "WARNING: non-200 answers while loading: $(grep -c '^status' "$WORK/load.out")"; fi

log "signing in as the admin"
CSRF=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
curl -s -D "$WORK/login.headers" -o /dev/null -H "Cookie: cartable_csrf=$CSRF" \
  -H 'Content-Type: application/x-www-form-urlencoded' \
  --data-binary "csrf=$CSRF&login=head&password=$ADMIN_PASSWORD&next=%2Ffr%2Faccount" "$URL/fr/login"
SESSION=$(grep -io 'cartable_session=[0-9a-f]*' "$WORK/login.headers" | head -1)
[[ -n "$SESSION" ]] || { cat "$WORK/login.headers" >&2; die "no session cookie"; }

PAGES=("class /fr/teach/classes/c1/progress" "school /fr/teach/schools/s1/progress")
for entry in "${PAGES[@]}"; do
  read -r name path <<<"$entry"
  code=$(curl -s -o "$WORK/$name.html" -w '%{http_code}' -H "Cookie: $SESSION" "$URL$path")
  [[ "$code" == 200 ]] || die "GET $path answered $code"
  log "$name page: $(wc -c <"$WORK/$name.html") bytes"
done

cat >"$WORK/page.lua" <<EOF
wrk.headers["Cookie"] = "$SESSION"
function response(status)
  if status ~= 200 then io.stderr:write("status " .. status .. "\n") end
end
EOF

# run NAME PATH CONNS N: one wrk run; appends "name conns n req/s p50 p99 non200" to runs.
run() {
  local out="$WORK/wrk-$1-$3-$4.out"
  timeout $((DURATION + 30)) wrk -t"$(( $3 > 1 ? 2 : 1 ))" -c"$3" -d"${DURATION}s" --timeout 10s --latency \
    -s "$WORK/page.lua" "$URL$2" >"$out" 2>&1 || { cat "$out" >&2; die "wrk failed"; }
  local rps p50 p99 bad
  rps=$(awk '/^Requests\/sec/ {print $2}' "$out")
  p50=$(awk '$1 == "50.000%" || $1 == "50%" {print $2}' "$out" | head -1)
  p99=$(awk '$1 == "99.000%" || $1 == "99%" {print $2}' "$out" | head -1)
  bad=$(grep -c '^status' "$out" || true)
  echo "$1 $3 $4 $rps $(to_ms "$p50") $(to_ms "$p99") $bad" >>"$WORK/runs"
}
# to_ms 12.3ms|1.2s|800us: milliseconds.
to_ms() { awk -v v="$1" 'BEGIN { if (v ~ /ms$/) { sub(/ms/, "", v); print v } else if (v ~ /us$/) { sub(/us/, "", v); print v / 1000 } else { sub(/s/, "", v); print v * 1000 } }'; }

: >"$WORK/runs"
for n in $(seq "$REPEAT"); do
  for entry in "${PAGES[@]}"; do
    read -r name path <<<"$entry"
    for conns in 1 $CONNECTIONS; do
      log "run $n: $name page at $conns connection(s)"
      run "$name" "$path" "$conns" "$n"
      sleep "$PAUSE"
    done
  done
done
RSS=$(mib "$(hwm_kb "$CARTABLE_PID")")
stop_pids "$CARTABLE_PID"

log "reference: the class matrix from the raw statements in SQLite"
REF=$(python3 - "$DATA/cartable.db" "$REPEAT" <<'PY'
import sqlite3, statistics, sys, time
db = sqlite3.connect(sys.argv[1])
sql = """
SELECT json_extract(s.statement, '$.actor.account.name') AS learner, s.activity,
       SUM(s.verb = 'http://adlnet.gov/expapi/verbs/completed') AS done,
       MAX(json_extract(s.statement, '$.result.extensions."https://w3id.org/xapi/video/extensions/progress"')) AS reached
FROM xapi_statements s
WHERE s.voided = 0 AND json_extract(s.statement, '$.actor.account.name') IN
      (SELECT login FROM class_members WHERE class_id = 'c1' AND position = 'learner')
GROUP BY learner, s.activity
"""
times = []
for _ in range(int(sys.argv[2])):
    t = time.perf_counter()
    rows = db.execute(sql).fetchall()
    times.append((time.perf_counter() - t) * 1000)
print(f"{statistics.median(times):.0f} {len(rows)}")
PY
)
read -r REF_MS REF_ROWS <<<"$REF"

# median NAME CONNS FIELD
med() { awk -v n="$1" -v c="$2" -v f="$3" '$1 == n && $2 == c {print $f}' "$WORK/runs" | median; }
machine_facts
MD="$WORK/dashboard.md"
{
  echo "## Dashboards: a class of $PER_CLASS and a school of $LEARNERS learners over $STORED statements"
  echo
  echo '```sh'
  echo "bench/dashboard.sh   # CLASSES=$CLASSES PER_CLASS=$PER_CLASS STATEMENTS=$STATEMENTS LOAD_BATCH=$LOAD_BATCH LOAD_CLIENTS=$LOAD_CLIENTS DURATION=$DURATION CONNECTIONS=$CONNECTIONS REPEAT=$REPEAT"
  echo '```'
  echo
  echo "Measured $DATE on $(nproc) cores ($CPU), load average at the end $LOAD; $(cartable_version), SQLite, wrk $(wrk_version). The statements were sent through the LRS in $LOAD_S s ($RATE statements/s with $LOAD_CLIENTS clients in batches of $LOAD_BATCH, while the writer also kept the progress projection and the city's counts); the projection holds $PROJECTED rows (learner × capsule). Pages are asked with an admin's session cookie, medians of $REPEAT runs of $DURATION s."
  echo
  echo "| page | connections | requests/s | p50 ms | p99 ms | non-200 |"
  echo "|---|---|---|---|---|---|"
  for entry in "${PAGES[@]}"; do
    read -r name path <<<"$entry"
    for conns in 1 $CONNECTIONS; do
      echo "| $name (\`$path\`) | $conns | $(med "$name" "$conns" 4) | $(med "$name" "$conns" 5) | $(med "$name" "$conns" 6) | $(awk -v n="$name" -v c="$conns" '$1 == n && $2 == c {s += $7} END {print s + 0}' "$WORK/runs") |"
    done
  done
  echo
  echo "Reference, same data: the class matrix computed from the raw statements by one SQL query (json_extract over the statements of the class's learners, GROUP BY learner and capsule), as an LRS without a projection must: median ${REF_MS} ms for $REF_ROWS cells (SQLite, Python's sqlite3, median of $REPEAT)."
  echo
  echo "Peak resident memory of cartable over the whole run: $RSS MiB."
  echo
  echo "<details><summary>Every run</summary>"
  echo
  echo "| page | connections | run | requests/s | p50 ms | p99 ms | non-200 |"
  echo "|---|---|---|---|---|---|---|"
  awk '{printf "| %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7}' "$WORK/runs"
  echo
  echo "</details>"
} >"$MD"
save_report "$MD"
