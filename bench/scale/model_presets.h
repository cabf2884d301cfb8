#pragma once
// config.json of the model shapes bench_scale climbs: a 124M Llama-shaped model (GPT-2 small's
// width and depth), Gemma-2-2B and Llama-3.1-8B, as their Hugging Face config.json files give
// them (google/gemma-2-2b, meta-llama/Llama-3.1-8B). Random weights with these shapes cost what
// the real ones cost.

#include <QByteArray>
#include <QString>
#include <QStringList>

namespace gyrus::bench {

/// The names bench_scale accepts: "llama-124m", "gemma-2-2b", "llama-3.1-8b".
QStringList presetNames();

/// The config.json text of `name`, or of "NAME:N" (the preset's first N layers); empty for an
/// unknown name.
QByteArray presetConfig(const QString &name);

}  // namespace gyrus::bench
