//! The training's pre/post questionnaire: public links without an account, validation,
//! closing, the aggregate (the demo is shaped like the guide's results), exports, and
//! tenant separation.

use serde_json::json;

use crate::helpers::{client, csrf_of, TestApp};

const DEMO_TRAINING: &str = "関係機関向け研修会（小慢児童等の地域連携）";

async fn demo_training(app: &TestApp, token: &str) -> String {
    let (_, list) = app.api_get(token, "/api/v1/trainings").await;
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["title"] == DEMO_TRAINING)
        .expect("the demo training")["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn new_training(app: &TestApp, token: &str) -> String {
    let (s, t) = app
        .api_post(
            token,
            "/api/v1/trainings",
            json!({"title": "アンケート試験の研修会", "date": "2026-02-20"}),
        )
        .await;
    assert_eq!(s, 201, "{t}");
    t["id"].as_str().unwrap().to_string()
}

fn path_of(survey: &serde_json::Value, phase: usize) -> String {
    survey["links"][phase]["path"]
        .as_str()
        .expect("a path for managers")
        .to_string()
}

async fn answers_in_db(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM training_survey_answers")
        .await
}

/// An anonymous browser: loads the form (getting the CSRF cookie) and posts `fields`.
async fn answer(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> (u16, String, String) {
    let c = client();
    let url = format!("{}{}", app.url, path);
    let csrf = csrf_of(&c, &url).await;
    let mut form: Vec<(&str, &str)> = vec![("_csrf", &csrf)];
    form.extend_from_slice(fields);
    let res = c.post(&url).form(&form).send().await.unwrap();
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (status, location, res.text().await.unwrap_or_default())
}

const PRE_OK: [(&str, &str); 4] = [
    ("field", "教育"),
    ("q_hurdle", "1"),
    ("q_roles", "3"),
    ("q_image", "4"),
];

async fn answering_through_links(app: TestApp) {
    let admin = app.token("tenant_admin@demo-city").await;
    let id = new_training(&app, &admin).await;
    let (s, sv) = app
        .api_get(&admin, &format!("/api/v1/trainings/{id}/survey"))
        .await;
    assert_eq!(s, 200, "{sv}");
    assert_eq!(sv["links"][0]["status"], "not_started");
    assert!(sv["links"][0]["path"].is_null());
    assert_eq!(
        sv["questions"]["questions"][0]["options"][0]["label"],
        "感じている"
    );
    // Closing what never opened: a Japanese message.
    let (s, v) = app
        .api_post(
            &admin,
            &format!("/api/v1/trainings/{id}/survey/close"),
            json!({"phase": "pre"}),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    assert!(v["detail"]
        .as_str()
        .unwrap()
        .contains("まだ受付を始めていません"));
    let (s, v) = app
        .api_post(
            &admin,
            &format!("/api/v1/trainings/{id}/survey/open"),
            json!({"phase": "during"}),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    assert!(v["detail"]
        .as_str()
        .unwrap()
        .contains("pre（事前）か post（事後）"));

    let (s, sv) = app
        .api_post(
            &admin,
            &format!("/api/v1/trainings/{id}/survey/open"),
            json!({"phase": "pre"}),
        )
        .await;
    assert_eq!(s, 200, "{sv}");
    assert_eq!(sv["links"][0]["status"], "open");
    assert_eq!(sv["links"][1]["status"], "not_started");
    let pre = path_of(&sv, 0);
    assert!(pre.starts_with("/s/") && pre.len() == 3 + 29, "{pre}");
    // Typed from paper: capitals, no hyphens, O for 0 — sent to the usual form.
    let typed = pre[3..].replace('-', "").to_uppercase().replace('0', "O");
    let res = client()
        .get(format!("{}/s/{typed}", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers().get("location").unwrap(), pre.as_str());

    // The public page: no sign-in, nothing of the staff's pages.
    let res = client()
        .get(format!("{}{pre}", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers().get("x-robots-tag").unwrap(),
        "noindex, nofollow"
    );
    let html = res.text().await.unwrap();
    assert!(html.contains("事前アンケート") && html.contains("アンケート試験の研修会"));
    assert!(html.contains("連携に、ハードルを感じていますか"));
    assert!(
        !html.contains("研修会を通じて得られた知識"),
        "post-only questions are not asked before"
    );
    assert!(!html.contains("ログアウト"));

    let before = answers_in_db(&app).await;
    let (s, loc, _) = answer(&app, &pre, &PRE_OK).await;
    assert_eq!(s, 303);
    assert_eq!(loc, format!("{pre}/thanks"));
    let thanks = client()
        .get(format!("{}{loc}", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(thanks.contains("ご回答ありがとうございました"));
    assert_eq!(answers_in_db(&app).await, before + 1);

    // Without the CSRF token: refused, nothing saved.
    let res = client()
        .post(format!("{}{pre}", app.url))
        .form(&PRE_OK)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(answers_in_db(&app).await, before + 1);

    // The post phase, with multiple choices and その他.
    let (_, sv) = app
        .api_post(
            &admin,
            &format!("/api/v1/trainings/{id}/survey/open"),
            json!({"phase": "post"}),
        )
        .await;
    let post = path_of(&sv, 1);
    assert_ne!(post, pre);
    let (s, _, body) = answer(
        &app,
        &post,
        &[
            ("q_hurdle", "4"),
            ("q_roles", "1"),
            ("q_image", "2"),
            ("q_knowledge", "1"),
            ("q_network", "2"),
            ("q_viewpoints", "a"),
            ("q_viewpoints", "b"),
            ("q_next", "c"),
            ("q_next_other", "校内研修で共有したい"),
            ("q_comment", "事例がわかりやすかった"),
        ],
    )
    .await;
    assert_eq!(s, 303, "{body}");
    let (_, sv) = app
        .api_get(&admin, &format!("/api/v1/trainings/{id}/survey"))
        .await;
    assert_eq!(sv["links"][0]["answers"], 1);
    assert_eq!(sv["links"][1]["answers"], 1);
    let agg = &sv["aggregate"];
    assert_eq!(agg["respondents_pre"], 1);
    assert_eq!(agg["respondents_post"], 1);
    let next = agg["questions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["key"] == "next")
        .unwrap();
    assert!(next["rows"][0]["pre"].is_null(), "not asked before");
    assert_eq!(next["rows"][2]["post"]["count"], 1);
    assert_eq!(next["rows"][3]["post"]["count"], 1, "その他 counted");
    assert_eq!(next["texts"], json!(["校内研修で共有したい"]));
    // The stored answer carries no person: only the phase, the 分野 and the choices.
    let stored: String = sqlx::query_scalar(
        "SELECT answers FROM training_survey_answers WHERE phase = 'pre' ORDER BY submitted_at DESC LIMIT 1",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&stored).unwrap(),
        json!({"choices": {"hurdle": ["1"], "roles": ["3"], "image": ["4"]}, "texts": {}})
    );
    assert!(crate::helpers::audit_ok(&app).await);
}
dual!(answering_through_links);

async fn closed_unknown_and_bad_answers(app: TestApp) {
    let nurse = app.token("nurse@demo-city").await;
    let id = new_training(&app, &nurse).await;
    let (s, sv) = app
        .api_post(
            &nurse,
            &format!("/api/v1/trainings/{id}/survey/open"),
            json!({"phase": "pre"}),
        )
        .await;
    assert_eq!(s, 200, "a 保健師 may run a training's survey: {sv}");
    let pre = path_of(&sv, 0);
    let before = answers_in_db(&app).await;

    // An option that is not offered: a Japanese message, the answers kept, nothing saved.
    let (s, _, html) = answer(
        &app,
        &pre,
        &[("q_hurdle", "9"), ("q_roles", "3"), ("q_image", "4")],
    )
    .await;
    assert_eq!(s, 422);
    assert!(
        html.contains("問1「連携のハードル」の回答「9」は選択肢にありません"),
        "{html}"
    );
    assert!(
        html.contains("value=\"3\" checked"),
        "the other answers stay filled in"
    );
    // Two options for one-choice question, a question of the other phase, a missing answer,
    // an unknown 分野.
    for (fields, msg) in [
        (
            vec![
                ("q_hurdle", "1"),
                ("q_hurdle", "2"),
                ("q_roles", "1"),
                ("q_image", "1"),
            ],
            "一つだけ選んでください",
        ),
        (
            vec![
                ("q_hurdle", "1"),
                ("q_roles", "1"),
                ("q_image", "1"),
                ("q_knowledge", "1"),
            ],
            "この回答画面にない設問",
        ),
        (
            vec![("q_hurdle", "1"), ("q_roles", "1")],
            "問3「連携のイメージの有無」を選んでください",
        ),
        (
            vec![
                ("field", "宇宙"),
                ("q_hurdle", "1"),
                ("q_roles", "1"),
                ("q_image", "1"),
            ],
            "所属の分野「宇宙」は一覧にありません",
        ),
    ] {
        let (s, _, html) = answer(&app, &pre, &fields).await;
        assert_eq!(s, 422, "{msg}");
        assert!(html.contains(msg), "{msg}: {html}");
    }
    assert_eq!(answers_in_db(&app).await, before, "nothing saved");

    // Closed: the same page as an unknown link, nothing saved.
    let form_page = client();
    let url = format!("{}{pre}", app.url);
    let csrf = csrf_of(&form_page, &url).await;
    let (s, _) = app
        .api_post(
            &nurse,
            &format!("/api/v1/trainings/{id}/survey/close"),
            json!({"phase": "pre"}),
        )
        .await;
    assert_eq!(s, 200);
    let mut form: Vec<(&str, &str)> = vec![("_csrf", &csrf)];
    form.extend_from_slice(&PRE_OK);
    let res = form_page.post(&url).form(&form).send().await.unwrap();
    assert_eq!(
        res.status(),
        404,
        "a form loaded before closing cannot be sent after"
    );
    let closed = res.text().await.unwrap();
    assert!(closed.contains("このアンケートには回答できません"));
    assert_eq!(answers_in_db(&app).await, before);
    let res = client().get(&url).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let closed_get = res.text().await.unwrap();
    for unknown in [
        "/s/00000-00000-00000-00000-00000".to_string(),
        "/s/abc".to_string(),
        format!("/s/{}", "u".repeat(25)),
        format!("/s/{}", "0".repeat(64)),
    ] {
        let res = client()
            .get(format!("{}{unknown}", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "{unknown}");
        assert_eq!(
            res.text().await.unwrap(),
            closed_get,
            "{unknown}: reveals nothing"
        );
    }
    // Opened again: the same link works; a new link replaces it.
    app.api_post(
        &nurse,
        &format!("/api/v1/trainings/{id}/survey/open"),
        json!({"phase": "pre"}),
    )
    .await;
    assert_eq!(client().get(&url).send().await.unwrap().status(), 200);
    let b = app.browser_login("nurse@demo-city").await;
    let csrf = csrf_of(&b, &format!("{}/trainings/{id}/survey", app.url)).await;
    let res = b
        .post(format!("{}/trainings/{id}/survey/pre/reissue", app.url))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        client().get(&url).send().await.unwrap().status(),
        404,
        "the old link stops"
    );
    let (_, sv) = app
        .api_get(&nurse, &format!("/api/v1/trainings/{id}/survey"))
        .await;
    let fresh = path_of(&sv, 0);
    assert_ne!(fresh, pre);
    let (s, _, _) = answer(&app, &fresh, &PRE_OK).await;
    assert_eq!(s, 303);
    assert_eq!(answers_in_db(&app).await, before + 1);
}
dual!(closed_unknown_and_bad_answers);

async fn demo_aggregate_and_exports(app: TestApp) {
    let admin = app.token("tenant_admin@demo-city").await;
    let id = demo_training(&app, &admin).await;
    let (s, sv) = app
        .api_get(&admin, &format!("/api/v1/trainings/{id}/survey"))
        .await;
    assert_eq!(s, 200, "{sv}");
    assert_eq!(sv["links"][0]["status"], "closed");
    assert_eq!(sv["links"][1]["status"], "closed");
    let agg = &sv["aggregate"];
    assert_eq!(agg["respondents_pre"], 24);
    assert_eq!(agg["respondents_post"], 24);
    let h = |i: usize, phase: &str| agg["headlines"][i][phase]["percent"].as_f64();
    assert_eq!(
        (h(0, "pre"), h(0, "post")),
        (Some(29.2), Some(0.0)),
        "ハードル"
    );
    assert_eq!(
        (h(1, "pre"), h(1, "post")),
        (Some(58.3), Some(4.2)),
        "役割分担"
    );
    assert_eq!(
        (h(2, "pre"), h(2, "post")),
        (Some(79.2), Some(20.8)),
        "イメージ"
    );
    assert_eq!((h(3, "pre"), h(3, "post")), (None, Some(100.0)), "知識");
    let hurdle = &agg["questions"][0];
    assert_eq!(
        hurdle["rows"][0]["pre"],
        json!({"count": 7, "of": 24, "percent": 29.2})
    );
    assert_eq!(
        hurdle["rows"][0]["post"],
        json!({"count": 0, "of": 24, "percent": 0.0})
    );

    let b = app.browser_login("auditor@demo-city").await;
    let res = b
        .get(format!("{}/trainings/{id}/survey/results", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("研修会の前後での主な変化"));
    assert!(html.contains("29.2%") && html.contains("58.3%") && html.contains("79.2%"));
    assert!(html.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(!html.contains("style="), "no inline style (strict CSP)");
    // The auditor reads results but is never handed the links.
    let (_, asv) = app
        .api_get(
            &app.token("auditor@demo-city").await,
            &format!("/api/v1/trainings/{id}/survey"),
        )
        .await;
    assert!(asv["links"][0]["path"].is_null());
    let (s, _) = app
        .api_post(
            &app.token("auditor@demo-city").await,
            &format!("/api/v1/trainings/{id}/survey/open"),
            json!({"phase": "pre"}),
        )
        .await;
    assert_eq!(s, 403);

    let res = b
        .get(format!("{}/trainings/{id}/survey/answers.xlsx", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(&res.bytes().await.unwrap()[..2], b"PK");
    let res = b
        .get(format!("{}/trainings/{id}/survey/answers.csv", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let csv = res.text().await.unwrap();
    assert!(csv.starts_with('\u{feff}'));
    assert_eq!(csv.trim_end().split("\r\n").count(), 1 + 48);
    assert!(csv.contains("感じている") && csv.contains("事後"));

    // The training page shows the survey and links to the results.
    let a = app.browser_login("tenant_admin@demo-city").await;
    let html = a
        .get(format!("{}/trainings/{id}", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("事前・事後アンケート")
            && html.contains(&format!("/trainings/{id}/survey/results"))
    );
    assert!(html.contains("/s/"), "the admin sees the links");
}
dual!(demo_aggregate_and_exports);

async fn other_tenants_see_nothing(app: TestApp) {
    let admin = app.token("tenant_admin@demo-city").await;
    let id = demo_training(&app, &admin).await;
    let other = app.token("tenant_admin@demo-pref").await;
    for path in [format!("/api/v1/trainings/{id}/survey")] {
        let (s, _) = app.api_get(&other, &path).await;
        assert_eq!(s, 404, "{path}");
    }
    let (s, _) = app
        .api_post(
            &other,
            &format!("/api/v1/trainings/{id}/survey/open"),
            json!({"phase": "pre"}),
        )
        .await;
    assert_eq!(s, 404);
    let partner = app.token("partner@demo-city").await;
    let (s, _) = app
        .api_get(&partner, &format!("/api/v1/trainings/{id}/survey"))
        .await;
    assert_eq!(s, 403, "partners do not see trainings");
    let b = app.browser_login("tenant_admin@demo-pref").await;
    for path in ["results", "answers.xlsx", "answers.csv", "pre/handout", ""] {
        let url = format!("{}/trainings/{id}/survey/{path}", app.url);
        let url = url.trim_end_matches('/');
        let res = b.get(url).send().await.unwrap();
        assert_eq!(res.status(), 404, "{url}");
    }
    let csrf = csrf_of(&b, &format!("{}/trainings", app.url)).await;
    let res = b
        .post(format!("{}/trainings/{id}/survey/pre/open", app.url))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let opened: i64 = app
        .count("SELECT COUNT(*) FROM training_survey_links WHERE is_open = 1")
        .await;
    assert_eq!(opened, 0, "nothing opened");
}
dual!(other_tenants_see_nothing);
