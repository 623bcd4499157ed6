//! Figures benchmark (W6): one tenant's activity statistics for a month and for a 年度,
//! and the national roll-up, on the national dataset.
//!
//!   cargo bench --bench reports -- [--children 130000] [--consultations 1500000]
//!                                  [--runs 21] [--database-url postgres://...] [--keep DIR|SCHEMA]
//!
//! Loads the national dataset (bench/national.rs: 130 tenants of 1,000 children, 1.5 M
//! consultations over two years; デモ市 is one of them), serves the real router on
//! loopback and times, one request after another, GET /api/v1/reports/activity for
//! デモ市 (last month, and this 年度) as its nurse, and GET /api/v1/reports/rollup for
//! this 年度 as sysadmin. yorube keeps no cache of figures: every request reads the
//! records. Prints the figures; asserts nothing.

use std::time::Instant;

use chrono::Datelike;
use yorube::app::{AppState, Config};

mod national;
use national::{arg, pct, PW};

async fn token(client: &reqwest::Client, url: &str, login: &str) -> anyhow::Result<String> {
    let v: serde_json::Value = client
        .post(format!("{url}/api/v1/auth/token"))
        .json(&serde_json::json!({
            "login": login,
            "password": PW,
            "otp": yorube::auth::totp::code_at(national::TOTP, chrono::Utc::now().timestamp() as u64),
        }))
        .send()
        .await?
        .json()
        .await?;
    v["token"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow::anyhow!("no token for {login}: {v}"))
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let runs: usize = arg("--runs").and_then(|v| v.parse().ok()).unwrap_or(21);
    let nat = national::load("figures", &format!(", {runs} runs a figure")).await?;
    let db = nat.db.clone();
    let state = AppState::new(db.clone(), Config::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, yorube::app::router(state)).await });
    let client = reqwest::Client::new();
    let nurse = token(&client, &url, "nurse@demo-city").await?;
    let sys = token(&client, &url, "sysadmin").await?;
    let today = yorube::time::today_jst();
    let last_month = (today.with_day(1).unwrap() - chrono::Duration::days(1)).format("%Y-%m");
    let fy = yorube::time::fiscal_year(today);
    let cases = [
        (
            "デモ市, one month (activity, with the month before)",
            format!("/api/v1/reports/activity?month={last_month}"),
            &nurse,
            "≤ 50 ms",
        ),
        (
            "デモ市, one 年度 (activity, with the 年度 before)",
            format!("/api/v1/reports/activity?fiscal_year={fy}"),
            &nurse,
            "≤ 200 ms",
        ),
        (
            "national roll-up, one 年度 (130 tenants)",
            format!("/api/v1/reports/rollup?fiscal_year={fy}"),
            &sys,
            "≤ 2 s",
        ),
    ];
    for (label, path, tok, target) in cases {
        let mut lat = vec![];
        let mut size = 0;
        let mut figure = String::new();
        for _ in 0..runs {
            let t = Instant::now();
            let r = client
                .get(format!("{url}{path}"))
                .bearer_auth(tok)
                .send()
                .await?;
            let status = r.status();
            let body = r.bytes().await?;
            lat.push(t.elapsed());
            anyhow::ensure!(
                status == 200,
                "{path}: {status} {}",
                String::from_utf8_lossy(&body)
            );
            size = body.len();
            let v: serde_json::Value = serde_json::from_slice(&body)?;
            figure = match v["tables"][0]["rows"][0]["value"].as_f64() {
                Some(x) => format!("first figure {x}"),
                None => format!(
                    "first cell {}",
                    v["tables"][0]["total"]
                        .as_array()
                        .and_then(|a| a.last())
                        .map(|c| c["shown"].to_string())
                        .unwrap_or_default()
                ),
            };
        }
        let first = lat.remove(0);
        lat.sort();
        println!(
            "{label}: median {:.1} ms, p95 {:.1} ms, max {:.1} ms (target {target}; first request {:.1} ms; {} KB; {figure})",
            pct(&lat, 0.5),
            pct(&lat, 0.95),
            pct(&lat, 1.0),
            first.as_secs_f64() * 1000.0,
            size / 1024
        );
    }
    drop(db);
    nat.finish().await
}
