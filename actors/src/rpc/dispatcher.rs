//! [`Dispatcher`]: picks the endpoint method for a request, by oslo's rules.

use futures_util::future::LocalBoxFuture;
use serde_json::Value;
use warren_core::{
    AccessPolicy, DispatchError, EndpointInfo, RemoteError, RpcRequest, Version, select_endpoint,
};

use super::endpoint::{Endpoint, MethodResult};

/// The endpoints of one server, in the order given (the first match wins).
pub(crate) struct Dispatcher {
    endpoints: Vec<Endpoint>,
    infos: Vec<EndpointInfo>,
}

impl Dispatcher {
    /// The dispatcher for `endpoints`; fails on an endpoint version that is not `X.Y`.
    pub(crate) fn new(endpoints: Vec<Endpoint>) -> Result<Self, String> {
        let mut infos = Vec::with_capacity(endpoints.len());
        for e in &endpoints {
            let version: Version = e
                .version
                .parse()
                .map_err(|err| format!("endpoint version {:?}: {err}", e.version))?;
            let mut info = EndpointInfo::new(e.methods.keys().cloned()).with_version(version);
            if let Some(ns) = &e.namespace {
                info = info.with_namespace(ns.clone());
            }
            infos.push(info);
        }
        Ok(Self { endpoints, infos })
    }

    /// Run the request's method, or answer with the remote error Python would send
    /// (`NoSuchMethod`, `UnsupportedVersion`).
    pub(crate) fn dispatch(
        &self,
        request: RpcRequest,
    ) -> LocalBoxFuture<'static, MethodResult<Value>> {
        let chosen = select_endpoint(
            &self.infos,
            AccessPolicy::default(),
            &request.method,
            request.namespace.as_deref(),
            request.version.as_deref(),
        );
        match chosen {
            Ok(index) => {
                let method = self
                    .endpoints
                    .get(index)
                    .and_then(|e| e.methods.get(&request.method))
                    .cloned();
                match method {
                    Some(method) => method(request.context, request.args),
                    // select_endpoint only picks endpoints that have the method.
                    None => {
                        let remote = RemoteError::no_such_method(&request.method);
                        Box::pin(async move { Err(remote) })
                    }
                }
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
