//! Casework SQL. Every read of a child's record passes `child_access` (tenant, role,
//! contractor assignment) and is audited; partners reach children only through
//! referrals addressed to their agency and see only items the family consented to.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::collections::HashMap;
use std::sync::Arc;

use super::model::{self, PlanAction};
use crate::audit::{self, Entry};
use crate::auth::{policy, Action, Ctx, Role};
use crate::db::{Conn, Db, Direct};
use crate::error::{AppResult, FieldError};
use crate::text::clean;
use crate::validate::{check_texts, opt_date};
use crate::{time, AppError};

pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn date_str(d: Option<NaiveDate>) -> Option<String> {
    d.map(|d| d.format("%Y-%m-%d").to_string())
}

pub fn parse_ymd(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

pub use super::access::{begin_child_write, child_access, commit_child_write};
use super::access::{reader, CHILD_VISIBLE};

// ---------------------------------------------------------------- children

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct FamilyInput {
    #[serde(default)]
    pub relation: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub birth_date: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub is_guardian: bool,
    /// きょうだい児 supported by the program too.
    #[serde(default)]
    pub supported: bool,
    #[serde(default)]
    pub notes: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ChildInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub reading: String,
    #[serde(default)]
    pub birth_date: String,
    #[serde(default)]
    pub sex: String,
    #[serde(default)]
    pub disease_group: i64,
    #[serde(default)]
    pub disease_name: String,
    #[serde(default)]
    pub certificate_number: String,
    #[serde(default)]
    pub certificate_from: String,
    #[serde(default)]
    pub certificate_to: String,
    #[serde(default)]
    pub certified_at_18: bool,
    #[serde(default)]
    pub school: String,
    #[serde(default)]
    pub grade: String,
    #[serde(default)]
    pub workplace: String,
    #[serde(default)]
    pub medical_care: String,
    #[serde(default)]
    pub household_notes: String,
    #[serde(default)]
    pub family: Vec<FamilyInput>,
}

struct CleanChild {
    input: ChildInput,
    birth: NaiveDate,
    cert_from: Option<NaiveDate>,
    cert_to: Option<NaiveDate>,
}

fn validate_child(i: &ChildInput) -> Result<CleanChild, Vec<FieldError>> {
    let mut errs = vec![];
    let mut c = ChildInput {
        name: clean(&i.name),
        reading: crate::agencies::model::clean_reading(&i.reading),
        birth_date: String::new(),
        sex: clean(&i.sex),
        disease_group: i.disease_group,
        disease_name: clean(&i.disease_name),
        certificate_number: clean(&i.certificate_number),
        certificate_from: String::new(),
        certificate_to: String::new(),
        certified_at_18: i.certified_at_18,
        school: clean(&i.school),
        grade: clean(&i.grade),
        workplace: clean(&i.workplace),
        medical_care: i.medical_care.trim().to_string(),
        household_notes: i.household_notes.trim().to_string(),
        family: vec![],
    };
    if c.name.is_empty() {
        errs.push(FieldError::new("name", "氏名を入力してください。"));
    }
    if c.reading.is_empty() {
        errs.push(FieldError::new(
            "reading",
            "ふりがなを入力してください（重複の確認と並び順に使います）。",
        ));
    }
    let birth = if i.birth_date.trim().is_empty() {
        errs.push(FieldError::new(
            "birth_date",
            "生年月日を入力してください。",
        ));
        None
    } else {
        opt_date("birth_date", "生年月日", &i.birth_date, &mut errs)
    };
    if let Some(b) = birth {
        if b > time::today_jst() {
            errs.push(FieldError::new(
                "birth_date",
                "生年月日が未来の日付になっています。",
            ));
        }
    }
    if !model::SEXES.iter().any(|(k, _)| *k == c.sex) {
        errs.push(FieldError::new("sex", "性別を選んでください。"));
    }
    if !(1..=16).contains(&c.disease_group) {
        errs.push(FieldError::new(
            "disease_group",
            "疾患群を選んでください（1〜16）。",
        ));
    }
    let cert_from = opt_date(
        "certificate_from",
        "受給者証の有効期間（開始）",
        &i.certificate_from,
        &mut errs,
    );
    let cert_to = opt_date(
        "certificate_to",
        "受給者証の有効期間（終了）",
        &i.certificate_to,
        &mut errs,
    );
    if let (Some(a), Some(b)) = (cert_from, cert_to) {
        if a > b {
            errs.push(FieldError::new(
                "certificate_to",
                "受給者証の有効期間の終了が開始より前になっています。",
            ));
        }
    }
    if !c.certificate_number.is_empty()
        && !c
            .certificate_number
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '-')
    {
        errs.push(FieldError::new(
            "certificate_number",
            "受給者証番号は半角の英数字で入力してください。",
        ));
    }
    for f in &i.family {
        let fm = FamilyInput {
            relation: clean(&f.relation),
            name: clean(&f.name),
            birth_date: String::new(),
            phone: clean(&f.phone),
            is_guardian: f.is_guardian,
            supported: f.supported,
            notes: f.notes.trim().to_string(),
        };
        if fm.relation.is_empty()
            && fm.name.is_empty()
            && fm.phone.is_empty()
            && fm.notes.is_empty()
        {
            continue;
        }
        if fm.relation.is_empty() {
            errs.push(FieldError::new(
                "family",
                format!("家族「{}」の続柄を入力してください。", fm.name),
            ));
        }
        let bd = opt_date("family", "家族の生年月日", &f.birth_date, &mut errs);
        c.family.push(FamilyInput {
            birth_date: date_str(bd).unwrap_or_default(),
            ..fm
        });
    }
    let texts = [
        ("name", &c.name),
        ("disease_name", &c.disease_name),
        ("school", &c.school),
        ("grade", &c.grade),
        ("workplace", &c.workplace),
        ("medical_care", &c.medical_care),
        ("household_notes", &c.household_notes),
    ];
    let texts: Vec<(&str, &str)> = texts.iter().map(|(k, v)| (*k, v.as_str())).collect();
    check_texts(&mut errs, &texts, 4000);
    match birth {
        Some(b) if errs.is_empty() => {
            c.birth_date = b.format("%Y-%m-%d").to_string();
            c.certificate_from = date_str(cert_from).unwrap_or_default();
            c.certificate_to = date_str(cert_to).unwrap_or_default();
            Ok(CleanChild {
                input: c,
                birth: b,
                cert_from,
                cert_to,
            })
        }
        _ => Err(errs),
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ChildSummary {
    pub id: String,
    pub name: String,
    pub reading: String,
    pub birth_date: String,
    pub age: i32,
    pub disease_group: i64,
    pub disease_name: String,
    pub certificate_to: Option<String>,
    /// 令和8年3月31日
    pub certificate_to_label: String,
    pub status: String,
    pub primary_worker: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Worker {
    pub user_id: String,
    pub name: String,
    pub role: String,
    pub is_primary: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Consent {
    pub id: String,
    pub agency_id: String,
    pub agency_name: String,
    pub purpose: String,
    pub items: Vec<String>,
    pub valid_from: String,
    pub valid_to: Option<String>,
    pub method: String,
    pub given_by: String,
    pub recorded_by: String,
    pub revoked_at: Option<String>,
    pub revoke_reason: String,
    pub active: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Child {
    pub id: String,
    #[serde(flatten)]
    pub input: ChildInput,
    pub age: i32,
    pub eligibility: String,
    pub eligibility_warning: Option<String>,
    pub status: String,
    pub version: i64,
    pub workers: Vec<Worker>,
    pub consents: Vec<Consent>,
    pub created_at: String,
    pub updated_at: String,
}

const CHILD_COLS: &str = "id, name, reading, birth_date, sex, disease_group, disease_name, certificate_number, \
     certificate_from, certificate_to, certified_at_18, school, grade, workplace, medical_care, household_notes, status, \
     version, created_at, updated_at";

fn child_input_from_row<'r, R>(r: &'r R) -> ChildInput
where
    R: sqlx::Row,
    &'r str: sqlx::ColumnIndex<R>,
    String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    ChildInput {
        name: r.get("name"),
        reading: r.get("reading"),
        birth_date: r.get("birth_date"),
        sex: r.get("sex"),
        disease_group: r.get("disease_group"),
        disease_name: r.get("disease_name"),
        certificate_number: r.get("certificate_number"),
        certificate_from: r
            .get::<Option<String>, _>("certificate_from")
            .unwrap_or_default(),
        certificate_to: r
            .get::<Option<String>, _>("certificate_to")
            .unwrap_or_default(),
        certified_at_18: r.get::<i64, _>("certified_at_18") != 0,
        school: r.get("school"),
        grade: r.get("grade"),
        workplace: r.get("workplace"),
        medical_care: r.get("medical_care"),
        household_notes: r.get("household_notes"),
        family: vec![],
    }
}

pub fn eligibility_text(birth: &str, certified_at_18: bool) -> (String, Option<String>) {
    match parse_ymd(birth) {
        Some(b) => match model::eligibility(b, time::today_jst(), certified_at_18) {
            model::Eligibility::Eligible => ("対象（18歳未満）".into(), None),
            model::Eligibility::Continued => {
                ("対象（18歳時点の認定により20歳未満まで継続）".into(), None)
            }
            model::Eligibility::NotEligible(w) => ("対象外の可能性".into(), Some(w)),
        },
        None => (String::new(), None),
    }
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct ChildFilter {
    #[serde(default)]
    pub q: String,
    /// Only children assigned to the caller.
    #[serde(default)]
    pub mine: bool,
    #[serde(default)]
    pub limit: Option<i64>,
    #[serde(default)]
    pub offset: Option<i64>,
}

pub async fn list_children(
    db: &Db,
    ctx: &Ctx,
    f: &ChildFilter,
) -> AppResult<(Vec<ChildSummary>, i64)> {
    let t = reader(ctx)?;
    let only_assigned = f.mine || ctx.role == Role::Contractor;
    let q = crate::text::search_key(&f.q);
    let mut where_ = String::from("c.tenant_id = $1");
    if only_assigned {
        where_.push_str(" AND EXISTS (SELECT 1 FROM child_workers w WHERE w.child_id = c.id AND w.user_id = $2)");
    } else {
        where_.push_str(" AND $2 = $2");
    }
    if !q.is_empty() {
        where_
            .push_str(" AND (c.reading LIKE $3 OR c.name LIKE $4 OR c.certificate_number LIKE $4)");
    } else {
        where_.push_str(" AND $3 = $3 AND $4 = $4");
    }
    let like_reading = format!("%{}%", q);
    let like_name = format!("%{}%", clean(&f.q));
    let limit = f.limit.unwrap_or(100).clamp(1, 500);
    let offset = f.offset.unwrap_or(0).max(0);
    let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM children c WHERE {where_}"))
        .bind(t)
        .bind(&ctx.user_id)
        .bind(&like_reading)
        .bind(&like_name)
        .fetch_one(&db.pool)
        .await?;
    let rows = sqlx::query(&format!(
        "SELECT c.id, c.name, c.reading, c.birth_date, c.disease_group, c.disease_name, c.certificate_to, c.status, \
         (SELECT u.display_name FROM child_workers w JOIN users u ON u.id = w.user_id WHERE w.child_id = c.id AND w.is_primary = 1 LIMIT 1) AS primary_worker \
         FROM children c WHERE {where_} ORDER BY c.reading, c.id LIMIT $5 OFFSET $6"
    ))
    .bind(t)
    .bind(&ctx.user_id)
    .bind(&like_reading)
    .bind(&like_name)
    .bind(limit)
    .bind(offset)
    .fetch_all(&db.pool)
    .await?;
    let today = time::today_jst();
    let items = rows
        .iter()
        .map(|r| {
            let birth: String = r.get("birth_date");
            ChildSummary {
                id: r.get("id"),
                name: r.get("name"),
                reading: r.get("reading"),
                age: parse_ymd(&birth)
                    .map(|b| model::age_on(b, today))
                    .unwrap_or(0),
                birth_date: birth,
                disease_group: r.get("disease_group"),
                disease_name: r.get("disease_name"),
                certificate_to_label: r
                    .get::<Option<String>, _>("certificate_to")
                    .as_deref()
                    .and_then(parse_ymd)
                    .map(time::format_wareki)
                    .unwrap_or_default(),
                certificate_to: r.get("certificate_to"),
                status: r.get("status"),
                primary_worker: r.get("primary_worker"),
            }
        })
        .collect();
    audit::record(
        db,
        Entry::new(ctx, Some(t), "child.list", "child", "-").detail(&format!(
            "{} 件{}",
            total,
            if q.is_empty() {
                String::new()
            } else {
                " 検索".into()
            }
        )),
    )
    .await?;
    Ok((items, total))
}

/// A child's whole record (audited as a read of the record).
pub async fn get_child(db: &Db, ctx: &Ctx, id: &str) -> AppResult<Child> {
    let t = reader(ctx)?.clone();
    let mut conn = db.pool.acquire().await?;
    child_access(&mut conn, ctx, id).await?;
    let child = load_child(&mut conn, &t, id).await?;
    drop(conn);
    audit::record(db, Entry::new(ctx, Some(&t), "child.view", "child", id)).await?;
    Ok(child)
}

/// Everything the record page shows about one child.
pub struct RecordPage {
    pub child: Child,
    pub timeline: Vec<TimelineItem>,
    pub referrals: Vec<Referral>,
    pub due: Vec<Due>,
    pub indicators: Vec<Indicator>,
    /// Active staff of the tenant (for the handover form): (user id, "name（role）").
    pub staff: Vec<(String, String)>,
    /// 努力義務事業 the child and family used or are registered for.
    pub services: Vec<crate::services::store::ChildUse>,
    /// The child's case conferences (ケース会議), newest first.
    pub conferences: Vec<crate::conferences::store::ConferenceSummary>,
}

/// The record page of a child in three queries on one connection: the record with the
/// access check; one UNION of its family, workers, consents, indicators, open
/// follow-ups, latest plan review, referrals, case conferences, optional services used
/// and the tenant's staff; the timeline.
/// The read is audited meanwhile. `timeline_limit` items of the timeline; what is due
/// within `due_days`. (Each query to SQLite is a hand-over to sqlx's worker thread, so
/// queries are what a page costs; then columns × rows, as sqlx copies every column's name
/// into every row.)
pub async fn record_page(
    db: &Db,
    ctx: &Ctx,
    id: &str,
    timeline_limit: i64,
    due_days: i64,
) -> AppResult<RecordPage> {
    let t = reader(ctx)?.clone();
    let today = time::today_jst();
    let today_s = today.format("%Y-%m-%d").to_string();
    let until = (today + chrono::Duration::days(due_days))
        .format("%Y-%m-%d")
        .to_string();
    let now = time::now_db();
    let records = db.ext::<RecordCache>();
    let (r, parts) = match &db.direct {
        Direct::Postgres(pg) => {
            // PostgreSQL: on the driver's own pool (db::postgres), the record with the
            // access check, then the rest in one statement while the audit entry is
            // committed.
            let mut conn = pg.reads.get().await?;
            let Some(r) = sqlx::query(&CHILD_SQL)
                .bind(id)
                .bind(&t)
                .bind(i64::from(ctx.role == Role::Contractor))
                .bind(&ctx.user_id)
                .fetch_optional(&mut *conn)
                .await?
            else {
                conn.done();
                return Err(AppError::NotFound);
            };
            let child = ChildRow::from_row(&r);
            let audit = audit::record(db, Entry::new(ctx, Some(&t), "child.view", "child", id));
            let cached = records.get(id, child.revs, timeline_limit);
            let reads = async {
                if let Some(parts) = cached {
                    conn.done();
                    return AppResult::Ok(parts);
                }
                let rows = sqlx::query(&RECORD_PAGE_SQL_REVS)
                    .bind(id)
                    .bind(&t)
                    .bind(timeline_limit)
                    .fetch_all(&mut *conn)
                    .await?;
                conn.done();
                Ok(records.keep(
                    id,
                    timeline_limit,
                    rows.iter().map(Part::from_row).collect(),
                ))
            };
            let (audited, reads) = tokio::join!(audit, reads);
            let parts = reads?;
            audited?;
            (child, parts)
        }
        Direct::Sqlite(readers) => {
            // SQLite: the reads on a read-only connection (db::sqlite): first the record
            // with the access check, then the rest while the audit entry is committed.
            let contractor = i64::from(ctx.role == Role::Contractor);
            let child =
                readers.read(|tx| child_row_sqlite(tx, id, &t, contractor, &ctx.user_id))?;
            // Polled first, the audit entry joins the next group commit before the
            // remaining reads run.
            let audit = audit::record(db, Entry::new(ctx, Some(&t), "child.view", "child", id));
            let cached = records.get(id, child.revs, timeline_limit);
            let reads = async {
                if let Some(parts) = cached {
                    return AppResult::Ok(parts);
                }
                let parts = readers.read(|tx| record_parts_sqlite(tx, id, &t, timeline_limit))?;
                Ok(records.keep(id, timeline_limit, parts))
            };
            let (audited, reads) = tokio::join!(audit, reads);
            let parts = reads?;
            audited?;
            (child, parts)
        }
    };

    let mut input = r.input;
    let status = r.status;
    let (mut family, mut workers, mut consents, mut indicators, mut staff) =
        (vec![], vec![], vec![], vec![], vec![]);
    let (mut follow_ups, mut latest_plan) = (vec![], None::<(i64, Option<String>)>);
    let mut referrals = vec![];
    let mut conferences = vec![];
    let mut services = vec![];
    // The timeline's rows as the timeline's SQL gives them: (at, kind, title, body, who).
    let mut timeline: Vec<[String; 5]> = vec![];
    let (mut agency_of_referral, mut referral_events) = (HashMap::new(), vec![]);
    let child_name = input.name.clone();
    let text = |p: &Part, c: &str| p.text(c);
    for p in parts.iter() {
        let n = |c: &str| p.n(c).unwrap_or(0);
        match p.kind.as_str() {
            "family" => family.push((
                n("n3"),
                FamilyInput {
                    relation: text(p, "a"),
                    name: text(p, "b"),
                    birth_date: text(p, "c"),
                    phone: text(p, "d"),
                    notes: text(p, "e"),
                    is_guardian: n("n1") != 0,
                    supported: n("n2") != 0,
                },
            )),
            "worker" => workers.push(Worker {
                user_id: text(p, "a"),
                name: text(p, "b"),
                role: Role::parse(&text(p, "c"))
                    .map(|r| r.label())
                    .unwrap_or("")
                    .to_string(),
                is_primary: n("n1") != 0,
            }),
            "consent" => {
                let mut c = Consent {
                    id: text(p, "a"),
                    agency_id: text(p, "b"),
                    agency_name: text(p, "c"),
                    purpose: text(p, "d"),
                    items: model::parse_items(&text(p, "e")),
                    valid_from: text(p, "f"),
                    valid_to: p.opt("g"),
                    method: text(p, "h"),
                    given_by: text(p, "i"),
                    recorded_by: text(p, "j"),
                    revoked_at: p.opt("k"),
                    revoke_reason: text(p, "l"),
                    active: false,
                };
                c.active = consent_active(&c, &today_s);
                timeline.push([
                    text(p, "m"),
                    "consent".into(),
                    c.agency_name.clone(),
                    c.purpose.clone(),
                    c.recorded_by.clone(),
                ]);
                consents.push((text(p, "m"), c));
            }
            "indicator" => {
                timeline.push([
                    text(p, "d"),
                    "indicator".into(),
                    format!("{} {}", text(p, "a"), text(p, "b")),
                    n("n1").to_string(),
                    text(p, "f"),
                ]);
                indicators.push((
                    (text(p, "a"), text(p, "b"), text(p, "c")),
                    Indicator {
                        kind: text(p, "a"),
                        period: text(p, "b"),
                        value: n("n1"),
                        note: text(p, "e"),
                    },
                ))
            }
            "follow_up" => {
                timeline.push([
                    text(p, "e"),
                    "follow_up".into(),
                    text(p, "b"),
                    format!("{} ({})", text(p, "d"), text(p, "c")),
                    String::new(),
                ]);
                if p.opt("f").is_none() && text(p, "c") <= until {
                    follow_ups.push((text(p, "a"), text(p, "b"), text(p, "c"), text(p, "d")))
                }
            }
            "plan" => {
                timeline.push([
                    text(p, "a"),
                    "plan".into(),
                    format!("自立支援計画 第{}版", n("n1")),
                    text(p, "b"),
                    text(p, "c"),
                ]);
                if latest_plan.as_ref().is_none_or(|(rev, _)| n("n1") > *rev) {
                    latest_plan = Some((n("n1"), p.opt("d")));
                }
            }
            "referral_event" => referral_events.push([
                text(p, "a"),
                text(p, "b"),
                text(p, "c"),
                text(p, "d"),
                text(p, "e"),
            ]),
            "handover" => timeline.push([
                text(p, "a"),
                "handover".into(),
                format!("{} → {}", text(p, "b"), text(p, "c")),
                text(p, "d"),
                text(p, "b"),
            ]),
            "consultation" => timeline.push([
                text(p, "a"),
                "consultation".into(),
                text(p, "b"),
                text(p, "c"),
                text(p, "d"),
            ]),
            "conference" => {
                if p.opt("d").is_some_and(|at| at <= now) {
                    let reflected = p
                        .n("n3")
                        .map(|r| format!("（結果を自立支援計画 第{r}版に反映）"))
                        .unwrap_or_default();
                    timeline.push([
                        text(p, "d"),
                        "conference".into(),
                        text(p, "b"),
                        format!("{}{reflected}", text(p, "f")),
                        text(p, "g"),
                    ]);
                }
                conferences.push(crate::conferences::store::summary(
                    text(p, "a"),
                    id.to_string(),
                    text(p, "b"),
                    text(p, "f"),
                    text(p, "c"),
                    p.opt("d"),
                    n("n1"),
                    text(p, "e"),
                    n("n2") != 0,
                    p.n("n3"),
                    &now,
                ))
            }
            "staff" => staff.push((text(p, "c"), text(p, "b"), text(p, "a"))),
            "service" => {
                // h: "date start end"; j: "person_kind status created_at registered_by"
                // (no spaces within but in the last).
                let when = text(p, "h");
                let mut w = when.splitn(3, ' ').map(str::to_string);
                let who = text(p, "j");
                let mut k = who.splitn(4, ' ').map(str::to_string);
                let (date, start, end) = (
                    w.next().unwrap_or_default(),
                    w.next().unwrap_or_default(),
                    w.next().unwrap_or_default(),
                );
                let (person_kind, st, created, registered_by) = (
                    k.next().unwrap_or_default(),
                    k.next().unwrap_or_default(),
                    k.next().unwrap_or_default(),
                    k.next().unwrap_or_default(),
                );
                let starts_at = text(p, "m");
                if starts_at <= now {
                    timeline.push([
                        starts_at,
                        "service".into(),
                        format!("{}（{}）", text(p, "d"), text(p, "g")),
                        format!("{person_kind} {} {} {st}", text(p, "k"), text(p, "l")),
                        registered_by,
                    ]);
                }
                let f = |c: &str| text(p, c);
                let u = crate::services::store::child_use(
                    [
                        f("a"),
                        f("b"),
                        f("c"),
                        f("d"),
                        f("e"),
                        f("g"),
                        date,
                        start,
                        end,
                        f("i"),
                        person_kind,
                        f("k"),
                        f("l"),
                        st,
                    ],
                    p.opt("f"),
                    &today_s,
                );
                // The order of child_uses: newest event first, then person kind, then
                // registration.
                services.push((
                    (
                        text(p, "m"),
                        u.person_kind.clone(),
                        created,
                        u.participant_id.clone(),
                    ),
                    u,
                ));
            }
            "referral" => {
                let f = |c: &str| text(p, c);
                agency_of_referral.insert(f("a"), f("c"));
                referrals.push(referral_from([
                    f("a"),
                    id.to_string(),
                    child_name.clone(),
                    f("b"),
                    f("c"),
                    f("d"),
                    f("e"),
                    f("f"),
                    f("g"),
                    f("h"),
                    f("i"),
                    f("j"),
                    f("k"),
                    f("l"),
                ]))
            }
            _ => {}
        }
    }
    for [referral_id, at, to_status, note, actor] in referral_events {
        if let Some(name) = agency_of_referral.get(&referral_id) {
            timeline.push([
                at,
                "referral".into(),
                format!("{name}: {to_status}"),
                note,
                actor,
            ]);
        }
    }
    // Newest first, in the order of TIMELINE_SQL.
    timeline.sort_by(|x, y| {
        y[0].cmp(&x[0])
            .then_with(|| (&x[1], &x[2], &x[3]).cmp(&(&y[1], &y[2], &y[3])))
    });
    timeline.truncate(usize::try_from(timeline_limit).unwrap_or(0));
    let timeline = timeline
        .into_iter()
        .map(|[at, kind, title, body, who]| timeline_item(at, kind, title, body, who))
        .collect();
    // The review date of the latest revision of the plan, when it is due.
    let review = latest_plan.and_then(|(_, d)| d).filter(|d| *d <= until);
    family.sort_by_key(|(pos, _)| *pos);
    input.family = family.into_iter().map(|(_, f)| f).collect();
    sort_workers(&mut workers);
    consents.sort_by(|a, b| (&b.0, &b.1.id).cmp(&(&a.0, &a.1.id)));
    indicators.sort_by(|a, b| a.0.cmp(&b.0));
    let indicators = indicators.into_iter().map(|(_, i)| i).collect();
    // Newest first, as the referral list orders them.
    referrals.sort_by(|a, b| (&b.updated_at, &b.id).cmp(&(&a.updated_at, &a.id)));
    referrals.truncate(500);
    crate::conferences::store::sort_summaries(&mut conferences);
    services.sort_by(|a, b| {
        let (x, y) = (&a.0, &b.0);
        y.0.cmp(&x.0)
            .then_with(|| (&x.1, &x.2, &x.3).cmp(&(&y.1, &y.2, &y.3)))
    });
    let services = services.into_iter().map(|(_, u)| u).collect();

    // What is due for this child, by the same rules as the follow-up list.
    let name = input.name.clone();
    let mut due = vec![];
    follow_ups.sort_by(|a, b| (&a.2, &a.0).cmp(&(&b.2, &b.0)));
    for (fid, kind, date, note) in follow_ups {
        due.push(follow_up_due(
            fid,
            id.into(),
            name.clone(),
            kind,
            date,
            note,
            &today_s,
        ));
    }
    if status == "active" {
        let lookback = (today - chrono::Duration::days(RENEWAL_LOOKBACK_DAYS))
            .format("%Y-%m-%d")
            .to_string();
        let to = &input.certificate_to;
        if !to.is_empty() && *to <= until && *to >= lookback {
            due.push(renewal_due(id.into(), name.clone(), to.clone(), today));
        }
        if let Some(d) = review {
            due.push(review_due(id.into(), name.clone(), d, &today_s));
        }
        due.extend(transition_dues(
            id.into(),
            name.clone(),
            &input.birth_date,
            today,
            due_days,
        ));
    }
    sort_due(&mut due);

    let (eligibility, warning) = eligibility_text(&input.birth_date, input.certified_at_18);
    let child = Child {
        id: r.id,
        age: parse_ymd(&input.birth_date)
            .map(|b| model::age_on(b, today))
            .unwrap_or(0),
        eligibility,
        eligibility_warning: warning,
        input,
        status,
        version: r.version,
        workers,
        consents: consents.into_iter().map(|(_, c)| c).collect(),
        created_at: r.created_at,
        updated_at: r.updated_at,
    };
    Ok(RecordPage {
        child,
        timeline,
        referrals,
        due,
        indicators,
        staff: staff_options(staff),
        services,
        conferences,
    })
}

/// The record page's first read: the record, if the user may see it ($1 child, $2 tenant,
/// $3 1 for contractor staff, $4 the user), with the revision counters of the child's
/// record and of the tenant (migrations/*/0010_record_revisions.sql).
static CHILD_SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT {CHILD_COLS}, c.record_rev, \
         (SELECT t.record_rev FROM tenants t WHERE t.id = c.tenant_id) AS tenant_record_rev \
         FROM children c WHERE {CHILD_VISIBLE}"
    )
});

/// RECORD_PAGE_SQL and, in the same snapshot, the two revision counters (a row of kind
/// 'revs': n1 the child's, n2 the tenant's).
static RECORD_PAGE_SQL_REVS: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "{RECORD_PAGE_SQL} UNION ALL SELECT 'revs', NULL, NULL, NULL, NULL, NULL, NULL, NULL, \
         NULL, NULL, NULL, NULL, NULL, NULL, (SELECT record_rev FROM children WHERE id = $1), \
         (SELECT record_rev FROM tenants WHERE id = $2), CAST(NULL AS BIGINT)"
    )
});

/// What the record page read besides the record, for the children viewed most recently.
/// An entry is used only while both revision counters are what they were when it was
/// read: triggers raise them in the same transaction as any change to what the page
/// shows (migrations/*/0010_record_revisions.sql), whichever process or tool makes it.
/// The access check and the audit entry are never cached.
pub struct RecordCache {
    capacity: usize,
    hits: std::sync::atomic::AtomicU64,
    entries: std::sync::Mutex<(
        HashMap<String, CachedParts>,
        std::collections::VecDeque<String>,
    )>,
}

struct CachedParts {
    revs: (i64, i64),
    limit: i64,
    parts: Arc<Vec<Part>>,
}

/// One per database (`Db::ext`), sized from the environment.
impl Default for RecordCache {
    fn default() -> Self {
        RecordCache::from_env()
    }
}

impl RecordCache {
    /// Room for YORUBE_RECORD_CACHE children (default 2,000; 0 turns the cache off).
    pub fn from_env() -> RecordCache {
        RecordCache::with_capacity(
            std::env::var("YORUBE_RECORD_CACHE")
                .ok()
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(2_000),
        )
    }

    fn with_capacity(capacity: usize) -> RecordCache {
        RecordCache {
            capacity,
            hits: Default::default(),
            entries: Default::default(),
        }
    }

    /// How many record pages were served from the cache so far.
    pub fn hits(&self) -> u64 {
        self.hits.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn get(&self, id: &str, revs: (i64, i64), limit: i64) -> Option<Arc<Vec<Part>>> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let hit = entries
            .0
            .get(id)
            .filter(|c| c.revs == revs && c.limit == limit)
            .map(|c| c.parts.clone());
        if hit.is_some() {
            self.hits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        hit
    }

    /// Keeps what RECORD_PAGE_SQL_REVS returned, under the counters in its 'revs' row: read
    /// in the same snapshot as the rows, not with the record just before.
    fn keep(&self, id: &str, limit: i64, parts: Vec<Part>) -> Arc<Vec<Part>> {
        let revs = parts
            .iter()
            .find(|p| p.kind == "revs")
            .map(|p| (p.n[0].unwrap_or(-1), p.n[1].unwrap_or(-1)))
            .unwrap_or((-1, -1));
        let parts = Arc::new(parts);
        self.put(id, revs, limit, parts.clone());
        parts
    }

    fn put(&self, id: &str, revs: (i64, i64), limit: i64, parts: Arc<Vec<Part>>) {
        if self.capacity == 0 || revs.0 < 0 || revs.1 < 0 {
            return;
        }
        let mut guard = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let (map, order) = &mut *guard;
        let entry = CachedParts { revs, limit, parts };
        if map.insert(id.to_string(), entry).is_none() {
            order.push_back(id.to_string());
        }
        // The oldest first out.
        while map.len() > self.capacity {
            match order.pop_front() {
                Some(old) => {
                    map.remove(&old);
                }
                None => break,
            }
        }
    }
}

struct ChildRow {
    input: ChildInput,
    id: String,
    status: String,
    version: i64,
    created_at: String,
    updated_at: String,
    /// The revision counters of the child's record and of the tenant (RecordCache).
    revs: (i64, i64),
}

impl ChildRow {
    /// From a CHILD_SQL row (the record and the revision counters) read through sqlx.
    fn from_row<'r, R>(r: &'r R) -> ChildRow
    where
        R: sqlx::Row,
        &'r str: sqlx::ColumnIndex<R>,
        String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    {
        ChildRow {
            input: child_input_from_row(r),
            id: r.get("id"),
            status: r.get("status"),
            version: r.get("version"),
            created_at: r.get("created_at"),
            updated_at: r.get("updated_at"),
            revs: (r.get("record_rev"), r.get("tenant_record_rev")),
        }
    }
}

/// One row of RECORD_PARTS: its kind, the text columns a..m and the numbers n1..n3.
struct Part {
    kind: String,
    s: [Option<String>; 13],
    n: [Option<i64>; 3],
}

impl Part {
    fn col(c: &str) -> usize {
        (c.as_bytes()[0] - b'a') as usize
    }
    fn opt(&self, c: &str) -> Option<String> {
        self.s[Part::col(c)].clone()
    }
    fn text(&self, c: &str) -> String {
        self.opt(c).unwrap_or_default()
    }
    fn n(&self, c: &str) -> Option<i64> {
        self.n[(c.as_bytes()[1] - b'1') as usize]
    }
    fn from_row<'r, R>(r: &'r R) -> Part
    where
        R: sqlx::Row,
        usize: sqlx::ColumnIndex<R>,
        String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    {
        Part {
            kind: r.get(0),
            s: std::array::from_fn(|i| r.get::<Option<String>, _>(i + 1)),
            n: std::array::from_fn(|i| r.get::<Option<i64>, _>(i + 14)),
        }
    }
}

/// The record page's first read on SQLite (db::sqlite): the record, if `user_id` may
/// see it (the same SQL as on PostgreSQL).
fn child_row_sqlite(
    tx: &rusqlite::Transaction,
    id: &str,
    t: &str,
    contractor: i64,
    user_id: &str,
) -> AppResult<ChildRow> {
    use crate::db::sqlite::{bind, int, internal, text};
    let mut stmt = tx.prepare_cached(&CHILD_SQL).map_err(internal)?;
    bind(&mut stmt, &[&id, &t, &contractor, &user_id])?;
    let mut rows = stmt.raw_query();
    let r = rows.next().map_err(internal)?.ok_or(AppError::NotFound)?;
    let s = |i: usize| -> AppResult<String> { Ok(text(r, i)?.unwrap_or_default()) };
    let child = ChildRow {
        id: s(0)?,
        input: ChildInput {
            name: s(1)?,
            reading: s(2)?,
            birth_date: s(3)?,
            sex: s(4)?,
            disease_group: int(r, 5)?.unwrap_or(0),
            disease_name: s(6)?,
            certificate_number: s(7)?,
            certificate_from: s(8)?,
            certificate_to: s(9)?,
            certified_at_18: int(r, 10)?.unwrap_or(0) != 0,
            school: s(11)?,
            grade: s(12)?,
            workplace: s(13)?,
            medical_care: s(14)?,
            household_notes: s(15)?,
            family: vec![],
        },
        status: s(16)?,
        version: int(r, 17)?.unwrap_or(0),
        created_at: s(18)?,
        updated_at: s(19)?,
        revs: (int(r, 20)?.unwrap_or(-1), int(r, 21)?.unwrap_or(-1)),
    };
    Ok(child)
}

/// The rest of the record page's reads on SQLite (RECORD_PAGE_SQL_REVS).
fn record_parts_sqlite(
    tx: &rusqlite::Transaction,
    id: &str,
    t: &str,
    timeline_limit: i64,
) -> AppResult<Vec<Part>> {
    use crate::db::sqlite::{bind, int, internal, text};
    let mut stmt = tx.prepare_cached(&RECORD_PAGE_SQL_REVS).map_err(internal)?;
    bind(&mut stmt, &[&id, &t, &timeline_limit])?;
    let mut rows = stmt.raw_query();
    let mut parts = vec![];
    while let Some(r) = rows.next().map_err(internal)? {
        let mut s: [Option<String>; 13] = Default::default();
        for (i, v) in s.iter_mut().enumerate() {
            *v = text(r, i + 1)?;
        }
        parts.push(Part {
            kind: text(r, 0)?.unwrap_or_default(),
            s,
            n: [int(r, 14)?, int(r, 15)?, int(r, 16)?],
        });
    }
    Ok(parts)
}

/// Everything the record page shows besides the record itself, in one statement: one
/// UNION of rows tagged by `kind` with generic columns (text a..m, numbers n1..n3). The
/// timeline is put together from these rows (in `record_page`), so that no table is
/// read twice; only the consultations, by far the most rows, are limited here, to the
/// newest $3 in the timeline's order ($1 child, $2 tenant, $3 the timeline's limit).
const RECORD_PAGE_SQL: &str = "\
SELECT 'family' AS kind, relation AS a, name AS b, birth_date AS c, phone AS d, notes AS e, \
  CAST(NULL AS TEXT) AS f, CAST(NULL AS TEXT) AS g, CAST(NULL AS TEXT) AS h, CAST(NULL AS TEXT) AS i, \
  CAST(NULL AS TEXT) AS j, CAST(NULL AS TEXT) AS k, CAST(NULL AS TEXT) AS l, CAST(NULL AS TEXT) AS m, \
  is_guardian AS n1, supported AS n2, position AS n3 \
  FROM family_members WHERE child_id = $1 AND tenant_id = $2 \
UNION ALL SELECT 'worker', w.user_id, u.display_name, u.role, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, \
  w.is_primary, CAST(NULL AS BIGINT), CAST(NULL AS BIGINT) \
  FROM child_workers w JOIN users u ON u.id = w.user_id WHERE w.child_id = $1 AND w.tenant_id = $2 \
UNION ALL SELECT 'consent', c.id, c.agency_id, a.name, c.purpose, c.items, c.valid_from, c.valid_to, c.method, c.given_by, \
  c.recorded_by, c.revoked_at, c.revoke_reason, c.created_at, CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT) \
  FROM consents c JOIN agencies a ON a.id = c.agency_id WHERE c.child_id = $1 AND c.tenant_id = $2 \
UNION ALL SELECT 'indicator', kind, period, id, recorded_at, note, recorded_by, NULL, NULL, NULL, NULL, NULL, NULL, NULL, \
  value, CAST(NULL AS BIGINT), CAST(NULL AS BIGINT) \
  FROM indicators WHERE child_id = $1 AND tenant_id = $2 \
UNION ALL SELECT 'follow_up', id, kind, due_date, note, created_at, done_at, NULL, NULL, NULL, NULL, NULL, NULL, NULL, CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT) \
  FROM follow_ups WHERE child_id = $1 AND tenant_id = $2 \
UNION ALL SELECT 'plan', created_at, long_term_goal, created_by, review_date, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, \
  revision, CAST(NULL AS BIGINT), CAST(NULL AS BIGINT) \
  FROM support_plans WHERE child_id = $1 AND tenant_id = $2 \
UNION ALL SELECT 'staff', id, display_name, role, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT) \
  FROM users WHERE tenant_id = $2 AND disabled_at IS NULL AND role IN ('nurse', 'support_worker', 'contractor', 'tenant_admin') \
UNION ALL SELECT 'referral', r.id, r.agency_id, a.name, r.purpose, r.shared_items, r.message, r.status, r.reason, r.outcome, \
  r.created_by, r.created_at, r.updated_at, NULL, CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT) \
  FROM referrals r JOIN agencies a ON a.id = r.agency_id WHERE r.child_id = $1 AND r.tenant_id = $2 \
UNION ALL SELECT 'referral_event', e.referral_id, e.at, e.to_status, e.note, e.actor, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT) \
  FROM referral_events e JOIN referrals r ON r.id = e.referral_id WHERE r.child_id = $1 AND e.tenant_id = $2 \
UNION ALL SELECT 'handover', at, from_user, to_user, note, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT) \
  FROM handovers WHERE child_id = $1 AND tenant_id = $2 \
UNION ALL SELECT 'conference', m.id, m.title, m.starts_at, m.starts_utc, m.place, m.purpose, m.created_by, NULL, NULL, NULL, NULL, NULL, NULL, \
  m.duration_minutes, m.online, m.reflected_revision \
  FROM meetings m WHERE m.child_id = $1 AND m.tenant_id = $2 AND m.kind = 'case_conference' \
UNION ALL SELECT 'service', p.id, p.event_id, e.service_id, s.name, s.kind, c.contractor_name, e.title, \
  e.date || ' ' || e.start_time || ' ' || e.end_time, e.place, \
  p.person_kind || ' ' || p.status || ' ' || p.created_at || ' ' || p.registered_by, \
  p.relation, p.person_name, e.starts_at, CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT) \
  FROM service_participants p JOIN service_events e ON e.id = p.event_id AND e.tenant_id = p.tenant_id \
  JOIN optional_services s ON s.id = e.service_id AND s.tenant_id = e.tenant_id \
  LEFT JOIN contracts c ON c.id = s.contract_id AND c.tenant_id = s.tenant_id \
  WHERE p.child_id = $1 AND p.tenant_id = $2 \
UNION ALL SELECT 'consultation', x.at, x.title, x.body, x.who, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT) \
  FROM (SELECT at, method || '・' || kind || '（' || CAST(minutes AS TEXT) || '分）' AS title, \
    notes || CASE WHEN participants = '' AND topics = '' THEN '' ELSE '（参加: ' || participants || '／話題: ' || topics || '）' END AS body, \
    worker_name AS who \
    FROM consultations WHERE child_id = $1 AND tenant_id = $2 ORDER BY at DESC, title, body LIMIT $3) x";

pub(crate) async fn load_child(conn: &mut Conn, t: &str, id: &str) -> AppResult<Child> {
    let r = sqlx::query(&format!(
        "SELECT {CHILD_COLS} FROM children WHERE id = $1 AND tenant_id = $2"
    ))
    .bind(id)
    .bind(t)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::NotFound)?;
    let mut input = child_input_from_row(&r);
    let fam = sqlx::query("SELECT relation, name, birth_date, phone, is_guardian, supported, notes FROM family_members WHERE child_id = $1 AND tenant_id = $2 ORDER BY position")
        .bind(id)
        .bind(t)
        .fetch_all(&mut *conn)
        .await?;
    input.family = fam
        .iter()
        .map(|f| FamilyInput {
            relation: f.get("relation"),
            name: f.get("name"),
            birth_date: f.get::<Option<String>, _>("birth_date").unwrap_or_default(),
            phone: f.get("phone"),
            is_guardian: f.get::<i64, _>("is_guardian") != 0,
            supported: f.get::<i64, _>("supported") != 0,
            notes: f.get("notes"),
        })
        .collect();
    let mut workers = sqlx::query("SELECT w.user_id, u.display_name, u.role, w.is_primary FROM child_workers w JOIN users u ON u.id = w.user_id WHERE w.child_id = $1 AND w.tenant_id = $2 ORDER BY w.is_primary DESC, u.display_name, w.user_id")
        .bind(id)
        .bind(t)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|w| Worker {
            user_id: w.get("user_id"),
            name: w.get("display_name"),
            role: Role::parse(w.get::<String, _>("role").as_str()).map(|r| r.label()).unwrap_or("").to_string(),
            is_primary: w.get::<i64, _>("is_primary") != 0,
        })
        .collect::<Vec<_>>();
    sort_workers(&mut workers);
    let consents = load_consents(conn, t, id).await?;
    let (eligibility, warning) = eligibility_text(&input.birth_date, input.certified_at_18);
    Ok(Child {
        id: r.get("id"),
        age: parse_ymd(&input.birth_date)
            .map(|b| model::age_on(b, time::today_jst()))
            .unwrap_or(0),
        eligibility,
        eligibility_warning: warning,
        input,
        status: r.get("status"),
        version: r.get("version"),
        workers,
        consents,
        created_at: r.get("created_at"),
        updated_at: r.get("updated_at"),
    })
}

pub(crate) async fn load_consents(
    conn: &mut Conn,
    t: &str,
    child_id: &str,
) -> AppResult<Vec<Consent>> {
    let today = time::today_jst().format("%Y-%m-%d").to_string();
    let rows = sqlx::query(
        "SELECT c.id, c.agency_id, a.name AS agency_name, c.purpose, c.items, c.valid_from, c.valid_to, c.method, c.given_by, \
         c.recorded_by, c.revoked_at, c.revoke_reason FROM consents c JOIN agencies a ON a.id = c.agency_id \
         WHERE c.child_id = $1 AND c.tenant_id = $2 ORDER BY c.created_at DESC, c.id DESC",
    )
    .bind(child_id)
    .bind(t)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let mut c = Consent {
                id: r.get("id"),
                agency_id: r.get("agency_id"),
                agency_name: r.get("agency_name"),
                purpose: r.get("purpose"),
                items: model::parse_items(r.get::<String, _>("items").as_str()),
                valid_from: r.get("valid_from"),
                valid_to: r.get("valid_to"),
                method: r.get("method"),
                given_by: r.get("given_by"),
                recorded_by: r.get("recorded_by"),
                revoked_at: r.get("revoked_at"),
                revoke_reason: r.get("revoke_reason"),
                active: false,
            };
            c.active = consent_active(&c, &today);
            c
        })
        .collect())
}

/// In force today: not revoked, and today within its period.
fn consent_active(c: &Consent, today: &str) -> bool {
    c.revoked_at.is_none()
        && c.valid_from.as_str() <= today
        && c.valid_to.as_deref().is_none_or(|v| v >= today)
}

/// Items currently consented for sharing with `agency_id` (union of active consents).
pub async fn consented_items(
    conn: &mut Conn,
    t: &str,
    child_id: &str,
    agency_id: &str,
) -> AppResult<Vec<String>> {
    let mut items: Vec<String> = load_consents(conn, t, child_id)
        .await?
        .into_iter()
        .filter(|c| c.active && c.agency_id == agency_id)
        .flat_map(|c| c.items)
        .collect();
    items.sort();
    items.dedup();
    Ok(items)
}

/// Children with the same reading and birth date (possible duplicates).
pub async fn possible_duplicates(
    db: &Db,
    ctx: &Ctx,
    reading: &str,
    birth_date: &str,
    except: Option<&str>,
) -> AppResult<Vec<(String, String)>> {
    let t = reader(ctx)?;
    let reading = crate::agencies::model::clean_reading(reading);
    let birth = time::parse_date(birth_date)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default();
    let rows = sqlx::query("SELECT id, name FROM children WHERE tenant_id = $1 AND reading = $2 AND birth_date = $3 AND id <> $4")
        .bind(t)
        .bind(&reading)
        .bind(&birth)
        .bind(except.unwrap_or(""))
        .fetch_all(&db.pool)
        .await?;
    Ok(rows.iter().map(|r| (r.get("id"), r.get("name"))).collect())
}

fn family_rows(t: &str, child_id: &str, fam: &[FamilyInput]) -> Vec<Vec<crate::db::Val>> {
    fam.iter()
        .enumerate()
        .map(|(i, f)| {
            vec![
                new_id().into(),
                t.into(),
                child_id.into(),
                (&f.relation).into(),
                (&f.name).into(),
                Some(f.birth_date.clone()).filter(|s| !s.is_empty()).into(),
                (&f.phone).into(),
                f.is_guardian.into(),
                f.supported.into(),
                (&f.notes).into(),
                (i as i64).into(),
            ]
        })
        .collect()
}

/// The columns of the casework tables in the order their bulk rows are built
/// (`db::insert_many`): the store, the demo and the benchmark write the same tables.
pub mod columns {
    pub const CHILDREN: [&str; 21] = [
        "id",
        "tenant_id",
        "name",
        "reading",
        "birth_date",
        "sex",
        "disease_group",
        "disease_name",
        "certificate_number",
        "certificate_from",
        "certificate_to",
        "certified_at_18",
        "school",
        "grade",
        "workplace",
        "medical_care",
        "household_notes",
        "status",
        "version",
        "created_at",
        "updated_at",
    ];

    pub const FAMILY: [&str; 11] = [
        "id",
        "tenant_id",
        "child_id",
        "relation",
        "name",
        "birth_date",
        "phone",
        "is_guardian",
        "supported",
        "notes",
        "position",
    ];

    pub const WORKERS: [&str; 5] = [
        "tenant_id",
        "child_id",
        "user_id",
        "is_primary",
        "assigned_at",
    ];

    pub const CONSENTS: [&str; 13] = [
        "id",
        "tenant_id",
        "child_id",
        "agency_id",
        "purpose",
        "items",
        "valid_from",
        "valid_to",
        "method",
        "given_by",
        "recorded_by",
        "created_at",
        "revoke_reason",
    ];

    pub const CONSULTATIONS: [&str; 15] = [
        "id",
        "tenant_id",
        "child_id",
        "at",
        "method",
        "kind",
        "participants",
        "topics",
        "minutes",
        "destination",
        "notes",
        "next_action",
        "worker_id",
        "worker_name",
        "created_at",
    ];

    pub const PLANS: [&str; 13] = [
        "id",
        "tenant_id",
        "child_id",
        "revision",
        "child_words",
        "guardian_words",
        "long_term_goal",
        "short_term_goals",
        "review_date",
        "actions",
        "note",
        "created_by",
        "created_at",
    ];

    pub const FOLLOW_UPS: [&str; 10] = [
        "id",
        "tenant_id",
        "child_id",
        "kind",
        "due_date",
        "note",
        "assigned_to",
        "done_at",
        "done_by",
        "created_at",
    ];

    pub const REFERRALS: [&str; 15] = [
        "id",
        "tenant_id",
        "child_id",
        "agency_id",
        "purpose",
        "shared_items",
        "message",
        "status",
        "reason",
        "outcome",
        "created_by",
        "created_at",
        "updated_at",
        "accepted_at",
        "closed_at",
    ];

    pub const REFERRAL_EVENTS: [&str; 8] = [
        "id",
        "tenant_id",
        "referral_id",
        "at",
        "actor",
        "from_status",
        "to_status",
        "note",
    ];

    pub const INDICATORS: [&str; 9] = [
        "id",
        "tenant_id",
        "child_id",
        "kind",
        "period",
        "value",
        "note",
        "recorded_by",
        "recorded_at",
    ];

    pub const HANDOVERS: [&str; 7] = [
        "id",
        "tenant_id",
        "child_id",
        "from_user",
        "to_user",
        "note",
        "at",
    ];
}

pub struct Created {
    pub id: String,
    pub duplicates: Vec<(String, String)>,
    pub warning: Option<String>,
}

/// Registers a child; the caller becomes the primary worker.
pub async fn create_child(db: &Db, ctx: &Ctx, input: &ChildInput) -> AppResult<Created> {
    policy::require(ctx, Action::ManageChildren)?;
    let t = ctx.tenant()?.clone();
    let c = validate_child(input).map_err(AppError::Validation)?;
    let duplicates =
        possible_duplicates(db, ctx, &c.input.reading, &c.input.birth_date, None).await?;
    let id = new_id();
    let now = time::now_db();
    let mut tx = db.begin_write().await?;
    insert_child(&mut tx, &t, &id, &c, &now).await?;
    sqlx::query("INSERT INTO child_workers (tenant_id, child_id, user_id, is_primary, assigned_at) VALUES ($1, $2, $3, 1, $4)")
        .bind(&t)
        .bind(&id)
        .bind(&ctx.user_id)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
    commit_child_write(tx, ctx, &t, "child.create", &id, "").await?;
    let (_, warning) = eligibility_text(&c.input.birth_date, c.input.certified_at_18);
    Ok(Created {
        id,
        duplicates,
        warning,
    })
}

async fn insert_child(
    tx: &mut crate::db::Tx,
    t: &str,
    id: &str,
    c: &CleanChild,
    now: &str,
) -> AppResult<()> {
    let i = &c.input;
    sqlx::query(&format!(
        "INSERT INTO children ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, 'active', 1, $18, $18)",
        "id, tenant_id, name, reading, birth_date, sex, disease_group, disease_name, certificate_number, certificate_from, \
         certificate_to, certified_at_18, school, grade, workplace, medical_care, household_notes, status, version, created_at, updated_at"
    ))
    .bind(id)
    .bind(t)
    .bind(&i.name)
    .bind(&i.reading)
    .bind(c.birth.format("%Y-%m-%d").to_string())
    .bind(&i.sex)
    .bind(i.disease_group)
    .bind(&i.disease_name)
    .bind(&i.certificate_number)
    .bind(date_str(c.cert_from))
    .bind(date_str(c.cert_to))
    .bind(i.certified_at_18 as i64)
    .bind(&i.school)
    .bind(&i.grade)
    .bind(&i.workplace)
    .bind(&i.medical_care)
    .bind(&i.household_notes)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    crate::db::insert_many(
        tx,
        "family_members",
        &columns::FAMILY,
        family_rows(t, id, &i.family),
    )
    .await?;
    Ok(())
}

pub async fn update_child(
    db: &Db,
    ctx: &Ctx,
    id: &str,
    input: &ChildInput,
    expected_version: Option<i64>,
) -> AppResult<()> {
    let c = validate_child(input).map_err(AppError::Validation)?;
    let t = ctx.tenant()?.clone();
    let mut tx = begin_child_write(db, ctx, id).await?;
    let version: i64 =
        sqlx::query_scalar("SELECT version FROM children WHERE id = $1 AND tenant_id = $2")
            .bind(id)
            .bind(&t)
            .fetch_one(&mut *tx)
            .await?;
    if expected_version.is_some_and(|v| v != version) {
        return Err(AppError::Conflict("この記録は、あなたが編集している間に他の人が更新しました。最新の内容を確認してから、もう一度保存してください。".into()));
    }
    let i = &c.input;
    sqlx::query(
        "UPDATE children SET name = $1, reading = $2, birth_date = $3, sex = $4, disease_group = $5, disease_name = $6, \
         certificate_number = $7, certificate_from = $8, certificate_to = $9, certified_at_18 = $10, school = $11, grade = $12, \
         workplace = $13, medical_care = $14, household_notes = $15, version = version + 1, updated_at = $16 WHERE id = $17 AND tenant_id = $18",
    )
    .bind(&i.name)
    .bind(&i.reading)
    .bind(c.birth.format("%Y-%m-%d").to_string())
    .bind(&i.sex)
    .bind(i.disease_group)
    .bind(&i.disease_name)
    .bind(&i.certificate_number)
    .bind(date_str(c.cert_from))
    .bind(date_str(c.cert_to))
    .bind(i.certified_at_18 as i64)
    .bind(&i.school)
    .bind(&i.grade)
    .bind(&i.workplace)
    .bind(&i.medical_care)
    .bind(&i.household_notes)
    .bind(time::now_db())
    .bind(id)
    .bind(&t)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM family_members WHERE child_id = $1 AND tenant_id = $2")
        .bind(id)
        .bind(&t)
        .execute(&mut *tx)
        .await?;
    crate::db::insert_many(
        &mut tx,
        "family_members",
        &columns::FAMILY,
        family_rows(&t, id, &i.family),
    )
    .await?;
    commit_child_write(tx, ctx, &t, "child.update", id, "").await?;
    Ok(())
}

// ---------------------------------------------------------------- consent

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ConsentInput {
    pub agency_id: String,
    #[serde(default)]
    pub purpose: String,
    #[serde(default)]
    pub items: Vec<String>,
    #[serde(default)]
    pub valid_from: String,
    #[serde(default)]
    pub valid_to: String,
    /// 書面 or 口頭
    #[serde(default)]
    pub method: String,
    /// Who gave it (本人, 母 …).
    #[serde(default)]
    pub given_by: String,
}

pub async fn add_consent(
    db: &Db,
    ctx: &Ctx,
    child_id: &str,
    c: &ConsentInput,
) -> AppResult<String> {
    let t = ctx.tenant()?.clone();
    let mut errs = vec![];
    let items: Vec<String> = c
        .items
        .iter()
        .filter(|i| model::CONSENT_ITEMS.iter().any(|(k, _)| k == i))
        .cloned()
        .collect();
    if items.is_empty() {
        errs.push(FieldError::new(
            "items",
            "共有してよい項目を一つ以上選んでください。",
        ));
    }
    if clean(&c.purpose).is_empty() {
        errs.push(FieldError::new("purpose", "共有の目的を入力してください。"));
    }
    if !matches!(c.method.as_str(), "書面" | "口頭") {
        errs.push(FieldError::new(
            "method",
            "同意の方法（書面・口頭）を選んでください。",
        ));
    }
    if clean(&c.given_by).is_empty() {
        errs.push(FieldError::new(
            "given_by",
            "同意した人（本人・保護者など）を入力してください。",
        ));
    }
    let from = if c.valid_from.trim().is_empty() {
        Some(time::today_jst())
    } else {
        opt_date("valid_from", "同意の開始日", &c.valid_from, &mut errs)
    };
    let to = opt_date("valid_to", "同意の終了日", &c.valid_to, &mut errs);
    if let (Some(a), Some(b)) = (from, to) {
        if a > b {
            errs.push(FieldError::new(
                "valid_to",
                "同意の終了日が開始日より前になっています。",
            ));
        }
    }
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let mut tx = begin_child_write(db, ctx, child_id).await?;
    let agency_ok: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM agencies WHERE id = $1 AND tenant_id = $2 AND deleted_at IS NULL",
    )
    .bind(&c.agency_id)
    .bind(&t)
    .fetch_one(&mut *tx)
    .await?;
    if agency_ok == 0 {
        return Err(AppError::invalid(
            "agency_id",
            "関係機関を台帳から選んでください。",
        ));
    }
    let id = new_id();
    sqlx::query(
        "INSERT INTO consents (id, tenant_id, child_id, agency_id, purpose, items, valid_from, valid_to, method, given_by, recorded_by, created_at, revoke_reason) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, '')",
    )
    .bind(&id)
    .bind(&t)
    .bind(child_id)
    .bind(&c.agency_id)
    .bind(c.purpose.trim())
    .bind(items.join(","))
    .bind(date_str(from))
    .bind(date_str(to))
    .bind(&c.method)
    .bind(clean(&c.given_by))
    .bind(&ctx.display_name)
    .bind(time::now_db())
    .execute(&mut *tx)
    .await?;
    commit_child_write(
        tx,
        ctx,
        &t,
        "consent.create",
        child_id,
        &format!("{} {}", c.agency_id, items.join(",")),
    )
    .await?;
    Ok(id)
}

pub async fn revoke_consent(
    db: &Db,
    ctx: &Ctx,
    child_id: &str,
    consent_id: &str,
    reason: &str,
) -> AppResult<()> {
    let t = ctx.tenant()?.clone();
    let reason = clean(reason);
    if reason.is_empty() {
        return Err(AppError::invalid(
            "reason",
            "撤回の理由（誰から、どのように申し出があったか）を入力してください。",
        ));
    }
    let mut tx = begin_child_write(db, ctx, child_id).await?;
    let n = sqlx::query("UPDATE consents SET revoked_at = $1, revoked_by = $2, revoke_reason = $3 WHERE id = $4 AND child_id = $5 AND tenant_id = $6 AND revoked_at IS NULL")
        .bind(time::now_db())
        .bind(&ctx.display_name)
        .bind(&reason)
        .bind(consent_id)
        .bind(child_id)
        .bind(&t)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(AppError::NotFound);
    }
    commit_child_write(tx, ctx, &t, "consent.revoke", child_id, consent_id).await?;
    Ok(())
}

// ---------------------------------------------------------------- consultations

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ConsultationInput {
    /// Date and time (JST) as typed; empty = now.
    #[serde(default)]
    pub date: String,
    #[serde(default)]
    pub time: String,
    #[serde(default)]
    pub method: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub participants: Vec<String>,
    #[serde(default)]
    pub topics: Vec<String>,
    #[serde(default)]
    pub minutes: Option<i64>,
    /// For 同行: where the worker went with the family (学校, 病院, ハローワーク …).
    #[serde(default)]
    pub destination: String,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub next_action: String,
    /// When set, a follow-up (re-contact) is scheduled on this date.
    #[serde(default)]
    pub follow_up_date: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Consultation {
    pub id: String,
    pub child_id: String,
    pub at: String,
    pub method: String,
    pub kind: String,
    pub participants: Vec<String>,
    pub topics: Vec<String>,
    pub minutes: i64,
    pub destination: String,
    pub notes: String,
    pub next_action: String,
    pub worker_name: String,
}

fn split_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

pub async fn add_consultation(
    db: &Db,
    ctx: &Ctx,
    child_id: &str,
    c: &ConsultationInput,
) -> AppResult<String> {
    let t = ctx.tenant()?.clone();
    let mut errs = vec![];
    if !model::METHODS.contains(&c.method.as_str()) {
        errs.push(FieldError::new("method", "相談の方法を選んでください。"));
    }
    if !model::KINDS.contains(&c.kind.as_str()) {
        errs.push(FieldError::new("kind", "相談の種類を選んでください。"));
    }
    let participants: Vec<String> = c
        .participants
        .iter()
        .filter(|p| model::PARTICIPANTS.contains(&p.as_str()))
        .cloned()
        .collect();
    let topics: Vec<String> = c
        .topics
        .iter()
        .filter(|p| model::TOPICS.contains(&p.as_str()))
        .cloned()
        .collect();
    let date = if c.date.trim().is_empty() {
        Some(time::today_jst())
    } else {
        opt_date("date", "日付", &c.date, &mut errs)
    };
    let tm = crate::text::nfkc(c.time.trim());
    let hm = if tm.is_empty() {
        Some(time::now().with_timezone(&time::jst()).time())
    } else {
        let t2 = tm.replace('時', ":").replace('分', "");
        chrono::NaiveTime::parse_from_str(&t2, "%H:%M")
            .ok()
            .or_else(|| {
                errs.push(FieldError::new(
                    "time",
                    "時刻は 14:30 の形で入力してください。",
                ));
                None
            })
    };
    if let Some(d) = date {
        if d > time::today_jst() + chrono::Duration::days(1) {
            errs.push(FieldError::new(
                "date",
                "相談の日付が未来になっています。予定はフォローアップとして登録してください。",
            ));
        }
    }
    let minutes = c
        .minutes
        .unwrap_or_else(|| model::default_minutes(&c.method));
    if !(1..=1440).contains(&minutes) {
        errs.push(FieldError::new(
            "minutes",
            "所要時間は 1〜1440 分で入力してください。",
        ));
    }
    if c.method == "同行" && clean(&c.destination).is_empty() {
        errs.push(FieldError::new(
            "destination",
            "同行した先（学校・病院・ハローワークなど）を入力してください。",
        ));
    }
    check_texts(
        &mut errs,
        &[
            ("notes", c.notes.as_str()),
            ("next_action", c.next_action.as_str()),
            ("destination", c.destination.as_str()),
        ],
        10_000,
    );
    let follow = opt_date(
        "follow_up_date",
        "次回の連絡日",
        &c.follow_up_date,
        &mut errs,
    );
    let (Some(date), Some(hm)) = (date, hm) else {
        return Err(AppError::Validation(errs));
    };
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let at_local = date
        .and_time(hm)
        .and_local_timezone(time::jst())
        .single()
        .ok_or_else(|| AppError::invalid("time", "時刻が正しくありません。"))?;
    let at = time::to_db(at_local.with_timezone(&chrono::Utc));
    let id = new_id();
    let mut tx = begin_child_write(db, ctx, child_id).await?;
    sqlx::query(
        "INSERT INTO consultations (id, tenant_id, child_id, at, method, kind, participants, topics, minutes, destination, notes, next_action, worker_id, worker_name, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(&id)
    .bind(&t)
    .bind(child_id)
    .bind(&at)
    .bind(&c.method)
    .bind(&c.kind)
    .bind(participants.join(","))
    .bind(topics.join(","))
    .bind(minutes)
    .bind(clean(&c.destination))
    .bind(c.notes.trim())
    .bind(c.next_action.trim())
    .bind(&ctx.user_id)
    .bind(&ctx.display_name)
    .bind(time::now_db())
    .execute(&mut *tx)
    .await?;
    if let Some(f) = follow {
        insert_follow_up(
            &mut tx,
            &t,
            child_id,
            "recontact",
            f,
            c.next_action.trim(),
            Some(&ctx.user_id),
        )
        .await?;
    }
    commit_child_write(tx, ctx, &t, "consultation.create", child_id, &id).await?;
    Ok(id)
}

pub async fn consultations(
    db: &Db,
    ctx: &Ctx,
    child_id: &str,
    limit: i64,
) -> AppResult<Vec<Consultation>> {
    let t = reader(ctx)?.clone();
    let mut conn = db.pool.acquire().await?;
    child_access(&mut conn, ctx, child_id).await?;
    let rows = sqlx::query(
        "SELECT id, child_id, at, method, kind, participants, topics, minutes, destination, notes, next_action, worker_name \
         FROM consultations WHERE child_id = $1 AND tenant_id = $2 ORDER BY at DESC LIMIT $3",
    )
    .bind(child_id)
    .bind(&t)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.iter().map(consultation_from_row).collect())
}

fn consultation_from_row(r: &sqlx::any::AnyRow) -> Consultation {
    Consultation {
        id: r.get("id"),
        child_id: r.get("child_id"),
        at: r.get("at"),
        method: r.get("method"),
        kind: r.get("kind"),
        participants: split_list(r.get::<String, _>("participants").as_str()),
        topics: split_list(r.get::<String, _>("topics").as_str()),
        minutes: r.get("minutes"),
        destination: r.get("destination"),
        notes: r.get("notes"),
        next_action: r.get("next_action"),
        worker_name: r.get("worker_name"),
    }
}

// ---------------------------------------------------------------- support plans

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct PlanInput {
    #[serde(default)]
    pub child_words: String,
    #[serde(default)]
    pub guardian_words: String,
    #[serde(default)]
    pub long_term_goal: String,
    #[serde(default)]
    pub short_term_goals: String,
    #[serde(default)]
    pub review_date: String,
    #[serde(default)]
    pub actions: Vec<PlanAction>,
    /// Why this revision (見直しの理由).
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub id: String,
    pub revision: i64,
    #[serde(flatten)]
    pub input: PlanInput,
    pub created_by: String,
    pub created_at: String,
}

/// Saves a new revision of the child's plan (earlier revisions are kept).
pub async fn save_plan(db: &Db, ctx: &Ctx, child_id: &str, p: &PlanInput) -> AppResult<i64> {
    let t = ctx.tenant()?.clone();
    let mut errs = vec![];
    if clean(&p.long_term_goal).is_empty() && clean(&p.short_term_goals).is_empty() {
        errs.push(FieldError::new(
            "long_term_goal",
            "長期目標か短期目標を入力してください。",
        ));
    }
    let review = opt_date("review_date", "見直しの予定日", &p.review_date, &mut errs);
    let mut actions = vec![];
    for (i, a) in p.actions.iter().enumerate() {
        let a = PlanAction {
            description: a.description.trim().to_string(),
            owner: clean(&a.owner),
            due_date: a.due_date.clone(),
            status: clean(&a.status),
        };
        if a.description.is_empty() && a.owner.is_empty() {
            continue;
        }
        if a.owner.is_empty() {
            errs.push(FieldError::new(
                "actions",
                format!(
                    "取り組み{}の担当（人または機関）を入力してください。",
                    i + 1
                ),
            ));
        }
        let due = opt_date(
            "actions",
            &format!("取り組み{}の期限", i + 1),
            &a.due_date,
            &mut errs,
        );
        let status = if model::ACTION_STATUSES.contains(&a.status.as_str()) {
            a.status.clone()
        } else {
            "未着手".into()
        };
        actions.push(PlanAction {
            due_date: date_str(due).unwrap_or_default(),
            status,
            ..a
        });
    }
    check_texts(
        &mut errs,
        &[
            ("child_words", p.child_words.as_str()),
            ("guardian_words", p.guardian_words.as_str()),
            ("long_term_goal", p.long_term_goal.as_str()),
            ("short_term_goals", p.short_term_goals.as_str()),
            ("note", p.note.as_str()),
        ],
        10_000,
    );
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let mut tx = begin_child_write(db, ctx, child_id).await?;
    let rev: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(revision), 0) + 1 FROM support_plans WHERE child_id = $1 AND tenant_id = $2")
        .bind(child_id)
        .bind(&t)
        .fetch_one(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO support_plans (id, tenant_id, child_id, revision, child_words, guardian_words, long_term_goal, short_term_goals, review_date, actions, note, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(new_id())
    .bind(&t)
    .bind(child_id)
    .bind(rev)
    .bind(p.child_words.trim())
    .bind(p.guardian_words.trim())
    .bind(p.long_term_goal.trim())
    .bind(p.short_term_goals.trim())
    .bind(date_str(review))
    .bind(serde_json::to_string(&actions).unwrap_or_default())
    .bind(p.note.trim())
    .bind(&ctx.display_name)
    .bind(time::now_db())
    .execute(&mut *tx)
    .await?;
    commit_child_write(tx, ctx, &t, "plan.save", child_id, &format!("第{rev}版")).await?;
    Ok(rev)
}

pub async fn plans(db: &Db, ctx: &Ctx, child_id: &str) -> AppResult<Vec<Plan>> {
    let t = reader(ctx)?.clone();
    let mut conn = db.pool.acquire().await?;
    child_access(&mut conn, ctx, child_id).await?;
    let rows = sqlx::query(
        "SELECT id, revision, child_words, guardian_words, long_term_goal, short_term_goals, review_date, actions, note, created_by, created_at \
         FROM support_plans WHERE child_id = $1 AND tenant_id = $2 ORDER BY revision DESC",
    )
    .bind(child_id)
    .bind(&t)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .iter()
        .map(|r| Plan {
            id: r.get("id"),
            revision: r.get("revision"),
            input: PlanInput {
                child_words: r.get("child_words"),
                guardian_words: r.get("guardian_words"),
                long_term_goal: r.get("long_term_goal"),
                short_term_goals: r.get("short_term_goals"),
                review_date: r
                    .get::<Option<String>, _>("review_date")
                    .unwrap_or_default(),
                actions: serde_json::from_str(r.get::<String, _>("actions").as_str())
                    .unwrap_or_default(),
                note: r.get("note"),
            },
            created_by: r.get("created_by"),
            created_at: r.get("created_at"),
        })
        .collect())
}

// ---------------------------------------------------------------- follow-ups

async fn insert_follow_up(
    tx: &mut crate::db::Tx,
    t: &str,
    child_id: &str,
    kind: &str,
    due: NaiveDate,
    note: &str,
    assigned: Option<&str>,
) -> AppResult<String> {
    let id = new_id();
    sqlx::query("INSERT INTO follow_ups (id, tenant_id, child_id, kind, due_date, note, assigned_to, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(&id)
        .bind(t)
        .bind(child_id)
        .bind(kind)
        .bind(due.format("%Y-%m-%d").to_string())
        .bind(note)
        .bind(assigned)
        .bind(time::now_db())
        .execute(&mut **tx)
        .await?;
    Ok(id)
}

pub async fn add_follow_up(
    db: &Db,
    ctx: &Ctx,
    child_id: &str,
    kind: &str,
    due: &str,
    note: &str,
) -> AppResult<String> {
    let t = ctx.tenant()?.clone();
    let mut errs = vec![];
    if !model::FOLLOW_UP_KINDS.iter().any(|(k, _)| *k == kind) {
        errs.push(FieldError::new("kind", "種類を選んでください。"));
    }
    let due = if due.trim().is_empty() {
        errs.push(FieldError::new("due_date", "予定日を入力してください。"));
        None
    } else {
        opt_date("due_date", "予定日", due, &mut errs)
    };
    check_texts(&mut errs, &[("note", note)], 10_000);
    let Some(due) = due.filter(|_| errs.is_empty()) else {
        return Err(AppError::Validation(errs));
    };
    let mut tx = begin_child_write(db, ctx, child_id).await?;
    let id = insert_follow_up(
        &mut tx,
        &t,
        child_id,
        kind,
        due,
        note.trim(),
        Some(&ctx.user_id),
    )
    .await?;
    commit_child_write(tx, ctx, &t, "follow_up.create", child_id, &id).await?;
    Ok(id)
}

pub async fn complete_follow_up(
    db: &Db,
    ctx: &Ctx,
    child_id: &str,
    follow_up_id: &str,
) -> AppResult<()> {
    let t = ctx.tenant()?.clone();
    let mut tx = begin_child_write(db, ctx, child_id).await?;
    let n = sqlx::query("UPDATE follow_ups SET done_at = $1, done_by = $2 WHERE id = $3 AND child_id = $4 AND tenant_id = $5 AND done_at IS NULL")
        .bind(time::now_db())
        .bind(&ctx.display_name)
        .bind(follow_up_id)
        .bind(child_id)
        .bind(&t)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(AppError::NotFound);
    }
    commit_child_write(tx, ctx, &t, "follow_up.done", child_id, follow_up_id).await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct Due {
    /// Set for scheduled follow-ups (can be marked done); computed items have none.
    pub follow_up_id: Option<String>,
    pub child_id: String,
    pub child_name: String,
    pub kind: String,
    pub kind_label: String,
    pub due_date: String,
    pub overdue: bool,
    pub note: String,
}

/// What is due within `days`, and overdue, for the caller (`mine`) or the whole tenant:
/// scheduled follow-ups, plan reviews, certificate renewals and life transitions.
pub async fn due_list(db: &Db, ctx: &Ctx, days: i64, mine: bool) -> AppResult<Vec<Due>> {
    due(db, ctx, days, mine, None).await
}

/// What is due for one child (the record page).
pub async fn child_due(db: &Db, ctx: &Ctx, child_id: &str, days: i64) -> AppResult<Vec<Due>> {
    due(db, ctx, days, false, Some(child_id)).await
}

async fn due(
    db: &Db,
    ctx: &Ctx,
    days: i64,
    mine: bool,
    child: Option<&str>,
) -> AppResult<Vec<Due>> {
    let t = reader(ctx)?.clone();
    let one_child = if child.is_some() {
        " AND c.id = $5"
    } else {
        " AND $5 = $5"
    };
    let one_follow = if child.is_some() {
        " AND f.child_id = $5"
    } else {
        " AND $5 = $5"
    };
    let child_value = child.unwrap_or("");
    let only_assigned = mine || ctx.role == Role::Contractor;
    let today = time::today_jst();
    let until = (today + chrono::Duration::days(days))
        .format("%Y-%m-%d")
        .to_string();
    let today_s = today.format("%Y-%m-%d").to_string();
    let scope = if only_assigned {
        "AND EXISTS (SELECT 1 FROM child_workers w WHERE w.child_id = c.id AND w.user_id = $3)"
    } else {
        "AND $3 = $3"
    };
    let lookback = (today - chrono::Duration::days(RENEWAL_LOOKBACK_DAYS))
        .format("%Y-%m-%d")
        .to_string();
    // Transitions: birthdays 18 and 20, school entry and graduation, within the window.
    let lo = (today - chrono::Duration::days(366 * 20 + 5))
        .format("%Y-%m-%d")
        .to_string();
    let sql_follow_ups = format!(
        "SELECT f.id, f.child_id, c.name, f.kind, f.due_date, f.note FROM follow_ups f JOIN children c ON c.id = f.child_id \
         WHERE f.tenant_id = $1 AND f.done_at IS NULL AND f.due_date <= $2 AND $4 = $4 {scope}{one_follow} ORDER BY f.due_date, f.id"
    );
    // Certificate renewals (the 水戸市 practice: meet the family at renewal).
    let sql_renewals = format!(
        "SELECT c.id, c.name, c.certificate_to FROM children c WHERE c.tenant_id = $1 AND c.status = 'active' \
         AND c.certificate_to IS NOT NULL AND c.certificate_to <= $2 AND c.certificate_to >= $4 {scope}{one_child}"
    );
    // Plan reviews: the latest revision's review date.
    let sql_reviews = format!(
        "SELECT c.id, c.name, p.review_date FROM support_plans p JOIN children c ON c.id = p.child_id \
         WHERE p.tenant_id = $1 AND c.status = 'active' AND p.review_date IS NOT NULL AND p.review_date <= $2 \
         AND p.revision = (SELECT MAX(p2.revision) FROM support_plans p2 WHERE p2.child_id = p.child_id) AND $4 = $4 {scope}{one_child}"
    );
    let sql_births = format!(
        "SELECT c.id, c.name, c.birth_date FROM children c WHERE c.tenant_id = $1 AND c.status = 'active' AND c.birth_date >= $2 AND $4 = $4 {scope}{one_child}"
    );
    let zero = DueParam::Int(0);
    let queries = [
        (sql_follow_ups.as_str(), until.as_str(), zero.clone()),
        (
            sql_renewals.as_str(),
            until.as_str(),
            DueParam::Text(lookback),
        ),
        (sql_reviews.as_str(), until.as_str(), zero.clone()),
        (sql_births.as_str(), lo.as_str(), zero),
    ];
    let [follow_ups, renewals, reviews, births] = match &db.direct {
        // SQLite: the four in one read transaction on a read-only connection, without
        // handing each row over from sqlx's worker thread.
        Direct::Sqlite(readers) => readers.read(|tx| {
            let mut out: [Vec<Vec<String>>; 4] = Default::default();
            for (rows, (sql, second, fourth)) in out.iter_mut().zip(&queries) {
                *rows = due_rows_sqlite(tx, sql, [&t, second, &ctx.user_id], fourth, child_value)?;
            }
            Ok(out)
        })?,
        // PostgreSQL: the four at once, each on its own pooled connection.
        Direct::Postgres(_) => {
            let [q1, q2, q3, q4] = queries.map(|(sql, second, fourth)| {
                due_rows(db, sql, [&t, second, &ctx.user_id], fourth, child_value)
            });
            let (a, b, c, d) = tokio::try_join!(q1, q2, q3, q4)?;
            [a, b, c, d]
        }
    };
    let mut out = Vec::with_capacity(follow_ups.len() + renewals.len() + reviews.len());
    for r in follow_ups {
        let [id, child_id, name, kind, due_date, note]: [String; 6] = columns(r);
        out.push(follow_up_due(
            id, child_id, name, kind, due_date, note, &today_s,
        ));
    }
    for r in renewals {
        let [id, name, to]: [String; 3] = columns(r);
        out.push(renewal_due(id, name, to, today));
    }
    for r in reviews {
        let [id, name, date]: [String; 3] = columns(r);
        out.push(review_due(id, name, date, &today_s));
    }
    for r in births {
        let [id, name, birth]: [String; 3] = columns(r);
        out.extend(transition_dues(id, name, &birth, today, days));
    }
    sort_due(&mut out);
    Ok(out)
}

/// A row of `due_rows` as an array (its width is the statement's).
fn columns<const N: usize>(r: Vec<String>) -> [String; N] {
    let mut it = r.into_iter();
    std::array::from_fn(|_| it.next().unwrap_or_default())
}

/// The fourth parameter of the follow-up list's reads.
#[derive(Clone)]
enum DueParam {
    Int(i64),
    Text(String),
}

/// One of the follow-up list's reads, as rows of text ($1 tenant, $2 date, $3 user,
/// $4 `fourth`, $5 child or '').
async fn due_rows(
    db: &Db,
    sql: &str,
    [t, second, user]: [&str; 3],
    fourth: DueParam,
    child: &str,
) -> AppResult<Vec<Vec<String>>> {
    let q = sqlx::query(sql).bind(t).bind(second).bind(user);
    let q = match fourth {
        DueParam::Int(n) => q.bind(n),
        DueParam::Text(s) => q.bind(s),
    };
    let rows = q.bind(child).fetch_all(&db.pool).await?;
    Ok(rows
        .iter()
        .map(|r| {
            (0..r.len())
                .map(|i| r.get::<Option<String>, _>(i).unwrap_or_default())
                .collect()
        })
        .collect())
}

/// `due_rows` on one of SQLite's read-only connections (db::sqlite).
fn due_rows_sqlite(
    tx: &rusqlite::Transaction,
    sql: &str,
    [t, second, user]: [&str; 3],
    fourth: &DueParam,
    child: &str,
) -> AppResult<Vec<Vec<String>>> {
    use crate::db::sqlite::{bind, internal, text};
    let mut stmt = tx.prepare_cached(sql).map_err(internal)?;
    let width = stmt.column_count();
    match fourth {
        DueParam::Int(n) => bind(&mut stmt, &[&t, &second, &user, n, &child])?,
        DueParam::Text(s) => bind(&mut stmt, &[&t, &second, &user, s, &child])?,
    }
    let mut rows = stmt.raw_query();
    let mut out = vec![];
    while let Some(r) = rows.next().map_err(internal)? {
        let mut row = Vec::with_capacity(width);
        for i in 0..width {
            row.push(text(r, i)?.unwrap_or_default());
        }
        out.push(row);
    }
    Ok(out)
}

fn sort_due(out: &mut [Due]) {
    out.sort_by(|a, b| {
        a.due_date
            .cmp(&b.due_date)
            .then_with(|| a.child_name.cmp(&b.child_name))
    });
}

/// The oldest certificate expiry still shown as a renewal to follow up.
const RENEWAL_LOOKBACK_DAYS: i64 = 30;

fn follow_up_due(
    id: String,
    child_id: String,
    child_name: String,
    kind: String,
    due_date: String,
    note: String,
    today: &str,
) -> Due {
    Due {
        follow_up_id: Some(id),
        child_id,
        child_name,
        kind_label: model::follow_up_label(&kind).to_string(),
        kind,
        overdue: due_date.as_str() < today,
        due_date,
        note,
    }
}

fn renewal_due(child_id: String, child_name: String, cert_to: String, today: NaiveDate) -> Due {
    Due {
        follow_up_id: None,
        child_id,
        child_name,
        kind: "renewal".into(),
        kind_label: "受給者証の更新".into(),
        overdue: cert_to < today.format("%Y-%m-%d").to_string(),
        note: format!(
            "受給者証の有効期限 {}。更新の手続きの機会に面談を。",
            time::format_wareki(parse_ymd(&cert_to).unwrap_or(today))
        ),
        due_date: cert_to,
    }
}

fn review_due(child_id: String, child_name: String, review_date: String, today: &str) -> Due {
    Due {
        follow_up_id: None,
        child_id,
        child_name,
        kind: "plan_review".into(),
        kind_label: "計画の見直し".into(),
        overdue: review_date.as_str() < today,
        due_date: review_date,
        note: "自立支援計画の見直し予定日です。".into(),
    }
}

fn transition_dues(
    child_id: String,
    child_name: String,
    birth: &str,
    today: NaiveDate,
    days: i64,
) -> Vec<Due> {
    let Some(b) = parse_ymd(birth) else {
        return vec![];
    };
    model::upcoming_transitions(b, today, days)
        .into_iter()
        .map(|(d, label)| Due {
            follow_up_id: None,
            child_id: child_id.clone(),
            child_name: child_name.clone(),
            kind: "transition".into(),
            kind_label: "移行期・節目".into(),
            overdue: false,
            due_date: d.format("%Y-%m-%d").to_string(),
            note: label,
        })
        .collect()
}

// ---------------------------------------------------------------- referrals

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

fn referral_from_row(r: &sqlx::any::AnyRow) -> Referral {
    referral_from(
        [
            "id",
            "child_id",
            "child_name",
            "agency_id",
            "agency_name",
            "purpose",
            "shared_items",
            "message",
            "status",
            "reason",
            "outcome",
            "created_by",
            "created_at",
            "updated_at",
        ]
        .map(|c| r.get::<String, _>(c)),
    )
}

/// A referral from its fields in the order of REFERRAL_COLS.
fn referral_from(f: [String; 14]) -> Referral {
    let [id, child_id, child_name, agency_id, agency_name, purpose, shared_items, message, status, reason, outcome, created_by, created_at, updated_at] =
        f;
    let overdue = status == "sent"
        && time::from_db(&created_at)
            .is_some_and(|c| time::now() - c > chrono::Duration::days(REFERRAL_ACCEPT_DAYS));
    Referral {
        id,
        child_id,
        child_name,
        agency_id,
        agency_name,
        purpose,
        shared_items: model::parse_items(&shared_items),
        message,
        status_label: model::referral_status_label(&status).to_string(),
        status,
        reason,
        outcome,
        created_by,
        created_at,
        updated_label: time::format_datetime(&updated_at),
        updated_at,
        overdue,
        events: vec![],
    }
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
    let mut list: Vec<Referral> = rows.iter().map(referral_from_row).collect();
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
                .map(|r| {
                    format!(
                        "{} {} {}",
                        time::format_datetime(r.get::<String, _>("at").as_str()),
                        r.get::<String, _>("method"),
                        r.get::<String, _>("notes")
                    )
                })
                .collect(),
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
    let mut referral = referral_from_row(&row);
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
        .map(|e| ReferralEvent {
            at: e.get("at"),
            actor: e.get("actor"),
            from_status: e.get("from_status"),
            to_status: e.get("to_status"),
            note: e.get("note"),
        })
        .collect();
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
    let child_id: String = row.get("child_id");
    let agency_id: String = row.get("agency_id");
    let from: String = row.get("status");
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

// ---------------------------------------------------------------- handover

pub async fn handover(
    db: &Db,
    ctx: &Ctx,
    child_id: &str,
    to_user: &str,
    note: &str,
) -> AppResult<()> {
    let t = ctx.tenant()?.clone();
    let note = note.trim();
    if note.is_empty() {
        return Err(AppError::invalid(
            "note",
            "引き継ぎの要点を書いてください（次の担当者が読みます）。",
        ));
    }
    let mut errs = vec![];
    check_texts(&mut errs, &[("note", note)], 10_000);
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let mut tx = begin_child_write(db, ctx, child_id).await?;
    let target = sqlx::query("SELECT id, role, display_name FROM users WHERE id = $1 AND tenant_id = $2 AND disabled_at IS NULL")
        .bind(to_user)
        .bind(&t)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| AppError::invalid("to_user", "引き継ぐ先の職員を選んでください。"))?;
    let role = Role::parse(target.get::<String, _>("role").as_str());
    if !matches!(
        role,
        Some(Role::Nurse | Role::SupportWorker | Role::Contractor | Role::TenantAdmin)
    ) {
        return Err(AppError::invalid(
            "to_user",
            "引き継ぐ先は保健師・自立支援員・委託先職員・事業担当者から選んでください。",
        ));
    }
    let from: Option<String> = sqlx::query_scalar("SELECT u.display_name FROM child_workers w JOIN users u ON u.id = w.user_id WHERE w.child_id = $1 AND w.is_primary = 1")
        .bind(child_id)
        .fetch_optional(&mut *tx)
        .await?;
    let now = time::now_db();
    sqlx::query("UPDATE child_workers SET is_primary = 0 WHERE child_id = $1 AND tenant_id = $2")
        .bind(child_id)
        .bind(&t)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO child_workers (tenant_id, child_id, user_id, is_primary, assigned_at) VALUES ($1, $2, $3, 1, $4) \
         ON CONFLICT (child_id, user_id) DO UPDATE SET is_primary = 1, assigned_at = excluded.assigned_at",
    )
    .bind(&t)
    .bind(child_id)
    .bind(to_user)
    .bind(&now)
    .execute(&mut *tx)
    .await?;
    sqlx::query("INSERT INTO handovers (id, tenant_id, child_id, from_user, to_user, note, at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(new_id())
        .bind(&t)
        .bind(child_id)
        .bind(from.unwrap_or_else(|| ctx.display_name.clone()))
        .bind(target.get::<String, _>("display_name"))
        .bind(note)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
    commit_child_write(tx, ctx, &t, "child.handover", child_id, to_user).await?;
    Ok(())
}

/// Staff a case can be handed to.
pub async fn staff(db: &Db, ctx: &Ctx) -> AppResult<Vec<(String, String)>> {
    let t = reader(ctx)?;
    let rows = sqlx::query("SELECT id, display_name, role FROM users WHERE tenant_id = $1 AND disabled_at IS NULL AND role IN ('nurse', 'support_worker', 'contractor', 'tenant_admin') ORDER BY role, display_name, id")
        .bind(t)
        .fetch_all(&db.pool)
        .await?;
    Ok(staff_options(
        rows.iter()
            .map(|r| (r.get("role"), r.get("display_name"), r.get("id")))
            .collect(),
    ))
}

/// Staff for a select: sorted by role, name and id (bytewise on both engines), each as
/// (user id, "name（role）").
fn staff_options(mut staff: Vec<(String, String, String)>) -> Vec<(String, String)> {
    staff.sort();
    staff
        .into_iter()
        .map(|(role, name, uid)| {
            let role = Role::parse(&role).map(|x| x.label()).unwrap_or("");
            (uid, format!("{name}（{role}）"))
        })
        .collect()
}

fn sort_workers(w: &mut [Worker]) {
    w.sort_by(|a, b| {
        b.is_primary
            .cmp(&a.is_primary)
            .then_with(|| a.name.cmp(&b.name))
            .then_with(|| a.user_id.cmp(&b.user_id))
    });
}

// ---------------------------------------------------------------- ecomap and indicators

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct EcomapNode {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub agency_id: Option<String>,
    /// 関係機関名
    #[serde(default)]
    pub agency_name: String,
    /// 名前
    #[serde(default)]
    pub person_name: String,
    /// 所属
    #[serde(default)]
    pub affiliation: String,
    /// 連絡先
    #[serde(default)]
    pub contact: String,
    /// どんな時に連絡
    #[serde(default)]
    pub when_to_contact: String,
    /// 強み
    #[serde(default)]
    pub strengths: String,
    /// 実施できること
    #[serde(default)]
    pub can_do: String,
    /// 分野 (or 家族 / 友人・地域)
    #[serde(default)]
    pub field: String,
    /// 0 = 関係に課題, 1 = 弱い, 2 = ふつう, 3 = 強い
    #[serde(default)]
    pub strength: i64,
}

pub async fn ecomap(db: &Db, ctx: &Ctx, child_id: &str) -> AppResult<Vec<EcomapNode>> {
    let t = reader(ctx)?.clone();
    let mut conn = db.pool.acquire().await?;
    child_access(&mut conn, ctx, child_id).await?;
    let rows = sqlx::query(
        "SELECT id, agency_id, agency_name, person_name, affiliation, contact, when_to_contact, strengths, can_do, field, strength \
         FROM ecomap_nodes WHERE child_id = $1 AND tenant_id = $2 ORDER BY field, created_at",
    )
    .bind(child_id)
    .bind(&t)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .iter()
        .map(|r| EcomapNode {
            id: r.get("id"),
            agency_id: r.get("agency_id"),
            agency_name: r.get("agency_name"),
            person_name: r.get("person_name"),
            affiliation: r.get("affiliation"),
            contact: r.get("contact"),
            when_to_contact: r.get("when_to_contact"),
            strengths: r.get("strengths"),
            can_do: r.get("can_do"),
            field: r.get("field"),
            strength: r.get("strength"),
        })
        .collect())
}

pub const ECOMAP_FIELDS_EXTRA: [&str; 2] = ["家族", "友人・地域"];

pub async fn add_ecomap_node(
    db: &Db,
    ctx: &Ctx,
    child_id: &str,
    n: &EcomapNode,
) -> AppResult<String> {
    let t = ctx.tenant()?.clone();
    let mut n = EcomapNode {
        agency_name: clean(&n.agency_name),
        person_name: clean(&n.person_name),
        affiliation: clean(&n.affiliation),
        contact: clean(&n.contact),
        when_to_contact: n.when_to_contact.trim().to_string(),
        strengths: n.strengths.trim().to_string(),
        can_do: n.can_do.trim().to_string(),
        field: clean(&n.field),
        ..n.clone()
    };
    let mut errs = vec![];
    if n.agency_name.is_empty()
        && n.person_name.is_empty()
        && n.agency_id.as_deref().unwrap_or("").is_empty()
    {
        errs.push(FieldError::new(
            "agency_name",
            "関係機関名か名前を入力してください。",
        ));
    }
    if !(0..=3).contains(&n.strength) {
        errs.push(FieldError::new("strength", "関係の強さを選んでください。"));
    }
    // Every worksheet field is reported as "ecomap": the form shows one message box.
    for v in [
        &n.agency_name,
        &n.person_name,
        &n.affiliation,
        &n.contact,
        &n.when_to_contact,
        &n.strengths,
        &n.can_do,
    ] {
        check_texts(&mut errs, &[("ecomap", v.as_str())], 2000);
    }
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let mut tx = begin_child_write(db, ctx, child_id).await?;
    if let Some(aid) = n.agency_id.clone().filter(|a| !a.is_empty()) {
        let a = sqlx::query("SELECT name, field FROM agencies WHERE id = $1 AND tenant_id = $2 AND deleted_at IS NULL")
            .bind(&aid)
            .bind(&t)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| AppError::invalid("agency_id", "関係機関を台帳から選んでください。"))?;
        if n.agency_name.is_empty() {
            n.agency_name = a.get("name");
        }
        if n.field.is_empty() {
            n.field = a.get("field");
        }
    } else {
        n.agency_id = None;
    }
    if n.field.is_empty() {
        let family = [
            "母",
            "父",
            "祖母",
            "祖父",
            "姉",
            "兄",
            "妹",
            "弟",
            "おば",
            "おじ",
            "きょうだい",
            "家族",
        ];
        n.field = if family.iter().any(|f| n.affiliation.contains(f)) {
            "家族".into()
        } else {
            "その他".into()
        };
    }
    let id = new_id();
    sqlx::query(
        "INSERT INTO ecomap_nodes (id, tenant_id, child_id, agency_id, agency_name, person_name, affiliation, contact, when_to_contact, strengths, can_do, field, strength, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(&id)
    .bind(&t)
    .bind(child_id)
    .bind(&n.agency_id)
    .bind(&n.agency_name)
    .bind(&n.person_name)
    .bind(&n.affiliation)
    .bind(&n.contact)
    .bind(&n.when_to_contact)
    .bind(&n.strengths)
    .bind(&n.can_do)
    .bind(&n.field)
    .bind(n.strength)
    .bind(time::now_db())
    .execute(&mut *tx)
    .await?;
    commit_child_write(tx, ctx, &t, "ecomap.add", child_id, &id).await?;
    Ok(id)
}

pub async fn remove_ecomap_node(
    db: &Db,
    ctx: &Ctx,
    child_id: &str,
    node_id: &str,
) -> AppResult<()> {
    let t = ctx.tenant()?.clone();
    let mut tx = begin_child_write(db, ctx, child_id).await?;
    let n =
        sqlx::query("DELETE FROM ecomap_nodes WHERE id = $1 AND child_id = $2 AND tenant_id = $3")
            .bind(node_id)
            .bind(child_id)
            .bind(&t)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    if n == 0 {
        return Err(AppError::NotFound);
    }
    commit_child_write(tx, ctx, &t, "ecomap.remove", child_id, node_id).await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct Indicator {
    pub kind: String,
    pub period: String,
    pub value: i64,
    pub note: String,
}

pub async fn indicators(db: &Db, ctx: &Ctx, child_id: &str) -> AppResult<Vec<Indicator>> {
    let t = reader(ctx)?.clone();
    let mut conn = db.pool.acquire().await?;
    child_access(&mut conn, ctx, child_id).await?;
    let rows = sqlx::query("SELECT id, kind, period, value, note FROM indicators WHERE child_id = $1 AND tenant_id = $2")
        .bind(child_id)
        .bind(&t)
        .fetch_all(&mut *conn)
        .await?;
    // Sorted here rather than by SQL: the same (bytewise) order on both engines.
    let mut list: Vec<((String, String, String), Indicator)> = rows
        .iter()
        .map(|r| {
            (
                (r.get("kind"), r.get("period"), r.get("id")),
                Indicator {
                    kind: r.get("kind"),
                    period: r.get("period"),
                    value: r.get("value"),
                    note: r.get("note"),
                },
            )
        })
        .collect();
    list.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(list.into_iter().map(|(_, i)| i).collect())
}

pub async fn add_indicator(
    db: &Db,
    ctx: &Ctx,
    child_id: &str,
    kind: &str,
    period: &str,
    value: i64,
    note: &str,
) -> AppResult<()> {
    let t = ctx.tenant()?.clone();
    let mut errs = vec![];
    if !model::INDICATOR_KINDS.iter().any(|(k, _, _)| *k == kind) {
        errs.push(FieldError::new("kind", "指標を選んでください。"));
    }
    let period = clean(period);
    if period.is_empty() || period.chars().count() > 30 {
        errs.push(FieldError::new(
            "period",
            "期間（例: 令和7年度1学期、2025-06）を入力してください。",
        ));
    }
    match kind {
        "family_burden" if !(1..=5).contains(&value) => errs.push(FieldError::new(
            "value",
            "家族の負担感は 1〜5 で入力してください。",
        )),
        "absence_days" if !(0..=366).contains(&value) => errs.push(FieldError::new(
            "value",
            "欠席日数は 0〜366 で入力してください。",
        )),
        _ => {}
    }
    check_texts(
        &mut errs,
        &[("period", period.as_str()), ("note", note)],
        2000,
    );
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let mut tx = begin_child_write(db, ctx, child_id).await?;
    sqlx::query("INSERT INTO indicators (id, tenant_id, child_id, kind, period, value, note, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
        .bind(new_id())
        .bind(&t)
        .bind(child_id)
        .bind(kind)
        .bind(&period)
        .bind(value)
        .bind(note.trim())
        .bind(&ctx.display_name)
        .bind(time::now_db())
        .execute(&mut *tx)
        .await?;
    commit_child_write(
        tx,
        ctx,
        &t,
        "indicator.add",
        child_id,
        &format!("{kind} {period} {value}"),
    )
    .await?;
    Ok(())
}

// ---------------------------------------------------------------- timeline

#[derive(Debug, Clone, Serialize)]
pub struct TimelineItem {
    pub at: String,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub by: String,
}

/// One chronological view of a child's consultations, plans, referrals, follow-ups,
/// consents, handovers, indicators, the optional services used and the case conferences
/// held (past events only; newest first).
pub async fn timeline(
    db: &Db,
    ctx: &Ctx,
    child_id: &str,
    limit: i64,
) -> AppResult<Vec<TimelineItem>> {
    let t = reader(ctx)?.clone();
    let mut conn = db.pool.acquire().await?;
    child_access(&mut conn, ctx, child_id).await?;
    timeline_on(&mut conn, &t, child_id, limit).await
}

/// The timeline of a child whose access has been checked.
async fn timeline_on(
    conn: &mut Conn,
    t: &str,
    child_id: &str,
    limit: i64,
) -> AppResult<Vec<TimelineItem>> {
    let rows = sqlx::query(&TIMELINE_SQL)
        .bind(child_id)
        .bind(t)
        .bind(limit)
        .bind(time::now_db())
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows
        .iter()
        .map(|r| {
            timeline_item(
                r.get("at"),
                r.get("kind"),
                r.get("title"),
                r.get("body"),
                r.get("who"),
            )
        })
        .collect())
}

/// A child's timeline, newest first ($1 child, $2 tenant, $3 limit, $4 now).
static TIMELINE_SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!("SELECT at, kind, title, body, who FROM ({TIMELINE_UNION}) x ORDER BY at DESC, kind, title, body LIMIT $3")
});

/// Everything that happened to a child, as (at, kind, title, body, who) rows
/// ($1 child, $2 tenant, $4 now: optional-service events and case conferences up to now).
const TIMELINE_UNION: &str = "\
           SELECT at, 'consultation' AS kind, method || '・' || kind || '（' || CAST(minutes AS TEXT) || '分）' AS title, \
             notes || CASE WHEN participants = '' AND topics = '' THEN '' ELSE '（参加: ' || participants || '／話題: ' || topics || '）' END AS body, worker_name AS who \
             FROM consultations WHERE child_id = $1 AND tenant_id = $2 \
           UNION ALL SELECT created_at, 'plan', '自立支援計画 第' || CAST(revision AS TEXT) || '版', long_term_goal, created_by FROM support_plans WHERE child_id = $1 AND tenant_id = $2 \
           UNION ALL SELECT e.at, 'referral', a.name || ': ' || e.to_status, e.note, e.actor FROM referral_events e JOIN referrals r ON r.id = e.referral_id JOIN agencies a ON a.id = r.agency_id WHERE r.child_id = $1 AND e.tenant_id = $2 \
           UNION ALL SELECT created_at, 'follow_up', kind, note || ' (' || due_date || ')', '' FROM follow_ups WHERE child_id = $1 AND tenant_id = $2 \
           UNION ALL SELECT c.created_at, 'consent', a.name, c.purpose, c.recorded_by FROM consents c JOIN agencies a ON a.id = c.agency_id WHERE c.child_id = $1 AND c.tenant_id = $2 \
           UNION ALL SELECT at, 'handover', from_user || ' → ' || to_user, note, from_user FROM handovers WHERE child_id = $1 AND tenant_id = $2 \
           UNION ALL SELECT recorded_at, 'indicator', kind || ' ' || period, CAST(value AS TEXT), recorded_by FROM indicators WHERE child_id = $1 AND tenant_id = $2 \
           UNION ALL SELECT e.starts_at, 'service', s.name || '（' || e.title || '）', p.person_kind || ' ' || p.relation || ' ' || p.person_name || ' ' || p.status, p.registered_by \
             FROM service_participants p JOIN service_events e ON e.id = p.event_id JOIN optional_services s ON s.id = e.service_id \
             WHERE p.child_id = $1 AND p.tenant_id = $2 AND e.starts_at <= $4 \
           UNION ALL SELECT m.starts_utc, 'conference', m.title, \
             m.purpose || CASE WHEN m.reflected_revision IS NULL THEN '' ELSE '（結果を自立支援計画 第' || CAST(m.reflected_revision AS TEXT) || '版に反映）' END, m.created_by \
             FROM meetings m WHERE m.child_id = $1 AND m.tenant_id = $2 AND m.kind = 'case_conference' AND m.starts_utc <= $4";

fn timeline_item(
    at: String,
    kind: String,
    title: String,
    body: String,
    by: String,
) -> TimelineItem {
    let mut title = title;
    let mut body = body;
    if kind == "referral" {
        if let Some((name, st)) = title.rsplit_once(": ") {
            title = format!("{name}: {}", model::referral_status_label(st));
        }
    } else if kind == "follow_up" {
        title = model::follow_up_label(&title).to_string();
    } else if kind == "service" {
        body = crate::services::model::timeline_body(&body);
    } else if kind == "indicator" {
        if let Some((k, p)) = title.split_once(' ') {
            let label = model::INDICATOR_KINDS
                .iter()
                .find(|(x, _, _)| *x == k)
                .map(|(_, l, _)| *l)
                .unwrap_or(k);
            title = format!("{label} {p}");
        }
    }
    TimelineItem {
        at,
        kind,
        title,
        body,
        by,
    }
}

#[cfg(test)]
mod record_cache_tests {
    use super::*;

    fn parts(tag: &str) -> Arc<Vec<Part>> {
        Arc::new(vec![Part {
            kind: tag.to_string(),
            s: Default::default(),
            n: [None; 3],
        }])
    }

    fn cache(capacity: usize) -> RecordCache {
        RecordCache {
            capacity,
            hits: Default::default(),
            entries: Default::default(),
        }
    }

    #[test]
    fn an_entry_serves_only_its_own_counters_and_limit() {
        let c = cache(10);
        c.put("a", (3, 7), 200, parts("x"));
        assert_eq!(c.get("a", (3, 7), 200).unwrap()[0].kind, "x");
        assert!(c.get("a", (4, 7), 200).is_none(), "the child changed");
        assert!(
            c.get("a", (3, 8), 200).is_none(),
            "the tenant's tables changed"
        );
        assert!(c.get("a", (3, 7), 50).is_none(), "another timeline limit");
        assert!(c.get("b", (3, 7), 200).is_none());
        assert_eq!(c.hits(), 1);
        // A newer read replaces the entry.
        c.put("a", (4, 7), 200, parts("y"));
        assert_eq!(c.get("a", (4, 7), 200).unwrap()[0].kind, "y");
        assert!(c.get("a", (3, 7), 200).is_none());
    }

    #[test]
    fn the_oldest_entries_leave_first_and_zero_turns_it_off() {
        let c = cache(2);
        c.put("a", (1, 1), 200, parts("a"));
        c.put("b", (1, 1), 200, parts("b"));
        c.put("a", (2, 1), 200, parts("a2"));
        c.put("c", (1, 1), 200, parts("c"));
        assert!(c.get("a", (2, 1), 200).is_none(), "a was put first");
        assert!(c.get("b", (1, 1), 200).is_some());
        assert!(c.get("c", (1, 1), 200).is_some());
        let off = cache(0);
        off.put("a", (1, 1), 200, parts("a"));
        assert!(off.get("a", (1, 1), 200).is_none());
        // Counters that could not be read are never stored.
        let c = cache(2);
        c.put("a", (-1, 1), 200, parts("a"));
        assert!(c.get("a", (-1, 1), 200).is_none());
    }
}
