//! Referrals to partner agencies: creating, listing, reading with the shared record, and
//! their transitions.

use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::children::load_child;
use super::children::Child;
use super::consent::consented_items;
use super::{new_id, parse_ymd};
use crate::audit::{self, Entry};
use crate::auth::{policy, Action, Ctx, Role};
use crate::cases::access::{begin_child_write, child_access, commit_child_write};
use crate::cases::model;
use crate::db::{Cols, Conn, Db};
use crate::error::{AppResult, FieldError};
use crate::text::clean;
use crate::validate::check_texts;
use crate::{time, AppError};

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ReferralInput {
    pub agency_id: String,
    #[serde(default)]
    pub purpose: String,
    #[serde(default)]
    pub items: Vec<String>,
    #[serde(default)]
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReferralEvent {
    pub at: String,
    pub actor: String,
    pub from_status: String,
    pub to_status: String,
    pub note: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Referral {
    pub id: String,
    pub child_id: String,
    pub child_name: String,
    pub agency_id: String,
    pub agency_name: String,
    pub purpose: String,
    pub shared_items: Vec<String>,
    pub message: String,
    pub status: String,
    pub status_label: String,
    pub reason: String,
    pub outcome: String,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    /// updated_at for people: 令和7年11月26日 10:41 (JST).
    pub updated_label: String,
    pub overdue: bool,
    pub events: Vec<ReferralEvent>,
}

/// Days a sent referral may wait for acceptance before it counts as overdue.
pub const REFERRAL_ACCEPT_DAYS: i64 = 7;

pub async fn create_referral(
    db: &Db,
    ctx: &Ctx,
    child_id: &str,
    r: &ReferralInput,
) -> AppResult<String> {
    let t = ctx.tenant()?.clone();
    let mut errs = vec![];
    if clean(&r.purpose).is_empty() {
        errs.push(FieldError::new("purpose", "つなぐ目的を入力してください。"));
    }
    check_texts(
        &mut errs,
        &[
            ("purpose", r.purpose.as_str()),
            ("message", r.message.as_str()),
        ],
        10_000,
    );
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let mut tx = begin_child_write(db, ctx, child_id).await?;
    let agency_ok: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM agencies WHERE id = $1 AND tenant_id = $2 AND deleted_at IS NULL",
    )
    .bind(&r.agency_id)
    .bind(&t)
    .fetch_one(&mut *tx)
    .await?;
    if agency_ok == 0 {
        return Err(AppError::invalid(
            "agency_id",
            "つなぐ先の関係機関を台帳から選んでください。",
        ));
    }
    // Only consented items may be shared.
    let consented = consented_items(&mut tx, &t, child_id, &r.agency_id).await?;
    let mut items: Vec<String> = r
        .items
        .iter()
        .filter(|i| model::CONSENT_ITEMS.iter().any(|(k, _)| *k == i.as_str()))
        .cloned()
        .collect();
    items.sort();
    items.dedup();
    let not_consented: Vec<&str> = items
        .iter()
        .filter(|i| !consented.contains(i))
        .map(|i| model::consent_item_label(i))
        .collect();
    if !not_consented.is_empty() {
        return Err(AppError::invalid(
            "items",
            format!("次の項目は、この関係機関と共有する同意がありません: {}。先に同意を記録してください。", not_consented.join("、")),
        ));
    }
    let id = new_id();
    let now = time::now_db();
    sqlx::query(
        "INSERT INTO referrals (id, tenant_id, child_id, agency_id, purpose, shared_items, message, status, reason, outcome, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'sent', '', '', $8, $9, $9)",
    )
    .bind(&id)
    .bind(&t)
    .bind(child_id)
    .bind(&r.agency_id)
    .bind(r.purpose.trim())
    .bind(items.join(","))
    .bind(r.message.trim())
    .bind(&ctx.display_name)
    .bind(&now)
    .execute(&mut *tx)
    .await?;
    insert_event(&mut tx, &t, &id, ctx, "", "sent", "").await?;
    commit_child_write(
        tx,
        ctx,
        &t,
        "referral.create",
        child_id,
        &format!("{} → {}", id, r.agency_id),
    )
    .await?;
    Ok(id)
}

async fn insert_event(
    tx: &mut crate::db::Tx,
    t: &str,
    referral_id: &str,
    ctx: &Ctx,
    from: &str,
    to: &str,
    note: &str,
) -> AppResult<()> {
    sqlx::query("INSERT INTO referral_events (id, tenant_id, referral_id, at, actor, from_status, to_status, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(new_id())
        .bind(t)
        .bind(referral_id)
        .bind(time::now_db())
        .bind(format!("{}（{}）", ctx.display_name, if ctx.role == Role::Partner { "関係機関" } else { ctx.role.label() }))
        .bind(from)
        .bind(to)
        .bind(note)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

const REFERRAL_COLS: &str = "r.id, r.child_id, c.name AS child_name, r.agency_id, a.name AS agency_name, r.purpose, r.shared_items, r.message, \
     r.status, r.reason, r.outcome, r.created_by, r.created_at, r.updated_at \
     FROM referrals r JOIN children c ON c.id = r.child_id JOIN agencies a ON a.id = r.agency_id";

fn referral_from_row(r: &sqlx::any::AnyRow) -> AppResult<Referral> {
    referral_decode(r, r.text("child_id")?, r.text("child_name")?)
}

/// A referral of the child `child_id` from a row with the columns of REFERRAL_COLS but
/// the child's (its lists, or a 'referral' row of the record page's statement).
pub(crate) fn referral_decode(
    r: &impl Cols,
    child_id: String,
    child_name: String,
) -> AppResult<Referral> {
    let status = r.text("status")?;
    let created_at = r.text("created_at")?;
    let updated_at = r.text("updated_at")?;
    let overdue = status == "sent"
        && time::from_db(&created_at)
            .is_some_and(|c| time::now() - c > chrono::Duration::days(REFERRAL_ACCEPT_DAYS));
    Ok(Referral {
        id: r.text("id")?,
        child_id,
        child_name,
        agency_id: r.text("agency_id")?,
        agency_name: r.text("agency_name")?,
        purpose: r.text("purpose")?,
        shared_items: model::parse_items(&r.text("shared_items")?),
        message: r.text("message")?,
        status_label: model::referral_status_label(&status).to_string(),
        status,
        reason: r.text("reason")?,
        outcome: r.text("outcome")?,
        created_by: r.text("created_by")?,
        created_at,
        updated_label: time::format_datetime(&updated_at),
        updated_at,
        overdue,
        events: vec![],
    })
}

/// Referrals the caller may see: the tenant's (workers; contractors: their children's),
/// or those addressed to the caller's agency (partners).
pub async fn list_referrals(
    db: &Db,
    ctx: &Ctx,
    status: Option<&str>,
    child_id: Option<&str>,
) -> AppResult<Vec<Referral>> {
    let mut conn = db.pool.acquire().await?;
    referrals_on(&mut conn, ctx, status, child_id).await
}

async fn referrals_on(
    conn: &mut Conn,
    ctx: &Ctx,
    status: Option<&str>,
    child_id: Option<&str>,
) -> AppResult<Vec<Referral>> {
    let t = ctx.tenant()?.clone();
    let mut sql = format!("SELECT {REFERRAL_COLS} WHERE r.tenant_id = $1");
    let scope_value: String;
    if ctx.role == Role::Partner {
        policy::require(ctx, Action::ReceiveReferrals)?;
        sql.push_str(" AND r.agency_id = $2");
        scope_value = ctx.agency_id.clone().unwrap_or_default();
    } else {
        policy::require(ctx, Action::ViewChildren)?;
        if ctx.role == Role::Contractor {
            sql.push_str(" AND EXISTS (SELECT 1 FROM child_workers w WHERE w.child_id = r.child_id AND w.user_id = $2)");
            scope_value = ctx.user_id.clone();
        } else {
            sql.push_str(" AND $2 = $2");
            scope_value = String::new();
        }
    }
    match status {
        Some("open") => {
            sql.push_str(" AND r.status IN ('sent', 'accepted', 'in_progress') AND $3 = $3")
        }
        Some(s) if !s.is_empty() => {
            if !model::REFERRAL_STATUSES.iter().any(|(k, _)| *k == s) {
                return Err(AppError::invalid("status", "status は sent, accepted, in_progress, completed, declined, unreachable, withdrawn, open のいずれかです。"));
            }
            sql.push_str(" AND r.status = $3")
        }
        _ => sql.push_str(" AND $3 = $3"),
    }
    if child_id.is_some() {
        sql.push_str(" AND r.child_id = $4");
    } else {
        sql.push_str(" AND $4 = $4");
    }
    sql.push_str(" ORDER BY r.updated_at DESC, r.id DESC LIMIT 500");
    let rows = sqlx::query(&sql)
        .bind(&t)
        .bind(&scope_value)
        .bind(status.unwrap_or(""))
        .bind(child_id.unwrap_or(""))
        .fetch_all(&mut *conn)
        .await?;
    let mut list: Vec<Referral> = rows
        .iter()
        .map(referral_from_row)
        .collect::<AppResult<_>>()?;
    if ctx.role == Role::Partner {
        // A partner sees the child's name only when 基本情報 is consented.
        for r in &mut list {
            let visible = visible_items(conn, &t, r).await?;
            if !visible.iter().any(|i| i == "basic") {
                r.child_name = "（氏名は共有されていません）".into();
            }
            r.shared_items = visible;
        }
    }
    Ok(list)
}

/// What a partner may see of a referral: the items shared with it that are still consented.
async fn visible_items(conn: &mut Conn, t: &str, r: &Referral) -> AppResult<Vec<String>> {
    let consented = consented_items(conn, t, &r.child_id, &r.agency_id).await?;
    Ok(r.shared_items
        .iter()
        .filter(|i| consented.contains(i))
        .cloned()
        .collect())
}

/// The consented part of a child's record, as a partner sees it.
#[derive(Debug, Clone, Serialize, Default)]
pub struct SharedRecord {
    pub items: Vec<String>,
    pub name: Option<String>,
    pub reading: Option<String>,
    pub birth_date: Option<String>,
    /// The birth date in 和暦, for people.
    pub birth_date_label: Option<String>,
    pub age: Option<i32>,
    pub guardian_contact: Option<String>,
    pub disease_group: Option<String>,
    pub disease_name: Option<String>,
    pub certificate: Option<String>,
    pub school: Option<String>,
    pub medical_care: Option<String>,
    pub family: Option<String>,
    pub plan: Option<String>,
    pub consultations: Option<Vec<String>>,
}

/// The part of a child's record made of the given consent items (referrals show what
/// the receiving agency may see; case conferences what every participating agency may).
pub(crate) async fn shared_record_on(
    conn: &mut Conn,
    t: &str,
    child: &Child,
    items: &[String],
) -> AppResult<SharedRecord> {
    let mut shared = SharedRecord {
        items: items.to_vec(),
        ..Default::default()
    };
    let has = |k: &str| items.iter().any(|i| i == k);
    if has("basic") {
        shared.name = Some(child.input.name.clone());
        shared.reading = Some(child.input.reading.clone());
        shared.birth_date = Some(child.input.birth_date.clone());
        shared.birth_date_label = parse_ymd(&child.input.birth_date).map(time::format_wareki);
        shared.age = Some(child.age);
        shared.guardian_contact = child
            .input
            .family
            .iter()
            .find(|f| f.is_guardian)
            .map(|f| format!("{}（{}） {}", f.name, f.relation, f.phone));
    }
    if has("disease") {
        shared.disease_group = Some(
            crate::agencies::model::disease_group_label(child.input.disease_group).to_string(),
        );
        shared.disease_name = Some(child.input.disease_name.clone());
    }
    if has("certificate") {
        shared.certificate = Some(format!(
            "{}（{}〜{}）",
            child.input.certificate_number,
            child.input.certificate_from,
            child.input.certificate_to
        ));
    }
    if has("school") {
        shared.school = Some(
            format!(
                "{} {} {}",
                child.input.school, child.input.grade, child.input.workplace
            )
            .trim()
            .to_string(),
        );
    }
    if has("medical_care") {
        shared.medical_care = Some(child.input.medical_care.clone());
    }
    if has("family") {
        shared.family = Some(
            child
                .input
                .family
                .iter()
                .map(|f| format!("{} {}", f.relation, f.name))
                .collect::<Vec<_>>()
                .join("、"),
        );
    }
    if has("plan") {
        let p: Option<String> = sqlx::query_scalar("SELECT long_term_goal FROM support_plans WHERE child_id = $1 AND tenant_id = $2 ORDER BY revision DESC LIMIT 1")
            .bind(&child.id)
            .bind(t)
            .fetch_optional(&mut *conn)
            .await?;
        shared.plan = p;
    }
    if has("consultations") {
        let rows = sqlx::query("SELECT at, method, notes FROM consultations WHERE child_id = $1 AND tenant_id = $2 ORDER BY at DESC LIMIT 5")
            .bind(&child.id)
            .bind(t)
            .fetch_all(&mut *conn)
            .await?;
        shared.consultations = Some(
            rows.iter()
                .map(|r| -> AppResult<String> {
                    Ok(format!(
                        "{} {} {}",
                        time::format_datetime(r.try_get::<String, _>("at")?.as_str()),
                        r.try_get::<String, _>("method")?,
                        r.try_get::<String, _>("notes")?
                    ))
                })
                .collect::<AppResult<_>>()?,
        );
    }
    Ok(shared)
}

#[derive(Debug, Clone, Serialize)]
pub struct ReferralDetail {
    #[serde(flatten)]
    pub referral: Referral,
    /// For partners: only the consented items. For workers: the same view (what the agency sees).
    pub shared: SharedRecord,
}

pub async fn get_referral(db: &Db, ctx: &Ctx, id: &str) -> AppResult<ReferralDetail> {
    let t = ctx.tenant()?.clone();
    let row = sqlx::query(&format!(
        "SELECT {REFERRAL_COLS} WHERE r.id = $1 AND r.tenant_id = $2"
    ))
    .bind(id)
    .bind(&t)
    .fetch_optional(&db.pool)
    .await?
    .ok_or(AppError::NotFound)?;
    let mut referral = referral_from_row(&row)?;
    let mut conn = db.pool.acquire().await?;
    if ctx.role == Role::Partner {
        policy::require(ctx, Action::ReceiveReferrals)?;
        if ctx.agency_id.as_deref() != Some(referral.agency_id.as_str()) {
            return Err(AppError::NotFound);
        }
    } else {
        child_access(&mut conn, ctx, &referral.child_id).await?;
    }
    let visible = visible_items(&mut conn, &t, &referral).await?;
    let child = load_child(&mut conn, &t, &referral.child_id).await?;
    let shared = shared_record_on(&mut conn, &t, &child, &visible).await?;
    if ctx.role == Role::Partner && shared.name.is_none() {
        referral.child_name = "（氏名は共有されていません）".into();
    }
    let events = sqlx::query("SELECT at, actor, from_status, to_status, note FROM referral_events WHERE referral_id = $1 AND tenant_id = $2 ORDER BY at")
        .bind(id)
        .bind(&t)
        .fetch_all(&mut *conn)
        .await?;
    referral.events = events
        .iter()
        .map(|e| {
            Ok(ReferralEvent {
                at: e.try_get("at")?,
                actor: e.try_get("actor")?,
                from_status: e.try_get("from_status")?,
                to_status: e.try_get("to_status")?,
                note: e.try_get("note")?,
            })
        })
        .collect::<AppResult<_>>()?;
    referral.shared_items = visible;
    drop(conn);
    audit::record(
        db,
        Entry::new(ctx, Some(&t), "referral.view", "child", &referral.child_id).detail(id),
    )
    .await?;
    Ok(ReferralDetail { referral, shared })
}

/// Moves a referral along its lifecycle; every change is timestamped with who made it.
pub async fn transition_referral(
    db: &Db,
    ctx: &Ctx,
    id: &str,
    to: &str,
    reason: &str,
    outcome: &str,
) -> AppResult<()> {
    let t = ctx.tenant()?.clone();
    let side = if ctx.role == Role::Partner {
        policy::require(ctx, Action::ReceiveReferrals)?;
        model::Side::Agency
    } else {
        policy::require(ctx, Action::ManageChildren)?;
        model::Side::Worker
    };
    let mut tx = db.begin_write().await?;
    let row = sqlx::query(
        "SELECT child_id, agency_id, status FROM referrals WHERE id = $1 AND tenant_id = $2",
    )
    .bind(id)
    .bind(&t)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let child_id: String = row.try_get("child_id")?;
    let agency_id: String = row.try_get("agency_id")?;
    let from: String = row.try_get("status")?;
    match side {
        model::Side::Agency if ctx.agency_id.as_deref() != Some(agency_id.as_str()) => {
            return Err(AppError::NotFound)
        }
        model::Side::Worker => child_access(&mut tx, ctx, &child_id).await?,
        _ => {}
    }
    model::check_transition(&from, to, side, reason, outcome)
        .map_err(|m| AppError::invalid("status", m))?;
    let now = time::now_db();
    sqlx::query(
        "UPDATE referrals SET status = $1, reason = CASE WHEN $2 = '' THEN reason ELSE $2 END, outcome = CASE WHEN $3 = '' THEN outcome ELSE $3 END, \
         updated_at = $4, accepted_at = CASE WHEN $1 = 'accepted' THEN $4 ELSE accepted_at END, \
         closed_at = CASE WHEN $1 IN ('completed', 'declined', 'unreachable', 'withdrawn') THEN $4 ELSE closed_at END \
         WHERE id = $5 AND tenant_id = $6",
    )
    .bind(to)
    .bind(clean(reason))
    .bind(outcome.trim())
    .bind(&now)
    .bind(id)
    .bind(&t)
    .execute(&mut *tx)
    .await?;
    let note = [clean(reason), outcome.trim().to_string()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" / ");
    insert_event(&mut tx, &t, id, ctx, &from, to, &note).await?;
    commit_child_write(
        tx,
        ctx,
        &t,
        "referral.status",
        &child_id,
        &format!("{id}: {from} → {to}"),
    )
    .await?;
    Ok(())
}
