//! Reaching a cluster as kubectl does: KUBECONFIG (several files, merged), else
//! ~/.kube/config, else the in-cluster service account; a context and a namespace from the
//! plan or the command line. Exec credential plugins (cloud logins) run with their output
//! captured, never on the cockpit's screen: a login that needs a person is done first,
//! with kubectl.

use kube::config::{ExecInteractiveMode, KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};

use crate::backend::RouterError;
use crate::plan::ClusterAccess;

/// A client for the cluster `access` names, and the namespace its objects live in.
pub async fn connect(access: &ClusterAccess) -> Result<(Client, String), RouterError> {
    let mut config = match Kubeconfig::read() {
        Ok(mut kubeconfig) => {
            quiet_exec_plugins(&mut kubeconfig);
            let options = KubeConfigOptions {
                context: access.context.clone(),
                ..KubeConfigOptions::default()
            };
            Config::from_custom_kubeconfig(kubeconfig, &options)
                .await
                .map_err(|e| RouterError::Misconfigured(format!("kubeconfig: {e}")))?
        }
        Err(read) if access.context.is_none() => Config::incluster().map_err(|in_cluster| {
            RouterError::Misconfigured(format!(
                "no cluster: no kubeconfig ({read}; set KUBECONFIG or write ~/.kube/config) and not in a \
                 cluster ({in_cluster})"
            ))
        })?,
        Err(read) => {
            return Err(RouterError::Misconfigured(format!(
                "kubeconfig: {read}: context `{}` cannot be found",
                access.context.as_deref().unwrap_or_default()
            )));
        }
    };
    if let Some(namespace) = &access.namespace {
        config.default_namespace = namespace.clone();
    }
    let namespace = config.default_namespace.clone();
    let client = Client::try_from(config).map_err(|e| RouterError::Misconfigured(format!("kubernetes client: {e}")))?;
    Ok((client, namespace))
}

/// Exec plugins would otherwise share the terminal the cockpit draws on (their prompts and
/// warnings go to stderr): run them non-interactively, their output captured.
fn quiet_exec_plugins(kubeconfig: &mut Kubeconfig) {
    for named in &mut kubeconfig.auth_infos {
        if let Some(exec) = named.auth_info.as_mut().and_then(|a| a.exec.as_mut()) {
            exec.interactive_mode = Some(ExecInteractiveMode::Never);
        }
    }
}

/// The command line's `--context` and `--namespace` over the plan's.
pub fn overridden(plan: &ClusterAccess, context: Option<&str>, namespace: Option<&str>) -> ClusterAccess {
    ClusterAccess {
        context: context.map(str::to_string).or_else(|| plan.context.clone()),
        namespace: namespace.map(str::to_string).or_else(|| plan.namespace.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exec_plugins_never_prompt_on_the_cockpit_terminal() {
        let yaml = r#"
apiVersion: v1
kind: Config
users:
- name: cloud
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: cloud-login
      interactiveMode: IfAvailable
- name: plain
  user:
    token: abc
"#;
        let mut kubeconfig: Kubeconfig = serde_yaml::from_str(yaml).unwrap();
        quiet_exec_plugins(&mut kubeconfig);
        let exec = kubeconfig.auth_infos[0]
            .auth_info
            .as_ref()
            .unwrap()
            .exec
            .as_ref()
            .unwrap();
        assert_eq!(exec.interactive_mode, Some(ExecInteractiveMode::Never));
        assert!(kubeconfig.auth_infos[1].auth_info.as_ref().unwrap().exec.is_none());
    }

    #[test]
    fn the_command_line_wins_over_the_plan() {
        let plan = ClusterAccess {
            context: Some("staging".into()),
            namespace: Some("shop".into()),
        };
        let both = overridden(&plan, Some("prod"), None);
        assert_eq!(
            (both.context.as_deref(), both.namespace.as_deref()),
            (Some("prod"), Some("shop"))
        );
        assert_eq!(overridden(&plan, None, None), plan);
    }
}
