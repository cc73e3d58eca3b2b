//! Charts drawn on the server as SVG: no script, no request, readable by a
//! screen reader (each SVG is an image named by its title; the figures are
//! also in a table beside it). Right-to-left pages get bars that grow from
//! the right; the SVG itself is laid out left to right (`direction="ltr"`),
//! so its anchors mean the same in every language.
//!
//! Written here because the charts are plain bars and a charting crate
//! would bring fonts and layout engines for nothing.

use std::fmt::Write;

const WIDTH: f64 = 600.0;
const BAR: f64 = 18.0;
const GAP: f64 = 26.0;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Horizontal bars, one per row, with its label above and its value at
/// its end. `id` must be unique in the page.
pub fn bars(id: &str, title: &str, rows: &[(String, i64)], rtl: bool) -> String {
    let max = rows.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1) as f64;
    let height = (rows.len().max(1) as f64) * (BAR + GAP) + 4.0;
    let mut svg = format!(
        r#"<svg class="chart" role="img" aria-labelledby="{id}-t" viewBox="0 0 {WIDTH} {height}" width="100%" preserveAspectRatio="xMinYMin meet" direction="ltr"><title id="{id}-t">{}</title>"#,
        escape(title)
    );
    for (i, (label, value)) in rows.iter().enumerate() {
        let y = i as f64 * (BAR + GAP);
        let length = (*value as f64 / max) * (WIDTH - 80.0);
        let (x, text_x, anchor, value_x, value_anchor) = if rtl {
            (WIDTH - length, WIDTH, "end", WIDTH - length - 4.0, "end")
        } else {
            (0.0, 0.0, "start", length + 4.0, "start")
        };
        let _ = write!(
            svg,
            r#"<text x="{text_x}" y="{ty}" text-anchor="{anchor}" class="label">{}</text><rect x="{x:.1}" y="{by}" width="{length:.1}" height="{BAR}" class="bar"/><text x="{value_x:.1}" y="{vy}" text-anchor="{value_anchor}" class="value">{value}</text>"#,
            escape(label),
            ty = y + 12.0,
            by = y + 16.0,
            vy = y + 16.0 + BAR - 4.0,
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Columns over time (days or weeks), labelled at the first, the last and
/// a few between. Time runs left to right in every language, as on a
/// calendar.
pub fn columns(id: &str, title: &str, rows: &[(String, i64)]) -> String {
    let max = rows.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1) as f64;
    let plot = 160.0;
    let n = rows.len().max(1) as f64;
    let step = WIDTH / n;
    let mut svg = format!(
        r#"<svg class="chart" role="img" aria-labelledby="{id}-t" viewBox="0 0 {WIDTH} {h}" width="100%" preserveAspectRatio="xMinYMin meet" direction="ltr"><title id="{id}-t">{}</title><text x="0" y="12" class="value">{}</text>"#,
        escape(title),
        max as i64,
        h = plot + 40.0,
    );
    let every = (rows.len() / 6).max(1);
    for (i, (label, value)) in rows.iter().enumerate() {
        let h = (*value as f64 / max) * (plot - 20.0);
        let x = i as f64 * step;
        let _ = write!(
            svg,
            r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{h:.1}" class="bar"/>"#,
            x + step * 0.1,
            plot - h,
            step * 0.8,
        );
        let last = i + 1 == rows.len();
        if i % every == 0 || last {
            // The first and last labels keep inside the drawing.
            let (anchor, at) = match (i, last) {
                (0, _) => ("start", x),
                (_, true) => ("end", x + step),
                _ => ("middle", x + step / 2.0),
            };
            let _ = write!(
                svg,
                r#"<text x="{at:.1}" y="{}" text-anchor="{anchor}" class="label">{}</text>"#,
                plot + 16.0,
                escape(label.get(5..).unwrap_or(label)),
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped_and_bars_scale_to_the_largest() {
        let svg = bars(
            "x",
            "A & B",
            &[("<École>".into(), 50), ("Rabat".into(), 100)],
            false,
        );
        assert!(svg.contains("<title id=\"x-t\">A &amp; B</title>"));
        assert!(svg.contains("&lt;École&gt;"));
        assert!(svg.contains("width=\"260.0\""), "half of 520: {svg}");
        assert!(svg.contains("width=\"520.0\""));
        let rtl = bars("y", "t", &[("a".into(), 100)], true);
        assert!(rtl.contains("x=\"80.0\""), "grows from the right: {rtl}");
    }

    #[test]
    fn columns_have_a_bar_per_row_and_a_few_labels() {
        let rows: Vec<(String, i64)> = (1..=30).map(|d| (format!("2026-11-{d:02}"), d)).collect();
        let svg = columns("d", "Per day", &rows);
        assert_eq!(svg.matches("<rect").count(), 30);
        assert!(svg.contains(">11-01<") && svg.contains(">11-30<"));
        assert!(svg.matches("class=\"label\"").count() <= 8);
    }
}
