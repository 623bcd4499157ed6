//! Consultations (相談記録): adding and listing them.

use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::follow_up::insert_follow_up;
use super::new_id;
use crate::auth::Ctx;
use crate::cases::access::reader;
use crate::cases::access::{begin_child_write, child_access, commit_child_write};
use crate::cases::model;
use crate::db::Db;
use crate::error::{AppResult, FieldError};
use crate::text::clean;
use crate::validate::{check_texts, opt_date};
use crate::{time, AppError};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ConsultationInput {
    /// Date and time (JST) as typed; empty = now.
    #[serde(default)]
    pub date: String,
    #[serde(default)]
    pub time: String,
    #[serde(default)]
    pub method: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub participants: Vec<String>,
    #[serde(default)]
    pub topics: Vec<String>,
    #[serde(default)]
    pub minutes: Option<i64>,
    /// For 同行: where the worker went with the family (学校, 病院, ハローワーク …).
    #[serde(default)]
    pub destination: String,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub next_action: String,
    /// When set, a follow-up (re-contact) is scheduled on this date.
    #[serde(default)]
    pub follow_up_date: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Consultation {
    pub id: String,
    pub child_id: String,
    pub at: String,
    pub method: String,
    pub kind: String,
    pub participants: Vec<String>,
    pub topics: Vec<String>,
    pub minutes: i64,
    pub destination: String,
    pub notes: String,
    pub next_action: String,
    pub worker_name: String,
}

fn split_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

pub async fn add_consultation(
    db: &Db,
    ctx: &Ctx,
    child_id: &str,
    c: &ConsultationInput,
) -> AppResult<String> {
    let t = ctx.tenant()?.clone();
    let mut errs = vec![];
    if !model::METHODS.contains(&c.method.as_str()) {
        errs.push(FieldError::new("method", "相談の方法を選んでください。"));
    }
    if !model::KINDS.contains(&c.kind.as_str()) {
        errs.push(FieldError::new("kind", "相談の種類を選んでください。"));
    }
    let participants: Vec<String> = c
        .participants
        .iter()
        .filter(|p| model::PARTICIPANTS.contains(&p.as_str()))
        .cloned()
        .collect();
    let topics: Vec<String> = c
        .topics
        .iter()
        .filter(|p| model::TOPICS.contains(&p.as_str()))
        .cloned()
        .collect();
    let date = if c.date.trim().is_empty() {
        Some(time::today_jst())
    } else {
        opt_date("date", "日付", &c.date, &mut errs)
    };
    let tm = crate::text::nfkc(c.time.trim());
    let hm = if tm.is_empty() {
        Some(time::now().with_timezone(&time::jst()).time())
    } else {
        let t2 = tm.replace('時', ":").replace('分', "");
        chrono::NaiveTime::parse_from_str(&t2, "%H:%M")
            .ok()
            .or_else(|| {
                errs.push(FieldError::new(
                    "time",
                    "時刻は 14:30 の形で入力してください。",
                ));
                None
            })
    };
    if let Some(d) = date {
        if d > time::today_jst() + chrono::Duration::days(1) {
            errs.push(FieldError::new(
                "date",
                "相談の日付が未来になっています。予定はフォローアップとして登録してください。",
            ));
        }
    }
    let minutes = c
        .minutes
        .unwrap_or_else(|| model::default_minutes(&c.method));
    if !(1..=1440).contains(&minutes) {
        errs.push(FieldError::new(
            "minutes",
            "所要時間は 1〜1440 分で入力してください。",
        ));
    }
    if c.method == "同行" && clean(&c.destination).is_empty() {
        errs.push(FieldError::new(
            "destination",
            "同行した先（学校・病院・ハローワークなど）を入力してください。",
        ));
    }
    check_texts(
        &mut errs,
        &[
            ("notes", c.notes.as_str()),
            ("next_action", c.next_action.as_str()),
            ("destination", c.destination.as_str()),
        ],
        10_000,
    );
    let follow = opt_date(
        "follow_up_date",
        "次回の連絡日",
        &c.follow_up_date,
        &mut errs,
    );
    let (Some(date), Some(hm)) = (date, hm) else {
        return Err(AppError::Validation(errs));
    };
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let at_local = date
        .and_time(hm)
        .and_local_timezone(time::jst())
        .single()
        .ok_or_else(|| AppError::invalid("time", "時刻が正しくありません。"))?;
    let at = time::to_db(at_local.with_timezone(&chrono::Utc));
    let id = new_id();
    let mut tx = begin_child_write(db, ctx, child_id).await?;
    sqlx::query(
        "INSERT INTO consultations (id, tenant_id, child_id, at, method, kind, participants, topics, minutes, destination, notes, next_action, worker_id, worker_name, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(&id)
    .bind(&t)
    .bind(child_id)
    .bind(&at)
    .bind(&c.method)
    .bind(&c.kind)
    .bind(participants.join(","))
    .bind(topics.join(","))
    .bind(minutes)
    .bind(clean(&c.destination))
    .bind(c.notes.trim())
    .bind(c.next_action.trim())
    .bind(&ctx.user_id)
    .bind(&ctx.display_name)
    .bind(time::now_db())
    .execute(&mut *tx)
    .await?;
    if let Some(f) = follow {
        insert_follow_up(
            &mut tx,
            &t,
            child_id,
            "recontact",
            f,
            c.next_action.trim(),
            Some(&ctx.user_id),
        )
        .await?;
    }
    commit_child_write(tx, ctx, &t, "consultation.create", child_id, &id).await?;
    Ok(id)
}

pub async fn consultations(
    db: &Db,
    ctx: &Ctx,
    child_id: &str,
    limit: i64,
) -> AppResult<Vec<Consultation>> {
    let t = reader(ctx)?.clone();
    let mut conn = db.pool.acquire().await?;
    child_access(&mut conn, ctx, child_id).await?;
    let rows = sqlx::query(
        "SELECT id, child_id, at, method, kind, participants, topics, minutes, destination, notes, next_action, worker_name \
         FROM consultations WHERE child_id = $1 AND tenant_id = $2 ORDER BY at DESC LIMIT $3",
    )
    .bind(child_id)
    .bind(&t)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(consultation_from_row).collect()
}

fn consultation_from_row(r: &sqlx::any::AnyRow) -> AppResult<Consultation> {
    Ok(Consultation {
        id: r.try_get("id")?,
        child_id: r.try_get("child_id")?,
        at: r.try_get("at")?,
        method: r.try_get("method")?,
        kind: r.try_get("kind")?,
        participants: split_list(r.try_get::<String, _>("participants")?.as_str()),
        topics: split_list(r.try_get::<String, _>("topics")?.as_str()),
        minutes: r.try_get("minutes")?,
        destination: r.try_get("destination")?,
        notes: r.try_get("notes")?,
        next_action: r.try_get("next_action")?,
        worker_name: r.try_get("worker_name")?,
    })
}
