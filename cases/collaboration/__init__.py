"""多機関協働 (multi-agency collaboration): support plans, the 重層的支援会議 and 支援会議,
referrals between programs and agencies, and the agencies themselves."""
