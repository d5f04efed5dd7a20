//! "Download SVG": the current balloon as a standalone SVG file (namespace, size, inline
//! styles, no external CSS), handed to the browser as a Blob behind an object URL.

use wasm_bindgen::{JsCast, JsValue};
use yew::prelude::*;

use crate::components::balloon_outline::{
    FRAME, VIEW_BOX, balloon_path, describe, knot_path, string_path, strip_widths,
};
use crate::view_model::Fixed;
use crate::view_model::{BalloonModel, format_bytes_mib, format_mib};

/// Width of the numbers' column right of the frame, in user units.
const SIDE_COLUMN: f64 = 170.0;

/// The file name the download gets.
pub const FILE_NAME: &str = "balloon.svg";

/// Escapes text for XML character data and attribute values.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// The balloon as a standalone SVG document: the same geometry as the page, with its colours
/// inline so that it looks the same in any viewer.
pub fn standalone_svg(b: &BalloonModel) -> String {
    let (w, h) = VIEW_BOX;
    let (fx, fy, fw, fh) = FRAME;
    let (ballooned, usable) = strip_widths(b);
    // The numbers go in a column right of the frame, so they never cross the balloon.
    let side = Fixed(w + 8.0, 0);
    let full_w = w + SIDE_COLUMN;
    let lines = [
        format!(
            "guest RAM {} pages ({})",
            b.ram_pages,
            format_mib(b.ram_pages)
        ),
        format!(
            "num_pages {} ({})",
            b.num_pages,
            format_mib(u64::from(b.num_pages))
        ),
        format!("actual {} ({})", b.actual, format_mib(u64::from(b.actual))),
        format!("usable {}", format_mib(b.usable_pages())),
        format!("host resident {}", format_bytes_mib(b.host_resident_bytes)),
    ];
    // The frame and the column are whole numbers (VIEW_BOX, FRAME, SIDE_COLUMN).
    let n = |v: f64| Fixed(v, 0);
    let text: String = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            format!(
                "  <text x=\"{side}\" y=\"{}\" font-family=\"system-ui, sans-serif\" font-size=\"10\" fill=\"#1d2330\">{}</text>\n",
                20 + 16 * i,
                xml_escape(l)
            )
        })
        .collect();
    format!(
        r##"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="{pw}" height="{ph}" viewBox="0 0 {full_w} {h}">
  <title>{title}</title>
  <rect x="0" y="0" width="{full_w}" height="{h}" fill="#ffffff"/>
  <rect x="{fx}" y="{fy}" width="{fw}" height="{fh}" rx="6" fill="#e4efe4" stroke="#4a6b4a" stroke-width="2"/>
  <path d="{target}" fill="none" stroke="#6b7280" stroke-width="1.5" stroke-dasharray="5 4"/>
  <path d="{body}" fill="#f3c6bd" fill-opacity="{opacity}" stroke="#d94f3d" stroke-width="2.5"/>
  <path d="{knot}" fill="#d94f3d"/>
  <path d="{string}" fill="none" stroke="#1d2330" stroke-width="1.2"/>
  <rect x="{sx}" y="188" width="{ballooned}" height="8" fill="#d94f3d"/>
  <rect x="{ux}" y="188" width="{usable}" height="8" fill="#7fb77f"/>
{text}</svg>
"##,
        pw = n(full_w * 2.0),
        ph = n(h * 2.0),
        title = xml_escape(&describe(b)),
        target = balloon_path(b.target_fill()),
        body = balloon_path(b.actual_fill()),
        opacity = if b.actual == 0 { "0.3" } else { "1" },
        knot = knot_path(),
        string = string_path(),
        sx = n(fx + 2.0),
        ux = Fixed(fx + 2.0 + ballooned, 2),
        ballooned = Fixed(ballooned, 2),
        usable = Fixed(usable, 2),
        full_w = n(full_w),
        h = n(h),
        fx = n(fx),
        fy = n(fy),
        fw = n(fw),
        fh = n(fh),
    )
}

/// Hands `svg` to the browser as a file download.
fn download(svg: &str) -> Result<(), JsValue> {
    let window = web_sys::window().ok_or("no window")?;
    let document = window.document().ok_or("no document")?;
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type("image/svg+xml");
    let parts = js_sys::Array::of1(&JsValue::from_str(svg));
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    let a: web_sys::HtmlAnchorElement = document.create_element("a")?.dyn_into()?;
    a.set_href(&url);
    a.set_download(FILE_NAME);
    a.click();
    // The click has started the download; the blob no longer needs a URL.
    web_sys::Url::revoke_object_url(&url)
}

/// Properties of [`DownloadSvg`].
#[derive(Properties, PartialEq, Debug)]
pub struct DownloadSvgProps {
    /// The balloon to export.
    pub balloon: BalloonModel,
}

/// The "Download SVG" button; a failure (no Blob support) shows a message instead.
#[component]
pub fn DownloadSvg(props: &DownloadSvgProps) -> Html {
    let error = use_state(|| None::<String>);
    let onclick = {
        let error = error.clone();
        let b = props.balloon.clone();
        Callback::from(move |_: MouseEvent| match download(&standalone_svg(&b)) {
            Ok(()) => error.set(None),
            Err(e) => error.set(Some(format!(
                "download failed: {}",
                e.as_string().unwrap_or_else(|| format!("{e:?}"))
            ))),
        })
    };
    html! {
        <div class="download-svg">
            <button type="button" data-testid="download-svg" {onclick}>{ "Download SVG" }</button>
            if let Some(msg) = &*error {
                <p class="error" role="alert">{ msg }</p>
            }
        </div>
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use quick_xml::events::Event;

    /// The root element's attributes and every element name, in document order.
    type Parsed = (Vec<(String, String)>, Vec<String>);

    /// Parses the whole document, or returns the first XML error.
    fn parse(svg: &str) -> Result<Parsed, String> {
        let mut reader = quick_xml::Reader::from_str(svg);
        reader.config_mut().check_end_names = true;
        let (mut root, mut names, mut depth) = (None, Vec::new(), 0i32);
        loop {
            let (e, opens) = match reader.read_event().map_err(|e| e.to_string())? {
                Event::Start(e) => (e, true),
                Event::Empty(e) => (e, false),
                Event::End(_) => {
                    depth -= 1;
                    continue;
                }
                Event::Eof => break,
                _ => continue,
            };
            let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
            if root.is_none() {
                let attrs = e
                    .attributes()
                    .map(|a| {
                        let a = a.map_err(|e| e.to_string())?;
                        Ok((
                            String::from_utf8_lossy(a.key.as_ref()).into_owned(),
                            a.normalized_value(quick_xml::XmlVersion::Explicit1_0)
                                .map_err(|e| e.to_string())?
                                .into_owned(),
                        ))
                    })
                    .collect::<Result<Vec<_>, String>>()?;
                root = Some(attrs);
            }
            names.push(name);
            depth += i32::from(opens);
        }
        if depth != 0 {
            return Err(format!("{depth} elements left open"));
        }
        Ok((root.ok_or("no root element")?, names))
    }

    fn model(actual: u32, num_pages: u32) -> BalloonModel {
        BalloonModel {
            ram_pages: 262_144,
            num_pages,
            actual,
            host_resident_bytes: 1 << 30,
            vmm_overhead_bytes: 0,
            saved_bytes: 0,
        }
    }

    #[test]
    fn export_is_well_formed_and_standalone() {
        for (actual, target) in [(0, 0), (131_072, 131_072), (1, 262_144)] {
            let svg = standalone_svg(&model(actual, target));
            let (root, names) = parse(&svg).unwrap_or_else(|e| panic!("{e}\n{svg}"));
            let attr = |k: &str| root.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
            assert_eq!(names[0], "svg");
            assert_eq!(attr("xmlns").as_deref(), Some("http://www.w3.org/2000/svg"));
            assert_eq!(attr("width").as_deref(), Some("820"));
            assert_eq!(attr("height").as_deref(), Some("400"));
            assert!(attr("viewBox").is_some());
            // Standalone: no classes, stylesheets or links to anything outside the file.
            for outside in ["class=", "<style", "href", "url(", "var(--"] {
                assert!(!svg.contains(outside), "{outside} in\n{svg}");
            }
            assert!(svg.contains(&balloon_path(f64::from(actual) / 262_144.0)));
            assert!(svg.contains(&format!(">actual {actual} (")), "{svg}");
            assert!(svg.contains(&format!(">num_pages {target} (")), "{svg}");
        }
    }

    #[test]
    fn a_broken_document_fails_the_check() {
        let svg = standalone_svg(&model(5, 5)).replace("</svg>", "</g>");
        assert!(parse(&svg).is_err());
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(xml_escape(r#"<a & "b">"#), "&lt;a &amp; &quot;b&quot;&gt;");
    }
}
