use std::process::Command;

use crate::helpers::TestApp;

fn yorube(app: &TestApp, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_yorube"))
        .args(args)
        .args(&app.db_args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn user_commands_create_reset_and_disable(app: TestApp) {
    let (ok, out, err) = yorube(
        &app,
        &[
            "user",
            "create",
            "--login",
            "nurse3",
            "--name",
            "石井 真理",
            "--role",
            "nurse",
            "--tenant",
            "demo-city",
            "--password",
            "kodomo-2026-x",
        ],
    );
    assert!(ok, "{err}");
    assert!(out.contains("nurse3@demo-city"));
    assert!(!app
        .token_with("nurse3@demo-city", "kodomo-2026-x")
        .await
        .is_empty());
    let (ok, _, err) = yorube(
        &app,
        &[
            "user",
            "create",
            "--login",
            "x",
            "--name",
            "x",
            "--role",
            "nurse",
            "--tenant",
            "no-such",
            "--password",
            "kodomo-2026-x",
        ],
    );
    assert!(!ok);
    assert!(
        err.contains("実施主体「no-such」は登録されていません"),
        "{err}"
    );
    let (ok, _, err) = yorube(
        &app,
        &[
            "user",
            "create",
            "--login",
            "y",
            "--name",
            "y",
            "--role",
            "chief",
            "--tenant",
            "demo-city",
            "--password",
            "kodomo-2026-x",
        ],
    );
    assert!(!ok);
    assert!(err.contains("役割"), "{err}");
    let (ok, out, _) = yorube(
        &app,
        &["user", "reset-password", "--login", "nurse3@demo-city"],
    );
    assert!(ok);
    let new_pw = out
        .lines()
        .find_map(|l| l.strip_prefix("新しいパスワード: "))
        .unwrap()
        .trim()
        .to_string();
    let res = crate::helpers::client()
        .post(format!("{}/api/v1/auth/token", app.url))
        .json(&serde_json::json!({"login": "nurse3@demo-city", "password": new_pw}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let (ok, _, _) = yorube(&app, &["user", "disable", "--login", "nurse3@demo-city"]);
    assert!(ok);
    let (ok, _, err) = yorube(&app, &["user", "disable", "--login", "ghost@demo-city"]);
    assert!(!ok && err.contains("登録されていません"), "{err}");
    let (ok, out, _) = yorube(&app, &["audit", "verify"]);
    assert!(ok);
    assert!(out.contains("正常"));
    assert!(
        app.count(
            "SELECT COUNT(*) FROM audit_log WHERE actor = 'system' AND action = 'user.disable'"
        )
        .await
            == 1
    );
}
dual!(user_commands_create_reset_and_disable);

async fn demo_resets_and_tenant_create(app: TestApp) {
    let (ok, out, err) = yorube(&app, &["demo", "--password", "another-Passw0rd"]);
    assert!(ok, "{err}");
    assert!(out.contains("nurse@demo-city") && out.contains("sysadmin"));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users").await,
        13,
        "reset, not doubled"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM tenants").await, 2);
    let (ok, out, _) = yorube(&app, &["demo"]);
    assert!(ok);
    assert!(
        out.contains("パスワード（全員共通）: "),
        "a generated password is printed"
    );
    let (ok, out, err) = yorube(
        &app,
        &[
            "tenant",
            "create",
            "--code",
            "mito-city",
            "--name",
            "水戸市",
            "--kind",
            "中核市",
        ],
    );
    assert!(ok, "{err}");
    assert!(out.contains("水戸市"));
    let (ok, _, err) = yorube(
        &app,
        &[
            "tenant",
            "create",
            "--code",
            "mito-city",
            "--name",
            "水戸市",
            "--kind",
            "中核市",
        ],
    );
    assert!(!ok && err.contains("既に使われています"), "{err}");
}
dual!(demo_resets_and_tenant_create);
