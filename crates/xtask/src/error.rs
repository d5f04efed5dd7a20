//! The one error type of xtask.

use std::fmt;

/// What went wrong in a task.
#[derive(Debug)]
pub enum Error {
    /// The command line named no known task.
    Usage(String),
    /// A program could not be started at all.
    Spawn {
        /// The program that failed to start.
        program: String,
        /// Why the operating system refused.
        source: std::io::Error,
    },
    /// A step ran and exited unsuccessfully.
    StepFailed {
        /// The step, as printed before it ran.
        step: String,
        /// Its exit code, if it exited rather than being killed.
        code: Option<i32>,
    },
    /// A tool is still missing or at the wrong version after installing it.
    ToolMismatch {
        /// The tool.
        tool: String,
        /// The version the project needs.
        wanted: String,
        /// What was found instead.
        found: String,
    },
    /// Benchmark or Lighthouse goals missed (or not measured), by key.
    GoalsMissed(Vec<String>),
    /// A project file is missing, unreadable or lacks what xtask looks for.
    ProjectFile {
        /// The file.
        path: String,
        /// What is wrong with it.
        problem: String,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(cmd) => write!(f, "unknown command {cmd:?}"),
            Error::Spawn { program, source } => write!(f, "could not start {program}: {source}"),
            Error::StepFailed {
                step,
                code: Some(code),
            } => {
                write!(f, "{step} failed with exit code {code}")
            }
            Error::StepFailed { step, code: None } => write!(f, "{step} was killed by a signal"),
            Error::ToolMismatch {
                tool,
                wanted,
                found,
            } => {
                write!(f, "{tool}: wanted {wanted}, found {found}")
            }
            Error::GoalsMissed(missed) => {
                write!(f, "goals missed: {}", missed.join("; "))
            }
            Error::ProjectFile { path, problem } => write!(f, "{path}: {problem}"),
        }
    }
}

impl std::error::Error for Error {}
