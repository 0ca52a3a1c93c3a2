"""Mutation testing of the core modules with cosmic-ray (`make mutants`).

The modules, the tests that guard each one and the operators left out are in
pyproject.toml under [tool.cosmic-ray]. Each module gets its own cosmic-ray
session in build/mutants/, so a run can be limited to the modules named on
the command line. cosmic-ray mutates a file in place, runs the tests and puts
the file back; here it does so in a copy of the working tree
(build/mutants/tree, host/ first on PYTHONPATH so the `pendant` package comes
from the copy too), so the work tree is never left holding a mutant.

    python tools/mutants.py                      # every module in pyproject
    python tools/mutants.py firmware/power.py    # one (or a unique part: power)
    python tools/mutants.py --report power       # summarise a finished session

Prints, per module, mutants killed / run (skipped operators not counted) and
each survivor as path:line operator and the source line; the same text goes
to build/mutants/<module>.txt. Exit status 1 if a module is under its goal.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import re
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "build" / "mutants"
TREE = OUT / "tree"


def load_settings() -> dict:
    text = (ROOT / "pyproject.toml").read_text()
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: cosmic-ray brings the toml package
        import toml

        return toml.loads(text)["tool"]["cosmic-ray"]
    return tomllib.loads(text)["tool"]["cosmic-ray"]


def slug(module: str) -> str:
    return module.replace("/", "_").removesuffix(".py")


def cosmic_config(module: str, tests: list[str], settings: dict) -> str:
    """A cosmic-ray config (its own TOML format) for one module."""
    pytest = f"{sys.executable} -m pytest -x -q -p no:cacheprovider"
    excluded = ", ".join(f'"{e}"' for e in settings.get("exclude-operators", []))
    return (
        "[cosmic-ray]\n"
        f'module-path = "{module}"\n'
        f"timeout = {float(settings.get('timeout', 120))}\n"
        "excluded-modules = []\n"
        f'test-command = "{pytest} {" ".join(tests)}"\n'
        "[cosmic-ray.distributor]\n"
        'name = "local"\n'
        "[cosmic-ray.filters.operators-filter]\n"
        f"exclude-operators = [{excluded}]\n"
    )


def pick(names: list[str], modules: dict) -> list[str]:
    if not names:
        return list(modules)
    chosen = []
    for name in names:
        hits = [m for m in modules if m == name or name in m]
        if len(hits) != 1:
            sys.exit(f"error: {name!r} matches {hits or 'no module'} in [tool.cosmic-ray.modules]")
        chosen.append(hits[0])
    return chosen


def run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, cwd=TREE)
    if proc.returncode != 0:
        sys.exit(f"error: {' '.join(cmd)} failed ({proc.returncode})")


def copy_tree(dest: Path = TREE) -> None:
    """The working tree's files (tracked and new, not ignored) in dest."""
    if dest.exists():
        shutil.rmtree(dest)
    listed = subprocess.run(["git", "ls-files", "-z", "-co", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    # pendant.firmware is firmware/ (pyproject's package-dir): the same in the copy.
    (dest / "host" / "pendant" / "firmware").symlink_to(dest / "firmware")


ANNOTATION = "annotation"  # a skipped mutant's output: it was inside a type annotation


def annotation_spans(source: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """(start, end) (line, column) of every type annotation in source."""
    import ast

    spans = []
    for node in ast.walk(ast.parse(source)):
        notes = []
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            a = node.args
            notes = [x.annotation for x in (*a.posonlyargs, *a.args, *a.kwonlyargs,
                                            a.vararg, a.kwarg) if x is not None]
            notes.append(node.returns)
        elif isinstance(node, ast.AnnAssign):
            notes = [node.annotation]
        spans += [((n.lineno, n.col_offset), (n.end_lineno, n.end_col_offset))
                  for n in notes if n is not None]
    return spans


def skip_annotations(session: Path, module: str) -> None:
    """Mark the mutants inside type annotations skipped: annotations are not
    behaviour (with `from __future__ import annotations` they are never even
    evaluated), so no test can kill them. summarise() counts them apart."""
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    spans = annotation_spans((TREE / module).read_text())
    with use_db(str(session), WorkDB.Mode.open) as db:
        done = {item.job_id for item, _ in db.completed_work_items}  # operators filtered
        for item in db.work_items:
            inside = (any(a <= tuple(m.start_pos) and tuple(m.end_pos) <= b for a, b in spans)
                      for m in item.mutations)
            if item.job_id not in done and all(inside):
                db.set_result(item.job_id, WorkResult(
                    worker_outcome=WorkerOutcome.SKIPPED, output=ANNOTATION))


def summarise(module: str, session: Path) -> tuple[int, int, int, list[str], list[str]]:
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import TestOutcome, WorkerOutcome

    source = (TREE / module if (TREE / module).exists() else ROOT / module).read_text().splitlines()
    killed = total = notes = 0
    survivors: list[str] = []
    unmade: list[str] = []
    with use_db(str(session), WorkDB.Mode.open) as db:
        for item, result in db.completed_work_items:
            # cosmic-ray counts a filtered (skipped) mutant as killed: not here.
            if result.worker_outcome == WorkerOutcome.SKIPPED:
                notes += result.output == ANNOTATION
                continue
            # cosmic-ray failed to make the mutant (ExceptionReplacer on a
            # dotted name in a tuple: AttributeError), so nothing was tested:
            # neither killed nor survived, and listed apart.
            if result.worker_outcome == WorkerOutcome.EXCEPTION:
                unmade.append(f"{module}:{item.mutations[0].start_pos[0]} "
                              f"{item.mutations[0].operator_name.removeprefix('core/')}")
                continue
            total += 1
            if result.test_outcome != TestOutcome.SURVIVED:
                killed += 1
                continue
            for m in item.mutations:
                line, col = m.start_pos
                op = m.operator_name.removeprefix("core/")
                text = source[line - 1].strip() if line <= len(source) else ""
                survivors.append(f"{module}:{line}:{col} {op}  | {text}")
    survivors.sort(key=lambda s: [int(x) if x.isdigit() else x
                                  for x in re.split(r"(\d+)", s)])
    return killed, total, notes, survivors, unmade


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("modules", nargs="*", help="modules from [tool.cosmic-ray.modules]")
    ap.add_argument("--report", action="store_true", help="only summarise existing sessions")
    args = ap.parse_args()
    settings = load_settings()
    modules = settings["modules"]
    goal = float(settings.get("goal", 90))
    OUT.mkdir(parents=True, exist_ok=True)
    below = False
    bin_dir = Path(sys.executable).parent
    chosen = pick(args.modules, modules)
    if not args.report:
        # One run at a time: a second one would replace the tree under the first.
        lock = open(OUT / ".lock", "w")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            sys.exit("error: another tools/mutants.py run is using build/mutants")
        copy_tree()
        os.environ["PYTHONPATH"] = str(TREE / "host")
    for module in chosen:
        session = OUT / (slug(module) + ".sqlite")
        if not args.report:
            config = OUT / (slug(module) + ".toml")
            config.write_text(cosmic_config(module, modules[module], settings))
            session.unlink(missing_ok=True)
            env_py = str(bin_dir / "cosmic-ray")
            run([env_py, "init", str(config), str(session)])
            run([str(bin_dir / "cr-filter-operators"), str(session), str(config)])
            skip_annotations(session, module)
            run([env_py, "baseline", str(config)])  # the tests must pass unmutated
            run([env_py, "exec", str(config), str(session)])
        if not session.exists():
            sys.exit(f"error: no session for {module}: run without --report first")
        killed, total, notes, survivors, unmade = summarise(module, session)
        rate = 100.0 * killed / total if total else 0.0
        day = datetime.now(timezone.utc).date().isoformat()
        head = f"{module}: {killed} of {total} mutants killed ({rate:.1f}%), {day}"
        if notes:
            head += (f"; {notes} in type annotations not run (counted as survivors: "
                     f"{killed} of {total + notes}, {100.0 * killed / (total + notes):.1f}%)")
        text = "\n".join([head] + ["  survived: " + s for s in survivors]
                         + ["  not made (cosmic-ray failed, not counted): " + u for u in unmade])
        (OUT / (slug(module) + ".txt")).write_text(text + "\n")
        print(text, flush=True)
        below |= rate < goal
    return 1 if below else 0


if __name__ == "__main__":
    os.environ["PYTHONDONTWRITEBYTECODE"] = "1"  # a stale .pyc must never hide a mutant
    sys.exit(main())
