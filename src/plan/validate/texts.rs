//! The words of a plan: every name and text a person reads back on a screen, in a log line
//! or in a file name. They are plain text on one line, of a length a screen and a file
//! system can hold, and the names that identify something are unique.

use super::Validator;
use crate::plan::schema::PlanFile;

/// Names identify things in columns, log lines and the journal's file name.
const NAME_CHARS: usize = 64;
/// Free texts: people, contacts, checklist items, paths, addresses.
const TEXT_CHARS: usize = 200;
/// A metric's unit sits beside every value.
const UNIT_CHARS: usize = 16;
/// PromQL queries may be long, but not a file's worth.
const QUERY_CHARS: usize = 8192;

impl Validator<'_> {
    pub(super) fn texts(&mut self, plan: &PlanFile) {
        self.control_characters();
        self.lengths(plan);
        self.unique(
            plan.gates
                .iter()
                .enumerate()
                .filter_map(|(i, g)| Some((format!("gates.{i}.name"), g.name.as_deref()?))),
            "gate name",
        );
        if let Some(roles) = &plan.approvals {
            self.unique(
                roles
                    .iter()
                    .enumerate()
                    .map(|(i, r)| (format!("approvals.{i}"), r.as_str())),
                "approval role",
            );
        }
        for (s, stage) in plan.stages.iter().enumerate() {
            self.unique(
                stage
                    .approvals
                    .iter()
                    .enumerate()
                    .map(|(i, r)| (format!("stages.{s}.approvals.{i}"), r.as_str())),
                "approval role",
            );
        }
    }

    /// Control characters (an escape sequence, a newline) would reach terminals and split
    /// log lines. Queries alone may span lines.
    fn control_characters(&mut self) {
        let found: Vec<_> = self.locs.control_chars().to_vec();
        for c in found {
            let query =
                c.path.starts_with("metrics.") && (c.path.ends_with(".canary") || c.path.ends_with(".baseline"));
            if query && !c.in_key && matches!(c.found, '\n' | '\t' | '\r') {
                continue;
            }
            let what = if c.in_key { "a key" } else { "this value" };
            self.push(
                c.at,
                format!(
                    "{what} holds a control character (U+{:04X}): names and texts must be plain text on one line",
                    c.found as u32
                ),
            );
        }
    }

    fn lengths(&mut self, plan: &PlanFile) {
        let r = &plan.release;
        let mut texts: Vec<(String, &str, usize)> = vec![
            ("release.name".into(), &r.name, NAME_CHARS),
            ("release.version".into(), &r.version, NAME_CHARS),
            ("release.stable".into(), &r.stable, NAME_CHARS),
            ("release.owner.name".into(), &r.owner.name, TEXT_CHARS),
            ("release.on_call.name".into(), &r.on_call.name, TEXT_CHARS),
        ];
        for (path, person) in [("release.owner", &r.owner), ("release.on_call", &r.on_call)] {
            if let Some(contact) = &person.contact {
                texts.push((format!("{path}.contact"), contact, TEXT_CHARS));
            }
        }
        for (i, m) in plan.metrics.iter().enumerate() {
            texts.push((format!("metrics.{i}.name"), &m.name, NAME_CHARS));
            texts.push((format!("metrics.{i}.unit"), &m.unit, UNIT_CHARS));
            texts.push((format!("metrics.{i}.canary"), &m.canary, QUERY_CHARS));
            texts.push((format!("metrics.{i}.baseline"), &m.baseline, QUERY_CHARS));
            if let Some(group) = &m.judge.group {
                texts.push((format!("metrics.{i}.judge.group"), group, NAME_CHARS));
            }
        }
        for (i, g) in plan.gates.iter().enumerate() {
            if let Some(name) = &g.name {
                texts.push((format!("gates.{i}.name"), name, NAME_CHARS));
            }
        }
        for (i, t) in plan.rollback.triggers.iter().enumerate() {
            texts.push((format!("rollback.triggers.{i}.name"), &t.name, NAME_CHARS));
        }
        for (i, role) in plan.approvals.iter().flatten().enumerate() {
            texts.push((format!("approvals.{i}"), role, NAME_CHARS));
        }
        for (name, items) in &plan.checklists {
            texts.push((format!("checklists.{name}"), name, NAME_CHARS));
            for (i, item) in items.iter().enumerate() {
                texts.push((format!("checklists.{name}.{i}"), item, TEXT_CHARS));
            }
        }
        for (s, stage) in plan.stages.iter().enumerate() {
            texts.push((format!("stages.{s}.name"), &stage.name, NAME_CHARS));
            for (i, role) in stage.approvals.iter().enumerate() {
                texts.push((format!("stages.{s}.approvals.{i}"), role, NAME_CHARS));
            }
        }
        if let Some(h) = &plan.target.haproxy {
            texts.push(("target.haproxy.socket".into(), &h.socket, TEXT_CHARS));
            texts.push(("target.haproxy.backend".into(), &h.backend, NAME_CHARS));
            for (side, servers) in [("stable", &h.stable), ("canary", &h.canary)] {
                for (i, server) in servers.iter().enumerate() {
                    texts.push((format!("target.haproxy.{side}.{i}"), server, NAME_CHARS));
                }
            }
        }
        if let Some(p) = &plan.analysis.prometheus {
            texts.push(("analysis.prometheus.url".into(), &p.url, TEXT_CHARS));
        }
        if let Some(j) = &plan.analysis.judge {
            for group in j.groups.keys() {
                texts.push((format!("analysis.judge.groups.{group}"), group, NAME_CHARS));
            }
        }
        for (path, text, most) in texts {
            let chars = text.chars().count();
            if chars > most {
                // The text itself is not quoted: it is what is too long. A key (a
                // checklist's or a group's name) is part of its own path, so is cut there.
                let shown = shown_path(&path);
                self.at(
                    &path,
                    format!("{shown} is {chars} characters long: at most {most} fit where it is shown"),
                );
            }
        }
    }
}

/// `path` with every part longer than a name cut to its start and an ellipsis.
fn shown_path(path: &str) -> String {
    let parts: Vec<String> = path
        .split('.')
        .map(|part| match part.char_indices().nth(NAME_CHARS) {
            Some((cut, _)) => format!("{}…", &part[..cut]),
            None => part.to_string(),
        })
        .collect();
    parts.join(".")
}
