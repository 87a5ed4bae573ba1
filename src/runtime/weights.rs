//! The weight the router task is asked for. The journal is the record: a traffic change
//! goes to the router only once the entries that decided it are on disk, except a move to
//! 0% (rollback, abort), which never waits for the disk. A newer request always wins: a
//! change whose record is still being written is dropped once anything newer was asked.

use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use crate::plan::Weight;

#[derive(Clone)]
pub struct WeightGate {
    inner: Arc<Mutex<Inner>>,
}

struct Inner {
    /// Counts requests; a deferred request goes out only if none came after it.
    generation: u64,
    tx: watch::Sender<Option<Weight>>,
}

/// A request waiting for its record: send it with `WeightGate::release`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deferred {
    generation: u64,
    pub weight: Weight,
}

impl WeightGate {
    /// The gate, and the receiver the router task watches.
    pub fn new() -> (WeightGate, watch::Receiver<Option<Weight>>) {
        let (tx, rx) = watch::channel(None);
        let gate = WeightGate {
            inner: Arc::new(Mutex::new(Inner { generation: 0, tx })),
        };
        (gate, rx)
    }

    /// A new request: 0% goes out now; any other weight is returned to be released once
    /// its record is on disk.
    pub fn request(&self, weight: Weight) -> Option<Deferred> {
        let mut inner = self.lock();
        inner.generation += 1;
        if weight == Weight::ZERO {
            inner.tx.send_replace(Some(weight));
            return None;
        }
        Some(Deferred {
            generation: inner.generation,
            weight,
        })
    }

    /// Sends a deferred request, unless a newer one was made meanwhile. Returns whether
    /// it was sent.
    pub fn release(&self, deferred: Deferred) -> bool {
        let inner = self.lock();
        if inner.generation != deferred.generation {
            return false;
        }
        inner.tx.send_replace(Some(deferred.weight));
        true
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(p: u8) -> Weight {
        Weight::new(p).unwrap()
    }

    #[test]
    fn zero_goes_at_once_and_others_wait_for_their_release() {
        let (gate, rx) = WeightGate::new();
        let deferred = gate.request(w(25)).expect("25% waits for its record");
        assert_eq!(*rx.borrow(), None);
        assert!(gate.release(deferred));
        assert_eq!(*rx.borrow(), Some(w(25)));
        assert_eq!(gate.request(Weight::ZERO), None);
        assert_eq!(*rx.borrow(), Some(Weight::ZERO));
    }

    #[test]
    fn a_rollback_is_never_overtaken_by_an_older_request_released_late() {
        let (gate, rx) = WeightGate::new();
        let advance = gate.request(w(50)).unwrap();
        gate.request(Weight::ZERO);
        assert!(!gate.release(advance), "the rollback came after it");
        assert_eq!(*rx.borrow(), Some(Weight::ZERO));
    }
}
