#pragma once
// Classical (Torgerson) multidimensional scaling of an RDM: a picture of the items' geometry in
// the plane. Torch-free.

#include "core/base/status.h"
#include "core/rsa/rdm.h"

#include <vector>

namespace gyrus::gpu {

struct MdsEmbedding
{
    /// Coordinates per item, one vector per dimension ([dimension][item]).
    std::vector<std::vector<double>> coordinates;
    std::vector<double> eigenvalues;  ///< of the kept dimensions, largest first
    /// Kept eigenvalues over the sum of the positive ones: 1 when the RDM is Euclidean in
    /// `dimensions` dimensions.
    double explained = 0.0;
};

/// Double-centres the squared dissimilarities, B = −½ J D² J (J = I − 11ᵀ/n), and returns the top
/// `dimensions` eigenvectors of B scaled by the square roots of their eigenvalues (0 where an
/// eigenvalue is not positive: a non-Euclidean RDM). The pairwise distances of the result equal
/// the RDM's when it is Euclidean in that many dimensions. Each axis' sign is fixed so that its
/// largest-magnitude coordinate is positive (deterministic output). Needs n >= 2.
Result<MdsEmbedding> classicalMds(const Rdm &rdm, int dimensions = 2);

}  // namespace gyrus::gpu
