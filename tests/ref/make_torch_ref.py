#!/usr/bin/python3
"""Write tests/data/torch_ref.bin: PyTorch's forward and backward of the
layers skelact implements by hand, for tests/test_nn_torch.c.

Run with Debian's python3-torch (1.13):  /usr/bin/python3 tests/ref/make_torch_ref.py
Everything is computed in float64 and stored as float64, so the C test can
compare its double build of the layers tightly and its float build loosely.

Cases (B batch, T steps, C inputs, H hidden):
  gru.*, lstm.*   one nn.GRU / nn.LSTM layer, batch_first; loss = sum(out * g)
                  with a stored random g. Tensors: x (B,T,C), w_ih, w_hh,
                  b_ih, b_hh, g, out (B,T,H), and the gradients dx, dw_ih,
                  dw_hh, db_ih, db_hh.
  conv.*          causal dilated Conv1d (left padding (K-1)*d); x (B,T,C),
                  w (O,C,K), b (O), g, out (B,T,O), dx, dw, db; dims in
                  conv.dims = [K, d].
  model_gru.*, model_lstm.*, model_tcn.*
                  a whole skelact model (skelact/nn.h layout): params (flat, in
                  skelact's parameter order), x (B,W,C), y (B), probs (B,K),
                  loss (1) = summed cross-entropy, dparams (flat), dx;
                  model_*.cfg = [input, hidden, layers, classes, window, kernel].

File layout (little-endian):
  8 bytes  magic "SKTORCH1"
  u32      number of tensors
  per tensor:
    u32 name length, name bytes (ASCII, no NUL)
    u32 ndim, u32 dims[ndim]
    f64 data[prod(dims)], row-major
"""
import os
import struct
import sys

import torch
import torch.nn.functional as F

torch.manual_seed(20261124)
torch.set_default_dtype(torch.float64)

tensors = []


def put(name, t):
    t = torch.as_tensor(t, dtype=torch.float64).detach().contiguous()
    tensors.append((name, t))


def rnn_case(kind, B=2, T=5, C=4, H=6):
    cls = torch.nn.GRU if kind == "gru" else torch.nn.LSTM
    net = cls(C, H, num_layers=1, batch_first=True)
    with torch.no_grad():  # wider than the default init: exercise saturation
        for p in net.parameters():
            p.uniform_(-0.8, 0.8)
    x = torch.randn(B, T, C, requires_grad=True)
    out, _ = net(x)
    g = torch.randn(B, T, H)
    (out * g).sum().backward()
    put(kind + ".x", x)
    put(kind + ".w_ih", net.weight_ih_l0)
    put(kind + ".w_hh", net.weight_hh_l0)
    put(kind + ".b_ih", net.bias_ih_l0)
    put(kind + ".b_hh", net.bias_hh_l0)
    put(kind + ".g", g)
    put(kind + ".out", out)
    put(kind + ".dx", x.grad)
    put(kind + ".dw_ih", net.weight_ih_l0.grad)
    put(kind + ".dw_hh", net.weight_hh_l0.grad)
    put(kind + ".db_ih", net.bias_ih_l0.grad)
    put(kind + ".db_hh", net.bias_hh_l0.grad)


def conv_case(B=2, T=9, C=3, O=4, K=3, d=2):
    conv = torch.nn.Conv1d(C, O, K, dilation=d)
    x = torch.randn(B, T, C, requires_grad=True)
    out = conv(F.pad(x.transpose(1, 2), ((K - 1) * d, 0))).transpose(1, 2)
    g = torch.randn(B, T, O)
    (out * g).sum().backward()
    put("conv.dims", [K, d])
    put("conv.x", x)
    put("conv.w", conv.weight)
    put("conv.b", conv.bias)
    put("conv.g", g)
    put("conv.out", out)
    put("conv.dx", x.grad)
    put("conv.dw", conv.weight.grad)
    put("conv.db", conv.bias.grad)


def model_case(arch, C=5, H=7, L=2, K=4, W=6, k=3, B=3):
    """skelact's model as documented in include/skelact/nn.h, in PyTorch."""
    params = []
    if arch in ("gru", "lstm"):
        cls = torch.nn.GRU if arch == "gru" else torch.nn.LSTM
        rnn = cls(C, H, num_layers=L, batch_first=True)
        for l in range(L):
            for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                params.append(getattr(rnn, "%s_l%d" % (n, l)))
    else:
        convs = [torch.nn.Conv1d(C if l == 0 else H, H, k, dilation=2 ** l)
                 for l in range(L)]
        for c in convs:
            params += [c.weight, c.bias]
    head = torch.nn.Linear(H, K)
    params += [head.weight, head.bias]
    with torch.no_grad():
        for p in params:
            p.uniform_(-0.6, 0.6)
    x = torch.randn(B, W, C, requires_grad=True)
    y = torch.randint(0, K, (B,))
    if arch in ("gru", "lstm"):
        seq, _ = rnn(x)
    else:
        seq = x
        for l, c in enumerate(convs):
            d = 2 ** l
            h = F.relu(c(F.pad(seq.transpose(1, 2), ((k - 1) * d, 0))))
            h = h.transpose(1, 2)
            seq = h if l == 0 else seq + h
    logits = head(seq[:, -1, :])
    loss = F.cross_entropy(logits, y, reduction="sum")
    loss.backward()
    p = "model_" + arch
    put(p + ".cfg", [C, H, L, K, W, k])
    put(p + ".params", torch.cat([t.reshape(-1) for t in params]))
    put(p + ".x", x)
    put(p + ".y", y)
    put(p + ".probs", F.softmax(logits, dim=1))
    put(p + ".loss", [loss.item()])
    put(p + ".dparams", torch.cat([t.grad.reshape(-1) for t in params]))
    put(p + ".dx", x.grad)


rnn_case("gru")
rnn_case("lstm")
conv_case()
model_case("gru")
model_case("lstm")
model_case("tcn", L=3)

here = os.path.dirname(os.path.abspath(__file__))
path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "data", "torch_ref.bin")
with open(path, "wb") as f:
    f.write(b"SKTORCH1")
    f.write(struct.pack("<I", len(tensors)))
    for name, t in tensors:
        nb = name.encode("ascii")
        f.write(struct.pack("<I", len(nb)))
        f.write(nb)
        f.write(struct.pack("<I", t.dim()))
        f.write(struct.pack("<%dI" % t.dim(), *t.shape))
        f.write(struct.pack("<%dd" % t.numel(), *t.reshape(-1).tolist()))
print("wrote %s: %d tensors, %d bytes (torch %s)"
      % (os.path.normpath(path), len(tensors), os.path.getsize(path), torch.__version__))
