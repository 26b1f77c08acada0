#!/usr/bin/python3
"""PyTorch eager inference per window at skelact's reference shapes (the peer
of `skelact bench`): one thread, batch 1, inference mode; median and p99.

Same architectures as include/skelact/nn.h: nn.GRU / nn.LSTM (2 layers) and
a Linear head on the last step; TCN: 4 causal Conv1d (left-padded), dilations
1, 2, 4, 8, ReLU, a residual from layer 1 on, Linear head on the last step;
softmax at the end, as sk_model_infer returns probabilities.

    /usr/bin/python3 bench/torch_infer.py [--runs N] [--json]
Use Debian's python3-torch with libopenblas0-openmp installed (otherwise
torch runs on the slow reference BLAS).
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

INPUT, WINDOW, CLASSES, HIDDEN = 120, 30, 9, 128


class RNN(nn.Module):
    def __init__(self, cell, layers):
        super().__init__()
        self.rnn = cell(INPUT, HIDDEN, num_layers=layers, batch_first=True)
        self.head = nn.Linear(HIDDEN, CLASSES)

    def forward(self, x):  # x (B, W, C)
        out, _ = self.rnn(x)
        return F.softmax(self.head(out[:, -1]), dim=-1)


class TCN(nn.Module):
    def __init__(self, layers, kernel):
        super().__init__()
        self.kernel = kernel
        self.convs = nn.ModuleList(
            nn.Conv1d(INPUT if l == 0 else HIDDEN, HIDDEN, kernel, dilation=2 ** l)
            for l in range(layers))
        self.head = nn.Linear(HIDDEN, CLASSES)

    def forward(self, x):  # x (B, W, C)
        h = x.transpose(1, 2)  # (B, C, W)
        for l, conv in enumerate(self.convs):
            d = 2 ** l
            y = F.relu(conv(F.pad(h, ((self.kernel - 1) * d, 0))))
            h = y + h if l > 0 else y
        return F.softmax(self.head(h[:, :, -1]), dim=-1)


def blas_name():
    try:
        for line in open("/proc/self/maps"):
            if "blas" in line or "mkl" in line:
                return os.path.basename(line.split()[-1])
    except OSError:
        pass
    return "unknown"


def bench(model, runs):
    x = torch.randn(1, WINDOW, INPUT)
    with torch.inference_mode():
        for _ in range(max(50, runs // 10)):
            model(x)
        t = []
        for _ in range(runs):
            t0 = time.perf_counter_ns()
            model(x)
            t.append((time.perf_counter_ns() - t0) / 1e3)
    t.sort()
    return statistics.median(t), t[int(len(t) * 0.99)], t[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=2000)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    models = [
        ("gru", 2, RNN(nn.GRU, 2)),
        ("lstm", 2, RNN(nn.LSTM, 2)),
        ("tcn", 4, TCN(4, 3)),
    ]
    res = []
    for arch, layers, m in models:
        m.eval()
        med, p99, mn = bench(m, a.runs)
        e = {"arch": arch, "input": INPUT, "hidden": HIDDEN, "layers": layers,
             "window": WINDOW, "classes": CLASSES, "median_us": round(med, 2),
             "p99_us": round(p99, 2), "min_us": round(mn, 2)}
        if arch == "tcn":
            e["kernel"] = 3
        res.append(e)
    out = {"torch": torch.__version__, "threads": torch.get_num_threads(),
           "blas": blas_name(), "runs": a.runs, "infer": res}
    if a.json:
        print(json.dumps(out))
    else:
        print("torch %s, %d thread, BLAS %s, %d runs" % (out["torch"], out["threads"],
                                                        out["blas"], a.runs))
        for e in res:
            print("%-5s median %8.1f us  p99 %8.1f us  min %8.1f us" %
                  (e["arch"], e["median_us"], e["p99_us"], e["min_us"]))


if __name__ == "__main__":
    sys.exit(main())
