"""The pyfunc model on a tiny classifier folder: raw text in, training-time cleaning applied."""

import warnings
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from mlflow.pyfunc.utils.data_validation import _get_func_info_if_type_hint_supported

from lmforge.classification.inference import predict_proba
from lmforge.data.cleaning import clean_texts
from lmforge.modeling.artifacts import ModelBundle
from lmforge.modeling.model import build_classifier
from lmforge.serving.pyfunc import EMPTY_FLAG, SERVING_FILE, TextClassifierModel
from tests.conftest import TINY

CLASSES = ["negative", "neutral", "positive"]


@pytest.fixture(scope="module", params=["clm", "mlm"])
def served(request, tmp_path_factory, tokenizer) -> TextClassifierModel:
    folder = tmp_path_factory.mktemp(request.param) / "classifier"
    model = build_classifier(None, CLASSES, TINY.to_hf(request.param, tokenizer), seed=3)
    ModelBundle(model, tokenizer, {SERVING_FILE: {"max_length": 48, "classes": CLASSES}}).save(
        folder
    )
    served = TextClassifierModel()
    served.load_context(SimpleNamespace(artifacts={"model": str(folder)}))
    return served


def test_raw_text_is_cleaned_exactly_as_in_training(served):
    raw = [
        "<p>The screen is <b>superb</b> &amp; I  love it!</p>",
        "电池一点也不耐用，<br/>不推荐。",
    ]
    cleaned = clean_texts(pd.Series(raw, dtype="string")).tolist()
    assert cleaned != raw
    out = served.predict(None, pd.DataFrame({"text": raw}))
    direct = predict_proba(served.model, served.tokenizer, cleaned, max_length=48)
    probabilities = out[[f"prob_{c}" for c in CLASSES]].to_numpy()
    np.testing.assert_allclose(probabilities, direct, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    assert out["label"].tolist() == [CLASSES[i] for i in direct.argmax(axis=1)]
    assert out["flag"].isna().all()


def test_empty_and_null_texts_are_flagged_in_place(served):
    texts = ["", "Great value, would buy again.", None, "   <br/> ", "还不错"]
    out = served.predict(None, pd.DataFrame({"text": texts}))
    assert len(out) == len(texts)
    assert out["flag"].fillna("").tolist() == [EMPTY_FLAG, "", EMPTY_FLAG, EMPTY_FLAG, ""]
    assert out.loc[[0, 2, 3], "label"].isna().all()
    assert out.loc[[1, 4], "label"].isin(CLASSES).all()
    assert out.loc[[0, 2, 3], "prob_positive"].isna().all()
    alone = served.predict(None, ["Great value, would buy again."])
    assert alone.loc[0, "prob_positive"] == pytest.approx(out.loc[1, "prob_positive"], abs=1e-6)


def test_an_all_empty_batch_and_a_missing_text_column(served):
    out = served.predict(None, pd.DataFrame({"text": ["", None]}))
    assert out["flag"].tolist() == [EMPTY_FLAG, EMPTY_FLAG]
    with pytest.raises(ValueError, match="'text' column"):
        served.predict(None, pd.DataFrame({"review": ["fine"]}))


def test_requests_are_bounded_and_validated(served):
    from mlflow.exceptions import MlflowException

    from lmforge.serving.pyfunc import NON_STRING_FLAG

    with pytest.raises(MlflowException, match="batch_size must be an integer >= 1"):
        served.predict(None, ["fine"], params={"batch_size": -1})
    with pytest.raises(MlflowException, match="batch_size must be an integer >= 1"):
        served.predict(None, ["fine"], params={"batch_size": 0})
    limits = served.limits
    served.limits = {"max_rows": 3, "max_text_chars": 20}
    try:
        with pytest.raises(MlflowException, match=r"4 rows .* max_rows=3") as error:
            served.predict(None, ["a", "b", "c", "d"])
        assert error.value.get_http_status_code() == 400
        long = "The battery is awful. " + "Great screen! " * 500
        cut = served.predict(None, [long])
        direct = served.predict(None, [long[:20]])
        np.testing.assert_allclose(cut["prob_positive"], direct["prob_positive"], rtol=1e-5)
    finally:
        served.limits = limits
    one = served.predict(None, "Great value, would buy again.")  # a bare string is one text
    assert len(one) == 1 and one.loc[0, "label"] in CLASSES
    mixed = served.predict(None, pd.DataFrame({"text": ["good", 42, None, ["a"]]}))
    assert mixed["flag"].fillna("").tolist() == ["", NON_STRING_FLAG, EMPTY_FLAG, NON_STRING_FLAG]
    assert mixed.loc[[1, 2, 3], "label"].isna().all()


def test_mlflow_reads_the_predict_hints_without_warning_or_a_schema_of_its_own():
    """The DataFrame hint: no "add type hints" warning on every kedro command, and MLflow
    neither wraps `predict` in its own validation nor infers a schema over the logged one."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        info = _get_func_info_if_type_hint_supported.__wrapped__(TextClassifierModel.predict)
    assert info is None
    assert not [w for w in caught if "type hint" in str(w.message)]
