//! Soak (W8): a realistic mix of signed-in work at half of the measured capacity for
//! ten minutes, with a flood of failed logins beside it; prints errors, the memory of
//! the process at the start and the end, and the signed-in latencies per minute.
//!
//!   cargo bench --bench soak -- [--minutes 10] [--children 13000] [--consultations 150000]
//!                               [--flood 50] [--share 0.5 | --rate N] [--database-url postgres://...]
//!
//! The mix, for デモ市's nurse: 50% record pages (GET /children/{id}), 15% the child
//! list, 10% the follow-up list, 10% the referral list, 5% the month's statistics and 10%
//! writes (a consultation on a child's record, through the form with its CSRF token).
//! Capacity is measured first (16 clients as fast as they go, 15 s); the soak then sends
//! requests at half of it, open loop (a request every 1/rate seconds whatever the answers
//! take). The flood: `--flood` failed sign-ins a second from changing addresses
//! (X-Forwarded-For, trusted here), as a password-guessing attacker would.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use yorube::app::{AppState, Config};

mod national;
use national::{arg, pct, PW};

fn rss_mb() -> f64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

fn csrf_in(html: &str) -> String {
    let marker = "name=\"_csrf\" value=\"";
    html.find(marker)
        .and_then(|i| html.get(i + marker.len()..i + marker.len() + 64))
        .unwrap_or_default()
        .to_string()
}

/// One request of the mix: its status (0 when the request itself failed).
async fn one(
    c: &reqwest::Client,
    url: &str,
    ids: &[String],
    k: u64,
    csrf: &str,
    month: &str,
) -> u16 {
    let today = yorube::time::today_jst().to_string();
    let id = &ids[(k as usize * 7919) % ids.len()];
    let r = match k % 20 {
        0..=9 => c.get(format!("{url}/children/{id}")).send().await,
        10..=12 => c.get(format!("{url}/children")).send().await,
        13 | 14 => c.get(format!("{url}/follow-ups")).send().await,
        15 | 16 => c.get(format!("{url}/referrals")).send().await,
        17 => {
            c.get(format!("{url}/reports/activity?month={month}"))
                .send()
                .await
        }
        _ => {
            c.post(format!("{url}/children/{id}/consultations"))
                .form(&[
                    ("_csrf", csrf),
                    ("date", today.as_str()),
                    ("time", "10:00"),
                    ("method", "電話"),
                    ("kind", "療育相談指導"),
                    ("participants", "保護者"),
                    ("topics", "学校"),
                    ("minutes", "20"),
                    ("notes", "負荷試験: 学校生活の様子を電話で確認"),
                ])
                .send()
                .await
        }
    };
    match r {
        Ok(r) => {
            let s = r.status().as_u16();
            match r.bytes().await {
                Ok(_) => s,
                Err(_) => 0,
            }
        }
        Err(_) => 0,
    }
}

fn ok(status: u16) -> bool {
    (200..300).contains(&status) || status == 303
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let minutes: u64 = arg("--minutes").and_then(|v| v.parse().ok()).unwrap_or(10);
    let flood: u64 = arg("--flood").and_then(|v| v.parse().ok()).unwrap_or(50);
    let nat = national::load("soak", &format!(", {minutes} min, login flood {flood}/s")).await?;
    let db = nat.db.clone();
    let state = AppState::new(
        db.clone(),
        Config {
            session_idle_minutes: 600,
            trust_forwarded_for: true,
            ..Default::default()
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, yorube::app::router(state)).await });
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(64)
        .build()?;
    let page = client
        .get(format!("{url}/login"))
        .send()
        .await?
        .text()
        .await?;
    let res = client
        .post(format!("{url}/login"))
        .form(&[
            ("login", "nurse@demo-city"),
            ("password", PW),
            ("_csrf", &csrf_in(&page)),
        ])
        .send()
        .await?;
    anyhow::ensure!(
        res.status().as_u16() == 303,
        "login failed: {}",
        res.status()
    );
    let home = client.get(format!("{url}/")).send().await?.text().await?;
    let csrf = Arc::new(csrf_in(&home));
    let ids: Arc<Vec<String>> = Arc::new(
        sqlx::query_scalar("SELECT id FROM children WHERE tenant_id = $1 ORDER BY id")
            .bind(&nat.city.0)
            .fetch_all(&db.pool)
            .await?,
    );
    let month = yorube::time::today_jst().format("%Y-%m").to_string();

    // Capacity: 16 clients, closed loop, 15 s.
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut tasks = vec![];
    for c in 0..16u64 {
        let (client, url, ids, csrf, month, done) = (
            client.clone(),
            url.clone(),
            ids.clone(),
            csrf.clone(),
            month.clone(),
            done.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut k = c * 1000;
            while Instant::now() < deadline {
                // Only answers that are right count towards the capacity.
                if ok(one(&client, &url, &ids, k, &csrf, &month).await) {
                    done.fetch_add(1, Ordering::Relaxed);
                }
                k += 1;
            }
        }));
    }
    for t in tasks {
        t.await?;
    }
    let capacity = done.load(Ordering::Relaxed) as f64 / 15.0;
    let share: f64 = arg("--share").and_then(|v| v.parse().ok()).unwrap_or(0.5);
    let rate = arg("--rate")
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(capacity * share)
        .max(1.0);
    println!("capacity of the mix: {capacity:.0} requests/s; soak at {rate:.0} requests/s for {minutes} min");

    // The flood of failed sign-ins, from changing addresses.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flood_sent = Arc::new(AtomicU64::new(0));
    let flood_task = {
        let (url, stop, sent) = (url.clone(), stop.clone(), flood_sent.clone());
        tokio::spawn(async move {
            let c = reqwest::Client::new();
            let mut i = 0u64;
            let mut tick =
                tokio::time::interval(Duration::from_secs_f64(1.0 / flood.max(1) as f64));
            while !stop.load(Ordering::Relaxed) {
                tick.tick().await;
                i += 1;
                let c = c.clone();
                let url = url.clone();
                sent.fetch_add(1, Ordering::Relaxed);
                tokio::spawn(async move {
                    let _ = c
                        .post(format!("{url}/api/v1/auth/token"))
                        .header("x-forwarded-for", format!("198.51.{}.{}", (i / 250) % 250, i % 250))
                        .json(&serde_json::json!({"login": format!("guess{}@demo-city", i % 97), "password": "wrong-Passw0rd-2026"}))
                        .send()
                        .await;
                });
            }
        })
    };

    let rss0 = rss_mb();
    let errors = Arc::new(AtomicU64::new(0));
    let statuses: Arc<std::sync::Mutex<std::collections::BTreeMap<u16, u64>>> = Default::default();
    let start = Instant::now();
    let total = Duration::from_secs(60 * minutes);
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(u64, Duration)>();
    let mut k = 0u64;
    while start.elapsed() < total {
        tick.tick().await;
        k += 1;
        let statuses = statuses.clone();
        let (client, url, ids, csrf, month, errors, tx) = (
            client.clone(),
            url.clone(),
            ids.clone(),
            csrf.clone(),
            month.clone(),
            errors.clone(),
            tx.clone(),
        );
        let minute = start.elapsed().as_secs() / 60;
        tokio::spawn(async move {
            let t = Instant::now();
            let status = one(&client, &url, &ids, k, &csrf, &month).await;
            if !ok(status) {
                errors.fetch_add(1, Ordering::Relaxed);
                *statuses.lock().unwrap().entry(status).or_default() += 1;
            }
            let _ = tx.send((minute, t.elapsed()));
        });
    }
    drop(tx);
    stop.store(true, Ordering::Relaxed);
    let mut by_minute: Vec<Vec<Duration>> = vec![vec![]; minutes as usize + 1];
    while let Some((m, d)) = rx.recv().await {
        by_minute[(m as usize).min(minutes as usize)].push(d);
    }
    let _ = flood_task.await;
    let rss1 = rss_mb();
    let mut all: Vec<Duration> = by_minute.iter().flatten().copied().collect();
    all.sort();
    for (m, v) in by_minute.iter_mut().enumerate() {
        if v.is_empty() {
            continue;
        }
        v.sort();
        println!(
            "minute {:>2}: {} requests, median {:.1} ms, p99 {:.1} ms",
            m + 1,
            v.len(),
            pct(v, 0.5),
            pct(v, 0.99)
        );
    }
    println!(
        "signed-in: {} requests, {} errors; median {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        all.len(),
        errors.load(Ordering::Relaxed),
        pct(&all, 0.5),
        pct(&all, 0.99),
        pct(&all, 1.0)
    );
    println!(
        "errors by status (0: the request failed): {:?}",
        statuses.lock().unwrap()
    );
    println!(
        "failed sign-ins sent beside it: {} ({flood}/s)",
        flood_sent.load(Ordering::Relaxed)
    );
    println!(
        "memory of the process (server, database client, load generator): {rss0:.0} MB at the start, {rss1:.0} MB at the end ({:+.1}%)",
        (rss1 - rss0) / rss0.max(1.0) * 100.0
    );
    drop(db);
    nat.finish().await
}
