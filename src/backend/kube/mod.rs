//! Routers on Kubernetes, one file each, and how they reach the cluster.

pub mod access;
pub mod access_review;
pub mod argo_rollouts;
pub mod argo_status;
pub mod deployer;
pub mod errors;
pub mod gateway_api;
pub mod istio;
pub mod lazy_api;
pub mod lease;
pub mod live;
pub mod permissions;
pub mod pod_readiness;
pub mod replicas;
pub mod rolling;
pub mod service_selector;
pub mod weight_router;
pub mod weights;
