//! `yorube audit verify`: walks the audit log's hash chain.

use anyhow::bail;
use clap::Subcommand;

use super::DbArgs;
use crate::audit::Verdict;

#[derive(Subcommand)]
pub enum AuditCmd {
    /// 監査ログのハッシュ連鎖を検証する
    Verify {
        #[command(flatten)]
        db: DbArgs,
    },
}

pub async fn run(cmd: AuditCmd) -> anyhow::Result<()> {
    match cmd {
        AuditCmd::Verify { db } => {
            let database = db.open().await?;
            match crate::audit::verify(&database).await? {
                Verdict::Intact { entries } => {
                    println!("監査ログは正常です（{entries} 件、改ざんは検出されませんでした）");
                    Ok(())
                }
                Verdict::Broken { seq, reason } => {
                    bail!("監査ログの連鎖が壊れています: 最初の異常は記録番号 {seq}: {reason}")
                }
            }
        }
    }
}
