//! The SQL of competitions: teams and their members, submissions, the
//! jury's scores, and publishing the results.

use crate::{Db, Result, StoreError, now};
use cartable_core::competition::CompetitionSpec;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, Serialize)]
pub struct Competition {
    pub id: String,
    pub spec: CompetitionSpec,
    pub published_at: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Team {
    pub id: String,
    pub name: String,
    pub members: Vec<String>,
}

/// A file of a submission, stored as a blob.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubmittedFile {
    pub name: String,
    pub blob: String,
    pub size: u64,
    pub mime: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Submission {
    pub team_id: String,
    pub body: String,
    pub files: Vec<SubmittedFile>,
    pub submitted_by: String,
    pub submitted_at: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Scored {
    pub team_id: String,
    pub juror: String,
    pub scores: Vec<u32>,
    pub comment: String,
}

/// What became of a new team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registered {
    Made,
    /// Another team has that name.
    NameTaken,
    /// These logins are in a team already.
    AlreadyInATeam(Vec<String>),
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

fn competition_from(row: &AnyRow) -> Result<Competition> {
    let spec: String = row.try_get("spec")?;
    Ok(Competition {
        id: row.try_get("id")?,
        spec: serde_json::from_str(&spec).map_err(|e| corrupt("competition spec", e))?,
        published_at: row.try_get("published_at")?,
    })
}

fn submission_from(row: &AnyRow) -> Result<Submission> {
    let files: String = row.try_get("files")?;
    Ok(Submission {
        team_id: row.try_get("team_id")?,
        body: row.try_get("body")?,
        files: serde_json::from_str(&files).map_err(|e| corrupt("submission files", e))?,
        submitted_by: row.try_get("submitted_by")?,
        submitted_at: row.try_get("submitted_at")?,
    })
}

impl Db {
    /// Makes the competition, or sets it again.
    pub async fn put_competition(&self, id: &str, spec: &CompetitionSpec, by: &str) -> Result<()> {
        let json = serde_json::to_string(spec).map_err(|e| corrupt("competition spec", e))?;
        sqlx::query(
            "INSERT INTO competitions (id, spec, created_by, created_at) VALUES ($1, $2, $3, $4)
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

    pub async fn competition(&self, id: &str) -> Result<Option<Competition>> {
        let row = sqlx::query("SELECT id, spec, published_at FROM competitions WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(competition_from).transpose()
    }

    pub async fn competitions(&self) -> Result<Vec<Competition>> {
        let rows = sqlx::query(
            "SELECT id, spec, published_at FROM competitions ORDER BY created_at DESC, id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(competition_from).collect()
    }

    /// Publishes the results; false if they already were.
    pub async fn publish_competition(&self, id: &str) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE competitions SET published_at = $2 WHERE id = $1 AND published_at IS NULL",
        )
        .bind(id)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Registers a team with its members, in one transaction: nobody ends
    /// up in two teams of one competition.
    pub async fn register_team(
        &self,
        competition: &str,
        team: &str,
        name: &str,
        members: &[String],
        by: &str,
    ) -> Result<Registered> {
        let mut tx = self.begin_write().await?;
        let mut taken = Vec::new();
        for m in members {
            let found: Option<String> = sqlx::query_scalar(
                "SELECT team_id FROM competition_members WHERE competition_id = $1 AND login = $2",
            )
            .bind(competition)
            .bind(m)
            .fetch_optional(&mut *tx)
            .await?;
            if found.is_some() {
                taken.push(m.clone());
            }
        }
        if !taken.is_empty() {
            return Ok(Registered::AlreadyInATeam(taken));
        }
        let made = sqlx::query(
            "INSERT INTO competition_teams (id, competition_id, name, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (competition_id, name) DO NOTHING",
        )
        .bind(team)
        .bind(competition)
        .bind(name)
        .bind(by)
        .bind(now())
        .execute(&mut *tx)
        .await?;
        if made.rows_affected() == 0 {
            return Ok(Registered::NameTaken);
        }
        for m in members {
            let added = sqlx::query(
                "INSERT INTO competition_members (competition_id, team_id, login) VALUES ($1, $2, $3)
                 ON CONFLICT (competition_id, login) DO NOTHING",
            )
            .bind(competition)
            .bind(team)
            .bind(m)
            .execute(&mut *tx)
            .await?;
            if added.rows_affected() == 0 {
                // Joined another team meanwhile: nothing of this one stays.
                return Ok(Registered::AlreadyInATeam(vec![m.clone()]));
            }
        }
        tx.commit().await?;
        Ok(Registered::Made)
    }

    /// Every team of a competition with its members, by name.
    pub async fn teams(&self, competition: &str) -> Result<Vec<Team>> {
        let rows = sqlx::query(
            "SELECT t.id, t.name, m.login FROM competition_teams t
             JOIN competition_members m ON m.team_id = t.id
             WHERE t.competition_id = $1 ORDER BY t.name, m.login",
        )
        .bind(competition)
        .fetch_all(&self.pool)
        .await?;
        let mut teams: Vec<Team> = Vec::new();
        for row in &rows {
            let id: String = row.try_get("id")?;
            let login: String = row.try_get("login")?;
            match teams.last_mut() {
                Some(t) if t.id == id => t.members.push(login),
                _ => teams.push(Team {
                    id,
                    name: row.try_get("name")?,
                    members: vec![login],
                }),
            }
        }
        Ok(teams)
    }

    /// The team a learner is in, in a competition.
    pub async fn team_of(&self, competition: &str, login: &str) -> Result<Option<Team>> {
        let id: Option<String> = sqlx::query_scalar(
            "SELECT team_id FROM competition_members WHERE competition_id = $1 AND login = $2",
        )
        .bind(competition)
        .bind(login)
        .fetch_optional(&self.pool)
        .await?;
        let Some(id) = id else { return Ok(None) };
        Ok(self
            .teams(competition)
            .await?
            .into_iter()
            .find(|t| t.id == id))
    }

    /// Stores the team's submission, replacing the one before, if the
    /// competition still takes submissions at `at`; false when it does not.
    pub async fn submit(
        &self,
        competition: &str,
        team: &str,
        body: &str,
        files: &[SubmittedFile],
        by: &str,
        at: i64,
    ) -> Result<bool> {
        let Some(c) = self.competition(competition).await? else {
            return Ok(false);
        };
        if at > c.spec.deadline {
            return Ok(false);
        }
        let files = serde_json::to_string(files).map_err(|e| corrupt("submission files", e))?;
        sqlx::query(
            "INSERT INTO competition_submissions (team_id, body, files, submitted_by, submitted_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (team_id) DO UPDATE SET body = excluded.body, files = excluded.files,
                 submitted_by = excluded.submitted_by, submitted_at = excluded.submitted_at",
        )
        .bind(team)
        .bind(body)
        .bind(files)
        .bind(by)
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(true)
    }

    pub async fn submission(&self, team: &str) -> Result<Option<Submission>> {
        let row = sqlx::query(
            "SELECT team_id, body, files, submitted_by, submitted_at FROM competition_submissions WHERE team_id = $1",
        )
        .bind(team)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(submission_from).transpose()
    }

    pub async fn submissions(&self, competition: &str) -> Result<Vec<Submission>> {
        let rows = sqlx::query(
            "SELECT s.team_id, s.body, s.files, s.submitted_by, s.submitted_at
             FROM competition_submissions s JOIN competition_teams t ON t.id = s.team_id
             WHERE t.competition_id = $1",
        )
        .bind(competition)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(submission_from).collect()
    }

    pub async fn put_score(
        &self,
        team: &str,
        juror: &str,
        scores: &[u32],
        comment: &str,
    ) -> Result<()> {
        let json = serde_json::to_string(scores).map_err(|e| corrupt("scores", e))?;
        sqlx::query(
            "INSERT INTO competition_scores (team_id, juror, scores, comment, at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (team_id, juror) DO UPDATE SET scores = excluded.scores, comment = excluded.comment,
                 at = excluded.at",
        )
        .bind(team)
        .bind(juror)
        .bind(json)
        .bind(comment)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn scores(&self, competition: &str) -> Result<Vec<Scored>> {
        let rows = sqlx::query(
            "SELECT s.team_id, s.juror, s.scores, s.comment FROM competition_scores s
             JOIN competition_teams t ON t.id = s.team_id WHERE t.competition_id = $1
             ORDER BY s.team_id, s.juror",
        )
        .bind(competition)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let scores: String = row.try_get("scores")?;
                Ok(Scored {
                    team_id: row.try_get("team_id")?,
                    juror: row.try_get("juror")?,
                    scores: serde_json::from_str(&scores).map_err(|e| corrupt("scores", e))?,
                    comment: row.try_get("comment")?,
                })
            })
            .collect()
    }
}
