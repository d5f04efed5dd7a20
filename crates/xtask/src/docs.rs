//! `cargo xtask docs`: the book (mdBook, `docs/`) with the playground inside it as `play/`,
//! so that every chapter's embeds (`play/index.html?embed=1#…`) load from the same folder.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::run::{Env, elapsed};
use crate::{Error, tools};

/// mdBook stays on 0.4: 0.5 changed the theme and preprocessor interfaces.
pub const MDBOOK: &str = "0.4.52";

/// Where the finished book goes, relative to the repository root.
pub const BOOK_DIR: &str = "target/book";
/// The trunk build for the book, before it is copied into the book as `play/`.
const PLAY_BUILD_DIR: &str = "target/book-play";

/// Installs what the book needs, builds it and prints where it is.
pub fn run() -> Result<(), Error> {
    let env = Env::detect()?;
    tools::ensure(&env, tools::Needs::Serve)?;
    ensure_mdbook(&env)?;
    let book = build(&env)?;
    println!(
        "xtask: book in {}; serve that folder over HTTP (the playground is wasm) and open \
         index.html; the embeds need the server to send Access-Control-Allow-Origin: * \
         (they run in sandboxed frames, as on any static host that sends it)",
        book.display()
    );
    Ok(())
}

/// Builds the book into [`BOOK_DIR`] (tools already installed) and returns that folder.
pub fn build(env: &Env) -> Result<PathBuf, Error> {
    let started = Instant::now();
    let play = env.root.join(PLAY_BUILD_DIR);
    let book = env.root.join(BOOK_DIR);
    // Relative asset URLs (`./balloon-web.js`) so the build works from any folder; no file
    // hashes so the JS API snippet in the book can name the module; no SRI because the book's
    // sandboxed frames have an opaque origin, where an integrity check fails on the stylesheet
    // (loaded without CORS) and the page would render unstyled.
    // Without file hashes the wasm keeps its name from build to build, and trunk 0.21.14 wrote
    // a smaller wasm over the old one without truncating it (a valid module, then the old
    // file's tail: "CompileError: unknown section code" in the book's embeds). Start empty.
    let _ = std::fs::remove_dir_all(&play);
    env.cmd("trunk")
        .args([
            "build",
            "--release",
            "--offline",
            "--public-url",
            "./",
            "--filehash",
            "false",
            "--no-sri",
            "true",
            "--dist",
        ])
        .arg(&play)
        .status_ok("trunk build for the book")?;
    // mdbook empties its destination first, so the playground is copied in afterwards.
    env.cmd("mdbook")
        .args(["build", "docs", "--dest-dir"])
        .arg(&book)
        .status_ok("mdbook build")?;
    copy_dir(&play, &book.join("play")).map_err(|e| Error::ProjectFile {
        path: play.display().to_string(),
        problem: format!("copying the playground into the book: {e}"),
    })?;
    println!("xtask: book built in {}", elapsed(started));
    Ok(book)
}

/// `cargo install mdbook` (only the `search` feature: the book is served by any static
/// server, so mdbook's own server and file watcher are not built) unless it is at [`MDBOOK`].
pub fn ensure_mdbook(env: &Env) -> Result<u32, Error> {
    let line = tools::version_line(env, "mdbook");
    if line
        .as_deref()
        .is_some_and(|l| tools::names_version(l, MDBOOK))
    {
        return Ok(0);
    }
    println!(
        "xtask: installing mdbook {MDBOOK} (cargo install): the book is built with it; mdbook {}",
        tools::found(line.as_deref())
    );
    env.cmd(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(["install", "mdbook", "--version", MDBOOK, "--locked"])
        .args(["--no-default-features", "--features", "search"])
        .status_ok("cargo install mdbook")?;
    tools::verify(env, "mdbook", MDBOOK)?;
    Ok(1)
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::copy_dir;

    #[test]
    fn copies_a_tree_over_an_existing_one() {
        let base = std::env::temp_dir().join(format!("xtask-docs-{}", std::process::id()));
        let (from, to) = (base.join("from"), base.join("to"));
        std::fs::create_dir_all(from.join("sub")).unwrap();
        std::fs::write(from.join("index.html"), "new").unwrap();
        std::fs::write(from.join("sub").join("a.wasm"), "\0asm").unwrap();
        std::fs::create_dir_all(&to).unwrap();
        std::fs::write(to.join("index.html"), "old").unwrap();
        copy_dir(&from, &to).unwrap();
        assert_eq!(
            std::fs::read_to_string(to.join("index.html")).unwrap(),
            "new"
        );
        assert_eq!(
            std::fs::read(to.join("sub").join("a.wasm")).unwrap(),
            b"\0asm"
        );
        std::fs::remove_dir_all(&base).unwrap();
    }
}
