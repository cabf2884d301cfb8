#include "core/sae/sae_config.h"

#include <QJsonObject>

#include <algorithm>

namespace gyrus {

// Checkpoints store the precision as this index (it was an enum of its own with these values).
static_assert(int(Dtype::Float32) == 0 && int(Dtype::BFloat16) == 1 && int(Dtype::Float16) == 2);

QJsonObject trainingConfigToJson(const SaeTrainingConfig &c)
{
    QJsonObject o;
    o[QStringLiteral("architecture")] = nameOf(c.sae.architecture);
    o[QStringLiteral("d_in")] = static_cast<double>(c.sae.dIn);
    o[QStringLiteral("d_sae")] = static_cast<double>(c.sae.dSae);
    o[QStringLiteral("k")] = static_cast<double>(c.sae.k);
    o[QStringLiteral("apply_b_dec_to_input")] = c.sae.applyBDecToInput;
    o[QStringLiteral("hook_name")] = c.sae.hookName;
    o[QStringLiteral("model_name")] = c.sae.modelName;
    o[QStringLiteral("batch_size")] = static_cast<double>(c.batchSize);
    o[QStringLiteral("total_tokens")] = static_cast<double>(c.totalTokens);
    o[QStringLiteral("learning_rate")] = c.learningRate;
    o[QStringLiteral("adam_beta1")] = c.adamBeta1;
    o[QStringLiteral("adam_beta2")] = c.adamBeta2;
    o[QStringLiteral("adam_epsilon")] = c.adamEpsilon;
    o[QStringLiteral("weight_decay")] = c.weightDecay;
    o[QStringLiteral("warmup_fraction")] = c.warmupFraction;
    o[QStringLiteral("decay_fraction")] = c.decayFraction;
    o[QStringLiteral("gradient_clip")] = c.gradientClip;
    o[QStringLiteral("l1_coefficient")] = c.l1Coefficient;
    o[QStringLiteral("l0_coefficient")] = c.l0Coefficient;
    o[QStringLiteral("sparsity_warmup_fraction")] = c.sparsityWarmupFraction;
    o[QStringLiteral("auxk_coefficient")] = c.auxKCoefficient;
    o[QStringLiteral("k_aux")] = static_cast<double>(c.kAux);
    o[QStringLiteral("jumprelu_bandwidth")] = c.jumpReluBandwidth;
    o[QStringLiteral("jumprelu_init_threshold")] = c.jumpReluInitThreshold;
    o[QStringLiteral("decoder_init_norm")] = c.decoderInitNorm;
    o[QStringLiteral("batchtopk_threshold_start_fraction")] = c.batchTopKThresholdStartFraction;
    o[QStringLiteral("batchtopk_threshold_beta")] = c.batchTopKThresholdBeta;
    o[QStringLiteral("dead_window_tokens")] = static_cast<double>(c.deadWindowTokens);
    o[QStringLiteral("normalisation_tokens")] = static_cast<double>(c.normalisationTokens);
    o[QStringLiteral("data_shards")] = static_cast<double>(c.dataShards);
    // The seed as a string: a double cannot hold every 64-bit value.
    o[QStringLiteral("seed")] = QString::number(c.seed);
    o[QStringLiteral("device")] = c.device;
    // The Dtype's index (float32 0, bfloat16 1, float16 2), as checkpoints always stored it.
    o[QStringLiteral("precision")] = static_cast<int>(c.precision);
    o[QStringLiteral("precision_on_cpu")] = c.precisionOnCpu;
    o[QStringLiteral("metrics_every_steps")] = static_cast<double>(c.metricsEverySteps);
    o[QStringLiteral("log_path")] = c.logPath;
    return o;
}

SaeTrainingConfig trainingConfigFromJson(const QJsonObject &o)
{
    SaeTrainingConfig c;
    c.sae.architecture = fromName<SaeArchitecture>(o[QStringLiteral("architecture")].toString())
                                 .value_or(SaeArchitecture::Relu);
    c.sae.dIn = static_cast<int64_t>(o[QStringLiteral("d_in")].toDouble());
    c.sae.dSae = static_cast<int64_t>(o[QStringLiteral("d_sae")].toDouble());
    c.sae.k = static_cast<int64_t>(o[QStringLiteral("k")].toDouble());
    c.sae.applyBDecToInput = o[QStringLiteral("apply_b_dec_to_input")].toBool();
    c.sae.hookName = o[QStringLiteral("hook_name")].toString();
    c.sae.modelName = o[QStringLiteral("model_name")].toString();
    c.batchSize = static_cast<int64_t>(o[QStringLiteral("batch_size")].toDouble());
    c.totalTokens = static_cast<int64_t>(o[QStringLiteral("total_tokens")].toDouble());
    c.learningRate = o[QStringLiteral("learning_rate")].toDouble();
    c.adamBeta1 = o[QStringLiteral("adam_beta1")].toDouble();
    c.adamBeta2 = o[QStringLiteral("adam_beta2")].toDouble();
    c.adamEpsilon = o[QStringLiteral("adam_epsilon")].toDouble();
    c.weightDecay = o[QStringLiteral("weight_decay")].toDouble();
    c.warmupFraction = o[QStringLiteral("warmup_fraction")].toDouble();
    c.decayFraction = o[QStringLiteral("decay_fraction")].toDouble();
    c.gradientClip = o[QStringLiteral("gradient_clip")].toDouble();
    c.l1Coefficient = o[QStringLiteral("l1_coefficient")].toDouble();
    c.l0Coefficient = o[QStringLiteral("l0_coefficient")].toDouble();
    c.sparsityWarmupFraction = o[QStringLiteral("sparsity_warmup_fraction")].toDouble();
    c.auxKCoefficient = o[QStringLiteral("auxk_coefficient")].toDouble();
    c.kAux = static_cast<int64_t>(o[QStringLiteral("k_aux")].toDouble());
    c.jumpReluBandwidth = o[QStringLiteral("jumprelu_bandwidth")].toDouble();
    c.jumpReluInitThreshold = o[QStringLiteral("jumprelu_init_threshold")].toDouble();
    c.decoderInitNorm = o[QStringLiteral("decoder_init_norm")].toDouble();
    c.batchTopKThresholdStartFraction =
            o[QStringLiteral("batchtopk_threshold_start_fraction")].toDouble();
    c.batchTopKThresholdBeta = o[QStringLiteral("batchtopk_threshold_beta")].toDouble();
    c.deadWindowTokens = static_cast<int64_t>(o[QStringLiteral("dead_window_tokens")].toDouble());
    c.normalisationTokens =
            static_cast<int64_t>(o[QStringLiteral("normalisation_tokens")].toDouble());
    // Checkpoints from before sharded data read as one shard.
    c.dataShards =
            std::max<int64_t>(1, static_cast<int64_t>(o[QStringLiteral("data_shards")].toDouble()));
    c.seed = o[QStringLiteral("seed")].toString().toULongLong();
    c.device = o[QStringLiteral("device")].toString();
    c.precision = static_cast<Dtype>(o[QStringLiteral("precision")].toInt());
    c.precisionOnCpu = o[QStringLiteral("precision_on_cpu")].toBool();
    c.metricsEverySteps = static_cast<int64_t>(o[QStringLiteral("metrics_every_steps")].toDouble());
    c.logPath = o[QStringLiteral("log_path")].toString();
    return c;
}

}  // namespace gyrus
