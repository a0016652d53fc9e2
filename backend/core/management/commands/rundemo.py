"""`python manage.py rundemo`: the whole platform in one terminal (what `make demo` runs).

Migrates the database (SQLite by default), seeds demo data into an empty one, starts a Celery
worker with embedded beat as a child process and serves the site with runserver. Ctrl-C or
SIGTERM stops the worker cleanly.
"""

from __future__ import annotations

import errno
import os
import signal
import socket
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

DEMO_PASSWORD = "demo-pass-2026"
DEMO_LOGINS = (
    ("agency", "agency staff: fill rates, admin, API docs"),
    ("trust1", "trust staff of the first trust"),
    ("trust2", "trust staff of the second trust"),
    ("nurse1", "practitioner (mental health nurse)"),
    ("hca1", "practitioner (healthcare assistant)"),
)
WORKER_STOP_SECONDS = 15


def _port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


class Command(BaseCommand):
    help = "Run the demo: migrate, seed an empty database, start a Celery worker + beat and the web server."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000, help="port for the web server (default 8000)")
        parser.add_argument(
            "--no-seed", action="store_true", help="do not seed demo data into an empty database"
        )

    def handle(self, *args, port: int, no_seed: bool, **options):
        host = "127.0.0.1"
        if not _port_is_free(host, port):
            raise CommandError(
                f"Port {port} on {host} is already in use (another demo or server?). "
                f"Stop it, or choose another port: python manage.py rundemo --port {port + 1}"
            )

        self.stdout.write("Migrating the database...")
        call_command("migrate", interactive=False, verbosity=0)
        if not no_seed:
            self._seed_if_empty()
        call_command("collectstatic", interactive=False, verbosity=0)

        worker = self._start_worker()
        # SIGTERM (docker stop, kill) takes the same road as Ctrl-C: out of runserver, then stop the worker.
        previous_sigterm = signal.signal(signal.SIGTERM, self._raise_keyboard_interrupt)
        try:
            self._print_banner(port)
            call_command("runserver", f"{host}:{port}", use_reloader=False, skip_checks=True)
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous_sigterm)
            self._stop_worker(worker)

    def _seed_if_empty(self) -> None:
        from backend.organisations.models import Trust

        if Trust.objects.exists():
            self.stdout.write("Database already has data: not seeding.")
            return
        self.stdout.write("Seeding demo data (seed_demo --size small --seed 1)...")
        try:
            call_command("seed_demo", size="small", seed=1)
        except CommandError as exc:
            if "Unknown command" in str(exc):
                self.stderr.write("seed_demo is not available: starting with an empty database.")
                return
            raise

    def _start_worker(self) -> subprocess.Popen:
        var_dir = settings.VAR_DIR
        var_dir.mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "backend",
            "worker",
            "-B",
            "-Q",
            "celery,offers,notifications,analytics",
            "--pool",
            "solo",
            "--loglevel",
            "INFO",
            "--schedule",
            str(var_dir / "celerybeat-schedule"),
            "--hostname",
            f"demo@{socket.gethostname()}",
        ]
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "backend.settings"),
        }
        self.stdout.write("Starting the Celery worker with embedded beat...")
        # Its own session: a terminal Ctrl-C reaches only us, and we stop the worker in order.
        return subprocess.Popen(command, env=env, cwd=settings.BASE_DIR, start_new_session=True)

    def _stop_worker(self, worker: subprocess.Popen) -> None:
        if worker.poll() is not None:
            self.stderr.write(f"The Celery worker had already exited (code {worker.returncode}).")
            return
        self.stdout.write("Stopping the Celery worker...")
        worker.send_signal(signal.SIGTERM)  # warm shutdown: finish the current task, then exit
        try:
            worker.wait(timeout=WORKER_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.stderr.write("The Celery worker did not stop in time: killing it.")
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
        self.stdout.write("Stopped.")

    @staticmethod
    def _raise_keyboard_interrupt(signum, frame):
        raise KeyboardInterrupt

    def _print_banner(self, port: int) -> None:
        url = f"http://127.0.0.1:{port}"
        lines = [
            "",
            "=" * 64,
            f"  Staffing match demo: {url}",
            "",
            f"  Log in at {url}/login/ with password {DEMO_PASSWORD}:",
            *(f"    {username:<8} {description}" for username, description in DEMO_LOGINS),
            "",
            f"  Admin:     {url}/admin/",
            f"  API docs:  {url}/api/docs/",
            f"  Health:    {url}/healthz   {url}/readyz",
            "",
            "  Press Ctrl-C to stop the web server and the worker.",
            "=" * 64,
            "",
        ]
        self.stdout.write("\n".join(lines))
