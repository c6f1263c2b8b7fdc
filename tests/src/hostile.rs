//! A small scriptable HTTP/1.1 server on loopback that answers whatever a test tells it to:
//! redirects to other hosts, absurd headers, endless or slow bodies, silence. It plays the
//! hostile or broken server the client must survive.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use nectar_tests::hostile::{Hostile, Reply};
//!
//! let server = Hostile::start("127.0.0.1", |_n, _request| {
//!     Reply::raw("HTTP/1.1 307 Temporary Redirect\r\nlocation: http://127.0.0.2:9/x\r\ncontent-length: 0\r\n\r\n")
//! })
//! .await?;
//! println!("{} received {} requests", server.base_url(), server.requests().len());
//! # Ok(())
//! # }
//! ```
//!
//! Every connection gets one answer and is then closed. Endless and slow answers stop by
//! themselves after [`MAX_STREAM_TIME`], so a test that forgets them cannot run forever.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

use tokio::{
    io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt},
    net::TcpListener,
};
use tokio_rustls::{
    TlsAcceptor,
    rustls::{
        self,
        pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject},
    },
};

/// The longest an endless or slow answer keeps writing.
pub const MAX_STREAM_TIME: Duration = Duration::from_secs(20);

/// The most bytes of a request the server reads (head and body).
const MAX_REQUEST: usize = 1 << 20;

/// A request as received.
#[derive(Debug, Clone)]
pub struct Received {
    /// The request line and headers, as text.
    pub head: String,
    /// The body (by `content-length`).
    pub body: Vec<u8>,
}

impl Received {
    /// The request line, e.g. `GET /v2.2/ping HTTP/1.1`.
    pub fn request_line(&self) -> &str {
        self.head.lines().next().unwrap_or_default()
    }

    /// The value of a header (case-insensitive name), if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then_some(value.trim())
        })
    }
}

/// What the server answers.
#[derive(Debug, Clone)]
pub enum Reply {
    /// These bytes, then close.
    Raw(Vec<u8>),
    /// Wait, then answer `reply`.
    After(Duration, Box<Reply>),
    /// `head` (status line and headers, ending in the blank line), then `chunk` again and
    /// again until the client goes away (or [`MAX_STREAM_TIME`] passes).
    Endless {
        /// The status line and headers, with the final blank line.
        head: Vec<u8>,
        /// What is written over and over.
        chunk: Vec<u8>,
    },
    /// `head`, then `body` one piece every `every`.
    Slow {
        /// The status line and headers, with the final blank line.
        head: Vec<u8>,
        /// The body, written slowly.
        body: Vec<u8>,
        /// Bytes written at a time.
        piece: usize,
        /// The pause between pieces.
        every: Duration,
    },
    /// Read the request, never answer (until [`MAX_STREAM_TIME`] passes).
    Silent,
}

impl Reply {
    /// These bytes as the whole answer.
    pub fn raw(text: impl AsRef<[u8]>) -> Self {
        Reply::Raw(text.as_ref().to_vec())
    }

    /// A complete answer with `content-length`: status line (e.g. `404 Not Found`), extra
    /// header lines (each without line end), body.
    pub fn with(status: &str, headers: &[&str], body: impl AsRef<[u8]>) -> Self {
        let body = body.as_ref();
        let mut out = format!("HTTP/1.1 {status}\r\ncontent-length: {}\r\n", body.len());
        for header in headers {
            out.push_str(header);
            out.push_str("\r\n");
        }
        out.push_str("connection: close\r\n\r\n");
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(body);
        Reply::Raw(bytes)
    }

    /// A JSON answer.
    pub fn json(status: &str, body: impl AsRef<[u8]>) -> Self {
        Reply::with(status, &["content-type: application/json"], body)
    }
}

type Script = dyn Fn(usize, &Received) -> Reply + Send + Sync;

/// A running hostile server; it stops when dropped.
pub struct Hostile {
    address: SocketAddr,
    scheme: &'static str,
    received: Arc<Mutex<Vec<Received>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Hostile {
    /// Listens on `ip` (any loopback address: `127.0.0.2` plays "another host") on a free port
    /// and answers request `n` (from 1) with `script(n, &request)`.
    pub async fn start(
        ip: &str,
        script: impl Fn(usize, &Received) -> Reply + Send + Sync + 'static,
    ) -> std::io::Result<Self> {
        Self::listen(ip, None, Arc::new(script)).await
    }

    /// The same over TLS, with a certificate chain and key in PEM (the test fixtures in
    /// `tests/fixtures/tls/`: a server certificate for `127.0.0.1` signed by `ca.pem`).
    pub async fn start_tls(
        ip: &str,
        certificate_pem: &[u8],
        key_pem: &[u8],
        script: impl Fn(usize, &Received) -> Reply + Send + Sync + 'static,
    ) -> std::io::Result<Self> {
        let invalid = |e: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, e);
        let chain = CertificateDer::pem_slice_iter(certificate_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| invalid(format!("certificate: {e}")))?;
        let key =
            PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| invalid(format!("key: {e}")))?;
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| invalid(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| invalid(e.to_string()))?;
        Self::listen(
            ip,
            Some(TlsAcceptor::from(Arc::new(config))),
            Arc::new(script),
        )
        .await
    }

    async fn listen(
        ip: &str,
        tls: Option<TlsAcceptor>,
        script: Arc<Script>,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind((ip, 0)).await?;
        let address = listener.local_addr()?;
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = received.clone();
        let scheme = if tls.is_some() { "https" } else { "http" };
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let script = script.clone();
                let log = log.clone();
                let tls = tls.clone();
                tokio::spawn(async move {
                    let _ = match tls {
                        Some(acceptor) => match acceptor.accept(stream).await {
                            Ok(stream) => serve(stream, script, log).await,
                            Err(error) => Err(error),
                        },
                        None => serve(stream, script, log).await,
                    };
                });
            }
        });
        Ok(Self {
            address,
            scheme,
            received,
            task,
        })
    }

    /// `http://<ip>:<port>` (or `https://`).
    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.address)
    }

    /// `http://<ip>:<port>/v2.2`, a base URL for the client.
    pub fn base_url(&self) -> String {
        format!("{}/v2.2", self.url())
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Received> {
        self.received
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    script: Arc<Script>,
    log: Arc<Mutex<Vec<Received>>>,
) -> std::io::Result<()> {
    let Some(request) = read_request(&mut stream).await? else {
        return Ok(());
    };
    let n = {
        let mut log = log.lock().unwrap_or_else(PoisonError::into_inner);
        log.push(request.clone());
        log.len()
    };
    let mut reply = script(n, &request);
    let started = Instant::now();
    loop {
        match reply {
            Reply::After(wait, then) => {
                tokio::time::sleep(wait).await;
                reply = *then;
            }
            Reply::Raw(bytes) => {
                stream.write_all(&bytes).await?;
                return stream.shutdown().await;
            }
            Reply::Endless { head, chunk } => {
                stream.write_all(&head).await?;
                while started.elapsed() < MAX_STREAM_TIME {
                    stream.write_all(&chunk).await?;
                }
                return Ok(());
            }
            Reply::Slow {
                head,
                body,
                piece,
                every,
            } => {
                stream.write_all(&head).await?;
                for part in body.chunks(piece.max(1)) {
                    if started.elapsed() > MAX_STREAM_TIME {
                        break;
                    }
                    stream.write_all(part).await?;
                    stream.flush().await?;
                    tokio::time::sleep(every).await;
                }
                return stream.shutdown().await;
            }
            Reply::Silent => {
                tokio::time::sleep(MAX_STREAM_TIME).await;
                return Ok(());
            }
        }
    }
}

/// Reads one request: the head up to the blank line, then `content-length` bytes of body.
async fn read_request<S: AsyncRead + Unpin>(stream: &mut S) -> std::io::Result<Option<Received>> {
    let mut buffer = Vec::new();
    let mut chunk = [0_u8; 8192];
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        if buffer.len() > MAX_REQUEST {
            return Ok(None);
        }
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            return Ok(None);
        }
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut received = Received {
        head,
        body: Vec::new(),
    };
    let length: usize = received
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
        .min(MAX_REQUEST);
    let mut body = buffer[head_end..].to_vec();
    while body.len() < length {
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..read]);
    }
    received.body = body;
    Ok(Some(received))
}
