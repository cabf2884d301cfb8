#pragma once
// What `gyrus-cli represent` writes, read back for tests that compare another command or a gpu/
// function with it: the item × feature table and a factor's labels, and the mean difference of
// the factor's two levels (what concept-vector and concept-sweep compute their own way).

#include "core/base/float_matrix.h"
#include "core/base/status.h"

#include <QString>
#include <QStringList>

#include <cstdint>
#include <vector>

namespace gyrus::test {

struct RepresentedItems
{
    FloatMatrix features;         ///< /features [items, width]
    std::vector<int64_t> labels;  ///< /labels_<factor>: the level of each item
};

/// Runs `gyrus-cli represent` with `arguments` (model, prompts, hook or SAE, pooling ...) into a
/// temporary file and reads /features and /labels_<factor>; an error names the exit code and
/// stderr, or what could not be read.
Result<RepresentedItems> representItems(const QStringList &arguments, const QString &factor);

struct LevelDifference
{
    std::vector<double> difference;  ///< per column: mean of level 0's rows − mean of level 1's
    int rowsA = 0;                   ///< rows labelled 0
    int rowsB = 0;                   ///< rows labelled 1
};

/// Level 0 − level 1, column by column, in float64.
LevelDifference levelMeanDifference(const FloatMatrix &features,
                                    const std::vector<int64_t> &labels);

}  // namespace gyrus::test
