//! The SQL of the library: audiobooks, series and their episodes, each
//! kept as its core type in JSON with the columns lists are sorted by.

use crate::{Db, Result, StoreError, now};
use cartable_core::library::{Audiobook, Episode, Series};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::Row;
use sqlx::any::AnyRow;

fn to_json(what: &str, value: &impl Serialize) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

fn from_row<T: DeserializeOwned>(what: &str, row: &AnyRow) -> Result<T> {
    let spec: String = row.try_get("spec")?;
    serde_json::from_str(&spec).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

impl Db {
    /// The fingerprint of the book's last import, if it is there.
    pub async fn audiobook_fingerprint(&self, id: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT fingerprint FROM audiobooks WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("fingerprint")).transpose()?)
    }

    /// Stores the book, or replaces it.
    pub async fn put_audiobook(&self, book: &Audiobook, fingerprint: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO audiobooks (id, lang, title, spec, fingerprint, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (id) DO UPDATE SET lang = excluded.lang, title = excluded.title,
               spec = excluded.spec, fingerprint = excluded.fingerprint,
               updated_at = excluded.updated_at",
        )
        .bind(&book.id)
        .bind(&book.lang)
        .bind(&book.title)
        .bind(to_json("audiobook", book)?)
        .bind(fingerprint)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn audiobook(&self, id: &str) -> Result<Option<Audiobook>> {
        let row = sqlx::query("SELECT spec FROM audiobooks WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(|r| from_row("audiobook", r)).transpose()
    }

    /// Every book, by title.
    pub async fn audiobooks(&self) -> Result<Vec<Audiobook>> {
        let rows = sqlx::query("SELECT spec FROM audiobooks ORDER BY title, id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| from_row("audiobook", r)).collect()
    }

    pub async fn series_fingerprint(&self, id: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT fingerprint FROM series WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("fingerprint")).transpose()?)
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
        sqlx::query(
            "INSERT INTO series (id, lang, title, spec, fingerprint, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (id) DO UPDATE SET lang = excluded.lang, title = excluded.title,
               spec = excluded.spec, fingerprint = excluded.fingerprint,
               updated_at = excluded.updated_at",
        )
        .bind(&series.id)
        .bind(&series.lang)
        .bind(&series.title)
        .bind(to_json("series", series)?)
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
        let row = sqlx::query("SELECT spec FROM series WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(|r| from_row("series", r)).transpose()
    }

    /// Every series, by title.
    pub async fn all_series(&self) -> Result<Vec<Series>> {
        let rows = sqlx::query("SELECT spec FROM series ORDER BY title, id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| from_row("series", r)).collect()
    }

    /// A series' episodes, the newest first.
    pub async fn episodes(&self, series: &str) -> Result<Vec<Episode>> {
        let rows = sqlx::query(
            "SELECT spec FROM episodes WHERE series_id = $1 ORDER BY published_at DESC, id DESC",
        )
        .bind(series)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| from_row("episode", r)).collect()
    }
}

async fn upsert_episode(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    series: &str,
    e: &Episode,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO episodes (series_id, id, published_at, spec) VALUES ($1, $2, $3, $4)
         ON CONFLICT (series_id, id) DO UPDATE SET published_at = excluded.published_at,
           spec = excluded.spec",
    )
    .bind(series)
    .bind(&e.id)
    .bind(e.published_at)
    .bind(to_json("episode", e)?)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
