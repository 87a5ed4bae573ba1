//! A fake Argo Rollouts controller for the canary strategy, close enough to Argo's own
//! (v1.9) for a client that drives a Rollout as Argo's CLI does (promote, abort, retry,
//! promote --full, undo, pause) to be tested end to end. It is stateless like Argo's: every
//! step it reads each Rollout (`argoproj.io/v1alpha1`, with `spec.strategy.canary`; others
//! are left alone) and the ReplicaSets it owns, and writes back what one reconcile of Argo
//! would. One action per Rollout per step, in this order:
//!
//! 1. **New revision**: `spec.template` hashes (see [`pod_template_hash`]) to other than
//!    `status.currentPodHash` (a Rollout first seen without a status included). The
//!    revision (`rollout.argoproj.io/revision` on the Rollout) becomes one more than any
//!    of its ReplicaSets' and its own; the ReplicaSet `<rollout>-<hash>` is created (or,
//!    for a template seen before, as after an undo, reused: its revision bumped, the old one
//!    added to `rollout.argoproj.io/revision-history`). The status is reset as Argo resets
//!    it: `abort`, `abortedAt`, `pauseConditions`, `controllerPause` and `promoteFull` go.
//!    With no `stableRS` yet (the first revision) the new one is stable at once and fully
//!    promoted (`currentStepIndex` = steps.len()); a template whose hash is the `stableRS`
//!    (an undo to the stable version) skips every step likewise; any other starts at step 0
//!    with the canary at weight 0.
//! 2. **Steps changed** (`status.currentStepHash` differs): back to step 0 of the same
//!    revision (or steps.len() when fully promoted), as Argo does.
//! 3. **`status.promoteFull: true`** (unless `spec.paused`): pause conditions and abort
//!    cleared, the current version is stable, `currentStepIndex` = steps.len(),
//!    `promoteFull` removed.
//! 4. **`status.abort: true`**: canary weight 0 / stable 100, `currentStepIndex` 0 (steps.len()
//!    when fully promoted), pause conditions cleared, `abortedAt` set (kept once set), the
//!    Progressing condition `RolloutAborted` ("Rollout aborted update to revision N"), phase
//!    `Degraded`. No step moves while it stays true; `abort: false` (retry) goes on from
//!    `currentStepIndex` (0 after an abort), and `abortedAt` goes.
//! 5. **`spec.paused: true`**: nothing moves (a new template is still taken up as a new
//!    revision at step 0, by 1.); phase `Paused`, message `manually paused` (Argo adds no
//!    pause condition for it). A fully promoted Rollout does not move either.
//! 6. **Past the last step** (`currentStepIndex` >= steps.len(), not yet stable): the
//!    current version becomes `stableRS`: fully promoted, phase `Healthy`.
//! 7. **The current step**: `setWeight: w` sets the canary's weight to `w` and moves on;
//!    `pause` without a duration adds the pause condition `CanaryPauseStep` (startTime now)
//!    with `controllerPause: true` and waits until a client removes the condition (promote),
//!    then moves on (and drops `controllerPause`); `pause: {duration: D}` (`"10s"`, `"1m30s"`,
//!    `"500ms"`, or whole seconds) pauses the same way and moves on by itself once D has
//!    passed since the step that paused it (timed by this controller's clock) or once
//!    promoted; any other step (analysis, experiment, setCanaryScale, ...) is passed over.
//!
//! Every write also keeps current: `status.canary.weights` (`canary`: the current pod hash
//! and its weight, `stable`: the stableRS and 100 minus it; 0/100 once fully promoted, and
//! `serviceName` when the spec names `canaryService`/`stableService`; real Argo writes
//! weights only with `trafficRouting`, the fake always does), `currentPodHash`,
//! `currentStepHash`, `currentStepIndex` (absent without steps), `stableRS`,
//! `observedGeneration` (a string, as Argo writes it), `selector`, the replica counts
//! (`replicas`, `updatedReplicas`, `readyReplicas`, `availableReplicas`, `HPAReplicas`; 0s
//! omitted), the conditions `Available` and `Progressing` (without times), and `phase` /
//! `message` by Argo's own rules (`CalculateRolloutPhase`; `message` absent when Healthy).
//! ReplicaSets are scaled as a basic canary scales them, their pods ready at once: the
//! canary to ceil(replicas × weight / 100), the stable to ceil(replicas × (100 − weight) /
//! 100) (all of `spec.replicas` with `trafficRouting`), the rest to 0.
//!
//! A Rollout without `metadata.uid` gets one (the fake API server assigns none), for the
//! ReplicaSets' ownerReferences. A Rollout first seen with a `status.currentPodHash` is
//! taken as it stands: that hash (and a `stableRS` equal to it) is renamed to the fake's
//! hash of the current template, so a Rollout put mid-canary goes on from its step. One
//! put without a status whose template changed before the first step starts from the
//! template it was created with (revision 1, stable), the change being revision 2.
//!
//! Writes are the controller's: they bump the resourceVersion and reach watches, but are not
//! in `writes()`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

use super::store::{Key, Store, lock};

/// The group/version Rollouts are served under.
pub const API_VERSION: &str = "argoproj.io/v1alpha1";
/// The revision annotation, on the Rollout and on each of its ReplicaSets.
pub const REVISION: &str = "rollout.argoproj.io/revision";
const REVISION_HISTORY: &str = "rollout.argoproj.io/revision-history";
const DESIRED_REPLICAS: &str = "rollout.argoproj.io/desired-replicas";
/// The label each ReplicaSet (and its template) carries with its pod template hash.
pub const HASH_LABEL: &str = "rollouts-pod-template-hash";
/// The pause condition of a canary `pause` step.
pub const CANARY_PAUSE_STEP: &str = "CanaryPauseStep";

/// What the controller keeps between steps (everything else is read from the objects).
#[derive(Debug, Default)]
pub struct RolloutController {
    /// When each Rollout's current timed pause began, by this controller's clock:
    /// (pod hash, step index, start).
    pauses: BTreeMap<Key, (String, usize, Instant)>,
    /// Rollouts seen at least once.
    seen: BTreeSet<Key>,
}

/// Steps `controller` every `every` until the runtime it runs on stops.
pub async fn run(controller: Arc<Mutex<RolloutController>>, store: Arc<Mutex<Store>>, every: Duration) {
    let mut ticks = tokio::time::interval(every.max(Duration::from_millis(1)));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The first tick is at once: the first step comes one period after the start.
    ticks.tick().await;
    loop {
        ticks.tick().await;
        lock_rollouts(&controller).step(&mut lock(&store));
    }
}

pub fn lock_rollouts(controller: &Mutex<RolloutController>) -> MutexGuard<'_, RolloutController> {
    controller.lock().unwrap_or_else(PoisonError::into_inner)
}

impl RolloutController {
    /// One step of every canary Rollout in `store`; what changed is written back.
    pub fn step(&mut self, store: &mut Store) {
        let rollouts: Vec<(Key, Value)> = store
            .objects_of(API_VERSION, "rollouts")
            .filter(|(_, rollout)| rollout["spec"]["strategy"]["canary"].is_object())
            .map(|(key, rollout)| (key.clone(), rollout.clone()))
            .collect();
        self.pauses
            .retain(|key, _| rollouts.iter().any(|(present, _)| present == key));
        self.seen
            .retain(|key| rollouts.iter().any(|(present, _)| present == key));
        for (key, rollout) in rollouts {
            let sets: Vec<(Key, Value)> = store
                .objects_of("apps/v1", "replicasets")
                .filter(|(set_key, set)| set_key.namespace == key.namespace && owned_by(set, &key.name))
                .map(|(set_key, set)| (set_key.clone(), set.clone()))
                .collect();
            let created = store.created(&key).cloned();
            let (next, sets) = self.reconcile(&key, &rollout, created.as_ref(), sets);
            for (set_key, set) in sets {
                if store.get(&set_key, None).ok().as_ref() != Some(&set) {
                    store.controller_write(&set_key, set);
                }
            }
            if next != rollout {
                store.controller_write(&key, next);
            }
        }
    }

    /// One reconcile of `rollout` (`created`: as it was created): the Rollout and its
    /// ReplicaSets (all of them, changed or not) as they should be.
    fn reconcile(
        &mut self,
        key: &Key,
        rollout: &Value,
        created: Option<&Value>,
        sets: Vec<(Key, Value)>,
    ) -> (Value, Vec<(Key, Value)>) {
        let spec = &rollout["spec"];
        let canary = &spec["strategy"]["canary"];
        let steps: Vec<Value> = canary["steps"].as_array().cloned().unwrap_or_default();
        let count = steps.len();
        let replicas = spec["replicas"].as_u64().unwrap_or(1);
        let routed = canary.get("trafficRouting").is_some_and(|r| !r.is_null());
        let spec_paused = spec["paused"].as_bool().unwrap_or(false);
        let hash = pod_template_hash(&spec["template"]);
        let step_hash = short_hash(&Value::Array(steps.clone()), 8);
        let mut next = rollout.clone();
        if rollout["metadata"]["uid"].as_str().is_none_or(str::is_empty) {
            next["metadata"]["uid"] = json!(uid_for(key));
        }
        let mut status = match &rollout["status"] {
            Value::Object(fields) => fields.clone(),
            _ => Map::new(),
        };
        let mut sets: BTreeMap<String, (Key, Value)> = sets
            .into_iter()
            .map(|(set_key, set)| (set_hash(&set, &key.name), (set_key, set)))
            .collect();
        let mut revision = revision_of(rollout);
        if self.seen.insert(key.clone()) {
            if text(&status, "currentPodHash").is_some() {
                adopt(&mut status, &hash, &step_hash);
            } else if let Some(first) = created.map(|c| &c["spec"]["template"])
                && pod_template_hash(first) != hash
            {
                // Changed before this first step: the template it was created with was the
                // first revision, made stable at once; the change is rolled out below.
                let first_hash = pod_template_hash(first);
                revision = revision.max(1);
                let set = new_replica_set(key, &next, first, &first_hash, revision);
                sets.entry(first_hash.clone()).or_insert(set);
                status.insert("currentPodHash".into(), json!(first_hash));
                status.insert("stableRS".into(), json!(first_hash));
                status.insert("currentStepHash".into(), json!(step_hash));
            }
        }
        let mut stable = text(&status, "stableRS");
        let mut index = status
            .get("currentStepIndex")
            .and_then(Value::as_u64)
            .map_or(0, |i| usize::try_from(i).unwrap_or(usize::MAX))
            .min(count);
        let mut weight = status
            .get("canary")
            .and_then(|c| c.pointer("/weights/canary/weight"))
            .and_then(Value::as_u64)
            .unwrap_or(0)
            .min(100);
        let flag = |status: &Map<String, Value>, field: &str| status.get(field).and_then(Value::as_bool) == Some(true);

        if text(&status, "currentPodHash").as_deref() != Some(hash.as_str()) {
            // 1. A new revision.
            let others = sets
                .iter()
                .filter(|(set_hash, _)| **set_hash != hash)
                .map(|(_, (_, set))| revision_of(set))
                .max()
                .unwrap_or(0);
            revision = others.max(revision) + 1;
            let set = match sets.remove(&hash) {
                Some((set_key, set)) => (set_key, reused(set, revision)),
                None => new_replica_set(key, &next, &spec["template"], &hash, revision),
            };
            sets.insert(hash.clone(), set);
            reset(&mut status);
            self.pauses.remove(key);
            status.insert("currentPodHash".into(), json!(hash));
            status.insert("currentStepHash".into(), json!(step_hash));
            weight = 0;
            index = match &stable {
                None => {
                    stable = Some(hash.clone());
                    count
                }
                Some(stable) if *stable == hash => count,
                Some(_) => 0,
            };
        } else if text(&status, "currentStepHash").as_deref() != Some(step_hash.as_str()) {
            // 2. Steps changed: the same revision from its first step.
            reset(&mut status);
            self.pauses.remove(key);
            status.insert("currentStepHash".into(), json!(step_hash));
            weight = 0;
            index = if stable.as_deref() == Some(hash.as_str()) {
                count
            } else {
                0
            };
        } else if flag(&status, "promoteFull") && !spec_paused {
            // 3. promote --full.
            reset(&mut status);
            self.pauses.remove(key);
            stable = Some(hash.clone());
            index = count;
        } else if flag(&status, "abort") {
            // 4. Aborted.
            status.remove("pauseConditions");
            status.remove("controllerPause");
            self.pauses.remove(key);
            if !status.get("abortedAt").is_some_and(Value::is_string) {
                status.insert("abortedAt".into(), json!(rfc3339(SystemTime::now())));
            }
            index = if stable.as_deref() == Some(hash.as_str()) {
                count
            } else {
                0
            };
        } else if spec_paused || stable.as_deref() == Some(hash.as_str()) {
            // 5. Paused by spec, or fully promoted: nothing moves.
        } else if index >= count {
            // 6. Past the last step: the current version is the stable one.
            status.remove("pauseConditions");
            status.remove("controllerPause");
            self.pauses.remove(key);
            stable = Some(hash.clone());
        } else {
            // 7. The current step.
            let step = &steps[index];
            if let Some(w) = step.get("setWeight") {
                weight = w.as_u64().unwrap_or(0).min(100);
                index += 1;
            } else if let Some(pause) = step.get("pause") {
                let held = pause_conditions(&status)
                    .iter()
                    .any(|c| c["reason"] == CANARY_PAUSE_STEP);
                let started = |pauses: &mut BTreeMap<Key, (String, usize, Instant)>| match pauses.get(key) {
                    Some((h, i, at)) if *h == hash && *i == index => *at,
                    _ => {
                        let now = Instant::now();
                        pauses.insert(key.clone(), (hash.clone(), index, now));
                        now
                    }
                };
                let done = if !held && flag(&status, "controllerPause") {
                    // Promoted: a client removed the pause condition.
                    true
                } else if !held {
                    let mut conditions = pause_conditions(&status);
                    conditions.push(json!({"reason": CANARY_PAUSE_STEP, "startTime": rfc3339(SystemTime::now())}));
                    status.insert("pauseConditions".into(), Value::Array(conditions));
                    status.insert("controllerPause".into(), json!(true));
                    started(&mut self.pauses);
                    false
                } else {
                    pause
                        .get("duration")
                        .and_then(pause_duration)
                        .is_some_and(|lasts| started(&mut self.pauses).elapsed() >= lasts)
                };
                if done {
                    self.pauses.remove(key);
                    let rest: Vec<Value> = pause_conditions(&status)
                        .into_iter()
                        .filter(|c| c["reason"] != CANARY_PAUSE_STEP)
                        .collect();
                    if rest.is_empty() {
                        status.remove("pauseConditions");
                        status.remove("controllerPause");
                    } else {
                        status.insert("pauseConditions".into(), Value::Array(rest));
                    }
                    index += 1;
                }
            } else {
                index += 1;
            }
        }

        // What every write keeps current.
        let aborted = flag(&status, "abort");
        if !aborted {
            status.remove("abort");
            status.remove("abortedAt");
        }
        for field in ["promoteFull", "controllerPause"] {
            if !flag(&status, field) {
                status.remove(field);
            }
        }
        let promoted = stable.as_deref() == Some(hash.as_str());
        if promoted {
            status.remove("promoteFull");
        }
        if promoted || aborted {
            weight = 0;
        }
        if !sets.contains_key(&hash) {
            sets.insert(
                hash.clone(),
                new_replica_set(key, &next, &spec["template"], &hash, revision.max(1)),
            );
            revision = revision.max(1);
        }
        status.insert("currentPodHash".into(), json!(hash));
        status.insert("currentStepHash".into(), json!(step_hash));
        if let Some(stable) = &stable {
            status.insert("stableRS".into(), json!(stable));
        }
        if count > 0 {
            status.insert("currentStepIndex".into(), json!(index));
        } else {
            status.remove("currentStepIndex");
        }
        let mut canary_status = match status.remove("canary") {
            Some(Value::Object(fields)) => fields,
            _ => Map::new(),
        };
        canary_status.insert("weights".into(), weights(canary, &hash, stable.as_deref(), weight));
        status.insert("canary".into(), Value::Object(canary_status));
        status.entry("blueGreen").or_insert_with(|| json!({}));

        // The ReplicaSets, scaled as a basic canary scales them, and the counts they make.
        let ceil = |share: u64| (replicas * share).div_ceil(100);
        let mut total = 0;
        let mut updated = 0;
        let sets: Vec<(Key, Value)> = sets
            .into_iter()
            .map(|(set_hash, (set_key, set))| {
                let is_current = set_hash == hash;
                let is_stable = stable.as_deref() == Some(set_hash.as_str());
                let desired = match (is_current, is_stable) {
                    (true, true) => replicas,
                    _ if aborted => u64::from(is_stable) * replicas,
                    (true, false) => ceil(weight),
                    (false, true) if routed => replicas,
                    (false, true) => ceil(100 - weight),
                    (false, false) => 0,
                };
                total += desired;
                if is_current {
                    updated = desired;
                }
                (set_key, scaled(set, desired, replicas))
            })
            .collect();
        let count_field = |status: &mut Map<String, Value>, field: &str, n: u64| {
            if n > 0 {
                status.insert(field.into(), json!(n));
            } else {
                status.remove(field);
            }
        };
        count_field(&mut status, "replicas", total);
        count_field(&mut status, "updatedReplicas", updated);
        count_field(&mut status, "readyReplicas", total);
        count_field(&mut status, "availableReplicas", total);
        count_field(&mut status, "HPAReplicas", total);
        if let Some(selector) = selector_of(spec) {
            status.insert("selector".into(), json!(selector));
        }
        let generation = rollout["metadata"]["generation"].as_u64().unwrap_or(1);
        status.insert("observedGeneration".into(), json!(generation.to_string()));

        // Conditions, then the phase and message Argo works out from them.
        let paused = spec_paused || !pause_conditions(&status).is_empty();
        let set_name = format!("{}-{hash}", key.name);
        let condition = |kind: &str, state: &str, reason: &str, message: String| json!({"type": kind, "status": state, "reason": reason, "message": message});
        let available = if total >= replicas {
            condition(
                "Available",
                "True",
                "AvailableReason",
                "Rollout has minimum availability".into(),
            )
        } else {
            condition(
                "Available",
                "False",
                "AvailableReason",
                "Rollout does not have minimum availability".into(),
            )
        };
        let progressing = if aborted {
            condition(
                "Progressing",
                "False",
                "RolloutAborted",
                format!("Rollout aborted update to revision {revision}"),
            )
        } else if paused {
            condition("Progressing", "Unknown", "RolloutPaused", "Rollout is paused".into())
        } else if promoted && updated == replicas && total == replicas {
            condition(
                "Progressing",
                "True",
                "NewReplicaSetAvailable",
                format!("ReplicaSet \"{set_name}\" has successfully progressed."),
            )
        } else {
            condition(
                "Progressing",
                "True",
                "ReplicaSetUpdated",
                format!("ReplicaSet \"{set_name}\" is progressing."),
            )
        };
        status.insert("conditions".into(), json!([available, progressing.clone()]));
        let (phase, message) = if aborted {
            (
                "Degraded",
                format!(
                    "RolloutAborted: {}",
                    progressing["message"].as_str().unwrap_or_default()
                ),
            )
        } else if spec_paused {
            ("Paused", "manually paused".into())
        } else if let Some(first) = pause_conditions(&status).first() {
            ("Paused", first["reason"].as_str().unwrap_or_default().to_string())
        } else if updated < replicas {
            ("Progressing", "more replicas need to be updated".into())
        } else if !routed && total > updated {
            ("Progressing", "old replicas are pending termination".into())
        } else if !promoted {
            ("Progressing", "waiting for all steps to complete".into())
        } else {
            ("Healthy", String::new())
        };
        status.insert("phase".into(), json!(phase));
        if message.is_empty() {
            status.remove("message");
        } else {
            status.insert("message".into(), json!(message));
        }
        next["status"] = Value::Object(status);
        if revision > 0 {
            next["metadata"]["annotations"][REVISION] = json!(revision.to_string());
        }
        (next, sets)
    }
}

/// The status of a Rollout first seen with one, renamed to the fake's hashes: its current
/// pod hash (and a stableRS equal to it) to that of the current template, its step hash to
/// that of the current steps.
fn adopt(status: &mut Map<String, Value>, hash: &str, step_hash: &str) {
    let Some(theirs) = text(status, "currentPodHash") else {
        return;
    };
    if text(status, "stableRS").as_deref() == Some(theirs.as_str()) {
        status.insert("stableRS".into(), json!(hash));
    }
    status.insert("currentPodHash".into(), json!(hash));
    if status.contains_key("currentStepHash") {
        status.insert("currentStepHash".into(), json!(step_hash));
    }
}

/// What Argo's `resetRolloutStatus` clears at the start of an update.
fn reset(status: &mut Map<String, Value>) {
    for field in [
        "abort",
        "abortedAt",
        "pauseConditions",
        "controllerPause",
        "promoteFull",
    ] {
        status.remove(field);
    }
    if let Some(Value::Object(canary)) = status.get_mut("canary") {
        canary.remove("currentStepAnalysisRunStatus");
        canary.remove("currentBackgroundAnalysisRunStatus");
    }
}

fn text(status: &Map<String, Value>, field: &str) -> Option<String> {
    status
        .get(field)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn pause_conditions(status: &Map<String, Value>) -> Vec<Value> {
    status
        .get("pauseConditions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// `status.canary.weights` for the canary at `weight`.
fn weights(canary: &Value, current: &str, stable: Option<&str>, weight: u64) -> Value {
    let side = |hash: Option<&str>, weight: u64, service: &str| {
        let mut side = json!({"weight": weight});
        if let Some(hash) = hash {
            side["podTemplateHash"] = json!(hash);
        }
        if let Some(name) = canary[service].as_str().filter(|s| !s.is_empty()) {
            side["serviceName"] = json!(name);
        }
        side
    };
    json!({
        "canary": side(Some(current), weight, "canaryService"),
        "stable": side(stable, 100 - weight, "stableService"),
    })
}

/// `spec.selector.matchLabels` as a label selector string (`app=web,tier=front`).
fn selector_of(spec: &Value) -> Option<String> {
    let labels = spec["selector"]["matchLabels"].as_object()?;
    let mut pairs: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
        .collect();
    pairs.sort();
    Some(pairs.join(","))
}

fn revision_of(object: &Value) -> u64 {
    object["metadata"]["annotations"][REVISION]
        .as_str()
        .and_then(|r| r.parse().ok())
        .unwrap_or(0)
}

/// Whether `set`'s ownerReferences name the Rollout `rollout`.
fn owned_by(set: &Value, rollout: &str) -> bool {
    set["metadata"]["ownerReferences"]
        .as_array()
        .is_some_and(|owners| owners.iter().any(|o| o["kind"] == "Rollout" && o["name"] == rollout))
}

/// A ReplicaSet's pod template hash: its label, else what its name says after `<rollout>-`.
fn set_hash(set: &Value, rollout: &str) -> String {
    set["metadata"]["labels"][HASH_LABEL]
        .as_str()
        .map(str::to_string)
        .or_else(|| {
            set["metadata"]["name"]
                .as_str()
                .and_then(|n| n.strip_prefix(rollout))
                .and_then(|n| n.strip_prefix('-'))
                .map(str::to_string)
        })
        .unwrap_or_default()
}

/// The ReplicaSet of `rollout` (at `key`) for `template`, created at `revision` with no pods.
fn new_replica_set(key: &Key, rollout: &Value, template: &Value, hash: &str, revision: u64) -> (Key, Value) {
    let mut template = template.clone();
    if !template.is_object() {
        template = json!({});
    }
    template["metadata"]["labels"][HASH_LABEL] = json!(hash);
    let mut match_labels = rollout["spec"]["selector"]["matchLabels"].clone();
    if !match_labels.is_object() {
        match_labels = json!({});
    }
    match_labels[HASH_LABEL] = json!(hash);
    let name = format!("{}-{hash}", key.name);
    let set = json!({
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {
            "name": name, "namespace": key.namespace,
            "labels": template["metadata"]["labels"],
            "annotations": {REVISION: revision.to_string()},
            "ownerReferences": [{
                "apiVersion": API_VERSION, "kind": "Rollout", "name": key.name,
                "uid": rollout["metadata"]["uid"], "controller": true, "blockOwnerDeletion": true,
            }],
        },
        "spec": {"replicas": 0, "selector": {"matchLabels": match_labels}, "template": template},
        "status": {"replicas": 0},
    });
    let set_key = Key {
        api_version: "apps/v1".into(),
        namespace: key.namespace.clone(),
        plural: "replicasets".into(),
        name,
    };
    (set_key, set)
}

/// An older ReplicaSet taken up again (an undo): its revision bumped, the old one kept in
/// the revision history, as Argo does.
fn reused(mut set: Value, revision: u64) -> Value {
    let old = revision_of(&set);
    if old != 0 && old != revision {
        let history = set["metadata"]["annotations"][REVISION_HISTORY]
            .as_str()
            .filter(|h| !h.is_empty())
            .map_or_else(|| old.to_string(), |h| format!("{h},{old}"));
        set["metadata"]["annotations"][REVISION_HISTORY] = json!(history);
    }
    set["metadata"]["annotations"][REVISION] = json!(revision.to_string());
    set
}

/// `set` at `desired` pods, all ready, with the Rollout's replicas in its annotation.
fn scaled(mut set: Value, desired: u64, replicas: u64) -> Value {
    // The generation the store will give it: one more when a stored set's spec changes.
    let stored = set["metadata"]["resourceVersion"].is_string();
    let resized = set["spec"]["replicas"].as_u64() != Some(desired);
    let generation = set["metadata"]["generation"].as_u64().unwrap_or(1) + u64::from(stored && resized);
    set["spec"]["replicas"] = json!(desired);
    set["metadata"]["annotations"][DESIRED_REPLICAS] = json!(replicas.to_string());
    let mut status = json!({"replicas": desired, "observedGeneration": generation});
    if desired > 0 {
        for field in ["fullyLabeledReplicas", "readyReplicas", "availableReplicas"] {
            status[field] = json!(desired);
        }
    }
    set["status"] = status;
    set
}

/// A stable uid for a Rollout put without one.
fn uid_for(key: &Key) -> String {
    let a = fnv1a(format!("{}/{}", key.namespace, key.name).as_bytes());
    let b = fnv1a(format!("{}:{}", key.name, key.namespace).as_bytes());
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        (b >> 48) & 0xfff,
        b & 0xffff_ffff_ffff
    )
}

/// The pod template hash of `template`: a short hex digest of it, blind to the
/// `rollouts-pod-template-hash` label, to key order and to empty or null fields, so the
/// template of a ReplicaSet put back (an undo) hashes as the Rollout's template did.
pub fn pod_template_hash(template: &Value) -> String {
    let mut template = template.clone();
    if let Some(labels) = template.pointer_mut("/metadata/labels").and_then(Value::as_object_mut) {
        labels.remove(HASH_LABEL);
    }
    short_hash(&template, 10)
}

fn short_hash(value: &Value, digits: usize) -> String {
    let text = canonical(value).unwrap_or_default();
    let hex = format!("{:016x}", fnv1a(text.as_bytes()));
    hex[hex.len() - digits..].to_string()
}

/// `value` as JSON text with sorted keys and without nulls, empty objects or empty arrays
/// (None when nothing is left).
fn canonical(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::Object(fields) => {
            let mut parts: Vec<(String, String)> = fields
                .iter()
                .filter_map(|(k, v)| Some((k.clone(), canonical(v)?)))
                .collect();
            parts.sort();
            (!parts.is_empty()).then(|| {
                let inner: Vec<String> = parts
                    .into_iter()
                    .map(|(k, v)| format!("{}:{v}", Value::String(k)))
                    .collect();
                format!("{{{}}}", inner.join(","))
            })
        }
        Value::Array(items) => (!items.is_empty()).then(|| {
            let inner: Vec<String> = items
                .iter()
                .map(|v| canonical(v).unwrap_or_else(|| "null".into()))
                .collect();
            format!("[{}]", inner.join(","))
        }),
        other => Some(other.to_string()),
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// A pause step's duration: whole seconds, or a Go duration string (`10s`, `1m30s`,
/// `500ms`, `1.5h`); a string of digits alone is seconds too.
pub fn pause_duration(value: &Value) -> Option<Duration> {
    match value {
        Value::Number(n) => n.as_u64().map(Duration::from_secs),
        Value::String(text) if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => {
            text.parse().ok().map(Duration::from_secs)
        }
        Value::String(text) if !text.is_empty() => go_duration(text),
        _ => None,
    }
}

fn go_duration(text: &str) -> Option<Duration> {
    let mut rest = text;
    let mut total = 0.0_f64;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .filter(|&n| n > 0)?;
        let number: f64 = rest[..number_len].parse().ok()?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let seconds = match &rest[..unit_len] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" => 1e-6,
            "ns" => 1e-9,
            _ => return None,
        };
        total += number * seconds;
        rest = &rest[unit_len..];
    }
    Duration::try_from_secs_f64(total).ok()
}

/// `time` as Kubernetes writes a metav1.Time: RFC 3339, UTC, whole seconds.
pub fn rfc3339(time: SystemTime) -> String {
    let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Days to civil date (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rollout(image: &str) -> Value {
        json!({"apiVersion": API_VERSION, "kind": "Rollout",
               "metadata": {"name": "web", "namespace": "shop"},
               "spec": {"replicas": 5, "selector": {"matchLabels": {"app": "web"}},
                        "strategy": {"canary": {"steps": [{"setWeight": 20}, {"pause": {}}]}},
                        "template": {"metadata": {"labels": {"app": "web"}},
                                     "spec": {"containers": [{"name": "web", "image": image}]}}}})
    }

    struct Cluster {
        store: Store,
        controller: RolloutController,
        key: Key,
    }

    impl Cluster {
        fn new(object: Value) -> Cluster {
            let mut store = Store::default();
            let key = store.put(object);
            Cluster {
                store,
                controller: RolloutController::default(),
                key,
            }
        }

        fn step(&mut self) -> Value {
            self.controller.step(&mut self.store);
            self.store.get(&self.key, None).unwrap()
        }

        fn merge(&mut self, subresource: Option<&str>, patch: Value) {
            let body = serde_json::to_vec(&patch).unwrap();
            self.store
                .patch(&self.key, subresource, "application/merge-patch+json", &body, None)
                .unwrap();
        }

        fn replica_sets(&self) -> Vec<Value> {
            self.store
                .objects_of("apps/v1", "replicasets")
                .map(|(_, set)| set.clone())
                .collect()
        }
    }

    #[test]
    fn the_pod_template_hash_ignores_its_own_label_key_order_and_empty_fields() {
        let template =
            json!({"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"image": "a", "name": "b"}]}});
        let hash = pod_template_hash(&template);
        assert_eq!(hash.len(), 10);
        assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()));
        let same = json!({"spec": {"containers": [{"name": "b", "image": "a", "env": []}]},
                          "metadata": {"creationTimestamp": null, "labels": {"app": "web", HASH_LABEL: hash}}});
        assert_eq!(pod_template_hash(&same), hash);
        let other =
            json!({"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"image": "c", "name": "b"}]}});
        assert_ne!(pod_template_hash(&other), hash);
        let unlabelled = json!({"spec": {"containers": [{"image": "a"}]}});
        let labelled = json!({"metadata": {"labels": {HASH_LABEL: "x"}}, "spec": {"containers": [{"image": "a"}]}});
        assert_eq!(pod_template_hash(&unlabelled), pod_template_hash(&labelled));
    }

    #[test]
    fn pause_durations_read_as_argo_reads_them() {
        let secs = |s: f64| Some(Duration::from_secs_f64(s));
        assert_eq!(pause_duration(&json!(10)), secs(10.0));
        assert_eq!(pause_duration(&json!("10")), secs(10.0));
        assert_eq!(pause_duration(&json!("10s")), secs(10.0));
        assert_eq!(pause_duration(&json!("1m30s")), secs(90.0));
        assert_eq!(pause_duration(&json!("1.5h")), secs(5400.0));
        assert_eq!(pause_duration(&json!("250ms")), secs(0.25));
        for bad in [
            json!("soon"),
            json!("10x"),
            json!("s"),
            json!(""),
            json!(null),
            json!(-1),
            json!("9e999h"),
        ] {
            assert_eq!(pause_duration(&bad), None, "{bad}");
        }
    }

    #[test]
    fn times_are_rfc_3339_in_whole_seconds() {
        let at = |secs: u64| rfc3339(UNIX_EPOCH + Duration::from_secs(secs));
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        assert_eq!(at(951_825_599), "2000-02-29T11:59:59Z");
        assert_eq!(at(1_600_765_805), "2020-09-22T09:10:05Z");
        assert_eq!(at(4_102_444_800), "2100-01-01T00:00:00Z");
    }

    #[test]
    fn a_new_rollout_is_stable_at_once_with_its_replica_set() {
        let mut cluster = Cluster::new(rollout("web:1"));
        let object = cluster.step();
        let status = &object["status"];
        let hash = pod_template_hash(&rollout("web:1")["spec"]["template"]);
        assert_eq!(status["currentPodHash"], json!(hash));
        assert_eq!(status["stableRS"], json!(hash));
        assert_eq!(status["currentStepIndex"], 2);
        assert_eq!(status["phase"], "Healthy");
        assert!(status.get("message").is_none());
        assert_eq!(status["observedGeneration"], "1");
        assert_eq!(status["selector"], "app=web");
        assert_eq!(
            (&status["replicas"], &status["updatedReplicas"]),
            (&json!(5), &json!(5))
        );
        assert_eq!(
            status["canary"]["weights"]["stable"],
            json!({"weight": 100, "podTemplateHash": hash})
        );
        assert_eq!(object["metadata"]["annotations"][REVISION], "1");
        let uid = object["metadata"]["uid"].as_str().unwrap().to_string();
        let sets = cluster.replica_sets();
        assert_eq!(sets.len(), 1);
        let set = &sets[0];
        assert_eq!(set["metadata"]["name"], format!("web-{hash}"));
        assert_eq!(set["metadata"]["ownerReferences"][0]["uid"], json!(uid));
        assert_eq!(set["spec"]["template"]["metadata"]["labels"][HASH_LABEL], json!(hash));
        assert_eq!(
            set["spec"]["selector"]["matchLabels"],
            json!({"app": "web", HASH_LABEL: hash})
        );
        assert_eq!(
            (&set["spec"]["replicas"], &set["status"]["readyReplicas"]),
            (&json!(5), &json!(5))
        );
        // Settled: a step that changes nothing writes nothing.
        let rv = object["metadata"]["resourceVersion"].clone();
        assert_eq!(cluster.step()["metadata"]["resourceVersion"], rv);
    }

    #[test]
    fn a_template_changed_before_the_first_step_is_still_a_canary() {
        let mut cluster = Cluster::new(rollout("web:1"));
        cluster.merge(
            None,
            json!({"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "web:2"}]}}}}),
        );
        let object = cluster.step();
        assert_eq!(object["metadata"]["annotations"][REVISION], "2");
        assert_ne!(object["status"]["stableRS"], object["status"]["currentPodHash"]);
        assert_eq!(object["status"]["currentStepIndex"], 0);
        assert_eq!(cluster.replica_sets().len(), 2);
    }

    #[test]
    fn a_rollout_put_mid_canary_goes_on_from_its_step() {
        let mut object = rollout("web:2");
        object["metadata"]["annotations"] = json!({REVISION: "31"});
        object["status"] = json!({"currentPodHash": "65fb5ffc84", "stableRS": "877894d5b", "currentStepIndex": 1,
                                  "currentStepHash": "f64cdc9d", "controllerPause": true,
                                  "pauseConditions": [{"reason": CANARY_PAUSE_STEP, "startTime": "2019-10-28T04:52:55Z"}]});
        let mut cluster = Cluster::new(object);
        let object = cluster.step();
        let status = &object["status"];
        assert_eq!(
            (&status["phase"], &status["message"]),
            (&json!("Paused"), &json!(CANARY_PAUSE_STEP))
        );
        assert_eq!(status["currentStepIndex"], 1);
        assert_eq!(status["stableRS"], "877894d5b");
        assert_eq!(object["metadata"]["annotations"][REVISION], "31");
        cluster.merge(Some("status"), json!({"status": {"pauseConditions": null}}));
        let status = cluster.step()["status"].clone();
        assert_eq!(status["currentStepIndex"], 2);
        assert_eq!(cluster.step()["status"]["stableRS"], status["currentPodHash"]);
    }

    #[test]
    fn other_steps_are_passed_over_and_the_last_step_done_promotes() {
        let mut object = rollout("web:1");
        object["spec"]["strategy"]["canary"]["steps"] = json!([
            {"analysis": {"templates": [{"templateName": "rate"}]}}, {"setWeight": 100}, {"experiment": {}}
        ]);
        let mut cluster = Cluster::new(object);
        cluster.step();
        cluster.merge(
            None,
            json!({"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "web:2"}]}}}}),
        );
        let seen: Vec<(u64, u64, String)> = (0..5)
            .map(|_| {
                let status = cluster.step()["status"].clone();
                (
                    status["currentStepIndex"].as_u64().unwrap(),
                    status["canary"]["weights"]["canary"]["weight"].as_u64().unwrap(),
                    status["message"].as_str().unwrap_or("Healthy").to_string(),
                )
            })
            .collect();
        let more = "more replicas need to be updated".to_string();
        assert_eq!(
            seen,
            [
                (0, 0, more.clone()),
                (1, 0, more),
                (2, 100, "waiting for all steps to complete".into()),
                (3, 100, "waiting for all steps to complete".into()),
                (3, 0, "Healthy".into()),
            ]
        );
    }

    #[test]
    fn status_writes_by_the_controller_stay_out_of_writes() {
        let mut cluster = Cluster::new(rollout("web:1"));
        cluster.step();
        cluster.merge(
            None,
            json!({"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "web:2"}]}}}}),
        );
        for _ in 0..4 {
            cluster.step();
        }
        assert_eq!(cluster.store.writes().len(), 1);
    }
}
