//! The training's pre/post questionnaire (研修会の事前・事後アンケート, W4 item 6): a
//! question set kept as data (the default follows the guide's 熊本県の研修会), one
//! public link per phase for trainees without an account, anonymous answers, and the
//! aggregate with the guide's headline changes. Written so that W5 (surveys) can
//! generalise it: nothing here depends on the questions' wording.

pub mod api;
pub mod chart;
pub mod model;
pub mod store;
pub mod web;
