#include "app/cli/model_options.h"

namespace gyrus::cli {

ModelOptions::ModelOptions(QCommandLineParser &parser, bool withModelOption)
    : m_model(QStringLiteral("model"),
              QStringLiteral("Hugging Face model directory (config.json, *.safetensors, "
                             "tokenizer.model)."),
              QStringLiteral("DIR"))
    , m_dtype(QStringLiteral("dtype"), QStringLiteral("fp32 (default), bf16 or fp16."),
              QStringLiteral("DTYPE"), QStringLiteral("fp32"))
    , m_device(QStringLiteral("device"), QStringLiteral("cpu (default), cuda or cuda:N."),
               QStringLiteral("DEVICE"), QStringLiteral("cpu"))
{
    if (withModelOption) {
        parser.addOption(m_model);
    }
    parser.addOption(m_dtype);
    parser.addOption(m_device);
}

QString ModelOptions::directory(const QCommandLineParser &parser) const
{
    return parser.value(m_model);
}

Result<std::unique_ptr<gpu::LanguageModel>> ModelOptions::load(const QCommandLineParser &parser,
                                                               const QString &directory,
                                                               bool checkFinite) const
{
    const Result<Dtype> dtype = parseName<Dtype>(parser.value(m_dtype).trimmed());
    if (!dtype) {
        return dtype.status();
    }
    gpu::LoadOptions options;
    options.dtype = dtype.value();
    options.device = parser.value(m_device);
    options.checkFinite = checkFinite;
    return gpu::LanguageModel::load(directory, options);
}

}  // namespace gyrus::cli
