//! A throwaway PostgreSQL for the native tests: the machine's server binaries (Debian's `postgresql` package), a
//! cluster made afresh under `target/pg` on every run (or in the temporary folder when the `postgres` user cannot
//! reach `target/`), listening on a free port of 127.0.0.1 and on a socket in its folder, stopped when dropped.

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::cmd::{Result, cmd, output, run, which};

/// The variable the server's tests read to find a PostgreSQL server (see `crates/server/tests/support`).
pub const TEST_URL_VAR: &str = "SHENPI_TEST_POSTGRES_URL";
/// Where Debian puts each major version's server programs, as `<this>/<version>/bin`.
const DEBIAN_SERVER_DIRS: &str = "/usr/lib/postgresql";
/// The cluster's folder, below the repository root.
const CLUSTER_DIR: &str = "target/pg";
/// The system user that runs the server when xtask runs as root (initdb and postgres refuse root); Debian's
/// package creates it.
const SERVER_USER: &str = "postgres";
/// Settings for a server that only tests use: nothing it writes needs to survive a crash.
const THROWAWAY_SETTINGS: &[&str] =
    &["fsync=off", "synchronous_commit=off", "full_page_writes=off", "max_connections=200"];

/// The folder of the newest PostgreSQL server programs here: Debian's `/usr/lib/postgresql/<N>/bin`, else the
/// folder of an `initdb` on PATH.
pub fn server_bin_dir() -> Option<PathBuf> {
    let debian = std::fs::read_dir(DEBIAN_SERVER_DIRS).ok().into_iter().flatten().filter_map(|entry| {
        let entry = entry.ok()?;
        let version: u32 = entry.file_name().to_str()?.parse().ok()?;
        let bin = entry.path().join("bin");
        (bin.join("initdb").is_file() && bin.join("pg_ctl").is_file()).then_some((version, bin))
    });
    if let Some((_, bin)) = debian.max_by_key(|(version, _)| *version) {
        return Some(bin);
    }
    let initdb = which("initdb")?;
    let bin = initdb.parent()?.to_path_buf();
    bin.join("pg_ctl").is_file().then_some(bin)
}

/// The server's version line, e.g. `postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)`.
pub fn server_version(bin: &Path) -> Option<String> {
    output(&mut cmd(bin.join("postgres"), &["--version"])).map(|v| v.trim().to_owned())
}

/// A running throwaway cluster; dropping it stops the server.
pub struct TestPostgres {
    pg_ctl: PathBuf,
    dir: PathBuf,
    run_as: Option<&'static str>,
    /// Whether a server may be running, so that dropping must stop it.
    launched: bool,
    /// Its version line.
    pub version: String,
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// `postgres://postgres:<password>@127.0.0.1:<port>/postgres`; the password is random per run. Never printed.
    pub url: String,
}

impl TestPostgres {
    /// Makes a fresh cluster and starts it; an error says why it could not.
    pub fn start() -> Result<TestPostgres> {
        let started = Instant::now();
        let bin =
            server_bin_dir().ok_or("PostgreSQL's server is not installed (Debian: `apt-get install -y postgresql`)")?;
        let version = server_version(&bin).ok_or_else(|| format!("{}/postgres does not run", bin.display()))?;
        let run_as = if is_root() {
            if output(&mut cmd("id", &["-u", SERVER_USER])).is_none() {
                return Err(format!("initdb refuses to run as root, and there is no `{SERVER_USER}` user to run it"));
            }
            Some(SERVER_USER)
        } else {
            None
        };
        let dir = crate::root().join(CLUSTER_DIR);
        let pg_ctl = bin.join("pg_ctl");
        let mut pg = TestPostgres { pg_ctl, dir, run_as, launched: false, version, port: 0, url: String::new() };
        pg.stop_leftover();
        pg.make_folder()?;
        if !pg.server_user_can_write() {
            // A checkout under /root, say: the server user cannot enter a folder above target/pg.
            let fallback =
                std::env::temp_dir().join(format!("shenpi-pg-{:016x}", fnv1a(&crate::root().to_string_lossy())));
            println!("`{SERVER_USER}` cannot write {}: the cluster goes to {}", pg.dir.display(), fallback.display());
            pg.dir = fallback;
            pg.stop_leftover();
            pg.make_folder()?;
        }

        let password = random_hex(16)?;
        let pwfile = pg.dir.join("password");
        std::fs::write(&pwfile, &password).map_err(|e| format!("{}: {e}", pwfile.display()))?;
        pg.give_to_server_user(&pwfile)?;
        let data = pg.data();
        let initdb = pg.as_server_user(
            bin.join("initdb"),
            &[
                "--pgdata",
                &data.to_string_lossy(),
                "--username",
                "postgres",
                "--pwfile",
                &pwfile.to_string_lossy(),
                "--auth",
                "scram-sha-256",
                "--encoding",
                "UTF8",
                "--no-locale",
                "--no-sync",
                "--no-instructions",
            ],
        );
        let initialised = run_quiet("initdb", initdb, &pg.dir.join("initdb.log"));
        let _ = std::fs::remove_file(&pwfile);
        initialised?;

        pg.port = free_port()?;
        let mut options = format!(
            "-c listen_addresses=127.0.0.1 -c port={} -c unix_socket_directories='{}'",
            pg.port,
            pg.dir.display()
        );
        for setting in THROWAWAY_SETTINGS {
            options.push_str(" -c ");
            options.push_str(setting);
        }
        let log = pg.dir.join("postgres.log");
        pg.launched = true;
        let start =
            pg.pg_ctl_command(&["start", "--wait", "--timeout=30", "--log", &log.to_string_lossy(), "-o", &options]);
        run_quiet("pg_ctl start", start, &pg.dir.join("pg_ctl.log"))
            .map_err(|e| format!("{e}; the server's log {} ends: {}", log.display(), last_lines(&log)))?;
        pg.url = format!("postgres://postgres:{password}@127.0.0.1:{}/postgres", pg.port);
        println!("PostgreSQL started in {:.1} s: {}", started.elapsed().as_secs_f64(), pg.version);
        Ok(pg)
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// `program args`, run as the server user when xtask is root, from the cluster's folder (the server user may
    /// not be able to read the current one).
    fn as_server_user(&self, program: impl AsRef<Path>, args: &[&str]) -> Command {
        let mut c = match self.run_as {
            Some(user) => {
                let mut c = cmd("runuser", &["-u", user, "--"]);
                c.arg(program.as_ref());
                c
            }
            None => cmd(program.as_ref(), &[]),
        };
        c.args(args).current_dir(&self.dir);
        c
    }

    fn pg_ctl_command(&self, args: &[&str]) -> Command {
        let data = self.data().to_string_lossy().into_owned();
        let mut all = vec!["--pgdata", &data, "--silent"];
        all.extend_from_slice(args);
        self.as_server_user(&self.pg_ctl, &all)
    }

    /// Stops a server a previous run left behind (xtask killed mid-test), so its folder can go.
    fn stop_leftover(&self) {
        if self.data().join("postmaster.pid").exists() {
            println!("stopping the PostgreSQL a previous run left in {}", self.dir.display());
            let _ = output(&mut self.pg_ctl_command(&["stop", "--mode=immediate", "--wait"]));
        }
    }

    /// An empty `target/pg`, owned by the server user.
    fn make_folder(&self) -> Result {
        if self.dir.exists() {
            std::fs::remove_dir_all(&self.dir).map_err(|e| format!("{}: {e}", self.dir.display()))?;
        }
        std::fs::create_dir_all(&self.dir).map_err(|e| format!("{}: {e}", self.dir.display()))?;
        self.give_to_server_user(&self.dir)
    }

    /// Whether the server user can write the cluster's folder (always true when xtask is that user).
    fn server_user_can_write(&self) -> bool {
        match self.run_as {
            Some(user) => {
                output(&mut cmd("runuser", &["-u", user, "--", "test", "-w", &self.dir.to_string_lossy()])).is_some()
            }
            None => true,
        }
    }

    fn give_to_server_user(&self, path: &Path) -> Result {
        match self.run_as {
            Some(user) => run_quiet(
                "chown",
                cmd("chown", &[&format!("{user}:"), &path.to_string_lossy()]),
                &self.dir.join("chown.log"),
            ),
            None => Ok(()),
        }
    }
}

impl Drop for TestPostgres {
    fn drop(&mut self) {
        if !self.launched {
            return;
        }
        let t = Instant::now();
        match output(&mut self.pg_ctl_command(&["stop", "--mode=fast", "--wait"])) {
            Some(_) => println!("PostgreSQL stopped in {:.1} s", t.elapsed().as_secs_f64()),
            None => println!("PostgreSQL did not stop cleanly: see {}", self.dir.join("postgres.log").display()),
        }
    }
}

/// `cargo xtask postgres`: the same server the test stage starts, for running the server's tests by hand; it
/// stops when Enter is pressed.
pub fn serve_until_enter() -> Result {
    let pg = TestPostgres::start()?;
    println!(
        "\nexport {TEST_URL_VAR}='{}'\n\nthen e.g. `cargo nextest run -p shenpi-server`; press Enter to stop",
        pg.url
    );
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
    drop(pg);
    Ok(())
}

fn is_root() -> bool {
    output(&mut cmd("id", &["-u"])).is_some_and(|id| id.trim() == "0")
}

/// Runs `c` (called `what` in an error) with its output in `log`; an error quotes the log's last lines, which say
/// why.
fn run_quiet(what: &str, mut c: Command, log: &Path) -> Result {
    let file = std::fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let err = file.try_clone().map_err(|e| e.to_string())?;
    c.stdout(file).stderr(err);
    if run(&mut c).is_ok() {
        return Ok(());
    }
    Err(format!("{what} failed: {}", last_lines(log)))
}

/// The last three lines of `log`, joined with ` / `, for an error message.
fn last_lines(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let tail: Vec<&str> = text.lines().rev().take(3).collect();
    if tail.is_empty() { "nothing".into() } else { tail.into_iter().rev().collect::<Vec<_>>().join(" / ") }
}

/// The 64-bit FNV-1a hash of `text`: a short, stable name for a folder that stands for a longer path.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3))
}

/// A port on 127.0.0.1 that was free a moment ago.
fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    listener.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

/// `bytes` random bytes from the kernel, as hex.
fn random_hex(bytes: usize) -> Result<String> {
    let mut buf = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .map_err(|e| format!("/dev/urandom: {e}"))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_names_are_stable_per_path() {
        assert_eq!(fnv1a(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a("a"), 0xaf63_dc4c_8601_ec8c);
        assert_ne!(fnv1a("/work/wt/a"), fnv1a("/work/wt/b"));
    }

    #[test]
    fn passwords_are_fresh_random_hex() {
        let a = random_hex(16).unwrap();
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, random_hex(16).unwrap());
    }
}
