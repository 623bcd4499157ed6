//! The record page's cache is right only while every table the page reads raises a
//! revision counter on every change (migrations/*/0010_record_revisions.sql). The page's
//! SQL and the triggers are written apart; this test reads both.

use std::collections::{BTreeMap, BTreeSet};

use crate::helpers::*;
use yorube::db::Engine;

/// The tables a statement reads (after FROM and JOIN).
fn tables_read(sql: &str) -> BTreeSet<String> {
    let words: Vec<&str> = sql
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();
    words
        .windows(2)
        .filter(|w| matches!(w[0], "FROM" | "JOIN"))
        .map(|w| w[1].to_string())
        .filter(|t| t.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .collect()
}

/// For each table, the events (INSERT, UPDATE, DELETE) on which a trigger raises a
/// `record_rev` counter.
async fn revision_triggers(app: &TestApp) -> BTreeMap<String, BTreeSet<String>> {
    let rows: Vec<(String, String)> = match app.engine {
        Engine::Sqlite => {
            let rows: Vec<(String, String)> =
                sqlx::query_as("SELECT tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")
                    .fetch_all(&app.db.pool)
                    .await
                    .unwrap();
            let mut out = vec![];
            for (table, sql) in rows {
                if !sql.contains("record_rev") {
                    continue;
                }
                let head = sql.split(" BEGIN").next().unwrap_or("").to_uppercase();
                for ev in ["INSERT", "UPDATE", "DELETE"] {
                    if head.contains(&format!("AFTER {ev}"))
                        || head.contains(&format!("BEFORE {ev}"))
                    {
                        out.push((table.clone(), ev.to_string()));
                    }
                }
            }
            out
        }
        Engine::Postgres => sqlx::query_as(
            "SELECT CAST(t.event_object_table AS TEXT), CAST(t.event_manipulation AS TEXT) \
             FROM information_schema.triggers t \
             WHERE t.trigger_schema = current_schema() AND t.action_statement LIKE '%record_rev%'",
        )
        .fetch_all(&app.db.pool)
        .await
        .unwrap(),
    };
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (table, ev) in rows {
        out.entry(table).or_default().insert(ev);
    }
    out
}

async fn every_table_the_record_page_reads_has_revision_triggers(app: TestApp) {
    // What each kind of row is read from (the 'revs' row reads the counters themselves).
    let from: Vec<String> = yorube::record::parts::BRANCHES
        .iter()
        .filter(|b| !b.from.is_empty())
        .map(|b| format!("FROM {}", b.from))
        .collect();
    let tables = tables_read(&from.join(" "));
    assert!(
        yorube::record::parts::RECORD_PAGE_SQL.contains(&from[0][5..]),
        "the statement is put together from the branches"
    );
    // The page's statement reaches these (a rename would make the list below meaningless).
    for t in [
        "family_members",
        "consents",
        "referral_events",
        "meetings",
        "service_participants",
        "users",
    ] {
        assert!(tables.contains(t), "{t} in {tables:?}");
    }
    let triggers = revision_triggers(&app).await;
    let mut missing = vec![];
    for t in &tables {
        for ev in ["INSERT", "UPDATE", "DELETE"] {
            if !triggers.get(t).is_some_and(|e| e.contains(ev)) {
                missing.push(format!("{t} {ev}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "the record page reads tables whose changes do not raise record_rev ({:?}): {missing:?}",
        app.engine
    );
    // And the check sees a trigger that is missing.
    let drop = match app.engine {
        Engine::Sqlite => "DROP TRIGGER consents_record_rev_del",
        Engine::Postgres => "DROP TRIGGER consents_record_rev_del ON consents",
    };
    sqlx::query(drop).execute(&app.db.pool).await.unwrap();
    let after = revision_triggers(&app).await;
    assert_eq!(
        after
            .get("consents")
            .map(|e| e.iter().cloned().collect::<Vec<_>>()),
        Some(vec!["INSERT".to_string(), "UPDATE".to_string()])
    );
}
dual!(every_table_the_record_page_reads_has_revision_triggers);
