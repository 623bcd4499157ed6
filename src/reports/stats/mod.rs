//! 実績・統計: the activity statistics of any period (`period`), computed from the
//! records (`store`) into tables (`model`), shown with charts (`chart`), exported as
//! XLSX and CSV (`export`), on pages (`web`) and in the API (`api`).

pub mod api;
pub mod chart;
pub mod export;
pub mod model;
pub mod period;
pub mod store;
pub mod web;
