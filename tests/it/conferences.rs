//! Case conferences (ケース会議): agencies only with the family's consent (nothing saved
//! otherwise), the intersection of consented items, revoked consent, reflection into
//! the support plan exactly once, tenant separation, contractor scope, audit — on both
//! engines.

use serde_json::{json, Value};

use crate::helpers::{client, csrf_of, TestApp, TENANT_ROLES};

fn messages(v: &Value) -> String {
    v["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["message"].as_str().unwrap_or("").to_string())
                .collect::<Vec<_>>()
                .join(" / ")
        })
        .unwrap_or_else(|| v["detail"].as_str().unwrap_or("").to_string())
}

async fn patch(app: &TestApp, token: &str, path: &str, body: Value) -> (u16, Value) {
    let res = client()
        .patch(format!("{}{path}", app.url))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let s = res.status().as_u16();
    (s, res.json().await.unwrap_or(Value::Null))
}

/// An agency of デモ市 in `field` (id, name), the `nth` one by name.
async fn agency(app: &TestApp, field: &str, nth: usize) -> (String, String) {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT a.id, a.name FROM agencies a JOIN tenants t ON t.id = a.tenant_id \
         WHERE t.code = 'demo-city' AND a.field = $1 AND a.deleted_at IS NULL ORDER BY a.name, a.id",
    )
    .bind(field)
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    rows[nth].clone()
}

struct Fixture {
    child: String,
    hospital: (String, String),
    school: (String, String),
    school_consent: String,
    other: (String, String),
}

/// A new child of デモ市 with the family's consent for a hospital (basic, disease,
/// medical_care, school) and a school (basic, disease, medical_care); `other` has none.
async fn fixture(app: &TestApp, token: &str, name: &str) -> Fixture {
    let (s, c) = app
        .api_post(
            token,
            "/api/v1/children",
            json!({"name": name, "reading": "しけん", "birth_date": "2015-06-01", "sex": "female",
                   "disease_group": 7, "disease_name": "1型糖尿病", "school": "デモ市立本町小学校", "grade": "小学5年",
                   "medical_care": "血糖測定・インスリン注射",
                   "family": [{"relation": "母", "name": format!("{name}の母"), "phone": "090-0000-1111", "is_guardian": true}]}),
        )
        .await;
    assert_eq!(s, 201, "{c}");
    let child = c["id"].as_str().unwrap().to_string();
    let hospital = agency(app, "医療", 0).await;
    let school = agency(app, "教育", 0).await;
    let other = agency(app, "就労", 0).await;
    let consent = |a: &str, items: Value| json!({"agency_id": a, "purpose": "ケース会議での情報共有", "items": items, "method": "書面", "given_by": "母"});
    let (s, v) = app
        .api_post(
            token,
            &format!("/api/v1/children/{child}/consents"),
            consent(
                &hospital.0,
                json!(["basic", "disease", "medical_care", "school"]),
            ),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let (s, v) = app
        .api_post(
            token,
            &format!("/api/v1/children/{child}/consents"),
            consent(&school.0, json!(["basic", "disease", "medical_care"])),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    Fixture {
        child,
        hospital,
        school,
        school_consent: v["id"].as_str().unwrap().to_string(),
        other,
    }
}

fn conference(date: &str, participants: Value) -> Value {
    json!({"date": date, "time": "16:00", "duration_minutes": 60, "place": "本町小学校 会議室",
           "purpose": "体調不良時の連絡と役割の確認", "participants": participants})
}

async fn counts(app: &TestApp) -> (i64, i64, i64, i64) {
    (
        app.count("SELECT COUNT(*) FROM meetings").await,
        app.count("SELECT COUNT(*) FROM conference_participants")
            .await,
        app.count("SELECT COUNT(*) FROM action_items").await,
        app.count("SELECT COUNT(*) FROM support_plans").await,
    )
}

/// An agency without the family's consent is refused (API and page) with a Japanese
/// message, and nothing is saved; a bad agenda or a missing purpose likewise.
async fn agency_without_consent_is_refused_and_nothing_saved(app: TestApp) {
    let nurse = app.token("nurse@demo-city").await;
    let f = fixture(&app, &nurse, "会議 一花").await;
    let staff: String =
        sqlx::query_scalar("SELECT id FROM users WHERE login = 'support_worker@demo-city'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    let before = counts(&app).await;
    let path = format!("/api/v1/children/{}/conferences", f.child);
    let (s, v) = app
        .api_post(
            &nurse,
            &path,
            conference(
                "2026-02-10",
                json!([{"kind": "agency", "agency_id": f.hospital.0}, {"kind": "agency", "agency_id": f.other.0, "name": "相談員"}]),
            ),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    let m = messages(&v);
    assert!(
        m.contains(&format!(
            "「{}」は、この子どもの情報共有について家族の同意がない",
            f.other.1
        )) && m.contains("同意の記録がありません")
            && m.contains("参加者 2"),
        "{m}"
    );
    assert_eq!(counts(&app).await, before, "nothing saved");
    // An agenda that overruns the meeting; no purpose; an unknown kind.
    let mut c = conference("2026-02-10", json!([{"kind": "guest", "name": "x"}]));
    c["duration_minutes"] = json!(45);
    c["purpose"] = json!(" ");
    let (s, v) = app.api_post(&nurse, &path, c).await;
    assert_eq!(s, 422, "{v}");
    let m = messages(&v);
    assert!(m.contains("役割分担") && m.contains("超えています"), "{m}");
    assert!(m.contains("会議の目的を入力してください"), "{m}");
    assert_eq!(counts(&app).await, before, "nothing saved");
    let (s, v) = app
        .api_post(
            &nurse,
            &path,
            conference("2026-02-10", json!([{"kind": "guest", "name": "x"}])),
        )
        .await;
    assert_eq!(s, 422);
    assert!(messages(&v).contains("参加者の種類は"), "{v}");
    assert_eq!(counts(&app).await, before, "nothing saved");

    // With consent: saved, with the case-conference agenda by default.
    let (s, v) = app
        .api_post(
            &nurse,
            &path,
            conference(
                "2026-02-10",
                json!([{"kind": "staff", "user_id": staff}, {"kind": "family", "name": "母"},
                       {"kind": "agency", "agency_id": f.hospital.0, "name": "主治医"}]),
            ),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let id = v["id"].as_str().unwrap().to_string();
    let (s, c) = app
        .api_get(&nurse, &format!("/api/v1/conferences/{id}"))
        .await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(c["title"], "ケース会議");
    let titles: Vec<&str> = c["agenda"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "目的の確認",
            "現状の共有",
            "支援の検討",
            "役割分担",
            "次回の確認"
        ]
    );
    assert_eq!(c["participants"].as_array().unwrap().len(), 3);
    assert_eq!(c["participants"][2]["consented"], true);

    // Adding the unconsented agency later: refused, nothing saved (API and page).
    let before = counts(&app).await;
    let (s, v) = app
        .api_post(
            &nurse,
            &format!("/api/v1/conferences/{id}/participants"),
            json!({"kind": "agency", "agency_id": f.other.0}),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    assert!(messages(&v).contains("先に「情報共有の同意」で家族の同意を記録してください"));
    let b = app.browser_login("nurse@demo-city").await;
    let page = format!("{}/conferences/{id}", app.url);
    let csrf = csrf_of(&b, &page).await;
    let res = b
        .post(format!("{page}/participants"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("kind", "agency"),
            ("agency_id", f.other.0.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("role=\"alert\"")
            && html.contains("家族の同意がないため、ケース会議の参加者にできません"),
        "the page says why"
    );
    assert_eq!(counts(&app).await, before, "nothing saved");
    // A revoked consent is no consent: the school after revocation is refused too.
    let (s, _) = app
        .api_post(
            &nurse,
            &format!(
                "/api/v1/children/{}/consents/{}/revoke",
                f.child, f.school_consent
            ),
            json!({"reason": "母から電話で撤回の申し出"}),
        )
        .await;
    assert!(s == 200 || s == 204, "{s}");
    let before = counts(&app).await;
    let (s, v) = app
        .api_post(
            &nurse,
            &format!("/api/v1/conferences/{id}/participants"),
            json!({"kind": "agency", "agency_id": f.school.0}),
        )
        .await;
    assert_eq!(s, 422);
    assert!(messages(&v).contains("撤回されました"), "{v}");
    // The same staff twice; an agency of the registry that does not exist.
    let (s, v) = app
        .api_post(
            &nurse,
            &format!("/api/v1/conferences/{id}/participants"),
            json!({"kind": "staff", "user_id": staff}),
        )
        .await;
    assert_eq!(s, 422);
    assert!(messages(&v).contains("既に参加者です"), "{v}");
    let (s, _) = app
        .api_post(
            &nurse,
            &format!("/api/v1/conferences/{id}/participants"),
            json!({"kind": "agency", "agency_id": "no-such-agency"}),
        )
        .await;
    assert_eq!(s, 422);
    assert_eq!(counts(&app).await, before, "nothing saved");
    assert!(crate::helpers::audit_ok(&app).await);
}
dual!(agency_without_consent_is_refused_and_nothing_saved);

/// The conference shows the items every participating agency may see; a revoked
/// consent marks the agency 同意なし and hides the record; staff and family alone see
/// everything.
async fn shared_items_are_the_intersection_and_revocation_hides_them(app: TestApp) {
    let nurse = app.token("nurse@demo-city").await;
    let f = fixture(&app, &nurse, "会議 二葉").await;
    let (s, v) = app
        .api_post(
            &nurse,
            &format!("/api/v1/children/{}/conferences", f.child),
            conference(
                "2026-02-12",
                json!([{"kind": "agency", "agency_id": f.hospital.0, "name": "主治医"},
                       {"kind": "agency", "agency_id": f.school.0, "name": "担任"}]),
            ),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let id = v["id"].as_str().unwrap().to_string();
    let (_, c) = app
        .api_get(&nurse, &format!("/api/v1/conferences/{id}"))
        .await;
    assert_eq!(
        c["shared_items"],
        json!(["basic", "disease", "medical_care"])
    );
    assert_eq!(c["shared"]["name"], "会議 二葉");
    assert_eq!(c["shared"]["disease_name"], "1型糖尿病");
    assert_eq!(
        c["shared"]["school"],
        Value::Null,
        "the school did not consent to 学校・職場"
    );
    let school_item = c["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["key"] == "school")
        .unwrap()
        .clone();
    assert_eq!(school_item["shown"], false);
    assert!(
        school_item["reason"]
            .as_str()
            .unwrap()
            .contains(&format!("{} の同意に含まれていません", f.school.1)),
        "{school_item}"
    );
    assert_eq!(c["unconsented"], json!([]));
    let b = app.browser_login("nurse@demo-city").await;
    let html = b
        .get(format!("{}/conferences/{id}/print", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("<dt>疾患</dt>")
            && html.contains("インスリン注射")
            && html.contains("会議 二葉 さん")
    );
    assert!(
        !html.contains("本町小学校 小学5年"),
        "学校・職場 is not printed"
    );

    // The family revokes the school's consent: 同意なし, and nothing of the record shown.
    let (s, _) = app
        .api_post(
            &nurse,
            &format!(
                "/api/v1/children/{}/consents/{}/revoke",
                f.child, f.school_consent
            ),
            json!({"reason": "母から撤回の申し出"}),
        )
        .await;
    assert!(s == 200 || s == 204);
    let (_, c) = app
        .api_get(&nurse, &format!("/api/v1/conferences/{id}"))
        .await;
    let school = c["participants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["agency_id"] == f.school.0.as_str())
        .unwrap()
        .clone();
    assert_eq!(school["consented"], false);
    assert!(school["consent_note"].as_str().unwrap().contains("撤回"));
    assert_eq!(c["shared_items"], json!([]));
    assert_eq!(c["shared"]["name"], Value::Null);
    assert_eq!(c["shared"]["disease_name"], Value::Null);
    assert_eq!(c["unconsented"], json!([f.school.1]));
    for page in ["", "/print"] {
        let html = b
            .get(format!("{}/conferences/{id}{page}", app.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(html.contains("同意なし"), "{page}: marked");
        assert!(
            !html.contains("<dt>疾患</dt>") && !html.contains("インスリン注射"),
            "{page}: hidden"
        );
    }
    // Without the school, the hospital's items are shown again.
    let pid = school["id"].as_str().unwrap();
    let res = client()
        .delete(format!(
            "{}/api/v1/conferences/{id}/participants/{pid}",
            app.url
        ))
        .bearer_auth(&nurse)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let (_, c) = app
        .api_get(&nurse, &format!("/api/v1/conferences/{id}"))
        .await;
    assert_eq!(
        c["shared_items"],
        json!(["basic", "disease", "school", "medical_care"])
    );
    assert_eq!(c["shared"]["school"], "デモ市立本町小学校 小学5年");
    // Staff and family only: every item.
    let (s, v) = app
        .api_post(
            &nurse,
            &format!("/api/v1/children/{}/conferences", f.child),
            conference("2026-02-13", json!([{"kind": "family", "name": "本人"}])),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let (_, c) = app
        .api_get(
            &nurse,
            &format!("/api/v1/conferences/{}", v["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(c["shared_items"].as_array().unwrap().len(), 8);
}
dual!(shared_items_are_the_intersection_and_revocation_hides_them);

/// 「支援計画に反映」 makes one new revision with the outcomes appended (未着手) and keeps
/// the earlier ones; a second reflection is refused, later outcomes alone are added.
async fn reflect_creates_a_revision_with_the_outcomes_exactly_once(app: TestApp) {
    let nurse = app.token("nurse@demo-city").await;
    let f = fixture(&app, &nurse, "会議 三咲").await;
    let (s, _) = app
        .api_post(
            &nurse,
            &format!("/api/v1/children/{}/plans", f.child),
            json!({"long_term_goal": "学校で安心して過ごす", "actions": [{"description": "主治医と学校の連絡", "owner": "保健師", "status": "実施中"}]}),
        )
        .await;
    assert_eq!(s, 201);
    let yesterday = (yorube::time::today_jst() - chrono::Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    let (s, v) = app
        .api_post(
            &nurse,
            &format!("/api/v1/children/{}/conferences", f.child),
            conference(
                &yesterday,
                json!([{"kind": "agency", "agency_id": f.hospital.0}]),
            ),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let id = v["id"].as_str().unwrap().to_string();
    let reflect = format!("/api/v1/conferences/{id}/reflect");
    let before = counts(&app).await;
    let (s, v) = app.api_post(&nurse, &reflect, json!({})).await;
    assert_eq!(s, 422, "{v}");
    assert!(messages(&v).contains("反映する結果がありません"), "{v}");
    // Bad outcomes: Japanese messages, nothing saved.
    let outcomes = format!("/api/v1/conferences/{id}/outcomes");
    let (s, v) = app
        .api_post(
            &nurse,
            &outcomes,
            json!({"description": " ", "owner": "", "due_date": "来月"}),
        )
        .await;
    assert_eq!(s, 422);
    let m = messages(&v);
    assert!(
        m.contains("決まったこと") && m.contains("担当") && m.contains("期限は"),
        "{m}"
    );
    assert_eq!(counts(&app).await, before);
    for (d, o, due) in [
        (
            "学校生活管理指導表を更新する",
            f.hospital.1.as_str(),
            "2026-03-01",
        ),
        ("連絡票を作る", "担任 山田", "令和8年3月15日"),
    ] {
        let (s, v) = app
            .api_post(
                &nurse,
                &outcomes,
                json!({"description": d, "owner": o, "due_date": due}),
            )
            .await;
        assert_eq!(s, 201, "{v}");
    }
    // Record: attendance, minutes, decisions; an unknown participant refused.
    let (_, c) = app
        .api_get(&nurse, &format!("/api/v1/conferences/{id}"))
        .await;
    let pid = c["participants"][0]["id"].as_str().unwrap().to_string();
    let (s, v) = patch(
        &app,
        &nurse,
        &format!("/api/v1/conferences/{id}"),
        json!({"attended": ["nobody"]}),
    )
    .await;
    assert_eq!(s, 422, "{v}");
    let (s, c) = patch(&app, &nurse, &format!("/api/v1/conferences/{id}"), json!({"attended": [pid], "minutes": "主治医から注意点の説明", "decisions": "連絡票を作る"})).await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(c["participants"][0]["attended"], true);
    assert_eq!(c["minutes"], "主治医から注意点の説明");
    let (s, c) = patch(
        &app,
        &nurse,
        &format!("/api/v1/conferences/{id}"),
        json!({"decisions": "連絡票を作る（学校）"}),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(c["minutes"], "主治医から注意点の説明", "left out, kept");

    let (s, r) = app.api_post(&nurse, &reflect, json!({})).await;
    assert_eq!(s, 201, "{r}");
    assert_eq!(r, json!({"revision": 2, "added": 2}));
    let (_, plans) = app
        .api_get(&nurse, &format!("/api/v1/children/{}/plans", f.child))
        .await;
    let items = plans["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "the earlier revision is kept");
    assert_eq!(items[0]["revision"], 2);
    assert_eq!(items[0]["long_term_goal"], "学校で安心して過ごす", "copied");
    let actions = items[0]["actions"].as_array().unwrap();
    assert_eq!(actions.len(), 3);
    assert_eq!(
        actions[0]["status"], "実施中",
        "earlier actions as they were"
    );
    assert_eq!(actions[1]["description"], "学校生活管理指導表を更新する");
    assert_eq!(actions[1]["owner"], f.hospital.1.as_str());
    assert_eq!(actions[1]["due_date"], "2026-03-01");
    assert_eq!(actions[2]["due_date"], "2026-03-15");
    assert!(actions[1..].iter().all(|a| a["status"] == "未着手"));
    assert!(items[0]["note"]
        .as_str()
        .unwrap()
        .contains("ケース会議「ケース会議」"));
    assert_eq!(items[1]["actions"].as_array().unwrap().len(), 1);

    // Twice: refused, nothing added.
    let before = counts(&app).await;
    let (s, v) = app.api_post(&nurse, &reflect, json!({})).await;
    assert_eq!(s, 409, "{v}");
    assert!(
        messages(&v).contains("すでに自立支援計画の第2版に反映しています"),
        "{v}"
    );
    assert_eq!(counts(&app).await, before);
    // The page: 「反映済み」 and no button.
    let b = app.browser_login("nurse@demo-city").await;
    let html = b
        .get(format!("{}/conferences/{id}", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("第2版に反映済み") && !html.contains(">支援計画に反映</button>"));

    // A later outcome, reflected by two requests at once: one new revision only.
    let (s, _) = app
        .api_post(
            &nurse,
            &outcomes,
            json!({"description": "1か月後に電話で様子を聞く", "owner": "保健師"}),
        )
        .await;
    assert_eq!(s, 201);
    let (a, b2) = tokio::join!(
        app.api_post(&nurse, &reflect, json!({})),
        app.api_post(&nurse, &reflect, json!({}))
    );
    let mut st = [a.0, b2.0];
    st.sort();
    assert_eq!(st, [201, 409], "{a:?} {b2:?}");
    let (_, plans) = app
        .api_get(&nurse, &format!("/api/v1/children/{}/plans", f.child))
        .await;
    assert_eq!(plans["items"][0]["revision"], 3);
    assert_eq!(plans["items"][0]["actions"].as_array().unwrap().len(), 4);
    let (_, c) = app
        .api_get(&nurse, &format!("/api/v1/conferences/{id}"))
        .await;
    assert_eq!(c["reflected_revision"], 3);
    let revs: Vec<i64> = c["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["plan_revision"].as_i64().unwrap())
        .collect();
    assert_eq!(revs, [2, 2, 3]);

    // The timeline shows the (held) conference and the plan revisions; the record page
    // lists it.
    let (_, tl) = app
        .api_get(&nurse, &format!("/api/v1/children/{}/timeline", f.child))
        .await;
    let conf = tl["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "conference")
        .expect("the conference is on the timeline")
        .clone();
    assert_eq!(conf["title"], "ケース会議");
    assert!(
        conf["body"]
            .as_str()
            .unwrap()
            .contains("自立支援計画 第3版に反映"),
        "{conf}"
    );
    let html = b
        .get(format!("{}/children/{}", app.url, f.child))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(&format!("href=\"/conferences/{id}\"")) && html.contains("計画 第3版に反映")
    );

    // A child without a plan: the reflection starts one (第1版).
    let g = fixture(&app, &nurse, "会議 四季").await;
    let (_, v) = app
        .api_post(
            &nurse,
            &format!("/api/v1/children/{}/conferences", g.child),
            conference("2026-02-20", json!([])),
        )
        .await;
    let id2 = v["id"].as_str().unwrap().to_string();
    let (s, _) = app
        .api_post(
            &nurse,
            &format!("/api/v1/conferences/{id2}/outcomes"),
            json!({"description": "家族会を紹介する", "owner": "自立支援員"}),
        )
        .await;
    assert_eq!(s, 201);
    let (s, r) = app
        .api_post(
            &nurse,
            &format!("/api/v1/conferences/{id2}/reflect"),
            json!({}),
        )
        .await;
    assert_eq!((s, r["revision"].as_i64()), (201, Some(1)));
    let (_, plans) = app
        .api_get(&nurse, &format!("/api/v1/children/{}/plans", g.child))
        .await;
    assert_eq!(
        plans["items"][0]["actions"][0]["description"],
        "家族会を紹介する"
    );
    assert!(crate::helpers::audit_ok(&app).await);
}
dual!(reflect_creates_a_revision_with_the_outcomes_exactly_once);

/// Every role of the other tenant gets 404 (partners and auditors 403) for every
/// conference id, on the API and the pages; nothing is written.
async fn other_tenant_gets_404_for_every_conference(app: TestApp) {
    let nurse = app.token("nurse@demo-city").await;
    let f = fixture(&app, &nurse, "会議 五月").await;
    let (s, _) = app
        .api_post(
            &nurse,
            &format!("/api/v1/children/{}/conferences", f.child),
            conference("2026-02-10", json!([])),
        )
        .await;
    assert_eq!(s, 201);
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT m.id FROM meetings m JOIN tenants t ON t.id = m.tenant_id WHERE t.code = 'demo-city' AND m.kind = 'case_conference' ORDER BY m.id",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert!(ids.len() >= 3, "the demo's two and the new one");
    let before = counts(&app).await;
    for role in TENANT_ROLES {
        let t = app.token(&format!("{role}@demo-pref")).await;
        let expect = if matches!(role, "partner" | "auditor") {
            403
        } else {
            404
        };
        for id in &ids {
            let (s, _) = app.api_get(&t, &format!("/api/v1/conferences/{id}")).await;
            assert_eq!(s, expect, "{role} GET {id}");
            let (s, _) = patch(
                &app,
                &t,
                &format!("/api/v1/conferences/{id}"),
                json!({"minutes": "x"}),
            )
            .await;
            assert_eq!(s, expect, "{role} PATCH");
            for (sub, body) in [
                ("reflect", json!({})),
                ("outcomes", json!({"description": "x", "owner": "y"})),
                ("participants", json!({"kind": "family", "name": "母"})),
            ] {
                let (s, _) = app
                    .api_post(&t, &format!("/api/v1/conferences/{id}/{sub}"), body)
                    .await;
                assert_eq!(s, expect, "{role} POST {sub}");
            }
            // The network's meeting endpoints do not reach conferences either.
            let (s, _) = app.api_get(&t, &format!("/api/v1/meetings/{id}")).await;
            assert!(s == 404 || s == 403, "{role} meetings/{id}: {s}");
        }
        let (s, _) = app
            .api_get(&t, &format!("/api/v1/children/{}/conferences", f.child))
            .await;
        assert_eq!(s, expect, "{role} list");
        let (s, _) = app
            .api_post(
                &t,
                &format!("/api/v1/children/{}/conferences", f.child),
                conference("2026-02-10", json!([])),
            )
            .await;
        assert_eq!(s, expect, "{role} create");
    }
    let b = app.browser_login("nurse@demo-pref").await;
    for id in &ids {
        for page in ["", "/print"] {
            let res = b
                .get(format!("{}/conferences/{id}{page}", app.url))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 404);
            assert!(
                !res.text().await.unwrap().contains("ケース会議（"),
                "no trace"
            );
        }
    }
    let res = b
        .get(format!("{}/children/{}/conferences/new", app.url, f.child))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(counts(&app).await, before, "nothing written");
    // The conference's outcomes are not the network's action items.
    let admin = app.token("tenant_admin@demo-city").await;
    let (_, open) = app.api_get(&admin, "/api/v1/action-items").await;
    let outcome: String = sqlx::query_scalar(
        "SELECT a.id FROM action_items a JOIN meetings m ON m.id = a.meeting_id WHERE m.kind = 'case_conference' ORDER BY a.id LIMIT 1",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert!(
        !open["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == outcome.as_str()),
        "not listed as a council action"
    );
    let (s, _) = patch(
        &app,
        &admin,
        &format!("/api/v1/action-items/{outcome}"),
        json!({"status": "done"}),
    )
    .await;
    assert_eq!(s, 404);
    let (s, _) = app
        .api_post(
            &admin,
            &format!("/api/v1/meetings/{}/actions", ids[0]),
            json!({"description": "x", "owner": "y"}),
        )
        .await;
    assert_eq!(s, 404);
}
dual!(other_tenant_gets_404_for_every_conference);

/// A contractor reaches only the conferences of the children assigned to them; every
/// view of a conference (API, page, print, list) is one audited read of the child.
async fn contractor_scope_and_audit_per_view(app: TestApp) {
    let contractor = app.token("contractor@demo-city").await;
    let assigned: Vec<String> = sqlx::query_scalar(
        "SELECT w.child_id FROM child_workers w JOIN users u ON u.id = w.user_id WHERE u.login = 'contractor@demo-city' ORDER BY w.child_id",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    // The demo's conferences are of a child of the 自立支援員 (not assigned to the contractor).
    let demo: Vec<(String, String)> = sqlx::query_as(
        "SELECT m.id, m.child_id FROM meetings m JOIN tenants t ON t.id = m.tenant_id WHERE t.code = 'demo-city' AND m.kind = 'case_conference'",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(demo.len(), 2);
    let before = counts(&app).await;
    for (id, child) in &demo {
        assert!(!assigned.contains(child));
        let (s, _) = app
            .api_get(&contractor, &format!("/api/v1/conferences/{id}"))
            .await;
        assert_eq!(s, 404);
        let (s, _) = app
            .api_post(
                &contractor,
                &format!("/api/v1/conferences/{id}/reflect"),
                json!({}),
            )
            .await;
        assert_eq!(s, 404);
        let (s, _) = app
            .api_get(
                &contractor,
                &format!("/api/v1/children/{child}/conferences"),
            )
            .await;
        assert_eq!(s, 404);
    }
    let b = app.browser_login("contractor@demo-city").await;
    let res = b
        .get(format!("{}/conferences/{}", app.url, demo[0].0))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(counts(&app).await, before);
    // For an assigned child the contractor plans and views a conference.
    let (s, v) = app
        .api_post(
            &contractor,
            &format!("/api/v1/children/{}/conferences", assigned[0]),
            conference("2026-03-02", json!([{"kind": "family", "name": "本人"}])),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let id = v["id"].as_str().unwrap().to_string();

    // Audit: one child.view per view.
    let views = |child: String| {
        let app = &app;
        async move {
            app.count(&format!(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'child.view' AND entity_id = '{child}'"
            ))
            .await
        }
    };
    let nurse = app.token("nurse@demo-city").await;
    let (id0, child0) = demo[0].clone();
    let v0 = views(child0.clone()).await;
    let (s, _) = app
        .api_get(&nurse, &format!("/api/v1/conferences/{id0}"))
        .await;
    assert_eq!(s, 200);
    assert_eq!(views(child0.clone()).await, v0 + 1);
    let detail: String = sqlx::query_scalar(&format!(
        "SELECT detail FROM audit_log WHERE action = 'child.view' AND entity_id = '{child0}' ORDER BY seq DESC LIMIT 1"
    ))
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(detail, format!("case_conference {id0}"));
    let nb = app.browser_login("nurse@demo-city").await;
    for page in ["", "/print"] {
        let res = nb
            .get(format!("{}/conferences/{id0}{page}", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    assert_eq!(views(child0.clone()).await, v0 + 3);
    let (s, l) = app
        .api_get(&nurse, &format!("/api/v1/children/{child0}/conferences"))
        .await;
    assert_eq!(s, 200);
    assert_eq!(l["items"].as_array().unwrap().len(), 2);
    assert_eq!(views(child0.clone()).await, v0 + 4);
    let c1 = assigned[0].clone();
    let v1 = views(c1.clone()).await;
    let (s, _) = app
        .api_get(&contractor, &format!("/api/v1/conferences/{id}"))
        .await;
    assert_eq!(s, 200);
    assert_eq!(views(c1).await, v1 + 1);
    // Partners and auditors never read conferences.
    for role in ["partner", "auditor"] {
        let t = app.token(&format!("{role}@demo-city")).await;
        let (s, _) = app.api_get(&t, &format!("/api/v1/conferences/{id0}")).await;
        assert_eq!(s, 403, "{role}");
    }
    assert!(crate::helpers::audit_ok(&app).await);
}
dual!(contractor_scope_and_audit_per_view);

/// The demo: one held conference of a デモ市 child with the hospital and the school,
/// minutes and outcomes reflected into the plan; and one upcoming.
async fn demo_has_a_held_and_an_upcoming_conference(app: TestApp) {
    let nurse = app.token("nurse@demo-city").await;
    let child: String = sqlx::query_scalar(
        "SELECT m.child_id FROM meetings m WHERE m.kind = 'case_conference' AND m.reflected_revision IS NOT NULL",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    let (_, list) = app
        .api_get(&nurse, &format!("/api/v1/children/{child}/conferences"))
        .await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["upcoming"], true, "newest first: the next one");
    assert_eq!(items[1]["upcoming"], false);
    let (_, held) = app
        .api_get(
            &nurse,
            &format!("/api/v1/conferences/{}", items[1]["id"].as_str().unwrap()),
        )
        .await;
    assert!(!held["minutes"].as_str().unwrap().is_empty());
    let fields: Vec<&str> = held["participants"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["agency_id"].as_str())
        .collect();
    assert_eq!(fields.len(), 2, "hospital and school");
    assert_eq!(held["unconsented"], json!([]));
    assert_eq!(
        held["shared_items"],
        json!(["basic", "disease", "medical_care"])
    );
    let rev = held["reflected_revision"].as_i64().unwrap();
    assert!(held["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .all(|o| o["plan_revision"] == rev));
    let (_, plans) = app
        .api_get(&nurse, &format!("/api/v1/children/{child}/plans"))
        .await;
    assert_eq!(plans["items"][0]["revision"], rev);
    assert!(plans["items"][0]["note"]
        .as_str()
        .unwrap()
        .contains("ケース会議（第1回）"));
    let (_, tl) = app
        .api_get(&nurse, &format!("/api/v1/children/{child}/timeline"))
        .await;
    let confs: Vec<&Value> = tl["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "conference")
        .collect();
    assert_eq!(confs.len(), 1, "only the held one is on the timeline");
}
dual!(demo_has_a_held_and_an_upcoming_conference);
