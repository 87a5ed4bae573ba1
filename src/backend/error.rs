//! What went wrong at a backend, and whether trying again can help.

/// A traffic router's failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouterError {
    /// Trying again may help: no connection, no answer in time, a server down for now.
    #[error("{0}")]
    Unavailable(String),
    /// Trying again cannot help until someone fixes the setup; the message says what to
    /// fix (no such backend or server, no permission).
    #[error("{0}")]
    Misconfigured(String),
}

impl RouterError {
    pub fn retry_helps(&self) -> bool {
        matches!(self, RouterError::Unavailable(_))
    }
}

/// Why a backend could not be set up at start: something to fix in the plan or the
/// environment (a variable, a file, a URL), never worth retrying.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SetupError(pub String);

impl From<String> for SetupError {
    fn from(message: String) -> Self {
        SetupError(message)
    }
}

impl From<&str> for SetupError {
    fn from(message: &str) -> Self {
        SetupError(message.to_string())
    }
}
