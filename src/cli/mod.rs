//! The command line: parse arguments, call the library, print. Only this module prints.
#![allow(clippy::print_stdout, clippy::print_stderr)]

/// `eprintln!` that does not panic when stderr is closed (`check x.toml 2>&1 | head -1`):
/// the message is lost, and the command still ends with its own exit code.
/// Made safe for the terminal first ([`clusterscore::diag::terminal_safe`]): messages quote
/// values from the data.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let text = format!($($arg)*);
        let _ = writeln!(std::io::stderr(), "{}", clusterscore::diag::terminal_safe(&text));
    }};
}

/// `eprint!` without the line end, on the same terms as [`say!`].
macro_rules! say_part {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let text = format!($($arg)*);
        let _ = write!(std::io::stderr(), "{}", clusterscore::diag::terminal_safe(&text));
    }};
}

mod check;
mod compare;
mod explain;
mod score;
mod sensitivity;
mod weights;

use clap::{Parser, Subcommand};
use clusterscore::diag::{Diagnostic, Error, Result, Stage};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Parser, Debug)]
#[command(
    name = "clusterscore",
    version,
    about = "Score industrial clusters and enterprises against TOML rules files and produce ranked tier assessments"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Score data against a rules file and write the ranked assessment.
    Score(score::ScoreArgs),
    /// Validate a rules file and summarise it (indicators, criteria, tiers, lints).
    Check(check::CheckArgs),
    /// One entity: every criterion, gates, the tier trace, and what it takes to move up.
    Explain(explain::ExplainArgs),
    /// Compare two rankings: two rules files on one data set, or two result JSON files.
    Compare(compare::CompareArgs),
    /// Monte Carlo robustness of the ranking to weights, criterion points or the method.
    Sensitivity(sensitivity::SensitivityArgs),
    /// Data-driven (entropy, CRITIC) or AHP weights; optionally written into a rules file.
    Weights(weights::WeightsArgs),
}

/// How to read the data files, shared by every command that reads `--data`.
#[derive(clap::Args, Debug, Default)]
pub struct DataReadArgs {
    /// XLSX sheet to read (overrides [data].sheet).
    #[arg(long, value_parser = clap::builder::NonEmptyStringValueParser::new())]
    pub sheet: Option<String>,
    /// Input encoding: utf8, gbk (also gb2312, gb18030), utf16 (by its byte-order mark),
    /// utf-16le, utf-16be (default: detected per file).
    #[arg(long)]
    pub encoding: Option<String>,
    /// Field delimiter: one ASCII character (default ,), or \t / tab.
    #[arg(long)]
    pub delimiter: Option<String>,
}

impl DataReadArgs {
    /// Checks the options before anything is read (usage errors, exit 2) and notes a
    /// `--sheet` that no workbook will use, or `--encoding` / `--delimiter` that no text
    /// file will.
    pub(crate) fn validate(&self, data: &[PathBuf]) -> Result<()> {
        if data.is_empty()
            && (self.sheet.is_some() || self.encoding.is_some() || self.delimiter.is_some())
        {
            return Err(Error::usage(
                "--sheet, --encoding and --delimiter say how to read --data; give them with --data",
            ));
        }
        if let Some(d) = &self.delimiter {
            clusterscore::data::parse_delimiter(d)?;
        }
        if let Some(e) = &self.encoding {
            clusterscore::data::parse_encoding(e)?;
        }
        if self.sheet.is_some() && !data.iter().any(|p| clusterscore::data::is_xlsx(p)) {
            say!("note: --sheet applies to XLSX data only; no --data file is a workbook");
        }
        if !data.is_empty() && data.iter().all(|p| clusterscore::data::is_xlsx(p)) {
            for (flag, given) in [
                ("--encoding", self.encoding.is_some()),
                ("--delimiter", self.delimiter.is_some()),
            ] {
                if given {
                    say!(
                        "note: {flag} applies to delimited text (CSV) only; every --data file is a workbook"
                    );
                }
            }
        }
        Ok(())
    }

    /// The rules' read options with these overrides.
    pub(crate) fn options(
        &self,
        compiled: &clusterscore::engine::CompiledRules,
    ) -> Result<clusterscore::data::ReadOptions> {
        let mut read = compiled.read_options();
        if let Some(d) = &self.delimiter {
            read.delimiter = clusterscore::data::parse_delimiter(d)?;
        }
        if self.encoding.is_some() {
            read.encoding = self.encoding.clone();
        }
        if self.sheet.is_some() {
            read.sheet = self.sheet.clone();
        }
        Ok(read)
    }
}

/// Runs the command line and returns the process exit code.
pub fn run() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            // `--help` and `--version` write to stdout: a failed write is an error, as for
            // any other output (`--help > /dev/full`).
            if e.print().is_err() && !e.use_stderr() {
                say!("error: cannot write to standard output");
                return 1;
            }
            // `args_os`: `args` panics on an argument that is not UTF-8 (a GBK file name).
            let args: Vec<String> = std::env::args_os()
                .map(|a| a.to_string_lossy().into_owned())
                .collect();
            if e.kind() == clap::error::ErrorKind::InvalidUtf8 {
                say!(
                    "\ntip: an id, sheet or other text argument arrived in another encoding than UTF-8 \
                     (a terminal set to GBK?): switch the terminal to UTF-8 (`chcp 65001` on Windows, \
                     a zh_CN.UTF-8 locale elsewhere); file paths may be in any encoding"
                );
            }
            if let Some(tip) = files_without_flags(&e, &args) {
                say!("\ntip: {tip}");
            }
            return code;
        }
    };
    // A malformed SOURCE_DATE_EPOCH is refused, as the reproducible-builds convention asks:
    // falling back to the current time would defeat a build meant to be reproducible.
    let result = clusterscore::report::source_date_epoch()
        .map_err(Error::usage)
        .and_then(|_| match cli.command {
            Command::Score(a) => score::run(a),
            Command::Check(a) => check::run(a),
            Command::Explain(a) => explain::run(a),
            Command::Compare(a) => compare::run(a),
            Command::Sensitivity(a) => sensitivity::run(a),
            Command::Weights(a) => weights::run(a),
        });
    match result {
        Ok(code) => code,
        Err(e) => {
            let mut text = e.to_string();
            if text.len() > 64 * 1024 {
                text.truncate(text.floor_char_boundary(64 * 1024));
                text.push_str("\n… (further diagnostics cut)");
            }
            say!("{text}");
            e.exit_code()
        }
    }
}

/// For `clusterscore score rules.toml data.csv` (files without their flags, as many tools
/// take them): the command line with each file after the flag its extension suggests,
/// among the flags the subcommand has. `None` for other errors.
fn files_without_flags(e: &clap::Error, args: &[String]) -> Option<String> {
    use clap::CommandFactory;
    use clap::error::{ContextKind, ContextValue};
    if e.kind() != clap::error::ErrorKind::UnknownArgument {
        return None;
    }
    // A long flag clap does not know (`--output`) has its own did-you-mean; this tip is for
    // files written without their flags (and `-o`, which it turns into --out).
    if let Some(ContextValue::String(bad)) = e.get(ContextKind::InvalidArg)
        && bad.starts_with("--")
    {
        return None;
    }
    let sub = args.get(1)?;
    let cli = Cli::command();
    let cmd = cli.find_subcommand(sub)?;
    let has = |long: &str| cmd.get_arguments().any(|a| a.get_long() == Some(long));
    // A flag given once only (`--rules` of `check`) cannot take a second file.
    let repeatable = |long: &str| {
        cmd.get_arguments().any(|a| {
            a.get_long() == Some(long) && matches!(a.get_action(), clap::ArgAction::Append)
        })
    };
    let mut used: Vec<String> = args[2..]
        .iter()
        .filter_map(|a| a.strip_prefix("--"))
        .map(|a| a.split('=').next().unwrap_or(a).to_string())
        .collect();
    let takes_value = |long: &str| {
        cmd.get_arguments()
            .any(|a| a.get_long() == Some(long) && a.get_action().takes_values())
    };
    let quoted = |a: &str| {
        if a.contains([' ', '\'', '"']) {
            format!("'{}'", a.replace('\'', "'\\''"))
        } else {
            a.to_string()
        }
    };
    let mut out = vec!["clusterscore".to_string(), sub.clone()];
    let mut changed = false;
    let mut value_next = false;
    for a in &args[2..] {
        if value_next {
            value_next = false;
            out.push(quoted(a));
            continue;
        }
        if let Some(long) = a.strip_prefix("--") {
            // An unknown long flag (`--outt`) makes any suggested line fail again.
            if !has(long.split('=').next().unwrap_or(long)) {
                return None;
            }
            value_next = !long.contains('=') && takes_value(long);
            out.push(quoted(a));
            continue;
        }
        // A short flag (`-o out.csv`): its value follows unless written on to it.
        if let Some(short) = a.strip_prefix('-').filter(|s| !s.is_empty()) {
            let mut chars = short.chars();
            let c = chars.next();
            // (An unknown one, `-o` for --out, is taken to have a value, as most tools'.)
            value_next = chars.next().is_none()
                && !cmd
                    .get_arguments()
                    .any(|x| x.get_short() == c && !x.get_action().takes_values());
            // `-o out.csv`, as many tools write it: --out here.
            let known = cmd.get_arguments().any(|x| x.get_short() == c);
            if short == "o" && !known && has("out") {
                out.push("--out".to_string());
                changed = true;
            } else {
                out.push(quoted(a));
            }
            continue;
        }
        let lower = a.to_lowercase();
        // (A pairwise matrix for AHP is a TOML file too: `matrix =` tells it apart.)
        let ahp_matrix = || {
            std::fs::read_to_string(a).is_ok_and(|t| {
                t.lines()
                    .any(|l| l.trim_start().starts_with("matrix") && l.contains('='))
            })
        };
        let exists = std::path::Path::new(a).exists();
        let flag = if lower.ends_with(".toml") && has("ahp") && ahp_matrix() {
            "ahp"
        } else if lower.ends_with(".toml") && has("rules") {
            "rules"
        } else if (lower.ends_with(".csv") || lower.ends_with(".xlsx"))
            && !exists
            && used.iter().any(|u| u == "data")
            && sub == "score"
        {
            // An input must exist: a file that does not, after the data, is the output.
            "out"
        } else if (lower.ends_with(".csv") || lower.ends_with(".xlsx")) && has("data") {
            "data"
        } else if lower.ends_with(".json") && has("results") {
            "results"
        } else if has("id") && !exists && !a.contains(['.', '/', '\\']) {
            "id"
        } else {
            out.push(quoted(a));
            continue;
        };
        if used.iter().any(|u| u == flag) && !repeatable(flag) {
            // (`check a.toml b.toml`: no flag placement makes that command valid.)
            return None;
        }
        used.push(flag.to_string());
        out.push(format!("--{flag}"));
        out.push(quoted(a));
        changed = true;
    }
    changed.then(|| format!("files are given after their flags: {}", out.join(" ")))
}

/// Reads the data and scores it with `opts`, as `explain`, `compare`, `weights` and
/// `sensitivity` do, with the progress of both on a terminal (see [`RunProgress`]); the
/// progress is handed back so that the command can name its own step on it.
pub(crate) fn read_and_score(
    compiled: &clusterscore::CompiledRules,
    paths: &[PathBuf],
    read: &DataReadArgs,
    opts: &clusterscore::engine::AssessOptions,
) -> Result<(
    clusterscore::Dataset,
    clusterscore::Assessment,
    Option<RunProgress>,
)> {
    let mut options = read.options(compiled)?;
    let mut progress = RunProgress::reading_into(paths, &mut options);
    let data = compiled.read_data(paths, &options)?;
    if let Some(p) = progress.as_mut() {
        // (`compare` scores two rules files one after the other: say which.)
        p.step(&format!("scoring with {}", opts.rules_path));
    }
    let assessment = compiled.assess_with(&data, opts)?;
    Ok((data, assessment, progress))
}

/// Progress of a run on stderr, only when stderr is a terminal (quiet in pipes and CI,
/// SPEC §8): a bar of the data's bytes while the files are read, then a spinner naming
/// the step. Cleared when finished or dropped (an error prints on a clean line).
pub(crate) struct RunProgress {
    bar: indicatif::ProgressBar,
    /// The thread moving the bar to the bytes read, and its stop flag.
    ticker: Option<(
        std::sync::Arc<std::sync::atomic::AtomicBool>,
        std::thread::JoinHandle<()>,
    )>,
}

impl RunProgress {
    /// On a terminal, starts the bar of the bytes `options` will count as `paths` are read
    /// (a counter is attached to them); `None`, and `options` left as they are, elsewhere.
    pub(crate) fn reading_into(
        paths: &[std::path::PathBuf],
        options: &mut clusterscore::data::ReadOptions,
    ) -> Option<Self> {
        let counter = clusterscore::data::ReadProgress::new();
        let progress = Self::reading(paths, &counter)?;
        options.progress = Some(counter);
        Some(progress)
    }

    /// Starts the bar of the bytes `counter` counts out of the files' sizes.
    fn reading(
        paths: &[std::path::PathBuf],
        counter: &clusterscore::data::ReadProgress,
    ) -> Option<Self> {
        use std::io::IsTerminal;
        use std::sync::atomic::{AtomicBool, Ordering};
        if !std::io::stderr().is_terminal() {
            return None;
        }
        let total: u64 = paths
            .iter()
            .filter_map(|p| std::fs::metadata(p).ok())
            .map(|m| m.len())
            .sum();
        let bar = indicatif::ProgressBar::new(total)
            .with_style(
                indicatif::ProgressStyle::with_template(
                    "reading data {bar:30} {bytes}/{total_bytes} {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            )
            .with_finish(indicatif::ProgressFinish::AndClear);
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let ticker = std::thread::spawn({
            let (bar, counter, stop) = (bar.clone(), counter.clone(), stop.clone());
            move || {
                while !stop.load(Ordering::Relaxed) {
                    bar.set_position(counter.bytes());
                    std::thread::park_timeout(std::time::Duration::from_millis(100));
                }
            }
        });
        Some(RunProgress {
            bar,
            ticker: Some((stop, ticker)),
        })
    }

    /// The reading is over: a spinner naming the step from now on.
    pub(crate) fn step(&mut self, message: &str) {
        self.stop_ticker();
        self.bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        self.bar.set_message(message.to_string());
        self.bar
            .enable_steady_tick(std::time::Duration::from_millis(120));
    }

    fn stop_ticker(&mut self) {
        if let Some((stop, ticker)) = self.ticker.take() {
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            ticker.thread().unpark();
            let _ = ticker.join();
        }
    }
}

impl Drop for RunProgress {
    fn drop(&mut self) {
        self.stop_ticker();
        self.bar.finish_and_clear();
    }
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
pub(crate) fn print_out(bytes: &[u8]) -> Result<()> {
    // On a terminal, values from the data (the Markdown table, `explain`) must not drive it
    // either; redirected to a file or a pipe, the output is written as it is.
    let shown = std::str::from_utf8(bytes)
        .ok()
        .filter(|_| std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .map(clusterscore::diag::terminal_safe);
    let bytes = shown.as_deref().map_or(bytes, str::as_bytes);
    let _ = std::io::stdout().flush();
    match StandardOutput::new().write_all(bytes) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(stdout_error(&e)),
    }
}

/// Writes a result to standard output as `fill` renders it. Redirected to a file or a pipe
/// (`> r.json`, `| gzip`), a large CSV, JSON or HTML result is streamed instead of held
/// whole (a 10⁵-entity JSON is 0.4 GB); on a terminal it is rendered first and written by
/// [`print_out`], made safe to show. A closed pipe ends the writing without an error.
pub(crate) fn stream_out(fill: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
    if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        let mut bytes = Vec::new();
        fill(&mut bytes)?;
        return print_out(&bytes);
    }
    let _ = std::io::stdout().flush();
    let mut w = std::io::BufWriter::with_capacity(
        1 << 20,
        Watched {
            out: StandardOutput::new(),
            failed: None,
        },
    );
    let filled = fill(&mut w);
    let flushed = if filled.is_ok() { w.flush() } else { Ok(()) };
    // (What is still buffered after a failure is dropped, not written again.)
    let (sink, _) = w.into_parts();
    match sink.failed {
        // The renderers turn a write error into their own message: the descriptor's own
        // error decides (a reader gone is no error; EBADF or a full disk is).
        Some(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Some(e) => Err(stdout_error(&e)),
        None => filled.and(flushed.map_err(|e| stdout_error(&e))),
    }
}

/// Standard output written through descriptor 1 itself: the standard library's stdout
/// reports a closed or unwritable descriptor (EBADF) as success, and a result would be
/// lost without a word.
struct StandardOutput {
    #[cfg(unix)]
    fd: std::mem::ManuallyDrop<std::fs::File>,
    #[cfg(not(unix))]
    out: std::io::Stdout,
}

impl StandardOutput {
    fn new() -> Self {
        #[cfg(unix)]
        {
            use std::os::fd::FromRawFd;
            // SAFETY: descriptor 1 is only borrowed (never closed: ManuallyDrop) and nothing
            // else writes to it meanwhile (std's stdout is flushed before).
            let fd = std::mem::ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(1) });
            StandardOutput { fd }
        }
        #[cfg(not(unix))]
        {
            StandardOutput {
                out: std::io::stdout(),
            }
        }
    }
}

impl Write for StandardOutput {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        #[cfg(unix)]
        {
            (&*self.fd).write(buf)
        }
        #[cfg(not(unix))]
        {
            self.out.write(buf)
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        #[cfg(unix)]
        {
            Ok(())
        }
        #[cfg(not(unix))]
        {
            self.out.flush()
        }
    }
}

/// A writer that keeps the first error its destination gave.
struct Watched<W> {
    out: W,
    failed: Option<std::io::Error>,
}

impl<W: Write> Write for Watched<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.out.write(buf).inspect_err(|e| {
            // (An interrupted write is tried again by the writer above: not a failure.)
            if self.failed.is_none() && e.kind() != std::io::ErrorKind::Interrupted {
                self.failed = Some(std::io::Error::new(e.kind(), e.to_string()));
            }
        })
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// The error of a result standard output did not take.
fn stdout_error(e: &std::io::Error) -> Error {
    Error::one(
        clusterscore::diag::Diagnostic::new(
            clusterscore::diag::Stage::Io,
            format!("cannot write to standard output: {e}"),
        )
        .with_help(
            "send the output to a file instead: redirect it (> FILE), or with `score`, \
             give --out FILE",
        ),
    )
}

/// Prints a run's warnings to stderr, one `warning:` line each, for outputs that do not carry
/// them (CSV, and what `explain`, `compare` and `sensitivity` print): a warning SPEC asks
/// for (the latest year scored, a missing value that decided an outcome) is never silent.
/// `of` names the run when a command makes several (`compare --rules A --rules B`).
pub(crate) fn print_warnings(of: Option<&Path>, warnings: &[String]) {
    for w in warnings {
        match of {
            Some(p) => say!("warning: {}", of_rules_file(p, w)),
            None => say!("warning: {w}"),
        }
    }
}

/// A warning of the run with rules file `p`, saying so (`p: …`) unless it is located in
/// that file already (`p:74:3: …`).
pub(crate) fn of_rules_file(p: &Path, warning: &str) -> String {
    let shown = p.display().to_string();
    if warning.starts_with(&format!("{shown}:")) {
        warning.to_string()
    } else {
        format!("{shown}: {warning}")
    }
}

/// Refuses an output path that is one of the inputs (SPEC §7, §12).
///
/// Also checked before any work, as usage errors like the extension's: the directory of
/// `out` must exist (it is not created, SPEC §7) and `out` must not be a directory.
pub(crate) fn refuse_overwrite(out: &Path, inputs: &[&Path]) -> Result<()> {
    let dir = match out.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if dir.exists() && !dir.is_dir() {
        return Err(Error::usage(format!(
            "cannot write '{}': '{}' is a file, not a directory",
            out.display(),
            dir.display()
        )));
    }
    if !dir.is_dir() {
        return Err(Error::usage(format!(
            "cannot write '{}': the directory '{}' does not exist (create it first; clusterscore does not create directories)",
            out.display(),
            dir.display()
        )));
    }
    // A name the system cannot look up (a link that loops, a name too long for the file
    // system) is refused now, not after the whole run (nor is a looping link replaced).
    #[cfg(unix)]
    if let Err(e) = std::fs::metadata(out) {
        let name_len = out.file_name().map_or(0, |n| n.len());
        let why = match e.raw_os_error() {
            Some(libc::ELOOP) => Some(
                "it is a symbolic link that loops (too many levels of symbolic links); give a file name, or remove the link".to_string(),
            ),
            Some(libc::ENAMETOOLONG) if name_len > 255 => Some(format!(
                "the name is too long for the file system (its file name is {name_len} bytes; most file systems take 255): shorten it"
            )),
            Some(libc::ENAMETOOLONG) => Some(format!(
                "the path is too long for the system ({} bytes): give a shorter one, or write from a directory nearer the file",
                out.as_os_str().len()
            )),
            _ => None,
        };
        if let Some(why) = why {
            return Err(Error::usage(format!(
                "cannot write '{}': {why}",
                clusterscore::diag::truncate(&out.display().to_string(), 200)
            )));
        }
    }
    // A directory the user may not write to is found now, not after the whole run. (A
    // device or a pipe is written into, not created: its directory does not matter.)
    // Through a symbolic link the file it names is written: its directory counts.
    let special = std::fs::metadata(out).is_ok_and(|m| !m.is_file() && !m.is_dir());
    let target = clusterscore::report::output_target(out);
    let target_dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    // A symbolic link into a directory that does not exist (a dangling link).
    if !target_dir.is_dir() {
        return Err(Error::usage(format!(
            "cannot write '{}': it is a symbolic link to '{}', whose directory '{}' does not exist",
            out.display(),
            target.display(),
            target_dir.display()
        )));
    }
    #[cfg(unix)]
    if !special {
        use std::os::unix::ffi::OsStrExt;
        let dir = target_dir.as_path();
        if let Ok(c) = std::ffi::CString::new(dir.as_os_str().as_bytes())
            // SAFETY: a valid NUL-terminated path; access(2) only reads it.
            && unsafe { libc::access(c.as_ptr(), libc::W_OK) } != 0
        {
            return Err(Error::usage(format!(
                "cannot write '{}': no permission to create files in '{}' (choose another directory)",
                out.display(),
                dir.display()
            )));
        }
        // Where permission is not the question (root, who may write anywhere, in `/proc` or
        // `/sys`): a file is created there, so that the refusal comes now. An unnamed one
        // (O_TMPFILE where the file system has it, else created and unlinked at once): a
        // Ctrl-C at that instant leaves nothing behind, as no signal handler covers it yet.
        if let Err(e) = tempfile::tempfile_in(dir) {
            return Err(Error::usage(format!(
                "cannot write '{}': no file can be created in '{}' ({}; choose another directory)",
                out.display(),
                dir.display(),
                clusterscore::report::creation_refused(&e)
            )));
        }
    }
    if out.is_dir() {
        return Err(Error::usage(format!(
            "cannot write '{}': it is a directory; give a file name",
            out.display()
        )));
    }
    // A file marked read-only is kept: the atomic rename would replace it without a word.
    if std::fs::metadata(&target).is_ok_and(|m| m.is_file() && m.permissions().readonly()) {
        return Err(Error::usage(format!(
            "cannot write '{}': the file is read-only (someone protected it; choose another name, or make it writable first)",
            out.display()
        )));
    }
    if out.as_os_str().as_encoded_bytes().ends_with(b"/") {
        return Err(Error::usage(format!(
            "cannot write '{}': a path ending in '/' names a directory; give a file name",
            out.display()
        )));
    }
    let o = canonical(out);
    // The same file under another name (a hard link) is the same file too.
    #[cfg(unix)]
    let same_inode = |i: &Path| {
        use std::os::unix::fs::MetadataExt;
        match (std::fs::metadata(out), std::fs::metadata(i)) {
            (Ok(a), Ok(b)) => a.is_file() && a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    };
    #[cfg(not(unix))]
    let same_inode = |_: &Path| false;
    for i in inputs {
        if (o.is_some() && o == canonical(i)) || same_inode(i) {
            return Err(Error::one(
                Diagnostic::new(
                    Stage::Usage,
                    format!(
                        "refusing to write '{}': it is an input file of this run",
                        out.display()
                    ),
                )
                .with_help(
                    "writing it would overwrite that input: give the output another file name",
                ),
            ));
        }
    }
    Ok(())
}

/// A path with its directory resolved (`./w.toml`, `w.toml` and `/abs/w.toml` agree), for
/// telling whether two names are one file; a file that does not exist yet keeps its name
/// under its resolved directory.
fn canonical(p: &Path) -> Option<PathBuf> {
    if let Ok(c) = p.canonicalize() {
        return Some(c);
    }
    let parent = match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.canonicalize().ok()?,
        _ => std::env::current_dir().ok()?,
    };
    Some(parent.join(p.file_name()?))
}

/// Whether two output names are one file (`--out` against `--write` or `--runs-out`): through
/// symbolic links (also to a file not yet written), as the writer follows them. Devices
/// (`/dev/stdout` and `/dev/stderr` on one terminal) are written into, not replaced: never
/// the same file here.
pub(crate) fn same_file(a: &Path, b: &Path) -> bool {
    let device = |p: &Path| std::fs::metadata(p).is_ok_and(|m| !m.is_file() && !m.is_dir());
    if device(a) || device(b) {
        return false;
    }
    let (a, b) = (
        clusterscore::report::output_target(a),
        clusterscore::report::output_target(b),
    );
    a == b || canonical(&a).is_some_and(|c| Some(c) == canonical(&b))
}

/// The format of a report (`explain`, `compare`, `sensitivity`, `weights`): `--format`,
/// else `--out`'s extension (`.json` is JSON, `.txt`, `.md` or none text); `true` for JSON.
/// An extension of a format these reports are not written in (`.csv`, `.xlsx`, `.html`) is
/// a usage error rather than a file that would not open.
pub(crate) fn report_format(format: Option<&str>, out: Option<&Path>) -> Result<bool> {
    let ext = out
        .and_then(|p| p.extension())
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    // What the extension says: JSON, text, or nothing.
    let by_name = match ext.as_deref() {
        Some("json") => Some(true),
        Some("txt" | "text" | "md" | "log") => Some(false),
        Some(other)
            if out
                .and_then(clusterscore::report::Format::from_path)
                .is_some() =>
        {
            return Err(Error::usage(format!(
                "this report is written as text or JSON, not .{other}: name the --out file \
                 .txt or .json (score writes .{other})"
            )));
        }
        _ => None,
    };
    let Some(f) = format else {
        return Ok(by_name.unwrap_or(false));
    };
    let json = text_or_json(f)?;
    // `--format` wins, as for `score`; a name that promises the other format is said.
    if let (Some(named), Some(out)) = (by_name, out)
        && named != json
    {
        say!(
            "note: writing {} into '{}', whose extension says {}",
            if json { "json" } else { "text" },
            out.display(),
            if named { "json" } else { "text" }
        );
    }
    Ok(json)
}

/// `--out` of a report: `None` for standard output (`-` too); a file is checked before any
/// work (not a directory, not one of the inputs).
pub(crate) fn report_out(out: &Option<PathBuf>, inputs: &[&Path]) -> Result<Option<PathBuf>> {
    match out {
        Some(p) if p.as_os_str() != "-" => {
            refuse_overwrite(p, inputs)?;
            Ok(Some(p.clone()))
        }
        _ => Ok(None),
    }
}

/// A report to its `--out` file, written whole or not at all, or to standard output.
pub(crate) fn deliver(out: Option<&Path>, bytes: &[u8]) -> Result<()> {
    match out {
        Some(p) => clusterscore::report::write_atomic(p, bytes),
        None => print_out(bytes),
    }
}

/// `--format text|json` of the analysis commands: true for json.
pub(crate) fn text_or_json(format: &str) -> Result<bool> {
    match format.to_ascii_lowercase().as_str() {
        "text" => Ok(false),
        "json" => Ok(true),
        other => Err(Error::usage(format!(
            "unknown --format '{other}': use text or json"
        ))),
    }
}

/// A whole number given on the command line (`--top`, `--threads`, `--runs`, `--seed`);
/// a negative one is named as such (clap would read `-1` as an unknown flag). Each
/// command checks its own lower bound (`--runs` at least 1).
pub(crate) fn parse_whole<T: std::str::FromStr>(s: &str) -> std::result::Result<T, String> {
    let t = s.trim();
    t.parse::<T>().map_err(|_| match t.parse::<i128>() {
        Ok(n) if n < 0 => format!("{t} is negative: give a whole number"),
        Ok(_) => format!("{t} is too large"),
        Err(_) => format!("expected a whole number, found '{t}'"),
    })
}

/// `--year`: a four-digit year (a rules file's `year` takes the same range). `23` or
/// `2023年` is a usage error that says what to write.
pub(crate) fn parse_year(s: &str) -> std::result::Result<i64, String> {
    // Full-width digits (２０２３) read as their ASCII forms, as in data cells.
    let folded: String = s
        .trim()
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            c => c,
        })
        .collect();
    let t = folded.as_str();
    let digits = t.trim_end_matches('年');
    match digits.parse::<i64>() {
        Ok(y) if (1000..=9999).contains(&y) && digits.len() == t.len() => Ok(y),
        Ok(y) if (1000..=9999).contains(&y) => Err(format!("write the year alone: --year {y}")),
        _ => Err("a year is a number from 1000 to 9999: write, e.g., --year 2023".into()),
    }
}

/// `--weight-noise`: δ strictly between 0 and 1; `20%` or `20` is read back as what to write
/// (0.2).
pub(crate) fn parse_noise(s: &str) -> std::result::Result<f64, String> {
    let t = s.trim();
    let as_share = |p: &str| {
        p.parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .map(|x| clusterscore::column::format_display(x / 100.0))
    };
    if let Some(p) = t.strip_suffix('%') {
        return Err(match as_share(p) {
            Some(_)
                if p.trim()
                    .parse::<f64>()
                    .is_ok_and(|x| !(x > 0.0 && x < 100.0)) =>
            {
                format!("--weight-noise must be strictly between 0 and 1 (0 % and 100 %); got {t}")
            }
            Some(share) => format!("write ±{p} % as a fraction: --weight-noise {share}"),
            None => "write δ as a fraction between 0 and 1, e.g. --weight-noise 0.2".into(),
        });
    }
    match t.parse::<f64>() {
        Ok(x) if x > 0.0 && x < 1.0 => Ok(x),
        Ok(x) if x > 1.0 && x < 100.0 => Err(format!(
            "--weight-noise must be strictly between 0 and 1 (got {t}): for ±{} % write \
             --weight-noise {}",
            clusterscore::column::format_display(x),
            as_share(t).unwrap_or_default()
        )),
        _ => Err(format!(
            "--weight-noise must be strictly between 0 and 1 (got {t}), e.g. --weight-noise 0.2"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_and_noise_say_what_to_write() {
        assert_eq!(parse_year("2023"), Ok(2023));
        assert_eq!(
            parse_year("2023年"),
            Err("write the year alone: --year 2023".into())
        );
        assert!(parse_year("23").unwrap_err().contains("from 1000 to 9999"));
        assert!(parse_year("0999").is_err());
        assert_eq!(parse_year("２０２３"), Ok(2023));
        assert!(
            parse_noise("150%")
                .unwrap_err()
                .contains("strictly between 0 and 1")
        );
        assert_eq!(
            parse_noise("1"),
            Err(
                "--weight-noise must be strictly between 0 and 1 (got 1), e.g. --weight-noise 0.2"
                    .into()
            )
        );
        assert!(parse_year("99999").is_err());
        assert_eq!(parse_noise("0.2"), Ok(0.2));
        assert_eq!(
            parse_noise("20%"),
            Err("write ±20 % as a fraction: --weight-noise 0.2".into())
        );
        assert!(
            parse_noise("20")
                .unwrap_err()
                .contains("--weight-noise 0.2")
        );
        assert!(parse_noise("0").is_err() && parse_noise("-0.1").is_err());
    }
}
