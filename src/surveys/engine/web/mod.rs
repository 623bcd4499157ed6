//! Pages of the survey engine: for staff the list and a new survey (`list`), one survey
//! with its link, QR code, handout, invitation codes and settings (`show`), its questions
//! (`questions`), results, cross-tabulation and files (`results`), and paper answers
//! keyed in (`paper`); for families the public answer page (`public`, served at
//! `/s/{token}` beside the training's links). The answer form is one view (`form`)
//! for the public page, the preview and the paper entry.

mod form;
mod list;
mod paper;
pub mod public;
mod questions;
mod results;
mod show;

use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use crate::web::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/surveys", get(list::list).post(list::create))
        .route("/surveys/{id}", get(show::show))
        .route("/surveys/{id}/settings", post(show::settings))
        .route("/surveys/{id}/open", post(show::open))
        .route("/surveys/{id}/close", post(show::close))
        .route("/surveys/{id}/copy", post(list::copy))
        .route("/surveys/{id}/handout", get(show::handout))
        .route("/surveys/{id}/qr.svg", get(show::qr))
        .route(
            "/surveys/{id}/invitations",
            get(show::invitations).post(show::invite),
        )
        .route("/surveys/{id}/invitations.csv", get(show::invitations_csv))
        .route(
            "/surveys/{id}/questions",
            get(questions::page).post(questions::change),
        )
        .route("/surveys/{id}/preview", get(paper::preview))
        .route("/surveys/{id}/paper", get(paper::page).post(paper::enter))
        .route("/surveys/{id}/results", get(results::page))
        .route("/surveys/{id}/results.xlsx", get(results::xlsx))
        .route("/surveys/{id}/answers.csv", get(results::csv))
}

/// `?done=…`: what the page was sent back after, for its notice.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Done {
    done: Option<String>,
}

/// 2026-02-20 → 令和8年2月20日 (as stored when it is not a date).
fn date_label(d: &str) -> String {
    chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
        .ok()
        .map(crate::time::format_wareki)
        .unwrap_or_else(|| d.to_string())
}

/// A file name from a survey's title (no path or control characters).
fn file_base(title: &str) -> String {
    let s: String = title
        .chars()
        .filter(|c| !c.is_control() && !"/\\:*?\"<>|".contains(*c))
        .take(60)
        .collect();
    if s.trim().is_empty() {
        "survey".into()
    } else {
        s.trim().to_string()
    }
}
