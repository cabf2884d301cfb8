#include "gpu/analysis/mds.h"

#include <ATen/ATen.h>

#include <cmath>

namespace gyrus::gpu {

Result<MdsEmbedding> classicalMds(const Rdm &rdm, int dimensions)
{
    const int64_t n = rdm.size();
    if (n < 2 || dimensions < 1) {
        return Status::invalidInput(
                QStringLiteral("MDS needs at least 2 items and 1 dimension, got %1 and %2")
                        .arg(n)
                        .arg(dimensions));
    }
    const std::vector<float> square = rdm.toSquare();
    const at::Tensor d =
            at::from_blob(const_cast<float *>(square.data()), {n, n}, at::kFloat).to(at::kDouble);
    // B = −½ J D² J, computed as D² minus its row and column means plus the grand mean.
    const at::Tensor d2 = d * d;
    const at::Tensor rowMean = d2.mean(1, /*keepdim=*/true);
    const at::Tensor colMean = d2.mean(0, /*keepdim=*/true);
    at::Tensor b = -0.5 * (d2 - rowMean - colMean + d2.mean());
    b = 0.5 * (b + b.t());                              // exactly symmetric for eigh
    const auto [values, vectors] = at::linalg_eigh(b);  // ascending eigenvalues
    const int kept = static_cast<int>(std::min<int64_t>(dimensions, n));
    const double *lambda = values.data_ptr<double>();
    double positive = 0.0;
    for (int64_t k = 0; k < n; ++k) {
        positive += std::max(0.0, lambda[k]);
    }
    MdsEmbedding result;
    const at::Tensor v = vectors.contiguous();
    const double *vData = v.data_ptr<double>();
    double keptSum = 0.0;
    for (int k = 0; k < dimensions; ++k) {
        std::vector<double> axis(static_cast<size_t>(n), 0.0);
        double eigenvalue = 0.0;
        if (k < kept) {
            const int64_t column = n - 1 - k;
            eigenvalue = lambda[column];
            const double scale = eigenvalue > 0.0 ? std::sqrt(eigenvalue) : 0.0;
            double largest = 0.0;
            for (int64_t i = 0; i < n; ++i) {
                axis[static_cast<size_t>(i)] = vData[i * n + column] * scale;
                if (std::abs(axis[static_cast<size_t>(i)]) > std::abs(largest)) {
                    largest = axis[static_cast<size_t>(i)];
                }
            }
            if (largest < 0.0) {
                for (double &x : axis) {
                    x = -x;
                }
            }
            keptSum += std::max(0.0, eigenvalue);
        }
        result.coordinates.push_back(std::move(axis));
        result.eigenvalues.push_back(eigenvalue);
    }
    result.explained = positive > 0.0 ? keptSum / positive : 0.0;
    return result;
}

}  // namespace gyrus::gpu
