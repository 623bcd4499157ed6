//! The survey engine on both engines: a survey from the template through the API,
//! public answers (one per submission key, invitation codes spent once, a closed survey
//! refused, bad answers refused whole), versions once answers exist, results and
//! cross-tabulation, roles and tenant separation, and the demo's needs survey.

use serde_json::json;

use crate::helpers::{client, csrf_of, TestApp};

async fn answers_in_db(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM survey_responses").await
}

/// An anonymous browser posts `fields` to the public link (after loading it).
async fn answer(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> (u16, String, String) {
    let c = client();
    let url = format!("{}{}", app.url, path);
    // The pre-session CSRF cookie (a draft or closed link shows no form to take it from).
    let csrf = csrf_of(&c, &format!("{}/login", app.url)).await;
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

const OK: [(&str, &str); 5] = [
    ("q_disease_group", "4"),
    ("q_age_band", "6_11"),
    ("q_medical_care", "yes"),
    ("q_consult", "some"),
    ("q_caregiver_burden", "5"),
];

fn with<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut v: Vec<(&str, &str)> = OK.to_vec();
    v.extend_from_slice(extra);
    v
}

async fn new_survey(app: &TestApp, token: &str, body: serde_json::Value) -> serde_json::Value {
    let (s, sv) = app.api_post(token, "/api/v1/surveys", body).await;
    assert_eq!(s, 201, "{sv}");
    sv
}

async fn answering_and_results(app: TestApp) {
    let admin = app.token("tenant_admin@demo-city").await;
    let sv = new_survey(
        &app,
        &admin,
        json!({"title": "試験の実態把握調査", "template": "needs"}),
    )
    .await;
    let id = sv["id"].as_str().unwrap().to_string();
    let path = sv["path"]
        .as_str()
        .expect("managers see the link")
        .to_string();
    assert_eq!(sv["status"], "draft");
    let before = answers_in_db(&app).await;

    // A draft answers nothing (the same page as an unknown link).
    let (s, _, _) = answer(
        &app,
        &path,
        &with(&[("submission", "k0000000000000000001")]),
    )
    .await;
    assert_eq!(s, 404);
    let (s, _) = app
        .api_post(&admin, &format!("/api/v1/surveys/{id}/open"), json!({}))
        .await;
    assert_eq!(s, 200);

    // One answer, sent twice with the same submission key: saved once.
    let fields = with(&[
        ("submission", "k0000000000000000002"),
        ("q_medical_care_kinds", "1"),
        ("q_medical_care_kinds", "7"),
        ("q_medical_care_kinds__other", "胃ろう"),
        ("q_visits", "３"),
    ]);
    for _ in 0..2 {
        let (s, loc, body) = answer(&app, &path, &fields).await;
        assert_eq!(s, 303, "{body}");
        assert!(loc.ends_with("/thanks"), "{loc}");
    }
    assert_eq!(
        answers_in_db(&app).await,
        before + 1,
        "the same form sent twice is one answer"
    );

    // Refused whole: a missing required answer, a number out of range, 100 KB of text,
    // a choice that is not the question's, a NUL; what was typed comes back.
    let long = "a".repeat(5000);
    for (extra, want) in [
        (vec![("q_visits", "40")], "0 から 31 までの数"),
        (vec![("q_wish", long.as_str())], "4000 字まで"),
        (vec![("q_age_band", "99_99")], "ひとつだけ選んでください"),
        (vec![("q_school", "zz")], "選択肢にありません"),
    ] {
        let mut f = with(&[("submission", "k0000000000000000003")]);
        f.extend(extra);
        let (s, _, body) = answer(&app, &path, &f).await;
        assert_eq!(s, 422, "{want}");
        assert!(
            body.contains(want),
            "{want}: {}",
            &body[..body.len().min(3000)]
        );
    }
    // 100 KB in one field: over the limit of a form sent without an account, refused
    // before it is read, in Japanese.
    let big = "a".repeat(100_000);
    let (s, _, body) = answer(
        &app,
        &path,
        &with(&[("submission", "k0000000000000000007"), ("q_wish", &big)]),
    )
    .await;
    assert_eq!(s, 413);
    assert!(
        body.contains("大きすぎます"),
        "{}",
        &body[..body.len().min(2000)]
    );
    let f: Vec<(&str, &str)> = vec![
        ("submission", "k0000000000000000004"),
        ("q_visits", "12"),
        ("q_wish", "<script>x</script>"),
    ];
    let (s, _, body) = answer(&app, &path, &f).await;
    assert_eq!(s, 422);
    assert!(
        body.contains("問1「お子さんの病気は、どの疾患群ですか。」に答えてください"),
        "required"
    );
    assert!(body.contains("value=\"12\""), "the number typed comes back");
    assert!(
        body.contains("&lt;script&gt;x&lt;/script&gt;") || body.contains("&#60;script&#62;"),
        "markup comes back as text"
    );
    assert_eq!(
        answers_in_db(&app).await,
        before + 1,
        "nothing partial stored"
    );

    // A second, different answer; then the results and a cross-tabulation.
    let (s, _, _) = answer(
        &app,
        &path,
        &[
            ("submission", "k0000000000000000005"),
            ("q_disease_group", "11"),
            ("q_age_band", "15_17"),
            ("q_medical_care", "no"),
            ("q_consult", "no"),
            ("q_caregiver_burden", "3"),
            ("q_wish", "<b>学校</b>の理解がほしい"),
        ],
    )
    .await;
    assert_eq!(s, 303);
    let (s, r) = app
        .api_get(
            &admin,
            &format!("/api/v1/surveys/{id}/results?by=medical_care"),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["results"]["responses"], 2);
    let items = r["results"]["items"].as_array().unwrap();
    let item = |k: &str| items.iter().find(|i| i["key"] == k).unwrap().clone();
    let care = item("medical_care");
    assert_eq!(care["n"], 2);
    assert_eq!(care["options"][0]["count"], 1);
    assert_eq!(care["options"][0]["percent"], 50.0);
    let kinds = item("medical_care_kinds");
    assert_eq!(kinds["n"], 1, "shown only to the family with 医療的ケア");
    assert_eq!(kinds["texts"], json!(["胃ろう"]));
    let visits = item("visits");
    assert_eq!(visits["numbers"]["mean"], 3.0, "全角 ３ read as 3");
    assert_eq!(item("wish")["texts"], json!(["<b>学校</b>の理解がほしい"]));
    assert!(r["cross"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["item"] == "caregiver_burden"));
    let (s, _) = app
        .api_get(&admin, &format!("/api/v1/surveys/{id}/results?by=visits"))
        .await;
    assert_eq!(s, 422, "only a single choice cross-tabulates");

    // Changing the questions after answers makes version 2; the old answers stay counted.
    let (_, one) = app.api_get(&admin, &format!("/api/v1/surveys/{id}")).await;
    let mut def = one["definition"].clone();
    def["sections"][0]["items"]
        .as_array_mut()
        .unwrap()
        .push(json!({"key": "extra", "kind": "short", "text": "追加の質問"}));
    let (s, v2) = app
        .api_put(
            &admin,
            &format!("/api/v1/surveys/{id}/definition"),
            json!({"version": 1, "definition": def}),
        )
        .await;
    assert_eq!(s, 200, "{v2}");
    assert_eq!(v2["version"], 2);
    let (s, stale) = app
        .api_put(
            &admin,
            &format!("/api/v1/surveys/{id}/definition"),
            json!({"version": 1, "definition": def}),
        )
        .await;
    assert_eq!(s, 409, "{stale}");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM survey_versions WHERE survey_id = '{id}'"
        ))
        .await,
        2
    );
    let (_, r) = app
        .api_get(&admin, &format!("/api/v1/surveys/{id}/results"))
        .await;
    assert_eq!(r["results"]["responses"], 2);

    // Closed: refused.
    let (s, _) = app
        .api_post(&admin, &format!("/api/v1/surveys/{id}/close"), json!({}))
        .await;
    assert_eq!(s, 200);
    let (s, _, body) = answer(
        &app,
        &path,
        &with(&[("submission", "k0000000000000000006")]),
    )
    .await;
    assert_eq!(s, 410, "{body}");
    assert!(body.contains("受付は終わりました"));
    assert!(crate::helpers::audit_ok(&app).await);
}
dual!(answering_and_results);

async fn invitation_codes(app: TestApp) {
    let admin = app.token("tenant_admin@demo-city").await;
    let sv = new_survey(
        &app,
        &admin,
        json!({"title": "回答コードの試験", "template": "needs", "invitation_only": true}),
    )
    .await;
    let id = sv["id"].as_str().unwrap().to_string();
    let path = sv["path"].as_str().unwrap().to_string();
    app.api_post(&admin, &format!("/api/v1/surveys/{id}/open"), json!({}))
        .await;
    let c = app.browser_login("tenant_admin@demo-city").await;
    let url = format!("{}/surveys/{id}/invitations", app.url);
    let csrf = csrf_of(&c, &url).await;
    let res = c
        .post(&url)
        .form(&[
            ("_csrf", csrf.as_str()),
            ("labels", "受給者 0001\n受給者 0002"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    let csv = c
        .get(format!("{url}.csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let codes: Vec<String> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().to_string())
        .collect();
    assert_eq!(codes.len(), 2, "{csv}");

    let (s, _, body) = answer(
        &app,
        &path,
        &with(&[("submission", "c0000000000000000001")]),
    )
    .await;
    assert_eq!(s, 422, "a code is needed");
    assert!(body.contains("回答コード"));
    let (s, _, _) = answer(
        &app,
        &path,
        &with(&[
            ("submission", "c0000000000000000002"),
            ("code", "ZZZZ-ZZZZ"),
        ]),
    )
    .await;
    assert_eq!(s, 422, "an unknown code");
    let lower = codes[0].to_lowercase().replace('-', " ");
    let (s, _, _) = answer(
        &app,
        &path,
        &with(&[("submission", "c0000000000000000003"), ("code", &lower)]),
    )
    .await;
    assert_eq!(s, 303, "a code typed in lower case with a space");
    let (s, _, body) = answer(
        &app,
        &path,
        &with(&[("submission", "c0000000000000000004"), ("code", &codes[0])]),
    )
    .await;
    assert_eq!(s, 422, "a spent code");
    assert!(body.contains("この回答コードは使えません"));
    let unanswered = c
        .get(format!("{url}.csv?unanswered=1"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        unanswered.contains("受給者 0002") && !unanswered.contains("受給者 0001"),
        "only the one not answered, for a reminder"
    );
    let (_, one) = app.api_get(&admin, &format!("/api/v1/surveys/{id}")).await;
    assert_eq!(
        (
            one["invitations"].as_i64(),
            one["invitations_used"].as_i64()
        ),
        (Some(2), Some(1))
    );
    let n = app.count(&format!("SELECT COUNT(*) FROM survey_responses WHERE survey_id = '{id}' AND answers LIKE '%受給者%'")).await;
    assert_eq!(n, 0, "who it went to is never stored with the answer");
}
dual!(invitation_codes);

async fn roles_tenants_and_the_demo(app: TestApp) {
    let admin = app.token("tenant_admin@demo-city").await;
    let (s, list) = app.api_get(&admin, "/api/v1/surveys").await;
    assert_eq!(s, 200);
    let demo = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["purpose"] == "needs")
        .expect("the demo's needs survey")
        .clone();
    let id = demo["id"].as_str().unwrap();
    assert_eq!(demo["responses"], 300);
    let (_, r) = app
        .api_get(&admin, &format!("/api/v1/surveys/{id}/results?by=age_band"))
        .await;
    assert_eq!(r["results"]["responses"], 300);
    assert_eq!(r["response_rate"], 65.7);
    // Every answer passes the survey's own checks.
    let dg = r["results"]["items"][0]["options"].as_array().unwrap();
    assert_eq!(
        dg.iter().map(|o| o["count"].as_i64().unwrap()).sum::<i64>()
            + r["results"]["items"][0]["no_answer"].as_i64().unwrap(),
        300
    );

    // Another tenant's id is unknown; a partner and a contractor see no surveys; an auditor reads, never writes.
    let pref = app.token("tenant_admin@demo-pref").await;
    let (s, _) = app.api_get(&pref, &format!("/api/v1/surveys/{id}")).await;
    assert_eq!(s, 404);
    let (s, _) = app
        .api_get(&pref, &format!("/api/v1/surveys/{id}/results"))
        .await;
    assert_eq!(s, 404);
    let (s, _) = app
        .api_post(&pref, &format!("/api/v1/surveys/{id}/open"), json!({}))
        .await;
    assert_eq!(s, 404);
    for login in ["partner@demo-city", "contractor@demo-city"] {
        let t = app.token(login).await;
        let (s, _) = app.api_get(&t, "/api/v1/surveys").await;
        assert_eq!(s, 403, "{login}");
    }
    let auditor = app.token("auditor@demo-city").await;
    let (s, a) = app
        .api_get(&auditor, &format!("/api/v1/surveys/{id}"))
        .await;
    assert_eq!(s, 200);
    assert!(
        a["path"].is_null(),
        "the link is for those who manage the survey"
    );
    let (s, _) = app
        .api_post(&auditor, "/api/v1/surveys", json!({"title": "x"}))
        .await;
    assert_eq!(s, 403);
    let (s, e) = app
        .api_post(
            &admin,
            "/api/v1/surveys",
            json!({"title": "x", "template": "nope"}),
        )
        .await;
    assert_eq!(s, 422, "{e}");
    let (s, _) = app
        .api_post(
            &admin,
            "/api/v1/surveys",
            json!({"title": "x", "unknown": 1}),
        )
        .await;
    assert_eq!(s, 422, "unknown fields are refused");
    let (s, e) = app.api_post(&admin, "/api/v1/surveys", json!({"title": "x", "definition": {"sections": [{"title": "a", "items": [{"key": "a", "kind": "single", "text": "一", "options": [{"key": "1", "label": "A"}]}]}]}})).await;
    assert_eq!(s, 422, "{e}");
    assert!(e.to_string().contains("選択肢を二つ以上"), "{e}");
}
dual!(roles_tenants_and_the_demo);
