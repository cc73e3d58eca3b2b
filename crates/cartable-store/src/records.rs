//! The learning records' SQL: xAPI statements and the index tables their
//! queries use, the State / Activity Profile / Agent Profile documents, the
//! merged activity definitions, attachments and the LRS client keys.
//!
//! The rules (what a valid statement is, when two are the same) live in
//! `cartable_core::xapi`; the order of writes (one writer per node, many
//! requests per transaction) in cartable-web's `xapi::writer`. This module
//! only keeps and finds rows.

use crate::{Db, Result};
use sqlx::any::AnyRow;
// Every SQL text built here is made of constants and `$n` placeholders;
// values are always bound.
use sqlx::{Any, AssertSqlSafe, Row, Transaction};
use std::collections::HashMap;

/// Rows of a multi-row INSERT (and IN lists) are sent in chunks of at most
/// this many bound values: SQLite finds each `$n` by a linear search of
/// the statement's parameter names, so a chunk's cost grows with the square
/// of its size (measured: 14 % of the LRS's CPU at 900).
pub(crate) const MAX_BINDS: usize = 240;

/// A statement ready to be stored: the JSON as it will be served, and the
/// facts the queries filter on.
#[derive(Debug, Clone)]
pub struct NewStatement {
    pub id: String,
    pub stored: i64,
    pub verb: String,
    pub activity: Option<String>,
    pub registration: Option<String>,
    pub voids: Option<String>,
    pub refers_to: Option<String>,
    pub authority: String,
    pub json: String,
    /// (IFI, direct): direct agents are the actor and an agent object.
    pub agents: Vec<(String, bool)>,
    /// (activity id, direct): the direct one is the object activity.
    pub activities: Vec<(String, bool)>,
}

/// A stored statement as the writer needs it to decide on a re-send or a
/// voiding.
#[derive(Debug, Clone)]
pub struct Known {
    pub json: String,
    pub voids: Option<String>,
}

/// A filter of the Statements resource, already checked.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct StatementQuery {
    /// An agent IFI, and whether related agents match too.
    pub agent: Option<(String, bool)>,
    pub verb: Option<String>,
    /// An activity id, and whether related activities match too.
    pub activity: Option<(String, bool)>,
    pub registration: Option<String>,
    /// Stored strictly after (microseconds).
    pub since: Option<i64>,
    /// Stored at or before (microseconds).
    pub until: Option<i64>,
    /// Only statements stored by this authority (statements/read/mine).
    pub authority: Option<String>,
    pub ascending: bool,
    pub limit: u32,
    /// Continue after this seq (the `more` cursor).
    pub after: Option<i64>,
    /// Never past this seq: the newest one when the first page was asked,
    /// so the pages of one query do not shift as statements arrive.
    pub up_to: Option<i64>,
}

/// A stored document of the State, Activity Profile or Agent Profile
/// resource.
#[derive(Debug, Clone)]
pub struct Document {
    pub content_type: String,
    pub blob: String,
    pub etag: String,
    pub updated: i64,
}

/// Where a document lives: the parts a kind does not use are empty.
#[derive(Debug, Clone, Copy)]
pub struct DocKey<'a> {
    pub kind: &'a str,
    pub activity: &'a str,
    pub agent: &'a str,
    pub registration: &'a str,
    pub doc_id: &'a str,
}

/// What a conditional document write asked for.
#[derive(Debug, Clone, Copy)]
pub enum Precondition<'a> {
    None,
    /// If-Match: the stored ETag must be this one.
    Matches(&'a str),
    /// If-None-Match: *: there must be no document yet.
    Absent,
}

/// What is written with a group of statements, in their transaction: the
/// merged activity definitions, and what they add to the projections.
#[derive(Debug, Clone, Default)]
pub struct Extras {
    pub definitions: Vec<(String, String)>,
    pub progress: Vec<ProgressRow>,
    pub indicators: crate::indicators::IndicatorDelta,
}

/// A class of a school in the school's dashboard.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassSummary {
    pub id: String,
    pub name: String,
    pub learners: i64,
    pub active: i64,
}

/// One activity across a school's learners.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivitySummary {
    pub activity: String,
    pub started: i64,
    pub completed: i64,
    /// Unfinished learners by the quarter they reached.
    pub stops: [i64; 4],
}

/// A statement to erase, with the keys of its index rows.
#[derive(Debug, Clone)]
pub struct Doomed {
    pub seq: i64,
    pub agents: Vec<String>,
    pub activities: Vec<String>,
}

/// A platform user's progress in one activity, as the projection keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgressRow {
    pub login: String,
    pub activity: String,
    pub position_ms: Option<i64>,
    /// Per mille.
    pub reached: Option<i64>,
    pub completed: bool,
    pub spent_ms: i64,
    /// When the first and the newest statement folded in were stored
    /// (microseconds).
    pub first_at: i64,
    pub last_at: i64,
}

/// An LRS client key as listed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LrsKey {
    pub key: String,
    pub name: String,
    pub scopes: Vec<String>,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    #[serde(skip)]
    pub secret_digest: String,
}

/// An attachment's bytes as stored.
#[derive(Debug, Clone)]
pub struct Attachment {
    pub sha2: String,
    pub content_type: String,
    pub length: i64,
    pub blob: String,
}

pub(crate) fn placeholders(start: usize, count: usize) -> String {
    let list: Vec<String> = (start..start + count).map(|i| format!("${i}")).collect();
    list.join(", ")
}

impl Db {
    /// The stored statements among `ids`, by id.
    pub async fn known_statements(&self, ids: &[&str]) -> Result<HashMap<String, Known>> {
        let mut found = HashMap::new();
        for chunk in ids.chunks(MAX_BINDS) {
            let sql = format!(
                "SELECT id, statement, voids FROM xapi_statements WHERE id IN ({})",
                placeholders(1, chunk.len())
            );
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for id in chunk {
                query = query.bind(*id);
            }
            for row in query.fetch_all(&self.pool).await? {
                found.insert(
                    row.try_get("id")?,
                    Known {
                        json: row.try_get("statement")?,
                        voids: row.try_get("voids")?,
                    },
                );
            }
        }
        Ok(found)
    }

    /// Stores statements in one transaction: all of them or none. Voiding
    /// statements void their targets, including targets stored before them
    /// and ones that arrive after them (satchels bring records late and in
    /// any order). `definitions` are the merged activity definitions to
    /// keep, already combined with the stored ones.
    pub async fn insert_statements(&self, batch: &[NewStatement], extras: &Extras) -> Result<()> {
        let Extras {
            definitions,
            progress,
            indicators,
        } = extras;
        if batch.is_empty()
            && definitions.is_empty()
            && progress.is_empty()
            && indicators.activity.is_empty()
        {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        if !batch.is_empty() {
            let last: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM xapi_statements")
                .fetch_one(&mut *tx)
                .await?;
            let first = last.unwrap_or(0) + 1;
            insert_rows(&mut tx, batch, first).await?;
            insert_index(&mut tx, batch, first).await?;
            void_targets(&mut tx, batch).await?;
        }
        for (id, definition) in definitions {
            sqlx::query(
                "INSERT INTO xapi_activities (id, definition, updated) VALUES ($1, $2, $3)
                 ON CONFLICT (id) DO UPDATE SET definition = excluded.definition, updated = excluded.updated",
            )
            .bind(id.as_str())
            .bind(definition.as_str())
            .bind(crate::now())
            .execute(&mut *tx)
            .await?;
        }
        fold_progress(&mut tx, progress).await?;
        crate::indicators::add(&mut tx, indicators).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Replaces a projection row with one computed afresh (after a voiding),
    /// or removes it when nothing is left.
    pub async fn replace_progress(
        &self,
        login: &str,
        activity: &str,
        row: Option<&ProgressRow>,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM progress WHERE login = $1 AND activity = $2")
            .bind(login)
            .bind(activity)
            .execute(&mut *tx)
            .await?;
        if let Some(row) = row {
            fold_progress(&mut tx, std::slice::from_ref(row)).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Empties the projection (before it is rebuilt from the statements).
    pub async fn clear_progress(&self) -> Result<()> {
        sqlx::query("DELETE FROM progress")
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The progress of a class's learners in the given activities.
    pub async fn class_progress(
        &self,
        class: &str,
        activities: &[&str],
    ) -> Result<Vec<ProgressRow>> {
        let mut found = Vec::new();
        for chunk in activities.chunks(MAX_BINDS - 1) {
            let sql = format!(
                "SELECT p.login, p.activity, p.position_ms, p.reached, p.completed, p.spent_ms, p.first_at, p.last_at
                 FROM progress p JOIN class_members m ON m.login = p.login
                 WHERE m.class_id = $1 AND m.position = 'learner' AND p.activity IN ({})",
                placeholders(2, chunk.len())
            );
            let mut query = sqlx::query(AssertSqlSafe(sql)).bind(class);
            for a in chunk {
                query = query.bind(*a);
            }
            for row in query.fetch_all(&self.pool).await? {
                found.push(progress_from_row(&row)?);
            }
        }
        Ok(found)
    }

    /// One person's progress in the given activities.
    pub async fn progress_of(&self, login: &str, activities: &[&str]) -> Result<Vec<ProgressRow>> {
        let mut found = Vec::new();
        for chunk in activities.chunks(MAX_BINDS - 1) {
            let sql = format!(
                "SELECT login, activity, position_ms, reached, completed, spent_ms, first_at, last_at
                 FROM progress WHERE login = $1 AND activity IN ({})",
                placeholders(2, chunk.len())
            );
            let mut query = sqlx::query(AssertSqlSafe(sql)).bind(login);
            for a in chunk {
                query = query.bind(*a);
            }
            for row in query.fetch_all(&self.pool).await? {
                found.push(progress_from_row(&row)?);
            }
        }
        Ok(found)
    }

    /// A school's classes with their learners and how many of them were
    /// active on or after `since_day` (YYYY-MM-DD).
    pub async fn school_classes(&self, school: &str, since_day: &str) -> Result<Vec<ClassSummary>> {
        let rows = sqlx::query(
            "SELECT c.id, c.name,
               (SELECT COUNT(*) FROM class_members m WHERE m.class_id = c.id AND m.position = 'learner') AS learners,
               (SELECT COUNT(DISTINCT d.login) FROM learner_days d
                  JOIN class_members m ON m.login = d.login AND m.class_id = c.id AND m.position = 'learner'
                 WHERE d.day >= $2) AS active
             FROM classes c WHERE c.school_id = $1 ORDER BY c.name, c.id",
        )
        .bind(school)
        .bind(since_day)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ClassSummary {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    learners: r.try_get("learners")?,
                    active: r.try_get("active")?,
                })
            })
            .collect()
    }

    /// For a school's learners and the given activities: per class, how
    /// many (learner, activity) pairs were started and finished; per
    /// activity, started, finished and where the unfinished stopped (by
    /// quarter of the reached point).
    pub async fn school_progress(
        &self,
        school: &str,
        activities: &[&str],
    ) -> Result<(Vec<(String, i64, i64)>, Vec<ActivitySummary>)> {
        if activities.is_empty() {
            return Ok((Vec::new(), Vec::new()));
        }
        let list = placeholders(2, activities.len());
        let by_class = format!(
            "SELECT m.class_id AS k, COUNT(*) AS started, CAST(SUM(p.completed) AS BIGINT) AS completed
             FROM progress p JOIN class_members m ON m.login = p.login AND m.position = 'learner'
             JOIN classes c ON c.id = m.class_id
             WHERE c.school_id = $1 AND p.activity IN ({list}) GROUP BY m.class_id"
        );
        let quarter = |q: i64| {
            format!(
                "CAST(SUM(CASE WHEN p.completed = 0 AND COALESCE(p.reached, 0) >= {} AND COALESCE(p.reached, 0) < {} THEN 1 ELSE 0 END) AS BIGINT) AS q{q}",
                q * 250,
                if q == 3 { 100_000 } else { (q + 1) * 250 }
            )
        };
        let by_activity = format!(
            "SELECT p.activity AS k, COUNT(*) AS started, CAST(SUM(p.completed) AS BIGINT) AS completed, {}, {}, {}, {}
             FROM progress p
             WHERE p.activity IN ({list}) AND p.login IN
               (SELECT m.login FROM class_members m JOIN classes c ON c.id = m.class_id
                 WHERE c.school_id = $1 AND m.position = 'learner')
             GROUP BY p.activity",
            quarter(0),
            quarter(1),
            quarter(2),
            quarter(3)
        );
        let bind_all = |sql: String| {
            let mut query = sqlx::query(AssertSqlSafe(sql)).bind(school);
            for a in activities {
                query = query.bind(*a);
            }
            query
        };
        let classes = bind_all(by_class)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                Ok((
                    r.try_get("k")?,
                    r.try_get("started")?,
                    r.try_get("completed")?,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        let per_activity = bind_all(by_activity)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                Ok(ActivitySummary {
                    activity: r.try_get("k")?,
                    started: r.try_get("started")?,
                    completed: r.try_get("completed")?,
                    stops: [
                        r.try_get("q0")?,
                        r.try_get("q1")?,
                        r.try_get("q2")?,
                        r.try_get("q3")?,
                    ],
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((classes, per_activity))
    }

    /// Each learner of a class with the time of their newest record in
    /// any activity (microseconds), None if they have none.
    pub async fn class_last_seen(&self, class: &str) -> Result<Vec<(String, String, Option<i64>)>> {
        let rows = sqlx::query(
            "SELECT u.login, u.name, MAX(p.last_at) AS last_at
             FROM class_members m JOIN users u ON u.login = m.login
             LEFT JOIN progress p ON p.login = m.login
             WHERE m.class_id = $1 AND m.position = 'learner'
             GROUP BY u.login, u.name ORDER BY u.name, u.login",
        )
        .bind(class)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("login")?,
                    r.try_get("name")?,
                    r.try_get("last_at")?,
                ))
            })
            .collect()
    }

    /// Erases a person's learning records: the statements naming them as
    /// actor or object, their State and Agent Profile documents, their
    /// progress, and the marks that counted them once per day and week.
    /// The indicators' counts stay. Returns how many statements went.
    pub async fn erase_records(&self, ifi: &str, login: &str, doomed: &[Doomed]) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        for d in doomed {
            for (table, key, values) in [
                ("xapi_statement_agents", "ifi", &d.agents),
                ("xapi_statement_activities", "activity", &d.activities),
            ] {
                for value in values {
                    sqlx::query(AssertSqlSafe(format!(
                        "DELETE FROM {table} WHERE {key} = $1 AND seq = $2"
                    )))
                    .bind(value.as_str())
                    .bind(d.seq)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            sqlx::query("DELETE FROM xapi_statements WHERE seq = $1")
                .bind(d.seq)
                .execute(&mut *tx)
                .await?;
        }
        let seqs = doomed;
        let erased = seqs.len() as u64;
        sqlx::query("DELETE FROM xapi_documents WHERE agent = $1")
            .bind(ifi)
            .execute(&mut *tx)
            .await?;
        for table in ["progress", "learner_days", "learner_weeks"] {
            sqlx::query(AssertSqlSafe(format!(
                "DELETE FROM {table} WHERE login = $1"
            )))
            .bind(login)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(erased)
    }

    /// The statements naming `ifi` as actor or object: (seq, JSON).
    pub async fn statements_naming(&self, ifi: &str) -> Result<Vec<(i64, String)>> {
        let rows = sqlx::query(
            "SELECT s.seq, s.statement FROM xapi_statement_agents a JOIN xapi_statements s ON s.seq = a.seq
             WHERE a.ifi = $1 AND a.direct = 1",
        )
        .bind(ifi)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("seq")?, r.try_get("statement")?)))
            .collect()
    }

    /// Those of `ids` that a stored voiding statement names.
    pub async fn voided_in_advance(&self, ids: &[&str]) -> Result<Vec<String>> {
        let mut found = Vec::new();
        for chunk in ids.chunks(MAX_BINDS) {
            let sql = format!(
                "SELECT voids FROM xapi_statements WHERE voids IN ({})",
                placeholders(1, chunk.len())
            );
            let mut query = sqlx::query_scalar::<_, String>(AssertSqlSafe(sql));
            for id in chunk {
                query = query.bind(*id);
            }
            found.extend(query.fetch_all(&self.pool).await?);
        }
        Ok(found)
    }

    /// One statement by id, with whether it is voided.
    pub async fn statement(&self, id: &str) -> Result<Option<(String, bool)>> {
        let row = sqlx::query("SELECT statement, voided FROM xapi_statements WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok((r.try_get("statement")?, r.try_get::<i64, _>("voided")? != 0)))
            .transpose()
    }

    /// The newest seq stored, 0 when there is none.
    pub async fn last_statement_seq(&self) -> Result<i64> {
        let last: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM xapi_statements")
            .fetch_one(&self.pool)
            .await?;
        Ok(last.unwrap_or(0))
    }

    /// The statements that match, as (seq, JSON), in the asked order;
    /// voided statements are left out. As xAPI asks, a statement that
    /// refers (by StatementRef) to a matching statement matches too — one
    /// level deep: what refers to a referring statement is not followed.
    pub async fn query_statements(&self, q: &StatementQuery) -> Result<Vec<(i64, String)>> {
        let mut rows = self.run_query(q, false).await?;
        let content_filter = q.agent.is_some()
            || q.activity.is_some()
            || q.verb.is_some()
            || q.registration.is_some();
        if content_filter {
            rows.extend(self.run_query(q, true).await?);
            rows.sort_by_key(|(seq, _)| if q.ascending { *seq } else { -*seq });
            rows.dedup_by_key(|(seq, _)| *seq);
            rows.truncate(q.limit as usize);
        }
        Ok(rows)
    }

    /// One page of the direct matches, or (`referring`) of the statements
    /// whose StatementRef names a direct match.
    async fn run_query(&self, q: &StatementQuery, referring: bool) -> Result<Vec<(i64, String)>> {
        let mut binds: Vec<Bind> = Vec::new();
        let mut next = |value: Bind| {
            binds.push(value);
            format!("${}", binds.len())
        };
        // What the filter says of the matching statements (alias s).
        let mut joins = String::new();
        let mut matching = String::new();
        if let Some((ifi, related)) = &q.agent {
            let p = next(Bind::Text(ifi.clone()));
            let direct = if *related { "" } else { " AND a.direct = 1" };
            joins.push_str(&format!(
                " JOIN xapi_statement_agents a ON a.seq = s.seq AND a.ifi = {p}{direct}"
            ));
        }
        if let Some((activity, related)) = &q.activity {
            let p = next(Bind::Text(activity.clone()));
            let direct = if *related { "" } else { " AND t.direct = 1" };
            joins.push_str(&format!(
                " JOIN xapi_statement_activities t ON t.seq = s.seq AND t.activity = {p}{direct}"
            ));
        }
        if let Some(verb) = &q.verb {
            matching.push_str(&format!(" AND s.verb = {}", next(Bind::Text(verb.clone()))));
        }
        if let Some(registration) = &q.registration {
            matching.push_str(&format!(
                " AND s.registration = {}",
                next(Bind::Text(registration.clone()))
            ));
        }
        // What is asked of the statements returned (alias r).
        let mut returned = String::from(" AND r.voided = 0");
        if let Some(since) = q.since {
            returned.push_str(&format!(" AND r.stored > {}", next(Bind::Int(since))));
        }
        if let Some(until) = q.until {
            returned.push_str(&format!(" AND r.stored <= {}", next(Bind::Int(until))));
        }
        if let Some(authority) = &q.authority {
            returned.push_str(&format!(
                " AND r.authority = {}",
                next(Bind::Text(authority.clone()))
            ));
        }
        // Paging is on seq; {seq} is the column that drives the scan.
        let mut paging = String::new();
        if let Some(after) = q.after {
            let op = if q.ascending { ">" } else { "<" };
            paging.push_str(&format!(" AND {{seq}} {op} {}", next(Bind::Int(after))));
        }
        if let Some(up_to) = q.up_to {
            paging.push_str(&format!(" AND {{seq}} <= {}", next(Bind::Int(up_to))));
        }
        let order = if q.ascending { "ASC" } else { "DESC" };
        let limit = next(Bind::Int(i64::from(q.limit)));
        let sql = if referring {
            // Driven by the few statements that refer to another (a
            // partial index holds only them), each joined to its target;
            // never by the matches, of which there may be thousands.
            let paging = paging.replace("{seq}", "r.seq");
            format!(
                "SELECT r.seq, r.statement FROM xapi_statements r
                 JOIN xapi_statements s ON s.id = r.refers_to{joins}
                 WHERE r.refers_to IS NOT NULL{matching}{returned}{paging} ORDER BY r.seq {order} LIMIT {limit}"
            )
        } else {
            // One alias for both roles: the returned statement is the
            // match. With an agent or activity filter, the index table's
            // own seq orders and bounds the scan, so SQLite walks its
            // primary key in order and stops at the limit instead of
            // sorting every match.
            let driver = if q.agent.is_some() {
                "a.seq"
            } else if q.activity.is_some() {
                "t.seq"
            } else {
                "r.seq"
            };
            let paging = paging.replace("{seq}", driver);
            format!(
                "SELECT r.seq, r.statement FROM xapi_statements r{} WHERE 1 = 1{}{returned}{paging} ORDER BY {driver} {order} LIMIT {limit}",
                joins.replace("s.seq", "r.seq"),
                matching.replace("s.", "r."),
            )
        };
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for bind in binds {
            query = match bind {
                Bind::Text(t) => query.bind(t),
                Bind::Int(i) => query.bind(i),
            };
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| Ok((r.try_get("seq")?, r.try_get("statement")?)))
            .collect()
    }

    /// The most recent statement naming `ifi` as actor or object, for the
    /// Agents resource's name.
    pub async fn latest_statement_of(&self, ifi: &str) -> Result<Option<String>> {
        let row = sqlx::query(
            "SELECT s.statement FROM xapi_statement_agents a JOIN xapi_statements s ON s.seq = a.seq
             WHERE a.ifi = $1 AND a.direct = 1 ORDER BY a.seq DESC LIMIT 1",
        )
        .bind(ifi)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| r.try_get("statement").map_err(Into::into))
            .transpose()
    }

    /// An activity's merged definition (JSON), if any statement gave one.
    pub async fn activity_definitions(&self, ids: &[&str]) -> Result<HashMap<String, String>> {
        let mut found = HashMap::new();
        for chunk in ids.chunks(MAX_BINDS) {
            let sql = format!(
                "SELECT id, definition FROM xapi_activities WHERE id IN ({})",
                placeholders(1, chunk.len())
            );
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for id in chunk {
                query = query.bind(*id);
            }
            for row in query.fetch_all(&self.pool).await? {
                found.insert(row.try_get("id")?, row.try_get("definition")?);
            }
        }
        Ok(found)
    }

    pub async fn put_attachment(&self, a: &Attachment) -> Result<()> {
        sqlx::query(
            "INSERT INTO xapi_attachments (sha2, content_type, length, blob) VALUES ($1, $2, $3, $4)
             ON CONFLICT (sha2) DO NOTHING",
        )
        .bind(a.sha2.as_str())
        .bind(a.content_type.as_str())
        .bind(a.length)
        .bind(a.blob.as_str())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn attachments(&self, sha2s: &[&str]) -> Result<Vec<Attachment>> {
        let mut found = Vec::new();
        for chunk in sha2s.chunks(MAX_BINDS) {
            let sql = format!(
                "SELECT sha2, content_type, length, blob FROM xapi_attachments WHERE sha2 IN ({})",
                placeholders(1, chunk.len())
            );
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for s in chunk {
                query = query.bind(*s);
            }
            for row in query.fetch_all(&self.pool).await? {
                found.push(Attachment {
                    sha2: row.try_get("sha2")?,
                    content_type: row.try_get("content_type")?,
                    length: row.try_get("length")?,
                    blob: row.try_get("blob")?,
                });
            }
        }
        Ok(found)
    }

    pub async fn document(&self, key: DocKey<'_>) -> Result<Option<Document>> {
        let row = sqlx::query(
            "SELECT content_type, blob, etag, updated FROM xapi_documents
             WHERE kind = $1 AND activity = $2 AND agent = $3 AND registration = $4 AND doc_id = $5",
        )
        .bind(key.kind)
        .bind(key.activity)
        .bind(key.agent)
        .bind(key.registration)
        .bind(key.doc_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| document_from_row(&r)).transpose()
    }

    /// Writes a document if the precondition holds; false when it does not
    /// (the caller answers 412).
    pub async fn put_document(
        &self,
        key: DocKey<'_>,
        doc: &Document,
        pre: Precondition<'_>,
    ) -> Result<bool> {
        let (sql, etag) = match pre {
            Precondition::Matches(etag) => (
                "UPDATE xapi_documents SET content_type = $6, blob = $7, etag = $8, updated = $9
                 WHERE kind = $1 AND activity = $2 AND agent = $3 AND registration = $4 AND doc_id = $5 AND etag = $10",
                Some(etag),
            ),
            Precondition::Absent => (
                "INSERT INTO xapi_documents (kind, activity, agent, registration, doc_id, content_type, blob, etag, updated)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
                None,
            ),
            Precondition::None => (
                "INSERT INTO xapi_documents (kind, activity, agent, registration, doc_id, content_type, blob, etag, updated)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                 ON CONFLICT (kind, activity, agent, registration, doc_id) DO UPDATE SET
                 content_type = excluded.content_type, blob = excluded.blob, etag = excluded.etag, updated = excluded.updated",
                None,
            ),
        };
        let mut query = sqlx::query(sql)
            .bind(key.kind)
            .bind(key.activity)
            .bind(key.agent)
            .bind(key.registration)
            .bind(key.doc_id)
            .bind(doc.content_type.as_str())
            .bind(doc.blob.as_str())
            .bind(doc.etag.as_str())
            .bind(doc.updated);
        if let Some(etag) = etag {
            query = query.bind(etag);
        }
        Ok(query.execute(&self.pool).await?.rows_affected() == 1)
    }

    /// Deletes one document; with an `etag`, only if it still matches.
    /// Returns whether one was deleted.
    pub async fn delete_document(&self, key: DocKey<'_>, etag: Option<&str>) -> Result<bool> {
        let mut sql = String::from(
            "DELETE FROM xapi_documents WHERE kind = $1 AND activity = $2 AND agent = $3 AND registration = $4 AND doc_id = $5",
        );
        if etag.is_some() {
            sql.push_str(" AND etag = $6");
        }
        let mut query = sqlx::query(AssertSqlSafe(sql))
            .bind(key.kind)
            .bind(key.activity)
            .bind(key.agent)
            .bind(key.registration)
            .bind(key.doc_id);
        if let Some(etag) = etag {
            query = query.bind(etag);
        }
        Ok(query.execute(&self.pool).await?.rows_affected() > 0)
    }

    /// Deletes every document of a kind for an activity, agent and
    /// registration (the State resource's DELETE without a stateId).
    pub async fn delete_documents(
        &self,
        kind: &str,
        activity: &str,
        agent: &str,
        registration: &str,
    ) -> Result<u64> {
        let done = sqlx::query(
            "DELETE FROM xapi_documents WHERE kind = $1 AND activity = $2 AND agent = $3 AND registration = $4",
        )
        .bind(kind)
        .bind(activity)
        .bind(agent)
        .bind(registration)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// The ids of the documents of a kind, optionally only those updated
    /// after `since` (microseconds).
    pub async fn document_ids(
        &self,
        kind: &str,
        activity: &str,
        agent: &str,
        registration: &str,
        since: Option<i64>,
    ) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT doc_id FROM xapi_documents WHERE kind = $1 AND activity = $2 AND agent = $3 AND registration = $4
             AND updated > $5 ORDER BY doc_id",
        )
        .bind(kind)
        .bind(activity)
        .bind(agent)
        .bind(registration)
        .bind(since.unwrap_or(i64::MIN))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| r.try_get("doc_id").map_err(Into::into))
            .collect()
    }

    pub async fn add_lrs_key(&self, key: &LrsKey) -> Result<()> {
        sqlx::query(
            "INSERT INTO lrs_keys (key, secret_digest, name, scopes, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(key.key.as_str())
        .bind(key.secret_digest.as_str())
        .bind(key.name.as_str())
        .bind(key.scopes.join(" "))
        .bind(key.created_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn lrs_key(&self, key: &str) -> Result<Option<LrsKey>> {
        let row = sqlx::query(
            "SELECT key, secret_digest, name, scopes, created_at, revoked_at FROM lrs_keys WHERE key = $1",
        )
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| key_from_row(&r)).transpose()
    }

    pub async fn lrs_keys(&self) -> Result<Vec<LrsKey>> {
        let rows = sqlx::query(
            "SELECT key, secret_digest, name, scopes, created_at, revoked_at FROM lrs_keys ORDER BY created_at, key",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(key_from_row).collect()
    }

    /// Revokes a key; false when there is no such key still valid.
    pub async fn revoke_lrs_key(&self, key: &str) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE lrs_keys SET revoked_at = $2 WHERE key = $1 AND revoked_at IS NULL",
        )
        .bind(key)
        .bind(crate::now())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}

enum Bind {
    Text(String),
    Int(i64),
}

fn document_from_row(r: &AnyRow) -> Result<Document> {
    Ok(Document {
        content_type: r.try_get("content_type")?,
        blob: r.try_get("blob")?,
        etag: r.try_get("etag")?,
        updated: r.try_get("updated")?,
    })
}

fn key_from_row(r: &AnyRow) -> Result<LrsKey> {
    let scopes: String = r.try_get("scopes")?;
    Ok(LrsKey {
        key: r.try_get("key")?,
        secret_digest: r.try_get("secret_digest")?,
        name: r.try_get("name")?,
        scopes: scopes.split_whitespace().map(str::to_owned).collect(),
        created_at: r.try_get("created_at")?,
        revoked_at: r.try_get("revoked_at")?,
    })
}

async fn insert_rows(
    tx: &mut Transaction<'_, Any>,
    batch: &[NewStatement],
    first: i64,
) -> Result<()> {
    const COLUMNS: usize = 11;
    let mut seq = first;
    for chunk in batch.chunks(MAX_BINDS / COLUMNS) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| format!("({})", placeholders(i * COLUMNS + 1, COLUMNS)))
            .collect();
        let sql = format!(
            "INSERT INTO xapi_statements (seq, id, stored, verb, activity, registration, voids, refers_to, voided, authority, statement) VALUES {}",
            rows.join(", ")
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for s in chunk {
            query = query
                .bind(seq)
                .bind(s.id.as_str())
                .bind(s.stored)
                .bind(s.verb.as_str())
                .bind(s.activity.as_deref())
                .bind(s.registration.as_deref())
                .bind(s.voids.as_deref())
                .bind(s.refers_to.as_deref())
                .bind(0_i64)
                .bind(s.authority.as_str())
                .bind(s.json.as_str());
            seq += 1;
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

async fn insert_index(
    tx: &mut Transaction<'_, Any>,
    batch: &[NewStatement],
    first: i64,
) -> Result<()> {
    let mut agents = Vec::new();
    let mut activities = Vec::new();
    for (seq, s) in (first..).zip(batch) {
        agents.extend(
            s.agents
                .iter()
                .map(|(ifi, direct)| (ifi.as_str(), seq, *direct)),
        );
        activities.extend(
            s.activities
                .iter()
                .map(|(id, direct)| (id.as_str(), seq, *direct)),
        );
    }
    for (table, key, rows) in [
        ("xapi_statement_agents", "ifi", agents),
        ("xapi_statement_activities", "activity", activities),
    ] {
        for chunk in rows.chunks(MAX_BINDS / 3) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| format!("({})", placeholders(i * 3 + 1, 3)))
                .collect();
            let sql = format!(
                "INSERT INTO {table} ({key}, seq, direct) VALUES {}",
                values.join(", ")
            );
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for (value, seq, direct) in chunk {
                query = query.bind(*value).bind(*seq).bind(i64::from(*direct));
            }
            query.execute(&mut **tx).await?;
        }
    }
    Ok(())
}

/// Marks voided: the targets of the new voiding statements, and the new
/// statements that an earlier voiding statement named.
async fn void_targets(tx: &mut Transaction<'_, Any>, batch: &[NewStatement]) -> Result<()> {
    let targets: Vec<&str> = batch.iter().filter_map(|s| s.voids.as_deref()).collect();
    for chunk in targets.chunks(MAX_BINDS) {
        let sql = format!(
            "UPDATE xapi_statements SET voided = 1 WHERE voids IS NULL AND id IN ({})",
            placeholders(1, chunk.len())
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for id in chunk {
            query = query.bind(*id);
        }
        query.execute(&mut **tx).await?;
    }
    let plain: Vec<&str> = batch
        .iter()
        .filter(|s| s.voids.is_none())
        .map(|s| s.id.as_str())
        .collect();
    for chunk in plain.chunks(MAX_BINDS) {
        let sql = format!(
            "UPDATE xapi_statements SET voided = 1 WHERE id IN ({}) AND EXISTS (SELECT 1 FROM xapi_statements v WHERE v.voids = xapi_statements.id)",
            placeholders(1, chunk.len())
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for id in chunk {
            query = query.bind(*id);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

fn progress_from_row(r: &AnyRow) -> Result<ProgressRow> {
    Ok(ProgressRow {
        login: r.try_get("login")?,
        activity: r.try_get("activity")?,
        position_ms: r.try_get("position_ms")?,
        reached: r.try_get("reached")?,
        completed: r.try_get::<i64, _>("completed")? != 0,
        spent_ms: r.try_get("spent_ms")?,
        first_at: r.try_get("first_at")?,
        last_at: r.try_get("last_at")?,
    })
}

/// Folds newer progress into the stored row: the newer position wins, the
/// furthest point, completion and time spent add up.
async fn fold_progress(tx: &mut Transaction<'_, Any>, rows: &[ProgressRow]) -> Result<()> {
    const COLUMNS: usize = 8;
    for chunk in rows.chunks(MAX_BINDS / COLUMNS) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| format!("({})", placeholders(i * COLUMNS + 1, COLUMNS)))
            .collect();
        let sql = format!(
            "INSERT INTO progress (login, activity, position_ms, reached, completed, spent_ms, first_at, last_at)
             VALUES {}
             ON CONFLICT (login, activity) DO UPDATE SET
               position_ms = COALESCE(excluded.position_ms, progress.position_ms),
               reached = CASE WHEN progress.reached IS NULL OR excluded.reached > progress.reached
                              THEN COALESCE(excluded.reached, progress.reached) ELSE progress.reached END,
               completed = CASE WHEN excluded.completed = 1 THEN 1 ELSE progress.completed END,
               spent_ms = progress.spent_ms + excluded.spent_ms,
               last_at = excluded.last_at",
            values.join(", ")
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for row in chunk {
            query = query
                .bind(row.login.as_str())
                .bind(row.activity.as_str())
                .bind(row.position_ms)
                .bind(row.reached)
                .bind(i64::from(row.completed))
                .bind(row.spent_ms)
                .bind(row.first_at)
                .bind(row.last_at);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}
