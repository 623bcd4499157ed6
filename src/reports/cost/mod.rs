//! 委託の費用比較 (the guide's 3-3): the model and its rounding rule, the figures from
//! the records, saved scenarios, pages, API (the CLI's `yorube report cost` uses the model).

pub mod api;
pub mod model;
pub mod store;
pub mod web;
