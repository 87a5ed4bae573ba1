//! A pod as the live watch needs it: its name, whether it is being deleted, and its Ready
//! condition. Everything else in a pod (its spec, container statuses) is skipped while
//! parsing, so watching a thousand pods keeps no thousand pod objects, even in passing.

use std::borrow::Cow;

use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Resource;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct PodReadiness {
    pub metadata: ObjectMeta,
    #[serde(default)]
    status: Option<Status>,
}

#[derive(Debug, Clone, Deserialize)]
struct Status {
    #[serde(default)]
    conditions: Vec<Condition>,
}

#[derive(Debug, Clone, Deserialize)]
struct Condition {
    #[serde(rename = "type")]
    kind: String,
    status: String,
}

impl PodReadiness {
    /// Serving: its Ready condition is true and it is not being deleted.
    pub fn is_ready(&self) -> bool {
        self.metadata.deletion_timestamp.is_none()
            && self
                .status
                .as_ref()
                .is_some_and(|s| s.conditions.iter().any(|c| c.kind == "Ready" && c.status == "True"))
    }
}

impl Resource for PodReadiness {
    type DynamicType = ();
    type Scope = NamespaceResourceScope;

    fn kind(_: &()) -> Cow<'_, str> {
        "Pod".into()
    }

    fn group(_: &()) -> Cow<'_, str> {
        "".into()
    }

    fn version(_: &()) -> Cow<'_, str> {
        "v1".into()
    }

    fn plural(_: &()) -> Cow<'_, str> {
        "pods".into()
    }

    fn meta(&self) -> &ObjectMeta {
        &self.metadata
    }

    fn meta_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_pod_serves_when_ready_and_not_being_deleted() {
        let pod = |ready: &str, deleting: bool| {
            let mut value = json!({
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": "web-1"},
                "spec": {"containers": [{"name": "web", "image": "web:1"}]},
                "status": {"conditions": [{"type": "PodScheduled", "status": "True"}, {"type": "Ready", "status": ready}]}
            });
            if deleting {
                value["metadata"]["deletionTimestamp"] = json!("2026-12-03T10:00:00Z");
            }
            serde_json::from_value::<PodReadiness>(value).unwrap()
        };
        assert!(pod("True", false).is_ready());
        assert!(!pod("False", false).is_ready());
        assert!(!pod("True", true).is_ready());
        let pending: PodReadiness = serde_json::from_value(json!({"metadata": {"name": "web-2"}})).unwrap();
        assert!(!pending.is_ready(), "no status yet");
    }
}
