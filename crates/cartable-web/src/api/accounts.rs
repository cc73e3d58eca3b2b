//! The accounts API: the caller's own account and API tokens; users,
//! schools, classes and bulk enrolment for admins; a teacher's classes and
//! their picture sign-in. Each handler names the roles it admits in its
//! argument type.

use crate::auth::{Admins, AnyRole, Require, Teachers};
use crate::{ApiError, Hashing, Shared};
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post};
use axum::{Json, Router};
use cartable_core::accounts::{
    Avatar, Class, Login, Membership, PicturePassword, Role, Secret, User, check_name,
    check_password, generate_password,
};
use cartable_store::Db;
use cartable_store::accounts::{Enrolled, NewUser};
use serde::Deserialize;
use serde_json::{Value, json};

pub fn router() -> Router<Shared> {
    Router::new()
        .route("/me", get(me))
        .route("/tokens", get(list_tokens).post(create_token))
        .route("/tokens/{id}", delete(revoke_token))
        .route("/users", get(list_users).post(add_user))
        .route("/users/{login}", patch(update_user))
        .route("/users/{login}/sessions", delete(end_sessions))
        .route("/schools", get(list_schools).post(add_school))
        .route("/classes", get(list_classes).post(add_class))
        .route("/classes/{id}", get(get_class))
        .route("/classes/{id}/members", post(add_member))
        .route("/classes/{id}/picture-login", post(picture_login))
        .route("/enrolments", post(enrol))
}

/// A JSON body, with a refusal that says what is wrong with it.
pub fn body<T>(json: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    json.map(|Json(t)| t)
        .map_err(|e| ApiError::Invalid(e.body_text()))
}

fn slug(value: &str, what: &str) -> Result<String, ApiError> {
    cartable_core::ProgrammeId::try_from(value)
        .map(|_| value.to_owned())
        .map_err(|_| {
            ApiError::Invalid(format!(
                "{what} \"{value}\" is not valid: use 1 to 64 lowercase ASCII letters, digits and '-'"
            ))
        })
}

async fn me(
    State(state): State<Shared>,
    Require(auth, ..): Require<AnyRole>,
) -> Result<Json<Value>, ApiError> {
    let classes = state.db.classes_of(auth.user.login.as_str()).await?;
    Ok(Json(json!({
        "login": auth.user.login,
        "name": auth.user.name,
        "role": auth.user.role,
        "avatar": auth.user.avatar,
        "classes": classes.iter().map(|(c, m)| json!({"class": c, "as": m})).collect::<Vec<_>>(),
    })))
}

async fn list_tokens(
    State(state): State<Shared>,
    Require(auth, ..): Require<AnyRole>,
) -> Result<Json<Value>, ApiError> {
    let tokens = state.db.tokens(auth.user.login.as_str()).await?;
    Ok(Json(json!({ "tokens": tokens })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewToken {
    name: String,
}

/// Makes a token for `user`: its id and the whole token, shown once.
pub async fn make_token(db: &Db, user: &User, name: &str) -> Result<(String, String), ApiError> {
    let name = check_name(name)?;
    let secret = Secret::new()?;
    let id = secret.expose()[..12].to_owned();
    let token = format!("ct_{}", secret.expose());
    db.create_token(&id, &Secret::from_text(&token).digest(), &user.login, &name)
        .await?;
    Ok((id, token))
}

async fn create_token(
    State(state): State<Shared>,
    Require(auth, ..): Require<AnyRole>,
    json: Result<Json<NewToken>, JsonRejection>,
) -> Result<Response, ApiError> {
    let new = body(json)?;
    let (id, token) = make_token(&state.db, &auth.user, &new.name).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": id, "name": new.name.trim(), "token": token})),
    )
        .into_response())
}

async fn revoke_token(
    State(state): State<Shared>,
    Require(auth, ..): Require<AnyRole>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if state.db.revoke_token(auth.user.login.as_str(), &id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!("token \"{id}\"")))
    }
}

async fn list_users(
    State(state): State<Shared>,
    _: Require<Admins>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({ "users": state.db.users().await? })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddUser {
    login: String,
    name: String,
    role: String,
    password: Option<String>,
}

/// Adds a user; returns the password when one was generated.
pub async fn add_user_checked(
    db: &Db,
    hashing: &Hashing,
    login: &str,
    name: &str,
    role: &str,
    password: Option<&str>,
) -> Result<(Login, Option<String>), ApiError> {
    let login = Login::try_from(login.trim())?;
    let name = check_name(name)?;
    let role = Role::parse(role.trim())?;
    let (password, generated) = match password.filter(|p| !p.is_empty()) {
        Some(p) => (p.to_owned(), None),
        None => {
            let p = generate_password()?;
            (p.clone(), Some(p))
        }
    };
    check_password(&password)?;
    let hash = hashing.hash(password).await?;
    let new = NewUser {
        login: &login,
        name: &name,
        role,
        password_hash: Some(&hash),
    };
    if !db.add_user(&new).await? {
        return Err(ApiError::Conflict(format!(
            "the login \"{login}\" is taken"
        )));
    }
    Ok((login, generated))
}

async fn add_user(
    State(state): State<Shared>,
    _: Require<Admins>,
    json: Result<Json<AddUser>, JsonRejection>,
) -> Result<Response, ApiError> {
    let new = body(json)?;
    let (login, generated) = add_user_checked(
        &state.db,
        &state.hashing,
        &new.login,
        &new.name,
        &new.role,
        new.password.as_deref(),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"login": login, "generated_password": generated})),
    )
        .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateUser {
    name: Option<String>,
    role: Option<String>,
    disabled: Option<bool>,
    password: Option<String>,
}

async fn update_user(
    State(state): State<Shared>,
    _: Require<Admins>,
    Path(login): Path<String>,
    json: Result<Json<UpdateUser>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let u = body(json)?;
    let name = u.name.as_deref().map(check_name).transpose()?;
    let role = u.role.as_deref().map(Role::parse).transpose()?;
    let hash = match u.password {
        Some(p) => {
            check_password(&p)?;
            Some(state.hashing.hash(p).await?)
        }
        None => None,
    };
    if !state
        .db
        .update_user(&login, name.as_deref(), role, u.disabled, hash.as_deref())
        .await?
    {
        return Err(ApiError::NotFound(format!("user \"{login}\"")));
    }
    if u.disabled == Some(true) || hash.is_some() {
        state.db.delete_sessions(&login).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

async fn end_sessions(
    State(state): State<Shared>,
    _: Require<Admins>,
    Path(login): Path<String>,
) -> Result<Json<Value>, ApiError> {
    if state.db.user(&login).await?.is_none() {
        return Err(ApiError::NotFound(format!("user \"{login}\"")));
    }
    let ended = state.db.delete_sessions(&login).await?;
    Ok(Json(json!({ "ended": ended })))
}

async fn list_schools(
    State(state): State<Shared>,
    _: Require<Admins>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({ "schools": state.db.schools().await? })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddSchool {
    id: String,
    name: String,
    #[serde(default)]
    district: String,
}

async fn add_school(
    State(state): State<Shared>,
    _: Require<Admins>,
    json: Result<Json<AddSchool>, JsonRejection>,
) -> Result<Response, ApiError> {
    let new = body(json)?;
    let id = slug(&new.id, "school id")?;
    let name = check_name(&new.name)?;
    let district = new.district.trim();
    if district.chars().count() > 200 {
        return Err(ApiError::Invalid(
            "a district name has at most 200 characters".into(),
        ));
    }
    if !state.db.add_school(&id, &name, district).await? {
        return Err(ApiError::Conflict(format!(
            "the school id \"{id}\" is taken"
        )));
    }
    Ok((StatusCode::CREATED, Json(json!({"id": id}))).into_response())
}

/// The classes a caller may see: all for an admin, their own for a teacher.
async fn visible_classes(state: &Shared, user: &User) -> Result<Vec<Class>, ApiError> {
    if user.role == Role::Admin {
        return Ok(state.db.classes().await?);
    }
    Ok(state
        .db
        .classes_of(user.login.as_str())
        .await?
        .into_iter()
        .filter(|(_, m)| *m == Membership::Teacher)
        .map(|(c, _)| c)
        .collect())
}

/// The class `id` when the caller teaches it (or is an admin): 404 when it
/// does not exist, 403 when it is someone else's.
pub async fn taught_class(state: &Shared, user: &User, id: &str) -> Result<Class, ApiError> {
    let class = state
        .db
        .class(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("class \"{id}\"")))?;
    if user.role == Role::Admin
        || visible_classes(state, user)
            .await?
            .iter()
            .any(|c| c.id == id)
    {
        Ok(class)
    } else {
        Err(ApiError::Forbidden)
    }
}

async fn list_classes(
    State(state): State<Shared>,
    Require(auth, ..): Require<Teachers>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        json!({ "classes": visible_classes(&state, &auth.user).await? }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddClass {
    id: String,
    school: String,
    name: String,
}

async fn add_class(
    State(state): State<Shared>,
    _: Require<Admins>,
    json: Result<Json<AddClass>, JsonRejection>,
) -> Result<Response, ApiError> {
    let new = body(json)?;
    let id = slug(&new.id, "class id")?;
    let name = check_name(&new.name)?;
    if !state.db.schools().await?.iter().any(|s| s.id == new.school) {
        return Err(ApiError::Invalid(format!(
            "there is no school \"{}\"",
            new.school
        )));
    }
    if !state.db.add_class(&id, &new.school, &name).await? {
        return Err(ApiError::Conflict(format!(
            "the class id \"{id}\" is taken"
        )));
    }
    Ok((StatusCode::CREATED, Json(json!({"id": id}))).into_response())
}

async fn get_class(
    State(state): State<Shared>,
    Require(auth, ..): Require<Teachers>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let class = taught_class(&state, &auth.user, &id).await?;
    let members = state.db.class_members(&id).await?;
    Ok(Json(json!({
        "class": class,
        "members": members.iter().map(|(u, m)| json!({"login": u.login, "name": u.name, "as": m, "avatar": u.avatar})).collect::<Vec<_>>(),
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddMember {
    login: String,
    #[serde(rename = "as")]
    position: Membership,
}

async fn add_member(
    State(state): State<Shared>,
    _: Require<Admins>,
    Path(id): Path<String>,
    json: Result<Json<AddMember>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let m = body(json)?;
    if state.db.class(&id).await?.is_none() {
        return Err(ApiError::NotFound(format!("class \"{id}\"")));
    }
    if state.db.user(&m.login).await?.is_none() {
        return Err(ApiError::Invalid(format!(
            "there is no user \"{}\"",
            m.login
        )));
    }
    state.db.add_member(&id, &m.login, m.position).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PictureLogin {
    enabled: bool,
    /// Give new pictures to every learner, not only those without.
    #[serde(default)]
    renew: bool,
}

/// A learner's picture card: what the teacher prints and hands out.
#[derive(serde::Serialize)]
pub struct PictureCard {
    pub login: String,
    pub name: String,
    pub avatar: String,
    pub pictures: Vec<&'static str>,
}

/// Turns picture sign-in on or off for a class. Turning it on gives every
/// learner without one an avatar and a new picture password (or every
/// learner, with `renew`), returned once for the teacher to hand out.
pub async fn set_picture_login(
    state: &Shared,
    class: &str,
    enabled: bool,
    renew: bool,
) -> Result<Vec<PictureCard>, ApiError> {
    state.db.set_picture_login(class, enabled).await?;
    if !enabled {
        return Ok(vec![]);
    }
    let members = state.db.class_members(class).await?;
    let mut taken: Vec<String> = members
        .iter()
        .filter_map(|(u, _)| u.avatar.clone())
        .collect();
    let mut cards = vec![];
    for (user, m) in &members {
        let row = state.db.user(user.login.as_str()).await?;
        let has = row.as_ref().is_some_and(|r| r.picture_hash.is_some());
        if *m != Membership::Learner || (has && !renew) {
            continue;
        }
        let avatar = match user.avatar.as_deref().and_then(Avatar::parse) {
            Some(a) => a,
            None => {
                let a = Avatar::pick(&taken)?;
                taken.push(a.to_string());
                a
            }
        };
        let pictures = PicturePassword::generate()?;
        let hash = state.hashing.hash(pictures.canonical()).await?;
        state
            .db
            .set_picture(user.login.as_str(), &avatar.to_string(), &hash)
            .await?;
        cards.push(PictureCard {
            login: user.login.to_string(),
            name: user.name.clone(),
            avatar: avatar.to_string(),
            pictures: pictures.0,
        });
    }
    Ok(cards)
}

async fn picture_login(
    State(state): State<Shared>,
    Require(auth, ..): Require<Teachers>,
    Path(id): Path<String>,
    json: Result<Json<PictureLogin>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let p = body(json)?;
    taught_class(&state, &auth.user, &id).await?;
    let cards = set_picture_login(&state, &id, p.enabled, p.renew).await?;
    Ok(Json(
        json!({"class": id, "enabled": p.enabled, "cards": cards}),
    ))
}

/// Enrols the learners of a CSV (`name,login,class[,password]`): all of
/// them, or with `skip_bad` the good rows only. Returns the logins
/// enrolled with their generated passwords, and the bad rows.
pub async fn enrol_csv(
    db: &Db,
    hashing: &Hashing,
    file: &str,
    text: &str,
    skip_bad: bool,
) -> Result<
    (
        Vec<(String, Option<String>)>,
        Vec<cartable_core::manifest::Problem>,
    ),
    ApiError,
> {
    let mut e = cartable_core::enrolment::read_csv(file, text);
    let classes = db.classes().await?;
    let mut good = vec![];
    for row in std::mem::take(&mut e.rows) {
        let problem = |field: &str, message: String| cartable_core::manifest::Problem {
            file: file.into(),
            line: row.line,
            field: field.into(),
            message,
        };
        if !classes.iter().any(|c| c.id == row.class) {
            e.problems.push(problem(
                "class",
                format!("there is no class \"{}\"", row.class),
            ));
        } else if db.user(row.login.as_str()).await?.is_some() {
            e.problems
                .push(problem("login", format!("\"{}\" is taken", row.login)));
        } else {
            good.push(row);
        }
    }
    e.problems.sort_by_key(|p| p.line);
    if !e.problems.is_empty() && !skip_bad {
        return Err(ApiError::BadRows(e.problems));
    }
    let mut hashed = vec![];
    let mut report = vec![];
    for row in &good {
        let (password, generated) = match &row.password {
            Some(p) => (p.clone(), None),
            None => {
                let p = generate_password()?;
                (p.clone(), Some(p))
            }
        };
        hashed.push(hashing.hash(password).await?);
        report.push((row.login.to_string(), generated));
    }
    let learners: Vec<Enrolled> = good
        .iter()
        .zip(&hashed)
        .map(|(row, hash)| Enrolled {
            login: &row.login,
            name: &row.name,
            class: &row.class,
            password_hash: hash,
        })
        .collect();
    db.enrol(&learners).await?;
    Ok((report, e.problems))
}

#[derive(Deserialize)]
struct EnrolQuery {
    #[serde(default)]
    skip_bad: bool,
}

async fn enrol(
    State(state): State<Shared>,
    _: Require<Admins>,
    query: Result<axum::extract::Query<EnrolQuery>, axum::extract::rejection::QueryRejection>,
    bytes: bytes::Bytes,
) -> Result<Response, ApiError> {
    let skip_bad = query.map(|q| q.skip_bad).unwrap_or(false);
    let text = String::from_utf8(bytes.to_vec())
        .map_err(|_| ApiError::Invalid("the CSV is not UTF-8 text".into()))?;
    let (enrolled, problems) =
        enrol_csv(&state.db, &state.hashing, "upload.csv", &text, skip_bad).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "enrolled": enrolled.iter().map(|(l, p)| json!({"login": l, "generated_password": p})).collect::<Vec<_>>(),
            "skipped": problems.iter().map(ToString::to_string).collect::<Vec<_>>(),
        })),
    )
        .into_response())
}
