#!/usr/bin/env bash
# Build the Python virtualenv holding the real oslo.messaging Pika driver that the
# interop tests talk to. Idempotent: a stamp of the inputs skips work already done.
#
#   bash tests/interop/setup-venv.sh [VENV_DIR]    (default: target/interop-venv)
#
# Prints the venv's python path on its last line. Fails with a clear message when
# Python or PyPI cannot be reached.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${1:-${WARREN_INTEROP_VENV:-$root/target/interop-venv}}"
python="${PYTHON:-python3}"

stamp_of_inputs() {
    cat "$here/requirements.txt" "$here/python/warren_interop_shim.py" | sha256sum | cut -d' ' -f1
}
want="$(stamp_of_inputs)"
# Test binaries may build the venv at the same time: one builds, the others wait.
mkdir -p "$(dirname "$venv")"
exec 9>"$venv.lock"
flock 9
if [[ -f "$venv/.warren-stamp" && "$(cat "$venv/.warren-stamp")" == "$want" ]]; then
    echo "$venv/bin/python"
    exit 0
fi

if ! "$python" -m venv --help >/dev/null 2>&1 && command -v apt-get >/dev/null && [[ $EUID -eq 0 ]]; then
    echo "interop: installing Python's venv and pip with apt-get" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3 python3-venv python3-pip >&2 || true
fi
"$python" -m venv --help >/dev/null 2>&1 || {
    echo "interop: '$python -m venv' does not work; install Python 3.8+ with venv and pip" >&2
    exit 1
}
rm -rf "$venv"
"$python" -m venv "$venv" >&2
if ! "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps \
        -r "$here/requirements.txt" >&2; then
    echo "interop: pip could not install tests/interop/requirements.txt (is PyPI reachable? set PIP_INDEX_URL for a mirror)" >&2
    exit 1
fi
site="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
cp "$here/python/warren_interop_shim.py" "$site/"
echo "import warren_interop_shim" > "$site/warren_interop_shim.pth"
"$venv/bin/python" -c 'import oslo_messaging._drivers.pika_driver.pika_engine' >&2
echo "$want" > "$venv/.warren-stamp"
echo "$venv/bin/python"
