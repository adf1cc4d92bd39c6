"""Every effect that contributes to the planning problem, in the order they pose and report.

Adding an effect is one module with a :class:`~planner.solve.problem.Term` and one line here.
"""

from planner.costs import launch
from planner.effects import data_limit, demand, hyperparams, moe, uncertainty, vocab
from planner.solve.problem import Term

TERMS: tuple[Term, ...] = (
    moe.TERM,  # surface: EL·N (Ling) or Krajewski's own surface and routing FLOPs
    data_limit.TERM,  # surface: effective N′, D′ under a unique-data limit
    launch.SERVING_LIMIT,  # bound: the shape's weights and KV cache fit the serving memory
    vocab.TERM,  # refine: the vocabulary sub-allocation at fixed characters and compute
    demand.TERM,  # report: the inference-aware plan (training + serving compute)
    hyperparams.TERM,  # report: learning rate and batch size
    uncertainty.TERM,  # report: bootstrap intervals of fitted laws
    launch.TERM,  # report: the shape, training memory and layout, serving from the shape
)

WITHOUT_ARCHITECTURE: tuple[Term, ...] = tuple(t for t in TERMS if t is not launch.TERM)
"""Every effect but the launch report: the plan of the law alone (``plan(q, terms=...)``)."""
