"""Paper-specific review helpers (claim checks, explorers, experiments) behind each notebook."""
