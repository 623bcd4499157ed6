//! `yorube tenant create`.

use clap::Subcommand;

use super::{cli_err, DbArgs};
use crate::auth::Ctx;
use crate::tenants;

#[derive(Subcommand)]
pub enum TenantCmd {
    /// 実施主体を登録する
    Create {
        #[command(flatten)]
        db: DbArgs,
        /// コード（半角英小文字・数字・ハイフン）
        #[arg(long)]
        code: String,
        /// 名称（例: 水戸市）
        #[arg(long)]
        name: String,
        /// 種別: prefecture, designated_city, core_city, child_guidance_city（日本語名も可）
        #[arg(long)]
        kind: String,
    },
}

pub async fn run(cmd: TenantCmd) -> anyhow::Result<()> {
    match cmd {
        TenantCmd::Create {
            db,
            code,
            name,
            kind,
        } => {
            let database = db.open().await?;
            let t = tenants::create_tenant(
                &database,
                &Ctx::system(),
                tenants::NewTenant { code, name, kind },
            )
            .await
            .map_err(cli_err)?;
            println!(
                "実施主体を登録しました: {} {}（{}）",
                t.code, t.name, t.kind_label
            );
            Ok(())
        }
    }
}
