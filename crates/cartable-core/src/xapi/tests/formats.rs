//! The string formats: language tags, IRIs, UUIDs, durations, media types
//! and timestamps.

use super::super::syntax::{check_duration, check_media_type, truncate_duration};
use super::*;

#[test]
fn language_tags_follow_rfc_5646() {
    let valid = [
        "en",
        "fr",
        "ar",
        "tlh",
        "cmn",
        "ase",
        "de-DE",
        "en-US",
        "es-419",
        "zh-Hant",
        "zh-Hans-CN",
        "sr-Latn-RS",
        "sr-Cyrl",
        "fr-CA",
        "de-CH-1901",
        "sl-rozaj-biske",
        "zh-yue-HK",
        "en-a-bbb-x-a-ccc",
        "x-whatever",
        "i-klingon",
        "EN-gb",
        "ja",
    ];
    for tag in valid {
        assert!(is_language_tag(tag), "{tag} should be valid");
    }
    let invalid = [
        "",
        "a12345678",
        "something",
        "a12345",
        "e",
        "test",
        "en-",
        "-en",
        "en--US",
        "zh-z-aaa-z-bbb-c-ccc",
        "de-1901-1901",
        "en-a",
        "en-x",
        "en US",
        "fr_FR",
        "x",
        "en-US-x-toolongvalue",
    ];
    for tag in invalid {
        assert!(!is_language_tag(tag), "{tag} should be refused");
    }
}

#[test]
fn iris_need_a_scheme_and_clean_characters() {
    for ok in [
        "http://adlnet.gov/expapi/verbs/voided",
        "https://cartable.example/capsules/fractions?x=1#part",
        "urn:uuid:8f87ccde-bb56-4c2e-ab83-44982ef22df0",
        "mailto:a@b.org",
        "tag:cartable.example,2026:video",
        "http://example.com/فعل/خواندن",
        "https://cartable.example/a%20b",
    ] {
        assert_eq!(check_iri(ok), Ok(()), "{ok}");
    }
    for bad in [
        "",
        "should fail",
        "ab=c://should.fail.com",
        "//no-scheme",
        "#fragment",
        "1http://x",
        "http:",
        "http://a b",
        "http://x/<y>",
        "http://x/%zz",
        "http://x/#a#b",
    ] {
        assert!(check_iri(bad).is_err(), "{bad}");
    }
}

#[test]
fn uuids_are_in_standard_form_and_lower_cased() {
    assert_eq!(
        check_uuid("8F87CCDE-BB56-4C2E-AB83-44982EF22DF0").unwrap(),
        "8f87ccde-bb56-4c2e-ab83-44982ef22df0"
    );
    for bad in [
        "AA97B177-9383-4934-8543-0F91A7A028368",
        "MA97B177-9383-4934-8543-0F91A7A02836",
        "8f87ccdebb564c2eab8344982ef22df0",
        "{8f87ccde-bb56-4c2e-ab83-44982ef22df0}",
        "urn:uuid:8f87ccde-bb56-4c2e-ab83-44982ef22df0",
        "",
    ] {
        assert!(check_uuid(bad).is_err(), "{bad}");
    }
}

#[test]
fn durations_follow_iso_8601_section_4_4_3_2() {
    for ok in [
        "PT1H0M0.1S",
        "PT4H35M59.14S",
        "PT16559.14S",
        "P3Y1M29DT4H35M59.14S",
        "P3Y",
        "P4W",
        "PT1234S",
        "PT1H0M0S",
        "P1D",
        "PT0.5S",
        "PT1,5S",
        "P1Y2M",
        "PT36H",
    ] {
        assert_eq!(check_duration(ok), Ok(()), "{ok}");
    }
    for bad in [
        "",
        "P",
        "PT",
        "P1Y2MT",
        "PA1H0M0S",
        "P4W1D",
        "should fail",
        "P16559.14S",
        "P0003-01-29T04:35:59",
        "-PT1S",
        "PT1.5H30M",
        "P1M1Y",
        "PT1S2M",
        "pt1s",
        "P1.S",
    ] {
        assert!(check_duration(bad).is_err(), "{bad}");
    }
    assert_eq!(truncate_duration("PT12.503S"), "PT12.5S");
    assert_eq!(truncate_duration("PT12.500S"), "PT12.5S");
    assert_eq!(truncate_duration("PT1H0.001S"), "PT1H0S");
    assert_eq!(truncate_duration("P3Y"), "P3Y");
}

#[test]
fn media_types_have_a_type_a_subtype_and_parameters() {
    for ok in [
        "text/plain",
        "text/plain; charset=ascii",
        "application/octet-stream",
        "multipart/mixed; boundary=\"abc ABC;0123\"",
        "image/svg+xml",
    ] {
        assert_eq!(check_media_type(ok), Ok(()), "{ok}");
    }
    for bad in [
        "",
        "should fail",
        "text",
        "text/",
        "/plain",
        "text/plain; charset",
        "text/plain; =x",
        "text/plain; a=\"open",
    ] {
        assert!(check_media_type(bad).is_err(), "{bad}");
    }
}

#[test]
fn timestamps_parse_as_iso_8601_and_round_trip() {
    let cases = [
        ("2026-01-01T00:00:00Z", "2026-01-01T00:00:00.000Z"),
        ("2026-01-01T01:00:00+01:00", "2026-01-01T00:00:00.000Z"),
        ("2013-05-18T05:32:34.804+00:00", "2013-05-18T05:32:34.804Z"),
        (
            "2015-11-18T12:17:00.123456789-05:30",
            "2015-11-18T17:47:00.123Z",
        ),
        ("2026-01-01T10:30+0100", "2026-01-01T09:30:00.000Z"),
        ("20260101T103000Z", "2026-01-01T10:30:00.000Z"),
        ("2026-01-01T10:30:00,5Z", "2026-01-01T10:30:00.500Z"),
        ("2026-01-01T10:30:00", "2026-01-01T10:30:00.000Z"),
        ("2026-01-01T10:30:00+02", "2026-01-01T08:30:00.000Z"),
    ];
    for (input, stored) in cases {
        let t = parse_timestamp(input).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(format_timestamp(t), stored, "{input}");
        let again = parse_timestamp(&format_timestamp(t)).unwrap();
        assert_eq!(format_timestamp(again), stored);
    }
    for bad in [
        "",
        "should fail",
        "01/011/2015",
        "2026-01-01",
        "2026-13-01T00:00:00Z",
        "2026-02-30T00:00:00Z",
        "2026-01-01T24:00:00Z",
        "2008-09-15T15:53:00.601-00:00",
        "2008-09-15T15:53:00.601-0000",
        "2008-09-15T15:53:00.601-00",
        "2026-01-01T10:00:00+01:",
        "2026-01-01T10:00:00.Z",
        "2026-01-01 10:00:00Z",
        "2026-01-01T10:00:00Zjunk",
        "2026-0101T10:00:00Z",
    ] {
        assert!(parse_timestamp(bad).is_err(), "{bad}");
    }
}
