//! Contracts (委託契約) with contractors: the period, the services contracted, the
//! price and subsidy, and the contractor's staff scoped to the contract. Their monthly
//! reports are `reports::store`.

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::Row;

use super::new_id;
use crate::audit::{self, Entry};
use crate::auth::{policy, Action, Ctx, Role};
use crate::db::Db;
use crate::error::{AppResult, FieldError};
use crate::network::model;
use crate::text::clean;
use crate::validate::{check_texts, opt_date_db};
use crate::{time, AppError};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ContractInput {
    #[serde(default)]
    pub contractor_name: String,
    #[serde(default)]
    pub agency_id: Option<String>,
    #[serde(default)]
    pub period_from: String,
    #[serde(default)]
    pub period_to: String,
    #[serde(default)]
    pub services: Vec<String>,
    /// 委託料（円）
    #[serde(default)]
    pub price: i64,
    /// 国庫補助率（%）
    #[serde(default)]
    pub subsidy_percent: i64,
    /// The committee (委員会) council tracking the contract.
    #[serde(default)]
    pub committee_id: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Contract {
    pub id: String,
    #[serde(flatten)]
    pub input: ContractInput,
    pub price_label: String,
    pub tenant_cost_label: String,
    pub staff: Vec<String>,
}

fn contract_from_row(r: &AnyRow) -> AppResult<Contract> {
    let price: i64 = r.try_get("price")?;
    let subsidy: i64 = r.try_get("subsidy_percent")?;
    Ok(Contract {
        id: r.try_get("id")?,
        price_label: model::yen(price),
        tenant_cost_label: model::yen(price - price * subsidy / 100),
        input: ContractInput {
            contractor_name: r.try_get("contractor_name")?,
            agency_id: r.try_get("agency_id")?,
            period_from: r.try_get("period_from")?,
            period_to: r.try_get("period_to")?,
            services: r
                .try_get::<String, _>("services")?
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            price,
            subsidy_percent: subsidy,
            committee_id: r.try_get("committee_id")?,
        },
        staff: vec![],
    })
}

const CONTRACT_COLS: &str = "id, contractor_name, agency_id, period_from, period_to, services, price, subsidy_percent, committee_id";

/// Contracts the caller may see: all of the tenant (administrators, auditors), or
/// the contractor's own.
pub async fn list_contracts(db: &Db, ctx: &Ctx) -> AppResult<Vec<Contract>> {
    let t = ctx.tenant()?;
    let rows = match ctx.role {
        Role::TenantAdmin | Role::Auditor => sqlx::query(&format!("SELECT {CONTRACT_COLS} FROM contracts WHERE tenant_id = $1 ORDER BY period_from DESC")).bind(t).fetch_all(&db.pool).await?,
        Role::Contractor => {
            sqlx::query(&format!("SELECT {CONTRACT_COLS} FROM contracts WHERE tenant_id = $1 AND id = (SELECT contract_id FROM users WHERE id = $2) ORDER BY period_from DESC"))
                .bind(t)
                .bind(&ctx.user_id)
                .fetch_all(&db.pool)
                .await?
        }
        _ => return Err(AppError::forbidden()),
    };
    let mut out: Vec<Contract> = rows
        .iter()
        .map(contract_from_row)
        .collect::<AppResult<_>>()?;
    for c in &mut out {
        c.staff = sqlx::query_scalar("SELECT display_name FROM users WHERE contract_id = $1 AND tenant_id = $2 ORDER BY display_name").bind(&c.id).bind(t).fetch_all(&db.pool).await?;
    }
    Ok(out)
}

pub async fn get_contract(db: &Db, ctx: &Ctx, id: &str) -> AppResult<Contract> {
    list_contracts(db, ctx)
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or(AppError::NotFound)
}

pub async fn create_contract(db: &Db, ctx: &Ctx, c: &ContractInput) -> AppResult<String> {
    policy::require(ctx, Action::ManageContracts)?;
    let t = ctx.tenant()?.clone();
    let mut errs = vec![];
    let name = clean(&c.contractor_name);
    if name.is_empty() {
        errs.push(FieldError::new(
            "contractor_name",
            "委託先を入力してください。",
        ));
    }
    let from = opt_date_db("period_from", "契約期間（開始）", &c.period_from, &mut errs);
    let to = opt_date_db("period_to", "契約期間（終了）", &c.period_to, &mut errs);
    if from.is_none() || to.is_none() {
        errs.push(FieldError::new(
            "period_from",
            "契約期間を入力してください。",
        ));
    }
    if let (Some(a), Some(b)) = (&from, &to) {
        if a > b {
            errs.push(FieldError::new(
                "period_to",
                "契約期間の終了が開始より前になっています。",
            ));
        }
    }
    let services: Vec<String> = c
        .services
        .iter()
        .filter(|s| model::SERVICES.contains(&s.as_str()))
        .cloned()
        .collect();
    if services.is_empty() {
        errs.push(FieldError::new(
            "services",
            "委託する事業を一つ以上選んでください。",
        ));
    }
    if c.price < 0 || c.price > 10_000_000_000 {
        errs.push(FieldError::new(
            "price",
            "委託料は 0 円以上で入力してください。",
        ));
    }
    if !(0..=100).contains(&c.subsidy_percent) {
        errs.push(FieldError::new(
            "subsidy_percent",
            "補助率は 0〜100 % で入力してください。",
        ));
    }
    check_texts(&mut errs, &[("contractor_name", &name)], 10_000);
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let id = new_id();
    let now = time::now_db();
    let mut tx = db.begin_write().await?;
    sqlx::query(&format!("INSERT INTO contracts ({CONTRACT_COLS}, tenant_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)"))
        .bind(&id)
        .bind(&name)
        .bind(c.agency_id.clone().filter(|s| !s.is_empty()))
        .bind(from)
        .bind(to)
        .bind(services.join(","))
        .bind(c.price)
        .bind(c.subsidy_percent)
        .bind(c.committee_id.clone().filter(|s| !s.is_empty()))
        .bind(&t)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
    audit::commit(
        tx,
        Entry::new(ctx, Some(&t), "contract.create", "contract", &id).detail(&name),
    )
    .await?;
    Ok(id)
}

/// Scopes a contractor user to a contract (their casework and reports).
pub async fn assign_staff(db: &Db, ctx: &Ctx, contract_id: &str, user_id: &str) -> AppResult<()> {
    policy::require(ctx, Action::ManageContracts)?;
    let t = ctx.tenant()?.clone();
    get_contract(db, ctx, contract_id).await?;
    let mut tx = db.begin_write().await?;
    let n = sqlx::query("UPDATE users SET contract_id = $1 WHERE id = $2 AND tenant_id = $3 AND role = 'contractor'").bind(contract_id).bind(user_id).bind(&t).execute(&mut *tx).await?.rows_affected();
    if n == 0 {
        return Err(AppError::invalid(
            "user_id",
            "委託先職員のアカウントを選んでください。",
        ));
    }
    audit::commit(
        tx,
        Entry::new(ctx, Some(&t), "contract.staff", "contract", contract_id).detail(user_id),
    )
    .await?;
    Ok(())
}
