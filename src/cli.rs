//! Command-line interface.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::sim::Scenario;

#[derive(Debug, Parser)]
#[command(
    name = "shipdeck",
    version,
    about = "A terminal release cockpit: drive a production release from a plan file."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Where a release's record and logs go and how the cockpit looks: `demo` and `run` only.
#[derive(Debug, Args)]
pub struct ReleaseOutput {
    /// Colour theme: dark, light, high-contrast, mono, or a path to a theme file
    /// (NO_COLOR in the environment also gives mono).
    #[arg(long, value_name = "NAME|PATH")]
    pub theme: Option<String>,

    /// Where to append the journal (default: .shipdeck/<release>-<start>.jsonl).
    #[arg(long, value_name = "PATH")]
    pub journal: Option<PathBuf>,

    /// Directory for the debug log (never written to the screen).
    #[arg(long, value_name = "DIR", default_value = ".shipdeck/logs")]
    pub log_dir: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show the whole cockpit on the built-in simulator.
    Demo(DemoArgs),
    /// Drive a release from a plan.
    Run(RunArgs),
    /// Judge one metric offline: canary (experiment) samples against baseline (control)
    /// samples, with the statistics the canary judge uses.
    Judge(crate::judge_cli::JudgeArgs),
    /// Print the least RBAC a Kubernetes plan needs: a Role (only the objects the plan
    /// names, only the verbs its router uses) and its RoleBinding, for `kubectl apply -f -`.
    Rbac(crate::rbac::RbacArgs),
    /// Check a plan against the real systems it names before anything moves: the cluster
    /// and the objects the router would drive, your permissions, and every metric query.
    Preflight(crate::preflight::PreflightArgs),
    /// Work with journals: `journal verify FILE` checks a journal's hash chain.
    Journal {
        #[command(subcommand)]
        command: crate::journal_chain::JournalCommand,
    },
    /// Validate plans: one summary line per valid plan, located errors otherwise.
    Check {
        /// Plan files (YAML) to validate.
        #[arg(required = true, value_name = "PLAN")]
        plans: Vec<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// healthy, bad-canary, slow-burn or flaky-metrics.
    #[arg(long, default_value = "healthy", value_parser = parse_scenario)]
    pub scenario: Scenario,
    /// Virtual seconds per real second.
    #[arg(long, default_value_t = 15.0, value_parser = parse_speed)]
    pub speed: f64,
    /// Seed for the simulator: the same seed replays the same release.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Plan to play (default: the built-in copy of plans/canary.yaml).
    #[arg(long, value_name = "PLAN")]
    pub plan: Option<PathBuf>,
    /// Checklist items and approvals wait for your keys instead of the simulated crew.
    #[arg(long)]
    pub manual: bool,
    #[command(flatten)]
    pub headless: HeadlessArgs,
    #[command(flatten)]
    pub output: ReleaseOutput,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The release plan (YAML); `shipdeck check` validates it without running it.
    #[arg(value_name = "PLAN")]
    pub plan: PathBuf,
    /// Virtual seconds per real second; only for plans on the simulator.
    #[arg(long, default_value_t = 1.0, value_parser = parse_speed)]
    pub speed: f64,
    /// Kubernetes routers: the kubeconfig context to use (over the plan's).
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    /// Kubernetes routers: the namespace of the plan's objects (over the plan's).
    #[arg(long, value_name = "NAME")]
    pub namespace: Option<String>,
    /// Take over a Kubernetes target whose Lease another shipdeck let lapse (that release
    /// is gone); the takeover is journaled.
    #[arg(long)]
    pub take_over: bool,
    #[command(flatten)]
    pub headless: HeadlessArgs,
    #[command(flatten)]
    pub output: ReleaseOutput,
}

/// No screen: the log goes to stdout, and the exit code says how the release ended
/// (0 promoted, 3 rolled back, 4 held or aborted or stopped, 2 invalid plan).
#[derive(Debug, Args)]
pub struct HeadlessArgs {
    /// No screen: the log on stdout, one event a line; the exit code says how the release
    /// ended (0 promoted, 3 rolled back, 4 held, aborted or stopped).
    #[arg(long)]
    pub headless: bool,
    /// Headless: tick checklist items and sign approvals as the operator.
    #[arg(long, requires = "headless")]
    pub yes: bool,
    /// Headless: exit 4 once the release has been held this long without a break.
    #[arg(long, requires = "headless", default_value = "30m", value_parser = parse_span)]
    pub max_hold: crate::plan::Span,
}

fn parse_span(s: &str) -> Result<crate::plan::Span, String> {
    crate::plan::Span::parse(s)
}

fn parse_scenario(s: &str) -> Result<Scenario, String> {
    s.parse()
}

fn parse_speed(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
    if v.is_finite() && (0.1..=10_000.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("speed {v} is out of range: expected 0.1 to 10000"))
    }
}
