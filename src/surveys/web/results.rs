//! The survey's results for staff: the aggregate page (tables, bar charts, the
//! headline changes) and every answer as Excel or CSV.

use askama::Template;
use axum::extract::{Path, State};

use super::{date_label, link_view, LinkView};
use crate::network::store::Training;
use crate::surveys::chart::{self, Row};
use crate::surveys::model::{self, Aggregate, Kind, Phase, QuestionAgg};
use crate::surveys::store::{self, StoredAnswer, Survey};
use crate::web::pages::{render, Auth, Page, PageResult, WithCtx};
use crate::web::AppState;
use crate::AppError;

pub struct QResult {
    pub q: QuestionAgg,
    pub pre: bool,
    pub post: bool,
    pub kind: &'static str,
    pub chart: String,
}

#[derive(Template)]
#[template(path = "surveys/survey_results.html")]
struct ResultsPage {
    page: Page,
    training: Training,
    date: String,
    tenant: String,
    agg: Aggregate,
    headline_chart: String,
    questions: Vec<QResult>,
    links: Vec<LinkView>,
}

fn pct_of(c: &Option<model::Cell>) -> Option<f64> {
    c.and_then(|c| c.percent())
}

fn results_data(agg: Aggregate) -> (Aggregate, String, Vec<QResult>) {
    let series = [Phase::Pre.label(), Phase::Post.label()];
    let headline_chart = chart::bars(
        "研修会の前後での主な変化",
        &series,
        &agg.headlines
            .iter()
            .map(|h| Row {
                label: h.label.clone(),
                values: vec![pct_of(&h.pre), pct_of(&h.post)],
            })
            .collect::<Vec<_>>(),
    );
    let questions = agg
        .questions
        .iter()
        .map(|q| QResult {
            pre: q.phases.contains(&Phase::Pre),
            post: q.phases.contains(&Phase::Post),
            kind: match q.kind {
                Kind::Single => "single",
                Kind::Multi => "multi",
                Kind::Text => "text",
            },
            chart: if q.kind == Kind::Text {
                String::new()
            } else {
                chart::bars(
                    &q.label,
                    &series,
                    &q.rows
                        .iter()
                        .map(|r| Row {
                            label: r.label.clone(),
                            values: vec![pct_of(&r.pre), pct_of(&r.post)],
                        })
                        .collect::<Vec<_>>(),
                )
            },
            q: q.clone(),
        })
        .collect();
    (agg, headline_chart, questions)
}

pub(super) async fn results_page(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
) -> PageResult {
    let training = crate::network::store::get_training(&st.db, &a.ctx, &id)
        .await
        .page_err(&a)?;
    let (survey, agg) = store::aggregate(&st.db, &a.ctx, &id).await.page_err(&a)?;
    let (agg, headline_chart, questions) = results_data(agg);
    Ok(render(&ResultsPage {
        page: Page::for_auth(format!("アンケート結果（{}）", training.input.title), &a),
        date: date_label(&training.input.date),
        tenant: a.ctx.tenant_name.clone().unwrap_or_default(),
        links: survey.links.iter().map(|l| link_view(l, "")).collect(),
        training,
        agg,
        headline_chart,
        questions,
    }))
}

// ---------------------------------------------------------------- exports

/// Header and one row per answer: 回答番号, 区分, 回答日時, 分野, then each question
/// (chosen options joined by 「、」; a 「その他」 text in its own column).
fn answer_table(survey: &Survey, answers: &[StoredAnswer]) -> (Vec<String>, Vec<Vec<String>>) {
    let qs = &survey.questions.questions;
    let mut head: Vec<String> = ["回答番号", "区分", "回答日時", "所属の分野"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for q in qs {
        head.push(q.label.clone());
        if q.options.iter().any(|c| c.other) {
            head.push(format!("{}（その他の内容）", q.label));
        }
    }
    let rows = answers
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let mut row = vec![
                (i + 1).to_string(),
                a.phase.label().to_string(),
                crate::time::format_datetime(&a.submitted_at),
                a.field.clone(),
            ];
            for q in qs {
                let v = match q.kind {
                    Kind::Text => a.response.texts.get(&q.key).cloned().unwrap_or_default(),
                    _ => a
                        .response
                        .choices
                        .get(&q.key)
                        .map(|keys| {
                            keys.iter()
                                .filter_map(|k| q.choice(k).map(|c| c.label.clone()))
                                .collect::<Vec<_>>()
                                .join("、")
                        })
                        .unwrap_or_default(),
                };
                row.push(v);
                if q.options.iter().any(|c| c.other) {
                    row.push(a.response.texts.get(&q.key).cloned().unwrap_or_default());
                }
            }
            row
        })
        .collect();
    (head, rows)
}

fn file_base(t: &Training) -> String {
    format!("{}_{}_アンケート回答", t.input.date, t.input.title)
}

pub(super) async fn answers_xlsx(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
) -> PageResult {
    let training = crate::network::store::get_training(&st.db, &a.ctx, &id)
        .await
        .page_err(&a)?;
    let (survey, answers) = store::answers(&st.db, &a.ctx, &id).await.page_err(&a)?;
    let (head, rows) = answer_table(&survey, &answers);
    let widths: Vec<(&str, f64)> = head
        .iter()
        .enumerate()
        .map(|(i, h)| (h.as_str(), if i < 4 { 12.0 } else { 24.0 }))
        .collect();
    let (_, agg) = store::aggregate(&st.db, &a.ctx, &id).await.page_err(&a)?;
    let mut summary = vec![];
    for h in &agg.headlines {
        summary.push(vec![
            "主な変化".into(),
            h.label.clone(),
            h.pre.map(|c| c.count.to_string()).unwrap_or_default(),
            h.pre.map(|c| c.pct()).unwrap_or_default(),
            h.post.map(|c| c.count.to_string()).unwrap_or_default(),
            h.post.map(|c| c.pct()).unwrap_or_default(),
        ]);
    }
    for q in &agg.questions {
        if q.kind == Kind::Text {
            continue;
        }
        for r in q.rows.iter().chain(std::iter::once(&q.no_answer)) {
            summary.push(vec![
                q.label.clone(),
                r.label.clone(),
                r.pre.map(|c| c.count.to_string()).unwrap_or_default(),
                r.pre.map(|c| c.pct()).unwrap_or_default(),
                r.post.map(|c| c.count.to_string()).unwrap_or_default(),
                r.post.map(|c| c.pct()).unwrap_or_default(),
            ]);
        }
    }
    summary.push(vec![
        "回答者数".into(),
        String::new(),
        agg.respondents_pre.to_string(),
        String::new(),
        agg.respondents_post.to_string(),
        String::new(),
    ]);
    let bytes = crate::render::xlsx::workbook(&[
        crate::render::xlsx::Sheet {
            name: "集計",
            columns: &[
                ("設問", 26.0),
                ("選択肢", 40.0),
                ("事前 件数", 10.0),
                ("事前 割合", 10.0),
                ("事後 件数", 10.0),
                ("事後 割合", 10.0),
            ],
            rows: summary,
        },
        crate::render::xlsx::Sheet {
            name: "回答",
            columns: &widths,
            rows,
        },
    ])
    .map_err(AppError::Internal)
    .page_err(&a)?;
    Ok(crate::web::download::download(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("{}.xlsx", file_base(&training)),
    ))
}

/// UTF-8 with a BOM (Excel opens it as UTF-8), CRLF; cells a spreadsheet would take
/// for a formula are prefixed with `'`.
fn csv_bytes(head: &[String], rows: Vec<Vec<String>>) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(b"\xEF\xBB\xBF".to_vec());
    w.write_record(head)?;
    for r in rows {
        w.write_record(r.into_iter().map(crate::agencies::io::csv_guard))?;
    }
    w.into_inner().map_err(|e| anyhow::anyhow!(e.to_string()))
}

pub(super) async fn answers_csv(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
) -> PageResult {
    let training = crate::network::store::get_training(&st.db, &a.ctx, &id)
        .await
        .page_err(&a)?;
    let (survey, answers) = store::answers(&st.db, &a.ctx, &id).await.page_err(&a)?;
    let (head, rows) = answer_table(&survey, &answers);
    let bytes = csv_bytes(&head, rows)
        .map_err(AppError::Internal)
        .page_err(&a)?;
    Ok(crate::web::download::download(
        bytes,
        "text/csv; charset=utf-8",
        &format!("{}.csv", file_base(&training)),
    ))
}
