r"""Teacher–student depth selection (paper Figs. 9, 10; docs/math.md §10.2).

A teacher y = R ReLU(R x) with a random rotation R needs exactly one hidden layer. A spectral
student [20, H, H, 20] starts as a perceptron and is trained with an eigenvalue penalty on both
hidden layers; spectral pruning at 5 % validation tolerance then shows how many hidden layers and
nodes it recruited. An optional grid (``--study``) measures what decides whether the redundant
first hidden layer dies: width H, penalty c and training length.

Presets: ``tiny`` (seconds, for CI), ``quick`` (H = 1024, 100k points, 40 epochs and a small
layer-death grid; minutes on 2 CPU cores), ``paper`` (H = 2000, 100k + 100k points, 100 epochs, as
in the authors' code; meant for a GPU) and ``study`` (the larger layer-death grid on CPU).

The grid uses ``study_samples`` points per epoch; to look at longer training, add single longer
runs, e.g.

    sparcs reproduce teacher --preset study --study-widths 1024 --study-penalties 1e-4 \
        --study-samples 100000 --study-epochs 10,30 --out runs/teacher-study-long

Example (a few seconds):
    sparcs reproduce teacher --preset tiny --out runs/teacher-tiny
"""


from .config import PENALTY_LAYERS, PRESETS, Config
from .data import (
    linear_baseline_r2,
    make_data,
    predict,
    random_rotation,
    teacher_data,
)
from .experiment import run
from .student import eigenvalue_stats, make_student
from .study import run_study

__all__ = [
    "PENALTY_LAYERS",
    "PRESETS",
    "Config",
    "eigenvalue_stats",
    "linear_baseline_r2",
    "make_data",
    "make_student",
    "predict",
    "random_rotation",
    "run",
    "run_study",
    "teacher_data",
]
