//! Random values for property tests of the wire format.

use proptest::prelude::*;
use serde_json::{Map, Value};

use crate::context::Context;

/// Any JSON value warren can carry: finite floats only, nesting a few levels deep.
pub(crate) fn arb_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".*".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(".*", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A map of random keys to random values.
pub(crate) fn arb_map() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::btree_map(".*", arb_value(), 0..5).prop_map(|m| m.into_iter().collect())
}

/// A random context.
pub(crate) fn arb_context() -> impl Strategy<Value = Context> {
    arb_map().prop_map(Context::from)
}
