use yorube::audit::{self, checkpoint, Verdict};
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

// ---- The keyed chain and its checkpoints: each tampering of issue 17, reported. ----

/// What someone with full database access does first: remove the guards.
async fn drop_guards(app: &TestApp) {
    let stmts: &[&str] = match app.engine {
        Engine::Sqlite => &[
            "DROP TRIGGER IF EXISTS audit_log_no_update",
            "DROP TRIGGER IF EXISTS audit_log_no_delete",
            "DROP TRIGGER IF EXISTS audit_head_forward",
            "DROP TRIGGER IF EXISTS audit_head_no_delete",
            "DROP TRIGGER IF EXISTS audit_head_no_insert",
        ],
        Engine::Postgres => &[
            "DROP TRIGGER IF EXISTS audit_log_no_update ON audit_log",
            "DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log",
            "DROP TRIGGER IF EXISTS audit_head_forward ON audit_head",
            "DROP TRIGGER IF EXISTS audit_head_no_delete ON audit_head",
            "DROP TRIGGER IF EXISTS audit_head_no_truncate ON audit_head",
        ],
    };
    for s in stmts {
        sqlx::query(s).execute(&app.db.pool).await.unwrap();
    }
}

async fn activity(app: &TestApp, n: usize) {
    for i in 0..n {
        let login = if i % 2 == 0 {
            "nurse@demo-city"
        } else {
            "auditor@demo-pref"
        };
        let _ = app.token(login).await;
    }
}

async fn checkpoint_now(app: &TestApp) -> i64 {
    audit::checkpoint::write(&app.db, "cli")
        .await
        .unwrap()
        .expect("head moved")
        .seq
}

async fn head_seq(app: &TestApp) -> i64 {
    app.count("SELECT seq FROM audit_head WHERE id = 1").await
}

/// Moves the head back to `seq` (as an attacker hiding a deleted tail would).
async fn set_head(app: &TestApp, seq: i64) {
    let hash: String = if seq == 0 {
        audit::GENESIS.to_string()
    } else {
        sqlx::query_scalar("SELECT hash FROM audit_log WHERE seq = $1")
            .bind(seq)
            .fetch_one(&app.db.pool)
            .await
            .unwrap()
    };
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(seq)
        .bind(hash)
        .execute(&app.db.pool)
        .await
        .unwrap();
}

async fn broken(app: &TestApp) -> (i64, String) {
    match audit::verify(&app.db).await.unwrap() {
        Verdict::Broken { seq, reason } => (seq, reason),
        v => panic!("tampering not detected: {v:?}"),
    }
}

/// `yorube audit verify` fails and says `needle`.
fn cli_says(app: &TestApp, needle: &str) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_yorube"))
        .args(["audit", "verify"])
        .args(&app.db_args)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "verify passed: {err}");
    assert!(err.contains(needle), "{err}");
}

async fn the_keyed_chain_verifies_with_its_checkpoints(app: TestApp) {
    activity(&app, 3).await;
    let s = checkpoint_now(&app).await;
    activity(&app, 2).await;
    let n = head_seq(&app).await;
    assert!(n > s);
    assert_eq!(
        audit::verify(&app.db).await.unwrap(),
        Verdict::Intact { entries: n }
    );
    // Every entry since migration 0012 carries the key's id, and the head row's
    // guards refuse to move it back or to change the chain.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE key_id IS NULL")
            .await,
        0
    );
    for bad in [
        "UPDATE audit_head SET seq = seq - 1 WHERE id = 1",
        "UPDATE audit_head SET keyed_from = 999 WHERE id = 1",
        "UPDATE audit_head SET chain_id = 'other' WHERE id = 1",
        "DELETE FROM audit_head",
    ] {
        assert!(
            sqlx::query(bad).execute(&app.db.pool).await.is_err(),
            "{bad}"
        );
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_yorube"))
        .args(["audit", "verify"])
        .args(&app.db_args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("正常") && stdout.contains("チェックポイント 1 件と一致"),
        "{stdout}"
    );
}
dual!(the_keyed_chain_verifies_with_its_checkpoints);

async fn truncation_below_a_checkpoint_is_reported(app: TestApp) {
    activity(&app, 4).await;
    let s = checkpoint_now(&app).await;
    drop_guards(&app).await;
    // Delete the tail and move the head back: every remaining link still holds.
    sqlx::query("DELETE FROM audit_log WHERE seq > $1")
        .bind(s - 3)
        .execute(&app.db.pool)
        .await
        .unwrap();
    set_head(&app, s - 3).await;
    let (seq, reason) = broken(&app).await;
    assert_eq!(seq, s - 2);
    assert!(
        reason.contains("末尾が失われています") && reason.contains(&format!("{s} まで")),
        "{reason}"
    );
    cli_says(&app, "末尾が失われています");
}
dual!(truncation_below_a_checkpoint_is_reported);

async fn a_deleted_tail_is_reported(app: TestApp) {
    activity(&app, 2).await;
    let n = head_seq(&app).await;
    drop_guards(&app).await;
    sqlx::query("DELETE FROM audit_log WHERE seq > $1")
        .bind(n - 2)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let (seq, reason) = broken(&app).await;
    assert_eq!(seq, n - 1);
    assert!(reason.contains("末尾の記録が失われています"), "{reason}");
    cli_says(&app, "末尾の記録が失われています");
}
dual!(a_deleted_tail_is_reported);

async fn a_rehashed_chain_is_reported(app: TestApp) {
    activity(&app, 6).await;
    drop_guards(&app).await;
    // Remove one user's entries, renumber the rest and re-hash them all: without the
    // key only the plain SHA-256 can be computed.
    let rows = sqlx::query(
        "SELECT seq, at, tenant_id, actor_id, actor, action, entity_type, entity_id, detail, key_id FROM audit_log ORDER BY seq",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    use sqlx::Row;
    sqlx::query("DELETE FROM audit_log")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let mut prev = audit::GENESIS.to_string();
    let mut seq = 0i64;
    for r in rows {
        let e = audit::Entry {
            tenant_id: r.try_get("tenant_id").unwrap(),
            actor_id: r.try_get("actor_id").unwrap(),
            actor: r.try_get("actor").unwrap(),
            action: r.try_get("action").unwrap(),
            entity_type: r.try_get("entity_type").unwrap(),
            entity_id: r.try_get("entity_id").unwrap(),
            detail: r.try_get("detail").unwrap(),
        };
        if e.actor == "auditor@demo-pref" {
            continue;
        }
        seq += 1;
        let at: String = r.try_get("at").unwrap();
        let key_id: Option<String> = r.try_get("key_id").unwrap();
        let hash = audit::entry_hash(seq, &at, &e, &prev);
        sqlx::query(
            "INSERT INTO audit_log (seq, at, tenant_id, actor_id, actor, action, entity_type, entity_id, detail, prev_hash, hash, key_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(seq).bind(&at).bind(&e.tenant_id).bind(&e.actor_id).bind(&e.actor).bind(&e.action)
        .bind(&e.entity_type).bind(&e.entity_id).bind(&e.detail).bind(&prev).bind(&hash).bind(&key_id)
        .execute(&app.db.pool)
        .await
        .unwrap();
        prev = hash;
    }
    set_head(&app, seq).await;
    let (seq, reason) = broken(&app).await;
    assert_eq!(seq, 1, "the first re-hashed keyed entry");
    assert!(
        reason.contains("HMAC") && reason.contains("改ざん"),
        "{reason}"
    );
    cli_says(&app, "HMAC");
}
dual!(a_rehashed_chain_is_reported);

async fn a_row_deleted_in_the_middle_is_reported(app: TestApp) {
    activity(&app, 3).await;
    drop_guards(&app).await;
    sqlx::query("DELETE FROM audit_log WHERE seq = 4")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let (seq, reason) = broken(&app).await;
    assert_eq!(seq, 4);
    assert!(reason.contains("記録 4 が見つかりません"), "{reason}");
    cli_says(&app, "記録番号 4");
}
dual!(a_row_deleted_in_the_middle_is_reported);

async fn an_edited_actor_is_reported(app: TestApp) {
    activity(&app, 3).await;
    drop_guards(&app).await;
    sqlx::query("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 5")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let (seq, reason) = broken(&app).await;
    assert_eq!(seq, 5);
    assert!(reason.contains("HMAC"), "{reason}");
    cli_says(&app, "記録番号 5");
}
dual!(an_edited_actor_is_reported);

async fn a_forged_appended_row_is_reported(app: TestApp) {
    activity(&app, 2).await;
    drop_guards(&app).await;
    let n = head_seq(&app).await;
    let (prev, key_id): (String, String) =
        sqlx::query_as("SELECT hash, key_id FROM audit_log WHERE seq = $1")
            .bind(n)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    // A plausible row with the real key's id, its link made without the key.
    let e = audit::Entry::anonymous("tenant_admin@demo-city", None, "user.create", "user", "x");
    let at = "2026-01-01T00:00:00.000000Z";
    let forged = audit::entry_hash(n + 1, at, &e, &prev);
    sqlx::query(
        "INSERT INTO audit_log (seq, at, tenant_id, actor_id, actor, action, entity_type, entity_id, detail, prev_hash, hash, key_id) \
         VALUES ($1, $2, NULL, NULL, $3, $4, $5, $6, '', $7, $8, $9)",
    )
    .bind(n + 1).bind(at).bind(&e.actor).bind(&e.action).bind(&e.entity_type).bind(&e.entity_id)
    .bind(&prev).bind(&forged).bind(&key_id)
    .execute(&app.db.pool)
    .await
    .unwrap();
    set_head(&app, n + 1).await;
    let (seq, reason) = broken(&app).await;
    assert_eq!(seq, n + 1);
    assert!(reason.contains("偽造"), "{reason}");
    cli_says(&app, &format!("記録番号 {}", n + 1));
}
dual!(a_forged_appended_row_is_reported);

async fn truncate_and_a_reset_head_are_reported(app: TestApp) {
    activity(&app, 2).await;
    let s = checkpoint_now(&app).await;
    if app.engine == Engine::Postgres {
        // The guard refuses TRUNCATE as long as it is there.
        let e = sqlx::query("TRUNCATE audit_log")
            .execute(&app.db.pool)
            .await;
        assert!(e.is_err());
    }
    drop_guards(&app).await;
    let wipe = match app.engine {
        Engine::Postgres => "TRUNCATE audit_log",
        Engine::Sqlite => "DELETE FROM audit_log",
    };
    sqlx::query(wipe).execute(&app.db.pool).await.unwrap();
    set_head(&app, 0).await;
    let (seq, reason) = broken(&app).await;
    assert_eq!(seq, 1);
    assert!(
        reason.contains("監査ログが空です") && reason.contains(&format!("{s} まで")),
        "{reason}"
    );
    cli_says(&app, "監査ログが空です");
}
dual!(truncate_and_a_reset_head_are_reported);

async fn a_restored_older_copy_is_reported(app: TestApp) {
    activity(&app, 2).await;
    // What `yorube backup` records for its copy: the head at that moment.
    let h = checkpoint::head(&app.db).await.unwrap();
    let key = audit::key::current().unwrap();
    checkpoint::append(
        &key,
        &checkpoint::Checkpoint {
            chain: h.chain_id.clone(),
            seq: h.seq,
            hash: h.hash.clone(),
            keyed_from: h.keyed_from,
            key_id: key.id.clone(),
            kind: "backup".into(),
            at: "2026-04-01T00:00:00Z".into(),
        },
    )
    .unwrap();
    activity(&app, 3).await;
    let s = checkpoint_now(&app).await;
    // The database goes back to exactly what the copy held.
    drop_guards(&app).await;
    sqlx::query("DELETE FROM audit_log WHERE seq > $1")
        .bind(h.seq)
        .execute(&app.db.pool)
        .await
        .unwrap();
    set_head(&app, h.seq).await;
    let (seq, reason) = broken(&app).await;
    assert_eq!(seq, h.seq + 1);
    assert!(
        reason.contains("古い写し") && reason.contains(&format!("{s} まで")),
        "{reason}"
    );
    cli_says(&app, "古い写し");
}
dual!(a_restored_older_copy_is_reported);

async fn a_reused_sequence_number_is_reported(app: TestApp) {
    activity(&app, 2).await;
    let s = checkpoint_now(&app).await;
    drop_guards(&app).await;
    sqlx::query("DELETE FROM audit_log WHERE seq > $1")
        .bind(s - 2)
        .execute(&app.db.pool)
        .await
        .unwrap();
    set_head(&app, s - 2).await;
    // New entries take the numbers again, with valid keyed links…
    activity(&app, 3).await;
    assert!(head_seq(&app).await > s);
    // …but not the links the checkpoint saw.
    let (seq, reason) = broken(&app).await;
    assert!(seq > s - 2 && seq <= s, "{seq}");
    assert!(reason.contains("再利用"), "{reason}");
    cli_says(&app, "再利用");
}
dual!(a_reused_sequence_number_is_reported);
