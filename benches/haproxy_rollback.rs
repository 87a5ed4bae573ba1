//! Rollback latency through a real haproxy: from calling `apply(0)` (after 50%) until it
//! returns with the weights read back. Budget: p99 under 50 ms on loopback. Prints
//! figures; run with `cargo bench --bench haproxy_rollback`.

#[path = "../tests/stack/haproxy.rs"]
mod haproxy;
#[path = "support/rollback.rs"]
mod rollback;

use std::time::Duration;

use haproxy::{Haproxy, Server};
use shipdeck::backend::haproxy::HaproxyRouter;
use shipdeck::plan::{HaproxyTarget, Weight};

const ROUNDS: usize = 200;
const BUDGET_P99: Duration = Duration::from_millis(50);

fn main() {
    if !haproxy::available() {
        return;
    }
    // Weights need no live servers: nothing is health-checked and no request is sent.
    let nowhere = "127.0.0.1:9".parse().unwrap();
    let haproxy = Haproxy::start(&[Server::new("stable1", nowhere, 100), Server::new("canary1", nowhere, 0)]);
    let mut router = HaproxyRouter::new(&HaproxyTarget {
        socket: haproxy.socket.to_str().unwrap().to_string(),
        backend: haproxy::BACKEND.to_string(),
        stable: vec!["stable1".into()],
        canary: vec!["canary1".into()],
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let half = Weight::new(50).unwrap();

    let samples = runtime.block_on(rollback::time_rollbacks(&mut router, half, ROUNDS));
    rollback::report(
        &format!("haproxy rollback (apply 0 after 50, read back, unix socket, {ROUNDS} rounds)"),
        samples,
        BUDGET_P99,
    );
}
