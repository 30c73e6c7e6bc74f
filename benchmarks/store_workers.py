"""Several processes on one results store split an all-pairs study between them.

Each process runs the same ``rtdkit.pairwise(files, store=STORE, n_jobs=1)``; the store's
pair claims (leases) hand every pair to exactly one of them, and each returns the whole
matrix once all pairs are stored. Compared in the same run: one process on a fresh store,
then ``--workers`` processes started together on another fresh store, and a serial run
without a store as the reference matrix (which both must equal exactly: every pair's
subsamples come from its own seed).

    python benchmarks/store_workers.py                  # 8 representations, 2 workers
    python benchmarks/store_workers.py --workers 4 --reps 10

Times run from the moment every process has imported rtdkit and is waiting to start, to the
moment the last one has returned its matrix. The ratio can only approach the number of
workers when that many cores are free.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

WORKER = r"""
import json, os, resource, sys, time
import numpy as np
import rtdkit

def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime

files, store, go, out, options = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
reps = json.loads(files)
store = None if store == "-" else store
print("ready", flush=True)
while not os.path.exists(go):
    time.sleep(0.005)
before = cpu()
matrix = rtdkit.pairwise(reps, store=store, n_jobs=1, progress=False, **json.loads(options))
np.save(out, matrix["rtd"].to_numpy())
print(time.time(), cpu() - before, flush=True)
"""


def _study(folder: Path, n_reps: int, n_points: int, seed: int) -> dict[str, str]:
    """Representations of the same points: nonlinear images of one cloud, of varied width."""
    rng = np.random.default_rng(seed)
    base = rng.normal(size=(n_points, 16))
    files = {}
    for i in range(n_reps):
        width = 2 + (i * 5) % 15
        rep = np.tanh(base @ rng.normal(size=(16, width)) / (1 + i % 3))
        files[f"rep{i:02d}"] = str(folder / f"rep{i:02d}.npy")
        np.save(files[f"rep{i:02d}"], rep)
    return files


def _run(
    workers: int, files: dict[str, str], store: str, folder: Path, options: dict[str, object]
) -> tuple[float, list[float], list[np.ndarray]]:
    """Start ``workers`` processes and release them together; the wall time, each one's CPU
    time, and the matrices they return."""
    go = folder / f"go-{store.replace('/', '_')}-{workers}"
    outs = [folder / f"m-{workers}-{k}-{time.time_ns()}.npy" for k in range(workers)]
    arguments = [json.dumps(files), store, str(go)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, *arguments, str(out), json.dumps(options)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for out in outs
    ]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    start = time.time()
    go.touch()
    ends, cpus = [], []
    for proc in procs:
        assert proc.stdout is not None
        end, cpu = map(float, proc.stdout.readline().split())
        ends.append(end)
        cpus.append(cpu)
        if proc.wait() != 0:
            raise SystemExit(f"a worker failed (exit {proc.returncode})")
    return max(ends) - start, cpus, [np.load(out) for out in outs]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=8, help="representations (pairs: n(n-1)/2)")
    parser.add_argument("--points", type=int, default=800)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=400)
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    options = {"batch": args.batch, "trials": args.trials, "seed": args.seed}
    with tempfile.TemporaryDirectory(prefix="rtdkit-store-workers-") as tmp:
        folder = Path(tmp)
        files = _study(folder, args.reps, args.points, args.seed)
        n_pairs = args.reps * (args.reps - 1) // 2
        print(
            f"{args.reps} representations ({n_pairs} pairs) of {args.points} points, "
            f"batch={args.batch}, trials={args.trials}; {os.cpu_count()} cores"
        )
        serial_time, serial_cpu, (reference,) = _run(1, files, "-", folder, options)
        one_time, one_cpu, (one,) = _run(1, files, str(folder / "one.sqlite"), folder, options)
        many_time, many_cpu, many = _run(
            args.workers, files, str(folder / "many.sqlite"), folder, options
        )
        # What the machine allows: as many whole serial runs side by side, sharing nothing.
        # They contend for memory bandwidth and caches, so the speed-up a store can give is
        # bounded by workers * serial / this, not by the number of workers.
        side_time, _, _ = _run(args.workers, files, "-", folder, options)
    print(f"{'':28}{'wall s':>8}  CPU s per process")
    print(f"{'serial, no store':28}{serial_time:8.2f}  {serial_cpu[0]:.2f}")
    print(f"{'1 process on a store':28}{one_time:8.2f}  {one_cpu[0]:.2f}")
    shares = ", ".join(f"{c:.2f}" for c in many_cpu)
    print(f"{f'{args.workers} processes on one store':28}{many_time:8.2f}  {shares}")
    print(f"{f'{args.workers} serial runs side by side':28}{side_time:8.2f}  (no store, each all)")
    print(f"wall-time speed-up, {args.workers} processes vs 1: {one_time / many_time:.2f}x")
    ceiling = args.workers * serial_time / side_time
    print(f"this machine's ceiling for {args.workers} processes: {ceiling:.2f}x")
    print(f"largest share of the CPU work: {max(many_cpu) / one_cpu[0]:.2f} of one process's")
    same = all(np.array_equal(m, reference) for m in [one, *many])
    print(f"every matrix equals the serial one exactly: {same}")
    if not same:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
