//! The pages of those who run the platform and teach: the admin page
//! (users, schools, classes, bulk enrolment) and the teacher's classes
//! with their picture sign-in. Every action is a plain form post; the
//! answer is the page again with a notice, so a generated password or a
//! picture card is shown once, to the one who asked.

use super::account::personal;
use super::pictures::{avatar_svg, key_svg};
use super::view::Page;
use super::{PageError, ui_lang};
use crate::api::accounts::{
    PictureCard, add_user_checked, enrol_csv, set_picture_login, taught_class,
};
use crate::auth::{Admins, Auth, Require, Teachers};
use crate::{ApiError, Shared, UiLang};
use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use cartable_core::accounts::{
    Class, Membership, Role, School, User, check_name, generate_password,
};
use serde::Deserialize;

type FormResult<T> = Result<Form<T>, axum::extract::rejection::FormRejection>;

/// What an action tells the one who did it: a line of text, and whether
/// it is a refusal (shown as an alert).
pub struct Notice {
    pub lines: Vec<String>,
    pub error: bool,
}

fn said(lines: Vec<String>) -> Option<Notice> {
    Some(Notice {
        lines,
        error: false,
    })
}

fn refused(lang: UiLang, e: ApiError) -> Result<Option<Notice>, PageError> {
    match e {
        ApiError::Internal(cause) => Err(PageError::Internal(lang, cause)),
        ApiError::BadRows(problems) => Ok(Some(Notice {
            lines: problems.iter().map(ToString::to_string).collect(),
            error: true,
        })),
        other => Ok(Some(Notice {
            lines: vec![other.message()],
            error: true,
        })),
    }
}

pub struct RoleChoice {
    pub value: &'static str,
    pub label: String,
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminTemplate {
    page: Page,
    csrf: String,
    notice: Option<Notice>,
    users: Vec<User>,
    roles: Vec<RoleChoice>,
    schools: Vec<School>,
    classes: Vec<Class>,
}

async fn admin_page(
    state: &Shared,
    lang: UiLang,
    auth: &Auth,
    notice: Option<Notice>,
) -> Result<Response, PageError> {
    let users = state.db.users().await.map_err(|e| (lang, e))?;
    let schools = state.db.schools().await.map_err(|e| (lang, e))?;
    let classes = state.db.classes().await.map_err(|e| (lang, e))?;
    let page = Page::new_static(lang, "admin-title", "/admin".into());
    let roles = Role::ALL
        .iter()
        .map(|r| RoleChoice {
            value: r.as_str(),
            label: page.t(&format!("role-{r}")),
        })
        .collect();
    let template = AdminTemplate {
        csrf: auth.csrf.clone().unwrap_or_default(),
        notice,
        users,
        roles,
        schools,
        classes,
        page,
    };
    personal(lang, StatusCode::OK, template.render())
}

pub async fn admin(
    State(state): State<Shared>,
    Path(lang): Path<String>,
    Require(auth, ..): Require<Admins>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    admin_page(&state, lang, &auth, None).await
}

#[derive(Deserialize)]
pub struct AddUserForm {
    login: String,
    name: String,
    role: String,
    password: Option<String>,
}

pub async fn add_user(
    State(state): State<Shared>,
    Path(lang): Path<String>,
    Require(auth, ..): Require<Admins>,
    form: FormResult<AddUserForm>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let page = Page::new(lang, String::new(), String::new());
    let notice = match form {
        Err(e) => refused(lang, ApiError::Invalid(e.body_text()))?,
        Ok(Form(f)) => match add_user_checked(
            &state.db,
            &state.hashing,
            &f.login,
            &f.name,
            &f.role,
            f.password.as_deref(),
        )
        .await
        {
            Ok((login, None)) => said(vec![format!("{}: {login}", page.t("admin-user-added"))]),
            Ok((login, Some(p))) => said(vec![
                format!("{}: {login}", page.t("admin-user-added")),
                format!("{}: {p}", page.t("admin-generated-password")),
            ]),
            Err(e) => refused(lang, e)?,
        },
    };
    admin_page(&state, lang, &auth, notice).await
}

#[derive(Deserialize)]
pub struct UpdateUserForm {
    action: String,
    role: Option<String>,
}

pub async fn update_user(
    State(state): State<Shared>,
    Path((lang, login)): Path<(String, String)>,
    Require(auth, ..): Require<Admins>,
    form: FormResult<UpdateUserForm>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let page = Page::new(lang, String::new(), String::new());
    let db = &state.db;
    let result: Result<Vec<String>, ApiError> = async {
        let Form(f) = form.map_err(|e| ApiError::Invalid(e.body_text()))?;
        if db.user(&login).await?.is_none() {
            return Err(ApiError::NotFound(format!("user \"{login}\"")));
        }
        match f.action.as_str() {
            "role" => {
                let role = Role::parse(f.role.as_deref().unwrap_or_default())?;
                db.update_user(&login, None, Some(role), None, None).await?;
                Ok(vec![format!("{}: {login}", page.t("admin-role-changed"))])
            }
            "password" => {
                let p = generate_password()?;
                let hash = state.hashing.hash(p.clone()).await?;
                db.update_user(&login, None, None, None, Some(&hash))
                    .await?;
                db.delete_sessions(&login).await?;
                Ok(vec![format!(
                    "{login}: {}: {p}",
                    page.t("admin-generated-password")
                )])
            }
            "disable" | "enable" => {
                let off = f.action == "disable";
                db.update_user(&login, None, None, Some(off), None).await?;
                if off {
                    db.delete_sessions(&login).await?;
                }
                Ok(vec![format!(
                    "{}: {login}",
                    page.t(if off {
                        "admin-disabled"
                    } else {
                        "admin-enabled"
                    })
                )])
            }
            "sessions" => {
                let n = db.delete_sessions(&login).await?;
                Ok(vec![format!(
                    "{login}: {}",
                    page.count("admin-sessions-ended", &n)
                )])
            }
            other => Err(ApiError::Invalid(format!("unknown action \"{other}\""))),
        }
    }
    .await;
    let notice = match result {
        Ok(lines) => said(lines),
        Err(e) => refused(lang, e)?,
    };
    admin_page(&state, lang, &auth, notice).await
}

#[derive(Deserialize)]
pub struct SchoolForm {
    id: String,
    name: String,
    /// Set when adding a class: its school.
    school: Option<String>,
}

/// Adds a school, or a class when the form names its school.
pub async fn add_group(
    State(state): State<Shared>,
    Path(lang): Path<String>,
    Require(auth, ..): Require<Admins>,
    form: FormResult<SchoolForm>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let page = Page::new(lang, String::new(), String::new());
    let result: Result<String, ApiError> = async {
        let Form(f) = form.map_err(|e| ApiError::Invalid(e.body_text()))?;
        let id = f.id.trim();
        cartable_core::ProgrammeId::try_from(id).map_err(|e| ApiError::Invalid(e.to_string()))?;
        let name = check_name(&f.name)?;
        let added = match &f.school {
            Some(school) => {
                if !state.db.schools().await?.iter().any(|s| s.id == *school) {
                    return Err(ApiError::Invalid(format!(
                        "there is no school \"{school}\""
                    )));
                }
                state.db.add_class(id, school, &name).await?
            }
            None => state.db.add_school(id, &name, "").await?,
        };
        if !added {
            return Err(ApiError::Conflict(format!("\"{id}\" is taken")));
        }
        Ok(format!("{}: {name}", page.t("admin-group-added")))
    }
    .await;
    let notice = match result {
        Ok(line) => said(vec![line]),
        Err(e) => refused(lang, e)?,
    };
    admin_page(&state, lang, &auth, notice).await
}

#[derive(Deserialize)]
pub struct EnrolForm {
    csv: String,
    skip_bad: Option<String>,
}

pub async fn enrol(
    State(state): State<Shared>,
    Path(lang): Path<String>,
    Require(auth, ..): Require<Admins>,
    form: FormResult<EnrolForm>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let page = Page::new(lang, String::new(), String::new());
    let notice = match form {
        Err(e) => refused(lang, ApiError::Invalid(e.body_text()))?,
        Ok(Form(f)) => match enrol_csv(
            &state.db,
            &state.hashing,
            "enrolment.csv",
            &f.csv,
            f.skip_bad.is_some(),
        )
        .await
        {
            Ok((enrolled, skipped)) => {
                let mut lines = vec![page.count("admin-enrolled", &(enrolled.len() as u64))];
                lines.extend(enrolled.iter().filter_map(|(l, p)| {
                    p.as_ref()
                        .map(|p| format!("{l}: {}: {p}", page.t("admin-generated-password")))
                }));
                lines.extend(skipped.iter().map(ToString::to_string));
                said(lines)
            }
            Err(e) => refused(lang, e)?,
        },
    };
    admin_page(&state, lang, &auth, notice).await
}

#[derive(Template)]
#[template(path = "teach.html")]
struct TeachTemplate {
    page: Page,
    classes: Vec<(String, String)>,
}

pub async fn teach(
    State(state): State<Shared>,
    Path(lang): Path<String>,
    Require(auth, ..): Require<Teachers>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let classes = if auth.user.role == Role::Admin {
        state.db.classes().await.map_err(|e| (lang, e))?
    } else {
        state
            .db
            .classes_of(auth.user.login.as_str())
            .await
            .map_err(|e| (lang, e))?
            .into_iter()
            .filter(|(_, m)| *m == Membership::Teacher)
            .map(|(c, _)| c)
            .collect()
    };
    let page = Page::new_static(lang, "teach-title", "/teach".into());
    let template = TeachTemplate {
        classes: classes
            .iter()
            .map(|c| {
                (
                    format!("/{}/teach/classes/{}", lang.code(), c.id),
                    format!("{} · {}", c.name, c.school_name),
                )
            })
            .collect(),
        page,
    };
    personal(lang, StatusCode::OK, template.render())
}

pub struct Member {
    pub name: String,
    pub login: String,
    pub teacher: bool,
    pub avatar: Option<String>,
}

pub struct Card {
    pub name: String,
    pub avatar: String,
    pub pictures: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "class.html")]
struct ClassTemplate {
    page: Page,
    csrf: String,
    class: Class,
    action: String,
    members: Vec<Member>,
    cards: Vec<Card>,
}

async fn class_page(
    state: &Shared,
    lang: UiLang,
    auth: &Auth,
    id: &str,
    cards: Vec<PictureCard>,
) -> Result<Response, PageError> {
    let class = match taught_class(state, &auth.user, id).await {
        Ok(c) => c,
        Err(ApiError::Forbidden) => return Err(PageError::Forbidden(lang)),
        Err(ApiError::NotFound(_)) => {
            return Err(PageError::NotFound(lang, format!("/teach/classes/{id}")));
        }
        Err(e) => return Err(PageError::Internal(lang, e.message())),
    };
    let members = state.db.class_members(id).await.map_err(|e| (lang, e))?;
    let page = Page::new(lang, class.name.clone(), format!("/teach/classes/{id}"));
    let cards = cards
        .into_iter()
        .map(|c| Card {
            avatar: avatar_svg(&c.avatar),
            pictures: c
                .pictures
                .iter()
                .map(|p| (page.t(&format!("picture-{p}")), key_svg(p)))
                .collect(),
            name: c.name,
        })
        .collect();
    let template = ClassTemplate {
        csrf: auth.csrf.clone().unwrap_or_default(),
        action: format!("/{}/teach/classes/{id}/pictures", lang.code()),
        members: members
            .into_iter()
            .map(|(u, m)| Member {
                avatar: u.avatar.as_deref().map(avatar_svg),
                name: u.name,
                login: u.login.to_string(),
                teacher: m == Membership::Teacher,
            })
            .collect(),
        cards,
        class,
        page,
    };
    personal(lang, StatusCode::OK, template.render())
}

pub async fn class(
    State(state): State<Shared>,
    Path((lang, id)): Path<(String, String)>,
    Require(auth, ..): Require<Teachers>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    class_page(&state, lang, &auth, &id, vec![]).await
}

#[derive(Deserialize)]
pub struct PicturesForm {
    action: String,
}

pub async fn class_pictures(
    State(state): State<Shared>,
    Path((lang, id)): Path<(String, String)>,
    Require(auth, ..): Require<Teachers>,
    form: FormResult<PicturesForm>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    match taught_class(&state, &auth.user, &id).await {
        Ok(_) => {}
        Err(ApiError::Forbidden) => return Err(PageError::Forbidden(lang)),
        Err(_) => return Err(PageError::NotFound(lang, format!("/teach/classes/{id}"))),
    }
    let action = form.map(|Form(f)| f.action).unwrap_or_default();
    let (enabled, renew) = match action.as_str() {
        "enable" => (true, false),
        "renew" => (true, true),
        _ => (false, false),
    };
    let cards = set_picture_login(&state, &id, enabled, renew)
        .await
        .map_err(|e| PageError::Internal(lang, e.message()))?;
    class_page(&state, lang, &auth, &id, cards).await
}
