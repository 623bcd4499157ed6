//! `yorube audit verify | checkpoint`: walks the audit log's keyed chain and compares it
//! with the signed checkpoints; writes a checkpoint of the head now.

use anyhow::bail;
use clap::Subcommand;

use super::DbArgs;
use crate::audit::Verdict;

#[derive(Subcommand)]
pub enum AuditCmd {
    /// 監査ログの連鎖（鍵付きハッシュ）とチェックポイントを検証する
    Verify {
        #[command(flatten)]
        db: DbArgs,
    },
    /// 監査ログの先頭を今すぐチェックポイントファイルに書き出す（cron などから）
    Checkpoint {
        #[command(flatten)]
        db: DbArgs,
    },
}

pub async fn run(cmd: AuditCmd) -> anyhow::Result<()> {
    match cmd {
        AuditCmd::Verify { db } => {
            let database =
                crate::db::Db::connect(db.data_dir.as_deref(), db.database_url.as_deref()).await?;
            database.migrate().await?;
            // Never a new key here: verifying with a fresh key would only say "broken".
            db.install_key(&database, false).await?;
            let report = crate::audit::verify_report(&database).await?;
            for n in &report.notes {
                println!("注記: {n}");
            }
            match report.verdict {
                Verdict::Intact { entries } => {
                    let cp = match &report.newest_checkpoint {
                        Some((seq, at)) => format!(
                            "、チェックポイント {} 件と一致（最新: 記録番号 {seq}、{at}）",
                            report.checkpoints
                        ),
                        None => String::new(),
                    };
                    println!(
                        "監査ログは正常です（{entries} 件、改ざんは検出されませんでした{cp}）"
                    );
                    Ok(())
                }
                Verdict::Broken { seq, reason } => {
                    bail!("監査ログの連鎖が壊れています: 最初の異常は記録番号 {seq}: {reason}")
                }
            }
        }
        AuditCmd::Checkpoint { db } => {
            let database = db.open().await?;
            match crate::audit::checkpoint::write(&database, "cli").await? {
                Some(c) => println!(
                    "チェックポイントを書き出しました（記録番号 {}、{}）",
                    c.seq, c.at
                ),
                None => println!("前回のチェックポイントから変わっていません"),
            }
            Ok(())
        }
    }
}
