"""Random numbers keyed by what they decide, so that paired runs draw the same numbers.

Two scenarios run with the same seed should differ only by their policy (common random numbers,
DESIGN §4). With one generator for the whole model they do not: as soon as a lever changes one
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

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MUL1 = np.uint64(0xBF58476D1CE4E5B9)
_MUL2 = np.uint64(0x94D049BB133111EB)
_TO_UNIT = 2.0 ** -53


class Process(IntEnum):
    """The random processes of the model; each draws from its own stream."""

    ENTRY = 1            # which applicants arrive in a year
    INITIAL_ACTIVITY = 2  # a settling firm's activity level
    PLOT_TIE = 3         # the choice among equally good plots
    GROWTH = 4           # yearly activity growth of a firm
    SHOCK = 5            # a firm's output shock in a year
    DISRUPTION = 6       # a contract broken in a year
    EXIT = 7             # background closure of a firm in a year
    MONITORING = 8       # a bound firm checked by the authority in a year


# First part of a firm's draw key: incumbents are numbered in placement order, applicants by
# (entry year, arrival order), so the same firm has the same key in every scenario of a seed.
INCUMBENT, APPLICANT = 0, 1


def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser of each uint64 (wrap-around arithmetic, as the algorithm intends)."""
    with np.errstate(over="ignore"):
        x = x + _GOLDEN
        x = (x ^ (x >> np.uint64(30))) * _MUL1
        x = (x ^ (x >> np.uint64(27))) * _MUL2
        return x ^ (x >> np.uint64(31))


def entity_keys(*parts) -> np.ndarray:
    """64-bit keys from non-negative integers or integer arrays, element by element (broadcast):
    e.g. (entry year, arrival order) for a firm, (supplier key, buyer key, route) for a contract."""
    h = np.zeros(1, dtype=np.uint64)
    for part in parts:
        h = _mix(h ^ np.asarray(part).astype(np.uint64))
    return h


def entity_key(*parts: int) -> int:
    """:func:`entity_keys` of scalars, as one Python int."""
    return int(entity_keys(*parts)[0])


class RandomStreams:
    """The model's random numbers, one stream per :class:`Process`, keyed by year and entity."""

    def __init__(self, seed: int):
        self.seed = int(seed)
        self._root = _mix(np.array([self.seed % 2 ** 64], dtype=np.uint64))

    def _bits(self, process: Process, year: int, keys: np.ndarray) -> np.ndarray:
        head = _mix(_mix(self._root ^ np.uint64(int(process))) ^ np.uint64(year))
        return _mix(head ^ np.asarray(keys, dtype=np.uint64))

    def uniform(self, process: Process, year: int, keys: np.ndarray) -> np.ndarray:
        """One number in (0, 1) per key: the same for the same (seed, process, year, key)."""
        return ((self._bits(process, year, keys) >> np.uint64(11)).astype(np.float64) + 0.5) * _TO_UNIT

    def normal(self, process: Process, year: int, keys: np.ndarray) -> np.ndarray:
        """One standard normal number per key (inverse CDF of :meth:`uniform`)."""
        return ndtri(self.uniform(process, year, keys))

    def generator(self, process: Process, year: int) -> np.random.Generator:
        """A fresh generator for a sequence drawn once per (process, year)."""
        return np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(int(process), year)))
