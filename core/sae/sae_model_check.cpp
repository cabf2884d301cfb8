#include "core/sae/sae_model_check.h"

#include <QDir>

#include <algorithm>

namespace gyrus {

namespace {

// A model name without organisation, case, "-hf" and TransformerLens spellings, e.g.
// "meta-llama/Meta-Llama-3.1-8B" -> "llama-3.1-8b" and "gpt2-small" -> "gpt2".
QString normalisedModelName(QString name)
{
    name = name.trimmed().toLower();
    // A Hugging Face cache directory: models--google--gemma-2-2b.
    if (name.startsWith(QLatin1String("models--"))) {
        name = name.section(QStringLiteral("--"), -1);
    }
    name = name.section(QLatin1Char('/'), -1);
    if (name.endsWith(QLatin1String("-hf"))) {
        name.chop(3);
    }
    if (name.startsWith(QLatin1String("meta-llama-"))) {
        name.remove(0, 5);
    }
    if (name == QLatin1String("gpt2-small")) {
        return QStringLiteral("gpt2");
    }
    if (name == QLatin1String("mistral-7b-v0.1")) {
        return QStringLiteral("mistral-7b");
    }
    return name;
}

// The names a model directory goes by: its own name and, for the usual layouts, its parent's
// (hf/, model/, a snapshot hash under a cache directory).
QStringList directoryNames(const QString &modelPath)
{
    const QStringList parts = QDir::cleanPath(QDir::fromNativeSeparators(modelPath))
                                      .split(QLatin1Char('/'), Qt::SkipEmptyParts);
    return parts.mid(std::max<qsizetype>(0, parts.size() - 3));
}

bool isAttentionHeadHook(const QString &hook)
{
    return hook.endsWith(QLatin1String("hook_z"));
}

}  // namespace

bool sameModel(const QString &saeModelName, const QString &modelPath)
{
    if (saeModelName.trimmed().isEmpty()) {
        return true;
    }
    const QString wanted = normalisedModelName(saeModelName);
    for (const QString &name : directoryNames(modelPath)) {
        if (normalisedModelName(name) == wanted) {
            return true;
        }
    }
    return false;
}

SaeModelCheck checkSaeAgainstModel(const SaeInfo &sae, const ModelInfo &model)
{
    SaeModelCheck check;
    if (model.name.isEmpty()) {
        return check;
    }
    const QString source = sae.path.isEmpty() ? sae.name : QDir::toNativeSeparators(sae.path);
    if (sae.hookName.isEmpty()) {
        check.warnings << QStringLiteral(
                                  "%1: names no hook point, so it cannot be spliced into %2 "
                                  "(it still encodes activation files)")
                                  .arg(source, model.name);
    } else if (!model.hookNames.isEmpty() && !model.hookNames.contains(sae.hookName)) {
        check.errors << QStringLiteral("%1: hook_name %2 is not a hook point of %3")
                                .arg(source, sae.hookName, model.name);
    }
    if (!isAttentionHeadHook(sae.hookName) && sae.dIn != model.dModel) {
        check.errors << QStringLiteral("%1: d_in is %2 but %3 has d_model %4")
                                .arg(source)
                                .arg(sae.dIn)
                                .arg(model.name)
                                .arg(model.dModel);
    }
    if (!sameModel(sae.modelName, model.path.isEmpty() ? model.name : model.path)) {
        check.warnings << QStringLiteral(
                                  "%1: trained on %2 (cfg model_name) but the loaded model "
                                  "is %3")
                                  .arg(source, sae.modelName, model.name);
    }
    return check;
}

}  // namespace gyrus
