//! Collaboration network and meetings (W4): goals and the hub, councils and members,
//! meetings with agendas and action items, trainings, contracts and monthly reports.

pub mod api;
pub mod hub;
pub mod model;
pub mod store;
pub mod web;
