//! Reaching a cluster as kubectl does: KUBECONFIG (several files, merged), else
//! ~/.kube/config, else the in-cluster service account; a context and a namespace from the
//! plan or the command line. Exec credential plugins (cloud logins) run with their output
//! captured, never on the cockpit's screen: a login that needs a person is done first,
//! with kubectl.

use std::ffi::OsString;
use std::path::PathBuf;

use kube::config::{ExecInteractiveMode, KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};

use crate::backend::RouterError;
use crate::plan::ClusterAccess;

/// A client for the cluster `access` names, and the namespace its objects live in.
pub async fn connect(access: &ClusterAccess) -> Result<(Client, String), RouterError> {
    let paths = kubeconfig_paths(std::env::var_os("KUBECONFIG"), std::env::var_os("HOME"));
    check_files(&paths)?;
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
    // shipdeck retries by itself, with its own deadlines (rollback until acknowledged,
    // watches with backoff): kube's own retries of a 503 would hide an outage for minutes.
    config.default_retry = false;
    let client = Client::try_from(config).map_err(|e| RouterError::Misconfigured(format!("kubernetes client: {e}")))?;
    Ok((client, namespace))
}

/// The largest kubeconfig read: kubeconfigs with many clusters are a few hundred KiB.
const KUBECONFIG_BYTES: u64 = 16 << 20;

/// The files kubectl would read: each in `KUBECONFIG`, else `~/.kube/config`.
fn kubeconfig_paths(kubeconfig: Option<OsString>, home: Option<OsString>) -> Vec<PathBuf> {
    match kubeconfig.filter(|v| !v.is_empty()) {
        Some(list) => std::env::split_paths(&list)
            .filter(|p| !p.as_os_str().is_empty())
            .collect(),
        None => home
            .map(|h| PathBuf::from(h).join(".kube/config"))
            .into_iter()
            .collect(),
    }
}

/// Every file is read as plans are: a regular file of a bounded size (a pipe or a device
/// could block for ever or fill the memory). Missing files are left to kube's own words.
fn check_files(paths: &[PathBuf]) -> Result<(), RouterError> {
    for path in paths {
        let Ok(meta) = std::fs::metadata(path) else {
            continue;
        };
        let problem = if !meta.is_file() {
            Some("is not a regular file (a device, pipe or socket?)".to_string())
        } else if meta.len() > KUBECONFIG_BYTES {
            Some(format!(
                "is {} bytes, more than the 16 MiB a kubeconfig may be",
                meta.len()
            ))
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(RouterError::Misconfigured(format!(
                "kubeconfig {} {problem}",
                path.display()
            )));
        }
    }
    Ok(())
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
    fn kubeconfig_files_are_found_as_kubectl_finds_them_and_read_only_when_sane() {
        let listed = kubeconfig_paths(Some("/a/one:/b/two::".into()), Some("/home/ana".into()));
        assert_eq!(listed, [PathBuf::from("/a/one"), PathBuf::from("/b/two")]);
        let home = kubeconfig_paths(None, Some("/home/ana".into()));
        assert_eq!(home, [PathBuf::from("/home/ana/.kube/config")]);
        assert_eq!(kubeconfig_paths(Some("".into()), None), Vec::<PathBuf>::new());

        let err = check_files(&[PathBuf::from("/dev/zero")]).unwrap_err().to_string();
        assert!(err.contains("kubeconfig /dev/zero is not a regular file"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let huge = dir.path().join("config");
        std::fs::File::create(&huge).unwrap().set_len(17 << 20).unwrap();
        let err = check_files(&[huge]).unwrap_err().to_string();
        assert!(err.contains("more than the 16 MiB"), "{err}");
        assert!(
            check_files(&[dir.path().join("missing")]).is_ok(),
            "left to kube's words"
        );
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
