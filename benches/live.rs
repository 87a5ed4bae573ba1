//! Whole-program budgets, measured on the real binary in a pseudo-terminal:
//! first frame, key-to-screen latency, steady-state CPU and bytes written, and memory
//! over a simulated 24-hour release. Prints figures; run with `cargo bench --bench live`.

#[path = "../tests/pty/mod.rs"]
mod pty;

use std::time::{Duration, Instant};

use pty::Pty;

fn steady_plan() -> String {
    format!("{}/benches/plans/steady.yaml", env!("CARGO_MANIFEST_DIR"))
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn percentile(mut xs: Vec<Duration>, p: f64) -> Duration {
    xs.sort();
    xs[((xs.len() as f64 - 1.0) * p).round() as usize]
}

/// (user + system) CPU seconds of a process, from /proc.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0)
        + fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    ticks / 100.0
}

fn status_kb(pid: u32, key: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn first_frame() {
    let mut times = Vec::new();
    for _ in 0..10 {
        let start = Instant::now();
        let pty = Pty::spawn(&["demo", "--speed", "1"], 160, 48);
        assert!(pty.wait_text("checkout-api", Duration::from_secs(10)), "no first frame");
        times.push(start.elapsed());
    }
    println!(
        "first frame (spawn to header on screen, 10 runs): median {:?}, max {:?}",
        median(times.clone()),
        times.iter().max().unwrap()
    );
}

fn key_latency() {
    let mut pty = Pty::spawn(&["demo", "--speed", "1", "--manual"], 160, 48);
    assert!(pty.wait_text("checkout-api", Duration::from_secs(10)));
    let mut times = Vec::new();
    for i in 0..100 {
        let (key, expect_help): (&[u8], bool) = if i % 2 == 0 { (b"?", true) } else { (b"\x1b", false) };
        let start = Instant::now();
        pty.send(key);
        let ok = pty.wait_for(Duration::from_secs(5), |s| s.contains("Help: keys") == expect_help);
        assert!(ok, "help did not toggle");
        times.push(start.elapsed());
    }
    println!(
        "key to screen (help toggle, 100 presses): median {:?}, p99 {:?}",
        median(times.clone()),
        percentile(times, 0.99)
    );
}

fn steady_state() {
    let plan = steady_plan();
    let pty = Pty::spawn(&["demo", "--plan", &plan, "--speed", "1"], 160, 48);
    assert!(pty.wait_text("steady", Duration::from_secs(10)));
    let pid = pty.pid();
    // Let the crew approve and the canary settle at 5%.
    pty.wait_for(Duration::from_secs(30), |s| s.contains("RUNNING"));
    let window = Duration::from_secs(30);
    let (bytes0, cpu0, t0) = (pty.raw_len(), cpu_seconds(pid), Instant::now());
    std::thread::sleep(window);
    let secs = t0.elapsed().as_secs_f64();
    let bytes = (pty.raw_len() - bytes0) as f64 / secs;
    let cpu = (cpu_seconds(pid) - cpu0) / secs * 100.0;
    println!("steady state at 160x48, 1 metric/s, over {secs:.0}s: {bytes:.0} B/s written, {cpu:.2}% of one core");
}

fn day_long_memory() {
    let plan = steady_plan();
    // 86,400 virtual seconds at 1 sample a second, in about 43 real seconds.
    let speed = 2000.0;
    let pty = Pty::spawn(&["demo", "--plan", &plan, "--speed", &speed.to_string()], 160, 48);
    assert!(pty.wait_text("steady", Duration::from_secs(10)));
    let pid = pty.pid();
    let real = Duration::from_secs_f64(86_400.0 / speed);
    let start = Instant::now();
    let mut early = 0;
    while start.elapsed() < real {
        std::thread::sleep(Duration::from_secs(1));
        if early == 0 && start.elapsed() > Duration::from_secs(5) {
            early = status_kb(pid, "VmRSS:");
        }
    }
    let live = pty.text().contains("steady");
    println!(
        "24 h simulated (1 sample/s, speed {speed}): RSS after 1/8 day {} KB, after a day {} KB, peak {} KB (still live: {live})",
        early,
        status_kb(pid, "VmRSS:"),
        status_kb(pid, "VmHWM:")
    );
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` would pass nothing useful.
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    first_frame();
    key_latency();
    steady_state();
    day_long_memory();
}
