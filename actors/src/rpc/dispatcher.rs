//! [`Dispatcher`]: picks the endpoint method for a request, by oslo's rules.

use futures_util::future::LocalBoxFuture;
use serde_json::Value;
use warren_core::{DispatchError, EndpointInfo, RemoteError, RpcRequest, select_endpoint};

use super::endpoint::{Endpoint, MethodResult};

/// The endpoints of one server, in the order given (the first match wins).
pub(crate) struct Dispatcher {
    endpoints: Vec<Endpoint>,
    infos: Vec<EndpointInfo>,
}

impl Dispatcher {
    pub(crate) fn new(endpoints: Vec<Endpoint>) -> Self {
        let infos = endpoints
            .iter()
            .map(|e| EndpointInfo {
                namespace: e.namespace.clone(),
                version: e.version.clone(),
                methods: e.methods.keys().cloned().collect(),
            })
            .collect();
        Self { endpoints, infos }
    }

    /// Run the request's method, or answer with the remote error Python would send
    /// (`NoSuchMethod`, `UnsupportedVersion`).
    pub(crate) fn dispatch(&self, request: RpcRequest) -> LocalBoxFuture<'static, MethodResult<Value>> {
        let version = request.version.clone().unwrap_or_else(|| "1.0".to_owned());
        let chosen = select_endpoint(&self.infos, &request.method, request.namespace.as_deref(), &version);
        match chosen {
            Ok(index) => {
                let method = self.endpoints[index].methods[&request.method].clone();
                method(request.context, request.args)
            }
            Err(e) => {
                let remote = match e {
                    DispatchError::NoSuchMethod { method } => RemoteError::no_such_method(&method),
                    DispatchError::UnsupportedVersion { version, method } => {
                        RemoteError::unsupported_version(&version, &method)
                    }
                    other => RemoteError::value_error(other.to_string()),
                };
                Box::pin(async move { Err(remote) })
            }
        }
    }
}
