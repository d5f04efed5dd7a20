//! Installs what the tasks need, only when it is missing or at another version.
//!
//! Each install prints one line saying what and why; cargo/npm/apt then show their own progress.

use crate::run::Env;
use crate::{Error, lockfile};

/// trunk 0.22 needs a newer rustc than the project's 1.95, so trunk stays on 0.21.
pub const TRUNK: &str = "0.21.14";
/// The wasm-opt version trunk is told to use (`Trunk.toml` `wasm_opt = "version_132"`).
pub const BINARYEN: &str = "132";
/// axe-core, the accessibility checker the end-to-end tests inject into the pages (npm).
pub const AXE: &str = "4.14.1";
/// geckodriver drives Firefox for the wasm-bindgen tests.
pub const GECKODRIVER: &str = "0.37.1";
/// Debian packages of the browsers and chromedriver.
pub const APT_PACKAGES: [&str; 3] = ["chromium", "chromium-driver", "firefox-esr"];
/// Where Debian's chromium package puts the browser.
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// Lighthouse for `cargo xtask lighthouse`: 13 needs Node 22 and Debian ships 20, and npm
/// refuses the lock files of 12.3 to 12.8 here.
pub const LIGHTHOUSE: &str = "12.2.3";
/// Where Debian's chromium-driver puts chromedriver.
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// Which set of tools a task needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Build and serve the site.
    Serve,
    /// Everything `serve` needs plus browsers and their WebDriver servers.
    Test,
}

/// Makes sure every tool for `needs` is installed at the pinned version.
pub fn ensure(env: &Env, needs: Needs) -> Result<(), Error> {
    let mut installed = 0;
    installed += ensure_wasm_target(env)?;
    installed += ensure_trunk(env)?;
    let bindgen = lockfile::wasm_bindgen_version(&env.root)?;
    installed += ensure_wasm_bindgen(env, &bindgen)?;
    installed += ensure_wasm_opt(env)?;
    let mut have =
        format!("{WASM_TARGET}, trunk {TRUNK}, wasm-bindgen {bindgen}, wasm-opt {BINARYEN}");
    if needs == Needs::Test {
        installed += ensure_apt(env, &APT_PACKAGES, "headless browser tests need them")?;
        installed += ensure_geckodriver(env)?;
        installed += ensure_axe(env)?;
        have.push_str(&format!(
            ", chromium, chromedriver, firefox-esr, geckodriver {GECKODRIVER}, axe-core {AXE}"
        ));
    }
    let note = if installed == 0 {
        "all already installed"
    } else {
        "installed as needed"
    };
    println!("xtask: tools ready ({note}): {have}");
    Ok(())
}

/// The first line of `program --version`, or `None` when it is not installed.
pub(crate) fn version_line(env: &Env, program: &str) -> Option<String> {
    let out = env.cmd(program).args(["--version"]).probe()?;
    Some(out.lines().next().unwrap_or("").trim().to_owned())
}

/// True when `line` (a `--version` line) names exactly `version` as one of its words.
pub(crate) fn names_version(line: &str, version: &str) -> bool {
    line.split(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .any(|word| word == version || word.strip_prefix('v') == Some(version))
}

pub(crate) fn found(line: Option<&str>) -> String {
    match line {
        Some(line) => format!("found {line:?}"),
        None => "not installed".to_owned(),
    }
}

pub(crate) fn verify(env: &Env, program: &str, version: &str) -> Result<(), Error> {
    match version_line(env, program) {
        Some(line) if names_version(&line, version) => Ok(()),
        other => Err(Error::ToolMismatch {
            tool: program.to_owned(),
            wanted: version.to_owned(),
            found: found(other.as_deref()),
        }),
    }
}

fn cargo(env: &Env) -> crate::run::Cmd {
    env.cmd(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

fn ensure_wasm_target(env: &Env) -> Result<u32, Error> {
    let installed = env
        .cmd("rustup")
        .args(["target", "list", "--installed"])
        .probe();
    if installed
        .as_deref()
        .is_some_and(|list| list.lines().any(|l| l.trim() == WASM_TARGET))
    {
        return Ok(0);
    }
    println!(
        "xtask: installing rust target {WASM_TARGET} (rustup target add): the web crate builds for it"
    );
    env.cmd("rustup")
        .args(["target", "add", WASM_TARGET])
        .status_ok("rustup target add")?;
    Ok(1)
}

/// `cargo install <krate>` unless `program --version` already names `version`.
fn ensure_cargo_tool(
    env: &Env,
    krate: &str,
    programs: &[&str],
    version: &str,
    locked: bool,
) -> Result<u32, Error> {
    let lines: Vec<Option<String>> = programs.iter().map(|p| version_line(env, p)).collect();
    let stale = programs.iter().zip(&lines).find(|(_, line)| {
        !line
            .as_deref()
            .is_some_and(|line| names_version(line, version))
    });
    let Some((program, line)) = stale else {
        return Ok(0);
    };
    println!(
        "xtask: installing {krate} {version} (cargo install): {program} {}",
        found(line.as_deref())
    );
    let mut args = vec!["install", krate, "--version", version];
    if locked {
        args.push("--locked");
    }
    cargo(env)
        .args(args)
        .status_ok(&format!("cargo install {krate}"))?;
    for program in programs {
        verify(env, program, version)?;
    }
    Ok(1)
}

fn ensure_trunk(env: &Env) -> Result<u32, Error> {
    ensure_cargo_tool(env, "trunk", &["trunk"], TRUNK, true)
}

/// Without `--locked`: the CLI's own lock file pins a crate version the registry no longer has.
fn ensure_wasm_bindgen(env: &Env, version: &str) -> Result<u32, Error> {
    let programs = ["wasm-bindgen", "wasm-bindgen-test-runner"];
    ensure_cargo_tool(env, "wasm-bindgen-cli", &programs, version, false)
}

fn ensure_geckodriver(env: &Env) -> Result<u32, Error> {
    ensure_cargo_tool(env, "geckodriver", &["geckodriver"], GECKODRIVER, true)
}

/// Debian's own wasm-opt is too old for current rustc output; npm's binaryen ships 132.
fn ensure_wasm_opt(env: &Env) -> Result<u32, Error> {
    let line = version_line(env, "wasm-opt");
    if line.as_deref().is_some_and(|l| names_version(l, BINARYEN)) {
        return Ok(0);
    }
    let mut installed = 0;
    if version_line(env, "npm").is_none() {
        installed += ensure_apt(env, &["nodejs", "npm"], "npm installs wasm-opt")?;
    }
    println!(
        "xtask: installing wasm-opt {BINARYEN} (npm binaryen@{BINARYEN} into {}): wasm-opt {}",
        env.tools_dir.display(),
        found(line.as_deref())
    );
    npm_install(env, &env.tools_dir, &format!("binaryen@{BINARYEN}"))?;
    verify(env, "wasm-opt", BINARYEN)?;
    Ok(installed + 1)
}

/// `npm install PACKAGE@VERSION` into its own prefix folder (created if missing), without
/// touching any project's package.json.
fn npm_install(env: &Env, prefix: &std::path::Path, spec: &str) -> Result<(), Error> {
    std::fs::create_dir_all(prefix).map_err(|e| Error::ProjectFile {
        path: prefix.display().to_string(),
        problem: e.to_string(),
    })?;
    env.cmd("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--no-save",
            "--prefix",
        ])
        .args([prefix])
        .args([spec])
        .status_ok(&format!("npm install {spec}"))
}

/// axe-core's own npm prefix inside the tools folder: npm prunes packages it was not asked for
/// from a prefix, so sharing binaryen's would make each install remove the other.
fn axe_prefix(env: &Env) -> std::path::PathBuf {
    env.tools_dir.join("axe-core")
}

/// The axe-core script the end-to-end tests inject (`E2E_AXE`).
pub fn axe_script(env: &Env) -> std::path::PathBuf {
    axe_prefix(env)
        .join("node_modules")
        .join("axe-core")
        .join("axe.min.js")
}

/// The version in an installed npm package's `package.json`, by a plain text search (xtask
/// has no JSON parser): the first `"version": "X"`.
pub(crate) fn package_version(package_json: &str) -> Option<&str> {
    let at = package_json.find("\"version\"")?;
    let rest = package_json[at + "\"version\"".len()..].trim_start();
    let rest = rest.strip_prefix(':')?.trim_start().strip_prefix('"')?;
    rest.split('"').next()
}

/// npm's Lighthouse at [`LIGHTHOUSE`] in its own prefix inside the tools folder; returns that
/// prefix.
pub fn ensure_lighthouse(env: &Env) -> Result<std::path::PathBuf, Error> {
    let prefix = env.tools_dir.join("lighthouse");
    let package_json = prefix.join("node_modules/lighthouse/package.json");
    let have = std::fs::read_to_string(&package_json).ok();
    let version = have.as_deref().and_then(package_version);
    if version == Some(LIGHTHOUSE) {
        return Ok(prefix);
    }
    println!(
        "xtask: installing Lighthouse {LIGHTHOUSE} (npm lighthouse@{LIGHTHOUSE} into {}) for \
         the page's scores: Lighthouse {}",
        prefix.display(),
        version.unwrap_or("not found")
    );
    npm_install(env, &prefix, &format!("lighthouse@{LIGHTHOUSE}"))?;
    let now = std::fs::read_to_string(&package_json).unwrap_or_default();
    if package_version(&now) != Some(LIGHTHOUSE) {
        return Err(Error::ProjectFile {
            path: package_json.display().to_string(),
            problem: format!("npm did not install lighthouse {LIGHTHOUSE}"),
        });
    }
    Ok(prefix)
}

/// npm's axe-core at [`AXE`] into the tools folder, for the accessibility checks.
fn ensure_axe(env: &Env) -> Result<u32, Error> {
    let prefix = axe_prefix(env);
    let package_json = prefix.join("node_modules/axe-core/package.json");
    let have = std::fs::read_to_string(&package_json).ok();
    let version = have.as_deref().and_then(package_version);
    if version == Some(AXE) && axe_script(env).is_file() {
        return Ok(0);
    }
    let mut installed = 0;
    if version_line(env, "npm").is_none() {
        installed += ensure_apt(env, &["nodejs", "npm"], "npm installs axe-core")?;
    }
    println!(
        "xtask: installing axe-core {AXE} (npm axe-core@{AXE} into {}) for the accessibility \
         checks: axe-core {}",
        prefix.display(),
        version.unwrap_or("not found")
    );
    npm_install(env, &prefix, &format!("axe-core@{AXE}"))?;
    let now = std::fs::read_to_string(&package_json).unwrap_or_default();
    if package_version(&now) != Some(AXE) || !axe_script(env).is_file() {
        return Err(Error::ProjectFile {
            path: package_json.display().to_string(),
            problem: format!("npm did not install axe-core {AXE}"),
        });
    }
    Ok(installed + 1)
}

fn apt_installed(env: &Env, package: &str) -> bool {
    env.cmd("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .probe()
        .is_some_and(|status| status.trim_end().ends_with(" installed"))
}

/// `apt-get install` of the packages not installed yet (as root, or through sudo).
fn ensure_apt(env: &Env, packages: &[&str], why: &str) -> Result<u32, Error> {
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|p| !apt_installed(env, p))
        .collect();
    if missing.is_empty() {
        return Ok(0);
    }
    let list = missing.join(" ");
    println!("xtask: installing Debian packages {list} (apt-get): not installed; {why}");
    let root = env
        .cmd("id")
        .args(["-u"])
        .probe()
        .is_some_and(|uid| uid.trim() == "0");
    let apt = |args: &[&str]| {
        let (program, prefix): (&str, &[&str]) = if root {
            ("apt-get", &[])
        } else {
            ("sudo", &["apt-get"])
        };
        env.cmd(program)
            .args(prefix)
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
    };
    apt(&["update"]).status_ok("apt-get update")?;
    apt(&["install", "-y"])
        .args(&missing)
        .status_ok("apt-get install")?;
    if let Some(still) = missing.iter().find(|p| !apt_installed(env, p)) {
        return Err(Error::ToolMismatch {
            tool: (*still).to_owned(),
            wanted: "installed".to_owned(),
            found: "not installed after apt-get install".to_owned(),
        });
    }
    Ok(1)
}

#[cfg(test)]
mod tests {
    use super::{names_version, package_version};

    #[test]
    fn package_versions_are_read_from_package_json() {
        let json = "{\n  \"name\": \"axe-core\",\n  \"version\": \"4.14.1\",\n  \"x\": 1\n}";
        assert_eq!(package_version(json), Some("4.14.1"));
        assert_eq!(package_version("{}"), None);
        assert_eq!(package_version("{\"version\": 4}"), None);
    }

    #[test]
    fn version_lines_of_the_real_tools() {
        assert!(names_version("trunk 0.21.14", "0.21.14"));
        assert!(!names_version("trunk 0.21.1", "0.21.14"));
        assert!(!names_version("trunk 0.21.140", "0.21.14"));
        assert!(names_version("wasm-opt version 132 (version_132)", "132"));
        assert!(!names_version("wasm-opt version 108", "132"));
        assert!(names_version(
            "geckodriver 0.37.1 (abc 2025-01-01)",
            "0.37.1"
        ));
        assert!(names_version("wasm-bindgen 0.2.130", "0.2.130"));
    }
}
