//! Where things live, and running programs with the project's PATH.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::Error;

/// Paths every task needs: the repository, cargo's bin folder and the npm tools folder.
#[derive(Debug, Clone)]
pub struct Env {
    /// The repository root (holds the workspace Cargo.toml).
    pub root: PathBuf,
    /// `$CARGO_HOME/bin`, where `cargo install` puts trunk, wasm-bindgen and geckodriver.
    pub cargo_bin: PathBuf,
    /// Outside the repository, so `git clean` and fresh clones keep it: holds npm's binaryen.
    pub tools_dir: PathBuf,
    path: std::ffi::OsString,
}

impl Env {
    /// Finds the paths and builds the PATH children run with (tools first).
    pub fn detect() -> Result<Self, Error> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .ancestors()
            .nth(2)
            .map(Path::to_path_buf)
            .ok_or_else(|| Error::ProjectFile {
                path: env!("CARGO_MANIFEST_DIR").to_owned(),
                problem: "xtask is not two levels below the repository root".to_owned(),
            })?;
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| "/root".into());
        let cargo_home = std::env::var_os("CARGO_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| home.join(".cargo"));
        let cache = std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| home.join(".cache"));
        let tools_dir = cache.join("balloon-playground").join("tools");
        let cargo_bin = cargo_home.join("bin");
        let mut dirs = vec![
            tools_dir.join("node_modules").join(".bin"),
            cargo_bin.clone(),
        ];
        if let Some(old) = std::env::var_os("PATH") {
            dirs.extend(std::env::split_paths(&old));
        }
        let path = std::env::join_paths(dirs).map_err(|e| Error::ProjectFile {
            path: "PATH".to_owned(),
            problem: e.to_string(),
        })?;
        Ok(Env {
            root,
            cargo_bin,
            tools_dir,
            path,
        })
    }

    /// The file `program` resolves to on the PATH children get (tools folders first).
    pub fn which(&self, program: &str) -> Option<PathBuf> {
        std::env::split_paths(&self.path)
            .map(|dir| dir.join(program))
            .find(|file| file.is_file())
    }

    /// A command for `program`, run in the repository root with the tools on PATH.
    pub fn cmd(&self, program: impl AsRef<OsStr>) -> Cmd {
        let program = program.as_ref();
        let mut inner = Command::new(program);
        inner.current_dir(&self.root).env("PATH", &self.path);
        // Browsers' throwaway profiles go where the run removes them (see crate::scratch).
        let tmp = crate::scratch::dir();
        if std::fs::create_dir_all(&tmp).is_ok() {
            inner.env("TMPDIR", tmp);
        }
        Cmd {
            inner,
            program: program.to_string_lossy().into_owned(),
        }
    }
}

/// A program about to run; a thin builder over [`Command`] with step-shaped errors.
#[derive(Debug)]
pub struct Cmd {
    inner: Command,
    program: String,
}

impl Cmd {
    /// Appends arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.inner.args(args);
        self
    }

    /// Appends one argument.
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.inner.arg(arg);
        self
    }

    /// Sets an environment variable for the child.
    pub fn env(mut self, key: &str, value: impl AsRef<OsStr>) -> Self {
        self.inner.env(key, value);
        self
    }

    /// Removes an inherited environment variable from the child.
    pub fn env_remove(mut self, key: &str) -> Self {
        self.inner.env_remove(key);
        self
    }

    /// Runs in `dir` instead of the repository root.
    pub fn current_dir(mut self, dir: &Path) -> Self {
        self.inner.current_dir(dir);
        self
    }

    /// Runs with inherited stdout/stderr (so cargo's progress shows) and fails on a bad exit.
    pub fn status_ok(mut self, step: &str) -> Result<(), Error> {
        let status = self.inner.status().map_err(|source| Error::Spawn {
            program: self.program.clone(),
            source,
        })?;
        if status.success() {
            Ok(())
        } else {
            Err(Error::StepFailed {
                step: step.to_owned(),
                code: status.code(),
            })
        }
    }

    /// Runs with inherited stderr, captures stdout and fails on a bad exit.
    pub fn stdout_ok(mut self, step: &str) -> Result<String, Error> {
        let out = self
            .inner
            .stderr(Stdio::inherit())
            .output()
            .map_err(|source| Error::Spawn {
                program: self.program.clone(),
                source,
            })?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(Error::StepFailed {
                step: step.to_owned(),
                code: out.status.code(),
            })
        }
    }

    /// Starts the program in the background with its output discarded (a server a step talks
    /// to); the caller kills it.
    pub fn spawn_quiet(mut self) -> Result<std::process::Child, Error> {
        self.inner
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|source| Error::Spawn {
                program: self.program.clone(),
                source,
            })
    }

    /// Runs quietly and returns stdout, or `None` when the program is missing or fails.
    pub fn probe(mut self) -> Option<String> {
        let out = self
            .inner
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

/// Human time since `start`, e.g. `1m 07s`.
pub fn elapsed(start: Instant) -> String {
    let secs = start.elapsed().as_secs();
    if secs >= 60 {
        format!("{}m {:02}s", secs / 60, secs % 60)
    } else {
        format!("{secs}s")
    }
}
