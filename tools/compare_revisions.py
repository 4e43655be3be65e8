"""Prove that two git revisions of this repository give byte-identical results.

Why: issue 15 moves the modules of ``simulation/`` into subpackages; that restructuring must not
change any result. This script runs the command line of each revision on every shipped input and
compares what they write.

Usage (from the repository root)::

    .venv/bin/python tools/compare_revisions.py REV_A REV_B [--work DIR] [--jobs N]

REV_B may be ``WORKTREE``: the current working tree, uncommitted changes included. A commit is
checked out with ``git worktree add --detach`` (removed afterwards). Each revision's own entry
point (``[project.scripts] ecodistrict`` of its pyproject.toml) runs with the current interpreter,
its checkout first on ``sys.path`` (and in ``PYTHONPATH``, for the sweep's worker processes),
editable-install finders removed, and a scratch folder as working directory. A run stops with an
error if a ``simulation`` or ``analysis`` module was imported from outside the checkout.

What runs, on each revision's own input files: ``ecodistrict run`` of every ``scenarios/*.yaml``
and the Kalundborg example with seeds 1, 2 and 3; ``ecodistrict sweep`` of both experiments
(``--workers 2``); ``ecodistrict matchmake`` on the shipped profile files, with and without
``--optimal``, ``--scenario``, ``--radius`` and ``--catalog``. Compared: every file of a run
folder but manifest.json (timings, git revision) byte for byte; a sweep's run files as data frames
(exact) and as bytes, its other files but manifest.json byte for byte; matchmake's files byte for
byte, after replacing the checkout's path (the summary names its input files) by ``<checkout>``.
A command that fails in one revision only is a difference. Commands whose input exists in one revision
only (a scenario added) are listed and not compared. Prints one line per group of files, then
``IDENTICAL`` (exit 0) or the differing files with their first differing line (exit 1).
Outputs are kept in ``--work`` (default: a temporary folder, deleted when identical).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import zip_longest
from pathlib import Path

WORKTREE = "WORKTREE"
SEEDS = (1, 2, 3)
EXPERIMENTS = ("experiments/landfill_tax_grid.yaml", "experiments/sobol_policy.yaml")
KALUNDBORG = "scenarios/examples/kalundborg"
EXCLUDED = {"manifest.json"}
PLACEHOLDER = b"<checkout>"

BOOTSTRAP = """\
import os, sys
root = os.path.realpath({root!r})
sys.path.insert(0, root)
sys.meta_path[:] = [f for f in sys.meta_path if '__editable__' not in repr(f) + str(getattr(f, '__module__', ''))]
sys.path_hooks[:] = [h for h in sys.path_hooks if '__editable__' not in repr(h)]
sys.path_importer_cache.clear()

def outside():
    return sorted(f'{{name}} from {{mod.__file__}}' for name, mod in list(sys.modules.items())
                  if name.split('.')[0] in ('simulation', 'analysis') and getattr(mod, '__file__', None)
                  and not os.path.realpath(mod.__file__).startswith(root + os.sep))

import simulation
if outside():
    sys.exit('compare_revisions: imported outside the checkout: ' + '; '.join(outside()))
if sys.argv[1:] == ['--probe']:
    sys.exit(print(os.path.realpath(simulation.__file__)))
from {module} import {func} as entry
sys.argv[0] = 'ecodistrict'
try:
    code = entry()
finally:
    if outside():
        sys.exit('compare_revisions: imported outside the checkout: ' + '; '.join(outside()))
sys.exit(code)
"""


@dataclass
class Job:
    """One command of one revision: its group (runs, sweeps, matchmake), name, arguments, output."""

    group: str
    name: str
    args: list[str]
    out: str
    returncode: int | None = None
    error: str = ""


@dataclass
class Revision:
    """A revision, its checkout, the folder its commands run in, and their jobs."""

    label: str
    rev: str
    checkout: Path
    scratch: Path
    entry: tuple[str, str] = ("", "")
    jobs: list[Job] = field(default_factory=list)


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo`` and return its stripped output (raises on failure)."""
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True).stdout.strip()


def make_checkout(repo: Path, rev: str, folder: Path) -> Path:
    """Check ``rev`` out in ``folder`` (a detached worktree), or return ``repo`` for WORKTREE."""
    if rev == WORKTREE:
        return repo
    commit = git(repo, "rev-parse", "--verify", f"{rev}^{{commit}}")
    git(repo, "worktree", "add", "--detach", str(folder), commit)
    return folder


def remove_checkout(repo: Path, revision: Revision) -> None:
    """Remove the worktree of ``revision`` (never the repository itself)."""
    if revision.rev != WORKTREE:
        git(repo, "worktree", "remove", "--force", str(revision.checkout))


def entry_point(checkout: Path) -> tuple[str, str]:
    """The (module, function) of ``ecodistrict`` in the checkout's pyproject.toml."""
    with open(checkout / "pyproject.toml", "rb") as f:
        target = tomllib.load(f)["project"]["scripts"]["ecodistrict"]
    module, func = target.split(":")
    return module.strip(), func.strip()


def run_cli(revision: Revision, args: list[str]) -> subprocess.CompletedProcess:
    """Run the revision's entry point with ``args`` from its scratch folder."""
    module, func = revision.entry
    code = BOOTSTRAP.format(root=str(revision.checkout), module=module, func=func)
    env = {**os.environ, "PYTHONPATH": str(revision.checkout)}
    return subprocess.run([sys.executable, "-c", code, *args], check=False, cwd=revision.scratch,
                          env=env, capture_output=True, text=True)


def probe(revision: Revision) -> str:
    """Where the revision's ``simulation`` package is imported from; exits if outside its checkout."""
    result = run_cli(revision, ["--probe"])
    location = result.stdout.strip()
    inside = location.startswith(str(revision.checkout.resolve()) + os.sep)
    if result.returncode or not inside:
        sys.exit(f"{revision.label}: simulation not imported from {revision.checkout}:\n"
                 f"{result.stdout}{result.stderr}")
    return location


def plan_jobs(checkout: Path) -> list[Job]:
    """Every command to run on a revision, longest first, with paths into its checkout."""
    jobs = [Job("sweeps", Path(e).stem, ["sweep", str(checkout / e), "--out", f"sweeps/{Path(e).stem}",
                                         "--workers", "2"], f"sweeps/{Path(e).stem}")
            for e in reversed(EXPERIMENTS)]
    scenarios = sorted((checkout / "scenarios").glob("*.yaml")) + [checkout / KALUNDBORG / "scenario.yaml"]
    for scenario in scenarios:
        stem = "kalundborg" if scenario.parent.name == "kalundborg" else scenario.stem
        for seed in SEEDS:
            out = f"runs/{stem}-seed{seed}"
            jobs.append(Job("runs", f"{stem} seed {seed}",
                            ["run", str(scenario), "--seed", str(seed), "--out", out], out))
    formigine = str(checkout / "scenarios/profiles/formigine_example.csv")
    matchmakes = {
        "formigine": [formigine],
        "formigine_optimal": [formigine, "--optimal"],
        "formigine_subsidy_radius": [formigine, "--optimal", "--scenario",
                                     str(checkout / "scenarios/exchange_subsidy.yaml"), "--radius", "3"],
        "kalundborg_optimal": [str(checkout / KALUNDBORG / "firms.csv"), "--optimal", "--catalog",
                               str(checkout / KALUNDBORG / "resources.yaml")],
        "kalundborg_scenario": [str(checkout / KALUNDBORG / "firms.csv"), "--optimal", "--scenario",
                                str(checkout / KALUNDBORG / "scenario.yaml")],
    }
    for name, args in matchmakes.items():
        jobs.append(Job("matchmake", name, ["matchmake", *args, "--out", f"matchmake/{name}/matches.csv"],
                        f"matchmake/{name}"))
    return jobs


def execute(revision: Revision, job: Job) -> None:
    """Run ``job`` and record its exit code and the last line of its error output."""
    result = run_cli(revision, job.args)
    job.returncode = result.returncode
    lines = result.stderr.strip().splitlines()
    job.error = lines[-1] if result.returncode and lines else ""


def run_all(revisions: list[Revision], jobs: int) -> None:
    """Run every job of both revisions, ``jobs`` at a time, interleaved so both progress together."""
    pairs = [(r, j) for pair in zip_longest(*(r.jobs for r in revisions)) for r, j in zip(revisions, pair) if j]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for future in [pool.submit(execute, r, j) for r, j in pairs]:
            future.result()


def first_difference(name: str, a: bytes, b: bytes) -> str:
    """A line naming ``name`` and the first line where ``a`` and ``b`` differ."""
    lines_a, lines_b = a.decode(errors="replace").splitlines(), b.decode(errors="replace").splitlines()
    for number, (line_a, line_b) in enumerate(zip(lines_a, lines_b), start=1):
        if line_a != line_b:
            return f"{name}: line {number}:\n    A: {line_a[:300]}\n    B: {line_b[:300]}"
    shorter = "A" if len(lines_a) < len(lines_b) else "B"
    return (f"{name}: {shorter} ends at line {min(len(lines_a), len(lines_b))} "
            f"(A {len(lines_a)} lines, B {len(lines_b)})")


def compare_parquet(name: str, a: Path, b: Path, added: frozenset[str] = frozenset()) -> list[str]:
    """Differences between two parquet files: their data frames (exact), then their bytes.

    Columns of ``added`` that only B has are dropped from B first; the bytes then cannot match
    and are not compared.
    """
    import pandas as pd
    from pandas.testing import assert_frame_equal

    frame_a, frame_b = pd.read_parquet(a), pd.read_parquet(b)
    dropped = [c for c in frame_b.columns if c in added and c not in frame_a.columns]
    try:
        assert_frame_equal(frame_a, frame_b.drop(columns=dropped), check_exact=True)
    except AssertionError as exc:
        return [f"{name}: data frames differ: {' '.join(str(exc).split())[:300]}"]
    if dropped:
        return []
    return [] if a.read_bytes() == b.read_bytes() else [f"{name}: same data frame, different bytes"]


def without_added_columns(bytes_a: bytes, bytes_b: bytes, added: frozenset[str]) -> bytes:
    """B's CSV with the columns of ``added`` that A's lacks removed, written back in the same
    dialect (``\\n`` line ends), so the rest can be compared byte for byte."""
    header_a = next(csv.reader(io.StringIO(bytes_a.decode())), [])
    rows = list(csv.reader(io.StringIO(bytes_b.decode())))
    if not rows:
        return bytes_b
    drop = {k for k, column in enumerate(rows[0]) if column in added and column not in header_a}
    if not drop:
        return bytes_b
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows([value for k, value in enumerate(row) if k not in drop] for row in rows)
    return out.getvalue().encode()


def compare_folders(name: str, a: Path, b: Path, roots: tuple[Path, Path] | None = None,
                    added: frozenset[str] = frozenset()) -> tuple[set[str], list[str]]:
    """Compare every file of two output folders but manifest.json; return the file names and differences.

    Parquet files are compared as data frames and bytes, others as bytes; with ``roots``, each
    checkout's path is replaced by a placeholder first; columns of ``added`` only B has are
    dropped from B's tables first (a new indicator).
    """
    files_a = {p.relative_to(a).as_posix() for p in a.rglob("*") if p.is_file() and p.name not in EXCLUDED}
    files_b = {p.relative_to(b).as_posix() for p in b.rglob("*") if p.is_file() and p.name not in EXCLUDED}
    diffs = [f"{name}/{f}: only in {side}" for side, only in (("A", files_a - files_b), ("B", files_b - files_a))
             for f in sorted(only)]
    for f in sorted(files_a & files_b):
        if f.endswith(".parquet"):
            diffs += compare_parquet(f"{name}/{f}", a / f, b / f, added)
            continue
        bytes_a, bytes_b = (a / f).read_bytes(), (b / f).read_bytes()
        if added and f.endswith(".csv"):
            bytes_b = without_added_columns(bytes_a, bytes_b, added)
        if f.startswith("failed/"):  # a failed sweep run: its error, not its traceback (line numbers)
            bytes_a, bytes_b = (json.loads(x)["error"].encode() for x in (bytes_a, bytes_b))
        if roots:
            bytes_a = bytes_a.replace(str(roots[0]).encode(), PLACEHOLDER)
            bytes_b = bytes_b.replace(str(roots[1]).encode(), PLACEHOLDER)
        if bytes_a != bytes_b:
            diffs.append(first_difference(f"{name}/{f}", bytes_a, bytes_b))
    return files_a | files_b, diffs


def compare_outcomes(job_a: Job, job_b: Job, a: Revision, b: Revision) -> list[str]:
    """Differences in whether the two revisions' commands succeeded, and in their error messages."""
    if bool(job_a.returncode) != bool(job_b.returncode):
        failed, error = ("A", job_a.error) if job_a.returncode else ("B", job_b.error)
        return [f"{job_a.group} {job_a.name}: fails in {failed} only: {error}"]
    error_a = job_a.error.replace(str(a.checkout), "<checkout>")
    error_b = job_b.error.replace(str(b.checkout), "<checkout>")
    if job_a.returncode and (job_a.returncode, error_a) != (job_b.returncode, error_b):
        return [f"{job_a.group} {job_a.name}: fails differently:\n    A: {error_a}\n    B: {error_b}"]
    return []


def compare_group(group: str, a: Revision, b: Revision, added: frozenset[str] = frozenset()) -> list[str]:
    """Compare one group of outputs of the two revisions, print its summary line, return the differences."""
    jobs_a, jobs_b = ({j.name: j for j in r.jobs if j.group == group} for r in (a, b))
    # An input that exists in one revision only (a scenario added or removed) has nothing to be
    # compared with: it is listed, not counted as a difference.
    for side, only in (("A", jobs_a.keys() - jobs_b.keys()), ("B", jobs_b.keys() - jobs_a.keys())):
        if only:
            print(f"{group}: only in {side}, not compared: {', '.join(sorted(only))}")
    diffs: list[str] = []
    pairs = [(jobs_a[n], jobs_b[n]) for n in jobs_a if n in jobs_b]
    names, succeeded, failed_both = set(), 0, []
    for job_a, job_b in pairs:
        diffs += compare_outcomes(job_a, job_b, a, b)
        failed_both += [job_a.name] if job_a.returncode and job_b.returncode else []
        folder_a, folder_b = a.scratch / job_a.out, b.scratch / job_b.out
        if folder_a.is_dir() != folder_b.is_dir():
            diffs.append(f"{job_a.out}: folder only in {'A' if folder_a.is_dir() else 'B'}")
        if not (folder_a.is_dir() and folder_b.is_dir()):
            continue
        roots = (a.checkout, b.checkout) if group != "runs" else None
        files, found = compare_folders(job_a.out, folder_a, folder_b, roots, added)
        names |= set(files) if group != "sweeps" else set()
        if group == "sweeps":
            print(f"sweeps: {job_a.name}: {sum(f.startswith('runs/') for f in files)} runs/*.parquet "
                  f"(data frames exact, bytes){''.join(', ' + f for f in sorted(files) if '/' not in f)}: "
                  f"{'identical' if not found else f'{len(found)} differences'}")
        diffs += found
        succeeded += 1
    if group != "sweeps":
        print(f"{group}: {succeeded} folders x {len(names)} files ({', '.join(sorted(names))}): "
              f"{'identical' if not diffs else f'{len(diffs)} differences'}")
    if failed_both:
        print(f"{group}: failing in both revisions: {', '.join(failed_both)}")
    return diffs


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line: two revisions, the work folder and the number of parallel commands."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("rev_a", help="a commit (any git revision)")
    parser.add_argument("rev_b", help=f"a commit, or {WORKTREE} for the working tree")
    parser.add_argument("--work", type=Path, help="folder for checkouts and outputs (kept)")
    parser.add_argument("--jobs", type=int, default=2, help="commands run at a time (default 2)")
    parser.add_argument("--added-columns", default="", metavar="A,B",
                        help="columns B adds on purpose (a new indicator): dropped from B's CSV and parquet "
                             "tables before comparing, and reported")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    repo = Path(git(Path(__file__).resolve().parent, "rev-parse", "--show-toplevel"))
    work = (args.work or Path(tempfile.mkdtemp(prefix="compare_revisions-"))).resolve()
    revisions: list[Revision] = []
    try:
        for label, rev in (("A", args.rev_a), ("B", args.rev_b)):
            (work / label / "scratch").mkdir(parents=True, exist_ok=True)
            checkout = make_checkout(repo, rev, work / label / "checkout")
            revisions.append(Revision(label, rev, checkout, work / label / "scratch"))
        for r in revisions:
            r.entry, r.jobs = entry_point(r.checkout), plan_jobs(r.checkout)
            print(f"{r.label} = {r.rev}: {':'.join(r.entry)}, simulation from {probe(r)}, {len(r.jobs)} commands")
        run_all(revisions, args.jobs)
        added = frozenset(c for c in args.added_columns.split(",") if c)
        if added:
            print(f"columns added in B, dropped from its tables before comparing: {', '.join(sorted(added))}")
        diffs = [d for group in ("runs", "sweeps", "matchmake") for d in compare_group(group, *revisions, added)]
    finally:
        for r in revisions:
            remove_checkout(repo, r)
    if diffs:
        print("DIFFERENT", *diffs, f"outputs kept in {work}", sep="\n")
        return 1
    print("IDENTICAL")
    if args.work is None:
        shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
