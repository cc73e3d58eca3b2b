//! The city indicators' SQL: counts of learning activity per day, school,
//! capsule, channel, device and rendition, and distinct active learners per
//! day and week. The writer adds to them in the statements' transaction
//! ([`add`]); the indicator pages only read sums. No query here returns a
//! learner.

use crate::records::{MAX_BINDS, placeholders};
use crate::{Db, Result};
use sqlx::{Any, AssertSqlSafe, Row, Transaction};
use std::collections::HashMap;

/// Counts to add for one key of `daily_activity`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActivityCount {
    pub day: String,
    pub school: String,
    pub capsule: String,
    pub channel: String,
    pub device: String,
    pub quality: String,
    pub records: i64,
    pub starts: i64,
    pub completions: i64,
    pub seconds: i64,
}

/// A learner active on a day (and so in its week), to count once.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LearnerSeen {
    pub login: String,
    pub day: String,
    pub week: String,
    pub school: String,
}

/// What a group of statements adds to the indicators.
#[derive(Debug, Clone, Default)]
pub struct IndicatorDelta {
    pub activity: Vec<ActivityCount>,
    pub seen: Vec<LearnerSeen>,
}

/// A school's reach over a period.
#[derive(Debug, Clone, PartialEq)]
pub struct SchoolReach {
    pub id: String,
    pub name: String,
    pub district: String,
    pub enrolled: i64,
    pub active: i64,
}

/// Sums over a period, by one dimension of `daily_activity`.
#[derive(Debug, Clone, PartialEq)]
pub struct Sums {
    pub key: String,
    pub records: i64,
    pub starts: i64,
    pub completions: i64,
    pub seconds: i64,
}

/// A dimension of `daily_activity` to sum by.
#[derive(Debug, Clone, Copy)]
pub enum By {
    Capsule,
    Channel,
    Device,
    Quality,
}

impl By {
    fn column(self) -> &'static str {
        match self {
            By::Capsule => "capsule",
            By::Channel => "channel",
            By::Device => "device",
            By::Quality => "quality",
        }
    }
}

/// Adds a group's counts, in the caller's transaction: a few multi-row
/// statements, whatever the number of statements in the group.
pub(crate) async fn add(tx: &mut Transaction<'_, Any>, delta: &IndicatorDelta) -> Result<()> {
    const COLUMNS: usize = 10;
    for chunk in delta.activity.chunks(MAX_BINDS / COLUMNS) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| format!("({})", placeholders(i * COLUMNS + 1, COLUMNS)))
            .collect();
        let mut query = sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO daily_activity (day, school, capsule, channel, device, quality, records, starts, completions, seconds)
             VALUES {}
             ON CONFLICT (day, school, capsule, channel, device, quality) DO UPDATE SET
               records = daily_activity.records + excluded.records,
               starts = daily_activity.starts + excluded.starts,
               completions = daily_activity.completions + excluded.completions,
               seconds = daily_activity.seconds + excluded.seconds",
            values.join(", ")
        )));
        for a in chunk {
            query = query
                .bind(a.day.as_str())
                .bind(a.school.as_str())
                .bind(a.capsule.as_str())
                .bind(a.channel.as_str())
                .bind(a.device.as_str())
                .bind(a.quality.as_str())
                .bind(a.records)
                .bind(a.starts)
                .bind(a.completions)
                .bind(a.seconds);
        }
        query.execute(&mut **tx).await?;
    }
    for (seen_table, count_table, column) in [
        ("learner_days", "daily_learners", "day"),
        ("learner_weeks", "weekly_learners", "week"),
    ] {
        let pairs: Vec<(&str, &str, &str)> = delta
            .seen
            .iter()
            .map(|s| {
                let when = if column == "day" { &s.day } else { &s.week };
                (s.login.as_str(), when.as_str(), s.school.as_str())
            })
            .collect();
        let mut counts: HashMap<(String, String), i64> = HashMap::new();
        for chunk in pairs.chunks(MAX_BINDS / 2) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| format!("({})", placeholders(i * 2 + 1, 2)))
                .collect();
            // RETURNING gives the pairs not seen before: the learners to
            // count once more (SQLite 3.35+ and PostgreSQL).
            let mut query = sqlx::query(AssertSqlSafe(format!(
                "INSERT INTO {seen_table} (login, {column}) VALUES {} ON CONFLICT DO NOTHING RETURNING login, {column}",
                values.join(", ")
            )));
            for (login, when, _) in chunk {
                query = query.bind(*login).bind(*when);
            }
            let school_of: HashMap<(&str, &str), &str> =
                chunk.iter().map(|(l, w, s)| ((*l, *w), *s)).collect();
            for row in query.fetch_all(&mut **tx).await? {
                let login: String = row.try_get(0)?;
                let when: String = row.try_get(1)?;
                let school = school_of
                    .get(&(login.as_str(), when.as_str()))
                    .copied()
                    .unwrap_or("");
                *counts.entry((when, school.to_owned())).or_default() += 1;
            }
        }
        let mut counts: Vec<((String, String), i64)> = counts.into_iter().collect();
        counts.sort();
        for chunk in counts.chunks(MAX_BINDS / 3) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| format!("({})", placeholders(i * 3 + 1, 3)))
                .collect();
            let mut query = sqlx::query(AssertSqlSafe(format!(
                "INSERT INTO {count_table} ({column}, school, learners) VALUES {}
                 ON CONFLICT ({column}, school) DO UPDATE SET learners = {count_table}.learners + excluded.learners",
                values.join(", ")
            )));
            for ((when, school), n) in chunk {
                query = query.bind(when.as_str()).bind(school.as_str()).bind(*n);
            }
            query.execute(&mut **tx).await?;
        }
    }
    Ok(())
}

impl Db {
    /// The school of each of these learners (the first, by id, of the
    /// classes they are enrolled in); learners in no class are left out.
    pub async fn schools_of(&self, logins: &[&str]) -> Result<HashMap<String, String>> {
        let mut found = HashMap::new();
        for chunk in logins.chunks(900) {
            let list: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT m.login, MIN(c.school_id) AS school FROM class_members m JOIN classes c ON c.id = m.class_id
                 WHERE m.position = 'learner' AND m.login IN ({}) GROUP BY m.login",
                list.join(", ")
            );
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for l in chunk {
                query = query.bind(*l);
            }
            for row in query.fetch_all(&self.pool).await? {
                found.insert(row.try_get("login")?, row.try_get("school")?);
            }
        }
        Ok(found)
    }

    /// Distinct active learners on each day of [from, to] that had any.
    pub async fn active_per_day(&self, from: &str, to: &str) -> Result<Vec<(String, i64)>> {
        self.learner_counts("daily_learners", "day", from, to).await
    }

    /// Distinct active learners in each ISO week of [from, to] that had any.
    pub async fn active_per_week(&self, from: &str, to: &str) -> Result<Vec<(String, i64)>> {
        self.learner_counts("weekly_learners", "week", from, to)
            .await
    }

    async fn learner_counts(
        &self,
        table: &str,
        column: &str,
        from: &str,
        to: &str,
    ) -> Result<Vec<(String, i64)>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {column} AS k, CAST(SUM(learners) AS BIGINT) AS n FROM {table} WHERE {column} >= $1 AND {column} <= $2
             GROUP BY {column} ORDER BY {column}"
        )))
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("k")?, r.try_get("n")?)))
            .collect()
    }

    /// Activity over [from, to] summed by one dimension, largest first.
    pub async fn activity_by(&self, by: By, from: &str, to: &str) -> Result<Vec<Sums>> {
        let column = by.column();
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {column} AS k, CAST(SUM(records) AS BIGINT) AS records, CAST(SUM(starts) AS BIGINT) AS starts,
                    CAST(SUM(completions) AS BIGINT) AS completions, CAST(SUM(seconds) AS BIGINT) AS seconds
             FROM daily_activity WHERE day >= $1 AND day <= $2
             GROUP BY {column} ORDER BY SUM(records) DESC, {column}"
        )))
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(sums_from_row).collect()
    }

    /// Seconds watched per capsule and rendition over [from, to].
    pub async fn seconds_by_capsule_quality(
        &self,
        from: &str,
        to: &str,
    ) -> Result<Vec<(String, String, i64)>> {
        let rows = sqlx::query(
            "SELECT capsule, quality, CAST(SUM(seconds) AS BIGINT) AS seconds FROM daily_activity
             WHERE day >= $1 AND day <= $2 AND capsule <> '' GROUP BY capsule, quality",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("capsule")?,
                    r.try_get("quality")?,
                    r.try_get("seconds")?,
                ))
            })
            .collect()
    }

    /// Each school with its enrolled learners and how many of them were
    /// active over [from, to].
    pub async fn reach_by_school(&self, from: &str, to: &str) -> Result<Vec<SchoolReach>> {
        let rows = sqlx::query(
            "SELECT s.id, s.name, s.district,
                    (SELECT COUNT(DISTINCT m.login) FROM class_members m JOIN classes c ON c.id = m.class_id
                      WHERE c.school_id = s.id AND m.position = 'learner') AS enrolled,
                    (SELECT COUNT(DISTINCT d.login) FROM learner_days d
                      JOIN class_members m ON m.login = d.login AND m.position = 'learner'
                      JOIN classes c ON c.id = m.class_id
                      WHERE c.school_id = s.id AND d.day >= $1 AND d.day <= $2) AS active
             FROM schools s ORDER BY s.district, s.name, s.id",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SchoolReach {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    district: r.try_get("district")?,
                    enrolled: r.try_get("enrolled")?,
                    active: r.try_get("active")?,
                })
            })
            .collect()
    }
}

impl Db {
    /// Every capsule's level and subject, to group the indicators by.
    pub async fn capsule_places(&self) -> Result<Vec<(String, String, String)>> {
        let rows = sqlx::query("SELECT id, level, subject FROM capsules")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("level")?, r.try_get("subject")?)))
            .collect()
    }

    /// (programme, capsule) for every capsule placed in a programme.
    pub async fn programme_members(&self) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query("SELECT programme_id, capsule_id FROM programme_capsules")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("programme_id")?, r.try_get("capsule_id")?)))
            .collect()
    }
}

fn sums_from_row(r: &sqlx::any::AnyRow) -> Result<Sums> {
    Ok(Sums {
        key: r.try_get("k")?,
        records: r.try_get("records")?,
        starts: r.try_get("starts")?,
        completions: r.try_get("completions")?,
        seconds: r.try_get("seconds")?,
    })
}
