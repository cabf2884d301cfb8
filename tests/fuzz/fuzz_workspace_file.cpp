// libFuzzer harness: a .gyrus workspace file's bytes (HDF5: root attributes, /provenance,
// /sections/<name>). Any bytes read to a document or fail with a Status naming the file; the
// core sections of a document that reads are restored as on open.

#include "core/session/workspace_file.h"
#include "tests/fuzz/fuzz_input.h"

#include <QJsonDocument>
#include <QJsonObject>

#include <pthread.h>
#include <sanitizer/common_interface_defs.h>

namespace gyrus::fuzz {
void restoreCoreSections(const QByteArray &selection, const QByteArray &saeTraining);
}

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    using namespace gyrus;
    // Workspaces are read in a forked child first, which exists to absorb HDF5's faults on
    // damaged files. A sanitizer report there must end only the child (the parent then refuses
    // the file, which is what is under test), not run libFuzzer's crash handler inherited
    // across fork, which would record the child's known HDF5 fault as this input's crash.
    pthread_atfork(nullptr, nullptr, [] { __sanitizer_set_death_callback(nullptr); });
    const QString seeds = fuzz::seedDirectory();
    if (!seeds.isEmpty()) {
        // A workspace as the app writes it, small: a selection and an SAE training section.
        WorkspaceDocument document;
        document.sections.insert(
                QStringLiteral("selection"),
                QByteArrayLiteral("{\"version\":1,\"selected_feature\":3,\"clamp_set\":{\"name\":"
                                  "\"\",\"clamps\":[]},\"annotations\":[]}"));
        document.sections.insert(
                QStringLiteral("sae_training"),
                QByteArrayLiteral("{\"form\":{\"hook\":\"blocks.2.hook_resid_post\"},"
                                  "\"history\":[{\"step\":10,\"loss\":0.5}]}"));
        document.provenance.insert(QStringLiteral("note"), QStringLiteral("fuzz seed"));
        (void)writeWorkspaceFile(seeds + QStringLiteral("/small.gyrus"), document);
        (void)writeWorkspaceFile(seeds + QStringLiteral("/empty.gyrus"), WorkspaceDocument{});
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    using namespace gyrus;
    const QString path =
            fuzz::writeInputFile(QStringLiteral("fuzz.gyrus"), fuzz::inputBytes(data, size));
    auto document = readWorkspaceFile(path);
    if (!document) {
        return 0;
    }
    fuzz::restoreCoreSections(document->sections.value(QStringLiteral("selection")),
                              document->sections.value(QStringLiteral("sae_training")));
    return 0;
}
