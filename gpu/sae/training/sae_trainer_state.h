#pragma once
// Private to gyrus_gpu (and tests/gpu): the tensors of a training run, everything a checkpoint
// holds.

#include "gpu/sae/sae_module.h"

#include <ATen/ATen.h>

#include <string>
#include <vector>

namespace gyrus::gpu::detail {

struct SaeTrainerState
{
    SaeModule module;         ///< in training units (inputs multiplied by inputScale)
    at::Tensor logThreshold;  ///< JumpRelu: the trained parameter (θ = exp(log θ))
    std::vector<std::string>
            parameterNames;  ///< "W_enc", "b_enc", "W_dec", "b_dec"[, "log_threshold"]
    std::vector<at::Tensor> adamFirstMoment;   ///< per parameter, same order
    std::vector<at::Tensor> adamSecondMoment;  ///< per parameter, same order
    int64_t adamSteps = 0;
    double inputScale = 1.0;
    int64_t step = 0;
    at::Tensor tokensSinceFired;  ///< [d_sae] int64
    at::Tensor firedInWindow;     ///< [d_sae] int64, since the last metrics report
    int64_t tokensInWindow = 0;
    at::Tensor firedForExport;  ///< [d_sae] int64, over the second half of training
    int64_t tokensForExport = 0;
    at::Tensor batchTopKTheta;  ///< 0-d float: BatchTopK inference threshold
    bool batchTopKThetaSet = false;
    int64_t sourcePosition = 0;  ///< rows the source has served
    at::Tensor metricSums;       ///< [8] float sums since the last report (see sae_trainer.cpp)
    int64_t stepsInWindow = 0;

    /// The parameters in parameterNames order (the module's tensors, shared storage).
    std::vector<at::Tensor> parameters() const
    {
        std::vector<at::Tensor> list = {module.weights().wEnc, module.weights().bEnc,
                                        module.weights().wDec, module.weights().bDec};
        if (logThreshold.defined()) {
            list.push_back(logThreshold);
        }
        return list;
    }
};

}  // namespace gyrus::gpu::detail
