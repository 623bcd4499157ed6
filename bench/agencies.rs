//! Agency registry benchmark (W2): import, export and search at scale.
//!
//!   cargo bench --bench agencies -- [--agencies 30000] [--clients 16] [--seconds 10]
//!                                   [--database-url postgres://...]
//!
//! Builds a fresh database (SQLite in a temp dir, or a fresh schema in the given
//! PostgreSQL database), loads the demo, imports N synthetic agencies into デモ市
//! from an XLSX file through the same path as `yorube import agencies`, exports the
//! registry, then serves the real router on loopback and runs C concurrent clients
//! against GET /api/v1/agencies?q=... with a mix of 1-, 2- and 4-character queries.
//! Prints the figures; asserts nothing.

use std::time::{Duration, Instant};

use yorube::agencies::{generate, import, io};
use yorube::app::{AppState, Config};
use yorube::auth::{Ctx, Role};
use yorube::db::Db;

const PW: &str = "bench-Passw0rd-2026";
const QUERIES: [&str; 15] = [
    "腎",
    "心",
    "学",
    "病",
    "こ",
    "学校",
    "相談",
    "支援",
    "家族",
    "就労",
    "医療的ケ",
    "移行期医",
    "慢性腎疾",
    "訪問看護",
    "こども病",
];

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("YORUBE_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .try_init();
    let n: usize = arg("--agencies")
        .and_then(|v| v.parse().ok())
        .unwrap_or(30_000);
    let clients: usize = arg("--clients").and_then(|v| v.parse().ok()).unwrap_or(16);
    let seconds: u64 = arg("--seconds").and_then(|v| v.parse().ok()).unwrap_or(10);
    let pg = arg("--database-url").or_else(|| std::env::var("YORUBE_BENCH_DATABASE_URL").ok());
    let dir = tempfile::tempdir()?;
    // The PostgreSQL schema made for this run, dropped at the end.
    let mut drop_schema: Option<(Db, String)> = None;
    let db = match &pg {
        Some(base) => {
            let admin = Db::connect(None, Some(base)).await?;
            let schema = format!("bench_{}", uuid::Uuid::now_v7().simple());
            sqlx::query(&format!("CREATE SCHEMA {schema}"))
                .execute(&admin.pool)
                .await?;
            drop_schema = Some((admin.clone(), schema.clone()));
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
    yorube::audit::key::install_file(&dir.path().join("yorube-audit.key"), true)?;
    yorube::agencies::store::seed_all_tenants(&db)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    yorube::demo::run(&db, Some(PW))
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let tenant = yorube::tenants::find_tenant_by_code(&db, "demo-city")
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?
        .expect("demo-city");
    let ctx = Ctx::system_in(
        Role::TenantAdmin,
        yorube::auth::Tenancy {
            id: tenant.id.clone(),
            code: tenant.code.clone(),
            name: tenant.name.clone(),
        },
    );
    println!(
        "# yorube agency benchmark — {} agencies, {} clients, {} s, database {}",
        n,
        clients,
        seconds,
        db.engine().as_str()
    );
    println!(
        "machine: {} cores",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );

    // Import N agencies from an XLSX file.
    let agencies: Vec<io::ExportAgency> = generate::synthetic(n, 42)
        .into_iter()
        .enumerate()
        .map(|(i, input)| io::ExportAgency {
            id: i.to_string(),
            input,
        })
        .collect();
    let t = Instant::now();
    let xlsx = io::write_xlsx(&agencies, &[])?;
    println!(
        "write synthetic xlsx: {:.2} s ({} bytes)",
        t.elapsed().as_secs_f64(),
        xlsx.len()
    );
    drop(agencies);
    let t = Instant::now();
    let parsed = io::read_agencies(&xlsx, "bench.xlsx").map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "  read xlsx only: {:.2} s ({} rows)",
        t.elapsed().as_secs_f64(),
        parsed.rows.len()
    );
    drop(parsed);
    let t = Instant::now();
    let preview = import::preview(&db, &ctx, "bench.xlsx", &xlsx)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let t_preview = t.elapsed().as_secs_f64();
    let outcome = import::commit(&db, &ctx, &preview.batch_id, false, false)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?} {:?}", import::problem_lines(&preview).first()))?;
    println!(
        "import {} rows from xlsx (read + check + commit): {:.2} s (preview {:.2} s, commit {:.2} s)",
        outcome.created,
        t.elapsed().as_secs_f64(),
        t_preview,
        t.elapsed().as_secs_f64() - t_preview
    );

    let state = AppState::new(db.clone(), Config::default());
    for format in ["xlsx", "csv", "csv-sjis", "hsds"] {
        let t = Instant::now();
        let (bytes, _, _) = web_export(&state, &ctx, format).await?;
        println!(
            "export {format}: {:.2} s ({} bytes)",
            t.elapsed().as_secs_f64(),
            bytes.len()
        );
    }

    // Serve and search.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, yorube::app::router(state)).await });
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(clients * 2)
        .build()?;
    let tok: serde_json::Value = client
        .post(format!("{url}/api/v1/auth/token"))
        .json(&serde_json::json!({"login": "nurse@demo-city", "password": PW}))
        .send()
        .await?
        .json()
        .await?;
    let token = tok["token"].as_str().unwrap_or_default().to_string();
    let t = Instant::now();
    let first: serde_json::Value = client
        .get(format!("{url}/api/v1/agencies?q=%E8%85%8E"))
        .bearer_auth(&token)
        .send()
        .await?
        .json()
        .await?;
    println!(
        "first search (builds the index of {} agencies): {:.0} ms, total hits for 腎: {}",
        n + 61,
        t.elapsed().as_secs_f64() * 1000.0,
        first["total"]
    );
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = vec![];
    for c in 0..clients {
        let client = client.clone();
        let url = url.clone();
        let token = token.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat: Vec<(usize, Duration)> = vec![];
            let mut i = c;
            while Instant::now() < deadline {
                let q = QUERIES[i % QUERIES.len()];
                i += 1;
                let enc: String = form_urlencoded::byte_serialize(q.as_bytes()).collect();
                let t = Instant::now();
                let res = client
                    .get(format!("{url}/api/v1/agencies?q={enc}"))
                    .bearer_auth(&token)
                    .send()
                    .await;
                match res {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        lat.push((q.chars().count(), t.elapsed()));
                    }
                    Ok(r) => eprintln!("status {}", r.status()),
                    Err(e) => eprintln!("error {e}"),
                }
            }
            lat
        }));
    }
    let mut all: Vec<(usize, Duration)> = vec![];
    for t in tasks {
        all.extend(t.await?);
    }
    let mut every: Vec<Duration> = all.iter().map(|x| x.1).collect();
    every.sort();
    println!(
        "search, {} clients, {} requests in {} s ({:.0} req/s): median {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        clients,
        every.len(),
        seconds,
        every.len() as f64 / seconds as f64,
        pct(&every, 0.5),
        pct(&every, 0.9),
        pct(&every, 0.99),
        pct(&every, 1.0)
    );
    for len in [1, 2, 4] {
        let mut v: Vec<Duration> = all.iter().filter(|x| x.0 == len).map(|x| x.1).collect();
        v.sort();
        println!(
            "  {len}-character queries: {} requests, median {:.2} ms, p99 {:.2} ms",
            v.len(),
            pct(&v, 0.5),
            pct(&v, 0.99)
        );
    }
    if let Some((admin, schema)) = drop_schema {
        db.pool.close().await;
        sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
            .execute(&admin.pool)
            .await?;
    }
    Ok(())
}

async fn web_export(
    state: &AppState,
    ctx: &Ctx,
    format: &str,
) -> anyhow::Result<(Vec<u8>, &'static str, String)> {
    yorube::agencies::export::export_file(&state.db, ctx, format)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))
}
