//! W8 second factor: administrators sign in with a TOTP code (RFC 6238), a new
//! administrator is sent to set one up (QR code, confirmed by a code) before anything
//! else and gets no API token until then, recovery codes work once, a code observed
//! elsewhere cannot be replayed, and a tenant can require it of everyone.

use serde_json::{json, Value};

use crate::helpers::{client, csrf_of, otp, TestApp, PW, TOTP};

async fn token_status(app: &TestApp, body: Value) -> (u16, Value) {
    let res = client()
        .post(format!("{}/api/v1/auth/token", app.url))
        .json(&body)
        .send()
        .await
        .unwrap();
    let s = res.status().as_u16();
    (s, res.json().await.unwrap_or(Value::Null))
}

fn code_now(secret: &str) -> String {
    yorube::auth::totp::code_at(secret, chrono::Utc::now().timestamp() as u64).unwrap()
}

async fn post_login(
    app: &TestApp,
    login: &str,
    password: &str,
    otp: &str,
) -> (reqwest::Client, u16, String, String) {
    let c = client();
    let csrf = csrf_of(&c, &format!("{}/login", app.url)).await;
    let res = c
        .post(format!("{}/login", app.url))
        .form(&[
            ("login", login),
            ("password", password),
            ("otp", otp),
            ("_csrf", &csrf),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap();
    let s = res.status().as_u16();
    let to = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = res.text().await.unwrap_or_default();
    (c, s, to, body)
}

async fn administrators_need_a_second_factor(app: TestApp) {
    // Without a code, with a wrong one, with the right one.
    let (s, v) = token_status(
        &app,
        json!({"login": "tenant_admin@demo-city", "password": PW}),
    )
    .await;
    assert_eq!(s, 401, "{v}");
    assert!(v.to_string().contains("確認コード"), "{v}");
    let (s, v) = token_status(
        &app,
        json!({"login": "tenant_admin@demo-city", "password": PW, "otp": "000000"}),
    )
    .await;
    assert_eq!(s, 401, "{v}");
    assert!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.sign_in_failed' AND detail LIKE '%確認コード%'")
            .await
            >= 1
    );
    let (s, v) = token_status(
        &app,
        json!({"login": "tenant_admin@demo-city", "password": PW, "otp": otp()}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    // A wrong password is not told apart by the code: the one message.
    let (s, v) = token_status(
        &app,
        json!({"login": "tenant_admin@demo-city", "password": "wrong-Passw0rd-2026", "otp": otp()}),
    )
    .await;
    assert_eq!(s, 401);
    assert!(
        v.to_string()
            .contains("ログインIDまたはパスワードが正しくありません"),
        "{v}"
    );
    // A user without a second factor ignores the field.
    let (s, _) = token_status(
        &app,
        json!({"login": "nurse@demo-city", "password": PW, "otp": "garbage"}),
    )
    .await;
    assert_eq!(s, 200);
    // The browser: without the code, the form says so and keeps the login.
    let (_, s, _, body) = post_login(&app, "sysadmin", PW, "").await;
    assert_eq!(s, 401);
    assert!(
        body.contains("確認コード") && body.contains("value=\"sysadmin\""),
        "{body}"
    );
    let (_, s, to, _) = post_login(&app, "sysadmin", PW, &otp()).await;
    assert_eq!((s, to.as_str()), (303, "/"));

    // A code used from one address cannot be replayed from another.
    let id: String =
        sqlx::query_scalar("SELECT id FROM users WHERE login = 'tenant_admin@demo-city'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    // The next step's code (accepted one step early) has not been used by anyone yet.
    let now = chrono::Utc::now().timestamp() as u64;
    let code = yorube::auth::totp::code_at(TOTP, now + 30).unwrap();
    let f = yorube::auth::totp::factor(&app.db, &id).await.unwrap();
    assert!(
        yorube::auth::totp::check(&app.db, &id, &f, &code, "192.0.2.1")
            .await
            .unwrap()
    );
    let f = yorube::auth::totp::factor(&app.db, &id).await.unwrap();
    assert!(
        !yorube::auth::totp::check(&app.db, &id, &f, &code, "198.51.100.7")
            .await
            .unwrap(),
        "a replay from elsewhere"
    );
    assert!(
        yorube::auth::totp::check(&app.db, &id, &f, &code, "192.0.2.1")
            .await
            .unwrap(),
        "the same client again in the same step"
    );
    let older = yorube::auth::totp::code_at(TOTP, now.saturating_sub(30)).unwrap();
    let f = yorube::auth::totp::factor(&app.db, &id).await.unwrap();
    assert!(
        !yorube::auth::totp::check(&app.db, &id, &f, &older, "192.0.2.1")
            .await
            .unwrap(),
        "an older code after a newer one"
    );
}
dual!(administrators_need_a_second_factor);

async fn a_new_administrator_sets_it_up_first(app: TestApp) {
    let admin = app.token("tenant_admin@demo-city").await;
    let (s, u) = app
        .api_post(&admin, "/api/v1/users", json!({"login": "boss2", "display_name": "新任 管理者", "role": "tenant_admin", "password": "kodomo-2026-x-admin"}))
        .await;
    assert_eq!(s, 201, "{u}");
    let login = u["login"].as_str().unwrap().to_string();
    // No API token before the set-up.
    let (s, v) = token_status(
        &app,
        json!({"login": login, "password": "kodomo-2026-x-admin"}),
    )
    .await;
    assert_eq!(s, 403, "{v}");
    assert!(v.to_string().contains("2段階認証の設定が必要"), "{v}");
    // The browser is sent to the set-up, and every other page sends it back there.
    let (c, s, to, _) = post_login(&app, &login, "kodomo-2026-x-admin", "").await;
    assert_eq!((s, to.as_str()), (303, "/account/totp?required=1"));
    let res = c.get(format!("{}/children", app.url)).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/account/totp?required=1");
    let page = c
        .get(format!("{}/account/totp?required=1", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("<svg") && page.contains("QRコード"),
        "a QR code drawn here"
    );
    assert!(
        !page.contains("http://") || !page.contains("chart.googleapis"),
        "no outside service"
    );
    let secret = page
        .split("name=\"secret\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_string();
    assert!(yorube::auth::totp::parse_secret(&secret).is_some());
    let csrf = page
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_string();
    // A wrong code: a message, the same secret kept, nothing saved.
    let res = c
        .post(format!("{}/account/totp", app.url))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("secret", secret.as_str()),
            ("code", "123"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains("確認コードが正しくありません") && body.contains(&secret));
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM users WHERE login = '{login}' AND totp_secret IS NOT NULL"
        ))
        .await,
        0
    );
    let res = c
        .post(format!("{}/account/totp", app.url))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("secret", secret.as_str()),
            ("code", &code_now(&secret)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body = res.text().await.unwrap();
    assert!(body.contains("回復コード"), "{body}");
    let codes: Vec<String> = body
        .split("<li><code>")
        .skip(1)
        .filter_map(|r| r.split("</code>").next())
        .map(str::to_string)
        .collect();
    assert_eq!(codes.len(), 10, "{body}");
    assert!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.totp_enrol'")
            .await
            >= 1
    );
    // Now pages open, and the next sign-in needs a code; a recovery code works once.
    let res = c.get(format!("{}/children", app.url)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let (s, _) = token_status(
        &app,
        json!({"login": login, "password": "kodomo-2026-x-admin"}),
    )
    .await;
    assert_eq!(s, 401);
    let (s, v) = token_status(
        &app,
        json!({"login": login, "password": "kodomo-2026-x-admin", "otp": codes[0].to_uppercase()}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let (s, _) = token_status(
        &app,
        json!({"login": login, "password": "kodomo-2026-x-admin", "otp": codes[0]}),
    )
    .await;
    assert_eq!(s, 401, "a recovery code is used once");
    let (s, _) = token_status(
        &app,
        json!({"login": login, "password": "kodomo-2026-x-admin", "otp": code_now(&secret)}),
    )
    .await;
    assert_eq!(s, 200);
}
dual!(a_new_administrator_sets_it_up_first);

async fn a_tenant_can_require_it_of_everyone(app: TestApp) {
    let b = app.browser_login("tenant_admin@demo-city").await;
    let csrf = csrf_of(&b, &format!("{}/account/totp", app.url)).await;
    let res = b
        .post(format!("{}/account/totp/tenant", app.url))
        .form(&[("_csrf", csrf.as_str()), ("require", "all")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'tenant.require_totp'")
            .await
            >= 1
    );
    // A nurse of that tenant now has to set it up; another tenant's nurse does not.
    let (s, v) = token_status(&app, json!({"login": "nurse@demo-city", "password": PW})).await;
    assert_eq!(s, 403, "{v}");
    let (_, s, to, _) = post_login(&app, "nurse@demo-city", PW, "").await;
    assert_eq!((s, to.as_str()), (303, "/account/totp?required=1"));
    let (s, _) = token_status(&app, json!({"login": "nurse@demo-pref", "password": PW})).await;
    assert_eq!(s, 200);
    // A nurse cannot change the setting.
    let n = app.browser_login("nurse@demo-pref").await;
    let csrf = csrf_of(&n, &format!("{}/account/sessions", app.url)).await;
    let res = n
        .post(format!("{}/account/totp/tenant", app.url))
        .form(&[("_csrf", csrf.as_str()), ("require", "admins")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}
dual!(a_tenant_can_require_it_of_everyone);
