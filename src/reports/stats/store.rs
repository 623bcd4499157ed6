//! SQL of the activity statistics: the rows of one period (consultations with the
//! child's birth date and 疾患群, referrals with the agency's 分野, plan revisions,
//! follow-ups, meetings with attendance, trainings, optional services), read in one
//! read transaction so that a period's figures are one snapshot, then tabled by
//! `model`. Every query carries the caller's tenant; a contract scope narrows the
//! casework to that contract's staff.

use std::collections::HashSet;

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::Row;

use super::model::{self, Activity, Consult, FollowUp, Meeting, Participation, Referral, Rows};
use super::period::Period;
use crate::audit::{self, Entry};
use crate::auth::{policy, Action, Ctx, Role};
use crate::db::{Conn, Db, Direct, Sql};
use crate::error::AppResult;
use crate::reports::scope::{scope, Scope};
use crate::time;
use crate::AppError;

/// The statistics of `period` (and the period before) for the caller, optionally for
/// one contract.
pub async fn activity(
    db: &Db,
    ctx: &Ctx,
    period: &Period,
    contract: Option<&str>,
) -> AppResult<Activity> {
    let s = scope(db, ctx, contract).await?;
    let previous = period.previous();
    let mut conn = db.pool.acquire().await?;
    let now = rows(db, &mut conn, &s, period).await?;
    let before = rows(db, &mut conn, &s, &previous).await?;
    drop(conn);
    Ok(Activity {
        period_label: period.label(),
        previous_label: previous.label(),
        period: period.clone(),
        previous,
        contract: s.contract.clone(),
        contract_name: s.contract_name.clone(),
        tables: model::beside(model::tables(&now), &model::tables(&before)),
    })
}

fn day(s: &str) -> Option<NaiveDate> {
    s.get(..10)
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
}

/// The consultations of the period with their children (names only for the drill-down).
/// On SQLite they are read on a read-only rusqlite connection: a 年度 is thousands of
/// rows, and through sqlx each would cross from the connection's worker thread.
async fn consults(
    db: &Db,
    conn: &mut Conn,
    s: &Scope,
    p: &Period,
    names: bool,
) -> AppResult<Vec<(Consult, String, String)>> {
    let (lo, hi) = p.utc_bounds();
    let mut q = Sql::new(&format!(
        "SELECT c.child_id, c.at, c.method, c.kind, c.topics, c.participants, c.minutes, c.destination, ch.birth_date, ch.disease_group, {} AS name \
         FROM consultations c JOIN children ch ON ch.id = c.child_id AND ch.tenant_id = c.tenant_id WHERE c.tenant_id = ",
        if names { "ch.name" } else { "''" }
    ));
    q.bind(&s.tenant)
        .push(" AND c.at >= ")
        .bind(lo)
        .push(" AND c.at < ")
        .bind(hi);
    s.staff_filter(&mut q, "c");
    q.push(" ORDER BY c.at, c.id");
    let consult = |child_id: String,
                   at: String,
                   method: String,
                   kind: String,
                   topics: String,
                   participants: String,
                   minutes: i64,
                   destination: String,
                   birth: String,
                   disease_group: i64,
                   name: String| {
        (
            Consult {
                child_id,
                date: time::jst_date_of_db(&at).unwrap_or(p.from),
                method,
                kind,
                topics,
                participants,
                minutes,
                destination,
                birth: day(&birth),
                disease_group,
            },
            name,
            at,
        )
    };
    if let Direct::Sqlite(readers) = &db.direct {
        return readers.read(|tx| {
            use crate::db::sqlite::{bind, int, internal, text};
            let mut stmt = tx.prepare_cached(q.text()).map_err(internal)?;
            let params: Vec<&dyn rusqlite::ToSql> = q
                .params()
                .iter()
                .map(|v| v as &dyn rusqlite::ToSql)
                .collect();
            bind(&mut stmt, &params)?;
            let mut rows = stmt.raw_query();
            let mut out = vec![];
            let t = |r: &rusqlite::Row, i| text(r, i).map(Option::unwrap_or_default);
            while let Some(r) = rows.next().map_err(internal)? {
                out.push(consult(
                    t(r, 0)?,
                    t(r, 1)?,
                    t(r, 2)?,
                    t(r, 3)?,
                    t(r, 4)?,
                    t(r, 5)?,
                    int(r, 6)?.unwrap_or(0),
                    t(r, 7)?,
                    t(r, 8)?,
                    int(r, 9)?.unwrap_or(0),
                    t(r, 10)?,
                ));
            }
            Ok(out)
        });
    }
    let rows = q.query().fetch_all(&mut *conn).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        out.push(consult(
            r.try_get("child_id")?,
            r.try_get("at")?,
            r.try_get("method")?,
            r.try_get("kind")?,
            r.try_get("topics")?,
            r.try_get("participants")?,
            r.try_get("minutes")?,
            r.try_get("destination")?,
            r.try_get("birth_date")?,
            r.try_get("disease_group")?,
            r.try_get("name")?,
        ));
    }
    Ok(out)
}

/// Children who had a consultation before the period and one within it (継続): one
/// indexed probe per child of the period.
async fn seen_before(conn: &mut Conn, s: &Scope, p: &Period) -> AppResult<HashSet<String>> {
    let (lo, hi) = p.utc_bounds();
    let mut q = Sql::new("SELECT DISTINCT c.child_id FROM consultations c WHERE c.tenant_id = ");
    q.bind(&s.tenant).push(" AND c.at < ").bind(lo.clone());
    s.staff_filter(&mut q, "c");
    q.push(" AND c.child_id IN (SELECT c2.child_id FROM consultations c2 WHERE c2.tenant_id = ")
        .bind(&s.tenant)
        .push(" AND c2.at >= ")
        .bind(lo.clone())
        .push(" AND c2.at < ")
        .bind(hi)
        .push(")");
    let seen: HashSet<String> = q
        .query()
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| r.try_get::<String, _>("child_id"))
        .collect::<Result<_, _>>()?;
    Ok(seen)
}

async fn rows(db: &Db, conn: &mut Conn, s: &Scope, p: &Period) -> AppResult<Rows> {
    let (lo, hi) = p.utc_bounds();
    let (dlo, dhi) = p.local_bounds();
    let consults: Vec<Consult> = consults(db, conn, s, p, false)
        .await?
        .into_iter()
        .map(|c| c.0)
        .collect();
    let seen_before = seen_before(conn, s, p).await?;
    // The children a contract's staff saw in the period: the other casework of a
    // contract scope is limited to them.
    let scoped: Option<HashSet<String>> = s
        .contract
        .as_ref()
        .map(|_| consults.iter().map(|c| c.child_id.clone()).collect());
    let in_scope = |child: &str| scoped.as_ref().is_none_or(|set| set.contains(child));

    let refs = sqlx::query(
        "SELECT r.child_id, r.status, r.outcome, r.created_at, r.accepted_at, r.closed_at, a.field \
         FROM referrals r LEFT JOIN agencies a ON a.id = r.agency_id AND a.tenant_id = r.tenant_id \
         WHERE r.tenant_id = $1 AND r.created_at >= $2 AND r.created_at < $3",
    )
    .bind(&s.tenant)
    .bind(&lo)
    .bind(&hi)
    .fetch_all(&mut *conn)
    .await?;
    let mut referrals = vec![];
    for r in &refs {
        if !in_scope(&r.try_get::<String, _>("child_id")?) {
            continue;
        }
        let created: String = r.try_get("created_at")?;
        let accepted: Option<String> = r.try_get("accepted_at")?;
        let closed: Option<String> = r.try_get("closed_at")?;
        referrals.push(Referral {
            status: r.try_get("status")?,
            field: r.try_get::<Option<String>, _>("field")?.unwrap_or_default(),
            created: time::jst_date_of_db(&created).unwrap_or(p.from),
            accepted: accepted.as_deref().and_then(time::jst_date_of_db),
            closed: closed.as_deref().and_then(time::jst_date_of_db),
            outcome_written: !r.try_get::<String, _>("outcome")?.trim().is_empty(),
        });
    }
    let plans = sqlx::query(
        "SELECT child_id, revision FROM support_plans WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3",
    )
    .bind(&s.tenant)
    .bind(&lo)
    .bind(&hi)
    .fetch_all(&mut *conn)
    .await?;
    let mut plan_revisions = vec![];
    for r in &plans {
        if in_scope(&r.try_get::<String, _>("child_id")?) {
            plan_revisions.push(r.try_get("revision")?);
        }
    }
    let fus = sqlx::query(
        "SELECT child_id, due_date, done_at FROM follow_ups WHERE tenant_id = $1 AND due_date >= $2 AND due_date < $3",
    )
    .bind(&s.tenant)
    .bind(&dlo)
    .bind(&dhi)
    .fetch_all(&mut *conn)
    .await?;
    let mut follow_ups = vec![];
    for r in &fus {
        if !in_scope(&r.try_get::<String, _>("child_id")?) {
            continue;
        }
        let done: Option<String> = r.try_get("done_at")?;
        follow_ups.push(FollowUp {
            due: day(&r.try_get::<String, _>("due_date")?),
            done: done.as_deref().and_then(time::jst_date_of_db),
        });
    }
    let mut meetings = vec![];
    let mut trainings = vec![];
    let mut events = vec![];
    let mut participations = vec![];
    if s.contract.is_none() {
        // Held: started within the period and before now.
        let now_local = time::now()
            .with_timezone(&time::jst())
            .format("%Y-%m-%dT%H:%M")
            .to_string();
        let ms = sqlx::query(
            "SELECT m.kind, m.attendance, \
             (SELECT COUNT(*) FROM conference_participants p WHERE p.meeting_id = m.id AND p.tenant_id = m.tenant_id AND p.attended = 1) AS conf_attended \
             FROM meetings m WHERE m.tenant_id = $1 AND m.starts_at >= $2 AND m.starts_at < $3 AND m.starts_at <= $4",
        )
        .bind(&s.tenant)
        .bind(&dlo)
        .bind(&dhi)
        .bind(&now_local)
        .fetch_all(&mut *conn)
        .await?;
        for r in &ms {
            let kind: String = r.try_get("kind")?;
            let attended = if kind == crate::conferences::model::KIND {
                r.try_get("conf_attended")?
            } else {
                serde_json::from_str::<Vec<serde_json::Value>>(
                    &r.try_get::<String, _>("attendance")?,
                )
                .map(|v| v.len() as i64)
                .unwrap_or(0)
            };
            meetings.push(Meeting { kind, attended });
        }
        let ts = sqlx::query(
            "SELECT participants FROM trainings WHERE tenant_id = $1 AND date >= $2 AND date < $3",
        )
        .bind(&s.tenant)
        .bind(&dlo)
        .bind(&dhi)
        .fetch_all(&mut *conn)
        .await?;
        for r in &ts {
            let ps: Vec<serde_json::Value> =
                serde_json::from_str(&r.try_get::<String, _>("participants")?).unwrap_or_default();
            trainings.push(
                ps.iter()
                    .filter(|p| p.get("attended").and_then(|a| a.as_bool()).unwrap_or(true))
                    .count() as i64,
            );
        }
    }
    let mut q = Sql::new(
        "SELECT s.kind FROM service_events e JOIN optional_services s ON s.id = e.service_id AND s.tenant_id = e.tenant_id WHERE e.tenant_id = ",
    );
    q.bind(&s.tenant)
        .push(" AND e.date >= ")
        .bind(dlo.clone())
        .push(" AND e.date < ")
        .bind(dhi.clone());
    if let Some(c) = &s.contract {
        q.push(" AND s.contract_id = ").bind(c.clone());
    }
    for r in q.query().fetch_all(&mut *conn).await? {
        events.push(r.try_get("kind")?);
    }
    let mut q = Sql::new(
        "SELECT s.kind, p.person_kind FROM service_participants p JOIN service_events e ON e.id = p.event_id AND e.tenant_id = p.tenant_id \
         JOIN optional_services s ON s.id = e.service_id AND s.tenant_id = e.tenant_id WHERE p.tenant_id = ",
    );
    q.bind(&s.tenant)
        .push(" AND p.status = 'attended' AND e.date >= ")
        .bind(dlo)
        .push(" AND e.date < ")
        .bind(dhi);
    if let Some(c) = &s.contract {
        q.push(" AND s.contract_id = ").bind(c.clone());
    }
    for r in q.query().fetch_all(&mut *conn).await? {
        participations.push(Participation {
            service_kind: r.try_get("kind")?,
            person_kind: r.try_get("person_kind")?,
        });
    }
    Ok(Rows {
        consults,
        seen_before,
        referrals,
        plan_revisions,
        follow_ups,
        meetings,
        trainings,
        events,
        participations,
        today: time::today_jst(),
        months: months(p),
    })
}

fn months(p: &Period) -> Vec<(i32, u32)> {
    use chrono::Datelike;
    let mut out = vec![];
    let (mut y, mut m) = (p.from.year(), p.from.month());
    while (y, m) <= (p.to.year(), p.to.month()) && out.len() <= 24 {
        out.push((y, m));
        (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    }
    out
}

/// A consultation behind a figure, for staff who may see the child.
#[derive(Debug, Clone, Serialize)]
pub struct RecordRow {
    pub child_id: String,
    pub child_name: String,
    pub at: String,
    pub method: String,
    pub kind: String,
    pub minutes: i64,
}

/// The consultations behind one figure (drill key from `model::Row::drill`), limited
/// to the children the caller may see; audited as a list of children's data.
pub async fn records(
    db: &Db,
    ctx: &Ctx,
    period: &Period,
    contract: Option<&str>,
    key: &str,
) -> AppResult<Vec<RecordRow>> {
    let s = scope(db, ctx, contract).await?;
    if !policy::can(ctx, Action::ViewChildren) {
        audit::record(
            db,
            Entry::new(ctx, Some(&s.tenant), "report.records.denied", "report", key),
        )
        .await?;
        return Err(AppError::forbidden());
    }
    let mut conn = db.pool.acquire().await?;
    let all = consults(db, &mut conn, &s, period, true).await?;
    let r = Rows {
        seen_before: seen_before(&mut conn, &s, period).await?,
        ..Rows::default()
    };
    // A contractor sees only the children assigned to them.
    let visible: Option<HashSet<String>> = if ctx.role == Role::Contractor {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT child_id FROM child_workers WHERE user_id = $1 AND tenant_id = $2",
        )
        .bind(&ctx.user_id)
        .bind(&s.tenant)
        .fetch_all(&mut *conn)
        .await?;
        Some(ids.into_iter().collect())
    } else {
        None
    };
    drop(conn);
    let out: Vec<RecordRow> = all
        .into_iter()
        .filter(|(c, _, _)| model::drill_matches(c, key, &r))
        .filter(|(c, _, _)| visible.as_ref().is_none_or(|v| v.contains(&c.child_id)))
        .map(|(c, name, at)| RecordRow {
            child_id: c.child_id,
            child_name: name,
            at: time::format_datetime(&at),
            method: c.method,
            kind: c.kind,
            minutes: c.minutes,
        })
        .collect();
    let children: HashSet<&str> = out.iter().map(|r| r.child_id.as_str()).collect();
    audit::record(
        db,
        Entry::new(ctx, Some(&s.tenant), "child.list", "report", key).detail(&format!(
            "実績の内訳 {} {}（{} 件、子ども {} 人）",
            period.label(),
            key,
            out.len(),
            children.len()
        )),
    )
    .await?;
    Ok(out)
}
