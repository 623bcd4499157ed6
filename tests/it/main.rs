//! Integration tests: each test runs the real router on a random port against a fresh
//! database — once on SQLite and once on PostgreSQL (see helpers::dual!).

#[macro_use]
mod helpers;
mod agencies;
mod api_auth;
mod architecture;
mod attack;
mod audit_chain;
mod backup;
mod cases;
mod cli;
mod conferences;
mod hostile_input;
mod network;
mod privacy;
mod read_audit;
mod record;
mod registry_io;
mod reports;
mod routes;
mod services;
mod signin;
mod surveys;
mod tenancy;
mod totp;
mod training_survey;
mod web_auth;
