//! Planning a case conference for a child: date, time, length, place, purpose and the
//! agenda (the case-conference template unless given; it must fit the length), with
//! the participants given, all or nothing.

use serde::{Deserialize, Serialize};

use super::new_id;
use super::participants::{
    check_participant, insert_participant, taken_key, CleanParticipant, ParticipantInput,
};
use crate::auth::{policy, Action, Ctx};
use crate::cases::access::{begin_child_write, commit_child_write};
use crate::conferences::model;
use crate::db::Db;
use crate::error::{AppResult, FieldError};
use crate::network::model::Segment;
use crate::network::store::MeetingInput;
use crate::text::clean;
use crate::{time, AppError};

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
    let mut tx = begin_child_write(db, ctx, child_id).await?;
    let consents = crate::cases::store::load_consents(&mut tx, &t, child_id).await?;
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
    commit_child_write(
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
