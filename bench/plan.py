"""How big each part of the synthetic inventory is: node kinds, the place hierarchy, the teacher
forests, and how the relation budget is shared out so that the totals are exact.

`relations` counts every edge the store will hold: relation lines plus the DOCUMENTED_BY links of
the nodes' `sources`. Every record has what its kind always has (a place, an element's community, a
student's first teacher...); what remains of the budget is shared by weight among optional edges
(citations, memberships, kin, second teachers...), at most a few per record.
"""

from __future__ import annotations

import argparse
import random
from dataclasses import dataclass, field

SIZES = {"default": (1_000_000, 5_000_000), "small": (20_000, 100_000)}
DEFAULT_SEED = 20_260_501
MIN_NODES = 100

# Optional edges, beyond what every record has: (weight of the remaining budget, at most per record).
# The weights give about five edges per node at the default size: citations half of the rest.
OPTIONAL_WEIGHTS = {
    "citations": 0.55,
    "member_of": 0.17,
    "kin": 0.10,
    "second_teacher": 0.04,
    "second_practice": 0.04,
    "more_practices": 0.03,
    "certified": 0.02,
    "associated": 0.015,
    "part_of": 0.01,
    "derived": 0.01,
    "community_org": 0.005,
    "more_features": 0.005,
}


class PlanError(ValueError):
    """Sizes the inventory's shape cannot take."""


@dataclass
class Quota:
    """How many optional edges of one category each eligible record gets, summing exactly to ``target``."""

    eligible: int
    cap: int
    target: int = 0
    _mult: int = 1
    _offset: int = 0
    _next: int = 0

    def prepare(self, salt: int) -> None:
        # A permutation j -> (j*mult + offset) mod n spreads the remainder over the records.
        n = max(self.eligible, 1)
        self._mult = next(p for p in (1_000_003, 999_983, 1_000_033) if n % p)
        self._offset = salt % n

    def take(self) -> int:
        if not self.eligible:
            return 0
        j = self._next
        self._next += 1
        base, rest = divmod(self.target, self.eligible)
        return base + (1 if (j * self._mult + self._offset) % self.eligible < rest else 0)

    @property
    def given(self) -> int:
        """How many records have taken their share so far."""
        return self._next


@dataclass
class Plan:
    seed: int
    nodes: int
    relations: int
    sources: int
    departments: int
    provinces: int
    districts: int
    localities: int
    organizations: int
    communities: int
    elements: int
    stories: int
    practitioners: int
    trees: list[int] = field(repr=False)
    mandatory: int = 0
    quotas: dict[str, Quota] = field(default_factory=dict)

    @property
    def places(self) -> int:
        return 1 + self.departments + self.provinces + self.districts + self.localities

    def key(self, version: int) -> str:
        """The folder name of its inventory, written by generator ``version``."""
        return f"seed{self.seed}-n{self.nodes}-r{self.relations}-g{version}"


def element_kind(i: int) -> str:
    r = i % 10
    return "Tradition" if r < 5 else "Craft" if r < 8 else "Recipe"


def make_plan(nodes: int, relations: int, seed: int = DEFAULT_SEED) -> Plan:
    """The counts of every kind and edge category; raises PlanError for sizes the shape cannot take."""
    if nodes < MIN_NODES:
        raise PlanError(f"--nodes must be at least {MIN_NODES}, got {nodes}")
    s, p = max(5, round(nodes * 0.03)), max(16, round(nodes * 0.05))
    c, e = max(4, round(nodes * 0.02)), max(10, round(nodes * 0.06))
    o, t = max(2, round(nodes * 0.005)), max(2, round(nodes * 0.005))
    pr = nodes - s - p - c - e - o - t
    d = min(max(p // 40, 2), 25)
    v = min(max(p // 12, d), 8 * d)
    x = min(max(p // 4, v), 10 * v, (p - 1 - d - v) // 2)
    loc = p - 1 - d - v - x
    rng = random.Random(seed)
    mean = min(max(pr // 20, 20), 200)
    trees: list[int] = []
    left = pr
    while left > 0:
        size = min(left, rng.randint(mean // 2, mean * 3 // 2))
        trees.append(size)
        left -= size
    plan = Plan(seed, nodes, relations, s, d, v, x, loc, o, c, e, t, pr, trees)
    # Every place but the country nests; every organization, community, element and practitioner is
    # somewhere; every element is practised by a community; every practitioner practises an element
    # and, but the roots of the forests, learned from a teacher; every story features a node and has
    # a cover place.
    plan.mandatory = (plan.places - 1) + o + c + 2 * e + 2 * pr + (pr - len(trees)) + 2 * t
    # The first of each kind (0, 5 and 8 in element_kind's pattern) has no earlier one to derive from.
    same_kind_before = e - len({0, 5, 8} & set(range(e)))
    featurable = e + c + p + o
    caps = {
        "citations": (nodes - s, min(3, s)),
        "member_of": (pr, 1),
        "kin": (pr - len(trees), 1),
        "second_teacher": (sum(max(0, n - 2) for n in trees), 1),
        "second_practice": (pr, 1),
        "more_practices": (e, min(2, c - 1)),
        "certified": (pr, 1),
        "associated": (e - 1, 1),
        "part_of": (e - 1, 1),
        "derived": (same_kind_before, 1),
        "community_org": (c, 1),
        "more_features": (t, min(4, featurable - 1)),
    }
    plan.quotas = {k: Quota(n, cap) for k, (n, cap) in caps.items()}
    budget = relations - plan.mandatory
    if budget < 0:
        raise PlanError(f"--relations {relations} is too few for {nodes} nodes: their shape needs at least "
                        f"{plan.mandatory} (nesting places, locating and linking every record)")
    room = sum(q.eligible * q.cap for q in plan.quotas.values())
    if budget > room:
        raise PlanError(f"--relations {relations} is too many for {nodes} nodes: at most "
                        f"{plan.mandatory + room} fit the shape without repeating a relation")
    _allocate(plan.quotas, budget)
    for i, q in enumerate(plan.quotas.values()):
        q.prepare(seed + 7919 * i)
    return plan


def _allocate(quotas: dict[str, Quota], budget: int) -> None:
    """Share ``budget`` by weight, no category above its room; what a full one cannot take goes to the rest."""
    active = {k for k, q in quotas.items() if q.eligible * q.cap > 0}
    left = budget
    while active:
        total_w = sum(OPTIONAL_WEIGHTS[k] for k in active)
        full = [k for k in active if left * OPTIONAL_WEIGHTS[k] / total_w >= quotas[k].eligible * quotas[k].cap]
        if not full:
            break
        for k in full:
            quotas[k].target = quotas[k].eligible * quotas[k].cap
            left -= quotas[k].target
            active.discard(k)
    if not active:
        return
    total_w = sum(OPTIONAL_WEIGHTS[k] for k in active)
    shares = {k: left * OPTIONAL_WEIGHTS[k] / total_w for k in active}
    for k in active:
        quotas[k].target = int(shares[k])
    rest = left - sum(quotas[k].target for k in active)
    for k in sorted(active, key=lambda k: (int(shares[k]) - shares[k], k)):
        if rest == 0:
            break
        if quotas[k].target < quotas[k].eligible * quotas[k].cap:
            quotas[k].target += 1
            rest -= 1
    if rest:
        raise PlanError("the relation budget could not be shared out")  # room was checked: a bug


# -- the command line ---------------------------------------------------------------------------


def add_size_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--small", action="store_true",
                       help=f"{SIZES['small'][0]:,} nodes, {SIZES['small'][1]:,} relations (a quick run)")
    group.add_argument("--nodes", type=int, help=f"how many nodes [default {SIZES['default'][0]:,}]")
    parser.add_argument("--relations", type=int,
                        help=f"how many relations, DOCUMENTED_BY links included [default {SIZES['default'][1]:,}]")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed [default {DEFAULT_SEED}]")


def size_from(args: argparse.Namespace, parser: argparse.ArgumentParser) -> tuple[str, int, int]:
    """(label, nodes, relations) from the size options."""
    if args.small:
        if args.relations is not None:
            parser.error("--relations goes with --nodes, not --small")
        return ("small", *SIZES["small"])
    if args.nodes is None and args.relations is None:
        return ("default", *SIZES["default"])
    if args.nodes is None or args.relations is None:
        parser.error("--nodes and --relations go together")
    return (f"n{args.nodes}-r{args.relations}", args.nodes, args.relations)
