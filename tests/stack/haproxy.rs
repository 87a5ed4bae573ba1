//! A real HAProxy on loopback for end-to-end tests and benchmarks: a temporary directory,
//! a frontend on an ephemeral port, backend `app` with the servers given, and three
//! stats sockets (unix `level admin`, TCP `level admin`, unix `level operator`). Ready
//! when the admin socket answers; killed and cleaned up on drop.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The haproxy binary; `SHIPDECK_HAPROXY` names another one.
pub const HAPROXY_BIN: &str = "/usr/sbin/haproxy";
/// The backend every server goes into.
pub const BACKEND: &str = "app";

const READY_WITHIN: Duration = Duration::from_secs(10);
const START_ATTEMPTS: usize = 5;

/// Whether the real haproxy was found when this was built (build.rs); tests use the
/// `no_haproxy` cfg to be reported ignored, benchmarks this to say why they do nothing.
pub fn available() -> bool {
    if cfg!(no_haproxy) {
        println!("skipping: haproxy not installed (apt-get install haproxy)");
    }
    !cfg!(no_haproxy)
}

fn binary() -> PathBuf {
    std::env::var_os("SHIPDECK_HAPROXY").map_or_else(|| PathBuf::from(HAPROXY_BIN), PathBuf::from)
}

/// One server line of backend `app`.
#[derive(Debug, Clone)]
pub struct Server {
    pub name: String,
    pub addr: SocketAddr,
    /// The weight in the configuration file, restored by a restart.
    pub weight: u32,
}

impl Server {
    pub fn new(name: &str, addr: SocketAddr, weight: u32) -> Server {
        Server {
            name: name.to_string(),
            addr,
            weight,
        }
    }
}

pub struct Haproxy {
    pub dir: PathBuf,
    /// Unix stats socket, `level admin`.
    pub socket: PathBuf,
    /// Unix stats socket, `level operator` (may not change weights).
    pub operator_socket: PathBuf,
    /// TCP stats socket, `level admin`.
    pub tcp_socket: SocketAddr,
    /// Where clients send HTTP requests.
    pub frontend: SocketAddr,
    servers: Vec<Server>,
    child: Option<Child>,
}

impl Haproxy {
    /// Starts haproxy with `servers` in backend `app` (balance roundrobin, no health
    /// checks) and waits until its admin socket answers.
    pub fn start(servers: &[Server]) -> Haproxy {
        static STARTED: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "shipdeck-haproxy-{}-{}",
            std::process::id(),
            STARTED.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the haproxy temp dir");
        let mut haproxy = Haproxy {
            socket: dir.join("admin.sock"),
            operator_socket: dir.join("operator.sock"),
            dir,
            tcp_socket: free_port(),
            frontend: free_port(),
            servers: servers.to_vec(),
            child: None,
        };
        haproxy.launch(true);
        haproxy
    }

    /// Kills haproxy as a crash would (SIGKILL): the socket file stays, refusing
    /// connections.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts haproxy again on the same sockets and ports, with the configured weights.
    pub fn restart(&mut self) {
        self.stop();
        self.launch(false);
    }

    /// One runtime API command on the admin socket, for setting up and checking a test
    /// independently of the router under test.
    pub fn command(&self, command: &str) -> String {
        ask(&self.socket, command).unwrap_or_else(|e| panic!("`{command}` on {}: {e}", self.socket.display()))
    }

    /// The current weight of a server, from `get weight`.
    pub fn weight(&self, server: &str) -> u32 {
        let answer = self.command(&format!("get weight {BACKEND}/{server}"));
        answer
            .split_whitespace()
            .next()
            .and_then(|w| w.parse().ok())
            .unwrap_or_else(|| panic!("unexpected `get weight` answer: {answer:?}"))
    }

    /// Starts the process and waits for readiness. Ports are picked free but may be taken
    /// before haproxy binds them; on a first start that is retried with new ports.
    fn launch(&mut self, may_move: bool) {
        for attempt in 1..=START_ATTEMPTS {
            let config = self.dir.join("haproxy.cfg");
            std::fs::write(&config, self.config()).expect("write haproxy.cfg");
            let log = std::fs::File::create(self.dir.join("haproxy.log")).expect("create haproxy.log");
            let child = Command::new(binary())
                .arg("-f")
                .arg(&config)
                .arg("-db")
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("clone log handle"))
                .stderr(log)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary().display()));
            self.child = Some(child);
            match self.wait_ready() {
                Ok(()) => return,
                Err(why) => {
                    self.stop();
                    let log = std::fs::read_to_string(self.dir.join("haproxy.log")).unwrap_or_default();
                    let port_taken = log.contains("cannot bind") || log.contains("Address already in use");
                    if !(port_taken && attempt < START_ATTEMPTS) {
                        panic!("haproxy did not become ready: {why}\n--- haproxy.log ---\n{log}");
                    }
                    if may_move {
                        self.tcp_socket = free_port();
                        self.frontend = free_port();
                    }
                }
            }
        }
    }

    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + READY_WITHIN;
        loop {
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                return Err(format!("haproxy exited with {status}"));
            }
            match ask(&self.socket, "show info") {
                Ok(info) if info.contains("Name: HAProxy") => return Ok(()),
                _ if Instant::now() > deadline => {
                    return Err(format!(
                        "no answer on {} within {READY_WITHIN:?}",
                        self.socket.display()
                    ));
                }
                _ => std::thread::sleep(Duration::from_millis(10)),
            }
        }
    }

    fn config(&self) -> String {
        let servers: String = self
            .servers
            .iter()
            .map(|s| format!("    server {} {} weight {}\n", s.name, s.addr, s.weight))
            .collect();
        format!(
            "global\n\
             \x20   nbthread 1\n\
             \x20   stats socket {admin} level admin\n\
             \x20   stats socket ipv4@{tcp} level admin\n\
             \x20   stats socket {operator} level operator\n\
             defaults\n\
             \x20   mode http\n\
             \x20   timeout connect 2s\n\
             \x20   timeout client 10s\n\
             \x20   timeout server 10s\n\
             frontend web\n\
             \x20   bind {frontend}\n\
             \x20   default_backend {BACKEND}\n\
             backend {BACKEND}\n\
             \x20   balance roundrobin\n\
             {servers}",
            admin = self.socket.display(),
            tcp = self.tcp_socket,
            operator = self.operator_socket.display(),
            frontend = self.frontend,
        )
    }
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A loopback port that was free a moment ago.
fn free_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    listener.local_addr().expect("local address")
}

/// One command on its own connection, read to EOF.
fn ask(socket: &Path, command: &str) -> std::io::Result<String> {
    let mut stream = UnixStream::connect(socket)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.write_all(format!("{command}\n").as_bytes())?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    Ok(answer)
}
