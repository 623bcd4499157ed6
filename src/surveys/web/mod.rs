//! Pages of the training survey: for staff, the links (open, close, new link, handout
//! to print, `links`), the results (tables, bar charts, headline changes; printable A4)
//! and the answers as Excel or CSV (`results`); for trainees, the public answer page
//! `/s/{token}` (`answer`: no account; the pre-session double-submit CSRF cookie of
//! web::csrf; anonymous). The training page itself (`/trainings/{id}`, network's) is
//! served from here with the survey's box on it (`links::training_page`).

mod answer;
mod links;
mod results;

use axum::http::{header, HeaderMap};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use super::model::Phase;
use super::store::Link;
use crate::web::AppState;
use crate::AppError;

pub use links::{training_box, SurveyBox};

pub fn routes() -> Router<AppState> {
    use answer::{answer_form, answer_submit, thanks};
    use links::{close, handout, open, reissue, survey_page, training_page};
    use results::{answers_csv, answers_xlsx, results_page};
    Router::new()
        .route("/trainings/{id}", get(training_page))
        .route("/trainings/{id}/survey", get(survey_page))
        .route("/trainings/{id}/survey/results", get(results_page))
        .route("/trainings/{id}/survey/answers.xlsx", get(answers_xlsx))
        .route("/trainings/{id}/survey/answers.csv", get(answers_csv))
        .route("/trainings/{id}/survey/{phase}/open", post(open))
        .route("/trainings/{id}/survey/{phase}/close", post(close))
        .route("/trainings/{id}/survey/{phase}/reissue", post(reissue))
        .route("/trainings/{id}/survey/{phase}/handout", get(handout))
        .route("/s/{token}", get(answer_form).post(answer_submit))
        .route("/s/{token}/thanks", get(thanks))
}

/// `https://host` of the request (for links to print), or "" when unknown.
pub fn base_url(headers: &HeaderMap, force_secure: bool) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let ok = !host.is_empty()
        && host.len() <= 255
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c));
    if !ok {
        return String::new();
    }
    let scheme = if crate::web::csrf::is_https(headers, force_secure) {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}")
}

fn phase_of(s: &str) -> Result<Phase, AppError> {
    Phase::parse(s).ok_or(AppError::NotFound)
}

/// One phase's link as the pages show it.
pub struct LinkView {
    pub phase: &'static str,
    pub label: &'static str,
    pub status: &'static str,
    pub status_label: &'static str,
    /// The full URL to hand out (managers only, once started).
    pub url: Option<String>,
    pub answers: i64,
    pub open: bool,
    pub started: bool,
    pub since: String,
}

pub(super) fn link_view(l: &Link, base: &str) -> LinkView {
    LinkView {
        phase: l.phase.as_str(),
        label: l.phase.label(),
        status: l.status,
        status_label: l.status_label,
        url: l.path.as_ref().map(|p| format!("{base}{p}")),
        answers: l.answers,
        open: l.is_open(),
        started: l.started(),
        since: match (l.is_open(), &l.opened_at, &l.closed_at) {
            (true, Some(o), _) => format!("{}から受付", crate::time::format_datetime(o)),
            (false, _, Some(c)) => format!("{}に締め切り", crate::time::format_datetime(c)),
            _ => String::new(),
        },
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn base_url_from_host() {
        let mut h = HeaderMap::new();
        assert_eq!(base_url(&h, false), "");
        h.insert(
            header::HOST,
            HeaderValue::from_static("yorube.example.jp:8080"),
        );
        assert_eq!(base_url(&h, false), "http://yorube.example.jp:8080");
        h.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        assert_eq!(base_url(&h, false), "https://yorube.example.jp:8080");
        h.insert(header::HOST, HeaderValue::from_static("evil\"><x"));
        assert_eq!(base_url(&h, false), "");
    }
}
