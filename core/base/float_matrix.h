#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace gyrus {

/// A dense row-major float matrix: the plain-data form in which feature tables (items × features)
/// cross from file readers to the analysis code, with no torch in sight.
struct FloatMatrix
{
    int64_t rows = 0;
    int64_t cols = 0;
    std::vector<float> values;  ///< rows * cols, row-major

    float at(int64_t row, int64_t col) const
    {
        return values[static_cast<std::size_t>(row * cols + col)];
    }

    bool hasConsistentSize() const
    {
        return rows >= 0 && cols >= 0 && values.size() == static_cast<std::size_t>(rows * cols);
    }
};

}  // namespace gyrus
