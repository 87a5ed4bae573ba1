//! Which objects a list or a watch covers: one collection (group/version, plural, one
//! namespace or all), narrowed by the `labelSelector` and `fieldSelector` query parameters
//! as kube-apiserver reads them. Equality selectors only (`a=b`, `a==b`, `a!=b`, and for
//! labels `a` and `!a`); a set-based selector (`a in (x,y)`) is refused with 400 rather than
//! silently matching everything.

use serde_json::Value;

use super::store::Key;

/// The query string's pairs, percent-decoded (`+` is a space), in order. kube builds its
/// query with form-urlencoding and starts it with an empty pair (`?&watch=true&...`); empty
/// pairs are skipped.
pub fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    query
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(name), decode(value))
        })
        .collect()
}

/// The value of the first pair called `name`.
pub fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

fn decode(text: &str) -> String {
    let hex = |b: u8| char::from(b).to_digit(16);
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(high), Some(low)) => {
                out.push((high * 16 + low) as u8);
                i += 3;
            }
            (b'+', _, _) => {
                out.push(b' ');
                i += 1;
            }
            (other, _, _) => {
                out.push(other);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[derive(Debug, Clone, PartialEq)]
enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    Exists(String),
    Absent(String),
}

/// Comma-separated requirements, all of which an object must meet.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selector(Vec<Requirement>);

impl Selector {
    /// `text` as a selector; `bare_keys` allows `a` and `!a` (labels, not fields).
    fn parse(text: &str, bare_keys: bool) -> Result<Selector, String> {
        let mut requirements = Vec::new();
        for term in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            if term.contains('(') || term.contains(' ') {
                return Err(format!(
                    "the fake API server serves equality selectors only, not {term:?}"
                ));
            }
            let requirement = if let Some((key, value)) = term.split_once("!=") {
                Requirement::NotEquals(key.to_string(), value.to_string())
            } else if let Some((key, value)) = term.split_once("==").or_else(|| term.split_once('=')) {
                Requirement::Equals(key.to_string(), value.to_string())
            } else if !bare_keys {
                return Err(format!("invalid field selector: {term:?}"));
            } else if let Some(key) = term.strip_prefix('!') {
                Requirement::Absent(key.to_string())
            } else {
                Requirement::Exists(term.to_string())
            };
            requirements.push(requirement);
        }
        Ok(Selector(requirements))
    }

    /// Whether every requirement holds, `lookup` giving a key's value (None: not set).
    fn matches<'a>(&self, lookup: impl Fn(&str) -> Option<&'a str>) -> bool {
        self.0.iter().all(|requirement| match requirement {
            Requirement::Equals(key, value) => lookup(key) == Some(value.as_str()),
            Requirement::NotEquals(key, value) => lookup(key) != Some(value.as_str()),
            Requirement::Exists(key) => lookup(key).is_some(),
            Requirement::Absent(key) => lookup(key).is_none(),
        })
    }
}

/// A collection and the selectors that narrow it.
#[derive(Debug, Clone, PartialEq)]
pub struct Scope {
    pub api_version: String,
    /// None: every namespace (`/apis/apps/v1/deployments`).
    pub namespace: Option<String>,
    pub plural: String,
    labels: Selector,
    fields: Selector,
}

impl Scope {
    /// The scope a GET of a collection names, with the selectors in its query pairs.
    pub fn new(
        api_version: &str,
        namespace: Option<&str>,
        plural: &str,
        pairs: &[(String, String)],
    ) -> Result<Scope, String> {
        Ok(Scope {
            api_version: api_version.to_string(),
            namespace: namespace.map(str::to_string),
            plural: plural.to_string(),
            labels: Selector::parse(param(pairs, "labelSelector").unwrap_or_default(), true)?,
            fields: Selector::parse(param(pairs, "fieldSelector").unwrap_or_default(), false)?,
        })
    }

    /// Whether the object at `key` is in this collection and meets both selectors.
    pub fn contains(&self, key: &Key, object: &Value) -> bool {
        key.api_version == self.api_version
            && key.plural == self.plural
            && self.namespace.as_ref().is_none_or(|ns| *ns == key.namespace)
            && self
                .labels
                .matches(|label| object["metadata"]["labels"][label].as_str())
            // Any dotted path (`metadata.name`, `status.phase`); real servers take a few per kind.
            && self.fields.matches(|path| {
                path.split('.')
                    .try_fold(object, |value, part| value.get(part))
                    .and_then(Value::as_str)
            })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn web() -> (Key, Value) {
        let object = json!({"apiVersion": "apps/v1", "kind": "Deployment",
                            "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web", "tier": "front"}}});
        (Key::of(&object).unwrap(), object)
    }

    fn scope(query: &str) -> Result<Scope, String> {
        Scope::new("apps/v1", Some("shop"), "deployments", &query_pairs(Some(query)))
    }

    #[test]
    fn kube_s_query_strings_decode() {
        let pairs = query_pairs(Some(
            "&watch=true&fieldSelector=metadata.name%3Dweb&labelSelector=a%3Db%2Cc+d",
        ));
        assert_eq!(param(&pairs, "watch"), Some("true"));
        assert_eq!(param(&pairs, "fieldSelector"), Some("metadata.name=web"));
        assert_eq!(param(&pairs, "labelSelector"), Some("a=b,c d"));
        assert_eq!(param(&pairs, "resourceVersion"), None);
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("%zz%4"), "%zz%4");
    }

    #[test]
    fn field_selectors_pick_by_name_and_namespace() {
        let (key, object) = web();
        assert!(
            scope("fieldSelector=metadata.name%3Dweb")
                .unwrap()
                .contains(&key, &object)
        );
        assert!(
            scope("fieldSelector=metadata.name%3D%3Dweb")
                .unwrap()
                .contains(&key, &object)
        );
        assert!(
            !scope("fieldSelector=metadata.name%3Dapi")
                .unwrap()
                .contains(&key, &object)
        );
        assert!(
            !scope("fieldSelector=metadata.name!%3Dweb")
                .unwrap()
                .contains(&key, &object)
        );
        assert!(
            scope("fieldSelector=metadata.namespace%3Dshop,metadata.name%3Dweb")
                .unwrap()
                .contains(&key, &object)
        );
        assert!(scope("fieldSelector=metadata.name").is_err());
    }

    #[test]
    fn label_selectors_take_every_equality_form() {
        let (key, object) = web();
        for yes in ["app=web", "app==web,tier=front", "app!=api", "tier", "!canary", ""] {
            let query = format!("labelSelector={yes}");
            assert!(scope(&query).unwrap().contains(&key, &object), "{yes}");
        }
        for no in ["app=api", "app=web,tier=back", "tier!=front", "canary", "!app"] {
            let query = format!("labelSelector={no}");
            assert!(!scope(&query).unwrap().contains(&key, &object), "{no}");
        }
        assert!(scope("labelSelector=app+in+(web,api)").is_err());
    }

    #[test]
    fn a_scope_holds_one_collection_in_one_namespace_or_all() {
        let (key, object) = web();
        assert!(
            !Scope::new("apps/v1", Some("pay"), "deployments", &[])
                .unwrap()
                .contains(&key, &object)
        );
        assert!(
            !Scope::new("v1", Some("shop"), "deployments", &[])
                .unwrap()
                .contains(&key, &object)
        );
        assert!(
            Scope::new("apps/v1", None, "deployments", &[])
                .unwrap()
                .contains(&key, &object)
        );
    }
}
