//! shipdeck: a terminal release cockpit that drives a production release from a plan file.

pub mod analysis;
pub mod app;
pub mod backend;
pub mod check;
pub mod cli;
pub mod clock;
pub mod debug_log;
pub mod duration;
pub mod engine;
pub mod files;
pub mod format;
pub mod journal;
pub mod journal_chain;
pub mod judge_cli;
pub mod outside;
pub mod plan;
pub mod preflight;
pub mod rbac;
pub mod redact;
pub mod runtime;
pub mod sim;
pub mod stderr;
pub mod tls;
pub mod ui;
