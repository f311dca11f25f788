//! Route-level code splitting of the release build.
//!
//! The app marks each page but the inbox as a split point (`#[wasm_split]`, compiled in by `--cfg shenpi_split`,
//! see `src/app.rs`). A release build is linked with `--emit-relocs`, and Trunk's post_build hook
//! (`js/post-build.mjs`) calls `xtask wasm-split <staging dir>` before its own steps: the linker's module is split
//! into the main module (what the inbox needs) and one chunk per page plus chunks of code that several pages share;
//! wasm-bindgen then runs on the main module in place of Trunk's own output, under the same names, so `index.html`
//! is unchanged. The loader `shenpi-split-<hash>.js` fetches a page's chunks the first time the page opens.
//!
//! Trunk cannot split a module itself (trunk-rs/trunk#1022); `wasm_split_cli_support` is the splitter that
//! cargo-leptos uses, and the wasm-bindgen CLI is the one setup installs for the browser tests (the same version as
//! the `wasm-bindgen` crate).

use std::path::Path;

use crate::cmd::{Result, cmd, run};
use crate::target_dir;

/// Rust flags for size, of every release build (the app's, and `bench floor`'s): Leptos' `erase_components`, which
/// types every component's view as `AnyView` instead of one type per view tree (4.3 KB less brotli in the first
/// load, measured with `cargo xtask bench size`); and no `Debug` output nor panic locations
/// (`-Zfmt-debug=none -Zlocation-detail=none`, 10.4 KB less): `{:?}` prints nothing in this build, so what the app
/// logs is written with `Display` (`Failure`, `jsapi::js_text`), and a panic still prints its message.
///
/// Measured and not taken: `-Cpanic=immediate-abort` would save another 8 KB, but a panic would then stop the app
/// without a word in the console.
pub const SIZE_FLAGS: &str = "--cfg erase_components -Zfmt-debug=none -Zlocation-detail=none";

/// The split release build's flags: the app's split points on, the size flags, and the relocations the splitter
/// reads.
fn rustflags() -> String {
    format!("--cfg shenpi_split {SIZE_FLAGS} -Clink-args=--emit-relocs")
}

/// The environment of a release build for size: its flags, and leave for them on a stable rustc too (rustup's route;
/// Debian's allows them already).
pub fn size_env(rustflags: String) -> [(&'static str, String); 2] {
    [("RUSTFLAGS", rustflags), ("RUSTC_BOOTSTRAP", "1".to_owned())]
}

/// The environment Trunk's release build gets on top of the WASM toolchain's: the flags above, and a copy of this
/// xtask binary, which is how the post_build hook knows to split and what to call. A copy, because a later cargo
/// build in the same run may replace `target/debug/xtask` (features unify differently across the workspace) while
/// this process runs; `/proc/self/exe` still reads the running binary then.
pub fn release_env() -> Result<Vec<(&'static str, String)>> {
    let running = Path::new("/proc/self/exe");
    let running = if running.exists() {
        running.to_path_buf()
    } else {
        std::env::current_exe().map_err(|e| format!("the xtask binary's path: {e}"))?
    };
    let copy = target_dir().join("xtask-wasm-split");
    std::fs::copy(&running, &copy).map_err(|e| format!("copying {} to {}: {e}", running.display(), copy.display()))?;
    let mut env = size_env(rustflags()).to_vec();
    env.push(("SHENPI_XTASK", copy.display().to_string()));
    Ok(env)
}

/// Trunk's name for the app's files in `staging`: the `shenpi-<hash>` of `shenpi-<hash>_bg.wasm`.
fn staged_stem(staging: &Path) -> Result<String> {
    let mut stems: Vec<String> = std::fs::read_dir(staging)
        .map_err(|e| format!("{}: {e}", staging.display()))?
        .flatten()
        .filter_map(|e| e.file_name().to_string_lossy().strip_suffix("_bg.wasm").map(str::to_owned))
        .collect();
    match stems.len() {
        1 => Ok(stems.remove(0)),
        n => Err(format!("expected one *_bg.wasm in {}, found {n}", staging.display())),
    }
}

/// `xtask wasm-split <staging dir>`: see the module's documentation.
pub fn wasm_split(args: &[String]) -> Result {
    let [staging] = args else { return Err("usage: xtask wasm-split <Trunk's staging dir>".into()) };
    let staging = Path::new(staging);
    let stem = staged_stem(staging)?;
    // Every added file is named `shenpi-<what>-<the build's hash>`, the form the server caches for a year.
    let (base, hash) = stem.rsplit_once('-').ok_or_else(|| format!("{stem}: no hash in Trunk's name"))?;
    let linked = target_dir().join("wasm32-unknown-unknown/release/shenpi.wasm");
    let input = std::fs::read(&linked).map_err(|e| format!("{}: {e}", linked.display()))?;

    let work = target_dir().join("wasm-split");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    let main = work.join("main.wasm");
    let loader_name = format!("{base}-split-{hash}.js");
    let link_name = format!("./{loader_name}");
    let main_module = format!("./{stem}.js");
    let split = wasm_split_cli_support::transform({
        let mut opts = wasm_split_cli_support::Options::new(&input);
        opts.output_dir = &work;
        opts.main_out_path = &main;
        opts.link_name = &link_name;
        opts.main_module = &main_module;
        opts
    })
    .map_err(|e| format!("splitting {}: {e:#}", linked.display()))?;
    if split.split_modules.is_empty() {
        return Err(format!("{} has no split points: was it built with `{}`?", linked.display(), rustflags()));
    }

    // `--keep-lld-exports`: the chunks reach the main module's functions through exports the linker made.
    let staging_arg = staging.display().to_string();
    let main_arg = main.display().to_string();
    run(&mut cmd(
        "wasm-bindgen",
        &[
            "--target",
            "web",
            "--no-typescript",
            "--keep-lld-exports",
            "--no-demangle",
            "--out-dir",
            &staging_arg,
            "--out-name",
            &stem,
            &main_arg,
        ],
    ))?;

    // The chunks take the build's hash into their names; the loader is rewritten to fetch them under those names.
    let mut loader =
        std::fs::read_to_string(work.join(&loader_name)).map_err(|e| format!("the splitter's loader: {e}"))?;
    for chunk in &split.split_modules {
        let name = chunk.file_name().ok_or("a chunk without a file name")?.to_string_lossy().into_owned();
        let chunk_stem = name.strip_suffix(".wasm").ok_or_else(|| format!("{name}: not a .wasm"))?;
        let renamed = format!("{base}-{chunk_stem}-{hash}.wasm");
        let quoted = format!("\"./{name}\"");
        if !loader.contains(&quoted) {
            return Err(format!("the loader does not fetch {name}"));
        }
        loader = loader.replace(&quoted, &format!("\"./{renamed}\""));
        std::fs::copy(chunk, staging.join(&renamed)).map_err(|e| format!("{renamed}: {e}"))?;
    }
    std::fs::write(staging.join(&loader_name), loader).map_err(|e| format!("{loader_name}: {e}"))?;
    println!("wasm-split: {} chunks beside {stem}_bg.wasm, loaded by {loader_name}", split.split_modules.len());
    Ok(())
}
