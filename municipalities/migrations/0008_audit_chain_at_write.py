"""Audit events are chained as they are written: each event gets its number in its
municipality's chain, and each chain a head signed with AUDIT_HMAC_KEY.

Existing events are numbered and chained in id order, per municipality, with the hash
of the new form, and each chain gets its signed head, so that they verify. The chain
they had (events sealed by the old minute task) is checked first: what is found broken
is printed and logged as an error, since from then on the new chain covers it. Events
never sealed are chained as they are found.

The hash and the signature are copied here as they are in this version of
municipalities.models and municipalities.audit_chain (a migration does not follow later
changes of the code); tests/municipalities/test_audit_chain.py checks that they agree.
"""

import hashlib
import hmac
import json
import logging

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

BATCH = 1000


def _canonical_json_value(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _canonical_json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical_json_value(item) for item in value]
    return value


def _dumps(value, **options):
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), **options)


def event_hash(event):
    import datetime

    at = event.at.astimezone(datetime.UTC).isoformat() if event.at else None
    payload = _dumps(
        [
            event.seq, event.prev_hash, event.municipality_id, event.user_id, event.action,
            event.object_type, event.object_id, event.person_id, event.case_id,
            _canonical_json_value(event.detail), event.ip_address, at,
        ],
        allow_nan=False,
    )  # fmt: skip
    return hashlib.sha256(payload.encode()).hexdigest()


def old_event_hash(event, prev_hash):
    """The hash of migration 0003 and the minute task."""
    payload = _dumps(
        [
            prev_hash, event.municipality_id, event.user_id, event.action,
            event.object_type, event.object_id, event.person_id, event.case_id,
            event.detail, event.ip_address, event.at.isoformat() if event.at else None,
        ],
        default=str,
    )  # fmt: skip
    return hashlib.sha256(payload.encode()).hexdigest()


def head_mac(municipality_id, seq, hash_):
    message = _dumps({"kind": "audit_head", "municipality": municipality_id, "seq": seq, "hash": hash_})
    key = settings.AUDIT_HMAC_KEY.encode()
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def _store(connection, AuditEvent, batch, fields):
    """UPDATE the batch's ``fields`` by id: on PostgreSQL in one statement from a VALUES
    list, elsewhere one statement per row (bulk_update's CASE expressions are far slower
    on millions of rows)."""
    quote = connection.ops.quote_name
    table = quote(AuditEvent._meta.db_table)
    rows = [[event.pk, *(getattr(event, field) for field in fields)] for event in batch]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            columns = ", ".join(f"{quote(field)} = v.{quote(field)}" for field in fields)
            names = ", ".join(quote(field) for field in ["id", *fields])
            values = ", ".join(["(" + ", ".join(["%s"] * (len(fields) + 1)) + ")"] * len(rows))
            cursor.execute(
                f"UPDATE {table} SET {columns} FROM (VALUES {values}) AS v({names}) "
                f"WHERE {table}.id = v.id",
                [value for row in rows for value in row],
            )
        else:
            columns = ", ".join(f"{quote(field)} = %s" for field in fields)
            cursor.executemany(
                f"UPDATE {table} SET {columns} WHERE id = %s", [[*row[1:], row[0]] for row in rows]
            )


def _events_in_order(AuditEvent, municipality_id):
    """One municipality's events in id order, in batches read before they are updated."""
    last_pk = 0
    while True:
        batch = list(
            AuditEvent.objects.filter(municipality_id=municipality_id, pk__gt=last_pk)
            .order_by("pk")[:BATCH]
        )
        if not batch:
            return
        yield batch
        last_pk = batch[-1].pk


def chain_existing(apps, schema_editor):
    AuditEvent = apps.get_model("municipalities", "AuditEvent")
    AuditChainHead = apps.get_model("municipalities", "AuditChainHead")
    Municipality = apps.get_model("municipalities", "Municipality")
    logger = logging.getLogger("portal.audit")
    ids = AuditEvent.objects.values_list("municipality_id", flat=True).distinct()
    for municipality_id in sorted(set(ids)):
        seq, prev_hash, old_prev_hash, broken, unsealed = 0, "", "", [], 0
        for batch in _events_in_order(AuditEvent, municipality_id):
            for event in batch:
                if not event.hash:
                    unsealed += 1
                elif event.prev_hash != old_prev_hash or event.hash != old_event_hash(
                    event, event.prev_hash
                ):
                    broken.append(event.pk)
                old_prev_hash = event.hash or old_prev_hash
                seq += 1
                event.seq, event.prev_hash = seq, prev_hash
                event.hash = prev_hash = event_hash(event)
            _store(schema_editor.connection, AuditEvent, batch, ["seq", "prev_hash", "hash"])
        AuditChainHead.objects.create(
            municipality_id=municipality_id,
            seq=seq,
            hash=prev_hash,
            mac=head_mac(municipality_id, seq, prev_hash),
        )
        if broken or unsealed:
            code = Municipality.objects.get(pk=municipality_id).code
            finding = {
                "kind": "audit_chain_before_migration",
                "municipality_id": municipality_id,
                "municipality": code,
                "events": seq,
                "unsealed": unsealed,
                "broken_event_ids": broken[:1000],
            }
            (logger.error if broken else logger.warning)(json.dumps(finding))
            print(f"\n  audit chain of {code}: {len(broken)} event(s) found broken "
                  f"{broken[:20]}, {unsealed} never sealed, before re-chaining")  # fmt: skip


def unchain(apps, schema_editor):
    """Back to the chain of the minute task: every event sealed, in id order."""
    AuditEvent = apps.get_model("municipalities", "AuditEvent")
    ids = AuditEvent.objects.values_list("municipality_id", flat=True).distinct()
    for municipality_id in sorted(set(ids)):
        prev_hash = ""
        for batch in _events_in_order(AuditEvent, municipality_id):
            for event in batch:
                event.prev_hash = prev_hash
                event.hash = prev_hash = old_event_hash(event, prev_hash)
            _store(schema_editor.connection, AuditEvent, batch, ["prev_hash", "hash"])


class Migration(migrations.Migration):

    dependencies = [
        ('municipalities', '0007_api_tokens_hashed'),
    ]

    operations = [
        migrations.CreateModel(
            name='AuditChainHead',
            fields=[
                ('municipality', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, primary_key=True, related_name='+', serialize=False, to='municipalities.municipality', verbose_name='municipality')),
                ('seq', models.BigIntegerField(default=0)),
                ('hash', models.CharField(blank=True, max_length=64)),
                ('mac', models.CharField(blank=True, max_length=64)),
                ('checkpoint_seq', models.BigIntegerField(default=0)),
            ],
            options={
                'verbose_name': 'audit chain head',
                'verbose_name_plural': 'audit chain heads',
            },
        ),
        migrations.AddField(
            model_name='auditevent',
            name='seq',
            field=models.BigIntegerField(editable=False, null=True, verbose_name='number in the chain'),
        ),
        migrations.RunPython(chain_existing, unchain, elidable=False),
        migrations.AlterField(
            model_name='auditevent',
            name='seq',
            field=models.BigIntegerField(editable=False, verbose_name='number in the chain'),
        ),
        migrations.AddConstraint(
            model_name='auditevent',
            constraint=models.UniqueConstraint(fields=('municipality', 'seq'), name='audit_muni_seq_uniq'),
        ),
    ]
