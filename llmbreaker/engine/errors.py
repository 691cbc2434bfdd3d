"""The one error type for mistakes a person can make, with the codes of docs/design.md §Messages.

Pages catch `UserInputError` and show `message` as it is; the code lets tests and pages tell the
cases apart without parsing words.
"""
from __future__ import annotations

# The user-facing messages (docs/design.md §Messages). Pages may add the current figures (counts, sizes) after them.
MESSAGES = {
    "file_too_large": "File too large. Max 10MB.",
    "file_invalid_type": "Unsupported file type. Use .txt or .docx",
    "file_unreadable": "This file could not be read as text.",
    "text_too_short": "Text too short. Min 100 characters required.",
    "text_too_long": "Text too long. Max 50,000 characters.",
    "out_of_memory": "Input too large for training. Try < 1000 words.",
    "session_not_found": "Session expired. Please restart.",
    "training_failed": "Training crashed. Please try again.",
    "invalid_setting": "That setting is out of range.",
    "too_many_sessions": "Too many training sessions open in this browser tab.",
    # Added to the design document's list. A model file is not text, so its refusals never say "read as text";
    # the detail names the real reason and what to do next.
    "model_invalid": "This model file cannot be used.",
    "too_many_characters": "This text uses too many different characters.",
}


class UserInputError(ValueError):
    """Something the person can fix: a bad file, too little text, a setting out of range."""

    def __init__(self, code: str, detail: str = ""):
        self.code = code
        base = MESSAGES.get(code, "Something went wrong.")
        self.message = f"{base} {detail}".strip()
        super().__init__(self.message)
