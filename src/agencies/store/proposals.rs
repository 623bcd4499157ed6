//! Partners' proposals of changes to an agency: proposing, listing and deciding them.

use serde::Serialize;
use sqlx::Row;

use super::import::load_input;
use super::lists::fields;
use super::new_id;
use super::read::{get, validate_for};
use super::write::apply_update;
use crate::agencies::model::{AgencyInput, ContactInput};
use crate::audit::{self, Entry};
use crate::auth::{policy, Action, Ctx, Role};
use crate::db::Db;
use crate::error::AppResult;
use crate::{time, AppError};

// ---- partners' proposals ----

/// What a partner may change of their own agency.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct ProposalInput {
    #[serde(default)]
    pub overview: String,
    #[serde(default)]
    pub services: String,
    #[serde(default)]
    pub strengths: String,
    #[serde(default)]
    pub hours: String,
    #[serde(default)]
    pub contacts: Vec<ContactInput>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Proposal {
    pub id: String,
    pub agency_id: String,
    pub agency_name: String,
    pub proposed_by: String,
    pub proposed_at: String,
    pub proposed_label: String,
    pub status: String,
    pub reason: String,
    pub change: ProposalInput,
    pub current: ProposalInput,
}

fn apply_proposal(base: &AgencyInput, p: &ProposalInput) -> AgencyInput {
    AgencyInput {
        overview: p.overview.clone(),
        services: p.services.clone(),
        strengths: p.strengths.clone(),
        hours: p.hours.clone(),
        contacts: p.contacts.clone(),
        ..base.clone()
    }
}

pub async fn propose(db: &Db, ctx: &Ctx, agency_id: &str, p: &ProposalInput) -> AppResult<String> {
    policy::require(ctx, Action::ProposeAgencyChange)?;
    if ctx.agency_id.as_deref() != Some(agency_id) {
        return Err(AppError::NotFound);
    }
    let t = ctx.tenant()?.clone();
    let agency = get(db, ctx, agency_id).await?;
    let fields = fields(db, ctx).await?;
    let proposed = validate_for(&apply_proposal(&agency.input, p), &fields)?;
    let clean = ProposalInput {
        overview: proposed.overview.clone(),
        services: proposed.services.clone(),
        strengths: proposed.strengths.clone(),
        hours: proposed.hours.clone(),
        contacts: proposed.contacts.clone(),
    };
    let id = new_id();
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO agency_proposals (id, tenant_id, agency_id, proposed_by, proposed_at, payload, status, reason) \
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', '')",
    )
    .bind(&id)
    .bind(&t)
    .bind(agency_id)
    .bind(&ctx.login)
    .bind(time::now_db())
    .bind(serde_json::to_string(&clean).unwrap_or_default())
    .execute(&mut *tx)
    .await?;
    audit::commit(
        tx,
        Entry::new(ctx, Some(&t), "agency.propose", "agency", agency_id).detail(&id),
    )
    .await?;
    crate::agencies::search::note_local_write(ctx.tenant_id.as_deref().unwrap_or(""));
    Ok(id)
}

pub async fn proposals(db: &Db, ctx: &Ctx, only_pending: bool) -> AppResult<Vec<Proposal>> {
    let t = ctx.tenant()?;
    let mut sql = String::from(
        "SELECT p.id, p.agency_id, a.name AS agency_name, p.proposed_by, p.proposed_at, p.status, p.reason, p.payload \
         FROM agency_proposals p JOIN agencies a ON a.id = p.agency_id WHERE p.tenant_id = $1",
    );
    let partner = ctx.role == Role::Partner;
    if partner {
        sql.push_str(" AND p.agency_id = $2");
    } else {
        policy::require(ctx, Action::AdministerRegistry)?;
    }
    if only_pending {
        sql.push_str(" AND p.status = 'pending'");
    }
    sql.push_str(" ORDER BY p.proposed_at DESC");
    let mut q = sqlx::query(&sql).bind(t);
    if partner {
        q = q.bind(ctx.agency_id.clone().unwrap_or_default());
    }
    let rows = q.fetch_all(&db.pool).await?;
    let mut out = vec![];
    for r in &rows {
        let agency_id: String = r.try_get("agency_id")?;
        let current = load_input(&mut *db.pool.acquire().await?, t, &agency_id)
            .await
            .unwrap_or_default();
        out.push(Proposal {
            id: r.try_get("id")?,
            agency_id,
            agency_name: r.try_get("agency_name")?,
            proposed_by: r.try_get("proposed_by")?,
            proposed_label: time::format_datetime(r.try_get::<String, _>("proposed_at")?.as_str()),
            proposed_at: r.try_get("proposed_at")?,
            status: r.try_get("status")?,
            reason: r.try_get("reason")?,
            change: serde_json::from_str(r.try_get::<String, _>("payload")?.as_str())
                .unwrap_or_default(),
            current: ProposalInput {
                overview: current.overview,
                services: current.services,
                strengths: current.strengths,
                hours: current.hours,
                contacts: current.contacts,
            },
        });
    }
    Ok(out)
}

/// Approves (applies) or rejects (with a reason) a pending proposal.
pub async fn decide(
    db: &Db,
    ctx: &Ctx,
    proposal_id: &str,
    approve: bool,
    reason: &str,
) -> AppResult<()> {
    policy::require(ctx, Action::AdministerRegistry)?;
    let t = ctx.tenant()?.clone();
    let reason = crate::text::clean(reason);
    if !approve && reason.is_empty() {
        return Err(AppError::invalid(
            "reason",
            "差し戻す理由を入力してください。",
        ));
    }
    let mut tx = db.begin_write().await?;
    let row = sqlx::query(
        "SELECT agency_id, payload, status FROM agency_proposals WHERE id = $1 AND tenant_id = $2",
    )
    .bind(proposal_id)
    .bind(&t)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    if row.try_get::<String, _>("status")? != "pending" {
        return Err(AppError::Conflict(
            "この提案は既に処理されています。".into(),
        ));
    }
    let agency_id: String = row.try_get("agency_id")?;
    if approve {
        let p: ProposalInput =
            serde_json::from_str(row.try_get::<String, _>("payload")?.as_str()).unwrap_or_default();
        let base = load_input(&mut tx, &t, &agency_id).await?;
        apply_update(
            &mut tx,
            ctx,
            &t,
            &agency_id,
            &apply_proposal(&base, &p),
            None,
            "proposal_approved",
        )
        .await?;
    }
    sqlx::query("UPDATE agency_proposals SET status = $1, decided_by = $2, decided_at = $3, reason = $4 WHERE id = $5 AND tenant_id = $6")
        .bind(if approve { "approved" } else { "rejected" })
        .bind(&ctx.login)
        .bind(time::now_db())
        .bind(&reason)
        .bind(proposal_id)
        .bind(&t)
        .execute(&mut *tx)
        .await?;
    let action = if approve {
        "agency.proposal_approve"
    } else {
        "agency.proposal_reject"
    };
    audit::commit(
        tx,
        Entry::new(ctx, Some(&t), action, "agency", &agency_id).detail(&reason),
    )
    .await?;
    crate::agencies::search::note_local_write(ctx.tenant_id.as_deref().unwrap_or(""));
    Ok(())
}
