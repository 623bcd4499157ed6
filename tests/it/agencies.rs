use serde_json::json;

use crate::helpers::{client, csrf_of, TestApp, TENANT_ROLES};

async fn create(app: &TestApp, token: &str, body: serde_json::Value) -> String {
    let (s, v) = app.api_post(token, "/api/v1/agencies", body).await;
    assert_eq!(s, 201, "{v}");
    v["id"].as_str().unwrap().to_string()
}

fn agency(name: &str, reading: &str, field: &str) -> serde_json::Value {
    json!({"name": name, "reading": reading, "field": field, "address": "デモ市中央区本町1-1"})
}

async fn names(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    let (s, v) = app
        .api_get(token, &format!("/api/v1/agencies?{query}"))
        .await;
    assert_eq!(s, 200, "{query}: {v}");
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_string())
        .collect()
}

fn q(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn crud_and_roles(app: TestApp) {
    let admin = app.token("tenant_admin@demo-city").await;
    let id = create(&app, &admin, json!({
        "name": "デモ市立こども病院", "reading": "デモシリツコドモビョウイン", "field": "医療",
        "address": "デモ市中央区本町1-2-3", "url": "https://kodomo.example.jp/", "is_new": false,
        "overview": "市内の小慢児童等が多く通院する小児専門病院", "disease_groups": [2, 4],
        "contacts": [{"name": "渡辺 誠", "department": "地域連携室", "phone": "099-000-1234", "email": "renkei@kodomo.example.jp", "best_time": "午後2時〜4時"}]
    })).await;
    let (s, a) = app.api_get(&admin, &format!("/api/v1/agencies/{id}")).await;
    assert_eq!(s, 200);
    assert_eq!(
        a["reading"], "でもしりつこどもびょういん",
        "the reading is stored in ひらがな"
    );
    assert_eq!(a["contacts"][0]["department"], "地域連携室");
    assert_eq!(a["disease_groups"], json!([2, 4]));
    // Who may do what.
    for role in ["nurse", "support_worker"] {
        let t = app.token(&format!("{role}@demo-city")).await;
        create(
            &app,
            &t,
            agency(&format!("{role}の登録した機関"), "", "福祉"),
        )
        .await;
    }
    for role in ["contractor", "auditor"] {
        let t = app.token(&format!("{role}@demo-city")).await;
        let (s, _) = app
            .api_post(&t, "/api/v1/agencies", agency("x", "", "福祉"))
            .await;
        assert_eq!(s, 403, "{role} may not create");
        let (s, _) = app.api_get(&t, "/api/v1/agencies").await;
        assert_eq!(s, 200, "{role} may read");
    }
    let partner = app.token("partner@demo-city").await;
    let (s, _) = app.api_get(&partner, "/api/v1/agencies").await;
    assert_eq!(s, 403, "a partner does not browse the registry");
    let (s, _) = app
        .api_get(&partner, &format!("/api/v1/agencies/{id}"))
        .await;
    assert_eq!(s, 404, "a partner sees only their own agency");
    // Update with PATCH; history is kept; a stale version is refused.
    let res = client()
        .patch(format!("{}/api/v1/agencies/{id}", app.url))
        .bearer_auth(&admin)
        .json(&json!({"strengths": "小児腎臓病の専門外来", "version": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let v: serde_json::Value = res.json().await.unwrap();
    assert_eq!(v["strengths"], "小児腎臓病の専門外来");
    assert_eq!(v["version"], 2);
    assert_eq!(v["name"], "デモ市立こども病院", "other fields unchanged");
    let res = client()
        .patch(format!("{}/api/v1/agencies/{id}", app.url))
        .bearer_auth(&admin)
        .json(&json!({"strengths": "上書き", "version": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409, "someone else's edit is not overwritten");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM agency_history WHERE agency_id = '{id}'"
        ))
        .await,
        2
    );
    // Delete keeps history and hides the agency.
    let res = client()
        .delete(format!("{}/api/v1/agencies/{id}", app.url))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let (s, _) = app.api_get(&admin, &format!("/api/v1/agencies/{id}")).await;
    assert_eq!(s, 404);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM agency_history WHERE agency_id = '{id}'"
        ))
        .await,
        3
    );
    assert!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'agency.%'")
            .await
            >= 5
    );
}
dual!(crud_and_roles);

async fn other_tenant_gets_404_for_every_agency(app: TestApp) {
    let admin = app.token("tenant_admin@demo-city").await;
    let id = create(
        &app,
        &admin,
        agency("デモ市医師会", "でもしいしかい", "医療"),
    )
    .await;
    for role in TENANT_ROLES {
        let t = app.token(&format!("{role}@demo-pref")).await;
        let (s, _) = app.api_get(&t, &format!("/api/v1/agencies/{id}")).await;
        assert_eq!(s, 404, "{role}@demo-pref GET");
        let res = client()
            .patch(format!("{}/api/v1/agencies/{id}", app.url))
            .bearer_auth(&t)
            .json(&json!({"name": "乗っ取り"}))
            .send()
            .await
            .unwrap();
        assert!(
            res.status() == 404 || res.status() == 403,
            "{role}@demo-pref PATCH: {}",
            res.status()
        );
        let res = client()
            .delete(format!("{}/api/v1/agencies/{id}", app.url))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap();
        assert!(
            res.status() == 404 || res.status() == 403,
            "{role}@demo-pref DELETE"
        );
        if role != "partner" {
            let found = names(&app, &t, "q=%E5%8C%BB%E5%B8%AB%E4%BC%9A").await;
            assert!(
                !found.contains(&"デモ市医師会".to_string()),
                "search never crosses tenants"
            );
        }
    }
    let browser = app.browser_login("nurse@demo-pref").await;
    let res = browser
        .get(format!("{}/agencies/{id}", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let (s, a) = app.api_get(&admin, &format!("/api/v1/agencies/{id}")).await;
    assert_eq!(s, 200);
    assert_eq!(a["name"], "デモ市医師会", "unchanged");
}
dual!(other_tenant_gets_404_for_every_agency);

async fn japanese_search_as_people_type(app: TestApp) {
    let admin = app.token("tenant_admin@demo-city").await;
    // Start from an empty registry so that counts are exact.
    sqlx::query("UPDATE agencies SET deleted_at = '2000-01-01T00:00:00.000000Z'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE registry_versions SET version = version + 1")
        .execute(&app.db.pool)
        .await
        .unwrap();
    create(&app, &admin, json!({"name": "子ども発達支援センター ひまわり", "reading": "こどもはったつしえんせんたー ひまわり", "field": "障害", "overview": "発達に心配のある子どもの療育"})).await;
    create(&app, &admin, json!({"name": "デモ市教育委員会 学校教育課", "reading": "でもしきょういくいいんかい", "field": "教育", "overview": "特別支援教育と学校生活の調整", "contacts": [{"name": "佐々木 京子"}]})).await;
    create(&app, &admin, json!({"name": "腎臓病の子どもを守る会", "reading": "じんぞうびょうのこどもをまもるかい", "field": "家族会・患者会", "is_new": true, "disease_groups": [2]})).await;
    create(&app, &admin, json!({"name": "ＮＰＯ法人 サポートネット", "reading": "さぽーとねっと", "field": "総合支援", "services": "学習支援とレスパイト"})).await;
    let all = names(&app, &admin, "").await;
    assert_eq!(
        all,
        vec![
            "子ども発達支援センター ひまわり",
            "NPO法人 サポートネット",
            "腎臓病の子どもを守る会",
            "デモ市教育委員会 学校教育課"
        ],
        "sorted by reading; 全角英数 stored as 半角"
    );
    assert_eq!(
        names(&app, &admin, &format!("q={}", q("腎"))).await,
        vec!["腎臓病の子どもを守る会"]
    );
    assert_eq!(
        names(&app, &admin, &format!("q={}", q("学校"))).await,
        vec!["デモ市教育委員会 学校教育課"]
    );
    for query in ["こども", "コドモ", "ｺﾄﾞﾓ"] {
        let found = names(&app, &admin, &format!("q={}", q(query))).await;
        assert_eq!(
            found,
            vec!["子ども発達支援センター ひまわり", "腎臓病の子どもを守る会"],
            "{query} finds 子ども through the reading"
        );
    }
    for query in ["npo", "ＮＰＯ", "Npo法人", "npo 法人", "サポート ネット"] {
        assert_eq!(
            names(&app, &admin, &format!("q={}", q(query))).await,
            vec!["NPO法人 サポートネット"],
            "{query}"
        );
    }
    assert_eq!(
        names(&app, &admin, &format!("q={}", q("佐々木"))).await,
        vec!["デモ市教育委員会 学校教育課"],
        "contact names"
    );
    assert_eq!(
        names(&app, &admin, &format!("q={}", q("レスパイト"))).await,
        vec!["NPO法人 サポートネット"],
        "services"
    );
    assert!(names(&app, &admin, &format!("q={}", q("存在しない機関")))
        .await
        .is_empty());
    assert_eq!(
        names(&app, &admin, &format!("field={}", q("教育"))).await,
        vec!["デモ市教育委員会 学校教育課"]
    );
    assert_eq!(
        names(&app, &admin, "is_new=true").await,
        vec!["腎臓病の子どもを守る会"]
    );
    assert_eq!(
        names(&app, &admin, "disease_group=2").await,
        vec!["腎臓病の子どもを守る会"]
    );
    let (s, v) = app
        .api_get(&admin, &format!("/api/v1/agencies?scene={}", q("宇宙")))
        .await;
    assert_eq!(s, 422, "{v}");
    // Paging with a cursor.
    let (_, v) = app.api_get(&admin, "/api/v1/agencies?limit=3").await;
    assert_eq!(v["total"], 4);
    assert_eq!(v["items"].as_array().unwrap().len(), 3);
    let cursor = v["next_cursor"].as_str().unwrap().to_string();
    let (_, v) = app
        .api_get(&admin, &format!("/api/v1/agencies?limit=3&cursor={cursor}"))
        .await;
    assert_eq!(v["items"].as_array().unwrap().len(), 1);
    assert!(v["next_cursor"].is_null());
    // The page shows the same.
    let b = app.browser_login("nurse@demo-city").await;
    let html = b
        .get(format!("{}/agencies?q={}", app.url, q("ｺﾄﾞﾓ")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("<strong>2</strong> 件"),
        "the page counts 2 hits"
    );
    assert!(html.contains("子ども発達支援センター ひまわり"));
}
dual!(japanese_search_as_people_type);

async fn bad_input_is_refused_and_nothing_written(app: TestApp) {
    let admin = app.token("tenant_admin@demo-city").await;
    let before = app.count("SELECT COUNT(*) FROM agencies").await;
    let (s, v) = app.api_post(&admin, "/api/v1/agencies", json!({
        "name": "", "field": "宇宙", "url": "javascript:alert(1)", "overview": "<script>alert(1)</script>",
        "disease_groups": [0, 17], "contacts": [{"name": "x", "email": "not-an-email"}]
    })).await;
    assert_eq!(s, 422);
    assert_eq!(v["code"], "validation");
    let fields: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for f in [
        "name",
        "field",
        "url",
        "overview",
        "disease_groups",
        "contacts[0]",
    ] {
        assert!(fields.contains(&f), "{f} reported: {fields:?}");
    }
    assert!(
        v["errors"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| !e["message"].as_str().unwrap().is_ascii()),
        "messages are Japanese"
    );
    let (s, _) = app
        .api_post(&admin, "/api/v1/agencies", json!({"name": 3}))
        .await;
    assert_eq!(s, 422, "wrong JSON type");
    assert_eq!(app.count("SELECT COUNT(*) FROM agencies").await, before);
    // On the page, the form comes back with the messages and the values kept.
    let b = app.browser_login("tenant_admin@demo-city").await;
    let csrf = csrf_of(&b, &format!("{}/agencies/new", app.url)).await;
    let res = b
        .post(format!("{}/agencies", app.url))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("name", "テスト機関"),
            ("field", "医療"),
            ("url", "ftp://x"),
            ("age_min", "さん"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("で始まるURLを入力してください"),
        "url message: {html}"
    );
    assert!(html.contains("対象年齢は数字で入力してください"));
    assert!(html.contains("value=\"テスト機関\""), "values kept");
    assert_eq!(app.count("SELECT COUNT(*) FROM agencies").await, before);
    // Text is escaped, never executed.
    let id = create(
        &app,
        &admin,
        json!({"name": "A&B \"相談室\"", "field": "福祉", "overview": "1 < 2 のとき"}),
    )
    .await;
    let html = b
        .get(format!("{}/agencies/{id}", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<h1>A&#38;B &#34;相談室&#34;"), "escaped");
    assert!(html.contains("1 &#60; 2 のとき") || html.contains("1 &lt; 2 のとき"));
}
dual!(bad_input_is_refused_and_nothing_written);

async fn scenes_matrix_and_partner_proposals(app: TestApp) {
    let admin = app.token("tenant_admin@demo-city").await;
    let hospital = create(
        &app,
        &admin,
        agency("テスト総合病院", "てすとそうごうびょういん", "医療"),
    )
    .await;
    let school = create(
        &app,
        &admin,
        agency("テスト特別支援学校", "てすととくべつしえんがっこう", "教育"),
    )
    .await;
    let (_, scenes) = app.api_get(&admin, "/api/v1/scenes").await;
    let scene_names: Vec<&str> = scenes["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        scene_names,
        vec![
            "就学・進学",
            "在宅・レスパイト",
            "移行期医療",
            "復学",
            "就労",
            "緊急時"
        ]
    );
    let school_scene = scenes["items"][0]["id"].as_str().unwrap().to_string();
    let b = app.browser_login("support_worker@demo-city").await;
    let csrf = csrf_of(&b, &format!("{}/agencies/{hospital}", app.url)).await;
    for (id, method) in [
        (&hospital, "主治医意見書の共有"),
        (&school, "学校訪問と個別の教育支援計画"),
    ] {
        let res = b
            .post(format!("{}/agencies/{id}/scenes", app.url))
            .form(&[
                ("_csrf", csrf.as_str()),
                ("scene_id", school_scene.as_str()),
                ("method", method),
                ("content", "入学前に三者で面談する"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
    }
    let (_, links) = app
        .api_get(&admin, &format!("/api/v1/scenes/{school_scene}/agencies"))
        .await;
    let linked: Vec<&str> = links["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["agency_name"].as_str().unwrap())
        .collect();
    assert!(
        linked.contains(&"テスト総合病院") && linked.contains(&"テスト特別支援学校"),
        "{linked:?}"
    );
    let found = names(
        &app,
        &admin,
        &format!("scene={}&limit=1000", q("就学・進学")),
    )
    .await;
    assert!(
        found.contains(&"テスト総合病院".to_string())
            && found.contains(&"テスト特別支援学校".to_string()),
        "scene filter"
    );
    assert!(
        !names(&app, &admin, &format!("scene={}&limit=1000", q("緊急時")))
            .await
            .contains(&"テスト総合病院".to_string())
    );
    let html = b
        .get(format!("{}/agencies/matrix?view=grid", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("学校訪問と個別の教育支援計画") && html.contains("テスト総合病院"));
    let html = b
        .get(format!("{}/agencies/scenes/{school_scene}", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("主治医意見書の共有"));

    // A partner answers for the hospital: sees it, proposes a change; the admin approves.
    sqlx::query("UPDATE users SET agency_id = $1 WHERE login = 'partner@demo-city'")
        .bind(&hospital)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let partner = app.token("partner@demo-city").await;
    let (s, _) = app
        .api_get(&partner, &format!("/api/v1/agencies/{hospital}"))
        .await;
    assert_eq!(s, 200);
    let (s, _) = app
        .api_get(&partner, &format!("/api/v1/agencies/{school}"))
        .await;
    assert_eq!(s, 404);
    let pb = app.browser_login("partner@demo-city").await;
    let res = pb
        .get(format!("{}/agencies/mine", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["location"],
        format!("/agencies/{hospital}").as_str()
    );
    let csrf = csrf_of(&pb, &format!("{}/agencies/{hospital}/propose", app.url)).await;
    let res = pb
        .post(format!("{}/agencies/{hospital}/propose", app.url))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("overview", "小児科・小児外科を備えた地域の中核病院"),
            ("services", "外来・入院、移行期医療の相談"),
            ("strengths", ""),
            ("hours", "平日 8:30〜17:00"),
            ("contact_name_0", "渡辺 誠"),
            ("contact_department_0", "地域連携室"),
            ("contact_phone_0", "099-000-1234"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let (_, a) = app
        .api_get(&admin, &format!("/api/v1/agencies/{hospital}"))
        .await;
    assert_eq!(a["overview"], "", "nothing changes before approval");
    let ab = app.browser_login("tenant_admin@demo-city").await;
    let html = ab
        .get(format!("{}/agencies/proposals", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("小児科・小児外科を備えた地域の中核病院"));
    let pid: String = sqlx::query_scalar("SELECT id FROM agency_proposals")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let csrf = csrf_of(&ab, &format!("{}/agencies/proposals", app.url)).await;
    let res = ab
        .post(format!("{}/agencies/proposals/{pid}/decide", app.url))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("decision", "reject"),
            ("reason", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422, "a rejection needs a reason");
    let res = ab
        .post(format!("{}/agencies/proposals/{pid}/decide", app.url))
        .form(&[("_csrf", csrf.as_str()), ("decision", "approve")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let (_, a) = app
        .api_get(&admin, &format!("/api/v1/agencies/{hospital}"))
        .await;
    assert_eq!(a["overview"], "小児科・小児外科を備えた地域の中核病院");
    assert_eq!(a["contacts"][0]["department"], "地域連携室");
    assert_eq!(a["name"], "テスト総合病院", "a partner cannot rename");
    // A partner may not propose for another agency.
    let res = pb
        .post(format!("{}/agencies/{school}/propose", app.url))
        .form(&[
            (
                "_csrf",
                csrf_of(&pb, &format!("{}/agencies/{hospital}/propose", app.url))
                    .await
                    .as_str(),
            ),
            ("overview", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}
dual!(scenes_matrix_and_partner_proposals);

async fn lists_are_editable_but_used_items_stay(app: TestApp) {
    let admin = app.token("tenant_admin@demo-city").await;
    create(&app, &admin, agency("テスト就労支援", "", "就労")).await;
    let b = app.browser_login("tenant_admin@demo-city").await;
    let csrf = csrf_of(&b, &format!("{}/agencies/settings", app.url)).await;
    let res = b
        .post(format!("{}/agencies/settings/fields", app.url))
        .form(&[("_csrf", csrf.as_str()), ("names", "医療\n教育")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422, "就労 is in use");
    let html = res.text().await.unwrap();
    assert!(
        html.contains("「就労」は ")
            && html.contains("件の関係機関で使われているため、一覧から外せません"),
        "{html}"
    );
    let (_, f) = app.api_get(&admin, "/api/v1/agency-fields").await;
    assert_eq!(f["items"].as_array().unwrap().len(), 10, "nothing changed");
    let list = "医療\n医療的ケア\n福祉\n障害\n教育\n就労\n家族会・患者会\n行政\n総合支援\nその他\nこども食堂";
    let res = b
        .post(format!("{}/agencies/settings/fields", app.url))
        .form(&[("_csrf", csrf.as_str()), ("names", list)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    create(&app, &admin, agency("みんなのこども食堂", "", "こども食堂")).await;
    // Other tenants keep their own list.
    let pref = app.token("tenant_admin@demo-pref").await;
    let (_, f) = app.api_get(&pref, "/api/v1/agency-fields").await;
    assert_eq!(f["items"].as_array().unwrap().len(), 10);
}
dual!(lists_are_editable_but_used_items_stay);
