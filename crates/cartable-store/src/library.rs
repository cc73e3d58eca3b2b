//! The SQL of the library: audiobooks, series and their episodes, and the
//! literacy path's courses. Books, series and courses share one shape (id,
//! language, title, the core type as JSON, the fingerprint of the import
//! that made it), so they share the SQL below; episodes are apart, since a
//! live session's recording adds one on its own.

use crate::{Db, Result, StoreError, now};
use cartable_core::library::{Audiobook, Episode, Series};
use cartable_core::literacy;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

/// The tables of that shape; their names are the only text put into SQL.
#[derive(Clone, Copy)]
enum Table {
    Audiobooks,
    Series,
    Literacy,
}

impl Table {
    fn name(self) -> &'static str {
        match self {
            Table::Audiobooks => "audiobooks",
            Table::Series => "series",
            Table::Literacy => "literacy_courses",
        }
    }
}

/// A row's columns besides its JSON.
struct Head<'a> {
    id: &'a str,
    lang: &'a str,
    title: &'a str,
}

fn to_json(table: Table, value: &impl Serialize) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(format!("{}: {e}", table.name())))
}

fn from_row<T: DeserializeOwned>(table: Table, row: &AnyRow) -> Result<T> {
    let spec: String = row.try_get("spec")?;
    serde_json::from_str(&spec).map_err(|e| StoreError::Corrupt(format!("{}: {e}", table.name())))
}

fn upsert_sql(table: Table) -> AssertSqlSafe<String> {
    AssertSqlSafe(format!(
        "INSERT INTO {} (id, lang, title, spec, fingerprint, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (id) DO UPDATE SET lang = excluded.lang, title = excluded.title,
           spec = excluded.spec, fingerprint = excluded.fingerprint,
           updated_at = excluded.updated_at",
        table.name()
    ))
}

impl Db {
    async fn fingerprint_in(&self, table: Table, id: &str) -> Result<Option<String>> {
        let sql = format!("SELECT fingerprint FROM {} WHERE id = $1", table.name());
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("fingerprint")).transpose()?)
    }

    async fn put_in(
        &self,
        table: Table,
        head: Head<'_>,
        value: &impl Serialize,
        fingerprint: &str,
    ) -> Result<()> {
        sqlx::query(upsert_sql(table))
            .bind(head.id)
            .bind(head.lang)
            .bind(head.title)
            .bind(to_json(table, value)?)
            .bind(fingerprint)
            .bind(now())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn one_in<T: DeserializeOwned>(&self, table: Table, id: &str) -> Result<Option<T>> {
        let sql = format!("SELECT spec FROM {} WHERE id = $1", table.name());
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(|r| from_row(table, r)).transpose()
    }

    /// Every row, by title.
    async fn all_in<T: DeserializeOwned>(&self, table: Table) -> Result<Vec<T>> {
        let sql = format!("SELECT spec FROM {} ORDER BY title, id", table.name());
        let rows = sqlx::query(AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| from_row(table, r)).collect()
    }

    /// The fingerprint of the book's last import, if it is there.
    pub async fn audiobook_fingerprint(&self, id: &str) -> Result<Option<String>> {
        self.fingerprint_in(Table::Audiobooks, id).await
    }

    /// Stores the book, or replaces it.
    pub async fn put_audiobook(&self, book: &Audiobook, fingerprint: &str) -> Result<()> {
        let head = Head {
            id: &book.id,
            lang: &book.lang,
            title: &book.title,
        };
        self.put_in(Table::Audiobooks, head, book, fingerprint)
            .await
    }

    pub async fn audiobook(&self, id: &str) -> Result<Option<Audiobook>> {
        self.one_in(Table::Audiobooks, id).await
    }

    /// Every book, by title.
    pub async fn audiobooks(&self) -> Result<Vec<Audiobook>> {
        self.all_in(Table::Audiobooks).await
    }

    pub async fn series_fingerprint(&self, id: &str) -> Result<Option<String>> {
        self.fingerprint_in(Table::Series, id).await
    }

    /// Stores the series and the episodes its file lists, in one
    /// transaction; episodes added otherwise (by live sessions) stay.
    pub async fn put_series(
        &self,
        series: &Series,
        episodes: &[Episode],
        fingerprint: &str,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(upsert_sql(Table::Series))
            .bind(&series.id)
            .bind(&series.lang)
            .bind(&series.title)
            .bind(to_json(Table::Series, series)?)
            .bind(fingerprint)
            .bind(now())
            .execute(&mut *tx)
            .await?;
        for e in episodes {
            upsert_episode(&mut tx, &series.id, e).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Adds an episode to a series (or sets it again). False when there is
    /// no such series.
    pub async fn put_episode(&self, series: &str, episode: &Episode) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let found = sqlx::query("SELECT id FROM series WHERE id = $1")
            .bind(series)
            .fetch_optional(&mut *tx)
            .await?;
        if found.is_none() {
            return Ok(false);
        }
        upsert_episode(&mut tx, series, episode).await?;
        sqlx::query("UPDATE series SET updated_at = $1 WHERE id = $2")
            .bind(now())
            .bind(series)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn series(&self, id: &str) -> Result<Option<Series>> {
        self.one_in(Table::Series, id).await
    }

    /// Every series, by title.
    pub async fn all_series(&self) -> Result<Vec<Series>> {
        self.all_in(Table::Series).await
    }

    /// A series' episodes, the newest first.
    pub async fn episodes(&self, series: &str) -> Result<Vec<Episode>> {
        let rows = sqlx::query(
            "SELECT spec FROM episodes WHERE series_id = $1 ORDER BY published_at DESC, id DESC",
        )
        .bind(series)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let spec: String = r.try_get("spec")?;
                serde_json::from_str(&spec)
                    .map_err(|e| StoreError::Corrupt(format!("episode: {e}")))
            })
            .collect()
    }

    pub async fn literacy_fingerprint(&self, id: &str) -> Result<Option<String>> {
        self.fingerprint_in(Table::Literacy, id).await
    }

    pub async fn put_literacy(&self, course: &literacy::Course, fingerprint: &str) -> Result<()> {
        let head = Head {
            id: &course.id,
            lang: &course.lang,
            title: &course.title,
        };
        self.put_in(Table::Literacy, head, course, fingerprint)
            .await
    }

    pub async fn literacy_course(&self, id: &str) -> Result<Option<literacy::Course>> {
        self.one_in(Table::Literacy, id).await
    }

    /// Every course, by title.
    pub async fn literacy_courses(&self) -> Result<Vec<literacy::Course>> {
        self.all_in(Table::Literacy).await
    }
}

async fn upsert_episode(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    series: &str,
    e: &Episode,
) -> Result<()> {
    let spec =
        serde_json::to_string(e).map_err(|err| StoreError::Corrupt(format!("episode: {err}")))?;
    sqlx::query(
        "INSERT INTO episodes (series_id, id, published_at, spec) VALUES ($1, $2, $3, $4)
         ON CONFLICT (series_id, id) DO UPDATE SET published_at = excluded.published_at,
           spec = excluded.spec",
    )
    .bind(series)
    .bind(&e.id)
    .bind(e.published_at)
    .bind(spec)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
