"""The ``ecodistrict view`` command: the live district of a scenario in the browser.

The scenario is checked first (bad input: exit 2, the server is not started); then this process
becomes the Solara server of :mod:`simulation.view.app` (``solara run ... --production``) on
``--host`` and ``--port``, with Solara's version check and usage statistics off, so that nothing
leaves the machine: the page's front-end is served by the local ``solara-assets``.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from pathlib import Path

from simulation.cli.arguments import int_at_least
from simulation.inputs.errors import InputError

DEFAULT_PORT = 8765
VIEW_PACKAGES = ("solara", "solara_assets", "ipyvuetify", "networkx", "altair")


def add_view_command(sub) -> None:
    """Register ``view`` on the subparsers of ``ecodistrict``."""
    view = sub.add_parser("view", help="run a scenario live in the browser: map, indicators, levers")
    view.add_argument("scenario", type=Path, help="scenario YAML file")
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


def solara_command(host: str, port: int) -> list[str]:
    """The command line of the Solara server of the live view."""
    return [sys.executable, "-m", "solara", "run", "simulation.view.app", "--host", host, "--port", str(port),
            "--production", "--no-open", "--no-check-version", "--log-level", "warning"]


def cmd_view(args: argparse.Namespace) -> int:
    from simulation.view import SCENARIO_VARIABLE
    from simulation.world import load_world

    missing = [name for name in VIEW_PACKAGES if importlib.util.find_spec(name) is None]
    if missing:
        raise InputError.single("command line", "view", f"the live view needs {', '.join(missing)}, not installed",
                                "install the view extra: pip install -e \".[view]\"")
    world = load_world(args.scenario, years=1)  # every input check before the server starts
    env = {**os.environ, SCENARIO_VARIABLE: str(args.scenario.resolve()), "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False"}
    print(f"viewing {world.scenario.name} at http://{args.host}:{args.port}/ (Ctrl+C stops the server)", flush=True)
    command = solara_command(args.host, args.port)
    os.execve(command[0], command, env)  # the server replaces this process: Ctrl+C and kill reach it directly
    return 0
