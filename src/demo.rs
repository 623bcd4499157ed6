//! Demo data: two tenants (デモ市, デモ県) with one user per role, and `sysadmin`.
//! Deterministic apart from ids and timestamps; running it again resets the demo.

use crate::audit::{self, Entry};
use crate::auth::{password, Ctx, Role};
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
}

/// Creates or resets the demo. `password` is used for every demo login; when None a
/// random one is generated (and returned so that it can be printed).
pub async fn run(db: &Db, password_in: Option<&str>) -> AppResult<DemoReport> {
    let password = match password_in {
        Some(p) => p.to_string(),
        None => password::generate(),
    };
    password::check_strength(&password).map_err(|m| crate::AppError::invalid("password", m))?;
    // One hash shared by the demo accounts keeps `yorube demo` quick; real accounts
    // each get their own salt.
    let hash = password::hash(&password)?;
    let now = time::now_db();
    let ctx = Ctx::system();
    let mut logins = vec![];
    let mut tx = db.begin_write().await?;
    for t in &TENANTS {
        let existing: Option<String> = sqlx::query_scalar("SELECT id FROM tenants WHERE code = $1")
            .bind(t.code)
            .fetch_optional(&mut *tx)
            .await?;
        let tenant_id = match existing {
            Some(id) => {
                // Reset: the demo tenant's people (and with them sessions and tokens) go.
                sqlx::query("DELETE FROM users WHERE tenant_id = $1").bind(&id).execute(&mut *tx).await?;
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
        audit::append(&mut tx, Entry::new(&ctx, Some(&tenant_id), "demo.reset", "tenant", &tenant_id).detail(t.code)).await?;
    }
    sqlx::query("DELETE FROM users WHERE login = 'sysadmin'").execute(&mut *tx).await?;
    insert_user(&mut tx, None, "sysadmin", "システム管理者", Role::SystemAdmin, &hash, &now).await?;
    logins.push(("sysadmin".into(), Role::SystemAdmin.label(), "システム管理者".into()));
    tx.commit().await?;
    Ok(DemoReport { password, logins })
}

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
