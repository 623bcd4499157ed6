//! `yorube backup` under write load, `yorube restore` with its checks (SQLite; on
//! PostgreSQL both point to pg_dump / PITR).

use std::path::Path;
use std::process::Command;

use yorube::db::Engine;

use crate::helpers::TestApp;

fn yorube(args: &[&str], extra: &[String]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_yorube"))
        .args(args)
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Every table's row count and a checksum of its rows (sorted, so order-free).
fn tables(file: &Path) -> std::collections::BTreeMap<String, (usize, String)> {
    use sha2::{Digest, Sha256};
    let conn =
        rusqlite::Connection::open_with_flags(file, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let names: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut out = std::collections::BTreeMap::new();
    for t in names {
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{t}\"")).unwrap();
        let cols = stmt.column_count();
        let mut rows: Vec<String> = stmt
            .query_map([], |r| {
                let mut s = String::new();
                for i in 0..cols {
                    let v: rusqlite::types::Value = r.get(i)?;
                    s.push_str(&format!("{v:?}\u{1f}"));
                }
                Ok(s)
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        rows.sort();
        let mut h = Sha256::new();
        for r in &rows {
            h.update(r.as_bytes());
            h.update(b"\n");
        }
        out.insert(t, (rows.len(), hex::encode(h.finalize())));
    }
    out
}

fn data_dir(app: &TestApp) -> std::path::PathBuf {
    std::path::PathBuf::from(&app.db_args[1])
}

fn key_args(app: &TestApp) -> Vec<String> {
    app.db_args[2..].to_vec()
}

async fn backup_under_load_then_restore(app: TestApp) {
    if app.engine == Engine::Postgres {
        let (ok, _, err) = yorube(&["backup", "--out", "/tmp/never.db"], &app.db_args);
        assert!(!ok && err.contains("pg_dump"), "{err}");
        let (ok, _, err) = yorube(&["restore", "/tmp/never.db"], &app.db_args);
        assert!(!ok && err.contains("pg_dump"), "{err}");
        return;
    }
    let dir = data_dir(&app);
    let work = tempfile::tempdir().unwrap();
    let copy = work.path().join("copy.db");
    let users_before = app.count("SELECT COUNT(*) FROM users").await;
    // Writers: new users (a write and its audit entry) and failed sign-ins (read audits).
    let admin = app.token("tenant_admin@demo-city").await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut load = vec![];
    for w in 0..3 {
        let (url, admin, stop) = (app.url.clone(), admin.clone(), stop.clone());
        load.push(tokio::spawn(async move {
            let c = crate::helpers::client();
            let mut i = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                i += 1;
                let r = c
                    .post(format!("{url}/api/v1/users"))
                    .bearer_auth(&admin)
                    .json(&serde_json::json!({"login": format!("load{w}x{i}"), "display_name": "負荷 太郎", "role": "nurse", "password": "kodomo-2026-load-x"}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
                let _ = c
                    .post(format!("{url}/api/v1/auth/token"))
                    .json(&serde_json::json!({"login": format!("nobody{w}@demo-city"), "password": "x"}))
                    .send()
                    .await
                    .unwrap();
            }
            i
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let args: Vec<String> = app.db_args.clone();
    let copy_s = copy.display().to_string();
    let (ok, out, err) =
        tokio::task::spawn_blocking(move || yorube(&["backup", "--out", &copy_s], &args))
            .await
            .unwrap();
    assert!(ok, "{err}");
    assert!(
        out.contains("バックアップを作成しました") && out.contains("SHA-256"),
        "{out}"
    );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut written = 0;
    for l in load {
        written += l.await.unwrap();
    }
    assert!(written > 3, "the writers wrote ({written})");
    let users_after = app.count("SELECT COUNT(*) FROM users").await;
    // The copy is one consistent moment of the live database.
    let at_backup = tables(&copy);
    let live = tables(&yorube::db::files::db_file(&dir));
    let users_in_copy = at_backup["users"].0 as i64;
    assert!(
        users_in_copy > users_before && users_in_copy < users_after,
        "{users_before} < {users_in_copy} < {users_after}"
    );
    for t in ["agencies", "children", "consents", "referrals"] {
        if let Some(v) = at_backup.get(t) {
            assert_eq!(Some(v), live.get(t), "{t}");
        }
    }
    assert!(crate::helpers::audit_ok(&app).await);
    let s = yorube::audit::checkpoint::write(&app.db, "cli")
        .await
        .unwrap()
        .unwrap()
        .seq;

    // A restore elsewhere: the copy is older than the newest checkpoint, so the lost
    // numbers are recorded once and never reused.
    let dir2 = work.path().join("restored");
    let mut args2 = vec!["--data-dir".to_string(), dir2.display().to_string()];
    args2.extend(key_args(&app));
    // Refused while a server holds the data directory.
    {
        let _lock = yorube::db::files::DirLock::acquire(&dir2).unwrap();
        let (ok, _, err) = yorube(&["restore", &copy.display().to_string()], &args2);
        assert!(
            !ok && err.contains("使用中") && err.contains("停止"),
            "{err}"
        );
        assert!(!yorube::db::files::db_file(&dir2).exists());
    }
    // Refused: not a database, and a copy whose audit log was edited.
    let junk = work.path().join("junk.db");
    std::fs::write(&junk, b"not a database at all, just text").unwrap();
    let (ok, _, err) = yorube(&["restore", &junk.display().to_string()], &args2);
    assert!(!ok && err.contains("復元を中止しました"), "{err}");
    let edited = work.path().join("edited.db");
    std::fs::copy(&copy, &edited).unwrap();
    {
        let c = rusqlite::Connection::open(&edited).unwrap();
        c.execute_batch(
            "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET actor = 'x' WHERE seq = 3;",
        )
        .unwrap();
    }
    let (ok, _, err) = yorube(&["restore", &edited.display().to_string()], &args2);
    assert!(
        !ok && err.contains("監査ログが壊れています") && err.contains("記録番号 3"),
        "{err}"
    );
    assert!(
        !yorube::db::files::db_file(&dir2).exists(),
        "nothing replaced"
    );

    let (ok, out, err) = yorube(&["restore", &copy.display().to_string()], &args2);
    assert!(ok, "{err}");
    assert!(
        out.contains("復元しました") && out.contains("失われました"),
        "{out}"
    );
    let restored = tables(&yorube::db::files::db_file(&dir2));
    for (t, v) in &at_backup {
        if t != "audit_log" && t != "audit_head" {
            assert_eq!(restored.get(t), Some(v), "{t}");
        }
    }
    assert_eq!(
        restored["audit_log"].0,
        at_backup["audit_log"].0 + 1,
        "one restore entry"
    );
    let (ok, out, err) = yorube(&["audit", "verify"], &args2);
    assert!(ok, "{err}");
    assert!(out.contains("正常") && out.contains("欠番"), "{out}");
    // The restored server goes on after the given-up numbers.
    let (ok, _, err) = yorube(
        &[
            "user",
            "create",
            "--login",
            "after-restore",
            "--name",
            "復元 後子",
            "--role",
            "nurse",
            "--tenant",
            "demo-city",
            "--password",
            "kodomo-2026-x",
        ],
        &args2,
    );
    assert!(ok, "{err}");
    let conn = rusqlite::Connection::open(yorube::db::files::db_file(&dir2)).unwrap();
    let head: i64 = conn
        .query_row("SELECT seq FROM audit_head", [], |r| r.get(0))
        .unwrap();
    assert!(head > s + 1, "{head} > {s} + 1");
    let (ok, _, err) = yorube(&["audit", "verify"], &args2);
    assert!(ok, "{err}");
}
dual!(backup_under_load_then_restore);
