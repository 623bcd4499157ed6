//! `yorube purge [--tenant CODE] [--dry-run]`: deletes the closed cases kept longer
//! than each tenant's retention (終結ケースの保存期間), or with --dry-run only counts
//! them. Meant for a daily cron job (docs/operations.md).

use clap::Args;

use super::{cli_err, tenant_ctx, DbArgs};
use crate::auth::{Ctx, Role, Tenancy};
use crate::privacy::store;
use crate::tenants;

#[derive(Args)]
pub struct PurgeArgs {
    #[command(flatten)]
    db: DbArgs,
    /// この実施主体（コード）だけを対象にする（省略時はすべての実施主体）
    #[arg(long)]
    tenant: Option<String>,
    /// 削除せず、対象の人数だけを表示する（氏名は表示しない）
    #[arg(long)]
    dry_run: bool,
}

pub async fn run(a: PurgeArgs) -> anyhow::Result<()> {
    let db = a.db.open().await?;
    let ctxs: Vec<Ctx> = match &a.tenant {
        Some(code) => vec![tenant_ctx(&db, code).await?],
        None => tenants::list_tenants(&db, &Ctx::system())
            .await
            .map_err(cli_err)?
            .into_iter()
            .map(|t| {
                Ctx::system_in(
                    Role::TenantAdmin,
                    Tenancy {
                        id: t.id,
                        code: t.code,
                        name: t.name,
                    },
                )
            })
            .collect(),
    };
    let lines = store::purge(&db, &ctxs, a.dry_run).await.map_err(cli_err)?;
    let head = if a.dry_run {
        "削除対象"
    } else {
        "削除しました"
    };
    for l in &lines {
        let mut s = format!(
            "{head}: {} {} 人（保存期間 {} 年を過ぎた終結ケース",
            l.tenant_name, l.removed.children, l.retention_years
        );
        if l.removed.children > 0 {
            s.push_str(&format!("、関連する記録 {} 件", l.removed.rows));
            if l.removed.reports_masked > 0 {
                s.push_str(&format!(
                    "、氏名を伏せ字にした月次報告 {} 件",
                    l.removed.reports_masked
                ));
            }
        }
        s.push('）');
        println!("{s}");
    }
    if lines.is_empty() {
        println!("実施主体が登録されていません");
    } else if a.dry_run {
        println!("（--dry-run: 何も削除していません）");
    } else {
        println!("監査ログに実施主体ごとの件数を記録しました（氏名は記録していません）");
    }
    Ok(())
}
