//! `yorube serve`: the web server (and `--demo` to load the demo first).

use std::net::SocketAddr;

use anyhow::{bail, Context};
use clap::Args;

use super::{cli_err, DbArgs};
use crate::web::{AppState, Config};

#[derive(Args)]
pub struct ServeArgs {
    #[command(flatten)]
    db: DbArgs,
    /// 待ち受けるアドレス
    #[arg(long, env = "YORUBE_LISTEN", default_value = "127.0.0.1:8080")]
    listen: String,
    /// 起動前にデモデータを作り直し、ログイン情報を表示する
    #[arg(long)]
    demo: bool,
    /// デモのパスワード（--demo と併用。省略時は生成）
    #[arg(long, env = "YORUBE_DEMO_PASSWORD")]
    demo_password: Option<String>,
    /// デモの管理者の2段階認証の秘密鍵（base32。--demo と併用。省略時は生成して表示）
    #[arg(long, env = "YORUBE_DEMO_TOTP_SECRET")]
    demo_totp_secret: Option<String>,
    /// 同時に処理するリクエストの上限（超えた分はすぐに 429「混み合っています」）
    #[arg(long, env = "YORUBE_MAX_IN_FLIGHT", default_value_t = 256)]
    max_in_flight: usize,
    /// 無操作でログアウトするまでの分数
    #[arg(long, env = "YORUBE_SESSION_IDLE_MINUTES", default_value_t = 30)]
    session_idle_minutes: i64,
    /// https で直接配信するとき、Cookie に常に Secure を付ける
    #[arg(long, env = "YORUBE_SECURE_COOKIES")]
    secure_cookies: bool,
    /// リバースプロキシの後ろで、接続元を X-Forwarded-For の最後の値から取る（ログイン試行の制限に使う）
    #[arg(long, env = "YORUBE_TRUST_FORWARDED_FOR")]
    trust_forwarded_for: bool,
    /// 監査ログのチェックポイントを書き出す間隔（秒。先頭が進んだときだけ）
    #[arg(long, env = "YORUBE_AUDIT_CHECKPOINT_SECONDS", default_value_t = 60)]
    audit_checkpoint_seconds: u64,
    /// この件数の監査記録が増えたら間隔を待たずにチェックポイントを書き出す
    #[arg(long, env = "YORUBE_AUDIT_CHECKPOINT_ROWS", default_value_t = 1000)]
    audit_checkpoint_rows: i64,
}

pub async fn run(a: ServeArgs) -> anyhow::Result<()> {
    let listen = &a.listen;
    let addr: SocketAddr = listen.parse().with_context(|| {
        format!("待ち受けアドレス「{listen}」を解釈できません（例: 127.0.0.1:8080）")
    })?;
    if a.session_idle_minutes < 1 {
        bail!("--session-idle-minutes は 1 以上にしてください");
    }
    // One server per data directory; `yorube restore` refuses while this is held.
    let _lock = match (&a.db.data_dir, a.db.database_url.as_deref()) {
        (Some(dir), None | Some("")) => Some(crate::db::files::DirLock::acquire(dir)?),
        _ => None,
    };
    let database = a.db.open().await?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("{addr} で待ち受けできません（既に使われていませんか）"))?;
    let url = format!("http://{}/", listener.local_addr()?);
    if a.demo {
        let report = crate::demo::run_with_totp(
            &database,
            a.demo_password.as_deref(),
            a.demo_totp_secret.as_deref(),
        )
        .await
        .map_err(cli_err)?;
        super::demo::print(&report, Some(&url));
    }
    let state = AppState::new(
        database.clone(),
        Config {
            session_idle_minutes: a.session_idle_minutes,
            force_secure_cookies: a.secure_cookies,
            trust_forwarded_for: a.trust_forwarded_for,
            max_in_flight: a.max_in_flight,
        },
    );
    println!(
        "yorube を起動しました: {url} （データベース: {}）",
        database.engine().as_str()
    );
    // Keep the query planner's statistics fresh as data grows.
    let db_for_stats = database.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
        every.tick().await;
        loop {
            every.tick().await;
            if let Err(e) = db_for_stats.optimize().await {
                tracing::warn!(error = %e, "planner statistics refresh failed");
            }
        }
    });
    crate::audit::checkpoint::spawn(
        database.clone(),
        crate::audit::checkpoint::Schedule {
            every: std::time::Duration::from_secs(a.audit_checkpoint_seconds.max(1)),
            rows: a.audit_checkpoint_rows.max(1),
        },
    );
    axum::serve(
        listener,
        crate::app::router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    if let Err(e) = crate::audit::checkpoint::write(&database, "shutdown").await {
        tracing::error!(error = %e, "終了時の監査ログのチェックポイントを書けませんでした");
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
