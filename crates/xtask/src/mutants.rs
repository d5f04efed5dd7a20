//! `cargo xtask mutants [--file PATH]... [--in-place]`: cargo-mutants over the ring and the
//! device (`virtq`, `balloon-device`), the crates whose tests must notice any change of
//! behaviour. Not part of `cargo xtask test`: a whole run takes hours on 2 cores.

use crate::Error;
use crate::run::Env;

/// The cargo-mutants release the project is tested with (installed with `--locked`).
pub const CARGO_MUTANTS: &str = "27.1.0";
/// The packages mutated.
pub const PACKAGES: [&str; 2] = ["virtq", "balloon-device"];

/// Parsed `cargo xtask mutants` options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// Only mutate these source files (cargo-mutants `--file`), all of both packages if empty.
    pub files: Vec<String>,
    /// Mutate the working tree instead of a copy (cargo-mutants `--in-place`): faster, but the
    /// tree must not be touched meanwhile.
    pub in_place: bool,
}

/// `--file PATH` (repeatable) and `--in-place`, nothing else.
pub fn parse_args(args: &[String]) -> Result<Options, Error> {
    let mut opts = Options::default();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--in-place" => opts.in_place = true,
            "--file" => match args.next() {
                Some(path) if !path.starts_with('-') => opts.files.push(path.clone()),
                _ => return Err(Error::Usage("mutants --file needs a path".to_owned())),
            },
            other => return Err(Error::Usage(format!("mutants {other}"))),
        }
    }
    Ok(opts)
}

/// The cargo-mutants arguments for `opts` (after `cargo mutants`).
fn mutants_args(opts: &Options) -> Vec<String> {
    let mut out = Vec::new();
    // Every mutant is tested with both packages' tests: the device's tests run each scenario on
    // both queue backends, so they are the main check of virtq's rust-vmm wrapper too.
    for p in PACKAGES {
        out.extend(["--package".to_owned(), p.to_owned()]);
        out.extend(["--test-package".to_owned(), p.to_owned()]);
    }
    for f in &opts.files {
        out.extend(["--file".to_owned(), f.clone()]);
    }
    if opts.in_place {
        out.push("--in-place".to_owned());
    }
    out
}

/// Installs cargo-mutants if needed, then runs it; its report lands in `mutants.out/`.
pub fn run(opts: &Options) -> Result<(), Error> {
    let env = Env::detect()?;
    ensure_cargo_mutants(&env)?;
    let args = mutants_args(opts);
    println!("xtask: cargo mutants {}", args.join(" "));
    env.cmd("cargo")
        .arg("mutants")
        .args(&args)
        .current_dir(&env.root)
        .status_ok("cargo mutants")
}

/// `cargo install cargo-mutants --locked` at [`CARGO_MUTANTS`], unless that version is
/// already on the PATH ("cargo-mutants 27.1.0").
fn ensure_cargo_mutants(env: &Env) -> Result<(), Error> {
    let line = env.cmd("cargo").args(["mutants", "--version"]).probe();
    let have = line
        .as_deref()
        .and_then(|l| l.split_whitespace().nth(1))
        .map(str::to_owned);
    if have.as_deref() == Some(CARGO_MUTANTS) {
        return Ok(());
    }
    println!(
        "xtask: installing cargo-mutants {CARGO_MUTANTS} (cargo install): found {}",
        have.as_deref().unwrap_or("none")
    );
    env.cmd("cargo")
        .args([
            "install",
            "cargo-mutants",
            "--version",
            CARGO_MUTANTS,
            "--locked",
        ])
        .status_ok("cargo install cargo-mutants")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn options_take_files_and_in_place_only() {
        assert_eq!(parse_args(&[]).unwrap(), Options::default());
        let o = parse_args(&args(
            "--file crates/virtq/src/rustvmm.rs --in-place --file a.rs",
        ))
        .unwrap();
        assert_eq!(o.files, ["crates/virtq/src/rustvmm.rs", "a.rs"]);
        assert!(o.in_place);
        for bad in ["--file", "--file --in-place", "-p virtq", "--jobs 2"] {
            assert!(parse_args(&args(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn both_packages_are_mutated_and_files_narrow_it() {
        assert_eq!(
            mutants_args(&Options::default()).join(" "),
            "--package virtq --test-package virtq --package balloon-device \
             --test-package balloon-device"
        );
        let o = Options {
            files: vec!["x.rs".into()],
            in_place: true,
        };
        assert_eq!(
            mutants_args(&o).join(" "),
            "--package virtq --test-package virtq --package balloon-device \
             --test-package balloon-device --file x.rs --in-place"
        );
    }
}
