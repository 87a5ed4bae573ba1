//! What serde cannot check safely or explain well, seen event by event as the plan's one
//! YAML pass goes by (see `Locations::index_checked`): one document, a mapping at the top,
//! bounded nesting and bounded alias expansion, so an alias bomb or a nesting bomb stops
//! here, before serde builds anything.

use std::collections::HashMap;

use yaml_rust2::parser::Event;
use yaml_rust2::scanner::TScalarStyle;

use super::locate::Pos;

/// A plan nests four levels; this leaves room and stops a nesting bomb early.
pub const MAX_DEPTH: usize = 16;

/// Ceiling on the document's size after expanding aliases (nodes plus scalar bytes), so an
/// alias bomb cannot make serde build gigabytes of values from a small file.
const MAX_EXPANDED: u64 = 4 << 20;

pub const SEE_EXAMPLE: &str = "see plans/canary.yaml for a complete example";

#[derive(Default)]
pub struct Shape {
    documents: usize,
    root_seen: bool,
    /// Per open collection: its anchor id (0 = none) and its expanded size so far.
    stack: Vec<(usize, u64)>,
    anchor_sizes: HashMap<usize, u64>,
    total: u64,
}

impl Shape {
    /// Takes the next event at `pos`; why the plan cannot be one, if it cannot.
    pub fn see(&mut self, event: &Event, pos: Pos) -> Result<(), (Pos, String)> {
        let is_close = matches!(event, Event::SequenceEnd | Event::MappingEnd);
        let (size, anchor) = match event {
            Event::StreamEnd => return self.finish(),
            Event::DocumentStart => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err((
                        pos,
                        "a second YAML document starts here: a plan file holds exactly one".into(),
                    ));
                }
                return Ok(());
            }
            Event::Scalar(value, style, anchor, _) => {
                if !self.root_seen {
                    return Err(top_level_scalar(value, *style, pos));
                }
                (1 + value.len() as u64, *anchor)
            }
            Event::Alias(id) => {
                if self.stack.iter().any(|(open, _)| open == id) {
                    return Err((pos, "this alias refers to a node that contains it".into()));
                }
                (self.anchor_sizes.get(id).copied().unwrap_or(1), 0)
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if !self.root_seen && matches!(event, Event::SequenceStart(..)) {
                    return Err((
                        pos,
                        format!(
                            "the top level is a list: a plan is a mapping of keys \
                             (release, target, metrics, rollback, stages); {SEE_EXAMPLE}"
                        ),
                    ));
                }
                self.root_seen = true;
                if self.stack.len() >= MAX_DEPTH {
                    return Err((pos, too_deep()));
                }
                self.total += 1;
                self.stack.push((*anchor, 1));
                return Ok(());
            }
            Event::SequenceEnd | Event::MappingEnd => match self.stack.pop() {
                Some((anchor, size)) => (size, anchor),
                None => return Ok(()),
            },
            Event::StreamStart | Event::DocumentEnd | Event::Nothing => return Ok(()),
        };
        // A leaf, an alias or a closed collection: it counts towards its parent.
        if anchor != 0 {
            self.anchor_sizes.insert(anchor, size);
        }
        if !is_close {
            self.total = self.total.saturating_add(size);
        }
        if let Some((_, parent)) = self.stack.last_mut() {
            *parent = parent.saturating_add(size);
        }
        if self.total > MAX_EXPANDED {
            return Err((
                pos,
                "aliases here expand the plan beyond 4 MiB (an alias bomb?): \
                 use anchors and aliases sparingly"
                    .into(),
            ));
        }
        Ok(())
    }

    fn finish(&self) -> Result<(), (Pos, String)> {
        if self.root_seen {
            Ok(())
        } else {
            Err((Pos::START, empty_plan()))
        }
    }
}

pub fn too_deep() -> String {
    format!("nesting deeper than {MAX_DEPTH} levels: a plan needs only a few; is this the right file?")
}

fn empty_plan() -> String {
    format!(
        "empty plan: expected a mapping with release, target, metrics, rollback and stages; \
         {SEE_EXAMPLE}"
    )
}

fn top_level_scalar(value: &str, style: TScalarStyle, pos: Pos) -> (Pos, String) {
    // `---` alone or `~` is a document holding nothing: as empty as an empty file.
    if style == TScalarStyle::Plain && matches!(value, "" | "~" | "null" | "Null" | "NULL") {
        return (Pos::START, empty_plan());
    }
    let message = format!(
        "the top level is a single value, not a mapping: a plan is a mapping of keys \
         (release, target, metrics, rollback, stages); {SEE_EXAMPLE}"
    );
    (pos, message)
}
