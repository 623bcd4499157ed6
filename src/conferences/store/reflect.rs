//! 「支援計画に反映」: the outcomes of a case conference not yet reflected become actions
//! (未着手) of a new revision of the child's 自立支援計画; `action_items.plan_revision`
//! marks what was reflected, so nothing is added twice.

use serde::Serialize;
use sqlx::Row;

use super::{conference_write, new_id, when_label};
use crate::auth::{Ctx, TenantId};
use crate::cases::access::commit_child_write;
use crate::cases::model::PlanAction;
use crate::db::{Db, Tx};
use crate::error::AppResult;
use crate::{time, AppError};

#[derive(Debug, Clone, Serialize)]
pub struct Reflected {
    pub revision: i64,
    pub added: usize,
}

/// 「支援計画に反映」: a new revision of the child's 自立支援計画 — a copy of the latest
/// (or a new plan) with the outcomes not yet reflected appended as actions (未着手),
/// noting the conference. Earlier revisions stay. Outcomes reflected once are never
/// added again: with nothing new the request is refused.
pub async fn reflect(db: &Db, ctx: &Ctx, id: &str) -> AppResult<Reflected> {
    let (mut tx, t, child_id, _) = conference_write(db, ctx, id).await?;
    let r = reflect_on(&mut tx, &t, id, &ctx.display_name).await?;
    commit_child_write(
        tx,
        ctx,
        &t,
        "conference.reflect",
        &child_id,
        &format!("{id} → 自立支援計画 第{}版（{} 件）", r.revision, r.added),
    )
    .await?;
    Ok(r)
}

/// The reflection inside a write transaction whose access has been checked (the demo
/// uses it too).
pub async fn reflect_on(tx: &mut Tx, t: &TenantId, id: &str, by: &str) -> AppResult<Reflected> {
    let head = sqlx::query(
        "SELECT child_id, title, starts_at, reflected_revision FROM meetings WHERE id = $1 AND tenant_id = $2 AND kind = 'case_conference'",
    )
    .bind(id)
    .bind(t)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let child_id: String = head
        .try_get::<Option<String>, _>("child_id")?
        .ok_or(AppError::NotFound)?;
    let title: String = head.try_get("title")?;
    let when = when_label(&head.try_get::<String, _>("starts_at")?);
    let reflected: Option<i64> = head.try_get("reflected_revision")?;
    let new: Vec<PlanAction> = sqlx::query(
        "SELECT description, owner, due_date FROM action_items WHERE meeting_id = $1 AND tenant_id = $2 AND plan_revision IS NULL ORDER BY created_at, id",
    )
    .bind(id)
    .bind(t)
    .fetch_all(&mut **tx)
    .await?
    .iter()
    .map(|r| {
        Ok(PlanAction {
            description: r.try_get("description")?,
            owner: r.try_get("owner")?,
            due_date: r
                .try_get::<Option<String>, _>("due_date")?
                .unwrap_or_default(),
            status: "未着手".into(),
        })
    })
    .collect::<AppResult<_>>()?;
    if new.is_empty() {
        return Err(match reflected {
            Some(rev) => AppError::Conflict(format!(
                "このケース会議の結果は、すでに自立支援計画の第{rev}版に反映しています。同じ結果を二度反映することはできません（新しい結果を追加したときは、その分だけ反映できます）。"
            )),
            None => AppError::invalid(
                "outcomes",
                "反映する結果がありません。先に「決まったこと（結果）」を担当と期限とともに記録してください。",
            ),
        });
    }
    let latest = sqlx::query(
        "SELECT revision, child_words, guardian_words, long_term_goal, short_term_goals, review_date, actions \
         FROM support_plans WHERE child_id = $1 AND tenant_id = $2 ORDER BY revision DESC LIMIT 1",
    )
    .bind(&child_id)
    .bind(t)
    .fetch_optional(&mut **tx)
    .await?;
    let added = new.len();
    let (revision, words, guardian, long, short, review, mut actions, note) = match &latest {
        Some(p) => (
            p.try_get::<i64, _>("revision")? + 1,
            p.try_get::<String, _>("child_words")?,
            p.try_get::<String, _>("guardian_words")?,
            p.try_get::<String, _>("long_term_goal")?,
            p.try_get::<String, _>("short_term_goals")?,
            p.try_get::<Option<String>, _>("review_date")?,
            serde_json::from_str::<Vec<PlanAction>>(&p.try_get::<String, _>("actions")?)
                .unwrap_or_default(),
            format!("ケース会議「{title}」（{when}）の結果を反映（取り組み {added} 件を追加）"),
        ),
        None => (
            1,
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            None,
            vec![],
            format!("ケース会議「{title}」（{when}）の結果から作成（取り組み {added} 件）。本人・保護者の思いと目標は、話し合って記入してください"),
        ),
    };
    actions.extend(new);
    sqlx::query(
        "INSERT INTO support_plans (id, tenant_id, child_id, revision, child_words, guardian_words, long_term_goal, short_term_goals, review_date, actions, note, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(new_id())
    .bind(t)
    .bind(&child_id)
    .bind(revision)
    .bind(&words)
    .bind(&guardian)
    .bind(&long)
    .bind(&short)
    .bind(&review)
    .bind(serde_json::to_string(&actions).unwrap_or_default())
    .bind(&note)
    .bind(by)
    .bind(time::now_db())
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "UPDATE action_items SET plan_revision = $1 WHERE meeting_id = $2 AND tenant_id = $3 AND plan_revision IS NULL",
    )
    .bind(revision)
    .bind(id)
    .bind(t)
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE meetings SET reflected_revision = $1, updated_at = $2 WHERE id = $3 AND tenant_id = $4")
        .bind(revision)
        .bind(time::now_db())
        .bind(id)
        .bind(t)
        .execute(&mut **tx)
        .await?;
    Ok(Reflected { revision, added })
}
