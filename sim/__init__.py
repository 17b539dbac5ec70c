"""Discrete-event simulation of Danish jobcenter operations.

``python -m sim scenario=NAME`` runs one scenario; see README.md. The model (``sim.model``) never
imports reporting; a run's products are the files written by ``sim.output``.
"""
__version__ = "0.1.0"
