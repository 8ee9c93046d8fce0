"""Tests of the adaptive engine on a synthetic bank (the real bank is exercised by bench/)."""

from __future__ import annotations

import math
import random
import statistics
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

import pytest

from app.assessment import engine
from app.assessment.engine import (
    BAND_CUTS,
    BASICS_THRESHOLD,
    DOMAINS,
    ENGINE_VERSION,
    FOUNDATION,
    MAX_FOUNDATION_ITEMS,
    MAX_ITEMS_PER_DOMAIN,
    MAX_TOTAL_ITEMS,
    MIN_FOUNDATION_ITEMS,
    MIN_ITEMS_PER_DOMAIN,
    SCORED_DOMAINS,
    Answer,
    band,
    estimate,
    expected_length,
    fisher_information,
    is_finished,
    next_item,
    probability,
    result,
    should_offer_help,
)

RHO = engine.DOMAIN_CORRELATION
MU = engine.POPULATION_MEAN
OVERALL_PRIOR_SD = math.sqrt(RHO + (1 - RHO) / len(SCORED_DOMAINS))


@dataclass(frozen=True)
class FakeItem:
    id: str
    domain: str
    a: float
    b: float


def make_bank() -> tuple[FakeItem, ...]:
    """12 foundation items (b in [-2.5, -1]) and 14 items per scored domain (b in [-2, 2])."""
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
            )
            for i in range(14)
        ]
    return tuple(items)


BANK = make_bank()
BY_ID = {item.id: item for item in BANK}


def simulate(thetas: Mapping[str, float], seed: int | str, rng: random.Random) -> list[Answer]:
    """One simulated person answering by the 2PL until the engine stops."""
    answers: list[Answer] = []
    for _ in range(MAX_TOTAL_ITEMS + 5):
        item = next_item(BANK, answers, seed)
        if item is None:
            return answers
        ok = rng.random() < probability(thetas[item.domain], item.a, item.b)
        answers.append((item.id, ok))
    raise AssertionError("the engine did not stop")


def flat(theta: float) -> dict[str, float]:
    return dict.fromkeys(DOMAINS, theta)


def person(rng: random.Random) -> dict[str, float]:
    """A person drawn from the engine's population model (one-factor, correlation RHO)."""
    g = rng.gauss(0, 1)
    return {d: MU + math.sqrt(RHO) * g + math.sqrt(1 - RHO) * rng.gauss(0, 1) for d in DOMAINS}


def first_of(domain: str, n: int) -> list[FakeItem]:
    return [item for item in BANK if item.domain == domain][:n]


def normal_cdf(z: float) -> float:
    return 0.5 * math.erfc(-z / math.sqrt(2))


# -- item model ---------------------------------------------------------------------------------


def test_probability_2pl() -> None:
    assert probability(0.3, 1.4, 0.3) == pytest.approx(0.5)
    assert probability(1.0, 1.0, 0.0) == pytest.approx(1 / (1 + math.exp(-1)))
    assert probability(-1.0, 2.0, 0.0) == pytest.approx(1 / (1 + math.exp(2)))
    assert probability(1.0, 1.5, 0.0) + probability(-1.0, 1.5, 0.0) == pytest.approx(1.0)
    assert probability(2.0, 0.0, 0.0) == pytest.approx(0.5)
    values = [probability(t / 4, 1.5, 0.0) for t in range(-12, 13)]
    assert values == sorted(values) and len(set(values)) == len(values)
    # steeper with a larger discrimination
    assert probability(0.5, 2.0, 0.0) > probability(0.5, 1.0, 0.0)
    # no overflow far from the item
    assert probability(1000.0, 2.0, 0.0) == pytest.approx(1.0)
    assert probability(-1000.0, 2.0, 0.0) == pytest.approx(0.0)


def test_fisher_information_peaks_at_difficulty() -> None:
    assert fisher_information(0.4, 2.0, 0.4) == pytest.approx(1.0)  # a² / 4
    assert fisher_information(0.4, 2.0, 0.4) > fisher_information(1.0, 2.0, 0.4)
    assert fisher_information(0.4, 2.0, 0.4) > fisher_information(-0.2, 2.0, 0.4)


# -- bands --------------------------------------------------------------------------------------


def test_bands_at_the_cuts_go_up() -> None:
    assert BAND_CUTS == (-1.0, 0.0, 1.0)
    assert band(-3.0) == 0
    assert band(-1.0001) == 0
    assert band(-1.0) == 1
    assert band(-0.0001) == 1
    assert band(0.0) == 2
    assert band(0.9999) == 2
    assert band(1.0) == 3
    assert band(3.5) == 3


# -- estimates ----------------------------------------------------------------------------------


def test_version_and_population_model() -> None:
    assert ENGINE_VERSION == "2"
    assert (MU, engine.POPULATION_SD, RHO) == (-0.5, 1.0, 0.7)


def test_prior_without_answers() -> None:
    est = estimate(BANK, [])
    for domain in DOMAINS:
        assert est.domains[domain].theta == pytest.approx(MU, abs=0.01)
        assert est.domains[domain].sd == pytest.approx(1.0, abs=0.02)
    res = result(BANK, [])
    assert res.overall_theta == pytest.approx(MU, abs=0.01)
    # sd of the mean of five sd-1 abilities correlated at rho
    assert res.overall_sd == pytest.approx(OVERALL_PRIOR_SD, abs=0.02)
    assert est.overall_sd == pytest.approx(res.overall_sd)
    assert not res.complete
    assert res.n_answers == 0


def test_overall_probabilities_under_the_prior_are_normal() -> None:
    """Without answers the overall θ is exactly N(μ, 0.7 + 0.3/5): the mixture over g must
    give its normal probabilities."""
    res = result(BANK, [])
    expected_basics = normal_cdf((-1.0 - MU) / OVERALL_PRIOR_SD)
    assert res.basics_probability == pytest.approx(expected_basics, abs=0.01)
    in_band_1 = normal_cdf((0.0 - MU) / OVERALL_PRIOR_SD) - expected_basics
    assert res.overall_band == 1
    assert res.overall_band_probability == pytest.approx(in_band_1, abs=0.01)
    est = estimate(BANK, [])
    assert est.basics_probability == pytest.approx(res.basics_probability)
    for cut, below in zip(BAND_CUTS, est.below_cuts, strict=True):
        assert below == pytest.approx(normal_cdf((cut - MU) / OVERALL_PRIOR_SD), abs=0.01)
    assert est.band_probability == pytest.approx(res.overall_band_probability)


def test_overall_probability_follows_the_answers() -> None:
    right = [(item.id, True) for item in first_of(FOUNDATION, 12)[6:9]]
    wrong = [(item.id, False) for item in first_of(FOUNDATION, 12)[6:9]]
    prior = result(BANK, []).basics_probability
    assert result(BANK, right).basics_probability < prior < result(BANK, wrong).basics_probability


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


def test_prior_borrows_from_other_domains() -> None:
    info = first_of("information", 14)
    right = [(item.id, True) for item in info[4:10]]
    wrong = [(item.id, False) for item in info[4:10]]
    prior = estimate(BANK, []).domains["communication"]
    up = estimate(BANK, right)
    down = estimate(BANK, wrong)
    # the unanswered domain is pulled toward the answered one, but less far
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
        assert est.domains[domain].theta < MU - 0.5
    assert result(BANK, wrong).needs_basics


def test_result_fields_and_overall_is_mean_of_domains() -> None:
    answers = simulate(flat(0.2), seed=3, rng=random.Random(3))
    res = result(BANK, answers)
    assert set(res.domains) == set(SCORED_DOMAINS)
    mean = sum(d.theta for d in res.domains.values()) / len(SCORED_DOMAINS)
    assert res.overall_theta == pytest.approx(mean)
    assert res.overall_band == band(res.overall_theta)
    assert res.needs_basics == (res.basics_probability >= BASICS_THRESHOLD)
    assert 0.0 <= res.basics_probability <= 1.0
    assert 0.0 <= res.overall_band_probability <= 1.0
    assert res.engine_version == ENGINE_VERSION
    assert res.complete and res.n_answers == len(answers)
    for d in res.domains.values():
        assert d.band == band(d.theta)
        assert 0 < d.sd < 1
    assert sum(d.n_items for d in res.domains.values()) + res.foundation.n_items == len(answers)
    # posterior sd of the mean is smaller than each domain's
    assert res.overall_sd < min(d.sd for d in res.domains.values())


def test_needs_basics_rule() -> None:
    all_wrong: list[Answer] = []
    all_right: list[Answer] = []
    for _ in range(MAX_TOTAL_ITEMS):
        item = next_item(BANK, all_wrong, 1)
        if item is not None:
            all_wrong.append((item.id, None))
        item = next_item(BANK, all_right, 1)
        if item is not None:
            all_right.append((item.id, True))
    low, high = result(BANK, all_wrong), result(BANK, all_right)
    assert low.needs_basics and low.overall_theta < -1.0 and low.overall_band == 0
    assert low.basics_probability > 0.9
    assert not high.needs_basics and high.overall_band == 3
    assert high.basics_probability < 0.05
    assert high.overall_band_probability >= engine.BAND_CONFIDENCE
    assert len(all_right) <= 10


def test_doing_well_leads_to_harder_items_until_the_top_band_is_settled() -> None:
    """Reporting "Autonome" needs "À l'aise" to be unlikely (≤ 0.2); otherwise someone who
    gets a few easy items right would stop at "Autonome" and nobody would reach the top."""
    answers: list[Answer] = []
    while (item := next_item(BANK, answers, 3)) is not None:
        answers.append((item.id, True))
    # all right: the test went on past the point where "Autonome" was the likely band
    early = result(BANK, answers[:7])
    assert early.overall_band == 2 and early.overall_band_probability >= engine.BAND_CONFIDENCE
    assert 1 - estimate(BANK, answers[:7]).below_cuts[2] > engine.TOP_BAND_DOUBT
    assert result(BANK, answers).overall_band == 3
    rng = random.Random(5)
    checked = 0
    for k in range(60):
        thetas = {d: t + 1.0 for d, t in person(rng).items()}
        answers = simulate(thetas, f"t{k}", rng)
        est = estimate(BANK, answers)
        if est.confident and band(est.overall_theta) == 2:
            assert 1 - est.below_cuts[2] <= engine.TOP_BAND_DOUBT
            checked += 1
    assert checked >= 5


def test_routing_is_conservative() -> None:
    """Routing to the basics from P(overall θ < -1) ≥ 0.3: some people whose estimate is just
    above -1 are routed, nobody whose estimate is below -1 is left out."""
    rng = random.Random(77)
    routed_above = 0
    for k in range(80):
        answers = simulate(flat(-1.0 + rng.uniform(-0.3, 0.3)), f"c{k}", rng)
        res = result(BANK, answers)
        assert res.needs_basics == (res.basics_probability >= BASICS_THRESHOLD)
        if res.overall_theta < -1.0:
            assert res.needs_basics
        routed_above += res.needs_basics and res.overall_theta >= -1.0
    assert routed_above > 0


def test_result_does_not_depend_on_answer_order() -> None:
    answers = simulate(flat(-0.5), seed=8, rng=random.Random(8))
    shuffled = list(answers)
    random.Random(1).shuffle(shuffled)
    a, b = result(BANK, answers), result(BANK, shuffled)
    assert b.overall_theta == pytest.approx(a.overall_theta, abs=1e-9)
    assert b.basics_probability == pytest.approx(a.basics_probability, abs=1e-9)
    for domain in SCORED_DOMAINS:
        assert b.domains[domain].theta == pytest.approx(a.domains[domain].theta, abs=1e-9)
        assert b.domains[domain].sd == pytest.approx(a.domains[domain].sd, abs=1e-9)


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


# -- next item ----------------------------------------------------------------------------------


def test_next_item_is_deterministic_and_seed_dependent() -> None:
    answers: list[Answer] = [(BANK[5].id, True), (BANK[7].id, False)]
    assert next_item(BANK, answers, 42) == next_item(BANK, answers, 42)
    assert next_item(BANK, answers, "journey-1") == next_item(BANK, list(answers), "journey-1")
    # the bank's order does not matter
    assert next_item(BANK, answers, 42) == next_item(tuple(reversed(BANK)), answers, 42)
    firsts = Counter(next_item(BANK, [], seed) for seed in range(60))
    assert len(firsts) == 3  # randomesque: one of the 3 best items
    assert max(firsts.values()) < 40


def test_first_items_are_easy_foundation_items() -> None:
    for seed in range(30):
        rng = random.Random(seed)
        answers: list[Answer] = []
        for _ in range(MIN_FOUNDATION_ITEMS):
            item = next_item(BANK, answers, seed)
            assert item is not None and item.domain == FOUNDATION
            answers.append((item.id, rng.random() < 0.5))
        first = next_item(BANK, [], seed)
        assert first is not None
        # right about 70 % of the time for the population (the prior predictive probability)
        predictive = statistics.fmean(
            probability(MU + z / 10, first.a, first.b) * math.exp(-((z / 10) ** 2) / 2)
            for z in range(-40, 41)
        ) / statistics.fmean(math.exp(-((z / 10) ** 2) / 2) for z in range(-40, 41))
        assert 0.6 <= predictive <= 0.8


def test_third_foundation_item_only_when_the_basics_are_in_doubt() -> None:
    f = first_of(FOUNDATION, 12)
    both_right = [(f[9].id, True), (f[10].id, True)]
    one_wrong = [(f[9].id, True), (f[10].id, False)]
    both_wrong = [(f[9].id, False), (f[10].id, False)]
    after_right = next_item(BANK, both_right, 0)
    assert after_right is not None and after_right.domain != FOUNDATION
    for answers in (one_wrong, both_wrong):
        item = next_item(BANK, answers, 0)
        assert item is not None and item.domain == FOUNDATION
        # the foundation phase ends at its maximum
        three = [*answers, (item.id, False)]
        nxt = next_item(BANK, three, 0)
        assert nxt is not None and nxt.domain != FOUNDATION
    assert MAX_FOUNDATION_ITEMS == 3


def test_first_item_of_each_domain_targets_70_percent() -> None:
    foundation = [(item.id, True) for item in first_of(FOUNDATION, 12)[8:10]]
    est = estimate(BANK, foundation)
    item = next_item(BANK, foundation, 0)
    assert item is not None and item.domain in SCORED_DOMAINS
    p = probability(est.domains[item.domain].theta, item.a, item.b)
    assert 0.6 <= p <= 0.8


def test_after_the_minimums_items_go_where_they_inform_the_overall_most() -> None:
    """Same difficulties everywhere, but "information" has sharp items (a = 2.4) and the other
    domains weak ones (a = 0.6): once every domain has its minimum, the next questions come
    from "information" (largest expected reduction of the overall θ's posterior variance)."""
    bank = [item for item in BANK if item.domain == FOUNDATION]
    for domain in SCORED_DOMAINS:
        a = 2.4 if domain == "information" else 0.6
        bank += [FakeItem(f"{domain[:4]}{i:02d}", domain, a, -1.5 + 0.25 * i) for i in range(8)]
    f = first_of(FOUNDATION, 12)
    answers: list[Answer] = [(f[9].id, True), (f[10].id, False), (f[8].id, True)]
    for k, domain in enumerate(SCORED_DOMAINS):
        answers.append((f"{domain[:4]}02", k % 2 == 0))
    chosen = []
    for _ in range(3):
        item = next_item(bank, answers, 0)
        assert item is not None, "the decisions should still be uncertain"
        chosen.append(item.domain)
        answers.append((item.id, len(answers) % 2 == 0))
    assert chosen[0] == "information"
    assert Counter(chosen)["information"] >= 2


@pytest.mark.parametrize("theta", [-2.5, -1.2, -0.5, 0.4, 1.5, 2.5])
def test_simulated_runs_respect_the_limits(theta: float) -> None:
    for seed in range(8):
        rng = random.Random(seed * 101 + 7)
        thetas = {d: theta + rng.gauss(0, 0.5) for d in DOMAINS}
        answers = simulate(thetas, seed, rng)
        ids = [item_id for item_id, _ in answers]
        assert len(ids) == len(set(ids)), "an item was given twice"
        assert len(answers) <= MAX_TOTAL_ITEMS
        domains = [BY_ID[i].domain for i in ids]
        counts = Counter(domains)
        assert MIN_FOUNDATION_ITEMS <= counts[FOUNDATION] <= MAX_FOUNDATION_ITEMS
        n_foundation = counts[FOUNDATION]
        assert all(d == FOUNDATION for d in domains[:n_foundation]), "foundation comes first"
        for domain in SCORED_DOMAINS:
            assert MIN_ITEMS_PER_DOMAIN <= counts[domain] <= MAX_ITEMS_PER_DOMAIN
        # the first five domain questions visit every scored domain once
        assert sorted(domains[n_foundation : n_foundation + 5]) == sorted(SCORED_DOMAINS)
        assert next_item(BANK, answers, seed) is None
        assert is_finished(BANK, answers)
        assert result(BANK, answers).complete
        assert expected_length(BANK, answers) == len(answers)


def test_stops_exactly_when_the_overall_decisions_are_confident() -> None:
    """After the minimums, the test goes on while the decisions are not confident and stops
    as soon as they are (or at a limit)."""
    rng = random.Random(2024)
    stopped_confident = 0
    for k in range(40):
        answers = simulate(person(rng), f"s{k}", rng)
        n_foundation = sum(1 for i, _ in answers if BY_ID[i].domain == FOUNDATION)
        minimums_at = n_foundation + len(SCORED_DOMAINS) * MIN_ITEMS_PER_DOMAIN
        for n in range(minimums_at, len(answers)):
            assert not estimate(BANK, answers[:n]).confident, "should have stopped earlier"
        final = estimate(BANK, answers)
        counts = Counter(BY_ID[i].domain for i, _ in answers)
        at_limit = len(answers) == MAX_TOTAL_ITEMS or all(
            counts[d] == MAX_ITEMS_PER_DOMAIN for d in SCORED_DOMAINS
        )
        assert final.finished and (final.confident or at_limit)
        stopped_confident += final.confident
    assert stopped_confident >= 20


def test_confident_people_stop_early() -> None:
    """Very able people answering everything right get the minimum and a little more."""
    answers: list[Answer] = []
    while (item := next_item(BANK, answers, 5)) is not None:
        answers.append((item.id, True))
    counts = Counter(BY_ID[i].domain for i, _ in answers)
    assert counts[FOUNDATION] == MIN_FOUNDATION_ITEMS
    assert len(answers) <= MIN_FOUNDATION_ITEMS + 2 * len(SCORED_DOMAINS)
    assert estimate(BANK, answers).confident


def test_total_cap() -> None:
    """Answers that keep the overall θ right at the cut -1 keep the routing uncertain: the
    total cap stops the test."""
    answers: list[Answer] = []
    while (item := next_item(BANK, answers, 9)) is not None:
        theta = -1.0
        answers.append((item.id, probability(theta, item.a, item.b) > 0.5 or item.b < -1.6))
        assert len(answers) <= MAX_TOTAL_ITEMS
    assert MAX_TOTAL_ITEMS == 18
    assert len(answers) == MAX_TOTAL_ITEMS
    assert next_item(BANK, answers, 9) is None
    assert not estimate(BANK, answers).confident


def test_small_bank_runs_out_gracefully() -> None:
    small = tuple(
        item for item in BANK if item.domain == FOUNDATION or item.id.endswith(("00", "07"))
    )
    answers: list[Answer] = []
    while (item := next_item(small, answers, 0)) is not None:
        answers.append((item.id, len(answers) % 2 == 0))
    counts = Counter(BY_ID[i].domain for i, _ in answers)
    assert all(1 <= counts[d] <= 2 for d in SCORED_DOMAINS)
    assert is_finished(small, answers)
    foundation_only = tuple(item for item in BANK if item.domain == FOUNDATION)
    answers = []
    while (item := next_item(foundation_only, answers, 0)) is not None:
        answers.append((item.id, False))
    assert len(answers) == MAX_FOUNDATION_ITEMS


# -- help offer and progress --------------------------------------------------------------------


def test_should_offer_help() -> None:
    f = [item.id for item in first_of(FOUNDATION, 4)]
    d = [item.id for item in first_of("information", 3)]
    assert not should_offer_help(BANK, [])
    assert not should_offer_help(BANK, [(f[0], False)])
    assert should_offer_help(BANK, [(f[0], False), (f[1], False)])
    assert should_offer_help(BANK, [(f[0], None), (f[1], False)])
    assert should_offer_help(BANK, [(f[0], None), (f[1], None), (f[2], True), (d[0], True)])
    assert not should_offer_help(BANK, [(f[0], True), (f[1], False)])
    assert not should_offer_help(BANK, [(f[0], False), (f[1], True)])
    # 3 of the first 4 answers
    assert should_offer_help(BANK, [(f[0], True), (f[1], False), (d[0], False), (d[1], None)])
    assert should_offer_help(BANK, [(f[0], False), (f[1], True), (f[2], False), (f[3], False)])
    assert not should_offer_help(BANK, [(f[0], True), (f[1], False), (d[0], False), (d[1], True)])
    # later answers do not count
    late = [(f[0], True), (f[1], True), (d[0], True), (d[1], False), (d[2], False)]
    assert not should_offer_help(BANK, late)


def test_expected_length_bounds() -> None:
    start = expected_length(BANK, [])
    minimum = MIN_FOUNDATION_ITEMS + MIN_ITEMS_PER_DOMAIN * len(SCORED_DOMAINS)
    assert minimum <= start <= MAX_TOTAL_ITEMS
    answers: list[Answer] = []
    rng = random.Random(4)
    while (item := next_item(BANK, answers, 4)) is not None:
        guess = expected_length(BANK, answers)
        assert len(answers) + 1 <= guess <= MAX_TOTAL_ITEMS
        answers.append((item.id, rng.random() < 0.6))
    assert expected_length(BANK, answers) == len(answers)


def test_step_gives_what_the_three_functions_give() -> None:
    """One step (the posterior computed once) equals next_item, expected_length and
    should_offer_help called one by one, all along simulated tests."""
    rng = random.Random(77)
    checked = 0
    for k in range(12):
        answers = simulate(person(rng), f"p{k}", rng)
        for n in range(len(answers) + 1):
            so_far = answers[:n]
            step = engine.step(BANK, so_far, f"p{k}")
            assert step.next_item == next_item(BANK, so_far, f"p{k}")
            assert step.finished == (n == len(answers))
            assert step.expected_length == expected_length(BANK, so_far)
            assert step.struggles == should_offer_help(BANK, so_far)
            checked += 1
    assert checked > 100


def test_expected_length_follows_the_rule() -> None:
    """People whose decisions are clear are told fewer questions than people at the cut."""
    f = first_of(FOUNDATION, 12)
    sure = [(f[10].id, True), (f[11].id, True)]
    sure += [(first_of(d, 14)[9].id, True) for d in SCORED_DOMAINS]
    unsure = [(f[10].id, True), (f[11].id, False)]
    assert expected_length(BANK, sure) < expected_length(BANK, unsure)


# -- simulated people ---------------------------------------------------------------------------


def _routing_share(theta: float, runs: int) -> float:
    flagged = 0
    for seed in range(runs):
        rng = random.Random(10_000 + seed)
        answers = simulate(flat(theta), seed, rng)
        flagged += result(BANK, answers).needs_basics
    return flagged / runs


def test_struggling_people_are_routed_to_the_basics() -> None:
    assert _routing_share(-2.0, runs=40) >= 0.9


def test_able_people_are_not_routed_to_the_basics() -> None:
    assert _routing_share(0.8, runs=40) <= 0.05


def test_typical_person_gets_about_70_percent_right_at_first() -> None:
    rng = random.Random(99)
    right = total = 0
    for seed in range(200):
        thetas = person(rng)
        answers: list[Answer] = []
        for _ in range(5):
            item = next_item(BANK, answers, seed)
            assert item is not None
            ok = rng.random() < probability(thetas[item.domain], item.a, item.b)
            answers.append((item.id, ok))
            right += ok
            total += 1
    assert 0.62 <= right / total <= 0.78


def test_simulated_population_gets_a_short_test() -> None:
    """People from the population model: median length at most 14 and a good share of short
    tests; the decisions are right for most of them (counts, not timings)."""
    rng = random.Random(31)
    lengths: list[int] = []
    routed_right = 0
    for k in range(80):
        thetas = person(rng)
        answers = simulate(thetas, f"p{k}", rng)
        lengths.append(len(answers))
        overall = statistics.fmean(thetas[d] for d in SCORED_DOMAINS)
        routed_right += result(BANK, answers).needs_basics == (overall < -1.0)
    assert statistics.median(lengths) <= 14
    assert sum(1 for n in lengths if n <= 10) >= 20
    assert max(lengths) <= MAX_TOTAL_ITEMS
    assert routed_right / len(lengths) >= 0.75
