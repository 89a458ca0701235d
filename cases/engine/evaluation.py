"""Re-evaluating one case after a save, without making the save depend on the broker."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from portal.middleware import warn_on_next_page

logger = logging.getLogger(__name__)

# One attempt, no retry: with the broker down, the save has already succeeded and the
# periodic scan catches up, so the caseworker should not wait for the broker. The
# attempt is bounded by the broker's connect and socket timeouts (settings). retry=False
# would be slower: kombu then reconnects on its own, pausing 2 s between attempts for up
# to broker_connection_timeout.
AFTER_SAVE_PUBLISH: dict[str, Any] = {"retry": True, "retry_policy": {"max_retries": 0}}


def enqueue_case_evaluation(case: Any) -> None:
    """After the current transaction commits, ask a worker to re-run the referral rules
    for this case (a caseworker sees a flag appear within seconds). If the broker is
    down the save has already succeeded; the failure is logged, the caseworker is told
    on the next page, and the periodic scan catches up."""
    case_id = case if isinstance(case, int) else case.pk
    connection = transaction.get_connection()
    pending = {getattr(entry[1], "case_id", None) for entry in connection.run_on_commit}
    if case_id in pending:
        return  # one evaluation per case and transaction is enough

    def send() -> None:
        from cases.engine.tasks import evaluate_case

        try:
            evaluate_case.apply_async((case_id,), **AFTER_SAVE_PUBLISH)
        except Exception:
            logger.exception("could not enqueue evaluation of case %s", case_id)
            warn_on_next_page(
                _(
                    "The automatic check by the referral rules could not start now; "
                    "it will run with the next periodic scan."
                )
            )

    send.case_id = case_id  # type: ignore[attr-defined]
    transaction.on_commit(send)
