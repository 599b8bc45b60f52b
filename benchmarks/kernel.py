"""Execute round-trip of the ObjectScript kernel against ipykernel's own Python kernel, started
in the same run on the same machine. Not a test: run it alone, or through benchmarks/run.py.

Figure (target from the issue in brackets):
  round-trip   median time from sending execute_request for `Write 1` until the kernel reports
               idle, its output received, vs the Python kernel running `print(1)`      [<= 1.2x]
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from homes import remove_home  # noqa: E402
from jupyter_client.kernelspec import KernelSpecManager  # noqa: E402
from jupyter_client.manager import KernelManager  # noqa: E402

from cacheshell.frontends.cli_kernel import KERNEL_NAME, write_kernelspec  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_KERNEL_ROUNDS", 200))
WARM_UP = 20
TIMEOUT = 60


def round_trips(
    kernel_name: str,
    code: str,
    env: dict[str, str],
    specs: KernelSpecManager | None = None,
    rounds: int = ROUNDS,
) -> float:
    """Median seconds of `rounds` executes of `code`, after a warm-up, on a fresh kernel."""
    km = KernelManager(kernel_name=kernel_name, kernel_spec_manager=specs or KernelSpecManager())
    km.start_kernel(env=env)
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=TIMEOUT)
        for _ in range(WARM_UP):
            _execute(kc, code)
        return statistics.median(_execute(kc, code) for _ in range(rounds))
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def _execute(kc: Any, code: str) -> float:
    start = time.perf_counter()
    msg_id = kc.execute(code)
    output = False
    while True:
        msg = kc.get_iopub_msg(timeout=TIMEOUT)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            output = True
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    reply_to = None
    while reply_to != msg_id:  # past kernel_info replies left over from wait_for_ready
        reply_to = kc.get_shell_msg(timeout=TIMEOUT)["parent_header"].get("msg_id")
    elapsed = time.perf_counter() - start
    if not output:
        raise RuntimeError(f"{code!r} printed nothing")
    return elapsed


def measure(env: dict[str, str]) -> tuple[float, float]:
    """(ObjectScript kernel, Python kernel) median round-trip seconds."""
    scratch = Path(tempfile.mkdtemp(prefix="cacheshell-bench-kernel-"))
    try:
        write_kernelspec(scratch / KERNEL_NAME)
        kernel_env = dict(
            env, PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
        )
        ours = round_trips(
            KERNEL_NAME, "Write 1", kernel_env, KernelSpecManager(kernel_dirs=[str(scratch)])
        )
        theirs = round_trips("python3", "print(1)", env)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return ours, theirs


def main() -> int:
    home = tempfile.mkdtemp(prefix="cacheshell-bench-")
    try:
        ours, theirs = measure(dict(os.environ, CACHESHELL_HOME=home))
    finally:
        remove_home(Path(home))
    print(
        f"kernel round-trip (ms): objectscript `Write 1` {ours * 1000:.2f}, "
        f"ipykernel `print(1)` {theirs * 1000:.2f}, ratio {ours / theirs:.2f}x (<= 1.2x)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
