//! `cargo xtask bench startup`: the app's startup in the emulated iOS DingTalk container, on DevTools' "Slow 4G" and
//! a 4x slower CPU, cold and warm (the measuring is `js/bench-startup.mjs`).

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
