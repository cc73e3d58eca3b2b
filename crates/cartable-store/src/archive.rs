//! The SQL of the city archive: items and their versions, collections, the
//! change feed search follows, and the datestamp-ordered pages OAI-PMH
//! harvests.
//!
//! Every write of an item bumps its version and adds a history row (who,
//! when, what changed) in the same transaction. An item is never removed:
//! deleting sets `deleted_at`, so harvesters learn of it.

use crate::records::placeholders;
use crate::{Db, Result, StoreError, now};
use cartable_core::archive::{Collection, Item, Visibility};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};
use std::collections::HashMap;

/// An item with what the database knows of it.
#[derive(Debug, Clone, Serialize)]
pub struct StoredItem {
    pub item: Item,
    pub version: i64,
    pub created_at: i64,
    /// The OAI-PMH datestamp.
    pub updated_at: i64,
    pub deleted_at: Option<i64>,
}

impl StoredItem {
    /// Deleted, or hidden from the public: what harvesters and search see
    /// as gone.
    pub fn withdrawn(&self) -> bool {
        self.deleted_at.is_some() || self.item.visibility != Visibility::Public
    }
}

/// One version in an item's history.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryEntry {
    pub version: i64,
    pub at: i64,
    pub actor: String,
    pub changes: Vec<String>,
}

/// What a batch write did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Written {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// Which records an OAI-PMH list covers.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Datestamps at or after, in seconds.
    pub from: Option<i64>,
    /// Datestamps at or before.
    pub until: Option<i64>,
    pub set: Option<String>,
}

const ITEM_COLUMNS: &str = "i.id, i.record, i.version, i.created_at, i.updated_at, i.deleted_at";

fn item_from_row(row: &AnyRow) -> Result<StoredItem> {
    let record: String = row.try_get("record")?;
    let item: Item = serde_json::from_str(&record)
        .map_err(|e| StoreError::Corrupt(format!("archive item record: {e}")))?;
    Ok(StoredItem {
        item,
        version: row.try_get("version")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        deleted_at: row.try_get("deleted_at")?,
    })
}

fn collection_from_row(row: &AnyRow) -> Result<Collection> {
    Ok(Collection {
        id: row.try_get("id")?,
        title: row.try_get("title")?,
        description: row.try_get("description")?,
    })
}

fn json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// At most this many ids in one `IN (…)`.
const BATCH: usize = 500;

impl Db {
    /// Writes items (new or changed; unchanged ones are left alone) with
    /// their collections, in one transaction: the batch is wholly written
    /// or not at all. `collections` are made if new. `actor` names who, for
    /// the history.
    pub async fn put_archive_items(
        &self,
        items: &[Item],
        collections: &[Collection],
        actor: &str,
    ) -> Result<Written> {
        let mut written = Written::default();
        let now = now();
        let mut tx = self.begin_write().await?;
        for c in collections {
            sqlx::query(
                "INSERT INTO archive_collections (id, title, description, updated_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(&c.id)
            .bind(&c.title)
            .bind(&c.description)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        for chunk in items.chunks(BATCH) {
            let sql = format!(
                "SELECT {ITEM_COLUMNS}, i.fingerprint FROM archive_items i WHERE i.id IN ({})",
                placeholders(1, chunk.len())
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for item in chunk {
                q = q.bind(&item.id);
            }
            let mut known: HashMap<String, (StoredItem, String)> = HashMap::new();
            for row in q.fetch_all(&mut *tx).await? {
                let stored = item_from_row(&row)?;
                known.insert(
                    stored.item.id.clone(),
                    (stored, row.try_get("fingerprint")?),
                );
            }
            for item in chunk {
                let fingerprint = item.fingerprint();
                let (version, changes) = match known.get(&item.id) {
                    Some((old, f)) if *f == fingerprint && old.deleted_at.is_none() => {
                        written.unchanged += 1;
                        continue;
                    }
                    Some((old, _)) => {
                        let mut changes = item.changes(&old.item);
                        if old.deleted_at.is_some() {
                            changes.insert(0, "restored".into());
                        }
                        written.updated += 1;
                        (old.version + 1, changes)
                    }
                    None => {
                        written.created += 1;
                        (1, item.contents())
                    }
                };
                sqlx::query(
                    "INSERT INTO archive_items (id, record, visibility, fingerprint, version, created_at, updated_at, deleted_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $6, NULL)
                     ON CONFLICT (id) DO UPDATE SET record = $2, visibility = $3, fingerprint = $4, version = $5,
                       updated_at = $6, deleted_at = NULL",
                )
                .bind(&item.id)
                .bind(json(item)?)
                .bind(item.visibility.as_str())
                .bind(&fingerprint)
                .bind(version)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM archive_item_collections WHERE item_id = $1")
                    .bind(&item.id)
                    .execute(&mut *tx)
                    .await?;
                for c in &item.collections {
                    sqlx::query(
                        "INSERT INTO archive_item_collections (collection_id, item_id) VALUES ($1, $2)",
                    )
                    .bind(c)
                    .bind(&item.id)
                    .execute(&mut *tx)
                    .await?;
                }
                history(&mut tx, &item.id, version, now, actor, &changes).await?;
            }
        }
        tx.commit().await?;
        Ok(written)
    }

    /// Marks an item deleted; false if there is no such live item.
    pub async fn delete_archive_item(&self, id: &str, actor: &str) -> Result<bool> {
        let now = now();
        let mut tx = self.begin_write().await?;
        let Some(row) =
            sqlx::query("SELECT version FROM archive_items WHERE id = $1 AND deleted_at IS NULL")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
        else {
            return Ok(false);
        };
        let version: i64 = row.try_get::<i64, _>("version")? + 1;
        sqlx::query(
            "UPDATE archive_items SET deleted_at = $2, updated_at = $2, version = $3 WHERE id = $1",
        )
        .bind(id)
        .bind(now)
        .bind(version)
        .execute(&mut *tx)
        .await?;
        history(&mut tx, id, version, now, actor, &["deleted".to_owned()]).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// One item, deleted or not.
    pub async fn archive_item(&self, id: &str) -> Result<Option<StoredItem>> {
        let sql = format!("SELECT {ITEM_COLUMNS} FROM archive_items i WHERE i.id = $1");
        sqlx::query(AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(item_from_row)
            .transpose()
    }

    /// An item's versions, newest first.
    pub async fn archive_history(&self, id: &str) -> Result<Vec<HistoryEntry>> {
        sqlx::query(
            "SELECT version, at, actor, changes FROM archive_history WHERE item_id = $1 ORDER BY version DESC",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            let changes: String = r.try_get("changes")?;
            Ok(HistoryEntry {
                version: r.try_get("version")?,
                at: r.try_get("at")?,
                actor: r.try_get("actor")?,
                changes: serde_json::from_str(&changes)
                    .map_err(|e| StoreError::Corrupt(format!("archive history: {e}")))?,
            })
        })
        .collect()
    }

    /// Items written at or after `since` (the search index's change feed),
    /// deleted ones included.
    pub async fn archive_changes(&self, since: i64) -> Result<Vec<StoredItem>> {
        let sql = format!("SELECT {ITEM_COLUMNS} FROM archive_items i WHERE i.updated_at >= $1");
        sqlx::query(AssertSqlSafe(sql))
            .bind(since)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(item_from_row)
            .collect()
    }

    /// Makes or renames a collection.
    pub async fn put_archive_collection(&self, c: &Collection) -> Result<()> {
        sqlx::query(
            "INSERT INTO archive_collections (id, title, description, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id) DO UPDATE SET title = $2, description = $3, updated_at = $4",
        )
        .bind(&c.id)
        .bind(&c.title)
        .bind(&c.description)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Every collection with its number of public, live items, by title.
    pub async fn archive_collections(&self) -> Result<Vec<(Collection, i64)>> {
        sqlx::query(
            "SELECT c.id, c.title, c.description,
               (SELECT COUNT(*) FROM archive_item_collections m JOIN archive_items i ON i.id = m.item_id
                WHERE m.collection_id = c.id AND i.deleted_at IS NULL AND i.visibility = 'public') AS n
             FROM archive_collections c ORDER BY c.title, c.id",
        )
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| Ok((collection_from_row(r)?, r.try_get("n")?)))
        .collect()
    }

    /// Every collection, by title, without counting their items.
    pub async fn archive_collection_list(&self) -> Result<Vec<Collection>> {
        sqlx::query("SELECT id, title, description FROM archive_collections ORDER BY title, id")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(collection_from_row)
            .collect()
    }

    pub async fn archive_collection(&self, id: &str) -> Result<Option<Collection>> {
        sqlx::query("SELECT id, title, description FROM archive_collections WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(collection_from_row)
            .transpose()
    }

    /// Live items and deleted ones, counted.
    pub async fn archive_counts(&self) -> Result<(i64, i64)> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n, COALESCE(SUM(CASE WHEN deleted_at IS NULL THEN 0 ELSE 1 END), 0) AS gone
             FROM archive_items",
        )
        .fetch_one(&self.pool)
        .await?;
        let (n, gone): (i64, i64) = (row.try_get("n")?, row.try_get("gone")?);
        Ok((n - gone, gone))
    }

    /// The earliest datestamp, for OAI-PMH Identify.
    pub async fn archive_earliest(&self) -> Result<Option<i64>> {
        Ok(
            sqlx::query("SELECT MIN(updated_at) AS t FROM archive_items")
                .fetch_one(&self.pool)
                .await?
                .try_get("t")?,
        )
    }

    /// One page of records in datestamp order, after `after` (datestamp,
    /// id): a cursor that stays valid however the repository changes.
    pub async fn archive_page(
        &self,
        sel: &Selection,
        after: Option<(i64, &str)>,
        limit: i64,
    ) -> Result<Vec<StoredItem>> {
        let (mut sql, binds) = selection_sql(sel, &format!("SELECT {ITEM_COLUMNS}"));
        let mut n = binds.len();
        if after.is_some() {
            sql.push_str(&format!(
                " AND (i.updated_at > ${} OR (i.updated_at = ${} AND i.id > ${}))",
                n + 1,
                n + 1,
                n + 2
            ));
            n += 2;
        }
        sql.push_str(&format!(" ORDER BY i.updated_at, i.id LIMIT ${}", n + 1));
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for b in binds {
            q = match b {
                Bind::Int(v) => q.bind(v),
                Bind::Text(v) => q.bind(v),
            };
        }
        if let Some((at, id)) = after {
            q = q.bind(at).bind(id.to_owned());
        }
        q.bind(limit)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(item_from_row)
            .collect()
    }

    /// How many records a selection holds.
    pub async fn archive_page_count(&self, sel: &Selection) -> Result<i64> {
        let (sql, binds) = selection_sql(sel, "SELECT COUNT(*) AS n");
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for b in binds {
            q = match b {
                Bind::Int(v) => q.bind(v),
                Bind::Text(v) => q.bind(v),
            };
        }
        Ok(q.fetch_one(&self.pool).await?.try_get("n")?)
    }
}

enum Bind {
    Int(i64),
    Text(String),
}

fn selection_sql(sel: &Selection, select: &str) -> (String, Vec<Bind>) {
    let mut binds = vec![];
    let mut sql = match &sel.set {
        Some(set) => {
            binds.push(Bind::Text(set.clone()));
            format!(
                "{select} FROM archive_items i JOIN archive_item_collections m ON m.item_id = i.id AND m.collection_id = $1 WHERE 1 = 1"
            )
        }
        None => format!("{select} FROM archive_items i WHERE 1 = 1"),
    };
    if let Some(from) = sel.from {
        binds.push(Bind::Int(from));
        sql.push_str(&format!(" AND i.updated_at >= ${}", binds.len()));
    }
    if let Some(until) = sel.until {
        binds.push(Bind::Int(until));
        sql.push_str(&format!(" AND i.updated_at <= ${}", binds.len()));
    }
    (sql, binds)
}

async fn history(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: &str,
    version: i64,
    at: i64,
    actor: &str,
    changes: &[String],
) -> Result<()> {
    sqlx::query(
        "INSERT INTO archive_history (item_id, version, at, actor, changes) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(version)
    .bind(at)
    .bind(actor)
    .bind(json(&changes)?)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
