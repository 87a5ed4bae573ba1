//! Reading a plan file: serde with located errors. (Provisional: full validation follows.)

use std::fmt;
use std::path::Path;

use super::schema::Plan;

/// One problem in a plan, located in its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanError {
    pub origin: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}", self.origin, self.line, self.column, self.message)
    }
}

pub fn load(path: &Path) -> Result<Plan, Vec<PlanError>> {
    let origin = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        vec![PlanError {
            origin: origin.clone(),
            line: 1,
            column: 1,
            message: e.to_string(),
        }]
    })?;
    parse(&text, &origin)
}

pub fn parse(text: &str, origin: &str) -> Result<Plan, Vec<PlanError>> {
    serde_yaml::from_str(text).map_err(|e| {
        let (line, column) = e.location().map(|l| (l.line(), l.column())).unwrap_or((1, 1));
        vec![PlanError {
            origin: origin.to_string(),
            line,
            column,
            message: e.to_string(),
        }]
    })
}
