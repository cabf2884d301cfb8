// Parity with a Hugging Face-style forward written independently in Python
// (tests/data/llama_reference/make_fixture.py): GQA, untied head, rope_theta 50000, linear rope
// scaling, norm weights != 1.

#include "gpu/model/language_model.h"
#include "tests/support/test_paths.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

using namespace gyrus;

namespace {

QString fixture(const QString &name)
{
    return test::dataPath(QStringLiteral("llama_reference/") + name);
}

QJsonObject expectedJson()
{
    QFile file(fixture(QStringLiteral("expected.json")));
    if (!file.open(QIODevice::ReadOnly)) {
        qFatal("cannot open %s", qPrintable(file.fileName()));
    }
    return QJsonDocument::fromJson(file.readAll()).object();
}

/// A float32 little-endian file described by {"file", "shape"}.
gpu::FloatTensor readExpected(const QJsonObject &entry)
{
    gpu::FloatTensor t;
    int64_t count = 1;
    for (const QJsonValue &size : entry[QStringLiteral("shape")].toArray()) {
        t.shape.push_back(size.toInteger());
        count *= size.toInteger();
    }
    QFile file(fixture(entry[QStringLiteral("file")].toString()));
    if (!file.open(QIODevice::ReadOnly)) {
        qFatal("cannot open %s", qPrintable(file.fileName()));
    }
    const QByteArray bytes = file.readAll();
    if (bytes.size() != count * 4) {
        qFatal("%s: %lld bytes, expected %lld", qPrintable(file.fileName()),
               static_cast<long long>(bytes.size()), static_cast<long long>(count * 4));
    }
    t.values.resize(static_cast<size_t>(count));
    std::memcpy(t.values.data(), bytes.constData(), static_cast<size_t>(bytes.size()));
    return t;
}

double maxAbsDiff(const gpu::FloatTensor &a, const gpu::FloatTensor &b)
{
    if (a.shape != b.shape) {
        return INFINITY;
    }
    double worst = 0.0;
    for (size_t i = 0; i < a.values.size(); ++i) {
        worst = std::max(worst, static_cast<double>(std::abs(a.values[i] - b.values[i])));
    }
    return worst;
}

}  // namespace

class TestLlamaReference : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void initTestCase()
    {
        m_expected = expectedJson();
        for (const QJsonValue &id : m_expected[QStringLiteral("tokens")].toArray()) {
            m_tokens.push_back(id.toInt());
        }
        QCOMPARE(m_tokens.size(), size_t(20));
    }

    void fp32MatchesTheReference()
    {
        auto model = gpu::LanguageModel::load(test::dataPath(QStringLiteral("llama_reference")));
        QVERIFY2(model.isOk(), qPrintable(model.status().message()));
        const ModelInfo info = model.value()->info();
        QCOMPARE(info.kvHeads, 2);
        QCOMPARE(info.heads, 4);
        QVERIFY(!info.tiedEmbeddings);
        gpu::ForwardOptions options;
        const QJsonObject hooks = m_expected[QStringLiteral("hooks")].toObject();
        options.captures = hooks.keys();
        auto out = model.value()->forward(m_tokens, options);
        QVERIFY2(out.isOk(), qPrintable(out.status().message()));
        const double logitsDiff = maxAbsDiff(
                out->logits, readExpected(m_expected[QStringLiteral("logits")].toObject()));
        qInfo("fp32 logits: max abs diff %g", logitsDiff);
        QVERIFY2(logitsDiff < 1e-4, qPrintable(QString::number(logitsDiff)));
        for (const QString &hook : hooks.keys()) {
            const double diff =
                    maxAbsDiff(out->activations.at(hook), readExpected(hooks[hook].toObject()));
            QVERIFY2(diff < 1e-4, qPrintable(hook + QStringLiteral(": ") + QString::number(diff)));
        }
    }

    void bf16StaysNearTheReference()
    {
        gpu::LoadOptions options;
        options.dtype = Dtype::BFloat16;
        auto model = gpu::LanguageModel::load(test::dataPath(QStringLiteral("llama_reference")),
                                              options);
        QVERIFY2(model.isOk(), qPrintable(model.status().message()));
        QCOMPARE(model.value()->info().dtype, Dtype::BFloat16);
        auto out = model.value()->forward(m_tokens);
        QVERIFY2(out.isOk(), qPrintable(out.status().message()));
        const gpu::FloatTensor expected =
                readExpected(m_expected[QStringLiteral("logits")].toObject());
        // bf16 keeps 8 bits of mantissa: logits of magnitude ~3 move by a few hundredths.
        const double diff = maxAbsDiff(out->logits, expected);
        qInfo("bf16 logits: max abs diff %g", diff);
        QVERIFY2(diff < 0.15, qPrintable(QString::number(diff)));
        QVERIFY2(diff > 0.0, "bf16 gave exactly the fp32 logits: was the dtype applied?");
    }

private:
    QJsonObject m_expected;
    std::vector<int> m_tokens;
};

QTEST_GUILESS_MAIN(TestLlamaReference)
#include "tst_llama_reference.moc"
