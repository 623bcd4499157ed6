//! The survey engine (W5): any questionnaire as data — the needs survey for families
//! (実態把握調査), a training's pre/post set, or one built from a blank page.
//!
//! - `def`: the questions (sections, seven kinds, required, conditions) and the templates
//! - `answers`: one answer read from a form and checked against the questions
//! - `tally`: results (counts, percentages, numbers, texts, cross-tabulation), no I/O
//! - `store`: surveys, versions and answers (SQL); `invite`: personal invitation codes
//! - `export`: results and answers as CSV and XLSX
//! - `web/`, `api`: the staff's pages, the public answer page `/s/{token}`, the JSON API
//!
//! A survey locks to the answers it has: a change of questions after the first answer
//! makes a new version, and each answer keeps the version it answered.

pub mod answers;
pub mod api;
pub mod def;
pub mod export;
pub mod invite;
pub mod store;
pub mod tally;
pub mod web;

use crate::auth::Ctx;
use crate::db::Db;
use crate::error::AppResult;

/// A survey's results from its answers (every version's answers, counted against the
/// current questions by their item keys).
pub async fn results(
    db: &Db,
    ctx: &Ctx,
    id: &str,
) -> AppResult<(store::Survey, tally::Results, Vec<answers::Answers>)> {
    let (s, rs) = store::responses(db, ctx, id).await?;
    let all: Vec<answers::Answers> = rs.into_iter().map(|r| r.answers).collect();
    let def = s.definition.clone().unwrap_or_else(|| def::Definition {
        intro: String::new(),
        sections: vec![],
    });
    let r = tally::results(&def, &all);
    Ok((s, r, all))
}
