//! Indicators recorded for a child: reading and adding them.

use serde::Serialize;

use super::new_id;
use crate::auth::Ctx;
use crate::cases::access::reader;
use crate::cases::access::{begin_child_write, child_access, commit_child_write};
use crate::cases::model;
use crate::db::{Cols, Db};
use crate::error::{AppResult, FieldError};
use crate::text::clean;
use crate::validate::check_texts;
use crate::{time, AppError};

#[derive(Debug, Clone, Serialize)]
pub struct Indicator {
    pub kind: String,
    pub period: String,
    pub value: i64,
    pub note: String,
}

/// An indicator from a row with the columns kind, period, value, note (its list, or an
/// 'indicator' row of the record page's statement).
pub(crate) fn indicator_from(r: &impl Cols) -> AppResult<Indicator> {
    Ok(Indicator {
        kind: r.text("kind")?,
        period: r.text("period")?,
        value: r.int("value")?,
        note: r.text("note")?,
    })
}

pub async fn indicators(db: &Db, ctx: &Ctx, child_id: &str) -> AppResult<Vec<Indicator>> {
    let t = reader(ctx)?.clone();
    let mut conn = db.pool.acquire().await?;
    child_access(&mut conn, ctx, child_id).await?;
    let rows = sqlx::query("SELECT id, kind, period, value, note FROM indicators WHERE child_id = $1 AND tenant_id = $2")
        .bind(child_id)
        .bind(&t)
        .fetch_all(&mut *conn)
        .await?;
    // Sorted here rather than by SQL: the same (bytewise) order on both engines.
    let mut list: Vec<((String, String, String), Indicator)> = rows
        .iter()
        .map(|r| {
            let i = indicator_from(r)?;
            Ok(((i.kind.clone(), i.period.clone(), r.text("id")?), i))
        })
        .collect::<AppResult<_>>()?;
    list.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(list.into_iter().map(|(_, i)| i).collect())
}

pub async fn add_indicator(
    db: &Db,
    ctx: &Ctx,
    child_id: &str,
    kind: &str,
    period: &str,
    value: i64,
    note: &str,
) -> AppResult<()> {
    let t = ctx.tenant()?.clone();
    let mut errs = vec![];
    if !model::INDICATOR_KINDS.iter().any(|(k, _, _)| *k == kind) {
        errs.push(FieldError::new("kind", "指標を選んでください。"));
    }
    let period = clean(period);
    if period.is_empty() || period.chars().count() > 30 {
        errs.push(FieldError::new(
            "period",
            "期間（例: 令和7年度1学期、2025-06）を入力してください。",
        ));
    }
    match kind {
        "family_burden" if !(1..=5).contains(&value) => errs.push(FieldError::new(
            "value",
            "家族の負担感は 1〜5 で入力してください。",
        )),
        "absence_days" if !(0..=366).contains(&value) => errs.push(FieldError::new(
            "value",
            "欠席日数は 0〜366 で入力してください。",
        )),
        _ => {}
    }
    check_texts(
        &mut errs,
        &[("period", period.as_str()), ("note", note)],
        2000,
    );
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let mut tx = begin_child_write(db, ctx, child_id).await?;
    sqlx::query("INSERT INTO indicators (id, tenant_id, child_id, kind, period, value, note, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
        .bind(new_id())
        .bind(&t)
        .bind(child_id)
        .bind(kind)
        .bind(&period)
        .bind(value)
        .bind(note.trim())
        .bind(&ctx.display_name)
        .bind(time::now_db())
        .execute(&mut *tx)
        .await?;
    commit_child_write(
        tx,
        ctx,
        &t,
        "indicator.add",
        child_id,
        &format!("{kind} {period} {value}"),
    )
    .await?;
    Ok(())
}
