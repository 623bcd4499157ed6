//! Demo data: two tenants (デモ市, デモ県) with one user per role, and `sysadmin`.
//! Deterministic apart from ids and timestamps; running it again resets the demo.

pub mod cases;
pub mod conferences;
pub mod needs;
pub mod network;
pub mod services;
pub mod survey;

use crate::audit::{self, Entry};
use crate::auth::{password, Ctx, Role, Tenancy, TenantId};
use crate::db::Db;
use crate::error::AppResult;
use crate::time;

pub struct DemoTenant {
    pub code: &'static str,
    pub name: &'static str,
    pub kind: &'static str,
    /// (role, 氏名) for each tenant role.
    pub people: [(Role, &'static str); 6],
}

pub const TENANTS: [DemoTenant; 2] = [
    DemoTenant {
        code: "demo-city",
        name: "デモ市",
        kind: "core_city",
        people: [
            (Role::TenantAdmin, "佐藤 由美"),
            (Role::Nurse, "高橋 美穂"),
            (Role::SupportWorker, "田中 健一"),
            (Role::Contractor, "伊藤 さくら"),
            (Role::Partner, "渡辺 誠"),
            (Role::Auditor, "山本 和子"),
        ],
    },
    DemoTenant {
        code: "demo-pref",
        name: "デモ県",
        kind: "prefecture",
        people: [
            (Role::TenantAdmin, "中村 直子"),
            (Role::Nurse, "小林 恵"),
            (Role::SupportWorker, "加藤 大輔"),
            (Role::Contractor, "吉田 明美"),
            (Role::Partner, "山田 翔太"),
            (Role::Auditor, "松本 浩二"),
        ],
    },
];

pub struct DemoReport {
    pub password: String,
    pub logins: Vec<(String, &'static str, String)>,
    /// The second factor's secret (base32) enrolled for the demo's administrators.
    pub totp_secret: String,
}

/// Creates or resets the demo. `password` is used for every demo login; when None a
/// random one is generated (and returned so that it can be printed). The
/// administrators (who need a second factor) get a newly generated TOTP secret.
pub async fn run(db: &Db, password_in: Option<&str>) -> AppResult<DemoReport> {
    run_with_totp(db, password_in, None).await
}

/// `run`, enrolling `totp_secret` (base32) for the administrators, or a generated one.
pub async fn run_with_totp(
    db: &Db,
    password_in: Option<&str>,
    totp_secret: Option<&str>,
) -> AppResult<DemoReport> {
    let totp_secret = match totp_secret {
        Some(s) => {
            let s: String = s
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_ascii_uppercase();
            if crate::auth::totp::parse_secret(&s).is_none() {
                return Err(crate::AppError::invalid(
                    "totp_secret",
                    "--totp-secret は base32（A〜Z と 2〜7）で 128 ビット（26文字）以上にしてください。",
                ));
            }
            s
        }
        None => crate::auth::totp::new_secret(),
    };
    let password = match password_in {
        Some(p) => p.to_string(),
        None => password::generate(),
    };
    password::check_strength(&password, "").map_err(|m| crate::AppError::invalid("password", m))?;
    // One hash shared by the demo accounts keeps `yorube demo` quick; real accounts
    // each get their own salt.
    let hash = password::hash(&password)?;
    let now = time::now_db();
    let ctx = Ctx::system();
    let mut logins = vec![];
    let mut tx = db.begin_write().await?;
    // The demo's own tenants, found by code or made here: the statements of this loop
    // are plain SQL on the tenant id it has just read or created (a `&str`).
    for t in &TENANTS {
        let existing: Option<String> = sqlx::query_scalar("SELECT id FROM tenants WHERE code = $1")
            .bind(t.code)
            .fetch_optional(&mut *tx)
            .await?;
        let tenant_id = match existing {
            Some(id) => {
                // Reset: the demo tenant's people (and with them sessions and tokens) go.
                sqlx::query("DELETE FROM users WHERE tenant_id = $1")
                    .bind(&id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("UPDATE tenants SET name = $1, kind = $2 WHERE id = $3")
                    .bind(t.name)
                    .bind(t.kind)
                    .bind(&id)
                    .execute(&mut *tx)
                    .await?;
                id
            }
            None => {
                let id = uuid::Uuid::now_v7().to_string();
                sqlx::query("INSERT INTO tenants (id, code, name, kind, created_at) VALUES ($1, $2, $3, $4, $5)")
                    .bind(&id)
                    .bind(t.code)
                    .bind(t.name)
                    .bind(t.kind)
                    .bind(&now)
                    .execute(&mut *tx)
                    .await?;
                id
            }
        };
        for (role, name) in t.people {
            let login = format!("{}@{}", role.as_str(), t.code);
            insert_user(&mut tx, Some(&tenant_id), &login, name, role, &hash, &now).await?;
            logins.push((login, role.label(), name.to_string()));
        }
        audit::append(
            &mut tx,
            Entry::new(&ctx, Some(&tenant_id), "demo.reset", "tenant", &tenant_id).detail(t.code),
        )
        .await?;
    }
    for t in &TENANTS {
        let id: String = sqlx::query_scalar("SELECT id FROM tenants WHERE code = $1")
            .bind(t.code)
            .fetch_one(&mut *tx)
            .await?;
        // The system within the demo tenant: what hands out its TenantId for the
        // loaders (and the store functions they call).
        let within = Ctx::system_in(
            Role::TenantAdmin,
            Tenancy {
                id,
                code: t.code.into(),
                name: t.name.into(),
            },
        );
        let tenant_id: &TenantId = within.tenant()?;
        registry(&mut tx, &ctx, tenant_id, t.code, &now).await?;
        let user = |role: &str| format!("{role}@{}", t.code);
        let mut ids = vec![];
        for role in ["nurse", "support_worker", "contractor"] {
            let (id, name): (String, String) =
                sqlx::query_as("SELECT id, display_name FROM users WHERE login = $1")
                    .bind(user(role))
                    .fetch_one(&mut *tx)
                    .await?;
            ids.push((id, name));
        }
        let staff = crate::demo::cases::Staff {
            nurse: ids[0].0.clone(),
            support_worker: ids[1].0.clone(),
            contractor: ids[2].0.clone(),
            names: [ids[0].1.clone(), ids[1].1.clone(), ids[2].1.clone()],
        };
        let n = if t.code == "demo-city" { 42 } else { 21 };
        crate::demo::cases::load(&mut tx, tenant_id, t.code, n, &staff).await?;
        crate::demo::network::load(&mut tx, tenant_id, t.code).await?;
        crate::demo::conferences::load(&mut tx, tenant_id, t.code).await?;
        let contact = if t.code == "demo-city" {
            "デモ市保健所 保健予防課　電話 000-123-4567（平日 8:30〜17:15）"
        } else {
            "デモ県 健康福祉部 疾病対策課　電話 000-765-4321（平日 8:30〜17:15）"
        };
        crate::demo::needs::load(&mut tx, tenant_id, t.code, contact).await?;
        audit::append(
            &mut tx,
            Entry::new(&ctx, Some(tenant_id), "demo.casework", "tenant", tenant_id)
                .detail(&format!("{n} 人")),
        )
        .await?;
    }
    sqlx::query("DELETE FROM users WHERE login = 'sysadmin'")
        .execute(&mut *tx)
        .await?;
    insert_user(
        &mut tx,
        None,
        "sysadmin",
        "運用 担当",
        Role::SystemAdmin,
        &hash,
        &now,
    )
    .await?;
    logins.push((
        "sysadmin".into(),
        Role::SystemAdmin.label(),
        "運用 担当".into(),
    ));
    // The administrators sign in with a second factor: the demo's secret.
    let admins: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM users WHERE role IN ('tenant_admin', 'system_admin') AND (login = 'sysadmin' OR login LIKE '%@demo-city' OR login LIKE '%@demo-pref')",
    )
    .fetch_all(&mut *tx)
    .await?;
    for id in &admins {
        crate::auth::totp::enrol_known(&mut tx, id, &totp_secret).await?;
    }
    tx.commit().await?;
    db.optimize().await?;
    Ok(DemoReport {
        password,
        logins,
        totp_secret,
    })
}

/// A demo user (plain SQL, for a tenant the demo has just made, or none: sysadmin).
async fn insert_user(
    tx: &mut crate::db::Tx,
    tenant_id: Option<&str>,
    login: &str,
    name: &str,
    role: Role,
    hash: &str,
    now: &str,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO users (id, tenant_id, login, display_name, role, password_hash, failed_logins, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $7)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(tenant_id)
    .bind(login)
    .bind(name)
    .bind(role.as_str())
    .bind(hash)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[derive(serde::Deserialize)]
struct DemoRegistry {
    agencies: Vec<crate::agencies::model::AgencyInput>,
    scene_links: Vec<DemoLink>,
    programs: Vec<DemoProgram>,
}

#[derive(serde::Deserialize)]
struct DemoLink {
    scene: String,
    agency: String,
    method: String,
    content: String,
}

#[derive(serde::Deserialize)]
struct DemoProgram {
    agency: String,
    program: String,
}

const REGISTRY_CITY: &str = include_str!("../../data/demo/agencies_demo_city.json");
const REGISTRY_PREF: &str = include_str!("../../data/demo/agencies_demo_pref.json");

/// Resets a demo tenant's agency registry: lists, agencies, scenes, programs, and
/// links the tenant's partner user to the first hospital-like agency.
async fn registry(
    tx: &mut crate::db::Tx,
    ctx: &Ctx,
    tenant_id: &TenantId,
    code: &str,
    now: &str,
) -> AppResult<()> {
    use crate::agencies::{model, store};
    crate::demo::cases::clear(tx, tenant_id).await?;
    crate::demo::network::clear(tx, tenant_id).await?;
    for table in [
        "agency_proposals",
        "import_batches",
        "agency_programs",
        "agency_scenes",
        "agency_contacts",
        "agency_history",
        "agencies",
        "agency_fields",
        "scenes",
        "related_programs",
    ] {
        sqlx::query(&format!("DELETE FROM {table} WHERE tenant_id = $1"))
            .bind(tenant_id)
            .execute(&mut **tx)
            .await?;
    }
    store::seed_lists(tx, tenant_id).await?;
    let data: DemoRegistry = serde_json::from_str(if code == "demo-city" {
        REGISTRY_CITY
    } else {
        REGISTRY_PREF
    })
    .map_err(|e| crate::AppError::Internal(anyhow::anyhow!("demo registry data: {e}")))?;
    let fields: Vec<String> = model::DEFAULT_FIELDS
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut ids: std::collections::HashMap<String, String> = Default::default();
    let (mut rows, mut contacts, mut history) = (vec![], vec![], vec![]);
    for a in &data.agencies {
        let a = model::validate(a, &fields).map_err(|e| {
            crate::AppError::Internal(anyhow::anyhow!(
                "demo agency {} is invalid: {:?}",
                a.name,
                e.iter().map(|x| x.message.clone()).collect::<Vec<_>>()
            ))
        })?;
        let id = store::new_id();
        rows.push(store::agency_row_for_import(tenant_id, &id, &a, now));
        contacts.extend(store::contact_rows_for_import(tenant_id, &id, &a));
        history.push(store::history_row_for_import(
            tenant_id, &id, 1, "create", "system", &a, now,
        ));
        ids.insert(a.name.clone(), id);
    }
    store::insert_agencies(tx, rows, contacts, history).await?;
    for l in &data.scene_links {
        let scene_id: Option<String> =
            sqlx::query_scalar("SELECT id FROM scenes WHERE tenant_id = $1 AND name = $2")
                .bind(tenant_id)
                .bind(&l.scene)
                .fetch_optional(&mut **tx)
                .await?;
        if let (Some(scene_id), Some(agency_id)) = (scene_id, ids.get(&l.agency)) {
            sqlx::query("INSERT INTO agency_scenes (tenant_id, scene_id, agency_id, method, content) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (scene_id, agency_id) DO NOTHING")
                .bind(tenant_id)
                .bind(&scene_id)
                .bind(agency_id)
                .bind(&l.method)
                .bind(&l.content)
                .execute(&mut **tx)
                .await?;
        }
    }
    for p in &data.programs {
        let program_id: Option<String> = sqlx::query_scalar(
            "SELECT id FROM related_programs WHERE tenant_id = $1 AND name = $2",
        )
        .bind(tenant_id)
        .bind(&p.program)
        .fetch_optional(&mut **tx)
        .await?;
        if let (Some(program_id), Some(agency_id)) = (program_id, ids.get(&p.agency)) {
            sqlx::query("INSERT INTO agency_programs (tenant_id, agency_id, program_id) VALUES ($1, $2, $3) ON CONFLICT (agency_id, program_id) DO NOTHING")
                .bind(tenant_id)
                .bind(agency_id)
                .bind(&program_id)
                .execute(&mut **tx)
                .await?;
        }
    }
    // The partner user answers for the hospital (or the first agency).
    let partner_agency = data
        .agencies
        .iter()
        .find(|a| a.name.contains("こども病院"))
        .or_else(|| data.agencies.first())
        .and_then(|a| ids.get(&crate::text::clean(&a.name)));
    sqlx::query("UPDATE users SET agency_id = $1 WHERE login = $2")
        .bind(partner_agency)
        .bind(format!("partner@{code}"))
        .execute(&mut **tx)
        .await?;
    store::bump(tx, tenant_id).await?;
    audit::append(
        tx,
        Entry::new(ctx, Some(tenant_id), "demo.registry", "tenant", tenant_id)
            .detail(&format!("{} 機関", ids.len())),
    )
    .await?;
    Ok(())
}
