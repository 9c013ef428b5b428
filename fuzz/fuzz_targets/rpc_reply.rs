//! An RPC reply delivery (content type, `version` header, expiration, body) read the way
//! the reply waiter reads it; see `src/lib.rs` for the input layout.
//!
//! Checks: no panic, hang or unbounded allocation; refused deliveries and bodies give
//! printable errors; an accepted reply re-encodes in JSON and msgpack and decodes back
//! to the same reply, and a failure prints.

#![no_main]

use libfuzzer_sys::fuzz_target;
use warren_core::RpcReply;
use warren_fuzz::{Delivery, check_round_trip};

fuzz_target!(|data: &[u8]| {
    let delivery = Delivery::from_input(data);
    let Some(serializer) = delivery.accepted_serializer() else {
        return;
    };
    let decoded = RpcReply::from_body(serializer, delivery.body);
    if let Ok(RpcReply::Failure(remote)) = &decoded {
        let _ = (
            remote.to_string(),
            remote.traceback_text(),
            remote.is_builtin(),
        );
    }
    check_round_trip(decoded, RpcReply::to_body, RpcReply::from_body);
});
