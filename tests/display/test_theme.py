"""The report theme draws Chinese on a machine without an OS CJK font, and no mathtext."""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from helpers.display import theme  # noqa: E402


def _draw(text: str) -> list[str]:
    """Draw ``text`` as a title, axis label and tick labels; the warnings matplotlib gave."""
    with warnings.catch_warnings(record=True) as caught, theme.theme_context():
        warnings.simplefilter("always")
        fig, ax = plt.subplots()
        ax.bar([text, "北京"], [1, 2])
        ax.set_title(text)
        ax.set_xlabel("城市")
        fig.canvas.draw()
        plt.close(fig)
    return [str(w.message) for w in caught]


def test_the_bundled_font_is_used_when_the_os_has_none(monkeypatch):
    monkeypatch.setattr(theme, "CJK_FONT_CANDIDATES", ["No Such Font CJK"])
    theme.cjk_fonts.cache_clear()
    try:
        assert theme.cjk_fonts() == ("Noto Sans CJK SC",)
        path = theme.bundled_cjk_font()
        assert path is not None and path.name == "NotoSansCJKsc-Regular.otf"
        assert path.stat().st_size > 10_000_000  # the real font, not a stub
        assert theme.rc_params()["font.family"][:2] == ["DejaVu Sans", "Noto Sans CJK SC"]
        assert [w for w in _draw("上海 活跃用户") if "missing from" in w] == []
    finally:
        theme.cjk_fonts.cache_clear()


def test_a_dollar_in_a_label_is_text_not_mathtext():
    # "$5_$10 tier" from the data crashed 02_active_users when read as mathtext
    assert theme.rc_params()["text.parse_math"] is False
    assert [w for w in _draw("$5_$10 tier") if "missing from" in w] == []
