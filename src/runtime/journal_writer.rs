//! The journal on its own thread: the event loop hands entries over and never waits for
//! the disk, so a slow disk cannot delay the rollback key. Decisions are forced to disk as
//! they are written, and so is everything before an action that waits for its record (a
//! traffic change). The first write or sync that fails is reported at once; from then on
//! no waiting action is ever carried out.

use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crate::engine::LogEntry;
use crate::journal::Journal;

enum Item {
    Entry(LogEntry),
    /// Run once everything before it is on disk; never, if any of it failed.
    AfterDurable(Box<dyn FnOnce() + Send>),
}

/// Told about the first failure, from the journal thread.
pub type OnFailure = Box<dyn Fn(String) + Send>;

pub struct JournalWriter {
    tx: Option<Sender<Item>>,
    error: Arc<Mutex<Option<String>>>,
    thread: Option<JoinHandle<()>>,
}

/// The journal's first failure, readable after the writer is gone.
#[derive(Clone)]
pub struct JournalErrors(Arc<Mutex<Option<String>>>);

impl JournalErrors {
    pub fn get(&self) -> Option<String> {
        self.0.lock().ok().and_then(|e| e.clone())
    }
}

impl JournalWriter {
    /// Starts the journal thread; an error only when the system cannot start a thread.
    pub fn spawn(mut journal: Journal, on_failure: OnFailure) -> std::io::Result<JournalWriter> {
        let (tx, rx) = channel::<Item>();
        let error = Arc::new(Mutex::new(None));
        let report = Arc::clone(&error);
        let thread = std::thread::Builder::new().name("journal".into()).spawn(move || {
            let mut failed = false;
            let mut unsynced = false;
            let fail = |what: &str, e: std::io::Error| {
                let message = format!("journal {what} failed: {e}");
                tracing::error!("{message}");
                let first = report.lock().map(|mut slot| slot.replace(message.clone()).is_none());
                if first.unwrap_or(true) {
                    on_failure(message);
                }
            };
            for item in rx {
                match item {
                    Item::Entry(entry) => {
                        if let Err(e) = journal.append(&entry) {
                            failed = true;
                            fail("write", e);
                        } else if entry.event.is_decision() {
                            if let Err(e) = journal.sync() {
                                failed = true;
                                fail("sync", e);
                            }
                            unsynced = false;
                        } else {
                            unsynced = true;
                        }
                    }
                    Item::AfterDurable(action) => {
                        if unsynced && !failed {
                            if let Err(e) = journal.sync() {
                                failed = true;
                                fail("sync", e);
                            }
                            unsynced = false;
                        }
                        if !failed {
                            action();
                        }
                    }
                }
            }
            if let Err(e) = journal.sync() {
                fail("sync", e);
            }
        })?;
        Ok(JournalWriter {
            tx: Some(tx),
            error,
            thread: Some(thread),
        })
    }

    /// Hands an entry to the journal thread; never blocks.
    pub fn append(&self, entry: LogEntry) {
        self.send(Item::Entry(entry));
    }

    /// Runs `action` on the journal thread once every entry handed over before it is on
    /// disk; never, if writing any of them failed. Never blocks.
    pub fn after_durable(&self, action: impl FnOnce() + Send + 'static) {
        self.send(Item::AfterDurable(Box::new(action)));
    }

    /// The first write or sync failure, if any.
    pub fn error(&self) -> Option<String> {
        self.errors().get()
    }

    pub fn errors(&self) -> JournalErrors {
        JournalErrors(Arc::clone(&self.error))
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

    fn send(&self, item: Item) {
        if let Some(tx) = &self.tx
            && tx.send(item).is_err()
        {
            self.set_error("journal thread stopped".into());
        }
    }

    fn set_error(&self, message: String) {
        if let Ok(mut slot) = self.error.lock() {
            slot.get_or_insert(message);
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
    use std::io::{self, Write};
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    use super::*;
    use crate::engine::{Actor, EventKind, PhaseName};
    use crate::journal::Sink;

    fn entry(event: EventKind, message: &str) -> LogEntry {
        LogEntry {
            time: "2026-11-22T10:00:00Z".parse().unwrap(),
            actor: Actor::system(),
            event,
            message: message.into(),
            state: PhaseName::Running,
        }
    }

    fn no_report() -> OnFailure {
        Box::new(|_| {})
    }

    #[test]
    fn writes_every_entry_in_order_by_close() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let mut writer = JournalWriter::spawn(Journal::open(&path).unwrap(), no_report()).unwrap();
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
    }

    /// Accepts `room` bytes, then fails every write like a full disk.
    struct Filling {
        room: usize,
        synced: Arc<AtomicUsize>,
    }

    impl Write for Filling {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            if bytes.len() > self.room {
                let n = self.room;
                self.room = 0;
                return if n == 0 {
                    Err(io::Error::from_raw_os_error(28))
                } else {
                    Ok(n)
                };
            }
            self.room -= bytes.len();
            Ok(bytes.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Sink for Filling {
        fn sync(&mut self) -> io::Result<()> {
            self.synced.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    }

    #[test]
    fn an_action_waits_for_its_record_and_never_runs_after_a_failure() {
        let synced = Arc::new(AtomicUsize::new(0));
        let sink = Filling {
            room: 300,
            synced: Arc::clone(&synced),
        };
        let reports = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&reports);
        let mut writer = JournalWriter::spawn(
            Journal::with_sink(Box::new(sink), std::path::Path::new("test")),
            Box::new(move |m| seen.lock().unwrap().push(m)),
        )
        .unwrap();
        let (ran, lost) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)));
        writer.append(entry(EventKind::WeightRequested, "25% requested"));
        let flag = Arc::clone(&ran);
        writer.after_durable(move || flag.store(true, Ordering::SeqCst));
        writer.append(entry(EventKind::WeightRequested, &"x".repeat(400)));
        let flag = Arc::clone(&lost);
        writer.after_durable(move || flag.store(true, Ordering::SeqCst));
        writer.append(entry(EventKind::Note, "after"));
        writer.close();
        assert!(ran.load(Ordering::SeqCst), "its record was written: it runs");
        assert!(synced.load(Ordering::SeqCst) >= 1, "synced before it ran");
        assert!(!lost.load(Ordering::SeqCst), "its record was lost: it never runs");
        let reports = reports.lock().unwrap();
        assert_eq!(reports.len(), 1, "the first failure is reported once: {reports:?}");
        assert!(reports[0].contains("No space left"), "{reports:?}");
        assert_eq!(writer.error().as_deref(), Some(reports[0].as_str()));
    }
}
