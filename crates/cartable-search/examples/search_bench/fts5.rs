//! The same documents in SQLite FTS5 (sqlx's bundled SQLite), queried with
//! the same lists: the engine cartable-search is measured against.
//!
//! FTS5 has no typo tolerance, no stemming for these languages and no Arabic
//! normalisation; `unicode61 remove_diacritics 2` folds case and Latin
//! accents. Its prefix query is `word*`.

use std::path::Path;
use std::time::{Duration, Instant};

use cartable_search::Doc;
use sqlx::Row;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::Error;

pub struct Fts5 {
    pool: SqlitePool,
}

fn options(path: &Path) -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
}

fn join(texts: &[(String, String)]) -> String {
    texts
        .iter()
        .map(|(_, t)| t.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

impl Fts5 {
    /// Loads `docs` into a new database at `path`; returns the engine ready
    /// for queries with `connections` connections, and the time the load
    /// took.
    pub async fn build(
        path: &Path,
        docs: &[Doc],
        connections: u32,
    ) -> Result<(Fts5, Duration), Error> {
        let started = Instant::now();
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options(path))
            .await?;
        let compile_options: Vec<String> = sqlx::query_scalar("PRAGMA compile_options")
            .fetch_all(&pool)
            .await?;
        if !compile_options.iter().any(|o| o == "ENABLE_FTS5") {
            return Err("the bundled SQLite has no FTS5 (PRAGMA compile_options)".into());
        }
        sqlx::query(
            "CREATE TABLE docs (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL, kind TEXT NOT NULL, \
             lang TEXT NOT NULL, level TEXT, subject TEXT)",
        )
        .execute(&pool)
        .await?;
        sqlx::query(
            "CREATE VIRTUAL TABLE fts USING fts5(title, body, keywords, \
             tokenize = 'unicode61 remove_diacritics 2')",
        )
        .execute(&pool)
        .await?;
        let mut tx = pool.begin().await?;
        for (rowid, d) in docs.iter().enumerate() {
            let rowid = rowid as i64 + 1;
            sqlx::query("INSERT INTO docs VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(rowid)
                .bind(&d.id)
                .bind(&d.kind)
                .bind(&d.lang)
                .bind(&d.level)
                .bind(&d.subject)
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO fts (rowid, title, body, keywords) VALUES ($1, $2, $3, $4)")
                .bind(rowid)
                .bind(join(&d.titles))
                .bind(join(&d.body))
                .bind(join(&d.keywords))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        // As tantivy's rebuild merges its segments into one.
        sqlx::query("INSERT INTO fts (fts) VALUES ('optimize')")
            .execute(&pool)
            .await?;
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&pool)
            .await?;
        pool.close().await;
        let took = started.elapsed();
        let pool = SqlitePoolOptions::new()
            .max_connections(connections)
            .min_connections(connections)
            .connect_with(options(path).read_only(true))
            .await?;
        Ok((Fts5 { pool }, took))
    }

    /// The FTS5 query for a query of the lists: each word a quoted string,
    /// all required, the last one a prefix when `prefix`.
    pub fn query(text: &str, prefix: bool) -> String {
        let words: Vec<String> = text
            .split_whitespace()
            .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
            .collect();
        let mut q = words.join(" ");
        if prefix && !q.is_empty() {
            q.push('*');
        }
        q
    }

    /// Top 20 ids and the total: the work of `SearchIndex::search_ids`.
    pub async fn plain(&self, q: &str) -> Result<usize, Error> {
        let rows = sqlx::query(
            "SELECT d.id FROM (SELECT rowid, rank FROM fts WHERE fts MATCH $1 ORDER BY rank LIMIT 20) f \
             JOIN docs d ON d.rowid = f.rowid ORDER BY f.rank",
        )
        .bind(q)
        .fetch_all(&self.pool)
        .await?;
        let total: i64 = sqlx::query_scalar("SELECT count(*) FROM fts WHERE fts MATCH $1")
            .bind(q)
            .fetch_one(&self.pool)
            .await?;
        std::hint::black_box(rows.len());
        Ok(total as usize)
    }

    /// Top 20 with the title highlighted and a snippet of the body, the
    /// total, and the counts per kind, lang, level and subject of every
    /// match: the work of `SearchIndex::search`.
    pub async fn full(&self, q: &str) -> Result<usize, Error> {
        let rows = sqlx::query(
            "SELECT d.id, d.kind, d.lang, d.level, d.subject, f.title, f.snippet FROM \
             (SELECT rowid, rank, highlight(fts, 0, '<mark>', '</mark>') AS title, \
              snippet(fts, 1, '<mark>', '</mark>', '…', 24) AS snippet \
              FROM fts WHERE fts MATCH $1 ORDER BY rank LIMIT 20) f \
             JOIN docs d ON d.rowid = f.rowid ORDER BY f.rank",
        )
        .bind(q)
        .fetch_all(&self.pool)
        .await?;
        for row in &rows {
            let title: String = row.try_get(5)?;
            std::hint::black_box(title);
        }
        let facets = sqlx::query(
            "WITH m AS MATERIALIZED (SELECT rowid FROM fts WHERE fts MATCH $1), \
                  d AS MATERIALIZED (SELECT docs.* FROM m JOIN docs ON docs.rowid = m.rowid) \
             SELECT 'kind', kind, count(*) FROM d GROUP BY kind \
             UNION ALL SELECT 'lang', lang, count(*) FROM d GROUP BY lang \
             UNION ALL SELECT 'level', level, count(*) FROM d WHERE level IS NOT NULL GROUP BY level \
             UNION ALL SELECT 'subject', subject, count(*) FROM d WHERE subject IS NOT NULL GROUP BY subject",
        )
        .bind(q)
        .fetch_all(&self.pool)
        .await?;
        let mut total = 0;
        for row in &facets {
            let facet: String = row.try_get(0)?;
            if facet == "kind" {
                total += row.try_get::<i64, _>(2)? as usize;
            }
        }
        Ok(total)
    }
}
