//! A temporary folder for one xtask run, handed to every child as `TMPDIR` and removed when the
//! run ends. chromedriver gives each browser it starts a fresh profile under `TMPDIR`
//! (`org.chromium.Chromium.scoped_dir.*`, about 26 MB once used) and leaves it behind when
//! wasm-bindgen-test-runner ends it by killing chromedriver: a day of test runs left 9.3 GB
//! in `/tmp` on the development machine. Under this folder they go with the run.
//!
//! The folder stays in the system's temporary directory, not under `target/`: Chromium puts
//! a Unix socket under `TMPDIR`, and a socket's path is limited to 107 bytes
//! (`sun_path` in unix(7)), which a deep checkout could exceed.

use std::path::{Path, PathBuf};

const PREFIX: &str = "balloon-xtask-";

/// This run's folder (created by the first child that needs it, see [`crate::run::Env::cmd`]).
pub fn dir() -> PathBuf {
    std::env::temp_dir().join(format!("{PREFIX}{}", std::process::id()))
}

/// Removes this run's folder, and those of earlier runs whose process is gone (a run stopped
/// with Ctrl-C or killed never reached its own clean-up).
pub fn clean_up() {
    let _ = std::fs::remove_dir_all(dir());
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    let names = entries.filter_map(|e| e.ok()?.file_name().into_string().ok());
    for name in stale(names, &|pid| {
        Path::new("/proc").join(pid.to_string()).exists()
    }) {
        let _ = std::fs::remove_dir_all(std::env::temp_dir().join(name));
    }
}

/// The names among `names` that are an xtask run's folder whose process `alive` says is gone.
/// Nothing is stale where `/proc` is missing (not Linux): no process looks alive there.
fn stale(names: impl Iterator<Item = String>, alive: &dyn Fn(u32) -> bool) -> Vec<String> {
    if !alive(std::process::id()) {
        return Vec::new();
    }
    names
        .filter(|name| {
            name.strip_prefix(PREFIX)
                .and_then(|pid| pid.parse::<u32>().ok())
                .is_some_and(|pid| !alive(pid))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_folders_of_runs_that_are_gone_are_stale() {
        let me = std::process::id();
        let names = [
            format!("{PREFIX}{me}"),
            format!("{PREFIX}4000000"),
            format!("{PREFIX}12x"),
            "org.chromium.Chromium.scoped_dir.abc".to_owned(),
            "balloon-xtask".to_owned(),
        ];
        let alive = |pid: u32| pid == me;
        assert_eq!(
            stale(names.into_iter(), &alive),
            vec![format!("{PREFIX}4000000")]
        );
    }

    #[test]
    fn nothing_is_stale_where_no_process_looks_alive() {
        let names = [format!("{PREFIX}4000000")];
        assert!(stale(names.into_iter(), &|_| false).is_empty());
    }
}
