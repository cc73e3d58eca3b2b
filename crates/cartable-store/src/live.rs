//! The SQL of live sessions: the schedule and its audiences, registrations,
//! pushed segments and the viewers' playlist, and the room (questions,
//! polls, votes, hands and the numbered event log clients resume from).
//!
//! Every room write takes the session's next event number by updating its
//! row, writes what changed and the event, and on PostgreSQL sends the
//! event with `pg_notify` in the same transaction, so every node hears of
//! it once it is committed, in number order ([`LiveListener`]).

use crate::db::Engine;
use crate::{Db, Result, StoreError, now};
use cartable_core::live::{
    Audience, LiveState, Numbered, Poll, Question, QuestionState, RoomEvent, Schedule,
    SegmentFormat,
};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

/// The PostgreSQL channel room events cross between nodes on.
pub const CHANNEL: &str = "cartable_live";
/// The channel on which each node tells the others how many viewers it
/// holds per room and school; nothing of it is stored.
pub const VIEWERS_CHANNEL: &str = "cartable_live_viewers";

/// A session as stored (and as the JSON API gives it, without its
/// secrets).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LiveSession {
    pub id: String,
    pub schedule: Schedule,
    pub state: LiveState,
    #[serde(skip)]
    pub token_digest: String,
    pub created_by: String,
    /// The viewers' media playlist, once something was pushed.
    #[serde(skip)]
    pub playlist: Option<String>,
    /// The RFC 6381 codecs of an fMP4 stream, for browsers' Media Source.
    pub codecs: Option<String>,
    pub format: Option<String>,
    pub last_event: i64,
    pub live_at: Option<i64>,
    pub ended_at: Option<i64>,
    /// The capsule the recording became.
    pub capsule_id: Option<String>,
    pub recording_error: Option<String>,
    pub registered: i64,
}

/// A pushed segment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Segment {
    pub name: String,
    pub hash: String,
    pub size: i64,
    pub init: bool,
    /// None for an init section, or a segment no playlist listed.
    pub duration_ms: Option<i64>,
}

/// A segment as pushed, to record.
pub struct Pushed<'a> {
    pub name: &'a str,
    pub hash: &'a str,
    pub size: u64,
    pub format: SegmentFormat,
    /// An fMP4 init section.
    pub init: bool,
    pub codecs: Option<&'a str>,
}

/// A room event as stored, with whether it is for moderators only.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Stored {
    /// The session.
    pub s: String,
    pub staff: bool,
    pub e: Numbered,
}

/// What the room holds now, for a page that opens it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RoomNow {
    /// Newest first; every state for moderators, public ones otherwise.
    pub questions: Vec<Question>,
    pub polls: Vec<Poll>,
    pub hands: u64,
    /// Who has a hand up, for moderators.
    pub raised: Vec<(String, String)>,
    pub slide: Option<String>,
    pub last_event: i64,
}

/// Which sessions a schedule lists.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    /// Public sessions.
    pub public: bool,
    pub schools: Vec<String>,
    pub classes: Vec<String>,
    /// Sessions ending at or after (seconds since the epoch).
    pub ending_after: i64,
    pub limit: i64,
}

/// Why a registration was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registration {
    Registered,
    AlreadyRegistered,
    Full,
    NoRegistration,
}

const SESSION_COLUMNS: &str = "s.id, s.schedule, s.state, s.token_digest, s.created_by, s.playlist, s.codecs, s.format, s.last_event, s.live_at, s.ended_at, s.capsule_id, s.recording_error, (SELECT COUNT(*) FROM live_registrations r WHERE r.session_id = s.id) AS registered";

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

fn session_from_row(row: &AnyRow) -> Result<LiveSession> {
    let schedule: String = row.try_get("schedule")?;
    let state: String = row.try_get("state")?;
    Ok(LiveSession {
        id: row.try_get("id")?,
        schedule: serde_json::from_str(&schedule).map_err(|e| corrupt("live schedule", e))?,
        state: LiveState::parse(&state).ok_or_else(|| corrupt("live state", &state))?,
        token_digest: row.try_get("token_digest")?,
        created_by: row.try_get("created_by")?,
        playlist: row.try_get("playlist")?,
        codecs: row.try_get("codecs")?,
        format: row.try_get("format")?,
        last_event: row.try_get("last_event")?,
        live_at: row.try_get("live_at")?,
        ended_at: row.try_get("ended_at")?,
        capsule_id: row.try_get("capsule_id")?,
        recording_error: row.try_get("recording_error")?,
        registered: row.try_get("registered")?,
    })
}

fn question_from_row(row: &AnyRow) -> Result<Question> {
    let state: String = row.try_get("state")?;
    Ok(Question {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        text: row.try_get("text")?,
        state: QuestionState::parse(&state).ok_or_else(|| corrupt("question state", &state))?,
        answer: row.try_get("answer")?,
        at: row.try_get("at")?,
    })
}

fn stored_from_row(id: &str, row: &AnyRow) -> Result<Stored> {
    let body: String = row.try_get("body")?;
    let staff: i64 = row.try_get("staff")?;
    Ok(Stored {
        s: id.to_owned(),
        staff: staff != 0,
        e: Numbered {
            id: row.try_get("id")?,
            event: serde_json::from_str(&body).map_err(|e| corrupt("room event", e))?,
        },
    })
}

fn options_from_row(row: &AnyRow) -> Result<Vec<String>> {
    let options: String = row.try_get("options")?;
    serde_json::from_str(&options).map_err(|e| corrupt("poll options", e))
}

/// The next number of a question or poll of a session (in the room
/// write's transaction, which holds the session's row).
async fn next_number(tx: &mut Transaction<'static, Any>, table: &str, id: &str) -> Result<i64> {
    let sql = format!("SELECT COALESCE(MAX(id), 0) + 1 FROM {table} WHERE session_id = $1");
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_one(&mut **tx)
        .await?)
}

fn json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl Db {
    /// Schedules a session. The caller drew the id and the token.
    pub async fn create_live(
        &self,
        id: &str,
        schedule: &Schedule,
        token_digest: &str,
        created_by: &str,
    ) -> Result<()> {
        let now = now();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO live_sessions (id, schedule, starts_at, ends_at, public, state, token_digest, created_by, playlist_position, last_event, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, 'scheduled', $6, $7, 0, 0, $8, $8)",
        )
        .bind(id)
        .bind(json(schedule)?)
        .bind(schedule.starts_at)
        .bind(schedule.ends_at)
        .bind(i64::from(schedule.audience.public))
        .bind(token_digest)
        .bind(created_by)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let groups = schedule
            .audience
            .schools
            .iter()
            .map(|g| ("school", g))
            .chain(schedule.audience.classes.iter().map(|g| ("class", g)));
        for (kind, group) in groups {
            sqlx::query(
                "INSERT INTO live_audience (session_id, kind, group_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(kind)
            .bind(group)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn live_session(&self, id: &str) -> Result<Option<LiveSession>> {
        let sql = format!("SELECT {SESSION_COLUMNS} FROM live_sessions s WHERE s.id = $1");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| session_from_row(&r))
            .transpose()
    }

    /// Sessions for an audience, soonest first: public ones if asked, and
    /// those for the schools and classes named.
    pub async fn live_schedule(&self, listing: &Listing) -> Result<Vec<LiveSession>> {
        let mut filters = Vec::new();
        if listing.public {
            filters.push("s.public = 1".to_owned());
        }
        let mut binds: Vec<&str> = Vec::new();
        for (kind, groups) in [("school", &listing.schools), ("class", &listing.classes)] {
            if groups.is_empty() {
                continue;
            }
            let first = binds.len() + 3;
            let marks: Vec<String> = (0..groups.len())
                .map(|i| format!("${}", first + i))
                .collect();
            filters.push(format!(
                "EXISTS (SELECT 1 FROM live_audience a WHERE a.session_id = s.id AND a.kind = '{kind}' AND a.group_id IN ({}))",
                marks.join(", ")
            ));
            binds.extend(groups.iter().map(String::as_str));
        }
        if filters.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM live_sessions s WHERE s.ends_at >= $1 AND ({}) ORDER BY s.starts_at, s.id LIMIT $2",
            filters.join(" OR ")
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(listing.ending_after)
            .bind(listing.limit);
        for b in binds {
            query = query.bind(b);
        }
        query
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(session_from_row)
            .collect()
    }

    /// Registers a learner for a workshop within its capacity.
    pub async fn register_live(&self, id: &str, login: &str) -> Result<Registration> {
        let mut tx = self.begin_write().await?;
        // Taking the row first orders concurrent registrations, so the
        // capacity holds.
        let row = sqlx::query(
            "UPDATE live_sessions SET updated_at = updated_at WHERE id = $1 RETURNING schedule",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(Registration::NoRegistration);
        };
        let schedule: String = row.try_get("schedule")?;
        let schedule: Schedule =
            serde_json::from_str(&schedule).map_err(|e| corrupt("live schedule", e))?;
        let Some(capacity) = schedule.capacity else {
            return Ok(Registration::NoRegistration);
        };
        let taken: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM live_registrations WHERE session_id = $1")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
        let mine: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM live_registrations WHERE session_id = $1 AND login = $2",
        )
        .bind(id)
        .bind(login)
        .fetch_one(&mut *tx)
        .await?;
        if mine > 0 {
            return Ok(Registration::AlreadyRegistered);
        }
        if taken >= i64::from(capacity) {
            return Ok(Registration::Full);
        }
        sqlx::query("INSERT INTO live_registrations (session_id, login, at) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(login)
            .bind(now())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Registration::Registered)
    }

    pub async fn is_registered(&self, id: &str, login: &str) -> Result<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM live_registrations WHERE session_id = $1 AND login = $2",
        )
        .bind(id)
        .bind(login)
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }

    /// Records a pushed segment's blob. A segment pushed again under the
    /// same name keeps its first push order.
    pub async fn put_live_segment(&self, id: &str, segment: &Pushed<'_>) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO live_segments (session_id, name, hash, size, seq, init, at)
             VALUES ($1, $2, $3, $4, (SELECT COALESCE(MAX(seq), 0) + 1 FROM live_segments WHERE session_id = $1), $5, $6)
             ON CONFLICT (session_id, name) DO UPDATE SET hash = excluded.hash, size = excluded.size, at = excluded.at",
        )
        .bind(id)
        .bind(segment.name)
        .bind(segment.hash)
        .bind(segment.size as i64)
        .bind(i64::from(segment.init))
        .bind(now())
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE live_sessions SET format = $2, codecs = COALESCE($3, codecs) WHERE id = $1",
        )
        .bind(id)
        .bind(segment.format.ext())
        .bind(segment.codecs)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The blobs of pushed segments, by name.
    pub async fn live_segment_hashes(
        &self,
        id: &str,
        names: &[String],
    ) -> Result<Vec<(String, String)>> {
        let mut found = Vec::with_capacity(names.len());
        for chunk in names.chunks(500) {
            let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
            let sql = format!(
                "SELECT name, hash FROM live_segments WHERE session_id = $1 AND name IN ({})",
                marks.join(", ")
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id);
            for n in chunk {
                query = query.bind(n);
            }
            for row in query.fetch_all(&self.pool).await? {
                found.push((row.try_get("name")?, row.try_get("hash")?));
            }
        }
        Ok(found)
    }

    /// Stores the viewers' playlist and the durations it gives, unless a
    /// playlist reaching further is stored already (then None). Returns
    /// the events it caused: the session going live with its first
    /// playlist, or ending with an `#EXT-X-ENDLIST`.
    pub async fn put_live_playlist(
        &self,
        id: &str,
        playlist: &str,
        position: i64,
        durations: &[(String, i64)],
        ended: bool,
    ) -> Result<Option<Vec<Stored>>> {
        let mut tx = self.begin_write().await?;
        let newer = sqlx::query(
            "UPDATE live_sessions SET playlist = $2, playlist_position = $3, updated_at = $4 WHERE id = $1 AND playlist_position <= $3",
        )
        .bind(id)
        .bind(playlist)
        .bind(position)
        .bind(now())
        .execute(&mut *tx)
        .await?;
        if newer.rows_affected() == 0 {
            return Ok(None);
        }
        for (name, ms) in durations {
            sqlx::query(
                "UPDATE live_segments SET duration_ms = $3 WHERE session_id = $1 AND name = $2 AND duration_ms IS NULL",
            )
            .bind(id)
            .bind(name)
            .bind(ms)
            .execute(&mut *tx)
            .await?;
        }
        let mut events = Vec::new();
        let state: String = sqlx::query_scalar("SELECT state FROM live_sessions WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        let want = if ended {
            LiveState::Ended
        } else {
            LiveState::Live
        };
        if state != want.as_str() && state != LiveState::Ended.as_str() {
            events.push(self.set_state(&mut tx, id, want).await?);
        }
        tx.commit().await?;
        Ok(Some(events))
    }

    async fn set_state(
        &self,
        tx: &mut Transaction<'static, Any>,
        id: &str,
        state: LiveState,
    ) -> Result<Stored> {
        let column = match state {
            LiveState::Live => "live_at",
            _ => "ended_at",
        };
        let sql = format!("UPDATE live_sessions SET state = $2, {column} = $3 WHERE id = $1");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(state.as_str())
            .bind(now())
            .execute(&mut **tx)
            .await?;
        self.append_event(tx, id, RoomEvent::State { state }).await
    }

    /// Replaces the viewers' playlist with the whole recording, once the
    /// session has ended.
    pub async fn put_recording_playlist(&self, id: &str, playlist: &str) -> Result<()> {
        sqlx::query(
            "UPDATE live_sessions SET playlist = $2, playlist_position = $3 WHERE id = $1 AND state = 'ended'",
        )
        .bind(id)
        .bind(playlist)
        .bind(i64::MAX)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Ends a session (the broadcaster's button, or `cartable live end`).
    /// None if it had already ended or does not exist.
    pub async fn end_live(&self, id: &str) -> Result<Option<Stored>> {
        let mut tx = self.begin_write().await?;
        let state: Option<String> =
            sqlx::query_scalar("SELECT state FROM live_sessions WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        match state.as_deref() {
            None | Some("ended") => Ok(None),
            Some(_) => {
                let event = self.set_state(&mut tx, id, LiveState::Ended).await?;
                sqlx::query("DELETE FROM live_hands WHERE session_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(Some(event))
            }
        }
    }

    /// Every pushed segment in push order: the recording.
    pub async fn live_segments(&self, id: &str) -> Result<Vec<Segment>> {
        sqlx::query(
            "SELECT name, hash, size, init, duration_ms FROM live_segments WHERE session_id = $1 ORDER BY seq",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(Segment {
                name: r.try_get("name")?,
                hash: r.try_get("hash")?,
                size: r.try_get("size")?,
                init: r.try_get::<i64, _>("init")? != 0,
                duration_ms: r.try_get("duration_ms")?,
            })
        })
        .collect()
    }

    /// Takes the session's next event number, stores the event, and on
    /// PostgreSQL tells every node once the transaction commits.
    async fn append_event(
        &self,
        tx: &mut Transaction<'static, Any>,
        id: &str,
        event: RoomEvent,
    ) -> Result<Stored> {
        let number: i64 = sqlx::query_scalar(
            "UPDATE live_sessions SET last_event = last_event + 1 WHERE id = $1 RETURNING last_event",
        )
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
        let stored = Stored {
            s: id.to_owned(),
            staff: event.staff_only(),
            e: Numbered { id: number, event },
        };
        let body = json(&stored.e.event)?;
        sqlx::query(
            "INSERT INTO live_events (session_id, id, staff, body, at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(number)
        .bind(i64::from(stored.staff))
        .bind(&body)
        .bind(now())
        .execute(&mut **tx)
        .await?;
        if self.engine == Engine::Postgres {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANNEL)
                .bind(json(&stored)?)
                .execute(&mut **tx)
                .await?;
        }
        Ok(stored)
    }

    /// Takes the next event number before the room write that needs it,
    /// so the write's ids (a question's, a poll's) can follow.
    async fn room_tx(&self, id: &str) -> Result<Option<Transaction<'static, Any>>> {
        let mut tx = self.begin_write().await?;
        let found = sqlx::query("UPDATE live_sessions SET updated_at = $2 WHERE id = $1")
            .bind(id)
            .bind(now())
            .execute(&mut *tx)
            .await?;
        Ok((found.rows_affected() == 1).then_some(tx))
    }

    /// Stores an event that changes nothing else (a slide, a poll's new
    /// results, the count of hands).
    pub async fn room_event(&self, id: &str, event: RoomEvent) -> Result<Option<Stored>> {
        let Some(mut tx) = self.room_tx(id).await? else {
            return Ok(None);
        };
        let stored = self.append_event(&mut tx, id, event).await?;
        tx.commit().await?;
        Ok(Some(stored))
    }

    /// A learner's question, pending moderation.
    pub async fn ask(
        &self,
        id: &str,
        login: &str,
        name: &str,
        text: &str,
    ) -> Result<Option<Stored>> {
        let Some(mut tx) = self.room_tx(id).await? else {
            return Ok(None);
        };
        let number = next_number(&mut tx, "live_questions", id).await?;
        let question = Question {
            id: number,
            name: name.to_owned(),
            text: text.to_owned(),
            state: QuestionState::Pending,
            answer: None,
            at: now(),
        };
        sqlx::query(
            "INSERT INTO live_questions (session_id, id, login, name, text, state, answer, at) VALUES ($1, $2, $3, $4, $5, 'pending', NULL, $6)",
        )
        .bind(id)
        .bind(number)
        .bind(login)
        .bind(name)
        .bind(text)
        .bind(question.at)
        .execute(&mut *tx)
        .await?;
        let stored = self
            .append_event(&mut tx, id, RoomEvent::Question(question))
            .await?;
        tx.commit().await?;
        Ok(Some(stored))
    }

    /// Approves, answers or hides a question. None if there is no such
    /// question.
    pub async fn moderate(
        &self,
        id: &str,
        question: i64,
        state: QuestionState,
        answer: Option<&str>,
    ) -> Result<Option<Stored>> {
        let Some(mut tx) = self.room_tx(id).await? else {
            return Ok(None);
        };
        let row = sqlx::query(
            "UPDATE live_questions SET state = $3, answer = COALESCE($4, answer) WHERE session_id = $1 AND id = $2
             RETURNING id, name, text, state, answer, at",
        )
        .bind(id)
        .bind(question)
        .bind(state.as_str())
        .bind(answer)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let question = question_from_row(&row)?;
        let stored = self
            .append_event(&mut tx, id, RoomEvent::Question(question))
            .await?;
        tx.commit().await?;
        Ok(Some(stored))
    }

    /// Raises or lowers a hand. Returns the moderators' event, or None if
    /// nothing changed.
    pub async fn hand(
        &self,
        id: &str,
        login: &str,
        name: &str,
        raised: bool,
    ) -> Result<Option<Stored>> {
        let Some(mut tx) = self.room_tx(id).await? else {
            return Ok(None);
        };
        let changed = if raised {
            sqlx::query(
                "INSERT INTO live_hands (session_id, login, at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(login)
            .bind(now())
            .execute(&mut *tx)
            .await?
        } else {
            sqlx::query("DELETE FROM live_hands WHERE session_id = $1 AND login = $2")
                .bind(id)
                .bind(login)
                .execute(&mut *tx)
                .await?
        };
        if changed.rows_affected() == 0 {
            return Ok(None);
        }
        let event = RoomEvent::Hand {
            login: login.to_owned(),
            name: name.to_owned(),
            raised,
        };
        let stored = self.append_event(&mut tx, id, event).await?;
        tx.commit().await?;
        Ok(Some(stored))
    }

    pub async fn hands_raised(&self, id: &str) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM live_hands WHERE session_id = $1")
            .bind(id)
            .fetch_one(&self.pool)
            .await?;
        Ok(n as u64)
    }

    pub async fn open_poll(
        &self,
        id: &str,
        question: &str,
        options: &[String],
    ) -> Result<Option<Stored>> {
        let Some(mut tx) = self.room_tx(id).await? else {
            return Ok(None);
        };
        let number = next_number(&mut tx, "live_polls", id).await?;
        sqlx::query(
            "INSERT INTO live_polls (session_id, id, question, options, open, at) VALUES ($1, $2, $3, $4, 1, $5)",
        )
        .bind(id)
        .bind(number)
        .bind(question)
        .bind(json(&options)?)
        .bind(now())
        .execute(&mut *tx)
        .await?;
        let poll = Poll {
            id: number,
            question: question.to_owned(),
            options: options.to_vec(),
            votes: vec![0; options.len()],
            open: true,
        };
        let stored = self
            .append_event(&mut tx, id, RoomEvent::Poll(poll))
            .await?;
        tx.commit().await?;
        Ok(Some(stored))
    }

    /// A learner's vote (a second one replaces the first). False if the
    /// poll is closed, unknown, or has no such option. The results go out
    /// later, counted once for many votes ([`Db::poll`]).
    pub async fn vote(&self, id: &str, poll: i64, login: &str, choice: usize) -> Result<bool> {
        let row =
            sqlx::query("SELECT options, open FROM live_polls WHERE session_id = $1 AND id = $2")
                .bind(id)
                .bind(poll)
                .fetch_optional(&self.pool)
                .await?;
        let Some(row) = row else {
            return Ok(false);
        };
        let options = options_from_row(&row)?;
        let open: i64 = row.try_get("open")?;
        if open == 0 || choice >= options.len() {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO live_votes (session_id, poll_id, login, choice) VALUES ($1, $2, $3, $4)
             ON CONFLICT (session_id, poll_id, login) DO UPDATE SET choice = excluded.choice",
        )
        .bind(id)
        .bind(poll)
        .bind(login)
        .bind(choice as i64)
        .execute(&self.pool)
        .await?;
        Ok(true)
    }

    /// A poll with its votes counted.
    pub async fn poll(&self, id: &str, poll: i64) -> Result<Option<Poll>> {
        let row = sqlx::query(
            "SELECT id, question, options, open FROM live_polls WHERE session_id = $1 AND id = $2",
        )
        .bind(id)
        .bind(poll)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        self.poll_from_row(id, &row).await.map(Some)
    }

    async fn poll_from_row(&self, id: &str, row: &AnyRow) -> Result<Poll> {
        let number: i64 = row.try_get("id")?;
        let options = options_from_row(row)?;
        let mut votes = vec![0u64; options.len()];
        let counts = sqlx::query(
            "SELECT choice, COUNT(*) AS n FROM live_votes WHERE session_id = $1 AND poll_id = $2 GROUP BY choice",
        )
        .bind(id)
        .bind(number)
        .fetch_all(&self.pool)
        .await?;
        for c in counts {
            let choice: i64 = c.try_get("choice")?;
            let n: i64 = c.try_get("n")?;
            if let Some(v) = votes.get_mut(choice as usize) {
                *v = n as u64;
            }
        }
        let open: i64 = row.try_get("open")?;
        Ok(Poll {
            id: number,
            question: row.try_get("question")?,
            options,
            votes,
            open: open != 0,
        })
    }

    /// Closes a poll; its final results go out as an event.
    pub async fn close_poll(&self, id: &str, poll: i64) -> Result<Option<Stored>> {
        let closed =
            sqlx::query("UPDATE live_polls SET open = 0 WHERE session_id = $1 AND id = $2")
                .bind(id)
                .bind(poll)
                .execute(&self.pool)
                .await?;
        if closed.rows_affected() == 0 {
            return Ok(None);
        }
        match self.poll(id, poll).await? {
            Some(p) => self.room_event(id, RoomEvent::Poll(p)).await,
            None => Ok(None),
        }
    }

    /// Events after `after`, oldest first, at most `limit`.
    pub async fn room_events_after(&self, id: &str, after: i64, limit: i64) -> Result<Vec<Stored>> {
        sqlx::query(
            "SELECT id, staff, body FROM live_events WHERE session_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        )
        .bind(id)
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| stored_from_row(id, r))
        .collect()
    }

    /// What a page opening the room shows.
    pub async fn room_now(&self, id: &str, staff: bool) -> Result<RoomNow> {
        let filter = if staff {
            ""
        } else {
            " AND state IN ('approved', 'answered')"
        };
        let sql = format!(
            "SELECT id, name, text, state, answer, at FROM live_questions WHERE session_id = $1{filter} ORDER BY id DESC LIMIT 200"
        );
        let questions = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(question_from_row)
            .collect::<Result<Vec<_>>>()?;
        let mut polls = Vec::new();
        for row in sqlx::query(
            "SELECT id, question, options, open FROM live_polls WHERE session_id = $1 ORDER BY id DESC LIMIT 5",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?
        {
            polls.push(self.poll_from_row(id, &row).await?);
        }
        let raised = if staff {
            sqlx::query(
                "SELECT h.login, COALESCE(u.name, h.login) AS name FROM live_hands h LEFT JOIN users u ON u.login = h.login WHERE h.session_id = $1 ORDER BY h.at",
            )
            .bind(id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| Ok((r.try_get("login")?, r.try_get("name")?)))
            .collect::<Result<Vec<_>>>()?
        } else {
            Vec::new()
        };
        let slide = sqlx::query_scalar::<_, String>(
            "SELECT body FROM live_events WHERE session_id = $1 AND body LIKE '{\"type\":\"slide\"%' ORDER BY id DESC LIMIT 1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .and_then(|body| match serde_json::from_str(&body) {
            Ok(RoomEvent::Slide { url }) => Some(url),
            _ => None,
        });
        let last_event: i64 =
            sqlx::query_scalar("SELECT last_event FROM live_sessions WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?
                .unwrap_or(0);
        Ok(RoomNow {
            questions,
            polls,
            hands: self.hands_raised(id).await?,
            raised,
            slide,
            last_event,
        })
    }

    /// Ended sessions with segments whose recording is not a capsule yet
    /// (and did not fail).
    pub async fn live_unrecorded(&self) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT s.id FROM live_sessions s WHERE s.state = 'ended' AND s.capsule_id IS NULL AND s.recording_error IS NULL
               AND EXISTS (SELECT 1 FROM live_segments g WHERE g.session_id = s.id AND g.duration_ms IS NOT NULL)
             ORDER BY s.ended_at",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Records what became of the recording: its capsule, or why not.
    pub async fn set_recording(&self, id: &str, outcome: Result<&str, &str>) -> Result<()> {
        let (capsule, error) = match outcome {
            Ok(c) => (Some(c), None),
            Err(e) => (None, Some(e)),
        };
        sqlx::query("UPDATE live_sessions SET capsule_id = $2, recording_error = $3 WHERE id = $1")
            .bind(id)
            .bind(capsule)
            .bind(error)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Every event of a room with when it was stored (seconds), oldest
    /// first: the recording's chapters come from its slides.
    pub async fn room_history(&self, id: &str) -> Result<Vec<(i64, Stored)>> {
        sqlx::query("SELECT id, staff, body, at FROM live_events WHERE session_id = $1 ORDER BY id")
            .bind(id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| Ok((r.try_get("at")?, stored_from_row(id, r)?)))
            .collect()
    }

    /// When each pushed segment arrived (seconds), in push order, with its
    /// duration: where the recording's time stands against the clock.
    pub async fn live_segment_times(&self, id: &str) -> Result<Vec<(i64, Option<i64>)>> {
        sqlx::query(
            "SELECT at, duration_ms FROM live_segments WHERE session_id = $1 AND init = 0 ORDER BY seq",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("at")?, r.try_get("duration_ms")?)))
        .collect()
    }

    /// Keeps a hub's session on a school relay: its schedule and state
    /// (the relay's own event numbers follow the events it stored).
    pub async fn mirror_live(&self, session: &LiveSession) -> Result<()> {
        let now = now();
        sqlx::query(
            "INSERT INTO live_sessions (id, schedule, starts_at, ends_at, public, state, token_digest, created_by, playlist_position, codecs, format, last_event, live_at, ended_at, capsule_id, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, '', $7, 0, $8, $9, 0, $10, $11, $12, $13, $13)
             ON CONFLICT (id) DO UPDATE SET schedule = excluded.schedule, starts_at = excluded.starts_at, ends_at = excluded.ends_at,
               public = excluded.public, state = excluded.state, codecs = excluded.codecs, format = excluded.format,
               live_at = excluded.live_at, ended_at = excluded.ended_at, capsule_id = excluded.capsule_id, updated_at = excluded.updated_at",
        )
        .bind(&session.id)
        .bind(json(&session.schedule)?)
        .bind(session.schedule.starts_at)
        .bind(session.schedule.ends_at)
        .bind(i64::from(session.schedule.audience.public))
        .bind(session.state.as_str())
        .bind(&session.created_by)
        .bind(&session.codecs)
        .bind(&session.format)
        .bind(session.live_at)
        .bind(session.ended_at)
        .bind(&session.capsule_id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Stores an event a relay heard from its hub, under the hub's number.
    /// False if it was stored already.
    pub async fn put_relayed_event(&self, stored: &Stored) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let inserted = sqlx::query(
            "INSERT INTO live_events (session_id, id, staff, body, at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(&stored.s)
        .bind(stored.e.id)
        .bind(i64::from(stored.staff))
        .bind(json(&stored.e.event)?)
        .bind(now())
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE live_sessions SET last_event = $2 WHERE id = $1 AND last_event < $2")
            .bind(&stored.s)
            .bind(stored.e.id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(inserted.rows_affected() == 1)
    }

    /// Stores the playlist a relay copied from its hub (every blob it
    /// names is already here).
    pub async fn put_relayed_playlist(&self, id: &str, playlist: &str) -> Result<()> {
        sqlx::query("UPDATE live_sessions SET playlist = $2, updated_at = $3 WHERE id = $1")
            .bind(id)
            .bind(playlist)
            .bind(now())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// What a room holds, read from its events (on a relay, which has the
    /// events but not the hub's tables).
    pub async fn room_from_events(&self, id: &str, staff: bool) -> Result<RoomNow> {
        let events = self.room_events_after(id, 0, i64::MAX).await?;
        Ok(fold_room(&events, staff))
    }

    /// Hears every room event committed on any node, in order per session
    /// (PostgreSQL only; on SQLite there is one node and it publishes what
    /// it writes itself).
    pub async fn live_listener(&self) -> Result<Option<LiveListener>> {
        if self.engine != Engine::Postgres {
            return Ok(None);
        }
        let mut listener = sqlx::postgres::PgListener::connect(&self.url).await?;
        listener.listen_all([CHANNEL, VIEWERS_CHANNEL]).await?;
        Ok(Some(LiveListener { listener }))
    }

    /// Tells every node this node's viewer counts (PostgreSQL only).
    pub async fn notify_viewers(&self, payload: &str) -> Result<()> {
        if self.engine == Engine::Postgres {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(VIEWERS_CHANNEL)
                .bind(payload)
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    /// The audience of a session, for its page and the calendar.
    pub async fn live_audience(&self, id: &str) -> Result<Audience> {
        let mut audience = Audience::default();
        for row in sqlx::query("SELECT kind, group_id FROM live_audience WHERE session_id = $1")
            .bind(id)
            .fetch_all(&self.pool)
            .await?
        {
            let kind: String = row.try_get("kind")?;
            let group: String = row.try_get("group_id")?;
            match kind.as_str() {
                "school" => audience.schools.push(group),
                _ => audience.classes.push(group),
            }
        }
        Ok(audience)
    }
}

/// The room as its events leave it: each question and poll in its last
/// state, the last count of hands and slide.
pub fn fold_room(events: &[Stored], staff: bool) -> RoomNow {
    let mut now = RoomNow::default();
    let mut questions: std::collections::BTreeMap<i64, Question> = Default::default();
    let mut polls: std::collections::BTreeMap<i64, Poll> = Default::default();
    let mut raised: Vec<(String, String)> = Vec::new();
    for stored in events {
        now.last_event = now.last_event.max(stored.e.id);
        match &stored.e.event {
            RoomEvent::Question(q) => {
                questions.insert(q.id, q.clone());
            }
            RoomEvent::Poll(p) => {
                polls.insert(p.id, p.clone());
            }
            RoomEvent::Hands { raised } => now.hands = *raised,
            RoomEvent::Hand {
                login,
                name,
                raised: up,
            } => {
                raised.retain(|(l, _)| l != login);
                if *up {
                    raised.push((login.clone(), name.clone()));
                }
            }
            RoomEvent::Slide { url } => now.slide = Some(url.clone()),
            RoomEvent::State { .. } => {}
        }
    }
    now.questions = questions
        .into_values()
        .rev()
        .filter(|q| staff || q.state.public())
        .collect();
    now.polls = polls.into_values().rev().take(5).collect();
    if staff {
        now.raised = raised;
    }
    now
}

/// A PostgreSQL connection listening for room events.
pub struct LiveListener {
    listener: sqlx::postgres::PgListener,
}

/// What the listener heard.
pub enum Heard {
    Event(Stored),
    /// A node's viewer counts, as it sent them.
    Viewers(String),
    /// The connection was lost and is made again on the next call: events
    /// sent meanwhile were missed, so listeners read them from the table.
    Lost,
}

impl LiveListener {
    pub async fn next(&mut self) -> Result<Heard> {
        loop {
            match self.listener.try_recv().await? {
                None => return Ok(Heard::Lost),
                Some(n) if n.channel() == VIEWERS_CHANNEL => {
                    return Ok(Heard::Viewers(n.payload().to_owned()));
                }
                Some(n) => match serde_json::from_str(n.payload()) {
                    Ok(stored) => return Ok(Heard::Event(stored)),
                    Err(e) => tracing::warn!(error = %e, "an unreadable room notification"),
                },
            }
        }
    }
}
