//! Competition pages: the list, a competition (brief, rubric, deadline,
//! the learner's team and its submission, the published results), team
//! registration, the submission form (text and files within the limits),
//! and the jury's page where each juror scores each team.

use super::account::personal;
use super::view::Page;
use super::{PageError, ui_lang, utc_time};
use crate::auth::{AnyRole, MaybeAuth, Require, url_encode};
use crate::{Shared, UiLang};
use askama::Template;
use axum::Form;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use cartable_core::accounts::{Login, Role};
use cartable_core::competition::{FileRefusal, Ranked, ranking};
use cartable_store::competition::{Competition, Registered, SubmittedFile, Team};
use serde::Deserialize;

/// What a page about a competition shows of one file.
pub struct FileLink {
    name: String,
    url: String,
    size: String,
}

fn file_links(files: &[SubmittedFile]) -> Vec<FileLink> {
    files
        .iter()
        .map(|f| FileLink {
            url: crate::api::download_url(&f.blob, &url_encode(&f.name)),
            size: format!("{:.1} MB", f.size as f64 / 1e6),
            name: f.name.clone(),
        })
        .collect()
}

async fn found(state: &Shared, lang: UiLang, id: &str) -> Result<Competition, PageError> {
    state
        .db
        .competition(id)
        .await
        .map_err(|e| (lang, e))?
        .ok_or_else(|| PageError::NotFound(lang, format!("/competitions/{id}")))
}

#[derive(Template)]
#[template(path = "competitions.html")]
struct ListTemplate {
    page: Page,
    /// (id, title, deadline, open)
    competitions: Vec<(String, String, String, bool)>,
}

pub async fn list(
    State(state): State<Shared>,
    Path(lang): Path<String>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let page = Page::new_static(lang, "competition-list-title", "/competitions".into());
    let now = cartable_store::now();
    let competitions = state
        .db
        .competitions()
        .await
        .map_err(|e| (lang, e))?
        .into_iter()
        .map(|c| {
            (
                c.id,
                c.spec.title,
                utc_time(c.spec.deadline),
                now <= c.spec.deadline,
            )
        })
        .collect();
    personal(
        lang,
        StatusCode::OK,
        ListTemplate { page, competitions }.render(),
    )
}

#[derive(Template)]
#[template(path = "competition.html")]
struct CompetitionTemplate {
    page: Page,
    c: Competition,
    deadline: String,
    open: bool,
    signed_in: bool,
    juror: bool,
    csrf: String,
    team: Option<Team>,
    body: String,
    files: Vec<FileLink>,
    submitted_at: Option<String>,
    types: String,
    max_mb: String,
    results: Vec<(Ranked, String)>,
    errors: Vec<String>,
}

fn is_juror(c: &Competition, login: &str, role: Role) -> bool {
    role == Role::Admin || c.spec.jury.iter().any(|j| j == login)
}

async fn page_of(
    state: &Shared,
    lang: UiLang,
    id: &str,
    auth: Option<&crate::auth::Auth>,
    errors: Vec<String>,
) -> Result<CompetitionTemplate, PageError> {
    let c = found(state, lang, id).await?;
    let now = cartable_store::now();
    let team = match auth {
        Some(a) => state
            .db
            .team_of(id, a.user.login.as_str())
            .await
            .map_err(|e| (lang, e))?,
        None => None,
    };
    let submission = match &team {
        Some(t) => state.db.submission(&t.id).await.map_err(|e| (lang, e))?,
        None => None,
    };
    let results = if c.published_at.is_some() {
        results(state, lang, id).await?
    } else {
        Vec::new()
    };
    Ok(CompetitionTemplate {
        page: Page::new(lang, c.spec.title.clone(), format!("/competitions/{id}")),
        deadline: utc_time(c.spec.deadline),
        open: now <= c.spec.deadline,
        signed_in: auth.is_some(),
        juror: auth.is_some_and(|a| is_juror(&c, a.user.login.as_str(), a.user.role)),
        csrf: auth.and_then(|a| a.csrf.clone()).unwrap_or_default(),
        team,
        body: submission
            .as_ref()
            .map(|s| s.body.clone())
            .unwrap_or_default(),
        files: submission
            .as_ref()
            .map(|s| file_links(&s.files))
            .unwrap_or_default(),
        submitted_at: submission.as_ref().map(|s| utc_time(s.submitted_at)),
        types: c.spec.types.join(", "),
        max_mb: format!("{:.0}", c.spec.max_bytes as f64 / 1e6),
        results,
        errors,
        c,
    })
}

/// The ranking with each team's name.
async fn results(
    state: &Shared,
    lang: UiLang,
    id: &str,
) -> Result<Vec<(Ranked, String)>, PageError> {
    let teams = state.db.teams(id).await.map_err(|e| (lang, e))?;
    let scores = state.db.scores(id).await.map_err(|e| (lang, e))?;
    let by_team: Vec<(String, Vec<Vec<u32>>)> = teams
        .iter()
        .map(|t| {
            let given = scores
                .iter()
                .filter(|s| s.team_id == t.id)
                .map(|s| s.scores.clone())
                .collect();
            (t.id.clone(), given)
        })
        .collect();
    Ok(ranking(&by_team)
        .into_iter()
        .map(|r| {
            let name = teams
                .iter()
                .find(|t| t.id == r.team)
                .map(|t| t.name.clone())
                .unwrap_or_default();
            (r, name)
        })
        .collect())
}

pub async fn page(
    State(state): State<Shared>,
    Path((lang, id)): Path<(String, String)>,
    MaybeAuth(auth): MaybeAuth,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let t = page_of(&state, lang, &id, auth.as_ref(), Vec::new()).await?;
    personal(lang, StatusCode::OK, t.render())
}

/// The competition's page again, with what was refused and its status.
async fn refused(
    state: &Shared,
    lang: UiLang,
    id: &str,
    auth: &crate::auth::Auth,
    status: StatusCode,
    error: String,
) -> Result<Response, PageError> {
    let t = page_of(state, lang, id, Some(auth), vec![error]).await?;
    personal(lang, status, t.render())
}

fn back(lang: UiLang, id: &str) -> Response {
    Redirect::to(&format!("/{}/competitions/{}", lang.code(), url_encode(id))).into_response()
}

#[derive(Deserialize)]
pub struct TeamForm {
    #[serde(rename = "csrf")]
    _csrf: String,
    name: String,
    #[serde(default)]
    members: String,
}

/// Why a form was refused: the status, and the message-key's text with
/// what it is about.
type Refusal = (StatusCode, String);

fn refusal(lang: UiLang, status: StatusCode, key: &str, about: &str) -> Refusal {
    let text = Page::new(lang, String::new(), String::new()).t(key);
    (status, format!("{text} {about}").trim().to_owned())
}

pub async fn register(
    State(state): State<Shared>,
    Path((lang, id)): Path<(String, String)>,
    Require(auth, ..): Require<AnyRole>,
    Form(form): Form<TeamForm>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let c = found(&state, lang, &id).await?;
    let outcome = match team_members(&state, lang, &c, &auth, &form).await? {
        Ok(members) => {
            let team = cartable_core::xapi::new_statement_id();
            let name = form.name.trim();
            let by = auth.user.login.as_str();
            match state
                .db
                .register_team(&id, &team, name, &members, by)
                .await
                .map_err(|e| (lang, e))?
            {
                Registered::Made => Ok(()),
                Registered::NameTaken => Err(refusal(
                    lang,
                    StatusCode::CONFLICT,
                    "competition-name-taken",
                    "",
                )),
                Registered::AlreadyInATeam(who) => Err(refusal(
                    lang,
                    StatusCode::CONFLICT,
                    "competition-already-in-team",
                    &who.join(", "),
                )),
            }
        }
        Err(r) => Err(r),
    };
    match outcome {
        Ok(()) => Ok(back(lang, &id)),
        Err((status, error)) => refused(&state, lang, &id, &auth, status, error).await,
    }
}

/// The members of a new team (its registrant first), or why not.
async fn team_members(
    state: &Shared,
    lang: UiLang,
    c: &Competition,
    auth: &crate::auth::Auth,
    form: &TeamForm,
) -> Result<Result<Vec<String>, Refusal>, PageError> {
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    if cartable_store::now() > c.spec.deadline {
        return Ok(Err(refusal(
            lang,
            StatusCode::CONFLICT,
            "competition-closed",
            "",
        )));
    }
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Ok(Err(refusal(
            lang,
            unprocessable,
            "competition-team-name",
            "",
        )));
    }
    let mut members = vec![auth.user.login.as_str().to_owned()];
    for m in form
        .members
        .split([',', ' ', '\n'])
        .map(str::trim)
        .filter(|m| !m.is_empty())
    {
        let known = match Login::try_from(m) {
            Ok(login) => state
                .db
                .user(login.as_str())
                .await
                .map_err(|e| (lang, e))?
                .is_some(),
            Err(_) => false,
        };
        if !known {
            return Ok(Err(refusal(
                lang,
                unprocessable,
                "competition-unknown-member",
                m,
            )));
        }
        if !members.iter().any(|x| x == m) {
            members.push(m.to_owned());
        }
    }
    if members.len() > c.spec.max_team {
        let limit = c.spec.max_team.to_string();
        return Ok(Err(refusal(
            lang,
            unprocessable,
            "competition-team-too-big",
            &limit,
        )));
    }
    Ok(Ok(members))
}

/// The team's submission: its text, and a file to add (multipart form).
pub async fn submit(
    State(state): State<Shared>,
    Path((lang, id)): Path<(String, String)>,
    Require(auth, ..): Require<AnyRole>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let c = found(&state, lang, &id).await?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    match submission(&state, lang, &c, &auth, content_type, &body).await? {
        Ok(()) => Ok(back(lang, &id)),
        Err((status, error)) => refused(&state, lang, &id, &auth, status, error).await,
    }
}

/// Stores a submission sent, or says why not; nothing of a refused one
/// is kept.
async fn submission(
    state: &Shared,
    lang: UiLang,
    c: &Competition,
    auth: &crate::auth::Auth,
    content_type: &str,
    body: &Bytes,
) -> Result<Result<(), Refusal>, PageError> {
    let login = auth.user.login.as_str();
    let Some(team) = state
        .db
        .team_of(&c.id, login)
        .await
        .map_err(|e| (lang, e))?
    else {
        return Ok(Err(refusal(
            lang,
            StatusCode::CONFLICT,
            "competition-no-team",
            "",
        )));
    };
    let now = cartable_store::now();
    if now > c.spec.deadline {
        return Ok(Err(refusal(
            lang,
            StatusCode::CONFLICT,
            "competition-closed",
            "",
        )));
    }
    let super::archive::MultipartForm { fields, file } =
        match super::archive::multipart_form(content_type, body) {
            Ok(form) => form,
            Err(e) => return Ok(Err((StatusCode::BAD_REQUEST, e))),
        };
    let text = fields
        .iter()
        .find(|(k, _)| k == "body")
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default();
    if text.chars().count() > 20_000 {
        let status = StatusCode::PAYLOAD_TOO_LARGE;
        return Ok(Err(refusal(lang, status, "competition-text-too-long", "")));
    }
    let before = state.db.submission(&team.id).await.map_err(|e| (lang, e))?;
    let mut files = before.map(|s| s.files).unwrap_or_default();
    if let Some((name, bytes)) = file.filter(|(n, _)| !n.is_empty()) {
        if let Err(refused) = c.spec.accepts(&name, bytes.len() as u64, files.len()) {
            let (status, key, about) = match refused {
                FileRefusal::TooLarge { limit } => (
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "competition-file-too-large",
                    format!("{:.0} MB", limit as f64 / 1e6),
                ),
                FileRefusal::WrongType { allowed } => (
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "competition-file-type",
                    allowed.join(", "),
                ),
                FileRefusal::TooMany { limit } => (
                    StatusCode::CONFLICT,
                    "competition-too-many-files",
                    limit.to_string(),
                ),
            };
            let (status, why) = refusal(lang, status, key, &about);
            return Ok(Err((status, format!("{name}: {why}"))));
        }
        let size = bytes.len() as u64;
        let hash = state.blobs.put_bytes(bytes).await.map_err(|e| (lang, e))?;
        files.push(SubmittedFile {
            mime: mime_of(&name).into(),
            name,
            blob: hash.to_string(),
            size,
        });
    }
    if text.is_empty() && files.is_empty() {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(Err(refusal(lang, status, "competition-empty", "")));
    }
    let taken = state
        .db
        .submit(&c.id, &team.id, &text, &files, login, now)
        .await
        .map_err(|e| (lang, e))?;
    if !taken {
        return Ok(Err(refusal(
            lang,
            StatusCode::CONFLICT,
            "competition-closed",
            "",
        )));
    }
    Ok(Ok(()))
}

fn mime_of(name: &str) -> &'static str {
    match name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .as_deref()
    {
        Some("pdf") => "application/pdf",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("mp4") => "video/mp4",
        Some("mp3") => "audio/mpeg",
        Some("zip") => "application/zip",
        Some("txt") => "text/plain",
        _ => "application/octet-stream",
    }
}

/// One team as the jury sees it.
pub struct JuryTeam {
    team: Team,
    body: String,
    files: Vec<FileLink>,
    submitted: bool,
    /// (criterion, max, this juror's score)
    lines: Vec<(String, u32, Option<u32>)>,
    comment: String,
}

#[derive(Template)]
#[template(path = "competition-jury.html")]
struct JuryTemplate {
    page: Page,
    id: String,
    csrf: String,
    teams: Vec<JuryTeam>,
    closed: bool,
    published: bool,
}

async fn juror_of(
    state: &Shared,
    lang: UiLang,
    id: &str,
    auth: &crate::auth::Auth,
) -> Result<Competition, PageError> {
    let c = found(state, lang, id).await?;
    if !is_juror(&c, auth.user.login.as_str(), auth.user.role) {
        return Err(PageError::Forbidden(lang));
    }
    Ok(c)
}

pub async fn jury(
    State(state): State<Shared>,
    Path((lang, id)): Path<(String, String)>,
    Require(auth, ..): Require<AnyRole>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let c = juror_of(&state, lang, &id, &auth).await?;
    let submissions = state.db.submissions(&id).await.map_err(|e| (lang, e))?;
    let scores = state.db.scores(&id).await.map_err(|e| (lang, e))?;
    let login = auth.user.login.as_str();
    let teams = state
        .db
        .teams(&id)
        .await
        .map_err(|e| (lang, e))?
        .into_iter()
        .map(|team| {
            let s = submissions.iter().find(|s| s.team_id == team.id);
            let mine = scores
                .iter()
                .find(|x| x.team_id == team.id && x.juror == login);
            JuryTeam {
                body: s.map(|s| s.body.clone()).unwrap_or_default(),
                files: s.map(|s| file_links(&s.files)).unwrap_or_default(),
                submitted: s.is_some(),
                lines: c
                    .spec
                    .rubric
                    .iter()
                    .enumerate()
                    .map(|(i, r)| {
                        (
                            r.name.clone(),
                            r.max,
                            mine.and_then(|m| m.scores.get(i).copied()),
                        )
                    })
                    .collect(),
                comment: mine.map(|m| m.comment.clone()).unwrap_or_default(),
                team,
            }
        })
        .collect();
    let t = JuryTemplate {
        page: Page::new(
            lang,
            format!(
                "{} — {}",
                c.spec.title,
                Page::new_static(lang, "competition-jury", String::new()).title
            ),
            format!("/competitions/{id}/jury"),
        ),
        csrf: auth.csrf.clone().unwrap_or_default(),
        teams,
        closed: cartable_store::now() > c.spec.deadline,
        published: c.published_at.is_some(),
        id,
    };
    personal(lang, StatusCode::OK, t.render())
}

pub async fn score(
    State(state): State<Shared>,
    Path((lang, id, team)): Path<(String, String, String)>,
    Require(auth, ..): Require<AnyRole>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let c = juror_of(&state, lang, &id, &auth).await?;
    let teams = state.db.teams(&id).await.map_err(|e| (lang, e))?;
    if !teams.iter().any(|t| t.id == team) {
        return Err(PageError::NotFound(lang, String::new()));
    }
    let mut scores = Vec::with_capacity(c.spec.rubric.len());
    for i in 0..c.spec.rubric.len() {
        let given = fields
            .iter()
            .find(|(k, _)| *k == format!("c{i}"))
            .and_then(|(_, v)| v.trim().parse::<u32>().ok());
        match given {
            Some(n) => scores.push(n),
            None => {
                return Ok((
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "every criterion needs a whole number",
                )
                    .into_response());
            }
        }
    }
    if let Err(e) = c.spec.check_scores(&scores) {
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, e).into_response());
    }
    let comment = fields
        .iter()
        .find(|(k, _)| k == "comment")
        .map(|(_, v)| v.trim().chars().take(2_000).collect::<String>())
        .unwrap_or_default();
    state
        .db
        .put_score(&team, auth.user.login.as_str(), &scores, &comment)
        .await
        .map_err(|e| (lang, e))?;
    Ok(Redirect::to(&format!(
        "/{}/competitions/{}/jury",
        lang.code(),
        url_encode(&id)
    ))
    .into_response())
}

pub async fn publish(
    State(state): State<Shared>,
    Path((lang, id)): Path<(String, String)>,
    Require(auth, ..): Require<AnyRole>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let c = juror_of(&state, lang, &id, &auth).await?;
    if cartable_store::now() <= c.spec.deadline {
        let page = Page::new(lang, String::new(), String::new());
        return refused(
            &state,
            lang,
            &id,
            &auth,
            StatusCode::CONFLICT,
            page.t("competition-not-yet"),
        )
        .await;
    }
    state
        .db
        .publish_competition(&id)
        .await
        .map_err(|e| (lang, e))?;
    Ok(back(lang, &id))
}
