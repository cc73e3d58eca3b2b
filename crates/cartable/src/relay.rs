//! `cartable serve --relay HUB_URL`: a school's box that serves the hub's
//! live sessions to every screen of the school from one copy.
//!
//! For each session the hub lets the school watch (the account of
//! `relay_token`), the relay keeps the schedule, and while one is live it
//! copies each new segment once (checked against its hash) before
//! offering the playlist that names it, follows the room's events over one
//! upstream event stream (resuming from its last event after a cut), tells
//! the hub how many watch here, and forwards its classroom users'
//! questions, hands and votes. A cut of the hub is a pause: what was
//! copied keeps playing, and everything resumes where it stopped.

use anyhow::Context;
use cartable_core::BlobHash;
use cartable_core::live::LiveState;
use cartable_store::live::{LiveSession, Stored};
use cartable_web::Shared;
use futures_util::future::BoxFuture;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How often the schedule is read again.
const SCHEDULE_EVERY: Duration = Duration::from_secs(10);
/// How often a live playlist is read again: a segment's length at most.
const PLAYLIST_EVERY: Duration = Duration::from_millis(1000);
const VIEWERS_EVERY: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub struct Hub {
    base: String,
    token: String,
    http: reqwest::Client,
}

impl Hub {
    pub fn new(base: &str, token: &str) -> anyhow::Result<Hub> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        Ok(Hub {
            base: base.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
            http: reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(5))
                .build()?,
        })
    }

    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
    }
}

impl cartable_web::live::Upstream for Hub {
    fn forward(
        &self,
        path: String,
        fields: Vec<(String, String)>,
    ) -> BoxFuture<'static, Result<(), String>> {
        let hub = self.clone();
        Box::pin(async move {
            let response = hub
                .http
                .post(format!("{}{path}", hub.base))
                .bearer_auth(&hub.token)
                .header("accept", "application/json")
                .header("content-type", "application/x-www-form-urlencoded")
                .timeout(Duration::from_secs(10))
                .body(serde_urlencoded::to_string(&fields).map_err(|e| e.to_string())?)
                .send()
                .await
                .map_err(|e| format!("the hub cannot be reached: {e}"))?;
            if response.status().is_success() {
                Ok(())
            } else {
                Err(format!("the hub refused it ({})", response.status()))
            }
        })
    }
}

/// Runs the relay for as long as the server runs.
pub async fn run(state: Shared, hub: Hub) {
    state.rooms.counts_from_upstream();
    let _ = state.upstream.set(Arc::new(hub.clone()));
    let following: Arc<Mutex<HashSet<String>>> = Arc::default();
    loop {
        match schedule(&hub).await {
            Ok(sessions) => {
                for session in sessions {
                    if let Err(e) = state.db.mirror_live(&session).await {
                        tracing::warn!(error = %e, "cannot keep the hub's session");
                        continue;
                    }
                    let new = session.state == LiveState::Live
                        && following
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .insert(session.id.clone());
                    if new {
                        tokio::spawn(follow(
                            state.clone(),
                            hub.clone(),
                            session.id,
                            following.clone(),
                        ));
                    }
                }
            }
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "cannot read the hub's live schedule")
            }
        }
        tokio::time::sleep(SCHEDULE_EVERY).await;
    }
}

async fn schedule(hub: &Hub) -> anyhow::Result<Vec<LiveSession>> {
    let response = hub.get("/api/v1/live").send().await?.error_for_status()?;
    let body: serde_json::Value = response.json().await?;
    Ok(serde_json::from_value(body["sessions"].clone())?)
}

/// Follows one live session until it ends: its room, its playlist, its
/// viewer count.
async fn follow(state: Shared, hub: Hub, id: String, following: Arc<Mutex<HashSet<String>>>) {
    tracing::info!(session = %id, "relaying a live session");
    let events = tokio::spawn(room(state.clone(), hub.clone(), id.clone()));
    let counts = tokio::spawn(viewers(state.clone(), hub.clone(), id.clone()));
    playlist(&state, &hub, &id).await;
    // The end's events may still be on their way.
    tokio::time::sleep(Duration::from_secs(5)).await;
    events.abort();
    counts.abort();
    following
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .remove(&id);
    tracing::info!(session = %id, "the relayed session ended");
}

/// Copies the playlist and each segment it names, until `#EXT-X-ENDLIST`.
async fn playlist(state: &Shared, hub: &Hub, id: &str) {
    let mut have: HashSet<String> = HashSet::new();
    let mut last = String::new();
    loop {
        match copy_playlist(state, hub, id, &mut have, &last).await {
            Ok(Some(text)) => {
                let done = text.contains("#EXT-X-ENDLIST");
                last = text;
                if done {
                    return;
                }
            }
            Ok(None) => {}
            Err(e) => {
                tracing::debug!(session = %id, error = %format!("{e:#}"), "the hub's playlist is out of reach")
            }
        }
        tokio::time::sleep(PLAYLIST_EVERY).await;
    }
}

async fn copy_playlist(
    state: &Shared,
    hub: &Hub,
    id: &str,
    have: &mut HashSet<String>,
    last: &str,
) -> anyhow::Result<Option<String>> {
    let response = hub
        .get(&format!("/live/{id}/index.m3u8"))
        .timeout(Duration::from_secs(5))
        .send()
        .await?;
    if response.status() == reqwest::StatusCode::NOT_FOUND {
        return Ok(None);
    }
    let text = response.error_for_status()?.text().await?;
    if text == last {
        return Ok(None);
    }
    let names = cartable_media::playlist::live_names(&text).map_err(|e| anyhow::anyhow!(e))?;
    for name in names {
        if have.contains(&name) {
            continue;
        }
        let hash = name.split('.').next().unwrap_or_default();
        let hash = BlobHash::try_from(hash)
            .map_err(|e| anyhow::anyhow!("the hub's playlist names {name}: {e}"))?;
        if !state.blobs.exists(&hash).await? {
            let bytes = hub
                .get(&format!("/media/b/{name}"))
                .timeout(Duration::from_secs(30))
                .send()
                .await?
                .error_for_status()?
                .bytes()
                .await?;
            let stored = state.blobs.put_bytes(bytes).await?;
            anyhow::ensure!(stored == hash, "{name}: the bytes do not match their hash");
            metrics::counter!("cartable_relay_segments_total").increment(1);
        }
        have.insert(name);
    }
    state.db.put_relayed_playlist(id, &text).await?;
    cartable_web::live::keep_playlist(state, id, &text);
    Ok(Some(text))
}

/// Follows the room's events over one upstream stream, resuming after the
/// last one stored here.
async fn room(state: Shared, hub: Hub, id: String) {
    loop {
        if let Err(e) = room_once(&state, &hub, &id).await {
            tracing::debug!(session = %id, error = %format!("{e:#}"), "the hub's room stream was cut");
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn room_once(state: &Shared, hub: &Hub, id: &str) -> anyhow::Result<()> {
    let after = state.db.live_session(id).await?.map_or(0, |s| s.last_event);
    let mut response = hub
        .get(&format!("/live/{id}/events"))
        .header("last-event-id", after.to_string())
        .send()
        .await?
        .error_for_status()?;
    let mut buffer = String::new();
    while let Some(chunk) = response.chunk().await? {
        buffer.push_str(std::str::from_utf8(&chunk).context("the hub's event stream")?);
        while let Some(end) = buffer.find("\n\n") {
            let frame: String = buffer.drain(..end + 2).collect();
            relay_frame(state, id, &frame).await?;
        }
    }
    Ok(())
}

async fn relay_frame(state: &Shared, id: &str, frame: &str) -> anyhow::Result<()> {
    let mut number = None;
    let mut name = "";
    let mut data = None;
    for line in frame.lines() {
        if let Some(v) = line.strip_prefix("id: ") {
            number = v.parse::<i64>().ok();
        } else if let Some(v) = line.strip_prefix("event: ") {
            name = v;
        } else if let Some(v) = line.strip_prefix("data: ") {
            data = Some(v);
        }
    }
    let Some(data) = data else { return Ok(()) };
    match number {
        Some(n) => {
            let stored = Stored {
                s: id.to_owned(),
                staff: false,
                e: cartable_core::live::Numbered {
                    id: n,
                    event: serde_json::from_str(data).context("a room event from the hub")?,
                },
            };
            if let cartable_core::live::RoomEvent::State { state: s } = &stored.e.event
                && let Ok(Some(mut session)) = state.db.live_session(id).await
            {
                session.state = *s;
                state.db.mirror_live(&session).await?;
            }
            if state.db.put_relayed_event(&stored).await? {
                state.rooms.deliver(&state.db, &stored).await;
            }
        }
        None => state.rooms.relay_frame(id, name, data),
    }
    Ok(())
}

/// Tells the hub how many watch here.
async fn viewers(state: Shared, hub: Hub, id: String) {
    loop {
        let here = state.rooms.viewers(&id).total;
        let sent = hub
            .http
            .post(format!("{}/live/{id}/viewers", hub.base))
            .bearer_auth(&hub.token)
            .timeout(Duration::from_secs(5))
            .json(&serde_json::json!({ "viewers": here }))
            .send()
            .await;
        if let Err(e) = sent {
            tracing::debug!(session = %id, error = %e, "the hub did not hear the viewer count");
        }
        tokio::time::sleep(VIEWERS_EVERY).await;
    }
}
