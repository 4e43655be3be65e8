"""Random numbers keyed by what they decide, so that paired runs draw the same numbers.

Two scenarios run with the same seed should differ only by their policy (common random numbers,
docs/ODD.md §4, Stochasticity). With one generator for the whole model they do not: as soon as a lever changes one
decision (a firm admitted or refused, a contract more), every later draw shifts to another firm
or contract, and the two runs compare different luck. Here each draw is instead a function of
``(seed, process, year, key)``: the key names the firm (or the contract) the draw is for, so
firm 17's shock in 2031 is the same number in every scenario that has firm 17 in 2031, whatever
else happened.

``uniform`` and ``normal`` hash the four integers with the SplitMix64 finaliser (Steele, Lea &
Flood 2014, the seeding function of Java's SplittableRandom and of numpy's SeedSequence family),
applied in turn to each input: vectorised over keys, with no state to consume. Sequences whose
length is itself random (this year's applicants) come from :meth:`generator`, a numpy Generator
seeded by ``SeedSequence(seed, spawn_key=(process, year))``: its draws depend on nothing but the
year, so every scenario sees the same applicants arrive.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np
from scipy.special import ndtri

_GOLDEN, _MUL1, _MUL2 = 0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB
_MASK = (1 << 64) - 1
_TO_UNIT = 2.0 ** -53


class Process(IntEnum):
    """The random processes of the model; each draws from its own stream."""

    ENTRY = 1            # which applicants arrive in a year
    INITIAL_ACTIVITY = 2  # a settling firm's activity level
    PLOT_TIE = 3         # the choice among equally good plots
    GROWTH = 4           # yearly activity growth of a firm
    SHOCK = 5            # a firm's output shock in a year
    DISRUPTION = 6       # a contract broken in a year
    EXIT = 7             # closure of a firm in a year (the hazard of its size class)
    MONITORING = 8       # a bound firm checked by the authority in a year
    SERVICE_STANDALONE = 9  # a firm's stand-alone price of each service kind, once for its life (year LIFETIME)
    DISCOVERY = 10       # a synergy discovered in a year
    FUNNEL = 11          # whether a discovered synergy can ever be implemented (year LIFETIME)


# The year argument of draws a firm makes once for its whole stay: no simulated year is 0.
LIFETIME = 0


# First part of a firm's draw key: incumbents are numbered in placement order, applicants by
# (entry year, arrival order), so the same firm has the same key in every scenario of a seed.
INCUMBENT, APPLICANT = 0, 1


def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser of each uint64 (wrap-around arithmetic, as the algorithm intends)."""
    with np.errstate(over="ignore"):
        x = x + np.uint64(_GOLDEN)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(_MUL1)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(_MUL2)
        return x ^ (x >> np.uint64(31))


def _mix_int(x: int) -> int:
    """:func:`_mix` of one Python int: the same bits, twenty times faster than a 1-element array."""
    x = (x + _GOLDEN) & _MASK
    x = ((x ^ (x >> 30)) * _MUL1) & _MASK
    x = ((x ^ (x >> 27)) * _MUL2) & _MASK
    return x ^ (x >> 31)


def entity_keys(*parts) -> np.ndarray:
    """64-bit keys from non-negative integer arrays (or integers), element by element (broadcast):
    e.g. (supplier key, buyer key, route) for each contract. Equal to :func:`entity_key` of scalars."""
    h = np.zeros(1, dtype=np.uint64)
    for part in parts:
        h = _mix(h ^ np.asarray(part).astype(np.uint64))
    return h


def entity_key(*parts: int) -> int:
    """One 64-bit key from non-negative integers, e.g. (APPLICANT, entry year, arrival order)."""
    h = 0
    for part in parts:
        h = _mix_int(h ^ part)
    return h


def _unit(bits):
    """The top 53 bits as a number in (0, 1), never 0 or 1 (a normal draw is its inverse CDF)."""
    return ((bits >> 11) + 0.5) * _TO_UNIT


class RandomStreams:
    """The model's random numbers, one stream per :class:`Process`, keyed by year and entity."""

    def __init__(self, seed: int):
        self.seed = int(seed)
        self._root = _mix_int(self.seed & _MASK)
        self._heads: dict[tuple[int, int], int] = {}

    def _head(self, process: Process, year: int) -> int:
        key = (int(process), year)
        head = self._heads.get(key)
        if head is None:
            head = self._heads[key] = _mix_int(_mix_int(self._root ^ key[0]) ^ year)
        return head

    def uniform(self, process: Process, year: int, keys: np.ndarray) -> np.ndarray:
        """One number in (0, 1) per key: the same for the same (seed, process, year, key)."""
        return _unit(_mix(np.uint64(self._head(process, year)) ^ np.asarray(keys, dtype=np.uint64)))

    def uniform_one(self, process: Process, year: int, key: int) -> float:
        """:meth:`uniform` of one key, in plain Python (a firm settling draws one at a time)."""
        return _unit(_mix_int(self._head(process, year) ^ key))

    def normal(self, process: Process, year: int, keys: np.ndarray) -> np.ndarray:
        """One standard normal number per key (inverse CDF of :meth:`uniform`)."""
        return ndtri(self.uniform(process, year, keys))

    def normal_one(self, process: Process, year: int, key: int) -> float:
        """:meth:`normal` of one key."""
        return float(ndtri(self.uniform_one(process, year, key)))

    def generator(self, process: Process, year: int) -> np.random.Generator:
        """A fresh generator for a sequence drawn once per (process, year)."""
        return np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(int(process), year)))
