//! A child's record page: the record and everything it shows, read in one statement.

use std::collections::HashMap;

use super::cache::RecordCache;
use super::parts::{Part, NUMS, RECORD_PAGE_SQL, TEXTS};
use super::timeline::{timeline_item, TimelineItem};
use crate::audit::{self, Entry};
use crate::auth::{Ctx, Role};
use crate::cases::access::{reader, CHILD_VISIBLE};
use crate::cases::model;
use crate::cases::store::{
    child_input_from_row, consent_from, eligibility_text, family_from, follow_up_due,
    indicator_from, parse_ymd, referral_decode, renewal_due, review_due, sort_due, sort_workers,
    staff_options, transition_dues, worker_from, Child, ChildInput, Due, Indicator, Referral,
    CHILD_COLS, RENEWAL_LOOKBACK_DAYS,
};
use crate::db::{Cols, Db, Direct};
use crate::error::AppResult;
use crate::{time, AppError};

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
            let child = ChildRow::from_row(&r)?;
            let audit = audit::record(db, Entry::new(ctx, Some(&t), "child.view", "child", id));
            let cached = records.get(id, child.revs, timeline_limit);
            let reads = async {
                if let Some(parts) = cached {
                    conn.done();
                    return AppResult::Ok(parts);
                }
                let rows = sqlx::query(&RECORD_PAGE_SQL)
                    .bind(id)
                    .bind(&t)
                    .bind(timeline_limit)
                    .fetch_all(&mut *conn)
                    .await?;
                conn.done();
                Ok(records.keep(
                    id,
                    timeline_limit,
                    rows.iter().map(Part::from_row).collect::<AppResult<_>>()?,
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
    for p in parts.iter() {
        match p.kind.as_str() {
            "family" => family.push((p.int("position")?, family_from(p)?)),
            "worker" => workers.push(worker_from(p)?),
            "consent" => {
                let c = consent_from(p, &today_s)?;
                let created = p.text("created_at")?;
                timeline.push([
                    created.clone(),
                    "consent".into(),
                    c.agency_name.clone(),
                    c.purpose.clone(),
                    c.recorded_by.clone(),
                ]);
                consents.push((created, c));
            }
            "indicator" => {
                let i = indicator_from(p)?;
                timeline.push([
                    p.text("recorded_at")?,
                    "indicator".into(),
                    format!("{} {}", i.kind, i.period),
                    i.value.to_string(),
                    p.text("recorded_by")?,
                ]);
                indicators.push(((i.kind.clone(), i.period.clone(), p.text("id")?), i))
            }
            "follow_up" => {
                let (fid, kind, due_date, note) = (
                    p.text("id")?,
                    p.text("kind")?,
                    p.text("due_date")?,
                    p.text("note")?,
                );
                timeline.push([
                    p.text("created_at")?,
                    "follow_up".into(),
                    kind.clone(),
                    format!("{note} ({due_date})"),
                    String::new(),
                ]);
                if p.opt_text("done_at")?.is_none() && due_date <= until {
                    follow_ups.push((fid, kind, due_date, note))
                }
            }
            "plan" => {
                let revision = p.int("revision")?;
                timeline.push([
                    p.text("created_at")?,
                    "plan".into(),
                    format!("自立支援計画 第{revision}版"),
                    p.text("long_term_goal")?,
                    p.text("created_by")?,
                ]);
                if latest_plan.as_ref().is_none_or(|(rev, _)| revision > *rev) {
                    latest_plan = Some((revision, p.opt_text("review_date")?));
                }
            }
            "referral_event" => referral_events.push([
                p.text("referral_id")?,
                p.text("at")?,
                p.text("to_status")?,
                p.text("note")?,
                p.text("actor")?,
            ]),
            "handover" => {
                let from = p.text("from_user")?;
                timeline.push([
                    p.text("at")?,
                    "handover".into(),
                    format!("{from} → {}", p.text("to_user")?),
                    p.text("note")?,
                    from,
                ])
            }
            "consultation" => timeline.push([
                p.text("at")?,
                "consultation".into(),
                p.text("title")?,
                p.text("body")?,
                p.text("who")?,
            ]),
            "conference" => {
                let c = crate::conferences::store::summary_from(p, &now)?;
                if p.opt_text("starts_utc")?.is_some_and(|at| at <= now) {
                    let reflected = c
                        .reflected_revision
                        .map(|r| format!("（結果を自立支援計画 第{r}版に反映）"))
                        .unwrap_or_default();
                    timeline.push([
                        p.text("starts_utc")?,
                        "conference".into(),
                        c.title.clone(),
                        format!("{}{reflected}", c.purpose),
                        p.text("created_by")?,
                    ]);
                }
                conferences.push(c)
            }
            "staff" => staff.push((p.text("role")?, p.text("display_name")?, p.text("id")?)),
            "service" => {
                // when: "date start end"; who: "person_kind status created_at
                // registered_by" (no spaces within but in the last).
                let when = p.text("when")?;
                let mut w = when.splitn(3, ' ').map(str::to_string);
                let who = p.text("who")?;
                let mut k = who.splitn(4, ' ').map(str::to_string);
                let next = |i: &mut dyn Iterator<Item = String>| i.next().unwrap_or_default();
                let (date, start, end) = (next(&mut w), next(&mut w), next(&mut w));
                let (person_kind, st, created, registered_by) =
                    (next(&mut k), next(&mut k), next(&mut k), next(&mut k));
                let (relation, person_name) = (p.text("relation")?, p.text("person_name")?);
                let starts_at = p.text("starts_at")?;
                if starts_at <= now {
                    timeline.push([
                        starts_at.clone(),
                        "service".into(),
                        format!("{}（{}）", p.text("service_name")?, p.text("event_title")?),
                        format!("{person_kind} {relation} {person_name} {st}"),
                        registered_by,
                    ]);
                }
                let u = crate::services::store::child_use(
                    [
                        p.text("id")?,
                        p.text("event_id")?,
                        p.text("service_id")?,
                        p.text("service_name")?,
                        p.text("service_kind")?,
                        p.text("event_title")?,
                        date,
                        start,
                        end,
                        p.text("place")?,
                        person_kind,
                        relation,
                        person_name,
                        st,
                    ],
                    p.opt_text("contractor_name")?,
                    &today_s,
                );
                // The order of child_uses: newest event first, then person kind, then
                // registration.
                services.push((
                    (
                        starts_at,
                        u.person_kind.clone(),
                        created,
                        u.participant_id.clone(),
                    ),
                    u,
                ));
            }
            "referral" => {
                let r = referral_decode(p, id.to_string(), child_name.clone())?;
                agency_of_referral.insert(r.id.clone(), r.agency_name.clone());
                referrals.push(r)
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
    fn from_row<'r, R>(r: &'r R) -> AppResult<ChildRow>
    where
        R: sqlx::Row,
        &'r str: sqlx::ColumnIndex<R>,
        String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    {
        Ok(ChildRow {
            input: child_input_from_row(r)?,
            id: r.try_get("id")?,
            status: r.try_get("status")?,
            version: r.try_get("version")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
            revs: (r.try_get("record_rev")?, r.try_get("tenant_record_rev")?),
        })
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

/// The rest of the record page's reads on SQLite (RECORD_PAGE_SQL).
fn record_parts_sqlite(
    tx: &rusqlite::Transaction,
    id: &str,
    t: &str,
    timeline_limit: i64,
) -> AppResult<Vec<Part>> {
    use crate::db::sqlite::{bind, int, internal, text};
    let mut stmt = tx.prepare_cached(&RECORD_PAGE_SQL).map_err(internal)?;
    bind(&mut stmt, &[&id, &t, &timeline_limit])?;
    let mut rows = stmt.raw_query();
    let mut parts = vec![];
    while let Some(r) = rows.next().map_err(internal)? {
        let mut s: [Option<String>; TEXTS] = Default::default();
        for (i, v) in s.iter_mut().enumerate() {
            *v = text(r, i + 1)?;
        }
        let mut n: [Option<i64>; NUMS] = Default::default();
        for (i, v) in n.iter_mut().enumerate() {
            *v = int(r, i + 1 + TEXTS)?;
        }
        parts.push(Part {
            kind: text(r, 0)?.unwrap_or_default(),
            s,
            n,
        });
    }
    Ok(parts)
}
