"""The candidates of a search: each trained member pruned within the limit.

Eigenvalue pruning comes first (the paper's rule: the largest eigenvalue threshold within the
limit); with ``prune_structure`` the compact model then loses hidden nodes, skip blocks and
whole layers by their measured contribution, in rounds with short fine-tunings between them
(:func:`sparcs.pruning.structured.prune_in_rounds`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..pruning.compact import CompactNetwork, to_compact
from ..pruning.rule import PruningRule
from ..pruning.size import mlp_parameters
from ..pruning.spectral_prune import prune
from ..pruning.structured import prune_in_rounds
from ..training.trainer import History
from .criterion import Criterion
from .path import Member

__all__ = ["Candidate", "prune_member"]

# Structured pruning's fine-tune-and-prune-again rounds (the defaults).
PRUNING = PruningRule()


@dataclass
class Candidate:
    """One member pruned: the compact model and its value on the validation rows, the
    threshold curve, the threshold chosen, the validation losses before and after eigenvalue
    pruning, and the epochs of the fine-tunings between structured-pruning rounds."""

    member: Member
    model: CompactNetwork
    value: float
    curve: list[dict]
    threshold: float
    losses: dict[str, float] = field(default_factory=dict)
    pruning_epochs: int = 0


def prune_member(
    member: Member,
    criterion: Criterion,
    limit: float,
    *,
    tune: Callable[[CompactNetwork, int], History],
    structure: bool,
    finetune_epochs: int,
    say: Callable[[str], None],
) -> Candidate:
    """Eigenvalue pruning and (with ``structure``) structured pruning of ``member``'s network
    within ``limit``; ``tune(model, epochs)`` fine-tunes a compact model in place between the
    structured-pruning rounds."""
    net = member.network
    result = prune(net, criterion.X, criterion.target, limit=limit, loss=criterion.measure,
                   sweep_top_k=False)
    say(f"pruning: threshold {float(result.threshold):.3g} keeps hidden widths "
        f"{list(result.architecture.hidden_widths)} of {list(net.sizes[1:-1])}")
    compact = result.compact
    epochs: list[int] = []
    if structure:
        say("pruning: removing the nodes, skip blocks and layers that carry little ...")
        rounds = PRUNING.round_epochs(finetune_epochs)
        compact = prune_in_rounds(
            [compact, to_compact(net, 0.0)], criterion.X, criterion.target,
            loss=criterion.measure, limit=limit,
            tune=lambda model: epochs.append(len(tune(model, rounds).loss)),
            rule=PRUNING, max_parameters=mlp_parameters(net.sizes),
        )
    return Candidate(
        member, compact, criterion.value(compact), list(result.curve), float(result.threshold),
        {"base": float(result.base_loss), "pruned": float(result.loss)}, sum(epochs),
    )

