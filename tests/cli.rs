//! The binary's command line: exit codes and messages a script can rely on.

use std::process::Command;

fn shipdeck(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_shipdeck"))
        .args(args)
        .output()
        .expect("run shipdeck")
}

#[test]
fn check_accepts_every_shipped_plan_with_one_line_each() {
    let out = shipdeck(&[
        "check",
        "plans/canary.yaml",
        "plans/blue-green.yaml",
        "plans/rolling.yaml",
        "plans/hotfix.yaml",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 4);
}

#[test]
fn check_rejects_a_bad_plan_with_located_lines_and_exit_2() {
    let dir = std::env::temp_dir().join(format!("shipdeck-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("typo.yaml");
    let text = std::fs::read_to_string("plans/canary.yaml")
        .unwrap()
        .replace("weight: 25", "wieght: 25");
    std::fs::write(&bad, text).unwrap();
    let out = shipdeck(&["check", bad.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(err.contains("typo.yaml:") && err.contains("wieght"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn an_unwritable_journal_is_an_error_before_anything_starts() {
    let out = shipdeck(&["demo", "--headless", "--journal", "/proc/shipdeck/j.jsonl"]);
    assert_ne!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot write the journal /proc/shipdeck/j.jsonl"), "{err}");
    assert!(err.contains("--journal"), "says what to do: {err}");
}

#[test]
fn an_unknown_scenario_is_refused_with_the_choices() {
    let out = shipdeck(&["demo", "--scenario", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad-canary"));
}

#[test]
fn options_show_only_where_they_mean_something_and_arguments_have_help() {
    let text = |out: std::process::Output| String::from_utf8_lossy(&out.stdout).into_owned();
    for cmd in ["check", "judge"] {
        let help = text(shipdeck(&[cmd, "--help"]));
        for release_only in ["--journal", "--theme", "--log-dir"] {
            assert!(
                !help.contains(release_only),
                "{cmd} --help lists {release_only}:\n{help}"
            );
        }
    }
    let run = text(shipdeck(&["run", "--help"]));
    assert!(run.contains("--journal") && run.contains("--headless"), "{run}");
    assert!(run.contains("The release plan"), "<PLAN> has help:\n{run}");
    assert!(text(shipdeck(&["check", "--help"])).contains("Plan files"));
}

#[test]
fn a_plan_that_does_not_load_is_reported_once() {
    let out = shipdeck(&["run", "tests/fixtures/typo_key.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.matches("wieght").count(), 1, "{err}");
    assert!(
        !err.contains("shipdeck check"),
        "no second command that prints the same: {err}"
    );
}

#[test]
fn judge_figures_have_the_precision_of_its_reason() {
    let dir = std::env::temp_dir().join(format!("shipdeck-judge-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let control = dir.join("c.txt");
    let experiment = dir.join("e.txt");
    std::fs::write(&control, (1..=10).map(|v| format!("{v}\n")).collect::<String>()).unwrap();
    std::fs::write(&experiment, (11..=20).map(|v| format!("{v}\n")).collect::<String>()).unwrap();
    let out = shipdeck(&[
        "judge",
        "--control",
        control.to_str().unwrap(),
        "--experiment",
        experiment.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("98% interval [6, 14]"), "{text}");
    assert!(text.contains("reason     interval [6, 14]"), "{text}");
    assert!(text.contains("p-value    0.0001827"), "{text}");
    std::fs::remove_dir_all(dir).unwrap();
}

/// `rbac` prints a Role with only the objects the plan names and only get and patch, and a
/// RoleBinding for each subject given; both parse as the Kubernetes types they claim.
#[test]
fn rbac_prints_the_least_role_each_kubernetes_plan_needs() {
    use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
    use serde::Deserialize;
    // (plan, group, resource, names, verbs) of the rule the router drives through.
    let cases = [
        (
            "plans/k8s-gateway-canary.yaml",
            "gateway.networking.k8s.io",
            "httproutes",
            vec!["checkout"],
            vec!["get", "patch", "list", "watch"],
        ),
        (
            "plans/k8s-istio-canary.yaml",
            "networking.istio.io",
            "virtualservices",
            vec!["checkout"],
            vec!["get", "patch", "list", "watch"],
        ),
        (
            "plans/k8s-replicas-canary.yaml",
            "apps",
            "deployments/scale",
            vec!["checkout-stable", "checkout-canary"],
            vec!["get", "patch"],
        ),
        (
            "plans/k8s-blue-green.yaml",
            "",
            "services",
            vec!["billing"],
            vec!["get", "patch", "list", "watch"],
        ),
        // The Deployment it rolls is also the one it deploys to: one rule.
        (
            "plans/k8s-rolling.yaml",
            "apps",
            "deployments",
            vec!["checkout"],
            vec!["get", "patch", "list", "watch"],
        ),
        (
            "plans/argo-rollout.yaml",
            "argoproj.io",
            "rollouts",
            vec!["checkout"],
            vec!["get", "patch", "list", "watch"],
        ),
    ];
    for (plan, group, resource, names, verbs) in cases {
        let out = shipdeck(&["rbac", plan, "--user", "ana@example.com", "--service-account", "ci"]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{plan}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut docs = serde_yaml::Deserializer::from_str(&text);
        let role = Role::deserialize(docs.next().unwrap()).unwrap();
        let binding = RoleBinding::deserialize(docs.next().unwrap()).unwrap();
        let rules = role.rules.unwrap();
        let find = |resource: &str| {
            rules
                .iter()
                .filter(|r| r.resources.as_deref() == Some(&[resource.to_string()][..]))
                .collect::<Vec<_>>()
        };
        // The router's own object: only the objects the plan names.
        let router = find(resource);
        assert_eq!(router.len(), 1, "{plan}: {rules:?}");
        assert_eq!(
            router[0].api_groups.as_deref(),
            Some(&[group.to_string()][..]),
            "{plan}"
        );
        let named: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        assert_eq!(router[0].resource_names.as_ref(), Some(&named), "{plan}");
        assert_eq!(router[0].verbs, verbs, "{plan}");
        // Nothing anywhere may delete, and only Leases may be created.
        for rule in &rules {
            assert!(
                !rule.verbs.iter().any(|v| v == "delete" || v == "update" || v == "*"),
                "{plan}: {rule:?}"
            );
            if rule.verbs.iter().any(|v| v == "create") {
                assert_eq!(rule.resources.as_deref(), Some(&["leases".to_string()][..]), "{plan}");
            }
        }
        // The Deployments a stage sets an image on: named, get and patch only.
        let deployed: &[&str] = match plan {
            "plans/k8s-replicas-canary.yaml" => &["checkout-canary"],
            "plans/k8s-blue-green.yaml" => &["billing-green"],
            _ => &[],
        };
        if !deployed.is_empty() {
            let deployments = find("deployments");
            let names: Vec<String> = deployed.iter().map(|n| n.to_string()).collect();
            assert!(
                deployments
                    .iter()
                    .any(|r| r.resource_names.as_ref() == Some(&names) && r.verbs == ["get", "patch"]),
                "{plan}: {deployments:?}"
            );
        }
        // The Lease that says who drives the target: named for get and patch, unnamed for
        // create (RBAC cannot name what does not exist yet).
        let leases = find("leases");
        assert_eq!(leases.len(), 2, "{plan}");
        assert_eq!(leases[0].verbs, ["get", "patch"]);
        assert!(leases[0].resource_names.as_ref().unwrap()[0].starts_with("shipdeck-"));
        assert_eq!(
            (leases[1].verbs.clone(), leases[1].resource_names.clone()),
            (vec!["create".to_string()], None)
        );
        assert_eq!(binding.role_ref.name, role.metadata.name.unwrap(), "{plan}");
        let subjects = binding.subjects.unwrap();
        assert_eq!(
            (subjects[0].kind.as_str(), subjects[1].kind.as_str()),
            ("User", "ServiceAccount")
        );
    }
    // Not on Kubernetes: nothing to grant, and said so.
    let out = shipdeck(&["rbac", "plans/haproxy-canary.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("router haproxy is not on Kubernetes"));
}
