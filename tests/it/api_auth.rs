use crate::helpers::{client, TestApp, PW};

async fn healthz_names_the_engine(app: TestApp) {
    let v: serde_json::Value = client()
        .get(format!("{}/healthz", app.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["status"], "ok");
    assert_eq!(v["database"], app.engine.as_str());
}
dual!(healthz_names_the_engine);

async fn token_then_me_returns_login_role_tenant(app: TestApp) {
    let t = app.token("nurse@demo-city").await;
    assert!(t.starts_with("yb_"));
    let (s, me) = app.api_get(&t, "/api/v1/me").await;
    assert_eq!(s, 200);
    assert_eq!(me["login"], "nurse@demo-city");
    assert_eq!(me["role"], "nurse");
    assert_eq!(me["tenant"], "demo-city");
    assert_eq!(me["tenant_name"], "デモ市");
    // The token is stored hashed, never in clear.
    let clear = app
        .count(&format!(
            "SELECT COUNT(*) FROM api_tokens WHERE token_hash = '{t}'"
        ))
        .await;
    assert_eq!(clear, 0);
    // Logins are matched after NFKC and case folding.
    let res = client()
        .post(format!("{}/api/v1/auth/token", app.url))
        .json(&serde_json::json!({"login": "ＮＵＲＳＥ@demo-city", "password": PW}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}
dual!(token_then_me_returns_login_role_tenant);

async fn bad_credentials_get_typed_japanese_errors(app: TestApp) {
    let post = |body: String, ctype: &'static str| {
        let url = format!("{}/api/v1/auth/token", app.url);
        async move {
            client()
                .post(url)
                .header("content-type", ctype)
                .body(body)
                .send()
                .await
                .unwrap()
        }
    };
    for body in [
        r#"{"login":"nurse@demo-city","password":"wrong-password"}"#,
        r#"{"login":"nobody@demo-city","password":"wrong-password"}"#,
        r#"{"login":"nurse@no-such-tenant","password":"x"}"#,
    ] {
        let res = post(body.to_string(), "application/json").await;
        assert_eq!(res.status(), 401);
        assert_eq!(res.headers()["content-type"], "application/problem+json");
        let v: serde_json::Value = res.json().await.unwrap();
        assert_eq!(v["code"], "unauthorized");
        assert_eq!(
            v["detail"],
            "ログインIDまたはパスワードが正しくありません。"
        );
    }
    let res = post("{not json".into(), "application/json").await;
    assert_eq!(res.status(), 400);
    let v: serde_json::Value = res.json().await.unwrap();
    assert_eq!(v["code"], "bad_request");
    assert!(v["detail"].as_str().unwrap().contains("JSON"));
    let res = post(r#"{"login":"nurse@demo-city"}"#.into(), "application/json").await;
    assert_eq!(res.status(), 422);
    let res = post(r#"{"login":"a","password":"b"}"#.into(), "text/plain").await;
    assert_eq!(res.status(), 400);
    // Nothing but audit entries was written: no tokens.
    assert_eq!(app.count("SELECT COUNT(*) FROM api_tokens").await, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.sign_in_failed'")
            .await,
        3
    );
}
dual!(bad_credentials_get_typed_japanese_errors);

async fn missing_invalid_and_revoked_tokens_are_refused(app: TestApp) {
    let res = client()
        .get(format!("{}/api/v1/me", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let (s, v) = app.api_get("yb_0000", "/api/v1/me").await;
    assert_eq!(s, 401);
    assert_eq!(v["code"], "unauthorized");
    let t = app.token("auditor@demo-pref").await;
    let res = client()
        .delete(format!("{}/api/v1/auth/token", app.url))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let (s, _) = app.api_get(&t, "/api/v1/me").await;
    assert_eq!(s, 401, "a revoked token no longer works");
}
dual!(missing_invalid_and_revoked_tokens_are_refused);

async fn repeated_failures_lock_the_account(app: TestApp) {
    for _ in 0..yorube::auth::session::MAX_FAILURES {
        let res = client()
            .post(format!("{}/api/v1/auth/token", app.url))
            .json(
                &serde_json::json!({"login": "partner@demo-city", "password": "not-the-password"}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
    }
    let res = client()
        .post(format!("{}/api/v1/auth/token", app.url))
        .json(&serde_json::json!({"login": "partner@demo-city", "password": PW}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        401,
        "even the right password is refused while locked"
    );
    let v: serde_json::Value = res.json().await.unwrap();
    assert!(v["detail"].as_str().unwrap().contains("ロック"), "{v}");
}
dual!(repeated_failures_lock_the_account);

async fn unknown_api_route_is_problem_json(app: TestApp) {
    let t = app.token("nurse@demo-city").await;
    let (s, v) = app.api_get(&t, "/api/v1/no-such-thing").await;
    assert_eq!(s, 404);
    assert_eq!(v["code"], "not_found");
    assert_eq!(v["title"], "見つかりません");
}
dual!(unknown_api_route_is_problem_json);
