//! Wall time for the runtime: real, or virtual with a speed factor for the simulator.

use std::time::Instant;

use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone, Copy)]
pub struct Clock {
    origin_wall: DateTime<Utc>,
    origin: Instant,
    speed: f64,
}

impl Clock {
    /// `speed` 1.0 is real time; 20.0 passes a 15-minute hold in 45 seconds.
    pub fn new(speed: f64) -> Clock {
        Clock {
            origin_wall: Utc::now(),
            origin: Instant::now(),
            speed: speed.max(0.001),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        let real = self.origin.elapsed().as_secs_f64();
        self.origin_wall + Duration::microseconds((real * self.speed * 1e6) as i64)
    }

    /// Real time between clock ticks: one virtual second, within 5 ms to 250 ms, so time
    /// rules keep their resolution at high speeds without a busy loop.
    pub fn tick_period(&self) -> std::time::Duration {
        self.real(std::time::Duration::from_secs(1)).clamp(
            std::time::Duration::from_millis(5),
            std::time::Duration::from_millis(250),
        )
    }

    /// Real time that `virtual_span` takes at this speed.
    pub fn real(&self, virtual_span: std::time::Duration) -> std::time::Duration {
        virtual_span.div_f64(self.speed)
    }
}
