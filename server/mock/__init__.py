"""The contract-testing toolkit: the request journal, and the admin API under ``/__mock/``.

Data flows one way here too: requests are journalled as they arrive (``_journal``), and the
admin routes (``_admin``) read the journal for clients in any language.
"""

from ._admin import admin_router
from ._journal import Entry, Journal, JournalRecorder, near_misses, note_call, note_unmatched

__all__ = [
    "Entry",
    "Journal",
    "JournalRecorder",
    "admin_router",
    "near_misses",
    "note_call",
    "note_unmatched",
]
