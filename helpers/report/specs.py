"""The report notebooks of the monthly review, their order and dependencies, and selection.

:data:`REVIEW_NOTEBOOKS` is the one place that lists the notebooks; ``persona-kit run --only``
selects among them by full name, number or name.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from helpers.core.errors import ParameterError
from helpers.report.notebooks import kit_notebooks_dir

__all__ = ["NotebookSpec", "REVIEW_NOTEBOOKS", "as_specs", "select_notebooks"]


@dataclass(frozen=True)
class NotebookSpec:
    """A report notebook: its name, what it needs first, whether it runs once per experiment."""

    name: str
    depends_on: tuple[str, ...] = ()
    per_experiment: bool = False
    path: Path | None = None

    @property
    def file(self) -> Path:
        return Path(self.path) if self.path else kit_notebooks_dir() / f"{self.name}.ipynb"


_ALL_BEFORE_REVIEW = (
    "01_data_audit",
    "02_active_users",
    "03_personas",
    "04_churn",
    "05_pain_points",
    "06_ab_readout",
)
#: The monthly review, in order; the one place that lists the notebooks and their dependencies.
REVIEW_NOTEBOOKS: tuple[NotebookSpec, ...] = (
    NotebookSpec("01_data_audit"),
    NotebookSpec("02_active_users"),
    NotebookSpec("03_personas"),
    NotebookSpec("04_churn", depends_on=("03_personas",)),
    NotebookSpec("05_pain_points", depends_on=("03_personas",)),
    NotebookSpec("06_ab_readout", depends_on=("03_personas",), per_experiment=True),
    NotebookSpec("07_persona_review", depends_on=_ALL_BEFORE_REVIEW),
)


# --- notebook selection --------------------------------------------------------------------------
def as_specs(
    notebooks: Sequence[NotebookSpec | str | Path] | None, folder: Path | None = None
) -> list[NotebookSpec]:
    if notebooks is None:
        folder = folder or kit_notebooks_dir()
        specs = [
            s if s.path else dataclasses.replace(s, path=folder / f"{s.name}.ipynb")
            for s in REVIEW_NOTEBOOKS
        ]
        return [s for s in specs if s.file.exists()]
    specs = []
    for item in notebooks:
        if isinstance(item, NotebookSpec):
            specs.append(item)
        else:
            path = Path(item)
            specs.append(NotebookSpec(path.stem, path=path))
    missing = [str(s.file) for s in specs if not s.file.exists()]
    if missing:
        raise ParameterError(f"The notebooks {missing} do not exist.")
    return specs


def select_notebooks(specs: list[NotebookSpec], only: Iterable[str] | None) -> list[NotebookSpec]:
    """The specs named in ``only`` (full name, number prefix ``03`` or name ``personas``)."""
    if not only:
        return list(specs)
    chosen = set()
    for wanted in only:
        matches = [
            s.name
            for s in specs
            if wanted in (s.name, s.name.split("_", 1)[0], s.name.split("_", 1)[-1])
        ]
        if not matches:
            raise ParameterError(
                f"The option `only` must name report notebooks among "
                f"{[s.name for s in specs]}, but {wanted!r} was passed."
            )
        chosen.update(matches)
    return [s for s in specs if s.name in chosen]
