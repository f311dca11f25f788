//! shenpi's automation. `cargo xtask setup|demo|test|bench`; CI only ever calls `cargo xtask test`.

mod assets;
mod bench;
mod cmd;
mod demo;
mod postgres;
mod services;
mod setup;
mod split;
mod test;

use std::path::{Path, PathBuf};

use cmd::{Result, cmd, run};
use setup::Tools;

const USAGE: &str = "usage: cargo xtask <command>

  setup          install what the build and tests need (idempotent; demo and test run it too)
  demo           build the app, start the DingTalk emulator and the server, open a simulated container
                 [--user USERID] logs in as another seeded user
  test           rustfmt, clippy, native tests (on SQLite, and on a throwaway PostgreSQL when one starts), fidelity,
                 browser tests, release build, Playwright; one summary line
  postgres       start the tests' throwaway PostgreSQL and print its SHENPI_TEST_POSTGRES_URL; Enter stops it
  e2e            only the Playwright stage: release build (or --dev: Trunk's debug build), emulator, server,
                 Playwright; further arguments go to Playwright (e.g. --grep inbox)
  fidelity       only the fidelity stage: DingTalk's official SDKs against a freshly started emulator
  bench size     brotli size of each first-load asset of a release build, then of the pages' chunks
  bench startup  release build, emulator, server, then 10 cold and 10 warm opens in the iOS container on DevTools'
                 \"Slow 4G\" and a 4x slower CPU: median and p90 of first paint, inbox visible, interactive
  bench floor    the brotli size of a Leptos app with nothing of shenpi's in it (xtask/floor), built as the app is";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup::setup().map(|_| ()),
        Some("demo") => demo::demo(&args[1..]),
        Some("test") => test::test(),
        Some("fidelity") => test::fidelity_only(),
        Some("e2e") => test::e2e_only(&args[1..]),
        Some("postgres") => postgres::serve_until_enter(),
        Some("bench") => bench(&args[1..]),
        Some("wasm-split") => split::wasm_split(&args[1..]),
        _ => Err(USAGE.to_owned()),
    };
    if let Err(e) = result {
        eprintln!("\nerror: {e}");
        std::process::exit(1);
    }
}

/// The repository root (xtask lives one level below it).
pub fn root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// Where cargo puts the build's products: `CARGO_TARGET_DIR`, else `target/` under the root.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root().join("target"))
}

/// The release build of the app into `dist/`, with the WASM toolchain's environment, split per page (`split.rs`).
pub fn build_app(tools: &Tools) -> Result {
    run(cmd("trunk", &["build", "--release", "--locked"]).envs(tools.wasm.env()).envs(split::release_env()?))
}

/// The release build, then its checks: no name section in the WASM, and the size table of first-load assets.
pub fn build_app_and_report(tools: &Tools) -> Result {
    build_app(tools)?;
    let dist = root().join("dist");
    assets::check_no_name_section(&dist)?;
    assets::print_sizes(&assets::first_load(&dist)?);
    let chunks = assets::page_chunks(&dist)?;
    if !chunks.is_empty() {
        println!("\nfetched when a page first opens (not part of the first load):");
        assets::print_sizes(&chunks);
    }
    Ok(())
}

fn bench(args: &[String]) -> Result {
    match args.first().map(String::as_str) {
        Some("size") => build_app_and_report(&setup::setup()?),
        Some("startup") => bench::startup(),
        Some("floor") => bench::floor(),
        _ => Err("usage: cargo xtask bench size|startup|floor".into()),
    }
}
