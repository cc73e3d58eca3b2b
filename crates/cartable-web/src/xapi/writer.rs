//! The one writer of statements on this node.
//!
//! Requests hand their checked statements to this task and wait for its
//! answer; it takes every request waiting at that moment into one SQL
//! transaction (a "group commit"), so 64 clients sending one statement
//! each cost one commit, not 64. A request is answered only after its
//! transaction committed: an acknowledged statement survives a kill -9.
//! Each request stays all or nothing: a request whose statement conflicts
//! with a stored one is refused whole before anything is written.

use super::error::{XResult, XapiError};
use super::tally::{Counted, tally};
use cartable_core::progress::{self, Step};
use cartable_core::xapi::{self, Facts};
use cartable_store::Db;
use cartable_store::records::{Doomed, Extras, NewStatement, ProgressRow, StatementQuery};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use tokio::sync::{mpsc, oneshot};

/// How many statements one transaction takes at most. Tried: 1,000, so
/// that parsing and committing would overlap; with 64 clients posting
/// batches of 100 it made 7,000 statements/s against 8,051 at 10,000
/// (bench/xapi.sh, same machine), so the larger groups stay.
const GROUP_LIMIT: usize = 10_000;
/// How many merged activity definitions are remembered, so an unchanged
/// one costs no SQL.
const DEFINITIONS_REMEMBERED: usize = 100_000;

/// A statement checked and ready, except for `stored`, which the writer
/// sets when it commits.
pub struct Prepared {
    pub id: String,
    /// The statement as it will be served, without `stored`, serialised.
    pub json: String,
    pub value: Value,
    pub facts: Facts,
    pub authority_id: String,
    /// The IFI of the authority (the same for a whole request).
    pub authority_ifi: String,
}

struct Job {
    statements: Vec<Prepared>,
    reply: oneshot::Sender<XResult<()>>,
}

#[derive(Clone)]
pub struct Writer {
    jobs: mpsc::Sender<Job>,
    home_page: std::sync::Arc<str>,
}

impl Writer {
    /// Starts the writer task on the current runtime; `home_page` names
    /// the platform's own users, whose progress it projects.
    pub fn start(db: Db, home_page: String) -> Writer {
        let (jobs, receiver) = mpsc::channel(1024);
        let home: std::sync::Arc<str> = home_page.as_str().into();
        tokio::spawn(run(db, home_page, receiver));
        Writer {
            jobs,
            home_page: home,
        }
    }

    /// Stores the statements (all or none) and returns once they are
    /// committed. Statements already stored with the same content are
    /// accepted without a second copy.
    /// The homePage of the platform's own users.
    pub fn home_page(&self) -> &str {
        &self.home_page
    }

    pub async fn store(&self, statements: Vec<Prepared>) -> XResult<()> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job { statements, reply })
            .await
            .map_err(|_| XapiError::Internal("the statement writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| XapiError::Internal("the statement writer has stopped".into()))?
    }
}

async fn run(db: Db, home_page: String, mut receiver: mpsc::Receiver<Job>) {
    let seen = Mutex::new(HashSet::new());
    while let Some(first) = receiver.recv().await {
        let mut count = first.statements.len();
        let mut jobs = vec![first];
        while count < GROUP_LIMIT {
            match receiver.try_recv() {
                Ok(job) => {
                    count += job.statements.len();
                    jobs.push(job);
                }
                Err(_) => break,
            }
        }
        let answers = write_group(&db, &home_page, &jobs, &seen).await;
        for (job, answer) in jobs.into_iter().zip(answers) {
            // A client that went away does not need its answer.
            let _ = job.reply.send(answer);
        }
    }
}

/// Decides each job against what is stored, writes the accepted ones in
/// one transaction, and gives each job its answer.
async fn write_group(
    db: &Db,
    home_page: &str,
    jobs: &[Job],
    seen: &Mutex<HashSet<[u8; 32]>>,
) -> Vec<XResult<()>> {
    let mut wanted: Vec<&str> = Vec::new();
    for job in jobs {
        for s in &job.statements {
            wanted.push(&s.id);
            wanted.extend(s.facts.voids.as_deref());
        }
    }
    let known = match db.known_statements(&wanted).await {
        Ok(known) => known,
        Err(e) => return fail_all(jobs, &e.to_string()),
    };
    // What this group will have stored, for statements met twice in it.
    let mut in_group: HashMap<&str, &Prepared> = HashMap::new();
    let mut answers = Vec::with_capacity(jobs.len());
    let mut accepted: Vec<&Prepared> = Vec::new();
    for job in jobs {
        let answer = decide(job, &known, &in_group);
        if let Ok(new) = &answer {
            for s in new {
                in_group.insert(&s.id, s);
                accepted.push(s);
            }
        }
        answers.push(answer.map(|_| ()));
    }
    if accepted.is_empty() {
        return answers;
    }
    let stored = chrono::Utc::now();
    let stored_text = xapi::format_timestamp(stored);
    // `stored` is shown to the millisecond; filters compare what is shown.
    let micros = stored.timestamp_millis() * 1000;
    let rows: Vec<NewStatement> = accepted
        .iter()
        .map(|s| row(s, &stored_text, micros))
        .collect();
    let definitions = match merged_definitions(db, &accepted, seen).await {
        Ok(d) => d,
        Err(e) => return fail_all(jobs, &e.to_string()),
    };
    let plain: Vec<&str> = accepted
        .iter()
        .filter(|s| s.facts.voids.is_none())
        .map(|s| s.id.as_str())
        .collect();
    let voided_already: HashSet<String> = match db.voided_in_advance(&plain).await {
        Ok(v) => v.into_iter().collect(),
        Err(e) => return fail_all(jobs, &e.to_string()),
    };
    let projected = projection(
        home_page,
        accepted
            .iter()
            .filter(|s| !voided_already.contains(&s.id))
            .map(|s| (&s.value, micros)),
    );
    let counted: Vec<Counted<'_>> = accepted
        .iter()
        .filter(|s| !voided_already.contains(&s.id))
        .filter_map(|s| {
            let login = login_of(home_page, &s.facts.actor.first()?.0)?;
            Some(Counted {
                value: &s.value,
                login,
                stored,
            })
        })
        .collect();
    // One login per learner, not per statement: a synced chunk names the
    // same few learners a thousand times.
    let mut logins: Vec<&str> = counted.iter().map(|c| c.login).collect();
    logins.sort_unstable();
    logins.dedup();
    let schools = match db.schools_of(&logins).await {
        Ok(s) => s,
        Err(e) => return fail_all(jobs, &e.to_string()),
    };
    let extras = Extras {
        definitions,
        progress: projected,
        indicators: tally(home_page, &counted, &schools),
    };
    if let Err(e) = db.insert_statements(&rows, &extras).await {
        return fail_all(jobs, &e.to_string());
    }
    // A voided statement leaves the progress it counted in: recompute
    // those rows from what remains.
    for s in accepted.iter().filter(|s| s.facts.voids.is_some()) {
        let target = s.facts.voids.as_deref().and_then(|t| {
            known
                .get(t)
                .and_then(|k| serde_json::from_str::<Value>(&k.json).ok())
                .or_else(|| in_group.get(t).map(|p| p.value.clone()))
        });
        if let Some(target) = target
            && let Err(e) = reproject(db, home_page, &target).await
        {
            tracing::error!(cause = %e, "cannot recompute progress after a voiding");
        }
    }
    if let Ok(mut seen) = seen.lock() {
        if seen.len() > DEFINITIONS_REMEMBERED {
            seen.clear();
        }
        for s in &accepted {
            for (_, definition) in &s.facts.activities {
                seen.insert(definition_hash(definition));
            }
        }
    }
    answers
}

fn fail_all(jobs: &[Job], cause: &str) -> Vec<XResult<()>> {
    jobs.iter()
        .map(|_| Err(XapiError::Internal(cause.to_owned())))
        .collect()
}

/// The statements of a job still to store, or why the job is refused.
fn decide<'a>(
    job: &'a Job,
    known: &HashMap<String, cartable_store::records::Known>,
    in_group: &HashMap<&str, &Prepared>,
) -> XResult<Vec<&'a Prepared>> {
    let mut new = Vec::new();
    for s in &job.statements {
        if let Some(target) = &s.facts.voids {
            let target_voids = known.get(target).map(|k| k.voids.is_some()).or_else(|| {
                in_group
                    .get(target.as_str())
                    .map(|p| p.facts.voids.is_some())
            });
            if target_voids == Some(true) {
                return Err(XapiError::Bad(format!(
                    "statement {}: it voids {target}, which is itself a voiding statement and cannot be voided",
                    s.id
                )));
            }
        }
        let same = if let Some(k) = known.get(&s.id) {
            let stored: Value = serde_json::from_str(&k.json)
                .map_err(|e| XapiError::Internal(format!("stored statement {}: {e}", s.id)))?;
            Some(xapi::same_statement(&stored, &s.value))
        } else {
            in_group
                .get(s.id.as_str())
                .map(|p| xapi::same_statement(&p.value, &s.value))
        };
        match same {
            Some(true) => {}
            Some(false) => {
                return Err(XapiError::Conflict(format!(
                    "statement {} is stored already with other content; statements never change",
                    s.id
                )));
            }
            None => new.push(s),
        }
    }
    Ok(new)
}

/// The keys of a statement's index rows: (IFI, direct) for every agent it
/// names (its authority too) and (activity, direct) for every activity.
type IndexKeys = (Vec<(String, bool)>, Vec<(String, bool)>);

fn index_keys(facts: &Facts, authority_ifi: &str) -> IndexKeys {
    let mut agents: Vec<(String, bool)> = Vec::new();
    for ifi in facts.actor.iter().chain(&facts.object_agent) {
        agents.push((ifi.0.clone(), true));
    }
    for ifi in &facts.related_agents {
        agents.push((ifi.0.clone(), false));
    }
    agents.push((authority_ifi.to_owned(), false));
    let mut activities: Vec<(String, bool)> = Vec::new();
    if let Some(a) = &facts.activity {
        activities.push((a.clone(), true));
    }
    for a in &facts.related_activities {
        activities.push((a.clone(), false));
    }
    (first_of_each(agents), first_of_each(activities))
}

/// The index keys of a stored statement (to erase its rows).
pub fn stored_index_keys(statement: &Value) -> Option<(Vec<String>, Vec<String>)> {
    let facts = xapi::check_statement(statement).ok()?;
    let (agents, activities) = index_keys(&facts, &authority_ifi(statement));
    Some((
        agents.into_iter().map(|(k, _)| k).collect(),
        activities.into_iter().map(|(k, _)| k).collect(),
    ))
}

fn row(s: &Prepared, stored: &str, micros: i64) -> NewStatement {
    // `json` is an object with at least actor, verb and object: put
    // `stored` first without parsing it again.
    let json = format!("{{\"stored\":\"{stored}\",{}", &s.json[1..]);
    let (agents, activities) = index_keys(&s.facts, &s.authority_ifi);
    NewStatement {
        id: s.id.clone(),
        stored: micros,
        verb: s.facts.verb.clone(),
        activity: s.facts.activity.clone(),
        registration: s.facts.registration.clone(),
        voids: s.facts.voids.clone(),
        refers_to: s.facts.refers_to.clone(),
        authority: s.authority_id.clone(),
        json,
        agents,
        activities,
    }
}

/// Keeps one entry per key, direct if any of them is.
fn first_of_each(entries: Vec<(String, bool)>) -> Vec<(String, bool)> {
    let mut by_key: HashMap<String, bool> = HashMap::new();
    let mut order = Vec::new();
    for (key, direct) in entries {
        match by_key.get_mut(&key) {
            Some(d) => *d |= direct,
            None => {
                order.push(key.clone());
                by_key.insert(key, direct);
            }
        }
    }
    order
        .into_iter()
        .map(|k| {
            let d = by_key.get(&k).copied().unwrap_or(false);
            (k, d)
        })
        .collect()
}

pub fn authority_ifi(statement: &Value) -> String {
    statement
        .get("authority")
        .and_then(|a| xapi::check_agent_param(a).ok())
        .map(|a| a.ifi.0)
        .unwrap_or_default()
}

/// The activity definitions of these statements merged into the stored
/// ones, leaving out those already merged as they are.
async fn merged_definitions(
    db: &Db,
    accepted: &[&Prepared],
    seen: &Mutex<HashSet<[u8; 32]>>,
) -> cartable_store::Result<Vec<(String, String)>> {
    let mut incoming: Vec<(&str, &Value)> = Vec::new();
    {
        let seen = seen.lock().map_err(|_| {
            cartable_store::StoreError::Corrupt("definition memory poisoned".into())
        })?;
        for s in accepted {
            for (id, definition) in &s.facts.activities {
                if !seen.contains(&definition_hash(definition)) {
                    incoming.push((id, definition));
                }
            }
        }
    }
    if incoming.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<&str> = incoming.iter().map(|(id, _)| *id).collect();
    let stored = db.activity_definitions(&ids).await?;
    let mut merged: HashMap<&str, Value> = HashMap::new();
    for (id, definition) in incoming {
        let base = merged
            .remove(id)
            .or_else(|| stored.get(id).and_then(|t| serde_json::from_str(t).ok()));
        let next = match base {
            Some(old) => xapi::merge_definition(&old, definition),
            None => definition.clone(),
        };
        merged.insert(id, next);
    }
    Ok(merged
        .into_iter()
        .map(|(id, d)| (id.to_owned(), d.to_string()))
        .collect())
}

/// What identifies a definition already merged (serde_json keeps object
/// keys sorted, so equal definitions print the same).
fn definition_hash(definition: &Value) -> [u8; 32] {
    *blake3::hash(definition.to_string().as_bytes()).as_bytes()
}

/// The login of a platform user's agent IFI.
fn login_of<'a>(home_page: &str, ifi: &'a str) -> Option<&'a str> {
    ifi.strip_prefix("account:")?
        .strip_prefix(home_page)?
        .strip_prefix('|')
}

/// The progress that statements (oldest first, with when each was stored)
/// add, per platform user and activity.
fn projection<'a>(
    home_page: &str,
    statements: impl Iterator<Item = (&'a Value, i64)>,
) -> Vec<ProgressRow> {
    let mut rows: HashMap<(String, &str), (Step, i64, i64)> = HashMap::new();
    let mut order = Vec::new();
    for (value, stored) in statements {
        let Some(ifi) = value
            .get("actor")
            .and_then(|a| xapi::check_agent_param(a).ok())
            .map(|a| a.ifi.0)
        else {
            continue;
        };
        let Some(login) = login_of(home_page, &ifi) else {
            continue;
        };
        let Some((activity, step)) = progress::step(value) else {
            continue;
        };
        let key = (login.to_owned(), activity);
        match rows.get_mut(&key) {
            // Oldest first: each statement is newer than the sum so far.
            Some((sum, _, last)) => {
                *sum = step.then_older(*sum);
                *last = stored;
            }
            None => {
                order.push(key.clone());
                rows.insert(key, (step, stored, stored));
            }
        }
    }
    order
        .into_iter()
        .filter_map(|key| {
            rows.get(&key)
                .map(|(step, first, last)| progress_row(&key.0, key.1, step, *first, *last))
        })
        .collect()
}

/// Rebuilds the whole progress projection from the statements that stand;
/// returns how many statements were read.
pub async fn rebuild_projection(db: &Db, home_page: &str) -> cartable_store::Result<u64> {
    db.clear_progress().await?;
    let mut query = StatementQuery {
        ascending: true,
        limit: 2_000,
        ..StatementQuery::default()
    };
    let mut read = 0;
    loop {
        let page = db.query_statements(&query).await?;
        let values: Vec<(Value, i64)> = page
            .iter()
            .filter_map(|(_, json)| serde_json::from_str::<Value>(json).ok())
            .map(|v| {
                let at = v
                    .get("stored")
                    .and_then(Value::as_str)
                    .and_then(|t| xapi::parse_timestamp(t).ok())
                    .map_or(0, |t| t.timestamp_micros());
                (v, at)
            })
            .collect();
        let rows = projection(home_page, values.iter().map(|(v, at)| (v, *at)));
        let extras = Extras {
            progress: rows,
            ..Extras::default()
        };
        db.insert_statements(&[], &extras).await?;
        read += page.len() as u64;
        match page.last() {
            Some((seq, _)) if page.len() == query.limit as usize => query.after = Some(*seq),
            _ => return Ok(read),
        }
    }
}

fn progress_row(login: &str, activity: &str, step: &Step, first: i64, last: i64) -> ProgressRow {
    ProgressRow {
        login: login.to_owned(),
        activity: activity.to_owned(),
        position_ms: step.position.map(|p| (p * 1000.0).round() as i64),
        reached: step.reached.map(|r| (r * 1000.0).round() as i64),
        completed: step.completed,
        spent_ms: (step.spent * 1000.0).round() as i64,
        first_at: first,
        last_at: last,
    }
}

/// Recomputes a platform user's progress in a statement's activity from
/// the statements that stand.
pub async fn reproject(db: &Db, home_page: &str, statement: &Value) -> cartable_store::Result<()> {
    let Some(ifi) = statement
        .get("actor")
        .and_then(|a| xapi::check_agent_param(a).ok())
        .map(|a| a.ifi.0)
    else {
        return Ok(());
    };
    let Some(login) = login_of(home_page, &ifi) else {
        return Ok(());
    };
    let Some((activity, _)) = progress::step(statement) else {
        return Ok(());
    };
    let rows = db
        .query_statements(&StatementQuery {
            agent: Some((ifi.clone(), false)),
            activity: Some((activity.to_owned(), false)),
            limit: 100_000,
            ..StatementQuery::default()
        })
        .await?;
    let mut sum: Option<Step> = None;
    let mut first = 0;
    let mut last = 0;
    for (_, json) in &rows {
        let Ok(value) = serde_json::from_str::<Value>(json) else {
            continue;
        };
        let at = value
            .get("stored")
            .and_then(Value::as_str)
            .and_then(|t| xapi::parse_timestamp(t).ok())
            .map_or(0, |t| t.timestamp_micros());
        if let Some((_, step)) = progress::step(&value) {
            // Newest first here.
            if sum.is_none() {
                last = at;
            }
            first = at;
            sum = Some(sum.map_or(step, |s| s.then_older(step)));
        }
    }
    let row = sum.map(|s| progress_row(login, activity, &s, first, last));
    db.replace_progress(login, activity, row.as_ref()).await
}

/// Erases a person's records: the statements naming them as actor or
/// object with exactly their index rows, and what else the store keeps
/// about them (see `Db::erase_records`).
pub async fn erase(db: &Db, ifi: &str, login: &str) -> cartable_store::Result<u64> {
    let doomed: Vec<Doomed> = db
        .statements_naming(ifi)
        .await?
        .into_iter()
        .map(|(seq, json)| {
            let (agents, activities) = serde_json::from_str::<Value>(&json)
                .ok()
                .and_then(|v| stored_index_keys(&v))
                .unwrap_or_else(|| (vec![ifi.to_owned()], Vec::new()));
            Doomed {
                seq,
                agents,
                activities,
            }
        })
        .collect();
    db.erase_records(ifi, login, &doomed).await
}
