//! The journal: every event and decision as one JSON line, flushed as it happens, so the
//! record survives a crash of shipdeck or of the machine.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::engine::LogEntry;

pub struct Journal {
    out: BufWriter<File>,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot write the journal {path}: {cause} (choose another place with --journal PATH)")]
pub struct JournalError {
    pub path: String,
    /// Shown in the message itself, so not also chained as a source.
    pub cause: std::io::Error,
}

impl Journal {
    /// Opens (appending) or creates the journal, with its directory. Fails before anything
    /// starts if the place is not writable.
    pub fn open(path: &Path) -> Result<Journal, JournalError> {
        let err = |cause| JournalError {
            path: path.display().to_string(),
            cause,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(err)?;
        }
        let file = OpenOptions::new().create(true).append(true).open(path).map_err(err)?;
        Ok(Journal {
            out: BufWriter::new(file),
        })
    }

    /// The default place: `.shipdeck/<release>-<start>.jsonl`.
    pub fn default_path(release: &str, start: DateTime<Utc>) -> PathBuf {
        let safe: String = release
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        PathBuf::from(".shipdeck").join(format!("{safe}-{}.jsonl", start.format("%Y%m%dT%H%M%SZ")))
    }

    /// Appends one entry and flushes it to the operating system at once.
    pub fn append(&mut self, entry: &LogEntry) -> std::io::Result<()> {
        serde_json::to_writer(&mut self.out, entry)?;
        self.out.write_all(b"\n")?;
        self.out.flush()
    }

    /// Forces what was written onto the disk (at the end of a release, and on decisions).
    pub fn sync(&mut self) -> std::io::Result<()> {
        self.out.flush()?;
        self.out.get_ref().sync_data()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Actor, EventKind, PhaseName};

    #[test]
    fn appends_one_json_line_per_entry() {
        let dir = std::env::temp_dir().join(format!("shipdeck-journal-{}", std::process::id()));
        let path = dir.join("sub/r.jsonl");
        let mut journal = Journal::open(&path).unwrap();
        let entry = LogEntry {
            time: "2026-11-22T10:00:00Z".parse().unwrap(),
            actor: Actor::person("ana", Some("10.0.0.7".into())),
            event: EventKind::RollbackStarted,
            message: "ROLLBACK".into(),
            state: PhaseName::RollingBack,
        };
        journal.append(&entry).unwrap();
        journal.append(&entry).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<_> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        let v: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(v["actor"]["name"], "ana");
        assert_eq!(v["actor"]["origin"], "10.0.0.7");
        assert_eq!(v["event"], "rollback_started");
        assert_eq!(v["state"], "rolling_back");
        assert_eq!(v["time"], "2026-11-22T10:00:00Z");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn an_unwritable_place_is_a_clear_error() {
        let err = Journal::open(Path::new("/proc/shipdeck/journal.jsonl"))
            .err()
            .expect("must fail");
        assert!(err.to_string().contains("--journal"), "{err}");
    }
}
