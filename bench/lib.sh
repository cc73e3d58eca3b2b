# Helpers shared by the benchmark scripts; sourced, not run, after setting
# ROOT (the repository).

# stop_pids PID…: SIGTERM each running process, wait up to 5 s, then SIGKILL.
stop_pids() {
  local pid
  for pid in "$@"; do
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
}

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }

# CPU ticks (user + system) used so far by the given processes together.
cpu_ticks() {
  local total=0 pid t
  for pid in "$@"; do
    t=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)
    total=$((total + t))
  done
  echo "$total"
}

mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
ms() { awk -v u="$1" 'BEGIN {printf "%.1f", u / 1000}'; }
median() { sort -g | awk '{v[NR] = $1} END {if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# The script's name without .sh (catalog, media, …), which prefixes log lines
# and names the work dir.
BENCH_NAME=$(basename "$0" .sh)
# Clock ticks per second, the unit of cpu_ticks.
CLK_TCK=$(getconf CLK_TCK)

# log MESSAGE…: a progress line on stderr, "[NAME] MESSAGE".
log() { echo "[$BENCH_NAME] $*" >&2; }
# die MESSAGE…: an error line on stderr, then exit 1.
die() { echo "[$BENCH_NAME] ERROR: $*" >&2; exit 1; }

# now: the time, in seconds since the epoch with nanoseconds.
now() { date +%s.%N; }
# since T0: seconds elapsed since T0 (from now), to a tenth.
since() { awk -v a="$1" -v b="$(now)" 'BEGIN {printf "%.1f", b - a}'; }
# since_ms T0: milliseconds elapsed since T0 (from now), to a tenth.
since_ms() { awk -v a="$1" -v b="$(now)" 'BEGIN {printf "%.1f", 1000 * (b - a)}'; }

# find_cartable: sets CARTABLE to the binary to measure, unless the
# environment gives it: the first executable of
# /root/.cache/cartable-release/release/cartable and target/release/cartable.
# Exits if there is none.
find_cartable() {
  local c
  if [[ -z "${CARTABLE:-}" ]]; then
    for c in /root/.cache/cartable-release/release/cartable "$ROOT/target/release/cartable"; do
      if [[ -x "$c" ]]; then CARTABLE=$c; break; fi
    done
  fi
  [[ -n "${CARTABLE:-}" && -x "$CARTABLE" ]] || { echo "no cartable binary: set CARTABLE or build with cargo build --release" >&2; exit 1; }
}

# need_tools TOOL…: exits unless every TOOL is on the PATH.
need_tools() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "missing tool: $tool" >&2; exit 1; }
  done
}

# make_work: sets WORK to a fresh mktemp -d; on exit, cleanup stops what still
# runs of SAMPLER_PID, CARTABLE_PID and NGINX_PID and removes WORK. INT and
# TERM exit 130.
make_work() {
  WORK=$(mktemp -d -t "cartable-bench-$BENCH_NAME.XXXXXX")
  trap cleanup EXIT
  trap 'exit 130' INT TERM
}
cleanup() {
  stop_pids "${SAMPLER_PID:-}" "${CARTABLE_PID:-}" "${NGINX_PID:-}"
  rm -rf "$WORK"
}

# start_cartable DATA_DIR [TRIES]: starts `cartable serve` on 127.0.0.1:0 in
# the background, output in $WORK/cartable.out and .err, and sets
# CARTABLE_PID (`VAR=value start_cartable …` passes VAR on to cartable). Waits
# up to TRIES tenths of a second (default 200) for its banner "cartable is
# serving N capsules at http://ADDR/", then sets BANNER, URL (without the
# final /) and SERVED (N). Dies if cartable exits first or never says it.
start_cartable() {
  local tries=${2:-200}
  "$CARTABLE" --data-dir "$1" serve --listen 127.0.0.1:0 >"$WORK/cartable.out" 2>"$WORK/cartable.err" &
  CARTABLE_PID=$!
  for _ in $(seq "$tries"); do
    grep -q 'cartable is serving' "$WORK/cartable.out" 2>/dev/null && break
    kill -0 "$CARTABLE_PID" 2>/dev/null || { cat "$WORK/cartable.err" >&2; die "cartable exited at start"; }
    sleep 0.1
  done
  BANNER=$(grep 'cartable is serving' "$WORK/cartable.out") || die "cartable did not start"
  URL=$(grep -o 'http://[0-9.:]*' <<<"$BANNER" | head -1)
  [[ -n "$URL" ]] || die "cartable did not say where it serves"
  URL=${URL%/}
  SERVED=$(awk '{print $4}' <<<"$BANNER")
}

# machine_facts: sets DATE (UTC, to the minute), CPU (the model name) and
# LOAD (the 1, 5 and 15 min load averages) for a report.
machine_facts() {
  DATE=$(date -u +%Y-%m-%d\ %H:%M\ UTC)
  CPU=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
  LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
}
# cartable_version: the first line of `$CARTABLE --version`, or "cartable".
cartable_version() { "$CARTABLE" --version 2>/dev/null | head -1 || echo cartable; }
# wrk_version: wrk's version number.
wrk_version() { { wrk -v 2>&1 || true; } | head -1 | awk '{print $2}'; }

# save_report FILE: copies the Markdown report FILE into bench/results/ under
# its own name, and prints it.
save_report() {
  mkdir -p "$ROOT/bench/results"
  cp "$1" "$ROOT/bench/results/$(basename "$1")"
  cat "$1"
}
