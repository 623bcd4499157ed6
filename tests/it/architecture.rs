//! The shape of the code (docs/architecture.md), checked by reading the sources: which
//! modules may import which, that the CLI never calls a page handler, that stores do
//! not reach into pages, that files stay small, and that every query on a table of
//! tenant data filters by `tenant_id`.

#![allow(dead_code)] // until the tests in architecture_pending.rs are back here (W13)

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` file under `dir`, as (path relative to the crate root, text).
fn sources(dir: &str) -> Vec<(String, String)> {
    fn walk(p: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(p).expect("read_dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let mut files = vec![];
    let base = root().join(dir);
    if base.is_file() {
        files.push(base);
    } else {
        walk(&base, &mut files);
    }
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let rel = p
                .strip_prefix(root())
                .expect("under the crate")
                .display()
                .to_string();
            (rel, std::fs::read_to_string(&p).expect("read"))
        })
        .collect()
}

/// The part of a file before its unit tests.
fn before_tests(text: &str) -> &str {
    match text.find("#[cfg(test)]") {
        Some(i) => &text[..i],
        None => text,
    }
}

/// Comments removed (line comments and doc comments), so that prose naming a module is
/// not an import. Strings are kept: a `crate::x` inside one is not code either, but
/// none of the checks below looks for paths inside strings that matter.
fn code(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) if !l[..i].contains('"') => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The capabilities, in the order they may depend on each other: each may use only
/// those before it (and the shared layers).
const CAPABILITIES: [&str; 12] = [
    "agencies",
    "tenants",
    "cases",
    "network",
    "conferences",
    "services",
    "record",
    "surveys",
    "reports",
    "access_log",
    "privacy",
    "demo",
];

#[test]
fn capabilities_depend_one_way() {
    let mut bad = vec![];
    for (i, cap) in CAPABILITIES.iter().enumerate() {
        for (file, text) in sources(&format!("src/{cap}")) {
            for m in crate_imports(&text) {
                if let Some(j) = CAPABILITIES.iter().position(|c| *c == m) {
                    if j > i {
                        bad.push(format!("{file} ({cap}) imports {m}, which comes after it"));
                    }
                }
                if m == "app" || m == "cli" {
                    bad.push(format!("{file} imports {m}"));
                }
            }
        }
    }
    assert!(
        bad.is_empty(),
        "capabilities must depend one way ({CAPABILITIES:?}):\n{}",
        bad.join("\n")
    );
}

/// The layers under the capabilities, lowest first: they import no capability at all,
/// and each only those before it.
const LOWER: [&str; 9] = [
    "error", "text", "time", "validate", "db", "render", "audit", "auth", "web",
];

fn module_path(m: &str) -> String {
    let dir = root().join("src").join(m);
    if dir.is_dir() {
        format!("src/{m}")
    } else {
        format!("src/{m}.rs")
    }
}

/// The top-level modules of the crate that `text` uses (`crate::x`, `yorube::x`, `use
/// crate::{x, …}`).
fn crate_imports(text: &str) -> BTreeSet<String> {
    let code = code(before_tests(text));
    let mut out = BTreeSet::new();
    for prefix in ["crate::", "yorube::"] {
        let mut rest = code.as_str();
        while let Some(i) = rest.find(prefix) {
            rest = &rest[i + prefix.len()..];
            if let Some(group) = rest.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                for item in group[..end].split(',') {
                    let name: String = item
                        .trim()
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if !name.is_empty() {
                        out.insert(name);
                    }
                }
            } else {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        }
    }
    out
}

#[test]
fn lower_layers_import_no_capability() {
    let mut bad = vec![];
    for (i, layer) in LOWER.iter().enumerate() {
        for (file, text) in sources(&module_path(layer)) {
            for m in crate_imports(&text) {
                if CAPABILITIES.contains(&m.as_str()) || m == "app" || m == "cli" {
                    bad.push(format!("{file} imports the capability {m}"));
                }
                if let Some(j) = LOWER.iter().position(|l| *l == m) {
                    if j > i {
                        bad.push(format!("{file} ({layer}) imports {m}, a layer above it"));
                    }
                }
            }
        }
    }
    assert!(
        bad.is_empty(),
        "the layers under the capabilities depend one way ({LOWER:?}):\n{}",
        bad.join("\n")
    );
}

#[test]
fn every_module_is_placed_in_a_layer() {
    let known: BTreeSet<&str> = CAPABILITIES
        .iter()
        .copied()
        .chain([
            "app", "cli", "db", "audit", "auth", "web", "render", "text", "time", "validate",
            "error", "lib", "main",
        ])
        .collect();
    let mut unplaced = vec![];
    for e in std::fs::read_dir(root().join("src"))
        .expect("src")
        .flatten()
    {
        let name = e
            .file_name()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if !known.contains(name.as_str()) {
            unplaced.push(name);
        }
    }
    assert!(unplaced.is_empty(), "modules missing from the layer lists of this test (and from docs/architecture.md): {unplaced:?}");
}

#[test]
fn the_cli_calls_stores_never_handlers() {
    let mut bad = vec![];
    for (file, text) in sources("src/cli") {
        let code = code(before_tests(&text));
        for cap in CAPABILITIES {
            for handler in ["web", "api", "pages"] {
                let path = format!("{cap}::{handler}");
                if code.contains(&path) {
                    bad.push(format!("{file} uses {path}"));
                }
            }
        }
    }
    assert!(
        bad.is_empty(),
        "the CLI calls page or API handlers:\n{}",
        bad.join("\n")
    );
}

#[test]
fn no_file_is_over_800_lines_before_its_tests() {
    let mut big = vec![];
    for (file, text) in sources("src") {
        let n = before_tests(&text).lines().count();
        if n > 800 {
            big.push(format!("{file}: {n}"));
        }
    }
    assert!(
        big.is_empty(),
        "files over 800 lines (split them along their topics):\n{}",
        big.join("\n")
    );
}

/// A file is a store (SQL) when it is `store.rs` or under a `store/` folder.
fn is_store(file: &str) -> bool {
    file.ends_with("/store.rs") || file.contains("/store/")
}

// ---------------------------------------------------------------- tenant filters

/// Tables with a `tenant_id` column, from the SQLite migrations.
fn tenant_tables() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut files: Vec<_> = std::fs::read_dir(root().join("migrations/sqlite"))
        .expect("migrations")
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    for f in files {
        let sql = std::fs::read_to_string(&f).expect("read");
        let mut rest = sql.as_str();
        while let Some(i) = rest.find("CREATE TABLE ") {
            rest = &rest[i + "CREATE TABLE ".len()..];
            let rest2 = rest.trim_start_matches("IF NOT EXISTS ");
            let name: String = rest2
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            let body_end = rest2.find("\n);").unwrap_or(rest2.len());
            if rest2[..body_end].contains("tenant_id") {
                out.insert(name);
            }
        }
        let mut rest = sql.as_str();
        while let Some(i) = rest.find("ALTER TABLE ") {
            rest = &rest[i + "ALTER TABLE ".len()..];
            let line = rest.lines().next().unwrap_or("");
            if line.contains("ADD COLUMN tenant_id") {
                out.insert(line.split_whitespace().next().unwrap_or("").to_string());
            }
        }
    }
    out
}

/// The string literals of a Rust file, with the line each starts on.
fn string_literals(text: &str) -> Vec<(usize, String)> {
    let b: Vec<char> = text.chars().collect();
    let mut out = vec![];
    let (mut i, mut line) = (0, 1);
    while i < b.len() {
        let c = b[i];
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c == '/' && b.get(i + 1) == Some(&'/') {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
        } else if c == '\'' {
            // A char literal ('x', '\n', '"') or a lifetime ('a).
            if b.get(i + 2) == Some(&'\'') {
                i += 3;
            } else if b.get(i + 1) == Some(&'\\') {
                let mut j = i + 2;
                while j < b.len() && b[j] != '\'' {
                    j += 1;
                }
                i = j + 1;
            } else {
                i += 1;
            }
        } else if c == 'r'
            && (b.get(i + 1) == Some(&'"') || b.get(i + 1) == Some(&'#'))
            && (i == 0 || !(b[i - 1].is_alphanumeric() || b[i - 1] == '_'))
        {
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&'"') {
                i += 1;
                continue;
            }
            let start_line = line;
            j += 1;
            let mut s = String::new();
            loop {
                if j >= b.len() {
                    break;
                }
                if b[j] == '"' && (0..hashes).all(|k| b.get(j + 1 + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                if b[j] == '\n' {
                    line += 1;
                }
                s.push(b[j]);
                j += 1;
            }
            out.push((start_line, s));
            i = j;
        } else if c == '"' {
            let start_line = line;
            let mut j = i + 1;
            let mut s = String::new();
            while j < b.len() && b[j] != '"' {
                if b[j] == '\\' && j + 1 < b.len() {
                    if b[j + 1] == '\n' {
                        line += 1;
                    }
                    s.push(b[j]);
                    s.push(b[j + 1]);
                    j += 2;
                    continue;
                }
                if b[j] == '\n' {
                    line += 1;
                }
                s.push(b[j]);
                j += 1;
            }
            out.push((start_line, s));
            i = j + 1;
        } else {
            i += 1;
        }
    }
    out
}

/// The tables a statement reads or writes (after FROM, JOIN, UPDATE, INTO).
fn tables_named(sql: &str, tables: &BTreeSet<String>) -> BTreeSet<String> {
    let words: Vec<&str> = sql
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();
    let mut out = BTreeSet::new();
    for w in words.windows(2) {
        if matches!(w[0], "FROM" | "JOIN" | "UPDATE" | "INTO") && tables.contains(w[1]) {
            out.insert(w[1].to_string());
        }
    }
    out
}

#[test]
fn every_query_on_tenant_data_filters_by_tenant() {
    let tables = tenant_tables();
    assert!(
        tables.contains("children") && tables.contains("agencies"),
        "{tables:?}"
    );
    let files = sources("src");
    let consts = sql_constants(&files);
    assert!(consts.contains_key("CHILD_VISIBLE"), "{:?}", consts.keys());
    let mut bad = vec![];
    let mut used = BTreeMap::new();
    for (file, text) in &files {
        if file.starts_with("src/demo") {
            // The demo loader writes whole tenants it has just made.
            continue;
        }
        for (line, lit) in string_literals(before_tests(text)) {
            let lit = inline_constants(&lit, &consts);
            let head = lit.trim_start();
            let is_sql = ["SELECT ", "INSERT ", "UPDATE ", "DELETE ", "WITH "]
                .iter()
                .any(|k| head.starts_with(k));
            if !is_sql {
                continue;
            }
            let named = tables_named(&lit, &tables);
            if named.is_empty() || lit.contains("tenant_id") {
                continue;
            }
            if let Some(ex) = TENANT_FILTER_EXCEPTIONS
                .iter()
                .find(|(f, piece, _)| file == *f && lit.contains(piece))
            {
                *used.entry((ex.0, ex.1)).or_insert(0) += 1;
                continue;
            }
            bad.push(format!(
                "{file}:{line}: {named:?} without tenant_id: {}",
                lit.split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
                    .chars()
                    .take(160)
                    .collect::<String>()
            ));
        }
    }
    let stale: Vec<_> = TENANT_FILTER_EXCEPTIONS
        .iter()
        .filter(|(f, p, _)| !used.contains_key(&(*f, *p)))
        .collect();
    assert!(
        stale.is_empty(),
        "exceptions that match no statement any more: {stale:?}"
    );
    assert!(
        bad.is_empty(),
        "queries on tenant data that do not filter by tenant_id:\n{}",
        bad.join("\n")
    );
}

/// Statements that touch tenant data without naming `tenant_id`, each with why that is
/// right. Keyed by file and a piece of the statement's text.
const TENANT_FILTER_EXCEPTIONS: &[(&str, &str, &str)] = &[
    (
        "src/access_log/store.rs",
        "FROM audit_log WHERE seq < $1",
        "system administrators read every tenant's log (the other branch filters by tenant)",
    ),
    (
        "src/tenants/mod.rs",
        "UPDATE users SET disabled_at",
        "the user was read with get_user (tenant-scoped, or any tenant for a system administrator) in this transaction",
    ),
    (
        "src/tenants/mod.rs",
        "UPDATE users SET password_hash",
        "as above: the user was read with get_user first",
    ),
    (
        "src/audit/checkpoint.rs",
        "SELECT hash FROM audit_log WHERE seq = $1",
        "the audit chain is one sequence over every tenant; a checkpoint reads its head",
    ),
    (
        "src/auth/account.rs",
        "FROM users WHERE id = $1 AND disabled_at IS NULL",
        "the signed-in user's own row: the id comes from their session (Ctx.user_id), never from the request",
    ),
    (
        "src/auth/account.rs",
        "UPDATE users SET password_hash = $1, must_change_password = 0",
        "as above: the signed-in user's own password",
    ),
    (
        "src/auth/totp.rs",
        "FROM users WHERE id = $1",
        "as above: the signed-in user's own second factor (or the user just verified by password at sign-in)",
    ),
    (
        "src/auth/totp.rs",
        "UPDATE users SET totp_",
        "as above",
    ),
    (
        "src/surveys/store.rs",
        "FROM training_survey_links WHERE token_hash",
        "a public answer link: the token is the only key there is; its survey's tenant is read from it",
    ),
];

/// `const NAME: &str = "…";` of every source file: pieces of SQL that statements take
/// in with `format!("… {NAME} …")`.
fn sql_constants(files: &[(String, String)]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (_, text) in files {
        for (i, line) in text.lines().enumerate() {
            let l = line.trim_start();
            let l = l
                .strip_prefix("pub(crate) ")
                .or_else(|| l.strip_prefix("pub "))
                .unwrap_or(l);
            let Some(rest) = l.strip_prefix("const ") else {
                continue;
            };
            let Some((name, ty)) = rest.split_once(':') else {
                continue;
            };
            if !ty.trim_start().starts_with("&str") {
                continue;
            }
            // The literal starts on this line; take it from the text from here on.
            let from: usize = text.lines().take(i).map(|l| l.len() + 1).sum();
            if let Some((_, lit)) = string_literals(&text[from..]).into_iter().next() {
                out.insert(name.trim().to_string(), lit);
            }
        }
    }
    out
}

/// The statement with `{NAME}` pieces replaced by the constants they name.
fn inline_constants(sql: &str, consts: &BTreeMap<String, String>) -> String {
    let mut s = sql.to_string();
    for _ in 0..3 {
        for (name, value) in consts {
            s = s.replace(&format!("{{{name}}}"), value);
        }
    }
    s
}

#[test]
fn the_literal_reader_reads_what_rust_writes() {
    let src =
        "let a = \"SELECT x \\\n FROM t\"; let b = r#\"WITH \"q\" AS\"#; let c = '\"'; // \"no\"\n";
    let lits: Vec<String> = string_literals(src).into_iter().map(|(_, s)| s).collect();
    assert_eq!(lits.len(), 2, "{lits:?}");
    assert!(lits[0].starts_with("SELECT x"));
    assert_eq!(lits[1], "WITH \"q\" AS");
}

#[test]
fn stores_do_not_reach_into_pages() {
    let mut bad = vec![];
    for (file, text) in sources("src") {
        if !is_store(&file) {
            continue;
        }
        let code = code(before_tests(&text));
        for needle in [
            "crate::web",
            "::web::",
            "::api::",
            "::pages::",
            "super::web",
            "super::api",
            "axum::",
        ] {
            if code.contains(needle) {
                bad.push(format!("{file} uses {needle}"));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "stores must not use pages, the API or HTTP:\n{}",
        bad.join("\n")
    );
}
