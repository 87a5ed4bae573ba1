//! The fake API server's objects and the rules it keeps for them, as a real API server
//! does: a resourceVersion on every object, from one counter for the whole store bumped on
//! every write (as etcd's revision is, so lists and watches can name a point in time); a
//! `metadata.generation` that starts at 1 and grows with every change to `spec`; a write
//! that names a resourceVersion other than the object's is a 409; JSON patches (a failed
//! `test` is a 400, as kube-apiserver answers it) and merge patches; strategic-merge patches
//! refused with 415 on custom resources; the scale subresource of Deployments; the status
//! subresource of the kinds that have one ([`Key::has_status_subresource`]: Argo Rollouts),
//! as kube-apiserver serves it for a CRD with `subresources: {status: {}}` (a write to
//! `/status` changes only `.status`; a create or a write of the object itself leaves `.status`
//! as it was); every write's field manager recorded in `metadata.managedFields`; every change
//! kept for watches.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use serde_json::{Value, json};

use super::select::Scope;
use super::watch::{Change, Changes};

/// Where an object lives: group/version (`v1`, `apps/v1`), namespace, plural, name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
    pub api_version: String,
    pub namespace: String,
    pub plural: String,
    pub name: String,
}

impl Key {
    /// The key of a manifest (`apiVersion`, `kind`, `metadata.name` and `.namespace`).
    pub fn of(object: &Value) -> Option<Key> {
        let kind = object["kind"].as_str()?;
        Some(Key {
            api_version: object["apiVersion"].as_str()?.to_string(),
            namespace: object["metadata"]["namespace"]
                .as_str()
                .unwrap_or("default")
                .to_string(),
            // Every kind the fake serves pluralises this way (services, httproutes, leases).
            plural: format!("{}s", kind.to_lowercase()),
            name: object["metadata"]["name"].as_str()?.to_string(),
        })
    }

    /// Whether the kind has a status subresource the fake serves: Argo's Rollout (its CRD
    /// declares `subresources: {status: {}}`). Writes to the object itself leave its
    /// `.status` alone, and `/status` is where the status is written.
    pub fn has_status_subresource(&self) -> bool {
        self.plural == "rollouts" && self.api_version.starts_with("argoproj.io/")
    }

    /// Built-in groups take strategic-merge patches; custom resources refuse them.
    fn is_custom(&self) -> bool {
        let group = self.api_version.rsplit_once('/').map_or("", |(group, _)| group);
        !matches!(
            group,
            "" | "apps" | "autoscaling" | "batch" | "policy" | "coordination.k8s.io" | "authorization.k8s.io"
        )
    }
}

/// An answer other than 200: status code, reason and message, as a Status object says them.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
}

impl Refusal {
    pub fn status(&self) -> Value {
        json!({
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": self.message, "reason": self.reason, "code": self.code,
        })
    }
}

fn refusal(code: u16, reason: &'static str, message: impl Into<String>) -> Refusal {
    Refusal {
        code,
        reason,
        message: message.into(),
    }
}

/// One write the server took, for tests to check who wrote what and how.
#[derive(Debug, Clone, PartialEq)]
pub struct Write {
    pub key: Key,
    pub subresource: Option<String>,
    pub content_type: String,
    pub field_manager: Option<String>,
}

/// The store behind its lock, whoever held it last having panicked or not.
pub fn lock(store: &Mutex<Store>) -> MutexGuard<'_, Store> {
    store.lock().unwrap_or_else(PoisonError::into_inner)
}

#[derive(Debug, Default)]
pub struct Store {
    objects: BTreeMap<Key, Value>,
    /// The resourceVersion of the last write, to whichever object.
    version: u64,
    /// What clients wrote (not `put`, `delete` nor the controllers).
    writes: Vec<Write>,
    /// Every change, for watches.
    pub changes: Changes,
    /// The kind each collection ((group/version, plural)) holds, learnt from what was
    /// written to it: the List an empty collection answers names it.
    kinds: BTreeMap<(String, String), String>,
    /// Each Deployment (and Rollout) as it was created: where the Deployment controller (and
    /// the Argo one) starts from, so a change made before its first step is still a change to
    /// roll out.
    created: BTreeMap<Key, Value>,
    /// (verb, resource[/subresource]) a SelfSubjectAccessReview is answered "no" for.
    denied: Vec<(String, String)>,
    /// Answer every request 503 (see `FakeApiServer::set_down`), and how many were.
    pub down: bool,
    pub refused: usize,
    /// The bearer token every request must carry, once a test asks for one.
    pub token: Option<String>,
}

impl Store {
    /// A store that keeps the last `capacity` changes for watches.
    pub fn with_history(capacity: usize) -> Store {
        Store {
            changes: Changes::with_capacity(capacity),
            ..Store::default()
        }
    }

    /// The store's current resourceVersion: that of its last write.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Creates or replaces `object` as a person with kubectl would, outside `writes()`
    /// (watches see it).
    pub fn put(&mut self, mut object: Value) -> Key {
        let key = Key::of(&object).expect("a manifest with apiVersion, kind and metadata.name");
        object["metadata"]["namespace"] = json!(key.namespace);
        self.commit(&key, Some(object));
        key
    }

    /// Deletes the object at `key` as a person with kubectl would, outside `writes()`
    /// (watches see it); the object as it was.
    pub fn delete(&mut self, key: &Key) -> Option<Value> {
        let before = self.objects.get(key).cloned()?;
        self.commit(key, None);
        Some(before)
    }

    /// Stores what a controller (Deployment or Argo) made of an object: a write like any other
    /// (a new resourceVersion, seen by watches) but not a client's, so not in `writes()`.
    pub fn controller_write(&mut self, key: &Key, object: Value) {
        self.commit(key, Some(object));
    }

    /// The Deployment or Rollout at `key` as it was created, while it exists.
    pub fn created(&self, key: &Key) -> Option<&Value> {
        self.created.get(key)
    }

    /// Every object of one kind (`apps/v1`, `deployments`), in every namespace.
    pub fn objects_of<'a>(
        &'a self,
        api_version: &'a str,
        plural: &'a str,
    ) -> impl Iterator<Item = (&'a Key, &'a Value)> {
        self.objects
            .iter()
            .filter(move |(key, _)| key.api_version == api_version && key.plural == plural)
    }

    /// The objects in `scope`, in namespace and name order.
    pub fn items(&self, scope: &Scope) -> Vec<Value> {
        self.objects
            .iter()
            .filter(|(key, object)| scope.contains(key, object))
            .map(|(_, object)| object.clone())
            .collect()
    }

    /// A GET of a collection: a `<Kind>List` of the objects in `scope`, at the store's
    /// current resourceVersion (what a watch that follows the list starts from).
    pub fn list(&self, scope: &Scope) -> Value {
        json!({
            "apiVersion": scope.api_version,
            "kind": format!("{}List", self.kind_of(&scope.api_version, &scope.plural)),
            "metadata": {"resourceVersion": self.version.to_string()},
            "items": self.items(scope),
        })
    }

    /// The kind a collection holds: as written to it, else as Kubernetes names it.
    pub fn kind_of(&self, api_version: &str, plural: &str) -> String {
        if let Some(kind) = self.kinds.get(&(api_version.to_string(), plural.to_string())) {
            return kind.clone();
        }
        let known = [
            ("pods", "Pod"),
            ("services", "Service"),
            ("deployments", "Deployment"),
            ("leases", "Lease"),
            ("httproutes", "HTTPRoute"),
            ("virtualservices", "VirtualService"),
            ("replicasets", "ReplicaSet"),
            ("rollouts", "Rollout"),
            ("analysisruns", "AnalysisRun"),
        ];
        if let Some((_, kind)) = known.iter().find(|(p, _)| *p == plural) {
            return kind.to_string();
        }
        let singular = plural.strip_suffix('s').unwrap_or(plural);
        let mut chars = singular.chars();
        chars
            .next()
            .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
            .unwrap_or_default()
    }

    /// Stores `object` at `key` (None deletes it) under the next resourceVersion, with the
    /// generation its spec earns (1 when new, one more when `spec` changed, whatever the
    /// writer said), and records the change for watches.
    fn commit(&mut self, key: &Key, object: Option<Value>) -> Option<Value> {
        self.version += 1;
        let before = self.objects.get(key).cloned();
        let after = object.map(|mut object| {
            let generation = match &before {
                None => object["metadata"]["generation"].as_u64().unwrap_or(1),
                Some(old) => {
                    old["metadata"]["generation"].as_u64().unwrap_or(1) + u64::from(old["spec"] != object["spec"])
                }
            };
            object["metadata"]["generation"] = json!(generation);
            object["metadata"]["resourceVersion"] = json!(self.version.to_string());
            object
        });
        match &after {
            Some(object) => {
                if before.is_none() && (key.plural == "deployments" || key.has_status_subresource()) {
                    self.created.insert(key.clone(), object.clone());
                }
                self.objects.insert(key.clone(), object.clone());
                if let Some(kind) = object["kind"].as_str() {
                    self.kinds
                        .insert((key.api_version.clone(), key.plural.clone()), kind.to_string());
                }
            }
            None => {
                self.objects.remove(key);
                self.created.remove(key);
            }
        }
        self.changes.record(Change {
            rv: self.version,
            key: key.clone(),
            before,
            after: after.clone(),
        });
        after
    }

    /// Creates the object posted to a namespace's collection: 409 AlreadyExists when its
    /// name is taken.
    pub fn create(
        &mut self,
        api_version: &str,
        namespace: &str,
        plural: &str,
        body: &[u8],
        field_manager: Option<&str>,
    ) -> Result<Value, Refusal> {
        let mut object: Value =
            serde_json::from_slice(body).map_err(|e| refusal(400, "BadRequest", format!("invalid object: {e}")))?;
        let name = object["metadata"]["name"].as_str().unwrap_or_default().to_string();
        if name.is_empty() {
            return Err(refusal(422, "Invalid", "metadata.name: Required value"));
        }
        let key = Key {
            api_version: api_version.to_string(),
            namespace: namespace.to_string(),
            plural: plural.to_string(),
            name,
        };
        lease_times(&key, &object)?;
        if self.objects.contains_key(&key) {
            return Err(refusal(
                409,
                "AlreadyExists",
                format!("{} \"{}\" already exists", key.plural, key.name),
            ));
        }
        object["metadata"]["namespace"] = json!(namespace);
        if key.has_status_subresource()
            && let Some(fields) = object.as_object_mut()
        {
            // A create ignores the status stanza: only `/status` writes it.
            fields.remove("status");
        }
        if let Some(manager) = field_manager {
            object["metadata"]["managedFields"] = json!([{"manager": manager, "operation": "Update"}]);
        }
        let object = self.commit(&key, Some(object)).unwrap_or_default();
        self.writes.push(Write {
            key,
            subresource: None,
            content_type: "application/json".into(),
            field_manager: field_manager.map(str::to_string),
        });
        Ok(object)
    }

    pub fn get(&self, key: &Key, subresource: Option<&str>) -> Result<Value, Refusal> {
        let object = self.objects.get(key).ok_or_else(|| not_found(key))?;
        match subresource {
            None => Ok(object.clone()),
            Some("scale") if key.plural == "deployments" => Ok(scale_of(object)),
            Some("status") if key.has_status_subresource() => Ok(object.clone()),
            Some(other) => Err(refusal(
                404,
                "NotFound",
                format!("the server could not find the requested resource ({other})"),
            )),
        }
    }

    pub fn deny(&mut self, verb: &str, resource: &str) {
        self.denied.push((verb.to_string(), resource.to_string()));
    }

    /// Answers a SelfSubjectAccessReview (its body as posted) with `status.allowed`.
    pub fn review(&self, body: &[u8]) -> Result<Value, Refusal> {
        let mut review: Value =
            serde_json::from_slice(body).map_err(|e| refusal(400, "BadRequest", format!("invalid review: {e}")))?;
        let attributes = &review["spec"]["resourceAttributes"];
        let verb = attributes["verb"].as_str().unwrap_or_default().to_string();
        let mut resource = attributes["resource"].as_str().unwrap_or_default().to_string();
        if let Some(sub) = attributes["subresource"].as_str().filter(|s| !s.is_empty()) {
            resource = format!("{resource}/{sub}");
        }
        let denied = self.denied.iter().any(|(v, r)| *v == verb && *r == resource);
        review["status"] = if denied {
            json!({"allowed": false, "reason": "RBAC: no rule allows it"})
        } else {
            json!({"allowed": true, "reason": "the fake API server allows it"})
        };
        Ok(review)
    }

    pub fn writes(&self) -> &[Write] {
        &self.writes
    }

    /// Applies a PATCH with `content_type` and `body` to the object (or its subresource).
    pub fn patch(
        &mut self,
        key: &Key,
        subresource: Option<&str>,
        content_type: &str,
        body: &[u8],
        field_manager: Option<&str>,
    ) -> Result<Value, Refusal> {
        let current = self.objects.get(key).ok_or_else(|| not_found(key))?.clone();
        let view = match subresource {
            None => current.clone(),
            Some("scale") if key.plural == "deployments" => scale_of(&current),
            // `/status` patches apply to the whole object; only their `.status` is kept.
            Some("status") if key.has_status_subresource() => current.clone(),
            Some(other) => return Err(refusal(404, "NotFound", format!("no subresource {other}"))),
        };
        let patch: Value =
            serde_json::from_slice(body).map_err(|e| refusal(400, "BadRequest", format!("invalid patch body: {e}")))?;
        let mut patched = view.clone();
        match content_type {
            "application/json-patch+json" => {
                let ops: json_patch::Patch = serde_json::from_value(patch)
                    .map_err(|e| refusal(400, "BadRequest", format!("invalid JSON patch: {e}")))?;
                json_patch::patch(&mut patched, &ops).map_err(|e| {
                    refusal(
                        400,
                        "BadRequest",
                        format!("the JSON patch failed: {e} (a test operation failed)"),
                    )
                })?;
            }
            "application/merge-patch+json" => json_patch::merge(&mut patched, &patch),
            "application/strategic-merge-patch+json" if key.is_custom() => {
                return Err(refusal(
                    415,
                    "UnsupportedMediaType",
                    "the body of the request was in an unknown format - accepted media types include: \
                     application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml",
                ));
            }
            "application/strategic-merge-patch+json" => json_patch::merge(&mut patched, &patch),
            other => {
                return Err(refusal(
                    415,
                    "UnsupportedMediaType",
                    format!("unsupported media type {other}"),
                ));
            }
        }
        lease_times(key, &patched)?;
        // Optimistic concurrency: a write naming a resourceVersion must name the current one.
        let named = patched["metadata"]["resourceVersion"].as_str().map(str::to_string);
        let now = view["metadata"]["resourceVersion"].as_str().map(str::to_string);
        if named.is_some() && named != now {
            return Err(refusal(
                409,
                "Conflict",
                format!(
                    "Operation cannot be fulfilled on {} \"{}\": the object has been modified; please apply your \
                     changes to the latest version and try again",
                    key.plural, key.name
                ),
            ));
        }
        let mut object = match subresource {
            None if key.has_status_subresource() => with_status_of(patched, &current),
            None => patched,
            Some("status") => with_status_of(current, &patched),
            Some(_) => {
                let replicas = patched["spec"]["replicas"].as_u64().unwrap_or(0);
                let mut object = current;
                object["spec"]["replicas"] = json!(replicas);
                object
            }
        };
        if let Some(manager) = field_manager {
            let fields = object["metadata"]["managedFields"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            if !fields.iter().any(|f| f["manager"] == manager) {
                let mut fields = fields;
                fields.push(json!({"manager": manager, "operation": "Update"}));
                object["metadata"]["managedFields"] = json!(fields);
            }
        }
        let object = self.commit(key, Some(object)).unwrap_or_default();
        self.writes.push(Write {
            key: key.clone(),
            subresource: subresource.map(str::to_string),
            content_type: content_type.to_string(),
            field_manager: field_manager.map(str::to_string),
        });
        Ok(match subresource {
            None | Some("status") => object,
            Some(_) => scale_of(&object),
        })
    }
}

/// `object` with the `.status` of `from` (none when `from` has none): what is kept of a
/// write to an object with a status subresource, or of a write to its `/status`.
fn with_status_of(mut object: Value, from: &Value) -> Value {
    if let Some(fields) = object.as_object_mut() {
        match from.get("status") {
            Some(status) => {
                fields.insert("status".into(), status.clone());
            }
            None => {
                fields.remove("status");
            }
        }
    }
    object
}

/// A Lease's times are MicroTimes: RFC 3339 with exactly six fraction digits, or the API
/// server refuses the write (as kube-apiserver does).
fn lease_times(key: &Key, object: &Value) -> Result<(), Refusal> {
    if key.plural != "leases" {
        return Ok(());
    }
    for field in ["acquireTime", "renewTime"] {
        let Some(text) = object["spec"][field].as_str() else {
            continue;
        };
        let digits =
            |range: std::ops::Range<usize>| text.get(range).is_some_and(|d| d.bytes().all(|b| b.is_ascii_digit()));
        let shaped = text.len() == 27
            && digits(0..4)
            && digits(5..7)
            && digits(8..10)
            && digits(11..13)
            && digits(14..16)
            && digits(17..19)
            && digits(20..26)
            && text.as_bytes()[19] == b'.'
            && text.ends_with('Z');
        if !shaped {
            return Err(refusal(
                400,
                "BadRequest",
                format!("spec.{field}: parsing time \"{text}\" as \"2006-01-02T15:04:05.000000Z07:00\": cannot parse"),
            ));
        }
    }
    Ok(())
}

fn not_found(key: &Key) -> Refusal {
    refusal(404, "NotFound", format!("{} \"{}\" not found", key.plural, key.name))
}

/// A Deployment's scale subresource, as `autoscaling/v1` serves it.
fn scale_of(deployment: &Value) -> Value {
    let replicas = deployment["spec"]["replicas"].as_u64().unwrap_or(1);
    json!({
        "apiVersion": "autoscaling/v1", "kind": "Scale",
        "metadata": {
            "name": deployment["metadata"]["name"], "namespace": deployment["metadata"]["namespace"],
            "resourceVersion": deployment["metadata"]["resourceVersion"],
        },
        "spec": {"replicas": replicas},
        "status": {"replicas": deployment["status"]["replicas"].as_u64().unwrap_or(replicas)},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service() -> Value {
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "billing", "namespace": "pay"},
               "spec": {"selector": {"colour": "blue"}}})
    }

    #[test]
    fn a_write_naming_an_old_resource_version_is_a_conflict() {
        let mut store = Store::default();
        let key = store.put(service());
        let rv = store.get(&key, None).unwrap()["metadata"]["resourceVersion"].clone();
        let body = json!({"metadata": {"resourceVersion": rv}, "spec": {"selector": {"colour": "green"}}});
        let bytes = serde_json::to_vec(&body).unwrap();
        let after = store
            .patch(&key, None, "application/merge-patch+json", &bytes, Some("shipdeck"))
            .unwrap();
        assert_eq!(after["spec"]["selector"]["colour"], "green");
        assert_eq!(after["metadata"]["managedFields"][0]["manager"], "shipdeck");
        let again = store.patch(&key, None, "application/merge-patch+json", &bytes, None);
        assert_eq!(again.unwrap_err().code, 409);
    }

    #[test]
    fn custom_resources_refuse_strategic_merge_and_failed_tests() {
        let mut store = Store::default();
        let key = store.put(
            json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
                                   "metadata": {"name": "r"}, "spec": {"rules": []}}),
        );
        let err = store
            .patch(&key, None, "application/strategic-merge-patch+json", b"{}", None)
            .unwrap_err();
        assert_eq!(err.code, 415);
        let test = br#"[{"op": "test", "path": "/spec/rules", "value": [1]}]"#;
        let err = store
            .patch(&key, None, "application/json-patch+json", test, None)
            .unwrap_err();
        assert_eq!((err.code, err.message.contains("test")), (400, true));
    }

    #[test]
    fn a_rollout_s_status_is_written_only_through_its_status_subresource() {
        let mut store = Store::default();
        let key = store.put(json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
                                   "metadata": {"name": "web", "namespace": "shop"},
                                   "spec": {"replicas": 2}, "status": {"phase": "Healthy"}}));
        let merge = |store: &mut Store, sub: Option<&str>, body: Value| {
            store.patch(
                &key,
                sub,
                "application/merge-patch+json",
                body.to_string().as_bytes(),
                None,
            )
        };
        // The object itself: spec and metadata change, status does not.
        let after = merge(
            &mut store,
            None,
            json!({"metadata": {"labels": {"a": "b"}}, "spec": {"replicas": 3}, "status": {"phase": "Degraded"}}),
        )
        .unwrap();
        assert_eq!(
            (&after["spec"]["replicas"], &after["metadata"]["labels"]["a"]),
            (&json!(3), &json!("b"))
        );
        assert_eq!(after["status"], json!({"phase": "Healthy"}));
        assert_eq!(after["metadata"]["generation"], 2);
        // Its status: only status changes, and the generation stays.
        let after = merge(
            &mut store,
            Some("status"),
            json!({"metadata": {"labels": {"a": "c"}}, "spec": {"replicas": 9}, "status": {"abort": true}}),
        )
        .unwrap();
        assert_eq!(
            (&after["spec"]["replicas"], &after["metadata"]["labels"]["a"]),
            (&json!(3), &json!("b"))
        );
        assert_eq!(after["status"], json!({"phase": "Healthy", "abort": true}));
        assert_eq!(after["metadata"]["generation"], 2);
        let ops =
            br#"[{"op": "remove", "path": "/status/abort"}, {"op": "replace", "path": "/spec/replicas", "value": 1}]"#;
        let after = store
            .patch(&key, Some("status"), "application/json-patch+json", ops, None)
            .unwrap();
        assert_eq!(
            (&after["status"], &after["spec"]["replicas"]),
            (&json!({"phase": "Healthy"}), &json!(3))
        );
        assert_eq!(store.get(&key, Some("status")).unwrap(), after);
        let subresources: Vec<_> = store.writes().iter().map(|w| w.subresource.as_deref()).collect();
        assert_eq!(subresources, [None, Some("status"), Some("status")]);
        // A create ignores the status; other kinds have no status subresource here.
        let posted = json!({"metadata": {"name": "api"}, "spec": {}, "status": {"phase": "Healthy"}});
        let created = store
            .create(
                "argoproj.io/v1alpha1",
                "shop",
                "rollouts",
                posted.to_string().as_bytes(),
                None,
            )
            .unwrap();
        assert!(created.get("status").is_none());
        let deployment = store.put(json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}}));
        assert_eq!(store.get(&deployment, Some("status")).unwrap_err().code, 404);
    }

    #[test]
    fn lease_times_must_have_six_fraction_digits() {
        let mut store = Store::default();
        let lease =
            |time: &str| serde_json::to_vec(&json!({"metadata": {"name": "l"}, "spec": {"renewTime": time}})).unwrap();
        let ok = store.create(
            "coordination.k8s.io/v1",
            "shop",
            "leases",
            &lease("2026-12-03T17:00:00.000000Z"),
            None,
        );
        assert!(ok.is_ok(), "{ok:?}");
        for bad in ["2026-12-03T17:00:00Z", "2026-12-03T17:00:00.123456789Z"] {
            let err = store
                .create("coordination.k8s.io/v1", "shop", "leases", &lease(bad), None)
                .unwrap_err();
            assert_eq!(err.code, 400, "{bad}");
        }
    }

    #[test]
    fn the_scale_subresource_sets_a_deployment_s_replicas() {
        let mut store = Store::default();
        let key = store.put(json!({"apiVersion": "apps/v1", "kind": "Deployment",
                                   "metadata": {"name": "web", "namespace": "shop"}, "spec": {"replicas": 3}}));
        let scale = store
            .patch(
                &key,
                Some("scale"),
                "application/merge-patch+json",
                br#"{"spec":{"replicas":7}}"#,
                Some("shipdeck"),
            )
            .unwrap();
        assert_eq!(scale["spec"]["replicas"], 7);
        assert_eq!(store.get(&key, None).unwrap()["spec"]["replicas"], 7);
        assert_eq!(store.writes()[0].subresource.as_deref(), Some("scale"));
    }
}
