// libFuzzer harness for the tokenizer.json loader: any bytes must load or fail with a Status,
// and a tokenizer that loads must encode and decode without crashing. Built and run by
// scripts/fuzz (clang, libFuzzer, AddressSanitizer + UBSan; -DGYRUS_FUZZ=ON).

#include "core/tokenizer/hf_tokenizer.h"

#include <QFile>
#include <QTemporaryDir>

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("tokenizer.json"));
    {
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly)) {
            return 0;
        }
        file.write(reinterpret_cast<const char *>(data), qint64(size));
    }
    const auto loaded = gyrus::tokenizer::HfTokenizer::loadJson(path, QString());
    if (!loaded) {
        return 0;
    }
    const auto &tokenizer = *loaded.value();
    for (const char *text :
         {"Hello world", " ab ab1<s>\xC3\xA9xx  \n\n", "", "\xF0\x9F\x98\x80 x"}) {
        std::vector<int> ids;
        for (const auto &token : tokenizer.encode(text, true)) {
            ids.push_back(token.id);
        }
        tokenizer.decode(ids, false);
        for (const int id : ids) {
            tokenizer.displayToken(id);
        }
    }
    return 0;
}
