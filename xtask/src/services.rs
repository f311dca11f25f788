//! The emulator and the server as child processes: started on the ports they are given (0 = any free one), their
//! address read from the line they print when listening, stopped when dropped.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::cmd::{Result, cmd};

/// Where a service's output goes once it is listening.
pub enum Output {
    /// Into a log file (tests).
    File(PathBuf),
    /// To the terminal, each line prefixed with the service's name (demo).
    Terminal,
}

/// A running child service.
pub struct Service {
    name: &'static str,
    child: Child,
    /// Its base URL, e.g. `http://127.0.0.1:41234`.
    pub url: String,
}

impl Service {
    /// Starts `command` and waits until it prints `<name> listening on http://...`.
    pub fn start(name: &'static str, mut command: Command, output: Output) -> Result<Service> {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start {name}: {e}"))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut sink: Box<dyn Write + Send> = match &output {
                Output::File(path) => match std::fs::File::create(path) {
                    Ok(f) => Box::new(f),
                    Err(_) => Box::new(std::io::sink()),
                },
                Output::Terminal => Box::new(std::io::stdout()),
            };
            let mut tx = Some(tx);
            for line in BufReader::new(stdout).lines().map_while(|l| l.ok()) {
                if let Some(url) = line.split(" listening on ").nth(1).filter(|u| u.starts_with("http://"))
                    && let Some(tx) = tx.take()
                {
                    let _ = tx.send(url.trim().to_owned());
                }
                let _ = match output {
                    Output::Terminal => writeln!(sink, "[{name}] {line}"),
                    Output::File(_) => writeln!(sink, "{line}"),
                };
            }
        });
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(url) => Ok(Service { name, child, url }),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let status = child.wait().map(|s| s.to_string()).unwrap_or_default();
                Err(format!("{name} exited ({status}) before listening: see its output above or its log"))
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let _ = child.kill();
                Err(format!("{name} did not report its address within 60 s: see its output above or its log"))
            }
        }
    }

    /// Blocks until the service exits; an error says how.
    pub fn wait(&mut self) -> Result {
        let status = self.child.wait().map_err(|e| e.to_string())?;
        if status.success() { Ok(()) } else { Err(format!("{} exited ({status})", self.name)) }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The seeded app's settings, from the emulator's fixture, as the server's environment.
pub fn server_env_for_emulator(emulator_url: &str) -> Result<Vec<(String, String)>> {
    let path = crate::root().join("crates/dingtalk-emulator/fixtures/org.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let org: serde_json::Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let field = |pointer: &str| {
        org.pointer(pointer)
            .map(|v| v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string()))
            .ok_or(format!("{}: no {pointer}", path.display()))
    };
    Ok(vec![
        ("DINGTALK_CORP_ID".into(), field("/corp/corpId")?),
        ("DINGTALK_AGENT_ID".into(), field("/app/agentId")?),
        ("DINGTALK_APP_KEY".into(), field("/app/appKey")?),
        ("DINGTALK_APP_SECRET".into(), field("/app/appSecret")?),
        ("DINGTALK_OAPI_URL".into(), emulator_url.to_owned()),
        ("DINGTALK_API_URL".into(), emulator_url.to_owned()),
        ("DINGTALK_LOGIN_URL".into(), emulator_url.to_owned()),
    ])
}

/// A built binary in `target/<profile>/`.
fn binary(profile: &str, name: &str) -> PathBuf {
    crate::target_dir().join(profile).join(name)
}

/// Starts the emulator alone (the built binary from `target/<profile>/`) with its built-in seed organisation;
/// `app_url` is where its workbench and app proxy find the shenpi app.
pub fn start_emulator(profile: &str, listen: &str, app_url: Option<&str>, output: Output) -> Result<Service> {
    let mut emulator = cmd(binary(profile, "dingtalk-emulator"), &["--listen", listen]);
    if let Some(url) = app_url {
        emulator.args(["--app-url", url]);
    }
    Service::start("dingtalk-emulator", emulator, output)
}

/// Starts the emulator and the server (built binaries from `target/<profile>/`).
pub fn start_both(
    profile: &str,
    emulator_listen: &str,
    server_listen: &str,
    database_url: &str,
    output: impl Fn(&str) -> Output,
) -> Result<(Service, Service)> {
    // The workbench's frames are the app behind the emulator's proxy. With a fixed server port the emulator can be
    // told now; on a random one the e2e suite tells it through /_emulator/app-url.
    let app_url = (!server_listen.ends_with(":0")).then(|| format!("http://{server_listen}"));
    let emulator = start_emulator(profile, emulator_listen, app_url.as_deref(), output("dingtalk-emulator"))?;
    let mut server = cmd(binary(profile, "shenpi-server"), &[]);
    server
        .env("SHENPI_LISTEN", server_listen)
        .env("SHENPI_DATABASE_URL", database_url)
        .env("SHENPI_DIST_DIR", crate::root().join("dist"))
        .envs(server_env_for_emulator(&emulator.url)?);
    let server = Service::start("shenpi-server", server, output("shenpi-server"))?;
    Ok((emulator, server))
}

/// A fresh emulator and server (debug binaries) for one run of the suite or a benchmark: `target/<dir>/` emptied, a
/// new SQLite database and both logs there. Prints where they listen.
pub fn start_fresh(dir: &str) -> Result<(Service, Service)> {
    let work = crate::target_dir().join(dir);
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).map_err(|e| e.to_string())?;
    let database = format!("sqlite://{}", work.join("shenpi.db").display());
    let (emulator, server) = start_both("debug", "127.0.0.1:0", "127.0.0.1:0", &database, |name| {
        Output::File(work.join(format!("{name}.log")))
    })?;
    println!("emulator {}  server {}  (logs in {})", emulator.url, server.url, work.display());
    Ok((emulator, server))
}
