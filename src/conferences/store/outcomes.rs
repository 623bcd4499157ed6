//! The outcomes of a case conference (its action items): what was decided to do, by
//! whom (a person or an agency), by when; done or open again.

use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::{conference_write, new_id};
use crate::auth::{Ctx, TenantId};
use crate::cases::access::commit_child_write;
use crate::db::{Conn, Db};
use crate::error::{AppResult, FieldError};
use crate::text::clean;
use crate::{time, AppError};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct OutcomeInput {
    #[serde(default)]
    pub description: String,
    /// A person or an agency.
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub due_date: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub id: String,
    pub description: String,
    pub owner: String,
    pub due_date: String,
    /// due_date for people: 令和8年12月6日 (empty when there is none).
    pub due_label: String,
    /// open / done
    pub status: String,
    pub overdue: bool,
    /// The plan revision it was reflected into (None: not yet).
    pub plan_revision: Option<i64>,
}

pub(super) async fn outcomes_on(
    conn: &mut Conn,
    t: &TenantId,
    meeting_id: &str,
) -> AppResult<Vec<Outcome>> {
    let today = time::today_jst().format("%Y-%m-%d").to_string();
    let rows = sqlx::query(
        "SELECT id, description, owner, due_date, status, plan_revision FROM action_items \
         WHERE meeting_id = $1 AND tenant_id = $2 ORDER BY created_at, id",
    )
    .bind(meeting_id)
    .bind(t)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let due: Option<String> = r.try_get("due_date")?;
            let status: String = r.try_get("status")?;
            Ok(Outcome {
                id: r.try_get("id")?,
                description: r.try_get("description")?,
                owner: r.try_get("owner")?,
                overdue: status == "open" && due.as_deref().is_some_and(|d| d < today.as_str()),
                due_label: due
                    .as_deref()
                    .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                    .map(time::format_wareki)
                    .unwrap_or_default(),
                due_date: due.unwrap_or_default(),
                status,
                plan_revision: r.try_get("plan_revision")?,
            })
        })
        .collect()
}

/// Adds an outcome: what was decided to do, by whom (a person or an agency), by when.
pub async fn add_outcome(db: &Db, ctx: &Ctx, id: &str, o: &OutcomeInput) -> AppResult<String> {
    let mut errs = vec![];
    let description = o.description.trim().to_string();
    let owner = clean(&o.owner);
    if description.is_empty() {
        errs.push(FieldError::new(
            "description",
            "決まったこと（やること）を書いてください。",
        ));
    }
    if owner.is_empty() {
        errs.push(FieldError::new(
            "owner",
            "担当（人または機関）を入力してください。",
        ));
    }
    let due = crate::validate::opt_date_db("due_date", "期限", &o.due_date, &mut errs);
    crate::validate::check_texts_each(
        &mut errs,
        &[("description", &description, 1000), ("owner", &owner, 200)],
    );
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let (mut tx, t, child_id, _) = conference_write(db, ctx, id).await?;
    let oid = new_id();
    sqlx::query("INSERT INTO action_items (id, tenant_id, meeting_id, description, owner, due_date, status, created_at) VALUES ($1, $2, $3, $4, $5, $6, 'open', $7)")
        .bind(&oid)
        .bind(&t)
        .bind(id)
        .bind(&description)
        .bind(&owner)
        .bind(due)
        .bind(time::now_db())
        .execute(&mut *tx)
        .await?;
    commit_child_write(
        tx,
        ctx,
        &t,
        "conference.outcome_add",
        &child_id,
        &format!("{id} {oid}"),
    )
    .await?;
    Ok(oid)
}

pub async fn set_outcome_done(
    db: &Db,
    ctx: &Ctx,
    id: &str,
    outcome_id: &str,
    done: bool,
) -> AppResult<()> {
    let (mut tx, t, child_id, _) = conference_write(db, ctx, id).await?;
    let n = sqlx::query(
        "UPDATE action_items SET status = $1, done_at = $2 WHERE id = $3 AND meeting_id = $4 AND tenant_id = $5",
    )
    .bind(if done { "done" } else { "open" })
    .bind(done.then(time::now_db))
    .bind(outcome_id)
    .bind(id)
    .bind(&t)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(AppError::NotFound);
    }
    commit_child_write(
        tx,
        ctx,
        &t,
        if done {
            "conference.outcome_done"
        } else {
            "conference.outcome_reopen"
        },
        &child_id,
        &format!("{id} {outcome_id}"),
    )
    .await?;
    Ok(())
}
