//! iCalendar feeds of the live schedule (RFC 5545), which calendar apps
//! subscribe to: the public one, and one per school or class (its own
//! sessions, its school's and the public ones).

use crate::{ApiError, Shared};
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use cartable_store::live::{Listing, LiveSession};
use chrono::{DateTime, Utc};
use icalendar::{Calendar, Component, Event, EventLike};

/// Sessions that ended longer ago than this leave the feeds.
const KEPT_SECONDS: i64 = 30 * 86_400;
const MOST: i64 = 500;

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap_or_default()
}

fn feed(state: &Shared, name: &str, sessions: &[LiveSession]) -> Response {
    let base = state.settings.public_url.trim_end_matches('/');
    let host = base.rsplit("//").next().unwrap_or(base);
    let mut calendar = Calendar::new();
    calendar.name(name);
    for s in sessions {
        let page = format!(
            "{base}/{}/live/{}",
            state.settings.default_lang.code(),
            s.id
        );
        let mut event = Event::new();
        event
            .uid(&format!("{}@{host}", s.id))
            .summary(&s.schedule.title)
            .description(&s.schedule.description)
            .starts(at(s.schedule.starts_at))
            .ends(at(s.schedule.ends_at))
            .url(&page)
            .location(&page);
        calendar.push(event.done());
    }
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/calendar; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            ),
        ],
        calendar.done().to_string(),
    )
        .into_response()
}

/// `/live/calendar.ics`: every public session.
pub async fn public(State(state): State<Shared>) -> Result<Response, ApiError> {
    let sessions = state
        .db
        .live_schedule(&Listing {
            public: true,
            ending_after: cartable_store::now() - KEPT_SECONDS,
            limit: MOST,
            ..Listing::default()
        })
        .await?;
    Ok(feed(&state, "cartable", &sessions))
}

/// `/live/calendar/school/{id}.ics` and `/live/calendar/class/{id}.ics`.
pub async fn group(
    State(state): State<Shared>,
    Path((kind, file)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let id = file
        .strip_suffix(".ics")
        .ok_or_else(|| ApiError::NotFound("calendar".into()))?;
    let mut listing = Listing {
        public: true,
        ending_after: cartable_store::now() - KEPT_SECONDS,
        limit: MOST,
        ..Listing::default()
    };
    let name = match kind.as_str() {
        "school" => {
            let schools = state.db.schools().await?;
            let school = schools
                .into_iter()
                .find(|s| s.id == id)
                .ok_or_else(|| ApiError::NotFound("school".into()))?;
            listing.schools.push(school.id);
            school.name
        }
        "class" => {
            let class = state
                .db
                .class(id)
                .await?
                .ok_or_else(|| ApiError::NotFound("class".into()))?;
            listing.schools.push(class.school.clone());
            listing.classes.push(class.id);
            format!("{} — {}", class.school_name, class.name)
        }
        _ => return Err(ApiError::NotFound("calendar".into())),
    };
    let sessions = state.db.live_schedule(&listing).await?;
    Ok(feed(&state, &name, &sessions))
}
