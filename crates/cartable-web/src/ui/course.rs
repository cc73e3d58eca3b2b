//! Course pages: the list, a course (its modules, what the learner has
//! done of each, enrolment, readings marked as read), the learner's
//! printable certificate, and the public page that verifies one.

use super::account::personal;
use super::view::Page;
use super::{PageError, text_in, ui_lang, utc_time};
use crate::auth::{AnyRole, MaybeAuth, Require, url_encode};
use crate::{Shared, UiLang};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use cartable_core::accounts::{Membership, Role, User};
use cartable_core::course::{Item, certificate_code};
use cartable_core::progress::capsule_activity;
use cartable_store::course::{Certificate, Course};
use serde_json::json;

async fn found(state: &Shared, lang: UiLang, id: &str) -> Result<Course, PageError> {
    state
        .db
        .course(id)
        .await
        .map_err(|e| (lang, e))?
        .ok_or_else(|| PageError::NotFound(lang, format!("/courses/{id}")))
}

#[derive(Template)]
#[template(path = "courses.html")]
struct ListTemplate {
    page: Page,
    /// (id, title, summary, modules)
    courses: Vec<(String, String, String, usize)>,
}

pub async fn list(
    State(state): State<Shared>,
    Path(lang): Path<String>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let page = Page::new_static(lang, "course-list-title", "/courses".into());
    let courses = state
        .db
        .courses()
        .await
        .map_err(|e| (lang, e))?
        .into_iter()
        .map(|c| (c.id, c.spec.title, c.spec.summary, c.spec.modules.len()))
        .collect();
    personal(
        lang,
        StatusCode::OK,
        ListTemplate { page, courses }.render(),
    )
}

/// One step of a module as the page shows it.
struct Step {
    kind: &'static str,
    /// The message key naming its kind.
    key: &'static str,
    title: String,
    link: Option<String>,
    text: String,
    done: bool,
    module: usize,
    item: usize,
}

struct ModuleView {
    title: String,
    steps: Vec<Step>,
    done: usize,
}

/// Where a learner (or a visitor) is with a course.
struct Standing {
    modules: Vec<ModuleView>,
    done: usize,
    total: usize,
}

async fn standing(
    state: &Shared,
    lang: UiLang,
    c: &Course,
    login: Option<&str>,
) -> Result<Standing, PageError> {
    let fault = |e| PageError::from((lang, e));
    let readings = match login {
        Some(l) => state.db.readings_done(&c.id, l).await.map_err(fault)?,
        None => Vec::new(),
    };
    let capsule_ids: Vec<String> = c
        .spec
        .items()
        .filter_map(|(_, _, i)| match i {
            Item::Capsule { id } => Some(capsule_activity(&state.settings.public_url, id)),
            _ => None,
        })
        .collect();
    let watched = match login {
        Some(l) => {
            let refs: Vec<&str> = capsule_ids.iter().map(String::as_str).collect();
            state.db.progress_of(l, &refs).await.map_err(fault)?
        }
        None => Vec::new(),
    };
    let mut modules: Vec<ModuleView> = c
        .spec
        .modules
        .iter()
        .map(|m| ModuleView {
            title: m.title.clone(),
            steps: Vec::new(),
            done: 0,
        })
        .collect();
    for (m, i, item) in c.spec.items() {
        let step = match item {
            Item::Capsule { id } => {
                let capsule = state.db.capsule(id).await.map_err(fault)?;
                let activity = capsule_activity(&state.settings.public_url, id);
                Step {
                    kind: "capsule",
                    key: "course-kind-capsule",
                    title: capsule
                        .as_ref()
                        .map_or_else(|| id.clone(), |c| text_in(&c.titles, lang)),
                    link: capsule.map(|_| format!("/{}/capsules/{}", lang.code(), url_encode(id))),
                    text: String::new(),
                    done: watched
                        .iter()
                        .any(|p| p.activity == activity && p.completed),
                    module: m,
                    item: i,
                }
            }
            Item::Quiz { id } => {
                let quiz = state.db.quiz(id).await.map_err(fault)?;
                let passed = match (login, &quiz) {
                    (Some(l), Some(q)) => state
                        .db
                        .attempts_of(id, l)
                        .await
                        .map_err(fault)?
                        .iter()
                        .any(|a| {
                            a.finished_at.is_some() && crate::quiz::scaled(a) + 1e-9 >= q.spec.pass
                        }),
                    _ => false,
                };
                Step {
                    kind: "quiz",
                    key: "course-kind-quiz",
                    title: quiz
                        .as_ref()
                        .map_or_else(|| id.clone(), |q| q.spec.title.clone()),
                    link: quiz.map(|_| format!("/{}/quizzes/{}", lang.code(), url_encode(id))),
                    text: String::new(),
                    done: passed,
                    module: m,
                    item: i,
                }
            }
            Item::Reading { title, text, url } => Step {
                kind: "reading",
                key: "course-kind-reading",
                title: title.clone(),
                link: url.clone(),
                text: text.clone(),
                done: readings.contains(&(m as i64, i as i64)),
                module: m,
                item: i,
            },
        };
        if step.done {
            modules[m].done += 1;
        }
        modules[m].steps.push(step);
    }
    let total = modules.iter().map(|m| m.steps.len()).sum();
    let done = modules.iter().map(|m| m.done).sum();
    Ok(Standing {
        modules,
        done,
        total,
    })
}

/// Whether the user may enrol: open courses to anyone signed in, others
/// to their classes' learners (admins always).
async fn may_enrol(
    state: &Shared,
    lang: UiLang,
    c: &Course,
    user: &User,
) -> Result<bool, PageError> {
    if c.spec.open || user.role == Role::Admin {
        return Ok(true);
    }
    let classes = state
        .db
        .classes_of(user.login.as_str())
        .await
        .map_err(|e| (lang, e))?;
    Ok(classes
        .iter()
        .any(|(class, m)| *m == Membership::Learner && c.spec.classes.contains(&class.id)))
}

#[derive(Template)]
#[template(path = "course.html")]
struct CourseTemplate {
    page: Page,
    c: Course,
    signed_in: bool,
    enrolled: bool,
    may_enrol: bool,
    csrf: String,
    modules: Vec<ModuleView>,
    done: usize,
    total: usize,
    certificate: Option<String>,
}

pub async fn page(
    State(state): State<Shared>,
    Path((lang, id)): Path<(String, String)>,
    MaybeAuth(auth): MaybeAuth,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let c = found(&state, lang, &id).await?;
    let login = auth.as_ref().map(|a| a.user.login.as_str().to_owned());
    let enrolled = match &login {
        Some(l) => state
            .db
            .enrolled_in_course(&id, l)
            .await
            .map_err(|e| (lang, e))?,
        None => false,
    };
    let may = match &auth {
        Some(a) => may_enrol(&state, lang, &c, &a.user).await?,
        None => false,
    };
    let s = standing(&state, lang, &c, login.as_deref().filter(|_| enrolled)).await?;
    let t = CourseTemplate {
        page: Page::new(lang, c.spec.title.clone(), format!("/courses/{id}")),
        signed_in: auth.is_some(),
        enrolled,
        may_enrol: may,
        csrf: auth
            .as_ref()
            .and_then(|a| a.csrf.clone())
            .unwrap_or_default(),
        certificate: (enrolled && s.total > 0 && s.done == s.total)
            .then(|| format!("/{}/courses/{}/certificate", lang.code(), url_encode(&id))),
        modules: s.modules,
        done: s.done,
        total: s.total,
        c,
    };
    personal(lang, StatusCode::OK, t.render())
}

fn back(lang: UiLang, id: &str) -> Response {
    Redirect::to(&format!("/{}/courses/{}", lang.code(), url_encode(id))).into_response()
}

pub async fn enrol(
    State(state): State<Shared>,
    Path((lang, id)): Path<(String, String)>,
    Require(auth, ..): Require<AnyRole>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let c = found(&state, lang, &id).await?;
    if !may_enrol(&state, lang, &c, &auth.user).await? {
        return Err(PageError::Forbidden(lang));
    }
    state
        .db
        .enrol_in_course(&id, auth.user.login.as_str())
        .await
        .map_err(|e| (lang, e))?;
    Ok(back(lang, &id))
}

pub async fn read(
    State(state): State<Shared>,
    Path((lang, id, module, item)): Path<(String, String, usize, usize)>,
    Require(auth, ..): Require<AnyRole>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let c = found(&state, lang, &id).await?;
    let is_reading = matches!(
        c.spec.modules.get(module).and_then(|m| m.items.get(item)),
        Some(Item::Reading { .. })
    );
    let login = auth.user.login.as_str();
    if !is_reading
        || !state
            .db
            .enrolled_in_course(&id, login)
            .await
            .map_err(|e| (lang, e))?
    {
        return Err(PageError::NotFound(lang, format!("/courses/{id}")));
    }
    state
        .db
        .mark_read(&id, login, module as i64, item as i64)
        .await
        .map_err(|e| (lang, e))?;
    Ok(back(lang, &id))
}

#[derive(Template)]
#[template(path = "certificate.html")]
struct CertificateTemplate {
    page: Page,
    cert: Certificate,
    issued: String,
    verify_url: String,
    /// The learner's own copy (printable), or the public check.
    own: bool,
}

fn verify_url(state: &Shared, lang: UiLang, code: &str) -> String {
    format!(
        "{}/{}/certificates/{code}",
        state.settings.public_url.trim_end_matches('/'),
        lang.code()
    )
}

/// The learner's certificate, issued the first time they ask once every
/// step is done (and recorded as the course completed).
pub async fn certificate(
    State(state): State<Shared>,
    Path((lang, id)): Path<(String, String)>,
    Require(auth, ..): Require<AnyRole>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let c = found(&state, lang, &id).await?;
    let login = auth.user.login.as_str();
    let cert = match state
        .db
        .certificate_of(&id, login)
        .await
        .map_err(|e| (lang, e))?
    {
        Some(cert) => cert,
        None => {
            let enrolled = state
                .db
                .enrolled_in_course(&id, login)
                .await
                .map_err(|e| (lang, e))?;
            let s = standing(&state, lang, &c, Some(login)).await?;
            if !enrolled || s.done < s.total {
                return Ok(back(lang, &id));
            }
            let mut random = [0u8; 8];
            getrandom::fill(&mut random).map_err(|e| PageError::Internal(lang, e.to_string()))?;
            let issued = state
                .db
                .issue_certificate(&Certificate {
                    code: certificate_code(u64::from_le_bytes(random)),
                    course_id: id.clone(),
                    login: login.to_owned(),
                    name: auth.user.name.clone(),
                    title: c.spec.title.clone(),
                    issued_at: cartable_store::now(),
                })
                .await
                .map_err(|e| (lang, e))?;
            record_completion(&state, &c, &auth.user)
                .await
                .map_err(|e| PageError::Internal(lang, e.message()))?;
            issued
        }
    };
    let t = CertificateTemplate {
        page: Page::new(
            lang,
            c.spec.title.clone(),
            format!("/courses/{id}/certificate"),
        ),
        issued: utc_time(cert.issued_at),
        verify_url: verify_url(&state, lang, &cert.code),
        own: true,
        cert,
    };
    personal(lang, StatusCode::OK, t.render())
}

async fn record_completion(state: &Shared, c: &Course, user: &User) -> Result<(), crate::ApiError> {
    let statement = json!({
        "actor": crate::xapi::user_agent(&state.lrs.home_page, user.login.as_str(), &user.name),
        "verb": {"id": cartable_core::progress::COMPLETED, "display": {"en-US": "completed"}},
        "object": {
            "objectType": "Activity",
            "id": format!("{}/courses/{}", state.lrs.home_page, c.id),
            "definition": {"type": "http://adlnet.gov/expapi/activities/course", "name": {"und": c.spec.title}},
        },
        "result": {"completion": true},
        "timestamp": cartable_core::xapi::format_timestamp(chrono::Utc::now()),
    });
    crate::quiz::record(state, vec![statement]).await
}

/// The public check of a certificate's code.
pub async fn verify(
    State(state): State<Shared>,
    Path((lang, code)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let Some(cert) = state
        .db
        .certificate(code.trim())
        .await
        .map_err(|e| (lang, e))?
    else {
        let page = Page::new_static(
            lang,
            "certificate-unknown-title",
            format!("/certificates/{code}"),
        );
        let body = page.t("certificate-unknown");
        let t = super::MessageTemplate { page, body };
        return personal(lang, StatusCode::NOT_FOUND, t.render());
    };
    let t = CertificateTemplate {
        page: Page::new(lang, cert.title.clone(), format!("/certificates/{code}")),
        issued: utc_time(cert.issued_at),
        verify_url: verify_url(&state, lang, &cert.code),
        own: false,
        cert,
    };
    personal(lang, StatusCode::OK, t.render())
}
