"""The clinical side of a treatment: prescriptions as clinicians write them, set-up, patients."""
