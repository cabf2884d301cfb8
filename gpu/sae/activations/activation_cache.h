#pragma once
// The activation store's cache: a text corpus streamed through a model to one hook point and
// written to HDF5 (ARCHITECTURE.md §5) for SAE training. Torch-free.

#include "core/base/status.h"

#include <QString>

#include <functional>
#include <memory>

namespace gyrus::gpu {

class LanguageModel;

enum class ActivationStorage
{
    Float16,  ///< half the disk and read time; ~3 significant digits (ARCHITECTURE.md §5 default)
    Float32,
};

struct ActivationCacheOptions
{
    QString corpusPath;       ///< plain text, one sentence or paragraph per line
    QString hookName;         ///< e.g. "blocks.2.hook_resid_post"
    int contextLength = 128;  ///< longer lines are cut into windows of this many tokens
    qint64 tokenBudget = 0;   ///< activations to keep (0: the whole corpus)
    int batchSequences = 16;  ///< windows per forward pass
    ActivationStorage storage = ActivationStorage::Float16;
    QString outPath;  ///< the HDF5 file
    /// An existing outPath that was cached with other settings is an error unless this is set:
    /// then the new cache is written to outPath + ".replacing" and renamed over outPath once
    /// complete (a run that fails, is cancelled or killed leaves the old file; the first two
    /// also remove the unfinished one, and the next run continues a killed one's when its
    /// settings are the same). Without it, one with the same settings is continued.
    bool overwrite = false;
    /// Data shard shardIndex of shardCount (one rank of a distributed cache): only the corpus
    /// lines d with d mod shardCount = shardIndex, and tokenBudget is this shard's. Recorded in
    /// the attributes shard_index and shard_count.
    int shardIndex = 0;
    int shardCount = 1;
};

struct ActivationCacheResult
{
    qint64 rows = 0;  ///< activations in the file
    int columns = 0;  ///< d_model
    qint64 documents = 0;
    qint64 resumedFromRow = 0;  ///< rows an earlier, interrupted run had written (0: fresh)
    double normSum = 0;         ///< Σ‖x‖ over the rows (float32 values)
    /// s with E‖s·x‖ = √d over the cached rows (sae_sota.md §1.1); stored as the attribute
    /// normalisation_scale. The trainer estimates and folds its own; this records the data's.
    double normalisationScale = 1.0;
};

/// Writes /activations float16 or float32 [N, d] (chunks of 1024 rows), /tokens, /doc_index (the
/// corpus line) and /position (token index within the line) int32 [N]. BOS positions are not
/// kept (their activations are a constant the SAE would waste latents on) and nothing is padded.
///
/// Resumable: after every batch the rows are flushed and the root attributes rows_done,
/// windows_done, documents_done and norm_sum record the progress, so a run that was cancelled
/// or killed continues where it stopped when called again with the same settings (and a
/// finished file is returned as it is). The provenance attributes, compared on every
/// continuation, are model (directory), model_config_sha256, model_dtype, corpus,
/// corpus_sha256, hook_name, context_length, token_budget and dtype; a mismatch is an
/// InvalidInput naming the file and the attribute. `complete` is 1 once every row is written;
/// normalisation_scale (s with E‖s·x‖ = √d) is written then.
/// `progress(fraction)` may return false to cancel (the file stays resumable; a replacement,
/// see ActivationCacheOptions::overwrite, is removed and the old cache kept).
/// Errors name the file.
/// cacheActivations() one forward batch at a time, for the engine's slices (the stepper pattern,
/// docs/architecture.md): start() checks the settings, tokenises the corpus and opens (or
/// continues) the file; step() caches one batch of windows and flushes the progress.
/// `model` must outlive the run and is used from the caller's thread only.
class ActivationCacheRun
{
public:
    static Result<std::unique_ptr<ActivationCacheRun>> start(const LanguageModel &model,
                                                             const ActivationCacheOptions &options);
    ~ActivationCacheRun();
    ActivationCacheRun(const ActivationCacheRun &) = delete;
    ActivationCacheRun &operator=(const ActivationCacheRun &) = delete;

    /// Caches the next batch; once every row is written it writes normalisation_scale and
    /// complete and closes the file.
    Status step();
    bool isFinished() const;
    qint64 rowsDone() const;
    qint64 rows() const;
    /// Rows cached by this run (not by an earlier one it continued) over rows it has left.
    double fraction() const;
    /// The result once isFinished() (rows, columns, documents, scale).
    const ActivationCacheResult &result() const;
    /// Closes the file (the progress stays flushed, so it can be continued).
    void close();

private:
    struct State;
    explicit ActivationCacheRun(std::unique_ptr<State> state);
    std::unique_ptr<State> m_state;
};

Result<ActivationCacheResult> cacheActivations(const LanguageModel &model,
                                               const ActivationCacheOptions &options,
                                               const std::function<bool(double)> &progress = {});

}  // namespace gyrus::gpu
