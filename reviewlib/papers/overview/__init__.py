"""The overview review (notebooks/00_overview): the three papers side by side, in the same modules as every paper
package: ``claims`` (depth, parameters, cost and reported accuracy; the papers' claims about each other),
``plan`` (the shared run under each budget), ``experiments`` (the shared run and how it is read), ``exercise``
(AlexNet with GoogLeNet's head, numbers to work out), ``figures`` and ``explorer`` (size and cost against width
and input size)."""
from .claims import (COLUMNS, KEY_COLUMNS, REPORTED_VS_OURS, claims, comparison_table, format_table, param_shares,
                     reported, reported_vs_ours, torchvision_metrics)
from .exercise import QUESTIONS, answers, check_answer, exercise_answer, exercise_scaffold, reveal
from .experiments import (EXPERIMENTS, PLAN_COLUMNS, RUN_COLUMNS, ablation_variants, describe, describe_cost,
                          expected_minutes, format_run_table, gaps, headline, main_loss, minutes_text, noise_source,
                          run_table, shared_run)
from .explorer import compare, compare_widget, explorer, scaling_plot, scaling_table
from .figures import accuracy_cost_plot, efficiency_plot, param_share_plot, training_curves_plot
from .plan import MODELS, plan, recorded, runs_with, save_figures

__all__ = ["COLUMNS", "KEY_COLUMNS", "REPORTED_VS_OURS", "claims", "comparison_table", "format_table",
           "param_shares", "reported", "reported_vs_ours", "torchvision_metrics",
           "QUESTIONS", "answers", "check_answer", "exercise_answer", "exercise_scaffold", "reveal",
           "EXPERIMENTS", "PLAN_COLUMNS", "RUN_COLUMNS", "ablation_variants", "describe", "describe_cost",
           "expected_minutes", "format_run_table", "gaps", "headline", "main_loss", "minutes_text", "noise_source",
           "run_table", "shared_run",
           "compare", "compare_widget", "explorer", "scaling_plot", "scaling_table",
           "accuracy_cost_plot", "efficiency_plot", "param_share_plot", "training_curves_plot",
           "MODELS", "plan", "recorded", "runs_with", "save_figures"]
