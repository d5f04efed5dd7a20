//! The balloon of a recording at the cursor: the same drawing as the simulator's outline
//! (`balloon_path`), grown to the recorded `actual`, the dashed outline at `num_pages`.

use yew::prelude::*;

use crate::components::balloon_outline::{FRAME, VIEW_BOX, balloon_path, knot_path, string_path};
use crate::view_model::Fixed;
use crate::view_model::format_mib;

/// What [`trace_balloon`] draws.
#[derive(Properties, PartialEq, Debug)]
pub struct TraceBalloonProps {
    /// Guest RAM, pages (`None`: the recording does not say; the scale is then the peak).
    pub ram_pages: Option<u64>,
    /// `num_pages` at the cursor.
    pub num_pages: u32,
    /// `actual` at the cursor.
    pub actual: u32,
}

/// The balloon.
pub fn trace_balloon(props: &TraceBalloonProps) -> Html {
    let scale = props
        .ram_pages
        .unwrap_or_else(|| u64::from(props.num_pages.max(props.actual)))
        .max(1) as f64;
    let fill = |p: u32| f64::from(p) / scale;
    let (w, h) = VIEW_BOX;
    let (fx, fy, fw, fh) = FRAME;
    let ram = props.ram_pages.map_or_else(
        || "guest RAM not traced".to_owned(),
        |p| format!("guest RAM {}", format_mib(p)),
    );
    html! {
        <section class="balloon-panel" aria-label="Balloon at the cursor">
            <svg class="balloon" data-testid="trace-balloon" viewBox={format!("0 0 {} {}", Fixed(w, 0), Fixed(h, 0))} role="img"
                aria-label={format!("Balloon holding {} pages (actual), target {} pages", props.actual, props.num_pages)}>
                <rect class="guest-ram" x={Fixed(fx, 0).to_string()} y={Fixed(fy, 0).to_string()} width={Fixed(fw, 0).to_string()}
                    height={Fixed(fh, 0).to_string()} rx="6" />
                <text class="guest-ram-label" x="10" y="16">{ ram }</text>
                <path class="balloon-target" d={balloon_path(fill(props.num_pages))} />
                <path class={classes!("balloon-outline", (props.actual == 0).then_some("empty"))}
                    data-testid="trace-balloon-outline" d={balloon_path(fill(props.actual))} />
                <path class="balloon-knot" d={knot_path()} />
                <path class="balloon-string" d={string_path()} />
            </svg>
            <dl class="balloon-numbers">
                <dt>{ "num_pages (target)" }</dt>
                <dd><span data-testid="trace-num-pages">{ props.num_pages }</span>
                    { format!(" pages · {}", format_mib(u64::from(props.num_pages))) }</dd>
                <dt>{ "actual (in the balloon)" }</dt>
                <dd><span data-testid="trace-actual">{ props.actual }</span>
                    { format!(" pages · {}", format_mib(u64::from(props.actual))) }</dd>
            </dl>
        </section>
    }
}
