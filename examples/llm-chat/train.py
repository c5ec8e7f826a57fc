"""Train the sample's trigram model on corpus.txt (run at image build time): writes model/model.json."""

import json
import os
import sys

from ngram import count_tokens, train

HERE = os.path.dirname(os.path.abspath(__file__))


def paragraphs(text):
    """The corpus's paragraphs, without the title lines (a line of a few capitalised words, no full stop)."""
    out = []
    for block in text.split("\n\n"):
        block = " ".join(block.split())
        if block and block.endswith((".", "!", "?")):
            out.append(block)
    return out


def main():
    source = os.path.join(HERE, "corpus.txt")
    target = os.path.join(HERE, "model", "model.json")
    with open(source, encoding="utf-8") as f:
        texts = paragraphs(f.read())
    model = train(texts)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "w", encoding="utf-8") as f:
        json.dump(model, f, separators=(",", ":"), sort_keys=True)
    tokens = sum(count_tokens(t) for t in texts)
    print(f"trained on {len(texts)} paragraphs, {tokens} tokens, {len(model['unigram'])} distinct -> {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
