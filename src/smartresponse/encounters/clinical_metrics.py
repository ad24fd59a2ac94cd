"""How often the clinical team screens for suicide risk, and what the screens found.

Pure Python, no Django: `clinical_selectors.risk_screening_rows` flattens the encounters of a
period into `EncounterScreening` rows, and the dashboard, a report or a notebook count them here.

- The denominator is the encounters documented by clinical staff in the period: a co-response
  documented by an officer is not expected to carry a clinical screen.
- An encounter counts as screened when its latest C-SSRS screener is complete. An incomplete
  screen (a question left blank) is counted apart, never as a screen with no risk.
- The risk distribution counts the screened encounters by the latest screen's risk level.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .instruments import Risk, Status

RISK_LEVELS: tuple[str, ...] = tuple(r.value for r in Risk)  # none, low, moderate, high


@dataclass(frozen=True)
class EncounterScreening:
    """One encounter, as far as risk screening goes."""

    encounter_id: int
    clinical: bool  # documented by a member of a clinical role
    cssrs_status: str | None = None  # the latest C-SSRS: "complete", "incomplete", None if none
    risk: str | None = None  # the latest complete C-SSRS's risk level


@dataclass(frozen=True)
class RiskScreening:
    encounters: int  # encounters documented by clinical staff
    screened: int  # of which with a complete C-SSRS
    incomplete: int  # of which whose latest C-SSRS is incomplete
    risk: dict[str, int] = field(default_factory=dict)  # screened encounters by risk level

    @property
    def share(self) -> float | None:
        """Screened / clinical encounters; None when there were none (not 0%)."""
        return self.screened / self.encounters if self.encounters else None

    @property
    def not_screened(self) -> int:
        return self.encounters - self.screened - self.incomplete


def risk_screening(rows: Iterable[EncounterScreening]) -> RiskScreening:
    encounters = screened = incomplete = 0
    risk = dict.fromkeys(RISK_LEVELS, 0)
    seen: set[int] = set()
    for row in rows:
        if not row.clinical or row.encounter_id in seen:
            continue
        seen.add(row.encounter_id)
        encounters += 1
        if row.cssrs_status == Status.COMPLETE.value:
            screened += 1
            if row.risk not in risk:
                raise ValueError(f"encounter {row.encounter_id}: unknown risk {row.risk!r}")
            risk[str(row.risk)] += 1
        elif row.cssrs_status == Status.INCOMPLETE.value:
            incomplete += 1
    return RiskScreening(encounters, screened, incomplete, risk)
