//! Follow-ups and what is due: follow-up tasks, consent renewals, plan reviews and
//! transitions.

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::Row;

use super::{new_id, parse_ymd};
use crate::auth::{Ctx, Role};
use crate::cases::access::reader;
use crate::cases::access::{begin_child_write, commit_child_write};
use crate::cases::model;
use crate::db::{Db, Direct};
use crate::error::{AppResult, FieldError};
use crate::validate::{check_texts, opt_date};
use crate::{time, AppError};

pub(super) async fn insert_follow_up(
    tx: &mut crate::db::Tx,
    t: &str,
    child_id: &str,
    kind: &str,
    due: NaiveDate,
    note: &str,
    assigned: Option<&str>,
) -> AppResult<String> {
    let id = new_id();
    sqlx::query("INSERT INTO follow_ups (id, tenant_id, child_id, kind, due_date, note, assigned_to, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(&id)
        .bind(t)
        .bind(child_id)
        .bind(kind)
        .bind(due.format("%Y-%m-%d").to_string())
        .bind(note)
        .bind(assigned)
        .bind(time::now_db())
        .execute(&mut **tx)
        .await?;
    Ok(id)
}

pub async fn add_follow_up(
    db: &Db,
    ctx: &Ctx,
    child_id: &str,
    kind: &str,
    due: &str,
    note: &str,
) -> AppResult<String> {
    let t = ctx.tenant()?.clone();
    let mut errs = vec![];
    if !model::FOLLOW_UP_KINDS.iter().any(|(k, _)| *k == kind) {
        errs.push(FieldError::new("kind", "種類を選んでください。"));
    }
    let due = if due.trim().is_empty() {
        errs.push(FieldError::new("due_date", "予定日を入力してください。"));
        None
    } else {
        opt_date("due_date", "予定日", due, &mut errs)
    };
    check_texts(&mut errs, &[("note", note)], 10_000);
    let Some(due) = due.filter(|_| errs.is_empty()) else {
        return Err(AppError::Validation(errs));
    };
    let mut tx = begin_child_write(db, ctx, child_id).await?;
    let id = insert_follow_up(
        &mut tx,
        &t,
        child_id,
        kind,
        due,
        note.trim(),
        Some(&ctx.user_id),
    )
    .await?;
    commit_child_write(tx, ctx, &t, "follow_up.create", child_id, &id).await?;
    Ok(id)
}

pub async fn complete_follow_up(
    db: &Db,
    ctx: &Ctx,
    child_id: &str,
    follow_up_id: &str,
) -> AppResult<()> {
    let t = ctx.tenant()?.clone();
    let mut tx = begin_child_write(db, ctx, child_id).await?;
    let n = sqlx::query("UPDATE follow_ups SET done_at = $1, done_by = $2 WHERE id = $3 AND child_id = $4 AND tenant_id = $5 AND done_at IS NULL")
        .bind(time::now_db())
        .bind(&ctx.display_name)
        .bind(follow_up_id)
        .bind(child_id)
        .bind(&t)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(AppError::NotFound);
    }
    commit_child_write(tx, ctx, &t, "follow_up.done", child_id, follow_up_id).await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct Due {
    /// Set for scheduled follow-ups (can be marked done); computed items have none.
    pub follow_up_id: Option<String>,
    pub child_id: String,
    pub child_name: String,
    pub kind: String,
    pub kind_label: String,
    pub due_date: String,
    pub overdue: bool,
    pub note: String,
}

/// What is due within `days`, and overdue, for the caller (`mine`) or the whole tenant:
/// scheduled follow-ups, plan reviews, certificate renewals and life transitions.
pub async fn due_list(db: &Db, ctx: &Ctx, days: i64, mine: bool) -> AppResult<Vec<Due>> {
    due(db, ctx, days, mine, None).await
}

/// What is due for one child (the record page).
pub async fn child_due(db: &Db, ctx: &Ctx, child_id: &str, days: i64) -> AppResult<Vec<Due>> {
    due(db, ctx, days, false, Some(child_id)).await
}

async fn due(
    db: &Db,
    ctx: &Ctx,
    days: i64,
    mine: bool,
    child: Option<&str>,
) -> AppResult<Vec<Due>> {
    let t = reader(ctx)?.clone();
    let one_child = if child.is_some() {
        " AND c.id = $5"
    } else {
        " AND $5 = $5"
    };
    let one_follow = if child.is_some() {
        " AND f.child_id = $5"
    } else {
        " AND $5 = $5"
    };
    let child_value = child.unwrap_or("");
    let only_assigned = mine || ctx.role == Role::Contractor;
    let today = time::today_jst();
    let until = (today + chrono::Duration::days(days))
        .format("%Y-%m-%d")
        .to_string();
    let today_s = today.format("%Y-%m-%d").to_string();
    let scope = if only_assigned {
        "AND EXISTS (SELECT 1 FROM child_workers w WHERE w.child_id = c.id AND w.user_id = $3)"
    } else {
        "AND $3 = $3"
    };
    let lookback = (today - chrono::Duration::days(RENEWAL_LOOKBACK_DAYS))
        .format("%Y-%m-%d")
        .to_string();
    // Transitions: birthdays 18 and 20, school entry and graduation, within the window.
    let lo = (today - chrono::Duration::days(366 * 20 + 5))
        .format("%Y-%m-%d")
        .to_string();
    let sql_follow_ups = format!(
        "SELECT f.id, f.child_id, c.name, f.kind, f.due_date, f.note FROM follow_ups f JOIN children c ON c.id = f.child_id \
         WHERE f.tenant_id = $1 AND f.done_at IS NULL AND f.due_date <= $2 AND $4 = $4 {scope}{one_follow} ORDER BY f.due_date, f.id"
    );
    // Certificate renewals (the 水戸市 practice: meet the family at renewal).
    let sql_renewals = format!(
        "SELECT c.id, c.name, c.certificate_to FROM children c WHERE c.tenant_id = $1 AND c.status = 'active' \
         AND c.certificate_to IS NOT NULL AND c.certificate_to <= $2 AND c.certificate_to >= $4 {scope}{one_child}"
    );
    // Plan reviews: the latest revision's review date.
    let sql_reviews = format!(
        "SELECT c.id, c.name, p.review_date FROM support_plans p JOIN children c ON c.id = p.child_id \
         WHERE p.tenant_id = $1 AND c.status = 'active' AND p.review_date IS NOT NULL AND p.review_date <= $2 \
         AND p.revision = (SELECT MAX(p2.revision) FROM support_plans p2 WHERE p2.child_id = p.child_id) AND $4 = $4 {scope}{one_child}"
    );
    let sql_births = format!(
        "SELECT c.id, c.name, c.birth_date FROM children c WHERE c.tenant_id = $1 AND c.status = 'active' AND c.birth_date >= $2 AND $4 = $4 {scope}{one_child}"
    );
    let zero = DueParam::Int(0);
    let queries = [
        (sql_follow_ups.as_str(), until.as_str(), zero.clone()),
        (
            sql_renewals.as_str(),
            until.as_str(),
            DueParam::Text(lookback),
        ),
        (sql_reviews.as_str(), until.as_str(), zero.clone()),
        (sql_births.as_str(), lo.as_str(), zero),
    ];
    let [follow_ups, renewals, reviews, births] = match &db.direct {
        // SQLite: the four in one read transaction on a read-only connection, without
        // handing each row over from sqlx's worker thread.
        Direct::Sqlite(readers) => readers.read(|tx| {
            let mut out: [Vec<Vec<String>>; 4] = Default::default();
            for (rows, (sql, second, fourth)) in out.iter_mut().zip(&queries) {
                *rows = due_rows_sqlite(tx, sql, [&t, second, &ctx.user_id], fourth, child_value)?;
            }
            Ok(out)
        })?,
        // PostgreSQL: the four at once, each on its own pooled connection.
        Direct::Postgres(_) => {
            let [q1, q2, q3, q4] = queries.map(|(sql, second, fourth)| {
                due_rows(db, sql, [&t, second, &ctx.user_id], fourth, child_value)
            });
            let (a, b, c, d) = tokio::try_join!(q1, q2, q3, q4)?;
            [a, b, c, d]
        }
    };
    let mut out = Vec::with_capacity(follow_ups.len() + renewals.len() + reviews.len());
    for r in follow_ups {
        let [id, child_id, name, kind, due_date, note]: [String; 6] = columns(r);
        out.push(follow_up_due(
            id, child_id, name, kind, due_date, note, &today_s,
        ));
    }
    for r in renewals {
        let [id, name, to]: [String; 3] = columns(r);
        out.push(renewal_due(id, name, to, today));
    }
    for r in reviews {
        let [id, name, date]: [String; 3] = columns(r);
        out.push(review_due(id, name, date, &today_s));
    }
    for r in births {
        let [id, name, birth]: [String; 3] = columns(r);
        out.extend(transition_dues(id, name, &birth, today, days));
    }
    sort_due(&mut out);
    Ok(out)
}

/// A row of `due_rows` as an array (its width is the statement's).
fn columns<const N: usize>(r: Vec<String>) -> [String; N] {
    let mut it = r.into_iter();
    std::array::from_fn(|_| it.next().unwrap_or_default())
}

/// The fourth parameter of the follow-up list's reads.
#[derive(Clone)]
enum DueParam {
    Int(i64),
    Text(String),
}

/// One of the follow-up list's reads, as rows of text ($1 tenant, $2 date, $3 user,
/// $4 `fourth`, $5 child or '').
async fn due_rows(
    db: &Db,
    sql: &str,
    [t, second, user]: [&str; 3],
    fourth: DueParam,
    child: &str,
) -> AppResult<Vec<Vec<String>>> {
    let q = sqlx::query(sql).bind(t).bind(second).bind(user);
    let q = match fourth {
        DueParam::Int(n) => q.bind(n),
        DueParam::Text(s) => q.bind(s),
    };
    let rows = q.bind(child).fetch_all(&db.pool).await?;
    rows.iter()
        .map(|r| {
            (0..r.len())
                .map(|i| Ok(r.try_get::<Option<String>, _>(i)?.unwrap_or_default()))
                .collect()
        })
        .collect()
}

/// `due_rows` on one of SQLite's read-only connections (db::sqlite).
fn due_rows_sqlite(
    tx: &rusqlite::Transaction,
    sql: &str,
    [t, second, user]: [&str; 3],
    fourth: &DueParam,
    child: &str,
) -> AppResult<Vec<Vec<String>>> {
    use crate::db::sqlite::{bind, internal, text};
    let mut stmt = tx.prepare_cached(sql).map_err(internal)?;
    let width = stmt.column_count();
    match fourth {
        DueParam::Int(n) => bind(&mut stmt, &[&t, &second, &user, n, &child])?,
        DueParam::Text(s) => bind(&mut stmt, &[&t, &second, &user, s, &child])?,
    }
    let mut rows = stmt.raw_query();
    let mut out = vec![];
    while let Some(r) = rows.next().map_err(internal)? {
        let mut row = Vec::with_capacity(width);
        for i in 0..width {
            row.push(text(r, i)?.unwrap_or_default());
        }
        out.push(row);
    }
    Ok(out)
}

pub(crate) fn sort_due(out: &mut [Due]) {
    out.sort_by(|a, b| {
        a.due_date
            .cmp(&b.due_date)
            .then_with(|| a.child_name.cmp(&b.child_name))
    });
}

/// The oldest certificate expiry still shown as a renewal to follow up.
pub(crate) const RENEWAL_LOOKBACK_DAYS: i64 = 30;

pub(crate) fn follow_up_due(
    id: String,
    child_id: String,
    child_name: String,
    kind: String,
    due_date: String,
    note: String,
    today: &str,
) -> Due {
    Due {
        follow_up_id: Some(id),
        child_id,
        child_name,
        kind_label: model::follow_up_label(&kind).to_string(),
        kind,
        overdue: due_date.as_str() < today,
        due_date,
        note,
    }
}

pub(crate) fn renewal_due(
    child_id: String,
    child_name: String,
    cert_to: String,
    today: NaiveDate,
) -> Due {
    Due {
        follow_up_id: None,
        child_id,
        child_name,
        kind: "renewal".into(),
        kind_label: "受給者証の更新".into(),
        overdue: cert_to < today.format("%Y-%m-%d").to_string(),
        note: format!(
            "受給者証の有効期限 {}。更新の手続きの機会に面談を。",
            time::format_wareki(parse_ymd(&cert_to).unwrap_or(today))
        ),
        due_date: cert_to,
    }
}

pub(crate) fn review_due(
    child_id: String,
    child_name: String,
    review_date: String,
    today: &str,
) -> Due {
    Due {
        follow_up_id: None,
        child_id,
        child_name,
        kind: "plan_review".into(),
        kind_label: "計画の見直し".into(),
        overdue: review_date.as_str() < today,
        due_date: review_date,
        note: "自立支援計画の見直し予定日です。".into(),
    }
}

pub(crate) fn transition_dues(
    child_id: String,
    child_name: String,
    birth: &str,
    today: NaiveDate,
    days: i64,
) -> Vec<Due> {
    let Some(b) = parse_ymd(birth) else {
        return vec![];
    };
    model::upcoming_transitions(b, today, days)
        .into_iter()
        .map(|(d, label)| Due {
            follow_up_id: None,
            child_id: child_id.clone(),
            child_name: child_name.clone(),
            kind: "transition".into(),
            kind_label: "移行期・節目".into(),
            overdue: false,
            due_date: d.format("%Y-%m-%d").to_string(),
            note: label,
        })
        .collect()
}
