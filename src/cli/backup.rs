//! `yorube backup` and `yorube restore` (SQLite; PostgreSQL: pg_dump / PITR, see
//! docs/operations.md).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::Args;

use super::DbArgs;
use crate::audit::checkpoint::{self, Checkpoint};
use crate::audit::Verdict;
use crate::db::files;

#[derive(Args)]
pub struct BackupArgs {
    #[command(flatten)]
    db: DbArgs,
    /// 書き出すファイル
    #[arg(long)]
    out: PathBuf,
}

#[derive(Args)]
pub struct RestoreArgs {
    #[command(flatten)]
    db: DbArgs,
    /// `yorube backup` で作ったファイル
    file: PathBuf,
}

fn sqlite_only(db: &DbArgs, what: &str) -> anyhow::Result<PathBuf> {
    if db
        .database_url
        .as_deref()
        .is_some_and(|u| !u.trim().is_empty())
    {
        bail!(
            "{what} は SQLite（--data-dir）のためのものです。PostgreSQL では pg_dump / pg_restore またはポイントインタイムリカバリを使ってください（docs/operations.md）"
        );
    }
    db.data_dir
        .clone()
        .context("--data-dir（または YORUBE_DATA_DIR）を指定してください")
}

/// The head of an SQLite file, read directly (the copy is not opened as a database).
fn file_head(path: &Path) -> anyhow::Result<checkpoint::Head> {
    let conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    Ok(conn.query_row(
        "SELECT seq, hash, chain_id, keyed_from FROM audit_head WHERE id = 1",
        [],
        |r| {
            Ok(checkpoint::Head {
                seq: r.get(0)?,
                hash: r.get(1)?,
                chain_id: r.get(2)?,
                keyed_from: r.get(3)?,
            })
        },
    )?)
}

fn head_checkpoint(h: checkpoint::Head, key_id: &str, kind: &str) -> Checkpoint {
    Checkpoint {
        chain: h.chain_id,
        seq: h.seq,
        hash: h.hash,
        keyed_from: h.keyed_from,
        key_id: key_id.to_string(),
        kind: kind.to_string(),
        at: crate::time::now_db(),
    }
}

pub async fn backup(a: BackupArgs) -> anyhow::Result<()> {
    let dir = sqlite_only(&a.db, "yorube backup")?;
    let src = files::db_file(&dir);
    let out = a.out.clone();
    let copy_src = src.clone();
    tokio::task::spawn_blocking(move || files::online_copy(&copy_src, &out)).await??;
    let head = file_head(&a.out)
        .context("写しに監査ログがありません（yorube のデータベースではありません）")?;
    let sum = files::sha256_file(&a.out)?;
    let size = std::fs::metadata(&a.out)?.len();
    // The copy's head as a checkpoint (kind backup): verify then knows this copy when
    // it ever comes back without `yorube restore`.
    match crate::audit::key::install_file(&a.db.key_path()?, false) {
        Ok(key) => checkpoint::append(&key, &head_checkpoint(head.clone(), &key.id, "backup"))?,
        Err(e) => {
            eprintln!("注意: 監査ログの鍵が読めないため、チェックポイントを書きませんでした: {e:#}")
        }
    }
    println!(
        "バックアップを作成しました: {}（{size} バイト、SHA-256 {sum}、監査ログは記録番号 {} まで）",
        a.out.display(),
        head.seq
    );
    println!("鍵ファイルはバックアップに含まれません。別の場所に安全に保管してください。");
    Ok(())
}

pub async fn restore(a: RestoreArgs) -> anyhow::Result<()> {
    let dir = sqlite_only(&a.db, "yorube restore")?;
    if !a.file.is_file() {
        bail!("{} がありません", a.file.display());
    }
    // No server (or other restore) may use the data directory meanwhile.
    let _lock = files::DirLock::acquire(&dir).map_err(|e| {
        anyhow::anyhow!("復元できません: {e:#}。サーバを停止してからやり直してください")
    })?;
    let staged = dir.join("yorube.db.restoring");
    for p in [
        staged.clone(),
        dir.join("yorube.db.restoring-wal"),
        dir.join("yorube.db.restoring-shm"),
    ] {
        let _ = std::fs::remove_file(p);
    }
    std::fs::copy(&a.file, &staged)
        .with_context(|| format!("{} を {} に写せません", a.file.display(), staged.display()))?;
    let outcome = check_and_prepare(&a, &staged).await;
    let (lost, head) = match outcome {
        Ok(v) => v,
        Err(e) => {
            let _ = std::fs::remove_file(&staged);
            for ext in ["-wal", "-shm"] {
                let _ = std::fs::remove_file(dir.join(format!("yorube.db.restoring{ext}")));
            }
            return Err(e.context("復元を中止しました（何も置き換えていません）"));
        }
    };
    let kept = files::swap_in(&dir, &staged)?;
    if let Some(key) = crate::audit::key::current() {
        checkpoint::append(&key, &head_checkpoint(head.clone(), &key.id, "restore"))?;
    }
    println!(
        "{} から復元しました（整合性検査と監査ログの検証に合格。監査ログは記録番号 {} まで）",
        a.file.display(),
        head.seq
    );
    if let Some((from, to)) = lost {
        println!(
            "注意: 写しより新しい監査記録（記録番号 {from}〜{to}）は失われました。その番号は欠番として監査ログに記録し、再利用しません"
        );
    }
    if let Some(k) = kept {
        println!("置き換えたデータベースは {} に残しました", k.display());
    }
    Ok(())
}

/// Checks the staged copy (integrity, then the audit chain against the checkpoints)
/// and, when it is older than the newest checkpoint, appends the entry that gives up
/// the lost numbers. Returns the lost range and the copy's head.
async fn check_and_prepare(
    a: &RestoreArgs,
    staged: &Path,
) -> anyhow::Result<(Option<(i64, i64)>, checkpoint::Head)> {
    {
        let conn = rusqlite::Connection::open_with_flags(
            staged,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )?;
        files::integrity_check(&conn)?;
    }
    let url = format!("sqlite://{}", std::path::absolute(staged)?.display());
    let db = crate::db::Db::connect(None, Some(&url)).await?;
    db.migrate().await?;
    a.db.install_key(&db, false).await?;
    let report = crate::audit::verify_report(&db).await?;
    db.pool.close().await;
    drop(db);
    let lost = match (&report.verdict, report.behind) {
        (Verdict::Intact { .. }, _) => None,
        (Verdict::Broken { .. }, Some((head, newest))) => Some((head + 1, newest)),
        (Verdict::Broken { seq, reason }, None) => {
            bail!("写しの監査ログが壊れています: 記録番号 {seq}: {reason}")
        }
    };
    let staged_owned = staged.to_path_buf();
    let file = a.file.display().to_string();
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        // The closed pool's connections may still be going away.
        let mut conn = open_when_free(&staged_owned)?;
        if let Some((_, to)) = lost {
            let tx = conn.transaction()?;
            crate::audit::append_restore_entry(
                &tx,
                to,
                &format!("yorube restore: {file} から復元（新しい記録は失われました）"),
            )
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            tx.commit()?;
        }
        drop(conn);
        files::to_single_file(&staged_owned)
    })
    .await??;
    let head = file_head(staged)?;
    Ok((lost, head))
}

fn open_when_free(path: &Path) -> anyhow::Result<rusqlite::Connection> {
    let conn = rusqlite::Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    Ok(conn)
}
