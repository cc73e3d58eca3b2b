//! The SQL of satchels and sync: a hub's roster for a satchel, a box
//! installing a satchel's catalog and roster, the boxes a hub certified
//! and how far their records came back, the sync log, and the statements
//! a sync carries.

use crate::records::placeholders;
use crate::{Db, Result, StoreError, now};
use cartable_core::satchel::{
    CatalogSection, Roster, RosterClass, RosterMember, RosterSchool, RosterUser,
};
use serde::Serialize;
use sqlx::{AssertSqlSafe, Row};
use std::collections::HashSet;

/// A box as a hub knows it.
#[derive(Debug, Clone, Serialize)]
pub struct BoxRow {
    pub id: String,
    pub public_key: String,
    pub schools: Vec<String>,
    pub version: i64,
    pub digest: String,
    pub packed_at: i64,
    pub received: i64,
    pub newest: i64,
    pub last_sync_at: Option<i64>,
    pub last_sync_kind: Option<String>,
}

impl BoxRow {
    /// Records the box said it had that have not arrived.
    pub fn pending(&self) -> i64 {
        (self.newest - self.received).max(0)
    }
}

/// One line of the sync log.
#[derive(Debug, Clone, Serialize)]
pub struct SyncEvent {
    pub box_id: String,
    pub at: i64,
    pub kind: String,
    pub ok: bool,
    pub accepted: i64,
    pub duplicates: i64,
    pub detail: String,
}

fn box_from_row(row: &sqlx::any::AnyRow) -> Result<BoxRow> {
    let schools: String = row.try_get("schools")?;
    Ok(BoxRow {
        id: row.try_get("id")?,
        public_key: row.try_get("public_key")?,
        schools: serde_json::from_str(&schools)
            .map_err(|e| StoreError::Corrupt(format!("box schools: {e}")))?,
        version: row.try_get("version")?,
        digest: row.try_get("digest")?,
        packed_at: row.try_get("packed_at")?,
        received: row.try_get("received")?,
        newest: row.try_get("newest")?,
        last_sync_at: row.try_get("last_sync_at")?,
        last_sync_kind: row.try_get("last_sync_kind")?,
    })
}

const BOX_COLUMNS: &str = "id, public_key, schools, version, digest, packed_at, received, newest, last_sync_at, last_sync_kind";

impl Db {
    /// Who may sign in at these schools: their schools, classes, members,
    /// and the members' accounts with their password hashes. Sorted, so
    /// the same database packs the same bytes.
    pub async fn roster(&self, schools: &[String]) -> Result<Roster> {
        let mut roster = Roster::default();
        if schools.is_empty() {
            return Ok(roster);
        }
        let list = placeholders(1, schools.len());
        let bind_all = |sql: String| {
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for s in schools {
                q = q.bind(s.clone());
            }
            q
        };
        for row in bind_all(format!(
            "SELECT id, name, district FROM schools WHERE id IN ({list}) ORDER BY id"
        ))
        .fetch_all(&self.pool)
        .await?
        {
            roster.schools.push(RosterSchool {
                id: row.try_get("id")?,
                name: row.try_get("name")?,
                district: row.try_get("district")?,
            });
        }
        for row in bind_all(format!(
            "SELECT id, school_id, name, picture_login FROM classes WHERE school_id IN ({list}) ORDER BY id"
        ))
        .fetch_all(&self.pool)
        .await?
        {
            roster.classes.push(RosterClass {
                id: row.try_get("id")?,
                school: row.try_get("school_id")?,
                name: row.try_get("name")?,
                picture_login: row.try_get::<i64, _>("picture_login")? != 0,
            });
        }
        for row in bind_all(format!(
            "SELECT m.class_id, m.login, m.position FROM class_members m JOIN classes c ON c.id = m.class_id
             WHERE c.school_id IN ({list}) ORDER BY m.class_id, m.login"
        ))
        .fetch_all(&self.pool)
        .await?
        {
            roster.members.push(RosterMember {
                class: row.try_get("class_id")?,
                login: row.try_get("login")?,
                position: row.try_get("position")?,
            });
        }
        for row in bind_all(format!(
            "SELECT login, name, role, password_hash, avatar, picture_hash, disabled FROM users WHERE login IN
               (SELECT m.login FROM class_members m JOIN classes c ON c.id = m.class_id WHERE c.school_id IN ({list}))
             ORDER BY login"
        ))
        .fetch_all(&self.pool)
        .await?
        {
            roster.users.push(RosterUser {
                login: row.try_get("login")?,
                name: row.try_get("name")?,
                role: row.try_get("role")?,
                password_hash: row.try_get("password_hash")?,
                avatar: row.try_get("avatar")?,
                picture_hash: row.try_get("picture_hash")?,
                disabled: row.try_get::<i64, _>("disabled")? != 0,
            });
        }
        Ok(roster)
    }

    /// Makes the box's accounts, schools and classes those of the roster,
    /// in one transaction. Accounts made on the box itself stay.
    pub async fn install_roster(&self, roster: &Roster) -> Result<()> {
        let now = now();
        let mut tx = self.begin_write().await?;
        for s in &roster.schools {
            sqlx::query(
                "INSERT INTO schools (id, name, district, created_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (id) DO UPDATE SET name = $2, district = $3",
            )
            .bind(&s.id)
            .bind(&s.name)
            .bind(&s.district)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        for c in &roster.classes {
            sqlx::query(
                "INSERT INTO classes (id, school_id, name, picture_login, created_at) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (id) DO UPDATE SET school_id = $2, name = $3, picture_login = $4",
            )
            .bind(&c.id)
            .bind(&c.school)
            .bind(&c.name)
            .bind(i64::from(c.picture_login))
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        for u in &roster.users {
            sqlx::query(
                "INSERT INTO users (login, name, role, password_hash, avatar, picture_hash, disabled, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 ON CONFLICT (login) DO UPDATE SET name = $2, role = $3, password_hash = $4, avatar = $5,
                   picture_hash = $6, disabled = $7",
            )
            .bind(&u.login)
            .bind(&u.name)
            .bind(&u.role)
            .bind(u.password_hash.clone())
            .bind(u.avatar.clone())
            .bind(u.picture_hash.clone())
            .bind(i64::from(u.disabled))
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        let classes: Vec<&str> = roster.classes.iter().map(|c| c.id.as_str()).collect();
        for chunk in classes.chunks(200) {
            let sql = format!(
                "DELETE FROM class_members WHERE class_id IN ({})",
                placeholders(1, chunk.len())
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for c in chunk {
                q = q.bind(*c);
            }
            q.execute(&mut *tx).await?;
        }
        for m in &roster.members {
            sqlx::query(
                "INSERT INTO class_members (class_id, login, position) VALUES ($1, $2, $3)",
            )
            .bind(&m.class)
            .bind(&m.login)
            .bind(&m.position)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Makes the catalog that of the satchel: its capsules and programmes
    /// written, every other capsule removed (through the change feed, so
    /// search follows). A capsule's fingerprint on a box is the hash of its
    /// record, so an update rewrites only the capsules that changed.
    pub async fn install_catalog(&self, catalog: &CatalogSection) -> Result<()> {
        for p in &catalog.programmes {
            self.put_programme(p).await?;
        }
        for c in &catalog.capsules {
            let record = serde_json::to_vec(c).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let print = blake3::hash(&record).to_hex();
            if self.capsule_fingerprint(&c.id).await?.as_deref() != Some(print.as_str()) {
                self.put_capsule(c, print.as_str()).await?;
            }
        }
        let keep: HashSet<&str> = catalog.capsules.iter().map(|c| c.id.as_str()).collect();
        let ids: Vec<String> = sqlx::query("SELECT id FROM capsules")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| r.try_get("id"))
            .collect::<std::result::Result<_, _>>()?;
        for id in ids.iter().filter(|id| !keep.contains(id.as_str())) {
            self.remove_capsule(id).await?;
        }
        Ok(())
    }

    pub async fn local_state(&self, name: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT value FROM local_state WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("value")).transpose()?)
    }

    pub async fn set_local_state(&self, name: &str, value: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO local_state (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = $2",
        )
        .bind(name)
        .bind(value)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Notes (or renews) a box the hub packed a satchel for.
    pub async fn certify_box(
        &self,
        id: &str,
        public_key: &str,
        schools: &[String],
        version: i64,
        digest: &str,
    ) -> Result<()> {
        let schools =
            serde_json::to_string(schools).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        sqlx::query(
            "INSERT INTO sync_boxes (id, public_key, schools, version, digest, packed_at) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (id) DO UPDATE SET public_key = $2, schools = $3, version = $4, digest = $5, packed_at = $6",
        )
        .bind(id)
        .bind(public_key)
        .bind(schools)
        .bind(version)
        .bind(digest)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Keeps the newest satchel packed for a box (see the `satchel` column).
    pub async fn set_box_satchel(&self, id: &str, satchel: &str) -> Result<()> {
        sqlx::query("UPDATE sync_boxes SET satchel = $2 WHERE id = $1")
            .bind(id)
            .bind(satchel)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn box_satchel(&self, id: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT satchel FROM sync_boxes WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("satchel")).transpose()?.flatten())
    }

    pub async fn sync_box(&self, id: &str) -> Result<Option<BoxRow>> {
        let sql = format!("SELECT {BOX_COLUMNS} FROM sync_boxes WHERE id = $1");
        sqlx::query(AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(box_from_row)
            .transpose()
    }

    pub async fn sync_boxes(&self) -> Result<Vec<BoxRow>> {
        let sql = format!("SELECT {BOX_COLUMNS} FROM sync_boxes ORDER BY id");
        sqlx::query(AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(box_from_row)
            .collect()
    }

    /// Notes a box's contact and a chunk it delivered, covering its
    /// records after `after` up to `last`: the box's cursor (everything up
    /// to it has come) moves to `last` when the chunk starts at or before
    /// it, in one statement, so chunks settled one after another move it
    /// along. A contact without a chunk passes `after > last`. Returns the
    /// cursor.
    pub async fn box_contact(
        &self,
        id: &str,
        after: i64,
        last: i64,
        newest: i64,
        kind: &str,
    ) -> Result<i64> {
        sqlx::query(
            "UPDATE sync_boxes SET received = CASE WHEN $2 <= received AND $3 > received THEN $3 ELSE received END,
               newest = CASE WHEN newest > $4 THEN newest ELSE $4 END, last_sync_at = $5, last_sync_kind = $6
             WHERE id = $1",
        )
        .bind(id)
        .bind(after)
        .bind(last)
        .bind(newest)
        .bind(now())
        .bind(kind)
        .execute(&self.pool)
        .await?;
        let row = sqlx::query("SELECT received FROM sync_boxes WHERE id = $1")
            .bind(id)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("received")?)
    }

    pub async fn log_sync(&self, event: &SyncEvent) -> Result<()> {
        sqlx::query(
            "INSERT INTO sync_events (seq, box_id, at, kind, ok, accepted, duplicates, detail)
             VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 FROM sync_events), $1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&event.box_id)
        .bind(event.at)
        .bind(&event.kind)
        .bind(i64::from(event.ok))
        .bind(event.accepted)
        .bind(event.duplicates)
        .bind(&event.detail)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The newest sync log lines, of one box or of all.
    pub async fn sync_log(&self, box_id: Option<&str>, limit: i64) -> Result<Vec<SyncEvent>> {
        let rows = match box_id {
            Some(b) => {
                sqlx::query(
                    "SELECT box_id, at, kind, ok, accepted, duplicates, detail FROM sync_events WHERE box_id = $1 ORDER BY seq DESC LIMIT $2",
                )
                .bind(b)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(
                    "SELECT box_id, at, kind, ok, accepted, duplicates, detail FROM sync_events ORDER BY seq DESC LIMIT $1",
                )
                .bind(limit)
                .fetch_all(&self.pool)
                .await?
            }
        };
        rows.iter()
            .map(|r| {
                Ok(SyncEvent {
                    box_id: r.try_get("box_id")?,
                    at: r.try_get("at")?,
                    kind: r.try_get("kind")?,
                    ok: r.try_get::<i64, _>("ok")? != 0,
                    accepted: r.try_get("accepted")?,
                    duplicates: r.try_get("duplicates")?,
                    detail: r.try_get("detail")?,
                })
            })
            .collect()
    }

    /// Statements stored after `after`, oldest first, voided ones too:
    /// (seq, JSON as stored, without `stored`).
    pub async fn statements_after(&self, after: i64, limit: i64) -> Result<Vec<(i64, String)>> {
        let rows = sqlx::query(
            "SELECT seq, statement FROM xapi_statements WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("seq")?, r.try_get("statement")?)))
            .collect()
    }

    /// Statements whose actor (or agent object) is one of `ifis`, stored
    /// after `after`, oldest first.
    pub async fn statements_of_after(
        &self,
        ifis: &[String],
        after: i64,
        limit: i64,
    ) -> Result<Vec<(i64, String)>> {
        if ifis.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT s.seq, s.statement FROM xapi_statements s WHERE s.seq IN
               (SELECT a.seq FROM xapi_statement_agents a WHERE a.direct = 1 AND a.seq > $1 AND a.ifi IN ({}))
             ORDER BY s.seq LIMIT $2",
            placeholders(3, ifis.len())
        );
        let mut q = sqlx::query(AssertSqlSafe(sql)).bind(after).bind(limit);
        for ifi in ifis {
            q = q.bind(ifi.clone());
        }
        q.fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| Ok((r.try_get("seq")?, r.try_get("statement")?)))
            .collect()
    }

    /// Logins of the members (learners and teachers) of these schools.
    pub async fn members_of_schools(&self, schools: &[String]) -> Result<HashSet<String>> {
        if schools.is_empty() {
            return Ok(HashSet::new());
        }
        let sql = format!(
            "SELECT DISTINCT m.login FROM class_members m JOIN classes c ON c.id = m.class_id WHERE c.school_id IN ({})",
            placeholders(1, schools.len())
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for s in schools {
            q = q.bind(s.clone());
        }
        q.fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| Ok(r.try_get("login")?))
            .collect()
    }
}
