//! The archive's faceted search against SQLite FTS5, over the Tate
//! collection's 69,202 artworks, in the same run.
//!
//! Run by `bench/archive.sh`. Each engine answers what the archive's
//! search page asks: the top 20 with the total and the counts of six
//! facets (type, creator, subject, collection, decade, language) over all
//! matches, under a query mix:
//!   - words: one or two words of the titles;
//!   - words + facet: the same with a creator, type or decade filter;
//!   - browse: no words, one or two facet filters (a collection's page);
//!   - date range: words with a range of years.
//!
//! CLIENTS threads (cartable-search) or tokio tasks over as many read-only
//! connections (FTS5) issue the mix's queries until QUERIES are answered or
//! MIX_SECONDS have passed; each answer is timed from call to return.
//! FTS5 puts the matching rows in a temporary table once, then reads the
//! top 20 (ranked, with highlight and snippet), the total and each facet's
//! counts from it (one GROUP BY each, the multi-valued facets through
//! their join tables), as a plain SQL archive would.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use cartable_search::{ArchiveCard, ArchiveDoc, ArchiveQuery, Doc, SearchIndex};
use serde::Deserialize;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

type Error = Box<dyn std::error::Error + Send + Sync>;

fn env<T: std::str::FromStr>(name: &str, default: T) -> Result<T, Error> {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .map_err(|_| format!("{name}={v:?} is not valid").into()),
        Err(_) => Ok(default),
    }
}

#[derive(Deserialize)]
struct Artwork {
    accession_number: String,
    title: String,
    artists: String,
    medium: String,
    classification: String,
    subjects: String,
    movements: String,
    inscription: String,
    year: String,
}

/// One item as both engines get it.
struct Item {
    id: String,
    title: String,
    body: String,
    types: Vec<String>,
    creators: Vec<String>,
    subjects: Vec<String>,
    collections: Vec<String>,
    year: Option<i64>,
}

fn split(text: &str) -> Vec<String> {
    let mut out: Vec<String> = vec![];
    for v in text.split("; ").map(str::trim).filter(|v| !v.is_empty()) {
        if !out.iter().any(|o| o == v) {
            out.push(v.to_owned());
        }
    }
    out
}

fn slug(text: &str) -> String {
    let mut s = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c.to_ascii_lowercase());
        } else if !s.ends_with('-') && !s.is_empty() {
            s.push('-');
        }
    }
    s.trim_end_matches('-').to_owned()
}

fn items(csv: &Path) -> Result<Vec<Item>, Error> {
    let mut out = vec![];
    let mut reader = csv::Reader::from_path(csv).map_err(|e| format!("{}: {e}", csv.display()))?;
    for row in reader.deserialize::<Artwork>() {
        let a = row?;
        let mut subjects = split(&a.subjects);
        for m in split(&a.movements) {
            if !subjects.contains(&m) {
                subjects.push(m);
            }
        }
        let year = cartable_core::archive::year_in(&a.year).map(i64::from);
        out.push(Item {
            id: a.accession_number,
            body: [
                a.artists.as_str(),
                &a.medium,
                &a.subjects,
                &a.movements,
                &a.inscription,
            ]
            .into_iter()
            .filter(|t| !t.trim().is_empty())
            .collect::<Vec<_>>()
            .join("\n"),
            title: a.title,
            types: Some(a.classification.clone())
                .filter(|c| !c.is_empty())
                .into_iter()
                .collect(),
            creators: split(&a.artists),
            subjects,
            collections: Some(slug(&a.classification))
                .filter(|c| !c.is_empty())
                .into_iter()
                .collect(),
            year,
        });
    }
    Ok(out)
}

fn doc(i: &Item) -> Doc {
    Doc {
        id: format!("archive:{}", i.id),
        kind: "archive".into(),
        lang: "en".into(),
        titles: vec![("en".into(), i.title.clone())],
        body: i
            .body
            .lines()
            .map(|l| ("en".to_owned(), l.to_owned()))
            .collect(),
        archive: Some(ArchiveDoc {
            types: i.types.clone(),
            creators: i.creators.clone(),
            subjects: i.subjects.clone(),
            collections: i.collections.clone(),
            year: i.year,
            card: ArchiveCard {
                creators: i.creators.iter().take(3).cloned().collect(),
                ..ArchiveCard::default()
            },
        }),
        ..Doc::default()
    }
}

/// One query of a mix, as both engines get it.
#[derive(Clone, Default)]
struct Q {
    words: String,
    creator: Option<String>,
    item_type: Option<String>,
    decade: Option<String>,
    collection: Option<String>,
    years: Option<(i64, i64)>,
}

const WORDS: [&str; 24] = [
    "landscape",
    "portrait",
    "study",
    "river",
    "head",
    "figure",
    "sketch",
    "view",
    "church",
    "castle",
    "sea",
    "bridge",
    "woman",
    "tree",
    "mountain",
    "venice",
    "london",
    "boat",
    "horse",
    "garden",
    "study figure",
    "river bridge",
    "sketchbook page",
    "view castle",
];
const CREATORS: [&str; 6] = [
    "Joseph Mallord William Turner",
    "George Jones",
    "John Constable",
    "William Blake",
    "David Cox",
    "Henry Moore OM, CH",
];
const TYPES: [&str; 4] = [
    "painting",
    "on paper, print",
    "sculpture",
    "on paper, unique",
];
const DECADES: [&str; 6] = ["1790s", "1800s", "1830s", "1900s", "1960s", "1990s"];

fn mixes() -> Vec<(&'static str, Vec<Q>)> {
    let words: Vec<Q> = WORDS
        .iter()
        .map(|w| Q {
            words: (*w).into(),
            ..Q::default()
        })
        .collect();
    let mut faceted = vec![];
    for (i, w) in WORDS.iter().enumerate() {
        let mut q = Q {
            words: (*w).into(),
            ..Q::default()
        };
        match i % 3 {
            0 => q.creator = Some(CREATORS[i % CREATORS.len()].into()),
            1 => q.item_type = Some(TYPES[i % TYPES.len()].into()),
            _ => q.decade = Some(DECADES[i % DECADES.len()].into()),
        }
        faceted.push(q);
    }
    let mut browse = vec![];
    for (i, t) in TYPES.iter().enumerate() {
        browse.push(Q {
            collection: Some(slug(t)),
            ..Q::default()
        });
        browse.push(Q {
            item_type: Some((*t).into()),
            decade: Some(DECADES[i].into()),
            ..Q::default()
        });
        browse.push(Q {
            creator: Some(CREATORS[i].into()),
            ..Q::default()
        });
    }
    let ranges = WORDS
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let from = 1750 + (i as i64 % 10) * 25;
            Q {
                words: (*w).into(),
                years: Some((from, from + 30)),
                ..Q::default()
            }
        })
        .collect();
    vec![
        ("words", words),
        ("words + facet", faceted),
        ("browse", browse),
        ("date range", ranges),
    ]
}

fn ours(index: &SearchIndex, q: &Q) -> Result<usize, Error> {
    let r = index.search_archive(&ArchiveQuery {
        text: q.words.clone(),
        creator: q.creator.clone(),
        item_type: q.item_type.clone(),
        decade: q.decade.clone(),
        collection: q.collection.clone(),
        year_from: q.years.map(|y| y.0),
        year_to: q.years.map(|y| y.1),
        display_lang: "en".into(),
        limit: 20,
        ..ArchiveQuery::default()
    })?;
    Ok(r.total)
}

struct Fts5 {
    pool: SqlitePool,
}

fn options(path: &Path) -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .pragma("temp_store", "memory")
        .pragma("cache_size", "-32000")
}

impl Fts5 {
    async fn build(
        path: &Path,
        items: &[Item],
        connections: u32,
    ) -> Result<(Fts5, Duration), Error> {
        let started = Instant::now();
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options(path))
            .await?;
        for sql in [
            "CREATE TABLE items (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL, title TEXT NOT NULL, type TEXT, decade TEXT, year INTEGER, lang TEXT NOT NULL)",
            "CREATE VIRTUAL TABLE fts USING fts5(title, body, tokenize = 'unicode61 remove_diacritics 2')",
            "CREATE TABLE creators (item INTEGER NOT NULL, value TEXT NOT NULL)",
            "CREATE TABLE subjects (item INTEGER NOT NULL, value TEXT NOT NULL)",
            "CREATE TABLE collections (item INTEGER NOT NULL, value TEXT NOT NULL)",
        ] {
            sqlx::query(sql).execute(&pool).await?;
        }
        let mut tx = pool.begin().await?;
        for (n, i) in items.iter().enumerate() {
            let rowid = n as i64 + 1;
            sqlx::query("INSERT INTO items VALUES ($1, $2, $3, $4, $5, $6, 'en')")
                .bind(rowid)
                .bind(&i.id)
                .bind(&i.title)
                .bind(i.types.first())
                .bind(i.year.map(|y| format!("{}s", y.div_euclid(10) * 10)))
                .bind(i.year)
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO fts (rowid, title, body) VALUES ($1, $2, $3)")
                .bind(rowid)
                .bind(&i.title)
                .bind(&i.body)
                .execute(&mut *tx)
                .await?;
            for (table, values) in [
                ("creators", &i.creators),
                ("subjects", &i.subjects),
                ("collections", &i.collections),
            ] {
                for v in values {
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "INSERT INTO {table} VALUES ($1, $2)"
                    )))
                    .bind(rowid)
                    .bind(v)
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
        tx.commit().await?;
        for sql in [
            "CREATE INDEX items_type ON items (type, decade)",
            "CREATE INDEX items_decade ON items (decade)",
            "CREATE INDEX items_year ON items (year)",
            "CREATE INDEX creators_item ON creators (item)",
            "CREATE INDEX creators_value ON creators (value, item)",
            "CREATE INDEX subjects_item ON subjects (item)",
            "CREATE INDEX collections_item ON collections (item)",
            "CREATE INDEX collections_value ON collections (value, item)",
            "INSERT INTO fts (fts) VALUES ('optimize')",
            "ANALYZE",
            "PRAGMA wal_checkpoint(TRUNCATE)",
        ] {
            sqlx::query(sql).execute(&pool).await?;
        }
        pool.close().await;
        let took = started.elapsed();
        let pool = SqlitePoolOptions::new()
            .max_connections(connections)
            .min_connections(connections)
            .connect_with(options(path).read_only(true))
            .await?;
        Ok((Fts5 { pool }, took))
    }

    /// The query selecting the matching rowids, and its binds. With words,
    /// the full-text index drives (CROSS JOIN fixes the order: otherwise
    /// SQLite may scan the items and probe the index for each).
    fn matching(q: &Q) -> (String, Vec<String>) {
        let mut binds = vec![];
        let mut sql = if q.words.is_empty() {
            String::from("SELECT i.rowid FROM items i")
        } else {
            let words: Vec<String> = q
                .words
                .split_whitespace()
                .map(|w| format!("\"{w}\""))
                .collect();
            binds.push(words.join(" "));
            String::from("SELECT i.rowid FROM fts CROSS JOIN items i ON i.rowid = fts.rowid")
        };
        if let Some(c) = &q.creator {
            binds.push(c.clone());
            sql.push_str(&format!(
                " JOIN creators c ON c.item = i.rowid AND c.value = ${}",
                binds.len()
            ));
        }
        if let Some(c) = &q.collection {
            binds.push(c.clone());
            sql.push_str(&format!(
                " JOIN collections k ON k.item = i.rowid AND k.value = ${}",
                binds.len()
            ));
        }
        sql.push_str(if q.words.is_empty() {
            " WHERE 1 = 1"
        } else {
            " WHERE fts MATCH $1"
        });
        if let Some(t) = &q.item_type {
            binds.push(t.clone());
            sql.push_str(&format!(" AND i.type = ${}", binds.len()));
        }
        if let Some(d) = &q.decade {
            binds.push(d.clone());
            sql.push_str(&format!(" AND i.decade = ${}", binds.len()));
        }
        if let Some((a, b)) = q.years {
            binds.push(a.to_string());
            binds.push(b.to_string());
            sql.push_str(&format!(
                " AND i.year BETWEEN CAST(${} AS INTEGER) AND CAST(${} AS INTEGER)",
                binds.len() - 1,
                binds.len()
            ));
        }
        (sql, binds)
    }

    /// The matching rows go into a temporary table once; the top 20, the
    /// total and each facet's counts are read from it.
    async fn full(&self, q: &Q) -> Result<usize, Error> {
        let (m, binds) = Fts5::matching(q);
        let mut conn = self.pool.acquire().await?;
        sqlx::query("CREATE TEMP TABLE IF NOT EXISTS m (rowid INTEGER PRIMARY KEY)")
            .execute(&mut *conn)
            .await?;
        sqlx::query("DELETE FROM temp.m")
            .execute(&mut *conn)
            .await?;
        let mut fill = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT OR IGNORE INTO temp.m {m}"
        )));
        for b in &binds {
            fill = fill.bind(b.clone());
        }
        fill.execute(&mut *conn).await?;
        if q.words.is_empty() {
            sqlx::query("SELECT i.id, i.title FROM temp.m JOIN items i ON i.rowid = m.rowid ORDER BY m.rowid LIMIT 20")
                .fetch_all(&mut *conn)
                .await?;
        } else {
            sqlx::query(
                "SELECT i.id, highlight(fts, 0, '<mark>', '</mark>') AS title, snippet(fts, 1, '<mark>', '</mark>', '…', 24) AS snippet \
                 FROM fts JOIN temp.m ON m.rowid = fts.rowid JOIN items i ON i.rowid = fts.rowid WHERE fts MATCH $1 ORDER BY rank LIMIT 20",
            )
            .bind(binds[0].clone())
            .fetch_all(&mut *conn)
            .await?;
        }
        let total: i64 = sqlx::Row::try_get(
            &sqlx::query("SELECT COUNT(*) AS n FROM temp.m")
                .fetch_one(&mut *conn)
                .await?,
            "n",
        )?;
        for column in ["type", "decade", "lang"] {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT i.{column} AS v, COUNT(*) AS n FROM temp.m JOIN items i ON i.rowid = m.rowid \
                 WHERE i.{column} IS NOT NULL GROUP BY i.{column} ORDER BY n DESC LIMIT 30"
            )))
            .fetch_all(&mut *conn)
            .await?;
        }
        for table in ["creators", "subjects", "collections"] {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT t.value AS v, COUNT(*) AS n FROM temp.m JOIN {table} t ON t.item = m.rowid \
                 GROUP BY t.value ORDER BY n DESC LIMIT 30"
            )))
            .fetch_all(&mut *conn)
            .await?;
        }
        Ok(total as usize)
    }
}

struct Stats {
    micros: Vec<u32>,
    errors: usize,
    elapsed: Duration,
}

impl Stats {
    fn ms(&self, q: f64) -> f64 {
        if self.micros.is_empty() {
            return 0.0;
        }
        let i = ((self.micros.len() as f64 * q).ceil() as usize).clamp(1, self.micros.len()) - 1;
        f64::from(self.micros[i]) / 1000.0
    }
    fn qps(&self) -> f64 {
        self.micros.len() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

fn merge(parts: Vec<(Vec<u32>, usize)>, elapsed: Duration) -> Stats {
    let errors = parts.iter().map(|p| p.1).sum();
    let mut micros: Vec<u32> = parts.into_iter().flat_map(|p| p.0).collect();
    micros.sort_unstable();
    Stats {
        micros,
        errors,
        elapsed,
    }
}

fn main() -> Result<(), Error> {
    let clients: usize = env("CLIENTS", 64)?;
    let queries: usize = env("QUERIES", 20_000)?;
    let seconds: u64 = env("MIX_SECONDS", 30)?;
    // ONLY_CARTABLE=1 skips FTS5's runs (for profiling).
    let with_fts5 = env("ONLY_CARTABLE", 0)? == 0;
    let csv: PathBuf = env(
        "TATE_CSV",
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/tate-artworks.csv"),
    )?;
    let work = tempfile::tempdir()?;
    let items = items(&csv)?;
    eprintln!("[archive-bench] {} items", items.len());
    let started = Instant::now();
    let index = SearchIndex::open(&work.path().join("search"))?;
    index.rebuild(items.iter().map(doc), 0)?;
    let ours_build = started.elapsed();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let (fts, fts_build) = rt.block_on(Fts5::build(
        &work.path().join("fts.db"),
        &items,
        clients as u32,
    ))?;
    let fts = Arc::new(fts);
    let n = items.len();
    drop(items);
    println!(
        "Items: {n} Tate artworks. {clients} concurrent clients: threads calling `search_archive` for cartable-search; tokio tasks (2 worker threads) over {clients} read-only sqlx connections for FTS5. Each run: up to {queries} queries or {seconds} s, cycling over the mix after one warm-up pass. Index build: cartable-search {:.1} s, FTS5 and its facet tables {:.1} s.",
        ours_build.as_secs_f64(),
        fts_build.as_secs_f64()
    );
    println!();
    println!(
        "| mix | engine | queries | errors | mean matches | queries/s | p50 ms | p99 ms | max ms |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let mut ratios = vec![];
    for (name, list) in mixes() {
        let (mut ours_total, mut theirs_total) = (0, 0);
        for q in &list {
            ours_total += ours(&index, q)?;
            if with_fts5 {
                theirs_total += rt.block_on(fts.full(q))?;
            }
        }
        eprintln!("[archive-bench] {name}: cartable-search");
        let next = AtomicUsize::new(0);
        let t0 = Instant::now();
        let deadline = t0 + Duration::from_secs(seconds);
        let parts = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..clients)
                .map(|_| {
                    scope.spawn(|| {
                        let (mut micros, mut errors) = (vec![], 0);
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            if i >= queries || Instant::now() > deadline {
                                break;
                            }
                            let t = Instant::now();
                            match ours(&index, &list[i % list.len()]) {
                                Ok(_) => micros.push(t.elapsed().as_micros() as u32),
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
        let a = merge(parts, t0.elapsed());
        eprintln!("[archive-bench] {name}: FTS5");
        let list = Arc::new(list);
        let b = if !with_fts5 {
            merge(vec![], Duration::ZERO)
        } else {
            rt.block_on(async {
                let next = Arc::new(AtomicUsize::new(0));
                let t0 = Instant::now();
                let deadline = t0 + Duration::from_secs(seconds);
                let mut tasks = vec![];
                for _ in 0..clients {
                    let (fts, list, next) = (fts.clone(), list.clone(), next.clone());
                    tasks.push(tokio::spawn(async move {
                        let (mut micros, mut errors) = (vec![], 0);
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            if i >= queries || Instant::now() > deadline {
                                break;
                            }
                            let t = Instant::now();
                            match fts.full(&list[i % list.len()]).await {
                                Ok(_) => micros.push(t.elapsed().as_micros() as u32),
                                Err(_) => errors += 1,
                            }
                        }
                        (micros, errors)
                    }));
                }
                let mut parts = vec![];
                for t in tasks {
                    parts.push(t.await.unwrap_or_default());
                }
                merge(parts, t0.elapsed())
            })
        };
        for (engine, st, total) in [
            ("cartable-search", &a, ours_total),
            ("SQLite FTS5", &b, theirs_total),
        ] {
            println!(
                "| {name} | {engine} | {} | {} | {} | {:.0} | {:.2} | {:.2} | {:.2} |",
                st.micros.len(),
                st.errors,
                total / list.len(),
                st.qps(),
                st.ms(0.5),
                st.ms(0.99),
                st.ms(1.0)
            );
        }
        ratios.push((
            name,
            b.ms(0.99) / a.ms(0.99).max(0.001),
            a.qps() / b.qps().max(0.001),
        ));
    }
    println!();
    println!("| mix | p99: FTS5 / cartable-search | queries/s: cartable-search / FTS5 |");
    println!("|---|---|---|");
    for (name, p99, qps) in ratios {
        println!("| {name} | {p99:.1}× | {qps:.1}× |");
    }
    Ok(())
}
