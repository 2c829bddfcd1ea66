"""Inference: the model-agnostic SMC engine (:mod:`.smc`), posteriors (:mod:`.posterior`) and
calibration of scenarios on observed events (:mod:`.calibration`)."""
