"""The VGG review (Simonyan & Zisserman 2014, "Very Deep Convolutional Networks for Large-Scale Image Recognition";
notebooks/03_vgg), in the modules every paper package has: ``claims`` (Tables 1-2, Sect. 2.3's 3x3 stacks, the
costs of Sect. 3, Tables 3-5 and torchvision beside our numbers), ``plan`` (what the notebook trains under each
budget), ``experiments`` (the main run, Table 3's comparisons over seeds, the test protocols of Tables 4-6),
``exercise`` (build VGG-16 yourself, and the questions at the end), ``figures`` and ``explorer`` (Table 1 made
editable)."""
from .claims import (CONFIGS, PAPER_EVAL, PAPER_PARAMS_M, SHALLOW, TABLE3, architecture_table, build_meta,
                     claims, conv_stack, crop_coverage, gap_sentence, init_std, one_by_one_rows, shallow_rows,
                     stack_comparison, stack_receptive_field, stack_sentence, torchinfo_check, torchvision_reported,
                     activation_memory, training_cost)
from .exercise import (QUESTIONS, SHORTHAND_D, VGG16Answer, check, exercise_answer, exercise_reference,
                       parse_shorthand, reveal, score_map_side)
from .experiments import (A, A_LRN, COMPARISON_LEGEND, COMPARISONS, EXPERIMENTS, FIXED, PLAN_LEGEND, WARM,
                          ablation_variants, ablations, comparison_sentences, comparison_table, expected_minutes,
                          first_layer, format_comparisons, fusion_table, group_scores, history_sentence, main_run,
                          protocol_table, test_scales, untrained, validation_images)
from .explorer import CUSTOM, VGGExplorer, blocks_to_config, config_blocks, explorer, explorer_lines
from .figures import (ablation_plot, augmentation_figure, config_chart, curves_figure, depth_plot, filters_figure,
                      protocol_plot, receptive_field_plot, sample_photo, score_map_figure, score_maps)
from .plan import RECORDED, RUNS, SAVE_FIGURES, plan, recorded, save_figures

__all__ = [
    # claims
    "CONFIGS", "PAPER_EVAL", "PAPER_PARAMS_M", "SHALLOW", "TABLE3", "architecture_table", "build_meta", "claims",
    "conv_stack", "crop_coverage", "gap_sentence", "init_std", "one_by_one_rows", "shallow_rows",
    "stack_comparison", "stack_receptive_field", "stack_sentence", "torchinfo_check", "torchvision_reported",
    "activation_memory", "training_cost",
    # exercise
    "QUESTIONS", "SHORTHAND_D", "VGG16Answer", "check", "exercise_answer", "exercise_reference", "parse_shorthand",
    "reveal", "score_map_side",
    # experiments
    "A", "A_LRN", "COMPARISON_LEGEND", "COMPARISONS", "EXPERIMENTS", "FIXED", "PLAN_LEGEND", "WARM",
    "ablation_variants", "ablations", "comparison_sentences", "comparison_table", "expected_minutes", "first_layer",
    "format_comparisons", "fusion_table", "group_scores", "history_sentence", "main_run", "protocol_table",
    "test_scales", "untrained", "validation_images",
    # explorer
    "CUSTOM", "VGGExplorer", "blocks_to_config", "config_blocks", "explorer", "explorer_lines",
    # figures
    "ablation_plot", "augmentation_figure", "config_chart", "curves_figure", "depth_plot", "filters_figure",
    "protocol_plot", "receptive_field_plot", "sample_photo", "score_map_figure", "score_maps",
    # plan
    "RECORDED", "RUNS", "SAVE_FIGURES", "plan", "recorded", "save_figures",
]
