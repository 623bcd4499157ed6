//! The command line: `yorube serve | migrate | demo | user | tenant | audit`.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};

use crate::audit::Verdict;
use crate::auth::{password, Ctx};
use crate::db::Db;
use crate::{demo, tenants, web, AppError};

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
    Serve {
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
        /// 無操作でログアウトするまでの分数
        #[arg(long, env = "YORUBE_SESSION_IDLE_MINUTES", default_value_t = 30)]
        session_idle_minutes: i64,
        /// https で直接配信するとき、Cookie に常に Secure を付ける
        #[arg(long, env = "YORUBE_SECURE_COOKIES")]
        secure_cookies: bool,
    },
    /// データベースを最新の構造にする
    Migrate {
        #[command(flatten)]
        db: DbArgs,
    },
    /// デモデータを作成する（既にあれば作り直す）
    Demo {
        #[command(flatten)]
        db: DbArgs,
        /// デモ用ログインのパスワード（省略時は生成して表示）
        #[arg(long)]
        password: Option<String>,
    },
    /// 利用者の管理
    User {
        #[command(subcommand)]
        cmd: UserCmd,
    },
    /// 実施主体の管理
    Tenant {
        #[command(subcommand)]
        cmd: TenantCmd,
    },
    /// 取り込み（関係機関台帳など）
    Import {
        #[command(subcommand)]
        cmd: ImportCmd,
    },
    /// 書き出し（関係機関台帳など）
    Export {
        #[command(subcommand)]
        cmd: ExportCmd,
    },
    /// 監査ログ
    Audit {
        #[command(subcommand)]
        cmd: AuditCmd,
    },
}

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
    },
    /// 利用者を無効にする（セッションとトークンも無効になる）
    Disable {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        login: String,
    },
}

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

#[derive(Subcommand)]
pub enum AuditCmd {
    /// 監査ログのハッシュ連鎖を検証する
    Verify {
        #[command(flatten)]
        db: DbArgs,
    },
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

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve {
            db,
            listen,
            demo: with_demo,
            demo_password,
            session_idle_minutes,
            secure_cookies,
        } => {
            let addr: SocketAddr = listen.parse().with_context(|| {
                format!("待ち受けアドレス「{listen}」を解釈できません（例: 127.0.0.1:8080）")
            })?;
            if session_idle_minutes < 1 {
                bail!("--session-idle-minutes は 1 以上にしてください");
            }
            let database = db.open().await?;
            let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| {
                format!("{addr} で待ち受けできません（既に使われていませんか）")
            })?;
            let url = format!("http://{}/", listener.local_addr()?);
            if with_demo {
                let report = demo::run(&database, demo_password.as_deref())
                    .await
                    .map_err(cli_err)?;
                print_demo(&report, Some(&url));
            }
            let state = web::AppState::new(
                database.clone(),
                web::Config {
                    session_idle_minutes,
                    force_secure_cookies: secure_cookies,
                },
            );
            println!(
                "yorube を起動しました: {url} （データベース: {}）",
                database.engine.as_str()
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
            axum::serve(listener, web::router(state))
                .with_graceful_shutdown(shutdown_signal())
                .await?;
            Ok(())
        }
        Command::Migrate { db } => {
            let database = db.open().await?;
            println!(
                "マイグレーションが完了しました（{}）",
                database.engine.as_str()
            );
            Ok(())
        }
        Command::Demo { db, password } => {
            let database = db.open().await?;
            let report = demo::run(&database, password.as_deref())
                .await
                .map_err(cli_err)?;
            print_demo(&report, None);
            Ok(())
        }
        Command::User { cmd } => user(cmd).await,
        Command::Tenant {
            cmd:
                TenantCmd::Create {
                    db,
                    code,
                    name,
                    kind,
                },
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
        Command::Import {
            cmd:
                ImportCmd::Agencies {
                    db,
                    tenant,
                    skip_invalid,
                    merge_duplicates,
                    file,
                },
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
        Command::Export {
            cmd:
                ExportCmd::Agencies {
                    db,
                    tenant,
                    format,
                    out,
                },
        } => {
            let database = db.open().await?;
            let ctx = tenant_ctx(&database, &tenant).await?;
            let state = web::AppState::new(database.clone(), web::Config::default());
            let (bytes, _, _) = crate::agencies::web::export_file(&state, &ctx, &format)
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
        Command::Audit {
            cmd: AuditCmd::Verify { db },
        } => {
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

fn print_demo(r: &demo::DemoReport, url: Option<&str>) {
    println!("デモデータを作成しました。");
    if let Some(u) = url {
        println!("URL: {u}");
    }
    println!("パスワード（全員共通）: {}", r.password);
    println!("ログインID:");
    for (login, role, name) in &r.logins {
        println!("  {login:<28} {role}（{name}）");
    }
}

async fn user(cmd: UserCmd) -> anyhow::Result<()> {
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
        } => {
            let database = db.open().await?;
            let u = find(&database, &login).await?;
            let generated = pw.is_none();
            let pw = pw.unwrap_or_else(password::generate);
            tenants::reset_password(&database, &ctx, &u.id, &pw)
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

/// The CLI acts for a tenant as its administrator, audited as `system`.
async fn tenant_ctx(db: &Db, code: &str) -> anyhow::Result<Ctx> {
    let t = tenants::find_tenant_by_code(db, code)
        .await
        .map_err(cli_err)?
        .with_context(|| format!("実施主体「{code}」は登録されていません"))?;
    Ok(Ctx {
        role: crate::auth::Role::TenantAdmin,
        tenant_id: Some(t.id),
        tenant_code: Some(t.code),
        tenant_name: Some(t.name),
        ..Ctx::system()
    })
}

async fn find(db: &Db, login: &str) -> anyhow::Result<tenants::User> {
    tenants::find_user_by_login(db, login)
        .await
        .map_err(cli_err)?
        .with_context(|| format!("ログインID「{login}」の利用者は登録されていません"))
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
