"""The ``ecodistrict view`` command: the live district of a scenario in the browser, or finished runs.

``view SCENARIO.yaml`` runs the scenario live (:mod:`simulation.view.app`); ``view DIR...`` shows
run, sweep or replicates folders without simulating (:mod:`simulation.view.runs_app`). The input
is checked first (bad input: exit 2, the server is not started); then this process
becomes the Solara server of the page's module (``solara run ... --production``) on
``--host`` and ``--port``, with Solara's version check and usage statistics off, so that nothing
leaves the machine: the page's front-end is served by the local ``solara-assets``.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from pathlib import Path

from simulation.cli.arguments import check_complete, int_at_least
from simulation.inputs.errors import InputError

DEFAULT_PORT = 8765
VIEW_PACKAGES = ("solara", "solara_assets", "ipyvuetify", "networkx", "altair")


def add_view_command(sub) -> None:
    """Register ``view`` on the subparsers of ``ecodistrict``."""
    view = sub.add_parser("view", help="run a scenario live in the browser (map, indicators, levers), or show "
                                       "finished runs, sweeps or replicates (year slider, comparison charts)")
    view.add_argument("sources", type=Path, nargs="+", metavar="SCENARIO_OR_DIR",
                      help="a scenario YAML file (live), or run, sweep and replicates folders (finished runs)")
    view.add_argument("--baseline", metavar="NAME",
                      help="with folders: the scenario the others are compared with (default: the first one given)")
    view.add_argument("--port", type=_port, default=DEFAULT_PORT, help=f"port of the page (default: {DEFAULT_PORT})")
    view.add_argument("--host", default="127.0.0.1",
                      help="address to listen on (default: 127.0.0.1, this machine only)")
    view.set_defaults(handler=cmd_view)


def _port(text: str) -> int:
    """Argument type: a TCP port, 1 to 65535."""
    port = int_at_least(1)(text)
    if port > 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port (give a whole number from 1 to 65535)")
    return port


def solara_command(host: str, port: int, app: str = "simulation.view.app") -> list[str]:
    """The command line of the Solara server of the live view (or of ``app``)."""
    return [sys.executable, "-m", "solara", "run", app, "--host", host, "--port", str(port),
            "--production", "--no-open", "--no-check-version", "--log-level", "warning"]


def is_live(sources: list[Path]) -> bool:
    """One argument that is not a folder: a scenario to run live (the view's first mode)."""
    return len(sources) == 1 and not sources[0].is_dir()


def cmd_view(args: argparse.Namespace) -> int:
    from simulation.view import SCENARIO_VARIABLE
    from simulation.world import load_world

    _check_packages()
    if not is_live(args.sources):
        return _view_runs(args)
    if args.baseline is not None:
        raise InputError.single("command line", "--baseline", "a live scenario has no baseline",
                                "leave out --baseline, or give run or sweep folders to compare")
    args.scenario = args.sources[0]
    world = load_world(args.scenario, years=1)  # every input check before the server starts
    env = {**os.environ, SCENARIO_VARIABLE: str(args.scenario.resolve()), "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False"}
    print(f"viewing {world.scenario.name} at http://{args.host}:{args.port}/ (Ctrl+C stops the server)", flush=True)
    command = solara_command(args.host, args.port)
    os.execve(command[0], command, env)  # the server replaces this process: Ctrl+C and kill reach it directly
    return 0


def _view_runs(args: argparse.Namespace) -> int:
    """``view DIR...``: the folders read as ``compare`` reads them, before the server starts."""
    import json

    from simulation.view import BASELINE_VARIABLE, RUNS_VARIABLE
    from simulation.view.stored import StoredRuns

    check_complete(args.sources)  # a folder a killed run left half-replaced: said as compare says it
    stored = StoredRuns.read(args.sources, args.baseline)
    env = {**os.environ, RUNS_VARIABLE: json.dumps([str(p.resolve()) for p in args.sources]),
           BASELINE_VARIABLE: args.baseline or "", "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False"}
    print(f"viewing {len(stored.scenarios)} scenarios from {len(args.sources)} folders ({stored.years[0]}-"
          f"{stored.years[-1]}, baseline {stored.result.baseline}) at http://{args.host}:{args.port}/ "
          "(Ctrl+C stops the server)", flush=True)
    command = solara_command(args.host, args.port, "simulation.view.runs_app")
    os.execve(command[0], command, env)
    return 0


def _check_packages() -> None:
    missing = [name for name in VIEW_PACKAGES if importlib.util.find_spec(name) is None]
    if missing:
        raise InputError.single("command line", "view", f"the live view needs {', '.join(missing)}, not installed",
                                "install the view extra: pip install -e \".[view]\"")
