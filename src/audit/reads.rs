//! Whether the current request has audited its reads of a child's data.
//! `web::read_audit` runs each request inside `scope`; every audit entry about a child
//! (`child.*`, `report.records…`) written in the request's task marks it (`note`), so
//! that after the handler the layer knows whether a response that carries a child's
//! data has been audited, and writes the entry itself if not.

use std::cell::Cell;
use std::future::Future;

tokio::task_local! {
    static AUDITED: Cell<bool>;
}

/// Runs `f` as one request: its output, and whether a child's data was audited in it.
pub async fn scope<F: Future>(f: F) -> (F::Output, bool) {
    AUDITED
        .scope(Cell::new(false), async move {
            let out = f.await;
            (out, AUDITED.try_with(Cell::get).unwrap_or(false))
        })
        .await
}

/// An audit entry with `action` was written for the current request.
pub fn note(action: &str) {
    if action.starts_with("child.") || action.starts_with("report.records") {
        let _ = AUDITED.try_with(|a| a.set(true));
    }
}
