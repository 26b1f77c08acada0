/* Internal: prototypes of the layers for one floating-point type. Included by
 * layers.h twice, with REAL = float (names ending _f: training) and REAL =
 * double (names ending _d: the gradient checks of tests/test_nn_layers.c), so
 * both run exactly the same code (src/nn/layers_tmpl.h). No include guard:
 * that is the point. Needs REAL and SK__R(name) defined.
 *
 * Conventions (llm.c): outputs first, then inputs, then sizes. Forward saves
 * what backward needs in the caller's cache; backward ADDS (+=) into every
 * gradient it is given (dinp may be NULL to skip the input gradient). All
 * tensors are row-major; shapes are in the comments. */

/* Dense: out = inp @ w^T + b. */
void SK__R(dense_forward)(REAL *out,       /* (N,O) */
                          const REAL *inp, /* (N,I) */
                          const REAL *w,   /* (O,I) */
                          const REAL *b,   /* (O) or NULL */
                          int N, int I, int O);
void SK__R(dense_backward)(REAL *dinp,       /* (N,I) or NULL */
                           REAL *dw,         /* (O,I) */
                           REAL *db,         /* (O) or NULL */
                           const REAL *dout, /* (N,O) */
                           const REAL *inp,  /* (N,I) */
                           const REAL *w,    /* (O,I) */
                           int N, int I, int O);

/* GRU over T steps from h0 = 0 (PyTorch's equations, gates r, z, n):
 *   r = s(W_ir x + b_ir + W_hr h + b_hr),  z = s(W_iz x + b_iz + W_hz h + b_hz)
 *   n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),  h' = (1-z) n + z h
 * out holds h for every step. cache: sk__gru_cache_size(B,T,C,H) REALs; forward
 * fills it, backward also uses it as scratch (call backward at most once per
 * forward, with the same B). */
void SK__R(gru_forward)(REAL *out,        /* (B,T,H) */
                        REAL *cache,      /* sk__gru_cache_size */
                        const REAL *inp,  /* (B,T,C) */
                        const REAL *w_ih, /* (3H,C) */
                        const REAL *w_hh, /* (3H,H) */
                        const REAL *b_ih, /* (3H) */
                        const REAL *b_hh, /* (3H) */
                        int B, int T, int C, int H);
void SK__R(gru_backward)(REAL *dinp,       /* (B,T,C) or NULL */
                         REAL *dw_ih,      /* (3H,C) */
                         REAL *dw_hh,      /* (3H,H) */
                         REAL *db_ih,      /* (3H) */
                         REAL *db_hh,      /* (3H) */
                         REAL *cache,      /* from gru_forward */
                         const REAL *dout, /* (B,T,H) */
                         const REAL *out,  /* (B,T,H) */
                         const REAL *inp,  /* (B,T,C) */
                         const REAL *w_ih, /* (3H,C) */
                         const REAL *w_hh, /* (3H,H) */
                         int B, int T, int C, int H);

/* Bidirectional GRU (PyTorch's bidirectional=True): one GRU of H units
 * reads inp forwards (weights w_*), another reads it backwards (w_*_r);
 * out[b,t] = [h_fwd(t), h_bwd(t)], with h_bwd(t) the backward GRU's state
 * after reading steps T-1 down to t. cache: sk__bigru_cache_size(B,T,C,H)
 * REALs (the two GRUs' caches, the reversed input, each direction's
 * outputs and backward scratch); backward at most once per forward. */
void SK__R(bigru_forward)(REAL *out,          /* (B,T,2H) */
                          REAL *cache,        /* sk__bigru_cache_size */
                          const REAL *inp,    /* (B,T,C) */
                          const REAL *w_ih,   /* (3H,C) */
                          const REAL *w_hh,   /* (3H,H) */
                          const REAL *b_ih,   /* (3H) */
                          const REAL *b_hh,   /* (3H) */
                          const REAL *w_ih_r, /* (3H,C) */
                          const REAL *w_hh_r, /* (3H,H) */
                          const REAL *b_ih_r, /* (3H) */
                          const REAL *b_hh_r, /* (3H) */
                          int B, int T, int C, int H);
void SK__R(bigru_backward)(REAL *dinp,         /* (B,T,C) or NULL */
                           REAL *dw_ih,        /* (3H,C) */
                           REAL *dw_hh,        /* (3H,H) */
                           REAL *db_ih,        /* (3H) */
                           REAL *db_hh,        /* (3H) */
                           REAL *dw_ih_r,      /* (3H,C) */
                           REAL *dw_hh_r,      /* (3H,H) */
                           REAL *db_ih_r,      /* (3H) */
                           REAL *db_hh_r,      /* (3H) */
                           REAL *cache,        /* from bigru_forward */
                           const REAL *dout,   /* (B,T,2H) */
                           const REAL *inp,    /* (B,T,C) */
                           const REAL *w_ih,   /* (3H,C) */
                           const REAL *w_hh,   /* (3H,H) */
                           const REAL *w_ih_r, /* (3H,C) */
                           const REAL *w_hh_r, /* (3H,H) */
                           int B, int T, int C, int H);

/* LSTM over T steps from h0 = c0 = 0 (PyTorch's gates i, f, g, o):
 *   c' = f c + i g,  h' = o tanh(c'). out holds h for every step. cache:
 * sk__lstm_cache_size(B,T,C,H) REALs, as for the GRU. */
void SK__R(lstm_forward)(REAL *out,        /* (B,T,H) */
                         REAL *cache,      /* sk__lstm_cache_size */
                         const REAL *inp,  /* (B,T,C) */
                         const REAL *w_ih, /* (4H,C) */
                         const REAL *w_hh, /* (4H,H) */
                         const REAL *b_ih, /* (4H) */
                         const REAL *b_hh, /* (4H) */
                         int B, int T, int C, int H);
void SK__R(lstm_backward)(REAL *dinp,       /* (B,T,C) or NULL */
                          REAL *dw_ih,      /* (4H,C) */
                          REAL *dw_hh,      /* (4H,H) */
                          REAL *db_ih,      /* (4H) */
                          REAL *db_hh,      /* (4H) */
                          REAL *cache,      /* from lstm_forward */
                          const REAL *dout, /* (B,T,H) */
                          const REAL *out,  /* (B,T,H) */
                          const REAL *inp,  /* (B,T,C) */
                          const REAL *w_ih, /* (4H,C) */
                          const REAL *w_hh, /* (4H,H) */
                          int B, int T, int C, int H);

/* Causal dilated 1-D convolution, kernel K, dilation d:
 *   out[b,t,o] = b[o] + sum_{c,k} w[o,c,k] * inp[b, t-(K-1-k)*d, c]
 * (0 for negative times), i.e. PyTorch's Conv1d with left padding (K-1)*d.
 * cache: sk__conv_cache_size(B,T,C,O,K) REALs (the unfolded input, then
 * the weights transposed). */
void SK__R(conv_forward)(REAL *out,       /* (B,T,O) */
                         REAL *cache,     /* sk__conv_cache_size */
                         const REAL *inp, /* (B,T,C) */
                         const REAL *w,   /* (O,C,K) */
                         const REAL *b,   /* (O) */
                         int B, int T, int C, int O, int K, int d);
void SK__R(conv_backward)(REAL *dinp,       /* (B,T,C) or NULL */
                          REAL *dw,         /* (O,C,K) */
                          REAL *db,         /* (O) */
                          REAL *cache,      /* from conv_forward; scratch */
                          const REAL *dout, /* (B,T,O) */
                          const REAL *w,    /* (O,C,K) */
                          int B, int T, int C, int O, int K, int d);

/* Mean over time (the head's input with pool SK_POOL_MEAN):
 *   out[b,h] = (1/T) sum_t inp[b,t,h], summed in order of t. */
void SK__R(meanpool_forward)(REAL *out,       /* (B,H) */
                             const REAL *inp, /* (B,T,H) */
                             int B, int T, int H);
void SK__R(meanpool_backward)(REAL *dinp,       /* (B,T,H) */
                              const REAL *dout, /* (B,H) */
                              int B, int T, int H);

/* ReLU: out = max(inp, 0). Backward reads the forward output. */
void SK__R(relu_forward)(REAL *out, const REAL *inp, size_t N); /* (N) (N) */
void SK__R(relu_backward)(REAL *dinp,       /* (N) */
                          const REAL *dout, /* (N) */
                          const REAL *out,  /* (N) */
                          size_t N);

/* Inverted dropout: out = inp * mask, mask 0 with probability p, else
 * 1/(1-p). With rng the mask is drawn (N draws, in order); with rng NULL the
 * caller's mask is used as it is (a fixed mask). */
void SK__R(dropout_forward)(REAL *out,       /* (N) */
                            REAL *mask,      /* (N) drawn or given */
                            const REAL *inp, /* (N) */
                            float p, sk_rng *rng, size_t N);
void SK__R(dropout_backward)(REAL *dinp,       /* (N) */
                             const REAL *dout, /* (N) */
                             const REAL *mask, /* (N) */
                             size_t N);

/* Softmax + cross-entropy with label smoothing ls in [0, 1), fused and
 * numerically stable: probs = softmax(logits); the target is
 * q = (1-ls) onehot(y[b]) + ls/K, and
 *   losses[b] = -sum_k q_k log probs[b,k]   (ls 0: -log probs[b, y[b]]).
 * y may be NULL (probabilities only; losses untouched). Returns the sum of
 * losses. Backward: dlogits[b] += dloss[b] * (probs[b] - q), with dloss NULL
 * meaning 1 for every b. ls 0 runs exactly the unsmoothed arithmetic. */
double SK__R(softmax_ce_forward)(REAL *probs,       /* (B,K) */
                                 REAL *losses,      /* (B) or NULL */
                                 const REAL *logits, /* (B,K) */
                                 const int *y,      /* (B) or NULL */
                                 int B, int K, float ls);
void SK__R(softmax_ce_backward)(REAL *dlogits,     /* (B,K) */
                                const REAL *probs, /* (B,K) */
                                const int *y,      /* (B) */
                                const REAL *dloss, /* (B) or NULL */
                                int B, int K, float ls);

/* The whole model of skelact/nn.h on B windows (B <= the B the workspace was
 * sized for). ws: sk__net_ws_size(cfg, B) REALs.
 * net_forward: x -> probs (B,K); with y, also the summed weighted loss (the
 * return value; weight NULL = 1 each), with label smoothing ls (0: none; the
 * same ls must go to net_backward). Dropout p (between layers and before the
 * head) draws its masks from rng; with p > 0 and rng NULL it reuses the masks
 * already in ws (gradient checks).
 * net_backward: after net_forward with y, ADDS d(loss)/d(params) into grads
 * (the parameter layout) and, if dx is not NULL, d(loss)/dx into dx. */
double SK__R(net_forward)(REAL *probs,          /* (B,K) or NULL */
                          REAL *ws,             /* sk__net_ws_size */
                          const sk_model_config *cfg,
                          const REAL *params,   /* parameter layout */
                          const REAL *x,        /* (B,W,C) */
                          const int *y,         /* (B) or NULL */
                          const REAL *weight,   /* (B) or NULL */
                          int B, float p, sk_rng *rng, float ls);
void SK__R(net_backward)(REAL *grads,          /* parameter layout */
                         REAL *dx,             /* (B,W,C) or NULL */
                         REAL *ws,             /* from net_forward */
                         const sk_model_config *cfg,
                         const REAL *params,   /* parameter layout */
                         const REAL *x,        /* (B,W,C) */
                         const int *y,         /* (B) */
                         const REAL *weight,   /* (B) or NULL */
                         int B, float p, float ls);
