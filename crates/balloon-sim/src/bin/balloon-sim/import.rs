//! `balloon-sim import`: a real QEMU trace (plain or gzip, streamed in chunks) and an optional
//! QMP transcript, printed as events, the input report and the summary.

use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::process::ExitCode;

use balloon_sim::import::{
    ImportOptions, ImportSummary, ImportedEvent, Importer, Recording, Report,
};
use serde::Serialize;

/// The QMP transcript is read whole; a real one is kilobytes.
const MAX_QMP_BYTES: u64 = 64 << 20;
const CHUNK: usize = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Text,
    Json,
}

/// Parsed `import` arguments.
#[derive(Debug)]
pub struct Options {
    trace: String,
    qmp: Option<String>,
    format: Format,
    opts: ImportOptions,
}

/// Parses the arguments after `import`.
pub fn parse_args(args: &[String]) -> Result<Options, String> {
    let mut trace = None;
    let mut qmp = None;
    let mut format = Format::Text;
    let mut opts = ImportOptions::default();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--qmp" => qmp = Some(it.next().ok_or("--qmp needs a value")?.clone()),
            "--format" => {
                format = match it.next().map(String::as_str) {
                    Some("text") => Format::Text,
                    Some("json") => Format::Json,
                    v => return Err(format!("unknown format {v:?}: expected text or json")),
                }
            }
            "--free-page-hint" => opts.free_page_hint = true,
            s if s.starts_with("--") => return Err(format!("unknown option {s}")),
            s if trace.is_none() => trace = Some(s.to_owned()),
            s => return Err(format!("unexpected argument {s:?}")),
        }
    }
    Ok(Options {
        trace: trace.ok_or("import needs a TRACE file (or - for stdin)")?,
        qmp,
        format,
        opts,
    })
}

/// Streams `r` into the importer; gzip is recognised by its magic bytes, not the file name.
fn feed(im: &mut Importer, r: impl Read + 'static) -> io::Result<()> {
    let mut r = BufReader::with_capacity(CHUNK, r);
    let gz = r.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    let mut src: Box<dyn Read> = if gz { gunzip(r)? } else { Box::new(r) };
    let mut buf = vec![0u8; CHUNK];
    loop {
        match src.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => im.push_trace_bytes(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// `flate2` (pure Rust, miniz_oxide) is a native-only dependency: the wasm build of this CLI
/// reads plain text only.
#[cfg(not(target_arch = "wasm32"))]
fn gunzip(r: impl Read + 'static) -> io::Result<Box<dyn Read>> {
    Ok(Box::new(flate2::read::MultiGzDecoder::new(r)))
}

#[cfg(target_arch = "wasm32")]
fn gunzip(_: impl Read + 'static) -> io::Result<Box<dyn Read>> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "gzip input needs the native build; decompress it first",
    ))
}

/// Runs `balloon-sim import`.
pub fn run(o: &Options) -> ExitCode {
    let mut im = Importer::new(o.opts);
    let read = if o.trace == "-" {
        feed(&mut im, io::stdin().lock())
    } else {
        std::fs::File::open(&o.trace).and_then(|f| feed(&mut im, f))
    };
    // A cut gzip or a read error: what was read is still shown, and the exit status says
    // the input was incomplete.
    let incomplete = match read {
        Ok(()) => false,
        Err(e) => {
            let why = if e.kind() == io::ErrorKind::UnexpectedEof {
                "the compressed stream ends early (file cut off?)".to_owned()
            } else {
                e.to_string()
            };
            eprintln!("balloon-sim: {}: read stopped: {why}", o.trace);
            true
        }
    };
    if let Some(path) = &o.qmp {
        let mut bytes = Vec::new();
        let read =
            std::fs::File::open(path).and_then(|f| f.take(MAX_QMP_BYTES).read_to_end(&mut bytes));
        if let Err(e) = read {
            eprintln!("balloon-sim: cannot read {path}: {e}");
            return ExitCode::FAILURE;
        }
        for line in String::from_utf8_lossy(&bytes).lines() {
            im.push_qmp_line(line);
        }
    }
    let rec = match im.finish() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("balloon-sim: {}: {e}", o.trace);
            if let Some(r) = e.report() {
                for l in report_lines(r) {
                    eprintln!("  {l}");
                }
            }
            return ExitCode::FAILURE;
        }
    };
    print(&rec, o.format);
    if incomplete {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

#[derive(Serialize)]
struct EventLine<'a> {
    event: EventJson<'a>,
}

#[derive(Serialize)]
struct EventJson<'a> {
    #[serde(flatten)]
    ev: &'a ImportedEvent,
    function: &'static str,
    sentence: String,
}

#[derive(Serialize)]
struct ReportLine<'a> {
    report: &'a Report,
}

#[derive(Serialize)]
struct SummaryLine {
    summary: ImportSummary,
}

fn time(t: Option<i64>) -> String {
    match t {
        Some(t) if t < 0 => format!("-{}", balloon_sim::clock::format_time(t.unsigned_abs())),
        Some(t) => balloon_sim::clock::format_time(t as u64),
        None => "?".to_owned(),
    }
}

fn report_lines(r: &Report) -> Vec<String> {
    let mut out = vec![format!(
        "{} trace lines ({} mapped, {} other events, {} rejected), {} QMP lines",
        r.trace_lines, r.mapped_lines, r.other_event_lines, r.bad_lines, r.qmp_lines
    )];
    for b in &r.bad_samples {
        out.push(format!(
            "{} line {}: {}: {:?}",
            b.source,
            b.line,
            b.reason.describe(),
            b.snippet
        ));
    }
    if r.out_of_order > 0 {
        let first: Vec<String> = r
            .out_of_order_samples
            .iter()
            .map(|s| format!("line {} ({} µs back)", s.line, s.behind_ns / 1000))
            .collect();
        out.push(format!(
            "{} lines out of time order, kept in line order: {}",
            r.out_of_order,
            first.join(", ")
        ));
    }
    if r.foreign_lines > 0 {
        out.push(format!(
            "{} lines about another device or process, not mapped (first at lines {:?})",
            r.foreign_lines, r.foreign_samples
        ));
    }
    if r.unattributed_pfns > 0 {
        out.push(format!(
            "{} pages with no element popped before them",
            r.unattributed_pfns
        ));
    }
    if r.events_dropped > 0 {
        out.push(format!(
            "{} events counted but not listed",
            r.events_dropped
        ));
    }
    if r.missing_final_newline {
        out.push("the trace does not end with a newline (cut off?)".to_owned());
    }
    out.push(format!("threads: {:?}", r.threads));
    out
}

fn print(rec: &Recording, format: Format) {
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let s = rec.summary();
    match format {
        Format::Json => {
            for ev in &rec.events {
                let line = EventLine {
                    event: EventJson {
                        ev,
                        function: ev.kind.function(),
                        sentence: ev.kind.sentence(),
                    },
                };
                let _ = writeln!(out, "{}", serde_json::to_string(&line).unwrap_or_default());
            }
            let report = ReportLine {
                report: &rec.report,
            };
            let _ = writeln!(
                out,
                "{}",
                serde_json::to_string(&report).unwrap_or_default()
            );
            let summary = SummaryLine { summary: s };
            let _ = writeln!(
                out,
                "{}",
                serde_json::to_string(&summary).unwrap_or_default()
            );
        }
        Format::Text => {
            for ev in &rec.events {
                let _ = writeln!(
                    out,
                    "[{:>18}] {:>7} {:<26} {}",
                    time(ev.t_ns),
                    ev.line,
                    ev.kind.function(),
                    ev.kind.sentence()
                );
            }
            for l in report_lines(&rec.report) {
                let _ = writeln!(out, "report: {l}");
            }
            let opt = |v: Option<u32>| v.map_or("unknown".to_owned(), |v| v.to_string());
            let _ = writeln!(
                out,
                "summary: inflate_messages={} deflate_messages={} stats_messages={} reporting_messages={} pfns_inflated={} pfns_deflated={} num_pages={} actual_pages={} balloon_change_events={} duration_s={:.6}",
                s.inflate_messages,
                s.deflate_messages,
                s.stats_messages,
                s.reporting_messages,
                s.pfns_inflated,
                s.pfns_deflated,
                opt(s.num_pages),
                opt(s.actual_pages),
                s.balloon_change_events,
                s.duration_s
            );
        }
    }
    let _ = out.flush();
}
