"""Re-run the survivors of a finished `tools/mutants.py` session against the
module's guard tests as they are now (pyproject.toml [tool.cosmic-ray.modules]).

A full run takes tens of minutes a module on this 2-core machine; after tests
are added for its survivors, only those mutants can change outcome (the
killed ones stay killed while the module's code is unchanged). Each survivor
is applied with `cosmic-ray apply` to a fresh copy of the work tree
(build/mutants/recheck), the guard tests are run as cosmic-ray runs them, and
the file is put back.

    python tools/mutants_recheck.py firmware/ricecodec.py

Prints each survivor as KILLED (with the first failing test) or survived, and
the module's rate with the first run's killed added; the same text goes to
build/mutants/<module>.recheck.txt.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import mutants


def main() -> int:
    if len(sys.argv) != 2:
        sys.exit("usage: python tools/mutants_recheck.py MODULE")
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import TestOutcome, WorkerOutcome

    settings = mutants.load_settings()
    module = mutants.pick([sys.argv[1]], settings["modules"])[0]
    tests = settings["modules"][module]
    session = mutants.OUT / (mutants.slug(module) + ".sqlite")
    if not session.exists():
        sys.exit(f"error: no session for {module}: run tools/mutants.py {module} first")
    tree = mutants.OUT / "recheck"
    mutants.copy_tree(tree)
    env = dict(os.environ, PYTHONPATH=str(tree / "host"), PYTHONDONTWRITEBYTECODE="1")
    bin_dir = Path(sys.executable).parent
    original = (tree / module).read_text()
    lines = original.splitlines()
    with use_db(str(session), WorkDB.Mode.open) as db:
        done = [(item, result) for item, result in db.completed_work_items
                if result.worker_outcome != WorkerOutcome.SKIPPED]
    survivors = sorted((item for item, result in done
                        if result.test_outcome == TestOutcome.SURVIVED),
                       key=lambda item: (item.mutations[0].start_pos, item.mutations[0].occurrence))
    out = []
    still = 0
    for item in survivors:
        m = item.mutations[0]
        subprocess.run([str(bin_dir / "cosmic-ray"), "apply", module, m.operator_name,
                        str(m.occurrence)], cwd=tree, check=True, capture_output=True)
        mutated = (tree / module).read_text()
        try:
            proc = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p",
                                   "no:cacheprovider", *tests], cwd=tree, env=env,
                                  capture_output=True, text=True,
                                  timeout=float(settings.get("timeout", 120)))
            killed = proc.returncode != 0
            failed = next((x.split(" - ")[0] for x in proc.stdout.splitlines()
                           if x.startswith("FAILED")), "")
        except subprocess.TimeoutExpired:
            killed, failed = True, "timeout"
        finally:
            (tree / module).write_text(original)
        line, col = m.start_pos
        new = next((b for a, b in zip(lines, mutated.splitlines(), strict=False) if a != b), "")
        still += not killed
        mark = "KILLED  " if killed else "survived"
        out.append(f"  {mark} {module}:{line}:{col} {m.operator_name.removeprefix('core/')}"
                   f"  | {new.strip()}  {failed}")
        print(out[-1], flush=True)
    total = len(done)
    killed_now = total - still
    head = (f"{module}: {killed_now} of {total} mutants killed ({100.0 * killed_now / total:.1f}%)"
            f" after re-running its {len(survivors)} survivors")
    print(head)
    (mutants.OUT / (mutants.slug(module) + ".recheck.txt")).write_text(
        "\n".join([head] + out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
