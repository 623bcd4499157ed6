//! Events or service slots of a service (date, times, place, 定員) and one event with
//! its participants. The capacity counts every person registered (the child, siblings,
//! guardians); it cannot go below the people already registered.

use chrono::Duration;
use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::participants::{participants_of, Participant};
use super::services::load_service;
use super::{new_id, parse_ymd, reader, run_by, scope, today, writer};
use crate::audit::{self, Entry};
use crate::auth::{policy, Action, Ctx, TenantId};
use crate::db::{Conn, Db, Sql};
use crate::error::{AppResult, FieldError};
use crate::services::model;
use crate::text::clean;
use crate::{time, AppError};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct EventInput {
    /// Empty: the service's name.
    #[serde(default)]
    pub title: String,
    /// As typed: 2026-02-14 / 令和8年2月14日.
    #[serde(default)]
    pub date: String,
    /// HH:MM (JST)
    #[serde(default)]
    pub start_time: String,
    #[serde(default)]
    pub end_time: String,
    #[serde(default)]
    pub place: String,
    /// 定員（人）: every person registered counts (the child, siblings, guardians).
    #[serde(default)]
    pub capacity: i64,
    #[serde(default)]
    pub notes: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub id: String,
    pub service_id: String,
    pub service_name: String,
    pub kind: String,
    pub kind_label: String,
    pub run_by: String,
    pub title: String,
    pub date: String,
    pub date_label: String,
    pub start_time: String,
    pub end_time: String,
    pub starts_at: String,
    pub place: String,
    pub capacity: i64,
    /// People registered.
    pub taken: i64,
    pub remaining: i64,
    pub full: bool,
    pub past: bool,
    pub notes: String,
    pub created_by: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct EventDetail {
    #[serde(flatten)]
    pub event: Event,
    /// Empty for callers who may not read children's records (they see the counts).
    pub participants: Vec<Participant>,
}

/// The events of tenant `t` the caller reaches (contractor staff: of their contract's
/// services), with the people registered; the caller appends conditions and the order.
fn event_select(ctx: &Ctx, t: &TenantId) -> Sql {
    let mut q = Sql::new(
        "SELECT e.id, e.service_id, s.name AS service_name, s.kind, c.contractor_name, e.title, e.date, e.start_time, \
         e.end_time, e.starts_at, e.place, e.capacity, e.notes, e.created_by, \
         (SELECT COUNT(*) FROM service_participants p WHERE p.event_id = e.id AND p.tenant_id = e.tenant_id) AS taken \
         FROM service_events e JOIN optional_services s ON s.id = e.service_id AND s.tenant_id = e.tenant_id \
         LEFT JOIN contracts c ON c.id = s.contract_id AND c.tenant_id = s.tenant_id \
         WHERE e.tenant_id = ",
    );
    q.bind(t);
    scope(&mut q, ctx);
    q
}

fn event_from_row(r: &sqlx::any::AnyRow, today: &str) -> AppResult<Event> {
    let kind: String = r.try_get("kind")?;
    let date: String = r.try_get("date")?;
    let capacity: i64 = r.try_get("capacity")?;
    let taken: i64 = r.try_get("taken")?;
    Ok(Event {
        id: r.try_get("id")?,
        service_id: r.try_get("service_id")?,
        service_name: r.try_get("service_name")?,
        kind_label: model::kind_label(&kind).to_string(),
        kind,
        run_by: run_by(r.try_get("contractor_name")?),
        title: r.try_get("title")?,
        date_label: parse_ymd(&date)
            .map(model::date_label)
            .unwrap_or_else(|| date.clone()),
        past: date.as_str() < today,
        date,
        start_time: r.try_get("start_time")?,
        end_time: r.try_get("end_time")?,
        starts_at: r.try_get("starts_at")?,
        place: r.try_get("place")?,
        capacity,
        taken,
        remaining: (capacity - taken).max(0),
        full: taken >= capacity,
        notes: r.try_get("notes")?,
        created_by: r.try_get("created_by")?,
    })
}

fn events_from_rows(rows: &[sqlx::any::AnyRow]) -> AppResult<Vec<Event>> {
    let today = today();
    rows.iter().map(|r| event_from_row(r, &today)).collect()
}

/// The events of one service, in date order.
pub async fn list_events(db: &Db, ctx: &Ctx, service_id: &str) -> AppResult<Vec<Event>> {
    let t = reader(ctx)?;
    let mut conn = db.pool.acquire().await?;
    load_service(&mut conn, ctx, t, service_id).await?;
    let mut q = event_select(ctx, t);
    q.push(" AND e.service_id = ")
        .bind(service_id)
        .push(" ORDER BY e.starts_at, e.id");
    let rows = q.query().fetch_all(&mut *conn).await?;
    events_from_rows(&rows)
}

/// Events of every service the caller may see from `from` (YYYY-MM-DD) on, at most `limit`.
pub async fn upcoming_events(db: &Db, ctx: &Ctx, from: &str, limit: i64) -> AppResult<Vec<Event>> {
    let t = reader(ctx)?;
    let mut q = event_select(ctx, t);
    q.push(" AND e.date >= ")
        .bind(from)
        .push(" ORDER BY e.starts_at, e.id LIMIT ")
        .bind(limit);
    let rows = q.query().fetch_all(&db.pool).await?;
    events_from_rows(&rows)
}

pub(super) async fn load_event(
    conn: &mut Conn,
    ctx: &Ctx,
    t: &TenantId,
    id: &str,
) -> AppResult<Event> {
    let mut q = event_select(ctx, t);
    q.push(" AND e.id = ").bind(id);
    let r = q
        .query()
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(AppError::NotFound)?;
    event_from_row(&r, &today())
}

struct CleanEvent {
    input: EventInput,
    date: String,
    start: String,
    end: String,
    starts_at: String,
}

fn validate_event(e: &EventInput, service_name: &str) -> Result<CleanEvent, Vec<FieldError>> {
    let mut errs = vec![];
    let title = match clean(&e.title) {
        t if t.is_empty() => service_name.to_string(),
        t => t,
    };
    let date = if e.date.trim().is_empty() {
        errs.push(FieldError::new("date", "開催日を入力してください。"));
        None
    } else {
        let d = time::parse_date(&e.date);
        if d.is_none() {
            errs.push(FieldError::new(
                "date",
                "開催日は 2026-02-14 や 令和8年2月14日 の形で入力してください。",
            ));
        }
        d
    };
    let start = model::parse_time(&e.start_time);
    if start.is_none() {
        errs.push(FieldError::new(
            "start_time",
            "開始時刻は 10:00 の形で入力してください。",
        ));
    }
    let end = model::parse_time(&e.end_time);
    if end.is_none() {
        errs.push(FieldError::new(
            "end_time",
            "終了時刻は 12:00 の形で入力してください。",
        ));
    }
    if let (Some(a), Some(b)) = (start, end) {
        if b <= a {
            errs.push(FieldError::new(
                "end_time",
                "終了時刻が開始時刻と同じか、それより前になっています。",
            ));
        }
    }
    let place = clean(&e.place);
    if place.is_empty() {
        errs.push(FieldError::new(
            "place",
            "場所を入力してください（オンラインの場合は「オンライン」）。",
        ));
    }
    if !(1..=1000).contains(&e.capacity) {
        errs.push(FieldError::new(
            "capacity",
            "定員は 1〜1000 人の数字で入力してください。",
        ));
    }
    let notes = e.notes.trim().to_string();
    crate::validate::check_texts_each(
        &mut errs,
        &[
            ("title", &title, 100),
            ("place", &place, 200),
            ("notes", &notes, 4000),
        ],
    );
    match (date, start, end) {
        (Some(d), Some(s), Some(en)) if errs.is_empty() => {
            let local = d.and_time(s) - Duration::hours(9);
            Ok(CleanEvent {
                date: d.format("%Y-%m-%d").to_string(),
                start: s.format("%H:%M").to_string(),
                end: en.format("%H:%M").to_string(),
                starts_at: time::to_db(local.and_utc()),
                input: EventInput {
                    title,
                    place,
                    notes,
                    ..e.clone()
                },
            })
        }
        _ => Err(errs),
    }
}

/// Adds an event (or service slot) to a service.
pub async fn create_event(
    db: &Db,
    ctx: &Ctx,
    service_id: &str,
    e: &EventInput,
) -> AppResult<String> {
    let t = writer(ctx)?.clone();
    let mut tx = db.begin_write().await?;
    let s = load_service(&mut tx, ctx, &t, service_id).await?;
    let c = validate_event(e, &s.input.name).map_err(AppError::Validation)?;
    if !s.input.active {
        return Err(AppError::Conflict(
            "この事業は受付を終了しています。回を追加するには、事業を「受付中」に戻してください。"
                .into(),
        ));
    }
    let id = new_id();
    let now = time::now_db();
    sqlx::query(
        "INSERT INTO service_events (id, tenant_id, service_id, title, date, start_time, end_time, starts_at, place, capacity, notes, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)",
    )
    .bind(&id)
    .bind(&t)
    .bind(service_id)
    .bind(&c.input.title)
    .bind(&c.date)
    .bind(&c.start)
    .bind(&c.end)
    .bind(&c.starts_at)
    .bind(&c.input.place)
    .bind(c.input.capacity)
    .bind(&c.input.notes)
    .bind(&ctx.display_name)
    .bind(&now)
    .execute(&mut *tx)
    .await?;
    audit::commit(
        tx,
        Entry::new(ctx, Some(&t), "service_event.create", "service_event", &id).detail(&format!(
            "{} {} {}（定員 {}人）",
            s.input.name, c.date, c.input.title, c.input.capacity
        )),
    )
    .await?;
    Ok(id)
}

/// Changes an event; the capacity cannot go below the people already registered.
pub async fn update_event(db: &Db, ctx: &Ctx, id: &str, e: &EventInput) -> AppResult<()> {
    let t = writer(ctx)?.clone();
    let mut tx = db.begin_write().await?;
    let ev = load_event(&mut tx, ctx, &t, id).await?;
    let c = validate_event(e, &ev.service_name).map_err(AppError::Validation)?;
    if c.input.capacity < ev.taken {
        return Err(AppError::invalid(
            "capacity",
            format!(
                "すでに {} 人が登録されているため、定員を {} 人にはできません。",
                ev.taken, c.input.capacity
            ),
        ));
    }
    sqlx::query(
        "UPDATE service_events SET title = $1, date = $2, start_time = $3, end_time = $4, starts_at = $5, place = $6, capacity = $7, notes = $8, updated_at = $9 \
         WHERE id = $10 AND tenant_id = $11",
    )
    .bind(&c.input.title)
    .bind(&c.date)
    .bind(&c.start)
    .bind(&c.end)
    .bind(&c.starts_at)
    .bind(&c.input.place)
    .bind(c.input.capacity)
    .bind(&c.input.notes)
    .bind(time::now_db())
    .bind(id)
    .bind(&t)
    .execute(&mut *tx)
    .await?;
    audit::commit(
        tx,
        Entry::new(ctx, Some(&t), "service_event.update", "service_event", id).detail(&format!(
            "{} {}（定員 {}人）",
            c.date, c.input.title, c.input.capacity
        )),
    )
    .await?;
    Ok(())
}

/// An event with its participants. Seeing who takes part is reading children's records:
/// only for those who may (ViewChildren), and audited.
pub async fn get_event(db: &Db, ctx: &Ctx, id: &str) -> AppResult<EventDetail> {
    let t = reader(ctx)?.clone();
    let mut conn = db.pool.acquire().await?;
    let event = load_event(&mut conn, ctx, &t, id).await?;
    let participants = if policy::can(ctx, Action::ViewChildren) {
        participants_of(&mut conn, ctx, &t, id).await?
    } else {
        vec![]
    };
    drop(conn);
    if !participants.is_empty() {
        audit::record(
            db,
            Entry::new(ctx, Some(&t), "service_event.view", "service_event", id)
                .detail(&format!("参加者 {} 人", participants.len())),
        )
        .await?;
    }
    Ok(EventDetail {
        event,
        participants,
    })
}
