//! Just enough HTTP/1.1 for the test service and its load generator.
//!
//! A [`Conn`] owns a byte stream and a buffer that keeps whatever was read past the current
//! message, so partial reads (a head split over many packets) and pipelined requests (two
//! messages in one packet) both work. Bodies are framed by `Content-Length`, by chunked
//! transfer coding, or (responses only) by the connection closing. Limits keep a broken peer
//! from growing the buffer without bound.

use std::io;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Largest accepted message head (start line and headers).
pub const MAX_HEAD: usize = 16 * 1024;
/// Largest accepted message body.
pub const MAX_BODY: usize = 1024 * 1024;
/// Largest accepted line inside a chunked body (size lines and trailers).
const MAX_LINE: usize = 4096;

/// Why a message could not be read.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The peer closed the connection cleanly between two messages.
    #[error("connection closed")]
    Closed,
    /// The peer closed the connection in the middle of a message.
    #[error("connection closed in the middle of a message")]
    Truncated,
    #[error("malformed HTTP message: {0}")]
    Malformed(&'static str),
    #[error("message head over {MAX_HEAD} bytes")]
    HeadTooLarge,
    #[error("message body over {MAX_BODY} bytes")]
    BodyTooLarge,
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// Start line and headers of a message, in the order received.
#[derive(Debug, Clone)]
struct Head {
    start: String,
    headers: Vec<(String, String)>,
}

/// Value of the first header called `name` (case-insensitive).
fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Whether any `name` header lists `token` (comma-separated, case-insensitive).
fn has_token(headers: &[(String, String)], name: &str, token: &str) -> bool {
    headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .flat_map(|(_, v)| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

/// Parses `HTTP/1.0` or `HTTP/1.1` into its minor version.
fn minor_version(s: &str) -> Result<u8, HttpError> {
    match s {
        "HTTP/1.1" => Ok(1),
        "HTTP/1.0" => Ok(0),
        _ => Err(HttpError::Malformed("unsupported HTTP version")),
    }
}

/// A request as the service sees it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// The request target as sent, e.g. `/config?error_ratio=0.1`.
    pub target: String,
    minor: u8,
    headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// The target without its query string.
    pub fn path(&self) -> &str {
        self.target.split_once('?').map_or(self.target.as_str(), |(p, _)| p)
    }

    /// The query string, without the `?`.
    pub fn query(&self) -> Option<&str> {
        self.target.split_once('?').map(|(_, q)| q)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }

    /// Whether the client wants the connection kept open after the response.
    pub fn keep_alive(&self) -> bool {
        if self.minor >= 1 {
            !has_token(&self.headers, "connection", "close")
        } else {
            has_token(&self.headers, "connection", "keep-alive")
        }
    }
}

/// A response as the load generator sees it.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Whether the connection can carry another request.
    pub keep_alive: bool,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }
}

/// How a message body is delimited.
enum Framing {
    Empty,
    Length(usize),
    Chunked,
    UntilClose,
}

/// Finds the end of a message head: the index just past the first empty line. Lines may end
/// in CRLF or a bare LF.
fn find_head_end(buf: &[u8]) -> Option<usize> {
    let mut line_start = 0;
    for (i, &b) in buf.iter().enumerate() {
        if b == b'\n' {
            let line = &buf[line_start..i];
            if line.is_empty() || line == b"\r" {
                return Some(i + 1);
            }
            line_start = i + 1;
        }
    }
    None
}

fn parse_head(bytes: &[u8]) -> Result<Head, HttpError> {
    let text = std::str::from_utf8(bytes).map_err(|_| HttpError::Malformed("head is not UTF-8"))?;
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let start = lines.next().unwrap_or_default().to_string();
    let mut headers = Vec::new();
    for line in lines.take_while(|l| !l.is_empty()) {
        if line.starts_with([' ', '\t']) {
            return Err(HttpError::Malformed("folded header line"));
        }
        let (name, value) = line
            .split_once(':')
            .ok_or(HttpError::Malformed("header without a colon"))?;
        if name.is_empty() || name.contains(|c: char| c.is_ascii_whitespace()) {
            return Err(HttpError::Malformed("bad header name"));
        }
        headers.push((name.to_string(), value.trim().to_string()));
    }
    Ok(Head { start, headers })
}

/// The single `Content-Length` of a message, if any; differing repeated values are an error.
fn content_length(headers: &[(String, String)]) -> Result<Option<usize>, HttpError> {
    let mut found: Option<usize> = None;
    for (_, v) in headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case("content-length")) {
        if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
            return Err(HttpError::Malformed("bad Content-Length"));
        }
        let n: usize = v.parse().map_err(|_| HttpError::BodyTooLarge)?;
        if found.is_some_and(|f| f != n) {
            return Err(HttpError::Malformed("conflicting Content-Length headers"));
        }
        found = Some(n);
    }
    Ok(found)
}

/// `Some(true)` when the message uses chunked transfer coding, `Some(false)` when it uses none,
/// `None` for a coding that cannot delimit a body.
fn chunked(headers: &[(String, String)]) -> Option<bool> {
    let codings: Vec<&str> = headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("transfer-encoding"))
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect();
    match codings.last() {
        None => Some(false),
        Some(last) if last.eq_ignore_ascii_case("chunked") => Some(true),
        Some(_) => None,
    }
}

/// One end of an HTTP/1.1 connection.
pub struct Conn<S> {
    stream: S,
    buf: Vec<u8>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Conn<S> {
    pub fn new(stream: S) -> Conn<S> {
        Conn {
            stream,
            buf: Vec::with_capacity(4096),
        }
    }

    pub async fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes).await?;
        self.stream.flush().await
    }

    /// Reads more bytes into the buffer; returns how many (0 at end of stream).
    async fn fill(&mut self) -> Result<usize, HttpError> {
        let mut chunk = [0u8; 8192];
        let n = self.stream.read(&mut chunk).await?;
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(n)
    }

    /// Reads up to and including the empty line that ends a message head.
    async fn read_head(&mut self) -> Result<Head, HttpError> {
        loop {
            // Empty lines before a message are tolerated (RFC 9112 section 2.2).
            let blank = self.buf.iter().take_while(|b| matches!(b, b'\r' | b'\n')).count();
            self.buf.drain(..blank);
            if let Some(end) = find_head_end(&self.buf) {
                let head: Vec<u8> = self.buf.drain(..end).collect();
                return parse_head(&head);
            }
            if self.buf.len() > MAX_HEAD {
                return Err(HttpError::HeadTooLarge);
            }
            if self.fill().await? == 0 {
                return Err(if self.buf.is_empty() {
                    HttpError::Closed
                } else {
                    HttpError::Truncated
                });
            }
        }
    }

    async fn read_exact_buffered(&mut self, len: usize) -> Result<Vec<u8>, HttpError> {
        if len > MAX_BODY {
            return Err(HttpError::BodyTooLarge);
        }
        while self.buf.len() < len {
            if self.fill().await? == 0 {
                return Err(HttpError::Truncated);
            }
        }
        Ok(self.buf.drain(..len).collect())
    }

    /// Reads one line (without its line ending) for chunked framing.
    async fn read_line(&mut self) -> Result<String, HttpError> {
        loop {
            if let Some(i) = self.buf.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=i).collect();
                let line = std::str::from_utf8(&line).map_err(|_| HttpError::Malformed("chunk line is not UTF-8"))?;
                return Ok(line.trim_end_matches(['\r', '\n']).to_string());
            }
            if self.buf.len() > MAX_LINE {
                return Err(HttpError::Malformed("chunk line too long"));
            }
            if self.fill().await? == 0 {
                return Err(HttpError::Truncated);
            }
        }
    }

    async fn read_chunked(&mut self) -> Result<Vec<u8>, HttpError> {
        let mut body = Vec::new();
        loop {
            let line = self.read_line().await?;
            let size = line.split(';').next().unwrap_or_default().trim();
            let size = usize::from_str_radix(size, 16).map_err(|_| HttpError::Malformed("bad chunk size"))?;
            if size == 0 {
                // Trailer fields, then the empty line that ends the message.
                while !self.read_line().await?.is_empty() {}
                return Ok(body);
            }
            if body.len() + size > MAX_BODY {
                return Err(HttpError::BodyTooLarge);
            }
            body.extend(self.read_exact_buffered(size).await?);
            if !self.read_line().await?.is_empty() {
                return Err(HttpError::Malformed("chunk data longer than its size"));
            }
        }
    }

    async fn read_until_close(&mut self) -> Result<Vec<u8>, HttpError> {
        while self.fill().await? > 0 {
            if self.buf.len() > MAX_BODY {
                return Err(HttpError::BodyTooLarge);
            }
        }
        Ok(std::mem::take(&mut self.buf))
    }

    async fn read_body(&mut self, framing: Framing) -> Result<Vec<u8>, HttpError> {
        match framing {
            Framing::Empty => Ok(Vec::new()),
            Framing::Length(n) => self.read_exact_buffered(n).await,
            Framing::Chunked => self.read_chunked().await,
            Framing::UntilClose => self.read_until_close().await,
        }
    }

    /// Reads the next request. Answers `Expect: 100-continue` itself.
    pub async fn read_request(&mut self) -> Result<Request, HttpError> {
        let head = self.read_head().await?;
        let mut parts = head.start.split(' ');
        let (Some(method), Some(target), Some(version), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(HttpError::Malformed("bad request line"));
        };
        if method.is_empty() || !target.starts_with('/') {
            return Err(HttpError::Malformed("bad request line"));
        }
        let minor = minor_version(version)?;
        let framing = match (chunked(&head.headers), content_length(&head.headers)?) {
            (None, _) => return Err(HttpError::Malformed("unsupported transfer coding")),
            (Some(true), _) => Framing::Chunked,
            (Some(false), Some(n)) => Framing::Length(n),
            (Some(false), None) => Framing::Empty,
        };
        let has_body = !matches!(framing, Framing::Empty | Framing::Length(0));
        if has_body && minor >= 1 && has_token(&head.headers, "expect", "100-continue") {
            self.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await?;
        }
        let body = self.read_body(framing).await?;
        Ok(Request {
            method: method.to_string(),
            target: target.to_string(),
            minor,
            headers: head.headers,
            body,
        })
    }

    /// Reads the next final response (skipping informational ones). `head_request` says
    /// whether the request was `HEAD`, whose response has no body.
    pub async fn read_response(&mut self, head_request: bool) -> Result<Response, HttpError> {
        loop {
            let head = self.read_head().await?;
            let mut parts = head.start.splitn(3, ' ');
            let minor = minor_version(parts.next().unwrap_or_default())?;
            let status: u16 = parts
                .next()
                .filter(|s| s.len() == 3)
                .and_then(|s| s.parse().ok())
                .ok_or(HttpError::Malformed("bad status line"))?;
            if (100..200).contains(&status) {
                continue;
            }
            let framing = if head_request || status == 204 || status == 304 {
                Framing::Empty
            } else {
                match (chunked(&head.headers), content_length(&head.headers)?) {
                    (Some(true), _) => Framing::Chunked,
                    (Some(false), Some(n)) => Framing::Length(n),
                    _ => Framing::UntilClose,
                }
            };
            let until_close = matches!(framing, Framing::UntilClose);
            let body = self.read_body(framing).await?;
            let keep_alive = !until_close
                && if minor >= 1 {
                    !has_token(&head.headers, "connection", "close")
                } else {
                    has_token(&head.headers, "connection", "keep-alive")
                };
            return Ok(Response {
                status,
                headers: head.headers,
                body,
                keep_alive,
            });
        }
    }
}

/// The reason phrase for the statuses this module writes.
fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Content Too Large",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        _ => "",
    }
}

/// A complete response with a `Content-Length` body.
pub fn response_bytes(status: u16, content_type: &str, extra: &[(&str, &str)], body: &[u8], close: bool) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n",
        reason(status),
        body.len()
    );
    for (name, value) in extra {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    if close {
        out.push_str("Connection: close\r\n");
    }
    out.push_str("\r\n");
    let mut out = out.into_bytes();
    out.extend_from_slice(body);
    out
}

/// A bodiless `GET` request.
pub fn get_request_bytes(path: &str, host: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: shipdeck-testsvc\r\nAccept: */*\r\n\r\n").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_end_accepts_crlf_and_bare_lf() {
        assert_eq!(find_head_end(b"GET / HTTP/1.1\r\nHost: a\r\n\r\nrest"), Some(27));
        assert_eq!(find_head_end(b"GET / HTTP/1.1\nHost: a\n\nrest"), Some(24));
        assert_eq!(find_head_end(b"GET / HTTP/1.1\r\nHost: a\r\n"), None);
    }

    #[tokio::test]
    async fn requests_split_over_reads_and_pipelined_are_both_read() {
        let (client, server) = tokio::io::duplex(64);
        let writer = tokio::spawn(async move {
            let mut client = client;
            let text = b"POST /config?a=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /two HTTP/1.1\r\n\r\n";
            for b in text {
                client.write_all(&[*b]).await.unwrap();
            }
            client
        });
        let mut conn = Conn::new(server);
        let first = conn.read_request().await.unwrap();
        assert_eq!(
            (first.method.as_str(), first.path(), first.query()),
            ("POST", "/config", Some("a=1"))
        );
        assert_eq!(first.body, b"abc");
        let second = conn.read_request().await.unwrap();
        assert_eq!(second.target, "/two");
        assert!(second.keep_alive());
        drop(writer.await.unwrap());
        assert!(matches!(conn.read_request().await, Err(HttpError::Closed)));
    }

    #[tokio::test]
    async fn chunked_and_until_close_responses_are_read() {
        let (mut client, server) = tokio::io::duplex(1024);
        client
            .write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\n\r\nHTTP/1.0 503 Service Unavailable\r\n\r\nbye")
            .await
            .unwrap();
        drop(client);
        let mut conn = Conn::new(server);
        let first = conn.read_response(false).await.unwrap();
        assert_eq!(
            (first.status, first.body.as_slice(), first.keep_alive),
            (200, &b"abcde"[..], true)
        );
        let second = conn.read_response(false).await.unwrap();
        assert_eq!(
            (second.status, second.body.as_slice(), second.keep_alive),
            (503, &b"bye"[..], false)
        );
    }

    #[tokio::test]
    async fn malformed_requests_are_refused() {
        for text in [
            &b"GET /\r\n\r\n"[..],
            b"GET / HTTP/2.0\r\n\r\n",
            b"GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            b"GET / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
            b"GET / HTTP/1.1\r\nno colon\r\n\r\n",
        ] {
            let (mut client, server) = tokio::io::duplex(1024);
            client.write_all(text).await.unwrap();
            let got = Conn::new(server).read_request().await;
            assert!(
                matches!(got, Err(HttpError::Malformed(_))),
                "{}: {got:?}",
                String::from_utf8_lossy(text)
            );
        }
    }
}
