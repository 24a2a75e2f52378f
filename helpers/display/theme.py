"""The report theme: one explicit call styles every chart of a report.

Helpers never touch ``matplotlib.rcParams`` (STYLE.md rule 5). The only place that does is
:func:`apply`, which a notebook calls once through ``helpers.report.context.start``. For a single figure, or in
tests, :func:`theme_context` applies the same settings inside a ``with`` block and restores
the previous ones afterwards.

Chinese (or any CJK) labels need a CJK-capable font: when one is installed, it is put in the
fallback list of ``font.sans-serif`` right after the default font, so Latin text keeps its look
and CJK glyphs no longer draw as boxes.
"""

from __future__ import annotations

import contextlib
from functools import lru_cache

#: Colour cycle of the reports: colour-blind safe (Okabe-Ito), ordered for contrast.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]

#: Fonts that carry CJK glyphs, in order of preference (the first installed one is used).
CJK_FONT_CANDIDATES = [
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "Heiti SC",
    "SimHei",
    "Droid Sans Fallback",
    "AR PL UMing CN",
]

_BASE_RC = {
    "figure.figsize": (7.5, 4.0),
    "figure.dpi": 100,
    "savefig.dpi": 110,
    "savefig.bbox": "tight",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 10,
    "legend.frameon": False,
    "legend.fontsize": 9,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "grid.alpha": 0.4,
    "svg.hashsalt": "persona-kit",  # reproducible SVG ids if reports are ever diffed
}


@lru_cache(maxsize=1)
def cjk_fonts() -> tuple[str, ...]:
    """Names of the installed fonts from :data:`CJK_FONT_CANDIDATES`, best first.

    Returns
    -------
    tuple of str
        Empty when no CJK-capable font is installed.

    Examples
    --------
    >>> isinstance(cjk_fonts(), tuple)
    True
    """
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return tuple(name for name in CJK_FONT_CANDIDATES if name in installed)


def rc_params() -> dict:
    """The matplotlib settings of the report theme, as a new dict (nothing is applied).

    Returns
    -------
    dict
        rcParams keys and values: layout, colour cycle and the font fallback list.

    Examples
    --------
    >>> rc = rc_params()
    >>> rc["axes.spines.top"]
    False
    """
    import matplotlib as mpl
    from cycler import cycler

    rc = dict(_BASE_RC)
    rc["axes.prop_cycle"] = cycler(color=PALETTE)
    default_sans = list(mpl.rcParamsDefault["font.sans-serif"])
    cjk = list(cjk_fonts())
    if cjk:
        # First the default Latin font, then CJK: matplotlib falls back glyph by glyph.
        rc["font.family"] = "sans-serif"
        rc["font.sans-serif"] = default_sans[:1] + cjk + default_sans[1:]
    return rc


def apply() -> dict:
    """Apply the report theme (seaborn ``whitegrid`` plus :func:`rc_params`) to this process.

    This is the one function of the kit that changes global plotting state, and only when it is
    called: ``helpers.report.context.start`` calls it at the top of every report notebook.

    Returns
    -------
    dict
        The rcParams that were set.

    Examples
    --------
    >>> rc = apply()  # doctest: +SKIP
    """
    import matplotlib as mpl
    import seaborn as sns

    rc = rc_params()
    sns.set_theme(context="notebook", style="whitegrid", palette=PALETTE, rc=rc)
    mpl.rcParams.update(rc)  # seaborn's style resets some keys; ours win
    return rc


@contextlib.contextmanager
def theme_context():
    """Apply the report theme inside a ``with`` block; the previous settings come back after.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> with theme_context():
    ...     fig, ax = plt.subplots()
    >>> plt.close(fig)
    """
    import matplotlib as mpl
    import seaborn as sns

    with mpl.rc_context():
        sns.set_theme(context="notebook", style="whitegrid", palette=PALETTE, rc=rc_params())
        mpl.rcParams.update(rc_params())
        yield
