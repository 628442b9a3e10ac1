"""/predict: English to French, as in Gradio's "query apps with curl" guide.

A small built-in phrase table stands in for the guide's translation model: deterministic,
no download. Whole sentences it knows are translated as one; otherwise word by word, and
words it does not know are kept.
"""

from __future__ import annotations

import re

from server import App

PHRASES = {
    "hello, my friend.": "Bonjour, mon ami.",
    "hello, world!": "Bonjour, le monde !",
    "how are you?": "Comment allez-vous ?",
    "good morning.": "Bonjour.",
    "good evening.": "Bonsoir.",
    "thank you very much.": "Merci beaucoup.",
    "i love you.": "Je t'aime.",
    "where is the library?": "Où est la bibliothèque ?",
}
WORDS = {
    "hello": "bonjour",
    "friend": "ami",
    "my": "mon",
    "the": "le",
    "cat": "chat",
    "dog": "chien",
    "house": "maison",
    "is": "est",
    "and": "et",
    "good": "bon",
    "yes": "oui",
    "no": "non",
    "thank": "merci",
    "you": "vous",
    "world": "monde",
    "morning": "matin",
    "evening": "soir",
    "water": "eau",
    "bread": "pain",
}

app = App("Translate English to French")


def _word(match: re.Match[str]) -> str:
    word = match.group(0)
    french = WORDS.get(word.lower(), word)
    return french.capitalize() if word[0].isupper() else french


@app.api("predict")
def translate(text: str) -> str:
    """Translate English text to French."""
    text = text or ""  # a client may send null for a Textbox, as Gradio passes it on
    known = PHRASES.get(text.strip().lower())
    if known is not None:
        return known
    return re.sub(r"[A-Za-z]+", _word, text)
