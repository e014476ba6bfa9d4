"""Chinese word segmentation: jieba with GridDesk's power-industry user
dictionary (``data/power_dict.txt``) plus every lexicon term, initialised
lazily once per process.  A private ``jieba.Tokenizer`` is used so that the
global ``jieba`` instance of other code is left alone."""

from __future__ import annotations

import logging
import threading
from importlib import resources
from typing import Final

import jieba

from . import lexicon

__all__ = ["PUNCT", "USER_DICT", "cut_raw", "tokenize", "tokenizer"]

USER_DICT: Final[str] = "power_dict.txt"
_lock = threading.Lock()
_tk: jieba.Tokenizer | None = None

# Tokens dropped from the output: whitespace and common punctuation.
PUNCT: Final[frozenset[str]] = frozenset(" ,.!?;:'\"()[]{}<>、，。！？；：“”‘’（）【】《》…—-~～·/\\|@#$%^&*_+=`")


def tokenizer() -> jieba.Tokenizer:
    """The shared, lazily initialised tokenizer (thread-safe initialisation)."""
    global _tk
    if _tk is not None:
        return _tk
    with _lock:
        if _tk is None:
            jieba.setLogLevel(logging.WARNING)
            tk = jieba.Tokenizer()
            tk.initialize()
            with resources.files(__package__).joinpath("data", USER_DICT).open("r", encoding="utf-8") as fh:
                for line in fh:
                    parts = line.split()
                    if parts and not parts[0].startswith("#"):
                        freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
                        tk.add_word(parts[0], freq)
            extra: set[str] = set(lexicon.RELEVANCE_TERMS)
            for terms in lexicon.TOPIC_TERMS.values():
                extra.update(terms)
            extra.update(lexicon.POSITIVE_WORDS, lexicon.NEGATIVE_WORDS, lexicon.NEGATORS)
            for word in sorted(extra):
                if len(word) > 1 and tk.FREQ.get(word, 0) == 0:
                    tk.add_word(word)
            _tk = tk
    return _tk


def cut_raw(text: str) -> list[str]:
    """jieba precise mode without HMM (dictionary words only: faster and
    deterministic); whitespace dropped, punctuation kept (it ends clauses)."""
    return [t for t in tokenizer().cut(text, HMM=False) if not t.isspace()]


def tokenize(text: str) -> tuple[str, ...]:
    """Words of a normalised text: lower-cased, whitespace and punctuation dropped."""
    return tuple(t for t in cut_raw(text.lower()) if t not in PUNCT)
