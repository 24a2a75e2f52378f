"""`persona-kit run` stopped by SIGTERM (`timeout`, a container stop) takes its workers and
kernels with it (#19, finding 12)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import psutil
import pytest

pytestmark = pytest.mark.notebook


def _cmd(p: psutil.Process) -> str:
    """A process's command line; empty when it ended between listing and reading (a child of
    the kernel manager can come and go while the test polls)."""
    try:
        return " ".join(p.cmdline())
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return ""


def test_sigterm_stops_the_workers_and_their_kernels(tmp_path):
    rows = ["order_id,user_id,order_time,amount"] + [
        f"o{i},u{i % 7},2025-{11 + i % 2}-{1 + i % 28:02d},10" for i in range(60)
    ]
    (tmp_path / "orders.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "persona.yaml").write_text("sources: {orders: {path: orders.csv}}\n")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "persona-kit",
        "display_name": "persona-kit",
        "language": "python",
    }
    params = nbformat.v4.new_code_cell(
        'config_path: str = "../persona.yaml"\nmonth: str = ""\nout_dir: str = ""\n'
        'language: str = ""'
    )
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("import time\ntime.sleep(300)")]
    (tmp_path / "notebooks").mkdir()
    nbformat.write(nb, tmp_path / "notebooks" / "01_data_audit.ipynb")

    cli = Path(sys.executable).parent / "persona-kit"
    proc = subprocess.Popen(
        [str(cli), "run", "--config", str(tmp_path / "persona.yaml"), "--only", "01"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    me = psutil.Process(proc.pid)
    kernels: list[psutil.Process] = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and not kernels:
        time.sleep(0.5)
        kernels = [p for p in me.children(recursive=True) if "ipykernel" in _cmd(p)]
    assert kernels, "the notebook's kernel never started"
    everyone = me.children(recursive=True)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "stopped by signal 15" in err and "Traceback" not in err
    _, alive = psutil.wait_procs(everyone, timeout=15)
    assert alive == [], [p.cmdline() for p in alive]  # worker and kernel are gone
    assert not (tmp_path / "reports" / "2025-12" / "01_data_audit.html").exists()
