"""Property tests: whatever a user writes, loading a scenario either works or says what is wrong.

Random YAML documents, random text, random bytes, and random mutations of valid scenarios and of
the fixture's catalogue files (a key deleted, a value replaced, an unknown key inserted, a number
nudged) go through ``load_scenario`` and ``build_model(years=1)``. The only allowed outcomes are
success or an :class:`InputError` whose every problem is one line ``file: field: message (fix)``
naming an input file: the scenario itself, or a catalogue file it uses. Any other exception would
reach the user as a traceback.
"""

from __future__ import annotations

import copy
import functools
import math
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from simulation.inputs.catalogue import shipped_path
from simulation.inputs.errors import InputError
from simulation.inputs.scenario import DEFAULTS_FILE, deep_merge, load_scenario
from simulation.inputs.strict_yaml import load_yaml
from simulation.runs import build_model
from tests.conftest import BASELINE, TWO_FIRMS

DEFAULTS = shipped_path(DEFAULTS_FILE)
SOURCES = [TWO_FIRMS] + ([BASELINE] if BASELINE.is_file() else [])
FIXTURE_CATALOGUE = {"resources": "resources.yaml", "archetypes": "archetypes.yaml"}

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Words of the scenario and catalogue schemas, so random documents reach deep validation.
KNOWN_KEYS = ["name", "description", "seed", "years", "start", "end", "catalogue", "resources", "archetypes",
              "district", "blocks", "geojson", "firms_per_plot", "origin_x_m", "origin_y_m", "rows", "cols",
              "plot_width_m", "plot_depth_m", "gap_m", "zone", "land_price_eur_per_m2", "firms", "incumbents",
              "archetype", "count", "applicants", "rate_per_year", "mix", "queue", "year", "behaviour",
              "activity", "negotiation", "contracts", "exit", "policy", "landfill_tax", "value", "unit", "source",
              "kiln", "press", "start_year", "end_year", "rule", "enabled", "eur_per_t", "base"]
# Names of files that exist beside the scenarios, for the keys that name a file (catalogue, geojson, base).
FILE_NAMES = ["scenario.yaml", "resources.yaml", "archetypes.yaml", "formigine_baseline.yaml", ".", ""]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(-5, 3000),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12), st.sampled_from(KNOWN_KEYS),
    st.sampled_from(FILE_NAMES),
)
keys = st.one_of(st.sampled_from(KNOWN_KEYS), st.text(max_size=10), st.integers(-3, 3), st.booleans(), st.none())
documents = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=5)),
    max_leaves=25,
)
sourced = st.fixed_dictionaries({"value": scalars}, optional={
    "unit": st.one_of(st.text(max_size=6), st.sampled_from(["EUR/t", "share", "m", "plots", "1/yr"])),
    "source": st.one_of(st.just("assumption"), st.text(max_size=4), scalars)})
values = st.one_of(scalars, sourced, documents)


def dotted_paths(node, prefix=()) -> list[tuple]:
    """Every path (tuple of keys and list indices) below ``node``."""
    out = []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in items:
        out.append(prefix + (key,))
        out += dotted_paths(child, prefix + (key,))
    return out


def container_paths(node, prefix=()) -> list[tuple]:
    """Paths of the mappings below ``node`` (``()`` is the document), where a key can be inserted."""
    out = [prefix] if isinstance(node, dict) else []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in items:
        out += container_paths(child, prefix + (key,))
    return out


def parent_of(doc, path: tuple, create: bool):
    """The container holding ``path[-1]``; with ``create``, missing mappings on the way are added."""
    node = doc
    for key in path[:-1]:
        if isinstance(node, list):
            node = node[key]
        elif create and not isinstance(node.get(key), (dict, list)):
            node[key] = {}
            node = node[key]
        else:
            node = node[key]
    return node


@functools.cache
def parsed(path: Path):
    return load_yaml(path)


@st.composite
def mutated(draw, source: Path, defaults_file: Path | None = DEFAULTS):
    """A valid document with 1-3 random mutations applied (paths from the document merged over
    ``defaults_file``, so that values only the defaults set can be replaced too)."""
    doc = copy.deepcopy(parsed(source))
    defaults = parsed(defaults_file) if defaults_file else {}
    for _ in range(draw(st.integers(1, 3))):
        merged = deep_merge(defaults, doc)
        kind = draw(st.sampled_from(["delete", "replace", "insert", "tweak"]))
        numbers = [p for p in dotted_paths(doc) if _is_number(_get(doc, p))]
        if kind == "tweak" and numbers:
            # A plausible edit (a number scaled or shifted) keeps most scenarios valid, so the
            # model is also built from unusual layouts, counts and parameters.
            path = draw(st.sampled_from(numbers))
            old = _get(doc, path)
            new = draw(st.one_of(st.floats(0, 3), st.integers(-1, 3))) * old + draw(st.integers(-2, 2))
            parent_of(doc, path, create=False)[path[-1]] = int(new) if isinstance(old, int) else new
        elif kind == "delete" and dotted_paths(doc):
            path = draw(st.sampled_from(dotted_paths(doc)))
            del parent_of(doc, path, create=False)[path[-1]]
        elif kind == "replace" and dotted_paths(merged):
            path = draw(st.sampled_from(dotted_paths(merged)))
            parent = parent_of(doc, path, create=True) if _reachable(doc, path) else None
            if parent is not None:
                parent[path[-1]] = draw(values)
        else:
            path = draw(st.sampled_from(container_paths(merged)))
            if _reachable(doc, path + ("",)):
                parent_of(doc, path + ("",), create=True)[draw(keys)] = draw(values)
    return doc


def _get(doc, path: tuple):
    for key in path:
        doc = doc[key]
    return doc


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _reachable(doc, path: tuple) -> bool:
    """Whether ``path[:-1]`` can be walked or created in ``doc`` (list indices must exist)."""
    node = doc
    for key in path[:-1]:
        if isinstance(node, list):
            if not isinstance(key, int) or not -len(node) <= key < len(node):
                return False
            node = node[key]
        elif isinstance(node, dict):
            node = node.get(key, {})
        else:
            return True  # replaced by a mapping on the way
    return True


def check_outcome(path: Path) -> None:
    """Load and build; only success or a well-formed InputError is acceptable."""
    try:
        build_model(load_scenario(path), years=1)
        event("loaded")
    except InputError as exc:
        event(f"InputError: {min(len(exc.problems), 3)} problem(s)")  # shown with --hypothesis-show-statistics
        assert exc.problems
        for problem in exc.problems:
            text = str(problem)
            assert problem.file == str(path) or Path(problem.file).is_file(), text
            assert text.startswith(f"{problem.file}: "), text
            assert problem.message and problem.fix, text
            assert "function-after[" not in problem.field and "\n" not in text, text


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """A folder with copies of the sources' folders, so relative catalogue paths still resolve."""
    root = tmp_path_factory.mktemp("fuzz")
    for source in SOURCES:
        shutil.copytree(source.parent, root / source.parent.name, dirs_exist_ok=True)
    return root


def write(path: Path, doc) -> Path:
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


@FUZZ
@given(doc=st.one_of(documents, st.dictionaries(keys, documents, max_size=8)))
def test_random_yaml_documents_load_or_explain(workdir, doc):
    if isinstance(doc, dict):
        # The fixture's small catalogue unless the document names its own: parsing the shipped one
        # costs a third of a second, which would leave few examples in the time budget.
        doc.setdefault("catalogue", FIXTURE_CATALOGUE)
    check_outcome(write(workdir / TWO_FIRMS.parent.name / "random.yaml", doc))


@FUZZ
@given(text=st.text(max_size=200))
def test_random_text_loads_or_explains(workdir, text):
    path = workdir / TWO_FIRMS.parent.name / "random.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    check_outcome(path)


@settings(FUZZ, max_examples=40)
@given(data=st.binary(max_size=100))
def test_random_bytes_load_or_explain(workdir, data):
    path = workdir / TWO_FIRMS.parent.name / "random.yaml"
    path.write_bytes(data)
    check_outcome(path)


@pytest.mark.parametrize("source", SOURCES, ids=[s.stem for s in SOURCES])
@settings(FUZZ, max_examples=250)
@given(data=st.data())
def test_mutated_scenarios_load_or_explain(workdir, source, data):
    doc = data.draw(mutated(source))
    check_outcome(write(workdir / source.parent.name / f"mutated_{source.stem}.yaml", doc))


@pytest.mark.parametrize("name", ["resources.yaml", "archetypes.yaml"])
@settings(FUZZ, max_examples=150)
@given(data=st.data())
def test_mutated_catalogues_load_or_explain(workdir, name, data):
    folder = workdir / f"catalogue_{name.split('.')[0]}"
    if not folder.exists():
        shutil.copytree(TWO_FIRMS.parent, folder)
    write(folder / name, data.draw(mutated(TWO_FIRMS.parent / name, defaults_file=None)))
    check_outcome(folder / TWO_FIRMS.name)


def test_unmutated_sources_load(workdir):
    """The starting points are valid, so the mutations above are what the loader is judged on."""
    for source in SOURCES:
        build_model(load_scenario(workdir / source.parent.name / source.name), years=1)


def test_non_finite_numbers_are_input_errors(workdir):
    """NaN and infinity are refused with a message, wherever a number is expected."""
    doc = yaml.safe_load(TWO_FIRMS.read_text(encoding="utf-8"))
    doc["behaviour"]["negotiation"]["transaction_cost_eur_per_yr"] = math.inf
    doc["district"]["blocks"][0]["gap_m"] = {"value": math.nan, "unit": "m", "source": "assumption"}
    path = write(workdir / TWO_FIRMS.parent.name / "nonfinite.yaml", doc)
    with pytest.raises(InputError) as info:
        load_scenario(path)
    fields = {p.field for p in info.value.problems}
    assert fields == {"behaviour.negotiation.transaction_cost_eur_per_yr", "district.blocks.0.gap_m"}
