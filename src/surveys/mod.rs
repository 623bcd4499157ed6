//! Surveys: the survey engine (`engine`: the needs survey and any questionnaire), and
//! the training's pre/post
//! questionnaire (研修会の事前・事後アンケート, W4 item 6): a question set kept as data
//! (the default follows the guide's 熊本県の研修会), one public link per phase for
//! trainees without an account, anonymous answers, and the aggregate with the guide's
//! headline changes. Nothing here depends on the questions' wording. It comes after
//! `network` (the trainings it asks about).

pub mod api;
pub mod chart;
pub mod engine;
pub mod model;
pub mod store;
pub mod web;
