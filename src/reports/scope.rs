//! Whose figures a report counts: the caller's tenant, and for contractors (or when a
//! contract is asked for) only the casework of one contract's staff. A contractor can
//! never widen the scope to the tenant or to another contract.

use crate::auth::{policy, Action, Ctx, Role, TenantId};
use crate::db::{Db, Sql};
use crate::error::AppResult;
use crate::AppError;

#[derive(Debug, Clone)]
pub struct Scope {
    pub tenant: TenantId,
    /// Only consultations written by this contract's staff, and the children they saw.
    pub contract: Option<String>,
    /// The contractor's name, for headings.
    pub contract_name: Option<String>,
}

/// The scope of a report for `ctx`, optionally narrowed to `contract` (an id of the
/// caller's tenant; another tenant's id is NotFound).
pub async fn scope(db: &Db, ctx: &Ctx, contract: Option<&str>) -> AppResult<Scope> {
    policy::require(ctx, Action::ViewReports)?;
    let tenant = ctx.tenant()?.clone();
    let own: Option<String> = if ctx.role == Role::Contractor {
        let c: Option<Option<String>> =
            sqlx::query_scalar("SELECT contract_id FROM users WHERE id = $1 AND tenant_id = $2")
                .bind(&ctx.user_id)
                .bind(&tenant)
                .fetch_optional(&db.pool)
                .await?;
        match c.flatten() {
            Some(c) => Some(c),
            None => return Err(AppError::forbidden()),
        }
    } else {
        None
    };
    let wanted = contract.map(str::trim).filter(|c| !c.is_empty());
    let contract = match (own, wanted) {
        (Some(own), Some(w)) if own != w => return Err(AppError::NotFound),
        (Some(own), _) => Some(own),
        (None, w) => w.map(str::to_string),
    };
    let contract_name = match &contract {
        Some(c) => {
            let n: Option<String> = sqlx::query_scalar(
                "SELECT contractor_name FROM contracts WHERE id = $1 AND tenant_id = $2",
            )
            .bind(c)
            .bind(&tenant)
            .fetch_optional(&db.pool)
            .await?;
            Some(n.ok_or(AppError::NotFound)?)
        }
        None => None,
    };
    Ok(Scope {
        tenant,
        contract,
        contract_name,
    })
}

impl Scope {
    /// Narrows a query on consultations (alias `alias`) to the contract's staff, when
    /// the scope has a contract.
    pub fn staff_filter(&self, q: &mut Sql, alias: &str) {
        if let Some(c) = &self.contract {
            q.push(&format!(
                " AND {alias}.worker_id IN (SELECT u.id FROM users u WHERE u.tenant_id = {alias}.tenant_id AND u.contract_id = "
            ))
            .bind(c.clone())
            .push(")");
        }
    }
}
