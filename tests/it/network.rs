use serde_json::json;

use crate::helpers::{client, csrf_of, TestApp, TENANT_ROLES};

async fn api_lists_and_roles(app: TestApp) {
    let admin = app.token("tenant_admin@demo-city").await;
    for path in [
        "collaboration-goals",
        "councils",
        "meetings",
        "trainings",
        "contracts",
        "action-items",
    ] {
        let (s, v) = app.api_get(&admin, &format!("/api/v1/{path}")).await;
        assert_eq!(s, 200, "{path}: {v}");
        assert!(
            !v["items"].as_array().unwrap().is_empty(),
            "demo has {path}"
        );
    }
    let partner = app.token("partner@demo-city").await;
    let (s, _) = app.api_get(&partner, "/api/v1/councils").await;
    assert_eq!(s, 403, "partners do not see councils");
    let nurse = app.token("nurse@demo-city").await;
    let (s, _) = app.api_get(&nurse, "/api/v1/contracts").await;
    assert_eq!(s, 403, "contracts are the administrators' business");
    let contractor = app.token("contractor@demo-city").await;
    let (_, own) = app.api_get(&contractor, "/api/v1/contracts").await;
    assert_eq!(
        own["items"].as_array().unwrap().len(),
        1,
        "a contractor sees its own contract"
    );
    // Another tenant sees none of it.
    let (_, councils) = app.api_get(&admin, "/api/v1/councils").await;
    let council = councils["items"][0]["id"].as_str().unwrap().to_string();
    let (_, meetings) = app.api_get(&admin, "/api/v1/meetings").await;
    let meeting = meetings["items"][0]["id"].as_str().unwrap().to_string();
    for role in TENANT_ROLES {
        let t = app.token(&format!("{role}@demo-pref")).await;
        for path in [
            format!("/api/v1/councils/{council}"),
            format!("/api/v1/meetings/{meeting}"),
        ] {
            let (s, _) = app.api_get(&t, &path).await;
            assert!(
                s == 404 || (s == 403 && role == "partner"),
                "{role}@demo-pref {path}: {s}"
            );
        }
    }
}
dual!(api_lists_and_roles);

/// A 事業担当者 prepares, holds and follows up a council meeting.
async fn council_meeting_end_to_end(app: TestApp) {
    let admin = app.token("tenant_admin@demo-city").await;
    let (s, c) = app.api_post(&admin, "/api/v1/councils", json!({"name": "就労ネットワーク会議", "kind": "就労ネットワーク会議", "purpose": "移行期の就労支援を関係機関で共有する", "department": "保健予防課"})).await;
    assert_eq!(s, 201, "{c}");
    let council = c["id"].as_str().unwrap().to_string();
    let (s, v) = app
        .api_post(
            &admin,
            &format!("/api/v1/councils/{council}/members"),
            json!({"person_name": "無所属 太郎", "field": "就労"}),
        )
        .await;
    assert_eq!(s, 422, "a member without affiliation: {v}");
    assert!(v["errors"][0]["message"].as_str().unwrap().contains("所属"));
    for (name, aff, field, spec) in [
        ("A医師", "デモ大学病院", "医療", "小児科"),
        ("B医師", "デモ大学病院", "医療", "小児科"),
        ("C医師", "デモ大学病院", "医療", "内科"),
        ("D", "ハローワーク", "就労", ""),
    ] {
        let (s, _) = app.api_post(&admin, &format!("/api/v1/councils/{council}/members"), json!({"person_name": name, "affiliation": aff, "field": field, "specialty": spec, "other_councils": 4})).await;
        assert_eq!(s, 201);
    }
    let (_, detail) = app
        .api_get(&admin, &format!("/api/v1/councils/{council}"))
        .await;
    let missing: Vec<&str> = detail["composition"]["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    assert!(
        missing.contains(&"教育") && missing.contains(&"家族会・患者会"),
        "{missing:?}"
    );
    assert!(detail["composition"]["concentrated"][0]
        .as_str()
        .unwrap()
        .contains("デモ大学病院"));
    assert_eq!(
        detail["composition"]["busy_members"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    // The agenda must fit the meeting.
    let agenda = json!([{"offset": 0, "minutes": 5, "title": "開会挨拶"}, {"offset": 5, "minutes": 10, "title": "概要説明"}, {"offset": 15, "minutes": 10, "title": "参加者のご紹介"}, {"offset": 25, "minutes": 35, "title": "連携目的の共有・連携場面の共有"}]);
    let before = app.count("SELECT COUNT(*) FROM meetings").await;
    let (s, v) = app.api_post(&admin, "/api/v1/meetings", json!({"council_id": council, "title": "第1回", "date": "2026-02-10", "time": "14:00", "duration_minutes": 45, "agenda": agenda})).await;
    assert_eq!(s, 422);
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("超えています"),
        "{v}"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM meetings").await,
        before,
        "nothing half-saved"
    );
    let (s, m) = app.api_post(&admin, "/api/v1/meetings", json!({"council_id": council, "title": "第1回", "date": "令和8年2月10日", "time": "14:00", "duration_minutes": 60, "place": "保健所", "agenda": agenda})).await;
    assert_eq!(s, 201, "{m}");
    let meeting = m["id"].as_str().unwrap().to_string();
    // Hold it: attendance, minutes, decisions, actions.
    let res = client().patch(format!("{}/api/v1/meetings/{meeting}", app.url)).bearer_auth(&admin)
        .json(&json!({"attendance": ["A医師", "D"], "minutes": "就労支援の事例を共有した。", "decisions": "次回までに事例集を作る"})).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let (s, a) = app.api_post(&admin, &format!("/api/v1/meetings/{meeting}/actions"), json!({"description": "事例集の原案を作る", "owner": "自立支援員 田中", "due_date": "2026-03-01"})).await;
    assert_eq!(s, 201);
    let action = a["id"].as_str().unwrap().to_string();
    let (_, open) = app.api_get(&admin, "/api/v1/action-items").await;
    assert!(open["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["id"] == action.as_str()));
    let res = client()
        .patch(format!("{}/api/v1/action-items/{action}", app.url))
        .bearer_auth(&admin)
        .json(&json!({"status": "done"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let (_, open) = app.api_get(&admin, "/api/v1/action-items").await;
    assert!(
        !open["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == action.as_str()),
        "done actions leave the open list"
    );
    // Pages: council, meeting, print.
    let b = app.browser_login("tenant_admin@demo-city").await;
    let html = b
        .get(format!("{}/councils/{council}", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("まだいない分野") && html.contains("所属・専門の偏り"));
    let html = b
        .get(format!("{}/meetings/{meeting}/print", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("0:25-1:00")
            && html.contains("連携目的の共有・連携場面の共有")
            && html.contains("就労支援の事例を共有した。")
    );
    // Member list and minutes as Excel.
    for path in [
        format!("/councils/{council}/members.xlsx"),
        format!("/meetings/{meeting}/minutes.xlsx"),
    ] {
        let res = b.get(format!("{}{path}", app.url)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert!(res.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("spreadsheetml"));
        let bytes = res.bytes().await.unwrap();
        assert_eq!(&bytes[..2], b"PK", "{path} is an xlsx (zip)");
    }
    // The page form refuses an overrunning agenda with a Japanese message.
    let csrf = csrf_of(&b, &format!("{}/councils/{council}", app.url)).await;
    let res = b
        .post(format!("{}/councils/{council}/meetings", app.url))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("title", "第2回"),
            ("date", "2026-05-10"),
            ("time", "14:00"),
            ("duration_minutes", "30"),
            ("seg_title_0", "開会挨拶"),
            ("seg_start_0", "0:00"),
            ("seg_minutes_0", "5"),
            ("seg_title_1", "意見交換"),
            ("seg_start_1", "0:05"),
            ("seg_minutes_1", "40"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("会議の時間（30分、0:30まで）を超えています"));
}
dual!(council_meeting_end_to_end);

async fn goals_versions_and_training(app: TestApp) {
    let admin = app.token("tenant_admin@demo-city").await;
    let (s, v) = app.api_post(&admin, "/api/v1/collaboration-goals", json!({"to_be": ["安心して学べる"], "purposes": [{"text": "学校生活を続けられるようにする"}]})).await;
    assert_eq!(s, 422, "a purpose needs its indicator: {v}");
    let (s, v) = app.api_post(&admin, "/api/v1/collaboration-goals", json!({"to_be": ["安心して学べる"], "as_is": [{"text": "学校の理解が追いつかない", "source": "実態把握調査"}], "purposes": [{"text": "学校生活を続けられるようにする", "indicator": "欠席日数の変化", "target": "半減"}]})).await;
    assert_eq!(s, 201);
    let version = v["version"].as_i64().unwrap();
    let (_, list) = app.api_get(&admin, "/api/v1/collaboration-goals").await;
    assert_eq!(list["items"][0]["version"], version);
    assert!(
        list["items"].as_array().unwrap().len() >= 2,
        "earlier versions kept"
    );
    let b = app.browser_login("nurse@demo-city").await;
    let html = b
        .get(format!("{}/network/goals/print", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("欠席日数の変化") && html.contains("学校の理解が追いつかない"));
    // Training with the guide's four cases.
    let (s, t) = app.api_post(&admin, "/api/v1/trainings", json!({"title": "研修会", "date": "2026-02-20", "scenarios": ["school", "home", "transition", "return", "bogus"], "participants": [{"name": "山田", "affiliation": "", "field": "教育"}]})).await;
    assert_eq!(s, 422, "a participant needs an affiliation: {t}");
    let (s, t) = app.api_post(&admin, "/api/v1/trainings", json!({"title": "研修会", "date": "2026-02-20", "scenarios": ["school", "home", "transition", "return", "bogus"], "curriculum": [{"time": "13:00-13:30", "title": "講義"}], "participants": [{"name": "山田", "affiliation": "本町小学校", "field": "教育", "attended": true}]})).await;
    assert_eq!(s, 201);
    let (_, tr) = app
        .api_get(
            &admin,
            &format!("/api/v1/trainings/{}", t["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(
        tr["scenarios"],
        json!(["school", "home", "transition", "return"])
    );
    let html = b
        .get(format!(
            "{}/trainings/{}",
            app.url,
            t["id"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("1型糖尿病")
            && html.contains("重症心身障害児")
            && html.contains("先天性心疾患")
            && html.contains("急性リンパ性白血病")
    );
}
dual!(goals_versions_and_training);

/// A contractor submits a monthly report that the municipality approves.
async fn monthly_report_flow(app: TestApp) {
    let contractor = app.token("contractor@demo-city").await;
    let admin = app.token("tenant_admin@demo-city").await;
    let (_, cs) = app.api_get(&contractor, "/api/v1/contracts").await;
    let contract = cs["items"][0]["id"].as_str().unwrap().to_string();
    let from = cs["items"][0]["period_from"].as_str().unwrap().to_string();
    let to = cs["items"][0]["period_to"].as_str().unwrap().to_string();
    let (s, v) = app
        .api_post(
            &contractor,
            &format!("/api/v1/contracts/{contract}/reports"),
            json!({"month": "2099-01"}),
        )
        .await;
    assert_eq!(s, 422, "a month outside the contract: {v}");
    assert!(v["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("契約期間"));
    // The last month of the contract has no report yet in the demo.
    let month = &to[..7];
    let _ = from;
    let (s, r) = app
        .api_post(
            &contractor,
            &format!("/api/v1/contracts/{contract}/reports"),
            json!({"month": month}),
        )
        .await;
    assert_eq!(s, 201, "{r}");
    let report = r["id"].as_str().unwrap().to_string();
    let patch = |token: String, body: serde_json::Value| {
        let url = format!("{}/api/v1/reports/{report}", app.url);
        async move {
            client()
                .patch(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(
        patch(
            contractor.clone(),
            json!({"support_summary": "", "submit": true})
        )
        .await,
        422,
        "needs a summary to submit"
    );
    assert_eq!(patch(contractor.clone(), json!({"support_summary": "電話相談と訪問", "changes": "登校日数が増えた", "meetings_held": "病院打合せ 3回", "submit": true})).await, 204);
    assert_eq!(
        patch(
            contractor.clone(),
            json!({"support_summary": "二回目", "submit": true})
        )
        .await,
        409,
        "a second submission of the same month"
    );
    let (s, _) = app
        .api_post(
            &contractor,
            &format!("/api/v1/contracts/{contract}/reports"),
            json!({"month": month}),
        )
        .await;
    assert_eq!(
        s, 409,
        "the same month cannot be drafted again once submitted"
    );
    let (s, _) = app
        .api_post(
            &admin,
            &format!("/api/v1/reports/{report}/decision"),
            json!({"approve": false}),
        )
        .await;
    assert_eq!(s, 422, "returning needs a reason");
    let (s, _) = app
        .api_post(
            &admin,
            &format!("/api/v1/reports/{report}/decision"),
            json!({"approve": true}),
        )
        .await;
    assert_eq!(s, 204);
    let (_, rs) = app
        .api_get(&admin, &format!("/api/v1/contracts/{contract}/reports"))
        .await;
    let mine = rs["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == report.as_str())
        .unwrap()
        .clone();
    assert_eq!(mine["status"], "approved");
    assert_eq!(mine["support_summary"], "電話相談と訪問");
    let nurse = app.token("nurse@demo-city").await;
    let (s, _) = app
        .api_post(
            &nurse,
            &format!("/api/v1/reports/{report}/decision"),
            json!({"approve": true}),
        )
        .await;
    assert_eq!(s, 403);
    // Pages render for both sides.
    for login in ["contractor@demo-city", "tenant_admin@demo-city"] {
        let b = app.browser_login(login).await;
        let html = b
            .get(format!("{}/contracts/{contract}", app.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(html.contains("承認済"), "{login}");
    }
}
dual!(monthly_report_flow);
