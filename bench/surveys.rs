//! Survey benchmark (W5): the results of a survey with 40 questions and 50,000 answers,
//! and the public answer page under 32 concurrent clients.
//!
//!   cargo bench --bench surveys -- [--answers 50000] [--runs 11] [--database-url postgres://...]
//!
//! Makes a tenant-sized demo (yorube demo), adds a survey of 40 questions (the kinds in
//! the proportions of the needs survey: choices, scales, numbers, text) and 50,000
//! generated answers, then times, one after another, `surveys::engine::results` (what
//! the results page and GET /api/v1/surveys/{id}/results call: every answer read and
//! counted, no cache), the counting alone, and a cross-tabulation of every choice item
//! by one question; then serves the real router on loopback and times GET /s/{token}
//! (the answer form) from 32 clients for 10 s. Prints the figures; asserts nothing.

use std::sync::Arc;
use std::time::{Duration, Instant};

use yorube::app::{AppState, Config};
use yorube::auth::{Ctx, Role, Tenancy};
use yorube::db::{insert_many, Db, Val};
use yorube::surveys::engine::{self, answers::Value, def::Definition, store, tally};

mod national;
use national::{arg, pct};

fn definition() -> Definition {
    let mut items = vec![];
    for i in 0..40 {
        let key = format!("q{i}");
        let item = match i % 8 {
            0..=2 => {
                serde_json::json!({"key": key, "kind": "single", "text": format!("質問 {i}"),
                "options": (1..=6).map(|k| serde_json::json!({"key": k.to_string(), "label": format!("選択肢 {k}")})).collect::<Vec<_>>()})
            }
            3 => serde_json::json!({"key": key, "kind": "multi", "text": format!("質問 {i}"),
                "options": (1..=8).map(|k| serde_json::json!({"key": k.to_string(), "label": format!("選択肢 {k}")})).collect::<Vec<_>>()}),
            4 | 5 => serde_json::json!({"key": key, "kind": "scale", "text": format!("質問 {i}")}),
            6 => {
                serde_json::json!({"key": key, "kind": "number", "text": format!("質問 {i}"), "min": 0, "max": 100})
            }
            _ => serde_json::json!({"key": key, "kind": "long", "text": format!("質問 {i}")}),
        };
        items.push(item);
    }
    serde_json::from_value(serde_json::json!({"intro": "ベンチマーク", "sections": [{"title": "全体", "items": items}]})).expect("definition")
}

fn answer(n: u64) -> String {
    let mut x = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = |m: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % m
    };
    let mut a = serde_json::Map::new();
    for i in 0..40 {
        let key = format!("q{i}");
        if next(10) == 0 {
            continue; // no answer
        }
        let v = match i % 8 {
            0..=2 => Value::One((1 + next(6)).to_string()),
            3 => Value::Many(
                (1..=8)
                    .filter(|_| next(3) == 0)
                    .map(|k| k.to_string())
                    .collect(),
            ),
            4 | 5 => Value::One((1 + next(5)).to_string()),
            6 => Value::Number(next(101) as i64),
            _ => {
                if next(4) != 0 {
                    continue;
                }
                Value::One(
                    "通院の付きそいで仕事を休むことが多く、きょうだいの行事にも行けていません。"
                        .into(),
                )
            }
        };
        a.insert(key, serde_json::to_value(v).expect("value"));
    }
    serde_json::Value::Object(a).to_string()
}

fn median_ms(mut v: Vec<Duration>) -> (f64, f64, f64) {
    v.sort();
    (
        pct(&v, 0.5),
        v[0].as_secs_f64() * 1000.0,
        v[v.len() - 1].as_secs_f64() * 1000.0,
    )
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let n: usize = arg("--answers")
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_000);
    let runs: usize = arg("--runs").and_then(|v| v.parse().ok()).unwrap_or(11);
    let dir = tempfile::tempdir()?;
    let pg = arg("--database-url").or_else(|| std::env::var("YORUBE_BENCH_DATABASE_URL").ok());
    let db = match &pg {
        Some(base) => {
            let admin = Db::connect(None, Some(base)).await?;
            let schema = format!("bench_{}", uuid::Uuid::now_v7().simple());
            sqlx::query(&format!("CREATE SCHEMA {schema}"))
                .execute(&admin.pool)
                .await?;
            let sep = if base.contains('?') { '&' } else { '?' };
            Db::connect(
                None,
                Some(&format!("{base}{sep}options=-c%20search_path%3D{schema}")),
            )
            .await?
        }
        None => Db::connect(Some(dir.path()), None).await?,
    };
    db.migrate().await?;
    yorube::audit::key::install_file(&dir.path().join("audit.key"), true)?;
    yorube::demo::run(&db, Some(national::PW)).await?;
    let (tid, tname): (String, String) =
        sqlx::query_as("SELECT id, name FROM tenants WHERE code = 'demo-city'")
            .fetch_one(&db.pool)
            .await?;
    let ctx = Ctx::system_in(
        Role::TenantAdmin,
        Tenancy {
            id: tid.clone(),
            code: "demo-city".into(),
            name: tname,
        },
    );
    let def = definition();
    let id = store::create(
        &db,
        &ctx,
        store::NewSurvey {
            title: "ベンチマーク調査".into(),
            definition: Some(def.clone()),
            anonymous: true,
            ..Default::default()
        },
    )
    .await?;
    store::set_status(&db, &ctx, &id, "open").await?;
    let t0 = Instant::now();
    let rows: Vec<Vec<Val>> = (0..n)
        .map(|i| {
            vec![
                Val::from(uuid::Uuid::now_v7().to_string()),
                Val::from(tid.as_str()),
                Val::from(id.as_str()),
                Val::from(1i64),
                Val::from(format!("bench-submission-{i:08}")),
                Val::from("web"),
                Val::from(answer(i as u64)),
                Val::OptText(None),
                Val::from(format!("2026-10-01T00:{:02}:{:02}Z", (i / 60) % 60, i % 60)),
            ]
        })
        .collect();
    let mut tx = db.pool.begin().await?;
    insert_many(
        &mut tx,
        "survey_responses",
        &[
            "id",
            "tenant_id",
            "survey_id",
            "version",
            "submission",
            "source",
            "answers",
            "entered_by",
            "submitted_at",
        ],
        rows,
    )
    .await?;
    tx.commit().await?;
    println!(
        "# yorube survey benchmark — 40 questions, {n} answers, database {}",
        if pg.is_some() { "postgres" } else { "sqlite" }
    );
    println!("answers inserted in {:.1} s", t0.elapsed().as_secs_f64());

    let mut whole = vec![];
    let mut count_only = vec![];
    let mut cross = vec![];
    let mut all = vec![];
    for _ in 0..runs {
        let t = Instant::now();
        let (_, r, a) = engine::results(&db, &ctx, &id).await?;
        whole.push(t.elapsed());
        assert_eq!(r.responses as usize, n);
        let t = Instant::now();
        let r2 = tally::results(&def, &a);
        count_only.push(t.elapsed());
        std::hint::black_box(r2);
        let t = Instant::now();
        let c: Vec<_> = def
            .items()
            .filter(|i| i.kind.has_options() && i.key != "q0")
            .filter_map(|i| tally::cross(&def, "q0", &i.key, &a))
            .collect();
        cross.push(t.elapsed());
        std::hint::black_box(c);
        all = a;
    }
    let (m, lo, hi) = median_ms(whole);
    println!("results (read every answer and count; no cache), {runs} runs: median {m:.0} ms (min {lo:.0}, max {hi:.0}) — target ≤ 1 s");
    let (m, lo, hi) = median_ms(count_only);
    println!("  of which counting alone: median {m:.0} ms (min {lo:.0}, max {hi:.0})");
    let (m, lo, hi) = median_ms(cross);
    println!("cross-tabulation of every choice item by one question: median {m:.0} ms (min {lo:.0}, max {hi:.0})");
    drop(all);

    // The public answer page: 32 clients, 10 s.
    let state = AppState::new(db.clone(), Config::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, yorube::app::router(state)).await });
    let path = store::get(&db, &ctx, &id).await?.path.expect("path");
    let page = format!("{url}{path}");
    let client = reqwest::Client::new();
    let size = client.get(&page).send().await?.bytes().await?.len();
    let lat = Arc::new(std::sync::Mutex::new(Vec::new()));
    let end = Instant::now() + Duration::from_secs(10);
    let mut tasks = vec![];
    for _ in 0..32 {
        let (client, page, lat) = (client.clone(), page.clone(), lat.clone());
        tasks.push(tokio::spawn(async move {
            let mut mine = vec![];
            while Instant::now() < end {
                let t = Instant::now();
                let r = client
                    .get(&page)
                    .send()
                    .await
                    .and_then(|r| r.error_for_status());
                if let Ok(r) = r {
                    let _ = r.bytes().await;
                    mine.push(t.elapsed());
                }
            }
            lat.lock().unwrap().extend(mine);
        }));
    }
    for t in tasks {
        t.await?;
    }
    let mut v = lat.lock().unwrap().clone();
    v.sort();
    println!(
        "public answer page GET /s/{{token}} ({} KB), 32 clients, 10 s: {} requests ({:.0} req/s): median {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms — target p99 ≤ 20 ms",
        size / 1024,
        v.len(),
        v.len() as f64 / 10.0,
        pct(&v, 0.5),
        pct(&v, 0.9),
        pct(&v, 0.99),
        pct(&v, 1.0)
    );
    Ok(())
}
