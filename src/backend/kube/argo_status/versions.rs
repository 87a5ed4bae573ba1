//! The versions of a Rollout: its ReplicaSets, newest first, each with its role (stable,
//! canary, active, preview or old), images and pod counts.

use serde_json::Value;

use super::json::{count, list, number, saturate, text};
use crate::engine::rollout_state::{BlueGreenState, Strategy, VersionPods, VersionRole};

pub(super) fn versions_of(
    rollout: &Value,
    replica_sets: &[Value],
    strategy: Option<Strategy>,
    blue_green: Option<&BlueGreenState>,
) -> Vec<VersionPods> {
    let uid = text(rollout, "/metadata/uid");
    let stable = text(rollout, "/status/stableRS");
    let current = text(rollout, "/status/currentPodHash");
    let mut versions: Vec<VersionPods> = replica_sets
        .iter()
        .filter(|rs| {
            let owners = list(rs, "/metadata/ownerReferences");
            let rollout_owners: Vec<Option<String>> = owners
                .iter()
                .filter(|o| text(o, "/kind").as_deref() == Some("Rollout"))
                .map(|o| text(o, "/uid"))
                .collect();
            uid.is_none() || rollout_owners.is_empty() || rollout_owners.contains(&uid)
        })
        .map(|rs| {
            let hash = text(rs, "/metadata/labels/rollouts-pod-template-hash")
                .or_else(|| text(rs, "/metadata/name"))
                .unwrap_or_default();
            let is = |selector: Option<&String>| selector.is_some_and(|s| *s == hash);
            let role = match (strategy, blue_green) {
                (Some(Strategy::BlueGreen), Some(bg)) if is(bg.active_selector.as_ref()) => VersionRole::Active,
                (Some(Strategy::BlueGreen), Some(bg)) if is(bg.preview_selector.as_ref()) => VersionRole::Preview,
                (Some(Strategy::BlueGreen), _) => VersionRole::Old,
                _ if is(stable.as_ref()) => VersionRole::Stable,
                _ if is(current.as_ref()) => VersionRole::Canary,
                _ => VersionRole::Old,
            };
            VersionPods {
                revision: number(rs, "/metadata/annotations/rollout.argoproj.io~1revision").map(saturate),
                role,
                images: list(rs, "/spec/template/spec/containers")
                    .iter()
                    .filter_map(|c| text(c, "/image"))
                    .collect(),
                desired: count(rs, "/spec/replicas"),
                current: count(rs, "/status/replicas"),
                ready: count(rs, "/status/readyReplicas"),
                available: count(rs, "/status/availableReplicas"),
                hash,
            }
        })
        .collect();
    versions.sort_by_key(|v| std::cmp::Reverse(v.revision));
    versions
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::rollout_state;
    use super::super::tests::{at_step, canary};
    use super::*;

    fn replica_set(hash: &str, revision: &str, image: &str, owner: &str, (desired, ready): (u32, u32)) -> Value {
        json!({
            "metadata": {
                "name": format!("checkout-{hash}"),
                "labels": { "rollouts-pod-template-hash": hash },
                "annotations": { "rollout.argoproj.io/revision": revision },
                "ownerReferences": [{ "kind": "Rollout", "uid": owner }],
            },
            "spec": { "replicas": desired, "template": { "spec": { "containers": [{ "image": image }] } } },
            "status": { "replicas": desired, "readyReplicas": ready, "availableReplicas": ready },
        })
    }

    #[test]
    fn versions_newest_first_with_their_roles() {
        let sets = [
            replica_set("aaa", "4", "shop/checkout:1.0", "u1", (8, 8)),
            replica_set("zzz", "2", "shop/checkout:0.9", "u1", (0, 0)),
            replica_set("bbb", "5", "shop/checkout:1.1", "u1", (2, 1)),
            replica_set("ccc", "9", "shop/other:1", "someone-else", (3, 3)),
        ];
        let state = rollout_state(&canary(at_step(1)), None, &sets);
        let seen: Vec<(&str, Option<u32>, VersionRole, u32, u32)> = state
            .versions
            .iter()
            .map(|v| (v.hash.as_str(), v.revision, v.role, v.desired, v.ready))
            .collect();
        assert_eq!(
            seen,
            [
                ("bbb", Some(5), VersionRole::Canary, 2, 1),
                ("aaa", Some(4), VersionRole::Stable, 8, 8),
                ("zzz", Some(2), VersionRole::Old, 0, 0),
            ]
        );
        assert_eq!(state.versions[0].images, ["shop/checkout:1.1"]);
    }
}
