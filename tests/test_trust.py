"""The trust ledger against the rule it implements, written out pair by pair."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.exchange.trust import TrustLedger

PAIRS = st.lists(st.tuples(st.integers(1, 12), st.integers(1, 12)).filter(lambda p: p[0] != p[1]),
                 min_size=0, max_size=8)
EVENTS = st.lists(st.one_of(st.tuples(st.just("reward"), PAIRS), st.tuples(st.just("punish"), PAIRS),
                            st.tuples(st.just("forget"), st.lists(st.integers(1, 12), max_size=3))),
                  max_size=25)


@settings(max_examples=150, deadline=None)
@given(events=EVENTS, initial=st.floats(0, 1))
def test_ledger_follows_the_pairwise_rule(events, initial):
    ledger, expected = TrustLedger(initial), {}
    gain, loss = 0.1, 0.5
    for kind, arg in events:
        if kind == "forget":
            ledger.forget(np.array(arg, dtype=np.int64))
            expected = {p: t for p, t in expected.items() if not set(p) & set(arg)}
            continue
        a = np.array([p[0] for p in arg], dtype=np.int64)
        b = np.array([p[1] for p in arg], dtype=np.int64)
        getattr(ledger, kind)(a, b, gain if kind == "reward" else loss)
        for pair in {tuple(sorted(p)) for p in arg}:  # a pair moves once a year, however many contracts
            t = expected.get(pair, initial)
            expected[pair] = t + gain * (1 - t) if kind == "reward" else t * (1 - loss)
    assert len(ledger) == len(expected)
    for (x, y), t in expected.items():
        assert ledger.between(x, y) == t and ledger.between(y, x) == t
    assert ledger.between(13, 14) == initial
