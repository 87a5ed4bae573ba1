//! Prometheus credentials: read once at start from the environment variable or file the
//! plan names (the plan itself never holds a secret), turned into an `Authorization`
//! header, and remembered only so they can be scrubbed from every message.

use std::fmt;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use reqwest::header::HeaderValue;

use crate::backend::SetupError;
use crate::plan::PrometheusAuth;
use crate::redact::Redactor;

/// A token or password file holds one line; a larger file is not one.
const SECRET_FILE_BYTES: u64 = 64 * 1024;

/// The `Authorization` header to send (if any) and the secrets it was made from, to be
/// scrubbed from every message.
#[derive(Clone, Default)]
pub struct Credentials {
    header: Option<HeaderValue>,
    secrets: Redactor,
}

impl Credentials {
    /// Reads the credentials `auth` names. Errors name the variable or file, never its
    /// content.
    pub fn load(auth: Option<&PrometheusAuth>) -> Result<Credentials, SetupError> {
        let Some(auth) = auth else {
            return Ok(Credentials::default());
        };
        let bearer = read_secret(
            "bearer token",
            ("bearer_token_env", auth.bearer_token_env.as_deref()),
            ("bearer_token_file", auth.bearer_token_file.as_deref()),
        )?;
        let password = read_secret(
            "password",
            ("password_env", auth.password_env.as_deref()),
            ("password_file", auth.password_file.as_deref()),
        )?;
        let (value, secrets) = match (bearer, &auth.username, password) {
            (Some(token), None, None) => (format!("Bearer {token}"), vec![token]),
            (None, Some(user), Some(password)) => {
                let encoded = BASE64.encode(format!("{user}:{password}"));
                (format!("Basic {encoded}"), vec![password, encoded])
            }
            (None, None, None) => return Ok(Credentials::default()),
            _ => {
                return Err(
                    "analysis.prometheus.auth: give either a bearer token source, or `username` with \
                            `password_env` or `password_file`"
                        .into(),
                );
            }
        };
        let mut header = HeaderValue::from_str(&value).map_err(|_| {
            "analysis.prometheus.auth: the credential contains characters an HTTP header cannot carry \
             (a line break or control character?)"
                .to_string()
        })?;
        header.set_sensitive(true);
        Ok(Credentials {
            header: Some(header),
            secrets: Redactor::new(secrets),
        })
    }

    /// The `Authorization` header value, marked sensitive.
    pub fn header(&self) -> Option<&HeaderValue> {
        self.header.as_ref()
    }

    /// The secrets, for scrubbing text from outside before it is shown or recorded.
    pub fn secrets(&self) -> &Redactor {
        &self.secrets
    }

    /// Replaces every secret in `text` (in any form, or any part of one) by `[redacted]`.
    pub fn scrub(&self, text: &str) -> String {
        self.secrets.scrub(text)
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.header {
            None => "none",
            Some(h) if h.as_bytes().starts_with(b"Bearer ") => "bearer [redacted]",
            Some(_) => "basic [redacted]",
        };
        f.write_str(kind)
    }
}

/// One secret from its environment variable or file (whichever the plan names), trimmed
/// of surrounding whitespace such as a file's final newline.
fn read_secret(what: &str, env: (&str, Option<&str>), file: (&str, Option<&str>)) -> Result<Option<String>, String> {
    let (source, raw) = match (env, file) {
        ((key, Some(_)), (other, Some(_))) => {
            return Err(format!(
                "analysis.prometheus.auth: {key} and {other} both given: name one source"
            ));
        }
        ((key, Some(var)), _) => {
            let source = format!("environment variable {var} (analysis.prometheus.auth.{key})");
            let raw = match std::env::var(var) {
                Ok(value) => value,
                Err(std::env::VarError::NotPresent) => return Err(format!("{what}: {source} is not set")),
                Err(std::env::VarError::NotUnicode(_)) => {
                    return Err(format!("{what}: {source} is not valid UTF-8"));
                }
            };
            (source, raw)
        }
        (_, (key, Some(path))) => {
            let source = format!("file {path} (analysis.prometheus.auth.{key})");
            let raw = crate::files::read_text(Path::new(path), SECRET_FILE_BYTES)
                .map_err(|e| format!("{what}: {source} {e}"))?;
            (source, raw)
        }
        _ => return Ok(None),
    };
    let secret = raw.trim();
    if secret.is_empty() {
        return Err(format!("{what}: {source} is empty"));
    }
    Ok(Some(secret.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth() -> PrometheusAuth {
        PrometheusAuth::default()
    }

    #[test]
    fn no_auth_sends_no_header() {
        let creds = Credentials::load(None).unwrap();
        assert!(creds.header().is_none());
        assert_eq!(creds.scrub("plain"), "plain");
    }

    #[test]
    fn basic_auth_encodes_user_and_password_and_scrubs_both_forms() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("password");
        std::fs::write(&file, "hunter2\n").unwrap();
        let creds = Credentials::load(Some(&PrometheusAuth {
            username: Some("ops".into()),
            password_file: Some(file.display().to_string()),
            ..auth()
        }))
        .unwrap();
        let header = creds.header().unwrap();
        assert!(header.is_sensitive());
        assert_eq!(header.to_str().unwrap(), "Basic b3BzOmh1bnRlcjI=");
        assert_eq!(
            creds.scrub("echo: hunter2 / b3BzOmh1bnRlcjI="),
            "echo: [redacted] / [redacted]"
        );
        assert_eq!(format!("{creds:?}"), "basic [redacted]");
    }

    #[test]
    fn unreadable_and_empty_files_are_named() {
        let err = Credentials::load(Some(&PrometheusAuth {
            bearer_token_file: Some("/nonexistent/shipdeck-token".into()),
            ..auth()
        }))
        .unwrap_err()
        .0;
        assert!(err.contains("file /nonexistent/shipdeck-token"), "{err}");
        assert!(err.ends_with("does not exist"), "{err}");
        assert!(err.contains("bearer_token_file"), "{err}");

        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, "  \n").unwrap();
        let err = Credentials::load(Some(&PrometheusAuth {
            bearer_token_file: Some(file.display().to_string()),
            ..auth()
        }))
        .unwrap_err()
        .0;
        assert!(err.ends_with("is empty"), "{err}");
    }

    #[test]
    fn a_token_that_cannot_be_a_header_is_refused_without_showing_it() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, "t0pS3cret\u{7}x").unwrap();
        let err = Credentials::load(Some(&PrometheusAuth {
            bearer_token_file: Some(file.display().to_string()),
            ..auth()
        }))
        .unwrap_err()
        .0;
        assert!(err.contains("cannot carry"), "{err}");
        assert!(!err.contains("t0pS3cret"), "{err}");
    }

    #[test]
    fn both_sources_for_one_secret_are_refused() {
        let err = Credentials::load(Some(&PrometheusAuth {
            bearer_token_env: Some("A".into()),
            bearer_token_file: Some("b".into()),
            ..auth()
        }))
        .unwrap_err()
        .0;
        assert!(err.contains("both given"), "{err}");
    }
}
