"""Tests of the adaptive engine on a synthetic bank (the real bank is exercised by bench/)."""

from __future__ import annotations

import math
import random
import statistics
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace

import pytest

from app.assessment import engine
from app.assessment.engine import (
    BAND_CUTS,
    BASICS_THRESHOLD,
    DEFAULT_POPULATION,
    DOMAINS,
    ENGINE_VERSION,
    FOUNDATION,
    MAX_FOUNDATION_ITEMS,
    MAX_ITEMS_PER_DOMAIN,
    MAX_PILOT_ITEMS,
    MAX_TOTAL_ITEMS,
    MIN_FOUNDATION_ITEMS,
    MIN_ITEMS_PER_DOMAIN,
    SCORED_DOMAINS,
    Answer,
    Population,
    band,
    discrimination,
    estimate,
    expected_length,
    fisher_information,
    is_finished,
    next_item,
    pilot_plan,
    probability,
    result,
    should_offer_help,
)

pytestmark = pytest.mark.no_database  # pure Python: once, in the SQLite pass

RHO = DEFAULT_POPULATION.correlation
MU = DEFAULT_POPULATION.mean
NORMAL = Population(robust_df=None)  # the plain normal prior, for exact checks


@dataclass(frozen=True)
class FakeItem:
    id: str
    domain: str
    a: float
    b: float
    c: float = 0.0
    pilot: bool = False
    a_estimated: bool = True
    b_se: float | None = 0.0


def make_bank() -> tuple[FakeItem, ...]:
    """12 foundation items (b in [-2.5, -1]) and 14 items per scored domain (b in [-2, 2]),
    with calibrated parameters (the engine takes them as they are) and a few guessable ones."""
    items = [
        FakeItem(f"f{i:02d}", FOUNDATION, (1.1, 1.3, 1.5)[i % 3], round(-2.5 + 1.5 * i / 11, 3))
        for i in range(12)
    ]
    for domain in SCORED_DOMAINS:
        items += [
            FakeItem(
                f"{domain[:4]}{i:02d}",
                domain,
                (1.0, 1.3, 1.6, 2.0)[i % 4],
                round(-2 + 4 * i / 13, 3),
                (0.0, 0.125, 0.0, 0.167)[i % 4],
            )
            for i in range(14)
        ]
    return tuple(items)


BANK = make_bank()
BY_ID = {item.id: item for item in BANK}


def p_right(theta: float, item: FakeItem) -> float:
    return probability(theta, item.a, item.b, item.c)


def simulate(
    thetas: Mapping[str, float], seed: int | str, rng: random.Random, bank=BANK
) -> list[Answer]:
    """One simulated person answering by the engine's own model until the engine stops."""
    answers: list[Answer] = []
    for _ in range(MAX_TOTAL_ITEMS + 5):
        item = next_item(bank, answers, seed)
        if item is None:
            return answers
        answers.append((item.id, rng.random() < p_right(thetas[item.domain], item)))
    raise AssertionError("the engine did not stop")


def flat(theta: float) -> dict[str, float]:
    return dict.fromkeys(DOMAINS, theta)


def person(rng: random.Random) -> dict[str, float]:
    """A person drawn from the engine's population model (one-factor, correlation RHO)."""
    g = rng.gauss(0, 1)
    return {d: MU + math.sqrt(RHO) * g + math.sqrt(1 - RHO) * rng.gauss(0, 1) for d in DOMAINS}


def first_of(domain: str, n: int) -> list[FakeItem]:
    return [item for item in BANK if item.domain == domain][:n]


def overall(thetas: Mapping[str, float]) -> float:
    return statistics.fmean(thetas[d] for d in SCORED_DOMAINS)


# -- item model ---------------------------------------------------------------------------------


def test_probability_has_a_floor_for_guesses_and_a_ceiling_for_slips() -> None:
    assert probability(-10.0, 1.5, 0.0, 0.25) == pytest.approx(0.25, abs=1e-6)
    assert probability(10.0, 1.5, 0.0, 0.25) == pytest.approx(1 - engine.SLIP, abs=1e-6)
    assert probability(0.3, 1.4, 0.3) == pytest.approx((1 - engine.SLIP) / 2)
    values = [probability(t / 4, 1.5, 0.0, 0.2) for t in range(-12, 13)]
    assert values == sorted(values) and len(set(values)) == len(values)
    assert probability(0.5, 2.0, 0.0) > probability(0.5, 1.0, 0.0)
    assert probability(1000.0, 2.0, 0.0) == pytest.approx(1 - engine.SLIP)


def test_guessing_lowers_the_information_of_an_item() -> None:
    assert fisher_information(0.0, 1.5, 0.0, 0.25) < fisher_information(0.0, 1.5, 0.0)
    assert fisher_information(0.4, 2.0, 0.4) > fisher_information(1.4, 2.0, 0.4)
    # with guessing, the information peaks a little above the difficulty
    peak = max((t / 20 for t in range(-40, 41)), key=lambda t: fisher_information(t, 1.5, 0, 0.25))
    assert 0.0 < peak < 0.6


def test_author_values_are_taken_with_their_uncertainty() -> None:
    calibrated = FakeItem("x", "information", 1.6, 0.0, a_estimated=True, b_se=0.0)
    author = replace(calibrated, a_estimated=False, b_se=None)
    assert discrimination(calibrated) == pytest.approx(1.6)
    assert discrimination(author) < engine.AUTHOR_A_TRUST * 1.6 < 1.6
    # a calibrated b with a large error flattens the curve too
    assert discrimination(replace(calibrated, b_se=0.5)) < discrimination(calibrated)


# -- bands and population -----------------------------------------------------------------------


def test_bands_at_the_cuts_go_up() -> None:
    assert BAND_CUTS == (-1.0, 0.0, 1.0)
    assert [band(t) for t in (-3.0, -1.0001, -1.0, -0.0001, 0.0, 0.9999, 1.0)] == [
        0,
        0,
        1,
        1,
        2,
        2,
        3,
    ]


def test_version_and_population() -> None:
    assert ENGINE_VERSION == "3"
    assert (MU, DEFAULT_POPULATION.sd, RHO) == (-0.5, 1.0, 0.7)


def test_population_comes_from_the_last_calibration() -> None:
    assert Population.from_calibration(None) == DEFAULT_POPULATION
    estimated = Population.from_calibration({"population_mean": -0.8, "population_sd": 1.2})
    assert (estimated.mean, estimated.sd) == (-0.8, 1.2)
    assert estimated.correlation == RHO
    # values that make no sense are not used
    assert Population.from_calibration({"population_mean": -3.5, "population_sd": 1.0}) == (
        DEFAULT_POPULATION
    )
    assert Population.from_calibration({"population_mean": 0.0, "population_sd": 9}) == (
        DEFAULT_POPULATION
    )


def test_the_population_moves_the_estimates() -> None:
    answers = [(item.id, True) for item in first_of("information", 6)[4:6]]
    low = estimate(BANK, answers, population=Population(mean=-1.0))
    high = estimate(BANK, answers, population=Population(mean=0.0))
    assert low.overall_theta < high.overall_theta
    assert low.basics_probability > high.basics_probability


# -- estimates ----------------------------------------------------------------------------------


def test_prior_without_answers() -> None:
    est = estimate(BANK, [])
    for domain in DOMAINS:
        assert est.domains[domain].theta == pytest.approx(MU, abs=0.01)
        assert est.domains[domain].sd == pytest.approx(1.0, abs=0.05)
    res = result(BANK, [])
    assert res.overall_theta == pytest.approx(MU, abs=0.01)
    assert res.overall_low < MU < res.overall_high
    assert not res.complete and res.n_answers == 0
    # The routing is decided under a prior moved halfway to the cut: with no answers it gives
    # more weight to "needs the basics" than the population does.
    plain = estimate(BANK, [], population=NORMAL)
    assert plain.basics_probability > 0.2


def test_eap_moves_up_after_right_and_down_after_wrong() -> None:
    items = first_of("information", 6)[2:6]
    prior = estimate(BANK, []).domains["information"].theta
    one_right = estimate(BANK, [(items[0].id, True)]).domains["information"].theta
    two_right = estimate(BANK, [(items[0].id, True), (items[1].id, True)]).domains["information"]
    one_wrong = estimate(BANK, [(items[0].id, False)]).domains["information"].theta
    dont_know = estimate(BANK, [(items[0].id, None)]).domains["information"].theta
    assert one_right > prior + 0.1
    assert two_right.theta > one_right
    assert one_wrong < prior - 0.1
    assert dont_know == pytest.approx(one_wrong)  # "Je ne sais pas" is scored as wrong
    assert two_right.sd < estimate(BANK, []).domains["information"].sd


def test_a_right_answer_to_a_guessable_item_says_less() -> None:
    sure = FakeItem("s", "information", 1.6, -0.5, c=0.0)
    guessable = replace(sure, id="g", c=0.25)
    bank = (*BANK, sure, guessable)
    prior = estimate(bank, []).domains["information"].theta
    up_sure = estimate(bank, [("s", True)]).domains["information"].theta
    up_guess = estimate(bank, [("g", True)]).domains["information"].theta
    assert prior < up_guess < up_sure


def test_prior_borrows_from_other_domains() -> None:
    info = first_of("information", 14)
    right = [(item.id, True) for item in info[4:10]]
    wrong = [(item.id, False) for item in info[4:10]]
    prior = estimate(BANK, [], population=NORMAL).domains["communication"]
    up = estimate(BANK, right, population=NORMAL)
    down = estimate(BANK, wrong, population=NORMAL)
    assert prior.theta < up.domains["communication"].theta < up.domains["information"].theta
    assert prior.theta > down.domains["communication"].theta > down.domains["information"].theta
    assert up.domains["communication"].sd < prior.sd
    # exact consequences of the multivariate normal prior when only one domain has answers:
    # E[θ_B | data] = μ + ρ (E[θ_A | data] - μ),  Var[θ_B | data] = 1 - ρ² + ρ² Var[θ_A | data]
    for est in (up, down):
        a, b = est.domains["information"], est.domains["communication"]
        assert b.theta == pytest.approx(MU + RHO * (a.theta - MU), abs=0.02)
        assert b.sd**2 == pytest.approx(1 - RHO**2 + RHO**2 * a.sd**2, abs=0.03)


def test_foundation_answers_inform_every_domain() -> None:
    wrong = [(item.id, False) for item in first_of(FOUNDATION, 4)]
    est = estimate(BANK, wrong)
    for domain in SCORED_DOMAINS:
        assert est.domains[domain].theta < MU - 0.4
    assert result(BANK, wrong).needs_basics


def test_result_fields_and_overall_is_mean_of_domains() -> None:
    answers = simulate(flat(0.2), seed=3, rng=random.Random(3))
    res = result(BANK, answers, 3)
    assert set(res.domains) == set(SCORED_DOMAINS)
    mean = sum(d.theta for d in res.domains.values()) / len(SCORED_DOMAINS)
    assert res.overall_theta == pytest.approx(mean)
    assert res.overall_band == band(res.overall_theta)
    assert res.needs_basics == (res.basics_probability >= BASICS_THRESHOLD)
    assert res.overall_low < res.overall_theta < res.overall_high
    assert res.overall_high - res.overall_low == pytest.approx(2 * 1.96 * res.overall_sd, rel=0.15)
    assert res.engine_version == ENGINE_VERSION
    assert res.complete and res.n_answers == len(answers)
    for d in res.domains.values():
        assert d.band == band(d.theta)
        assert 0 < d.sd < 1
        assert 0.0 <= d.band_probability <= 1.0
        assert d.sure == (d.band_probability >= engine.DOMAIN_SURE)
    assert sum(d.n_items for d in res.domains.values()) + res.foundation.n_items == len(answers)
    assert res.overall_sd < min(d.sd for d in res.domains.values())


def test_the_interval_holds_the_truth_about_95_percent_of_the_time() -> None:
    rng = random.Random(41)
    inside = 0
    runs = 60
    for k in range(runs):
        thetas = person(rng)
        res = result(BANK, simulate(thetas, f"i{k}", rng), f"i{k}")
        inside += res.overall_low <= overall(thetas) <= res.overall_high
    assert inside / runs >= 0.85


def test_result_does_not_depend_on_answer_order() -> None:
    answers = simulate(flat(-0.5), seed=8, rng=random.Random(8))
    shuffled = list(answers)
    random.Random(1).shuffle(shuffled)
    a, b = result(BANK, answers), result(BANK, shuffled)
    assert b.overall_theta == pytest.approx(a.overall_theta, abs=1e-9)
    assert b.basics_probability == pytest.approx(a.basics_probability, abs=1e-9)
    for domain in SCORED_DOMAINS:
        assert b.domains[domain].theta == pytest.approx(a.domains[domain].theta, abs=1e-9)


def test_answers_validation() -> None:
    item = BANK[0]
    with pytest.raises(ValueError):
        estimate(BANK, [("no-such-item", True)])
    once = result(BANK, [(item.id, True)])
    twice = result(BANK, [(item.id, True), (item.id, False)])  # a re-post does not count again
    assert twice == once
    with pytest.raises(ValueError):
        estimate((*BANK, FakeItem("x", "cooking", 1.0, 0.0)), [])
    with pytest.raises(ValueError):
        estimate((*BANK, BANK[3]), [])  # duplicate id


# -- order of questions -------------------------------------------------------------------------


def test_next_item_is_deterministic_and_seed_dependent() -> None:
    answers: list[Answer] = [(BANK[5].id, True), (BANK[7].id, False)]
    assert next_item(BANK, answers, 42) == next_item(BANK, answers, 42)
    assert next_item(BANK, answers, 42) == next_item(tuple(reversed(BANK)), answers, 42)
    firsts = Counter(next_item(BANK, [], seed) for seed in range(60))
    assert len(firsts) == 3  # randomesque: one of the 3 best items
    assert max(firsts.values()) < 40


def test_the_test_starts_with_easy_foundation_items() -> None:
    for seed in range(20):
        rng = random.Random(seed)
        answers: list[Answer] = []
        for _ in range(MIN_FOUNDATION_ITEMS):
            item = next_item(BANK, answers, seed)
            assert item is not None and item.domain == FOUNDATION
            answers.append((item.id, rng.random() < 0.5))
        first = next_item(BANK, [], seed)
        assert first is not None
        # right about 70 % of the time for the population (normal approximation of the prior)
        weights = [math.exp(-((z / 10) ** 2) / 2) for z in range(-40, 41)]
        predictive = sum(
            w * p_right(MU + z / 10, first) for w, z in zip(weights, range(-40, 41), strict=True)
        ) / sum(weights)
        assert 0.6 <= predictive <= 0.8


def test_routing_items_aim_at_the_cut_not_at_the_estimate() -> None:
    """Someone who answers everything right is still asked items that separate people at the
    cut -1 until the routing is decided, not the hard items their estimate would call for."""
    answers: list[Answer] = []
    while not estimate(BANK, answers, 7).routing_decided:
        item = next_item(BANK, answers, 7)
        assert item is not None
        if len(answers) >= MIN_FOUNDATION_ITEMS:
            est = estimate(BANK, answers, 7).domains[item.domain].theta
            assert abs(item.b - BASICS_CUT_GUESS) < abs(item.b - est) + 0.5, item
        answers.append((item.id, True))
    assert len(answers) <= MIN_FOUNDATION_ITEMS + len(SCORED_DOMAINS) + 2


BASICS_CUT_GUESS = -0.8  # where the items that inform the cut -1 lie for a person doing well


def test_routing_is_decided_first_and_the_person_may_stop_there() -> None:
    """The routing is decided early; stopping right then gives a result whose routing is the
    one a full test gives for most people, with domain bands that say how sure they are."""
    rng = random.Random(2024)
    decided_at: list[int] = []
    same = 0
    unsure = 0
    runs = 40
    for k in range(runs):
        seed = f"r{k}"
        answers = simulate(person(rng), seed, rng)
        full = result(BANK, answers, seed)
        n = next(
            (
                n
                for n in range(len(answers) + 1)
                if estimate(BANK, answers[:n], seed).routing_decided
            ),
            None,
        )
        if n is None:
            continue
        decided_at.append(n)
        early = result(BANK, answers[:n], seed)
        assert early.routing_decided
        same += early.needs_basics == full.needs_basics
        unsure += sum(not d.sure for d in early.domains.values())
    assert statistics.median(decided_at) <= 11
    assert same >= 0.85 * len(decided_at)
    assert unsure > 0  # some domain bands rest on too little after the routing alone


def test_third_foundation_item_only_when_the_routing_needs_it() -> None:
    f = first_of(FOUNDATION, 12)
    both_right = [(f[9].id, True), (f[10].id, True)]
    after_right = next_item(BANK, both_right, 0)
    assert after_right is not None and after_right.domain != FOUNDATION
    rng = random.Random(3)
    for k in range(20):
        answers = simulate(flat(-1.0), f"f{k}", rng)
        counts = Counter(BY_ID[i].domain for i, _ in answers)
        assert MIN_FOUNDATION_ITEMS <= counts[FOUNDATION] <= MAX_FOUNDATION_ITEMS
    assert MAX_FOUNDATION_ITEMS == 3


@pytest.mark.parametrize("theta", [-2.5, -1.2, -0.5, 0.4, 1.5, 2.5])
def test_simulated_runs_respect_the_limits(theta: float) -> None:
    for seed in range(6):
        rng = random.Random(seed * 101 + 7)
        thetas = {d: theta + rng.gauss(0, 0.5) for d in DOMAINS}
        answers = simulate(thetas, seed, rng)
        ids = [item_id for item_id, _ in answers]
        assert len(ids) == len(set(ids)), "an item was given twice"
        assert len(answers) <= MAX_TOTAL_ITEMS
        domains = [BY_ID[i].domain for i in ids]
        counts = Counter(domains)
        assert MIN_FOUNDATION_ITEMS <= counts[FOUNDATION] <= MAX_FOUNDATION_ITEMS
        assert domains[:MIN_FOUNDATION_ITEMS] == [FOUNDATION] * MIN_FOUNDATION_ITEMS
        for domain in SCORED_DOMAINS:
            assert MIN_ITEMS_PER_DOMAIN <= counts[domain] <= MAX_ITEMS_PER_DOMAIN
        assert next_item(BANK, answers, seed) is None
        assert is_finished(BANK, answers, seed)
        assert result(BANK, answers, seed).complete
        assert expected_length(BANK, answers, seed) == len(answers)


def test_stops_when_the_decisions_are_confident_or_at_the_cap() -> None:
    rng = random.Random(99)
    stopped_confident = 0
    for k in range(30):
        answers = simulate(person(rng), f"s{k}", rng)
        final = estimate(BANK, answers, f"s{k}")
        counts = Counter(BY_ID[i].domain for i, _ in answers)
        at_limit = len(answers) == MAX_TOTAL_ITEMS or all(
            counts[d] == MAX_ITEMS_PER_DOMAIN for d in SCORED_DOMAINS
        )
        assert final.finished and (final.profile_done or at_limit)
        stopped_confident += final.profile_done
        for n in range(len(answers)):
            assert not estimate(BANK, answers[:n], f"s{k}").finished
    assert stopped_confident >= 15


def test_total_cap() -> None:
    """Answers that keep the overall θ right at the cut -1 keep the routing uncertain: the
    total cap stops the test."""
    answers: list[Answer] = []
    while (item := next_item(BANK, answers, 9)) is not None:
        answers.append((item.id, len(answers) % 2 == 0))
        assert len(answers) <= MAX_TOTAL_ITEMS
    assert MAX_TOTAL_ITEMS == 18
    assert len(answers) == MAX_TOTAL_ITEMS
    assert not estimate(BANK, answers, 9).routing_decided


def test_small_bank_runs_out_gracefully() -> None:
    small = tuple(
        item for item in BANK if item.domain == FOUNDATION or item.id.endswith(("00", "07"))
    )
    answers: list[Answer] = []
    while (item := next_item(small, answers, 0)) is not None:
        answers.append((item.id, len(answers) % 2 == 0))
    counts = Counter(BY_ID[i].domain for i, _ in answers)
    assert all(1 <= counts[d] <= 2 for d in SCORED_DOMAINS)
    assert is_finished(small, answers, 0)


# -- pilot items --------------------------------------------------------------------------------

PILOT_BANK = tuple(
    replace(item, pilot=item.domain == "creation" and item.id.endswith(("03", "05", "09")))
    for item in BANK
)


def test_pilot_plan() -> None:
    plans = [pilot_plan(PILOT_BANK, seed) for seed in range(200)]
    assert all(len(items) == MAX_PILOT_ITEMS == len(positions) for items, positions in plans)
    assert all(set(items) <= {"crea03", "crea05", "crea09"} for items, _ in plans)
    assert all(p in engine.PILOT_POSITIONS for _, positions in plans for p in positions)
    assert pilot_plan(PILOT_BANK, 7) == pilot_plan(PILOT_BANK, 7)
    assert len({items for items, _ in plans}) > 3  # at random
    assert pilot_plan(BANK, 7) == ((), ())  # no pilot item in the bank: none asked


def test_pilot_answers_never_change_the_result() -> None:
    rng = random.Random(5)
    asked_pilots = 0
    for k in range(25):
        seed = f"p{k}"
        answers = simulate(person(rng), seed, rng, bank=PILOT_BANK)
        pilots, _ = pilot_plan(PILOT_BANK, seed)
        given = [i for i, _ in answers if i in pilots]
        asked_pilots += len(given)
        flipped = [(i, (not ok) if i in pilots else ok) for i, ok in answers]
        res, res_flipped = result(PILOT_BANK, answers, seed), result(PILOT_BANK, flipped, seed)
        assert res_flipped == res
        assert set(res.pilot_items) == set(given)
        without = [(i, ok) for i, ok in answers if i not in pilots]
        plain = result(PILOT_BANK, without, seed)
        assert plain.overall_theta == pytest.approx(res.overall_theta)
        # the path of the test does not depend on the pilot answers either
        for n in range(len(answers)):
            assert next_item(PILOT_BANK, answers[:n], seed) == next_item(
                PILOT_BANK, flipped[:n], seed
            )
        # pilots come only once the routing is decided
        for n, (item_id, _) in enumerate(answers):
            if item_id in pilots:
                assert estimate(PILOT_BANK, answers[:n], seed).routing_decided
    assert asked_pilots >= 20


# -- help offer and progress --------------------------------------------------------------------


def test_should_offer_help() -> None:
    f = [item.id for item in first_of(FOUNDATION, 4)]
    d = [item.id for item in first_of("information", 3)]
    assert not should_offer_help(BANK, [])
    assert not should_offer_help(BANK, [(f[0], False)])
    assert should_offer_help(BANK, [(f[0], False), (f[1], False)])
    assert should_offer_help(BANK, [(f[0], None), (f[1], False)])
    assert not should_offer_help(BANK, [(f[0], True), (f[1], False)])
    assert should_offer_help(BANK, [(f[0], True), (f[1], False), (d[0], False), (d[1], None)])
    assert not should_offer_help(BANK, [(f[0], True), (f[1], False), (d[0], False), (d[1], True)])
    late = [(f[0], True), (f[1], True), (d[0], True), (d[1], False), (d[2], False)]
    assert not should_offer_help(BANK, late)


def test_expected_length_bounds() -> None:
    start = expected_length(BANK, [], 4)
    minimum = MIN_FOUNDATION_ITEMS + MIN_ITEMS_PER_DOMAIN * len(SCORED_DOMAINS)
    assert minimum <= start <= MAX_TOTAL_ITEMS
    answers: list[Answer] = []
    rng = random.Random(4)
    while (item := next_item(BANK, answers, 4)) is not None:
        guess = expected_length(BANK, answers, 4)
        assert len(answers) + 1 <= guess <= MAX_TOTAL_ITEMS
        answers.append((item.id, rng.random() < 0.6))
    assert expected_length(BANK, answers, 4) == len(answers)


def test_step_gives_what_the_three_functions_give() -> None:
    rng = random.Random(77)
    checked = 0
    for k in range(8):
        seed = f"p{k}"
        answers = simulate(person(rng), seed, rng, bank=PILOT_BANK)
        for n in range(len(answers) + 1):
            so_far = answers[:n]
            now = engine.step(PILOT_BANK, so_far, seed)
            assert now.next_item == next_item(PILOT_BANK, so_far, seed)
            assert now.finished == (n == len(answers))
            assert now.expected_length == expected_length(PILOT_BANK, so_far, seed)
            assert now.struggles == should_offer_help(PILOT_BANK, so_far, seed)
            assert now.routing_decided == estimate(PILOT_BANK, so_far, seed).routing_decided
            checked += 1
    assert checked > 60


# -- simulated people ---------------------------------------------------------------------------


def _routing_share(theta: float, runs: int) -> float:
    flagged = 0
    for seed in range(runs):
        rng = random.Random(10_000 + seed)
        answers = simulate(flat(theta), seed, rng)
        flagged += result(BANK, answers, seed).needs_basics
    return flagged / runs


def test_struggling_people_are_routed_to_the_basics() -> None:
    assert _routing_share(-2.0, runs=30) >= 0.9


def test_able_people_are_not_routed_to_the_basics() -> None:
    assert _routing_share(0.8, runs=30) <= 0.05


def test_simulated_population_gets_a_short_test() -> None:
    rng = random.Random(31)
    lengths: list[int] = []
    routed_right = 0
    for k in range(60):
        thetas = person(rng)
        answers = simulate(thetas, f"p{k}", rng)
        lengths.append(len(answers))
        routed_right += result(BANK, answers, f"p{k}").needs_basics == (overall(thetas) < -1.0)
    assert statistics.median(lengths) <= 13
    assert max(lengths) <= MAX_TOTAL_ITEMS
    assert routed_right / len(lengths) >= 0.75
