"""Training: the papers' recipes, the loop, checkpoints and the command line (python -m reviewlib.train)."""
