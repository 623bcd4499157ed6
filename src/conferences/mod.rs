//! ケース会議 (case conferences, W4 item 5): a multi-agency meeting about one child. A
//! conference is a meeting of kind 'case_conference' with `meetings.child_id` set and
//! reuses the meetings' agenda timeline, minutes, decisions and action items (its
//! outcomes). Agencies take part only with the family's consent in force; the
//! conference shows the items of the child's record every participating agency may see;
//! its outcomes flow into a new revision of the child's 自立支援計画.

pub mod api;
pub mod model;
pub mod store;
pub mod web;
