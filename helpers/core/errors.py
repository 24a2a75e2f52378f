"""Errors the kit raises on purpose: each one is a sentence a user can act on.

Every message names the file, column, key or parameter involved, what was expected and an
example of what was found. Nothing here wraps a traceback: callers catch library errors at the
edge (sources, config) and re-raise one of these.
"""


class PersonaKitError(Exception):
    """Base class of all errors the kit raises deliberately."""


class ConfigError(PersonaKitError, ValueError):
    """``persona.yaml`` (or a parameter) is invalid: names the file and the key."""


class DataError(PersonaKitError, ValueError):
    """A source file does not meet the data contract: names the file and the column."""


class ParameterError(PersonaKitError, ValueError):
    """A notebook or CLI parameter is invalid: names the parameter."""


class EngineError(PersonaKitError, RuntimeError):
    """The compute engine is missing or unreachable: says what to install or check."""


class ModelError(PersonaKitError, RuntimeError):
    """A model cannot be fitted on this data (no convergence, too little data)."""


class NotEnoughData(ModelError):
    """Valid data too short or too small for a method (no buyers, no churned lives, one month
    of history). A report section shows what it needs in its place; the rest of the report runs.
    Only this (and other :class:`ModelError`) is turned into a note: a bug still fails."""
