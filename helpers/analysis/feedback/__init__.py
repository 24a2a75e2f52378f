"""User feedback (``sources.feedback``): satisfaction, NPS and complaints per persona, topics with
quotes, the pain-point matrix, and each user's NPS category.

Feedback tables are small (one row per survey answer or ticket), so this package works on the
cleaned table as a pandas frame (``user_id``, ``feedback_time``, ``day`` and any of ``rating``,
``nps``, ``category``, ``text``, ``channel``); only :func:`~helpers.analysis.feedback.pain.event_usage`
reads ``user_day``, in the engine. No report text here: the words are
:mod:`helpers.sections.feedback`'s.

Modules, by job:

* :mod:`~helpers.analysis.feedback.frame`: the frame's columns, the user -> segment mapping and
  what a complaint is;
* :mod:`~helpers.analysis.feedback.scores`: satisfaction (t-interval), CSAT (Wilson), NPS
  (multinomial normal interval) and complaint rate (Wilson) per segment and per month, and the
  segment with the lowest NPS against the others;
* :mod:`~helpers.analysis.feedback.users`: each user's latest NPS category up to ``as_of``
  (the at-risk list's detractor flag, a churn covariate);
* :mod:`~helpers.analysis.feedback.topics`: topics from the category or from keywords in the
  text (jieba for Chinese), per segment, with example quotes;
* :mod:`~helpers.analysis.feedback.pain`: feature usage per segment (ibis) and the pain-point
  matrix with its ranking;
* :mod:`~helpers.analysis.feedback.review`: all of it for a month in one call.

Examples
--------
>>> from helpers.analysis.feedback.review import review_feedback          # doctest: +SKIP
>>> from helpers.analysis.feedback.pain import event_usage                # doctest: +SKIP
>>> usage = event_usage(project.user_day, personas, ["coupon_view"],      # doctest: +SKIP
...                     "2026-10-01", "2026-10-31")
>>> r = review_feedback(feedback, month="2026-10", segments=personas,     # doctest: +SKIP
...                     settings=cfg.feedback, usage=usage)
>>> r.top_pain_points                                                     # doctest: +SKIP
"""
