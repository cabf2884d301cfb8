#include "app/cli/sae_loading.h"

#include "core/sae_model_check.h"
#include "gpu/engine/cards.h"
#include "gpu/sae/sae_io.h"

#include <cstdio>

namespace gyrus::cli {

Result<std::shared_ptr<gpu::detail::SaeModule>> loadSaeForModel(const QString &command,
                                                                const QString &path,
                                                                const gpu::LanguageModel &model,
                                                                const QString &modelDirectory,
                                                                const QString &device)
{
    Result<std::shared_ptr<gpu::detail::SaeModule>> loaded = gpu::loadSae(path, device);
    if (!loaded) {
        return loaded;
    }
    const SaeModelCheck check = checkSaeAgainstModel(gpu::saeCard(*loaded.value(), path, device),
                                                     gpu::modelCard(model.info(), modelDirectory));
    if (!check.ok()) {
        return Status::invalidInput(check.errors.join(QStringLiteral("; ")));
    }
    for (const QString &warning : check.warnings) {
        std::fprintf(stderr, "gyrus-cli %s: warning: %s\n", qPrintable(command),
                     qPrintable(warning));
    }
    return loaded;
}

}  // namespace gyrus::cli
