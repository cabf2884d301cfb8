// The GUI thread must never wait for the engine. This program opens the real main window on the
// demo model, starts an SAE training (SAE dock) and a long generation (Model dock) at once, and
// measures the gaps between ticks of a 5 ms timer on the GUI thread: the longest gap is the
// longest stall a user would feel. Prints JSON; the limit is 50 ms.
//   bench_ui_latency [--seconds S]      (QT_QPA_PLATFORM=offscreen works)

#include "app/main_window.h"
#include "gpu/engine/torch_engine_client.h"
#include "gpu/model/language_model.h"
#include "gpu/runtime_info.h"
#include "gpu/sae/activations/activation_cache.h"
#include "widgets/panels/model_panel.h"
#include "widgets/panels/sae_training_panel.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPlainTextEdit>
#include <QSettings>
#include <QTemporaryDir>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <vector>

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    const QStringList args = QApplication::arguments();
    const int seconds = args.contains(QStringLiteral("--seconds"))
                                ? args.value(args.indexOf(QStringLiteral("--seconds")) + 1).toInt()
                                : 10;
    gyrus::gpu::configureThreads();
    const QString demo = QStringLiteral(GYRUS_SOURCE_DIR "/datasets/demo/model");
    QTemporaryDir dir;
    const QString activations = dir.filePath(QStringLiteral("acts.h5"));
    {
        auto model = gyrus::gpu::LanguageModel::load(demo);
        if (!model) {
            std::fprintf(stderr, "bench_ui_latency: %s\n", qPrintable(model.status().message()));
            return 1;
        }
        gyrus::gpu::ActivationCacheOptions options;
        options.corpusPath = QStringLiteral(GYRUS_SOURCE_DIR "/datasets/corpus/heldout.txt");
        options.hookName = QStringLiteral("blocks.2.hook_resid_post");
        options.tokenBudget = 65536;
        options.outPath = activations;
        if (auto cached = gyrus::gpu::cacheActivations(*model.value(), options); !cached) {
            std::fprintf(stderr, "bench_ui_latency: %s\n", qPrintable(cached.status().message()));
            return 1;
        }
    }

    QSettings settings(dir.filePath(QStringLiteral("s.ini")), QSettings::IniFormat);
    gyrus::gpu::TorchEngineClient engine;
    gyrus::app::MainWindow window(&settings, nullptr, &engine);
    window.show();

    std::vector<double> gaps;
    QElapsedTimer sinceTick;
    QTimer ticker;
    ticker.setTimerType(Qt::PreciseTimer);
    ticker.setInterval(5);
    QObject::connect(&ticker, &QTimer::timeout, [&] {
        if (sinceTick.isValid()) {
            gaps.push_back(double(sinceTick.nsecsElapsed()) / 1e6);
        }
        sinceTick.start();
    });

    int sawProgress = 0;
    int sawTokens = 0;
    QObject::connect(&engine, &gyrus::EngineClient::saeTrainingProgress, &window,
                     [&] { ++sawProgress; });
    QObject::connect(&engine, &gyrus::EngineClient::tokenGenerated, &window, [&] { ++sawTokens; });
    QObject::connect(&engine, &gyrus::EngineClient::finished, &window, [&] {
        if (ticker.isActive() && !window.modelPanel()->isBusy()) {
            window.modelPanel()->generate();
        }
    });
    QObject::connect(&engine, &gyrus::EngineClient::modelLoaded, &window, [&] {
        gyrus::SaeTrainRequest request;
        request.activationsPath = activations;
        request.sae.hookName = QStringLiteral("blocks.2.hook_resid_post");
        request.sae.dSae = 1536;
        request.sae.k = 32;
        request.batchSize = 4096;
        request.totalTokens = qint64(4096) * 100000;  // longer than the measurement
        request.outDirectory = dir.filePath(QStringLiteral("sae"));
        window.saeTrainingPanel()->setRequest(request);
        window.saeTrainingPanel()->start();
        window.modelPanel()
                ->findChild<QPlainTextEdit *>(QStringLiteral("prompt"))
                ->setPlainText(QStringLiteral("The jury said"));
        // Several generations in a row, so that text streams during the whole measurement.
        window.modelPanel()->generate();
        ticker.start();
        QTimer::singleShot(seconds * 1000, &window, [&] {
            ticker.stop();
            engine.cancelAll();
            QApplication::quit();
        });
    });
    window.modelPanel()->loadModel(demo);
    QApplication::exec();

    std::sort(gaps.begin(), gaps.end());
    const double worst = gaps.empty() ? 0.0 : gaps.back();
    const double p99 = gaps.empty() ? 0.0 : gaps[size_t(0.99 * double(gaps.size() - 1))];
    const QJsonObject json{{QStringLiteral("seconds"), seconds},
                           {QStringLiteral("ticks"), double(gaps.size())},
                           {QStringLiteral("sae_progress_reports"), sawProgress},
                           {QStringLiteral("generated_tokens"), sawTokens},
                           {QStringLiteral("max_gui_stall_ms"), worst},
                           {QStringLiteral("p99_tick_gap_ms"), p99},
                           {QStringLiteral("limit_ms"), 50.0},
                           {QStringLiteral("within_limit"), worst < 50.0}};
    std::fputs(QJsonDocument(json).toJson().constData(), stdout);
    return sawProgress > 0 && sawTokens > 0 ? 0 : 1;
}
