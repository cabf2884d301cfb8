"""Renders a fixed set of conversations with the real chat templates of several models through
transformers' apply_chat_template and writes them, with each template's source, to expected.json.
Gyrus's Jinja subset must reproduce every rendering byte for byte (tests/core/tst_chat_template)."""
import json
import sys

import transformers
import jinja2
from transformers import PreTrainedTokenizerFast

MODELS = ["llama3_1", "llama3", "qwen2_5", "qwen3", "gemma3", "gemma2"]

CONVERSATIONS = {
    "user_only": [{"role": "user", "content": "What is the capital of France?"}],
    "system_user": [
        {"role": "system", "content": "You are a careful interpreter of neural features."},
        {"role": "user", "content": "Name the pattern:\n  Example 1: the <<Golden>> Gate\n"},
    ],
    "multi_turn": [
        {"role": "user", "content": "  Hello there!  "},
        {"role": "assistant", "content": "Hi. How can I help?"},
        {"role": "user", "content": "Explain feature 1267 in two words."},
    ],
    "system_multi_turn": [
        {"role": "system", "content": "Answer tersely."},
        {"role": "user", "content": "One?"},
        {"role": "assistant", "content": "Two."},
        {"role": "user", "content": "Three? \"quoted\" and 'single' and \\backslash, ünïcödé ✓"},
    ],
    "ends_with_assistant": [
        {"role": "user", "content": "Rate: 0-3"},
        {"role": "assistant", "content": "2"},
    ],
    "assistant_with_think": [
        {"role": "user", "content": "Think first."},
        {"role": "assistant", "content": "<think>\nreasoning here\n</think>\n\nThe answer."},
        {"role": "user", "content": "And again?"},
    ],
}


def main():
    tokenizer_dir, out_path = sys.argv[1], sys.argv[2]
    cases = []
    templates = {}
    for model in MODELS:
        config = json.load(open(f"{tokenizer_dir}/{model}/tokenizer_config.json", encoding="utf-8"))
        template = config.get("chat_template")
        tok = PreTrainedTokenizerFast.from_pretrained(f"{tokenizer_dir}/{model}")
        templates[model] = {
            "chat_template": template,
            "bos_token": tok.bos_token,
            "eos_token": tok.eos_token,
        }
        for name, messages in CONVERSATIONS.items():
            for add_generation_prompt in (False, True):
                case = {"model": model, "conversation": name,
                        "add_generation_prompt": add_generation_prompt}
                try:
                    case["expected"] = tok.apply_chat_template(
                        messages, tokenize=False, add_generation_prompt=add_generation_prompt)
                except Exception as error:  # no template, or the template raised
                    case["error"] = type(error).__name__ + ": " + str(error)
                cases.append(case)
    document = {
        "generator": "tests/data/chat_templates/make_fixtures.py",
        "transformers": transformers.__version__,
        "jinja2": jinja2.__version__,
        "templates": templates,
        "conversations": CONVERSATIONS,
        "cases": cases,
    }
    with open(out_path, "w", encoding="utf-8") as out:
        json.dump(document, out, ensure_ascii=False, indent=1)
        out.write("\n")
    print(f"{len(cases)} renderings written to {out_path}")


if __name__ == "__main__":
    main()
