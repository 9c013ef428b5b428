"""A Python notification listener on the Pika driver. Prints {"event": "ready"} once it
consumes, then one JSON line per notification; stops on stdin EOF."""

import datetime
import sys

import oslo_messaging as messaging

import peer_common

PRIORITIES = ["audit", "debug", "info", "warn", "error", "critical", "sample"]


class Endpoint(object):
    pass


def _handler(priority):
    def handle(self, ctxt, publisher_id, event_type, payload, metadata):
        try:  # the sender's timestamp must read as a Python datetime
            datetime.datetime.fromisoformat(metadata["timestamp"])
            timestamp_ok = True
        except (KeyError, TypeError, ValueError):
            timestamp_ok = False
        peer_common.emit(event="notification", priority=priority,
                         publisher_id=publisher_id, event_type=event_type,
                         payload=payload, context=ctxt, metadata=metadata,
                         timestamp_ok=timestamp_ok)
        return messaging.NotificationResult.HANDLED
    return handle


for _p in PRIORITIES:
    setattr(Endpoint, _p, _handler(_p))


def main():
    parser = peer_common.arguments(__doc__)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--pool", default=None)
    args = parser.parse_args()
    transport = peer_common.notification_transport(args)
    targets = [messaging.Target(topic=args.topic)]
    listener = messaging.get_notification_listener(
        transport, targets, [Endpoint()], executor="threading", pool=args.pool)
    listener.start()
    peer_common.emit(event="ready")
    sys.stdin.read()
    listener.stop()
    listener.wait()
    transport.cleanup()


if __name__ == "__main__":
    main()
