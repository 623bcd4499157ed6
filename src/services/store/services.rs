//! The optional services themselves: kind, name, target, who runs them (the tenant, or
//! a contractor under a contract that includes the kind) and whether they take
//! registrations (受付中); and the contracts the administrator may put one under.

use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::{new_id, parse_ymd, reader, run_by, scope, today, writer, yes};
use crate::audit::{self, Entry};
use crate::auth::{policy, Action, Ctx, Role, TenantId};
use crate::db::{Conn, Db, Sql};
use crate::error::{AppResult, FieldError};
use crate::services::model;
use crate::text::clean;
use crate::{time, AppError};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ServiceInput {
    /// respite | exchange | employment | caregiver | other
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub name: String,
    /// 内容
    #[serde(default)]
    pub description: String,
    /// 対象（例: 小慢児童等のきょうだい）
    #[serde(default)]
    pub target: String,
    /// The contract under which a contractor runs the service; none: the tenant runs it.
    #[serde(default)]
    pub contract_id: Option<String>,
    /// 受付中
    #[serde(default = "yes")]
    pub active: bool,
}

/// A partial update: absent fields keep their value; `contract_id: ""` makes the
/// service the tenant's own (直営).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ServicePatch {
    pub kind: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub target: Option<String>,
    pub contract_id: Option<String>,
    pub active: Option<bool>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Service {
    pub id: String,
    #[serde(flatten)]
    pub input: ServiceInput,
    pub kind_label: String,
    /// 直営 or the contractor's name.
    pub run_by: String,
    pub events: i64,
    pub upcoming_events: i64,
    pub next_date: Option<String>,
    /// 令和8年2月14日（土）
    pub next_date_label: Option<String>,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
}

/// The services of tenant `t` the caller reaches, with their events counted from
/// `today` on; the caller appends further conditions and the order.
fn service_select(ctx: &Ctx, t: &TenantId, today: &str) -> Sql {
    let mut q = Sql::new(
        "SELECT s.id, s.kind, s.name, s.description, s.target, s.contract_id, c.contractor_name, s.active, \
         s.created_by, s.created_at, s.updated_at, \
         (SELECT COUNT(*) FROM service_events e WHERE e.service_id = s.id AND e.tenant_id = s.tenant_id) AS events, \
         (SELECT COUNT(*) FROM service_events e WHERE e.service_id = s.id AND e.tenant_id = s.tenant_id AND e.date >= ",
    );
    q.bind(today)
        .push(
            ") AS upcoming, \
             (SELECT MIN(e.date) FROM service_events e WHERE e.service_id = s.id AND e.tenant_id = s.tenant_id AND e.date >= ",
        )
        .bind(today)
        .push(
            ") AS next_date \
             FROM optional_services s LEFT JOIN contracts c ON c.id = s.contract_id AND c.tenant_id = s.tenant_id \
             WHERE s.tenant_id = ",
        )
        .bind(t);
    scope(&mut q, ctx);
    q
}

fn service_from_row(r: &sqlx::any::AnyRow) -> AppResult<Service> {
    let kind: String = r.try_get("kind")?;
    let next_date: Option<String> = r.try_get("next_date")?;
    Ok(Service {
        id: r.try_get("id")?,
        kind_label: model::kind_label(&kind).to_string(),
        run_by: run_by(r.try_get("contractor_name")?),
        input: ServiceInput {
            kind,
            name: r.try_get("name")?,
            description: r.try_get("description")?,
            target: r.try_get("target")?,
            contract_id: r.try_get("contract_id")?,
            active: r.try_get::<i64, _>("active")? != 0,
        },
        events: r.try_get("events")?,
        upcoming_events: r.try_get("upcoming")?,
        next_date_label: next_date
            .as_deref()
            .and_then(parse_ymd)
            .map(model::date_label),
        next_date,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn kind_order(k: &str) -> usize {
    model::KINDS
        .iter()
        .position(|(x, _, _)| *x == k)
        .unwrap_or(99)
}

/// The services the caller may see (contractor staff: their contract's), open ones
/// first, in the guide's order of kinds.
pub async fn list_services(db: &Db, ctx: &Ctx) -> AppResult<Vec<Service>> {
    let t = reader(ctx)?;
    let mut q = service_select(ctx, t, &today());
    q.push(" ORDER BY s.name, s.id");
    let rows = q.query().fetch_all(&db.pool).await?;
    let mut out = rows
        .iter()
        .map(service_from_row)
        .collect::<AppResult<Vec<Service>>>()?;
    out.sort_by_key(|s| (!s.input.active, kind_order(&s.input.kind)));
    Ok(out)
}

pub(super) async fn load_service(
    conn: &mut Conn,
    ctx: &Ctx,
    t: &TenantId,
    id: &str,
) -> AppResult<Service> {
    let mut q = service_select(ctx, t, &today());
    q.push(" AND s.id = ").bind(id);
    let r = q
        .query()
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(AppError::NotFound)?;
    service_from_row(&r)
}

pub async fn get_service(db: &Db, ctx: &Ctx, id: &str) -> AppResult<Service> {
    let t = reader(ctx)?;
    let mut conn = db.pool.acquire().await?;
    load_service(&mut conn, ctx, t, id).await
}

/// Checks a service and settles its contract: contractor staff always run services
/// under their own contract; only the administrator (事業担当者) may put a service
/// under a contract or take it back; the contract must include the service's kind.
async fn validate_service(
    conn: &mut Conn,
    ctx: &Ctx,
    t: &TenantId,
    s: &ServiceInput,
    current_contract: Option<&str>,
) -> AppResult<ServiceInput> {
    let mut errs = vec![];
    let out = ServiceInput {
        kind: s.kind.trim().to_string(),
        name: clean(&s.name),
        description: s.description.trim().to_string(),
        target: clean(&s.target),
        contract_id: s.contract_id.clone().filter(|c| !c.trim().is_empty()),
        active: s.active,
    };
    if model::contract_service(&out.kind).is_none() {
        errs.push(FieldError::new(
            "kind",
            "種類を選んでください（療養生活支援・相互交流支援・就職支援・介護者支援・その他）。",
        ));
    }
    if out.name.is_empty() {
        errs.push(FieldError::new("name", "事業の名称を入力してください。"));
    }
    crate::validate::check_texts_each(
        &mut errs,
        &[
            ("name", &out.name, 100),
            ("description", &out.description, 4000),
            ("target", &out.target, 200),
        ],
    );
    let mut out = out;
    if ctx.role == Role::Contractor {
        let own: Option<String> =
            sqlx::query_scalar("SELECT contract_id FROM users WHERE id = $1 AND tenant_id = $2")
                .bind(&ctx.user_id)
                .bind(t)
                .fetch_optional(&mut *conn)
                .await?
                .flatten();
        match own {
            Some(c) => out.contract_id = Some(c),
            None => {
                return Err(AppError::Forbidden(
                    "委託契約に登録されていないため、事業を登録・変更できません。事業担当者に連絡してください。"
                        .into(),
                ))
            }
        }
    } else if out.contract_id.as_deref() != current_contract
        && !policy::can(ctx, Action::ManageContracts)
    {
        return Err(AppError::Forbidden(
            "委託先が実施する事業にする（または直営に戻す）のは、事業担当者だけができます。".into(),
        ));
    }
    if let Some(c) = &out.contract_id {
        let row = sqlx::query(
            "SELECT contractor_name, services FROM contracts WHERE id = $1 AND tenant_id = $2",
        )
        .bind(c)
        .bind(t)
        .fetch_optional(&mut *conn)
        .await?;
        match row {
            None => errs.push(FieldError::new(
                "contract_id",
                "委託契約が見つかりません。委託先を選び直してください。",
            )),
            Some(r) => {
                let services: String = r.try_get("services")?;
                let name: String = r.try_get("contractor_name")?;
                if let Some(need) = model::contract_service(&out.kind) {
                    if !services.split(',').any(|x| x == need) {
                        errs.push(FieldError::new(
                            "contract_id",
                            format!("委託契約（{name}）に「{need}」が含まれていません。契約の「委託する事業」を確認してください。"),
                        ));
                    }
                }
            }
        }
    }
    if errs.is_empty() {
        Ok(out)
    } else {
        Err(AppError::Validation(errs))
    }
}

pub async fn create_service(db: &Db, ctx: &Ctx, s: &ServiceInput) -> AppResult<String> {
    let t = writer(ctx)?.clone();
    let mut tx = db.begin_write().await?;
    let s = validate_service(&mut tx, ctx, &t, s, None).await?;
    let id = new_id();
    let now = time::now_db();
    sqlx::query(
        "INSERT INTO optional_services (id, tenant_id, kind, name, description, target, contract_id, active, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
    )
    .bind(&id)
    .bind(&t)
    .bind(&s.kind)
    .bind(&s.name)
    .bind(&s.description)
    .bind(&s.target)
    .bind(&s.contract_id)
    .bind(s.active as i64)
    .bind(&ctx.display_name)
    .bind(&now)
    .execute(&mut *tx)
    .await?;
    audit::commit(
        tx,
        Entry::new(ctx, Some(&t), "service.create", "optional_service", &id).detail(&format!(
            "{}: {}",
            model::kind_label(&s.kind),
            s.name
        )),
    )
    .await?;
    Ok(id)
}

pub async fn update_service(db: &Db, ctx: &Ctx, id: &str, p: &ServicePatch) -> AppResult<()> {
    let t = writer(ctx)?.clone();
    let mut tx = db.begin_write().await?;
    let cur = load_service(&mut tx, ctx, &t, id).await?;
    let merged = ServiceInput {
        kind: p.kind.clone().unwrap_or(cur.input.kind.clone()),
        name: p.name.clone().unwrap_or(cur.input.name.clone()),
        description: p
            .description
            .clone()
            .unwrap_or(cur.input.description.clone()),
        target: p.target.clone().unwrap_or(cur.input.target.clone()),
        contract_id: match &p.contract_id {
            Some(c) => Some(c.clone()),
            None => cur.input.contract_id.clone(),
        },
        active: p.active.unwrap_or(cur.input.active),
    };
    let s = validate_service(&mut tx, ctx, &t, &merged, cur.input.contract_id.as_deref()).await?;
    sqlx::query(
        "UPDATE optional_services SET kind = $1, name = $2, description = $3, target = $4, contract_id = $5, active = $6, updated_at = $7 \
         WHERE id = $8 AND tenant_id = $9",
    )
    .bind(&s.kind)
    .bind(&s.name)
    .bind(&s.description)
    .bind(&s.target)
    .bind(&s.contract_id)
    .bind(s.active as i64)
    .bind(time::now_db())
    .bind(id)
    .bind(&t)
    .execute(&mut *tx)
    .await?;
    audit::commit(
        tx,
        Entry::new(ctx, Some(&t), "service.update", "optional_service", id).detail(&s.name),
    )
    .await?;
    Ok(())
}

/// Contracts the administrator may put a service under: (id, label, services).
pub async fn contract_options(db: &Db, ctx: &Ctx) -> AppResult<Vec<(String, String)>> {
    if !policy::can(ctx, Action::ManageContracts) {
        return Ok(vec![]);
    }
    Ok(crate::network::store::list_contracts(db, ctx)
        .await?
        .into_iter()
        .map(|c| {
            (
                c.id,
                format!(
                    "{}（{}〜{}: {}）",
                    c.input.contractor_name,
                    c.input.period_from,
                    c.input.period_to,
                    c.input.services.join("・")
                ),
            )
        })
        .collect())
}
