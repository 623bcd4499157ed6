//! A child's record page: the record and everything it shows, read in one statement.

use std::collections::HashMap;

use super::cache::RecordCache;
use super::timeline::{timeline_item, TimelineItem};
use crate::audit::{self, Entry};
use crate::auth::{Ctx, Role};
use crate::cases::access::{reader, CHILD_VISIBLE};
use crate::cases::model;
use crate::cases::store::{
    child_input_from_row, consent_active, eligibility_text, follow_up_due, parse_ymd,
    referral_from, renewal_due, review_due, sort_due, sort_workers, staff_options, transition_dues,
    Child, ChildInput, Consent, Due, FamilyInput, Indicator, Referral, Worker, CHILD_COLS,
    RENEWAL_LOOKBACK_DAYS,
};
use crate::db::{Db, Direct};
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
pub(crate) struct Part {
    pub(crate) kind: String,
    pub(crate) s: [Option<String>; 13],
    pub(crate) n: [Option<i64>; 3],
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
pub const RECORD_PAGE_SQL: &str = "\
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
