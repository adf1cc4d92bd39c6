"""Every effect that contributes to the planning problem, in the order they pose and report.

Adding an effect is one module with a :class:`~planner.solve.problem.Term` and one line here.
An effect only some questions use is registered by its module and the inputs it reads
(:class:`~planner.solve.problem.LazyTerm`): its module is imported the first time a question
sets one of them, so a plain plan (and the command line's start) loads none of its science.
"""

from planner.costs import launch
from planner.effects import hyperparams, uncertainty
from planner.solve.problem import LazyTerm, Term

TERMS: tuple[Term, ...] = (
    # surface: EL·N (Ling) or Krajewski's own surface and routing FLOPs
    LazyTerm("planner.effects.moe", ("moe_activation", "moe_granularity")),
    # surface: effective N′, D′ under a unique-data limit
    LazyTerm("planner.effects.data_limit", ("unique_tokens",)),
    launch.SERVING_LIMIT,  # bound: the shape's weights and KV cache fit the serving memory
    # refine: the vocabulary sub-allocation at fixed characters and compute
    LazyTerm("planner.effects.vocab", ("vocab_size", "optimal_vocab")),
    # report: the inference-aware plan (training + serving compute)
    LazyTerm("planner.effects.demand", ("inference_tokens", "target_loss")),
    hyperparams.TERM,  # report: learning rate and batch size
    uncertainty.TERM,  # report: bootstrap intervals of fitted laws
    launch.TERM,  # report: the shape, training memory and layout, serving from the shape
)

WITHOUT_ARCHITECTURE: tuple[Term, ...] = tuple(t for t in TERMS if t is not launch.TERM)
"""Every effect but the launch report: the plan of the law alone (``plan(q, terms=...)``)."""
