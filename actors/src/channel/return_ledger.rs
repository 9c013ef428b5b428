//! [`ReturnLedger`]: which publish a `basic.return` belongs to, on a channel with many
//! publishes in flight.
//!
//! lapin hands each returned message to the next publish whose confirm it completes,
//! not to the publish that was returned: with several publishes in flight and one
//! `basic.ack` covering several of them, an unroutable message can be reported as
//! acked while a routed one carries its return. RabbitMQ sends a message's
//! `basic.return` before the ack that covers it, so the publish carrying a return is
//! always settled no later than the returned one. The ledger therefore keeps a return
//! that is not the carrier's own until the publish it matches (same exchange, routing
//! key and body) settles. Two publishes that match alike are interchangeable.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

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

/// The returns of one channel that no settled publish has claimed yet. Shared by the
/// channel actor and its publishes' futures, which all run on the actor's arbiter.
#[derive(Debug, Clone, Default)]
pub(crate) struct ReturnLedger(Rc<RefCell<VecDeque<Returned>>>);

impl ReturnLedger {
    /// A publish of (`exchange`, `routing_key`, `body`) settled carrying `carried`:
    /// whether it was itself returned (unroutable).
    pub(crate) fn settle(
        &self,
        exchange: &str,
        routing_key: &str,
        body: &[u8],
        carried: Option<Returned>,
    ) -> bool {
        let mut unclaimed = self.0.borrow_mut();
        if let Some(returned) = carried {
            if returned.is(exchange, routing_key, body) {
                return true;
            }
            unclaimed.push_back(returned);
            while unclaimed.len() > UNCLAIMED_LIMIT {
                unclaimed.pop_front();
            }
        }
        if unclaimed.is_empty() {
            return false;
        }
        match unclaimed
            .iter()
            .position(|r| r.is(exchange, routing_key, body))
        {
            Some(i) => {
                unclaimed.remove(i);
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
    fn a_carried_return_of_its_own_is_the_carriers() {
        let ledger = ReturnLedger::default();
        assert!(ledger.settle("x", "a", b"body", Some(returned("a"))));
        assert!(!ledger.settle("x", "b", b"body", None));
    }

    #[test]
    fn a_return_carried_by_another_publish_goes_to_its_own() {
        let ledger = ReturnLedger::default();
        // "a" was routed but carries the return of "b", settled after it.
        assert!(!ledger.settle("x", "a", b"body", Some(returned("b"))));
        assert!(ledger.settle("x", "b", b"body", None));
        // Claimed once: a later "b" was routed.
        assert!(!ledger.settle("x", "b", b"body", None));
    }

    #[test]
    fn bodies_and_exchanges_tell_returns_apart() {
        let ledger = ReturnLedger::default();
        assert!(!ledger.settle("x", "a", b"body", Some(returned("b"))));
        assert!(!ledger.settle("x", "b", b"other", None));
        assert!(!ledger.settle("y", "b", b"body", None));
        assert!(ledger.settle("x", "b", b"body", None));
    }

    #[test]
    fn unclaimed_returns_are_bounded() {
        let ledger = ReturnLedger::default();
        for i in 0..UNCLAIMED_LIMIT + 10 {
            ledger.settle("x", "routed", b"body", Some(returned(&i.to_string())));
        }
        assert_eq!(ledger.0.borrow().len(), UNCLAIMED_LIMIT);
        assert!(
            !ledger.settle("x", "0", b"body", None),
            "the oldest was forgotten"
        );
        assert!(ledger.settle("x", &(UNCLAIMED_LIMIT + 9).to_string(), b"body", None));
    }
}
