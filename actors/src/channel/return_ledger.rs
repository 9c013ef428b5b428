//! [`ReturnLedger`]: which publish a `basic.return` belongs to, on a channel with many
//! publishes in flight.
//!
//! lapin hands each returned message to whichever publish's confirm it completes
//! next, not to the publish that was returned: when one `basic.ack` covers several
//! publishes, an unroutable message can be reported as acked while a routed one (or
//! another unroutable one) carries its return. The ledger takes every carried return
//! first and only then lets each publish claim its own (same exchange, routing key and
//! body), so who carried what does not matter. Two publishes that match alike are
//! interchangeable.
//!
//! When to claim is the caller's part: see [`super::channel_publisher`], which claims
//! only once every confirm lapin completed alongside has deposited its return.

use std::collections::VecDeque;

/// At most this many returns are kept unclaimed; older ones are forgotten (their
/// publishes died with a channel, or were never waited for).
const UNCLAIMED_LIMIT: usize = 1024;

/// What identifies a returned message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Returned {
    pub(crate) exchange: String,
    pub(crate) routing_key: String,
    pub(crate) body: Vec<u8>,
}

impl Returned {
    fn is(&self, exchange: &str, routing_key: &str, body: &[u8]) -> bool {
        self.exchange == exchange && self.routing_key == routing_key && self.body == body
    }
}

/// The returns of one channel that no publish has claimed yet.
#[derive(Debug, Default)]
pub(crate) struct ReturnLedger {
    unclaimed: VecDeque<Returned>,
}

impl ReturnLedger {
    /// Keep a return some confirm carried, for its publish to claim.
    pub(crate) fn deposit(&mut self, returned: Returned) {
        self.unclaimed.push_back(returned);
        while self.unclaimed.len() > UNCLAIMED_LIMIT {
            self.unclaimed.pop_front();
        }
    }

    /// Whether the publish of (`exchange`, `routing_key`, `body`) was returned
    /// (unroutable); a return it finds is claimed, so counts for one publish only.
    pub(crate) fn claim(&mut self, exchange: &str, routing_key: &str, body: &[u8]) -> bool {
        match self
            .unclaimed
            .iter()
            .position(|r| r.is(exchange, routing_key, body))
        {
            Some(i) => {
                self.unclaimed.remove(i);
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn returned(key: &str) -> Returned {
        Returned {
            exchange: "x".to_owned(),
            routing_key: key.to_owned(),
            body: b"body".to_vec(),
        }
    }

    #[test]
    fn a_return_is_claimed_by_its_own_publish_whoever_carried_it() {
        let mut ledger = ReturnLedger::default();
        // "a" and "b" were both returned; each carried the other's return.
        ledger.deposit(returned("b"));
        ledger.deposit(returned("a"));
        assert!(ledger.claim("x", "a", b"body"));
        assert!(ledger.claim("x", "b", b"body"));
    }

    #[test]
    fn a_return_is_claimed_once() {
        let mut ledger = ReturnLedger::default();
        ledger.deposit(returned("b"));
        assert!(!ledger.claim("x", "a", b"body"), "a was routed");
        assert!(ledger.claim("x", "b", b"body"));
        assert!(!ledger.claim("x", "b", b"body"), "a later b was routed");
    }

    #[test]
    fn bodies_and_exchanges_tell_returns_apart() {
        let mut ledger = ReturnLedger::default();
        ledger.deposit(returned("b"));
        assert!(!ledger.claim("x", "b", b"other"));
        assert!(!ledger.claim("y", "b", b"body"));
        assert!(ledger.claim("x", "b", b"body"));
    }

    #[test]
    fn unclaimed_returns_are_bounded() {
        let mut ledger = ReturnLedger::default();
        for i in 0..UNCLAIMED_LIMIT + 10 {
            ledger.deposit(returned(&i.to_string()));
        }
        assert_eq!(ledger.unclaimed.len(), UNCLAIMED_LIMIT);
        assert!(!ledger.claim("x", "0", b"body"), "the oldest was forgotten");
        assert!(ledger.claim("x", &(UNCLAIMED_LIMIT + 9).to_string(), b"body"));
    }
}
