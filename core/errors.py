"""Errors that carry a message meant for the person using the dashboard."""

from __future__ import annotations


class UserFacingError(Exception):
    """Bad input or a refused action: says what is wrong and how to fix it.

    Pages show ``str(error)`` as is, so the text must be complete, polite and free
    of secrets. Nothing has been changed when one of these is raised.
    """

    def __init__(self, problem: str, fix: str = "") -> None:
        self.problem = problem
        self.fix = fix
        super().__init__(f"{problem} {fix}".strip())


class InvalidNameError(UserFacingError):
    """A resource name breaks Azure's naming rule for its kind."""


class NotFoundError(UserFacingError):
    """A resource the action needs does not exist."""


class ConflictError(UserFacingError):
    """The resource exists already in a way that the request contradicts."""


class NameTakenError(ConflictError):
    """A name that must be unique (in a region, or across Azure) is taken by someone else;
    ``suggestion`` is a free name to offer instead ("" when none is known)."""

    def __init__(self, problem: str, fix: str = "", suggestion: str = "") -> None:
        super().__init__(problem, fix)
        self.suggestion = suggestion


class DataError(UserFacingError):
    """An uploaded or generated dataset cannot be used as it is."""
