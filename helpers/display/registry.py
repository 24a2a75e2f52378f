"""How an analysis result shows in a notebook, without the analysis knowing about display.

Analyses (:mod:`helpers.analysis`) return plain result objects: tidy tables and numbers, no
HTML and no prose. A section module (:mod:`helpers.sections`) says how each result type shows,
with the :func:`renders` decorator::

    @renders(RetentionMatrix)
    def retention(result) -> Stack: ...

and :func:`install` hands every registered renderer to IPython's HTML formatter, so a notebook
cell that ends in ``result`` shows the rendering. ``helpers.report.context.start`` installs
them; :func:`render` gives the same HTML outside a notebook (tests, other front ends).
"""

from __future__ import annotations

from collections.abc import Callable

from IPython import get_ipython

from helpers.display.blocks import to_html

__all__ = ["renders", "renderer_for", "render", "install", "registered"]

_RENDERERS: dict[type, Callable] = {}


def renders(cls: type) -> Callable[[Callable], Callable]:
    """Register the decorated function as the display of results of type ``cls``.

    Raises
    ------
    ValueError
        When another function already renders ``cls`` (one display per result type).
    """

    def register(fn: Callable) -> Callable:
        known = _RENDERERS.get(cls)
        if known is not None and known.__qualname__ != fn.__qualname__:
            raise ValueError(
                f"{cls.__name__} is already rendered by {known.__module__}."
                f"{known.__qualname__}; one type has one display."
            )
        _RENDERERS[cls] = fn
        return fn

    return register


def registered() -> dict[type, Callable]:
    """Every registered result type and its renderer."""
    return dict(_RENDERERS)


def renderer_for(obj) -> Callable | None:
    """The renderer of ``obj``'s type (or of its nearest registered base class)."""
    for cls in type(obj).__mro__:
        if cls in _RENDERERS:
            return _RENDERERS[cls]
    return None


def render(obj) -> str:
    """The HTML ``obj`` shows in a report: its registered rendering, else its own ``_repr_html_``.

    Examples
    --------
    >>> from helpers.display.blocks import Paragraph
    >>> render(Paragraph("Hello"))
    '<p>Hello</p>'
    """
    fn = renderer_for(obj)
    return to_html(fn(obj) if fn is not None else obj)


def install(shell=None) -> int:
    """Register every renderer with IPython's HTML formatter; returns how many were installed.

    Without a running IPython shell (plain Python) nothing happens and 0 is returned.
    """
    if shell is None:
        shell = get_ipython()
    if shell is None:
        return 0
    formatter = shell.display_formatter.formatters["text/html"]
    for cls, fn in _RENDERERS.items():
        formatter.for_type(cls, lambda obj, _fn=fn: to_html(_fn(obj)))
    return len(_RENDERERS)
