//! The live pages: the schedule, the form a broadcaster schedules with,
//! and the room (video, slide, questions, hands, polls, viewers), with the
//! room's small forms. Every form works without JavaScript (a post and a
//! redirect back); `assets/live.js` sends them in the background instead,
//! so the video keeps playing, and follows the room's event stream.

use super::account::personal;
use super::view::Page;
use super::{PageError, ui_lang};
use crate::Shared;
use crate::auth::{Auth, MaybeAuth, Require, Roles, url_encode};
use crate::i18n::UiLang;
use crate::live::moderates;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use bytes::Bytes;
use cartable_core::accounts::{Role, Secret};
use cartable_core::live::{
    Audience, LiveState, Poll, Question, QuestionState, RoomEvent, Schedule, check_poll,
    check_question, new_id,
};
use cartable_store::live::{Listing, LiveSession, Registration};
use chrono::{DateTime, NaiveDateTime};

/// Who may schedule and broadcast: broadcasters and teachers.
pub struct Broadcasters;

impl Roles for Broadcasters {
    const ALLOWED: &'static [Role] = &[Role::Broadcaster, Role::Teacher, Role::Admin];
}

/// A session as the schedule lists it.
pub struct Listed {
    pub id: String,
    pub title: String,
    pub when: String,
    pub state: &'static str,
}

fn when(s: &Schedule) -> String {
    let fmt = |t: i64| {
        DateTime::from_timestamp(t, 0)
            .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default()
    };
    let end = DateTime::from_timestamp(s.ends_at, 0)
        .map(|d| d.format("%H:%M").to_string())
        .unwrap_or_default();
    format!("{} – {end} UTC", fmt(s.starts_at))
}

fn state_key(state: LiveState) -> &'static str {
    match state {
        LiveState::Live => "live-state-live",
        LiveState::Ended => "live-state-ended",
        LiveState::Scheduled => "live-state-scheduled",
    }
}

fn listed(s: &LiveSession) -> Listed {
    Listed {
        id: s.id.clone(),
        title: s.schedule.title.clone(),
        when: when(&s.schedule),
        state: state_key(s.state),
    }
}

/// The schools and classes a user belongs to.
async fn groups_of(state: &Shared, auth: Option<&Auth>) -> (Vec<String>, Vec<String>) {
    let Some(auth) = auth else {
        return (Vec::new(), Vec::new());
    };
    let classes = state
        .db
        .classes_of(auth.user.login.as_str())
        .await
        .unwrap_or_default();
    let mut schools: Vec<String> = classes.iter().map(|(c, _)| c.school.clone()).collect();
    schools.dedup();
    (schools, classes.into_iter().map(|(c, _)| c.id).collect())
}

/// What a page may list for this caller: public sessions and those of
/// their schools and classes (staff see every one they made too).
pub async fn listing_for(state: &Shared, auth: Option<&Auth>, limit: i64) -> Listing {
    let (schools, classes) = groups_of(state, auth).await;
    Listing {
        public: true,
        schools,
        classes,
        ending_after: cartable_store::now() - 7 * 86_400,
        limit,
    }
}

/// Whether the caller may open a session's room: public sessions are for
/// everyone; others for their schools' and classes' members, their
/// author and admins.
pub async fn may_watch(state: &Shared, session: &LiveSession, auth: Option<&Auth>) -> bool {
    let audience = &session.schedule.audience;
    // A school relay mirrors only what its hub lets the school watch.
    if audience.public || moderates(session, auth) || state.upstream.get().is_some() {
        return true;
    }
    let (schools, classes) = groups_of(state, auth).await;
    schools.iter().any(|s| audience.schools.contains(s))
        || classes.iter().any(|c| audience.classes.contains(c))
}

/// The sessions a home page shows: live now, then the next ones.
pub async fn upcoming(
    state: &Shared,
    lang: UiLang,
    auth: Option<&Auth>,
) -> Result<Vec<Listed>, PageError> {
    let mut listing = listing_for(state, auth, 5).await;
    listing.ending_after = cartable_store::now();
    Ok(state
        .db
        .live_schedule(&listing)
        .await
        .map_err(|e| (lang, e))?
        .iter()
        .filter(|s| s.state != LiveState::Ended)
        .map(listed)
        .collect())
}

#[derive(Template)]
#[template(path = "live.html")]
struct ScheduleTemplate {
    page: Page,
    now: Vec<Listed>,
    later: Vec<Listed>,
    past: Vec<Listed>,
    can_schedule: bool,
    /// (label, URL) of the calendar feeds for this caller.
    feeds: Vec<(String, String)>,
}

/// `/{lang}/live`: live now, coming, and the past week's.
pub async fn schedule(
    State(state): State<Shared>,
    Path(lang): Path<String>,
    MaybeAuth(auth): MaybeAuth,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let page = Page::new_static(lang, "live-title", "/live".into());
    let listing = listing_for(&state, auth.as_ref(), 200).await;
    let sessions = state
        .db
        .live_schedule(&listing)
        .await
        .map_err(|e| (lang, e))?;
    let mut t = ScheduleTemplate {
        now: Vec::new(),
        later: Vec::new(),
        past: Vec::new(),
        can_schedule: auth
            .as_ref()
            .is_some_and(|a| Broadcasters::ALLOWED.contains(&a.user.role)),
        feeds: vec![(page.t("live-feed-public"), "/live/calendar.ics".into())],
        page,
    };
    for s in &sessions {
        let item = listed(s);
        match s.state {
            LiveState::Live => t.now.push(item),
            LiveState::Scheduled => t.later.push(item),
            LiveState::Ended => t.past.push(item),
        }
    }
    t.past.reverse();
    if let Some(auth) = &auth {
        for (class, _) in state
            .db
            .classes_of(auth.user.login.as_str())
            .await
            .map_err(|e| (lang, e))?
        {
            t.feeds.push((
                format!("{} — {}", class.school_name, class.name),
                format!("/live/calendar/class/{}.ics", url_encode(&class.id)),
            ));
        }
    }
    personal(lang, StatusCode::OK, t.render())
}

#[derive(Template)]
#[template(path = "live-new.html")]
struct NewTemplate {
    page: Page,
    csrf: String,
    errors: Vec<String>,
    form: NewForm,
    /// After creating: what the broadcaster needs, shown once.
    created: Option<Created>,
    programmes: Vec<(String, String)>,
    series: Vec<(String, String)>,
    levels: Vec<(String, String)>,
    subjects: Vec<(String, String)>,
}

#[derive(Default)]
pub struct NewForm {
    pub title: String,
    pub description: String,
    pub lang: String,
    pub start: String,
    pub minutes: String,
    pub public: bool,
    pub schools: String,
    pub classes: String,
    pub capacity: String,
    pub programme: String,
    pub series: String,
    pub level: String,
    pub subject: String,
}

pub struct Created {
    pub id: String,
    pub viewer: String,
    pub ingest: String,
    pub ffmpeg: String,
}

/// (id, label) choices of a select.
type Choices = Vec<(String, String)>;

/// The taxonomy's levels and subjects as choices.
fn taxonomy_choices(state: &Shared, lang: UiLang) -> (Choices, Choices) {
    let t = &state.taxonomy;
    (
        t.levels
            .iter()
            .map(|l| {
                (
                    l.id.to_string(),
                    t.level_label(l.id.as_str(), lang.code()).to_owned(),
                )
            })
            .collect(),
        t.subjects
            .iter()
            .map(|s| {
                (
                    s.id.to_string(),
                    t.subject_label(s.id.as_str(), lang.code()).to_owned(),
                )
            })
            .collect(),
    )
}

async fn series(state: &Shared, lang: UiLang) -> Result<Vec<(String, String)>, PageError> {
    Ok(state
        .db
        .all_series()
        .await
        .map_err(|e| (lang, e))?
        .into_iter()
        .map(|s| (s.id, s.title))
        .collect())
}

async fn programmes(state: &Shared, lang: UiLang) -> Result<Vec<(String, String)>, PageError> {
    Ok(state
        .db
        .programmes()
        .await
        .map_err(|e| (lang, e))?
        .iter()
        .map(|p| (p.id.to_string(), super::text_in(&p.titles, lang)))
        .collect())
}

pub async fn new_form(
    State(state): State<Shared>,
    Path(lang): Path<String>,
    Require(auth, ..): Require<Broadcasters>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let (levels, subjects) = taxonomy_choices(&state, lang);
    let t = NewTemplate {
        levels,
        subjects,
        page: Page::new_static(lang, "live-new-title", "/live/new".into()),
        csrf: auth.csrf.unwrap_or_default(),
        errors: Vec::new(),
        form: NewForm {
            lang: lang.code().to_owned(),
            minutes: "60".into(),
            public: true,
            ..NewForm::default()
        },
        created: None,
        programmes: programmes(&state, lang).await?,
        series: series(&state, lang).await?,
    };
    personal(lang, StatusCode::OK, t.render())
}

fn fields(body: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes(body).unwrap_or_default()
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.trim())
}

fn list(text: &str) -> Vec<String> {
    text.split([',', ' ', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A schedule from the form, or what is wrong with it.
fn schedule_from(form: &NewForm) -> Result<Schedule, String> {
    let start = NaiveDateTime::parse_from_str(&form.start, "%Y-%m-%dT%H:%M")
        .map_err(|_| "start: give a date and time (YYYY-MM-DDTHH:MM, UTC)".to_owned())?
        .and_utc()
        .timestamp();
    let minutes: i64 = form
        .minutes
        .parse()
        .map_err(|_| "duration: give a number of minutes".to_owned())?;
    let capacity = match form.capacity.as_str() {
        "" => None,
        c => Some(
            c.parse::<u32>()
                .map_err(|_| "capacity: give a number, or leave it empty".to_owned())?,
        ),
    };
    let programme = match form.programme.as_str() {
        "" => None,
        p => Some(cartable_core::ProgrammeId::try_from(p).map_err(|e| format!("programme: {e}"))?),
    };
    let level = match form.level.as_str() {
        "" => None,
        l => Some(cartable_core::LevelId::try_from(l).map_err(|e| format!("level: {e}"))?),
    };
    let subject = match form.subject.as_str() {
        "" => None,
        s => Some(cartable_core::SubjectId::try_from(s).map_err(|e| format!("subject: {e}"))?),
    };
    let schedule = Schedule {
        title: form.title.clone(),
        description: form.description.clone(),
        lang: cartable_core::Lang::try_from(form.lang.as_str())
            .map_err(|e| format!("language: {e}"))?,
        level,
        subject,
        starts_at: start,
        ends_at: start + minutes * 60,
        audience: Audience {
            public: form.public,
            schools: list(&form.schools),
            classes: list(&form.classes),
        },
        capacity,
        programme,
        series: Some(form.series.clone()).filter(|s| !s.is_empty()),
    };
    schedule.check().map_err(|e| e.to_string())?;
    Ok(schedule)
}

/// What a new session needs besides its schedule: an id and an ingest
/// token (only its digest is kept).
pub struct NewSession {
    pub id: String,
    pub token: Secret,
}

/// Schedules a session for `creator` after checking it, and that its
/// level, subject, audience and programme exist. Shared with `cartable
/// live create`.
pub async fn create_checked(
    db: &cartable_store::Db,
    taxonomy: &cartable_core::Taxonomy,
    schedule: &Schedule,
    creator: &str,
) -> Result<NewSession, crate::ApiError> {
    schedule
        .check()
        .map_err(|e| crate::ApiError::Invalid(e.to_string()))?;
    if let Some(l) = &schedule.level
        && taxonomy.level(l.as_str()).is_none()
    {
        return Err(crate::ApiError::Invalid(format!(
            "level: \"{l}\" is not in the taxonomy"
        )));
    }
    if let Some(s) = &schedule.subject
        && taxonomy.subject(s.as_str()).is_none()
    {
        return Err(crate::ApiError::Invalid(format!(
            "subject: \"{s}\" is not in the taxonomy"
        )));
    }
    let schools = db.schools().await?;
    for s in &schedule.audience.schools {
        if !schools.iter().any(|k| &k.id == s) {
            return Err(crate::ApiError::Invalid(format!(
                "audience: school \"{s}\" does not exist"
            )));
        }
    }
    for c in &schedule.audience.classes {
        if db.class(c).await?.is_none() {
            return Err(crate::ApiError::Invalid(format!(
                "audience: class \"{c}\" does not exist"
            )));
        }
    }
    if let Some(p) = &schedule.programme
        && db.programme(p.as_str()).await?.is_none()
    {
        return Err(crate::ApiError::Invalid(format!(
            "programme: \"{p}\" does not exist"
        )));
    }
    if let Some(s) = &schedule.series
        && db.series(s).await?.is_none()
    {
        return Err(crate::ApiError::Invalid(format!(
            "series: \"{s}\" does not exist in the library"
        )));
    }
    let id = new_id().map_err(|e| crate::ApiError::Internal(e.to_string()))?;
    let token = Secret::new()?;
    db.create_live(&id, schedule, &token.digest(), creator)
        .await?;
    Ok(NewSession { id, token })
}

/// The ffmpeg command that pushes a stream to a session, as documented.
pub fn ffmpeg_command(ingest: &str) -> String {
    format!(
        "ffmpeg -re -i INPUT -c:v libx264 -preset veryfast -tune zerolatency -g 50 -keyint_min 50 -sc_threshold 0 -b:v 1500k -c:a aac -b:a 96k -f hls -hls_time 2 -hls_list_size 6 -hls_segment_type fmp4 -method PUT {ingest}/index.m3u8"
    )
}

pub async fn create(
    State(state): State<Shared>,
    Path(lang): Path<String>,
    Require(auth, ..): Require<Broadcasters>,
    body: Bytes,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let f = fields(&body);
    let form = NewForm {
        title: field(&f, "title").to_owned(),
        description: field(&f, "description").to_owned(),
        lang: field(&f, "lang").to_owned(),
        start: field(&f, "start").to_owned(),
        minutes: field(&f, "minutes").to_owned(),
        public: field(&f, "public") == "1",
        schools: field(&f, "schools").to_owned(),
        classes: field(&f, "classes").to_owned(),
        capacity: field(&f, "capacity").to_owned(),
        programme: field(&f, "programme").to_owned(),
        series: field(&f, "series").to_owned(),
        level: field(&f, "level").to_owned(),
        subject: field(&f, "subject").to_owned(),
    };
    let (levels, subjects) = taxonomy_choices(&state, lang);
    let mut t = NewTemplate {
        levels,
        subjects,
        page: Page::new_static(lang, "live-new-title", "/live/new".into()),
        csrf: auth.csrf.clone().unwrap_or_default(),
        errors: Vec::new(),
        form,
        created: None,
        programmes: programmes(&state, lang).await?,
        series: series(&state, lang).await?,
    };
    let created = match schedule_from(&t.form) {
        Err(e) => Err(e),
        Ok(schedule) => create_checked(
            &state.db,
            &state.taxonomy,
            &schedule,
            auth.user.login.as_str(),
        )
        .await
        .map_err(|e| match e {
            crate::ApiError::Internal(cause) => cause,
            e => e.message(),
        }),
    };
    match created {
        Ok(new) => {
            let base = state.settings.public_url.trim_end_matches('/');
            let ingest = format!("{base}/live/{}/ingest/{}", new.id, new.token.expose());
            t.created = Some(Created {
                viewer: format!("{base}/{}/live/{}", lang.code(), new.id),
                ffmpeg: ffmpeg_command(&ingest),
                ingest,
                id: new.id,
            });
            personal(lang, StatusCode::CREATED, t.render())
        }
        Err(e) => {
            t.errors.push(e);
            personal(lang, StatusCode::UNPROCESSABLE_ENTITY, t.render())
        }
    }
}

pub struct PollView {
    pub poll: Poll,
    /// (option, votes, percent), in order.
    pub rows: Vec<(String, u64, u64)>,
}

impl PollView {
    fn new(poll: Poll) -> PollView {
        let total: u64 = poll.votes.iter().sum();
        let rows = poll
            .options
            .iter()
            .zip(&poll.votes)
            .map(|(o, v)| (o.clone(), *v, (v * 100).checked_div(total).unwrap_or(0)))
            .collect();
        PollView { poll, rows }
    }
}

#[derive(Template)]
#[template(path = "live-room.html")]
struct RoomTemplate {
    page: Page,
    s: LiveSession,
    when: String,
    state_key: &'static str,
    csrf: String,
    signed_in: bool,
    staff: bool,
    questions: Vec<Question>,
    polls: Vec<PollView>,
    hands: u64,
    raised: Vec<(String, String)>,
    slide: Option<String>,
    last_event: i64,
    viewers: u64,
    registered: Option<bool>,
    /// The signed-in viewer as an xAPI agent (JSON), and the session's
    /// activity id: the page records that they attended.
    agent: String,
    activity: String,
    script: &'static str,
}

/// `/{lang}/live/{id}`: the room.
pub async fn room(
    State(state): State<Shared>,
    Path((lang, id)): Path<(String, String)>,
    MaybeAuth(auth): MaybeAuth,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let s = find(&state, lang, &id).await?;
    if !may_watch(&state, &s, auth.as_ref()).await {
        return match auth {
            None => Ok(Redirect::to(&format!(
                "/{}/login?next={}",
                lang.code(),
                url_encode(&format!("/{}/live/{id}", lang.code()))
            ))
            .into_response()),
            Some(_) => Err(PageError::Forbidden(lang)),
        };
    }
    let staff = moderates(&s, auth.as_ref());
    let now = if state.upstream.get().is_some() {
        state.db.room_from_events(&id, staff).await
    } else {
        state.db.room_now(&id, staff).await
    }
    .map_err(|e| (lang, e))?;
    let registered = match (&auth, s.schedule.capacity) {
        (Some(a), Some(_)) => Some(
            state
                .db
                .is_registered(&id, a.user.login.as_str())
                .await
                .map_err(|e| (lang, e))?,
        ),
        _ => None,
    };
    let t = RoomTemplate {
        page: Page::new(lang, s.schedule.title.clone(), format!("/live/{id}")),
        when: when(&s.schedule),
        state_key: state_key(s.state),
        csrf: auth
            .as_ref()
            .and_then(|a| a.csrf.clone())
            .unwrap_or_default(),
        signed_in: auth.is_some(),
        staff,
        questions: now.questions,
        polls: now.polls.into_iter().map(PollView::new).collect(),
        hands: now.hands,
        raised: now.raised,
        slide: now.slide,
        last_event: now.last_event,
        viewers: state.rooms.viewers(&id).total,
        registered,
        agent: auth.as_ref().map_or_else(String::new, |a| {
            crate::xapi::user_agent(
                &state.settings.public_url,
                a.user.login.as_str(),
                &a.user.name,
            )
            .to_string()
        }),
        activity: cartable_core::progress::live_activity(&state.settings.public_url, &id),
        script: include_str!("../../assets/live.js"),
        s,
    };
    personal(lang, StatusCode::OK, t.render())
}

async fn find(state: &Shared, lang: UiLang, id: &str) -> Result<LiveSession, PageError> {
    state
        .db
        .live_session(id)
        .await
        .map_err(|e| (lang, e))?
        .ok_or_else(|| PageError::NotFound(lang, format!("/live/{id}")))
}

/// The answer to a room form: nothing for the page's script, a redirect
/// back to the room for a browser without it.
fn done(lang: UiLang, id: &str, headers: &HeaderMap) -> Response {
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    if wants_json {
        StatusCode::NO_CONTENT.into_response()
    } else {
        Redirect::to(&format!("/{}/live/{id}", lang.code())).into_response()
    }
}

fn refused(lang: UiLang, status: StatusCode, message: String) -> Response {
    let page = Page::new_static(lang, "live-refused-title", "/live".into());
    match (super::MessageTemplate {
        page,
        body: message,
    })
    .render()
    {
        Ok(html) => (status, axum::response::Html(html)).into_response(),
        Err(_) => status.into_response(),
    }
}

/// Publishes what a room write stored.
async fn publish(state: &Shared, stored: Option<cartable_store::live::Stored>) {
    if let Some(stored) = stored {
        state.rooms.published(&state.db, &stored).await;
    }
}

/// A room a signed-in caller may act in.
async fn room_for(
    state: &Shared,
    lang: UiLang,
    id: &str,
    auth: &Auth,
) -> Result<LiveSession, PageError> {
    let s = find(state, lang, id).await?;
    if !may_watch(state, &s, Some(auth)).await {
        return Err(PageError::Forbidden(lang));
    }
    Ok(s)
}

/// A room the caller moderates.
async fn moderated(
    state: &Shared,
    lang: UiLang,
    id: &str,
    auth: &Auth,
) -> Result<LiveSession, PageError> {
    let s = find(state, lang, id).await?;
    if moderates(&s, Some(auth)) {
        Ok(s)
    } else {
        Err(PageError::Forbidden(lang))
    }
}

/// Publishes what a room write stored and answers the form.
async fn answer(
    state: &Shared,
    lang: UiLang,
    id: &str,
    headers: &HeaderMap,
    stored: cartable_store::Result<Option<cartable_store::live::Stored>>,
) -> Result<Response, PageError> {
    publish(state, stored.map_err(|e| (lang, e))?).await;
    Ok(done(lang, id, headers))
}

/// Who a room form speaks for: the caller, or, from a school relay's
/// token (a teacher's or broadcaster's), the classroom user it names
/// (`for_login`, `for_name`), kept apart as `RELAY/LOGIN`.
fn speaker(auth: &Auth, f: &[(String, String)]) -> (String, String) {
    let relayed = auth.csrf.is_none() && Broadcasters::ALLOWED.contains(&auth.user.role);
    match (field(f, "for_login"), field(f, "for_name")) {
        (login, name) if relayed && !login.is_empty() => (
            format!("{}/{login}", auth.user.login),
            format!(
                "{} ({})",
                if name.is_empty() { login } else { name },
                auth.user.name
            ),
        ),
        _ => (auth.user.login.to_string(), auth.user.name.clone()),
    }
}

/// On a school relay, sends a room form to the hub for the classroom
/// user; None elsewhere.
async fn forwarded(
    state: &Shared,
    lang: UiLang,
    path: String,
    auth: &Auth,
    body: &[u8],
    headers: &HeaderMap,
) -> Option<Result<Response, PageError>> {
    let upstream = state.upstream.get()?;
    let mut f: Vec<(String, String)> = fields(body)
        .into_iter()
        .filter(|(k, _)| k != "csrf" && k != "for_login" && k != "for_name")
        .collect();
    f.push(("for_login".into(), auth.user.login.to_string()));
    f.push(("for_name".into(), auth.user.name.clone()));
    let id = path.split('/').nth(3).unwrap_or_default().to_owned();
    Some(match upstream.forward(path, f).await {
        Ok(()) => Ok(done(lang, &id, headers)),
        Err(reason) => Ok(refused(lang, StatusCode::BAD_GATEWAY, reason)),
    })
}

pub async fn ask(
    State(state): State<Shared>,
    Path((lang, id)): Path<(String, String)>,
    Require(auth, ..): Require<crate::auth::AnyRole>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let s = room_for(&state, lang, &id, &auth).await?;
    let path = format!("/{}/live/{id}/questions", lang.code());
    if let Some(done) = forwarded(&state, lang, path, &auth, &body, &headers).await {
        return done;
    }
    if s.state == LiveState::Ended {
        return Ok(refused(
            lang,
            StatusCode::CONFLICT,
            Page::new(lang, String::new(), String::new()).t("live-ended-no-questions"),
        ));
    }
    let f = fields(&body);
    let text = match check_question(field(&f, "text")) {
        Ok(t) => t,
        Err(e) => {
            return Ok(refused(
                lang,
                StatusCode::UNPROCESSABLE_ENTITY,
                e.to_string(),
            ));
        }
    };
    let (login, name) = speaker(&auth, &f);
    let stored = state.db.ask(&id, &login, &name, &text).await;
    answer(&state, lang, &id, &headers, stored).await
}

pub async fn moderate(
    State(state): State<Shared>,
    Path((lang, id, question)): Path<(String, String, i64)>,
    Require(auth, ..): Require<crate::auth::AnyRole>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    moderated(&state, lang, &id, &auth).await?;
    let f = fields(&body);
    let answer = field(&f, "answer");
    let (new_state, answer) = match field(&f, "action") {
        "approve" => (QuestionState::Approved, None),
        "hide" => (QuestionState::Hidden, None),
        "answer" if !answer.is_empty() => (QuestionState::Answered, Some(answer)),
        _ => {
            return Ok(refused(
                lang,
                StatusCode::UNPROCESSABLE_ENTITY,
                "action: approve, hide, or answer with a non-empty answer".into(),
            ));
        }
    };
    let stored = state
        .db
        .moderate(&id, question, new_state, answer)
        .await
        .map_err(|e| (lang, e))?;
    if stored.is_none() {
        return Err(PageError::NotFound(lang, format!("/live/{id}")));
    }
    publish(&state, stored).await;
    Ok(done(lang, &id, &headers))
}

pub async fn hand(
    State(state): State<Shared>,
    Path((lang, id)): Path<(String, String)>,
    Require(auth, ..): Require<crate::auth::AnyRole>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    room_for(&state, lang, &id, &auth).await?;
    let path = format!("/{}/live/{id}/hand", lang.code());
    if let Some(done) = forwarded(&state, lang, path, &auth, &body, &headers).await {
        return done;
    }
    let f = fields(&body);
    let raised = field(&f, "raised") == "1";
    let (login, name) = speaker(&auth, &f);
    let stored = state.db.hand(&id, &login, &name, raised).await;
    if let Ok(Some(_)) = &stored {
        state.rooms.owe_hands(&id);
    }
    answer(&state, lang, &id, &headers, stored).await
}

pub async fn open_poll(
    State(state): State<Shared>,
    Path((lang, id)): Path<(String, String)>,
    Require(auth, ..): Require<crate::auth::AnyRole>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    moderated(&state, lang, &id, &auth).await?;
    let f = fields(&body);
    let options: Vec<String> = field(&f, "options").lines().map(str::to_owned).collect();
    let (question, options) = match check_poll(field(&f, "question"), &options) {
        Ok(p) => p,
        Err(e) => {
            return Ok(refused(
                lang,
                StatusCode::UNPROCESSABLE_ENTITY,
                e.to_string(),
            ));
        }
    };
    let stored = state.db.open_poll(&id, &question, &options).await;
    answer(&state, lang, &id, &headers, stored).await
}

pub async fn vote(
    State(state): State<Shared>,
    Path((lang, id, poll)): Path<(String, String, i64)>,
    Require(auth, ..): Require<crate::auth::AnyRole>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    room_for(&state, lang, &id, &auth).await?;
    let path = format!("/{}/live/{id}/polls/{poll}/vote", lang.code());
    if let Some(done) = forwarded(&state, lang, path, &auth, &body, &headers).await {
        return done;
    }
    let f = fields(&body);
    let choice = field(&f, "choice").parse::<usize>().ok();
    let (login, _) = speaker(&auth, &f);
    let counted = match choice {
        Some(c) => state
            .db
            .vote(&id, poll, &login, c)
            .await
            .map_err(|e| (lang, e))?,
        None => false,
    };
    if !counted {
        return Ok(refused(
            lang,
            StatusCode::CONFLICT,
            Page::new(lang, String::new(), String::new()).t("live-vote-refused"),
        ));
    }
    state.rooms.owe_poll(&id, poll);
    Ok(done(lang, &id, &headers))
}

pub async fn close_poll(
    State(state): State<Shared>,
    Path((lang, id, poll)): Path<(String, String, i64)>,
    Require(auth, ..): Require<crate::auth::AnyRole>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    moderated(&state, lang, &id, &auth).await?;
    let stored = state.db.close_poll(&id, poll).await;
    answer(&state, lang, &id, &headers, stored).await
}

/// The largest slide or board image, in bytes.
pub const MAX_SLIDE: usize = 10 * 1024 * 1024;

/// A slide: an image posted as the body (`Content-Type: image/jpeg` or
/// `image/png`, from the page's script or a board's software) or as the
/// `file` of a multipart form.
pub async fn slide(
    State(state): State<Shared>,
    Path((lang, id)): Path<(String, String)>,
    Require(auth, ..): Require<crate::auth::AnyRole>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    moderated(&state, lang, &id, &auth).await?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let image = if content_type.starts_with("multipart/form-data") {
        super::archive::multipart_form(content_type, &body)
            .ok()
            .and_then(|form| form.file)
            .map(|(_, b)| b)
    } else {
        Some(body)
    };
    let Some(image) = image.filter(|b| !b.is_empty()) else {
        return Ok(refused(
            lang,
            StatusCode::UNPROCESSABLE_ENTITY,
            "file: choose a JPEG or PNG image".into(),
        ));
    };
    let ext = if image.starts_with(b"\xff\xd8\xff") {
        "jpg"
    } else if image.starts_with(b"\x89PNG\r\n\x1a\n") {
        "png"
    } else {
        return Ok(refused(
            lang,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "file: a slide must be a JPEG or PNG image".into(),
        ));
    };
    if image.len() > MAX_SLIDE {
        return Ok(refused(
            lang,
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("file: a slide may be at most {MAX_SLIDE} bytes"),
        ));
    }
    let hash = state.blobs.put_bytes(image).await.map_err(|e| (lang, e))?;
    let url = format!("/media/b/{hash}.{ext}");
    let stored = state.db.room_event(&id, RoomEvent::Slide { url }).await;
    answer(&state, lang, &id, &headers, stored).await
}

pub async fn end(
    State(state): State<Shared>,
    Path((lang, id)): Path<(String, String)>,
    Require(auth, ..): Require<crate::auth::AnyRole>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    moderated(&state, lang, &id, &auth).await?;
    let stored = state.db.end_live(&id).await.map_err(|e| (lang, e))?;
    publish(&state, stored).await;
    crate::live::finish(&state, &id)
        .await
        .map_err(|e| PageError::Internal(lang, e.message()))?;
    Ok(done(lang, &id, &headers))
}

pub async fn register(
    State(state): State<Shared>,
    Path((lang, id)): Path<(String, String)>,
    Require(auth, ..): Require<crate::auth::AnyRole>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    room_for(&state, lang, &id, &auth).await?;
    let result = state
        .db
        .register_live(&id, auth.user.login.as_str())
        .await
        .map_err(|e| (lang, e))?;
    let page = Page::new(lang, String::new(), String::new());
    match result {
        Registration::Registered | Registration::AlreadyRegistered => Ok(done(lang, &id, &headers)),
        Registration::Full => Ok(refused(lang, StatusCode::CONFLICT, page.t("live-full"))),
        Registration::NoRegistration => Ok(refused(
            lang,
            StatusCode::CONFLICT,
            page.t("live-no-registration"),
        )),
    }
}
