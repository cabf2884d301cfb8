#pragma once

#include "core/base/float_matrix.h"
#include "core/base/status.h"
#include "core/contrasts/contrast_result.h"

#include <cstdint>
#include <utility>
#include <vector>

namespace gyrus::gpu {

/// Univariate contrasts over every feature (column) of an items × features table, computed as
/// batched tensor operations (float64) on the analysis device; p-values from Student's t
/// (Boost.Math) on the host. Seed defect 13 is fixed here: every result carries BH q-values.
///
/// Formulas (per feature; groups A and B, n_X items, mean m_X, unbiased variance v_X):
///   Welch t  = (m_A − m_B) / sqrt(v_A/n_A + v_B/n_B)
///   df       = (v_A/n_A + v_B/n_B)² / ((v_A/n_A)²/(n_A−1) + (v_B/n_B)²/(n_B−1))
///   p        = 2 · P(T_df > |t|)
///   Cohen's d = (m_A − m_B) / s_p, s_p² = ((n_A−1)v_A + (n_B−1)v_B) / (n_A + n_B − 2)
///   Hedges' g = d · (1 − 3 / (4(n_A + n_B − 2) − 1))
/// A feature that is constant within both groups has no defined t: t = d = g = 0, p = 1 and
/// zeroVariance is set.

struct ContrastOptions
{
    /// (item in A, item in B) pairs for the paired t test (minimal pairs, the same sentence in
    /// two conditions). Empty: no paired test.
    std::vector<std::pair<int64_t, int64_t>> pairs;
};

/// Condition A (items whose label is `labelA`) minus condition B (label `labelB`); items with
/// other labels are ignored. Needs at least 2 items in each condition; fails on non-finite
/// values naming the item and feature.
Result<ContrastResult> twoGroupContrast(const FloatMatrix &x, const std::vector<int64_t> &labels,
                                        int64_t labelA, int64_t labelB,
                                        const ContrastOptions &options = {});

/// The 2 × 2 design: `levelsA`/`levelsB` give each item's level of factors A and B (two distinct
/// values each; the smaller value is level 0). Cells k = a0b0, a0b1, a1b0, a1b1 with means m_k,
/// variances v_k and counts n_k (each >= 2). Each contrast with weights c is tested per feature
/// as a Welch-type t:
///   L = Σ c_k m_k,  SE² = Σ c_k² v_k / n_k,  t = L / SE,
///   df = SE⁴ / Σ (c_k² v_k / n_k)² / (n_k − 1)   (Welch–Satterthwaite)
///   d = L / s_p with s_p² = Σ (n_k − 1) v_k / (N − 4); g = d · (1 − 3 / (4(N − 4) − 1)).
/// main A: c = (−½, −½, +½, +½) (a1 minus a0, averaged over B); main B: c = (−½, +½, −½, +½);
/// interaction: c = (+1, −1, −1, +1) = (a1b1 − a1b0) − (a0b1 − a0b0).
Result<FactorialContrasts> factorialContrasts(const FloatMatrix &x,
                                              const std::vector<int64_t> &levelsA,
                                              const std::vector<int64_t> &levelsB);

/// Benjamini–Hochberg adjusted p-values (q), monotone in p and capped at 1.
std::vector<double> benjaminiHochberg(const std::vector<double> &p);

/// Two-sided p-value of Student's t with `df` degrees of freedom (df > 0).
double studentTwoSidedP(double t, double df);

/// The t with P(|T_df| ≤ t) = `confidence` (the half-width factor of a mean's interval); NaN
/// unless df > 0 and 0 < confidence < 1.
double studentTwoSidedCritical(double confidence, double df);

}  // namespace gyrus::gpu
