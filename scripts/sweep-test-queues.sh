#!/usr/bin/env bash
# Delete the queues earlier test runs left on the local broker. Test names carry the
# mark `wtest-` (tests/common/mod.rs, actors/tests/common/mod.rs); notification and
# pool queues have no expiry, so without this they pile up run after run. Only unused
# queues (no consumers) in vhost "/" are deleted; auto-delete exchanges follow.
# Quorum queues (quorum_queues tests) refuse the broker's if-unused delete, so their
# consumers are counted first instead; a consumer arriving in between loses its queue,
# which only matters while tests run.
set -euo pipefail
if ! command -v rabbitmqctl >/dev/null 2>&1; then
  echo "sweep-test-queues: rabbitmqctl not found; nothing swept" >&2
  exit 0
fi
# Never fatal: a broker whose internals differ only leaves the queues in place.
rabbitmqctl -q eval '
  Marked = [Q || Q <- rabbit_amqqueue:list(<<"/">>),
                 re:run(element(4, amqqueue:get_name(Q)), <<"wtest-">>) =/= nomatch],
  Quorum = fun(Q) -> amqqueue:get_type(Q) =:= rabbit_quorum_queue end,
  Unused = fun(Q) -> not Quorum(Q) orelse
                     rabbit_amqqueue:info(Q, [consumers]) =:= [{consumers, 0}] end,
  Deleted = [ok || Q <- Marked, Unused(Q),
                   element(1, rabbit_amqqueue:delete(Q, not Quorum(Q), false,
                                                     <<"warren-tests">>)) =:= ok],
  io_lib:format("~b of ~b", [length(Deleted), length(Marked)]).' \
  | sed 's/^/sweep-test-queues: deleted /; s/"//g' \
  || echo "sweep-test-queues: could not sweep (left in place)" >&2
