//! The Istio router: one HTTP route of a VirtualService splits traffic between the stable
//! and the canary destination (two subsets of a host, or two hosts) by their weights
//! (`weight_router.rs` sends the patch).

use kube::core::{ApiResource, GroupVersionKind};
use serde_json::{Value, json};

use super::weight_router::{WeightRouter, WeightedObject};
use super::weights::{Entries, Split};
use crate::backend::RouterError;
use crate::plan::{IstioDestination, IstioTarget, Weight};

/// VirtualService, as the API server serves it (networking.istio.io/v1, Istio 1.22 on).
pub fn virtual_service() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("networking.istio.io", "v1", "VirtualService"),
        "virtualservices",
    )
}

/// The plan's HTTP route of a VirtualService, as a weighted object.
pub struct VirtualServiceSplit(pub IstioTarget);

/// Drives one HTTP route of a VirtualService.
pub type IstioRouter = WeightRouter<VirtualServiceSplit>;

fn identity(d: &IstioDestination) -> Vec<(&'static str, Value)> {
    let mut id = vec![("/destination/host", json!(d.host))];
    if let Some(subset) = &d.subset {
        id.push(("/destination/subset", json!(subset)));
    }
    id
}

impl VirtualServiceSplit {
    /// Which HTTP route: the one named in the plan, else the first.
    fn route_index(&self, object: &Value) -> Result<usize, RouterError> {
        let name = self.0.virtual_service.as_str();
        let routes = object.pointer("/spec/http").and_then(Value::as_array);
        let Some(routes) = routes.filter(|r| !r.is_empty()) else {
            return Err(RouterError::Misconfigured(format!(
                "VirtualService {name} has no http routes"
            )));
        };
        match &self.0.route {
            None => Ok(0),
            Some(wanted) => routes
                .iter()
                .position(|r| r.get("name").and_then(Value::as_str) == Some(wanted))
                .ok_or_else(|| {
                    RouterError::Misconfigured(format!(
                        "VirtualService {name} has no http route named `{wanted}`: check `target.istio.route`"
                    ))
                }),
        }
    }

    fn entries(&self, index: usize) -> Entries<'static> {
        let route = self
            .0
            .route
            .as_deref()
            .map_or_else(|| format!("http route {index}"), |r| format!("http route `{r}`"));
        Entries {
            pointer: format!("/spec/http/{index}/route"),
            stable: identity(&self.0.stable),
            canary: identity(&self.0.canary),
            // Istio: a destination without a weight gets none of a split route's traffic.
            default_weight: 0,
            place: format!("VirtualService {} {route}", self.0.virtual_service),
            entry: "destination",
        }
    }
}

impl WeightedObject for VirtualServiceSplit {
    fn resource(&self) -> ApiResource {
        virtual_service()
    }

    fn name(&self) -> &str {
        &self.0.virtual_service
    }

    fn split(&self, object: &Value) -> Result<Split, RouterError> {
        let index = self.route_index(object)?;
        self.entries(index)
            .split(object, &self.0.stable.to_string(), &self.0.canary.to_string())
    }

    fn patch(&self, object: &Value, split: &Split, weight: Weight) -> Value {
        let index = self.route_index(object).unwrap_or(0);
        // A named route is guarded too: routes reordered since the read refuse the patch.
        let guards: Vec<(String, Value)> = self
            .0
            .route
            .iter()
            .map(|name| (format!("/spec/http/{index}/name"), json!(name)))
            .collect();
        self.entries(index).patch(split, &guards, weight)
    }
}
