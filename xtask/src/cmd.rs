//! Running commands: print what runs, fail with the command's name, time-box the ones that can hang.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The result of xtask steps; errors are messages for a person.
pub type Result<T = ()> = std::result::Result<T, String>;

/// A command with the repository root as its working directory.
pub fn cmd(program: impl AsRef<OsStr>, args: &[&str]) -> Command {
    let mut c = Command::new(program);
    c.args(args).current_dir(crate::root());
    c
}

fn describe(c: &Command) -> String {
    let mut s = c.get_program().to_string_lossy().into_owned();
    for a in c.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// Runs `c` with inherited output; an error names the command and how it ended.
pub fn run(c: &mut Command) -> Result {
    println!("$ {}", describe(c));
    let status = c.status().map_err(|e| format!("cannot start `{}`: {e}", describe(c)))?;
    check(c, status)
}

fn check(c: &Command, status: ExitStatus) -> Result {
    if status.success() { Ok(()) } else { Err(format!("`{}` failed ({status})", describe(c))) }
}

/// Runs `c` quietly and returns its stdout, or `None` when it cannot start or fails.
pub fn output(c: &mut Command) -> Option<String> {
    let out = c.stderr(Stdio::null()).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Runs `c` (output inherited) for at most `limit`; a command still running then is killed.
pub fn run_with_timeout(c: &mut Command, limit: Duration) -> Result {
    println!("$ {}   (time limit {}s)", describe(c), limit.as_secs());
    let mut child = c.spawn().map_err(|e| format!("cannot start `{}`: {e}", describe(c)))?;
    match wait_within(&mut child, limit).map_err(|e| format!("waiting for `{}`: {e}", describe(c)))? {
        Some(status) => check(c, status),
        None => Err(format!("`{}` did not finish within {}s", describe(c), limit.as_secs())),
    }
}

/// Waits for `child` for at most `limit`; a child still running then is killed and `None` returned.
fn wait_within(child: &mut Child, limit: Duration) -> std::io::Result<Option<ExitStatus>> {
    let deadline = Instant::now() + limit;
    loop {
        match child.try_wait()? {
            Some(status) => return Ok(Some(status)),
            None if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Ok(None);
            }
            None => std::thread::sleep(Duration::from_millis(200)),
        }
    }
}

/// Where `program` is: itself when it is a path that exists, else the first match on PATH.
pub fn which(program: &str) -> Option<std::path::PathBuf> {
    if program.contains('/') {
        return Path::new(program).exists().then(|| program.into());
    }
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths).map(|dir| dir.join(program)).find(|p| p.is_file())
}

/// Whether `program` can be found on PATH (or is an existing path).
pub fn exists(program: &str) -> bool {
    which(program).is_some()
}

/// Runs `c`, copying its stdout and stderr through while keeping both as text, for reading counts afterwards.
pub fn run_tee(c: &mut Command) -> Result<(bool, String)> {
    run_tee_within(c, None)
}

/// [`run_tee`] for at most `limit` when one is given: a command still running then is killed and counts as failed.
pub fn run_tee_within(c: &mut Command, limit: Option<Duration>) -> Result<(bool, String)> {
    use std::io::{BufRead, BufReader, Write};
    match limit {
        Some(limit) => println!("$ {}   (time limit {}s)", describe(c), limit.as_secs()),
        None => println!("$ {}", describe(c)),
    }
    let mut child = c
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start `{}`: {e}", describe(c)))?;
    let forward = |stream: Box<dyn std::io::Read + Send>, to_stderr: bool| {
        std::thread::spawn(move || {
            let mut kept = String::new();
            for line in BufReader::new(stream).lines().map_while(|l| l.ok()) {
                if to_stderr {
                    let _ = writeln!(std::io::stderr(), "{line}");
                } else {
                    let _ = writeln!(std::io::stdout(), "{line}");
                }
                kept.push_str(&line);
                kept.push('\n');
            }
            kept
        })
    };
    let out = forward(Box::new(child.stdout.take().ok_or("no stdout")?), false);
    let err = forward(Box::new(child.stderr.take().ok_or("no stderr")?), true);
    let status = match limit {
        None => Some(child.wait().map_err(|e| e.to_string())?),
        Some(limit) => wait_within(&mut child, limit).map_err(|e| e.to_string())?,
    };
    if status.is_none() {
        println!("`{}` did not finish within its time limit: killed", describe(c));
    }
    let success = status.is_some_and(|s| s.success());
    let text = out.join().unwrap_or_default() + &err.join().unwrap_or_default();
    Ok((success, text))
}
