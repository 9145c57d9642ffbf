"""Keeping the table fit to treat: calibration verification, the daily check, readiness."""
