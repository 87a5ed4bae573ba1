//! A stand-in application for end-to-end tests of shipdeck's releases against real HAProxy
//! and Prometheus, and a load generator to drive it. Test equipment only: a workspace crate
//! that is never published and never installed with the product.
//!
//! One version of the application ([`Service`], served by [`server`] over hyper):
//! - `GET /` (and any other path not listed below) answers `200 version V` or, for the
//!   configured share of requests, `500`, after the configured latency. Which requests fail
//!   and how long each waits follow a counter, not chance: see [`Behaviour`].
//! - `GET /metrics`: `http_requests_total{version,code}` (codes 200 and 500, both exported
//!   from the start) and the histogram `http_request_duration_seconds{version}` with the
//!   bounds in [`service::BUCKETS`]. An `app` name adds an `app` label to every series.
//! - `GET /healthz`: `200 ok`, not counted (for HAProxy health checks).
//! - `GET /config`: the current behaviour; `POST /config?error_ratio=0.05&latency_ms=60`
//!   changes the named settings (query string or form body), answers the new behaviour, and
//!   restarts the request count the rules use; `400` with a reason for a bad setting.
//!
//! The load generator ([`Load`]) sends a bounded number of requests at a fixed rate to a
//! loopback target and sums up what came back: see [`load`].
//!
//! For the Kubernetes code, [`kube_api::FakeApiServer`] is a stateful fake API server over
//! real HTTP, reached with a kubeconfig it writes: objects, lists, watches, and optionally a
//! Deployment controller that rolls Deployments out one pod per step and an Argo Rollouts
//! controller that takes canary Rollouts through their steps.
//!
//! Two ways to run them: the `shipdeck-testsvc` binary (`serve`, `load`), or in a test's own
//! process with [`Server::start`] and [`Load::spawn`], each on a thread of its own and stopped
//! when dropped.

pub mod background;
pub mod behaviour;
pub mod kube_api;
pub mod load;
pub mod server;
pub mod service;
pub mod target;

pub use background::Background;
pub use behaviour::Behaviour;
pub use load::{Load, LoadPlan, Summary};
pub use server::Server;
pub use service::Service;
pub use target::{Target, parse_target};
