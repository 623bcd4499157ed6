//! W8 audit that is complete: every GET route of the router is either listed as
//! carrying a child's data (`web::read_audit::CHILD_READS`) or as not
//! (`NO_CHILD_DATA`); every listed route, requested with real ids by a user who may see
//! them, writes an audit entry; a refused id (another tenant's user) writes
//! `access.denied`, once in its window however often it is tried.

use std::collections::BTreeSet;

use yorube::web::read_audit::{CHILD_READS, NO_CHILD_DATA};

use crate::helpers::{client, TestApp};

use crate::routes::get_routes;

#[test]
fn every_get_route_is_classified() {
    let routes = get_routes();
    assert!(
        routes.contains("/children/{id}") && routes.contains("/api/v1/referrals"),
        "{routes:?}"
    );
    let listed: BTreeSet<String> = CHILD_READS
        .iter()
        .map(|(p, _)| p.to_string())
        .chain(NO_CHILD_DATA.iter().map(|p| p.to_string()))
        .collect();
    let missing: Vec<_> = routes.difference(&listed).collect();
    assert!(
        missing.is_empty(),
        "GET routes not classified in web::read_audit (CHILD_READS if they can answer with a child's data, else NO_CHILD_DATA): {missing:?}"
    );
    let stale: Vec<_> = listed.difference(&routes).collect();
    assert!(
        stale.is_empty(),
        "classified routes that no longer exist: {stale:?}"
    );
    let both: Vec<_> = CHILD_READS
        .iter()
        .filter(|(p, _)| NO_CHILD_DATA.contains(p))
        .collect();
    assert!(both.is_empty(), "{both:?}");
}

async fn one(app: &TestApp, sql: &str) -> String {
    sqlx::query_scalar(sql)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

async fn every_child_read_is_audited(app: TestApp) {
    let city = "(SELECT id FROM tenants WHERE code = 'demo-city')";
    let child = one(
        &app,
        &format!(
            "SELECT child_id FROM consents WHERE tenant_id = {city} ORDER BY child_id LIMIT 1"
        ),
    )
    .await;
    let referral = one(
        &app,
        &format!("SELECT id FROM referrals WHERE tenant_id = {city} ORDER BY id LIMIT 1"),
    )
    .await;
    let conference = one(&app, &format!("SELECT id FROM meetings WHERE tenant_id = {city} AND kind = 'case_conference' ORDER BY id LIMIT 1")).await;
    let event = one(&app, &format!("SELECT event_id FROM service_participants WHERE tenant_id = {city} ORDER BY event_id LIMIT 1")).await;
    let contract = one(
        &app,
        &format!("SELECT id FROM contracts WHERE tenant_id = {city} LIMIT 1"),
    )
    .await;
    let report = one(
        &app,
        &format!("SELECT id FROM monthly_reports WHERE contract_id = '{contract}' LIMIT 1"),
    )
    .await;
    let admin_t = app.token("tenant_admin@demo-city").await;
    let (_, act) = app.api_get(&admin_t, "/api/v1/reports/activity").await;
    let drill = act["tables"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["rows"].as_array().unwrap().iter())
        .find_map(|r| {
            r["drill"]
                .as_str()
                .filter(|_| r["value"].as_f64().unwrap_or(0.0) > 0.0)
        })
        .unwrap()
        .to_string();
    let fill = |p: &str| {
        let mut s = p
            .replace("/children/{id}", &format!("/children/{child}"))
            .replace("/referrals/{id}", &format!("/referrals/{referral}"))
            .replace("/conferences/{id}", &format!("/conferences/{conference}"))
            .replace(
                "/services/events/{id}",
                &format!("/services/events/{event}"),
            )
            .replace("/contracts/{id}", &format!("/contracts/{contract}"))
            .replace("{rid}", &report)
            .replace("{kind}", "absence_days");
        if p.ends_with("/reports/activity/records") {
            s.push_str(&format!("?key={}", urlencode(&drill)));
        }
        s
    };
    let logins = [
        "tenant_admin@demo-city",
        "nurse@demo-city",
        "contractor@demo-city",
    ];
    let mut browsers = vec![];
    let mut tokens = vec![];
    for l in logins {
        browsers.push(app.browser_login(l).await);
        tokens.push(app.token(l).await);
    }
    let count = || {
        app.count("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'child.%' OR action LIKE 'report.records%'")
    };
    let mut unaudited = vec![];
    for (pattern, _) in CHILD_READS {
        let url = format!("{}{}", app.url, fill(pattern));
        let mut served = false;
        for i in 0..logins.len() {
            let before = count().await;
            let req = if pattern.starts_with("/api/") {
                client().get(&url).bearer_auth(&tokens[i])
            } else {
                browsers[i].get(&url)
            };
            let res = req.send().await.unwrap();
            if res.status() != 200 {
                continue;
            }
            served = true;
            let _ = res.bytes().await;
            if count().await <= before {
                unaudited.push(format!("{pattern} as {}", logins[i]));
            }
            break;
        }
        assert!(served, "{pattern}: no demo user could read {url}");
    }
    assert!(
        unaudited.is_empty(),
        "answers with a child's data that wrote no audit entry: {unaudited:?}"
    );

    // Another tenant's administrator: refused, and the refusal is audited once a window.
    let other = app.browser_login("tenant_admin@demo-pref").await;
    let other_t = app.token("tenant_admin@demo-pref").await;
    let denied = || app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'access.denied'");
    let mut refused = 0;
    for (pattern, _) in CHILD_READS.iter().filter(|(p, _)| p.contains('{')) {
        let url = format!("{}{}", app.url, fill(pattern));
        let before = denied().await;
        let send = || async {
            if pattern.starts_with("/api/") {
                client()
                    .get(&url)
                    .bearer_auth(&other_t)
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            } else {
                other.get(&url).send().await.unwrap().status().as_u16()
            }
        };
        let s = send().await;
        assert!(s == 403 || s == 404, "{pattern}: another tenant got {s}");
        assert_eq!(
            denied().await,
            before + 1,
            "{pattern}: the refusal is audited"
        );
        let _ = send().await;
        assert_eq!(
            denied().await,
            before + 1,
            "{pattern}: a repeat within the window is not written again"
        );
        refused += 1;
    }
    assert!(refused > 20);
    assert!(
        crate::helpers::audit_ok(&app).await,
        "the chain still verifies"
    );
}
dual!(every_child_read_is_audited);

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
