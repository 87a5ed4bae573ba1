//! The simulated service: a traffic split and the metrics it produces on a virtual clock.

use chrono::{DateTime, Utc};

use super::noise::gaussian;
use super::scenario::Scenario;
use crate::engine::Reading;
use crate::plan::{Metric, Weight};

/// What kind of signal a metric looks like, guessed from its name and unit.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Shape {
    /// A percentage of failed requests, around 0.2%.
    ErrorRate,
    /// Milliseconds of latency, around 180 ms.
    Latency,
    /// A share of a resource or a success rate, in percent.
    Percent(f64),
    Other,
}

fn shape_of(metric: &Metric) -> Shape {
    let name = metric.name.to_ascii_lowercase();
    let unit = metric.unit.to_ascii_lowercase();
    if name.contains("error") || name.contains("5xx") || name.contains("fail") {
        Shape::ErrorRate
    } else if name.contains("latency") || name.contains("p99") || name.contains("p95") || unit == "ms" {
        Shape::Latency
    } else if name.contains("success") || name.contains("conversion") {
        Shape::Percent(99.4)
    } else if unit == "%" {
        Shape::Percent(45.0)
    } else {
        Shape::Other
    }
}

/// The simulated world. Everything is a function of (seed, scenario, virtual time, the
/// traffic history), so a run replays exactly for a given seed.
#[derive(Debug, Clone)]
pub struct SimWorld {
    pub seed: u64,
    pub scenario: Scenario,
    weight: Weight,
    started: DateTime<Utc>,
    /// When the canary first received traffic.
    exposed_since: Option<DateTime<Utc>>,
    /// When the canary first reached 25% (the bad canary starts failing then).
    quarter_since: Option<DateTime<Utc>>,
}

impl SimWorld {
    pub fn new(seed: u64, scenario: Scenario, started: DateTime<Utc>) -> SimWorld {
        SimWorld {
            seed,
            scenario,
            weight: Weight::ZERO,
            started,
            exposed_since: None,
            quarter_since: None,
        }
    }

    pub fn weight(&self) -> Weight {
        self.weight
    }

    /// The router applies a weight at once; the world remembers when exposure began.
    pub fn set_weight(&mut self, weight: Weight, at: DateTime<Utc>) -> Weight {
        self.weight = weight;
        if weight > Weight::ZERO && self.exposed_since.is_none() {
            self.exposed_since = Some(at);
        }
        if weight.percent() >= 25 && self.quarter_since.is_none() {
            self.quarter_since = Some(at);
        }
        weight
    }

    /// Whether the simulated metrics source answers at `at`.
    pub fn metrics_up(&self, at: DateTime<Utc>) -> bool {
        if self.scenario != Scenario::FlakyMetrics {
            return true;
        }
        // Down for 2 minutes out of every 6, from minute 4 on.
        let minute = (at - self.started).num_seconds() / 60;
        !(minute >= 4 && minute % 6 >= 4)
    }

    /// One sample of `metric` (index `stream`) for canary and baseline at `at`.
    pub fn sample(&self, stream: usize, metric: &Metric, at: DateTime<Utc>) -> (Reading, Reading) {
        if !self.metrics_up(at) {
            let why = "metrics source unreachable (simulated outage)".to_string();
            return (Reading::NoData(why.clone()), Reading::NoData(why));
        }
        let tick = at.timestamp();
        let shape = shape_of(metric);
        let stream = stream as u64 * 2;
        let baseline = Reading::Value(level(shape, gaussian(self.seed, stream, tick)));
        if self.weight == Weight::ZERO {
            return (Reading::NoData("canary serves no traffic".into()), baseline);
        }
        let mut canary = level(shape, gaussian(self.seed, stream + 1, tick));
        let minutes_since =
            |since: Option<DateTime<Utc>>| since.map_or(0.0, |s| (at - s).num_seconds().max(0) as f64 / 60.0);
        match (self.scenario, shape) {
            (Scenario::BadCanary, Shape::ErrorRate) if self.weight.percent() >= 25 => {
                canary += (0.6 * minutes_since(self.quarter_since)).min(6.0) + 0.3;
            }
            (Scenario::BadCanary, Shape::Latency) if self.weight.percent() >= 25 => {
                canary *= 1.0 + (0.05 * minutes_since(self.quarter_since)).min(0.5);
            }
            (Scenario::SlowBurn, Shape::Latency) => {
                canary *= 1.0 + 0.04 * minutes_since(self.exposed_since);
            }
            _ => {}
        }
        (Reading::Value(canary), baseline)
    }
}

/// A plausible value for a metric of this shape, given a standard normal draw.
fn level(shape: Shape, z: f64) -> f64 {
    match shape {
        Shape::ErrorRate => (0.20 + 0.02 * z).max(0.0),
        Shape::Latency => (180.0 + 8.0 * z).max(1.0),
        Shape::Percent(mean) => (mean + 0.2 * z).clamp(0.0, 100.0),
        Shape::Other => 100.0 + 3.0 * z,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn metric(name: &str, unit: &str) -> Metric {
        Metric {
            name: name.into(),
            unit: unit.into(),
            canary: String::new(),
            baseline: String::new(),
            bad: Default::default(),
            judge: Default::default(),
        }
    }

    fn t0() -> DateTime<Utc> {
        "2026-11-22T10:00:00Z".parse().unwrap()
    }

    #[test]
    fn canary_without_traffic_has_no_data() {
        let world = SimWorld::new(1, Scenario::Healthy, t0());
        let (canary, baseline) = world.sample(0, &metric("error_rate", "%"), t0());
        assert!(matches!(canary, Reading::NoData(_)));
        assert!(baseline.value().is_some());
    }

    #[test]
    fn bad_canary_errors_climb_only_from_25_percent() {
        let mut world = SimWorld::new(1, Scenario::BadCanary, t0());
        let m = metric("error_rate", "%");
        world.set_weight(Weight::new(5).unwrap(), t0());
        let at5 = t0() + Duration::minutes(5);
        assert!(world.sample(0, &m, at5).0.value().unwrap() < 0.4);
        world.set_weight(Weight::new(25).unwrap(), at5);
        let later = at5 + Duration::minutes(3);
        assert!(world.sample(0, &m, later).0.value().unwrap() > 1.5);
    }

    #[test]
    fn slow_burn_p99_creeps_up() {
        let mut world = SimWorld::new(3, Scenario::SlowBurn, t0());
        let m = metric("latency_p99", "ms");
        world.set_weight(Weight::new(5).unwrap(), t0());
        let early = world.sample(0, &m, t0() + Duration::minutes(1)).0.value().unwrap();
        let late = world.sample(0, &m, t0() + Duration::minutes(20)).0.value().unwrap();
        assert!(late > early * 1.5, "{early} -> {late}");
    }

    #[test]
    fn flaky_metrics_drop_out_for_a_while_and_come_back() {
        let world = SimWorld::new(1, Scenario::FlakyMetrics, t0());
        assert!(world.metrics_up(t0() + Duration::minutes(3)));
        assert!(!world.metrics_up(t0() + Duration::minutes(4)));
        assert!(world.metrics_up(t0() + Duration::minutes(6)));
    }

    #[test]
    fn deterministic_for_a_seed() {
        let m = metric("latency_p99", "ms");
        let a = SimWorld::new(9, Scenario::Healthy, t0()).sample(0, &m, t0());
        let b = SimWorld::new(9, Scenario::Healthy, t0()).sample(0, &m, t0());
        assert_eq!(a, b);
    }
}
