//! HAProxy's runtime API as a traffic router: the canary share is the weight of the
//! canary servers against the stable servers in one backend.
//!
//! Every command uses its own connection, as `socat` would: connect, write `cmd\n`, read
//! to EOF (HAProxy closes after answering in non-interactive mode). One `apply` is:
//! 1. `show stat BACKEND 4 -1`: every named server must exist (nothing is written
//!    otherwise) and its status is kept for step 4;
//! 2. `set weight BACKEND/SERVER N` for every server, absolute weights only (`N%` is
//!    relative to the configured weight and silently stays 0 on a server configured with
//!    weight 0). HAProxy answers nothing on success; any answer is an error;
//! 3. `get weight BACKEND/SERVER` for every server ("CUR (initial INIT)"): the share
//!    returned is computed from these current weights, never assumed;
//! 4. a server that carries weight but takes no traffic (DOWN, MAINT, DRAIN, NOLB) makes
//!    the call fail, so the cockpit shows the router failing instead of a share that
//!    exists only on paper.
//!
//! The side whose new weight is larger is written first, so the backend is never left
//! with every weight at 0 between two commands, and the share in between always lies
//! between the old and the new one.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UnixStream};
use tokio::time::{Instant, timeout_at};

use super::RouterError::{self, Misconfigured, Unavailable};
use super::TrafficRouter;
use crate::outside::{QUOTE_CHARS, one_line};
use crate::plan::{HaproxyTarget, Weight};

/// How long one `apply` may take in all, under the runtime's own 5 s limit so that the
/// message names the socket.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(4);

/// HAProxy's largest absolute server weight.
const MAX_WEIGHT: u32 = 256;

pub struct HaproxyRouter {
    endpoint: Endpoint,
    backend: String,
    stable: Vec<String>,
    canary: Vec<String>,
    timeout: Duration,
}

/// Where the runtime API listens: anything with a `/` is a unix socket path, anything
/// else is `host:port` over TCP.
#[derive(Debug, Clone)]
enum Endpoint {
    Unix(PathBuf),
    Tcp(String),
}

impl Endpoint {
    fn parse(socket: &str) -> Endpoint {
        if socket.contains('/') {
            Endpoint::Unix(PathBuf::from(socket))
        } else {
            Endpoint::Tcp(socket.to_string())
        }
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Endpoint::Unix(path) => write!(f, "{}", path.display()),
            Endpoint::Tcp(addr) => write!(f, "{addr}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Stable,
    Canary,
}

impl Side {
    fn name(self) -> &'static str {
        match self {
            Side::Stable => "stable",
            Side::Canary => "canary",
        }
    }
}

impl HaproxyRouter {
    pub fn new(target: &HaproxyTarget) -> HaproxyRouter {
        HaproxyRouter {
            endpoint: Endpoint::parse(&target.socket),
            backend: target.backend.clone(),
            stable: target.stable.clone(),
            canary: target.canary.clone(),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// Replaces the time one `apply` may take in all ([`DEFAULT_TIMEOUT`]).
    pub fn with_timeout(mut self, timeout: Duration) -> HaproxyRouter {
        self.timeout = timeout;
        self
    }

    async fn apply_weight(&self, weight: Weight) -> Result<Weight, RouterError> {
        self.check_names()?;
        let deadline = Instant::now() + self.timeout;
        let status = self.server_status(deadline).await?;
        self.write_weights(weight, deadline).await?;
        self.served_share(&status, deadline).await
    }

    /// The canary's share the servers' weights give now, with `status` (from `show stat`):
    /// refused when nothing is served or a weighted server takes no traffic.
    async fn served_share(&self, status: &[(String, String)], deadline: Instant) -> Result<Weight, RouterError> {
        let current = self.read_weights(deadline).await?;

        let sum = |want: Side| {
            current
                .iter()
                .filter(|(side, ..)| *side == want)
                .map(|(.., w)| *w)
                .sum()
        };
        let share = share_percent(sum(Side::Canary), sum(Side::Stable)).ok_or_else(|| {
            Unavailable(format!(
                "haproxy: every server in backend {} has weight 0, so it serves nothing",
                self.backend
            ))
        })?;

        // A server that carries weight but takes no traffic makes the share a fiction.
        let idle: Vec<String> = current
            .iter()
            .filter(|(.., w)| *w > 0)
            .filter_map(|(side, server, _)| {
                let state = status
                    .iter()
                    .find(|(name, _)| name == server)
                    .map(|(_, s)| s.as_str())?;
                (!takes_traffic(state)).then(|| format!("{} server {server} is {state}", side.name()))
            })
            .collect();
        if !idle.is_empty() {
            // A server down or in maintenance may come back: worth trying again.
            return Err(Unavailable(format!(
                "haproxy: {} (weights set for a canary share of {share}%, but that share is not served)",
                idle.join(", ")
            )));
        }
        Weight::new(share).ok_or_else(|| Unavailable(format!("haproxy: computed share {share} is not a percent")))
    }

    /// The share the backend serves now, changing nothing.
    async fn current_share(&self) -> Result<Option<Weight>, RouterError> {
        self.check_names()?;
        let deadline = Instant::now() + self.timeout;
        let status = self.server_status(deadline).await?;
        self.served_share(&status, deadline).await.map(Some)
    }

    /// What the backend holds now, changing nothing: each server's state and weight.
    async fn describe(&self) -> Result<String, RouterError> {
        self.check_names()?;
        let deadline = Instant::now() + self.timeout;
        let status = self.server_status(deadline).await?;
        let current = self.read_weights(deadline).await?;
        let servers: Vec<String> = current
            .iter()
            .map(|(side, server, w)| {
                let state = status
                    .iter()
                    .find(|(name, _)| name == server)
                    .map_or("?", |(_, s)| s.as_str());
                format!("{} {server} weight {w} {state}", side.name())
            })
            .collect();
        Ok(format!(
            "backend {} at {}: {}",
            self.backend,
            self.endpoint,
            servers.join(", ")
        ))
    }

    /// `set weight` on every server, the side with the larger new weight first.
    async fn write_weights(&self, weight: Weight, deadline: Instant) -> Result<(), RouterError> {
        let (canary_weight, stable_weight) = split(weight, self.canary.len(), self.stable.len());
        let canary = self.canary.iter().map(|s| (s.as_str(), canary_weight));
        let stable = self.stable.iter().map(|s| (s.as_str(), stable_weight));
        let writes: Vec<(&str, u32)> = if canary_weight >= stable_weight {
            canary.chain(stable).collect()
        } else {
            stable.chain(canary).collect()
        };
        for (server, w) in writes {
            let command = format!("set weight {}/{server} {w}", self.backend);
            let answer = self.send(&command, deadline).await?;
            if !answer.trim().is_empty() {
                return Err(self.refusal(&command, server, answer.trim()));
            }
        }
        Ok(())
    }

    /// The current weight of every server, from `get weight`.
    async fn read_weights(&self, deadline: Instant) -> Result<Vec<(Side, &str, u32)>, RouterError> {
        let mut current = Vec::new();
        for (side, server) in self.servers() {
            let command = format!("get weight {}/{server}", self.backend);
            let answer = self.send(&command, deadline).await?;
            let cur = parse_get_weight(&answer).ok_or_else(|| self.refusal(&command, server, answer.trim()))?;
            current.push((side, server, cur));
        }
        Ok(current)
    }

    /// Every server with its side, canary first.
    fn servers(&self) -> impl Iterator<Item = (Side, &str)> {
        let canary = self.canary.iter().map(|s| (Side::Canary, s.as_str()));
        canary.chain(self.stable.iter().map(|s| (Side::Stable, s.as_str())))
    }

    /// Names go into command lines: whitespace or `;` (HAProxy's command separator) would
    /// change the command, so they are refused before anything is sent.
    fn check_names(&self) -> Result<(), RouterError> {
        if self.canary.is_empty() || self.stable.is_empty() {
            return Err(Misconfigured(
                "haproxy: the plan must name at least one stable and one canary server".into(),
            ));
        }
        let bad = |name: &str| name.is_empty() || name.chars().any(|c| c.is_whitespace() || c.is_control() || c == ';');
        if bad(&self.backend) || self.backend.contains('/') {
            return Err(Misconfigured(format!(
                "haproxy: {:?} is not a usable backend name: fix target.haproxy.backend in the plan",
                self.backend
            )));
        }
        if let Some((side, server)) = self.servers().find(|(_, s)| bad(s) || s.contains('/')) {
            return Err(Misconfigured(format!(
                "haproxy: {server:?} is not a usable {} server name: fix target.haproxy in the plan",
                side.name()
            )));
        }
        Ok(())
    }

    /// (server, status) for every server of the backend, from `show stat`; fails when a
    /// named server is missing.
    async fn server_status(&self, deadline: Instant) -> Result<Vec<(String, String)>, RouterError> {
        let command = format!("show stat {} 4 -1", self.backend);
        let answer = self.send(&command, deadline).await?;
        let status = parse_show_stat(&answer, &self.backend).ok_or_else(|| {
            if answer.trim() == "No such proxy." {
                self.no_backend()
            } else {
                Unavailable(format!(
                    "haproxy: unexpected answer to `{command}` from {}: {}",
                    self.endpoint,
                    first_line(&answer)
                ))
            }
        })?;
        let missing: Vec<&str> = self
            .servers()
            .map(|(_, s)| s)
            .filter(|s| !status.iter().any(|(name, _)| name == s))
            .collect();
        match missing.as_slice() {
            [] => Ok(status),
            [one] => Err(self.no_server(one)),
            many => Err(self.no_server(&many.join(", "))),
        }
    }

    /// Explains a non-empty answer to a command about one server.
    fn refusal(&self, command: &str, server: &str, answer: &str) -> RouterError {
        match answer {
            "No such server." => self.no_server(server),
            "No such backend." => self.no_backend(),
            _ if answer.contains("Permission denied") => Misconfigured(format!(
                "haproxy: {} refused `{command}`: give the stats socket `level admin` in HAProxy's configuration",
                self.endpoint
            )),
            "" => Unavailable(format!("haproxy: empty answer to `{command}` from {}", self.endpoint)),
            _ => Unavailable(format!(
                "haproxy: `{command}` refused by {}: {}",
                self.endpoint,
                first_line(answer)
            )),
        }
    }

    fn no_backend(&self) -> RouterError {
        Misconfigured(format!(
            "haproxy: no backend {} at {}: fix target.haproxy.backend in the plan, or HAProxy's configuration",
            self.backend, self.endpoint
        ))
    }

    fn no_server(&self, servers: &str) -> RouterError {
        Misconfigured(format!(
            "haproxy: backend {} has no server {servers}: fix target.haproxy in the plan, or HAProxy's configuration",
            self.backend
        ))
    }

    /// One command on its own connection, answered before `deadline`.
    async fn send(&self, command: &str, deadline: Instant) -> Result<String, RouterError> {
        let exchange = async {
            match &self.endpoint {
                Endpoint::Unix(path) => {
                    let stream = UnixStream::connect(path).await.map_err(|e| self.connect_error(&e))?;
                    talk(stream, command).await
                }
                Endpoint::Tcp(addr) => {
                    let stream = TcpStream::connect(addr.as_str())
                        .await
                        .map_err(|e| self.connect_error(&e))?;
                    talk(stream, command).await
                }
            }
            .map_err(|e| Unavailable(format!("haproxy: `{command}` on {} failed: {e}", self.endpoint)))
        };
        let answer = timeout_at(deadline, exchange).await.map_err(|_| {
            Unavailable(format!(
                "haproxy: no answer from {} to `{command}` within {} ms",
                self.endpoint,
                self.timeout.as_millis()
            ))
        })??;
        tracing::debug!(socket = %self.endpoint, command, answer = %one_line(&answer, QUOTE_CHARS), "haproxy runtime API");
        Ok(answer)
    }

    fn connect_error(&self, e: &io::Error) -> RouterError {
        let at = &self.endpoint;
        match (e.kind(), at) {
            // HAProxy may be restarting: the socket comes back.
            (io::ErrorKind::NotFound, Endpoint::Unix(_)) => Unavailable(format!(
                "haproxy: runtime API socket {at} does not exist: is haproxy running with `stats socket {at} level admin`?"
            )),
            (io::ErrorKind::ConnectionRefused, _) => {
                Unavailable(format!("haproxy: connection refused by {at}: is haproxy running?"))
            }
            (io::ErrorKind::PermissionDenied, _) => Misconfigured(format!(
                "haproxy: no permission to use socket {at}: run shipdeck as a user the socket allows (its owner or group)"
            )),
            _ => Unavailable(format!("haproxy: cannot connect to {at}: {e}")),
        }
    }
}

impl TrafficRouter for HaproxyRouter {
    fn apply(&mut self, weight: Weight) -> BoxFuture<'_, Result<Weight, RouterError>> {
        self.apply_weight(weight).boxed()
    }

    /// HAProxy only moves traffic: the previous version is still running behind the stable
    /// servers, so there is nothing to restore.
    fn current(&mut self) -> BoxFuture<'_, Result<Option<Weight>, RouterError>> {
        Box::pin(self.current_share())
    }

    fn inspect(&mut self) -> BoxFuture<'_, Result<String, RouterError>> {
        Box::pin(self.describe())
    }
}

/// The runtime API's answers are a few lines; a peer that sends more is not HAProxy.
const MAX_ANSWER_BYTES: u64 = 64 * 1024;

async fn talk<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, command: &str) -> io::Result<String> {
    stream.write_all(format!("{command}\n").as_bytes()).await?;
    let mut answer = Vec::new();
    (&mut stream).take(MAX_ANSWER_BYTES).read_to_end(&mut answer).await?;
    Ok(String::from_utf8_lossy(&answer).into_owned())
}

/// The start of an answer, on one line and cut short, for a message.
fn first_line(answer: &str) -> String {
    one_line(answer.trim().lines().next().unwrap_or(""), QUOTE_CHARS)
}

/// Per-server weights (canary, stable) that give the canary group `share` of the traffic,
/// each group's share split evenly over its servers.
///
/// With k = lcm(canary servers, stable servers), each canary server gets share·k/n_canary
/// and each stable server (100 − share)·k/n_stable: the group shares are then exactly
/// share and 100 − share. With one server a side that is simply share and 100 − share, so
/// HAProxy's stats read as percents. When that exceeds HAProxy's limit of 256 (e.g. 2
/// canary against 3 stable servers), the weights are the integer pair in 0..=256 whose
/// group share comes closest; groups of up to three times the other's size still land on
/// the exact whole percent. Very unequal groups cannot reach the extremes (1 canary
/// against 16 stable servers tops out near 94%); the read-back reports what was reached.
pub fn split(share: Weight, canary: usize, stable: usize) -> (u32, u32) {
    let p = u32::from(share.percent());
    let (nc, ns) = (canary.max(1) as u32, stable.max(1) as u32);
    match p {
        0 => return (0, 100),
        100 => return (100, 0),
        _ => {}
    }
    let k = lcm(nc, ns);
    if 100 * k / nc.min(ns) <= MAX_WEIGHT {
        return (p * k / nc, (100 - p) * k / ns);
    }
    let mut best = (0, 0, u64::MAX, 1);
    for wc in 1..=MAX_WEIGHT {
        let (num, den) = (u64::from(wc * nc * (100 - p)), u64::from(p * ns));
        let ws = ((2 * num + den) / (2 * den)).min(u64::from(MAX_WEIGHT)) as u32;
        let (c, total) = (u64::from(wc * nc), u64::from(wc * nc + ws * ns));
        let error = (100 * c).abs_diff(u64::from(p) * total);
        // error/total < best error/best total
        if u128::from(error) * u128::from(best.3) < u128::from(best.2) * u128::from(total) {
            best = (wc, ws, error, total);
        }
    }
    (best.0, best.1)
}

fn lcm(a: u32, b: u32) -> u32 {
    let gcd = |mut a: u32, mut b: u32| {
        while b != 0 {
            (a, b) = (b, a % b);
        }
        a
    };
    a / gcd(a, b) * b
}

/// The canary share in whole percent (rounded half up) from the groups' summed weights;
/// None when both are 0.
pub fn share_percent(canary: u32, stable: u32) -> Option<u8> {
    let total = u64::from(canary) + u64::from(stable);
    (total > 0).then(|| ((200 * u64::from(canary) + total) / (2 * total)) as u8)
}

/// The current weight from `get weight`'s "CUR (initial INIT)".
fn parse_get_weight(answer: &str) -> Option<u32> {
    let line = answer.trim();
    let (cur, rest) = line.split_once(' ')?;
    rest.starts_with("(initial ").then_some(())?;
    cur.parse().ok()
}

/// (server, status) rows of `show stat BACKEND 4 -1` CSV for `backend`; None when the
/// answer is not that CSV.
fn parse_show_stat(answer: &str, backend: &str) -> Option<Vec<(String, String)>> {
    let mut lines = answer.lines();
    let header: Vec<&str> = lines.next()?.strip_prefix("# ")?.split(',').collect();
    let column = |name: &str| header.iter().position(|h| *h == name);
    let (px, sv, st) = (column("pxname")?, column("svname")?, column("status")?);
    let rows = lines
        .map(|line| line.split(',').collect::<Vec<_>>())
        .filter(|f| f.get(px) == Some(&backend))
        .filter_map(|f| Some((f.get(sv)?.to_string(), f.get(st)?.to_string())))
        .filter(|(server, _)| server != "BACKEND" && server != "FRONTEND")
        .collect();
    Some(rows)
}

/// Whether a server in this `show stat` status gets load-balanced traffic: "UP",
/// "UP 1/3" (going down but still up) and "no check" do; DOWN, MAINT, DRAIN and NOLB
/// (in any variant) do not.
fn takes_traffic(status: &str) -> bool {
    status == "UP" || status.starts_with("UP ") || status == "no check"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(p: u8) -> Weight {
        Weight::new(p).unwrap()
    }

    #[test]
    fn one_server_a_side_gets_the_percent_itself() {
        for p in 0..=100u8 {
            assert_eq!(split(w(p), 1, 1), (u32::from(p), 100 - u32::from(p)));
        }
    }

    #[test]
    fn group_shares_read_back_exactly_for_groups_up_to_three_times_apart() {
        for nc in 1..=8usize {
            for ns in 1..=8usize {
                if nc > 3 * ns || ns > 3 * nc {
                    continue;
                }
                for p in 0..=100u8 {
                    let (c, s) = split(w(p), nc, ns);
                    assert!(c <= MAX_WEIGHT && s <= MAX_WEIGHT, "{nc}/{ns} at {p}: {c}/{s}");
                    let share = share_percent(c * nc as u32, s * ns as u32);
                    assert_eq!(share, Some(p), "{nc} canary, {ns} stable at {p}%: weights {c}/{s}");
                }
            }
        }
    }

    #[test]
    fn uneven_groups_fall_back_to_the_closest_pair() {
        assert_eq!(split(w(50), 2, 3), (3, 2));
        assert_eq!(split(w(0), 2, 3), (0, 100));
        assert_eq!(split(w(100), 5, 3), (100, 0));
    }

    #[test]
    fn share_rounds_half_up_and_knows_no_traffic() {
        assert_eq!(share_percent(1, 1), Some(50));
        assert_eq!(share_percent(1, 199), Some(1)); // 0.5% rounds up
        assert_eq!(share_percent(0, 0), None);
    }

    #[test]
    fn get_weight_answer() {
        assert_eq!(parse_get_weight("25 (initial 0)\n\n"), Some(25));
        assert_eq!(parse_get_weight("No such server.\n\n"), None);
    }

    #[test]
    fn show_stat_rows_of_the_backend_only() {
        let csv = "# pxname,svname,qcur,status,weight\napp,stable1,0,no check,100\napp,canary1,0,DOWN,5\n\
                   app,BACKEND,0,UP,105\nother,x,0,UP,1\n\n";
        let rows = parse_show_stat(csv, "app").unwrap();
        assert_eq!(
            rows,
            vec![
                ("stable1".to_string(), "no check".to_string()),
                ("canary1".to_string(), "DOWN".to_string())
            ]
        );
        assert_eq!(parse_show_stat("No such proxy.\n\n", "app"), None);
    }

    #[test]
    fn only_up_servers_take_traffic() {
        for up in ["UP", "UP 1/3", "no check"] {
            assert!(takes_traffic(up), "{up}");
        }
        for idle in [
            "DOWN",
            "DOWN 1/2",
            "MAINT",
            "MAINT (via app/x)",
            "DRAIN",
            "NOLB",
            "MAINT (resolution)",
        ] {
            assert!(!takes_traffic(idle), "{idle}");
        }
    }

    #[test]
    fn endpoints() {
        assert!(matches!(Endpoint::parse("/run/haproxy/admin.sock"), Endpoint::Unix(_)));
        assert!(matches!(Endpoint::parse("./admin.sock"), Endpoint::Unix(_)));
        assert!(matches!(Endpoint::parse("127.0.0.1:9999"), Endpoint::Tcp(_)));
    }
}
