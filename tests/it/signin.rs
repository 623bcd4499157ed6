//! Sign-in that withstands attack (issue 17, item 1): each failure the review found, shown
//! fixed on both engines.

use crate::helpers::{client, csrf_of, TestApp, PW};
use yorube::auth::session::{MAX_FAILURES, MSG_INVALID};

async fn token_attempt(app: &TestApp, login: &str, password: &str) -> (u16, serde_json::Value) {
    let res = client()
        .post(format!("{}/api/v1/auth/token", app.url))
        .json(&serde_json::json!({"login": login, "password": password}))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(serde_json::Value::Null))
}

async fn throttle_count(app: &TestApp, key: &str, col: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(&format!("SELECT {col} FROM login_throttle WHERE key = $1"))
        .bind(key)
        .fetch_optional(&app.db.pool)
        .await
        .unwrap()
        .unwrap_or(0)
}

/// Lets the wait of every slowed key pass (as if the clock had moved on).
async fn let_wait_pass(app: &TestApp) {
    sqlx::query("UPDATE login_throttle SET next_ms = 0 WHERE next_ms IS NOT NULL")
        .execute(&app.db.pool)
        .await
        .unwrap();
}

async fn parallel_wrong_passwords_are_all_counted_and_at_most_the_limit_checked(app: TestApp) {
    let mut tasks = vec![];
    for i in 0..40 {
        let url = format!("{}/api/v1/auth/token", app.url);
        tasks.push(tokio::spawn(async move {
            let res = client()
                .post(url)
                .json(&serde_json::json!({"login": "nurse@demo-city", "password": format!("wrong-password-{i}")}))
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            let v: serde_json::Value = res.json().await.unwrap();
            (status, v["detail"].as_str().unwrap_or("").to_string())
        }));
    }
    let mut checked = 0;
    let mut slowed = 0;
    for t in tasks {
        let (status, detail) = t.await.unwrap();
        assert!(status == 401 || status == 429, "{status} {detail}");
        if detail == MSG_INVALID {
            checked += 1;
        } else if status == 401 {
            assert!(detail.contains("ロック"), "{detail}");
            slowed += 1;
        }
    }
    assert_eq!(
        throttle_count(&app, "account:nurse@demo-city", "failures").await,
        40,
        "every attempt is counted"
    );
    assert!(
        checked <= MAX_FAILURES,
        "{checked} passwords checked, the limit is {MAX_FAILURES}"
    );
    assert!(slowed >= 40 - MAX_FAILURES, "{slowed} refused as slowed");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.sign_in_failed'")
            .await,
        checked,
        "each checked failure is audited"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.sign_in_throttled'")
            .await,
        1,
        "the refusals of the slowed login are audited once"
    );
}
dual!(parallel_wrong_passwords_are_all_counted_and_at_most_the_limit_checked);

async fn a_slowed_account_is_not_locked_and_the_right_password_works_after_the_wait(app: TestApp) {
    for _ in 0..MAX_FAILURES {
        let (s, v) = token_attempt(&app, "partner@demo-city", "not-the-password").await;
        assert_eq!((s, v["detail"].as_str().unwrap()), (401, MSG_INVALID));
    }
    // Slowed: even the right password waits (the check is not made at all).
    let (s, v) = token_attempt(&app, "partner@demo-city", PW).await;
    assert_eq!(s, 401);
    let slowed_msg = v["detail"].as_str().unwrap().to_string();
    assert!(slowed_msg.contains("秒ほど待って"), "{slowed_msg}");
    // The wait is short (30 s), not 15 minutes, and it passes.
    let next = throttle_count(&app, "account:partner@demo-city", "next_ms").await;
    let wait = next - chrono::Utc::now().timestamp_millis();
    assert!(wait > 0 && wait <= 30_000, "{wait} ms");
    let_wait_pass(&app).await;
    let (s, _) = token_attempt(&app, "partner@demo-city", PW).await;
    assert_eq!(s, 200, "the user gets in once the wait has passed");
    assert_eq!(
        throttle_count(&app, "account:partner@demo-city", "failures").await,
        0,
        "a sign-in starts the login over"
    );
    // An attacker who keeps guessing only makes the waits grow, up to 5 minutes.
    for _ in 0..(MAX_FAILURES + 8) {
        let_wait_pass(&app).await;
        token_attempt(&app, "partner@demo-city", "not-the-password").await;
    }
    let next = throttle_count(&app, "account:partner@demo-city", "next_ms").await;
    let wait = next - chrono::Utc::now().timestamp_millis();
    assert!(
        wait > 60_000 && wait <= yorube::auth::throttle::MAX_WAIT_MS,
        "{wait} ms"
    );
    let_wait_pass(&app).await;
    let (s, _) = token_attempt(&app, "partner@demo-city", PW).await;
    assert_eq!(s, 200, "still no lock-out");
}
dual!(a_slowed_account_is_not_locked_and_the_right_password_works_after_the_wait);

async fn no_message_tells_whether_an_account_exists_or_is_disabled(app: TestApp) {
    // Unknown and known logins are slowed alike, with the same words.
    let mut msgs = vec![];
    for login in ["nurse@demo-city", "nobody-here@demo-city"] {
        for _ in 0..MAX_FAILURES {
            let (s, v) = token_attempt(&app, login, "not-the-password").await;
            assert_eq!((s, v["detail"].as_str().unwrap()), (401, MSG_INVALID));
        }
        let (s, v) = token_attempt(&app, login, "not-the-password").await;
        assert_eq!(s, 401);
        msgs.push(v["detail"].as_str().unwrap().to_string());
    }
    assert_eq!(
        msgs[0], msgs[1],
        "the wait reads the same for an unknown login"
    );
    assert!(!msgs[0].contains("このアカウント"), "{}", msgs[0]);
    // A disabled account: the same message with the right or a wrong password.
    let ctx = yorube::auth::Ctx::system();
    let id = sqlx::query_scalar::<_, String>(
        "SELECT id FROM users WHERE login = 'support_worker@demo-city'",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    yorube::tenants::set_disabled(&app.db, &ctx, &id, true)
        .await
        .unwrap();
    for pw in [PW, "not-the-password"] {
        let (s, v) = token_attempt(&app, "support_worker@demo-city", pw).await;
        assert_eq!(
            (s, v["detail"].as_str().unwrap()),
            (401, MSG_INVALID),
            "{pw}"
        );
    }
    let html = {
        let c = client();
        let csrf = csrf_of(&c, &format!("{}/login", app.url)).await;
        c.post(format!("{}/login", app.url))
            .form(&[
                ("login", "support_worker@demo-city"),
                ("password", PW),
                ("_csrf", &csrf),
            ])
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    assert!(
        html.contains(MSG_INVALID) && !html.contains("無効"),
        "the page says the same"
    );
}
dual!(no_message_tells_whether_an_account_exists_or_is_disabled);

async fn many_addresses_cannot_fill_the_log_through_a_slowed_login(app: TestApp) {
    for _ in 0..(MAX_FAILURES + 30) {
        token_attempt(&app, "auditor@demo-city", "not-the-password").await;
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.sign_in_failed'")
            .await,
        MAX_FAILURES
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.sign_in_throttled'")
            .await,
        1,
        "one row for the key and window, not one per refusal"
    );
    // The address is slowed too once many logins fail from it.
    let limit = yorube::auth::throttle::ADDRESS_LIMIT;
    for i in 0..limit {
        token_attempt(&app, &format!("spray{i}@demo-city"), "not-the-password").await;
    }
    let (s, v) = token_attempt(&app, "nurse@demo-city", PW).await;
    assert_eq!(s, 401, "{v}");
    assert!(v["detail"].as_str().unwrap().contains("ロック"));
    assert!(
        throttle_count(&app, "addr:unknown", "failures").await >= limit,
        "counted per address"
    );
}
dual!(many_addresses_cannot_fill_the_log_through_a_slowed_login);

async fn a_full_verifier_answers_429_at_once(app: TestApp) {
    let held = app.db.ext::<yorube::auth::password::Verifier>().hold_all();
    let t = std::time::Instant::now();
    let res = client()
        .post(format!("{}/api/v1/auth/token", app.url))
        .json(&serde_json::json!({"login": "nurse@demo-city", "password": PW}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    assert_eq!(res.headers()["retry-after"], "1");
    let v: serde_json::Value = res.json().await.unwrap();
    assert!(
        v["detail"].as_str().unwrap().contains("混み合っています"),
        "{v}"
    );
    assert!(t.elapsed() < std::time::Duration::from_secs(2), "at once");
    // The page says it too, in the form.
    let c = client();
    let csrf = csrf_of(&c, &format!("{}/login", app.url)).await;
    let res = c
        .post(format!("{}/login", app.url))
        .form(&[
            ("login", "nurse@demo-city"),
            ("password", PW),
            ("_csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    assert!(res.text().await.unwrap().contains("混み合っています"));
    drop(held);
    let (s, _) = token_attempt(&app, "nurse@demo-city", PW).await;
    assert_eq!(s, 200);
}
dual!(a_full_verifier_answers_429_at_once);

async fn big_bodies_are_refused_before_they_are_read(app: TestApp) {
    let c = client();
    let csrf = csrf_of(&c, &format!("{}/login", app.url)).await;
    // A 19 MB sign-in: refused from its Content-Length, before CSRF or session work
    // and before a byte of it is sent (the answer comes with only the headers sent).
    assert_eq!(declared_post(&app, "/login", 19 * 1024 * 1024).await, 413);
    assert_eq!(
        declared_post(&app, "/api/v1/auth/token", 19 * 1024 * 1024).await,
        413
    );
    // Without a Content-Length (chunked), it is cut off at the small limit: the server
    // answers 413 while the client is still sending.
    assert_eq!(chunked_post(&app, "/login", 40).await, 413);
    // The token endpoint too.
    let res = client()
        .post(format!("{}/api/v1/auth/token", app.url))
        .header("content-type", "application/json")
        .body(format!(
            r#"{{"login":"nurse@demo-city","password":"{}"}}"#,
            "a".repeat(200 * 1024)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    let v: serde_json::Value = res.json().await.unwrap();
    assert_eq!(v["code"], "too_large");
    // A form of normal size still signs in.
    let res = c
        .post(format!("{}/login", app.url))
        .form(&[
            ("login", "nurse@demo-city"),
            ("password", PW),
            ("_csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
}
dual!(big_bodies_are_refused_before_they_are_read);

/// Sends only the headers of a POST that declares `length` bytes, and returns the status
/// the server answers with without waiting for the body.
async fn declared_post(app: &TestApp, path: &str, length: usize) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.url.trim_start_matches("http://").to_string();
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {length}\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 256];
    let n = tokio::time::timeout(std::time::Duration::from_secs(10), s.read(&mut buf))
        .await
        .expect("answered before the body was sent")
        .unwrap_or(0);
    let text = String::from_utf8_lossy(&buf[..n]).to_string();
    text.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

/// POSTs `chunks` × 64 KB of form data with Transfer-Encoding: chunked over a raw
/// connection and returns the status the server answers with.
async fn chunked_post(app: &TestApp, path: &str, chunks: usize) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.url.trim_start_matches("http://").to_string();
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![b'a'; 64 * 1024];
    for _ in 0..chunks {
        let mut frame = format!("{:x}\r\n", chunk.len()).into_bytes();
        frame.extend_from_slice(&chunk);
        frame.extend_from_slice(b"\r\n");
        if s.write_all(&frame).await.is_err() {
            break; // the server has answered and closed
        }
    }
    let _ = s.write_all(b"0\r\n\r\n").await;
    let mut buf = vec![0u8; 256];
    let n = s.read(&mut buf).await.unwrap_or(0);
    let text = String::from_utf8_lossy(&buf[..n]).to_string();
    text.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

async fn the_csrf_token_is_never_taken_from_a_forms_query(app: TestApp) {
    let c = client();
    let csrf = csrf_of(&c, &format!("{}/login", app.url)).await;
    let res = c
        .post(format!("{}/login?_csrf={csrf}", app.url))
        .form(&[("login", "nurse@demo-city"), ("password", PW)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0);
    // In a header it is fine.
    let res = c
        .post(format!("{}/login", app.url))
        .header("x-csrf-token", &csrf)
        .form(&[("login", "nurse@demo-city"), ("password", PW)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
}
dual!(the_csrf_token_is_never_taken_from_a_forms_query);

async fn password_rules_apply_on_create_reset_and_change(app: TestApp) {
    let admin = app.token("tenant_admin@demo-city").await;
    for (pw, why) in [
        ("password1234", "よく使われている"),
        ("qwertyuiopas", "キーボード"),
        ("            ", "空白"),
        ("\u{200B}\u{200B}\u{200B}\u{200B}\u{200B}\u{200B}\u{200B}\u{200B}\u{200B}\u{200B}\u{200B}\u{200B}", "見えない"),
        ("newbie@demo-city", "ログインID"),
        ("password12", "12文字"),
    ] {
        let (s, v) = app
            .api_post(
                &admin,
                "/api/v1/users",
                serde_json::json!({"login": "newbie", "display_name": "新人 一郎", "role": "nurse", "password": pw}),
            )
            .await;
        assert_eq!(s, 422, "{pw:?}");
        assert!(v["errors"][0]["message"].as_str().unwrap().contains(why), "{pw:?}: {v}");
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE login = 'newbie@demo-city'")
            .await,
        0
    );
    // Reset on the page: the same rules.
    let c = app.browser_login("tenant_admin@demo-city").await;
    let id =
        sqlx::query_scalar::<_, String>("SELECT id FROM users WHERE login = 'nurse@demo-city'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    let csrf = csrf_of(&c, &format!("{}/users/{id}", app.url)).await;
    let res = c
        .post(format!("{}/users/{id}/password", app.url))
        .form(&[("password", "nurse@demo-city-1"), ("_csrf", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("ログインID"));
    // Change by oneself: the same rules.
    let n = app.browser_login("nurse@demo-city").await;
    let csrf = csrf_of(&n, &format!("{}/account/password", app.url)).await;
    let res = n
        .post(format!("{}/account/password", app.url))
        .form(&[
            ("current", PW),
            ("password", "Password1234!"),
            ("confirm", "Password1234!"),
            ("_csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("よく使われている"));
}
dual!(password_rules_apply_on_create_reset_and_change);

async fn an_admin_reset_forces_a_change_and_the_user_is_told(app: TestApp) {
    let nurse_token = app.token("nurse@demo-city").await;
    let c = app.browser_login("tenant_admin@demo-city").await;
    let id =
        sqlx::query_scalar::<_, String>("SELECT id FROM users WHERE login = 'nurse@demo-city'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    let csrf = csrf_of(&c, &format!("{}/users/{id}", app.url)).await;
    let temp = "kari-Pass-2026-x";
    let res = c
        .post(format!("{}/users/{id}/password", app.url))
        .form(&[("password", temp), ("_csrf", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let (s, _) = app.api_get(&nurse_token, "/api/v1/me").await;
    assert_eq!(s, 401, "the reset revoked the user's tokens");
    // The API gives no token until the user has chosen a password.
    let (s, v) = token_attempt(&app, "nurse@demo-city", temp).await;
    assert_eq!(s, 403, "{v}");
    // Signing in leads to the change page, and every page sends the user back there.
    let n = client();
    let csrf = csrf_of(&n, &format!("{}/login", app.url)).await;
    let res = n
        .post(format!("{}/login", app.url))
        .form(&[
            ("login", "nurse@demo-city"),
            ("password", temp),
            ("_csrf", &csrf),
            ("next", "/children"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/account/password?required=1");
    for path in ["/", "/children", "/account/sessions"] {
        let res = n.get(format!("{}{path}", app.url)).send().await.unwrap();
        assert_eq!(res.status(), 303, "{path}");
        assert_eq!(
            res.headers()["location"],
            "/account/password?required=1",
            "{path}"
        );
    }
    let html = n
        .get(format!("{}/account/password?required=1", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("管理者がパスワードを再設定しました"));
    let csrf = csrf_of(&n, &format!("{}/account/password", app.url)).await;
    // Wrong current password, or a confirmation that differs: refused, nothing changed.
    for (cur, new, confirm, msg) in [
        (
            "wrong-password-x",
            "atarashii-Pass-2026",
            "atarashii-Pass-2026",
            "今のパスワード",
        ),
        (
            temp,
            "atarashii-Pass-2026",
            "atarashii-Pass-2027",
            "一致しません",
        ),
        (temp, temp, temp, "同じパスワード"),
    ] {
        let res = n
            .post(format!("{}/account/password", app.url))
            .form(&[
                ("current", cur),
                ("password", new),
                ("confirm", confirm),
                ("_csrf", &csrf),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422, "{msg}");
        assert!(res.text().await.unwrap().contains(msg), "{msg}");
    }
    let new_pw = "atarashii-Pass-2026";
    let res = n
        .post(format!("{}/account/password", app.url))
        .form(&[
            ("current", temp),
            ("password", new_pw),
            ("confirm", new_pw),
            ("_csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    // Free again, and told twice: the reset and the change.
    let res = n.get(format!("{}/children", app.url)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let home = n
        .get(format!("{}/", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        home.contains("お知らせ 2件"),
        "the header shows the notices"
    );
    let page = n
        .get(format!("{}/account/sessions", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("パスワードが再設定されました") && page.contains("パスワードを変更しました")
    );
    let csrf = csrf_of(&n, &format!("{}/account/sessions", app.url)).await;
    let res = n
        .post(format!("{}/account/notices/read", app.url))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let home = n
        .get(format!("{}/", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!home.contains("お知らせ 2件") && home.contains("アカウント"));
    let t = app.token_with("nurse@demo-city", new_pw).await;
    assert_eq!(app.api_get(&t, "/api/v1/me").await.0, 200);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'user.change_password'")
            .await,
        1
    );
}
dual!(an_admin_reset_forces_a_change_and_the_user_is_told);

async fn changing_ones_password_ends_other_sessions_and_tokens(app: TestApp) {
    let other = app.browser_login("nurse@demo-city").await;
    let token = app.token("nurse@demo-city").await;
    let me = app.browser_login("nurse@demo-city").await;
    let csrf = csrf_of(&me, &format!("{}/account/password", app.url)).await;
    let new_pw = "atarashii-Pass-2026";
    let res = me
        .post(format!("{}/account/password", app.url))
        .form(&[
            ("current", PW),
            ("password", new_pw),
            ("confirm", new_pw),
            ("_csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        me.get(format!("{}/", app.url))
            .send()
            .await
            .unwrap()
            .status(),
        200,
        "this session goes on"
    );
    assert_eq!(
        other
            .get(format!("{}/", app.url))
            .send()
            .await
            .unwrap()
            .status(),
        303,
        "the other ended"
    );
    assert_eq!(
        app.api_get(&token, "/api/v1/me").await.0,
        401,
        "tokens revoked"
    );
    let (s, _) = token_attempt(&app, "nurse@demo-city", PW).await;
    assert_eq!(s, 401, "the old password is gone");
}
dual!(changing_ones_password_ends_other_sessions_and_tokens);

async fn sessions_are_listed_and_signed_out_everywhere(app: TestApp) {
    let a = app.browser_login("support_worker@demo-city").await;
    let b = app.browser_login("support_worker@demo-city").await;
    let token = app.token("support_worker@demo-city").await;
    let page = a
        .get(format!("{}/account/sessions", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(page.matches("<tr><td>").count(), 2, "two sessions listed");
    assert!(page.contains("（この端末）") && page.contains("すべての端末からログアウト"));
    let csrf = csrf_of(&a, &format!("{}/account/sessions", app.url)).await;
    let res = a
        .post(format!("{}/account/sessions/end-all", app.url))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    for c in [&a, &b] {
        assert_eq!(
            c.get(format!("{}/", app.url))
                .send()
                .await
                .unwrap()
                .status(),
            303
        );
    }
    assert_eq!(app.api_get(&token, "/api/v1/me").await.0, 401);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.sign_out_everywhere'")
            .await,
        1
    );
}
dual!(sessions_are_listed_and_signed_out_everywhere);

async fn read_tokens_cannot_write_and_tokens_expire_when_asked(app: TestApp) {
    let res = client()
        .post(format!("{}/api/v1/auth/token", app.url))
        .json(&serde_json::json!({"login": "tenant_admin@demo-city", "password": PW, "otp": crate::helpers::otp(), "scope": "read", "expires_in_days": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let v: serde_json::Value = res.json().await.unwrap();
    assert_eq!(v["scope"], "read");
    let exp = chrono::DateTime::parse_from_rfc3339(v["expires_at"].as_str().unwrap()).unwrap();
    let days = (exp.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_hours();
    assert!((23..=24).contains(&days), "{days} h");
    let read = v["token"].as_str().unwrap().to_string();
    assert_eq!(
        app.api_get(&read, "/api/v1/users").await.0,
        200,
        "reads work"
    );
    let (s, v) = app
        .api_post(
            &read,
            "/api/v1/users",
            serde_json::json!({"login": "x9", "display_name": "x", "role": "nurse", "password": "kodomo-2026-x"}),
        )
        .await;
    assert_eq!(s, 403, "{v}");
    assert!(v["detail"].as_str().unwrap().contains("読み取り専用"));
    let write = app.token("tenant_admin@demo-city").await;
    let (s, _) = app
        .api_post(
            &write,
            "/api/v1/users",
            serde_json::json!({"login": "x9", "display_name": "試験 九郎", "role": "nurse", "password": "kodomo-2026-x"}),
        )
        .await;
    assert_eq!(s, 201, "a read_write token (the default) writes");
    // A read token may revoke itself.
    let res = client()
        .delete(format!("{}/api/v1/auth/token", app.url))
        .bearer_auth(&read)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    // Bad scope or days: typed problems, no token.
    for body in [
        serde_json::json!({"login": "nurse@demo-city", "password": PW, "scope": "admin"}),
        serde_json::json!({"login": "nurse@demo-city", "password": PW, "expires_in_days": 365}),
    ] {
        let res = client()
            .post(format!("{}/api/v1/auth/token", app.url))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422, "{body}");
    }
}
dual!(read_tokens_cannot_write_and_tokens_expire_when_asked);
