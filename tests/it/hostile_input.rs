//! Hostile input refused at the edge (W8): NUL anywhere in a page form, a query, a path,
//! a JSON body or the sign-in form gets a Japanese 400 (page) or problem+json (API) and
//! writes nothing; hidden characters, bidi overrides and full-width markup are refused
//! field by field; the security headers, with HSTS only over https.

use serde_json::json;

use crate::helpers::{client, csrf_of, TestApp, PW};

/// Row counts of the tables a refused request must not touch.
async fn counts(app: &TestApp) -> Vec<i64> {
    let mut out = vec![];
    for t in [
        "children",
        "family_members",
        "agencies",
        "agency_contacts",
        "sessions",
        "api_tokens",
        "audit_log",
    ] {
        out.push(app.count(&format!("SELECT COUNT(*) FROM {t}")).await);
    }
    out
}

/// A page refusal: 400, the Japanese error page, naming NUL, never a 500.
async fn assert_page_400(res: reqwest::Response, what: &str) -> String {
    assert_eq!(res.status(), 400, "{what}");
    let html = res.text().await.unwrap();
    assert!(
        html.contains("<html lang=\"ja\">"),
        "{what}: the Japanese page"
    );
    assert!(html.contains("NUL 文字"), "{what}: names NUL: {html}");
    html
}

/// An API refusal: 400 problem+json in Japanese, naming NUL.
async fn assert_problem_400(res: reqwest::Response, what: &str) -> serde_json::Value {
    assert_eq!(res.status(), 400, "{what}");
    assert_eq!(
        res.headers()["content-type"],
        "application/problem+json",
        "{what}"
    );
    let v: serde_json::Value = res.json().await.unwrap();
    assert_eq!(v["code"], "bad_request", "{what}: {v}");
    let detail = v["detail"].as_str().unwrap();
    assert!(detail.contains("NUL 文字"), "{what}: {detail}");
    v
}

fn new_child() -> serde_json::Value {
    json!({
        "name": "境界 花子", "reading": "きょうかい はなこ", "birth_date": "2018-04-10", "sex": "female",
        "disease_group": 7, "family": [{"relation": "母", "name": "境界 由美", "is_guardian": true}]
    })
}

async fn nul_is_refused_at_the_edge(app: TestApp) {
    let before = counts(&app).await;

    // The sign-in form, unauthenticated: NUL in the login, the password, `next`.
    let c = client();
    let csrf = csrf_of(&c, &format!("{}/login", app.url)).await;
    for (login, password, next) in [
        ("nurse@demo-city\0", PW, "/"),
        ("nurse@demo-city", "test-Passw0rd\0-2026", "/"),
        ("nurse@demo-city", PW, "/children\0"),
    ] {
        let res = c
            .post(format!("{}/login", app.url))
            .form(&[
                ("login", login),
                ("password", password),
                ("_csrf", &csrf),
                ("next", next),
            ])
            .send()
            .await
            .unwrap();
        assert_page_400(res, "NUL in the sign-in form").await;
    }
    let res = c
        .get(format!("{}/login?next=%2Fchildren%00", app.url))
        .send()
        .await
        .unwrap();
    assert_page_400(res, "NUL in the sign-in page's query").await;
    assert_eq!(
        counts(&app).await,
        before,
        "a refused sign-in writes nothing"
    );

    // A page form read by hand (`pairs`), a page query, a path id.
    let b = app.browser_login("nurse@demo-city").await;
    let before = counts(&app).await;
    let csrf = csrf_of(&b, &format!("{}/children/new", app.url)).await;
    let res = b
        .post(format!("{}/children", app.url))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("name", "試験\0花子"),
            ("reading", "しけん はなこ"),
            ("birth_date", "2018-04-10"),
            ("sex", "female"),
            ("disease_group", "7"),
        ])
        .send()
        .await
        .unwrap();
    let html = assert_page_400(res, "NUL in a page form field").await;
    assert!(html.contains("項目: name"), "names the field: {html}");
    assert!(
        html.contains("子ども・家族"),
        "the error page keeps the caller's navigation"
    );
    let res = b
        .get(format!("{}/children?q=%E8%A9%A6%00", app.url))
        .send()
        .await
        .unwrap();
    let html = assert_page_400(res, "NUL in a page query").await;
    assert!(html.contains("項目: q"), "{html}");
    let res = b
        .get(format!("{}/children/abc%00def", app.url))
        .send()
        .await
        .unwrap();
    assert_page_400(res, "NUL in a path id").await;
    assert_eq!(
        counts(&app).await,
        before,
        "refused page requests write nothing (not even an audit row)"
    );

    // JSON bodies: a top-level string, a nested one, a key; the token endpoint.
    let nurse = app.token("nurse@demo-city").await;
    let admin = app.token("tenant_admin@demo-city").await;
    let before = counts(&app).await;
    let mut child = new_child();
    child["name"] = json!("試験\u{0}花子");
    let res = client()
        .post(format!("{}/api/v1/children", app.url))
        .bearer_auth(&nurse)
        .json(&child)
        .send()
        .await
        .unwrap();
    let v = assert_problem_400(res, "NUL in a JSON field").await;
    assert!(v["detail"].as_str().unwrap().contains("「name」"), "{v}");
    let mut child = new_child();
    child["family"][0]["name"] = json!("由美\u{0}");
    let res = client()
        .post(format!("{}/api/v1/children", app.url))
        .bearer_auth(&nurse)
        .json(&child)
        .send()
        .await
        .unwrap();
    let v = assert_problem_400(res, "NUL in a nested JSON field").await;
    assert!(
        v["detail"].as_str().unwrap().contains("「family[0].name」"),
        "{v}"
    );
    let res = client()
        .post(format!("{}/api/v1/agencies", app.url))
        .bearer_auth(&admin)
        .json(&json!({"name": "境界相談室", "field": "医療", "contacts": [{"name": "担当", "x\u{0}": 1}]}))
        .send()
        .await
        .unwrap();
    assert_problem_400(res, "NUL in a JSON key").await;
    let res = client()
        .get(format!("{}/api/v1/agencies?q=%00", app.url))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_problem_400(res, "NUL in an API query").await;
    let res = client()
        .post(format!("{}/api/v1/auth/token", app.url))
        .json(&json!({"login": "nurse@demo-city\u{0}", "password": PW}))
        .send()
        .await
        .unwrap();
    assert_problem_400(res, "NUL in the token request").await;
    assert_eq!(
        counts(&app).await,
        before,
        "refused API requests write nothing"
    );

    // The same requests without NUL go through (the refusals above were for NUL alone).
    let (s, v) = app.api_post(&nurse, "/api/v1/children", new_child()).await;
    assert_eq!(s, 201, "{v}");
}
dual!(nul_is_refused_at_the_edge);

/// The field errors of a 422 problem: (field, message).
fn errors(v: &serde_json::Value) -> Vec<(String, String)> {
    v["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("errors in {v}"))
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_string(),
                e["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn has(errs: &[(String, String)], field: &str, words: &str) -> bool {
    errs.iter().any(|(f, m)| f == field && m.contains(words))
}

async fn hidden_characters_and_full_width_markup_are_refused(app: TestApp) {
    let admin = app.token("tenant_admin@demo-city").await;
    let nurse = app.token("nurse@demo-city").await;
    let before = counts(&app).await;

    // The registry (関係機関台帳) through the API.
    let (s, v) = app
        .api_post(
            &admin,
            "/api/v1/agencies",
            json!({
                "name": "相談\u{200B}室", "field": "医療",
                "address": "デモ市\u{202E}町本",
                "overview": "＜script＞alert(1)＜／script＞",
                "notes": "ｊａｖａｓｃｒｉｐｔ：alert(1)",
                "strengths": "\u{FEFF}強み",
            }),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    let errs = errors(&v);
    assert!(has(&errs, "name", "目に見えない文字"), "{errs:?}");
    assert!(has(&errs, "name", "ゼロ幅スペース"), "{errs:?}");
    assert!(has(&errs, "address", "文字の向きを変える"), "{errs:?}");
    assert!(has(&errs, "overview", "HTMLのタグ"), "{errs:?}");
    assert!(has(&errs, "notes", "javascript:"), "{errs:?}");
    assert!(has(&errs, "strengths", "BOM"), "{errs:?}");

    // A child's record through the API.
    let mut child = new_child();
    child["household_notes"] = json!("父は\u{2066}単身赴任\u{2069}");
    child["medical_care"] = json!("＜ａ href=x＞注射＜/ａ＞");
    child["school"] = json!("青葉\u{0007}小学校");
    let (s, v) = app.api_post(&nurse, "/api/v1/children", child).await;
    assert_eq!(s, 422, "{v}");
    let errs = errors(&v);
    assert!(
        has(&errs, "household_notes", "文字の向きを変える"),
        "{errs:?}"
    );
    assert!(has(&errs, "medical_care", "HTMLのタグ"), "{errs:?}");
    assert!(has(&errs, "school", "制御文字（U+0007"), "{errs:?}");
    assert!(
        errs.iter().all(|(_, m)| !m.is_ascii()),
        "messages are Japanese"
    );

    // The same through the pages: the form comes back with the message.
    let ab = app.browser_login("tenant_admin@demo-city").await;
    let csrf = csrf_of(&ab, &format!("{}/agencies/new", app.url)).await;
    let res = ab
        .post(format!("{}/agencies", app.url))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("name", "境界相談室"),
            ("field", "医療"),
            ("overview", "＜ｉｍｇ src=x onerror=alert(1)＞"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("HTMLのタグ"), "{html}");
    let nb = app.browser_login("nurse@demo-city").await;
    let csrf = csrf_of(&nb, &format!("{}/children/new", app.url)).await;
    let res = nb
        .post(format!("{}/children", app.url))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("name", "境界\u{200D}花子"),
            ("reading", "きょうかい はなこ"),
            ("birth_date", "2018-04-10"),
            ("sex", "female"),
            ("disease_group", "7"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("目に見えない文字"), "{html}");
    assert_eq!(counts(&app).await[..4], before[..4], "nothing stored");

    // Clean text with newlines, emoji and 異体字 is stored as typed.
    let (s, v) = app
        .api_post(
            &admin,
            "/api/v1/agencies",
            json!({"name": "葛\u{E0100}飾相談室", "field": "医療", "overview": "一行目\n二行目 👨\u{200D}👩\u{200D}👧 1 < 2"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let (_, got) = app
        .api_get(
            &admin,
            &format!("/api/v1/agencies/{}", v["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(got["name"], "葛\u{E0100}飾相談室");
    assert_eq!(
        got["overview"],
        "一行目\n二行目 👨\u{200D}👩\u{200D}👧 1 < 2"
    );
}
dual!(hidden_characters_and_full_width_markup_are_refused);

fn header(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
}

async fn security_headers_and_hsts_only_over_https(app: TestApp) {
    for path in ["/login", "/api/v1/me", "/nowhere", "/healthz"] {
        let res = client()
            .get(format!("{}{path}", app.url))
            .send()
            .await
            .unwrap();
        let pp = header(&res, "permissions-policy").unwrap_or_default();
        for feature in [
            "camera=()",
            "microphone=()",
            "geolocation=()",
            "payment=()",
            "usb=()",
        ] {
            assert!(pp.contains(feature), "{path}: {feature} in {pp}");
        }
        assert_eq!(
            header(&res, "strict-transport-security"),
            None,
            "{path}: no HSTS over plain http"
        );
        let res = client()
            .get(format!("{}{path}", app.url))
            .header("x-forwarded-proto", "http")
            .send()
            .await
            .unwrap();
        assert_eq!(header(&res, "strict-transport-security"), None, "{path}");
        let res = client()
            .get(format!("{}{path}", app.url))
            .header("x-forwarded-proto", "https")
            .send()
            .await
            .unwrap();
        assert_eq!(
            header(&res, "strict-transport-security").as_deref(),
            Some("max-age=31536000; includeSubDomains"),
            "{path}: HSTS behind a TLS proxy"
        );
        assert!(header(&res, "permissions-policy").is_some());
    }
    // Served over https directly (the force-secure setting): HSTS without the proxy header.
    let state = yorube::app::AppState::new(
        app.db.clone(),
        yorube::app::Config {
            force_secure_cookies: true,
            ..Default::default()
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, yorube::app::router(state))
            .await
            .unwrap();
    });
    let res = client().get(format!("{url}/login")).send().await.unwrap();
    assert_eq!(
        header(&res, "strict-transport-security").as_deref(),
        Some("max-age=31536000; includeSubDomains")
    );
}
dual!(security_headers_and_hsts_only_over_https);

/// `decode_json`, what `ApiJson` runs on a read body, names where NUL is.
#[test]
fn json_nul_is_found_at_any_depth() {
    use serde_json::Value;
    use yorube::web::api::decode_json;
    let detail = |body: &str| match decode_json::<Value>(body.as_bytes()) {
        Err(yorube::AppError::BadRequest(m)) => m,
        other => panic!("{body}: {other:?}"),
    };
    assert!(detail(r#""a\u0000""#).contains("「（本体）」"));
    assert!(detail(r#"{"a": {"b": [1, "x", "\u0000"]}}"#).contains("「a.b[2]」"));
    assert!(detail(r#"[{"ok": 1}, {"k\u0000": 1}]"#).contains("「[1]（項目名）」"));
    assert!(
        decode_json::<Value>(br#"{"a": "\\u0000"}"#).is_ok(),
        "an escaped backslash is not NUL"
    );
    match decode_json::<Vec<u8>>(br#"[1, "x"]"#) {
        Err(yorube::AppError::Validation(errs)) => {
            assert!(errs[0].message.contains("[1]"), "{:?}", errs[0]);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        decode_json::<Value>(b"{"),
        Err(yorube::AppError::BadRequest(_))
    ));
}
