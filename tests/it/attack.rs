//! W8 attack suite, from the router's own route list (tests/it/routes.rs): every route
//! with an id, filled with デモ市's real ids, tried by every role of デモ県 — pages with
//! their own session and CSRF token, the API with their own token, every method the
//! route has, with an empty body — never succeeds (GET: 403 or 404; a write: 403, 404,
//! or 422 when the empty body is refused before any id is looked at), answers exactly
//! as it answers for ids that exist nowhere (so デモ市's ids cannot be told apart), never
//! names デモ市's children, and changes nothing of デモ市 (its rows are fingerprinted
//! before and after). A route whose ids the suite cannot fill fails the test, so a new
//! route is covered or noticed.

use std::collections::BTreeMap;

use serde_json::json;

use crate::helpers::{client, csrf_of, TestApp};
use crate::routes::routes;

const ROLES: [&str; 6] = [
    "tenant_admin",
    "nurse",
    "support_worker",
    "contractor",
    "partner",
    "auditor",
];

async fn one(app: &TestApp, sql: &str) -> Option<String> {
    sqlx::query_scalar(sql)
        .fetch_optional(&app.db.pool)
        .await
        .unwrap()
}

/// A number for every table with a tenant_id: its rows of デモ市 and, where it has them,
/// the latest updated_at / version, so that any insert, delete or update shows.
async fn fingerprint(app: &TestApp, tenant: &str) -> BTreeMap<String, String> {
    let tables: Vec<String> = if app.engine == yorube::db::Engine::Sqlite {
        sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%tenant_id%'",
        )
        .fetch_all(&app.db.pool)
        .await
        .unwrap()
    } else {
        sqlx::query_scalar("SELECT table_name::text FROM information_schema.columns WHERE column_name = 'tenant_id' AND table_schema = current_schema()")
            .fetch_all(&app.db.pool)
            .await
            .unwrap()
    };
    let mut out = BTreeMap::new();
    for t in tables {
        if [
            "audit_log",
            "sessions",
            "api_tokens",
            "login_throttle",
            "users",
        ]
        .contains(&t.as_str())
        {
            continue; // written by signing in and by the audit of the refusals
        }
        let cols: Vec<String> = if app.engine == yorube::db::Engine::Sqlite {
            sqlx::query_scalar(&format!("SELECT name FROM pragma_table_info('{t}')"))
                .fetch_all(&app.db.pool)
                .await
                .unwrap()
        } else {
            sqlx::query_scalar("SELECT column_name::text FROM information_schema.columns WHERE table_name = $1 AND table_schema = current_schema()")
                .bind(&t)
                .fetch_all(&app.db.pool)
                .await
                .unwrap()
        };
        let mut q = "CAST(COUNT(*) AS TEXT)".to_string();
        for c in [
            "updated_at",
            "status",
            "done_at",
            "revoked_at",
            "deleted_at",
            "closed_at",
        ] {
            if cols.iter().any(|x| x == c) {
                q.push_str(&format!(" || '|' || COALESCE(CAST(MAX({c}) AS TEXT), '')"));
            }
        }
        if cols.iter().any(|x| x == "version") {
            q.push_str(" || '|' || COALESCE(CAST(SUM(version) AS TEXT), '')");
        }
        let v: String = sqlx::query_scalar(&format!("SELECT {q} FROM {t} WHERE tenant_id = $1"))
            .bind(tenant)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
        out.insert(t, v);
    }
    out
}

async fn another_tenant_gets_nothing(app: TestApp) {
    let city: String = one(&app, "SELECT id FROM tenants WHERE code = 'demo-city'")
        .await
        .unwrap();
    let w = |t: &str, extra: &str| {
        format!("SELECT id FROM {t} WHERE tenant_id = '{city}' {extra} ORDER BY id LIMIT 1")
    };
    let child = one(
        &app,
        &format!(
            "SELECT child_id FROM consents WHERE tenant_id = '{city}' ORDER BY child_id LIMIT 1"
        ),
    )
    .await
    .unwrap();
    let conference = one(&app, &w("meetings", "AND kind = 'case_conference'"))
        .await
        .unwrap();
    let meeting = one(&app, &w("meetings", "AND kind <> 'case_conference'"))
        .await
        .unwrap();
    let training = one(&app, &w("trainings", "")).await.unwrap();
    let contract = one(&app, &w("contracts", "")).await.unwrap();
    let report = one(&app, &w("monthly_reports", "")).await.unwrap();
    let service = one(&app, &w("optional_services", "")).await.unwrap();
    let event = one(&app, &w("service_events", "")).await.unwrap();
    let participant = one(&app, &w("service_participants", "")).await.unwrap();
    let agency = one(&app, &w("agencies", "AND deleted_at IS NULL"))
        .await
        .unwrap();
    let user = one(&app, &w("users", "")).await.unwrap();
    let fill: Vec<(&str, String)> = vec![
        ("/children/{id}", format!("/children/{child}")),
        (
            "/referrals/{id}",
            format!(
                "/referrals/{}",
                one(&app, &w("referrals", "")).await.unwrap()
            ),
        ),
        ("/conferences/{id}", format!("/conferences/{conference}")),
        ("/meetings/{id}", format!("/meetings/{meeting}")),
        (
            "/councils/{id}",
            format!("/councils/{}", one(&app, &w("councils", "")).await.unwrap()),
        ),
        ("/trainings/{id}", format!("/trainings/{training}")),
        ("/contracts/{id}", format!("/contracts/{contract}")),
        ("/reports/{id}", format!("/reports/{report}")),
        (
            "/reports/cost/scenarios/{id}",
            "/reports/cost/scenarios/00000000-0000-7000-8000-000000000000".into(),
        ),
        ("/services/events/{id}", format!("/services/events/{event}")),
        (
            "/services/participants/{id}",
            format!("/services/participants/{participant}"),
        ),
        ("/services/{id}", format!("/services/{service}")),
        (
            "/surveys/{id}",
            format!("/surveys/{}", one(&app, &w("surveys", "")).await.unwrap()),
        ),
        (
            "/agencies/proposals/{id}",
            "/agencies/proposals/00000000-0000-7000-8000-000000000000".into(),
        ),
        (
            "/agencies/scenes/{id}",
            format!(
                "/agencies/scenes/{}",
                one(&app, &w("scenes", "")).await.unwrap()
            ),
        ),
        (
            "/scenes/{id}",
            format!("/scenes/{}", one(&app, &w("scenes", "")).await.unwrap()),
        ),
        ("/agencies/{id}", format!("/agencies/{agency}")),
        (
            "/action-items/{id}",
            format!(
                "/action-items/{}",
                one(&app, &w("action_items", "")).await.unwrap()
            ),
        ),
        ("/users/{id}", format!("/users/{user}")),
        (
            "{cid}",
            one(&app, &w("consents", &format!("AND child_id = '{child}'")))
                .await
                .unwrap(),
        ),
        (
            "{fid}",
            one(&app, &w("follow_ups", &format!("AND child_id = '{child}'")))
                .await
                .unwrap(),
        ),
        (
            "{nid}",
            one(
                &app,
                &w("ecomap_nodes", &format!("AND child_id = '{child}'")),
            )
            .await
            .unwrap_or_else(|| "none".into()),
        ),
        ("{rid}", report.clone()),
        (
            "{oid}",
            one(
                &app,
                &w("action_items", &format!("AND meeting_id = '{conference}'")),
            )
            .await
            .unwrap_or_else(|| "none".into()),
        ),
        (
            "{pid}",
            one(
                &app,
                &w(
                    "conference_participants",
                    &format!("AND meeting_id = '{conference}'"),
                ),
            )
            .await
            .unwrap(),
        ),
        ("{mid}", one(&app, &w("council_members", "")).await.unwrap()),
        ("{program}", "none".into()),
        ("{scene}", one(&app, &w("scenes", "")).await.unwrap()),
        ("{batch}", "none".into()),
        ("{phase}", "pre".into()),
        ("{kind}", "absence_days".into()),
    ];
    let fill_path = |p: &str| -> Option<String> {
        let mut s = p.to_string();
        for (k, v) in &fill {
            if s.contains(k) {
                s = s.replacen(k, v, 1);
            }
        }
        (!s.contains('{')).then_some(s)
    };
    // The same routes with ids that exist nowhere.
    const NOWHERE: &str = "00000000-0000-7000-8000-00000000dead";
    let fake_path = |p: &str| -> String {
        let mut s = p
            .replace("{phase}", "pre")
            .replace("{kind}", "absence_days");
        while let (Some(a), Some(b)) = (s.find('{'), s.find('}')) {
            s.replace_range(a..=b, NOWHERE);
        }
        s
    };
    // Routes that carry no tenant's data by id: public survey links and tenants by code
    // (system_admin only), and the registry settings page of the caller's own tenant.
    let skip = |p: &str| {
        p.contains("{token}")
            || p.contains("{code}")
            || p.starts_with("/agencies/settings/")
            || p.starts_with("/api/v1/agencies/settings/")
    };
    let all: Vec<(String, String)> = routes()
        .into_iter()
        .filter(|(_, p)| p.contains('{') && !skip(p))
        .collect();
    let unfilled: Vec<_> = all.iter().filter(|(_, p)| fill_path(p).is_none()).collect();
    assert!(
        unfilled.is_empty(),
        "routes whose ids the attack suite cannot fill (add them): {unfilled:?}"
    );
    assert!(all.len() > 100, "{}", all.len());

    let names: Vec<String> = sqlx::query_scalar(&format!(
        "SELECT name FROM children WHERE tenant_id = '{city}'"
    ))
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    let before = fingerprint(&app, &city).await;
    let mut bad = vec![];
    let mut tried = 0;
    for role in ROLES {
        let login = format!("{role}@demo-pref");
        let browser = app.browser_login(&login).await;
        let csrf = csrf_of(&browser, &format!("{}/account/sessions", app.url)).await;
        let token = app.token(&login).await;
        for (method, pattern) in &all {
            let api = pattern.starts_with("/api/");
            let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
            let send = |path: String| {
                let url = format!("{}{}", app.url, path);
                let req = if api {
                    let r = client().request(m.clone(), &url).bearer_auth(&token);
                    if m == reqwest::Method::GET {
                        r
                    } else {
                        r.json(&json!({}))
                    }
                } else {
                    let r = browser.request(m.clone(), &url);
                    if m == reqwest::Method::GET {
                        r
                    } else {
                        r.form(&[("_csrf", csrf.as_str())])
                    }
                };
                async move {
                    let res = req.send().await.unwrap();
                    (res.status().as_u16(), res.text().await.unwrap_or_default())
                }
            };
            let (status, body) = send(fill_path(pattern).unwrap()).await;
            let (nowhere, _) = send(fake_path(pattern)).await;
            tried += 2;
            let refused = if m == reqwest::Method::GET {
                status == 403 || status == 404
            } else {
                status == 403 || status == 404 || status == 422
            };
            if !refused {
                bad.push(format!("{login} {method} {pattern} -> {status}"));
            }
            if status != nowhere {
                bad.push(format!("{login} {method} {pattern}: {status} for デモ市's id, {nowhere} for an id that exists nowhere"));
            }
            if let Some(n) = names.iter().find(|n| body.contains(n.as_str())) {
                bad.push(format!("{login} {method} {pattern}: the answer names {n}"));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "{} of {tried} requests:\n{}",
        bad.len(),
        bad.join("\n")
    );
    let after = fingerprint(&app, &city).await;
    let changed: Vec<_> = before
        .iter()
        .filter(|(t, v)| after.get(*t) != Some(v))
        .map(|(t, v)| format!("{t}: {v} -> {:?}", after.get(t)))
        .collect();
    assert!(changed.is_empty(), "デモ市's data changed: {changed:?}");
}
dual!(another_tenant_gets_nothing);
