//! The deploy task: sets a stage's image once its record is on disk, then reads the
//! rollout until it completes, reporting each change. A newer order, or none (the release
//! moved on or is going back), ends the current one at once.

use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::time::timeout;

use crate::backend::{Deployer, RouterError};
use crate::engine::{DeployOrder, Observation};

const CALL_TIMEOUT: Duration = Duration::from_secs(5);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// How often the rollout is read: a pod takes seconds to start, so this is never the
/// slow part, and a 1,000-pod Deployment costs one GET a second.
pub const POLL_EVERY: Duration = Duration::from_secs(1);

pub async fn deploy_task(
    mut deployer: Option<Box<dyn Deployer>>,
    mut orders: watch::Receiver<Option<DeployOrder>>,
    out: mpsc::Sender<Observation>,
) {
    loop {
        let Some(order) = orders.borrow_and_update().clone() else {
            if orders.changed().await.is_err() {
                return;
            }
            continue;
        };
        let run = follow(deployer.as_deref_mut(), &order, &out);
        tokio::select! {
            () = run => {
                // Done (or the engine stopped listening): wait for the next order.
                if orders.changed().await.is_err() {
                    return;
                }
            }
            changed = orders.changed() => if changed.is_err() { return },
        }
    }
}

/// Sets the image (retrying what may pass on a later try), then reports the rollout until
/// it completes.
async fn follow(deployer: Option<&mut dyn Deployer>, order: &DeployOrder, out: &mpsc::Sender<Observation>) {
    let stage = order.stage;
    let failed = |message: String| Observation::DeployFailed { stage, message };
    let Some(deployer) = deployer else {
        let _ = out
            .send(failed("this router has no Deployments to update".into()))
            .await;
        return;
    };
    let mut backoff = Duration::from_millis(200);
    loop {
        let error = match timeout(CALL_TIMEOUT, deployer.set_image(order)).await {
            Ok(Ok(())) => break,
            Ok(Err(e)) => e,
            Err(_) => RouterError::Unavailable(format!("no answer within {}s", CALL_TIMEOUT.as_secs())),
        };
        let give_up = !error.retry_helps();
        if out.send(failed(error.to_string())).await.is_err() || give_up {
            return;
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
    let mut last = None;
    loop {
        let observation = match timeout(CALL_TIMEOUT, deployer.progress(&order.deployment)).await {
            Ok(Ok(progress)) if Some(progress) == last => None,
            Ok(Ok(progress)) => {
                last = Some(progress);
                Some(Observation::DeployProgress { stage, progress })
            }
            Ok(Err(e)) => {
                last = None;
                Some(failed(e.to_string()))
            }
            Err(_) => {
                last = None;
                Some(failed(format!("no answer within {}s", CALL_TIMEOUT.as_secs())))
            }
        };
        if let Some(observation) = observation
            && out.send(observation).await.is_err()
        {
            return;
        }
        if last.is_some_and(|p| p.is_complete()) {
            return;
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}
