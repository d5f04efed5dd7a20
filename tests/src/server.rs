//! A tiny static file server on 127.0.0.1 (ephemeral port) for the trunk-built `dist/`.
//!
//! One thread per connection, `Connection: close`, GET only: enough for one browser session.
//! Every response allows any origin, as public static hosts do: the book's embeds run in
//! sandboxed frames whose origin is opaque, and they load the playground's module and wasm.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

/// A running server; it lives until the test process exits.
#[derive(Debug)]
pub struct StaticServer {
    addr: SocketAddr,
}

impl StaticServer {
    /// Serves `root` on a free port of 127.0.0.1.
    pub fn start(root: &Path) -> std::io::Result<Self> {
        Self::start_with_headers(root, &[])
    }

    /// Serves `root`, adding `headers` to every response (e.g. a Content-Security-Policy).
    pub fn start_with_headers(root: &Path, headers: &[(&str, &str)]) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let root = root.to_path_buf();
        let extra: Arc<str> = headers
            .iter()
            .map(|(name, value)| format!("{name}: {value}\r\n"))
            .collect::<String>()
            .into();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (root, extra) = (root.clone(), Arc::clone(&extra));
                std::thread::spawn(move || {
                    // A browser that drops a connection mid-response is not a test failure.
                    let _ = respond(stream, &root, &extra);
                });
            }
        });
        Ok(StaticServer { addr })
    }

    /// The base URL, e.g. `http://127.0.0.1:41234/`.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }
}

fn respond(stream: TcpStream, root: &Path, extra_headers: &str) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    // Drain the headers; the server needs none of them.
    let mut header = String::new();
    while reader.read_line(&mut header)? > 2 {
        header.clear();
    }
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
    let file = resolve(root, target);
    let (status, content_type, body) = match (method, file.and_then(|f| read(&f))) {
        ("GET" | "HEAD", Some((path, body))) => ("200 OK", content_type(&path), body),
        ("GET" | "HEAD", None) => ("404 Not Found", "text/plain", b"not found".to_vec()),
        _ => ("405 Method Not Allowed", "text/plain", Vec::new()),
    };
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nAccess-Control-Allow-Origin: *\r\nConnection: close\r\n{extra_headers}\r\n",
        body.len()
    )?;
    if method != "HEAD" {
        stream.write_all(&body)?;
    }
    stream.flush()
}

/// Maps a request target to a file under `root`, refusing anything that climbs out of it.
fn resolve(root: &Path, target: &str) -> Option<PathBuf> {
    let path = target.split(['?', '#']).next().unwrap_or("/");
    let mut file = root.to_path_buf();
    for part in Path::new(path.trim_start_matches('/')).components() {
        match part {
            Component::Normal(name) => file.push(name),
            Component::CurDir => {}
            _ => return None,
        }
    }
    if file.is_dir() {
        file.push("index.html");
    }
    Some(file)
}

fn read(path: &Path) -> Option<(PathBuf, Vec<u8>)> {
    std::fs::read(path)
        .ok()
        .map(|body| (path.to_path_buf(), body))
}

/// wasm must be `application/wasm`, or the browser refuses streaming compilation.
fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "json" => "application/json",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn get(server: &StaticServer, target: &str) -> String {
        let mut stream = TcpStream::connect(server.addr).unwrap();
        write!(stream, "GET {target} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let mut out = String::new();
        stream.read_to_string(&mut out).unwrap();
        out
    }

    #[test]
    fn serves_index_types_and_refuses_escapes() {
        let dir = std::env::temp_dir().join(format!("e2e-server-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("index.html"), "<p>hi</p>").unwrap();
        std::fs::write(dir.join("app.wasm"), "\0asm").unwrap();
        let server = StaticServer::start(&dir).unwrap();

        let index = get(&server, "/?embed=1");
        assert!(index.starts_with("HTTP/1.1 200 OK"), "{index}");
        assert!(
            index.contains("text/html") && index.ends_with("<p>hi</p>"),
            "{index}"
        );
        let wasm = get(&server, "/app.wasm");
        assert!(wasm.contains("Content-Type: application/wasm"), "{wasm}");
        assert!(wasm.contains("Access-Control-Allow-Origin: *"), "{wasm}");
        assert!(get(&server, "/missing.js").starts_with("HTTP/1.1 404"));
        assert!(get(&server, "/../etc/passwd").starts_with("HTTP/1.1 404"));
        assert!(!index.contains("Content-Security-Policy"));

        let csp = StaticServer::start_with_headers(&dir, &[("Content-Security-Policy", "a 'b'")])
            .unwrap();
        let index = get(&csp, "/");
        assert!(
            index.contains("\r\nContent-Security-Policy: a 'b'\r\n\r\n<p>hi</p>"),
            "{index}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
