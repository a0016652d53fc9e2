"""Command line: ``python -m matching solve INSTANCE.json`` and ``python -m matching generate``.

Pure engine, no Django: runnable on any exported or generated instance (MATCHING_INSTANCE.md).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from matching.engine.assign import DEFAULT_TIME_LIMIT, assign
from matching.engine.generate import generate_instance
from matching.engine.instance import dump_instance, load_instance, solution_document
from matching.engine.snapshot import build_pool


def solve_command(arguments: argparse.Namespace) -> int:
    instance = load_instance(arguments.instance)
    pool = build_pool(instance.practitioners, instance.wards, instance.now)
    result = assign(
        instance.shortfalls, instance.ward_by_id, pool, instance.rules, time_limit=arguments.time_limit
    )
    edges = list(result.edge_list()) if arguments.edges else None
    document = solution_document(result.assignments, result.objective, result.seconds, edges)
    json.dump(document, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")
    return 0


def generate_command(arguments: argparse.Namespace) -> int:
    instance = generate_instance(
        shortfalls=arguments.shortfalls, practitioners=arguments.practitioners, seed=arguments.seed
    )
    text = json.dumps(dump_instance(instance), separators=(",", ":"))
    if arguments.output in (None, "-"):
        sys.stdout.write(text + "\n")
    else:
        Path(arguments.output).write_text(text + "\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m matching", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    solve = commands.add_parser("solve", help="assign an instance's shortfalls; prints the solution JSON")
    solve.add_argument("instance", type=Path)
    solve.add_argument("--edges", action="store_true", help="also list every eligible pair with its score")
    solve.add_argument("--time-limit", type=float, default=DEFAULT_TIME_LIMIT, help="solver seconds")
    solve.set_defaults(handler=solve_command)
    generate = commands.add_parser("generate", help="write a seeded synthetic instance")
    generate.add_argument("--shortfalls", type=int, default=300)
    generate.add_argument("--practitioners", type=int, default=1000)
    generate.add_argument("--seed", type=int, default=1)
    generate.add_argument("-o", "--output", default=None, help="file to write (default stdout)")
    generate.set_defaults(handler=generate_command)
    arguments = parser.parse_args(argv)
    return int(arguments.handler(arguments))
