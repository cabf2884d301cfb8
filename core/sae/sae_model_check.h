#pragma once
// Does a loaded SAE fit the loaded model? Errors (the SAE's hook is not a hook point of the
// model, its d_in is not the hook's width) make it unusable with that model; a warning (it was
// trained on another model, by its model_name) leaves the choice to the user.

#include "core/engine/engine_types.h"

#include <QString>
#include <QStringList>

namespace gyrus {

struct SaeModelCheck
{
    QStringList errors;
    QStringList warnings;

    bool ok() const { return errors.isEmpty(); }
};

/// Checks `sae` against `model`; messages name the SAE (its path), the field and both values.
/// An empty model (no name) passes with no messages.
SaeModelCheck checkSaeAgainstModel(const SaeInfo &sae, const ModelInfo &model);

/// True when the SAE's model_name and the model directory `modelPath` name the same model, after
/// dropping organisation prefixes, case and Hugging Face cache decoration, and with the
/// TransformerLens aliases SAELens uses (gpt2-small is gpt2). An empty model_name matches.
bool sameModel(const QString &saeModelName, const QString &modelPath);

}  // namespace gyrus
