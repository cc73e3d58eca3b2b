//! The SQL of courses: the courses, enrolments, readings marked as read,
//! and certificates.

use crate::{Db, Result, StoreError, now};
use cartable_core::course::CourseSpec;
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, Serialize)]
pub struct Course {
    pub id: String,
    pub spec: CourseSpec,
}

#[derive(Debug, Clone, Serialize)]
pub struct Certificate {
    pub code: String,
    pub course_id: String,
    pub login: String,
    pub name: String,
    pub title: String,
    pub issued_at: i64,
}

fn course_from(row: &AnyRow) -> Result<Course> {
    let spec: String = row.try_get("spec")?;
    Ok(Course {
        id: row.try_get("id")?,
        spec: serde_json::from_str(&spec)
            .map_err(|e| StoreError::Corrupt(format!("course spec: {e}")))?,
    })
}

fn certificate_from(row: &AnyRow) -> Result<Certificate> {
    Ok(Certificate {
        code: row.try_get("code")?,
        course_id: row.try_get("course_id")?,
        login: row.try_get("login")?,
        name: row.try_get("name")?,
        title: row.try_get("title")?,
        issued_at: row.try_get("issued_at")?,
    })
}

const CERTIFICATE_COLUMNS: &str = "code, course_id, login, name, title, issued_at";

impl Db {
    /// Makes the course, or sets it again.
    pub async fn put_course(&self, id: &str, spec: &CourseSpec, by: &str) -> Result<()> {
        let json = serde_json::to_string(spec)
            .map_err(|e| StoreError::Corrupt(format!("course spec: {e}")))?;
        sqlx::query(
            "INSERT INTO courses (id, spec, created_by, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id) DO UPDATE SET spec = excluded.spec",
        )
        .bind(id)
        .bind(json)
        .bind(by)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn course(&self, id: &str) -> Result<Option<Course>> {
        let row = sqlx::query("SELECT id, spec FROM courses WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(course_from).transpose()
    }

    pub async fn courses(&self) -> Result<Vec<Course>> {
        let rows = sqlx::query("SELECT id, spec FROM courses ORDER BY created_at, id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(course_from).collect()
    }

    pub async fn enrol_in_course(&self, course: &str, login: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO course_enrolments (course_id, login, at) VALUES ($1, $2, $3)
             ON CONFLICT (course_id, login) DO NOTHING",
        )
        .bind(course)
        .bind(login)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn enrolled_in_course(&self, course: &str, login: &str) -> Result<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM course_enrolments WHERE course_id = $1 AND login = $2",
        )
        .bind(course)
        .bind(login)
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }

    pub async fn mark_read(&self, course: &str, login: &str, module: i64, item: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO course_readings (course_id, login, module, item, at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (course_id, login, module, item) DO NOTHING",
        )
        .bind(course)
        .bind(login)
        .bind(module)
        .bind(item)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The (module, item) positions of the readings a learner marked read.
    pub async fn readings_done(&self, course: &str, login: &str) -> Result<Vec<(i64, i64)>> {
        let rows = sqlx::query(
            "SELECT module, item FROM course_readings WHERE course_id = $1 AND login = $2",
        )
        .bind(course)
        .bind(login)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("module")?, r.try_get("item")?)))
            .collect()
    }

    /// Issues the learner's certificate for the course, or gives the one
    /// issued before.
    pub async fn issue_certificate(&self, c: &Certificate) -> Result<Certificate> {
        sqlx::query(
            "INSERT INTO course_certificates (code, course_id, login, name, title, issued_at)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (course_id, login) DO NOTHING",
        )
        .bind(&c.code)
        .bind(&c.course_id)
        .bind(&c.login)
        .bind(&c.name)
        .bind(&c.title)
        .bind(c.issued_at)
        .execute(&self.pool)
        .await?;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {CERTIFICATE_COLUMNS} FROM course_certificates WHERE course_id = $1 AND login = $2"
        )))
        .bind(&c.course_id)
        .bind(&c.login)
        .fetch_one(&self.pool)
        .await?;
        certificate_from(&row)
    }

    pub async fn certificate_of(&self, course: &str, login: &str) -> Result<Option<Certificate>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {CERTIFICATE_COLUMNS} FROM course_certificates WHERE course_id = $1 AND login = $2"
        )))
        .bind(course)
        .bind(login)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(certificate_from).transpose()
    }

    pub async fn certificate(&self, code: &str) -> Result<Option<Certificate>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {CERTIFICATE_COLUMNS} FROM course_certificates WHERE code = $1"
        )))
        .bind(code)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(certificate_from).transpose()
    }
}
