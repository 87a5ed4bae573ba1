//! One TLS crypto provider for every client (reqwest for Prometheus, kube for clusters),
//! chosen once at start: with more than one linked and none chosen, rustls panics at the
//! first connection.

/// Installs aws-lc-rs as the process's provider; a second call changes nothing.
pub fn choose_crypto_provider() {
    // Err means a provider is already installed: the first choice stands.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}
