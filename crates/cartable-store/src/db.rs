//! Opening the database: one pool over SQLite or PostgreSQL, chosen by the
//! URL, with the embedded migrations applied.
//!
//! All SQL goes through sqlx's `Any` driver with `$1` placeholders, which
//! both engines accept, so every query is written once.

use crate::Result;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{AnyPool, Executor, SqlSafeStr};
use std::borrow::Cow;

const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "catalog", include_str!("../migrations/0001_catalog.sql")),
    (
        2,
        "accounts",
        include_str!("../migrations/0002_accounts.sql"),
    ),
    (
        3,
        "session_expiry",
        include_str!("../migrations/0003_session_expiry.sql"),
    ),
];

/// Migrations whose text differs by engine: (version, name, SQLite,
/// PostgreSQL).
const ENGINE_MIGRATIONS: &[(i64, &str, &str, &str)] = &[
    (
        4,
        "statements",
        include_str!("../migrations/0004_statements.sqlite.sql"),
        include_str!("../migrations/0004_statements.postgres.sql"),
    ),
    (
        5,
        "records",
        include_str!("../migrations/0005_records.sql"),
        include_str!("../migrations/0005_records.sql"),
    ),
    (
        6,
        "satchel",
        include_str!("../migrations/0006_satchel.sql"),
        include_str!("../migrations/0006_satchel.sql"),
    ),
    (
        7,
        "archive",
        include_str!("../migrations/0007_archive.sql"),
        include_str!("../migrations/0007_archive.sql"),
    ),
    (
        8,
        "live",
        include_str!("../migrations/0008_live.sql"),
        include_str!("../migrations/0008_live.sql"),
    ),
    (
        9,
        "quizzes",
        include_str!("../migrations/0009_quizzes.sql"),
        include_str!("../migrations/0009_quizzes.sql"),
    ),
    (
        10,
        "competitions",
        include_str!("../migrations/0010_competitions.sql"),
        include_str!("../migrations/0010_competitions.sql"),
    ),
    (
        11,
        "courses",
        include_str!("../migrations/0011_courses.sql"),
        include_str!("../migrations/0011_courses.sql"),
    ),
    (
        12,
        "library",
        include_str!("../migrations/0012_library.sql"),
        include_str!("../migrations/0012_library.sql"),
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone)]
pub struct Db {
    pub pool: AnyPool,
    pub engine: Engine,
    /// The URL it was opened with: PostgreSQL's LISTEN needs a connection
    /// of its own.
    pub url: String,
}

impl Db {
    /// Connects to `url` (`sqlite://path` or `postgres://…`), creating a
    /// SQLite file if needed, and applies the migrations.
    pub async fn open(url: &str) -> Result<Db> {
        install_default_drivers();
        let engine = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Engine::Postgres
        } else {
            Engine::Sqlite
        };
        let options =
            AnyPoolOptions::new().max_connections(if engine == Engine::Sqlite { 8 } else { 16 });
        let options = if engine == Engine::Sqlite {
            options.after_connect(|conn, _| {
                Box::pin(async move {
                    // WAL lets readers run while an import writes; NORMAL sync
                    // in WAL mode loses nothing on a process kill, only
                    // possibly the last commits on a power cut. 16 MiB of
                    // page cache per connection (SQLite's default is 2 MB)
                    // keeps the statement indexes' hot pages in memory.
                    conn.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; PRAGMA cache_size = -16384;")
                        .await?;
                    Ok(())
                })
            })
        } else {
            options
        };
        let url = match engine {
            Engine::Sqlite if !url.contains("mode=") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                Cow::Owned(format!("{url}{sep}mode=rwc"))
            }
            _ => Cow::Borrowed(url),
        };
        let pool = options.connect(&url).await?;
        migrator(engine).run(&pool).await?;
        Ok(Db {
            pool,
            engine,
            url: url.into_owned(),
        })
    }

    /// A transaction that writes. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so it waits its turn (`busy_timeout`) instead
    /// of failing with "database is locked" when another connection wrote
    /// after it began reading.
    pub async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(match self.engine {
            Engine::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Engine::Postgres => self.pool.begin().await?,
        })
    }

    /// Lets in-flight queries finish and closes every connection; on SQLite
    /// this also checkpoints the write-ahead log.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

fn migrator(engine: Engine) -> Migrator {
    let shared = MIGRATIONS.iter().map(|(v, n, sql)| (*v, *n, *sql));
    let by_engine = ENGINE_MIGRATIONS.iter().map(|(v, n, sqlite, postgres)| {
        let sql = match engine {
            Engine::Sqlite => *sqlite,
            Engine::Postgres => *postgres,
        };
        (*v, *n, sql)
    });
    Migrator::with_migrations(
        shared
            .chain(by_engine)
            .map(|(version, name, sql)| {
                Migration::new(
                    version,
                    Cow::Borrowed(name),
                    MigrationType::Simple,
                    sql.into_sql_str(),
                    false,
                )
            })
            .collect(),
    )
}
