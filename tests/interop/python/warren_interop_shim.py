"""Import-time fixes that let oslo.messaging 5.36's Pika driver run on Python >= 3.8.

Loaded by ``warren_interop_shim.pth`` in the interop virtualenv; installed files are
never edited. Each fix restores the behaviour the driver had on the Pythons it was
written for, so the peer on the wire is the real Python driver.
"""

import collections
import collections.abc
import importlib.abc
import importlib.machinery
import sys
import types

# 1. collections.Mapping and friends moved to collections.abc (removed in 3.10).
for _name in ("Mapping", "MutableMapping", "Sequence", "MutableSequence", "Iterable",
              "Callable", "Set", "MutableSet", "Hashable", "Sized", "Container"):
    if not hasattr(collections, _name):
        setattr(collections, _name, getattr(collections.abc, _name))

# 2. pika 0.10's libev adapter uses ``self.async`` (a keyword since 3.7). An empty module
#    under its name turns the SyntaxError into the ImportError pika already handles.
sys.modules.setdefault("pika.adapters.libev_connection",
                       types.ModuleType("pika.adapters.libev_connection"))


def _tolerant_futurist():
    """A stand-in for the ``futurist`` module whose Future ignores a second result.

    The driver resolves a consume future twice on every ``basic_consume``; since 3.8 that
    raises InvalidStateError inside pika's I/O loop and the server hangs.
    """
    import concurrent.futures
    import futurist

    class Future(futurist.Future):
        def set_result(self, result):
            if not self.done():
                super().set_result(result)

        def set_exception(self, exception):
            if not self.done():
                super().set_exception(exception)

    module = types.ModuleType("futurist")
    module.__dict__.update(futurist.__dict__)
    module.Future = Future
    assert issubclass(Future, concurrent.futures.Future)
    return module


def _patch_connection(module):
    module.futurist = _tolerant_futurist()


def _patch_engine(module):
    # 4. ``queue_expiration > 0`` with None (notification queues) was False on Python 2.
    original = module.PikaEngine.declare_queue_binding_by_channel

    def declare(self, channel, exchange, queue, routing_key, exchange_type,
                queue_expiration, durable):
        return original(self, channel, exchange, queue, routing_key, exchange_type,
                        queue_expiration or 0, durable)

    module.PikaEngine.declare_queue_binding_by_channel = declare


_PATCHES = {
    "oslo_messaging._drivers.pika_driver.pika_connection": _patch_connection,
    "oslo_messaging._drivers.pika_driver.pika_engine": _patch_engine,
}


class _PatchingLoader(importlib.abc.Loader):
    def __init__(self, inner, patch):
        self._inner = inner
        self._patch = patch

    def create_module(self, spec):
        return self._inner.create_module(spec)

    def exec_module(self, module):
        self._inner.exec_module(module)
        self._patch(module)


class _PatchingFinder(importlib.abc.MetaPathFinder):
    """Applies a patch to a module right after it is first executed."""

    def find_spec(self, fullname, path, target=None):
        patch = _PATCHES.get(fullname)
        if patch is None:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is not None and spec.loader is not None:
            spec.loader = _PatchingLoader(spec.loader, patch)
        return spec


sys.meta_path.insert(0, _PatchingFinder())
