//! The router's routes as the sources declare them (`.route("…", get(…).post(…))`),
//! with /api/v1 for the API's routers (files named api.rs and functions named
//! api_routes), tests left out: what the audit-coverage test and the attack suite walk,
//! so that a new route is covered without anyone adding it to a list.

use std::collections::BTreeSet;
use std::path::Path;

/// (method, full path) of every route.
pub fn routes() -> BTreeSet<(String, String)> {
    fn walk(p: &Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(p).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let mut files = vec![];
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let mut out = BTreeSet::new();
    for f in files {
        let whole = std::fs::read_to_string(&f).unwrap();
        let text = whole.split("#[cfg(test)]").next().unwrap();
        let is_api_file = f.file_name().is_some_and(|n| n == "api.rs");
        let mut offset = 0;
        while let Some(i) = text[offset..].find(".route(") {
            let at = offset + i;
            offset = at + 7;
            let after = &text[at + 7..];
            let Some(q1) = after.find('"') else { break };
            let Some(q2) = after[q1 + 1..].find('"') else {
                break;
            };
            let path = &after[q1 + 1..q1 + 1 + q2];
            let tail = &after[q1 + 1 + q2..];
            // The rest of this route's call: up to the next route or the end of the function.
            let end = [tail.find(".route("), tail.find("\n}")]
                .into_iter()
                .flatten()
                .min()
                .unwrap_or(tail.len());
            let call = &tail[..end];
            let fn_name = text[..at]
                .rsplit("fn ")
                .next()
                .and_then(|s| s.split('(').next())
                .unwrap_or("");
            let api = is_api_file || fn_name == "api_routes";
            let full = if api {
                format!("/api/v1{path}")
            } else {
                path.to_string()
            };
            for (m, needle) in [
                ("GET", "get("),
                ("POST", "post("),
                ("PATCH", "patch("),
                ("DELETE", "delete("),
            ] {
                // `get(` also matches inside names like `budget(`: require a boundary.
                let found = call.match_indices(needle).any(|(j, _)| {
                    j == 0
                        || !call.as_bytes()[j - 1].is_ascii_alphanumeric()
                            && call.as_bytes()[j - 1] != b'_'
                });
                if found {
                    out.insert((m.to_string(), full.clone()));
                }
            }
        }
    }
    out
}

pub fn get_routes() -> BTreeSet<String> {
    routes()
        .into_iter()
        .filter(|(m, _)| m == "GET")
        .map(|(_, p)| p)
        .collect()
}
