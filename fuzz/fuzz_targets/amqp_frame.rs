//! One AMQP frame, as lapin's I/O thread reads it from the broker: any frame type, any
//! method's arguments, any content header's properties (the `headers` table of a
//! delivery comes from whoever published it).
//!
//! Checks: no panic, hang, stack overflow or unbounded allocation, whatever the nesting
//! of the field tables and arrays in the frame; a parsed frame serialises, and parses
//! back to the same frame unless the parser skipped a value nested past its limit (then
//! it parses back to the same marker).

#![no_main]

use amq_protocol::frame::{gen_frame, parse_frame};
use amq_protocol::types::parsing::NESTING_LIMIT_KEY;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok((_, frame)) = parse_frame(data) else {
        return;
    };
    let shown = format!("{frame:?}");
    let Ok(bytes) = cookie_factory::gen_simple(gen_frame(&frame), Vec::new()) else {
        return;
    };
    let (rest, again) = parse_frame(&bytes[..]).expect("a serialised frame parses again");
    assert!(rest.is_empty(), "the serialised frame is read whole");
    if !shown.contains(NESTING_LIMIT_KEY) {
        assert_eq!(format!("{again:?}"), shown);
    }
});
