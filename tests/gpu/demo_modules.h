#pragma once
// The demo model and SAE (tests/support/demo_engine.h's paths) loaded in the test's own process,
// without an engine: what a test recomputes the engine's or gyrus-cli's answers with.
//
//   auto demo = test::loadDemoModules();
//   QVERIFY2(demo, qPrintable(demo.status().message()));
//   m_model = std::move(demo.value().model);

#include "core/base/status.h"
#include "gpu/model/language_model.h"
#include "gpu/sae/sae_module.h"
#include "tests/support/demo_engine.h"

#include <memory>

namespace gyrus::test {

struct DemoModules
{
    std::unique_ptr<gpu::LanguageModel> model;    ///< float32 on the CPU
    std::shared_ptr<gpu::detail::SaeModule> sae;  ///< null when only the model was asked for
};

/// Loads datasets/demo/model and, when asked, datasets/demo/sae; the first failure's Status.
Result<DemoModules> loadDemoModules(DemoParts parts = DemoParts::ModelAndSae);

}  // namespace gyrus::test
