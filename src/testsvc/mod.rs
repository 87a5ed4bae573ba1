//! A stand-in application for end-to-end tests of releases against real HAProxy and
//! Prometheus, run as the `shipdeck-testsvc` binary.
//!
//! `shipdeck-testsvc serve --version V` is one version of an application:
//! - `GET /` (and any other path not listed below) answers `200 version V` or, for the
//!   configured share of requests, `500`, after the configured latency. Which requests fail
//!   and how long each waits follow a counter, not chance: see [`Behaviour`].
//! - `GET /metrics`: `http_requests_total{version,code}` (codes 200 and 500, both exported
//!   from the start) and the histogram `http_request_duration_seconds{version}` with the
//!   bounds in [`service::BUCKETS`]. `--app NAME` adds an `app` label to every series.
//! - `GET /healthz`: `200 ok`, not counted (for HAProxy health checks).
//! - `GET /config`: the current behaviour; `POST /config?error_ratio=0.05&latency_ms=60`
//!   changes the named settings (query string or form body), answers the new behaviour, and
//!   restarts the request count the rules use; `400` with a reason for a bad setting.
//!
//! `shipdeck-testsvc load` sends a bounded number of requests at a fixed rate to a loopback
//! target and prints one summary line: see [`load`].

pub mod http;
pub mod load;
pub mod service;

pub use load::{LoadPlan, Summary, Target, parse_duration, parse_target};
pub use service::{Behaviour, Service};
