"""A Python notifier on the Pika driver. Reads JSON commands on stdin, one per line:
{"topic": T, "priority": P, "publisher_id": ID, "event_type": E, "payload": X,
"context": {...}}, publishes each and prints {"sent": true} (or {"error": {...}})."""

import oslo_messaging as messaging

import peer_common


def main():
    parser = peer_common.arguments(__doc__)
    args = parser.parse_args()
    transport = peer_common.notification_transport(args)
    peer_common.emit(event="ready")
    for cmd in peer_common.commands():
        notifier = messaging.Notifier(transport, publisher_id=cmd["publisher_id"],
                                      driver="messagingv2", topics=[cmd["topic"]])
        try:
            send = getattr(notifier, cmd["priority"])
            send(cmd.get("context", {}), cmd["event_type"], cmd["payload"])
            peer_common.emit(sent=True)
        except Exception as exc:
            peer_common.emit(error=peer_common.error_fields(exc))
    transport.cleanup()


if __name__ == "__main__":
    main()
