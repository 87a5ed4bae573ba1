//! A list of weighted destinations inside a Kubernetes object (an HTTPRoute rule's
//! backendRefs, a VirtualService route's destinations): finding the stable and canary
//! entries, the canary's share, and the guarded JSON patch that sets both weights.

use serde_json::{Value, json};

use crate::backend::RouterError;
use crate::plan::Weight;

/// The stable and canary entries of one weighted list: their places and weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Split {
    pub stable_index: usize,
    pub canary_index: usize,
    pub stable_weight: u64,
    pub canary_weight: u64,
}

impl Split {
    /// The canary's share, in whole percent (none when no entry carries weight).
    pub fn canary_share(&self) -> Weight {
        let total = self.stable_weight + self.canary_weight;
        if total == 0 {
            return Weight::ZERO;
        }
        Weight::saturating(((self.canary_weight * 100 + total / 2) / total) as i32)
    }
}

/// How a router's entries are told apart and weighed.
pub struct Entries<'a> {
    /// Where the list is in the object, as a JSON pointer (`/spec/rules/1/backendRefs`).
    pub pointer: String,
    /// Each entry's identity as (JSON pointer inside the entry, value): every pair must match.
    pub stable: Vec<(&'a str, Value)>,
    pub canary: Vec<(&'a str, Value)>,
    /// The weight of an entry that has none (the API's own default).
    pub default_weight: u64,
    /// How the object and the list are named in messages (`HTTPRoute checkout rule 1`).
    pub place: String,
    /// How an entry is named in messages (`backendRef to Service`).
    pub entry: &'a str,
}

impl Entries<'_> {
    fn find(&self, list: &[Value], identity: &[(&str, Value)], who: &str) -> Result<usize, RouterError> {
        let matches: Vec<usize> = list
            .iter()
            .enumerate()
            .filter(|(_, e)| identity.iter().all(|(at, v)| e.pointer(at) == Some(v)))
            .map(|(i, _)| i)
            .collect();
        match matches.as_slice() {
            [one] => Ok(*one),
            [] => Err(RouterError::Misconfigured(format!(
                "{} has no {} `{who}`: add one (weight 0 for the canary)",
                self.place, self.entry
            ))),
            _ => Err(RouterError::Misconfigured(format!(
                "{} has {} entries for {} `{who}`: shipdeck drives one each",
                self.place,
                matches.len(),
                self.entry
            ))),
        }
    }

    /// Finds both entries in `object`.
    pub fn split(&self, object: &Value, stable: &str, canary: &str) -> Result<Split, RouterError> {
        let Some(list) = object.pointer(&self.pointer).and_then(Value::as_array) else {
            return Err(RouterError::Misconfigured(format!(
                "{} has no weighted list",
                self.place
            )));
        };
        let (stable_index, canary_index) = (
            self.find(list, &self.stable, stable)?,
            self.find(list, &self.canary, canary)?,
        );
        let weight = |i: usize| {
            list[i]
                .get("weight")
                .and_then(Value::as_u64)
                .unwrap_or(self.default_weight)
        };
        Ok(Split {
            stable_index,
            canary_index,
            stable_weight: weight(stable_index),
            canary_weight: weight(canary_index),
        })
    }

    /// The JSON patch that gives the canary `weight` percent: `guards` (pointer, value)
    /// and both entries' identities are tested first, so an object edited since it was
    /// read is refused, then both weights are set (stable 100 - weight).
    pub fn patch(&self, split: &Split, guards: &[(String, Value)], weight: Weight) -> Value {
        let canary = u64::from(weight.percent());
        let mut ops: Vec<Value> = guards
            .iter()
            .map(|(path, value)| json!({ "op": "test", "path": path, "value": value }))
            .collect();
        for (index, identity) in [(split.stable_index, &self.stable), (split.canary_index, &self.canary)] {
            for (at, value) in identity {
                ops.push(json!({ "op": "test", "path": format!("{}/{index}{at}", self.pointer), "value": value }));
            }
        }
        ops.push(json!({ "op": "add", "path": format!("{}/{}/weight", self.pointer, split.stable_index), "value": 100 - canary }));
        ops.push(
            json!({ "op": "add", "path": format!("{}/{}/weight", self.pointer, split.canary_index), "value": canary }),
        );
        Value::Array(ops)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_round_to_the_nearest_percent() {
        let split = |s, c| Split {
            stable_index: 0,
            canary_index: 1,
            stable_weight: s,
            canary_weight: c,
        };
        assert_eq!(split(100, 0).canary_share(), Weight::ZERO);
        assert_eq!(split(1, 1).canary_share(), Weight::new(50).unwrap());
        assert_eq!(split(2, 1).canary_share(), Weight::new(33).unwrap());
        assert_eq!(split(0, 0).canary_share(), Weight::ZERO);
        assert_eq!(split(0, 7).canary_share(), Weight::FULL);
    }
}
