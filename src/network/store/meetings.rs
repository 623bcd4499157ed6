//! Meetings (of a council, a committee or a training) with their agenda, which must fit
//! the meeting's length, the record (attendance, minutes, decisions) and the action
//! items followed up until done. Case conferences are meetings too, but of a child's
//! record (`conferences::store`): nothing here reads or changes them.

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{get_council, json_list, new_id, reader, writer, Member};
use crate::audit::{self, Entry};
use crate::auth::Ctx;
use crate::db::{Db, Sql};
use crate::error::{AppResult, FieldError};
use crate::network::model::{self, Segment};
use crate::text::clean;
use crate::validate::{check_texts, opt_date_db};
use crate::{time, AppError};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MeetingInput {
    #[serde(default)]
    pub council_id: Option<String>,
    #[serde(default)]
    pub title: String,
    /// Date (as typed) and time HH:MM (JST).
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
    #[serde(default)]
    pub agenda: Vec<Segment>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MeetingRecord {
    /// Names of those present.
    #[serde(default)]
    pub attendance: Vec<String>,
    #[serde(default)]
    pub minutes: String,
    #[serde(default)]
    pub decisions: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct MeetingSummary {
    pub id: String,
    pub council_id: Option<String>,
    pub council_name: Option<String>,
    pub kind: String,
    pub title: String,
    pub starts_at: String,
    pub duration_minutes: i64,
    pub place: String,
    pub online: bool,
    pub open_actions: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct ActionItem {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub meeting_id: String,
    #[serde(default)]
    pub meeting_title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub due_date: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub overdue: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Meeting {
    #[serde(flatten)]
    pub summary: MeetingSummary,
    pub agenda: Vec<Segment>,
    #[serde(flatten)]
    pub record: MeetingRecord,
    pub actions: Vec<ActionItem>,
    pub members: Vec<Member>,
}

pub async fn list_meetings(
    db: &Db,
    ctx: &Ctx,
    council_id: Option<&str>,
) -> AppResult<Vec<MeetingSummary>> {
    let t = reader(ctx)?;
    let mut q = Sql::new(
        "SELECT m.id, m.council_id, c.name AS council_name, m.kind, m.title, m.starts_at, m.duration_minutes, m.place, m.online, \
         (SELECT COUNT(*) FROM action_items a WHERE a.meeting_id = m.id AND a.status = 'open') AS open_actions \
         FROM meetings m LEFT JOIN councils c ON c.id = m.council_id WHERE m.tenant_id = ",
    );
    q.bind(t).push(" AND m.kind <> 'case_conference'");
    if let Some(c) = council_id {
        q.push(" AND m.council_id = ").bind(c);
    }
    q.push(" ORDER BY m.starts_at DESC");
    let rows = q.query().fetch_all(&db.pool).await?;
    rows.iter().map(meeting_summary).collect()
}

fn meeting_summary(r: &AnyRow) -> AppResult<MeetingSummary> {
    Ok(MeetingSummary {
        id: r.try_get("id")?,
        council_id: r.try_get("council_id")?,
        council_name: r.try_get("council_name")?,
        kind: r.try_get("kind")?,
        title: r.try_get("title")?,
        starts_at: r.try_get("starts_at")?,
        duration_minutes: r.try_get("duration_minutes")?,
        place: r.try_get("place")?,
        online: r.try_get::<i64, _>("online")? != 0,
        open_actions: r.try_get("open_actions")?,
    })
}

/// Checks a meeting's title, date, time, length and agenda (which must fit the length);
/// returns the cleaned input and the start as typed (JST, `2026-01-20T14:00`). Case
/// conferences use it too.
pub(crate) fn validate_meeting(
    m: &MeetingInput,
) -> Result<(MeetingInput, String), Vec<FieldError>> {
    let mut errs = vec![];
    let title = clean(&m.title);
    if title.is_empty() {
        errs.push(FieldError::new("title", "会議名を入力してください。"));
    }
    let date = if m.date.trim().is_empty() {
        errs.push(FieldError::new("date", "開催日を入力してください。"));
        None
    } else {
        opt_date_db("date", "開催日", &m.date, &mut errs)
    };
    let tm = crate::text::nfkc(m.time.trim());
    let time_ok =
        chrono::NaiveTime::parse_from_str(if tm.is_empty() { "00:00" } else { &tm }, "%H:%M").ok();
    if time_ok.is_none() {
        errs.push(FieldError::new(
            "time",
            "開始時刻は 14:00 の形で入力してください。",
        ));
    }
    if !(10..=600).contains(&m.duration_minutes) {
        errs.push(FieldError::new(
            "duration_minutes",
            "会議の長さは 10〜600 分で入力してください。",
        ));
    }
    let agenda: Vec<Segment> = m
        .agenda
        .iter()
        .map(|s| Segment {
            offset: s.offset,
            minutes: s.minutes,
            title: clean(&s.title),
            presenter: clean(&s.presenter),
        })
        .filter(|s| !(s.title.is_empty() && s.minutes == 0))
        .collect();
    if (10..=600).contains(&m.duration_minutes) {
        if let Err(e) = model::check_agenda(&agenda, m.duration_minutes) {
            errs.push(FieldError::new("agenda", e));
        }
    }
    let mut texts: Vec<(&str, &str)> = vec![("title", &title), ("place", &m.place)];
    for s in &agenda {
        texts.push(("agenda", &s.title));
        texts.push(("agenda", &s.presenter));
    }
    check_texts(&mut errs, &texts, 10_000);
    match (date, time_ok) {
        (Some(d), Some(tm)) if errs.is_empty() => Ok((
            MeetingInput {
                title,
                place: clean(&m.place),
                agenda,
                council_id: m.council_id.clone().filter(|c| !c.is_empty()),
                ..m.clone()
            },
            format!("{d}T{}", tm.format("%H:%M")),
        )),
        _ => Err(errs),
    }
}

/// Schedules a meeting (of a council, or a training or committee meeting) with its agenda.
pub async fn create_meeting(db: &Db, ctx: &Ctx, kind: &str, m: &MeetingInput) -> AppResult<String> {
    let t = writer(ctx)?.clone();
    let (m, starts_at) = validate_meeting(m).map_err(AppError::Validation)?;
    let mut tx = db.begin_write().await?;
    if let Some(c) = &m.council_id {
        let ok: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM councils WHERE id = $1 AND tenant_id = $2")
                .bind(c)
                .bind(&t)
                .fetch_one(&mut *tx)
                .await?;
        if ok == 0 {
            return Err(AppError::NotFound);
        }
    }
    let id = new_id();
    let now = time::now_db();
    sqlx::query(
        "INSERT INTO meetings (id, tenant_id, council_id, kind, title, starts_at, starts_utc, duration_minutes, place, online, agenda, attendance, minutes, decisions, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, '[]', '', '', $12, $13, $13)",
    )
    .bind(&id)
    .bind(&t)
    .bind(&m.council_id)
    .bind(kind)
    .bind(&m.title)
    .bind(&starts_at)
    .bind(time::jst_local_to_db(&starts_at))
    .bind(m.duration_minutes)
    .bind(&m.place)
    .bind(m.online as i64)
    .bind(serde_json::to_string(&m.agenda).unwrap_or_default())
    .bind(&ctx.display_name)
    .bind(&now)
    .execute(&mut *tx)
    .await?;
    audit::commit(
        tx,
        Entry::new(ctx, Some(&t), "meeting.create", "meeting", &id).detail(&m.title),
    )
    .await?;
    Ok(id)
}

pub async fn get_meeting(db: &Db, ctx: &Ctx, id: &str) -> AppResult<Meeting> {
    let t = reader(ctx)?;
    let r = sqlx::query(
        "SELECT m.id, m.council_id, c.name AS council_name, m.kind, m.title, m.starts_at, m.duration_minutes, m.place, m.online, m.agenda, m.attendance, m.minutes, m.decisions, \
         (SELECT COUNT(*) FROM action_items a WHERE a.meeting_id = m.id AND a.status = 'open') AS open_actions \
         FROM meetings m LEFT JOIN councils c ON c.id = m.council_id WHERE m.id = $1 AND m.tenant_id = $2 AND m.kind <> 'case_conference'",
    )
    .bind(id)
    .bind(t)
    .fetch_optional(&db.pool)
    .await?
    .ok_or(AppError::NotFound)?;
    let summary = meeting_summary(&r)?;
    let members = match &summary.council_id {
        Some(c) => get_council(db, ctx, c).await?.members,
        None => vec![],
    };
    Ok(Meeting {
        agenda: json_list(&r, "agenda")?,
        record: MeetingRecord {
            attendance: json_list(&r, "attendance")?,
            minutes: r.try_get("minutes")?,
            decisions: r.try_get("decisions")?,
        },
        actions: action_items(db, ctx, Some(id), false).await?,
        members,
        summary,
    })
}

/// Records who attended, the minutes and the decisions.
pub async fn record_meeting(db: &Db, ctx: &Ctx, id: &str, rec: &MeetingRecord) -> AppResult<()> {
    let t = writer(ctx)?.clone();
    let attendance: Vec<String> = rec
        .attendance
        .iter()
        .map(|a| clean(a))
        .filter(|a| !a.is_empty())
        .collect();
    let mut errs = vec![];
    let mut texts: Vec<(&str, &str)> =
        vec![("minutes", &rec.minutes), ("decisions", &rec.decisions)];
    for a in &attendance {
        texts.push(("attendance", a));
    }
    check_texts(&mut errs, &texts, 10_000);
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let mut tx = db.begin_write().await?;
    let n = sqlx::query("UPDATE meetings SET attendance = $1, minutes = $2, decisions = $3, updated_at = $4 WHERE id = $5 AND tenant_id = $6 AND kind <> 'case_conference'")
        .bind(serde_json::to_string(&attendance).unwrap_or_default())
        .bind(rec.minutes.trim())
        .bind(rec.decisions.trim())
        .bind(time::now_db())
        .bind(id)
        .bind(&t)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(AppError::NotFound);
    }
    audit::commit(
        tx,
        Entry::new(ctx, Some(&t), "meeting.record", "meeting", id),
    )
    .await?;
    Ok(())
}

pub async fn add_action(db: &Db, ctx: &Ctx, meeting_id: &str, a: &ActionItem) -> AppResult<String> {
    let t = writer(ctx)?.clone();
    let mut errs = vec![];
    let description = a.description.trim().to_string();
    let owner = clean(&a.owner);
    if description.is_empty() {
        errs.push(FieldError::new("description", "やることを書いてください。"));
    }
    if owner.is_empty() {
        errs.push(FieldError::new(
            "owner",
            "担当（人または機関）を書いてください。",
        ));
    }
    let due = opt_date_db("due_date", "期限", &a.due_date, &mut errs);
    check_texts(
        &mut errs,
        &[("description", &description), ("owner", &owner)],
        10_000,
    );
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let mut tx = db.begin_write().await?;
    // A case conference's outcomes are part of a child's record (conferences::store).
    let ok: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM meetings WHERE id = $1 AND tenant_id = $2 AND kind <> 'case_conference'",
    )
    .bind(meeting_id)
    .bind(&t)
    .fetch_one(&mut *tx)
    .await?;
    if ok == 0 {
        return Err(AppError::NotFound);
    }
    let id = new_id();
    sqlx::query("INSERT INTO action_items (id, tenant_id, meeting_id, description, owner, due_date, status, created_at) VALUES ($1, $2, $3, $4, $5, $6, 'open', $7)")
        .bind(&id)
        .bind(&t)
        .bind(meeting_id)
        .bind(&description)
        .bind(&owner)
        .bind(due)
        .bind(time::now_db())
        .execute(&mut *tx)
        .await?;
    audit::commit(
        tx,
        Entry::new(ctx, Some(&t), "action.create", "meeting", meeting_id).detail(&id),
    )
    .await?;
    Ok(id)
}

pub async fn set_action_done(db: &Db, ctx: &Ctx, action_id: &str, done: bool) -> AppResult<()> {
    let t = writer(ctx)?.clone();
    let mut tx = db.begin_write().await?;
    let n = sqlx::query(
        "UPDATE action_items SET status = $1, done_at = $2 WHERE id = $3 AND tenant_id = $4 \
         AND meeting_id IN (SELECT m.id FROM meetings m WHERE m.tenant_id = $4 AND m.kind <> 'case_conference')",
    )
    .bind(if done { "done" } else { "open" })
    .bind(done.then(time::now_db))
    .bind(action_id)
    .bind(&t)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(AppError::NotFound);
    }
    audit::commit(
        tx,
        Entry::new(
            ctx,
            Some(&t),
            if done { "action.done" } else { "action.reopen" },
            "action_item",
            action_id,
        ),
    )
    .await?;
    Ok(())
}

/// Action items of one meeting, or all open ones of the tenant (followed up until done).
/// Case conferences' outcomes are not among them: they belong to a child's record.
pub async fn action_items(
    db: &Db,
    ctx: &Ctx,
    meeting_id: Option<&str>,
    only_open: bool,
) -> AppResult<Vec<ActionItem>> {
    let t = reader(ctx)?;
    let mut q = Sql::new(
        "SELECT a.id, a.meeting_id, m.title, a.description, a.owner, a.due_date, a.status FROM action_items a JOIN meetings m ON m.id = a.meeting_id \
         WHERE a.tenant_id = ",
    );
    q.bind(t).push(" AND m.kind <> 'case_conference'");
    if let Some(m) = meeting_id {
        q.push(" AND a.meeting_id = ").bind(m);
    }
    if only_open {
        q.push(" AND a.status = 'open'");
    }
    q.push(" ORDER BY a.status DESC, a.due_date, a.created_at");
    let today = time::today_jst().format("%Y-%m-%d").to_string();
    let rows = q.query().fetch_all(&db.pool).await?;
    rows.iter()
        .map(|r| {
            let due: Option<String> = r.try_get("due_date")?;
            let status: String = r.try_get("status")?;
            Ok(ActionItem {
                id: r.try_get("id")?,
                meeting_id: r.try_get("meeting_id")?,
                meeting_title: r.try_get("title")?,
                description: r.try_get("description")?,
                owner: r.try_get("owner")?,
                overdue: status == "open" && due.as_deref().is_some_and(|d| d < today.as_str()),
                due_date: due.unwrap_or_default(),
                status,
            })
        })
        .collect()
}
