#pragma once
// `gyrus-cli <arguments>` for tests, in this process by default: the dispatcher of gyrus_cli_lib
// (runCli) with stdout and stderr captured at the file descriptors, so what a script would see
// (JSON on stdout, one error line on stderr, the exit code) is what the test sees, without
// starting a LibTorch process per call.
//
// A run that needs its own environment (variables read once at start-up, such as OpenMP's or the
// sentencepiece module override) runs as a real process, as does every run when
// GYRUS_CLI_TEST_MODE=process. tests/app/tst_executables keeps checking the executables
// themselves.

#include "tests/support/process_run.h"

#include <QJsonObject>
#include <QProcessEnvironment>
#include <QStringList>

namespace gyrus::test {

/// Runs gyrus-cli with `arguments` (without the program name). `environment`, when given, makes
/// it a process run with that environment.
ProcessRun runCli(const QStringList &arguments,
                  const QProcessEnvironment &environment = QProcessEnvironment());

/// The same, always in this process (stdout/stderr captured through temporary files).
ProcessRun runCliInProcess(const QStringList &arguments);

/// runCli() of a command that prints one JSON object: the object, or an empty one after a
/// warning with the command, its exit code and stderr when it failed (so the test's next
/// QCOMPARE on a field fails with the reason in the log).
QJsonObject runCliJson(const QStringList &arguments);

}  // namespace gyrus::test
