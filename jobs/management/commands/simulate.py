"""`manage.py simulate [--policies a,b] [--seed N] [--weeks N] [--practitioners N] [--jobs N] [--keep]`

The operations simulator (jobs/simulation/): seeds a throwaway PostgreSQL database named after the
configured one (`<name>_sim`), runs the simulated weeks of demand and practitioner behaviour through
the real services once per policy, each on a fresh copy (`<name>_sim_<policy>`, all at once by
default), and writes a table, JSON and PNG plots to var/simulation/. The scratch databases are
dropped afterwards unless --keep."""

from __future__ import annotations

import dataclasses
import multiprocessing
import shlex
import signal
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from jobs.simulation import report, world
from jobs.simulation.config import SimulationConfig
from jobs.simulation.policies import POLICIES, policy
from jobs.simulation.runner import Simulation


def _run_policy(job: tuple) -> dict:
    config, name, run_db, started = job

    def log(message: str) -> None:
        print(f"[{time.monotonic() - started:7.1f}s] {message}", flush=True)

    with world.using_database(run_db):
        result = Simulation(config, policy(name), log).run()
        row = report.metrics(result, continuity_days=config.continuity_days)
    log(
        f"{name}: fill {row['fill_rate']:.1%}, continuity {row['continuity_rate']:.1%}, "
        f"offers/practitioner {row['offers_per_practitioner']:.1f}, {row['wall_seconds']:.0f} s"
    )
    return row


def _overrides(pairs: list[str]) -> dict:
    defaults = SimulationConfig()
    overrides = {}
    for pair in pairs:
        name, _, text = pair.partition("=")
        current = getattr(defaults, name, None)
        if not isinstance(current, int | float) or isinstance(current, bool) or not text:
            raise CommandError(f"--set {pair!r}: expected FIELD=NUMBER with a numeric SimulationConfig field")
        try:
            overrides[name] = type(current)(text)
        except ValueError:
            raise CommandError(f"--set {pair!r}: {text!r} is not a {type(current).__name__}") from None
    return overrides


class Command(BaseCommand):
    help = "Compare offer policies over simulated weeks of demand and practitioner behaviour (real services)."

    def add_arguments(self, parser) -> None:
        defaults = SimulationConfig()
        parser.add_argument(
            "--policies", default=",".join(defaults.policies), help=f"from: {', '.join(POLICIES)}"
        )
        parser.add_argument("--seed", type=int, default=defaults.seed)
        parser.add_argument("--weeks", type=int, default=defaults.weeks)
        parser.add_argument("--trusts", type=int, default=defaults.trusts)
        parser.add_argument("--wards", type=int, default=defaults.wards)
        parser.add_argument("--practitioners", type=int, default=defaults.practitioners)
        parser.add_argument(
            "--set",
            action="append",
            default=[],
            metavar="FIELD=VALUE",
            help="override a number in SimulationConfig (jobs/simulation/config.py), e.g. response_median_minutes=15",
        )
        parser.add_argument(
            "--jobs",
            type=int,
            default=0,
            help="policies run in parallel processes (default: all at once; a run mostly waits on PostgreSQL)",
        )
        parser.add_argument("--out", default=str(Path(settings.VAR_DIR) / "simulation"))
        parser.add_argument("--keep", action="store_true", help="keep the scratch databases")

    def handle(self, *args, **options) -> None:
        names = [n.strip() for n in options["policies"].split(",") if n.strip()]
        try:
            for name in names:
                policy(name)
        except ValueError as error:
            raise CommandError(str(error)) from None
        config = dataclasses.replace(
            SimulationConfig(),
            seed=options["seed"],
            weeks=options["weeks"],
            trusts=options["trusts"],
            wards=options["wards"],
            practitioners=options["practitioners"],
            policies=tuple(names),
        )
        config = dataclasses.replace(config, **_overrides(options["set"]))
        # A stopped run still drops its scratch databases (the finally below).
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(143))
        started = time.monotonic()

        def log(message: str) -> None:
            self.stdout.write(f"[{time.monotonic() - started:7.1f}s] {message}")
            self.stdout.flush()

        # SQL logging (DEBUG) would cost a fifth of the run and keep nothing anyone reads.
        settings.DEBUG = False
        database = settings.DATABASES["default"]["NAME"]
        base = f"{database}_sim"
        runs = {name: f"{database}_sim_{name}" for name in names}
        log(
            f"Seeding {base}: {config.trusts} trusts, {config.wards} wards, {config.practitioners} practitioners"
        )
        try:
            world.build_base(base, config)
            for run_db in runs.values():
                world.create_database(run_db, template=base)
            connections.close_all()  # forked workers open their own
            jobs = [(config, name, run_db, started) for name, run_db in runs.items()]
            processes = options["jobs"] or len(jobs)
            if processes > 1:
                with multiprocessing.get_context("fork").Pool(processes) as pool:
                    rows = pool.map(_run_policy, jobs, chunksize=1)
            else:
                rows = [_run_policy(job) for job in jobs]
        finally:
            if not options["keep"]:
                for run_db in runs.values():
                    world.drop_database(run_db)
                world.drop_database(base)
        total = time.monotonic() - started
        command = "python manage.py simulate " + " ".join(shlex.quote(a) for a in sys.argv[2:])
        header = (
            f"Seed {config.seed}; {config.trusts} trusts, {config.wards} wards, {config.practitioners} "
            f"practitioners ({rows[0]['practitioners']} active); {config.weeks} weeks of shifts from "
            f"{config.start:%Y-%m-%d}; {rows[0]['slots']} slots (trust-cancelled excluded). "
            f"Total wall time {total:.0f} s with {options['jobs'] or len(names)} parallel runs."
        )
        path = report.write(rows, Path(options["out"]), command=command.strip(), header=header)
        self.stdout.write("")
        self.stdout.write(report.table(rows))
        self.stdout.write("")
        self.stdout.write(report.verdict(rows))
        self.stdout.write(f"\nReport: {path}")
