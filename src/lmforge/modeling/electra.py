"""ELECTRA's replaced-token detection (Clark et al., 2020): a small masked-LM generator fills
the masked positions with plausible tokens, and the discriminator — the model that is kept —
learns to tell, at every position, whether a token is the original. It learns from all the
tokens instead of the 15% that are masked, and never projects onto the vocabulary itself. The
paper's objective for small compute; at lmforge's 3-minute CPU budget it does not get going
(docs/diagnosis.md)."""

from __future__ import annotations

from torch import nn
from transformers import ElectraConfig, ElectraForMaskedLM, ElectraForPreTraining, PretrainedConfig

# The generator's width as a fraction of the discriminator's (the paper's best: 1/4 to 1/2).
GENERATOR_WIDTH = 0.25


def generator_config(config: PretrainedConfig, width: float = GENERATOR_WIDTH) -> ElectraConfig:
    """The generator: the discriminator's depth and embeddings, a fraction of its width."""
    heads = max(1, round(config.num_attention_heads * width))
    hidden = max(heads * 16, round(config.hidden_size * width / heads) * heads)
    return ElectraConfig.from_dict(
        {
            **config.to_dict(),
            "hidden_size": hidden,
            "num_attention_heads": heads,
            "intermediate_size": max(hidden, round(config.intermediate_size * width)),
        }
    )


class ReplacedTokenDetector(nn.Module):
    """A generator and a discriminator that share their embeddings (token, position, type),
    trained together; `discriminator` is the pretrained model that fine-tuning loads."""

    def __init__(self, config: ElectraConfig) -> None:
        super().__init__()
        self.discriminator = ElectraForPreTraining(config)
        self.generator = ElectraForMaskedLM(generator_config(config))
        self.generator.electra.embeddings = self.discriminator.electra.embeddings
        self.generator.generator_lm_head.weight = (
            self.discriminator.electra.embeddings.word_embeddings.weight
        )
        self.config = config  # what the training loop reads (layers, width) is the discriminator's
