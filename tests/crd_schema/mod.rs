//! The real CRD schemas in ../shared/k8s (or SHIPDECK_K8S_DATA), read in place, and a
//! judge of documents against them as an API server would: schema violations, and fields
//! the schema does not define.

#![allow(dead_code)]

use std::path::PathBuf;

use serde_json::Value;

/// Applies `patch` (a JSON patch as JSON) to `doc`, as the API server would.
pub fn applied(mut doc: Value, patch: &Value) -> Result<Value, String> {
    let patch: json_patch::Patch = serde_json::from_value(patch.clone()).map_err(|e| e.to_string())?;
    json_patch::patch(&mut doc, &patch).map_err(|e| e.to_string())?;
    Ok(doc)
}

pub fn k8s_data() -> PathBuf {
    std::env::var_os("SHIPDECK_K8S_DATA").map_or_else(|| PathBuf::from("../shared/k8s"), PathBuf::from)
}

/// The documents of a YAML file under ../shared/k8s.
pub fn k8s_docs(file: &str) -> Vec<Value> {
    use serde::Deserialize;
    let text = std::fs::read_to_string(k8s_data().join(file)).unwrap();
    serde_yaml::Deserializer::from_str(&text)
        .map(|doc| Value::deserialize(doc).unwrap())
        .filter(|doc| !doc.is_null())
        .collect()
}

/// A served version's openAPIV3Schema of the CRD `name` in a CRD file.
pub fn crd_schema(file: &str, name: &str, version: &str) -> Value {
    let crd = k8s_docs(&format!("crds/{file}"))
        .into_iter()
        .find(|d| d["metadata"]["name"] == name)
        .expect("the CRD in the file");
    crd["spec"]["versions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == version)
        .map(|v| v["schema"]["openAPIV3Schema"].clone())
        .expect("version in the CRD")
}

/// What the API server would refuse: schema violations, and fields the schema does not
/// define (the server prunes or, with strict field validation, rejects them).
pub fn schema_errors(schema: &Value, doc: &Value) -> Vec<String> {
    let validator = jsonschema::validator_for(schema).expect("the CRD schema compiles");
    let mut errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    unknown_fields(schema, doc, "", &mut errors);
    errors
}

fn unknown_fields(schema: &Value, doc: &Value, at: &str, errors: &mut Vec<String>) {
    match doc {
        Value::Object(map) => {
            let Some(props) = schema.get("properties").and_then(Value::as_object) else {
                return;
            };
            if schema.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true)) {
                return;
            }
            for (key, value) in map {
                // Every object has these, whether its schema lists them or not.
                if at.is_empty() && matches!(key.as_str(), "apiVersion" | "kind" | "metadata") {
                    continue;
                }
                match props.get(key) {
                    Some(sub) => unknown_fields(sub, value, &format!("{at}/{key}"), errors),
                    None => errors.push(format!("unknown field {at}/{key}")),
                }
            }
        }
        Value::Array(items) => {
            if let Some(sub) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    unknown_fields(sub, item, &format!("{at}/{i}"), errors);
                }
            }
        }
        _ => {}
    }
}
