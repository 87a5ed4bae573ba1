//! Release plans: the YAML a team writes, loaded with located errors and validated.

pub mod load;
pub mod locate;
pub mod schema;
mod shape;
pub mod validate;

pub use crate::duration::Span;
pub use load::{Checked, PlanError, load, load_checked, parse, parse_checked};
pub use schema::*;
