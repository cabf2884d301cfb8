#pragma once

#include "core/base/status.h"
#include "gpu/model/language_model.h"

#include <QCommandLineOption>
#include <QCommandLineParser>

#include <memory>

namespace gyrus::cli {

/// The options every command that loads a model shares: --model DIR (unless the directory is a
/// positional argument), --dtype and --device.
class ModelOptions
{
public:
    /// Adds the options to `parser`; `withModelOption` false when the directory is positional.
    explicit ModelOptions(QCommandLineParser &parser, bool withModelOption = true);

    /// The model directory given with --model (empty when missing).
    QString directory(const QCommandLineParser &parser) const;

    /// Loads `directory` with the parsed --dtype and --device.
    Result<std::unique_ptr<gpu::LanguageModel>> load(const QCommandLineParser &parser,
                                                     const QString &directory,
                                                     bool checkFinite = true) const;

private:
    QCommandLineOption m_model;
    QCommandLineOption m_dtype;
    QCommandLineOption m_device;
};

}  // namespace gyrus::cli
