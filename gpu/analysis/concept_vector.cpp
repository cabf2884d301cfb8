#include "gpu/analysis/concept_vector.h"

#include "gpu/engine/torch_errors.h"
#include "gpu/model/language_model.h"
#include "gpu/sae/decoder_geometry.h"
#include "gpu/sae/sae_module.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cmath>
#include <exception>

namespace gyrus::gpu {

Result<QList<int>> itemsOfSide(const PromptSet &set, const QString &side)
{
    const qsizetype equals = side.indexOf(QLatin1Char('='));
    if (equals < 0) {
        const QList<int> items = set.itemsInCondition(side);
        if (items.isEmpty()) {
            QStringList labels;
            for (const PromptCondition &condition : set.conditions()) {
                labels << condition.label;
            }
            return Status::invalidInput(
                    QStringLiteral("%1 has no condition '%2' (conditions: %3; or give "
                                   "factor=level)")
                            .arg(set.displayName(), side, labels.join(QStringLiteral(", "))));
        }
        return items;
    }
    const QString factorName = side.left(equals).trimmed();
    const QString level = side.mid(equals + 1).trimmed();
    const PromptFactor *factor = set.factor(factorName);
    if (!factor) {
        return Status::invalidInput(
                QStringLiteral("%1 has no factor '%2'").arg(set.displayName(), factorName));
    }
    if (!factor->levels.contains(level)) {
        return Status::invalidInput(QStringLiteral("factor '%1' of %2 has no level '%3' (levels: "
                                                   "%4)")
                                            .arg(factorName, set.displayName(), level,
                                                 factor->levels.join(QStringLiteral(", "))));
    }
    QList<int> items;
    for (int i = 0; i < set.items.size(); ++i) {
        if (set.items[i].levels.value(factorName) == level) {
            items << i;
        }
    }
    return items;
}

std::vector<float> meanDifference(const FloatMatrix &values, const QList<int> &rows,
                                  const QList<int> &others)
{
    std::vector<double> sum(static_cast<size_t>(values.cols), 0.0);
    const auto accumulate = [&](const QList<int> &which, double weight) {
        for (const int row : which) {
            for (int64_t c = 0; c < values.cols; ++c) {
                sum[static_cast<size_t>(c)] += weight * double(values.at(row, c));
            }
        }
    };
    accumulate(rows, 1.0 / double(rows.size()));
    accumulate(others, -1.0 / double(others.size()));
    return std::vector<float>(sum.begin(), sum.end());
}

Result<ConceptVector> conceptVector(const LanguageModel &model, const PromptSet &set,
                                    const ConceptVectorOptions &options)
{
    if (options.sae && options.sae->config().hookName != options.hookName) {
        return Status::invalidInput(
                QStringLiteral("the SAE reads %1, not the concept vector's hook %2")
                        .arg(options.sae->config().hookName, options.hookName));
    }
    Result<QList<int>> sideA = itemsOfSide(set, options.sideA);
    Result<QList<int>> sideB = itemsOfSide(set, options.sideB);
    if (!sideA || !sideB) {
        return sideA ? sideB.status() : sideA.status();
    }
    RepresentationOptions representation;
    representation.hookName = options.hookName;
    representation.pooling = options.pooling;
    representation.window = options.window;
    Result<PromptRepresentations> rows = promptRepresentations(model, set, representation);
    if (!rows) {
        return rows.status();
    }
    // Rows of the kept items (a legacy window may drop some).
    QList<int> rowsA;
    QList<int> rowsB;
    for (int row = 0; row < rows->items.size(); ++row) {
        if (sideA->contains(rows->items[row])) {
            rowsA << row;
        }
        if (sideB->contains(rows->items[row])) {
            rowsB << row;
        }
    }
    if (rowsA.isEmpty() || rowsB.isEmpty()) {
        return Status::invalidInput(QStringLiteral("'%1' has no items left to average")
                                            .arg(rowsA.isEmpty() ? options.sideA : options.sideB));
    }
    ConceptVector concept;
    concept.hook = options.hookName;
    concept.sideA = options.sideA;
    concept.sideB = options.sideB;
    concept.itemsA = int(rowsA.size());
    concept.itemsB = int(rowsB.size());
    concept.direction = meanDifference(rows->values, rowsA, rowsB);
    double squares = 0.0;
    for (const float v : concept.direction) {
        squares += double(v) * double(v);
    }
    concept.norm = std::sqrt(squares);
    if (!options.sae || concept.norm == 0.0) {
        return concept;
    }
    try {
        c10::InferenceMode guard;
        // Block by block: a float32 copy of a 262k x 2304 bf16 decoder would be 2.4 GB.
        const at::Tensor cosine = detail::decoderCosines(
                *options.sae, at::tensor(at::ArrayRef<float>(concept.direction), at::kFloat));
        const int64_t top = std::min<int64_t>(options.topFeatures, cosine.size(0));
        const auto [values, indices] = cosine.abs().topk(top);
        const at::Tensor order = indices.contiguous();
        const at::Tensor signedValues = cosine.index_select(0, order).contiguous();
        for (int64_t i = 0; i < top; ++i) {
            concept.features.push_back(
                    ConceptFeature{static_cast<int>(order.data_ptr<int64_t>()[i]),
                                   signedValues.data_ptr<float>()[i]});
        }
        return concept;
    } catch (...) {
        return statusFromException(std::current_exception());
    }
}

}  // namespace gyrus::gpu
