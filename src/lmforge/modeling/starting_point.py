"""`pretraining.init_from: auto`: start from a packaged checkpoint that covers the corpus.

A candidate covers a corpus when it is installed, the scripts it lists (Latin, Han, …) make up
at least `MIN_SCRIPT_SHARE` of the letters of a sample of the corpus, and its tokenizer reads
at most `MAX_UNKNOWN_SHARE` of the sample's tokens as its unknown token. The first candidate
that covers the corpus wins; when none does, the model is trained from scratch. The choice and
every candidate's figures are kept, so a run says what it chose and why.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

SCRATCH = "scratch"
AUTO = "auto"
SAMPLE_DOCUMENTS = 1000  # the corpus's first documents, read for the choice (and the warning)
MAX_UNKNOWN_SHARE = 0.05  # of the sample's tokens read as [UNK]: more, and it does not cover it
MIN_SCRIPT_SHARE = 0.9  # of the sample's letters in the scripts a candidate lists
# Unicode character names start with their script for these (`CJK UNIFIED IDEOGRAPH-…`)
_SCRIPT_PREFIXES = {
    "CJK": "Han",
    "HIRAGANA": "Kana",
    "KATAKANA": "Kana",
    "HANGUL": "Hangul",
    "LATIN": "Latin",
    "CYRILLIC": "Cyrillic",
    "GREEK": "Greek",
    "ARABIC": "Arabic",
    "HEBREW": "Hebrew",
    "DEVANAGARI": "Devanagari",
    "THAI": "Thai",
}


def script_of(character: str) -> str:
    """The script of a letter (`Latin`, `Han`, `Kana`, `Hangul`, …; `Other` when unnamed)."""
    first = unicodedata.name(character, "").split(" ", 1)[0]
    return _SCRIPT_PREFIXES.get(first, "Other")


def script_mix(texts: Iterable[str]) -> dict[str, float]:
    """The share of each script among the letters of `texts`, largest first."""
    counts = Counter(script_of(c) for text in texts for c in text if c.isalpha())
    total = sum(counts.values())
    return {script: n / total for script, n in counts.most_common()} if total else {}


def _describe_mix(mix: dict[str, float]) -> str:
    return ", ".join(f"{script} {share:.0%}" for script, share in mix.items()) or "no letters"


def assess_candidate(
    candidate: dict[str, Any], sample: Sequence[str], mix: dict[str, float]
) -> dict[str, Any]:
    """One candidate's figures on the sample, and whether it covers the corpus (with why)."""
    from lmforge.modeling.model import load_tokenizer, resolve_location
    from lmforge.modeling.tokenizer import unknown_token_share

    location = candidate["init_from"]
    report: dict[str, Any] = {"init_from": location, "scripts": list(candidate["scripts"])}
    try:
        tokenizer = load_tokenizer(location)
    except (OSError, ValueError) as error:  # not installed (FileNotFoundError) or unreadable
        where = location if location.startswith("pkg://") else resolve_location(location)
        return {**report, "covers": False, "why": f"not available ({where}: {error})"}
    script_share = sum(mix.get(script, 0.0) for script in candidate["scripts"])
    unknown = unknown_token_share(tokenizer, sample)
    report.update(script_share=round(script_share, 4), unknown_share=round(unknown, 4))
    if script_share < MIN_SCRIPT_SHARE:
        why = (
            f"its scripts ({'/'.join(candidate['scripts'])}) are {script_share:.0%} of the letters"
        )
        return {**report, "covers": False, "why": why}
    if unknown > MAX_UNKNOWN_SHARE:
        why = f"it reads {unknown:.1%} of the tokens as {tokenizer.unk_token}"
        return {**report, "covers": False, "why": why}
    why = (
        f"its scripts are {script_share:.0%} of the letters, {unknown:.1%} of the tokens "
        f"{tokenizer.unk_token}"
    )
    return {**report, "covers": True, "why": why}


def choose_starting_point(
    sample: Sequence[str], requested: str, candidates: Sequence[dict[str, Any]]
) -> dict[str, Any]:
    """The model to start from (`init_from`) and why. An explicit `requested` (`scratch`, a
    folder, `pkg://…`) is kept as it is; `auto` looks at the sample (see the module)."""
    mix = script_mix(sample)
    choice: dict[str, Any] = {
        "requested": requested,
        "script_mix": {k: round(v, 4) for k, v in mix.items()},
        "sample_documents": len(sample),
        "candidates": [],
    }
    if requested != AUTO:
        return {
            **choice,
            "init_from": requested,
            "reason": "set explicitly (pretraining.init_from)",
        }
    for candidate in candidates:
        report = assess_candidate(candidate, sample, mix)
        choice["candidates"].append(report)
        if report["covers"]:
            reason = f"auto: {report['init_from']} covers the corpus ({report['why']})"
            return {**choice, "init_from": report["init_from"], "reason": reason}
    rejected = "; ".join(f"{c['init_from']}: {c['why']}" for c in choice["candidates"])
    reason = (
        f"auto: no packaged checkpoint covers the corpus ({_describe_mix(mix)}; "
        f"{rejected or 'no candidates'}): trained from scratch"
    )
    return {**choice, "init_from": SCRATCH, "reason": reason}
