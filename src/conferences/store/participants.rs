//! Who takes part in a case conference: the tenant's staff, the family (free text) and
//! agencies. An agency is added only while the family's consent for this child is in
//! force (checked inside the write transaction); each agency's consent is checked again
//! whenever the conference is shown.

use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::{conference_write, new_id};
use crate::auth::{Ctx, Role, TenantId};
use crate::cases::access::commit_child_write;
use crate::cases::store::Consent;
use crate::conferences::model;
use crate::db::{Conn, Db, Tx};
use crate::error::AppResult;
use crate::text::clean;
use crate::{time, AppError};

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

/// What the consents of the child say about each agency: (items in force, note).
pub(super) fn agency_consent(consents: &[Consent], agency_id: &str) -> (Vec<String>, String) {
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

pub(super) async fn participants_on(
    conn: &mut Conn,
    t: &TenantId,
    meeting_id: &str,
    consents: &[Consent],
) -> AppResult<Vec<Participant>> {
    let rows = sqlx::query(
        "SELECT p.id, p.kind, p.user_id, p.agency_id, p.name, p.affiliation, p.attended, a.name AS agency_name \
         FROM conference_participants p LEFT JOIN agencies a ON a.id = p.agency_id AND a.tenant_id = p.tenant_id \
         WHERE p.meeting_id = $1 AND p.tenant_id = $2 ORDER BY p.position, p.id",
    )
    .bind(meeting_id)
    .bind(t)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let kind: String = r.try_get("kind")?;
            let agency_id: Option<String> = r.try_get("agency_id")?;
            let (consented, consent_items, consent_note) = match &agency_id {
                Some(a) => {
                    let (items, note) = agency_consent(consents, a);
                    (Some(!items.is_empty()), items, note)
                }
                None => (None, vec![], String::new()),
            };
            let agency_name: Option<String> = r.try_get("agency_name")?;
            let affiliation: String = r.try_get("affiliation")?;
            Ok(Participant {
                id: r.try_get("id")?,
                kind_label: model::participant_kind_label(&kind),
                kind,
                user_id: r.try_get("user_id")?,
                affiliation: agency_name.unwrap_or(affiliation),
                agency_id,
                name: r.try_get("name")?,
                attended: r.try_get::<i64, _>("attended")? != 0,
                consented,
                consent_items,
                consent_note,
            })
        })
        .collect()
}

pub(super) struct CleanParticipant {
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
pub(super) async fn check_participant(
    conn: &mut Conn,
    t: &TenantId,
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
            let display: String = r.try_get("display_name")?;
            let role: String = r.try_get("role")?;
            if dup("staff", uid.trim(), "") {
                return Ok(Err(format!("{display} さんは既に参加者です。")));
            }
            Ok(Ok(CleanParticipant {
                kind: "staff".into(),
                user_id: Some(uid.trim().to_string()),
                agency_id: None,
                name: display,
                affiliation: Role::parse(&role)
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

pub(super) async fn taken_on(
    conn: &mut Conn,
    t: &TenantId,
    meeting_id: &str,
) -> AppResult<Vec<(String, String, String)>> {
    sqlx::query(
        "SELECT kind, user_id, agency_id, name FROM conference_participants WHERE meeting_id = $1 AND tenant_id = $2",
    )
    .bind(meeting_id)
    .bind(t)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        let kind: String = r.try_get("kind")?;
        let key = match kind.as_str() {
            "staff" => r.try_get::<Option<String>, _>("user_id")?.unwrap_or_default(),
            "agency" => r.try_get::<Option<String>, _>("agency_id")?.unwrap_or_default(),
            _ => String::new(),
        };
        let name = if kind == "staff" {
            String::new()
        } else {
            r.try_get("name")?
        };
        Ok((kind, key, name))
    })
    .collect()
}

pub(super) fn taken_key(p: &CleanParticipant) -> (String, String, String) {
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

pub(super) async fn insert_participant(
    tx: &mut Tx,
    ctx: &Ctx,
    t: &TenantId,
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

/// Adds one participant. An agency needs the family's consent in force for this child;
/// otherwise the Japanese message says why and nothing is saved.
pub async fn add_participant(
    db: &Db,
    ctx: &Ctx,
    id: &str,
    p: &ParticipantInput,
) -> AppResult<String> {
    let (mut tx, t, child_id, _) = conference_write(db, ctx, id).await?;
    let consents = crate::cases::store::load_consents(&mut tx, &t, &child_id).await?;
    let taken = taken_on(&mut tx, &t, id).await?;
    let cp = match check_participant(&mut tx, &t, &consents, &taken, p).await? {
        Ok(cp) => cp,
        Err(m) => return Err(AppError::invalid("participants", m)),
    };
    let pid = insert_participant(&mut tx, ctx, &t, id, &cp).await?;
    commit_child_write(
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
    commit_child_write(
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
