"""The rules of credit insurance (assurance-crédit), as pure functions on Decimal money.

Nothing here reads or writes the database: the services pass the policy's terms and the
figures of the day, and store what comes back. Every amount is a Decimal rounded half up to
the cent; a float is refused. Every figure below is a term of the policy, never a constant.

- Cover (couverture) is decided when an invoice is issued: a policy must be in force, the
  client's category and country must not be excluded, the credit period must not exceed the
  policy's maximum, and the client's exposure (encours) must fit the credit limit
  (agrément), or the discretionary limit (limite discrétionnaire) for a client without one.
- Indemnity (indemnité) of a claim (sinistre): min(unpaid covered amount, credit limit)
  × covered share (quotité garantie), minus the deductible per claim (franchise), then minus
  the annual aggregate deductible (franchise annuelle globale) still to be borne, never
  below zero, capped by what is left of the annual maximum indemnity (plafond
  d'indemnisation). When both deductibles are set, both apply: the per-claim deductible
  first, then the aggregate on what remains. A claim whose base is at or under the policy's
  threshold (seuil de sinistre) pays nothing.
- Subrogation: a client's payment received on or after the day the indemnity was paid is
  shared with the insurer in proportion to the share of the loss it bore, on the basis of
  its indemnity (excl. VAT unless the policy covers VAT), and never beyond the indemnity
  (Code des assurances, L121-12).
- Premium (prime): a rate on the declared insurable turnover with a minimum premium, a
  deposit and a year-end regularisation; or a flat annual premium up to a turnover ceiling.
- Grades (notes) of the insurers' scales brought to one 0–100 scale, 100 being the best.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from portage.money import ZERO, to_cents

HUNDRED = Decimal(100)


def _percent_label(percent: Decimal) -> str:
    """90 → "90", 92.50 → "92.5": a percent as a person writes it."""
    return f"{Decimal(percent).normalize():f}"


def _percent_of(amount: Decimal, percent: Decimal) -> Decimal:
    return to_cents(Decimal(amount) * Decimal(percent) / HUNDRED)


def _check_percent(name: str, value) -> None:
    if isinstance(value, float):
        raise TypeError(f"{name} is never a float")
    if not ZERO <= Decimal(value) <= HUNDRED:
        raise ValueError(f"{name} must be between 0 and 100, not {value}")


def _optional_cents(value):
    return None if value is None else to_cents(value)


@dataclass(frozen=True)
class Terms:
    """The terms of a policy that the rules need.

    - `covered_share`: quotité garantie, in percent (Decimal("90") for 90 %).
    - `deductible_per_claim`: franchise, taken off each claim.
    - `annual_aggregate_deductible`: franchise annuelle globale, the losses the insured bears
      over an insurance year before the insurer pays; None when the policy has none.
    - `claim_threshold`: seuil de sinistre; a claim whose base is at or under it pays nothing.
    - `annual_max_indemnity`: plafond d'indemnisation, the most the insurer pays in an
      insurance year; None when unlimited.
    - `covers_vat`: whether the cover includes VAT (TTC); if not, only the amount excl. VAT
      (HT) counts (see `covered_basis`).
    - `discretionary_limit`: limite discrétionnaire, the exposure up to which a client
      without a named limit is covered.
    - `max_credit_days`: durée maximale de crédit; an invoice on longer terms is not covered.
      None when the policy sets none.
    - `excluded_categories`: client categories the policy excludes (e.g. "public",
      "individual", "related").
    - `excluded_countries`: ISO 3166 alpha-2 codes of the excluded countries.
    """

    covered_share: Decimal
    deductible_per_claim: Decimal
    annual_aggregate_deductible: Decimal | None = None
    claim_threshold: Decimal = ZERO
    annual_max_indemnity: Decimal | None = None
    covers_vat: bool = False
    discretionary_limit: Decimal = ZERO
    max_credit_days: int | None = None
    excluded_categories: frozenset = field(default_factory=frozenset)
    excluded_countries: frozenset = field(default_factory=frozenset)

    def __post_init__(self):
        _check_percent("covered_share", self.covered_share)
        # The terms are frozen: normalise once here so every rule reads clean values.
        normalised = {
            "covered_share": Decimal(self.covered_share),
            "deductible_per_claim": to_cents(self.deductible_per_claim),
            "annual_aggregate_deductible": _optional_cents(self.annual_aggregate_deductible),
            "claim_threshold": to_cents(self.claim_threshold),
            "annual_max_indemnity": _optional_cents(self.annual_max_indemnity),
            "discretionary_limit": to_cents(self.discretionary_limit),
            "excluded_categories": frozenset(self.excluded_categories),
            "excluded_countries": frozenset(code.upper() for code in self.excluded_countries),
        }
        for name in (
            "deductible_per_claim",
            "annual_aggregate_deductible",
            "claim_threshold",
            "annual_max_indemnity",
            "discretionary_limit",
        ):
            if normalised[name] is not None and normalised[name] < ZERO:
                raise ValueError(f"{name} cannot be negative")
        for name, value in normalised.items():
            object.__setattr__(self, name, value)


def covered_basis(*, terms: Terms, excl_vat: Decimal, incl_vat: Decimal) -> Decimal:
    """The amount that counts for cover: incl. VAT (TTC) when the policy covers VAT, else
    excl. VAT (HT). Exposure and unpaid amounts are taken on the same basis."""
    return to_cents(incl_vat if terms.covers_vat else excl_vat)


# Cover decided when an invoice is issued.


class Reason:
    """Why an invoice is, partly is, or is not covered; stored with the invoice's cover."""

    NO_POLICY = "no_policy"
    CATEGORY = "excluded_category"
    COUNTRY = "excluded_country"
    CREDIT_PERIOD = "credit_period"
    NO_LIMIT = "no_limit"
    REFUSED = "limit_refused"
    LIMIT_USED = "limit_used"
    PARTIAL = "limit_exceeded"
    DISCRETIONARY = "discretionary"
    COVERED = "covered"


@dataclass(frozen=True)
class Cover:
    """`covered_amount` + `uncovered_amount` = the invoice's amount that counts for cover."""

    covered_amount: Decimal
    reason: str
    uncovered_amount: Decimal


def decide_cover(
    *,
    terms: Terms | None,
    has_policy: bool,
    client_category: str | None,
    client_country: str | None,
    credit_days: int,
    invoice_amount: Decimal,
    exposure_before: Decimal,
    limit: Decimal | None,
) -> Cover:
    """How much of an invoice the policy covers, decided when the invoice is issued.

    `invoice_amount` and `exposure_before` (what the client owed before this invoice) are on
    the basis the policy covers (see `covered_basis`). `limit` is the credit limit in force
    (agrément), None when the client has no named limit. The checks, in this order:

    1. no policy in force: not covered (NO_POLICY);
    2. the client's category is excluded (CATEGORY);
    3. the client's country is excluded (COUNTRY);
    4. the credit period is longer than the policy's maximum (CREDIT_PERIOD);
    5. no named limit: covered in full if the exposure after the invoice stays within the
       discretionary limit (DISCRETIONARY), else not covered at all (NO_LIMIT);
    6. a limit of zero is a refusal: not covered (REFUSED);
    7. otherwise the limit covers what it has left, max(0, limit − exposure before), up to
       the invoice's amount: all of it (COVERED), part of it (PARTIAL) or nothing because
       the limit is already used (LIMIT_USED).
    """
    amount = to_cents(invoice_amount)
    exposure = to_cents(exposure_before)

    def cover(covered, reason):
        return Cover(covered_amount=covered, reason=reason, uncovered_amount=amount - covered)

    if not has_policy or terms is None:
        return cover(ZERO, Reason.NO_POLICY)
    if client_category is not None and client_category in terms.excluded_categories:
        return cover(ZERO, Reason.CATEGORY)
    if client_country is not None and client_country.upper() in terms.excluded_countries:
        return cover(ZERO, Reason.COUNTRY)
    if terms.max_credit_days is not None and credit_days > terms.max_credit_days:
        return cover(ZERO, Reason.CREDIT_PERIOD)
    if limit is None:
        if exposure + amount <= terms.discretionary_limit:
            return cover(amount, Reason.DISCRETIONARY)
        return cover(ZERO, Reason.NO_LIMIT)
    limit = to_cents(limit)
    if limit == ZERO:
        return cover(ZERO, Reason.REFUSED)
    available = max(ZERO, limit - exposure)
    if available >= amount:
        return cover(amount, Reason.COVERED)
    if available == ZERO:
        return cover(ZERO, Reason.LIMIT_USED)
    return cover(available, Reason.PARTIAL)


# Insurance years.


def _anniversary(start: date, years: int) -> date:
    """`start` moved on by whole years; a 29 February falls on the 28th in other years."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return start.replace(year=start.year + years, day=28)


def insurance_years(*, starts_on: date, ends_on: date) -> list[tuple[date, date]]:
    """The insurance years (années d'assurance) of a policy: the periods between the
    anniversaries of its start date, first and last days included, the last one cut at the
    policy's end. The annual maximum indemnity and the annual aggregate deductible apply to
    each on its own: a policy from 1 April 2026 to 31 March 2028 has two years, 1 April 2026
    to 31 March 2027 and 1 April 2027 to 31 March 2028, each with both counters at zero."""
    if ends_on < starts_on:
        raise ValueError("a policy cannot end before it starts")
    years = []
    count = 0
    while (start := _anniversary(starts_on, count)) <= ends_on:
        end = min(_anniversary(starts_on, count + 1) - timedelta(days=1), ends_on)
        years.append((start, end))
        count += 1
    return years


def insurance_year(*, starts_on: date, ends_on: date, day: date) -> tuple[date, date]:
    """The insurance year of the policy that `day` falls in (see `insurance_years`). A day
    after the policy's end falls in its last year: a claim opened after the end, on an
    invoice the policy covered, counts against the limits of the policy's last year. A day
    before its start has no insurance year."""
    if day < starts_on:
        raise ValueError(f"{day} is before the policy starts ({starts_on})")
    years = insurance_years(starts_on=starts_on, ends_on=ends_on)
    return next((year for year in years if day <= year[1]), years[-1])


# Indemnity of a claim.


@dataclass(frozen=True)
class Indemnity:
    """What the insurer pays for a claim, with the steps of the computation to show.

    `steps` is a list of (label, amount): the figures the computation starts from, then each
    amount taken off as a negative figure, and "Indemnity" last. `aggregate_used` is the part
    of the annual aggregate deductible this claim consumed: the caller adds it to the year's
    total. `base` is min(unpaid covered amount, credit limit).
    """

    amount: Decimal
    steps: list
    aggregate_used: Decimal
    base: Decimal


def compute_indemnity(
    *,
    terms: Terms,
    lines,
    limit: Decimal | None,
    year_to_date_deductible: Decimal = ZERO,
    year_to_date_indemnity: Decimal = ZERO,
) -> Indemnity:
    """The indemnity of a claim (sinistre).

    `lines` is a list of (label, unpaid covered amount), one per invoice of the claim, already
    on the basis the policy covers. `limit` is the credit limit in force (None: no cap).
    `year_to_date_deductible` is the aggregate deductible already borne in the claim's
    insurance year (see `insurance_year`) and `year_to_date_indemnity` the indemnities
    already paid or expected in it.

    1. base = min(unpaid covered amount, credit limit);
    2. a base at or under the claim threshold pays nothing;
    3. × covered share (quotité garantie);
    4. − the deductible per claim (franchise);
    5. − the annual aggregate deductible still to be borne this year, max(0, aggregate −
       year to date), up to what is left;
    6. never below zero;
    7. at most what is left of the annual maximum, max(0, maximum − year to date).
    """
    unpaid = to_cents(sum((to_cents(amount) for _label, amount in lines), ZERO))
    steps = [("Unpaid covered amount", unpaid)]
    if limit is None:
        base = unpaid
        steps.append(("Base: the unpaid amount (no credit limit caps it)", base))
    else:
        limit = to_cents(limit)
        base = min(unpaid, limit)
        steps.append(("Credit limit in force", limit))
        steps.append(("Base: the lower of the two", base))

    def result(amount, aggregate_used=ZERO):
        steps.append(("Indemnity", amount))
        return Indemnity(amount=amount, steps=steps, aggregate_used=aggregate_used, base=base)

    if base <= terms.claim_threshold:
        steps.append(
            ("Claim threshold not passed: the base is at or under it", terms.claim_threshold)
        )
        return result(ZERO)

    amount = _percent_of(base, terms.covered_share)
    steps.append((f"Covered share {_percent_label(terms.covered_share)} %", amount))

    if terms.deductible_per_claim > ZERO:
        taken = min(terms.deductible_per_claim, amount)
        amount -= taken
        steps.append(("Deductible per claim", -taken))

    aggregate_used = ZERO
    if terms.annual_aggregate_deductible is not None:
        remaining = max(ZERO, terms.annual_aggregate_deductible - to_cents(year_to_date_deductible))
        aggregate_used = min(remaining, amount)
        amount -= aggregate_used
        steps.append(("Annual aggregate deductible (remaining)", remaining))
        steps.append(("Borne under the annual aggregate deductible", -aggregate_used))

    if terms.annual_max_indemnity is not None:
        remaining = max(ZERO, terms.annual_max_indemnity - to_cents(year_to_date_indemnity))
        steps.append(("Annual maximum (remaining)", remaining))
        if amount > remaining:
            steps.append(("Cut to the annual maximum", remaining - amount))
            amount = remaining

    return result(amount, aggregate_used)


# Subrogation: what the client pays after the indemnity is shared with the insurer.


@dataclass(frozen=True)
class IndemnifiedInvoice:
    """An invoice of a claim the insurer paid, as the subrogation rule takes it.

    - `excl_vat`, `incl_vat`: the invoice's totals, which bring a recovery to excl. VAT.
    - `covers_vat`: whether the policy covers VAT, i.e. whether the indemnity was computed on
      amounts incl. VAT (see `covered_basis`).
    - `claimed`: what was unpaid on the invoice, incl. VAT, when it was claimed.
    - `indemnity`: the insurer's part of the claim's indemnity for this invoice.
    - `loss_date`: the day the insurer paid the indemnity.
    - `recovered`: what the client already paid on the invoice on or after that day, incl.
      VAT, and `to_insurer` what the insurer already received of it.
    """

    excl_vat: Decimal
    incl_vat: Decimal
    covers_vat: bool
    claimed: Decimal
    indemnity: Decimal
    loss_date: date
    recovered: Decimal = ZERO
    to_insurer: Decimal = ZERO


@dataclass(frozen=True)
class RecoveryShare:
    """A payment on an indemnified invoice, split: `to_insurer` + `to_company` = the payment.
    `vat` is the VAT part of the payment; when the policy covers amounts excl. VAT it is all
    in `to_company`."""

    to_insurer: Decimal
    to_company: Decimal
    vat: Decimal


def share_recovery(*, invoice: IndemnifiedInvoice, amount: Decimal, received_on: date):
    """What of a client's payment on an indemnified invoice goes to the insurer (recours
    subrogatoire, Code des assurances L121-12: the insurer who paid the indemnity takes the
    insured's place against the debtor, up to that indemnity).

    1. A payment received before the indemnity was paid is all the company's.
    2. The insurer's share is taken on the basis its indemnity was computed on: excl. VAT
       when the policy covers amounts excl. VAT (the VAT part of a payment is the
       company's, which owes it to the Treasury), incl. VAT when the policy covers VAT.
    3. Loss and recoveries are shared in proportion to each party's share of the loss: the
       insurer bore `indemnity` of the loss on that basis (what was unpaid when claimed), so
       of everything recovered on the invoice since the indemnity it is owed
       recovered × indemnity / loss, rounded to the cent once on the running total; this
       payment gives it what that total adds, so that rounding never gains or loses a cent
       over many partial payments, and a payment of the whole balance gives it back its
       whole indemnity.
    4. The insurer never receives in total more than its indemnity, nor more of a payment
       than the payment's part on that basis; what the client pays beyond what was claimed
       is the company's.
    """
    amount = to_cents(amount)
    if amount < ZERO:
        raise ValueError("a payment cannot be negative")
    incl_vat = to_cents(invoice.incl_vat)

    def excl(total):
        return to_cents(total * to_cents(invoice.excl_vat) / incl_vat) if incl_vat > 0 else total

    def basis(total):
        return to_cents(total) if invoice.covers_vat else excl(total)

    recovered = to_cents(invoice.recovered)
    vat = (recovered + amount - excl(recovered + amount)) - (recovered - excl(recovered))
    claimed, indemnity = to_cents(invoice.claimed), to_cents(invoice.indemnity)
    loss = basis(claimed)
    if received_on < invoice.loss_date or indemnity <= ZERO or loss <= ZERO:
        return RecoveryShare(to_insurer=ZERO, to_company=amount, vat=vat)
    before, after = min(recovered, claimed), min(recovered + amount, claimed)
    owed = min(indemnity, to_cents(basis(after) * indemnity / loss))
    to_insurer = min(
        max(ZERO, owed - to_cents(invoice.to_insurer)),
        basis(after) - basis(before),
        max(ZERO, indemnity - to_cents(invoice.to_insurer)),
    )
    return RecoveryShare(to_insurer=to_insurer, to_company=amount - to_insurer, vat=vat)


# Premiums.


def turnover_premium(
    *, insurable_turnover: Decimal, rate_percent: Decimal, minimum: Decimal | None = None
) -> Decimal:
    """The premium on a declared insurable turnover (chiffre d'affaires assurable): turnover
    × rate / 100, rounded to the cent, and never under the minimum premium when there is one."""
    premium = _percent_of(insurable_turnover, rate_percent)
    if minimum is not None:
        premium = max(premium, to_cents(minimum))
    return premium


@dataclass(frozen=True)
class Regularisation:
    """The year-end regularisation: `balance` positive is owed to the insurer, negative is
    refunded to the insured."""

    premium_due: Decimal
    deposit: Decimal
    balance: Decimal


def regularisation(
    *,
    declared_turnovers,
    rate_percent: Decimal,
    deposit: Decimal,
    minimum_premium: Decimal | None,
) -> Regularisation:
    """The year-end regularisation (régularisation) of a turnover-rated policy: the premium
    due is the year's declared turnover × rate, never under the minimum premium; the
    deposit (acompte / prime provisionnelle) paid at the start of the year is set against
    it."""
    turnover = sum((to_cents(amount) for amount in declared_turnovers), ZERO)
    premium_due = turnover_premium(
        insurable_turnover=turnover, rate_percent=rate_percent, minimum=minimum_premium
    )
    deposit = to_cents(deposit)
    return Regularisation(premium_due=premium_due, deposit=deposit, balance=premium_due - deposit)


class FlatPremiumUsage(NamedTuple):
    """A flat premium (forfait) and how much of its turnover ceiling the year has used."""

    premium: Decimal
    ceiling_used_percent: Decimal
    over_ceiling: bool


def flat_premium_usage(
    *, premium: Decimal, ceiling: Decimal, insurable_turnover: Decimal
) -> FlatPremiumUsage:
    """A flat annual premium covers the insurable turnover up to a ceiling (plafond): the
    premium is fixed, the share of the ceiling used is turnover / ceiling × 100 rounded to
    two places, and a turnover above the ceiling is flagged (the policy then usually asks for
    an additional premium or a switch to a turnover-rated contract)."""
    ceiling = to_cents(ceiling)
    if ceiling <= ZERO:
        raise ValueError("the ceiling must be above zero")
    turnover = to_cents(insurable_turnover)
    used = to_cents(turnover * HUNDRED / ceiling)
    return FlatPremiumUsage(
        premium=to_cents(premium), ceiling_used_percent=used, over_ceiling=turnover > ceiling
    )


# Grades.


def normalise_grade(value, scale_min, scale_max, best_is_high: bool) -> int:
    """An insurer's grade on its own scale brought to 0–100, 100 being the best, rounded half
    up: Allianz Trade grades 1 (best) to 10 (worst), `best_is_high` False; Coface's DRA 0 to
    10 (best), `best_is_high` True. Both best grades give 100, both worst give 0."""
    for number in (value, scale_min, scale_max):
        if isinstance(number, float):
            raise TypeError("a grade is never a float")
    value, low, high = Decimal(value), Decimal(scale_min), Decimal(scale_max)
    if low >= high:
        raise ValueError("the scale's minimum must be under its maximum")
    if not low <= value <= high:
        raise ValueError(f"grade {value} is outside the scale {low}–{high}")
    position = (value - low) / (high - low)
    if not best_is_high:
        position = 1 - position
    return int((position * HUNDRED).quantize(Decimal(1), rounding=ROUND_HALF_UP))
