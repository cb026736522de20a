//! Reports: views of an [`Assessment`]. JSON is the canonical form; CSV and Markdown are
//! derived from it. Files are written atomically (temporary file, fsync, rename).

mod csv_out;
pub mod html;
mod interrupt;
mod json;
mod md;
pub mod xlsx;

pub use csv_out::{OutEncoding, gbk_warning, to_csv, write_csv};
pub use md::to_markdown;

use crate::diag::{Diagnostic, Error, Result, Stage};
use crate::engine::Assessment;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::Path;

/// Output formats of `score` (SPEC §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `csv`: one row per entity, ids as headers.
    Csv,
    /// `json`: the canonical document.
    Json,
    /// `md`: ranking table, tier summary, warnings.
    Md,
    /// `html`: one self-contained page with charts and weight sliders.
    Html,
    /// `xlsx`: ranking, details, rules and audit sheets.
    Xlsx,
}

impl Format {
    /// The format `--format` names (`csv`, `json`, `md`/`markdown`, `html`/`htm`, `xlsx`;
    /// any case).
    pub fn from_name(s: &str) -> Option<Format> {
        match s.to_ascii_lowercase().as_str() {
            "csv" => Some(Format::Csv),
            "json" => Some(Format::Json),
            "md" | "markdown" => Some(Format::Md),
            "html" | "htm" => Some(Format::Html),
            "xlsx" => Some(Format::Xlsx),
            _ => None,
        }
    }

    /// The format named by a file's extension.
    pub fn from_path(p: &Path) -> Option<Format> {
        p.extension()
            .and_then(|e| e.to_str())
            .and_then(Format::from_name)
    }
}

/// Lowercase hex SHA-256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in digest.iter() {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// `SOURCE_DATE_EPOCH` (reproducible builds): `Ok(None)` when unset or empty, an error
/// saying how to fix it when it is not a whole number of seconds from 1970 to 9999 (the
/// last moment `generated_at` can show in four digits).
pub fn source_date_epoch() -> std::result::Result<Option<i64>, String> {
    let Some(v) = std::env::var_os("SOURCE_DATE_EPOCH") else {
        return Ok(None);
    };
    let text = v.to_string_lossy();
    if text.trim().is_empty() {
        return Ok(None);
    }
    match text.trim().parse::<i64>() {
        Ok(secs) if (0..=253_402_300_799).contains(&secs) => Ok(Some(secs)),
        _ => Err(format!(
            "SOURCE_DATE_EPOCH is '{}': it must be a whole number of seconds from 1970-01-01 to the end of 9999 (0 to 253402300799; for example 1700000000), or unset",
            crate::diag::truncate(&text, 200)
        )),
    }
}

/// `generated_at`: SOURCE_DATE_EPOCH when set and valid (the CLI refuses an invalid one),
/// else now, in UTC.
pub fn generated_at() -> String {
    let secs = source_date_epoch().ok().flatten().unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64)
    });
    format_utc(secs)
}

/// Seconds since 1970 as `YYYY-MM-DDTHH:MM:SSZ` (civil-from-days, proleptic Gregorian).
pub fn format_utc(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// A maximum in a column header (`得分 score (/100)`, `集聚规模 (/26.67)`): rounded to the
/// rules' `decimals` as the numbers under it are, not 26.666666666666668.
pub fn shown_maximum(x: f64, decimals: u32) -> String {
    crate::column::format_number(crate::num::round_half_away(x, decimals))
}

/// The reports' note on published components, in Chinese and English: rounded components
/// of an additive total may differ from it in the last digit; with geometric or TOPSIS
/// aggregation the dimension numbers are weighted shares, and the total is not their sum;
/// adjustments (加减分) are in the total but in no dimension, so a reader adding up the
/// dimensions is told where the difference comes from.
pub fn components_note(layout: &crate::engine::Layout) -> (String, String) {
    let (mut zh, mut en) = if layout.aggregation == "additive" {
        (
            "各分项得分为四舍五入后的数值，相加可能与总分略有出入。".to_string(),
            "Components are rounded and may not add up to the total exactly.".to_string(),
        )
    } else {
        (
            "各维度得分为按权重折算的份额，总分按几何或TOPSIS方法合成，并非各维度之和。".to_string(),
            "Dimension numbers are weighted shares of the maximum; with geometric or TOPSIS aggregation the total is not their sum.".to_string(),
        )
    };
    if !layout.adjustments.is_empty() {
        let labels: Vec<&str> = layout
            .adjustments
            .iter()
            .map(|a| a.label.as_str())
            .collect();
        zh.push_str(&format!(
            "总分另含加减分项（{}），不计入任何维度。",
            labels.join("、")
        ));
        en.push_str(&format!(
            " The total also includes the adjustments ({}), which are in no dimension.",
            labels.join(", ")
        ));
    }
    (zh, en)
}

/// The canonical JSON document, pretty-printed, ending in a newline.
pub fn to_json(a: &Assessment) -> String {
    let mut bytes = Vec::new();
    json::write_json(a, &mut bytes).expect("assessments serialise");
    String::from_utf8(bytes).expect("serde_json writes UTF-8")
}

/// Renders an assessment in `format` as bytes.
pub fn render(a: &Assessment, format: Format, enc: OutEncoding) -> Result<Vec<u8>> {
    match format {
        Format::Json => Ok(to_json(a).into_bytes()),
        Format::Csv => to_csv(a, enc),
        Format::Md => Ok(to_markdown(a).into_bytes()),
        Format::Html => Ok(html::to_html(a).into_bytes()),
        Format::Xlsx => xlsx::to_xlsx(a),
    }
}

/// Writes an assessment in `format` to `out`; CSV, JSON and HTML stream, Markdown and XLSX
/// are rendered first.
pub fn render_to(
    a: &Assessment,
    format: Format,
    enc: OutEncoding,
    out: &mut dyn Write,
) -> Result<()> {
    let write_error = |e: std::io::Error| {
        Error::one(Diagnostic::new(
            Stage::Io,
            format!("cannot write output: {e}"),
        ))
    };
    match format {
        Format::Csv => write_csv(a, enc, out),
        // Streamed like CSV: a large assessment's JSON (about 4 KB per entity) is not held
        // in memory, nor copied as a growing string.
        Format::Json => json::write_json(a, out).map_err(write_error),
        // The page is written section by section, its per-entity parts a block at a time.
        Format::Html => html::write_html(a, out).map_err(write_error),
        _ => {
            let bytes = render(a, format, enc)?;
            out.write_all(&bytes).map_err(write_error)
        }
    }
}

/// Writes `bytes` to `path` atomically: a temporary file in the same directory, fsync, rename.
/// The directory must exist; nothing is left behind on failure.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, |w| {
        w.write_all(bytes)
            .map_err(|e| Error::usage(format!("cannot write: {e}")))
    })
}

/// Why a directory refused a new file, in words (tempfile's own error names its temporary
/// file, which means nothing to the user).
pub fn creation_refused(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::PermissionDenied => "no permission".to_string(),
        // (`/proc` as root: the directory exists but takes no new files.)
        K::NotFound => "it does not take new files".to_string(),
        K::ReadOnlyFilesystem => "a read-only file system".to_string(),
        K::StorageFull => "no space left".to_string(),
        other => other.to_string(),
    }
}

/// Like [`write_atomic`], with the content produced by `fill` writing into the temporary
/// file (buffered), so large outputs are streamed instead of held in memory.
pub fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> Result<()>,
) -> Result<()> {
    write_atomic_via(path, fill, true)
}

/// [`write_atomic_with`], through the page cache when `direct_wanted` is false (tests).
fn write_atomic_via(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> Result<()>,
    direct_wanted: bool,
) -> Result<()> {
    let shown = path.display().to_string();
    let io_err = |e: std::io::Error| {
        Error::one(Diagnostic::new(
            Stage::Io,
            format!("cannot write '{shown}': {e}"),
        ))
    };
    let add_path = |e: Error| {
        let mut d = e;
        for diag in d.diagnostics.iter_mut() {
            diag.message = format!("cannot write '{shown}': {}", diag.message);
        }
        d
    };
    // A device, a pipe or a socket (`--out /dev/stdout`, `/dev/null`, a FIFO) is written
    // into: renaming a file over it would replace the device with a file.
    let existing = std::fs::metadata(path).ok();
    if let Some(m) = &existing
        && ((!m.is_file() && !m.is_dir()) || is_standard_output(m))
    {
        // Our own standard output is written through its descriptor, which keeps the
        // shell's position and append mode (`>> log.csv`); opened again by name it would
        // start at the beginning of the file.
        // (A regular file there: its descriptor is valid, so std's stdout reports errors.)
        let mut file: Box<dyn Write> = if is_standard_output(m) {
            Box::new(std::io::stdout())
        } else {
            Box::new(
                std::fs::OpenOptions::new()
                    .write(true)
                    .open(path)
                    .map_err(io_err)?,
            )
        };
        let mut w = std::io::BufWriter::with_capacity(1 << 20, &mut file);
        fill(&mut w).map_err(add_path)?;
        return w.flush().map_err(io_err);
    }
    // A symbolic link is followed: the file it names is replaced, the link stays.
    let resolved = output_target(path);
    let path = resolved.as_path();
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Err(Error::one(
            Diagnostic::new(
                Stage::Io,
                format!(
                    "cannot write '{shown}': the directory '{}' does not exist",
                    dir.display()
                ),
            )
            .with_help("create the directory first; clusterscore does not create directories"),
        ));
    }
    let mut builder = tempfile::Builder::new();
    builder.prefix(".clusterscore-").suffix(".tmp");
    // A published file gets the mode any new file would (0666 less the umask), not the
    // owner-only mode temporary files are created with; a file replaced keeps its mode.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    // (tempfile's error names its temporary file: say which directory refused instead.)
    let mut tmp = builder.tempfile_in(&dir).map_err(|e| {
        let cause = creation_refused(&e);
        Error::one(
            Diagnostic::new(
                Stage::Io,
                format!(
                    "cannot write '{shown}': no file can be created in '{}' ({cause})",
                    dir.display()
                ),
            )
            .with_help("choose another directory for the output"),
        )
    })?;
    if let Some(m) = std::fs::metadata(path).ok().filter(|m| m.is_file()) {
        tmp.as_file()
            .set_permissions(m.permissions())
            .map_err(io_err)?;
    }
    // A signal from here to the rename removes the temporary file (see `interrupt`).
    let _guard = interrupt::Guard::new(tmp.path());
    #[cfg(target_os = "linux")]
    let direct = direct::open(tmp.path(), direct_wanted);
    #[cfg(not(target_os = "linux"))]
    let direct: Option<std::convert::Infallible> = {
        let _ = direct_wanted;
        None
    };
    match direct {
        #[cfg(target_os = "linux")]
        Some(file) => {
            let mut w = direct::Writer::new(file, tmp.path().to_path_buf());
            fill(&mut w).map_err(add_path)?;
            w.finish().map_err(io_err)?;
        }
        #[cfg(not(target_os = "linux"))]
        Some(never) => match never {},
        None => write_buffered(tmp.as_file_mut(), fill, add_path, io_err)?,
    }
    #[cfg(debug_assertions)]
    test_pause();
    tmp.as_file().sync_all().map_err(io_err)?;
    tmp.persist(path).map_err(|e| io_err(e.error))?;
    Ok(())
}

/// Whether `m` is the file this process's standard output goes to (`--out /dev/stdout`
/// with stdout redirected to a file, perhaps appended to): written into, not replaced.
fn is_standard_output(m: &std::fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
        // SAFETY: fstat writes a stat for a valid descriptor and fails otherwise.
        if unsafe { libc::fstat(1, st.as_mut_ptr()) } != 0 {
            return false;
        }
        // SAFETY: fstat succeeded, so the stat is initialised.
        let st = unsafe { st.assume_init() };
        // (The stat fields' widths differ between platforms.)
        #[allow(clippy::unnecessary_cast)]
        let same = st.st_dev as u64 == m.dev() && st.st_ino as u64 == m.ino();
        same
    }
    #[cfg(not(unix))]
    {
        let _ = m;
        false
    }
}

/// Where writing `path` puts the file: the path itself, or the file a symbolic link there
/// names (the link stays). The directory checked before a run is this path's.
pub fn output_target(path: &Path) -> std::path::PathBuf {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => link_target(path),
        _ => path.to_path_buf(),
    }
}

/// The file a symbolic link names, followed through chains of links (a dangling link gives
/// the path it points at, relative to the link's directory).
fn link_target(link: &Path) -> std::path::PathBuf {
    if let Ok(p) = std::fs::canonicalize(link) {
        return p;
    }
    let mut p = link.to_path_buf();
    // Bounded like the kernel's own limit on nested links.
    for _ in 0..40 {
        match std::fs::read_link(&p) {
            Ok(t) => {
                p = match p.parent() {
                    Some(d) if t.is_relative() => d.join(t),
                    _ => t,
                }
            }
            Err(_) => break,
        }
    }
    p
}

/// Fills `file` through the page cache, for file systems without direct I/O.
///
/// A long write has a second thread flush what is already written to the disk every 100 ms,
/// while the rest is still being formatted. Otherwise the kernel holds it all as dirty pages
/// until the final fsync, and the disk idles while the output is formatted. Runs shorter
/// than 100 ms never flush early. Errors of these early flushes show up again in the final
/// fsync.
fn write_buffered(
    file: &mut std::fs::File,
    fill: impl FnOnce(&mut dyn Write) -> Result<()>,
    add_path: impl Fn(Error) -> Error,
    io_err: impl Fn(std::io::Error) -> Error,
) -> Result<()> {
    let early = file.try_clone().ok();
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        let flusher = early.as_ref().map(|file| {
            let done = &done;
            scope.spawn(move || {
                loop {
                    std::thread::park_timeout(std::time::Duration::from_millis(100));
                    if done.load(std::sync::atomic::Ordering::Acquire) {
                        break;
                    }
                    let _ = file.sync_data();
                }
            })
        });
        let written = (|| {
            let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
            fill(&mut w).map_err(&add_path)?;
            w.flush().map_err(&io_err)
        })();
        done.store(true, std::sync::atomic::Ordering::Release);
        if let Some(f) = &flusher {
            f.thread().unpark();
        }
        written
    })
}

/// Direct I/O (`O_DIRECT`): the output goes from this process's buffer to the disk without
/// a copy in the page cache. On the project's machine a buffered write that is then synced
/// (as the atomic write requires) runs at ~75 MB/s, a direct one at 1.2–1.6 GB/s (`dd
/// oflag=direct conv=fsync`, docs/performance.md). Linux only; elsewhere, on file systems
/// that refuse to open a file for it (tmpfs), and from the first write a device refuses
/// (`EINVAL`), files are written through the page cache.
#[cfg(target_os = "linux")]
mod direct {
    use std::io::Write;
    use std::os::unix::fs::FileExt;
    use std::path::{Path, PathBuf};

    /// Direct I/O wants buffers, offsets and lengths in whole blocks of the device.
    const ALIGN: usize = 4096;
    /// Bytes handed to the disk per write.
    const CHUNK: usize = 4 << 20;

    /// The temporary file at `path` opened again for direct writing, if wanted and possible.
    pub fn open(path: &Path, wanted: bool) -> Option<std::fs::File> {
        use std::os::unix::fs::OpenOptionsExt;
        if !wanted {
            return None;
        }
        std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_DIRECT)
            .open(path)
            .ok()
    }

    /// Collects bytes into an aligned buffer and writes it in whole chunks at known offsets;
    /// [`Writer::finish`] writes the tail padded to a whole block and cuts the file back to
    /// its length.
    pub struct Writer {
        file: std::fs::File,
        path: PathBuf,
        /// Whether `file` still writes directly.
        direct: bool,
        /// `CHUNK + ALIGN` bytes; the chunk starts at `start`, aligned.
        store: Vec<u8>,
        start: usize,
        /// Bytes waiting in the chunk.
        len: usize,
        written: u64,
    }

    impl Writer {
        pub fn new(file: std::fs::File, path: PathBuf) -> Self {
            let store = vec![0u8; CHUNK + ALIGN];
            let start = store.as_ptr().align_offset(ALIGN);
            Writer {
                file,
                path,
                direct: true,
                store,
                start,
                len: 0,
                written: 0,
            }
        }

        /// Writes the first `n` bytes of the chunk at offset `written`. If the device
        /// refuses a direct write, the file is opened again without direct I/O and the same
        /// bytes are written at the same offset (so nothing is doubled or lost).
        fn put(&mut self, n: usize) -> std::io::Result<()> {
            let bytes = &self.store[self.start..self.start + n];
            match self.file.write_all_at(bytes, self.written) {
                Err(e) if self.direct && e.raw_os_error() == Some(libc::EINVAL) => {
                    self.file = std::fs::OpenOptions::new().write(true).open(&self.path)?;
                    self.direct = false;
                    self.file.write_all_at(bytes, self.written)
                }
                other => other,
            }
        }

        /// Writes what is left and gives the file its exact length.
        pub fn finish(mut self) -> std::io::Result<()> {
            if self.len > 0 {
                let (len, padded) = (self.len, self.len.next_multiple_of(ALIGN));
                let start = self.start;
                self.store[start + len..start + padded].fill(0);
                self.put(padded)?;
                self.written += len as u64;
                self.file.set_len(self.written)?;
            }
            Ok(())
        }
    }

    impl Write for Writer {
        fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
            let (start, len) = (self.start, self.len);
            let k = (CHUNK - len).min(data.len());
            self.store[start + len..start + len + k].copy_from_slice(&data[..k]);
            self.len += k;
            if self.len == CHUNK {
                self.put(CHUNK)?;
                self.written += CHUNK as u64;
                self.len = 0;
            }
            Ok(k)
        }

        /// Whole blocks only reach the disk in [`Writer::write`] and [`Writer::finish`].
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        /// A write the device refuses (here: a length that is not whole blocks) is written
        /// again through the page cache, at the same offset, and later writes follow it.
        #[test]
        fn refused_direct_writes_fall_back_to_the_page_cache() {
            let dir = tempfile::tempdir().unwrap();
            let p = dir.path().join("x.csv");
            std::fs::write(&p, b"").unwrap();
            let Some(file) = open(&p, true) else {
                return; // No direct I/O on this file system: nothing to fall back from.
            };
            let mut w = Writer::new(file, p.clone());
            let first: Vec<u8> = (0..100u8).collect();
            w.write_all(&first).unwrap();
            w.put(100).unwrap();
            w.written = 100;
            w.len = 0;
            assert!(!w.direct, "a 100-byte direct write is refused");
            let rest = vec![b'y'; CHUNK + 5];
            w.write_all(&rest).unwrap();
            w.finish().unwrap();
            let mut want = first;
            want.extend(rest);
            assert_eq!(std::fs::read(&p).unwrap(), want);
        }
    }
}

/// Debug builds only: `CLUSTERSCORE_TEST_PAUSE_MS` holds the temporary file open that long,
/// so that tests can interrupt a run inside the write window deterministically.
#[cfg(debug_assertions)]
fn test_pause() {
    if let Some(ms) = std::env::var("CLUSTERSCORE_TEST_PAUSE_MS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
    {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
}

/// Neutralises text that a spreadsheet would run as a formula (`=`, `+`, `-`, `@` first)
/// with a leading apostrophe. A plain number (`-5`, `+2.5`) is left as it is: a spreadsheet
/// reads it as that number, not a formula, and a second rules file must be able to read a
/// carried value back.
pub fn defuse_formula(s: &str) -> std::borrow::Cow<'_, str> {
    if runs_as_formula(s) {
        std::borrow::Cow::Owned(format!("'{s}"))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

pub use crate::data::cell::runs_as_formula;

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The Liaocheng pack scored on its fixture, with a fixed `generated_at`.
    pub(crate) fn liaocheng() -> Assessment {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let c = crate::rules::Rules::from_path(root.join("rules/liaocheng-benchmark.toml"))
            .unwrap()
            .compile()
            .unwrap();
        let ds = c
            .read_data(
                &[root.join("fixtures/liaocheng-2023.csv")],
                &c.read_options(),
            )
            .unwrap();
        c.assess_with(
            &ds,
            &crate::engine::AssessOptions {
                generated_at: Some("2026-01-01T00:00:00Z".into()),
                ..Default::default()
            },
        )
        .unwrap()
    }

    #[test]
    fn streamed_outputs_are_the_rendered_bytes() {
        let a = liaocheng();
        for format in [Format::Json, Format::Csv, Format::Md] {
            let mut streamed = Vec::new();
            render_to(&a, format, OutEncoding::default(), &mut streamed).unwrap();
            let rendered = render(&a, format, OutEncoding::default()).unwrap();
            assert!(streamed == rendered, "{format:?}");
        }
        let json = String::from_utf8(render(&a, Format::Json, OutEncoding::default()).unwrap());
        assert!(json.unwrap().ends_with("}\n"));
    }

    #[test]
    fn utc_formatting() {
        assert_eq!(format_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_utc(1_767_225_600), "2026-01-01T00:00:00Z");
        assert_eq!(format_utc(951_825_600), "2000-02-29T12:00:00Z");
    }

    #[test]
    fn sha256_of_empty_input() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn formulas_are_defused() {
        assert_eq!(defuse_formula("=1+1"), "'=1+1");
        assert_eq!(defuse_formula("-x"), "'-x");
        assert_eq!(defuse_formula("聊城"), "聊城");
        // Plain numbers are read as numbers, not formulas: left alone.
        assert_eq!(defuse_formula("-5"), "-5");
        assert_eq!(defuse_formula("+2.5"), "+2.5");
        assert_eq!(defuse_formula("-1e3"), "-1e3");
        assert_eq!(defuse_formula("-1+1"), "'-1+1");
        assert_eq!(defuse_formula("-inf"), "'-inf");
        assert_eq!(defuse_formula("+cmd|' /C calc'!A0"), "'+cmd|' /C calc'!A0");
    }

    #[test]
    fn atomic_write_refuses_missing_directory_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("nope").join("out.csv");
        assert!(write_atomic(&p, b"x").is_err());
        let p = dir.path().join("out.csv");
        write_atomic(&p, b"abc").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"abc");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1);
    }

    /// `--out` through a symbolic link replaces the file it names; a replaced file keeps
    /// its mode.
    #[cfg(unix)]
    #[test]
    fn a_replaced_file_keeps_its_mode_and_a_link_stays_a_link() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.csv");
        std::fs::write(&real, b"old").unwrap();
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
        let link = dir.path().join("link.csv");
        std::os::unix::fs::symlink("real.csv", &link).unwrap();
        write_atomic(&link, b"new").unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read(&real).unwrap(), b"new");
        let mode = std::fs::metadata(&real).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
        // A dangling link creates the file it names.
        let dangling = dir.path().join("dangling.csv");
        std::os::unix::fs::symlink("later.csv", &dangling).unwrap();
        write_atomic(&dangling, b"x").unwrap();
        assert_eq!(std::fs::read(dir.path().join("later.csv")).unwrap(), b"x");
        assert!(
            std::fs::symlink_metadata(&dangling)
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }

    #[test]
    #[cfg(unix)]
    fn a_pipe_is_written_into_not_replaced() {
        use std::io::Read;
        use std::os::unix::fs::FileTypeExt;
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || {
                let mut got = Vec::new();
                std::fs::File::open(&fifo)
                    .unwrap()
                    .read_to_end(&mut got)
                    .unwrap();
                got
            })
        };
        write_atomic(&fifo, b"through the pipe").unwrap();
        assert_eq!(reader.join().unwrap(), b"through the pipe");
        assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file"
        );
    }

    /// An output file gets the mode of any new file under the process's umask (tempfile's
    /// owner-only 0600 made published results unreadable to colleagues).
    #[cfg(unix)]
    #[test]
    fn atomic_write_gives_the_mode_of_a_new_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain.csv");
        std::fs::write(&plain, b"x").unwrap();
        let p = dir.path().join("out.csv");
        write_atomic(&p, b"x").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&p), mode(&plain));
    }

    /// A write long enough for the early flushes (300 ms of pieces, flushed every 100 ms)
    /// produces exactly the bytes written, and a fill that fails after some early flushes
    /// leaves no file behind.
    #[test]
    fn long_writes_flushed_early_are_complete_or_absent() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.csv");
        let mut want = Vec::new();
        write_atomic_via(
            &p,
            |w| {
                for k in 0..6u32 {
                    let piece = format!("{k},{}\n", "x".repeat(1 << 16)).into_bytes();
                    w.write_all(&piece).unwrap();
                    w.flush().unwrap();
                    want.extend(piece);
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                Ok(())
            },
            false,
        )
        .unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), want);
        let q = dir.path().join("failed.csv");
        let failed = write_atomic_via(
            &q,
            |w| {
                w.write_all(b"partial").unwrap();
                w.flush().unwrap();
                std::thread::sleep(std::time::Duration::from_millis(250));
                Err(Error::usage("the data ran out"))
            },
            false,
        );
        assert!(failed.is_err());
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("out.csv")]);
    }

    /// Direct writes give exactly the bytes written at every length around the block and
    /// chunk sizes, in pieces of any size, and a failed fill leaves no file.
    #[test]
    fn direct_writes_are_exact_at_every_length() {
        let dir = tempfile::tempdir().unwrap();
        let chunk = 4 << 20;
        for (i, len) in [
            0,
            1,
            4095,
            4096,
            4097,
            100_000,
            chunk - 1,
            chunk,
            chunk + 1,
            2 * chunk + 4097,
        ]
        .into_iter()
        .enumerate()
        {
            let bytes: Vec<u8> = (0..len).map(|k| (k * 7 + k / 4096) as u8).collect();
            for direct_wanted in [true, false] {
                let p = dir.path().join(format!("out{i}{direct_wanted}.csv"));
                write_atomic_via(
                    &p,
                    |w| {
                        // Pieces of 1, 2, 3 … bytes, then the rest at once.
                        let (mut at, mut piece) = (0, 1);
                        while at < len / 2 {
                            let end = (at + piece).min(len);
                            w.write_all(&bytes[at..end]).unwrap();
                            w.flush().unwrap();
                            (at, piece) = (end, piece + 1);
                        }
                        w.write_all(&bytes[at..]).unwrap();
                        Ok(())
                    },
                    direct_wanted,
                )
                .unwrap();
                assert_eq!(std::fs::read(&p).unwrap(), bytes, "{len} {direct_wanted}");
            }
        }
        let q = dir.path().join("failed.csv");
        let failed = write_atomic_via(
            &q,
            |w| {
                w.write_all(&vec![b'x'; chunk + 10]).unwrap();
                Err(Error::usage("the data ran out"))
            },
            true,
        );
        assert!(failed.is_err());
        assert!(!q.exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 20);
    }
}
