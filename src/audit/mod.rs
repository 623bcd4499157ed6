//! The audit log: append-only and chained with a key. Each entry's link (`hash`) is an
//! HMAC-SHA256, under a key kept outside the database (`key`), of its own content, its
//! sequence number, the chain's id and the previous entry's link; so editing, deleting,
//! re-hashing or forging any entry breaks the chain, and without the key it cannot be
//! mended. Entries from before the key (migration 0012) keep their plain SHA-256 link
//! (`entry_hash`); the keyed chain starts after them (`audit_head.keyed_from`).
//! The head is exported now and then to a signed file outside the database
//! (`checkpoint`), so that a shortened or older chain is noticed too (`verify`).
//!
//! Entries are appended inside the transaction of the write they record (one commit
//! for both); the single `audit_head` row serialises appenders on both engines.

pub mod checkpoint;
pub mod key;
pub mod reads;
mod verify;

pub use verify::{verify, verify_report, Report, Verdict};

use sqlx::Row;

use crate::db::{Conn, Db, Direct};
use crate::error::{AppError, AppResult};
use crate::time;

/// The action of the entry `yorube restore` appends when the restored copy is older
/// than the newest checkpoint: its entity id names the numbers given up (`a-b`), which
/// are never used again.
pub const RESTORE_ACTION: &str = "audit.restore";

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who did something: the signed-in caller (`auth::Ctx` is one). The audit knows no
/// more of the caller than this, so that it stays below everything that audits.
pub trait Actor {
    /// The user's id; None for the system (the CLI, the demo loader).
    fn actor_id(&self) -> Option<&str>;
    /// The login shown in the log.
    fn actor_login(&self) -> &str;
}

/// What happened, by whom, to what. Build with `Entry::new(ctx, ...)`.
#[derive(Debug, Clone)]
pub struct Entry {
    pub tenant_id: Option<String>,
    pub actor_id: Option<String>,
    pub actor: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub detail: String,
}

impl Entry {
    pub fn new(
        ctx: &impl Actor,
        tenant_id: Option<&str>,
        action: &str,
        entity_type: &str,
        entity_id: &str,
    ) -> Entry {
        Entry {
            tenant_id: tenant_id.map(str::to_string),
            actor_id: ctx.actor_id().map(str::to_string),
            actor: ctx.actor_login().to_string(),
            action: action.into(),
            entity_type: entity_type.into(),
            entity_id: entity_id.into(),
            detail: String::new(),
        }
    }

    /// An entry by someone not (yet) signed in, e.g. a failed sign-in.
    pub fn anonymous(
        actor: &str,
        tenant_id: Option<&str>,
        action: &str,
        entity_type: &str,
        entity_id: &str,
    ) -> Entry {
        Entry {
            tenant_id: tenant_id.map(str::to_string),
            actor_id: None,
            actor: actor.into(),
            action: action.into(),
            entity_type: entity_type.into(),
            entity_id: entity_id.into(),
            detail: String::new(),
        }
    }

    pub fn detail(mut self, d: &str) -> Entry {
        self.detail = d.chars().take(500).collect();
        self
    }
}

/// The hash of an entry: SHA-256 over its fields and the previous hash, separated by
/// the unit separator so that no field can run into the next.
pub fn entry_hash(seq: i64, at: &str, e: &Entry, prev_hash: &str) -> String {
    let content = [
        seq.to_string().as_str(),
        at,
        e.tenant_id.as_deref().unwrap_or(""),
        e.actor_id.as_deref().unwrap_or(""),
        &e.actor,
        &e.action,
        &e.entity_type,
        &e.entity_id,
        &e.detail,
        prev_hash,
    ]
    .join("\u{1f}");
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(content.as_bytes()))
}

/// The keyed link of an entry (since migration 0012): HMAC-SHA256 under the audit key
/// over the chain's id, the sequence number, every field, the previous link and the
/// key's id.
pub fn entry_mac(key: &key::Key, chain: &str, seq: i64, at: &str, e: &Entry, prev: &str) -> String {
    key.sign(&mac_parts(key, chain, &seq.to_string(), at, e, prev))
}

fn mac_parts<'a>(
    key: &'a key::Key,
    chain: &'a str,
    seq: &'a str,
    at: &'a str,
    e: &'a Entry,
    prev: &'a str,
) -> [&'a str; 13] {
    [
        "v2",
        chain,
        seq,
        at,
        e.tenant_id.as_deref().unwrap_or(""),
        e.actor_id.as_deref().unwrap_or(""),
        &e.actor,
        &e.action,
        &e.entity_type,
        &e.entity_id,
        &e.detail,
        prev,
        &key.id,
    ]
}

/// The key every append signs with (installed by the CLI before the database is used).
fn signing_key() -> AppResult<std::sync::Arc<key::Key>> {
    key::required().map_err(AppError::Internal)
}

/// Appends an entry within the caller's transaction. Returns its sequence number.
pub async fn append(conn: &mut Conn, e: Entry) -> AppResult<i64> {
    let key = signing_key()?;
    let head = sqlx::query(
        "UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash, chain_id",
    )
    .fetch_one(&mut *conn)
    .await?;
    let seq: i64 = head.try_get("seq")?;
    let prev: String = head.try_get("hash")?;
    let chain_id: String = head.try_get("chain_id")?;
    let at = time::now_db();
    let hash = entry_mac(&key, &chain_id, seq, &at, &e, &prev);
    sqlx::query(
        "INSERT INTO audit_log (seq, at, tenant_id, actor_id, actor, action, entity_type, entity_id, detail, prev_hash, hash, key_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(seq)
    .bind(&at)
    .bind(&e.tenant_id)
    .bind(&e.actor_id)
    .bind(&e.actor)
    .bind(&e.action)
    .bind(&e.entity_type)
    .bind(&e.entity_id)
    .bind(&e.detail)
    .bind(&prev)
    .bind(&hash)
    .bind(&key.id)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(&hash)
        .execute(&mut *conn)
        .await?;
    Ok(seq)
}

/// Appends the entry of a write within its transaction, then commits both: the usual
/// end of a store function that changes something.
pub async fn commit(mut tx: crate::db::Tx, e: Entry) -> AppResult<()> {
    reads::note(&e.action);
    append(&mut tx, e).await?;
    tx.commit().await?;
    Ok(())
}

/// Appends one entry in its own transaction (for events that write nothing else,
/// such as a failed sign-in or a read of a child's record).
///
/// Group commit: entries recorded at the same moment by concurrent requests are
/// written together, in one transaction, in the order they arrived. Each caller
/// still returns only after its own entry is committed, so nothing is acknowledged
/// before it is durable; but 32 simultaneous record views cost one commit (and on
/// PostgreSQL one WAL flush) instead of 32 serialised ones.
pub async fn record(db: &Db, e: Entry) -> AppResult<i64> {
    reads::note(&e.action);
    let batch = db.ext::<Batch>();
    let (tx, mut rx) = tokio::sync::oneshot::channel();
    batch
        .queue
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push((e, tx));
    tokio::select! {
        biased;
        r = &mut rx => answer(r),
        guard = batch.flush.lock() => {
            let items = std::mem::take(
                &mut *batch.queue.lock().unwrap_or_else(|p| p.into_inner()),
            );
            if !items.is_empty() {
                // A task of its own, so that a caller that goes away (a closed
                // connection) cannot abandon the others' entries half-way.
                let db = db.clone();
                let _ = tokio::spawn(async move { write_batch(&db, items).await }).await;
            }
            drop(guard);
            // Ours was in this batch or an earlier one, whose writer answered before
            // giving up the lock.
            answer(rx.await)
        }
    }
}

type Waiter = (Entry, tokio::sync::oneshot::Sender<Result<i64, String>>);

/// The entries waiting to be appended by `record`, and the lock of the one caller
/// that writes them.
#[derive(Default)]
pub struct Batch {
    queue: std::sync::Mutex<Vec<Waiter>>,
    flush: tokio::sync::Mutex<()>,
}

fn answer(
    r: Result<Result<i64, String>, tokio::sync::oneshot::error::RecvError>,
) -> AppResult<i64> {
    match r {
        Ok(Ok(seq)) => Ok(seq),
        Ok(Err(msg)) => Err(anyhow::anyhow!("監査ログを書き込めませんでした: {msg}").into()),
        Err(_) => Err(anyhow::anyhow!("監査ログの書き込みが中断されました").into()),
    }
}

/// Writes waiting entries in one transaction and tells each waiter its outcome.
async fn write_batch(db: &Db, items: Vec<Waiter>) {
    let (entries, waiters): (Vec<Entry>, Vec<_>) = items.into_iter().unzip();
    match append_all(db, entries).await {
        Ok(first) => {
            for (i, w) in waiters.into_iter().enumerate() {
                let _ = w.send(Ok(first + i as i64));
            }
        }
        Err(e) => {
            let msg = e.to_string();
            for w in waiters {
                let _ = w.send(Err(msg.clone()));
            }
        }
    }
}

/// Appends entries in order, in one transaction. Returns the first sequence number.
async fn append_all(db: &Db, entries: Vec<Entry>) -> AppResult<i64> {
    match &db.direct {
        Direct::Sqlite(direct) => {
            direct
                .write(move |tx| append_all_sqlite(tx, &entries))
                .await
        }
        Direct::Postgres(pg) => append_all_pg(&pg.audit, &entries).await,
    }
}

/// One entry's place in the chain: its sequence number, the hash before it and its own.
struct Link {
    seq: i64,
    prev: String,
    hash: String,
}

/// The links of `entries` appended after the head (`seq`, `hash`) of chain `chain_id`
/// at `at`, in order: what every batch writer stores, whichever connection it writes on.
fn chain(
    key: &key::Key,
    chain_id: &str,
    seq: i64,
    hash: String,
    at: &str,
    entries: &[Entry],
) -> Vec<Link> {
    let mut prev = hash;
    entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let seq = seq + 1 + i as i64;
            let hash = entry_mac(key, chain_id, seq, at, e, &prev);
            Link {
                seq,
                prev: std::mem::replace(&mut prev, hash.clone()),
                hash,
            }
        })
        .collect()
}

/// `append_all` on PostgreSQL's direct pool: the entries in one INSERT of arrays with
/// the head's update (one statement, whatever the batch size).
async fn append_all_pg(pool: &crate::db::postgres::Pool, entries: &[Entry]) -> AppResult<i64> {
    let key = signing_key()?;
    let mut conn = pool.get().await?;
    let first = append_all_pg_on(&mut conn, &key, entries).await?;
    conn.done();
    Ok(first)
}

async fn append_all_pg_on(
    conn: &mut sqlx::PgConnection,
    key: &key::Key,
    entries: &[Entry],
) -> Result<i64, sqlx::Error> {
    // BEGIN and the head's lock in one round trip (a simple query of two statements;
    // nothing to bind). Should anything fail before COMMIT, the caller does not give the
    // connection back (postgres::Conn::done), and closing it rolls the transaction back.
    let head = sqlx::Executor::fetch_one(
        &mut *conn,
        "BEGIN; UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING seq, hash, chain_id",
    )
    .await?;
    let (seq, hash, chain_id): (i64, String, String) =
        (head.try_get(0)?, head.try_get(1)?, head.try_get(2)?);
    let at = time::now_db();
    let links = chain(key, &chain_id, seq, hash.clone(), &at, entries);
    let (last_seq, last_hash) = links
        .last()
        .map_or((seq, hash), |l| (l.seq, l.hash.clone()));
    let (mut seqs, mut prevs, mut hashes) = (vec![], vec![], vec![]);
    for l in links {
        seqs.push(l.seq);
        prevs.push(l.prev);
        hashes.push(l.hash);
    }
    let each = |f: fn(&Entry) -> &str| entries.iter().map(f).collect::<Vec<_>>();
    let tenants: Vec<Option<&str>> = entries.iter().map(|e| e.tenant_id.as_deref()).collect();
    let actor_ids: Vec<Option<&str>> = entries.iter().map(|e| e.actor_id.as_deref()).collect();
    sqlx::query(
        "WITH ins AS (INSERT INTO audit_log (seq, at, tenant_id, actor_id, actor, action, entity_type, entity_id, detail, prev_hash, hash, key_id) \
         SELECT s, $2, t, ai, a, ac, et, ei, d, p, h, $14 FROM UNNEST($1::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], \
         $7::text[], $8::text[], $9::text[], $10::text[], $11::text[]) AS u(s, t, ai, a, ac, et, ei, d, p, h)) \
         UPDATE audit_head SET seq = $12, hash = $13 WHERE id = 1",
    )
    .bind(&seqs)
    .bind(&at)
    .bind(&tenants)
    .bind(&actor_ids)
    .bind(each(|e| &e.actor))
    .bind(each(|e| &e.action))
    .bind(each(|e| &e.entity_type))
    .bind(each(|e| &e.entity_id))
    .bind(each(|e| &e.detail))
    .bind(&prevs)
    .bind(&hashes)
    .bind(last_seq)
    .bind(&last_hash)
    .bind(&key.id)
    .execute(&mut *conn)
    .await?;
    sqlx::Executor::execute(&mut *conn, "COMMIT").await?;
    Ok(seq + 1)
}

/// `append_all` on SQLite's direct write connection (db::sqlite), in one blocking call.
fn append_all_sqlite(tx: &rusqlite::Transaction, entries: &[Entry]) -> AppResult<i64> {
    use crate::db::sqlite::internal;
    let key = signing_key()?;
    let (seq, hash, chain_id): (i64, String, String) = tx
        .query_row(
            "SELECT seq, hash, chain_id FROM audit_head WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .map_err(internal)?;
    let at = time::now_db();
    let links = chain(&key, &chain_id, seq, hash.clone(), &at, entries);
    let mut insert = tx
        .prepare_cached(
            "INSERT INTO audit_log (seq, at, tenant_id, actor_id, actor, action, entity_type, entity_id, detail, prev_hash, hash, key_id) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        )
        .map_err(internal)?;
    for (e, l) in entries.iter().zip(&links) {
        insert
            .execute(rusqlite::params![
                l.seq,
                at,
                e.tenant_id,
                e.actor_id,
                e.actor,
                e.action,
                e.entity_type,
                e.entity_id,
                e.detail,
                l.prev,
                l.hash,
                key.id
            ])
            .map_err(internal)?;
    }
    let (last_seq, last_hash) = links.last().map_or((seq, &hash), |l| (l.seq, &l.hash));
    tx.execute(
        "UPDATE audit_head SET seq = ?1, hash = ?2 WHERE id = 1",
        rusqlite::params![last_seq, last_hash],
    )
    .map_err(internal)?;
    Ok(seq + 1)
}

/// After a restore of a copy whose head is below the newest checkpoint (`up_to`): one
/// keyed entry at `up_to + 1` that names the numbers lost with the newer entries, so
/// that no number is used twice and `verify` accepts exactly that gap. On the copy's
/// own connection (SQLite), before it replaces the database.
pub fn append_restore_entry(
    tx: &rusqlite::Transaction,
    up_to: i64,
    detail: &str,
) -> AppResult<i64> {
    use crate::db::sqlite::internal;
    let key = signing_key()?;
    let (seq, hash, chain_id): (i64, String, String) = tx
        .query_row(
            "SELECT seq, hash, chain_id FROM audit_head WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .map_err(internal)?;
    if up_to <= seq {
        return Ok(seq);
    }
    let e = Entry::anonymous(
        "system",
        None,
        RESTORE_ACTION,
        "audit_log",
        &format!("{}-{up_to}", seq + 1),
    )
    .detail(detail);
    let at = time::now_db();
    let new_seq = up_to + 1;
    let mac = entry_mac(&key, &chain_id, new_seq, &at, &e, &hash);
    tx.execute(
        "INSERT INTO audit_log (seq, at, tenant_id, actor_id, actor, action, entity_type, entity_id, detail, prev_hash, hash, key_id) \
         VALUES (?1, ?2, NULL, NULL, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        rusqlite::params![new_seq, at, e.actor, e.action, e.entity_type, e.entity_id, e.detail, hash, mac, key.id],
    )
    .map_err(internal)?;
    tx.execute(
        "UPDATE audit_head SET seq = ?1, hash = ?2 WHERE id = 1",
        rusqlite::params![new_seq, mac],
    )
    .map_err(internal)?;
    Ok(new_seq)
}
