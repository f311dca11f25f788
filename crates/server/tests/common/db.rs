//! Databases for tests: a SQLite file in a temporary folder always, and a fresh PostgreSQL database per test when
//! `SHENPI_TEST_POSTGRES_URL` names a server (`cargo xtask test` starts one).

use std::sync::Arc;

use rand::RngCore;
use shenpi_server::store::{self, Store};
use sqlx::Connection;
use sqlx::postgres::PgConnection;

/// The variable naming a PostgreSQL server for tests: a URL whose user may create and drop databases; its database
/// part is only where the test connects to do that.
pub const POSTGRES_URL_VAR: &str = "SHENPI_TEST_POSTGRES_URL";

/// One test's own database, removed when dropped.
pub struct TestDb {
    /// The URL the server or the store opens.
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    /// The folder holding the SQLite file.
    Folder(tempfile::TempDir),
    /// The database created on the test server.
    Postgres { admin_url: String, name: String },
}

impl TestDb {
    /// A SQLite file that does not exist yet, in a folder that does not exist yet (the store creates both).
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let url = format!("sqlite://{}", dir.path().join("db/shenpi.db").display());
        TestDb { url, cleanup: Cleanup::Folder(dir) }
    }

    /// A fresh, uniquely named database on the server `SHENPI_TEST_POSTGRES_URL` names, or `None` (saying so) when
    /// the variable is unset. A set variable whose server cannot be reached fails the test: it is never a skip.
    pub async fn postgres() -> Option<TestDb> {
        let Ok(admin_url) = std::env::var(POSTGRES_URL_VAR) else {
            eprintln!("skipped: {POSTGRES_URL_VAR} is not set, so this PostgreSQL variant did not run");
            return None;
        };
        let mut bytes = [0u8; 8];
        rand::rng().fill_bytes(&mut bytes);
        let name = format!("shenpi_test_{}", hex::encode(bytes));
        let mut admin = PgConnection::connect(&admin_url)
            .await
            .unwrap_or_else(|e| panic!("{POSTGRES_URL_VAR} is set but its server does not answer: {e}"));
        sqlx::query(&format!("CREATE DATABASE \"{name}\"")).execute(&mut admin).await.expect("CREATE DATABASE");
        let _ = admin.close().await;
        let url = with_database(&admin_url, &name);
        Some(TestDb { url, cleanup: Cleanup::Postgres { admin_url, name } })
    }

    /// Opens the store on this database, as the server does.
    pub async fn open(&self) -> Arc<dyn Store> {
        store::open(&self.url).await.expect("the store opens")
    }
}

impl Drop for TestDb {
    /// Drops the PostgreSQL database, even when the test panicked. `Drop` cannot await, and the test's runtime may
    /// be the current-thread one, so the drop runs on a runtime of its own in a thread of its own.
    fn drop(&mut self) {
        let Cleanup::Postgres { admin_url, name } = &self.cleanup else { return };
        let dropped = std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
                    runtime.block_on(async {
                        let mut admin = PgConnection::connect(admin_url).await?;
                        // FORCE ends the store's pooled connections, which are still open at this point.
                        let drop = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                        sqlx::query(&drop).execute(&mut admin).await?;
                        admin.close().await?;
                        Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
                    })
                })
                .join()
        });
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("could not drop test database {name}: {e}"),
            Err(_) => eprintln!("could not drop test database {name}: the dropping thread panicked"),
        }
    }
}

/// `url` with its database part replaced by `database`, keeping credentials, host and query parameters.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let (scheme, rest) = base.split_once("://").expect("a postgres:// URL");
    let authority = rest.split_once('/').map_or(rest, |(authority, _)| authority);
    let mut out = format!("{scheme}://{authority}/{database}");
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}
