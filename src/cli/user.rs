//! `yorube user create | reset-password | disable`.

use anyhow::Context;
use clap::Subcommand;

use super::{cli_err, DbArgs};
use crate::auth::{password, Ctx};
use crate::db::Db;
use crate::tenants;

#[derive(Subcommand)]
pub enum UserCmd {
    /// 利用者を作成する
    Create {
        #[command(flatten)]
        db: DbArgs,
        /// ログインID（例: nurse2@demo-city。@ 以降を省くと --tenant のコードを付ける）
        #[arg(long)]
        login: String,
        /// 氏名
        #[arg(long)]
        name: String,
        /// 役割: system_admin, tenant_admin, nurse, support_worker, contractor, partner, auditor
        #[arg(long)]
        role: String,
        /// 所属する実施主体のコード（system_admin では省略）
        #[arg(long)]
        tenant: Option<String>,
        /// パスワード（省略時は生成して表示。環境変数 YORUBE_PASSWORD も可）
        #[arg(long, env = "YORUBE_PASSWORD")]
        password: Option<String>,
    },
    /// パスワードを再設定する（セッションとトークンは無効になる）
    ResetPassword {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        login: String,
        #[arg(long, env = "YORUBE_PASSWORD")]
        password: Option<String>,
        /// 次のログインで本人に新しいパスワードを決めてもらう（画面からの再設定と同じ）
        #[arg(long)]
        require_change: bool,
    },
    /// 利用者を無効にする（セッションとトークンも無効になる）
    Disable {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        login: String,
    },
}

pub async fn run(cmd: UserCmd) -> anyhow::Result<()> {
    let ctx = Ctx::system();
    match cmd {
        UserCmd::Create {
            db,
            login,
            name,
            role,
            tenant,
            password: pw,
        } => {
            let database = db.open().await?;
            let generated = pw.is_none();
            let pw = pw.unwrap_or_else(password::generate);
            let u = tenants::create_user(
                &database,
                &ctx,
                tenants::NewUser {
                    login,
                    display_name: name,
                    role,
                    password: pw.clone(),
                    tenant_code: tenant,
                },
            )
            .await
            .map_err(cli_err)?;
            println!("利用者を作成しました: {}（{}）", u.login, u.role_label);
            if generated {
                println!("初期パスワード: {pw}");
            }
            Ok(())
        }
        UserCmd::ResetPassword {
            db,
            login,
            password: pw,
            require_change,
        } => {
            let database = db.open().await?;
            let u = find(&database, &login).await?;
            let generated = pw.is_none();
            let pw = pw.unwrap_or_else(password::generate);
            tenants::reset_password(&database, &ctx, &u.id, &pw, require_change)
                .await
                .map_err(cli_err)?;
            println!("パスワードを再設定しました: {}", u.login);
            if generated {
                println!("新しいパスワード: {pw}");
            }
            Ok(())
        }
        UserCmd::Disable { db, login } => {
            let database = db.open().await?;
            let u = find(&database, &login).await?;
            tenants::set_disabled(&database, &ctx, &u.id, true)
                .await
                .map_err(cli_err)?;
            println!("利用者を無効にしました: {}", u.login);
            Ok(())
        }
    }
}

async fn find(db: &Db, login: &str) -> anyhow::Result<tenants::User> {
    tenants::find_user_by_login(db, login)
        .await
        .map_err(cli_err)?
        .with_context(|| format!("ログインID「{login}」の利用者は登録されていません"))
}
