//! The pictures of picture sign-in, drawn as inline SVG so that they need
//! no request, no font and no image file, and scale on any screen. Each
//! is a few plain shapes that a small child tells apart by shape alone
//! (colour is a second cue, never the only one).

/// The shapes of one picture, in a 48×48 box; `C` stands for its colour.
fn shapes(picture: &str) -> &'static str {
    match picture {
        "sun" => {
            r##"<circle cx="24" cy="24" r="10" fill="C"/><g stroke="C" stroke-width="4" stroke-linecap="round"><path d="M24 3v7M24 38v7M3 24h7M38 24h7M9 9l5 5M34 34l5 5M39 9l-5 5M14 34l-5 5"/></g>"##
        }
        "moon" => r##"<path d="M30 5a19 19 0 1 0 13 30A16 16 0 0 1 30 5z" fill="C"/>"##,
        "star" => r##"<path d="M24 3l6 14 15 1-11 10 4 15-14-8-14 8 4-15L3 18l15-1z" fill="C"/>"##,
        "tree" => {
            r##"<path d="M24 3L8 32h32z" fill="C"/><rect x="20" y="32" width="8" height="13" fill="#6b4423"/>"##
        }
        "flower" => {
            r##"<g fill="C"><circle cx="24" cy="11" r="7"/><circle cx="35" cy="20" r="7"/><circle cx="31" cy="33" r="7"/><circle cx="17" cy="33" r="7"/><circle cx="13" cy="20" r="7"/></g><circle cx="24" cy="23" r="6" fill="#f5c400"/>"##
        }
        "fish" => {
            r##"<path d="M4 24c8-12 22-14 32 0-10 14-24 12-32 0z" fill="C"/><path d="M34 24l11-9v18z" fill="C"/><circle cx="14" cy="21" r="2.5" fill="#fff"/>"##
        }
        "house" => {
            r##"<path d="M24 4L3 23h6v21h30V23h6z" fill="C"/><rect x="20" y="30" width="8" height="14" fill="#fff"/>"##
        }
        "heart" => {
            r##"<path d="M24 43S4 30 4 16a10 10 0 0 1 20-3 10 10 0 0 1 20 3c0 14-20 27-20 27z" fill="C"/>"##
        }
        "apple" => {
            r##"<path d="M24 14c-6-5-19-3-19 11 0 11 8 20 13 20 3 0 4-2 6-2s3 2 6 2c5 0 13-9 13-20 0-14-13-16-19-11z" fill="C"/><path d="M24 14c0-5 2-9 6-11" stroke="#6b4423" stroke-width="3" fill="none"/>"##
        }
        "ball" => {
            r##"<circle cx="24" cy="24" r="20" fill="C"/><path d="M4 24h40M24 4c-8 10-8 30 0 40M24 4c8 10 8 30 0 40" stroke="#fff" stroke-width="2.5" fill="none"/>"##
        }
        "cloud" => {
            r##"<path d="M13 38a9 9 0 0 1-1-18 12 12 0 0 1 23-3 10 10 0 0 1 2 21z" fill="C"/>"##
        }
        "boat" => {
            r##"<path d="M4 32h40l-7 11H11z" fill="C"/><path d="M23 4v26H9z" fill="C"/><path d="M26 10v20h12z" fill="C" opacity=".6"/>"##
        }
        _ => r##"<rect x="6" y="6" width="36" height="36" rx="6" fill="C"/>"##,
    }
}

fn colour_value(colour: &str) -> &'static str {
    match colour {
        "red" => "#c62828",
        "blue" => "#1565c0",
        "green" => "#2e7d32",
        "orange" => "#b85c00",
        "purple" => "#6a1b9a",
        "teal" => "#00695c",
        _ => "#37474f",
    }
}

/// The keypad's own colour for each picture, so the nine keys differ by
/// colour as well as shape.
fn key_colour(picture: &str) -> &'static str {
    match picture {
        "sun" | "apple" => "orange",
        "moon" | "fish" => "blue",
        "star" | "flower" => "purple",
        "tree" => "green",
        "house" => "teal",
        _ => "red",
    }
}

/// An SVG picture, hidden from screen readers: the control around it
/// carries its name.
pub fn svg(picture: &str, colour: &str) -> String {
    format!(
        r##"<svg class="pic" viewBox="0 0 48 48" width="64" height="64" aria-hidden="true" focusable="false">{}</svg>"##,
        shapes(picture).replace("\"C\"", &format!("\"{}\"", colour_value(colour)))
    )
}

/// A keypad picture in its own colour.
pub fn key_svg(picture: &str) -> String {
    svg(picture, key_colour(picture))
}

/// An avatar (`sun-red`) as SVG.
pub fn avatar_svg(avatar: &str) -> String {
    let (picture, colour) = avatar.split_once('-').unwrap_or((avatar, ""));
    svg(picture, colour)
}
