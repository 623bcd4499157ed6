//! Pages of the cost comparison: the simulator (`/reports/cost`, a GET form so that a
//! comparison can be bookmarked and what was typed always comes back), filling it from
//! the records, saving it as a scenario, and the scenarios side by side on screen and
//! on one A4 sheet with the guide's merit/demerit table.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use super::model::{self, CostForm, CostInput, CostResult, MERITS};
use super::store::{self, FromRecords, Scenario};
use crate::auth::{policy, Action};
use crate::error::FieldError;
use crate::web::form::{Form, Query};
use crate::web::pages::{render_status, Auth, Page, PageResult, WithCtx};
use crate::web::AppState;
use crate::AppError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/reports/cost", get(simulator))
        .route("/reports/cost/scenarios", post(save))
        .route("/reports/cost/scenarios/{id}/delete", post(delete))
        .route("/reports/cost/compare", get(compare))
        .route("/reports/cost/compare/print", get(compare_print))
}

/// The simulator's query: the comparison's fields, plus `fill=records`.
#[derive(Deserialize, Default)]
#[serde(default)]
struct SimQuery {
    #[serde(flatten)]
    form: CostForm,
    fill: String,
    done: String,
}

/// One computed line for the table.
struct Line {
    label: String,
    count: String,
    minutes: String,
    hours: String,
}

struct Shown {
    lines: Vec<Line>,
    r: CostResult,
    total_hours: String,
    labour: String,
    other: String,
    in_house: String,
    contract: String,
    subsidy_rate: String,
    subsidy: String,
    net: String,
    diff: String,
    cheaper: &'static str,
    wage: String,
}

fn shown(i: &CostInput) -> Shown {
    let r = i.compute();
    let g = model::group;
    Shown {
        lines: i
            .lines
            .iter()
            .map(|l| Line {
                label: l.label.clone(),
                count: g(l.count),
                minutes: g(l.minutes),
                hours: model::hours_label(l.total_minutes() as f64 / 60.0),
            })
            .collect(),
        total_hours: model::hours_label(r.total_hours),
        labour: g(r.labour_cost_yen),
        other: g(i.other_costs),
        in_house: g(r.in_house_cost_yen),
        contract: g(i.contract),
        subsidy_rate: i.subsidy.label(),
        subsidy: g(r.subsidy_yen),
        net: g(r.contract_cost_net_yen),
        diff: g(r.difference_yen.abs()),
        cheaper: match r.difference_yen {
            d if d > 0 => "委託",
            d if d < 0 => "直営",
            _ => "",
        },
        wage: g(i.wage),
        r,
    }
}

#[derive(Template)]
#[template(path = "reports/cost.html")]
struct SimPage {
    page: Page,
    f: CostForm,
    errors: Vec<FieldError>,
    result: Option<Shown>,
    records: Option<FromRecords>,
    scenarios: Vec<(Scenario, Shown)>,
    can_save: bool,
    name: String,
}

impl SimPage {
    fn err(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

fn notice(done: &str) -> Option<String> {
    match done {
        "saved" => Some("案を保存しました。「案を並べて比べる」で比べられます。".into()),
        "deleted" => Some("案を削除しました。".into()),
        _ => None,
    }
}

async fn view(
    st: &AppState,
    a: &Auth,
    f: CostForm,
    records: Option<FromRecords>,
    mut errors: Vec<FieldError>,
    name: String,
    done: &str,
) -> PageResult {
    let scenarios = store::scenarios(&st.db, &a.ctx)
        .await
        .page_err(a)?
        .into_iter()
        .map(|s| {
            let sh = shown(&s.input);
            (s, sh)
        })
        .collect();
    let result = match f.parse() {
        Ok(i) => Some(shown(&i)),
        Err(e) => {
            if errors.is_empty() {
                errors = e;
            }
            None
        }
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(render_status(
        status,
        &SimPage {
            page: Page::for_auth("委託の費用比較", a).notice(notice(done)),
            f,
            errors,
            result,
            records,
            scenarios,
            can_save: policy::can(&a.ctx, Action::ManageContracts),
            name,
        },
    ))
}

async fn simulator(State(st): State<AppState>, a: Auth, Query(q): Query<SimQuery>) -> PageResult {
    policy::require(&a.ctx, Action::ViewReports).page_err(&a)?;
    let blank = q.form == CostForm::default();
    let mut f = if blank {
        CostForm::from_input(&CostInput::guide_example())
    } else {
        q.form
    };
    let records = if q.fill == "records" {
        let r = store::from_records(&st.db, &a.ctx, &f).await.page_err(&a)?;
        f = r.form.clone();
        Some(r)
    } else {
        None
    };
    view(&st, &a, f, records, vec![], String::new(), &q.done).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SaveForm {
    #[serde(flatten)]
    form: CostForm,
    name: String,
}

async fn save(State(st): State<AppState>, a: Auth, Form(s): Form<SaveForm>) -> PageResult {
    match store::save_scenario(&st.db, &a.ctx, &s.name, &s.form).await {
        Ok(_) => Ok(Redirect::to("/reports/cost?done=saved#scenarios").into_response()),
        Err(AppError::Validation(e)) => view(&st, &a, s.form, None, e, s.name, "").await,
        Err(e) => Err(e).page_err(&a),
    }
}

async fn delete(State(st): State<AppState>, a: Auth, Path(id): Path<String>) -> PageResult {
    store::delete_scenario(&st.db, &a.ctx, &id)
        .await
        .page_err(&a)?;
    Ok(Redirect::to("/reports/cost?done=deleted#scenarios").into_response())
}

#[derive(Template)]
#[template(path = "reports/cost_compare.html")]
struct ComparePage {
    page: Page,
    print: bool,
    tenant: String,
    today: String,
    columns: Vec<(Scenario, Shown)>,
    /// The method lines: (label, one cell per scenario).
    lines: Vec<(String, Vec<String>)>,
    merits: &'static [(&'static str, &'static str, &'static str)],
}

async fn compare_view(st: &AppState, a: &Auth, print: bool) -> PageResult {
    policy::require(&a.ctx, Action::ViewReports).page_err(a)?;
    let mut list = store::scenarios(&st.db, &a.ctx).await.page_err(a)?;
    if list.is_empty() {
        // Nothing saved yet: the guide's example stands in, so the sheet is never empty.
        let input = CostInput::guide_example();
        list.push(Scenario {
            id: String::new(),
            name: "手引きの例".into(),
            form: CostForm::from_input(&input),
            input,
            created_by: String::new(),
            created_at: String::new(),
        });
    }
    let columns: Vec<(Scenario, Shown)> = list
        .into_iter()
        .map(|s| {
            let sh = shown(&s.input);
            (s, sh)
        })
        .collect();
    let mut labels: Vec<String> = vec![];
    for (_, sh) in &columns {
        for l in &sh.lines {
            if !labels.contains(&l.label) {
                labels.push(l.label.clone());
            }
        }
    }
    let lines = labels
        .into_iter()
        .map(|label| {
            let cells = columns
                .iter()
                .map(|(_, sh)| {
                    sh.lines
                        .iter()
                        .find(|l| l.label == label)
                        .map(|l| format!("{} 件 × {} 分", l.count, l.minutes))
                        .unwrap_or_else(|| "—".into())
                })
                .collect();
            (label, cells)
        })
        .collect();
    let title = if print {
        "委託の費用比較（協議会資料）"
    } else {
        "委託の費用比較: 案を並べる"
    };
    Ok(render_status(
        StatusCode::OK,
        &ComparePage {
            page: Page::for_auth(title, a),
            print,
            tenant: a.ctx.tenant_name.clone().unwrap_or_default(),
            today: crate::time::format_wareki(crate::time::today_jst()),
            columns,
            lines,
            merits: &MERITS,
        },
    ))
}

async fn compare(State(st): State<AppState>, a: Auth) -> PageResult {
    compare_view(&st, &a, false).await
}

async fn compare_print(State(st): State<AppState>, a: Auth) -> PageResult {
    compare_view(&st, &a, true).await
}
