"""Solving a question: the problem and its terms, the closed forms and the numerical path, inverses.

:func:`planner.solve.plan.plan` is the entry point (re-exported as :func:`planner.plan`). This
package's ``__init__`` imports nothing, so effects can import :mod:`planner.solve.problem`
without loading the solver.
"""
