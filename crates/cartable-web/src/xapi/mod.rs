//! The Learning Record Store at `/xapi/`: xAPI 1.0.3's Statements, State,
//! Activity Profile, Agent Profile, Activities, Agents and About resources.
//!
//! Every request but About must say which xAPI version it speaks; every
//! answer says 1.0.3. The alternate request syntax (a POST with
//! `?method=…` and the headers and content in a form, for clients that
//! can only POST) is turned into the request it stands for before routing.
//! Statements go through [`writer`], which groups concurrent requests into
//! one transaction. Start with [`router`].

mod client;
mod documents;
mod error;
pub(crate) mod multipart;
mod statements;
mod tally;
mod writer;

pub use client::{SCOPES, user_agent, user_ifi};
pub use writer::{Prepared, Writer, authority_ifi as authority_ifi_of, erase, rebuild_projection};

use crate::Shared;
use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Uri, header};
use axum::middleware::{Next, from_fn};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use cartable_core::xapi;
use error::{XResult, XapiError};
use serde_json::{Value, json};

/// The largest request body the LRS reads (statements with attachments).
const BODY_LIMIT: usize = 32 * 1024 * 1024;

/// What the LRS keeps between requests.
pub struct Lrs {
    pub writer: Writer,
    keys: client::KeyCache,
    /// The homePage of the accounts that name the platform's users in
    /// records (the `public_url` setting).
    pub home_page: String,
}

impl Lrs {
    pub fn new(db: cartable_store::Db, home_page: String) -> Lrs {
        let home_page = home_page.trim_end_matches('/').to_owned();
        Lrs {
            writer: Writer::start(db, home_page.clone()),
            keys: client::KeyCache::new(),
            home_page,
        }
    }
}

/// The LRS, to be nested at `/xapi`. The alternate request syntax is
/// undone before routing, since it changes the method.
pub fn service(
    state: Shared,
) -> impl tower::Service<
    Request,
    Response = Response,
    Error = std::convert::Infallible,
    Future = impl Send,
> + Clone
+ Send
+ Sync
+ 'static {
    let inner = tower::Layer::layer(&from_fn(alternate_syntax), router().with_state(state));
    tower::Layer::layer(&cors(), inner)
}

/// xAPI content is often served from another origin (a content package on
/// its own server). Such pages may call the LRS with a key in the
/// Authorization header; cookies are never accepted cross-origin (no
/// `Allow-Credentials`), and a session's writes need its CSRF token anyway.
fn cors() -> tower_http::cors::CorsLayer {
    use tower_http::cors::{AllowOrigin, CorsLayer};
    CorsLayer::new()
        .allow_origin(AllowOrigin::any())
        .allow_methods([
            Method::GET,
            Method::HEAD,
            Method::PUT,
            Method::POST,
            Method::DELETE,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            HeaderName::from_static("x-experience-api-version"),
        ])
        .expose_headers([
            header::ETAG,
            header::LAST_MODIFIED,
            HeaderName::from_static("x-experience-api-version"),
            HeaderName::from_static("x-experience-api-consistent-through"),
        ])
        .max_age(std::time::Duration::from_secs(3600))
}

fn router() -> Router<Shared> {
    Router::new()
        .route("/about", get(about))
        .route(
            "/statements",
            get(statements::get)
                .put(statements::put)
                .post(statements::post),
        )
        .route("/activities", get(documents::activity))
        .route("/agents", get(documents::person))
        .route(
            "/activities/state",
            get(documents::get_state)
                .put(documents::put_state)
                .post(documents::post_state)
                .delete(documents::delete_state),
        )
        .route(
            "/activities/profile",
            get(documents::get_activity_profile)
                .put(documents::put_activity_profile)
                .post(documents::post_activity_profile)
                .delete(documents::delete_activity_profile),
        )
        .route(
            "/agents/profile",
            get(documents::get_agent_profile)
                .put(documents::put_agent_profile)
                .post(documents::post_agent_profile)
                .delete(documents::delete_agent_profile),
        )
        .fallback(|| async { XapiError::NotFound("no such xAPI resource".into()) })
        .layer(from_fn(versions))
}

async fn about() -> Response {
    axum::Json(json!({"version": ["1.0.3", "1.0.2", "1.0.1", "1.0.0"]})).into_response()
}

/// Refuses requests without a 1.0.x `X-Experience-API-Version` (About
/// needs none) and marks every answer as 1.0.3.
async fn versions(request: Request, next: Next) -> Response {
    let about = request.uri().path().ends_with("/about");
    let given = request
        .headers()
        .get("x-experience-api-version")
        .map(|v| v.to_str().unwrap_or(""));
    let refusal = match given {
        None if !about => Some(XapiError::Bad(
            "the X-Experience-API-Version header is required (1.0.3)".into(),
        )),
        Some(v) => xapi::check_version(v).err().map(XapiError::Bad),
        None => None,
    };
    let mut response = match refusal {
        Some(e) => e.into_response(),
        None => next.run(request).await,
    };
    response.headers_mut().insert(
        "x-experience-api-version",
        HeaderValue::from_static(xapi::VERSION),
    );
    response
}

/// The form fields of the alternate syntax that stand for headers.
const FORM_HEADERS: &[&str] = &[
    "authorization",
    "x-experience-api-version",
    "content-type",
    "content-length",
    "if-match",
    "if-none-match",
];

async fn alternate_syntax(request: Request, next: Next) -> Response {
    let method = request.uri().query().and_then(|q| {
        serde_urlencoded::from_str::<Vec<(String, String)>>(q)
            .ok()
            .filter(|pairs| pairs.iter().any(|(k, _)| k == "method"))
    });
    match method {
        Some(pairs) if request.method() == Method::POST => match rewrite(request, pairs).await {
            Ok(request) => next.run(request).await,
            Err(e) => {
                let mut r = e.into_response();
                r.headers_mut().insert(
                    "x-experience-api-version",
                    HeaderValue::from_static(xapi::VERSION),
                );
                r
            }
        },
        _ => next.run(request).await,
    }
}

async fn rewrite(request: Request, query: Vec<(String, String)>) -> XResult<Request> {
    if query.len() != 1 {
        return Err(XapiError::Bad(
            "with the alternate request syntax, method must be the only query parameter".into(),
        ));
    }
    let method = match query[0].1.as_str() {
        "GET" => Method::GET,
        "PUT" => Method::PUT,
        "POST" => Method::POST,
        "DELETE" => Method::DELETE,
        "HEAD" => Method::HEAD,
        other => {
            return Err(XapiError::Bad(format!(
                "method must be GET, PUT, POST, DELETE or HEAD, not {other:?}"
            )));
        }
    };
    let (mut parts, body) = request.into_parts();
    let is_form = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(XapiError::Bad(
            "the alternate request syntax needs an application/x-www-form-urlencoded body".into(),
        ));
    }
    let bytes = read_limited(body).await?;
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes)
        .map_err(|e| XapiError::Bad(format!("the form is malformed: {e}")))?;
    let mut params = Vec::new();
    let mut content = String::new();
    parts.headers.remove(header::CONTENT_TYPE);
    parts.headers.remove(header::CONTENT_LENGTH);
    for (name, value) in fields {
        let lower = name.to_ascii_lowercase();
        if lower == "content" {
            content = value;
        } else if FORM_HEADERS.contains(&lower.as_str()) {
            if lower == "content-length" {
                continue;
            }
            let name = HeaderName::from_bytes(lower.as_bytes())
                .map_err(|e| XapiError::Bad(e.to_string()))?;
            let value = HeaderValue::from_str(&value)
                .map_err(|_| XapiError::Bad(format!("the {lower} field is not a valid header")))?;
            parts.headers.insert(name, value);
        } else {
            params.push((name, value));
        }
    }
    let query = serde_urlencoded::to_string(&params).map_err(|e| XapiError::Bad(e.to_string()))?;
    let path = parts.uri.path();
    let uri = if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    };
    parts.uri = uri
        .parse::<Uri>()
        .map_err(|e| XapiError::Bad(e.to_string()))?;
    parts.method = method;
    Ok(Request::from_parts(parts, Body::from(content)))
}

async fn read_limited(body: Body) -> XResult<bytes::Bytes> {
    axum::body::to_bytes(body, BODY_LIMIT).await.map_err(|_| {
        XapiError::TooLarge(format!(
            "the request body is over {} MiB, or was cut off",
            BODY_LIMIT / 1024 / 1024
        ))
    })
}

/// A statement request's body: JSON, or multipart/mixed with the JSON
/// first and the attachments after it.
async fn read_body(headers: &HeaderMap, body: Body) -> XResult<(Value, Vec<multipart::Part>)> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| XapiError::Bad("the Content-Type header is required".into()))?
        .to_owned();
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let bytes = read_limited(body).await?;
    // Strict parsing: a property given twice is refused, not overwritten.
    let json = |b: &[u8]| xapi::parse_json(b).map_err(XapiError::Bad);
    match essence.as_str() {
        "application/json" => Ok((json(&bytes)?, Vec::new())),
        "multipart/mixed" => {
            let boundary = multipart::boundary(&content_type).ok_or_else(|| {
                XapiError::Bad("multipart/mixed needs a boundary parameter".into())
            })?;
            let mut parts = multipart::parse(&boundary, &bytes).map_err(XapiError::Bad)?;
            if parts.is_empty() {
                return Err(XapiError::Bad("the multipart body has no parts".into()));
            }
            let first = parts.remove(0);
            if !first
                .header("content-type")
                .is_some_and(|t| t.to_ascii_lowercase().starts_with("application/json"))
            {
                return Err(XapiError::Bad(
                    "the first multipart part must be the statements, as application/json".into(),
                ));
            }
            Ok((json(&first.body)?, parts))
        }
        other => Err(XapiError::Bad(format!(
            "statements come as application/json or multipart/mixed, not {other}"
        ))),
    }
}

/// The query parameters of a request: each at most once, only the ones
/// the resource knows.
pub struct Params(Vec<(String, String)>);

impl Params {
    pub fn parse(raw: Option<&str>, allowed: &[&str]) -> XResult<Params> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or(""))
            .map_err(|e| XapiError::Bad(format!("the query string is malformed: {e}")))?;
        for (i, (name, _)) in pairs.iter().enumerate() {
            if !allowed.contains(&name.as_str()) {
                return Err(XapiError::Bad(format!(
                    "unknown parameter {name:?} for this resource"
                )));
            }
            if pairs[..i].iter().any(|(n, _)| n == name) {
                return Err(XapiError::Bad(format!("parameter {name} is given twice")));
            }
        }
        Ok(Params(pairs))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(n, _)| n.as_str())
    }

    pub fn flag(&self, name: &str) -> XResult<bool> {
        match self.get(name) {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(other) => Err(XapiError::Bad(format!(
                "{name} must be true or false, not {other:?}"
            ))),
        }
    }

    pub fn required(&self, name: &str) -> XResult<&str> {
        self.get(name)
            .ok_or_else(|| XapiError::Bad(format!("the {name} parameter is required")))
    }
}
