#!/usr/bin/env python3
"""The peers of Gyrus's GPU figures (bench/torch2/device/run.sh), in PyTorch and transformers.

  make-model DIR [--size 1b|tiny]   a random Llama-architecture checkpoint (Llama-3.2-1B's shape:
                                    d 2048, 16 layers, 32/8 heads, ffn 8192, vocab 128256; or a
                                    tiny one for a CPU dry run), saved by transformers as safetensors
  forward DIR --attn eager|sdpa     transformers' prefill (batch x tokens, logits of the last
                                    position) and greedy decode with its cache, tokens/s; writes the
                                    first row's last-token logits (float32) with --logits-out
  sae-step --arch topk|jumprelu     one plain-PyTorch training step of the same maths as Gyrus's
                                    (bf16 autocast, float32 master weights, Adam), tokens/s, and the
                                    device's bf16 matmul rate measured in the same process
Each prints one JSON object. Token ids are (7 + 13 i) mod vocab, as bench_device_forward builds.
"""
import argparse
import json
import sys
import time

import torch


def sync(device):
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def best(fn, repeats, device):
    fn()
    sync(device)
    out = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        sync(device)
        out = min(out, time.perf_counter() - start)
    return out


def make_model(args):
    from transformers import LlamaConfig, LlamaForCausalLM
    if args.size == "1b":
        config = LlamaConfig(hidden_size=2048, intermediate_size=8192, num_hidden_layers=16,
                             num_attention_heads=32, num_key_value_heads=8, vocab_size=128256,
                             max_position_embeddings=4096, rope_theta=500000.0,
                             tie_word_embeddings=True, torch_dtype="bfloat16")
    else:
        config = LlamaConfig(hidden_size=128, intermediate_size=256, num_hidden_layers=2,
                             num_attention_heads=4, num_key_value_heads=2, vocab_size=512,
                             max_position_embeddings=1024, torch_dtype="float32")
    torch.manual_seed(0)
    model = LlamaForCausalLM(config)
    if args.size == "1b":
        model = model.to(torch.bfloat16)
    model.save_pretrained(args.dir, safe_serialization=True)
    json.dump({"made": args.dir, "parameters": sum(p.numel() for p in model.parameters())},
              sys.stdout)
    print()


def fixed_tokens(batch, tokens, vocab, device):
    ids = (torch.arange(batch * tokens, dtype=torch.long) * 13 + 7) % vocab
    return ids.view(batch, tokens).to(device)


def forward(args):
    from transformers import AutoModelForCausalLM
    dtype = {"bf16": torch.bfloat16, "fp32": torch.float32}[args.dtype]
    model = AutoModelForCausalLM.from_pretrained(args.dir, dtype=dtype,
                                                 attn_implementation=args.attn).to(args.device)
    model.eval()
    vocab = model.config.vocab_size
    ids = fixed_tokens(args.batch, args.tokens, vocab, args.device)
    with torch.inference_mode():
        logits = {}

        def prefill():
            logits["last"] = model(ids, logits_to_keep=1).logits

        prefill_s = best(prefill, args.repeats, args.device)
        if args.logits_out:
            logits["last"][0, -1].float().cpu().numpy().tofile(args.logits_out)
        prompt = ids[:1, :16]

        def decode():
            model.generate(prompt, max_new_tokens=args.decode_tokens,
                           min_new_tokens=args.decode_tokens, do_sample=False)

        decode_s = best(decode, args.repeats, args.device)
    json.dump({"bench": "hf_forward", "attn": args.attn, "dtype": args.dtype,
               "torch": torch.__version__, "prefill_tokens_per_s": args.batch * args.tokens / prefill_s,
               "decode_tokens_per_s": args.decode_tokens / decode_s}, sys.stdout, indent=1)
    print()


def sae_step(args):
    device, d, n, batch, k = args.device, args.d_in, args.d_sae, args.batch, args.k
    torch.manual_seed(0)
    w_enc = torch.randn(d, n, device=device) / d ** 0.5
    w_dec = w_enc.t().contiguous()
    b_enc = torch.zeros(n, device=device)
    b_dec = torch.zeros(d, device=device)
    log_threshold = torch.full((n,), -1.0, device=device)
    params = [w_enc, w_dec, b_enc, b_dec] + ([log_threshold] if args.arch == "jumprelu" else [])
    for p in params:
        p.requires_grad_(True)
    optimiser = torch.optim.Adam(params, lr=1e-4)
    x = torch.randn(batch, d, device=device)

    class JumpReLU(torch.autograd.Function):
        @staticmethod
        def forward(ctx, pre, threshold):
            ctx.save_for_backward(pre, threshold)
            return pre * (pre > threshold)

        @staticmethod
        def backward(ctx, grad):
            pre, threshold = ctx.saved_tensors
            eps = 0.05
            kernel = ((pre - threshold).abs() < eps / 2).to(grad.dtype)
            return grad * (pre > threshold), (-(threshold / eps) * kernel * grad).sum(0)

    def step():
        optimiser.zero_grad(set_to_none=True)
        with torch.autocast(device_type=device.split(":")[0], dtype=torch.bfloat16,
                            enabled=args.bf16):
            pre = (x - b_dec) @ w_enc + b_enc
            if args.arch == "topk":
                values, indices = pre.topk(k, dim=1)
                f = torch.zeros_like(pre).scatter(1, indices, values.relu())
            else:
                f = JumpReLU.apply(pre, log_threshold.exp())
            x_hat = f @ w_dec + b_dec
        loss = (x_hat.float() - x).pow(2).sum(1).mean()
        loss.backward()
        optimiser.step()

    seconds = best(step, args.repeats, device)
    a = torch.randn(8192, 8192, device=device, dtype=torch.bfloat16)
    mm = best(lambda: a @ a, args.repeats, device)
    json.dump({"bench": "torch_sae_step", "arch": args.arch, "d_in": d, "d_sae": n,
               "batch": batch, "bf16": args.bf16, "step_seconds": seconds,
               "tokens_per_s": batch / seconds, "bf16_matmul_tflops": 2 * 8192 ** 3 / mm / 1e12,
               "torch": torch.__version__}, sys.stdout, indent=1)
    print()


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("make-model")
    p.add_argument("dir")
    p.add_argument("--size", default="1b", choices=["1b", "tiny"])
    p.set_defaults(run=make_model)
    p = sub.add_parser("forward")
    p.add_argument("dir")
    p.add_argument("--attn", default="sdpa", choices=["eager", "sdpa"])
    p.add_argument("--dtype", default="bf16", choices=["bf16", "fp32"])
    p.add_argument("--device", default="cuda:0")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--tokens", type=int, default=512)
    p.add_argument("--decode-tokens", type=int, default=128)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--logits-out")
    p.set_defaults(run=forward)
    p = sub.add_parser("sae-step")
    p.add_argument("--arch", default="topk", choices=["topk", "jumprelu"])
    p.add_argument("--device", default="cuda:0")
    p.add_argument("--d-in", type=int, default=2304)
    p.add_argument("--d-sae", type=int, default=65536)
    p.add_argument("--batch", type=int, default=4096)
    p.add_argument("--k", type=int, default=64)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--bf16", action=argparse.BooleanOptionalAction, default=True)
    p.set_defaults(run=sae_step)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
