import numpy as np

from lmforge.classification.inference import predict_proba
from lmforge.compression.int8 import ONNX_FILE, OnnxClassifier, quantize_classifier
from lmforge.compression.recipes import agreement
from lmforge.modeling.artifacts import ModelBundle, ModelRef


def test_int8_agrees_with_fp32_and_reloads_from_its_folder(classifier, tokenizer, texts, tmp_path):
    int8 = quantize_classifier(classifier)
    sample = texts[:200]
    assert agreement(classifier, int8, tokenizer, sample, 64) >= 0.95
    ModelBundle(int8, tokenizer).save(tmp_path / "int8")
    assert (tmp_path / "int8" / ONNX_FILE).is_file()
    reloaded = ModelRef(str(tmp_path / "int8")).load_classifier()
    assert isinstance(reloaded, OnnxClassifier)
    np.testing.assert_allclose(
        predict_proba(reloaded, tokenizer, sample[:20], 64, 8),
        predict_proba(int8, tokenizer, sample[:20], 64, 8),
        atol=1e-6,
    )
    assert reloaded.config.id2label == classifier.config.id2label
