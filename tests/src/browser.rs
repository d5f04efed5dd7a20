//! Headless Chromium through Debian's chromedriver, driven over WebDriver with fantoccini.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

/// Chromium's flags for a root user in a container without a display (see TOOLCHAIN.md).
const CHROME_ARGS: [&str; 9] = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,900",
];

/// A chromedriver process on a free loopback port, killed when dropped.
#[derive(Debug)]
pub struct ChromeDriver {
    child: Child,
    port: u16,
    /// Sessions opened, ended on drop (chromedriver leaves their browsers running otherwise).
    sessions: Mutex<Vec<String>>,
}

impl ChromeDriver {
    /// Starts `$CHROMEDRIVER` (default `/usr/bin/chromedriver`) and waits until it listens.
    pub fn start() -> std::io::Result<Self> {
        let program =
            std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".to_owned());
        // Ask the OS for a free port, then hand it to chromedriver.
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let mut child = Command::new(&program)
            .arg(format!("--port={port}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let stdout = child.stdout.take().ok_or(std::io::ErrorKind::BrokenPipe)?;
        // chromedriver prints one line once it listens: wait for it instead of sleeping.
        let mut lines = BufReader::new(stdout).lines();
        loop {
            match lines.next() {
                Some(Ok(line)) if line.contains("started successfully") => break,
                Some(Ok(_)) => {}
                _ => {
                    let _ = child.kill();
                    return Err(std::io::Error::other(format!("{program} exited early")));
                }
            }
        }
        // Keep draining its stdout so it never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Ok(ChromeDriver {
            child,
            port,
            sessions: Mutex::new(Vec::new()),
        })
    }

    /// Opens a new headless Chromium session that records the browser console.
    pub async fn session(&self) -> Result<Client, fantoccini::error::NewSessionError> {
        let binary = std::env::var("CHROME_BIN").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert(
            "goog:chromeOptions".into(),
            json!({ "binary": binary, "args": CHROME_ARGS }),
        );
        caps.insert("goog:loggingPrefs".into(), json!({ "browser": "ALL" }));
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await?;
        if let Ok(Some(id)) = client.session_id().await {
            self.sessions
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(id);
        }
        Ok(client)
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        // A test that failed never closed its session: ask chromedriver to end those browsers
        // (plain blocking HTTP, since the test's async runtime is gone by now).
        let sessions =
            std::mem::take(&mut *self.sessions.lock().unwrap_or_else(|e| e.into_inner()));
        for id in sessions {
            let _ = delete_session(self.port, &id);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `DELETE /session/{id}` to chromedriver on `port`, which quits that browser. Blocking, bounded
/// by a timeout; an already closed session just gets an error reply.
fn delete_session(port: u16, id: &str) -> std::io::Result<()> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    write!(
        stream,
        "DELETE /session/{id} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\n\
         Connection: close\r\n\r\n"
    )?;
    // Wait for the reply's first bytes: chromedriver answers once the browser has quit (it
    // may keep the connection open after that, so reading to the end would wait for nothing).
    let mut reply = [0; 512];
    stream.read(&mut reply).map(drop)
}

/// One browser console entry.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsoleEntry {
    /// `SEVERE` for errors, `WARNING`, `INFO`, ...
    pub level: String,
    /// The message as Chromium formats it.
    pub message: String,
}

/// chromedriver's log endpoint: the console entries since the last call.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/se/log",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({ "type": "browser" }).to_string()),
        )
    }
}

/// Reads (and clears) the browser console of `client`'s session.
pub async fn console(client: &Client) -> Result<Vec<ConsoleEntry>, fantoccini::error::CmdError> {
    let entries = client.issue_cmd(BrowserLog).await?;
    let text = |entry: &Value, key: &str| {
        entry[key]
            .as_str()
            .unwrap_or_else(|| panic!("a browser log entry without a {key} string: {entry}"))
            .to_owned()
    };
    // Anything but an array is a driver that did not answer the log command: reading it as
    // "no entries" would pass every console-error check unseen.
    let all = entries
        .as_array()
        .unwrap_or_else(|| panic!("the browser log is not an array: {entries}"));
    Ok(all
        .iter()
        .map(|e| ConsoleEntry {
            level: text(e, "level"),
            message: text(e, "message"),
        })
        .collect())
}

/// Fails on any error (SEVERE entry) in `client`'s browser console since the last read.
pub async fn assert_no_console_errors(client: &Client) {
    let errors: Vec<_> = console(client)
        .await
        .expect("browser console")
        .into_iter()
        .filter(|e| e.level == "SEVERE")
        .collect();
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}

/// A Chrome DevTools Protocol command through chromedriver's `goog/cdp/execute` endpoint.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({ "cmd": self.cmd, "params": self.params }).to_string()),
        )
    }
}

/// Runs one DevTools Protocol command (`cmd` with `params`) in `client`'s page.
pub async fn cdp(
    client: &Client,
    cmd: &'static str,
    params: Value,
) -> Result<Value, fantoccini::error::CmdError> {
    client.issue_cmd(Cdp { cmd, params }).await
}

/// Emulates a viewport of `(width, height)` CSS pixels (scale 1, desktop), or ends the
/// emulation with `None`: Chromium windows cannot be made as narrow as a phone.
pub async fn emulate_viewport(
    client: &Client,
    size: Option<(u32, u32)>,
) -> Result<(), fantoccini::error::CmdError> {
    let command = match size {
        Some((width, height)) => Cdp {
            cmd: "Emulation.setDeviceMetricsOverride",
            params: json!({
                "width": width,
                "height": height,
                "deviceScaleFactor": 1,
                "mobile": false,
            }),
        },
        None => Cdp {
            cmd: "Emulation.clearDeviceMetricsOverride",
            params: json!({}),
        },
    };
    client.issue_cmd(command).await.map(drop)
}
