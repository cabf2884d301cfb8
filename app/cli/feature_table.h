#pragma once

#include "app/cli/model_options.h"
#include "core/base/float_matrix.h"
#include "core/base/status.h"
#include "gpu/analysis/temporal_rsa.h"

#include <QCommandLineOption>
#include <QCommandLineParser>

#include <vector>

namespace gyrus::cli {

/// The executable and its build time: a rebuilt gyrus-cli never reads an older build's cached
/// representations.
QString buildIdentity();

/// Items × features with a two-condition labelling (0/1: the smaller label value, or the first
/// level of the factor, is 0).
struct FeatureTable
{
    FloatMatrix x;  ///< [items, features]; with windows, each item's mean over its real tokens
    std::vector<int64_t> labels;
    /// Aligned token windows (/X and /mask in the file, or --pooling window); empty otherwise.
    gpu::TemporalTable windows;
};

/// The options of commands that analyse a feature table, read either from HDF5 (--input,
/// --dataset, --labels-dataset, as `gyrus-cli represent` writes; /X and /mask too when present)
/// or computed on the spot from a prompt set (--model, --prompts, --hook, --sae, --pooling,
/// --window, --align, --factor; cached like `represent`, except aligned windows).
class FeatureTableOptions
{
public:
    /// `command` names the gyrus-cli command in warnings (an SAE trained on another model).
    FeatureTableOptions(QCommandLineParser &parser, QString command);

    bool fromPrompts(const QCommandLineParser &parser) const;

    /// From --input, or from the prompt set; `withSae` false ignores --sae (raw activations).
    Result<FeatureTable> read(const QCommandLineParser &parser, const QString &input,
                              bool withSae) const;

    /// From the prompt set with the pooling and window given here instead of --pooling and
    /// --window (presets that need particular windows).
    Result<FeatureTable> readPooled(const QCommandLineParser &parser, bool withSae,
                                    const QString &pooling, int window) const;

    /// From the prompt set as read() does, and `texts` (e.g. corpus lines) represented with the
    /// same model, hook, SAE and pooling into `textValues` [texts, features] (mean or last
    /// pooling: texts have no targets or windows).
    Result<FeatureTable> readWithTexts(const QCommandLineParser &parser, bool withSae,
                                       const QStringList &texts, FloatMatrix *textValues) const;

    const QCommandLineOption &hookOption() const { return m_hook; }

    const QCommandLineOption &promptsOption() const { return m_prompts; }

    QString modelDirectory(const QCommandLineParser &parser) const
    {
        return m_model.directory(parser);
    }

    const QCommandLineOption &saeOption() const { return m_sae; }

private:
    Result<FeatureTable> readFromPrompts(const QCommandLineParser &parser, bool withSae,
                                         const QString &pooling, const QString &window,
                                         const QStringList *texts = nullptr,
                                         FloatMatrix *textValues = nullptr) const;

    QString m_command;
    ModelOptions m_model;
    QCommandLineOption m_dataset;
    QCommandLineOption m_labels;
    QCommandLineOption m_prompts;
    QCommandLineOption m_hook;
    QCommandLineOption m_sae;
    QCommandLineOption m_pooling;
    QCommandLineOption m_window;
    QCommandLineOption m_align;
    QCommandLineOption m_factor;
};

}  // namespace gyrus::cli
