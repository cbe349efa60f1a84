"""A byte-level BPE tokenizer trained on the pretraining corpus, CJK-safe.

Each Han / kana character is cut out on its own before byte-level BPE, so every Chinese
character is one token when it is frequent and a few byte tokens when it is rare: no character,
in any script, ever becomes `[UNK]`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
from tokenizers import trainers as tk_trainers
from transformers import PreTrainedTokenizerBase, PreTrainedTokenizerFast

PAD, UNK, CLS, SEP, MASK = "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"
SPECIAL_TOKENS = [PAD, UNK, CLS, SEP, MASK]
_CJK_CHAR = r"[\p{Han}\p{Hiragana}\p{Katakana}]"


def train_tokenizer(
    texts: Iterable[str],
    vocab_size: int,
    min_frequency: int = 2,
    lowercase: bool = True,
    model_max_length: int = 512,
) -> PreTrainedTokenizerFast:
    """Train on `texts` (any iterable, streamed) and wrap as a `PreTrainedTokenizerFast`."""
    tokenizer = Tokenizer(models.BPE(unk_token=UNK))
    steps = [normalizers.NFKC()] + ([normalizers.Lowercase()] if lowercase else [])
    tokenizer.normalizer = normalizers.Sequence(steps)
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(_CJK_CHAR), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
        ]
    )
    tokenizer.decoder = decoders.ByteLevel()
    trainer = tk_trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer=trainer)
    cls_id, sep_id = tokenizer.token_to_id(CLS), tokenizer.token_to_id(SEP)
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{CLS} $A {SEP}",
        pair=f"{CLS} $A {SEP} $B:1 {SEP}:1",
        special_tokens=[(CLS, cls_id), (SEP, sep_id)],
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        unk_token=UNK,
        pad_token=PAD,
        cls_token=CLS,
        sep_token=SEP,
        mask_token=MASK,
        model_max_length=model_max_length,
    )


def unknown_token_share(tokenizer: PreTrainedTokenizerBase, texts: Sequence[str]) -> float:
    """The share of the tokens of `texts` that `tokenizer` reads as its unknown token (0 for a
    tokenizer without one, such as ours): how much of a text a checkpoint's vocabulary misses."""
    unk = tokenizer.unk_token_id
    if unk is None or not texts:
        return 0.0
    ids = tokenizer(list(texts), add_special_tokens=False, verbose=False)["input_ids"]
    total = sum(len(row) for row in ids)
    return sum(row.count(unk) for row in ids) / total if total else 0.0
