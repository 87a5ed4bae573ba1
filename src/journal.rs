//! The journal: every event and decision as one JSON line, each line written whole and
//! flushed as it happens, so the record survives a crash of shipdeck or of the machine.
//! Every line carries the run's id: two runs that share a file stay apart. Every line also
//! carries the SHA-256 of the line before it in the file (`prev`; empty on the first), so a
//! line edited, removed or inserted later breaks the chain where it happened
//! (`shipdeck journal verify`, in `journal_chain`).

use std::fs::{File, OpenOptions};
use std::hash::{BuildHasher, Hasher};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::engine::LogEntry;

/// Where journal lines go: a file, or in tests a writer that fails on purpose.
pub trait Sink: Write + Send {
    /// Forces what was written onto the disk.
    fn sync(&mut self) -> io::Result<()>;
}

impl Sink for File {
    fn sync(&mut self) -> io::Result<()> {
        self.sync_data()
    }
}

pub struct Journal {
    out: Box<dyn Sink>,
    run: String,
    path: PathBuf,
    /// The hash of the last line in the file, for the next line's `prev`.
    prev: String,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot write the journal {path}: {cause} (choose another place with --journal PATH)")]
pub struct JournalError {
    pub path: String,
    /// Shown in the message itself, so not also chained as a source.
    pub cause: io::Error,
}

/// One journal line: the entry, the run that wrote it, and the hash of the line before.
#[derive(Serialize)]
struct Line<'a> {
    run: &'a str,
    prev: &'a str,
    #[serde(flatten)]
    entry: &'a LogEntry,
}

/// Release names are cut to this many characters in the default journal's file name.
const NAME_CHARS_IN_PATH: usize = 64;

impl Journal {
    /// Opens (appending) or creates the journal at `path`, with its directory. Fails before
    /// anything starts if the place is not a writable file: a device such as /dev/null or
    /// /dev/full would swallow or refuse the record.
    pub fn open(path: &Path) -> Result<Journal, JournalError> {
        let err = |cause| JournalError {
            path: path.display().to_string(),
            cause,
        };
        if let Ok(meta) = std::fs::metadata(path)
            && !meta.is_file()
        {
            return Err(err(io::Error::other(
                "not a regular file (a directory, device or pipe?)",
            )));
        }
        create_dir_of(path).map_err(err)?;
        let mut file = OpenOptions::new().create(true).append(true).open(path).map_err(err)?;
        // Appending to a journal: chain on to its last line. A last line torn by a crash
        // is ended first, so it stays one (torn) line and the next starts clean.
        let (prev, torn) = last_line_hash(path).map_err(err)?;
        if torn {
            file.write_all(b"\n").and_then(|()| file.flush()).map_err(err)?;
        }
        let mut journal = Journal::with_sink(Box::new(file), path);
        journal.prev = prev;
        Ok(journal)
    }

    /// A journal of its own in `dir` for a run of `release` started at `start`:
    /// `<release>-<start>.jsonl`, or `-2`, `-3`, ... when a run in the same second already
    /// took that name.
    pub fn create_for(dir: &Path, release: &str, start: DateTime<Utc>) -> Result<Journal, JournalError> {
        let stem = format!("{}-{}", file_name_part(release), start.format("%Y%m%dT%H%M%SZ"));
        let mut last = None;
        for n in 1..=100 {
            let name = if n == 1 {
                format!("{stem}.jsonl")
            } else {
                format!("{stem}-{n}.jsonl")
            };
            let path = dir.join(name);
            let err = |cause| JournalError {
                path: path.display().to_string(),
                cause,
            };
            create_dir_of(&path).map_err(err)?;
            match OpenOptions::new().append(true).create_new(true).open(&path) {
                Ok(file) => return Ok(Journal::with_sink(Box::new(file), &path)),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(err(e)),
                Err(e) => return Err(err(e)),
            }
        }
        Err(last.unwrap_or_else(|| JournalError {
            path: dir.display().to_string(),
            cause: io::Error::other("no free journal name"),
        }))
    }

    /// A journal writing to `out` (tests inject failing writers this way).
    pub fn with_sink(out: Box<dyn Sink>, path: &Path) -> Journal {
        Journal {
            out,
            run: new_run_id(),
            path: path.to_path_buf(),
            prev: String::new(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// This run's id, on every line it writes.
    pub fn run_id(&self) -> &str {
        &self.run
    }

    /// Appends one entry as one whole line, written in one piece and flushed at once.
    pub fn append(&mut self, entry: &LogEntry) -> io::Result<()> {
        let mut line = serde_json::to_vec(&Line {
            run: &self.run,
            prev: &self.prev,
            entry,
        })?;
        let hash = line_hash(&line);
        line.push(b'\n');
        self.out.write_all(&line)?;
        self.out.flush()?;
        // Only a line written whole is chained to: after a failed write the journal holds.
        self.prev = hash;
        Ok(())
    }

    /// Forces what was written onto the disk (on decisions, before a traffic change, at
    /// the end of a release).
    pub fn sync(&mut self) -> io::Result<()> {
        self.out.flush()?;
        self.out.sync()
    }
}

/// The chain's hash of one line (its bytes without the newline), as lowercase hex.
pub fn line_hash(line: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(line).iter().map(|b| format!("{b:02x}")).collect()
}

/// How far back a journal's end is read to find its last line.
const TAIL: u64 = 1 << 20;

/// The hash of `path`'s last line (empty for an empty or absent file), and whether that
/// line is torn (no newline after it).
fn last_line_hash(path: &Path) -> io::Result<(String, bool)> {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut file) = File::open(path) else {
        return Ok((String::new(), false));
    };
    let len = file.metadata()?.len();
    let start = len.saturating_sub(TAIL);
    file.seek(SeekFrom::Start(start))?;
    let mut tail = Vec::with_capacity((len - start) as usize);
    file.read_to_end(&mut tail)?;
    let torn = tail.last().is_some_and(|b| *b != b'\n');
    let body = tail.strip_suffix(b"\n").unwrap_or(&tail);
    if body.is_empty() {
        return Ok((String::new(), torn));
    }
    let last = body.rsplit(|b| *b == b'\n').next().unwrap_or(body);
    Ok((line_hash(last), torn))
}

fn create_dir_of(path: &Path) -> io::Result<()> {
    match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => std::fs::create_dir_all(dir),
        None => Ok(()),
    }
}

/// A release name as part of a file name: letters, digits, `-` and `_` only, at most
/// `NAME_CHARS_IN_PATH` of them, so any name a plan may hold makes a valid file name.
fn file_name_part(release: &str) -> String {
    release
        .chars()
        .take(NAME_CHARS_IN_PATH)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Twelve random hex digits: unique enough to tell runs apart in one file.
fn new_run_id() -> String {
    let random = std::collections::hash_map::RandomState::new().build_hasher().finish();
    let mixed = random ^ u64::from(std::process::id()).rotate_left(32);
    format!("{:012x}", mixed & 0xffff_ffff_ffff)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Actor, EventKind, PhaseName};

    fn entry() -> LogEntry {
        LogEntry {
            time: "2026-11-22T10:00:00Z".parse().unwrap(),
            actor: Actor::person("ana", Some("10.0.0.7".into())),
            event: EventKind::RollbackStarted,
            message: "ROLLBACK".into(),
            state: PhaseName::RollingBack,
        }
    }

    #[test]
    fn appends_one_json_line_per_entry_with_the_run() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/r.jsonl");
        let mut journal = Journal::open(&path).unwrap();
        journal.append(&entry()).unwrap();
        journal.append(&entry()).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<_> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        let v: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(v["run"], journal.run_id());
        assert_eq!(journal.run_id().len(), 12);
        assert_eq!(v["actor"]["name"], "ana");
        assert_eq!(v["actor"]["origin"], "10.0.0.7");
        assert_eq!(v["event"], "rollback_started");
        assert_eq!(v["state"], "rolling_back");
        assert_eq!(v["time"], "2026-11-22T10:00:00Z");
    }

    #[test]
    fn an_unwritable_place_or_a_device_is_a_clear_error() {
        for path in ["/proc/shipdeck/journal.jsonl", "/dev/full", "/dev/null", "/tmp"] {
            let err = Journal::open(Path::new(path)).err().expect("must fail");
            assert!(err.to_string().contains("--journal"), "{err}");
        }
    }

    #[test]
    fn runs_in_the_same_second_get_journals_of_their_own() {
        let dir = tempfile::tempdir().unwrap();
        let start = "2026-11-22T10:00:00Z".parse().unwrap();
        let first = Journal::create_for(dir.path(), "checkout api", start).unwrap();
        let second = Journal::create_for(dir.path(), "checkout api", start).unwrap();
        assert_eq!(first.path(), dir.path().join("checkout_api-20261122T100000Z.jsonl"));
        assert_eq!(second.path(), dir.path().join("checkout_api-20261122T100000Z-2.jsonl"));
        assert_ne!(first.run_id(), second.run_id());
    }

    #[test]
    fn any_release_name_makes_a_file_name() {
        let long = "ä/../".repeat(100);
        let part = file_name_part(&long);
        assert_eq!(part.chars().count(), NAME_CHARS_IN_PATH);
        assert!(part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'));
    }
}
