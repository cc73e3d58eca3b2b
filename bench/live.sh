#!/usr/bin/env bash
# Live rooms at scale (issue #6): open room event streams held by several
# cartable nodes over one PostgreSQL, and the time one room event takes to
# reach every viewer, against nchan (the nginx pub/sub module, Debian's
# libnginx-mod-nchan) holding the same streams in the same run.
#
#   bench/live.sh            # SCALES="10000 100000" by default
#
# Settings: SCALES (viewers per run), PER_NODE (connections per cartable
# node / nginx worker, 15000: a process here may open 20,000 files),
# PER_CLIENT (connections per client process, 15000), EVENTS (events sent
# per run and reported, 3; one more is sent, on which the viewers leave),
# GAP (seconds between them, 5), SKIP_NCHAN=1 to measure
# cartable only. Needs a release build with the example live_bench
# (cargo build --release -p cartable --example live_bench), PostgreSQL 15
# binaries, nginx-light and libnginx-mod-nchan, python3.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
source "$ROOT/bench/lib.sh"
find_cartable
LIVE_BENCH=${LIVE_BENCH:-$(dirname "$CARTABLE")/examples/live_bench}
[[ -x $LIVE_BENCH ]] || die "no $LIVE_BENCH: cargo build --release -p cartable --example live_bench"
SCALES=${SCALES:-"10000 100000"}
PER_NODE=${PER_NODE:-15000}
PER_CLIENT=${PER_CLIENT:-15000}
EVENTS=${EVENTS:-3}
GAP=${GAP:-5}
WORK=${WORK:-/tmp/cartable-bench-live}
PG_PORT=${PG_PORT:-54341}
PG_BIN=/usr/lib/postgresql/15/bin
PIDS=()
cleanup() {
  stop_pids "${PIDS[@]}"
  [[ -f $WORK/nginx.pid ]] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  su postgres -s /bin/sh -c "$PG_BIN/pg_ctl -D $WORK/pg/data -m fast stop" >/dev/null 2>&1 || true
}
trap cleanup EXIT
rm -rf "$WORK" && mkdir -p "$WORK/pg" && chown postgres "$WORK/pg"
log "PostgreSQL on 127.0.0.1:$PG_PORT"
su postgres -s /bin/sh -c "$PG_BIN/initdb -D $WORK/pg/data -U postgres --auth=trust >/dev/null && \
  $PG_BIN/pg_ctl -D $WORK/pg/data -o '-k $WORK/pg -h 127.0.0.1 -p $PG_PORT -c max_connections=2000 -c shared_buffers=256MB -c fsync=off' -l $WORK/pg/log -w start >/dev/null"
export CARTABLE_DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
export CARTABLE_LOG_LEVEL=warn
echo "pass-bench-1" | "$CARTABLE" --data-dir "$WORK/admin" user add chef --role admin >/dev/null
TOKEN=$("$CARTABLE" --data-dir "$WORK/admin" user token chef --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')

# The kernel's slab memory (kB): sockets, their buffers' bookkeeping, the
# connection tables; both ends of each loopback connection are counted.
slab_kb() { awk '/^Slab:/ {print $2}' /proc/meminfo; }

# run_clients SCALE TARGETS PATH TAG: starts the viewer processes, waits
# until all have connected; sets CLIENTS (pids) and CLIENT_OUT (files).
run_clients() {
  local scale=$1 targets=$2 path=$3 tag=$4
  local n=$(( (scale + PER_CLIENT - 1) / PER_CLIENT )) i
  CLIENTS=(); CLIENT_OUT=()
  for i in $(seq 1 "$n"); do
    local count=$(( scale / n + (i <= scale % n ? 1 : 0) ))
    "$LIVE_BENCH" --targets "$targets" --path "$path" --connections "$count" \
      --sources 127.0.0.2-127.0.0.60 --events $((EVENTS + 1)) --timeout $((120 + EVENTS * GAP * 4)) \
      --out "$WORK/$tag-$i.json" > "$WORK/$tag-$i.log" 2>&1 &
    CLIENTS+=($!); PIDS+=($!); CLIENT_OUT+=("$WORK/$tag-$i.json")
  done
  local t0; t0=$(now)
  for i in $(seq 1 "$n"); do
    until grep -q '^connected' "$WORK/$tag-$i.log" 2>/dev/null; do sleep 0.5; done
  done
  CONNECT_SECONDS=$(since "$t0")
  CONNECTED=$(cat "$WORK/$tag"-*.log | awk '/^connected/ {c += $2; f += $4} END {print c " " f}')
}

# report TAG T0S…: the latency of each event to every viewer.
report() {
  local tag=$1; shift
  python3 - "$tag" "$WORK" "$@" <<'PY'
import glob, json, sys
tag, work, t0s = sys.argv[1], sys.argv[2], [int(t) for t in sys.argv[3:]]
received = {}
for f in glob.glob(f"{work}/{tag}-*.json"):
    for k, times in json.load(open(f))["received"].items():
        received.setdefault(int(k), []).extend(times)
for n, t0 in enumerate(t0s, 1):
    lat = sorted(t - t0 for t in received.get(n, []))
    if not lat:
        print(f"event {n}: nobody received it"); continue
    pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
    print(f"event {n}: received by {len(lat)}; p50 {pick(0.5)} ms, p99 {pick(0.99)} ms, max {lat[-1]} ms")
PY
}

for SCALE in $SCALES; do
  NODES=$(( (SCALE + PER_NODE - 1) / PER_NODE ))
  log "=== $SCALE viewers: $NODES cartable nodes"
  ID=$("$CARTABLE" --data-dir "$WORK/admin" live create --title "Bench $SCALE" --start "$(date -u +%Y-%m-%dT%H:%M)" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  NODE_PIDS=(); TARGETS=""
  for i in $(seq 1 "$NODES"); do
    port=$((8400 + i))
    "$CARTABLE" --data-dir "$WORK/node$i" serve --listen "127.0.0.1:$port" > "$WORK/node$i.log" 2>&1 &
    NODE_PIDS+=($!); PIDS+=($!)
    TARGETS="${TARGETS:+$TARGETS,}127.0.0.1:$port"
  done
  for i in $(seq 1 "$NODES"); do until grep -q "serving" "$WORK/node$i.log"; do sleep 0.2; done; done
  sleep 2
  rss0=0; for p in "${NODE_PIDS[@]}"; do rss0=$((rss0 + $(rss_kb "$p"))); done
  mem0=$(slab_kb)
  run_clients "$SCALE" "$TARGETS" "/live/$ID/events" "cartable-$SCALE"
  sleep 3
  rss1=0; for p in "${NODE_PIDS[@]}"; do rss1=$((rss1 + $(rss_kb "$p"))); done
  mem1=$(slab_kb)
  read -r ok bad <<< "$CONNECTED"
  echo "cartable $SCALE: $ok connected, $bad failed in ${CONNECT_SECONDS}s on $NODES nodes"
  echo "  user-space: $(( (rss1 - rss0) * 1024 / (ok > 0 ? ok : 1) )) bytes per connection (nodes' RSS $(mib $rss0) → $(mib $rss1) MiB)"
  echo "  kernel: $(( (mem1 - mem0) * 1024 / (ok > 0 ? ok : 1) )) bytes of slab per connection, both ends (slab $(mib $mem0) → $(mib $mem1) MiB)"
  T0S=()
  for e in $(seq 1 "$EVENTS"); do
    T0S+=($(date +%s%3N))
    curl -sf -o /dev/null -H "Authorization: Bearer $TOKEN" -H "Accept: application/json" \
      --data-urlencode "question=Q$e" --data-urlencode $'options=oui\nnon' \
      "http://127.0.0.1:8401/fr/live/$ID/polls"
    sleep "$GAP"
  done
  # One more, not reported: the viewers leave on it, and their leaving
  # must not weigh on the events measured.
  curl -sf -o /dev/null -H "Authorization: Bearer $TOKEN" -H "Accept: application/json" \
    --data-urlencode "question=end" --data-urlencode $'options=oui\nnon' "http://127.0.0.1:8401/fr/live/$ID/polls"
  for p in "${CLIENTS[@]}"; do wait "$p" || true; done
  report "cartable-$SCALE" "${T0S[@]}"
  stop_pids "${NODE_PIDS[@]}"

  [[ ${SKIP_NCHAN:-} == 1 ]] && continue
  WORKERS=$NODES
  cat > "$WORK/nginx.conf" <<NGINX
load_module /usr/lib/nginx/modules/ngx_nchan_module.so;
worker_processes $WORKERS;
worker_rlimit_nofile 19500;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 19000; }
http {
  access_log off;
  nchan_shared_memory_size 512M;
  server {
    listen 127.0.0.1:8499 backlog=4096;
    location ~ ^/sub/(\w+)$ { nchan_subscriber eventsource; nchan_channel_id \$1; }
    location ~ ^/pub/(\w+)$ { nchan_publisher; nchan_channel_id \$1; }
  }
}
NGINX
  nginx -c "$WORK/nginx.conf"
  sleep 1
  npids=$(pgrep -f "nginx: worker process" | tr '\n' ' ')
  rss0=0; for p in $npids; do rss0=$((rss0 + $(rss_kb "$p"))); done
  mem0=$(slab_kb)
  run_clients "$SCALE" "127.0.0.1:8499" "/sub/room$SCALE" "nchan-$SCALE"
  sleep 3
  rss1=0; for p in $npids; do rss1=$((rss1 + $(rss_kb "$p"))); done
  mem1=$(slab_kb)
  read -r ok bad <<< "$CONNECTED"
  echo "nchan $SCALE: $ok connected, $bad failed in ${CONNECT_SECONDS}s on $WORKERS workers"
  echo "  user-space: $(( (rss1 - rss0) * 1024 / (ok > 0 ? ok : 1) )) bytes per connection (workers' RSS $(mib $rss0) → $(mib $rss1) MiB, shared memory not counted)"
  echo "  kernel: $(( (mem1 - mem0) * 1024 / (ok > 0 ? ok : 1) )) bytes of slab per connection, both ends"
  T0S=()
  for e in $(seq 1 "$EVENTS"); do
    T0S+=($(date +%s%3N))
    curl -sf -o /dev/null -X POST -d "{\"type\":\"poll\",\"question\":\"Q$e\"}" "http://127.0.0.1:8499/pub/room$SCALE"
    sleep "$GAP"
  done
  curl -sf -o /dev/null -X POST -d '{"type":"poll","question":"end"}' "http://127.0.0.1:8499/pub/room$SCALE"
  for p in "${CLIENTS[@]}"; do wait "$p" || true; done
  report "nchan-$SCALE" "${T0S[@]}"
  kill "$(cat "$WORK/nginx.pid")"; sleep 1
done
