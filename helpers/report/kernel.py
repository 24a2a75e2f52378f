"""The Jupyter kernel the report notebooks run on: ``persona-kit``, the Python the kit is in.

A notebook's saved kernelspec may not exist in a fresh virtual environment (papermill then fails
with ``NoSuchKernel``), so the runner and ``persona-kit lab`` register the kernel in this
environment's prefix when it is missing (``python -m ipykernel install --sys-prefix``).
"""

from __future__ import annotations

import sys

from ipykernel.kernelspec import install as install_kernelspec
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

__all__ = ["KERNEL_NAME", "KERNEL_DISPLAY_NAME", "ensure_kernel"]

KERNEL_NAME = "persona-kit"
KERNEL_DISPLAY_NAME = "Python (persona-kit)"


def ensure_kernel() -> str:
    """Register the ``persona-kit`` kernel for this Python when no kernel of that name exists.

    Returns the kernel's resource folder.
    """
    manager = KernelSpecManager()
    try:
        return manager.get_kernel_spec(KERNEL_NAME).resource_dir
    except NoSuchKernel:
        return install_kernelspec(
            kernel_name=KERNEL_NAME, display_name=KERNEL_DISPLAY_NAME, prefix=sys.prefix
        )
