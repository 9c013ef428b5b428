"""A Python RPC server on the Pika driver. Prints {"event": "ready"} once it consumes,
then {"event": "call", ...} for every request its endpoint gets; stops on stdin EOF."""

import sys

import oslo_messaging as messaging

import peer_common


class InteropFailure(Exception):
    """A non-builtin exception: callers should see it as a RemoteError."""


class Endpoint(object):
    def __init__(self, server):
        self.server = server

    def _seen(self, ctxt, method, **args):
        peer_common.emit(event="call", server=self.server, method=method, args=args,
                         context=ctxt)

    def echo(self, ctxt, value):
        self._seen(ctxt, "echo", value=value)
        return value

    def add(self, ctxt, a, b):
        self._seen(ctxt, "add", a=a, b=b)
        return a + b

    def context(self, ctxt):
        self._seen(ctxt, "context")
        return ctxt

    def fail_value(self, ctxt, message):
        self._seen(ctxt, "fail_value", message=message)
        raise ValueError(message)

    def fail_custom(self, ctxt, message):
        self._seen(ctxt, "fail_custom", message=message)
        raise InteropFailure(message)


def main():
    parser = peer_common.arguments(__doc__)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--server", required=True)
    args = parser.parse_args()
    transport = peer_common.rpc_transport(args)
    target = messaging.Target(topic=args.topic, server=args.server)
    server = messaging.get_rpc_server(transport, target, [Endpoint(args.server)],
                                      executor="threading")
    server.start()
    peer_common.emit(event="ready", server=args.server)
    sys.stdin.read()
    server.stop()
    server.wait()
    transport.cleanup()


if __name__ == "__main__":
    main()
