#pragma once
// Feature dashboards' data: stream a corpus once through the model and an SAE
// and keep, per feature, its top activating tokens, an activation histogram and its density; and
// its logit effects (which next tokens its decoder direction promotes or suppresses). Torch-free.

#include "core/base/status.h"

#include <QString>

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace gyrus::gpu {

class LanguageModel;

namespace detail {
class SaeModule;
}

struct CorpusScanOptions
{
    QString corpusPath;
    QString hookName;          ///< empty: the SAE's cfg.json hook
    int contextLength = 128;   ///< the corpus token stream is cut into windows of this length
    qint64 tokenBudget = 0;    ///< tokens to scan (0: all)
    int topK = 20;             ///< examples kept per feature
    int logitTopK = 10;        ///< boosted and suppressed tokens per feature
    double histogramLow = -3;  ///< log10(activation) range of the histogram
    double histogramHigh = 2;
    int histogramBins = 25;
    int samplesPerBin = 3;  ///< examples drawn uniformly from each histogram bin (reservoir)
    quint64 seed = 0;
    /// Feature × vocabulary × d_model multiply-adds up to which the scan computes every
    /// feature's logit effects at its end (1e11: about ten seconds on one core); above it they
    /// are left empty and computed per feature when shown (addLogitEffects): 262k features over
    /// Gemma's 256k vocabulary would be 1.5e14, hours on a CPU.
    double logitEffectsAtScanWork = 1e11;
};

struct FeatureExample
{
    float activation = 0;
    qint64 token = 0;  ///< index into CorpusScan::tokens
};

struct FeatureScan
{
    std::vector<FeatureExample> top;  ///< best first
    std::vector<qint64> histogram;    ///< counts of log10(activation) per bin (active tokens)
    /// Per histogram bin, up to samplesPerBin examples drawn uniformly from the tokens in it: what
    /// the feature does at weak and middling strengths, not only at its peak.
    std::vector<std::vector<FeatureExample>> binSamples;
    double density = 0;        ///< fraction of scanned tokens where the feature is > 0
    std::vector<int> boosted;  ///< token ids the decoder direction raises most
    std::vector<float> boostedLogits;
    std::vector<int> suppressed;  ///< and lowers most
    std::vector<float> suppressedLogits;
};

struct CorpusScan
{
    CorpusScanOptions options;  ///< what produced it (hookName resolved)
    QString hookName;
    std::vector<int32_t> tokens;  ///< the scanned corpus stream (BOS starts each line)
    qint64 scannedTokens = 0;     ///< non-BOS tokens scanned
    std::vector<FeatureScan> features;
};

/// A scan that runs in steps, so an engine can serve other requests between them (ARCHITECTURE.md
/// §3). The model and the SAE must outlive the scanner and stay unchanged while it runs.
class CorpusScanner
{
public:
    /// Checks the options, encodes the corpus and prepares the running statistics. Errors name
    /// the file or the hook.
    static Result<std::unique_ptr<CorpusScanner>> start(const LanguageModel &model,
                                                        const detail::SaeModule &sae,
                                                        const CorpusScanOptions &options);
    ~CorpusScanner();
    CorpusScanner(const CorpusScanner &) = delete;
    CorpusScanner &operator=(const CorpusScanner &) = delete;

    /// Scans up to `batches` more batches of windows (8 windows of the context length each).
    void step(int batches = 1);
    bool isFinished() const;
    double fraction() const;  ///< of the corpus tokens scanned so far
    qint64 scannedTokens() const;
    qint64 totalTokens() const;

    /// Adds the logit effects (when logitEffectsAtScan()) and returns the scan (call once,
    /// after isFinished()).
    CorpusScan finish();

private:
    struct Impl;
    explicit CorpusScanner(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

/// Runs the scan in one call (CorpusScanner to the end). Logit effects are W_dec[f] ⊙ g_final · W_U
/// (the decoder direction through the final RMSNorm gain and the unembedding, without the norm's
/// data-dependent scale). `progress` may return false to cancel. Errors name the file or the hook.
Result<CorpusScan> scanCorpus(const LanguageModel &model, const detail::SaeModule &sae,
                              const CorpusScanOptions &options,
                              const std::function<bool(double)> &progress = {});

/// Features x vocabulary x d_model: the multiply-adds of every feature's logit effects.
double logitEffectsWork(const LanguageModel &model, const detail::SaeModule &sae);

/// Whether a scan with this model, SAE and options computes every feature's logit effects at its
/// end (CorpusScanOptions::logitEffectsAtScanWork).
bool logitEffectsAtScan(const LanguageModel &model, const detail::SaeModule &sae,
                        const CorpusScanOptions &options);

/// Fills the logit effects (top `logitTopK` boosted and suppressed tokens) of features
/// [begin, begin + count) into out[0 .. count).
void addLogitEffects(const LanguageModel &model, const detail::SaeModule &sae, int logitTopK,
                     int64_t begin, int64_t count, FeatureScan *out);

/// The text around token `index` of `scan.tokens`, ± `radius` tokens, not crossing line starts:
/// (before, the token, after).
struct ExampleContext
{
    QString before;
    QString token;
    QString after;
};

ExampleContext exampleContext(const LanguageModel &model, const CorpusScan &scan, qint64 index,
                              int radius);

}  // namespace gyrus::gpu
