//! How clean the input was: lines read and mapped, the first rejected lines with their
//! numbers, lines out of time order or from another device, and the marks found.

use std::rc::Rc;

use balloon_sim::import::{Mark, Report};
use yew::prelude::*;

use crate::components::markup::{Esc, markup};
use crate::components::series_chart::mark_words;

/// What [`trace_report`] draws.
#[derive(Properties, PartialEq, Debug)]
pub struct TraceReportProps {
    /// The import's report.
    pub report: Rc<Report>,
    /// Gaps, stalls and pages taken back.
    pub marks: Rc<Vec<Mark>>,
}

/// The report.
pub fn trace_report(props: &TraceReportProps) -> Html {
    let r = &props.report;
    let mut out = format!(
        "<section class=\"trace-report\" data-testid=\"trace-report\" aria-label=\"Import report\">\
         <h2>What the file held</h2><p>{} trace lines read, {} mapped, {} of other events, {} \
         rejected; {} QMP lines.</p>",
        r.trace_lines, r.mapped_lines, r.other_event_lines, r.bad_lines, r.qmp_lines
    );
    if r.bad_lines > 0 {
        out += "<ul class=\"bad-lines\" data-testid=\"bad-lines\">";
        for b in &r.bad_samples {
            let head = format!("{} line {}: {} — ", b.source, b.line, b.reason.describe());
            out += &format!("<li>{}<code>{}</code></li>", Esc(&head), Esc(&b.snippet));
        }
        out += "</ul>";
    }
    if r.out_of_order > 0 {
        out += &format!(
            "<p>{} lines go back in time (kept where they are).</p>",
            r.out_of_order
        );
    }
    if r.foreign_lines > 0 {
        out += &format!(
            "<p>{} lines belong to another device or process (left out).</p>",
            r.foreign_lines
        );
    }
    if r.events_dropped > 0 {
        out += &format!(
            "<p>{} events beyond the timeline's limit were counted but not kept.</p>",
            r.events_dropped
        );
    }
    out += "<h3>Marks</h3>";
    if props.marks.is_empty() {
        out += "<p data-testid=\"no-marks\">No gap longer than 3 s, no stall, no pages taken back.</p>";
    } else {
        out += "<ul data-testid=\"marks\">";
        for m in props.marks.iter() {
            out += &format!("<li>{}</li>", Esc(&mark_words(m)));
        }
        out += "</ul>";
    }
    markup(out + "</section>")
}
