//! cartable-search (tantivy) against SQLite FTS5, over the same documents,
//! in the same run: 3,000 generated capsules in ar/fr/en and the Tate
//! collection's 69,202 artworks as archive items.
//!
//! Run by `bench/search.sh`, which builds it in release mode and wraps its
//! Markdown in the machine's description; settings are environment
//! variables, read in `Settings::from_env`. For each query mix (single
//! word, multi-word, prefix) and each kind of work (full: top 20 with count,
//! facets and highlighting; plain: top 20 ids with count), CLIENTS clients
//! issue queries from the mix's fixed list, each timed from call to answer,
//! until QUERIES have been answered or MIX_SECONDS have passed.
//!
//! cartable-search gets the text as the API does: every word may match with
//! one typo from five letters, and the last word is also a prefix, so it does
//! more work than FTS5 in the single-word and multi-word mixes.

mod corpus;
mod fts5;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use cartable_search::{SearchIndex, SearchQuery};

use crate::corpus::{MIXES, Mix};
use crate::fts5::Fts5;

type Error = Box<dyn std::error::Error + Send + Sync>;

struct Settings {
    capsules: usize,
    archive_rows: usize,
    queries: usize,
    clients: usize,
    mix_seconds: u64,
    sqlite_connections: u32,
    tate_csv: PathBuf,
    /// Measure FTS5 too (ONLY_CARTABLE=1 skips it, for profiling).
    fts5: bool,
}

fn env<T: std::str::FromStr>(name: &str, default: T) -> Result<T, Error> {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .map_err(|_| format!("{name}={v:?} is not valid").into()),
        Err(_) => Ok(default),
    }
}

impl Settings {
    fn from_env() -> Result<Settings, Error> {
        let clients = env("CLIENTS", 64)?;
        Ok(Settings {
            capsules: env("CAPSULES", 3000)?,
            // 0: every row of the CSV.
            archive_rows: env("ARCHIVE_ROWS", 0)?,
            queries: env("QUERIES", 20_000)?,
            clients,
            mix_seconds: env("MIX_SECONDS", 60)?,
            sqlite_connections: env("SQLITE_CONNECTIONS", clients as u32)?,
            fts5: env("ONLY_CARTABLE", 0)? == 0,
            tate_csv: env(
                "TATE_CSV",
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("../../../shared/data/tate-artworks.csv"),
            )?,
        })
    }
}

/// Latencies of one run.
struct Stats {
    answered: usize,
    errors: usize,
    elapsed: Duration,
    micros: Vec<u32>,
    /// CPU time of the whole process (both engines run in it, one at a
    /// time) during the run: steadier than latency on a shared machine.
    cpu: Duration,
}

/// This process's CPU time so far (user + system, from /proc, in the
/// kernel's fixed USER_HZ of 100 ticks per second); zero where unreadable.
fn cpu_time() -> Duration {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return Duration::ZERO;
    };
    // The fields after the command name, which is in parentheses.
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return Duration::ZERO;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i)?.parse::<u64>().ok())
        .sum();
    Duration::from_millis(ticks * 10)
}

impl Stats {
    fn merge(parts: Vec<(Vec<u32>, usize)>, elapsed: Duration, cpu: Duration) -> Stats {
        let errors = parts.iter().map(|p| p.1).sum();
        let mut micros: Vec<u32> = parts.into_iter().flat_map(|p| p.0).collect();
        micros.sort_unstable();
        Stats {
            answered: micros.len(),
            errors,
            elapsed,
            micros,
            cpu,
        }
    }

    fn cpu_ms_per_query(&self) -> f64 {
        self.cpu.as_secs_f64() * 1000.0 / self.answered.max(1) as f64
    }

    fn ms(&self, q: f64) -> f64 {
        if self.micros.is_empty() {
            return 0.0;
        }
        let i = ((self.micros.len() as f64 * q).ceil() as usize).clamp(1, self.micros.len()) - 1;
        f64::from(self.micros[i]) / 1000.0
    }

    fn qps(&self) -> f64 {
        self.answered as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Runs `one` from `clients` threads over `list` until `queries` are done or
/// `secs` have passed.
fn run_threads(
    s: &Settings,
    list: &[String],
    one: impl Fn(&str) -> Result<usize, Error> + Sync,
) -> Stats {
    let next = AtomicUsize::new(0);
    let cpu = cpu_time();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(s.mix_seconds);
    let parts = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..s.clients)
            .map(|_| {
                scope.spawn(|| {
                    let (mut micros, mut errors) = (Vec::new(), 0);
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= s.queries || Instant::now() > deadline {
                            break;
                        }
                        let t = Instant::now();
                        match one(&list[i % list.len()]) {
                            Ok(_) => {
                                micros.push(t.elapsed().as_micros().min(u32::MAX as u128) as u32)
                            }
                            Err(_) => errors += 1,
                        }
                    }
                    (micros, errors)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    Stats::merge(parts, started.elapsed(), cpu_time().saturating_sub(cpu))
}

/// The same with `clients` tasks against FTS5.
async fn run_tasks(s: &Settings, fts: Arc<Fts5>, list: Arc<Vec<String>>, full: bool) -> Stats {
    let next = Arc::new(AtomicUsize::new(0));
    let cpu = cpu_time();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(s.mix_seconds);
    let mut tasks = Vec::new();
    for _ in 0..s.clients {
        let (fts, list, next, queries) = (fts.clone(), list.clone(), next.clone(), s.queries);
        tasks.push(tokio::spawn(async move {
            let (mut micros, mut errors) = (Vec::new(), 0);
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= queries || Instant::now() > deadline {
                    break;
                }
                let q = &list[i % list.len()];
                let t = Instant::now();
                let answer = if full {
                    fts.full(q).await
                } else {
                    fts.plain(q).await
                };
                match answer {
                    Ok(_) => micros.push(t.elapsed().as_micros().min(u32::MAX as u128) as u32),
                    Err(_) => errors += 1,
                }
            }
            (micros, errors)
        }));
    }
    let mut parts = Vec::new();
    for task in tasks {
        parts.push(task.await.unwrap_or_default());
    }
    Stats::merge(parts, started.elapsed(), cpu_time().saturating_sub(cpu))
}

fn dir_bytes(path: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(path) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_bytes(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

fn tantivy_full(index: &SearchIndex, q: &str) -> Result<usize, Error> {
    let query = SearchQuery {
        display_lang: "fr".into(),
        ..SearchQuery::new(q)
    };
    Ok(index.search(&query)?.total)
}

fn tantivy_plain(index: &SearchIndex, q: &str) -> Result<usize, Error> {
    Ok(index.search_ids(&SearchQuery::new(q))?.total)
}

fn main() -> Result<(), Error> {
    let s = Settings::from_env()?;
    let work = tempfile::tempdir()?;
    let docs = corpus::docs(s.capsules, &s.tate_csv, s.archive_rows)?;
    let archive = docs.len() - s.capsules.min(docs.len());
    eprintln!(
        "[search-bench] {} documents ({} capsules, {archive} archive items)",
        docs.len(),
        s.capsules
    );

    let started = Instant::now();
    let index = SearchIndex::open(&work.path().join("search"))?;
    index.rebuild(docs.iter().cloned(), 0)?;
    let tantivy_build = started.elapsed();
    eprintln!(
        "[search-bench] cartable-search indexed in {:.1} s",
        tantivy_build.as_secs_f64()
    );

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let db = work.path().join("fts.db");
    let (fts, fts_build) = rt.block_on(Fts5::build(&db, &docs, s.sqlite_connections))?;
    let fts = Arc::new(fts);
    eprintln!(
        "[search-bench] FTS5 indexed in {:.1} s",
        fts_build.as_secs_f64()
    );
    let n_docs = docs.len();
    drop(docs);

    let mut rows = Vec::new();
    let mut totals = Vec::new();
    for mix in MIXES {
        let ours: Vec<String> = mix.queries.iter().map(|q| (*q).to_owned()).collect();
        let theirs: Arc<Vec<String>> = Arc::new(
            mix.queries
                .iter()
                .map(|q| Fts5::query(q, mix.prefix))
                .collect(),
        );
        // Warm-up, and the mean number of matches per query of each engine.
        let (mut ours_total, mut theirs_total) = (0, 0);
        for (o, t) in ours.iter().zip(theirs.iter()) {
            ours_total += tantivy_full(&index, o)?;
            theirs_total += rt.block_on(fts.full(t))?;
            tantivy_plain(&index, o)?;
            rt.block_on(fts.plain(t))?;
        }
        totals.push((mix.name, ours_total / ours.len(), theirs_total / ours.len()));
        for full in [true, false] {
            let work = if full { "full" } else { "plain" };
            eprintln!("[search-bench] {} / {work}: cartable-search", mix.name);
            let a = if full {
                run_threads(&s, &ours, |q| tantivy_full(&index, q))
            } else {
                run_threads(&s, &ours, |q| tantivy_plain(&index, q))
            };
            let b = if s.fts5 {
                eprintln!("[search-bench] {} / {work}: FTS5", mix.name);
                rt.block_on(run_tasks(&s, fts.clone(), theirs.clone(), full))
            } else {
                Stats::merge(Vec::new(), Duration::ZERO, Duration::ZERO)
            };
            rows.push((mix, work, a, b));
        }
    }
    report(
        &s,
        n_docs,
        archive,
        (tantivy_build, fts_build),
        (
            dir_bytes(&work.path().join("search")),
            dir_bytes(work.path()) - dir_bytes(&work.path().join("search")),
        ),
        &rows,
        &totals,
    );
    Ok(())
}

type Row<'a> = (&'a Mix, &'a str, Stats, Stats);

fn report(
    s: &Settings,
    n_docs: usize,
    archive: usize,
    builds: (Duration, Duration),
    sizes: (u64, u64),
    rows: &[Row<'_>],
    totals: &[(&str, usize, usize)],
) {
    println!(
        "Documents: {n_docs} ({} generated capsules with titles and summaries in ar/fr/en, {archive} Tate artworks as archive items in en). \
         {} concurrent clients: threads calling `SearchIndex` for cartable-search; tokio tasks (2 worker threads) over a pool of {} read-only sqlx connections for FTS5. \
         Each run: up to {} queries or {} s, cycling over the mix's {} queries after one warm-up pass.",
        s.capsules.min(n_docs),
        s.clients,
        s.sqlite_connections,
        s.queries,
        s.mix_seconds,
        MIXES[0].queries.len()
    );
    println!();
    println!("| | cartable-search | SQLite FTS5 |");
    println!("|---|---|---|");
    println!(
        "| build the index | {:.1} s | {:.1} s |",
        builds.0.as_secs_f64(),
        builds.1.as_secs_f64()
    );
    println!("| size on disk | {} | {} |", mib(sizes.0), mib(sizes.1));
    for (mix, ours, theirs) in totals {
        println!("| mean matches per query, {mix} | {ours} | {theirs} |");
    }
    println!();
    println!(
        "- **full**: cartable-search `search` (top 20, total, facet counts for kind/lang/level/subject over all matches, highlighted title and snippet); FTS5: top 20 by `rank` with `highlight()` and `snippet()`, then one statement counting matches per kind, lang, level and subject (the total is the sum over kinds)."
    );
    println!(
        "- **plain**: cartable-search `search_ids` (top 20 ids and total); FTS5: top 20 ids by `rank`, then `count(*)`."
    );
    println!(
        "- FTS5 queries quote each word, all required (`\"oil\" \"canvas\"`), with `*` after the last in the prefix mix; FTS5 has no typo tolerance and no stemming here. cartable-search gets the text as typed: one typo allowed from five letters, the last word also a prefix, stems in ar/fr/en/tr."
    );
    println!();
    println!(
        "| mix | work | engine | queries | errors | queries/s | p50 ms | p99 ms | max ms | p99 < 10 ms | CPU ms per query |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for (mix, work, a, b) in rows {
        for (engine, st) in [("cartable-search", a), ("SQLite FTS5", b)] {
            println!(
                "| {} | {work} | {engine} | {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {} | {:.3} |",
                mix.name,
                st.answered,
                st.errors,
                st.qps(),
                st.ms(0.5),
                st.ms(0.99),
                st.ms(1.0),
                if st.ms(0.99) < 10.0 { "yes" } else { "no" },
                st.cpu_ms_per_query()
            );
        }
    }
    println!();
    println!(
        "| mix | work | p99: FTS5 / cartable-search | queries/s: cartable-search / FTS5 | CPU per query: FTS5 / cartable-search |"
    );
    println!("|---|---|---|---|---|");
    for (mix, work, a, b) in rows {
        println!(
            "| {} | {work} | {:.1}× | {:.1}× | {:.1}× |",
            mix.name,
            b.ms(0.99) / a.ms(0.99).max(0.001),
            a.qps() / b.qps().max(0.001),
            b.cpu_ms_per_query() / a.cpu_ms_per_query().max(0.000_001)
        );
    }
}
