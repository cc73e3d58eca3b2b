//! Assignments' SQL: what a teacher asked a class to watch, by when.
//! Whether a learner did it is read from the progress projection, never
//! stored here.

use crate::{Db, Result, now};
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

/// An assignment: a programme (all of its capsules, in order) or a list of
/// capsules, due on a day.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Assignment {
    pub id: String,
    pub class_id: String,
    pub programme: Option<String>,
    /// The capsules asked for, in order (for a programme: its capsules
    /// when the assignment was made).
    pub capsules: Vec<String>,
    pub due: String,
    pub created_by: String,
}

fn from_row(r: &AnyRow) -> Result<Assignment> {
    let capsules: String = r.try_get("capsules")?;
    Ok(Assignment {
        id: r.try_get("id")?,
        class_id: r.try_get("class_id")?,
        programme: r.try_get("programme")?,
        capsules: serde_json::from_str(&capsules)
            .map_err(|e| crate::StoreError::Corrupt(format!("assignment capsules: {e}")))?,
        due: r.try_get("due")?,
        created_by: r.try_get("created_by")?,
    })
}

const COLUMNS: &str = "id, class_id, programme, capsules, due, created_by";

impl Db {
    pub async fn add_assignment(&self, a: &Assignment) -> Result<()> {
        let capsules = serde_json::to_string(&a.capsules)
            .map_err(|e| crate::StoreError::Corrupt(e.to_string()))?;
        sqlx::query(
            "INSERT INTO assignments (id, class_id, programme, capsules, due, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(a.id.as_str())
        .bind(a.class_id.as_str())
        .bind(a.programme.as_deref())
        .bind(capsules)
        .bind(a.due.as_str())
        .bind(a.created_by.as_str())
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A class's assignments, soonest due first.
    pub async fn class_assignments(&self, class: &str) -> Result<Vec<Assignment>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM assignments WHERE class_id = $1 ORDER BY due, id"
        )))
        .bind(class)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// The assignments of every class a learner is enrolled in, soonest
    /// due first.
    pub async fn learner_assignments(&self, login: &str) -> Result<Vec<Assignment>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM assignments WHERE class_id IN
               (SELECT class_id FROM class_members WHERE login = $1 AND position = 'learner')
             ORDER BY due, id"
        )))
        .bind(login)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// Removes an assignment of a class; false when there is none.
    pub async fn remove_assignment(&self, class: &str, id: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM assignments WHERE class_id = $1 AND id = $2")
            .bind(class)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}
