//! Whether the person running shipdeck may do what the plan's router needs: one
//! SelfSubjectAccessReview per verb and object, asked before anything moves, so a missing
//! permission is found at preflight rather than at the first weight (or the rollback).

use k8s_openapi::api::authorization::v1::{ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec};
use kube::api::{Api, PostParams};

use super::access;
use super::permissions::Permission;
use crate::backend::RouterError;
use crate::plan::ClusterAccess;

/// The API server's answer for one verb on one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub verb: String,
    /// With its subresource: `deployments/scale`.
    pub resource: String,
    pub group: String,
    /// Empty for a verb on any object of the resource (create).
    pub name: String,
    pub namespace: String,
    pub allowed: bool,
}

impl Grant {
    /// The kubectl line that asks the same question.
    pub fn can_i(&self) -> String {
        let (resource, sub) = match self.resource.split_once('/') {
            Some((resource, sub)) => (resource, format!(" --subresource={sub}")),
            None => (self.resource.as_str(), String::new()),
        };
        let qualified = if self.group.is_empty() {
            resource.to_string()
        } else {
            format!("{resource}.{}", self.group)
        };
        let object = if self.name.is_empty() {
            qualified
        } else {
            format!("{qualified}/{}", self.name)
        };
        format!("kubectl auth can-i {} {object}{sub} -n {}", self.verb, self.namespace)
    }
}

/// Asks the API server, for each verb on each object of `permissions`.
pub async fn review(access: &ClusterAccess, permissions: &[Permission]) -> Result<Vec<Grant>, RouterError> {
    let (client, namespace) = access::connect(access).await?;
    let api: Api<SelfSubjectAccessReview> = Api::all(client);
    let mut grants = Vec::new();
    for p in permissions {
        let (resource, subresource) = match p.resource.split_once('/') {
            Some((resource, sub)) => (resource, Some(sub.to_string())),
            None => (p.resource, None),
        };
        // An unnamed permission (create) is asked about without a name.
        let names: Vec<Option<&String>> = if p.names.is_empty() {
            vec![None]
        } else {
            p.names.iter().map(Some).collect()
        };
        for name in names {
            for verb in p.verbs {
                let question = SelfSubjectAccessReview {
                    spec: SelfSubjectAccessReviewSpec {
                        resource_attributes: Some(ResourceAttributes {
                            namespace: Some(namespace.clone()),
                            verb: Some(verb.to_string()),
                            group: Some(p.group.to_string()),
                            resource: Some(resource.to_string()),
                            subresource: subresource.clone(),
                            name: name.cloned(),
                            ..ResourceAttributes::default()
                        }),
                        ..SelfSubjectAccessReviewSpec::default()
                    },
                    ..SelfSubjectAccessReview::default()
                };
                let answer = api.create(&PostParams::default(), &question).await.map_err(|e| {
                    super::errors::router_error(&e, "create", "selfsubjectaccessreviews.authorization.k8s.io", None)
                })?;
                grants.push(Grant {
                    verb: verb.to_string(),
                    resource: p.resource.to_string(),
                    group: p.group.to_string(),
                    name: name.cloned().unwrap_or_default(),
                    namespace: namespace.clone(),
                    allowed: answer.status.is_some_and(|s| s.allowed),
                });
            }
        }
    }
    Ok(grants)
}
