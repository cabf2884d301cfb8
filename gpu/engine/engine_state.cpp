#include "gpu/engine/engine_state.h"

#include "gpu/engine/cards.h"
#include "gpu/sae/sae_module.h"

namespace gyrus::gpu {

void EngineState::applySaeConventions()
{
    // The loaded SAE decides how text becomes tokens and whether residual hooks are centred,
    // as it was trained (SAELens prepend_bos, center_writing_weights); without one, Hugging
    // Face's behaviour.
    if (model) {
        model->setSaeConventions(sae ? saeConventions(saeInfo) : SaeConventions());
    }
}

void EngineState::setModel(std::unique_ptr<LanguageModel> loaded)
{
    model = std::move(loaded);
    applySaeConventions();
    ++modelEpoch;
    contrastMemo.reset();
    steeringBaseline = SteeringBaselineMemo();
}

void EngineState::setSae(std::shared_ptr<detail::SaeModule> loaded, const SaeInfo &info)
{
    sae = std::move(loaded);
    saeInfo = info;
    applySaeConventions();
    ++saeEpoch;
    contrastMemo.reset();
}

Status EngineState::requireModel() const
{
    if (!model) {
        return Status::invalidInput(QStringLiteral("no model loaded: open one in the Model dock"));
    }
    return Status::ok();
}

Status EngineState::requireSae(const QString &hook) const
{
    if (Status ready = requireModel(); !ready.isOk()) {
        return ready;
    }
    if (!sae) {
        return Status::invalidInput(QStringLiteral("no SAE loaded: load one in the Model dock"));
    }
    const ModelInfo info = model->info();
    const SaeConfig &config = sae->config();
    if (config.hookName.isEmpty() || !info.hookNames.contains(config.hookName)) {
        return Status::invalidInput(
                QStringLiteral("the SAE %1 reads hook '%2', which the loaded model does not have")
                        .arg(saeInfo.name, config.hookName));
    }
    if (config.dIn != info.dModel) {
        return Status::invalidInput(
                QStringLiteral("the SAE %1 reads %2-dimensional activations but the model's "
                               "d_model is %3")
                        .arg(saeInfo.name)
                        .arg(config.dIn)
                        .arg(info.dModel));
    }
    if (!hook.isEmpty() && hook != config.hookName) {
        return Status::invalidInput(
                QStringLiteral("the SAE %1 reads %2, not %3: choose its hook for SAE features")
                        .arg(saeInfo.name, config.hookName, hook));
    }
    return Status::ok();
}

}  // namespace gyrus::gpu
