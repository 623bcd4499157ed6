use crate::helpers::{client, csrf_of, TestApp, PW};

async fn sign_in_home_sign_out(app: TestApp) {
    let c = client();
    // Not signed in: sent to the sign-in page, remembering where to go.
    let res = c.get(format!("{}/users", app.url)).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/login?next=%2Fusers");
    let csrf_cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|v| v.starts_with("yorube_csrf="))
        .expect("csrf cookie");
    assert!(csrf_cookie.contains("HttpOnly") && csrf_cookie.contains("SameSite=Lax"));
    let html = c
        .get(format!("{}/login", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<html lang=\"ja\">"));
    assert!(html.contains("本文へ移動"), "skip link");
    let csrf = csrf_of(&c, &format!("{}/login", app.url)).await;
    let res = c
        .post(format!("{}/login", app.url))
        .form(&[
            ("login", "support_worker@demo-city"),
            ("password", PW),
            ("_csrf", &csrf),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|v| v.starts_with("yorube_session="))
        .expect("session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http: no Secure flag");
    let home = c
        .get(format!("{}/", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(home.contains("田中 健一"));
    assert!(home.contains("デモ市"));
    assert!(home.contains("自立支援員"));
    assert!(home.contains("令和"), "the date in 和暦");
    assert!(
        !home.contains("href=\"/users\""),
        "the navigation lists only what this role can use"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.sign_in'")
            .await,
        1
    );
    // Sign out.
    let csrf = csrf_of(&c, &format!("{}/", app.url)).await;
    let res = c
        .post(format!("{}/logout", app.url))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/login?bye=1");
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.sign_out'")
            .await,
        1
    );
    let res = c.get(format!("{}/", app.url)).send().await.unwrap();
    assert_eq!(res.status(), 303, "signed out");
}
dual!(sign_in_home_sign_out);

async fn wrong_password_shows_japanese_error_and_creates_no_session(app: TestApp) {
    let c = client();
    let csrf = csrf_of(&c, &format!("{}/login", app.url)).await;
    let res = c
        .post(format!("{}/login", app.url))
        .form(&[
            ("login", "nurse@demo-city"),
            ("password", "nope-nope-nope"),
            ("_csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let html = res.text().await.unwrap();
    assert!(html.contains("ログインIDまたはパスワードが正しくありません。"));
    assert!(
        html.contains("value=\"nurse@demo-city\""),
        "the login is kept"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.sign_in_failed'")
            .await,
        1
    );
}
dual!(wrong_password_shows_japanese_error_and_creates_no_session);

async fn forms_without_csrf_token_are_refused(app: TestApp) {
    let c = client();
    let _ = c.get(format!("{}/login", app.url)).send().await.unwrap();
    let res = c
        .post(format!("{}/login", app.url))
        .form(&[("login", "nurse@demo-city"), ("password", PW)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let html = res.text().await.unwrap();
    assert!(html.contains("フォームの有効期限が切れたか"));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM sessions").await,
        0,
        "nothing written"
    );
    // Signed in, a state change with a wrong token is refused too and changes nothing.
    let admin = app.browser_login("tenant_admin@demo-city").await;
    let before = app.count("SELECT COUNT(*) FROM users").await;
    let res = admin
        .post(format!("{}/users", app.url))
        .form(&[
            ("login", "x1"),
            ("display_name", "x"),
            ("role", "nurse"),
            ("password", "kodomo-2026-x"),
            ("_csrf", "0000"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, before);
    // The pre-sign-in token is not accepted once signed in (the session has its own).
    let res = admin
        .post(format!("{}/users", app.url))
        .form(&[
            ("login", "x1"),
            ("display_name", "x"),
            ("role", "nurse"),
            ("password", "kodomo-2026-x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    // With the page's token it works.
    let csrf = csrf_of(&admin, &format!("{}/users/new", app.url)).await;
    let res = admin
        .post(format!("{}/users", app.url))
        .form(&[
            ("login", "x1"),
            ("display_name", "山口 葵"),
            ("role", "nurse"),
            ("password", "kodomo-2026-x"),
            ("_csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, before + 1);
}
dual!(forms_without_csrf_token_are_refused);

async fn idle_session_expires(app: TestApp) {
    let c = app.browser_login("nurse@demo-city").await;
    assert_eq!(
        c.get(format!("{}/", app.url))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    sqlx::query("UPDATE sessions SET expires_at = '2000-01-01T00:00:00.000000Z'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    // A server remembers a session it has found for 2 s (a direct edit of the table is
    // like another process's change); the idle limit itself is minutes, so forget now.
    yorube::auth::session::forget_all();
    let res = c.get(format!("{}/", app.url)).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/login?next=%2F&expired=1");
    let html = c
        .get(format!("{}/login?expired=1", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("一定時間操作がなかったため"));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM sessions").await,
        0,
        "the expired session is removed"
    );
}
dual!(idle_session_expires);

async fn cookies_are_secure_behind_https(app: TestApp) {
    let c = client();
    let csrf = csrf_of(&c, &format!("{}/login", app.url)).await;
    let res = c
        .post(format!("{}/login", app.url))
        .header("x-forwarded-proto", "https")
        .form(&[
            ("login", "nurse@demo-city"),
            ("password", PW),
            ("_csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|v| v.starts_with("yorube_session="))
        .unwrap();
    assert!(cookie.contains("Secure"), "{cookie}");
}
dual!(cookies_are_secure_behind_https);

async fn pages_refuse_roles_and_hide_errors(app: TestApp) {
    let nurse = app.browser_login("nurse@demo-city").await;
    for path in ["/users", "/users/new", "/audit", "/tenants"] {
        let res = nurse
            .get(format!("{}{path}", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "{path}");
        let html = res.text().await.unwrap();
        assert!(html.contains("権限がありません"), "{path}");
    }
    let res = nurse
        .get(format!("{}/no/such/page", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let html = res.text().await.unwrap();
    assert!(html.contains("見つかりません") && html.contains("lang=\"ja\""));
    // Security headers: a strict CSP without unsafe-inline.
    let res = nurse.get(format!("{}/", app.url)).send().await.unwrap();
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
    let html = res.text().await.unwrap();
    assert!(
        !html.contains("style=\"") && !html.contains("<script"),
        "no inline style or script"
    );
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no outside URL in the page"
    );
    let auditor = app.browser_login("auditor@demo-city").await;
    let html = auditor
        .get(format!("{}/audit", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("ログイン"), "auditor reads the audit log");
    let html = auditor
        .get(format!("{}/users", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("利用者を登録"), "auditor is read only");
}
dual!(pages_refuse_roles_and_hide_errors);

/// Beyond `max_in_flight` requests at once the server answers 429 at once, with a
/// Japanese message and Retry-After, instead of queueing them.
async fn an_overload_is_refused_at_once(app: crate::helpers::TestApp) {
    let state = yorube::app::AppState::new(
        app.db.clone(),
        yorube::app::Config {
            max_in_flight: 1,
            ..Default::default()
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, yorube::app::router(state)).await });
    let t = app.token("nurse@demo-city").await;
    let c = crate::helpers::client();
    let mut tasks = vec![];
    for _ in 0..24 {
        let (c, url, t) = (c.clone(), url.clone(), t.clone());
        tasks.push(tokio::spawn(async move {
            let r = c
                .get(format!("{url}/api/v1/children"))
                .bearer_auth(&t)
                .send()
                .await
                .unwrap();
            let s = r.status().as_u16();
            let retry = r.headers().get("retry-after").is_some();
            (s, retry, r.text().await.unwrap_or_default())
        }));
    }
    let mut shed = 0;
    for t in tasks {
        let (s, retry, body) = t.await.unwrap();
        match s {
            200 => {}
            429 => {
                shed += 1;
                assert!(retry && body.contains("混み合っています"), "{body}");
            }
            other => panic!("{other}: {body}"),
        }
    }
    assert!(
        shed > 0,
        "24 requests at once with room for one: some are refused"
    );
}
dual!(an_overload_is_refused_at_once);
