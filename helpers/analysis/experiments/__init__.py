"""A/B test readouts: numbers and codes, no display.

* ``summaries``, ``frequentist``, ``bayesian``: summary statistics per variant and the tests that
  compare them (GrowthBook gbstats conventions);
* ``srm``, ``multiplicity``, ``cuped``, ``segments``: sample ratio and balance tests, adjusted
  p-values, CUPED, per-segment effects;
* ``per_user``, ``inputs``, ``health``: the per-user metrics, the readout's inputs and the health
  checks of the assignment;
* ``readout``, ``decision``: the readout of an experiment and its decision;
* ``power``, ``timeline``: the minimum detectable effect and power of each comparison, and the
  cumulative lift by day since the start;
* ``diagnosis``: where the users of a sample-ratio mismatch are missing;
* ``prestart``: the personas of users before the start (the segments of per-persona effects).

What a report shows of them is :mod:`helpers.sections.ab_readout`.
"""
