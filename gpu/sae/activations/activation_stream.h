#pragma once
// The activation files' rows as the stream SAE training, evaluation and encoding read
// (torch-free header; the file format itself is gpu/sae/activations/activation_file.h).

#include "core/base/status.h"

#include <QString>

#include <cstdint>
#include <memory>

namespace gyrus::gpu {

namespace detail {
class ActivationSource;
}

/// A stream over the dataset (see detail::ShuffleOptions for the shuffle; `shuffle` false reads
/// in file order, as evaluation and encoding do).
Result<std::shared_ptr<detail::ActivationSource>> openActivationFile(const QString &path,
                                                                     const QString &dataset,
                                                                     bool shuffle, uint64_t seed);

}  // namespace gyrus::gpu
