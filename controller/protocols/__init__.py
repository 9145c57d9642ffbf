"""Traction protocols: what a treatment does, as data, checked against the limits."""
