"""A test-only clock for the local stack: ``POST /api/system/clock`` moves it, ticks the scheduler.

Off by default. With ``ORCHEO_TEST_CLOCK=<unix seconds>`` the local stack reads the
time from a :class:`SettableClock` starting there, runs no background scheduler loop,
and adds this route (admin only): set or advance the clock, tick the scheduler once,
answer with the schedules that fired. Without the setting the route does not exist
(404), so nothing outside a test can move time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, model_validator

from functions.api.deps import AdminToken
from functions.api.routers.workflows import _ERRORS

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

__all__ = ["ClockOut", "ClockSet", "SettableClock", "clock_router"]


class SettableClock:
    """A clock that stands still until told: ``set(ts)`` or ``advance(seconds)``."""

    def __init__(self, now: float) -> None:
        self.now = float(now)

    def __call__(self) -> float:
        return self.now

    def set(self, now: float) -> float:
        self.now = float(now)
        return self.now

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now


class ClockSet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    now: float | None = Field(None, ge=0, le=253_402_300_799, description="Set to this Unix time.")
    advance: float | None = Field(
        None, ge=0, le=10 * 366 * 86400, description="Move forward by this many seconds."
    )

    @model_validator(mode="after")
    def _one(self) -> ClockSet:
        if (self.now is None) == (self.advance is None):
            raise ValueError('give exactly one of "now" or "advance"')
        return self


class ClockOut(BaseModel):
    now: float = Field(description="The clock's time after the change (Unix seconds).")
    fired: list[str] = Field(description="Ids of the schedules the tick fired, by fire time.")


def clock_router(clock: SettableClock, tick: Callable[[float], Awaitable[list[str]]]) -> APIRouter:
    """The route, bound to the stack's clock and its scheduler's ``tick``."""
    router = APIRouter(tags=["system"])

    @router.post("/api/system/clock", responses=_ERRORS)
    async def move_clock(body: ClockSet, _: AdminToken) -> ClockOut:
        """Test only (ORCHEO_TEST_CLOCK): set or advance the clock, then tick the scheduler once."""
        now = clock.set(body.now) if body.now is not None else clock.advance(body.advance or 0.0)
        return ClockOut(now=now, fired=await tick(now))

    return router
