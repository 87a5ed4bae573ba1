//! Wiring: from parsed arguments to a running cockpit.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::{Arc, Mutex};

use color_eyre::eyre::{Result, eyre};

use crate::backend::sim::{SimMetrics, SimRouter};
use crate::cli::{Cli, Command};
use crate::clock::Clock;
use crate::journal::Journal;
use crate::plan::{Plan, RouterKind};
use crate::runtime::{Backends, Session, operator, tui};
use crate::sim::{Crew, Scenario, SimWorld};
use crate::ui::app::UiState;
use crate::ui::theme::Theme;

/// The demo's plan when none is given, built in so `demo` works from any directory.
const DEMO_PLAN: &str = include_str!("../plans/canary.yaml");

/// Runs the command; returns the process exit code.
pub fn main(cli: Cli) -> Result<i32> {
    match &cli.command {
        Command::Check { plans } => {
            let mut out = std::io::stdout().lock();
            let mut err = std::io::stderr().lock();
            Ok(crate::check::run(plans, &mut out, &mut err))
        }
        Command::Demo(args) => {
            let plan = match &args.plan {
                Some(path) => load_plan(path)?,
                None => crate::plan::parse(DEMO_PLAN, "plans/canary.yaml").map_err(|e| eyre!(join(&e)))?,
            };
            live(&cli, plan, args.scenario, args.seed, args.speed, !args.manual)
        }
        Command::Run(args) => {
            let plan = load_plan(&args.plan)?;
            live(&cli, plan, Scenario::Healthy, 1, 1.0, false)
        }
    }
}

fn load_plan(path: &Path) -> Result<Plan> {
    crate::plan::load(path).map_err(|errors| {
        eyre!(
            "{}\n(run `shipdeck check {}` for details)",
            join(&errors),
            path.display()
        )
    })
}

fn join(errors: &[crate::plan::PlanError]) -> String {
    errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
}

fn live(cli: &Cli, plan: Plan, scenario: Scenario, seed: u64, speed: f64, crew: bool) -> Result<i32> {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let theme = Theme::resolve(cli.theme.as_deref(), no_color).map_err(|e| eyre!(e))?;
    let plan = Arc::new(plan);
    let clock = Clock::new(speed);
    let journal_path = cli
        .journal
        .clone()
        .unwrap_or_else(|| Journal::default_path(&plan.release.name, clock.now()));
    // Fail before anything starts if the journal cannot be written.
    let journal = Journal::open(&journal_path)?;
    if !std::io::stdout().is_terminal() {
        return Err(eyre!(
            "the cockpit needs a terminal: stdout is not one (headless mode arrives with `run --headless`)"
        ));
    }
    let _log_guard = init_debug_log(&cli.log_dir);
    tracing::info!(plan = %plan.release.name, journal = %journal_path.display(), "starting");

    if plan.target.router != RouterKind::Sim || plan.analysis.source != crate::plan::SourceKind::Sim {
        return Err(eyre!(
            "this build drives the simulator only; HAProxy and Prometheus are being wired in"
        ));
    }
    let backends = match plan.target.router {
        RouterKind::Sim => {
            let world = Arc::new(Mutex::new(SimWorld::new(seed, scenario, clock.now())));
            Backends {
                router: Box::new(SimRouter {
                    world: Arc::clone(&world),
                    clock,
                }),
                metrics: Box::new(SimMetrics { world }),
            }
        }
        RouterKind::Haproxy => unreachable!("refused above"),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let operator = operator::from_env();
    runtime.block_on(async move {
        let crew = crew.then(|| Crew::new(seed));
        let (session, observations) = Session::start(plan, backends, clock, journal, crew);
        tui::run(session, observations, theme, UiState::new(operator)).await
    })?;
    eprintln!("journal: {}", journal_path.display());
    Ok(0)
}

/// The debug log goes to a daily file, never to the terminal the cockpit owns. Logging is
/// best effort: an unwritable log directory must not stop a release.
fn init_debug_log(dir: &Path) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    std::fs::create_dir_all(dir).ok()?;
    let appender = tracing_appender::rolling::daily(dir, "shipdeck.log");
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = tracing_subscriber::EnvFilter::try_from_env("SHIPDECK_LOG").unwrap_or_else(|_| "info".into());
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .ok()?;
    Some(guard)
}
