#include "tests/gpu/demo_modules.h"

#include "gpu/sae/sae_io.h"

#include <utility>

namespace gyrus::test {

Result<DemoModules> loadDemoModules(DemoParts parts)
{
    DemoModules demo;
    auto model = gpu::LanguageModel::load(demoModelPath());
    if (!model) {
        return model.status();
    }
    demo.model = std::move(model).value();
    if (parts == DemoParts::ModelAndSae) {
        auto sae = gpu::loadSae(demoSaePath());
        if (!sae) {
            return sae.status();
        }
        demo.sae = std::move(sae).value();
    }
    return Result<DemoModules>(std::move(demo));
}

}  // namespace gyrus::test
