//! HLS playlists (RFC 8216): measuring and rewriting ffmpeg's media
//! playlists, and writing the master playlist of a capsule.
//!
//! Every URI written here is relative and names a content-addressed blob,
//! so a playlist is itself immutable and can be cached forever.

use cartable_core::renditions::RenditionKind;
use m3u8_rs::{MasterPlaylist, MediaPlaylist, Playlist, Resolution, VariantStream};

fn parse_media(text: &str) -> Result<MediaPlaylist, String> {
    match m3u8_rs::parse_playlist_res(text.as_bytes()) {
        Ok(Playlist::MediaPlaylist(p)) => Ok(p),
        Ok(Playlist::MasterPlaylist(_)) => {
            Err("expected a media playlist, found a master playlist".into())
        }
        Err(_) => Err("not an HLS playlist".into()),
    }
}

/// Peak and average bits per second of a byte-range media playlist: the
/// peak over segments is what HLS's BANDWIDTH attribute must state.
pub fn measure(text: &str, duration_ms: u64) -> Result<(u64, u64), String> {
    let playlist = parse_media(text)?;
    let mut peak = 0u64;
    let mut total = 0u64;
    for segment in &playlist.segments {
        let length = segment
            .byte_range
            .as_ref()
            .map(|r| r.length)
            .ok_or("a segment has no byte range")?;
        let seconds = f64::from(segment.duration).max(0.001);
        peak = peak.max((length as f64 * 8.0 / seconds).ceil() as u64);
        total += length;
    }
    if playlist.segments.is_empty() {
        return Err("the playlist has no segment".into());
    }
    let average = total * 8 * 1000 / duration_ms.max(1);
    Ok((peak.max(average), average))
}

/// Points every segment and the init section of a media playlist at `uri`
/// (the rendition's blob), keeping the byte ranges.
pub fn rewrite(text: &str, uri: &str) -> Result<String, String> {
    let mut playlist = parse_media(text)?;
    for segment in &mut playlist.segments {
        segment.uri = uri.to_owned();
        if let Some(map) = &mut segment.map {
            map.uri = uri.to_owned();
        }
    }
    let mut out = Vec::new();
    playlist.write_to(&mut out).map_err(|e| e.to_string())?;
    String::from_utf8(out).map_err(|e| e.to_string())
}

/// One line of a master playlist.
#[derive(Debug, Clone)]
pub struct Variant {
    pub uri: String,
    pub kind: RenditionKind,
    pub bandwidth: u64,
    pub average_bandwidth: u64,
    pub codecs: String,
    pub resolution: Option<(u32, u32)>,
}

/// The master playlist listing a capsule's renditions: video from the
/// lightest up (players start with the first), then audio only, which a
/// player may fall back to when the network cannot carry any video.
pub fn master(variants: &[Variant]) -> String {
    let mut sorted: Vec<&Variant> = variants.iter().collect();
    sorted.sort_by_key(|v| (v.kind == RenditionKind::Audio, v.bandwidth));
    let playlist = MasterPlaylist {
        version: Some(7),
        independent_segments: true,
        variants: sorted
            .into_iter()
            .map(|v| VariantStream {
                uri: v.uri.clone(),
                bandwidth: v.bandwidth,
                average_bandwidth: Some(v.average_bandwidth),
                codecs: Some(v.codecs.clone()),
                resolution: v.resolution.map(|(width, height)| Resolution {
                    width: width.into(),
                    height: height.into(),
                }),
                ..VariantStream::default()
            })
            .collect(),
        ..MasterPlaylist::default()
    };
    let mut out = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = playlist.write_to(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// A broadcaster's pushed media playlist, pointed at the blobs its
/// segments were stored as.
#[derive(Debug, Clone, PartialEq)]
pub struct LivePlaylist {
    /// The playlist viewers get.
    pub text: String,
    /// Each segment's pushed name and duration in milliseconds.
    pub durations: Vec<(String, i64)>,
    /// `#EXT-X-ENDLIST`: the broadcast is over.
    pub ended: bool,
    /// How far into the broadcast it reaches: the media sequence number
    /// after its last segment, plus one once ended. A playlist that
    /// arrives after a later one (pushes travel on separate connections)
    /// has a smaller position and is not kept.
    pub position: i64,
}

/// The last path segment of a URI: pushed playlists name segments
/// relative to themselves.
fn pushed_name(uri: &str) -> &str {
    let uri = uri.split(['?', '#']).next().unwrap_or(uri);
    uri.rsplit('/').next().unwrap_or(uri)
}

/// The pushed names a live playlist refers to: its segments and init
/// sections.
pub fn live_names(text: &str) -> Result<Vec<String>, String> {
    let playlist = parse_media(text)?;
    let mut names = Vec::new();
    for segment in &playlist.segments {
        if let Some(map) = &segment.map {
            names.push(pushed_name(&map.uri).to_owned());
        }
        names.push(pushed_name(&segment.uri).to_owned());
    }
    Ok(names)
}

/// Rewrites a pushed live playlist so every segment and init section is a
/// content-addressed media URL (`url` maps a pushed name to it; a name it
/// does not know is refused), keeping durations, sequence numbers and the
/// end mark.
pub fn live_rewrite(
    text: &str,
    url: impl Fn(&str) -> Option<String>,
) -> Result<LivePlaylist, String> {
    let mut playlist = parse_media(text)?;
    if playlist.segments.is_empty() && !playlist.end_list {
        return Err("the playlist lists no segment".into());
    }
    let mut durations = Vec::with_capacity(playlist.segments.len());
    for segment in &mut playlist.segments {
        if let Some(map) = &mut segment.map {
            let name = pushed_name(&map.uri).to_owned();
            map.uri = url(&name).ok_or_else(|| format!("{name} is listed but was not pushed"))?;
        }
        let name = pushed_name(&segment.uri).to_owned();
        segment.uri = url(&name).ok_or_else(|| format!("{name} is listed but was not pushed"))?;
        let seconds = f64::from(segment.duration);
        if !(0.0..=60.0).contains(&seconds) {
            return Err(format!("{name} lasts {seconds} s"));
        }
        durations.push((name, (seconds * 1000.0).round() as i64));
    }
    let mut out = Vec::new();
    playlist.write_to(&mut out).map_err(|e| e.to_string())?;
    Ok(LivePlaylist {
        text: String::from_utf8(out).map_err(|e| e.to_string())?,
        position: playlist.media_sequence as i64
            + playlist.segments.len() as i64
            + i64::from(playlist.end_list),
        durations,
        ended: playlist.end_list,
    })
}

/// The whole recording of a live session as one VOD playlist: every
/// segment pushed, in order, after its init section (`map`), each a
/// content-addressed URL with its duration in milliseconds.
pub fn recording(map: Option<&str>, segments: &[(String, i64)]) -> Result<String, String> {
    if segments.is_empty() {
        return Err("no segment was pushed".into());
    }
    let longest = segments.iter().map(|(_, ms)| *ms).max().unwrap_or(0);
    let playlist = MediaPlaylist {
        version: Some(7),
        target_duration: (longest as u64).div_ceil(1000).max(1),
        end_list: true,
        playlist_type: Some(m3u8_rs::MediaPlaylistType::Vod),
        segments: segments
            .iter()
            .enumerate()
            .map(|(i, (uri, ms))| m3u8_rs::MediaSegment {
                uri: uri.clone(),
                duration: *ms as f32 / 1000.0,
                map: (i == 0)
                    .then(|| m3u8_rs::Map {
                        uri: map.unwrap_or_default().to_owned(),
                        ..m3u8_rs::Map::default()
                    })
                    .filter(|m| !m.uri.is_empty()),
                ..m3u8_rs::MediaSegment::default()
            })
            .collect(),
        ..MediaPlaylist::default()
    };
    let mut out = Vec::new();
    playlist.write_to(&mut out).map_err(|e| e.to_string())?;
    String::from_utf8(out).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FFMPEG: &str = "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n\
        #EXT-X-MAP:URI=\"240p.mp4\",BYTERANGE=\"1377@0\"\n#EXTINF:4.000000,\n#EXT-X-BYTERANGE:126112@1377\n240p.mp4\n\
        #EXTINF:1.000000,\n#EXT-X-BYTERANGE:47884@127489\n240p.mp4\n#EXT-X-ENDLIST\n";

    #[test]
    fn bandwidth_is_the_peak_segment_rate() {
        let (peak, avg) = measure(FFMPEG, 5000).unwrap();
        assert_eq!(peak, 383_072);
        assert_eq!(avg, (126_112 + 47_884) * 8 / 5);
    }

    #[test]
    fn rewriting_keeps_byte_ranges_and_swaps_every_uri() {
        let out = rewrite(FFMPEG, "abc.mp4").unwrap();
        assert!(!out.contains("240p.mp4"), "{out}");
        assert!(
            out.contains("URI=\"abc.mp4\",BYTERANGE=\"1377@0\""),
            "{out}"
        );
        assert!(out.contains("#EXT-X-BYTERANGE:47884@127489"), "{out}");
        assert_eq!(out.lines().filter(|l| *l == "abc.mp4").count(), 2, "{out}");
        assert!(out.contains("#EXT-X-ENDLIST"));
    }

    #[test]
    fn a_master_playlist_is_not_a_media_playlist() {
        assert!(rewrite("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\na.m3u8\n", "x").is_err());
        assert!(measure("garbage", 1).is_err());
    }

    #[test]
    fn master_lists_video_lightest_first_then_audio() {
        let v = |uri: &str, kind, bandwidth| Variant {
            uri: uri.into(),
            kind,
            bandwidth,
            average_bandwidth: bandwidth,
            codecs: "c".into(),
            resolution: None,
        };
        let text = master(&[
            v("a.m3u8", RenditionKind::Audio, 70_000),
            v("h.m3u8", RenditionKind::Video, 900_000),
            v("l.m3u8", RenditionKind::Video, 400_000),
        ]);
        let order: Vec<&str> = text.lines().filter(|l| l.ends_with(".m3u8")).collect();
        assert_eq!(order, ["l.m3u8", "h.m3u8", "a.m3u8"]);
    }

    #[test]
    fn a_live_playlist_points_at_blobs() {
        let pushed = "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:3\n#EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF:2.000000,\nindex3.m4s\n#EXTINF:1.500000,\nhttp://127.0.0.1/live/x/ingest/t/index4.m4s\n";
        assert_eq!(
            live_names(pushed).unwrap(),
            ["init.mp4", "index3.m4s", "index4.m4s"]
        );
        let live = live_rewrite(pushed, |n| Some(format!("/media/b/{n}"))).unwrap();
        assert!(live.text.contains("#EXT-X-MEDIA-SEQUENCE:3"));
        assert!(live.text.contains("URI=\"/media/b/init.mp4\""));
        assert!(live.text.contains("/media/b/index4.m4s"));
        assert!(!live.ended);
        assert_eq!(live.position, 5);
        assert_eq!(
            live.durations,
            [
                ("index3.m4s".to_owned(), 2000),
                ("index4.m4s".to_owned(), 1500)
            ]
        );
        let err = live_rewrite(pushed, |n| (n != "index4.m4s").then(|| n.to_owned()));
        assert_eq!(err.unwrap_err(), "index4.m4s is listed but was not pushed");
        let ended = format!("{pushed}#EXT-X-ENDLIST\n");
        assert!(live_rewrite(&ended, |n| Some(n.to_owned())).unwrap().ended);
        assert!(live_rewrite("hello", |n| Some(n.to_owned())).is_err());
    }

    #[test]
    fn a_recording_lists_every_segment_once() {
        let text = recording(
            Some("/media/b/i.mp4"),
            &[
                ("/media/b/a.m4s".into(), 2000),
                ("/media/b/b.m4s".into(), 1500),
            ],
        )
        .unwrap();
        assert!(text.contains("#EXT-X-PLAYLIST-TYPE:VOD"));
        assert!(text.contains("#EXT-X-ENDLIST"));
        assert!(text.contains("#EXT-X-TARGETDURATION:2"));
        assert_eq!(text.matches("#EXT-X-MAP").count(), 1);
        let names = live_names(&text).unwrap();
        assert_eq!(names, ["i.mp4", "a.m4s", "b.m4s"]);
        assert!(recording(None, &[]).is_err());
    }
}
