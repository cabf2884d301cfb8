#pragma once
// What the RSA dock asks the engine for and what comes back: the item ×
// item RDM of a prompt set at a hook, the model RDMs of its factors with their comparison
// statistics, a 2-D MDS embedding, and optionally the same RDM with the clamp set applied.
// Plain data, torch-free; big results travel as std::shared_ptr<const RsaResult>.

#include "core/base/vocabulary.h"
#include "core/prompts/prompt_set.h"
#include "core/rsa/rdm.h"
#include "core/rsa/rsa_comparison.h"
#include "core/steering/clamp_set.h"

#include <QList>
#include <QMetaType>
#include <QString>
#include <QStringList>

#include <memory>
#include <vector>

namespace gyrus {

/// Which features (columns) of the representation the RDM uses.
enum class RsaFeatureSubset
{
    All,
    TopK,      ///< the k best by a selection method (feature_selection.h) on the first
               ///< two-level factor; circular when the same items are then tested
    Explicit,  ///< the listed features (e.g. the current clamp set's)
};

struct RsaRequest
{
    PromptSet set;
    QString hookName;          ///< empty: the loaded SAE's hook
    bool saeFeatures = false;  ///< SAE features at the hook instead of its raw dimensions
    Pooling pooling = Pooling::Mean;
    int window = 0;
    RdmMetric metric = RdmMetric::Correlation;
    RsaFeatureSubset subset = RsaFeatureSubset::All;
    int topK = 32;
    SelectionMethod selectionMethod = SelectionMethod::PooledSeparationD;  ///< TopK
    QList<int> features;  ///< RsaFeatureSubset::Explicit
    RsaMethod comparisonMethod = RsaMethod::Spearman;
    int permutations = 10000;  ///< item-label permutations (0: no p); ≥ 10,000 (seed defect 12)
    int bootstraps = 200;      ///< bootstrap resamples of the items (0: no CI)
    quint64 seed = 0;
    /// Also recompute the RDM with `clamps` spliced in at the SAE's hook during the forward pass
    /// (RDM under intervention).
    bool intervention = false;
    ClampSet clamps;
};

/// One model RDM and how the measured RDM (and the clamped one) compares with it.
struct RsaModelFit
{
    QString name;  ///< "tense", "number", "tense × number"
    Rdm model;
    RsaComparison comparison;
    RsaComparison clampedComparison;  ///< NaN r when there is no intervention
};

struct RsaResult
{
    RsaRequest request;  ///< what was asked (hook filled in when it was empty)
    /// The measured RDM; rows are items grouped by condition (rsaItemOrder()), ids unique.
    Rdm rdm;
    QList<int> items;        ///< per row: index into request.set.items
    QStringList texts;       ///< per row: the item's text
    QStringList conditions;  ///< per row: the condition label
    QList<RsaModelFit> models;
    std::vector<double> mdsX;  ///< per row: classical MDS coordinates
    std::vector<double> mdsY;
    double mdsExplained = 0.0;  ///< share of the positive eigenvalues the two axes keep
    QList<int> features;        ///< the feature subset used (empty: all)
    int featureCount = 0;       ///< columns the RDM was computed from
    QStringList notes;          ///< dropped items, circularity warnings, ...
    bool hasIntervention = false;
    Rdm clampedRdm;  ///< same rows and features, clamp set applied during the forward pass
};

/// The item order of an RSA over `set`: items grouped by condition, conditions in the order of
/// their levels (first factor slowest), items in file order within a condition. Items without a
/// level of some factor come last.
QList<int> rsaItemOrder(const PromptSet &set);

/// Row ids for the items `order` of `set`: their ids, or "index:id" when ids are empty or repeat
/// (an RDM needs unique ids).
QStringList rsaItemIds(const PromptSet &set, const QList<int> &order);

/// "all", "top-k", "explicit".
QString rsaFeatureSubsetName(RsaFeatureSubset subset);

}  // namespace gyrus

Q_DECLARE_METATYPE(gyrus::RsaRequest)
Q_DECLARE_METATYPE(std::shared_ptr<const gyrus::RsaResult>)
