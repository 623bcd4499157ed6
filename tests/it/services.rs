//! Optional services (努力義務事業): create, capacity, participants per child, tenant
//! separation, contractor scope, bad input — on both engines.

use serde_json::{json, Value};

use crate::helpers::{client, csrf_of, TestApp, TENANT_ROLES};

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

async fn delete(app: &TestApp, token: &str, path: &str) -> u16 {
    client()
        .delete(format!("{}{path}", app.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

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

/// Children of a tenant assigned (as primary or not) to a user, or not.
async fn children_of(app: &TestApp, tenant: &str, login: &str, assigned: bool) -> Vec<String> {
    sqlx::query_scalar::<_, String>(
        "SELECT c.id FROM children c JOIN tenants t ON t.id = c.tenant_id WHERE t.code = $1 AND \
         (CASE WHEN EXISTS (SELECT 1 FROM child_workers w JOIN users u ON u.id = w.user_id WHERE w.child_id = c.id AND u.login = $2) THEN 1 ELSE 0 END) = $3 \
         ORDER BY c.id",
    )
    .bind(tenant)
    .bind(login)
    .bind(assigned as i64)
    .fetch_all(&app.db.pool)
    .await
    .unwrap()
}

async fn new_child(app: &TestApp, token: &str, name: &str, with_sibling: bool) -> String {
    let mut family =
        vec![json!({"relation": "母", "name": format!("{name}の母"), "is_guardian": true})];
    if with_sibling {
        family.push(json!({"relation": "兄", "name": format!("{name}の兄"), "supported": true}));
    }
    let (s, v) = app
        .api_post(
            token,
            "/api/v1/children",
            json!({"name": name, "reading": "しけん", "birth_date": "2016-05-01", "sex": "female",
                   "disease_group": 11, "family": family}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    v["id"].as_str().unwrap().to_string()
}

fn future(days: i64) -> String {
    (yorube::time::today_jst() + chrono::Duration::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

/// A 事業担当者 creates a service and an event, registers a child and the sibling, is
/// refused when the event is full (nothing saved), and the child's record shows the use.
async fn create_register_capacity_and_child_use(app: TestApp) {
    let admin = app.token("tenant_admin@demo-city").await;
    // Bad service input: Japanese messages, nothing saved.
    let before = app.count("SELECT COUNT(*) FROM optional_services").await;
    let (s, v) = app
        .api_post(
            &admin,
            "/api/v1/services",
            json!({"kind": "bogus", "name": " "}),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    let m = messages(&v);
    assert!(
        m.contains("種類を選んでください") && m.contains("名称を入力"),
        "{m}"
    );
    let (s, v) = app
        .api_post(
            &admin,
            "/api/v1/services",
            json!({"kind": "exchange", "name": "<script>x</script>"}),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    assert!(messages(&v).contains("HTMLのタグ"), "{v}");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM optional_services").await,
        before
    );

    let (s, v) = app
        .api_post(
            &admin,
            "/api/v1/services",
            json!({"kind": "exchange", "name": "試験 きょうだい会", "target": "きょうだい児", "description": "遊びと座談会"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let service = v["id"].as_str().unwrap().to_string();
    let (s, sv) = app
        .api_get(&admin, &format!("/api/v1/services/{service}"))
        .await;
    assert_eq!(s, 200);
    assert_eq!(sv["kind_label"], "相互交流支援");
    assert_eq!(sv["run_by"], "直営");
    let (s, v) = patch(
        &app,
        &admin,
        &format!("/api/v1/services/{service}"),
        json!({"name": "試験 きょうだい交流会"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["name"], "試験 きょうだい交流会");
    assert_eq!(
        v["description"], "遊びと座談会",
        "a PATCH keeps what it does not name"
    );

    // Bad event input.
    let ev_path = format!("/api/v1/services/{service}/events");
    let (s, v) = app
        .api_post(&admin, &ev_path, json!({"date": "2026-13-40", "start_time": "14:00", "end_time": "13:00", "capacity": 0}))
        .await;
    assert_eq!(s, 422, "{v}");
    let m = messages(&v);
    for want in [
        "開催日は",
        "終了時刻が開始時刻",
        "場所を入力",
        "定員は 1〜1000 人",
    ] {
        assert!(m.contains(want), "{want} in {m}");
    }
    let events_before = app.count("SELECT COUNT(*) FROM service_events").await;
    let (s, v) = app
        .api_post(&admin, &ev_path, json!({"title": "第1回", "date": future(14), "start_time": "１３：３０", "end_time": "15:30", "place": "保健所 多目的室", "capacity": 2}))
        .await;
    assert_eq!(s, 201, "{v}");
    let event = v["id"].as_str().unwrap().to_string();
    assert_eq!(
        app.count("SELECT COUNT(*) FROM service_events").await,
        events_before + 1
    );
    let (_, list) = app.api_get(&admin, &ev_path).await;
    assert_eq!(list["items"][0]["start_time"], "13:30");
    assert_eq!(list["items"][0]["taken"], 0);

    // Register a child and the sibling: 2 of 2 seats.
    let a = new_child(&app, &admin, "試験 あおい", true).await;
    let b = new_child(&app, &admin, "試験 そら", false).await;
    let reg = format!("/api/v1/services/events/{event}/participants");
    let (s, v) = app
        .api_post(
            &admin,
            &reg,
            json!({"child_id": a, "siblings": true, "note": "車いす"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["ids"].as_array().unwrap().len(), 2);
    assert_eq!(v["event"]["taken"], 2);
    assert_eq!(v["event"]["full"], true);
    let kinds: Vec<&str> = v["event"]["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["person_kind_label"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"本人") && kinds.contains(&"きょうだい"),
        "{kinds:?}"
    );

    // Full: a clear Japanese message, nothing saved.
    let n = app.count("SELECT COUNT(*) FROM service_participants").await;
    let (s, v) = app.api_post(&admin, &reg, json!({"child_id": b})).await;
    assert_eq!(s, 409, "{v}");
    assert!(
        messages(&v).contains("定員（2人）に達しているため、登録できません"),
        "{v}"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM service_participants").await,
        n,
        "nothing saved"
    );
    // Capacity cannot drop below those registered; raising it lets b in.
    let ev_one = format!("/api/v1/services/events/{event}");
    let body = |cap: i64| json!({"title": "第1回", "date": future(14), "start_time": "13:30", "end_time": "15:30", "place": "保健所 多目的室", "capacity": cap});
    let (s, v) = patch(&app, &admin, &ev_one, body(1)).await;
    assert_eq!(s, 422);
    assert!(messages(&v).contains("すでに 2 人が登録されている"), "{v}");
    let (s, _) = patch(&app, &admin, &ev_one, body(4)).await;
    assert_eq!(s, 200);
    // Two more do not fit in the one seat left... after b takes one.
    let (s, _) = app.api_post(&admin, &reg, json!({"child_id": b})).await;
    assert_eq!(s, 201);
    let c = new_child(&app, &admin, "試験 ひなた", true).await;
    let (s, v) = app
        .api_post(
            &admin,
            &reg,
            json!({"child_id": c, "siblings": true, "guardians": true}),
        )
        .await;
    assert_eq!(s, 409);
    assert!(
        messages(&v).contains("残り 1 人のため、3 人は登録できません"),
        "{v}"
    );
    // Bad participant input.
    let (s, v) = app.api_post(&admin, &reg, json!({"child_id": a})).await;
    assert_eq!(s, 409);
    assert!(messages(&v).contains("すでに登録されています"), "{v}");
    let (s, v) = app
        .api_post(
            &admin,
            &reg,
            json!({"child_id": b, "siblings": true, "child": false}),
        )
        .await;
    assert_eq!(s, 422);
    assert!(
        messages(&v).contains("きょうだいが登録されていません"),
        "{v}"
    );
    let (s, v) = app
        .api_post(&admin, &reg, json!({"child_id": c, "child": false}))
        .await;
    assert_eq!(s, 422);
    assert!(messages(&v).contains("一人以上選んでください"), "{v}");
    let (s, v) = app
        .api_post(
            &admin,
            &reg,
            json!({"child_id": c, "family_member_ids": ["nope"]}),
        )
        .await;
    assert_eq!(s, 422);
    assert!(messages(&v).contains("この子どもの記録にありません"), "{v}");
    let (s, v) = app.api_post(&admin, &reg, json!({"child_id": ""})).await;
    assert_eq!(s, 422);
    assert!(messages(&v).contains("子どもを選んでください"), "{v}");
    let (s, _) = app
        .api_post(
            &admin,
            &reg,
            json!({"child_id": "0190aaaa-0000-7000-8000-000000000000"}),
        )
        .await;
    assert_eq!(s, 404, "an unknown child");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM service_participants").await,
        n + 1
    );

    // A past event: registration records use (利用) and it shows in the child's timeline.
    let (s, v) = app
        .api_post(&admin, &ev_path, json!({"title": "前回", "date": future(-7), "start_time": "10:00", "end_time": "11:00", "place": "保健所", "capacity": 5}))
        .await;
    assert_eq!(s, 201, "{v}");
    let past = v["id"].as_str().unwrap().to_string();
    let (s, v) = app
        .api_post(
            &admin,
            &format!("/api/v1/services/events/{past}/participants"),
            json!({"child_id": a}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let pid = v["ids"][0].as_str().unwrap().to_string();
    let (_, uses) = app
        .api_get(&admin, &format!("/api/v1/children/{a}/services"))
        .await;
    let uses = uses["items"].as_array().unwrap().clone();
    assert_eq!(uses.len(), 3, "本人 twice and the sibling once: {uses:?}");
    assert_eq!(uses[0]["event_title"], "第1回", "newest first");
    assert!(uses
        .iter()
        .any(|u| u["event_title"] == "前回" && u["status_label"] == "利用"));
    assert!(uses
        .iter()
        .any(|u| u["person_kind_label"] == "きょうだい" && u["person_name"] == "試験 あおいの兄"));
    let (_, tl) = app
        .api_get(&admin, &format!("/api/v1/children/{a}/timeline"))
        .await;
    let svc: Vec<&Value> = tl["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "service")
        .collect();
    assert_eq!(
        svc.len(),
        1,
        "only the past event is in the timeline: {svc:?}"
    );
    assert_eq!(svc[0]["body"], "本人（利用）");
    // Attendance and cancellation.
    assert_eq!(
        patch(
            &app,
            &admin,
            &format!("/api/v1/services/participants/{pid}"),
            json!({"status": "absent"})
        )
        .await
        .0,
        204
    );
    let (s, v) = patch(
        &app,
        &admin,
        &format!("/api/v1/services/participants/{pid}"),
        json!({"status": "maybe"}),
    )
    .await;
    assert_eq!(s, 422, "{v}");
    let (_, uses) = app
        .api_get(&admin, &format!("/api/v1/children/{a}/services"))
        .await;
    assert!(uses["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["event_title"] == "前回" && u["status_label"] == "欠席"));
    assert_eq!(
        delete(
            &app,
            &admin,
            &format!("/api/v1/services/participants/{pid}")
        )
        .await,
        204
    );
    let (_, e) = app
        .api_get(&admin, &format!("/api/v1/services/events/{past}"))
        .await;
    assert_eq!(e["taken"], 0);
    // Audited on the child, in the same transactions.
    assert!(
        app.count(&format!("SELECT COUNT(*) FROM audit_log WHERE entity_type = 'child' AND entity_id = '{a}' AND action IN ('service.register', 'service.attendance', 'service.cancel')")).await >= 4
    );
    assert!(crate::helpers::audit_ok(&app).await);

    // Pages: the child's record shows the use; the event page refuses a full event.
    let br = app.browser_login("tenant_admin@demo-city").await;
    let html = br
        .get(format!("{}/children/{a}", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("努力義務事業の利用")
            && html.contains("試験 きょうだい交流会")
            && html.contains("第1回"),
        "the record shows the use"
    );
    let (s, _) = patch(&app, &admin, &ev_one, body(3)).await;
    assert_eq!(s, 200, "3 of 3 seats now taken");
    let page = format!("{}/services/events/{event}?q=試験", app.url);
    let html = br.get(&page).send().await.unwrap().text().await.unwrap();
    assert!(
        html.contains("試験 ひなた") && html.contains("満員"),
        "search finds the child; the event is full"
    );
    let csrf = csrf_of(&br, &page).await;
    let res = br
        .post(format!("{}/services/events/{event}/participants", app.url))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("child_id", c.as_str()),
            ("child", "1"),
            ("q", "試験"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("定員（3人）に達しているため"));
    for path in ["/services".to_string(), format!("/services/{service}")] {
        let res = br.get(format!("{}{path}", app.url)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert!(
            res.text().await.unwrap().contains("試験 きょうだい交流会"),
            "{path}"
        );
    }
}
dual!(create_register_capacity_and_child_use);

/// Another tenant's services, events and participants are 404 for every role; a
/// partner has no services at all.
async fn other_tenant_gets_404(app: TestApp) {
    let admin = app.token("tenant_admin@demo-city").await;
    let (_, list) = app.api_get(&admin, "/api/v1/services").await;
    let items = list["items"].as_array().unwrap();
    assert!(items.len() >= 3, "the demo has services: {list}");
    let service = items[0]["id"].as_str().unwrap().to_string();
    let (_, evs) = app
        .api_get(&admin, &format!("/api/v1/services/{service}/events"))
        .await;
    let event = evs["items"][0]["id"].as_str().unwrap().to_string();
    let (_, ev) = app
        .api_get(&admin, &format!("/api/v1/services/events/{event}"))
        .await;
    let participant = ev["participants"][0]["id"].as_str().unwrap().to_string();
    let city_child = ev["participants"][0]["child_id"]
        .as_str()
        .unwrap()
        .to_string();
    let before = app.count("SELECT COUNT(*) FROM service_participants").await;
    for role in TENANT_ROLES {
        let t = app.token(&format!("{role}@demo-pref")).await;
        let (s, own) = app.api_get(&t, "/api/v1/services").await;
        if role == "partner" {
            assert_eq!(s, 403, "partners have no services");
        } else {
            assert_eq!(s, 200);
            assert!(
                !own["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|x| x["id"] == service.as_str()),
                "{role}"
            );
        }
        let expect = |s: u16| s == 404 || (s == 403 && role == "partner");
        for path in [
            format!("/api/v1/services/{service}"),
            format!("/api/v1/services/{service}/events"),
            format!("/api/v1/services/events/{event}"),
            format!("/api/v1/services/events/{event}/participants"),
            format!("/api/v1/children/{city_child}/services"),
        ] {
            let (s, _) = app.api_get(&t, &path).await;
            // Auditors may not read children: the participant list and a child's use are 403.
            let child_data = path.contains("/children/") || path.ends_with("/participants");
            assert!(
                expect(s) || (s == 403 && role == "auditor" && child_data),
                "{role}@demo-pref {path}: {s}"
            );
        }
        let (s, _) = app.api_post(&t, &format!("/api/v1/services/{service}/events"), json!({"date": "2026-03-01", "start_time": "10:00", "end_time": "11:00", "place": "x", "capacity": 3})).await;
        assert!(s == 404 || s == 403, "{role}: {s}");
        let (s, _) = patch(
            &app,
            &t,
            &format!("/api/v1/services/{service}"),
            json!({"name": "乗っ取り"}),
        )
        .await;
        assert!(s == 404 || s == 403, "{role}: {s}");
        let (s, _) = app
            .api_post(
                &t,
                &format!("/api/v1/services/events/{event}/participants"),
                json!({"child_id": city_child}),
            )
            .await;
        assert!(s == 404 || s == 403, "{role}: {s}");
        assert!(
            delete(
                &app,
                &t,
                &format!("/api/v1/services/participants/{participant}")
            )
            .await
                >= 403,
            "{role}"
        );
    }
    // A デモ県 worker cannot register a デモ市 child in their own event either.
    let pref = app.token("tenant_admin@demo-pref").await;
    let (_, plist) = app.api_get(&pref, "/api/v1/services").await;
    let psvc = plist["items"][0]["id"].as_str().unwrap().to_string();
    let (_, pevs) = app
        .api_get(&pref, &format!("/api/v1/services/{psvc}/events"))
        .await;
    let pevent = pevs["items"].as_array().unwrap().last().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, _) = app
        .api_post(
            &pref,
            &format!("/api/v1/services/events/{pevent}/participants"),
            json!({"child_id": city_child}),
        )
        .await;
    assert_eq!(s, 404);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM service_participants").await,
        before,
        "nothing written"
    );
    let b = app.browser_login("nurse@demo-pref").await;
    for path in [
        format!("/services/{service}"),
        format!("/services/events/{event}"),
    ] {
        let res = b.get(format!("{}{path}", app.url)).send().await.unwrap();
        assert_eq!(res.status(), 404, "{path}");
    }
    let b = app.browser_login("partner@demo-city").await;
    let res = b.get(format!("{}/services", app.url)).send().await.unwrap();
    assert_eq!(res.status(), 403);
}
dual!(other_tenant_gets_404);

/// Contractor staff see and run only their contract's services, register only the
/// children assigned to them, see others' children masked, and the monthly report
/// draft counts the services held under the contract.
async fn contractor_scope(app: TestApp) {
    let admin = app.token("tenant_admin@demo-city").await;
    let contractor = app.token("contractor@demo-city").await;
    let nurse = app.token("nurse@demo-city").await;
    let (_, all) = app.api_get(&admin, "/api/v1/services").await;
    let (_, own) = app.api_get(&contractor, "/api/v1/services").await;
    let all = all["items"].as_array().unwrap().clone();
    let own = own["items"].as_array().unwrap().clone();
    assert!(
        !own.is_empty() && own.len() < all.len(),
        "{} of {}",
        own.len(),
        all.len()
    );
    assert!(
        own.iter()
            .all(|s| s["contract_id"].is_string()
                && s["run_by"].as_str().unwrap().starts_with("委託"))
    );
    let direct = all.iter().find(|s| s["contract_id"].is_null()).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    for path in [
        format!("/api/v1/services/{direct}"),
        format!("/api/v1/services/{direct}/events"),
    ] {
        assert_eq!(app.api_get(&contractor, &path).await.0, 404, "{path}");
    }
    let (_, devs) = app
        .api_get(&admin, &format!("/api/v1/services/{direct}/events"))
        .await;
    let devent = devs["items"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(
        app.api_get(&contractor, &format!("/api/v1/services/events/{devent}"))
            .await
            .0,
        404
    );

    // The contractor's new service is under its contract; a kind outside it is refused.
    let (s, v) = app
        .api_post(
            &contractor,
            "/api/v1/services",
            json!({"kind": "respite", "name": "NPO レスパイト"}),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    assert!(
        messages(&v).contains("「療養生活支援」が含まれていません"),
        "{v}"
    );
    let (s, v) = app
        .api_post(
            &contractor,
            "/api/v1/services",
            json!({"kind": "employment", "name": "NPO 就労準備講座", "contract_id": ""}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let svc = v["id"].as_str().unwrap().to_string();
    let (_, sv) = app
        .api_get(&admin, &format!("/api/v1/services/{svc}"))
        .await;
    assert_eq!(
        sv["contract_id"], own[0]["contract_id"],
        "run under the contractor's contract"
    );
    // Only the administrator moves a service under a contract.
    let (s, v) = patch(
        &app,
        &nurse,
        &format!("/api/v1/services/{direct}"),
        json!({"contract_id": own[0]["contract_id"]}),
    )
    .await;
    assert_eq!(s, 403, "{v}");
    let (s, v) = patch(
        &app,
        &admin,
        &format!("/api/v1/services/{direct}"),
        json!({"contract_id": own[0]["contract_id"], "kind": "respite"}),
    )
    .await;
    assert_eq!(s, 422, "the contract does not cover 療養生活支援: {v}");

    // Today's event (in the contract period and this month).
    let today = future(0);
    let (s, v) = app.api_post(&contractor, &format!("/api/v1/services/{svc}/events"), json!({"date": today, "start_time": "14:00", "end_time": "16:00", "place": "NPO 研修室", "capacity": 10})).await;
    assert_eq!(s, 201, "{v}");
    let event = v["id"].as_str().unwrap().to_string();
    let reg = format!("/api/v1/services/events/{event}/participants");
    let mine = children_of(&app, "demo-city", "contractor@demo-city", true).await;
    let others = children_of(&app, "demo-city", "contractor@demo-city", false).await;
    let (s, _) = app
        .api_post(&contractor, &reg, json!({"child_id": others[0]}))
        .await;
    assert_eq!(s, 404, "a child not assigned to the contractor");
    let (s, v) = app
        .api_post(&contractor, &reg, json!({"child_id": mine[0]}))
        .await;
    assert_eq!(s, 201, "{v}");
    // The municipality registers another child; the contractor sees the seat, not the name.
    let (s, _) = app
        .api_post(&admin, &reg, json!({"child_id": others[0]}))
        .await;
    assert_eq!(s, 201);
    let (_, e) = app
        .api_get(&contractor, &format!("/api/v1/services/events/{event}"))
        .await;
    assert_eq!(e["taken"], 2);
    let ps = e["participants"].as_array().unwrap();
    assert!(ps.iter().any(|p| p["child_id"] == mine[0].as_str()));
    let hidden = ps
        .iter()
        .find(|p| p["child_id"].is_null())
        .expect("a masked row");
    assert_eq!(hidden["child_name"], "（担当外の子ども）");
    let (s, _) = patch(
        &app,
        &contractor,
        &format!(
            "/api/v1/services/participants/{}",
            hidden["id"].as_str().unwrap()
        ),
        json!({"status": "attended"}),
    )
    .await;
    assert_eq!(s, 404, "nor change it");
    // The auditor sees the event and the count, never the names.
    let auditor = app.token("auditor@demo-city").await;
    let (s, e) = app
        .api_get(&auditor, &format!("/api/v1/services/events/{event}"))
        .await;
    assert_eq!(s, 200);
    assert_eq!(e["taken"], 2);
    assert_eq!(e["participants"].as_array().unwrap().len(), 0);
    assert_eq!(
        app.api_post(
            &auditor,
            "/api/v1/services",
            json!({"kind": "other", "name": "x"})
        )
        .await
        .0,
        403
    );

    // The monthly report draft of this month counts the services under the contract.
    let (_, cs) = app.api_get(&contractor, "/api/v1/contracts").await;
    let contract = cs["items"][0]["id"].as_str().unwrap().to_string();
    let month = &today[..7];
    let (s, r) = app
        .api_post(
            &contractor,
            &format!("/api/v1/contracts/{contract}/reports"),
            json!({"month": month}),
        )
        .await;
    assert_eq!(s, 201, "{r}");
    let (_, rs) = app
        .api_get(
            &contractor,
            &format!("/api/v1/contracts/{contract}/reports"),
        )
        .await;
    let rep = rs["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["month"] == month)
        .unwrap()
        .clone();
    let summary = rep["support_summary"].as_str().unwrap();
    assert!(
        summary.contains("努力義務事業")
            && summary.contains("NPO 就労準備講座 1回（参加 延べ2人・子ども2人）"),
        "{summary}"
    );

    // Pages: the menu has 努力義務事業; the list shows only the contract's services.
    let b = app.browser_login("contractor@demo-city").await;
    let html = b
        .get(format!("{}/services", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("href=\"/services\"") && html.contains("NPO 就労準備講座"));
    let direct_name = all.iter().find(|s| s["id"] == direct.as_str()).unwrap()["name"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        !html.contains(&direct_name),
        "the contractor does not see {direct_name}"
    );
}
dual!(contractor_scope);
