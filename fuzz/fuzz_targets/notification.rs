//! A notification delivery (content type, `version` header, expiration, body) read the
//! way a notification listener reads it; see `src/lib.rs` for the input layout.
//!
//! Checks: no panic, hang or unbounded allocation; refused deliveries and bodies give
//! printable errors; an accepted notification re-encodes in JSON and msgpack and decodes
//! back to the same notification, and its timestamp parses or gives an error.

#![no_main]

use libfuzzer_sys::fuzz_target;
use warren_core::NotificationEnvelope;
use warren_fuzz::{Delivery, check_round_trip};

fuzz_target!(|data: &[u8]| {
    let delivery = Delivery::from_input(data);
    let Some(serializer) = delivery.accepted_serializer() else {
        return;
    };
    let decoded = NotificationEnvelope::from_body(serializer, delivery.body);
    if let Ok(notification) = &decoded {
        let _ = notification.timestamp_datetime();
    }
    check_round_trip(
        decoded,
        NotificationEnvelope::to_body,
        NotificationEnvelope::from_body,
    );
});
