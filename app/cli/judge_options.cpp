#include "app/cli/judge_options.h"

#include "app/cli/number_options.h"
#include "core/llm/chat_endpoint.h"
#include "core/llm/engine_chat_backend.h"
#include "core/llm/openai_chat_client.h"
#include "gpu/engine/torch_engine_client.h"

#include <algorithm>
#include <limits>

namespace gyrus::cli {

JudgeOptions::JudgeOptions(QCommandLineParser &parser)
    : m_endpoint(QStringLiteral("endpoint"),
                 QStringLiteral("OpenAI-compatible server, e.g. http://127.0.0.1:8080/v1 "
                                "(llama.cpp, vLLM, Ollama, a hosted API), or 'engine': an "
                                "instruct model run by Gyrus's own engine (--judge-model DIR). "
                                "Nothing is sent without it. The key comes from "
                                "GYRUS_LLM_API_KEY or --api-key-file."),
                 QStringLiteral("URL|engine"))
    , m_model(QStringLiteral("judge-model"),
              QStringLiteral("Model name the endpoint serves; with --endpoint engine, the "
                             "instruct model's directory (its tokenizer_config.json holds the "
                             "chat template)."),
              QStringLiteral("NAME|DIR"))
    , m_judgeDevice(QStringLiteral("judge-device"),
                    QStringLiteral("Device of the --endpoint engine model (cpu, cuda:0)."),
                    QStringLiteral("DEVICE"), QStringLiteral("cpu"))
    , m_judgeDtype(QStringLiteral("judge-dtype"),
                   QStringLiteral("Weights dtype of the --endpoint engine model (float32, "
                                  "bfloat16, float16)."),
                   QStringLiteral("DTYPE"), QStringLiteral("float32"))
    , m_keyFile(QStringLiteral("api-key-file"),
                QStringLiteral("File holding the API key (instead of GYRUS_LLM_API_KEY)."),
                QStringLiteral("FILE"))
    , m_timeout(QStringLiteral("timeout"), QStringLiteral("Seconds per attempt."),
                QStringLiteral("S"), QStringLiteral("120"))
    , m_retries(QStringLiteral("retries"),
                QStringLiteral("Retries of transient failures (429, 5xx, timeouts)."),
                QStringLiteral("N"), QStringLiteral("3"))
    , m_rpm(QStringLiteral("rpm"), QStringLiteral("Requests per minute at most (0: no limit)."),
            QStringLiteral("R"), QStringLiteral("0"))
    , m_stream(QStringLiteral("stream"), QStringLiteral("Ask for server-sent events."))
    , m_repeats(QStringLiteral("repeats"), QStringLiteral("Judge repeats (for the CI)."),
                QStringLiteral("N"), QStringLiteral("3"))
    , m_seed(QStringLiteral("seed"), QStringLiteral("Sampling and shuffling seed."),
             QStringLiteral("S"), QStringLiteral("0"))
    , m_temperature(QStringLiteral("temperature"), QStringLiteral("Sampling temperature."),
                    QStringLiteral("T"), QStringLiteral("0"))
    , m_batch(QStringLiteral("batch"), QStringLiteral("Detection examples per request."),
              QStringLiteral("N"), QStringLiteral("5"))
{
    parser.addOptions({m_endpoint, m_model, m_judgeDevice, m_judgeDtype, m_keyFile, m_timeout,
                       m_retries, m_rpm, m_stream, m_repeats, m_seed, m_temperature, m_batch});
}

Result<std::unique_ptr<ChatBackend>> JudgeOptions::backend(const QCommandLineParser &parser) const
{
    Result<ChatEndpoint> parsed = parseChatEndpoint(parser.value(m_endpoint), parser.value(m_model),
                                                    parser.value(m_keyFile));
    if (!parsed) {
        return parsed.status();
    }
    ChatEndpoint endpoint = std::move(parsed).value();
    if (!endpoint.isConfigured()) {
        return endpoint.validate();
    }
    if (endpoint.kind == ChatEndpoint::Kind::Engine) {
        if (endpoint.model.isEmpty()) {
            return Status::invalidInput(QStringLiteral(
                    "--endpoint engine needs --judge-model DIR: an instruct model's directory "
                    "(config.json, safetensors, tokenizer, and a chat template in "
                    "tokenizer_config.json)"));
        }
        const Result<Dtype> dtype = parseName<Dtype>(parser.value(m_judgeDtype).trimmed());
        if (!dtype) {
            return dtype.status();
        }
        // The model loads on the engine thread with the first request; the engine belongs to
        // the backend (a child QObject), so it stops when the command's backend goes.
        auto engine = std::make_unique<gpu::TorchEngineClient>();
        auto local = std::make_unique<EngineChatBackend>(
                engine.get(),
                ModelSpec{endpoint.model, parser.value(m_judgeDevice), dtype.value()});
        engine.release()->setParent(local.get());
        return std::unique_ptr<ChatBackend>(std::move(local));
    }
    const Result<double> timeout = numberValue(parser, m_timeout, NumberRange::above(0));
    const Result<int64_t> retries = integerValue(parser, m_retries, 0);
    const Result<double> rpm = numberValue(parser, m_rpm, NumberRange::atLeast(0));
    for (const Status &status : {timeout.status(), retries.status(), rpm.status()}) {
        if (!status.isOk()) {
            return status;
        }
    }
    endpoint.timeoutMs = int(std::clamp(*timeout * 1000, 1.0, double(kIntMax)));
    endpoint.maxRetries = int(*retries);
    endpoint.requestsPerMinute = *rpm;
    endpoint.stream = parser.isSet(m_stream);
    return std::unique_ptr<ChatBackend>(std::make_unique<OpenAiChatClient>(endpoint));
}

Result<gyrus::JudgeOptions> JudgeOptions::protocol(const QCommandLineParser &parser) const
{
    gyrus::JudgeOptions options;
    const Result<int64_t> repeats = integerValue(parser, m_repeats, 1);
    const Result<int64_t> seed =
            integerValue(parser, m_seed, std::numeric_limits<int64_t>::min(), kInt64Max);
    const Result<double> temperature = numberValue(parser, m_temperature, NumberRange::atLeast(0));
    const Result<int64_t> batch = integerValue(parser, m_batch, 1);
    for (const Status &status :
         {repeats.status(), seed.status(), temperature.status(), batch.status()}) {
        if (!status.isOk()) {
            return status;
        }
    }
    options.repeats = int(*repeats);
    options.seed = *seed;
    options.temperature = *temperature;
    options.batchSize = int(*batch);
    return options;
}

}  // namespace gyrus::cli
