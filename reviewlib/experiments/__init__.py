"""The notebooks' experiments: variants x seeds (:mod:`.runner`), how their results are read (:mod:`.stats`), and
longer recorded runs committed under results/ (:mod:`.record`, ``python -m reviewlib.experiments record``)."""
from .runner import BASELINE, Results, Trained, Variant, run_variants, train_variant
from .stats import ablation_summary, epochs_to_reach, format_summary, mean_sd, verdict

__all__ = ["BASELINE", "Results", "Trained", "Variant", "run_variants", "train_variant", "ablation_summary",
           "epochs_to_reach", "format_summary", "mean_sd", "verdict"]
