"""The GoogLeNet review (Szegedy et al. 2014, "Going Deeper with Convolutions"; notebooks/02_googlenet), in the
modules every paper package has: ``claims`` (Table 1 and the claims of Sect. 1 and 5 beside our numbers),
``plan`` (what the notebook trains under each budget), ``experiments`` (the main run, the ablations of Sect. 4-5,
Table 3 of Sect. 7), ``exercise`` (build it yourself, and the questions at the end), ``figures`` and ``explorer``
(one Inception module, branch by branch, Sect. 4)."""
from ...nets import INCEPTION_ROWS
from .claims import (LAYER_LEGEND, PAPER_CLAIMS, PAPER_TABLE1, TABLE1_LEGEND, aux_table, claims, conv1_candidates,
                     format_table1, head_comparison, paper_model, table1_reproduction, table1_totals,
                     torchinfo_check, variant_comparison)
from .exercise import (QUESTIONS, AnswerInception, answer_inception, aux_reference, exercise_answer,
                       exercise_reference, inception_reference, naive_reference, opened, reveal,
                       smallest_input_for_aux)
from .experiments import (ABLATION_MODEL, BASE, EXPERIMENTS, FC_HEAD, NAIVE, NO_AUX, PAPER_TABLE2, PAPER_TABLE3,
                          PLAN_LEGEND, SCORE, SCORE_LABEL, TABLE3_LEGEND, ablation_variants, ablations,
                          batches_per_epoch, crop_predictions, expected_minutes, main_run, naive_run, step_costs,
                          summarize, table2, table3, untrained, validation_images)
from .explorer import (DESIGNS, NAIVE_LEGEND, branch_costs, branches_figure, explorer, inception_cost,
                       naive_inception_cost, naive_vs_reduced, readout)
from .figures import (ablation_plot, augmentation_figure, filter_reading, filter_words, filters_figure,
                      loss_reading, losses_plot, naive_vs_reduced_plot, sample_photo, table3_plot)
from .plan import RECORDED, RUNS, SAVE_FIGURES, plan, recorded, save_figures

__all__ = [
    "INCEPTION_ROWS",
    # claims
    "LAYER_LEGEND", "PAPER_CLAIMS", "PAPER_TABLE1", "TABLE1_LEGEND", "aux_table", "claims", "conv1_candidates",
    "format_table1", "head_comparison", "paper_model", "table1_reproduction", "table1_totals", "torchinfo_check",
    "variant_comparison",
    # exercise
    "QUESTIONS", "AnswerInception", "answer_inception", "aux_reference", "exercise_answer", "exercise_reference",
    "inception_reference", "naive_reference", "opened", "reveal", "smallest_input_for_aux",
    # experiments
    "ABLATION_MODEL", "BASE", "EXPERIMENTS", "FC_HEAD", "NAIVE", "NO_AUX", "PAPER_TABLE2", "PAPER_TABLE3",
    "PLAN_LEGEND", "SCORE", "SCORE_LABEL", "TABLE3_LEGEND", "ablation_variants", "ablations", "batches_per_epoch",
    "crop_predictions", "expected_minutes", "main_run", "naive_run", "step_costs", "summarize", "table2", "table3",
    "untrained", "validation_images",
    # explorer
    "DESIGNS", "NAIVE_LEGEND", "branch_costs", "branches_figure", "explorer", "inception_cost",
    "naive_inception_cost", "naive_vs_reduced", "readout",
    # figures
    "ablation_plot", "augmentation_figure", "filter_reading", "filter_words", "filters_figure", "loss_reading",
    "losses_plot", "naive_vs_reduced_plot", "sample_photo", "table3_plot",
    # plan
    "RECORDED", "RUNS", "SAVE_FIGURES", "plan", "recorded", "save_figures",
]
