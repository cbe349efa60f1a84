"""A deterministic generator of English and Chinese customer reviews (the `builtin` source).

Every review is planned from its label, so the label is known by construction, but no single
word gives it away: clauses are negated ("the battery is not bad at all"), contrasted ("the
screen is great, but the battery is awful" — the clause after *but* and the closing verdict
carry the review), and neutral reviews mix praise with complaints. Sentiment words follow a
Zipfian law: most appear often in the unlabeled text and rarely in the few labeled reviews, so
pretraining on the unlabeled text is what teaches a model that "stupendous" is praise.

About `dirty_fraction` of the rows carry the dirt real exports have: exact and near duplicates
(case, whitespace, full-width characters), HTML tags and entities, control characters, empty
texts, overlong texts, and misspelled or unknown labels. The same seed gives the same rows.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from itertools import accumulate

import pandas as pd

from lmforge.data import lexicon as lx

RAW_COLUMNS = ("text", "label", "split", "source")


@dataclass(frozen=True)
class BuiltinConfig:
    """Size and mix of the builtin corpus."""

    n_documents: int = 18_000
    labeled_fraction: float = 0.13
    chinese_fraction: float = 0.4
    dirty_fraction: float = 0.05
    class_weights: tuple[float, float, float] = (0.35, 0.25, 0.40)  # negative, neutral, positive
    seed: int = 42


def _zipf_cumulative(n: int, exponent: float = 0.8) -> list[float]:
    return list(accumulate(1.0 / (rank + 1) ** exponent for rank in range(n)))


class _Language:
    """Sentence builders for one language; `rng` is the generator's only source of chance."""

    def __init__(self, rng: random.Random, zh: bool) -> None:
        self.rng = rng
        self.zh = zh
        self.items = {**(lx.ZH_PRODUCTS if zh else lx.EN_PRODUCTS),
                      **(lx.ZH_SERVICES if zh else lx.EN_SERVICES)}
        self.item_names = sorted(self.items)
        self.services = set(lx.ZH_SERVICES if zh else lx.EN_SERVICES)
        self.words = {
            "positive": lx.ZH_POSITIVE if zh else lx.EN_POSITIVE,
            "negative": lx.ZH_NEGATIVE if zh else lx.EN_NEGATIVE,
        }
        self.emotions = lx.ZH_EMOTIONS if zh else lx.EN_EMOTIONS
        self.verbs = lx.ZH_VERBS if zh else lx.EN_VERBS
        self.outcomes = lx.ZH_OUTCOMES if zh else lx.EN_OUTCOMES

    def pick(self, options):
        return options[self.rng.randrange(len(options))]

    def zipf(self, words: tuple[str, ...], head: int | None = None) -> str:
        """A word drawn with Zipfian weights (rank r has weight 1/r); `head` keeps the top."""
        words = words[:head] if head else words
        return self.rng.choices(words, cum_weights=_zipf_cumulative(len(words)))[0]

    def adjective(self, polarity: str, negatable: bool = False) -> str:
        # the common head of the list reads naturally after a negation
        return self.zipf(self.words[polarity], 12 if negatable else None)

    def opinion(self, aspect: str, item: str, polarity: str) -> str:
        """One sentence carrying `polarity`: about an aspect, a feeling, a verb or an outcome."""
        kind = self.rng.random()
        if kind < 0.5:
            return self.sentence(self.clause(aspect, polarity))
        if kind < 0.7:
            emotion = self.zipf(self.emotions[polarity])
            if self.rng.random() < 0.4:
                other = self.zipf(self.emotions[polarity])
                if other != emotion:
                    emotion = f"{emotion}又{other}" if self.zh else f"{emotion} and {other}"
            if self.zh:
                return f"对{aspect}{self.pick(lx.ZH_INTENSIFIERS) or '很'}{emotion}。"
            return self.sentence(f"I am {self.pick(lx.EN_INTENSIFIERS)}{emotion} with the {aspect}")
        if kind < 0.85:
            verb = self.zipf(self.verbs[polarity])
            if self.zh:
                return f"{self.pick(('真心', '实在', '非常', ''))}{verb}这个{aspect}。"
            return self.sentence(f"I {self.pick(('really ', 'truly ', '', ''))}{verb} the {aspect}")
        return self.pick(self.outcomes[polarity])

    def clause(self, aspect: str, polarity: str) -> str:
        """A clause about `aspect` with `polarity`, plain or as a negated opposite."""
        opposite = "negative" if polarity == "positive" else "positive"
        if self.rng.random() < 0.15:
            adj = self.adjective(opposite, negatable=True)
            if self.zh:
                return f"{aspect}{self.pick(('不', '一点也不', '并不', '根本不'))}{adj}"
            plural = aspect.endswith("s") and not aspect.endswith("ss")
            verbs = ("are not", "were not", "are never", "are far from") if plural else (
                "is not", "was not", "is never", "is far from")
            verb = self.pick(verbs)
            tail = " at all" if polarity == "positive" and self.rng.random() < 0.5 else ""
            return f"the {aspect} {verb} {adj}{tail}"
        adj = self.adjective(polarity)
        if self.rng.random() < 0.5:  # coordinated pairs ("fast and reliable", "又清晰又流畅")
            second = self.adjective(polarity)
            while second == adj:
                second = self.adjective(polarity)
            if self.zh:
                return f"{aspect}{self.pick(('又', '既'))}{adj}又{second}"
            adj = f"{adj} and {second}"
        if self.zh:
            return f"{aspect}{self.pick(lx.ZH_INTENSIFIERS) or '很'}{adj}"
        form = self.rng.random()
        intens = self.pick(lx.EN_INTENSIFIERS)
        plural = aspect.endswith("s") and not aspect.endswith("ss")
        if form < 0.6:
            return f"the {aspect} {'are' if plural else 'is'} {intens}{adj}"
        if form < 0.8:
            return f"I found the {aspect} {intens}{adj}"
        return f"the {aspect} {'were' if plural else 'was'} {intens}{adj}"

    def sentence(self, clause: str) -> str:
        return f"{clause}。" if self.zh else f"{clause[0].upper()}{clause[1:]}."

    def contrast(self, first: str, second: str) -> str:
        if self.zh:
            joint = self.pick(("，但是", "，不过", "，可是"))
            lead = "虽然" if self.rng.random() < 0.3 else ""
            return f"{lead}{first}{joint}{second}。"
        joint = self.pick((", but ", ", however ", ", yet "))
        return self.sentence(f"{first}{joint}{second}")

    def side_by_side(self, first: str, second: str) -> str:
        if self.zh:
            return f"{first}，{self.pick(('而', '同时', ''))}{second}。"
        return self.sentence(f"{first}, {self.pick(('and', 'while', 'whereas'))} {second}")

    def opener(self, item: str) -> str:
        service = item in self.services
        if self.zh:
            templates = lx.ZH_SERVICE_OPENERS if service else lx.ZH_PRODUCT_OPENERS
            return self.pick(templates).format(
                item=item, when=self.pick(lx.ZH_WHEN), when2=self.pick(lx.ZH_WHEN2),
                span=self.pick(lx.ZH_SPAN))
        templates = lx.EN_SERVICE_OPENERS if service else lx.EN_PRODUCT_OPENERS
        return self.pick(templates).format(
            item=item, when=self.pick(lx.EN_WHEN), when2=self.pick(lx.EN_WHEN2),
            span=self.pick(lx.EN_SPAN), who=self.pick(lx.EN_WHO))

    def fact(self) -> str:
        if self.zh:
            return self.pick(lx.ZH_FACTS).format(day=self.pick(lx.ZH_DAYS),
                                                 color=self.pick(lx.ZH_COLORS))
        return self.pick(lx.EN_FACTS).format(day=self.pick(lx.EN_DAYS),
                                             color=self.pick(lx.EN_COLORS),
                                             who=self.pick(lx.EN_WHO))

    def closer(self, label: str) -> str:
        if self.zh:
            return self.pick(lx.ZH_CLOSERS[label])
        return self.pick(lx.EN_CLOSERS[label]).format(whom=self.pick(lx.EN_WHOM))

    def join(self, sentences: list[str]) -> str:
        return ("" if self.zh else " ").join(sentences)


def _review(lang: _Language, label: str) -> str:
    """One review whose label is `label` by construction."""
    rng = lang.rng
    item = lang.pick(lang.item_names)
    aspects = rng.sample(lang.items[item], 3)
    parts = [lang.opener(item)] if rng.random() < 0.7 else []
    if rng.random() < 0.3:
        parts.append(lang.fact())
    if label == "neutral":
        shape = rng.random()
        if shape < 0.35:  # plain facts, no opinion
            parts.append(lang.fact())
        elif shape < 0.7:  # praise and complaint side by side
            parts.append(lang.side_by_side(lang.clause(aspects[0], "positive"),
                                           lang.clause(aspects[1], "negative")))
        else:  # a contrast that a neutral verdict settles
            first, second = rng.sample(["positive", "negative"], 2)
            parts.append(lang.contrast(lang.clause(aspects[0], first),
                                       lang.clause(aspects[1], second)))
        if shape >= 0.35 or rng.random() < 0.5:
            parts.append(lang.closer("neutral"))
        return lang.join(parts)
    other = "negative" if label == "positive" else "positive"
    opinions = [lang.opinion(aspect, item, label) for aspect in aspects[: rng.randint(1, 3)]]
    if rng.random() < 0.25:  # the minor point first, then the one that carries the review
        opinions[0] = lang.contrast(lang.clause(aspects[0], other),
                                    lang.clause(aspects[1], label))
    parts.extend(opinions)
    if rng.random() < 0.6:
        parts.append(lang.closer(label))
    return lang.join(parts)


_FULLWIDTH = {c: c + 0xFEE0 for c in range(0x21, 0x7F)}
_FULLWIDTH[0x20] = 0x3000


def _near_duplicate(rng: random.Random, text: str) -> str:
    kind = rng.randrange(4)
    if kind == 0:
        return text.upper()
    if kind == 1:
        return text.lower()
    if kind == 2:
        return "  " + text.replace(" ", rng.choice(("  ", " \t ", "\n"))) + " \n"
    return text.translate(_FULLWIDTH)


def _html(rng: random.Random, text: str) -> str:
    text = text.replace("&", "&amp;").replace("'", "&#39;")
    kind = rng.randrange(3)
    if kind == 0:
        return f"<p>{text}</p>"
    if kind == 1:
        return text.replace(". ", ".<br/>", 1).replace("。", "。<br>", 1) + "&nbsp;"
    return f"<div class=\"review\"><b>{text}</b></div>"


def _control(rng: random.Random, text: str) -> str:
    cut = rng.randrange(len(text) + 1)
    return text[:cut] + rng.choice(("\x00", "\x07", "\u200b", "\ufeff", "\x1b")) + text[cut:]


def _dirty_row(rng: random.Random, rows: list[list], text: str, label: str | None) -> list:
    """A row of one dirt kind; duplicates copy an earlier row."""
    kind = rng.randrange(8)
    if kind <= 1 and rows:
        source = rows[rng.randrange(len(rows))]
        copy = source[0] if kind == 0 else _near_duplicate(rng, source[0])
        return [copy, source[1]]
    if kind == 2:
        return [_html(rng, text), label]
    if kind == 3:
        return [_control(rng, text), label]
    if kind == 4:
        return [rng.choice(("", "   ", "\n\t ", "\u3000")), label]
    if kind == 5:
        return [" ".join([text] * rng.randint(60, 90)), label]
    bad = rng.choice(lx.LABEL_TYPOS if kind == 6 else lx.LABEL_UNKNOWN)
    return [text, bad]


def generate_builtin_corpus(config: BuiltinConfig) -> pd.DataFrame:
    """The builtin corpus: columns `text`, `label` (None when unlabeled), `split`, `source`."""
    rng = random.Random(config.seed)
    languages = {False: _Language(rng, zh=False), True: _Language(rng, zh=True)}
    cum_weights = list(accumulate(config.class_weights))
    rows: list[list] = []
    for _ in range(config.n_documents):
        label = rng.choices(lx.LABELS, cum_weights=cum_weights)[0]
        zh = rng.random() < config.chinese_fraction
        text = _review(languages[zh], label)
        shown: str | None = None
        if rng.random() < config.labeled_fraction:
            shown = label
            if rng.random() < 0.1:
                shown = rng.choice(lx.LABEL_VARIANTS[label])
        if rng.random() < config.dirty_fraction:
            rows.append(_dirty_row(rng, rows, text, shown))
        else:
            rows.append([text, shown])
    frame = pd.DataFrame(rows, columns=["text", "label"])
    frame["split"] = None
    frame["source"] = "builtin"
    return frame.astype({c: "string" for c in RAW_COLUMNS})
