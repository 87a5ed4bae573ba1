//! Analysis over numbers: threshold bounds now, the statistical canary judge later.
//! Takes values, never clients.

pub mod bounds;
pub mod judge;
