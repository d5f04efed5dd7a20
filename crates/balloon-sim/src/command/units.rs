//! Sizes (`4G`, `512M`, `600M`, `4096`) and virtual durations (`5s`, `200ms`, `1500us`).

/// Parses a size with an optional binary suffix (K, M, G, T; `KiB`/`MB` style tails accepted).
/// `default_shift` applies to a bare number: QEMU's `-m 512` means MiB (shift 20), while
/// `-host-page-size 4096` means bytes (shift 0).
pub fn parse_size(text: &str, default_shift: u32) -> Option<u64> {
    let digits_end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    if digits_end == 0 {
        return None;
    }
    let number: u64 = text[..digits_end].parse().ok()?;
    let suffix = &text[digits_end..];
    let shift = match suffix.to_ascii_lowercase().as_str() {
        "" => default_shift,
        "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => return None,
    };
    number.checked_mul(1u64.checked_shl(shift)?)
}

/// Parses a virtual duration: a number followed by `ns`, `us`, `ms`, `s` or `min`.
pub fn parse_duration_ns(text: &str) -> Option<u64> {
    let digits_end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    if digits_end == 0 {
        return None;
    }
    let number: u64 = text[..digits_end].parse().ok()?;
    let unit: u64 = match &text[digits_end..] {
        "ns" => 1,
        "us" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "min" => 60_000_000_000,
        _ => return None,
    };
    number.checked_mul(unit)
}

/// Formats a byte count the short way the machine line accepts (`4G`, `512M`, `4K`, `100`).
pub fn format_size(bytes: u64) -> String {
    for (shift, suffix) in [(40, "T"), (30, "G"), (20, "M"), (10, "K")] {
        if bytes != 0 && bytes.is_multiple_of(1u64 << shift) {
            return format!("{}{suffix}", bytes >> shift);
        }
    }
    format!("{bytes}B")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_follow_qemu_units() {
        assert_eq!(parse_size("4G", 20), Some(4 << 30));
        assert_eq!(parse_size("512", 20), Some(512 << 20));
        assert_eq!(parse_size("4096", 0), Some(4096));
        assert_eq!(parse_size("2MiB", 0), Some(2 << 20));
        assert_eq!(parse_size("64g", 20), Some(64 << 30));
        assert_eq!(parse_size("G", 20), None);
        assert_eq!(parse_size("4X", 20), None);
        assert_eq!(parse_size("99999999999999999999", 0), None);
        assert_eq!(parse_size("17000000T", 0), None);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration_ns("5s"), Some(5_000_000_000));
        assert_eq!(parse_duration_ns("200ms"), Some(200_000_000));
        assert_eq!(parse_duration_ns("2min"), Some(120_000_000_000));
        assert_eq!(parse_duration_ns("5"), None);
        assert_eq!(parse_duration_ns("s"), None);
    }

    #[test]
    fn format_round_trips() {
        for b in [4u64 << 30, 512 << 20, 4096, 100, 64 << 40] {
            assert_eq!(parse_size(&format_size(b), 0), Some(b));
        }
    }
}
