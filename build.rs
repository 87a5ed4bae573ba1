//! Tells the real-stack tests whether HAProxy and Prometheus are installed. Where one is
//! missing its tests compile as ignored, with the reason, so `cargo test` reports them
//! as not run instead of counting them as passed. `SHIPDECK_E2E=1` (CI) demands both:
//! the build fails naming what is missing. The full-disk tests likewise need root. The
//! product itself does not look at these.
use std::path::{Path, PathBuf};

/// (cfg set when missing, the binary, the env variable naming another one, how to install)
const STACK: [(&str, &str, &str, &str); 2] = [
    (
        "no_haproxy",
        "/usr/sbin/haproxy",
        "SHIPDECK_HAPROXY",
        "apt-get install haproxy",
    ),
    (
        "no_prometheus",
        "/usr/bin/prometheus",
        "SHIPDECK_PROMETHEUS",
        "apt-get install prometheus",
    ),
];

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=SHIPDECK_E2E");
    let required = std::env::var("SHIPDECK_E2E").as_deref() == Ok("1");
    for (cfg, default, var, install) in STACK {
        println!("cargo::rustc-check-cfg=cfg({cfg})");
        println!("cargo::rerun-if-env-changed={var}");
        let bin = std::env::var_os(var).map_or_else(|| PathBuf::from(default), PathBuf::from);
        // The folder, not the file: a missing file would rerun this script on every build.
        if let Some(dir) = bin.parent().filter(|d| d.is_dir()) {
            println!("cargo::rerun-if-changed={}", dir.display());
        }
        if is_file(&bin) {
            continue;
        }
        if required {
            panic!(
                "SHIPDECK_E2E=1 requires {} ({install}), but it does not exist",
                bin.display()
            );
        }
        println!("cargo::rustc-cfg={cfg}");
    }
    // The Kubernetes tests read the real CRD schemas and objects in place, beside the
    // repository (../shared/k8s, or SHIPDECK_K8S_DATA); without them they are ignored.
    println!("cargo::rustc-check-cfg=cfg(no_k8s_data)");
    println!("cargo::rerun-if-env-changed=SHIPDECK_K8S_DATA");
    let k8s = std::env::var_os("SHIPDECK_K8S_DATA").map_or_else(|| PathBuf::from("../shared/k8s"), PathBuf::from);
    if !k8s.join("crds").is_dir() {
        println!("cargo::rustc-cfg=no_k8s_data");
    }
    // The full-disk tests mount a small tmpfs, which takes root.
    println!("cargo::rustc-check-cfg=cfg(not_root)");
    if !is_root() {
        println!("cargo::rustc-cfg=not_root");
    }
}

/// Whether this runs with effective user id 0, from /proc (no libc in a build script).
fn is_root() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let uids = status.lines().find_map(|l| l.strip_prefix("Uid:"));
    uids.and_then(|u| u.split_whitespace().nth(1)) == Some("0")
}

fn is_file(path: &Path) -> bool {
    path.metadata().is_ok_and(|m| m.is_file())
}
