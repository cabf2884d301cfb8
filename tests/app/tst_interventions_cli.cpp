// Head ablation and concept-vector steering beside clamps, on the demo model: a zero-ablated
// head's share of hook_attn_out is exactly W_O,h · z_h (checked with the output projection's
// weights, not through the hook), a mean ablation holds z_h at its prompt mean, a steering vector
// adds α·v after BOS; and `gyrus-cli generate --ablate-head / --steer-vector` prints what the
// steering dock's run (SteeringRun, the engine's path) and generateClamped produce, which differs
// from the plain continuation.

#include "core/steering/interventions.h"
#include "gpu/model/hook_set.h"
#include "gpu/model/language_model.h"
#include "gpu/model/transformer.h"
#include "gpu/sae/steering/intervention_hooks.h"
#include "gpu/sae/steering/steering.h"
#include "gpu/sae/steering/steering_run.h"
#include "tests/gpu/demo_modules.h"
#include "tests/support/cli_run.h"
#include "tests/support/demo_engine.h"
#include "tests/support/test_paths.h"

#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <cmath>

using namespace gyrus;
using namespace gyrus::gpu;

namespace {

const QString kPrompt = QStringLiteral("The children were happy");
const QString kHook = QStringLiteral("blocks.2.hook_resid_post");

double maxAbs(const at::Tensor &t)
{
    return t.abs().max().item<double>();
}

}  // namespace

class TestInterventionsCli : public QObject
{
    Q_OBJECT
private:
    std::unique_ptr<LanguageModel> m_model;
    std::vector<int> m_tokens;
    QTemporaryDir m_dir;
    QString m_vectorFile;

    /// Captures `point` (after the interventions) on the prompt.
    at::Tensor runCapturing(const Interventions &interventions, const gpu::detail::HookPoint &point)
    {
        gpu::detail::HookSet hooks;
        const Status added = gpu::detail::addInterventions(
                hooks, m_model->tensorModel(), interventions, m_tokens,
                clampScopeForPrompt(int64_t(m_tokens.size()), true));
        if (!added.isOk()) {
            qWarning("%s", qPrintable(added.message()));
            return {};
        }
        hooks.capture(point);
        c10::InferenceMode guard;
        const std::vector<int64_t> ids(m_tokens.begin(), m_tokens.end());
        m_model->tensorModel().forward(at::tensor(ids, at::kLong).view({1, -1}), &hooks, nullptr,
                                       gpu::detail::LogitsMode::All);
        return hooks.captured(point).select(0, 0).to(at::kDouble);
    }

private Q_SLOTS:

    void initTestCase()
    {
        auto demo = test::loadDemoModules(test::DemoParts::Model);
        QVERIFY2(demo, qPrintable(demo.status().message()));
        m_model = std::move(demo.value().model);
        auto tokens = m_model->encode(kPrompt);
        QVERIFY(tokens);
        m_tokens = tokens.value();
        QCOMPARE(m_tokens.front(), m_model->tokenizer().bosId());

        // The tense contrast of the demo set as a concept vector, written by the CLI.
        const test::ProcessRun concept = test::runCli(
                {QStringLiteral("concept-vector"), QStringLiteral("--model"), test::demoModelPath(),
                 QStringLiteral("--prompts"),
                 test::sourcePath(
                         QStringLiteral("datasets/prompt-sets/demo/demo-tense-number.json")),
                 QStringLiteral("--hook"), kHook, QStringLiteral("--pooling"),
                 QStringLiteral("last"), QStringLiteral("--a"), QStringLiteral("tense=present"),
                 QStringLiteral("--b"), QStringLiteral("tense=past")});
        QVERIFY2(concept.exitCode == 0, qPrintable(concept.err));
        m_vectorFile = m_dir.filePath(QStringLiteral("tense.json"));
        QFile file(m_vectorFile);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(concept.out);
    }

    void parsesTheCommandLineForms()
    {
        QCOMPARE(*parseHeadAblation(QStringLiteral("2.5")),
                 (HeadAblation{2, 5, HeadAblationMode::Zero}));
        QCOMPARE(*parseHeadAblation(QStringLiteral(" 1.0 = mean")),
                 (HeadAblation{1, 0, HeadAblationMode::Mean}));
        QVERIFY(!parseHeadAblation(QStringLiteral("1")));
        QVERIFY(!parseHeadAblation(QStringLiteral("1.2=half")));
        QVERIFY(!parseHeadAblation(QStringLiteral("-1.2")));
        QVERIFY(!steeringVectorFromJson("{\"hook\": \"x\"}", QStringLiteral("v.json"), 1.0));
        QCOMPARE(steeringVectorFromJson("[1]", QStringLiteral("v.json"), 1.0).status().message(),
                 QStringLiteral("v.json: not a JSON object (the top level is not an object)"));
    }

    void zeroAblationRemovesExactlyTheHeadsShareOfTheAttentionOutput()
    {
        const int layer = 1;
        const int head = 3;
        const gpu::detail::HookPoint attnOut{gpu::detail::HookSite::AttnOut, layer};
        const at::Tensor plainOut = runCapturing({}, attnOut);
        const at::Tensor z =
                runCapturing({}, gpu::detail::HookPoint{gpu::detail::HookSite::AttnZ, layer});
        Interventions ablate;
        ablate.heads = {HeadAblation{layer, head, HeadAblationMode::Zero}};
        const at::Tensor ablatedOut = runCapturing(ablate, attnOut);
        QVERIFY(plainOut.defined() && z.defined() && ablatedOut.defined());

        const int64_t headDim = m_model->config().headDim();
        const at::Tensor wO = m_model->tensorModel()
                                      .weights()
                                      .layers[layer]
                                      .o.weight.to(at::kDouble)
                                      .narrow(1, head * headDim, headDim);  // [d_model, d_head]
        const at::Tensor share = at::matmul(z.narrow(1, head * headDim, headDim), wO.t());
        const at::Tensor removed = plainOut - ablatedOut;
        // BOS is never edited; every later position loses exactly the head's share.
        QVERIFY(maxAbs(removed[0]) == 0.0);
        const at::Tensor rest = removed.narrow(0, 1, removed.size(0) - 1);
        const at::Tensor expected = share.narrow(0, 1, share.size(0) - 1);
        QVERIFY2(maxAbs(rest - expected) < 1e-4 * std::max(1.0, maxAbs(expected)),
                 qPrintable(QString::number(maxAbs(rest - expected))));
        QVERIFY(maxAbs(expected) > 1e-3);  // the head did contribute
    }

    void meanAblationHoldsTheHeadAtItsPromptMean()
    {
        const int layer = 2;
        const int head = 1;
        const gpu::detail::HookPoint zPoint{gpu::detail::HookSite::AttnZ, layer};
        const at::Tensor plain = runCapturing({}, zPoint);
        Interventions ablate;
        ablate.heads = {HeadAblation{layer, head, HeadAblationMode::Mean}};
        const at::Tensor ablated = runCapturing(ablate, zPoint);
        const int64_t headDim = m_model->config().headDim();
        const int64_t count = plain.size(0);
        const at::Tensor mean =
                plain.narrow(0, 1, count - 1).narrow(1, head * headDim, headDim).mean(0);
        const at::Tensor slice = ablated.narrow(0, 1, count - 1).narrow(1, head * headDim, headDim);
        QVERIFY(maxAbs(slice - mean.unsqueeze(0)) < 1e-5);
        // Other heads at this layer, and BOS, are untouched.
        QVERIFY(maxAbs(ablated[0] - plain[0]) == 0.0);
        QVERIFY(maxAbs(ablated.narrow(1, 0, head * headDim) - plain.narrow(1, 0, head * headDim)) ==
                0.0);
    }

    void steeringVectorAddsAlphaTimesTheVectorAfterBos()
    {
        QFile file(m_vectorFile);
        QVERIFY(file.open(QIODevice::ReadOnly));
        auto vector = steeringVectorFromJson(file.readAll(), m_vectorFile, 3.0);
        QVERIFY2(vector, qPrintable(vector.status().message()));
        QCOMPARE(vector->hook, kHook);
        QCOMPARE(int(vector->direction.size()), m_model->config().hiddenSize);
        const auto point = *gpu::detail::HookPoint::parse(kHook, m_model->config().numHiddenLayers);
        Interventions steer;
        steer.vectors = {vector.value()};
        const at::Tensor plain = runCapturing({}, point);
        const at::Tensor steered = runCapturing(steer, point);
        const at::Tensor v = at::tensor(vector->direction, at::kFloat).to(at::kDouble) * 3.0;
        QVERIFY(maxAbs(steered[0] - plain[0]) == 0.0);
        for (int64_t t = 1; t < plain.size(0); ++t) {
            QVERIFY(maxAbs(steered[t] - plain[t] - v) < 1e-4);
        }
    }

    void generateMatchesTheSteeringRunAndChangesTheText()
    {
        SteeringRequest request;
        request.prompt = kPrompt;
        request.options.maxNewTokens = 12;
        request.interventions.heads = {HeadAblation{0, 0, HeadAblationMode::Zero},
                                       HeadAblation{1, 2, HeadAblationMode::Mean}};
        QFile file(m_vectorFile);
        QVERIFY(file.open(QIODevice::ReadOnly));
        request.interventions.vectors = {
                steeringVectorFromJson(file.readAll(), m_vectorFile, 8.0).value()};

        auto run = SteeringRun::start(*m_model, 1, nullptr, request, nullptr);
        QVERIFY2(run, qPrintable(run.status().message()));
        while (!run.value()->isFinished()) {
            auto piece = run.value()->step();
            QVERIFY2(piece, qPrintable(piece.status().message()));
        }
        const SteeringOutcome outcome = run.value()->outcome();
        QVERIFY2(outcome.steeredText != outcome.baselineText,
                 qPrintable(outcome.steeredText + QStringLiteral(" | ") + outcome.baselineText));

        GenerateOptions options = request.options;
        auto direct =
                generateClamped(*m_model, nullptr, {}, kPrompt, options, {}, request.interventions);
        QVERIFY2(direct, qPrintable(direct.status().message()));
        QCOMPARE(direct->text, outcome.steeredText);

        const test::ProcessRun cli = test::runCli(
                {QStringLiteral("generate"), QStringLiteral("--model"), test::demoModelPath(),
                 QStringLiteral("--prompt"), kPrompt, QStringLiteral("--max-new-tokens"),
                 QStringLiteral("12"), QStringLiteral("--ablate-head"), QStringLiteral("0.0"),
                 QStringLiteral("--ablate-head"), QStringLiteral("1.2=mean"),
                 QStringLiteral("--steer-vector"), m_vectorFile, QStringLiteral("--alpha"),
                 QStringLiteral("8")});
        QVERIFY2(cli.exitCode == 0, qPrintable(cli.err));
        QCOMPARE(cli.outText().trimmed(), outcome.steeredText.trimmed());

        const test::ProcessRun plain =
                test::runCli({QStringLiteral("generate"), QStringLiteral("--model"),
                              test::demoModelPath(), QStringLiteral("--prompt"), kPrompt,
                              QStringLiteral("--max-new-tokens"), QStringLiteral("12")});
        QVERIFY2(plain.exitCode == 0, qPrintable(plain.err));
        QCOMPARE(plain.outText().trimmed(), outcome.baselineText.trimmed());
    }

    void badInterventionsAreOneClearLine()
    {
        const QStringList base{QStringLiteral("generate"), QStringLiteral("--model"),
                               test::demoModelPath(), QStringLiteral("--prompt"), kPrompt};
        const test::ProcessRun head = test::runCli(
                base + QStringList{QStringLiteral("--ablate-head"), QStringLiteral("9.0")});
        QCOMPARE(head.exitCode, 2);
        QVERIFY2(head.err.contains(QStringLiteral("head 9.0 is not in the model")),
                 qPrintable(head.err));
        const test::ProcessRun form = test::runCli(
                base + QStringList{QStringLiteral("--ablate-head"), QStringLiteral("x")});
        QCOMPARE(form.exitCode, 2);
        QVERIFY2(form.err.contains(QStringLiteral("is not LAYER.HEAD")), qPrintable(form.err));
        const test::ProcessRun missing =
                test::runCli(base + QStringList{QStringLiteral("--steer-vector"),
                                                m_dir.filePath(QStringLiteral("none.json"))});
        QCOMPARE(missing.exitCode, 2);
        QVERIFY2(missing.err.contains(QStringLiteral("none.json")), qPrintable(missing.err));
    }
};

QTEST_GUILESS_MAIN(TestInterventionsCli)
#include "tst_interventions_cli.moc"
