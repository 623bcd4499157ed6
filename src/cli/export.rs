//! `yorube export agencies`: the registry as XLSX, CSV or HSDS.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;

use super::{cli_err, tenant_ctx, DbArgs};

#[derive(Subcommand)]
pub enum ExportCmd {
    /// 関係機関台帳を書き出す
    Agencies {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        tenant: String,
        /// xlsx, csv, csv-sjis, hsds
        #[arg(long)]
        format: String,
        /// 書き出し先
        #[arg(long)]
        out: PathBuf,
    },
}

pub async fn run(cmd: ExportCmd) -> anyhow::Result<()> {
    match cmd {
        ExportCmd::Agencies {
            db,
            tenant,
            format,
            out,
        } => {
            let database = db.open().await?;
            let ctx = tenant_ctx(&database, &tenant).await?;
            let (bytes, _, _) = crate::agencies::export::export_file(&database, &ctx, &format)
                .await
                .map_err(cli_err)?;
            std::fs::write(&out, &bytes)
                .with_context(|| format!("{} に書き込めません", out.display()))?;
            crate::audit::record(
                &database,
                crate::audit::Entry::new(
                    &ctx,
                    ctx.tenant_id.as_deref(),
                    "agency.export",
                    "registry",
                    &format,
                )
                .detail(&out.display().to_string()),
            )
            .await
            .map_err(cli_err)?;
            println!(
                "書き出しました: {}（{} バイト）",
                out.display(),
                bytes.len()
            );
            Ok(())
        }
    }
}
