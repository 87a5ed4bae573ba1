//! Kubernetes API errors in the router's terms: what to fix, or that trying again helps.

use kube::Error;

use crate::backend::RouterError;
use crate::outside::{QUOTE_CHARS, one_line};

/// `error` from `verb` on `what` (`httproutes.gateway.networking.k8s.io/checkout`) in
/// `namespace`, worded with what to do.
pub fn router_error(error: &Error, verb: &str, what: &str, namespace: Option<&str>) -> RouterError {
    let ns = namespace.unwrap_or("default");
    // The API server's words are text from outside: one line, of a bounded length.
    let message = |status: &kube::core::Status| one_line(&status.message, QUOTE_CHARS);
    let resource = what.split('/').next().unwrap_or(what);
    match error {
        Error::Api(status) => match status.code {
            401 => RouterError::Misconfigured(format!(
                "kubernetes: not logged in (401) to {verb} {what} in {ns}: refresh the credentials \
                 (`kubectl get {resource} -n {ns}` logs in)"
            )),
            403 => RouterError::Misconfigured(format!(
                "kubernetes: forbidden to {verb} {what} in {ns} (403): check with `kubectl auth can-i {verb} \
                 {resource} -n {ns}`"
            )),
            404 => RouterError::Misconfigured(format!("kubernetes: {what} not found in namespace {ns} (404)")),
            // A concurrent change between read and write: the next try reads afresh.
            409 => RouterError::Unavailable(format!("kubernetes: {what} changed meanwhile (409): reading it again")),
            422 => RouterError::Misconfigured(format!(
                "kubernetes refused the change to {what} (422): {}",
                message(status)
            )),
            // A JSON patch `test` that failed: the object no longer has the backendRefs read.
            400 if status.message.contains("test") => RouterError::Unavailable(format!(
                "kubernetes: {what} changed meanwhile ({}): reading it again",
                message(status)
            )),
            code if code >= 500 => {
                RouterError::Unavailable(format!("kubernetes API server error ({code}): {}", message(status)))
            }
            code => RouterError::Misconfigured(format!("kubernetes: {verb} {what}: {} ({code})", message(status))),
        },
        // Connection lost, timeouts, TLS: the cluster may be back on the next try.
        other => RouterError::Unavailable(format!(
            "kubernetes: {verb} {what}: {}",
            one_line(&other.to_string(), QUOTE_CHARS)
        )),
    }
}
