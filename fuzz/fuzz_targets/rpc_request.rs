//! An RPC request delivery (content type, `version` header, expiration, body) read the
//! way an RPC server reads it; see `src/lib.rs` for the input layout.
//!
//! Checks: no panic, hang or unbounded allocation; refused deliveries and bodies give
//! printable errors; an accepted request re-encodes in JSON and msgpack and decodes back
//! to the same request.

#![no_main]

use libfuzzer_sys::fuzz_target;
use warren_core::RpcRequest;
use warren_fuzz::{Delivery, check_round_trip};

fuzz_target!(|data: &[u8]| {
    let delivery = Delivery::from_input(data);
    let Some(serializer) = delivery.accepted_serializer() else {
        return;
    };
    let decoded = RpcRequest::from_body(serializer, delivery.body);
    if let Ok(request) = &decoded {
        // What a server does next with the arguments.
        let _ = request.args_as::<serde_json::Value>();
    }
    check_round_trip(decoded, RpcRequest::to_body, RpcRequest::from_body);
});
