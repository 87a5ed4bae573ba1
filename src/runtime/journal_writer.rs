//! The journal on its own thread: the event loop hands entries over and never waits for
//! the disk, so a slow disk cannot delay the rollback key. Decisions are forced to disk
//! as they are written; a write failure is reported back for the screen.

use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crate::engine::LogEntry;
use crate::journal::Journal;

pub struct JournalWriter {
    tx: Option<Sender<LogEntry>>,
    error: Arc<Mutex<Option<String>>>,
    thread: Option<JoinHandle<()>>,
}

impl JournalWriter {
    pub fn spawn(mut journal: Journal) -> JournalWriter {
        let (tx, rx) = channel::<LogEntry>();
        let error = Arc::new(Mutex::new(None));
        let report = Arc::clone(&error);
        let thread = std::thread::Builder::new()
            .name("journal".into())
            .spawn(move || {
                let fail = |what: &str, e: std::io::Error| {
                    let message = format!("journal {what} failed: {e}");
                    tracing::error!("{message}");
                    if let Ok(mut slot) = report.lock() {
                        *slot = Some(message);
                    }
                };
                for entry in rx {
                    if let Err(e) = journal.append(&entry) {
                        fail("write", e);
                    } else if entry.event.is_decision()
                        && let Err(e) = journal.sync()
                    {
                        fail("sync", e);
                    }
                }
                if let Err(e) = journal.sync() {
                    fail("sync", e);
                }
            })
            .expect("spawn the journal thread");
        JournalWriter {
            tx: Some(tx),
            error,
            thread: Some(thread),
        }
    }

    /// Hands an entry to the journal thread; never blocks.
    pub fn append(&self, entry: LogEntry) {
        if let Some(tx) = &self.tx
            && tx.send(entry).is_err()
        {
            self.set_error("journal thread stopped".into());
        }
    }

    /// The last write or sync failure, if any.
    pub fn error(&self) -> Option<String> {
        self.error.lock().ok().and_then(|e| e.clone())
    }

    /// Writes what is queued, forces it to disk and stops the thread.
    pub fn close(&mut self) {
        self.tx.take();
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            self.set_error("journal thread panicked".into());
        }
    }

    fn set_error(&self, message: String) {
        if let Ok(mut slot) = self.error.lock() {
            *slot = Some(message);
        }
    }
}

impl Drop for JournalWriter {
    fn drop(&mut self) {
        self.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Actor, EventKind, PhaseName};

    fn entry(event: EventKind, message: &str) -> LogEntry {
        LogEntry {
            time: "2026-11-22T10:00:00Z".parse().unwrap(),
            actor: Actor::system(),
            event,
            message: message.into(),
            state: PhaseName::Running,
        }
    }

    #[test]
    fn writes_every_entry_in_order_by_close() {
        let dir = std::env::temp_dir().join(format!("shipdeck-writer-{}", std::process::id()));
        let path = dir.join("j.jsonl");
        let mut writer = JournalWriter::spawn(Journal::open(&path).unwrap());
        for i in 0..100 {
            writer.append(entry(EventKind::Note, &format!("n{i}")));
        }
        writer.append(entry(EventKind::RollbackStarted, "rollback"));
        writer.close();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<_> = text.lines().collect();
        assert_eq!(lines.len(), 101);
        assert!(lines[0].contains("\"n0\"") && lines[100].contains("rollback"));
        assert_eq!(writer.error(), None);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_failing_disk_is_reported() {
        // /dev/full accepts the open and fails every write.
        let Ok(journal) = Journal::open(std::path::Path::new("/dev/full")) else {
            return;
        };
        let mut writer = JournalWriter::spawn(journal);
        writer.append(entry(EventKind::Note, "lost"));
        writer.close();
        let error = writer.error().expect("the failure is reported");
        assert!(error.contains("No space left"), "{error}");
    }
}
