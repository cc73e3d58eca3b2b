//! An innovation competition: teams registered (one team per learner, no
//! name twice, no more members than allowed), submissions within their
//! limits (size, type, number of files, the deadline), the jury's scores
//! checked against the rubric, and the ranking published after the
//! deadline.

use crate::accounts::{Browser, add_user, cli, hidden_csrf};
use crate::support::{Env, Server};
use std::time::{Duration, Instant};

const PASSWORD: &str = "correct horse battery";

/// A submission form as a browser sends it: its text and maybe a file.
async fn submit(
    server: &Server,
    who: &Browser,
    csrf: &str,
    text: &str,
    file: Option<(&str, Vec<u8>)>,
) -> (u16, String) {
    let boundary = "----cartable-competition";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"body\"\r\n\r\n{text}\r\n"
    )
    .into_bytes();
    if let Some((name, bytes)) = file {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(&bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(server.url("/fr/competitions/idees/submission"))
        .header("cookie", who.cookie_header())
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.text().await.unwrap())
}

async fn signed_in(server: &Server, login: &str) -> (Browser, String) {
    let mut b = Browser::new(server);
    b.sign_in(login, PASSWORD).await;
    let page = b.get("/fr/competitions/idees").await.text().await.unwrap();
    let csrf = hidden_csrf(&page);
    (b, csrf)
}

#[tokio::test]
async fn a_competition_takes_submissions_within_its_limits_and_publishes_the_ranking() {
    let env = Env::new().await;
    for (login, role) in [
        ("jury1", "teacher"),
        ("amal", "learner"),
        ("bilal", "learner"),
        ("chama", "learner"),
        ("driss", "learner"),
    ] {
        add_user(&env, login, role, PASSWORD);
    }
    let deadline = chrono::Utc::now() + chrono::Duration::seconds(12);
    cli(
        &env,
        &[
            "competition",
            "create",
            "idees",
            "--title",
            "Idées pour la ville",
            "--brief",
            "Proposez une application pour votre quartier.",
            "--deadline",
            &deadline.to_rfc3339(),
            "--rubric",
            "Innovation:10",
            "--rubric",
            "Impact:5",
            "--jury",
            "jury1",
            "--max-team",
            "2",
            "--max-files",
            "2",
            "--max-mb",
            "1",
            "--types",
            "pdf,png",
        ],
    );
    let out = env.run(&[
        "competition",
        "create",
        "x",
        "--title",
        "X",
        "--brief",
        "b",
        "--deadline",
        "demain",
        "--rubric",
        "A:1",
        "--jury",
        "jury1",
    ]);
    assert!(!out.status.success());
    assert!(crate::support::stderr(&out).contains("is not a time"));
    let server = env.serve(&[]);

    // Teams.
    let (mut amal, csrf_a) = signed_in(&server, "amal").await;
    let made = amal
        .post_form(
            "/fr/competitions/idees/teams",
            &[
                ("csrf", &csrf_a),
                ("name", "Les étoiles"),
                ("members", "bilal"),
            ],
        )
        .await;
    assert_eq!(made.status(), 303);
    let (mut chama, csrf_c) = signed_in(&server, "chama").await;
    for (name, members, status, says) in [
        (
            "Les étoiles",
            "driss",
            409,
            "Une autre équipe porte déjà ce nom",
        ),
        (
            "Soleil",
            "amal",
            409,
            "Déjà dans une équipe de ce concours : amal",
        ),
        ("Soleil", "driss, jury1", 422, "au plus 2"),
        ("Soleil", "personne", 422, "n’existe pas : personne"),
    ] {
        let r = chama
            .post_form(
                "/fr/competitions/idees/teams",
                &[("csrf", &csrf_c), ("name", name), ("members", members)],
            )
            .await;
        assert_eq!(r.status(), status, "{name} {members}");
        assert!(r.text().await.unwrap().contains(says), "{says}");
    }
    let made = chama
        .post_form(
            "/fr/competitions/idees/teams",
            &[("csrf", &csrf_c), ("name", "Soleil"), ("members", "driss")],
        )
        .await;
    assert_eq!(made.status(), 303);

    // Submissions within the limits.
    let pdf = b"%PDF-1.4 un projet".to_vec();
    assert_eq!(
        submit(
            &server,
            &amal,
            &csrf_a,
            "Une carte des fontaines.",
            Some(("projet.pdf", pdf.clone()))
        )
        .await
        .0,
        303
    );
    let (status, page) = submit(
        &server,
        &amal,
        &csrf_a,
        "x",
        Some(("gros.pdf", vec![b'x'; 1_000_001])),
    )
    .await;
    assert_eq!(status, 413);
    assert!(page.contains("gros.pdf") && page.contains("1 MB"), "{page}");
    let (status, page) = submit(
        &server,
        &amal,
        &csrf_a,
        "x",
        Some(("virus.exe", vec![1, 2, 3])),
    )
    .await;
    assert_eq!(status, 415);
    assert!(page.contains("pdf, png"), "{page}");
    assert_eq!(
        submit(
            &server,
            &amal,
            &csrf_a,
            "Une carte des fontaines.",
            Some(("plan.png", vec![7; 100]))
        )
        .await
        .0,
        303
    );
    let (status, _) = submit(
        &server,
        &amal,
        &csrf_a,
        "x",
        Some(("trop.png", vec![7; 100])),
    )
    .await;
    assert_eq!(status, 409, "a third file");
    let (status, _) = submit(&server, &chama, &csrf_c, "Un jardin partagé.", None).await;
    assert_eq!(status, 303);
    let (status, _) = submit(&server, &Browser::new(&server), "", "x", None).await;
    assert_eq!(status, 403, "anonymous: refused");
    let mine = amal
        .get("/fr/competitions/idees")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        mine.contains("projet.pdf") && mine.contains("plan.png") && !mine.contains("gros.pdf"),
        "{mine}"
    );

    // The jury.
    assert_eq!(amal.get("/fr/competitions/idees/jury").await.status(), 403);
    let (mut jury, csrf_j) = signed_in(&server, "jury1").await;
    let page = jury
        .get("/fr/competitions/idees/jury")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Les étoiles") && page.contains("Soleil") && page.contains("projet.pdf"),
        "{page}"
    );
    let teams: Vec<String> = page
        .match_indices("/fr/competitions/idees/jury/")
        .map(|(at, m)| page[at + m.len()..].split('"').next().unwrap().to_owned())
        .collect();
    assert_eq!(teams.len(), 2);
    let etoiles = &teams[0];
    let soleil = &teams[1];
    for (team, fields, status) in [
        (etoiles, vec![("c0", "8"), ("c1", "4")], 303),
        (soleil, vec![("c0", "11"), ("c1", "4")], 422),
        (
            soleil,
            vec![("c0", "6"), ("c1", "5"), ("comment", "Bien")],
            303,
        ),
    ] {
        let mut all = vec![("csrf", csrf_j.as_str())];
        all.extend(fields);
        let path = format!("/fr/competitions/idees/jury/{team}");
        assert_eq!(
            jury.post_form(&path, &all).await.status(),
            status,
            "{all:?}"
        );
    }
    let early = jury
        .post_form("/fr/competitions/idees/publish", &[("csrf", &csrf_j)])
        .await;
    assert_eq!(early.status(), 409);

    // After the deadline: nothing more is taken, and the ranking is out.
    let started = Instant::now();
    while chrono::Utc::now() <= deadline {
        assert!(started.elapsed() < Duration::from_secs(30));
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, page) = submit(&server, &amal, &csrf_a, "trop tard", None).await;
    assert_eq!(status, 409);
    assert!(page.contains("Les dépôts sont clos"), "{page}");
    let public = server
        .get("/fr/competitions/idees")
        .await
        .text()
        .await
        .unwrap();
    assert!(!public.contains("Les résultats"), "not before publishing");
    assert_eq!(
        jury.post_form("/fr/competitions/idees/publish", &[("csrf", &csrf_j)])
            .await
            .status(),
        303
    );
    let public = server
        .get("/fr/competitions/idees")
        .await
        .text()
        .await
        .unwrap();
    let first = public.find("Les étoiles").unwrap();
    let second = public.rfind("Soleil").unwrap();
    assert!(
        public.contains("<strong>12.0</strong>") && public.contains("<strong>11.0</strong>"),
        "{public}"
    );
    assert!(first < second, "{public}");
}
