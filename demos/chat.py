"""/chat: a chat endpoint whose reply depends on the history kept for its ``session_hash``.

Calls with the same ``session_hash`` continue one conversation; a new hash (or none) starts
a fresh one. The reply counts the messages that came before, so the history is visible.
The session keeps the last ``MAX_TURNS`` turns only (each message cut to ``MAX_CHARS``
characters), so a long conversation does not grow the server's memory without bound.
"""

from __future__ import annotations

from server import App, Session

app = App("Chat")

#: Turns (a message and its reply) the history keeps, and characters kept of each message.
MAX_TURNS = 50
MAX_CHARS = 2000


@app.api("chat")
def chat(message: str, session: Session) -> str:
    """Answer MESSAGE, remembering the conversation of this session."""
    message = message or ""  # a client may send null for a Textbox, as Gradio passes it on
    history: list[dict[str, str]] = session.setdefault("history", [])
    earlier: int = session.get("messages", 0)
    reply = f"You said: {message} ({earlier} earlier messages in this session)"
    history.append({"role": "user", "content": message[:MAX_CHARS]})
    history.append({"role": "assistant", "content": reply[:MAX_CHARS]})
    del history[: -2 * MAX_TURNS]
    session["messages"] = earlier + 2
    return reply
