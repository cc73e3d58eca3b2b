//! Quizzes and attempts, shared by the pages and the JSON API: starting an
//! attempt (admitted through a queue when too many start at once), saving
//! answers, ending attempts (by the learner, or by the server when time is
//! up), and the learning records each of these makes.
//!
//! A quiz's settings and the ids it draws from are kept a few seconds, and
//! questions (named by their content's hash, so never changed) are kept
//! for good: starting an attempt costs one read of the learner's earlier
//! attempts and one insert, and saving an answer one read and one small
//! transaction on the learner's own attempt.

use crate::{ApiError, Shared};
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use cartable_core::accounts::User;
use cartable_core::quiz::paper::{self, Feedback, QuizSpec};
use cartable_core::quiz::{Answer, Kind, Question, Score};
use cartable_core::xapi;
use cartable_store::now;
use cartable_store::quiz::{Attempt, CREDIT_SCALE, Saved, StoredQuiz};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, SemaphorePermit};

/// How long a quiz's settings and candidate questions are kept.
const QUIZ_KEPT: Duration = Duration::from_secs(10);
/// Seconds after the deadline an answer is still taken: what it takes a
/// press of "save" at the last second to arrive.
pub const GRACE: i64 = 2;
/// Starts processed at once; the others wait in line.
const STARTS_AT_ONCE: usize = 16;
/// How long a start waits in line before the learner is shown their place.
const LINE_WAIT: Duration = Duration::from_secs(3);
/// How often each node ends the attempts whose time is up.
pub const SWEEP_EVERY: Duration = Duration::from_secs(5);

pub const ANSWERED: &str = "http://adlnet.gov/expapi/verbs/answered";
pub const SCORED: &str = "http://adlnet.gov/expapi/verbs/scored";
pub const PASSED: &str = "http://adlnet.gov/expapi/verbs/passed";
pub const FAILED: &str = "http://adlnet.gov/expapi/verbs/failed";
/// The question ids of an attempt's paper, in its `scored` record's
/// result extensions (cartable's own extension), so that a hub can
/// rebuild an attempt made at a satchel box.
pub const PAPER: &str = "urn:cartable:xapi:paper";
const INTERACTION: &str = "http://adlnet.gov/expapi/activities/cmi.interaction";
const ASSESSMENT: &str = "http://adlnet.gov/expapi/activities/assessment";

/// A quiz as attempts need it.
pub struct Loaded {
    pub quiz: StoredQuiz,
    /// The question ids a paper is drawn from.
    pub candidates: Vec<String>,
}

/// What this node keeps of quizzes between requests.
pub struct Quizzes {
    loaded: quick_cache::sync::Cache<String, (Instant, Arc<Loaded>)>,
    questions: quick_cache::sync::Cache<String, Arc<Question>>,
    starts: Semaphore,
    waiting: AtomicUsize,
}

impl Default for Quizzes {
    fn default() -> Self {
        Quizzes {
            loaded: quick_cache::sync::Cache::new(256),
            questions: quick_cache::sync::Cache::new(20_000),
            starts: Semaphore::new(STARTS_AT_ONCE),
            waiting: AtomicUsize::new(0),
        }
    }
}

impl Quizzes {
    /// A start's turn, or its place in line when the turn did not come
    /// within [`LINE_WAIT`].
    async fn admit(&self) -> Result<SemaphorePermit<'_>, usize> {
        if let Ok(permit) = self.starts.try_acquire() {
            return Ok(permit);
        }
        let place = self.waiting.fetch_add(1, Ordering::SeqCst) + 1;
        let turn = tokio::time::timeout(LINE_WAIT, self.starts.acquire()).await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        match turn {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(place),
        }
    }
}

/// The quiz, from memory when it was read in the last seconds.
pub async fn load(state: &Shared, id: &str) -> Result<Arc<Loaded>, ApiError> {
    if let Some((at, loaded)) = state.quizzes.loaded.get(id)
        && at.elapsed() < QUIZ_KEPT
    {
        return Ok(loaded);
    }
    let quiz = state
        .db
        .quiz(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("quiz \"{id}\"")))?;
    let candidates = state
        .db
        .candidate_questions(&quiz.spec.bank, &quiz.spec.tags)
        .await?;
    let loaded = Arc::new(Loaded { quiz, candidates });
    state
        .quizzes
        .loaded
        .insert(id.to_owned(), (Instant::now(), loaded.clone()));
    Ok(loaded)
}

/// The questions of a paper, in its order.
pub async fn questions(state: &Shared, ids: &[String]) -> Result<Vec<Arc<Question>>, ApiError> {
    let missing: Vec<String> = ids
        .iter()
        .filter(|id| state.quizzes.questions.get(*id).is_none())
        .cloned()
        .collect();
    if !missing.is_empty() {
        for (id, q) in state.db.questions(&missing).await? {
            state.quizzes.questions.insert(id, Arc::new(q));
        }
    }
    ids.iter()
        .map(|id| {
            state
                .quizzes
                .questions
                .get(id)
                .ok_or_else(|| ApiError::Internal(format!("question {id} of a paper is missing")))
        })
        .collect()
}

/// What pressing "start" gave.
pub enum Started {
    New(Attempt),
    /// The learner's attempt still open.
    Resumed(Attempt),
    /// Every allowed attempt is used.
    NoMoreAttempts,
    /// Too many are starting at this moment: the learner's place in line.
    Queued(usize),
}

pub async fn start(state: &Shared, quiz: &str, user: &User) -> Result<Started, ApiError> {
    let _turn = match state.quizzes.admit().await {
        Ok(permit) => permit,
        Err(place) => return Ok(Started::Queued(place)),
    };
    let loaded = load(state, quiz).await?;
    let spec = &loaded.quiz.spec;
    let login = user.login.as_str();
    let mut earlier = state.db.attempts_of(quiz, login).await?;
    let at = now();
    for a in earlier.iter_mut().filter(|a| a.finished_at.is_none()) {
        if a.deadline.is_some_and(|d| d + GRACE < at) {
            if let Some(done) = finish(state, a, user).await? {
                *a = done;
            }
        } else {
            return Ok(Started::Resumed(a.clone()));
        }
    }
    if spec.attempts.is_some_and(|n| earlier.len() as i64 >= n) {
        return Ok(Started::NoMoreAttempts);
    }
    if loaded.candidates.is_empty() {
        return Err(ApiError::Conflict(
            "this quiz has no questions to draw from yet".into(),
        ));
    }
    let id = xapi::new_statement_id();
    let attempt = Attempt {
        paper: paper::draw(&loaded.candidates, spec.draw, spec.shuffle, &id),
        id,
        quiz_id: quiz.to_owned(),
        login: login.to_owned(),
        number: earlier.len() as i64 + 1,
        started_at: at,
        deadline: spec.time_limit.map(|t| at + t),
        finished_at: None,
        credit: None,
    };
    if state.db.start_attempt(&attempt).await? {
        return Ok(Started::New(attempt));
    }
    // Pressed twice at once: the other press made the attempt.
    let made = state.db.attempts_of(quiz, login).await?;
    made.into_iter()
        .find(|a| a.number == attempt.number)
        .map(Started::Resumed)
        .ok_or_else(|| ApiError::Internal("an attempt vanished as it was made".into()))
}

/// The attempt, if it is this user's.
pub async fn own_attempt(state: &Shared, id: &str, user: &User) -> Result<Attempt, ApiError> {
    match state.db.attempt(id).await? {
        Some(a) if a.login == user.login.as_str() => Ok(a),
        _ => Err(ApiError::NotFound(format!("attempt \"{id}\""))),
    }
}

/// An answer saved.
pub struct Answered {
    pub score: Score,
    /// Shown now (instant feedback), or kept for the end.
    pub shown: bool,
}

/// Why an answer was not kept.
pub enum NotSaved {
    /// The attempt is over: its time ran out or it was finished.
    Over,
    /// Instant feedback made the first answer final.
    Final,
    Fault(ApiError),
}

impl From<ApiError> for NotSaved {
    fn from(e: ApiError) -> Self {
        NotSaved::Fault(e)
    }
}

impl From<cartable_store::StoreError> for NotSaved {
    fn from(e: cartable_store::StoreError) -> Self {
        NotSaved::Fault(e.into())
    }
}

impl From<NotSaved> for ApiError {
    fn from(e: NotSaved) -> Self {
        match e {
            NotSaved::Over => ApiError::Conflict(
                "this attempt is over: its time ran out or it was finished".into(),
            ),
            NotSaved::Final => ApiError::Conflict(
                "this question was already answered: with instant feedback, the first answer is final".into(),
            ),
            NotSaved::Fault(e) => e,
        }
    }
}

pub async fn answer(
    state: &Shared,
    attempt: &Attempt,
    user: &User,
    slot: usize,
    given: &Answer,
) -> Result<Answered, NotSaved> {
    let qid = attempt
        .paper
        .get(slot)
        .ok_or_else(|| ApiError::Invalid(format!("this paper has no question {}", slot + 1)))?;
    let loaded = load(state, &attempt.quiz_id).await?;
    let question = questions(state, std::slice::from_ref(qid)).await?;
    let question = &question[0];
    let score = question.score(given);
    let credit = (score.fraction * CREDIT_SCALE).round() as i64;
    let json = serde_json::to_string(given).map_err(|e| ApiError::Internal(e.to_string()))?;
    let at = now();
    let instant = loaded.quiz.spec.feedback == Feedback::Instant;
    let saved = state
        .db
        .save_answer(&attempt.id, slot as i64, &json, credit, at - GRACE, instant)
        .await?;
    match saved {
        Saved::Stored => {}
        Saved::Closed => {
            finish(state, attempt, user).await?;
            return Err(NotSaved::Over);
        }
        Saved::AlreadyAnswered => return Err(NotSaved::Final),
    }
    let statement = answered_statement(
        state,
        &loaded.quiz,
        attempt,
        user,
        qid,
        question,
        given,
        &score,
    );
    record(state, vec![statement]).await?;
    Ok(Answered {
        score,
        shown: instant,
    })
}

/// Ends the attempt if nobody did yet, and records its result; the
/// attempt as it ended, or None if it had ended already.
pub async fn finish(
    state: &Shared,
    attempt: &Attempt,
    user: &User,
) -> Result<Option<Attempt>, ApiError> {
    let Some(done) = state.db.finish_attempt(&attempt.id, now()).await? else {
        return Ok(None);
    };
    let loaded = load(state, &done.quiz_id).await?;
    record(state, result_statements(state, &loaded.quiz, &done, user)).await?;
    Ok(Some(done))
}

/// The attempt's share of the points, 0 to 1.
pub fn scaled(attempt: &Attempt) -> f64 {
    let max = attempt.paper.len().max(1) as f64;
    attempt.credit.unwrap_or(0) as f64 / CREDIT_SCALE / max
}

/// Ends, on this node, every attempt whose time ran out, so the result is
/// recorded even when the learner's browser is gone.
pub async fn sweep(state: &Shared) -> Result<usize, ApiError> {
    let mut ended = 0;
    for a in state.db.overdue_attempts(now() - GRACE).await? {
        let Some(row) = state.db.user(&a.login).await? else {
            continue;
        };
        if finish(state, &a, &row.user).await?.is_some() {
            ended += 1;
        }
    }
    Ok(ended)
}

/// Runs [`sweep`] every few seconds until the server stops.
pub async fn keep_sweeping(state: Shared) {
    let mut every = tokio::time::interval(SWEEP_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if let Err(e) = sweep(&state).await {
            tracing::warn!(error = %e.message(), "ending overdue quiz attempts");
        }
    }
}

pub fn quiz_activity(state: &Shared, quiz: &str) -> String {
    format!("{}/quizzes/{quiz}", state.lrs.home_page)
}

fn actor(state: &Shared, user: &User) -> Value {
    crate::xapi::user_agent(&state.lrs.home_page, user.login.as_str(), &user.name)
}

fn context(state: &Shared, quiz: &str, attempt: &Attempt, parent: bool) -> Value {
    let mut context = json!({ "registration": attempt.id });
    if parent {
        context["contextActivities"] = json!({
            "parent": [{"objectType": "Activity", "id": quiz_activity(state, quiz)}]
        });
    }
    if let Some(b) = &state.settings.satchel_box {
        context["extensions"] = json!({ cartable_core::progress::SATCHEL: b });
    }
    context
}

fn timestamp() -> String {
    xapi::format_timestamp(chrono::Utc::now())
}

#[allow(clippy::too_many_arguments)]
fn answered_statement(
    state: &Shared,
    quiz: &StoredQuiz,
    attempt: &Attempt,
    user: &User,
    qid: &str,
    question: &Question,
    given: &Answer,
    score: &Score,
) -> Value {
    let (kind, response) = match (&question.kind, given) {
        (Kind::Single { .. } | Kind::Multiple { .. }, Answer::Picks(p)) => ("choice", joined(p)),
        (Kind::TrueFalse { .. }, Answer::Flag(f)) => ("true-false", f.to_string()),
        (Kind::Numeric { .. }, Answer::Text(t)) => ("numeric", t.clone()),
        (Kind::ShortText { .. }, Answer::Text(t)) => ("fill-in", t.clone()),
        (Kind::Ordering { .. }, Answer::Picks(p)) => ("sequencing", joined(p)),
        (Kind::Matching { .. }, Answer::Picks(p)) => ("matching", joined(p)),
        (_, other) => ("other", serde_json::to_string(other).unwrap_or_default()),
    };
    let name = if question.title.is_empty() {
        question.text.chars().take(120).collect()
    } else {
        question.title.clone()
    };
    json!({
        "actor": actor(state, user),
        "verb": {"id": ANSWERED, "display": {"en-US": "answered"}},
        "object": {
            "objectType": "Activity",
            "id": format!("{}/questions/{qid}", quiz_activity(state, &quiz.id)),
            "definition": {"type": INTERACTION, "interactionType": kind, "name": {"und": name}},
        },
        "result": {"response": response, "success": score.correct, "score": {"scaled": score.fraction}},
        "context": context(state, &quiz.id, attempt, true),
        "timestamp": timestamp(),
    })
}

fn joined(picks: &[usize]) -> String {
    picks
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join("[,]")
}

fn result_statements(state: &Shared, quiz: &StoredQuiz, done: &Attempt, user: &User) -> Vec<Value> {
    let scaled = scaled(done);
    let passed = scaled + 1e-9 >= quiz.spec.pass;
    let object = json!({
        "objectType": "Activity",
        "id": quiz_activity(state, &quiz.id),
        "definition": {"type": ASSESSMENT, "name": {"und": quiz.spec.title}},
    });
    let result = json!({
        "score": {
            "scaled": scaled,
            "raw": done.credit.unwrap_or(0) as f64 / CREDIT_SCALE,
            "min": 0,
            "max": done.paper.len(),
        },
        "success": passed,
        "completion": true,
        "extensions": { PAPER: done.paper },
    });
    let verb = |id: &str, word: &str| json!({"id": id, "display": {"en-US": word}});
    let statement = |verb: Value| {
        json!({
            "actor": actor(state, user),
            "verb": verb,
            "object": object,
            "result": result,
            "context": context(state, &quiz.id, done, false),
            "timestamp": timestamp(),
        })
    };
    vec![
        statement(verb(SCORED, "scored")),
        if passed {
            statement(verb(PASSED, "passed"))
        } else {
            statement(verb(FAILED, "failed"))
        },
    ]
}

/// Stores statements the platform makes itself, through the LRS's writer;
/// they are its authority's.
pub(crate) async fn record(state: &Shared, statements: Vec<Value>) -> Result<(), ApiError> {
    record_as(state, statements, "quizzes").await
}

/// Stores statements the platform makes on a learner's behalf, with
/// `source` (quizzes, literacy) naming the part of the platform in their
/// authority.
pub(crate) async fn record_as(
    state: &Shared,
    statements: Vec<Value>,
    source: &str,
) -> Result<(), ApiError> {
    let home = &state.lrs.home_page;
    let authority_page = format!("{home}/xapi/platform");
    let mut prepared = Vec::with_capacity(statements.len());
    for mut value in statements {
        let facts = xapi::check_statement(&value)
            .map_err(|e| ApiError::Internal(format!("a {source} record does not check: {e}")))?;
        let id = xapi::new_statement_id();
        if let Some(o) = value.as_object_mut() {
            o.insert("id".into(), Value::String(id.clone()));
            o.insert(
                "authority".into(),
                json!({"objectType": "Agent", "name": "cartable", "account": {"homePage": authority_page, "name": source}}),
            );
            o.insert("version".into(), Value::String("1.0.0".into()));
        }
        let value = xapi::format_exact(&value);
        let json = serde_json::to_string(&value).map_err(|e| ApiError::Internal(e.to_string()))?;
        prepared.push(crate::xapi::Prepared {
            id,
            json,
            value,
            facts,
            authority_id: format!("platform:{source}"),
            authority_ifi: format!("account:{authority_page}|{source}"),
        });
    }
    state
        .lrs
        .writer
        .store(prepared)
        .await
        .map_err(|e| ApiError::Internal(format!("{e:?}")))
}

/// A question as a learner sees it: nothing that gives the answer away.
#[derive(Serialize)]
pub struct Shown {
    pub slot: usize,
    pub title: String,
    pub text: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Single and multiple choice: the options, answered by position.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
    /// Ordering: the items in a mixed order; the answer lists, for each
    /// place, the item (by its position here) put there.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<String>,
    /// Matching: the prompts, and the answers to pick from for each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub prompts: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub units: Vec<String>,
    pub media: Vec<ShownMedia>,
}

#[derive(Serialize)]
pub struct ShownMedia {
    pub url: String,
    pub mime: String,
    pub alt: String,
    pub audio: bool,
}

/// The order the items of an ordering question are shown in, in an
/// attempt: never the right one when there are two or more.
pub fn mixed_order(attempt: &str, slot: usize, n: usize) -> Vec<usize> {
    let mut order = paper::picks(n, None, true, &format!("{attempt}/{slot}"));
    if n > 1 && order.iter().enumerate().all(|(i, p)| i == *p) {
        order.rotate_left(1);
    }
    order
}

/// The distinct answers of a matching question, in alphabetical order,
/// each with the first pair that has it.
pub fn matching_options(pairs: &[(String, String)]) -> Vec<(usize, String)> {
    let mut options: Vec<(usize, String)> = Vec::new();
    for (i, (_, answer)) in pairs.iter().enumerate() {
        if !options.iter().any(|(_, a)| a == answer) {
            options.push((i, answer.clone()));
        }
    }
    options.sort_by(|a, b| a.1.cmp(&b.1));
    options
}

pub fn shown(attempt: &str, slot: usize, q: &Question) -> Shown {
    let mut s = Shown {
        slot,
        title: q.title.clone(),
        text: q.text.clone(),
        kind: "",
        choices: Vec::new(),
        items: Vec::new(),
        prompts: Vec::new(),
        options: Vec::new(),
        units: Vec::new(),
        media: q
            .media
            .iter()
            .map(|m| ShownMedia {
                url: crate::api::blob_url(&m.blob, media_ext(&m.mime)),
                mime: m.mime.clone(),
                alt: m.alt.clone(),
                audio: m.mime.starts_with("audio/"),
            })
            .collect(),
    };
    match &q.kind {
        Kind::Single { choices } => {
            s.kind = "single";
            s.choices = choices.iter().map(|c| c.text.clone()).collect();
        }
        Kind::Multiple { choices } => {
            s.kind = "multiple";
            s.choices = choices.iter().map(|c| c.text.clone()).collect();
        }
        Kind::TrueFalse { .. } => s.kind = "true_false",
        Kind::Numeric { units, .. } => {
            s.kind = "numeric";
            s.units = units.clone();
        }
        Kind::ShortText { .. } => s.kind = "short_text",
        Kind::Ordering { items } => {
            s.kind = "ordering";
            s.items = mixed_order(attempt, slot, items.len())
                .into_iter()
                .map(|i| items[i].clone())
                .collect();
        }
        Kind::Matching { pairs } => {
            s.kind = "matching";
            s.prompts = pairs.iter().map(|p| p.0.clone()).collect();
            s.options = matching_options(pairs).into_iter().map(|o| o.1).collect();
        }
    }
    s
}

fn media_ext(mime: &str) -> &'static str {
    match mime {
        "image/png" => "png",
        "image/jpeg" => "jpg",
        "image/gif" => "gif",
        "image/webp" => "webp",
        "image/svg+xml" => "svg",
        "audio/mpeg" => "mp3",
        "audio/mp4" => "m4a",
        "audio/ogg" => "ogg",
        "audio/wav" => "wav",
        _ => "bin",
    }
}

/// An answer as the API takes it, in the terms of [`Shown`]: for ordering,
/// the shown items by place; for matching, for each prompt the option
/// picked (positions in `options`). Made into the scoring's terms here.
pub fn answer_from_shown(attempt: &str, slot: usize, q: &Question, given: Answer) -> Answer {
    match (&q.kind, given) {
        (Kind::Ordering { items }, Answer::Picks(places)) => {
            let order = mixed_order(attempt, slot, items.len());
            Answer::Picks(
                places
                    .iter()
                    .map(|shown| order.get(*shown).copied().unwrap_or(usize::MAX))
                    .collect(),
            )
        }
        (Kind::Matching { pairs }, Answer::Picks(picked)) => {
            let options = matching_options(pairs);
            Answer::Picks(
                picked
                    .iter()
                    .map(|o| options.get(*o).map_or(usize::MAX, |(pair, _)| *pair))
                    .collect(),
            )
        }
        (_, given) => given,
    }
}

/// How a class (or everyone) did at a quiz.
#[derive(Serialize)]
pub struct Results {
    pub attempts: usize,
    pub finished: usize,
    /// The mean score of the finished attempts, 0 to 1.
    pub mean: Option<f64>,
    pub passed: usize,
    pub questions: Vec<QuestionResult>,
    pub learners: Vec<LearnerResult>,
}

#[derive(Serialize)]
pub struct QuestionResult {
    pub id: String,
    pub title: String,
    #[serde(flatten)]
    pub stats: paper::ItemStats,
}

#[derive(Serialize)]
pub struct LearnerResult {
    pub login: String,
    pub attempts: usize,
    /// The best finished attempt's score, 0 to 1.
    pub best: Option<f64>,
    /// No attempt finished yet, or none passed.
    pub needs_help: bool,
}

/// The figures of a quiz's attempts, by everyone or by the logins given.
pub async fn results(
    state: &Shared,
    quiz: &StoredQuiz,
    only: Option<&std::collections::HashSet<String>>,
) -> Result<Results, ApiError> {
    let attempts: Vec<Attempt> = state
        .db
        .quiz_attempts(&quiz.id)
        .await?
        .into_iter()
        .filter(|a| only.is_none_or(|o| o.contains(&a.login)))
        .collect();
    let answers = state.db.finished_answers(&quiz.id).await?;
    let finished: Vec<&Attempt> = attempts
        .iter()
        .filter(|a| a.finished_at.is_some())
        .collect();
    let items: Vec<Vec<(String, f64)>> = finished
        .iter()
        .map(|a| {
            let got = answers.get(&a.id);
            a.paper
                .iter()
                .enumerate()
                .map(|(slot, q)| {
                    let credit = got
                        .and_then(|g| g.iter().find(|s| s.slot == slot as i64))
                        .map_or(0, |s| s.credit);
                    (q.clone(), credit as f64 / CREDIT_SCALE)
                })
                .collect()
        })
        .collect();
    let stats = paper::item_statistics(&items);
    let ids: Vec<String> = stats.iter().map(|s| s.question.clone()).collect();
    let bodies = questions(state, &ids).await?;
    let questions = stats
        .into_iter()
        .zip(bodies)
        .map(|(stats, q)| QuestionResult {
            id: stats.question.clone(),
            title: if q.title.is_empty() {
                q.text.chars().take(80).collect()
            } else {
                q.title.clone()
            },
            stats,
        })
        .collect();
    let mut learners: Vec<LearnerResult> = Vec::new();
    for a in &attempts {
        let score = a.finished_at.map(|_| scaled(a));
        match learners.iter_mut().find(|l| l.login == a.login) {
            Some(l) => {
                l.attempts += 1;
                l.best = match (l.best, score) {
                    (Some(b), Some(s)) => Some(b.max(s)),
                    (b, s) => b.or(s),
                };
            }
            None => learners.push(LearnerResult {
                login: a.login.clone(),
                attempts: 1,
                best: score,
                needs_help: false,
            }),
        }
    }
    for l in &mut learners {
        l.needs_help = l.best.is_none_or(|b| b + 1e-9 < quiz.spec.pass);
    }
    learners.sort_by(|a, b| b.needs_help.cmp(&a.needs_help).then(a.login.cmp(&b.login)));
    let scores: Vec<f64> = finished.iter().map(|a| scaled(a)).collect();
    Ok(Results {
        attempts: attempts.len(),
        finished: finished.len(),
        mean: (!scores.is_empty()).then(|| scores.iter().sum::<f64>() / scores.len() as f64),
        passed: scores
            .iter()
            .filter(|s| **s + 1e-9 >= quiz.spec.pass)
            .count(),
        questions,
        learners,
    })
}

/// The learner's weak topics over their finished attempts at a quiz.
pub async fn weak_topics(
    state: &Shared,
    attempts: &[Attempt],
) -> Result<Vec<(String, f64)>, ApiError> {
    let mut answered = Vec::new();
    for a in attempts.iter().filter(|a| a.finished_at.is_some()) {
        let saved = state.db.answers(&a.id).await?;
        let qs = questions(state, &a.paper).await?;
        for (slot, q) in qs.iter().enumerate() {
            let credit = saved
                .iter()
                .find(|s| s.slot == slot as i64)
                .map_or(0, |s| s.credit);
            answered.push((q.tags.clone(), credit as f64 / CREDIT_SCALE));
        }
    }
    Ok(paper::weak_topics(&answered, 0.5))
}

/// Rebuilds on a hub the attempts that a box's records tell of (a
/// `scored` record with its paper, and the `answered` records of its
/// registration), so that teachers' figures count them. Attempts already
/// known, and records of quizzes this hub does not have, are left alone.
pub async fn project_box_attempts(
    db: &cartable_store::Db,
    home_page: &str,
    statements: &[Value],
) -> cartable_store::Result<usize> {
    let home = home_page.trim_end_matches('/');
    let prefix = format!("{home}/quizzes/");
    let mut made = 0;
    for s in statements.iter().filter(|s| s["verb"]["id"] == SCORED) {
        let quiz = s["object"]["id"]
            .as_str()
            .and_then(|id| id.strip_prefix(&prefix))
            .filter(|q| !q.contains('/'));
        let account = &s["actor"]["account"];
        let ours = account["homePage"]
            .as_str()
            .map(|h| h.trim_end_matches('/'))
            == Some(home);
        let (Some(quiz), Some(registration), Some(login), Some(paper), true) = (
            quiz,
            s["context"]["registration"].as_str(),
            account["name"].as_str(),
            s["result"]["extensions"][PAPER].as_array(),
            ours,
        ) else {
            continue;
        };
        let paper: Vec<String> = paper
            .iter()
            .filter_map(|q| q.as_str().map(str::to_owned))
            .collect();
        if db.quiz(quiz).await?.is_none() || db.attempt(registration).await?.is_some() {
            continue;
        }
        let at = s["timestamp"]
            .as_str()
            .and_then(|t| xapi::parse_timestamp(t).ok())
            .map_or_else(now, |t| t.timestamp());
        let attempt = Attempt {
            id: registration.to_owned(),
            quiz_id: quiz.to_owned(),
            login: login.to_owned(),
            number: db.attempts_of(quiz, login).await?.len() as i64 + 1,
            paper: paper.clone(),
            started_at: at,
            deadline: None,
            finished_at: None,
            credit: None,
        };
        if !db.start_attempt(&attempt).await? {
            continue;
        }
        let answered = db
            .query_statements(&cartable_store::records::StatementQuery {
                registration: Some(registration.to_owned()),
                verb: Some(ANSWERED.to_owned()),
                ascending: true,
                limit: 1_000,
                ..Default::default()
            })
            .await?;
        for (_, json) in answered {
            let Ok(a) = serde_json::from_str::<Value>(&json) else {
                continue;
            };
            let qid = a["object"]["id"]
                .as_str()
                .and_then(|id| id.rsplit_once("/questions/"))
                .map(|(_, q)| q);
            let Some(slot) = qid.and_then(|q| paper.iter().position(|p| p == q)) else {
                continue;
            };
            let given = answer_of_record(&a);
            let credit = (a["result"]["score"]["scaled"].as_f64().unwrap_or(0.0) * CREDIT_SCALE)
                .round() as i64;
            let given = serde_json::to_string(&given).unwrap_or_default();
            db.save_answer(registration, slot as i64, &given, credit, at, false)
                .await?;
        }
        db.finish_attempt(registration, at).await?;
        made += 1;
    }
    Ok(made)
}

/// An `answered` record's response as an answer (the inverse of
/// [`answered_statement`]'s).
fn answer_of_record(a: &Value) -> Answer {
    let response = a["result"]["response"].as_str().unwrap_or_default();
    match a["object"]["definition"]["interactionType"].as_str() {
        Some("choice" | "sequencing" | "matching") => Answer::Picks(
            response
                .split("[,]")
                .filter_map(|p| p.parse().ok())
                .collect(),
        ),
        Some("true-false") => Answer::Flag(response == "true"),
        _ => Answer::Text(response.to_owned()),
    }
}

// ---- The JSON API ----

pub fn api_router() -> Router<Shared> {
    Router::new()
        .route("/quizzes", get(api_list))
        .route("/quizzes/{id}", get(api_quiz))
        .route("/quizzes/{id}/attempts", post(api_start))
        .route("/quizzes/{id}/results", get(api_results))
        .route("/attempts/{id}", get(api_attempt))
        .route("/attempts/{id}/answers/{slot}", put(api_answer))
        .route("/attempts/{id}/finish", post(api_finish))
}

async fn api_list(State(state): State<Shared>) -> Result<Response, ApiError> {
    let quizzes = state.db.quizzes(None, None).await?;
    let list: Vec<Value> = quizzes
        .iter()
        .map(|q| json!({"id": q.id, "spec": public_spec(&q.spec)}))
        .collect();
    Ok(Json(json!({ "quizzes": list })).into_response())
}

fn public_spec(spec: &QuizSpec) -> Value {
    json!({
        "title": spec.title, "lang": spec.lang, "questions": spec.draw,
        "time_limit": spec.time_limit, "feedback": spec.feedback, "attempts": spec.attempts,
        "pass": spec.pass, "capsule": spec.capsule, "programme": spec.programme,
    })
}

async fn api_quiz(
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let loaded = load(&state, &id).await?;
    Ok(Json(json!({"id": id, "spec": public_spec(&loaded.quiz.spec)})).into_response())
}

async fn api_start(
    State(state): State<Shared>,
    crate::auth::Require(auth, ..): crate::auth::Require<crate::auth::AnyRole>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (status, attempt) = match start(&state, &id, &auth.user).await? {
        Started::New(a) => (StatusCode::CREATED, a),
        Started::Resumed(a) => (StatusCode::OK, a),
        Started::NoMoreAttempts => {
            return Err(ApiError::Conflict(
                "every attempt this quiz allows is used".into(),
            ));
        }
        Started::Queued(place) => {
            let mut response = (
                StatusCode::ACCEPTED,
                Json(json!({"queued": place, "retry_after": LINE_WAIT.as_secs()})),
            )
                .into_response();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("3"));
            return Ok(response);
        }
    };
    Ok((status, Json(attempt_view(&state, &attempt).await?)).into_response())
}

async fn attempt_view(state: &Shared, attempt: &Attempt) -> Result<Value, ApiError> {
    let qs = questions(state, &attempt.paper).await?;
    let shown: Vec<Shown> = qs
        .iter()
        .enumerate()
        .map(|(slot, q)| shown(&attempt.id, slot, q))
        .collect();
    let answers = state.db.answers(&attempt.id).await?;
    let saved: Vec<Value> = answers
        .iter()
        .map(|a| json!({"slot": a.slot, "answer": serde_json::from_str::<Value>(&a.answer).unwrap_or(Value::Null)}))
        .collect();
    Ok(json!({
        "id": attempt.id, "quiz": attempt.quiz_id, "number": attempt.number,
        "started_at": attempt.started_at, "deadline": attempt.deadline,
        "finished_at": attempt.finished_at,
        "score": attempt.finished_at.map(|_| scaled(attempt)),
        "questions": shown, "answers": saved,
    }))
}

async fn api_attempt(
    State(state): State<Shared>,
    crate::auth::Require(auth, ..): crate::auth::Require<crate::auth::AnyRole>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let attempt = own_attempt(&state, &id, &auth.user).await?;
    Ok(Json(attempt_view(&state, &attempt).await?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnswerBody {
    answer: Answer,
}

async fn api_answer(
    State(state): State<Shared>,
    crate::auth::Require(auth, ..): crate::auth::Require<crate::auth::AnyRole>,
    Path((id, slot)): Path<(String, usize)>,
    body: Result<Json<AnswerBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body.map_err(|e| ApiError::Invalid(e.body_text()))?;
    let attempt = own_attempt(&state, &id, &auth.user).await?;
    let qid = attempt
        .paper
        .get(slot)
        .ok_or_else(|| ApiError::Invalid(format!("this paper has no question {}", slot + 1)))?;
    let q = questions(&state, std::slice::from_ref(qid)).await?;
    let given = answer_from_shown(&attempt.id, slot, &q[0], body.answer);
    let done = answer(&state, &attempt, &auth.user, slot, &given).await?;
    let mut out = json!({"saved": true});
    if done.shown {
        out["correct"] = json!(done.score.correct);
        out["score"] = json!(done.score.fraction);
        out["feedback"] = json!(done.score.feedback);
    }
    Ok(Json(out).into_response())
}

async fn api_finish(
    State(state): State<Shared>,
    crate::auth::Require(auth, ..): crate::auth::Require<crate::auth::AnyRole>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let attempt = own_attempt(&state, &id, &auth.user).await?;
    let done = match finish(&state, &attempt, &auth.user).await? {
        Some(done) => done,
        None => own_attempt(&state, &id, &auth.user).await?,
    };
    Ok(Json(attempt_view(&state, &done).await?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultsQuery {
    pub class: Option<String>,
}

/// The logins of a class's learners, for a teacher of it or an admin.
pub async fn class_filter(
    state: &Shared,
    user: &User,
    class: Option<&str>,
) -> Result<Option<std::collections::HashSet<String>>, ApiError> {
    let Some(class) = class else {
        return Ok(None);
    };
    let members = state.db.class_members(class).await?;
    if members.is_empty() && state.db.class(class).await?.is_none() {
        return Err(ApiError::NotFound(format!("class \"{class}\"")));
    }
    let teaches = members
        .iter()
        .any(|(u, m)| u.login == user.login && *m == cartable_core::accounts::Membership::Teacher);
    if !teaches && user.role != cartable_core::accounts::Role::Admin {
        return Err(ApiError::Forbidden);
    }
    Ok(Some(
        members
            .into_iter()
            .filter(|(_, m)| *m == cartable_core::accounts::Membership::Learner)
            .map(|(u, _)| u.login.as_str().to_owned())
            .collect(),
    ))
}

async fn api_results(
    State(state): State<Shared>,
    crate::auth::Require(auth, ..): crate::auth::Require<crate::auth::Teachers>,
    Path(id): Path<String>,
    query: Result<axum::extract::Query<ResultsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let axum::extract::Query(query) =
        query.map_err(|e| ApiError::InvalidParameter(e.body_text()))?;
    let loaded = load(&state, &id).await?;
    let only = class_filter(&state, &auth.user, query.class.as_deref()).await?;
    Ok(Json(results(&state, &loaded.quiz, only.as_ref()).await?).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn starts_past_the_turns_wait_in_line_and_learn_their_place() {
        let quizzes = Quizzes::default();
        let mut held = Vec::new();
        for _ in 0..STARTS_AT_ONCE {
            held.push(quizzes.admit().await.unwrap());
        }
        let (a, b) = tokio::join!(quizzes.admit(), quizzes.admit());
        let mut places = vec![a.err().unwrap(), b.err().unwrap()];
        places.sort_unstable();
        assert_eq!(places, [1, 2]);
        // A turn freed while waiting is taken.
        let waiting = quizzes.admit();
        held.pop();
        assert!(waiting.await.is_ok());
    }
}
