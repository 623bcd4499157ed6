// Tests of architecture.rs that pass only once W13 has landed in every capability;
// moved back into architecture.rs as each passes. Not compiled.

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
    assert!(bad.is_empty(), "capabilities must depend one way ({CAPABILITIES:?}):\n{}", bad.join("\n"));
}


#[test]
fn every_query_on_tenant_data_filters_by_tenant() {
    let tables = tenant_tables();
    assert!(tables.contains("children") && tables.contains("agencies"), "{tables:?}");
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
                lit.split_whitespace().collect::<Vec<_>>().join(" ").chars().take(160).collect::<String>()
            ));
        }
    }
    let stale: Vec<_> = TENANT_FILTER_EXCEPTIONS
        .iter()
        .filter(|(f, p, _)| !used.contains_key(&(*f, *p)))
        .collect();
    assert!(stale.is_empty(), "exceptions that match no statement any more: {stale:?}");
    assert!(bad.is_empty(), "queries on tenant data that do not filter by tenant_id:\n{}", bad.join("\n"));
}
