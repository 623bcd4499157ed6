//! Pages of the roll-up: `/reports/rollup` (a period, optionally the tenants of one
//! kind) and its XLSX, for a system_admin.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use super::model::Rollup;
use super::store;
use crate::error::FieldError;
use crate::render::xlsx::{workbook_cells, Cell, CellSheet};
use crate::reports::stats::period::{Period, PeriodQuery};
use crate::tenants::TenantKind;
use crate::web::download::download;
use crate::web::form::Query;
use crate::web::pages::{render_status, Auth, Page, PageResult, WithCtx};
use crate::web::AppState;
use crate::AppError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/reports/rollup", get(page))
        .route("/reports/rollup.xlsx", get(xlsx))
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct RollupQuery {
    #[serde(flatten)]
    pub period: PeriodQuery,
    pub kind: String,
}

impl RollupQuery {
    /// The period and the tenant kind, or the messages of what is wrong.
    pub fn parse(&self) -> Result<(Period, Option<TenantKind>), Vec<FieldError>> {
        let mut errors = vec![];
        let period = match self.period.parse(Period::this_fiscal_year()) {
            Ok(p) => Some(p),
            Err(e) => {
                errors.extend(e);
                None
            }
        };
        let kind = match self.kind.trim() {
            "" => None,
            k => match TenantKind::parse(k) {
                Some(k) => Some(k),
                None => {
                    errors.push(FieldError::new(
                        "kind",
                        "実施主体の種類は、都道府県・指定都市・中核市・児童相談所設置市から選んでください。",
                    ));
                    None
                }
            },
        };
        match period {
            Some(p) if errors.is_empty() => Ok((p, kind)),
            _ => Err(errors),
        }
    }

    fn query_string(&self, p: &Period, kind: Option<TenantKind>) -> String {
        let mut s = p.query_string();
        if let Some(k) = kind {
            s.push_str(&format!("&kind={}", k.as_str()));
        }
        s
    }
}

#[derive(Template)]
#[template(path = "reports/rollup.html")]
struct RollupPage {
    page: Page,
    r: Option<Rollup>,
    q: PeriodQuery,
    kind: String,
    kinds: Vec<(&'static str, &'static str)>,
    errors: Vec<FieldError>,
    query: String,
}

async fn page(State(st): State<AppState>, a: Auth, Query(q): Query<RollupQuery>) -> PageResult {
    store::allowed(&st.db, &a.ctx).await.page_err(&a)?;
    let (r, errors, query) = match q.parse() {
        Ok((p, kind)) => (
            Some(store::rollup(&st.db, &a.ctx, &p, kind).await.page_err(&a)?),
            vec![],
            q.query_string(&p, kind),
        ),
        Err(e) => (None, e, String::new()),
    };
    let title = match &r {
        Some(x) => format!("全体の実績 {}", x.period_label),
        None => "全体の実績".into(),
    };
    Ok(render_status(
        if errors.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        },
        &RollupPage {
            page: Page::for_auth(title, &a),
            r,
            q: q.period.clone(),
            kind: q.kind.trim().to_string(),
            kinds: TenantKind::ALL
                .iter()
                .map(|k| (k.as_str(), k.label()))
                .collect(),
            errors,
            query,
        },
    ))
}

/// One sheet a table: the tenants down, the columns across; a suppressed cell is the
/// text 「<5」 or 「*」, every other cell a number.
pub fn xlsx_bytes(r: &Rollup) -> anyhow::Result<Vec<u8>> {
    let sheets: Vec<CellSheet> = r
        .tables
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let mut columns = vec![("実施主体".to_string(), 26.0), ("種類".to_string(), 14.0)];
            columns.extend(t.columns.iter().map(|c| (c.clone(), 12.0)));
            let cell = |c: &super::model::Cell| match c.value {
                Some(v) => Cell::Number(v as f64),
                None => Cell::Text(c.shown.clone()),
            };
            let mut rows: Vec<Vec<Cell>> = r
                .tenants
                .iter()
                .zip(&t.rows)
                .map(|(tn, row)| {
                    let mut v = vec![
                        Cell::Text(tn.name.clone()),
                        Cell::Text(tn.kind_label.clone()),
                    ];
                    v.extend(row.iter().map(cell));
                    v
                })
                .collect();
            let mut total = vec![Cell::Text("全体".into()), Cell::Empty];
            total.extend(t.total.iter().map(cell));
            rows.push(total);
            CellSheet {
                name: format!("{} {}", i + 1, t.key),
                title: format!(
                    "{}　{}（{}。<5 は 1〜4、* はそれを守るために伏せた数）",
                    t.title, r.period_label, t.unit
                ),
                columns,
                rows,
            }
        })
        .collect();
    workbook_cells(&sheets)
}

async fn xlsx(
    State(st): State<AppState>,
    a: Auth,
    Query(q): Query<RollupQuery>,
) -> Result<Response, crate::web::pages::PageError> {
    store::allowed(&st.db, &a.ctx).await.page_err(&a)?;
    let (p, kind) = q.parse().map_err(AppError::Validation).page_err(&a)?;
    let r = store::rollup(&st.db, &a.ctx, &p, kind).await.page_err(&a)?;
    let bytes = xlsx_bytes(&r).map_err(AppError::Internal).page_err(&a)?;
    Ok(download(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("全体の実績_{}_{}〜{}.xlsx", r.period_label, p.from, p.to),
    ))
}
