//! The activity statistics as tables (no I/O): each figure of a period from the rows the
//! store read, next to the same figure of the period before. One representation —
//! `Table` of `Row`s — serves the page, the charts, the XLSX and CSV files, the print,
//! the API and the drill-down to the records behind a figure.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::period::Period;
use crate::cases::model::{KINDS, METHODS, TOPICS};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Row {
    pub label: String,
    pub value: Option<f64>,
    pub previous: Option<f64>,
    /// The drill-down key of the records behind the figure (consultations), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drill: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Table {
    pub key: &'static str,
    pub title: &'static str,
    /// 件, 人, 時間, 日, %, 回
    pub unit: &'static str,
    /// Whether the rows add up to a whole (a chart of shares makes sense).
    pub chart: bool,
    pub rows: Vec<Row>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Activity {
    pub period: Period,
    pub period_label: String,
    pub previous: Period,
    pub previous_label: String,
    pub contract: Option<String>,
    pub contract_name: Option<String>,
    pub tables: Vec<Table>,
}

impl Activity {
    pub fn table(&self, key: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.key == key)
    }

    /// The value of one figure (tests, the annual report, indicators).
    pub fn value(&self, table: &str, label: &str) -> Option<f64> {
        self.table(table)?
            .rows
            .iter()
            .find(|r| r.label == label)
            .and_then(|r| r.value)
    }
}

/// One consultation as the statistics read it.
#[derive(Debug, Clone)]
pub struct Consult {
    pub child_id: String,
    /// JST date of the consultation.
    pub date: NaiveDate,
    pub method: String,
    pub kind: String,
    pub topics: String,
    pub participants: String,
    pub minutes: i64,
    pub destination: String,
    pub birth: Option<NaiveDate>,
    pub disease_group: i64,
}

#[derive(Debug, Clone)]
pub struct Referral {
    pub status: String,
    pub field: String,
    pub created: NaiveDate,
    pub accepted: Option<NaiveDate>,
    pub closed: Option<NaiveDate>,
    pub outcome_written: bool,
}

#[derive(Debug, Clone, Default)]
pub struct FollowUp {
    pub due: Option<NaiveDate>,
    pub done: Option<NaiveDate>,
}

#[derive(Debug, Clone)]
pub struct Meeting {
    pub kind: String,
    pub attended: i64,
}

#[derive(Debug, Clone)]
pub struct Participation {
    pub service_kind: String,
    pub person_kind: String,
}

/// Everything the statistics of one period are computed from.
#[derive(Debug, Clone, Default)]
pub struct Rows {
    pub consults: Vec<Consult>,
    /// Children of `consults` who had a consultation before the period (継続).
    pub seen_before: HashSet<String>,
    pub referrals: Vec<Referral>,
    /// (revision) of each plan revision made in the period.
    pub plan_revisions: Vec<i64>,
    pub follow_ups: Vec<FollowUp>,
    pub meetings: Vec<Meeting>,
    /// Participants counted per training held in the period.
    pub trainings: Vec<i64>,
    /// (service kind) of each event held.
    pub events: Vec<String>,
    pub participations: Vec<Participation>,
    /// The day the figures are as of (follow-ups due later are not overdue yet).
    pub today: NaiveDate,
    /// The months of the period (year, month), for the table by month (periods of
    /// two months up to two years).
    pub months: Vec<(i32, u32)>,
}

pub const AGE_BANDS: [(&str, i64, i64); 6] = [
    ("0〜5歳（未就学）", 0, 5),
    ("6〜11歳（小学生）", 6, 11),
    ("12〜14歳（中学生）", 12, 14),
    ("15〜17歳（高校生の年代）", 15, 17),
    ("18〜19歳", 18, 19),
    ("20歳以上", 20, 200),
];

pub fn age_on(birth: NaiveDate, d: NaiveDate) -> i64 {
    let mut a = i64::from(d.year() - birth.year());
    if (d.month(), d.day()) < (birth.month(), birth.day()) {
        a -= 1;
    }
    a
}

pub fn age_band(age: i64) -> &'static str {
    AGE_BANDS
        .iter()
        .find(|(_, lo, hi)| (*lo..=*hi).contains(&age))
        .map(|(l, _, _)| *l)
        .unwrap_or("不明")
}

fn split(s: &str) -> impl Iterator<Item = &str> {
    s.split(',').map(str::trim).filter(|x| !x.is_empty())
}

/// Whether consultation `c` is behind the figure with drill key `key`.
pub fn drill_matches(c: &Consult, key: &str, rows: &Rows) -> bool {
    let (k, v) = key.split_once(':').unwrap_or((key, ""));
    match k {
        "all" => true,
        "new" => !rows.seen_before.contains(&c.child_id),
        "continuing" => rows.seen_before.contains(&c.child_id),
        "family" => family_took_part(c),
        "method" => c.method == v,
        "kind" => c.kind == v,
        "topic" => split(&c.topics).any(|t| t == v),
        "dg" => c.disease_group.to_string() == v,
        "age" => c.birth.map(|b| age_band(age_on(b, c.date))) == Some(v),
        "acc" => c.method == "同行" && destination(c) == v,
        "month" => c.date.format("%Y-%m").to_string() == v,
        _ => false,
    }
}

fn family_took_part(c: &Consult) -> bool {
    family_in(&c.participants)
}

/// Whether a consultation's participants (comma-separated) include the family
/// (保護者 or きょうだい): the monthly report's 家族 and the statistics count the same.
pub fn family_in(participants: &str) -> bool {
    split(participants).any(|p| p == "保護者" || p == "きょうだい")
}

fn destination(c: &Consult) -> &str {
    let d = c.destination.trim();
    if d.is_empty() {
        "（行き先の記録なし）"
    } else {
        d
    }
}

fn row(label: impl Into<String>, v: f64, drill: Option<String>) -> Row {
    Row {
        label: label.into(),
        value: Some(v),
        previous: None,
        drill,
    }
}

fn opt_row(label: &str, v: Option<f64>) -> Row {
    Row {
        label: label.into(),
        value: v,
        previous: None,
        drill: None,
    }
}

/// The median of `xs` (None when empty); the mean of the two middle values for an even count.
pub fn median(mut xs: Vec<i64>) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    xs.sort_unstable();
    let n = xs.len();
    Some(if n % 2 == 1 {
        xs[n / 2] as f64
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) as f64 / 2.0
    })
}

/// The tables of one period.
pub fn tables(r: &Rows) -> Vec<Table> {
    let n = r.consults.len() as f64;
    let children: HashSet<&str> = r.consults.iter().map(|c| c.child_id.as_str()).collect();
    let new = children
        .iter()
        .filter(|c| !r.seen_before.contains(**c))
        .count();
    let families: HashSet<&str> = r
        .consults
        .iter()
        .filter(|c| family_took_part(c))
        .map(|c| c.child_id.as_str())
        .collect();
    let minutes: i64 = r.consults.iter().map(|c| c.minutes).sum();
    let d = |k: &str| Some(k.to_string());
    let mut out = vec![Table {
        key: "summary",
        title: "利用の概要",
        unit: "",
        chart: false,
        rows: vec![
            row("相談（延べ件数）", n, d("all")),
            row("子ども（実人数）", children.len() as f64, d("all")),
            row("うち新規", new as f64, d("new")),
            row("うち継続", (children.len() - new) as f64, d("continuing")),
            row(
                "家族（保護者・きょうだい）が参加した子ども（実人数）",
                families.len() as f64,
                d("family"),
            ),
            row(
                "支援の時間（時間）",
                (minutes as f64 / 6.0).round() / 10.0,
                None,
            ),
        ],
    }];
    let count_by = |key: &'static str, labels: &[&str], f: &dyn Fn(&Consult) -> Vec<String>| {
        let mut m: BTreeMap<String, i64> = BTreeMap::new();
        for c in &r.consults {
            for v in f(c) {
                *m.entry(v).or_default() += 1;
            }
        }
        let mut rows: Vec<Row> = labels
            .iter()
            .map(|l| {
                row(
                    *l,
                    m.remove(*l).unwrap_or(0) as f64,
                    Some(format!("{key}:{l}")),
                )
            })
            .collect();
        for (l, v) in m {
            rows.push(row(l.clone(), v as f64, Some(format!("{key}:{l}"))));
        }
        rows
    };
    out.push(Table {
        key: "method",
        title: "相談の方法別（延べ件数）",
        unit: "件",
        chart: true,
        rows: count_by("method", &METHODS, &|c| vec![c.method.clone()]),
    });
    out.push(Table {
        key: "kind",
        title: "相談支援の種類別（延べ件数）",
        unit: "件",
        chart: true,
        rows: count_by("kind", &KINDS, &|c| vec![c.kind.clone()]),
    });
    out.push(Table {
        key: "topic",
        title: "話題別（延べ件数・複数の話題は重ねて数える）",
        unit: "件",
        chart: false,
        rows: count_by("topic", &TOPICS, &|c| {
            split(&c.topics).map(str::to_string).collect()
        }),
    });
    // Children, not consultations, by 疾患群 and by age band (at their first
    // consultation of the period).
    let mut first: HashMap<&str, &Consult> = HashMap::new();
    for c in &r.consults {
        first
            .entry(c.child_id.as_str())
            .and_modify(|f| {
                if c.date < f.date {
                    *f = c
                }
            })
            .or_insert(c);
    }
    let mut dg = [0i64; 17];
    let mut ages: BTreeMap<&str, i64> = BTreeMap::new();
    for c in first.values() {
        let g = usize::try_from(c.disease_group)
            .ok()
            .filter(|g| (1..=16).contains(g));
        dg[g.unwrap_or(0)] += 1;
        let band = c
            .birth
            .map(|b| age_band(age_on(b, c.date)))
            .unwrap_or("不明");
        *ages.entry(band).or_default() += 1;
    }
    let groups = crate::agencies::model::DISEASE_GROUPS;
    let mut dg_rows: Vec<Row> = groups
        .iter()
        .enumerate()
        .map(|(i, name)| {
            row(
                format!("{}. {name}", i + 1),
                dg[i + 1] as f64,
                Some(format!("dg:{}", i + 1)),
            )
        })
        .collect();
    if dg[0] > 0 {
        dg_rows.push(row("不明", dg[0] as f64, None));
    }
    out.push(Table {
        key: "disease_group",
        title: "疾患群別（子どもの実人数）",
        unit: "人",
        chart: false,
        rows: dg_rows,
    });
    let mut age_rows: Vec<Row> = AGE_BANDS
        .iter()
        .map(|(l, _, _)| {
            row(
                *l,
                ages.remove(l).unwrap_or(0) as f64,
                Some(format!("age:{l}")),
            )
        })
        .collect();
    if let Some(v) = ages.remove("不明") {
        age_rows.push(row("不明", v as f64, None));
    }
    out.push(Table {
        key: "age",
        title: "年齢別（子どもの実人数・その期間で最初の相談の日の年齢）",
        unit: "人",
        chart: true,
        rows: age_rows,
    });
    let mut acc: BTreeMap<&str, i64> = BTreeMap::new();
    for c in r.consults.iter().filter(|c| c.method == "同行") {
        *acc.entry(destination(c)).or_default() += 1;
    }
    let mut acc_rows: Vec<(&str, i64)> = acc.into_iter().collect();
    acc_rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    out.push(Table {
        key: "accompaniment",
        title: "同行の行き先（件数）",
        unit: "件",
        chart: false,
        rows: acc_rows
            .into_iter()
            .map(|(l, v)| row(l, v as f64, Some(format!("acc:{l}"))))
            .collect(),
    });
    if (2..=24).contains(&r.months.len()) {
        let mut rows = vec![];
        for (y, m) in &r.months {
            let n = r
                .consults
                .iter()
                .filter(|c| c.date.year() == *y && c.date.month() == *m)
                .count();
            // Up to a year, "4月" so that the period before lines up month by month.
            let label = if r.months.len() <= 12 {
                format!("{m}月")
            } else {
                format!("{y}年{m}月")
            };
            rows.push(row(label, n as f64, Some(format!("month:{y}-{m:02}"))));
        }
        out.push(Table {
            key: "by_month",
            title: "月別の相談（延べ件数）",
            unit: "件",
            chart: false,
            rows,
        });
    }
    out.extend(referral_tables(&r.referrals));
    let made = r.plan_revisions.iter().filter(|v| **v == 1).count();
    out.push(Table {
        key: "plans",
        title: "自立支援計画",
        unit: "件",
        chart: false,
        rows: vec![
            row("作成（第1版）", made as f64, None),
            row(
                "見直し（第2版以降）",
                (r.plan_revisions.len() - made) as f64,
                None,
            ),
        ],
    });
    let done = r.follow_ups.iter().filter(|f| f.done.is_some()).count();
    let on_time = r
        .follow_ups
        .iter()
        .filter(|f| matches!((f.done, f.due), (Some(d), Some(due)) if d <= due))
        .count();
    let overdue = r
        .follow_ups
        .iter()
        .filter(|f| f.done.is_none() && f.due.is_some_and(|d| d < r.today))
        .count();
    out.push(Table {
        key: "follow_ups",
        title: "フォローアップ（期日がこの期間のもの）",
        unit: "件",
        chart: false,
        rows: vec![
            row("期日が来た件数", r.follow_ups.len() as f64, None),
            row("実施した", done as f64, None),
            row("うち期日までに実施", on_time as f64, None),
            row("未実施で期日を過ぎている", overdue as f64, None),
        ],
    });
    let mk = |kinds: &[&str]| {
        let ms: Vec<&Meeting> = r
            .meetings
            .iter()
            .filter(|m| kinds.contains(&m.kind.as_str()))
            .collect();
        (
            ms.len() as f64,
            ms.iter().map(|m| m.attended).sum::<i64>() as f64,
        )
    };
    let (council, council_att) = mk(&["council"]);
    let (conf, conf_att) = mk(&["case_conference"]);
    let others: Vec<&Meeting> = r
        .meetings
        .iter()
        .filter(|m| !matches!(m.kind.as_str(), "council" | "case_conference"))
        .collect();
    out.push(Table {
        key: "meetings",
        title: "協議会・会議・ケース会議（開催）",
        unit: "",
        chart: false,
        rows: vec![
            row("協議会（回）", council, None),
            row("協議会の出席（延べ人数）", council_att, None),
            row("ケース会議（回）", conf, None),
            row("ケース会議の出席（延べ人数）", conf_att, None),
            row("その他の会議（回）", others.len() as f64, None),
            row(
                "その他の会議の出席（延べ人数）",
                others.iter().map(|m| m.attended).sum::<i64>() as f64,
                None,
            ),
        ],
    });
    out.push(Table {
        key: "trainings",
        title: "研修会",
        unit: "",
        chart: false,
        rows: vec![
            row("研修会（回）", r.trainings.len() as f64, None),
            row(
                "参加者（延べ人数）",
                r.trainings.iter().sum::<i64>() as f64,
                None,
            ),
        ],
    });
    let mut svc_rows = vec![];
    for (k, label, _) in crate::services::model::KINDS {
        let events = r.events.iter().filter(|e| *e == k).count();
        let used = |who: &str| {
            r.participations
                .iter()
                .filter(|p| p.service_kind == k && p.person_kind == who)
                .count() as f64
        };
        svc_rows.push(row(format!("{label}（回）"), events as f64, None));
        svc_rows.push(row(format!("{label}: 本人の利用"), used("child"), None));
        svc_rows.push(row(
            format!("{label}: きょうだいの利用"),
            used("sibling"),
            None,
        ));
        svc_rows.push(row(
            format!("{label}: 保護者・家族の利用"),
            used("guardian") + used("family"),
            None,
        ));
    }
    out.push(Table {
        key: "services",
        title: "努力義務事業（開催と利用・延べ人数）",
        unit: "",
        chart: false,
        rows: svc_rows,
    });
    out
}

fn referral_tables(refs: &[Referral]) -> Vec<Table> {
    let mut by_status = vec![];
    for (k, label) in crate::cases::model::REFERRAL_STATUSES {
        by_status.push(row(
            label,
            refs.iter().filter(|r| r.status == k).count() as f64,
            None,
        ));
    }
    let mut fields: BTreeMap<&str, i64> = BTreeMap::new();
    for r in refs {
        *fields
            .entry(if r.field.is_empty() {
                "（分野なし）"
            } else {
                r.field.as_str()
            })
            .or_default() += 1;
    }
    let mut field_rows: Vec<(&str, i64)> = fields.into_iter().collect();
    field_rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let to_accept = median(
        refs.iter()
            .filter_map(|r| r.accepted.map(|a| (a - r.created).num_days()))
            .collect(),
    );
    let completed: Vec<&Referral> = refs.iter().filter(|r| r.status == "completed").collect();
    let to_complete = median(
        completed
            .iter()
            .filter_map(|r| r.closed.map(|c| (c - r.created).num_days()))
            .collect(),
    );
    let within_30 = completed
        .iter()
        .filter(|r| r.closed.is_some_and(|c| (c - r.created).num_days() <= 30))
        .count();
    let with_outcome = completed.iter().filter(|r| r.outcome_written).count();
    let pct = |a: usize, b: usize| (b > 0).then(|| (a as f64 * 1000.0 / b as f64).round() / 10.0);
    vec![
        Table {
            key: "referral_status",
            title: "つなぐ支援（この期間に送った紹介の今の状況）",
            unit: "件",
            chart: true,
            rows: by_status,
        },
        Table {
            key: "referral_field",
            title: "つなぐ支援（紹介先の分野別）",
            unit: "件",
            chart: false,
            rows: field_rows
                .into_iter()
                .map(|(l, v)| row(l, v as f64, None))
                .collect(),
        },
        Table {
            key: "referral_timing",
            title: "つなぐ支援（日数と結果）",
            unit: "",
            chart: false,
            rows: vec![
                row("紹介した件数", refs.len() as f64, None),
                opt_row("受付までの日数（中央値）", to_accept),
                opt_row("完了までの日数（中央値）", to_complete),
                row("完了した件数", completed.len() as f64, None),
                row("30日以内に完了した件数", within_30 as f64, None),
                opt_row(
                    "完了のうち結果が記録された割合（%）",
                    pct(with_outcome, completed.len()),
                ),
            ],
        },
    ]
}

/// The tables of `now` with the values of `before` beside them.
pub fn beside(mut now: Vec<Table>, before: &[Table]) -> Vec<Table> {
    for t in &mut now {
        let Some(b) = before.iter().find(|b| b.key == t.key) else {
            continue;
        };
        for r in &mut t.rows {
            // A row the period before did not have (a new destination) was 0 then.
            r.previous = match b.rows.iter().find(|x| x.label == r.label) {
                Some(x) => x.value,
                None => Some(0.0),
            };
        }
        // Rows only the period before had (a destination, a field) come last with 0 now.
        for br in &b.rows {
            if !t.rows.iter().any(|r| r.label == br.label) && br.value.is_some_and(|v| v > 0.0) {
                t.rows.push(Row {
                    label: br.label.clone(),
                    value: Some(0.0),
                    previous: br.value,
                    drill: br.drill.clone(),
                });
            }
        }
    }
    now
}

/// 1234.0 → "1,234"; 12.5 → "12.5"; None → "—"
pub fn fmt(v: Option<f64>) -> String {
    match v {
        None => "—".into(),
        Some(x) if (x - x.round()).abs() < 1e-9 => {
            crate::reports::cost::model::group(x.round() as i64)
        }
        Some(x) => format!("{x:.1}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_and_medians() {
        let b = NaiveDate::from_ymd_opt(2010, 6, 15).unwrap();
        assert_eq!(age_on(b, NaiveDate::from_ymd_opt(2028, 6, 14).unwrap()), 17);
        assert_eq!(age_on(b, NaiveDate::from_ymd_opt(2028, 6, 15).unwrap()), 18);
        assert_eq!(age_band(17), "15〜17歳（高校生の年代）");
        assert_eq!(age_band(20), "20歳以上");
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![5, 1, 3]), Some(3.0));
        assert_eq!(median(vec![4, 1, 3, 2]), Some(2.5));
        assert_eq!(fmt(Some(1234.0)), "1,234");
        assert_eq!(fmt(Some(12.5)), "12.5");
        assert_eq!(fmt(None), "—");
    }
}
