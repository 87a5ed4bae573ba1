//! The one rule for `analysis.prometheus.url`, shared by `check` and the client, so a URL
//! the check accepts is a URL the release can use. No message repeats the URL: a mistyped
//! one may still carry a credential.

use reqwest::Url;

/// The plan's URL as the base the API paths are appended to, or what is wrong with it.
/// Credentials in the URL are refused: they belong in environment variables or files. So
/// is a query string or a fragment: it would not be sent, and is where an `api_key=` hides.
pub fn prometheus_base_url(text: &str) -> Result<Url, String> {
    let mut url = Url::parse(text).map_err(|e| format!("not a valid URL ({e}): use e.g. http://prometheus:9090"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("must be http or https, not {}", url.scheme()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("carries credentials: remove them and name their source under analysis.prometheus.auth".into());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(
            "has a query string or fragment (`?...` or `#...`), which is never sent: give only \
             scheme://host:port/path and put credentials under analysis.prometheus.auth \
             (bearer_token_env, bearer_token_file, or username with password_env or password_file)"
                .into(),
        );
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_paths_append_to_the_base_path() {
        let url = prometheus_base_url("http://prom:9090").unwrap();
        assert_eq!(
            url.join("api/v1/query").unwrap().as_str(),
            "http://prom:9090/api/v1/query"
        );
        let url = prometheus_base_url("https://gw.example/prometheus").unwrap();
        assert_eq!(
            url.join("api/v1/query_range").unwrap().as_str(),
            "https://gw.example/prometheus/api/v1/query_range"
        );
    }

    #[test]
    fn a_query_string_or_fragment_in_the_url_is_refused_without_echoing_it() {
        for text in [
            "https://gw.example/prometheus?x=1",
            "https://gw.example/prometheus?api_key=hunter2",
            "https://gw.example/prometheus#hunter2",
            "https://gw.example/prometheus?",
        ] {
            let err = prometheus_base_url(text).unwrap_err();
            assert!(err.contains("query string or fragment"), "{text}: {err}");
            assert!(err.contains("analysis.prometheus.auth"), "{text}: {err}");
            assert!(!err.contains("hunter2") && !err.contains("x=1"), "{text}: {err}");
        }
    }

    #[test]
    fn credentials_in_the_url_are_refused_without_echoing_them() {
        let err = prometheus_base_url("http://ops:hunter2@prom:9090").unwrap_err();
        assert!(err.contains("carries credentials"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
    }
}
