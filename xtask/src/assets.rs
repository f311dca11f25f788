//! The built app's first-load assets: their raw and brotli sizes, and a check that the WASM carries no name
//! section.

use std::path::Path;

use crate::cmd::Result;

/// One file the page loads on first open.
pub struct Asset {
    /// What it is (HTML, JS glue, WASM, JSAPI bundle, CSS, icon).
    pub kind: &'static str,
    /// Its file name in `dist/`.
    pub name: String,
    /// Bytes on disk.
    pub raw: usize,
    /// Bytes after brotli (quality 11), as a server or CDN would send it.
    pub brotli: usize,
}

fn kind(name: &str) -> Option<&'static str> {
    Some(match name {
        "index.html" => "HTML",
        n if n.ends_with("_bg.wasm") => "WASM",
        n if n.starts_with("dingtalk-jsapi") && n.ends_with(".js") => "JSAPI bundle",
        n if n.starts_with("shenpi-split-") && n.ends_with(".js") => "chunk loader",
        n if n.ends_with(".js") => "JS glue",
        n if n.ends_with(".css") => "CSS",
        n if n.ends_with(".svg") || n.ends_with(".ico") || n.ends_with(".png") => "icon",
        _ => return None,
    })
}

fn brotli_size(bytes: &[u8]) -> usize {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams { quality: 11, lgwin: 22, ..Default::default() };
    // Writing into a Vec cannot fail.
    let _ = brotli::BrotliCompress(&mut &bytes[..], &mut out, &params);
    out.len()
}

/// Every first-load asset in `dist`, largest first.
pub fn first_load(dist: &Path) -> Result<Vec<Asset>> {
    files(dist, kind)
}

/// The pages' WASM chunks of a split build (`split.rs`), largest first: each is fetched the first time a page that
/// needs it opens, never on the first load.
pub fn page_chunks(dist: &Path) -> Result<Vec<Asset>> {
    files(dist, |name| (name.ends_with(".wasm") && !name.ends_with("_bg.wasm")).then_some("WASM chunk"))
}

/// The files of `dir` that `kind` names, largest first.
pub fn files(dir: &Path, kind: impl Fn(&str) -> Option<&'static str>) -> Result<Vec<Asset>> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e} (build the app first)", dir.display()))?;
    let mut assets = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(kind) = kind(&name) else { continue };
        let bytes = std::fs::read(entry.path()).map_err(|e| format!("{name}: {e}"))?;
        assets.push(Asset { kind, raw: bytes.len(), brotli: brotli_size(&bytes), name });
    }
    assets.sort_by_key(|a| std::cmp::Reverse(a.brotli));
    Ok(assets)
}

/// Prints the size table with totals.
pub fn print_sizes(assets: &[Asset]) {
    println!("{:<14} {:>10} {:>10}  file", "asset", "raw", "brotli");
    for a in assets {
        println!("{:<14} {:>10} {:>10}  {}", a.kind, a.raw, a.brotli, a.name);
    }
    let (raw, brotli) = assets.iter().fold((0, 0), |(r, b), a| (r + a.raw, b + a.brotli));
    println!("{:<14} {raw:>10} {brotli:>10}", "total");
}

/// Fails when a WASM module (the main one or a page's chunk) still has a `name` custom section (debug names inflate
/// it and leak symbols).
pub fn check_no_name_section(dist: &Path) -> Result {
    let modules: Vec<_> = std::fs::read_dir(dist)
        .map_err(|e| format!("{}: {e}", dist.display()))?
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".wasm"))
        .collect();
    if !modules.iter().any(|e| e.file_name().to_string_lossy().ends_with("_bg.wasm")) {
        return Err("no *_bg.wasm in dist/".into());
    }
    for wasm in &modules {
        let bytes = std::fs::read(wasm.path()).map_err(|e| e.to_string())?;
        let sections = custom_sections(&bytes)?;
        if sections.iter().any(|s| s == "name") {
            return Err(format!("{} still has a name section (custom sections: {sections:?})", wasm.path().display()));
        }
    }
    println!("wasm modules without a name section: {}", modules.len());
    Ok(())
}

fn leb_u32(bytes: &[u8], pos: &mut usize) -> Result<usize> {
    let (mut value, mut shift) = (0usize, 0);
    loop {
        let byte = *bytes.get(*pos).ok_or("truncated wasm")?;
        *pos += 1;
        value |= ((byte & 0x7f) as usize) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
        shift += 7;
        if shift > 28 {
            return Err("bad LEB128 in wasm".into());
        }
    }
}

/// The names of a module's custom sections.
fn custom_sections(bytes: &[u8]) -> Result<Vec<String>> {
    if bytes.get(..4) != Some(b"\0asm") {
        return Err("not a wasm module".into());
    }
    let mut pos = 8;
    let mut names = Vec::new();
    while pos < bytes.len() {
        let id = bytes[pos];
        pos += 1;
        let size = leb_u32(bytes, &mut pos)?;
        let end = pos + size;
        if id == 0 {
            let mut p = pos;
            let len = leb_u32(bytes, &mut p)?;
            let name = bytes.get(p..p + len).ok_or("truncated custom section name")?;
            names.push(String::from_utf8_lossy(name).into_owned());
        }
        pos = end;
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_custom_section_names() {
        // Header, then custom section "name" (id 0, size 5: name length 4 + "name"), then a type section.
        let module = b"\0asm\x01\0\0\0\x00\x05\x04name\x01\x01\x00";
        assert_eq!(custom_sections(module).unwrap(), vec!["name".to_owned()]);
        assert!(custom_sections(b"nope").is_err());
    }

    #[test]
    fn the_pages_chunks_are_not_first_load() {
        assert_eq!(kind("shenpi-0123_bg.wasm"), Some("WASM"));
        assert_eq!(kind("shenpi-chunk_5-0123.wasm"), None);
        assert_eq!(kind("shenpi-split-0123.js"), Some("chunk loader"));
        assert_eq!(kind("shenpi-0123.js"), Some("JS glue"));
    }

    #[test]
    fn classifies_trunk_output() {
        assert_eq!(kind("shenpi-abc_bg.wasm"), Some("WASM"));
        assert_eq!(kind("shenpi-abc.js"), Some("JS glue"));
        assert_eq!(kind("dingtalk-jsapi-abc.js"), Some("JSAPI bundle"));
        assert_eq!(kind("main-abc.css"), Some("CSS"));
        assert_eq!(kind("index.html"), Some("HTML"));
    }
}
