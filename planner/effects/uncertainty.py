"""A fitted law's uncertainty in the plan: bootstrap intervals for N*, D*, tokens per parameter
and loss (:mod:`planner.fitting.intervals`), or a plain note of why a plan has none."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from planner.solve.problem import Point, Problem, Term

if TYPE_CHECKING:
    from planner.question import Question

SE_ONLY = "no interval: the paper gives standard errors only"
NO_SAMPLES = "no interval: the preset carries no bootstrap samples"
NOT_COVERED = "no interval: bootstrap intervals cover the dense plan without vocabulary or data limit"


class UncertaintyTerm(Term):
    name = "intervals"

    def applies(self, q: Question) -> bool:
        return True

    def report(self, p: Problem, pt: Point, out: dict[str, Any]) -> None:
        info = p.law.info
        samples = info.bootstrap_samples
        if samples is None:
            out["interval_note"] = SE_ONLY if info.uncertainty else NO_SAMPLES
            return
        q = p.question
        if not p.pristine or q.vocab_size is not None or q.optimal_vocab:
            out["interval_note"] = NOT_COVERED
            return
        from planner.fitting.intervals import loss_interval, plan_intervals

        level = info.bootstrap_level or 0.95
        if pt.binding:
            out["intervals"] = {"loss": loss_interval(samples, p.law.form, pt.n, pt.d, level)}
        else:
            out["intervals"] = plan_intervals(samples, p.flops, level, form=p.law.form)
        out["interval_note"] = f"{level:.0%} bootstrap interval over {len(samples):,} refits"
        if info.calibration:  # a measured extrapolation error: the loss gets a prediction interval
            from planner.fitting.predict import loss_prediction_interval

            lo, hi, kind = loss_prediction_interval(p.law, pt.n, pt.d, level)
            out["intervals"]["loss"] = (float(lo), float(hi))
            out["interval_note"] = (f"N*, D*: {level:.0%} bootstrap interval over {len(samples):,} refits; "
                                    f"loss: {kind}")


TERM = UncertaintyTerm()
