"""Event logs, observed or simulated: schema, files, ACLED, counts and statistics.

The bottom layer of the package: nothing here imports the model. Submodules: :mod:`.schema`
(actors, event types, columns, severity), :mod:`.io` (:func:`load_events`), :mod:`.acled`
(:func:`load_acled`), :mod:`.counts` (daily counts, weekly sums, strike rounds) and
:mod:`.statistics` (:func:`summarize`, :func:`summary_statistics`).
"""
