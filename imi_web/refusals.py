"""The one exception operations raise when they refuse: messages per form field."""


class Refused(Exception):
    """The operation was refused; ``errors`` maps form fields to messages (shown beside them)."""

    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors

    def message(self) -> str:
        return " ".join(str(m) for messages in self.errors.values() for m in messages)


def apply_to_form(form, refused: Refused, fallback: str):
    """Put the refusal's messages beside the form's fields (``fallback`` for unknown ones)."""
    for field, messages in refused.errors.items():
        target = getattr(form, field, None) or getattr(form, fallback)
        target.errors = list(target.errors) + [str(m) for m in messages]
