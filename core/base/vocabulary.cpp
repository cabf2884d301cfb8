#include "core/base/vocabulary.h"

#include <QCoreApplication>

namespace gyrus {

QString vocabularyLabel(const char *label)
{
    return QCoreApplication::translate("gyrus::Vocabulary", label);
}

const Vocabulary<Pooling> &vocabularyOf(Pooling)
{
    static const Vocabulary<Pooling> vocabulary{
            "pooling",
            {{Pooling::LastToken, "last", QT_TRANSLATE_NOOP("gyrus::Vocabulary", "Last token")},
             {Pooling::Mean, "mean", QT_TRANSLATE_NOOP("gyrus::Vocabulary", "Mean over tokens")},
             {Pooling::TargetWindow, "target",
              QT_TRANSLATE_NOOP("gyrus::Vocabulary", "Target ± window")},
             {Pooling::LegacyCentred, "legacy-centred",
              QT_TRANSLATE_NOOP("gyrus::Vocabulary", "Legacy centred window")},
             {Pooling::LegacyLeftFirst, "legacy-left-first",
              QT_TRANSLATE_NOOP("gyrus::Vocabulary", "Legacy left-first window")},
             {Pooling::Window, "window",
              QT_TRANSLATE_NOOP("gyrus::Vocabulary", "Aligned window (time courses)")}},
            {}};
    return vocabulary;
}

const Vocabulary<WindowAlignment> &vocabularyOf(WindowAlignment)
{
    static const Vocabulary<WindowAlignment> vocabulary{
            "window alignment",
            {{WindowAlignment::Left, "left",
              QT_TRANSLATE_NOOP("gyrus::Vocabulary", "From the first token")},
             {WindowAlignment::Target, "target",
              QT_TRANSLATE_NOOP("gyrus::Vocabulary", "From the target")}},
            {}};
    return vocabulary;
}

const Vocabulary<RdmMetric> &vocabularyOf(RdmMetric)
{
    static const Vocabulary<RdmMetric> vocabulary{
            "RDM metric",
            {{RdmMetric::Correlation, "correlation",
              QT_TRANSLATE_NOOP("gyrus::Vocabulary", "Correlation")},
             {RdmMetric::Cosine, "cosine", QT_TRANSLATE_NOOP("gyrus::Vocabulary", "Cosine")},
             {RdmMetric::Euclidean, "euclidean",
              QT_TRANSLATE_NOOP("gyrus::Vocabulary", "Euclidean")},
             {RdmMetric::SquaredEuclidean, "sqeuclidean",
              QT_TRANSLATE_NOOP("gyrus::Vocabulary", "Squared Euclidean")}},
            {}};
    return vocabulary;
}

const Vocabulary<RsaMethod> &vocabularyOf(RsaMethod)
{
    static const Vocabulary<RsaMethod> vocabulary{
            "RDM comparison method",
            {{RsaMethod::Spearman, "spearman",
              QT_TRANSLATE_NOOP("gyrus::Vocabulary", "Spearman ρ")},
             {RsaMethod::KendallTauA, "kendall_tau_a",
              QT_TRANSLATE_NOOP("gyrus::Vocabulary", "Kendall τₐ")},
             {RsaMethod::Pearson, "pearson", QT_TRANSLATE_NOOP("gyrus::Vocabulary", "Pearson r")}},
            {}};
    return vocabulary;
}

const Vocabulary<RsaAlternative> &vocabularyOf(RsaAlternative)
{
    static const Vocabulary<RsaAlternative> vocabulary{
            "alternative",
            {{RsaAlternative::Greater, "greater",
              QT_TRANSLATE_NOOP("gyrus::Vocabulary", "greater (one-sided)")},
             {RsaAlternative::TwoSided, "two-sided",
              QT_TRANSLATE_NOOP("gyrus::Vocabulary", "two-sided")}},
            {}};
    return vocabulary;
}

const Vocabulary<SelectionMethod> &vocabularyOf(SelectionMethod)
{
    static const Vocabulary<SelectionMethod> vocabulary{
            "selection method",
            {{SelectionMethod::MeanDifference, "mean-difference",
              QT_TRANSLATE_NOOP("gyrus::Vocabulary", "mean difference")},
             {SelectionMethod::Univariate, "univariate",
              QT_TRANSLATE_NOOP("gyrus::Vocabulary", "univariate")},
             {SelectionMethod::PooledSeparationR, "pooled-separation-r",
              QT_TRANSLATE_NOOP("gyrus::Vocabulary", "pooled separation r")},
             {SelectionMethod::PooledSeparationD, "pooled-separation-d",
              QT_TRANSLATE_NOOP("gyrus::Vocabulary", "pooled separation d")},
             {SelectionMethod::SeedMaxActivation, "seed-max-activation",
              QT_TRANSLATE_NOOP("gyrus::Vocabulary", "seed max activation")},
             {SelectionMethod::TemporalDiscriminativeRsa, "temporal-discriminative-rsa",
              QT_TRANSLATE_NOOP("gyrus::Vocabulary", "temporal discriminative")},
             {SelectionMethod::TemporalCategoricalRsa, "temporal-categorical-rsa",
              QT_TRANSLATE_NOOP("gyrus::Vocabulary", "temporal categorical")},
             {SelectionMethod::SeedTemporalDiscriminativeRsa, "seed-temporal-discriminative-rsa",
              QT_TRANSLATE_NOOP("gyrus::Vocabulary", "seed temporal discriminative")},
             {SelectionMethod::SeedTemporalCategoricalRsa, "seed-temporal-categorical-rsa",
              QT_TRANSLATE_NOOP("gyrus::Vocabulary", "seed temporal categorical")},
             {SelectionMethod::FeatureSetRsa, "feature-set-rsa",
              QT_TRANSLATE_NOOP("gyrus::Vocabulary", "feature set RSA")}},
            // Scripts and workspaces written before the scores were named for what they compute.
            {{SelectionMethod::MeanDifference, "max-activation"},
             {SelectionMethod::PooledSeparationR, "discriminative-rsa"},
             {SelectionMethod::PooledSeparationD, "categorical-rsa"}}};
    return vocabulary;
}

const Vocabulary<SaeArchitecture> &vocabularyOf(SaeArchitecture)
{
    // The CLI's spelling is also what the SAE training dock shows.
    static const Vocabulary<SaeArchitecture> vocabulary{
            "SAE architecture",
            {{SaeArchitecture::Relu, "relu", "relu"},
             {SaeArchitecture::TopK, "topk", "topk"},
             {SaeArchitecture::BatchTopK, "batchtopk", "batchtopk"},
             {SaeArchitecture::JumpRelu, "jumprelu", "jumprelu"}},
            {{SaeArchitecture::Relu, "standard"}},  // SAELens' name for the April recipe
            true};
    return vocabulary;
}

const Vocabulary<SaeInputNormalisation> &vocabularyOf(SaeInputNormalisation)
{
    // cfg.json's spelling (SAELens normalize_activations).
    static const Vocabulary<SaeInputNormalisation> vocabulary{
            "input normalisation",
            {{SaeInputNormalisation::None, "none", QT_TRANSLATE_NOOP("gyrus::Vocabulary", "none")},
             {SaeInputNormalisation::ConstantNormRescale, "constant_norm_rescale",
              QT_TRANSLATE_NOOP("gyrus::Vocabulary", "constant norm rescale")},
             {SaeInputNormalisation::LayerNorm, "layer_norm",
              QT_TRANSLATE_NOOP("gyrus::Vocabulary", "layer norm")}},
            {}};
    return vocabulary;
}

const Vocabulary<Dtype> &vocabularyOf(Dtype)
{
    // The short names are what model cards, `gyrus-cli info` and workspaces write; the long ones
    // (config.json's torch_dtype spelling) are what the Model dock shows and still read.
    static const Vocabulary<Dtype> vocabulary{
            "dtype",
            {{Dtype::Float32, "fp32", "float32"},
             {Dtype::BFloat16, "bf16", "bfloat16"},
             {Dtype::Float16, "fp16", "float16"},
             {Dtype::BFloat16Autocast, "bf16-autocast", "bfloat16 autocast"}},
            {{Dtype::Float32, "float32"},
             {Dtype::Float32, "f32"},
             {Dtype::BFloat16, "bfloat16"},
             {Dtype::Float16, "float16"},
             {Dtype::Float16, "half"}},
            true};
    return vocabulary;
}

bool isTemporalMethod(SelectionMethod method)
{
    return method == SelectionMethod::TemporalDiscriminativeRsa ||
           method == SelectionMethod::TemporalCategoricalRsa ||
           method == SelectionMethod::SeedTemporalDiscriminativeRsa ||
           method == SelectionMethod::SeedTemporalCategoricalRsa;
}

bool isPooledMethod(SelectionMethod method)
{
    // The first five values; gpu/analysis/pooled_selection.h indexes its score array by them.
    return static_cast<int>(method) <= static_cast<int>(SelectionMethod::SeedMaxActivation);
}

QStringList pooledSelectionMethodNames()
{
    QStringList names;
    for (SelectionMethod method : valuesOf<SelectionMethod>()) {
        if (isPooledMethod(method)) {
            names << nameOf(method);
        }
    }
    return names;
}

}  // namespace gyrus
