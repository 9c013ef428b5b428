//! [`Endpoint`]: a set of RPC methods a server exposes, with typed arguments and
//! results, plus the oslo endpoint target (namespace and version) they answer for.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

use futures_util::FutureExt;
use futures_util::future::LocalBoxFuture;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use warren_core::{Context, EntitySerializer, RemoteError};

/// What an endpoint method returns: its result, or the error the caller will see as a
/// remote exception (class, module, message).
pub type MethodResult<T> = Result<T, RemoteError>;

/// A method call whose arguments were read: running it builds the method's future.
pub(crate) type Ready = Box<dyn FnOnce() -> LocalBoxFuture<'static, MethodResult<Value>>>;

/// A method: reads the arguments into the method's own type, or says why they do not
/// fit. Reading and running are two steps so that a request whose arguments do not
/// fit is known as such before anything of the endpoint runs.
pub(crate) type Method =
    Arc<dyn Fn(Context, Map<String, Value>) -> Result<Ready, RemoteError> + Send + Sync>;

/// A group of RPC methods, like an oslo.messaging endpoint object.
///
/// Each method takes the request context and its arguments as one serde type whose
/// fields are the keyword arguments the caller sends (a Python client calls
/// `client.call(ctxt, "add", a=1, b=2)`; here `#[derive(Deserialize)] struct Add { a:
/// i64, b: i64 }`). Methods run on the server actor's arbiter, concurrently.
///
/// # Examples
///
/// ```
/// use serde::Deserialize;
/// use warren::{Endpoint, RemoteError};
///
/// #[derive(Deserialize)]
/// struct Add { a: i64, b: i64 }
///
/// let endpoint = Endpoint::new()
///     .with_version("1.2")
///     .method("add", |_ctx, args: Add| async move { Ok::<_, RemoteError>(args.a + args.b) });
/// assert!(endpoint.has_method("add"));
/// ```
#[derive(Clone)]
pub struct Endpoint {
    pub(crate) namespace: Option<String>,
    pub(crate) version: String,
    pub(crate) methods: BTreeMap<String, Method>,
    /// `None` for [`NoOpSerializer`](warren_core::NoOpSerializer)'s behaviour, without its per-request work (the
    /// arguments rebuilt, the result wrapped in another future).
    pub(crate) serializer: Option<Arc<dyn EntitySerializer>>,
}

impl Default for Endpoint {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("namespace", &self.namespace)
            .field("version", &self.version)
            .field("methods", &self.methods.keys().collect::<Vec<_>>())
            .field("serializer", &self.serializer)
            .finish()
    }
}

impl Endpoint {
    /// An endpoint in the null namespace at version `1.0`, with no methods.
    pub fn new() -> Self {
        Self {
            namespace: None,
            version: "1.0".to_owned(),
            methods: BTreeMap::new(),
            serializer: None,
        }
    }

    /// The namespace requests must name to reach this endpoint.
    pub fn with_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = Some(namespace.into());
        self
    }

    /// The API version `X.Y` this endpoint implements; requests for the same major
    /// and a minor up to this one are accepted.
    pub fn with_version(mut self, version: impl Into<String>) -> Self {
        self.version = version.into();
        self
    }

    /// The same endpoint applying `serializer` to each request: its context and
    /// arguments are deserialized before the method sees them, and the method's
    /// result is serialized before it is sent back. A refusal reaches the caller as a
    /// remote `ValueError`. The default, [`NoOpSerializer`](warren_core::NoOpSerializer), changes nothing.
    ///
    /// oslo gives the serializer to the server; here each endpoint carries its own, so
    /// give every endpoint of a server the same one for oslo's behaviour.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use warren::{Context, EntityError, EntitySerializer, Endpoint, RemoteError};
    ///
    /// /// Refuses requests that carry no user.
    /// #[derive(Debug)]
    /// struct RequireUser;
    ///
    /// impl EntitySerializer for RequireUser {
    ///     fn deserialize_context(&self, ctx: Context) -> Result<Context, EntityError> {
    ///         match ctx.get("user_id") {
    ///             Some(_) => Ok(ctx),
    ///             None => Err(EntityError::new("the request context has no user_id")),
    ///         }
    ///     }
    /// }
    ///
    /// let endpoint = Endpoint::new()
    ///     .with_serializer(Arc::new(RequireUser))
    ///     .method("whoami", |ctx: Context, _: serde_json::Value| async move {
    ///         Ok::<_, RemoteError>(ctx.get("user_id").cloned())
    ///     });
    /// # let _ = endpoint;
    /// ```
    pub fn with_serializer(mut self, serializer: Arc<dyn EntitySerializer>) -> Self {
        self.serializer = Some(serializer);
        self
    }

    /// Add the method `name`. Its arguments are deserialized from the request's
    /// keyword arguments; a mismatch is answered with a remote `TypeError`, as a
    /// Python server would.
    pub fn method<A, R, F, Fut>(mut self, name: impl Into<String>, f: F) -> Self
    where
        A: DeserializeOwned + 'static,
        R: Serialize + 'static,
        F: Fn(Context, A) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = MethodResult<R>> + 'static,
    {
        let name = name.into();
        let method_name = name.clone();
        let f = Arc::new(f);
        let method: Method = Arc::new(move |ctx: Context, args: Map<String, Value>| {
            let args: A = serde_json::from_value(Value::Object(args)).map_err(|e| {
                RemoteError::type_error(format!("{method_name}() got bad arguments: {e}"))
            })?;
            let f = f.clone();
            let ready: Ready = Box::new(move || {
                let fut = f(ctx, args);
                async move {
                    let result = fut.await?;
                    serde_json::to_value(result).map_err(|e| {
                        RemoteError::type_error(format!("the result could not be serialized: {e}"))
                    })
                }
                .boxed_local()
            });
            Ok(ready)
        });
        self.methods.insert(name, method);
        self
    }

    /// Whether a method of that name was added.
    pub fn has_method(&self, name: &str) -> bool {
        self.methods.contains_key(name)
    }
}
