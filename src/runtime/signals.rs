//! Signals, for the cockpit and headless runs alike. Each signal whose default would end
//! the process without a word is caught: the four that mean "stop" close the run (the
//! terminal restored, a note in the journal); every other one is ignored and noted in the
//! debug log. Faults the process itself raises (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGSYS,
//! SIGTRAP, SIGABRT) are left alone: returning from them would turn a crash into a hang,
//! and a panic restores the terminal through its hook.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures::stream::{SelectAll, Stream, StreamExt};
use tokio::signal::unix::{Signal, SignalKind, signal};

/// What a caught signal asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caught {
    /// SIGHUP, SIGINT, SIGQUIT or SIGTERM: close the run now, with this name in the note.
    Stop(&'static str),
    /// Any other signal that would end the process by default: carry on.
    Ignored(&'static str),
}

/// The stops, and the signals ignored with their names.
const STOPS: [(i32, &str); 4] = [
    (libc::SIGHUP, "SIGHUP"),
    (libc::SIGINT, "SIGINT"),
    (libc::SIGQUIT, "SIGQUIT"),
    (libc::SIGTERM, "SIGTERM"),
];
const IGNORED: [(i32, &str); 10] = [
    (libc::SIGUSR1, "SIGUSR1"),
    (libc::SIGUSR2, "SIGUSR2"),
    (libc::SIGALRM, "SIGALRM"),
    (libc::SIGVTALRM, "SIGVTALRM"),
    (libc::SIGPROF, "SIGPROF"),
    (libc::SIGIO, "SIGIO"),
    (libc::SIGPWR, "SIGPWR"),
    (libc::SIGXCPU, "SIGXCPU"),
    (libc::SIGXFSZ, "SIGXFSZ"),
    (libc::SIGSTKFLT, "SIGSTKFLT"),
];

/// One signal's stream, yielding what it asks for each time it arrives.
struct Arrivals {
    signal: Signal,
    caught: Caught,
}

impl Stream for Arrivals {
    type Item = Caught;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Caught>> {
        let caught = self.caught;
        self.signal.poll_recv(cx).map(|arrived| arrived.map(|()| caught))
    }
}

pub struct Signals {
    arrivals: SelectAll<Arrivals>,
}

impl Signals {
    /// Installs the handlers; from now on none of these signals ends the process by itself.
    pub fn install() -> std::io::Result<Signals> {
        let mut arrivals = SelectAll::new();
        let stops = STOPS.iter().map(|&(n, name)| (n, Caught::Stop(name)));
        let ignored = IGNORED.iter().map(|&(n, name)| (n, Caught::Ignored(name)));
        for (number, caught) in stops.chain(ignored) {
            arrivals.push(Arrivals {
                signal: signal(SignalKind::from_raw(number))?,
                caught,
            });
        }
        // The real-time signals end a process by default too.
        for number in libc::SIGRTMIN()..=libc::SIGRTMAX() {
            arrivals.push(Arrivals {
                signal: signal(SignalKind::from_raw(number))?,
                caught: Caught::Ignored("a real-time signal"),
            });
        }
        Ok(Signals { arrivals })
    }

    /// The next signal that asks to stop. Ignored ones are noted in the debug log and
    /// waited past.
    pub async fn stop(&mut self) -> &'static str {
        loop {
            match self.arrivals.next().await {
                Some(Caught::Stop(name)) => return name,
                Some(Caught::Ignored(name)) => tracing::info!(signal = name, "signal ignored"),
                None => std::future::pending::<()>().await,
            }
        }
    }
}
