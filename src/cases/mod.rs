//! Casework (W3): children and families, consent, consultations, support plans,
//! follow-ups, closed-loop referrals, handovers, the ecomap and indicators.

pub mod access;
pub mod api;
pub mod chart;
pub mod ecomap;
pub mod model;
pub mod store;
#[cfg(test)]
pub(crate) mod svg_check;
pub mod web;
