"""persona-kit: active-user persona reviews from raw product exports.

The import package is ``helpers``: every notebook in ``notebooks/`` is a thin layer over it.
See ``docs/internals.md`` for the contracts between modules.
"""

__version__ = "0.1.0"
