//! Who takes part in an event: registering a child and family members (all or nothing,
//! within the capacity, a write to the child's record audited on the child), recording
//! use or absence, cancelling. Participants keep a snapshot of the family member
//! (relation and name), because a child's family list is rewritten on each edit.

use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::events::{load_event, Event};
use super::{new_id, writer, yes};
use crate::auth::{policy, Action, Ctx, Role, TenantId};
use crate::cases::access::{child_access, commit_child_write};
use crate::db::Conn;
use crate::db::Db;
use crate::error::{AppResult, FieldError};
use crate::services::model;
use crate::{time, AppError};

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

/// The people registered for an event. Contractor staff see the children assigned to
/// them; other children's rows only count (unnamed).
pub(super) async fn participants_of(
    conn: &mut Conn,
    ctx: &Ctx,
    t: &TenantId,
    event_id: &str,
) -> AppResult<Vec<Participant>> {
    let rows = sqlx::query(
        "SELECT p.id, p.event_id, p.child_id, c.name AS child_name, p.person_kind, p.relation, p.person_name, p.status, p.note, \
         p.registered_by, p.created_at, \
         (SELECT COUNT(*) FROM child_workers w WHERE w.child_id = p.child_id AND w.tenant_id = p.tenant_id AND w.user_id = $3) AS mine \
         FROM service_participants p JOIN children c ON c.id = p.child_id AND c.tenant_id = p.tenant_id \
         WHERE p.event_id = $1 AND p.tenant_id = $2 ORDER BY c.reading, p.child_id, p.person_kind, p.created_at",
    )
    .bind(event_id)
    .bind(t)
    .bind(&ctx.user_id)
    .fetch_all(&mut *conn)
    .await?;
    let contractor = ctx.role == Role::Contractor;
    rows.iter()
        .map(|r| {
            let visible = !contractor || r.try_get::<i64, _>("mine")? > 0;
            let kind: String = r.try_get("person_kind")?;
            let status: String = r.try_get("status")?;
            // What a contractor may not see is not read at all.
            let shown = |col: &str, hidden: &str| -> AppResult<String> {
                Ok(if visible {
                    r.try_get(col)?
                } else {
                    hidden.to_string()
                })
            };
            Ok(Participant {
                id: r.try_get("id")?,
                event_id: r.try_get("event_id")?,
                child_id: if visible {
                    Some(r.try_get("child_id")?)
                } else {
                    None
                },
                child_name: shown("child_name", "（担当外の子ども）")?,
                person_kind_label: model::person_kind_label(&kind).to_string(),
                person_kind: kind,
                relation: shown("relation", "")?,
                person_name: shown("person_name", "（非表示）")?,
                status_label: model::status_label(&status).to_string(),
                status,
                note: shown("note", "")?,
                registered_by: r.try_get("registered_by")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect()
}

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

/// A member of the child's family list, as registration reads it.
pub(super) struct FamilyMember {
    pub id: String,
    pub relation: String,
    pub name: String,
    pub is_guardian: bool,
}

/// The child's family list, in the record's order.
pub(super) async fn family_of(
    conn: &mut Conn,
    t: &TenantId,
    child_id: &str,
) -> AppResult<Vec<FamilyMember>> {
    sqlx::query(
        "SELECT id, relation, name, is_guardian FROM family_members WHERE child_id = $1 AND tenant_id = $2 ORDER BY position",
    )
    .bind(child_id)
    .bind(t)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|f| {
        Ok(FamilyMember {
            id: f.try_get("id")?,
            relation: f.try_get("relation")?,
            name: f.try_get("name")?,
            is_guardian: f.try_get::<i64, _>("is_guardian")? != 0,
        })
    })
    .collect()
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
    child_access(&mut tx, ctx, child_id).await?;
    let child_name: String =
        sqlx::query_scalar("SELECT name FROM children WHERE id = $1 AND tenant_id = $2")
            .bind(child_id)
            .bind(&t)
            .fetch_one(&mut *tx)
            .await?;
    let family = family_of(&mut tx, &t, child_id).await?;
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
        let (relation, name) = (f.relation.clone(), f.name.clone());
        let kind = model::person_kind(&relation, f.is_guardian);
        let wanted = r.family_member_ids.iter().any(|x| x.trim() == f.id)
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
        .any(|x| !family.iter().any(|f| f.id == x.trim()));
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
    commit_child_write(
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
    t: &TenantId,
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
    let event_id: String = row.try_get("event_id")?;
    let child_id: String = row.try_get("child_id")?;
    let person_name: String = row.try_get("person_name")?;
    let ev = load_event(tx, ctx, t, &event_id).await?;
    child_access(tx, ctx, &child_id).await?;
    Ok((ev, child_id, person_name))
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
    commit_child_write(
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
    commit_child_write(
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
