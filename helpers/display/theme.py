"""The report theme: one explicit call styles every chart of a report.

Helpers never touch ``matplotlib.rcParams`` (STYLE.md rule 5). The only place that does is
:func:`apply`, which a notebook calls once through ``helpers.report.context.start``. For a single figure, or in
tests, :func:`theme_context` applies the same settings inside a ``with`` block and restores
the previous ones afterwards.

Chinese (or any CJK) labels need a CJK-capable font. An installed one (:data:`CJK_FONT_CANDIDATES`)
is preferred; a machine with none uses Noto Sans CJK SC from the ``mplfonts`` wheel, a pinned
dependency, so no OS package and no download is needed. The font goes in the fallback list of
``font.sans-serif`` right after the default font: Latin text keeps its look and CJK glyphs no
longer draw as boxes. Text is never read as mathtext (``text.parse_math`` off): a label such as
"$5_$10 tier" from the data draws as written.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
from functools import lru_cache
from pathlib import Path

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

#: The CJK font shipped with the kit's dependencies: (package, file inside it, family name).
BUNDLED_CJK_FONT = ("mplfonts", "fonts/NotoSansCJKsc-Regular.otf", "Noto Sans CJK SC")

_BASE_RC = {
    "text.parse_math": False,  # "$" in a city or event name is a dollar, not mathtext
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
    """The CJK fonts charts fall back to: the installed ones of :data:`CJK_FONT_CANDIDATES`,
    best first; else the bundled :data:`BUNDLED_CJK_FONT`, registered with matplotlib.

    Returns
    -------
    tuple of str
        Empty only when no CJK font is installed and the bundled one is missing.

    Examples
    --------
    >>> isinstance(cjk_fonts(), tuple)
    True
    """
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    found = tuple(name for name in CJK_FONT_CANDIDATES if name in installed)
    if found:
        return found
    bundled = bundled_cjk_font()
    if bundled is None:
        return ()
    font_manager.fontManager.addfont(str(bundled))
    return (BUNDLED_CJK_FONT[2],)


def bundled_cjk_font() -> Path | None:
    """The file of the CJK font that ships with the kit's dependencies, or None if missing.

    The package is located, not imported (importing it would run its own font setup).
    """
    package, relative, _ = BUNDLED_CJK_FONT
    spec = importlib.util.find_spec(package)
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / relative
        if path.is_file():
            return path
    return None


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
        # First the default Latin font, then CJK: matplotlib falls back glyph by glyph, but
        # only along the families named in font.family (a generic "sans-serif" resolves to
        # one font), so they are named there.
        rc["font.family"] = default_sans[:1] + cjk + ["sans-serif"]
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
    if BUNDLED_CJK_FONT[2] in cjk_fonts():
        # the bundled CJK font has one weight: bold titles draw their CJK glyphs in it, and
        # matplotlib would log "Failed to find font weight bold" for every title
        logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
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
