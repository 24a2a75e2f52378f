"""The English catalog of the reports: one module per part of the review.

Each module has ``MESSAGES`` (key -> text, keys prefixed by the module's part: ``audit.``,
``activity.``...) and ``COLUMNS`` (column name -> (label, kind)). ``common`` holds the words and
columns every part uses. :mod:`helpers.display.messages` merges them and refuses a key or a
column defined twice, so a column has one label across the kit.
"""
