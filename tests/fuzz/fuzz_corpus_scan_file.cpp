// libFuzzer harness: the corpus-scan cache file (QDataStream, versioned). Any bytes load a scan or
// fail with a Status; nothing may allocate what the file merely claims (a huge count).

#include "gpu/analysis/corpus_scan_file.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    using namespace gyrus;
    const QString seeds = fuzz::seedDirectory();
    if (!seeds.isEmpty()) {
        // A small scan as saveCorpusScan() writes it: two features, examples, histograms.
        gpu::CorpusScan scan;
        scan.options.corpusPath = QStringLiteral("corpus.txt");
        scan.options.histogramBins = 4;
        scan.options.samplesPerBin = 1;
        scan.hookName = QStringLiteral("blocks.2.hook_resid_post");
        scan.tokens = {1, 17, 42, 9, 1, 5, 6};
        scan.scannedTokens = 5;
        for (int f = 0; f < 2; ++f) {
            gpu::FeatureScan feature;
            feature.top = {{2.5f, 2}, {0.75f, 5}};
            feature.histogram = {0, 1, 3, 0};
            feature.binSamples = {{}, {{0.1f, 3}}, {{0.75f, 5}}, {}};
            feature.density = 0.25 * (f + 1);
            feature.boosted = {42, 17};
            feature.boostedLogits = {1.5f, 0.5f};
            feature.suppressed = {9};
            feature.suppressedLogits = {-2.0f};
            scan.features.push_back(feature);
        }
        (void)gpu::saveCorpusScan(scan, QStringLiteral("/sae|2|weights"),
                                  seeds + QStringLiteral("/scan.gyrus-scan"));
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    using namespace gyrus;
    const QString path =
            fuzz::writeInputFile(QStringLiteral("scan.gyrus-scan"), fuzz::inputBytes(data, size));
    auto scan = gpu::loadCorpusScan(path);
    (void)scan;
    return 0;
}
