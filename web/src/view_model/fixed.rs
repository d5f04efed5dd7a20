//! `format!("{:.N}", x)` for an `f64`, written without core's float formatting.
//!
//! core formats floats through `core::num::flt2dec` (Grisu with a Dragon4 fallback over
//! bignums, and their power-of-ten tables): about 12 kB of the page's wasm before gzip, for
//! coordinates in SVG paths and a few "1.5 s" labels. [`Fixed`] gives the same digits:
//! scaled by 10^N, rounded to nearest with the exact product deciding a tie (Dekker's
//! two-product), an exact tie to even, as `flt2dec::strategy::dragon::format_exact` rounds.

use std::fmt;

/// `x` with `decimals` digits after the point, as `{:.decimals}` prints it (`decimals` ≤ 9).
#[derive(Debug, Clone, Copy)]
pub struct Fixed(pub f64, pub u8);

/// 10^k for k ≤ 9, each exact in an `f64`.
const POW10: [u64; 10] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
    1_000_000_000,
];

/// The rounding error of `a * b`: `a * b - p` exactly, where `p` is the rounded product
/// (Dekker 1971, "A floating-point technique for extending the available precision", with
/// Veltkamp's split; exact while nothing overflows).
fn product_error(a: f64, b: f64, p: f64) -> f64 {
    fn split(a: f64) -> (f64, f64) {
        let c = 134_217_729.0 * a; // 2^27 + 1
        let hi = c - (c - a);
        (hi, a - hi)
    }
    let ((ah, al), (bh, bl)) = (split(a), split(b));
    ((ah * bh - p) + ah * bl + al * bh) + al * bl
}

impl fmt::Display for Fixed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (x, d) = (self.0, usize::from(self.1.min(9)));
        if x.is_nan() {
            return f.write_str("NaN");
        }
        // Like core, the sign of a negative number that rounds to zero (and of -0.0) stays.
        if x.is_sign_negative() {
            f.write_str("-")?;
        }
        let x = x.abs();
        if x.is_infinite() {
            return f.write_str("inf");
        }
        let scale = POW10[d] as f64;
        let p = x * scale;
        let floor = p.floor();
        // p - floor(p) is exact; only a product that landed on .5 needs the exact product.
        let frac = p - floor;
        let odd = floor % 2.0 != 0.0;
        let up = frac > 0.5
            || (frac == 0.5 && {
                let err = product_error(x, scale, p);
                err > 0.0 || (err == 0.0 && odd)
            });
        // Saturates past 1.8e19 (no panel prints numbers that large).
        let n = (floor as u64).saturating_add(u64::from(up));
        let pow = POW10[d];
        write!(f, "{}", n / pow)?;
        if d > 0 {
            write!(f, ".{:0d$}", n % pow)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::Fixed;

    /// std's exact formatter is the reference: every value and precision prints the same.
    #[test]
    fn prints_what_std_prints() {
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut values = vec![
            0.0,
            -0.0,
            0.125,
            0.25,
            2.5,
            3.5,
            0.05,
            -0.04,
            8.945,
            51.355,
            1e-9,
            0.5,
            1.5,
            -2.5,
            999.95,
            1e12,
            123_456.789_5,
            0.000_5,
        ];
        for i in 0..200_000u64 {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let r = (seed >> 11) as f64 / (1u64 << 53) as f64;
            values.push(match i % 4 {
                0 => r * 1000.0,
                1 => (r * 100_000.0).round() / 1000.0,
                2 => (r * 1e4).round() / 100.0 - 50.0,
                _ => r * 1e9,
            });
        }
        for x in values {
            for d in 0..=4u8 {
                assert_eq!(
                    Fixed(x, d).to_string(),
                    format!("{x:.*}", usize::from(d)),
                    "{x:?} to {d} decimals"
                );
            }
        }
    }

    #[test]
    fn not_a_number_and_infinities_are_words() {
        assert_eq!(Fixed(f64::NAN, 1).to_string(), format!("{:.1}", f64::NAN));
        assert_eq!(Fixed(f64::INFINITY, 2).to_string(), "inf");
        assert_eq!(Fixed(f64::NEG_INFINITY, 0).to_string(), "-inf");
    }
}
