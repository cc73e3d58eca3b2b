//! The literacy path's pages, for adults who cannot read: big picture
//! buttons, every screen and control with a spoken prompt (played when
//! focused or touched, by `assets/literacy.js`), lessons item by item
//! (seen, heard, repeated), practice by picking the picture of what is
//! heard (each answer a record), progress as pictures; and the trainers'
//! view of their class.
//!
//! Words on these pages are for screen readers and trainers; nothing needs
//! reading to get through a lesson.

use super::account::personal;
use super::view::Page;
use super::{PageError, ui_lang};
use crate::auth::{Auth, MaybeAuth, Require, Teachers, browser_csrf, url_encode};
use crate::{Shared, UiLang};
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use cartable_core::literacy::{self, Course, Lesson, PASS, Picture, Sound, Stage};
use cartable_core::progress;
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeMap;

fn sound_url(s: &Sound) -> String {
    format!("/media/b/{}.m4a", s.blob)
}

fn picture_url(p: &Picture) -> String {
    format!("/media/b/{}.{}", p.blob, p.ext)
}

/// The icons of the controls: a few plain shapes each, in a 48×48 box.
fn icon(name: &str) -> &'static str {
    match name {
        "home" => r##"<path d="M24 5L3 24h6v19h11V31h8v12h11V24h6z"/>"##,
        "listen" => {
            r##"<path d="M6 18h8l11-9v30l-11-9H6z"/><path d="M31 16a11 11 0 0 1 0 16M36 10a19 19 0 0 1 0 28" fill="none" stroke="currentColor" stroke-width="4" stroke-linecap="round"/>"##
        }
        "repeat" => {
            r##"<path d="M38 20A15 15 0 0 0 10 17" fill="none" stroke="currentColor" stroke-width="5" stroke-linecap="round"/><path d="M4 12l7 11 9-9z"/><path d="M10 28a15 15 0 0 0 28 3" fill="none" stroke="currentColor" stroke-width="5" stroke-linecap="round"/><path d="M44 36l-7-11-9 9z"/>"##
        }
        "next" => r##"<path d="M6 19h22V8l16 16-16 16V29H6z"/>"##,
        "back" => r##"<path d="M42 19H20V8L4 24l16 16V29h22z"/>"##,
        "practice" => {
            r##"<circle cx="24" cy="24" r="19" fill="none" stroke="currentColor" stroke-width="5"/><circle cx="24" cy="24" r="9"/>"##
        }
        "signin" => {
            r##"<circle cx="16" cy="24" r="10" fill="none" stroke="currentColor" stroke-width="5"/><path d="M26 22h19v6h-4v6h-6v-6h-9z"/>"##
        }
        "right" => {
            r##"<path d="M6 25l11 11L42 11" fill="none" stroke="currentColor" stroke-width="7" stroke-linecap="round" stroke-linejoin="round"/>"##
        }
        "wrong" => {
            r##"<path d="M10 10l28 28M38 10L10 38" stroke="currentColor" stroke-width="7" stroke-linecap="round"/>"##
        }
        "star" => r##"<path d="M24 3l6 14 15 1-11 10 4 15-14-8-14 8 4-15L3 18l15-1z"/>"##,
        "star-empty" => {
            r##"<path d="M24 6l5 12 12 1-9 8 3 12-11-7-11 7 3-12-9-8 12-1z" fill="none" stroke="currentColor" stroke-width="3"/>"##
        }
        "half" => {
            r##"<circle cx="24" cy="24" r="18" fill="none" stroke="currentColor" stroke-width="4"/><path d="M24 6a18 18 0 0 1 0 36z"/>"##
        }
        "dot" => r##"<circle cx="24" cy="24" r="14"/>"##,
        "dot-empty" => {
            r##"<circle cx="24" cy="24" r="14" fill="none" stroke="currentColor" stroke-width="4"/>"##
        }
        _ => "",
    }
}

/// An inline SVG icon, hidden from screen readers (its control has a name).
pub struct Icon(&'static str, &'static str);

impl Icon {
    fn new(name: &'static str) -> Icon {
        Icon(name, icon(name))
    }
}

impl std::fmt::Display for Icon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let flip = if matches!(self.0, "next" | "back") {
            " flip"
        } else {
            ""
        };
        write!(
            f,
            r#"<svg class="icon{flip}" viewBox="0 0 48 48" width="48" height="48" aria-hidden="true" focusable="false" fill="currentColor">{}</svg>"#,
            self.1
        )
    }
}

/// The spoken prompts of a page, by key, as addresses.
struct Say(BTreeMap<String, String>);

impl Say {
    fn new(course: &Course, lang: UiLang) -> Say {
        Say(course
            .prompts_in(lang.code())
            .map(|p| p.iter().map(|(k, s)| (k.clone(), sound_url(s))).collect())
            .unwrap_or_default())
    }

    fn get(&self, key: &str) -> String {
        self.0.get(key).cloned().unwrap_or_default()
    }
}

async fn course(state: &Shared, lang: UiLang, id: &str) -> Result<Course, PageError> {
    state
        .db
        .literacy_course(id)
        .await
        .map_err(|e| (lang, e))?
        .ok_or_else(|| PageError::NotFound(lang, format!("/literacy/{id}")))
}

fn lesson_of<'a>(lang: UiLang, c: &'a Course, id: &str) -> Result<&'a Lesson, PageError> {
    c.lesson(id)
        .ok_or_else(|| PageError::NotFound(lang, format!("/literacy/{}/{id}", c.id)))
}

/// Where a learner stands with a lesson, as a picture.
#[derive(Clone, Copy, PartialEq)]
enum Standing {
    New,
    Started,
    Done,
}

impl Standing {
    fn icon(self) -> Icon {
        Icon::new(match self {
            Standing::New => "dot-empty",
            Standing::Started => "half",
            Standing::Done => "star",
        })
    }

    fn key(self) -> &'static str {
        match self {
            Standing::New => "lit-state-new",
            Standing::Started => "lit-state-started",
            Standing::Done => "lit-state-done",
        }
    }
}

struct LessonCard {
    url: String,
    title: String,
    picture: String,
    say: String,
    stage: &'static str,
    standing: Icon,
    standing_key: &'static str,
}

fn stage_key(stage: Stage) -> &'static str {
    match stage {
        Stage::Letters => "lit-stage-letters",
        Stage::Syllables => "lit-stage-syllables",
        Stage::Words => "lit-stage-words",
        Stage::Sentences => "lit-stage-sentences",
    }
}

#[derive(Template)]
#[template(path = "literacy-home.html")]
struct HomeTemplate {
    page: Page,
    say: Say,
    signed_in: bool,
    signin_url: String,
    /// (course title, its language, its lessons)
    courses: Vec<(String, String, Vec<LessonCard>)>,
    script: &'static str,
}

/// The learner's standing in each lesson of a course.
async fn standings(
    state: &Shared,
    lang: UiLang,
    login: Option<&str>,
    c: &Course,
) -> Result<Vec<Standing>, PageError> {
    let home = &state.lrs.home_page;
    let activities: Vec<String> = c
        .lessons
        .iter()
        .map(|l| literacy::lesson_activity(home, &c.id, &l.id))
        .collect();
    let rows = match login {
        Some(login) => {
            let refs: Vec<&str> = activities.iter().map(String::as_str).collect();
            state
                .db
                .progress_of(login, &refs)
                .await
                .map_err(|e| (lang, e))?
        }
        None => Vec::new(),
    };
    Ok(activities
        .iter()
        .map(|a| match rows.iter().find(|r| &r.activity == a) {
            Some(r) if r.completed => Standing::Done,
            Some(_) => Standing::Started,
            None => Standing::New,
        })
        .collect())
}

pub async fn home(
    State(state): State<Shared>,
    Path(lang): Path<String>,
    MaybeAuth(auth): MaybeAuth,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let courses = state.db.literacy_courses().await.map_err(|e| (lang, e))?;
    let login = auth.as_ref().map(|a| a.user.login.as_str().to_owned());
    let mut shown = Vec::new();
    let mut say = None;
    for c in &courses {
        let standings = standings(&state, lang, login.as_deref(), c).await?;
        let cards = c
            .lessons
            .iter()
            .zip(standings)
            .map(|(l, s)| LessonCard {
                url: format!(
                    "/{}/literacy/{}/{}",
                    lang.code(),
                    url_encode(&c.id),
                    url_encode(&l.id)
                ),
                title: l.title.clone(),
                picture: picture_url(&l.picture),
                say: sound_url(&l.sound),
                stage: stage_key(l.stage),
                standing: s.icon(),
                standing_key: s.key(),
            })
            .collect();
        say.get_or_insert_with(|| Say::new(c, lang));
        shown.push((c.title.clone(), c.lang.clone(), cards));
    }
    let template = HomeTemplate {
        page: Page::new_static(lang, "lit-title", "/literacy".into()),
        say: say.unwrap_or(Say(BTreeMap::new())),
        signed_in: auth.is_some(),
        signin_url: format!(
            "/{}/signin/pictures-then?next=/{}/literacy",
            lang.code(),
            lang.code()
        ),
        courses: shown,
        script: include_str!("../../assets/literacy.js"),
    };
    personal(lang, StatusCode::OK, template.render())
}

#[derive(Deserialize)]
pub struct ItemQuery {
    /// From 1.
    item: Option<usize>,
}

#[derive(Template)]
#[template(path = "literacy-lesson.html")]
struct LessonTemplate {
    page: Page,
    say: Say,
    content_lang: String,
    text: String,
    label: String,
    picture: String,
    sound: String,
    back_url: String,
    next_url: String,
    next_is_practice: bool,
    /// One dot per item, filled up to this one.
    dots: Vec<Icon>,
    script: &'static str,
}

pub async fn lesson(
    State(state): State<Shared>,
    Path((lang, course_id, lesson_id)): Path<(String, String, String)>,
    Query(q): Query<ItemQuery>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let c = course(&state, lang, &course_id).await?;
    let l = lesson_of(lang, &c, &lesson_id)?;
    let n = q.item.unwrap_or(1).clamp(1, l.items.len());
    let item = &l.items[n - 1];
    let base = format!(
        "/{}/literacy/{}/{}",
        lang.code(),
        url_encode(&c.id),
        url_encode(&l.id)
    );
    let home_url = format!("/{}/literacy", lang.code());
    let template = LessonTemplate {
        page: Page::new(
            lang,
            l.title.clone(),
            format!("/literacy/{}/{}", c.id, l.id),
        ),
        say: Say::new(&c, lang),
        content_lang: c.lang.clone(),
        text: item.text.clone(),
        label: item.label.clone(),
        picture: picture_url(&item.picture),
        sound: sound_url(&item.sound),
        back_url: if n > 1 {
            format!("{base}?item={}", n - 1)
        } else {
            home_url.clone()
        },
        next_url: if n < l.items.len() {
            format!("{base}?item={}", n + 1)
        } else {
            format!("{base}/practice")
        },
        next_is_practice: n == l.items.len(),
        dots: (1..=l.items.len())
            .map(|i| Icon::new(if i <= n { "dot" } else { "dot-empty" }))
            .collect(),
        script: include_str!("../../assets/literacy.js"),
    };
    personal(lang, StatusCode::OK, template.render())
}

#[derive(Deserialize)]
pub struct PracticeQuery {
    round: Option<usize>,
    /// Right answers at the first try so far.
    right: Option<usize>,
    /// How the last answer went: `right` or `wrong`.
    last: Option<String>,
    /// Whether this round was already missed once.
    missed: Option<u8>,
}

struct Choice {
    id: String,
    label: String,
    picture: String,
    sound: String,
}

#[derive(Template)]
#[template(path = "literacy-practice.html")]
struct PracticeTemplate {
    page: Page,
    say: Say,
    home_url: String,
    action: String,
    csrf: String,
    round: usize,
    right: usize,
    missed: bool,
    /// `right`, `wrong` or empty.
    last: String,
    target: String,
    choices: Vec<Choice>,
    /// One picture per round: done, this one, to come.
    dots: Vec<Icon>,
    /// After the last round: a star per right answer, an empty one per miss.
    stars: Vec<Icon>,
    done: bool,
    script: &'static str,
}

fn csrf_for(
    state: &Shared,
    auth: Option<&Auth>,
    jar: &CookieJar,
) -> Result<(String, Option<axum_extra::extract::cookie::Cookie<'static>>), PageError> {
    if let Some(token) = auth.and_then(|a| a.csrf.clone()) {
        return Ok((token, None));
    }
    browser_csrf(jar, state.settings.secure_cookies)
        .map_err(|e| PageError::Internal(state.settings.default_lang, e.message()))
}

pub async fn practice(
    State(state): State<Shared>,
    Path((lang, course_id, lesson_id)): Path<(String, String, String)>,
    Query(q): Query<PracticeQuery>,
    MaybeAuth(auth): MaybeAuth,
    jar: CookieJar,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let c = course(&state, lang, &course_id).await?;
    let l = lesson_of(lang, &c, &lesson_id)?;
    let rounds = l.rounds();
    let round = q.round.unwrap_or(0).min(rounds);
    let right = q.right.unwrap_or(0).min(round);
    let (csrf, cookie) = csrf_for(&state, auth.as_ref(), &jar)?;
    let (target, choices) = match l.round(round) {
        Some((t, choices)) => (
            sound_url(&l.items[t].sound),
            choices
                .into_iter()
                .map(|i| {
                    let item = &l.items[i];
                    Choice {
                        id: item.id.clone(),
                        label: item.label.clone(),
                        picture: picture_url(&item.picture),
                        sound: sound_url(&item.sound),
                    }
                })
                .collect(),
        ),
        None => (String::new(), Vec::new()),
    };
    let template = PracticeTemplate {
        page: Page::new(
            lang,
            l.title.clone(),
            format!("/literacy/{}/{}/practice", c.id, l.id),
        ),
        say: Say::new(&c, lang),
        home_url: format!("/{}/literacy", lang.code()),
        action: format!(
            "/{}/literacy/{}/{}/practice",
            lang.code(),
            url_encode(&c.id),
            url_encode(&l.id)
        ),
        csrf,
        round,
        right,
        missed: q.missed == Some(1),
        last: q
            .last
            .filter(|l| l == "right" || l == "wrong")
            .unwrap_or_default(),
        target,
        choices,
        dots: (0..rounds)
            .map(|i| Icon::new(if i < round { "dot" } else { "dot-empty" }))
            .collect(),
        stars: (0..rounds)
            .map(|i| Icon::new(if i < right { "star" } else { "star-empty" }))
            .collect(),
        done: round >= rounds,
        script: include_str!("../../assets/literacy.js"),
    };
    let mut response = personal(lang, StatusCode::OK, template.render())?;
    if let Some(cookie) = cookie
        && let Ok(value) = cookie.encoded().to_string().parse()
    {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    Ok(response)
}

#[derive(Deserialize)]
pub struct AnswerForm {
    round: usize,
    right: usize,
    #[serde(default)]
    missed: u8,
    choice: String,
}

pub async fn answer(
    State(state): State<Shared>,
    Path((lang, course_id, lesson_id)): Path<(String, String, String)>,
    MaybeAuth(auth): MaybeAuth,
    Form(form): Form<AnswerForm>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let c = course(&state, lang, &course_id).await?;
    let l = lesson_of(lang, &c, &lesson_id)?;
    let Some((target, choices)) = l.round(form.round) else {
        return Err(PageError::NotFound(
            lang,
            format!("/literacy/{}/{}/practice", c.id, l.id),
        ));
    };
    if !choices.iter().any(|i| l.items[*i].id == form.choice) {
        return Err(PageError::NotFound(
            lang,
            format!("/literacy/{}/{}/practice", c.id, l.id),
        ));
    }
    let success = l.items[target].id == form.choice;
    let first_try = form.missed == 0;
    let right = form.right.min(form.round) + usize::from(success && first_try);
    let next_round = if success { form.round + 1 } else { form.round };
    if let Some(auth) = &auth {
        record(
            &state,
            auth,
            &c,
            l,
            target,
            &form.choice,
            success,
            next_round,
            right,
        )
        .await
        .map_err(|e| PageError::Internal(lang, e.message()))?;
    }
    let base = format!(
        "/{}/literacy/{}/{}/practice",
        lang.code(),
        url_encode(&c.id),
        url_encode(&l.id)
    );
    let to = if success {
        format!("{base}?round={next_round}&right={right}&last=right")
    } else {
        format!("{base}?round={next_round}&right={right}&last=wrong&missed=1")
    };
    Ok(Redirect::to(&to).into_response())
}

/// The records of one answer: `answered` about the item (the choice, and
/// whether it was right), and the lesson's progress, `completed` after the
/// last round when enough were right at the first try.
#[allow(clippy::too_many_arguments)]
async fn record(
    state: &Shared,
    auth: &Auth,
    c: &Course,
    l: &Lesson,
    target: usize,
    choice: &str,
    success: bool,
    next_round: usize,
    right: usize,
) -> Result<(), crate::ApiError> {
    let home = &state.lrs.home_page;
    let actor = crate::xapi::user_agent(home, auth.user.login.as_str(), &auth.user.name);
    let lesson_id = literacy::lesson_activity(home, &c.id, &l.id);
    let item = &l.items[target];
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let lesson_object = json!({
        "objectType": "Activity",
        "id": lesson_id,
        "definition": { "type": "http://adlnet.gov/expapi/activities/lesson", "name": { c.lang.clone(): l.title } },
    });
    let mut statements = vec![json!({
        "actor": actor,
        "verb": { "id": "http://adlnet.gov/expapi/verbs/answered", "display": { "en-US": "answered" } },
        "object": {
            "objectType": "Activity",
            "id": literacy::item_activity(home, &c.id, &l.id, &item.id),
            "definition": {
                "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
                "name": { c.lang.clone(): item.text },
                "interactionType": "choice",
                "correctResponsesPattern": [item.id],
                "choices": l.items.iter().map(|i| json!({"id": i.id, "description": {"und": i.label}})).collect::<Vec<_>>(),
            },
        },
        "result": { "response": choice, "success": success },
        "context": { "platform": "cartable", "contextActivities": { "parent": [lesson_object] } },
        "timestamp": now,
    })];
    let rounds = l.rounds();
    let done = next_round >= rounds;
    let scaled = right as f64 / rounds.max(1) as f64;
    let passed = done && scaled >= PASS;
    let mut result =
        json!({ "extensions": { progress::PROGRESS: (next_round as f64 / rounds.max(1) as f64) } });
    if done {
        result["score"] = json!({ "scaled": scaled, "raw": right, "min": 0, "max": rounds });
        result["completion"] = json!(passed);
    }
    let verb = if passed {
        progress::COMPLETED
    } else {
        progress::PROGRESSED
    };
    statements.push(json!({
        "actor": actor,
        "verb": { "id": verb, "display": { "en-US": if passed { "completed" } else { "progressed" } } },
        "object": lesson_object,
        "result": result,
        "context": { "platform": "cartable" },
        "timestamp": now,
    }));
    crate::quiz::record_as(state, statements, "literacy").await
}

/// One learner's row of the trainers' view: their name, and each lesson
/// as a picture and a word.
type LearnerRow = (String, Vec<(Icon, &'static str)>);

/// The trainers' view: each learner of the class, each lesson as a
/// picture and a word (done, started, not started).
#[derive(Template)]
#[template(path = "literacy-class.html")]
struct ClassTemplate {
    page: Page,
    /// (course title, lesson titles, rows)
    courses: Vec<(String, Vec<String>, Vec<LearnerRow>)>,
}

pub async fn class(
    State(state): State<Shared>,
    Path((lang, id)): Path<(String, String)>,
    Require(auth, ..): Require<Teachers>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let class = super::dashboard::class_for(&state, lang, &auth.user, &id).await?;
    let fault = |e| PageError::from((lang, e));
    let members = state.db.class_last_seen(&class.id).await.map_err(fault)?;
    let mut shown = Vec::new();
    for c in state.db.literacy_courses().await.map_err(fault)? {
        let mut rows = Vec::new();
        for (login, name, _) in &members {
            let cells = standings(&state, lang, Some(login), &c)
                .await?
                .into_iter()
                .map(|s| (s.icon(), s.key()))
                .collect();
            rows.push((name.clone(), cells));
        }
        shown.push((
            c.title.clone(),
            c.lessons.iter().map(|l| l.title.clone()).collect(),
            rows,
        ));
    }
    let title = format!(
        "{} · {}",
        class.name,
        super::view::Page::new_static(lang, "lit-class-title", String::new()).title
    );
    let template = ClassTemplate {
        page: Page::new(lang, title, format!("/teach/classes/{}/literacy", class.id)),
        courses: shown,
    };
    personal(lang, StatusCode::OK, template.render())
}
