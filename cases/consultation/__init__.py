"""包括的相談支援 (comprehensive consultation): the consultations caseworkers log, the
intake that opens a case, person search and the caseworker's dashboard."""
