//! What a contractor's monthly report is drafted from: the consultations the contract's
//! staff wrote in the month (JST), the children and families they saw, the plan
//! revisions of those children, and the meetings of the month that concern the
//! contract (its committee's meetings, committee meetings, meetings its staff
//! scheduled, case conferences on the children they saw) — the report links to those
//! meeting records and counts them. 子どもの変化 is drafted from the same rows, for
//! the contractor to edit.

use std::collections::{BTreeMap, HashSet};

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::auth::TenantId;
use crate::db::{Db, Sql};
use crate::error::AppResult;
use crate::reports::scope::Scope;
use crate::reports::stats::model::family_in;
use crate::reports::stats::period::Period;

/// A meeting record a report counts.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LinkedMeeting {
    pub id: String,
    pub kind: String,
    pub kind_label: &'static str,
    pub title: String,
    /// JST, YYYY-MM-DDTHH:MM
    pub starts_at: String,
}

impl LinkedMeeting {
    /// 「2026-11-12 14:00」
    pub fn when(&self) -> String {
        self.starts_at.replace('T', " ")
    }
}

pub fn meeting_kind_label(kind: &str) -> &'static str {
    match kind {
        "council" => "協議会",
        "committee" => "委員会・部会",
        "case_conference" => "支援会議",
        "training" => "研修",
        _ => "その他の会議",
    }
}

/// The meetings by kind, in a stable order: 「協議会 1 回、支援会議 2 回」.
pub fn meeting_counts(ms: &[LinkedMeeting]) -> Vec<(&'static str, i64)> {
    let mut by: BTreeMap<(usize, &'static str), i64> = BTreeMap::new();
    let order = ["協議会", "委員会・部会", "支援会議", "研修", "その他の会議"];
    for m in ms {
        let i = order
            .iter()
            .position(|o| *o == m.kind_label)
            .unwrap_or(order.len());
        *by.entry((i, m.kind_label)).or_default() += 1;
    }
    by.into_iter().map(|((_, l), n)| (l, n)).collect()
}

#[derive(Debug, Clone, Default)]
pub struct Draft {
    pub children: i64,
    pub families: i64,
    pub consultations: i64,
    pub changes: String,
    /// The candidate meetings of the month (all linked in a new draft).
    pub meetings: Vec<LinkedMeeting>,
}

/// The month (YYYY-MM) as a period, JST.
pub fn month_period(month: &str) -> Option<Period> {
    let d = NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").ok()?;
    Period::month(d.year(), d.month())
}

/// The contract's staff, whose consultations the report counts.
fn staff(t: &TenantId, contract: &str) -> Scope {
    Scope {
        tenant: t.clone(),
        contract: Some(contract.to_string()),
        contract_name: None,
    }
}

fn meeting_from_row(r: &AnyRow) -> Result<LinkedMeeting, sqlx::Error> {
    let kind: String = r.try_get("kind")?;
    Ok(LinkedMeeting {
        id: r.try_get("id")?,
        kind_label: meeting_kind_label(&kind),
        kind,
        title: r.try_get("title")?,
        starts_at: r.try_get("starts_at")?,
    })
}

/// The draft of `contract`'s report for `month`.
pub async fn draft(
    db: &Db,
    t: &TenantId,
    contract: &str,
    committee: Option<&str>,
    month: &str,
) -> AppResult<Draft> {
    let mut conn = db.pool.acquire().await?;
    draft_in(&mut conn, t, contract, committee, month).await
}

/// `draft` on a connection or in a transaction (the demo loader drafts its reports in
/// its own transaction).
pub async fn draft_in(
    conn: &mut sqlx::AnyConnection,
    t: &TenantId,
    contract: &str,
    committee: Option<&str>,
    month: &str,
) -> AppResult<Draft> {
    let Some(p) = month_period(month) else {
        return Ok(Draft::default());
    };
    let (lo, hi) = p.utc_bounds();
    let mut q = Sql::new(
        "SELECT c.child_id, c.participants, c.topics, c.next_action, ch.name FROM consultations c \
         JOIN children ch ON ch.id = c.child_id AND ch.tenant_id = c.tenant_id WHERE c.tenant_id = ",
    );
    q.bind(t)
        .push(" AND c.at >= ")
        .bind(lo.clone())
        .push(" AND c.at < ")
        .bind(hi.clone());
    staff(t, contract).staff_filter(&mut q, "c");
    q.push(" ORDER BY c.at, c.id");
    let rows = q.query().fetch_all(&mut *conn).await?;
    // Per child, in the order first seen: name, consultations, topics, last next action.
    let mut kids: Vec<(String, String, i64, Vec<String>, String)> = vec![];
    let mut families: HashSet<String> = HashSet::new();
    for r in &rows {
        let child: String = r.try_get("child_id")?;
        let participants: String = r.try_get("participants")?;
        if family_in(&participants) {
            families.insert(child.clone());
        }
        let topics: String = r.try_get("topics")?;
        let next: String = r.try_get("next_action")?;
        let i = match kids.iter().position(|k| k.0 == child) {
            Some(i) => i,
            None => {
                kids.push((child.clone(), r.try_get("name")?, 0, vec![], String::new()));
                kids.len() - 1
            }
        };
        let k = &mut kids[i];
        k.2 += 1;
        for tp in topics.split(',').map(str::trim).filter(|x| !x.is_empty()) {
            if !k.3.iter().any(|x| x == tp) {
                k.3.push(tp.to_string());
            }
        }
        if !next.trim().is_empty() {
            k.4 = next.trim().to_string();
        }
    }
    let plans: Vec<(String, i64)> = sqlx::query(
        "SELECT child_id, revision FROM support_plans WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3 ORDER BY revision",
    )
    .bind(t)
    .bind(&lo)
    .bind(&hi)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| Ok((r.try_get("child_id")?, r.try_get("revision")?)))
    .collect::<Result<_, sqlx::Error>>()?;
    let changes: Vec<String> = kids
        .iter()
        .map(|(id, name, n, topics, next)| {
            let mut s = format!("・{name}さん（相談 {n} 件");
            if !topics.is_empty() {
                s.push_str(&format!("、{}", topics.join("・")));
            }
            s.push('）');
            let revised: Vec<i64> = plans
                .iter()
                .filter(|(c, _)| c == id)
                .map(|(_, r)| *r)
                .collect();
            if let Some(r) = revised.last() {
                s.push_str(&format!(
                    "支援計画を{}（第{r}版）。",
                    if *r == 1 { "作成" } else { "見直し" }
                ));
            }
            if !next.is_empty() {
                s.push_str(&format!("次の対応: {next}"));
            }
            s
        })
        .collect();
    let meetings = month_meetings(conn, t, contract, committee, month).await?;
    Ok(Draft {
        children: kids.len() as i64,
        families: families.len() as i64,
        consultations: rows.len() as i64,
        changes: changes.join("\n"),
        meetings,
    })
}

/// The meetings of `month` that concern the contract: those a report may count.
pub async fn meetings_of(
    db: &Db,
    t: &TenantId,
    contract: &str,
    committee: Option<&str>,
    month: &str,
) -> AppResult<Vec<LinkedMeeting>> {
    let mut conn = db.pool.acquire().await?;
    month_meetings(&mut conn, t, contract, committee, month).await
}

async fn month_meetings(
    conn: &mut sqlx::AnyConnection,
    t: &TenantId,
    contract: &str,
    committee: Option<&str>,
    month: &str,
) -> AppResult<Vec<LinkedMeeting>> {
    let Some(p) = month_period(month) else {
        return Ok(vec![]);
    };
    let (lo, hi) = p.utc_bounds();
    let (from, to) = (
        format!("{}T00:00", p.from),
        format!("{}T00:00", p.to + chrono::Duration::days(1)),
    );
    let mut q =
        Sql::new("SELECT m.id, m.kind, m.title, m.starts_at FROM meetings m WHERE m.tenant_id = ");
    q.bind(t)
        .push(" AND m.starts_at >= ")
        .bind(from)
        .push(" AND m.starts_at < ")
        .bind(to)
        .push(" AND (m.council_id = ")
        .bind(committee.unwrap_or(""))
        .push(" OR m.kind = 'committee' OR m.created_by IN (SELECT u.display_name FROM users u WHERE u.tenant_id = ")
        .bind(t)
        .push(" AND u.contract_id = ")
        .bind(contract)
        .push(") OR (m.kind = 'case_conference' AND m.child_id IN (SELECT c.child_id FROM consultations c WHERE c.tenant_id = ")
        .bind(t)
        .push(" AND c.at >= ")
        .bind(lo)
        .push(" AND c.at < ")
        .bind(hi);
    staff(t, contract).staff_filter(&mut q, "c");
    q.push("))) ORDER BY m.starts_at, m.id");
    let rows = q.query().fetch_all(&mut *conn).await?;
    rows.iter()
        .map(meeting_from_row)
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// The meetings each of `reports` links to.
pub async fn linked(
    db: &Db,
    t: &TenantId,
    reports: &[String],
) -> AppResult<BTreeMap<String, Vec<LinkedMeeting>>> {
    let mut out: BTreeMap<String, Vec<LinkedMeeting>> = BTreeMap::new();
    if reports.is_empty() {
        return Ok(out);
    }
    let mut q = Sql::new(
        "SELECT l.report_id, m.id, m.kind, m.title, m.starts_at FROM monthly_report_meetings l \
         JOIN meetings m ON m.id = l.meeting_id AND m.tenant_id = l.tenant_id WHERE l.tenant_id = ",
    );
    q.bind(t)
        .push(" AND l.report_id IN (")
        .bind_list(reports.iter().map(String::as_str))
        .push(") ORDER BY m.starts_at, m.id");
    for r in q.query().fetch_all(&db.pool).await? {
        out.entry(r.try_get("report_id")?)
            .or_default()
            .push(meeting_from_row(&r)?);
    }
    Ok(out)
}
