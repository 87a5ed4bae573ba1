//! The router and the metrics source a plan names.

use crate::duration::Span;
use crate::plan::schema::{AnalysisSettings, PlanFile, RouterKind, SourceKind, Target, prometheus_base_url};

use super::Validator;

impl Validator<'_> {
    /// The router and the metrics source: each real one needs its settings, and a real
    /// router cannot be judged on simulated metrics.
    pub(super) fn backends(&mut self, plan: &PlanFile) {
        // The typing's own words, where the person has to edit.
        if let Err(message) = Target::from_file(plan.target.clone()) {
            let at = if plan.target.haproxy.is_some() && plan.target.router != RouterKind::Haproxy {
                "target.haproxy"
            } else if plan.target.gateway_api.is_some() && plan.target.router != RouterKind::GatewayApi {
                "target.gateway_api"
            } else if plan.target.istio.is_some() && plan.target.router != RouterKind::Istio {
                "target.istio"
            } else if plan.target.replicas.is_some() && plan.target.router != RouterKind::Replicas {
                "target.replicas"
            } else if plan.target.service_selector.is_some() && plan.target.router != RouterKind::ServiceSelector {
                "target.service_selector"
            } else if plan.target.kubernetes.is_some() && !plan.target.router.is_kubernetes() {
                "target.kubernetes"
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
        }
        if let (RouterKind::GatewayApi, Some(g)) = (plan.target.router, &plan.target.gateway_api) {
            for (field, name) in [("route", &g.route), ("stable", &g.stable), ("canary", &g.canary)] {
                if let Err(why) = dns_name(name) {
                    self.at(
                        &format!("target.gateway_api.{field}"),
                        format!("{field} `{name}`: {why}"),
                    );
                }
            }
            if g.stable == g.canary {
                self.at(
                    "target.gateway_api.canary",
                    format!("Service `{}` is both stable and canary", g.canary),
                );
            }
        }
        if let Some(ns) = plan.target.kubernetes.as_ref().and_then(|k| k.namespace.as_ref())
            && let Err(why) = dns_name(ns)
        {
            self.at("target.kubernetes.namespace", format!("namespace `{ns}`: {why}"));
        }
        if let (RouterKind::Istio, Some(i)) = (plan.target.router, &plan.target.istio) {
            if let Err(why) = dns_name(&i.virtual_service) {
                self.at(
                    "target.istio.virtual_service",
                    format!("virtual_service `{}`: {why}", i.virtual_service),
                );
            }
            for (side, d) in [("stable", &i.stable), ("canary", &i.canary)] {
                self.non_empty(
                    &format!("target.istio.{side}.host"),
                    &d.host,
                    "the destination's host is empty",
                );
            }
            if i.stable == i.canary {
                self.at(
                    "target.istio.canary",
                    format!("destination `{}` is both stable and canary", i.canary),
                );
            }
        }
        // Once the router's settings are right: one thing to fix at a time on that line.
        let typed = Target::from_file(plan.target.clone()).is_ok();
        if typed && plan.target.router != RouterKind::Sim && plan.analysis.source == SourceKind::Sim {
            self.at(
                "target.router",
                format!(
                    "router {} moves real traffic: judge it on real metrics with `analysis.source: prometheus`",
                    plan.target.router.as_str()
                ),
            );
        }
        if let (SourceKind::Prometheus, Some(p)) = (plan.analysis.source, &plan.analysis.prometheus) {
            // The client's own rule, so what `check` accepts `run` can use.
            if let Err(why) = prometheus_base_url(&p.url) {
                self.at("analysis.prometheus.url", format!("prometheus url {why}"));
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

/// A Kubernetes object name (RFC 1123 label rules, as Services and namespaces need):
/// lowercase letters, digits and `-`, starting and ending alphanumeric, at most 63.
pub(super) fn dns_name(name: &str) -> Result<(), String> {
    let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if name.is_empty() || name.len() > 63 {
        return Err("a Kubernetes name has 1 to 63 characters".into());
    }
    if !name.chars().all(ok_char) || !edge(name.chars().next()) || !edge(name.chars().last()) {
        return Err(
            "a Kubernetes name has lowercase letters, digits and `-`, and starts and ends with a letter or digit"
                .into(),
        );
    }
    Ok(())
}
