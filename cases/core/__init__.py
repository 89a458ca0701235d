"""共通基盤 (the shared core): the person, household and case every program points at,
their history, consent and the master data, with the case page that shows it all."""
