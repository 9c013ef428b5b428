//! [`RemoteErrorRegistry`]: remote exception classes a caller rebuilds as its own
//! error type, oslo's `allowed_remote_exmods` made typed.

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use crate::remote_error::{BUILTINS_MODULE, PY2_BUILTINS_MODULE, RemoteError};

/// Builds the caller's error from a remote one.
pub type RemoteErrorConstructor<E> = fn(&RemoteError) -> E;

/// The remote exception classes a caller knows, each with the constructor of its own
/// error type `E`.
///
/// A Python caller lists the modules whose exceptions it may rebuild
/// (`allowed_remote_exmods`, e.g. `nova.exception`) and gets the original class back;
/// any other class stays a generic `RemoteError`. Here the caller registers
/// `(module, class)` pairs with a constructor of its own type, usually one enum for a
/// service's errors, and [`map`](Self::map) gives `Some(E)` for a registered class
/// and `None` for anything else, which then stays a plain [`RemoteError`].
///
/// Python 2 named the built-in exceptions' module `exceptions` and Python 3
/// `builtins`; the registry treats both as one, as oslo does, so a built-in registered
/// under either name matches a peer on either Python.
///
/// # Examples
///
/// ```
/// use warren_core::{RemoteError, RemoteErrorRegistry};
///
/// #[derive(Debug, PartialEq)]
/// enum NovaError {
///     InstanceNotFound { message: String },
/// }
///
/// let registry = RemoteErrorRegistry::new().register(
///     "nova.exception",
///     "InstanceNotFound",
///     |e| NovaError::InstanceNotFound { message: e.message.clone() },
/// );
/// let remote = RemoteError::new("InstanceNotFound", "nova.exception", "Instance 42 could not be found.");
/// assert_eq!(
///     registry.map(&remote),
///     Some(NovaError::InstanceNotFound { message: "Instance 42 could not be found.".into() })
/// );
/// assert_eq!(registry.map(&RemoteError::value_error("bad")), None);
/// ```
pub struct RemoteErrorRegistry<E> {
    constructors: HashMap<(String, String), RemoteErrorConstructor<E>>,
}

/// The module name a class is registered and looked up under: Python 2's built-ins
/// module is Python 3's.
fn normalized(module: &str) -> &str {
    if module == PY2_BUILTINS_MODULE {
        BUILTINS_MODULE
    } else {
        module
    }
}

impl<E> RemoteErrorRegistry<E> {
    /// A registry that knows no class: every remote error stays generic.
    pub fn new() -> Self {
        Self {
            constructors: HashMap::new(),
        }
    }

    /// The same registry rebuilding `module.class` with `build`; a class registered
    /// twice keeps the last constructor.
    pub fn register(
        mut self,
        module: impl Into<String>,
        class: impl Into<String>,
        build: RemoteErrorConstructor<E>,
    ) -> Self {
        let module = module.into();
        let key = (normalized(&module).to_owned(), class.into());
        self.constructors.insert(key, build);
        self
    }

    /// Whether `error`'s class is registered.
    pub fn knows(&self, error: &RemoteError) -> bool {
        self.constructor(error).is_some()
    }

    /// The caller's error for `error` when its class is registered; `None` otherwise,
    /// and the caller keeps the generic [`RemoteError`].
    pub fn map(&self, error: &RemoteError) -> Option<E> {
        self.constructor(error).map(|build| build(error))
    }

    /// The modules that have a registered class: oslo's `allowed_remote_exmods`.
    pub fn allowed_modules(&self) -> BTreeSet<&str> {
        self.constructors.keys().map(|(m, _)| m.as_str()).collect()
    }

    fn constructor(&self, error: &RemoteError) -> Option<RemoteErrorConstructor<E>> {
        // A (String, String) key cannot be borrowed from two &str, so look up an
        // owned pair; remote errors are rare enough for the allocation not to matter.
        let key = (normalized(&error.module).to_owned(), error.class.clone());
        self.constructors.get(&key).copied()
    }
}

impl<E> Default for RemoteErrorRegistry<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> Clone for RemoteErrorRegistry<E> {
    // Derived Clone would demand `E: Clone`; only the constructors are copied.
    fn clone(&self) -> Self {
        Self {
            constructors: self.constructors.clone(),
        }
    }
}

impl<E> fmt::Debug for RemoteErrorRegistry<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut classes: Vec<String> = self
            .constructors
            .keys()
            .map(|(m, c)| format!("{m}.{c}"))
            .collect();
        classes.sort();
        f.debug_struct("RemoteErrorRegistry")
            .field("classes", &classes)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    enum Mine {
        NotFound(String),
        Key,
    }

    fn registry() -> RemoteErrorRegistry<Mine> {
        RemoteErrorRegistry::new()
            .register("nova.exception", "InstanceNotFound", |e| {
                Mine::NotFound(e.message.clone())
            })
            .register("exceptions", "KeyError", |_| Mine::Key)
    }

    #[test]
    fn registered_classes_map_and_others_stay_generic() {
        let r = registry();
        let found = RemoteError::new("InstanceNotFound", "nova.exception", "gone");
        assert_eq!(r.map(&found), Some(Mine::NotFound("gone".into())));
        assert!(r.knows(&found));
        // Same class, other module; same module, other class.
        assert_eq!(
            r.map(&RemoteError::new(
                "InstanceNotFound",
                "cinder.exception",
                "x"
            )),
            None
        );
        assert_eq!(
            r.map(&RemoteError::new("FlavorNotFound", "nova.exception", "x")),
            None
        );
        assert!(RemoteErrorRegistry::<Mine>::new().map(&found).is_none());
    }

    #[test]
    fn both_pythons_builtins_are_one_module() {
        let r = registry();
        assert_eq!(
            r.map(&RemoteError::new("KeyError", "builtins", "k")),
            Some(Mine::Key)
        );
        assert_eq!(
            r.map(&RemoteError::new("KeyError", "exceptions", "k")),
            Some(Mine::Key)
        );
        assert_eq!(
            r.allowed_modules().into_iter().collect::<Vec<_>>(),
            ["builtins", "nova.exception"]
        );
    }

    #[test]
    fn the_last_registration_wins_and_debug_lists_classes() {
        let r = registry().register("nova.exception", "InstanceNotFound", |_| Mine::Key);
        let found = RemoteError::new("InstanceNotFound", "nova.exception", "gone");
        assert_eq!(r.map(&found), Some(Mine::Key));
        assert_eq!(
            format!("{:?}", r.clone()),
            r#"RemoteErrorRegistry { classes: ["builtins.KeyError", "nova.exception.InstanceNotFound"] }"#
        );
    }
}
