"""What the crawl needs of a shared frontier, as a protocol: the crawler layer never opens Redis.

The application opens the client (``newsmon.frontier.client.RedisFrontierClient``) and hands it
to the spider (``frontier=``), as it does the store; the scheduler, seeding, shared delay and
shared robots.txt of :mod:`crawler.frontier` all use that one object.
"""

from __future__ import annotations

from typing import Protocol


class FrontierUnreachable(Exception):
    """The frontier did not answer (network, server down): worth retrying for a while."""


class FrontierLost(Exception):
    """The frontier no longer holds this crawl (restarted without its data, or reset)."""


class FrontierFinished(FrontierLost):
    """This worker's batch finished, and a new batch has started since: nothing was lost."""


class Frontier(Protocol):
    url: str  # for messages (without a password)
    epoch: str  # this crawl's id in the frontier, set by open()

    def open(self, worker: str, lease: float) -> bool:
        """Join the running crawl, or start a new one (True) when there is none or it finished."""
        ...

    def push(self, requests: list[tuple[str, int, str, str]]) -> int:
        """(fingerprint or "" to bypass the seen-set, order, host, serialized request) → how many entered."""
        ...

    def pop(self, worker: str, lease: float, count: int) -> list[tuple[str, bytes]]:
        """Up to ``count`` (id, serialized request) under a lease; expired leases are queued first."""
        ...

    def ack(self, ids: list[str]) -> None: ...
    def release(self, ids: list[str]) -> None:
        """Leased requests this worker will not handle (it is stopping): queued again at once."""
        ...

    def heartbeat(self, worker: str, lease: float, seeding: bool, ids: list[str]) -> None: ...
    def progress(self) -> tuple[int, int, bool]:
        """(queued, leased, seeded); marks the crawl finished when all three say so."""
        ...

    def claim_seed(self, worker: str, lease: float) -> str:
        """'mine' (seed now), 'other' (someone seeds), or 'done'."""
        ...

    def seed_done(self) -> None: ...
    def sign_off(self, worker: str) -> None: ...
    def acquire(self, host: str, token: str, concurrency: int, ttl: float, delay: float,
                hold: float = 0.0) -> tuple[str, float]:
        """One of the host's ``concurrency`` slots, for ``ttl`` seconds unless renewed, and its
        turn: ('go', 0), or ('turn' | 'busy', seconds to wait). The next turn comes ``delay``
        after :meth:`sent` reports this request gone, and ``hold + delay`` from now at the latest."""
        ...

    def sent(self, host: str, token: str, delay: float) -> None:
        """The request that took the host's turn with ``token`` has surely left: the next turn
        is ``delay`` from now (unless a later request has taken the turn meanwhile)."""
        ...

    def release_slots(self, slots: list[tuple[str, str]]) -> None:
        """(host, token) slots whose requests are answered."""
        ...

    def renew_slots(self, slots: list[tuple[str, str]], ttl: float) -> None: ...
    def mark_stored(self, pairs: list[tuple[str, str]]) -> None:
        """(URL key, fetched_at) of articles stored: kept across batches for every worker."""
        ...

    def stored_at(self, key: str) -> str | None:
        """When any worker last stored the article at this URL key (None: never)."""
        ...

    def robots_get(self, netloc: str) -> bytes | None: ...
    def robots_set(self, netloc: str, body: bytes, ttl: int) -> None: ...
    def close(self) -> None: ...
