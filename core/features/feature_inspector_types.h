#pragma once
// Requests and results of the feature inspector: a corpus scan run by the engine
// and the details of one SAE feature drawn from it. Plain data; big results travel as
// std::shared_ptr<const FeatureDetails>.

#include <QList>
#include <QMetaType>
#include <QString>
#include <QVector>

#include <memory>

namespace gyrus {

/// A corpus scan to run over the loaded model and SAE (a long job in slices).
struct CorpusScanRequest
{
    QString corpusPath;       ///< text, one line per sentence or paragraph
    qint64 tokenBudget = 0;   ///< tokens to scan (0: the whole file)
    int contextLength = 128;  ///< the token stream is cut into windows of this length
    int topK = 20;            ///< top examples kept per feature
    /// Where to save the finished scan (empty: keep it in memory only), so that the next start
    /// loads it with loadCorpusScan() instead of scanning again.
    QString savePath;
};

/// What the engine now holds after scanCorpus() or loadCorpusScan().
struct CorpusScanSummary
{
    QString corpusPath;
    qint64 scannedTokens = 0;
    int features = 0;
    bool loadedFromFile = false;
    QString savedPath;  ///< where it was saved or loaded from (empty: memory only)
    /// The feature active on the most scanned tokens (-1: none is ever active): what the
    /// Features dock opens on a first start, so it shows a feature rather than a hint.
    int densestFeature = -1;
};

/// One activating token in its context.
struct FeatureExampleText
{
    double activation = 0;
    qint64 tokenIndex = 0;  ///< index into the scanned corpus token stream
    QString before;         ///< text before the token (same line, a few tokens)
    QString token;          ///< the token's display form
    QString after;
};

/// Examples drawn uniformly from one histogram bin: how the feature looks at that strength.
struct FeatureBinExamples
{
    double low = 0;  ///< activation range of the bin
    double high = 0;
    qint64 count = 0;  ///< tokens in the bin
    QList<FeatureExampleText> examples;
};

/// A token the feature's decoder direction promotes or suppresses.
struct TokenEffect
{
    int id = 0;
    QString token;     ///< display form
    double logit = 0;  ///< direct logit effect of a unit activation
};

struct NeighbourFeature
{
    int feature = 0;
    double cosine = 0;  ///< of the two W_dec rows
};

/// Everything the inspector shows about one feature.
struct FeatureDetails
{
    int feature = -1;
    QString corpusPath;
    qint64 scannedTokens = 0;
    double density = 0;              ///< fraction of scanned tokens where the feature is > 0
    double maxActivation = 0;        ///< the largest activation seen in the scan (0: never active)
    QList<FeatureExampleText> top;   ///< best first
    QList<FeatureBinExamples> bins;  ///< histogram bins, low to high (log10-spaced)
    QVector<double> histogram;       ///< counts per bin (active tokens only)
    double histogramLog10Low = 0;    ///< log10 activation at the left edge of bin 0
    double histogramLog10High = 0;   ///< and at the right edge of the last bin
    QList<TokenEffect> boosted;      ///< strongest first
    QList<TokenEffect> suppressed;   ///< most negative first
    QList<NeighbourFeature> neighbours;  ///< highest decoder cosine first, itself excluded
};

using FeatureDetailsPtr = std::shared_ptr<const FeatureDetails>;

}  // namespace gyrus

Q_DECLARE_METATYPE(gyrus::CorpusScanRequest)
Q_DECLARE_METATYPE(gyrus::CorpusScanSummary)
Q_DECLARE_METATYPE(gyrus::FeatureDetailsPtr)
