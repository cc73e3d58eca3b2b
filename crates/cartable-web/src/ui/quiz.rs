//! The quiz pages: the list of quizzes, a quiz's page (start, earlier
//! attempts, weak topics), one question of an attempt at a time, the
//! review of a finished attempt, and the teacher's results. Plain HTML
//! forms: they work without JavaScript, and the server keeps the time.

use super::account::personal;
use super::view::Page;
use super::{PageError, ui_lang};
use crate::auth::{AnyRole, MaybeAuth, Require, Roles, Teachers, url_encode};
use crate::quiz::{self, Shown, Started};
use crate::{ApiError, Shared, UiLang};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use cartable_core::accounts::User;
use cartable_core::quiz::paper::Feedback;
use cartable_core::quiz::{Answer, Kind, Question};
use cartable_store::quiz::{Attempt, StoredQuiz};
use serde::Deserialize;
use std::sync::Arc;

fn fault(lang: UiLang) -> impl Fn(ApiError) -> PageError {
    move |e| match e {
        ApiError::NotFound(_) => PageError::NotFound(lang, String::new()),
        ApiError::Forbidden => PageError::Forbidden(lang),
        other => PageError::Internal(lang, other.message()),
    }
}

fn percent(f: f64) -> String {
    format!("{:.0} %", f * 100.0)
}

/// "12 min", "45 s": how long is left.
fn left(seconds: i64) -> String {
    if seconds >= 120 {
        format!("{} min", seconds / 60)
    } else {
        format!("{} s", seconds.max(0))
    }
}

#[derive(Template)]
#[template(path = "quizzes.html")]
struct ListTemplate {
    page: Page,
    quizzes: Vec<(String, String, String)>,
}

pub async fn list(
    State(state): State<Shared>,
    Path(lang): Path<String>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let page = Page::new_static(lang, "quiz-list-title", "/quizzes".into());
    let quizzes = state
        .db
        .quizzes(None, None)
        .await
        .map_err(|e| (lang, e))?
        .into_iter()
        .map(|q| {
            let about = about(&page, &q);
            (q.id, q.spec.title, about)
        })
        .collect();
    personal(
        lang,
        StatusCode::OK,
        ListTemplate { page, quizzes }.render(),
    )
}

/// "40 questions · 60 min · 1 attempt": what a quiz asks of a learner.
fn about(page: &Page, q: &StoredQuiz) -> String {
    let mut parts = Vec::new();
    if let Some(n) = q.spec.draw {
        parts.push(page.count("quiz-questions", &(n as u64)));
    }
    if let Some(t) = q.spec.time_limit {
        parts.push(format!("{} {}", page.t("quiz-time-limit"), left(t)));
    }
    if let Some(a) = q.spec.attempts {
        parts.push(page.count("quiz-attempts-allowed", &(a as u64)));
    }
    parts.join(" · ")
}

#[derive(Template)]
#[template(path = "quiz.html")]
struct QuizTemplate {
    page: Page,
    id: String,
    about: String,
    pass: String,
    deferred: bool,
    signed_in: bool,
    teacher: bool,
    csrf: String,
    /// (number, score or "in progress", link)
    attempts: Vec<(i64, Option<String>, String)>,
    open: bool,
    may_start: bool,
    weak: Vec<(String, String)>,
    queued: Option<usize>,
}

#[derive(Deserialize)]
pub struct QuizQuery {
    queued: Option<usize>,
}

pub async fn page(
    State(state): State<Shared>,
    Path((lang, id)): Path<(String, String)>,
    MaybeAuth(auth): MaybeAuth,
    Query(query): Query<QuizQuery>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let loaded = quiz::load(&state, &id).await.map_err(fault(lang))?;
    let spec = &loaded.quiz.spec;
    let page = Page::new(lang, spec.title.clone(), format!("/quizzes/{id}"));
    let mut t = QuizTemplate {
        about: about(&page, &loaded.quiz),
        pass: percent(spec.pass),
        deferred: spec.feedback == Feedback::Deferred,
        signed_in: auth.is_some(),
        teacher: auth
            .as_ref()
            .is_some_and(|a| Teachers::ALLOWED.contains(&a.user.role)),
        csrf: auth
            .as_ref()
            .and_then(|a| a.csrf.clone())
            .unwrap_or_default(),
        attempts: Vec::new(),
        open: false,
        may_start: true,
        weak: Vec::new(),
        queued: query.queued,
        id: id.clone(),
        page,
    };
    if let Some(auth) = &auth {
        let mine = state
            .db
            .attempts_of(&id, auth.user.login.as_str())
            .await
            .map_err(|e| (lang, e))?;
        for a in &mine {
            t.attempts.push((
                a.number,
                a.finished_at.map(|_| percent(quiz::scaled(a))),
                attempt_link(lang, &id, &a.id, 0),
            ));
        }
        t.open = mine.iter().any(|a| a.finished_at.is_none());
        t.may_start = t.open || spec.attempts.is_none_or(|n| (mine.len() as i64) < n);
        t.weak = quiz::weak_topics(&state, &mine)
            .await
            .map_err(fault(lang))?
            .into_iter()
            .map(|(tag, mean)| (topic(&state, lang, &tag), percent(mean)))
            .collect();
    }
    personal(lang, StatusCode::OK, t.render())
}

/// A tag in words: a level's or subject's name from the taxonomy, else
/// the tag without its prefix.
fn topic(state: &Shared, lang: UiLang, tag: &str) -> String {
    let (kind, value) = tag.split_once(':').unwrap_or(("", tag));
    match kind {
        "level" => state.taxonomy.level_label(value, lang.code()).to_owned(),
        "subject" => state.taxonomy.subject_label(value, lang.code()).to_owned(),
        _ => value.replace('-', " "),
    }
}

fn attempt_link(lang: UiLang, quiz: &str, attempt: &str, slot: usize) -> String {
    format!(
        "/{}/quizzes/{}/attempts/{}?q={}",
        lang.code(),
        url_encode(quiz),
        url_encode(attempt),
        slot + 1
    )
}

pub async fn start(
    State(state): State<Shared>,
    Path((lang, id)): Path<(String, String)>,
    Require(auth, ..): Require<AnyRole>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    match quiz::start(&state, &id, &auth.user).await {
        Ok(Started::New(a) | Started::Resumed(a)) => {
            Ok(Redirect::to(&attempt_link(lang, &id, &a.id, 0)).into_response())
        }
        Ok(Started::NoMoreAttempts) => {
            Ok(Redirect::to(&format!("/{}/quizzes/{id}", lang.code())).into_response())
        }
        Ok(Started::Queued(place)) => Ok(Redirect::to(&format!(
            "/{}/quizzes/{}?queued={place}",
            lang.code(),
            url_encode(&id)
        ))
        .into_response()),
        Err(e) => Err(fault(lang)(e)),
    }
}

/// A line of an ordering or matching question: (field, item or prompt,
/// the choices with the one picked).
type Line<C> = (usize, String, Vec<C>);

/// One question of an attempt, ready for the template.
struct Slot {
    number: usize,
    shown: Shown,
    /// Choice questions: (value, option, picked).
    choices: Vec<(usize, String, bool)>,
    flag: Option<bool>,
    text: String,
    /// Ordering: (field, item, the places to pick with the one picked).
    ordering: Vec<Line<(usize, bool)>>,
    /// Matching: (field, prompt, the answers with the one picked).
    matching: Vec<Line<(usize, String, bool)>>,
    locked: bool,
    result: Option<Outcome>,
}

struct Outcome {
    correct: bool,
    score: String,
    feedback: Vec<String>,
    right: String,
    given: String,
}

#[derive(Template)]
#[template(path = "quiz-question.html")]
struct QuestionTemplate {
    page: Page,
    quiz: String,
    attempt: String,
    csrf: String,
    slot: Slot,
    total: usize,
    /// (number, link, answered, current)
    nav: Vec<(usize, String, bool, bool)>,
    time_left: Option<String>,
    deadline: Option<String>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "quiz-review.html")]
struct ReviewTemplate {
    page: Page,
    quiz: String,
    score: String,
    passed: bool,
    timed_out: bool,
    slots: Vec<Slot>,
    weak: Vec<(String, String)>,
}

#[derive(Deserialize)]
pub struct AttemptQuery {
    q: Option<usize>,
    error: Option<String>,
}

pub async fn attempt(
    State(state): State<Shared>,
    Path((lang, id, aid)): Path<(String, String, String)>,
    Require(auth, ..): Require<AnyRole>,
    Query(query): Query<AttemptQuery>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let mut attempt = quiz::own_attempt(&state, &aid, &auth.user)
        .await
        .map_err(fault(lang))?;
    if attempt.quiz_id != id {
        return Err(PageError::NotFound(lang, String::new()));
    }
    let loaded = quiz::load(&state, &id).await.map_err(fault(lang))?;
    let spec = &loaded.quiz.spec;
    let now = cartable_store::now();
    if attempt.finished_at.is_none() && attempt.deadline.is_some_and(|d| d + quiz::GRACE < now) {
        quiz::finish(&state, &attempt, &auth.user)
            .await
            .map_err(fault(lang))?;
        attempt = quiz::own_attempt(&state, &aid, &auth.user)
            .await
            .map_err(fault(lang))?;
    }
    let questions = quiz::questions(&state, &attempt.paper)
        .await
        .map_err(fault(lang))?;
    let saved = state.db.answers(&attempt.id).await.map_err(|e| (lang, e))?;
    let answer_of = |slot: usize| -> Option<Answer> {
        saved
            .iter()
            .find(|s| s.slot == slot as i64)
            .and_then(|s| serde_json::from_str(&s.answer).ok())
    };
    let page = Page::new(
        lang,
        spec.title.clone(),
        format!("/quizzes/{id}/attempts/{aid}"),
    );
    if attempt.finished_at.is_some() {
        let slots = questions
            .iter()
            .enumerate()
            .map(|(i, q)| slot_view(&page, &attempt, i, q, answer_of(i), true, true))
            .collect();
        let weak = quiz::weak_topics(&state, std::slice::from_ref(&attempt))
            .await
            .map_err(fault(lang))?
            .into_iter()
            .map(|(tag, mean)| (topic(&state, lang, &tag), percent(mean)))
            .collect();
        let score = quiz::scaled(&attempt);
        let t = ReviewTemplate {
            quiz: id.clone(),
            score: percent(score),
            passed: score + 1e-9 >= spec.pass,
            timed_out: attempt
                .deadline
                .zip(attempt.finished_at)
                .is_some_and(|(d, f)| f > d),
            slots,
            weak,
            page,
        };
        return personal(lang, StatusCode::OK, t.render());
    }
    let index = query.q.unwrap_or(1).clamp(1, questions.len().max(1)) - 1;
    let instant = spec.feedback == Feedback::Instant;
    let given = answer_of(index);
    let answered = given.is_some();
    let slot = slot_view(
        &page,
        &attempt,
        index,
        &questions[index],
        given,
        instant && answered,
        instant && answered,
    );
    let nav = (0..questions.len())
        .map(|i| {
            (
                i + 1,
                attempt_link(lang, &id, &attempt.id, i),
                saved.iter().any(|s| s.slot == i as i64),
                i == index,
            )
        })
        .collect();
    let error = query.error.as_deref().map(|e| match e {
        "places" => page.t("quiz-error-places"),
        "final" => page.t("quiz-error-final"),
        _ => page.t("quiz-error-answer"),
    });
    let t = QuestionTemplate {
        quiz: id.clone(),
        attempt: attempt.id.clone(),
        csrf: auth.csrf.clone().unwrap_or_default(),
        total: questions.len(),
        nav,
        time_left: attempt.deadline.map(|d| left(d - now)),
        deadline: attempt.deadline.map(super::utc_time),
        error,
        slot,
        page,
    };
    personal(lang, StatusCode::OK, t.render())
}

/// A saved answer, in the terms the page shows (the inverse of
/// [`quiz::answer_from_shown`]).
fn slot_view(
    page: &Page,
    attempt: &Attempt,
    slot: usize,
    q: &Arc<Question>,
    given: Option<Answer>,
    locked: bool,
    reveal: bool,
) -> Slot {
    let shown = quiz::shown(&attempt.id, slot, q);
    let mut picked: Vec<usize> = Vec::new();
    let mut places = vec![0; shown.items.len()];
    let mut s = Slot {
        number: slot + 1,
        choices: Vec::new(),
        flag: None,
        text: String::new(),
        ordering: Vec::new(),
        matching: Vec::new(),
        locked,
        result: None,
        shown,
    };
    match (&q.kind, &given) {
        (Kind::Ordering { items }, Some(Answer::Picks(order))) => {
            let mixed = quiz::mixed_order(&attempt.id, slot, items.len());
            for (place, right) in order.iter().enumerate() {
                if let Some(shown_at) = mixed.iter().position(|m| m == right) {
                    places[shown_at] = place + 1;
                }
            }
        }
        (Kind::Matching { pairs }, Some(Answer::Picks(chosen))) => {
            let options = quiz::matching_options(pairs);
            picked = chosen
                .iter()
                .map(|pair| {
                    pairs
                        .get(*pair)
                        .and_then(|p| options.iter().position(|o| o.1 == p.1))
                        .unwrap_or(usize::MAX)
                })
                .collect();
        }
        (_, Some(Answer::Picks(p))) => picked = p.clone(),
        (_, Some(Answer::Flag(f))) => s.flag = Some(*f),
        (_, Some(Answer::Text(t))) => s.text = t.clone(),
        (_, None) => {}
    }
    s.choices = s
        .shown
        .choices
        .iter()
        .enumerate()
        .map(|(i, c)| (i, c.clone(), picked.contains(&i)))
        .collect();
    let n = s.shown.items.len();
    s.ordering = s
        .shown
        .items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            (
                i,
                item.clone(),
                (1..=n).map(|p| (p, places[i] == p)).collect(),
            )
        })
        .collect();
    s.matching = s
        .shown
        .prompts
        .iter()
        .enumerate()
        .map(|(i, prompt)| {
            let options = s
                .shown
                .options
                .iter()
                .enumerate()
                .map(|(o, text)| (o, text.clone(), picked.get(i) == Some(&o)))
                .collect();
            (i, prompt.clone(), options)
        })
        .collect();
    if reveal {
        let score = given.as_ref().map(|g| q.score(g));
        s.result = Some(Outcome {
            correct: score.as_ref().is_some_and(|s| s.correct),
            score: percent(score.as_ref().map_or(0.0, |s| s.fraction)),
            feedback: score.map(|s| s.feedback).unwrap_or_default(),
            right: right_answer(page, q),
            given: given.map_or_else(|| page.t("quiz-not-answered"), |g| said(page, q, &g)),
        });
    }
    s
}

/// The right answer, in words.
fn right_answer(page: &Page, q: &Question) -> String {
    match &q.kind {
        Kind::Single { choices } | Kind::Multiple { choices } => choices
            .iter()
            .filter(|c| c.weight > 0.0)
            .map(|c| c.text.clone())
            .collect::<Vec<_>>()
            .join(" ; "),
        Kind::TrueFalse { answer, .. } => page.t(if *answer { "quiz-true" } else { "quiz-false" }),
        Kind::Numeric { answers, units } => answers
            .iter()
            .filter(|a| a.weight >= 1.0)
            .map(|a| {
                let unit = units.first().map(|u| format!(" {u}")).unwrap_or_default();
                if a.tolerance > 0.0 {
                    format!("{} ± {}{unit}", a.value, a.tolerance)
                } else {
                    format!("{}{unit}", a.value)
                }
            })
            .collect::<Vec<_>>()
            .join(" ; "),
        Kind::ShortText { accepted } => accepted
            .iter()
            .filter(|a| a.weight >= 1.0)
            .map(|a| a.text.clone())
            .collect::<Vec<_>>()
            .join(" ; "),
        Kind::Ordering { items } => items.join(" → "),
        Kind::Matching { pairs } => pairs
            .iter()
            .map(|(p, a)| format!("{p} → {a}"))
            .collect::<Vec<_>>()
            .join(" ; "),
    }
}

/// The learner's answer, in words.
fn said(page: &Page, q: &Question, given: &Answer) -> String {
    match (&q.kind, given) {
        (Kind::Single { choices } | Kind::Multiple { choices }, Answer::Picks(p)) => p
            .iter()
            .filter_map(|i| choices.get(*i).map(|c| c.text.clone()))
            .collect::<Vec<_>>()
            .join(" ; "),
        (_, Answer::Flag(f)) => page.t(if *f { "quiz-true" } else { "quiz-false" }),
        (_, Answer::Text(t)) => t.clone(),
        (Kind::Ordering { items }, Answer::Picks(order)) => order
            .iter()
            .filter_map(|i| items.get(*i).cloned())
            .collect::<Vec<_>>()
            .join(" → "),
        (Kind::Matching { pairs }, Answer::Picks(chosen)) => pairs
            .iter()
            .zip(chosen)
            .map(|((prompt, _), c)| {
                format!("{prompt} → {}", pairs.get(*c).map_or("?", |p| p.1.as_str()))
            })
            .collect::<Vec<_>>()
            .join(" ; "),
        _ => String::new(),
    }
}

/// Reads the form's answer in the page's terms: None when the form
/// carried none (the learner only moved on).
fn form_answer(
    kind: &str,
    n: usize,
    fields: &[(String, String)],
) -> Result<Option<Answer>, &'static str> {
    fn values<'a>(fields: &'a [(String, String)], name: &str) -> std::vec::IntoIter<&'a str> {
        fields
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .collect::<Vec<_>>()
            .into_iter()
    }
    let picks = |name: &str| -> Result<Vec<usize>, &'static str> {
        values(fields, name)
            .filter(|v| !v.is_empty())
            .map(|v| v.parse().map_err(|_| "answer"))
            .collect()
    };
    Ok(match kind {
        "single" | "multiple" => {
            let p = picks("a")?;
            (!p.is_empty()).then_some(Answer::Picks(p))
        }
        "true_false" => values(fields, "a").next().and_then(|v| match v {
            "true" => Some(Answer::Flag(true)),
            "false" => Some(Answer::Flag(false)),
            _ => None,
        }),
        "numeric" | "short_text" => values(fields, "a")
            .next()
            .filter(|v| !v.is_empty())
            .map(|v| Answer::Text(v.to_owned())),
        "ordering" => {
            let mut by_place = vec![usize::MAX; n];
            let mut any = false;
            for item in 0..n {
                let Some(place) = values(fields, &format!("p{item}"))
                    .next()
                    .filter(|v| !v.is_empty())
                else {
                    continue;
                };
                any = true;
                let place: usize = place.parse().map_err(|_| "places")?;
                let spot = by_place.get_mut(place.wrapping_sub(1)).ok_or("places")?;
                if *spot != usize::MAX {
                    return Err("places");
                }
                *spot = item;
            }
            if !any {
                None
            } else if by_place.contains(&usize::MAX) {
                return Err("places");
            } else {
                Some(Answer::Picks(by_place))
            }
        }
        "matching" => {
            let mut chosen = Vec::with_capacity(n);
            for prompt in 0..n {
                if let Some(v) = values(fields, &format!("m{prompt}"))
                    .next()
                    .filter(|v| !v.is_empty())
                {
                    chosen.push(v.parse().map_err(|_| "answer")?);
                }
            }
            if chosen.is_empty() {
                None
            } else if chosen.len() < n {
                return Err("answer");
            } else {
                Some(Answer::Picks(chosen))
            }
        }
        _ => None,
    })
}

pub async fn save(
    State(state): State<Shared>,
    Path((lang, id, aid)): Path<(String, String, String)>,
    Require(auth, ..): Require<AnyRole>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let attempt = quiz::own_attempt(&state, &aid, &auth.user)
        .await
        .map_err(fault(lang))?;
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let slot: usize = field("slot")
        .and_then(|s| s.parse::<usize>().ok())
        .filter(|s| *s >= 1 && *s <= attempt.paper.len())
        .map(|s| s - 1)
        .ok_or(PageError::NotFound(lang, String::new()))?;
    let back = |slot: usize, error: Option<&str>| {
        let mut to = attempt_link(lang, &id, &attempt.id, slot);
        if let Some(e) = error {
            to.push_str(&format!("&error={e}"));
        }
        Redirect::to(&to).into_response()
    };
    let go = field("go").unwrap_or("next");
    if attempt.finished_at.is_none() {
        let q = quiz::questions(&state, std::slice::from_ref(&attempt.paper[slot]))
            .await
            .map_err(fault(lang))?;
        let shown = quiz::shown(&attempt.id, slot, &q[0]);
        let n = shown.items.len().max(shown.prompts.len());
        let given = match form_answer(shown.kind, n, &fields) {
            Ok(g) => g,
            Err(e) => return Ok(back(slot, Some(e))),
        };
        if let Some(given) = given {
            let given = quiz::answer_from_shown(&attempt.id, slot, &q[0], given);
            match quiz::answer(&state, &attempt, &auth.user, slot, &given).await {
                Ok(_) => {}
                Err(quiz::NotSaved::Final) => return Ok(back(slot, Some("final"))),
                // Time ran out: the attempt is over; its review says so.
                Err(quiz::NotSaved::Over) => return Ok(back(slot, None)),
                Err(quiz::NotSaved::Fault(e)) => return Err(fault(lang)(e)),
            }
        }
    }
    let to = match go {
        "finish" => {
            finish_now(&state, &attempt, &auth.user, lang).await?;
            slot
        }
        "check" => slot,
        "previous" => slot.saturating_sub(1),
        other => match other
            .strip_prefix("q")
            .and_then(|n| n.parse::<usize>().ok())
        {
            Some(n) if n >= 1 => (n - 1).min(attempt.paper.len() - 1),
            _ => (slot + 1).min(attempt.paper.len() - 1),
        },
    };
    Ok(back(to, None))
}

async fn finish_now(
    state: &Shared,
    attempt: &Attempt,
    user: &User,
    lang: UiLang,
) -> Result<(), PageError> {
    quiz::finish(state, attempt, user)
        .await
        .map_err(fault(lang))?;
    Ok(())
}

#[derive(Template)]
#[template(path = "quiz-results.html")]
struct ResultsTemplate {
    page: Page,
    quiz: String,
    results: quiz::Results,
    mean: String,
    classes: Vec<(String, String, bool)>,
}

pub async fn results(
    State(state): State<Shared>,
    Path((lang, id)): Path<(String, String)>,
    Require(auth, ..): Require<Teachers>,
    Query(query): Query<quiz::ResultsQuery>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let loaded = quiz::load(&state, &id).await.map_err(fault(lang))?;
    let only = quiz::class_filter(&state, &auth.user, query.class.as_deref())
        .await
        .map_err(fault(lang))?;
    let results = quiz::results(&state, &loaded.quiz, only.as_ref())
        .await
        .map_err(fault(lang))?;
    let classes = state
        .db
        .classes_of(auth.user.login.as_str())
        .await
        .map_err(|e| (lang, e))?
        .into_iter()
        .filter(|(_, m)| *m == cartable_core::accounts::Membership::Teacher)
        .map(|(c, _)| {
            let current = query.class.as_deref() == Some(c.id.as_str());
            (c.id, c.name, current)
        })
        .collect();
    let t = ResultsTemplate {
        page: Page::new(
            lang,
            format!(
                "{} — {}",
                loaded.quiz.spec.title,
                Page::new_static(lang, "quiz-results", String::new()).title
            ),
            format!("/quizzes/{id}/results"),
        ),
        quiz: id,
        mean: results.mean.map(percent).unwrap_or_else(|| "—".into()),
        results,
        classes,
    };
    personal(lang, StatusCode::OK, t.render())
}
