//! `cargo xtask test`: every check, in the order CI needs them, then one summary line of counts.
//!
//! Stages: setup → rustfmt → clippy (warnings are errors) → native tests (nextest, with a throwaway PostgreSQL for the
//! Store's PostgreSQL scenarios when one starts) and doc tests → fidelity (DingTalk's official SDKs against the
//! emulator) → browser tests
//! (wasm-bindgen-test in headless Chromium) → release build of the app (+ name-section check and sizes) →
//! Playwright against a freshly started emulator and server. A failing stage does not hide the others' results,
//! except where a later stage needs its output.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::cmd::{Result, cmd, run, run_tee, run_tee_within, which};
use crate::postgres::{TEST_URL_VAR, TestPostgres};
use crate::services::{Output, start_emulator, start_fresh};
use crate::setup::{Tools, fidelity_python, setup};

/// Where the fidelity scripts live: every `*.py` runs with the SDK virtualenv's Python, every `*.mjs` with Node.
const FIDELITY_DIR: &str = "crates/dingtalk-emulator/fidelity";
/// How long one fidelity script may run before it is killed and counted as failed.
const FIDELITY_SCRIPT_LIMIT: Duration = Duration::from_secs(300);

struct Stage {
    name: &'static str,
    seconds: f64,
    passed: usize,
    failed: usize,
    error: Option<String>,
}

/// Counts of passed and failed tests a stage reports.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Counts {
    passed: usize,
    failed: usize,
}

/// Runs every stage and prints `xtask: N passed, M failed` last; fails when anything failed.
pub fn test() -> Result {
    let started = Instant::now();
    let mut stages: Vec<Stage> = Vec::new();
    let mut record = |name: &'static str, f: &mut dyn FnMut() -> Result<Counts>| -> bool {
        println!("\n==> {name}");
        let t = Instant::now();
        let outcome = f();
        let seconds = t.elapsed().as_secs_f64();
        let ok = outcome.is_ok();
        let (counts, error) = match outcome {
            Ok(c) => (c, None),
            Err(e) => (Counts::default(), Some(e)),
        };
        stages.push(Stage { name, seconds, passed: counts.passed, failed: counts.failed, error });
        ok
    };

    let mut tools: Option<Tools> = None;
    if !record("setup", &mut || setup().map(|t| tools = Some(t)).map(|_| Counts::default())) {
        return finish(&stages, &[], started);
    }
    let Some(tools) = tools else { return finish(&stages, &[], started) };
    record("rustfmt", &mut || run(&mut cmd("cargo", &["fmt", "--all", "--", "--check"])).map(|_| Counts::default()));
    record("clippy", &mut || {
        run(&mut cmd("cargo", &["clippy", "--workspace", "--all-targets", "--locked", "--", "-D", "warnings"]))
            .map(|_| Counts::default())
    });
    let mut notes: Vec<String> = Vec::new();
    record("native tests", &mut || native_tests(&mut notes));
    record("fidelity (official SDKs)", &mut fidelity);
    record("browser tests", &mut || browser_tests(&tools));
    let built = record("release build", &mut || crate::build_app_and_report(&tools).map(|_| Counts::default()));
    if built {
        record("e2e (Playwright)", &mut || e2e(&[]));
    }
    finish(&stages, &notes, started)
}

/// Prints the table of stages, then `notes` (what ran differently from usual, and why), then the summary line.
fn finish(stages: &[Stage], notes: &[String], started: Instant) -> Result {
    println!("\n{:<26} {:>8} {:>7} {:>7}  result", "stage", "seconds", "passed", "failed");
    for s in stages {
        let result = match &s.error {
            None => "ok".to_owned(),
            Some(e) => format!("FAILED: {e}"),
        };
        println!("{:<26} {:>8.1} {:>7} {:>7}  {result}", s.name, s.seconds, s.passed, s.failed);
    }
    let passed: usize = stages.iter().map(|s| s.passed).sum();
    // A stage that failed without counting tests (a build, rustfmt, clippy) counts as one failure.
    let failed: usize = stages.iter().map(|s| s.failed.max(usize::from(s.error.is_some()))).sum();
    for note in notes {
        println!("note: {note}");
    }
    println!("total time {:.0} s", started.elapsed().as_secs_f64());
    println!("xtask: {passed} passed, {failed} failed");
    if failed == 0 { Ok(()) } else { Err(format!("{failed} failed")) }
}

/// Fails the stage when the command failed, but keeps the counts it printed.
fn counted(ok: bool, counts: Counts, what: &str) -> Result<Counts> {
    if ok && counts.failed == 0 {
        Ok(counts)
    } else {
        Err(format!("{what}: {} passed, {} failed", counts.passed, counts.failed))
    }
}

/// nextest over the workspace, with `SHENPI_TEST_POSTGRES_URL` pointing at a throwaway PostgreSQL when one starts
/// (stopped when this returns, failed or not); when none starts, the tests run on SQLite only and `notes` says why.
/// Then the doc tests.
fn native_tests(notes: &mut Vec<String>) -> Result<Counts> {
    let mut nextest = cmd("cargo", &["nextest", "run", "--workspace", "--locked", "--no-fail-fast"]);
    let postgres = if std::env::var_os(TEST_URL_VAR).is_some() {
        println!("{TEST_URL_VAR} is set: the Store's PostgreSQL scenarios run on the server it names");
        None
    } else {
        match TestPostgres::start() {
            Ok(pg) => {
                println!("the Store's PostgreSQL scenarios run on 127.0.0.1:{}", pg.port);
                nextest.env(TEST_URL_VAR, &pg.url);
                Some(pg)
            }
            Err(e) => {
                let note = format!("PostgreSQL skipped, the Store tests ran on SQLite only: {e}");
                println!("{note}");
                notes.push(note);
                None
            }
        }
    };
    let (ok, text) = run_tee(&mut nextest)?;
    drop(postgres);
    let units = nextest_counts(&text).ok_or("nextest printed no summary")?;
    let units = counted(ok, units, "nextest")?;
    let (ok, text) = run_tee(&mut cmd("cargo", &["test", "--workspace", "--locked", "--doc"]))?;
    let docs = counted(ok, libtest_counts(&text), "doc tests")?;
    Ok(Counts { passed: units.passed + docs.passed, failed: 0 })
}

fn browser_tests(tools: &Tools) -> Result<Counts> {
    let mut c = cmd("cargo", &["test", "--locked", "--target", "wasm32-unknown-unknown", "-p", "shenpi", "--tests"]);
    c.envs(tools.wasm.env())
        .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER", "wasm-bindgen-test-runner")
        .env("CHROMEDRIVER", which("chromedriver").ok_or("chromedriver is not on PATH")?)
        .env("WASM_BINDGEN_TEST_TIMEOUT", "60");
    let (ok, text) = run_tee(&mut c)?;
    let counts = libtest_counts(&text);
    if counts.passed == 0 && ok {
        return Err("no browser test ran".into());
    }
    counted(ok, counts, "wasm-bindgen-test")
}

/// Builds every binary of the workspace (debug): the whole workspace, so that features resolve as they did for
/// nextest and its artifacts are reused.
pub fn build_binaries() -> Result {
    run(&mut cmd("cargo", &["build", "--locked", "--workspace", "--bins"]))
}

/// Runs each fidelity script against one freshly started emulator (`EMULATOR_URL`) and counts the `ok` and
/// `not ok` lines they print.
fn fidelity() -> Result<Counts> {
    build_binaries()?;
    let scripts = fidelity_scripts()?;
    let work = crate::root().join("target/fidelity");
    std::fs::create_dir_all(&work).map_err(|e| e.to_string())?;
    let emulator = start_emulator("debug", "127.0.0.1:0", None, Output::File(work.join("dingtalk-emulator.log")))?;
    println!("emulator {}  (log in {})", emulator.url, work.display());
    let mut total = Counts::default();
    for script in &scripts {
        let program = match script.extension().and_then(|e| e.to_str()) {
            Some("py") => fidelity_python(),
            _ => PathBuf::from("node"),
        };
        let mut c = cmd(program, &[&script.to_string_lossy()]);
        c.env("EMULATOR_URL", &emulator.url);
        let (ok, text) = run_tee_within(&mut c, Some(FIDELITY_SCRIPT_LIMIT))?;
        let counts = check_lines(ok, &text);
        println!("{}: {} ok, {} not ok", script.display(), counts.passed, counts.failed);
        total.passed += counts.passed;
        total.failed += counts.failed;
    }
    counted(true, total, "fidelity checks")
}

/// `cargo xtask fidelity`: the fidelity stage alone, after making sure the SDK virtualenv is there.
pub fn fidelity_only() -> Result {
    crate::setup::fidelity_venv()?;
    let counts = fidelity()?;
    println!("fidelity: {} passed, {} failed", counts.passed, counts.failed);
    Ok(())
}

/// The fidelity scripts, sorted by name.
fn fidelity_scripts() -> Result<Vec<PathBuf>> {
    let dir = crate::root().join(FIDELITY_DIR);
    let entries = std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut scripts: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "py" || e == "mjs"))
        .collect();
    scripts.sort();
    if scripts.is_empty() {
        return Err(format!("no *.py or *.mjs script in {}", dir.display()));
    }
    Ok(scripts)
}

/// Counts a fidelity script's `ok <name>` and `not ok <name>: why` lines. A script that failed without a `not ok`
/// line, or that reported no check at all, counts as one failure more: it did not say what it proved.
fn check_lines(exited_ok: bool, text: &str) -> Counts {
    let mut counts = text.lines().fold(Counts::default(), |acc, line| {
        if line.starts_with("not ok ") {
            Counts { failed: acc.failed + 1, ..acc }
        } else if line.starts_with("ok ") {
            Counts { passed: acc.passed + 1, ..acc }
        } else {
            acc
        }
    });
    let silent_failure = !exited_ok && counts.failed == 0;
    let reported_nothing = counts.passed == 0 && counts.failed == 0;
    if silent_failure || reported_nothing {
        counts.failed += 1;
    }
    counts
}

/// `cargo xtask e2e [--dev] [PLAYWRIGHT ARGS]`: only the Playwright stage, for work on the app. The release build
/// first, or with `--dev` Trunk's quicker debug build; the rest goes to Playwright (`--grep inbox`, a spec file).
pub fn e2e_only(args: &[String]) -> Result {
    let tools = setup()?;
    let (dev, rest): (Vec<&String>, Vec<&String>) = args.iter().partition(|a| *a == "--dev");
    if dev.is_empty() {
        crate::build_app_and_report(&tools)?;
    } else {
        run(cmd("trunk", &["build", "--locked"]).envs(tools.wasm.env()))?;
    }
    let rest: Vec<String> = rest.into_iter().cloned().collect();
    let counts = e2e(&rest)?;
    println!("\nxtask: {} passed, {} failed", counts.passed, counts.failed);
    Ok(())
}

fn e2e(args: &[String]) -> Result<Counts> {
    build_binaries()?;
    let (emulator, server) = start_fresh("e2e")?;
    let report = crate::root().join("e2e/test-results/results.json");
    let _ = std::fs::remove_file(&report);
    let mut c = cmd(crate::root().join("node_modules/.bin/playwright"), &["test", "-c", "e2e/playwright.config.ts"]);
    c.args(args)
        .env("SHENPI_URL", &server.url)
        .env("EMULATOR_URL", &emulator.url)
        .env("CHROMIUM", which("chromium").ok_or("chromium is not on PATH")?);
    let (ok, _) = run_tee(&mut c)?;
    let text = std::fs::read_to_string(&report).map_err(|e| format!("Playwright wrote no report: {e}"))?;
    let counts = playwright_counts(&text)?;
    println!("screenshots and failure traces: e2e/test-results/");
    if counts.passed == 0 && ok {
        return Err("no Playwright test ran".into());
    }
    counted(ok, counts, "Playwright")
}

/// The number in front of `word` in `line` ("12 passed" → 12).
fn number_before(line: &str, word: &str) -> Option<usize> {
    let at = line.find(word)?;
    line[..at].trim_end().rsplit(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
}

/// nextest's `Summary [..] N tests run: P passed, F failed, S skipped`.
fn nextest_counts(text: &str) -> Option<Counts> {
    let line = text.lines().rev().find(|l| l.trim_start().starts_with("Summary ["))?;
    Some(Counts {
        passed: number_before(line, " passed").unwrap_or(0),
        failed: number_before(line, " failed").unwrap_or(0),
    })
}

/// The sum of libtest's `test result: ok. P passed; F failed; ...` lines.
fn libtest_counts(text: &str) -> Counts {
    text.lines().filter(|l| l.starts_with("test result:")).fold(Counts::default(), |acc, line| Counts {
        passed: acc.passed + number_before(line, " passed").unwrap_or(0),
        failed: acc.failed + number_before(line, " failed").unwrap_or(0),
    })
}

/// Playwright's JSON report: `stats.expected` passed; unexpected and flaky failed.
fn playwright_counts(json: &str) -> Result<Counts> {
    let report: serde_json::Value = serde_json::from_str(json).map_err(|e| format!("Playwright report: {e}"))?;
    let stat = |key: &str| report.pointer(&format!("/stats/{key}")).and_then(|v| v.as_u64()).unwrap_or(0) as usize;
    Ok(Counts { passed: stat("expected"), failed: stat("unexpected") + stat("flaky") })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_nextest_summaries() {
        let ok = "   Summary [   1.2s] 40 tests run: 40 passed, 0 skipped\n";
        assert_eq!(nextest_counts(ok), Some(Counts { passed: 40, failed: 0 }));
        let bad = "   Summary [   1.2s] 40 tests run: 38 passed, 2 failed, 0 skipped\n";
        assert_eq!(nextest_counts(bad), Some(Counts { passed: 38, failed: 2 }));
        assert_eq!(nextest_counts("nothing"), None);
    }

    #[test]
    fn sums_libtest_results() {
        let text = "test result: ok. 11 passed; 0 failed; 0 ignored\nnoise\ntest result: FAILED. 2 passed; 1 failed;\n";
        assert_eq!(libtest_counts(text), Counts { passed: 13, failed: 1 });
    }

    #[test]
    fn counts_ok_and_not_ok_lines() {
        let text = "ok token\nnot ok schema: 404\nnoise\nok get\n  ok indented is not a check\n3 checks\n";
        assert_eq!(check_lines(false, text), Counts { passed: 2, failed: 1 });
    }

    #[test]
    fn a_script_failing_without_a_not_ok_line_counts_as_a_failure() {
        assert_eq!(
            check_lines(false, "ok token\nTraceback (most recent call last):\n"),
            Counts { passed: 1, failed: 1 }
        );
    }

    #[test]
    fn a_script_reporting_no_check_counts_as_a_failure() {
        assert_eq!(check_lines(true, "hello\n"), Counts { passed: 0, failed: 1 });
    }

    #[test]
    fn reads_playwright_stats() {
        let json = r#"{"stats":{"expected":3,"unexpected":1,"flaky":1,"skipped":2}}"#;
        assert_eq!(playwright_counts(json).unwrap(), Counts { passed: 3, failed: 2 });
    }
}
