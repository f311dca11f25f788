//! `cargo xtask bench startup`: the app's startup in the emulated iOS DingTalk container, on DevTools' "Slow 4G" and
//! a 4x slower CPU, cold and warm (the measuring is `js/bench-startup.mjs`). `cargo xtask bench floor`: what the
//! framework alone weighs in the first load.

use crate::cmd::{Result, cmd, run, which};
use crate::services::start_fresh;

/// The release build of the app, a fresh emulator and server serving it, then the Node script that opens the app
/// ten times cold and ten times warm and prints the table.
pub fn startup() -> Result {
    let tools = crate::setup::setup()?;
    crate::build_app_and_report(&tools)?;
    crate::test::build_binaries()?;
    let (emulator, server) = start_fresh("bench")?;
    let script = crate::root().join("js/bench-startup.mjs");
    run(cmd("node", &[&script.to_string_lossy()])
        .env("SHENPI_URL", &server.url)
        .env("EMULATOR_URL", &emulator.url)
        .env("CHROMIUM", which("chromium").ok_or("chromium is not on PATH")?))
}

/// `cargo xtask bench floor`: `xtask/floor`, a Leptos app with nothing of shenpi's in it (a router, one JSON fetch,
/// a list, an input), built as the app's release is (the same profile, size flags, wasm-bindgen and wasm-opt), and
/// its brotli size: the part of the first-load budget the framework takes before the app shows anything.
pub fn floor() -> Result {
    let tools = crate::setup::setup()?;
    let root = crate::root();
    let target = crate::target_dir().join("floor");
    let manifest = root.join("xtask/floor/Cargo.toml");
    run(cmd("cargo", &["build", "--release", "--locked", "--target", "wasm32-unknown-unknown"])
        .args(["--manifest-path".as_ref(), manifest.as_os_str(), "--target-dir".as_ref(), target.as_os_str()])
        .envs(tools.wasm.env())
        .envs(crate::split::size_env(crate::split::SIZE_FLAGS.to_owned())))?;
    let linked = target.join("wasm32-unknown-unknown/release/floor.wasm");
    let out = target.join("out");
    run(cmd("wasm-bindgen", &["--target", "web", "--out-dir"]).arg(&out).arg(&linked))?;
    let flags = root.join("js/wasm-opt-flags.json");
    let flags: Vec<String> = serde_json::from_str(&std::fs::read_to_string(&flags).map_err(|e| e.to_string())?)
        .map_err(|e| format!("{}: {e}", flags.display()))?;
    let wasm = out.join("floor_bg.wasm");
    run(cmd(root.join("node_modules/.bin/wasm-opt"), &[]).args(&flags).arg(&wasm).arg("-o").arg(&wasm))?;
    println!("\nLeptos alone (xtask/floor), built as the app's release:");
    crate::assets::print_sizes(&crate::assets::files(&out, |name| name.ends_with("_bg.wasm").then_some("WASM"))?);
    Ok(())
}
