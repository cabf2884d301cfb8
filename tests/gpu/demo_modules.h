#pragma once
// The demo model and SAE (tests/support/demo_engine.h's paths) loaded in the test's own process,
// without an engine: what a test recomputes the engine's or gyrus-cli's answers with.
//
//   auto demo = test::loadDemoModules();
//   QVERIFY2(demo, qPrintable(demo.status().message()));
//   m_model = std::move(demo.value().model);
//
// On a device (the CUDA tests): loadDemoModules(DemoParts::ModelAndSae, QStringLiteral("cuda:0")),
// or loadDemoSae(device) for the SAE alone.

#include "core/base/status.h"
#include "gpu/model/language_model.h"
#include "gpu/sae/sae_module.h"
#include "tests/support/demo_engine.h"

#include <memory>

namespace gyrus::test {

struct DemoModules
{
    std::unique_ptr<gpu::LanguageModel> model;    ///< float32 on the device asked for
    std::shared_ptr<gpu::detail::SaeModule> sae;  ///< null when only the model was asked for
};

/// Loads datasets/demo/model (float32) and, when asked, datasets/demo/sae onto `device`; the
/// first failure's Status.
Result<DemoModules> loadDemoModules(DemoParts parts = DemoParts::ModelAndSae,
                                    const QString &device = QStringLiteral("cpu"));

/// Loads datasets/demo/sae alone onto `device`.
Result<std::shared_ptr<gpu::detail::SaeModule>> loadDemoSae(
        const QString &device = QStringLiteral("cpu"));

}  // namespace gyrus::test
