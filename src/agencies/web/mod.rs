//! Pages of the agency registry.

mod edit;
mod import_export;
mod list;
mod programs;
mod proposals;
mod scenes;
mod settings;
mod show;

pub use self::edit::{ContactSlot, GroupBox};
pub use self::list::{ListQuery, PAGE_SIZE};
pub use self::scenes::{Cell, MatrixRow};
pub use self::show::{age_text, HistoryRow};
pub use crate::web::form::Opt;

use axum::routing::{get, post};
use axum::Router;

use self::edit::{create, delete, edit_form, new_form, update};
use self::import_export::{export, import_commit, import_form, import_upload};
use self::list::list;
use self::programs::{program_add, program_link, program_unlink, programs_page};
use self::proposals::{proposal_decide, proposals_page, propose_form, propose_submit};
use self::scenes::{matrix, scene_add, scene_page, scene_remove, scene_set};
use self::settings::{settings, settings_save};
use self::show::{history, mine, show};
use super::model::{AgencyInput, ContactInput};
use crate::error::FieldError;
use crate::web::form::Rows;
use crate::web::AppState;
use crate::AppError;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/agencies", get(list).post(create))
        .route("/agencies/new", get(new_form))
        .route("/agencies/mine", get(mine))
        .route("/agencies/matrix", get(matrix))
        .route("/agencies/scenes/{id}", get(scene_page).post(scene_add))
        .route("/agencies/import", get(import_form).post(import_upload))
        .route("/agencies/import/{batch}/commit", post(import_commit))
        .route("/agencies/export", get(export))
        .route("/agencies/settings", get(settings))
        .route("/agencies/settings/{kind}", post(settings_save))
        .route("/agencies/programs", get(programs_page).post(program_add))
        .route("/agencies/proposals", get(proposals_page))
        .route("/agencies/proposals/{id}/decide", post(proposal_decide))
        .route("/agencies/{id}", get(show).post(update))
        .route("/agencies/{id}/edit", get(edit_form))
        .route("/agencies/{id}/delete", post(delete))
        .route("/agencies/{id}/history", get(history))
        .route("/agencies/{id}/scenes", post(scene_set))
        .route("/agencies/{id}/scenes/{scene}/delete", post(scene_remove))
        .route("/agencies/{id}/programs", post(program_link))
        .route(
            "/agencies/{id}/programs/{program}/delete",
            post(program_unlink),
        )
        .route(
            "/agencies/{id}/propose",
            get(propose_form).post(propose_submit),
        )
}

fn opt_int(s: &str) -> Result<Option<i64>, ()> {
    let s = crate::text::clean(s);
    if s.is_empty() {
        Ok(None)
    } else {
        s.trim_end_matches('歳').parse().map(Some).map_err(|_| ())
    }
}

pub const CONTACT_SLOTS: usize = 3;

/// The agency form (new and edit) as typed: the disease groups ticked (`dg`, repeated)
/// and up to 20 numbered contact rows (`contact_name_0` …).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct AgencyForm {
    field: String,
    name: String,
    reading: String,
    address: String,
    overview: String,
    url: String,
    is_new: String,
    services: String,
    strengths: String,
    dg: Vec<String>,
    age_min: String,
    age_max: String,
    hours: String,
    notes: String,
    /// The version the edit form was opened at (an edit made meanwhile is refused).
    version: String,
    #[serde(flatten)]
    rows: Rows,
}

impl AgencyForm {
    pub(super) fn version(&self) -> Option<i64> {
        self.version.parse().ok()
    }

    /// The agency, and the fields that are not what they must be (a non-number age).
    pub(super) fn input(self) -> (AgencyInput, Vec<FieldError>) {
        let mut errs = vec![];
        let mut age = |k: &str, v: &str| match opt_int(v) {
            Ok(v) => v,
            Err(()) => {
                errs.push(FieldError::new(k, "対象年齢は数字で入力してください。"));
                None
            }
        };
        let age_min = age("age_min", &self.age_min);
        let age_max = age("age_max", &self.age_max);
        let mut contacts = vec![];
        for i in 0..20 {
            let g = |f: &str| self.rows.text(&format!("contact_{f}"), i);
            let c = ContactInput {
                name: g("name"),
                department: g("department"),
                phone: g("phone"),
                email: g("email"),
                best_time: g("best_time"),
            };
            if !c.is_empty() {
                contacts.push(c);
            }
        }
        let input = AgencyInput {
            field: self.field,
            name: self.name,
            reading: self.reading,
            address: self.address,
            overview: self.overview,
            url: self.url,
            is_new: self.is_new == "1",
            services: self.services,
            strengths: self.strengths,
            disease_groups: self.dg.iter().filter_map(|v| v.parse().ok()).collect(),
            age_min,
            age_max,
            hours: self.hours,
            notes: self.notes,
            contacts,
        };
        (input, errs)
    }
}

/// Form-level problems (e.g. a non-number age) together with the model's.
fn all_errors(mut form_errs: Vec<FieldError>, input: &AgencyInput, fields: &[String]) -> AppError {
    if let Err(more) = super::model::validate(input, fields) {
        form_errs.extend(more);
    }
    AppError::Validation(form_errs)
}

fn options(values: &[String], selected: &str) -> Vec<Opt> {
    values
        .iter()
        .map(|v| Opt {
            value: v.clone(),
            label: v.clone(),
            selected: v == selected,
        })
        .collect()
}
