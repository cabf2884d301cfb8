#pragma once
// The analysis vocabulary shared by the UI, the CLI and the engine: each choice is an enum with
// one table of names (what files, the CLI and JSON say), labels (what the GUI shows) and older
// names still read. Requests carry these enums; text becomes an enum once, where it enters
// (a CLI argument, a workspace file), and an unknown name fails there, naming the valid ones.

#include "core/base/status.h"

#include <QString>
#include <QStringList>

#include <optional>
#include <vector>

namespace gyrus {

/// How the tokens of an item become one vector. Positions count with BOS at 0.
enum class Pooling
{
    LastToken,     ///< the last token
    Mean,          ///< the mean over the item's tokens, BOS excluded (nothing padded)
    TargetWindow,  ///< the mean over the tokens overlapping the item's target, ± window tokens
    /// The original project's centred window (seed_pipeline.md §4.1): r tokens without BOS,
    /// m = r/2 + 1, positions [m − D, m + D]; items with m − D < 0 or m + D ≥ length are dropped.
    /// Kept for comparison with the seed's numbers; flagged legacy.
    LegacyCentred,
    /// The original project's left-first window (§4.2): positions [1, min(1 + D, length)),
    /// zero-padded in residual space to D rows (SAE features are computed on the padding too, as
    /// the seed did), then averaged over D rows. Reproduces the seed's defect on purpose; legacy.
    /// `patterns` holds the D rows of every item, all masked in (the seed's temporal RSA input).
    LegacyLeftFirst,
    /// No pooling: each item's aligned window of `window` positions (PromptRepresentations::
    /// patterns), padding masked out; `values` holds each item's mean over its real positions.
    Window,
};

/// Where an item's window starts (Pooling::Window).
enum class WindowAlignment
{
    Left,    ///< at the first token after BOS: positions [1, 1 + window)
    Target,  ///< at the first token of the item's target: positions [first, first + window)
};

/// Dissimilarity between two stimulus patterns (gpu/analysis/rdm_compute.h has the formulas).
enum class RdmMetric
{
    Correlation,
    Cosine,
    Euclidean,
    SquaredEuclidean,
};

/// How two RDMs are compared: a correlation of their upper triangles.
enum class RsaMethod
{
    Spearman,     ///< Pearson on average ranks (ties get the mean of their ranks, as scipy)
    KendallTauA,  ///< (concordant − discordant) / (n_pairs choose 2); ties count 0
    Pearson,
};

/// Which side of the permutation null an RSA p-value counts as at least as extreme.
enum class RsaAlternative
{
    Greater,   ///< r_perm >= r: the correlation is above chance (one-sided)
    TwoSided,  ///< |r_perm| >= |r|
};

/// How features are scored for the A/B distinction, on one pooled value per item and feature
/// (gpu/analysis/feature_selection.h computes them). "max-activation", "discriminative-rsa" and
/// "categorical-rsa", the names three scores had before they were named for what they compute, are
/// still read.
enum class SelectionMethod
{
    /// |mean_A − mean_B|: how much the mean activation differs between the conditions (the
    /// corrected max-activation contrast).
    MeanDifference,
    /// |Welch t| of the feature between the conditions.
    Univariate,
    /// Pooled separation, correlation form: the Pearson correlation, over item pairs i < j,
    /// between the pooled distance d_ij = |x_i − x_j| and the model m_ij = [label_i ≠ label_j]
    /// (a point-biserial correlation). Not an RSA of patterns: each item is one number.
    PooledSeparationR,
    /// Pooled separation, standardised form:
    ///   (D̄_between − ½(D̄_within,A + D̄_within,B)) / s_pooled,
    /// with D̄ the mean of d_ij = |x_i − x_j| over between-condition pairs and over the pairs
    /// within each condition (each condition's homogeneity weighs the same whatever its size),
    /// and s_pooled the pooled SD of the between and within distances. 0 when the feature is
    /// constant. On a balanced design (n_A = n_B) it is a strictly increasing function of
    /// PooledSeparationR, so both rank features identically (docs/method_comparison.md).
    PooledSeparationD,
    /// The original project's max-activation selection (seed_pipeline.md §8.4): the largest
    /// pooled activation over all items of both conditions, blind to the condition.
    SeedMaxActivation,
    /// Temporal RSA with the discriminative model (temporal_rsa.h): the items' time courses
    /// over an aligned token window are the patterns. Needs a TemporalTable.
    TemporalDiscriminativeRsa,
    /// Temporal RSA with the categorical model: positive when condition A's (label 0) time
    /// courses are more coherent than B's. Needs a TemporalTable.
    TemporalCategoricalRsa,
    /// The original project's "discriminative RSA" (seed_pipeline.md §8.3), reproduced to show
    /// what the fixes change: Pearson r between items' whole windows (padding included),
    /// z = arctanh(1 − r) with every r ≤ 0 dropped, Student's t of z within the first condition
    /// against z between, z-scored over features. Positive t means the first condition is LESS
    /// coherent (the seed's sign). Needs a TemporalTable.
    SeedTemporalDiscriminativeRsa,
    /// The original project's "categorical RSA": the same with z within the second condition in
    /// place of z between.
    SeedTemporalCategoricalRsa,
    /// Multivariate feature-set RSA (feature_set_rsa.h): the k features are chosen together,
    /// greedily, for the match of their joint pooled-pattern RDM with the discriminative model.
    /// Selects a set rather than scoring features one at a time.
    FeatureSetRsa,
};

/// True for the methods that need each item's aligned token window (a TemporalTable).
bool isTemporalMethod(SelectionMethod method);

/// True for the methods that score pooled values one feature at a time.
bool isPooledMethod(SelectionMethod method);

enum class SaeArchitecture
{
    Relu,       ///< Anthropic April 2024: ReLU, decoder-norm-weighted L1 ("standard" in SAELens)
    TopK,       ///< Gao et al. 2024: per-token top-k, AuxK for dead latents
    BatchTopK,  ///< Bussmann et al. 2024: top k·B over the batch; exported as JumpReLU with θ
    JumpRelu,   ///< Rajamanoharan et al. 2024: per-latent threshold, L0 penalty (STE)
};

/// A per-token transform SAELens applies to the input before encoding and undoes after decoding
/// (cfg.json normalize_activations). A constant scale ("expected_average_only_in") is folded into
/// the weights at load instead.
enum class SaeInputNormalisation
{
    None,
    /// x·√d_in/‖x‖ in, the inverse out (Anthropic February 2024; mistral-7b-res-wg).
    ConstantNormRescale,
    /// (x − mean)/(std + 1e−5) in with the unbiased std over d_in, x̂·std + mean out (the OpenAI
    /// GPT-2 TopK SAEs as SAELens converts them).
    LayerNorm,
};

/// The numeric type a model computes in. Its weights are held in that type, except with
/// BFloat16Autocast: float32 weights, norms and residual stream, the matmuls in bf16 under torch's
/// autocast (the mixed precision of training recipes).
enum class Dtype
{
    Float32,
    BFloat16,
    Float16,
    BFloat16Autocast,
};

/// One row of an enum's table.
template <typename E>
struct VocabularyEntry
{
    E value;
    const char *name;   ///< files, CLI, JSON
    const char *label;  ///< the GUI (translated in the "gyrus::Vocabulary" context)
};

/// An older name that still reads as `value`.
template <typename E>
struct VocabularyAlias
{
    E value;
    const char *name;
};

/// An enum's table: what the choice is called ("pooling"), its entries in the order help texts
/// and combo boxes list them, and the older names.
template <typename E>
struct Vocabulary
{
    const char *what;
    std::vector<VocabularyEntry<E>> entries;
    std::vector<VocabularyAlias<E>> aliases;
    bool caseInsensitive = false;  ///< cfg.json files write "TopK" as well as "topk"
};

// One table per enum; the argument only selects the overload.
const Vocabulary<Pooling> &vocabularyOf(Pooling);
const Vocabulary<WindowAlignment> &vocabularyOf(WindowAlignment);
const Vocabulary<RdmMetric> &vocabularyOf(RdmMetric);
const Vocabulary<RsaMethod> &vocabularyOf(RsaMethod);
const Vocabulary<RsaAlternative> &vocabularyOf(RsaAlternative);
const Vocabulary<SelectionMethod> &vocabularyOf(SelectionMethod);
const Vocabulary<SaeArchitecture> &vocabularyOf(SaeArchitecture);
const Vocabulary<SaeInputNormalisation> &vocabularyOf(SaeInputNormalisation);
const Vocabulary<Dtype> &vocabularyOf(Dtype);

QString vocabularyLabel(const char *label);

/// The name files, the CLI and JSON use ("mean", "kendall_tau_a", "pooled-separation-d").
template <typename E>
QString nameOf(E value)
{
    for (const VocabularyEntry<E> &entry : vocabularyOf(E{}).entries) {
        if (entry.value == value) {
            return QString::fromLatin1(entry.name);
        }
    }
    return QString();
}

/// What the GUI shows ("Mean over tokens", "Kendall τₐ").
template <typename E>
QString labelOf(E value)
{
    for (const VocabularyEntry<E> &entry : vocabularyOf(E{}).entries) {
        if (entry.value == value) {
            return vocabularyLabel(entry.label);
        }
    }
    return QString();
}

/// The value a name (or an older name) stands for; nothing for an unknown name.
template <typename E>
std::optional<E> fromName(const QString &name)
{
    const Vocabulary<E> &vocabulary = vocabularyOf(E{});
    const Qt::CaseSensitivity cs =
            vocabulary.caseInsensitive ? Qt::CaseInsensitive : Qt::CaseSensitive;
    for (const VocabularyEntry<E> &entry : vocabulary.entries) {
        if (name.compare(QLatin1String(entry.name), cs) == 0) {
            return entry.value;
        }
    }
    for (const VocabularyAlias<E> &alias : vocabulary.aliases) {
        if (name.compare(QLatin1String(alias.name), cs) == 0) {
            return alias.value;
        }
    }
    return std::nullopt;
}

/// Every value, in table order.
template <typename E>
std::vector<E> valuesOf()
{
    std::vector<E> values;
    for (const VocabularyEntry<E> &entry : vocabularyOf(E{}).entries) {
        values.push_back(entry.value);
    }
    return values;
}

/// Every name, in table order (help texts, error messages).
template <typename E>
QStringList namesOf()
{
    QStringList names;
    for (const VocabularyEntry<E> &entry : vocabularyOf(E{}).entries) {
        names << QString::fromLatin1(entry.name);
    }
    return names;
}

/// fromName(), or an invalid-input error that names the bad value and the valid ones:
/// "unknown pooling 'max' (valid: last, mean, target, ...)".
template <typename E>
Result<E> parseName(const QString &name)
{
    if (std::optional<E> value = fromName<E>(name)) {
        return *value;
    }
    return Status::invalidInput(QStringLiteral("unknown %1 '%2' (valid: %3)")
                                        .arg(QLatin1String(vocabularyOf(E{}).what), name,
                                             namesOf<E>().join(QStringLiteral(", "))));
}

/// Every pooled selection method's name, for help texts and error messages.
QStringList pooledSelectionMethodNames();

}  // namespace gyrus
