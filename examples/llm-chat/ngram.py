"""A word-level trigram language model with back-off: tokens, training, sampling. Standard library only.

Tokens are words (letters, with an apostrophe inside: "heart's") and the punctuation marks
. , ; : ! ?  A text is one sequence per paragraph between the markers <s> and </s>.
"""

import json
import math
import random
import re

BOS, EOS = "<s>", "</s>"
TOKEN = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?|[.,;:!?]")
PUNCT = set(".,;:!?")


def tokenize(text):
    return TOKEN.findall(text)


def piece(token, previous):
    """The text a token adds after `previous`: a space before a word, none before punctuation."""
    if token in PUNCT or previous == BOS:
        return token
    return " " + token


def train(paragraphs):
    """Counts of next tokens after each one- and two-token context, and of every token."""
    unigram, bigram, trigram = {}, {}, {}
    for text in paragraphs:
        tokens = [BOS, BOS] + tokenize(text) + [EOS]
        for i in range(2, len(tokens)):
            w = tokens[i]
            unigram[w] = unigram.get(w, 0) + 1
            b = bigram.setdefault(tokens[i - 1], {})
            b[w] = b.get(w, 0) + 1
            t = trigram.setdefault(tokens[i - 2] + " " + tokens[i - 1], {})
            t[w] = t.get(w, 0) + 1
    return {"order": 3, "unigram": unigram, "bigram": bigram, "trigram": trigram}


class Model:
    def __init__(self, data):
        self.unigram = data["unigram"]
        self.bigram = data["bigram"]
        self.trigram = data["trigram"]
        self.vocab = {w.lower(): w for w in self.unigram if w != EOS}

    @classmethod
    def load(cls, path):
        with open(path, encoding="utf-8") as f:
            return cls(json.load(f))

    def context(self, text):
        """The last two tokens of a prompt that the model knows (case-insensitively), as a start."""
        known = [self.vocab[t.lower()] for t in tokenize(text) if t.lower() in self.vocab]
        if len(known) >= 2 and known[-2] + " " + known[-1] in self.trigram:
            return [known[-2], known[-1]]
        if known and known[-1] in self.bigram:
            return [BOS, known[-1]]
        return [BOS, BOS]

    def next_counts(self, w1, w2):
        return self.trigram.get(w1 + " " + w2) or self.bigram.get(w2) or self.unigram

    def sample(self, w1, w2, rng, temperature=1.0, top_p=1.0):
        counts = self.next_counts(w1, w2)
        items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        if temperature <= 0:
            return items[0][0]
        logs = [math.log(c) / temperature for _, c in items]
        top = max(logs)
        weights = [math.exp(l - top) for l in logs]
        total = sum(weights)
        probs = [w / total for w in weights]
        if top_p < 1.0:
            kept, mass = 0, 0.0
            while kept < len(probs) and (mass < top_p or kept == 0):
                mass += probs[kept]
                kept += 1
            items, probs = items[:kept], probs[:kept]
        r = rng.random() * sum(probs)
        for (token, _), p in zip(items, probs):
            r -= p
            if r <= 0:
                return token
        return items[-1][0]

    def generate(self, prompt, max_tokens=64, temperature=1.0, top_p=1.0, stop=(), seed=None):
        """Yield (text piece, finish reason or None) pairs; the last pair carries the reason."""
        rng = random.Random(seed)
        w1, w2 = self.context(prompt)
        text = ""
        count = 0
        while True:
            if count >= max_tokens:
                yield "", "length"
                return
            token = self.sample(w1, w2, rng, temperature, top_p)
            if token == EOS:
                yield "", "stop"
                return
            p = piece(token, w2)
            candidate = text + p
            cut = min((i for i in (candidate.find(s) for s in stop if s) if i >= 0), default=-1)
            if cut >= 0:
                yield candidate[len(text) : max(cut, len(text))], "stop"
                return
            text = candidate
            count += 1
            yield p, None
            w1, w2 = w2, token


def count_tokens(text):
    return len(tokenize(text))
