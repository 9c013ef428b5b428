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
        let Some(serializer) = endpoint.serializer.clone() else {
            return method(request.context, request.args);
        };
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

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use serde_json::{Value, json};
    use warren_core::{Context, EntitySerializer};

    use super::*;

    /// Records each hook it runs, in order; adds 1 to numbers on the way in and 100 on
    /// the way out so the test sees which value went through which hook.
    #[derive(Debug, Default)]
    struct Recording {
        // A unit test's own log, not state shared between actors.
        hooks: Mutex<Vec<&'static str>>,
    }

    impl Recording {
        fn log(&self, hook: &'static str) {
            self.hooks
                .lock()
                .expect("no test thread panicked")
                .push(hook);
        }
    }

    impl EntitySerializer for Recording {
        fn serialize_entity(&self, ctx: &Context, entity: Value) -> Result<Value, EntityError> {
            self.log("serialize_entity");
            assert_eq!(ctx.get("deserialized"), Some(&json!(true)));
            Ok(json!(entity.as_i64().unwrap_or_default() + 100))
        }

        fn deserialize_entity(&self, ctx: &Context, entity: Value) -> Result<Value, EntityError> {
            self.log("deserialize_entity");
            assert_eq!(ctx.get("deserialized"), Some(&json!(true)));
            match entity.as_i64() {
                Some(n) => Ok(json!(n + 1)),
                None => Err(EntityError::new("not a number")),
            }
        }

        fn deserialize_context(&self, ctx: Context) -> Result<Context, EntityError> {
            self.log("deserialize_context");
            Ok(ctx.with("deserialized", true))
        }
    }

    #[derive(serde::Deserialize)]
    struct Add {
        a: i64,
        b: i64,
    }

    fn dispatcher(serializer: Arc<Recording>) -> Dispatcher {
        let endpoint = Endpoint::new().with_serializer(serializer).method(
            "add",
            |ctx: Context, args: Add| async move {
                assert_eq!(ctx.get("deserialized"), Some(&json!(true)));
                Ok::<_, RemoteError>(args.a + args.b)
            },
        );
        Dispatcher::new(vec![endpoint]).expect("a valid endpoint")
    }

    fn request(args: Value) -> RpcRequest {
        RpcRequest {
            method: "add".into(),
            args: args.as_object().cloned().unwrap_or_default(),
            namespace: None,
            version: None,
            context: Context::new().with("user_id", "u1"),
        }
    }

    #[tokio::test]
    async fn the_endpoint_serializer_runs_in_oslos_order() {
        let serializer = Arc::new(Recording::default());
        let run = dispatcher(serializer.clone())
            .prepare(request(json!({"a": 1, "b": 2})))
            .expect("the request fits");
        // Arguments 2 and 3 after deserializing; the result 5 serialized to 105.
        assert_eq!(run().await, Ok(json!(105)));
        let hooks = serializer.hooks.lock().expect("no test thread panicked");
        assert_eq!(
            *hooks,
            [
                "deserialize_context",
                "deserialize_entity",
                "deserialize_entity",
                "serialize_entity"
            ]
        );
    }

    #[test]
    fn a_refused_argument_is_a_value_error_before_the_method_runs() {
        let serializer = Arc::new(Recording::default());
        let refused = dispatcher(serializer)
            .prepare(request(json!({"a": "one", "b": 2})))
            .err()
            .expect("the serializer refuses");
        assert_eq!(refused.class, "ValueError");
        assert!(refused.message.ends_with("not a number"), "{refused:?}");
    }
}
