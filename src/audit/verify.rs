//! `verify`: walks the whole chain in order, checks every link (plain SHA-256 before
//! the key, HMAC after it), every sequence number and every checkpoint of the chain.

use std::collections::HashMap;

use sqlx::Row;

use super::checkpoint::{self, Checkpoint};
use super::{entry_hash, key, mac_parts, Entry, GENESIS, RESTORE_ACTION};
use crate::db::Db;

#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every link holds; `entries` is the last sequence number.
    Intact { entries: i64 },
    /// The first problem found: where and what, in Japanese.
    Broken { seq: i64, reason: String },
}

/// What `verify` found, with what the CLI shows besides the verdict.
#[derive(Debug)]
pub struct Report {
    pub verdict: Verdict,
    /// The chain's checkpoints compared.
    pub checkpoints: usize,
    /// The newest checkpoint (sequence number, when).
    pub newest_checkpoint: Option<(i64, String)>,
    /// Every link held, but a checkpoint is ahead of the database: (its head, the
    /// checkpoint's number). A restore of a backup expects this (`yorube restore`).
    pub behind: Option<(i64, i64)>,
    pub notes: Vec<String>,
}

/// Walks the whole chain and compares it with the checkpoints.
pub async fn verify(db: &Db) -> anyhow::Result<Verdict> {
    Ok(verify_report(db).await?.verdict)
}

fn broken(seq: i64, reason: impl Into<String>) -> Verdict {
    Verdict::Broken {
        seq,
        reason: reason.into(),
    }
}

pub async fn verify_report(db: &Db) -> anyhow::Result<Report> {
    let head = checkpoint::head(db).await?;
    let mut report = Report {
        verdict: Verdict::Intact { entries: 0 },
        checkpoints: 0,
        newest_checkpoint: None,
        behind: None,
        notes: vec![],
    };
    let key = key::current();
    let loaded = match &key {
        Some(k) => checkpoint::read(k, &head.chain_id)?,
        None => Default::default(),
    };
    if let Some((line, why)) = loaded.bad.first() {
        let path = key
            .as_ref()
            .map(|k| k.checkpoint_path())
            .unwrap_or_default();
        report.verdict = broken(
            0,
            format!(
                "チェックポイントファイル {} の {line} 行目の{why}（ファイルが書き換えられた可能性があります）",
                path.display()
            ),
        );
        return Ok(report);
    }
    if let Some(c) = loaded.ours.iter().find(|c| c.keyed_from != head.keyed_from) {
        report.verdict = broken(
            head.keyed_from.min(c.keyed_from),
            format!(
                "鍵付き連鎖の開始位置が書き換えられています（チェックポイントでは記録番号 {}、データベースでは {}）",
                c.keyed_from, head.keyed_from
            ),
        );
        return Ok(report);
    }
    report.checkpoints = loaded.ours.len();
    if !loaded.other_chains.is_empty() {
        report.notes.push(format!(
            "チェックポイントファイルには別のデータベースの連鎖 {} 件の記録もあります（照合の対象外）",
            loaded.other_chains.len()
        ));
    }
    let mut at_seq: HashMap<i64, Vec<&Checkpoint>> = HashMap::new();
    for c in &loaded.ours {
        at_seq.entry(c.seq).or_default().push(c);
    }
    // Sequence numbers given up by a restore (a keyed `audit.restore` entry names them).
    let mut skipped: Vec<(i64, i64)> = vec![];
    let mut prev = GENESIS.to_string();
    let mut expected_seq = 1i64;
    let mut last_seen = 0i64;
    loop {
        let rows = sqlx::query(
            "SELECT seq, at, tenant_id, actor_id, actor, action, entity_type, entity_id, detail, prev_hash, hash, key_id \
             FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT 5000",
        )
        .bind(last_seen)
        .fetch_all(&db.pool)
        .await?;
        if rows.is_empty() {
            break;
        }
        for r in &rows {
            let seq: i64 = r.try_get("seq")?;
            let e = Entry {
                tenant_id: r.try_get("tenant_id")?,
                actor_id: r.try_get("actor_id")?,
                actor: r.try_get("actor")?,
                action: r.try_get("action")?,
                entity_type: r.try_get("entity_type")?,
                entity_id: r.try_get("entity_id")?,
                detail: r.try_get("detail")?,
            };
            let at: String = r.try_get("at")?;
            let stored_prev: String = r.try_get("prev_hash")?;
            let stored: String = r.try_get("hash")?;
            let key_id: Option<String> = r.try_get("key_id")?;
            if seq != expected_seq {
                let restore_gap = e.action == RESTORE_ACTION
                    && e.entity_id == format!("{expected_seq}-{}", seq - 1)
                    && key_id.is_some();
                if !restore_gap {
                    let reason = if seq == expected_seq + 1 {
                        format!(
                            "記録 {expected_seq} が見つかりません（削除された可能性があります）"
                        )
                    } else {
                        format!(
                            "記録 {expected_seq}〜{} が見つかりません（途中の記録が削除された可能性があります）",
                            seq - 1
                        )
                    };
                    report.verdict = broken(expected_seq, reason);
                    return Ok(report);
                }
                // Its own link is checked below like any keyed entry's.
                skipped.push((expected_seq, seq - 1));
                report.notes.push(format!(
                    "記録番号 {expected_seq}〜{} は復元で失われたため欠番です（{}）",
                    seq - 1,
                    e.detail
                ));
            }
            if stored_prev != prev {
                report.verdict = broken(
                    seq,
                    "直前の記録のハッシュと一致しません（前の記録が改ざんされた可能性があります）",
                );
                return Ok(report);
            }
            if seq < head.keyed_from {
                if key_id.is_some() || entry_hash(seq, &at, &e, &prev) != stored {
                    report.verdict = broken(
                        seq,
                        "記録の内容がハッシュと一致しません（この記録が改ざんされた可能性があります）",
                    );
                    return Ok(report);
                }
            } else {
                let Some(k) = &key else {
                    report.verdict = broken(
                        seq,
                        "監査ログの鍵がないため、鍵付きの記録を検証できません（--audit-key-file）",
                    );
                    return Ok(report);
                };
                let problem = match key_id.as_deref() {
                    None => Some("鍵による署名がありません（鍵を持たない者が追加または書き換えた記録です。改ざんの可能性があります）".to_string()),
                    Some(id) if id != k.id => Some(format!(
                        "別の鍵（{id}）で署名されています（この鍵 {} の連鎖ではありません。改ざんの可能性があります）",
                        k.id
                    )),
                    Some(_) => {
                        let seq_text = seq.to_string();
                        let parts = mac_parts(k, &head.chain_id, &seq_text, &at, &e, &prev);
                        (!k.check(&parts, &stored)).then(|| {
                            "記録の内容が鍵付きハッシュ（HMAC）と一致しません（この記録が改ざん、再計算または偽造された可能性があります）".to_string()
                        })
                    }
                };
                if let Some(reason) = problem {
                    report.verdict = broken(seq, reason);
                    return Ok(report);
                }
            }
            for c in at_seq.get(&seq).into_iter().flatten() {
                if c.hash != stored {
                    report.verdict = broken(
                        seq,
                        format!(
                            "チェックポイント（{} {}）の記録番号 {seq} と一致しません（連鎖が書き換えられたか、番号が再利用されています）",
                            c.at, c.kind
                        ),
                    );
                    return Ok(report);
                }
            }
            prev = stored;
            expected_seq = seq + 1;
            last_seen = seq;
        }
    }
    if head.seq != last_seen || head.hash != prev {
        let reason = if head.seq < last_seen {
            format!(
                "先頭（記録番号 {}）より後ろに記録があります（先頭を通さずに追加された記録です）",
                head.seq
            )
        } else {
            format!(
                "末尾の記録が失われています（最終番号 {} のはずが {last_seen} までしかありません）",
                head.seq
            )
        };
        report.verdict = broken(last_seen.min(head.seq) + 1, reason);
        return Ok(report);
    }
    let lost = |s: i64| skipped.iter().any(|&(a, b)| a <= s && s <= b);
    let newest = loaded
        .ours
        .iter()
        .filter(|c| !lost(c.seq))
        .max_by_key(|c| c.seq);
    report.newest_checkpoint = newest.map(|c| (c.seq, c.at.clone()));
    if let Some(c) = newest.filter(|c| c.seq > last_seen) {
        report.behind = Some((last_seen, c.seq));
        let from_backup = loaded
            .ours
            .iter()
            .find(|b| b.kind == "backup" && b.seq == last_seen && b.hash == prev);
        let reason = if last_seen == 0 {
            format!(
                "監査ログが空です。チェックポイント（{}）では記録番号 {} までありました（TRUNCATE などで消去され、先頭が戻された可能性があります）",
                c.at, c.seq
            )
        } else if let Some(b) = from_backup {
            format!(
                "このデータベースは {} のバックアップ（記録番号 {last_seen} まで）の古い写しです。チェックポイント（{}）では記録番号 {} までありました（yorube restore を通さずに差し替えられています）",
                b.at, c.at, c.seq
            )
        } else {
            format!(
                "監査ログの末尾が失われています。チェックポイント（{}）では記録番号 {} までありましたが、{last_seen} までしかありません（末尾の削除と先頭の書き換え、または古い写しへの差し替え）",
                c.at, c.seq
            )
        };
        report.verdict = broken(last_seen + 1, reason);
        return Ok(report);
    }
    if loaded.ours.is_empty() && key.is_some() {
        report.notes.push(
            "この連鎖のチェックポイントはまだありません（サーバが動くと定期的に書き出されます）"
                .into(),
        );
    }
    report.verdict = Verdict::Intact { entries: last_seen };
    Ok(report)
}
