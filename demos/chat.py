"""/chat: a chat endpoint whose reply depends on the history kept for its ``session_hash``.

Calls with the same ``session_hash`` continue one conversation; a new hash (or none) starts
a fresh one. The reply counts the messages that came before, so the history is visible.
"""

from __future__ import annotations

from server import App, Session

app = App("Chat")


@app.api("chat")
def chat(message: str, session: Session) -> str:
    """Answer MESSAGE, remembering the conversation of this session."""
    history: list[dict[str, str]] = session.setdefault("history", [])
    earlier = len(history)
    reply = f"You said: {message} ({earlier} earlier messages in this session)"
    history.append({"role": "user", "content": message})
    history.append({"role": "assistant", "content": reply})
    return reply
