//! Watches, as kube-runtime's watcher uses them. Every write to the store is a [`Change`]
//! with its own resourceVersion (one counter for the whole store, as etcd's revision is),
//! kept in a bounded history. A watch from resourceVersion RV replays the changes after RV,
//! then streams live ones, each a line of JSON (`{"type":"ADDED","object":{...}}`) in a
//! chunked 200 response; a watch from RV `0` (or none) starts with the current objects as
//! ADDED. An object that starts or stops matching the watch's selectors is ADDED or DELETED
//! to it, as kube-apiserver does.
//!
//! Ends of a watch: `timeoutSeconds` elapsed (a BOOKMARK first when `allowWatchBookmarks`,
//! then the end of the stream); a watch from an RV the history no longer covers, or from
//! before the last [`Changes::expire`], gets an ERROR event carrying a 410 Expired Status
//! inside the 200 stream and then the end of it (what kube-apiserver answers, and what makes
//! kube-runtime relist); [`Changes::drop_all`] cuts every stream without an event and
//! without the closing chunk, as a lost connection does.

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame};
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::select::{Scope, param};
use super::store::{Key, Refusal, Store, lock};

/// How many changes the store keeps for watches unless told otherwise.
pub const HISTORY: usize = 1000;

/// One write: the object before and after (None: absent), under resourceVersion `rv`.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub rv: u64,
    pub key: Key,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// The store's recent changes and what open watches need to follow them.
#[derive(Debug)]
pub struct Changes {
    history: VecDeque<Change>,
    capacity: usize,
    /// Watches from a resourceVersion below this are too old (set by `expire`).
    compacted: u64,
    /// Bumped by `expire` and `drop_all`: a watch opened before ends.
    expiries: u64,
    drops: u64,
    /// Bumped on every change, expiry and drop, to wake the open watches.
    pulse: watch::Sender<u64>,
    served: usize,
    open: Arc<AtomicUsize>,
}

impl Default for Changes {
    fn default() -> Changes {
        Changes::with_capacity(HISTORY)
    }
}

impl Changes {
    pub fn with_capacity(capacity: usize) -> Changes {
        Changes {
            history: VecDeque::new(),
            capacity: capacity.max(1),
            compacted: 0,
            expiries: 0,
            drops: 0,
            pulse: watch::Sender::new(0),
            served: 0,
            open: Arc::default(),
        }
    }

    pub fn record(&mut self, change: Change) {
        self.history.push_back(change);
        if self.history.len() > self.capacity {
            self.history.pop_front();
        }
        self.wake();
    }

    /// Ends every open watch with 410 Expired, and answers the same to any later watch
    /// from a resourceVersion older than `current`.
    pub fn expire(&mut self, current: u64) {
        self.compacted = current;
        self.expiries += 1;
        self.wake();
    }

    /// Cuts every open watch, as a lost connection.
    pub fn drop_all(&mut self) {
        self.drops += 1;
        self.wake();
    }

    /// Watch requests answered with a stream (an expired one included).
    pub fn served(&self) -> usize {
        self.served
    }

    /// Watch streams open now.
    pub fn open(&self) -> usize {
        self.open.load(Ordering::SeqCst)
    }

    fn wake(&self) {
        self.pulse.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// The changes after `rv`, or Err(the oldest RV still served) when some are gone.
    fn after(&self, rv: u64, current: u64) -> Result<impl Iterator<Item = &Change>, u64> {
        let first = self.history.front().map_or(current + 1, |change| change.rv);
        if rv < self.compacted || rv + 1 < first {
            return Err(self.compacted.max(first - 1));
        }
        Ok(self.history.iter().filter(move |change| change.rv > rv))
    }
}

/// What a watch request asks for, from its query pairs.
#[derive(Debug, Clone, PartialEq)]
pub struct WatchRequest {
    pub scope: Scope,
    /// The collection's kind, for bookmarks.
    pub kind: String,
    /// None (`resourceVersion` absent or `0`): the current objects first, as ADDED.
    pub from: Option<u64>,
    pub timeout: Option<Duration>,
    pub bookmarks: bool,
    /// `sendInitialEvents=true` (kube's streaming lists): the current objects first, then a
    /// BOOKMARK annotated `k8s.io/initial-events-end`.
    pub initial_events: bool,
}

impl WatchRequest {
    /// Whether a GET of a collection asks for a watch (`watch=true` or `watch=1`).
    pub fn asked(pairs: &[(String, String)]) -> bool {
        matches!(param(pairs, "watch"), Some("true" | "1"))
    }

    pub fn parse(scope: Scope, kind: String, pairs: &[(String, String)]) -> Result<WatchRequest, String> {
        let from = match param(pairs, "resourceVersion").unwrap_or_default() {
            "" | "0" => None,
            rv => Some(
                rv.parse::<u64>()
                    .map_err(|_| format!("invalid resource version {rv:?}"))?,
            ),
        };
        let timeout = param(pairs, "timeoutSeconds")
            .map(|s| s.parse::<u64>().map_err(|_| format!("invalid timeoutSeconds {s:?}")))
            .transpose()?
            .map(Duration::from_secs);
        let yes = |name| matches!(param(pairs, name), Some("true" | "1"));
        Ok(WatchRequest {
            scope,
            kind,
            from,
            timeout,
            bookmarks: yes("allowWatchBookmarks"),
            initial_events: yes("sendInitialEvents"),
        })
    }
}

/// The body of a watch response: the events the watch's task sends, as they come. An error
/// from the task makes hyper close the connection without the closing chunk.
#[derive(Debug)]
pub struct WatchBody {
    events: mpsc::Receiver<io::Result<Bytes>>,
}

impl Body for WatchBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<io::Result<Frame<Bytes>>>> {
        self.events
            .poll_recv(cx)
            .map(|event| event.map(|line| line.map(Frame::data)))
    }
}

/// Starts the watch `request` on `store` (on the current tokio runtime): the body streams
/// its events until it ends or the client goes away.
pub fn start(store: Arc<Mutex<Store>>, request: WatchRequest) -> WatchBody {
    let (tx, rx) = mpsc::channel(64);
    let (watch, first, pulse) = {
        let mut store = lock(&store);
        let current = store.version();
        let changes = &mut store.changes;
        changes.served += 1;
        changes.open.fetch_add(1, Ordering::SeqCst);
        let mut watch = Watch {
            cursor: request.from.unwrap_or(current),
            expiries: changes.expiries,
            drops: changes.drops,
            deadline: request.timeout.map(|t| Instant::now() + t),
            request,
            _open: Open(Arc::clone(&changes.open)),
        };
        let pulse = changes.pulse.subscribe();
        let mut first = Vec::new();
        if watch.request.from.is_none() || watch.request.initial_events {
            first.extend(
                store
                    .items(&watch.request.scope)
                    .iter()
                    .map(|object| line("ADDED", object)),
            );
            watch.cursor = current;
            if watch.request.initial_events {
                first.push(watch.bookmark(true));
            }
        }
        (watch, first, pulse)
    };
    tokio::spawn(watch.stream(store, first, pulse, tx));
    WatchBody { events: rx }
}

/// Counts an open watch for as long as its task lives.
struct Open(Arc<AtomicUsize>);

impl Drop for Open {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

enum End {
    /// The closing chunk after the events sent.
    Clean,
    /// No closing chunk: the connection is cut.
    Cut,
}

struct Watch {
    request: WatchRequest,
    /// Every change up to this resourceVersion was looked at (and sent when it matched).
    cursor: u64,
    expiries: u64,
    drops: u64,
    deadline: Option<Instant>,
    /// Dropped with the task, however it ends (the client gone included).
    _open: Open,
}

impl Watch {
    async fn stream(
        mut self,
        store: Arc<Mutex<Store>>,
        first: Vec<Bytes>,
        mut pulse: watch::Receiver<u64>,
        tx: mpsc::Sender<io::Result<Bytes>>,
    ) {
        for event in first {
            if tx.send(Ok(event)).await.is_err() {
                return;
            }
        }
        loop {
            // Marked seen before the store is read, so a change made after is never missed.
            pulse.borrow_and_update();
            let (events, end) = self.next(&lock(&store));
            for event in events {
                if tx.send(Ok(event)).await.is_err() {
                    return;
                }
            }
            match end {
                Some(End::Clean) => return,
                Some(End::Cut) => {
                    let _ = tx
                        .send(Err(io::Error::other("the fake API server dropped the watch")))
                        .await;
                    return;
                }
                None => {}
            }
            let deadline = self.deadline;
            let timeout = async move {
                match deadline {
                    Some(deadline) => tokio::time::sleep_until(deadline).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                changed = pulse.changed() => {
                    if changed.is_err() {
                        return;
                    }
                }
                () = timeout => {
                    if self.request.bookmarks {
                        let _ = tx.send(Ok(self.bookmark(false))).await;
                    }
                    return;
                }
                () = tx.closed() => return,
            }
        }
    }

    /// The events since the last call, and whether the watch ends after them.
    fn next(&mut self, store: &Store) -> (Vec<Bytes>, Option<End>) {
        let changes = &store.changes;
        if changes.drops != self.drops {
            return (Vec::new(), Some(End::Cut));
        }
        let current = store.version();
        if changes.expiries != self.expiries {
            return (vec![expired(self.cursor, current)], Some(End::Clean));
        }
        match changes.after(self.cursor, current) {
            Err(oldest) => (vec![expired(self.cursor, oldest)], Some(End::Clean)),
            Ok(after) => {
                let events = after.filter_map(|change| event(change, &self.request.scope)).collect();
                self.cursor = self.cursor.max(current);
                (events, None)
            }
        }
    }

    fn bookmark(&self, initial_events_end: bool) -> Bytes {
        let mut metadata = json!({"resourceVersion": self.cursor.to_string()});
        if initial_events_end {
            metadata["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        }
        let object = json!({
            "kind": self.request.kind, "apiVersion": self.request.scope.api_version, "metadata": metadata,
        });
        line("BOOKMARK", &object)
    }
}

/// The event a change is to a watch of `scope`, if any.
fn event(change: &Change, scope: &Scope) -> Option<Bytes> {
    let was = change.before.as_ref().filter(|o| scope.contains(&change.key, o));
    let is = change.after.as_ref().filter(|o| scope.contains(&change.key, o));
    match (was, is, &change.after) {
        (Some(_), Some(now), _) => Some(line("MODIFIED", now)),
        (None, Some(now), _) => Some(line("ADDED", now)),
        // Stopped matching the selectors: DELETED to this watch, with the object as it is now.
        (Some(_), None, Some(now)) => Some(line("DELETED", now)),
        // Deleted: the last state, under the deletion's resourceVersion.
        (Some(then), None, None) => {
            let mut then = then.clone();
            then["metadata"]["resourceVersion"] = json!(change.rv.to_string());
            Some(line("DELETED", &then))
        }
        (None, None, _) => None,
    }
}

fn expired(rv: u64, oldest: u64) -> Bytes {
    let status = Refusal {
        code: 410,
        reason: "Expired",
        message: format!("too old resource version: {rv} ({oldest})"),
    }
    .status();
    line("ERROR", &status)
}

fn line(kind: &str, object: &Value) -> Bytes {
    let mut line = serde_json::to_vec(&json!({"type": kind, "object": object})).unwrap_or_default();
    line.push(b'\n');
    Bytes::from(line)
}
