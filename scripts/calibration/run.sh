#!/usr/bin/env bash
# Calibration of the decision-fidelity analysis (issue 6).
#  1. Null: datasets with no outcome effect; the one-sided permutation test at alpha = 0.05 must reject 3%-7%.
#  2. Planted: Delta = 0.3 at n = 374 (181 not converted, 193 converted); the 95% bootstrap CI must cover 0.3
#     in >= 93% of datasets.
# Every dataset goes through the full analysis (DecisionFidelityAnalysis.Analyze, all endpoints) with the
# production resampling counts. Generator: src/Dfid/Analysis/SyntheticProbeTable.cs (per-probe D = B + J,
# B in {-1,0,1} w.p. 1/4,1/2,1/4, J ~ Bernoulli(q); q = 0.1 for converters, 0.1 + Delta for non-converters).
# Usage: scripts/calibration/run.sh [datasets=1000] [permutations=20000] [bootstrap=10000]
# Exit code 1 when a criterion fails. Figures are recorded in docs/performance.md ("## Analysis (issue 6)").
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet run -c Release --project bench/Dfid.Bench -- calibration "${1:-1000}" "${2:-20000}" "${3:-10000}"
