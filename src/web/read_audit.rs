//! Every response that carries a child's data is audited, and so is every refused
//! access to an id. `CHILD_READS` names the GET routes whose successful answers carry a
//! child's data (tests/it/read_audit.rs fails when a GET route is in neither this list
//! nor `NO_CHILD_DATA`, and requests each of these to see its entry). The handlers audit
//! what they read with the detail they know (the record page, the lists); for a
//! response they did not audit this layer writes `child.view` or `child.list` itself,
//! with the route. A 403 or 404 on a route with an id is written as `access.denied`,
//! once per caller, route and id in ten minutes (with the number of repeats), so that a
//! flood of guesses cannot fill the disk.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

use super::AppState;
use crate::audit::{self, reads, Entry};
use crate::auth::Ctx;

tokio::task_local! {
    static ACTOR: std::cell::RefCell<Option<Ctx>>;
}

/// The signed-in caller of the current request (set by the sign-in extractors).
pub fn set_actor(ctx: &Ctx) {
    let _ = ACTOR.try_with(|a| *a.borrow_mut() = Some(ctx.clone()));
}

/// (route, the kind of entity its id names; "list" for a list of children)
pub const CHILD_READS: &[(&str, &str)] = &[
    ("/children", "list"),
    ("/children/{id}", "child"),
    ("/children/{id}/edit", "child"),
    ("/children/{id}/plan", "child"),
    ("/children/{id}/plan/edit", "child"),
    ("/children/{id}/plan/print", "child"),
    ("/children/{id}/ecomap", "child"),
    ("/children/{id}/ecomap.svg", "child"),
    ("/children/{id}/indicators/{kind}", "child"),
    ("/children/{id}/conferences/new", "child"),
    ("/conferences/{id}", "conference"),
    ("/conferences/{id}/print", "conference"),
    ("/referrals", "list"),
    ("/referrals/{id}", "referral"),
    ("/follow-ups", "list"),
    ("/services/events/{id}", "service_event"),
    ("/contracts/{id}", "contract"),
    ("/contracts/{id}/reports/{rid}/print", "monthly_report"),
    (
        "/contracts/{id}/reports/{rid}/download.xlsx",
        "monthly_report",
    ),
    ("/reports/activity/records", "list"),
    ("/privacy", "list"),
    ("/privacy/children/{id}", "child"),
    ("/privacy/children/{id}/print", "child"),
    ("/privacy/children/{id}/export.json", "child"),
    ("/privacy/children/{id}/erase", "child"),
    ("/api/v1/children", "list"),
    ("/api/v1/children/{id}", "child"),
    ("/api/v1/children/{id}/conferences", "child"),
    ("/api/v1/children/{id}/consents", "child"),
    ("/api/v1/children/{id}/consultations", "child"),
    ("/api/v1/children/{id}/ecomap", "child"),
    ("/api/v1/children/{id}/ecomap.svg", "child"),
    ("/api/v1/children/{id}/plans", "child"),
    ("/api/v1/children/{id}/services", "child"),
    ("/api/v1/children/{id}/timeline", "child"),
    ("/api/v1/conferences/{id}", "conference"),
    ("/api/v1/follow-ups", "list"),
    ("/api/v1/referrals", "list"),
    ("/api/v1/referrals/{id}", "referral"),
    ("/api/v1/services/events/{id}/participants", "service_event"),
    ("/api/v1/contracts/{id}/reports", "contract"),
    ("/api/v1/reports/activity/records", "list"),
    ("/api/v1/privacy/children/{id}", "child"),
];

/// GET routes whose answers carry no child's data (aggregates, the registry, councils,
/// settings, the user's own account), each for a reason a reviewer can check.
pub const NO_CHILD_DATA: &[&str] = &[
    "/",
    "/login",
    "/healthz",
    "/favicon.ico",
    "/assets/favicon.svg",
    "/assets/yorube.css",
    "/assets/survey.js",
    // The tenant's retention setting.
    "/settings/retention",
    "/api/v1/privacy/retention",
    // The user's own account.
    "/account/password",
    "/account/sessions",
    "/account/totp",
    "/api/v1/me",
    // Users, tenants and the audit log (staff, not children; the log's child entries
    // are ids and actions, read only by auditors, and the view is itself audited).
    "/users",
    "/users/new",
    "/users/{id}",
    "/tenants",
    "/audit",
    "/api/v1/users",
    "/api/v1/users/{id}",
    "/api/v1/tenants",
    "/api/v1/tenants/{code}",
    "/api/v1/audit",
    // The agency registry (関係機関): organisations, not children.
    "/agencies",
    "/agencies/export",
    "/agencies/import",
    "/agencies/matrix",
    "/agencies/mine",
    "/agencies/new",
    "/agencies/programs",
    "/agencies/proposals",
    "/agencies/scenes/{id}",
    "/agencies/settings",
    "/agencies/{id}",
    "/agencies/{id}/edit",
    "/agencies/{id}/history",
    "/agencies/{id}/propose",
    "/api/v1/agencies",
    "/api/v1/agencies/export",
    "/api/v1/agencies/{id}",
    "/api/v1/agency-fields",
    "/api/v1/scenes",
    "/api/v1/scenes/{id}/agencies",
    // A blank child record form and the blank ecomap worksheet.
    "/children/new",
    "/ecomap/worksheet",
    "/ecomap/worksheet.svg",
    // The network: goals, councils, meetings, trainings, contracts (no child named;
    // case conferences are under /conferences).
    "/network",
    "/network/goals",
    "/network/goals/edit",
    "/network/goals/print",
    "/network/map",
    "/network/map.svg",
    "/action-items",
    "/councils",
    "/councils/{id}",
    "/councils/{id}/members.xlsx",
    "/meetings/{id}",
    "/meetings/{id}/minutes.xlsx",
    "/meetings/{id}/print",
    "/contracts",
    "/trainings",
    "/trainings/{id}",
    "/trainings/{id}/survey",
    "/trainings/{id}/survey/answers.csv",
    "/trainings/{id}/survey/answers.xlsx",
    "/trainings/{id}/survey/results",
    "/trainings/{id}/survey/{phase}/handout",
    "/s/{token}",
    "/s/{token}/thanks",
    // Surveys: the questions and anonymous answers (no child is named or linked; the
    // invitation labels stay on the staff's list and never with an answer).
    "/surveys",
    "/surveys/{id}",
    "/surveys/{id}/handout",
    "/surveys/{id}/qr.svg",
    "/surveys/{id}/invitations",
    "/surveys/{id}/invitations.csv",
    "/surveys/{id}/questions",
    "/surveys/{id}/preview",
    "/surveys/{id}/paper",
    "/surveys/{id}/results",
    "/surveys/{id}/results.xlsx",
    "/surveys/{id}/answers.csv",
    "/api/v1/surveys",
    "/api/v1/surveys/{id}",
    "/api/v1/surveys/{id}/results",
    "/api/v1/action-items",
    "/api/v1/collaboration-goals",
    "/api/v1/contracts",
    "/api/v1/contracts/{id}",
    "/api/v1/councils",
    "/api/v1/councils/{id}",
    "/api/v1/meetings",
    "/api/v1/meetings/{id}",
    "/api/v1/trainings",
    "/api/v1/trainings/{id}",
    "/api/v1/trainings/{id}/survey",
    // Optional services and their events (counts; the participants are on the event page).
    "/services",
    "/services/{id}",
    "/api/v1/services",
    "/api/v1/services/{id}",
    "/api/v1/services/{id}/events",
    "/api/v1/services/events/{id}",
    // Figures: counts only (the records behind a figure are audited above).
    "/reports",
    "/reports/activity",
    "/reports/activity.csv",
    "/reports/activity.xlsx",
    "/reports/activity/print",
    "/reports/annual",
    "/reports/annual.xlsx",
    "/reports/annual/print",
    "/reports/cost",
    "/reports/cost/compare",
    "/reports/cost/compare/print",
    "/reports/indicators",
    "/reports/indicators/council",
    "/reports/rollup",
    "/reports/rollup.xlsx",
    "/api/v1/reports/activity",
    "/api/v1/reports/annual",
    "/api/v1/reports/cost/from-records",
    "/api/v1/reports/cost/scenarios",
    "/api/v1/reports/indicators",
    "/api/v1/reports/rollup",
];

pub fn child_read(pattern: &str) -> Option<&'static str> {
    CHILD_READS
        .iter()
        .find(|(p, _)| *p == pattern)
        .map(|(_, k)| *k)
}

/// The value of the first `{…}` segment of `pattern` in `path`.
fn first_param(pattern: &str, path: &str) -> Option<String> {
    pattern
        .split('/')
        .zip(path.split('/'))
        .find(|(p, _)| p.starts_with('{'))
        .map(|(_, v)| v.chars().take(80).collect())
}

/// When each (caller, route, id) refusal was last written, and how many since.
/// (caller, route, id) → (when last written, repeats since).
type Denials = HashMap<(String, String, String), (Instant, u64)>;
static DENIED: Mutex<Option<Denials>> = Mutex::new(None);
const DENIED_WINDOW: Duration = Duration::from_secs(600);

/// Some(repeats since the last entry) when a refusal should be written now.
fn denial_due(key: (String, String, String)) -> Option<u64> {
    let mut g = DENIED.lock().unwrap_or_else(|p| p.into_inner());
    let map = g.get_or_insert_with(HashMap::new);
    if map.len() > 50_000 {
        map.retain(|_, (t, _)| t.elapsed() < DENIED_WINDOW);
    }
    let now = Instant::now();
    match map.get_mut(&key) {
        Some((t, n)) if now.duration_since(*t) < DENIED_WINDOW => {
            *n += 1;
            None
        }
        Some((t, n)) => {
            let repeats = *n;
            *t = now;
            *n = 0;
            Some(repeats)
        }
        None => {
            map.insert(key, (now, 0));
            Some(0)
        }
    }
}

pub async fn layer(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let pattern = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string());
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let query = req
        .uri()
        .query()
        .unwrap_or("")
        .chars()
        .take(200)
        .collect::<String>();
    let ((res, audited), ctx) = ACTOR
        .scope(std::cell::RefCell::new(None), async move {
            let out = reads::scope(next.run(req)).await;
            (out, ACTOR.try_with(|a| a.borrow().clone()).ok().flatten())
        })
        .await;
    let (Some(ctx), Some(pattern)) = (ctx, pattern) else {
        return res;
    };
    let status = res.status();
    let entry = if method == Method::GET && status.is_success() && !audited {
        child_read(&pattern).map(|kind| {
            let route = if query.is_empty() {
                format!("GET {pattern}")
            } else {
                format!("GET {pattern}?{query}")
            };
            if kind == "list" {
                Entry::new(&ctx, ctx.tenant_id.as_deref(), "child.list", "child", "-")
                    .detail(&route)
            } else {
                let id = first_param(&pattern, &path).unwrap_or_default();
                Entry::new(&ctx, ctx.tenant_id.as_deref(), "child.view", kind, &id).detail(&route)
            }
        })
    } else if matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND)
        && pattern.contains('{')
    {
        let id = first_param(&pattern, &path).unwrap_or_default();
        denial_due((ctx.user_id.clone(), pattern.clone(), id.clone())).map(|repeats| {
            let mut d = format!("{} {method} {pattern}", status.as_u16());
            if repeats > 0 {
                d.push_str(&format!("（前の記録から {repeats} 回）"));
            }
            Entry::new(
                &ctx,
                ctx.tenant_id.as_deref(),
                "access.denied",
                "route",
                &id,
            )
            .detail(&d)
        })
    } else {
        None
    };
    if let Some(e) = entry {
        if let Err(err) = audit::record(&st.db, e).await {
            // The answer is not given when its audit cannot be written.
            tracing::error!(error = ?err, "audit of a read failed");
            return if pattern.starts_with("/api/") {
                axum::response::IntoResponse::into_response(super::api::ApiError(err))
            } else {
                super::pages::error_page(None, &err)
            };
        }
    }
    res
}
