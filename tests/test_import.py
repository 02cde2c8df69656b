"""``import inchframe`` does no I/O: no socket, no file written, no matplotlib."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = r"""
import builtins, io, json, os, socket, sys
events = []
real_socket_init = socket.socket.__init__
def socket_init(self, *a, **k):
    events.append("socket")
    real_socket_init(self, *a, **k)
socket.socket.__init__ = socket_init
real_open = builtins.open
def guarded_open(file, mode="r", *a, **k):
    if any(c in mode for c in "wax+"):
        events.append(f"open {file} {mode}")
    return real_open(file, mode, *a, **k)
builtins.open = io.open = guarded_open
real_os_open = os.open
def guarded_os_open(path, flags, *a, **k):
    if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
        events.append(f"os.open {path}")
    return real_os_open(path, flags, *a, **k)
os.open = guarded_os_open

import inchframe
inchframe.__version__, inchframe.InputError
print(json.dumps({"events": events,
                  "heavy": sorted(m for m in ("matplotlib", "requests_cache", "inchframe.sandbox",
                                              "tqdm", "pyarrow.parquet") if m in sys.modules)}))
"""


def test_import_does_no_io_and_stays_light(tmp_path) -> None:
    env = {"PATH": "", "HOME": str(tmp_path), "PYTHONDONTWRITEBYTECODE": "1"}
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        cwd=tmp_path,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["events"] == []
    assert result["heavy"] == []
    assert not any(tmp_path.iterdir())


def test_public_names_are_sorted_and_resolve() -> None:
    import inchframe

    assert inchframe.__all__ == sorted(inchframe.__all__)
    assert "Client" in dir(inchframe)
