"""Train the second version of the iris model, for A/B and multi-model serving.

Same data, split and model as train.ipynb, with other settings: a different split seed, far fewer
epochs and stronger L2 regularisation. The result is a plainer model that is less sure of itself
and calls some flowers differently: row 87 of data/iris.csv ([6.7, 3.1, 4.7, 1.5], a versicolor)
is virginica to it, versicolor to model/iris.npz. Deterministic: re-running it writes the same model/iris-v2.npz.

    python3 train_v2.py            # writes model/iris-v2.npz
"""

import os
from pathlib import Path

import numpy as np

DATA_PATH = Path(__file__).parent / "data" / "iris.csv"
MODEL_PATH = Path(os.environ.get("OUTPUT_DIR", Path(__file__).parent / "model")) / "iris-v2.npz"
SEED = 7
EPOCHS = 40
LEARNING_RATE = 0.1
L2 = 0.05


def softmax(scores):
    scores = scores - scores.max(axis=1, keepdims=True)
    e = np.exp(scores)
    return e / e.sum(axis=1, keepdims=True)


def main():
    raw = np.loadtxt(DATA_PATH, delimiter=",", dtype=str)
    feature_names = raw[0, :4]
    X = raw[1:, :4].astype(np.float64)
    class_names, y = np.unique(raw[1:, 4], return_inverse=True)

    # stratified 80/20 split, as in the notebook (another seed)
    rng = np.random.default_rng(SEED)
    train_idx, test_idx = [], []
    for k in range(len(class_names)):
        idx = rng.permutation(np.flatnonzero(y == k))
        n_test = len(idx) // 5
        test_idx.append(idx[:n_test])
        train_idx.append(idx[n_test:])
    train_idx = rng.permutation(np.concatenate(train_idx))
    test_idx = np.sort(np.concatenate(test_idx))

    mean = X[train_idx].mean(axis=0)
    std = X[train_idx].std(axis=0)
    Z = (X - mean) / std
    n_classes = len(class_names)
    W = np.zeros((Z.shape[1], n_classes))
    b = np.zeros(n_classes)
    onehot = np.eye(n_classes)[y[train_idx]]
    for _ in range(EPOCHS):
        p = softmax(Z[train_idx] @ W + b)
        grad = (p - onehot) / len(train_idx)
        W -= LEARNING_RATE * (Z[train_idx].T @ grad + L2 * W)
        b -= LEARNING_RATE * grad.sum(axis=0)

    accuracy = float(np.mean(softmax(Z[test_idx] @ W + b).argmax(axis=1) == y[test_idx]))
    MODEL_PATH.parent.mkdir(parents=True, exist_ok=True)
    np.savez(
        MODEL_PATH,
        weights=W,
        bias=b,
        mean=mean,
        std=std,
        class_names=class_names,
        feature_names=feature_names,
        test_accuracy=np.float64(accuracy),
    )
    print(f"saved {MODEL_PATH.name}: test accuracy {accuracy:.3f}")
    for row in (1, 87, 98, 136):
        p = softmax(Z[[row - 1]] @ W + b)[0]
        print(f"row {row:3d} {X[row - 1]} -> {class_names[p.argmax()]:<10} {p.round(3)}")


if __name__ == "__main__":
    main()
