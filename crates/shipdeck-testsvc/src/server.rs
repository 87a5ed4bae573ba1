//! The service over HTTP/1.1, served by hyper: an accept loop with one task per connection
//! (keep-alive and pipelining as hyper does them), and [`Server`], the same loop on a thread of
//! its own for tests that run the service in their own process.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::header::{ALLOW, CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};

use crate::background::Background;
use crate::service::{Reply, Request, Service};

/// A connection that has not sent a complete request head for this long (idle keep-alive
/// included: hyper starts the timer whenever it waits for a head) is closed.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// Largest accepted request body; a `POST /config` form is a few bytes.
pub const MAX_BODY: usize = 1024 * 1024;

/// Accepts connections until the listener fails for good; each connection is its own task.
pub async fn serve(listener: TcpListener, service: Arc<Service>) -> io::Result<()> {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                tokio::spawn(connection(stream, Arc::clone(&service)));
            }
            // Out of descriptors or a connection reset before accept: back off a little, go on.
            Err(e) if is_transient(&e) => tokio::time::sleep(Duration::from_millis(10)).await,
            Err(e) => return Err(e),
        }
    }
}

fn is_transient(e: &io::Error) -> bool {
    use io::ErrorKind::*;
    matches!(
        e.kind(),
        ConnectionAborted | ConnectionReset | Interrupted | WouldBlock | OutOfMemory
    ) || e.raw_os_error().is_some_and(|code| code == 23 || code == 24) // ENFILE, EMFILE
}

async fn connection(stream: TcpStream, service: Arc<Service>) {
    let _ = stream.set_nodelay(true);
    let handler = service_fn(move |request| answer(Arc::clone(&service), request));
    // A connection that breaks or times out ends here; hyper has already answered a malformed
    // request with its 4xx, and the service goes on serving others.
    let _ = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(IDLE_TIMEOUT)
        .serve_connection(TokioIo::new(stream), handler)
        .await;
}

/// Reads the whole body, then lets the service answer.
async fn answer(service: Arc<Service>, request: hyper::Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let (head, body) = request.into_parts();
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.is::<LengthLimitError>() => {
            return Ok(response(Reply::text(
                413,
                format!("request body over {MAX_BODY} bytes\n"),
            )));
        }
        Err(e) => {
            return Ok(response(Reply::text(
                400,
                format!("cannot read the request body: {e}\n"),
            )));
        }
    };
    let request = Request {
        method: head.method.as_str(),
        path: head.uri.path(),
        query: head.uri.query(),
        body: &body,
    };
    Ok(response(service.respond(request, Instant::now()).await))
}

fn response(reply: Reply) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(reply.body)));
    *response.status_mut() = StatusCode::from_u16(reply.status).expect("the service answers valid status codes");
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(reply.content_type));
    if let Some(allow) = reply.allow {
        headers.insert(ALLOW, HeaderValue::from_static(allow));
    }
    response
}

/// The service listening on an address, served from a thread of its own until dropped.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    _running: Background,
}

impl Server {
    /// Binds `listen` (port 0 picks a free port) before returning, so the service accepts
    /// connections on [`Server::addr`] as soon as this returns.
    pub fn start(listen: SocketAddr, service: Service) -> io::Result<Server> {
        let listener = std::net::TcpListener::bind(listen)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let service = Arc::new(service);
        let running = Background::spawn(&format!("testsvc {addr}"), move || async move {
            let served = match TcpListener::from_std(listener) {
                Ok(listener) => serve(listener, service).await,
                Err(e) => Err(e),
            };
            if let Err(e) = served {
                eprintln!("shipdeck-testsvc: stopped accepting connections on {addr}: {e}");
            }
        })?;
        Ok(Server {
            addr,
            _running: running,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}
