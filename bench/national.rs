#![allow(dead_code)] // shared by two benchmarks; each uses a part of it
//! The national dataset of the benchmarks (shared by `cases` and `reports`): the demo,
//! then N children over 130 tenants (1,000 each; デモ市 is one of them) with M
//! consultations in total, each child with a record like the demo's (see `generate`),
//! on SQLite in a temporary directory or on PostgreSQL in a fresh schema
//! (`--database-url`), optionally kept for the next run (`--keep`).

use std::time::Instant;

use chrono::Duration as Days;
use yorube::cases::store::columns;
use yorube::db::{insert_many, Db, Val};

pub const PW: &str = "bench-Passw0rd-2026";
/// The second factor the demo enrols for its administrators (tenant_admin, sysadmin).
pub const TOTP: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

/// The `p` quantile of sorted latencies, in milliseconds.
pub fn pct(sorted: &[std::time::Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1000.0
}

pub fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
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
pub async fn generate(
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

/// The loaded database, the temporary directory that holds it (SQLite) and the schema
/// to drop at the end (PostgreSQL).
pub struct National {
    pub db: Db,
    pub dir: tempfile::TempDir,
    pub drop_schema: Option<(Db, String)>,
    pub children: usize,
    pub consultations: usize,
    /// デモ市's id and its nurse's user id.
    pub city: (String, String),
}

impl National {
    pub async fn finish(self) -> anyhow::Result<()> {
        if let Some((admin, schema)) = self.drop_schema {
            self.db.pool.close().await;
            sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
                .execute(&admin.pool)
                .await?;
        }
        Ok(())
    }
}

/// Opens the database and loads the national dataset (`--children`, `--consultations`),
/// unless `--keep` names one that holds it already. `what` names the benchmark in the
/// first line printed.
pub async fn load(what: &str, extra: &str) -> anyhow::Result<National> {
    let children: usize = arg("--children")
        .and_then(|v| v.parse().ok())
        .unwrap_or(130_000);
    let consultations: usize = arg("--consultations")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_500_000);
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
        yorube::demo::run_with_totp(&db, Some(PW), Some(TOTP))
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    }
    println!("# yorube {what} benchmark — {children} children, {consultations} consultations{extra}, database {}", db.engine().as_str());
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
    Ok(National {
        db,
        dir,
        drop_schema,
        children,
        consultations,
        city,
    })
}
