"""Shared set-up of the interop peers: configuration, transport, JSON-line output."""

import argparse
import json
import os
import sys
import tempfile
import threading

from oslo_config import cfg
import oslo_messaging as messaging

_out_lock = threading.Lock()


def emit(**fields):
    """Print one JSON line on stdout and flush it (the Rust side reads line by line)."""
    with _out_lock:
        sys.stdout.write(json.dumps(fields, sort_keys=True, default=str) + "\n")
        sys.stdout.flush()


def arguments(description):
    """The options every peer takes; each program adds its own."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--url", default="pika://guest:guest@127.0.0.1:5672/")
    parser.add_argument("--serializer", choices=["json", "msgpack"], default="json")
    parser.add_argument("--exchange", default="openstack",
                        help="[DEFAULT] control_exchange")
    parser.add_argument("--notification-exchange", default=None,
                        help="[oslo_messaging_pika] default_notification_exchange")
    parser.add_argument("--persistent", action="store_true",
                        help="[oslo_messaging_pika] notification_persistence")
    return parser


def config(args):
    """An oslo.config object loaded from a generated file, so options the driver
    registers later (when the transport loads it) see these values."""
    lines = ["[DEFAULT]", "control_exchange = %s" % args.exchange, "",
             "[oslo_messaging_pika]",
             "default_serializer_type = %s" % args.serializer,
             "notification_persistence = %s" % args.persistent]
    if args.notification_exchange:
        lines.append("default_notification_exchange = %s" % args.notification_exchange)
    fd, path = tempfile.mkstemp(prefix="warren-interop-", suffix=".conf")
    with os.fdopen(fd, "w") as f:
        f.write("\n".join(lines) + "\n")
    conf = cfg.ConfigOpts()
    conf(["--config-file", path], project="warren-interop", prog="peer")
    os.unlink(path)
    return conf


def rpc_transport(args):
    return messaging.get_rpc_transport(config(args), url=args.url)


def notification_transport(args):
    return messaging.get_notification_transport(config(args), url=args.url)


def error_fields(exc):
    """How an exception looks to the Rust side."""
    fields = {"class": type(exc).__name__, "module": type(exc).__module__,
              "message": str(exc), "value_error": isinstance(exc, ValueError)}
    if isinstance(exc, messaging.RemoteError):
        fields.update(exc_type=exc.exc_type, value=exc.value, traceback=exc.traceback)
    return fields


def commands():
    """JSON commands, one per stdin line, until stdin closes."""
    for line in sys.stdin:
        line = line.strip()
        if line:
            yield json.loads(line)
