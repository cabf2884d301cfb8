// The transformer on a CUDA device against the CPU and the reference fixture (label cuda; built
// with GYRUS_WITH_CUDA_TESTS, skipped without a device). On LibTorch 2.x this is also the test
// of the scaled_dot_product_attention path.

#include "gpu/model/generation.h"
#include "gpu/model/language_model.h"
#include "gpu/model/transformer.h"
#include "tests/support/test_paths.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

#include <ATen/ATen.h>
#include <torch/cuda.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

using namespace gyrus;

namespace {

std::unique_ptr<gpu::LanguageModel> load(const QString &device, const QString &dtype)
{
    gpu::LoadOptions options;
    options.device = device;
    options.dtype = fromName<Dtype>(dtype).value();
    auto model =
            gpu::LanguageModel::load(test::dataPath(QStringLiteral("llama_reference")), options);
    if (!model) {
        qWarning("%s", qPrintable(model.status().message()));
        return nullptr;
    }
    return std::move(model).value();
}

std::vector<int> fixtureTokens()
{
    QFile file(test::dataPath(QStringLiteral("llama_reference/expected.json")));
    if (!file.open(QIODevice::ReadOnly)) {
        return {};
    }
    std::vector<int> tokens;
    const QJsonObject json = QJsonDocument::fromJson(file.readAll()).object();
    for (const QJsonValue &id : json[QStringLiteral("tokens")].toArray()) {
        tokens.push_back(id.toInt());
    }
    return tokens;
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

class TestLlamaCuda : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void initTestCase()
    {
        if (torch::cuda::device_count() == 0) {
            QSKIP("no CUDA device");
        }
    }

    void cudaMatchesCpu_data()
    {
        QTest::addColumn<QString>("dtype");
        QTest::addColumn<double>("bound");
        QTest::newRow("fp32") << QStringLiteral("fp32") << 1e-4;
        QTest::newRow("bf16") << QStringLiteral("bf16") << 0.15;
        QTest::newRow("fp16") << QStringLiteral("fp16") << 0.05;
    }

    void cudaMatchesCpu()
    {
        QFETCH(QString, dtype);
        QFETCH(double, bound);
        auto cpu = load(QStringLiteral("cpu"), QStringLiteral("fp32"));
        auto cuda = load(QStringLiteral("cuda:0"), dtype);
        QVERIFY(cpu && cuda);
        QCOMPARE(cuda->info().device, QStringLiteral("cuda:0"));
        gpu::ForwardOptions options;
        options.captures = {QStringLiteral("blocks.1.hook_resid_post")};
        const std::vector<int> tokens = fixtureTokens();
        auto a = cpu->forward(tokens, options);
        auto b = cuda->forward(tokens, options);
        QVERIFY2(b.isOk(), qPrintable(b.status().message()));
        const double diff = maxAbsDiff(a->logits, b->logits);
        qInfo("%s logits vs CPU fp32: max abs diff %g", qPrintable(dtype), diff);
        QVERIFY2(diff < bound, qPrintable(QString::number(diff)));
    }

    void kvCacheDecodingOnCudaEqualsFullForward()
    {
        auto cuda = load(QStringLiteral("cuda:0"), QStringLiteral("fp32"));
        QVERIFY(cuda);
        gpu::detail::Transformer &model = cuda->tensorModel();
        const std::vector<int> ids = fixtureTokens();
        const at::Tensor tokens =
                at::tensor(std::vector<int64_t>(ids.begin(), ids.end()), at::kLong).view({1, -1});
        const at::Tensor full = model.forward(tokens).cpu();
        gpu::detail::KvCache cache = model.newCache(4);
        std::vector<at::Tensor> steps{model.forward(tokens.narrow(1, 0, 5), nullptr, &cache)};
        for (int64_t t = 5; t < tokens.size(1); ++t) {
            steps.push_back(model.forward(tokens.narrow(1, t, 1), nullptr, &cache));
        }
        const double diff = (at::cat(steps, 1).cpu() - full).abs().max().item<double>();
        QVERIFY2(diff < 1e-4, qPrintable(QString::number(diff)));
    }

    void greedyGenerationMatchesCpu()
    {
        auto cpu = load(QStringLiteral("cpu"), QStringLiteral("fp32"));
        auto cuda = load(QStringLiteral("cuda:0"), QStringLiteral("fp32"));
        QVERIFY(cpu && cuda);
        GenerateOptions options;
        options.maxNewTokens = 16;
        options.stopAtEos = false;
        const std::vector<int> prompt{1, 17, 93, 5};
        auto a = cpu->generateFromTokens(prompt, options);
        auto b = cuda->generateFromTokens(prompt, options);
        QVERIFY(a.isOk() && b.isOk());
        QCOMPARE(b->tokens, a->tokens);
    }
};

QTEST_GUILESS_MAIN(TestLlamaCuda)
#include "tst_llama_cuda.moc"
