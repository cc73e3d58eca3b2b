//! IIIF for archive images, so standard viewers (Mirador, Universal Viewer)
//! open them: a Presentation 3.0 manifest per item (one canvas per image)
//! at `/iiif/{id}/manifest`, and each image as an Image API 3.0 level 0
//! service at `/iiif/image/{id}/{n}`: the three derivatives made at import
//! are its `sizes`, the largest its full size, and only those are served
//! (region `full`, rotation `0`, `default.jpg`), as level 0 allows.
//!
//! Both answer to any origin (`Access-Control-Allow-Origin: *`): a viewer
//! on another site must be able to read them.

use crate::{ApiError, Shared};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use cartable_core::archive::{Derivative, Item, MediaKind};
use cartable_core::{BlobHash, archive};
use serde_json::{Value, json};

/// The platform's origin as the client reached it, for absolute ids.
pub fn origin(state: &Shared, headers: &HeaderMap) -> String {
    let scheme = if state.settings.public_url.starts_with("https://") {
        "https"
    } else {
        "http"
    };
    match headers.get(header::HOST).and_then(|h| h.to_str().ok()) {
        Some(host)
            if !host.is_empty()
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b)) =>
        {
            format!("{scheme}://{host}")
        }
        _ => state.settings.public_url.trim_end_matches('/').to_owned(),
    }
}

async fn public_item(state: &Shared, id: &str) -> Result<Item, ApiError> {
    match state.db.archive_item(id).await? {
        Some(s) if !s.withdrawn() => Ok(s.item),
        _ => Err(ApiError::NotFound(format!("archive item \"{id}\""))),
    }
}

/// The images of an item that have derivatives, in order.
fn images(item: &Item) -> Vec<&[Derivative]> {
    item.media
        .iter()
        .filter(|m| m.kind == MediaKind::Image && !m.derivatives.is_empty())
        .map(|m| m.derivatives.as_slice())
        .collect()
}

fn for_everyone(mut response: Response, content_type: &'static str) -> Response {
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    response
}

fn lang_map(lang: &Option<String>, text: &str) -> Value {
    json!({ lang.as_deref().unwrap_or("none"): [text] })
}

/// The manifest: the item's label, metadata (every Dublin Core value),
/// rights, a link to its page, and one canvas per image.
pub async fn manifest(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let item = public_item(&state, &id).await?;
    let images = images(&item);
    if images.is_empty() {
        return Err(ApiError::NotFound(format!(
            "images of archive item \"{id}\""
        )));
    }
    let base = origin(&state, &headers);
    let enc = crate::auth::url_encode(&item.id);
    let title = item.all("dc:title").next();
    let label = title.map_or(json!({"none": [item.id]}), |t| lang_map(&t.lang, &t.value));
    let metadata: Vec<Value> = item
        .values
        .iter()
        .filter(|v| v.element != "dc:title")
        .map(|v| {
            json!({
                "label": {"en": [archive::simple_element(&v.element).trim_start_matches("dc:")]},
                "value": lang_map(&v.lang, &v.value),
            })
        })
        .collect();
    let canvases: Vec<Value> = images
        .iter()
        .enumerate()
        .filter_map(|(n, sizes)| {
            let (full, thumb) = (sizes.last()?, sizes.first()?);
            let canvas = format!("{base}/iiif/{enc}/canvas/{n}");
            let service = format!("{base}/iiif/image/{enc}/{n}");
            Some(json!({
                "id": canvas,
                "type": "Canvas",
                "label": {"none": [format!("{}", n + 1)]},
                "width": full.width,
                "height": full.height,
                "thumbnail": [{
                    "id": format!("{service}/full/{},{}/0/default.jpg", thumb.width, thumb.height),
                    "type": "Image", "format": "image/jpeg",
                    "width": thumb.width, "height": thumb.height,
                }],
                "items": [{
                    "id": format!("{canvas}/page"),
                    "type": "AnnotationPage",
                    "items": [{
                        "id": format!("{canvas}/page/image"),
                        "type": "Annotation",
                        "motivation": "painting",
                        "target": canvas,
                        "body": {
                            "id": format!("{service}/full/max/0/default.jpg"),
                            "type": "Image",
                            "format": "image/jpeg",
                            "width": full.width,
                            "height": full.height,
                            "service": [{"id": service, "type": "ImageService3", "profile": "level0"}],
                        },
                    }],
                }],
            }))
        })
        .collect();
    let mut manifest = json!({
        "@context": "http://iiif.io/api/presentation/3/context.json",
        "id": format!("{base}/iiif/{enc}/manifest"),
        "type": "Manifest",
        "label": label,
        "metadata": metadata,
        "homepage": [{
            "id": format!("{base}/{}/archive/items/{enc}", state.settings.default_lang.code()),
            "type": "Text",
            "label": label,
            "format": "text/html",
        }],
        "items": canvases,
    });
    if let Some(rights) = &item.rights {
        manifest["rights"] = json!(rights);
    }
    if let Some(source) = item.first("dc:source") {
        manifest["requiredStatement"] = json!({
            "label": {"en": ["Source"]},
            "value": {"none": [source]},
        });
    }
    Ok(for_everyone(
        axum::Json(manifest).into_response(),
        "application/ld+json;profile=\"http://iiif.io/api/presentation/3/context.json\"",
    ))
}

async fn sizes_of(state: &Shared, id: &str, n: usize) -> Result<Vec<Derivative>, ApiError> {
    let item = public_item(state, id).await?;
    images(&item)
        .get(n)
        .map(|s| s.to_vec())
        .ok_or_else(|| ApiError::NotFound(format!("image {n} of archive item \"{id}\"")))
}

/// The image service's description: its full size and the sizes it has.
pub async fn info(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path((id, n)): Path<(String, usize)>,
) -> Result<Response, ApiError> {
    let sizes = sizes_of(&state, &id, n).await?;
    let Some(full) = sizes.last() else {
        return Err(ApiError::NotFound(format!("image {n}")));
    };
    let base = origin(&state, &headers);
    let body = json!({
        "@context": "http://iiif.io/api/image/3/context.json",
        "id": format!("{base}/iiif/image/{}/{n}", crate::auth::url_encode(&id)),
        "type": "ImageService3",
        "protocol": "http://iiif.io/api/image",
        "profile": "level0",
        "width": full.width,
        "height": full.height,
        "sizes": sizes.iter().map(|d| json!({"width": d.width, "height": d.height})).collect::<Vec<_>>(),
    });
    Ok(for_everyone(
        axum::Json(body).into_response(),
        "application/ld+json;profile=\"http://iiif.io/api/image/3/context.json\"",
    ))
}

/// Which derivative a size parameter names: `max`, `w,h`, `w,` or `,h`.
fn pick<'a>(sizes: &'a [Derivative], size: &str) -> Option<&'a Derivative> {
    if size == "max" {
        return sizes.last();
    }
    let (w, h) = size.split_once(',')?;
    let w: Option<u32> = if w.is_empty() {
        None
    } else {
        Some(w.parse().ok()?)
    };
    let h: Option<u32> = if h.is_empty() {
        None
    } else {
        Some(h.parse().ok()?)
    };
    if w.is_none() && h.is_none() {
        return None;
    }
    sizes
        .iter()
        .find(|d| w.is_none_or(|w| w == d.width) && h.is_none_or(|h| h == d.height))
}

/// An image request: only what level 0 promises.
pub async fn image(
    State(state): State<Shared>,
    Path((id, n, region, size, rotation, file)): Path<(
        String,
        usize,
        String,
        String,
        String,
        String,
    )>,
) -> Result<Response, ApiError> {
    if region != "full" || rotation != "0" || file != "default.jpg" {
        return Err(ApiError::InvalidParameter(
            "this level 0 service serves region full, rotation 0, default.jpg only".into(),
        ));
    }
    let sizes = sizes_of(&state, &id, n).await?;
    let Some(d) = pick(&sizes, &size) else {
        return Err(ApiError::InvalidParameter(format!(
            "size {size}: this level 0 service has only the sizes of its info.json"
        )));
    };
    let hash =
        BlobHash::try_from(d.hash.as_str()).map_err(|e| ApiError::Internal(e.to_string()))?;
    let bytes = state.blobs.get(&hash).await?;
    Ok(for_everyone(bytes.into_response(), "image/jpeg"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(width: u32, height: u32) -> Derivative {
        Derivative {
            hash: String::new(),
            width,
            height,
        }
    }

    #[test]
    fn sizes_resolve_to_a_derivative_or_nothing() {
        let sizes = [d(200, 100), d(800, 400), d(1600, 800)];
        assert_eq!(pick(&sizes, "max").map(|d| d.width), Some(1600));
        assert_eq!(pick(&sizes, "800,").map(|d| d.height), Some(400));
        assert_eq!(pick(&sizes, ",100").map(|d| d.width), Some(200));
        assert_eq!(pick(&sizes, "800,400").map(|d| d.width), Some(800));
        assert!(pick(&sizes, "801,").is_none());
        assert!(pick(&sizes, ",").is_none());
        assert!(pick(&sizes, "pct:50").is_none());
    }
}
