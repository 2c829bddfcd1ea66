"""Options shared by the ``escalation`` command, the scenario scripts and the experiments.

One place declares ``--worlds``, ``--quick``, ``--seed``, ``--out``, ``--events`` and
``--worlds-per-draw`` with their defaults (:data:`DEFAULT_WORLDS`, :data:`QUICK_WORLDS`,
:data:`DEFAULT_SEED`, :data:`DEFAULT_WORLDS_PER_DRAW`), so a script, an experiment and the
command given the same numbers run the same worlds. Argument types raise
:class:`argparse.ArgumentTypeError` with text that names what was expected and what was
found (``--seed: expected a non-negative integer, found -1``).

:func:`scenario_script` is the body of every script in ``scenarios/``; :func:`user_errors`
turns the errors a user can fix (bad files, bad scenarios, bad arguments) into one line on
stderr and exit code 2, and lets every other exception (a bug) show its traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import textwrap
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import matplotlib

from escalation.cli import report
from escalation.compare import (
    BASELINE,
    compare_results,
    observed_for,
    observed_period,
    observed_quantities,
    run_scenarios,
)
from escalation.ensemble import connect_dask, dask_client
from escalation.errors import CheckpointError, EventDataError, ScenarioError
from escalation.model.scenario import Scenario

#: Worlds per scenario unless ``--worlds`` or ``--quick`` says otherwise.
DEFAULT_WORLDS = 2000
#: Worlds in a ``--quick`` run: seconds, enough to see the shape of an answer.
QUICK_WORLDS = 200
#: The seed every command and script uses unless ``--seed`` is given.
DEFAULT_SEED = 2021
#: Worlds sharing one posterior draw. One, as in ``escalation run`` and
#: :func:`escalation.ensemble.run_ensemble`, so a comparison's baseline is the same run.
DEFAULT_WORLDS_PER_DRAW = 1
#: Where worlds run: this process, a pool of processes here, or Dask workers.
EXECUTORS = ("serial", "processes", "dask")
#: The environment variable naming a Dask scheduler when ``--scheduler`` is not given (the
#: name Dask itself reads).
SCHEDULER_VARIABLE = "DASK_SCHEDULER_ADDRESS"
#: Seconds to wait for the scheduler at ``--scheduler`` to answer.
SCHEDULER_TIMEOUT = 10.0


class UsageError(Exception):
    """Bad command-line arguments (raised instead of argparse's print-and-exit)."""


# == argument types ==============================================================================
#: Longest forecast the CLI makes: ten years. Beyond it a run takes minutes to say nothing a
#: model of 2021 could support.
MAX_HORIZON_DAYS = 3650


def _integer(text: str, lowest: int, expected: str, highest: int | None = None) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {expected}, found {text!r}") from None
    if value < lowest or (highest is not None and value > highest):
        raise argparse.ArgumentTypeError(f"expected {expected}, found {value}")
    return value


def seed_number(text: str) -> int:
    """A seed: a whole number >= 0 (what :class:`numpy.random.SeedSequence` accepts)."""
    return _integer(text, 0, "a non-negative integer")


def positive_number(text: str) -> int:
    """A count of worlds, days or workers: a whole number >= 1."""
    return _integer(text, 1, "a positive integer")


def port_number(text: str) -> int:
    """A TCP port to listen on: 1 to 65535."""
    return _integer(text, 1, "a port number from 1 to 65535", highest=65535)


def horizon_days(text: str) -> int:
    """A forecast horizon: 1 to :data:`MAX_HORIZON_DAYS` days."""
    return _integer(text, 1, f"a number of days from 1 to {MAX_HORIZON_DAYS}", MAX_HORIZON_DAYS)


def population_number(text: str) -> int:
    """A population of particles: a whole number >= 2 (a weighted sample needs two)."""
    return _integer(text, 2, "an integer of at least 2")


# == options =====================================================================================
def add_worlds_options(parser: argparse.ArgumentParser, what: str = "worlds") -> None:
    """``--worlds N`` and ``--quick`` (read them back with :func:`n_worlds`)."""
    parser.add_argument(
        "--worlds",
        type=positive_number,
        default=None,
        help=f"{what} (default {DEFAULT_WORLDS}; {QUICK_WORLDS} with --quick)",
    )
    parser.add_argument("--quick", action="store_true", help=f"a fast run of {QUICK_WORLDS} worlds")


def n_worlds(args: argparse.Namespace) -> int:
    """The worlds asked for by ``--worlds`` and ``--quick``."""
    if args.worlds is not None:
        return int(args.worlds)
    return QUICK_WORLDS if args.quick else DEFAULT_WORLDS


@contextlib.contextmanager
def warnings_as_notes(rename: dict[str, str] | None = None) -> Iterator[None]:
    """The library's warnings in the block, each said after it as one ``escalation: note:``
    line on stderr rather than as a Python warning with its file and line; ``rename`` puts the
    command line's words for the library's (an argument's flag for its name)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        yield
    for warning in caught:
        message = str(warning.message)
        for library, command_line in (rename or {}).items():
            message = message.replace(library, command_line)
        print(f"escalation: note: {message}", file=sys.stderr)


def add_seed_option(parser: argparse.ArgumentParser, default: int = DEFAULT_SEED) -> None:
    """``--seed S``: one seed for every world (and every scenario compared)."""
    parser.add_argument(
        "--seed", type=seed_number, default=default, help=f"seed (default {default})"
    )


def add_out_option(parser: argparse.ArgumentParser, default: str = "under results/") -> None:
    """``--out DIR``: where tables and figures go; ``default`` says where when it is not given."""
    parser.add_argument("--out", type=Path, default=None, help=f"output folder (default {default})")


def add_events_options(parser: argparse.ArgumentParser) -> None:
    """``--events FILE`` (canonical or ACLED, told apart by the header) and ``--format``."""
    parser.add_argument(
        "--events",
        type=Path,
        default=None,
        help="event CSV, canonical or an ACLED export (default: the shipped records of the days "
        "calibrated or replayed)",
    )
    parser.add_argument(
        "--format",
        choices=("canonical", "acled"),
        default=None,
        help="the format of --events (default: told from its header)",
    )


def add_worlds_per_draw_option(parser: argparse.ArgumentParser) -> None:
    """``--worlds-per-draw K``: consecutive worlds sharing one posterior draw."""
    parser.add_argument(
        "--worlds-per-draw",
        type=positive_number,
        default=DEFAULT_WORLDS_PER_DRAW,
        help=f"worlds sharing each posterior draw (default {DEFAULT_WORLDS_PER_DRAW}, as in "
        "'escalation run'; 2 or more gives the spread across posterior draws)",
    )


def add_executor_options(parser: argparse.ArgumentParser) -> None:
    """``--executor KIND``, ``--workers N`` and ``--scheduler ADDRESS`` (see :func:`executor`)."""
    parser.add_argument(
        "--executor",
        choices=EXECUTORS,
        default=None,
        help="where chunks of worlds run (default serial, or dask with --scheduler)",
    )
    parser.add_argument(
        "--workers",
        type=positive_number,
        default=None,
        help="processes or local Dask workers (default: the number of CPUs)",
    )
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help=f"run on the Dask cluster whose scheduler is at ADDRESS (tcp://HOST:8786; "
        f"default: ${SCHEDULER_VARIABLE} when set); same numbers as a serial run",
    )


def scheduler_address(args: argparse.Namespace) -> str | None:
    """The scheduler asked for: ``--scheduler``, else ``$DASK_SCHEDULER_ADDRESS`` unless an
    executor other than Dask was named; a :class:`UsageError` when it conflicts with them."""
    if args.scheduler is not None:
        if args.executor not in (None, "dask"):
            raise UsageError(
                f"--scheduler: runs on a Dask cluster; it cannot be combined with "
                f"--executor {args.executor}"
            )
        if args.workers is not None:
            raise UsageError("--workers: the cluster at --scheduler has its own workers")
        return str(args.scheduler)
    address = os.environ.get(SCHEDULER_VARIABLE, "").strip()
    if not address or args.executor not in (None, "dask") or args.workers is not None:
        return None
    print(
        f"escalation: using the Dask scheduler at {address} (from ${SCHEDULER_VARIABLE})",
        file=sys.stderr,
    )
    return address


@contextlib.contextmanager
def executor(args: argparse.Namespace) -> Iterator[Any]:
    """Where the worlds of a command run, from :func:`add_executor_options`' options.

    None (this process), a process pool, a new local Dask cluster, or a client of the Dask
    cluster at ``--scheduler`` / ``$DASK_SCHEDULER_ADDRESS``. On exit the pool or local
    cluster is shut down; a remote cluster is left running and only the client is closed.
    Every choice gives the same worlds for the same seed.
    """
    address = scheduler_address(args)
    if address is not None:
        try:
            client = connect_dask(address, timeout=SCHEDULER_TIMEOUT)
        except ConnectionError as exc:
            raise UsageError(f"--scheduler: {exc}") from None
        with contextlib.closing(client):
            yield client
    elif args.executor in (None, "serial"):
        yield None
    elif args.executor == "processes":
        with ProcessPoolExecutor(max_workers=args.workers or os.cpu_count()) as pool:
            yield pool
    else:
        local = dask_client(n_workers=args.workers or os.cpu_count() or 1)
        with contextlib.closing(local.cluster), contextlib.closing(local):
            yield local


def check_out(out: Path) -> Path:
    """``out`` if it can be a folder to write into; a :class:`UsageError` before any work if not."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out: {out} is a file; expected a folder (existing or new)")
    return out


# == errors ======================================================================================
def _fail(message: str) -> int:
    line = "; ".join(part.strip() for part in message.splitlines() if part.strip())
    print(f"escalation: error: {line}", file=sys.stderr)
    return 2


def user_errors(command: Callable[[], int], resumable: str = "") -> int:
    """Run ``command``; the errors a user can fix become one stderr line and exit code 2.

    User errors are bad arguments (:class:`UsageError`), bad event or scenario input
    (:class:`~escalation.errors.EventDataError`, :class:`~escalation.errors.ScenarioError`), a
    checkpoint that cannot be resumed (:class:`~escalation.errors.CheckpointError`),
    a missing file the user named (:class:`FileNotFoundError`) and a missing optional
    dependency (:class:`ImportError`). Ctrl-C is one line and exit code 130 (128 + SIGINT),
    followed by ``resumable``, what the command says about resuming. Anything else is a bug and
    propagates with its traceback.
    """
    try:
        with _output_to_a_reader_that_may_go():
            return command()
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else 0
    except (UsageError, ScenarioError, EventDataError, CheckpointError, ImportError) as exc:
        return _fail(str(exc))
    except FileNotFoundError as exc:
        return _fail(f"{exc.filename}: no such file or folder" if exc.filename else str(exc))
    except KeyboardInterrupt:
        print(f"escalation: interrupted{resumable}", file=sys.stderr)
        return 130


class _DropsOutputOnceClosed:
    """stdout that, once its reader has gone (``escalation run ... | head``), drops the rest of
    the printed report instead of stopping the command: the files it writes are its result."""

    def __init__(self, stream) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._to_nowhere()
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._to_nowhere()

    def _to_nowhere(self) -> None:
        # The pipe is closed: point the descriptor at /dev/null, so later writes and the
        # interpreter's last flush go nowhere instead of failing.
        os.dup2(os.open(os.devnull, os.O_WRONLY), self._stream.fileno())

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextlib.contextmanager
def _output_to_a_reader_that_may_go() -> Iterator[None]:
    """Print through :class:`_DropsOutputOnceClosed` while a command runs (a stdout with no
    file descriptor, as under test capture, is left alone)."""
    try:
        sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        yield
        return
    stdout = sys.stdout
    sys.stdout = _DropsOutputOnceClosed(stdout)
    try:
        yield
    finally:
        sys.stdout = stdout


class Parser(argparse.ArgumentParser):
    """An argument parser that raises :class:`UsageError` instead of printing and exiting."""

    def error(self, message: str) -> None:  # type: ignore[override]
        """Raise the message, without argparse's "argument " prefix, as a :class:`UsageError`."""
        command = self.prog.removeprefix("escalation").strip()
        message = message.removeprefix("argument ")
        raise UsageError(f"{command}: {message}" if command else message)


# == scenario scripts ============================================================================
def scenario_script(name: str, argv: Sequence[str] | None = None, doc: str | None = None) -> int:
    """Run one scenario against the baseline, print the findings, write figures and tables.

    The body of every script in ``scenarios/``. Options: ``--worlds N`` (default
    :data:`DEFAULT_WORLDS`), ``--quick`` (:data:`QUICK_WORLDS` worlds), ``--seed S``
    (default :data:`DEFAULT_SEED`), ``--worlds-per-draw K`` (default
    :data:`DEFAULT_WORLDS_PER_DRAW`), ``--out DIR`` (default ``results/<name>``). Writes
    ``comparison.csv``, ``summary_<scenario>.csv`` for each scenario and the figures of
    :func:`escalation.cli.report.comparison_figures`. Returns the exit code.
    """
    parser = Parser(
        prog=f"{Path(str(name)).stem}.py",
        description=doc,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_worlds_options(parser, "worlds per scenario")
    add_seed_option(parser)
    add_worlds_per_draw_option(parser)
    add_out_option(parser, "results/NAME")
    matplotlib.use("Agg")  # figures go to files; never open a window
    return user_errors(lambda: _scenario_script(name, parser.parse_args(argv), doc))


def _scenario_script(name: str, args: argparse.Namespace, doc: str | None) -> int:
    worlds = n_worlds(args)
    scenario = Scenario.load(name)
    out = check_out(args.out or Path("results") / scenario.name)
    results = run_scenarios(
        [scenario],
        worlds,
        seed=args.seed,
        keep_events=True,
        worlds_per_draw=args.worlds_per_draw,
    )
    table = compare_results(results, BASELINE)
    observed = observed_for(scenario)
    if observed is not None:
        values = observed_quantities(observed, scenario.start, scenario.end)
        table["observed"] = table["quantity"].map(values)
    if doc:
        print(doc.strip().splitlines()[0])
    print(textwrap.fill(f"{scenario.name}: {scenario.description}", width=100))
    print(
        f"{worlds} worlds per scenario, seed {args.seed}, {scenario.start} to {scenario.end}"
        + (f" (observed: the {observed_period(scenario)} record)" if observed is not None else "")
    )
    print(report.design_line(args.worlds_per_draw))
    print()
    print(report.format_table(table, BASELINE))

    def write() -> list[Path]:
        out.mkdir(parents=True, exist_ok=True)
        written = [out / "comparison.csv"]
        table.to_csv(written[0], index=False)
        for scenario_name, result in results.items():
            path = out / f"summary_{scenario_name}.csv"
            result.summary().to_csv(path, index=False)
            written.append(path)
        return written

    steps = [
        ("tables", write),
        ("figures", lambda: report.comparison_figures(results, table, out, BASELINE, observed)),
    ]
    print()
    print(report.wrote(out, report.write_outputs(steps)))
    return 0
