//! Who is asking and what they may do: roles, the policy, passwords, sessions and API tokens.

pub mod account;
pub mod password;
pub mod policy;
pub mod session;
pub mod throttle;
pub mod token;
pub mod totp;
pub mod user;

use serde::Serialize;

pub use policy::{can, require, Action};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    SystemAdmin,
    TenantAdmin,
    Nurse,
    SupportWorker,
    Contractor,
    Partner,
    Auditor,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::SystemAdmin,
        Role::TenantAdmin,
        Role::Nurse,
        Role::SupportWorker,
        Role::Contractor,
        Role::Partner,
        Role::Auditor,
    ];

    /// Roles a user of a tenant can have (everything but system_admin).
    pub const TENANT_ROLES: [Role; 6] = [
        Role::TenantAdmin,
        Role::Nurse,
        Role::SupportWorker,
        Role::Contractor,
        Role::Partner,
        Role::Auditor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::SystemAdmin => "system_admin",
            Role::TenantAdmin => "tenant_admin",
            Role::Nurse => "nurse",
            Role::SupportWorker => "support_worker",
            Role::Contractor => "contractor",
            Role::Partner => "partner",
            Role::Auditor => "auditor",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::SystemAdmin => "システム管理者",
            Role::TenantAdmin => "事業担当者",
            Role::Nurse => "保健師",
            Role::SupportWorker => "自立支援員",
            Role::Contractor => "委託先職員",
            Role::Partner => "関係機関の窓口担当者",
            Role::Auditor => "監査担当者",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }
}

/// The id of the tenant (実施主体) whose data a query may touch. Only a `Ctx` hands
/// one out (`Ctx::tenant`): it is made from a signed-in user's own row or from a tenant
/// the CLI looked up, never from a request's input; store functions on tenant data
/// take it (through the `Ctx`, or as `&TenantId` in their helpers) and bind it into
/// every query. `tests/it/architecture.rs` checks that each query on a table with
/// `tenant_id` filters by it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TenantId(String);

impl TenantId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for TenantId {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for TenantId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for TenantId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for TenantId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl sqlx::Type<sqlx::Any> for TenantId {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <String as sqlx::Type<sqlx::Any>>::type_info()
    }
    fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
        <String as sqlx::Type<sqlx::Any>>::compatible(ty)
    }
}

impl<'q> sqlx::Encode<'q, sqlx::Any> for TenantId {
    fn encode_by_ref(
        &self,
        buf: &mut <sqlx::Any as sqlx::Database>::ArgumentBuffer<'q>,
    ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
        <String as sqlx::Encode<'q, sqlx::Any>>::encode_by_ref(&self.0, buf)
    }
}

impl sqlx::Type<sqlx::Postgres> for TenantId {
    fn type_info() -> sqlx::postgres::PgTypeInfo {
        <String as sqlx::Type<sqlx::Postgres>>::type_info()
    }
    fn compatible(ty: &sqlx::postgres::PgTypeInfo) -> bool {
        <String as sqlx::Type<sqlx::Postgres>>::compatible(ty)
    }
}

impl<'q> sqlx::Encode<'q, sqlx::Postgres> for TenantId {
    fn encode_by_ref(
        &self,
        buf: &mut sqlx::postgres::PgArgumentBuffer,
    ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
        <String as sqlx::Encode<'q, sqlx::Postgres>>::encode_by_ref(&self.0, buf)
    }
}

impl rusqlite::ToSql for TenantId {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        self.0.to_sql()
    }
}

impl From<&TenantId> for crate::db::Val {
    fn from(t: &TenantId) -> crate::db::Val {
        crate::db::Val::Text(t.0.clone())
    }
}

/// A tenant as its row names it: what a user's row or the CLI's lookup gives.
#[derive(Debug, Clone)]
pub struct Tenancy {
    pub id: String,
    pub code: String,
    pub name: String,
}

/// The caller of every store function: a signed-in user of one tenant (or a system
/// administrator, who has no tenant). Store functions take it first so that no query
/// of tenant data can be written without the tenant.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub user_id: String,
    pub login: String,
    pub display_name: String,
    pub role: Role,
    /// Set only by the constructors below.
    pub tenant_id: Option<TenantId>,
    pub tenant_code: Option<String>,
    pub tenant_name: Option<String>,
    /// For `partner` users: the agency (関係機関) they answer for.
    pub agency_id: Option<String>,
}

impl Ctx {
    /// The CLI and demo loader act as the system.
    pub fn system() -> Ctx {
        Ctx {
            user_id: String::new(),
            login: "system".into(),
            display_name: "システム".into(),
            role: Role::SystemAdmin,
            tenant_id: None,
            tenant_code: None,
            tenant_name: None,
            agency_id: None,
        }
    }

    /// A signed-in user, from their row (sessions, API tokens).
    pub fn user(
        user_id: String,
        login: String,
        display_name: String,
        role: Role,
        tenant: Option<Tenancy>,
        agency_id: Option<String>,
    ) -> Ctx {
        let (tenant_id, tenant_code, tenant_name) = match tenant {
            Some(t) => (Some(TenantId(t.id)), Some(t.code), Some(t.name)),
            None => (None, None, None),
        };
        Ctx {
            user_id,
            login,
            display_name,
            role,
            tenant_id,
            tenant_code,
            tenant_name,
            agency_id,
        }
    }

    /// The system acting within one tenant in `role` (the CLI and the demo loader,
    /// audited as `system`), for a tenant it looked up.
    pub fn system_in(role: Role, tenant: Tenancy) -> Ctx {
        Ctx {
            role,
            tenant_id: Some(TenantId(tenant.id)),
            tenant_code: Some(tenant.code),
            tenant_name: Some(tenant.name),
            ..Ctx::system()
        }
    }

    pub fn is_system_admin(&self) -> bool {
        self.role == Role::SystemAdmin
    }

    /// The tenant this caller's data lives in. System administrators have none and
    /// get NotFound for tenant data unless a store function says otherwise.
    pub fn tenant(&self) -> Result<&TenantId, crate::AppError> {
        self.tenant_id.as_ref().ok_or(crate::AppError::NotFound)
    }

    pub fn actor_id(&self) -> Option<&str> {
        (!self.user_id.is_empty()).then_some(self.user_id.as_str())
    }
}

impl crate::audit::Actor for Ctx {
    fn actor_id(&self) -> Option<&str> {
        Ctx::actor_id(self)
    }
    fn actor_login(&self) -> &str {
        &self.login
    }
}

/// A random secret as 64 hex characters (256 bits).
pub fn random_token() -> String {
    use rand::RngCore;
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

pub fn sha256_hex(s: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// How long a session or API token found in the database is remembered, so that a busy
/// caller costs no lookup query per request. A sign-out, revocation, disabled user or
/// new password in this process forgets at once; in another process it takes effect
/// within this time.
pub const REMEMBER: std::time::Duration = std::time::Duration::from_secs(2);

/// Lookups remembered for `REMEMBER`, by the SHA-256 of their secret (at most 10,000;
/// beyond that everything is forgotten at once).
pub struct Remembered<V> {
    map: std::sync::OnceLock<
        std::sync::Mutex<std::collections::HashMap<String, (std::time::Instant, V)>>,
    >,
}

impl<V: Clone> Default for Remembered<V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V: Clone> Remembered<V> {
    pub const fn new() -> Self {
        Remembered {
            map: std::sync::OnceLock::new(),
        }
    }

    fn lock(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, (std::time::Instant, V)>> {
        self.map
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// The value remembered for `key`, if it is younger than `REMEMBER`.
    pub fn get(&self, key: &str) -> Option<V> {
        self.lock()
            .get(key)
            .filter(|(at, _)| at.elapsed() < REMEMBER)
            .map(|(_, v)| v.clone())
    }

    pub fn insert(&self, key: String, value: V) {
        let mut m = self.lock();
        if m.len() > 10_000 {
            m.clear();
        }
        m.insert(key, (std::time::Instant::now(), value));
    }

    pub fn remove(&self, key: &str) {
        self.lock().remove(key);
    }

    pub fn clear(&self) {
        self.lock().clear();
    }
}
