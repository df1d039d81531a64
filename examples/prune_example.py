"""Train, read out, prune and export a small spectral network (docs/math.md §10.2 in miniature).

    python examples/prune_example.py

A [6, 32, 32, 6] student learns y = R relu(R x) for a random 6×6 orthogonal R, with λ_0 fixed
at 0 as in the paper's teacher experiment. The script prints the recruited architecture before and
after spectral pruning at 5% validation-loss tolerance, and checks the compact export.
"""

import time

import torch

import sparcs
from sparcs import SpectralNetwork, TrainConfig, fit
from sparcs.pruning import architecture_of

torch.manual_seed(0)
d = 6
rotation, _ = torch.linalg.qr(torch.randn(d, d, dtype=torch.float64))
X = torch.rand(4000, d, dtype=torch.float64) * 2 - 1
y = torch.relu(X @ rotation.T) @ rotation.T
X_train, y_train, X_val, y_val = X[:3000], y[:3000], X[3000:], y[3000:]

net = SpectralNetwork([d, 32, 32, d], dtype=torch.float64, freeze_eigenvalues=[0])
start = time.perf_counter()
fit(net, X_train, y_train, config=TrainConfig(epochs=60, batch_size=100, lr=3e-3, penalty=3e-3))
print(f"trained in {time.perf_counter() - start:.1f} s\n")
print("BEFORE pruning:")
print(architecture_of(net))
result = sparcs.prune(net, X_val, y_val, tolerance=0.05)
print("\nAFTER pruning:")
print(result.architecture)
print(
    f"\nthreshold {result.threshold:.4g}; validation MSE {result.base_loss:.4g} -> "
    f"{result.loss:.4g} (+{100 * result.relative_increase:.2f} %)"
)
print(
    f"parameters: spectral {net.num_parameters()}, compact {result.compact.num_parameters()}, "
    f"direct space with every skip {net.direct_parameters()}"
)
with torch.no_grad():
    err = (result.compact(X_val) - result.network(X_val)).abs().max()
print(f"max |compact - pruned spectral| on validation: {float(err):.2e}")
