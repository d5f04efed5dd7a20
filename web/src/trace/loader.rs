//! Reading a trace into the importer a slice at a time, yielding to the browser between
//! slices so the page keeps painting its progress and answering input (a 47 MB log is about
//! fifty slices).

use balloon_sim::import::{ImportOptions, Importer, Recording};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, File};

use super::state::failure_message;

/// Bytes read and imported per slice.
pub const SLICE_BYTES: usize = 1 << 20;

/// gzip's magic number (RFC 1952, section 2.3.1).
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Gives the browser a turn (a `setTimeout(0)`), so it paints and handles input.
async fn yield_to_browser() {
    gloo_timers::future::TimeoutFuture::new(0).await;
}

/// The bytes an `arrayBuffer()` promise gives; `what` names the failure.
async fn array_buffer_bytes(promise: js_sys::Promise, what: &str) -> Result<Vec<u8>, String> {
    let buf = JsFuture::from(promise)
        .await
        .map_err(|e| format!("{what} ({e:?})"))?;
    let buf = buf
        .dyn_into::<js_sys::ArrayBuffer>()
        .map_err(|_| format!("{what} (no bytes)"))?;
    Ok(js_sys::Uint8Array::new(&buf).to_vec())
}

async fn blob_bytes(blob: &Blob) -> Result<Vec<u8>, String> {
    array_buffer_bytes(blob.array_buffer(), "the file could not be read").await
}

/// Where the trace's bytes come from.
#[derive(Debug)]
pub enum Source {
    /// A file from the picker or a drop.
    File(File),
    /// Pasted text.
    Text(String),
    /// Bytes already in memory (a decompressed `.gz`).
    Bytes(Vec<u8>),
}

impl Source {
    /// Its size in bytes.
    pub fn len(&self) -> f64 {
        match self {
            Source::File(f) => f.size(),
            Source::Text(t) => t.len() as f64,
            Source::Bytes(b) => b.len() as f64,
        }
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0.0
    }

    async fn slice(&self, from: f64, to: f64) -> Result<Vec<u8>, String> {
        match self {
            Source::File(f) => {
                blob_bytes(
                    &f.slice_with_f64_and_f64(from, to)
                        .map_err(|e| format!("{e:?}"))?,
                )
                .await
            }
            Source::Text(t) => Ok(t.as_bytes()[from as usize..to as usize].to_vec()),
            Source::Bytes(b) => Ok(b[from as usize..to as usize].to_vec()),
        }
    }
}

fn js_err(what: &str) -> impl Fn(wasm_bindgen::JsValue) -> String + '_ {
    move |e| format!("{what} failed ({e:?})")
}

/// The bytes of a gzip file, decompressed by the browser's own `DecompressionStream` (the
/// Compression Streams standard; called through `Reflect` because web-sys marks it unstable).
async fn gunzip(file: &File) -> Result<Vec<u8>, String> {
    use js_sys::{Array, Function, Reflect};
    use wasm_bindgen::JsValue;
    let global = js_sys::global();
    let ctor = |name: &str| -> Result<Function, String> {
        Reflect::get(&global, &name.into())
            .ok()
            .and_then(|c| c.dyn_into::<Function>().ok())
            .ok_or_else(|| {
                format!("this browser has no {name}: decompress the file first (gunzip)")
            })
    };
    let method = |obj: &JsValue, name: &str| -> Result<Function, String> {
        Reflect::get(obj, &name.into())
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok())
            .ok_or_else(|| format!("no {name} in this browser: decompress the file first (gunzip)"))
    };
    let ds = Reflect::construct(&ctor("DecompressionStream")?, &Array::of1(&"gzip".into()))
        .map_err(js_err("starting gzip decompression"))?;
    let stream = method(file, "stream")?
        .call0(file)
        .map_err(js_err("reading the file"))?;
    let out = method(&stream, "pipeThrough")?
        .call1(&stream, &ds)
        .map_err(js_err("decompressing"))?;
    let response = Reflect::construct(&ctor("Response")?, &Array::of1(&out))
        .map_err(js_err("decompressing"))?;
    let promise = method(&response, "arrayBuffer")?
        .call0(&response)
        .map_err(js_err("decompressing"))?;
    array_buffer_bytes(js_sys::Promise::from(promise), "the file is not valid gzip").await
}

/// Imports `trace` (and the QMP transcript `qmp`, read whole: it is small) a slice at a time;
/// `progress` hears (bytes done, bytes in all) after each slice. A gzip file is decompressed
/// first (then the bytes are those of the decompressed text).
pub async fn import(
    trace: Source,
    qmp: Option<Source>,
    progress: impl Fn(f64, f64),
) -> Result<Recording, String> {
    let trace = match trace {
        Source::File(f)
            if f.size() >= 2.0
                && blob_bytes(
                    &f.slice_with_f64_and_f64(0.0, 2.0)
                        .map_err(|e| format!("{e:?}"))?,
                )
                .await?
                    == GZIP_MAGIC =>
        {
            Source::Bytes(gunzip(&f).await?)
        }
        other => other,
    };
    let total = trace.len();
    let mut im = Importer::new(ImportOptions::default());
    let mut done = 0.0;
    while done < total {
        let to = (done + SLICE_BYTES as f64).min(total);
        let bytes = trace.slice(done, to).await?;
        im.push_trace_bytes(&bytes);
        done = to;
        progress(done, total);
        yield_to_browser().await;
    }
    if let Some(q) = qmp {
        let bytes = q.slice(0.0, q.len()).await?;
        for line in String::from_utf8_lossy(&bytes).lines() {
            im.push_qmp_line(line);
        }
    }
    im.finish().map_err(|e| failure_message(&e))
}
