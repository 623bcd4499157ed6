//! Support plans (支援計画): saving a plan and listing a child's plans.

use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::{date_str, new_id};
use crate::auth::Ctx;
use crate::cases::access::reader;
use crate::cases::access::{begin_child_write, child_access, commit_child_write};
use crate::cases::model::{self, PlanAction};
use crate::db::Db;
use crate::error::{AppResult, FieldError};
use crate::text::clean;
use crate::validate::{check_texts, opt_date};
use crate::{time, AppError};

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct PlanInput {
    #[serde(default)]
    pub child_words: String,
    #[serde(default)]
    pub guardian_words: String,
    #[serde(default)]
    pub long_term_goal: String,
    #[serde(default)]
    pub short_term_goals: String,
    #[serde(default)]
    pub review_date: String,
    #[serde(default)]
    pub actions: Vec<PlanAction>,
    /// Why this revision (見直しの理由).
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub id: String,
    pub revision: i64,
    #[serde(flatten)]
    pub input: PlanInput,
    pub created_by: String,
    pub created_at: String,
}

/// Saves a new revision of the child's plan (earlier revisions are kept).
pub async fn save_plan(db: &Db, ctx: &Ctx, child_id: &str, p: &PlanInput) -> AppResult<i64> {
    let t = ctx.tenant()?.clone();
    let mut errs = vec![];
    if clean(&p.long_term_goal).is_empty() && clean(&p.short_term_goals).is_empty() {
        errs.push(FieldError::new(
            "long_term_goal",
            "長期目標か短期目標を入力してください。",
        ));
    }
    let review = opt_date("review_date", "見直しの予定日", &p.review_date, &mut errs);
    let mut actions = vec![];
    for (i, a) in p.actions.iter().enumerate() {
        let a = PlanAction {
            description: a.description.trim().to_string(),
            owner: clean(&a.owner),
            due_date: a.due_date.clone(),
            status: clean(&a.status),
        };
        if a.description.is_empty() && a.owner.is_empty() {
            continue;
        }
        if a.owner.is_empty() {
            errs.push(FieldError::new(
                "actions",
                format!(
                    "取り組み{}の担当（人または機関）を入力してください。",
                    i + 1
                ),
            ));
        }
        let due = opt_date(
            "actions",
            &format!("取り組み{}の期限", i + 1),
            &a.due_date,
            &mut errs,
        );
        let status = if model::ACTION_STATUSES.contains(&a.status.as_str()) {
            a.status.clone()
        } else {
            "未着手".into()
        };
        actions.push(PlanAction {
            due_date: date_str(due).unwrap_or_default(),
            status,
            ..a
        });
    }
    check_texts(
        &mut errs,
        &[
            ("child_words", p.child_words.as_str()),
            ("guardian_words", p.guardian_words.as_str()),
            ("long_term_goal", p.long_term_goal.as_str()),
            ("short_term_goals", p.short_term_goals.as_str()),
            ("note", p.note.as_str()),
        ],
        10_000,
    );
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let mut tx = begin_child_write(db, ctx, child_id).await?;
    let rev: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(revision), 0) + 1 FROM support_plans WHERE child_id = $1 AND tenant_id = $2")
        .bind(child_id)
        .bind(&t)
        .fetch_one(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO support_plans (id, tenant_id, child_id, revision, child_words, guardian_words, long_term_goal, short_term_goals, review_date, actions, note, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(new_id())
    .bind(&t)
    .bind(child_id)
    .bind(rev)
    .bind(p.child_words.trim())
    .bind(p.guardian_words.trim())
    .bind(p.long_term_goal.trim())
    .bind(p.short_term_goals.trim())
    .bind(date_str(review))
    .bind(serde_json::to_string(&actions).unwrap_or_default())
    .bind(p.note.trim())
    .bind(&ctx.display_name)
    .bind(time::now_db())
    .execute(&mut *tx)
    .await?;
    commit_child_write(tx, ctx, &t, "plan.save", child_id, &format!("第{rev}版")).await?;
    Ok(rev)
}

pub async fn plans(db: &Db, ctx: &Ctx, child_id: &str) -> AppResult<Vec<Plan>> {
    let t = reader(ctx)?.clone();
    let mut conn = db.pool.acquire().await?;
    child_access(&mut conn, ctx, child_id).await?;
    let rows = sqlx::query(
        "SELECT id, revision, child_words, guardian_words, long_term_goal, short_term_goals, review_date, actions, note, created_by, created_at \
         FROM support_plans WHERE child_id = $1 AND tenant_id = $2 ORDER BY revision DESC",
    )
    .bind(child_id)
    .bind(&t)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Plan {
                id: r.try_get("id")?,
                revision: r.try_get("revision")?,
                input: PlanInput {
                    child_words: r.try_get("child_words")?,
                    guardian_words: r.try_get("guardian_words")?,
                    long_term_goal: r.try_get("long_term_goal")?,
                    short_term_goals: r.try_get("short_term_goals")?,
                    review_date: r
                        .try_get::<Option<String>, _>("review_date")?
                        .unwrap_or_default(),
                    actions: serde_json::from_str(r.try_get::<String, _>("actions")?.as_str())
                        .unwrap_or_default(),
                    note: r.try_get("note")?,
                },
                created_by: r.try_get("created_by")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect()
}
