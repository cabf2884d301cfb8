#pragma once

#include "core/base/status.h"
#include "core/rsa/rdm.h"

#include <QString>
#include <QStringList>

#include <cstdint>
#include <vector>

namespace gyrus {

/// Model RDMs: the dissimilarity structure a hypothesis predicts, to be compared with a
/// measured RDM (seed defect 15: the seed had no explicit model RDM).

/// Categorical model of one factor: 0 between items at the same level, 1 between items at
/// different levels. `levels` has one entry per id; needs at least 2 distinct levels.
Result<Rdm> categoricalModelRdm(const QStringList &ids, const std::vector<int64_t> &levels,
                                const QString &factorName);

/// Interaction model of a 2 × 2 design: each item gets the sign of the interaction contrast
/// of its cell, c = +1 for a0b0 and a1b1, −1 for a0b1 and a1b0 (the XOR of the two factors);
/// the model is categorical on c (0 when the signs agree, 1 otherwise). Both factors need
/// exactly 2 levels.
Result<Rdm> interactionModelRdm(const QStringList &ids, const std::vector<int64_t> &levelsA,
                                const std::vector<int64_t> &levelsB);

}  // namespace gyrus
