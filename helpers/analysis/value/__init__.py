"""Customer value: BG/NBD, Gamma-Gamma, customer lifetime value and the checks of the fit.

The "buy 'til you die" (BTYD) models of Fader, Hardie & Lee (2005) and Fader & Hardie (2013),
fitted by maximum likelihood with scipy, on the per-customer summary ``frequency, recency, T,
monetary_value`` (DESIGN.md, BTYD convention). Everything here works on per-customer aggregates
(pandas / NumPy), never on raw events.

* :mod:`~helpers.analysis.value.fitting`: input checks, the optimiser, standard errors.
* :mod:`~helpers.analysis.value.bgnbd`: :class:`~helpers.analysis.value.bgnbd.BetaGeoModel`.
* :mod:`~helpers.analysis.value.gamma_gamma`: the spend model and its independence check.
* :mod:`~helpers.analysis.value.clv`: customer lifetime value.
* :mod:`~helpers.analysis.value.summaries`: calibration / holdout summaries, the time unit.
* :mod:`~helpers.analysis.value.diagnostics`: period transactions and the holdout check.
* :mod:`~helpers.analysis.value.per_user`: value per user of a feature table and per group.
"""
