"""The study tools: layer tables, figures, claim checks, the build-it-yourself checker and the explorers."""
