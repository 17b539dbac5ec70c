"""The typed configuration of one simulation run.

Three parts come from ``conf/`` and one from ``scenarios/``:

* ``jobcenter`` (``conf/jobcenter/*.yaml``): how big the jobcenter is — stocks, inflows, staff;
* ``rules`` (``conf/rules/*.yaml``): the rulebook of a legislation era — deadlines and cadences;
* ``model`` (``conf/model/*.yaml``): behaviour and practice — spell lengths, talk minutes,
  working-time budget, booking practice, costs;
* a scenario file changes any of these.

Units: time in days (one simulation time unit = one calendar day, day 0 is a Monday), work in
minutes, working time in hours per full-time-equivalent year, money in DKK.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal, Optional

from .schema import ConfigError, build, nonneg, positive, probability

GROUPS = (
    "adp",
    "kth_job_ready",
    "kth_activity_ready",
    "sdp_cat1",
    "sdp_cat2",
    "sdp_cat3",
    "job_clarification",
    "resource_course",
    "ly",
)
"""Benefit groups in the order reports list them."""

EXIT_DESTINATIONS = (
    "job",
    "self_support",
    "education",
    "partly_fit",
    "flexjob",
    "disability_pension",
    "reassessed",
    "other",
)
"""Ways of leaving the jobcenter's groups; a transfer to another group is not an exit."""

BASELINE_STAFF_TYPES = ("caseworker", "company_consultant", "admin_staff")
"""Staff types every jobcenter has (``model.staff_types`` may define more, e.g. a booking team's
clerks); management and staff functions are cost only."""


# --------------------------------------------------------------------------- jobcenter profile
@dataclass
class GroupVolume:
    """Size of one benefit group in a jobcenter: citizens at t0 and new spells per year."""

    initial_stock: int = nonneg()
    inflow_per_year: float = nonneg()


@dataclass
class CaseworkerPool:
    """A team of caseworkers and the benefit groups it serves.

    ``extra_non_bookable_hours`` adds budget lines (hours per FTE-year) to the caseworkers'
    non-bookable time in this pool only, e.g. the extra sparring of sickness caseworkers.
    """

    caseworkers: int = nonneg()
    serves: list[str] = field(default_factory=list)
    extra_non_bookable_hours: dict[str, float] = field(default_factory=dict)

    def validate(self, path: str) -> None:
        for line, hours in self.extra_non_bookable_hours.items():
            if hours < 0:
                raise ConfigError(f"'{path}.extra_non_bookable_hours.{line}' = {hours} must not be negative")


@dataclass
class JobcenterProfile:
    """One jobcenter: its citizens and its staff (persons, each one full-time equivalent)."""

    name: str
    description: str
    groups: dict[str, GroupVolume] = field(default_factory=dict)
    caseworker_pools: dict[str, CaseworkerPool] = field(default_factory=dict)
    company_consultants: int = nonneg(0)
    admin_staff: int = nonneg(0)
    management_fte: float = nonneg(0.0)
    staff_functions_fte: float = nonneg(0.0)
    rehab_team_case_slots_per_meeting: int = nonneg(0)
    members: dict[str, int] = field(default_factory=dict)
    simulate_per_member: int = nonneg(0)
    sample_per_class: int = nonneg(0)     # composite: jobcenters simulated per size class, a new
                                          # sample in each replication (0: simulate them all)
    size_class: str = ""                  # small, medium, large or copenhagen (national tables)
    practice: Any = "average"             # local practice (sim.practice): average, drawn, or
                                          # the values of its lines (a mapping)
    practice_seed: int = nonneg(0)        # drawn: the seed of the centres' own fixed draws
    big_city: bool = False                # one of the four largest cities (QB14 B1 exempts them)
    backtest: str = ""                    # a composite's back-test (conf/backtest/NAME.yaml):
                                          # its baseline run writes backtest.md, not calibration.md

    @property
    def is_composite(self) -> bool:
        """A country (or region) of jobcenters, each simulated on its own (``members``)."""
        return bool(self.members)

    def validate(self, path: str) -> None:
        from .practice import check_practice_setting

        check_practice_setting(self.practice, f"{path}.practice", composite=bool(self.members))
        if self.backtest:
            from .backtest import BACKTEST_DIR

            valid = sorted(p.stem for p in BACKTEST_DIR.glob("*.yaml"))
            if self.backtest not in valid:
                raise ConfigError(f"'{path}.backtest' = {self.backtest!r}: no such back-test; "
                                  f"valid: {', '.join(valid)}")
            if not self.members:
                raise ConfigError(f"'{path}.backtest' applies to a composite profile (a "
                                  "country) only: its figures are national")
        if (self.sample_per_class or self.simulate_per_member) and not self.members:
            raise ConfigError(f"'{path}.sample_per_class' and '{path}.simulate_per_member' apply "
                              "to a composite profile (one that lists members) only")
        if self.sample_per_class and self.simulate_per_member:
            raise ConfigError(f"'{path}' sets both sample_per_class and simulate_per_member; "
                              "give one: a new sample per replication, or a fixed one")
        if self.members:
            if self.groups or self.caseworker_pools:
                raise ConfigError(f"'{path}' lists members and also groups or pools; a composite "
                                  "profile takes its citizens and staff from its members")
            for member, count in self.members.items():
                if count < 0:
                    raise ConfigError(f"'{path}.members.{member}' = {count} must not be negative")
            return
        if not self.groups:
            raise ConfigError(f"'{path}.groups' is empty: a jobcenter needs at least one group")
        for g in self.groups:
            if g not in GROUPS:
                raise ConfigError(
                    f"unknown benefit group '{path}.groups.{g}'; valid groups: {', '.join(GROUPS)}"
                )
        served: dict[str, str] = {}
        for pool, spec in self.caseworker_pools.items():
            for g in spec.serves:
                if g not in GROUPS:
                    raise ConfigError(
                        f"'{path}.caseworker_pools.{pool}.serves' names unknown group '{g}'; "
                        f"valid groups: {', '.join(GROUPS)}"
                    )
                if g in served:
                    raise ConfigError(
                        f"group '{g}' is served by two pools ('{served[g]}' and '{pool}'); "
                        "each group needs exactly one"
                    )
                served[g] = pool
        missing = [g for g in self.groups if g not in served]
        if missing:
            raise ConfigError(
                f"'{path}.caseworker_pools' serves no pool for group(s) {', '.join(missing)}"
            )

    @property
    def total_fte(self) -> float:
        """All staff, including management and staff functions (FTE)."""
        cw = sum(p.caseworkers for p in self.caseworker_pools.values())
        return (
            cw + self.company_consultants + self.admin_staff
            + self.management_fte + self.staff_functions_fte
        )


# --------------------------------------------------------------------------- rulebook
@dataclass
class CadencePhase:
    """From ``from_day`` of the spell on, a talk is due at most ``interval_days`` after the last."""

    from_day: int = nonneg()
    interval_days: int = positive()


@dataclass
class DurationLimit:
    """At ``days`` into a spell, ``share`` of citizens move to group ``to`` (``other``: they leave).

    The rest stay on (an extension) or leave, as ``otherwise`` says.
    """

    days: int = positive()
    to: str = "other"
    share: float = probability(1.0)
    otherwise: Literal["stay", "exit"] = "stay"


@dataclass
class GroupRules:
    """Deadlines of one benefit group in the rulebook."""

    first_talk_days: int = positive()
    cadence: list[CadencePhase] = field(default_factory=list)
    offer_deadline_days: Optional[int] = None
    duration_limit: Optional[DurationLimit] = None
    reassessment_after_days: Optional[int] = None   # formal reassessment every ... spell days

    def validate(self, path: str) -> None:
        if not self.cadence:
            raise ConfigError(f"'{path}.cadence' needs at least one phase")
        if self.cadence[0].from_day != 0:
            raise ConfigError(f"'{path}.cadence[0].from_day' must be 0")
        days = [p.from_day for p in self.cadence]
        if days != sorted(days):
            raise ConfigError(f"'{path}.cadence' phases must be in increasing from_day order")
        if self.offer_deadline_days is not None and self.offer_deadline_days < 0:
            raise ConfigError(f"'{path}.offer_deadline_days' must not be negative")
        if self.reassessment_after_days is not None and self.reassessment_after_days <= 0:
            raise ConfigError(f"'{path}.reassessment_after_days' = "
                              f"{self.reassessment_after_days} must be greater than 0")


@dataclass
class Rulebook:
    """The legislation era: talk deadlines and cadences, offer deadlines, spell limits."""

    era: str
    description: str
    groups: dict[str, GroupRules]
    revisitation_after_days_out: int = nonneg()
    mechanisms: dict[str, Any] = field(default_factory=dict)
    """Rules that are more than deadlines (a coordinating caseworker, mentor support): the
    mechanisms (``sim/mechanisms/``) the era switches on, with their settings. A scenario's
    ``mechanisms:`` are merged on top of them (:meth:`SimConfig.validate`)."""


# --------------------------------------------------------------------------- behaviour
@dataclass
class ExitRoute:
    """One way a spell ends: its share of spells and the spell length (months, gamma-distributed).

    ``to`` is ``exit`` (the citizen leaves) or a group to transfer into. ``via_rehab_team`` routes
    the case through the rehabilitation team first; the spell length is then the time until the
    caseworker refers the case, and the team's queue adds to it.
    """

    share: float = probability()
    mean_months: float = positive()
    sd_months: float = positive()
    to: str = "exit"
    destination: str = "other"
    via_rehab_team: bool = False

    def validate(self, path: str) -> None:
        if self.destination not in EXIT_DESTINATIONS:
            raise ConfigError(
                f"'{path}.destination' = {self.destination!r}; valid: {', '.join(EXIT_DESTINATIONS)}"
            )


@dataclass
class TalkMinutes:
    """Caseworker minutes per talk: mean preparation, talk and documentation; lognormal spread."""

    preparation: float = nonneg()
    talk: float = nonneg()
    documentation: float = nonneg()
    cv: float = nonneg(0.4)
    first_talk_extra: float = nonneg(0.0)


@dataclass
class OfferBehaviour:
    """Offers of a group: who gets one and when, how long it lasts, what kind it is.

    Offers start in two ways. *By practice*: ``practice_share`` of spells get an offer after a
    delay from the spell's start (lognormal, mean ``practice_start_weeks``, coefficient of
    variation ``practice_start_cv``; 0: exactly the mean). *At the legal deadline*
    (``rules.groups.<g>.offer_deadline_days``): ``share`` of spells are marked for the deadline
    when they start; such a citizen still on benefit at the deadline with no offer under way
    (neither being started up nor running) gets one then. An offer lasts an exponential time with
    mean ``mean_weeks`` and ends at its planned end or when the spell ends, whichever comes
    first; when it ends before the spell, ``repeat_share`` of citizens get a further offer after
    an exponential gap with mean ``repeat_gap_weeks`` (and so on). ``company_based_share`` of
    offers are company-based (forms by company consultants), the rest guidance and upskilling
    (started by the caseworker). Times in weeks.
    """

    share: float = probability(0.0)
    mean_weeks: float = positive(8.0)
    company_based_share: float = probability(0.0)
    transport_reimbursement_share: float = probability(0.0)
    practice_share: float = probability(0.0)
    practice_start_weeks: float = positive(8.0)
    practice_start_cv: float = nonneg(1.0)
    repeat_share: float = probability(0.0)
    repeat_gap_weeks: float = positive(4.0)


@dataclass
class InflowSeason:
    """Seasonal inflow of new spells: the arrival rate is ``mean x (1 + amplitude x cos(2 pi
    (t - peak_day) / 365))`` at day t, where day-of-year = t mod 365 (day 0 is 1 January, a
    Monday). The annual mean is unchanged; ``amplitude`` 0 is a plain Poisson process."""

    amplitude: float = nonneg(0.0)
    peak_day: float = nonneg(0.0)

    def validate(self, path: str) -> None:
        if not self.amplitude < 1.0:
            raise ConfigError(f"'{path}.amplitude' = {self.amplitude!r} must lie in [0, 1) "
                              "(at 1 or more the arrival rate would fall to zero or below)")
        if not self.peak_day < 365.0:
            raise ConfigError(f"'{path}.peak_day' = {self.peak_day!r} must lie in [0, 365) "
                              "(a day of the year)")


@dataclass
class ExtraTalks:
    """Follow-up talks beyond the legal minimum (elastic work): between two mandated talks, in
    ``share`` of the intervals, an extra talk is planned at ``at_interval_share`` of the legal
    interval after the last talk, on a day within ``window_days`` of that with free appointment
    time; a mandated talk that needs its time pushes it out."""

    share: float = probability(0.0)
    at_interval_share: float = probability(0.5)
    window_days: int = nonneg(3)


@dataclass
class GroupBehaviour:
    """How citizens of one group behave and how much work they bring.

    ``extra_talks``: elastic follow-up talks between the mandated ones (:class:`ExtraTalks`).
    ``medical_certificate_share``: share of held talks after which a medical certificate is
    obtained (bought, requested and read by the caseworker).
    """

    label: str
    exits: dict[str, ExitRoute]
    talk: TalkMinutes
    phone_share: float = probability(0.0)
    no_show_share: float = probability(0.0)
    unplanned_contacts_per_month: float = nonneg(0.0)
    unplanned_contact_minutes: float = nonneg(0.0)
    extra_talks: ExtraTalks = field(default_factory=ExtraTalks)
    medical_certificate_share: float = probability(0.0)
    offer: OfferBehaviour = field(default_factory=OfferBehaviour)
    inflow_season: InflowSeason = field(default_factory=InflowSeason)

    def validate(self, path: str) -> None:
        total = sum(r.share for r in self.exits.values())
        if self.exits and abs(total - 1.0) > 1e-6:
            raise ConfigError(f"'{path}.exits' shares must sum to 1, they sum to {total:.4f}")
        if not self.exits:
            raise ConfigError(f"'{path}.exits' needs at least one exit route")


@dataclass
class WorkingTime:
    """Working-time budget of one FTE (hours per year, QB14 section 2).

    ``available_hours`` (1,428 in QB14) is the budget the model schedules; gross, absent and
    sickness hours document where it comes from and must agree with it to within rounding.
    """

    gross_hours: float = positive()
    absent_hours: float = nonneg()
    sickness_hours: float = nonneg()
    available_hours: float = positive()
    planned_absence_days: float = nonneg()
    sickness_days: float = nonneg()
    workdays_per_year: int = positive()
    summer_holiday_weeks: int = nonneg(3)
    non_bookable_hours: dict[str, dict[str, float]] = field(default_factory=dict)
    unscheduled_staff_lines: dict[str, float] = field(default_factory=dict)
    appointment_share: float = probability(0.7)

    def validate(self, path: str) -> None:
        derived = self.gross_hours - self.absent_hours - self.sickness_hours
        if abs(derived - self.available_hours) > 1.0:
            raise ConfigError(
                f"'{path}.available_hours' = {self.available_hours:g} does not match gross - "
                f"absent - sickness hours = {derived:g} (a difference of 1 h for rounding is allowed)")
        if self.planned_absence_days + self.sickness_days >= self.workdays_per_year:
            raise ConfigError(f"'{path}': absence days exceed the working days of a year")
        for staff, lines in self.non_bookable_hours.items():
            for line, hours in lines.items():
                if hours < 0:
                    raise ConfigError(
                        f"'{path}.non_bookable_hours.{staff}.{line}' = {hours} must not be negative"
                    )
            if sum(lines.values()) >= self.available_hours:
                raise ConfigError(
                    f"'{path}.non_bookable_hours.{staff}' leaves no bookable time"
                )
        lines = self.unscheduled_staff_lines
        if lines and abs(sum(lines.values()) - self.available_hours) > 1.0:
            raise ConfigError(f"'{path}.unscheduled_staff_lines' add up to "
                              f"{sum(lines.values()):g} h, not the {self.available_hours:g} "
                              "available hours")


@dataclass
class TalkPractice:
    """How talks are booked and held.

    ``booking_margin_days``: a mandated talk is booked this many days before its deadline when
    the diary allows (the latest timely date less a margin), so that a no-show or a sick day
    can still be rebooked in time; the days of the margin are the first fallback.
    """

    booking_rule: Literal["latest_timely", "earliest_free"] = "latest_timely"
    booking_lead_days: int = nonneg(7)
    first_talk_lead_days: int = nonneg(7)
    booking_margin_days: int = nonneg(0)
    rebooking_lead_days: int = nonneg(2)
    booking_minutes: float = nonneg(0.0)
    letter_rewrite_minutes: float = nonneg(0.0)
    phone_minutes_factor: float = nonneg(1.0)
    reception_walk_minutes: float = nonneg(0.0)
    late_arrival_share: float = probability(0.0)
    late_arrival_extra_minutes: float = nonneg(0.0)
    reception_registration_minutes: float = nonneg(0.0)
    no_show_wait_minutes: float = nonneg(0.0)


@dataclass
class OfferWork:
    """Work to start an offer (minutes) and the forms that come back wrongly filled."""

    company_form_minutes: float = nonneg(0.0)
    form_resend_share: float = probability(0.0)
    form_resend_minutes: float = nonneg(0.0)
    caseworker_startup_minutes: float = nonneg(0.0)
    transport_reimbursement_minutes: float = nonneg(0.0)


@dataclass
class CompanyWork:
    """Company consultants' contact with employers (direct contact, minutes and hours).

    ``offer_follow_up_minutes_per_week``: follow-up with the company per week of a company-based
    offer; ``employer_service_hours_per_week``: job orders, recruitment and company visits per
    consultant and week present.
    """

    offer_follow_up_minutes_per_week: float = nonneg(0.0)
    employer_service_hours_per_week: float = nonneg(0.0)


@dataclass
class CaseSupport:
    """The work of case-support administrative staff that citizens' cases bring (QB14 section
    1: booking, phone duty and letters; reception and payments), in minutes.

    ``booking_share`` of talk bookings (calling in and the invitation letter) is done by
    case-support staff, the rest by the caseworker holding the talk. Every unplanned contact
    first reaches phone duty (``phone_duty_minutes``). A case is registered when a spell starts
    and closed when it ends (``journal_minutes_per_spell`` in all), and every document that
    comes in (a medical certificate, an offer form) is journalised
    (``journal_minutes_per_document``).
    """

    booking_share: float = probability(0.0)
    phone_duty_minutes: float = nonneg(0.0)
    journal_minutes_per_spell: float = nonneg(0.0)
    journal_minutes_per_document: float = nonneg(0.0)


@dataclass
class ElasticWork:
    """Work that takes the time mandated and required work leaves on a staff member's day:
    ``activity`` (its budget category is ``category``, a QB14 line), up to ``max_day_share``
    of the member's bookable minutes of the day; what is left beyond that is idle."""

    activity: str
    category: Literal["direct_contact", "indirect_casework", "admin_around_casework"]
    max_day_share: float = probability(1.0)


@dataclass
class MedicalCertificates:
    """Medical certificates obtained during follow-up (beyond LÆ265 for the rehabilitation team)."""

    price_dkk: float = nonneg(0.0)
    handling_minutes: float = nonneg(0.0)


@dataclass
class RehabTeam:
    """The rehabilitation team: preparation, certificates, weekly meetings with case slots."""

    meeting_interval_days: int = positive(7)
    preparation_hours: float = nonneg(0.0)
    meeting_minutes_per_case: float = nonneg(0.0)
    lae265_share: float = probability(1.0)
    certificate_request_minutes: float = nonneg(0.0)
    certificate_delay_days: float = nonneg(0.0)
    pension_existing_documentation_share: float = probability(0.0)
    pension_existing_documentation_hours: float = nonneg(0.0)
    existing_documentation_destinations: list[str] = field(
        default_factory=lambda: ["disability_pension"])

    def validate(self, path: str) -> None:
        for d in self.existing_documentation_destinations:
            if d not in EXIT_DESTINATIONS:
                raise ConfigError(f"'{path}.existing_documentation_destinations' names unknown "
                                  f"destination '{d}'; valid: {', '.join(EXIT_DESTINATIONS)}")


@dataclass
class LyReassessment:
    """Formal reassessment of flexjob-unemployment cases (12 of the last 18 months)."""

    hours: float = nonneg(0.0)
    certificates: int = nonneg(0)
    changes_assessment_share: float = probability(0.0)
    destination: str = "reassessed"        # how a spell ends when the assessment changes

    def validate(self, path: str) -> None:
        if self.destination not in EXIT_DESTINATIONS:
            raise ConfigError(f"'{path}.destination' = {self.destination!r}; valid: "
                              + ", ".join(EXIT_DESTINATIONS))


@dataclass
class Reentry:
    """Share of spells ending in ``after_destinations`` that return, and the mean time out
    (days)."""

    return_share: float = probability(0.0)
    mean_days_out: float = positive(30.0)
    after_destinations: list[str] = field(default_factory=lambda: ["self_support", "other"])

    def validate(self, path: str) -> None:
        for d in self.after_destinations:
            if d not in EXIT_DESTINATIONS:
                raise ConfigError(f"'{path}.after_destinations' names unknown destination "
                                  f"'{d}'; valid: {', '.join(EXIT_DESTINATIONS)}")


@dataclass
class Costs:
    """National cost base (QB14) from which DKK per FTE and per hour are derived."""

    operating_cost_dkk: float = positive()
    national_fte: float = positive()
    wage_share: float = probability()
    medical_certificates_dkk: float = nonneg()
    lae265_price_dkk: float = nonneg()
    reassessment_certificate_price_dkk: float = nonneg()
    wage_level: float = positive(1.0)     # a centre's wages against the national average
                                          # (its practice, sim.practice); 1 nationally

    @property
    def wage_per_fte_dkk(self) -> float:
        """Wage cost of one FTE-year (DKK) at this centre's wage level."""
        return self.operating_cost_dkk * self.wage_share / self.national_fte * self.wage_level

    @property
    def other_services_per_fte_dkk(self) -> float:
        """Non-wage services other than medical certificates, per FTE-year (DKK)."""
        other = self.operating_cost_dkk * (1 - self.wage_share) - self.medical_certificates_dkk
        return max(other, 0.0) / self.national_fte


@dataclass
class OfferCostGroup:
    """The running cost of one group's offers (active measures, not jobcenter operation).

    ``cost_per_full_time_person_dkk``: the source's active-measure cost per full-time person on
    the benefit per year (DKK); ``reference_active_share``: the share of the group's
    benefit-days in an active offer in the simulated national baseline (derived). An offer-month
    costs ``cost / (12 x reference share)``, so the baseline's offers cost the source's figure
    per full-time person, and a scenario's cost moves with its offer-months.
    """

    cost_per_full_time_person_dkk: float = nonneg()
    reference_active_share: float = probability()

    def validate(self, path: str) -> None:
        if self.cost_per_full_time_person_dkk > 0 and self.reference_active_share <= 0:
            raise ConfigError(f"'{path}.reference_active_share' must be greater than 0 when "
                              "the group's offers have a cost")

    @property
    def price_per_offer_month_dkk(self) -> float:
        """DKK per month (365/12 days) of a running offer."""
        if self.cost_per_full_time_person_dkk == 0:
            return 0.0
        return self.cost_per_full_time_person_dkk / (12.0 * self.reference_active_share)


@dataclass
class OfferCosts:
    """Running cost of offers by benefit group (DKK); groups not listed cost nothing."""

    groups: dict[str, OfferCostGroup] = field(default_factory=dict)

    def validate(self, path: str) -> None:
        for g in self.groups:
            if g not in GROUPS:
                raise ConfigError(f"unknown benefit group '{path}.groups.{g}'; valid groups: "
                                  + ", ".join(GROUPS))

    def price_per_offer_month_dkk(self, group: str) -> float:
        """DKK per offer-month of ``group`` (0 for a group not listed)."""
        c = self.groups.get(group)
        return c.price_per_offer_month_dkk if c is not None else 0.0


@dataclass
class TalkEffect:
    """A talk raises the hazard of leaving to a job by ``job_hazard_ratio`` for ``window_days``
    after it; each talk has its own window, and the windows of talks close together add up (on
    the log scale: two open windows, the ratio squared). A phone talk counts ``phone_weight`` of
    an individual meeting, a group-course session ``group_session_weight`` (weights scale the
    log hazard ratio)."""

    job_hazard_ratio: float = positive(1.0)
    window_days: float = positive(42.0)
    phone_weight: float = probability(1.0)
    group_session_weight: float = probability(0.0)


@dataclass
class OfferEffect:
    """An offer of one kind: the job hazard is ``lock_in_hazard_ratio`` times as high while it
    runs, and ``post_hazard_ratio`` times as high for ``post_days`` after it ends."""

    lock_in_hazard_ratio: float = positive(1.0)
    post_hazard_ratio: float = positive(1.0)
    post_days: float = nonneg(0.0)


@dataclass
class HealthWait:
    """A wait for an assessment in the health system: in ``share`` of the spells of ``groups``
    it starts ``after_days`` into the spell and lasts an exponential time of mean ``mean_days``;
    meanwhile the job hazard is ``job_hazard_ratio`` times as high."""

    groups: list[str] = field(default_factory=list)
    share: float = probability(0.0)
    after_days: float = nonneg(0.0)
    mean_days: float = nonneg(0.0)
    job_hazard_ratio: float = positive(1.0)

    def validate(self, path: str) -> None:
        for g in self.groups:
            if g not in GROUPS:
                raise ConfigError(f"'{path}.groups' names unknown group '{g}'; valid: "
                                  + ", ".join(GROUPS))



@dataclass
class EffectReference:
    """The share of job-spell days under each kind of service in the calibrated baseline (the
    service the spell lengths were observed under; derived, ``python -m sim.effects_reference``);
    for talks the mean number of talk windows open (weighted), which may exceed 1."""

    talk: float = nonneg(0.0)
    offer_company: float = probability(0.0)
    offer_guidance: float = probability(0.0)
    post_company: float = probability(0.0)
    post_guidance: float = probability(0.0)
    health_wait: float = probability(0.0)


EXPOSURES = tuple(f.name for f in dataclasses.fields(EffectReference))
"""The kinds of service a job spell's hazard responds to (docs/effects.md): the fields of
:class:`EffectReference`."""


@dataclass
class SpellEffectSizes:
    """How service changes the time to a job (:mod:`sim.domain.effects`): the size of each
    effect and the baseline's service it is measured from. Neutral by default."""

    talks: TalkEffect = field(default_factory=TalkEffect)
    company_based_offers: OfferEffect = field(default_factory=OfferEffect)
    guidance_offers: OfferEffect = field(default_factory=OfferEffect)
    health_wait: HealthWait = field(default_factory=HealthWait)
    reference: dict[str, EffectReference] = field(default_factory=dict)

    def validate(self, path: str) -> None:
        for g in self.reference:
            if g not in GROUPS:
                raise ConfigError(f"unknown benefit group '{path}.reference.{g}'; valid groups: "
                                  + ", ".join(GROUPS))

    @property
    def neutral(self) -> bool:
        """True if no effect changes any hazard (every ratio 1)."""
        t, c, g, w = self.talks, self.company_based_offers, self.guidance_offers, self.health_wait
        return (t.job_hazard_ratio == 1.0 and c.lock_in_hazard_ratio == 1.0
                and c.post_hazard_ratio == 1.0 and g.lock_in_hazard_ratio == 1.0
                and g.post_hazard_ratio == 1.0
                and (w.job_hazard_ratio == 1.0 or w.share == 0.0 or not w.groups))


@dataclass
class BenefitRate:
    """What one full-time person on a group's benefit costs in benefit payments a year (DKK).

    ``statutory_dkk_per_year``: the statutory rate a recipient gets at most (or the group's
    reference rate), for a whole year; ``paid_share``: the share of it assumed paid on average
    (part-time insurance, rates below the maximum, reductions for other income). The rate per
    full-time person-year is their product.
    """

    statutory_dkk_per_year: float = nonneg()
    paid_share: float = probability(1.0)

    @property
    def dkk_per_full_time_person_year(self) -> float:
        """DKK paid for one person a whole year on the benefit (statutory rate x paid share)."""
        return self.statutory_dkk_per_year * self.paid_share


@dataclass
class Benefits:
    """Benefit payments by group (DKK per full-time person-year); groups not listed are left
    out of the benefit expenditure. Payments to citizens, not jobcenter operation."""

    groups: dict[str, BenefitRate] = field(default_factory=dict)

    def validate(self, path: str) -> None:
        for g in self.groups:
            if g not in GROUPS:
                raise ConfigError(f"unknown benefit group '{path}.groups.{g}'; valid groups: "
                                  + ", ".join(GROUPS))

    def dkk_per_full_time_person_year(self, group: str) -> float | None:
        """The rate of ``group`` (DKK per full-time person-year), None for a group not listed."""
        rate = self.groups.get(group)
        return None if rate is None else rate.dkk_per_full_time_person_year


@dataclass
class StaffType:
    """A kind of staff the model schedules: its name for people and its wage cost.

    ``hour_rate_factor`` scales QB14's average wage cost per available hour (one rate for all
    9,117 FTE, the only rate the source gives); 1 unless a staff type's hour is known or assumed
    to cost more or less (say which in the config).
    """

    label: str
    hour_rate_factor: float = positive(1.0)


@dataclass
class PracticeLine:
    """How one line of local practice differs across jobcenters: the national ``average``
    (the value the rest of the configuration holds), the ``low`` and ``high`` ends of the spread
    (QB14's range across centres) and the ``loading`` of a centre's value on the common factor
    that ties its lines together (0: independent of the others)."""

    average: float = nonneg()
    low: float = nonneg()
    high: float = nonneg()
    loading: float = probability(0.0)

    def validate(self, path: str) -> None:
        if not self.low <= self.average <= self.high:
            raise ConfigError(f"'{path}': average {self.average:g} must lie between low "
                              f"{self.low:g} and high {self.high:g}")
        if self.low == self.high != self.average:
            raise ConfigError(f"'{path}': low = high = {self.low:g} but average {self.average:g}")


@dataclass
class ManagementInformation:
    """Management information pulled into spreadsheets by hand (QB14 E6): in
    ``share_of_centres`` of the jobcenters every employee spends ``hours_per_year`` on it;
    ``loading`` on the common factor as for :class:`PracticeLine`."""

    share_of_centres: float = probability(0.0)
    hours_per_year: float = nonneg(0.0)
    loading: float = probability(0.0)


@dataclass
class PracticeSpread:
    """How jobcenters' local practice differs (:mod:`sim.practice`): the lines, the shape of
    each centre's draw (a beta distribution on [low, high] with the line's average as its mean
    and ``concentration`` = a + b) and the share of caseworkers' required work that is talks
    (preparation, talk, documentation), used to staff a drawn centre to its workload."""

    lines: dict[str, PracticeLine] = field(default_factory=dict)
    management_information: ManagementInformation = field(default_factory=ManagementInformation)
    concentration: float = positive(4.0)
    staffing_talk_share: float = probability(0.6)

    def validate(self, path: str) -> None:
        from .practice import LINES

        for name in self.lines:
            if name not in LINES:
                raise ConfigError(f"unknown practice line '{path}.lines.{name}'; valid: "
                                  + ", ".join(LINES))


@dataclass
class ModelParams:
    """Behaviour and practice shared by all jobcenter profiles."""

    working_time: WorkingTime
    staff_types: dict[str, StaffType]
    groups: dict[str, GroupBehaviour]
    talks: TalkPractice
    case_support: CaseSupport
    elastic_work: dict[str, ElasticWork]
    offers: OfferWork
    company_work: CompanyWork
    medical_certificates: MedicalCertificates
    rehab_team: RehabTeam
    ly_reassessment: LyReassessment
    reentry: dict[str, Reentry]
    costs: Costs
    offer_costs: OfferCosts = field(default_factory=OfferCosts)
    effects: SpellEffectSizes = field(default_factory=SpellEffectSizes)
    benefits: Benefits = field(default_factory=Benefits)
    practice: PracticeSpread = field(default_factory=PracticeSpread)

    def validate(self, path: str) -> None:
        for st in BASELINE_STAFF_TYPES:
            if st not in self.staff_types:
                raise ConfigError(f"'{path}.staff_types' has no entry for '{st}'")
        for staff in self.elastic_work:
            if staff not in self.staff_types:
                raise ConfigError(f"unknown staff type '{path}.elastic_work.{staff}'; "
                                  f"valid: {', '.join(self.staff_types)}")
        for staff in self.working_time.non_bookable_hours:
            if staff not in self.staff_types:
                raise ConfigError(
                    f"unknown staff type '{path}.working_time.non_bookable_hours.{staff}'; "
                    f"valid: {', '.join(self.staff_types)}")


# --------------------------------------------------------------------------- the whole run
EFFECT_SCALES = {"none": 0.0, "low": 0.5, "literature": 1.0, "high": 1.5}
"""``effects=``: the factor on every spell effect's log hazard ratio (:mod:`sim.domain.effects`).
``none`` compares capacity only; ``low`` and ``high`` take half and one and a half times the point
estimates (the studies' own confidence intervals are not used; docs/effects.md)."""


EXECUTORS = ("local", "ray")
"""``executor=``: where a run's replications (and a country's jobcenters) are simulated: ``local``
in a pool of processes on this machine (``workers``), ``ray`` as tasks on a Ray cluster
(:mod:`sim.executors`; the ``cluster`` extra)."""


@dataclass
class RaySettings:
    """Where ``executor=ray`` sends its tasks. ``address``: the cluster (``auto``: the one
    ``ray start`` made on this machine, ``ray://HOST:10001``: a remote head; null: the
    ``RAY_ADDRESS`` variable, or a Ray instance of this run's own on this machine);
    ``runtime_env``: Ray's runtime environment for the tasks (e.g. ``{working_dir: .}`` to ship
    the project to a cluster without it installed)."""

    address: Optional[str] = None
    runtime_env: dict[str, Any] = field(default_factory=dict)


DEFAULT_START_DATE = "2024-01-01"
"""``start_date`` when none is given: a Monday, as day 0 of the model is."""


@dataclass
class SimConfig:
    """Everything one run needs; built from the resolved Hydra config by :func:`load`."""

    scenario: str
    jobcenter: JobcenterProfile
    rules: Rulebook
    model: ModelParams
    seed: int = nonneg(2014)
    horizon_days: int = positive(365)
    warmup_days: Any = 0                  # whole days >= 0, or "auto" (sim.warmup, MSER-5)
    event_log: bool = True
    export: Any = field(default_factory=list)   # process-mining formats written (sim.export)
    start_date: str = DEFAULT_START_DATE  # calendar date of day 0 in exported logs (a Monday)
    progress: bool = True
    replications: Any = "auto"            # whole number >= 1, or "auto" (sim.experiment)
    precision: float = positive(0.05)     # relative CI half-width target of replications=auto
    max_replications: int = positive(20)
    min_replications: int = positive(3)
    workers: int = nonneg(0)              # processes for replications; 0: one per CPU core
    executor: str = "local"               # local (processes here) or ray (EXECUTORS)
    ray: RaySettings = field(default_factory=RaySettings)
    mechanisms: dict[str, Any] = field(default_factory=dict)   # name -> its validated Config
    effects: str = "literature"           # size of service's effects on duration (EFFECT_SCALES)
    sensitivity: Any = "auto"             # a comparison also runs effects=none and effects=high
    overlap: Any = "auto"                 # a composite scenario also runs each component alone
                                          # (true, false; auto: for one jobcenter, not a country)

    @property
    def runs_sensitivity(self) -> bool:
        """Whether a comparison adds the sensitivity line (``sensitivity``; auto: for a single
        jobcenter only, a country's would triple the run time)."""
        return _switch(self.sensitivity, not self.jobcenter.is_composite)

    @property
    def runs_overlap(self) -> bool:
        """Whether a composite scenario runs each component alone (``overlap``; auto: for a
        single jobcenter only)."""
        return _switch(self.overlap, not self.jobcenter.is_composite)

    def validate(self, path: str) -> None:
        from .mechanisms import build_configs

        self.mechanisms = build_configs(_merged_settings(self.rules.mechanisms, self.mechanisms))
        _check_run_control(self)
        if self.effects not in EFFECT_SCALES:
            raise ConfigError(f"'effects' = {self.effects!r}; valid: {', '.join(EFFECT_SCALES)}")
        if self.jobcenter.is_composite:
            if self.warmup_days == "auto":
                raise ConfigError("warmup_days=auto is not available for a composite jobcenter "
                                  "profile; give the warm-up in days (default 182)")
            return                       # each member is validated when it is built
        groups = set(self.jobcenter.groups)
        for g in groups:
            if g not in self.rules.groups:
                raise ConfigError(f"rules.groups has no entry for group '{g}'")
            if g not in self.model.groups:
                raise ConfigError(f"model.groups has no entry for group '{g}'")
        for g, beh in self.model.groups.items():
            for name, route in beh.exits.items():
                if route.to != "exit" and route.to not in groups:
                    raise ConfigError(
                        f"'model.groups.{g}.exits.{name}.to' = {route.to!r}; valid: exit, "
                        + ", ".join(sorted(groups))
                    )
        for g, r in self.rules.groups.items():
            lim = r.duration_limit
            if lim is not None and lim.to != "other" and lim.to not in groups:
                raise ConfigError(
                    f"'rules.groups.{g}.duration_limit.to' = {lim.to!r}; valid: other, "
                    + ", ".join(sorted(groups))
                )
        for g in self.model.reentry:
            if g not in GROUPS:
                raise ConfigError(f"unknown group 'model.reentry.{g}'; valid: {', '.join(GROUPS)}")


def _merged_settings(rules: dict, scenario: dict) -> dict:
    """The mechanisms a run switches on: the rulebook's, with the scenario's (and the command
    line's) settings merged on top, mechanism by mechanism. Already-built settings (a
    mechanism's ``Config``, as when a configuration is validated again) are kept as they are."""
    out = {name: dict(settings or {}) for name, settings in (rules or {}).items()}
    for name, settings in (scenario or {}).items():
        if isinstance(settings, dict) and isinstance(out.get(name), dict):
            out[name] = {**out[name], **settings}
        else:
            out[name] = settings
    return out


def _whole_or_auto(value: Any, lowest: int) -> bool:
    """True for ``"auto"`` and for whole numbers (not booleans) >= ``lowest``."""
    if value == "auto":
        return True
    return isinstance(value, int) and not isinstance(value, bool) and value >= lowest


def _switch(value: Any, auto: bool) -> bool:
    return auto if value == "auto" else bool(value)


def _check_export(cfg: SimConfig) -> None:
    """``export`` (a list of formats, or one) and ``start_date``; normalises ``export`` to a
    list."""
    from .export import FORMATS, check_formats
    from .process_log import day_zero

    value = cfg.export
    if value is None:
        value = []
    elif isinstance(value, str):
        value = [value] if value else []
    if not isinstance(value, (list, tuple)) or not all(isinstance(f, str) for f in value):
        raise ConfigError(f"'export' = {cfg.export!r}; give a list of formats, e.g. "
                          f"export=[{','.join(FORMATS)}]; valid: {', '.join(FORMATS)}")
    try:
        cfg.export = check_formats(value)
        day_zero(cfg.start_date)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    cfg.start_date = str(cfg.start_date)
    if cfg.export and not cfg.event_log:
        raise ConfigError(f"export={cfg.export} needs the event log: leave out event_log=false")
    if cfg.export and cfg.jobcenter.is_composite:
        raise ConfigError("export works on one jobcenter's event log; a country "
                          f"(jobcenter={cfg.jobcenter.name}) has none: choose a jobcenter "
                          "profile, or leave out export")


def _check_run_control(cfg: SimConfig) -> None:
    """The experiment keys: warm-up, number of replications and their precision target, and the
    switches of the extra comparisons."""
    for key in ("sensitivity", "overlap"):
        value = getattr(cfg, key)
        if not (isinstance(value, bool) or value == "auto"):
            raise ConfigError(f"'{key}' = {value!r}; valid: true, false, auto")
    _check_export(cfg)
    if not _whole_or_auto(cfg.warmup_days, 0):
        raise ConfigError(f"'warmup_days' = {cfg.warmup_days!r} must be a whole number of days "
                          "(0 or more) or auto")
    if not _whole_or_auto(cfg.replications, 1):
        raise ConfigError(f"'replications' = {cfg.replications!r} must be a whole number of at "
                          "least 1 or auto")
    if cfg.executor not in EXECUTORS:
        raise ConfigError(f"'executor' = {cfg.executor!r}; valid: {', '.join(EXECUTORS)}")
    if cfg.executor == "ray":
        import importlib.util

        if importlib.util.find_spec("ray") is None:
            raise ConfigError("executor=ray needs Ray, which is not installed: "
                              "pip install -e '.[cluster]' (or executor=local)")
    if cfg.max_replications < cfg.min_replications:
        raise ConfigError(f"'max_replications' = {cfg.max_replications} must not be less than "
                          f"'min_replications' = {cfg.min_replications}")


def load(raw: dict) -> SimConfig:
    """Build and validate a :class:`SimConfig` from a plain dictionary (resolved YAML)."""
    return build(SimConfig, raw, "")
