//! `/surveys/{id}/results`: every question's counts and percentages (n shown, one
//! decimal from exact counts) with a bar chart, numbers summarised, text answers with a
//! search, and a cross-tabulation by any single-choice question (`?by=`), small cells
//! marked; printable on A4; the summary and answers as XLSX, the answers as CSV.

use askama::Template;
use axum::extract::{Path, State};
use serde::Deserialize;

use super::file_base;
use crate::surveys::chart::{bars, Row};
use crate::surveys::engine::def::{Definition, Kind};
use crate::surveys::engine::store::Survey;
use crate::surveys::engine::tally::{self, Cross, ItemResult, SMALL};
use crate::surveys::engine::{export, results};
use crate::web::form::{Opt, Query};
use crate::web::pages::{render, Auth, Page, PageResult, WithCtx};
use crate::web::AppState;
use crate::AppError;

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct ResultsQuery {
    by: String,
    q: String,
}

pub(super) struct ItemView {
    pub r: ItemResult,
    pub chart: String,
    pub cross: Option<Cross>,
    pub texts: Vec<String>,
    pub texts_hidden: usize,
}

#[derive(Template)]
#[template(path = "surveys/engine/results.html")]
struct ResultsPage {
    page: Page,
    s: Survey,
    responses: i64,
    rate: String,
    items: Vec<ItemView>,
    by_opts: Vec<Opt>,
    by_text: String,
    q: String,
    small: i64,
}

/// Most text answers listed under one question (the rest are counted; the files hold all).
const TEXTS_SHOWN: usize = 200;

pub(super) async fn page(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    Query(q): Query<ResultsQuery>,
) -> PageResult {
    let (s, res, all) = results(&st.db, &a.ctx, &id).await.page_err(&a)?;
    let def = s.definition.clone().unwrap_or(Definition {
        intro: String::new(),
        sections: vec![],
    });
    let by = def
        .item(&q.by)
        .filter(|i| i.kind == Kind::Single)
        .map(|i| i.key.clone());
    let needle = crate::text::search_key(q.q.trim());
    let items = res
        .items
        .into_iter()
        .map(|r| {
            let chart = if r.kind.has_options() && r.n > 0 {
                let rows: Vec<Row> = r
                    .options
                    .iter()
                    .map(|o| Row {
                        label: o.label.clone(),
                        values: vec![o.percent],
                    })
                    .collect();
                bars(
                    &format!("問{}の回答の割合（n={}）", r.number, r.n),
                    &["割合"],
                    &rows,
                )
            } else {
                String::new()
            };
            let cross = by
                .as_deref()
                .and_then(|b| tally::cross(&def, b, &r.key, &all));
            let matching: Vec<String> = r
                .texts
                .iter()
                .filter(|t| needle.is_empty() || crate::text::search_key(t).contains(&needle))
                .cloned()
                .collect();
            let hidden = matching.len().saturating_sub(TEXTS_SHOWN);
            ItemView {
                chart,
                cross,
                texts: matching.into_iter().take(TEXTS_SHOWN).collect(),
                texts_hidden: hidden,
                r,
            }
        })
        .collect();
    let rate = if s.invitations > 0 {
        format!(
            "回答コード {} 件のうち {} 件が回答（回答率 {}）",
            s.invitations,
            s.invitations_used,
            crate::surveys::model::Cell::new(s.invitations_used, s.invitations).pct()
        )
    } else {
        String::new()
    };
    Ok(render(&ResultsPage {
        page: Page::for_auth(format!("結果（{}）", s.title), &a),
        responses: res.responses,
        rate,
        by_text: by
            .as_deref()
            .and_then(|b| def.item(b))
            .map(|i| i.text.clone())
            .unwrap_or_default(),
        by_opts: def
            .items()
            .filter(|i| i.kind == Kind::Single)
            .map(|i| Opt {
                value: i.key.clone(),
                label: crate::surveys::engine::answers::short(&i.text),
                selected: by.as_deref() == Some(i.key.as_str()),
            })
            .collect(),
        q: q.q,
        items,
        small: SMALL,
        s,
    }))
}

pub(super) async fn xlsx(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
) -> PageResult {
    let (s, res, all) = results(&st.db, &a.ctx, &id).await.page_err(&a)?;
    let def = s.definition.clone().unwrap_or(Definition {
        intro: String::new(),
        sections: vec![],
    });
    let bytes = export::xlsx(&s.title, &def, &res, &all)
        .map_err(AppError::Internal)
        .page_err(&a)?;
    Ok(crate::web::download::download(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("{}_結果.xlsx", file_base(&s.title)),
    ))
}

pub(super) async fn csv(State(st): State<AppState>, a: Auth, Path(id): Path<String>) -> PageResult {
    let (s, _, all) = results(&st.db, &a.ctx, &id).await.page_err(&a)?;
    let def = s.definition.clone().unwrap_or(Definition {
        intro: String::new(),
        sections: vec![],
    });
    let bytes = export::csv(&def, &all)
        .map_err(AppError::Internal)
        .page_err(&a)?;
    Ok(crate::web::download::download(
        bytes,
        "text/csv; charset=utf-8",
        &format!("{}_回答.csv", file_base(&s.title)),
    ))
}
