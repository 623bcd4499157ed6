//! Retention and the family's rights (W8 item 6): `yorube purge` (dry run, then the
//! real thing: exactly the expired closed cases and all their rows, one audit entry per
//! tenant without names), erasure on request, the disclosure document with its audit,
//! the retention setting, closing and reopening a case.

use std::collections::BTreeMap;
use std::process::Command;

use yorube::db::Engine;

use crate::helpers::{audit_ok, csrf_of, TestApp};

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

async fn strings(app: &TestApp, sql: &str) -> Vec<String> {
    sqlx::query_scalar::<_, String>(sql)
        .fetch_all(&app.db.pool)
        .await
        .expect(sql)
}

async fn tenant_id(app: &TestApp, code: &str) -> String {
    strings(
        app,
        &format!("SELECT id FROM tenants WHERE code = '{code}'"),
    )
    .await[0]
        .clone()
}

/// Every table of the database (not sqlx's own).
async fn all_tables(app: &TestApp) -> Vec<String> {
    let sql = match app.engine {
        Engine::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%' ORDER BY name",
        Engine::Postgres => "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name NOT LIKE '_sqlx%' ORDER BY table_name",
    };
    strings(app, sql).await
}

/// (table, column) of every text column.
async fn text_columns(app: &TestApp) -> Vec<(String, String)> {
    let mut out = vec![];
    match app.engine {
        Engine::Sqlite => {
            for t in all_tables(app).await {
                let cols = strings(
                    app,
                    &format!("SELECT name FROM pragma_table_info('{t}') WHERE type = 'TEXT'"),
                )
                .await;
                out.extend(cols.into_iter().map(|c| (t.clone(), c)));
            }
        }
        Engine::Postgres => {
            let rows: Vec<(String, String)> = sqlx::query_as(
                "SELECT table_name::text, column_name::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND data_type = 'text' AND table_name NOT LIKE '_sqlx%'",
            )
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
            out = rows;
        }
    }
    out
}

/// Tables with a `child_id` column.
async fn child_id_tables(app: &TestApp) -> Vec<String> {
    let mut out = vec![];
    for t in all_tables(app).await {
        let has = match app.engine {
            Engine::Sqlite => {
                app.count(&format!(
                    "SELECT COUNT(*) FROM pragma_table_info('{t}') WHERE name = 'child_id'"
                ))
                .await
            }
            Engine::Postgres => {
                app.count(&format!(
                    "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = current_schema() \
                     AND table_name = '{t}' AND column_name = 'child_id'"
                ))
                .await
            }
        };
        if has > 0 {
            out.push(t);
        }
    }
    out
}

fn in_list(ids: &[String]) -> String {
    ids.iter()
        .map(|i| format!("'{i}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The rows of these children in every table that holds a child's rows: those with a
/// `child_id`, and those reached through a referral or a meeting.
async fn rows_of(app: &TestApp, ids: &[String]) -> BTreeMap<String, i64> {
    let list = in_list(ids);
    let mut out = BTreeMap::new();
    out.insert(
        "children".to_string(),
        app.count(&format!(
            "SELECT COUNT(*) FROM children WHERE id IN ({list})"
        ))
        .await,
    );
    for t in child_id_tables(app).await {
        let n = app
            .count(&format!(
                "SELECT COUNT(*) FROM {t} WHERE child_id IN ({list})"
            ))
            .await;
        out.insert(t, n);
    }
    for (t, link, via) in [
        ("referral_events", "referral_id", "referrals"),
        ("action_items", "meeting_id", "meetings"),
        ("conference_participants", "meeting_id", "meetings"),
        ("monthly_report_meetings", "meeting_id", "meetings"),
    ] {
        let n = app
            .count(&format!(
                "SELECT COUNT(*) FROM {t} WHERE {link} IN (SELECT id FROM {via} WHERE child_id IN ({list}))"
            ))
            .await;
        out.insert(t.to_string(), n);
    }
    out
}

async fn table_counts(app: &TestApp) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    for t in all_tables(app).await {
        let n = app.count(&format!("SELECT COUNT(*) FROM {t}")).await;
        out.insert(t, n);
    }
    out
}

/// Where a text still holds `s`: "table.column (n)".
async fn holding(app: &TestApp, s: &str) -> Vec<String> {
    let mut out = vec![];
    for (t, c) in text_columns(app).await {
        let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {t} WHERE {c} LIKE $1"))
            .bind(format!("%{s}%"))
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
        if n > 0 {
            out.push(format!("{t}.{c} ({n})"));
        }
    }
    out
}

fn years_ago(years: i64) -> String {
    let t = yorube::privacy::model::years_before(yorube::time::now(), years)
        - chrono::Duration::days(1);
    yorube::time::to_db(t)
}

/// Closes a case as if it had been closed (and last changed) at `at`.
async fn close_at(app: &TestApp, id: &str, at: &str, updated: &str) {
    sqlx::query(
        "UPDATE children SET status = 'closed', closed_at = $1, close_reason = 'moved', updated_at = $2 WHERE id = $3",
    )
    .bind(at)
    .bind(updated)
    .bind(id)
    .execute(&app.db.pool)
    .await
    .unwrap();
}

async fn audit_seq(app: &TestApp) -> i64 {
    app.count("SELECT seq FROM audit_head WHERE id = 1").await
}

async fn name_of(app: &TestApp, id: &str) -> String {
    strings(app, &format!("SELECT name FROM children WHERE id = '{id}'")).await[0].clone()
}

async fn purge_removes_exactly_the_expired_closed_cases(app: TestApp) {
    let city = tenant_id(&app, "demo-city").await;
    let pref = tenant_id(&app, "demo-pref").await;
    // Three closed long ago, with the record's every kind of row between them: the
    // child of the case conferences, one named in a monthly report, one with a
    // referral's history and optional services.
    let conf = strings(&app, &format!("SELECT child_id FROM meetings WHERE tenant_id = '{city}' AND child_id IS NOT NULL ORDER BY child_id LIMIT 1")).await[0].clone();
    let reported = strings(&app, &format!(
        "SELECT c.id FROM children c WHERE c.tenant_id = '{city}' AND c.id <> '{conf}' AND EXISTS \
         (SELECT 1 FROM monthly_reports r WHERE r.tenant_id = c.tenant_id AND r.changes LIKE '%' || c.name || '%') \
         AND (SELECT COUNT(*) FROM children o WHERE o.name = c.name) = 1 ORDER BY c.id LIMIT 1"
    ))
    .await[0]
        .clone();
    let busy = strings(&app, &format!(
        "SELECT r.child_id FROM referral_events e JOIN referrals r ON r.id = e.referral_id WHERE r.tenant_id = '{city}' \
         AND r.child_id NOT IN ('{conf}', '{reported}') ORDER BY (SELECT COUNT(*) FROM service_participants p WHERE p.child_id = r.child_id) DESC, r.child_id LIMIT 1"
    ))
    .await[0]
        .clone();
    let expired = vec![conf.clone(), reported.clone(), busy.clone()];
    // A contractor counted one of the child's conferences in a monthly report.
    sqlx::query(&format!(
        "INSERT INTO monthly_report_meetings (report_id, tenant_id, meeting_id) \
         SELECT (SELECT r.id FROM monthly_reports r WHERE r.tenant_id = '{city}' ORDER BY r.id LIMIT 1), '{city}', m.id \
         FROM meetings m WHERE m.child_id = '{conf}' ORDER BY m.id LIMIT 1"
    ))
    .execute(&app.db.pool)
    .await
    .unwrap();
    let others = strings(
        &app,
        &format!(
        "SELECT id FROM children WHERE tenant_id = '{city}' AND id NOT IN ({}) ORDER BY id LIMIT 3",
        in_list(&expired)
    ),
    )
    .await;
    for id in &expired {
        close_at(&app, id, &years_ago(6), &years_ago(6)).await;
    }
    // Closed long ago but changed since; closed last year; still open (and old).
    close_at(&app, &others[0], &years_ago(6), &years_ago(1)).await;
    close_at(&app, &others[1], &years_ago(1), &years_ago(1)).await;
    sqlx::query("UPDATE children SET updated_at = $1 WHERE id = $2")
        .bind(years_ago(8))
        .bind(&others[2])
        .execute(&app.db.pool)
        .await
        .unwrap();
    // デモ県 keeps closed cases 10 years: 6 years is not enough, 11 is.
    let pref_ids = strings(
        &app,
        &format!("SELECT id FROM children WHERE tenant_id = '{pref}' ORDER BY id LIMIT 2"),
    )
    .await;
    sqlx::query("UPDATE tenants SET retention_years = 10 WHERE id = $1")
        .bind(&pref)
        .execute(&app.db.pool)
        .await
        .unwrap();
    close_at(&app, &pref_ids[0], &years_ago(6), &years_ago(6)).await;
    close_at(&app, &pref_ids[1], &years_ago(11), &years_ago(11)).await;
    let mut gone = expired.clone();
    gone.push(pref_ids[1].clone());
    let kept: Vec<String> = others
        .iter()
        .cloned()
        .chain([pref_ids[0].clone()])
        .collect();

    let names: Vec<String> = {
        let mut v = vec![];
        for id in &gone {
            v.push(name_of(&app, id).await);
        }
        v
    };
    let reported_name = name_of(&app, &reported).await;
    let theirs = rows_of(&app, &gone).await;
    for t in yorube::privacy::store::child_tables() {
        assert!(theirs.contains_key(t), "{t} is counted");
    }
    for t in theirs.keys() {
        assert!(
            t == "children" || yorube::privacy::store::child_tables().contains(&t.as_str()),
            "the store knows {t}, a table with a child's rows"
        );
    }
    for t in [
        "family_members",
        "consents",
        "consultations",
        "support_plans",
        "referrals",
        "referral_events",
        "meetings",
        "action_items",
        "conference_participants",
        "service_participants",
        "monthly_report_meetings",
    ] {
        assert!(
            theirs[t] > 0,
            "the expired children have rows in {t}: {theirs:?}"
        );
    }
    let mine_before = rows_of(&app, &kept).await;
    let before = table_counts(&app).await;
    let seq = audit_seq(&app).await;

    // Dry run: counts only, no names, nothing changed.
    let (ok, out, err) = yorube(&app, &["purge", "--dry-run"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("削除対象: デモ市 3 人（保存期間 5 年を過ぎた終結ケース"),
        "{out}"
    );
    assert!(
        out.contains("削除対象: デモ県 1 人（保存期間 10 年を過ぎた終結ケース"),
        "{out}"
    );
    for n in &names {
        assert!(!out.contains(n.as_str()), "no name in the output: {out}");
    }
    assert_eq!(
        table_counts(&app).await,
        before,
        "a dry run changes nothing"
    );
    assert_eq!(
        audit_seq(&app).await,
        seq,
        "a dry run writes no audit entry"
    );
    let (ok, out, _) = yorube(&app, &["purge", "--dry-run", "--tenant", "demo-pref"]);
    assert!(
        ok && out.contains("デモ県 1 人") && !out.contains("デモ市"),
        "{out}"
    );

    let (ok, out, err) = yorube(&app, &["purge"]);
    assert!(ok, "{err}");
    assert!(out.contains("削除しました: デモ市 3 人"), "{out}");
    assert!(out.contains("削除しました: デモ県 1 人"), "{out}");

    let after_theirs = rows_of(&app, &gone).await;
    assert!(
        after_theirs.values().all(|n| *n == 0),
        "every row of the deleted children is gone: {after_theirs:?}"
    );
    assert_eq!(
        rows_of(&app, &kept).await,
        mine_before,
        "the others keep theirs"
    );
    let after = table_counts(&app).await;
    for (t, n) in &before {
        let expect = match t.as_str() {
            "audit_log" => n + 2,
            _ => n - theirs.get(t).copied().unwrap_or(0),
        };
        assert_eq!(
            after[t],
            expect,
            "{t}: {n} before, {} of theirs",
            theirs.get(t).copied().unwrap_or(0)
        );
    }
    // One entry per tenant, counts only.
    let entries: Vec<(String, String, String)> = sqlx::query_as(&format!(
        "SELECT action, tenant_id, detail FROM audit_log WHERE seq > {seq} ORDER BY seq"
    ))
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert!(entries.iter().all(|e| e.0 == "retention.purge"));
    let city_entry = entries
        .iter()
        .find(|e| e.1 == city)
        .expect("デモ市's entry");
    assert!(
        city_entry
            .2
            .starts_with("保存期間 5 年を過ぎた終結ケース 3 人を削除"),
        "{}",
        city_entry.2
    );
    assert!(
        city_entry.2.contains("、月次報告 ") && city_entry.2.contains("件の氏名を伏せ字に"),
        "{}",
        city_entry.2
    );
    for n in &names {
        assert!(!city_entry.2.contains(n.as_str()));
    }
    for n in &names {
        let bare: String = n.chars().filter(|c| !c.is_whitespace()).collect();
        for s in [n.clone(), bare] {
            let left = holding(&app, &s).await;
            assert!(
                !left
                    .iter()
                    .any(|l| l.starts_with("audit_log.") || l.starts_with("monthly_reports.")),
                "{s} is still held in {left:?}"
            );
            // Unless someone else of that name is on record (a sibling in another
            // child's family), no row holds it at all.
            if left
                .iter()
                .all(|l| !l.starts_with("children.") && !l.starts_with("family_members."))
            {
                assert!(left.is_empty(), "{s} is still held in {left:?}");
            }
        }
    }
    assert!(
        app.count(&format!(
            "SELECT COUNT(*) FROM monthly_reports WHERE tenant_id = '{city}' AND changes LIKE '%○○さん%'"
        ))
        .await
            > 0,
        "the monthly report keeps its line, masked ({reported_name})"
    );
    assert!(audit_ok(&app).await, "yorube audit verify still passes");
    let (ok, out, err) = yorube(&app, &["audit", "verify"]);
    assert!(ok, "{out}{err}");

    // Nothing left to delete: another run deletes no one (and says so).
    let (ok, out, _) = yorube(&app, &["purge", "--tenant", "demo-city"]);
    assert!(ok && out.contains("削除しました: デモ市 0 人"), "{out}");
    let (ok, _, err) = yorube(&app, &["purge", "--tenant", "no-such-city"]);
    assert!(!ok && err.contains("登録されていません"), "{err}");
}
dual!(purge_removes_exactly_the_expired_closed_cases);

async fn erase_on_request(app: TestApp) {
    let city = tenant_id(&app, "demo-city").await;
    let id = strings(
        &app,
        &format!(
            "SELECT child_id FROM referrals WHERE tenant_id = '{city}' ORDER BY child_id LIMIT 1"
        ),
    )
    .await[0]
        .clone();
    let name = name_of(&app, &id).await;
    let page = format!("{}/privacy/children/{id}/erase", app.url);

    // Only the tenant's administrator, and only for the tenant's children.
    let nurse = app.browser_login("nurse@demo-city").await;
    let csrf = csrf_of(&nurse, &format!("{}/", app.url)).await;
    let res = nurse
        .post(&page)
        .form(&[
            ("_csrf", csrf.as_str()),
            ("reason", "請求"),
            ("confirm_name", name.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let other = app.browser_login("tenant_admin@demo-pref").await;
    assert_eq!(other.get(&page).send().await.unwrap().status(), 404);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'child.erase_refused' AND entity_id = '{id}'"
        ))
        .await,
        2,
        "refusals are audited"
    );

    let admin = app.browser_login("tenant_admin@demo-city").await;
    let html = admin.get(&page).send().await.unwrap().text().await.unwrap();
    assert!(
        html.contains(&format!("「{name}」を入力してください")),
        "{html}"
    );
    let csrf = csrf_of(&admin, &page).await;
    // The name must match; what was typed comes back.
    let res = admin
        .post(&page)
        .form(&[
            ("_csrf", csrf.as_str()),
            ("reason", "受付番号 12"),
            ("confirm_name", "別の 名前"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("一致しません")
            && html.contains("value=\"別の 名前\"")
            && html.contains("value=\"受付番号 12\"")
    );
    // The reason must not name the child (it goes into the audit log).
    let reason = format!("{name}の母から請求");
    let res = admin
        .post(&page)
        .form(&[
            ("_csrf", csrf.as_str()),
            ("reason", reason.as_str()),
            ("confirm_name", name.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("氏名を書かないで"));
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM children WHERE id = '{id}'"))
            .await,
        1
    );

    // A view keeps the record page's rows in the server's cache; the erasure drops them.
    let cache = app.db.ext::<yorube::record::RecordCache>();
    let view = nurse
        .get(format!("{}/children/{id}", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(view.status(), 200);
    assert!(cache.holds(&id), "the page was kept");

    let before = rows_of(&app, std::slice::from_ref(&id)).await;
    let total: i64 = before
        .iter()
        .filter(|(t, _)| *t != "children")
        .map(|(_, n)| n)
        .sum();
    let bare: String = name.chars().filter(|c| !c.is_whitespace()).collect();
    let res = admin
        .post(&page)
        .form(&[
            ("_csrf", csrf.as_str()),
            ("reason", "本人・家族からの削除の請求（受付番号 12）"),
            ("confirm_name", bare.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let to = res.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(to, format!("/privacy?done=erased&n={total}"));
    let after = rows_of(&app, std::slice::from_ref(&id)).await;
    assert!(after.values().all(|n| *n == 0), "{after:?}");
    assert!(
        !cache.holds(&id),
        "nothing of the erased record stays in memory"
    );
    let detail: String = sqlx::query_scalar(&format!(
        "SELECT detail FROM audit_log WHERE action = 'child.erase' AND entity_id = '{id}'"
    ))
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert!(
        detail.contains("受付番号 12") && detail.contains(&format!("関連する記録 {total} 件")),
        "{detail}"
    );
    assert!(
        !detail.contains(&name) && !detail.contains(&bare),
        "{detail}"
    );
    let left = holding(&app, &bare).await;
    assert!(
        left.iter()
            .all(|l| l.starts_with("children.") || l.starts_with("family_members.")),
        "{name} is held only where someone else of that name is on record: {left:?}"
    );
    let html = admin
        .get(format!("{}{to}", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("記録を削除しました"));
    assert_eq!(admin.get(&page).send().await.unwrap().status(), 404);
    assert!(audit_ok(&app).await);

    // The API: same rule.
    let id2 = strings(
        &app,
        &format!("SELECT id FROM children WHERE tenant_id = '{city}' ORDER BY id LIMIT 1"),
    )
    .await[0]
        .clone();
    let name2 = name_of(&app, &id2).await;
    let t = app.token("tenant_admin@demo-city").await;
    let path = format!("/api/v1/privacy/children/{id2}/erase");
    let (s, body) = app
        .api_post(
            &t,
            &path,
            serde_json::json!({"reason": "請求", "confirm_name": "違う"}),
        )
        .await;
    assert_eq!(s, 422, "{body}");
    let n = app.token("nurse@demo-city").await;
    let (s, _) = app
        .api_post(
            &n,
            &path,
            serde_json::json!({"reason": "請求", "confirm_name": name2}),
        )
        .await;
    assert_eq!(s, 403);
    let (s, body) = app
        .api_post(
            &t,
            &path,
            serde_json::json!({"reason": "請求（受付番号 13）", "confirm_name": name2}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["children"], 1);
    assert!(body["rows"].as_i64().unwrap() > 0);
    assert!(audit_ok(&app).await);
}
dual!(erase_on_request);

async fn disclosure_holds_everything_and_is_audited(app: TestApp) {
    let city = tenant_id(&app, "demo-city").await;
    // A child with consents and referrals with a history.
    let id = strings(&app, &format!(
        "SELECT r.child_id FROM referrals r WHERE r.tenant_id = '{city}' \
         AND EXISTS (SELECT 1 FROM referral_events e WHERE e.referral_id = r.id) \
         AND EXISTS (SELECT 1 FROM consents c WHERE c.child_id = r.child_id) ORDER BY r.child_id LIMIT 1"
    ))
    .await[0]
        .clone();
    let name = name_of(&app, &id).await;
    // The nurse reads the record: the disclosure's access log shows it.
    let nurse = app.browser_login("nurse@demo-city").await;
    assert_eq!(
        nurse
            .get(format!("{}/children/{id}", app.url))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let nurse_name = strings(
        &app,
        "SELECT display_name FROM users WHERE login = 'nurse@demo-city'",
    )
    .await[0]
        .clone();

    let admin = app.browser_login("tenant_admin@demo-city").await;
    let page = format!("{}/privacy/children/{id}", app.url);
    let res = admin.get(&page).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    let agency = strings(&app, &format!(
        "SELECT a.name FROM consents c JOIN agencies a ON a.id = c.agency_id WHERE c.child_id = '{id}' ORDER BY c.created_at LIMIT 1"
    ))
    .await[0]
        .clone();
    let referred = strings(&app, &format!(
        "SELECT a.name FROM referrals r JOIN agencies a ON a.id = r.agency_id WHERE r.child_id = '{id}' LIMIT 1"
    ))
    .await[0]
        .clone();
    for want in [
        name.as_str(),
        "情報共有の同意",
        agency.as_str(),
        "紹介（つなぐ支援）と共有先",
        referred.as_str(),
        "紹介の経過",
        "記録の閲覧・変更の履歴（監査ログ）",
        nurse_name.as_str(),
        "記録の閲覧",
        "支援を終結する",
    ] {
        assert!(html.contains(want), "the page shows {want}");
    }
    let res = admin.get(format!("{page}/print")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("保有個人情報の開示（写し）") && html.contains(agency.as_str()));
    assert!(!html.contains("支援を終結する"), "no forms on paper");

    let res = admin
        .get(format!("{page}/export.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment;"));
    let j: serde_json::Value = res.json().await.unwrap();
    assert_eq!(j["format"], "yorube-disclosure/1");
    assert_eq!(j["child_id"], id.as_str());
    let rows = |key: &str| -> Vec<serde_json::Value> {
        j["sections"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["key"] == key)
            .unwrap_or_else(|| panic!("section {key}"))["rows"]
            .as_array()
            .unwrap()
            .clone()
    };
    assert_eq!(rows("child")[0]["name"], name.as_str());
    for (key, sql) in [
        ("consents", format!("SELECT COUNT(*) FROM consents WHERE child_id = '{id}'")),
        ("referrals", format!("SELECT COUNT(*) FROM referrals WHERE child_id = '{id}'")),
        ("referral_events", format!("SELECT COUNT(*) FROM referral_events e JOIN referrals r ON r.id = e.referral_id WHERE r.child_id = '{id}'")),
        ("consultations", format!("SELECT COUNT(*) FROM consultations WHERE child_id = '{id}'")),
        ("family_members", format!("SELECT COUNT(*) FROM family_members WHERE child_id = '{id}'")),
        ("support_plans", format!("SELECT COUNT(*) FROM support_plans WHERE child_id = '{id}'")),
    ] {
        assert_eq!(rows(key).len() as i64, app.count(&sql).await, "{key}");
    }
    let log = rows("access_log");
    assert!(
        log.iter()
            .any(|r| r["action"] == "child.view" && r["actor"] == "nurse@demo-city"),
        "{log:?}"
    );
    // The page and the print were audited before the file was made: in its log.
    assert!(
        log.iter()
            .filter(|r| r["action"] == "child.disclosure")
            .count()
            >= 2
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'child.disclosure' AND entity_id = '{id}'"
        ))
        .await,
        3,
        "page, print and file are each audited"
    );

    // Refusals: a role without the right (403), another tenant (404); both audited.
    for p in ["", "/print", "/export.json"] {
        assert_eq!(
            nurse
                .get(format!("{page}{p}"))
                .send()
                .await
                .unwrap()
                .status(),
            403,
            "{p}"
        );
    }
    let other = app.browser_login("tenant_admin@demo-pref").await;
    for p in ["", "/print", "/export.json"] {
        assert_eq!(
            other
                .get(format!("{page}{p}"))
                .send()
                .await
                .unwrap()
                .status(),
            404,
            "{p}"
        );
    }
    let t = app.token("tenant_admin@demo-pref").await;
    let (s, _) = app
        .api_get(&t, &format!("/api/v1/privacy/children/{id}"))
        .await;
    assert_eq!(s, 404);
    let p = app.token("partner@demo-city").await;
    let (s, _) = app
        .api_get(&p, &format!("/api/v1/privacy/children/{id}"))
        .await;
    assert_eq!(s, 403);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'child.disclosure_refused' AND entity_id = '{id}'"
        ))
        .await,
        8
    );
    let t = app.token("tenant_admin@demo-city").await;
    let (s, body) = app
        .api_get(&t, &format!("/api/v1/privacy/children/{id}"))
        .await;
    assert_eq!(s, 200);
    assert_eq!(body["sections"][0]["rows"][0]["name"], name.as_str());
    assert!(audit_ok(&app).await);
}
dual!(disclosure_holds_everything_and_is_audited);

async fn retention_is_set_by_the_tenant_admin(app: TestApp) {
    let admin = app.browser_login("tenant_admin@demo-city").await;
    let page = format!("{}/settings/retention", app.url);
    let html = admin.get(&page).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("value=\"5\"") && html.contains("終結ケースの保存期間"));
    let csrf = csrf_of(&admin, &page).await;
    let res = admin
        .post(&page)
        .form(&[("_csrf", csrf.as_str()), ("retention_years", "40")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("value=\"40\"") && html.contains("1 年から 30 年の間"),
        "{html}"
    );
    let res = admin
        .post(&page)
        .form(&[("_csrf", csrf.as_str()), ("retention_years", "１０")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        app.count("SELECT retention_years FROM tenants WHERE code = 'demo-city'")
            .await,
        10
    );
    assert_eq!(
        app.count("SELECT retention_years FROM tenants WHERE code = 'demo-pref'")
            .await,
        5,
        "the other tenant keeps its own"
    );
    let detail: String = sqlx::query_scalar(
        "SELECT detail FROM audit_log WHERE action = 'tenant.retention' ORDER BY seq DESC LIMIT 1",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(detail, "終結ケースの保存期間 5 年 → 10 年");
    let html = admin
        .get(format!("{}/privacy", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<strong>10 年</strong>"));

    let nurse = app.browser_login("nurse@demo-city").await;
    assert_eq!(nurse.get(&page).send().await.unwrap().status(), 403);
    assert_eq!(
        nurse
            .get(format!("{}/privacy", app.url))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let t = app.token("tenant_admin@demo-city").await;
    let (s, body) = app.api_get(&t, "/api/v1/privacy/retention").await;
    assert_eq!((s, body["retention_years"].as_i64()), (200, Some(10)));
    let (s, body) = app
        .api_post(
            &t,
            "/api/v1/privacy/retention",
            serde_json::json!({"retention_years": 0}),
        )
        .await;
    assert_eq!(s, 422, "{body}");
    let (s, body) = app
        .api_post(
            &t,
            "/api/v1/privacy/retention",
            serde_json::json!({"retention_years": 7}),
        )
        .await;
    assert_eq!((s, body["retention_years"].as_i64()), (200, Some(7)));
    assert!(audit_ok(&app).await);
}
dual!(retention_is_set_by_the_tenant_admin);

async fn a_case_is_closed_and_reopened(app: TestApp) {
    let city = tenant_id(&app, "demo-city").await;
    let id = strings(
        &app,
        &format!("SELECT id FROM children WHERE tenant_id = '{city}' ORDER BY id LIMIT 1"),
    )
    .await[0]
        .clone();
    let admin = app.browser_login("tenant_admin@demo-city").await;
    let page = format!("{}/privacy/children/{id}", app.url);
    let csrf = csrf_of(&admin, &page).await;
    let res = admin
        .post(format!("{page}/close"))
        .form(&[("_csrf", csrf.as_str()), ("reason", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let to = res.headers()["location"].to_str().unwrap().to_string();
    assert!(to.contains("error=reason"));
    let html = admin
        .get(format!("{}{to}", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("終結の理由を選んでください"));
    assert_eq!(
        strings(
            &app,
            &format!("SELECT status FROM children WHERE id = '{id}'")
        )
        .await[0],
        "active"
    );

    let res = admin
        .post(format!("{page}/close"))
        .form(&[("_csrf", csrf.as_str()), ("reason", "moved")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        strings(
            &app,
            &format!("SELECT status FROM children WHERE id = '{id}'")
        )
        .await[0],
        "closed"
    );
    let detail: String = sqlx::query_scalar(&format!(
        "SELECT detail FROM audit_log WHERE action = 'child.close' AND entity_id = '{id}'"
    ))
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(detail, "転出");
    // The record says so: a badge, and for the tenant admin the way to the privacy page.
    let record = format!("{}/children/{id}", app.url);
    let html = admin
        .get(&record)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("badge--muted\">終結</span>")
            && html.contains(&format!("href=\"/privacy/children/{id}\"")),
        "{html}"
    );
    let nurse = app.browser_login("nurse@demo-city").await;
    let html = nurse
        .get(&record)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("支援は終結しています"), "{html}");
    assert!(
        !html.contains("/privacy/children/"),
        "the nurse has no privacy page"
    );
    let html = admin
        .get(format!("{}/privacy", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(&format!("/privacy/children/{id}")) && html.contains("転出"));
    // Closed today: not deleted by a purge.
    let (ok, out, _) = yorube(&app, &["purge", "--dry-run", "--tenant", "demo-city"]);
    assert!(ok && out.contains("デモ市 0 人"), "{out}");
    let res = admin
        .post(format!("{page}/close"))
        .form(&[("_csrf", csrf.as_str()), ("reason", "moved")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409, "closed twice");
    let res = admin
        .post(format!("{page}/reopen"))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let row: (String, Option<String>) = sqlx::query_as(&format!(
        "SELECT status, closed_at FROM children WHERE id = '{id}'"
    ))
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(row, ("active".to_string(), None));

    // Casework's write rule through the API: a nurse closes, a contractor cannot reach
    // a child not assigned to them, another tenant's child is not found.
    let n = app.token("nurse@demo-city").await;
    let (s, body) = app
        .api_post(
            &n,
            &format!("/api/v1/privacy/children/{id}/close"),
            serde_json::json!({"reason": "age"}),
        )
        .await;
    assert_eq!(
        (s, body["status"].as_str()),
        (200, Some("closed")),
        "{body}"
    );
    let (s, _) = app
        .api_post(
            &n,
            &format!("/api/v1/privacy/children/{id}/close"),
            serde_json::json!({"reason": "山田さんが転居"}),
        )
        .await;
    assert_eq!(s, 422);
    let unassigned = strings(&app, &format!(
        "SELECT id FROM children c WHERE tenant_id = '{city}' AND NOT EXISTS (SELECT 1 FROM child_workers w JOIN users u ON u.id = w.user_id \
         WHERE w.child_id = c.id AND u.login = 'contractor@demo-city') ORDER BY id LIMIT 1"
    ))
    .await[0]
        .clone();
    let c = app.token("contractor@demo-city").await;
    let (s, _) = app
        .api_post(
            &c,
            &format!("/api/v1/privacy/children/{unassigned}/close"),
            serde_json::json!({"reason": "age"}),
        )
        .await;
    assert_eq!(s, 404);
    let p = app.token("nurse@demo-pref").await;
    let (s, _) = app
        .api_post(
            &p,
            &format!("/api/v1/privacy/children/{id}/reopen"),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(s, 404);
    let (s, _) = app
        .api_post(
            &n,
            &format!("/api/v1/privacy/children/{id}/reopen"),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(s, 200);
    assert!(audit_ok(&app).await);
}
dual!(a_case_is_closed_and_reopened);
