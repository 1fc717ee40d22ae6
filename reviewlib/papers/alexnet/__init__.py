"""The AlexNet review (Krizhevsky, Sutskever & Hinton 2012, "ImageNet Classification with Deep Convolutional Neural
Networks"; notebooks/01_alexnet), in the modules every paper package has: ``claims`` (the abstract's 60 million
parameters and 650,000 neurons, Fig. 2's neurons per layer, Sect. 3.2-3.4 and 4.1 beside our numbers), ``plan``
(what the notebook trains under each budget), ``experiments`` (the main run, the tricks of Sect. 3-4 as ablations
over seeds, Fig. 1's race), ``race`` (Fig. 1's four-layer net, ReLU against tanh), ``evaluation`` (Sect. 4.1's ten
patches, Fig. 4's nearest neighbours, Fig. 3's filters), ``exercise`` (build AlexNet yourself, and the questions at
the end), ``figures`` and ``explorer`` (the layer table made editable)."""
from . import race
from .claims import (LAYER_KEYS, LAYER_LEGEND, PAPER_AUG_FACTOR, PAPER_INPUT_DIM, PAPER_LAYER_NAMES, PAPER_NEURONS,
                     PAPER_NEURONS_K, PAPER_OWN_TOWER, PAPER_PARAMS_M, accepted_inputs, architecture_claims,
                     augmentation_factor, claims, conv1_candidates, conv_out, factorisations, lrn_check, neurons_per_layer,
                     own_tower_layers, paper_model, place_towers, pool5_by_input, pooling_comparison,
                     torchinfo_check, tower_devices, two_device_demo)
from .evaluation import (PAPER_RESULTS, PROTOCOLS, cached_torchvision_alexnet, crop_table, fc7, filter_change,
                         first_conv_towers, nearest_neighbours, neighbour_agreement, results_table, split_store)
from .exercise import (QUESTIONS, PaperAlexNet, TowerLRN, check, copy_into_answer, exercise_answer,
                       exercise_reference, reveal)
from .experiments import (ABLATION_LEGEND, EXPERIMENTS, NO_LRN, PAPER_MODEL, PLAN_LEGEND, ablation_sentences,
                          chance_level, race_reading,
                          ablation_table, ablation_variants, ablations, expected_minutes, fig1_race, gaps,
                          history_sentence, main_run, race_seeds_sentence, race_sentences, untrained)
from .explorer import AlexNetExplorer, explorer, explorer_lines
from .figures import (ablation_plot, augmentation_figure, curves_figure, filters_figure, input_size_plot,
                      neighbours_figure, race_figure, sample_photo, training_photo)
from .plan import RACE, RECORDED, RUNS, SAVE_FIGURES, plan, race_settings, recorded, save_figures

__all__ = [
    "race",
    # claims
    "LAYER_KEYS", "LAYER_LEGEND", "PAPER_AUG_FACTOR", "PAPER_INPUT_DIM", "PAPER_LAYER_NAMES", "PAPER_NEURONS",
    "PAPER_NEURONS_K", "PAPER_OWN_TOWER", "PAPER_PARAMS_M", "accepted_inputs", "architecture_claims",
    "augmentation_factor", "claims", "conv1_candidates", "conv_out", "factorisations", "lrn_check", "neurons_per_layer",
    "own_tower_layers", "paper_model", "place_towers", "pool5_by_input", "pooling_comparison", "torchinfo_check",
    "tower_devices", "two_device_demo",
    # evaluation
    "PAPER_RESULTS", "PROTOCOLS", "cached_torchvision_alexnet", "crop_table", "fc7", "filter_change",
    "first_conv_towers", "nearest_neighbours", "neighbour_agreement", "results_table", "split_store",
    # exercise
    "QUESTIONS", "PaperAlexNet", "TowerLRN", "check", "copy_into_answer", "exercise_answer", "exercise_reference",
    "reveal",
    # experiments
    "ABLATION_LEGEND", "EXPERIMENTS", "NO_LRN", "PAPER_MODEL", "PLAN_LEGEND", "ablation_sentences", "chance_level",
    "ablation_table",
    "ablation_variants", "ablations", "expected_minutes", "fig1_race", "gaps", "history_sentence", "main_run",
    "race_reading", "race_seeds_sentence", "race_sentences", "untrained",
    # explorer
    "AlexNetExplorer", "explorer", "explorer_lines",
    # figures
    "ablation_plot", "augmentation_figure", "curves_figure", "filters_figure", "input_size_plot",
    "neighbours_figure", "race_figure", "sample_photo", "training_photo",
    # plan
    "RACE", "RECORDED", "RUNS", "SAVE_FIGURES", "plan", "race_settings", "recorded", "save_figures",
]
