#include "tests/gpu/demo_modules.h"

#include "gpu/sae/sae_io.h"

#include <utility>

namespace gyrus::test {

Result<std::shared_ptr<gpu::detail::SaeModule>> loadDemoSae(const QString &device)
{
    return gpu::loadSae(demoSaePath(), device);
}

Result<DemoModules> loadDemoModules(DemoParts parts, const QString &device)
{
    DemoModules demo;
    gpu::LoadOptions options;
    options.device = device;
    auto model = gpu::LanguageModel::load(demoModelPath(), options);
    if (!model) {
        return model.status();
    }
    demo.model = std::move(model).value();
    if (parts == DemoParts::ModelAndSae) {
        auto sae = loadDemoSae(device);
        if (!sae) {
            return sae.status();
        }
        demo.sae = std::move(sae).value();
    }
    return Result<DemoModules>(std::move(demo));
}

}  // namespace gyrus::test
