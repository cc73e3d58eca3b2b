#!/usr/bin/env bash
# bench/search.sh — full-text search: cartable-search (tantivy) against SQLite FTS5.
#
# What it measures: over the same documents, in the same run — 3,000
# generated capsules (titles and summaries in ar/fr/en from a vocabulary of
# real lesson words, levels, subjects) and the 69,202 artworks of
# ../shared/data/tate-artworks.csv as archive items (title; artists, medium,
# subjects, movements and inscription as body) — the time to build each
# index, its size, then, with CLIENTS concurrent clients, queries/s and
# latency (p50, p99, max; the goal is p99 < 10 ms) of three query mixes
# (single word, multi-word, prefix as typed), each in two kinds of work:
#   - full: cartable-search's `search` (top 20, total, facet counts over
#     all matches, highlighted title and snippet) against FTS5's top 20 with
#     highlight() and snippet() plus per-facet counts;
#   - plain: top 20 ids and the total, on both.
# The example crates/cartable-search/examples/search_bench does the work and
# prints the tables; this script builds it, runs it and adds the machine.
#
# Run:      bench/search.sh
# Needs:    cargo (the example uses sqlx's bundled SQLite, which has FTS5)
# Settings (environment):
#   CAPSULES            generated capsules (default 3000)
#   ARCHIVE_ROWS        Tate rows to index, 0 for all (default 0)
#   QUERIES             queries per engine, mix and kind of work (default 20000)
#   MIX_SECONDS         and at most this many seconds each (default 60)
#   CLIENTS             concurrent clients (default 64)
#   SQLITE_CONNECTIONS  sqlx pool size for FTS5 (default CLIENTS)
#   TATE_CSV            the artworks file (default ../shared/data/tate-artworks.csv)
#   PROFILE             release (default) or dev, for a quick check that it runs
#   CARGO_TARGET_DIR    honoured by the build, as by cargo
# Every run is bounded by QUERIES and MIX_SECONDS; the indexes live in a
# temporary directory the example removes on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
PROFILE=${PROFILE:-release}
export CAPSULES=${CAPSULES:-3000}
export ARCHIVE_ROWS=${ARCHIVE_ROWS:-0}
export QUERIES=${QUERIES:-20000}
export MIX_SECONDS=${MIX_SECONDS:-60}
export CLIENTS=${CLIENTS:-64}
export SQLITE_CONNECTIONS=${SQLITE_CONNECTIONS:-$CLIENTS}
export TATE_CSV=${TATE_CSV:-$ROOT/../shared/data/tate-artworks.csv}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}

[[ -f "$TATE_CSV" ]] || die "no $TATE_CSV: set TATE_CSV"
case "$PROFILE" in
  release) BUILD=(--release); BIN="$TARGET/release/examples/search_bench" ;;
  dev) BUILD=(); BIN="$TARGET/debug/examples/search_bench" ;;
  *) die "PROFILE must be release or dev" ;;
esac

log "building the example (${PROFILE})"
(cd "$ROOT" && cargo build "${BUILD[@]}" --example search_bench -p cartable-search) || die "build failed"
[[ -x "$BIN" ]] || die "no binary at $BIN"

make_work

# At most 6 runs per engine, each bounded by MIX_SECONDS, plus the builds.
LIMIT=$((12 * MIX_SECONDS + 1800))
log "running (CAPSULES=$CAPSULES ARCHIVE_ROWS=$ARCHIVE_ROWS QUERIES=$QUERIES CLIENTS=$CLIENTS, at most ${LIMIT} s)"
timeout "$LIMIT" "$BIN" >"$WORK/tables.md" || die "search_bench failed"

machine_facts
MD="$WORK/search.md"
{
  echo "## Search: cartable-search (tantivy) against SQLite FTS5"
  echo
  echo "Measured $DATE on $(nproc) cores ($CPU), Linux $(uname -r), ${PROFILE} build; load average at the end $LOAD. Both engines run in one process, one after the other, on the same documents and query lists."
  echo
  cat "$WORK/tables.md"
  echo
  echo "Command:"
  echo
  echo '```sh'
  echo "bench/search.sh   # CAPSULES=$CAPSULES ARCHIVE_ROWS=$ARCHIVE_ROWS QUERIES=$QUERIES MIX_SECONDS=$MIX_SECONDS CLIENTS=$CLIENTS SQLITE_CONNECTIONS=$SQLITE_CONNECTIONS PROFILE=$PROFILE"
  echo '```'
} >"$MD"
save_report "$MD"
