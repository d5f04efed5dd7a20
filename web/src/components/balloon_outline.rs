//! The balloon drawn as one closed cubic Bezier path inside a fixed viewBox: solid for what
//! the guest gave (`actual`), dashed for what the host asked (`num_pages`).

use yew::prelude::*;

/// Width and height of the SVG user space; the browser scales it to the element's size.
pub const VIEW_BOX: (f64, f64) = (200.0, 240.0);

/// Where the balloon's knot sits: the outline grows up and out from it.
const KNOT: (f64, f64) = (100.0, 220.0);

/// Properties of [`BalloonOutline`].
#[derive(Properties, PartialEq, Debug)]
pub struct BalloonOutlineProps {
    /// How inflated the balloon is, from 0.0 (deflated) to 1.0 (fills the view box).
    pub fill: f64,
    /// The size the target asks for, same scale, drawn as a dashed outline.
    pub target: f64,
}

/// The `d` attribute of the balloon outline for `fill` in 0.0..=1.0 (clamped).
///
/// A smallest balloon is still drawn so that a deflated balloon is visible.
pub fn balloon_path(fill: f64) -> String {
    let fill = if fill.is_finite() {
        fill.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let radius = 30.0 + 60.0 * fill;
    let (kx, ky) = KNOT;
    let top = ky - 2.2 * radius;
    let mid = ky - 1.2 * radius;
    let half = radius;
    // Two cubic segments per side: knot -> widest point -> top, mirrored.
    format!(
        "M {kx:.1} {ky:.1} \
         C {l1:.1} {c1y:.1} {l2:.1} {mid:.1} {l2:.1} {midu:.1} \
         C {l2:.1} {c2y:.1} {l3:.1} {top:.1} {kx:.1} {top:.1} \
         C {r3:.1} {top:.1} {r2:.1} {c2y:.1} {r2:.1} {midu:.1} \
         C {r2:.1} {mid:.1} {r1:.1} {c1y:.1} {kx:.1} {ky:.1} Z",
        l1 = kx - 0.8 * half,
        r1 = kx + 0.8 * half,
        l2 = kx - half,
        r2 = kx + half,
        l3 = kx - 0.55 * half,
        r3 = kx + 0.55 * half,
        c1y = ky - 0.15 * radius,
        midu = mid - 0.3 * radius,
        c2y = top + 0.35 * radius,
    )
}

/// SVG balloon whose outline size follows `fill`, with the target outline behind it.
#[component]
pub fn BalloonOutline(props: &BalloonOutlineProps) -> Html {
    let (w, h) = VIEW_BOX;
    let (kx, ky) = KNOT;
    html! {
        <svg class="balloon" data-testid="balloon-svg" viewBox={format!("0 0 {w} {h}")}
            role="img" aria-label={format!("Balloon at {:.0}% of its largest size", props.fill * 100.0)}>
            <path class="balloon-target" data-testid="balloon-target" d={balloon_path(props.target)}
                fill="none" stroke="#888" stroke-dasharray="4 3" />
            <path class="balloon-outline" data-testid="balloon-outline" d={balloon_path(props.fill)}
                fill="#e8505b" fill-opacity="0.6" stroke="#a0202b" />
            <path class="balloon-string" d={format!("M {kx} {ky} q -8 8 0 16")} />
        </svg>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(d: &str) -> Vec<f64> {
        d.split(|c: char| c.is_ascii_alphabetic() || c.is_whitespace())
            .filter_map(|s| s.parse().ok())
            .collect()
    }

    fn extent(d: &str) -> (f64, f64) {
        let n = numbers(d);
        let xs: Vec<f64> = n.iter().step_by(2).copied().collect();
        let ys: Vec<f64> = n.iter().skip(1).step_by(2).copied().collect();
        let span = |v: &[f64]| {
            v.iter().cloned().fold(f64::MIN, f64::max) - v.iter().cloned().fold(f64::MAX, f64::min)
        };
        (span(&xs), span(&ys))
    }

    #[test]
    fn outline_grows_with_fill() {
        let (w0, h0) = extent(&balloon_path(0.0));
        let (w1, h1) = extent(&balloon_path(0.5));
        let (w2, h2) = extent(&balloon_path(1.0));
        assert!(w0 < w1 && w1 < w2, "width {w0} {w1} {w2}");
        assert!(h0 < h1 && h1 < h2, "height {h0} {h1} {h2}");
    }

    #[test]
    fn full_balloon_stays_inside_view_box() {
        for fill in [0.0, 0.3, 1.0, 7.0, f64::NAN, -1.0] {
            for pair in numbers(&balloon_path(fill)).chunks(2) {
                assert!(
                    (0.0..=VIEW_BOX.0).contains(&pair[0]),
                    "x {} at {fill}",
                    pair[0]
                );
                assert!(
                    (0.0..=VIEW_BOX.1).contains(&pair[1]),
                    "y {} at {fill}",
                    pair[1]
                );
            }
        }
    }

    #[test]
    fn bad_fill_is_clamped_not_propagated() {
        assert_eq!(balloon_path(f64::NAN), balloon_path(0.0));
        assert_eq!(balloon_path(2.0), balloon_path(1.0));
    }
}
