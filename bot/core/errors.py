"""Errors the member is allowed to see."""


class UserError(Exception):
    """Bad input or a refused action. The message is shown as-is, so keep it friendly."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class NotFound(UserError):
    pass
