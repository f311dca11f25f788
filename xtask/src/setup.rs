//! `cargo xtask setup`: everything the build and the tests need, installed only where missing, each step printed.
//! It is idempotent and runs at the start of `demo` and `test`; a missing piece it cannot install itself fails
//! with the command that fixes it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::cmd::{Result, cmd, exists, output, run, run_with_timeout};

/// The Trunk version that builds with the toolchains here (0.22 needs rustc ≥ 1.96.1).
pub const TRUNK_VERSION: &str = "0.21.14";
/// Debian's packages for the WASM route of shared/TOOLCHAIN.md: rustc with its std sources, and lld.
const DEBIAN_WASM_PACKAGES: &[&str] = &["rustc-web", "cargo-web", "rust-web-src", "rust-web-llvm", "lld-22"];
/// Debian's Chromium and its WebDriver, for wasm-bindgen-test and Playwright, and a CJK font so screenshots of a
/// Chinese interface show text instead of empty boxes.
const DEBIAN_BROWSER_PACKAGES: &[&str] = &["chromium", "chromium-driver", "fonts-noto-cjk"];
/// Debian's PostgreSQL server, for the native tests' throwaway cluster (the Store's PostgreSQL scenarios).
const DEBIAN_POSTGRES_PACKAGES: &[&str] = &["postgresql"];
/// The pinned dependency closure of DingTalk's official Python SDK, for the fidelity checks.
const FIDELITY_REQUIREMENTS: &str = "crates/dingtalk-emulator/fidelity/requirements.txt";
/// The fidelity checks' virtualenv, under `target/` so that it goes with the build's other products.
const FIDELITY_VENV: &str = "target/fidelity-venv";
/// The rustup name under which Debian's toolchain is linked.
const DEBIAN_TOOLCHAIN: &str = "debian-web";
/// Where `rust-web-src` puts the standard library's sources.
const DEBIAN_STD_SOURCES: &str = "/usr/lib/rustlib/src/rust/library";

/// How WASM gets built on this machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WasmRoute {
    /// rustup's own `wasm32-unknown-unknown` target (a normal laptop).
    Rustup,
    /// Debian's rustc-web with `-Zbuild-std` (our machines, where rustup's download server is unreachable).
    DebianBuildStd,
}

impl WasmRoute {
    /// Environment variables for every command that builds WASM (cargo for wasm32, Trunk). Only those commands
    /// get them: the native crates keep the default toolchain.
    pub fn env(self) -> Vec<(&'static str, &'static str)> {
        match self {
            WasmRoute::Rustup => vec![],
            WasmRoute::DebianBuildStd => vec![
                ("RUSTUP_TOOLCHAIN", DEBIAN_TOOLCHAIN),
                ("RUSTC_BOOTSTRAP", "1"),
                ("CARGO_UNSTABLE_BUILD_STD", "std,panic_abort"),
            ],
        }
    }
}

/// What setup found or installed.
#[derive(Debug, Clone, Copy)]
pub struct Tools {
    /// How to build WASM.
    pub wasm: WasmRoute,
}

fn step(name: &str) {
    println!("\n[setup] {name}");
}

/// Brings the machine up to what shenpi needs.
pub fn setup() -> Result<Tools> {
    step("Node.js and npm");
    for tool in ["node", "npm"] {
        if !exists(tool) {
            return Err(format!("{tool} is missing: install Node.js ≥ 20 (Debian: `apt-get install -y nodejs npm`)"));
        }
    }
    println!("ok");

    step("WASM toolchain");
    let wasm = wasm_route()?;
    println!("ok: {wasm:?}");

    step("Chromium, ChromeDriver and a CJK font");
    if !(exists("chromium") && exists("chromedriver") && has_cjk_font()) {
        apt_install(DEBIAN_BROWSER_PACKAGES)?;
    }
    println!("ok: {}", output(&mut cmd("chromium", &["--version"])).unwrap_or_default().trim());

    step("PostgreSQL server (optional: without it the Store tests run on SQLite only)");
    match postgres_server() {
        Ok(version) => println!("ok: {version}"),
        Err(e) => println!("skipped: {e}"),
    }

    step("cargo-nextest");
    if output(&mut cmd("cargo", &["nextest", "--version"])).is_none() {
        run(&mut cmd("cargo", &["install", "--locked", "cargo-nextest"]))?;
    }
    println!("ok");

    step(&format!("Trunk {TRUNK_VERSION}"));
    let trunk = output(&mut cmd("trunk", &["--version"])).unwrap_or_default();
    if !trunk.contains(TRUNK_VERSION) {
        run(&mut cmd("cargo", &["install", "--locked", &format!("trunk@{TRUNK_VERSION}")]))?;
    }
    println!("ok");

    let bindgen = wasm_bindgen_version()?;
    step(&format!("wasm-bindgen-cli {bindgen} (the wasm-bindgen in Cargo.lock)"));
    let installed = output(&mut cmd("wasm-bindgen", &["--version"])).unwrap_or_default();
    if installed.split_whitespace().nth(1) != Some(bindgen.as_str()) || !exists("wasm-bindgen-test-runner") {
        // Not --locked: the registry index lags one of its pinned dependencies (shared/TOOLCHAIN.md).
        run(&mut cmd("cargo", &["install", "--force", &format!("wasm-bindgen-cli@{bindgen}")]))?;
    }
    println!("ok");

    step("npm packages (dingtalk-jsapi, esbuild, binaryen's wasm-opt, Playwright)");
    npm_ci()?;
    println!("ok");

    step("Python virtualenv with DingTalk's official SDK (fidelity checks)");
    fidelity_venv()?;
    println!("ok: {}", output(&mut cmd(fidelity_python(), &["--version"])).unwrap_or_default().trim());
    Ok(Tools { wasm })
}

/// Finds or installs a way to build WASM: rustup's target if present, else Debian's toolchain if present, else
/// try rustup (it hangs where its server is unreachable, hence the time limit), else install Debian's.
/// `SHENPI_WASM_ROUTE=debian` (or `rustup`) forces a route, to test the other one or to prefer it.
fn wasm_route() -> Result<WasmRoute> {
    match std::env::var("SHENPI_WASM_ROUTE").as_deref() {
        Ok("debian") => return debian_route(),
        Ok("rustup") => {
            run(&mut cmd("rustup", &["target", "add", "wasm32-unknown-unknown"]))?;
            return Ok(WasmRoute::Rustup);
        }
        Ok(other) => return Err(format!("SHENPI_WASM_ROUTE={other}: use `debian` or `rustup`")),
        Err(_) => {}
    }
    let has_rustup_target = || {
        output(&mut cmd("rustup", &["target", "list", "--installed"]))
            .is_some_and(|t| t.lines().any(|l| l.trim() == "wasm32-unknown-unknown"))
    };
    if has_rustup_target() {
        return Ok(WasmRoute::Rustup);
    }
    if debian_route_ready() {
        return Ok(WasmRoute::DebianBuildStd);
    }
    println!("trying rustup's wasm32 target first");
    match run_with_timeout(&mut cmd("rustup", &["target", "add", "wasm32-unknown-unknown"]), Duration::from_secs(45)) {
        Ok(()) if has_rustup_target() => return Ok(WasmRoute::Rustup),
        Ok(()) => println!("rustup said yes but lists no wasm32 target"),
        Err(e) => println!("{e}"),
    }
    println!("rustup cannot add wasm32 here: using Debian's rustc-web with build-std (shared/TOOLCHAIN.md)");
    debian_route()
}

/// Debian's rustc-web with its std sources, linked into rustup as `debian-web`; installed when missing.
fn debian_route() -> Result<WasmRoute> {
    if debian_route_ready() {
        return Ok(WasmRoute::DebianBuildStd);
    }
    if !(Path::new(DEBIAN_STD_SOURCES).is_dir() && exists("/usr/bin/rust-lld")) {
        apt_install(DEBIAN_WASM_PACKAGES)?;
    }
    let linked = output(&mut cmd("rustup", &["toolchain", "list"])).unwrap_or_default();
    if !linked.lines().any(|l| l.starts_with(DEBIAN_TOOLCHAIN)) {
        run(&mut cmd("rustup", &["toolchain", "link", DEBIAN_TOOLCHAIN, "/usr"]))?;
    }
    if debian_route_ready() {
        Ok(WasmRoute::DebianBuildStd)
    } else {
        Err(format!(
            "Debian's WASM toolchain is not usable: check `RUSTUP_TOOLCHAIN={DEBIAN_TOOLCHAIN} rustc --version` and \
             that {DEBIAN_STD_SOURCES} exists (package rust-web-src)"
        ))
    }
}

fn debian_route_ready() -> bool {
    Path::new(DEBIAN_STD_SOURCES).is_dir()
        && exists("/usr/bin/rust-lld")
        && output(cmd("rustc", &["--version"]).env("RUSTUP_TOOLCHAIN", DEBIAN_TOOLCHAIN)).is_some()
}

/// Finds PostgreSQL's server programs or installs Debian's; its version line, or why there is none.
fn postgres_server() -> Result<String> {
    if crate::postgres::server_bin_dir().is_none() {
        apt_install(DEBIAN_POSTGRES_PACKAGES)?;
    }
    let bin = crate::postgres::server_bin_dir().ok_or("no initdb after installing postgresql")?;
    crate::postgres::server_version(&bin).ok_or_else(|| format!("{}/postgres does not run", bin.display()))
}

/// Whether fontconfig knows a font for Chinese.
fn has_cjk_font() -> bool {
    output(&mut cmd("fc-list", &[":lang=zh", "family"])).is_some_and(|fonts| !fonts.trim().is_empty())
}

/// Installs Debian packages, or says how when this user cannot.
fn apt_install(packages: &[&str]) -> Result {
    let command = format!("apt-get update && apt-get install -y {}", packages.join(" "));
    if !exists("apt-get") {
        return Err(format!("missing {}: install them with your package manager", packages.join(", ")));
    }
    let root = output(&mut cmd("id", &["-u"])).is_some_and(|id| id.trim() == "0");
    if !root {
        return Err(format!("missing {}: run as root: {command}", packages.join(", ")));
    }
    run(&mut cmd("apt-get", &["update"]))?;
    let mut install = cmd("apt-get", &["install", "-y"]);
    install.args(packages).env("DEBIAN_FRONTEND", "noninteractive");
    run(&mut install)
}

/// The exact `wasm-bindgen` version in Cargo.lock: the CLI must match it.
pub fn wasm_bindgen_version() -> Result<String> {
    let lock = std::fs::read_to_string(crate::root().join("Cargo.lock")).map_err(|e| format!("Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\"" {
            let version = lines.next().and_then(|l| l.strip_prefix("version = \"")).and_then(|v| v.strip_suffix('"'));
            return version.map(str::to_owned).ok_or("Cargo.lock: wasm-bindgen has no version line".into());
        }
    }
    Err("Cargo.lock has no wasm-bindgen package".into())
}

/// `npm ci` when node_modules is missing or older than package-lock.json.
fn npm_ci() -> Result {
    let root = crate::root();
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let lock = modified(&root.join("package-lock.json")).ok_or("package-lock.json is missing")?;
    let installed = modified(&root.join("node_modules/.package-lock.json"));
    if installed.is_some_and(|i| i >= lock) {
        return Ok(());
    }
    // Playwright drives Debian's Chromium; it must never try to download its own.
    run(cmd("npm", &["ci", "--no-audit", "--no-fund"]).env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1"))
}

/// The Python of the fidelity virtualenv, which has DingTalk's official SDK installed.
pub fn fidelity_python() -> PathBuf {
    crate::root().join(FIDELITY_VENV).join("bin/python")
}

/// Creates the fidelity virtualenv with the machine's `python3` and installs the pinned requirements, unless the
/// virtualenv was already made from the same requirements (a copy of them is kept in it as a stamp). A changed
/// requirements file rebuilds the virtualenv from scratch, so nothing unpinned lingers in it.
pub fn fidelity_venv() -> Result {
    let root = crate::root();
    let requirements = root.join(FIDELITY_REQUIREMENTS);
    let wanted = std::fs::read_to_string(&requirements).map_err(|e| format!("{}: {e}", requirements.display()))?;
    let venv = root.join(FIDELITY_VENV);
    let stamp = venv.join("requirements.stamp");
    if fidelity_python().exists() && std::fs::read_to_string(&stamp).is_ok_and(|s| s == wanted) {
        return Ok(());
    }
    if !exists("python3") {
        return Err(
            "python3 is missing: install Python ≥ 3.9 (Debian: `apt-get install -y python3 python3-venv`)".into()
        );
    }
    if venv.exists() {
        std::fs::remove_dir_all(&venv).map_err(|e| format!("{}: {e}", venv.display()))?;
    }
    let venv_arg = venv.to_string_lossy();
    run(&mut cmd("python3", &["-m", "venv", &venv_arg]))
        .map_err(|e| format!("{e}: Debian's python3 needs the venv module (`apt-get install -y python3-venv`)"))?;
    let python = fidelity_python();
    let pip = |args: &[&str]| {
        let mut c = cmd(&python, &["-m", "pip", "--disable-pip-version-check", "--no-input"]);
        c.args(args);
        c
    };
    // --no-deps: the file pins the whole closure; `pip check` then proves nothing is missing from it.
    run(&mut pip(&["install", "--quiet", "--no-deps", "--requirement", &requirements.to_string_lossy()]))?;
    run(&mut pip(&["check"]))?;
    std::fs::write(&stamp, wanted).map_err(|e| format!("{}: {e}", stamp.display()))
}
