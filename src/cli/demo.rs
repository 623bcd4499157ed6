//! `yorube demo`: the demo tenants, users and data (made again when they exist).

use clap::Args;

use super::{cli_err, DbArgs};

#[derive(Args)]
pub struct DemoArgs {
    #[command(flatten)]
    db: DbArgs,
    /// デモ用ログインのパスワード（省略時は生成して表示）
    #[arg(long)]
    password: Option<String>,
    /// 管理者（tenant_admin・sysadmin）の2段階認証の秘密鍵（base32、省略時は生成して表示）
    #[arg(long)]
    totp_secret: Option<String>,
}

pub async fn run(a: DemoArgs) -> anyhow::Result<()> {
    let database = a.db.open().await?;
    let report =
        crate::demo::run_with_totp(&database, a.password.as_deref(), a.totp_secret.as_deref())
            .await
            .map_err(cli_err)?;
    crate::audit::checkpoint::write(&database, "cli").await?;
    print(&report, None);
    Ok(())
}

/// The demo's logins for the terminal.
pub fn print(r: &crate::demo::DemoReport, url: Option<&str>) {
    println!("デモデータを作成しました。");
    if let Some(u) = url {
        println!("URL: {u}");
    }
    println!("パスワード（全員共通）: {}", r.password);
    println!(
        "2段階認証（tenant_admin と sysadmin）: 認証アプリに次のキーを登録してください（時間ベース、6桁）: {}",
        r.totp_secret
    );
    if let Some(code) =
        crate::auth::totp::code_at(&r.totp_secret, crate::time::now().timestamp().max(0) as u64)
    {
        println!("  いまの確認コード: {code}（30秒ごとに変わります）");
    }
    println!("ログインID:");
    for (login, role, name) in &r.logins {
        println!("  {login:<28} {role}（{name}）");
    }
}
