//! yorube (寄る辺): the web application, JSON API and admin CLI for the
//! 小児慢性特定疾病児童等自立支援事業. See docs/architecture.md for the layout.

// A page's error carries the caller's navigation so the error page keeps it; it is made
// at most once per request, so its size does not matter.
#![allow(clippy::result_large_err)]

pub mod access_log;
pub mod agencies;
pub mod app;
pub mod audit;
pub mod auth;
pub mod cases;
pub mod cli;
pub mod conferences;
pub mod db;
pub mod demo;
pub mod error;
pub mod network;
pub mod privacy;
pub mod record;
pub mod render;
pub mod reports;
pub mod services;
pub mod surveys;
pub mod tenants;
pub mod text;
pub mod time;
pub mod validate;
pub mod web;

pub use error::AppError;

/// mimalloc for every binary that links yorube (the server, the CLI, the tests and the
/// benchmarks): a page is thousands of small allocations, and glibc's allocator was
/// about a tenth of the server's CPU time (docs/benchmarks.md).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;
