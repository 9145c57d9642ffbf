"""The sessions as HL7 FHIR R4B (4.3.0), for the clinic's health record.

R4B's Procedure, Observation, Device and DeviceMetric carry the same elements as R4's (4.0.1),
which most health records speak; `fhir.resources.R4B` validates every resource built here.
"""
