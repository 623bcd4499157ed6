//! SQL of the measured indicators: for the caller's tenant, the last eight fiscal
//! quarters of referrals, follow-ups and consultations, and every per-child indicator
//! reading with the child's 疾患群 and age band (never a name), turned into series by
//! `model`; the purposes of the latest collaboration goals with the series they are
//! tied to. Tenant figures: contractors (whose reports are one contract's) are refused.

use std::collections::{BTreeMap, HashSet};

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::Row;

use super::model::{self, CaseSummary, GroupRow, Point, Reading, Series};
use crate::audit::{self, Entry};
use crate::auth::{policy, Action, Ctx, Role, TenantId};
use crate::db::Db;
use crate::error::AppResult;
use crate::network::store::{goal_versions, Purpose};
use crate::reports::stats::model::{age_band, age_on};
use crate::{time, AppError};

#[derive(Debug, Clone, Serialize)]
pub struct PurposeView {
    #[serde(flatten)]
    pub purpose: Purpose,
    pub series: Option<Series>,
}

#[derive(Debug, Clone, Serialize)]
pub struct GroupTable {
    pub key: &'static str,
    pub title: &'static str,
    pub unit: &'static str,
    pub first: String,
    pub latest: String,
    pub by_disease_group: Vec<GroupRow>,
    pub by_age: Vec<GroupRow>,
}

impl GroupTable {
    /// (heading, rows): by 疾患群, then by age.
    pub fn tables(&self) -> Vec<(&'static str, &[GroupRow])> {
        vec![("疾患群", &self.by_disease_group), ("年齢", &self.by_age)]
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Indicators {
    pub goals_version: Option<i64>,
    pub purposes: Vec<PurposeView>,
    /// Every measure, tied or not.
    pub measures: Vec<Series>,
    pub groups: Vec<GroupTable>,
    /// Anonymised cases for a council (only in the council view).
    pub cases: Vec<CaseSummary>,
}

/// Values per quarter from (day, numerator, denominator) items; a share when `share`.
fn quarterly(items: &[(NaiveDate, f64, f64)], quarters: &[(i32, u32)], share: bool) -> Vec<Point> {
    quarters
        .iter()
        .map(|q| {
            let inside: Vec<_> = items
                .iter()
                .filter(|(d, _, _)| model::quarter(*d) == *q)
                .collect();
            let num: f64 = inside.iter().map(|x| x.1).sum();
            let den: f64 = inside.iter().map(|x| x.2).sum();
            Point {
                label: model::quarter_label(*q),
                value: if share {
                    (den >= model::MIN_GROUP as f64).then(|| (num / den * 1000.0).round() / 10.0)
                } else {
                    Some(num)
                },
                n: den as usize,
            }
        })
        .collect()
}

/// The indicators of the caller's tenant; with `council`, the anonymised cases too
/// (audited as a council view).
pub async fn indicators(db: &Db, ctx: &Ctx, council: bool) -> AppResult<Indicators> {
    policy::require(ctx, Action::ViewReports)?;
    if ctx.role == Role::Contractor {
        return Err(AppError::forbidden());
    }
    let t: TenantId = ctx.tenant()?.clone();
    let today = time::today_jst();
    let quarters = model::last_quarters(today, 8);
    let since = time::jst_midnight_db(model::quarter_start(quarters[0]));
    let mut conn = db.pool.acquire().await?;

    // Referrals: completed within 30 days of being sent, by the quarter sent.
    let refs = sqlx::query(
        "SELECT r.child_id, r.status, r.created_at, r.closed_at, a.field FROM referrals r \
         LEFT JOIN agencies a ON a.id = r.agency_id AND a.tenant_id = r.tenant_id \
         WHERE r.tenant_id = $1 ORDER BY r.created_at",
    )
    .bind(&t)
    .fetch_all(&mut *conn)
    .await?;
    let mut ref_items = vec![];
    // The latest referral to a school (教育) per child, with its status label.
    let mut school: BTreeMap<String, String> = BTreeMap::new();
    for r in &refs {
        let created: String = r.try_get("created_at")?;
        let status: String = r.try_get("status")?;
        let closed: Option<String> = r.try_get("closed_at")?;
        let field: Option<String> = r.try_get("field")?;
        if field.as_deref() == Some("教育") {
            school.insert(
                r.try_get("child_id")?,
                crate::cases::model::referral_status_label(&status).to_string(),
            );
        }
        if created.as_str() < since.as_str() {
            continue;
        }
        let Some(d) = time::jst_date_of_db(&created) else {
            continue;
        };
        let quick = status == "completed"
            && closed
                .as_deref()
                .and_then(time::jst_date_of_db)
                .is_some_and(|c| (c - d).num_days() <= 30);
        ref_items.push((d, if quick { 1.0 } else { 0.0 }, 1.0));
    }

    // Follow-ups due by today: done on or before the due date.
    let fus = sqlx::query(
        "SELECT due_date, done_at FROM follow_ups WHERE tenant_id = $1 AND due_date >= $2 AND due_date <= $3",
    )
    .bind(&t)
    .bind(model::quarter_start(quarters[0]).to_string())
    .bind(today.to_string())
    .fetch_all(&mut *conn)
    .await?;
    let mut fu_items = vec![];
    for r in &fus {
        let due: String = r.try_get("due_date")?;
        let Ok(due) = NaiveDate::parse_from_str(due.get(..10).unwrap_or(""), "%Y-%m-%d") else {
            continue;
        };
        let done: Option<String> = r.try_get("done_at")?;
        let on_time = done
            .as_deref()
            .and_then(time::jst_date_of_db)
            .is_some_and(|d| d <= due);
        fu_items.push((due, if on_time { 1.0 } else { 0.0 }, 1.0));
    }

    // Consultations and the children they were with.
    let cons =
        sqlx::query("SELECT child_id, at FROM consultations WHERE tenant_id = $1 AND at >= $2")
            .bind(&t)
            .bind(&since)
            .fetch_all(&mut *conn)
            .await?;
    let mut con_items = vec![];
    let mut seen: HashSet<((i32, u32), String)> = HashSet::new();
    let mut kid_items = vec![];
    for r in &cons {
        let at: String = r.try_get("at")?;
        let child: String = r.try_get("child_id")?;
        let Some(d) = time::jst_date_of_db(&at) else {
            continue;
        };
        con_items.push((d, 1.0, 1.0));
        if seen.insert((model::quarter(d), child)) {
            kid_items.push((d, 1.0, 1.0));
        }
    }

    // Per-child readings with the child's groups.
    let rows = sqlx::query(
        "SELECT i.child_id, i.kind, i.period, i.value, ch.disease_group, ch.birth_date FROM indicators i \
         JOIN children ch ON ch.id = i.child_id AND ch.tenant_id = i.tenant_id WHERE i.tenant_id = $1",
    )
    .bind(&t)
    .fetch_all(&mut *conn)
    .await?;
    drop(conn);
    let groups_list = crate::agencies::model::DISEASE_GROUPS;
    let (mut absence, mut burden) = (vec![], vec![]);
    for r in &rows {
        let kind: String = r.try_get("kind")?;
        let dg: i64 = r.try_get("disease_group")?;
        let birth: String = r.try_get("birth_date")?;
        let band = NaiveDate::parse_from_str(birth.get(..10).unwrap_or(""), "%Y-%m-%d")
            .map(|b| age_band(age_on(b, today)))
            .unwrap_or("不明");
        let reading = Reading {
            child_id: r.try_get("child_id")?,
            period: r.try_get("period")?,
            value: r.try_get::<i64, _>("value")? as f64,
            disease_group: usize::try_from(dg - 1)
                .ok()
                .and_then(|i| groups_list.get(i))
                .map(|s| s.to_string())
                .unwrap_or_else(|| "不明".into()),
            age_band: band.to_string(),
        };
        match kind.as_str() {
            "absence_days" if school.contains_key(&reading.child_id) => absence.push(reading),
            "family_burden" => burden.push(reading),
            _ => {}
        }
    }

    let series = |key: &'static str, points: Vec<Point>| {
        let (_, label, unit) = model::measure(key).unwrap_or((key, key, ""));
        Series {
            key,
            label,
            unit,
            points,
            baseline: None,
            target: None,
        }
    };
    let measures = vec![
        series("referrals_done_30", quarterly(&ref_items, &quarters, true)),
        series("absence_school", model::by_period(&absence)),
        series("family_burden", model::by_period(&burden)),
        series("follow_ups_on_time", quarterly(&fu_items, &quarters, true)),
        series("children_served", quarterly(&kid_items, &quarters, false)),
        series("consultations", quarterly(&con_items, &quarters, false)),
    ];
    let goals = if policy::can(ctx, Action::ViewNetwork) {
        goal_versions(db, ctx).await?.into_iter().next()
    } else {
        None
    };
    let purposes = goals
        .as_ref()
        .map(|g| {
            g.input
                .purposes
                .iter()
                .map(|p| PurposeView {
                    series: measures
                        .iter()
                        .find(|m| m.key == p.measure)
                        .map(|m| Series {
                            baseline: model::leading_number(&p.baseline),
                            target: model::leading_number(&p.target),
                            ..m.clone()
                        }),
                    purpose: p.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    let group = |key, title, unit, rs: &[Reading]| {
        let (first, latest, by_disease_group) = model::by_group(rs, |r| &r.disease_group);
        let (_, _, by_age) = model::by_group(rs, |r| &r.age_band);
        GroupTable {
            key,
            title,
            unit,
            first,
            latest,
            by_disease_group,
            by_age,
        }
    };
    let groups = vec![
        group(
            "absence_school",
            "学校へ紹介した子どもの欠席日数（1人平均）",
            "日",
            &absence,
        ),
        group("family_burden", "家族の負担感（平均、1〜5）", "", &burden),
    ];
    let cases = if council {
        model::case_summaries(&absence, &school, 5)
    } else {
        vec![]
    };
    audit::record(
        db,
        Entry::new(
            ctx,
            Some(&t),
            if council {
                "report.indicators.council"
            } else {
                "report.indicators.view"
            },
            "report",
            "indicators",
        )
        .detail(&format!(
            "指標（子どもの指標の記録 {} 件から{}）",
            absence.len() + burden.len(),
            if council {
                "、協議会用の事例"
            } else {
                ""
            }
        )),
    )
    .await?;
    Ok(Indicators {
        goals_version: goals.map(|g| g.version),
        purposes,
        measures,
        groups,
        cases,
    })
}
