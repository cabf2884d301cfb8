#pragma once
// Loading an SAE next to a model on the command line: the checks the engine makes in the GUI.

#include "core/base/status.h"
#include "gpu/model/language_model.h"

#include <QString>

#include <memory>

namespace gyrus::gpu::detail {
class SaeModule;
}

namespace gyrus::cli {

/// Loads the SAE at `path` onto `device` and checks it against `model` loaded from
/// `modelDirectory`: a hook that is not one of the model's or a d_in other than the hook's width
/// is an error (InvalidInput, exit 2); a different model_name is a warning printed on stderr as
/// "gyrus-cli <command>: warning: ...".
///
/// The model then follows the SAE's conventions (LanguageModel::setSaeConventions): BOS first
/// or not as its prepend_bos says, residual hooks centred when it was trained on
/// TransformerLens-processed weights.
Result<std::shared_ptr<gpu::detail::SaeModule>> loadSaeForModel(
        const QString &command, const QString &path, gpu::LanguageModel &model,
        const QString &modelDirectory, const QString &device = QStringLiteral("cpu"));

/// The hook an analysis reads: `hook` when the user gave one, otherwise the hook the SAE at
/// `saeDirectory` was trained on (its cfg.json), so that a study's SAE decides where raw and SAE
/// analyses read. An error names what is missing when neither says.
Result<QString> hookOrSaeHook(const QString &hook, const QString &saeDirectory);

}  // namespace gyrus::cli
