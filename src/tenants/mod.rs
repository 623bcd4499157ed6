//! Tenants (実施主体) and their users: the store. Every query of a tenant's users
//! carries the caller's tenant id; another tenant's ids look exactly like unknown ids.

pub mod web;

use serde::Serialize;
use sqlx::Row;

use crate::audit::{self, Entry};
use crate::auth::{password, policy, Action, Ctx, Role};
use crate::db::{is_unique_violation, Db};
use crate::error::{AppResult, FieldError};
use crate::text::{clean, clean_login};
use crate::{time, AppError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TenantKind {
    Prefecture,
    DesignatedCity,
    CoreCity,
    ChildGuidanceCity,
}

impl TenantKind {
    pub const ALL: [TenantKind; 4] = [
        TenantKind::Prefecture,
        TenantKind::DesignatedCity,
        TenantKind::CoreCity,
        TenantKind::ChildGuidanceCity,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TenantKind::Prefecture => "prefecture",
            TenantKind::DesignatedCity => "designated_city",
            TenantKind::CoreCity => "core_city",
            TenantKind::ChildGuidanceCity => "child_guidance_city",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            TenantKind::Prefecture => "都道府県",
            TenantKind::DesignatedCity => "指定都市",
            TenantKind::CoreCity => "中核市",
            TenantKind::ChildGuidanceCity => "児童相談所設置市",
        }
    }

    /// Accepts the code or the Japanese label.
    pub fn parse(s: &str) -> Option<TenantKind> {
        let s = clean(s);
        TenantKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s || k.label() == s)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Tenant {
    pub id: String,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub kind_label: String,
    pub created_at: String,
}

fn tenant_from_row(r: &sqlx::any::AnyRow) -> AppResult<Tenant> {
    let kind: String = r.try_get("kind")?;
    Ok(Tenant {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        kind_label: TenantKind::parse(&kind)
            .map(|k| k.label())
            .unwrap_or("")
            .to_string(),
        kind,
        created_at: r.try_get("created_at")?,
    })
}

/// Tenants the caller may see: all for system administrators, their own otherwise.
pub async fn list_tenants(db: &Db, ctx: &Ctx) -> AppResult<Vec<Tenant>> {
    let rows = if ctx.is_system_admin() {
        sqlx::query("SELECT id, code, name, kind, created_at FROM tenants ORDER BY code")
            .fetch_all(&db.pool)
            .await?
    } else {
        sqlx::query("SELECT id, code, name, kind, created_at FROM tenants WHERE id = $1")
            .bind(ctx.tenant()?)
            .fetch_all(&db.pool)
            .await?
    };
    rows.iter().map(tenant_from_row).collect()
}

/// A tenant by code, if the caller may see it (404 otherwise, also for unknown codes).
pub async fn get_tenant_by_code(db: &Db, ctx: &Ctx, code: &str) -> AppResult<Tenant> {
    let t = find_tenant_by_code(db, code)
        .await?
        .ok_or(AppError::NotFound)?;
    if ctx.is_system_admin() || ctx.tenant_id.as_deref() == Some(t.id.as_str()) {
        Ok(t)
    } else {
        Err(AppError::NotFound)
    }
}

/// For the CLI and sign-in: a tenant by code, no caller.
pub async fn find_tenant_by_code(db: &Db, code: &str) -> AppResult<Option<Tenant>> {
    let row = sqlx::query("SELECT id, code, name, kind, created_at FROM tenants WHERE code = $1")
        .bind(clean_login(code))
        .fetch_optional(&db.pool)
        .await?;
    row.as_ref().map(tenant_from_row).transpose()
}

pub struct NewTenant {
    pub code: String,
    pub name: String,
    pub kind: String,
}

pub fn validate_tenant(n: &NewTenant) -> Result<(String, String, TenantKind), AppError> {
    let mut errs = vec![];
    let code = clean_login(&n.code);
    if code.is_empty() {
        errs.push(FieldError::new(
            "code",
            "実施主体コードを入力してください。",
        ));
    } else if !code
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        || code.len() > 40
    {
        errs.push(FieldError::new(
            "code",
            "実施主体コードは半角英小文字・数字・ハイフン（40文字まで）で入力してください。",
        ));
    }
    let name = clean(&n.name);
    if name.is_empty() {
        errs.push(FieldError::new("name", "実施主体名を入力してください。"));
    }
    let kind = TenantKind::parse(&n.kind);
    if kind.is_none() {
        errs.push(FieldError::new(
            "kind",
            "種別は 都道府県・指定都市・中核市・児童相談所設置市 のいずれかを選んでください。",
        ));
    }
    match kind {
        Some(k) if errs.is_empty() => Ok((code, name, k)),
        _ => Err(AppError::Validation(errs)),
    }
}

pub async fn create_tenant(db: &Db, ctx: &Ctx, n: NewTenant) -> AppResult<Tenant> {
    policy::require(ctx, Action::ManageTenants)?;
    let (code, name, kind) = validate_tenant(&n)?;
    let id = uuid::Uuid::now_v7().to_string();
    let now = time::now_db();
    let mut tx = db.begin_write().await?;
    let res = sqlx::query(
        "INSERT INTO tenants (id, code, name, kind, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&id)
    .bind(&code)
    .bind(&name)
    .bind(kind.as_str())
    .bind(&now)
    .execute(&mut *tx)
    .await;
    if let Err(e) = res {
        if is_unique_violation(&e) {
            return Err(AppError::invalid(
                "code",
                format!("実施主体コード「{code}」は既に使われています。"),
            ));
        }
        return Err(e.into());
    }
    crate::agencies::store::seed_lists(&mut tx, &id).await?;
    audit::commit(
        tx,
        Entry::new(ctx, Some(&id), "tenant.create", "tenant", &id)
            .detail(&format!("{code} {name}")),
    )
    .await?;
    Ok(Tenant {
        id,
        code,
        name,
        kind: kind.as_str().into(),
        kind_label: kind.label().into(),
        created_at: now,
    })
}

pub use crate::auth::user::{load_ctx, User};
use crate::auth::user::{user_from_row, USER_COLS};

/// Users of the caller's tenant (system administrators: all users).
pub async fn list_users(db: &Db, ctx: &Ctx) -> AppResult<Vec<User>> {
    policy::require(ctx, Action::ViewUsers)?;
    let rows = if ctx.is_system_admin() {
        sqlx::query(&format!("SELECT {USER_COLS} ORDER BY t.code, u.login"))
            .fetch_all(&db.pool)
            .await?
    } else {
        sqlx::query(&format!(
            "SELECT {USER_COLS} WHERE u.tenant_id = $1 ORDER BY u.login"
        ))
        .bind(ctx.tenant()?)
        .fetch_all(&db.pool)
        .await?
    };
    rows.iter().map(user_from_row).collect()
}

/// One user of the caller's tenant. Another tenant's user is NotFound, never Forbidden.
pub async fn get_user(db: &Db, ctx: &Ctx, id: &str) -> AppResult<User> {
    let row = if ctx.is_system_admin() {
        sqlx::query(&format!("SELECT {USER_COLS} WHERE u.id = $1"))
            .bind(id)
            .fetch_optional(&db.pool)
            .await?
    } else {
        sqlx::query(&format!(
            "SELECT {USER_COLS} WHERE u.id = $1 AND u.tenant_id = $2"
        ))
        .bind(id)
        .bind(ctx.tenant()?)
        .fetch_optional(&db.pool)
        .await?
    };
    let user = row
        .as_ref()
        .map(user_from_row)
        .ok_or(AppError::NotFound)??;
    // Within the tenant, a user may always see their own account; others need ViewUsers.
    if user.id != ctx.user_id {
        policy::require(ctx, Action::ViewUsers)?;
    }
    Ok(user)
}

pub async fn find_user_by_login(db: &Db, login: &str) -> AppResult<Option<User>> {
    let row = sqlx::query(&format!("SELECT {USER_COLS} WHERE u.login = $1"))
        .bind(clean_login(login))
        .fetch_optional(&db.pool)
        .await?;
    row.as_ref().map(user_from_row).transpose()
}

pub struct NewUser {
    /// The part before `@`; the tenant code is appended (`nurse2@demo-city`).
    /// A full login with `@tenant` is accepted when the tenant matches.
    pub login: String,
    pub display_name: String,
    pub role: String,
    pub password: String,
    /// Only for system administrators: the tenant code (empty for a system administrator).
    pub tenant_code: Option<String>,
}

/// Creates a user in the caller's tenant (system administrators name the tenant).
pub async fn create_user(db: &Db, ctx: &Ctx, n: NewUser) -> AppResult<User> {
    policy::require(ctx, Action::ManageUsers)?;
    let mut errs = vec![];
    let role = Role::parse(&n.role);
    let role = match role {
        None => {
            errs.push(FieldError::new("role", "役割を選んでください。"));
            None
        }
        Some(Role::SystemAdmin) if !ctx.is_system_admin() => {
            errs.push(FieldError::new(
                "role",
                "システム管理者はこの画面では作成できません。",
            ));
            None
        }
        r => r,
    };
    // Which tenant: the caller's, or the one a system administrator names.
    let tenant = if ctx.is_system_admin() {
        match (
            role,
            n.tenant_code
                .as_deref()
                .map(clean_login)
                .filter(|c| !c.is_empty()),
        ) {
            (Some(Role::SystemAdmin), None) => None,
            (Some(Role::SystemAdmin), Some(_)) => {
                errs.push(FieldError::new(
                    "tenant",
                    "システム管理者は実施主体に所属しません。",
                ));
                None
            }
            (_, Some(code)) => match find_tenant_by_code(db, &code).await? {
                Some(t) => Some(t),
                None => {
                    errs.push(FieldError::new(
                        "tenant",
                        format!("実施主体「{code}」は登録されていません。"),
                    ));
                    None
                }
            },
            (_, None) => {
                errs.push(FieldError::new(
                    "tenant",
                    "所属する実施主体を指定してください。",
                ));
                None
            }
        }
    } else {
        Some(Tenant {
            id: ctx.tenant()?.to_string(),
            code: ctx.tenant_code.clone().unwrap_or_default(),
            name: ctx.tenant_name.clone().unwrap_or_default(),
            kind: String::new(),
            kind_label: String::new(),
            created_at: String::new(),
        })
    };
    let raw = clean_login(&n.login);
    let login = match (&tenant, raw.split_once('@')) {
        (_, _) if raw.is_empty() => {
            errs.push(FieldError::new("login", "ログインIDを入力してください。"));
            String::new()
        }
        (Some(t), Some((_, suffix))) if suffix != t.code => {
            errs.push(FieldError::new(
                "login",
                format!(
                    "ログインIDの @ 以降は所属の実施主体コード（{}）にしてください。",
                    t.code
                ),
            ));
            String::new()
        }
        (Some(_), Some(_)) => raw.clone(),
        (Some(t), None) => format!("{raw}@{}", t.code),
        (None, _) => raw.clone(),
    };
    let local = login.split('@').next().unwrap_or("");
    if !login.is_empty()
        && (local.is_empty()
            || !local
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c))
            || login.len() > 80)
    {
        errs.push(FieldError::new(
            "login",
            "ログインIDは半角英小文字・数字・記号（- _ .）で入力してください。",
        ));
    }
    let display_name = clean(&n.display_name);
    if display_name.is_empty() {
        errs.push(FieldError::new("display_name", "氏名を入力してください。"));
    }
    if let Err(m) = password::check_strength(&n.password, &login) {
        errs.push(FieldError::new("password", m));
    }
    let role = match role {
        Some(r) if errs.is_empty() => r,
        _ => return Err(AppError::Validation(errs)),
    };
    let hash = password::hash_blocking(&n.password).await?;
    let id = uuid::Uuid::now_v7().to_string();
    let now = time::now_db();
    let tenant_id = tenant.as_ref().map(|t| t.id.clone());
    let mut tx = db.begin_write().await?;
    let res = sqlx::query(
        "INSERT INTO users (id, tenant_id, login, display_name, role, password_hash, failed_logins, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $7)",
    )
    .bind(&id)
    .bind(&tenant_id)
    .bind(&login)
    .bind(&display_name)
    .bind(role.as_str())
    .bind(&hash)
    .bind(&now)
    .execute(&mut *tx)
    .await;
    if let Err(e) = res {
        if is_unique_violation(&e) {
            return Err(AppError::invalid(
                "login",
                format!("ログインID「{login}」は既に使われています。"),
            ));
        }
        return Err(e.into());
    }
    audit::commit(
        tx,
        Entry::new(ctx, tenant_id.as_deref(), "user.create", "user", &id)
            .detail(&format!("{login} ({})", role.as_str())),
    )
    .await?;
    Ok(User {
        id,
        login,
        display_name,
        role,
        role_label: role.label(),
        tenant_code: tenant.as_ref().map(|t| t.code.clone()),
        tenant_name: tenant.as_ref().map(|t| t.name.clone()),
        tenant_id,
        disabled: false,
        created_at: now,
        agency_id: None,
    })
}

/// Disables or re-enables a user of the caller's tenant; disabling ends their sessions
/// and revokes their API tokens.
pub async fn set_disabled(db: &Db, ctx: &Ctx, id: &str, disabled: bool) -> AppResult<User> {
    policy::require(ctx, Action::ManageUsers)?;
    let user = get_user(db, ctx, id).await?;
    if disabled && user.id == ctx.user_id {
        return Err(AppError::Conflict(
            "自分自身のアカウントは無効にできません。".into(),
        ));
    }
    let now = time::now_db();
    let mut tx = db.begin_write().await?;
    sqlx::query("UPDATE users SET disabled_at = $1, updated_at = $2, failed_logins = 0, locked_until = NULL WHERE id = $3")
        .bind(disabled.then_some(now.clone()))
        .bind(&now)
        .bind(&user.id)
        .execute(&mut *tx)
        .await?;
    if disabled {
        end_all_access(&mut tx, &user.id, &now).await?;
    }
    let action = if disabled {
        "user.disable"
    } else {
        "user.enable"
    };
    audit::commit(
        tx,
        Entry::new(ctx, user.tenant_id.as_deref(), action, "user", &user.id).detail(&user.login),
    )
    .await?;
    crate::auth::token::forget_all();
    get_user(db, ctx, id).await
}

async fn end_all_access(tx: &mut crate::db::Tx, user_id: &str, now: &str) -> AppResult<()> {
    crate::auth::token::forget_all();
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    crate::auth::token::revoke_all(tx, user_id, now).await?;
    Ok(())
}

/// Sets a new password for a user of the caller's tenant; ends their sessions and tokens,
/// and leaves them a notice. With `must_change` (an administrator's reset on the page)
/// the user must choose their own password at their next sign-in before anything else.
pub async fn reset_password(
    db: &Db,
    ctx: &Ctx,
    id: &str,
    new_password: &str,
    must_change: bool,
) -> AppResult<()> {
    policy::require(ctx, Action::ManageUsers)?;
    let user = get_user(db, ctx, id).await?;
    password::check_strength(new_password, &user.login)
        .map_err(|m| AppError::invalid("password", m))?;
    let hash = password::hash_blocking(new_password).await?;
    let now = time::now_db();
    let mut tx = db.begin_write().await?;
    sqlx::query("UPDATE users SET password_hash = $1, failed_logins = 0, locked_until = NULL, updated_at = $2, must_change_password = $3 WHERE id = $4")
        .bind(&hash)
        .bind(&now)
        .bind(i64::from(must_change))
        .bind(&user.id)
        .execute(&mut *tx)
        .await?;
    end_all_access(&mut tx, &user.id, &now).await?;
    crate::auth::account::notify(
        &mut tx,
        &user.id,
        &format!(
            "{}にパスワードが再設定されました（{}）。心当たりがない場合は、すぐに事業担当者へ連絡してください。",
            time::format_datetime(&now),
            if ctx.actor_id().is_some() { ctx.display_name.as_str() } else { "システム管理者" }
        ),
    )
    .await?;
    audit::commit(
        tx,
        Entry::new(
            ctx,
            user.tenant_id.as_deref(),
            "user.reset_password",
            "user",
            &user.id,
        )
        .detail(&user.login),
    )
    .await?;
    crate::auth::token::forget_all();
    Ok(())
}
