//! Stages that deploy an image: only where there are Deployments to update (Kubernetes),
//! naming one the target does not already name, with an image reference that can be sent.

use super::Validator;
use super::backends::dns_name;
use crate::plan::schema::{Deploy, PlanFile, RouterKind};

/// Longest image reference taken: registries allow 255 for the name, plus tag or digest.
const LONGEST_IMAGE: usize = 512;

impl Validator<'_> {
    pub(super) fn deploys(&mut self, plan: &PlanFile) {
        let router = plan.target.router;
        for (i, stage) in plan.stages.iter().enumerate() {
            let Some(deploy) = &stage.deploy else { continue };
            let path = format!("stages.{i}.deploy");
            let who = format!("stage `{}`", stage.name);
            if router == RouterKind::ArgoRollouts {
                self.at(
                    &path,
                    format!(
                        "{who} deploys an image, but an Argo Rollout's template is changed by whoever applies it \
                         (CI, GitOps): shipdeck drives the steps that follow"
                    ),
                );
                continue;
            }
            if !router.is_kubernetes() {
                self.at(
                    &path,
                    format!(
                        "{who} deploys an image, but router {} has no Deployments to update: deploy with the tools \
                         that run it, or use a Kubernetes router",
                        router.as_str()
                    ),
                );
                continue;
            }
            self.deploy(&path, &who, deploy, router);
        }
    }

    fn deploy(&mut self, path: &str, who: &str, deploy: &Deploy, router: RouterKind) {
        if let Err(why) = image_reference(&deploy.image) {
            self.at(&format!("{path}.image"), format!("{who}: image {why}"));
        }
        match &deploy.deployment {
            Some(name) => {
                if let Err(why) = deployment_name(name) {
                    self.at(
                        &format!("{path}.deployment"),
                        format!("{who}: Deployment `{name}`: {why}"),
                    );
                }
            }
            None if !matches!(router, RouterKind::Replicas | RouterKind::Rolling) => self.at(
                path,
                format!(
                    "{who} deploys an image but names no Deployment, and router {} does not say which one runs \
                     the canary: add `deployment: <name>`",
                    router.as_str()
                ),
            ),
            None => {}
        }
        if let Some(container) = &deploy.container
            && let Err(why) = dns_name(container)
        {
            self.at(
                &format!("{path}.container"),
                format!("{who}: container `{container}`: {why}"),
            );
        }
        if deploy.timeout.as_secs() == 0 {
            self.at(
                &format!("{path}.timeout"),
                format!("{who}: a deploy timeout of 0 holds at once: give the pods time to start (e.g. 10m)"),
            );
        }
    }
}

/// An image reference as a container runtime takes it: no spaces or control characters,
/// a name before any tag or digest, not absurdly long.
fn image_reference(image: &str) -> Result<(), String> {
    if image.trim().is_empty() {
        return Err("is empty: write the reference to run, e.g. registry.example.com/checkout:2.14.0".into());
    }
    if image.len() > LONGEST_IMAGE {
        return Err(format!(
            "has {} characters; a reference has at most {LONGEST_IMAGE}",
            image.len()
        ));
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || "./:-_@".contains(c);
    if let Some(c) = image.chars().find(|&c| !allowed(c)) {
        return Err(format!(
            "contains {c:?}: a reference has letters, digits and . / : - _ @ only"
        ));
    }
    if image.starts_with([':', '@', '/', '.', '-']) {
        return Err(format!("`{image}` does not start with a name"));
    }
    Ok(())
}

/// A Deployment's name: a DNS subdomain (labels joined by dots, 253 characters at most).
fn deployment_name(name: &str) -> Result<(), String> {
    if name.len() > 253 {
        return Err("a Deployment's name has at most 253 characters".into());
    }
    name.split('.').try_for_each(|label| {
        dns_name(label).map_err(|_| {
            "a Deployment's name has lowercase letters, digits, `-` and `.`, and each part starts and ends with a \
             letter or digit"
                .to_string()
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_references_that_a_runtime_takes_pass_and_others_say_why() {
        for good in [
            "checkout:2.14.0",
            "registry.example.com:5000/shop/checkout:2.14.0",
            "ghcr.io/shop/checkout@sha256:0123abcd",
        ] {
            assert_eq!(image_reference(good), Ok(()), "{good}");
        }
        assert!(image_reference("").unwrap_err().contains("empty"));
        assert!(image_reference("checkout 2.14").unwrap_err().contains("' '"));
        assert!(
            image_reference(":latest")
                .unwrap_err()
                .contains("does not start with a name")
        );
        assert!(
            image_reference(&"a".repeat(600))
                .unwrap_err()
                .contains("600 characters")
        );
    }

    #[test]
    fn deployment_names_are_dns_subdomains() {
        assert_eq!(deployment_name("checkout-canary"), Ok(()));
        assert_eq!(deployment_name("checkout.v2"), Ok(()));
        assert!(deployment_name("Checkout").is_err());
        assert!(deployment_name("a..b").is_err());
    }
}
