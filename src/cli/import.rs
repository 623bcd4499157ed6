//! `yorube import agencies`: a registry file, all rows or none.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;

use super::{cli_err, tenant_ctx, DbArgs};

#[derive(Subcommand)]
pub enum ImportCmd {
    /// 関係機関を Excel（.xlsx）・CSV・HSDS（JSON）から取り込む。問題が一つでもあれば何も登録しない
    Agencies {
        #[command(flatten)]
        db: DbArgs,
        /// 実施主体のコード
        #[arg(long)]
        tenant: String,
        /// 問題のある行を飛ばして、残りを登録する
        #[arg(long)]
        skip_invalid: bool,
        /// 重複（関係機関名と所在地が同じ）を登録済みの関係機関に統合する
        #[arg(long)]
        merge_duplicates: bool,
        /// 取り込むファイル
        file: PathBuf,
    },
}

pub async fn run(cmd: ImportCmd) -> anyhow::Result<()> {
    match cmd {
        ImportCmd::Agencies {
            db,
            tenant,
            skip_invalid,
            merge_duplicates,
            file,
        } => {
            let bytes = std::fs::read(&file)
                .with_context(|| format!("ファイル {} を読めません", file.display()))?;
            let database = db.open().await?;
            let ctx = tenant_ctx(&database, &tenant).await?;
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let (preview, result) = crate::agencies::import::import_file(
                &database,
                &ctx,
                &name,
                &bytes,
                merge_duplicates,
                skip_invalid,
            )
            .await
            .map_err(cli_err)?;
            for line in crate::agencies::import::problem_lines(&preview) {
                eprintln!("{line}");
            }
            let o = result.map_err(cli_err)?;
            println!(
                "取り込みました: 新規 {} 件、統合 {} 件、重複のため登録しなかった行 {} 件、問題のため飛ばした行 {} 件、連携場面 {} 件",
                o.created, o.merged, o.skipped_duplicates, o.skipped_invalid, o.scene_links
            );
            Ok(())
        }
    }
}
