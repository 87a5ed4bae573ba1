//! Prometheus HTTP API answers: the JSON envelope, and what an instant or range result
//! means for a gate. Every way of having no number gets its own reason, and none of them
//! is a `Value`, so none can ever pass a gate.

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde::Deserialize;

use crate::engine::Reading;
use crate::outside::{QUOTE_CHARS, quote};
use crate::redact::Redactor;

/// A query matched no series (never scraped, or the labels are wrong).
pub const EMPTY: &str = "no data (empty result)";
/// A ratio over no traffic is 0/0.
pub const NAN: &str = "no data (NaN: no traffic?)";

/// Longest piece of a non-Prometheus body quoted in a message.
const SNIPPET_CHARS: usize = 160;
/// Longest piece of a value that is not a number quoted in a message.
const VALUE_CHARS: usize = 40;

/// Why a request produced no result.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// Starts with `error: `.
    pub message: String,
    /// The server is down or failing (no connection, timeout, HTTP 5xx), as opposed to
    /// answering that the query is wrong. Only these count towards backing off.
    pub unreachable: bool,
}

impl Failure {
    pub fn unreachable(message: String) -> Failure {
        Failure {
            message,
            unreachable: true,
        }
    }

    fn answered(message: String) -> Failure {
        Failure {
            message,
            unreachable: false,
        }
    }
}

/// The `data` of a successful answer.
#[derive(Debug, Deserialize)]
#[serde(tag = "resultType", content = "result", rename_all = "lowercase")]
pub enum Data {
    Scalar(Point),
    String(serde::de::IgnoredAny),
    Vector(Vec<Series>),
    Matrix(Vec<Series>),
}

/// `[unix seconds, "value"]`: Prometheus sends values as text so NaN and Inf survive JSON.
#[derive(Debug, Deserialize)]
pub struct Point(f64, String);

/// One series of a vector (`value`) or a matrix (`values`). Native histogram samples
/// (`histogram`, `histograms`) carry no plain number and are ignored.
#[derive(Debug, Deserialize)]
pub struct Series {
    #[serde(default)]
    value: Option<Point>,
    #[serde(default)]
    values: Vec<Point>,
}

#[derive(Deserialize)]
struct Envelope {
    status: String,
    #[serde(default)]
    data: Option<Data>,
    #[serde(default, rename = "errorType")]
    error_type: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

/// Reads an answer of the query API: the data, or why there is none. Every part of the
/// answer a message quotes is scrubbed of `secrets` first, then put on one line and cut;
/// the body of a 401 or 403 is never quoted at all (an auth proxy may echo the credential).
pub fn decode(status: StatusCode, body: &str, secrets: &Redactor) -> Result<Data, Failure> {
    if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
        return Err(Failure::answered(format!(
            "error: HTTP {status} (check analysis.prometheus.auth)"
        )));
    }
    let envelope = serde_json::from_str::<Envelope>(body);
    match envelope {
        Ok(Envelope {
            status: s,
            data: Some(data),
            ..
        }) if s == "success" && status.is_success() => Ok(data),
        Ok(Envelope {
            status: s,
            error_type,
            error,
            ..
        }) if s == "error" => {
            let message = format!(
                "error: {}: {}",
                quote(error_type.as_deref().unwrap_or("unknown"), secrets, VALUE_CHARS),
                quote(error.as_deref().unwrap_or("(no message)"), secrets, QUOTE_CHARS)
            );
            Err(Failure {
                message,
                unreachable: status.is_server_error(),
            })
        }
        _ if !status.is_success() => {
            let mut message = format!("error: HTTP {status}");
            let snippet = quote(body, secrets, SNIPPET_CHARS);
            if !snippet.is_empty() {
                message.push_str(&format!(": {snippet}"));
            }
            Err(Failure {
                message,
                unreachable: status.is_server_error(),
            })
        }
        Ok(_) => Err(Failure::answered(format!(
            "error: unexpected answer from the Prometheus API: {}",
            quote(body, secrets, SNIPPET_CHARS)
        ))),
        Err(e) => Err(Failure::answered(format!(
            "error: not a Prometheus API answer (check analysis.prometheus.url): {}",
            // serde's message may copy any length of the body.
            quote(&e.to_string(), secrets, QUOTE_CHARS)
        ))),
    }
}

/// What an instant query's result means: one number, or why there is none.
pub fn instant(data: Data) -> Reading {
    match data {
        Data::Scalar(point) => reading(&point),
        Data::Vector(series) => match series.as_slice() {
            [] => Reading::NoData(EMPTY.into()),
            [one] => match &one.value {
                Some(point) => reading(point),
                None => Reading::NoData("error: the series holds a histogram, not a number".into()),
            },
            many => Reading::NoData(several(many.len())),
        },
        Data::Matrix(_) => {
            Reading::NoData("error: the query returns a range vector; expected one instant value".into())
        }
        Data::String(_) => Reading::NoData("error: the query returns a string; expected a number".into()),
    }
}

/// The points of a range query's single series, oldest first; `Err` when there is no
/// single series (the reason applies to every step).
pub fn range(data: Data) -> Result<Vec<(DateTime<Utc>, Reading)>, String> {
    match data {
        Data::Matrix(series) => match series.as_slice() {
            [] => Err(EMPTY.into()),
            [one] => {
                let mut points: Vec<_> = one
                    .values
                    .iter()
                    .filter_map(|p| Some((time(p.0)?, reading(p))))
                    .collect();
                points.sort_by_key(|(at, _)| *at);
                Ok(points)
            }
            many => Err(several(many.len())),
        },
        _ => Err("error: a range query did not return a matrix".into()),
    }
}

fn several(n: usize) -> String {
    format!("{n} series, expected 1 (aggregate the query, e.g. with sum)")
}

fn reading(point: &Point) -> Reading {
    match point.1.parse::<f64>() {
        Ok(v) if v.is_nan() => Reading::NoData(NAN.into()),
        Ok(v) => Reading::Value(v),
        Err(_) => Reading::NoData(format!(
            "error: value \"{}\" is not a number",
            quote(&point.1, &Redactor::default(), VALUE_CHARS)
        )),
    }
}

fn time(unix_seconds: f64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_millis((unix_seconds * 1000.0).round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(body: &str) -> Data {
        decode(StatusCode::OK, body, &Redactor::default()).expect("decodes")
    }

    /// serde quotes what it could not read: a 2xx answer of the wrong shape gives a bounded
    /// message however long the body.
    #[test]
    fn a_misshapen_answer_is_reported_in_bounded_words() {
        let body = format!(r#"{{"status": "success", "data": "{}"}}"#, "y".repeat(1 << 20));
        let err = decode(StatusCode::OK, &body, &Redactor::default()).unwrap_err();
        assert!(err.message.len() < 1_000, "{} bytes", err.message.len());
        assert!(err.message.contains("not a Prometheus API answer"), "{}", err.message);
    }

    fn vector(values: &[&str]) -> String {
        let series: Vec<String> = values
            .iter()
            .map(|v| format!(r#"{{"metric":{{"version":"1"}},"value":[1700000000.5,"{v}"]}}"#))
            .collect();
        format!(
            r#"{{"status":"success","data":{{"resultType":"vector","result":[{}]}}}}"#,
            series.join(",")
        )
    }

    #[test]
    fn one_series_or_a_scalar_is_a_value() {
        assert_eq!(instant(ok(&vector(&["0.25"]))), Reading::Value(0.25));
        let scalar = r#"{"status":"success","data":{"resultType":"scalar","result":[1700000000,"42"]}}"#;
        assert_eq!(instant(ok(scalar)), Reading::Value(42.0));
        assert_eq!(instant(ok(&vector(&["+Inf"]))), Reading::Value(f64::INFINITY));
    }

    #[test]
    fn empty_nan_and_several_series_are_distinct_no_data() {
        assert_eq!(instant(ok(&vector(&[]))), Reading::NoData(EMPTY.into()));
        assert_eq!(instant(ok(&vector(&["NaN"]))), Reading::NoData(NAN.into()));
        let Reading::NoData(why) = instant(ok(&vector(&["1", "2", "3"]))) else {
            panic!("several series must not be a value");
        };
        assert!(why.starts_with("3 series, expected 1"), "{why}");
    }

    #[test]
    fn wrong_result_types_are_errors() {
        let matrix = r#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#;
        let string = r#"{"status":"success","data":{"resultType":"string","result":[1,"x"]}}"#;
        for body in [matrix, string] {
            let Reading::NoData(why) = instant(ok(body)) else {
                panic!()
            };
            assert!(why.starts_with("error: the query returns"), "{why}");
        }
    }

    #[test]
    fn prometheus_errors_keep_their_type_and_text() {
        let body = r#"{"status":"error","errorType":"bad_data","error":"1:5: parse error: unexpected }"}"#;
        let failure = decode(StatusCode::BAD_REQUEST, body, &Redactor::default()).unwrap_err();
        assert_eq!(failure.message, "error: bad_data: 1:5: parse error: unexpected }");
        assert!(!failure.unreachable);
        let failure = decode(
            StatusCode::SERVICE_UNAVAILABLE,
            r#"{"status":"error","errorType":"timeout","error":"query timed out"}"#,
            &Redactor::default(),
        )
        .unwrap_err();
        assert!(failure.unreachable);
    }

    #[test]
    fn http_errors_quote_the_status_and_the_body_start() {
        let none = Redactor::default();
        let failure = decode(StatusCode::SERVICE_UNAVAILABLE, "upstream\n down", &none).unwrap_err();
        assert_eq!(failure.message, "error: HTTP 503 Service Unavailable: upstream down");
        assert!(failure.unreachable);
        let long = "x".repeat(1000);
        let failure = decode(StatusCode::BAD_GATEWAY, &long, &none).unwrap_err();
        assert!(failure.message.len() < 250, "{}", failure.message);
    }

    #[test]
    fn an_auth_failure_quotes_nothing_of_the_body() {
        for status in [StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN] {
            let body = r#"{"status":"error","errorType":"auth","error":"bad token tkn_S3CR3T"}"#;
            let failure = decode(status, body, &Redactor::default()).unwrap_err();
            assert_eq!(
                failure.message,
                format!("error: HTTP {status} (check analysis.prometheus.auth)")
            );
            assert!(!failure.unreachable);
        }
    }

    #[test]
    fn secrets_go_before_the_body_is_cut_or_collapsed() {
        let token = "tkn_S3CR3T_abc\tdef  ghijklmnopqrstuvwxyz012345";
        let secrets = Redactor::new([token]);
        let chars = token.chars().count();
        for offset in 0..=chars {
            // The 160-character cut falls `offset` characters into the token.
            let body = format!("{}{token} tail", "x".repeat(SNIPPET_CHARS - offset));
            let failure = decode(StatusCode::BAD_REQUEST, &body, &secrets).unwrap_err();
            assert!(
                !failure.message.contains("tkn_S3CR"),
                "offset {offset}: {}",
                failure.message
            );
            let json = format!(
                r#"{{"status":"error","errorType":"bad_data","error":"{}{}"}}"#,
                "y".repeat(QUOTE_CHARS - offset),
                token.replace('\t', "\\t")
            );
            let failure = decode(StatusCode::UNPROCESSABLE_ENTITY, &json, &secrets).unwrap_err();
            assert!(
                !failure.message.contains("tkn_S3CR"),
                "offset {offset}: {}",
                failure.message
            );
        }
    }

    #[test]
    fn a_huge_error_is_cut_to_a_quote() {
        let json = format!(
            r#"{{"status":"error","errorType":"bad_data","error":"{}"}}"#,
            "e".repeat(1 << 20)
        );
        let failure = decode(StatusCode::UNPROCESSABLE_ENTITY, &json, &Redactor::default()).unwrap_err();
        assert!(
            failure.message.chars().count() < QUOTE_CHARS + 40,
            "{}",
            failure.message.len()
        );
    }

    #[test]
    fn a_page_that_is_not_the_api_says_so() {
        let failure = decode(StatusCode::OK, "<html>Grafana</html>", &Redactor::default()).unwrap_err();
        assert!(
            failure.message.contains("check analysis.prometheus.url"),
            "{}",
            failure.message
        );
    }

    #[test]
    fn range_points_come_oldest_first_with_nan_as_no_data() {
        let body = r#"{"status":"success","data":{"resultType":"matrix","result":[
            {"metric":{},"values":[[1700000010,"2"],[1700000000,"1"],[1700000020,"NaN"]]}]}}"#;
        let points = range(ok(body)).unwrap();
        let at = |s| DateTime::from_timestamp(s, 0).unwrap();
        assert_eq!(
            points,
            vec![
                (at(1700000000), Reading::Value(1.0)),
                (at(1700000010), Reading::Value(2.0)),
                (at(1700000020), Reading::NoData(NAN.into())),
            ]
        );
        let empty = r#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#;
        assert_eq!(range(ok(empty)), Err(EMPTY.into()));
    }
}
