"""The audit trail is a hash chain written with each event, with a signed head and signed
checkpoints outside the database: edited, deleted, truncated and re-hashed chains are
reported."""

from __future__ import annotations

import importlib
import itertools
import json
import threading
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test import RequestFactory

from municipalities.audit import audit_write
from municipalities.audit_chain import Checkpoint, checkpoints_read, verify_chain
from municipalities.models import AuditChainHead, AuditEvent
from municipalities.tasks import seal_audit

pytestmark = pytest.mark.django_db


def write(personas, n=1, municipality="a"):
    user = personas.caseworker_a if municipality == "a" else personas.caseworker_b
    for i in range(n):
        audit_write(
            user=user,
            municipality_id=user.memberships.get().municipality_id,
            action="view",
            detail={"i": i},
        )


def chain_of(municipality):
    return list(AuditEvent.objects.filter(municipality=municipality).order_by("seq"))


def events(personas, n=4):
    write(personas, n)
    return chain_of(personas.municipality_a)


def verify(personas, *args):
    """verify_audit's report for municipality A; raises CommandError when broken."""
    from io import StringIO

    out = StringIO()
    try:
        call_command(
            "verify_audit", "--municipality", personas.municipality_a.code, *args, stdout=out
        )
    except CommandError:
        raise CommandError(out.getvalue()) from None
    return out.getvalue()


def problems_of(personas, *args):
    with pytest.raises(CommandError) as raised:
        verify(personas, *args)
    return str(raised.value)


def re_hash_from(chain, index):
    """What someone with write access to the table can do: re-link and re-hash every
    event from ``chain[index]`` on with the model's own hash function."""
    prev_hash = chain[index - 1].hash if index else ""
    for event in chain[index:]:
        event.prev_hash = prev_hash
        event.hash = prev_hash = event.compute_hash()
        AuditEvent.objects.filter(pk=event.pk).update(prev_hash=event.prev_hash, hash=event.hash)
    return prev_hash


@pytest.fixture
def checkpoint_file(settings, tmp_path):
    settings.AUDIT_CHECKPOINT_FILE = str(tmp_path / "audit-checkpoints.jsonl")
    return tmp_path / "audit-checkpoints.jsonl"


# --- an intact chain --------------------------------------------------------------------


def test_each_event_is_numbered_and_chained_as_it_is_written(personas):
    chain = events(personas)
    assert [event.seq for event in chain] == [1, 2, 3, 4]
    assert chain[0].prev_hash == ""
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(chain))
    head = AuditChainHead.objects.get(municipality=personas.municipality_a)
    assert (head.seq, head.hash) == (4, chain[-1].hash)
    assert verify_chain(personas.municipality_a.pk) == []
    assert "4 events, OK" in verify(personas)


def test_an_audit_write_writes_the_head_once(personas, django_assert_num_queries):
    """Every audited page pays for the chain: on PostgreSQL the head is locked and read,
    then the event inserted and the head moved on and signed in one statement (two in
    all); elsewhere the head is moved on, the event inserted and the head signed."""
    user = personas.caseworker_a
    municipality_id = personas.municipality_a.pk
    audit_write(user=user, municipality_id=municipality_id, action="view")
    with django_assert_num_queries(2 if connection.vendor == "postgresql" else 3) as ctx:
        audit_write(user=user, municipality_id=municipality_id, action="view")
    head_writes = [
        q["sql"] for q in ctx.captured_queries if q["sql"].lstrip().startswith(("UPDATE", "WITH"))
    ]
    assert len(head_writes) == (1 if connection.vendor == "postgresql" else 2)
    chain = chain_of(personas.municipality_a)
    assert [event.seq for event in chain] == [1, 2]
    assert chain[1].prev_hash == chain[0].hash
    head = AuditChainHead.objects.get(municipality=personas.municipality_a)
    assert (head.seq, head.hash) == (2, chain[-1].hash)
    assert verify_chain(personas.municipality_a.pk) == []


def test_a_clean_chain_verifies_against_its_checkpoints(personas, checkpoint_file):
    events(personas, 3)
    seal_audit.apply().get()
    events(personas, 2)
    seal_audit.apply().get()
    report = verify(personas, "--checkpoints", str(checkpoint_file))
    assert "checkpoints: 2 in" in report
    assert "5 events, OK" in report


def test_chains_are_per_municipality(personas):
    events(personas, 2)
    write(personas, municipality="b")
    [first_b] = chain_of(personas.municipality_b)
    assert (first_b.seq, first_b.prev_hash) == (1, "")
    assert verify_chain(personas.municipality_b.pk) == []


def test_what_is_stored_hashes_as_it_was_written(personas):
    """The hash is computed before the row is written: what the database gives back
    (an IPv6 address, JSON numbers and keys, text) must hash the same."""
    request = RequestFactory().get("/", REMOTE_ADDR="2001:0DB8:0000:0000:0000:0000:0000:0001")
    request.user = personas.caseworker_a
    audit_write(
        user=personas.caseworker_a,
        municipality_id=personas.municipality_a.pk,
        action="export",
        obj=personas.municipality_a,
        person_id="12",
        case_id=7,
        detail={"目的": "開示請求 ①", "n": [1e20, 1.5, 2.0, None, True], 3: {"b": 1, "a": (2,)}},
        request=request,
    )
    [event] = chain_of(personas.municipality_a)
    assert event.ip_address == "2001:db8::1"
    assert verify_chain(personas.municipality_a.pk) == []


def test_events_refuse_to_be_changed_through_the_model(personas):
    event = events(personas, 1)[0]
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()


# --- tampering --------------------------------------------------------------------------


def test_an_edited_event_is_reported(personas):
    chain = events(personas)
    AuditEvent.objects.filter(pk=chain[1].pk).update(detail={"i": 99})
    assert verify_chain(personas.municipality_a.pk) == [
        f"event #2 (id {chain[1].pk}): its content was changed"
    ]
    assert "its content was changed" in problems_of(personas)


def test_an_event_edited_right_after_it_is_written_is_reported(personas):
    """No sealing step: an event is chained in the transaction that writes it."""
    write(personas)
    event = AuditEvent.objects.get(municipality=personas.municipality_a)
    AuditEvent.objects.filter(pk=event.pk).update(action="search")
    assert f"event #1 (id {event.pk}): its content was changed" in problems_of(personas)
    assert "its content was changed" in problems_of(personas)  # still: nothing was repaired


def test_a_deleted_event_is_reported_as_a_gap(personas):
    chain = events(personas, 5)
    AuditEvent.objects.filter(pk__in=[chain[1].pk, chain[2].pk]).delete()
    assert verify_chain(personas.municipality_a.pk) == ["events #2–#3 are missing: deleted"]
    assert "events #2–#3 are missing" in problems_of(personas)


def test_deleting_the_newest_events_is_reported(personas):
    chain = events(personas)
    AuditEvent.objects.filter(pk__in=[chain[2].pk, chain[3].pk]).delete()
    assert verify_chain(personas.municipality_a.pk) == [
        "the newest events #3–#4 are missing: deleted (the head is at #4)"
    ]
    assert "the newest events #3–#4 are missing" in problems_of(personas)


def test_re_hashing_the_chain_after_an_edit_is_reported(personas):
    chain = events(personas)
    AuditEvent.objects.filter(pk=chain[1].pk).update(detail={"i": 99})
    chain[1].detail = {"i": 99}
    newest = re_hash_from(chain, 1)
    # The table is consistent again; the head still names the old newest hash …
    assert verify_chain(personas.municipality_a.pk) == [
        "the newest event #4 is not the one the head names: re-hashed, or the head was changed"
    ]
    # … and moving the head on to the new hash cannot sign it without the key.
    AuditChainHead.objects.filter(pk=personas.municipality_a.pk).update(hash=newest)
    signature = "the head's signature does not match"
    assert verify_chain(personas.municipality_a.pk)[0].startswith(signature)
    assert signature in problems_of(personas)


def test_the_next_write_does_not_sign_a_re_hashed_chain_again(personas, caplog):
    chain = events(personas)
    AuditEvent.objects.filter(pk=chain[0].pk).update(detail={"i": 99})
    chain[0].detail = {"i": 99}
    AuditChainHead.objects.filter(pk=personas.municipality_a.pk).update(hash=re_hash_from(chain, 0))
    write(personas, 2)
    assert [e.seq for e in chain_of(personas.municipality_a)] == [1, 2, 3, 4, 5, 6]
    assert verify_chain(personas.municipality_a.pk)[0].startswith(
        "the head's signature does not match"
    )
    logged = [json.loads(r.getMessage()) for r in caplog.records if r.name == "portal.audit"]
    assert [(line["kind"], line["seq"]) for line in logged] == [("audit_head_unsigned", 4)]


def test_an_event_edited_with_its_hash_but_not_its_successor_is_reported(personas):
    chain = events(personas)
    AuditEvent.objects.filter(pk=chain[1].pk).update(detail={"i": 99})
    chain[1].detail = {"i": 99}
    AuditEvent.objects.filter(pk=chain[1].pk).update(hash=chain[1].compute_hash())
    assert verify_chain(personas.municipality_a.pk) == [
        f"event #3 (id {chain[2].pk}): its link to the previous event was changed"
    ]


# --- checkpoints ------------------------------------------------------------------------


def test_checkpoints_are_signed_and_written_to_the_log_and_the_file(
    personas, checkpoint_file, caplog, settings
):
    assert settings.CELERY_BEAT_SCHEDULE["audit-seal"]["task"] == "portal.seal_audit"
    chain = events(personas, 3)
    write(personas, 1, municipality="b")
    assert seal_audit.apply().get() == 2
    lines = checkpoint_file.read_text().splitlines()
    logged = [r.getMessage() for r in caplog.records if r.name == "portal.audit"]
    assert logged == lines
    found, problems = checkpoints_read(lines)
    assert problems == []
    [a] = [c for c in found if c.municipality_id == personas.municipality_a.pk]
    assert (a.municipality, a.seq, a.hash) == (personas.municipality_a.code, 3, chain[-1].hash)
    # Nothing new, nothing written; one more event, one more checkpoint.
    assert seal_audit.apply().get() == 0
    write(personas)
    assert seal_audit.apply().get() == 1
    assert len(checkpoint_file.read_text().splitlines()) == 3


def test_truncation_behind_a_checkpoint_is_reported(personas, checkpoint_file):
    """Deleting the newest events together with putting back an older head (a signed
    one, copied earlier) leaves a consistent table: the checkpoints still tell."""
    write(personas, 2)
    older_head = AuditChainHead.objects.filter(pk=personas.municipality_a.pk).values(
        "seq", "hash", "mac"
    )[0]
    write(personas, 3)
    seal_audit.apply().get()
    AuditEvent.objects.filter(municipality=personas.municipality_a, seq__gt=2).delete()
    heads = AuditChainHead.objects.filter(pk=personas.municipality_a.pk)
    heads.update(**older_head)
    assert verify_chain(personas.municipality_a.pk) == [
        "the last checkpoint is at #5 and the newest event at #2: events were deleted"
    ]
    heads.update(checkpoint_seq=0)
    assert verify_chain(personas.municipality_a.pk) == []  # the database alone cannot tell
    problems = problems_of(personas, "--checkpoints", str(checkpoint_file))
    assert "is at #5 and the newest event at #2: events were deleted" in problems


def test_a_chain_changed_and_re_hashed_behind_a_checkpoint_is_reported(personas, checkpoint_file):
    chain = events(personas, 3)
    seal_audit.apply().get()
    AuditEvent.objects.filter(pk=chain[0].pk).update(detail={"i": 99})
    chain[0].detail = {"i": 99}
    newest = re_hash_from(chain, 0)
    from municipalities.audit_chain import head_mac

    # Even with the key (say, on the application server), the file keeps the old hash.
    AuditChainHead.objects.filter(pk=personas.municipality_a.pk).update(
        hash=newest, mac=head_mac(personas.municipality_a.pk, 3, newest)
    )
    assert verify_chain(personas.municipality_a.pk) == []
    problems = problems_of(personas, "--checkpoints", str(checkpoint_file))
    assert f"event #3 (id {chain[2].pk}): differs from the checkpoint of" in problems


def test_a_forged_checkpoint_is_reported(personas, checkpoint_file):
    events(personas, 2)
    seal_audit.apply().get()
    line = json.loads(checkpoint_file.read_text())
    line["seq"] = 1
    with checkpoint_file.open("a") as f:
        f.write(json.dumps(line) + "\n")
    problems = problems_of(personas, "--checkpoints", str(checkpoint_file))
    assert "line 2: a checkpoint whose signature does not match" in problems


def test_checkpoints_are_read_from_a_log_with_prefixes():
    checkpoint = Checkpoint(
        municipality_id=1, municipality="272035", seq=3, hash="ab" * 32, at="2026-01-01"
    ).signed()
    log = ["INFO portal.audit " + checkpoint.as_line(), "INFO something else {not json"]
    assert checkpoints_read(log) == ([checkpoint], [])


def test_checkpoints_are_read_from_a_json_log():
    """With LOG_FORMAT=json the checkpoint is the message text of a JSON log line."""
    import logging
    import logging.config

    from portal.settings.base import logging_settings

    checkpoint = Checkpoint(
        municipality_id=1, municipality="272035", seq=4, hash="cd" * 32, at="2026-01-01"
    ).signed()
    configurator = logging.config.DictConfigurator({})
    formatter = configurator.configure_formatter(
        logging_settings("json", "INFO")["formatters"]["json"]
    )
    record = logging.LogRecord("portal.audit", logging.INFO, "", 0, "%s", None, None)
    record.args = (checkpoint.as_line(),)
    record.request_id = None
    log = [formatter.format(record), "not a checkpoint"]
    assert checkpoints_read(log) == ([checkpoint], [])


def test_a_broken_chain_is_logged_and_its_checkpoint_says_so(personas, checkpoint_file, caplog):
    chain = events(personas, 3)
    AuditEvent.objects.filter(pk=chain[2].pk).update(detail={"i": 99})
    assert seal_audit.apply().get() == 1
    logged = [json.loads(r.getMessage()) for r in caplog.records if r.name == "portal.audit"]
    assert logged[0]["kind"] == "audit_chain_broken"
    assert logged[0]["problems"] == [f"event #3 (id {chain[2].pk}): its content was changed"]
    [checkpoint], _ = checkpoints_read(checkpoint_file.read_text().splitlines())
    assert (checkpoint.seq, checkpoint.problems) == (3, 1)
    # Once is enough: the next checkpoints check what came after it.
    write(personas)
    caplog.clear()
    assert seal_audit.apply().get() == 1
    logged = [json.loads(r.getMessage()) for r in caplog.records if r.name == "portal.audit"]
    assert [line["kind"] for line in logged] == ["audit_checkpoint"]


# --- existing events, concurrent writers ------------------------------------------------


def test_the_migration_chains_existing_events_so_that_they_verify(personas, caplog):
    """Events of the sealing design (some sealed by the minute task, some not yet) are
    numbered and chained by the migration; a broken old chain is logged first."""
    migration = importlib.import_module("municipalities.migrations.0008_audit_chain_at_write")
    write(personas, 3)
    write(personas, 2, municipality="b")
    AuditChainHead.objects.all().delete()
    for municipality in (personas.municipality_a, personas.municipality_b):
        prev_hash = ""
        for index, event in enumerate(chain_of(municipality)):
            sealed = index < 2
            old = migration.old_event_hash(event, prev_hash) if sealed else ""
            AuditEvent.objects.filter(pk=event.pk).update(
                seq=-event.pk, prev_hash=prev_hash if sealed else "", hash=old
            )
            prev_hash = old or prev_hash
    first_a = AuditEvent.objects.filter(municipality=personas.municipality_a).earliest("pk")
    AuditEvent.objects.filter(pk=first_a.pk).update(detail={"edited": True})
    migration.chain_existing(apps, SimpleNamespace(connection=connection))
    for municipality in (personas.municipality_a, personas.municipality_b):
        assert verify_chain(municipality.pk) == []
    assert [e.seq for e in chain_of(personas.municipality_a)] == [1, 2, 3]
    [logged] = [json.loads(r.getMessage()) for r in caplog.records if r.levelname == "ERROR"]
    assert logged["municipality"] == personas.municipality_a.code
    assert logged["broken_event_ids"] == [first_a.pk]


# serialized_rollback like every transactional test here: a flush without it re-creates
# the content types with new ids, and the next serialized test then fails to restore.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_writers_get_distinct_consecutive_numbers(personas):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    threads, per_thread = 4, 25
    barrier = threading.Barrier(threads)
    errors: list[Exception] = []

    def writer() -> None:
        from django.db import connection as thread_connection

        try:
            barrier.wait(timeout=10)
            write(personas, per_thread)
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)
        finally:
            thread_connection.close()

    workers = [threading.Thread(target=writer) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert errors == []
    numbers = [event.seq for event in chain_of(personas.municipality_a)]
    assert numbers == list(range(1, threads * per_thread + 1))
    assert verify_chain(personas.municipality_a.pk) == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_intake_and_a_case_opened_at_the_same_time_both_succeed(personas, world_a):
    """An intake audits the new person before numbering its case; opening a case numbers
    it before auditing it. Both take the same lock, so neither waits on the other in a
    cycle (a deadlock: PostgreSQL would cancel one of them)."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    from cases.core import services as core_services
    from cases.models import ContactRoute, Person
    from tests.worlds import master

    user, route = personas.caseworker_a, master(ContactRoute, "self")
    person_audited, other_waits = threading.Event(), threading.Event()
    outcomes: list[str] = []

    def intake() -> None:
        from django.db import connection as thread_connection

        try:
            with transaction.atomic():
                person = core_services.person_create(
                    user=user,
                    municipality=personas.municipality_a,
                    name="並行 一郎",
                    name_kana="ヘイコウ イチロウ",
                )
                person_audited.set()
                other_waits.wait(timeout=10)
                core_services.case_open(user=user, person=person, route=route)
            outcomes.append("intake")
        except Exception as error:  # noqa: BLE001 (reported below)
            outcomes.append(repr(error))
        finally:
            thread_connection.close()

    def opening() -> None:
        from django.db import connection as thread_connection

        try:
            person_audited.wait(timeout=10)
            core_services.case_open(
                user=user, person=Person.objects.get(pk=world_a.person.pk), route=route
            )
            outcomes.append("opening")
        except Exception as error:  # noqa: BLE001 (reported below)
            outcomes.append(repr(error))
        finally:
            thread_connection.close()

    workers = [threading.Thread(target=intake), threading.Thread(target=opening)]
    for worker in workers:
        worker.start()
    person_audited.wait(timeout=10)
    with connection.cursor() as cursor:  # until the opening waits for the intake's lock
        for _ in range(1000):
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                break
            threading.Event().wait(0.01)
    other_waits.set()
    for worker in workers:
        worker.join(timeout=60)
    assert sorted(outcomes) == ["intake", "opening"]
    assert verify_chain(personas.municipality_a.pk) == []
