"""Evidence at scale: campaigns over every fault, session state, patient and board variant."""
