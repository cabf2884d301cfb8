#include "tests/support/demo_engine.h"

#include "core/engine/engine_client.h"
#include "tests/support/request_spy.h"
#include "tests/support/test_paths.h"

#include <QSignalSpy>
#include <QTest>

#include <algorithm>

namespace gyrus::test {

QString demoModelPath()
{
    return sourcePath(QStringLiteral("datasets/demo/model"));
}

QString demoSaePath()
{
    return sourcePath(QStringLiteral("datasets/demo/sae"));
}

Status loadDemo(EngineClient &engine, DemoParts parts)
{
    QSignalSpy finished(&engine, &EngineClient::finished);
    QList<RequestId> loads{
            engine.loadModel(ModelSpec{demoModelPath(), QStringLiteral("cpu"), Dtype::Float32})};
    if (parts == DemoParts::ModelAndSae) {
        loads << engine.loadSae(SaeSpec{demoSaePath(), QStringLiteral("cpu")});
    }
    const bool done = QTest::qWaitFor(
            [&] {
                return std::all_of(loads.cbegin(), loads.cend(),
                                   [&](RequestId id) { return hasFinished(finished, id); });
            },
            120000);
    if (!done) {
        return Status::internal(QStringLiteral("the demo model or SAE did not load in 2 minutes"));
    }
    for (RequestId id : loads) {
        if (Status status = statusOf(finished, id); !status.isOk()) {
            return status;
        }
    }
    return Status::ok();
}

}  // namespace gyrus::test
