#pragma once

#include "app/cli/command_registry.h"

namespace gyrus::cli {

// One function per command, each defined in its own <name>_command.cpp and listed in
// command_registry.cpp.
Command attentionCommand();
Command attributeCommand();
Command cacheCommand();
Command conceptVectorCommand();
Command conceptSweepCommand();
Command compareMethodsCommand();
Command envCommand();
Command contrastCommand();
Command rdmCommand();
Command rsaCommand();
Command lmEvalCommand();
Command logitLensCommand();
Command patchCommand();
Command representCommand();
Command replicateCommand();
Command scanCommand();
Command selectFeaturesCommand();
Command trainLmCommand();
Command promptsCommand();
Command tokenizerCommand();
Command tokenizeCommand();
Command infoCommand();
Command forwardCommand();
Command generateCommand();
Command saeCommand();
Command launchCommand();
Command explainCommand();
Command scoreCommand();
Command searchFeaturesCommand();
Command judgeMethodsCommand();

}  // namespace gyrus::cli
