//! In-memory search over a tenant's registry, for Japanese as people type it.
//!
//! Each agency's search document (model::search_document: NFKC, lower case, ひらがな,
//! no spaces) is indexed by character unigrams and bigrams. A query of one character
//! reads the unigram list; a longer query intersects its bigram lists (shortest first)
//! and confirms each candidate by substring match. Results come back in reading order.
//!
//! The index is rebuilt from the database when the tenant's registry version
//! (registry_versions, bumped in the same transaction as every change) differs from
//! the version it was built at, so a CLI import or another server process is seen on
//! the next search.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use sqlx::Row;
use tokio::sync::{Mutex, RwLock};

use crate::db::Db;
use crate::error::AppResult;

/// What a list page shows of an agency, kept in memory.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub id: String,
    pub name: String,
    pub reading: String,
    pub field: String,
    pub address: String,
    pub is_new: bool,
}

struct Doc {
    summary: Summary,
    text: String,
    disease_mask: u32,
    scenes: Vec<String>,
}

/// Counts registry changes made by this process, per tenant (store::bump), so that this
/// process never serves a stale index after its own writes.
static LOCAL_WRITES: std::sync::OnceLock<std::sync::Mutex<HashMap<String, u64>>> =
    std::sync::OnceLock::new();

fn local_writes(tenant_id: &str) -> u64 {
    LOCAL_WRITES
        .get_or_init(Default::default)
        .lock()
        .map(|m| m.get(tenant_id).copied().unwrap_or(0))
        .unwrap_or(u64::MAX)
}

/// Called when this process changes a tenant's registry (before its commit).
pub fn note_local_write(tenant_id: &str) {
    if let Ok(mut m) = LOCAL_WRITES.get_or_init(Default::default).lock() {
        *m.entry(tenant_id.to_string()).or_insert(0) += 1;
    }
}

/// How long an index is trusted without asking the database for the registry version.
/// Changes by other processes (the CLI, another server) are seen within this time.
pub const RECHECK: Duration = Duration::from_millis(1000);

pub struct TenantIndex {
    version: i64,
    /// Sorted by reading.
    docs: Vec<Doc>,
    unigrams: HashMap<char, Vec<u32>>,
    bigrams: HashMap<(char, char), Vec<u32>>,
    /// `choices()`, built on first use.
    choices: std::sync::OnceLock<Arc<Vec<(String, String)>>>,
}

#[derive(Debug, Default, Clone)]
pub struct Query {
    pub q: String,
    pub field: Option<String>,
    pub scene: Option<String>,
    pub disease_group: Option<i64>,
    pub is_new: Option<bool>,
    pub offset: usize,
    pub limit: usize,
}

#[derive(Debug, Serialize)]
pub struct Hits {
    pub total: usize,
    pub items: Vec<Summary>,
}

impl TenantIndex {
    fn build(version: i64, mut docs: Vec<(String, Doc)>) -> TenantIndex {
        docs.sort_by(|a, b| {
            a.0.cmp(&b.0)
                .then_with(|| a.1.summary.id.cmp(&b.1.summary.id))
        });
        let docs: Vec<Doc> = docs.into_iter().map(|(_, d)| d).collect();
        let mut unigrams: HashMap<char, Vec<u32>> = HashMap::new();
        let mut bigrams: HashMap<(char, char), Vec<u32>> = HashMap::new();
        let mut seen_u: std::collections::HashSet<char> = Default::default();
        let mut seen_b: std::collections::HashSet<(char, char)> = Default::default();
        for (i, d) in docs.iter().enumerate() {
            let i = i as u32;
            seen_u.clear();
            seen_b.clear();
            let mut prev: Option<char> = None;
            for c in d.text.chars() {
                if c == '\u{1f}' {
                    prev = None;
                    continue;
                }
                if seen_u.insert(c) {
                    unigrams.entry(c).or_default().push(i);
                }
                if let Some(p) = prev {
                    if seen_b.insert((p, c)) {
                        bigrams.entry((p, c)).or_default().push(i);
                    }
                }
                prev = Some(c);
            }
        }
        TenantIndex {
            version,
            docs,
            unigrams,
            bigrams,
            choices: Default::default(),
        }
    }

    /// The registry as a choice list, (id, "name（分野）") in reading order (the first
    /// 1,000), built once per index: the record page shows it on every view.
    pub fn choices(&self) -> Arc<Vec<(String, String)>> {
        self.choices
            .get_or_init(|| {
                Arc::new(
                    self.docs
                        .iter()
                        .take(1000)
                        .map(|d| {
                            (
                                d.summary.id.clone(),
                                format!("{}（{}）", d.summary.name, d.summary.field),
                            )
                        })
                        .collect(),
                )
            })
            .clone()
    }

    pub fn len(&self) -> usize {
        self.docs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    pub fn search(&self, q: &Query) -> Hits {
        let key = crate::text::search_key(&q.q);
        let chars: Vec<char> = key.chars().filter(|c| *c != '\u{1f}').collect();
        let keep = |d: &Doc| -> bool {
            q.field.as_ref().is_none_or(|f| &d.summary.field == f)
                && q.is_new.is_none_or(|n| d.summary.is_new == n)
                && q.disease_group
                    .is_none_or(|g| (1..=16).contains(&g) && d.disease_mask & (1 << g) != 0)
                && q.scene
                    .as_ref()
                    .is_none_or(|s| d.scenes.iter().any(|x| x == s))
        };
        let limit = if q.limit == 0 { 50 } else { q.limit.min(1000) };
        let mut total = 0usize;
        let mut items = Vec::new();
        let mut take = |d: &Doc| {
            if total >= q.offset && items.len() < limit {
                items.push(d.summary.clone());
            }
            total += 1;
        };
        match chars.len() {
            0 => self.docs.iter().filter(|d| keep(d)).for_each(&mut take),
            1 => {
                if let Some(list) = self.unigrams.get(&chars[0]) {
                    list.iter()
                        .map(|i| &self.docs[*i as usize])
                        .filter(|d| keep(d))
                        .for_each(&mut take);
                }
            }
            _ => {
                let mut lists: Vec<&Vec<u32>> = Vec::new();
                for w in chars.windows(2) {
                    match self.bigrams.get(&(w[0], w[1])) {
                        Some(l) => lists.push(l),
                        None => {
                            return Hits {
                                total: 0,
                                items: vec![],
                            }
                        }
                    }
                }
                lists.sort_by_key(|l| l.len());
                lists.dedup_by(|a, b| std::ptr::eq(*a, *b));
                let (first, rest) = lists.split_first().expect("at least one bigram");
                for i in first.iter() {
                    if rest.iter().all(|l| l.binary_search(i).is_ok()) {
                        let d = &self.docs[*i as usize];
                        if (chars.len() == 2 || d.text.contains(key.as_str())) && keep(d) {
                            take(d);
                        }
                    }
                }
            }
        }
        Hits { total, items }
    }
}

/// The tenant's index of this database's registry, rebuilt first when the registry
/// changed since it was built (one `SearchIndex` per database: `Db::ext`).
pub async fn index(db: &Db, tenant_id: &str) -> AppResult<Arc<TenantIndex>> {
    db.ext::<SearchIndex>().get(db, tenant_id).await
}

/// The indexes of all tenants of one database in this process.
#[derive(Default, Clone)]
pub struct SearchIndex {
    tenants: Arc<RwLock<HashMap<String, Cached>>>,
    build_lock: Arc<Mutex<()>>,
}

#[derive(Clone)]
struct Cached {
    index: Arc<TenantIndex>,
    checked: Instant,
    local_writes: u64,
}

impl SearchIndex {
    /// The tenant's index, rebuilt first when the registry changed since it was built.
    pub async fn get(&self, db: &Db, tenant_id: &str) -> AppResult<Arc<TenantIndex>> {
        let writes = local_writes(tenant_id);
        if let Some(c) = self.tenants.read().await.get(tenant_id) {
            if c.local_writes == writes && c.checked.elapsed() < RECHECK {
                return Ok(c.index.clone());
            }
        }
        let current = current_version(db, tenant_id).await?;
        if let Some(c) = self.tenants.write().await.get_mut(tenant_id) {
            if c.index.version == current {
                // Trusted for RECHECK more. A local write whose version we do not see yet
                // (not committed yet, or rolled back) keeps forcing a check.
                c.checked = Instant::now();
                return Ok(c.index.clone());
            }
        }
        let _guard = self.build_lock.lock().await;
        // Someone else may have rebuilt it while we waited.
        let current = current_version(db, tenant_id).await?;
        if let Some(c) = self.tenants.read().await.get(tenant_id) {
            if c.index.version == current {
                return Ok(c.index.clone());
            }
        }
        let ix = Arc::new(load(db, tenant_id, current).await?);
        let cached = Cached {
            index: ix.clone(),
            checked: Instant::now(),
            local_writes: writes,
        };
        self.tenants
            .write()
            .await
            .insert(tenant_id.to_string(), cached);
        Ok(ix)
    }
}

pub async fn current_version(db: &Db, tenant_id: &str) -> AppResult<i64> {
    let v: Option<i64> =
        sqlx::query_scalar("SELECT version FROM registry_versions WHERE tenant_id = $1")
            .bind(tenant_id)
            .fetch_optional(&db.pool)
            .await?;
    Ok(v.unwrap_or(0))
}

async fn load(db: &Db, tenant_id: &str, version: i64) -> AppResult<TenantIndex> {
    let rows = sqlx::query(
        "SELECT id, name, reading, field, address, is_new, disease_groups, search_doc, sort_key \
         FROM agencies WHERE tenant_id = $1 AND deleted_at IS NULL",
    )
    .bind(tenant_id)
    .fetch_all(&db.pool)
    .await?;
    let scene_rows =
        sqlx::query("SELECT agency_id, scene_id FROM agency_scenes WHERE tenant_id = $1")
            .bind(tenant_id)
            .fetch_all(&db.pool)
            .await?;
    let mut scenes: HashMap<String, Vec<String>> = HashMap::new();
    for r in &scene_rows {
        scenes
            .entry(r.try_get("agency_id")?)
            .or_default()
            .push(r.try_get("scene_id")?);
    }
    let docs = rows
        .iter()
        .map(|r| -> AppResult<(String, Doc)> {
            let id: String = r.try_get("id")?;
            let groups: String = r.try_get("disease_groups")?;
            let mask = groups
                .split(',')
                .filter_map(|g| g.trim().parse::<u32>().ok())
                .filter(|g| (1..=16).contains(g))
                .fold(0u32, |m, g| m | (1 << g));
            let sort_key: String = r.try_get("sort_key")?;
            Ok((
                sort_key,
                Doc {
                    scenes: scenes.remove(&id).unwrap_or_default(),
                    summary: Summary {
                        id,
                        name: r.try_get("name")?,
                        reading: r.try_get("reading")?,
                        field: r.try_get("field")?,
                        address: r.try_get("address")?,
                        is_new: r.try_get::<i64, _>("is_new")? != 0,
                    },
                    text: r.try_get("search_doc")?,
                    disease_mask: mask,
                },
            ))
        })
        .collect::<AppResult<Vec<_>>>()?;
    Ok(TenantIndex::build(version, docs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agencies::model::{search_document, sort_key, AgencyInput, ContactInput};

    fn doc(id: &str, name: &str, reading: &str, field: &str) -> (String, Doc) {
        let a = AgencyInput {
            name: name.into(),
            reading: reading.into(),
            field: field.into(),
            overview: "小児の慢性腎疾患と学校生活の相談".into(),
            contacts: vec![ContactInput {
                name: "鈴木 一郎".into(),
                ..Default::default()
            }],
            ..Default::default()
        };
        (
            sort_key(&a),
            Doc {
                summary: Summary {
                    id: id.into(),
                    name: name.into(),
                    reading: reading.into(),
                    field: field.into(),
                    address: String::new(),
                    is_new: false,
                },
                text: search_document(&a),
                disease_mask: 1 << 2,
                scenes: vec!["s1".into()],
            },
        )
    }

    fn index() -> TenantIndex {
        TenantIndex::build(
            1,
            vec![
                doc(
                    "b",
                    "デモ市立こども病院",
                    "でもしりつこどもびょういん",
                    "医療",
                ),
                doc("a", "ＮＰＯ法人 あおぞら", "あおぞら", "総合支援"),
                doc(
                    "c",
                    "デモ市教育委員会 学校教育課",
                    "でもしきょういくいいんかい",
                    "教育",
                ),
            ],
        )
    }

    fn names(h: &Hits) -> Vec<String> {
        h.items.iter().map(|s| s.name.clone()).collect()
    }

    #[test]
    fn one_and_two_character_queries() {
        let ix = index();
        assert_eq!(
            ix.search(&Query {
                q: "腎".into(),
                ..Default::default()
            })
            .total,
            3
        );
        let h = ix.search(&Query {
            q: "学校".into(),
            ..Default::default()
        });
        assert_eq!(h.total, 3, "学校 is in every overview");
        let h = ix.search(&Query {
            q: "教育課".into(),
            ..Default::default()
        });
        assert_eq!(names(&h), vec!["デモ市教育委員会 学校教育課"]);
    }

    #[test]
    fn width_case_kana_and_spaces_are_folded() {
        let ix = index();
        for q in ["npo", "ＮＰＯ", "Npo法人", "npo 法人", "アオゾラ", "ｱｵｿﾞﾗ"]
        {
            assert_eq!(
                names(&ix.search(&Query {
                    q: q.into(),
                    ..Default::default()
                })),
                vec!["ＮＰＯ法人 あおぞら"],
                "{q}"
            );
        }
        // The reading finds 子ども written in kanji elsewhere: こども matches the ふりがな.
        assert_eq!(
            ix.search(&Query {
                q: "こども".into(),
                ..Default::default()
            })
            .total,
            1
        );
        assert_eq!(
            ix.search(&Query {
                q: "スズキ".into(),
                ..Default::default()
            })
            .total,
            0,
            "contact names match as written"
        );
        assert_eq!(
            ix.search(&Query {
                q: "鈴木一郎".into(),
                ..Default::default()
            })
            .total,
            3
        );
    }

    #[test]
    fn sorted_by_reading_and_filtered() {
        let ix = index();
        let h = ix.search(&Query::default());
        assert_eq!(
            h.items.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
            vec!["a", "c", "b"]
        );
        let h = ix.search(&Query {
            field: Some("教育".into()),
            ..Default::default()
        });
        assert_eq!(h.total, 1);
        assert_eq!(
            ix.search(&Query {
                disease_group: Some(2),
                ..Default::default()
            })
            .total,
            3
        );
        assert_eq!(
            ix.search(&Query {
                disease_group: Some(3),
                ..Default::default()
            })
            .total,
            0
        );
        assert_eq!(
            ix.search(&Query {
                scene: Some("s2".into()),
                ..Default::default()
            })
            .total,
            0
        );
        assert_eq!(
            ix.search(&Query {
                q: "存在しない".into(),
                ..Default::default()
            })
            .total,
            0
        );
    }

    #[test]
    fn matches_do_not_span_fields() {
        // name ends with 院, reading starts with で: 院で must not match across the separator.
        let ix = index();
        assert_eq!(
            ix.search(&Query {
                q: "院で".into(),
                ..Default::default()
            })
            .total,
            0
        );
    }
}
