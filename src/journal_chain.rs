//! `shipdeck journal verify FILE`: walks a journal's hash chain. Each line names the
//! SHA-256 of the line before it; a line edited, removed or inserted after it was written
//! breaks the chain at the next line, which is named with its number. A line torn by a
//! crash is tolerated where a crash leaves one: last in the file, or just before a new
//! run that chained on to it. (An edit of the very last line shows only once a line
//! follows it: nothing after it names its hash yet.)

use std::io::Write;
use std::path::PathBuf;

use clap::Subcommand;
use serde_json::Value;

use crate::files::read_bytes;
use crate::journal::line_hash;

#[derive(Debug, Subcommand)]
pub enum JournalCommand {
    /// Check a journal's hash chain: every line follows the one before it as written.
    Verify {
        /// The journal (a .jsonl file under .shipdeck/, or where --journal put it).
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
}

/// A chain that holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    pub lines: usize,
    pub runs: usize,
    /// Lines torn by a crash where one is expected (1-based).
    pub torn: Vec<usize>,
}

/// Where the chain breaks, and how (1-based line numbers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Break {
    /// Not a journal line, and not where a crash would tear one.
    NotALine { line: usize },
    /// A journal line without the chain's hash (written by a shipdeck before the chain).
    NoHash { line: usize },
    /// The line does not name the hash of the line before it as it stands.
    Broken { line: usize },
}

impl std::fmt::Display for Break {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Break::NotALine { line } => write!(
                f,
                "line {line} is not a journal line (and no crash would leave it there)"
            ),
            Break::NoHash { line } => write!(f, "line {line} carries no hash of the line before it: not chained"),
            Break::Broken { line } if *line == 1 => {
                write!(f, "line 1 names a line before it: the start of the journal was removed")
            }
            Break::Broken { line } => write!(
                f,
                "the chain breaks at line {line}: it does not follow line {} as that line stands (a line was edited, \
                 or lines removed or inserted, between them)",
                line - 1
            ),
        }
    }
}

/// What a line names: its run and the hash of the line before it (`None` when it is a
/// journal line without a hash); `None` outside when it is no journal line at all.
fn named(bytes: &[u8]) -> Option<Option<(String, String)>> {
    let value: Value = serde_json::from_slice(bytes).ok()?;
    let run = value.get("run")?.as_str()?.to_string();
    Some(
        value
            .get("prev")
            .and_then(Value::as_str)
            .map(|prev| (run, prev.to_string())),
    )
}

/// Walks the chain of the journal `bytes`.
pub fn verify(bytes: &[u8]) -> Result<Chain, Break> {
    let ended = bytes.last().is_none_or(|b| *b == b'\n');
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    let lines: Vec<&[u8]> = if body.is_empty() {
        Vec::new()
    } else {
        body.split(|b| *b == b'\n').collect()
    };
    let count = lines.len();
    let mut chain = Chain {
        lines: count,
        runs: 0,
        torn: Vec::new(),
    };
    let mut runs: Vec<String> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let number = i + 1;
        let (run, prev) = match named(line) {
            Some(Some(named)) => named,
            Some(None) => return Err(Break::NoHash { line: number }),
            None => {
                // A crash tears the last line; a later run ends it and chains on to it.
                let last = number == count && !ended;
                let next_chains = lines
                    .get(i + 1)
                    .and_then(|next| named(next).flatten())
                    .is_some_and(|(_, prev)| prev == line_hash(line));
                if last || next_chains {
                    chain.torn.push(number);
                    continue;
                }
                return Err(Break::NotALine { line: number });
            }
        };
        let expected = if i == 0 { String::new() } else { line_hash(lines[i - 1]) };
        if prev != expected {
            return Err(Break::Broken { line: number });
        }
        if !runs.contains(&run) {
            runs.push(run);
        }
    }
    chain.runs = runs.len();
    Ok(chain)
}

/// The largest journal read: a day's release writes a few megabytes.
const MOST_BYTES: u64 = 1 << 30;

/// `shipdeck journal verify`: 0 when the chain holds, 1 where it breaks, 2 when the file
/// cannot be read.
pub fn run(command: &JournalCommand, out: &mut impl Write, err: &mut impl Write) -> i32 {
    let JournalCommand::Verify { file } = command;
    let shown = file.display();
    match read_bytes(file, MOST_BYTES).map(|bytes| verify(&bytes)) {
        Err(e) => {
            let _ = writeln!(err, "{shown}: cannot read the journal: {e}");
            2
        }
        Ok(Err(broken)) => {
            let _ = writeln!(err, "{shown}: {broken}");
            1
        }
        Ok(Ok(chain)) => {
            let torn = match chain.torn.as_slice() {
                [] => String::new(),
                lines => format!(
                    "; torn by a crash (tolerated): line {}",
                    lines.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
                ),
            };
            let _ = writeln!(
                out,
                "{shown}: {} lines, {} run{}, every line chained to the one before{torn}",
                chain.lines,
                chain.runs,
                if chain.runs == 1 { "" } else { "s" }
            );
            0
        }
    }
}
