"""Campaigns: audiences with a deterministic holdout (:mod:`.audience`) and the readout of each
campaign against its holdout in the following month (:mod:`.readout`)."""
