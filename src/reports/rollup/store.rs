//! SQL of the roll-up across tenants (system_admin only): per tenant, its consultations
//! by method and kind, the children seen (new and continuing) and the referrals made in
//! the period — counts only, in one read transaction; no child's row leaves the
//! database. Every view is audited.

use std::collections::BTreeMap;

use sqlx::Row;

use super::model::{self, Counts, Rollup, TenantRow};
use crate::audit::{self, Entry};
use crate::auth::{policy, Action, Ctx};
use crate::db::{Db, Sql};
use crate::error::AppResult;
use crate::reports::stats::period::Period;
use crate::tenants::TenantKind;

/// Whether `ctx` may see the roll-up; a refusal is audited.
pub async fn allowed(db: &Db, ctx: &Ctx) -> AppResult<()> {
    if let Err(e) = policy::require(ctx, Action::ViewRollup) {
        audit::record(
            db,
            Entry::new(
                ctx,
                ctx.tenant_id.as_deref(),
                "report.rollup.denied",
                "report",
                "rollup",
            ),
        )
        .await?;
        return Err(e);
    }
    Ok(())
}

/// The roll-up of `period` over every tenant (or the tenants of one kind).
pub async fn rollup(
    db: &Db,
    ctx: &Ctx,
    period: &Period,
    kind: Option<TenantKind>,
) -> AppResult<Rollup> {
    allowed(db, ctx).await?;
    let (lo, hi) = period.utc_bounds();
    let mut tx = db.pool.begin().await?;
    let mut q = Sql::new("SELECT id, code, name, kind FROM tenants");
    if let Some(k) = kind {
        q.push(" WHERE kind = ").bind(k.as_str());
    }
    q.push(" ORDER BY code, id");
    let tenants: Vec<TenantRow> = q
        .query()
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| {
            let kind: String = r.try_get("kind")?;
            Ok(TenantRow {
                id: r.try_get("id")?,
                code: r.try_get("code")?,
                name: r.try_get("name")?,
                kind_label: TenantKind::parse(&kind)
                    .map(|k| k.label().to_string())
                    .unwrap_or(kind),
            })
        })
        .collect::<Result<_, sqlx::Error>>()?;
    let mut counts: BTreeMap<String, Counts> = BTreeMap::new();
    // The roll-up is across tenants by design: these three statements are the only
    // ones on casework tables without a tenant filter, and they return counts.
    let rows = sqlx::query(
        "SELECT tenant_id, method, kind, COUNT(*) AS n FROM consultations \
         WHERE at >= $1 AND at < $2 GROUP BY tenant_id, method, kind",
    )
    .bind(&lo)
    .bind(&hi)
    .fetch_all(&mut *tx)
    .await?;
    for r in &rows {
        let t: String = r.try_get("tenant_id")?;
        let key = (r.try_get("method")?, r.try_get("kind")?);
        *counts
            .entry(t)
            .or_default()
            .consultations
            .entry(key)
            .or_default() += r.try_get::<i64, _>("n")?;
    }
    // One pass over the (child_id, tenant_id, at) index: each child seen in the period,
    // new when its first consultation is in it.
    let rows = sqlx::query(
        "SELECT tenant_id, COUNT(*) AS n, SUM(CASE WHEN first_at >= $1 THEN 1 ELSE 0 END) AS fresh \
         FROM (SELECT tenant_id, child_id, MIN(at) AS first_at FROM consultations WHERE at < $2 \
               GROUP BY child_id, tenant_id HAVING MAX(at) >= $3) d \
         GROUP BY tenant_id",
    )
    .bind(&lo)
    .bind(&hi)
    .bind(&lo)
    .fetch_all(&mut *tx)
    .await?;
    for r in &rows {
        let t: String = r.try_get("tenant_id")?;
        let n: i64 = r.try_get("n")?;
        let fresh: i64 = r.try_get("fresh")?;
        counts.entry(t).or_default().children = (fresh, n - fresh);
    }
    let rows = sqlx::query(
        "SELECT tenant_id, status, COUNT(*) AS n FROM referrals \
         WHERE created_at >= $1 AND created_at < $2 GROUP BY tenant_id, status",
    )
    .bind(&lo)
    .bind(&hi)
    .fetch_all(&mut *tx)
    .await?;
    for r in &rows {
        let t: String = r.try_get("tenant_id")?;
        let s: String = r.try_get("status")?;
        *counts.entry(t).or_default().referrals.entry(s).or_default() +=
            r.try_get::<i64, _>("n")?;
    }
    tx.commit().await?;
    let out = model::build(period, tenants, &counts);
    audit::record(
        db,
        Entry::new(ctx, None, "report.rollup.view", "report", "rollup").detail(&format!(
            "全体の実績 {}（{} 実施主体{}、<5 {} / 秘匿 {}）",
            out.period_label,
            out.tenants.len(),
            kind.map(|k| format!("・{}", k.label())).unwrap_or_default(),
            out.small_cells,
            out.hidden_cells
        )),
    )
    .await?;
    Ok(out)
}
