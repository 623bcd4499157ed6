//! Consents to share a child's items with an agency: reading, adding, revoking, and what is
//! consented today.

use serde::Deserialize;

use super::children::Consent;
use super::{date_str, new_id};
use crate::auth::Ctx;
use crate::cases::access::{begin_child_write, commit_child_write};
use crate::cases::model;
use crate::db::{Cols, Conn, Db};
use crate::error::{AppResult, FieldError};
use crate::text::clean;
use crate::validate::opt_date;
use crate::{time, AppError};

pub(crate) async fn load_consents(
    conn: &mut Conn,
    t: &str,
    child_id: &str,
) -> AppResult<Vec<Consent>> {
    let today = time::today_jst().format("%Y-%m-%d").to_string();
    let rows = sqlx::query(
        "SELECT c.id, c.agency_id, a.name AS agency_name, c.purpose, c.items, c.valid_from, c.valid_to, c.method, c.given_by, \
         c.recorded_by, c.revoked_at, c.revoke_reason FROM consents c JOIN agencies a ON a.id = c.agency_id \
         WHERE c.child_id = $1 AND c.tenant_id = $2 ORDER BY c.created_at DESC, c.id DESC",
    )
    .bind(child_id)
    .bind(t)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(|r| consent_from(r, &today)).collect()
}

/// A consent from a row with the columns of load_consents (or a 'consent' row of the
/// record page's statement), in force or not on `today`.
pub(crate) fn consent_from(r: &impl Cols, today: &str) -> AppResult<Consent> {
    let mut c = Consent {
        id: r.text("id")?,
        agency_id: r.text("agency_id")?,
        agency_name: r.text("agency_name")?,
        purpose: r.text("purpose")?,
        items: model::parse_items(&r.text("items")?),
        valid_from: r.text("valid_from")?,
        valid_to: r.opt_text("valid_to")?,
        method: r.text("method")?,
        given_by: r.text("given_by")?,
        recorded_by: r.text("recorded_by")?,
        revoked_at: r.opt_text("revoked_at")?,
        revoke_reason: r.text("revoke_reason")?,
        active: false,
    };
    c.active = consent_active(&c, today);
    Ok(c)
}

/// In force today: not revoked, and today within its period.
pub(crate) fn consent_active(c: &Consent, today: &str) -> bool {
    c.revoked_at.is_none()
        && c.valid_from.as_str() <= today
        && c.valid_to.as_deref().is_none_or(|v| v >= today)
}

/// Items currently consented for sharing with `agency_id` (union of active consents).
pub async fn consented_items(
    conn: &mut Conn,
    t: &str,
    child_id: &str,
    agency_id: &str,
) -> AppResult<Vec<String>> {
    let mut items: Vec<String> = load_consents(conn, t, child_id)
        .await?
        .into_iter()
        .filter(|c| c.active && c.agency_id == agency_id)
        .flat_map(|c| c.items)
        .collect();
    items.sort();
    items.dedup();
    Ok(items)
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ConsentInput {
    pub agency_id: String,
    #[serde(default)]
    pub purpose: String,
    #[serde(default)]
    pub items: Vec<String>,
    #[serde(default)]
    pub valid_from: String,
    #[serde(default)]
    pub valid_to: String,
    /// 書面 or 口頭
    #[serde(default)]
    pub method: String,
    /// Who gave it (本人, 母 …).
    #[serde(default)]
    pub given_by: String,
}

pub async fn add_consent(
    db: &Db,
    ctx: &Ctx,
    child_id: &str,
    c: &ConsentInput,
) -> AppResult<String> {
    let t = ctx.tenant()?.clone();
    let mut errs = vec![];
    let items: Vec<String> = c
        .items
        .iter()
        .filter(|i| model::CONSENT_ITEMS.iter().any(|(k, _)| k == i))
        .cloned()
        .collect();
    if items.is_empty() {
        errs.push(FieldError::new(
            "items",
            "共有してよい項目を一つ以上選んでください。",
        ));
    }
    if clean(&c.purpose).is_empty() {
        errs.push(FieldError::new("purpose", "共有の目的を入力してください。"));
    }
    if !matches!(c.method.as_str(), "書面" | "口頭") {
        errs.push(FieldError::new(
            "method",
            "同意の方法（書面・口頭）を選んでください。",
        ));
    }
    if clean(&c.given_by).is_empty() {
        errs.push(FieldError::new(
            "given_by",
            "同意した人（本人・保護者など）を入力してください。",
        ));
    }
    let from = if c.valid_from.trim().is_empty() {
        Some(time::today_jst())
    } else {
        opt_date("valid_from", "同意の開始日", &c.valid_from, &mut errs)
    };
    let to = opt_date("valid_to", "同意の終了日", &c.valid_to, &mut errs);
    if let (Some(a), Some(b)) = (from, to) {
        if a > b {
            errs.push(FieldError::new(
                "valid_to",
                "同意の終了日が開始日より前になっています。",
            ));
        }
    }
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let mut tx = begin_child_write(db, ctx, child_id).await?;
    let agency_ok: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM agencies WHERE id = $1 AND tenant_id = $2 AND deleted_at IS NULL",
    )
    .bind(&c.agency_id)
    .bind(&t)
    .fetch_one(&mut *tx)
    .await?;
    if agency_ok == 0 {
        return Err(AppError::invalid(
            "agency_id",
            "関係機関を台帳から選んでください。",
        ));
    }
    let id = new_id();
    sqlx::query(
        "INSERT INTO consents (id, tenant_id, child_id, agency_id, purpose, items, valid_from, valid_to, method, given_by, recorded_by, created_at, revoke_reason) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, '')",
    )
    .bind(&id)
    .bind(&t)
    .bind(child_id)
    .bind(&c.agency_id)
    .bind(c.purpose.trim())
    .bind(items.join(","))
    .bind(date_str(from))
    .bind(date_str(to))
    .bind(&c.method)
    .bind(clean(&c.given_by))
    .bind(&ctx.display_name)
    .bind(time::now_db())
    .execute(&mut *tx)
    .await?;
    commit_child_write(
        tx,
        ctx,
        &t,
        "consent.create",
        child_id,
        &format!("{} {}", c.agency_id, items.join(",")),
    )
    .await?;
    Ok(id)
}

pub async fn revoke_consent(
    db: &Db,
    ctx: &Ctx,
    child_id: &str,
    consent_id: &str,
    reason: &str,
) -> AppResult<()> {
    let t = ctx.tenant()?.clone();
    let reason = clean(reason);
    if reason.is_empty() {
        return Err(AppError::invalid(
            "reason",
            "撤回の理由（誰から、どのように申し出があったか）を入力してください。",
        ));
    }
    let mut tx = begin_child_write(db, ctx, child_id).await?;
    let n = sqlx::query("UPDATE consents SET revoked_at = $1, revoked_by = $2, revoke_reason = $3 WHERE id = $4 AND child_id = $5 AND tenant_id = $6 AND revoked_at IS NULL")
        .bind(time::now_db())
        .bind(&ctx.display_name)
        .bind(&reason)
        .bind(consent_id)
        .bind(child_id)
        .bind(&t)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(AppError::NotFound);
    }
    commit_child_write(tx, ctx, &t, "consent.revoke", child_id, consent_id).await?;
    Ok(())
}
