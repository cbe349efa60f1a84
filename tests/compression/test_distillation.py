import math

import numpy as np
import pytest
import torch

from lmforge.classification.finetune import encode
from lmforge.compression.distillation import (
    UNLABELED,
    DistillationTask,
    distillation_loss,
    student_from_teacher,
)
from lmforge.compression.recipes import check_student
from lmforge.training.tasks import normalizer


def test_the_loss_matches_a_hand_computed_value():
    student, teacher = torch.tensor([[2.0, 0.0]]), torch.tensor([[0.0, 1.0]])
    t, alpha = 2.0, 0.25
    p_t = [math.exp(0) / (math.exp(0) + math.exp(0.5)), math.exp(0.5) / (1 + math.exp(0.5))]
    q_s = [math.exp(1.0) / (math.exp(1.0) + 1), 1 / (math.exp(1.0) + 1)]
    kl = sum(p * math.log(p / q) for p, q in zip(p_t, q_s, strict=True))
    ce = -math.log(math.exp(2.0) / (math.exp(2.0) + 1))
    expected = alpha * t**2 * kl + (1 - alpha) * ce
    loss = distillation_loss(student, teacher, torch.tensor([0]), t, alpha)
    assert loss.item() == pytest.approx(expected, rel=1e-5)
    unlabeled = distillation_loss(student, teacher, torch.tensor([UNLABELED]), t, alpha)
    assert unlabeled.item() == pytest.approx(alpha * t**2 * kl, rel=1e-5)


def test_batches_carry_the_teachers_logits_row_for_row(tokenizer, texts):
    ids = encode(tokenizer, texts[:40], 64)
    soft = np.arange(80, dtype=np.float32).reshape(40, 2)
    labels = [0, 1] * 10 + [UNLABELED] * 20
    task = DistillationTask(ids, labels, soft, ids[:4], [0, 1, 0, 1], 0, 2, 0, 2.0, 0.5)
    batch = task.global_batch(3, 8)
    rows = task.batch_rows(3, 8)
    assert torch.equal(batch["teacher_logits"], torch.as_tensor(soft[rows]))
    assert torch.equal(batch["labels"], torch.as_tensor(np.array(labels)[rows]))
    assert normalizer(batch) == 8


def test_the_student_starts_from_the_teachers_layers(classifier):
    student = student_from_teacher(classifier, 1, 32)
    teacher_state, student_state = classifier.state_dict(), student.state_dict()
    embeddings = [k for k in student_state if "embed" in k or "wte" in k]
    assert embeddings and all(torch.equal(student_state[k], teacher_state[k]) for k in embeddings)
    assert sum(p.numel() for p in student.parameters()) < sum(
        p.numel() for p in classifier.parameters()
    )
    layer_norms = [k for k in student_state if ".0." in k and ("ln_" in k or "LayerNorm" in k)]
    assert layer_norms and all(torch.equal(student_state[k], teacher_state[k]) for k in layer_norms)


@pytest.mark.parametrize(
    ("student", "message"),
    [
        ({"n_layers": 3, "d_ff": None}, r"student.n_layers` = 3: the teacher has 2"),
        ({"n_layers": 1, "d_ff": 128}, r"student.d_ff` = 128: the teacher's is 64"),
        ({"n_layers": 2, "d_ff": None}, r"is the teacher's size \(2 layer\(s\), d_ff 64\)"),
    ],
)
def test_a_student_not_smaller_than_its_teacher_is_refused(classifier, student, message):
    with pytest.raises(ValueError, match=message):
        check_student(classifier, student)
