"""The audit chain: each event linked to the previous one of its municipality as it is
written, a head signed with a key the database does not hold, signed checkpoints written
out of the database, and the verification ``manage.py verify_audit`` runs.

What it catches, done by someone who can change the audit table:

- an edited event no longer matches its hash (also right after it was written: an event
  is chained in the transaction that writes it, there is no unchained window);
- a deleted event leaves a gap in its municipality's numbers;
- deleting the newest events leaves the head ahead of the newest event;
- re-hashing the chain after an edit (with ``AuditEvent.compute_hash``) cannot re-sign the
  head: its HMAC needs ``AUDIT_HMAC_KEY``;
- putting back an older, validly signed head together with deleting the events after it
  is caught by the checkpoints: every minute, the head of each chain that grew is signed
  with the time and written to the application log and to ``AUDIT_CHECKPOINT_FILE``.

Events written after the last checkpoint can still be removed together with an older
head copied beforehand; the checkpoint interval bounds that window.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.models import F
from django.db.models.sql import InsertQuery
from django.utils import timezone

from municipalities.models import AuditChainHead, AuditEvent

logger = logging.getLogger("portal.audit")

CHECKPOINT_KIND = "audit_checkpoint"


# --- signatures -------------------------------------------------------------------------


def _sign(fields: dict) -> str:
    """HMAC-SHA256 of ``fields`` in canonical JSON with the audit key."""
    message = json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    if settings.AUDIT_HMAC_KEY_PROBLEM:
        raise ImproperlyConfigured(settings.AUDIT_HMAC_KEY_PROBLEM)
    key = settings.AUDIT_HMAC_KEY.encode()
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def _matches(expected: str, mac: str) -> bool:
    return hmac.compare_digest(expected.encode(), mac.encode())


def head_mac(municipality_id: int, seq: int, hash_: str) -> str:
    """The signature of a chain's head: its municipality, number and hash."""
    return _sign({"kind": "audit_head", "municipality": municipality_id, "seq": seq, "hash": hash_})


# --- writing ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Advanced:
    """The head as an audit write found it, already moved on to ``seq``."""

    seq: int
    prev_hash: str
    mac: str

    def signed(self, municipality_id: int) -> bool:
        return _matches(head_mac(municipality_id, self.seq - 1, self.prev_hash), self.mac)


def _advance_head(municipality_id: int) -> _Advanced:
    """Lock the municipality's head by moving it on by one, in one UPDATE.

    The UPDATE comes first so that the lock is taken before anything is read: on
    PostgreSQL a concurrent writer waits for this transaction, and on SQLite the write
    lock is taken at once instead of upgrading a read lock, which would deadlock."""
    table = connection.ops.quote_name(AuditChainHead._meta.db_table)
    key = connection.ops.quote_name(AuditChainHead._meta.pk.column)
    sql = f"UPDATE {table} SET seq = seq + 1 WHERE {key} = %s RETURNING seq, hash, mac"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [municipality_id])
        row = cursor.fetchone()
        if row is None:  # the municipality's first event
            _create_head(municipality_id)
            cursor.execute(sql, [municipality_id])
            row = cursor.fetchone()
    seq, prev_hash, mac = row
    return _Advanced(seq=seq, prev_hash=prev_hash, mac=mac)


def _create_head(municipality_id: int) -> None:
    """The empty, signed head of a municipality's chain (unless another writer made it)."""
    head = AuditChainHead(municipality_id=municipality_id, mac=head_mac(municipality_id, 0, ""))
    AuditChainHead.objects.bulk_create([head], ignore_conflicts=True)


def chain_append(event: AuditEvent) -> AuditEvent:
    """Insert ``event`` as the next link of its municipality's chain, in the caller's
    transaction: its number, the previous hash, its own hash, and the head moved on and
    signed. The head stays locked until the transaction ends, so events of one
    municipality get consecutive numbers in the order their transactions commit.

    A head whose signature does not match (changed outside the portal) is not signed
    again: the event is chained, the head keeps no signature, and the log says so once,
    so that the next write does not hide what was done.

    On PostgreSQL the head is written once, in two statements: it is locked and read
    (``SELECT … FOR UPDATE``), then the event is inserted and the head moved on to it and
    signed in one statement. Elsewhere (SQLite: no writable CTE, and a read before the
    write would deadlock two writers) the head is moved on first, then the event is
    inserted and the head signed. Both store the same chain and the same signed head."""
    municipality_id = event.municipality_id
    with transaction.atomic(savepoint=False):
        if connection.vendor == "postgresql":
            head = _lock_head(municipality_id)
        else:
            head = _advance_head(municipality_id)
        event.seq, event.prev_hash = head.seq, head.prev_hash
        event.hash = event.compute_hash()
        mac = _next_mac(municipality_id, head, event)
        if connection.vendor == "postgresql":
            _insert_and_move_head(event, mac)
        else:
            event.save(force_insert=True)
            AuditChainHead.objects.filter(pk=municipality_id).update(hash=event.hash, mac=mac)
    return event


def _lock_head(municipality_id: int) -> _Advanced:
    """Lock the municipality's head and read it (PostgreSQL): the head as the next event
    finds it, not yet moved on."""
    table = connection.ops.quote_name(AuditChainHead._meta.db_table)
    key = connection.ops.quote_name(AuditChainHead._meta.pk.column)
    sql = f"SELECT seq + 1, hash, mac FROM {table} WHERE {key} = %s FOR UPDATE"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [municipality_id])
        row = cursor.fetchone()
        if row is None:  # the municipality's first event
            _create_head(municipality_id)
            cursor.execute(sql, [municipality_id])
            row = cursor.fetchone()
    seq, prev_hash, mac = row
    return _Advanced(seq=seq, prev_hash=prev_hash, mac=mac)


def _next_mac(municipality_id: int, head: _Advanced, event: AuditEvent) -> str:
    """The head's signature once it names ``event``; empty (and logged) when the head as
    found was not validly signed."""
    if head.signed(municipality_id):
        return head_mac(municipality_id, event.seq, event.hash)
    if head.mac:
        logger.error(
            json.dumps(
                {
                    "kind": "audit_head_unsigned",
                    "municipality_id": municipality_id,
                    "seq": head.seq - 1,
                    "message": "the audit chain's head was changed outside the portal "
                    "(or AUDIT_HMAC_KEY changed); it is no longer signed",
                }
            )
        )
    return ""


def _insert_and_move_head(event: AuditEvent, mac: str) -> None:
    """One statement (PostgreSQL): the event inserted as the model would insert it, and
    the locked head moved on to it and signed."""
    meta = AuditEvent._meta
    query = InsertQuery(AuditEvent)
    query.insert_values([f for f in meta.concrete_fields if not f.primary_key], [event])
    compiler = query.get_compiler(connection=connection)
    compiler.returning_fields = [meta.pk]
    [(insert, params)] = compiler.as_sql()
    table = connection.ops.quote_name(AuditChainHead._meta.db_table)
    key = connection.ops.quote_name(AuditChainHead._meta.pk.column)
    sql = (
        f"WITH e AS ({insert}) UPDATE {table} SET seq = %s, hash = %s, mac = %s "  # noqa: S608
        f"WHERE {key} = %s RETURNING (SELECT * FROM e)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, event.seq, event.hash, mac, event.municipality_id])
        event.pk = cursor.fetchone()[0]
    event._state.adding = False
    event._state.db = connection.alias


def municipality_write_lock(municipality_id: int) -> None:
    """Serialise a municipality's writes that must not run side by side (its case
    numbers) on the row every audited write of it locks anyway, the head of its audit
    chain. With one lock the two are never taken in opposite orders: an intake audits
    the new person before numbering the case, opening a case numbers it first."""
    heads = AuditChainHead.objects.select_for_update().filter(pk=municipality_id)
    if not heads.exists():
        _create_head(municipality_id)
        heads.exists()


# --- checkpoints ------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    """A chain's head as written out of the database at a time, signed."""

    municipality_id: int
    municipality: str  # the local government code, for the reader
    seq: int
    hash: str
    at: str
    problems: int = 0  # found by the task in the events since the last checkpoint
    mac: str = ""

    def _fields(self) -> dict:
        fields = asdict(self)
        del fields["mac"]
        return {"kind": CHECKPOINT_KIND, **fields}

    def signed(self) -> Checkpoint:
        return Checkpoint(**{**asdict(self), "mac": _sign(self._fields())})

    def signature_matches(self) -> bool:
        return _matches(_sign(self._fields()), self.mac)

    def as_line(self) -> str:
        return json.dumps({**self._fields(), "mac": self.mac}, ensure_ascii=False)


def _logged_message(data: Any) -> Any:
    """A log line in JSON (LOG_FORMAT=json) holds the checkpoint as its message text."""
    if isinstance(data, dict) and "kind" not in data and isinstance(data.get("message"), str):
        try:
            return json.loads(data["message"])
        except ValueError:
            return None
    return data


def checkpoints_read(lines: Iterable[str]) -> tuple[list[Checkpoint], list[str]]:
    """The checkpoints in a checkpoint file or an application log (other lines are
    skipped), and the problems: checkpoints whose signature does not match."""
    decoder = json.JSONDecoder()
    found, problems = [], []
    for number, line in enumerate(lines, 1):
        start = line.find("{")
        if start < 0:
            continue
        try:
            data, _end = decoder.raw_decode(line, start)
        except ValueError:
            continue
        data = _logged_message(data)
        if not isinstance(data, dict) or data.pop("kind", None) != CHECKPOINT_KIND:
            continue
        try:
            checkpoint = Checkpoint(**data)
        except TypeError:
            checkpoint = None
        if checkpoint is None or not checkpoint.signature_matches():
            problems.append(f"line {number}: a checkpoint whose signature does not match")
            continue
        found.append(checkpoint)
    return found, problems


def checkpoints_write() -> list[Checkpoint]:
    """Sign the head of every chain that grew since its last checkpoint and write it to
    the log (one JSON line each) and, when set, to ``AUDIT_CHECKPOINT_FILE``.

    The events since the last checkpoint and the head are verified first. What is wrong
    goes to the log as an error, and the checkpoint counts it; it is written all the
    same, so that breaking a chain once does not stop its later events being anchored."""
    now = timezone.now().isoformat()
    heads = (
        AuditChainHead.objects.filter(seq__gt=F("checkpoint_seq"))
        .select_related("municipality")
        .order_by("pk")
    )
    checkpoints = []
    for head in heads:
        problems = _problems_since_checkpoint(head)
        if problems:
            logger.error(
                json.dumps(
                    {
                        "kind": "audit_chain_broken",
                        "municipality_id": head.pk,
                        "municipality": head.municipality.code,
                        "problems": problems[:20],
                    },
                    ensure_ascii=False,
                )
            )
        checkpoints.append(
            Checkpoint(
                municipality_id=head.pk,
                municipality=head.municipality.code,
                seq=head.seq,
                hash=head.hash,
                at=now,
                problems=len(problems),
            ).signed()
        )
    _write_out(checkpoints)
    for checkpoint in checkpoints:
        AuditChainHead.objects.filter(
            pk=checkpoint.municipality_id, checkpoint_seq__lt=checkpoint.seq
        ).update(checkpoint_seq=checkpoint.seq)
    return checkpoints


def _write_out(checkpoints: list[Checkpoint]) -> None:
    """Append the checkpoints to the checkpoint file (one write, flushed to disk), then
    log them. A failure leaves ``checkpoint_seq`` where it was: the next run retries."""
    if not checkpoints:
        return
    lines = [checkpoint.as_line() for checkpoint in checkpoints]
    path = settings.AUDIT_CHECKPOINT_FILE
    if path:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(fd, "".join(f"{line}\n" for line in lines).encode())
            os.fsync(fd)
        finally:
            os.close(fd)
    for line in lines:
        logger.info(line)


# --- verification -----------------------------------------------------------------------


@dataclass
class _Walk:
    """Where a walk along a chain is: the number and hash the next event must follow."""

    next_seq: int = 1
    prev_hash: str = ""

    @property
    def last_seq(self) -> int:
        return self.next_seq - 1


def _walk(
    events: Iterator[AuditEvent], walk: _Walk, checkpoints: dict[int, list[Checkpoint]]
) -> list[str]:
    """Follow ``events`` (in chain order) from ``walk``; the problems found."""
    problems = []
    for event in events:
        label = f"event #{event.seq} (id {event.pk})"
        if event.seq > walk.next_seq:
            problems.append(f"{_numbers(walk.next_seq, event.seq - 1)} missing: deleted")
        elif event.seq < walk.next_seq:
            problems.append(f"{label}: out of order, #{walk.next_seq} was expected")
        elif event.prev_hash != walk.prev_hash:
            problems.append(f"{label}: its link to the previous event was changed")
        if event.hash != event.compute_hash():
            problems.append(f"{label}: its content was changed")
        for checkpoint in checkpoints.get(event.seq, ()):
            if checkpoint.hash != event.hash:
                problems.append(
                    f"{label}: differs from the checkpoint of {checkpoint.at}: "
                    "changed and re-hashed since"
                )
        walk.next_seq, walk.prev_hash = event.seq + 1, event.hash
    return problems


def _numbers(first: int, last: int) -> str:
    return f"event #{first} is" if first == last else f"events #{first}–#{last} are"


def _head_problems(head: AuditChainHead | None, municipality_id: int, walk: _Walk) -> list[str]:
    """What the head says about the end of the chain the walk reached."""
    if head is None:
        return ["the chain's head is missing: deleted"] if walk.last_seq else []
    problems = []
    if not _matches(head_mac(municipality_id, head.seq, head.hash), head.mac):
        problems.append(
            "the head's signature does not match: the chain was re-hashed or the head "
            "changed outside the portal"
        )
    if head.seq > walk.last_seq:
        problems.append(
            f"the newest {_numbers(walk.last_seq + 1, head.seq)} missing: deleted "
            f"(the head is at #{head.seq})"
        )
    elif head.seq < walk.last_seq:
        problems.append(
            f"{_numbers(head.seq + 1, walk.last_seq)} past the head: added outside the portal"
        )
    elif head.hash != walk.prev_hash:
        problems.append(
            f"the newest event #{head.seq} is not the one the head names: re-hashed, or the "
            "head was changed"
        )
    if head.checkpoint_seq > walk.last_seq:
        problems.append(
            f"the last checkpoint is at #{head.checkpoint_seq} and the newest event at "
            f"#{walk.last_seq}: events were deleted"
        )
    return problems


def _by_seq(checkpoints: Iterable[Checkpoint]) -> dict[int, list[Checkpoint]]:
    found: dict[int, list[Checkpoint]] = {}
    for checkpoint in checkpoints:
        found.setdefault(checkpoint.seq, []).append(checkpoint)
    return found


def verify_chain(municipality_id: int, checkpoints: Iterable[Checkpoint] = ()) -> list[str]:
    """Problems found in one municipality's audit chain, its head and against the given
    checkpoints (empty when intact). Reads only; repairs nothing."""
    at_seq = _by_seq(checkpoints)
    walk = _Walk()
    events = AuditEvent.objects.filter(municipality_id=municipality_id).order_by("seq")
    problems = _walk(events.iterator(chunk_size=2000), walk, at_seq)
    head = AuditChainHead.objects.filter(pk=municipality_id).first()
    problems += _head_problems(head, municipality_id, walk)
    if at_seq and max(at_seq) > walk.last_seq:
        latest = max(at_seq[max(at_seq)], key=lambda checkpoint: checkpoint.at)
        problems.append(
            f"the checkpoint of {latest.at} is at #{latest.seq} and the newest event at "
            f"#{walk.last_seq}: events were deleted"
        )
    return problems


def _problems_since_checkpoint(head: AuditChainHead) -> list[str]:
    """The checkpoint task's check of the head and of the events after the last
    checkpoint, the first of which must link to the event at it."""
    chain = AuditEvent.objects.filter(municipality_id=head.pk)
    walk, problems = _Walk(next_seq=head.checkpoint_seq + 1), []
    if head.checkpoint_seq:
        at_checkpoint = chain.filter(seq=head.checkpoint_seq).values_list("hash", flat=True)
        walk.prev_hash = at_checkpoint.first() or ""
        if not walk.prev_hash:
            problems.append(
                f"{_numbers(head.checkpoint_seq, head.checkpoint_seq)} missing: deleted"
            )
    events = chain.filter(seq__gt=head.checkpoint_seq, seq__lte=head.seq).order_by("seq")
    problems += _walk(events.iterator(chunk_size=2000), walk, {})
    return problems + _head_problems(head, head.pk, walk)
