//! SQL of the optional services (努力義務事業): services, their events or service slots,
//! and participants. Every query carries the caller's tenant; contractor staff reach only
//! the services of their own contract. Registering someone for an event is a write to
//! the child's record: it passes the casework access check (tenant, role, contractor
//! assignment) and is audited on the child, in the same transaction.
//!
//! - `services`: the services themselves (kind, contract, 受付中) and the contracts offered
//! - `events`: events or service slots with their capacity, one event with its participants
//! - `participants`: registration (child and family, all or nothing), use or absence, cancel
//! - `children`: what one child used (the record page), children to register (candidates)
//! - `month`: the line of a contractor's monthly report

mod children;
mod events;
mod month;
mod participants;
mod services;

pub use children::*;
pub use events::*;
pub use month::*;
pub use participants::*;
pub use services::*;

use chrono::NaiveDate;

use crate::auth::{policy, Action, Ctx, Role, TenantId};
use crate::db::Sql;
use crate::error::AppResult;
use crate::time;

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn yes() -> bool {
    true
}

fn reader(ctx: &Ctx) -> AppResult<&TenantId> {
    policy::require(ctx, Action::ViewServices)?;
    ctx.tenant()
}

fn writer(ctx: &Ctx) -> AppResult<&TenantId> {
    policy::require(ctx, Action::ManageServices)?;
    ctx.tenant()
}

/// Limits `q` (a query on `s`, optional_services) to what the caller reaches: contractor
/// staff, only the services of their contract; anyone else, every service of the tenant.
fn scope(q: &mut Sql, ctx: &Ctx) {
    if ctx.role == Role::Contractor {
        q.push(
            " AND s.contract_id = (SELECT u.contract_id FROM users u WHERE u.tenant_id = s.tenant_id AND u.id = ",
        )
        .bind(&ctx.user_id)
        .push(")");
    }
}

fn today() -> String {
    time::today_jst().format("%Y-%m-%d").to_string()
}

fn parse_ymd(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// 直営 or the contractor's name.
fn run_by(contractor: Option<String>) -> String {
    match contractor {
        Some(c) => format!("委託: {c}"),
        None => "直営".into(),
    }
}
