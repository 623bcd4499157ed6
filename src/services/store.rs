//! SQL of the optional services (努力義務事業): services, their events or service slots,
//! and participants. Every query carries the caller's tenant; contractor staff reach only
//! the services of their own contract. Registering someone for an event is a write to
//! the child's record: it passes the casework access check (tenant, role, contractor
//! assignment) and is audited on the child, in the same transaction.

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::model;
use crate::audit::{self, Entry};
use crate::auth::{policy, Action, Ctx, Role};
use crate::db::{Conn, Db};
use crate::error::{AppResult, FieldError};
use crate::text::clean;
use crate::{time, AppError};

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn yes() -> bool {
    true
}

fn reader(ctx: &Ctx) -> AppResult<&crate::auth::TenantId> {
    policy::require(ctx, Action::ViewServices)?;
    ctx.tenant()
}

fn writer(ctx: &Ctx) -> AppResult<&crate::auth::TenantId> {
    policy::require(ctx, Action::ManageServices)?;
    ctx.tenant()
}

/// The SQL condition on `s` (optional_services) limiting what the caller reaches:
/// contractor staff, only the services of their contract. `$n` is bound to the user id.
fn scope(ctx: &Ctx, n: usize) -> String {
    if ctx.role == Role::Contractor {
        format!("s.contract_id = (SELECT u.contract_id FROM users u WHERE u.id = ${n})")
    } else {
        format!("${n} = ${n}")
    }
}

fn today() -> String {
    time::today_jst().format("%Y-%m-%d").to_string()
}

fn parse_ymd(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

// ---------------------------------------------------------------- services

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ServiceInput {
    /// respite | exchange | employment | caregiver | other
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub name: String,
    /// 内容
    #[serde(default)]
    pub description: String,
    /// 対象（例: 小慢児童等のきょうだい）
    #[serde(default)]
    pub target: String,
    /// The contract under which a contractor runs the service; none: the tenant runs it.
    #[serde(default)]
    pub contract_id: Option<String>,
    /// 受付中
    #[serde(default = "yes")]
    pub active: bool,
}

/// A partial update: absent fields keep their value; `contract_id: ""` makes the
/// service the tenant's own (直営).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ServicePatch {
    pub kind: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub target: Option<String>,
    pub contract_id: Option<String>,
    pub active: Option<bool>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Service {
    pub id: String,
    #[serde(flatten)]
    pub input: ServiceInput,
    pub kind_label: String,
    /// 直営 or the contractor's name.
    pub run_by: String,
    pub events: i64,
    pub upcoming_events: i64,
    pub next_date: Option<String>,
    /// 令和8年2月14日（土）
    pub next_date_label: Option<String>,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
}

const SERVICE_SELECT: &str = "SELECT s.id, s.kind, s.name, s.description, s.target, s.contract_id, c.contractor_name, s.active, \
     s.created_by, s.created_at, s.updated_at, \
     (SELECT COUNT(*) FROM service_events e WHERE e.service_id = s.id AND e.tenant_id = s.tenant_id) AS events, \
     (SELECT COUNT(*) FROM service_events e WHERE e.service_id = s.id AND e.tenant_id = s.tenant_id AND e.date >= $3) AS upcoming, \
     (SELECT MIN(e.date) FROM service_events e WHERE e.service_id = s.id AND e.tenant_id = s.tenant_id AND e.date >= $3) AS next_date \
     FROM optional_services s LEFT JOIN contracts c ON c.id = s.contract_id AND c.tenant_id = s.tenant_id";

fn run_by(contractor: Option<String>) -> String {
    match contractor {
        Some(c) => format!("委託: {c}"),
        None => "直営".into(),
    }
}

fn service_from_row(r: &sqlx::any::AnyRow) -> Service {
    let kind: String = r.get("kind");
    Service {
        id: r.get("id"),
        kind_label: model::kind_label(&kind).to_string(),
        run_by: run_by(r.get("contractor_name")),
        input: ServiceInput {
            kind,
            name: r.get("name"),
            description: r.get("description"),
            target: r.get("target"),
            contract_id: r.get("contract_id"),
            active: r.get::<i64, _>("active") != 0,
        },
        events: r.get("events"),
        upcoming_events: r.get("upcoming"),
        next_date_label: r
            .get::<Option<String>, _>("next_date")
            .as_deref()
            .and_then(parse_ymd)
            .map(model::date_label),
        next_date: r.get("next_date"),
        created_by: r.get("created_by"),
        created_at: r.get("created_at"),
        updated_at: r.get("updated_at"),
    }
}

fn kind_order(k: &str) -> usize {
    model::KINDS
        .iter()
        .position(|(x, _, _)| *x == k)
        .unwrap_or(99)
}

/// The services the caller may see (contractor staff: their contract's), open ones
/// first, in the guide's order of kinds.
pub async fn list_services(db: &Db, ctx: &Ctx) -> AppResult<Vec<Service>> {
    let t = reader(ctx)?;
    let rows = sqlx::query(&format!(
        "{SERVICE_SELECT} WHERE s.tenant_id = $1 AND {} ORDER BY s.name, s.id",
        scope(ctx, 2)
    ))
    .bind(t)
    .bind(&ctx.user_id)
    .bind(today())
    .fetch_all(&db.pool)
    .await?;
    let mut out: Vec<Service> = rows.iter().map(service_from_row).collect();
    out.sort_by_key(|s| (!s.input.active, kind_order(&s.input.kind)));
    Ok(out)
}

async fn load_service(conn: &mut Conn, ctx: &Ctx, t: &str, id: &str) -> AppResult<Service> {
    let r = sqlx::query(&format!(
        "{SERVICE_SELECT} WHERE s.id = $4 AND s.tenant_id = $1 AND {}",
        scope(ctx, 2)
    ))
    .bind(t)
    .bind(&ctx.user_id)
    .bind(today())
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::NotFound)?;
    Ok(service_from_row(&r))
}

pub async fn get_service(db: &Db, ctx: &Ctx, id: &str) -> AppResult<Service> {
    let t = reader(ctx)?;
    let mut conn = db.pool.acquire().await?;
    load_service(&mut conn, ctx, t, id).await
}

/// Checks a service and settles its contract: contractor staff always run services
/// under their own contract; only the administrator (事業担当者) may put a service
/// under a contract or take it back; the contract must include the service's kind.
async fn validate_service(
    conn: &mut Conn,
    ctx: &Ctx,
    t: &str,
    s: &ServiceInput,
    current_contract: Option<&str>,
) -> AppResult<ServiceInput> {
    let mut errs = vec![];
    let out = ServiceInput {
        kind: s.kind.trim().to_string(),
        name: clean(&s.name),
        description: s.description.trim().to_string(),
        target: clean(&s.target),
        contract_id: s.contract_id.clone().filter(|c| !c.trim().is_empty()),
        active: s.active,
    };
    if model::contract_service(&out.kind).is_none() {
        errs.push(FieldError::new(
            "kind",
            "種類を選んでください（療養生活支援・相互交流支援・就職支援・介護者支援・その他）。",
        ));
    }
    if out.name.is_empty() {
        errs.push(FieldError::new("name", "事業の名称を入力してください。"));
    }
    crate::validate::check_texts_each(
        &mut errs,
        &[
            ("name", &out.name, 100),
            ("description", &out.description, 4000),
            ("target", &out.target, 200),
        ],
    );
    let mut out = out;
    if ctx.role == Role::Contractor {
        let own: Option<String> =
            sqlx::query_scalar("SELECT contract_id FROM users WHERE id = $1 AND tenant_id = $2")
                .bind(&ctx.user_id)
                .bind(t)
                .fetch_optional(&mut *conn)
                .await?
                .flatten();
        match own {
            Some(c) => out.contract_id = Some(c),
            None => {
                return Err(AppError::Forbidden(
                    "委託契約に登録されていないため、事業を登録・変更できません。事業担当者に連絡してください。"
                        .into(),
                ))
            }
        }
    } else if out.contract_id.as_deref() != current_contract
        && !policy::can(ctx, Action::ManageContracts)
    {
        return Err(AppError::Forbidden(
            "委託先が実施する事業にする（または直営に戻す）のは、事業担当者だけができます。".into(),
        ));
    }
    if let Some(c) = &out.contract_id {
        let row = sqlx::query(
            "SELECT contractor_name, services FROM contracts WHERE id = $1 AND tenant_id = $2",
        )
        .bind(c)
        .bind(t)
        .fetch_optional(&mut *conn)
        .await?;
        match row {
            None => errs.push(FieldError::new(
                "contract_id",
                "委託契約が見つかりません。委託先を選び直してください。",
            )),
            Some(r) => {
                let services: String = r.get("services");
                let name: String = r.get("contractor_name");
                if let Some(need) = model::contract_service(&out.kind) {
                    if !services.split(',').any(|x| x == need) {
                        errs.push(FieldError::new(
                            "contract_id",
                            format!("委託契約（{name}）に「{need}」が含まれていません。契約の「委託する事業」を確認してください。"),
                        ));
                    }
                }
            }
        }
    }
    if errs.is_empty() {
        Ok(out)
    } else {
        Err(AppError::Validation(errs))
    }
}

pub async fn create_service(db: &Db, ctx: &Ctx, s: &ServiceInput) -> AppResult<String> {
    let t = writer(ctx)?.clone();
    let mut tx = db.begin_write().await?;
    let s = validate_service(&mut tx, ctx, &t, s, None).await?;
    let id = new_id();
    let now = time::now_db();
    sqlx::query(
        "INSERT INTO optional_services (id, tenant_id, kind, name, description, target, contract_id, active, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
    )
    .bind(&id)
    .bind(&t)
    .bind(&s.kind)
    .bind(&s.name)
    .bind(&s.description)
    .bind(&s.target)
    .bind(&s.contract_id)
    .bind(s.active as i64)
    .bind(&ctx.display_name)
    .bind(&now)
    .execute(&mut *tx)
    .await?;
    audit::commit(
        tx,
        Entry::new(ctx, Some(&t), "service.create", "optional_service", &id).detail(&format!(
            "{}: {}",
            model::kind_label(&s.kind),
            s.name
        )),
    )
    .await?;
    Ok(id)
}

pub async fn update_service(db: &Db, ctx: &Ctx, id: &str, p: &ServicePatch) -> AppResult<()> {
    let t = writer(ctx)?.clone();
    let mut tx = db.begin_write().await?;
    let cur = load_service(&mut tx, ctx, &t, id).await?;
    let merged = ServiceInput {
        kind: p.kind.clone().unwrap_or(cur.input.kind.clone()),
        name: p.name.clone().unwrap_or(cur.input.name.clone()),
        description: p
            .description
            .clone()
            .unwrap_or(cur.input.description.clone()),
        target: p.target.clone().unwrap_or(cur.input.target.clone()),
        contract_id: match &p.contract_id {
            Some(c) => Some(c.clone()),
            None => cur.input.contract_id.clone(),
        },
        active: p.active.unwrap_or(cur.input.active),
    };
    let s = validate_service(&mut tx, ctx, &t, &merged, cur.input.contract_id.as_deref()).await?;
    sqlx::query(
        "UPDATE optional_services SET kind = $1, name = $2, description = $3, target = $4, contract_id = $5, active = $6, updated_at = $7 \
         WHERE id = $8 AND tenant_id = $9",
    )
    .bind(&s.kind)
    .bind(&s.name)
    .bind(&s.description)
    .bind(&s.target)
    .bind(&s.contract_id)
    .bind(s.active as i64)
    .bind(time::now_db())
    .bind(id)
    .bind(&t)
    .execute(&mut *tx)
    .await?;
    audit::commit(
        tx,
        Entry::new(ctx, Some(&t), "service.update", "optional_service", id).detail(&s.name),
    )
    .await?;
    Ok(())
}

// ---------------------------------------------------------------- events

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
pub struct Participant {
    pub id: String,
    pub event_id: String,
    /// None when the caller may not see this child (contractor staff, another
    /// worker's child): the row only counts.
    pub child_id: Option<String>,
    pub child_name: String,
    pub person_kind: String,
    pub person_kind_label: String,
    pub relation: String,
    pub person_name: String,
    pub status: String,
    pub status_label: String,
    pub note: String,
    pub registered_by: String,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct EventDetail {
    #[serde(flatten)]
    pub event: Event,
    /// Empty for callers who may not read children's records (they see the counts).
    pub participants: Vec<Participant>,
}

const EVENT_SELECT: &str = "SELECT e.id, e.service_id, s.name AS service_name, s.kind, c.contractor_name, e.title, e.date, e.start_time, \
     e.end_time, e.starts_at, e.place, e.capacity, e.notes, e.created_by, \
     (SELECT COUNT(*) FROM service_participants p WHERE p.event_id = e.id AND p.tenant_id = e.tenant_id) AS taken \
     FROM service_events e JOIN optional_services s ON s.id = e.service_id AND s.tenant_id = e.tenant_id \
     LEFT JOIN contracts c ON c.id = s.contract_id AND c.tenant_id = s.tenant_id";

fn event_from_row(r: &sqlx::any::AnyRow, today: &str) -> Event {
    let kind: String = r.get("kind");
    let date: String = r.get("date");
    let capacity: i64 = r.get("capacity");
    let taken: i64 = r.get("taken");
    Event {
        id: r.get("id"),
        service_id: r.get("service_id"),
        service_name: r.get("service_name"),
        kind_label: model::kind_label(&kind).to_string(),
        kind,
        run_by: run_by(r.get("contractor_name")),
        title: r.get("title"),
        date_label: parse_ymd(&date)
            .map(model::date_label)
            .unwrap_or_else(|| date.clone()),
        past: date.as_str() < today,
        date,
        start_time: r.get("start_time"),
        end_time: r.get("end_time"),
        starts_at: r.get("starts_at"),
        place: r.get("place"),
        capacity,
        taken,
        remaining: (capacity - taken).max(0),
        full: taken >= capacity,
        notes: r.get("notes"),
        created_by: r.get("created_by"),
    }
}

/// The events of one service, in date order.
pub async fn list_events(db: &Db, ctx: &Ctx, service_id: &str) -> AppResult<Vec<Event>> {
    let t = reader(ctx)?;
    let mut conn = db.pool.acquire().await?;
    load_service(&mut conn, ctx, t, service_id).await?;
    let rows = sqlx::query(&format!(
        "{EVENT_SELECT} WHERE e.tenant_id = $1 AND {} AND e.service_id = $3 ORDER BY e.starts_at, e.id",
        scope(ctx, 2)
    ))
    .bind(t)
    .bind(&ctx.user_id)
    .bind(service_id)
    .fetch_all(&mut *conn)
    .await?;
    let today = today();
    Ok(rows.iter().map(|r| event_from_row(r, &today)).collect())
}

/// Events of every service the caller may see from `from` (YYYY-MM-DD) on, at most `limit`.
pub async fn upcoming_events(db: &Db, ctx: &Ctx, from: &str, limit: i64) -> AppResult<Vec<Event>> {
    let t = reader(ctx)?;
    let rows = sqlx::query(&format!(
        "{EVENT_SELECT} WHERE e.tenant_id = $1 AND {} AND e.date >= $3 ORDER BY e.starts_at, e.id LIMIT $4",
        scope(ctx, 2)
    ))
    .bind(t)
    .bind(&ctx.user_id)
    .bind(from)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    let today = today();
    Ok(rows.iter().map(|r| event_from_row(r, &today)).collect())
}

async fn load_event(conn: &mut Conn, ctx: &Ctx, t: &str, id: &str) -> AppResult<Event> {
    let r = sqlx::query(&format!(
        "{EVENT_SELECT} WHERE e.id = $3 AND e.tenant_id = $1 AND {}",
        scope(ctx, 2)
    ))
    .bind(t)
    .bind(&ctx.user_id)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::NotFound)?;
    Ok(event_from_row(&r, &today()))
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

async fn participants_of(
    conn: &mut Conn,
    ctx: &Ctx,
    t: &str,
    event_id: &str,
) -> AppResult<Vec<Participant>> {
    let rows = sqlx::query(
        "SELECT p.id, p.event_id, p.child_id, c.name AS child_name, p.person_kind, p.relation, p.person_name, p.status, p.note, \
         p.registered_by, p.created_at, \
         (SELECT COUNT(*) FROM child_workers w WHERE w.child_id = p.child_id AND w.user_id = $3) AS mine \
         FROM service_participants p JOIN children c ON c.id = p.child_id AND c.tenant_id = p.tenant_id \
         WHERE p.event_id = $1 AND p.tenant_id = $2 ORDER BY c.reading, p.child_id, p.person_kind, p.created_at",
    )
    .bind(event_id)
    .bind(t)
    .bind(&ctx.user_id)
    .fetch_all(&mut *conn)
    .await?;
    let contractor = ctx.role == Role::Contractor;
    Ok(rows
        .iter()
        .map(|r| {
            let visible = !contractor || r.get::<i64, _>("mine") > 0;
            let kind: String = r.get("person_kind");
            let status: String = r.get("status");
            Participant {
                id: r.get("id"),
                event_id: r.get("event_id"),
                child_id: visible.then(|| r.get("child_id")),
                child_name: if visible {
                    r.get("child_name")
                } else {
                    "（担当外の子ども）".into()
                },
                person_kind_label: model::person_kind_label(&kind).to_string(),
                person_kind: kind,
                relation: if visible {
                    r.get("relation")
                } else {
                    String::new()
                },
                person_name: if visible {
                    r.get("person_name")
                } else {
                    "（非表示）".into()
                },
                status_label: model::status_label(&status).to_string(),
                status,
                note: if visible {
                    r.get("note")
                } else {
                    String::new()
                },
                registered_by: r.get("registered_by"),
                created_at: r.get("created_at"),
            }
        })
        .collect())
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

// ---------------------------------------------------------------- participants

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RegisterInput {
    pub child_id: String,
    /// The child takes part (default).
    #[serde(default = "yes")]
    pub child: bool,
    /// Every sibling (姉・兄・妹・弟) in the child's family list.
    #[serde(default)]
    pub siblings: bool,
    /// Every guardian (保護者) in the child's family list.
    #[serde(default)]
    pub guardians: bool,
    /// Particular family members (ids from the child's record).
    #[serde(default)]
    pub family_member_ids: Vec<String>,
    #[serde(default)]
    pub note: String,
}

struct Person {
    key: String,
    kind: &'static str,
    relation: String,
    name: String,
}

/// Registers a child and/or family members for an event, all or nothing: the caller
/// must be able to write the child's record; a full event, a second registration of
/// the same person, or a family member not in the record is refused with nothing saved.
pub async fn register(
    db: &Db,
    ctx: &Ctx,
    event_id: &str,
    r: &RegisterInput,
) -> AppResult<Vec<String>> {
    let t = writer(ctx)?.clone();
    policy::require(ctx, Action::ManageChildren)?;
    let note = r.note.trim().to_string();
    let mut errs = vec![];
    if r.child_id.trim().is_empty() {
        errs.push(FieldError::new("child_id", "子どもを選んでください。"));
    }
    crate::validate::check_texts_each(&mut errs, &[("note", &note, 1000)]);
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let mut tx = db.begin_write().await?;
    let ev = load_event(&mut tx, ctx, &t, event_id).await?;
    let child_id = r.child_id.trim();
    crate::cases::store::child_access(&mut tx, ctx, child_id).await?;
    let child_name: String =
        sqlx::query_scalar("SELECT name FROM children WHERE id = $1 AND tenant_id = $2")
            .bind(child_id)
            .bind(&t)
            .fetch_one(&mut *tx)
            .await?;
    let family = sqlx::query(
        "SELECT id, relation, name, is_guardian FROM family_members WHERE child_id = $1 AND tenant_id = $2 ORDER BY position",
    )
    .bind(child_id)
    .bind(&t)
    .fetch_all(&mut *tx)
    .await?;
    let mut people: Vec<Person> = vec![];
    let mut add = |p: Person| {
        if !people.iter().any(|x| x.key == p.key) {
            people.push(p);
        }
    };
    if r.child {
        add(Person {
            key: "child".into(),
            kind: "child",
            relation: String::new(),
            name: child_name.clone(),
        });
    }
    let mut found_sibling = false;
    let mut found_guardian = false;
    for f in &family {
        let id: String = f.get("id");
        let relation: String = f.get("relation");
        let name: String = f.get("name");
        let kind = model::person_kind(&relation, f.get::<i64, _>("is_guardian") != 0);
        let wanted = r.family_member_ids.iter().any(|x| x.trim() == id)
            || (r.siblings && kind == "sibling")
            || (r.guardians && kind == "guardian");
        found_sibling |= kind == "sibling";
        found_guardian |= kind == "guardian";
        if wanted {
            add(Person {
                key: model::person_key(&relation, &name),
                kind,
                relation,
                name,
            });
        }
    }
    let mut errs = vec![];
    let unknown = r
        .family_member_ids
        .iter()
        .filter(|x| !x.trim().is_empty())
        .any(|x| !family.iter().any(|f| f.get::<String, _>("id") == x.trim()));
    if unknown {
        errs.push(FieldError::new(
            "family_member_ids",
            "選ばれた家族が、この子どもの記録にありません。子どもの記録の「家族」を確認してください。",
        ));
    }
    if r.siblings && !found_sibling {
        errs.push(FieldError::new(
            "siblings",
            format!("{child_name}さんの記録に、きょうだいが登録されていません。子どもの記録の「家族」に登録してください。"),
        ));
    }
    if r.guardians && !found_guardian {
        errs.push(FieldError::new(
            "guardians",
            format!("{child_name}さんの記録に、保護者が登録されていません。子どもの記録の「家族」に登録してください。"),
        ));
    }
    if errs.is_empty() && people.is_empty() {
        errs.push(FieldError::new(
            "child",
            "参加する人（本人・きょうだい・保護者）を一人以上選んでください。",
        ));
    }
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let existing: Vec<String> = sqlx::query_scalar(
        "SELECT person_key FROM service_participants WHERE event_id = $1 AND child_id = $2 AND tenant_id = $3",
    )
    .bind(event_id)
    .bind(child_id)
    .bind(&t)
    .fetch_all(&mut *tx)
    .await?;
    let again: Vec<&str> = people
        .iter()
        .filter(|p| existing.contains(&p.key))
        .map(|p| p.name.as_str())
        .collect();
    if !again.is_empty() {
        return Err(AppError::Conflict(format!(
            "{}さんは、この回（{} {}）にすでに登録されています。",
            again.join("さん、"),
            ev.date_label,
            ev.title
        )));
    }
    // The audit head taken by begin_write serialises writers, so this count holds
    // until commit on both engines.
    let taken: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM service_participants WHERE event_id = $1 AND tenant_id = $2",
    )
    .bind(event_id)
    .bind(&t)
    .fetch_one(&mut *tx)
    .await?;
    model::check_capacity(ev.capacity, taken, people.len() as i64)
        .map_err(|m| AppError::Conflict(format!("「{} {}」は{m}", ev.date_label, ev.title)))?;
    let status = if ev.past { "attended" } else { "booked" };
    let now = time::now_db();
    let mut ids = vec![];
    for p in &people {
        let id = new_id();
        sqlx::query(
            "INSERT INTO service_participants (id, tenant_id, event_id, child_id, person_key, person_kind, relation, person_name, status, note, registered_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)",
        )
        .bind(&id)
        .bind(&t)
        .bind(event_id)
        .bind(child_id)
        .bind(&p.key)
        .bind(p.kind)
        .bind(&p.relation)
        .bind(&p.name)
        .bind(status)
        .bind(&note)
        .bind(&ctx.display_name)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        ids.push(id);
    }
    let who: Vec<String> = people
        .iter()
        .map(|p| {
            if p.kind == "child" {
                "本人".to_string()
            } else {
                p.relation.clone()
            }
        })
        .collect();
    crate::cases::store::commit_child_write(
        tx,
        ctx,
        &t,
        "service.register",
        child_id,
        &format!(
            "{} {} {}（回 {}）: {}",
            ev.service_name,
            ev.date,
            ev.title,
            ev.id,
            who.join("・")
        ),
    )
    .await?;
    Ok(ids)
}

/// Opens a write on one participant: the event in the caller's scope and the child's
/// record writable by the caller. Returns (event, child id, person name).
async fn participant_write(
    tx: &mut crate::db::Tx,
    ctx: &Ctx,
    t: &str,
    participant_id: &str,
) -> AppResult<(Event, String, String)> {
    let row = sqlx::query(
        "SELECT event_id, child_id, person_name FROM service_participants WHERE id = $1 AND tenant_id = $2",
    )
    .bind(participant_id)
    .bind(t)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let event_id: String = row.get("event_id");
    let child_id: String = row.get("child_id");
    let ev = load_event(tx, ctx, t, &event_id).await?;
    crate::cases::store::child_access(tx, ctx, &child_id).await?;
    Ok((ev, child_id, row.get("person_name")))
}

/// Records whether a participant used the service (利用), was absent (欠席), or is booked (予約).
pub async fn set_status(db: &Db, ctx: &Ctx, participant_id: &str, status: &str) -> AppResult<()> {
    let t = writer(ctx)?.clone();
    policy::require(ctx, Action::ManageChildren)?;
    if !model::STATUSES.iter().any(|(k, _)| *k == status) {
        return Err(AppError::invalid(
            "status",
            "状況は booked（予約）・attended（利用）・absent（欠席）のどれかです。",
        ));
    }
    let mut tx = db.begin_write().await?;
    let (ev, child_id, name) = participant_write(&mut tx, ctx, &t, participant_id).await?;
    sqlx::query(
        "UPDATE service_participants SET status = $1, updated_at = $2 WHERE id = $3 AND tenant_id = $4",
    )
    .bind(status)
    .bind(time::now_db())
    .bind(participant_id)
    .bind(&t)
    .execute(&mut *tx)
    .await?;
    let _ = name;
    crate::cases::store::commit_child_write(
        tx,
        ctx,
        &t,
        "service.attendance",
        &child_id,
        &format!(
            "{} {}（回 {}）: {}",
            ev.service_name,
            ev.date,
            ev.id,
            model::status_label(status)
        ),
    )
    .await?;
    Ok(())
}

/// Cancels a registration (the seat is freed).
pub async fn cancel(db: &Db, ctx: &Ctx, participant_id: &str) -> AppResult<String> {
    let t = writer(ctx)?.clone();
    policy::require(ctx, Action::ManageChildren)?;
    let mut tx = db.begin_write().await?;
    let (ev, child_id, _) = participant_write(&mut tx, ctx, &t, participant_id).await?;
    sqlx::query("DELETE FROM service_participants WHERE id = $1 AND tenant_id = $2")
        .bind(participant_id)
        .bind(&t)
        .execute(&mut *tx)
        .await?;
    crate::cases::store::commit_child_write(
        tx,
        ctx,
        &t,
        "service.cancel",
        &child_id,
        &format!("{} {}（回 {}）", ev.service_name, ev.date, ev.id),
    )
    .await?;
    Ok(ev.id)
}

// ---------------------------------------------------------------- per child

#[derive(Debug, Clone, Serialize)]
pub struct ChildUse {
    pub participant_id: String,
    pub event_id: String,
    pub service_id: String,
    pub service_name: String,
    pub kind: String,
    pub kind_label: String,
    pub run_by: String,
    pub event_title: String,
    pub date: String,
    pub date_label: String,
    pub start_time: String,
    pub end_time: String,
    pub place: String,
    pub person_kind: String,
    pub person_kind_label: String,
    pub relation: String,
    pub person_name: String,
    pub status: String,
    pub status_label: String,
    pub upcoming: bool,
}

/// Which services and events a child (and the child's family) used or booked, newest
/// first. Part of the child's record: the casework access check applies; the caller
/// audits the read (the record page's child.view covers it).
pub async fn child_uses(db: &Db, ctx: &Ctx, child_id: &str) -> AppResult<Vec<ChildUse>> {
    let t = ctx.tenant()?.clone();
    let mut conn = db.pool.acquire().await?;
    crate::cases::store::child_access(&mut conn, ctx, child_id).await?;
    child_uses_on(&mut conn, &t, child_id).await
}

/// The services a child (and family) used, for a child whose access has been checked.
pub async fn child_uses_on(
    conn: &mut crate::db::Conn,
    t: &str,
    child_id: &str,
) -> AppResult<Vec<ChildUse>> {
    let rows = sqlx::query(
        "SELECT p.id, p.event_id, e.service_id, s.name AS service_name, s.kind, c.contractor_name, e.title, e.date, e.start_time, e.end_time, \
         e.place, p.person_kind, p.relation, p.person_name, p.status \
         FROM service_participants p JOIN service_events e ON e.id = p.event_id AND e.tenant_id = p.tenant_id \
         JOIN optional_services s ON s.id = e.service_id AND s.tenant_id = e.tenant_id \
         LEFT JOIN contracts c ON c.id = s.contract_id AND c.tenant_id = s.tenant_id \
         WHERE p.child_id = $1 AND p.tenant_id = $2 ORDER BY e.starts_at DESC, p.person_kind, p.created_at, p.id",
    )
    .bind(child_id)
    .bind(t)
    .fetch_all(&mut *conn)
    .await?;
    let today = today();
    Ok(rows
        .iter()
        .map(|r| {
            child_use(
                [
                    "id",
                    "event_id",
                    "service_id",
                    "service_name",
                    "kind",
                    "title",
                    "date",
                    "start_time",
                    "end_time",
                    "place",
                    "person_kind",
                    "relation",
                    "person_name",
                    "status",
                ]
                .map(|c| r.get::<String, _>(c)),
                r.get("contractor_name"),
                &today,
            )
        })
        .collect())
}

/// A use from its fields in this order: participant id, event id, service id, service
/// name, kind, event title, date, start, end, place, person kind, relation, person name,
/// status; then the contractor running it (None: the tenant itself).
pub fn child_use(f: [String; 14], contractor: Option<String>, today: &str) -> ChildUse {
    let [participant_id, event_id, service_id, service_name, kind, event_title, date, start_time, end_time, place, pk, relation, person_name, status] =
        f;
    ChildUse {
        participant_id,
        event_id,
        service_id,
        service_name,
        kind_label: model::kind_label(&kind).to_string(),
        kind,
        run_by: run_by(contractor),
        event_title,
        date_label: parse_ymd(&date)
            .map(model::date_label)
            .unwrap_or_else(|| date.clone()),
        upcoming: date.as_str() >= today,
        date,
        start_time,
        end_time,
        place,
        person_kind_label: model::person_kind_label(&pk).to_string(),
        person_kind: pk,
        relation,
        person_name,
        status_label: model::status_label(&status).to_string(),
        status,
    }
}

/// Children (and their families) the caller may register, found by name or reading,
/// for the event page. Reading the list is audited by cases::store::list_children.
pub struct Candidate {
    pub child_id: String,
    pub name: String,
    pub reading: String,
    pub age: i32,
    /// (family member id, 「妹 はな」, kind label)
    pub family: Vec<(String, String, &'static str)>,
}

pub async fn candidates(db: &Db, ctx: &Ctx, q: &str) -> AppResult<Vec<Candidate>> {
    let t = ctx.tenant()?.clone();
    if q.trim().is_empty() {
        return Ok(vec![]);
    }
    let (found, _) = crate::cases::store::list_children(
        db,
        ctx,
        &crate::cases::store::ChildFilter {
            q: q.to_string(),
            limit: Some(20),
            ..Default::default()
        },
    )
    .await?;
    let mut out = vec![];
    for c in found {
        let fam = sqlx::query(
            "SELECT id, relation, name, is_guardian FROM family_members WHERE child_id = $1 AND tenant_id = $2 ORDER BY position",
        )
        .bind(&c.id)
        .bind(&t)
        .fetch_all(&db.pool)
        .await?;
        out.push(Candidate {
            family: fam
                .iter()
                .map(|f| {
                    let relation: String = f.get("relation");
                    let kind = model::person_kind(&relation, f.get::<i64, _>("is_guardian") != 0);
                    (
                        f.get("id"),
                        format!("{relation} {}", f.get::<String, _>("name")),
                        model::person_kind_label(kind),
                    )
                })
                .collect(),
            child_id: c.id,
            name: c.name,
            reading: c.reading,
            age: c.age,
        });
    }
    Ok(out)
}

/// Contracts the administrator may put a service under: (id, label, services).
pub async fn contract_options(db: &Db, ctx: &Ctx) -> AppResult<Vec<(String, String)>> {
    if !policy::can(ctx, Action::ManageContracts) {
        return Ok(vec![]);
    }
    Ok(crate::network::store::list_contracts(db, ctx)
        .await?
        .into_iter()
        .map(|c| {
            (
                c.id,
                format!(
                    "{}（{}〜{}: {}）",
                    c.input.contractor_name,
                    c.input.period_from,
                    c.input.period_to,
                    c.input.services.join("・")
                ),
            )
        })
        .collect())
}

// ---------------------------------------------------------------- monthly report

/// One line for a contractor's monthly report: the contract's services held in the
/// month (YYYY-MM, JST dates), with the people who took part (absences not counted).
/// None when nothing was held.
pub async fn month_summary(
    conn: &mut Conn,
    t: &str,
    contract_id: &str,
    month: &str,
) -> AppResult<Option<String>> {
    let rows = sqlx::query(
        "SELECT s.name, COUNT(DISTINCT e.id) AS events, COUNT(p.id) AS people, COUNT(DISTINCT p.child_id) AS children \
         FROM service_events e JOIN optional_services s ON s.id = e.service_id AND s.tenant_id = e.tenant_id \
         LEFT JOIN service_participants p ON p.event_id = e.id AND p.tenant_id = e.tenant_id AND p.status <> 'absent' \
         WHERE e.tenant_id = $1 AND s.contract_id = $2 AND e.date >= $3 AND e.date <= $4 GROUP BY s.name ORDER BY s.name",
    )
    .bind(t)
    .bind(contract_id)
    .bind(format!("{month}-01"))
    .bind(format!("{month}-31"))
    .fetch_all(&mut *conn)
    .await?;
    if rows.is_empty() {
        return Ok(None);
    }
    let parts: Vec<String> = rows
        .iter()
        .map(|r| {
            format!(
                "{} {}回（参加 延べ{}人・子ども{}人）",
                r.get::<String, _>("name"),
                r.get::<i64, _>("events"),
                r.get::<i64, _>("people"),
                r.get::<i64, _>("children")
            )
        })
        .collect();
    Ok(Some(format!("努力義務事業: {}", parts.join("、"))))
}
