//! The roll-up's tables (no I/O): one row per 実施主体 and a row for all of them, built
//! from each tenant's counts, then protected together by `suppress` (the table by
//! method and the table by kind share their totals: the tenant's consultations). Only
//! what is shown leaves this module: a suppressed cell carries no value.

use std::collections::BTreeMap;

use serde::Serialize;

use super::suppress::{self, Line, Mark};
use crate::cases::model::{KINDS, METHODS, REFERRAL_STATUSES};
use crate::reports::stats::period::Period;

/// What the store counted for one tenant.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    /// Consultations by (method, kind).
    pub consultations: BTreeMap<(String, String), i64>,
    /// Children with a consultation in the period: (new, continuing).
    pub children: (i64, i64),
    /// Referrals made in the period, by status code.
    pub referrals: BTreeMap<String, i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TenantRow {
    pub id: String,
    pub code: String,
    pub name: String,
    pub kind_label: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Cell {
    /// The count, or null when it is suppressed.
    pub value: Option<i64>,
    /// As shown: 「1,234」, 「<5」 or 「*」.
    pub shown: String,
    pub mark: Mark,
}

#[derive(Debug, Clone, Serialize)]
pub struct CrossTable {
    pub key: &'static str,
    pub title: &'static str,
    pub unit: &'static str,
    /// The column headings, the last one the row total (計).
    pub columns: Vec<String>,
    /// One row per tenant (in `Rollup::tenants` order), each with its total last.
    pub rows: Vec<Vec<Cell>>,
    /// The row of all tenants.
    pub total: Vec<Cell>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Rollup {
    pub period: Period,
    pub period_label: String,
    pub tenants: Vec<TenantRow>,
    pub tables: Vec<CrossTable>,
    /// Cells shown as 「<5」 and cells hidden to protect them.
    pub small_cells: usize,
    pub hidden_cells: usize,
}

const OTHER: &str = "その他";

/// The columns of one table and how a tenant's counts fill them.
struct Spec {
    key: &'static str,
    title: &'static str,
    unit: &'static str,
    columns: Vec<String>,
    /// Which row-total group the table belongs to (tables of one group share totals).
    group: usize,
    fill: fn(&Counts, &[String]) -> Vec<i64>,
}

fn by_column(columns: &[String], pairs: impl Iterator<Item = (String, i64)>) -> Vec<i64> {
    let mut v = vec![0; columns.len()];
    for (k, n) in pairs {
        let i = columns
            .iter()
            .position(|c| *c == k)
            .unwrap_or(columns.len() - 1);
        v[i] += n;
    }
    v
}

fn listed(names: &[&str], other: bool) -> Vec<String> {
    let mut v: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    if other {
        v.push(OTHER.into());
    }
    v
}

fn specs(counts: &BTreeMap<String, Counts>) -> Vec<Spec> {
    let any = |f: &dyn Fn(&(String, String)) -> bool| {
        counts.values().any(|c| c.consultations.keys().any(f))
    };
    let other_method = any(&|(m, _)| !METHODS.contains(&m.as_str()));
    let other_kind = any(&|(_, k)| !KINDS.contains(&k.as_str()));
    let statuses: Vec<&str> = REFERRAL_STATUSES.iter().map(|(_, l)| *l).collect();
    vec![
        Spec {
            key: "method",
            title: "相談件数（延べ）: 方法別",
            unit: "件",
            columns: listed(&METHODS, other_method),
            group: 0,
            fill: |c, cols| {
                by_column(
                    cols,
                    c.consultations.iter().map(|((m, _), n)| (m.clone(), *n)),
                )
            },
        },
        Spec {
            key: "kind",
            title: "相談件数（延べ）: 相談支援の種類別",
            unit: "件",
            columns: listed(&KINDS, other_kind),
            group: 0,
            fill: |c, cols| {
                by_column(
                    cols,
                    c.consultations.iter().map(|((_, k), n)| (k.clone(), *n)),
                )
            },
        },
        Spec {
            key: "children",
            title: "相談した子ども（実人数）",
            unit: "人",
            columns: vec!["新規".into(), "継続".into()],
            group: 1,
            fill: |c, _| vec![c.children.0, c.children.1],
        },
        Spec {
            key: "referrals",
            title: "つないだ件数（紹介）: いまの状況別",
            unit: "件",
            columns: statuses.iter().map(|s| s.to_string()).collect(),
            group: 2,
            fill: |c, cols| {
                by_column(
                    cols,
                    c.referrals.iter().map(|(s, n)| {
                        (
                            crate::cases::model::referral_status_label(s).to_string(),
                            *n,
                        )
                    }),
                )
            },
        },
    ]
}

/// The roll-up of `tenants` (in order) from their counts (tenants without counts had
/// nothing in the period).
pub fn build(
    period: &Period,
    tenants: Vec<TenantRow>,
    counts: &BTreeMap<String, Counts>,
) -> Rollup {
    let specs = specs(counts);
    let none = Counts::default();
    let n = tenants.len();
    let mut values: Vec<i64> = vec![];
    let cell = |v: i64, values: &mut Vec<i64>| {
        values.push(v);
        values.len() - 1
    };
    let mut lines: Vec<Line> = vec![];
    // Row totals per group: one cell per tenant and one for all.
    let mut group_totals: BTreeMap<usize, (Vec<usize>, usize)> = BTreeMap::new();
    // Per table: cells[tenant][column] and the total row's cells.
    let mut layout: Vec<(Vec<Vec<usize>>, Vec<usize>)> = vec![];
    for s in &specs {
        let filled: Vec<Vec<i64>> = tenants
            .iter()
            .map(|t| (s.fill)(counts.get(&t.id).unwrap_or(&none), &s.columns))
            .collect();
        let ids: Vec<Vec<usize>> = filled
            .iter()
            .map(|row| row.iter().map(|&v| cell(v, &mut values)).collect())
            .collect();
        let col_totals: Vec<usize> = (0..s.columns.len())
            .map(|c| cell(filled.iter().map(|r| r[c]).sum(), &mut values))
            .collect();
        let (row_totals, grand) = match group_totals.get(&s.group) {
            Some(g) => g.clone(),
            None => {
                let rt: Vec<usize> = filled
                    .iter()
                    .map(|r| cell(r.iter().sum(), &mut values))
                    .collect();
                let g = cell(filled.iter().flatten().sum(), &mut values);
                lines.push(Line {
                    members: rt.clone(),
                    total: g,
                });
                group_totals.insert(s.group, (rt.clone(), g));
                (rt, g)
            }
        };
        for (r, row) in ids.iter().enumerate() {
            lines.push(Line {
                members: row.clone(),
                total: row_totals[r],
            });
        }
        for (c, &t) in col_totals.iter().enumerate() {
            lines.push(Line {
                members: ids.iter().map(|row| row[c]).collect(),
                total: t,
            });
        }
        lines.push(Line {
            members: col_totals.clone(),
            total: grand,
        });
        let mut rows = ids;
        for (r, row) in rows.iter_mut().enumerate() {
            row.push(row_totals[r]);
        }
        let mut total = col_totals;
        total.push(grand);
        layout.push((rows, total));
    }
    debug_assert!(layout.iter().all(|(r, _)| r.len() == n));
    let marks = suppress::suppress(&values, &lines);
    let show = |i: usize| Cell {
        value: (marks[i] == Mark::Shown).then_some(values[i]),
        shown: suppress::display(values[i], marks[i]),
        mark: marks[i],
    };
    let tables = specs
        .iter()
        .zip(layout)
        .map(|(s, (rows, total))| {
            let mut columns = s.columns.clone();
            columns.push("計".into());
            CrossTable {
                key: s.key,
                title: s.title,
                unit: s.unit,
                columns,
                rows: rows
                    .iter()
                    .map(|r| r.iter().map(|&i| show(i)).collect())
                    .collect(),
                total: total.iter().map(|&i| show(i)).collect(),
            }
        })
        .collect();
    Rollup {
        period_label: period.label(),
        period: period.clone(),
        tenants,
        tables,
        small_cells: marks.iter().filter(|m| **m == Mark::Small).count(),
        hidden_cells: marks.iter().filter(|m| **m == Mark::Hidden).count(),
    }
}
