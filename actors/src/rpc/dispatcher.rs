//! [`Dispatcher`]: picks the endpoint method for a request, by oslo's rules.

use futures_util::FutureExt;
use serde_json::Map;
use warren_core::{
    AccessPolicy, DispatchError, EndpointInfo, EntityError, RemoteError, RpcRequest, Version,
    select_endpoint,
};

use super::endpoint::{Endpoint, Ready};

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

    /// The call of the request's method, arguments read, ready to run; or the remote
    /// error Python would send without running anything (`NoSuchMethod`,
    /// `UnsupportedVersion`, a `TypeError` for arguments that do not fit the method,
    /// a `ValueError` when the endpoint's serializer refuses the context or an
    /// argument).
    ///
    /// The endpoint's serializer runs in oslo's order: the context, then each
    /// argument, before the method; its result after.
    pub(crate) fn prepare(&self, request: RpcRequest) -> Result<Ready, RemoteError> {
        let index = select_endpoint(
            &self.infos,
            AccessPolicy::default(),
            &request.method,
            request.namespace.as_deref(),
            request.version.as_deref(),
        )
        .map_err(|e| match e {
            DispatchError::NoSuchMethod { method } => RemoteError::no_such_method(&method),
            DispatchError::UnsupportedVersion { version, method } => {
                RemoteError::unsupported_version(&version, &method)
            }
            other => RemoteError::value_error(other.to_string()),
        })?;
        let (endpoint, method) = self
            .endpoints
            .get(index)
            .and_then(|e| e.methods.get(&request.method).map(|m| (e, m)))
            // select_endpoint only picks endpoints that have the method.
            .ok_or_else(|| RemoteError::no_such_method(&request.method))?;
        let serializer = endpoint.serializer.clone();
        let context = serializer.deserialize_context(request.context)?;
        let args = request
            .args
            .into_iter()
            .map(|(name, arg)| Ok((name, serializer.deserialize_entity(&context, arg)?)))
            .collect::<Result<Map<_, _>, EntityError>>()?;
        let run = method(context.clone(), args)?;
        Ok(Box::new(move || {
            let running = run();
            async move {
                let result = running.await?;
                Ok(serializer.serialize_entity(&context, result)?)
            }
            .boxed_local()
        }))
    }
}
