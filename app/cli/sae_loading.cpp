#include "app/cli/sae_loading.h"

#include "core/sae/sae_model_check.h"
#include "gpu/engine/cards.h"
#include "gpu/sae/sae_io.h"

#include <cstdio>

namespace gyrus::cli {

Result<std::shared_ptr<gpu::detail::SaeModule>> loadSaeForModel(const QString &command,
                                                                const QString &path,
                                                                gpu::LanguageModel &model,
                                                                const QString &modelDirectory,
                                                                const QString &device)
{
    Result<std::shared_ptr<gpu::detail::SaeModule>> loaded = gpu::loadSae(path, device);
    if (!loaded) {
        return loaded;
    }
    const gyrus::SaeInfo card = gpu::saeCard(*loaded.value(), path, device);
    ModelInfo modelCard = model.info();
    modelCard.setPath(modelDirectory);
    const SaeModelCheck check = checkSaeAgainstModel(card, modelCard);
    if (!check.ok()) {
        return Status::invalidInput(check.errors.join(QStringLiteral("; ")));
    }
    for (const QString &warning : check.warnings) {
        std::fprintf(stderr, "gyrus-cli %s: warning: %s\n", qPrintable(command),
                     qPrintable(warning));
    }
    model.setSaeConventions(gpu::saeConventions(card));
    return loaded;
}

Result<QString> hookOrSaeHook(const QString &hook, const QString &saeDirectory)
{
    if (!hook.isEmpty()) {
        return hook;
    }
    if (saeDirectory.isEmpty()) {
        return Status::invalidInput(
                QStringLiteral("--hook is required without --sae (an SAE's cfg names its hook)"));
    }
    Result<gpu::SaeFileInfo> info = gpu::readSaeInfo(saeDirectory);
    if (!info) {
        return info.status();
    }
    if (info->config.hookName.isEmpty()) {
        return Status::invalidInput(
                QStringLiteral("%1: the SAE's configuration names no hook; give --hook")
                        .arg(saeDirectory));
    }
    return info->config.hookName;
}

}  // namespace gyrus::cli
