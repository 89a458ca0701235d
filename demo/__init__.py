"""Invented demo data: two roster municipalities with staff of every role and the
stories of their residents, told through the same services as the pages.

Loaded only by ``manage.py seed_demo`` (and ``demo_totp``), never by a running portal:
``staff`` creates the accounts, and each program's seeder (declared in
``cases.registry``) adds its records: ``cases`` (consultation support and 多機関協働),
``participation`` and ``community``. Every seeder is idempotent."""
