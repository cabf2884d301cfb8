// libFuzzer harness: an RDM as CSV (header row of stimulus ids, square matrix). Any bytes give an
// RDM whose matrix matches its labels, or a Status naming the line.

#include "core/rsa/rdm_csv.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    const QString seeds = gyrus::fuzz::seedDirectory();
    if (!seeds.isEmpty()) {
        // The layout writeRdmCsv() produces and researchers' own tools write: a header row of
        // stimulus ids, then one row per stimulus (with or without its id in front).
        const char *const files[][2] = {
                {"square.csv", ",a,b,c\na,0,0.5,1\nb,0.5,0,0.25\nc,1,0.25,0\n"},
                {"no_row_ids.csv", "s1,s2\n0,1.5e-3\n1.5e-3,0\n"},
                {"quoted.csv", "\"x, y\",z\r\n0,2\r\n2,0\r\n"}};
        for (const auto &file : files) {
            QFile out(seeds + QLatin1Char('/') + QLatin1String(file[0]));
            if (out.open(QIODevice::WriteOnly)) {
                out.write(file[1]);
            }
        }
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    using namespace gyrus;
    const QString path =
            fuzz::writeInputFile(QStringLiteral("rdm.csv"), fuzz::inputBytes(data, size));
    auto rdm = readRdmCsv(path);
    if (!rdm) {
        return 0;
    }
    (void)writeRdmCsv(rdm.value(), fuzz::scratchDir().filePath(QStringLiteral("written.csv")));
    return 0;
}
