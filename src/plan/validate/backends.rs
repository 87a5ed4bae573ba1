//! The router and the metrics source a plan names.

use crate::duration::Span;
use crate::plan::schema::{AnalysisSettings, PlanFile, RouterKind, SourceKind, Target};

use super::Validator;

impl Validator<'_> {
    /// The router and the metrics source: each real one needs its settings, and a real
    /// router cannot be judged on simulated metrics.
    pub(super) fn backends(&mut self, plan: &PlanFile) {
        // The typing's own words, where the person has to edit.
        if let Err(message) = Target::from_file(plan.target.clone()) {
            let at = if plan.target.haproxy.is_some() {
                "target.haproxy"
            } else {
                "target.router"
            };
            self.at(at, message);
        }
        if let Err(message) = AnalysisSettings::from_file(plan.analysis.clone()) {
            let at = if plan.analysis.prometheus.is_some() {
                "analysis.prometheus"
            } else {
                "analysis.source"
            };
            self.at(at, message);
        }
        if let (RouterKind::Haproxy, Some(h)) = (plan.target.router, &plan.target.haproxy) {
            self.non_empty(
                "target.haproxy.socket",
                &h.socket,
                "haproxy socket is empty: a unix socket path or host:port",
            );
            self.non_empty("target.haproxy.backend", &h.backend, "haproxy backend is empty");
            for side in ["stable", "canary"] {
                let servers = if side == "stable" { &h.stable } else { &h.canary };
                if servers.is_empty() || servers.iter().any(|s| s.trim().is_empty()) {
                    self.at(
                        &format!("target.haproxy.{side}"),
                        format!("haproxy {side} servers must be a list of server names in the backend"),
                    );
                }
            }
            if let Some(both) = h.stable.iter().find(|s| h.canary.contains(s)) {
                self.at(
                    "target.haproxy.canary",
                    format!("server `{both}` is listed as both stable and canary"),
                );
            }
            if plan.analysis.source == SourceKind::Sim {
                self.at(
                    "target.router",
                    "router haproxy moves real traffic: judge it on real metrics with `analysis.source: prometheus`"
                        .into(),
                );
            }
        }
        if let (SourceKind::Prometheus, Some(p)) = (plan.analysis.source, &plan.analysis.prometheus) {
            if !(p.url.starts_with("http://") || p.url.starts_with("https://")) {
                self.at(
                    "analysis.prometheus.url",
                    // Not repeated: a mistyped URL may still carry a credential.
                    "prometheus url must start with http:// or https://".to_string(),
                );
            }
            if p.timeout == Span::ZERO {
                self.at(
                    "analysis.prometheus.timeout",
                    "prometheus timeout is 0s: use e.g. 5s".into(),
                );
            }
            if !(1..=64).contains(&p.max_concurrent) {
                self.at(
                    "analysis.prometheus.max_concurrent",
                    format!("max_concurrent {} is out of range: expected 1 to 64", p.max_concurrent),
                );
            }
            if let Some(auth) = &p.auth {
                self.auth(auth);
            }
        }
    }
}
