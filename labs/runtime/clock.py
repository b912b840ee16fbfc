"""The lab clock: AWS's timers, sped up (DESIGN.md, "The lab clock").

A run keeps AWS's real parameter values (a 30 s health-check interval) and scales time
by ``speed``, so a learner sees their effect in seconds. Every AWS timer goes through
``wall()``; measured latencies and traffic rates stay in real time.
"""

import asyncio


class LabClock:
    def __init__(self, speed: float, loop: asyncio.AbstractEventLoop | None = None) -> None:
        if not 0 < speed <= 1000:
            raise ValueError(f"clock speed must be in (0, 1000]; got {speed}")
        self.speed = speed
        self._loop = loop or asyncio.get_running_loop()
        self._start = self._loop.time()

    def now(self) -> float:
        """Lab-clock seconds since the run started."""
        return (self._loop.time() - self._start) * self.speed

    def wall(self, lab_seconds: float) -> float:
        """How many real seconds ``lab_seconds`` of lab time take."""
        return lab_seconds / self.speed

    async def sleep(self, lab_seconds: float) -> None:
        await asyncio.sleep(self.wall(lab_seconds))
