"""Loss modules the training loop optimizes: each wraps a Hugging Face model and returns the
*sum* of the per-item losses, so the loop can normalize by the global batch's count and get the
same gradient whatever the micro-batching or the number of processes."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from transformers import PreTrainedModel

# Model families whose MLM head we can call on selected positions only.
_MLM_HEADS = {"bert": "cls", "roberta": "lm_head", "xlm-roberta": "lm_head", "camembert": "lm_head"}


class MaskedLMObjective(nn.Module):
    """Masked-LM cross-entropy; the vocabulary projection runs only at the masked positions
    (about 15% of them), the large saving for small models."""

    def __init__(self, model: PreTrainedModel) -> None:
        super().__init__()
        self.model = model
        head_name = _MLM_HEADS.get(model.config.model_type)
        self.head = getattr(model, head_name) if head_name else None

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, labels: torch.Tensor
    ) -> torch.Tensor:
        selected = labels != -100
        if self.head is None:  # any other architecture: the stock head on every position
            logits = self.model(input_ids=input_ids, attention_mask=attention_mask).logits
            return F.cross_entropy(logits[selected].float(), labels[selected], reduction="sum")
        hidden = self.model.base_model(
            input_ids=input_ids, attention_mask=attention_mask
        ).last_hidden_state
        logits = self.head(hidden[selected])
        return F.cross_entropy(logits.float(), labels[selected], reduction="sum")


class ReplacedTokenDetectionObjective(nn.Module):
    """ELECTRA's loss on a masked batch: the generator's masked-LM cross-entropy plus
    `discriminator_weight` (the paper's 50) × the discriminator's binary cross-entropy at every
    real position, on the batch with the masked positions filled by the generator's samples.

    The loop normalizes by the real-token count: the masked-LM sum is scaled by
    1/`mask_probability` so that the result is (nearly) mean MLM loss + weight × mean RTD loss."""

    def __init__(
        self,
        model: nn.Module,
        mask_probability: float,
        discriminator_weight: float = 50.0,
    ) -> None:
        super().__init__()
        self.model = model
        self.mask_probability, self.discriminator_weight = mask_probability, discriminator_weight

    def components(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, labels: torch.Tensor
    ) -> dict[str, torch.Tensor]:
        """Sums over the batch: `mlm` (masked positions), `rtd` and `rtd_correct` (real
        positions), and the counts `masked` and `tokens`."""
        generator, discriminator = self.model.generator, self.model.discriminator
        selected = labels != -100
        hidden = generator.electra(input_ids=input_ids, attention_mask=attention_mask)[0]
        logits = generator.generator_lm_head(generator.generator_predictions(hidden[selected]))
        mlm = F.cross_entropy(logits.float(), labels[selected], reduction="sum")
        with torch.no_grad():
            sampled = torch.multinomial(F.softmax(logits.float(), dim=-1), 1).squeeze(-1)
            corrupted = input_ids.clone()
            corrupted[selected] = sampled
            original = torch.where(selected, labels, input_ids)
            replaced = (corrupted != original).float()
        scores = discriminator(input_ids=corrupted, attention_mask=attention_mask).logits
        real = attention_mask.bool()
        rtd = F.binary_cross_entropy_with_logits(
            scores[real].float(), replaced[real], reduction="sum"
        )
        correct = ((scores[real] > 0).float() == replaced[real]).sum()
        return {
            "mlm": mlm,
            "rtd": rtd,
            "rtd_correct": correct,
            "masked": selected.sum(),
            "tokens": real.sum(),
        }

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, labels: torch.Tensor
    ) -> torch.Tensor:
        parts = self.components(input_ids, attention_mask, labels)
        return parts["mlm"] / self.mask_probability + self.discriminator_weight * parts["rtd"]


class CausalLMObjective(nn.Module):
    """Next-token cross-entropy over the non-padding positions. The targets are shifted
    instead of the logits, so the (batch × length × vocabulary) logits are never copied."""

    def __init__(self, model: PreTrainedModel) -> None:
        super().__init__()
        self.model = model

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, labels: torch.Tensor
    ) -> torch.Tensor:
        logits = self.model(input_ids=input_ids, attention_mask=attention_mask).logits
        targets = F.pad(labels[:, 1:], (0, 1), value=-100)
        return F.cross_entropy(
            logits.flatten(0, 1).float(), targets.flatten(), ignore_index=-100, reduction="sum"
        )


class ClassificationObjective(nn.Module):
    """Cross-entropy of a sequence classifier, optionally class-weighted."""

    def __init__(self, model: nn.Module, class_weights: torch.Tensor | None = None) -> None:
        super().__init__()
        self.model = model
        self.register_buffer("class_weights", class_weights, persistent=False)

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, labels: torch.Tensor
    ) -> torch.Tensor:
        logits = self.model(input_ids=input_ids, attention_mask=attention_mask).logits
        return F.cross_entropy(logits.float(), labels, weight=self.class_weights, reduction="sum")
