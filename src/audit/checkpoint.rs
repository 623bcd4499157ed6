//! Checkpoints: the chain's head (sequence number and link), exported now and then to
//! an append-only file outside the database (beside the key: `yorube-audit.checkpoints`)
//! and to the log. Each line is signed with the audit key, so it cannot be edited or
//! forged without it. `verify` compares the database with every checkpoint of its
//! chain: a head below a checkpoint is a truncated, shortened or older database, a link
//! that differs from a checkpoint is a rewritten chain (or a reused number).
//!
//! A line: `v1 chain=… seq=… hash=… keyed_from=… key=… kind=… at=… sig=…`, where sig is
//! the HMAC of everything before ` sig=`. Lines of other chains (other databases that
//! share the key, e.g. a test copy) are kept and ignored.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use sqlx::Row;

use super::key::{self, Key};
use crate::db::Db;
use crate::time;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub chain: String,
    pub seq: i64,
    pub hash: String,
    pub keyed_from: i64,
    pub key_id: String,
    /// periodic, shutdown, cli, backup, restore
    pub kind: String,
    pub at: String,
}

impl Checkpoint {
    fn body(&self) -> String {
        format!(
            "v1 chain={} seq={} hash={} keyed_from={} key={} kind={} at={}",
            self.chain, self.seq, self.hash, self.keyed_from, self.key_id, self.kind, self.at
        )
    }

    fn line(&self, key: &Key) -> String {
        let body = self.body();
        let sig = key.sign(&["checkpoint", &body]);
        format!("{body} sig={sig}\n")
    }

    /// Reads a line; Err says why it is not a valid signed checkpoint.
    fn parse(key: &Key, line: &str) -> Result<Checkpoint, &'static str> {
        let (body, sig) = line.rsplit_once(" sig=").ok_or("署名がありません")?;
        if !key.check(&["checkpoint", body], sig.trim()) {
            return Err("署名が一致しません");
        }
        let mut it = body.split(' ');
        if it.next() != Some("v1") {
            return Err("形式が違います");
        }
        let mut field = |name: &str| -> Result<String, &'static str> {
            it.next()
                .and_then(|kv| kv.strip_prefix(name))
                .and_then(|v| v.strip_prefix('='))
                .map(str::to_string)
                .ok_or("形式が違います")
        };
        let chain = field("chain")?;
        let seq = field("seq")?.parse().map_err(|_| "番号が読めません")?;
        let hash = field("hash")?;
        let keyed_from = field("keyed_from")?
            .parse()
            .map_err(|_| "番号が読めません")?;
        let key_id = field("key")?;
        let kind = field("kind")?;
        let at = field("at")?;
        Ok(Checkpoint {
            chain,
            seq,
            hash,
            keyed_from,
            key_id,
            kind,
            at,
        })
    }
}

/// What the checkpoint file says about one chain.
#[derive(Debug, Default)]
pub struct Loaded {
    /// This chain's checkpoints, in file order.
    pub ours: Vec<Checkpoint>,
    /// Lines whose signature does not hold: (line number, why).
    pub bad: Vec<(usize, &'static str)>,
    /// Other chains named in the file.
    pub other_chains: std::collections::BTreeSet<String>,
}

/// Reads the checkpoint file beside `key` (none yet: nothing).
pub fn read(key: &Key, chain: &str) -> anyhow::Result<Loaded> {
    let path = key.checkpoint_path();
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => {
            return Err(e).with_context(|| {
                format!("チェックポイントファイル {} を読めません", path.display())
            })
        }
    };
    let mut out = Loaded::default();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match Checkpoint::parse(key, line) {
            Ok(c) if c.chain == chain => out.ours.push(c),
            Ok(c) => {
                out.other_chains.insert(c.chain);
            }
            Err(why) => out.bad.push((i + 1, why)),
        }
    }
    Ok(out)
}

/// Appends one signed line (one write on a file opened for appending, then synced).
pub fn append(key: &Key, c: &Checkpoint) -> anyhow::Result<()> {
    let path = key.checkpoint_path();
    append_to(&path, &c.line(key))?;
    tracing::info!(
        target: "yorube::audit",
        chain = %c.chain, seq = c.seq, hash = %c.hash, kind = %c.kind,
        "監査ログのチェックポイント"
    );
    Ok(())
}

fn append_to(path: &Path, line: &str) -> anyhow::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("チェックポイントファイル {} を開けません", path.display()))?;
    f.write_all(line.as_bytes())?;
    f.sync_data()?;
    Ok(())
}

/// The database's head as `audit_head` holds it.
#[derive(Debug, Clone)]
pub struct Head {
    pub seq: i64,
    pub hash: String,
    pub chain_id: String,
    pub keyed_from: i64,
}

pub async fn head(db: &Db) -> anyhow::Result<Head> {
    let r = sqlx::query("SELECT seq, hash, chain_id, keyed_from FROM audit_head WHERE id = 1")
        .fetch_one(&db.pool)
        .await?;
    Ok(Head {
        seq: r.try_get("seq")?,
        hash: r.try_get("hash")?,
        chain_id: r.try_get("chain_id")?,
        keyed_from: r.try_get("keyed_from")?,
    })
}

/// The last checkpoint this process wrote or read for the database (per `Db`).
#[derive(Default)]
struct Last(tokio::sync::Mutex<Option<i64>>);

/// Writes a checkpoint of the database's head now (`kind` says why). Nothing is written
/// when the head is where the last checkpoint was, unless `kind` is not `periodic`.
/// Refused (and logged as an error) when the head is below an earlier checkpoint or
/// its newest entry does not carry the head's link: then the chain has been tampered
/// with and must not be signed as if it were whole.
pub async fn write(db: &Db, kind: &str) -> anyhow::Result<Option<Checkpoint>> {
    let key = key::required()?;
    let last = db.ext::<Last>();
    let mut last = last.0.lock().await;
    let h = head(db).await?;
    let last_seq = match *last {
        Some(s) => s,
        None => read(&key, &h.chain_id)?
            .ours
            .iter()
            .map(|c| c.seq)
            .max()
            .unwrap_or(0),
    };
    if h.seq < last_seq {
        tracing::error!(target: "yorube::audit", head = h.seq, checkpoint = last_seq,
            "監査ログの先頭がチェックポイントより後退しています（yorube audit verify で確認してください）");
        bail!(
            "監査ログの先頭（記録番号 {}）がチェックポイント（記録番号 {last_seq}）より後退しています",
            h.seq
        );
    }
    if h.seq == last_seq && kind == "periodic" {
        *last = Some(last_seq);
        return Ok(None);
    }
    if h.seq > 0 {
        let newest: Option<String> =
            sqlx::query_scalar("SELECT hash FROM audit_log WHERE seq = $1")
                .bind(h.seq)
                .fetch_optional(&db.pool)
                .await?;
        if newest.as_deref() != Some(h.hash.as_str()) {
            tracing::error!(target: "yorube::audit", head = h.seq,
                "監査ログの先頭の記録が見つからないか一致しません（yorube audit verify で確認してください）");
            bail!(
                "監査ログの先頭（記録番号 {}）の記録が見つからないか一致しません",
                h.seq
            );
        }
    }
    let c = Checkpoint {
        chain: h.chain_id,
        seq: h.seq,
        hash: h.hash,
        keyed_from: h.keyed_from,
        key_id: key.id.clone(),
        kind: kind.to_string(),
        at: time::now_db(),
    };
    append(&key, &c)?;
    *last = Some(c.seq);
    Ok(Some(c))
}

/// When the server writes checkpoints: after `rows` new entries or `every` since the
/// last one (whichever comes first, and only when the head moved), and at shutdown.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    pub every: Duration,
    pub rows: i64,
}

/// Writes checkpoints in the background while the server runs (one read of the head
/// a second).
pub fn spawn(db: Db, s: Schedule) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut since = Instant::now();
        let mut written: Option<i64> = None;
        loop {
            tick.tick().await;
            let seq: Result<i64, _> = sqlx::query_scalar("SELECT seq FROM audit_head WHERE id = 1")
                .fetch_one(&db.pool)
                .await;
            let Ok(seq) = seq else { continue };
            let due = match written {
                None => true,
                Some(w) => seq != w && (seq - w >= s.rows || since.elapsed() >= s.every),
            };
            if !due {
                continue;
            }
            match write(&db, "periodic").await {
                Ok(_) => {
                    written = Some(seq);
                    since = Instant::now();
                }
                Err(e) => {
                    tracing::error!(target: "yorube::audit", error = %e, "監査ログのチェックポイントを書けませんでした");
                    since = Instant::now();
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_round_trip_and_edits_are_refused() {
        let dir = std::env::temp_dir().join(format!("yorube-cp-{}", uuid::Uuid::now_v7().simple()));
        let key = Key::create(&dir.join("k.key")).unwrap();
        let c = Checkpoint {
            chain: "abc".into(),
            seq: 42,
            hash: "ff".into(),
            keyed_from: 1,
            key_id: key.id.clone(),
            kind: "periodic".into(),
            at: "2026-01-01T00:00:00Z".into(),
        };
        let line = c.line(&key);
        assert_eq!(Checkpoint::parse(&key, line.trim_end()), Ok(c.clone()));
        let edited = line.replace("seq=42", "seq=41");
        assert!(Checkpoint::parse(&key, edited.trim_end()).is_err());
        append(&key, &c).unwrap();
        append_to(&key.checkpoint_path(), &edited).unwrap();
        let other = Checkpoint {
            chain: "other".into(),
            ..c.clone()
        };
        append(&key, &other).unwrap();
        let l = read(&key, "abc").unwrap();
        assert_eq!(l.ours, vec![c]);
        assert_eq!(l.bad.len(), 1);
        assert!(l.other_chains.contains("other"));
        let _ = std::fs::remove_dir_all(dir);
    }
}
