//! The SQL of question banks, quizzes and attempts.
//!
//! Starting an attempt is one insert (the paper drawn, the deadline).
//! Saving an answer takes only its own attempt's row, so learners never
//! wait on one another; the same row lock orders an answer against the
//! attempt's end, so an answer the server acknowledged is always counted.

use crate::{Db, Result, StoreError, now};
use cartable_core::quiz::Question;
use cartable_core::quiz::paper::QuizSpec;
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::HashMap;

/// A question's credit is stored in thousandths.
pub const CREDIT_SCALE: f64 = 1000.0;

#[derive(Debug, Clone, Serialize)]
pub struct Bank {
    pub id: String,
    pub title: String,
    pub questions: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct StoredQuiz {
    pub id: String,
    pub spec: QuizSpec,
    pub created_by: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Attempt {
    pub id: String,
    pub quiz_id: String,
    pub login: String,
    pub number: i64,
    pub paper: Vec<String>,
    pub started_at: i64,
    pub deadline: Option<i64>,
    pub finished_at: Option<i64>,
    /// Thousandths of a question, once finished.
    pub credit: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SavedAnswer {
    pub slot: i64,
    /// core::quiz::Answer as JSON.
    pub answer: String,
    pub credit: i64,
    pub saved_at: i64,
}

/// What became of an answer sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saved {
    Stored,
    /// The attempt is over: finished, or past its deadline.
    Closed,
    /// Instant feedback makes a first answer final; this one was not kept.
    AlreadyAnswered,
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

fn attempt_from(row: &AnyRow) -> Result<Attempt> {
    let paper: String = row.try_get("paper")?;
    Ok(Attempt {
        id: row.try_get("id")?,
        quiz_id: row.try_get("quiz_id")?,
        login: row.try_get("login")?,
        number: row.try_get("number")?,
        paper: serde_json::from_str(&paper).map_err(|e| corrupt("attempt paper", e))?,
        started_at: row.try_get("started_at")?,
        deadline: row.try_get("deadline")?,
        finished_at: row.try_get("finished_at")?,
        credit: row.try_get("credit")?,
    })
}

fn quiz_from(row: &AnyRow) -> Result<StoredQuiz> {
    let spec: String = row.try_get("spec")?;
    Ok(StoredQuiz {
        id: row.try_get("id")?,
        spec: serde_json::from_str(&spec).map_err(|e| corrupt("quiz spec", e))?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
    })
}

const ATTEMPT_COLUMNS: &str =
    "id, quiz_id, login, number, paper, started_at, deadline, finished_at, credit";

impl Db {
    /// Makes the bank, or renames it.
    pub async fn put_bank(&self, id: &str, title: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO question_banks (id, title, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (id) DO UPDATE SET title = excluded.title",
        )
        .bind(id)
        .bind(title)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn banks(&self) -> Result<Vec<Bank>> {
        let rows = sqlx::query(
            "SELECT b.id, b.title, (SELECT COUNT(*) FROM questions q WHERE q.bank = b.id) AS n
             FROM question_banks b ORDER BY b.id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Bank {
                    id: r.try_get("id")?,
                    title: r.try_get("title")?,
                    questions: r.try_get("n")?,
                })
            })
            .collect()
    }

    /// Adds the questions (by id) the bank does not have yet, after its
    /// last one, in one transaction; gives how many were new.
    pub async fn add_questions(
        &self,
        bank: &str,
        questions: &[(String, Question)],
    ) -> Result<usize> {
        let mut tx = self.begin_write().await?;
        let last: Option<i64> =
            sqlx::query_scalar("SELECT MAX(position) FROM questions WHERE bank = $1")
                .bind(bank)
                .fetch_one(&mut *tx)
                .await?;
        let mut position = last.unwrap_or(0);
        let mut added = 0;
        let at = now();
        for (id, q) in questions {
            let body = serde_json::to_string(q).map_err(|e| corrupt("question", e))?;
            let done = sqlx::query(
                "INSERT INTO questions (id, bank, position, body, added_at) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(id)
            .bind(bank)
            .bind(position + 1)
            .bind(&body)
            .bind(at)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                continue;
            }
            position += 1;
            added += 1;
            let mut tags = q.tags.clone();
            tags.sort();
            tags.dedup();
            for tag in tags {
                sqlx::query("INSERT INTO question_tags (question, tag) VALUES ($1, $2)")
                    .bind(id)
                    .bind(tag)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(added)
    }

    /// A bank's questions, in order.
    pub async fn bank_questions(&self, bank: &str) -> Result<Vec<(String, Question)>> {
        let rows = sqlx::query("SELECT id, body FROM questions WHERE bank = $1 ORDER BY position")
            .bind(bank)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(question_from).collect()
    }

    /// The questions of these ids that exist.
    pub async fn questions(&self, ids: &[String]) -> Result<HashMap<String, Question>> {
        let mut found = HashMap::new();
        for chunk in ids.chunks(500) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT id, body FROM questions WHERE id IN ({})",
                marks.join(", ")
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                query = query.bind(id);
            }
            for row in query.fetch_all(&self.pool).await? {
                let (id, q) = question_from(&row)?;
                found.insert(id, q);
            }
        }
        Ok(found)
    }

    /// The ids of the bank's questions that carry every one of `tags`, in
    /// the bank's order.
    pub async fn candidate_questions(&self, bank: &str, tags: &[String]) -> Result<Vec<String>> {
        let mut sql = String::from("SELECT q.id FROM questions q WHERE q.bank = $1");
        if !tags.is_empty() {
            let marks: Vec<String> = (0..tags.len()).map(|i| format!("${}", i + 2)).collect();
            sql.push_str(&format!(
                " AND (SELECT COUNT(*) FROM question_tags t WHERE t.question = q.id AND t.tag IN ({})) = {}",
                marks.join(", "),
                tags.len()
            ));
        }
        sql.push_str(" ORDER BY q.position");
        let mut query = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(bank);
        for t in tags {
            query = query.bind(t);
        }
        Ok(query.fetch_all(&self.pool).await?)
    }

    /// Makes the quiz, or sets it again.
    pub async fn put_quiz(&self, id: &str, spec: &QuizSpec, by: &str) -> Result<()> {
        let json = serde_json::to_string(spec).map_err(|e| corrupt("quiz spec", e))?;
        sqlx::query(
            "INSERT INTO quizzes (id, spec, capsule_id, programme_id, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (id) DO UPDATE SET spec = excluded.spec, capsule_id = excluded.capsule_id,
                 programme_id = excluded.programme_id",
        )
        .bind(id)
        .bind(json)
        .bind(spec.capsule.as_deref())
        .bind(spec.programme.as_deref())
        .bind(by)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn quiz(&self, id: &str) -> Result<Option<StoredQuiz>> {
        let row = sqlx::query("SELECT id, spec, created_by, created_at FROM quizzes WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(quiz_from).transpose()
    }

    /// Every quiz, or those after a capsule, or ending a programme.
    pub async fn quizzes(
        &self,
        capsule: Option<&str>,
        programme: Option<&str>,
    ) -> Result<Vec<StoredQuiz>> {
        let rows = sqlx::query(
            "SELECT id, spec, created_by, created_at FROM quizzes
             WHERE ($1 IS NULL OR capsule_id = $1) AND ($2 IS NULL OR programme_id = $2)
             ORDER BY created_at, id",
        )
        .bind(capsule)
        .bind(programme)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(quiz_from).collect()
    }

    /// Stores a new attempt; false when the learner already has one of
    /// that number (a second press of "start").
    pub async fn start_attempt(&self, a: &Attempt) -> Result<bool> {
        let paper = serde_json::to_string(&a.paper).map_err(|e| corrupt("attempt paper", e))?;
        let done = sqlx::query(
            "INSERT INTO quiz_attempts (id, quiz_id, login, number, paper, started_at, deadline)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (quiz_id, login, number) DO NOTHING",
        )
        .bind(&a.id)
        .bind(&a.quiz_id)
        .bind(&a.login)
        .bind(a.number)
        .bind(paper)
        .bind(a.started_at)
        .bind(a.deadline)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn attempt(&self, id: &str) -> Result<Option<Attempt>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ATTEMPT_COLUMNS} FROM quiz_attempts WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(attempt_from).transpose()
    }

    /// A learner's attempts at a quiz, first first.
    pub async fn attempts_of(&self, quiz: &str, login: &str) -> Result<Vec<Attempt>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ATTEMPT_COLUMNS} FROM quiz_attempts WHERE login = $1 AND quiz_id = $2 ORDER BY number"
        )))
        .bind(login)
        .bind(quiz)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(attempt_from).collect()
    }

    /// Every attempt at a quiz.
    pub async fn quiz_attempts(&self, quiz: &str) -> Result<Vec<Attempt>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ATTEMPT_COLUMNS} FROM quiz_attempts WHERE quiz_id = $1 ORDER BY login, number"
        )))
        .bind(quiz)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(attempt_from).collect()
    }

    /// The attempts whose deadline passed before `at` and that nobody
    /// finished yet.
    pub async fn overdue_attempts(&self, at: i64) -> Result<Vec<Attempt>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ATTEMPT_COLUMNS} FROM quiz_attempts
             WHERE finished_at IS NULL AND deadline IS NOT NULL AND deadline < $1"
        )))
        .bind(at)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(attempt_from).collect()
    }

    /// Saves an answer while the attempt is open at `at`: the attempt's
    /// row is taken first, so the end of the attempt waits for it (and
    /// counts it) or refuses it. `last_word` keeps a first answer.
    pub async fn save_answer(
        &self,
        attempt: &str,
        slot: i64,
        answer: &str,
        credit: i64,
        at: i64,
        last_word: bool,
    ) -> Result<Saved> {
        let mut tx = self.begin_write().await?;
        let open = sqlx::query(
            "UPDATE quiz_attempts SET started_at = started_at
             WHERE id = $1 AND finished_at IS NULL AND (deadline IS NULL OR deadline >= $2)",
        )
        .bind(attempt)
        .bind(at)
        .execute(&mut *tx)
        .await?;
        if open.rows_affected() == 0 {
            return Ok(Saved::Closed);
        }
        let conflict = if last_word {
            "DO NOTHING"
        } else {
            "DO UPDATE SET answer = excluded.answer, credit = excluded.credit, saved_at = excluded.saved_at"
        };
        let done = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO quiz_answers (attempt_id, slot, answer, credit, saved_at)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (attempt_id, slot) {conflict}"
        )))
        .bind(attempt)
        .bind(slot)
        .bind(answer)
        .bind(credit)
        .bind(at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(if done.rows_affected() == 1 {
            Saved::Stored
        } else {
            Saved::AlreadyAnswered
        })
    }

    pub async fn answers(&self, attempt: &str) -> Result<Vec<SavedAnswer>> {
        let rows = sqlx::query(
            "SELECT slot, answer, credit, saved_at FROM quiz_answers WHERE attempt_id = $1 ORDER BY slot",
        )
        .bind(attempt)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(answer_from).collect()
    }

    /// Every answer of a quiz's finished attempts, by attempt id.
    pub async fn finished_answers(&self, quiz: &str) -> Result<HashMap<String, Vec<SavedAnswer>>> {
        let rows = sqlx::query(
            "SELECT a.attempt_id, a.slot, a.answer, a.credit, a.saved_at
             FROM quiz_answers a JOIN quiz_attempts t ON t.id = a.attempt_id
             WHERE t.quiz_id = $1 AND t.finished_at IS NOT NULL",
        )
        .bind(quiz)
        .fetch_all(&self.pool)
        .await?;
        let mut by = HashMap::<String, Vec<SavedAnswer>>::new();
        for row in &rows {
            let id: String = row.try_get("attempt_id")?;
            by.entry(id).or_default().push(answer_from(row)?);
        }
        Ok(by)
    }

    /// Ends the attempt at `at` and sums its credit; the attempt as it
    /// ended, or None when it had already ended (whoever ended it first
    /// records the result).
    pub async fn finish_attempt(&self, attempt: &str, at: i64) -> Result<Option<Attempt>> {
        let mut tx = self.begin_write().await?;
        let ended = sqlx::query(
            "UPDATE quiz_attempts SET finished_at = $2 WHERE id = $1 AND finished_at IS NULL",
        )
        .bind(attempt)
        .bind(at)
        .execute(&mut *tx)
        .await?;
        if ended.rows_affected() == 0 {
            return Ok(None);
        }
        // A statement of its own, after the row is held: it sees every
        // answer committed before.
        let credit: Option<i64> = sqlx::query_scalar(
            "SELECT CAST(SUM(credit) AS BIGINT) FROM quiz_answers WHERE attempt_id = $1",
        )
        .bind(attempt)
        .fetch_one(&mut *tx)
        .await?;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE quiz_attempts SET credit = $2 WHERE id = $1 RETURNING {ATTEMPT_COLUMNS}"
        )))
        .bind(attempt)
        .bind(credit.unwrap_or(0))
        .fetch_one(&mut *tx)
        .await?;
        let done = attempt_from(&row)?;
        tx.commit().await?;
        Ok(Some(done))
    }
}

impl Db {
    /// Puts a satchel's quizzes and their banks in (a box installing a
    /// version): questions keep their ids, so installing again adds
    /// nothing.
    pub async fn install_quizzes(&self, section: &cartable_core::quiz::QuizSection) -> Result<()> {
        for bank in &section.banks {
            self.put_bank(&bank.id, &bank.title).await?;
            self.add_questions(&bank.id, &bank.questions).await?;
        }
        for q in &section.quizzes {
            self.put_quiz(&q.id, &q.spec, "satchel").await?;
        }
        Ok(())
    }
}

fn question_from(row: &AnyRow) -> Result<(String, Question)> {
    let body: String = row.try_get("body")?;
    Ok((
        row.try_get("id")?,
        serde_json::from_str(&body).map_err(|e| corrupt("question", e))?,
    ))
}

fn answer_from(row: &AnyRow) -> Result<SavedAnswer> {
    Ok(SavedAnswer {
        slot: row.try_get("slot")?,
        answer: row.try_get("answer")?,
        credit: row.try_get("credit")?,
        saved_at: row.try_get("saved_at")?,
    })
}
