#!/usr/bin/env bash
# bench/login.sh — signing in with a password: what one sign-in costs.
#
# What it measures: cartable hashes passwords with argon2id, m = 19456 KiB
# (19 MiB), t = 2, p = 1 (OWASP's first recommendation), runs at most
# HASHING_AT_ONCE (2) hashes at once, and a sign-in is one argon2id
# verification plus one INSERT of a session row. The script reports
#   - the reference: the argon2 reference C implementation (the `argon2`
#     command) hashing with the same parameters, HASH_RUNS times; its median
#     is the floor of one sign-in on one core;
#   - cartable: POST /fr/login with the right password, the logins of USERS
#     learners in turn, with wrk on loopback at 1 connection (the time of
#     one sign-in) and at CONNECTIONS connections (sign-ins/s with every
#     core busy): sign-ins/s, p50, p99, responses other than 303 with a
#     session cookie, cartable's CPU time per sign-in, its peak resident
#     memory (VmHWM), and the ratio of one sign-in (p50 at 1 connection) to
#     the bare hash.
# Successful sign-ins are never rate-limited (only failures are, 5 per
# account per 15 min), so the runs sign in again and again; the sessions
# they open stay in a data dir thrown away at the end.
#
# Run:      bench/login.sh
# Needs:    argon2, wrk, curl, jq
#           (apt-get install -y --no-install-recommends argon2 wrk curl jq)
# Settings (environment):
#   CARTABLE     binary (default /root/.cache/cartable-release/release/cartable,
#                then target/release/cartable)
#   USERS        learners bench1…benchN signing in in turn (default 8)
#   PASSWORD     their password, 8 to 127 bytes (default bench-sign-in-1234)
#   HASH_RUNS    runs of the argon2 command; the median is reported (default 20)
#   DURATION     seconds per wrk run (default 15)
#   CONNECTIONS  wrk connections of the throughput runs (default 16; the
#                latency runs use 1)
#   REPEAT       runs per connection count; medians are reported (default 3)
#   PAUSE        seconds of rest between runs (default 5)
# Every load is bounded by wrk's -d (and a timeout around wrk, and around
# every argon2 command); everything lives in a mktemp -d removed on exit,
# and the server is stopped then.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
find_cartable
USERS=${USERS:-8}
PASSWORD=${PASSWORD:-bench-sign-in-1234}
HASH_RUNS=${HASH_RUNS:-20}
DURATION=${DURATION:-15}
CONNECTIONS=${CONNECTIONS:-16}
REPEAT=${REPEAT:-3}
PAUSE=${PAUSE:-5}
THREADS=2
# The argon2id parameters of cartable (cartable-core's accounts.rs:
# argon2 Params::DEFAULT), given to the reference command.
ARGON_M=19456
ARGON_T=2
ARGON_P=1
ARGON_SALT=somesaltsalt
# Any 64 hex digits: before sign-in, the form's csrf field must equal the
# cartable_csrf cookie.
CSRF=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
NEXT=/fr/account
for tool in wrk curl jq awk; do
  command -v "$tool" >/dev/null || { echo "missing tool: $tool (apt-get install -y --no-install-recommends wrk curl jq)" >&2; exit 1; }
done
command -v argon2 >/dev/null || { echo "missing tool: argon2, the reference implementation (apt-get install -y --no-install-recommends argon2)" >&2; exit 1; }
((USERS >= 1)) || { echo "USERS must be at least 1" >&2; exit 1; }
((${#PASSWORD} >= 8 && ${#PASSWORD} < 128)) || { echo "PASSWORD must be 8 to 127 bytes" >&2; exit 1; }
[[ $PASSWORD != *$'\n'* ]] || { echo "PASSWORD must be one line" >&2; exit 1; }
# How many hashes cartable runs at once (cartable-web's HASHING_AT_ONCE).
AT_ONCE=$({ sed -n 's/.*HASHING_AT_ONCE: usize = \([0-9]*\);.*/\1/p' "$ROOT/crates/cartable-web/src/lib.rs" 2>/dev/null || true; } | head -1)
AT_ONCE=${AT_ONCE:-2}

make_work
CARTABLE_PID=""

log "binary: $CARTABLE"
log "work dir: $WORK"

# ---------------------------------------------------------------- reference ---
# The argon2 command prints the time of its hash ("0.025 seconds", the
# process's CPU time by clock(), which is the elapsed time with one lane),
# then verifies the hash once more; the wall time of the whole command is
# kept beside it as a check.
log "reference: argon2 -id -t $ARGON_T -k $ARGON_M -p $ARGON_P, $HASH_RUNS runs"
: >"$WORK/argon2.tsv"
for run in $(seq "$HASH_RUNS"); do
  t0=$(now)
  printf '%s' "$PASSWORD" | timeout 60 argon2 "$ARGON_SALT" -id -t "$ARGON_T" -k "$ARGON_M" -p "$ARGON_P" \
    >"$WORK/argon2.out" 2>&1 || { cat "$WORK/argon2.out" >&2; die "argon2 failed"; }
  wall=$(since_ms "$t0")
  grep -qF "\$argon2id\$v=19\$m=$ARGON_M,t=$ARGON_T,p=$ARGON_P\$" "$WORK/argon2.out" \
    || { cat "$WORK/argon2.out" >&2; die "argon2 did not hash with m=$ARGON_M,t=$ARGON_T,p=$ARGON_P"; }
  secs=$(awk '$2 == "seconds" {print $1}' "$WORK/argon2.out")
  [[ -n "$secs" ]] || { cat "$WORK/argon2.out" >&2; die "no time in the output of argon2"; }
  echo "$run $secs $wall" >>"$WORK/argon2.tsv"
done
ARGON_VERSION=$({ dpkg-query -W -f '${Version}' argon2 2>/dev/null || true; } | head -1)
HASH_MS=$(awk '{print 1000 * $2}' "$WORK/argon2.tsv" | median)
HASH_MIN=$(awk '{print 1000 * $2}' "$WORK/argon2.tsv" | sort -g | head -1)
HASH_MAX=$(awk '{print 1000 * $2}' "$WORK/argon2.tsv" | sort -g | tail -1)
WALL_MS=$(awk '{print $3}' "$WORK/argon2.tsv" | median)
log "argon2 reference: median $HASH_MS ms per hash (min $HASH_MIN, max $HASH_MAX); whole command (hash + verification) $WALL_MS ms"

# ---------------------------------------------------------------- users ---
mkdir -p "$WORK/data"
for k in $(seq "$USERS"); do
  printf '%s\n' "$PASSWORD" | "$CARTABLE" --data-dir "$WORK/data" user add "bench$k" --role learner \
    >"$WORK/user.out" 2>"$WORK/user.err" || { tail -20 "$WORK/user.err" >&2; die "user add bench$k failed"; }
done
log "added $USERS learners, bench1 to bench$USERS"

# ---------------------------------------------------------------- server ---
CARTABLE_SECURE_COOKIES=false start_cartable "$WORK/data"
log "cartable at $URL (pid $CARTABLE_PID): $BANNER"
sleep 2
IDLE_RSS=$(rss_kb "$CARTABLE_PID")
log "idle: VmRSS $(mib "$IDLE_RSS") MiB"

# form_body K: the sign-in form of benchK, URL-encoded.
PASSWORD_URI=$(jq -rn --arg p "$PASSWORD" '$p | @uri')
NEXT_URI=$(jq -rn --arg p "$NEXT" '$p | @uri')
form_body() { echo "csrf=$CSRF&login=bench$1&password=$PASSWORD_URI&next=$NEXT_URI"; }

# One sign-in by hand: it must be a 303 to NEXT with a session cookie.
t0=$(now)
CODE=$(curl -s -o "$WORK/body" -D "$WORK/headers" -w '%{http_code}' --max-time 30 \
  -H 'Content-Type: application/x-www-form-urlencoded' -H "Cookie: cartable_csrf=$CSRF" \
  --data-binary "$(form_body 1)" "$URL/fr/login") || die "POST /fr/login failed"
CURL_MS=$(since_ms "$t0")
[[ "$CODE" == 303 ]] || { head -c 500 "$WORK/body" >&2; echo >&2; die "POST /fr/login as bench1 answered $CODE, not 303"; }
grep -qi '^set-cookie: *cartable_session=' "$WORK/headers" || { cat "$WORK/headers" >&2; die "the 303 of POST /fr/login set no cartable_session cookie"; }
grep -qi "^location: *$NEXT" "$WORK/headers" || { cat "$WORK/headers" >&2; die "the 303 of POST /fr/login does not go to $NEXT"; }
log "one sign-in with curl: 303 with a session cookie in $CURL_MS ms"

# The wrk script: POST /fr/login with the forms of bench1…benchN in turn;
# it counts 303s with a session cookie, 303s without, and other statuses.
{
  echo "-- Made by bench/login.sh."
  echo "local bodies = {"
  for k in $(seq "$USERS"); do printf '  "%s",\n' "$(form_body "$k")"; done
  echo "}"
  echo "local csrf = \"$CSRF\""
  cat <<'EOF'
local formatted = {}
local threads = {}
local next_offset = 0
function setup(thread)
  thread:set("offset", next_offset)
  next_offset = next_offset + 1
  table.insert(threads, thread)
end
local i = 0
function init(args)
  signed_in = 0
  no_session = 0
  refused = 0
  for k, b in ipairs(bodies) do
    local headers = {}
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    headers["Cookie"] = "cartable_csrf=" .. csrf
    formatted[k] = wrk.format("POST", "/fr/login", headers, b)
  end
  i = (offset or 0) % #formatted
end
function request()
  i = i % #formatted + 1
  return formatted[i]
end
function response(status, headers, body)
  if status == 303 then
    local c = headers["set-cookie"] or headers["Set-Cookie"] or ""
    if string.find(c, "cartable_session=", 1, true) then
      signed_in = signed_in + 1
    else
      no_session = no_session + 1
    end
  else
    refused = refused + 1
  end
end
function done(summary, latency, requests)
  local ok, bare, bad = 0, 0, 0
  for _, t in ipairs(threads) do
    ok = ok + (t:get("signed_in") or 0)
    bare = bare + (t:get("no_session") or 0)
    bad = bad + (t:get("refused") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d signed_in=%d no_session=%d other=%d status=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), latency.max,
    ok, bare, bad, e.status, e.connect, e.read, e.write, e.timeout))
end
EOF
} >"$WORK/login.lua"

# ---------------------------------------------------------------- load ---
: >"$WORK/results.tsv"
HWM_ONE=""
# run CONNS REP: one wrk run; appends a line to results.tsv.
run() {
  local conns=$1 rep=$2 out before after line threads=$THREADS
  ((conns >= THREADS)) || threads=$conns
  out="$WORK/wrk-c$conns-$rep.txt"
  before=$(cpu_ticks "$CARTABLE_PID")
  timeout $((DURATION + 60)) wrk -t"$threads" -c"$conns" -d"${DURATION}s" --timeout 10s --latency \
    -s "$WORK/login.lua" "$URL" >"$out" 2>&1 || { cat "$out" >&2; die "wrk failed (c$conns)"; }
  after=$(cpu_ticks "$CARTABLE_PID")
  kill -0 "$CARTABLE_PID" 2>/dev/null || { tail -20 "$WORK/cartable.err" >&2; die "cartable died under load"; }
  line=$(grep '^BENCH ' "$out") || { cat "$out" >&2; die "no result from wrk (c$conns)"; }
  echo "$conns $rep $((after - before)) ${line#BENCH }" >>"$WORK/results.tsv"
  log "$(printf 'c%-4s run %s: %s' "$conns" "$rep" "$(grep -E 'Requests/sec|  99%' "$out" | tr -s ' ' | tr '\n' ' ')")"
  if grep -q 'Non-2xx' "$out"; then log "WARNING: $(grep 'Non-2xx' "$out") (c$conns)"; fi
  if grep -q 'Socket errors' "$out"; then log "WARNING: $(grep 'Socket errors' "$out") (c$conns)"; fi
  local other
  other=$(awk '{for (i = 4; i <= NF; i++) {split($i, a, "="); f[a[1]] = a[2]} print f["no_session"] + f["other"]}' <<<"${line#BENCH }")
  if ((other > 0)); then log "WARNING: $other responses were not a 303 with a session cookie (c$conns)"; fi
}
for rep in $(seq "$REPEAT"); do
  for conns in 1 "$CONNECTIONS"; do
    sleep "$PAUSE"
    run "$conns" "$rep"
    # The peak after the very first run: one sign-in at a time.
    [[ -n "$HWM_ONE" ]] || HWM_ONE=$(hwm_kb "$CARTABLE_PID")
  done
done
HWM=$(hwm_kb "$CARTABLE_PID")

# ---------------------------------------------------------------- report ---
# field CONNS EXPR: EXPR over the key=value fields of every run at CONNS, one per line.
field() {
  awk -v m="$1" -v t="$CLK_TCK" '$1 == m {for (i = 4; i <= NF; i++) {split($i, a, "="); f[a[1]] = a[2]} f["cpu"] = $3 / t; f["rps"] = f["requests"] / (f["duration_us"] / 1e6); f["cpu_ms"] = (f["requests"] > 0 ? 1000 * f["cpu"] / f["requests"] : 0); print f["'"$2"'"]}' "$WORK/results.tsv"
}
med() { field "$1" "$2" | median; }
# Over all runs at CONNS: responses other than a 303 with a session cookie / socket errors.
errs() { awk -v m="$1" '$1 == m {for (i = 4; i <= NF; i++) {split($i, a, "="); f[a[1]] = a[2]} s += f["other"] + f["no_session"]; e += f["connect"] + f["read"] + f["write"] + f["timeout"]} END {printf "%d / %d", s, e}' "$WORK/results.tsv"; }
f1() { awk -v v="$1" 'BEGIN {printf "%.1f", v}'; }
f2() { awk -v v="$1" 'BEGIN {printf "%.2f", v}'; }

P50_ONE=$(med 1 p50_us)
RATIO=$(awk -v p="$P50_ONE" -v h="$HASH_MS" 'BEGIN {printf "%.2f", (h > 0 ? p / 1000 / h : 0)}')
CPU_ONE=$(med 1 cpu_ms)
CPU_RATIO=$(awk -v c="$CPU_ONE" -v h="$HASH_MS" 'BEGIN {printf "%.2f", (h > 0 ? c / h : 0)}')
CORES=$(nproc)
# What AT_ONCE hashes at a time allow at most, on at most that many cores.
BOUND=$(awk -v n="$AT_ONCE" -v c="$CORES" -v h="$HASH_MS" 'BEGIN {k = (n < c ? n : c); printf "%.0f", (h > 0 ? 1000 * k / h : 0)}')
WORST_MIB=$(awk -v n="$AT_ONCE" -v m="$ARGON_M" 'BEGIN {printf "%.0f", n * m / 1024}')

VERSION=$(cartable_version)
WRK_VERSION=$(wrk_version)
machine_facts
MD="$WORK/login.md"
{
  echo "## Signing in with a password"
  echo
  echo '```sh'
  echo "bench/login.sh   # USERS=$USERS HASH_RUNS=$HASH_RUNS DURATION=$DURATION CONNECTIONS=$CONNECTIONS REPEAT=$REPEAT PAUSE=$PAUSE"
  echo '```'
  echo
  echo "Measured $DATE on $CORES cores ($CPU), Linux $(uname -r), $VERSION, SQLite (the default), wrk $WRK_VERSION, argon2 ${ARGON_VERSION:-(version unknown)}; load average at the end $LOAD."
  echo
  echo "cartable hashes passwords with argon2id, m = $ARGON_M KiB (19 MiB), t = $ARGON_T, p = $ARGON_P: OWASP's first recommendation for argon2id. Each hash takes its 19 MiB for its whole run, so cartable lets at most $AT_ONCE run at once (one per core of a small box; more sign-ins wait their turn): $AT_ONCE × 19 MiB = $WORST_MIB MiB at worst, which a 1 GB box can spare. One hash takes about $(f1 "$HASH_MS") ms on one core of this machine, a delay nobody notices once per sign-in; an attacker with a stolen database pays the same time and memory for every guess of every password, on every core they bring. A sign-in is one argon2id verification plus one INSERT of the session row."
  echo
  echo "### The reference: argon2 alone"
  echo
  echo '```sh'
  echo "echo -n \"\$PASSWORD\" | argon2 $ARGON_SALT -id -t $ARGON_T -k $ARGON_M -p $ARGON_P   # $HASH_RUNS times"
  echo '```'
  echo
  echo "The argon2 reference C implementation (Debian package \`argon2\`), same parameters. It prints the time of its hash (CPU time, the elapsed time with one lane); it then verifies the hash, a second one, which the wall time of the whole command includes."
  echo
  echo "| measure | median | min | max |"
  echo "|---|---|---|---|"
  echo "| one hash, ms (the command's figure) | $(f1 "$HASH_MS") | $(f1 "$HASH_MIN") | $(f1 "$HASH_MAX") |"
  echo "| whole command, ms (hash + verification + start) | $(f1 "$WALL_MS") | $(f1 "$(awk '{print $3}' "$WORK/argon2.tsv" | sort -g | head -1)") | $(f1 "$(awk '{print $3}' "$WORK/argon2.tsv" | sort -g | tail -1)") |"
  echo
  echo "### cartable: POST /fr/login"
  echo
  echo '```sh'
  echo "wrk -t1 -c1 -d${DURATION}s --timeout 10s --latency -s login.lua http://127.0.0.1:<port>"
  echo "wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --timeout 10s --latency -s login.lua http://127.0.0.1:<port>"
  echo "# login.lua: POST /fr/login, Content-Type: application/x-www-form-urlencoded, Cookie: cartable_csrf=<64 hex>,"
  echo "#   body csrf=<same>&login=benchK&password=…&next=%2Ffr%2Faccount, K = 1…$USERS in turn"
  echo '```'
  echo
  echo "$USERS learners made with \`cartable user add benchK --role learner\` (password on standard input), sign in in turn, on a fresh data dir; every answer must be a 303 to \`$NEXT\` with a \`cartable_session\` cookie. Medians of $REPEAT runs of ${DURATION} s per connection count, wrk on the same machine. At most $AT_ONCE hashes at a time on $CORES cores and $(f1 "$HASH_MS") ms per hash bound the rate at about $BOUND sign-ins/s."
  echo
  echo "| connections | sign-ins/s | p50 ms | p99 ms | max ms | other answers / socket errors | cartable CPU ms per sign-in |"
  echo "|---|---|---|---|---|---|---|"
  for conns in 1 "$CONNECTIONS"; do
    echo "| $conns | $(f1 "$(med "$conns" rps)") | $(ms "$(med "$conns" p50_us)") | $(ms "$(med "$conns" p99_us)") | $(ms "$(med "$conns" max_us)") | $(errs "$conns") | $(f1 "$(med "$conns" cpu_ms)") |"
  done
  echo
  echo "| one sign-in against the bare hash | value |"
  echo "|---|---|"
  echo "| cartable p50 at 1 connection, ms | $(ms "$P50_ONE") |"
  echo "| argon2 reference, one hash, ms | $(f1 "$HASH_MS") |"
  echo "| ratio (1.00 = a sign-in costs exactly one hash) | $RATIO |"
  echo "| cartable CPU per sign-in at 1 connection / one hash | $CPU_RATIO |"
  echo
  echo "The ratio compares two implementations of the same hash: besides the HTTP request and the INSERT, cartable's argon2 crate may be faster or slower than the reference C code (a ratio below 1.00 means faster)."
  echo
  echo "| resident memory of cartable | MiB |"
  echo "|---|---|"
  echo "| idle (VmRSS), $USERS users, $SERVED capsules | $(mib "$IDLE_RSS") |"
  echo "| peak (VmHWM) after the first run, one sign-in at a time | $(mib "$HWM_ONE") |"
  echo "| peak (VmHWM) over the whole run, up to $AT_ONCE hashes at once | $(mib "$HWM") |"
  echo
  echo "CPU per sign-in is cartable's user + system time over a run divided by the sign-ins wrk completed (clock ticks of 1/$CLK_TCK s; the few sign-ins still in flight when wrk stops are not counted). \"Other answers\" are responses that are not a 303 with a session cookie, summed over the runs."
  echo
  echo "<details><summary>Every run</summary>"
  echo
  echo "| connections | run | sign-ins/s | p50 ms | p99 ms | max ms | 303 + session | 303 without session | other status | socket errors (connect/read/write/timeout) | CPU s |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|"
  while read -r conns rep ticks rest; do
    declare -A f=()
    for kvp in $rest; do f[${kvp%%=*}]=${kvp#*=}; done
    echo "| $conns | $rep | $(f1 "$(awk -v r="${f[requests]}" -v d="${f[duration_us]}" 'BEGIN {print r / (d / 1e6)}')") | $(ms "${f[p50_us]}") | $(ms "${f[p99_us]}") | $(ms "${f[max_us]}") | ${f[signed_in]} | ${f[no_session]} | ${f[other]} | ${f[connect]}/${f[read]}/${f[write]}/${f[timeout]} | $(f2 "$(awk -v t="$ticks" -v c="$CLK_TCK" 'BEGIN {print t / c}')") |"
    unset f
  done <"$WORK/results.tsv"
  echo
  echo "| argon2 run | hash ms | whole command ms |"
  echo "|---|---|---|"
  while read -r run secs wall; do
    echo "| $run | $(f1 "$(awk -v s="$secs" 'BEGIN {print 1000 * s}')") | $wall |"
  done <"$WORK/argon2.tsv"
  echo
  echo "</details>"
} >"$MD"
save_report "$MD"
