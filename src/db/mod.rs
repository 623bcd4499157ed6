//! Storage: one schema on embedded SQLite (default) or PostgreSQL.
//!
//! Queries go through sqlx's `Any` driver with `$1`-style placeholders, which both
//! engines accept, so every store function has a single SQL text. Values crossing the
//! boundary are TEXT (ids, UTC timestamps, dates), BIGINT and BOOLEAN only.
//!
//! The one exception is the hottest path, a child's record page and the audit of its
//! reads: the same SQL text runs there on rusqlite (`reader`) or on sqlx's PostgreSQL
//! driver itself (`PgDirect`), see docs/architecture.md.

pub mod reader;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

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

#[derive(Clone)]
pub struct Db {
    pub pool: AnyPool,
    pub engine: Engine,
    /// Audit entries waiting for the next group commit (see `audit::record`).
    pub audit_batch: std::sync::Arc<crate::audit::Batch>,
    /// Read-only connections for the record page (SQLite in a data directory only).
    pub readers: Option<std::sync::Arc<reader::Readers>>,
    /// PostgreSQL only: pools on the driver itself (not `Any`) for the hottest path.
    pub pg: Option<PgDirect>,
    /// The record page's cache of what it reads besides the record (cases::store).
    pub records: std::sync::Arc<crate::cases::store::RecordCache>,
}

/// Connections on sqlx's PostgreSQL driver itself, without the `Any` layer's row
/// conversion: for the record page's reads and the read audits' group commit.
#[derive(Clone)]
pub struct PgDirect {
    /// The record page's reads. Few connections: on two cores, more concurrently active
    /// backends only switch between each other (`cargo bench --bench cases`: 6 served
    /// more pages than 2, 4 or 8).
    pub reads: std::sync::Arc<PgConns>,
    /// The audit's group commit: one at a time, on its own connection so that it never
    /// waits behind the reads.
    pub audit: std::sync::Arc<PgConns>,
}

/// A few PostgreSQL connections, handed out one at a time. Unlike sqlx's pool it does
/// not ping a connection when it comes back (sqlx does, and on PostgreSQL that is one
/// more round trip per use); a connection whose use did not end well is closed instead
/// of reused (`PgConn::done`).
pub struct PgConns {
    opts: sqlx::postgres::PgConnectOptions,
    generic_plans: bool,
    idle: std::sync::Mutex<Vec<sqlx::PgConnection>>,
    permits: tokio::sync::Semaphore,
}

impl PgConns {
    fn new(opts: sqlx::postgres::PgConnectOptions, n: usize, generic_plans: bool) -> PgConns {
        PgConns {
            opts,
            generic_plans,
            idle: std::sync::Mutex::new(vec![]),
            permits: tokio::sync::Semaphore::new(n),
        }
    }

    pub async fn get(&self) -> Result<PgConn<'_>, sqlx::Error> {
        let permit = tokio::time::timeout(Duration::from_secs(10), self.permits.acquire())
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)?
            .map_err(|_| sqlx::Error::PoolClosed)?;
        let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let conn = match idle {
            Some(c) => c,
            None => {
                use sqlx::ConnectOptions;
                let mut c = self.opts.connect().await?;
                if self.generic_plans {
                    // Its statements all select by a child's id: one plan serves every
                    // child, and planning each time was about a tenth of the server's
                    // work per page.
                    c.execute("SET plan_cache_mode = force_generic_plan")
                        .await?;
                }
                c
            }
        };
        Ok(PgConn {
            conns: self,
            conn: Some(conn),
            ok: false,
            _permit: permit,
        })
    }
}

/// A connection from `PgConns`; back to it on drop if `done` was called.
pub struct PgConn<'a> {
    conns: &'a PgConns,
    conn: Option<sqlx::PgConnection>,
    ok: bool,
    _permit: tokio::sync::SemaphorePermit<'a>,
}

impl PgConn<'_> {
    /// The work on it ended well: it may be used again.
    pub fn done(mut self) {
        self.ok = true;
    }
}

impl std::ops::Deref for PgConn<'_> {
    type Target = sqlx::PgConnection;
    fn deref(&self) -> &sqlx::PgConnection {
        self.conn.as_ref().expect("present until drop")
    }
}

impl std::ops::DerefMut for PgConn<'_> {
    fn deref_mut(&mut self) -> &mut sqlx::PgConnection {
        self.conn.as_mut().expect("present until drop")
    }
}

impl Drop for PgConn<'_> {
    fn drop(&mut self) {
        if let Some(c) = self.conn.take() {
            if self.ok {
                self.conns
                    .idle
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(c);
            }
            // Otherwise dropped: its socket is closed (an error or a cancelled request
            // may have left it mid-exchange).
        }
    }
}

const PG_READS: usize = 6;

static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

impl Db {
    /// Opens the database: PostgreSQL when `database_url` is a `postgres://` URL,
    /// otherwise `yorube.db` in `data_dir` (created when missing).
    pub async fn connect(
        data_dir: Option<&Path>,
        database_url: Option<&str>,
    ) -> anyhow::Result<Db> {
        sqlx::any::install_default_drivers();
        let mut file_path = None;
        let (url, engine) = match database_url.filter(|u| !u.trim().is_empty()) {
            Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => {
                (u.to_string(), Engine::Postgres)
            }
            Some(u) if u.starts_with("sqlite:") => (u.to_string(), Engine::Sqlite),
            Some(u) => anyhow::bail!(
                "データベースURLは postgres:// で始まる必要があります（指定値: {}）",
                redact_url(u)
            ),
            None => {
                let dir =
                    data_dir.context("--data-dir（または YORUBE_DATA_DIR）を指定してください")?;
                std::fs::create_dir_all(dir).with_context(|| {
                    format!("データディレクトリ {} を作成できません", dir.display())
                })?;
                let file = dir.join("yorube.db");
                file_path = Some(file.clone());
                (
                    format!("sqlite://{}?mode=rwc", file.display()),
                    Engine::Sqlite,
                )
            }
        };
        let opts = AnyConnectOptions::from_str(&url)
            .with_context(|| format!("データベースURLを解釈できません: {}", redact_url(&url)))?;
        let background_checkpoints = file_path.is_some();
        let pool_opts = AnyPoolOptions::new()
            .max_connections(match engine {
                Engine::Sqlite => 8,
                Engine::Postgres => 16,
            })
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            // No ping before each use (a round trip on PostgreSQL, a thread hand-over on
            // SQLite, for every acquire): a connection that broke while idle fails its
            // statement, whose transaction then rolls back, and is not reused.
            .test_before_acquire(false)
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if background_checkpoints {
                        // The readers' task checkpoints the WAL (db::reader).
                        conn.execute(
                            format!(
                                "PRAGMA wal_autocheckpoint = {};",
                                reader::WAL_AUTOCHECKPOINT_PAGES
                            )
                            .as_str(),
                        )
                        .await?;
                    }
                    if engine == Engine::Sqlite {
                        // analysis_limit + optimize(0x10002): tables without planner
                        // statistics get a quick ANALYZE, so that queries by child use the
                        // child indexes rather than scanning a whole tenant.
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; \
                             PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL; \
                             PRAGMA analysis_limit = 1000; PRAGMA optimize = 0x10002;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            });
        let pool = pool_opts
            .connect_with(opts)
            .await
            .with_context(|| format!("データベースに接続できません: {}", redact_url(&url)))?;
        let readers = file_path.map(|f| std::sync::Arc::new(reader::Readers::new(f)));
        let pg = match engine {
            Engine::Postgres => {
                let opts = sqlx::postgres::PgConnectOptions::from_str(&url).with_context(|| {
                    format!("データベースURLを解釈できません: {}", redact_url(&url))
                })?;
                Some(PgDirect {
                    reads: std::sync::Arc::new(PgConns::new(opts.clone(), PG_READS, true)),
                    audit: std::sync::Arc::new(PgConns::new(opts, 1, false)),
                })
            }
            Engine::Sqlite => None,
        };
        if let Some(r) = &readers {
            r.start_checkpoints();
        }
        Ok(Db {
            pool,
            engine,
            audit_batch: Default::default(),
            readers,
            pg,
            records: std::sync::Arc::new(crate::cases::store::RecordCache::from_env()),
        })
    }

    pub async fn migrate(&self) -> anyhow::Result<()> {
        let migrator = match self.engine {
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
        match self.engine {
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
    fn redacts_passwords() {
        assert_eq!(
            redact_url("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
    }
}

/// A value for `insert_many`.
#[derive(Debug, Clone)]
pub enum Val {
    Text(String),
    OptText(Option<String>),
    Int(i64),
    OptInt(Option<i64>),
    /// Stored as 0/1 in a BIGINT column on both engines.
    Bool(bool),
}

impl From<&str> for Val {
    fn from(s: &str) -> Val {
        Val::Text(s.to_string())
    }
}
impl From<String> for Val {
    fn from(s: String) -> Val {
        Val::Text(s)
    }
}
impl From<&String> for Val {
    fn from(s: &String) -> Val {
        Val::Text(s.clone())
    }
}
impl From<Option<String>> for Val {
    fn from(s: Option<String>) -> Val {
        Val::OptText(s)
    }
}
impl From<i64> for Val {
    fn from(v: i64) -> Val {
        Val::Int(v)
    }
}
impl From<Option<i64>> for Val {
    fn from(v: Option<i64>) -> Val {
        Val::OptInt(v)
    }
}
impl From<bool> for Val {
    fn from(v: bool) -> Val {
        Val::Bool(v)
    }
}

/// Inserts many rows with multi-row VALUES statements, so that a 30,000-row import is
/// a few thousand statements, not 30,000. Statements are kept to about 600 parameters:
/// binding numbered parameters costs time quadratic in their count on SQLite
/// (measured: 11,000 parameters per statement made a 30,000-agency import 4× slower).
pub async fn insert_many(
    conn: &mut Conn,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Val>>,
) -> Result<(), sqlx::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    let per_stmt = (600 / columns.len().max(1)).clamp(1, 100);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Val>> = rows.by_ref().take(per_stmt).collect();
        let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
        let mut n = 0;
        for (ri, _) in chunk.iter().enumerate() {
            if ri > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for ci in 0..columns.len() {
                if ci > 0 {
                    sql.push_str(", ");
                }
                n += 1;
                sql.push_str(&format!("${n}"));
            }
            sql.push(')');
        }
        let mut q = sqlx::query(&sql);
        for row in chunk {
            debug_assert_eq!(row.len(), columns.len());
            for v in row {
                q = match v {
                    Val::Text(s) => q.bind(s),
                    Val::OptText(s) => q.bind(s),
                    Val::Int(i) => q.bind(i),
                    Val::OptInt(i) => q.bind(i),
                    Val::Bool(b) => q.bind(b as i64),
                };
            }
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}
