"""The session layer: the session owner (session.py), the one treatment run every front end
uses (treatment_run.py), and a bare run for tests and benches (runner.py).
"""
