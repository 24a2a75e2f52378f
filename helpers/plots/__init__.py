"""Drawing only (STYLE.md rule 9): each submodule draws what an analysis module computed.

Axes-level functions take ``ax=None`` and return the Axes; multi-panel helpers return the Figure.
Nothing here calls ``plt.show()`` or ``savefig()``.
"""
