#include "gpu/sae/saelens_config.h"

#include <QJsonValue>

#include <cmath>

namespace gyrus::gpu::detail {

namespace {

// A field of the model side: v6 metadata first, then the top level (pre-6 layouts).
class CfgFields
{
public:
    explicit CfgFields(const QJsonObject &cfg)
        : m_cfg(cfg)
        , m_metadata(cfg.value(QStringLiteral("metadata")).isObject()
                             ? cfg.value(QStringLiteral("metadata")).toObject()
                             : cfg.value(QStringLiteral("meta")).toObject())
    {}

    QJsonValue value(const QString &key) const
    {
        const QJsonValue inner = m_metadata.value(key);
        return inner.isUndefined() || inner.isNull() ? m_cfg.value(key) : inner;
    }

    QString string(const QString &key) const
    {
        const QJsonValue v = value(key);
        return v.isString() ? v.toString() : QString();
    }

private:
    const QJsonObject &m_cfg;
    QJsonObject m_metadata;
};

Result<int64_t> positiveInteger(const QJsonValue &value, const QString &key, const QString &path)
{
    if (value.isUndefined() || value.isNull()) {
        return Status::invalidInput(QStringLiteral("%1: missing key '%2'").arg(path, key));
    }
    const double number = value.toDouble(-1);
    // Above 2^53 a JSON number is no longer an exact integer (and past 2^63 the conversion to
    // int64_t is undefined): no SAE dimension or count is anywhere near that.
    if (!value.isDouble() || number < 1 || number != std::floor(number) || number > 0x1p53) {
        return Status::invalidInput(
                QStringLiteral("%1: '%2' must be a positive integer").arg(path, key));
    }
    return static_cast<int64_t>(number);
}

// normalize_activations: a boolean before SAELens 3 (true = the April-2024 constant scale).
Result<QString> normalisationMode(const QJsonValue &value, const QString &path)
{
    if (value.isUndefined() || value.isNull()) {
        return QStringLiteral("none");
    }
    if (value.isBool()) {
        return value.toBool() ? QStringLiteral("expected_average_only_in") : QStringLiteral("none");
    }
    const QString mode = value.toString();
    for (const char *known :
         {"none", "expected_average_only_in", "constant_norm_rescale", "layer_norm"}) {
        if (mode == QLatin1String(known)) {
            return mode;
        }
    }
    return Status::invalidInput(
            QStringLiteral("%1: normalize_activations '%2' is not one of none, "
                           "expected_average_only_in, constant_norm_rescale, layer_norm")
                    .arg(path, mode));
}

Status readArchitecture(const QJsonObject &cfg, const QString &path, SaeFileInfo &info)
{
    const QString activation =
            cfg.value(QStringLiteral("activation_fn_str"))
                    .toString(cfg.value(QStringLiteral("activation_fn")).toString());
    const QJsonObject activationKwargs =
            cfg.value(QStringLiteral("activation_fn_kwargs")).toObject();
    // Before SAELens 6 there was no "architecture" key; a TopK SAE (OpenAI's GPT-2 SAEs as SAELens
    // converted them) was a "standard" one with activation_fn_str "topk".
    info.savedArchitecture =
            cfg.value(QStringLiteral("architecture")).toString(QStringLiteral("standard"));
    QString architecture = info.savedArchitecture;
    if (architecture == QLatin1String("standard") && activation == QLatin1String("topk")) {
        architecture = QStringLiteral("topk");
    }
    if (architecture == QLatin1String("standard")) {
        if (!activation.isEmpty() && activation != QLatin1String("relu")) {
            return Status::invalidInput(
                    QStringLiteral("%1: activation_fn '%2' is not supported (relu, topk)")
                            .arg(path, activation));
        }
        info.config.architecture = SaeArchitecture::Relu;
    } else if (architecture == QLatin1String("topk")) {
        info.config.architecture = SaeArchitecture::TopK;
        const QJsonValue k = cfg.contains(QStringLiteral("k"))
                                     ? cfg.value(QStringLiteral("k"))
                                     : activationKwargs.value(QStringLiteral("k"));
        Result<int64_t> parsed = positiveInteger(k, QStringLiteral("k"), path);
        if (!parsed) {
            return parsed.status();
        }
        info.config.k = parsed.value();
        info.rescaleByDecoderNorm =
                cfg.value(QStringLiteral("rescale_acts_by_decoder_norm")).toBool(false);
    } else if (architecture == QLatin1String("jumprelu") ||
               architecture == QLatin1String("batchtopk") ||
               architecture == QLatin1String("matryoshka_batchtopk")) {
        // SAELens saves BatchTopK (and Matryoshka) SAEs for inference as JumpReLU with their
        // global threshold; the loader insists on that threshold tensor.
        info.config.architecture = SaeArchitecture::JumpRelu;
    } else {
        return Status::invalidInput(
                QStringLiteral("%1: architecture '%2' is not supported (standard, topk, jumprelu, "
                               "batchtopk)")
                        .arg(path, info.savedArchitecture));
    }
    return Status::ok();
}

}  // namespace

Result<SaeFileInfo> parseSaeLensConfig(const QJsonObject &cfg, const QString &path)
{
    const CfgFields fields(cfg);
    SaeFileInfo info;
    info.config.format = QStringLiteral("saelens");
    Result<int64_t> dIn =
            positiveInteger(cfg.value(QStringLiteral("d_in")), QStringLiteral("d_in"), path);
    if (!dIn) {
        return dIn.status();
    }
    Result<int64_t> dSae =
            positiveInteger(cfg.value(QStringLiteral("d_sae")), QStringLiteral("d_sae"), path);
    if (!dSae) {
        return dSae.status();
    }
    info.config.dIn = dIn.value();
    info.config.dSae = dSae.value();
    if (Status status = readArchitecture(cfg, path, info); !status.isOk()) {
        return status;
    }
    info.config.applyBDecToInput = cfg.value(QStringLiteral("apply_b_dec_to_input")).toBool(true);
    Result<QString> mode =
            normalisationMode(cfg.value(QStringLiteral("normalize_activations")), path);
    if (!mode) {
        return mode.status();
    }
    info.normalisation = mode.value();
    if (info.normalisation == QLatin1String("constant_norm_rescale")) {
        info.config.inputNormalisation = SaeInputNormalisation::ConstantNormRescale;
    } else if (info.normalisation == QLatin1String("layer_norm")) {
        info.config.inputNormalisation = SaeInputNormalisation::LayerNorm;
    }
    const QString reshape = cfg.value(QStringLiteral("reshape_activations")).toString();
    if (!reshape.isEmpty() && reshape != QLatin1String("none") &&
        reshape != QLatin1String("hook_z")) {
        return Status::invalidInput(
                QStringLiteral("%1: reshape_activations '%2' is not supported (none, hook_z)")
                        .arg(path, reshape));
    }
    QJsonValue head = fields.value(QStringLiteral("hook_head_index"));
    if (head.isUndefined() || head.isNull()) {
        head = fields.value(QStringLiteral("hook_point_head_index"));  // before SAELens 6
    }
    if (!head.isUndefined() && !head.isNull()) {
        return Status::invalidInput(
                QStringLiteral("%1: hook_head_index %2 (an SAE on one attention head) is not "
                               "supported")
                        .arg(path)
                        .arg(head.toInt()));
    }
    info.config.hookName = fields.string(QStringLiteral("hook_name"));
    if (info.config.hookName.isEmpty()) {
        info.config.hookName = fields.string(QStringLiteral("hook_point"));
    }
    info.config.modelName = fields.string(QStringLiteral("model_name"));
    info.config.prependBos = fields.value(QStringLiteral("prepend_bos")).toBool(true);
    const QJsonObject modelKwargs =
            fields.value(QStringLiteral("model_from_pretrained_kwargs")).toObject();
    info.config.centreInput =
            modelKwargs.value(QStringLiteral("center_writing_weights")).toBool(false);
    info.finetuningScalingFactor =
            cfg.value(QStringLiteral("finetuning_scaling_factor")).toBool(false);

    const QJsonObject gyrus = cfg.value(QStringLiteral("gyrus")).toObject();
    info.trainedArchitecture = gyrus.value(QStringLiteral("trained_architecture")).toString();
    info.foldedInputScale = gyrus.value(QStringLiteral("folded_input_scale")).toDouble(1.0);
    if (info.trainedArchitecture == QLatin1String("batchtopk") &&
        info.config.architecture == SaeArchitecture::JumpRelu) {
        info.config.k = gyrus.value(QStringLiteral("k")).toInt(32);
    }
    return info;
}

}  // namespace gyrus::gpu::detail
