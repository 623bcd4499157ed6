use serde_json::json;

use crate::helpers::{client, csrf_of, TestApp, TENANT_ROLES};

async fn child_ids(app: &TestApp, tenant: &str) -> Vec<String> {
    sqlx::query_scalar::<_, String>("SELECT c.id FROM children c JOIN tenants t ON t.id = c.tenant_id WHERE t.code = $1 ORDER BY c.id")
        .bind(tenant)
        .fetch_all(&app.db.pool)
        .await
        .unwrap()
}

fn new_child() -> serde_json::Value {
    json!({
        "name": "試験 花子", "reading": "シケン ハナコ", "birth_date": "平成30年4月10日", "sex": "female",
        "disease_group": 7, "disease_name": "1型糖尿病", "certificate_number": "1234567",
        "certificate_from": "2025-12-01", "certificate_to": "2026-11-30", "school": "デモ市立本町小学校", "grade": "小学2年",
        "medical_care": "血糖測定・インスリン注射",
        "family": [{"relation": "母", "name": "試験 由美", "phone": "090-0000-9999", "is_guardian": true}, {"relation": "兄", "name": "試験 太郎", "supported": true}]
    })
}

/// Every role of the other tenant gets 404 for every child id, on the API and the pages.
async fn other_tenant_gets_404_for_every_child(app: TestApp) {
    let city = child_ids(&app, "demo-city").await;
    assert!(city.len() >= 40, "demo has about 40 children in デモ市");
    for role in TENANT_ROLES {
        let t = app.token(&format!("{role}@demo-pref")).await;
        for id in &city {
            let (s, _) = app.api_get(&t, &format!("/api/v1/children/{id}")).await;
            assert!(
                s == 404 || (s == 403 && matches!(role, "partner" | "auditor")),
                "{role}@demo-pref GET child {id}: {s}"
            );
            if matches!(
                role,
                "tenant_admin" | "nurse" | "support_worker" | "contractor"
            ) {
                assert_eq!(s, 404, "{role}");
                for sub in ["consultations", "plans", "timeline", "ecomap", "ecomap.svg"] {
                    let res = client()
                        .get(format!("{}/api/v1/children/{id}/{sub}", app.url))
                        .bearer_auth(&t)
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(res.status(), 404, "{role} {sub}");
                }
                let (s, _) = app
                    .api_post(
                        &t,
                        &format!("/api/v1/children/{id}/consultations"),
                        json!({"method": "電話", "kind": "療育相談指導", "notes": "x"}),
                    )
                    .await;
                assert_eq!(s, 404, "{role} write");
            }
        }
    }
    let before = app.count("SELECT COUNT(*) FROM consultations").await;
    let b = app.browser_login("nurse@demo-pref").await;
    for id in city.iter().take(5) {
        let res = b
            .get(format!("{}/children/{id}", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404);
        assert!(
            !res.text().await.unwrap().contains("デモ市"),
            "no trace of the other tenant's data"
        );
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM consultations").await,
        before,
        "nothing written"
    );
}
dual!(other_tenant_gets_404_for_every_child);

/// Who may read children: caseworkers yes, contractors only their assigned children,
/// partners and auditors never; every read is audited.
async fn roles_and_assignment(app: TestApp) {
    for role in ["partner", "auditor"] {
        let t = app.token(&format!("{role}@demo-city")).await;
        let (s, _) = app.api_get(&t, "/api/v1/children").await;
        assert_eq!(s, 403, "{role} lists no children");
    }
    let nurse = app.token("nurse@demo-city").await;
    let (_, all) = app.api_get(&nurse, "/api/v1/children?limit=500").await;
    let total = all["total"].as_i64().unwrap();
    let contractor = app.token("contractor@demo-city").await;
    let (_, mine) = app.api_get(&contractor, "/api/v1/children?limit=500").await;
    let assigned: Vec<String> = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect();
    assert!(
        !assigned.is_empty() && (assigned.len() as i64) < total,
        "contractor sees only assigned children: {} of {total}",
        assigned.len()
    );
    let unassigned: Vec<String> = child_ids(&app, "demo-city")
        .await
        .into_iter()
        .filter(|id| !assigned.contains(id))
        .collect();
    for id in unassigned.iter().take(10) {
        let (s, _) = app
            .api_get(&contractor, &format!("/api/v1/children/{id}"))
            .await;
        assert_eq!(s, 404, "unassigned child is not found for the contractor");
    }
    let (s, _) = app
        .api_get(&contractor, &format!("/api/v1/children/{}", assigned[0]))
        .await;
    assert_eq!(s, 200);
    let views = app
        .count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'child.view' AND entity_id = '{}'",
            assigned[0]
        ))
        .await;
    assert_eq!(views, 1, "the read is audited");
    let (_, refs) = app.api_get(&contractor, "/api/v1/referrals?status=").await;
    for r in refs["items"].as_array().unwrap() {
        assert!(
            assigned.contains(&r["child_id"].as_str().unwrap().to_string()),
            "contractor sees referrals of assigned children only"
        );
    }
    assert!(crate::helpers::audit_ok(&app).await);
}
dual!(roles_and_assignment);

async fn register_record_and_plan(app: TestApp) {
    let nurse = app.token("nurse@demo-city").await;
    let (s, c) = app.api_post(&nurse, "/api/v1/children", new_child()).await;
    assert_eq!(s, 201, "{c}");
    let id = c["id"].as_str().unwrap().to_string();
    assert_eq!(c["reading"], "しけん はなこ");
    assert_eq!(c["birth_date"], "2018-04-10", "和暦 input stored as a date");
    assert_eq!(c["family"].as_array().unwrap().len(), 2);
    assert_eq!(c["workers"][0]["is_primary"], true);
    assert!(c["possible_duplicates"].as_array().unwrap().is_empty());
    // Same reading and birth date: flagged.
    let (_, c2) = app.api_post(&nurse, "/api/v1/children", new_child()).await;
    assert_eq!(c2["possible_duplicates"][0]["id"], id.as_str());
    // Bad input: each problem in Japanese, nothing written.
    let before = app.count("SELECT COUNT(*) FROM children").await;
    let (s, v) = app.api_post(&nurse, "/api/v1/children", json!({"name": "", "birth_date": "2099-01-01", "sex": "x", "disease_group": 17, "certificate_to": "あした"})).await;
    assert_eq!(s, 422);
    let fields: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for f in [
        "name",
        "reading",
        "birth_date",
        "sex",
        "disease_group",
        "certificate_to",
    ] {
        assert!(fields.contains(&f), "{f}: {fields:?}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM children").await, before);
    // Over 20: warned.
    let (_, old) = app.api_post(&nurse, "/api/v1/children", json!({"name": "成人 一郎", "reading": "せいじん いちろう", "birth_date": "2000-01-01", "sex": "male", "disease_group": 1})).await;
    assert!(old["eligibility_warning"]
        .as_str()
        .unwrap()
        .contains("20歳以上"));
    // Consultation with a follow-up; plan revisions.
    let (s, _) = app.api_post(&nurse, &format!("/api/v1/children/{id}/consultations"), json!({"method": "電話", "kind": "療育相談指導", "participants": ["保護者"], "topics": ["学校"], "notes": "学校での注射について相談", "next_action": "養護教諭に連絡", "follow_up_date": "2030-01-10"})).await;
    assert_eq!(s, 201);
    let (s, v) = app
        .api_post(
            &nurse,
            &format!("/api/v1/children/{id}/consultations"),
            json!({"method": "同行", "kind": "療育相談指導"}),
        )
        .await;
    assert_eq!(s, 422, "同行 needs a destination: {v}");
    let (_, list) = app
        .api_get(&nurse, &format!("/api/v1/children/{id}/consultations"))
        .await;
    assert_eq!(
        list["items"][0]["minutes"], 30,
        "電話 defaults to 30 minutes"
    );
    for goal in ["学校で安心して過ごす", "自分で血糖を測って記録できる"] {
        let (s, _) = app.api_post(&nurse, &format!("/api/v1/children/{id}/plans"), json!({"child_words": "給食を食べたい", "long_term_goal": goal, "actions": [{"description": "学校と調整", "owner": "保健師"}]})).await;
        assert_eq!(s, 201);
    }
    let (_, plans) = app
        .api_get(&nurse, &format!("/api/v1/children/{id}/plans"))
        .await;
    assert_eq!(plans["items"][0]["revision"], 2);
    assert_eq!(
        plans["items"][1]["long_term_goal"], "学校で安心して過ごす",
        "earlier revision kept"
    );
    let b = app.browser_login("nurse@demo-city").await;
    let html = b
        .get(format!("{}/children/{id}/plan?a=1&b=2", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("第1版と第2版の違い") && html.contains("自分で血糖を測って記録できる"));
    let html = b
        .get(format!("{}/children/{id}", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("学校での注射について相談"),
        "timeline shows the consultation"
    );
    assert!(html.contains("自立支援計画 第2版"));
    // Follow-up list includes the scheduled re-contact (within a long window).
    let (_, due) = app
        .api_get(&nurse, "/api/v1/follow-ups?days=365&mine=true")
        .await;
    assert!(
        due["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["child_id"] == id.as_str() && d["kind"] == "renewal"),
        "certificate renewal within a year"
    );
    // PATCH with a stale version is refused.
    let res = client()
        .patch(format!("{}/api/v1/children/{id}", app.url))
        .bearer_auth(&nurse)
        .json(&json!({"school": "デモ市立青葉小学校", "version": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = client()
        .patch(format!("{}/api/v1/children/{id}", app.url))
        .bearer_auth(&nurse)
        .json(&json!({"school": "別の学校", "version": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    // The ecomap as SVG.
    let (s, _) = app.api_post(&nurse, &format!("/api/v1/children/{id}/ecomap"), json!({"person_name": "試験 由美", "affiliation": "母", "field": "家族", "strength": 3, "when_to_contact": "毎日"})).await;
    assert_eq!(s, 201);
    let res = client()
        .get(format!("{}/api/v1/children/{id}/ecomap.svg", app.url))
        .bearer_auth(&nurse)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("image/svg+xml"));
    let svg = res.text().await.unwrap();
    assert!(svg.starts_with("<svg") || svg.starts_with("<?xml"), "{svg}");
    assert!(svg.contains("試験 由美") || svg.contains("頼れる人マップ"));
}
dual!(register_record_and_plan);

/// つなぐ支援: only consented items may be shared; the partner sees only those; the
/// lifecycle needs a reason to decline and an outcome to close; revoking consent hides items.
async fn closed_loop_referral_with_consent(app: TestApp) {
    let worker = app.token("support_worker@demo-city").await;
    let (_, c) = app.api_post(&worker, "/api/v1/children", new_child()).await;
    let child = c["id"].as_str().unwrap().to_string();
    // The demo partner answers for the children's hospital.
    let hospital: String =
        sqlx::query_scalar("SELECT agency_id FROM users WHERE login = 'partner@demo-city'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    let (s, v) = app
        .api_post(
            &worker,
            &format!("/api/v1/children/{child}/referrals"),
            json!({"agency_id": hospital, "purpose": "移行期医療の相談", "items": ["basic"]}),
        )
        .await;
    assert_eq!(s, 422, "no consent yet: {v}");
    assert!(v["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("同意がありません"));
    let (s, consent) = app.api_post(&worker, &format!("/api/v1/children/{child}/consents"), json!({"agency_id": hospital, "purpose": "移行期医療の相談のため", "items": ["basic", "disease"], "method": "書面", "given_by": "母"})).await;
    assert_eq!(s, 201);
    let consent_id = consent["id"].as_str().unwrap().to_string();
    let (s, v) = app.api_post(&worker, &format!("/api/v1/children/{child}/referrals"), json!({"agency_id": hospital, "purpose": "移行期医療の相談", "items": ["basic", "medical_care"]})).await;
    assert_eq!(s, 422, "medical_care is not consented: {v}");
    let (s, r) = app.api_post(&worker, &format!("/api/v1/children/{child}/referrals"), json!({"agency_id": hospital, "purpose": "移行期医療の相談", "items": ["basic", "disease"], "message": "母の携帯へ平日午後に"})).await;
    assert_eq!(s, 201);
    let rid = r["id"].as_str().unwrap().to_string();
    // The partner sees it, with only the consented items.
    let partner = app.token("partner@demo-city").await;
    let (_, list) = app.api_get(&partner, "/api/v1/referrals?status=sent").await;
    assert!(list["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["id"] == rid.as_str()));
    let (s, d) = app
        .api_get(&partner, &format!("/api/v1/referrals/{rid}"))
        .await;
    assert_eq!(s, 200);
    assert_eq!(d["shared"]["name"], "試験 花子");
    assert_eq!(d["shared"]["disease_name"], "1型糖尿病");
    assert!(
        d["shared"]["medical_care"].is_null(),
        "unconsented: medical care"
    );
    assert!(
        d["shared"]["certificate"].is_null(),
        "unconsented: certificate"
    );
    assert!(d["shared"]["school"].is_null(), "unconsented: school");
    let body = d.to_string();
    assert!(
        d["shared"]["guardian_contact"]
            .as_str()
            .unwrap()
            .contains("090-0000-9999"),
        "連絡先 is part of the consented 基本情報"
    );
    for secret in ["1234567", "血糖測定", "デモ市立本町小学校", "試験 太郎"] {
        assert!(
            !body.contains(secret),
            "the partner never receives {secret}"
        );
    }
    // The partner cannot read the child's record itself.
    let (s, _) = app
        .api_get(&partner, &format!("/api/v1/children/{child}"))
        .await;
    assert_eq!(s, 403);
    // Lifecycle.
    let post_status =
        |token: String, to: &'static str, reason: &'static str, outcome: &'static str| {
            let url = format!("{}/api/v1/referrals/{rid}/status", app.url);
            async move {
                let res = client()
                    .post(url)
                    .bearer_auth(token)
                    .json(&json!({"status": to, "reason": reason, "outcome": outcome}))
                    .send()
                    .await
                    .unwrap();
                res.status().as_u16()
            }
        };
    assert_eq!(
        post_status(partner.clone(), "declined", "", "").await,
        422,
        "a reason is required to decline"
    );
    assert_eq!(post_status(partner.clone(), "accepted", "", "").await, 200);
    assert_eq!(
        post_status(partner.clone(), "in_progress", "", "").await,
        200
    );
    assert_eq!(
        post_status(partner.clone(), "completed", "", "").await,
        422,
        "an outcome is required to close"
    );
    assert_eq!(
        post_status(partner.clone(), "withdrawn", "x", "").await,
        422,
        "only the family (through the worker) withdraws"
    );
    assert_eq!(
        post_status(
            partner.clone(),
            "completed",
            "",
            "移行期医療支援外来の予約をとった"
        )
        .await,
        200
    );
    assert_eq!(
        post_status(partner.clone(), "accepted", "", "").await,
        422,
        "a closed referral stays closed"
    );
    let events = app
        .count(&format!(
            "SELECT COUNT(*) FROM referral_events WHERE referral_id = '{rid}'"
        ))
        .await;
    assert_eq!(
        events, 4,
        "sent, accepted, in_progress, completed — each timestamped with who"
    );
    let (_, d) = app
        .api_get(&worker, &format!("/api/v1/referrals/{rid}"))
        .await;
    assert_eq!(
        d["events"][1]["actor"], "渡辺 誠（関係機関）",
        "who made each change, without exposing login ids"
    );
    assert_eq!(d["outcome"], "移行期医療支援外来の予約をとった");
    // Revoking the consent hides the items from the partner at once.
    let res = client()
        .post(format!(
            "{}/api/v1/children/{child}/consents/{consent_id}/revoke",
            app.url
        ))
        .bearer_auth(&worker)
        .json(&json!({"reason": "母から電話で撤回の申し出"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let (_, d) = app
        .api_get(&partner, &format!("/api/v1/referrals/{rid}"))
        .await;
    assert!(
        d["shared"]["name"].is_null() && d["shared"]["disease_name"].is_null(),
        "{d}"
    );
    assert_eq!(d["child_name"], "（氏名は共有されていません）");
    // Another tenant's partner, and another agency's partner, see nothing.
    let other = app.token("partner@demo-pref").await;
    let (s, _) = app
        .api_get(&other, &format!("/api/v1/referrals/{rid}"))
        .await;
    assert_eq!(s, 404);
    sqlx::query("UPDATE users SET agency_id = (SELECT id FROM agencies WHERE id <> $1 AND tenant_id = (SELECT tenant_id FROM agencies WHERE id = $1) LIMIT 1) WHERE login = 'partner@demo-city'")
        .bind(&hospital)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let partner2 = app.token("partner@demo-city").await;
    let (s, _) = app
        .api_get(&partner2, &format!("/api/v1/referrals/{rid}"))
        .await;
    assert_eq!(s, 404, "a partner of another agency");
    // The partner's page shows the same restricted view.
    sqlx::query("UPDATE users SET agency_id = $1 WHERE login = 'partner@demo-city'")
        .bind(&hospital)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let b = app.browser_login("partner@demo-city").await;
    let html = b
        .get(format!("{}/referrals/{rid}", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("共有されている項目はありません"));
    assert!(!html.contains("試験 花子"));
}
dual!(closed_loop_referral_with_consent);

async fn quick_entry_page_and_handover(app: TestApp) {
    let nurse = app.token("nurse@demo-city").await;
    let (_, c) = app.api_post(&nurse, "/api/v1/children", new_child()).await;
    let id = c["id"].as_str().unwrap().to_string();
    let b = app.browser_login("nurse@demo-city").await;
    let csrf = csrf_of(&b, &format!("{}/children/{id}", app.url)).await;
    let res = b
        .post(format!("{}/children/{id}/consultations", app.url))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("method", "訪問"),
            ("kind", "療育相談指導"),
            ("participants", "本人"),
            ("participants", "保護者"),
            ("topics", "学校"),
            ("topics", "家族"),
            ("notes", "家庭訪問。本人は元気。"),
            ("date", "令和7年11月20日"),
            ("time", "14:30"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let (_, list) = app
        .api_get(&nurse, &format!("/api/v1/children/{id}/consultations"))
        .await;
    let c0 = &list["items"][0];
    assert_eq!(c0["participants"], json!(["本人", "保護者"]));
    assert_eq!(c0["topics"], json!(["学校", "家族"]));
    assert_eq!(c0["minutes"], 60);
    assert_eq!(
        c0["at"], "2025-11-20T05:30:00.000000Z",
        "14:30 JST stored as UTC"
    );
    // Handover to the support worker: the new worker sees the whole history.
    let sw: String =
        sqlx::query_scalar("SELECT id FROM users WHERE login = 'support_worker@demo-city'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    let res = b
        .post(format!("{}/children/{id}/handover", app.url))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("to_user", sw.as_str()),
            ("note", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422, "a handover needs a note");
    let res = b
        .post(format!("{}/children/{id}/handover", app.url))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("to_user", sw.as_str()),
            ("note", "母はメールを好む。更新時に面談。"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let swt = app.token("support_worker@demo-city").await;
    let (_, child) = app.api_get(&swt, &format!("/api/v1/children/{id}")).await;
    assert_eq!(child["workers"][0]["name"], "田中 健一");
    assert_eq!(child["workers"][0]["is_primary"], true);
    let (_, tl) = app
        .api_get(&swt, &format!("/api/v1/children/{id}/timeline"))
        .await;
    let kinds: Vec<&str> = tl["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"handover") && kinds.contains(&"consultation"),
        "{kinds:?}"
    );
    // Pages render for the record, plan, ecomap, follow-ups and referrals.
    for path in [
        format!("/children/{id}"),
        format!("/children/{id}/plan"),
        format!("/children/{id}/ecomap"),
        "/follow-ups".into(),
        "/referrals".into(),
        "/children".into(),
        "/ecomap/worksheet".into(),
    ] {
        let res = b.get(format!("{}{path}", app.url)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
    }
}
dual!(quick_entry_page_and_handover);

async fn ctx_of(app: &TestApp, login: &str) -> yorube::auth::Ctx {
    let id: String = sqlx::query_scalar("SELECT id FROM users WHERE login = $1")
        .bind(login)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    yorube::tenants::load_ctx(&app.db, &id)
        .await
        .unwrap()
        .unwrap()
}

/// The record page of `id` shows exactly what the separate store functions return.
async fn assert_record_page_matches(db: &yorube::db::Db, nurse: &yorube::auth::Ctx, id: &str) {
    use yorube::cases::store;
    let p = yorube::record::record_page(db, nurse, id, 200, 120)
        .await
        .unwrap();
    let child = store::get_child(db, nurse, id).await.unwrap();
    assert_eq!(
        serde_json::to_value(&p.child).unwrap(),
        serde_json::to_value(&child).unwrap(),
        "record of {id}"
    );
    let tl = yorube::record::timeline(db, nurse, id, 200).await.unwrap();
    assert_eq!(
        serde_json::to_value(&p.timeline).unwrap(),
        serde_json::to_value(&tl).unwrap(),
        "timeline of {id}"
    );
    let refs = store::list_referrals(db, nurse, None, Some(id))
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&p.referrals).unwrap(),
        serde_json::to_value(&refs).unwrap(),
        "referrals of {id}"
    );
    let due = store::child_due(db, nurse, id, 120).await.unwrap();
    assert_eq!(
        serde_json::to_value(&p.due).unwrap(),
        serde_json::to_value(&due).unwrap(),
        "due for {id}"
    );
    let inds = store::indicators(db, nurse, id).await.unwrap();
    assert_eq!(
        serde_json::to_value(&p.indicators).unwrap(),
        serde_json::to_value(&inds).unwrap()
    );
    assert_eq!(p.staff, store::staff(db, nurse).await.unwrap());
    let uses = yorube::services::store::child_uses(db, nurse, id)
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&p.services).unwrap(),
        serde_json::to_value(&uses).unwrap()
    );
    let confs = yorube::conferences::store::list_for_child(db, nurse, id)
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&p.conferences).unwrap(),
        serde_json::to_value(&confs).unwrap(),
        "case conferences of {id}"
    );
}

/// The record page reads everything in a few queries; it must show exactly what the
/// separate store functions return, for every demo child, and audit each view.
async fn record_page_matches_the_separate_reads(app: TestApp) {
    let db = &app.db;
    let nurse = ctx_of(&app, "nurse@demo-city").await;
    let ids = child_ids(&app, "demo-city").await;
    let views_before = app
        .count("SELECT COUNT(*) FROM audit_log WHERE action = 'child.view'")
        .await;
    let mut compared = 0;
    for id in &ids {
        assert_record_page_matches(db, &nurse, id).await;
        compared += 1;
    }
    assert!(compared >= 40);
    // The demo has children with family, consents, referrals, indicators, due items,
    // optional services and case conferences.
    let mut seen = (false, false, false, false, false, false, false);
    for id in &ids {
        let p = yorube::record::record_page(db, &nurse, id, 200, 120)
            .await
            .unwrap();
        seen.0 |= !p.child.input.family.is_empty();
        seen.1 |= !p.child.consents.is_empty();
        seen.2 |= !p.referrals.is_empty();
        seen.3 |= !p.indicators.is_empty();
        seen.4 |= !p.due.is_empty();
        seen.5 |= !p.services.is_empty();
        seen.6 |= !p.conferences.is_empty();
    }
    assert_eq!(
        seen,
        (true, true, true, true, true, true, true),
        "the comparison covered every part"
    );
    let views = app
        .count("SELECT COUNT(*) FROM audit_log WHERE action = 'child.view'")
        .await;
    // Two record_page calls, one get_child and one list of case conferences per child,
    // each one audited view.
    assert_eq!(views - views_before, 4 * ids.len() as i64);
    // Another tenant's staff: not found, and nothing audited as a view.
    let other = ctx_of(&app, "nurse@demo-pref").await;
    let err = yorube::record::record_page(db, &other, &ids[0], 200, 120)
        .await
        .err()
        .unwrap();
    assert!(matches!(err, yorube::AppError::NotFound));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'child.view'")
            .await,
        views
    );
}
dual!(record_page_matches_the_separate_reads);

/// The record page keeps what it read besides the record and reuses it
/// while nothing it shows has changed. Every kind of change, made through the store or
/// straight in SQL (as another process or tool would), shows on the next view.
async fn record_page_cache_follows_every_change(app: TestApp) {
    use yorube::cases::store;
    let db = &app.db;
    let nurse = ctx_of(&app, "nurse@demo-city").await;
    let id: String = sqlx::query_scalar(
        "SELECT r.child_id FROM referrals r JOIN consents c ON c.child_id = r.child_id \
         JOIN service_participants p ON p.child_id = r.child_id \
         WHERE r.tenant_id = $1 AND c.revoked_at IS NULL ORDER BY r.child_id LIMIT 1",
    )
    .bind(nurse.tenant().unwrap())
    .fetch_one(&db.pool)
    .await
    .expect("a demo child with a referral, a consent and an optional service");
    let hits = || db.ext::<yorube::record::RecordCache>().hits();
    assert_record_page_matches(db, &nurse, &id).await;
    let before = hits();
    assert_record_page_matches(db, &nurse, &id).await;
    assert!(hits() > before, "the second view was served from the cache");

    // Through the store.
    store::add_consultation(
        db,
        &nurse,
        &id,
        &store::ConsultationInput {
            method: "電話".into(),
            kind: "療育相談指導".into(),
            notes: "キャッシュの確認".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let page = yorube::record::record_page(db, &nurse, &id, 200, 120)
        .await
        .unwrap();
    assert!(page
        .timeline
        .iter()
        .any(|i| i.body.contains("キャッシュの確認")));
    assert_record_page_matches(db, &nurse, &id).await;

    let consent = page
        .child
        .consents
        .iter()
        .find(|c| c.active)
        .unwrap()
        .clone();
    store::revoke_consent(db, &nurse, &id, &consent.id, "本人の希望")
        .await
        .unwrap();
    assert_record_page_matches(db, &nurse, &id).await;

    // Straight in SQL: the child's own tables, a referral's history and the tenant's
    // shared tables (agencies, staff, optional services).
    let t = nurse.tenant().unwrap().to_string();
    let referral: String =
        sqlx::query_scalar("SELECT id FROM referrals WHERE child_id = $1 ORDER BY id LIMIT 1")
            .bind(&id)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    let changes: Vec<(&str, Vec<String>)> = vec![
        (
            "UPDATE agencies SET name = name || '（改称）' WHERE id = $1",
            vec![consent.agency_id.clone()],
        ),
        (
            "UPDATE users SET display_name = display_name || '（改姓）' WHERE id IN (SELECT user_id FROM child_workers WHERE child_id = $1)",
            vec![id.clone()],
        ),
        (
            "INSERT INTO referral_events (id, tenant_id, referral_id, at, actor, from_status, to_status, note) VALUES ('cache-test-event', $1, $2, '2026-01-05T00:00:00.000000Z', '試験', 'accepted', 'in_progress', 'キャッシュの確認')",
            vec![t.clone(), referral.clone()],
        ),
        (
            "UPDATE service_events SET title = title || '（変更）' WHERE id IN (SELECT event_id FROM service_participants WHERE child_id = $1)",
            vec![id.clone()],
        ),
        (
            "UPDATE follow_ups SET note = note || '（追記）' WHERE child_id = $1",
            vec![id.clone()],
        ),
        ("DELETE FROM family_members WHERE child_id = $1", vec![id.clone()]),
        ("DELETE FROM indicators WHERE child_id = $1", vec![id.clone()]),
    ];
    for (sql, args) in changes {
        let mut q = sqlx::query(sql);
        for a in &args {
            q = q.bind(a.clone());
        }
        let n = q.execute(&db.pool).await.unwrap().rows_affected();
        assert!(n > 0, "{sql} changed nothing");
        assert_record_page_matches(db, &nurse, &id).await;
    }
    let page = yorube::record::record_page(db, &nurse, &id, 200, 120)
        .await
        .unwrap();
    assert!(page.child.input.family.is_empty());
    assert!(page.indicators.is_empty());
    assert!(page
        .child
        .consents
        .iter()
        .any(|c| c.agency_name.ends_with("（改称）")));
    assert!(page
        .child
        .workers
        .iter()
        .all(|w| w.name.ends_with("（改姓）")));
    assert!(page
        .timeline
        .iter()
        .any(|i| i.kind == "referral" && i.body == "キャッシュの確認"));
}
dual!(record_page_cache_follows_every_change);

/// Views recorded at the same moment are committed together (group commit) and the
/// chain stays one unbroken line with distinct sequence numbers.
async fn concurrent_views_are_all_audited_in_one_chain(app: TestApp) {
    let nurse = ctx_of(&app, "nurse@demo-city").await;
    let ids = child_ids(&app, "demo-city").await;
    let before = app.count("SELECT COUNT(*) FROM audit_log").await;
    let mut tasks = vec![];
    for k in 0..64 {
        let db = app.db.clone();
        let ctx = nurse.clone();
        let id = ids[k % ids.len()].clone();
        tasks.push(tokio::spawn(async move {
            yorube::record::record_page(&db, &ctx, &id, 50, 60)
                .await
                .map(|p| p.child.id)
        }));
    }
    for (k, t) in tasks.into_iter().enumerate() {
        assert_eq!(t.await.unwrap().unwrap(), ids[k % ids.len()]);
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log").await,
        before + 64
    );
    assert_eq!(
        app.count("SELECT COUNT(DISTINCT seq) FROM audit_log").await,
        app.count("SELECT COUNT(*) FROM audit_log").await
    );
    assert!(crate::helpers::audit_ok(&app).await, "the chain verifies");
}
dual!(concurrent_views_are_all_audited_in_one_chain);
