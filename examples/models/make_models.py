#!/usr/bin/python3
"""Trains and exports xdpml's two example neural networks (run by examples/models/make.sh).

aurora/      the LiteFlow/Aurora congestion-control shape, 30 -> 32 tanh -> 16 tanh -> 1 sigmoid,
             trained on synthetic Aurora/PCC-style statistics (10 monitor intervals x 3).
classifier/  the NN-eBPF flow-classifier shape, 6 -> 32 relu -> 32 relu -> 2 logits, trained on
             the Wisconsin breast-cancer data that Debian's python3-sklearn ships.

Each directory gets model.onnx (opset 13: Gemm + activations, input 'features'), model.json
(xdpml's JSON model format), calib.csv (features only), test.csv (features + 'label') and
test.float.csv (the float32 torch model's output on every test row).

Both models take raw feature values: the input standardization used for training is folded into
the first Linear layer (w' = w / std, b' = b - sum(w * mean / std)) before export.

Everything depends only on the fixed seeds below (numpy, torch, sklearn's split), single-threaded.
"""

import json
import os
import sys

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20261203

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)


# ---------------------------------------------------------------------------------------------
# Output helpers


def fmt_dec3(v):
    """A value rounded to 3 decimals, printed without trailing zeros ('1.25', '-0.012', '2')."""
    s = "%.3f" % v
    s = s.rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def write_csv(path, header, rows, fmts):
    """rows: a 2-D sequence; fmts: one formatting function per column."""
    with open(path, "w", newline="\n") as f:
        f.write(",".join(header) + "\n")
        for r in rows:
            f.write(",".join(fmt(v) for fmt, v in zip(fmts, r)) + "\n")


def g9(v):
    return "%.9g" % v


def g6(v):
    return "%.6g" % v


def json_text(o, ind=0):
    """JSON with one line per layer field: number lists inline, matrices one row per line."""
    pad = "  " * ind
    if isinstance(o, dict):
        if all(not isinstance(v, (dict, list)) for v in o.values()):
            return json.dumps(o)
        items = [pad + "  " + json.dumps(k) + ": " + json_text(v, ind + 1) for k, v in o.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(o, list):
        if all(not isinstance(v, (dict, list)) for v in o):
            return json.dumps(o)
        items = [pad + "  " + json_text(v, ind + 1) for v in o]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return json.dumps(o)


def declared_range(x):
    """Per-feature training min/max widened by 10% of (max - min) on each side, 6 digits."""
    lo, hi = x.min(axis=0).astype(np.float64), x.max(axis=0).astype(np.float64)
    span = hi - lo
    return ([float("%.6g" % v) for v in lo - 0.1 * span],
            [float("%.6g" % v) for v in hi + 0.1 * span])


def fold_standardization(linear, mean, std):
    """Makes linear(x) equal the trained linear((x - mean) / std)."""
    with torch.no_grad():
        w = linear.weight.double()
        b = linear.bias.double()
        m = torch.tensor(mean, dtype=torch.float64)
        s = torch.tensor(std, dtype=torch.float64)
        linear.weight.copy_((w / s).float())
        linear.bias.copy_((b - (w * (m / s)).sum(dim=1)).float())


def dense_json(name, linear):
    return {"type": "dense", "name": name,
            "weights": linear.weight.detach().tolist(), "bias": linear.bias.detach().tolist()}


def export_onnx(model, n_in, path, output_name):
    model.eval()
    dummy = torch.zeros(1, n_in, dtype=torch.float32)
    torch.onnx.export(model, dummy, path, opset_version=13, input_names=["features"],
                      output_names=[output_name], do_constant_folding=True,
                      export_params=True)


# ---------------------------------------------------------------------------------------------
# Aurora: synthetic PCC/Aurora monitor-interval statistics

HISTORY = 10  # monitor intervals, oldest (h0) to newest (h9)
STATS = ["lat_grad", "lat_ratio", "send_ratio"]


def aurora_features(rng, n):
    """n samples of 10 x (latency gradient, latency ratio, sending ratio), step-major like
    Aurora's flattened history, every value rounded to 3 decimals (exact at x1000).

    A hidden congestion level c in [0, 1] drifts over the 10 intervals (random walk); the
    latency ratio (RTT / min RTT) grows with it, the latency gradient follows its changes
    (~N(0, 0.05) overall), and the sending ratio (sent / acked) rises above 1 under congestion."""
    c = np.empty((n, HISTORY))
    c[:, 0] = rng.uniform(0.0, 1.0, n)
    for k in range(1, HISTORY):
        c[:, k] = np.clip(c[:, k - 1] + rng.normal(0.0, 0.08, n), 0.0, 1.0)
    lat_ratio = np.clip(1.0 + 2.0 * c ** 1.5 + np.abs(rng.normal(0.0, 0.03, (n, HISTORY))),
                        1.0, 3.0)
    prev = np.concatenate([lat_ratio[:, :1] - rng.normal(0.0, 0.15, (n, 1)), lat_ratio[:, :-1]],
                          axis=1)
    lat_grad = np.clip(0.25 * (lat_ratio - prev) + rng.normal(0.0, 0.035, (n, HISTORY)),
                       -1.0, 1.0)
    send_ratio = np.clip(np.exp(rng.normal(0.35 * (c - 0.3), 0.12)), 0.5, 2.0)
    x = np.stack([lat_grad, lat_ratio, send_ratio], axis=2).reshape(n, HISTORY * len(STATS))
    return np.round(x, 3) + 0.0  # + 0.0: no negative zeros


def aurora_target(x):
    """A smooth sending-rate action in (0, 1): recency-weighted statistics through a sigmoid,
    with a quadratic latency penalty and a latency-trend term."""
    h = x.reshape(-1, HISTORY, len(STATS))
    w = 0.7 ** np.arange(HISTORY - 1, -1, -1)
    w /= w.sum()
    g = h[:, :, 0] @ w
    r = h[:, :, 1] @ w
    s = h[:, :, 2] @ w
    r_last, s_last = h[:, -1, 1], h[:, -1, 2]
    z = (1.76 - 9.6 * g - 0.96 * (r - 1.0) - 0.48 * (r - 1.0) ** 2 - 2.0 * (s_last - 1.0)
         - 1.2 * np.tanh(3.0 * (r_last - r)) + 0.4 * np.tanh(4.0 * (1.0 - s)))
    return 1.0 / (1.0 + np.exp(-z))


class Aurora(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(30, 32)
        self.tanh1 = nn.Tanh()
        self.fc2 = nn.Linear(32, 16)
        self.tanh2 = nn.Tanh()
        self.fc3 = nn.Linear(16, 1)
        self.out = nn.Sigmoid()

    def forward(self, x):
        return self.out(self.fc3(self.tanh2(self.fc2(self.tanh1(self.fc1(x))))))


def make_aurora():
    out_dir = os.path.join(HERE, "aurora")
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.default_rng(SEED)
    torch.manual_seed(SEED)

    n_train, n_test, n_calib = 20000, 1000, 512
    x_train = aurora_features(rng, n_train)
    y_train = np.clip(aurora_target(x_train) + rng.normal(0.0, 0.005, n_train), 0.0, 1.0)
    x_test = aurora_features(rng, n_test)
    y_test = aurora_target(x_test)  # the noise-free truth
    calib = x_train[rng.choice(n_train, n_calib, replace=False)]

    mean = x_train.mean(axis=0)
    std = x_train.std(axis=0)
    xt = torch.tensor((x_train - mean) / std, dtype=torch.float32)
    yt = torch.tensor(y_train, dtype=torch.float32).unsqueeze(1)

    model = Aurora()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    epochs, batch = 60, 256
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    gen = torch.Generator().manual_seed(SEED)
    loss_fn = nn.MSELoss()
    for _ in range(epochs):
        perm = torch.randperm(n_train, generator=gen)
        for i in range(0, n_train, batch):
            idx = perm[i:i + batch]
            opt.zero_grad()
            loss = loss_fn(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
        sched.step()

    fold_standardization(model.fc1, mean, std)
    model.eval()
    with torch.no_grad():
        pred_train = model(torch.tensor(x_train, dtype=torch.float32)).squeeze(1).double().numpy()
        pred = model(torch.tensor(x_test, dtype=torch.float32)).squeeze(1).double().numpy()

    header = ["h%d_%s" % (k, s) for k in range(HISTORY) for s in STATS]
    export_onnx(model, 30, os.path.join(out_dir, "model.onnx"), "output")
    lo, hi = declared_range(x_train)
    spec = {
        "xdpml_model": 1,
        "name": "aurora",
        "input": {"features": 30, "encoding": "i32", "min": lo, "max": hi},
        "layers": [
            dense_json("fc1", model.fc1), {"type": "tanh", "name": "tanh1"},
            dense_json("fc2", model.fc2), {"type": "tanh", "name": "tanh2"},
            dense_json("fc3", model.fc3), {"type": "sigmoid", "name": "out"},
        ],
        "output": {"kind": "regression"},
    }
    with open(os.path.join(out_dir, "model.json"), "w") as f:
        f.write(json_text(spec) + "\n")
    write_csv(os.path.join(out_dir, "calib.csv"), header, calib, [fmt_dec3] * 30)
    write_csv(os.path.join(out_dir, "test.csv"), header + ["label"],
              np.column_stack([x_test, y_test]), [fmt_dec3] * 30 + [g9])
    write_csv(os.path.join(out_dir, "test.float.csv"), ["output"], pred[:, None], [g9])

    mse = float(np.mean((pred - y_test) ** 2))
    metrics = {
        "train_mse_vs_noisy_label": float(np.mean((pred_train - y_train) ** 2)),
        "test_mse": mse,
        "test_rmse": mse ** 0.5,
        "test_mae": float(np.mean(np.abs(pred - y_test))),
        "test_max_abs_err": float(np.max(np.abs(pred - y_test))),
        "test_r2": 1.0 - mse / float(np.var(y_test)),
        "test_label_range": [float(y_test.min()), float(y_test.max())],
        "test_output_range": [float(pred.min()), float(pred.max())],
    }
    return metrics


# ---------------------------------------------------------------------------------------------
# Flow classifier: 6 features of the Wisconsin breast-cancer data


class Classifier(nn.Module):
    def __init__(self, n_in):
        super().__init__()
        self.fc1 = nn.Linear(n_in, 32)
        self.relu1 = nn.ReLU()
        self.fc2 = nn.Linear(32, 32)
        self.relu2 = nn.ReLU()
        self.fc3 = nn.Linear(32, 2)

    def forward(self, x):
        return self.fc3(self.relu2(self.fc2(self.relu1(self.fc1(x)))))


def make_classifier():
    from sklearn.datasets import load_breast_cancer
    from sklearn.feature_selection import SelectKBest, f_classif
    from sklearn.model_selection import train_test_split

    out_dir = os.path.join(HERE, "classifier")
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(SEED)

    data = load_breast_cancer()
    x_tr, x_te, y_tr, y_te = train_test_split(data.data, data.target, test_size=0.3,
                                              random_state=0, stratify=data.target)
    sel = SelectKBest(f_classif, k=6).fit(x_tr, y_tr)
    cols = [int(i) for i in np.sort(sel.get_support(indices=True))]
    names = [str(data.feature_names[i]).replace(" ", "_") for i in cols]
    x_tr, x_te = x_tr[:, cols], x_te[:, cols]

    mean, std = x_tr.mean(axis=0), x_tr.std(axis=0)
    xt = torch.tensor((x_tr - mean) / std, dtype=torch.float32)
    yt = torch.tensor(y_tr, dtype=torch.int64)
    model = Classifier(len(cols))
    # Weight decay keeps the logits moderate (|logit| < ~10) instead of a 100%-train-accuracy fit.
    opt = torch.optim.Adam(model.parameters(), lr=1e-2, weight_decay=1e-2)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(200):  # full batch: 398 rows
        opt.zero_grad()
        loss = loss_fn(model(xt), yt)
        loss.backward()
        opt.step()

    fold_standardization(model.fc1, mean, std)
    model.eval()
    with torch.no_grad():
        logits_tr = model(torch.tensor(x_tr, dtype=torch.float32)).double().numpy()
        logits = model(torch.tensor(x_te, dtype=torch.float32)).double().numpy()

    export_onnx(model, len(cols), os.path.join(out_dir, "model.onnx"), "logits")
    lo, hi = declared_range(x_tr)
    spec = {
        "xdpml_model": 1,
        "name": "classifier",
        "input": {"features": len(cols), "encoding": "i32", "min": lo, "max": hi},
        "layers": [
            dense_json("fc1", model.fc1), {"type": "relu", "name": "relu1"},
            dense_json("fc2", model.fc2), {"type": "relu", "name": "relu2"},
            dense_json("fc3", model.fc3),
        ],
        "output": {"kind": "argmax", "classes": [str(c) for c in data.target_names]},
    }
    with open(os.path.join(out_dir, "model.json"), "w") as f:
        f.write(json_text(spec) + "\n")
    # The data set's own decimals (float64 shortest repr), not float32 noise.
    write_csv(os.path.join(out_dir, "calib.csv"), names, x_tr, [repr] * len(cols))
    write_csv(os.path.join(out_dir, "test.csv"), names + ["label"],
              [list(map(float, r)) + [int(l)] for r, l in zip(x_te, y_te)],
              [repr] * len(cols) + [str])
    write_csv(os.path.join(out_dir, "test.float.csv"), ["score0", "score1"], logits, [g9, g9])

    return {
        "features": names,
        "feature_indices": cols,
        "train_rows": int(len(y_tr)),
        "test_rows": int(len(y_te)),
        "train_accuracy": float(np.mean(logits_tr.argmax(axis=1) == y_tr)),
        "test_accuracy": float(np.mean(logits.argmax(axis=1) == y_te)),
        "test_correct": int(np.sum(logits.argmax(axis=1) == y_te)),
        "test_logit_range": [float(logits.min()), float(logits.max())],
    }


def main():
    results = {"aurora": make_aurora(), "classifier": make_classifier()}
    json.dump(results, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
