//! A deploy as the engine sees it: the order it gives (which image on which Deployment)
//! and the rollout's progress the backend reports back.

use std::fmt;

/// Set `image` on `deployment` (its `container`, or its only one) and report the rollout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployOrder {
    /// The stage that asked for it: a report for another stage is not this deploy's.
    pub stage: usize,
    pub deployment: String,
    pub container: Option<String>,
    pub image: String,
    /// Pause the Deployment with the change, so no pod rolls until the router rolls it out
    /// a batch per stage: the deploy is done once the controller has seen it.
    pub paused: bool,
}

impl fmt::Display for DeployOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} on Deployment {}", self.image, self.deployment)?;
        if let Some(container) = &self.container {
            write!(f, " (container {container})")?;
        }
        Ok(())
    }
}

/// Where a Deployment's rollout stands, as its status says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RolloutProgress {
    /// Pods the Deployment asks for.
    pub desired: u32,
    /// Pods running the new template.
    pub updated: u32,
    /// Pods available (ready for the minimum time), old ones included while they run.
    pub available: u32,
    /// Pods of earlier templates still running.
    pub old: u32,
    /// The controller has seen the change (`observedGeneration` caught up).
    pub observed: bool,
}

impl RolloutProgress {
    /// Every pod runs the new image and is available, and none of the old ones is left:
    /// what `kubectl rollout status` waits for.
    pub fn is_complete(&self) -> bool {
        self.observed && self.updated == self.desired && self.available >= self.desired && self.old == 0
    }
}

impl fmt::Display for RolloutProgress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.observed {
            return f.write_str("waiting for the controller to see the change");
        }
        write!(
            f,
            "{}/{} updated, {} available",
            self.updated, self.desired, self.available
        )?;
        if self.old > 0 {
            write!(f, ", {} old pod{} left", self.old, if self.old == 1 { "" } else { "s" })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rollout_is_complete_only_when_every_new_pod_is_available_and_no_old_one_runs() {
        let done = RolloutProgress {
            desired: 3,
            updated: 3,
            available: 3,
            old: 0,
            observed: true,
        };
        assert!(done.is_complete());
        assert!(!RolloutProgress { old: 1, ..done }.is_complete());
        assert!(!RolloutProgress { available: 2, ..done }.is_complete());
        assert!(
            !RolloutProgress {
                observed: false,
                ..done
            }
            .is_complete()
        );
        assert_eq!(
            RolloutProgress {
                old: 1,
                available: 2,
                ..done
            }
            .to_string(),
            "3/3 updated, 2 available, 1 old pod left"
        );
        // A Deployment at 0 replicas is complete once the controller saw the new template.
        assert!(
            RolloutProgress {
                observed: true,
                ..RolloutProgress::default()
            }
            .is_complete()
        );
    }
}
