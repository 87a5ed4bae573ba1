//! A Deployment controller, close enough to kube-controller-manager's for "wait until the
//! rollout is done" to be exercised for real. It keeps a model of each Deployment's pods
//! (which template each runs, whether it is ready) and, at every step, moves each
//! Deployment's `status` one pod toward its `spec`:
//!
//! - Pods created in an earlier step become ready (unless the Deployment was marked
//!   [`Controller::never_ready`] when they were created): ready one step after creation.
//! - A new `spec.template` (one its current pods do not run) starts a new revision: the
//!   `deployment.kubernetes.io/revision` annotation grows by one and `updatedReplicas` is
//!   0; nothing else moves in that step. Going back to an older template is a new revision
//!   too, whose pods that still run it count as updated at once, as in Kubernetes.
//! - Then, one step at a time, with maxSurge 1 and maxUnavailable 0 (Kubernetes' defaults
//!   for 3 replicas): an old pod is removed once a new ready pod covers it, and a new pod is
//!   created while fewer than `spec.replicas` run the new template and the total stays at
//!   most one above `spec.replicas`. A change of `spec.replicas` is reached the same way,
//!   one pod per step (extra pods removed, not-ready ones first).
//! - `spec.paused: true` freezes the rollout (no new revision, no new pods of the new
//!   template); scaling still proceeds, on the largest group of pods.
//!
//! `status` holds `observedGeneration` (the generation seen at the step), `replicas` (all
//! pods), `updatedReplicas` (pods of the current `spec.template`), `readyReplicas`,
//! `availableReplicas` (= ready: no minReadySeconds), `unavailableReplicas`, each omitted
//! when 0 as kube-apiserver omits them, and the conditions `Available` and `Progressing`
//! (without times). The pods are a model inside the controller, not Pod objects: a list of
//! `/api/v1/namespaces/NS/pods` holds only the Pods a test put.
//!
//! The controller starts from each Deployment as it was created (put or POSTed), so a
//! change made before its first step is rolled out all the same. One created with a
//! `status` is taken to run that many pods: `updatedReplicas` (all, when absent) of its
//! template, `readyReplicas` of them ready, the others ready at the next step.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde_json::{Map, Value, json};

use super::store::{Key, Store, lock};

const REVISION: &str = "deployment.kubernetes.io/revision";

/// The model of every Deployment's pods, and the Deployments whose pods never get ready.
#[derive(Debug, Default)]
pub struct Controller {
    steps: u64,
    deployments: BTreeMap<Key, Rollout>,
    /// (namespace, name)
    never_ready: BTreeSet<(String, String)>,
}

impl Controller {
    /// From now on (`never`), or no longer, the pods the Deployment creates never get ready.
    pub fn never_ready(&mut self, namespace: &str, name: &str, never: bool) {
        let key = (namespace.to_string(), name.to_string());
        if never {
            self.never_ready.insert(key);
        } else {
            self.never_ready.remove(&key);
        }
    }

    /// One step of every Deployment in `store`; a status that changed is written back.
    pub fn step(&mut self, store: &mut Store) {
        self.steps += 1;
        let step = self.steps;
        let deployments: Vec<(Key, Value)> = store
            .objects_of("apps/v1", "deployments")
            .map(|(key, object)| (key.clone(), object.clone()))
            .collect();
        self.deployments
            .retain(|key, _| deployments.iter().any(|(present, _)| present == key));
        for (key, object) in deployments {
            let doomed = self.never_ready.contains(&(key.namespace.clone(), key.name.clone()));
            let rollout = self
                .deployments
                .entry(key.clone())
                .or_insert_with(|| Rollout::first_seen(store.created(&key).unwrap_or(&object), step));
            let next = rollout.step(&object, step, doomed);
            if next != object {
                store.controller_write(&key, next);
            }
        }
    }
}

/// Steps `controller` every `every` until the runtime it runs on stops.
pub async fn run(controller: Arc<Mutex<Controller>>, store: Arc<Mutex<Store>>, every: Duration) {
    let mut ticks = tokio::time::interval(every.max(Duration::from_millis(1)));
    // A late step is not made up for with a burst of steps.
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The first tick is at once: the first step comes one period after the start.
    ticks.tick().await;
    loop {
        ticks.tick().await;
        lock_controller(&controller).step(&mut lock(&store));
    }
}

pub fn lock_controller(controller: &Mutex<Controller>) -> MutexGuard<'_, Controller> {
    controller.lock().unwrap_or_else(PoisonError::into_inner)
}

#[derive(Debug, Clone, PartialEq)]
struct Pod {
    /// Index in `Rollout::templates`.
    template: usize,
    born: u64,
    ready: bool,
    /// Created while the Deployment was marked never ready.
    doomed: bool,
}

#[derive(Debug, Clone, PartialEq)]
struct Rollout {
    /// Every template seen (compared as JSON values, so key order does not matter).
    templates: Vec<Value>,
    /// The template rolled out (index) and its revision.
    target: usize,
    revision: u64,
    pods: Vec<Pod>,
}

impl Rollout {
    fn first_seen(object: &Value, step: u64) -> Rollout {
        let status = &object["status"];
        let total = status["replicas"].as_u64().unwrap_or(0);
        let updated = status["updatedReplicas"].as_u64().unwrap_or(total).min(total);
        let ready = status["readyReplicas"].as_u64().unwrap_or(0).min(total);
        let revision = object["metadata"]["annotations"][REVISION]
            .as_str()
            .and_then(|r| r.parse().ok())
            .unwrap_or(1);
        // Template 1 stands for whatever older template the pods not updated run.
        let pod = |template: usize, ready: bool| Pod {
            template,
            born: step,
            ready,
            doomed: false,
        };
        let mut pods: Vec<Pod> = (0..updated).map(|i| pod(0, i < ready)).collect();
        pods.extend((updated..total).map(|i| pod(1, i < ready)));
        Rollout {
            templates: vec![object["spec"]["template"].clone(), Value::Null],
            target: 0,
            revision,
            pods,
        }
    }

    fn template_index(&mut self, template: &Value) -> usize {
        match self.templates.iter().position(|t| t == template) {
            Some(index) => index,
            None => {
                self.templates.push(template.clone());
                self.templates.len() - 1
            }
        }
    }

    /// One step toward `object`'s spec; `object` with the status (and revision) it leads to.
    fn step(&mut self, object: &Value, step: u64, doomed: bool) -> Value {
        let spec = &object["spec"];
        let replicas = spec["replicas"].as_u64().unwrap_or(1) as usize;
        let paused = spec["paused"].as_bool().unwrap_or(false);
        let current = self.template_index(&spec["template"]);
        for pod in &mut self.pods {
            if !pod.ready && !pod.doomed && pod.born < step {
                pod.ready = true;
            }
        }
        if paused {
            self.scale(replicas, step, doomed);
        } else if current != self.target {
            self.target = current;
            self.revision += 1;
        } else {
            self.roll(replicas, step, doomed);
        }
        self.render(object, current, replicas, paused)
    }

    /// Rolls out `target`: one old pod removed once covered, one new pod created.
    fn roll(&mut self, replicas: usize, step: u64, doomed: bool) {
        let target = self.target;
        let new = self.count(|p| p.template == target);
        let new_ready = self.count(|p| p.template == target && p.ready);
        let old = self.pods.len() - new;
        if old > 0 && old + new_ready > replicas {
            self.remove(|p| p.template != target);
        } else if new > replicas {
            self.remove(|p| p.template == target);
        }
        let new = self.count(|p| p.template == target);
        let old = self.pods.len() - new;
        if new < replicas && old + new <= replicas {
            self.pods.push(Pod {
                template: target,
                born: step,
                ready: false,
                doomed,
            });
        }
    }

    /// Paused: scales the largest group of pods (the older on a tie), one pod.
    fn scale(&mut self, replicas: usize, step: u64, doomed: bool) {
        let mut groups: BTreeMap<usize, usize> = BTreeMap::new();
        for pod in &self.pods {
            *groups.entry(pod.template).or_default() += 1;
        }
        let target = self.target;
        let largest = groups
            .into_iter()
            .max_by_key(|&(template, count)| (count, template != target))
            .map_or(target, |(template, _)| template);
        if self.pods.len() < replicas {
            self.pods.push(Pod {
                template: largest,
                born: step,
                ready: false,
                doomed,
            });
        } else if self.pods.len() > replicas {
            self.remove(|p| p.template == largest);
        }
    }

    fn count(&self, which: impl Fn(&Pod) -> bool) -> usize {
        self.pods.iter().filter(|p| which(p)).count()
    }

    /// Removes one pod `which` picks: a not-ready one if any, else the oldest.
    fn remove(&mut self, which: impl Fn(&Pod) -> bool) {
        let unready = self.pods.iter().position(|p| which(p) && !p.ready);
        if let Some(index) = unready.or_else(|| self.pods.iter().position(&which)) {
            self.pods.remove(index);
        }
    }

    fn render(&self, object: &Value, current: usize, replicas: usize, paused: bool) -> Value {
        let total = self.pods.len();
        let updated = self.count(|p| p.template == current);
        let available = self.count(|p| p.ready);
        let mut status = Map::new();
        let mut count = |field: &str, n: usize| {
            if n > 0 {
                status.insert(field.to_string(), json!(n));
            }
        };
        count("replicas", total);
        count("updatedReplicas", updated);
        count("readyReplicas", available);
        count("availableReplicas", available);
        count("unavailableReplicas", replicas.saturating_sub(available));
        if let Some(generation) = object["metadata"]["generation"].as_u64() {
            status.insert("observedGeneration".into(), json!(generation));
        }
        let name = object["metadata"]["name"].as_str().unwrap_or_default();
        let replica_set = format!("{name}-{}", self.target);
        let condition = |kind: &str, state: &str, reason: &str, message: String| json!({"type": kind, "status": state, "reason": reason, "message": message});
        let available_condition = if available >= replicas {
            condition(
                "Available",
                "True",
                "MinimumReplicasAvailable",
                "Deployment has minimum availability.".into(),
            )
        } else {
            condition(
                "Available",
                "False",
                "MinimumReplicasUnavailable",
                "Deployment does not have minimum availability.".into(),
            )
        };
        let complete = current == self.target && updated == replicas && total == replicas && available == replicas;
        let progressing = if paused {
            condition(
                "Progressing",
                "Unknown",
                "DeploymentPaused",
                "Deployment is paused".into(),
            )
        } else if complete {
            condition(
                "Progressing",
                "True",
                "NewReplicaSetAvailable",
                format!("ReplicaSet \"{replica_set}\" has successfully progressed."),
            )
        } else {
            condition(
                "Progressing",
                "True",
                "ReplicaSetUpdated",
                format!("ReplicaSet \"{replica_set}\" is progressing."),
            )
        };
        status.insert("conditions".into(), json!([available_condition, progressing]));
        let mut next = object.clone();
        next["status"] = Value::Object(status);
        next["metadata"]["annotations"][REVISION] = json!(self.revision.to_string());
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deployment(replicas: u64, image: &str) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": "web", "namespace": "shop"},
               "spec": {"replicas": replicas,
                        "template": {"spec": {"containers": [{"name": "web", "image": image}]}}}})
    }

    /// (replicas, updated, ready, available) as the status says them (absent: 0).
    fn counts(object: &Value) -> (u64, u64, u64, u64) {
        let n = |field: &str| object["status"][field].as_u64().unwrap_or(0);
        (
            n("replicas"),
            n("updatedReplicas"),
            n("readyReplicas"),
            n("availableReplicas"),
        )
    }

    struct Cluster {
        store: Store,
        controller: Controller,
        key: Key,
    }

    impl Cluster {
        fn new(object: Value) -> Cluster {
            let mut store = Store::default();
            let key = store.put(object);
            Cluster {
                store,
                controller: Controller::default(),
                key,
            }
        }

        fn step(&mut self) -> Value {
            self.controller.step(&mut self.store);
            self.object()
        }

        fn object(&self) -> Value {
            self.store.get(&self.key, None).unwrap()
        }

        fn merge(&mut self, patch: Value) {
            let body = serde_json::to_vec(&patch).unwrap();
            self.store
                .patch(&self.key, None, "application/merge-patch+json", &body, Some("shipdeck"))
                .unwrap();
        }
    }

    #[test]
    fn a_new_deployment_gets_one_pod_per_step_each_ready_a_step_later() {
        let mut cluster = Cluster::new(deployment(3, "web:1"));
        assert_eq!(cluster.object()["metadata"]["generation"], 1);
        let seen: Vec<_> = (0..5).map(|_| counts(&cluster.step())).collect();
        assert_eq!(
            seen,
            [(1, 1, 0, 0), (2, 2, 1, 1), (3, 3, 2, 2), (3, 3, 3, 3), (3, 3, 3, 3)]
        );
        let object = cluster.object();
        assert_eq!(object["status"]["observedGeneration"], 1);
        assert_eq!(object["metadata"]["annotations"][REVISION], "1");
        let conditions = &object["status"]["conditions"];
        assert_eq!(
            (&conditions[0]["type"], &conditions[0]["status"]),
            (&json!("Available"), &json!("True"))
        );
        assert_eq!(conditions[1]["reason"], "NewReplicaSetAvailable");
        // Settled: a step that changes nothing writes nothing.
        let rv = object["metadata"]["resourceVersion"].clone();
        assert_eq!(cluster.step()["metadata"]["resourceVersion"], rv);
    }

    #[test]
    fn a_new_template_is_a_new_revision_rolled_out_one_pod_at_a_time() {
        let mut cluster = Cluster::new(deployment(3, "web:1"));
        for _ in 0..4 {
            cluster.step();
        }
        cluster.merge(json!({"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "web:2"}]}}}}));
        let object = cluster.object();
        assert_eq!(object["metadata"]["generation"], 2);
        assert_eq!(
            object["status"]["observedGeneration"], 1,
            "not seen until the next step"
        );
        // The step that sees it: revision 2, nothing updated yet; then surge one, replace one.
        let object = cluster.step();
        assert_eq!(object["status"]["observedGeneration"], 2);
        assert_eq!(object["metadata"]["annotations"][REVISION], "2");
        assert_eq!(counts(&object), (3, 0, 3, 3));
        let seen: Vec<_> = (0..4).map(|_| counts(&cluster.step())).collect();
        assert_eq!(seen, [(4, 1, 3, 3), (4, 2, 3, 3), (4, 3, 3, 3), (3, 3, 3, 3)]);
        assert_eq!(
            cluster.object()["status"]["conditions"][1]["reason"],
            "NewReplicaSetAvailable"
        );
    }

    #[test]
    fn status_and_metadata_writes_leave_the_generation_alone() {
        let mut cluster = Cluster::new(deployment(3, "web:1"));
        cluster.merge(json!({"metadata": {"labels": {"team": "shop"}}}));
        cluster.step();
        assert_eq!(cluster.object()["metadata"]["generation"], 1);
        cluster.merge(json!({"spec": {"replicas": 4}}));
        assert_eq!(cluster.object()["metadata"]["generation"], 2);
        // Only the client's writes are in writes(), not the controller's.
        assert_eq!(cluster.store.writes().len(), 2);
    }

    #[test]
    fn scaling_goes_one_pod_per_step_both_ways_through_the_scale_subresource_too() {
        let mut cluster = Cluster::new(deployment(2, "web:1"));
        for _ in 0..3 {
            cluster.step();
        }
        assert_eq!(counts(&cluster.object()), (2, 2, 2, 2));
        let key = cluster.key.clone();
        cluster
            .store
            .patch(
                &key,
                Some("scale"),
                "application/merge-patch+json",
                br#"{"spec":{"replicas":4}}"#,
                None,
            )
            .unwrap();
        assert_eq!(cluster.object()["metadata"]["generation"], 2);
        let seen: Vec<_> = (0..3).map(|_| counts(&cluster.step())).collect();
        assert_eq!(seen, [(3, 3, 2, 2), (4, 4, 3, 3), (4, 4, 4, 4)]);
        cluster.merge(json!({"spec": {"replicas": 1}}));
        let seen: Vec<_> = (0..4).map(|_| counts(&cluster.step())).collect();
        assert_eq!(seen, [(3, 3, 3, 3), (2, 2, 2, 2), (1, 1, 1, 1), (1, 1, 1, 1)]);
        assert_eq!(cluster.object()["status"]["observedGeneration"], 3);
    }

    #[test]
    fn a_paused_deployment_scales_but_does_not_roll_out() {
        let mut cluster = Cluster::new(deployment(2, "web:1"));
        for _ in 0..3 {
            cluster.step();
        }
        cluster.merge(json!({"spec": {"paused": true,
                                      "template": {"spec": {"containers": [{"name": "web", "image": "web:2"}]}}}}));
        for _ in 0..3 {
            let object = cluster.step();
            assert_eq!(counts(&object), (2, 0, 2, 2));
            assert_eq!(object["metadata"]["annotations"][REVISION], "1");
            assert_eq!(object["status"]["conditions"][1]["reason"], "DeploymentPaused");
        }
        cluster.merge(json!({"spec": {"replicas": 3}}));
        cluster.step();
        assert_eq!(counts(&cluster.step()), (3, 0, 3, 3), "scaled, on the old template");
        cluster.merge(json!({"spec": {"paused": false}}));
        assert_eq!(cluster.step()["metadata"]["annotations"][REVISION], "2");
        for _ in 0..4 {
            cluster.step();
        }
        assert_eq!(counts(&cluster.object()), (3, 3, 3, 3));
    }

    #[test]
    fn pods_that_never_get_ready_stall_the_rollout_until_it_is_rolled_back() {
        let mut cluster = Cluster::new(deployment(3, "web:1"));
        for _ in 0..4 {
            cluster.step();
        }
        cluster.controller.never_ready("shop", "web", true);
        cluster.merge(json!({"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "web:2"}]}}}}));
        for _ in 0..6 {
            cluster.step();
        }
        let object = cluster.object();
        assert_eq!(
            counts(&object),
            (4, 1, 3, 3),
            "one surge pod, never ready; the old ones stay"
        );
        assert_eq!(object["status"]["conditions"][1]["reason"], "ReplicaSetUpdated");
        // Rolling back to web:1: its pods count as updated at once, and the bad one goes.
        cluster.controller.never_ready("shop", "web", false);
        cluster.merge(json!({"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "web:1"}]}}}}));
        let object = cluster.step();
        assert_eq!(object["metadata"]["annotations"][REVISION], "3");
        assert_eq!(counts(&object), (4, 3, 3, 3));
        assert_eq!(counts(&cluster.step()), (3, 3, 3, 3));
    }

    #[test]
    fn a_template_changed_before_the_first_step_is_still_rolled_out() {
        let mut object = deployment(2, "web:1");
        object["status"] = json!({"replicas": 2, "readyReplicas": 2});
        let mut cluster = Cluster::new(object);
        cluster.merge(json!({"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "web:2"}]}}}}));
        let object = cluster.step();
        assert_eq!(object["metadata"]["annotations"][REVISION], "2");
        assert_eq!(counts(&object), (2, 0, 2, 2));
    }

    #[test]
    fn a_deployment_put_with_a_status_starts_from_it() {
        let mut object = deployment(4, "web:1");
        object["status"] = json!({"replicas": 4, "updatedReplicas": 4, "readyReplicas": 4});
        let mut cluster = Cluster::new(object);
        let object = cluster.step();
        assert_eq!(counts(&object), (4, 4, 4, 4));
        assert_eq!(object["status"]["observedGeneration"], 1);
    }
}
