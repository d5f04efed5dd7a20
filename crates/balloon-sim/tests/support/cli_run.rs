//! Runs the built `balloon-sim` binary, the script on its stdin.

use std::io::Write;
use std::process::{Command, Stdio};

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_balloon-sim"))
}

pub fn run_stdin(args: &[&str], script: &str) -> std::process::Output {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn balloon-sim");
    let written = child
        .stdin
        .take()
        .expect("stdin")
        .write_all(script.as_bytes());
    // A bad flag ends the process before it reads its script: the pipe closing then is the
    // child's answer (checked from its status and stderr), not a failure of the test.
    if let Err(e) = written {
        assert_eq!(
            e.kind(),
            std::io::ErrorKind::BrokenPipe,
            "write script: {e}"
        );
    }
    child.wait_with_output().expect("wait")
}
