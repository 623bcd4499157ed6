//! W6 figures: the cost comparison (the guide's example, rounding, bad input), the
//! activity statistics checked against values computed here from the raw rows, the
//! contract scope, the policy, the drill-down's audit — on both engines.

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, NaiveDate};
use serde_json::{json, Value};

use crate::helpers::{client, TestApp};

fn fields(v: &Value) -> Vec<String> {
    v["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["field"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn value(a: &Value, table: &str, label: &str) -> Option<f64> {
    a["tables"].as_array()?.iter().find(|t| t["key"] == table)?["rows"]
        .as_array()?
        .iter()
        .find(|r| r["label"] == label)?["value"]
        .as_f64()
}

async fn cost_comparison(app: TestApp) {
    let t = app.token("tenant_admin@demo-city").await;
    let guide = json!({"visits":200,"visit_minutes":60,"interviews":1700,"interview_minutes":45,"calls":1300,"call_minutes":30,"wage":1600,"contract":5496000,"subsidy":0.5});
    let (s, v) = app
        .api_post(&t, "/api/v1/reports/cost", guide.clone())
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["total_hours"], 2125.0);
    assert_eq!(v["in_house_cost_yen"], 3_400_000);
    assert_eq!(v["contract_cost_net_yen"], 2_748_000);
    assert_eq!(v["difference_yen"], 652_000);
    // Other inputs: 7 × 7 min at 1,001 円/h = 817.48… → 817; other costs added after
    // rounding; 1,000,001 × 2/3 = 666,667.33… → 666,667.
    let (s, v) = app
        .api_post(&t, "/api/v1/reports/cost", json!({"visits":7,"visit_minutes":7,"wage":1001,"other_costs":100,"contract":1000001,"subsidy":"1/3"}))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["labour_cost_yen"], 817);
    assert_eq!(v["in_house_cost_yen"], 917);
    assert_eq!(v["contract_cost_net_yen"], 666_667);
    assert_eq!(v["difference_yen"], 917 - 666_667);
    // Bad input: every bad field named, nothing computed.
    let (s, v) = app
        .api_post(
            &t,
            "/api/v1/reports/cost",
            json!({"visits":-3,"visit_minutes":60,"wage":0,"contract":"abc","subsidy":1.5}),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(fields(&v), ["visits", "contract", "wage", "subsidy"]);
    let (s, _) = app
        .api_post(
            &t,
            "/api/v1/reports/cost",
            json!({"visits":1,"visit_minutes":1,"wage":1,"contract":1,"subsidy":0.5,"bonus":1}),
        )
        .await;
    assert_eq!(s, 422, "unknown fields are refused");
    // A partner has no figures.
    let p = app.token("partner@demo-city").await;
    let (s, _) = app.api_post(&p, "/api/v1/reports/cost", guide).await;
    assert_eq!(s, 403);
    // Scenarios: saved by the tenant admin (audited), refused with a bad value.
    let c = app.browser_login("tenant_admin@demo-city").await;
    let csrf = crate::helpers::csrf_of(&c, &format!("{}/reports/cost", app.url)).await;
    let before = app
        .count("SELECT COUNT(*) FROM audit_log WHERE action = 'cost_scenario.create'")
        .await;
    let res = c
        .post(format!("{}/reports/cost/scenarios", app.url))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("name", "直営・現状"),
            ("visits", "200"),
            ("visit_minutes", "60"),
            ("wage", "1600"),
            ("contract", "5496000"),
            ("subsidy", "1/2"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let res = c
        .post(format!("{}/reports/cost/scenarios", app.url))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("name", "悪い案"),
            ("visits", "-1"),
            ("wage", "1600"),
            ("contract", "5496000"),
            ("subsidy", "2"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("補助率は0から1の間"),
        "the message comes back"
    );
    assert!(body.contains("value=\"-1\""), "what was typed comes back");
    assert_eq!(app.count("SELECT COUNT(*) FROM cost_scenarios").await, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'cost_scenario.create'")
            .await,
        before + 1
    );
    let (s, v) = app.api_get(&t, "/api/v1/reports/cost/scenarios").await;
    assert_eq!(s, 200);
    assert_eq!(v["items"][0]["name"], "直営・現状");
    let page = c
        .get(format!("{}/reports/cost/compare/print", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("直営・現状") && page.contains("信頼度"),
        "the merit table is printed with the scenario"
    );
    // Filled from the records: the counts are the last 12 months' consultations.
    let (s, v) = app.api_get(&t, "/api/v1/reports/cost/from-records").await;
    assert_eq!(s, 200, "{v}");
    let total: i64 = v["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["count"].as_i64().unwrap())
        .sum();
    let from = v["from"].as_str().unwrap().to_string();
    let to = v["to"].as_str().unwrap().to_string();
    let mine = consults(&app, "demo-city").await;
    let expected = mine
        .iter()
        .filter(|c| c.1.to_string() >= from && c.1.to_string() <= to)
        .count() as i64;
    assert_eq!(total, expected);
}
dual!(cost_comparison);

/// (child, JST date, method, minutes, worker) of every consultation of a tenant.
async fn consults(app: &TestApp, code: &str) -> Vec<(String, NaiveDate, String, i64, String)> {
    let rows: Vec<(String, String, String, i64, String)> = sqlx::query_as(
        "SELECT c.child_id, c.at, c.method, c.minutes, c.worker_id FROM consultations c JOIN tenants t ON t.id = c.tenant_id WHERE t.code = $1",
    )
    .bind(code)
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    rows.into_iter()
        .map(|(c, at, m, min, w)| {
            let t = chrono::DateTime::parse_from_rfc3339(&at).unwrap() + chrono::Duration::hours(9);
            (c, t.naive_utc().date(), m, min, w)
        })
        .collect()
}

async fn activity_matches_the_rows(app: TestApp) {
    let t = app.token("nurse@demo-city").await;
    let today = chrono::Utc::now().date_naive();
    let fy = if today.month() >= 4 {
        today.year()
    } else {
        today.year() - 1
    };
    let (from, to) = (
        NaiveDate::from_ymd_opt(fy, 4, 1).unwrap(),
        NaiveDate::from_ymd_opt(fy + 1, 3, 31).unwrap(),
    );
    let (s, a) = app
        .api_get(&t, &format!("/api/v1/reports/activity?from={from}&to={to}"))
        .await;
    assert_eq!(s, 200, "{a}");
    let all = consults(&app, "demo-city").await;
    let inside: Vec<_> = all.iter().filter(|c| c.1 >= from && c.1 <= to).collect();
    assert!(
        !inside.is_empty(),
        "the demo has consultations this fiscal year"
    );
    assert_eq!(
        value(&a, "summary", "相談（延べ件数）"),
        Some(inside.len() as f64)
    );
    let children: HashSet<&str> = inside.iter().map(|c| c.0.as_str()).collect();
    assert_eq!(
        value(&a, "summary", "子ども（実人数）"),
        Some(children.len() as f64)
    );
    let before: HashSet<&str> = all
        .iter()
        .filter(|c| c.1 < from)
        .map(|c| c.0.as_str())
        .collect();
    let new = children.iter().filter(|c| !before.contains(**c)).count();
    assert_eq!(value(&a, "summary", "うち新規"), Some(new as f64));
    let mut by_method: HashMap<&str, usize> = HashMap::new();
    for c in &inside {
        *by_method.entry(c.2.as_str()).or_default() += 1;
    }
    for m in [
        "来所面接",
        "訪問",
        "電話",
        "メール",
        "オンライン",
        "同行",
        "巡回",
    ] {
        assert_eq!(
            value(&a, "method", m),
            Some(*by_method.get(m).unwrap_or(&0) as f64),
            "{m}"
        );
    }
    let minutes: i64 = inside.iter().map(|c| c.3).sum();
    assert_eq!(
        value(&a, "summary", "支援の時間（時間）"),
        Some((minutes as f64 / 6.0).round() / 10.0)
    );
    // The annual report has the same figures for the fiscal year.
    let (s, y) = app
        .api_get(&t, &format!("/api/v1/reports/annual?fiscal_year={fy}"))
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        value(&y, "summary", "相談（延べ件数）"),
        Some(inside.len() as f64)
    );
    assert_eq!(y["fiscal_year"], fy);
    // Referrals sent in the period, counted here by JST date.
    let refs: Vec<(String,)> = sqlx::query_as("SELECT r.created_at FROM referrals r JOIN tenants t ON t.id = r.tenant_id WHERE t.code = 'demo-city'")
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    let n = refs
        .iter()
        .filter(|(at,)| {
            let d = (chrono::DateTime::parse_from_rfc3339(at).unwrap()
                + chrono::Duration::hours(9))
            .naive_utc()
            .date();
            d >= from && d <= to
        })
        .count();
    assert_eq!(value(&a, "referral_timing", "紹介した件数"), Some(n as f64));
    // The previous period is the fiscal year before, next to each figure.
    assert_eq!(a["previous"]["from"], format!("{}-04-01", fy - 1));
    // Bad periods: a clear message, per field.
    for (q, field) in [
        ("from=2026-05-01&to=2026-04-01", "to"),
        ("from=2026-04-01", "to"),
        ("from=2010-01-01&to=2026-03-31", "to"),
        ("month=2026-13", "month"),
        ("fiscal_year=abc", "fiscal_year"),
    ] {
        let (s, v) = app
            .api_get(&t, &format!("/api/v1/reports/activity?{q}"))
            .await;
        assert_eq!(s, 422, "{q}");
        assert_eq!(fields(&v), [field], "{q}");
    }
    // The drill-down lists the consultations behind a figure and is audited.
    let audits = app
        .count(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'child.list' AND entity_type = 'report'",
        )
        .await;
    let (s, r) = app
        .api_get(&t, &format!("/api/v1/reports/activity/records?from={from}&to={to}&key=method:%E9%9B%BB%E8%A9%B1"))
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(
        r["items"].as_array().unwrap().len(),
        *by_method.get("電話").unwrap_or(&0)
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'child.list' AND entity_type = 'report'"
        )
        .await,
        audits + 1
    );
    // An auditor sees the figures but not the children behind them (refusal audited).
    let au = app.token("auditor@demo-city").await;
    let (s, _) = app.api_get(&au, "/api/v1/reports/activity").await;
    assert_eq!(s, 200);
    let (s, _) = app
        .api_get(&au, "/api/v1/reports/activity/records?key=all")
        .await;
    assert_eq!(s, 403);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'report.records.denied'")
            .await,
        1
    );
    // Partners see no figures at all; pages too.
    let p = app.token("partner@demo-city").await;
    assert_eq!(app.api_get(&p, "/api/v1/reports/activity").await.0, 403);
    let c = app.browser_login("nurse@demo-city").await;
    for path in [
        "/reports",
        "/reports/activity?month=2026-11",
        "/reports/annual",
        "/reports/annual/print",
        "/reports/activity/print",
        "/reports/cost",
    ] {
        let res = c.get(format!("{}{path}", app.url)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
    }
    let res = c
        .get(format!("{}/reports/activity.xlsx", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(&res.bytes().await.unwrap()[..2], b"PK");
    let csv = c
        .get(format!("{}/reports/activity.csv", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.contains("相談（延べ件数）"));
    let bad = c
        .get(format!(
            "{}/reports/activity?from=2026-05-01&to=2026-04-01",
            app.url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    assert!(bad.text().await.unwrap().contains("終了日が開始日より前"));
    let _ = client();
}
dual!(activity_matches_the_rows);

async fn contract_scope(app: TestApp) {
    let contract: String = sqlx::query_scalar(
        "SELECT u.contract_id FROM users u WHERE u.login = 'contractor@demo-city'",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    let staff: Vec<String> = sqlx::query_scalar("SELECT id FROM users WHERE contract_id = $1")
        .bind(&contract)
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    let ct = app.token("contractor@demo-city").await;
    let (s, a) = app
        .api_get(
            &ct,
            "/api/v1/reports/activity?from=2000-01-01&to=2009-12-31",
        )
        .await;
    assert_eq!(s, 200, "{a}");
    assert_eq!(
        a["contract"],
        contract.as_str(),
        "a contractor's figures are their contract's"
    );
    let today = chrono::Utc::now().date_naive();
    let from = today - chrono::Duration::days(365);
    let (s, a) = app
        .api_get(
            &ct,
            &format!("/api/v1/reports/activity?from={from}&to={today}"),
        )
        .await;
    assert_eq!(s, 200);
    let mine = consults(&app, "demo-city")
        .await
        .into_iter()
        .filter(|c| c.1 >= from && c.1 <= today && staff.contains(&c.4))
        .count();
    assert_eq!(value(&a, "summary", "相談（延べ件数）"), Some(mine as f64));
    // The tenant admin may ask for the same contract and gets the same figure.
    let t = app.token("tenant_admin@demo-city").await;
    let (s, b) = app
        .api_get(
            &t,
            &format!("/api/v1/reports/activity?from={from}&to={today}&contract={contract}"),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(value(&b, "summary", "相談（延べ件数）"), Some(mine as f64));
    // Another tenant's contract, or another contract for a contractor, is not found.
    let other: String = sqlx::query_scalar("SELECT c.id FROM contracts c JOIN tenants t ON t.id = c.tenant_id WHERE t.code = 'demo-pref' LIMIT 1")
        .fetch_one(&app.db.pool)
        .await
        .unwrap_or_else(|_| "00000000-0000-0000-0000-000000000000".into());
    assert_eq!(
        app.api_get(&t, &format!("/api/v1/reports/activity?contract={other}"))
            .await
            .0,
        404
    );
    assert_eq!(
        app.api_get(&ct, &format!("/api/v1/reports/activity?contract={other}"))
            .await
            .0,
        404
    );
}
dual!(contract_scope);

/// No row or column of a roll-up table (with its total) keeps exactly one suppressed
/// cell: otherwise it is the total minus the cells shown.
fn lines_with_one_hidden(t: &Value, tenants: usize) -> Vec<String> {
    let rows: Vec<Vec<bool>> = t["rows"]
        .as_array()
        .unwrap()
        .iter()
        .chain(std::iter::once(&t["total"]))
        .map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|c| c["value"].is_null())
                .collect()
        })
        .collect();
    assert_eq!(rows.len(), tenants + 1);
    let mut bad = vec![];
    for (i, r) in rows.iter().enumerate() {
        if r.iter().filter(|h| **h).count() == 1 {
            bad.push(format!("{} row {i}", t["key"]));
        }
    }
    for c in 0..rows[0].len() {
        if rows.iter().filter(|r| r[c]).count() == 1 {
            bad.push(format!("{} column {c}", t["key"]));
        }
    }
    bad
}

async fn rollup_across_tenants(app: TestApp) {
    let sys = app.token("sysadmin").await;
    let today = chrono::Utc::now().date_naive();
    let fy = if today.month() >= 4 {
        today.year()
    } else {
        today.year() - 1
    };
    let (s, r) = app
        .api_get(&sys, &format!("/api/v1/reports/rollup?fiscal_year={fy}"))
        .await;
    assert_eq!(s, 200, "{r}");
    let (from, to) = (
        NaiveDate::from_ymd_opt(fy, 4, 1).unwrap(),
        NaiveDate::from_ymd_opt(fy + 1, 3, 31).unwrap(),
    );
    let tenants = r["tenants"].as_array().unwrap();
    assert!(tenants.len() >= 2, "{r}");
    let method = r["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["key"] == "method")
        .unwrap();
    let columns: Vec<&str> = method["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let mut checked = 0;
    let mut grand = 0i64;
    for (i, tn) in tenants.iter().enumerate() {
        let all = consults(&app, tn["code"].as_str().unwrap()).await;
        let inside: Vec<_> = all.iter().filter(|c| c.1 >= from && c.1 <= to).collect();
        grand += inside.len() as i64;
        let row = method["rows"][i].as_array().unwrap();
        for (j, col) in columns.iter().enumerate() {
            let truth = if *col == "計" {
                inside.len() as i64
            } else {
                inside.iter().filter(|c| c.2 == *col).count() as i64
            };
            let cell = &row[j];
            match cell["value"].as_i64() {
                Some(v) => {
                    assert_eq!(v, truth, "{} {col}", tn["name"]);
                    assert!(v == 0 || v >= 5, "a count of 1–4 is never shown: {cell}");
                    checked += 1;
                }
                None if cell["shown"] == "<5" => {
                    assert!((1..5).contains(&truth), "{} {col}: {truth}", tn["name"])
                }
                None => {
                    assert_eq!(cell["shown"], "*");
                    assert!(truth == 0 || truth >= 5, "{} {col}: {truth}", tn["name"]);
                }
            }
        }
    }
    assert!(checked > 0);
    let shown_grand = method["total"].as_array().unwrap().last().unwrap()["value"].as_i64();
    assert_eq!(shown_grand, Some(grand), "the consultations of all tenants");
    for t in r["tables"].as_array().unwrap() {
        let bad = lines_with_one_hidden(t, tenants.len());
        assert!(bad.is_empty(), "{bad:?}");
    }
    // Aggregates only: no child's id or name is in the answer.
    let body = r.to_string();
    let kids: Vec<(String, String)> = sqlx::query_as("SELECT id, name FROM children")
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    for (id, name) in &kids {
        assert!(
            !body.contains(id.as_str()) && !body.contains(name.as_str()),
            "{name}"
        );
    }
    assert!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'report.rollup.view'")
            .await
            >= 1
    );
    // One kind of tenant only; bad input named.
    let (s, r2) = app
        .api_get(
            &sys,
            &format!("/api/v1/reports/rollup?fiscal_year={fy}&kind=core_city"),
        )
        .await;
    assert_eq!(s, 200, "{r2}");
    assert!(r2["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["kind_label"] == "中核市"));
    let (s, v) = app
        .api_get(
            &sys,
            "/api/v1/reports/rollup?from=2026-09-01&to=2026-04-01&kind=village",
        )
        .await;
    assert_eq!(s, 422, "{v}");
    let f = fields(&v);
    assert!(f.contains(&"kind".to_string()) && f.len() >= 2, "{f:?}");
    // Nobody else sees it, and the refusal is audited.
    for login in [
        "tenant_admin@demo-city",
        "nurse@demo-city",
        "auditor@demo-pref",
    ] {
        let t = app.token(login).await;
        let (s, _) = app.api_get(&t, "/api/v1/reports/rollup").await;
        assert_eq!(s, 403, "{login}");
    }
    assert!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'report.rollup.denied'")
            .await
            >= 3
    );
    // The page and its XLSX.
    let c = app.browser_login("sysadmin").await;
    let res = c
        .get(format!("{}/reports/rollup?fiscal_year={fy}", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("全体の実績") && html.contains("相談件数（延べ）"),
        "{html}"
    );
    let res = c
        .get(format!("{}/reports/rollup.xlsx?fiscal_year={fy}", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let bytes = res.bytes().await.unwrap();
    assert!(bytes.starts_with(b"PK"), "an XLSX file");
    let n = app.browser_login("nurse@demo-city").await;
    let res = n
        .get(format!("{}/reports/rollup", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}
dual!(rollup_across_tenants);

/// (children, families, consultations) of a contract's staff in a JST month, computed
/// here from the raw rows.
async fn month_truth(app: &TestApp, contract: &str, month: &str) -> (i64, i64, i64) {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT c.child_id, c.at, c.participants FROM consultations c JOIN users u ON u.id = c.worker_id WHERE u.contract_id = $1",
    )
    .bind(contract)
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    let inside: Vec<_> = rows
        .iter()
        .filter(|(_, at, _)| {
            let t = chrono::DateTime::parse_from_rfc3339(at).unwrap() + chrono::Duration::hours(9);
            t.naive_utc().format("%Y-%m").to_string() == month
        })
        .collect();
    let kids: HashSet<&str> = inside.iter().map(|r| r.0.as_str()).collect();
    let fams: HashSet<&str> = inside
        .iter()
        .filter(|r| {
            r.2.split(',')
                .any(|p| p.trim() == "保護者" || p.trim() == "きょうだい")
        })
        .map(|r| r.0.as_str())
        .collect();
    (kids.len() as i64, fams.len() as i64, inside.len() as i64)
}

async fn monthly_report_from_records(app: TestApp) {
    let contractor = app.token("contractor@demo-city").await;
    let (_, cs) = app.api_get(&contractor, "/api/v1/contracts").await;
    let contract = cs["items"][0]["id"].as_str().unwrap().to_string();
    let (s, rs) = app
        .api_get(
            &contractor,
            &format!("/api/v1/contracts/{contract}/reports"),
        )
        .await;
    assert_eq!(s, 200, "{rs}");
    let items = rs["items"].as_array().unwrap();
    assert!(!items.is_empty(), "the demo has monthly reports");
    // The demo's reports were drafted from its records, and count its committee meetings.
    for r in items {
        let month = r["month"].as_str().unwrap();
        let (c, f, n) = month_truth(&app, &contract, month).await;
        assert_eq!(
            (
                r["children_count"].as_i64(),
                r["families_count"].as_i64(),
                r["consultations"].as_i64()
            ),
            (Some(c), Some(f), Some(n)),
            "{month}"
        );
        let ms = r["meetings"].as_array().unwrap();
        assert!(ms.iter().any(|m| m["kind"] == "committee"), "{r}");
        assert!(ms
            .iter()
            .all(|m| m["starts_at"].as_str().unwrap().starts_with(month)));
    }
    // A new draft of this month (or the contract's last month), from the records.
    let today = (chrono::Utc::now() + chrono::Duration::hours(9)).date_naive();
    let to = cs["items"][0]["period_to"].as_str().unwrap();
    let month = std::cmp::min(today.format("%Y-%m").to_string(), to[..7].to_string());
    let taken = items.iter().any(|r| r["month"] == month.as_str());
    if !taken {
        let (s, r) = app
            .api_post(
                &contractor,
                &format!("/api/v1/contracts/{contract}/reports"),
                json!({"month": month}),
            )
            .await;
        assert_eq!(s, 201, "{r}");
    }
    let (_, rs) = app
        .api_get(
            &contractor,
            &format!("/api/v1/contracts/{contract}/reports"),
        )
        .await;
    let r = rs["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["month"] == month.as_str())
        .unwrap()
        .clone();
    let id = r["id"].as_str().unwrap().to_string();
    let (c, f, n) = month_truth(&app, &contract, &month).await;
    assert_eq!(r["children_count"].as_i64(), Some(c), "{r}");
    assert_eq!(r["families_count"].as_i64(), Some(f), "{r}");
    assert_eq!(r["consultations"].as_i64(), Some(n), "{r}");
    if n > 0 && !taken {
        assert!(
            r["changes"].as_str().unwrap().contains("さん（相談"),
            "子どもの変化 is drafted: {r}"
        );
    }
    // The links are chosen among the month's meeting records; another id is refused.
    let patch = |body: Value| {
        let url = format!("{}/api/v1/reports/{id}", app.url);
        let t = contractor.clone();
        async move {
            let res = client()
                .patch(url)
                .bearer_auth(t)
                .json(&body)
                .send()
                .await
                .unwrap();
            let s = res.status().as_u16();
            (s, res.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    if r["status"] == "draft" || r["status"] == "returned" {
        let other: String = sqlx::query_scalar(
            "SELECT m.id FROM meetings m JOIN tenants t ON t.id = m.tenant_id WHERE t.code = 'demo-pref' LIMIT 1",
        )
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
        let (s, v) = patch(json!({"support_summary": "x", "meeting_ids": [other]})).await;
        assert_eq!(s, 422, "{v}");
        assert_eq!(fields(&v), ["meeting_ids"]);
        let (s, v) = patch(json!({"support_summary": "訪問と電話", "meeting_ids": []})).await;
        assert_eq!(s, 204, "{v}");
        let (_, rs) = app
            .api_get(
                &contractor,
                &format!("/api/v1/contracts/{contract}/reports"),
            )
            .await;
        let now = rs["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == id.as_str())
            .unwrap()
            .clone();
        assert_eq!(now["meetings"], json!([]), "{now}");
        assert_eq!(now["support_summary"], "訪問と電話");
    }
    // Print (A4) and XLSX, for the contract's people only.
    let b = app.browser_login("contractor@demo-city").await;
    let res = b
        .get(format!(
            "{}/contracts/{contract}/reports/{id}/print",
            app.url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("月次報告") && html.contains("子どもの変化"));
    let res = b
        .get(format!(
            "{}/contracts/{contract}/reports/{id}/download.xlsx",
            app.url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.bytes().await.unwrap().starts_with(b"PK"));
    let page = b
        .get(format!("{}/contracts/{contract}", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("年度の合計"),
        "the annual total of the months"
    );
    let other = app.browser_login("contractor@demo-pref").await;
    let res = other
        .get(format!(
            "{}/contracts/{contract}/reports/{id}/print",
            app.url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404, "another tenant's report");
}
dual!(monthly_report_from_records);

async fn indicators_are_measured(app: TestApp) {
    let t = app.token("tenant_admin@demo-city").await;
    let (s, x) = app.api_get(&t, "/api/v1/reports/indicators").await;
    assert_eq!(s, 200, "{x}");
    // The demo's first two purposes are tied to figures, with their baselines.
    let p0 = &x["purposes"][0];
    assert_eq!(p0["measure"], "absence_school", "{p0}");
    assert_eq!(p0["series"]["baseline"], 12.0);
    assert_eq!(p0["series"]["target"], 5.0);
    assert_eq!(x["purposes"][1]["series"]["key"], "family_burden");
    // family_burden per term, computed here from the raw readings.
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT i.period, i.value FROM indicators i JOIN tenants t ON t.id = i.tenant_id WHERE t.code = 'demo-city' AND i.kind = 'family_burden'",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    let mut by: HashMap<String, Vec<i64>> = HashMap::new();
    for (p, v) in rows {
        by.entry(p).or_default().push(v);
    }
    let fb = x["measures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["key"] == "family_burden")
        .unwrap();
    let points = fb["points"].as_array().unwrap();
    assert!(!points.is_empty());
    for pt in points {
        let vs = &by[pt["label"].as_str().unwrap()];
        let mean = vs.iter().sum::<i64>() as f64 / vs.len() as f64;
        assert_eq!(pt["n"].as_u64(), Some(vs.len() as u64));
        assert!(
            (pt["value"].as_f64().unwrap() - mean).abs() < 1e-9,
            "{pt} vs {mean}"
        );
    }
    // Referrals completed within 30 days, by the quarter they were sent.
    let refs: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT r.created_at, r.status, r.closed_at FROM referrals r JOIN tenants t ON t.id = r.tenant_id WHERE t.code = 'demo-city'",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    let jst = |s: &str| {
        (chrono::DateTime::parse_from_rfc3339(s).unwrap() + chrono::Duration::hours(9))
            .naive_utc()
            .date()
    };
    let q = |d: NaiveDate| {
        let fy = if d.month() >= 4 {
            d.year()
        } else {
            d.year() - 1
        };
        (fy, (d.month0() + 9) % 12 / 3 + 1)
    };
    let today = (chrono::Utc::now() + chrono::Duration::hours(9)).date_naive();
    let now_q = q(today);
    let inside: Vec<_> = refs.iter().filter(|r| q(jst(&r.0)) == now_q).collect();
    let quick = inside
        .iter()
        .filter(|r| {
            r.1 == "completed"
                && r.2
                    .as_deref()
                    .is_some_and(|c| (jst(c) - jst(&r.0)).num_days() <= 30)
        })
        .count();
    let r30 = x["measures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["key"] == "referrals_done_30")
        .unwrap();
    let last = r30["points"].as_array().unwrap().last().unwrap();
    assert_eq!(last["n"].as_u64(), Some(inside.len() as u64), "{last}");
    if inside.len() >= 5 {
        let want = (quick as f64 / inside.len() as f64 * 1000.0).round() / 10.0;
        assert_eq!(last["value"].as_f64(), Some(want), "{last}");
    } else {
        assert!(last["value"].is_null());
    }
    // The council view: no child's name, small groups shown as <5人, audited.
    let b = app.browser_login("tenant_admin@demo-city").await;
    let html = b
        .get(format!("{}/reports/indicators/council", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("協議会用"), "{html}");
    let names: Vec<String> = sqlx::query_scalar("SELECT name FROM children")
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    for n in &names {
        assert!(!html.contains(n.as_str()), "the council view names {n}");
    }
    assert!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'report.indicators.council'")
            .await
            >= 1
    );
    // A purpose can only be tied to a figure yorube computes.
    let (_, gs) = app.api_get(&t, "/api/v1/collaboration-goals").await;
    let mut g = gs["items"][0].clone();
    g["purposes"][0]["measure"] = json!("made_up");
    let (s, v) = app.api_post(&t, "/api/v1/collaboration-goals", g).await;
    assert_eq!(s, 422, "{v}");
    assert!(v.to_string().contains("測る数字"), "{v}");
    // Contractors (one contract's figures) and partners are refused.
    for login in ["contractor@demo-city", "partner@demo-city"] {
        let c = app.token(login).await;
        let (s, _) = app.api_get(&c, "/api/v1/reports/indicators").await;
        assert_eq!(s, 403, "{login}");
    }
}
dual!(indicators_are_measured);
