//! The built-in simulator: a traffic router and a metrics source on a virtual clock, and
//! a simulated crew. Deterministic for a given seed.

pub mod crew;
pub mod harness;
pub mod noise;
pub mod scenario;
pub mod world;

pub use crew::Crew;
pub use harness::Harness;
pub use scenario::Scenario;
pub use world::SimWorld;
