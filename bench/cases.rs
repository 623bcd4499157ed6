//! Casework benchmark (W3): a child's page with its timeline, and the follow-up list,
//! with a national-scale database.
//!
//!   cargo bench --bench cases -- [--children 130000] [--consultations 1500000]
//!                                [--clients 32] [--seconds 10] [--database-url postgres://...]
//!
//! Loads the demo, then spreads N children over 130 tenants (1,000 each; デモ市 is one
//! of them) with M consultations in total, each child with a record like the demo's
//! (family, plan, indicators, follow-ups, a consent and some referrals; see generate); then
//! serves the real router on loopback and runs C concurrent signed-in clients against
//! GET /children/{id} (the record page with its timeline) for デモ市's children, and
//! measures GET /follow-ups. Prints the figures; asserts nothing.

use std::time::{Duration, Instant};

use yorube::app::{AppState, Config};

mod national;
use national::{arg, pct, PW};

/// User + system CPU time of this process so far, in seconds (Linux /proc).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // Fields 14 and 15 of stat (utime, stime) are the 12th and 13th after the ')'.
    (ticks(11) + ticks(12)) / 100.0
}

/// The whole machine's busy and idle CPU time so far, in seconds (Linux /proc/stat):
/// this process, PostgreSQL's processes and anything else.
fn machine_cpu_seconds() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let f: Vec<f64> = stat
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    let at = |i: usize| f.get(i).copied().unwrap_or(0.0) / 100.0;
    // user nice system idle iowait irq softirq steal
    let idle = at(3) + at(4);
    let busy = at(0) + at(1) + at(2) + at(5) + at(6) + at(7);
    (busy, idle)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("YORUBE_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .try_init();
    let clients: usize = arg("--clients").and_then(|v| v.parse().ok()).unwrap_or(32);
    let seconds: u64 = arg("--seconds").and_then(|v| v.parse().ok()).unwrap_or(10);
    let nat = national::load("casework", &format!(", {clients} clients, {seconds} s")).await?;
    let db = nat.db.clone();
    let city = nat.city.clone();

    let state = AppState::new(
        db.clone(),
        Config {
            session_idle_minutes: 600,
            ..Default::default()
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, yorube::app::router(state)).await });
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(clients * 2)
        .build()?;
    let login_page = client
        .get(format!("{url}/login"))
        .send()
        .await?
        .text()
        .await?;
    let marker = "name=\"_csrf\" value=\"";
    let i = login_page
        .find(marker)
        .map(|i| i + marker.len())
        .unwrap_or(0);
    let csrf = login_page.get(i..i + 64).unwrap_or_default().to_string();
    let res = client
        .post(format!("{url}/login"))
        .form(&[
            ("login", "nurse@demo-city"),
            ("password", PW),
            ("_csrf", csrf.as_str()),
        ])
        .send()
        .await?;
    anyhow::ensure!(
        res.status().as_u16() == 303,
        "login failed: {}",
        res.status()
    );
    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM children WHERE tenant_id = $1")
        .bind(&city.0)
        .fetch_all(&db.pool)
        .await?;
    println!(
        "デモ市: {} children; measuring GET /children/{{id}} (record page with timeline)",
        ids.len()
    );

    let sample = client
        .get(format!("{url}/children/{}", ids[0]))
        .send()
        .await?
        .bytes()
        .await?;
    println!("a record page is {} KB of HTML", sample.len() / 1024);
    let hits = || Some(db.ext::<yorube::record::RecordCache>().hits());
    let hits0 = hits();
    let cpu0 = cpu_seconds();
    let machine0 = machine_cpu_seconds();
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = vec![];
    for c in 0..clients {
        let client = client.clone();
        let url = url.clone();
        let ids = ids.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = vec![];
            let mut k = c * 7919;
            while Instant::now() < deadline {
                let id = &ids[k % ids.len()];
                k += 13;
                let t = Instant::now();
                match client.get(format!("{url}/children/{id}")).send().await {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        lat.push(t.elapsed());
                    }
                    Ok(r) => eprintln!("status {}", r.status()),
                    Err(e) => eprintln!("error {e}"),
                }
            }
            lat
        }));
    }
    let mut all = vec![];
    for t in tasks {
        all.extend(t.await?);
    }
    all.sort();
    println!(
        "child page, {clients} clients: {} requests ({:.0} req/s): median {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        all.len(), all.len() as f64 / seconds as f64, pct(&all, 0.5), pct(&all, 0.9), pct(&all, 0.99), pct(&all, 1.0)
    );
    println!(
        "CPU time of this process (server and load generator) per page: {:.0} µs",
        (cpu_seconds() - cpu0) / all.len().max(1) as f64 * 1e6
    );
    let machine1 = machine_cpu_seconds();
    println!(
        "CPU time of the whole machine (with the database's processes) per page: {:.0} µs; idle {:.0}%",
        (machine1.0 - machine0.0) / all.len().max(1) as f64 * 1e6,
        (machine1.1 - machine0.1) / ((machine1.0 - machine0.0) + (machine1.1 - machine0.1)).max(1e-9) * 100.0
    );
    if let (Some(h0), Some(h1)) = (hits0, hits()) {
        println!(
            "record cache: {} of {} pages reused what an earlier view of the same child read (YORUBE_RECORD_CACHE=0 turns it off)",
            h1 - h0,
            all.len()
        );
    }
    // The follow-up list alone, once the database has settled after the load above
    // (its WAL checkpointed).
    tokio::time::sleep(Duration::from_secs(2)).await;
    for (label, path) in [
        ("follow-up list (mine, 60 days)", "/follow-ups?days=60"),
        (
            "follow-up list (whole tenant, 60 days)",
            "/follow-ups?days=60&all=true",
        ),
    ] {
        // The first request is shown apart: it may open pool connections and plan
        // statements for the first time.
        let mut lat = vec![];
        let mut items = 0;
        for _ in 0..101 {
            let t = Instant::now();
            let r = client.get(format!("{url}{path}")).send().await?;
            let body = r.text().await?;
            lat.push(t.elapsed());
            items = body.matches("<tr").count().saturating_sub(1);
        }
        let first = lat.remove(0);
        lat.sort();
        println!(
            "{label}, {items} rows: median {:.2} ms, p99 {:.2} ms, max {:.2} ms (100 sequential requests after a first one of {:.2} ms)",
            pct(&lat, 0.5),
            pct(&lat, 0.99),
            pct(&lat, 1.0),
            first.as_secs_f64() * 1000.0
        );
    }
    drop(db);
    nat.finish().await?;
    Ok(())
}
