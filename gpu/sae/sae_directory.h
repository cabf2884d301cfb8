#pragma once
// An SAE directory's files without its weights: the configuration of every layout Gyrus reads
// (SAELens cfg.json, Llama Scope hyperparams.json) and the save journal that makes a save all or
// nothing. Torch-free (gyrus_formats): listings, the CLI's hook lookup and the format tests and
// fuzz targets use it without LibTorch; gpu/sae/sae_io.h loads and saves the weights.

#include "core/base/status.h"
#include "core/sae/sae_config.h"

#include <QDir>
#include <QString>
#include <QStringList>

namespace gyrus::gpu {

/// What a published SAE's configuration says (cfg.json, hyperparams.json or the release path),
/// plus where the weights are.
struct SaeFileInfo
{
    SaeConfig config;
    QString directory;
    QString savedArchitecture;      ///< as written ("standard", "topk", "jumprelu", ...)
    QString trainedArchitecture;    ///< Gyrus files: "batchtopk" etc.; empty otherwise
    double foldedInputScale = 1.0;  ///< Gyrus files: the scale folded at export
    /// cfg.json normalize_activations as SAELens reads it ("none", "expected_average_only_in",
    /// "constant_norm_rescale", "layer_norm").
    QString normalisation = QStringLiteral("none");
    /// SAELens TopK rescale_acts_by_decoder_norm: top-k of pre·‖W_dec,i‖ (folded at load).
    bool rescaleByDecoderNorm = false;
    /// Older SAELens finetuning_scaling_factor: features × scaling_factor before decoding.
    bool finetuningScalingFactor = false;
};

/// Reads and checks the configuration only (no weights): cfg.json of a SAELens directory or
/// hyperparams.json of a Llama Scope one. For listings and quick validation.
Result<SaeFileInfo> readSaeInfo(const QString &directory);

namespace detail {

/// A Llama Scope directory's hyperparams.json, checked.
Result<SaeFileInfo> readLlamaScopeInfo(const QString &directory);

/// Finishes a save that was killed while it replaced the files (SaeFileStaging); nothing to do
/// when there is no journal. Loads and saves call it first.
Status finishInterruptedSave(const QString &directory);

/// A save of several files, all or nothing. Each file is first written whole under a staging
/// name (NAME.saving, add()); commit() writes a journal listing the replacements (atomically),
/// renames the staged files over the old ones, removes the files the new SAE does not have
/// (remove()) and deletes the journal. A full disk or a failed write stops the save before the
/// journal: the old SAE stays as it was (the destructor removes staged files). A process killed
/// after the journal leaves it behind, and the next load or save finishes the replacements from
/// it (finishInterruptedSave), so the files of two saves are never read together.
class SaeFileStaging
{
public:
    explicit SaeFileStaging(const QString &directory);
    SaeFileStaging(const SaeFileStaging &) = delete;
    SaeFileStaging &operator=(const SaeFileStaging &) = delete;
    ~SaeFileStaging();

    /// The path to write file `name`'s new contents to.
    QString add(const QString &name);

    /// `name` is not part of the new SAE: removed with the replacements.
    void remove(const QString &name) { m_removed << name; }

    Status commit();

private:
    QDir m_dir;
    QStringList m_staged;
    QStringList m_removed;
};

}  // namespace detail

}  // namespace gyrus::gpu
