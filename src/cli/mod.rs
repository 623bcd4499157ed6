//! The command line: `yorube serve | migrate | demo | user | tenant | import | export |
//! audit`, one file per subcommand. The CLI calls stores and exporters, never page or
//! API handlers.

pub mod audit;
pub mod demo;
pub mod export;
pub mod import;
pub mod report;
pub mod serve;
pub mod tenant;
pub mod user;

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use crate::auth::Ctx;
use crate::db::Db;
use crate::{tenants, AppError};

#[derive(Parser)]
#[command(
    name = "yorube",
    version,
    about = "寄る辺 yorube — 小児慢性特定疾病児童等自立支援事業の地域連携支援システム"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Clone)]
pub struct DbArgs {
    /// データディレクトリ（SQLite のファイルを置く場所）
    #[arg(long, env = "YORUBE_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// PostgreSQL を使うときの接続URL（postgres://...）
    #[arg(long, env = "YORUBE_DATABASE_URL")]
    pub database_url: Option<String>,
}

impl DbArgs {
    pub async fn open(&self) -> anyhow::Result<Db> {
        let db = Db::connect(self.data_dir.as_deref(), self.database_url.as_deref()).await?;
        db.migrate().await?;
        crate::agencies::store::seed_all_tenants(&db)
            .await
            .map_err(cli_err)?;
        Ok(db)
    }
}

#[derive(Subcommand)]
pub enum Command {
    /// ウェブサーバを起動する（起動時にマイグレーションも行う）
    Serve(serve::ServeArgs),
    /// データベースを最新の構造にする
    Migrate {
        #[command(flatten)]
        db: DbArgs,
    },
    /// デモデータを作成する（既にあれば作り直す）
    Demo(demo::DemoArgs),
    /// 利用者の管理
    User {
        #[command(subcommand)]
        cmd: user::UserCmd,
    },
    /// 実施主体の管理
    Tenant {
        #[command(subcommand)]
        cmd: tenant::TenantCmd,
    },
    /// 取り込み（関係機関台帳など）
    Import {
        #[command(subcommand)]
        cmd: import::ImportCmd,
    },
    /// 書き出し（関係機関台帳など）
    Export {
        #[command(subcommand)]
        cmd: export::ExportCmd,
    },
    /// 実績・費用比較の計算
    Report {
        #[command(subcommand)]
        cmd: report::ReportCmd,
    },
    /// 監査ログ
    Audit {
        #[command(subcommand)]
        cmd: audit::AuditCmd,
    },
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(a) => serve::run(a).await,
        Command::Migrate { db } => {
            let database = db.open().await?;
            println!(
                "マイグレーションが完了しました（{}）",
                database.engine().as_str()
            );
            Ok(())
        }
        Command::Demo(a) => demo::run(a).await,
        Command::User { cmd } => user::run(cmd).await,
        Command::Tenant { cmd } => tenant::run(cmd).await,
        Command::Import { cmd } => import::run(cmd).await,
        Command::Export { cmd } => export::run(cmd).await,
        Command::Report { cmd } => report::run(cmd).await,
        Command::Audit { cmd } => audit::run(cmd).await,
    }
}

/// Turns an application error into a message for the terminal.
fn cli_err(e: AppError) -> anyhow::Error {
    match e {
        AppError::Validation(errs) => {
            anyhow::anyhow!(errs
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join("\n"))
        }
        AppError::Internal(e) => e,
        other => anyhow::anyhow!(other.detail()),
    }
}

/// The CLI acts for a tenant as its administrator, audited as `system`.
async fn tenant_ctx(db: &Db, code: &str) -> anyhow::Result<Ctx> {
    let t = tenants::find_tenant_by_code(db, code)
        .await
        .map_err(cli_err)?
        .with_context(|| format!("実施主体「{code}」は登録されていません"))?;
    Ok(Ctx::system_in(
        crate::auth::Role::TenantAdmin,
        crate::auth::Tenancy {
            id: t.id,
            code: t.code,
            name: t.name,
        },
    ))
}
