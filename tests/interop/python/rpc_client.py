"""A Python RPC client on the Pika driver. Reads JSON commands on stdin, one per line:
{"op": "call"|"cast", "method": M, "args": {...}, "context": {...}, "server": S,
"fanout": bool, "timeout": seconds, "version": V, "namespace": N}, and prints
{"result": R} or {"error": {...}} for each."""

import oslo_messaging as messaging

import peer_common


def main():
    parser = peer_common.arguments(__doc__)
    parser.add_argument("--topic", required=True)
    args = parser.parse_args()
    transport = peer_common.rpc_transport(args)
    base = messaging.RPCClient(transport, messaging.Target(topic=args.topic))
    peer_common.emit(event="ready")
    for cmd in peer_common.commands():
        client = base.prepare(server=cmd.get("server"), fanout=cmd.get("fanout"),
                              timeout=cmd.get("timeout", 10),
                              version=cmd.get("version"),
                              namespace=cmd.get("namespace"))
        ctxt = cmd.get("context", {})
        try:
            if cmd["op"] == "call":
                result = client.call(ctxt, cmd["method"], **cmd.get("args", {}))
            else:
                client.cast(ctxt, cmd["method"], **cmd.get("args", {}))
                result = None
            peer_common.emit(result=result)
        except Exception as exc:  # every failure is reported, not raised
            peer_common.emit(error=peer_common.error_fields(exc))
    transport.cleanup()


if __name__ == "__main__":
    main()
