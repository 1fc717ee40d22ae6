"""reviewlib's performance benchmarks (issue 8). Run them all with ``python -m benchmarks`` (``--quick`` for a
sanity run); each part also runs on its own, e.g. ``python -m benchmarks.models_vs_torchvision``. Speed is never
measured in the tests; these scripts print tables and write ``benchmarks/RESULTS.md`` and ``figures/bench_*.png``."""
