//! The record page cache: the parts of a record page kept per child and revalidated by
//! revision.

use std::collections::HashMap;
use std::sync::Arc;

use super::parts::Part;
use crate::db::Cols;

/// What the record page read besides the record, for the children viewed most recently.
/// An entry is used only while both revision counters are what they were when it was
/// read: triggers raise them in the same transaction as any change to what the page
/// shows (migrations/*/0010_record_revisions.sql), whichever process or tool makes it.
/// The access check and the audit entry are never cached.
pub struct RecordCache {
    capacity: usize,
    hits: std::sync::atomic::AtomicU64,
    entries: std::sync::Mutex<(
        HashMap<String, CachedParts>,
        std::collections::VecDeque<String>,
    )>,
}

struct CachedParts {
    revs: (i64, i64),
    limit: i64,
    parts: Arc<Vec<Part>>,
}

/// One per database (`Db::ext`), sized from the environment.
impl Default for RecordCache {
    fn default() -> Self {
        RecordCache::from_env()
    }
}

impl RecordCache {
    /// Room for YORUBE_RECORD_CACHE children (default 2,000; 0 turns the cache off).
    pub fn from_env() -> RecordCache {
        RecordCache::with_capacity(
            std::env::var("YORUBE_RECORD_CACHE")
                .ok()
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(2_000),
        )
    }

    fn with_capacity(capacity: usize) -> RecordCache {
        RecordCache {
            capacity,
            hits: Default::default(),
            entries: Default::default(),
        }
    }

    /// How many record pages were served from the cache so far.
    pub fn hits(&self) -> u64 {
        self.hits.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub(super) fn get(&self, id: &str, revs: (i64, i64), limit: i64) -> Option<Arc<Vec<Part>>> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let hit = entries
            .0
            .get(id)
            .filter(|c| c.revs == revs && c.limit == limit)
            .map(|c| c.parts.clone());
        if hit.is_some() {
            self.hits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        hit
    }

    /// Keeps what RECORD_PAGE_SQL_REVS returned, under the counters in its 'revs' row: read
    /// in the same snapshot as the rows, not with the record just before.
    pub(super) fn keep(&self, id: &str, limit: i64, parts: Vec<Part>) -> Arc<Vec<Part>> {
        let revs = parts
            .iter()
            .find(|p| p.kind == "revs")
            .map(|p| {
                let rev = |c| p.opt_int(c).ok().flatten().unwrap_or(-1);
                (rev("child_rev"), rev("tenant_rev"))
            })
            .unwrap_or((-1, -1));
        let parts = Arc::new(parts);
        self.put(id, revs, limit, parts.clone());
        parts
    }

    /// Drops what is kept of a child (its record was deleted): no copy of an erased
    /// record stays in memory until it would have been pushed out.
    pub fn forget(&self, id: &str) {
        let mut guard = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let (map, order) = &mut *guard;
        if map.remove(id).is_some() {
            order.retain(|k| k != id);
        }
    }

    /// Whether anything of this child is kept.
    pub fn holds(&self, id: &str) -> bool {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .0
            .contains_key(id)
    }

    /// How many children's pages are kept.
    pub fn len(&self) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .0
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn put(&self, id: &str, revs: (i64, i64), limit: i64, parts: Arc<Vec<Part>>) {
        if self.capacity == 0 || revs.0 < 0 || revs.1 < 0 {
            return;
        }
        let mut guard = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let (map, order) = &mut *guard;
        let entry = CachedParts { revs, limit, parts };
        if map.insert(id.to_string(), entry).is_none() {
            order.push_back(id.to_string());
        }
        // The oldest first out.
        while map.len() > self.capacity {
            match order.pop_front() {
                Some(old) => {
                    map.remove(&old);
                }
                None => break,
            }
        }
    }
}

#[cfg(test)]
mod record_cache_tests {
    use super::*;

    fn parts(tag: &str) -> Arc<Vec<Part>> {
        Arc::new(vec![Part {
            kind: tag.to_string(),
            s: Default::default(),
            n: [None; 3],
        }])
    }

    fn cache(capacity: usize) -> RecordCache {
        RecordCache {
            capacity,
            hits: Default::default(),
            entries: Default::default(),
        }
    }

    #[test]
    fn an_entry_serves_only_its_own_counters_and_limit() {
        let c = cache(10);
        c.put("a", (3, 7), 200, parts("x"));
        assert_eq!(c.get("a", (3, 7), 200).unwrap()[0].kind, "x");
        assert!(c.get("a", (4, 7), 200).is_none(), "the child changed");
        assert!(
            c.get("a", (3, 8), 200).is_none(),
            "the tenant's tables changed"
        );
        assert!(c.get("a", (3, 7), 50).is_none(), "another timeline limit");
        assert!(c.get("b", (3, 7), 200).is_none());
        assert_eq!(c.hits(), 1);
        // A newer read replaces the entry.
        c.put("a", (4, 7), 200, parts("y"));
        assert_eq!(c.get("a", (4, 7), 200).unwrap()[0].kind, "y");
        assert!(c.get("a", (3, 7), 200).is_none());
    }

    #[test]
    fn a_forgotten_child_leaves_no_entry() {
        let c = cache(10);
        c.put("a", (1, 1), 200, parts("a"));
        c.put("b", (1, 1), 200, parts("b"));
        c.forget("a");
        c.forget("nobody");
        assert!(c.get("a", (1, 1), 200).is_none());
        assert_eq!(c.len(), 1);
        // Its place in the order went too: "b" is still the oldest.
        c.put("c", (1, 1), 200, parts("c"));
        assert_eq!(c.entries.lock().unwrap().1, ["b", "c"]);
    }

    #[test]
    fn the_oldest_entries_leave_first_and_zero_turns_it_off() {
        let c = cache(2);
        c.put("a", (1, 1), 200, parts("a"));
        c.put("b", (1, 1), 200, parts("b"));
        c.put("a", (2, 1), 200, parts("a2"));
        c.put("c", (1, 1), 200, parts("c"));
        assert!(c.get("a", (2, 1), 200).is_none(), "a was put first");
        assert!(c.get("b", (1, 1), 200).is_some());
        assert!(c.get("c", (1, 1), 200).is_some());
        let off = cache(0);
        off.put("a", (1, 1), 200, parts("a"));
        assert!(off.get("a", (1, 1), 200).is_none());
        // Counters that could not be read are never stored.
        let c = cache(2);
        c.put("a", (-1, 1), 200, parts("a"));
        assert!(c.get("a", (-1, 1), 200).is_none());
    }
}
