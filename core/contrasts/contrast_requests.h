#pragma once
// Requests and results of the Contrasts dock: a univariate contrast per
// feature, the feature-wise RSA map, and the cross-validated comparison of selection methods.
// Plain values; the big results travel as std::shared_ptr<const T>.

#include "core/base/vocabulary.h"
#include "core/contrasts/contrast_result.h"
#include "core/contrasts/method_score.h"
#include "core/prompts/prompt_set.h"

#include <QList>
#include <QMetaType>
#include <QString>
#include <QStringList>

#include <cstdint>
#include <memory>
#include <vector>

namespace gyrus {

/// Which items, read where, pooled how: the part every Contrasts request shares.
///
/// Two-group designs compare the items at `levelA` of `factor` with those at `levelB` (items at
/// other levels are left out); estimates are A − B, so t > 0 means A is higher. 2 × 2 designs
/// (`factorial`) use every item: factor A is `factor`, factor B the set's other factor; each main
/// effect is its factor's second level minus its first (levels in file order), the interaction
/// (a1b1 − a1b0) − (a0b1 − a0b0).
struct ContrastSource
{
    PromptSet promptSet;
    QString factor;
    QString levelA;
    QString levelB;
    bool factorial = false;
    QString hookName;
    bool saeFeatures = false;  ///< the loaded SAE's features (at its hook) instead of the raw hook
    Pooling pooling = Pooling::Mean;
    int window = 0;  ///< ± tokens around the target (pooling target)
};

/// One effect's statistics for every feature, with the means of its two sides.
struct ContrastEffect
{
    QString name;   ///< "valence", "main effect of tense", "interaction"
    QString sideA;  ///< what "A" means here: "negative", "past", "present-singular + past-plural"
    QString sideB;  ///< likewise for "B"
    ContrastResult stats;       ///< A − B per feature (t, d, p, q, ...)
    std::vector<double> meanA;  ///< mean over the A side (cells averaged in a 2 × 2 design)
    std::vector<double> meanB;
};

struct ContrastAnalysisResult
{
    QString representation;  ///< "raw blocks.2.hook_resid_post" or "SAE features (demo/sae)"
    int64_t itemCount = 0;   ///< items that entered the analysis
    int64_t featureCount = 0;
    QList<ContrastEffect> effects;  ///< one (two-group) or three (main A, main B, interaction)
    QStringList notes;              ///< items dropped and why
};

/// Per feature, how well it carries the A/B distinction (gpu/analysis/feature_selection.h):
/// the pooled separations r and d of the items' pooled values (once called discriminative and
/// categorical RSA; docs/method_comparison.md shows they rank features alike), the
/// max-activation contrast |mean A − mean B| and, on aligned windows, temporal RSA.
struct FeatureRsaMap
{
    QString representation;
    QString sideA;
    QString sideB;
    int64_t itemCount = 0;
    std::vector<double> pooledSeparationR;
    std::vector<double> pooledSeparationD;
    std::vector<double> maxActivation;
    /// Temporal RSA of the items' time courses (docs/temporal_rsa.md); empty unless the source
    /// pools to aligned windows.
    std::vector<double> temporalDiscriminativeRsa;
    std::vector<double> temporalCategoricalRsa;

    int64_t featureCount() const { return static_cast<int64_t>(maxActivation.size()); }
};

/// The cross-validated comparison of selection methods (docs/method_comparison.md).
struct MethodComparisonRequest
{
    ContrastSource source;           ///< two-group only
    QList<SelectionMethod> methods;  ///< empty: the four pooled ones the dock compares
    int k = 8;
    int folds = 5;
    int repeats = 10;
    int permutations = 100;
    quint64 seed = 0;
};

/// A method's score (its balanced accuracy, AUC, null and p) and what it selects.
struct MethodComparisonRow : MethodScore
{
    /// The k features the method selects on all items (what the folds approximate), best first.
    std::vector<int> selectedFeatures;
    /// SAE features only: the classifier of selectedFeatures fitted on all items (standardised
    /// weights towards level A) and each feature's standard deviation, for ensemble steering
    /// (core/steering/ensemble_clamp.h). Empty for raw activations; kept in the workspace with the
    /// rest.
    std::vector<double> ensembleWeights;
    std::vector<double> ensembleSds;
};

struct MethodComparisonResult
{
    QString representation;
    QString sideA;
    QString sideB;
    int64_t itemCount = 0;
    MethodComparisonRequest settings;
    QList<MethodComparisonRow> rows;
};

/// The replication report of the original project's three claims (`gyrus-cli replicate`) on
/// the source's prompt set with the loaded model and SAE: raw activations at the SAE's hook and
/// SAE features, aligned windows of `window` positions and the seed's own windows.
struct ReplicationRequest
{
    ContrastSource source;    ///< prompt set, factor, levels (A: the concept's condition)
    QString outputDirectory;  ///< report.html, report.json and figures/ go here
    int window = 50;
    int k = 8;
    int folds = 5;
    int repeats = 10;
    int permutations = 100;
    int signFlips = 9999;
    int bootstrap = 4000;
    quint64 seed = 0;
};

/// What a finished replication wrote, and its verdicts ("claim: verdict").
struct ReplicationOutcome
{
    QString directory;
    QString htmlPath;
    QStringList verdicts;
    double seconds = 0;
};

using ContrastAnalysisResultPtr = std::shared_ptr<const ContrastAnalysisResult>;
using FeatureRsaMapPtr = std::shared_ptr<const FeatureRsaMap>;
using MethodComparisonResultPtr = std::shared_ptr<const MethodComparisonResult>;

}  // namespace gyrus

Q_DECLARE_METATYPE(gyrus::ContrastSource)
Q_DECLARE_METATYPE(gyrus::MethodComparisonRequest)
Q_DECLARE_METATYPE(gyrus::ContrastAnalysisResultPtr)
Q_DECLARE_METATYPE(gyrus::FeatureRsaMapPtr)
Q_DECLARE_METATYPE(gyrus::MethodComparisonResultPtr)
Q_DECLARE_METATYPE(gyrus::ReplicationOutcome)
