//! `shipdeck rbac PLAN`: the least a cluster must grant for this plan to run, as a Role
//! (only the objects the plan names, only the verbs its router uses) and, when a subject
//! is given, the RoleBinding that grants it. YAML for `kubectl apply -f -`.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use k8s_openapi::api::rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject};
use kube::api::ObjectMeta;

use crate::backend::kube::permissions::{Permission, needed};
use crate::backend::wiring::cluster_access;
use crate::plan;

#[derive(Debug, Args)]
pub struct RbacArgs {
    /// The release plan (YAML) whose router needs the permissions.
    #[arg(value_name = "PLAN")]
    pub plan: PathBuf,
    /// Namespace of the Role (default: the plan's `target.kubernetes.namespace`).
    #[arg(long)]
    pub namespace: Option<String>,
    /// Bind the Role to this user (repeatable).
    #[arg(long, value_name = "NAME")]
    pub user: Vec<String>,
    /// Bind the Role to this group (repeatable).
    #[arg(long, value_name = "NAME")]
    pub group: Vec<String>,
    /// Bind the Role to this service account of the namespace (repeatable): shipdeck run
    /// from a pipeline in the cluster.
    #[arg(long, value_name = "NAME")]
    pub service_account: Vec<String>,
}

/// Exit status for a plan that is invalid or needs no cluster.
const REFUSED: i32 = 2;

pub fn run(args: &RbacArgs, out: &mut impl Write, err: &mut impl Write) -> i32 {
    let plan = match plan::load(&args.plan) {
        Ok(plan) => plan,
        Err(errors) => {
            for e in errors {
                let _ = writeln!(err, "{e}");
            }
            return REFUSED;
        }
    };
    let Some(permissions) = needed(&plan) else {
        let _ = writeln!(
            err,
            "{}: router {} is not on Kubernetes: it needs no cluster permissions",
            args.plan.display(),
            plan.target.router().as_str()
        );
        return REFUSED;
    };
    let command_line = plan::ClusterAccess {
        context: None,
        namespace: args.namespace.clone(),
    };
    let namespace = cluster_access(&plan.target, &command_line).and_then(|c| c.namespace);
    // A service account lives in a namespace; the binding must say which.
    if !args.service_account.is_empty() && namespace.is_none() {
        let _ = writeln!(
            err,
            "{}: --service-account needs a namespace: give --namespace or the plan's target.kubernetes.namespace",
            args.plan.display()
        );
        return REFUSED;
    }
    let name = role_name(&plan.release.name);
    let documents = manifests(
        &name,
        namespace.as_deref(),
        &permissions,
        &subjects(args, namespace.as_deref()),
    );
    let mut text = String::new();
    if namespace.is_none() {
        text.push_str("# No namespace in the plan or on the command line: kubectl applies these to its current one.\n");
    }
    if documents.1.is_none() {
        text.push_str(&format!(
            "# Bind it with --user, --group or --service-account, or: kubectl create rolebinding {name} --role={name} \
             --user=YOU\n"
        ));
    }
    text.push_str(&to_yaml(&documents.0));
    if let Some(binding) = &documents.1 {
        text.push_str("---\n");
        text.push_str(&to_yaml(binding));
    }
    match out.write_all(text.as_bytes()) {
        Ok(()) => 0,
        Err(_) => 1,
    }
}

fn to_yaml(manifest: &impl serde::Serialize) -> String {
    serde_yaml::to_string(manifest).unwrap_or_default()
}

/// `shipdeck-<release>`, as a Kubernetes name.
fn role_name(release: &str) -> String {
    let mut name: String = release
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    name.truncate(50);
    match name.trim_matches('-') {
        "" => "shipdeck-release".into(),
        name => format!("shipdeck-{name}"),
    }
}

fn subjects(args: &RbacArgs, namespace: Option<&str>) -> Vec<Subject> {
    let rbac = "rbac.authorization.k8s.io".to_string();
    let users = args.user.iter().map(|n| ("User", n, Some(rbac.clone()), None));
    let groups = args.group.iter().map(|n| ("Group", n, Some(rbac.clone()), None));
    let accounts = args
        .service_account
        .iter()
        .map(|n| ("ServiceAccount", n, None, namespace.map(str::to_string)));
    users
        .chain(groups)
        .chain(accounts)
        .map(|(kind, name, api_group, namespace)| Subject {
            kind: kind.into(),
            name: name.clone(),
            api_group,
            namespace,
        })
        .collect()
}

/// The Role, and the RoleBinding when there is someone to bind it to.
pub fn manifests(
    name: &str,
    namespace: Option<&str>,
    permissions: &[Permission],
    subjects: &[Subject],
) -> (Role, Option<RoleBinding>) {
    let meta = || ObjectMeta {
        name: Some(name.to_string()),
        namespace: namespace.map(str::to_string),
        labels: Some([("app.kubernetes.io/managed-by".to_string(), "shipdeck".to_string())].into()),
        ..ObjectMeta::default()
    };
    let rules = permissions
        .iter()
        .map(|p| PolicyRule {
            api_groups: Some(vec![p.group.to_string()]),
            resources: Some(vec![p.resource.to_string()]),
            resource_names: (!p.names.is_empty()).then(|| p.names.clone()),
            verbs: p.verbs.iter().map(|v| v.to_string()).collect(),
            ..PolicyRule::default()
        })
        .collect();
    let role = Role {
        metadata: meta(),
        rules: Some(rules),
    };
    let binding = (!subjects.is_empty()).then(|| RoleBinding {
        metadata: meta(),
        role_ref: RoleRef {
            api_group: "rbac.authorization.k8s.io".into(),
            kind: "Role".into(),
            name: name.to_string(),
        },
        subjects: Some(subjects.to_vec()),
    });
    (role, binding)
}
