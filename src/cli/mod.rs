//! The command line: `yorube serve | migrate | demo | user | tenant | import | export |
//! report | audit | backup | restore | purge`, one file per subcommand. The CLI calls stores and exporters, never page or
//! API handlers.

pub mod audit;
pub mod backup;
pub mod demo;
pub mod export;
pub mod import;
pub mod purge;
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
    /// 監査ログの鍵ファイル（省略時はデータディレクトリの親の yorube-audit.key。なければ作成）
    #[arg(long, env = "YORUBE_AUDIT_KEY_FILE")]
    pub audit_key_file: Option<PathBuf>,
}

impl DbArgs {
    /// Opens and migrates the database and installs the audit key (made when missing,
    /// unless the chain already has keyed entries).
    pub async fn open(&self) -> anyhow::Result<Db> {
        let db = Db::connect(self.data_dir.as_deref(), self.database_url.as_deref()).await?;
        db.migrate().await?;
        self.install_key(&db, true).await?;
        crate::agencies::store::seed_all_tenants(&db)
            .await
            .map_err(cli_err)?;
        Ok(db)
    }

    /// Where the audit key file is (see `audit::key`).
    pub fn key_path(&self) -> anyhow::Result<PathBuf> {
        crate::audit::key::resolve(self.audit_key_file.as_deref(), self.data_dir.as_deref()).context(
            "監査ログの鍵ファイルを --audit-key-file（または YORUBE_AUDIT_KEY_FILE）で指定してください（PostgreSQL でデータディレクトリを指定しない場合）",
        )
    }

    /// Loads the audit key (or makes it, when `create` and the chain has no keyed
    /// entry yet: a new key for a chain signed with a lost one would hide nothing but
    /// break everything).
    pub async fn install_key(&self, db: &Db, create: bool) -> anyhow::Result<()> {
        let path = self.key_path()?;
        if !path.exists() {
            let head = crate::audit::checkpoint::head(db).await?;
            if !create || head.seq >= head.keyed_from {
                anyhow::bail!(
                    "監査ログの鍵ファイル {} がありません。このデータベースには鍵で署名された記録があるため、新しい鍵は作りません（鍵ファイルを元の場所に戻すか --audit-key-file で指定してください）",
                    path.display()
                );
            }
        }
        crate::audit::key::install_file(&path, create)?;
        Ok(())
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
    /// 稼働中のまま SQLite データベースの一貫したバックアップを作る
    Backup(backup::BackupArgs),
    /// バックアップから復元する（整合性と監査ログを確認してから置き換える。サーバ停止中のみ）
    Restore(backup::RestoreArgs),
    /// 保存期間を過ぎた終結ケースを削除する（--dry-run で人数の確認だけ）
    Purge(purge::PurgeArgs),
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
        Command::Backup(a) => backup::backup(a).await,
        Command::Restore(a) => backup::restore(a).await,
        Command::Purge(a) => purge::run(a).await,
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
