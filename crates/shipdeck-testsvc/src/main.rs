//! `shipdeck-testsvc`: a stand-in application and a load generator for end-to-end tests of
//! releases against real HAProxy and Prometheus on loopback. See the library's docs.

use std::io::Read;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use shipdeck_testsvc::{Behaviour, Load, LoadPlan, Service, parse_target, server};

#[derive(Debug, Parser)]
#[command(
    name = "shipdeck-testsvc",
    about = "A test service and a load generator for shipdeck's end-to-end tests."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve one application version. The first stdout line is `listening on ADDR`.
    Serve(ServeArgs),
    /// Send round(rps x duration) GET requests to a loopback target, then print a summary line.
    Load(LoadArgs),
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// The version this instance reports and labels its metrics with.
    #[arg(long, value_name = "VERSION")]
    version: String,
    /// Adds an `app` label to every metric series.
    #[arg(long, value_name = "NAME")]
    app: Option<String>,
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, value_name = "IP:PORT", default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Share of requests answered 500, exact: request n fails when floor(n x ratio) steps up.
    #[arg(long, value_name = "RATIO", default_value_t = Behaviour::default().error_ratio)]
    error_ratio: f64,
    /// Base latency of every request.
    #[arg(long, value_name = "MS", default_value_t = Behaviour::default().latency_ms)]
    latency_ms: u64,
    /// Uniform jitter added to the latency, within +-MS.
    #[arg(long, value_name = "MS", default_value_t = Behaviour::default().latency_jitter_ms)]
    latency_jitter_ms: u64,
    /// Every 50th request (2%) waits this many times the base latency: the p99 is about
    /// latency-ms x factor. 1 turns the slow tail off.
    #[arg(long, value_name = "FACTOR", default_value_t = Behaviour::default().p99_factor)]
    p99_factor: f64,
    /// Exit when stdin reaches end of file, so the service never outlives a parent that
    /// holds its stdin open.
    #[arg(long)]
    stop_on_stdin_eof: bool,
}

#[derive(Debug, Args)]
struct LoadArgs {
    /// http://HOST[:PORT][/PATH] on loopback (127.0.0.0/8, [::1] or localhost).
    #[arg(long, value_name = "URL")]
    target: String,
    /// Requests per second.
    #[arg(long, value_name = "N")]
    rps: f64,
    /// How long to send for, with a unit: 500ms, 30s, 2m.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    duration: Duration,
    /// Requests in flight at once, over as many keep-alive connections.
    #[arg(long, value_name = "N", default_value_t = 8)]
    concurrency: usize,
    /// Longest a single request may take.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "5s")]
    timeout: Duration,
}

/// Exit code for arguments that parse but make no sense (as clap's usage errors).
const USAGE: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => return fail(1, &format!("cannot start the async runtime: {e}")),
    };
    match cli.command {
        Command::Serve(args) => runtime.block_on(serve(args)),
        Command::Load(args) => runtime.block_on(load(args)),
    }
}

fn fail(code: u8, message: &str) -> ExitCode {
    eprintln!("shipdeck-testsvc: {message}");
    ExitCode::from(code)
}

async fn serve(args: ServeArgs) -> ExitCode {
    let behaviour = Behaviour {
        error_ratio: args.error_ratio,
        latency_ms: args.latency_ms,
        latency_jitter_ms: args.latency_jitter_ms,
        p99_factor: args.p99_factor,
    };
    if let Err(e) = behaviour.validate() {
        return fail(USAGE, &format!("bad settings: {e}"));
    }
    let listener = match tokio::net::TcpListener::bind(args.listen).await {
        Ok(listener) => listener,
        Err(e) => return fail(1, &format!("cannot listen on {}: {e}", args.listen)),
    };
    let addr = match listener.local_addr() {
        Ok(addr) => addr,
        Err(e) => return fail(1, &format!("cannot read the listening address: {e}")),
    };
    // Tests read the port from this line; stdout is line-buffered, so it goes out now.
    println!("listening on {addr}");
    if args.stop_on_stdin_eof {
        std::thread::spawn(|| {
            let mut sink = [0u8; 256];
            let mut stdin = std::io::stdin();
            while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
            std::process::exit(0);
        });
    }
    let service = Arc::new(Service::new(&args.version, args.app.as_deref(), behaviour));
    match server::serve(listener, service).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(1, &format!("stopped accepting connections on {addr}: {e}")),
    }
}

async fn load(args: LoadArgs) -> ExitCode {
    let target = match parse_target(&args.target) {
        Ok(target) => target,
        Err(e) => return fail(USAGE, &e),
    };
    let plan = LoadPlan {
        target,
        rps: args.rps,
        duration: args.duration,
        concurrency: args.concurrency,
        timeout: args.timeout,
    };
    if let Err(e) = plan.validate() {
        return fail(USAGE, &e);
    }
    let load = match Load::new(plan) {
        Ok(load) => load,
        Err(e) => return fail(1, &e),
    };
    println!("{}", load.run().await);
    ExitCode::SUCCESS
}

/// Parses a duration with a unit (the CLI's `--duration` and `--timeout`): `500ms`, `2s`, `1.5s`, `3m`, `1h`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("bad duration {s:?}: expected a number and a unit, e.g. 30s or 500ms"))?;
    let seconds = match unit {
        "ms" => number / 1000.0,
        "s" => number,
        "m" => number * 60.0,
        "h" => number * 3600.0,
        "" => return Err(format!("bad duration {s:?}: add a unit (ms, s, m or h)")),
        _ => return Err(format!("bad duration {s:?}: unknown unit {unit:?}, use ms, s, m or h")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("bad duration {s:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_need_a_unit() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1.5m"), Ok(Duration::from_secs(90)));
        assert!(parse_duration("30").unwrap_err().contains("add a unit"));
        assert!(parse_duration("3d").unwrap_err().contains("unknown unit"));
        assert!(parse_duration("s").is_err());
    }
}
