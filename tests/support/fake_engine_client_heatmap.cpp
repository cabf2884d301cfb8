// FakeEngineClient's token analysis: deterministic synthetic tokens and activations, so widget
// tests can predict every value the heatmap shows.

#include "tests/support/fake_engine_client.h"

#include <cmath>
#include <memory>

namespace gyrus::test {

namespace {

constexpr int kFakeDModel = 256;  // FakeEngineClient::cardFor's d_model

quint32 wordHash(const QString &word)
{
    quint32 hash = 2166136261u;  // FNV-1a: stable across runs, unlike a seeded qHash
    for (const QChar c : word) {
        hash = (hash ^ c.unicode()) * 16777619u;
    }
    return hash;
}

}  // namespace

std::vector<FeatureValue> FakeEngineClient::fakeActivations(const QString &word, int dSae)
{
    const quint32 h = wordHash(word.trimmed());
    std::vector<FeatureValue> active;
    for (int j = 0; j < 4; ++j) {
        active.push_back(
                {static_cast<int>((h + 97u * static_cast<quint32>(j)) % static_cast<quint32>(dSae)),
                 static_cast<float>((j + 1) * (1 + h % 5)) / 2.0f});
    }
    return active;
}

RequestId FakeEngineClient::analyzeText(const TokenAnalysisRequest &request)
{
    {
        QMutexLocker lock(&m_logMutex);
        m_log << QStringLiteral("analyze %1").arg(request.texts.size());
    }
    const SaeInfo sae = saeCardFor(SaeSpec{});
    return m_runner.submit(Job{
            QStringLiteral("analyse text"), QStringLiteral("token-analysis"),
            [this, request, sae](JobContext &context, Status *status) {
                if (!m_hasModel || !m_hasSae) {
                    *status = Status::invalidInput(m_hasModel ? QStringLiteral("no SAE loaded")
                                                              : QStringLiteral("no model loaded"));
                    return JobStep::Done;
                }
                auto analysis = std::make_shared<TokenAnalysis>();
                analysis->hookName = sae.hookName;
                analysis->saeName = QStringLiteral("fake");
                analysis->dModel = kFakeDModel;
                analysis->dSae = sae.dSae;
                for (int item = 0; item < request.texts.size(); ++item) {
                    const QString &text = request.texts.at(item);
                    if (text.trimmed().isEmpty()) {
                        *status = Status::invalidInput(
                                QStringLiteral("item %1 is empty: nothing to analyse")
                                        .arg(item + 1));
                        return JobStep::Done;
                    }
                    TextActivations row;
                    row.text = text;
                    // BOS with an outsized activation, as real models have.
                    row.appendToken(AnalyzedToken{1, QStringLiteral("<s>"), 0, 0, true},
                                    {{0, 50.0f}});
                    int begin = 0;
                    while (begin < text.size()) {
                        int end = begin;
                        while (end < text.size() && text.at(end).isSpace()) {
                            ++end;
                        }
                        while (end < text.size() && !text.at(end).isSpace()) {
                            ++end;
                        }
                        const QString word = text.mid(begin, end - begin);
                        row.appendToken(
                                AnalyzedToken{static_cast<int>(wordHash(word.trimmed()) % 4096u),
                                              word, begin, end, false},
                                fakeActivations(word, sae.dSae));
                        begin = end;
                    }
                    if (request.hookVectors) {
                        for (const AnalyzedToken &token : row.tokens) {
                            const quint32 h = wordHash(token.piece.trimmed());
                            for (int i = 0; i < kFakeDModel; ++i) {
                                row.hook.push_back(
                                        static_cast<float>(std::sin(double(h % 1000) + i)));
                            }
                        }
                    }
                    analysis->texts.push_back(std::move(row));
                }
                if (!context.isCancelled()) {
                    Q_EMIT tokenAnalysisReady(context.id(), analysis);
                }
                return JobStep::Done;
            }});
}

}  // namespace gyrus::test
