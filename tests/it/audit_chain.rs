use yorube::audit::{self, Verdict};
use yorube::db::Engine;

use crate::helpers::TestApp;

async fn chain_verifies_and_detects_tampering(app: TestApp) {
    // Some activity: sign-ins, a failure, a user created.
    let admin = app.token("tenant_admin@demo-city").await;
    let _ = app.token("auditor@demo-pref").await;
    let _ = app
        .api_post(&admin, "/api/v1/users", serde_json::json!({"login": "sw2", "display_name": "森 陽子", "role": "support_worker", "password": "kodomo-2026-x"}))
        .await;
    let n = app.count("SELECT COUNT(*) FROM audit_log").await;
    assert!(n >= 5);
    assert_eq!(
        audit::verify(&app.db).await.unwrap(),
        Verdict::Intact { entries: n }
    );

    // The log is append-only in the database itself.
    assert!(
        sqlx::query("UPDATE audit_log SET detail = 'x' WHERE seq = 2")
            .execute(&app.db.pool)
            .await
            .is_err()
    );
    assert!(sqlx::query("DELETE FROM audit_log WHERE seq = 2")
        .execute(&app.db.pool)
        .await
        .is_err());

    // Someone with database access removes the guard and edits entry 3.
    match app.engine {
        Engine::Sqlite => sqlx::query("DROP TRIGGER audit_log_no_update")
            .execute(&app.db.pool)
            .await
            .unwrap(),
        Engine::Postgres => sqlx::query("DROP TRIGGER audit_log_no_update ON audit_log")
            .execute(&app.db.pool)
            .await
            .unwrap(),
    };
    sqlx::query("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 3")
        .execute(&app.db.pool)
        .await
        .unwrap();
    match audit::verify(&app.db).await.unwrap() {
        Verdict::Broken { seq, reason } => {
            assert_eq!(seq, 3);
            assert!(reason.contains("改ざん"));
        }
        v => panic!("tampering not detected: {v:?}"),
    }
    // The CLI says so and exits non-zero.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_yorube"))
        .args(["audit", "verify"])
        .args(&app.db_args)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("記録番号 3"), "{err}");
}
dual!(chain_verifies_and_detects_tampering);

async fn rewriting_a_hash_breaks_the_next_link(app: TestApp) {
    let _ = app.token("nurse@demo-city").await;
    let _ = app.token("nurse@demo-pref").await;
    match app.engine {
        Engine::Sqlite => sqlx::query("DROP TRIGGER audit_log_no_update")
            .execute(&app.db.pool)
            .await
            .unwrap(),
        Engine::Postgres => sqlx::query("DROP TRIGGER audit_log_no_update ON audit_log")
            .execute(&app.db.pool)
            .await
            .unwrap(),
    };
    // Re-hashing entry 2 after editing it hides the edit in entry 2 but not in entry 3.
    sqlx::query("UPDATE audit_log SET hash = 'ffff' WHERE seq = 2")
        .execute(&app.db.pool)
        .await
        .unwrap();
    match audit::verify(&app.db).await.unwrap() {
        Verdict::Broken { seq, .. } => assert_eq!(seq, 2),
        v => panic!("{v:?}"),
    }
}
dual!(rewriting_a_hash_breaks_the_next_link);

async fn deleting_the_newest_entry_is_detected(app: TestApp) {
    let _ = app.token("nurse@demo-city").await;
    let n = app.count("SELECT COUNT(*) FROM audit_log").await;
    match app.engine {
        Engine::Sqlite => sqlx::query("DROP TRIGGER audit_log_no_delete")
            .execute(&app.db.pool)
            .await
            .unwrap(),
        Engine::Postgres => sqlx::query("DROP TRIGGER audit_log_no_update ON audit_log")
            .execute(&app.db.pool)
            .await
            .unwrap(),
    };
    sqlx::query(&format!("DELETE FROM audit_log WHERE seq = {n}"))
        .execute(&app.db.pool)
        .await
        .unwrap();
    assert!(matches!(
        audit::verify(&app.db).await.unwrap(),
        Verdict::Broken { .. }
    ));
}
dual!(deleting_the_newest_entry_is_detected);

async fn concurrent_appends_keep_one_chain(app: TestApp) {
    let mut handles = vec![];
    for i in 0..8 {
        let url = app.url.clone();
        handles.push(tokio::spawn(async move {
            for _ in 0..3 {
                let res = crate::helpers::client()
                    .post(format!("{url}/api/v1/auth/token"))
                    .json(&serde_json::json!({"login": format!("nobody{i}@demo-city"), "password": "x"}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 401);
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    let n = app.count("SELECT COUNT(*) FROM audit_log").await;
    assert_eq!(
        audit::verify(&app.db).await.unwrap(),
        Verdict::Intact { entries: n }
    );
}
dual!(concurrent_appends_keep_one_chain);
