//! SQL of case conferences. A conference is a read of and a write to one child's record:
//! every function passes `cases::store::child_access` (tenant, role, contractor
//! assignment; anything else is NotFound), every view is audited as `child.view`, and
//! every write appends its audit entry on the child inside its own transaction.

use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::model::{self, AgencyConsent, ItemStatus};
use crate::audit::{self, Entry};
use crate::auth::{policy, Action, Ctx, Role};
use crate::cases::model::PlanAction;
use crate::cases::store::{self as cases, Consent, SharedRecord};
use crate::db::{Conn, Db, Tx};
use crate::error::{AppResult, FieldError};
use crate::network::model::Segment;
use crate::network::store::MeetingInput;
use crate::text::clean;
use crate::{time, AppError};

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// 2026-01-20T14:00 → 令和8年1月20日 14:00
pub fn when_label(local: &str) -> String {
    time::format_local_stamp(local)
}

// ---------------------------------------------------------------- types

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ParticipantInput {
    /// staff / family / agency
    #[serde(default)]
    pub kind: String,
    /// Staff: the user.
    #[serde(default)]
    pub user_id: Option<String>,
    /// Agencies: the registry entry (needs the family's consent in force for this child).
    #[serde(default)]
    pub agency_id: Option<String>,
    /// Family: 本人, 母 山田 由美 …; agencies: the person attending (optional).
    #[serde(default)]
    pub name: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ConferenceInput {
    /// Empty: 「ケース会議」.
    #[serde(default)]
    pub title: String,
    /// Date as typed (2026-01-20, 令和8年1月20日) and time HH:MM (JST).
    #[serde(default)]
    pub date: String,
    #[serde(default)]
    pub time: String,
    #[serde(default)]
    pub duration_minutes: i64,
    #[serde(default)]
    pub place: String,
    #[serde(default)]
    pub online: bool,
    /// None: the case-conference template (model::default_agenda); it must fit the length.
    #[serde(default)]
    pub agenda: Option<Vec<Segment>>,
    #[serde(default)]
    pub purpose: String,
    /// Added with the conference, all or nothing.
    #[serde(default)]
    pub participants: Vec<ParticipantInput>,
}

/// One conference in a child's list.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ConferenceSummary {
    pub id: String,
    pub child_id: String,
    pub title: String,
    pub purpose: String,
    /// Local time as typed (JST): 2026-01-20T14:00.
    pub starts_at: String,
    /// 令和8年1月20日 14:00
    pub when: String,
    pub duration_minutes: i64,
    pub place: String,
    pub online: bool,
    /// The support plan revision its outcomes were last reflected into.
    pub reflected_revision: Option<i64>,
    /// Not yet held (starts after now).
    pub upcoming: bool,
}

#[allow(clippy::too_many_arguments)]
pub fn summary(
    id: String,
    child_id: String,
    title: String,
    purpose: String,
    starts_at: String,
    starts_utc: Option<String>,
    duration_minutes: i64,
    place: String,
    online: bool,
    reflected_revision: Option<i64>,
    now: &str,
) -> ConferenceSummary {
    ConferenceSummary {
        when: when_label(&starts_at),
        upcoming: starts_utc.as_deref().is_some_and(|u| u > now),
        id,
        child_id,
        title,
        purpose,
        starts_at,
        duration_minutes,
        place,
        online,
        reflected_revision,
    }
}

/// Newest first, as the list query orders them.
pub fn sort_summaries(list: &mut [ConferenceSummary]) {
    list.sort_by(|a, b| (&b.starts_at, &b.id).cmp(&(&a.starts_at, &a.id)));
}

#[derive(Debug, Clone, Serialize)]
pub struct Participant {
    pub id: String,
    pub kind: String,
    pub kind_label: &'static str,
    pub user_id: Option<String>,
    pub agency_id: Option<String>,
    pub name: String,
    /// Staff: the role; agencies: the agency's name.
    pub affiliation: String,
    pub attended: bool,
    /// Agencies: whether a consent of the family is in force today (false = 同意なし).
    pub consented: Option<bool>,
    /// Agencies: the items of the consents in force.
    pub consent_items: Vec<String>,
    /// Agencies: 同意あり（…）, 同意なし（撤回済み） …
    pub consent_note: String,
}

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

#[derive(Debug, Clone, Serialize)]
pub struct Reflected {
    pub revision: i64,
    pub added: usize,
}

// ---------------------------------------------------------------- reads

const SUMMARY_COLS: &str = "m.id, m.child_id, m.title, m.purpose, m.starts_at, m.starts_utc, m.duration_minutes, m.place, m.online, m.reflected_revision";

fn summary_from_row(r: &sqlx::any::AnyRow, now: &str) -> ConferenceSummary {
    summary(
        r.get("id"),
        r.get::<Option<String>, _>("child_id").unwrap_or_default(),
        r.get("title"),
        r.get("purpose"),
        r.get("starts_at"),
        r.get("starts_utc"),
        r.get("duration_minutes"),
        r.get("place"),
        r.get::<i64, _>("online") != 0,
        r.get("reflected_revision"),
        now,
    )
}

/// The case conferences of one child, newest first (audited as a read of the record).
pub async fn list_for_child(
    db: &Db,
    ctx: &Ctx,
    child_id: &str,
) -> AppResult<Vec<ConferenceSummary>> {
    let t = ctx.tenant()?.clone();
    let mut conn = db.pool.acquire().await?;
    cases::child_access(&mut conn, ctx, child_id).await?;
    let rows = sqlx::query(&format!(
        "SELECT {SUMMARY_COLS} FROM meetings m WHERE m.child_id = $1 AND m.tenant_id = $2 AND m.kind = 'case_conference' \
         ORDER BY m.starts_at DESC, m.id DESC"
    ))
    .bind(child_id)
    .bind(&t)
    .fetch_all(&mut *conn)
    .await?;
    drop(conn);
    let now = time::now_db();
    let list = rows.iter().map(|r| summary_from_row(r, &now)).collect();
    audit::record(
        db,
        Entry::new(ctx, Some(&t), "child.view", "child", child_id).detail("case_conferences"),
    )
    .await?;
    Ok(list)
}

/// What the consents of the child say about each agency: (items in force, note).
fn agency_consent(consents: &[Consent], agency_id: &str) -> (Vec<String>, String) {
    let mine: Vec<&Consent> = consents
        .iter()
        .filter(|c| c.agency_id == agency_id)
        .collect();
    let mut items: Vec<String> = mine
        .iter()
        .filter(|c| c.active)
        .flat_map(|c| c.items.iter().cloned())
        .collect();
    // In the vocabulary's order.
    items.sort_by_key(|i| {
        crate::cases::model::CONSENT_ITEMS
            .iter()
            .position(|(k, _)| k == i)
    });
    items.dedup();
    let note = if !items.is_empty() {
        format!(
            "同意あり（{}）",
            items
                .iter()
                .map(|i| crate::cases::model::consent_item_label(i))
                .collect::<Vec<_>>()
                .join("、")
        )
    } else if mine.iter().any(|c| c.revoked_at.is_some()) {
        "同意なし（撤回されました）".to_string()
    } else if !mine.is_empty() {
        "同意なし（同意の期間外です）".to_string()
    } else {
        "同意なし（同意の記録がありません）".to_string()
    };
    (items, note)
}

async fn participants_on(
    conn: &mut Conn,
    t: &str,
    meeting_id: &str,
    consents: &[Consent],
) -> AppResult<Vec<Participant>> {
    let rows = sqlx::query(
        "SELECT p.id, p.kind, p.user_id, p.agency_id, p.name, p.affiliation, p.attended, a.name AS agency_name \
         FROM conference_participants p LEFT JOIN agencies a ON a.id = p.agency_id \
         WHERE p.meeting_id = $1 AND p.tenant_id = $2 ORDER BY p.position, p.id",
    )
    .bind(meeting_id)
    .bind(t)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let kind: String = r.get("kind");
            let agency_id: Option<String> = r.get("agency_id");
            let (consented, consent_items, consent_note) = match &agency_id {
                Some(a) => {
                    let (items, note) = agency_consent(consents, a);
                    (Some(!items.is_empty()), items, note)
                }
                None => (None, vec![], String::new()),
            };
            let agency_name: Option<String> = r.get("agency_name");
            Participant {
                id: r.get("id"),
                kind_label: model::participant_kind_label(&kind),
                kind,
                user_id: r.get("user_id"),
                affiliation: agency_name.unwrap_or_else(|| r.get("affiliation")),
                agency_id,
                name: r.get("name"),
                attended: r.get::<i64, _>("attended") != 0,
                consented,
                consent_items,
                consent_note,
            }
        })
        .collect())
}

async fn outcomes_on(conn: &mut Conn, t: &str, meeting_id: &str) -> AppResult<Vec<Outcome>> {
    let today = time::today_jst().format("%Y-%m-%d").to_string();
    let rows = sqlx::query(
        "SELECT id, description, owner, due_date, status, plan_revision FROM action_items \
         WHERE meeting_id = $1 AND tenant_id = $2 ORDER BY created_at, id",
    )
    .bind(meeting_id)
    .bind(t)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let due: Option<String> = r.get("due_date");
            let status: String = r.get("status");
            Outcome {
                id: r.get("id"),
                description: r.get("description"),
                owner: r.get("owner"),
                overdue: status == "open" && due.as_deref().is_some_and(|d| d < today.as_str()),
                due_label: due
                    .as_deref()
                    .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                    .map(time::format_wareki)
                    .unwrap_or_default(),
                due_date: due.unwrap_or_default(),
                status,
                plan_revision: r.get("plan_revision"),
            }
        })
        .collect())
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
    let summary = summary_from_row(&r, &time::now_db());
    cases::child_access(&mut conn, ctx, &summary.child_id).await?;
    let child = cases::load_child(&mut conn, &t, &summary.child_id).await?;
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
    let shared = cases::shared_record_on(&mut conn, &t, &child, &shared_items).await?;
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
    Ok(Conference {
        child_name: child.input.name.clone(),
        agenda: serde_json::from_str(r.get::<String, _>("agenda").as_str()).unwrap_or_default(),
        unconsented: agencies
            .iter()
            .filter(|a| a.items.is_empty())
            .map(|a| a.name.clone())
            .collect(),
        participants,
        eligible_agencies,
        minutes: r.get("minutes"),
        decisions: r.get("decisions"),
        outcomes,
        shared_items,
        items,
        shared,
        created_by: r.get("created_by"),
        created_at: r.get("created_at"),
        updated_at: r.get("updated_at"),
        summary,
    })
}

// ---------------------------------------------------------------- writes

/// A write transaction on one conference, after checking write access to its child.
/// Returns the transaction, the tenant and the conference's child and title.
async fn conference_write(
    db: &Db,
    ctx: &Ctx,
    id: &str,
) -> AppResult<(Tx, crate::auth::TenantId, String, String)> {
    policy::require(ctx, Action::ManageChildren)?;
    let t = ctx.tenant()?.clone();
    let mut tx = db.begin_write().await?;
    let r = sqlx::query(
        "SELECT child_id, title FROM meetings WHERE id = $1 AND tenant_id = $2 AND kind = 'case_conference'",
    )
    .bind(id)
    .bind(&t)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let child_id: String = r
        .get::<Option<String>, _>("child_id")
        .ok_or(AppError::NotFound)?;
    cases::child_access(&mut tx, ctx, &child_id).await?;
    Ok((tx, t, child_id, r.get("title")))
}

struct CleanParticipant {
    kind: String,
    user_id: Option<String>,
    agency_id: Option<String>,
    name: String,
    affiliation: String,
}

impl CleanParticipant {
    fn label(&self) -> String {
        match (self.name.is_empty(), self.affiliation.is_empty()) {
            (true, _) => self.affiliation.clone(),
            (false, true) => self.name.clone(),
            (false, false) => format!("{}（{}）", self.name, self.affiliation),
        }
    }
}

/// Checks one participant against the tenant, the conference's current participants
/// (`taken`: (kind, user or agency, name)) and, for an agency, the family's consent in
/// force today. Ok(Err(message)) when refused.
async fn check_participant(
    conn: &mut Conn,
    t: &str,
    consents: &[Consent],
    taken: &[(String, String, String)],
    p: &ParticipantInput,
) -> AppResult<Result<CleanParticipant, String>> {
    let name = clean(&p.name);
    if let Some(m) = crate::validate::unsafe_text(&name) {
        return Ok(Err(m.to_string()));
    }
    if name.chars().count() > 100 {
        return Ok(Err("参加者の名前が長すぎます（100文字まで）。".into()));
    }
    let dup = |kind: &str, key: &str, name: &str| {
        taken
            .iter()
            .any(|(k, x, n)| k == kind && x == key && n == name)
    };
    match p.kind.as_str() {
        "staff" => {
            let uid = p.user_id.clone().unwrap_or_default();
            let r = sqlx::query(
                "SELECT display_name, role FROM users WHERE id = $1 AND tenant_id = $2 AND disabled_at IS NULL \
                 AND role IN ('nurse', 'support_worker', 'contractor', 'tenant_admin')",
            )
            .bind(uid.trim())
            .bind(t)
            .fetch_optional(&mut *conn)
            .await?;
            let Some(r) = r else {
                return Ok(Err("職員は、この実施主体の職員（保健師・自立支援員・事業担当者・委託先職員）から選んでください。".into()));
            };
            let display: String = r.get("display_name");
            if dup("staff", uid.trim(), "") {
                return Ok(Err(format!("{display} さんは既に参加者です。")));
            }
            Ok(Ok(CleanParticipant {
                kind: "staff".into(),
                user_id: Some(uid.trim().to_string()),
                agency_id: None,
                name: display,
                affiliation: Role::parse(&r.get::<String, _>("role"))
                    .map(|r| r.label())
                    .unwrap_or("")
                    .to_string(),
            }))
        }
        "family" => {
            if name.is_empty() {
                return Ok(Err(
                    "本人・家族の参加者は、続柄か名前を入力してください（例: 本人、母）。".into(),
                ));
            }
            if dup("family", "", &name) {
                return Ok(Err(format!("「{name}」は既に参加者です。")));
            }
            Ok(Ok(CleanParticipant {
                kind: "family".into(),
                user_id: None,
                agency_id: None,
                name,
                affiliation: String::new(),
            }))
        }
        "agency" => {
            let aid = p.agency_id.clone().unwrap_or_default();
            let agency: Option<String> = sqlx::query_scalar(
                "SELECT name FROM agencies WHERE id = $1 AND tenant_id = $2 AND deleted_at IS NULL",
            )
            .bind(aid.trim())
            .bind(t)
            .fetch_optional(&mut *conn)
            .await?;
            let Some(agency) = agency else {
                return Ok(Err("関係機関は関係機関台帳から選んでください。".into()));
            };
            let (items, note) = agency_consent(consents, aid.trim());
            if items.is_empty() {
                let why = note
                    .trim_start_matches("同意なし（")
                    .trim_end_matches('）')
                    .trim_end_matches('。');
                return Ok(Err(format!(
                    "「{agency}」は、この子どもの情報共有について家族の同意がないため、ケース会議の参加者にできません（{why}）。先に「情報共有の同意」で家族の同意を記録してください。"
                )));
            }
            if dup("agency", aid.trim(), &name) {
                return Ok(Err(format!(
                    "「{agency}」{} は既に参加者です。",
                    if name.is_empty() {
                        String::new()
                    } else {
                        format!("の {name} さん")
                    }
                )));
            }
            Ok(Ok(CleanParticipant {
                kind: "agency".into(),
                user_id: None,
                agency_id: Some(aid.trim().to_string()),
                name,
                affiliation: agency,
            }))
        }
        _ => Ok(Err(
            "参加者の種類は 職員（staff）・本人・家族（family）・関係機関（agency） から選んでください。"
                .into(),
        )),
    }
}

async fn taken_on(
    conn: &mut Conn,
    t: &str,
    meeting_id: &str,
) -> AppResult<Vec<(String, String, String)>> {
    Ok(sqlx::query(
        "SELECT kind, user_id, agency_id, name FROM conference_participants WHERE meeting_id = $1 AND tenant_id = $2",
    )
    .bind(meeting_id)
    .bind(t)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        let kind: String = r.get("kind");
        let key = match kind.as_str() {
            "staff" => r.get::<Option<String>, _>("user_id").unwrap_or_default(),
            "agency" => r.get::<Option<String>, _>("agency_id").unwrap_or_default(),
            _ => String::new(),
        };
        let name = if kind == "staff" {
            String::new()
        } else {
            r.get("name")
        };
        (kind, key, name)
    })
    .collect())
}

fn taken_key(p: &CleanParticipant) -> (String, String, String) {
    match p.kind.as_str() {
        "staff" => (
            p.kind.clone(),
            p.user_id.clone().unwrap_or_default(),
            String::new(),
        ),
        "agency" => (
            p.kind.clone(),
            p.agency_id.clone().unwrap_or_default(),
            p.name.clone(),
        ),
        _ => (p.kind.clone(), String::new(), p.name.clone()),
    }
}

async fn insert_participant(
    tx: &mut Tx,
    ctx: &Ctx,
    t: &str,
    meeting_id: &str,
    p: &CleanParticipant,
) -> AppResult<String> {
    let pos: i64 = sqlx::query_scalar(
        "SELECT COALESCE(MAX(position), -1) + 1 FROM conference_participants WHERE meeting_id = $1 AND tenant_id = $2",
    )
    .bind(meeting_id)
    .bind(t)
    .fetch_one(&mut **tx)
    .await?;
    let id = new_id();
    sqlx::query(
        "INSERT INTO conference_participants (id, tenant_id, meeting_id, kind, user_id, agency_id, name, affiliation, attended, position, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9, $10, $11)",
    )
    .bind(&id)
    .bind(t)
    .bind(meeting_id)
    .bind(&p.kind)
    .bind(&p.user_id)
    .bind(&p.agency_id)
    .bind(&p.name)
    .bind(&p.affiliation)
    .bind(pos)
    .bind(&ctx.display_name)
    .bind(time::now_db())
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

/// Plans a case conference for a child: date, time, length, place, purpose and agenda
/// (which must fit the length), with the participants given (all or nothing: an agency
/// without the family's consent in force refuses the whole request, nothing saved).
pub async fn create(db: &Db, ctx: &Ctx, child_id: &str, c: &ConferenceInput) -> AppResult<String> {
    policy::require(ctx, Action::ManageChildren)?;
    let t = ctx.tenant()?.clone();
    let title = clean(&c.title);
    let meeting = MeetingInput {
        council_id: None,
        title: if title.is_empty() {
            "ケース会議".into()
        } else {
            title
        },
        date: c.date.clone(),
        time: c.time.clone(),
        duration_minutes: c.duration_minutes,
        place: c.place.clone(),
        online: c.online,
        agenda: c.agenda.clone().unwrap_or_else(model::default_agenda),
    };
    let purpose = c.purpose.trim().to_string();
    let validated = crate::network::store::validate_meeting(&meeting);
    let mut errs = match &validated {
        Ok(_) => vec![],
        Err(e) => e.clone(),
    };
    if purpose.is_empty() {
        errs.push(FieldError::new(
            "purpose",
            "会議の目的を入力してください（例: 復学に向けて学校・病院と役割を確認する）。",
        ));
    }
    crate::validate::check_texts_each(&mut errs, &[("purpose", &purpose, 2000)]);
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let (m, starts_at) = validated.map_err(AppError::Validation)?;
    let mut tx = cases::begin_child_write(db, ctx, child_id).await?;
    let consents = cases::load_consents(&mut tx, &t, child_id).await?;
    let mut clean_ps: Vec<CleanParticipant> = vec![];
    let mut taken = vec![];
    for (i, p) in c.participants.iter().enumerate() {
        match check_participant(&mut tx, &t, &consents, &taken, p).await? {
            Ok(cp) => {
                taken.push(taken_key(&cp));
                clean_ps.push(cp);
            }
            Err(m) => errs.push(FieldError::new(
                "participants",
                format!("参加者 {}: {m}", i + 1),
            )),
        }
    }
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let id = new_id();
    let now = time::now_db();
    sqlx::query(
        "INSERT INTO meetings (id, tenant_id, council_id, child_id, kind, title, starts_at, starts_utc, duration_minutes, place, online, agenda, attendance, minutes, decisions, purpose, created_by, created_at, updated_at) \
         VALUES ($1, $2, NULL, $3, 'case_conference', $4, $5, $6, $7, $8, $9, $10, '[]', '', '', $11, $12, $13, $13)",
    )
    .bind(&id)
    .bind(&t)
    .bind(child_id)
    .bind(&m.title)
    .bind(&starts_at)
    .bind(time::jst_local_to_db(&starts_at))
    .bind(m.duration_minutes)
    .bind(&m.place)
    .bind(m.online as i64)
    .bind(serde_json::to_string(&m.agenda).unwrap_or_default())
    .bind(&purpose)
    .bind(&ctx.display_name)
    .bind(&now)
    .execute(&mut *tx)
    .await?;
    for p in &clean_ps {
        insert_participant(&mut tx, ctx, &t, &id, p).await?;
    }
    cases::commit_child_write(
        tx,
        ctx,
        &t,
        "conference.create",
        child_id,
        &format!("{id} {}（参加者 {} 人）", m.title, clean_ps.len()),
    )
    .await?;
    Ok(id)
}

/// Adds one participant. An agency needs the family's consent in force for this child;
/// otherwise the Japanese message says why and nothing is saved.
pub async fn add_participant(
    db: &Db,
    ctx: &Ctx,
    id: &str,
    p: &ParticipantInput,
) -> AppResult<String> {
    let (mut tx, t, child_id, _) = conference_write(db, ctx, id).await?;
    let consents = cases::load_consents(&mut tx, &t, &child_id).await?;
    let taken = taken_on(&mut tx, &t, id).await?;
    let cp = match check_participant(&mut tx, &t, &consents, &taken, p).await? {
        Ok(cp) => cp,
        Err(m) => return Err(AppError::invalid("participants", m)),
    };
    let pid = insert_participant(&mut tx, ctx, &t, id, &cp).await?;
    cases::commit_child_write(
        tx,
        ctx,
        &t,
        "conference.participant_add",
        &child_id,
        &format!("{id} {}", cp.label()),
    )
    .await?;
    Ok(pid)
}

pub async fn remove_participant(
    db: &Db,
    ctx: &Ctx,
    id: &str,
    participant_id: &str,
) -> AppResult<()> {
    let (mut tx, t, child_id, _) = conference_write(db, ctx, id).await?;
    let n = sqlx::query(
        "DELETE FROM conference_participants WHERE id = $1 AND meeting_id = $2 AND tenant_id = $3",
    )
    .bind(participant_id)
    .bind(id)
    .bind(&t)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(AppError::NotFound);
    }
    cases::commit_child_write(
        tx,
        ctx,
        &t,
        "conference.participant_remove",
        &child_id,
        &format!("{id} {participant_id}"),
    )
    .await?;
    Ok(())
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
    cases::commit_child_write(tx, ctx, &t, "conference.record", &child_id, id).await?;
    Ok(())
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
    cases::commit_child_write(
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
    cases::commit_child_write(
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

/// 「支援計画に反映」: a new revision of the child's 自立支援計画 — a copy of the latest
/// (or a new plan) with the outcomes not yet reflected appended as actions (未着手),
/// noting the conference. Earlier revisions stay. Outcomes reflected once are never
/// added again: with nothing new the request is refused.
pub async fn reflect(db: &Db, ctx: &Ctx, id: &str) -> AppResult<Reflected> {
    let (mut tx, t, child_id, _) = conference_write(db, ctx, id).await?;
    let r = reflect_on(&mut tx, &t, id, &ctx.display_name).await?;
    cases::commit_child_write(
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
pub async fn reflect_on(tx: &mut Tx, t: &str, id: &str, by: &str) -> AppResult<Reflected> {
    let head = sqlx::query(
        "SELECT child_id, title, starts_at, reflected_revision FROM meetings WHERE id = $1 AND tenant_id = $2 AND kind = 'case_conference'",
    )
    .bind(id)
    .bind(t)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let child_id: String = head
        .get::<Option<String>, _>("child_id")
        .ok_or(AppError::NotFound)?;
    let title: String = head.get("title");
    let when = when_label(&head.get::<String, _>("starts_at"));
    let new: Vec<PlanAction> = sqlx::query(
        "SELECT description, owner, due_date FROM action_items WHERE meeting_id = $1 AND tenant_id = $2 AND plan_revision IS NULL ORDER BY created_at, id",
    )
    .bind(id)
    .bind(t)
    .fetch_all(&mut **tx)
    .await?
    .iter()
    .map(|r| PlanAction {
        description: r.get("description"),
        owner: r.get("owner"),
        due_date: r.get::<Option<String>, _>("due_date").unwrap_or_default(),
        status: "未着手".into(),
    })
    .collect();
    if new.is_empty() {
        return Err(match head.get::<Option<i64>, _>("reflected_revision") {
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
            p.get::<i64, _>("revision") + 1,
            p.get::<String, _>("child_words"),
            p.get::<String, _>("guardian_words"),
            p.get::<String, _>("long_term_goal"),
            p.get::<String, _>("short_term_goals"),
            p.get::<Option<String>, _>("review_date"),
            serde_json::from_str::<Vec<PlanAction>>(p.get::<String, _>("actions").as_str())
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
