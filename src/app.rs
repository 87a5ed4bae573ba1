//! Wiring: from parsed arguments to a running cockpit.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::{Arc, Mutex};

use color_eyre::eyre::{Result, eyre};

use crate::backend::MetricsSource;
use crate::backend::kube::lease::{Refused, Taken::TakenOver, TargetLease, lease_name};
use crate::backend::prometheus::PrometheusMetrics;
use crate::backend::sim::{SimMetrics, SimRouter};
use crate::backend::wiring::cluster_access;
use crate::cli::{Cli, Command, HeadlessArgs, ReleaseOutput};
use crate::clock::Clock;
use crate::journal::Journal;
use crate::plan::{self, ClusterAccess, Plan, ValidPlan};
use crate::runtime::output_thread::OutputThread;
use crate::runtime::{Backends, Session, headless, operator, tui};
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
        Command::Preflight(args) => {
            let mut out = std::io::stdout().lock();
            let mut err = std::io::stderr().lock();
            Ok(crate::preflight::run(args, &mut out, &mut err))
        }
        Command::Rbac(args) => {
            let mut out = std::io::stdout().lock();
            let mut err = std::io::stderr().lock();
            Ok(crate::rbac::run(args, &mut out, &mut err))
        }
        Command::Journal { command } => {
            let mut out = std::io::stdout().lock();
            let mut err = std::io::stderr().lock();
            Ok(crate::journal_chain::run(command, &mut out, &mut err))
        }
        Command::Judge(args) => {
            let mut out = std::io::stdout().lock();
            let mut err = std::io::stderr().lock();
            Ok(crate::judge_cli::run(args, &mut out, &mut err))
        }
        Command::Demo(args) => {
            let plan = match &args.plan {
                Some(path) => load_plan(path),
                None => crate::plan::parse(DEMO_PLAN, "plans/canary.yaml").map_err(|e| report(&e, None)),
            };
            let Ok(plan) = plan else { return Ok(INVALID_PLAN) };
            // Simulated people and a virtual clock must never act on real systems.
            let real = plan.real_backends();
            if let (Some(path), false) = (&args.plan, real.is_empty()) {
                crate::stderr::say(format_args!(
                    "shipdeck: {} names real systems ({}); demo plays only the simulator, with a simulated crew \
                     and a fast clock: drive this plan with `shipdeck run {}`",
                    path.display(),
                    real.join(", "),
                    path.display()
                ));
                return Ok(USAGE);
            }
            let sim = SimSettings {
                scenario: args.scenario,
                seed: args.seed,
                crew: !args.manual,
            };
            live(
                &args.output,
                plan,
                sim,
                &ClusterAccess::default(),
                args.speed,
                &args.headless,
                false,
            )
        }
        Command::Run(args) => {
            let Ok(plan) = load_plan(&args.plan) else {
                return Ok(INVALID_PLAN);
            };
            if args.speed != 1.0 && !plan.real_backends().is_empty() {
                return Err(eyre!(
                    "--speed is for plans on the simulator; real backends run in real time"
                ));
            }
            let sim = SimSettings {
                scenario: Scenario::Healthy,
                seed: 1,
                crew: false,
            };
            let cluster = ClusterAccess {
                context: args.context.clone(),
                namespace: args.namespace.clone(),
            };
            live(
                &args.output,
                plan,
                sim,
                &cluster,
                args.speed,
                &args.headless,
                args.take_over,
            )
        }
    }
}

/// The exit code for a plan that does not load, as `check` gives.
const INVALID_PLAN: i32 = 2;
/// The exit code when the cluster is not ready for the plan (nothing started).
const PREFLIGHT_FAILED: i32 = 1;
/// The exit code for a command that cannot be used this way.
const USAGE: i32 = 2;

/// How the simulator plays, when the plan runs on it.
struct SimSettings {
    scenario: Scenario,
    seed: u64,
    /// Whether the simulated crew ticks checklists and signs approvals.
    crew: bool,
}

fn load_plan(path: &Path) -> std::result::Result<ValidPlan, ()> {
    crate::plan::load(path).map_err(|errors| report(&errors, Some(path)))
}

/// Prints a plan's errors, one located line each.
fn report(errors: &[crate::plan::PlanError], path: Option<&Path>) {
    for e in errors {
        crate::stderr::say(format_args!("{e}"));
    }
    if let Some(path) = path {
        crate::stderr::say(format_args!("shipdeck: {} is not a valid plan", path.display()));
    }
}

/// `cluster`: the command line's context and namespace, over the plan's.
fn live(
    cli: &ReleaseOutput,
    plan: ValidPlan,
    sim: SimSettings,
    cluster: &ClusterAccess,
    speed: f64,
    headless: &HeadlessArgs,
    take_over: bool,
) -> Result<i32> {
    let plan = Arc::new(plan);
    let clock = Clock::new(speed);
    let _log_guard = crate::debug_log::init(&cli.log_dir);
    // A theme that cannot be used is an error even headless, where it is not shown: the
    // same command line must not fail only once it gets a terminal.
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let theme = Theme::resolve(cli.theme.as_deref(), no_color).map_err(|e| eyre!(e))?;
    let theme = if headless.headless {
        None
    } else {
        if !std::io::stdout().is_terminal() {
            return Err(eyre!(
                "the cockpit needs a terminal: stdout is not one (for CI, use --headless)"
            ));
        }
        Some(theme)
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    // On Kubernetes: the objects are there and the permissions granted, or nothing starts.
    let preflight = runtime.block_on(crate::preflight::cluster(&plan, cluster));
    if preflight.iter().any(|f| f.mark == crate::preflight::Mark::Fail) {
        for f in &preflight {
            crate::stderr::say(f);
        }
        crate::stderr::say("shipdeck: preflight failed: nothing was started or changed");
        return Ok(PREFLIGHT_FAILED);
    }
    let operator = operator::from_env();
    // On Kubernetes: one driver per target, or nothing starts.
    let lease = match (cluster_access(&plan.target, cluster), lease_name(&plan.target)) {
        (Some(access), Some(name)) => {
            let holder = holder_identity(&operator, &plan);
            let take = |take_over: bool| {
                let acquiring = TargetLease::acquire(&access, &name, &holder, take_over);
                let answered = runtime.block_on(async { tokio::time::timeout(LEASE_WAIT, acquiring).await });
                answered.unwrap_or_else(|_| {
                    Err(Refused::Other(format!(
                        "the API server did not answer about the target's Lease {name} within {}s",
                        LEASE_WAIT.as_secs()
                    )))
                })
            };
            let acquired = match take(take_over) {
                // At the cockpit a person is there to answer the question --take-over asks.
                Err(Refused::Lapsed(why)) if theme.is_some() && std::io::stdin().is_terminal() => {
                    if ask_to_take_over(&why) {
                        take(true)
                    } else {
                        Err(Refused::Lapsed(why))
                    }
                }
                other => other,
            };
            match acquired {
                Ok((lease, taken)) => Some((LetGo(Arc::new(lease), runtime.handle().clone()), taken)),
                Err(why) => {
                    crate::stderr::say(format_args!("shipdeck: {why}"));
                    crate::stderr::say("shipdeck: nothing was started or changed");
                    return Ok(PREFLIGHT_FAILED);
                }
            }
        }
        _ => None,
    };
    let backends = backends(&plan, &sim, cluster, clock)?;
    // Fail before anything starts if the journal cannot be written. Each run gets a
    // journal of its own unless one is named.
    let journal = match &cli.journal {
        Some(path) => Journal::open(path)?,
        None => Journal::create_for(Path::new(".shipdeck"), &plan.release.name, clock.now())?,
    };
    let journal_path = journal.path().to_path_buf();
    tracing::info!(plan = %plan.release.name, journal = %journal_path.display(), run = journal.run_id(), "starting");

    let crew = sim.crew.then(|| Crew::new(sim.seed));
    // Let go on every way out of here, an early error included.
    let (lease, taken) = lease.map_or((None, None), |(lease, taken)| (Some(lease), Some(taken)));
    let renewing = lease.as_ref().map(|l| Arc::clone(&l.0));
    let code = runtime.block_on(async move {
        let (mut session, observations) = Session::start(plan, backends, clock, journal, crew)?;
        if let Some(TakenOver { from, lapsed_secs }) = taken {
            let note = format!("took over the target's Lease from {from}, lapsed {lapsed_secs}s ago");
            session.command(crate::engine::Command::Note(note), operator.clone());
        }
        if let Some(lease) = renewing {
            session.keep_lease(lease);
        }
        match theme {
            Some(theme) => tui::run(session, observations, theme, UiState::new(operator))
                .await
                .map(|()| 0),
            None => {
                let options = headless::Options {
                    yes: headless.yes,
                    crew: sim.crew,
                    max_hold: headless.max_hold.to_chrono(),
                    operator,
                    tick: clock.tick_period(),
                };
                let mut out = OutputThread::spawn(std::io::stdout())?;
                Ok(headless::run(session, observations, options, &mut out).await?.code())
            }
        }
    })?;
    drop(lease);
    crate::stderr::say(format_args!("journal: {}", journal_path.display()));
    Ok(code)
}

/// Asks on the terminal, before the cockpit starts, whether to take over a lapsed Lease.
fn ask_to_take_over(why: &str) -> bool {
    crate::stderr::say(format_args!("shipdeck: {why}"));
    eprint_prompt("Take over this target now? The takeover is journaled. [y/N] ");
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).is_ok() && matches!(answer.trim(), "y" | "Y" | "yes")
}

/// A prompt without a newline, on stderr (a closed stderr is no reason to fail).
fn eprint_prompt(text: &str) {
    use std::io::Write;
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes()).and_then(|()| err.flush());
}

/// How long taking the target's Lease may take before nothing starts.
const LEASE_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

/// The target's Lease, let go when this is dropped (outside the runtime).
struct LetGo(Arc<TargetLease>, tokio::runtime::Handle);

impl Drop for LetGo {
    fn drop(&mut self) {
        if let Err(why) = self.1.block_on(self.0.release()) {
            tracing::warn!(%why, "the target's Lease was not let go; it lapses by itself");
        }
    }
}

/// Who holds a target's Lease: the person, the host and process, the release. The
/// process tells two runs by one person on one host apart.
fn holder_identity(operator: &crate::engine::Actor, plan: &Plan) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let host = crate::outside::one_line(host.trim(), 64);
    format!(
        "{}@{host} pid {} ({} {})",
        operator.name,
        std::process::id(),
        plan.release.name,
        plan.release.version
    )
}

/// The plan's router, metrics source and deployer.
fn backends(plan: &Plan, sim: &SimSettings, cluster: &ClusterAccess, clock: Clock) -> Result<Backends> {
    let world = Arc::new(Mutex::new(SimWorld::new(sim.seed, sim.scenario, clock.now())));
    // One exhaustive match per backend: a real router or source is never the simulator.
    let router = crate::backend::wiring::router(plan, cluster, || {
        Box::new(SimRouter {
            world: Arc::clone(&world),
            clock,
        })
    });
    let metrics: Box<dyn MetricsSource> = match &plan.analysis.source {
        plan::Source::Sim => Box::new(SimMetrics { world }),
        plan::Source::Prometheus(source) => Box::new(
            PrometheusMetrics::new(
                source,
                &plan.release.version,
                &plan.release.stable,
                plan.analysis.interval,
            )
            .map_err(|e| eyre!(e))?,
        ),
    };
    Ok(Backends {
        router,
        metrics,
        deployer: crate::backend::wiring::deployer(&plan.target, cluster),
        watches: crate::backend::wiring::watches(&plan.target, cluster),
    })
}
