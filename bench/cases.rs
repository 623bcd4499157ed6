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

use chrono::Duration as Days;
use yorube::app::{AppState, Config};
use yorube::cases::store::columns;
use yorube::db::{insert_many, Db, Val};

const PW: &str = "bench-Passw0rd-2026";

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
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1000.0
}

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

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

const METHODS: [&str; 4] = ["電話", "訪問", "来所面接", "オンライン"];
const NOTES: [&str; 4] = [
    "受給者証の更新手続きで来所。学校生活での困りごとを聞き取った。",
    "母から電話。体調が安定せず欠席が続いている。主治医の見立てを確認する。",
    "家庭訪問。本人は進学の希望を話してくれた。",
    "学校と面談に同行。緊急時の連絡体制を確認した。",
];

/// N children of one tenant, each with a record like the demo's: two family members,
/// a support plan, three indicator readings, one or more follow-ups and M/N
/// consultations over two years; one in ten has had a handover, and where the tenant
/// has agencies, each child has a consent and one in five a referral with its history.
async fn generate(
    db: &Db,
    tenant_id: &str,
    worker: &str,
    children: usize,
    consultations: usize,
    seed: u64,
) -> anyhow::Result<()> {
    let mut r = Rng(seed);
    let today = yorube::time::today_jst();
    let now = yorube::time::now_db();
    let day = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
    let at = |d: chrono::NaiveDate| format!("{}T01:00:00.000000Z", day(d));
    let agencies: Vec<String> =
        sqlx::query_scalar("SELECT id FROM agencies WHERE tenant_id = $1 ORDER BY id")
            .bind(tenant_id)
            .fetch_all(&db.pool)
            .await?;
    let mut tx = db.begin_write().await?;
    let (mut kids, mut workers, mut cons, mut fups) = (vec![], vec![], vec![], vec![]);
    let (mut family, mut plans, mut indicators, mut handovers) = (vec![], vec![], vec![], vec![]);
    let (mut consents, mut referrals, mut events) = (vec![], vec![], vec![]);
    let per_child = consultations / children.max(1);
    let extra = consultations % children.max(1);
    for i in 0..children {
        let id = uuid::Uuid::now_v7().to_string();
        let birth = today - Days::days(365 + (r.next() % (365 * 18)) as i64);
        let cert_to = today + Days::days((r.next() % 365) as i64 - 30);
        kids.push(vec![
            Val::from(id.as_str()),
            tenant_id.into(),
            format!("試験 {i}").into(),
            format!("しけん {i}").into(),
            birth.format("%Y-%m-%d").to_string().into(),
            "female".into(),
            ((r.next() % 16 + 1) as i64).into(),
            "慢性疾患".into(),
            format!("{:07}", i).into(),
            Val::OptText(Some(
                (cert_to - Days::days(364)).format("%Y-%m-%d").to_string(),
            )),
            Val::OptText(Some(cert_to.format("%Y-%m-%d").to_string())),
            false.into(),
            "デモ市立小学校".into(),
            "".into(),
            "".into(),
            "".into(),
            "".into(),
            "active".into(),
            1i64.into(),
            now.as_str().into(),
            now.as_str().into(),
        ]);
        workers.push(vec![
            tenant_id.into(),
            id.as_str().into(),
            worker.into(),
            true.into(),
            now.as_str().into(),
        ]);
        let n = per_child + usize::from(i < extra);
        for k in 0..n {
            let day = today - Days::days((r.next() % 730) as i64);
            cons.push(vec![
                uuid::Uuid::now_v7().to_string().into(),
                tenant_id.into(),
                id.as_str().into(),
                format!("{}T0{}:00:00.000000Z", day.format("%Y-%m-%d"), k % 9).into(),
                METHODS[(r.next() % 4) as usize].into(),
                "療育相談指導".into(),
                "保護者".into(),
                "学校".into(),
                30i64.into(),
                "".into(),
                NOTES[(r.next() % 4) as usize].into(),
                "".into(),
                worker.into(),
                "試験 職員".into(),
                now.as_str().into(),
            ]);
        }
        fups.push(vec![
            uuid::Uuid::now_v7().to_string().into(),
            tenant_id.into(),
            id.as_str().into(),
            "recontact".into(),
            (today + Days::days((r.next() % 90) as i64 - 20))
                .format("%Y-%m-%d")
                .to_string()
                .into(),
            "電話で様子を確認".into(),
            Val::OptText(Some(worker.to_string())),
            Val::OptText(None),
            Val::OptText(None),
            now.as_str().into(),
        ]);
        for (pos, (relation, name, guardian)) in [
            ("母", format!("試験 母{i}"), true),
            (
                ["父", "兄", "姉"][(r.next() % 3) as usize],
                format!("試験 家族{i}"),
                false,
            ),
        ]
        .into_iter()
        .enumerate()
        {
            family.push(vec![
                uuid::Uuid::now_v7().to_string().into(),
                tenant_id.into(),
                id.as_str().into(),
                relation.into(),
                name.into(),
                Val::OptText(None),
                if guardian { "090-0000-0000" } else { "" }.into(),
                guardian.into(),
                (!guardian && relation != "父").into(),
                "".into(),
                (pos as i64).into(),
            ]);
        }
        // Plans are reviewed within the year; a few reviews are overdue.
        let written = today - Days::days((r.next() % 300) as i64);
        plans.push(vec![
            uuid::Uuid::now_v7().to_string().into(),
            tenant_id.into(),
            id.as_str().into(),
            1i64.into(),
            "学校に通い続けたい".into(),
            "体調の変化に早く気づけるようになってほしい".into(),
            "自分の体調を周りに説明できる".into(),
            "服薬を自分で管理する\n困ったときに先生に相談する".into(),
            Val::OptText(Some(day(today + Days::days((r.next() % 380) as i64 - 15)))),
            "[]".into(),
            "".into(),
            "試験 職員".into(),
            at(written).into(),
        ]);
        for k in 0..3i64 {
            indicators.push(vec![
                uuid::Uuid::now_v7().to_string().into(),
                tenant_id.into(),
                id.as_str().into(),
                "absence_days".into(),
                format!("2026-{}", k + 1).into(),
                ((r.next() % 12) as i64).into(),
                "".into(),
                "試験 職員".into(),
                at(today - Days::days(120 * (3 - k))).into(),
            ]);
        }
        if r.next().is_multiple_of(10) {
            handovers.push(vec![
                uuid::Uuid::now_v7().to_string().into(),
                tenant_id.into(),
                id.as_str().into(),
                "前任 職員".into(),
                "試験 職員".into(),
                "異動のため引き継ぎ。学校との連絡は毎月。".into(),
                at(today - Days::days((r.next() % 365) as i64)).into(),
            ]);
        }
        if !agencies.is_empty() {
            let agency = &agencies[(r.next() % agencies.len() as u64) as usize];
            let from = today - Days::days((r.next() % 365) as i64);
            consents.push(vec![
                uuid::Uuid::now_v7().to_string().into(),
                tenant_id.into(),
                id.as_str().into(),
                agency.as_str().into(),
                "学校生活の支援のため".into(),
                "basic,disease,school".into(),
                day(from).into(),
                Val::OptText(None),
                "書面".into(),
                "母".into(),
                "試験 職員".into(),
                at(from).into(),
                "".into(),
            ]);
            if r.next().is_multiple_of(5) {
                let rid = uuid::Uuid::now_v7().to_string();
                let sent = from + Days::days(3);
                referrals.push(vec![
                    rid.as_str().into(),
                    tenant_id.into(),
                    id.as_str().into(),
                    agency.as_str().into(),
                    "学校生活の支援".into(),
                    "basic,disease".into(),
                    "よろしくお願いします。".into(),
                    "accepted".into(),
                    "".into(),
                    "".into(),
                    "試験 職員".into(),
                    at(sent).into(),
                    at(sent + Days::days(2)).into(),
                    Val::OptText(Some(at(sent + Days::days(2)))),
                    Val::OptText(None),
                ]);
                for (k, (from_status, to_status)) in
                    [("", "sent"), ("sent", "accepted")].into_iter().enumerate()
                {
                    events.push(vec![
                        uuid::Uuid::now_v7().to_string().into(),
                        tenant_id.into(),
                        rid.as_str().into(),
                        at(sent + Days::days(2 * k as i64)).into(),
                        "試験 職員（保健師）".into(),
                        from_status.into(),
                        to_status.into(),
                        "".into(),
                    ]);
                }
            }
        }
        if cons.len() >= 20_000 {
            insert_many(
                &mut tx,
                "consultations",
                &columns::CONSULTATIONS,
                std::mem::take(&mut cons),
            )
            .await?;
        }
    }
    insert_many(&mut tx, "children", &columns::CHILDREN, kids).await?;
    insert_many(&mut tx, "child_workers", &columns::WORKERS, workers).await?;
    insert_many(&mut tx, "consultations", &columns::CONSULTATIONS, cons).await?;
    insert_many(&mut tx, "follow_ups", &columns::FOLLOW_UPS, fups).await?;
    insert_many(&mut tx, "family_members", &columns::FAMILY, family).await?;
    insert_many(&mut tx, "support_plans", &columns::PLANS, plans).await?;
    insert_many(&mut tx, "indicators", &columns::INDICATORS, indicators).await?;
    insert_many(&mut tx, "handovers", &columns::HANDOVERS, handovers).await?;
    insert_many(&mut tx, "consents", &columns::CONSENTS, consents).await?;
    insert_many(&mut tx, "referrals", &columns::REFERRALS, referrals).await?;
    insert_many(
        &mut tx,
        "referral_events",
        &columns::REFERRAL_EVENTS,
        events,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("YORUBE_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .try_init();
    let children: usize = arg("--children")
        .and_then(|v| v.parse().ok())
        .unwrap_or(130_000);
    let consultations: usize = arg("--consultations")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_500_000);
    let clients: usize = arg("--clients").and_then(|v| v.parse().ok()).unwrap_or(32);
    let seconds: u64 = arg("--seconds").and_then(|v| v.parse().ok()).unwrap_or(10);
    let pg = arg("--database-url").or_else(|| std::env::var("YORUBE_BENCH_DATABASE_URL").ok());
    let dir = tempfile::tempdir()?;
    let mut drop_schema: Option<(Db, String)> = None;
    let db = match &pg {
        Some(base) => {
            let admin = Db::connect(None, Some(base)).await?;
            // --keep NAME: the schema NAME is kept (and reused by the next run).
            let schema = match arg("--keep") {
                Some(k) if k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => k,
                Some(_) => anyhow::bail!("--keep: a schema name of letters, digits and _"),
                None => format!("bench_{}", uuid::Uuid::now_v7().simple()),
            };
            drop_schema = (arg("--keep").is_none()).then(|| (admin.clone(), schema.clone()));
            sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
                .execute(&admin.pool)
                .await?;
            let sep = if base.contains('?') { '&' } else { '?' };
            Db::connect(
                None,
                Some(&format!("{base}{sep}options=-c%20search_path%3D{schema}")),
            )
            .await?
        }
        None => match arg("--keep") {
            Some(keep) => Db::connect(Some(std::path::Path::new(&keep)), None).await?,
            None => Db::connect(Some(dir.path()), None).await?,
        },
    };
    db.migrate().await?;
    // The audit key: YORUBE_AUDIT_KEY_FILE, else one kept with --keep's data, else the run's.
    let key_file = match (std::env::var_os("YORUBE_AUDIT_KEY_FILE"), arg("--keep")) {
        (Some(f), _) => std::path::PathBuf::from(f),
        (None, Some(keep)) => std::env::temp_dir().join(format!(
            "yorube-bench-{}.key",
            keep.replace(['/', '\\'], "_")
        )),
        (None, None) => dir.path().join("yorube-audit.key"),
    };
    yorube::audit::key::install_file(&key_file, true)?;
    // With --keep DIR holding an earlier run's data, the data is reused as it is.
    let reuse = arg("--keep").is_some()
        && sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM children")
            .fetch_one(&db.pool)
            .await?
            >= children as i64;
    if !reuse {
        yorube::agencies::store::seed_all_tenants(&db)
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        yorube::demo::run(&db, Some(PW))
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    }
    println!("# yorube casework benchmark — {children} children, {consultations} consultations, {clients} clients, {seconds} s, database {}", db.engine().as_str());
    let tenants = 130usize;
    let per_tenant = children / tenants;
    let t0 = Instant::now();
    let city: (String, String) = sqlx::query_as("SELECT t.id, u.id FROM tenants t JOIN users u ON u.tenant_id = t.id WHERE t.code = 'demo-city' AND u.login = 'nurse@demo-city'").fetch_one(&db.pool).await?;
    if !reuse {
        let existing: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM children WHERE tenant_id = $1")
                .bind(&city.0)
                .fetch_one(&db.pool)
                .await?;
        generate(
            &db,
            &city.0,
            &city.1,
            per_tenant.saturating_sub(existing as usize),
            consultations / tenants,
            1,
        )
        .await?;
        for k in 1..tenants {
            let tid = uuid::Uuid::now_v7().to_string();
            let uid = uuid::Uuid::now_v7().to_string();
            sqlx::query("INSERT INTO tenants (id, code, name, kind, created_at) VALUES ($1, $2, $3, 'core_city', $4)").bind(&tid).bind(format!("bench-{k:03}")).bind(format!("試験市{k}")).bind(yorube::time::now_db()).execute(&db.pool).await?;
            sqlx::query("INSERT INTO users (id, tenant_id, login, display_name, role, password_hash, failed_logins, created_at, updated_at) VALUES ($1, $2, $3, '試験 職員', 'nurse', 'x', 0, $4, $4)")
            .bind(&uid).bind(&tid).bind(format!("nurse@bench-{k:03}")).bind(yorube::time::now_db()).execute(&db.pool).await?;
            generate(
                &db,
                &tid,
                &uid,
                per_tenant,
                consultations / tenants,
                k as u64 + 7,
            )
            .await?;
        }
    }
    let n_children: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM children")
        .fetch_one(&db.pool)
        .await?;
    let n_cons: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM consultations")
        .fetch_one(&db.pool)
        .await?;
    println!(
        "generated {n_children} children and {n_cons} consultations in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    db.optimize().await?;
    println!(
        "planner statistics refreshed in {:.1} s (yorube does this after bulk loads and hourly)",
        t.elapsed().as_secs_f64()
    );

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
    let hits = || Some(db.ext::<yorube::cases::store::RecordCache>().hits());
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
    if let Some((admin, schema)) = drop_schema {
        db.pool.close().await;
        sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
            .execute(&admin.pool)
            .await?;
    }
    Ok(())
}
