//! Where each node of a plan's YAML sits in the file, so semantic errors found on the
//! typed `Plan` can point at the line and column a person has to edit.
//!
//! serde forgets positions once it has built the `Plan`; this replays the same text through
//! yaml-rust2's event parser (one pass, explicit stack, no recursion) and records the
//! position of every node by its path (`stages.2.checklist`).

use std::collections::HashMap;

use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::Marker;

/// A 1-based line and column (columns count characters, as editors do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

impl Pos {
    pub const START: Pos = Pos { line: 1, column: 1 };

    pub(crate) fn of(marker: &Marker) -> Pos {
        // yaml-rust2 counts columns from 0, lines from 1.
        Pos {
            line: marker.line().max(1),
            column: marker.col() + 1,
        }
    }
}

/// Plans are a few levels deep; nodes below this are not indexed, which keeps paths short.
const MAX_INDEXED_DEPTH: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Seg {
    Key(String),
    Index(usize),
}

#[derive(Debug, Clone, Copy)]
struct Node {
    /// Where the value starts (for a block mapping: its first key).
    value: Pos,
    /// Where its key starts, for values inside a mapping.
    key: Option<Pos>,
}

/// A key written twice in one mapping; serde keeps only the last for free-form maps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateKey {
    /// Dotted path of the mapping holding the key.
    pub parent: String,
    pub key: String,
    pub first: Pos,
    pub again: Pos,
}

/// Why a checked walk stopped.
#[derive(Debug)]
pub enum Stop {
    /// The YAML parser could not go on.
    Syntax(yaml_rust2::ScanError),
    /// The check refused what it saw, here, for this reason.
    Refused(Pos, String),
}

/// A key or value whose text (escapes resolved) holds a control character.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlChar {
    /// Dotted path of the value (for a key: of the mapping holding it).
    pub path: String,
    pub at: Pos,
    pub found: char,
    pub in_key: bool,
}

/// Node positions of the first document in a YAML text, looked up by dotted path.
#[derive(Debug, Default)]
pub struct Locations {
    nodes: Vec<Node>,
    /// (parent node, segment) -> child node. Node 0 is the root.
    children: HashMap<(usize, Seg), usize>,
    duplicates: Vec<DuplicateKey>,
    controls: Vec<ControlChar>,
}

/// An open collection: its node id (`None` when not indexed) and its dotted path.
struct Frame {
    node: Option<usize>,
    path: String,
    kind: FrameKind,
}

enum FrameKind {
    Seq {
        next: usize,
    },
    Map {
        /// The key just read, waiting for its value; `None` when the next node is a key.
        key: Option<(String, Pos)>,
        seen: HashMap<String, Pos>,
    },
}

impl Locations {
    /// Indexes `text`. Text that is not valid YAML yields the nodes read before the error:
    /// this only has to point at things.
    pub fn index(text: &str) -> Locations {
        Locations::walk(text, |_, _| Ok(())).0
    }

    /// Indexes `text` in one pass of the YAML parser, showing every event to `check` on the
    /// way (the loader's shape checks): the first problem it or the parser finds stops the
    /// walk. Nodes after the first document are not indexed, but still checked.
    pub fn index_checked(
        text: &str,
        check: impl FnMut(&Event, Pos) -> Result<(), (Pos, String)>,
    ) -> Result<Locations, Stop> {
        match Locations::walk(text, check) {
            (locs, None) => Ok(locs),
            (_, Some(stop)) => Err(stop),
        }
    }

    fn walk(text: &str, mut check: impl FnMut(&Event, Pos) -> Result<(), (Pos, String)>) -> (Locations, Option<Stop>) {
        let mut locs = Locations::default();
        let mut parser = Parser::new_from_str(text);
        let mut stack: Vec<Frame> = Vec::new();
        // Collections nested deeper than the index keeps are skipped whole.
        let mut skipped_depth = 0usize;
        let mut first_document_done = false;
        loop {
            let (event, marker) = match parser.next_token() {
                Ok(next) => next,
                Err(e) => return (locs, Some(Stop::Syntax(e))),
            };
            let pos = Pos::of(&marker);
            if let Err((at, message)) = check(&event, pos) {
                return (locs, Some(Stop::Refused(at, message)));
            }
            if first_document_done && !matches!(event, Event::StreamEnd) {
                continue;
            }
            match event {
                Event::StreamEnd => break,
                Event::DocumentEnd => first_document_done = true,
                Event::SequenceStart(..) | Event::MappingStart(..) if skipped_depth > 0 => {
                    skipped_depth += 1;
                }
                Event::SequenceEnd | Event::MappingEnd if skipped_depth > 0 => {
                    skipped_depth -= 1;
                }
                Event::Scalar(..) | Event::Alias(..) if skipped_depth > 0 => {}
                Event::Scalar(ref value, ..) => {
                    let control = value.chars().find(|c| c.is_control());
                    if locs.key_read(&mut stack, value, pos) {
                        if let Some(found) = control {
                            let path = stack.last().map_or(String::new(), |f| f.path.clone());
                            locs.controls.push(ControlChar {
                                path,
                                at: pos,
                                found,
                                in_key: true,
                            });
                        }
                    } else {
                        let (_, path) = locs.value_read(&mut stack, pos);
                        if let Some(found) = control {
                            locs.controls.push(ControlChar {
                                path,
                                at: pos,
                                found,
                                in_key: false,
                            });
                        }
                    }
                }
                // An alias or a collection used as a key (never valid in a plan) is named `?`.
                Event::Alias(_) => {
                    if !locs.key_read(&mut stack, "?", pos) {
                        locs.value_read(&mut stack, pos);
                    }
                }
                Event::SequenceStart(..) | Event::MappingStart(..) => {
                    let (node, path) = if locs.key_read(&mut stack, "?", pos) {
                        (None, String::new())
                    } else {
                        locs.value_read(&mut stack, pos)
                    };
                    if stack.len() >= MAX_INDEXED_DEPTH {
                        skipped_depth = 1;
                        continue;
                    }
                    let kind = if matches!(event, Event::SequenceStart(..)) {
                        FrameKind::Seq { next: 0 }
                    } else {
                        FrameKind::Map {
                            key: None,
                            seen: HashMap::new(),
                        }
                    };
                    stack.push(Frame { node, path, kind });
                }
                Event::SequenceEnd | Event::MappingEnd => {
                    stack.pop();
                }
                Event::StreamStart | Event::DocumentStart | Event::Nothing => {}
            }
        }
        (locs, None)
    }

    /// If the innermost open mapping expects a key, records `text` as that key.
    fn key_read(&mut self, stack: &mut [Frame], text: &str, pos: Pos) -> bool {
        let Some(Frame {
            node,
            path,
            kind: FrameKind::Map { key, seen },
        }) = stack.last_mut()
        else {
            return false;
        };
        if key.is_some() {
            return false;
        }
        // yaml-rust2 marks a block mapping's start after its first key: use the key.
        if seen.is_empty()
            && let Some(n) = node.and_then(|id| self.nodes.get_mut(id))
        {
            n.value = n.value.min(pos);
        }
        match seen.get(text) {
            Some(first) => self.duplicates.push(DuplicateKey {
                parent: path.clone(),
                key: text.to_string(),
                first: *first,
                again: pos,
            }),
            None => {
                seen.insert(text.to_string(), pos);
            }
        }
        *key = Some((text.to_string(), pos));
        true
    }

    /// Records a value node under the innermost open collection: its id and dotted path.
    fn value_read(&mut self, stack: &mut [Frame], pos: Pos) -> (Option<usize>, String) {
        let Some(parent) = stack.last_mut() else {
            // The root; a later document's root is not indexed.
            if !self.nodes.is_empty() {
                return (None, String::new());
            }
            self.nodes.push(Node { value: pos, key: None });
            return (Some(0), String::new());
        };
        let (seg, name, key_pos) = match &mut parent.kind {
            FrameKind::Seq { next } => {
                *next += 1;
                (Seg::Index(*next - 1), (*next - 1).to_string(), None)
            }
            FrameKind::Map { key, .. } => match key.take() {
                Some((k, at)) => (Seg::Key(k.clone()), k, Some(at)),
                None => return (None, String::new()),
            },
        };
        let path = if parent.path.is_empty() {
            name
        } else {
            format!("{}.{name}", parent.path)
        };
        let Some(parent_id) = parent.node else {
            return (None, path);
        };
        let id = self.nodes.len();
        self.nodes.push(Node {
            value: pos,
            key: key_pos,
        });
        self.children.insert((parent_id, seg), id);
        (Some(id), path)
    }

    fn find(&self, path: &str) -> (Option<usize>, usize) {
        if self.nodes.is_empty() {
            return (None, 0);
        }
        let mut current = 0;
        for part in path.split('.').filter(|p| !p.is_empty()) {
            let by_index = part
                .parse::<usize>()
                .ok()
                .and_then(|i| self.children.get(&(current, Seg::Index(i))));
            let child = by_index.or_else(|| self.children.get(&(current, Seg::Key(part.to_string()))));
            match child {
                Some(id) => current = *id,
                None => return (None, current),
            }
        }
        (Some(current), current)
    }

    /// Position of the value at `path`, or of its nearest present ancestor (a missing key
    /// is best reported where it should have been written).
    pub fn at(&self, path: &str) -> Pos {
        let (_, nearest) = self.find(path);
        self.nodes.get(nearest).map_or(Pos::START, |n| n.value)
    }

    /// Position of the key naming the value at `path`, else as `at`.
    pub fn key_at(&self, path: &str) -> Pos {
        match self.find(path) {
            (Some(id), _) => self.nodes[id].key.unwrap_or(self.nodes[id].value),
            (None, nearest) => self.nodes.get(nearest).map_or(Pos::START, |n| n.value),
        }
    }

    /// Whether `path` is written in the file (rather than filled in by a default).
    pub fn contains(&self, path: &str) -> bool {
        self.find(path).0.is_some()
    }

    /// Keys written twice in the same mapping, in file order.
    pub fn duplicates(&self) -> &[DuplicateKey] {
        &self.duplicates
    }

    /// Keys and values holding a control character, in file order.
    pub fn control_chars(&self) -> &[ControlChar] {
        &self.controls
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAN: &str = "\
release:
  name: api
stages:
  - name: one
    weight: 5
  - { name: two, weight: 100 }
checklists:
  pre: [a, b]
  pre: [c]
";

    fn p(line: usize, column: usize) -> Pos {
        Pos { line, column }
    }

    #[test]
    fn finds_values_and_keys_by_path() {
        let locs = Locations::index(PLAN);
        assert_eq!(locs.at("release.name"), p(2, 9));
        assert_eq!(locs.key_at("release.name"), p(2, 3));
        assert_eq!(locs.at("stages.0"), p(4, 5));
        assert_eq!(locs.at("stages.0.weight"), p(5, 13));
        assert_eq!(locs.at("stages.1.weight"), p(6, 26));
        // A key written twice: serde keeps the later value, so does the index.
        assert_eq!(locs.at("checklists.pre.0"), p(9, 9));
        assert_eq!(locs.at(""), p(1, 1));
    }

    #[test]
    fn missing_paths_fall_back_to_the_nearest_ancestor() {
        let locs = Locations::index(PLAN);
        assert_eq!(locs.at("stages.1.hold"), locs.at("stages.1"));
        assert_eq!(locs.at("analysis.interval"), p(1, 1));
        assert!(!locs.contains("stages.7"));
        assert!(locs.contains("stages.1.name"));
    }

    #[test]
    fn reports_duplicate_keys() {
        let locs = Locations::index(PLAN);
        let dups = locs.duplicates();
        assert_eq!(dups.len(), 1);
        assert_eq!(dups[0].key, "pre");
        assert_eq!((dups[0].first, dups[0].again), (p(8, 3), p(9, 3)));
    }

    #[test]
    fn deep_and_broken_text_is_harmless() {
        let deep = |n| format!("a: {}{}", "[".repeat(n), "]".repeat(n));
        assert_eq!(Locations::index(&deep(200)).at("a.0.0"), p(1, 6));
        assert_eq!(
            Locations::index(&deep(200))
                .at("a.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0"),
            p(1, 35)
        );
        // yaml-rust2 gives up on flow nesting past 255 levels: the index stops there.
        assert_eq!(Locations::index(&deep(5000)).at("a.0.0"), p(1, 4));
        assert_eq!(Locations::index("a: [1, 2\nb: 3").at("a.0"), p(1, 5));
        assert_eq!(Locations::index("").at("a"), Pos::START);
    }
}
