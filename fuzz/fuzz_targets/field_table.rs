//! One AMQP field table (a `u32` length, then entries), as the parser reads a delivery's
//! `headers` or a method's `arguments`.
//!
//! Checks: no panic, hang, stack overflow or unbounded allocation at any nesting; a
//! parsed table nests at most `MAX_NESTING_DEPTH` levels plus the marker that stands
//! for a skipped value; `exceeds_nesting_limit` finds that marker exactly when one is
//! there; a table with no marker serialises and parses back to itself.

#![no_main]

use amq_protocol::types::generation::gen_field_table;
use amq_protocol::types::parsing::{
    MAX_NESTING_DEPTH, NESTING_LIMIT_KEY, exceeds_nesting_limit, parse_field_table,
};
use amq_protocol::types::{AMQPValue, FieldTable};
use libfuzzer_sys::fuzz_target;

/// The deepest nesting in `table` (the table itself is level 1), and whether a marker
/// key appears anywhere; walked without recursion.
fn shape(table: &FieldTable) -> (usize, bool) {
    let mut deepest = 1;
    let mut marked = table.inner().contains_key(NESTING_LIMIT_KEY);
    let mut pending: Vec<(&AMQPValue, usize)> = table.inner().values().map(|v| (v, 2)).collect();
    while let Some((value, level)) = pending.pop() {
        match value {
            AMQPValue::FieldTable(t) => {
                deepest = deepest.max(level);
                marked |= t.inner().contains_key(NESTING_LIMIT_KEY);
                pending.extend(t.inner().values().map(|v| (v, level + 1)));
            }
            AMQPValue::FieldArray(a) => {
                deepest = deepest.max(level);
                pending.extend(a.as_slice().iter().map(|v| (v, level + 1)));
            }
            _ => {}
        }
    }
    (deepest, marked)
}

fuzz_target!(|data: &[u8]| {
    let Ok((_, table)) = parse_field_table(data) else {
        return;
    };
    let (deepest, marked) = shape(&table);
    // A skipped array becomes an array holding the marker table: two levels past it.
    assert!(deepest <= MAX_NESTING_DEPTH + 2, "nests {deepest} levels");
    assert_eq!(exceeds_nesting_limit(&table), marked);
    if marked {
        return;
    }
    let bytes = cookie_factory::gen_simple(gen_field_table(&table), Vec::new())
        .expect("a parsed table serialises");
    let (rest, again) = parse_field_table(&bytes[..]).expect("a serialised table parses");
    assert!(rest.is_empty());
    // Compared as printed: NaN floats are not equal to themselves.
    assert_eq!(format!("{again:?}"), format!("{table:?}"));
});
