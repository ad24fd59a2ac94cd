"""A slow, plain simulator written from the rules alone, to check the fast one against.

Every instant at which something can happen is visited in order; at each one the roster changes,
teams clear, calls arrive, every call past its hand-back limit leaves the queue, and then free
teams take the waiting calls one by one, the most urgent (or the oldest) first. Teams are kept as
a list of finish times; nothing is lazy and nothing is encoded.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Outcome:
    dispatched_at: list[float | None]
    handed_back: set[int]
    busy_minutes: float
    overtime_minutes: float


def reference_run(
    arrival: list[float],
    duration: list[float],
    urgency: list[int],
    counts: list[int],
    hand_back_after: float | None,
    fcfs: bool,
) -> Outcome:
    n = len(arrival)
    horizon = 60.0 * len(counts)
    limit = float("inf") if hand_back_after is None else hand_back_after
    finishing: list[float] = []
    idle = counts[0]
    leaving = 0
    waiting: list[int] = []
    dispatched: list[float | None] = [None] * n
    handed_back: set[int] = set()
    busy_minutes = 0.0
    overtime = 0.0
    instants = sorted(set(arrival) | {60.0 * h for h in range(1, len(counts))})
    now: float | None = None
    while True:
        later = [x for x in instants + finishing if now is None or x > now]
        t = min(later, default=horizon)
        overtime += leaving * (min(t, horizon) - (now or 0.0))
        if t >= horizon:
            break
        now = t
        if t > 0 and t % 60 == 0:
            want = counts[int(t // 60)]
            present = idle + len(finishing) - leaving
            if want > present:
                back = min(leaving, want - present)
                leaving -= back
                idle += want - present - back
            elif want < present:
                off = min(idle, present - want)
                idle -= off
                leaving += present - want - off
        for f in [f for f in finishing if f == t]:
            finishing.remove(f)
            if leaving:
                leaving -= 1
            else:
                idle += 1
        waiting += [k for k in range(n) if arrival[k] == t]
        for k in [k for k in waiting if arrival[k] + limit < t]:
            waiting.remove(k)
            handed_back.add(k)
        while idle and waiting:
            if fcfs:
                k = min(waiting, key=lambda k: (arrival[k], k))
            else:
                k = min(waiting, key=lambda k: (urgency[k], arrival[k], k))
            waiting.remove(k)
            idle -= 1
            finishing.append(t + duration[k])
            dispatched[k] = t
            busy_minutes += min(t + duration[k], horizon) - t
    for k in waiting:
        if arrival[k] + limit < horizon:
            handed_back.add(k)
    return Outcome(dispatched, handed_back, busy_minutes, overtime)
