//! The balloon inside the guest's RAM: a frame that stands for guest memory, the balloon's
//! body, knot and string as cubic Bézier paths, a dashed outline of the target, and the numbers
//! beside it. Everything is in one viewBox, so it scales to any size without loss.

use yew::prelude::*;

use crate::components::download_svg::DownloadSvg;
use crate::view_model::Fixed;
use crate::view_model::{BalloonModel, format_bytes_mib, format_mib};

/// Width and height of the SVG user space; the frame (guest RAM) fills it.
pub const VIEW_BOX: (f64, f64) = (240.0, 200.0);
/// The guest-RAM frame: x, y, width, height.
pub const FRAME: (f64, f64, f64, f64) = (2.0, 2.0, 236.0, 196.0);
/// Where the body meets the knot: the balloon grows up and out from here.
pub const KNOT: (f64, f64) = (120.0, 166.0);
/// Height of the empty balloon (its rubber) and of a balloon holding all of guest RAM.
const H_EMPTY: f64 = 18.0;
const H_FULL: f64 = 150.0;
/// Width of the body relative to its height.
const ASPECT: f64 = 0.8;
/// The usable-memory strip along the frame's bottom edge: y and height.
const STRIP: (f64, f64) = (188.0, 8.0);

/// The height of a body holding `fill` of guest RAM (clamped to 0.0..=1.0, NaN as 0).
///
/// The area of a fixed shape goes with its height squared, so the area above the empty
/// rubber grows in proportion to the ballooned pages.
pub fn body_height(fill: f64) -> f64 {
    let fill = if fill.is_finite() {
        fill.clamp(0.0, 1.0)
    } else {
        0.0
    };
    (H_EMPTY * H_EMPTY + (H_FULL * H_FULL - H_EMPTY * H_EMPTY) * fill).sqrt()
}

/// The `d` attribute of the balloon body for `fill` of guest RAM: four cubic segments,
/// knot → widest right → top → widest left → knot.
pub fn balloon_path(fill: f64) -> String {
    let h = body_height(fill);
    let w = ASPECT * h;
    let (cx, ky) = KNOT;
    let x = |f: f64| cx + f * w;
    let y = |f: f64| ky - f * h;
    let v = [
        cx,
        ky,
        x(0.14),
        y(0.06),
        x(0.5),
        y(0.34),
        x(0.5),
        y(0.62),
        x(0.5),
        y(0.88),
        x(0.27),
        y(1.0),
        cx,
        y(1.0),
        x(-0.27),
        y(1.0),
        x(-0.5),
        y(0.88),
        x(-0.5),
        y(0.62),
        x(-0.5),
        y(0.34),
        x(-0.14),
        y(0.06),
        cx,
        ky,
    ];
    let mut d = format!("M {} {}", Fixed(v[0], 2), Fixed(v[1], 2));
    for (i, c) in v[2..].iter().enumerate() {
        // Four cubic segments of three points each.
        let sep = if i % 6 == 0 { " C " } else { " " };
        d += &format!("{sep}{}", Fixed(*c, 3));
    }
    d + " Z"
}

/// The knot: a small triangle under the body.
pub fn knot_path() -> String {
    let (cx, ky) = KNOT;
    // Whole numbers (checked by `constant_paths_print_as_std_does`).
    let n = |v: f64| Fixed(v, 0);
    format!(
        "M {} {} L {} {} L {} {} Z",
        n(cx),
        n(ky),
        n(cx - 4.0),
        n(ky + 6.0),
        n(cx + 4.0),
        n(ky + 6.0)
    )
}

/// The string: from the knot down to the frame's floor, one S curve.
pub fn string_path() -> String {
    let (cx, ky) = KNOT;
    let floor = STRIP.0 - 2.0;
    let mid = (ky + 6.0 + floor) / 2.0;
    let n = |v: f64| Fixed(v, 0);
    let (cx, mid, floor) = (n(cx), n(mid), n(floor));
    format!(
        "M {cx} {} C {} {} {} {} {cx} {mid} S {} {floor} {cx} {floor}",
        n(ky + 6.0),
        n(cx.0 - 8.0),
        n(ky + 9.0),
        n(cx.0 - 8.0),
        n(mid.0 - 3.0),
        n(cx.0 + 8.0),
    )
}

/// Widths of the usable-memory strip: (balloon part, usable part), in user units.
pub fn strip_widths(b: &BalloonModel) -> (f64, f64) {
    let full = FRAME.2 - 4.0;
    let balloon = full * b.actual_fill();
    (balloon, full - balloon)
}

/// One line describing the picture, for screen readers and the SVG title.
pub fn describe(b: &BalloonModel) -> String {
    format!(
        "Balloon holding {} of {} guest pages ({} of {}); target {} pages",
        b.actual,
        b.ram_pages,
        format_mib(u64::from(b.actual)),
        format_mib(b.ram_pages),
        b.num_pages
    )
}

/// What [`balloon_view`] draws (through [`memo`](crate::components::memo::memo)).
#[derive(Properties, PartialEq, Debug)]
pub struct BalloonOutlineProps {
    /// The numbers to draw.
    pub balloon: BalloonModel,
}

/// The guest-RAM frame with the balloon, its target, and the numbers beside them.
pub fn balloon_view(props: &BalloonOutlineProps) -> Html {
    let b = &props.balloon;
    let (w, h) = VIEW_BOX;
    let (fx, fy, fw, fh) = FRAME;
    let (ballooned, usable) = strip_widths(b);
    let empty = b.actual == 0;
    html! {
        <section class="balloon-panel" aria-label="Balloon">
            <svg class="balloon" data-testid="balloon-svg" viewBox={format!("0 0 {} {}", Fixed(w, 0), Fixed(h, 0))}
                role="img" aria-label={describe(b)}>
                <rect class="guest-ram" data-testid="guest-ram" x={Fixed(fx, 0).to_string()} y={Fixed(fy, 0).to_string()}
                    width={Fixed(fw, 0).to_string()} height={Fixed(fh, 0).to_string()} rx="6" />
                <text class="guest-ram-label" x="10" y="16">{ format!("guest RAM {}", format_mib(b.ram_pages)) }</text>
                <text class="guest-ram-label usable" x="10" y="28">{ format!("usable {}", format_mib(b.usable_pages())) }</text>
                <path class="balloon-target" data-testid="balloon-target" d={balloon_path(b.target_fill())} />
                <path class={classes!("balloon-outline", empty.then_some("empty"))}
                    data-testid="balloon-outline" d={balloon_path(b.actual_fill())} />
                <path class="balloon-knot" d={knot_path()} />
                <path class="balloon-string" d={string_path()} />
                <rect class="strip-balloon" x={Fixed(fx + 2.0, 0).to_string()} y={Fixed(STRIP.0, 0).to_string()}
                    width={Fixed(ballooned, 2).to_string()} height={Fixed(STRIP.1, 0).to_string()} />
                <rect class="strip-usable" x={Fixed(fx + 2.0 + ballooned, 2).to_string()} y={Fixed(STRIP.0, 0).to_string()}
                    width={Fixed(usable, 2).to_string()} height={Fixed(STRIP.1, 0).to_string()} />
            </svg>
            <dl class="balloon-numbers">
                <dt>{ "num_pages (target)" }</dt>
                <dd><span data-testid="num-pages">{ b.num_pages }</span>
                    { format!(" pages · {}", format_mib(u64::from(b.num_pages))) }</dd>
                <dt>{ "actual (in the balloon)" }</dt>
                <dd><span data-testid="actual-pages">{ b.actual }</span>
                    { format!(" pages · {}", format_mib(u64::from(b.actual))) }</dd>
                <dt>{ "usable by the guest" }</dt>
                <dd data-testid="usable-pages">{ format!("{} pages · {}", b.usable_pages(), format_mib(b.usable_pages())) }</dd>
                <dt>{ "host resident size" }</dt>
                <dd data-testid="host-resident">{ format_bytes_mib(b.host_resident_bytes) }</dd>
            </dl>
            <DownloadSvg balloon={b.clone()} />
        </section>
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

    /// (min x, min y, max x, max y) of the path's points (control points included, which
    /// bound the curve).
    fn extent(d: &str) -> (f64, f64, f64, f64) {
        let n = numbers(d);
        let xs = n.iter().step_by(2);
        let ys = n.iter().skip(1).step_by(2);
        (
            xs.clone().cloned().fold(f64::MAX, f64::min),
            ys.clone().cloned().fold(f64::MAX, f64::min),
            xs.cloned().fold(f64::MIN, f64::max),
            ys.cloned().fold(f64::MIN, f64::max),
        )
    }

    #[test]
    fn outline_grows_monotonically_with_actual() {
        let ram = 262_144u64;
        let mut last = (0.0, 0.0);
        for actual in [0u32, 1, 256, 4096, 65_536, 131_072, 200_000, 262_144] {
            let b = BalloonModel {
                ram_pages: ram,
                num_pages: actual,
                actual,
                host_resident_bytes: 0,
                vmm_overhead_bytes: 0,
                saved_bytes: 0,
            };
            let (x0, y0, x1, y1) = extent(&balloon_path(b.actual_fill()));
            let (w, h) = (x1 - x0, y1 - y0);
            assert!(w > last.0 && h > last.1, "{actual}: {w}x{h} after {last:?}");
            last = (w, h);
        }
    }

    #[test]
    fn area_above_the_rubber_is_proportional_to_actual() {
        let area = |f: f64| body_height(f).powi(2) - body_height(0.0).powi(2);
        let (a1, a2) = (area(0.25), area(0.5));
        assert!((a2 / a1 - 2.0).abs() < 1e-9, "{a1} {a2}");
    }

    #[test]
    fn every_shape_stays_inside_the_frame() {
        let (fx, fy, fw, fh) = FRAME;
        for fill in [0.0, 0.3, 1.0, 7.0, f64::NAN, -1.0] {
            for d in [balloon_path(fill), knot_path(), string_path()] {
                let (x0, y0, x1, y1) = extent(&d);
                assert!(x0 >= fx && x1 <= fx + fw, "x {x0}..{x1} at {fill}");
                assert!(y0 >= fy && y1 <= fy + fh, "y {y0}..{y1} at {fill}");
            }
        }
    }

    #[test]
    fn bad_fill_is_clamped_not_propagated() {
        assert_eq!(balloon_path(f64::NAN), balloon_path(0.0));
        assert_eq!(balloon_path(2.0), balloon_path(1.0));
    }

    #[test]
    fn strip_splits_the_frame_by_actual() {
        let b = BalloonModel {
            ram_pages: 4,
            num_pages: 1,
            actual: 1,
            host_resident_bytes: 0,
            vmm_overhead_bytes: 0,
            saved_bytes: 0,
        };
        let (balloon, usable) = strip_widths(&b);
        assert!((usable / balloon - 3.0).abs() < 1e-9);
    }

    /// The knot and the string are drawn from whole-number constants, which `Fixed(v, 0)`
    /// prints as std's shortest form does.
    #[test]
    fn constant_paths_print_as_std_does() {
        let (cx, ky) = KNOT;
        let floor = STRIP.0 - 2.0;
        let mid = (ky + 6.0 + floor) / 2.0;
        let knot = format!(
            "M {cx} {ky} L {} {} L {} {} Z",
            cx - 4.0,
            ky + 6.0,
            cx + 4.0,
            ky + 6.0
        );
        let string = format!(
            "M {cx} {} C {} {} {} {} {cx} {mid} S {} {floor} {cx} {floor}",
            ky + 6.0,
            cx - 8.0,
            ky + 9.0,
            cx - 8.0,
            mid - 3.0,
            cx + 8.0,
        );
        assert_eq!(knot_path(), knot);
        assert_eq!(string_path(), string);
        let (fx, fy, fw, fh) = FRAME;
        for v in [fx, fy, fw, fh, STRIP.0, STRIP.1, VIEW_BOX.0, VIEW_BOX.1] {
            assert_eq!(Fixed(v, 0).to_string(), v.to_string());
        }
    }
}
