"""Training: the papers' recipes and the loop that follows them.

* :mod:`.recipes` -- each paper's recipe as data, scaled to shorter runs; :mod:`.init` -- the initialisations;
  :mod:`.sgd` -- AlexNet's update rule vs ``torch.optim.SGD``; :mod:`.ema` -- Polyak averaging (GoogLeNet).
* :mod:`.loop` -- ``fit()``, one flat loop; beside it :mod:`.state` (the resume state), :mod:`.checkpoint`
  (atomic files), :mod:`.distributed` (torchrun), :mod:`.interrupt` (Ctrl-C), :mod:`.liveplot`.
* :mod:`.run` -- ``Run``, one named run of a notebook; :mod:`.cli` -- ``python -m reviewlib.train``.
"""
