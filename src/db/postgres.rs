//! PostgreSQL's direct path: connections on sqlx's PostgreSQL driver itself (no `Any`
//! row conversion), pooled by deadpool, for the record page's reads and the read
//! audits' group commit.
//!
//! Why not sqlx's own pool: it pings every connection when it comes back
//! (`sqlx-core` 0.8 `pool/connection.rs`, `return_to_pool`), one more round trip per page
//! and per audit batch. deadpool's `Manager::recycle` is ours to write: here it trusts a
//! connection whose use ended well (`Conn::done`) and nothing else is ever returned —
//! a connection whose use did not end well (an error, a cancelled request that may
//! have left it mid-exchange) is taken out of the pool and closed.

use std::time::Duration;

use deadpool::managed::{self, Metrics, Object, RecycleResult};
use sqlx::{ConnectOptions, Executor};

/// The record page's reads. Few connections: on two cores, more concurrently active
/// backends only switch between each other (`cargo bench --bench cases`: 6 served more
/// pages than 2, 4 or 8).
const READS: usize = 6;

/// How long a caller waits for a free connection before the request fails.
const WAIT: Duration = Duration::from_secs(10);

/// The PostgreSQL direct path: two pools on the driver itself.
#[derive(Clone)]
pub struct Direct {
    /// The record page's reads (generic plans: its statements all select by one id).
    pub reads: Pool,
    /// The audit's group commit: one at a time, on its own connection so that it never
    /// waits behind the reads.
    pub audit: Pool,
}

impl Direct {
    pub fn new(opts: sqlx::postgres::PgConnectOptions) -> anyhow::Result<Direct> {
        Ok(Direct {
            reads: Pool::new(opts.clone(), READS, true)?,
            audit: Pool::new(opts, 1, false)?,
        })
    }
}

/// Creates connections; recycles those whose use ended well without a round trip.
pub struct Manager {
    opts: sqlx::postgres::PgConnectOptions,
    generic_plans: bool,
}

impl managed::Manager for Manager {
    type Type = sqlx::PgConnection;
    type Error = sqlx::Error;

    async fn create(&self) -> Result<sqlx::PgConnection, sqlx::Error> {
        let mut c = self.opts.connect().await?;
        if self.generic_plans {
            // Its statements all select by a child's id: one plan serves every child,
            // and planning each time was about a tenth of the server's work per page.
            c.execute("SET plan_cache_mode = force_generic_plan")
                .await?;
        }
        Ok(c)
    }

    async fn recycle(&self, _: &mut sqlx::PgConnection, _: &Metrics) -> RecycleResult<sqlx::Error> {
        // Only connections marked done come back (`Conn`'s drop), so there is nothing
        // to check.
        Ok(())
    }
}

/// A few PostgreSQL connections on the driver itself.
#[derive(Clone)]
pub struct Pool(managed::Pool<Manager>);

impl Pool {
    fn new(
        opts: sqlx::postgres::PgConnectOptions,
        size: usize,
        generic_plans: bool,
    ) -> anyhow::Result<Pool> {
        let pool = managed::Pool::builder(Manager {
            opts,
            generic_plans,
        })
        .max_size(size)
        .wait_timeout(Some(WAIT))
        .create_timeout(Some(WAIT))
        .runtime(deadpool::Runtime::Tokio1)
        .build()?;
        Ok(Pool(pool))
    }

    /// A connection; it goes back to the pool only if `Conn::done` is called.
    pub async fn get(&self) -> Result<Conn, sqlx::Error> {
        match self.0.get().await {
            Ok(obj) => Ok(Conn {
                obj: Some(obj),
                ok: false,
            }),
            Err(managed::PoolError::Backend(e)) => Err(e),
            Err(managed::PoolError::Timeout(_)) => Err(sqlx::Error::PoolTimedOut),
            Err(managed::PoolError::Closed) => Err(sqlx::Error::PoolClosed),
            Err(e) => Err(sqlx::Error::Protocol(e.to_string())),
        }
    }
}

/// A connection from `Pool`; back to it on drop if `done` was called, closed otherwise.
pub struct Conn {
    obj: Option<Object<Manager>>,
    ok: bool,
}

impl Conn {
    /// The work on it ended well: it may be used again.
    pub fn done(mut self) {
        self.ok = true;
    }
}

impl std::ops::Deref for Conn {
    type Target = sqlx::PgConnection;
    fn deref(&self) -> &sqlx::PgConnection {
        self.obj.as_ref().expect("present until drop")
    }
}

impl std::ops::DerefMut for Conn {
    fn deref_mut(&mut self) -> &mut sqlx::PgConnection {
        self.obj.as_mut().expect("present until drop")
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        if let Some(obj) = self.obj.take() {
            if !self.ok {
                // Out of the pool and dropped: its socket is closed, which also rolls
                // back a transaction it may have left open.
                drop(Object::take(obj));
            }
            // Otherwise the object's own drop returns it to the pool.
        }
    }
}
