//! SQL of the collaboration network: goals (versioned), councils and members,
//! meetings with agendas, minutes and action items, trainings, contracts and the
//! contractors' monthly reports. Every query carries the caller's tenant.

use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::model::{self, Composition, MemberForCheck, Segment};
use crate::audit::{self, Entry};
use crate::auth::{policy, Action, Ctx, Role};
use crate::db::Db;
use crate::error::{AppResult, FieldError};
use crate::text::clean;
use crate::validate::{check_texts, opt_date_db};
use crate::{time, AppError};

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn reader(ctx: &Ctx) -> AppResult<&crate::auth::TenantId> {
    policy::require(ctx, Action::ViewNetwork)?;
    ctx.tenant()
}

fn writer(ctx: &Ctx) -> AppResult<&crate::auth::TenantId> {
    policy::require(ctx, Action::ManageNetwork)?;
    ctx.tenant()
}

// ---------------------------------------------------------------- goals

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct AsIs {
    #[serde(default)]
    pub text: String,
    /// Where this trouble was seen: a survey finding or a case (free text or id).
    #[serde(default)]
    pub source: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Purpose {
    #[serde(default)]
    pub text: String,
    /// The indicator that shows progress (e.g. 欠席日数の変化).
    #[serde(default)]
    pub indicator: String,
    #[serde(default)]
    pub target: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct GoalsInput {
    /// あるべき姿, one per line.
    #[serde(default)]
    pub to_be: Vec<String>,
    #[serde(default)]
    pub as_is: Vec<AsIs>,
    #[serde(default)]
    pub purposes: Vec<Purpose>,
    #[serde(default)]
    pub hub_agency_id: Option<String>,
    /// 中核機関のキーマン.
    #[serde(default)]
    pub hub_people: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Goals {
    pub id: String,
    pub version: i64,
    #[serde(flatten)]
    pub input: GoalsInput,
    pub hub_agency_name: Option<String>,
    pub created_by: String,
    pub created_at: String,
}

pub async fn goal_versions(db: &Db, ctx: &Ctx) -> AppResult<Vec<Goals>> {
    let t = reader(ctx)?;
    let rows = sqlx::query(
        "SELECT g.id, g.version, g.to_be, g.as_is, g.purposes, g.hub_agency_id, a.name AS hub_name, g.hub_people, g.note, g.created_by, g.created_at \
         FROM collaboration_goals g LEFT JOIN agencies a ON a.id = g.hub_agency_id WHERE g.tenant_id = $1 ORDER BY g.version DESC",
    )
    .bind(t)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .iter()
        .map(|r| Goals {
            id: r.get("id"),
            version: r.get("version"),
            input: GoalsInput {
                to_be: serde_json::from_str(r.get::<String, _>("to_be").as_str())
                    .unwrap_or_default(),
                as_is: serde_json::from_str(r.get::<String, _>("as_is").as_str())
                    .unwrap_or_default(),
                purposes: serde_json::from_str(r.get::<String, _>("purposes").as_str())
                    .unwrap_or_default(),
                hub_agency_id: r.get("hub_agency_id"),
                hub_people: r.get("hub_people"),
                note: r.get("note"),
            },
            hub_agency_name: r.get("hub_name"),
            created_by: r.get("created_by"),
            created_at: r.get("created_at"),
        })
        .collect())
}

/// Saves a new version of the tenant's collaboration goals (earlier versions kept).
pub async fn save_goals(db: &Db, ctx: &Ctx, g: &GoalsInput) -> AppResult<i64> {
    let t = writer(ctx)?.clone();
    let to_be: Vec<String> = g
        .to_be
        .iter()
        .map(|s| clean(s))
        .filter(|s| !s.is_empty())
        .collect();
    let as_is: Vec<AsIs> = g
        .as_is
        .iter()
        .map(|a| AsIs {
            text: clean(&a.text),
            source: clean(&a.source),
        })
        .filter(|a| !a.text.is_empty())
        .collect();
    let purposes: Vec<Purpose> = g
        .purposes
        .iter()
        .map(|p| Purpose {
            text: clean(&p.text),
            indicator: clean(&p.indicator),
            target: clean(&p.target),
        })
        .filter(|p| !p.text.is_empty())
        .collect();
    let mut errs = vec![];
    if to_be.is_empty() {
        errs.push(FieldError::new(
            "to_be",
            "あるべき姿を一つ以上書いてください。",
        ));
    }
    if purposes.is_empty() {
        errs.push(FieldError::new(
            "purposes",
            "連携目的を一つ以上書いてください。",
        ));
    }
    for (i, p) in purposes.iter().enumerate() {
        if p.indicator.is_empty() {
            errs.push(FieldError::new(
                "purposes",
                format!(
                    "連携目的 {} の「進み具合を示す指標」を書いてください（例: 欠席日数の変化）。",
                    i + 1
                ),
            ));
        }
        if p.text.chars().count() > 120 {
            errs.push(FieldError::new("purposes", format!("連携目的 {} は120文字以内の短い文にしてください（異動があっても誰が読んでも同じ意味になるように）。", i + 1)));
        }
    }
    let all: Vec<String> = to_be
        .iter()
        .cloned()
        .chain(as_is.iter().map(|a| a.text.clone()))
        .chain(
            purposes
                .iter()
                .map(|p| format!("{} {} {}", p.text, p.indicator, p.target)),
        )
        .chain([g.hub_people.clone(), g.note.clone()])
        .collect();
    let refs: Vec<(&str, &str)> = all.iter().map(|s| ("goals", s.as_str())).collect();
    check_texts(&mut errs, &refs, 10_000);
    let hub = g.hub_agency_id.clone().filter(|s| !s.is_empty());
    if let Some(h) = &hub {
        let ok: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM agencies WHERE id = $1 AND tenant_id = $2 AND deleted_at IS NULL",
        )
        .bind(h)
        .bind(&t)
        .fetch_one(&db.pool)
        .await?;
        if ok == 0 {
            errs.push(FieldError::new(
                "hub_agency_id",
                "中核機関は関係機関台帳から選んでください。",
            ));
        }
    }
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let mut tx = db.begin_write().await?;
    let v: i64 = sqlx::query_scalar(
        "SELECT COALESCE(MAX(version), 0) + 1 FROM collaboration_goals WHERE tenant_id = $1",
    )
    .bind(&t)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query("INSERT INTO collaboration_goals (id, tenant_id, version, to_be, as_is, purposes, hub_agency_id, hub_people, note, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
        .bind(new_id())
        .bind(&t)
        .bind(v)
        .bind(serde_json::to_string(&to_be).unwrap_or_default())
        .bind(serde_json::to_string(&as_is).unwrap_or_default())
        .bind(serde_json::to_string(&purposes).unwrap_or_default())
        .bind(&hub)
        .bind(clean(&g.hub_people))
        .bind(g.note.trim())
        .bind(&ctx.display_name)
        .bind(time::now_db())
        .execute(&mut *tx)
        .await?;
    audit::commit(
        tx,
        Entry::new(ctx, Some(&t), "goals.save", "collaboration_goals", &t)
            .detail(&format!("第{v}版")),
    )
    .await?;
    Ok(v)
}

// ---------------------------------------------------------------- councils

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CouncilInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub purpose: String,
    /// 所掌部署
    #[serde(default)]
    pub department: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Council {
    pub id: String,
    #[serde(flatten)]
    pub input: CouncilInput,
    pub member_count: i64,
    pub created_at: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MemberInput {
    #[serde(default)]
    pub person_name: String,
    #[serde(default)]
    pub agency_id: Option<String>,
    /// 所属 (required)
    #[serde(default)]
    pub affiliation: String,
    /// 分野
    #[serde(default)]
    pub field: String,
    /// 専門領域
    #[serde(default)]
    pub specialty: String,
    /// 役割 (会長, 委員 …)
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub term_from: String,
    #[serde(default)]
    pub term_to: String,
    /// How many other councils this person sits on.
    #[serde(default)]
    pub other_councils: i64,
    #[serde(default)]
    pub observer: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Member {
    pub id: String,
    #[serde(flatten)]
    pub input: MemberInput,
}

#[derive(Debug, Clone, Serialize)]
pub struct CouncilDetail {
    #[serde(flatten)]
    pub council: Council,
    pub members: Vec<Member>,
    pub composition: Composition,
    pub meetings: Vec<MeetingSummary>,
}

pub async fn list_councils(db: &Db, ctx: &Ctx) -> AppResult<Vec<Council>> {
    let t = reader(ctx)?;
    let rows = sqlx::query(
        "SELECT c.id, c.name, c.kind, c.purpose, c.department, c.created_at, (SELECT COUNT(*) FROM council_members m WHERE m.council_id = c.id) AS n \
         FROM councils c WHERE c.tenant_id = $1 ORDER BY c.created_at",
    )
    .bind(t)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.iter().map(council_from_row).collect())
}

fn council_from_row(r: &sqlx::any::AnyRow) -> Council {
    Council {
        id: r.get("id"),
        input: CouncilInput {
            name: r.get("name"),
            kind: r.get("kind"),
            purpose: r.get("purpose"),
            department: r.get("department"),
        },
        member_count: r.get("n"),
        created_at: r.get("created_at"),
    }
}

pub async fn get_council(db: &Db, ctx: &Ctx, id: &str) -> AppResult<CouncilDetail> {
    let t = reader(ctx)?;
    let row = sqlx::query(
        "SELECT c.id, c.name, c.kind, c.purpose, c.department, c.created_at, (SELECT COUNT(*) FROM council_members m WHERE m.council_id = c.id) AS n \
         FROM councils c WHERE c.id = $1 AND c.tenant_id = $2",
    )
    .bind(id)
    .bind(t)
    .fetch_optional(&db.pool)
    .await?
    .ok_or(AppError::NotFound)?;
    let members: Vec<Member> = sqlx::query(
        "SELECT id, person_name, agency_id, affiliation, field, specialty, role, term_from, term_to, other_councils, observer FROM council_members \
         WHERE council_id = $1 AND tenant_id = $2 ORDER BY position",
    )
    .bind(id)
    .bind(t)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(|m| Member {
        id: m.get("id"),
        input: MemberInput {
            person_name: m.get("person_name"),
            agency_id: m.get("agency_id"),
            affiliation: m.get("affiliation"),
            field: m.get("field"),
            specialty: m.get("specialty"),
            role: m.get("role"),
            term_from: m.get::<Option<String>, _>("term_from").unwrap_or_default(),
            term_to: m.get::<Option<String>, _>("term_to").unwrap_or_default(),
            other_councils: m.get("other_councils"),
            observer: m.get::<i64, _>("observer") != 0,
        },
    })
    .collect();
    let composition = model::composition(
        &members
            .iter()
            .map(|m| MemberForCheck {
                name: m.input.person_name.clone(),
                affiliation: m.input.affiliation.clone(),
                field: m.input.field.clone(),
                specialty: m.input.specialty.clone(),
                other_councils: m.input.other_councils,
                observer: m.input.observer,
            })
            .collect::<Vec<_>>(),
    );
    let meetings = list_meetings(db, ctx, Some(id)).await?;
    Ok(CouncilDetail {
        council: council_from_row(&row),
        members,
        composition,
        meetings,
    })
}

pub async fn create_council(db: &Db, ctx: &Ctx, c: &CouncilInput) -> AppResult<String> {
    let t = writer(ctx)?.clone();
    let c = CouncilInput {
        name: clean(&c.name),
        kind: clean(&c.kind),
        purpose: c.purpose.trim().to_string(),
        department: clean(&c.department),
    };
    let mut errs = vec![];
    if c.name.is_empty() {
        errs.push(FieldError::new("name", "協議会の名称を入力してください。"));
    }
    if !model::COUNCIL_KINDS.contains(&c.kind.as_str()) {
        errs.push(FieldError::new(
            "kind",
            format!(
                "種類は {} から選んでください。",
                model::COUNCIL_KINDS.join("・")
            ),
        ));
    }
    if c.purpose.is_empty() {
        errs.push(FieldError::new("purpose", "開催目的を書いてください。"));
    }
    check_texts(
        &mut errs,
        &[
            ("name", &c.name),
            ("purpose", &c.purpose),
            ("department", &c.department),
        ],
        10_000,
    );
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let id = new_id();
    let now = time::now_db();
    let mut tx = db.begin_write().await?;
    sqlx::query("INSERT INTO councils (id, tenant_id, name, kind, purpose, department, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)")
        .bind(&id)
        .bind(&t)
        .bind(&c.name)
        .bind(&c.kind)
        .bind(&c.purpose)
        .bind(&c.department)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
    audit::commit(
        tx,
        Entry::new(ctx, Some(&t), "council.create", "council", &id).detail(&c.name),
    )
    .await?;
    Ok(id)
}

pub async fn add_member(
    db: &Db,
    ctx: &Ctx,
    council_id: &str,
    m: &MemberInput,
) -> AppResult<String> {
    let t = writer(ctx)?.clone();
    let mut m = MemberInput {
        person_name: clean(&m.person_name),
        affiliation: clean(&m.affiliation),
        field: clean(&m.field),
        specialty: clean(&m.specialty),
        role: clean(&m.role),
        ..m.clone()
    };
    let mut errs = vec![];
    if m.person_name.is_empty() {
        errs.push(FieldError::new("person_name", "氏名を入力してください。"));
    }
    let agency = m.agency_id.clone().filter(|s| !s.is_empty());
    if let Some(a) = &agency {
        match sqlx::query("SELECT name, field FROM agencies WHERE id = $1 AND tenant_id = $2 AND deleted_at IS NULL").bind(a).bind(&t).fetch_optional(&db.pool).await? {
            Some(r) => {
                if m.affiliation.is_empty() {
                    m.affiliation = r.get("name");
                }
                if m.field.is_empty() {
                    m.field = r.get("field");
                }
            }
            None => errs.push(FieldError::new("agency_id", "所属機関は関係機関台帳から選んでください。")),
        }
    }
    if m.affiliation.is_empty() {
        errs.push(FieldError::new(
            "affiliation",
            "所属を入力してください（所属のない構成員は登録できません）。",
        ));
    }
    if m.field.is_empty() {
        errs.push(FieldError::new("field", "分野を選んでください。"));
    }
    if !(0..=50).contains(&m.other_councils) {
        errs.push(FieldError::new(
            "other_councils",
            "他の協議会の数は 0〜50 で入力してください。",
        ));
    }
    let from = opt_date_db("term_from", "任期（開始）", &m.term_from, &mut errs);
    let to = opt_date_db("term_to", "任期（終了）", &m.term_to, &mut errs);
    check_texts(
        &mut errs,
        &[
            ("person_name", &m.person_name),
            ("affiliation", &m.affiliation),
            ("role", &m.role),
            ("specialty", &m.specialty),
        ],
        10_000,
    );
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let mut tx = db.begin_write().await?;
    let ok: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM councils WHERE id = $1 AND tenant_id = $2")
            .bind(council_id)
            .bind(&t)
            .fetch_one(&mut *tx)
            .await?;
    if ok == 0 {
        return Err(AppError::NotFound);
    }
    let pos: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM council_members WHERE council_id = $1")
        .bind(council_id)
        .fetch_one(&mut *tx)
        .await?;
    let id = new_id();
    sqlx::query(
        "INSERT INTO council_members (id, tenant_id, council_id, person_name, agency_id, affiliation, field, specialty, role, term_from, term_to, other_councils, observer, position) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(&id)
    .bind(&t)
    .bind(council_id)
    .bind(&m.person_name)
    .bind(&agency)
    .bind(&m.affiliation)
    .bind(&m.field)
    .bind(&m.specialty)
    .bind(&m.role)
    .bind(from)
    .bind(to)
    .bind(m.other_councils)
    .bind(m.observer as i64)
    .bind(pos)
    .execute(&mut *tx)
    .await?;
    audit::commit(
        tx,
        Entry::new(ctx, Some(&t), "council.member_add", "council", council_id)
            .detail(&m.person_name),
    )
    .await?;
    Ok(id)
}

pub async fn remove_member(db: &Db, ctx: &Ctx, council_id: &str, member_id: &str) -> AppResult<()> {
    let t = writer(ctx)?.clone();
    let mut tx = db.begin_write().await?;
    let n = sqlx::query(
        "DELETE FROM council_members WHERE id = $1 AND council_id = $2 AND tenant_id = $3",
    )
    .bind(member_id)
    .bind(council_id)
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
            "council.member_remove",
            "council",
            council_id,
        )
        .detail(member_id),
    )
    .await?;
    Ok(())
}

// ---------------------------------------------------------------- meetings

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
    let filter = if council_id.is_some() {
        "AND m.council_id = $2"
    } else {
        "AND $2 = $2"
    };
    let rows = sqlx::query(&format!(
        "SELECT m.id, m.council_id, c.name AS council_name, m.kind, m.title, m.starts_at, m.duration_minutes, m.place, m.online, \
         (SELECT COUNT(*) FROM action_items a WHERE a.meeting_id = m.id AND a.status = 'open') AS open_actions \
         FROM meetings m LEFT JOIN councils c ON c.id = m.council_id WHERE m.tenant_id = $1 AND m.kind <> 'case_conference' {filter} ORDER BY m.starts_at DESC"
    ))
    .bind(t)
    .bind(council_id.unwrap_or(""))
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.iter().map(meeting_summary).collect())
}

fn meeting_summary(r: &sqlx::any::AnyRow) -> MeetingSummary {
    MeetingSummary {
        id: r.get("id"),
        council_id: r.get("council_id"),
        council_name: r.get("council_name"),
        kind: r.get("kind"),
        title: r.get("title"),
        starts_at: r.get("starts_at"),
        duration_minutes: r.get("duration_minutes"),
        place: r.get("place"),
        online: r.get::<i64, _>("online") != 0,
        open_actions: r.get("open_actions"),
    }
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
    let summary = meeting_summary(&r);
    let members = match &summary.council_id {
        Some(c) => get_council(db, ctx, c).await?.members,
        None => vec![],
    };
    Ok(Meeting {
        agenda: serde_json::from_str(r.get::<String, _>("agenda").as_str()).unwrap_or_default(),
        record: MeetingRecord {
            attendance: serde_json::from_str(r.get::<String, _>("attendance").as_str())
                .unwrap_or_default(),
            minutes: r.get("minutes"),
            decisions: r.get("decisions"),
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
    let mut sql = String::from(
        "SELECT a.id, a.meeting_id, m.title, a.description, a.owner, a.due_date, a.status FROM action_items a JOIN meetings m ON m.id = a.meeting_id \
         WHERE a.tenant_id = $1 AND m.kind <> 'case_conference'",
    );
    sql.push_str(if meeting_id.is_some() {
        " AND a.meeting_id = $2"
    } else {
        " AND $2 = $2"
    });
    if only_open {
        sql.push_str(" AND a.status = 'open'");
    }
    sql.push_str(" ORDER BY a.status DESC, a.due_date, a.created_at");
    let today = time::today_jst().format("%Y-%m-%d").to_string();
    let rows = sqlx::query(&sql)
        .bind(t)
        .bind(meeting_id.unwrap_or(""))
        .fetch_all(&db.pool)
        .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let due: Option<String> = r.get("due_date");
            let status: String = r.get("status");
            ActionItem {
                id: r.get("id"),
                meeting_id: r.get("meeting_id"),
                meeting_title: r.get("title"),
                description: r.get("description"),
                owner: r.get("owner"),
                overdue: status == "open" && due.as_deref().is_some_and(|d| d < today.as_str()),
                due_date: due.unwrap_or_default(),
                status,
            }
        })
        .collect())
}

// ---------------------------------------------------------------- trainings

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Session {
    /// 13:00-13:30
    #[serde(default)]
    pub time: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub speaker: String,
    #[serde(default)]
    pub content: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Participant {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub affiliation: String,
    #[serde(default)]
    pub field: String,
    /// Group for the group work (1, 2 …).
    #[serde(default)]
    pub group: i64,
    #[serde(default)]
    pub attended: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TrainingInput {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub date: String,
    #[serde(default)]
    pub place: String,
    #[serde(default)]
    pub curriculum: Vec<Session>,
    /// Keys of model::SCENARIOS used in the group work.
    #[serde(default)]
    pub scenarios: Vec<String>,
    #[serde(default)]
    pub participants: Vec<Participant>,
    #[serde(default)]
    pub notes: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Training {
    pub id: String,
    #[serde(flatten)]
    pub input: TrainingInput,
    pub created_at: String,
}

fn validate_training(t: &TrainingInput) -> Result<TrainingInput, Vec<FieldError>> {
    let mut errs = vec![];
    let title = clean(&t.title);
    if title.is_empty() {
        errs.push(FieldError::new("title", "研修会の名称を入力してください。"));
    }
    let date = if t.date.trim().is_empty() {
        errs.push(FieldError::new("date", "開催日を入力してください。"));
        None
    } else {
        opt_date_db("date", "開催日", &t.date, &mut errs)
    };
    let curriculum: Vec<Session> = t
        .curriculum
        .iter()
        .map(|s| Session {
            time: clean(&s.time),
            title: clean(&s.title),
            speaker: clean(&s.speaker),
            content: s.content.trim().to_string(),
        })
        .filter(|s| !s.title.is_empty() || !s.time.is_empty())
        .collect();
    for (i, s) in curriculum.iter().enumerate() {
        if s.title.is_empty() {
            errs.push(FieldError::new(
                "curriculum",
                format!("プログラム {} の内容を書いてください。", i + 1),
            ));
        }
    }
    let scenarios: Vec<String> = t
        .scenarios
        .iter()
        .filter(|k| model::scenario(k).is_some())
        .cloned()
        .collect();
    let participants: Vec<Participant> = t
        .participants
        .iter()
        .map(|p| Participant {
            name: clean(&p.name),
            affiliation: clean(&p.affiliation),
            field: clean(&p.field),
            ..p.clone()
        })
        .filter(|p| !p.name.is_empty())
        .collect();
    for p in &participants {
        if p.affiliation.is_empty() {
            errs.push(FieldError::new(
                "participants",
                format!("参加者「{}」の所属を入力してください。", p.name),
            ));
        }
    }
    let mut texts: Vec<(&str, &str)> =
        vec![("title", &title), ("place", &t.place), ("notes", &t.notes)];
    for s in &curriculum {
        texts.push(("curriculum", &s.title));
        texts.push(("curriculum", &s.content));
        texts.push(("curriculum", &s.speaker));
    }
    for p in &participants {
        texts.push(("participants", &p.name));
        texts.push(("participants", &p.affiliation));
    }
    check_texts(&mut errs, &texts, 10_000);
    match date {
        Some(d) if errs.is_empty() => Ok(TrainingInput {
            title,
            date: d,
            place: clean(&t.place),
            curriculum,
            scenarios,
            participants,
            notes: t.notes.trim().to_string(),
        }),
        _ => Err(errs),
    }
}

pub async fn list_trainings(db: &Db, ctx: &Ctx) -> AppResult<Vec<Training>> {
    let t = reader(ctx)?;
    let rows = sqlx::query("SELECT id, title, date, place, curriculum, scenarios, participants, notes, created_at FROM trainings WHERE tenant_id = $1 ORDER BY date DESC")
        .bind(t)
        .fetch_all(&db.pool)
        .await?;
    Ok(rows.iter().map(training_from_row).collect())
}

fn training_from_row(r: &sqlx::any::AnyRow) -> Training {
    Training {
        id: r.get("id"),
        input: TrainingInput {
            title: r.get("title"),
            date: r.get("date"),
            place: r.get("place"),
            curriculum: serde_json::from_str(r.get::<String, _>("curriculum").as_str())
                .unwrap_or_default(),
            scenarios: serde_json::from_str(r.get::<String, _>("scenarios").as_str())
                .unwrap_or_default(),
            participants: serde_json::from_str(r.get::<String, _>("participants").as_str())
                .unwrap_or_default(),
            notes: r.get("notes"),
        },
        created_at: r.get("created_at"),
    }
}

pub async fn get_training(db: &Db, ctx: &Ctx, id: &str) -> AppResult<Training> {
    let t = reader(ctx)?;
    let r = sqlx::query("SELECT id, title, date, place, curriculum, scenarios, participants, notes, created_at FROM trainings WHERE id = $1 AND tenant_id = $2")
        .bind(id)
        .bind(t)
        .fetch_optional(&db.pool)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(training_from_row(&r))
}

pub async fn save_training(
    db: &Db,
    ctx: &Ctx,
    id: Option<&str>,
    input: &TrainingInput,
) -> AppResult<String> {
    let t = writer(ctx)?.clone();
    let v = validate_training(input).map_err(AppError::Validation)?;
    let now = time::now_db();
    let mut tx = db.begin_write().await?;
    let id = match id {
        Some(id) => {
            let n = sqlx::query("UPDATE trainings SET title = $1, date = $2, place = $3, curriculum = $4, scenarios = $5, participants = $6, notes = $7, updated_at = $8 WHERE id = $9 AND tenant_id = $10")
                .bind(&v.title)
                .bind(&v.date)
                .bind(&v.place)
                .bind(serde_json::to_string(&v.curriculum).unwrap_or_default())
                .bind(serde_json::to_string(&v.scenarios).unwrap_or_default())
                .bind(serde_json::to_string(&v.participants).unwrap_or_default())
                .bind(&v.notes)
                .bind(&now)
                .bind(id)
                .bind(&t)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 0 {
                return Err(AppError::NotFound);
            }
            id.to_string()
        }
        None => {
            let id = new_id();
            sqlx::query("INSERT INTO trainings (id, tenant_id, title, date, place, curriculum, scenarios, participants, notes, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)")
                .bind(&id)
                .bind(&t)
                .bind(&v.title)
                .bind(&v.date)
                .bind(&v.place)
                .bind(serde_json::to_string(&v.curriculum).unwrap_or_default())
                .bind(serde_json::to_string(&v.scenarios).unwrap_or_default())
                .bind(serde_json::to_string(&v.participants).unwrap_or_default())
                .bind(&v.notes)
                .bind(&now)
                .execute(&mut *tx)
                .await?;
            id
        }
    };
    audit::commit(
        tx,
        Entry::new(ctx, Some(&t), "training.save", "training", &id).detail(&v.title),
    )
    .await?;
    Ok(id)
}

// ---------------------------------------------------------------- contracts and monthly reports

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ContractInput {
    #[serde(default)]
    pub contractor_name: String,
    #[serde(default)]
    pub agency_id: Option<String>,
    #[serde(default)]
    pub period_from: String,
    #[serde(default)]
    pub period_to: String,
    #[serde(default)]
    pub services: Vec<String>,
    /// 委託料（円）
    #[serde(default)]
    pub price: i64,
    /// 国庫補助率（%）
    #[serde(default)]
    pub subsidy_percent: i64,
    /// The committee (委員会) council tracking the contract.
    #[serde(default)]
    pub committee_id: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Contract {
    pub id: String,
    #[serde(flatten)]
    pub input: ContractInput,
    pub price_label: String,
    pub tenant_cost_label: String,
    pub staff: Vec<String>,
}

fn contract_from_row(r: &sqlx::any::AnyRow) -> Contract {
    let price: i64 = r.get("price");
    let subsidy: i64 = r.get("subsidy_percent");
    Contract {
        id: r.get("id"),
        price_label: model::yen(price),
        tenant_cost_label: model::yen(price - price * subsidy / 100),
        input: ContractInput {
            contractor_name: r.get("contractor_name"),
            agency_id: r.get("agency_id"),
            period_from: r.get("period_from"),
            period_to: r.get("period_to"),
            services: r
                .get::<String, _>("services")
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            price,
            subsidy_percent: subsidy,
            committee_id: r.get("committee_id"),
        },
        staff: vec![],
    }
}

const CONTRACT_COLS: &str = "id, contractor_name, agency_id, period_from, period_to, services, price, subsidy_percent, committee_id";

/// Contracts the caller may see: all of the tenant (administrators, auditors), or
/// the contractor's own.
pub async fn list_contracts(db: &Db, ctx: &Ctx) -> AppResult<Vec<Contract>> {
    let t = ctx.tenant()?;
    let rows = match ctx.role {
        Role::TenantAdmin | Role::Auditor => sqlx::query(&format!("SELECT {CONTRACT_COLS} FROM contracts WHERE tenant_id = $1 ORDER BY period_from DESC")).bind(t).fetch_all(&db.pool).await?,
        Role::Contractor => {
            sqlx::query(&format!("SELECT {CONTRACT_COLS} FROM contracts WHERE tenant_id = $1 AND id = (SELECT contract_id FROM users WHERE id = $2) ORDER BY period_from DESC"))
                .bind(t)
                .bind(&ctx.user_id)
                .fetch_all(&db.pool)
                .await?
        }
        _ => return Err(AppError::forbidden()),
    };
    let mut out: Vec<Contract> = rows.iter().map(contract_from_row).collect();
    for c in &mut out {
        c.staff = sqlx::query_scalar("SELECT display_name FROM users WHERE contract_id = $1 AND tenant_id = $2 ORDER BY display_name").bind(&c.id).bind(t).fetch_all(&db.pool).await?;
    }
    Ok(out)
}

pub async fn get_contract(db: &Db, ctx: &Ctx, id: &str) -> AppResult<Contract> {
    list_contracts(db, ctx)
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or(AppError::NotFound)
}

pub async fn create_contract(db: &Db, ctx: &Ctx, c: &ContractInput) -> AppResult<String> {
    policy::require(ctx, Action::ManageContracts)?;
    let t = ctx.tenant()?.clone();
    let mut errs = vec![];
    let name = clean(&c.contractor_name);
    if name.is_empty() {
        errs.push(FieldError::new(
            "contractor_name",
            "委託先を入力してください。",
        ));
    }
    let from = opt_date_db("period_from", "契約期間（開始）", &c.period_from, &mut errs);
    let to = opt_date_db("period_to", "契約期間（終了）", &c.period_to, &mut errs);
    if from.is_none() || to.is_none() {
        errs.push(FieldError::new(
            "period_from",
            "契約期間を入力してください。",
        ));
    }
    if let (Some(a), Some(b)) = (&from, &to) {
        if a > b {
            errs.push(FieldError::new(
                "period_to",
                "契約期間の終了が開始より前になっています。",
            ));
        }
    }
    let services: Vec<String> = c
        .services
        .iter()
        .filter(|s| model::SERVICES.contains(&s.as_str()))
        .cloned()
        .collect();
    if services.is_empty() {
        errs.push(FieldError::new(
            "services",
            "委託する事業を一つ以上選んでください。",
        ));
    }
    if c.price < 0 || c.price > 10_000_000_000 {
        errs.push(FieldError::new(
            "price",
            "委託料は 0 円以上で入力してください。",
        ));
    }
    if !(0..=100).contains(&c.subsidy_percent) {
        errs.push(FieldError::new(
            "subsidy_percent",
            "補助率は 0〜100 % で入力してください。",
        ));
    }
    check_texts(&mut errs, &[("contractor_name", &name)], 10_000);
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let id = new_id();
    let now = time::now_db();
    let mut tx = db.begin_write().await?;
    sqlx::query(&format!("INSERT INTO contracts ({CONTRACT_COLS}, tenant_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)"))
        .bind(&id)
        .bind(&name)
        .bind(c.agency_id.clone().filter(|s| !s.is_empty()))
        .bind(from)
        .bind(to)
        .bind(services.join(","))
        .bind(c.price)
        .bind(c.subsidy_percent)
        .bind(c.committee_id.clone().filter(|s| !s.is_empty()))
        .bind(&t)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
    audit::commit(
        tx,
        Entry::new(ctx, Some(&t), "contract.create", "contract", &id).detail(&name),
    )
    .await?;
    Ok(id)
}

/// Scopes a contractor user to a contract (their casework and reports).
pub async fn assign_staff(db: &Db, ctx: &Ctx, contract_id: &str, user_id: &str) -> AppResult<()> {
    policy::require(ctx, Action::ManageContracts)?;
    let t = ctx.tenant()?.clone();
    get_contract(db, ctx, contract_id).await?;
    let mut tx = db.begin_write().await?;
    let n = sqlx::query("UPDATE users SET contract_id = $1 WHERE id = $2 AND tenant_id = $3 AND role = 'contractor'").bind(contract_id).bind(user_id).bind(&t).execute(&mut *tx).await?.rows_affected();
    if n == 0 {
        return Err(AppError::invalid(
            "user_id",
            "委託先職員のアカウントを選んでください。",
        ));
    }
    audit::commit(
        tx,
        Entry::new(ctx, Some(&t), "contract.staff", "contract", contract_id).detail(user_id),
    )
    .await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct ReportInput {
    #[serde(default)]
    pub support_summary: String,
    /// 子どもの変化
    #[serde(default)]
    pub changes: String,
    /// 病院打合せ 3回 など
    #[serde(default)]
    pub meetings_held: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub id: String,
    pub contract_id: String,
    pub month: String,
    pub children_count: i64,
    pub families_count: i64,
    pub consultations: i64,
    #[serde(flatten)]
    pub input: ReportInput,
    pub status: String,
    pub status_label: String,
    pub return_reason: String,
    pub submitted_by: Option<String>,
    pub decided_by: Option<String>,
}

pub async fn reports(db: &Db, ctx: &Ctx, contract_id: &str) -> AppResult<Vec<Report>> {
    get_contract(db, ctx, contract_id).await?;
    let rows = sqlx::query(
        "SELECT id, contract_id, month, children_count, families_count, consultations, support_summary, changes, meetings_held, status, return_reason, submitted_by, decided_by \
         FROM monthly_reports WHERE contract_id = $1 AND tenant_id = $2 ORDER BY month DESC",
    )
    .bind(contract_id)
    .bind(ctx.tenant()?)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let status: String = r.get("status");
            Report {
                id: r.get("id"),
                contract_id: r.get("contract_id"),
                month: r.get("month"),
                children_count: r.get("children_count"),
                families_count: r.get("families_count"),
                consultations: r.get("consultations"),
                input: ReportInput {
                    support_summary: r.get("support_summary"),
                    changes: r.get("changes"),
                    meetings_held: r.get("meetings_held"),
                },
                status_label: model::report_status_label(&status).to_string(),
                status,
                return_reason: r.get("return_reason"),
                submitted_by: r.get("submitted_by"),
                decided_by: r.get("decided_by"),
            }
        })
        .collect())
}

/// Drafts (or refreshes the figures of) the month's report from the contract staff's
/// casework: children and families served, consultations, and meetings held; a new
/// draft's summary starts with the optional services held under the contract.
pub async fn draft_report(db: &Db, ctx: &Ctx, contract_id: &str, month: &str) -> AppResult<String> {
    policy::require(ctx, Action::SubmitReports)?;
    let t = ctx.tenant()?.clone();
    let c = get_contract(db, ctx, contract_id).await?;
    let month = crate::text::nfkc(month.trim());
    if !model::month_in(&month, &c.input.period_from, &c.input.period_to) {
        return Err(AppError::invalid(
            "month",
            format!(
                "{month} は契約期間（{}〜{}）の外です。",
                c.input.period_from, c.input.period_to
            ),
        ));
    }
    let (from, to) = (
        format!("{month}-01T00:00:00"),
        format!("{month}-31T23:59:59.999999Z"),
    );
    let staff: Vec<String> =
        sqlx::query_scalar("SELECT id FROM users WHERE contract_id = $1 AND tenant_id = $2")
            .bind(contract_id)
            .bind(&t)
            .fetch_all(&db.pool)
            .await?;
    let (mut children, mut consultations) = (0i64, 0i64);
    for s in &staff {
        let row = sqlx::query("SELECT COUNT(DISTINCT child_id) AS c, COUNT(*) AS n FROM consultations WHERE tenant_id = $1 AND worker_id = $2 AND at >= $3 AND at <= $4")
            .bind(&t)
            .bind(s)
            .bind(&from)
            .bind(&to)
            .fetch_one(&db.pool)
            .await?;
        children += row.get::<i64, _>("c");
        consultations += row.get::<i64, _>("n");
    }
    let meetings: Vec<String> = sqlx::query_scalar("SELECT title FROM meetings WHERE tenant_id = $1 AND starts_at >= $2 AND starts_at <= $3 AND (council_id = $4 OR kind = 'committee') ORDER BY starts_at")
        .bind(&t)
        .bind(format!("{month}-01"))
        .bind(format!("{month}-31T23:59"))
        .bind(c.input.committee_id.clone().unwrap_or_default())
        .fetch_all(&db.pool)
        .await?;
    // The optional services (努力義務事業) run under the contract that month start the
    // summary of a new draft.
    let services = {
        let mut conn = db.pool.acquire().await?;
        crate::services::store::month_summary(&mut conn, &t, contract_id, &month).await?
    };
    let mut tx = db.begin_write().await?;
    let existing = sqlx::query("SELECT id, status FROM monthly_reports WHERE contract_id = $1 AND month = $2 AND tenant_id = $3").bind(contract_id).bind(&month).bind(&t).fetch_optional(&mut *tx).await?;
    let id = match existing {
        Some(r) => {
            let status: String = r.get("status");
            if status == "submitted" || status == "approved" {
                return Err(AppError::Conflict(format!(
                    "{month} の月次報告は既に{}です。同じ月を二度提出することはできません。",
                    model::report_status_label(&status)
                )));
            }
            let id: String = r.get("id");
            sqlx::query("UPDATE monthly_reports SET children_count = $1, families_count = $1, consultations = $2 WHERE id = $3").bind(children).bind(consultations).bind(&id).execute(&mut *tx).await?;
            id
        }
        None => {
            let id = new_id();
            sqlx::query(
                "INSERT INTO monthly_reports (id, tenant_id, contract_id, month, children_count, families_count, consultations, support_summary, changes, meetings_held, status, return_reason, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $5, $6, $9, '', $7, 'draft', '', $8)",
            )
            .bind(&id)
            .bind(&t)
            .bind(contract_id)
            .bind(&month)
            .bind(children)
            .bind(consultations)
            .bind(meetings.join("、"))
            .bind(time::now_db())
            .bind(services.unwrap_or_default())
            .execute(&mut *tx)
            .await?;
            id
        }
    };
    audit::commit(
        tx,
        Entry::new(ctx, Some(&t), "report.draft", "monthly_report", &id).detail(&month),
    )
    .await?;
    Ok(id)
}

/// Saves the texts of a draft (or returned) report and, when `submit`, submits it.
pub async fn save_report(
    db: &Db,
    ctx: &Ctx,
    report_id: &str,
    r: &ReportInput,
    submit: bool,
) -> AppResult<()> {
    policy::require(ctx, Action::SubmitReports)?;
    let t = ctx.tenant()?.clone();
    let mut errs = vec![];
    check_texts(
        &mut errs,
        &[
            ("support_summary", &r.support_summary),
            ("changes", &r.changes),
            ("meetings_held", &r.meetings_held),
        ],
        10_000,
    );
    if submit && r.support_summary.trim().is_empty() {
        errs.push(FieldError::new(
            "support_summary",
            "支援内容を書いてから提出してください。",
        ));
    }
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let mut tx = db.begin_write().await?;
    let row = sqlx::query("SELECT r.status, r.month FROM monthly_reports r JOIN users u ON u.contract_id = r.contract_id WHERE r.id = $1 AND r.tenant_id = $2 AND u.id = $3")
        .bind(report_id)
        .bind(&t)
        .bind(&ctx.user_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(AppError::NotFound)?;
    let status: String = row.get("status");
    let month: String = row.get("month");
    if status == "submitted" || status == "approved" {
        return Err(AppError::Conflict(format!(
            "{month} の月次報告は既に{}です。同じ月を二度提出することはできません。",
            model::report_status_label(&status)
        )));
    }
    let new_status = if submit { "submitted" } else { status.as_str() };
    sqlx::query("UPDATE monthly_reports SET support_summary = $1, changes = $2, meetings_held = $3, status = $4, submitted_by = $5, submitted_at = $6 WHERE id = $7")
        .bind(r.support_summary.trim())
        .bind(r.changes.trim())
        .bind(r.meetings_held.trim())
        .bind(new_status)
        .bind(submit.then(|| ctx.display_name.clone()))
        .bind(submit.then(time::now_db))
        .bind(report_id)
        .execute(&mut *tx)
        .await?;
    audit::commit(
        tx,
        Entry::new(
            ctx,
            Some(&t),
            if submit {
                "report.submit"
            } else {
                "report.save"
            },
            "monthly_report",
            report_id,
        )
        .detail(&month),
    )
    .await?;
    Ok(())
}

/// The municipality approves a submitted report or returns it with a reason.
pub async fn decide_report(
    db: &Db,
    ctx: &Ctx,
    report_id: &str,
    approve: bool,
    reason: &str,
) -> AppResult<()> {
    policy::require(ctx, Action::ManageContracts)?;
    let t = ctx.tenant()?.clone();
    let reason = clean(reason);
    if !approve && reason.is_empty() {
        return Err(AppError::invalid(
            "reason",
            "差し戻す理由を書いてください。",
        ));
    }
    let mut tx = db.begin_write().await?;
    let status: Option<String> =
        sqlx::query_scalar("SELECT status FROM monthly_reports WHERE id = $1 AND tenant_id = $2")
            .bind(report_id)
            .bind(&t)
            .fetch_optional(&mut *tx)
            .await?;
    match status.as_deref() {
        None => return Err(AppError::NotFound),
        Some("submitted") => {}
        Some(s) => {
            return Err(AppError::Conflict(format!(
                "提出済みの報告だけを承認・差し戻しできます（現在: {}）。",
                model::report_status_label(s)
            )))
        }
    }
    sqlx::query("UPDATE monthly_reports SET status = $1, return_reason = $2, decided_by = $3, decided_at = $4 WHERE id = $5")
        .bind(if approve { "approved" } else { "returned" })
        .bind(&reason)
        .bind(&ctx.display_name)
        .bind(time::now_db())
        .bind(report_id)
        .execute(&mut *tx)
        .await?;
    audit::commit(
        tx,
        Entry::new(
            ctx,
            Some(&t),
            if approve {
                "report.approve"
            } else {
                "report.return"
            },
            "monthly_report",
            report_id,
        )
        .detail(&reason),
    )
    .await?;
    Ok(())
}
