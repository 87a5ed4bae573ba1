//! A namespaced API handle made on first use, inside the runtime: a router is built before
//! the runtime starts, and a cluster that cannot be reached is reported at the first call
//! like any other router error, never as a failure to start.

use kube::{Api, Client};

use super::access;
use crate::backend::RouterError;
use crate::plan::ClusterAccess;

type MakeApi<K> = Box<dyn Fn(Client, &str) -> Api<K> + Send + Sync>;

pub struct LazyApi<K> {
    access: ClusterAccess,
    api: Option<Api<K>>,
    make: MakeApi<K>,
}

impl<K: Clone> LazyApi<K> {
    /// An API reached through `access` on first use; `make` names the resource.
    pub fn new(access: ClusterAccess, make: impl Fn(Client, &str) -> Api<K> + Send + Sync + 'static) -> LazyApi<K> {
        LazyApi {
            access,
            api: None,
            make: Box::new(make),
        }
    }

    /// An API on a client already made (tests: kube's mock service).
    pub fn made(
        client: Client,
        namespace: &str,
        make: impl Fn(Client, &str) -> Api<K> + Send + Sync + 'static,
    ) -> LazyApi<K> {
        LazyApi {
            access: ClusterAccess::default(),
            api: Some(make(client, namespace)),
            make: Box::new(make),
        }
    }

    pub async fn get(&mut self) -> Result<Api<K>, RouterError> {
        if let Some(api) = &self.api {
            return Ok(api.clone());
        }
        let (client, namespace) = access::connect(&self.access).await?;
        let api = (self.make)(client, &namespace);
        self.api = Some(api.clone());
        Ok(api)
    }
}
