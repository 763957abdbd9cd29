"""The fault table every connector's tests run, and the checks every mapped error must pass.

Each platform's ``test_*_faults.py`` answers one poll with a bare HTTP status in its own wire
format (through the real SDK) for every row of :func:`status_table`, and checks the error with
:func:`assert_mapped`: one status means the same error class on every platform.
"""

from __future__ import annotations

from collections.abc import Mapping

from connectors.errors import (
    AuthError,
    ConnectorError,
    Forbidden,
    NotFound,
    PermanentError,
    RateLimited,
    ServerError,
    TransientError,
)

STATUS_TABLE: Mapping[int, type[ConnectorError]] = {
    400: PermanentError,
    401: AuthError,
    403: Forbidden,
    404: NotFound,
    429: RateLimited,
    500: ServerError,
    502: ServerError,
    503: ServerError,
}


def status_table(
    overrides: Mapping[int, type[ConnectorError]] | None = None,
) -> list[tuple[int, type[ConnectorError]]]:
    """``(status, expected error class)`` rows for ``pytest.mark.parametrize``; a platform may
    add or change single statuses (Bluesky's 409 is transient)."""
    table = {**STATUS_TABLE, **(overrides or {})}
    return sorted(table.items())


def assert_mapped(
    error: ConnectorError,
    expected: type[ConnectorError],
    *,
    platform: str,
    source: str,
    secrets: tuple[str, ...] = (),
) -> None:
    """``error`` is exactly ``expected``, on the right side of the tree, says where it
    happened, and carries no secret."""
    assert type(error) is expected, f"{type(error).__name__} is not {expected.__name__}: {error}"
    transient = issubclass(expected, TransientError)
    assert isinstance(error, TransientError if transient else PermanentError)
    assert error.platform == platform and error.source == source, (error.platform, error.source)
    assert error.message, "an error must say what went wrong"
    for secret in secrets:
        assert secret not in str(error) and secret not in repr(error)
    if isinstance(error, RateLimited):
        assert error.retry_after >= 0
    if isinstance(error, AuthError):
        assert error.credential, "an auth error names the credential to check"
        assert error.credential in str(error)
