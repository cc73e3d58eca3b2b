//! Image derivatives for the archive: a thumbnail, a medium and a large
//! JPEG of each image, made in Rust at import (no tool to install).

use cartable_core::archive::{LARGE, MEDIUM, THUMBNAIL};
use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageReader};
use std::io::Cursor;

/// JPEG quality of the derivatives.
const QUALITY: u8 = 85;
/// Images with more pixels than this are refused rather than decoded
/// (a 20,000 × 20,000 scan would take 1.6 GB).
const MAX_PIXELS: u64 = 100_000_000;

/// One derivative, encoded.
pub struct Derived {
    pub jpeg: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("not a readable JPEG or PNG image: {0}")]
    Decode(String),
    #[error("the image is {0} × {1} pixels, more than the {MAX_PIXELS} this import decodes")]
    TooLarge(u32, u32),
}

/// The thumbnail, medium and large derivatives of an image, smallest
/// first; a size the original does not reach is made at the original's
/// size once, and not again for the larger sizes. Blocking: call it off
/// the async runtime.
pub fn derivatives(bytes: &[u8]) -> Result<Vec<Derived>, ImageError> {
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| ImageError::Decode(e.to_string()))?;
    let (w, h) = reader
        .into_dimensions()
        .map_err(|e| ImageError::Decode(e.to_string()))?;
    if u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(ImageError::TooLarge(w, h));
    }
    let original = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| ImageError::Decode(e.to_string()))?
        .decode()
        .map_err(|e| ImageError::Decode(e.to_string()))?;
    let mut out: Vec<Derived> = vec![];
    for size in [THUMBNAIL, MEDIUM, LARGE] {
        let fits = w.max(h) <= size;
        let scaled = if fits {
            original.clone()
        } else {
            original.thumbnail(size, size)
        };
        out.push(encode(&scaled)?);
        if fits {
            break;
        }
    }
    Ok(out)
}

fn encode(img: &DynamicImage) -> Result<Derived, ImageError> {
    let rgb = img.to_rgb8();
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, QUALITY)
        .encode_image(&rgb)
        .map_err(|e| ImageError::Decode(e.to_string()))?;
    Ok(Derived {
        jpeg,
        width: rgb.width(),
        height: rgb.height(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
        });
        let mut out = Vec::new();
        DynamicImage::ImageRgb8(img)
            .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn three_sizes_keeping_the_aspect_ratio() {
        let d = derivatives(&png(2400, 1200)).unwrap();
        let sizes: Vec<(u32, u32)> = d.iter().map(|d| (d.width, d.height)).collect();
        assert_eq!(sizes, [(200, 100), (800, 400), (1600, 800)]);
        assert!(d.iter().all(|d| d.jpeg.starts_with(&[0xFF, 0xD8])));
    }

    #[test]
    fn a_small_image_is_not_enlarged() {
        let d = derivatives(&png(500, 300)).unwrap();
        let sizes: Vec<(u32, u32)> = d.iter().map(|d| (d.width, d.height)).collect();
        assert_eq!(sizes, [(200, 120), (500, 300)]);
    }

    #[test]
    fn garbage_is_refused() {
        assert!(matches!(
            derivatives(b"not an image"),
            Err(ImageError::Decode(_))
        ));
    }
}
