//! Cleanup of the temporary output file when the process is interrupted (SIGINT, SIGTERM,
//! SIGHUP) while [`super::write_atomic`] is between creating the temporary file and renaming
//! it into place. `tempfile` removes the file when its handle is dropped, but a signal ends
//! the process without running destructors; this handler unlinks the registered path (an
//! async-signal-safe call), restores the default action and re-raises the signal, so the
//! process still dies of it with the usual status.
//!
//! Everything before the temporary file exists (reading, scoring, rendering) writes nothing,
//! and everything after the rename is a complete file, so these few lines close the only
//! window in which an interruption could leave a partial or temporary file behind. SIGKILL
//! cannot be caught; a `.clusterscore-*.tmp` file left by it is never the output itself.

/// Registers `path` for removal on a signal until the guard is dropped.
pub(crate) struct Guard(());

#[cfg(unix)]
mod imp {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    use std::path::Path;
    use std::sync::Once;
    use std::sync::atomic::{AtomicPtr, Ordering};

    /// The temporary path being written, or null. Registered strings are leaked (a few bytes
    /// per written file) so that the handler never reads freed memory.
    static PATH: AtomicPtr<libc::c_char> = AtomicPtr::new(std::ptr::null_mut());
    static INSTALL: Once = Once::new();
    const SIGNALS: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

    extern "C" fn on_signal(sig: libc::c_int) {
        let p = PATH.swap(std::ptr::null_mut(), Ordering::SeqCst);
        // SAFETY: unlink, signal and raise are async-signal-safe; `p` is null or a leaked,
        // NUL-terminated string that is never freed.
        unsafe {
            if !p.is_null() {
                libc::unlink(p);
            }
            libc::signal(sig, libc::SIG_DFL);
            libc::raise(sig);
        }
    }

    fn install() {
        INSTALL.call_once(|| {
            for sig in SIGNALS {
                // SAFETY: a zeroed sigaction is valid; the handler only makes
                // async-signal-safe calls. A signal the parent set to be ignored stays ignored.
                unsafe {
                    let mut old: libc::sigaction = std::mem::zeroed();
                    if libc::sigaction(sig, std::ptr::null(), &mut old) != 0
                        || old.sa_sigaction == libc::SIG_IGN
                    {
                        continue;
                    }
                    let mut new: libc::sigaction = std::mem::zeroed();
                    new.sa_sigaction = on_signal as *const () as libc::sighandler_t;
                    libc::sigemptyset(&mut new.sa_mask);
                    libc::sigaction(sig, &new, std::ptr::null_mut());
                }
            }
        });
    }

    pub(super) fn register(path: &Path) {
        install();
        if let Ok(c) = CString::new(path.as_os_str().as_bytes()) {
            PATH.store(c.into_raw(), Ordering::SeqCst);
        }
    }

    pub(super) fn clear() {
        PATH.store(std::ptr::null_mut(), Ordering::SeqCst);
    }
}

#[cfg(not(unix))]
mod imp {
    pub(super) fn register(_: &std::path::Path) {}
    pub(super) fn clear() {}
}

impl Guard {
    pub(crate) fn new(path: &std::path::Path) -> Guard {
        imp::register(path);
        Guard(())
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        imp::clear();
    }
}
