#!/usr/bin/env bash
# The exam-start spike (issue #9): CANDIDATES (3,000) learners start the
# same 40-question practice exam, each at a random moment of the first
# WINDOW (60) seconds, and answer every question after a think time of
# THINK (5-15) seconds, through the JSON API with their own tokens. Once on
# SQLite, once on PostgreSQL (fsync on), each time against one node. The
# reference, in the same run: nginx serving a file of the same size as a
# paper, asked with the very same schedule (every request a GET), which is
# this machine's floor for that many clients over loopback.
#
#   bench/quiz.sh
#
# Needs the release build with the example quiz_bench
# (cargo build --release -p cartable --example quiz_bench), PostgreSQL 15
# binaries, nginx-light, python3.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
source "$ROOT/bench/lib.sh"
find_cartable
QUIZ_BENCH=${QUIZ_BENCH:-$(dirname "$CARTABLE")/examples/quiz_bench}
[[ -x $QUIZ_BENCH ]] || die "no $QUIZ_BENCH: cargo build --release -p cartable --example quiz_bench"
need_tools nginx python3
CANDIDATES=${CANDIDATES:-3000}
WINDOW=${WINDOW:-60}
THINK=${THINK:-5-15}
QUESTIONS=40
WORK=${WORK:-/tmp/cartable-bench-quiz}
PG_BIN=/usr/lib/postgresql/15/bin
PG_PORT=54371
PIDS=()
cleanup() {
  stop_pids "${PIDS[@]}"
  [[ -f $WORK/nginx.pid ]] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  su postgres -s /bin/sh -c "$PG_BIN/pg_ctl -D $WORK/pg/data -m fast stop" >/dev/null 2>&1 || true
}
trap cleanup EXIT
rm -rf "$WORK" && mkdir -p "$WORK/pg" && chown postgres "$WORK/pg"
ulimit -n 20000 2>/dev/null || true
export CARTABLE_LOG_LEVEL=warn

# A bank of 120 questions of every type, 40 drawn for each candidate.
python3 - "$WORK/bank.gift" <<'PY'
import sys
lines = ["$CATEGORY: bench"]
for i in range(20):
    lines += [f"::single-{i}::{i} + {i} ? {{={2*i} ~{2*i+1} ~{2*i+2}}}", "",
              f"::multiple-{i}::Les multiples de {i+2} ? {{~%50%{2*(i+2)} ~%50%{3*(i+2)} ~%-100%{2*(i+2)+1}}}", "",
              f"::tf-{i}::{i} est pair. {{{'T' if i % 2 == 0 else 'F'}}}", "",
              f"::num-{i}::{i} × 3 ? {{#{3*i}:0}}", "",
              f"::short-{i}::Écrivez le nombre {i} en chiffres. {{={i}}}", "",
              f"::match-{i}::Associez. {{={i} -> a{i} ={i+1} -> b{i} ={i+2} -> c{i}}}", ""]
open(sys.argv[1], "w").write("\n".join(lines))
PY

setup_node() { # DATA_DIR
  "$CARTABLE" --data-dir "$1" import questions "$WORK/bank.gift" --bank bench --json > /dev/null
  "$CARTABLE" --data-dir "$1" quiz create bench --title "Examen blanc" --bank bench --draw $QUESTIONS --shuffle \
    --time-limit 2h --feedback deferred --attempts 1 > /dev/null
}

run_cartable() { # NAME DATA_DIR DB_URL PORT
  local name=$1 data=$2 url=$3 port=$4 pid t0
  log "$name: $CANDIDATES candidates"
  setup_node "$data"
  "$QUIZ_BENCH" setup --db "$url" --candidates "$CANDIDATES" --out "$WORK/tokens-$name.txt"
  "$CARTABLE" --data-dir "$data" serve --listen "127.0.0.1:$port" > "$WORK/$name.log" 2>&1 & pid=$!; PIDS+=($pid)
  until grep -q serving "$WORK/$name.log"; do sleep 0.2; done
  # One paper, the size the reference serves (its candidate then resumes it).
  [[ -f $WORK/nginx/paper.json ]] || { mkdir -p "$WORK/nginx"; curl -sf -X POST -H "Authorization: Bearer $(head -1 "$WORK/tokens-$name.txt")" \
    "http://127.0.0.1:$port/api/v1/quizzes/bench/attempts" > "$WORK/nginx/paper.json"; }
  t0=$(cpu_ticks "$pid")
  "$QUIZ_BENCH" run --url "http://127.0.0.1:$port" --quiz bench --tokens "$WORK/tokens-$name.txt" \
    --window "$WINDOW" --think "$THINK" --questions $QUESTIONS --out "$WORK/$name.json" > /dev/null
  echo "$name: $(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(json.dumps({k: r[k] for k in ("finished","queued","errors","error_kinds","seconds","start","save")}))' "$WORK/$name.json")"
  echo "$name: server CPU $(awk -v t=$(( $(cpu_ticks "$pid") - t0 )) -v hz="$CLK_TCK" 'BEGIN {printf "%.0f", t / hz}') s, peak RSS $(mib "$(hwm_kb "$pid")") MiB"
  stop_pids "$pid"
}

# 1. SQLite
export CARTABLE_DATABASE_URL="sqlite://$WORK/sqlite/data/cartable.db"
mkdir -p "$WORK/sqlite/data"
run_cartable sqlite "$WORK/sqlite/data" "$CARTABLE_DATABASE_URL" 8701

# 2. PostgreSQL, fsync on.
su postgres -s /bin/sh -c "$PG_BIN/initdb -D $WORK/pg/data -U postgres --auth=trust >/dev/null && \
  $PG_BIN/pg_ctl -D $WORK/pg/data -o '-k $WORK/pg -h 127.0.0.1 -p $PG_PORT -c max_connections=200' -l $WORK/pg/log -w start >/dev/null"
export CARTABLE_DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
run_cartable postgres "$WORK/pg-data" "$CARTABLE_DATABASE_URL" 8702

# 3. The reference: nginx, a file the size of a paper, the same schedule.
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
  server { listen 127.0.0.1:8703; location / { root $WORK/nginx; } }
}
NGINX
nginx -c "$WORK/nginx.conf"; sleep 1
log "nginx: the same schedule"
"$QUIZ_BENCH" run --url http://127.0.0.1:8703 --static /paper.json --tokens "$WORK/tokens-sqlite.txt" \
  --window "$WINDOW" --think "$THINK" --questions $QUESTIONS --out "$WORK/nginx.json" > /dev/null
echo "nginx: $(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(json.dumps({k: r[k] for k in ("finished","errors","seconds","start","save")}))' "$WORK/nginx.json")"
