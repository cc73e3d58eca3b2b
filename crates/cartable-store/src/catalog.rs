//! The catalog's SQL: capsules, programmes and the transcode cache.
//!
//! A capsule is written in one transaction with its programme places, so a
//! reader (or an import killed half-way) never sees half a capsule.

use crate::{Db, Result, StoreError, now};
use cartable_core::catalog::{Capsule, Programme, StoredMedia};
use cartable_core::{CapsuleId, Lang, LevelId, ProgrammeId, SubjectId, Translations};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

/// What a capsule listing is narrowed to.
#[derive(Debug, Default, Clone)]
pub struct CapsuleFilter {
    pub level: Option<LevelId>,
    pub subject: Option<SubjectId>,
    pub lang: Option<Lang>,
    pub programme: Option<ProgrammeId>,
}

/// Where a page of a listing starts: after this capsule id, or after this
/// position when listing a programme in its order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cursor {
    AfterId(CapsuleId),
    AfterPosition(i64),
}

/// A page of capsules and the cursor of the next page, if any.
#[derive(Debug)]
pub struct CapsulePage {
    pub capsules: Vec<Capsule>,
    pub next: Option<Cursor>,
}

fn to_json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn from_json<T: DeserializeOwned>(row: &AnyRow, column: &str) -> Result<T> {
    let text: String = row.try_get(column)?;
    serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(format!("{column}: {e}")))
}

fn id<T: TryFrom<String>>(row: &AnyRow, column: &str) -> Result<T> {
    let text: String = row.try_get(column)?;
    T::try_from(text.clone()).map_err(|_| StoreError::Corrupt(format!("{column} \"{text}\"")))
}

const CAPSULE_COLUMNS: &str = "c.id, c.lang, c.level, c.subject, c.titles, c.summaries, c.media, c.captions, c.transcript, c.attachments, c.tags, c.updated_at";

fn capsule_from_row(row: &AnyRow) -> Result<Capsule> {
    Ok(Capsule {
        id: id(row, "id")?,
        lang: id(row, "lang")?,
        level: id(row, "level")?,
        subject: id(row, "subject")?,
        titles: from_json(row, "titles")?,
        summaries: from_json(row, "summaries")?,
        media: from_json(row, "media")?,
        captions: from_json(row, "captions")?,
        transcript: row.try_get("transcript")?,
        attachments: from_json(row, "attachments")?,
        tags: from_json(row, "tags")?,
        programmes: Vec::new(),
        updated_at: row.try_get("updated_at")?,
    })
}

impl Db {
    /// The fingerprint of the last import of this capsule, if it exists.
    pub async fn capsule_fingerprint(&self, id: &CapsuleId) -> Result<Option<String>> {
        let row = sqlx::query("SELECT fingerprint FROM capsules WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("fingerprint")).transpose()?)
    }

    /// Writes a capsule and its programme places in one transaction.
    pub async fn put_capsule(&self, capsule: &Capsule, fingerprint: &str) -> Result<()> {
        let now = now();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO capsules (id, lang, level, subject, titles, summaries, media, captions, transcript, attachments, tags, fingerprint, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)
             ON CONFLICT (id) DO UPDATE SET lang = $2, level = $3, subject = $4, titles = $5, summaries = $6, media = $7,
               captions = $8, transcript = $9, attachments = $10, tags = $11, fingerprint = $12, updated_at = $13",
        )
        .bind(capsule.id.as_str())
        .bind(capsule.lang.as_str())
        .bind(capsule.level.as_str())
        .bind(capsule.subject.as_str())
        .bind(to_json(&capsule.titles)?)
        .bind(to_json(&capsule.summaries)?)
        .bind(to_json(&capsule.media)?)
        .bind(to_json(&capsule.captions)?)
        .bind(capsule.transcript.clone())
        .bind(to_json(&capsule.attachments)?)
        .bind(to_json(&capsule.tags)?)
        .bind(fingerprint)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM programme_capsules WHERE capsule_id = $1")
            .bind(capsule.id.as_str())
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM capsule_removals WHERE capsule_id = $1")
            .bind(capsule.id.as_str())
            .execute(&mut *tx)
            .await?;
        for (programme, position) in &capsule.programmes {
            sqlx::query("INSERT INTO programme_capsules (programme_id, capsule_id, position) VALUES ($1, $2, $3)")
                .bind(programme.as_str())
                .bind(capsule.id.as_str())
                .bind(i64::from(*position))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn put_programme(&self, p: &Programme) -> Result<()> {
        sqlx::query(
            "INSERT INTO programmes (id, titles, summaries, level, subject, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (id) DO UPDATE SET titles = $2, summaries = $3, level = $4, subject = $5, updated_at = $6",
        )
        .bind(p.id.as_str())
        .bind(to_json(&p.titles)?)
        .bind(to_json(&p.summaries)?)
        .bind(p.level.as_ref().map(|l| l.to_string()))
        .bind(p.subject.as_ref().map(|s| s.to_string()))
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn capsule(&self, id: &str) -> Result<Option<Capsule>> {
        let sql = format!("SELECT {CAPSULE_COLUMNS} FROM capsules c WHERE c.id = $1");
        let Some(row) = sqlx::query(AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let mut capsules = [capsule_from_row(&row)?];
        self.attach_programmes(&mut capsules).await?;
        let [capsule] = capsules;
        Ok(Some(capsule))
    }

    /// One page of capsules matching `filter`: in programme order when a
    /// programme is given, otherwise by id. Keyset pagination keeps every
    /// page as cheap as the first.
    pub async fn capsules(
        &self,
        filter: &CapsuleFilter,
        after: Option<&Cursor>,
        limit: u32,
    ) -> Result<CapsulePage> {
        let mut sql = format!("SELECT {CAPSULE_COLUMNS}");
        let mut binds: Vec<String> = Vec::new();
        let mut conditions: Vec<String> = Vec::new();
        let bind = |value: String, binds: &mut Vec<String>| {
            binds.push(value);
            format!("${}", binds.len())
        };
        if let Some(programme) = &filter.programme {
            sql.push_str(
                ", pc.position FROM capsules c JOIN programme_capsules pc ON pc.capsule_id = c.id",
            );
            let p = bind(programme.to_string(), &mut binds);
            conditions.push(format!("pc.programme_id = {p}"));
        } else {
            sql.push_str(" FROM capsules c");
        }
        for (column, value) in [
            ("c.level", &filter.level.as_ref().map(|v| v.to_string())),
            ("c.subject", &filter.subject.as_ref().map(|v| v.to_string())),
            ("c.lang", &filter.lang.as_ref().map(|v| v.to_string())),
        ] {
            if let Some(value) = value {
                let p = bind(value.clone(), &mut binds);
                conditions.push(format!("{column} = {p}"));
            }
        }
        let mut position_after = None;
        match after {
            Some(Cursor::AfterId(id)) => {
                let p = bind(id.to_string(), &mut binds);
                conditions.push(format!("c.id > {p}"));
            }
            Some(Cursor::AfterPosition(pos)) => position_after = Some(*pos),
            None => {}
        }
        if let Some(pos) = position_after.filter(|_| filter.programme.is_some()) {
            conditions.push(format!("pc.position > {pos}"));
        }
        if !conditions.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&conditions.join(" AND "));
        }
        let order = if filter.programme.is_some() {
            "pc.position, c.id"
        } else {
            "c.id"
        };
        sql.push_str(&format!(" ORDER BY {order} LIMIT {}", u64::from(limit) + 1));
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for value in binds {
            query = query.bind(value);
        }
        let rows = query.fetch_all(&self.pool).await?;
        let more = rows.len() > limit as usize;
        let mut capsules = Vec::with_capacity(rows.len().min(limit as usize));
        let mut last_position = 0;
        for row in rows.iter().take(limit as usize) {
            capsules.push(capsule_from_row(row)?);
            if filter.programme.is_some() {
                last_position = row.try_get("position")?;
            }
        }
        self.attach_programmes(&mut capsules).await?;
        let next = match (more, capsules.last()) {
            (true, Some(_)) if filter.programme.is_some() => {
                Some(Cursor::AfterPosition(last_position))
            }
            (true, Some(last)) => Some(Cursor::AfterId(last.id.clone())),
            _ => None,
        };
        Ok(CapsulePage { capsules, next })
    }

    /// The most recently added capsules, newest first.
    pub async fn newest_capsules(&self, limit: u32) -> Result<Vec<Capsule>> {
        let sql = format!(
            "SELECT {CAPSULE_COLUMNS} FROM capsules c ORDER BY c.created_at DESC, c.id LIMIT {limit}"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?;
        let mut capsules = rows
            .iter()
            .map(capsule_from_row)
            .collect::<Result<Vec<_>>>()?;
        self.attach_programmes(&mut capsules).await?;
        Ok(capsules)
    }

    /// Fills in the programme places of a page of capsules in one query.
    async fn attach_programmes(&self, capsules: &mut [Capsule]) -> Result<()> {
        if capsules.is_empty() {
            return Ok(());
        }
        let placeholders: Vec<String> = (1..=capsules.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT capsule_id, programme_id, position FROM programme_capsules WHERE capsule_id IN ({}) ORDER BY programme_id",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for c in capsules.iter() {
            query = query.bind(c.id.to_string());
        }
        for row in query.fetch_all(&self.pool).await? {
            let capsule_id: String = row.try_get("capsule_id")?;
            let position: i64 = row.try_get("position")?;
            if let Some(c) = capsules.iter_mut().find(|c| c.id.as_str() == capsule_id) {
                c.programmes.push((
                    id(&row, "programme_id")?,
                    u32::try_from(position).unwrap_or(u32::MAX),
                ));
            }
        }
        Ok(())
    }

    /// Removes a capsule and notes the removal in the change feed, in one
    /// transaction; false when there was no such capsule. Its blobs stay
    /// (another capsule may share them).
    pub async fn remove_capsule(&self, id: &str) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let gone = sqlx::query("DELETE FROM capsules WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        if gone {
            sqlx::query(
                "INSERT INTO capsule_removals (capsule_id, removed_at) VALUES ($1, $2)
                 ON CONFLICT (capsule_id) DO UPDATE SET removed_at = $2",
            )
            .bind(id)
            .bind(now())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(gone)
    }

    /// The change feed: capsules written at or after `since` (seconds),
    /// and the ids of capsules removed since then, with the time.
    pub async fn catalog_changes(&self, since: i64) -> Result<(Vec<Capsule>, Vec<(String, i64)>)> {
        let sql = format!("SELECT {CAPSULE_COLUMNS} FROM capsules c WHERE c.updated_at >= $1");
        let capsules = sqlx::query(AssertSqlSafe(sql))
            .bind(since)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(capsule_from_row)
            .collect::<Result<Vec<_>>>()?;
        let removed = sqlx::query(
            "SELECT capsule_id, removed_at FROM capsule_removals WHERE removed_at >= $1",
        )
        .bind(since)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("capsule_id")?, r.try_get("removed_at")?)))
        .collect::<Result<Vec<(String, i64)>>>()?;
        Ok((capsules, removed))
    }

    /// Every capsule with its programme places, by id.
    pub async fn all_capsules(&self) -> Result<Vec<Capsule>> {
        let (mut capsules, _) = self.catalog_changes(i64::MIN).await?;
        capsules.sort_by(|a, b| a.id.cmp(&b.id));
        for page in capsules.chunks_mut(200) {
            self.attach_programmes(page).await?;
        }
        Ok(capsules)
    }

    pub async fn capsule_count(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM capsules")
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?)
    }

    /// How many capsules each (level, subject) pair holds, for browsing.
    pub async fn level_subject_counts(&self) -> Result<Vec<(String, String, i64)>> {
        let rows = sqlx::query(
            "SELECT level, subject, COUNT(*) AS n FROM capsules GROUP BY level, subject",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("level")?, r.try_get("subject")?, r.try_get("n")?)))
            .collect()
    }

    pub async fn programmes(&self) -> Result<Vec<Programme>> {
        let rows = sqlx::query(
            "SELECT p.id, p.titles, p.summaries, p.level, p.subject, (SELECT COUNT(*) FROM programme_capsules pc WHERE pc.programme_id = p.id) AS n
             FROM programmes p ORDER BY p.id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(programme_from_row).collect()
    }

    pub async fn programme(&self, id: &str) -> Result<Option<Programme>> {
        let row = sqlx::query(
            "SELECT p.id, p.titles, p.summaries, p.level, p.subject, (SELECT COUNT(*) FROM programme_capsules pc WHERE pc.programme_id = p.id) AS n
             FROM programmes p WHERE p.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(programme_from_row).transpose()
    }

    /// What this source already became under this ladder, if it was transcoded before.
    pub async fn cached_transcode(
        &self,
        source_hash: &str,
        ladder: &str,
    ) -> Result<Option<StoredMedia>> {
        let row =
            sqlx::query("SELECT media FROM transcodes WHERE source_hash = $1 AND ladder = $2")
                .bind(source_hash)
                .bind(ladder)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|r| from_json(&r, "media")).transpose()
    }

    pub async fn put_transcode(
        &self,
        source_hash: &str,
        ladder: &str,
        media: &StoredMedia,
    ) -> Result<()> {
        sqlx::query("INSERT INTO transcodes (source_hash, ladder, media) VALUES ($1, $2, $3) ON CONFLICT (source_hash, ladder) DO UPDATE SET media = $3")
            .bind(source_hash)
            .bind(ladder)
            .bind(to_json(media)?)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

fn programme_from_row(row: &AnyRow) -> Result<Programme> {
    let optional =
        |column: &str| -> Result<Option<String>> { Ok(row.try_get::<Option<String>, _>(column)?) };
    Ok(Programme {
        id: id(row, "id")?,
        titles: from_json::<Translations>(row, "titles")?,
        summaries: from_json(row, "summaries")?,
        level: optional("level")?.and_then(|l| LevelId::try_from(l).ok()),
        subject: optional("subject")?.and_then(|s| SubjectId::try_from(s).ok()),
        capsule_count: u64::try_from(row.try_get::<i64, _>("n")?).unwrap_or(0),
    })
}
