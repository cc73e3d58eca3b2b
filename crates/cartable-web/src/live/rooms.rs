//! The rooms this node holds open: each fans its events out to every
//! connected viewer, as server-sent events.
//!
//! An event is rendered once into the bytes of its SSE frame and handed to
//! every viewer's stream through a `tokio::sync::broadcast` channel (a
//! clone of those bytes is a reference count). A viewer that falls a whole
//! channel behind is dropped; its browser reconnects with `Last-Event-ID`
//! and catches up from the event table, so a stuck client never slows the
//! others.
//!
//! Events reach a node in number order: on SQLite the node that wrote an
//! event publishes it, on PostgreSQL every node hears it through
//! LISTEN/NOTIFY ([`follow`]). If numbers are skipped (a notification
//! lost while the listening connection was down), the missing events are
//! read from the table before the next is sent.

use crate::Shared;
use bytes::Bytes;
use cartable_store::live::Stored;
use cartable_store::{Db, StoreError};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::broadcast;

/// Frames a room keeps for viewers that are slow to take them; a viewer
/// further behind is dropped.
const BACKLOG: usize = 256;
/// How often each node tells the others its viewer counts.
const VIEWERS_EVERY: Duration = Duration::from_secs(5);
/// A node not heard from for this long holds no viewers.
const NODE_SILENT: Duration = Duration::from_secs(20);

/// One SSE frame, rendered once for every viewer.
#[derive(Debug, Clone)]
pub struct Frame {
    /// The event's number; 0 for frames not kept (the viewer counts).
    pub id: i64,
    pub staff: bool,
    pub bytes: Bytes,
}

impl Frame {
    pub fn of(stored: &Stored) -> Frame {
        let data = serde_json::to_string(&stored.e.event).unwrap_or_else(|_| "{}".into());
        Frame {
            id: stored.e.id,
            staff: stored.staff,
            bytes: Bytes::from(format!(
                "id: {}\nevent: {}\ndata: {data}\n\n",
                stored.e.id,
                stored.e.event.name()
            )),
        }
    }

    fn transient(name: &str, data: &str) -> Frame {
        Frame {
            id: 0,
            staff: false,
            bytes: Bytes::from(format!("event: {name}\ndata: {data}\n\n")),
        }
    }
}

/// What recounts a room owes its viewers.
#[derive(Default)]
struct Owed {
    hands: bool,
    polls: BTreeSet<i64>,
}

pub struct Room {
    pub id: String,
    sender: broadcast::Sender<Frame>,
    /// The number of the last event sent; None until the first.
    sent: tokio::sync::Mutex<Option<i64>>,
    /// This node's viewers by school ("" for those not in a school).
    viewers: Mutex<HashMap<String, u64>>,
    owed: Mutex<Owed>,
    /// The total last told to viewers.
    told: Mutex<Option<String>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A viewer counted in a room until dropped.
pub struct Seat {
    room: Arc<Room>,
    school: String,
    closing: tokio::sync::watch::Receiver<bool>,
}

impl Seat {
    /// Resolves when the server starts stopping.
    pub async fn closing(&mut self) {
        let _ = self.closing.wait_for(|c| *c).await;
    }
}

impl Drop for Seat {
    fn drop(&mut self) {
        metrics::gauge!("cartable_live_viewers").decrement(1.0);
        let mut viewers = lock(&self.room.viewers);
        if let Some(n) = viewers.get_mut(&self.school) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                viewers.remove(&self.school);
            }
        }
    }
}

/// One node's viewer counts for one room, as sent to the others.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NodeViewers {
    node: String,
    pub s: String,
    pub schools: HashMap<String, u64>,
}

/// The viewers of a room across every node, as viewers are told.
#[derive(Debug, Serialize)]
pub struct Viewers {
    pub total: u64,
    /// (school id, viewers), most first; "" for viewers at home.
    pub schools: Vec<(String, u64)>,
}

/// Viewers by school, and when a node said so.
type NodeCounts = (HashMap<String, u64>, Instant);

pub struct Rooms {
    rooms: Mutex<HashMap<String, Arc<Room>>>,
    /// This node's name in viewer counts.
    node: String,
    /// Other nodes' counts: (node, room) → counts and when heard.
    others: Mutex<HashMap<(String, String), NodeCounts>>,
    /// Set when the server stops: every stream ends, so browsers reconnect
    /// to another node at once instead of holding the shutdown.
    closing: tokio::sync::watch::Sender<bool>,
    upstream_counts: std::sync::atomic::AtomicBool,
}

impl Default for Rooms {
    fn default() -> Self {
        let mut bytes = [0u8; 8];
        let node = match getrandom::fill(&mut bytes) {
            Ok(()) => bytes.iter().map(|b| format!("{b:02x}")).collect(),
            Err(_) => format!("{}", std::process::id()),
        };
        Rooms {
            rooms: Mutex::new(HashMap::new()),
            node,
            others: Mutex::new(HashMap::new()),
            closing: tokio::sync::watch::channel(false).0,
            upstream_counts: std::sync::atomic::AtomicBool::new(false),
        }
    }
}

impl Rooms {
    fn room(&self, id: &str) -> Arc<Room> {
        lock(&self.rooms)
            .entry(id.to_owned())
            .or_insert_with(|| {
                Arc::new(Room {
                    id: id.to_owned(),
                    sender: broadcast::channel(BACKLOG).0,
                    sent: tokio::sync::Mutex::new(None),
                    viewers: Mutex::new(HashMap::new()),
                    owed: Mutex::new(Owed::default()),
                    told: Mutex::new(None),
                })
            })
            .clone()
    }

    fn existing(&self, id: &str) -> Option<Arc<Room>> {
        lock(&self.rooms).get(id).cloned()
    }

    /// Joins a room: frames from now on, and a seat in its viewer count
    /// that also says when the server is stopping.
    pub fn join(&self, id: &str, school: &str) -> (broadcast::Receiver<Frame>, Seat) {
        let room = self.room(id);
        *lock(&room.viewers).entry(school.to_owned()).or_insert(0) += 1;
        metrics::gauge!("cartable_live_viewers").increment(1.0);
        (
            room.sender.subscribe(),
            Seat {
                room: room.clone(),
                school: school.to_owned(),
                closing: self.closing.subscribe(),
            },
        )
    }

    /// Ends every event stream of this node (the server is stopping).
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    /// Publishes an event this node wrote: at once on SQLite (the only
    /// node); on PostgreSQL the notification brings it to every node,
    /// this one included.
    pub async fn published(&self, db: &Db, stored: &Stored) {
        if db.engine == cartable_store::db::Engine::Sqlite {
            self.deliver(db, stored).await;
        }
    }

    /// Sends an event to the room's viewers on this node, after any it
    /// skipped.
    pub async fn deliver(&self, db: &Db, stored: &Stored) {
        let Some(room) = self.existing(&stored.s) else {
            return;
        };
        let mut sent = room.sent.lock().await;
        if let Some(last) = *sent {
            if stored.e.id <= last {
                return;
            }
            if stored.e.id > last + 1 {
                match db
                    .room_events_after(&stored.s, last, stored.e.id - last - 1)
                    .await
                {
                    Ok(missed) => {
                        for m in &missed {
                            let _ = room.sender.send(Frame::of(m));
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, room = %stored.s, "missed room events could not be read")
                    }
                }
            }
        }
        let _ = room.sender.send(Frame::of(stored));
        *sent = Some(stored.e.id);
    }

    /// Sends every room's events it has not sent yet: after the listening
    /// connection was lost.
    async fn catch_up(&self, db: &Db) {
        let rooms: Vec<Arc<Room>> = lock(&self.rooms).values().cloned().collect();
        for room in rooms {
            let mut sent = room.sent.lock().await;
            let Some(last) = *sent else { continue };
            match db.room_events_after(&room.id, last, 10_000).await {
                Ok(missed) => {
                    for m in &missed {
                        let _ = room.sender.send(Frame::of(m));
                        *sent = Some(m.e.id);
                    }
                }
                Err(e) => tracing::warn!(error = %e, "room events could not be read"),
            }
        }
    }

    /// Notes that a room's count of hands changed; it is sent within a
    /// second, once for many changes.
    pub fn owe_hands(&self, id: &str) {
        lock(&self.room(id).owed).hands = true;
    }

    /// Notes that a poll got votes.
    pub fn owe_poll(&self, id: &str, poll: i64) {
        lock(&self.room(id).owed).polls.insert(poll);
    }

    /// Counts what is owed and publishes it; forgets rooms nobody watches
    /// and that owe nothing.
    async fn settle(&self, db: &Db) -> Result<(), StoreError> {
        let rooms: Vec<Arc<Room>> = lock(&self.rooms).values().cloned().collect();
        for room in rooms {
            let owed = std::mem::take(&mut *lock(&room.owed));
            if owed.hands {
                let raised = db.hands_raised(&room.id).await?;
                let event = cartable_core::live::RoomEvent::Hands { raised };
                if let Some(stored) = db.room_event(&room.id, event).await? {
                    self.published(db, &stored).await;
                }
            }
            for poll in owed.polls {
                if let Some(p) = db.poll(&room.id, poll).await? {
                    let event = cartable_core::live::RoomEvent::Poll(p);
                    if let Some(stored) = db.room_event(&room.id, event).await? {
                        self.published(db, &stored).await;
                    }
                }
            }
        }
        lock(&self.rooms).retain(|_, room| {
            room.sender.receiver_count() > 0 || {
                let owed = lock(&room.owed);
                owed.hands || !owed.polls.is_empty()
            }
        });
        Ok(())
    }

    /// This node's counts, for the others.
    pub fn local_counts(&self) -> Vec<NodeViewers> {
        lock(&self.rooms)
            .values()
            .map(|room| NodeViewers {
                node: self.node.clone(),
                s: room.id.clone(),
                schools: lock(&room.viewers).clone(),
            })
            .collect()
    }

    /// A school relay's viewers, counted like another node's and told to
    /// the other nodes.
    pub async fn relayed_viewers(&self, db: &Db, relay: &str, id: &str, school: &str, n: u64) {
        let counts = NodeViewers {
            node: format!("relay:{relay}"),
            s: id.to_owned(),
            schools: [(school.to_owned(), n)].into(),
        };
        let payload = serde_json::to_string(&counts).unwrap_or_default();
        if let Err(e) = db.notify_viewers(&payload).await {
            tracing::warn!(error = %e, "relay viewer counts could not be sent");
        }
        self.heard(counts);
    }

    /// Passes a frame a relay heard from its hub (the viewer counts) to
    /// this node's viewers.
    pub fn relay_frame(&self, id: &str, name: &str, data: &str) {
        if let Some(room) = self.existing(id) {
            let _ = room.sender.send(Frame::transient(name, data));
        }
    }

    /// On a relay: the viewer counts come from the hub, not from here.
    pub fn counts_from_upstream(&self) {
        self.upstream_counts
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    fn heard(&self, counts: NodeViewers) {
        if counts.node == self.node {
            return;
        }
        lock(&self.others).insert((counts.node, counts.s), (counts.schools, Instant::now()));
    }

    /// A room's viewers on every node.
    pub fn viewers(&self, id: &str) -> Viewers {
        let mut schools: HashMap<String, u64> = HashMap::new();
        if let Some(room) = self.existing(id) {
            for (school, n) in lock(&room.viewers).iter() {
                *schools.entry(school.clone()).or_default() += n;
            }
        }
        let mut others = lock(&self.others);
        others.retain(|_, (_, at)| at.elapsed() < NODE_SILENT);
        for ((_, room), (counts, _)) in others.iter() {
            if room == id {
                for (school, n) in counts {
                    *schools.entry(school.clone()).or_default() += n;
                }
            }
        }
        let mut schools: Vec<(String, u64)> = schools.into_iter().filter(|(_, n)| *n > 0).collect();
        schools.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Viewers {
            total: schools.iter().map(|(_, n)| n).sum(),
            schools,
        }
    }

    /// Tells each room's viewers on this node the count across nodes, when
    /// it changed.
    fn tell_viewers(&self) {
        if self
            .upstream_counts
            .load(std::sync::atomic::Ordering::Relaxed)
        {
            return;
        }
        let rooms: Vec<Arc<Room>> = lock(&self.rooms).values().cloned().collect();
        for room in rooms {
            if room.sender.receiver_count() == 0 {
                continue;
            }
            let data = serde_json::to_string(&self.viewers(&room.id)).unwrap_or_default();
            let mut told = lock(&room.told);
            if told.as_deref() != Some(data.as_str()) {
                let _ = room.sender.send(Frame::transient("viewers", &data));
                *told = Some(data);
            }
        }
    }
}

/// Keeps this node's rooms current for as long as the server runs: hears
/// other nodes' events and counts (PostgreSQL), sends owed recounts every
/// second, and viewer counts every few seconds.
pub async fn follow(state: Shared) {
    let listener = tokio::spawn(listen(state.clone()));
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_counts = Instant::now() - VIEWERS_EVERY;
    loop {
        tick.tick().await;
        if let Err(e) = state.rooms.settle(&state.db).await {
            tracing::warn!(error = %e, "room recounts failed");
        }
        if last_counts.elapsed() >= VIEWERS_EVERY {
            last_counts = Instant::now();
            for counts in state.rooms.local_counts() {
                let payload = serde_json::to_string(&counts).unwrap_or_default();
                if let Err(e) = state.db.notify_viewers(&payload).await {
                    tracing::warn!(error = %e, "viewer counts could not be sent");
                }
            }
            state.rooms.tell_viewers();
        }
        if listener.is_finished() {
            return;
        }
    }
}

/// Hears room events and viewer counts from every node (PostgreSQL).
async fn listen(state: Shared) {
    let mut listener = loop {
        match state.db.live_listener().await {
            Ok(Some(l)) => break l,
            Ok(None) => return std::future::pending().await,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for room events; trying again");
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        }
    };
    loop {
        match listener.next().await {
            Ok(cartable_store::live::Heard::Event(stored)) => {
                state.rooms.deliver(&state.db, &stored).await
            }
            Ok(cartable_store::live::Heard::Viewers(payload)) => {
                if let Ok(counts) = serde_json::from_str(&payload) {
                    state.rooms.heard(counts);
                }
            }
            Ok(cartable_store::live::Heard::Lost) => state.rooms.catch_up(&state.db).await,
            Err(e) => {
                tracing::warn!(error = %e, "listening for room events failed; trying again");
                tokio::time::sleep(Duration::from_secs(1)).await;
                state.rooms.catch_up(&state.db).await;
            }
        }
    }
}
