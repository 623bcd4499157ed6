//! Storage: one schema on embedded SQLite (default) or PostgreSQL.
//!
//! Queries go through sqlx's `Any` driver with `$1`-style placeholders, which both
//! engines accept, so every store function has a single SQL text. Values crossing the
//! boundary are TEXT (ids, UTC timestamps, dates), BIGINT and BOOLEAN only.
//!
//! The one exception is the hottest path, a child's record page and the audit of its
//! reads: the same SQL text runs there on each engine's direct path (`Direct`), chosen
//! once when the database is opened: rusqlite on SQLite (`sqlite`), sqlx's PostgreSQL
//! driver itself on PostgreSQL (`postgres`); see docs/architecture.md.
//!
//! This module knows no capability: what higher layers keep per database (the audit's
//! group commit, the record cache, the search index) lives in `Db::ext`.

pub mod cols;
pub mod ext;
pub mod files;
pub mod postgres;
pub mod sql;
pub mod sqlite;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

pub use cols::Cols;
pub use sql::{insert_many, Sql, Val};

pub type Tx = sqlx::Transaction<'static, sqlx::Any>;
pub type Conn = sqlx::AnyConnection;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
        }
    }
}

/// Each engine's direct path for the hottest reads and the read audits, chosen once.
#[derive(Clone)]
pub enum Direct {
    /// SQLite (a file): read-only rusqlite connections, the read audits' write
    /// connection and the background WAL checkpoints.
    Sqlite(Arc<sqlite::Direct>),
    /// PostgreSQL: pools on sqlx's PostgreSQL driver itself.
    Postgres(postgres::Direct),
}

#[derive(Clone)]
pub struct Db {
    /// Every store function's queries (sqlx `Any`, one SQL text for both engines).
    pub pool: AnyPool,
    /// The engine's direct path (record page, read audits, follow-up list).
    pub direct: Direct,
    ext: Arc<ext::Extensions>,
}

/// Where the database is.
enum Target {
    /// An SQLite file (in a data directory, or named by a `sqlite:` URL).
    SqliteFile(PathBuf),
    Postgres(String),
}

/// The file a `sqlite:` URL names (`sqlite:path`, `sqlite://path`, `sqlite:///abs`),
/// without its query string. An in-memory database is refused: the direct path and the
/// checkpoints need a file that several connections open.
fn sqlite_file(url: &str) -> anyhow::Result<PathBuf> {
    let rest = url.strip_prefix("sqlite:").unwrap_or(url);
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let path = rest.split('?').next().unwrap_or("");
    if path.is_empty() || path.contains(":memory:") || path.starts_with("file:") {
        anyhow::bail!(
            "SQLite はファイルで使います（sqlite:/path/to/yorube.db、または --data-dir）。指定値: {url}"
        );
    }
    Ok(PathBuf::from(path))
}

static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

impl Db {
    /// Opens the database: PostgreSQL when `database_url` is a `postgres://` URL, the
    /// file of a `sqlite:` URL, otherwise `yorube.db` in `data_dir` (created when missing).
    pub async fn connect(
        data_dir: Option<&Path>,
        database_url: Option<&str>,
    ) -> anyhow::Result<Db> {
        sqlx::any::install_default_drivers();
        let target = match database_url.filter(|u| !u.trim().is_empty()) {
            Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => {
                Target::Postgres(u.to_string())
            }
            Some(u) if u.starts_with("sqlite:") => Target::SqliteFile(sqlite_file(u)?),
            Some(u) => anyhow::bail!(
                "データベースURLは postgres:// または sqlite: で始まる必要があります（指定値: {}）",
                redact_url(u)
            ),
            None => {
                let dir =
                    data_dir.context("--data-dir（または YORUBE_DATA_DIR）を指定してください")?;
                std::fs::create_dir_all(dir).with_context(|| {
                    format!("データディレクトリ {} を作成できません", dir.display())
                })?;
                Target::SqliteFile(dir.join("yorube.db"))
            }
        };
        match target {
            Target::SqliteFile(file) => Db::open_sqlite(file).await,
            Target::Postgres(url) => Db::open_postgres(url).await,
        }
    }

    async fn open_sqlite(file: PathBuf) -> anyhow::Result<Db> {
        let url = format!("sqlite://{}?mode=rwc", file.display());
        let opts = AnyConnectOptions::from_str(&url)
            .with_context(|| format!("データベースのパスを解釈できません: {}", file.display()))?;
        let pool = pool_options(8)
            .after_connect(|conn, _meta| {
                Box::pin(async move {
                    // The direct path's task checkpoints the WAL (db::sqlite); the write
                    // connections' own threshold is a backstop only.
                    // analysis_limit + optimize(0x10002): tables without planner
                    // statistics get a quick ANALYZE, so that queries by child use the
                    // child indexes rather than scanning a whole tenant.
                    conn.execute(
                        format!(
                            "PRAGMA wal_autocheckpoint = {}; \
                             PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; \
                             PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL; \
                             PRAGMA analysis_limit = 1000; PRAGMA optimize = 0x10002;",
                            sqlite::WAL_AUTOCHECKPOINT_PAGES
                        )
                        .as_str(),
                    )
                    .await?;
                    Ok(())
                })
            })
            .connect_with(opts)
            .await
            .with_context(|| format!("データベースを開けません: {}", file.display()))?;
        let direct = Arc::new(sqlite::Direct::new(file));
        direct.start_checkpoints();
        Ok(Db {
            pool,
            direct: Direct::Sqlite(direct),
            ext: Default::default(),
        })
    }

    async fn open_postgres(url: String) -> anyhow::Result<Db> {
        let bad_url = || format!("データベースURLを解釈できません: {}", redact_url(&url));
        let opts = AnyConnectOptions::from_str(&url).with_context(bad_url)?;
        let pool = pool_options(16)
            .connect_with(opts)
            .await
            .with_context(|| format!("データベースに接続できません: {}", redact_url(&url)))?;
        let pg = sqlx::postgres::PgConnectOptions::from_str(&url).with_context(bad_url)?;
        Ok(Db {
            pool,
            direct: Direct::Postgres(postgres::Direct::new(pg)?),
            ext: Default::default(),
        })
    }

    pub fn engine(&self) -> Engine {
        match self.direct {
            Direct::Sqlite(_) => Engine::Sqlite,
            Direct::Postgres(_) => Engine::Postgres,
        }
    }

    /// What a higher layer keeps for this database (made on first use; see `ext`).
    pub fn ext<T: Default + Send + Sync + 'static>(&self) -> Arc<T> {
        self.ext.get::<T>()
    }

    pub async fn migrate(&self) -> anyhow::Result<()> {
        let migrator = match self.engine() {
            Engine::Sqlite => &SQLITE_MIGRATOR,
            Engine::Postgres => &POSTGRES_MIGRATOR,
        };
        migrator
            .run(&self.pool)
            .await
            .context("マイグレーションに失敗しました")?;
        Ok(())
    }

    /// Begins a write transaction. Its first statement takes the database-wide write
    /// lock (the audit head row), so that on SQLite a later read-then-write inside the
    /// transaction never fails with SQLITE_BUSY, and on PostgreSQL audit entries are
    /// appended in commit order.
    pub async fn begin_write(&self) -> Result<Tx, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE audit_head SET seq = seq WHERE id = 1")
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }

    /// Refreshes the query planner's statistics (after bulk loads, and hourly while
    /// serving). PostgreSQL's autovacuum does this by itself; ANALYZE is run anyway.
    pub async fn optimize(&self) -> Result<(), sqlx::Error> {
        match self.engine() {
            Engine::Sqlite => {
                self.pool
                    .execute("PRAGMA analysis_limit = 1000; PRAGMA optimize = 0x10002;")
                    .await?;
            }
            Engine::Postgres => {
                // Only this deployment's tables (the schema on the search path).
                let tables: Vec<String> = sqlx::query_scalar(
                    "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema()",
                )
                .fetch_all(&self.pool)
                .await?;
                for t in tables {
                    if t.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                        self.pool.execute(format!("ANALYZE {t}").as_str()).await?;
                    }
                }
            }
        }
        Ok(())
    }

    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
    }
}

/// The `Any` pool's options on either engine.
fn pool_options(max: u32) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(max)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        // No ping before each use (a round trip on PostgreSQL, a thread hand-over on
        // SQLite, for every acquire): a connection that broke while idle fails its
        // statement, whose transaction then rolls back, and is not reused.
        .test_before_acquire(false)
}

/// Hides a password in a database URL before it is shown to anyone.
pub fn redact_url(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://") {
        if let Some((cred, host)) = rest.split_once('@') {
            let user = cred.split(':').next().unwrap_or("");
            if cred.contains(':') {
                return format!("{scheme}://{user}:***@{host}");
            }
        }
    }
    url.to_string()
}

/// Whether an error is a unique-constraint violation (either engine).
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => {
            d.code()
                .map(|c| c == "23505" || c == "2067" || c == "1555")
                .unwrap_or(false)
                || d.message().contains("UNIQUE constraint failed")
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_name_a_file() {
        assert_eq!(
            sqlite_file("sqlite:///tmp/a.db").unwrap(),
            PathBuf::from("/tmp/a.db")
        );
        assert_eq!(
            sqlite_file("sqlite://x/y.db?mode=rwc").unwrap(),
            PathBuf::from("x/y.db")
        );
        assert_eq!(sqlite_file("sqlite:y.db").unwrap(), PathBuf::from("y.db"));
        assert!(sqlite_file("sqlite::memory:").is_err());
        assert!(sqlite_file("sqlite://").is_err());
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact_url("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
    }
}
