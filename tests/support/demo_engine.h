#pragma once
// The demo model and SAE shipped in datasets/demo, and the one way tests bring an engine to them:
//
//   gpu::TorchEngineClient engine;
//   QVERIFY2(loadDemo(engine).isOk(), ...);   // waits (event loop) until both are loaded

#include "core/base/status.h"

#include <QString>

namespace gyrus {
class EngineClient;
}

namespace gyrus::test {

/// datasets/demo/model (config.json, safetensors, tokenizer.model).
QString demoModelPath();
/// datasets/demo/sae (SAELens layout), trained on the demo model's hook.
QString demoSaePath();

enum class DemoParts
{
    Model,
    ModelAndSae,
};

/// Loads the demo model (float32 on the CPU) and, when asked, the demo SAE into `engine`, and
/// waits for both (at most two minutes, running the event loop). The first failure's Status, or
/// a timeout.
Status loadDemo(EngineClient &engine, DemoParts parts = DemoParts::ModelAndSae);

}  // namespace gyrus::test
