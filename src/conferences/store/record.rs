//! One case conference as shown: its participants (each agency's consent checked
//! today), the items of the child's record every participating agency may see, the
//! agencies that may still be added; and its record (attendance, minutes, decisions).

use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::conference_write;
use super::outcomes::{outcomes_on, Outcome};
use super::participants::{agency_consent, participants_on, Participant};
use super::summaries::{summary_from, ConferenceSummary, SUMMARY_COLS};
use crate::audit::{self, Entry};
use crate::auth::{policy, Action, Ctx};
use crate::cases::access::{child_access, commit_child_write};
use crate::cases::store::SharedRecord;
use crate::conferences::model::{self, AgencyConsent, ItemStatus};
use crate::db::Db;
use crate::error::AppResult;
use crate::network::model::Segment;
use crate::{time, AppError};

#[derive(Debug, Clone, Serialize)]
pub struct Conference {
    #[serde(flatten)]
    pub summary: ConferenceSummary,
    pub child_name: String,
    pub agenda: Vec<Segment>,
    pub participants: Vec<Participant>,
    pub minutes: String,
    pub decisions: String,
    pub outcomes: Vec<Outcome>,
    /// The consent items shown: those every participating agency may see.
    pub shared_items: Vec<String>,
    /// Every item of the vocabulary, shown or hidden, and why.
    pub items: Vec<ItemStatus>,
    /// The child's record made of `shared_items` only.
    pub shared: SharedRecord,
    /// Agencies taking part without a consent in force (同意なし).
    pub unconsented: Vec<String>,
    /// Agencies that may be added: the family's consent for this child is in force.
    pub eligible_agencies: Vec<EligibleAgency>,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct EligibleAgency {
    pub agency_id: String,
    pub name: String,
    /// The items of its consents in force.
    pub items: Vec<String>,
}

/// PATCH of the record: fields left out stay as they are.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ConferenceRecord {
    /// Ids of the participants present.
    #[serde(default)]
    pub attended: Option<Vec<String>>,
    #[serde(default)]
    pub minutes: Option<String>,
    #[serde(default)]
    pub decisions: Option<String>,
}

/// One conference with its participants (each agency's consent checked today), the
/// items of the child's record every participating agency may see, and its record.
/// A read of the child's record: access checked, audited as `child.view`.
pub async fn get(db: &Db, ctx: &Ctx, id: &str) -> AppResult<Conference> {
    policy::require(ctx, Action::ViewChildren)?;
    let t = ctx.tenant()?.clone();
    let mut conn = db.pool.acquire().await?;
    let r = sqlx::query(&format!(
        "SELECT {SUMMARY_COLS}, m.agenda, m.minutes, m.decisions, m.created_by, m.created_at, m.updated_at \
         FROM meetings m WHERE m.id = $1 AND m.tenant_id = $2 AND m.kind = 'case_conference'"
    ))
    .bind(id)
    .bind(&t)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::NotFound)?;
    let summary = summary_from(&r, &time::now_db())?;
    child_access(&mut conn, ctx, &summary.child_id).await?;
    let child = crate::cases::store::load_child(&mut conn, &t, &summary.child_id).await?;
    let participants = participants_on(&mut conn, &t, id, &child.consents).await?;
    // One entry per agency (several people may come from one agency).
    let mut agencies: Vec<(String, AgencyConsent)> = vec![];
    for p in &participants {
        if let Some(a) = &p.agency_id {
            if !agencies.iter().any(|(x, _)| x == a) {
                agencies.push((
                    a.clone(),
                    AgencyConsent {
                        name: p.affiliation.clone(),
                        items: p.consent_items.clone(),
                    },
                ));
            }
        }
    }
    let agencies: Vec<AgencyConsent> = agencies.into_iter().map(|(_, a)| a).collect();
    let (shared_items, items) = model::shared_items(&agencies);
    let shared =
        crate::cases::store::shared_record_on(&mut conn, &t, &child, &shared_items).await?;
    let outcomes = outcomes_on(&mut conn, &t, id).await?;
    drop(conn);
    let mut eligible_agencies: Vec<EligibleAgency> = vec![];
    for c in child.consents.iter().filter(|c| c.active) {
        if !eligible_agencies.iter().any(|e| e.agency_id == c.agency_id) {
            eligible_agencies.push(EligibleAgency {
                agency_id: c.agency_id.clone(),
                name: c.agency_name.clone(),
                items: agency_consent(&child.consents, &c.agency_id).0,
            });
        }
    }
    eligible_agencies.sort_by(|a, b| (&a.name, &a.agency_id).cmp(&(&b.name, &b.agency_id)));
    audit::record(
        db,
        Entry::new(ctx, Some(&t), "child.view", "child", &summary.child_id)
            .detail(&format!("case_conference {id}")),
    )
    .await?;
    let agenda: String = r.try_get("agenda")?;
    Ok(Conference {
        child_name: child.input.name.clone(),
        agenda: serde_json::from_str(&agenda).unwrap_or_default(),
        unconsented: agencies
            .iter()
            .filter(|a| a.items.is_empty())
            .map(|a| a.name.clone())
            .collect(),
        participants,
        eligible_agencies,
        minutes: r.try_get("minutes")?,
        decisions: r.try_get("decisions")?,
        outcomes,
        shared_items,
        items,
        shared,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        summary,
    })
}

/// Records attendance (participant ids), the minutes and the decisions; fields left
/// out stay as they are.
pub async fn record(db: &Db, ctx: &Ctx, id: &str, rec: &ConferenceRecord) -> AppResult<()> {
    let mut errs = vec![];
    let minutes = rec.minutes.as_deref().map(str::trim);
    let decisions = rec.decisions.as_deref().map(str::trim);
    crate::validate::check_texts_each(
        &mut errs,
        &[
            ("minutes", minutes.unwrap_or(""), 20_000),
            ("decisions", decisions.unwrap_or(""), 10_000),
        ],
    );
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let (mut tx, t, child_id, _) = conference_write(db, ctx, id).await?;
    if let Some(att) = &rec.attended {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM conference_participants WHERE meeting_id = $1 AND tenant_id = $2",
        )
        .bind(id)
        .bind(&t)
        .fetch_all(&mut *tx)
        .await?;
        if att.iter().any(|a| !ids.contains(a)) {
            return Err(AppError::invalid(
                "attended",
                "出席者は、この会議の参加者から選んでください。",
            ));
        }
        for pid in &ids {
            sqlx::query(
                "UPDATE conference_participants SET attended = $1 WHERE id = $2 AND tenant_id = $3",
            )
            .bind(i64::from(att.contains(pid)))
            .bind(pid)
            .bind(&t)
            .execute(&mut *tx)
            .await?;
        }
    }
    sqlx::query(
        "UPDATE meetings SET minutes = COALESCE($1, minutes), decisions = COALESCE($2, decisions), updated_at = $3 \
         WHERE id = $4 AND tenant_id = $5",
    )
    .bind(minutes)
    .bind(decisions)
    .bind(time::now_db())
    .bind(id)
    .bind(&t)
    .execute(&mut *tx)
    .await?;
    commit_child_write(tx, ctx, &t, "conference.record", &child_id, id).await?;
    Ok(())
}
