"""The rule of structured pruning in rounds (:func:`~sparcs.pruning.prune_in_rounds`), with
all of its numbers in one place.

>>> rule = PruningRule()
>>> rule.rounds, rule.round_epochs(50), rule.round_epochs(3)
(3, 10, 1)
>>> rule.shrank(100, 90), rule.shrank(100, 91)  # a round must remove at least a tenth
(True, False)
"""

from __future__ import annotations

from dataclasses import dataclass

from ..options import option, validate

__all__ = ["DEFAULT_RULE", "PruningRule"]


@dataclass(frozen=True)
class PruningRule:
    """How :func:`~sparcs.pruning.prune_in_rounds` prunes, fine-tunes and prunes again.

    Attributes:
        rounds: fine-tune-and-prune-again rounds after the first structured pruning.
        min_shrink: a round's result is kept, and another round follows, only while it removes
            at least this share of the parameters.
        epochs_divisor, min_round_epochs: the fine-tuning epochs per round are
            ``max(min_round_epochs, finetune_epochs // epochs_divisor)``, a share of the
            fine-tuning budget (see :meth:`round_epochs`).
        rescore_rounds: each structured pruning's rounds of fresh scores
            (``structured_prune(rounds=...)``).
        fold_means: removed nodes are replaced by their validation mean
            (``structured_prune(fold_means=...)``).
        prune_inputs: input features may be removed (``structured_prune(prune_inputs=...)``).
    """

    rounds: int = option(3, "fine-tune-and-prune-again rounds", kind=int, low=0)
    min_shrink: float = option(0.1, "share of the parameters a round must remove", kind=float,
                               low=0, high=1, high_open=True)
    epochs_divisor: int = option(5, "fine-tuning budget per round: finetune_epochs // this",
                                 kind=int, low=1)
    min_round_epochs: int = option(1, "fewest fine-tuning epochs per round", kind=int, low=0)
    rescore_rounds: int = option(12, "rounds of fresh scores per structured pruning", kind=int,
                                 low=0)
    fold_means: bool = option(True, "replace removed nodes by their validation mean", kind=bool)
    prune_inputs: bool = option(False, "input features may be removed", kind=bool)

    def __post_init__(self) -> None:
        validate(self)

    def round_epochs(self, finetune_epochs: int) -> int:
        """Fine-tuning epochs per round for a fine-tuning budget of ``finetune_epochs``."""
        return max(self.min_round_epochs, int(finetune_epochs) // self.epochs_divisor)

    def shrank(self, before: int, after: int) -> bool:
        """Whether a round that went from ``before`` to ``after`` parameters removed enough."""
        return after <= (1 - self.min_shrink) * before


DEFAULT_RULE = PruningRule()
