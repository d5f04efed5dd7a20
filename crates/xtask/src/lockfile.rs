//! Versions the project pins: wasm-bindgen in Cargo.lock and in Trunk.toml.

use std::path::Path;

use crate::Error;

/// The version of package `name` in a Cargo.lock text, if it is there exactly once.
pub fn locked_version(lock: &str, name: &str) -> Option<String> {
    let mut found = None;
    for block in lock.split("[[package]]").skip(1) {
        let field = |key: &str| {
            block.lines().find_map(|line| {
                let (k, v) = line.split_once('=')?;
                (k.trim() == key).then(|| v.trim().trim_matches('"').to_owned())
            })
        };
        if field("name").as_deref() == Some(name) {
            if found.is_some() {
                return None;
            }
            found = field("version");
        }
    }
    found
}

/// The value of `key = "…"` in a TOML text (first occurrence, any table).
pub fn toml_string(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let line = line.split('#').next()?;
        let (k, v) = line.split_once('=')?;
        (k.trim() == key).then(|| v.trim().trim_matches('"').to_owned())
    })
}

/// The wasm-bindgen version of Cargo.lock, after checking Trunk.toml pins the same one.
pub fn wasm_bindgen_version(root: &Path) -> Result<String, Error> {
    let read = |name: &str| {
        std::fs::read_to_string(root.join(name)).map_err(|e| Error::ProjectFile {
            path: name.to_owned(),
            problem: e.to_string(),
        })
    };
    let locked =
        locked_version(&read("Cargo.lock")?, "wasm-bindgen").ok_or_else(|| Error::ProjectFile {
            path: "Cargo.lock".to_owned(),
            problem: "no single wasm-bindgen package (run a cargo build first)".to_owned(),
        })?;
    let pinned = toml_string(&read("Trunk.toml")?, "wasm_bindgen");
    if pinned.as_deref() != Some(locked.as_str()) {
        return Err(Error::ProjectFile {
            path: "Trunk.toml".to_owned(),
            problem: format!(
                "[tools] wasm_bindgen is {pinned:?} but Cargo.lock has wasm-bindgen {locked}"
            ),
        });
    }
    Ok(locked)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = r#"
version = 4

[[package]]
name = "wasm-bindgen"
version = "0.2.130"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "wasm-bindgen-backend"
version = "0.2.99"
"#;

    #[test]
    fn finds_the_exact_package_not_a_prefix() {
        assert_eq!(
            locked_version(LOCK, "wasm-bindgen").as_deref(),
            Some("0.2.130")
        );
        assert_eq!(
            locked_version(LOCK, "wasm-bindgen-backend").as_deref(),
            Some("0.2.99")
        );
        assert_eq!(locked_version(LOCK, "yew"), None);
    }

    #[test]
    fn two_versions_of_one_package_are_ambiguous() {
        let twice =
            format!("{LOCK}\n[[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.100\"\n");
        assert_eq!(locked_version(&twice, "wasm-bindgen"), None);
    }

    #[test]
    fn reads_toml_string_ignoring_comments() {
        let toml = "[tools]\n# wasm_bindgen = \"0.1\"\nwasm_bindgen = \"0.2.130\" # pin\n";
        assert_eq!(
            toml_string(toml, "wasm_bindgen").as_deref(),
            Some("0.2.130")
        );
    }
}
