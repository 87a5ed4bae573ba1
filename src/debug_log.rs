//! The debug log: a daily file under `--log-dir`, never the terminal the cockpit owns.
//! Logging is best effort: a directory that cannot be written is said once on stderr and
//! the release goes on (the journal still records it). Every event is one line: a control
//! character in what it quotes is written escaped.

use std::io::{self, Write};
use std::path::Path;

use tracing_appender::non_blocking::{NonBlocking, WorkerGuard};
use tracing_appender::rolling::{RollingFileAppender, Rotation};

/// Starts the debug log in `dir`; keep the guard until exit so the last lines are written.
pub fn init(dir: &Path) -> Option<WorkerGuard> {
    let appender = std::fs::create_dir_all(dir).map_err(|e| e.to_string()).and_then(|()| {
        RollingFileAppender::builder()
            .rotation(Rotation::DAILY)
            .filename_prefix("shipdeck.log")
            .build(dir)
            .map_err(|e| e.to_string())
    });
    let appender = match appender {
        Ok(appender) => appender,
        Err(e) => {
            crate::stderr::say(format_args!(
                "shipdeck: no debug log: cannot write to {} ({e}); the release goes on and the journal still \
                 records it (choose another place with --log-dir DIR)",
                dir.display()
            ));
            return None;
        }
    };
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = tracing_subscriber::EnvFilter::try_from_env("SHIPDECK_LOG").unwrap_or_else(|_| "info".into());
    tracing_subscriber::fmt()
        .with_writer(move || OneLine(writer.clone()))
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .ok()?;
    Some(guard)
}

/// Writes each formatted event (handed over whole, ending in a newline) with every other
/// control character escaped, so no event spans two lines or carries an escape sequence.
struct OneLine(NonBlocking);

impl Write for OneLine {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let text = String::from_utf8_lossy(bytes);
        let (body, end) = match text.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (text.as_ref(), ""),
        };
        let line = format!("{}{end}", crate::outside::escape_controls(body));
        self.0.write_all(line.as_bytes())?;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}
